"""The command line: init, connections (add, list, show, start, stop, env),
settings, against a real store and the Infobip simulator."""

import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, SIM_KEY  # noqa: E402

SMS_ONLY = "sms-only-key-aaaabbbbcccc"
env = Env("cli", sim_args=("--sms-only-keys", SMS_ONLY))

# --- init ----------------------------------------------------------------------
p = env.cli("init")
env.check(p.returncode == 0 and "kept" in p.stdout, "second init keeps the key file", p.stdout)
mode = stat.S_IMODE(os.stat(env.key).st_mode)
env.check(mode == 0o600, "key file mode 0600", oct(mode))
TABLES = ("connections", "connection_env", "agents", "agent_channels", "contacts", "sessions",
          "messages", "outbox", "message_events", "logs", "campaigns", "campaign_recipients",
          "users", "settings")
BUILD_CLI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "ibchannel")
if env.engine == "sqlite":
    schema = subprocess.run(["sqlite3", env.db, ".schema"], capture_output=True, text=True).stdout
    for table in TABLES:
        line = next((l for l in schema.splitlines() if l.startswith("CREATE TABLE %s " % table)), "")
        env.check("--" in line, "table %s has a comment in .schema" % table, line)
    env.check("CREATE VIEW session_overview" in schema and "CREATE VIEW delivery_daily" in schema,
              "analyst views in .schema")
    # Column lines are the indented lines inside CREATE TABLE bodies; CHECK
    # continuation lines belong to the column above them.
    body = []
    inside = False
    for l in schema.splitlines():
        if l.startswith("CREATE TABLE"):
            inside = True
            continue
        if inside and l.startswith(")"):
            inside = False
        if inside and l.startswith("\t") and not l.startswith("\t    ") \
                and not l.strip().startswith(("PRIMARY KEY", "UNIQUE")):
            body.append(l)
    env.check(len(body) > 80 and all("--" in l for l in body), "every column has a comment",
              "\n".join(l for l in body if "--" not in l)[:500])
    env.check(env.sql1("PRAGMA user_version") >= 1, "user_version set")
else:
    # PostgreSQL keeps the comments in the catalog (COMMENT ON), where \d+ shows them.
    for table in TABLES:
        env.check(env.sql1("SELECT obj_description(to_regclass(?), 'pg_class')", (table,)),
                  "table %s has a comment" % table)
    env.check(env.sql1("SELECT COUNT(*) FROM pg_views WHERE schemaname = current_schema()"
                       " AND viewname IN ('session_overview', 'delivery_daily')") == 2,
              "analyst views in the schema")
    cols = env.sql("SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c"
                   " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
                   " AND t.table_name = c.table_name WHERE c.table_schema = current_schema()"
                   " AND t.table_type = 'BASE TABLE' AND col_description(to_regclass("
                   "quote_ident(c.table_name)), c.ordinal_position::int) IS NULL")
    total = env.sql1("SELECT COUNT(*) FROM information_schema.columns c JOIN"
                     " information_schema.tables t ON t.table_schema = c.table_schema"
                     " AND t.table_name = c.table_name WHERE c.table_schema = current_schema()"
                     " AND t.table_type = 'BASE TABLE'")
    env.check(total > 80 and cols == [], "every column has a comment", repr(cols[:10]))
    env.check(env.sql1("SELECT version FROM schema_version") >= 1, "schema_version set")
if env.engine == "sqlite":
    nested = os.path.join(env.dir, "a", "b", "store.db")
    p = subprocess.run([BUILD_CLI, "init"], env=dict(env.env, IBCHANNEL_DB=nested,
                       IBCHANNEL_KEY_FILE=""), capture_output=True, text=True)
    env.check(p.returncode == 0 and os.path.isfile(nested)
              and os.path.isfile(os.path.join(env.dir, "a", "b", "ibchannel.key")),
              "init creates missing directories, the key file beside the store", p.stderr)
    env.check(os.path.isfile(nested) and stat.S_IMODE(os.stat(nested).st_mode) & 0o007 == 0,
              "the store is not readable by other users")
    env.check(env.sql1("PRAGMA journal_mode") == "wal", "WAL mode")
