"""Sends whose outcome is unknown, end to end against the simulator: a 2xx
whose body cannot be read, a request Infobip accepts after we gave up, logs
that lag, logs the key may not read, retries that run out. Nothing is failed
on a guess and nothing goes out twice; what cannot be settled waits for an
operator in `ibchannel outbox`."""

import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env  # noqa: E402

SMS_ONLY = "sms-only-key-aaaabbbbcccc"
env = Env("unsure", sim_args=("--sms-only-keys", SMS_ONLY))
cid = env.add_connection(name="Full key")
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1,1")
env.cli("settings", "set", "infobip_timeout_ms", "1000")
INTERVAL = 2
env.cli("settings", "set", "unsure_resend_after_seconds", str(INTERVAL))
# No delivery reports: only Infobip's logs may settle what is unsure here.
env.sim("/_sim/config", {"dlr_delay": 600})


def sender_once():
    env.cli("sender", "--once", check=False)


def run_until(cond, timeout=40):
    """Runs the sender, one run after the other as cron would, until cond holds."""
    return env.wait_for(lambda: sender_once() or cond(), timeout, 0.2)


def send(to, text, conn=cid):
    p = env.cli("send", "--connection", conn, "--to", to, "--text", text)
    mid = int(p.stdout.strip())
    return mid, env.sql1("SELECT uid FROM messages WHERE id = ?", (mid,))


def row(uid):
    return env.sql("SELECT status, status_description FROM messages WHERE uid = ?",
                   (uid,))[0]


def status(uid):
    return row(uid)[0]


def settled(uid):
    return status(uid) not in ("queued", "sending")


def at_infobip(uid):
    """How many times Infobip took the message."""
    return len(env.sim("/_sim/messages?messageId=" + urllib.parse.quote(uid))["messages"])


def requests(path, uid):
    """The requests to path that name uid, in order: (time, kind)."""
    out = []
    for r in env.sim("/_sim/requests?path=" + path)["requests"]:
        if path.endswith("/logs"):
            if urllib.parse.parse_qs(r["query"]).get("messageId") == [uid]:
                out.append(r)
        elif uid in r["body"]:
            out.append(r)
    return out


def outbox():
    """ibchannel outbox as {message id: {column: value}}."""
    lines = env.cli("outbox").stdout.splitlines()
    head = lines[0].split("\t") if lines else []
    return {int(l.split("\t")[0]): dict(zip(head, l.split("\t"))) for l in lines[1:]}


def state(mid):
    return outbox().get(mid, {}).get("state")


def logged(conn, event, like):
    return env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = ?"
                    " AND text LIKE ?", (conn, event, like))


def fault(endpoint, kind, **kw):
    spec = {"endpoint": endpoint, "kind": kind}
    spec.update(kw)
    env.sim("/_sim/fault", spec)


def faults_used(what):
    left = env.sim("/_sim/fault")["faults"]
    env.check(not left, "%s: every fault was met" % what, json.dumps(left))
    env.sim("/_sim/reset")
    env.sim("/_sim/config", {"dlr_delay": 600})


# --- Item 4: a 2xx whose body cannot be read is unsure, settled from the logs ----------
for n, (kind, taken) in enumerate((("accept_then_malformed", True), ("malformed", False),
                                   ("accept_then_empty", True), ("empty", False))):
    fault("/sms/3/messages", kind)
    mid, uid = send("49151123500%02d" % n, "2xx " + kind)
    run_until(lambda: settled(uid))
    what = "200 %s (Infobip %s it)" % (kind, "took" if taken else "did not take")
    env.check(status(uid) in ("accepted", "delivered"), "%s: accepted, not failed" % what,
              repr(row(uid)))
    env.check(at_infobip(uid) == 1, "%s: Infobip has it exactly once" % what,
              str(at_infobip(uid)))
    sends = requests("/sms/3/messages", uid)
    looks = requests("/sms/3/logs", uid)
    if taken:
        env.check(len(sends) == 1 and looks, "%s: looked up, not sent again" % what,
                  "%d sends, %d lookups" % (len(sends), len(looks)))
        env.check(logged(cid, "reconcile", "%" + uid + "%already accepted%") == 1,
                  "%s: the settlement is logged" % what)
    else:
        before = [r for r in looks if r["seq"] < sends[1]["seq"]] if len(sends) == 2 else []
        env.check(len(sends) == 2 and len(before) >= 2,
                  "%s: sent again only after two lookups" % what,
                  "%d sends, %d lookups before" % (len(sends), len(before)))
        env.check(before and before[-1]["time"] - sends[0]["time"] >= INTERVAL,
                  "%s: the last lookup came at least %d s after the first send" % (what, INTERVAL))
        env.check(logged(cid, "reconcile", "%" + uid + "%not in Infobip's logs (looked up%") == 1,
                  "%s: sending it again is logged" % what)
    faults_used(what)

