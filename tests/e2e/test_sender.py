"""The cron sender end to end: agents answer, the outbox goes to the Infobip
simulator, faults are retried, crashes neither lose nor duplicate."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Env, SIM_KEY, holds_flock  # noqa: E402
import kept_counts  # noqa: E402

env = Env("sender")
cid = env.add_connection(sender="InfoSMS")
SMS = "/channel/%s/webhook/sms" % cid
# The shortest retries the settings allow, so that faults settle in seconds.
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1")


def sender_once(*extra):
    return env.cli("sender", "--once", *extra, check=False)


def sim_messages(uid=None):
    msgs = env.sim("/_sim/messages")["messages"]
    return [m for m in msgs if uid is None or m["messageId"] == uid]


def send(to, text, conn=cid):
    p = env.cli("send", "--connection", conn, "--to", to, "--text", text, check=False)
    mid = p.stdout.strip()
    uid = env.sql1("SELECT uid FROM messages WHERE id = ?", (int(mid),)) if mid else None
    return p, mid, uid


def sender_running(proc, since):
    """Whether proc's sender is in its loop: it holds the lock (SQLite), or,
    on PostgreSQL, where it takes none, it beat at or after since (store_now)."""
    if env.engine == "sqlite":
        return holds_flock(proc.pid)
    return proc.poll() is None and (env.sql1("SELECT at FROM heartbeats WHERE"
                                             " name = 'sender'") or "") >= since


def store_now():
    """Now in the store's text form (UTC, to the millisecond)."""
    t = time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + ".%03d" % (t % 1 * 1000)


def status(uid):
    return env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,))


def mo(message_id, text, frm):
    return {"results": [{"messageId": message_id, "from": frm, "to": "447491163443",
                         "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}


# --- An agent reply goes out with everything Infobip needs ------------------------
aid, rules = env.add_rules_agent(cid)
p = env.cli("agent", "add", "--name", "Second", "--kind", "rules", check=False)
second = p.stdout.strip()
p = env.cli("agent", "attach", second, cid, "--inbound", check=False)
env.check(p.returncode == 1 and "only one inbound agent" in p.stderr,
          "a second inbound agent on one connection is refused", p.stderr)

r = env.post(SMS, mo("in-1", "Hello", "4915112340001"))
env.check(r.status == 200, "MO accepted", r.text)
t0 = time.time()
p = sender_once()
env.check(p.returncode == 0, "sender --once ran", p.stderr[-500:])
out = sim_messages()
reply = [m for m in out if m["to"] == "4915112340001"]
env.check(len(reply) == 1, "one reply reached the simulator", json.dumps(out)[:500])
reqs = [r for r in env.sim("/_sim/requests?path=/sms/3/messages")["requests"]]
if env.check(reqs and reply, "the send request was recorded"):
    req = reqs[-1]
    body = json.loads(req["body"])
    m = body["messages"][0]
    env.check(req["status"] == 200, "the simulator (checking Infobip's OpenAPI schema) accepted it",
              str(req["status"]))
    env.check(req["headers"].get("Authorization") == "App " + SIM_KEY, "App key sent")
    env.check(m["sender"] == "InfoSMS" and m["destinations"][0]["to"] == "4915112340001",
              "sender and destination", json.dumps(m))
    uid = m["destinations"][0]["messageId"]
    env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE uid = ? AND direction = 'out'"
                       " AND author = 'agent'", (uid,)) == 1, "our message id sent as messageId")
    env.check(m["webhooks"]["delivery"]["url"] == "%s/channel/%s/webhook/reports" % (env.base, cid),
              "delivery report URL", json.dumps(m.get("webhooks")))
    env.check(body["options"]["tracking"]["trackingUrl"] ==
              "%s/channel/%s/webhook/clicks" % (env.base, cid)
              and body["options"]["tracking"]["shortenUrl"] is True, "tracking URL",
              json.dumps(body.get("options")))
    env.check(m["content"]["text"] == env.sql1("SELECT text FROM messages WHERE uid = ?", (uid,)),
              "text as stored")
    env.check(env.wait_for(lambda: status(uid) == "delivered", 10),
              "the simulator's delivery report marked it delivered", status(uid))
    r = env.sim("/_sim/click", {"messageId": uid, "url": "https://example.com/offer?a=1"})
    env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text = ?",
                       (cid, "link clicked: https://example.com/offer?a=1 by +4915112340001")) == 1,
              "the simulator's click reached the connection's log", json.dumps(r))