else:
    # A URI is no path: init makes no directory after it, and with no key
    # file named the key goes where the default store would be (var/ from
    # a build tree, run here from an empty working directory). The
    # journal mode has no PostgreSQL meaning.
    from harness import new_pg_database, pg_rows  # noqa: E402
    cwd = os.path.join(env.dir, "cwd")
    os.mkdir(cwd)
    p = subprocess.run([BUILD_CLI, "init"], env=dict(env.env, IBCHANNEL_DB=new_pg_database(),
                       IBCHANNEL_KEY_FILE=""), cwd=cwd, capture_output=True, text=True)
    made = sorted(os.path.relpath(os.path.join(d, f), cwd)
                  for d, ds, fs in os.walk(cwd) for f in ds + fs)
    env.check(p.returncode == 0 and made == ["var", os.path.join("var", "ibchannel.key")],
              "init on a server: the key file in var/, no directory named after the URI",
              "%d %r %s" % (p.returncode, made, p.stderr))

# --- connection add: good and bad arguments ------------------------------------------
keyfile = os.path.join(env.dir, "apikey.txt")
with open(keyfile, "w") as f:
    f.write(SIM_KEY + "\n")
p = env.cli("connection", "add", "--name", "Main line", "--api-key-file", keyfile,
            "--api-url", env.sim_url + "/", "--sender", "InfoSMS", "--description", "test")
cid = p.stdout.strip()
env.check(len(cid) == 32 and all(c in "0123456789abcdef" for c in cid), "add prints a 32-hex id", cid)
env.check(env.sql1("SELECT api_url FROM connections WHERE id = ?", (cid,)) == env.sim_url,
          "trailing slash removed from the API URL")
p = env.cli("connection", "add", "--name", "Hosted", "--api-key", "k" * 40,
            "--api-url", "xyz12.api.infobip.com", "--sender", "447491163443")
hosted = p.stdout.strip()
env.check(env.sql1("SELECT api_url FROM connections WHERE id = ?", (hosted,))
          == "https://xyz12.api.infobip.com", "https:// added when no scheme is given")

bad_args = [
    (["connection", "add", "--api-key", "k", "--api-url", "x.api.infobip.com", "--sender", "S1"], "name"),
    (["connection", "add", "--name", "N", "--api-url", "x.api.infobip.com", "--sender", "Shop"], "API key"),
    (["connection", "add", "--name", "N", "--api-key", "k", "--sender", "Shop"], "api-url"),
    (["connection", "add", "--name", "N", "--api-key", "k", "--api-url", "http://example.com",
      "--sender", "Shop"], "http"),
    (["connection", "add", "--name", "N", "--api-key", "k", "--api-url", "ftp://example.com",
      "--sender", "Shop"], ""),
    (["connection", "add", "--name", "N", "--api-key", "k", "--api-url", "x.api.infobip.com",
      "--sender", "123-456-7890"], "sender"),
    (["connection", "add", "--name", "N", "--api-key", "k", "--api-url", "x.api.infobip.com",
      "--sender", "ThisNameIsTooLong"], "11"),
    (["connection", "add", "--name", "N", "--api-key", "App k", "--api-url", "x.api.infobip.com",
      "--sender", "Shop"], "prefix"),
    (["connection", "add", "--name", "N", "--api-key", "k", "--api-key-file", keyfile,
      "--api-url", "x.api.infobip.com", "--sender", "Shop"], "not both"),
    (["connection", "add", "--name"], "needs a value"),
    (["connection", "add", "--bogus", "1"], "unknown option"),
    (["connection", "show", "nothex"], "connection id"),
    (["connection", "start"], "connection id"),
    (["connection", "frobnicate"], "unknown command"),
    (["nothing"], "unknown command"),
    (["init", "extra"], "no arguments"),
]
rows_before = env.sql1("SELECT COUNT(*) FROM connections")
for args, word in bad_args:
    p = env.cli(*args, check=False)
    err = p.stderr.strip()
    env.check(p.returncode == 2, "exit 2 for %s" % " ".join(args), "%d %s" % (p.returncode, err))
    env.check(err.count("\n") == 0 and err.startswith("ibchannel: ") and word.lower() in err.lower(),
              "one-line error naming '%s' for %s" % (word, " ".join(args)), err)
env.check(env.sql1("SELECT COUNT(*) FROM connections") == rows_before, "bad arguments stored nothing")

# --- help and version: on stdout, exit 0; per verb from the same table ----------------------
full = env.cli("help")
env.check(full.returncode == 0 and full.stdout.startswith("usage:\n") and full.stderr == "",
          "help: the usage on stdout, exit 0", full.stderr)