# --- Item 6: Infobip accepts after our timeout; its logs lag ------------------------------
# The request hangs 4 s at a 1 s timeout and is accepted only then: the first
# lookup (after 1 s) cannot see it, so the next waits unsure_resend_after_seconds.
env.cli("settings", "set", "unsure_resend_after_seconds", "6")
fault("/sms/3/messages", "slow", delay=4)
mid, uid = send("4915112351001", "accepted late")
run_until(lambda: settled(uid))
# Until the hanging request is answered, Infobip may still take it.
env.wait_for(lambda: all(r["status"] is not None for r in requests("/sms/3/messages", uid)), 10)
env.check(status(uid) in ("accepted", "delivered") and at_infobip(uid) == 1,
          "accepted 3 s after our timeout: sent exactly once",
          "%s, %d at Infobip" % (status(uid), at_infobip(uid)))
env.check(len(requests("/sms/3/messages", uid)) == 1, "... and never sent again")
env.check(logged(cid, "reconcile", "%" + uid + "%not in Infobip's logs yet%") >= 1,
          "the lookup that did not find it yet is logged")
faults_used("accepted late")
env.cli("settings", "set", "unsure_resend_after_seconds", str(INTERVAL))

# Accepted, the answer lost, and the logs answer empty once.
fault("/sms/3/messages", "accept_then_reset")
fault("/sms/3/logs", "empty")
mid, uid = send("4915112351002", "logs lag")
run_until(lambda: settled(uid))
env.check(status(uid) in ("accepted", "delivered") and at_infobip(uid) == 1,
          "logs empty once: sent exactly once", "%s, %d at Infobip" % (status(uid), at_infobip(uid)))
env.check(len(requests("/sms/3/logs", uid)) >= 2, "... found by the second lookup")
faults_used("logs empty once")

# --- Item 7: Start says when the key may not read the logs --------------------------------
sms = env.add_connection(name="Send-only key", key=SMS_ONLY)
st, msg = env.sql("SELECT status, status_message FROM connections WHERE id = ?", (sms,))[0]
env.check(st == "RUNNING" and "may not read Infobip's message logs" in msg,
          "Start with a send-only key: RUNNING, and the status says the logs cannot be read", msg)
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'start'"
                   " AND level = 'warn' AND text LIKE '%/sms/3/logs%'", (sms,)) == 1,
          "... and the connection's log says so")
probe = [r for r in env.sim("/_sim/requests?path=/sms/3/logs")["requests"]
         if r["headers"].get("Authorization") == "App " + SMS_ONLY]
env.check(len(probe) == 1 and probe[0]["status"] == 403 and "messageId=" in probe[0]["query"],
          "Start looked up a made-up message id", json.dumps([r["query"] for r in probe]))
msg = env.sql1("SELECT status_message FROM connections WHERE id = ?", (cid,))
env.check("logs" not in msg, "a key that reads the logs: nothing said", msg)

# A send that may have reached Infobip, with logs the key may not read: it
# waits for an operator instead of being failed on a guess.
fault("/sms/3/messages", "500")
mid, uid = send("4915112352001", "cannot look up", conn=sms)
run_until(lambda: state(mid) == "held", 20)
line = outbox().get(mid, {})
env.check(line.get("state") == "held" and status(uid) == "sending",
          "forbidden lookup: held, not failed", "%r %s" % (line, status(uid)))