# --- The built-in rules agent: a question, then name and email collected -----------
phone = "4915112340002"
turns = [("in-2", "Hi there"), ("in-3", "What are your opening hours?"), ("in-4", "Alice Example"),
         ("in-5", "not-an-email"), ("in-6", "alice@example.com")]
replies = []
for mid, text in turns:
    env.post(SMS, mo(mid, text, phone))
    sender_once()
    texts = [t for (t,) in env.sql("SELECT text FROM messages WHERE recipient = ? AND"
                                   " direction = 'out' ORDER BY id", ("+" + phone,))]
    replies.append(texts[-1] if texts else "")
print("rules agent conversation:", json.dumps(list(zip([t for _, t in turns], replies)),
                                               ensure_ascii=False), flush=True)
env.check(len(set(replies)) == len(replies) and all(replies), "each message got its own answer",
          repr(replies))
env.check("9" in replies[1] and "17" in replies[1], "the hours question is answered", replies[1])
data = env.sql1("SELECT s.data FROM sessions s JOIN contacts c ON c.id = s.contact_id"
                " WHERE c.phone = ? AND s.closed_at IS NULL", ("+" + phone,))
env.check(data and json.loads(data).get("name") == "Alice Example"
          and json.loads(data).get("email") == "alice@example.com",
          "name and email collected on the session", data)
row = env.sql("SELECT name, email FROM contacts WHERE phone = ?", ("+" + phone,))
env.check(row and row[0] == ("Alice Example", "alice@example.com"),
          "name and email saved on the contact", repr(row))

# --- 1,601 characters arrive as exactly 1,600 ending ... ------------------------------
long_text = "".join(chr(0x41 + i % 26) for i in range(1601))
p, mid, uid = send("+4915112340003", long_text)
sender_once()
got = sim_messages(uid)
env.check(len(got) == 1 and len(got[0]["text"]) == 1600 and got[0]["text"].endswith("...")
          and got[0]["text"][:1597] == long_text[:1597], "1,601 characters -> 1,600 ending ...",
          str(len(got[0]["text"])) if got else "missing")
emoji = "\U0001F600" * 1601
p, mid, uid = send("4915112340003", emoji)
sender_once()
got = sim_messages(uid)
env.check(len(got) == 1 and got[0]["text"] == "\U0001F600" * 1597 + "...",
          "1,601 emoji -> 1,597 emoji and ...")

# --- INFOBIP_SHORT_DOMAIN becomes customDomain, from the next Start on ---------------------
env.cli("connection", "env", cid, "INFOBIP_SHORT_DOMAIN", "go.example.com")
p, mid, uid = send("4915112340003", "before restart https://example.com/a")
sender_once()
body = json.loads(env.sim("/_sim/requests?path=/sms/3/messages")["requests"][-1]["body"])
env.check("customDomain" not in body["options"]["tracking"], "no customDomain before the restart",
          json.dumps(body["options"]))
env.cli("connection", "start", cid)
p, mid, uid = send("4915112340003", "after restart https://example.com/b")
sender_once()
body = json.loads(env.sim("/_sim/requests?path=/sms/3/messages")["requests"][-1]["body"])
env.check(body["options"]["tracking"].get("customDomain") == "go.example.com",
          "customDomain from INFOBIP_SHORT_DOMAIN after the restart", json.dumps(body["options"]))
got = sim_messages(uid)
env.check(len(got) == 1 and got[0].get("custom_domain") == "go.example.com",
          "the simulator recorded the custom domain")

# --- An invalid number is never sent ----------------------------------------------------
before = len(sim_messages())
p, mid, uid = send("123-456-7890", "hello")
env.check(p.returncode == 1 and mid, "send to 123-456-7890 stores the message and says it failed",
          p.stderr)
sender_once()
env.check(len(sim_messages()) == before, "nothing sent to 123-456-7890")
row = env.sql("SELECT status, status_description FROM messages WHERE id = ?", (int(mid),))
env.check(row and row[0][0] == "failed" and "invalid phone number" in row[0][1],
          "failed with the reason", repr(row))
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE"
                   " '%123-456-7890%invalid phone number%'", (cid,)) == 1, "... and logged")

