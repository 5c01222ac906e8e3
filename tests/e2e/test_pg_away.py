"""The store away: PostgreSQL stopped (fast, then immediate) and started
again under webhook load, with the sender running. While it is down the
webhooks answer 503 and never 200, /health and the admin 503; once it is
back every program answers again without a restart, every id answered 200
(and every id retried after a 503, as Infobip retries) is stored exactly
once, and every queued message reaches the simulator exactly once. The
programs' role logs in with a password (pg_hba: scram-sha-256), given
through a PGPASSFILE, then written in the URI: it must appear in no log,
page, command output or process list. And the command line's refusals: a
wrong URI, a wrong or missing password, an unreachable server, a database
without a store: one line naming the store, exit 1.

Its own cluster (tests/pg.py), so tests/run.sh runs it once."""

import atexit
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import pg  # noqa: E402

ROLE = "ibapp"
# With characters a URI must encode. Its random core is unique, so that
# finding the core anywhere, even in a piece of the password, means it leaked.
CORE = os.urandom(6).hex()
PASSWORD = "pw-%s:/@x" % CORE

cluster = pg.Cluster(passwords=True)
atexit.register(cluster.stop)
cluster.start()
cluster.create_role(ROLE, PASSWORD)
cluster.create_database("away", owner=ROLE)
cluster.create_database("away_uri", owner=ROLE)
cluster.create_database("empty", owner=ROLE)

# The password through libpq's own means: a password file, outside every
# directory the programs write.
secrets = tempfile.mkdtemp(prefix="ibc-pgpass-")
atexit.register(shutil.rmtree, secrets, True)
passfile = os.path.join(secrets, "pgpass")
with open(passfile, "w") as f:
    f.write("*:*:*:%s:%s\n" % (ROLE, PASSWORD.replace("\\", "\\\\").replace(":", "\\:")))
os.chmod(passfile, 0o600)
os.environ["PGPASSFILE"] = passfile
# The harness reads it at import; each Env below names its own database.
os.environ["IBCHANNEL_TEST_PG"] = cluster.uri("postgres")
sys.path.insert(0, HERE)
from harness import BUILD, Env, wait_for  # noqa: E402
from webhook_load import Load, fcgi_pids, mo  # noqa: E402

seen_text = []          # every output and page, searched for the password
ps_seen = []            # process lists taken while everything ran


def ps_snapshot():
    """The command lines of every process now."""
    p = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True)
    ps_seen.append(p.stdout)


def cli(env, *args, **extra):
    """ibchannel ARGS with env's environment and extra variables; kept for the password search."""
    e = dict(env.env)
    e.update(extra)
    p = subprocess.run([os.path.join(BUILD, "ibchannel")] + list(args), env=e,
                       capture_output=True, text=True, timeout=60)
    seen_text.append(p.stdout + p.stderr)
    return p


def get(env, path, **kw):
    if path.startswith("/admin"):
        kw["headers"] = env.auth("ops")
    try:
        r = env.get(path, timeout=20, **kw)
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)
    seen_text.append(r.text)
    return r.status, r.text


# --- The store away under load -----------------------------------------------------

# sync full: a 200 must survive the server's crash (pg_ctl -m immediate);
# under normal (synchronous_commit off) the last commits may not.
ADMIN = {"ops": "ops-pw"}
env = Env("pg_away", db=cluster.uri("away", ROLE), procs=1, sync="full", admin_users=ADMIN)
env.set_roles({"ops": "admin"})
env.check(CORE not in env.db and "PGPASSFILE" in env.env,
          "the programs' URI holds no password: it comes from the password file")
cid = env.add_connection()
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1")
env.cli("settings", "set", "send_lease_seconds", "2")
env.cli("settings", "set", "send_batch_size", "1")
# Each send takes a while, so the sender is sending while the store goes.
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "slow", "delay": 0.4,
                        "count": 1000})
QUEUED = 16
uids = []
for i in range(QUEUED):
    p = env.cli("send", "--connection", cid, "--to", "4915112399%03d" % i,
                "--text", "queued %d" % i)
    uids.append(env.sql1("SELECT uid FROM messages WHERE id = ?", (int(p.stdout.strip()),)))
