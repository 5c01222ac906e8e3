"""End-to-end test harness: a real lighttpd on loopback running the built
FastCGI programs against a real store, with the Infobip simulator.

Each test script makes one Env, calls its checks, and ends with
env.done(), which prints "N passed, N failed".

The store is a SQLite file, or, when IBCHANNEL_TEST_PG holds the URI of a
PostgreSQL database (tests/pg.py exec sets it; tests/run.sh runs the suites
a second time that way), a fresh database of that cluster per Env. ENGINE
says which; env.sql() and env.snapshot() read either.
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
SAMPLES = os.path.join(ROOT, "tests", "data", "infobip", "samples")
SIM_KEY = "sim-key-0123456789abcdef"
PG_URI = os.environ.get("IBCHANNEL_TEST_PG", "")
ENGINE = "postgresql" if PG_URI else "sqlite"


def schema_newest():
    """The newest schema version of this tree: the highest NNN of sql/'s
    migrations (both engines have every version)."""
    return max(int(f[:3]) for f in os.listdir(os.path.join(ROOT, "sql"))
               if f[:3].isdigit() and f.endswith(".sql"))


def sqlite_only(why):
    """Ends a suite that has nothing to check on PostgreSQL, saying why, as
    a pass of zero checks (tests/run.sh counts the result line)."""
    if ENGINE == "sqlite":
        return
    print("skipped on PostgreSQL: %s" % why)
    print("0 passed, 0 failed", flush=True)
    sys.exit(0)


def pg_literal(v):
    """v as a PostgreSQL literal: the harness's own parameters only."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, bytes):
        return "'\\x%s'::bytea" % v.hex()
    return "'%s'" % str(v).replace("'", "''")


def pg_bind(query, args):
    """query with each ? outside quotes replaced by the next of args."""
    out, i, quote = [], 0, None
    for ch in query:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append(pg_literal(args[i]))
            i += 1
            continue
        out.append(ch)
    if i != len(args):
        raise ValueError("%d parameters for %d placeholders" % (len(args), i))
    return "".join(out)


def new_pg_database():
    """A fresh empty database on the cluster of IBCHANNEL_TEST_PG; its URI."""
    import urllib.parse
    name = "ibc_%d_%s" % (os.getpid(), os.urandom(4).hex())
    pg_rows(PG_URI, 'CREATE DATABASE "%s"' % name)
    u = urllib.parse.urlsplit(PG_URI)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))


_psql = []


def psql_program():
    """The psql of the PostgreSQL found by tests/pg.py: the one on PATH is,
    on Debian, a Perl wrapper that starts Perl at every call (about 0.1 s,
    three times psql's own time, and env.sql runs psql once a call)."""
    if not _psql:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import pg
        path = os.path.join(pg.bindir(), "psql")
        _psql.append(path if os.access(path, os.X_OK) else "psql")
    return _psql[0]