# --- Faults are retried and then succeed -----------------------------------------------
# An unsure send goes again after two lookups, the last 1 s (not minutes) after it.
env.cli("settings", "set", "unsure_resend_after_seconds", "1")
env.cli("settings", "set", "infobip_timeout_ms", "1500")
for kind, extra in (("429", {}), ("500", {}), ("timeout", {"delay": 3}), ("reset", {}),
                    ("503", {})):
    fault = {"endpoint": "/sms/3/messages", "kind": kind, "count": 2}
    fault.update(extra)
    env.sim("/_sim/fault", fault)
    p, mid, uid = send("4915112340004", "fault " + kind)
    env.wait_for(lambda: sender_once() and status(uid) not in ("queued", "sending"), 30, 0.2)
    env.check(status(uid) in ("accepted", "delivered") and len(sim_messages(uid)) == 1,
              "%s twice, then sent exactly once" % kind,
              "%s %d" % (status(uid), len(sim_messages(uid))))
    env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event ="
                       " 'send_retry' AND text LIKE ?", (cid, "%" + uid + "%")) >= 2,
              "%s retries logged" % kind)
env.cli("settings", "set", "infobip_timeout_ms", "30000")

# A permanent error fails at once with Infobip's text.
env.sim("/_sim/config", {"no_credit": ["4915112340005"]})
p, mid, uid = send("4915112340005", "no credit")
sender_once()
row = env.sql("SELECT status, status_name, status_description FROM messages WHERE uid = ?", (uid,))
env.check(row and row[0][0] == "failed" and row[0][1] == "REJECTED_NOT_ENOUGH_CREDITS",
          "REJECTED_NOT_ENOUGH_CREDITS inside a 200 fails the message", repr(row))
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE ?",
                   (cid, "%" + uid + "%Not enough credits%")) == 1, "Infobip's text in the log")

# --- kill -9 after Infobip accepted, before the store recorded ---------------------------
env.cli("settings", "set", "infobip_timeout_ms", "60000")
# The report comes late, so that only Infobip's logs can tell the restarted sender.
env.sim("/_sim/config", {"dlr_delay": 6})
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "accept_then_hang",
                        "count": 1, "delay": 15})
p, mid, uid = send("4915112340006", "crash test")
proc = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "30"],
                        env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
accepted = env.wait_for(lambda: sim_messages(uid), 10)
env.check(bool(accepted), "the simulator accepted the message")
proc.send_signal(signal.SIGKILL)
proc.wait()
env.check(status(uid) == "sending", "after kill -9 the store still says sending", status(uid))
# The dead sender's lease lapses (send_lease_seconds; here at once), and the
# next run looks the message up.
env.sql("UPDATE outbox SET lease_until = '2000-01-01 00:00:00.000' WHERE message_id ="
        " (SELECT id FROM messages WHERE uid = ?)", (uid,))
sender_once()
env.check(status(uid) in ("accepted", "delivered"), "restart settles it from Infobip's logs",
          status(uid))
env.check(len(sim_messages(uid)) == 1, "delivered exactly once", str(len(sim_messages(uid))))
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'reconcile' AND text LIKE ?",
                   ("%" + uid + "%already accepted%",)) == 1, "the reconciliation is logged")
env.check(env.wait_for(lambda: status(uid) == "delivered", 10), "and its report arrives")
env.sim("/_sim/config", {"dlr_delay": 0.2})
env.cli("settings", "set", "infobip_timeout_ms", "30000")

# A crash before anything reached Infobip: looked up, not found, sent once.
p, mid, uid = send("4915112340007", "lost in flight")
env.sql("UPDATE messages SET status = 'sending' WHERE uid = ?", (uid,))
env.sql("UPDATE outbox SET lease_owner = 'dead', lease_until = '2000-01-01 00:00:00.000',"
        " attempts = 1 WHERE message_id = (SELECT id FROM messages WHERE uid = ?)", (uid,))
sender_once()
env.check(len(sim_messages(uid)) == 1 and status(uid) in ("accepted", "delivered"),
          "an unsent message found in 'sending' is looked up, then sent once")

