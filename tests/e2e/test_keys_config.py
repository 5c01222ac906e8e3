"""Hardening of the installation's edges: what reaches the operator's
terminal, and what the command line refuses to store."""

import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Env, basic_auth  # noqa: E402

env = Env("keys_config")
IBC = os.path.join(BUILD, "ibchannel")


def run(*args, **over):
    """ibchannel with the Env's environment, changed by over (None removes a variable)."""
    e = dict(env.env)
    for k, v in over.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return subprocess.run([IBC] + list(args), env=e, capture_output=True, text=True,
                          timeout=60)


def one_line_error(p, code, word):
    err = p.stderr.strip()
    return (p.returncode == code and err.count("\n") == 0 and err.startswith("ibchannel: ")
            and word.lower() in err.lower())


def mo(message_id, text, frm="4915112345678"):
    return {"results": [{"messageId": message_id, "from": frm, "to": "447491163443",
                         "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000",
                         "smsCount": 1}], "messageCount": 1, "pendingMessageCount": 0}


cid = env.add_connection()

# --- Terminal escapes: C1 controls and bidi overrides never reach the terminal raw ---------
RAW = {
    "CSI (U+009B)": "\u009b2J",
    "NEL (U+0085)": "a\u0085b",
    "RLO (U+202E)": "pay \u202edlrow",
    "LRI/PDI (U+2066, U+2069)": "\u2066x\u2069",
    "ESC (C0)": "\x1b[31m",
}
text = "hi " + " ".join(RAW.values())
r = env.post("/channel/%s/webhook/sms" % cid, mo("esc-1", text))
env.check(r.status == 200 and r.json()["stored"] == 1, "message with C1 and bidi text stored", r.text)
env.check(env.sql1("SELECT text FROM messages WHERE infobip_id = 'esc-1'") == text,
          "the store keeps the text exactly as received")
sid = env.sql1("SELECT session_id FROM messages WHERE infobip_id = 'esc-1'")
for verb, args in (("session list", ["session", "list"]),
                   ("session show", ["session", "show", str(sid)])):
    p = env.cli(*args)
    for what, raw in RAW.items():
        env.check(raw not in p.stdout, "%s: %s escaped" % (verb, what), repr(p.stdout))
    env.check(all(ch not in p.stdout for ch in "\u009b\u0085\u202e\u2066\u2069\x1b"),
              "%s prints none of the control characters raw" % verb, repr(p.stdout))
    env.check("\\u009b2J" in p.stdout and "pay \\u202edlrow" in p.stdout
              and "\\u2066x\\u2069" in p.stdout and "\\x1b[31m" in p.stdout,
              "%s shows them as \\u and \\x escapes" % verb, repr(p.stdout))

# The command line refuses control characters in what an operator types in.
BAD_TEXT = ["tab\there", "new\nline", "\x1b[2J", "csi\u009b", "nel\u0085", "rlo\u202e",
            "pdi\u2069"]
before = env.snapshot()
for bad in BAD_TEXT:
    p = env.cli("connection", "add", "--name", bad, "--api-key", "k" * 20,
                "--api-url", "x.api.infobip.com", "--sender", "Shop", check=False)
    env.check(one_line_error(p, 2, "name"), "connection name %r refused" % bad,
              "%d %s" % (p.returncode, p.stderr))
    p = env.cli("connection", "add", "--name", "N", "--description", bad, "--api-key",
                "k" * 20, "--api-url", "x.api.infobip.com", "--sender", "Shop", check=False)
    env.check(one_line_error(p, 2, "description"), "description %r refused" % bad,
              "%d %s" % (p.returncode, p.stderr))
    p = env.cli("connection", "env", cid, "INFOBIP_SHORT_DOMAIN", bad, check=False)
    env.check(one_line_error(p, 2, "value"), "environment value %r refused" % bad,
              "%d %s" % (p.returncode, p.stderr))
env.check(env.snapshot() == before, "refused names, descriptions and values stored nothing")
p = env.cli("connection", "add", "--name", "Caf\u00e9 \u20ac line", "--description",
            "\u00fcber \u0627\u0644\u0639\u0631\u0628\u064a\u0629", "--api-key", "k" * 20,
            "--api-url", "x.api.infobip.com", "--sender", "Shop", check=False)
env.check(p.returncode == 0, "names and descriptions in other scripts are fine", p.stderr)
p = env.cli("connection", "env", cid, "INFOBIP_SHORT_DOMAIN", "go.example.com", check=False)
env.check(p.returncode == 0, "a plain environment value is fine", p.stderr)