env.check(line.get("uid") == uid and line.get("connection") == sms
          and line.get("recipient") == "+4915112352001" and "403" in line.get("last_error", "")
          and "logs" in line.get("last_error", ""),
          "ibchannel outbox lists it with the reason", repr(line))
env.check(logged(sms, "unsettled", "%%%s%%ibchannel outbox resend %d%%" % (uid, mid)) == 1,
          "the connection's log tells the operator what to do")
env.check(at_infobip(uid) == 0, "Infobip never had it")
looks = len(requests("/sms/3/logs", uid))
sender_once()
env.check(state(mid) == "held" and len(requests("/sms/3/logs", uid)) == looks,
          "a held message is left alone by the sender")
p = env.cli("outbox", "resend", str(mid), "--user", "alice", check=False)
env.check(p.returncode == 0, "outbox resend", p.stderr)
run_until(lambda: settled(uid), 20)
env.check(status(uid) in ("accepted", "delivered") and at_infobip(uid) == 1,
          "resent by hand: sent once", "%s %d" % (status(uid), at_infobip(uid)))
env.check(logged(sms, "outbox", "%" + uid + "%sent again by hand by alice") == 1,
          "the resend is logged with the operator")
faults_used("forbidden lookup")

fault("/sms/3/messages", "500")
mid, uid = send("4915112352002", "fail by hand", conn=sms)
run_until(lambda: state(mid) == "held", 20)
p = env.cli("outbox", "fail", str(mid), check=False)
env.check(p.returncode == 0 and status(uid) == "failed" and "by hand by cli" in row(uid)[1]
          and "403" in row(uid)[1], "outbox fail: failed with the operator and the reason",
          p.stderr + repr(row(uid)))
sender_once()
env.check(mid not in outbox() and at_infobip(uid) == 0 and status(uid) == "failed",
          "failed by hand: gone from the outbox, never sent")

p = env.cli("outbox", "resend", "999999", check=False)
env.check(p.returncode == 1 and "not in the outbox" in p.stderr, "resend of an unknown message",
          p.stderr)
env.check(env.cli("outbox", "frob", check=False).returncode == 2, "outbox usage error")
stopped = env.add_connection(name="Stopped", start=False)
mid, uid = send("4915112352003", "waits for Start", conn=stopped)
env.check(state(mid) == "queued", "a queued message is listed as queued", repr(outbox().get(mid)))
p = env.cli("outbox", "resend", str(mid), check=False)
env.check(p.returncode == 1 and "queued" in p.stderr, "a queued message is not resent", p.stderr)
p = env.cli("outbox", "fail", str(mid), check=False)
env.check(p.returncode == 0 and status(uid) == "failed", "a queued message can be failed by hand",
          p.stderr)

# --- Item 7: retries that run out on an unsure message leave it to the operator -----------
env.cli("settings", "set", "send_retry_delays", "1,1")
fault("/sms/3/messages", "timeout", delay=2)
fault("/sms/3/logs", "500", count=2)
mid, uid = send("4915112353001", "lookups fail")
run_until(lambda: state(mid) == "held" or settled(uid), 20)
line = outbox().get(mid, {})
env.check(line.get("state") == "held" and status(uid) == "sending",
          "retries used up while unsure: held, not failed", "%r %r" % (line, row(uid)))
env.check("gave up after 3 attempts" in line.get("last_error", ""), "... saying why",
          repr(line))
env.check(at_infobip(uid) == 0, "... and not sent again on a guess")
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1,1")
env.cli("outbox", "resend", str(mid))
run_until(lambda: settled(uid), 20)
env.check(status(uid) in ("accepted", "delivered") and at_infobip(uid) == 1,
          "then resent by hand: sent once")
faults_used("retries used up")

# Retries that run out on a send Infobip refused (429) still fail it: no guess there.
env.cli("settings", "set", "send_retry_delays", "1")
fault("/sms/3/messages", "429", count=2)
mid, uid = send("4915112353002", "throttled")
run_until(lambda: settled(uid), 20)
env.check(status(uid) == "failed" and "gave up after 2 attempts" in row(uid)[1]
          and mid not in outbox(), "429 until the retries run out: failed", repr(row(uid)))
env.done()