# --- kill -9 while claimed batches wait for their turn -----------------------------------
# Four batches of five are claimed at once; the first request hangs at the
# simulator (accepted only after the delay), and the sender is killed
# meanwhile. The first five may have left; the fifteen behind them never did:
# a restart sends those at once, without asking Infobip's logs about them.
env.cli("settings", "set", "send_batch_size", "5")
waiting = [send("49151123420%02d" % i, "queued behind %d" % i)[2] for i in range(20)]
POSTS = "/_sim/requests?path=/sms/3/messages"
posts_before = len(env.sim(POSTS)["requests"])
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "slow", "count": 1, "delay": 4})
proc = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "30"],
                        env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.check(env.wait_for(lambda: len(env.sim(POSTS)["requests"]) > posts_before, 10),
          "the first batch's request reached the simulator")
proc.send_signal(signal.SIGKILL)
proc.wait()
first = [u for u in waiting if u in env.sim(POSTS)["requests"][posts_before]["body"]]
rest = [u for u in waiting if u not in first]
env.check(len(first) == 5 and all(status(u) == "sending" for u in first)
          and all(status(u) == "queued" for u in rest),
          "after kill -9: the posted batch is sending, the fifteen behind it still queued",
          repr([status(u) for u in waiting]))
env.check(env.wait_for(lambda: all(sim_messages(u) for u in first), 15),
          "the simulator accepted the hanging batch once its delay passed")
lookups_before = len(env.sim("/_sim/requests?path=/sms/3/logs")["requests"])
sender_once()
env.check(all(len(sim_messages(u)) == 1 for u in rest),
          "restart: the fifteen never posted are sent at once, without waiting for the lease",
          repr([len(sim_messages(u)) for u in rest]))
looked = [r for r in env.sim("/_sim/requests?path=/sms/3/logs")["requests"][lookups_before:]
          if any(u in r["query"] for u in rest)]
env.check(looked == [], "restart: no lookup in Infobip's logs for a message never posted",
          repr(looked[:3]))
# The posted five wait for their lease; once it lapsed, the logs settle them.
env.sql("UPDATE outbox SET lease_until = '2000-01-01 00:00:00.000' WHERE message_id IN"
        " (SELECT id FROM messages WHERE uid IN (%s))" % ",".join("?" * len(first)), first)
sender_once()
env.check(all(status(u) in ("accepted", "delivered") for u in waiting),
          "every one of the twenty settled", repr([status(u) for u in waiting]))
env.check(all(len(sim_messages(u)) == 1 for u in waiting),
          "kill -9 with batches waiting: each of the twenty reached Infobip exactly once",
          repr([len(sim_messages(u)) for u in waiting]))
env.cli("settings", "set", "send_batch_size", "100")

# --- kill -9 while a request is out and the batch before it is recorded -----------------
# The sender stores a batch's results while the next batch's request is out
# (send_batches). Four batches of five: the second request is accepted by
# the simulator, which then holds its answer, and the sender is killed
# meanwhile. By then the first five are recorded, the second five are
# 'sending' (marked before their request went out) and the ten behind them
# never left 'queued'; a restart settles the second five from Infobip's
# logs and sends the ten, so each of the twenty reaches Infobip once.
# Reports come late, so that only the sender can have moved a status.
env.sim("/_sim/config", {"dlr_delay": 60})
env.cli("settings", "set", "send_batch_size", "5")
overlap = [send("49151123430%02d" % i, "overlap %d" % i)[2] for i in range(20)]
posts_before = len(env.sim(POSTS)["requests"])
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "slow", "count": 1, "delay": 0})
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "accept_then_hang", "count": 1,
                        "delay": 15})
proc = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "30"],
                        env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.check(env.wait_for(lambda: len(env.sim(POSTS)["requests"]) >= posts_before + 2, 10),
          "overlap: the second batch's request reached the simulator")
posted = env.sim(POSTS)["requests"][posts_before:posts_before + 2]
first = [u for u in overlap if u in posted[0]["body"]]
second = [u for u in overlap if u in posted[1]["body"]]
rest = [u for u in overlap if u not in first and u not in second]
env.check(env.wait_for(lambda: all(sim_messages(u) for u in second), 10),
          "overlap: the simulator accepted the second batch and holds its answer")
env.check(env.wait_for(lambda: all(status(u) == "accepted" for u in first), 10),
          "overlap: the first batch's results are stored while the second request is out",
          repr([status(u) for u in first]))