# A name that got into the store some other way is shown escaped.
env.sql("UPDATE connections SET name = ?, description = ? WHERE id = ?",
        ("evil\u009b2J\u202e", "d\x1b[31m", cid))
p = env.cli("connection", "list")
env.check("evil\\u009b2J\\u202e" in p.stdout and "\u009b" not in p.stdout,
          "connection list escapes the name", repr(p.stdout))
p = env.cli("connection", "show", cid)
env.check("evil\\u009b2J\\u202e" in p.stdout and "d\\x1b[31m" in p.stdout
          and "\x1b" not in p.stdout and "\u202e" not in p.stdout,
          "connection show escapes name and description", repr(p.stdout))
env.sql("UPDATE connections SET name = 'Test line', description = '' WHERE id = ?", (cid,))

# --- Agents with an API key use https (loopback excepted) ----------------------------------
keyfile = os.path.join(env.dir, "agent.key")
with open(keyfile, "w") as f:
    f.write("agent-secret-0123456789\n")
agents_before = env.sql1("SELECT COUNT(*) FROM agents")
for kind, url, extra in (("http", "http://agent.example.com/hook", []),
                         ("openai", "http://api.example.com", ["--model", "m"]),
                         ("openai", "HTTP://10.0.0.7:8080/v1", ["--model", "m"])):
    p = env.cli("agent", "add", "--name", "A", "--kind", kind, "--url", url,
                "--api-key-file", keyfile, *extra, check=False)
    env.check(one_line_error(p, 2, "must use https"),
              "%s agent with a key over plain http refused" % kind,
              "%d %s" % (p.returncode, p.stderr))
p = env.cli("agent", "add", "--name", "A", "--kind", "http", "--url",
            "https://u:p@agent.example.com/", check=False)
env.check(one_line_error(p, 2, "credentials in the URL are not allowed"),
          "agent URL with credentials refused", p.stderr)
p = env.cli("agent", "add", "--name", "A", "--kind", "http", "--url",
            "https://agent.example.com/h\u00e4", check=False)
env.check(one_line_error(p, 2, "not ASCII"), "agent URL with a non-ASCII byte refused", p.stderr)
env.check(env.sql1("SELECT COUNT(*) FROM agents") == agents_before, "refused agents stored nothing")
for kind, url, extra in (("http", "https://agent.example.com/hook", ["--api-key-file", keyfile]),
                         ("openai", "http://127.0.0.1:11434", ["--model", "m", "--api-key-file",
                                                               keyfile]),
                         ("openai", "http://localhost:8080/v1", ["--model", "m",
                                                                 "--api-key-file", keyfile]),
                         ("http", "http://agent.example.com/hook", [])):
    p = env.cli("agent", "add", "--name", "A", "--kind", kind, "--url", url, *extra,
                check=False)
    env.check(p.returncode == 0, "%s agent at %s%s accepted" % (
        kind, url, " with a key" if extra and "--api-key-file" in extra else ""), p.stderr)
# An agent with a key that got an http URL some other way is never called with it.
conn2 = env.add_connection(name="Agent line")
aid = env.cli("agent", "add", "--name", "B", "--kind", "http", "--url",
              "https://agent.example.com/hook", "--api-key-file", keyfile).stdout.strip()
env.sql("UPDATE agents SET url = 'http://agent.invalid/hook' WHERE id = ?", (aid,))
env.cli("agent", "attach", aid, conn2, "--inbound")
env.cli("agent", "start", aid)
env.post("/channel/%s/webhook/sms" % conn2, mo("agent-http-1", "hello agent", "4915112340077"))
env.cli("sender", "--once")
logs = "\n".join(t for (t,) in env.sql("SELECT text FROM logs WHERE connection_id = ?", (conn2,)))
env.check("must use https when the agent has an API key" in logs,
          "the sender refuses to call a keyed agent over plain http, and logs why", logs)

# --- --api-url with credentials is named as such -------------------------------------------
for url in ("https://u:p@x.api.infobip.com", "u:p@x.api.infobip.com"):
    p = env.cli("connection", "add", "--name", "N", "--api-key", "k" * 20, "--api-url", url,
                "--sender", "Shop", check=False)
    env.check(one_line_error(p, 2, "credentials in the URL are not allowed")
              and "port" not in p.stderr, "--api-url %s: credentials, not a bad port" % url,
              p.stderr)

