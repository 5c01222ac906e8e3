"""The PostgreSQL sender's batch statements, each run on its own against
rows made for it: the outbox claim in one statement (only due, unheld,
unleased rows of running connections, leased to the caller), the marks
before a request (only the leases the caller still owns), the results of a
request (a status never moves back; any text stays data) and an agent
turn's replies (a queue row another sender holds is not answered here, a
session an operator took over gets no reply). A wrong row in any of them
is a message sent twice, lost, or sent against an operator's will.

It starts its own throwaway cluster (tests/pg.py), so tests/run.sh runs it
once; without PostgreSQL's programs it says so and passes nothing.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import pg  # noqa: E402

cluster = pg.suite_cluster()
import harness  # noqa: E402  (reads IBCHANNEL_TEST_PG at import)
from harness import Env  # noqa: E402

env = Env("pg_sender_groups")
env.check(env.engine == "postgresql", "the store is on PostgreSQL", env.engine)
cid = env.add_connection(sender="InfoSMS")
aid, _ = env.add_rules_agent(cid)

SQL = pg.statements_by_name()


def run(name, *args):
    """Statement name of the sender with args for ?1, ?2...; its rows as
    lists of text (psql's unaligned output; no value here holds a '|')."""
    sql = pg.with_args(SQL[name], args)
    p = subprocess.run([harness.psql_program(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", env.db, "-c", sql], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (name, p.stderr.strip()))
    return [line.split("|") for line in p.stdout.splitlines() if line]


def array(values):
    return "{%s}" % ",".join("NULL" if v is None else '"%s"' % str(v).replace("\\", "\\\\")
                             .replace('"', '\\"') for v in values)


def message(uid, status="queued", conn=None, direction="out", contact=None, session=None):
    return env.sql1("INSERT INTO messages (uid, connection_id, direction, author, sender,"
                    " recipient, text, status, contact_id, session_id) VALUES (?, ?, ?,"
                    " 'campaign', 'InfoSMS', '+4915112345678', 'Hello', ?, ?, ?) RETURNING id",
                    (uid, conn or cid, direction, status, contact, session))


# --- The outbox claim ------------------------------------------------------------------
stopped = env.add_connection(name="Stopped line", sender="InfoSMS")
env.cli("connection", "stop", stopped)
due, held, leased, other, lapsed = (message("claim-%s" % n) for n in
                                    ("due", "held", "leased", "stopped", "lapsed"))
other_conn = message("claim-other-conn", conn=stopped)
env.sql("INSERT INTO outbox (message_id) VALUES (?), (?), (?), (?), (?)",
        (due, held, leased, lapsed, other_conn))
env.sql("UPDATE outbox SET held_since = '2026-01-01 00:00:00.000' WHERE message_id = ?", (held,))
env.sql("UPDATE outbox SET lease_owner = 'other', lease_until = '2999-01-01 00:00:00.000'"
        " WHERE message_id = ?", (leased,))
env.sql("UPDATE outbox SET lease_owner = 'gone', lease_until = '2000-01-01 00:00:00.000',"
        " attempts = 2 WHERE message_id = ?", (lapsed,))
rows = run("STMT_CLAIM_ONE", "me", "+60 seconds", 10)
got = sorted(int(r[0]) for r in rows)
env.check(got == sorted([due, lapsed]), "the claim takes the due rows of running connections,"
          " a lapsed lease included, and no held, leased or stopped one", repr(rows))
owners = dict(env.sql("SELECT message_id, lease_owner FROM outbox WHERE message_id IN (?, ?)",
                      (due, lapsed)))
attempts = {int(r[0]): int(r[5]) for r in rows}
env.check(owners == {due: "me", lapsed: "me"} and attempts == {due: 1, lapsed: 3},
          "claimed rows are leased to the caller, each attempt counted", repr((owners, attempts)))
env.check(run("STMT_CLAIM_ONE", "you", "+60 seconds", 10) == [],
          "a second claim finds nothing: the leases hold")

# --- The marks before a request --------------------------------------------------------
mine, theirs = message("mark-mine"), message("mark-theirs")
env.sql("INSERT INTO outbox (message_id, lease_owner, lease_until) VALUES"
        " (?, 'me', '2999-01-01 00:00:00.000'), (?, 'other', '2999-01-01 00:00:00.000')",
        (mine, theirs))
rows = run("STMT_MARK_GROUP", "me", "+60 seconds", array([mine, theirs]))
status = dict(env.sql("SELECT id, status FROM messages WHERE id IN (?, ?)", (mine, theirs)))
env.check([int(r[0]) for r in rows] == [mine] and status == {mine: "sending", theirs: "queued"},
          "only the claims the caller still owns are marked 'sending'", repr((rows, status)))

# --- The results of a request ----------------------------------------------------------
sent, late = message("done-sent", "sending"), message("done-late", "delivered")
env.sql("INSERT INTO outbox (message_id) VALUES (?), (?)", (sent, late))
odd = 'id "quoted", back\\slash, {brace}'
run("STMT_DONE_GROUP", array([sent, late]), array(["accepted", "accepted"]),
    array([odd, "ib-2"]), array([None, "bulk-2"]), array(["PENDING", "PENDING"]),
    array(["PENDING_ACCEPTED", "PENDING_ACCEPTED"]), array(["sent on", "sent on"]),
    array([2, None]))
got = env.sql("SELECT id, status, infobip_id, bulk_id, status_name, sms_count, sent_at IS NOT"
              " NULL FROM messages WHERE id IN (?, ?) ORDER BY id", (sent, late))
left = env.sql1("SELECT COUNT(*) FROM outbox WHERE message_id IN (?, ?)", (sent, late))
env.check(got[0][1:] == ("accepted", odd, None, "PENDING_ACCEPTED", 2, True),
          "an accepted result is recorded as given, its text kept as data", repr(got[0]))
env.check(got[1][1] == "delivered" and left == 0,
          "a result never moves a status back; both leave the outbox", repr((got[1], left)))

# --- An agent turn's replies -----------------------------------------------------------
jobs = {}
for name, owner, responsible in (("kept", "me", "ai"), ("lapsed", "other", "ai"),
                                 ("operator", "me", "alice")):
    contact = env.sql1("INSERT INTO contacts (phone) VALUES (?) RETURNING id",
                       ("+49151000000%02d" % len(jobs),))
    session = env.sql1("INSERT INTO sessions (connection_id, contact_id, agent_id, responsible)"
                       " VALUES (?, ?, ?, ?) RETURNING id", (cid, contact, aid, responsible))
    job = message("reply-in-" + name, "received", direction="in", contact=contact,
                  session=session)
    env.sql("INSERT INTO agent_queue (message_id, session_id, agent_id, lease_owner,"
            " lease_until) VALUES (?, ?, ?, ?, '2999-01-01 00:00:00.000')",
            (job, session, aid, owner))
    jobs[name] = (job, session, contact)
order = ["kept", "lapsed", "operator"]
rows = run("STMT_REPLY_GROUP", "me", array([jobs[n][0] for n in order]),
           array([jobs[n][1] for n in order]), array([jobs[n][2] for n in order]),
           array([cid] * 3), array(["InfoSMS"] * 3), array(["+4915112345678"] * 3),
           array(["Reply to %s" % n for n in order]), array(["reply-out-%s" % n for n in order]))
env.check(rows == [[str(jobs["kept"][0]), "1", "1"], [str(jobs["lapsed"][0]), "0", "0"],
                   [str(jobs["operator"][0]), "1", "0"]],
          "a row per reply in order: kept or not, the AI's session or not", repr(rows))
replies = env.sql("SELECT m.uid, m.author, m.status, m.session_id, o.message_id IS NOT NULL"
                  " FROM messages m LEFT JOIN outbox o ON o.message_id = m.id"
                  " WHERE m.uid LIKE 'reply-out-%'")
env.check(replies == [("reply-out-kept", "agent", "queued", jobs["kept"][1], True)],
          "only the reply still ours, to a session the AI holds, is stored and queued",
          repr(replies))
queue = sorted(r[0] for r in env.sql("SELECT message_id FROM agent_queue"))
env.check(queue == [jobs["lapsed"][0]],
          "the queue rows still ours leave the queue; another sender's stays", repr(queue))

env.done()