proc.send_signal(signal.SIGKILL)
proc.wait()
env.check(len(first) == 5 and len(second) == 5 and all(status(u) == "sending" for u in second)
          and all(status(u) == "queued" for u in rest),
          "after kill -9 mid-request: the batch out is sending, the ten behind still queued",
          repr([status(u) for u in overlap]))
lookups_before = len(env.sim("/_sim/requests?path=/sms/3/logs")["requests"])
sender_once()
env.check(all(len(sim_messages(u)) == 1 for u in rest),
          "restart after the overlap: the ten never posted are sent at once",
          repr([len(sim_messages(u)) for u in rest]))
env.sql("UPDATE outbox SET lease_until = '2000-01-01 00:00:00.000' WHERE message_id IN"
        " (SELECT id FROM messages WHERE uid IN (%s))" % ",".join("?" * len(second)), second)
sender_once()
looked = [u for u in overlap if any(u in r["query"] for r in
          env.sim("/_sim/requests?path=/sms/3/logs")["requests"][lookups_before:])]
env.check(sorted(looked) == sorted(second),
          "restart after the overlap: only the batch whose request was out is looked up",
          repr(looked))
env.check(all(status(u) in ("accepted", "delivered") for u in overlap),
          "overlap: every one of the twenty settled", repr([status(u) for u in overlap]))
env.check(all(len(sim_messages(u)) == 1 for u in overlap),
          "kill -9 mid-request with a batch being recorded: each of the twenty reached"
          " Infobip exactly once", repr([len(sim_messages(u)) for u in overlap]))
env.check(all(status(u) == "accepted" for u in overlap),
          "overlap: no report came meanwhile", repr([status(u) for u in overlap]))
env.sim("/_sim/config", {"dlr_delay": 0.2})
env.cli("settings", "set", "send_batch_size", "100")

# --- Two senders at once: nothing twice -------------------------------------------------
env.cli("settings", "set", "send_batch_size", "5")
uids = []
for i in range(60):
    uids.append(send("49151123410%02d" % i, "bulk %d" % i)[2])
procs = [subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--once", "--lock",
                           os.path.join(env.dir, "lock%d" % i)], env=env.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(2)]
errs = [pr.communicate(timeout=120)[1] for pr in procs]
counts = {}
for m in sim_messages():
    counts[m["messageId"]] = counts.get(m["messageId"], 0) + 1
env.check(all(counts.get(u) == 1 for u in uids), "two senders: each of 60 messages sent once",
          repr([counts.get(u) for u in uids]))
env.check(all(pr.returncode == 0 for pr in procs), "both senders ended cleanly", repr(errs))
env.cli("settings", "set", "send_batch_size", "100")

# The lock: an overlapping run leaves at once. On PostgreSQL there is none:
# senders share the store, and a second one runs alongside.
since = store_now()
holder = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "20"],
                          env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.check(env.wait_for(lambda: sender_running(holder, since), 10),
          "the first sender holds the lock" if env.engine == "sqlite" else "the first sender runs")
t = time.time()
if env.engine == "sqlite":
    p = env.cli("sender", "--for", "20", check=False)
    env.check(p.returncode == 0 and time.time() - t < 3 and "another sender" in p.stderr,
              "an overlapping sender exits at once", p.stderr)
else:
    p = env.cli("sender", "--for", "2", check=False)
    env.check(p.returncode == 0 and time.time() - t >= 2 and "another sender" not in p.stderr,
              "an overlapping sender runs its window alongside", p.stderr)
# The running sender answers quickly: a reply leaves within a fraction of a second.
env.post(SMS, mo("in-fast", "hours?", "4915112340008"))
t = time.time()
fast = env.wait_for(lambda: [m for m in sim_messages() if m["to"] == "4915112340008"], 5, 0.02)
elapsed = time.time() - t
env.check(bool(fast) and elapsed < 1.0, "reply reached Infobip within a second (%.2f s)" % elapsed)
holder.send_signal(signal.SIGTERM)
try:
    rc = holder.wait(timeout=10)
except subprocess.TimeoutExpired:
    holder.kill()
    rc = None
env.check(rc == 0, "SIGTERM ends the sender cleanly", str(rc))

