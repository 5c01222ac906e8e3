"""Operations, under a real lighttpd: GET /health answers 200 while the store
takes writes and 503 when it cannot (and 200 again after); ibchannel backup
taken during a webhook load is a sound store holding every message
acknowledged before it started; ibchannel check; retention removes old
messages, events and logs in batches and keeps what the sender still needs."""

import base64
import datetime
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env  # noqa: E402
import kept_counts  # noqa: E402

env = Env("operations", procs=1, sync="normal", admin_users={"watcher": "pw"})
cid = env.add_connection()
SMS = "/channel/%s/webhook/sms" % cid


def mo(items):
    return {"results": [{"messageId": m, "from": frm, "to": "447491163443", "text": text}
                        for m, frm, text in items],
            "messageCount": len(items), "pendingMessageCount": 0}


def post(body):
    try:
        return env.post(SMS, body, timeout=30).status
    except Exception as e:  # a reset connection: Infobip retries it
        return "error: %s" % str(e)[:80]


def health():
    r = env.get("/health")
    try:
        return r.status, r.json()
    except ValueError:
        return r.status, None


# --- /health --------------------------------------------------------------------
st, j = health()
env.check(st == 200 and j and j.get("status") == "ok" and j.get("store") == "writable",
          "/health: 200 with the store writable", repr((st, j)))
env.check(j and "sender_last_run" in j and j["sender_last_run"] is None,
          "/health: sender never ran: null", repr(j))
env.cli("sender", "--once")
st, j = health()
env.check(st == 200 and j and j.get("sender_last_run") and j.get("sender_seconds_ago") is not None
          and 0 <= j["sender_seconds_ago"] < 3600,
          "/health: the sender's last run once it ran", repr(j))
r = env.post("/health", {"x": 1})
env.check(r.status == 405, "/health: POST is 405", r.status)

if env.engine == "sqlite":
    files = [env.db, env.db + "-wal"]
    if env.check(subprocess.run(["chattr", "+i"] + files).returncode == 0,
                 "store and WAL made immutable"):
        try:
            st, j = health()
        finally:
            subprocess.run(["chattr", "-i"] + files)
        env.check(st == 503 and j and j.get("status") == "unavailable",
                  "/health: 503 when the store cannot be written", repr((st, j)))
        env.check(env.wait_for(lambda: health()[0] == 200, timeout=10),
                  "/health: 200 again once it is writable")
else:
    # PostgreSQL's store that cannot be written: the database makes every
    # new session read-only, and the program's session is ended so that it
    # connects again (the first request after may find it lost). Undone the
    # same way.
    def read_only(on):
        env.sql("BEGIN READ WRITE; ALTER DATABASE \"%s\" %s; COMMIT" % (
            env.sql1("SELECT current_database()"),
            "SET default_transaction_read_only = on" if on else
            "RESET default_transaction_read_only"))
        env.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                " current_database() AND pid <> pg_backend_pid()")
    read_only(True)
    try:
        seen = [health() for _ in range(3)]
    finally:
        read_only(False)
    st, j = seen[-1]
    env.check(all(s == 503 for s, _ in seen) and j and j.get("status") == "unavailable",
              "/health: 503 while the database takes no writes", repr(seen))
    env.check(env.wait_for(lambda: health()[0] == 200, timeout=10),
              "/health: 200 again once it takes writes")

# --- backup during a webhook load ------------------------------------------------
acked = {}          # messageId -> time its 200 came back
lock = threading.Lock()
stop = threading.Event()


def load(k):
    i = 0
    while not stop.is_set() and i < 400:
        mid = "bk-%d-%d" % (k, i)
        if post(mo([(mid, "4915%04d%04d" % (k, i), "load")])) == 200:
            with lock:
                acked[mid] = time.monotonic()
        i += 1


workers = [threading.Thread(target=load, args=(k,)) for k in range(6)]
for t in workers:
    t.start()
env.wait_for(lambda: len(acked) >= 100, timeout=30)
backup = os.path.join(env.dir, "backup.db")
with lock:
    before = set(acked)
if env.engine == "sqlite":
    p = env.cli("backup", backup, check=False)
else:
    # ibchannel backup refuses a server's store and names pg_dump: the
    # dump is taken with it, as README says, and must hold the same.
    p = env.cli("backup", backup, check=False)
    env.check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
              and "pg_dump" in p.stderr and not os.path.exists(backup),
              "backup on PostgreSQL: refused in one line naming pg_dump, no file", p.stderr)
    p = subprocess.run(["pg_dump", "-Fc", "-f", backup, "-d", env.db], capture_output=True,
                       text=True)
with lock:
    during = len(acked) - len(before)
stop.set()
for t in workers:
    t.join()
