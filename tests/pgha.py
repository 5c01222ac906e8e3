"""A throwaway highly available PostgreSQL for the tests: a pg_auto_failover
monitor and two data nodes (a primary and its synchronous standby) on
loopback, in a temporary directory, stopped and removed at exit.

Each part is a `pg_autoctl run` of its own (its keeper), which starts and
watches its PostgreSQL. The monitor decides which node is primary; its
health checks are made faster than the defaults (a failover in seconds,
not a minute), and so is giving up on a lost standby. Like tests/pg.py,
as root everything runs as the user 'postgres', and the servers run with
fsync off (the tests kill processes, never the machine: what a commit
wrote is in the page cache, and a synchronous commit still waits for the
standby to have it). Needs Debian's pg-auto-failover-cli and
postgresql-15-auto-failover (deploy/deps.sh).

From Python:   with pgha.Cluster() as c:
                   uri = c.create_database("x")   # the multi-host URI
                   c.primary()                     # "node1" or "node2"
                   c.kill("node1")                 # keeper and PostgreSQL, kill -9
                   c.wait_state({"node2": "wait_primary"})
                   c.restart("node1")              # its keeper again
                   c.wait_pair()                   # primary + secondary
From a shell:  python3 tests/pgha.py exec -- COMMAND [ARG...]
               runs COMMAND with IBCHANNEL_TEST_PG set to the multi-host URI
               of a fresh database on the pair.
"""
import atexit
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg  # noqa: E402

NODES = ("node1", "node2")
SUPERUSER = "postgres"
# The monitor's clock, in milliseconds: a node unanswered for about
# three seconds is unhealthy, a primary that cannot be reached is taken
# for demoted five seconds later (the defaults: 20 s and 30 s).
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 3000,
    "pgautofailover.primary_demote_timeout": 5000,
    "pgautofailover.startup_grace_period": 2000,
}
# Where each node's pair state is reached: a primary alone, with a standby.
PRIMARY_STATES = ("single", "wait_primary", "primary", "join_primary",
                  "apply_settings")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def have_pg_autoctl():
    """Whether pg_autoctl and its PostgreSQL extension are installed."""
    return shutil.which("pg_autoctl") is not None and any(
        os.path.exists(os.path.join(d, "pgautofailover.control"))
        for d in ("/usr/share/postgresql/15/extension",))


