"""Several senders on one PostgreSQL store, and several report programs:
20,000 queued messages and a running campaign with a rate limit go out
through two senders at once, one of them killed with SIGKILL mid-run; each
message reaches the Infobip simulator exactly once, the campaign's rate
holds across the senders, reports posted to two reports.fcgi processes at
once are stored once and never move a status backwards, and what one sender
does for all (the dashboard's rollup, retention) survives two starting at
the same moment.

It starts its own throwaway cluster (tests/pg.py), so tests/run.sh runs it
once; without PostgreSQL's programs it says so and passes nothing.
PG_SENDERS_QUEUED=N queues N messages instead of 20,000 (a quicker run).
"""

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import pg  # noqa: E402

QUEUED = int(os.environ.get("PG_SENDERS_QUEUED", "20000"))
RATE = 600              # the campaign's messages per minute: 10 a second
RECIPIENTS = 150        # about 15 s of the campaign at that rate
WINDOW = 3.0            # seconds per window of the rate's check

cluster = pg.suite_cluster()
import harness  # noqa: E402  (reads IBCHANNEL_TEST_PG at import)
from harness import Env  # noqa: E402

env = Env("pg_senders", procs=2)
env.check(env.engine == "postgresql", "the store is on PostgreSQL", env.engine)
cid = env.add_connection(sender="InfoSMS")
aid, _ = env.add_rules_agent(cid)
REPORTS = "/channel/%s/webhook/reports" % cid
# A killed sender's claims lapse within seconds, unsure sends settle in seconds.
# Shorter leases lapse under a busy machine's load while their sender still
# works through its claim: safe (the mark checks the lease), but each such
# message is then looked up in Infobip's logs, one request each.
env.cli("settings", "set", "send_lease_seconds", "10")
env.cli("settings", "set", "unsure_resend_after_seconds", "1")
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1,1,1,1")


def sender(name, seconds):
    return env.start_sender(seconds, log=name + ".log")


