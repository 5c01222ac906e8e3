"""PostgreSQL ends a deadlock by rolling one of the two transactions back
(SQLSTATE 40P01): a sender recording a batch's results and a reports.fcgi
applying reports to the same messages can meet so, each locking rows the
other wants. The one rolled back is not at fault and must simply run again:
the sender records its batch again instead of stopping, and a web program's
writer runs its group again with the job whose statement failed instead of
answering it 503.

The deadlock is made on purpose: a trigger this suite adds raises 40P01
the first time a statement deletes an outbox row (the sender's record) or
inserts a message event (a report applied), counted by a sequence, which a
rollback does not undo. Every message must then reach the Infobip simulator
once and be recorded accepted, and the report must be answered 200 and kept
once.

It starts its own throwaway cluster (tests/pg.py); without PostgreSQL's
programs it says so and passes nothing.
"""

import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import pg  # noqa: E402

cluster = pg.suite_cluster()
import harness  # noqa: E402  (reads IBCHANNEL_TEST_PG at import)
from harness import Env  # noqa: E402

MESSAGES = 30

env = Env("pg_conflict", procs=1)
env.check(env.engine == "postgresql", "the store is on PostgreSQL", env.engine)
cid = env.add_connection(sender="InfoSMS")
env.sim("/_sim/config", {"dlr_outcome": "none"})

# A deadlock once per sequence: the first row that reaches the trigger.
env.sql("CREATE SEQUENCE test_conflict_outbox")
env.sql("CREATE SEQUENCE test_conflict_event")
env.sql("""CREATE FUNCTION test_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval(TG_ARGV[0]::regclass) = 1 THEN
        RAISE EXCEPTION 'deadlock made by the test' USING ERRCODE = '40P01';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$""")
env.sql("CREATE TRIGGER test_conflict BEFORE DELETE ON outbox FOR EACH ROW"
        " EXECUTE FUNCTION test_conflict('test_conflict_outbox')")
env.sql("CREATE TRIGGER test_conflict BEFORE INSERT ON message_events FOR EACH ROW"
        " EXECUTE FUNCTION test_conflict('test_conflict_event')")

# --- The sender: a batch's record rolled back by a deadlock is recorded again ---------
for i in range(MESSAGES):
    p = env.cli("send", "--connection", cid, "--to", "+4915100%06d" % i,
                "--text", "conflict %d" % i, check=False)
    env.check(p.returncode == 0, "message %d queued" % i, p.stderr[-300:])
p = env.cli("sender", "--once", check=False)
log = p.stderr
env.check(p.returncode == 0, "the sender ran its pass to the end", log[-500:])
env.check(env.sql1("SELECT last_value FROM test_conflict_outbox") >= 2,
          "the made deadlock was met (the outbox's trigger ran again after it)")
env.check("recording them again" in log, "the sender said it records the batch again",
          log[-500:])
env.check("stopped on a store" not in log, "the sender did not stop on the deadlock", log[-500:])
st = dict(env.sql("SELECT status, COUNT(*) FROM messages WHERE direction = 'out'"
                  " GROUP BY status"))
env.check(st == {"accepted": MESSAGES}, "every message recorded accepted", repr(st))
env.check(env.sql1("SELECT COUNT(*) FROM outbox") == 0, "the outbox is empty")
seen = collections.Counter(m["messageId"] for m in env.sim("/_sim/messages")["messages"])
env.check(len(seen) == MESSAGES and max(seen.values()) == 1,
          "the simulator got each message once", repr(seen.most_common(3)))

# --- A web program's writer: its group runs again with the job that met it -------------
uid = env.sql1("SELECT uid FROM messages WHERE direction = 'out' ORDER BY id LIMIT 1")
body = {"results": [{"messageId": uid, "to": "4915100000000",
                     "doneAt": "2026-12-07T01:00:00.000+0000",
                     "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
                                "name": "DELIVERED_TO_HANDSET"}}]}
r = env.post("/channel/%s/webhook/reports" % cid, body)
env.check(r.status == 200, "the report met by the deadlock is answered 200",
          "%s %s" % (r.status, r.text[:300]))
env.check(env.sql1("SELECT last_value FROM test_conflict_event") >= 2,
          "the made deadlock was met (the events' trigger ran again after it)")
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = ?"
                   " AND kind = 'report'", (uid,)) == 1, "the report is kept once")
env.check(env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,)) == "delivered",
          "the report moved its message to delivered")

env.done()
