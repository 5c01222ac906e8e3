"""Group commit in inbound.fcgi and reports.fcgi, under a real lighttpd:
concurrent requests are committed together and each answered only once its
group is durable; one failing request never fails the others; SIGTERM
answers the requests in hand; kill -9 loses nothing acknowledged; a
read-only store refuses every request of the group."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, psql_program  # noqa: E402

env = Env("groupcommit", procs=1, sync="full")
cid = env.add_connection()
SMS = "/channel/%s/webhook/sms" % cid
REPORTS = "/channel/%s/webhook/reports" % cid
env.sql("INSERT INTO agents (name, kind, status) VALUES ('rules', 'rules', 'RUNNING')")
env.sql("INSERT INTO agent_channels (agent_id, connection_id, inbound) VALUES (1, ?, 1)", (cid,))


def mo(items):
    return {"results": [{"messageId": m, "from": frm, "to": "447491163443", "text": text}
                        for m, frm, text in items],
            "messageCount": len(items), "pendingMessageCount": 0}


def post(path, body, timeout=30):
    try:
        r = env.post(path, body, timeout=timeout)
        return r.status, r.json()
    except Exception as e:  # a reset connection: Infobip retries it
        return "error: %s" % str(e)[:80], None


def wait_for(cond, deadline=20.0, step=0.02):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def program_pids(name):
    lighttpd = env.procs[-1].pid
    out = subprocess.run(["pgrep", "-P", str(lighttpd), "-f", os.path.join(BUILD, name)],
                         capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def count(sql, args=()):
    return env.sql1(sql, args)


def accepted(pid):
    """How many of lighttpd's connections program pid has accepted: its
    open sockets bound to the path of the socket it listens on (fd 0), the
    listener itself left out. Connections still in the listener's backlog
    are not the program's yet: a SIGTERM would leave them refused."""
    def inode(fd):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            return None
        return link[len("socket:["):-1] if link.startswith("socket:[") else None
    paths = {}
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            cols = line.split()
            if len(cols) >= 8:
                paths[cols[6]] = cols[7]
    listener = inode(0)
    path = paths.get(listener)
    if path is None:
        return 0
    fds = os.listdir("/proc/%d/fd" % pid)
    return sum(1 for fd in fds if inode(fd) not in (None, listener)
               and paths.get(inode(fd)) == path)


