"""The store's primary lost, and its standby: a PostgreSQL primary with a
synchronous standby, promoted by pg_auto_failover (tests/pgha.py), under
webhook load while two senders send a queue. The programs reach the store
through the multi-host URI with target_session_attrs=read-write and are
never restarted.

- A primary made read-only: the webhooks answer 503 (never 200), the
  programs look for a writable server (the session is reset), and answer
  200 again once it takes writes.
- The primary killed (kill -9 of its keeper and its PostgreSQL, as when
  the machine goes): the standby is promoted; requests during the
  failover answer 503 and succeed on retry; every id answered 200 is on
  the new primary exactly once; each queued message reaches the
  simulator exactly once. The time without service is printed.
- The old primary's keeper started again: it comes back as the standby
  and never takes writes; at no time do two servers take writes.
- The standby killed: commits go on once pg_auto_failover drops the
  synchronous standby (the stall is printed); /health and /admin/metrics
  say the store runs without a standby; the standby back, they say it is
  synchronous again.

Its own cluster, so tests/run.sh runs it once."""

import atexit
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import pgha  # noqa: E402

if not pgha.have_pg_autoctl():
    # deploy/deps.sh installs them: their absence is a failure, not a skip.
    print("FAIL: pg_autoctl or PostgreSQL 15's pgautofailover extension is"
          " missing (bash deploy/deps.sh)")
    print("0 passed, 1 failed", flush=True)
    sys.exit(1)

cluster = pgha.Cluster()
atexit.register(cluster.stop)
t0 = time.monotonic()
cluster.start()
URI = cluster.create_database("failover")
print("the pair is up in %.1f s: %s" % (time.monotonic() - t0, cluster.state()), flush=True)
os.environ["IBCHANNEL_TEST_PG"] = URI
sys.path.insert(0, HERE)
from harness import BUILD, Env, wait_for  # noqa: E402
from webhook_load import Load, fcgi_pids  # noqa: E402

ADMIN = {"ops": "ops-pw"}
# sync full: synchronous_commit on, so a 200 waits for the standby.
env = Env("pg_failover", db=URI, procs=2, sync="full", admin_users=ADMIN)
env.set_roles({"ops": "admin"})
cid = env.add_connection()
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1")
env.cli("settings", "set", "send_lease_seconds", "2")
# A mark whose commit the failover cut off leaves its message unsure: it is
# sent again once two lookups did not find it, the second this long after.
env.cli("settings", "set", "unsure_resend_after_seconds", "1")
env.cli("settings", "set", "send_batch_size", "1")
# Each send takes a while, so the senders are sending when the primary goes.
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "slow", "delay": 0.3,
                        "count": 100000})


def on_primary(sql):
    """sql's output on the node the monitor holds for primary."""
    return cluster.query(cluster.primary(), sql, db="failover")


def get(path):
    kw = {"headers": env.auth("ops")} if path.startswith("/admin") else {}
    try:
        r = env.get(path, timeout=30, **kw)
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)
    return r.status, r.text


def health():
    """/health's status and JSON ({} when not JSON)."""
    status, text = get("/health")
    try:
        return status, json.loads(text)
    except (TypeError, ValueError):
        return status, {}


def metric(name):
    """A gauge's value in /admin/metrics (None when absent or not 200)."""
    status, text = get("/admin/metrics")
    m = re.search(r"(?m)^%s (\S+)$" % re.escape(name), text or "")
    return float(m.group(1)) if status == 200 and m else None


class TwoPrimaries:
    """Asks both nodes, all along, whether they take writes: never both."""

    def __init__(self):
        self.both = []
        self.asked = 0
        self.stopping = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping.is_set():
            w = [n for n in pgha.NODES if cluster.writable(n)]
            self.asked += 1
            if len(w) > 1:
                self.both.append(time.time())
            self.stopping.wait(0.3)

    def stop(self):
        self.stopping.set()
        self.t.join(30)


watch = TwoPrimaries()

# --- Before: synchronous, and said so ---------------------------------------------

status, h = health()
env.check(status == 200 and h.get("store_standbys") == 1 and
          h.get("store_synchronous_standbys") == 1,
          "/health: 200, one standby, synchronous", "%s %r" % (status, h))
env.check(metric("ibchannel_store_standbys") == 1 and
          metric("ibchannel_store_sync_standby") == 1,
          "/admin/metrics: one standby, synchronous")
sync = on_primary("SELECT current_setting('synchronous_standby_names')")
env.check(sync.startswith("ANY 1 ("), "the primary's synchronous_standby_names names the"
          " standby (%s)" % sync)

QUEUED = 40
uids = []
for i in range(QUEUED):
    p = env.cli("send", "--connection", cid, "--to", "4915112399%03d" % i,
                "--text", "queued %d" % i)
    uids.append(env.sql1("SELECT uid FROM messages WHERE id = ?", (int(p.stdout.strip()),)))
env.check(len(set(uids)) == QUEUED and all(uids), "%d messages queued" % QUEUED)


def sent_uids():
    return [m["messageId"] for m in env.sim("/_sim/messages")["messages"]
            if m["messageId"] in uids]