env.check(len(set(uids)) == QUEUED and all(uids), "%d messages queued" % QUEUED)

# No lock file: on a server several senders share the claims.
sender = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "600"],
                          env=env.env, stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(env.var, "sender.log"), "w"))
atexit.register(lambda: sender.poll() is None and sender.kill())


def sent_uids():
    return [m["messageId"] for m in env.sim("/_sim/messages")["messages"]
            if m["messageId"] in uids]


def health():
    return get(env, "/health")[0]


env.check(wait_for(lambda: len(sent_uids()) >= 1, 20), "the sender is sending")
env.check(wait_for(lambda: len(fcgi_pids(env)) == 3, 20), "lighttpd runs the three programs",
          repr(fcgi_pids(env)))
pids = fcgi_pids(env)
load = Load(env, cid, ["mo", "mo", "mo", "dlr", "dlr"], "away")
load.start()
env.check(wait_for(lambda: len(load.since(0, 200)) >= 20, 20), "the load is answered 200")


def outage(mode):
    """Stops the server (pg_ctl -m mode) under the load, checks what the
    programs answer while it is down, starts it again and checks that they
    answer again. Returns (down, up): when it went and came back."""
    sent_before = len(sent_uids())
    ps_snapshot()
    down = time.time()
    cluster.halt(mode)
    env.check(wait_for(lambda: health() == 503, 20), "%s stop: /health answers 503" % mode)
    env.check(wait_for(lambda: len(load.since(down, 503)) >= 5, 20),
              "%s stop: the webhooks answer 503" % mode, repr(load.since(down)[-5:]))
    status, text = get(env, "/admin/")
    env.check(status == 503 and "unavailable" in text,
              "%s stop: the admin answers 503 with a page" % mode, "%s %s" % (status, text[:200]))
    status, text = get(env, "/channel/%s/docs" % cid)
    env.check(status == 503, "%s stop: the docs page answers 503" % mode, "%s %s" % (status, text[:200]))
    p = cli(env, "connection", "list")
    env.check(p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1
              and "cannot open the store postgresql://%s@/away" % ROLE in p.stderr,
              "%s stop: the command line says so in one line, exit 1" % mode,
              "%d %r %r" % (p.returncode, p.stdout, p.stderr))
    ps_snapshot()
    # Whatever was answered while it was surely down: nothing was 200.
    mid = time.time()
    env.check(wait_for(lambda: len(load.since(mid)) >= 5, 20), "%s stop: the load goes on" % mode)
    env.check(not load.since(mid, 200) and sender.poll() is None,
              "%s stop: no 200 while the store is down; the sender keeps running" % mode,
              repr(load.since(mid, 200)[:3]))
    up = time.time()
    cluster.start()
    env.check(wait_for(lambda: health() == 200, 30), "%s stop: /health says 200 again" % mode)
    back = time.time()
    env.check(wait_for(lambda: len(load.since(back, 200)) >= 10, 30),
              "%s stop: the webhooks answer 200 again" % mode)
    status, _ = get(env, "/admin/")
    env.check(status == 200, "%s stop: the admin answers 200 again" % mode, str(status))
    env.check(wait_for(lambda: len(sent_uids()) > sent_before or len(sent_uids()) == QUEUED, 30),
              "%s stop: the sender sends again" % mode)
    return down, up


outage("fast")
outage("immediate")
load.stop()
ps_snapshot()
env.check(fcgi_pids(env) == pids, "no program was restarted", "%r %r" % (pids, fcgi_pids(env)))

# Every id answered 200 is stored once; every id tried is stored at most once
# (the client retried each until 200, so every one should be there).
with load.lock:
    ok, tried = dict(load.ok), dict(load.tried)
env.check(len(ok) > 50 and set(ok) == set(tried), "every id tried was answered 200 in the end",
          "%d of %d" % (len(ok), len(tried)))
mos = dict(env.sql("SELECT infobip_id, COUNT(*) FROM messages WHERE direction = 'in'"
                   " AND infobip_id LIKE 'away-%' GROUP BY infobip_id"))
evs = dict(env.sql("SELECT message_uid, COUNT(*) FROM message_events"
                   " WHERE message_uid LIKE 'away-%' GROUP BY message_uid"))
