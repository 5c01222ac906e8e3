"""Growing from SQLite: a store with a row in every table, made through the
real programs (connections with keys, agents of each kind, MOs, sends in every
status, reports and clicks, campaigns with recipients in every state, the send
API, admin notices, counters), copied by 'ibchannel migrate --to' into an empty
database of a throwaway PostgreSQL cluster; every table's rows compared on both
sides; the programs then run on PostgreSQL and see the copy, with new ids past
the copied ones. And the refusals: a program with the store open, a running
sender, a database that is not empty (left as it was), an unreachable server
(one line, no password), a store on PostgreSQL already, schemas that differ, a
store whose foreign keys are broken."""

import http.client
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

# The source is a SQLite store, whichever engine the other suites run on.
harness.ENGINE = "sqlite"
from harness import BUILD, Env, free_port, holds_flock, pg_rows, schema_newest  # noqa: E402
import pg  # noqa: E402

PHONES = {k: "49151123450%02d" % i for i, k in enumerate(
    ["mo1", "mo2", "stop", "delivered", "undeliverable", "expired", "rejected", "accepted",
     "c_delivered", "c_failed", "c_sent", "c_replied", "c_queued", "unsure", "queued",
     "d1", "d2", "x1", "x2", "api", "late", "c_skipped"], start=10)}
STATUSES = ("received", "queued", "sending", "accepted", "delivered", "undeliverable",
            "expired", "rejected", "failed")
RECIPIENT_STATES = ("planned", "queued", "sent", "delivered", "failed", "replied",
                    "canceled", "skipped")

env = Env("pg_migrate", procs=1, admin_users={"ann": "ann-pw"})
env.set_roles({"ann": "admin", "otto": "operator", "vic": "viewer"})
cid = env.add_connection(name="Main line", sender="447491163443")
spare = env.add_connection(name="Spare line", start=False)
env.cli("env", "set", cid, "INFOBIP_SHORT_DOMAIN", "sho.rt")
aid, _ = env.add_rules_agent(cid)
keyfile = os.path.join(env.dir, "agent.key")
with open(keyfile, "w") as f:
    f.write("agent-secret-4711\n")
hook = env.cli("agent", "add", "--name", "Hook", "--kind", "http", "--url",
               "https://hooks.example.com/sms", "--api-key-file", keyfile).stdout.strip()
model = env.cli("agent", "add", "--name", "Model", "--kind", "openai", "--url",
                "https://llm.example.com/v1", "--model", "m-1", "--api-key-file",
                keyfile).stdout.strip()
env.cli("agent", "attach", hook, spare)
env.cli("settings", "set", "session_timeout_minutes", "90")
SMS = "/channel/%s/webhook/sms" % cid
FORM = "application/x-www-form-urlencoded"


