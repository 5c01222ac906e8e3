"""PostgreSQL's schema and statements hold together: a throwaway PostgreSQL
cluster (initdb and pg_ctl in a temporary directory, a unix socket only, no
system service) loads sql/pg/schema.sql and the later sql/pg/NNN-name.sql
without an error; its tables, columns, foreign keys, indexes, views,
trigger, seeds and version are those SQLite has after sql/schema.sql and
every sql/NNN-name.sql; and every statement of the store, as PostgreSQL
runs it (build/pg_statements: its override in common/store/db_pg_sql.c, else
its table's own text), is PREPAREd against that schema, so that each one
parses and type-checks, takes the parameters its SQLite text takes, and
gives no boolean column (read as 't' or 'f' where the C code reads 1 or 0).
Then a few statements run as the programs run them (values sent as text),
and a second sender's claim, while a first sender's transaction holds its
claim, skips the rows the first holds without waiting for them.

The cluster is started here (tests/pg.py, when it comes, is the shared
helper: the two are to be folded together)."""

import glob
import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, BUILD, Tally  # noqa: E402

t = Tally("pg_statements")
SQL = os.path.join(ROOT, "sql")
PG_SQL = os.path.join(SQL, "pg")


def numbered(sql):
    """SQLite's ? and ?N as PostgreSQL's $N, outside quoted text: a bare ?
    is one more than the highest number before it, as SQLite counts."""
    out, i, high, quote = [], 0, 0, None
    while i < len(sql):
        c = sql[i]
        if quote:
            out.append(c)
            if c == quote:
                quote = None
            i += 1
        elif c in "'\"":
            quote = c
            out.append(c)
            i += 1
        elif c == "?":
            j = i + 1
            while j < len(sql) and sql[j].isdigit():
                j += 1
            n = int(sql[i + 1:j]) if j > i + 1 else high + 1
            high = max(high, n)
            out.append("$%d" % n)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def params(sql):
    """The parameter numbers sql uses."""
    return {int(n) for n in re.findall(r"\$(\d+)", numbered(sql))}


def migrations(folder):
    """[(number, path)] of folder's NNN-name.sql, in order."""
    found = []
    for path in glob.glob(os.path.join(folder, "[0-9][0-9][0-9]-*.sql")):
        found.append((int(os.path.basename(path)[:3]), path))
    return sorted(found)


def read(path):
    with open(path) as f:
        return f.read()