class WriterHeld:
    """Holds what the program's writer needs, so that the requests sent
    meanwhile wait in one group and none can be answered before its commit:
    on SQLite the write lock (BEGIN IMMEDIATE), on PostgreSQL a lock on
    messages that every insert into it waits for (EXCLUSIVE mode, taken by
    psql in an open transaction). release() lets the writer go on."""

    def __init__(self):
        if env.engine == "sqlite":
            self.db = sqlite3.connect(env.db, timeout=30, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")
            return
        self.psql = subprocess.Popen([psql_program(), "-X", "-A", "-t", "-q", "-v",
                                      "ON_ERROR_STOP=1", "-d", env.db],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.psql.stdin.write("BEGIN;\nLOCK TABLE messages IN EXCLUSIVE MODE;\n"
                              "SELECT 'locked';\n")
        self.psql.stdin.flush()
        if self.psql.stdout.readline().strip() != "locked":
            raise SystemExit("psql did not lock messages")

    def writer_waits(self):
        """Whether the writer is seen waiting (PostgreSQL shows its lock
        wait; SQLite's busy wait shows nowhere, so a short wait stands in)."""
        if env.engine == "sqlite":
            time.sleep(0.3)
            return True
        return wait_for(lambda: count("SELECT COUNT(*) FROM pg_locks WHERE NOT granted"
                                      " AND relation = 'messages'::regclass") > 0, 10)

    def release(self):
        if env.engine == "sqlite":
            self.db.execute("ROLLBACK")
            self.db.close()
            return
        self.psql.stdin.write("ROLLBACK;\n")
        self.psql.stdin.close()
        self.psql.wait(10)


# --- 64 concurrent requests with overlapping ids: each answered, each stored once ----------
# 64 requests over 16 distinct ids, two items each (the second id shared by all
# requests of a group of four), sent at once from 64 threads.
bodies = []
for k in range(64):
    bodies.append(mo([("ov-%d" % (k % 16), "4917%08d" % (k % 16), "hello %d" % k),
                      ("ov-shared-%d" % (k % 4), "4918%08d" % (k % 4), "shared")]))
with ThreadPoolExecutor(64) as pool:
    results = list(pool.map(lambda b: post(SMS, b), bodies))
env.check(all(st == 200 for st, _ in results), "64 concurrent requests all answered 200",
          repr([st for st, _ in results if st != 200][:5]))
stored = sum((j or {}).get("stored", 0) for _, j in results)
dups = sum((j or {}).get("duplicates", 0) for _, j in results)
env.check(stored == 20 and dups == 128 - 20, "across the answers: 20 stored, 108 duplicates",
          "stored %d duplicates %d" % (stored, dups))
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'ov-%'") == 20,
          "each distinct id stored exactly once")
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id LIKE 'ov-%'") == 20, "and queued for the agent once")
env.check(count("SELECT COUNT(*) FROM (SELECT contact_id FROM sessions WHERE closed_at IS NULL"
                " GROUP BY connection_id, contact_id HAVING COUNT(*) > 1) AS twice") == 0,
          "one open session per contact")

# --- One request whose item the store refuses does not fail the others --------------------
# A trigger stands in for any store-level failure of one item.
if env.engine == "sqlite":
    env.sql("CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = 'poison'"
            " BEGIN SELECT RAISE(ABORT, 'poisoned item'); END")
else:
    env.sql("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.text = 'poison' THEN RAISE EXCEPTION 'poisoned item'; END IF;"
            " RETURN NEW; END $$; CREATE TRIGGER poison BEFORE INSERT ON messages"
            " FOR EACH ROW EXECUTE FUNCTION poison()")
held = WriterHeld()  # holds the writer so that the requests share a group
bodies = [mo([("ok-%d" % k, "4916%08d" % k, "fine")]) for k in range(15)]
bodies.insert(7, mo([("bad-1", "491600000099", "poison"), ("bad-2", "491600000098", "fine")]))
seen_at_answer = {}    # request -> whether its messages were in the store when answered


def post_and_look(k):
    """Posts request k; on a 200, reads from another connection at once
    whether its messages are there: an answer must follow its commit."""
    st, j = post(SMS, bodies[k])
    if st == 200:
        ids = [r["messageId"] for r in bodies[k]["results"]]
        seen_at_answer[k] = count("SELECT COUNT(*) FROM messages WHERE infobip_id IN (%s)"
                                  % ",".join("?" * len(ids)), ids) == len(ids)
    return st, j


with ThreadPoolExecutor(16) as pool:
    futs = [pool.submit(post_and_look, k) for k in range(16)]
    waits = held.writer_waits()  # let all 16 reach the writer while it waits
    answered_early = [k for k, f in enumerate(futs) if f.done()]
    held.release()
    results = [f.result() for f in futs]
env.check(waits and not answered_early, "no request is answered while its group cannot commit",
          repr(answered_early))
env.check(len(seen_at_answer) == 15 and all(seen_at_answer.values()),
          "each 200 came after its messages were committed (seen by another connection)",
          repr(seen_at_answer))
env.sql("DROP TRIGGER poison" + ("" if env.engine == "sqlite" else " ON messages;"
                                  " DROP FUNCTION poison()"))
env.check(results[7][0] == 503, "the request holding the refused item: 503", repr(results[7]))
env.check(all(st == 200 for i, (st, _) in enumerate(results) if i != 7),
          "the 15 others in its group: 200", repr([st for st, _ in results]))
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'ok-%'") == 15,
          "the 15 others are stored")
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id IN ('bad-1', 'bad-2')") == 0,
          "nothing of the refused request is stored, not even its good item")
st, j = post(SMS, bodies[7])
env.check(st == 200 and (j or {}).get("stored") == 2, "its retry, once the store takes it: 200", repr(j))