def mo(key, text, mid):
    return {"results": [{"messageId": mid, "from": PHONES[key], "to": "447491163443",
                         "text": text, "receivedAt": "2026-12-01T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}


def send(key, text, conn=cid):
    return env.cli("send", "--connection", conn, "--to", PHONES[key], "--text", text,
                   check=False)


def status_of(key):
    return [r[0] for r in env.sql("SELECT status FROM messages WHERE direction = 'out' AND"
                                  " recipient = ? ORDER BY id", ("+" + PHONES[key],))]


def sender_once():
    return env.cli("sender", "--once", check=False)


def csv_file(name, keys):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write("phone,name\n" + "".join("%s,N%s\n" % (PHONES[k], k) for k in keys))
    return path


def campaign(name, keys, *extra):
    c = env.cli("campaign", "create", "--name", name, "--connection", cid, "--agent", aid,
                "--text", "Hello {{name}}", "--rate", "60000", *extra).stdout.strip()
    env.cli("campaign", "import", c, csv_file(name + ".csv", keys))
    return c


# --- A store with every kind of row ---------------------------------------------------
env.sim("/_sim/config", {"outcomes": {PHONES["undeliverable"]: "undeliverable",
                                      PHONES["expired"]: "expired",
                                      PHONES["rejected"]: "rejected",
                                      PHONES["accepted"]: "none",
                                      PHONES["c_failed"]: "undeliverable",
                                      PHONES["c_sent"]: "none",
                                      # no report settles the unsure send
                                      PHONES["unsure"]: "none"}})
# COPY's own characters and more: a tab, a new line, a carriage return, a
# backslash, quotes, \N as text, accents and a sign outside the BMP.
ODD = "Tab\there, a new\nline\r, a back\\slash \\N, \"quotes\", 'it''s', \u00fc \u2713 \U0001f600"
for i, (k, text) in enumerate([("mo1", "Hello"), ("mo2", "What are your opening hours?"),
                               ("stop", "STOP"), ("mo1", ODD)]):
    env.check(env.post(SMS, mo(k, text, "mig-%d" % i)).status == 200, "MO %s stored" % k)
for k in ("delivered", "undeliverable", "expired", "rejected", "accepted"):
    send(k, "A message that ends %s" % k)
p = send("stop", "never sent: opted out")
p = env.cli("send", "--connection", cid, "--to", "+49 151 123", "--text", "bad number",
            check=False)
main = campaign("MAIN", ["c_delivered", "c_failed", "c_sent", "c_replied", "c_skipped"])
# Opted out after the import: its recipient is skipped at the release.
env.check(env.post(SMS, mo("c_skipped", "STOP", "mig-skip")).status == 200, "a recipient's STOP")
env.cli("campaign", "start", main)
later = campaign("LATER", ["late"], "--start", "2099-01-01 08:00")
env.cli("campaign", "start", later)
cancel = campaign("CANCELED", ["x1", "x2"])
p = env.cli("campaign", "cancel", cancel, check=False)
env.check(p.returncode == 0, "a draft campaign is canceled", p.stderr)
campaign("DRAFT", ["d1", "d2"])
tok = env.cli("token", "add", aid, cid).stdout.strip()
r = env.request("POST", "/channel/%s/messages" % cid,
                {"to": "+" + PHONES["api"], "text": "Through the API", "reference": "order-1"},
                headers={"Authorization": "Bearer " + tok})
env.check(r.status in (200, 201, 202), "a send through the send API", r.status)

def settled():
    sender_once()
    return (all(status_of(k) == [k] for k in ("delivered", "undeliverable", "expired",
                                              "rejected"))
            and status_of("accepted") == ["accepted"]
            and env.sql1("SELECT COUNT(*) FROM campaign_recipients r JOIN campaigns c ON"
                         " c.id = r.campaign_id WHERE c.name = 'MAIN' AND r.status IN"
                         " ('planned', 'queued')") == 0)


env.check(env.wait_for(settled, 30), "the sends and the campaign reached their statuses",
          repr(env.sql("SELECT recipient, status FROM messages WHERE direction = 'out'")))
# A reply to the campaign: the sender marks its recipient replied.
env.check(env.post(SMS, mo("c_replied", "Thanks, tell me more", "mig-r")).status == 200,
          "a reply to the campaign stored")
env.check(env.wait_for(lambda: sender_once() and env.sql1(
    "SELECT status FROM campaign_recipients WHERE phone = ?", ("+" + PHONES["c_replied"],))
    == "replied", 20), "the campaign's recipient replied")
# A click on a delivered message, from the simulator.
uid = env.sql1("SELECT uid FROM messages WHERE recipient = ? AND direction = 'out'",
               ("+" + PHONES["delivered"],))
env.sim("/_sim/click", {"messageId": uid, "url": "https://example.com/offer"})
env.check(env.wait_for(lambda: env.sql1("SELECT COUNT(*) FROM message_events WHERE"
                                        " kind = 'click'") >= 1, 10), "a click stored")
# A closed session.
sid = env.sql1("SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
               " WHERE c.phone = ?", ("+" + PHONES["mo1"],))
env.cli("session", "close", str(sid))
# An admin form refused: its answer waits in admin_notices for the redirect.
h = dict(env.auth("ann"))
page = env.get("/admin/users", headers=h).text
csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
c.request("POST", "/admin/agents/new", body=urllib.parse.urlencode(
    {"csrf": csrf, "name": "", "kind": "magic"}).encode(), headers=dict(h, **{
        "Content-Type": FORM}))
resp = c.getresponse()
resp.read()
c.close()
env.check(resp.status == 303 and "?notice=" in (resp.getheader("Location") or ""),
          "a refused admin form leaves a notice", resp.status)
env.check(env.get("/health").status == 200, "/health answers")

# A running sender holds its lock: migrate is refused, and runs nothing.
sender = env.start_sender(30)
env.wait_for(lambda: holds_flock(sender.pid), 10)
p = env.cli("migrate", "--to", "postgresql://nobody@127.0.0.1:1/none", check=False)
env.check(p.returncode == 1 and "sender is running" in p.stderr and p.stdout == "" and
          len(p.stderr.strip().splitlines()) == 1, "refused while a sender runs", p.stderr)
sender.terminate()
sender.wait(30)

# The last changes, after which no sender runs: a campaign recipient queued (its
# send answered 429), a send unsure (Infobip took it, its answer unreadable), a
# send on a stopped connection, an MO waiting for its agent.
q = campaign("QUEUED", ["c_queued"])
env.cli("campaign", "start", q)
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "429", "count": 1})
sender_once()
env.cli("campaign", "pause", q)
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "accept_then_malformed", "count": 1})
send("unsure", "Lost on the way back")
sender_once()
send("queued", "Waits for a Start", conn=spare)
env.check(env.post(SMS, mo("mo2", "Still there?", "mig-last")).status == 200,
          "an MO for the agent stored")