lines = full.stdout.splitlines()
env.check(len(lines) == len(set(lines)) and sum(l.split()[1:2] == ["outbox"] for l in lines) == 3,
          "help lists each command once (outbox: list, resend, fail)", full.stdout)
for args in (["--help"], ["-h"]):
    p = env.cli(*args, check=False)
    env.check(p.returncode == 0 and p.stdout == full.stdout and p.stderr == "",
              "%s: the usage on stdout, exit 0" % args[0], "%d %r" % (p.returncode, p.stderr))
# The one place the version is written: debian/changelog's newest entry.
changelog = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "debian", "changelog")).readline()
version = re.match(r"ibchannel \(([^)]+)\)", changelog).group(1)
p = env.cli("--version", check=False)
env.check(p.returncode == 0 and p.stdout == "ibchannel %s\n" % version and p.stderr == "",
          "--version prints the version on stdout", "%d %r %r" % (p.returncode, p.stdout, p.stderr))
add_usage = next((l for l in lines if l.startswith("  ibchannel connection add ")), "(none)")
for args in (["help", "connection", "add"], ["connection", "add", "--help"],
             ["connection", "add", "-h"], ["connection", "add", "--name", "x", "--help"]):
    p = env.cli(*args, check=False)
    env.check(p.returncode == 0 and p.stdout == "usage:\n%s\n" % add_usage and p.stderr == "",
              "%s: that verb's usage on stdout" % " ".join(args), "%d %r" % (p.returncode, p.stderr))
for args in (["help", "connection"], ["connection", "--help"], ["help", "send"], ["send", "--help"]):
    p = env.cli(*args, check=False)
    want = [l for l in lines[1:] if l.split()[1] == args[1 if args[0] == "help" else 0]]
    env.check(p.returncode == 0 and p.stdout.splitlines() == ["usage:"] + want,
              "%s: the usages of that command" % " ".join(args), "%d %r" % (p.returncode, p.stderr))
p = env.cli("help", "frobnicate", check=False)
env.check(p.returncode == 2 and p.stdout == "" and "unknown command" in p.stderr,
          "help of an unknown command: exit 2", p.stderr)
p = env.cli(check=False)
env.check(p.returncode == 2 and p.stdout == "" and p.stderr.startswith("usage:"),
          "no command: the usage on stderr, exit 2")

# --- a negative value is an argument: it reaches the setting's own check ------------------
settings_before = env.sql("SELECT * FROM settings ORDER BY name")
p = env.cli("settings", "set", "session_timeout_minutes", "-5", check=False)
env.check(p.returncode == 2 and "session_timeout_minutes" in p.stderr and "1 to" in p.stderr
          and "unknown option" not in p.stderr, "a negative setting gets the setting's message",
          p.stderr)
env.check(env.sql("SELECT * FROM settings ORDER BY name") == settings_before,
          "the refused setting changed nothing")

# --- list and show mask the key ---------------------------------------------------------
p = env.cli("connection", "list")
env.check(cid in p.stdout and "****" + SIM_KEY[-4:] in p.stdout and SIM_KEY not in p.stdout,
          "list shows the key masked", p.stdout)
env.check("STOPPED" in p.stdout, "new connections are STOPPED")
p = env.cli("connection", "show", cid)
env.check("api_url: " + env.sim_url in p.stdout and "sender: InfoSMS" in p.stdout
          and "****" + SIM_KEY[-4:] in p.stdout and SIM_KEY not in p.stdout,
          "show prints the fields with the key masked", p.stdout)

# --- Start / Stop ---------------------------------------------------------------------
p = env.cli("connection", "start", cid, check=False)
env.check(p.returncode == 0 and "RUNNING" in p.stdout and "47.79" in p.stdout,
          "start against the simulator: RUNNING with the balance", p.stdout + p.stderr)
snap = env.sql1("SELECT config_snapshot FROM connections WHERE id = ?", (cid,))
env.check(snap and env.sim_url in snap and "InfoSMS" in snap and SIM_KEY not in snap,
          "config snapshot taken, without the plaintext key", snap)
bal = [r for r in env.sim("/_sim/requests")["requests"] if r["path"] == "/account/1/balance"]
env.check(bal and bal[-1]["headers"].get("Authorization") == "App " + SIM_KEY
          and "ibchannel/" in bal[-1]["headers"].get("User-Agent", ""),
          "validation sent App auth and our User-Agent")