# --- A stopped connection sends nothing until started -----------------------------------
env.cli("connection", "stop", cid)
p, mid, uid = send("4915112340009", "wait for start")
sender_once()
env.check(status(uid) == "queued" and not sim_messages(uid), "stopped: nothing sent")
env.cli("connection", "start", cid)
sender_once()
env.check(len(sim_messages(uid)) == 1, "started: sent")

# --- Opted-out contacts get nothing but the confirmation --------------------------------
env.post(SMS, mo("stop-1", "STOP", "4915112340010"))
p, mid, uid = send("4915112340010", "promo")
sender_once()
env.check(not sim_messages(uid) and status(uid) == "failed", "nothing sent to an opted-out contact")
conf = [m for m in sim_messages() if m["to"] == "4915112340010"]
env.check(len(conf) == 1 and "unsubscribed" in conf[0]["text"].lower(),
          "the STOP confirmation was sent", json.dumps(conf))

# --- An operator takes a session over, replies, and gives it back ---------------------
env.post(SMS, mo("op-1", "hello", "4915112340011"))
sender_once()
sid = env.sql1("SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
               " WHERE c.phone = '+4915112340011' AND s.closed_at IS NULL")
p = env.cli("session", "takeover", str(sid), "--user", "alice", check=False)
env.check(p.returncode == 0 and env.sql1("SELECT responsible FROM sessions WHERE id = ?", (sid,))
          == "alice", "session takeover", p.stderr)
before = len([m for m in sim_messages() if m["to"] == "4915112340011"])
env.post(SMS, mo("op-2", "are you there? <b>\x1b[31m", "4915112340011"))
sender_once()
env.check(len([m for m in sim_messages() if m["to"] == "4915112340011"]) == before,
          "no AI reply in a session an operator took over")
p = env.cli("session", "reply", str(sid), "--text", "Alice here, how can I help?",
            "--user", "alice", check=False)
sender_once()
got = [m["text"] for m in sim_messages() if m["to"] == "4915112340011"]
env.check(p.returncode == 0 and got[-1:] == ["Alice here, how can I help?"],
          "the operator's reply goes out through the same path", repr(got))
env.check(env.sql1("SELECT author FROM messages WHERE id = ?", (int(p.stdout.strip() or 0),))
          == "operator:alice", "the reply is the operator's")
p = env.cli("session", "show", str(sid))
lines = p.stdout.splitlines()
env.check(len(lines) >= 4 and "alice" in lines[0] and "\x1b" not in p.stdout
          and "\\x1b[31m" in p.stdout, "session show: the conversation, control characters escaped",
          p.stdout[-400:])
p = env.cli("session", "list", "--connection", cid)
env.check(str(sid) in p.stdout and "+4915112340011" in p.stdout, "session list", p.stdout[-300:])
env.cli("session", "release", str(sid))
env.post(SMS, mo("op-3", "hours?", "4915112340011"))
sender_once()
env.check(len([m for m in sim_messages() if m["to"] == "4915112340011"]) == before + 2,
          "given back, the AI answers again")
p = env.cli("session", "takeover", "999999", check=False)
env.check(p.returncode == 1 and "no session" in p.stderr, "unknown session")
p = env.cli("session", "frob", check=False)
env.check(p.returncode == 2, "session usage error")

# --- HTTP and OpenAI-compatible agents through the real sender ---------------------------
fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "unit", "fake_agent.py"),
                         "--port", "0", "--key", "fake-openai-key-123456"],
                        stdout=subprocess.PIPE, text=True)
env.procs.append(fake)
fake_url = fake.stdout.readline().split()[-1]
okey = os.path.join(env.dir, "openai.key")
with open(okey, "w") as f:
    f.write("fake-openai-key-123456\n")
for kind, extra, want in (
        ("http", ["--url", fake_url + "/agent"], "echo: ping http"),
        ("openai", ["--url", fake_url, "--model", "tiny", "--api-key-file", okey,
                    "--instructions-file", rules], "ai: ping openai")):
    conn = env.add_connection(name="%s line" % kind)
    agent = env.cli("agent", "add", "--name", kind, "--kind", kind, *extra).stdout.strip()
    env.cli("agent", "attach", agent, conn, "--inbound")
    env.cli("agent", "start", agent)
    number = "49151123499%02d" % len(kind)
    env.post("/channel/%s/webhook/sms" % conn, mo("ag-" + kind, "ping " + kind, number))
    sender_once()
    got = [m["text"] for m in sim_messages() if m["to"] == number]
    env.check(got == [want], "%s agent answers through the sender" % kind, repr(got))