env.check(p.returncode == 0 and os.path.exists(backup), "backup taken", p.stderr)
env.check(during > 0 or len(acked) > len(before),
          "webhooks went on being answered around the backup", "%d" % during)
if os.path.exists(backup) and env.engine == "sqlite":
    db = sqlite3.connect(backup)
    try:
        env.check(db.execute("PRAGMA integrity_check").fetchall() == [("ok",)],
                  "the backup passes integrity_check")
        in_backup = set(x for (x,) in db.execute(
            "SELECT infobip_id FROM messages WHERE infobip_id LIKE 'bk-%'"))
        env.check(db.execute("PRAGMA journal_mode").fetchone()[0] == "delete",
                  "the backup is one file (not WAL)")
    finally:
        db.close()
    benv = dict(env.env, IBCHANNEL_DB=backup)
elif os.path.exists(backup):
    from harness import new_pg_database, pg_rows  # noqa: E402
    restored = new_pg_database()
    r = subprocess.run(["pg_restore", "-d", restored, backup], capture_output=True, text=True)
    env.check(r.returncode == 0, "the dump restores into an empty database", r.stderr)
    in_backup = set(x for (x,) in pg_rows(
        restored, "SELECT infobip_id FROM messages WHERE infobip_id LIKE 'bk-%'"))
    benv = dict(env.env, IBCHANNEL_DB=restored)
if os.path.exists(backup):
    missing = before - in_backup
    env.check(len(before) >= 100 and not missing,
              "every message acknowledged before the backup is in it",
              "%d acknowledged, %d missing" % (len(before), len(missing)))
    p2 = env.cli("backup", backup, check=False)
    env.check(p2.returncode == 1 and ("exists" if env.engine == "sqlite" else "pg_dump")
              in p2.stderr, "a backup never replaces a file", p2.stderr)
    chk = env.cli("check", check=False)
    env.check(chk.returncode == 0 and "integrity ok" in chk.stdout and "schema version" in chk.stdout,
              "ibchannel check: ok and the schema version", chk.stdout + chk.stderr)
    chk = subprocess.run([os.path.join(BUILD, "ibchannel"), "check"],
                         env=benv, capture_output=True, text=True)
    env.check(chk.returncode == 0 and "integrity ok" in chk.stdout,
              "ibchannel check on the backup", chk.stdout + chk.stderr)