wrong = env.add_connection(name="Wrong key", key="wrong-key-000000", start=False)
p = env.cli("connection", "start", wrong, check=False)
env.check(p.returncode == 1 and "API key rejected" in p.stderr, "401 -> API key rejected", p.stderr)
env.check(env.sql1("SELECT status || ': ' || status_message FROM connections WHERE id = ?",
                   (wrong,)) == "ERROR: API key rejected", "ERROR with the reason as status message")

scoped = env.add_connection(name="SMS only", key=SMS_ONLY, start=False)
p = env.cli("connection", "start", scoped, check=False)
env.check(p.returncode == 0 and "RUNNING" in p.stdout, "403 on balance -> still RUNNING", p.stdout + p.stderr)
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE '%403%'",
                   (scoped,)) == 1, "403 noted in the log")

dead = env.add_connection(name="Dead URL", url="http://127.0.0.1:1", start=False)
p = env.cli("connection", "start", dead, check=False)
env.check(p.returncode == 1 and "API URL unreachable or not Infobip: " in p.stderr,
          "refused connection -> unreachable with the reason", p.stderr)
notib = env.add_connection(name="Not Infobip", url=env.sim_url + "/nothing/here", start=False)
p = env.cli("connection", "start", notib, check=False)
env.check(p.returncode == 1 and "API URL unreachable or not Infobip: " in p.stderr
          and "404" in p.stderr, "404 -> not Infobip, with the status", p.stderr)
nonjson = env.add_connection(name="Not JSON", url=env.base, start=False)
p = env.cli("connection", "start", nonjson, check=False)
env.check(p.returncode == 1 and "API URL unreachable or not Infobip: " in p.stderr,
          "a web server that is not Infobip -> not Infobip", p.stderr)
logtext = "\n".join(t for (t,) in env.sql("SELECT text FROM logs WHERE connection_id = ?", (dead,)))
env.check("Start failed: API URL unreachable" in logtext, "the failure is in the connection's log", logtext)

p = env.cli("connection", "stop", cid)
env.check(env.sql1("SELECT status FROM connections WHERE id = ?", (cid,)) == "STOPPED",
          "stop -> STOPPED")
p = env.cli("connection", "stop", "f" * 32, check=False)
env.check(p.returncode == 1 and "no connection" in p.stderr, "stop of an unknown connection")

# --- Environment variables take effect at the next Start ---------------------------------
env.cli("connection", "env", cid, "INFOBIP_SHORT_DOMAIN", "go.example.com")
p = env.cli("connection", "env", cid, "bad-name", "x", check=False)
env.check(p.returncode == 2, "invalid variable name refused")
snap = env.sql1("SELECT config_snapshot FROM connections WHERE id = ?", (cid,))
env.check("go.example.com" not in (snap or ""), "env change not in the running snapshot yet")
env.cli("connection", "start", cid)
snap = env.sql1("SELECT config_snapshot FROM connections WHERE id = ?", (cid,))
env.check("go.example.com" in (snap or ""), "env change taken at the next Start", snap)

# --- settings --------------------------------------------------------------------------
env.cli("settings", "set", "public_url", "https://sms.example.com")
env.check(env.cli("settings", "get", "public_url").stdout.strip() == "https://sms.example.com",
          "settings round trip")
env.check(env.cli("settings", "frob", check=False).returncode == 2, "settings usage error")

# --- send: the send API's checks, and one exit status per outcome -------------------------
snap = env.snapshot()
for text, why in [("caf\udce9 au lait", "not valid UTF-8"),
                  ("\x1b[2Jcleared", "control character"),
                  ("ding\x07", "control character"),
                  (" \n\t", "only white space")]:
    p = env.cli("send", "--connection", cid, "--to", "41793026727", "--text", text, check=False)
    env.check(p.returncode == 2 and why in p.stderr and p.stdout == "",
              "send refuses what the send API refuses (exit 2): %r" % text, p.stderr)
env.check(env.snapshot() == snap, "refused texts stored nothing")
p = env.cli("send", "--connection", cid, "--to", "+41 79 302", "--text", "hi", check=False)
env.check(p.returncode == 1 and "invalid phone number" in p.stderr and p.stdout.strip().isdigit(),
          "send to an invalid number: stored failed, exit 1", p.stderr)