# --- A keyword stops what a group stores ahead (PostgreSQL stores a group's plain MOs in one
# statement first): a body with STOP between two MOs from one contact is stored in order, so
# the MO after the STOP is not given to the agent, whatever the group around it.
held = WriterHeld()
kw_bodies = [mo([("kw-y", "491300000001", "hello")]),
             mo([("kw-1", "491300000002", "hello first"), ("kw-2", "491300000002", "STOP"),
                 ("kw-3", "491300000002", "hello after")]),
             mo([("kw-z", "491300000003", "hello too")])]
with ThreadPoolExecutor(3) as pool:
    futs = [pool.submit(post, SMS, b) for b in kw_bodies]
    held.writer_waits()
    held.release()
    results = [f.result() for f in futs]
env.check(all(st == 200 for st, _ in results), "the three bodies around a STOP: 200",
          repr([st for st, _ in results]))
kw_ids = dict(env.sql("SELECT infobip_id, id FROM messages WHERE infobip_id LIKE 'kw-%'"))
env.check(len(kw_ids) == 5 and kw_ids["kw-1"] < kw_ids["kw-2"] < kw_ids["kw-3"],
          "the body's three MOs are stored in their order", repr(kw_ids))
queued = {m for (m,) in env.sql("SELECT m.infobip_id FROM agent_queue q JOIN messages m"
                                " ON m.id = q.message_id WHERE m.infobip_id LIKE 'kw-%'")}
env.check(queued == {"kw-y", "kw-1", "kw-z"},
          "the agent gets the MOs before the STOP and the other contacts', not the one after",
          repr(sorted(queued)))
env.check(count("SELECT opted_out FROM contacts WHERE phone = '+491300000002'") == 1,
          "the contact who sent STOP is opted out")

# --- Reports are committed in groups too ---------------------------------------------------
uids = []
for k in range(40):
    p = env.cli("send", "--connection", cid, "--to", "4915200%06d" % k, "--text", "hi %d" % k)
    uids.append(p.stdout.strip())
uid_rows = env.sql("SELECT uid FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 40")
uids = [u for (u,) in uid_rows]
report_bodies = [{"results": [{"messageId": u, "status": {"groupId": 3, "groupName": "DELIVERED",
                                                          "id": 5, "name": "DELIVERED_TO_HANDSET"}}]}
                 for u in uids]
with ThreadPoolExecutor(40) as pool:
    results = list(pool.map(lambda b: post(REPORTS, b), report_bodies))
env.check(all(st == 200 and (j or {}).get("stored") == 1 for st, j in results),
          "40 concurrent reports each answered 200, applied", repr(results[:3]))
env.check(count("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'delivered'") == 40,
          "all 40 messages delivered")

# --- SIGTERM answers the requests in hand before the program exits ---------------------
pids = program_pids("inbound.fcgi")
env.check(len(pids) == 1, "one inbound program", repr(pids))
held = WriterHeld()  # the group stays in flight until released
bodies = [mo([("term-%d" % k, "4914%08d" % k, "term")]) for k in range(12)]
with ThreadPoolExecutor(12) as pool:
    futs = [pool.submit(post, SMS, b) for b in bodies]
    held.writer_waits()
    # Every request in the program's hands, none left in its backlog.
    in_hand = wait_for(lambda: sum(accepted(p) for p in pids) >= len(bodies), 10)
    for p in pids:
        os.kill(p, signal.SIGTERM)
    time.sleep(0.3)
    alive = all(os.path.exists("/proc/%d" % p) for p in pids)
    held.release()
    results = [f.result() for f in futs]
env.check(in_hand, "the program accepted all 12 requests before the SIGTERM",
          "accepted %d" % sum(accepted(p) for p in pids if os.path.exists("/proc/%d" % p)))
env.check(alive, "the program waits for its group before it exits")
env.check(all(st == 200 for st, _ in results), "every request in hand at SIGTERM answered 200",
          repr([st for st, _ in results]))
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'term-%'") == 12,
          "... and stored")
env.check(wait_for(lambda: not any(os.path.exists("/proc/%d" % p) and
                                   "zombie" not in open("/proc/%d/status" % p).read()
                                   for p in pids)),
          "then the program exits")
