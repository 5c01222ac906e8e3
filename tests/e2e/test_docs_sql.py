"""The example SQL of docs/queries.sql and of README.md runs, with the
sqlite3 command line as an operator would run it, against a fresh store
filled through the real programs (MOs through the webhook, a STOP, agent
replies sent by the sender, delivery reports with prices from the
simulator, an undeliverable and a refused message), and gives the answers
the store holds. On PostgreSQL the same is asked of
docs/queries-postgresql.sql, run with psql in read-only sessions as README
says: the same titles, the same result columns as SQLite's, the same
answers."""

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Env, psql_program  # noqa: E402

SQLITE_QUERIES = os.path.join(ROOT, "docs", "queries.sql")
PG_QUERIES = os.path.join(ROOT, "docs", "queries-postgresql.sql")
QUERIES = SQLITE_QUERIES
README = os.path.join(ROOT, "README.md")
PHONE = "4915112300001"        # the number docs/queries.sql looks up

env = Env("docs_sql", procs=1)
if env.engine == "postgresql":
    QUERIES = PG_QUERIES
# A session that only reads, as README tells analysts to open one.
READ_ONLY = dict(os.environ, PGOPTIONS="-c default_transaction_read_only=on")
cid = env.add_connection(name="Main line", sender="447491163443")
env.add_rules_agent(cid)
SMS = "/channel/%s/webhook/sms" % cid