class Cluster:
    """A monitor and two data nodes. start() builds them and waits for a
    primary with its synchronous standby; uri() is the multi-host URI."""

    def __init__(self, db="ibchannel"):
        self.bin = pg.bindir()
        self.db = db
        self.root = None
        self.keepers = {}       # name -> Popen of its pg_autoctl run
        self.ports = {}
        self.logs = {}

    # --- running pg_autoctl and psql --------------------------------------

    def _env(self):
        """pg_autoctl's environment: PostgreSQL 15's programs first, and its
        configuration and state in the cluster's directory, not a home."""
        return {
            "PATH": "%s:/usr/bin:/bin" % self.bin,
            "HOME": self.root,
            "XDG_CONFIG_HOME": os.path.join(self.root, "config"),
            "XDG_DATA_HOME": os.path.join(self.root, "share"),
            "XDG_RUNTIME_DIR": os.path.join(self.root, "run"),
            "PG_CONFIG": os.path.join(self.bin, "pg_config"),
            "LANG": "C.UTF-8",
        }

    def _user(self):
        """The keyword arguments that run a child as the server's user."""
        if os.geteuid() != 0:
            return {}
        pw = pwd.getpwnam(SUPERUSER)
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def pgdata(self, name):
        return os.path.join(self.root, name)

    def autoctl(self, *args, timeout=120):
        """pg_autoctl ARGS, to its end: the CompletedProcess."""
        return subprocess.run(["pg_autoctl"] + list(args), env=self._env(),
                              cwd=self.root, capture_output=True, text=True,
                              timeout=timeout, **self._user())

    def _spawn(self, name, args):
        """A pg_autoctl that keeps running (a keeper), in a process group of
        its own, its output appended to NAME.log."""
        log = open(self.logs[name], "a")
        p = subprocess.Popen(["pg_autoctl"] + args, env=self._env(),
                             cwd=self.root, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             **self._user())
        log.close()
        self.keepers[name] = p
        return p

    def psql(self, name, sql, db=None, timeout=10):
        """Runs sql on node name (or "monitor") itself: (ok, output)."""
        cmd = [os.path.join(self.bin, "psql"), "-X", "-A", "-t", "-q",
               "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
               str(self.ports[name]), "-U", SUPERUSER, "-d",
               db or (self.db if name != "monitor" else "pg_auto_failover"),
               "-c", sql]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=timeout,
                               env=dict(os.environ, PGCONNECT_TIMEOUT="3"))
        except subprocess.TimeoutExpired:
            return False, "timeout"
        return p.returncode == 0, (p.stdout if p.returncode == 0
                                   else p.stderr).strip()

    def query(self, name, sql, db=None):
        """sql's output on node name; raises when it fails."""
        ok, out = self.psql(name, sql, db)
        if not ok:
            raise RuntimeError("psql on %s: %s" % (name, out))
        return out

    # --- building it -------------------------------------------------------

    def start(self, deadline=180):
        """The monitor, then node1 (the first primary), then node2 (its
        standby); returns once they are primary and secondary."""
        self.root = tempfile.mkdtemp(prefix="ibpgha-")
        for d in ("config", "share", "run"):
            os.makedirs(os.path.join(self.root, d))
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SUPERUSER)
            for dirpath, dirs, _ in os.walk(self.root):
                os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for name in ("monitor",) + NODES:
            self.ports[name] = _free_port()
            self.logs[name] = os.path.join(self.root, name + ".log")
        r = self.autoctl("create", "monitor", "--pgdata",
                         self.pgdata("monitor"), "--pgport",
                         str(self.ports["monitor"]), "--hostname",
                         "127.0.0.1", "--listen", "127.0.0.1", "--auth",
                         "trust", "--no-ssl")
        if r.returncode != 0:
            raise RuntimeError("pg_autoctl create monitor: %s" % r.stderr[-2000:])
        self._spawn("monitor", ["run", "--pgdata", self.pgdata("monitor")])
        self._wait(lambda: self.psql("monitor", "SELECT 1")[0], 60,
                   "the monitor answers")
        for k, v in MONITOR_SETTINGS.items():
            self.query("monitor", "ALTER SYSTEM SET %s = %d" % (k, v))
        self.query("monitor", "SELECT pg_reload_conf()")
        self._create("node1")
        self._wait(lambda: self.state().get("node1", ("", ""))[0] == "single",
                   deadline, "node1 is primary alone")
        # Copied to the standby by its base backup.
        self.query("node1", "ALTER SYSTEM SET fsync = off", db="postgres")
        self.query("node1", "SELECT pg_reload_conf()", db="postgres")
        self._create("node2")
        # The base backup waits for a checkpoint, spread over minutes
        # unless asked for at once.
        self._wait(lambda: self.psql("node1", "CHECKPOINT", db="postgres")
                   and self.paired(), deadline, "node1 primary, node2 secondary",
                   step=1.0)
        return self

    def _create(self, name):
        """pg_autoctl create postgres for node name, running on."""
        self._spawn(name, [
            "create", "postgres", "--pgdata", self.pgdata(name), "--pgport",
            str(self.ports[name]), "--hostname", "127.0.0.1", "--listen",
            "127.0.0.1", "--name", name, "--auth", "trust", "--no-ssl",
            "--dbname", self.db, "--monitor",
            "postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable"
            % self.ports["monitor"], "--run"])

    def _wait(self, fn, deadline, what, step=0.2):
        end = time.monotonic() + deadline
        while not fn():
            if time.monotonic() > end:
                raise RuntimeError("pgha: not within %ds: %s\n%s" % (
                    deadline, what, self.show()))
            time.sleep(step)

    # --- what the monitor says --------------------------------------------

    def state(self):
        """{node name: (reported state, assigned state)} from the monitor;
        {} when it cannot be read."""
        ok, out = self.psql("monitor", "SELECT coalesce(json_agg(json_build_array("
                            "nodename, reportedstate, goalstate)), '[]')"
                            " FROM pgautofailover.node")
        if not ok:
            return {}
        return {n: (rep, goal) for n, rep, goal in json.loads(out)}

    def show(self):
        """pg_autoctl show state's table, for a failure's detail."""
        r = self.autoctl("show", "state", "--pgdata", self.pgdata("monitor"),
                         timeout=30)
        return r.stdout + r.stderr

    def paired(self):
        """Whether one node is primary and the other secondary, both as
        reported and as assigned, and the standby is synchronous."""
        st = self.state()
        names = {s: n for n, s in st.items() if s[0] == s[1]}
        if ("primary", "primary") not in names or \
                ("secondary", "secondary") not in names:
            return False
        return self.sync_standbys(names[("primary", "primary")]) >= 1

    def wait_pair(self, deadline=120):
        """Waits until paired(); the primary's name."""
        self._wait(self.paired, deadline, "a primary and its synchronous standby")
        return self.primary()

    def wait_state(self, want, deadline=60):
        """Waits until each node in want ({name: state}) reports and is
        assigned that state."""
        self._wait(lambda: all(self.state().get(n) == (s, s)
                               for n, s in want.items()),
                   deadline, "states %r" % want)

    def primary(self):
        """The node the monitor holds for primary (None if none)."""
        for n, (rep, goal) in self.state().items():
            if goal in PRIMARY_STATES and rep in PRIMARY_STATES:
                return n
        return None

    def other(self, name):
        return NODES[1] if name == NODES[0] else NODES[0]

    def sync_standbys(self, name):
        """The synchronous standbys streaming from node name (-1 when it
        cannot be asked)."""
        ok, out = self.psql(name, "SELECT count(*) FROM pg_stat_replication"
                            " WHERE state = 'streaming' AND sync_state IN"
                            " ('sync', 'quorum') AND current_setting("
                            "'synchronous_standby_names') <> ''", db="postgres")
        return int(out) if ok else -1

    def writable(self, name):
        """Whether node name answers and takes writes (not in recovery,
        not read-only)."""
        ok, out = self.psql(name, "SELECT NOT pg_is_in_recovery() AND"
                            " current_setting('transaction_read_only') = 'off'",
                            db="postgres")
        return ok and out == "t"

    # --- the URI -----------------------------------------------------------

    def uri(self, db=None):
        """The multi-host URI the programs use: both nodes, the session on
        whichever takes writes."""
        return ("postgresql://%s@127.0.0.1:%d,127.0.0.1:%d/%s"
                "?target_session_attrs=read-write&connect_timeout=3" % (
                    SUPERUSER, self.ports["node1"], self.ports["node2"],
                    db or self.db))

    def node_uri(self, name, db=None):
        """The URI of node name alone."""
        return "postgresql://%s@127.0.0.1:%d/%s" % (
            SUPERUSER, self.ports[name], db or self.db)

    def create_database(self, name):
        """A new empty database (on the primary, so on both); its multi-host URI."""
        self.query(self.primary(), 'CREATE DATABASE "%s"' % name, db="postgres")
        return self.uri(name)

    # --- breaking it -------------------------------------------------------

    def postmaster_pid(self, name):
        """The pid of node name's PostgreSQL (postmaster.pid), or None."""
        try:
            with open(os.path.join(self.pgdata(name), "postmaster.pid")) as f:
                pid = int(f.readline())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def kill_postgres(self, name):
        """kill -9 of node name's PostgreSQL only: its keeper starts it again."""
        pid = self.postmaster_pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self, name):
        """kill -9 of node name's keeper and its PostgreSQL, as when its
        machine is lost: nothing starts it again until restart(name)."""
        pid = self.postmaster_pid(name)
        p = self.keepers.get(name)
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # Its server's processes go once they see their postmaster gone.
        self._wait(lambda: not self._listening(name), 30,
                   "%s stops listening" % name)

    def _listening(self, name):
        try:
            socket.create_connection(("127.0.0.1", self.ports[name]),
                                     timeout=0.2).close()
            return True
        except OSError:
            return False

    def restart(self, name):
        """Starts node name's keeper again (pg_autoctl run): the monitor
        tells it what it is now."""
        return self._spawn(name, ["run", "--pgdata", self.pgdata(name)])

    def stop(self):
        """Stops every keeper and server and removes the directory: asked
        to stop first (a server killed leaves its shared memory segment
        behind), killed after ten seconds."""
        if self.root is None:
            return
        running = [p for p in self.keepers.values() if p.poll() is None]
        for p in running:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        for p in running:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        for name in NODES + ("monitor",):
            p = self.keepers.get(name)
            if p is not None and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()
            pid = self.postmaster_pid(name)
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for name in NODES + ("monitor",):
            end = time.monotonic() + 10
            while self._listening(name) and time.monotonic() < end:
                time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    """The command line: exec -- COMMAND..."""
    if len(argv) < 3 or argv[0] != "exec" or argv[1] != "--":
        sys.stderr.write("usage: pgha.py exec -- COMMAND [ARG...]\n")
        return 2
    c = Cluster()
    atexit.register(c.stop)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        c.start()
        env = dict(os.environ, IBCHANNEL_TEST_PG=c.create_database("test"))
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        sys.stderr.write("pgha.py: cannot start the pair: %s\n" % e)
        return 1
    try:
        return subprocess.run(argv[2:], env=env).returncode
    except OSError as e:
        sys.stderr.write("pgha.py: %s: %s\n" % (argv[2], e))
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