# One slow agent never stalls the others or the sending.
slow_conn = env.add_connection(name="slow line")
slow = env.cli("agent", "add", "--name", "slow", "--kind", "http", "--url",
               fake_url + "/slow").stdout.strip()
env.cli("agent", "attach", slow, slow_conn, "--inbound")
env.cli("agent", "start", slow)
since = store_now()
runner = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "15"],
                          env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.check(env.wait_for(lambda: sender_running(runner, since), 10), "the sender runs")
t = time.time()
env.post("/channel/%s/webhook/sms" % slow_conn, mo("slow-1", "take your time", "4915112349801"))
env.post(SMS, mo("fast-1", "hours?", "4915112349802"))
fast = env.wait_for(lambda: [m for m in sim_messages() if m["to"] == "4915112349802"], 5, 0.02)
t_fast = time.time() - t
slow_reply = env.wait_for(lambda: [m for m in sim_messages() if m["to"] == "4915112349801"], 10, 0.05)
t_slow = time.time() - t
env.check(bool(fast) and t_fast < 1.0, "a fast agent answers while a slow one thinks (%.2f s)" % t_fast)
env.check(bool(slow_reply) and t_slow >= 2.5, "the slow agent's answer follows (%.2f s)" % t_slow)
runner.send_signal(signal.SIGTERM)
runner.wait(timeout=20)

recs = json.loads(urllib.request.urlopen(fake_url + "/_requests").read())
recs = recs.get("requests", recs) if isinstance(recs, dict) else recs
oa = [r for r in recs if "chat/completions" in json.dumps(r)]
env.check(oa and "fake-openai-key-123456" in json.dumps(oa[-1]), "the OpenAI key went to the model server")
enc = env.sql1("SELECT api_key_enc FROM agents WHERE kind = 'openai'")
env.check(enc and enc.startswith("v1:") and "fake-openai-key" not in enc,
          "the OpenAI key is encrypted at rest")

# The dashboard's per-day rollup, refreshed by the sender, matches the messages.
# (A delivery report of the agents' last replies may still land meanwhile:
# a round whose messages changed while the sender refreshed is run again.)
def rollup_round():
    """(rollup, messages' counts) of one refresh, or None if they moved."""
    def counts():
        return env.sql("SELECT connection_id, substr(created_at, 1, 10),"
                       " SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),"
                       " SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END),"
                       " SUM(CASE WHEN direction = 'out' AND status = 'delivered'"
                       " THEN 1 ELSE 0 END) FROM messages GROUP BY 1, 2 ORDER BY 1, 2")
    before = counts()
    env.sql("DELETE FROM message_daily")
    env.cli("sender", "--once")
    got = env.sql("SELECT connection_id, day, received, sent, delivered FROM message_daily"
                  " ORDER BY 1, 2")
    want = counts()
    return (got, want) if want == before else None


got, want = env.wait_for(rollup_round, 20, 0.5) or (None, None)
env.check(want and got == want, "the sender refreshes the dashboard rollup from the messages",
          "%r != %r" % ((got or [])[:3], (want or [])[:3]))

# --- A full disk: the sender waits, then sends what is queued ---------------------------
# A copy of the store on a small file system of its own, filled up; the
# sender must stay, say so at most once a minute, and send once there is room.
if env.engine == "postgresql":
    # The disk is the server's: PostgreSQL fails a write with SQLSTATE 53100
    # only when a table or index must grow a page, and the sender's claims
    # and answers rewrite rows in pages that have room, so a filled file
    # system below a database of this size stops nothing the sender does.
    print("SKIP sender: a full disk is the server's on PostgreSQL")
elif os.geteuid() != 0:
    print("SKIP sender: a full disk needs a small file system, which only root may mount")