class PgSession:
    """One psql kept open on a database for the suite's own queries: a psql
    per query is a process and a server session, tens of milliseconds each,
    which made a suite's reads most of its time on PostgreSQL. Each query
    still commits on its own (autocommit)."""

    END = "@@ibc-query-end@@"

    def __init__(self, uri):
        self.lock = threading.Lock()
        try:
            self.p = subprocess.Popen(
                [psql_program(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=0", "-d", uri],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
        except OSError:
            self.p = None

    def run(self, sql):
        """Runs sql: (True, its output), (False, the error), or (None, "")
        when the session is gone (then it is never used again)."""
        with self.lock:
            if self.p is None:
                return None, ""
            try:
                # psql says after each query whether it failed: :ERROR
                self.p.stdin.write("%s\n;\n\\echo %s :ERROR\n" % (sql, self.END))
                self.p.stdin.flush()
                out = []
                for line in self.p.stdout:
                    if line.startswith(self.END):
                        return line.split()[-1] == "false", "".join(out)
                    out.append(line)
            except (OSError, ValueError):
                pass
            self.close()
            return None, ""

    def close(self):
        if self.p is not None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            self.p.kill()
            self.p.wait()
            self.p = None


PG_SESSIONS = {}


def pg_session(uri):
    """The open psql session on uri, started at its first use."""
    if uri not in PG_SESSIONS or PG_SESSIONS[uri].p is None:
        PG_SESSIONS[uri] = PgSession(uri)
    return PG_SESSIONS[uri]


atexit.register(lambda: [s.close() for s in list(PG_SESSIONS.values())])


def pg_rows(uri, query, args=()):
    """The rows of query on the PostgreSQL database at uri as tuples, through
    psql and JSON so that numbers stay numbers and NULL stays None."""
    body = pg_bind(query.strip().rstrip(";"), args)
    words = body.split(None, 1)
    head = words[0].upper() if words else ""
    upper = body.upper()
    writes = re.search(r"\b(INSERT|UPDATE|DELETE)\b", upper) is not None
    if (head in ("SELECT", "VALUES", "TABLE") or (head == "WITH" and not writes)
            or " RETURNING " in upper):
        # each row as a JSON array in column order; a JSON value (a jsonb
        # column) as its text, as SQLite gives it
        sql = ("WITH q AS (%s) SELECT coalesce(json_agg((SELECT json_agg(CASE WHEN"
               " json_typeof(v) IN ('object', 'array') THEN to_json(v::text) ELSE v END)"
               " FROM json_each(row_to_json(q)) AS e(k, v))), '[]') FROM q" % body)
    else:
        sql = body
    ok, out = pg_session(uri).run(sql)
    if ok is None:
        # no session (the server restarted, say): a psql of its own
        p = subprocess.run([psql_program(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                            "-d", uri, "-c", sql], capture_output=True, text=True)
        ok, out = p.returncode == 0, p.stdout if p.returncode == 0 else p.stderr
    if not ok:
        raise RuntimeError("psql: %s\n%s" % (out.strip(), body))
    out = out.strip()
    if not out or not out.startswith("["):
        return []
    return [tuple(r) for r in json.loads(out)]


def without_server_user(conf):
    """deploy/lighttpd.conf.in without its server.username block: lighttpd
    then runs as whoever starts it, as the tests and make run do."""
    return re.sub(r"(?ms)^# server user begin$.*?^# server user end$\n", "", conf)


def basic_auth(user, password):
    """The Authorization header a browser sends for the web server's Basic auth."""
    import base64
    raw = ("%s:%s" % (user, password)).encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(fn, timeout=10.0, step=0.05):
    """Calls fn until it returns something true or timeout seconds pass;
    returns its last value. The one way tests wait: for a condition, with a
    deadline, never a fixed sleep."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


def infobip_retry_delays(tries, minute=0.1):
    """The waits between Infobip's tries of a webhook push: 1 min + 1 min * n * n
    after the n-th failed try (docs/INFOBIP.md, Webhook retries), scaled to `minute` seconds a
    minute: 0.1, 0.2, 0.5, 1.0, 1.7, ... for tries - 1 waits."""
    return [minute * (1 + n * n) for n in range(tries - 1)]


def proc_stats():
    """Every process's /proc stat as {pid: (its program name, the fields
    after the name)}: a state, then ppid at [1], user and system ticks at
    [11] and [12] (proc(5)). Processes that end while read are left out."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        out[int(d)] = (st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2:].split())
    return out


def holds_flock(pid):
    """Whether process pid holds an flock() lock (the sender's lock file)."""
    try:
        with open("/proc/locks") as f:
            return any(l.split()[1] == "FLOCK" and l.split()[4] == str(pid)
                       for l in f if len(l.split()) > 4)
    except OSError:
        return False


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Env:
    def __init__(self, name, sim=True, procs=2, sync="normal", sim_args=(),
                 admin_users=None, admin_no_auth=False, server="lighttpd", bindir=None,
                 db=None):
        """admin_users: {username: password} the web server authenticates
        for /admin (basic authentication); admin_no_auth sets
        IBCHANNEL_ADMIN_NO_AUTH=1 as make run does. server: "lighttpd"
        (deploy/lighttpd.conf.in) or "apache" (deploy/apache-ibchannel.conf,
        the programs under spawn-fcgi, one process each). bindir: where the
        web server finds inbound.fcgi, reports.fcgi and admin.fcgi (build/;
        the bench swaps in its bare responder). db: the store to use instead
        of a fresh one: a PostgreSQL URI of a database a suite made on a
        cluster of its own (tests/e2e/test_pg_*.py). server=None starts no
        web server: the suite starts its own (write_lighttpd_conf)."""
        self.name = name
        self.passed = 0
        self.failed = 0
        self.dir = tempfile.mkdtemp(prefix="ibc-e2e-")
        self.var = os.path.join(self.dir, "var")
        os.makedirs(self.var)
        os.makedirs(os.path.join(self.dir, "www"))
        self.db = os.path.join(self.var, "ibchannel.db")
        if db is not None:
            self.db = db
        elif ENGINE == "postgresql":
            self.db = new_pg_database()
        self.engine = "postgresql" if self.db.startswith(
            ("postgresql://", "postgres://")) else "sqlite"
        self.key = os.path.join(self.var, "ibchannel.key")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.procs = []
        self.bindir = bindir or BUILD
        self.env = dict(os.environ)
        self.env.update({
            # the machine's configuration file (an installed package's) is not the test's
            "IBCHANNEL_CONFIG": "",
            "IBCHANNEL_DB": self.db,
            "IBCHANNEL_KEY_FILE": self.key,
            "IBCHANNEL_SYNC": sync,
            "IBCHANNEL_PUBLIC_URL": self.base,
        })
        atexit.register(self.stop)
        self.cli("init")
        self.sim_port = None
        if sim:
            self.start_sim(*sim_args)
        self.admin_users = admin_users
        self.admin_no_auth = admin_no_auth
        self.server = server
        if server == "apache":
            self.start_apache(sync)
        elif server is not None:
            self.start_lighttpd(procs, sync)

    # --- servers ---------------------------------------------------------

    def start_sim(self, *extra):
        self.sim_port = free_port()
        self.sim_url = "http://127.0.0.1:%d" % self.sim_port
        log = open(os.path.join(self.var, "ibsim.log"), "w")
        p = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "sim", "ibsim.py"),
             "--port", str(self.sim_port), "--keys", SIM_KEY,
             "--dlr-delay", "0.2", "--quiet"] + list(extra),
            stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        if not wait_port(self.sim_port):
            raise SystemExit("simulator did not start")

    def write_htpasswd(self):
        """The admin users' password file, made with htpasswd (apache2-utils)
        as deploy/INSTALL.md says; empty without admin_users. Returns its path."""
        path = os.path.join(self.var, "admin.htpasswd")
        open(path, "w").close()
        os.chmod(path, 0o644)
        for u, pw in (self.admin_users or {}).items():
            # bcrypt at its lowest cost: the documented format, cheap per request
            subprocess.run(["htpasswd", "-b", "-B", "-C", "4", path, u, pw], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return path

    def write_lighttpd_conf(self, path, port, var, procs, sync):
        """deploy/lighttpd.conf.in filled in for this store, listening on
        port with its logs and sockets in var, written to path."""
        with open(os.path.join(ROOT, "deploy", "lighttpd.conf.in")) as f:
            conf = without_server_user(f.read())
        for k, v in {
            "BIND": "127.0.0.1", "PORT": str(port),
            "WWW": os.path.join(self.dir, "www"), "VAR": var,
            "DB": self.db, "KEY": self.key, "SYNC": sync,
            "BIN": self.bindir, "PROCS": str(procs),
            "PUBLIC_URL": self.base,
            "ADMIN_NO_AUTH": "1" if self.admin_no_auth else "0",
            "HTPASSWD": self.write_htpasswd(),
        }.items():
            conf = conf.replace("@%s@" % k, v)
        with open(path, "w") as f:
            f.write(conf)

    def start_lighttpd(self, procs, sync):
        path = os.path.join(self.dir, "lighttpd.conf")
        self.write_lighttpd_conf(path, self.port, self.var, procs, sync)
        p = subprocess.Popen(["lighttpd", "-D", "-f", path],
                             stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.var, "lighttpd.out"), "w"))
        self.procs.append(p)
        if not wait_port(self.port):
            raise SystemExit("lighttpd did not start: " + self.read_var("lighttpd.out"))

    def start_apache(self, sync):
        """Apache 2.4 on a loopback port with a configuration of its own
        (never the system service) that includes deploy/apache-ibchannel.conf,
        and the three programs under spawn-fcgi on Unix sockets."""
        run = os.path.join(self.dir, "run")
        rundir = os.path.join(self.dir, "apache-run")
        os.makedirs(run)
        os.makedirs(rundir)
        root = os.geteuid() == 0
        sock_owner = []
        if root:
            # Started as root, Apache serves as www-data, which must reach
            # the sockets and the password file, as in deploy/INSTALL.md.
            import grp
            import pwd
            uid, gid = pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid
            for d in (self.dir, self.var):
                os.chmod(d, 0o711)
            os.chown(run, 0, gid)
            os.chmod(run, 0o750)
            os.chown(rundir, uid, gid)
            sock_owner = ["-U", "www-data", "-G", "www-data"]
        penv = dict(self.env)
        penv.update({"IBCHANNEL_LOG": "info",
                     "IBCHANNEL_ADMIN_NO_AUTH": "1" if self.admin_no_auth else "0"})
        for prog in ("inbound", "reports", "admin"):
            sock = os.path.join(run, prog + ".sock")
            p = subprocess.Popen(
                ["spawn-fcgi", "-n", "-s", sock, "-M", "0660"] + sock_owner +
                ["--", os.path.join(self.bindir, prog + ".fcgi")], env=penv,
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.var, prog + ".log"), "w"))
            self.procs.append(p)
            if not wait_for(lambda: os.path.exists(sock) or p.poll() is not None, 10) \
                    or p.poll() is not None:
                raise SystemExit("spawn-fcgi %s did not start: %s" % (
                    prog, self.read_var(prog + ".log")))
        mods = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic",
                "authz_user", "proxy", "proxy_fcgi"]
        conf = ["LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m)
                for m in mods]
        conf += [
            'ServerRoot "%s"' % self.dir,
            "Listen 127.0.0.1:%d" % self.port,
            "ServerName 127.0.0.1",
            'PidFile "%s"' % os.path.join(self.var, "apache.pid"),
            'ErrorLog "%s"' % os.path.join(self.var, "apache-error.log"),
            "LogLevel warn",
            # Infobip keeps its connections open: Apache's default of 100
            # requests per connection closes them under load, and a close
            # that crosses the client's next request shows as a read error.
            "MaxKeepAliveRequests 0",
            'DefaultRuntimeDir "%s"' % rundir,
            'Mutex "file:%s" default' % rundir,
            'DocumentRoot "%s"' % os.path.join(self.dir, "www"),
            "<Directory />\n\tRequire all denied\n</Directory>",
            'Define IBCHANNEL_RUN "%s"' % run,
            'Define IBCHANNEL_HTPASSWD "%s"' % self.write_htpasswd(),
            'Include "%s"' % os.path.join(ROOT, "deploy", "apache-ibchannel.conf"),
        ]
        if root:
            conf[len(mods):len(mods)] = ["User www-data", "Group www-data"]
        path = os.path.join(self.dir, "apache2.conf")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        p = subprocess.Popen([shutil.which("apache2") or "/usr/sbin/apache2", "-f", path, "-DFOREGROUND"],
                             stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.var, "apache.out"), "w"))
        self.procs.append(p)
        if not wait_port(self.port) or p.poll() is not None:
            raise SystemExit("apache2 did not start: " + self.read_var("apache.out") +
                             self.read_var("apache-error.log"))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []
        if self.db in PG_SESSIONS:
            PG_SESSIONS.pop(self.db).close()    # a later env.sql opens another
        if os.environ.get("IBC_KEEP_TMP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def read_var(self, name):
        try:
            with open(os.path.join(self.var, name), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- clients ---------------------------------------------------------

    def cli(self, *args, check=True, stdin=None):
        p = subprocess.run([os.path.join(BUILD, "ibchannel")] + list(args),
                           env=self.env, capture_output=True, text=True,
                           input=stdin, timeout=60)
        if check and p.returncode != 0:
            raise SystemExit("ibchannel %s failed (%d): %s" % (
                " ".join(args), p.returncode, p.stderr))
        return p

    def request(self, method, path, body=None, ctype="application/json",
                headers=None, base=None, timeout=30):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request((base or self.base) + path, data=body,
                                     method=method)
        if ctype is not None and body is not None:
            req.add_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def post(self, path, body, ctype="application/json", **kw):
        return self.request("POST", path, body, ctype, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, None, None, **kw)

    def post_as_infobip(self, path, body, tries=8, minute=0.1, **kw):
        """POSTs a webhook body the way Infobip pushes one: an answer other
        than 2xx, or a broken connection, is tried again after Infobip's
        growing delays (infobip_retry_delays), at most `tries` times in all.
        Returns (the last Response or None if the last try broke, tries made)."""
        r = None
        delays = infobip_retry_delays(tries, minute)
        for n in range(tries):
            try:
                r = self.post(path, body, **kw)
            except (OSError, http.client.HTTPException):
                # reset, refused, timed out: Infobip tries again too
                r = None
            if r is not None and 200 <= r.status < 300:
                return r, n + 1
            if n < len(delays):
                time.sleep(delays[n])
        return r, tries

    def sim(self, path, body=None):
        r = self.request("POST" if body is not None else "GET", path, body,
                         base=self.sim_url)
        return r.json()

    def cgi(self, program, method, path, body=b"", ctype="application/json"):
        """Runs a program as plain CGI: one request, then exit."""
        env = dict(self.env)
        env.update({
            "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
            "REQUEST_URI": path, "SCRIPT_NAME": "", "PATH_INFO": path,
            "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": str(len(body)),
        })
        if ctype:
            env["CONTENT_TYPE"] = ctype
        p = subprocess.run([os.path.join(BUILD, program)], env=env,
                           input=body, capture_output=True, timeout=30)
        head, _, rest = p.stdout.partition(b"\r\n\r\n")
        status = 200
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"status:"):
                status = int(line.split()[1])
        return Response(status, {}, rest)

    # --- the store -------------------------------------------------------

    def sql(self, query, args=()):
        """The rows of query (SQL both engines take, ? for parameters)."""
        if self.engine == "postgresql":
            return pg_rows(self.db, query, args)
        db = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            return db.execute(query, args).fetchall()
        finally:
            db.close()

    def sql1(self, query, args=()):
        rows = self.sql(query, args)
        return rows[0][0] if rows else None

    def snapshot(self, exclude=("logs", "request_counts", "latency_buckets", "latency_sums")):
        """Every row of every table but the excluded ones, for unchanged-store checks
        (the counters of /admin/metrics grow with every request, refused or not)."""
        if self.engine == "postgresql":
            # Every table in one psql call (a psql is a process and a session:
            # one per table made a suite's refusal checks ten times slower).
            names = [t for (t,) in self.sql("SELECT tablename::text FROM pg_tables WHERE"
                                            " schemaname = current_schema() ORDER BY 1")
                     if t not in exclude]
            if not names:
                return {}
            parts = ["SELECT %s AS t, (SELECT coalesce(json_agg((SELECT json_agg(CASE WHEN"
                     " json_typeof(v) IN ('object', 'array') THEN to_json(v::text) ELSE v END)"
                     " FROM json_each(row_to_json(q)) AS e(k, v))), '[]')"
                     ' FROM (SELECT * FROM "%s" ORDER BY 1) AS q)::text AS r'
                     % (pg_literal(t), t.replace('"', '""')) for t in names]
            return {t: [tuple(r) for r in json.loads(rows)]
                    for t, rows in self.sql(" UNION ALL ".join(parts))}
        db = sqlite3.connect(self.db, timeout=30)
        try:
            out = {}
            for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                   " ORDER BY name"):
                # The full-text index of message text (sql/018) is SQLite's
                # own copy of the messages, written in the background by
                # the sender: its tables are not the store's data.
                if t in exclude or t.startswith("messages_fts"):
                    continue
                out[t] = db.execute('SELECT * FROM "%s" ORDER BY 1' % t).fetchall()
            return out
        finally:
            db.close()

    def add_connection(self, name="Test line", sender="InfoSMS", key=SIM_KEY,
                       start=True, url=None):
        out = self.cli("connection", "add", "--name", name, "--api-key", key,
                       "--api-url", url or self.sim_url, "--sender", sender)
        cid = out.stdout.strip()
        if start:
            self.cli("connection", "start", cid)
        return cid

    def add_rules_agent(self, conn, name="Front desk"):
        """The demo rules agent (deploy/rules-demo.txt), attached to conn with
        Inbound on and started. Returns (its number, its rules file)."""
        rules = os.path.join(self.dir, "rules.txt")
        shutil.copyfile(os.path.join(ROOT, "deploy", "rules-demo.txt"), rules)
        aid = self.cli("agent", "add", "--name", name, "--kind", "rules",
                       "--instructions-file", rules).stdout.strip()
        self.cli("agent", "attach", aid, conn, "--inbound")
        self.cli("agent", "start", aid)
        return aid, rules

    # --- the admin's users and the sender ------------------------------------

    def set_roles(self, roles):
        """Gives each user of roles ({username: role}) that role, as
        ibchannel user set does."""
        for user, role in roles.items():
            self.cli("user", "set", user, role)

    def auth(self, user):
        """The Authorization header of user, one of admin_users."""
        return basic_auth(user, self.admin_users[user])

    def start_sender(self, seconds, log="sender.log"):
        """Runs ibchannel sender --for seconds in the background, its
        messages in var/LOG; returns the process (terminate and wait it)."""
        return subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", str(seconds)],
                                env=self.env, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(self.var, log), "w"))

    # --- results ---------------------------------------------------------

    def check(self, cond, what, detail=""):
        return tally(self, cond, what, detail)

    def wait_for(self, fn, timeout=10.0, step=0.05):
        return wait_for(fn, timeout, step)

    def done(self):
        self.stop()
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)


def tally(t, cond, what, detail=""):
    """Counts one check on t (anything with name, passed and failed) and
    prints a failure on one line; returns cond."""
    if cond:
        t.passed += 1
    else:
        t.failed += 1
        print("FAIL %s: %s %s" % (t.name, what, detail), flush=True)
    return cond


class Tally:
    """The checks of a suite that needs no Env: check(), then done()."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=""):
        return tally(self, cond, what, detail)

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def have_samples():
    return os.path.isdir(SAMPLES)