def mo(mid, frm, text):
    return {"results": [{"messageId": mid, "from": frm, "to": "447491163443", "text": text,
                         "receivedAt": "2026-11-27T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}


# --- a store with something in it ----------------------------------------------------
env.sim("/_sim/config", {"outcomes": {"4915112300003": "undeliverable"}})
for mid, frm, text in [("d-1", PHONE, "Hello"), ("d-2", "4915112300002", "Hi there"),
                       ("d-3", "4915112300003", "Good morning")]:
    env.check(env.post(SMS, mo(mid, frm, text)).status == 200, "MO %s stored" % mid)
env.cli("sender", "--once")
env.check(env.post(SMS, mo("d-4", "4915112300002", "STOP")).status == 200, "STOP stored")
env.check(env.post(SMS, mo("d-5", PHONE, "What are your opening hours?")).status == 200,
          "second MO stored")
p = env.cli("send", "--connection", cid, "--to", "+49 151 123", "--text", "never sent", check=False)
env.check(p.returncode == 1 and "invalid phone number" in p.stderr,
          "a message to a badly written number fails at once", p.stderr)
env.cli("sender", "--once")
final = ("delivered", "undeliverable", "expired", "rejected", "failed")
env.check(env.wait_for(lambda: env.sql1(
    "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status NOT IN (%s)"
    % ",".join("'%s'" % s for s in final)) == 0, timeout=15),
    "every outbound message reached its final status")
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE status = 'delivered' AND price > 0") >= 3
          and env.sql1("SELECT COUNT(*) FROM messages WHERE status = 'undeliverable'") == 1,
          "delivered messages with a price, and one undeliverable",
          repr(env.sql("SELECT recipient, status, price FROM messages WHERE direction = 'out'")))


# --- the queries -----------------------------------------------------------------------
def queries(path):
    """[(title, sql)] from the '-- query: TITLE' blocks of a file."""
    out, title, lines = [], None, []
    with open(path) as f:
        for line in f:
            m = re.match(r"-- query: (.*)", line)
            if m:
                if title:
                    out.append((title, "".join(lines).strip()))
                title, lines = m.group(1).strip(), []
            elif title and not line.startswith("--"):
                lines.append(line)
    if title:
        out.append((title, "".join(lines).strip()))
    return out


def psql(*args):
    """psql on the store in a read-only session: the finished process."""
    return subprocess.run([psql_program(), "-X", "-v", "ON_ERROR_STOP=1", "-d", env.db]
                          + list(args), capture_output=True, text=True, timeout=30,
                          env=READ_ONLY)


def run(sql):
    """Runs sql read-only, with the sqlite3 command line or psql; (rows as
    dicts, their column names, stderr, exit status)."""
    if env.engine == "sqlite":
        p = subprocess.run(["sqlite3", "-readonly", "-json", env.db, sql],
                           capture_output=True, text=True, timeout=30)
        rows = json.loads(p.stdout) if p.stdout.strip() else []
        return rows, list(rows[0]) if rows else None, p.stderr, p.returncode
    # As an analyst runs it (its header names the columns, rows or none),
    # then as JSON for the values with their types.
    p = psql("--csv", "-c", sql)
    if p.returncode != 0 or p.stderr:
        return [], None, p.stderr, p.returncode
    cols = next(csv.reader(io.StringIO(p.stdout)), [])
    j = psql("-A", "-t", "-c", "SELECT COALESCE(json_agg(q), '[]') FROM (%s) q"
             % sql.rstrip().rstrip(";"))
    rows = json.loads(j.stdout) if j.returncode == 0 and j.stdout.strip() else []
    return rows, cols, j.stderr, j.returncode


def sqlite_columns():
    """title -> the column names of SQLite's version of each query, read from an
    empty store (ibchannel init) so that every query names them, rows or none."""
    d = tempfile.mkdtemp(prefix="ibc-cols-")
    db = os.path.join(d, "ibchannel.db")
    subprocess.run([os.path.join(BUILD, "ibchannel"), "init"], check=True, capture_output=True,
                   env=dict(env.env, IBCHANNEL_DB=db, IBCHANNEL_KEY_FILE=os.path.join(d, "k")))
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return {t: [x[0] for x in c.execute(q).description] for t, q in queries(SQLITE_QUERIES)}
    finally:
        c.close()


qs = queries(QUERIES)
env.check(len(qs) >= 8, "%s holds its examples" % os.path.basename(QUERIES),
          repr([t for t, _ in qs]))
env.check([t for t, _ in queries(PG_QUERIES)] == [t for t, _ in queries(SQLITE_QUERIES)],
          "docs/queries-postgresql.sql asks what docs/queries.sql asks, in its order")
want_cols = sqlite_columns() if env.engine == "postgresql" else {}
results = {}
for title, sql in qs:
    env.check(sql.endswith(";") and sql.count(";") == 1, "%s: one statement" % title, sql)
    rows, cols, err, rc = run(sql)
    env.check(rc == 0 and err == "", "%s: runs" % title, err)
    if env.engine == "postgresql":
        env.check(cols == want_cols.get(title), "%s: SQLite's columns" % title,
                  "%r vs %r" % (cols, want_cols.get(title)))
    results[title] = rows
if env.engine == "postgresql":
    # README's command for every example at once, and that its session is read-only.
    p = psql("-f", QUERIES)
    env.check(p.returncode == 0 and p.stderr == "" and "Main line" in p.stdout,
              "the whole file runs with psql -f", p.stderr)
    p = psql("-c", "CREATE TABLE analyst_scratch (x int)")
    env.check(p.returncode != 0 and "read-only transaction" in p.stderr,
              "the analysts' session refuses writes", p.stderr)


def rows_of(word):
    found = [rows for t, rows in results.items() if word in t]
    return found[0] if len(found) == 1 else None


sessions = rows_of("sessions with their last message")
env.check(sessions and len(sessions) == 3 and sessions[0]["last_at"] >= sessions[-1]["last_at"],
          "sessions: one per contact, newest first", repr(sessions))
mine = [r for r in sessions or [] if r["contact_phone"] == "+" + PHONE]
env.check(mine and mine[0]["message_count"] == 4 and mine[0]["last_direction"] == "out",
          "sessions: the contact's four messages, the agent's reply last", repr(mine))

conv = rows_of("by the customer's number")
env.check(conv and [r["direction"] for r in conv] == ["in", "out", "in", "out"]
          and conv[0]["text"] == "Hello" and conv[2]["text"] == "What are your opening hours?",
          "a conversation: in order, both ways", repr(conv))
one = rows_of("one session's messages")
env.check(one and len(one) == env.sql1("SELECT COUNT(*) FROM messages WHERE session_id = 1")
          and any(r["status"] == "delivered" and r["price"] for r in one),
          "one session: its messages with status and price", repr(one))

out_n = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'")
delivered_n = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'delivered'")
daily = rows_of("delivery rates per connection and day")
env.check(daily and len(daily) == 1 and daily[0]["connection"] == "Main line"
          and daily[0]["sent"] == out_n and daily[0]["delivered"] == delivered_n
          and daily[0]["not_delivered"] == 1 and daily[0]["failed"] == 1,
          "delivery per connection and day: the store's counts", repr(daily))
rate = rows_of("delivery rate per day")
env.check(rate and rate[0]["delivered"] == delivered_n
          and rate[0]["delivered_pct"] == round(100.0 * delivered_n / out_n, 1),
          "delivery rate of known outcomes", repr(rate))

spend = rows_of("spend per connection and day")
want = env.sql1("SELECT SUM(price * COALESCE(sms_count, 1)) FROM messages"
                " WHERE direction = 'out' AND price IS NOT NULL")
want = round(want, 4) if want else want
got = sum(r["spend"] for r in spend or [] if r["direction"] == "out")
env.check(spend and want and abs(got - want) < 1e-9 and all(r["currency"] for r in spend),
          "spend: price times segments summed per day", "%r vs %r: %r" % (got, want, spend))

optouts = rows_of("opted out")
env.check(optouts == [{"phone": "+4915112300002", "name": "", "email": "",
                       "opted_out_at": optouts[0]["opted_out_at"] if optouts else None}]
          and optouts[0]["opted_out_at"],
          "opt-outs: the contact who sent STOP", repr(optouts))

why = rows_of("not delivered")
reasons = {(r["status"], r["reason"]) for r in why or []}
env.check(any(s == "undeliverable" and r for s, r in reasons)
          and ("failed", "invalid phone number: contains spaces, dashes or parentheses") in reasons,
          "not delivered: Infobip's error and our own reason", repr(why))
env.check(rows_of("waiting to be sent") == [], "outbox: empty once all is sent")
reqs = rows_of("webhook requests")
env.check(reqs is not None and all(r["route"] == "sms" and r["status"] == 200 for r in reqs
                                   if r["program"] == "inbound"),
          "webhook requests: the MOs, all 200", repr(reqs))

# --- README's SQL is the file's ------------------------------------------------------
with open(README) as f:
    readme = f.read()
blocks = re.findall(r"```sql\n(.*?)```", readme, re.S)
norm = lambda s: " ".join(s.split())  # noqa: E731
# README's SQL is SQLite's (the SQLite pass runs it); PostgreSQL's is the other file.
file_sql = [norm(sql) for _, sql in queries(SQLITE_QUERIES)]
env.check(len(blocks) >= 3, "README shows example SQL", "%d blocks" % len(blocks))
for b in blocks:
    for stmt in [s.strip() + ";" for s in b.split(";") if s.strip() and not
                 all(l.startswith("--") for l in s.strip().splitlines())]:
        body = "\n".join(l for l in stmt.splitlines() if not l.startswith("--"))
        env.check(norm(body) in file_sql, "README query is in docs/queries.sql (so it is run)",
                  body[:200])
# README runs the installed PostgreSQL file where it runs SQLite's, in a read-only session.
sq = re.search(r'sqlite3 -readonly -box "\$IBCHANNEL_DB" < (\S+)/queries\.sql', readme)
pg = re.search(r"PGOPTIONS='-c default_transaction_read_only=on' psql \"\$IBCHANNEL_DB\""
               r" -f (\S+)/queries-postgresql\.sql", readme)
env.check(sq and pg and sq.group(1) == pg.group(1),
          "README runs the installed queries-postgresql.sql, read-only, beside queries.sql",
          repr((sq and sq.group(1), pg and pg.group(1))))
env.done()
