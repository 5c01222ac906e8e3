"""PostgreSQL's group of inbound messages (STMT_INBOUND_GROUP, the function
inbound_group of sql/pg/028-inbound-set.sql) stores what inbound_mo, called
once per message in the same order, stores: the same groups go into two
fresh stores, one message at a time (STMT_INBOUND_ONE) into the first and a
group at a time into the second, and every result row and every row of
contacts, sessions, messages and agent_queue must match, ids, uids of the
store's own and times aside. The groups hold new contacts only, known and
new ones mixed, one phone twice (its order kept), one messageId twice (the
second a duplicate), a messageId stored before, a contact who opted out, a
session an operator answers and a connection with no agent. Then two
writers at once: a group whose new contact or message a second writer is
storing waits for it and takes the per-message way, without an error,
without losing or doubling a row.

It starts its own throwaway cluster (tests/pg.py), so tests/run.sh runs it
once; without PostgreSQL's programs it says so and passes nothing.
"""

import os
import re
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import pg  # noqa: E402

cluster = pg.suite_cluster()
import harness  # noqa: E402  (reads IBCHANNEL_TEST_PG at import)
from harness import Env  # noqa: E402

one = Env("pg_inbound_group", sim=False, server=None)
group = Env("pg_inbound_group", sim=False, server=None)
one.check(one.engine == group.engine == "postgresql", "the stores are on PostgreSQL",
          one.engine)

SQL = pg.statements_by_name()


def array(values):
    return "{%s}" % ",".join("NULL" if v is None else '"%s"' % str(v).replace("\\", "\\\\")
                             .replace('"', '\\"') for v in values)


def statement(name, args):
    """Statement name's text with args for ?1, ?2... as literals."""
    return pg.with_args(SQL[name], args)