stored = {**mos, **evs}
missing = [m for m in ok if stored.get(m) != 1]
env.check(not missing, "every id answered 200 is in the store exactly once (%d MOs, %d reports)"
          % (sum(1 for k in ok.values() if k == "mo"), sum(1 for k in ok.values() if k == "dlr")),
          repr([(m, stored.get(m)) for m in missing[:5]]))
env.check(all(stored.get(m, 0) <= 1 for m in tried) and set(stored) <= set(tried),
          "no id is stored twice")
n503 = len([a for a in load.answers if a[3] == 503])
env.check(n503 >= 10, "the load met the outages (%d answers 503)" % n503)

# The sender resumed on its own: every queued message reached the simulator once.
env.check(wait_for(lambda: len(sent_uids()) >= QUEUED, 90), "every queued message was sent",
          "%d of %d" % (len(sent_uids()), QUEUED))
sent = sent_uids()
env.check(sorted(sent) == sorted(uids), "each queued message reached the simulator exactly once",
          repr(sorted(u for u in set(sent) if sent.count(u) > 1)))
env.check(sender.poll() is None, "the sender ran through both outages")
# And it works on after the last one: a message queued now goes out.
p = env.cli("send", "--connection", cid, "--to", "4915112399999", "--text", "after")
uids.append(env.sql1("SELECT uid FROM messages WHERE id = ?", (int(p.stdout.strip()),)))
env.check(wait_for(lambda: uids[-1] in sent_uids(), 30),
          "a message queued after the outages is sent by the same sender")
sender.terminate()
sender.wait(30)
slog = env.read_var("sender.log")
# (The second outage may be over before the sender, busy sending, notices.)
env.check(slog.count("the store cannot be reached") >= 1 and
          slog.count("the store answers again") >= 1,
          "the sender said it waited for the store, and that it came back", slog[-800:])
# At most once a minute: each kind of line once per outage at most (the
# test takes less than two minutes a kind).
# The programs write to lighttpd's standard error.
web = env.read_var("lighttpd.out")
for what in ("cannot be opened", "connection to PostgreSQL is lost", "cannot reconnect"):
    n = len([l for l in web.splitlines() if what in l])
    env.check(n <= 3 * 2, "the web programs say '%s' at most once a minute each (%d)" % (what, n))
n = slog.count("the store cannot be reached")
env.check(n <= 2, "the sender says it waits at most once a minute (%d)" % n, slog)
logs = web + slog
env.check("cannot be opened" in web or "lost" in web, "the web programs logged the outage",
          web[-500:])
seen_text.append(logs)


def no_password_anywhere(t, env, where):
    """The password in no file of env's directory, no output, no page, no process list."""
    leaks = []
    for root, _, files in os.walk(env.dir):
        for name in files:
            if name == "lighttpd.conf":
                continue        # the configuration given, which holds the URI

            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if CORE.encode() in f.read():
                        leaks.append(path)
            except OSError:
                pass
    t.check(not leaks, "%s: the password is in no log or file" % where, repr(leaks))
    t.check(not any(CORE in s for s in seen_text), "%s: the password is in no output or page"
            % where, repr([s[:300] for s in seen_text if CORE in s][:3]))
    t.check(ps_seen and not any(CORE in s for s in ps_seen),
            "%s: the password is in no process list (%d taken)" % (where, len(ps_seen)))


no_password_anywhere(env, env, "password file")
passed, failed = env.passed, env.failed
env.stop()

# --- The password in the URI ---------------------------------------------------------

del os.environ["PGPASSFILE"]
uri = cluster.uri("away_uri", ROLE, PASSWORD)
env2 = Env("pg_away_uri", db=uri, procs=1, sync="full", admin_users=ADMIN)
env2.set_roles({"ops": "admin"})
env2.passed, env2.failed = passed, failed
seen_text.clear()
ps_seen.clear()
cid2 = env2.add_connection()
p = cli(env2, "init")
env2.check(p.returncode == 0 and "store postgresql://%s@/away_uri" % ROLE in p.stdout,
           "init names the store without its password", p.stdout + p.stderr)
for args in (["connection", "list"], ["check"], ["settings", "list"],
             ["restore", os.path.join(env2.dir, "none.db")]):
    cli(env2, *args)