# --- IBCHANNEL_SYNC: a value other than full or normal is refused at start ----------------
for bad in ("fast", "off", "FULLL"):
    p = run("session", "list", IBCHANNEL_SYNC=bad)
    env.check(one_line_error(p, 1, "IBCHANNEL_SYNC must be full or normal") and p.stdout == "",
              "IBCHANNEL_SYNC=%s refused by the command line" % bad,
              "%d %r %r" % (p.returncode, p.stdout, p.stderr))
for good in ("full", "normal", "NORMAL", ""):
    p = run("session", "list", IBCHANNEL_SYNC=good)
    env.check(p.returncode == 0, "IBCHANNEL_SYNC=%r accepted" % good, p.stderr)
p = run("session", "list", IBCHANNEL_SYNC=None)
env.check(p.returncode == 0, "IBCHANNEL_SYNC unset means full", p.stderr)
for prog in ("inbound.fcgi", "reports.fcgi"):
    cgi_env = dict(env.env, IBCHANNEL_SYNC="fast", GATEWAY_INTERFACE="CGI/1.1",
                   REQUEST_METHOD="GET", REQUEST_URI="/health", SCRIPT_NAME="",
                   PATH_INFO="/health", SERVER_PROTOCOL="HTTP/1.1", CONTENT_LENGTH="0")
    p = subprocess.run([os.path.join(BUILD, prog)], env=cgi_env, capture_output=True,
                       timeout=30)
    err = p.stderr.decode(errors="replace")
    env.check(p.returncode != 0 and p.stdout == b""
              and "IBCHANNEL_SYNC must be full or normal" in err,
              "%s refuses to start with IBCHANNEL_SYNC=fast" % prog,
              "%d %r %s" % (p.returncode, p.stdout[:80], err))

# --- The public URL: unset by default; Start and the docs page say when Infobip cannot reach it
env.check(env.sql1("SELECT COUNT(*) FROM settings WHERE name = 'public_url'") == 0,
          "a new store has no public_url (no loopback seed)")
p = run("settings", "get", "public_url", IBCHANNEL_PUBLIC_URL=None)
env.check(p.returncode == 0 and p.stdout == "\n", "public_url is unset by default", repr(p.stdout))


def v1_store(name, public_url=None):
    """A store as version 1 of the schema left it (sql/schema.sql alone)."""
    path = os.path.join(env.dir, name)
    with open(os.path.join(ROOT, "sql", "schema.sql")) as f:
        schema = f.read()
    db = sqlite3.connect(path)
    db.executescript(schema)
    if public_url is not None:
        db.execute("UPDATE settings SET value = ? WHERE name = 'public_url'", (public_url,))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return path


old = v1_store("v1-seeded.db")
env.check(sqlite3.connect(old).execute("SELECT value FROM settings WHERE name = 'public_url'")
          .fetchall() == [("http://127.0.0.1:8080",)], "a version 1 store holds the loopback seed")
p = run("settings", "get", "public_url", IBCHANNEL_DB=old, IBCHANNEL_PUBLIC_URL=None)
env.check(p.returncode == 0 and p.stdout == "\n", "upgraded, the seeded loopback public_url is gone",
          "%r %s" % (p.stdout, p.stderr))
kept = v1_store("v1-set.db", "https://sms.example.com")
p = run("settings", "get", "public_url", IBCHANNEL_DB=kept, IBCHANNEL_PUBLIC_URL=None)
env.check(p.stdout.strip() == "https://sms.example.com", "a public_url an operator set is kept",
          "%r %s" % (p.stdout, p.stderr))


def start_warnings(conn):
    return env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'start'"
                    " AND level = 'warn' AND text LIKE '%reports and clicks cannot arrive%'",
                    (conn,))


pub = env.add_connection(name="Public URL line", start=False)
for what, over, word in (("unset", {"IBCHANNEL_PUBLIC_URL": None}, "not set"),
                         ("loopback", {}, "loopback")):
    warned = start_warnings(pub)
    p = run("connection", "start", pub, **over)
    env.check(p.returncode == 0 and p.stdout.startswith("RUNNING")
              and "warning: " in p.stdout and "reports and clicks cannot arrive" in p.stdout
              and word in p.stdout,
              "Start with the public URL %s: RUNNING, and says reports cannot arrive" % what,
              "%d %r %r" % (p.returncode, p.stdout, p.stderr))
    env.check(start_warnings(pub) == warned + 1, "... and a warning in the connection's log (%s)"
              % what)
