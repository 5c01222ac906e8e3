"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary
directory, the server on a unix socket there (no TCP, no system service),
stopped and removed at exit.

PostgreSQL refuses to run as root: as root the cluster belongs to the
user 'postgres' (made by Debian's postgresql package) and its programs run
as that user; otherwise as whoever runs the tests. Either way the cluster's
superuser is 'postgres', reached with trust over the socket; with
Cluster(passwords=True) every other role must give its password
(scram-sha-256), as a production server asks.

From Python:   with pg.Cluster() as c: uri = c.create_database("x")
               c.create_role("ib", "pw"); c.create_database("y", owner="ib")
               c.halt("fast"); c.start()   stops and starts the same cluster
From a shell:  python3 tests/pg.py exec -- COMMAND [ARG...]
               runs COMMAND with IBCHANNEL_TEST_PG set to the URI of a fresh
               database and IBCHANNEL_TEST_PG_RESTART to a shell command that
               restarts the server, and exits with its status.
               python3 tests/pg.py restart DIR restarts the cluster in DIR.
"""
import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SUPERUSER = "postgres"
PORT = 5432


def bindir():
    """The directory of initdb and pg_ctl: Debian keeps them off PATH."""
    found = []
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                           text=True, check=True).stdout.strip()
        found.append(d)
    except (OSError, subprocess.CalledProcessError):
        pass
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: int(p.split("/")[-2])
                    if p.split("/")[-2].isdigit() else 0, reverse=True)
    for d in found:
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("no initdb: install Debian's postgresql package"
                       " (apt-get install -y postgresql)")


def _owner():
    """The user the server runs as: postgres when we are root, else None (us)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise RuntimeError("running as root and there is no user 'postgres'"
                           " to run the server: install the postgresql package")


def _as_owner(argv):
    """argv run as the server's user."""
    pw = _owner()
    if pw is None:
        return argv
    return ["runuser", "-u", pw.pw_name, "--"] + argv


class Cluster:
    """One server in a temporary directory: start(), uri(), restart(),
    halt(), stop(). passwords: roles other than the superuser log in with a
    password (pg_hba.conf: scram-sha-256 on the socket).

    durable=False (the tests) runs it with fsync off: nothing the tests
    check needs a commit on disk, and a sync costs. durable=True (the
    bench) runs it as a production server runs, fsync and
    synchronous_commit on, so that a commit waits for the disk as
    SQLite's IBCHANNEL_SYNC=full does."""

    def __init__(self, root=None, passwords=False, durable=False):
        self.bin = bindir()
        self.root = root
        self.running = False
        self.own_dir = root is None
        self.passwords = passwords
        self.durable = durable

    @property
    def data(self):
        return os.path.join(self.root, "data")

    @property
    def log(self):
        return os.path.join(self.root, "server.log")

    def _ctl(self, *args, timeout=60):
        subprocess.run(_as_owner([os.path.join(self.bin, "pg_ctl"), "-D",
                                  self.data, "-l", self.log, "-w", "-t",
                                  str(timeout)] + list(args)),
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=timeout + 30,
                       cwd=self.root)

    def start(self, deadline=60):
        """initdb (first time) and start; returns once a query is answered."""
        if self.root is None:
            self.root = tempfile.mkdtemp(prefix="ibpg-")
            pw = _owner()
            if pw is not None:
                os.chown(self.root, pw.pw_uid, pw.pw_gid)
            subprocess.run(_as_owner([
                os.path.join(self.bin, "initdb"), "-D", self.data, "-U",
                SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C",
                "--no-sync"]), check=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, timeout=120, cwd=self.root)
            if self.passwords:
                self._write_hba()
        opts = ("-k %s -c listen_addresses='' -p %d -c fsync=%s"
                " -c synchronous_commit=on"
                % (self.root, PORT, "on" if self.durable else "off"))
        self._ctl("-o", opts, "start")
        self.running = True
        self.wait(deadline)
        return self

    def _write_hba(self):
        """pg_hba.conf: the superuser by trust, every other role by password."""
        path = os.path.join(self.data, "pg_hba.conf")
        with open(path, "w") as f:
            f.write("local all %s trust\nlocal all all scram-sha-256\n" % SUPERUSER)
        pw = _owner()
        if pw is not None:
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def wait(self, deadline=60):
        """Waits until the server answers a query, at most deadline seconds."""
        end = time.monotonic() + deadline
        while True:
            r = subprocess.run(self.psql("postgres", "SELECT 1"),
                               capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip() == "1":
                return
            if time.monotonic() > end:
                raise RuntimeError("PostgreSQL did not answer within %ds: %s"
                                   % (deadline, r.stderr.strip()))
            time.sleep(0.1)

    def psql(self, db, sql):
        """The command line that runs sql in database db."""
        return [os.path.join(self.bin, "psql"), "-X", "-A", "-t", "-q",
                "-v", "ON_ERROR_STOP=1", "-h", self.root, "-p", str(PORT),
                "-U", SUPERUSER, "-d", db, "-c", sql]

    def query(self, db, sql):
        """Runs sql in database db; its output."""
        return subprocess.run(self.psql(db, sql), check=True,
                              capture_output=True, text=True).stdout

    def uri(self, db="postgres", user=SUPERUSER, password=None):
        """The libpq URI of database db on this server's socket, as user
        (with password in it when given: percent-encoded)."""
        import urllib.parse
        auth = user if password is None else "%s:%s" % (
            user, urllib.parse.quote(password, safe=""))
        return "postgresql://%s@/%s?host=%s&port=%d" % (auth, db, self.root,
                                                         PORT)

    def create_role(self, name, password):
        """A role that logs in with password."""
        self.query("postgres", "CREATE ROLE \"%s\" LOGIN PASSWORD '%s'" % (
            name, password.replace("'", "''")))

    def create_database(self, name, owner=None):
        """A new empty database (owned by owner, when given); its URI, as
        the superuser."""
        self.query("postgres", 'CREATE DATABASE "%s"%s' % (
            name, ' OWNER "%s"' % owner if owner else ""))
        return self.uri(name)

    def restart(self):
        """Stops the server (fast: sessions are cut) and starts it again."""
        self._ctl("-m", "fast", "restart")
        self.running = True
        self.wait()

    def halt(self, mode="fast"):
        """Stops the server (pg_ctl's mode: smart, fast or immediate) and
        keeps its directory: start() starts it again."""
        self._ctl("-m", mode, "stop")
        self.running = False

    def stop(self):
        """Stops the server and removes the directory (when it made it)."""
        if self.running:
            try:
                self._ctl("-m", "immediate", "stop")
            except (subprocess.SubprocessError, OSError):
                pass
            self.running = False
        if self.own_dir and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def literal(v):
    """v as an SQL literal of unknown type, as the store's kit sends a value: text."""
    return "NULL" if v is None else "'%s'" % str(v).replace("'", "''")


def statements_by_name():
    """{statement name: its PostgreSQL text} as build/pg_statements lists
    them (the statements the programs prepare, ?N for their arguments)."""
    out = subprocess.run([os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), "build", "pg_statements")], capture_output=True, text=True,
        check=True).stdout
    return {f[1]: f[3] for f in (line.split("\t", 4) for line in out.splitlines())}