p = cli(env2, "sender", "--once")
env2.check(p.returncode == 0 and CORE not in p.stdout + p.stderr
           and not any(n.startswith("postgres") for n in os.listdir(os.getcwd())),
           "a sender on a URI with a password takes no lock file and prints no password",
           "rc=%d %s %s" % (p.returncode, p.stdout + p.stderr, os.listdir(os.getcwd())))
for path in ("/health", "/admin/", "/admin/metrics", "/admin/connections/%s" % cid2,
             "/channel/%s/docs" % cid2):
    status, _ = get(env2, path)
    env2.check(status == 200, "GET %s answers 200" % path, str(status))
r = env2.post("/channel/%s/webhook/sms" % cid2, mo("uri-1"))
env2.check(r.status == 200, "a webhook is stored with the password in the URI", r.text)
ps_snapshot()
cluster.halt("fast")
env2.check(wait_for(lambda: get(env2, "/health")[0] == 503, 20), "stopped: /health answers 503")
r = env2.post("/channel/%s/webhook/sms" % cid2, mo("uri-2"))
env2.check(r.status == 503, "stopped: a webhook answers 503", r.text)
status, _ = get(env2, "/admin/")
env2.check(status == 503, "stopped: the admin answers 503", str(status))
p = cli(env2, "connection", "list")
env2.check(p.returncode == 1 and len(p.stderr.splitlines()) == 1, "stopped: the CLI, one line",
           p.stderr)
ps_snapshot()
cluster.start()
env2.check(wait_for(lambda: get(env2, "/health")[0] == 200, 30), "started: /health 200 again")
r, _ = env2.post_as_infobip("/channel/%s/webhook/sms" % cid2, mo("uri-2"))
env2.check(r is not None and r.status == 200, "started: the retried webhook is stored")
env2.check(env2.sql1("SELECT COUNT(*) FROM messages WHERE infobip_id IN ('uri-1', 'uri-2')") == 2,
           "both MOs stored once")

# Programs started while the server is down do not give up: they answer
# 503 until it is back, then 200, still without a restart.
cluster.halt("fast")
seen_text.append(env2.read_var("lighttpd.out"))     # the new lighttpd writes a new one
old = env2.procs.pop()
old.terminate()
old.wait(10)
env2.start_lighttpd(1, "full")
env2.check(wait_for(lambda: len(fcgi_pids(env2)) == 3, 20) and
           wait_for(lambda: get(env2, "/health")[0] == 503, 20),
           "started with the server down: the programs run and /health answers 503",
           repr(fcgi_pids(env2)))
pids2 = fcgi_pids(env2)
r = env2.post("/channel/%s/webhook/sms" % cid2, mo("uri-3"))
env2.check(r.status == 503, "started with the server down: a webhook answers 503", r.text)
cluster.start()
r, _ = env2.post_as_infobip("/channel/%s/webhook/sms" % cid2, mo("uri-3"))
env2.check(r is not None and r.status == 200 and get(env2, "/health")[0] == 200
           and get(env2, "/admin/")[0] == 200 and fcgi_pids(env2) == pids2,
           "the server started after them: the programs answer 200, not restarted")
env2.check(env2.sql1("SELECT COUNT(*) FROM messages WHERE infobip_id = 'uri-3'") == 1,
           "the MO retried after the server started is stored once")
seen_text.append(env2.read_var("lighttpd.out"))

# A list of hosts, the first one down, with target_session_attrs: libpq
# tries them in turn and the store opens on the second.
multi = "postgresql://%s:%s@/away_uri?host=%s,%s&port=1,%d&target_session_attrs=read-write" % (
    ROLE, quote(PASSWORD, safe=""), os.path.join(env2.dir, "nowhere"), cluster.root, pg.PORT)
p = cli(env2, "connection", "list", IBCHANNEL_DB=multi)
env2.check(p.returncode == 0 and cid2 in p.stdout,
           "a multi-host URI whose first host is down opens the store", p.stderr)

# --- init with a URI makes nothing named after it ------------------------------------------