# Every table has rows; every status and every recipient state is there.
# The full-text index of message text is SQLite's own (sql/018): not copied.
TABLES = [r[0] for r in env.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND"
                                " name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts%'"
                                " ORDER BY name")]
env.check(len(TABLES) >= 26, "the store's tables listed", repr(TABLES))
env.wait_for(lambda: env.sql1("SELECT COUNT(*) FROM request_counts") > 0, 10)
# The kept counts' changes not yet folded are PostgreSQL's: always empty here.
ALWAYS_EMPTY = {t for t in TABLES if t.endswith("_deltas")}
env.check(len(ALWAYS_EMPTY) == 3, "the three tables of changes to fold", repr(ALWAYS_EMPTY))
empty = [t for t in TABLES if env.sql1('SELECT COUNT(*) FROM "%s"' % t) == 0
         and t not in ALWAYS_EMPTY]
env.check(empty == [], "every table has a row before the copy", repr(empty))
have = {r[0] for r in env.sql("SELECT DISTINCT status FROM messages")}
env.check(set(STATUSES) <= have, "messages in every status",
          repr(sorted(set(STATUSES) - have)))
have = {r[0] for r in env.sql("SELECT DISTINCT status FROM campaign_recipients")}
env.check(set(RECIPIENT_STATES) <= have, "campaign recipients in every state",
          repr(sorted(set(RECIPIENT_STATES) - have)))
env.check(env.sql1("SELECT COUNT(*) FROM agents WHERE api_key_enc IS NOT NULL") == 2 and
          env.sql1("SELECT COUNT(DISTINCT kind) FROM agents") == 3,
          "agents of each kind, two with sealed keys")
env.check(env.sql1("SELECT COUNT(*) FROM outbox WHERE unsure_since IS NOT NULL") >= 1,
          "an unsure item in the outbox", repr((status_of("unsure"), status_of("c_queued"),
                                                 env.sql("SELECT * FROM outbox"),
                                                 [(r["status"], r["time"]) for r in env.sim(
                                                     "/_sim/requests?path=/sms/3/messages")
                                                  ["requests"]][-4:])))