warned = start_warnings(pub)
p = run("connection", "start", pub, IBCHANNEL_PUBLIC_URL="https://sms.example.com")
env.check(p.returncode == 0 and "warning" not in p.stdout and "cannot arrive" not in p.stdout,
          "Start with a public https URL gives no warning", p.stdout)
env.check(start_warnings(pub) == warned, "... and logs none")


def docs(remote_addr, public_url):
    """GET /channel/{id}/docs as plain CGI, as a viewer at remote_addr."""
    e = dict(env.env, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
             REQUEST_URI="/channel/%s/docs" % pub, SCRIPT_NAME="",
             PATH_INFO="/channel/%s/docs" % pub, SERVER_PROTOCOL="HTTP/1.1",
             CONTENT_LENGTH="0")
    if remote_addr is not None:
        e["REMOTE_ADDR"] = remote_addr
    if public_url is None:
        e.pop("IBCHANNEL_PUBLIC_URL", None)
    else:
        e["IBCHANNEL_PUBLIC_URL"] = public_url
    p = subprocess.run([os.path.join(BUILD, "inbound.fcgi")], env=e, capture_output=True,
                       timeout=30)
    return p.stdout.decode(errors="replace")


loop = env.base
for viewer in ("203.0.113.9", "2001:db8::7", None):
    page = docs(viewer, loop)
    env.check(page.startswith("Status: 200"), "docs served to %s" % viewer, page[:200])
    env.check("public-url-warning" in page and "127.0.0.1" not in page
              and "/channel/%s/webhook/sms" % pub in page,
              "a remote viewer (%s) gets a warning and paths, never loopback URLs" % viewer,
              page[-1500:])
for viewer in ("203.0.113.9", "127.0.0.1"):
    page = docs(viewer, None)
    shown = re.findall(r'<code id="webhook-[a-z]+">([^<]*)</code>', page)
    env.check("public-url-warning" in page and len(shown) == 3
              and all(u.startswith("/channel/%s/webhook/" % pub) for u in shown),
              "public URL unset: warning and paths for %s" % viewer, repr(shown))
for viewer in ("127.0.0.1", "::1"):
    page = docs(viewer, loop)
    env.check("public-url-warning" not in page and "%s/channel/%s/webhook/sms" % (loop, pub) in page,
              "a viewer on this machine (%s) gets the loopback URLs of the local demo" % viewer)
page = docs("203.0.113.9", "https://sms.example.com/")
env.check("public-url-warning" not in page
          and "https://sms.example.com/channel/%s/webhook/reports" % pub in page,
          "with a public https URL every viewer gets the full URLs", page[-1500:])
r = env.get("/channel/%s/docs" % pub)
env.check(r.status == 200 and "public-url-warning" not in r.text
          and "%s/channel/%s/webhook/sms" % (env.base, pub) in r.text,
          "under lighttpd a loopback viewer gets the loopback URLs")

# --- The key file must decrypt the store's secrets, or nothing runs -----------------------


def key_file(name, data=None, mode=0o600):
    path = os.path.join(env.dir, name)
    if os.path.exists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(32) if data is None else data)
    os.close(fd)
    os.chmod(path, mode)
    return path


def refused(p, word="does not belong to this store"):
    return one_line_error(p, 1, word) and p.stdout == ""


wrong = key_file("wrong.key")
line = env.add_connection(name="Key line")
queued = []
for i in range(3):
    q = env.cli("send", "--connection", line, "--to", "49151123400%02d" % i, "--text",
                "keyed %d" % i)
    queued.append(int(q.stdout.strip()))
sent_before = len(env.sim("/_sim/messages")["messages"])
store_before = env.snapshot()
p = run("sender", "--once", IBCHANNEL_KEY_FILE=wrong)
env.check(p.returncode == 1 and "does not belong to this store" in p.stderr and wrong in p.stderr,
          "sender --once with another installation's key refuses, loudly",
          "%d %r" % (p.returncode, p.stderr))
env.check(env.snapshot() == store_before, "... and changes nothing: no message failed")
env.check(all(env.sql1("SELECT status FROM messages WHERE id = ?", (m,)) == "queued"
              for m in queued), "the queued messages stay queued")