# lighttpd starts it again for the next request.
st, j = post(SMS, mo([("after-term", "491400000099", "again")]))
env.check(st == 200 or wait_for(lambda: post(SMS, mo([("after-term", "491400000099", "again")]))[0] == 200),
          "the next request is served by a new process")

# --- kill -9 while groups are in flight loses no acknowledged message -------------------------
answers = {}


def load(k):
    for i in range(150):
        mid = "crash-%d-%d" % (k, i)
        answers[mid], _ = post(SMS, mo([(mid, "4913%04d%04d" % (k, i), "load")]), timeout=15)


workers = [threading.Thread(target=load, args=(k,)) for k in range(8)]
for t in workers:
    t.start()
killed = 0
for _ in range(3):
    time.sleep(0.3)
    for p in program_pids("inbound.fcgi"):
        os.kill(p, signal.SIGKILL)
        killed += 1
for t in workers:
    t.join()
acked = [m for m, st in answers.items() if st == 200]
stored = set(x for (x,) in env.sql("SELECT infobip_id FROM messages WHERE infobip_id LIKE 'crash-%'"))
env.check(killed > 0, "the inbound program was killed under load (%d kills)" % killed)
env.check(all(m in stored for m in acked), "every message answered 200 is stored",
          "%d acknowledged, %d stored" % (len(acked), len(stored)))
# Infobip retries what was not acknowledged, with growing delays, until it is taken.
pending = [m for m, st in answers.items() if st != 200]
delay = 0.1
for attempt in range(8):
    if not pending:
        break
    time.sleep(delay)
    delay *= 2
    pending = [m for m in pending
               if post(SMS, mo([(m, "4913%04d%04d" % tuple(map(int, m.split("-")[1:])), "load")]))[0] != 200]
env.check(not pending, "Infobip-style retries got every message in", "%d left" % len(pending))
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'crash-%'") == 1200,
          "all 1200 stored, each once")
# A kill may have come after the last request: lighttpd starts the program
# again only for the next one, and a program that starts while the store
# below is read-only does not start. So it is serving before that section.
env.check(wait_for(lambda: post(SMS, mo([("up-again", "491300009999", "up")]))[0] == 200),
          "after the kills the inbound program serves again")

# --- A read-only store refuses every request of the group ---------------------------------
def refused_group():
    """16 requests at once while the store takes no writes: their answers."""
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda k: post(SMS, mo([("ro-%d" % k, "4912%08d" % k, "ro")])),
                             range(16)))


results = None
if env.engine == "sqlite":
    # The store and its WAL made immutable under the running program (which
    # binds root too): every write fails as on a read-only file system.
    files = [env.db, env.db + "-wal"]
    if env.check(subprocess.run(["chattr", "+i"] + files).returncode == 0,
                 "store and WAL made immutable"):
        try:
            results = refused_group()
        finally:
            subprocess.run(["chattr", "-i"] + files)
else:
    # PostgreSQL: the database makes its sessions read-only, and the
    # program's session is ended so that it connects again (read-only).
    def read_only(on):
        env.sql("BEGIN READ WRITE; ALTER DATABASE \"%s\" %s; COMMIT" % (
            env.sql1("SELECT current_database()"),
            "SET default_transaction_read_only = on" if on else
            "RESET default_transaction_read_only"))
        env.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                " current_database() AND pid <> pg_backend_pid()")
    read_only(True)
    try:
        results = refused_group()
    finally:
        read_only(False)
if results is not None:
    env.check(all(st == 503 for st, _ in results), "read-only store: every request 503",
              repr([st for st, _ in results]))
    env.check(all(j and "retry later" in (j.get("error") or "") for _, j in results),
              "... with our JSON error, not the web server's", repr(results[0]))
    env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'ro-%'") == 0,
              "... and nothing stored")
    st, j = post(SMS, mo([("ro-after", "491200000099", "writable again")]))
    if env.engine == "postgresql" and st != 200:
        # the first request after the session was ended may find it lost
        st, j = post(SMS, mo([("ro-after", "491200000099", "writable again")]))
    env.check(st == 200 and count("SELECT COUNT(*) FROM messages WHERE infobip_id = 'ro-after'") == 1,
              "writable again: 200 and stored", repr((st, j)))
env.done()