# A program with the store open: inbound.fcgi after a request.
p = env.cli("migrate", "--to", "postgresql://nobody@127.0.0.1:1/none", check=False)
env.check(p.returncode == 1 and "open in another program" in p.stderr and
          len(p.stderr.strip().splitlines()) == 1, "refused while a program has the store open",
          p.stderr)
for proc in env.procs:
    if proc.args[0] == "lighttpd":
        proc.terminate()
        proc.wait(10)
source_before = {t: sorted(env.sql('SELECT * FROM "%s"' % t), key=repr) for t in TABLES}


def migrate(uri, dbpath=None):
    e = dict(env.env)
    if dbpath is not None:
        e["IBCHANNEL_DB"] = dbpath
    return subprocess.run([os.path.join(BUILD, "ibchannel"), "migrate", "--to", uri], env=e,
                          capture_output=True, text=True, timeout=300)


def pg_tables(uri):
    return [r[0] for r in pg_rows(uri, "SELECT tablename::text FROM pg_tables WHERE"
                                       " schemaname = current_schema() ORDER BY 1")]


def norm(v):
    """A value as both sides give it: a float that is whole compares as an int,
    infinity as PostgreSQL's JSON writes it."""
    if isinstance(v, float):
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == int(v):
            return int(v)
    return v