# Without IBCHANNEL_KEY_FILE the key file goes where the default store file
# would be: var/ beside build/'s working directory for a program run from
# the build tree.
cluster.create_database("away_key", owner=ROLE)
work = tempfile.mkdtemp(prefix="ibc-pgwork-")
atexit.register(shutil.rmtree, work, True)
e = dict(env2.env, IBCHANNEL_DB=cluster.uri("away_key", ROLE, PASSWORD))
del e["IBCHANNEL_KEY_FILE"]
p = subprocess.run([os.path.join(BUILD, "ibchannel"), "init"], env=e, cwd=work,
                   capture_output=True, text=True, timeout=60)
seen_text.append(p.stdout + p.stderr)
made = sorted(os.path.relpath(os.path.join(r, n), work)
              for r, ds, fs in os.walk(work) for n in ds + fs)
env2.check(p.returncode == 0 and "key file var/ibchannel.key created" in p.stdout
           and made == ["var", "var/ibchannel.key"],
           "init on a URI: the key file in the default store directory, nothing named after"
           " the URI", "%r %r" % (p.stdout + p.stderr, made))
for bad_name in ("postgresql:/%s:%s@/away_key" % (ROLE, PASSWORD),
                 "mysql://%s:%s@localhost/away_key" % (ROLE, quote(PASSWORD, safe=""))):
    p = subprocess.run([os.path.join(BUILD, "ibchannel"), "init"],
                       env=dict(e, IBCHANNEL_DB=bad_name), cwd=work,
                       capture_output=True, text=True, timeout=60)
    seen_text.append(p.stdout + p.stderr)
    made2 = sorted(os.listdir(work))
    env2.check(p.returncode == 1 and len(p.stderr.splitlines()) == 1 and "URI" in p.stderr
               and made2 == ["var"], "init refuses %s, making nothing" % bad_name.split(":")[0],
               "%r %r" % (p.stderr, made2))

# --- The command line's refusals ------------------------------------------------------------

t = env2
bad = {
    "a wrong password": (cluster.uri("away_uri", ROLE, "not-" + PASSWORD),
                         "password authentication failed"),
    "no password at all": (cluster.uri("away_uri", ROLE), "no password supplied"),
    "an unreachable server": ("postgresql://%s:%s@127.0.0.1:1/away_uri" % (ROLE, quote(PASSWORD, safe="")),
                              "Connection refused"),
    "a URI libpq cannot read": ("postgresql://%s:%s@[::1/away_uri" % (ROLE, quote(PASSWORD, safe="")),
                                "IPv6"),
    # The password's '/' and ':' unencoded: libpq takes a piece of it for a port.
    "a password not percent-encoded": ("postgresql://%s:%s@127.0.0.1:1/away_uri" % (ROLE, PASSWORD),
                                       "port"),
    "an unknown option": (uri + "&nosuchoption=1", "nosuchoption"),
    "a database without a store": (cluster.uri("empty", ROLE, PASSWORD), "ibchannel init"),
}
for what, (u, reason) in bad.items():
    p = cli(env2, "connection", "list", IBCHANNEL_DB=u)
    lines = p.stderr.splitlines()
    t.check(p.returncode == 1 and p.stdout == "" and len(lines) == 1 and reason in p.stderr
            and "cannot open the store postgres" in p.stderr and "%s@" % ROLE in p.stderr,
            "%s: one line naming the store and the reason, exit 1" % what,
            "%d %r" % (p.returncode, p.stderr))
# A web program with a wrong password: 503, and the reason in its log.
e = dict(env2.env, IBCHANNEL_DB=bad["a wrong password"][0], GATEWAY_INTERFACE="CGI/1.1",
         REQUEST_METHOD="GET", REQUEST_URI="/health", SCRIPT_NAME="", PATH_INFO="/health",
         SERVER_PROTOCOL="HTTP/1.1")
p = subprocess.run([os.path.join(BUILD, "inbound.fcgi")], env=e, capture_output=True,
                   timeout=30)
err = p.stderr.decode(errors="replace")
seen_text.append(p.stdout.decode(errors="replace") + err)
t.check(b"Status: 503" in p.stdout and
        len([l for l in err.splitlines() if "password authentication failed" in l]) == 1,
        "a web program with a wrong password answers 503 and logs why once", err)
ps_snapshot()
no_password_anywhere(t, env2, "password in the URI")
env2.done()