def with_args(sql, args):
    """sql with args[N - 1] written as a literal for each ?N."""
    return re.sub(r"\?(\d+)", lambda m: literal(args[int(m.group(1)) - 1]), sql)


def suite_cluster():
    """A throwaway cluster of a suite's own (the test_pg_* suites), its URI in
    IBCHANNEL_TEST_PG for the harness (import harness after this), stopped
    at exit after the suite's programs (exit handlers run last first, and
    this one is registered before the Env's). With no PostgreSQL to start,
    the suite says so, counts nothing and ends."""
    try:
        cluster = Cluster().start()
    except (RuntimeError, OSError) as e:
        print("skipped: no PostgreSQL to start: %s" % e)
        print("0 passed, 0 failed", flush=True)
        sys.exit(0)
    atexit.register(cluster.stop)
    os.environ["IBCHANNEL_TEST_PG"] = cluster.uri()
    return cluster


def main(argv):
    """The command line: exec -- COMMAND..., or restart DIR."""
    if len(argv) >= 2 and argv[0] == "restart":
        Cluster(root=argv[1]).restart()
        return 0
    if len(argv) < 3 or argv[0] != "exec" or argv[1] != "--":
        sys.stderr.write("usage: pg.py exec -- COMMAND [ARG...] |"
                         " pg.py restart DIR\n")
        return 2
    c = Cluster()
    atexit.register(c.stop)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        c.start()
        env = dict(os.environ)
        env["IBCHANNEL_TEST_PG"] = c.create_database("test")
        env["IBCHANNEL_TEST_PG_RESTART"] = " ".join(shlex.quote(a) for a in [
            sys.executable, os.path.abspath(__file__), "restart", c.root])
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        err = getattr(e, "stderr", None)
        sys.stderr.write("pg.py: cannot start PostgreSQL: %s%s\n" % (
            e, (": " + err.decode(errors="replace").strip())
            if isinstance(err, bytes) else ""))
        return 1
    try:
        return subprocess.run(argv[2:], env=env).returncode
    except OSError as e:
        sys.stderr.write("pg.py: %s: %s\n" % (argv[2], e))
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