# --- retention --------------------------------------------------------------------
# Old messages (the load's first ones), one of them still held in the outbox and
# one a campaign recipient's; an event of an old message and old events; 1200
# old log entries (more than two batches) after the young ones of the Start.
def stamp(days=0, fmt="%Y-%m-%d %H:%M:%S.%f"):
    """Now, or days from now, as a literal in the store's text form (both engines)."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return "'%s'" % (t.strftime(fmt)[:23] if "%f" in fmt else t.strftime(fmt))


OLD = stamp(-40)
old_ids = [i for (i,) in env.sql("SELECT id FROM messages ORDER BY id LIMIT 600")]
young_n = env.sql1("SELECT COUNT(*) FROM messages") - len(old_ids)
env.sql("UPDATE messages SET created_at = %s WHERE id <= ?" % OLD, (old_ids[-1],))
held = old_ids[10]
env.sql("INSERT INTO outbox (message_id, held_since, last_error) VALUES (?, %s, 'test: held')"
        % stamp(), (held,))
env.sql("INSERT INTO campaigns (connection_id, name, text) VALUES (?, 'c', 't')", (cid,))
env.sql("INSERT INTO campaign_recipients (campaign_id, phone, status, message_id)"
        " VALUES (1, '+491500000001', 'queued', ?)", (old_ids[20],))
env.sql("INSERT INTO message_events (connection_id, message_uid, message_id, kind, applied, raw)"
        " SELECT connection_id, uid, id, 'click', 1, '{}' FROM messages WHERE id = ?", (old_ids[30],))
env.sql("INSERT INTO message_events (connection_id, message_uid, kind, applied, raw, received_at)"
        " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700)"
        " SELECT ?, 'old-' || i, 'report', 0, '{}', %s FROM n" % OLD, (cid,))
# An early report for a message that never appears, sent three times as
# Infobip retries: kept once, waiting, until retention removes it.
early = {"results": [{"messageId": "never-appears-1", "to": "41793026727", "status": {
    "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
    "doneAt": "2026-11-27T10:00:01.000+0000"}]}
for _ in range(3):
    env.post("/channel/%s/webhook/reports" % cid, early)
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = 'never-appears-1'"
                   " AND applied = 0") == 1, "an early report sent three times is kept once")
env.sql("UPDATE message_events SET received_at = %s WHERE message_uid = 'never-appears-1'" % OLD)
young_logs = env.sql1("SELECT COUNT(*) FROM logs")
env.sql("INSERT INTO logs (connection_id, level, event, text, at)"
        " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)"
        " SELECT ?, 'info', 'old', 'old entry ' || i, %s FROM n" % OLD, (cid,))
snap_before = env.sql1("SELECT COUNT(*) FROM messages")

env.cli("sender", "--once")
env.check(env.sql1("SELECT COUNT(*) FROM messages") == snap_before,
          "retention off by default: nothing removed")

for name in ("retain_messages_days", "retain_events_days", "retain_logs_days"):
    env.cli("settings", "set", name, "30")
env.cli("sender", "--once")
left = env.sql1("SELECT COUNT(*) FROM messages WHERE created_at < %s" % stamp(-30, "%Y-%m-%d"))
env.check(left == 1 and env.sql1("SELECT COUNT(*) FROM messages WHERE id = ?", (held,)) == 1,
          "old messages removed but the one the outbox holds", "%d old left" % left)
env.check(env.sql1("SELECT COUNT(*) FROM messages") == young_n + 1,
          "young messages kept", "%d" % env.sql1("SELECT COUNT(*) FROM messages"))
env.check(env.sql1("SELECT COUNT(*) FROM campaign_recipients WHERE message_id IS NULL AND status = 'queued'") == 1,
          "the campaign recipient keeps its row, without its message")
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE kind = 'click' AND message_id IS NULL") == 1,
          "a young event of a removed message stays, unlinked")
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid LIKE 'old-%'") == 0,
          "old events removed")
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = 'never-appears-1'") == 0,
          "an old early report whose message never appeared is removed")
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'old'") == 0
          and env.sql1("SELECT COUNT(*) FROM logs WHERE event <> 'old'") >= young_logs,
          "old log entries removed (over several batches), young ones kept")
if env.engine == "sqlite":
    env.check(env.sql("PRAGMA foreign_key_check") == [], "no dangling reference")
else:
    # PostgreSQL refuses a dangling reference as it happens: check says
    # that every foreign key is validated and its triggers enabled.
    chk = env.cli("check", check=False)
    env.check(chk.returncode == 0 and "integrity ok" in chk.stdout,
              "no dangling reference (every foreign key enforced)", chk.stdout + chk.stderr)
# The admin's counts (sql/019-counts.sql) lost what retention removed.
kept_counts.check_exact(env, " after retention")
st, _ = health()
env.check(st == 200, "/health still 200 after retention")

# --- /admin/metrics -----------------------------------------------------------------
r = env.get("/admin/metrics")
env.check(r.status == 401, "/admin/metrics without credentials: 401", r.status)
env.cli("user", "set", "watcher", "viewer")
auth = {"Authorization": "Basic " + base64.b64encode(b"watcher:pw").decode()}
r = env.request("GET", "/admin/metrics", headers=auth)
env.check(r.status == 200 and r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          "/admin/metrics: 200 in Prometheus' text format for a viewer", repr((r.status, r.headers)))
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$')
helped, typed, samples, bad = set(), {}, {}, []
for line in r.text.splitlines():
    if line.startswith("# HELP "):
        helped.add(line.split()[2])
    elif line.startswith("# TYPE "):
        typed[line.split()[2]] = line.split()[3]
        if line.split()[3] not in ("gauge", "counter", "histogram"):
            bad.append(line)
    else:
        m = SAMPLE.match(line)
        try:
            # a histogram's samples are its name with _bucket, _sum or _count
            if not m or (m.group(1) not in typed and not any(
                    m.group(1) == f + s and t == "histogram" for f, t in typed.items()
                    for s in ("_bucket", "_sum", "_count"))):
                raise ValueError
            samples[line.rsplit(" ", 1)[0]] = float(m.group(4))
        except ValueError:
            bad.append(line)
env.check(not bad and helped == set(typed), "every line parses; each family has HELP and TYPE first", repr(bad[:3]))
want_in = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND status = 'received'")
env.check(samples.get('ibchannel_messages{direction="in",status="received"}') == want_in,
          "messages in by status counted from the store", "%r vs %r" % (
              samples.get('ibchannel_messages{direction="in",status="received"}'), want_in))
env.check(samples.get('ibchannel_outbox_messages{state="held"}') == 1,
          "outbox depth by state", repr([k for k in samples if "outbox" in k]))
env.check(samples.get("ibchannel_sender_last_run_timestamp_seconds", 0) > time.time() - 3600,
          "the sender's last run as a Unix time")
env.check(samples.get('ibchannel_connections{status="RUNNING"}') == 1, "connections by status")
for k in ("ibchannel_outbox_oldest_seconds", "ibchannel_agent_queue_messages",
          "ibchannel_agent_queue_oldest_seconds", "ibchannel_reports_waiting"):
    env.check(k in samples, "metric %s present" % k)
env.done()