def psql(env, sql):
    """sql run on env's store in a psql of its own; (exit status, rows as
    lists of text, errors)."""
    p = subprocess.run([harness.psql_program(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", env.db, "-c", sql], capture_output=True, text=True)
    return p.returncode, [line.split("|") for line in p.stdout.splitlines() if line], p.stderr


FIELDS = ("conn", "infobip_id", "phone", "agent", "idle", "uid", "sender", "recipient",
          "text", "received_at", "price", "currency", "sms_count", "queue_agent")


UIDS = iter(range(1, 1000000))


def mo(conn, infobip_id, phone, agent, queue_agent, text="Hello", price=0.01):
    """One call's arguments, in inbound_mo's order (a new uid each, as the
    writer gives)."""
    return (conn, infobip_id, phone, agent, "-30 minutes", "uid-%d" % next(UIDS),
            phone, "447491163443", text, "2026-12-07T10:00:00.000+0000", price,
            None if price is None else "EUR", 1, queue_agent)


def store_one(env, calls):
    """Each call through STMT_INBOUND_ONE, one statement each; the rows."""
    rows = []
    for c in calls:
        rc, got, err = psql(env, statement("STMT_INBOUND_ONE", c))
        if rc != 0:
            raise RuntimeError(err)
        rows += got
    return rows


def group_args(calls):
    return [array([c[i] for c in calls]) for i in range(len(FIELDS))]


def store_group(env, calls):
    """The calls as one STMT_INBOUND_GROUP; its rows."""
    rc, got, err = psql(env, statement("STMT_INBOUND_GROUP", group_args(calls)))
    if rc != 0:
        raise RuntimeError(err)
    return got


# What identifies a row in both stores: a contact its phone, a session its
# connection, contact and place among that pair's sessions, a message its
# connection and messageId (its uid, given by the caller, too).
SESSION_KEY = ("(SELECT s.connection_id || '/' || c.phone || '/' || (SELECT COUNT(*) FROM"
               " sessions o WHERE o.connection_id = s.connection_id AND o.contact_id ="
               " s.contact_id AND o.id <= s.id) FROM sessions s JOIN contacts c ON c.id ="
               " s.contact_id WHERE s.id = %s)")
DUMP = {
    "contacts": "SELECT phone, name, email, data, opted_out FROM contacts ORDER BY phone",
    "sessions": "SELECT %s, agent_id, channel_type, responsible, data, collect_step,"
                " closed_at IS NULL FROM sessions x ORDER BY 1" % (SESSION_KEY % "x.id"),
    "messages": "SELECT connection_id, infobip_id, uid, %s, (SELECT phone FROM contacts"
                " WHERE id = m.contact_id), direction, author, sender, recipient, text, status,"
                " received_at, price, currency, sms_count FROM messages m ORDER BY 1, 2"
                % (SESSION_KEY % "m.session_id"),
    "order": "SELECT %s, string_agg(uid, ' ' ORDER BY id) FROM messages m GROUP BY 1"
             " ORDER BY 1" % (SESSION_KEY % "m.session_id"),
    "agent_queue": "SELECT (SELECT uid FROM messages WHERE id = q.message_id), %s, agent_id,"
                   " lease_owner, attempts FROM agent_queue q ORDER BY 1"
                   % (SESSION_KEY % "q.session_id"),
}


def dump(env):
    return {k: psql(env, q)[1] for k, q in DUMP.items()}


def meaning(env, row):
    """A result row with its ids as what they stand for (0 and NULL kept)."""
    msg, contact, opted, session, queued = row

    def one_value(q, v):
        return psql(env, q % int(v))[1][0][0] if v not in ("", "0") else v
    return (one_value("SELECT connection_id || '/' || infobip_id FROM messages WHERE id = %d",
                      msg),
            one_value("SELECT phone FROM contacts WHERE id = %d", contact), opted,
            one_value("SELECT " + SESSION_KEY % "%d", session), queued)


def same(what, calls, expect=None):
    """The calls into both stores; every result row and table must match
    (expect: the o_queued column's values, to be sure of what was tested)."""
    try:
        a, b = store_one(one, calls), store_group(group, calls)
    except RuntimeError as e:
        one.check(False, "%s: both stores take the calls" % what, str(e).strip())
        return
    ma, mb = [meaning(one, r) for r in a], [meaning(group, r) for r in b]
    one.check(len(b) == len(calls) and ma == mb,
              "%s: a row per message in the group's order, as inbound_mo's one by one" % what,
              "\n      one by one %r\n      group      %r" % (ma, mb))
    if expect is not None:
        one.check([r[4] for r in mb] == [str(q) for q in expect],
                  "%s: queued %r" % (what, expect), repr(mb))
    da, db = dump(one), dump(group)
    for table in DUMP:
        one.check(da[table] == db[table], "%s: %s as inbound_mo writes them" % (what, table),
                  "\n      one by one %r\n      group      %r" % (da[table], db[table]))


# The same connections and agent in both stores, with the same ids.
for env in (one, group):
    env.sql("INSERT INTO agents (name, kind, status) VALUES ('Front desk', 'rules', 'RUNNING')")
    env.sql("INSERT INTO connections (id, name, api_url, sender, api_key_enc, status) VALUES"
            " ('c1', 'One', 'https://x', 'InfoSMS', 'k', 'RUNNING'),"
            " ('c2', 'Two', 'https://x', 'InfoSMS', 'k', 'RUNNING')")
agent = one.sql1("SELECT id FROM agents")
one.check(agent == group.sql1("SELECT id FROM agents"), "the agent has one id in both", agent)


def phone(i):
    return "+4915112%06d" % i


same("new contacts only", [mo("c1", "n%d" % i, phone(i), agent, agent) for i in range(1, 6)],
     [1] * 5)
same("known and new mixed", [mo("c1", "m1", phone(1), agent, agent),
                             mo("c1", "m2", phone(10), agent, agent),
                             mo("c1", "m3", phone(2), agent, agent),
                             mo("c1", "m4", phone(11), agent, agent, price=None)], [1] * 4)
same("one new phone twice, in order", [mo("c1", "t1", phone(20), agent, agent, "first"),
                                       mo("c1", "t2", phone(21), agent, agent),
                                       mo("c1", "t3", phone(20), agent, agent, "second")],
     [1, 1, 1])
same("one messageId twice, the second a duplicate",
     [mo("c1", "d1", phone(30), agent, agent), mo("c1", "d2", phone(31), agent, agent),
      mo("c1", "d1", phone(32), agent, agent)], [1, 1, -1])
same("a messageId stored before", [mo("c1", "n1", phone(1), agent, agent),
                                   mo("c1", "n2", phone(40), agent, agent),
                                   mo("c1", "s1", phone(41), agent, agent)], [-1, -1, 1])
same("the same messageId on another connection is new",
     [mo("c2", "n1", phone(50), agent, agent), mo("c2", "n3", phone(3), agent, agent)], [1, 1])
for env in (one, group):
    env.sql("UPDATE contacts SET opted_out = 1 WHERE phone = ?", (phone(4),))
    env.sql("UPDATE sessions SET responsible = 'alice' WHERE contact_id ="
            " (SELECT id FROM contacts WHERE phone = ?)", (phone(5),))
same("an opted-out contact, a session an operator answers",
     [mo("c1", "o1", phone(4), agent, agent), mo("c1", "o2", phone(5), agent, agent),
      mo("c1", "o3", phone(60), agent, agent)], [0, 0, 1])
same("a connection with no agent", [mo("c2", "x1", phone(70), 0, 0),
                                    mo("c2", "x2", phone(1), 0, 0)], [-1, -1])
same("an agent that takes no message now", [mo("c1", "y1", phone(80), agent, 0),
                                            mo("c1", "y2", phone(81), agent, 0)], [-1, -1])
same("one message", [mo("c1", "z1", phone(90), agent, agent)], [1])


# The times the group writes itself are the schema's defaults' text.
times = group.sql("SELECT t FROM (SELECT created_at AS t FROM contacts UNION ALL SELECT started_at"
                  " FROM sessions UNION ALL SELECT last_at FROM sessions UNION ALL SELECT"
                  " created_at FROM messages UNION ALL SELECT updated_at FROM messages UNION ALL"
                  " SELECT queued_at FROM agent_queue) x")
odd = [t for (t,) in times if not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$", t)]
one.check(len(times) > 50 and odd == [] and len(set(t[:10] for (t,) in times)) == 1,
          "every time the group wrote is the store's text, to the millisecond", repr(odd[:5]))


# --- Two writers at once ---------------------------------------------------------------
def holding(sql):
    """A second writer: a psql that runs sql in a transaction and holds it
    open until its standard input gets a line; (process, its pid)."""
    p = subprocess.Popen([harness.psql_program(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-d", group.db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    p.stdin.write("BEGIN;\n%s;\nSELECT 'held ' || pg_backend_pid();\n" % sql)
    p.stdin.flush()
    line = p.stdout.readline()
    while line and not line.startswith("held "):
        line = p.stdout.readline()
    return p, line.split()[-1] if line else None


def racing(what, held_sql, calls):
    """calls as one group while another writer holds held_sql uncommitted:
    the group must wait for that writer, then finish once it commits. Its
    rows, or None."""
    holder, pid = holding(held_sql)
    result = {}

    def run():
        result["rc"], result["rows"], result["err"] = psql(
            group, statement("STMT_INBOUND_GROUP", group_args(calls)))
    t = threading.Thread(target=run)
    t.start()
    waits = harness.wait_for(lambda: group.sql(
        "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted"
        " AND a.query LIKE '%inbound_group%'"), timeout=10)
    one.check(bool(waits), "%s: the group waits for the other writer" % what)
    holder.stdin.write("COMMIT;\n")
    holder.stdin.close()
    holder.wait(timeout=30)
    t.join(timeout=30)
    if not one.check(result.get("rc") == 0, "%s: the group stores without an error" % what,
                     result.get("err", "still running")):
        return None
    return result["rows"]


conflict = racing("a new contact another writer adds",
                  "INSERT INTO contacts (phone) VALUES ('%s')" % phone(100),
                  [mo("c1", "r1", phone(100), agent, agent), mo("c1", "r2", phone(101), agent,
                                                                 agent)])
if conflict is not None:
    contact = group.sql1("SELECT id FROM contacts WHERE phone = ?", (phone(100),))
    stored = group.sql("SELECT contact_id, session_id FROM messages WHERE infobip_id = 'r1'")
    one.check(len(conflict) == 2 and conflict[0][1] == str(contact) and conflict[0][0] != "0"
              and conflict[0][4] == "1" and stored == [(contact, int(conflict[0][3]))]
              and conflict[1][0] != "0",
              "its message goes to the contact the other writer added (the per-message way),"
              " once, queued", repr((conflict, contact, stored)))
    one.check(group.sql1("SELECT COUNT(*) FROM contacts WHERE phone = ?", (phone(100),)) == 1,
              "the contact is there once")

conflict = racing("a message another writer stores at the same time",
                  "INSERT INTO messages (uid, connection_id, direction, text, status, infobip_id)"
                  " VALUES ('theirs', 'c1', 'in', 'Hello', 'received', 'r3')",
                  [mo("c1", "r3", phone(110), agent, agent), mo("c1", "r4", phone(111), agent,
                                                                 agent)])
if conflict is not None:
    stored = group.sql("SELECT uid FROM messages WHERE infobip_id = 'r3'")
    queued = group.sql1("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id ="
                        " q.message_id WHERE m.infobip_id = 'r3'")
    one.check(len(conflict) == 2 and conflict[0][0] == "0" and conflict[0][4] == "-1"
              and stored == [("theirs",)] and queued == 0 and conflict[1][0] != "0",
              "the message is the other writer's, once: here a duplicate, not queued",
              repr((conflict, stored, queued)))

group.stop()
one.done()