senders = [env.start_sender(900, "sender%d.log" % n) for n in (1, 2)]
atexit.register(lambda: [s.kill() for s in senders if s.poll() is None])
env.check(wait_for(lambda: len(fcgi_pids(env)) >= 3, 20), "lighttpd runs the programs")
pids = fcgi_pids(env)
load = Load(env, cid, ["mo", "mo", "mo", "dlr", "dlr"], "fo", timeout=60, give_up=180)
load.start()
env.check(wait_for(lambda: len(load.since(0, 200)) >= 20, 30), "the load is answered 200")
env.check(wait_for(lambda: len(sent_uids()) >= 2, 30), "the senders are sending")

# --- A primary that turns read-only --------------------------------------------------

first = cluster.primary()
cluster.query(first, "ALTER SYSTEM SET default_transaction_read_only = on", db="postgres")
cluster.query(first, "SELECT pg_reload_conf()", db="postgres")
ro = time.time()
env.check(wait_for(lambda: len(load.since(ro, 503)) >= 5, 30),
          "read-only primary: the webhooks answer 503")
mid = time.time()
env.check(wait_for(lambda: len(load.since(mid)) >= 10, 30) and not load.since(mid, 200),
          "read-only primary: no webhook answered 200", repr(load.since(mid, 200)[:3]))
# The web programs' writer opens its store again after a failed group;
# the senders keep theirs, whose session is reset at a write refused as
# read-only (25006), so both ask libpq for a writable server, which
# answers that every server's session is read-only.
web = env.read_var("lighttpd.out")
env.check("session is read-only" in web,
          "read-only primary: the web programs looked for a writable server", web[-600:])
env.check(wait_for(lambda: any("cannot reconnect: " in l and "session is read-only" in l
                               for n in (1, 2)
                               for l in env.read_var("sender%d.log" % n).splitlines()), 20),
          "read-only primary: the senders' sessions were reset to look for a writable server",
          env.read_var("sender1.log")[-600:])
cluster.query(first, "ALTER SYSTEM RESET default_transaction_read_only", db="postgres")
cluster.query(first, "SELECT pg_reload_conf()", db="postgres")
back = time.time()
env.check(wait_for(lambda: len(load.since(back, 200)) >= 10, 30),
          "read-only primary made writable: 200 again without a restart")
print("read-only primary: %.1f s without a 200 (%.1f s of it after it took writes"
      " again), %d answers 503" % (load.gap(ro) or -1, load.gap(back) or -1,
                                   len(load.since(ro, 503))), flush=True)

# --- Item 3: the primary killed under load ----------------------------------------

old, new = cluster.primary(), None
standby = cluster.other(old)
sent_before = len(sent_uids())
env.check(sent_before < QUEUED, "the senders are still sending when the primary goes (%d of %d)"
          % (sent_before, QUEUED))
kill_at = time.time()
cluster.kill(old)
env.check(wait_for(lambda: len(load.since(kill_at, 503)) >= 3, 30),
          "failover: the webhooks answer 503 while there is no primary")
env.check(wait_for(lambda: cluster.writable(standby), 60),
          "failover: the standby is promoted and takes writes")
promoted = time.time()
new = standby
env.check(wait_for(lambda: len(load.since(promoted, 200)) >= 10, 60),
          "failover: the webhooks answer 200 again")
outage = load.gap(kill_at)
n503 = len(load.since(kill_at, 503))
n_none = len([a for a in load.since(kill_at) if a[3] is None and a[0] < promoted + 5])
print("failover: promoted %.1f s after the kill; %.1f s without a 200; %d answers 503,"
      " %d broken connections" % (promoted - kill_at, outage or -1, n503, n_none), flush=True)
env.check(outage is not None and outage < 60, "failover: service is back within 60 s (%.1f s)"
          % (outage or -1))
status, h = health()
env.check(status == 200 and h.get("store_standbys") == 0 and
          h.get("store_synchronous_standbys") == 0,
          "failover: /health 200, the new primary runs without a standby", "%s %r" % (status, h))
env.check(wait_for(lambda: len(sent_uids()) > sent_before or len(sent_uids()) >= QUEUED, 60),
          "failover: the senders send again")

# --- Item 4: the old primary comes back as the standby ------------------------------

cluster.restart(old)
try:
    cluster.wait_pair(120)
    paired = True
except RuntimeError as e:
    paired = False
    print(e)
env.check(paired and cluster.primary() == new and cluster.state()[old] == ("secondary", "secondary"),
          "the old primary's keeper again: it is the standby", repr(cluster.state()))
env.check(not cluster.writable(old) and
          cluster.psql(old, "SELECT pg_is_in_recovery()") == (True, "t"),
          "the old primary is in recovery and takes no writes")
ok, err = cluster.psql(old, "CREATE TABLE split_brain (x int)", db="failover")
env.check(not ok and "read-only" in err, "a write on the old primary is refused", err)
status, h = health()
env.check(status == 200 and h.get("store_synchronous_standbys") == 1,
          "rejoined: /health says the standby is synchronous again", "%s %r" % (status, h))

# --- Item 5: the standby killed ------------------------------------------------------