p = env.cli("send", "--connection", cid, "--to", "41793026727", "--text", "hello")
env.check(p.returncode == 0 and p.stdout.strip().isdigit(), "send to a valid number: exit 0")
env.sql("UPDATE contacts SET opted_out = 1 WHERE phone = '+41793026727'")
p = env.cli("send", "--connection", cid, "--to", "41793026727", "--text", "promo", check=False)
mid = p.stdout.strip()
env.check(p.returncode == 1 and "opted out" in p.stderr and mid.isdigit()
          and env.sql1("SELECT status FROM messages WHERE id = ?", (int(mid or 0),)) == "failed",
          "send to an opted-out contact: stored failed, exit 1", p.stderr)
sid = env.sql1("SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
               " WHERE c.phone = '+41793026727'")
p = env.cli("session", "reply", str(sid), "--text", "are you there?", check=False)
env.check(p.returncode == 1 and "opted out" in p.stderr and p.stdout.strip().isdigit(),
          "reply to an opted-out contact: exit 1", p.stderr)
p = env.cli("session", "reply", str(sid), "--text", "bell\x07", check=False)
env.check(p.returncode == 2 and "control character" in p.stderr,
          "reply with a control character: exit 2", p.stderr)

# --- make install ----------------------------------------------------------------------
dest = os.path.join(env.dir, "destdir")
p = subprocess.run(["make", "-s", "-C", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "install", "DESTDIR=" + dest, "PREFIX=/opt/ibc"],
    capture_output=True, text=True)
want = ["opt/ibc/bin/ibchannel", "opt/ibc/lib/ibchannel/inbound.fcgi",
        "opt/ibc/lib/ibchannel/reports.fcgi", "opt/ibc/lib/ibchannel/admin.fcgi",
        "opt/ibc/share/ibchannel/sql/schema.sql"]
missing = [w for w in want if not os.path.isfile(os.path.join(dest, w))]
env.check(p.returncode == 0 and not missing, "make install DESTDIR PREFIX installs programs and sql/",
          p.stderr[-300:] + repr(missing))
env.check(os.access(os.path.join(dest, want[0]), os.X_OK), "installed ibchannel is executable")

# --- Store errors are errors, never a crash ----------------------------------------------
p = env.cli("connection", "env", "0" * 32, "FOO", "bar", check=False)
env.check(p.returncode == 1 and p.stderr.strip() == "ibchannel: no such connection",
          "env of an unknown connection: 'no such connection', exit 1", p.stderr)
p = env.cli("connection", "env", "0" * 32, "FOO", check=False)
env.check(p.returncode == 1 and "no such connection" in p.stderr,
          "env removal of an unknown connection: 'no such connection'", p.stderr)
if env.engine == "sqlite":
    broken = os.path.join(env.dir, "broken.db")
    subprocess.run(["cp", env.db, broken], check=True)
    subprocess.run(["sqlite3", broken, "PRAGMA wal_checkpoint(TRUNCATE); DROP VIEW session_overview"],
                   check=True, capture_output=True)
else:
    # A database of its own, initialised and then broken the same way.
    broken = new_pg_database()
    subprocess.run([BUILD_CLI, "init"], env=dict(env.env, IBCHANNEL_DB=broken), check=True,
                   capture_output=True)
    pg_rows(broken, "DROP VIEW session_overview")
p = subprocess.run([BUILD_CLI, "session", "list"],
                   env=dict(env.env, IBCHANNEL_DB=broken), capture_output=True, text=True)
env.check(p.returncode == 1 and "STMT_SESSION_LIST" in p.stderr and "session_overview" in p.stderr,
          "session list on a store missing its view: a named error and exit 1, not a crash",
          "%d %s" % (p.returncode, p.stderr))

# --- The key never leaks -------------------------------------------------------------------
if env.engine == "sqlite":
    with open(env.db, "rb") as f:
        data = f.read()
    wal = env.db + "-wal"
    if os.path.exists(wal):
        with open(wal, "rb") as f:
            data += f.read()
    where = "the database file and WAL"
else:
    # Every row the database holds, as pg_dump writes it out.
    data = subprocess.run(["pg_dump", "--data-only", "-d", env.db], capture_output=True,
                          check=True).stdout
    where = "a dump of the database"
env.check(len(data) > 10000 and SIM_KEY.encode() not in data and SMS_ONLY.encode() not in data,
          "plaintext keys absent from " + where)
logs = "\n".join(t for (t,) in env.sql("SELECT text FROM logs"))
env.check(SIM_KEY not in logs and SMS_ONLY not in logs, "keys absent from the connection logs")
env.done()