def stop(*procs):
    """Ends senders with SIGTERM as cron's next minute would find them; one
    that does not end within 30 s is a failure, shown with what its
    database sessions wait for, and killed."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            waits = env.sql("SELECT pid, state, wait_event_type, wait_event,"
                            " left(query, 120) FROM pg_stat_activity"
                            " WHERE datname = current_database()")
            env.check(False, "sender %d ended on SIGTERM" % p.pid, repr(waits))
            p.kill()
            p.wait()


def campaign(name, prefix, rate, n):
    """A started campaign of n recipients +PREFIX..., at rate a minute; its number."""
    path = os.path.join(env.dir, name + ".csv")
    with open(path, "w") as f:
        f.write("phone,name\n")
        for i in range(n):
            f.write("+%s%08d,R%d\n" % (prefix, i, i))
    camp = env.cli("campaign", "create", "--name", name, "--connection", cid,
                   "--agent", aid, "--text", "Hi {{name}}", "--rate", str(rate)).stdout.strip()
    env.cli("campaign", "import", camp, path)
    env.cli("campaign", "start", camp)
    return camp


def rate_held(what, camp, prefix, rate, n):
    """Checks from the messages' times that no window of WINDOW seconds
    released more than the rate allows (a second's worth may come at once,
    and a second more for the time between a sender's reading of the bucket
    and its rows' timestamps on a busy machine) and that the n releases
    took the time the rate asks (within 10%); returns the releases a
    second."""
    times = [r[0] for r in env.sql(
        "SELECT extract(epoch FROM created_at::timestamp) FROM messages"
        " WHERE author = 'campaign' AND recipient LIKE ? ORDER BY 1", ("+%s%%" % prefix,))]
    worst, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - WINDOW:
            j += 1
        worst = max(worst, i - j + 1)
    per = rate / 60.0
    span = times[-1] - times[0] if len(times) > 1 else 0
    allowed = per * (WINDOW + 1) + max(1, per)
    print("campaign %s: %d released over %.1f s (%.1f a second, the rate %.1f);"
          " at most %d in any %.0f s, allowed %.0f"
          % (what, len(times), span, len(times) / span if span else 0, per, worst,
             WINDOW, allowed), flush=True)
    env.check(len(times) == n, "campaign %s: every recipient released once" % what,
              len(times))
    env.check(worst <= allowed, "campaign %s: the rate held across the senders" % what,
              "%d in %.0f s" % (worst, WINDOW))
    env.check(span >= (n - max(1, per)) / per * 0.9,
              "campaign %s: the releases took the time the rate asks" % what,
              "%.1f s" % span)
    env.check(env.wait_for(lambda: env.sql1("SELECT state FROM campaigns WHERE id = ?",
                                            (int(camp),)) == "completed", 5),
              "campaign %s completed" % what)
    return len(times) / span if span else 0


# --- Without a file lock: a second sender runs alongside the first ---------------------
a = sender("first", 3)
b = sender("second", 3)
# Neither leaves early: both still run a second and a half in.
early = env.wait_for(lambda: a.poll() is not None or b.poll() is not None, 1.5)
ra, rb = a.wait(timeout=30), b.wait(timeout=30)
logs = env.read_var("first.log") + env.read_var("second.log")
env.check(not early and ra == 0 and rb == 0 and "another sender holds" not in logs,
          "two senders ran at once on PostgreSQL, neither left for a lock", logs[-500:])

# --- 20,000 queued messages and a campaign -----------------------------------------------
t0 = time.time()
env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
        " text, status) SELECT 'pgs-' || lpad(i::text, 6, '0'), ?, 'out', 'agent',"
        " 'InfoSMS', '+49151' || lpad(i::text, 8, '0'), 'Hello number ' || i, 'queued'"
        " FROM generate_series(1, ?) i", (cid, QUEUED))
env.sql("INSERT INTO outbox (message_id) SELECT id FROM messages WHERE uid LIKE 'pgs-%'")
print("queued %d messages in %.1f s" % (QUEUED, time.time() - t0), flush=True)

camp = campaign("TWO_SENDERS", "4916", RATE, RECIPIENTS)

# --- Two senders; one killed mid-request, the next cron turn takes its place -------------
t0 = time.time()
a = sender("a", 90)
b = sender("b", 90)


def accepted():
    return env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'"
                    " AND status IN ('accepted', 'delivered')") or 0


def sends(since):
    return env.sim("/_sim/requests?path=/sms/3/messages&since=%d" % since)["requests"]


env.wait_for(lambda: accepted() >= QUEUED // 4, 60, 1.0)
# The next request is taken by Infobip, then its answer hangs: the sender
# that made it is killed while it waits. Reports of what is sent meanwhile
# are held back, so that only Infobip's logs can tell what became of it.
seq = max([r["seq"] for r in sends(0)] or [0])
env.sim("/_sim/config", {"dlr_outcome": "none"})
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "accept_then_hang",
                        "delay": 20})
hung = env.wait_for(lambda: [r for r in sends(seq) if r.get("fault") == "accept_then_hang"],
                    30, 0.2)
env.sim("/_sim/config", {"dlr_outcome": "delivered"})
victim = None
if env.check(hung, "a request hung at the simulator"):
    first = json.loads(hung[0]["body"])["messages"][0]["destinations"][0]["messageId"]
    owner = env.sql1("SELECT o.lease_owner FROM outbox o JOIN messages m ON m.id ="
                     " o.message_id WHERE m.uid = ?", (first,)) or ""
    victim = a if ":%d:" % a.pid in owner else b if ":%d:" % b.pid in owner else None
env.check(victim is not None, "the hung request is a sender's")
victim = victim or a
os.kill(victim.pid, signal.SIGKILL)
victim.wait()
held = dict(env.sql("SELECT m.status, COUNT(*) FROM outbox o JOIN messages m"
                    " ON m.id = o.message_id WHERE o.lease_owner LIKE ?"
                    " GROUP BY m.status", ("%%:%d:%%" % victim.pid,)))
print("sender %s killed after %.1f s (%d accepted) while its request hung; it held %s"
      % ("a" if victim is a else "b", time.time() - t0, accepted(), json.dumps(held)),
      flush=True)
env.check(held.get("sending", 0) > 0, "the killed sender had a request in flight",
          json.dumps(held))
c = sender("c", 90)
total = QUEUED + RECIPIENTS


def settled():
    left = env.sql1("SELECT COUNT(*) FROM outbox")
    return left == 0 and env.sql1("SELECT COUNT(*) FROM campaign_recipients"
                                  " WHERE status IN ('planned', 'queued')") == 0


ok = env.wait_for(settled, 150, 1.0)
took = time.time() - t0
stop(a, b, c)
env.check(ok, "everything sent within the deadline",
          "outbox %s" % env.sql1("SELECT COUNT(*) FROM outbox"))

# --- Each message reached the simulator exactly once ----------------------------------------
sim = env.sim("/_sim/messages")["messages"]
seen = collections.Counter(m["messageId"] for m in sim)
outcome = {m["messageId"]: m["outcome"] for m in sim}
ours = dict(env.sql("SELECT uid, status FROM messages WHERE direction = 'out'"))
twice = [u for u, n in seen.items() if n > 1]
missing = [u for u in ours if u not in seen]
print("%d messages (%d queued, %d of the campaign) through two senders in %.1f s:"
      " %.0f a second; the simulator saw %d ids, %d twice, %d of ours missing"
      % (len(ours), QUEUED, RECIPIENTS, took, len(ours) / took, len(seen), len(twice),
         len(missing)), flush=True)
env.check(len(ours) == total, "every message and every recipient's message is stored",
          "%d of %d" % (len(ours), total))
env.check(not twice, "no message reached the simulator twice", repr(twice[:5]))
env.check(not missing and set(seen) == set(ours),
          "every message reached the simulator", repr(missing[:5]))
hung_ids = [d["messageId"] for m in json.loads(hung[0]["body"])["messages"]
            for d in m["destinations"]] if hung else []
env.check(hung_ids and all(seen[u] == 1 and ours.get(u) == "accepted" for u in hung_ids),
          "the killed sender's hung request: each of its messages settled accepted from"
          " Infobip's logs, none sent again", repr([(u, seen[u], ours.get(u))
                                                    for u in hung_ids[:3]]))
lookups = len([r for r in env.sim("/_sim/requests?path=/sms/3/logs")["requests"]])
reconciled = env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'reconcile'")
print("settled after the kill: %d lookup(s) in Infobip's logs, %d reconcile line(s);"
      " %d message(s) sent while reports were held back" % (
          lookups, reconciled, sum(1 for o in outcome.values() if o == "none")), flush=True)
want = {u: "delivered" if outcome.get(u) == "delivered" else "accepted" for u in ours}


def delivered():
    now = dict(env.sql("SELECT uid, status FROM messages WHERE direction = 'out'"))
    return [u for u in want if now.get(u) != want[u]]


late = env.wait_for(lambda: not delivered(), 40, 1.0)
wrong = delivered()
env.check(not wrong, "every message sent, delivered by its report (accepted when Infobip"
          " sent none)", "%d not: %s" % (len(wrong), repr(wrong[:5])))
dup = env.sql1("SELECT COUNT(*) FROM (SELECT message_uid FROM message_events"
               " WHERE kind = 'report' GROUP BY message_uid HAVING COUNT(*) > 1) d")
reports = env.sql1("SELECT COUNT(*) FROM message_events WHERE kind = 'report'")
env.check(dup == 0 and reports == sum(1 for u in want if want[u] == "delivered"),
          "each message's report kept once", "%s kept twice, %s in all" % (dup, reports))
retried = sum(1 for m in sim for t in m["dlr_attempts"] if t["status"] != 200)
print("reports: %d kept; %d push(es) answered other than 200 and tried again"
      % (reports, retried), flush=True)

# --- The campaign's rate held across both senders -------------------------------------------
rate_held("beside the 20,000", camp, "4916", RATE, RECIPIENTS)
# With nothing else to send the senders could release far faster: only the
# store's bucket, shared by both, holds them to the rate.
idle = campaign("IDLE_SENDERS", "4917", 1200, 200)
d, e = sender("d", 60), sender("e", 60)
env.wait_for(lambda: env.sql1("SELECT COUNT(*) FROM campaign_recipients r JOIN campaigns c"
                              " ON c.id = r.campaign_id WHERE c.name = 'IDLE_SENDERS'"
                              " AND r.status IN ('planned', 'queued')") == 0, 40, 1.0)
stop(d, e)
per = rate_held("of two idle senders", idle, "4917", 1200, 200)
seen = collections.Counter(m["messageId"] for m in env.sim("/_sim/messages?to=")["messages"]
                           if m["to"].startswith("4917"))
env.check(len(seen) == 200 and set(seen.values()) == {1},
          "each of its messages reached the simulator once",
          "%d ids, %d twice" % (len(seen), sum(1 for v in seen.values() if v > 1)))
env.check(per >= 0.8 * 1200 / 60.0, "the idle senders released at the rate, not below it",
          "%.1f a second" % per)
logs = "".join(env.read_var(n + ".log") for n in ("a", "b", "c", "d", "e"))
env.check("stopped on a store" not in logs and "deadlock" not in logs,
          "no sender stopped on a store error or met a deadlock",
          "\n".join(l for l in logs.splitlines() if "error" in l.lower())[-800:])

# --- Two reports.fcgi at once: a report posted concurrently is stored once ---------------------
uid = "pgs-000001"


def report(group_id, group, name, done_at):
    return {"results": [{"messageId": uid, "to": "4915100000001", "doneAt": done_at,
                         "status": {"groupId": group_id, "groupName": group,
                                    "id": 5, "name": name}}]}


def at_once(bodies):
    """POSTs every body at the same moment, one thread each; the statuses."""
    gate, out = threading.Barrier(len(bodies)), []

    def one(b):
        gate.wait()
        out.append(env.post(REPORTS, b).status)
    ts = [threading.Thread(target=one, args=(b,)) for b in bodies]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


env.sql("UPDATE messages SET status = 'failed', status_description = 'marked here'"
        " WHERE uid = ?", (uid,))
final = report(3, "DELIVERED", "DELIVERED_TO_HANDSET", "2026-12-07T01:00:00.000+0000")
late = report(1, "PENDING", "PENDING_WAITING_DELIVERY", "2026-12-07T00:59:00.000+0000")
other = report(5, "REJECTED", "REJECTED_NETWORK", "2026-12-07T01:00:01.000+0000")
before = env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = ?", (uid,))
codes = at_once([final] * 6 + [late] * 6 + [other] * 2)
kept = env.sql("SELECT status, COUNT(*) FROM message_events WHERE message_uid = ?"
               " GROUP BY status ORDER BY 1", (uid,))
env.check(all(c == 200 for c in codes), "every concurrent post answered 200", repr(codes))
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = ?", (uid,))
          - before == 3 and ("rejected", 1) in kept and ("accepted", 1) in kept,
          "each report posted several times at once is kept once", repr(kept))
st = env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,))
env.check(st in ("delivered", "rejected"),
          "a final report corrected our own failed; the late PENDING did not undo it", st)
fixed = env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'report' AND text LIKE ?",
                 ("%%%s%%no longer failed%%" % uid,))
env.check(fixed == 1, "one correction of failed logged, not one per concurrent final report",
          fixed)
codes = at_once([late] * 8)
env.check(env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,)) == st,
          "late PENDING reports posted at once leave the final status", repr(codes))
print("reports: %d posts at once to %d programs; kept %s; status %s" % (
    14, 2, json.dumps(kept), st), flush=True)

# --- What one sender does for all: two started at the same moment ----------------------------
# 300 connections make the dashboard's rollup 900 rows: long enough that two
# senders writing it at once would collide (its rows are deleted and written
# again); old log rows give retention work. Each of these runs both at their
# first turn.
env.sql("INSERT INTO connections (id, name, api_url, sender, api_key_enc)"
        " SELECT md5(i::text), 'day ' || i, 'http://127.0.0.1:9', 'S', ''"
        " FROM generate_series(1, 300) i")
env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
        " text, status, created_at) SELECT 'day-' || i || '-' || d, md5(i::text), 'out',"
        " 'agent', 'S', '+4915100000001', 'x', 'delivered', to_char((now() AT TIME ZONE"
        " 'UTC') - d * interval '1 day', 'YYYY-MM-DD HH24:MI:SS.MS')"
        " FROM generate_series(1, 300) i, generate_series(0, 2) d")
env.sql("INSERT INTO logs (connection_id, level, event, text, at) SELECT ?, 'info',"
        " 'old', 'old line ' || i, '2020-01-01 00:00:00.000' FROM generate_series(1, 20000) i",
        (cid,))
env.cli("settings", "set", "retain_logs_days", "1")
bad = []
for _ in range(4):
    ps = [subprocess.Popen([os.path.join(harness.BUILD, "ibchannel"), "sender", "--once"],
                           env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
          for _ in range(2)]
    for p in ps:
        err = p.communicate(timeout=60)[1].decode(errors="replace")
        if p.returncode != 0 or "ibchannel error" in err:
            bad.append(err[-300:])
env.check(not bad, "two senders at once write the dashboard's rollup and remove old rows"
          " without an error", repr(bad[:2]))
env.check(env.sql1("SELECT SUM(sent) FROM message_daily WHERE connection_id IN"
                   " (SELECT md5(i::text) FROM generate_series(1, 300) i)") == 900,
          "the rollup counts each message once")
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'old'") == 0,
          "retention removed every old log line")
env.done()