standby = old
stall_at = time.time()
cluster.kill(standby)
env.check(wait_for(lambda: len(load.since(stall_at + 0.5, 200)) >= 10, 60),
          "standby lost: the webhooks are answered 200")
sync_gone = wait_for(lambda: on_primary("SELECT current_setting('synchronous_standby_names')")
                     == "", 30)
env.check(sync_gone, "standby lost: pg_auto_failover empties synchronous_standby_names")
gone_at = time.time()
env.check(wait_for(lambda: len(load.since(gone_at, 200)) >= 10, 30),
          "standby lost: commits go on")
stall = load.gap(stall_at)
slowest = max([a[4] for a in load.since(stall_at, 200)] or [0])
print("standby lost: %.1f s without a 200, slowest 200 took %.1f s" % (stall or -1, slowest),
      flush=True)
status, h = health()
env.check(status == 200 and h.get("store_standbys") == 0 and
          h.get("store_synchronous_standbys") == 0,
          "standby lost: /health 200 and says no standby", "%s %r" % (status, h))
env.check(metric("ibchannel_store_standbys") == 0 and
          metric("ibchannel_store_sync_standby") == 0,
          "standby lost: /admin/metrics says no standby")
cluster.restart(standby)
try:
    cluster.wait_pair(120)
    paired = True
except RuntimeError as e:
    paired = False
    print(e)
env.check(paired and cluster.primary() == new, "the standby is back and synchronous",
          repr(cluster.state()))
env.check(wait_for(lambda: health()[1].get("store_synchronous_standbys") == 1, 30) and
          metric("ibchannel_store_sync_standby") == 1,
          "standby back: /health and /admin/metrics say synchronous again")

# --- What was stored and sent --------------------------------------------------------

back = time.time()
env.check(wait_for(lambda: len(load.since(back, 200)) >= 10, 30), "the load is answered 200")
load.stop()
watch.stop()
env.check(fcgi_pids(env) == pids, "no program was restarted", "%r %r" % (pids, fcgi_pids(env)))
env.check(watch.asked > 20 and not watch.both, "never two servers taking writes (%d looks)"
          % watch.asked, repr(watch.both[:3]))
with load.lock:
    ok_ids, tried = dict(load.ok), dict(load.tried)
env.check(len(ok_ids) > 100 and set(ok_ids) == set(tried),
          "every id tried was answered 200 in the end", "%d of %d" % (len(ok_ids), len(tried)))


def counts(sql):
    out = on_primary(sql)
    return {k: int(v) for k, v in (l.split("|") for l in out.splitlines() if l)}


stored = counts("SELECT infobip_id, COUNT(*) FROM messages WHERE direction = 'in'"
                " AND infobip_id LIKE 'fo-%' GROUP BY infobip_id")
stored.update(counts("SELECT message_uid, COUNT(*) FROM message_events"
                     " WHERE message_uid LIKE 'fo-%' GROUP BY message_uid"))
missing = [m for m in ok_ids if stored.get(m) != 1]
env.check(not missing, "every id answered 200 is on the new primary exactly once (%d)"
          % len(ok_ids), repr([(m, stored.get(m)) for m in missing[:5]]))
env.check(set(stored) <= set(tried) and all(v == 1 for v in stored.values()),
          "no id is stored twice")
retried = len({a[2] for a in load.answers if a[3] != 200})
total503 = len([a for a in load.answers if a[3] == 503])
print("load: %d ids answered 200, %d answers 503, %d ids retried" % (
    len(ok_ids), total503, retried), flush=True)
env.check(total503 >= 5, "the load met the failover (%d answers 503)" % total503)

env.check(wait_for(lambda: len(sent_uids()) >= QUEUED, 120), "every queued message was sent",
          "%d of %d" % (len(sent_uids()), QUEUED))
sent = sent_uids()
dups = sorted(u for u in set(sent) if sent.count(u) > 1)
lookups = sum(len(env.sim("/_sim/requests?path=" + p)["requests"])
              for p in ("/sms/1/logs", "/sms/3/logs"))
print("senders: %d messages queued, %d sends seen by the simulator, %d sent twice,"
      " %d logs lookups (sends left unsure)" % (QUEUED, len(sent), len(dups), lookups),
      flush=True)
env.check(sorted(sent) == sorted(uids), "each queued message reached the simulator exactly once",
          repr(dups))
env.check(all(s.poll() is None for s in senders), "both senders ran through it all")


def settled():
    """Whether every queued message has its outcome in the store: a send
    left unsure by the failover stays 'sending' until a sender's lookup in
    the logs finds it, a little after the simulator saw it."""
    final = counts("SELECT status, COUNT(*) FROM messages WHERE direction = 'out'"
                   " GROUP BY status")
    return (sum(final.values()) == QUEUED and final.get("queued", 0) == 0
            and final.get("sending", 0) == 0)


env.check(wait_for(settled, 120), "every queued message is settled in the store",
          repr(counts("SELECT status, COUNT(*) FROM messages WHERE direction = 'out'"
                      " GROUP BY status")))
for s in senders:
    s.terminate()
    s.wait(30)
env.done()