else:
    small = os.path.join(env.dir, "small")
    os.makedirs(small)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", small], check=True)
    fenv = dict(env.env, IBCHANNEL_DB=os.path.join(small, "ibchannel.db"), IBCHANNEL_LOG="info")
    filler = os.path.join(small, "filler")
    runner = None
    try:
        src, dst = sqlite3.connect(env.db), sqlite3.connect(fenv["IBCHANNEL_DB"])
        src.backup(dst)
        src.close()
        dst.execute("PRAGMA journal_mode = WAL")
        dst.execute("DELETE FROM outbox")
        dst.commit()
        full_uids = []
        for i in range(10):
            p = subprocess.run([os.path.join(BUILD, "ibchannel"), "send", "--connection", cid,
                                "--to", "49151123430%02d" % i, "--text", "after the disk %d" % i],
                               env=fenv, capture_output=True, text=True, check=True)
            full_uids.append(dst.execute("SELECT uid FROM messages WHERE id = ?",
                                         (int(p.stdout.strip()),)).fetchone()[0])
        # An empty WAL (every write must grow it) and this connection open, so
        # that the sender finds the WAL and shared-memory files already there.
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dst.execute("SELECT COUNT(*) FROM messages").fetchone()
        # Unbuffered: a buffered file holding the bytes the full disk refused
        # would try them again at its close and fail there.
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        errlog = open(os.path.join(env.dir, "sender-full.log"), "w")
        runner = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "40"],
                                  env=fenv, stdout=subprocess.DEVNULL, stderr=errlog)

        def said(text):
            with open(errlog.name) as f:
                return sum(text in line for line in f)
        env.check(env.wait_for(lambda: said("disk is full: nothing can be written") >= 1, 15),
                  "disk full: the sender says it waits")
        # It keeps trying (every 5 s at most) and stays; give it a few tries.
        env.check(not env.wait_for(lambda: runner.poll() is not None, 12),
                  "disk full: the sender stays and waits", str(runner.poll()))
        env.check(not any(sim_messages(u) for u in full_uids),
                  "disk full: nothing was sent")
        env.check(said("disk is full: nothing can be written") == 1
                  and said("database or disk is full") <= 1,
                  "disk full: said once in the first minute, not at every try",
                  open(errlog.name).read()[-1500:])
        os.unlink(filler)
        env.check(env.wait_for(lambda: all(len(sim_messages(u)) == 1 for u in full_uids), 20),
                  "space again: the queued messages are sent",
                  repr([len(sim_messages(u)) for u in full_uids]))
        env.check(said("takes writes again") == 1, "space again: the sender says so")
        env.check(env.wait_for(lambda: all(dst.execute(
            "SELECT status FROM messages WHERE uid = ?", (u,)).fetchone()[0]
            in ("accepted", "delivered") for u in full_uids), 10),
            "space again: each recorded as accepted")
        env.check(all(len(sim_messages(u)) == 1 for u in full_uids),
                  "a full disk: each message reached Infobip exactly once")
        runner.send_signal(signal.SIGTERM)
        env.check(runner.wait(timeout=20) == 0, "and the sender ends cleanly")
        dst.close()
    finally:
        if runner is not None and runner.poll() is None:
            runner.kill()
            runner.wait()
        subprocess.run(["umount", "-l", small])

# Two senders refreshing the rollup at the same moment, over enough
# messages that the refreshes overlap: each ends cleanly (on PostgreSQL the
# second one's insert met the rows the first had just written).
env.sql("INSERT INTO messages (uid, connection_id, direction, text, status, created_at)"
        " SELECT 'daily-' || n, ?, 'in', 'x', 'received', ? FROM (WITH RECURSIVE"
        " c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000) SELECT n FROM c) AS c",
        (cid, time.strftime("%Y-%m-%d 00:00:00.000", time.gmtime())))
ends = []   # (exit status, stderr) of each sender
for _ in range(10):
    procs = [subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--once", "--lock",
                               os.path.join(env.dir, "daily-lock%d" % i)], env=env.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(2)]
    for pr in procs:
        err = pr.communicate(timeout=120)[1]
        ends.append((pr.returncode, err))
env.check(all(rc == 0 for rc, _ in ends), "two senders refreshing the rollup at once end cleanly",
          repr([e for rc, e in ends if rc != 0][:2]))

# The key never reached a log.
logs = "\n".join(t for (t,) in env.sql("SELECT text FROM logs"))
env.check(SIM_KEY not in logs, "API key absent from the logs")
# The admin's counts (sql/019-counts.sql) after this suite's runs, against a full count.
kept_counts.check_exact(env)
env.done()