env.check(len(env.sim("/_sim/messages")["messages"]) == sent_before, "nothing sent")
for args in (["connection", "list"], ["connection", "show", line], ["connection", "start", line],
             ["connection", "add", "--name", "K", "--api-key", "k" * 20, "--api-url",
              "x.api.infobip.com", "--sender", "Shop"],
             ["agent", "add", "--name", "K", "--kind", "openai", "--url",
              "https://api.example.com", "--model", "m", "--api-key-file", keyfile]):
    p = run(*args, IBCHANNEL_KEY_FILE=wrong)
    env.check(refused(p), "%s refuses another installation's key" % " ".join(args[:2]),
              "%d %r %r" % (p.returncode, p.stdout, p.stderr))
env.check(env.snapshot() == store_before, "the refused commands changed nothing")
for prog in ("inbound.fcgi", "reports.fcgi", "admin.fcgi"):
    cgi_env = dict(env.env, IBCHANNEL_KEY_FILE=wrong, GATEWAY_INTERFACE="CGI/1.1",
                   REQUEST_METHOD="GET", REQUEST_URI="/channel/%s/docs" % line,
                   SCRIPT_NAME="", PATH_INFO="/channel/%s/docs" % line,
                   SERVER_PROTOCOL="HTTP/1.1", CONTENT_LENGTH="0")
    p = subprocess.run([os.path.join(BUILD, prog)], env=cgi_env, capture_output=True,
                       timeout=30)
    err = p.stderr.decode(errors="replace")
    env.check(p.returncode == 1 and p.stdout == b"" and "does not belong to this store" in err,
              "%s refuses to start with another installation's key" % prog,
              "%d %r %s" % (p.returncode, p.stdout[:80], err))
p = env.cli("sender", "--once", check=False)
env.check(p.returncode == 0 and all(env.sql1("SELECT status FROM messages WHERE id = ?", (m,))
                                    in ("accepted", "delivered") for m in queued),
          "with its own key the sender sends them", p.stderr)

# init refuses what every other command refuses, instead of saying "kept".
p = run("init", IBCHANNEL_KEY_FILE=wrong)
env.check(one_line_error(p, 1, "does not belong to this store") and "kept" not in p.stdout,
          "init refuses another installation's key",
          "%d %r %r" % (p.returncode, p.stdout, p.stderr))
for name, data, mode, word in (("short.key", os.urandom(31), 0o600, "32 bytes"),
                               ("long.key", os.urandom(33), 0o600, "32 bytes"),
                               ("open.key", None, 0o644, "by others")):
    path = key_file(name, data, mode)
    p = run("init", IBCHANNEL_KEY_FILE=path)
    env.check(p.returncode == 1 and word in p.stderr and "kept" not in p.stdout,
              "init refuses a key file %s" % ("of %d bytes" % len(data) if data else
                                              "readable by others"),
              "%d %r %r" % (p.returncode, p.stdout, p.stderr))
    p = run("connection", "list", IBCHANNEL_KEY_FILE=path)
    env.check(p.returncode == 1 and word in p.stderr, "... as every other command does (%s)"
              % name, p.stderr)
missing = os.path.join(env.dir, "missing.key")
p = run("init", IBCHANNEL_KEY_FILE=missing)
env.check(p.returncode == 1 and "missing" in p.stderr and "API keys" in p.stderr
          and not os.path.exists(missing),
          "init with the key file missing for a store with API keys refuses, makes no new key",
          "%d %r %r" % (p.returncode, p.stdout, p.stderr))
p = env.cli("init")
env.check(p.returncode == 0 and "kept" in p.stdout, "init with the right key keeps it", p.stdout)

# A store from before the key check: existing secrets decide, then the check is written.
env.sql("DELETE FROM key_check")
p = run("connection", "list", IBCHANNEL_KEY_FILE=wrong)
env.check(refused(p), "without a key check, a key that opens no secret is refused", p.stderr)
# A program of the running installation (the right key) may write the check
# meanwhile: what must not happen is the wrong key's check, which would then
# refuse the right key.
written = env.sql1("SELECT COUNT(*) FROM key_check")
env.check(written == 0 or env.cli("connection", "list", check=False).returncode == 0,
          "... and writes no key check of its own", written)
p = env.cli("connection", "list", check=False)
env.check(p.returncode == 0 and env.sql1("SELECT COUNT(*) FROM key_check") == 1,
          "the key that opens the secrets writes the key check", p.stderr)
p = run("sender", "--once", IBCHANNEL_KEY_FILE=wrong)
env.check(p.returncode == 1 and "does not belong" in p.stderr, "... which refuses the wrong key")