class Cluster:
    """A PostgreSQL cluster of its own in a temporary directory, listening
    on a unix socket there only; the server runs as postgres when this runs
    as root (PostgreSQL refuses root), psql as whoever runs this."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("no PostgreSQL server: apt-get install postgresql (make deps)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="ibchannel-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_server = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_server = ["runuser", "-u", "postgres", "--"]
        self.started = False
        # C collation: text sorts and compares byte by byte, as SQLite's BINARY.
        self.server("initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                    "--locale=C", "-E", "UTF8", "--no-sync")
        self.server("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o",
                    "-k %s -c listen_addresses='' -p 5432 -c fsync=off" % self.dir,
                    "start")
        self.started = True
        self.psql("CREATE DATABASE ibchannel", db="postgres")

    def server(self, prog, *args):
        p = subprocess.run(self.as_server + [os.path.join(self.bin, prog)] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=self.dir)
        if p.returncode != 0:
            raise RuntimeError("%s failed: %s" % (prog, p.stdout[-2000:]))

    def psql(self, script, db="ibchannel", stop_on_error=True):
        """Runs script (from stdin); returns (exit status, output and errors)."""
        p = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t",
                            "-F", "\t", "-h", self.dir, "-p", "5432", "-U", "postgres",
                            "-d", db, "-v", "ON_ERROR_STOP=%d" % (1 if stop_on_error else 0)],
                           input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        return p.returncode, p.stdout

    def rows(self, query):
        """query's rows as lists of text (psql's unaligned, tab-separated output)."""
        rc, out = self.psql(query + ";\n")
        if rc != 0:
            raise RuntimeError("psql: %s: %s" % (query, out))
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def stop(self):
        if self.started:
            subprocess.run(self.as_server + [os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                                             "-m", "immediate", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)


# The parts of the schema that differ by design: each engine's own
# full-text index of message text (migration 018: SQLite's FTS5 table, its
# shadow tables and the triggers that keep it; PostgreSQL's GIN index), and
# the six foreign keys PostgreSQL's inbound_mo guarantees by its own steps
# (migration 027 drops them there; SQLite keeps them).
ENGINE_OWN = {
    "sqlite": {"tables": {"messages_fts", "messages_fts_config", "messages_fts_data",
                          "messages_fts_docsize", "messages_fts_idx", "messages_fts_mark",
                          "messages_fts_terms"},
               "triggers": {"messages_fts_delete", "messages_fts_update"},
               "fks": {("sessions", "connection_id", "connections", "id", "NO ACTION"),
                       ("sessions", "contact_id", "contacts", "id", "NO ACTION"),
                       ("messages", "connection_id", "connections", "id", "NO ACTION"),
                       ("messages", "session_id", "sessions", "id", "NO ACTION"),
                       ("messages", "contact_id", "contacts", "id", "NO ACTION"),
                       ("agent_queue", "session_id", "sessions", "id", "NO ACTION")}},
    "postgresql": {"indexes": {"messages_text_search", "contacts_phone_bytes"}},
}


def without_own(shape, engine):
    """shape without the objects only engine has by design, each checked to be there."""
    for key, names in ENGINE_OWN[engine].items():
        have = set(shape[key])
        t.check(names <= have, "%s has its own %s %r" % (engine, key, sorted(names)),
                repr(sorted(names - have)))
        if key == "tables":
            shape[key] = {k: v for k, v in shape[key].items() if k not in names}
        else:
            shape[key] = shape[key] - names
    return shape


def sqlite_shape():
    """What SQLite holds after sql/schema.sql and every migration."""
    db = sqlite3.connect(":memory:")
    db.executescript(read(os.path.join(SQL, "schema.sql")))
    for _, path in migrations(SQL):
        db.executescript(read(path))
    shape = {"tables": {}, "fks": set(), "indexes": set(), "views": set(), "triggers": set()}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%'"):
        shape["tables"][name] = [(c[1], bool(c[3] or c[5]))
                                 for c in db.execute("PRAGMA table_info(%s)" % name)]
        for fk in db.execute("PRAGMA foreign_key_list(%s)" % name):
            shape["fks"].add((name, fk[3], fk[2], fk[4], fk[6]))
    for kind, key in (("index", "indexes"), ("view", "views"), ("trigger", "triggers")):
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = ?"
                                  " AND sql IS NOT NULL", (kind,)):
            shape[key].add(name)
    shape["settings"] = sorted(db.execute("SELECT name, value FROM settings"))
    shape["reply_mark"] = list(db.execute("SELECT id, message_id FROM campaign_reply_mark"))
    return shape


def pg_shape(pg):
    """The same from the PostgreSQL cluster."""
    shape = {"tables": {}, "fks": set(), "indexes": set(), "views": set(), "triggers": set()}
    for table, column, nullable in pg.rows(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name IN (SELECT table_name FROM"
            " information_schema.tables WHERE table_schema = 'public'"
            " AND table_type = 'BASE TABLE' AND table_name <> 'schema_version')"
            " ORDER BY table_name, ordinal_position"):
        shape["tables"].setdefault(table, []).append((column, nullable == "NO"))
    rules = {"a": "NO ACTION", "c": "CASCADE", "n": "SET NULL", "r": "RESTRICT", "d": "SET DEFAULT"}
    for table, column, ref, refcol, rule in pg.rows(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text,"
            " f.attname, c.confdeltype FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1]"
            " WHERE c.contype = 'f'"):
        shape["fks"].add((table, column, ref, refcol, rules[rule]))
    shape["indexes"] = {r[0] for r in pg.rows(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)")}
    shape["views"] = {r[0] for r in pg.rows(
        "SELECT table_name FROM information_schema.views WHERE table_schema = 'public'")}
    shape["triggers"] = {r[0] for r in pg.rows(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    shape["settings"] = sorted(tuple(r) for r in pg.rows("SELECT name, value FROM settings"))
    shape["reply_mark"] = [tuple(int(x) for x in r) for r in pg.rows(
        "SELECT id, message_id FROM campaign_reply_mark")]
    return shape


def statements():
    """[(slot, name, source, sql, table's sql)] from build/pg_statements;
    its checks must pass."""
    p = subprocess.run([os.path.join(BUILD, "pg_statements")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    t.check(p.returncode == 0, "build/pg_statements finds every slot, and every override"
            " names one statement", p.stderr.strip())
    return [tuple(line.split("\t", 4)) for line in p.stdout.splitlines()]


def prepare_all(pg, stmts):
    """PREPAREs each statement in one session, going on after a failure;
    returns {index: PostgreSQL's error}, {index: [result column types]}
    (psql's \\gdesc: PostgreSQL 15 has no result_types in
    pg_prepared_statements) and psql's output."""
    script = ["\\set VERBOSITY terse"]
    for i, (_, _, _, sql, _) in enumerate(stmts):
        script.append("PREPARE s%d AS %s;" % (i, numbered(sql)))
        script.append("\\if :ERROR\n\\echo ERR %d :LAST_ERROR_MESSAGE\n\\else\n"
                      "\\echo DESC %d\n%s \\gdesc\n\\echo END\n\\endif"
                      % (i, i, numbered(sql)))
    _, out = pg.psql("\n".join(script) + "\n", stop_on_error=False)
    errors, types, current = {}, {}, None
    for line in out.splitlines():
        if line.startswith("ERR "):
            _, i, msg = (line.split(" ", 2) + [""])[:3]
            errors[int(i)] = msg
        elif line.startswith("DESC "):
            current = int(line.split(" ")[1])
            types[current] = []
        elif line == "END":
            current = None
        elif current is not None and "\t" in line:
            types[current].append(line.split("\t")[-1])
    return errors, types, out


def literal(v):
    """v as an SQL literal of unknown type, as the kit sends a value: text."""
    return "NULL" if v is None else "'%s'" % str(v).replace("'", "''")


def run_story(pg, sql, steps, prefix=""):
    """Runs steps [(mark, statement key, args)] in one psql session, each
    statement PREPAREd once from sql (key "SLOT NAME" to its text) and
    EXECUTEd with args; returns ({mark: rows}, psql's output), the marks
    reached before an error."""
    script, named = [prefix], {}
    for mark, key, args in steps:
        if key not in named:
            named[key] = "q%d" % len(named)
            script.append("PREPARE %s AS %s;" % (named[key], numbered(sql[key])))
        script.append("\\echo @ %s" % mark)
        script.append("EXECUTE %s%s;" % (named[key], "(%s)" % ", ".join(
            literal(a) for a in args) if args else ""))
    script.append("\\echo @ end")
    _, out = pg.psql("\n".join(script) + "\n")
    rows, mark = {}, None
    for line in out.splitlines():
        if line.startswith("@ "):
            mark = line[2:]
            rows[mark] = []
        elif mark is not None and line != "":
            rows[mark].append(line.split("\t"))
    return rows, out


TIME_MS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
PHONE = "+4915112300001"
STORY = [
    ("user", "DB_SLOT_STORE STMT_USER_SET", ["ann", "admin"]),
    ("users", "DB_SLOT_STORE STMT_USER_EACH", []),
    ("conn", "DB_SLOT_CONN STMT_CONN_ADD", ["c1", "Main", "", "https://x.api.infobip.com", "447", "v1:k"]),
    ("running", "DB_SLOT_CONN STMT_CONN_STATUS", ["RUNNING", "", "c1"]),
    ("contact", "DB_SLOT_MSG STMT_CONTACT_ADD", [PHONE]),
    ("session", "DB_SLOT_MSG STMT_SESSION_ADD", ["c1", 1, 0]),
    ("find", "DB_SLOT_MSG STMT_SESSION_FIND", ["-1440 minutes", "c1", 1]),
    ("out", "DB_SLOT_MSG STMT_MSG_OUT", ["u1", "c1", 1, 1, "agent", "447", PHONE, "hello", "queued", ""]),
    ("outbox", "DB_SLOT_MSG STMT_OUTBOX_ADD", [1, 0]),
    ("claim", "DB_SLOT_OUTBOX STMT_CLAIM_SELECT", [10]),
    ("lease", "DB_SLOT_OUTBOX STMT_CLAIM_LEASE", ["me", "+30 seconds", "[1]"]),
    ("claimed", "DB_SLOT_OUTBOX STMT_OUTBOX_GET", [1]),
    ("again", "DB_SLOT_OUTBOX STMT_CLAIM_SELECT", [10]),
    ("beat", "DB_SLOT_MAINT STMT_HEARTBEAT_SET", ["sender"]),
    ("beat get", "DB_SLOT_MAINT STMT_HEARTBEAT_GET", ["sender"]),
    ("fold 1", "DB_SLOT_CONN STMT_LOG_FOLD", ["c1", "warn", "inbound", "not JSON", "x"]),
    ("fold 2", "DB_SLOT_CONN STMT_LOG_FOLD", ["c1", "warn", "inbound", "not JSON", "x"]),
    ("logs", "DB_SLOT_CONN STMT_LOG_EACH", ["c1", 2, None, 0, 10]),
    ("fields", "DB_SLOT_MSG STMT_CONTACT_FIELDS", ["Ann", "", '{"city": "Berlin"}', 1]),
    ("info", "DB_SLOT_ADMIN Q_SESSION_INFO", [1]),
    ("campaign", "DB_SLOT_CAMPAIGN campaign add", ["SPRING", "c1", None, "hi", None, None, "UTC", None, None, 600]),
    ("rcpt", "DB_SLOT_CAMPAIGN campaign recipient add", [1, 2, PHONE, "{}", ""]),
    ("cmsg", "DB_SLOT_MSG STMT_MSG_OUT", ["u2", "c1", 0, 1, "campaign", "447", PHONE, "hi", "queued", ""]),
    ("rcpt set", "DB_SLOT_CAMPAIGN campaign recipient set", [1, "queued", "", 2]),
    ("done", "DB_SLOT_OUTBOX STMT_OUTBOX_DONE", ["accepted", "ib-2", None, "PENDING", "PENDING_ENROUTE", "", None, 2]),
    ("rcpts", "DB_SLOT_CAMPAIGN campaign recipients", [1, None, None, 0, -1]),
    ("third", "DB_SLOT_MSG STMT_MSG_OUT", ["u3", "c1", 1, 1, "agent", "447", PHONE, "third", "queued", ""]),
    ("third outbox", "DB_SLOT_MSG STMT_OUTBOX_ADD", [3, 0]),
    # Two MOs as the writer sends a group (sql/pg/028): a new contact, set
    # by set, then the known one through inbound_mo, into its open session.
    ("group", "DB_SLOT_MSG STMT_INBOUND_GROUP",
     ["{c1,c1}", "{g1,g2}", "{+4915112300009,%s}" % PHONE, "{0,0}",
      '{"-30 minutes","-30 minutes"}', "{ug1,ug2}", "{a,b}", "{447,447}", "{hi,again}",
      "{NULL,NULL}", "{0.01,NULL}", "{EUR,NULL}", "{1,1}", "{0,0}"]),
    ("group again", "DB_SLOT_MSG STMT_INBOUND_GROUP",
     ["{c1}", "{g2}", "{%s}" % PHONE, "{0}", '{"-30 minutes"}', "{ug3}", "{b}", "{447}",
      "{again}", "{NULL}", "{NULL}", "{NULL}", "{1}", "{0}"]),
]


def check_story(rows, out):
    """What the story's statements gave, as SQLite gives it."""
    t.check("end" in rows, "the story's statements run on PostgreSQL", out[-1500:])
    got = lambda mark: rows.get(mark, [])  # noqa: E731
    t.check(len(got("users")) == 1 and TIME_MS.match(got("users")[0][2]),
            "a default time is the store's text, to the millisecond", repr(got("users")))
    t.check(got("find") == [["1", "0"]], "an open session found, not idle (a modifier as an interval)",
            repr(got("find")))
    claim = got("claim")
    t.check(len(claim) == 1 and claim[0][:10] == ["1", "u1", "c1", PHONE, "hello", "1", "0", "0", "0", "0"]
            and abs(float(claim[0][10])) < 5, "the claim's row, its flags as 1 or 0", repr(claim))
    t.check(len(got("claimed")) == 1 and got("claimed")[0][4] == "sending",
            "a leased row shows as sending", repr(got("claimed")))
    t.check(got("again") == [], "a leased row is not claimed again", repr(got("again")))
    beat = got("beat get")
    ok = len(beat) == 1 and re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", beat[0][0])
    t.check(ok and 0 <= float(beat[0][1]) < 5 and abs(float(beat[0][2]) - time.time()) < 5,
            "a heartbeat's age and Unix time in seconds", repr(beat))
    logs = got("logs")
    t.check(len(logs) == 1 and logs[0][5] == "2", "a repeated entry is counted in one row", repr(logs))
    info = got("info")
    ok = len(info) == 1 and info[0][6] == "Ann"
    t.check(ok and json.loads(info[0][17]) == {"city": "Berlin"},
            "collected fields merged into the contact's JSON", repr(info))
    grp = got("group")
    t.check(len(grp) == 2 and grp[0][0] not in ("0", grp[1][0]) and grp[0][1] not in ("", "1")
            and grp[0][2:] == ["0", grp[0][3], "-1"] and grp[0][3] != "1"
            and grp[1][0] != "0" and grp[1][1:] == ["1", "0", "1", "-1"],
            "a group of MOs: a row each in order, a new contact with its own session, the known"
            " one in its open session, none queued (no agent asked)", repr(grp))
    t.check(got("group again") == [["0", "", "", "", "-1"]],
            "a group's MO stored before is a duplicate", repr(got("group again")))
    rcpts = got("rcpts")
    t.check(len(rcpts) == 1 and rcpts[0][3] == "sent" and rcpts[0][5] == "2",
            "the trigger makes an accepted campaign message's recipient sent; LIMIT -1 is no limit",
            repr(rcpts))


def check_skip_locked(pg, sql):
    """While one sender's transaction holds its claim, another claims
    without waiting and without the row the first holds."""
    claim = numbered(sql["DB_SLOT_OUTBOX STMT_CLAIM_SELECT"])
    holder = subprocess.Popen(
        [os.path.join(pg.bin, "psql"), "-X", "-q", "-A", "-t", "-h", pg.dir, "-p", "5432",
         "-U", "postgres", "-d", "ibchannel", "-v", "ON_ERROR_STOP=1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    holder.stdin.write("BEGIN;\nPREPARE c AS %s;\nEXECUTE c('10');\n"
                       "SELECT 'held', pg_sleep(4);\nCOMMIT;\n" % claim)
    holder.stdin.close()
    started = time.time()
    while time.time() - started < 10 and not pg.rows(
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT ''held''%'"):
        time.sleep(0.05)
    before = time.time()
    rows, out = run_story(pg, sql, [("other", "DB_SLOT_OUTBOX STMT_CLAIM_SELECT", [10])])
    waited = time.time() - before
    held = holder.stdout.read()
    holder.wait(timeout=20)
    t.check(held.startswith("3|"), "the first sender claims the due row", held)
    t.check(rows.get("other") == [] and waited < 2,
            "a second sender skips the row the first holds, without waiting",
            "%r after %.1f s" % (rows.get("other"), waited))


pg = None
try:
    pg = Cluster()

    # --- the schema -------------------------------------------------------------------
    rc, out = pg.psql(read(os.path.join(PG_SQL, "schema.sql")))
    t.check(rc == 0 and "ERROR" not in out, "sql/pg/schema.sql loads without an error", out[-2000:])
    pg_later = migrations(PG_SQL)
    for number, path in pg_later:
        rc, out = pg.psql(read(path))
        t.check(rc == 0 and "ERROR" not in out, "%s loads without an error"
                % os.path.relpath(path, ROOT), out[-2000:])
    lite_numbers = [n for n, _ in migrations(SQL)]
    t.check([n for n, _ in pg_later] == [n for n in lite_numbers if n > 17],
            "sql/pg/ has a migration of each number SQLite has after 17, and no other",
            repr(([n for n, _ in pg_later], lite_numbers)))
    version = pg.rows("SELECT version FROM schema_version")
    t.check(version == [[str(max(lite_numbers))]],
            "schema_version holds one row, the version of SQLite's last migration (%d)"
            % max(lite_numbers), repr(version))

    lite, post = without_own(sqlite_shape(), "sqlite"), without_own(pg_shape(pg), "postgresql")
    t.check(sorted(lite["tables"]) == sorted(post["tables"]), "the same tables",
            repr(sorted(set(lite["tables"]) ^ set(post["tables"]))))
    for table in sorted(set(lite["tables"]) & set(post["tables"])):
        t.check(lite["tables"][table] == post["tables"][table],
                "%s: the same columns in the same order, NOT NULL alike" % table,
                "sqlite %r, postgresql %r" % (lite["tables"][table], post["tables"][table]))
    for key in ("fks", "indexes", "views", "triggers"):
        t.check(lite[key] == post[key], "the same %s" % key,
                "only in sqlite %r, only in postgresql %r"
                % (sorted(lite[key] - post[key]), sorted(post[key] - lite[key])))
    t.check(lite["settings"] == post["settings"], "the same seeded settings",
            repr((lite["settings"], post["settings"])))
    t.check(lite["reply_mark"] == post["reply_mark"], "the same campaign_reply_mark row",
            repr((lite["reply_mark"], post["reply_mark"])))
    described = pg.rows("SELECT obj_description(p.oid, 'pg_proc') IS NOT NULL FROM pg_proc p"
                        " WHERE p.proname IN ('inbound_mo', 'inbound_group', 'report_apply')")
    t.check(described == [["t"]] * 3, "the store's functions are there, each with a comment",
            repr(described))
    comments = pg.rows(
        "SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a"
        " ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
        " WHERE c.relkind = 'r' AND col_description(c.oid, a.attnum) IS NULL"
        " UNION ALL SELECT c.relname FROM pg_class c JOIN pg_namespace n"
        " ON n.oid = c.relnamespace AND n.nspname = 'public'"
        " WHERE c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL")
    t.check(comments == [], "every table, view and column has a comment",
            repr([r[0] for r in comments]))

    # --- the statements ---------------------------------------------------------------
    stmts = statements()
    t.check(len(stmts) > 150, "build/pg_statements lists the store's statements",
            "%d listed" % len(stmts))
    errors, types, out = prepare_all(pg, stmts)
    for i, (slot, name, source, sql, table_sql) in enumerate(stmts):
        what = "%s %s (%s)" % (slot, name, "override" if source == "pg" else "table's text")
        if source == "pg":
            mine, theirs = params(sql), params(table_sql)
            t.check(mine == theirs, "%s: the override takes the parameters its statement"
                    " takes" % what, "override %r, table %r" % (sorted(mine), sorted(theirs)))
        if not t.check(i not in errors, "%s prepares on PostgreSQL" % what,
                       "%s\n      %s" % (errors.get(i), numbered(sql))):
            continue
        if not t.check(i in types, "%s: its types are known" % what, out[-500:]):
            continue
        t.check("boolean" not in types[i],
                "%s gives no boolean column (1 or 0, as SQLite)" % what, repr(types[i]))
    # --- a few statements run, as the programs would run them ----------------------------
    sql = {"%s %s" % (slot, name): text for slot, name, _, text, _ in stmts}
    check_story(*run_story(pg, sql, STORY))
    check_skip_locked(pg, sql)

    overrides = sum(1 for s in stmts if s[2] == "pg")
    print("%d statements, %d with PostgreSQL's own text" % (len(stmts), overrides))
except Exception as e:  # a cluster that did not start is one failure, said once
    t.check(False, "the PostgreSQL cluster runs", repr(e))
finally:
    if pg is not None:
        pg.stop()
t.done()