cluster = pg.Cluster()
cluster.start()
try:
    target = cluster.create_database("target")
    busy = cluster.create_database("busy")

    # --- Refusals ---------------------------------------------------------------------
    e = dict(env.env, IBCHANNEL_DB=busy)
    subprocess.run([os.path.join(BUILD, "ibchannel"), "init"], env=e, check=True,
                   capture_output=True)
    subprocess.run([os.path.join(BUILD, "ibchannel"), "user", "set", "zed", "admin"], env=e,
                   check=True, capture_output=True)
    busy_before = {t: pg_rows(busy, 'SELECT * FROM "%s" ORDER BY 1' % t) for t in pg_tables(busy)}
    p = migrate(busy)
    env.check(p.returncode == 1 and "is not empty" in p.stderr and
              len(p.stderr.strip().splitlines()) == 1 and p.stdout == "",
              "refused: a database that holds a store", p.stderr + p.stdout)
    env.check({t: pg_rows(busy, 'SELECT * FROM "%s" ORDER BY 1' % t) for t in pg_tables(busy)}
              == busy_before, "the database that was not empty is unchanged")

    port = free_port()
    p = migrate("postgresql://migrator:s3cret-Pw0rd@127.0.0.1:%d/target" % port)
    env.check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and
              "cannot use postgresql://migrator@127.0.0.1:%d/target" % port in p.stderr,
              "an unreachable server: one line naming it", p.stderr)
    env.check("s3cret" not in p.stderr + p.stdout, "and no password printed", p.stderr)

    p = migrate(target, dbpath=busy)
    env.check(p.returncode == 1 and "on PostgreSQL already" in p.stderr and
              len(p.stderr.strip().splitlines()) == 1, "refused: a store on PostgreSQL",
              p.stderr)
    p = migrate("/tmp/not-a-uri.db")
    env.check(p.returncode == 2 and "--to:" in p.stderr, "a --to that is no URI: bad usage",
              p.stderr)
    p = subprocess.run([os.path.join(BUILD, "ibchannel"), "migrate"], env=env.env,
                       capture_output=True, text=True)
    env.check(p.returncode == 2 and "usage" in p.stderr, "migrate without --to: usage")

    # Schemas that differ, and broken foreign keys: refused, nothing made in the target.
    odd = os.path.join(env.dir, "odd.db")
    shutil.copyfile(env.db, odd)
    db = sqlite3.connect(odd)
    db.execute("ALTER TABLE contacts ADD COLUMN nickname TEXT")
    db.commit()
    db.close()
    p = migrate(target, dbpath=odd)
    env.check(p.returncode == 1 and "column contacts.nickname of the SQLite store is missing"
              in p.stderr, "refused: a column PostgreSQL's schema lacks, named", p.stderr)
    lacking = os.path.join(env.dir, "lacking.db")
    shutil.copyfile(env.db, lacking)
    db = sqlite3.connect(lacking)
    db.execute("ALTER TABLE heartbeats DROP COLUMN at")
    db.commit()
    db.close()
    p = migrate(target, dbpath=lacking)
    env.check(p.returncode == 1 and "column heartbeats.at of PostgreSQL's schema is missing"
              in p.stderr, "refused: a column the SQLite store lacks, named", p.stderr)
    older = os.path.join(env.dir, "older.db")
    shutil.copyfile(env.db, older)
    db = sqlite3.connect(older)
    db.execute("PRAGMA user_version = 16")
    db.close()
    p = migrate(target, dbpath=older)
    env.check(p.returncode == 1 and "schema version 16" in p.stderr,
              "refused: a store of another schema version", p.stderr)
    broken = os.path.join(env.dir, "broken.db")
    shutil.copyfile(env.db, broken)
    db = sqlite3.connect(broken)
    db.execute("UPDATE sessions SET contact_id = 999999 WHERE id = (SELECT MIN(id) FROM"
               " sessions)")
    db.commit()
    db.close()
    p = migrate(target, dbpath=broken)
    env.check(p.returncode == 1 and "foreign key check" in p.stderr and "sessions" in p.stderr,
              "refused: a store whose foreign keys are broken", p.stderr)
    env.check(pg_tables(target) == [], "the refusals left the target empty",
              repr(pg_tables(target)))

    # --- The copy -------------------------------------------------------------------------
    t0 = time.monotonic()
    p = migrate(target)
    took = time.monotonic() - t0
    env.check(p.returncode == 0, "migrate copies the store", p.stderr + p.stdout)
    lines = p.stdout.splitlines()
    per_table = {}
    for l in lines:
        m = re.match(r"^  (\w+) +(\d+) rows copied$", l)
        if m:
            per_table[m.group(1)] = int(m.group(2))
    env.check(per_table == {t: len(source_before[t]) for t in TABLES},
              "one progress line per table with its rows", repr(per_table))
    total = sum(len(v) for v in source_before.values())
    env.check(any(l.startswith("copied %d tables, %d rows into %s" % (
        len(TABLES), total, target)) for l in lines), "the summary line", p.stdout)
    env.check(any("same key file, %s" % env.key in l for l in lines),
              "the output names the key file the programs need", p.stdout)
    env.check({t: sorted(env.sql('SELECT * FROM "%s"' % t), key=repr) for t in TABLES}
              == source_before, "the SQLite store is unchanged")

    # Every table's rows on both sides, column by column by name.
    env.check(sorted(pg_tables(target)) == sorted(TABLES + ["schema_version"]),
              "the same tables, and the version table", repr(pg_tables(target)))
    for t in TABLES:
        cols = [r[1] for r in env.sql("SELECT cid, name FROM pragma_table_info(?)", (t,))]
        sel = 'SELECT %s FROM "%s"' % (", ".join('"%s"' % c for c in cols), t)
        a = sorted((tuple(norm(v) for v in r) for r in env.sql(sel)), key=repr)
        b = sorted((tuple(norm(v) for v in r) for r in pg_rows(target, sel)), key=repr)
        env.check(a == b and (len(a) > 0 or t in ALWAYS_EMPTY),
                  "table %s: the same rows on both sides" % t,
                  repr([x for x in a if x not in b][:2]) + " / " +
                  repr([x for x in b if x not in a][:2]))
    env.check(pg_rows(target, "SELECT text FROM messages WHERE infobip_id = 'mig-3'") == [(ODD,)],
              "text with COPY's own characters arrives as it was")
    lite_version = env.sql1("PRAGMA user_version")
    env.check(lite_version == schema_newest() and pg_rows(target, "SELECT version FROM schema_version")
              == [(lite_version,)], "the schema version is the SQLite store's, the newest (%s)" % lite_version)
    keys = ("SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2")
    env.check(len(pg_rows(target, keys)) >= 20 and pg_rows(target, keys) == pg_rows(busy, keys),
              "the foreign keys are back after the copy, as init makes them",
              repr(len(pg_rows(target, keys))))
    env.check(pg_rows(target, "SELECT tgenabled::text FROM pg_trigger WHERE tgname ="
                              " 'campaign_recipient_follows'") == [("O",)],
              "the campaign trigger is on again after the copy")

    # --- The programs on PostgreSQL ---------------------------------------------------
    on_pg = dict(env.env, IBCHANNEL_DB=target)

    def cli_pg(*args):
        return subprocess.run([os.path.join(BUILD, "ibchannel")] + list(args), env=on_pg,
                              capture_output=True, text=True, timeout=60)

    p = cli_pg("connection", "list")
    env.check(p.returncode == 0 and "Main line" in p.stdout and "Spare line" in p.stdout and
              "****cdef" in p.stdout, "connection list on PostgreSQL: the keys open with the"
              " same key file", p.stdout + p.stderr)
    p = cli_pg("agent", "show", hook)
    env.check(p.returncode == 0 and "4711" in p.stdout, "an agent's sealed key opens too",
              p.stdout + p.stderr)
    max_msg = max(r[0] for r in source_before["messages"])
    max_contact = max(r[0] for r in source_before["contacts"])
    e = dict(on_pg, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST", REQUEST_URI=SMS,
             SCRIPT_NAME="", PATH_INFO=SMS, SERVER_PROTOCOL="HTTP/1.1",
             CONTENT_TYPE="application/json")
    body = json.dumps(mo("late", "First words on PostgreSQL", "mig-pg-1")).encode()
    e["CONTENT_LENGTH"] = str(len(body))
    cg = subprocess.run([os.path.join(BUILD, "inbound.fcgi")], env=e, input=body,
                        capture_output=True, timeout=30)
    env.check(b"Status: 200" in cg.stdout or b'"stored":1' in cg.stdout.replace(b" ", b""),
              "inbound.fcgi stores an MO on PostgreSQL", cg.stdout[:300] + cg.stderr[:300])
    new = pg_rows(target, "SELECT id, contact_id FROM messages WHERE infobip_id = 'mig-pg-1'")
    env.check(len(new) == 1 and new[0][0] == max_msg + 1 and new[0][1] == max_contact + 1,
              "the new MO and contact take the ids after the copied ones", repr(new))
    p = cli_pg("send", "--connection", cid, "--to", PHONES["mo1"], "--text", "Hello again")
    env.check(p.returncode == 0 and p.stdout.strip() == str(max_msg + 2),
              "a send on PostgreSQL: the next id", p.stdout + p.stderr)
    p = cli_pg("campaign", "list")
    env.check(p.returncode == 0 and all(n in p.stdout for n in ("MAIN", "LATER", "CANCELED",
                                                                  "DRAFT", "QUEUED")),
              "campaign list on PostgreSQL", p.stdout + p.stderr)
    p = cli_pg("token", "list")
    env.check(p.returncode == 0 and tok[:12] in p.stdout, "token list on PostgreSQL",
              p.stdout + p.stderr)
    p = migrate(target)
    env.check(p.returncode == 1 and "is not empty" in p.stderr,
              "a second migrate into it is refused", p.stderr)
    print("migrate took %.1f s for %d rows" % (took, total))
finally:
    cluster.stop()
env.done()