# A store without secrets: a lost key file can be replaced by init.
fresh_db = os.path.join(env.dir, "fresh", "ibchannel.db")
fresh_key = os.path.join(env.dir, "fresh", "ibchannel.key")
if env.engine == "postgresql":
    # a new database of the cluster; the key file still goes where it is told
    from harness import new_pg_database, pg_rows  # noqa: E402
    fresh_db = new_pg_database()
    os.mkdir(os.path.dirname(fresh_key))
p = run("init", IBCHANNEL_DB=fresh_db, IBCHANNEL_KEY_FILE=fresh_key)
env.check(p.returncode == 0 and "created" in p.stdout, "init of a new store creates its key",
          p.stderr)
if env.engine == "postgresql":
    checks = pg_rows(fresh_db, "SELECT COUNT(*) FROM key_check")[0][0]
else:
    checks = sqlite3.connect(fresh_db).execute("SELECT COUNT(*) FROM key_check").fetchone()[0]
env.check(checks == 1, "init writes the key check")
p = run("connection", "list", IBCHANNEL_DB=fresh_db, IBCHANNEL_KEY_FILE=wrong)
env.check(refused(p) and "ibchannel init" in p.stderr,
          "a store without API keys refuses another key too, and says how to start over",
          p.stderr)
os.unlink(fresh_key)
p = run("init", IBCHANNEL_DB=fresh_db, IBCHANNEL_KEY_FILE=fresh_key)
env.check(p.returncode == 0 and "created" in p.stdout and os.path.exists(fresh_key),
          "init replaces a lost key file of a store without API keys", p.stderr)
p = run("connection", "list", IBCHANNEL_DB=fresh_db, IBCHANNEL_KEY_FILE=fresh_key)
env.check(p.returncode == 0, "... and the new key is the store's key now", p.stderr)

# --- One public URL everywhere: the public_url setting, else IBCHANNEL_PUBLIC_URL --
# lighttpd gives its programs the Env's IBCHANNEL_PUBLIC_URL (a loopback base);
# cron's sender and an operator's shell have an environment of their own. The
# docs page, the admin's Access Information, the command line and the
# sender's notifyUrl must name the same base in every case.
web = Env("keys_config-public", admin_users={"ann": "ann-secret-pw"})
web.cli("user", "set", "ann", "admin")
pc = web.add_connection(name="Public line", sender="447491163443")
seen = [0]


def reports_urls(sender_env):
    """The reports URL as the docs page, the admin, 'connection urls' and the
    sender (a message sent with sender_env's IBCHANNEL_PUBLIC_URL) give it."""
    got = {}
    m = re.search(r'<code id="webhook-reports">([^<]*)</code>',
                  web.get("/channel/%s/docs" % pc).text)
    got["docs page"] = m and m.group(1)
    m = re.search(r'<code id="url-reports">([^<]*)</code>',
                  web.get("/admin/connections/%s" % pc,
                          headers=basic_auth("ann", "ann-secret-pw")).text)
    got["admin"] = m and m.group(1)
    m = re.search(r"^reports: (\S+)$", web.cli("connection", "urls", pc, check=False).stdout,
                  re.M)
    got["cli"] = m and m.group(1)
    seen[0] += 1
    to = "49151123%05d" % seen[0]
    web.cli("send", "--connection", pc, "--to", to, "--text", "hello")
    e = dict(web.env)
    e.pop("IBCHANNEL_PUBLIC_URL")
    if sender_env is not None:
        e["IBCHANNEL_PUBLIC_URL"] = sender_env
    subprocess.run([IBC, "sender", "--once"], env=e, capture_output=True, timeout=60)
    sent = [m for m in web.sim("/_sim/messages")["messages"] if m["to"] == to]
    got["sender"] = sent[0].get("delivery_url") if sent else None
    return got


want = "%s/channel/%s/webhook/reports"
for what, setting, cron, base in (
        ("set, the variable elsewhere", "https://sms.example.com/", "https://cron.example.com",
         "https://sms.example.com"),
        ("set, cron without the variable", "https://sms.example.com", None,
         "https://sms.example.com"),
        ("unset, every program with the same variable", None, web.base, web.base)):
    if setting is None:
        web.cli("settings", "unset", "public_url")
    else:
        web.cli("settings", "set", "public_url", setting)
    got = reports_urls(cron)
    env.check(set(got.values()) == {want % (base, pc)},
              "public URL %s: the docs page, the admin, the CLI and the sender agree on %s"
              % (what, base), repr(got))
web.stop()
env.passed += web.passed
env.failed += web.failed

env.done()
