"""make bench: ibchannel beside its ceiling and its peer, in one run.

Every row runs in the same run on the same machine, so the ratios hold even
when the machine is busy:

- ceiling: a bare FastCGI responder (tests/bench/bare.c) under lighttpd with
  the shipped configuration, the real programs swapped for it;
- peer: Kannel (Debian's package) with a file store, MO through its generic
  HTTP SMSC receive port and MT through smsbox's sendsms to a sink;
- ibchannel: inbound MO (new contacts, a RUNNING connection with an inbound
  agent: the real path) under IBCHANNEL_SYNC=full and normal, duplicate MOs,
  delivery reports with 1 and 100 results per POST, the sender against a
  fast Infobip stand-in (tests/bench/standin.c), MO -> reply latency with
  the rules agent at a steady rate, and the memory of every program;
- the whole loop (group loop): MO paced at BENCH_LOOP_RATE (default 2,000
  MO/s) for BENCH_LOOP_SECONDS (default 120) with the rules agent and the
  sender answering; the backlog (MO answered and not yet replied to) is
  sampled every second, and the goal (backlog not growing over the last
  half, MO -> reply p99 <= 1 s) is judged in the row's note;
- Apache 2.4: the bare responder and inbound MO (sync=full) again under
  Apache with mod_proxy_fcgi and the programs under spawn-fcgi, as
  tests/e2e/test_deploy.py starts them; each inbound row's "x bare" is to
  the ceiling under its own web server;
- retention: inbound MO on a store holding BENCH_RETAIN_ROWS (default
  200,000) old messages, reports and log entries, with the sender running
  and retention off, then while its retention removes them; the note gives
  the retention transactions' lengths (wall and CPU) from the sender's
  debug log;
- PostgreSQL 15: inbound MO (new contacts), duplicates, reports 100 per
  POST, the sender and MO -> reply again with the store on a throwaway
  server the bench starts (tests/pg.py) with fsync and synchronous_commit
  on, as a production server runs, since the rows it is compared with
  (SQLite's, IBCHANNEL_SYNC=full) sync every commit; each installation gets
  a fresh database and its checks read it through psql. Under the table,
  each PostgreSQL row divided by its SQLite row of the same run.

Every row checks its own work (each 2xx stored exactly once, every message
seen exactly once by the stand-in) and is marked FAILED when it does not
hold. The goals listed at the end say "not measured" when a row they need
did not run (reports.fcgi's private memory needs the reports_100 row). The table is printed and saved as JSON (BENCH_JSON, default
build/bench.json). Settings: BENCH_SECONDS (per row, default 5),
BENCH_CONNECTIONS (wrk, default 32), BENCH_PROCS (FastCGI processes per
program, default 1 as shipped), BENCH_E2E_RATE (MO/s, default 1000),
BENCH_LOOP_RATE and BENCH_LOOP_SECONDS (the loop row's pace and length),
BENCH_BARE_THREADS (accepting threads of the bare responder, default 1),
BENCH_BARE_LINGER=1 (the bare responder closes as plain libfcgi does,
waiting for the web server to close first, not as the programs do),
BENCH_SEND_QUEUE (messages queued for the sender row, default 40,000 per
second of BENCH_SECONDS), BENCH_ONLY (some of the groups bare, kannel,
full, normal, sender, loop, apache, retention, pg; default all), BENCH_KEEP=1 keeps
the logs and stores.
Every process the bench starts is stopped when it ends, also on Ctrl-C,
SIGTERM or an error. `python3 tests/bench.py --readme [FILE]` prints the
README's Speed table from a saved run.

Short and repeated runs: --seconds N per row, --rows PATTERN (a regular
expression on the row ids that --list prints), --repeat N rounds (the table
gives each row's median and the rounds' spread, (max - min) / median).

Before and after: `make bench-compare BASE=REV` builds git revision REV in a
temporary worktree with its own Makefile and runs `tests/bench.py --compare
DIR` on it (BENCH_ARGS passes the options above). Every row then runs for
DIR/build's programs (base) and this tree's build/ (this), each group set up
for both and the rows taken in turn ABBA, each round starting with the other
build; the table gives both figures, this/base, both checks and peak memory,
saved to build/bench-compare.json. The rows that run no ibchannel program
(ceiling, Kannel) measure the same thing in both columns: their difference
is the run's noise, and with --repeat 2 or more each row says whether the
two columns' ranges overlap (noise) or not (better, WORSE).
"""

import argparse
import asyncio
import ctypes
import datetime
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "e2e"))
import harness  # noqa: E402
import pg  # noqa: E402
from harness import BUILD, ROOT, Env, free_port, wait_port, without_server_user  # noqa: E402

BENCH = os.path.join(HERE, "bench")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
PROCS = int(os.environ.get("BENCH_PROCS", "1"))
E2E_RATE = int(os.environ.get("BENCH_E2E_RATE", "1000"))
LOOP_RATE = int(os.environ.get("BENCH_LOOP_RATE", "2000"))
LOOP_SECONDS = int(os.environ.get("BENCH_LOOP_SECONDS", "120"))
BARE_THREADS = int(os.environ.get("BENCH_BARE_THREADS", "1"))
KEEP = os.environ.get("BENCH_KEEP") == "1"
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(BUILD, "bench.json"))
STANDIN = os.path.join(BUILD, "bench", "standin")
BARE = os.path.join(BUILD, "bench", "bare.fcgi")

# The goals the speed work aims at, checked against this run's figures:
# (row, what, test on the row and the rows by id).
GOALS = [
    # The speed and memory issue's goals (the throughput issue's before them
    # were 1.0x and 1.3x Kannel MO, 0.6x bare).
    ("inbound_full", ">= 1.2x Kannel MO", lambda r, x: r.ratio(x, "kannel_mo") >= 1.2),
    ("inbound_full", ">= 0.8x bare responder", lambda r, x: r.ratio(x, "bare") >= 0.8),
    ("inbound_full", "p99 <= 50 ms", lambda r, x: r.p99 is not None and r.p99 <= 50),
    ("inbound_normal", ">= 1.5x Kannel MO", lambda r, x: r.ratio(x, "kannel_mo") >= 1.5),
    ("inbound_normal", "p99 <= 50 ms", lambda r, x: r.p99 is not None and r.p99 <= 50),
    ("reports_100", ">= 30,000 updates/s", lambda r, x: r.value >= 30000),
    ("reports_1", ">= 4,400 reports/s (2x the 2,200/s before)", lambda r, x: r.value >= 4400),
    ("sender", ">= 4x Kannel MT", lambda r, x: r.ratio(x, "kannel_mt") >= 4.0),
    ("e2e", "p99 <= 100 ms", lambda r, x: r.p99 is not None and r.p99 <= 100),
    ("loop", "replies keep pace (backlog bounded, p99 <= 1 s)",
     lambda r, x: bool(r.data.get("goal_met"))),
    ("pg_inbound", ">= 0.5x SQLite inbound MO, full", lambda r, x: r.ratio(x, "inbound_full") >= 0.5),
]
RSS_GOAL_KIB = 8 * 1024
PRIVATE_GOAL_KIB = 6 * 1024     # reports.fcgi's, at the end of the 100-per-POST row


# --- processes -----------------------------------------------------------

def _die_with_parent():
    """In the child: SIGTERM when the bench dies, even by SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Build:
    """The ibchannel programs one column of the table measures: this tree's
    build/, or with --compare the build/ of another checkout. tag keeps the
    logs and folders of two builds apart ("" when there is one)."""

    def __init__(self, key, label, path, tag=""):
        self.key, self.label, self.dir, self.tag = key, label, path, tag

    def prog(self, name):
        return os.path.join(self.dir, name)


class BuildEnv(Env):
    """An installation (tests/e2e/harness.py) served by build's programs, whose
    own ibchannel makes the store (init) and sets it up, as an operator's
    would: the harness's Env always runs this tree's."""

    def __init__(self, build, name, bindir=None, cluster=None, **kw):
        """cluster: a tests/pg.py Cluster whose fresh database is the store;
        else a SQLite file, whatever IBCHANNEL_TEST_PG says (the harness
        reads its engine from module globals, set here around its __init__:
        the bench makes one Env at a time)."""
        self.build = build
        saved = harness.ENGINE, harness.PG_URI
        harness.ENGINE, harness.PG_URI = (("postgresql", cluster.uri()) if cluster
                                          else ("sqlite", ""))
        try:
            super().__init__(name, bindir=bindir or build.dir, **kw)
        finally:
            harness.ENGINE, harness.PG_URI = saved

    def cli(self, *args, check=True, stdin=None):
        p = subprocess.run([self.build.prog("ibchannel")] + list(args), env=self.env,
                           capture_output=True, text=True, input=stdin, timeout=60)
        if check and p.returncode != 0:
            raise SystemExit("%s %s failed (%d): %s" % (
                self.build.prog("ibchannel"), " ".join(args), p.returncode, p.stderr))
        return p


class Running:
    """Every process and lighttpd environment the bench started; stop_all ends them."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.envs = []
        self.clusters = []

    def unique(self, name, ext=""):
        """A path in the run's folder named after name that nothing has taken
        yet (a later round or the other build gets NAME-2, NAME-3...)."""
        n, path = 1, os.path.join(self.tmp, name + ext)
        while os.path.exists(path):
            n += 1
            path = os.path.join(self.tmp, "%s-%d%s" % (name, n, ext))
        return path

    def folder(self, name):
        path = self.unique(name)
        os.makedirs(path)
        return path

    def start(self, name, cmd, env=None):
        """Starts cmd with its output in the run's folder, NAME.log (p.bench_log)."""
        path = self.unique(name, ".log")
        log = open(path, "w")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, env=env,
                             start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        p.bench_name, p.bench_log = name, path
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def env(self, name, sync, build, server="lighttpd", bindir=None, cluster=None):
        """An installation of build's programs under lighttpd, or under Apache
        (mod_proxy_fcgi, the programs under spawn-fcgi) as
        tests/e2e/test_deploy.py starts it; bindir swaps in other programs;
        cluster puts its store in a fresh database of that PostgreSQL server."""
        e = BuildEnv(build, name + build.tag, sim=False, procs=PROCS, sync=sync,
                     server=server, bindir=bindir, cluster=cluster)
        self.envs.append(e)
        return e

    def cluster(self):
        """A throwaway PostgreSQL server (tests/pg.py) run as production runs
        one: fsync and synchronous_commit on, so that its commits wait for
        the disk as SQLite's under IBCHANNEL_SYNC=full do."""
        c = pg.Cluster(durable=True)
        self.clusters.append(c)
        c.start()
        # The server leaves the bench's process tree (pg_ctl detaches it):
        # its CPU is the bench's all the same (CpuWatch).
        try:
            with open(os.path.join(c.data, "postmaster.pid")) as f:
                CPU_ROOTS.add(int(f.readline()))
        except (OSError, ValueError):
            pass
        return c

    def stop_cluster(self, c):
        c.stop()
        if c in self.clusters:
            self.clusters.remove(c)

    def stop_env(self, e):
        e.stop()
        if e in self.envs:
            self.envs.remove(e)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)
        for e in list(self.envs):
            self.stop_env(e)
        for c in list(self.clusters):
            self.stop_cluster(c)


def lighttpd_pid(env):
    for p in env.procs:
        if os.path.basename(p.args[0]) == "lighttpd":
            return p.pid
    return None


def children(pid):
    """(pid, program name) of every process whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append((int(d), os.path.basename(os.readlink("/proc/%s/exe" % d))))
        except (OSError, ValueError, IndexError):
            continue
    return out


def memory(pid):
    """Peak and current resident memory of pid in KiB, the current split by mapping."""
    m = {"peak": 0, "rss": 0, "libraries": 0, "exe": 0, "heap": 0, "other": 0, "private": 0}
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    m["peak"] = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    m["rss"] = int(line.split()[1])
        where = "other"
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                field = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    path = field[5] if len(field) > 5 else ""
                    if path == exe:
                        where = "exe"
                    elif re.search(r"\.so(\.|$)", path):
                        where = "libraries"
                    elif path in ("", "[heap]", "[stack]") or path.startswith("[anon"):
                        where = "heap"
                    else:
                        where = "other"
                elif field[0] == "Rss:":
                    m[where] += int(field[1])
                elif field[0] in ("Private_Clean:", "Private_Dirty:"):
                    m["private"] += int(field[1])
    except OSError:
        return None
    return m


# --- where the CPU went ----------------------------------------------------

# The programs a row's CPU is told apart by (their /proc comm); the rest is
# "other". wrk's own time (or the sender's, in its row) comes from the
# children's rusage, as it has ended by the time the row's CPU is read.
CPU_PROGRAMS = ("lighttpd", "apache2", "inbound.fcgi", "reports.fcgi", "admin.fcgi",
                "bare.fcgi", "postgres", "bearerbox", "smsbox", "standin", "ibchannel")
TICK = os.sysconf("SC_CLK_TCK")
# Processes of the bench outside its own process tree (a PostgreSQL server).
CPU_ROOTS = set()


def _ours(parent):
    """A function telling whether a pid (of parent, {pid: ppid}) is the bench's
    own: its descendant, or one of CPU_ROOTS'."""
    me, ours = os.getpid(), {}

    def mine(pid):
        seen = []
        while pid > 1 and pid not in ours:
            if pid == me or pid in CPU_ROOTS:
                ours[pid] = True
                break
            seen.append(pid)
            pid = parent.get(pid, 0)
        verdict = ours.get(pid, False)
        for p in seen:
            ours[p] = verdict
        return verdict
    return mine


def _proc_cpu():
    """Each process's (program, user ticks, system ticks, context switches of
    its threads) by pid. Processes the bench did not start (its descendants)
    are "not this bench"; its own programs are named by CPU_PROGRAMS, the
    rest "other", and only named programs' switches are counted."""
    stats, parent = {}, {}
    for pid, (comm, f) in harness.proc_stats().items():
        stats[pid] = (comm, int(f[11]), int(f[12]))
        parent[pid] = int(f[1])
    me, mine = os.getpid(), _ours(parent)
    out = {}
    for pid, (comm, ut, stt) in stats.items():
        if not mine(pid):
            name = "not this bench"
        elif pid == me:
            name = "bench (python)"
        else:
            name = comm if comm in CPU_PROGRAMS else "other"
        switches = 0
        if comm in CPU_PROGRAMS and name == comm:
            d = str(pid)
            try:
                for t in os.listdir("/proc/%s/task" % d):
                    with open("/proc/%s/task/%s/status" % (d, t)) as sf:
                        for line in sf:
                            if "ctxt_switches:" in line:
                                switches += int(line.split()[1])
            except OSError:
                pass
        out[pid] = (name, ut, stt, switches)
    return out


def _machine_cpu():
    """The machine's CPU ticks so far: (total, idle and I/O wait, softirq)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]), v[3] + v[4], v[6]


def _thread_times():
    """The bench's own named programs' threads: {tid: (program, ns on a CPU,
    ns runnable waiting for one)}, from /proc/PID/task/TID/schedstat."""
    stats = harness.proc_stats()
    mine = _ours({pid: int(f[1]) for pid, (_, f) in stats.items()})
    out = {}
    for pid, (comm, _) in stats.items():
        if comm not in CPU_PROGRAMS or not mine(pid):
            continue
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for t in tids:
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    v = f.read().split()
                out[int(t)] = (comm, int(v[0]), int(v[1]))
            except (OSError, IndexError, ValueError):
                pass
    return out


class CpuWatch:
    """Where the machine's CPU went while a row ran, by program: user and
    system seconds, each program's context switches, the idle share, and
    the share softirq took (loopback networking run outside any process's
    time). As a context manager around the row's load.

    It also samples every thread of the bench's named programs twice a
    second (schedstat) and keeps, for subject (by default the sampled
    program that took the most CPU), its busiest thread's time on a CPU,
    waiting for one, and asleep (I/O, locks, or no work): a program bound
    by one thread (a writer, a store thread) shows it there. Sampled,
    because a program may end before the row does (the sender)."""

    def __init__(self, children="wrk", subject=None):
        self.children = children    # what of the bench's children ends within
        self.subject = subject

    def _sample(self):
        while True:
            now = time.monotonic_ns()
            for tid, (comm, run, wait) in _thread_times().items():
                first = self.threads.setdefault(tid, (comm, now, run, wait))
                self.last[tid] = (first[0], now, run, wait)
            if self.stop.wait(0.5):
                break

    def _busiest(self, program):
        """The busiest thread of program among those sampled over half a
        second or more: its shares of the time it was sampled over, or None."""
        best = None
        for tid, (comm, t0, run0, wait0) in self.threads.items():
            _, t1, run1, wait1 = self.last[tid]
            span = t1 - t0
            if comm != program or span < 0.5e9:
                continue
            on, runq = (run1 - run0) / span, (wait1 - wait0) / span
            if best is None or on > best["on"]:
                best = {"program": program, "tid": tid, "span_s": round(span / 1e9, 2),
                        "on": round(on, 3), "runq": round(runq, 3),
                        "asleep": round(max(0.0, 1 - on - runq), 3)}
        return best

    def __enter__(self):
        self.t0 = time.monotonic()
        self.m0 = _machine_cpu()
        self.p0 = _proc_cpu()
        self.c0 = os.times()
        self.threads, self.last, self.stop = {}, {}, threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.sampler.join()
        p1, m1, c1 = _proc_cpu(), _machine_cpu(), os.times()
        wall = time.monotonic() - self.t0
        by = {}
        for pid, (name, ut, stt, sw) in p1.items():
            _, ut0, st0, sw0 = self.p0.get(pid, (name, 0, 0, 0))
            b = by.setdefault(name, {"user": 0.0, "sys": 0.0, "switches": 0})
            b["user"] += (ut - ut0) / TICK
            b["sys"] += (stt - st0) / TICK
            b["switches"] += sw - sw0
        by[self.children] = {"user": c1.children_user - self.c0.children_user,
                     "sys": c1.children_system - self.c0.children_system, "switches": 0}
        total = (m1[0] - self.m0[0]) / TICK
        self.result = {"wall_s": round(wall, 2), "cores": os.cpu_count(),
                       "capacity_s": round(total, 2),
                       "idle_s": round((m1[1] - self.m0[1]) / TICK, 2),
                       "softirq_s": round((m1[2] - self.m0[2]) / TICK, 2),
                       "by": {k: {"user": round(v["user"], 2), "sys": round(v["sys"], 2),
                                  "switches": v["switches"]}
                              for k, v in by.items() if v["user"] + v["sys"] > 0.005}}
        sampled = {comm for comm, *_ in self.threads.values()}
        subject = self.subject or max((k for k in by if k in sampled), default=None,
                                      key=lambda k: by[k]["user"] + by[k]["sys"])
        busiest = self._busiest(subject) if subject else None
        if busiest:
            self.result["thread"] = busiest
        return False


def cpu_line(cpu, requests, unit="request"):
    """A row's CPU as one line: each program's share of the machine (and of
    that, the kernel's), its context switches per request (or unit) when
    counted, softirq and idle."""
    cap = cpu["capacity_s"] or 1
    parts = []
    for name, v in sorted(cpu["by"].items(), key=lambda kv: -(kv[1]["user"] + kv[1]["sys"])):
        t = v["user"] + v["sys"]
        if t / cap < 0.01:
            continue
        parts.append("%s %.0f%% (kernel %.0f%%%s)" % (
            name, 100 * t / cap, 100 * v["sys"] / t if t else 0,
            ", %.1f switches/%s" % (v["switches"] / requests, unit)
            if requests and v["switches"] else ""))
    parts.append("softirq %.0f%%" % (100 * cpu["softirq_s"] / cap))
    parts.append("idle %.0f%%" % (100 * cpu["idle_s"] / cap))
    line = "CPU of %d cores over %.1f s: %s" % (cpu["cores"], cpu["wall_s"], ", ".join(parts))
    t = cpu.get("thread")
    if t:
        line += ("; %s's busiest thread: on a CPU %.0f%%, waiting for one %.0f%%, asleep %.0f%%"
                 " (over %.1f s)" % (t["program"], 100 * t["on"], 100 * t["runq"],
                                     100 * t["asleep"], t["span_s"]))
    return line


# --- load generators -----------------------------------------------------

def lua(tmp, name):
    """tests/bench/NAME.lua with the shared status counting in front, as one file."""
    path = os.path.join(tmp, name + ".lua")
    with open(path, "w") as out:
        for part in ("count", name):
            with open(os.path.join(BENCH, part + ".lua")) as f:
                out.write(f.read() + "\n")
    return path


def to_ms(s):
    """wrk's "1.23ms", "850.00us", "2.01s" in milliseconds."""
    m = re.match(r"([\d.]+)(\w*)$", s)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def wrk(url, script, args=(), seconds=None):
    """One wrk run: counts by status, 2xx per second, latency percentiles (ms)."""
    cmd = ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % (seconds or SECONDS), "--timeout", "10s",
           "--latency", "-s", script, url, "--"] + [str(a) for a in args]
    with CpuWatch() as cpu:
        p = subprocess.run(cmd, capture_output=True, text=True)
    out = p.stdout
    took = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if p.returncode != 0 or not took:
        raise RuntimeError("wrk failed: %s %s" % (out[-500:], p.stderr[-500:]))
    statuses = {int(c): int(n) for c, n in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    ok = sum(n for c, n in statuses.items() if 200 <= c < 300)
    secs = to_ms(took.group(2) + took.group(3)) / 1000
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", out, re.M))
    errors = re.search(r"Socket errors: (.*)", out)
    return {"ok": ok, "requests": int(took.group(1)), "seconds": secs, "rate": ok / secs,
            "statuses": statuses, "non2xx": sum(statuses.values()) - ok,
            "p50": to_ms(pct["50"]) if "50" in pct else None,
            "p99": to_ms(pct["99"]) if "99" in pct else None,
            "socket_errors": errors.group(1) if errors else "", "cpu": cpu.result}


async def _read_status(reader):
    """Reads one HTTP/1.1 response; returns its status code and whether the
    server closes the connection after it (lighttpd does after 1,000
    requests on one connection)."""
    line = await reader.readline()
    code = int(line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
        elif k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
        elif k.strip().lower() == "connection" and "close" in v.lower():
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return code, close


async def _pace(port, path, bodies, rate, conns=64, progress=None):
    """POSTs bodies at rate per second over conns keep-alive connections (a
    request waits for a free connection when all are busy); progress, a dict
    when given, counts the 2xx answers so far under "ok".

    Returns the monotonic ns at which each was sent, its status, the
    answer's latency (ms) and the seconds the whole took."""
    n = len(bodies)
    sent, status, answered = [0] * n, [0] * n, [0.0] * n
    pool = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))

    async def one(i, conn):
        reader, writer = conn
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (path, len(bodies[i]))).encode()
        sent[i] = time.monotonic_ns()
        try:
            writer.write(head + bodies[i])
            status[i], close = await _read_status(reader)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            # Counted as not answered (status 0); the pace goes on on a new connection.
            status[i], close = 0, True
        answered[i] = (time.monotonic_ns() - sent[i]) / 1e6
        if progress is not None and 200 <= status[i] < 300:
            progress["ok"] = progress.get("ok", 0) + 1
        if close:
            writer.close()
            conn = await asyncio.open_connection("127.0.0.1", port)
        pool.put_nowait(conn)

    start = time.monotonic()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, await pool.get())))
    await asyncio.gather(*tasks)
    took = time.monotonic() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return sent, status, answered, took


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# --- the stand-in and Kannel ---------------------------------------------

class Standin:
    def __init__(self, run):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = run.start("standin", [STANDIN, str(self.port)])
        if not wait_port(self.port):
            raise RuntimeError("the stand-in did not start")

    def _get(self, path, method="GET"):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def reset(self):
        self._get("/_reset", "POST")

    def stats(self):
        return json.loads(self._get("/_stats"))

    def arrivals(self):
        out = {}
        for line in self._get("/_arrivals").decode().splitlines():
            to, ns = line.split()
            out.setdefault(to.lstrip("+"), int(ns))
        return out

    def wait(self, stream, want, timeout):
        """Waits until stream has seen want unique ids, or nothing new came for 3 s."""
        end = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while True:
            s = self.stats()[stream]
            if s["unique"] >= want or time.monotonic() > end:
                return s
            if s["unique"] != last:
                last, since = s["unique"], time.monotonic()
            elif time.monotonic() - since > 3:
                return s
            time.sleep(0.1)


class Kannel:
    """bearerbox and smsbox with tests/bench/kannel.conf.in, on loopback."""

    def __init__(self, run, sink_port, tag=""):
        self.dir = run.folder("kannel" + tag)
        self.admin, self.box, self.smsc, self.sendsms = (free_port() for _ in range(4))
        fields = {"DIR": self.dir, "ADMIN_PORT": self.admin, "BOX_PORT": self.box,
                  "SMSC_PORT": self.smsc, "SENDSMS_PORT": self.sendsms,
                  "SINK_PORT": sink_port, "PENDING": CONNS}
        conf = fill(os.path.join(BENCH, "kannel.conf.in"), fields)
        open(os.path.join(self.dir, "kannel.store"), "w").close()
        path = os.path.join(self.dir, "kannel.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.bearerbox = run.start("bearerbox" + tag, [sbin("bearerbox"), "-v", "3", path])
        if not (wait_port(self.smsc) and wait_port(self.admin)):
            raise RuntimeError("Kannel's bearerbox did not start; see bearerbox.log")
        self.smsbox = run.start("smsbox" + tag, [sbin("smsbox"), "-v", "3", path])
        if not wait_port(self.sendsms):
            raise RuntimeError("Kannel's smsbox did not start; see smsbox.log")
        end = time.time() + 10
        while "smsbox:" not in self.status_text():
            if time.time() > end:
                raise RuntimeError("smsbox did not connect to bearerbox")
            time.sleep(0.1)

    def status_text(self):
        url = "http://127.0.0.1:%d/status.txt?password=bench" % self.admin
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read().decode("latin-1")

    def counts(self):
        """Kannel's own counts from its status page."""
        t = self.status_text()
        m = re.search(r"SMS: received (\d+) \((\d+) queued\), sent (\d+) \((\d+) queued\)", t)
        failed = re.search(r"failed (\d+)", t)
        return {"received": int(m.group(1)), "sent": int(m.group(3)),
                "failed": int(failed.group(1)) if failed else 0}


def sbin(name):
    return shutil.which(name) or os.path.join("/usr/sbin", name)


def fill(template, fields):
    """template with its @NAME@ fields filled; an unknown field left over is an
    error. lighttpd runs as the bench's user: no server.username block."""
    with open(template) as f:
        text = without_server_user(f.read())
    for k, v in fields.items():
        text = text.replace("@%s@" % k, str(v))
    left = re.findall(r"^[^#\n]*?(@[A-Z_]+@)", text, re.M)
    if left:
        raise RuntimeError("%s: no value for %s" % (template, ", ".join(sorted(set(left)))))
    return text


def start_bare(run, tag=""):
    """lighttpd with deploy/lighttpd.conf.in as shipped, every program being bare.fcgi."""
    d = run.folder("bare" + tag)
    bindir, var, www = (os.path.join(d, x) for x in ("bin", "var", "www"))
    for x in (bindir, var, www):
        os.makedirs(x)
    for prog in ("inbound.fcgi", "reports.fcgi", "admin.fcgi"):
        os.symlink(BARE, os.path.join(bindir, prog))
    port = free_port()
    conf = fill(os.path.join(ROOT, "deploy", "lighttpd.conf.in"), {
        "BIND": "127.0.0.1", "PORT": port, "WWW": www, "VAR": var,
        "DB": os.path.join(var, "none.db"), "KEY": os.path.join(var, "none.key"),
        "SYNC": "full", "BIN": bindir, "PROCS": PROCS, "ADMIN_NO_AUTH": "0",
        "HTPASSWD": os.path.join(var, "none.htpasswd"),
        "PUBLIC_URL": "http://127.0.0.1:%d" % port})
    path = os.path.join(d, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(conf)
    env = dict(os.environ, BENCH_BARE_THREADS=str(BARE_THREADS))
    p = run.start("lighttpd-bare" + tag, ["lighttpd", "-D", "-f", path], env=env)
    if not wait_port(port):
        raise RuntimeError("lighttpd (bare) did not start")
    return p, "http://127.0.0.1:%d" % port


# --- rows ----------------------------------------------------------------

class Row:
    def __init__(self, rid, name, unit):
        self.id, self.name, self.unit = rid, name, unit
        self.value = 0.0
        self.p50 = self.p99 = None
        self.ok = False
        self.check = "not run"
        self.note = ""
        self.ratios = {}
        self.data = {}
        self.skipped = False
        self.ran = False
        self.runs = self.runs_p99 = None

    def skip(self):
        self.ok, self.skipped, self.check = True, True, "skipped (BENCH_ONLY or --rows)"

    def ratio(self, rows, other):
        o = rows.get(other)
        return self.value / o.value if o and o.value else 0.0

    def set_wrk(self, w, per=1):
        self.value = w["rate"] * per
        self.p50, self.p99 = w["p50"], w["p99"]
        self.data["wrk"] = w

    def verdict(self, ok, check):
        self.ok, self.check = bool(ok), check

    def as_json(self):
        return {"id": self.id, "name": self.name, "skipped": self.skipped,
                "value": round(self.value, 1),
                "unit": self.unit, "p50_ms": self.p50, "p99_ms": self.p99,
                "ratios": {k: round(v, 3) for k, v in self.ratios.items()},
                "ok": self.ok, "check": self.check, "note": self.note, "data": self.data,
                **({"runs": self.runs, "runs_p99_ms": self.runs_p99} if self.runs else {})}


def wrk_problems(w):
    """What wrk saw go wrong, for the check text; empty when nothing did."""
    bad = []
    if w["non2xx"]:
        bad.append("non-2xx %s" % ", ".join("%d x%d" % (c, n) for c, n in
                                            sorted(w["statuses"].items()) if not 200 <= c < 300))
    if w["socket_errors"]:
        bad.append("socket errors: " + w["socket_errors"])
    return bad


def within(stored, ok, per=1):
    """wrk does not count the requests still open at its deadline, which the
    server may have answered: up to one per connection more than it saw."""
    return ok * per <= stored <= (ok + CONNS) * per


def row_bare(rows, url, rid="bare"):
    r = rows[rid]
    w = wrk(url + "/channel/0123456789abcdef0123456789abcdef/webhook/sms", lua(TMP, "mo"), [1])
    r.set_wrk(w)
    bad = wrk_problems(w)
    r.verdict(w["ok"] > 0 and not bad, "; ".join(bad) or "2xx %s, nothing to store" % num(w["ok"]))


def row_kannel_mo(rows, k, standin):
    r = rows["kannel_mo"]
    standin.reset()
    before = k.counts()
    w = wrk("http://127.0.0.1:%d" % k.smsc, lua(TMP, "kannel_mo"), [1])
    r.set_wrk(w)
    got = settle(lambda: k.counts()["received"]) - before["received"]
    s = standin.wait("mo", got, timeout=max(30, 10 * SECONDS))
    bad = wrk_problems(w)
    if not within(got, w["ok"]):
        bad.append("Kannel counted %s received, wrk saw %s 2xx" % (num(got), num(w["ok"])))
    if s["unique"] != got or s["duplicates"]:
        bad.append("the service got %s of %s (%s twice)" % (num(s["unique"]), num(got),
                                                             num(s["duplicates"])))
    r.verdict(not bad, "; ".join(bad) or "received %s (wrk 2xx %s), all reached the service once"
              % (num(got), num(w["ok"])))
    if s["last_ns"] and s["first_ns"]:
        r.note = "the service had them all %.1f s after the first" % (
            (s["last_ns"] - s["first_ns"]) / 1e9)
    r.data.update(kannel_received=got, service=s)


def row_kannel_mt(rows, k, standin):
    r = rows["kannel_mt"]
    standin.reset()
    before = k.counts()
    t0 = time.monotonic_ns()
    w = wrk("http://127.0.0.1:%d/" % k.sendsms, lua(TMP, "kannel_mt"), [1])
    standin.wait("mt", w["ok"], timeout=max(30, 10 * SECONDS))
    s = settle(lambda: standin.stats()["mt"])   # and those open at wrk's deadline
    after = settle(k.counts)        # Kannel counts a message once the sink has answered
    sent, failed = after["sent"] - before["sent"], after["failed"] - before["failed"]
    if s["last_ns"]:
        r.value = s["unique"] / ((s["last_ns"] - t0) / 1e9)
    r.p50, r.p99 = w["p50"], w["p99"]
    bad = wrk_problems(w)
    if not within(s["unique"], w["ok"]) or s["duplicates"]:
        bad.append("the sink saw %s (%s twice), sendsms accepted %s" % (
            num(s["unique"]), num(s["duplicates"]), num(w["ok"])))
    if sent != s["unique"] or failed:
        bad.append("Kannel counted %s sent, %s failed; the sink saw %s" % (
            num(sent), num(failed), num(s["unique"])))
    r.verdict(not bad, "; ".join(bad) or "sendsms 2xx %s, sink saw %s once each" % (
        num(w["ok"]), num(s["unique"])))
    r.note = "sendsms accepted %s/s; p50/p99 are sendsms answers" % num(w["rate"])
    r.data.update(wrk=w, sink=s, kannel_sent=sent)


def settle(read, quiet=0.3, timeout=15):
    """read() once it has stopped changing: wrk leaves at its deadline while
    the server still finishes the requests it had."""
    end = time.monotonic() + timeout
    last = read()
    while time.monotonic() < end:
        time.sleep(quiet)
        now = read()
        if now == last:
            break
        last = now
    return last


def store_counts(env, queries):
    """Several counts read in one transaction, so they agree with each other
    (on PostgreSQL one statement through psql: one snapshot)."""
    if env.engine == "postgresql":
        row = env.sql("SELECT " + ", ".join("(%s) AS c%d" % (q, i) for i, q in
                                            enumerate(queries.values())))[0]
        return dict(zip(queries, row))
    db = sqlite3.connect(env.db, timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN")
        out = {k: db.execute(q).fetchone()[0] for k, q in queries.items()}
        db.execute("COMMIT")
        return out
    finally:
        db.close()


IN_COUNTS = {
    "stored": "SELECT COUNT(*) FROM messages WHERE direction = 'in'",
    "distinct": "SELECT COUNT(DISTINCT infobip_id) FROM messages WHERE direction = 'in'",
    "queued": "SELECT COUNT(*) FROM agent_queue",
    "contacts": "SELECT COUNT(*) FROM contacts",
}


def counts_in(env):
    return settle(lambda: store_counts(env, IN_COUNTS))


def row_inbound(rows, rid, env, cid, digit):
    r = rows[rid]
    before = counts_in(env)
    w = wrk(env.base + "/channel/%s/webhook/sms" % cid, lua(TMP, "mo"), [digit])
    r.set_wrk(w)
    after = counts_in(env)
    d = {k: after[k] - before[k] for k in after}
    bad = wrk_problems(w)
    if not within(d["stored"], w["ok"]):
        bad.append("stored %s, wrk saw %s 2xx (LOST OR EXTRA)" % (num(d["stored"]), num(w["ok"])))
    if d["distinct"] != d["stored"]:
        bad.append("%s stored twice" % num(d["stored"] - d["distinct"]))
    if d["queued"] != d["stored"] or d["contacts"] != d["stored"]:
        bad.append("queued for the agent %s, new contacts %s" % (num(d["queued"]),
                                                                num(d["contacts"])))
    r.verdict(not bad, "; ".join(bad) or "stored %s once each (wrk 2xx %s), each a new contact"
              " queued for the agent" % (num(d["stored"]), num(w["ok"])))
    r.data["store"] = d


def row_duplicate(rows, env, cid, rid="duplicate"):
    r = rows[rid]
    body = ('{"results":[{"messageId":"bench-dup-1","from":"4915112345678","to":"447491163443",'
            '"text":"Hello again","receivedAt":"2026-11-27T10:00:00.000+0000","smsCount":1}],'
            '"messageCount":1,"pendingMessageCount":0}')
    first = env.post("/channel/%s/webhook/sms" % cid, body)
    before = counts_in(env)
    w = wrk(env.base + "/channel/%s/webhook/sms" % cid, lua(TMP, "fixed"), [body])
    r.set_wrk(w)
    d = counts_in(env)["stored"] - before["stored"]
    bad = wrk_problems(w)
    if first.status != 200 or d != 0 or w["ok"] == 0:
        bad.append("first answer %d, then %s more stored" % (first.status, num(d)))
    r.verdict(not bad, "; ".join(bad) or "2xx %s, none stored again" % num(w["ok"]))


def row_reports(rows, rid, env, cid, per):
    r = rows[rid]
    known = max(1000, (40000 if per > 1 else 5000) * SECONDS)
    prefix = "bench-out-%d-" % per
    insert = ("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
              " text, status, status_group) SELECT ? || i, ?, 'out', 'campaign', 'InfoSMS',"
              " '41793026727', 'Bench report target', 'accepted', 'PENDING' FROM ")
    if env.engine == "postgresql":
        env.sql(insert + "generate_series(0, ? - 1) AS i", (prefix, cid, known))
    else:
        env.sql("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)"
                + insert + "n", (known, prefix, cid))
    queries = {"events": "SELECT COUNT(*) FROM message_events",
               "waiting": "SELECT COUNT(*) FROM message_events WHERE applied = 0"}
    before = store_counts(env, queries)
    w = wrk(env.base + "/channel/%s/webhook/reports" % cid, lua(TMP, "reports"),
            [per, known, prefix])
    r.set_wrk(w, per)
    after = settle(lambda: store_counts(env, queries))
    events, waiting = after["events"] - before["events"], after["waiting"] - before["waiting"]
    bad = wrk_problems(w)
    if not within(events, w["ok"], per):
        bad.append("stored %s events for %s 2xx x %d (LOST OR EXTRA)" % (num(events),
                                                                        num(w["ok"]), per))
    if waiting:
        bad.append("%s reports not matched to their message" % num(waiting))
    r.verdict(not bad, "; ".join(bad) or "%s reports stored once each and applied (2xx %s x %d)"
              % (num(events), num(w["ok"]), per))
    if per > 1:
        r.note = "%s requests/s" % num(w["rate"])
    r.data.update(events=events, per_post=per)


def run_sender(run, name, env, seconds, settings=None):
    """Starts env's build's ibchannel sender --for seconds under env's settings
    (or settings)."""
    return run.start(name + env.build.tag, [env.build.prog("ibchannel"), "sender", "--for",
                                            str(seconds)], env=settings or env.env)


def watch_memory(p, until):
    """Waits for p to end (or until the monotonic time until); returns its memory
    as last seen, which holds its peak."""
    last = None
    while p.poll() is None and time.monotonic() < until:
        last = memory(p.pid) or last
        time.sleep(0.1)
    return last or {}


def row_sender(rows, run, env, cid, standin, rid="sender"):
    r = rows[rid]
    queued = int(os.environ.get("BENCH_SEND_QUEUE", 40000 * SECONDS))
    if env.engine == "postgresql":
        env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
                " text, status) SELECT 'bench-send-' || lpad(i::text, 9, '0'), ?, 'out',"
                " 'campaign', 'InfoSMS', '+49151' || lpad(i::text, 8, '0'), 'Hello number ' || i,"
                " 'queued' FROM generate_series(1, ?) AS i", (cid, queued))
    else:
        env.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
                " text, status) SELECT printf('bench-send-%09d', i), ?, 'out', 'campaign',"
                " 'InfoSMS', '+49151' || printf('%08d', i), 'Hello number ' || i, 'queued'"
                " FROM n", (queued, cid))
    env.sql("INSERT INTO outbox (message_id) SELECT id FROM messages"
            " WHERE uid LIKE 'bench-send-%'")
    if env.engine == "postgresql":
        # The queue came in one statement, which a live line never does:
        # PostgreSQL's planner would take the outbox for empty until
        # autovacuum's next analyze (within a minute) and sort every due
        # row per claim. Give it the statistics autovacuum would.
        env.sql("ANALYZE")
    standin.reset()
    t0 = time.monotonic_ns()
    with CpuWatch("ibchannel sender", subject="ibchannel") as cpu:
        p = run_sender(run, "sender", env, SECONDS)
        mem = watch_memory(p, time.monotonic() + SECONDS + 60)
        run.stop(p)
    s = standin.stats()["infobip"]
    r.data.update(cpu=cpu.result, per=("message", s["unique"]))
    st = dict(env.sql("SELECT status, COUNT(*) FROM messages WHERE uid LIKE 'bench-send-%'"
                      " GROUP BY status"))
    if s["last_ns"]:
        r.value = s["unique"] / ((s["last_ns"] - t0) / 1e9)
    bad = []
    if s["duplicates"] or s["unique"] != st.get("accepted", 0) or s["unique"] == 0:
        bad.append("stand-in saw %s (%s twice), the store says %s accepted" % (
            num(s["unique"]), num(s["duplicates"]), num(st.get("accepted", 0))))
    left = {k: v for k, v in st.items() if k not in ("accepted", "queued")}
    if left:
        bad.append("left %s" % ", ".join("%s %s" % (num(v), k) for k, v in left.items()))
    drained = st.get("queued", 0) == 0
    r.verdict(not bad, "; ".join(bad) or "%s sent, each seen once by the stand-in and recorded"
              " accepted" % num(s["unique"]))
    r.note = "%s queued; %s%s batch requests" % (
        num(queued), "ran out of messages; " if drained else "", num(s["requests"]))
    r.data.update(standin=s, statuses=st, queued=queued)
    return mem


def mo_reply(run, env, cid, standin, rate, seconds, patience, tag, sample=None):
    """MO paced at rate for seconds into env's webhook with the sender
    running, each answered by the rules agent; waits up to patience seconds
    after the last MO for the replies at the stand-in (or until none came for
    3 s). sample, when given, is called about once a second while the MO go
    in with the 2xx answers so far and its return values are kept.

    Returns a dict: n, sent (monotonic ns), status, answered (ms), took
    (s), pace (MO/s held), the stand-in's stats, lat (MO sent -> reply at
    the stand-in, ms, one per reply seen), the samples and the seconds from
    the first MO to the last reply."""
    env.sql("DELETE FROM outbox")       # what a sender row left queued
    standin.reset()
    p = run_sender(run, "sender-" + tag, env, seconds + patience + 60)
    time.sleep(0.5)
    n = rate * seconds
    frm = ["497%08d" % i for i in range(n)]
    bodies = [('{"results":[{"messageId":"bench-%s-%d","from":"%s","to":"447491163443",'
               '"text":"Hello, what are your opening hours?","receivedAt":'
               '"2026-11-27T10:00:00.000+0000","smsCount":1}],"messageCount":1,'
               '"pendingMessageCount":0}' % (tag, i, frm[i])).encode() for i in range(n)]
    progress, samples = {"ok": 0}, []

    async def sampler(pace):
        t0 = time.monotonic()
        while not pace.done():
            await asyncio.sleep(1.0 - (time.monotonic() - t0) % 1.0)
            if sample is not None and not pace.done():
                at = time.monotonic() - t0
                samples.append(dict(await asyncio.to_thread(sample, progress["ok"]), t=at))

    async def both():
        pace = asyncio.ensure_future(_pace(env.port, "/channel/%s/webhook/sms" % cid, bodies,
                                           rate, progress=progress))
        await asyncio.gather(pace, sampler(pace))
        return pace.result()

    sent, status, answered, took = asyncio.run(both())
    acked = [i for i in range(n) if 200 <= status[i] < 300]
    s = standin.wait("infobip", len(acked), timeout=patience)
    run.stop(p)
    seen = standin.arrivals()
    lat = [(seen[frm[i]] - sent[i]) / 1e6 for i in acked if frm[i] in seen]
    last = max((seen[frm[i]] for i in acked if frm[i] in seen), default=sent[0])
    return dict(n=n, sent=sent, status=status, answered=answered, took=took, acked=acked,
                pace=(n - 1) / ((sent[-1] - sent[0]) / 1e9) if n > 1 else 0.0,
                standin=s, lat=lat, samples=samples, span=(last - sent[0]) / 1e9)


def reply_problems(m):
    """What went wrong in mo_reply's m: MO not answered 2xx, replies missing or twice."""
    bad, s = [], m["standin"]
    if len(m["acked"]) != m["n"]:
        bad.append("%s MO not answered 2xx" % num(m["n"] - len(m["acked"])))
    if len(m["lat"]) != len(m["acked"]) or s["duplicates"] or s["unique"] != len(m["acked"]):
        bad.append("%s replies for %s MO (%s twice)" % (num(s["unique"]), num(len(m["acked"])),
                                                         num(s["duplicates"])))
    return bad


def row_e2e(rows, run, env, cid, standin, rid="e2e", patience=30):
    """MO paced at E2E_RATE for BENCH_SECONDS, each answered by the rules
    agent through the sender; the check waits up to patience seconds after
    the last MO for the replies (or until none came for 3 s)."""
    r = rows[rid]
    m = mo_reply(run, env, cid, standin, E2E_RATE, SECONDS, patience, rid)
    lat, answered = m["lat"], m["answered"]
    r.value = m["pace"]
    r.p50, r.p99 = percentile(lat, 50), percentile(lat, 99)
    bad = reply_problems(m)
    r.verdict(not bad, "; ".join(bad) or "%s MO, %s replies, one each" % (num(m["n"]),
                                                                         num(len(lat))))
    r.note = "paced at %s MO/s%s; p50/p99 from MO sent to reply at the stand-in (max %.0f ms);" \
        " MO answered p99 %.1f ms" % (num(E2E_RATE), "" if r.value >= 0.95 * E2E_RATE else
                                     ", held back by slow MO answers", max(lat) if lat else 0,
                                     percentile(answered, 99) or 0)
    r.data.update(mo=m["n"], replies=len(lat), seconds=m["took"],
                  max_ms=max(lat) if lat else None,
                  mo_answer_p50_ms=percentile(answered, 50),
                  mo_answer_p99_ms=percentile(answered, 99))


LOOP_COUNTS = {
    "agent_queue": "SELECT COUNT(*) FROM agent_queue",
    "outbox": "SELECT COUNT(*) FROM outbox",
}


def growth(samples, key):
    """How much samples' key grew per second over their last half (a least
    squares slope), or None with fewer than four samples there."""
    half = samples[len(samples) // 2:]
    if len(half) < 4:
        return None
    mt = statistics.fmean(x["t"] for x in half)
    mv = statistics.fmean(x[key] for x in half)
    var = sum((x["t"] - mt) ** 2 for x in half)
    return sum((x["t"] - mt) * (x[key] - mv) for x in half) / var if var else 0.0


def row_loop(rows, run, env, cid, standin, rid="loop"):
    """The whole loop at its goal: MO paced at LOOP_RATE for LOOP_SECONDS,
    the rules agent and the sender answering. Every second the backlog (MO
    answered 2xx and not yet replied to at the stand-in) and the store's
    part of it (agent queue, outbox) are sampled. The goal: the backlog
    does not grow over the last half (it grows by less than one second of
    MO over that half) and MO -> reply p99 <= 1 s."""
    r = rows[rid]

    def sample(ok):
        c = store_counts(env, LOOP_COUNTS)
        c["backlog"] = ok - standin.stats()["infobip"]["unique"]
        return c

    m = mo_reply(run, env, cid, standin, LOOP_RATE, LOOP_SECONDS, 120, rid, sample)
    lat, smp = m["lat"], m["samples"]
    r.value = m["pace"]
    r.p50, r.p99 = percentile(lat, 50), percentile(lat, 99)
    slope = growth(smp, "backlog")
    top = max((x["backlog"] for x in smp), default=0)
    end = smp[-1]["backlog"] if smp else 0
    half = (smp[-1]["t"] - smp[len(smp) // 2]["t"]) if smp else 0
    bounded = None if slope is None else slope * half < LOOP_RATE
    held = r.value >= 0.95 * LOOP_RATE
    met = held and bool(bounded) and r.p99 is not None and r.p99 <= 1000
    bad = reply_problems(m)
    got = store_counts(env, {
        "stored": "SELECT COUNT(*) FROM messages WHERE direction = 'in'"
                  " AND infobip_id LIKE 'bench-loop-%'",
        "distinct": "SELECT COUNT(DISTINCT infobip_id) FROM messages WHERE direction = 'in'"
                    " AND infobip_id LIKE 'bench-loop-%'"})
    if got["stored"] != len(m["acked"]) or got["distinct"] != got["stored"]:
        bad.append("stored %s MO (%s distinct) for %s answered 2xx (LOST OR EXTRA)" % (
            num(got["stored"]), num(got["distinct"]), num(len(m["acked"]))))
    r.verdict(not bad, "; ".join(bad) or "%s MO answered 2xx stored once, %s replies seen once"
              " each" % (num(len(m["acked"])), num(len(lat))))
    r.note = ("goal %s: backlog %s (max %s, at the end %s, %+.0f/s over the last half), p99 %s"
              " (goal <= 1 s); %s MO/s held%s, replies %s/s; store part at the end: agent queue %s,"
              " outbox %s; agent queue max %s, outbox max %s" % (
                  "met" if met else "NOT MET", {True: "bounded", False: "GROWING",
                                               None: "not judged (too short)"}[bounded], num(top),
                  num(end), slope or 0, ms(r.p99), num(r.value),
                  "" if held else " (PACE NOT HELD: the MO answers or the pacer were slower)",
                  num(len(lat) / m["span"]) if m["span"] > 0 else "0",
                  num(smp[-1]["agent_queue"]) if smp else "?",
                  num(smp[-1]["outbox"]) if smp else "?",
                  num(max((x["agent_queue"] for x in smp), default=0)),
                  num(max((x["outbox"] for x in smp), default=0))))
    r.data.update(mo=m["n"], replies=len(lat), seconds=m["took"], rate=LOOP_RATE,
                  replies_per_s=len(lat) / m["span"] if m["span"] > 0 else 0,
                  backlog_max=top, backlog_end=end, backlog_growth_per_s=slope,
                  bounded=bounded, goal_met=met, samples=smp,
                  max_ms=max(lat) if lat else None,
                  mo_answer_p99_ms=percentile(m["answered"], 99))


def setup_line(run, name, sync, standin, build, server="lighttpd", cluster=None):
    """An installation of build with a RUNNING connection to the stand-in and
    the rules agent attached with Inbound on (its store on cluster, a
    PostgreSQL server, when given)."""
    env = run.env(name, sync, build, server, cluster=cluster)
    cid = env.add_connection(name="Bench line", url=standin.url)
    agent = env.cli("agent", "add", "--name", "Bench agent", "--kind", "rules",
                    "--instructions-file", os.path.join(BENCH, "rules.txt")).stdout.strip()
    env.cli("agent", "attach", agent, cid, "--inbound")
    env.cli("agent", "start", agent)
    status = env.sql1("SELECT status FROM connections WHERE id = ?", (cid,))
    if status != "RUNNING":
        raise RuntimeError("the bench connection is %s, not RUNNING" % status)
    return env, cid


def fcgi_memory(label, env_or_pid, mem):
    """The memory of each FastCGI program under a lighttpd (the largest process
    of each program when there are several)."""
    pid = lighttpd_pid(env_or_pid) if isinstance(env_or_pid, Env) else env_or_pid
    largest = {}
    for child, prog in children(pid):
        m = memory(child)
        if m and m["peak"] >= largest.get(prog, {"peak": -1})["peak"]:
            largest[prog] = m
    for prog in sorted(largest):
        mem.append(dict(largest[prog], program="%s (%s)" % (prog, label)))


# --- output --------------------------------------------------------------

def num(v):
    return "{:,.0f}".format(v)


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load": os.getloadavg()}


def versions():
    def version(cmd, pattern):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
        except OSError:
            return "?"
        m = re.search(pattern, p.stdout + p.stderr)
        return m.group(1) if m else "?"
    return {"lighttpd": version(["lighttpd", "-v"], r"lighttpd/([\w.]+)"),
            "Kannel": version([sbin("bearerbox"), "--version"], r"bearerbox version `([^']+)'"),
            "wrk": version(["wrk", "-v"], r"wrk (?:debian/)?([\w.]+)"),
            "Apache": version([shutil.which("apache2") or "/usr/sbin/apache2", "-v"],
                              r"Apache/([\w.]+)")}


def bare_ratio(ratios):
    """A row's ratio to the bare responder under its own web server, or None."""
    return ratios.get("bare", ratios.get("bare_apache"))


def ms(v):
    return "%.1f ms" % v if v is not None else "-"


def print_table(rows, mem, goals, head):
    """The table: one line per row, then each row's check and notes, memory, goals."""
    shown = [r for r in rows.values() if not r.skipped]
    line = "%-42s %9s %-10s %9s %9s %9s %7s  %s"
    print()
    print(head)
    print(line % ("row", "rate", "unit", "p50", "p99", "x Kannel", "x bare", "check"))
    for r in shown:
        kannel = r.ratios.get("kannel_mo", r.ratios.get("kannel_mt"))
        print(line % (r.name, num(r.value), r.unit, ms(r.p50), ms(r.p99),
                      "%.2f" % kannel if kannel is not None else "",
                      "%.2f" % bare_ratio(r.ratios) if bare_ratio(r.ratios) is not None else "",
                      "ok" if r.ok else "FAILED"))
    print("(x Kannel: inbound rows / Kannel MO, the sender / Kannel MT; x bare: / the ceiling"
          " under the same web server)")
    pairs = pg_lines(row_figures(rows))
    if pairs:
        print("PostgreSQL / SQLite, this run: %s" % "; ".join(pairs))
    print()
    print("checks:")
    for r in shown:
        print("  %-44s %s%s" % (r.name, "" if r.ok else "FAILED: ", r.check))
        if r.note:
            print("  %-44s %s" % ("", r.note))
        cpu = r.data.get("cpu") or r.data.get("wrk", {}).get("cpu")
        if cpu:
            per = r.data.get("per") or ("request", r.data.get("wrk", {}).get("requests"))
            print("  %-44s %s" % ("", cpu_line(cpu, per[1], per[0])))
    print()
    print("%-34s %9s %9s %10s %9s %9s %9s" % ("memory (MiB)", "peak RSS", "RSS now",
                                              "libraries", "binary", "heap", "private"))
    for m in mem:
        print("%-34s %9.1f %9.1f %10.1f %9.1f %9.1f %9.1f" % ((m["program"],) + tuple(
            m.get(k, 0) / 1024 for k in ("peak", "rss", "libraries", "exe", "heap", "private"))))
    print("(peak RSS is VmHWM; the rest splits the RSS at the end: shared libraries, the"
          " program's own file, heap/stacks/anonymous memory, and how much of the RSS is"
          " private to the process)")
    print()
    print("goals:")
    for g in goals:
        print("  %-12s %-24s %s" % ("not measured" if g.get("skipped") else {
            True: "met", False: "NOT MET", None: "no figure"}[g["met"]], g["row"], g["goal"]))


def pg_lines(figures):
    """Each PostgreSQL row against its SQLite row of the same run, as text:
    the rate's ratio, or for MO -> reply both p99s. figures(rid) gives a
    row's (rate, p99) when it ran and held its check, else None."""
    out = []
    for prow, srow in PG_PAIRS.items():
        a, b = figures(prow), figures(srow)
        if a is None or b is None:
            continue
        if prow == "pg_e2e":
            out.append("MO -> reply p99 %s (SQLite %s)" % (ms(a[1]), ms(b[1])))
        elif b[0]:
            out.append("%s %.2fx" % (srow, a[0] / b[0]))
    return out


def row_figures(rows):
    """pg_lines' figures from the Row objects of a run."""
    def get(rid):
        r = rows.get(rid)
        return (r.value, r.p99) if r and r.ran and r.ok and not r.skipped else None
    return get


def pct(v):
    return "%.0f%%" % (100 * v) if v is not None else ""


def print_runs(rows):
    """Each row's figure in every round, and their spread: how far apart the
    same measurement lands on this machine."""
    print()
    print("rounds (the table gives their median; spread = (max - min) / median):")
    for r in rows.values():
        if r.runs:
            values, _ = judged(r)
            show = (lambda v: "p99 " + ms(v)) if r.id in JUDGED_BY_P99 else num
            print("  %-42s %6s  %s" % (r.name, pct(spread(values)),
                                       "  ".join(show(v) for v in values)))


# The figure a comparison judges when it is not the row's rate: the MO ->
# reply row holds its pace, what changes is how long a reply takes.
JUDGED_BY_P99 = ("e2e", "loop")
# The rows that run none of ibchannel's programs: in a comparison both
# columns measure the same thing, so their difference is the run's noise.
CONTROLS = ("bare", "kannel_mo", "kannel_mt", "bare_apache")


def judged(r):
    """(the figures of r's rounds a comparison judges, whether higher is better)."""
    if r.id in JUDGED_BY_P99:
        return [v for v in (r.runs_p99 or [r.p99]) if v is not None], False
    return r.runs or [r.value], True


def verdict(a, b):
    """this against base from their rounds: "noise" when the ranges overlap,
    else "better" or "WORSE"; nothing from a single round."""
    (va, higher), (vb, _) = judged(a), judged(b)
    if len(va) < 2 or len(vb) < 2:
        return ""
    if min(vb) <= max(va) and min(va) <= max(vb):
        return "noise"
    return "better" if (min(vb) > max(va)) == higher else "WORSE"


def print_compare(builds, rows, mem, head, rounds):
    """Both builds side by side: each row's figure for base and this, this/base
    (of the p99 for the rows judged by it), p99s, the spread of the rounds,
    a verdict when there are rounds, and both checks; then peak memory."""
    base, this = (b.key for b in builds)
    shown = [rid for rid, _, _, _ in ROWS if not rows[this][rid].skipped]
    line = "%-42s %9s %9s %-9s %10s %9s %9s %6s %6s %-7s %s"
    print()
    print(head)
    print("base: %s\nthis: %s" % (builds[0].label, builds[1].label))
    print(line % ("row", "base", "this", "unit", "this/base", "p99 base", "p99 this",
                  "~base", "~this", "", "checks"))
    gauge = []
    for rid in shown:
        a, b = rows[base][rid], rows[this][rid]
        (va, _), (vb, _) = judged(a), judged(b)
        fa, fb = median(va), median(vb)
        ratio = "%.2f%s" % (fb / fa, " p99" if rid in JUDGED_BY_P99 else "") if fa and fb else ""
        if rid in CONTROLS and fa and fb and a.ok and b.ok:
            gauge.append(abs(fb / fa - 1))
        print(line % (a.name, num(a.value), num(b.value), a.unit, ratio, ms(a.p99), ms(b.p99),
                      pct(spread(va)), pct(spread(vb)), verdict(a, b),
                      "%s %s" % ("ok" if a.ok else "FAILED", "ok" if b.ok else "FAILED")))
    print("(%s; ~: the spread of a column's rounds, (max - min) / median; the verdict, with"
          " 2 rounds or more: noise when the rounds' ranges overlap)" % (
              "median of %d rounds" % rounds if rounds > 1 else "one round"))
    if gauge:
        print("the rows that run no ibchannel program (ceiling, Kannel) differ by up to %s"
              " between the columns: this run's noise" % pct(max(gauge)))
    print()
    print("checks:")
    for rid in shown:
        print("  %s" % rows[base][rid].name)
        for b in builds:
            r = rows[b.key][rid]
            print("    %-5s %s%s" % (b.key, "" if r.ok else "FAILED: ", r.check))
    print()
    print("%-34s %9s %9s %10s %12s %12s" % ("memory, peak RSS (MiB)", "base", "this",
                                             "this/base", "private base", "private this"))
    peaks = {b.key: {m["program"]: m for m in mem[b.key]} for b in builds}
    for prog in peaks[this]:
        ma, mb = peaks[base].get(prog, {}), peaks[this][prog]
        pa, pb = ma.get("peak", 0), mb.get("peak", 0)
        print("%-34s %9s %9.1f %10s %12s %12.1f" % (
            prog, "%.1f" % (pa / 1024) if pa else "-", pb / 1024,
            "%.2f" % (pb / pa) if pa and pb else "",
            "%.1f" % (ma["private"] / 1024) if ma.get("private") else "-",
            mb.get("private", 0) / 1024))
    print("(the last round's; peak RSS is VmHWM, private the part of the RSS at the end"
          " that is the process's own)")


# Every row: id, the group that measures it, its name in the table, its unit.
ROWS = [
    ("bare", "bare", "ceiling: bare FastCGI responder", "req/s"),
    ("kannel_mo", "kannel", "Kannel MO accepted (HTTP SMSC, file store)", "MO/s"),
    ("kannel_mt", "kannel", "Kannel MT sendsms -> sink", "MT/s"),
    ("inbound_full", "full", "inbound MO, new contact, sync=full", "MO/s"),
    ("inbound_normal", "normal", "inbound MO, new contact, sync=normal", "MO/s"),
    ("duplicate", "full", "inbound MO, duplicate, sync=full", "MO/s"),
    ("reports_1", "full", "delivery reports, 1 per POST, full", "reports/s"),
    ("reports_100", "full", "delivery reports, 100 per POST, full", "reports/s"),
    ("sender", "sender", "sender -> C stand-in, full", "msg/s"),
    ("e2e", "sender", "MO -> rules agent -> reply at stand-in", "MO/s"),
    ("loop", "loop", "whole loop at pace: MO -> agent -> reply", "MO/s"),
    ("pg_inbound", "pg", "PostgreSQL: inbound MO, new contact, full", "MO/s"),
    ("pg_duplicate", "pg", "PostgreSQL: inbound MO, duplicate, full", "MO/s"),
    ("pg_reports_100", "pg", "PostgreSQL: delivery reports, 100 per POST", "reports/s"),
    ("pg_sender", "pg", "PostgreSQL: sender -> C stand-in, full", "msg/s"),
    ("pg_e2e", "pg", "PostgreSQL: MO -> rules agent -> reply", "MO/s"),
    ("bare_apache", "apache", "Apache: bare FastCGI responder", "req/s"),
    ("inbound_full_apache", "apache", "Apache: inbound MO, new contact, full", "MO/s"),
    ("retention_base", "retention", "inbound MO, old rows kept, full", "MO/s"),
    ("retention", "retention", "inbound MO while retention removes", "MO/s"),
]

# Each PostgreSQL row and the SQLite row of the same work it is divided by
# ("x SQLite" after the table; the e2e pair compares p99 latency).
PG_PAIRS = {
    "pg_inbound": "inbound_full",
    "pg_duplicate": "duplicate",
    "pg_reports_100": "reports_100",
    "pg_sender": "sender",
    "pg_e2e": "e2e",
}

# Which rows each row is divided by, and how the table names them.
RATIOS = {
    "inbound_full": ("kannel_mo", "bare"),
    "inbound_normal": ("kannel_mo", "bare"),
    "duplicate": ("bare",),
    "reports_1": ("bare",),
    "sender": ("kannel_mt",),
    "inbound_full_apache": ("bare_apache",),
    "pg_inbound": ("inbound_full", "kannel_mo", "bare"),
    "pg_duplicate": ("duplicate", "bare"),
    "pg_reports_100": ("reports_100",),
    "pg_sender": ("sender", "kannel_mt"),
}
# The ceiling each row's "x bare" column divides by: its own web server's.
BARE_OF = {"inbound_full_apache": "bare_apache"}


# A group sets up what its rows share, yields each row as (id, function that
# measures it) and tears down after the last: the driver runs the rows it
# wants, and with two builds takes the two groups' rows in turn.

def group_bare(run, rows, mem, standin, b):
    bare, url = start_bare(run, b.tag)
    yield "bare", lambda: row_bare(rows, url)
    fcgi_memory("ceiling", bare.pid, mem)
    run.stop(bare)


def group_kannel(run, rows, mem, standin, b):
    k = Kannel(run, standin.port, b.tag)
    yield "kannel_mo", lambda: row_kannel_mo(rows, k, standin)
    yield "kannel_mt", lambda: row_kannel_mt(rows, k, standin)
    for name, p in (("bearerbox", k.bearerbox), ("smsbox", k.smsbox)):
        mem.append(dict(memory(p.pid) or {}, program="%s (Kannel)" % name))
    run.stop(k.smsbox)
    run.stop(k.bearerbox)


def group_full(run, rows, mem, standin, b):
    env, cid = setup_line(run, "bench-full", "full", standin, b)
    yield "inbound_full", lambda: row_inbound(rows, "inbound_full", env, cid, 1)
    yield "duplicate", lambda: row_duplicate(rows, env, cid)
    yield "reports_1", lambda: row_reports(rows, "reports_1", env, cid, 1)
    yield "reports_100", lambda: row_reports(rows, "reports_100", env, cid, 100)
    fcgi_memory("full", env, mem)
    run.stop_env(env)


def group_normal(run, rows, mem, standin, b):
    env, cid = setup_line(run, "bench-normal", "normal", standin, b)
    yield "inbound_normal", lambda: row_inbound(rows, "inbound_normal", env, cid, 2)
    fcgi_memory("normal", env, mem)
    run.stop_env(env)


def group_apache(run, rows, mem, standin, b):
    """The ceiling and inbound MO again under Apache 2.4 (mod_proxy_fcgi, each
    program one process under spawn-fcgi, deploy/apache-ibchannel.conf); each
    row brings up its own installation."""
    yield "bare_apache", lambda: apache_bare(run, rows, mem, b)
    yield "inbound_full_apache", lambda: apache_inbound(run, rows, mem, standin, b)


def apache_bare(run, rows, mem, b):
    bindir = run.folder("bare-apache-bin" + b.tag)
    for prog in ("inbound.fcgi", "reports.fcgi", "admin.fcgi"):
        os.symlink(BARE, os.path.join(bindir, prog))
    os.environ["BENCH_BARE_THREADS"] = str(BARE_THREADS)
    e = run.env("bench-bare-apache", "full", b, "apache", bindir)
    row_bare(rows, e.base, "bare_apache")
    spawned_memory("ceiling, Apache", e, mem)
    run.stop_env(e)


def apache_inbound(run, rows, mem, standin, b):
    env, cid = setup_line(run, "bench-apache", "full", standin, b, "apache")
    row_inbound(rows, "inbound_full_apache", env, cid, 3)
    spawned_memory("full, Apache", env, mem)
    run.stop_env(env)


def spawned_memory(label, env, mem):
    """The memory of the programs spawn-fcgi runs for Apache (it execs them in place)."""
    for p in env.procs:
        if p.args[0] == "spawn-fcgi" and p.poll() is None:
            m = memory(p.pid)
            if m:
                mem.append(dict(m, program="%s (%s)" % (os.path.basename(p.args[-1]), label)))


def group_pg(run, rows, mem, standin, b):
    """The store on PostgreSQL 15: a throwaway server of the bench's own
    (tests/pg.py, fsync and synchronous_commit on) with a fresh database per
    installation, and the SQLite rows' work again: inbound MO, duplicates,
    reports 100 per POST, then the sender and MO -> reply, each with the
    same check as its SQLite row, read through psql."""
    try:
        cluster = run.cluster()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        # Said on each row; the groups after this one still run.
        for rid in PG_PAIRS:
            rows[rid].verdict(False, "PostgreSQL did not start: %s" % e)
        return
    env, cid = setup_line(run, "bench-pg", "full", standin, b, cluster=cluster)
    yield "pg_inbound", lambda: row_inbound(rows, "pg_inbound", env, cid, 6)
    yield "pg_duplicate", lambda: row_duplicate(rows, env, cid, "pg_duplicate")
    yield "pg_reports_100", lambda: row_reports(rows, "pg_reports_100", env, cid, 100)
    fcgi_memory("PostgreSQL", env, mem)
    run.stop_env(env)
    env, cid = setup_line(run, "bench-pg-send", "full", standin, b, cluster=cluster)
    yield "pg_sender", lambda: mem.append(dict(
        row_sender(rows, run, env, cid, standin, "pg_sender"),
        program="ibchannel sender (PostgreSQL)"))
    # Slower than the pace, it still has replies coming after 30 s: they
    # are waited for, and its p99 says how late they came.
    yield "pg_e2e", lambda: row_e2e(rows, run, env, cid, standin, "pg_e2e", 180)
    run.stop_env(env)
    run.stop_cluster(cluster)


def mo_load(r, env, cid, digit):
    """wrk's new-contact MO load on r; checks each 2xx was stored once."""
    before = counts_in(env)
    w = wrk(env.base + "/channel/%s/webhook/sms" % cid, lua(TMP, "mo"), [digit])
    r.set_wrk(w)
    after = counts_in(env)
    stored = after["stored"] - before["stored"]
    bad = wrk_problems(w)
    if not within(stored, w["ok"]):
        bad.append("stored %s, wrk saw %s 2xx (LOST OR EXTRA)" % (num(stored), num(w["ok"])))
    if after["distinct"] - before["distinct"] != stored:
        bad.append("%s stored twice" % num(stored - after["distinct"] + before["distinct"]))
    return w, stored, bad


RETAIN_OLD = {
    "messages": "SELECT COUNT(*) FROM messages WHERE uid LIKE 'bench-old-%'",
    "events": "SELECT COUNT(*) FROM message_events WHERE message_uid LIKE 'bench-old-%'",
    "logs": "SELECT COUNT(*) FROM logs WHERE event = 'bench_old'",
}


def group_retention(run, rows, mem, standin, b):
    """Retention's cost: a store holding BENCH_RETAIN_ROWS (default 200,000)
    messages, as many delivery reports and as many log entries from 2020;
    the MO load once with the sender running and retention off, then again
    while the sender's retention removes them (30 days), which logs each
    removal transaction's length at debug level."""
    n = int(os.environ.get("BENCH_RETAIN_ROWS", "200000"))
    env = run.env("bench-retention", "full", b)
    cid = env.add_connection(name="Bench line", url=standin.url)
    old = "2020-01-01 00:00:00"
    env.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
            " text, status, status_group, created_at, updated_at) SELECT"
            " printf('bench-old-%09d', i), ?, 'out', 'agent', 'InfoSMS', '+49151' ||"
            " printf('%08d', i), 'An old answer number ' || i, 'delivered', 'DELIVERED', ?, ?"
            " FROM n", (n, cid, old, old))
    env.sql("INSERT INTO message_events (connection_id, message_uid, message_id, kind, status,"
            " status_group, applied, raw, received_at) SELECT connection_id, uid, id, 'report',"
            " 'delivered', 'DELIVERED', 1, '{\"status\":{\"groupName\":\"DELIVERED\"}}', ?"
            " FROM messages WHERE uid LIKE 'bench-old-%'", (old,))
    env.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO logs (connection_id, at, level, event, text) SELECT ?, ?, 'info',"
            " 'bench_old', 'An old log entry ' || i FROM n", (n, cid, old))
    filled = store_counts(env, RETAIN_OLD)
    yield "retention_base", lambda: row_retention_base(rows, run, env, cid)
    yield "retention", lambda: row_retention(rows, run, env, cid, filled)
    run.stop_env(env)


def row_retention_base(rows, run, env, cid):
    base = rows["retention_base"]
    idle = run_sender(run, "sender-idle", env, SECONDS + 60)
    w, _, bad = mo_load(base, env, cid, 4)
    run.stop(idle)
    base.verdict(not bad, "; ".join(bad) or "stored once each (wrk 2xx %s); the sender"
                 " running, retention off" % num(w["ok"]))


def row_retention(rows, run, env, cid, filled):
    base, during = rows["retention_base"], rows["retention"]
    for k in ("retain_messages_days", "retain_events_days", "retain_logs_days"):
        env.cli("settings", "set", k, "30")
    t0 = time.monotonic()
    p = run_sender(run, "sender-retention", env, SECONDS + 600,
                   dict(env.env, IBCHANNEL_LOG="debug"))
    w, stored, bad = mo_load(during, env, cid, 5)
    left_at_end = store_counts(env, RETAIN_OLD)
    end = time.monotonic() + 600
    while any(store_counts(env, RETAIN_OLD).values()) and time.monotonic() < end:
        time.sleep(0.2)
    took = time.monotonic() - t0
    run.stop(p)
    left = store_counts(env, RETAIN_OLD)
    with open(p.bench_log) as f:
        batches = [(int(c), t, float(ms), float(cpu)) for c, t, ms, cpu in re.findall(
            r"retention: (\d+) (\w+) removed in a transaction of ([\d.]+) ms"
            r" \(([\d.]+) ms of CPU\)", f.read())]
    lengths = [b[2] for b in batches]
    cpu = [b[3] for b in batches]
    if any(left.values()):
        bad.append("old rows left after %.0f s: %s" % (took, left))
    if sum(b[0] for b in batches if b[1] == "messages") != filled["messages"]:
        bad.append("the log counts %s messages removed of %s" % (
            num(sum(b[0] for b in batches if b[1] == "messages")), num(filled["messages"])))
    young = env.sql1("SELECT COUNT(*) FROM messages WHERE uid NOT LIKE 'bench-old-%'")
    if young < stored:
        bad.append("only %s of the %s new MO kept" % (num(young), num(stored)))
    if not any(left_at_end.values()):
        bad.append("retention ended before the load did: raise BENCH_RETAIN_ROWS")
    during.verdict(not bad, "; ".join(bad) or "stored once each (wrk 2xx %s); retention removed"
                   " %s messages, %s events, %s log entries in %.1f s, none of the new" % (
                       num(w["ok"]), num(filled["messages"]), num(filled["events"]),
                       num(filled["logs"]), took))
    during.note = ("retention transactions: longest %.1f ms, p99 %.1f ms, median %.1f ms (%s"
                   " of them; CPU: longest %.1f ms, p99 %.1f ms); MO p99 %s with retention off" % (
                       max(lengths or [0]), percentile(lengths, 99) or 0,
                       percentile(lengths, 50) or 0, num(len(lengths)), max(cpu or [0]),
                       percentile(cpu, 99) or 0, ms(base.p99)))
    during.data.update(retention_ms_max=max(lengths or [0]), retention_cpu_ms_max=max(cpu or [0]),
                       retention_ms_p99=percentile(lengths, 99),
                       retention_ms_p50=percentile(lengths, 50), transactions=len(lengths),
                       removed=filled, seconds=took, base_p99_ms=base.p99)


def group_sender(run, rows, mem, standin, b):
    env, cid = setup_line(run, "bench-send", "full", standin, b)
    yield "sender", lambda: mem.append(dict(row_sender(rows, run, env, cid, standin),
                                            program="ibchannel sender"))
    yield "e2e", lambda: row_e2e(rows, run, env, cid, standin)
    run.stop_env(env)


def group_loop(run, rows, mem, standin, b):
    env, cid = setup_line(run, "bench-loop", "full", standin, b)
    yield "loop", lambda: row_loop(rows, run, env, cid, standin)
    run.stop_env(env)


# In the order they run; BENCH_ONLY=bare,kannel,... runs some of them.
GROUPS = [
    ("bare", "the ceiling: bare FastCGI responder under lighttpd", group_bare),
    ("kannel", "the peer: Kannel", group_kannel),
    ("full", "ibchannel, IBCHANNEL_SYNC=full", group_full),
    ("normal", "ibchannel, IBCHANNEL_SYNC=normal", group_normal),
    ("sender", "ibchannel sender, and MO -> reply", group_sender),
    ("loop", "the whole loop at its goal's pace (BENCH_LOOP_RATE, BENCH_LOOP_SECONDS)",
     group_loop),
    ("pg", "ibchannel on PostgreSQL 15 (fsync, synchronous_commit on)", group_pg),
    ("apache", "the ceiling and inbound MO under Apache 2.4 (mod_proxy_fcgi)", group_apache),
    ("retention", "inbound MO while the sender's retention removes old rows", group_retention),
]


def wanted_rows(only, pattern):
    """The ids of the rows to run: in a BENCH_ONLY group and matching --rows."""
    return [rid for rid, group, _, _ in ROWS
            if group in only and (not pattern or re.search(pattern, rid))]


def new_rows(wanted):
    rows = {rid: Row(rid, name, unit) for rid, _, name, unit in ROWS}
    for rid in rows:
        if rid not in wanted:
            rows[rid].skip()
    return rows


def run_rounds(run, builds, wanted, rounds, standin, history, mem):
    """Runs the wanted rows rounds times for each build, filling history
    ({build key: {row id: [its Row of each round]}}) and mem ({build key:
    the last round's memory}) as it goes, so that an interrupted run keeps
    what it measured. With two builds each group is set up for both and
    their rows are taken in turn ABBA (A B, B A, A B...), and each round
    starts with the other build: a machine getting busier or quieter weighs
    on both alike."""
    turn = 0
    for n in range(rounds):
        first = builds if n % 2 == 0 else builds[::-1]
        rows = {b.key: new_rows(wanted) for b in builds}
        for b in builds:
            mem[b.key] = []
            for rid, r in rows[b.key].items():
                history[b.key][rid].append(r)
        for group, what, fn in GROUPS:
            if not any(g == group and rid in wanted for rid, g, _, _ in ROWS):
                continue
            print("- %s%s" % (what, " (round %d of %d)" % (n + 1, rounds) if rounds > 1 else ""),
                  flush=True)
            live = [(b, fn(run, rows[b.key], mem[b.key], standin, b)) for b in first]
            while live:
                for b, steps in (list(live) if turn % 2 == 0 else live[::-1]):
                    step = next(steps, None)
                    if step is None:
                        live.remove((b, steps))
                    elif step[0] in wanted:
                        step[1]()
                        r = rows[b.key][step[0]]
                        r.ran = True
                        print("    %-42s %s%10s %-9s %s" % (
                            r.name, "%-5s" % b.key if len(builds) > 1 else "", num(r.value),
                            r.unit, "ok" if r.ok else "FAILED"), flush=True)
                turn += 1


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(rid, name, unit, runs):
    """One row from its rounds: the median of each figure, ok when every
    round that ran held its check, and the check of the first that did not
    (or of the last). runs and runs_p99 keep every round's figures."""
    ran = [r for r in runs if r.ran]
    if len(ran) < 2:
        return ran[0] if ran else runs[0] if runs else Row(rid, name, unit)
    s = Row(rid, name, unit)
    s.ran = True
    s.runs, s.runs_p99 = [r.value for r in ran], [r.p99 for r in ran]
    s.value, s.p50, s.p99 = median(s.runs), median(r.p50 for r in ran), median(s.runs_p99)
    failed = [i for i, r in enumerate(ran) if not r.ok]
    s.ok = not failed
    s.check = ran[-1].check if not failed else "%d of %d rounds failed; round %d: %s" % (
        len(failed), len(ran), failed[0] + 1, ran[failed[0]].check)
    s.note, s.data = ran[-1].note, dict(ran[-1].data, rounds=[r.as_json() for r in ran])
    return s


def spread(values):
    """How far apart a row's rounds were: (max - min) / median, or None."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or not median(values):
        return None
    return (max(values) - min(values)) / median(values)


def finish(rows, mem):
    """Each row's ratios to the rows it is divided by, and the goals met."""
    for rid, bases in RATIOS.items():
        for b in bases:
            if rows[rid].ok and rows[b].ok and not rows[rid].skipped and not rows[b].skipped:
                rows[rid].ratios[b] = rows[rid].ratio(rows, b)
    goals = []
    for rid, what, test in GOALS:
        skipped = any(rows[x].skipped for x in (rid,) + RATIOS.get(rid, ()))
        goals.append({"row": rid, "goal": what, "skipped": skipped,
                      "met": bool(test(rows[rid], rows)) if rows[rid].ok and not skipped
                      else None})
    goals += [{"row": m["program"], "goal": "peak RSS <= 8 MiB", "met": m["peak"] <= RSS_GOAL_KIB}
              for m in mem if ".fcgi" in m["program"] and "ceiling" not in m["program"]
              and "Apache" not in m["program"] and "PostgreSQL" not in m["program"]
              and m.get("peak")]
    # reports.fcgi's memory at the end of its group says what the goal asks
    # only when the 100-per-POST row ran in it (else it was measured after
    # other rows, or none).
    after = rows["reports_100"]
    measured = [m for m in mem if m["program"] == "reports.fcgi (full)" and m.get("peak")]
    goals.append({"row": "reports.fcgi (full)", "goal": "private <= 6 MiB after 100 reports"
                  " per POST", "skipped": after.skipped or not measured,
                  "met": measured[0]["private"] <= PRIVATE_GOAL_KIB
                  if measured and not after.skipped and after.ok else None})
    return goals


# The programs of a build the rows run (the bench's own tools come from this tree).
PROGRAMS = ("inbound.fcgi", "reports.fcgi", "admin.fcgi", "ibchannel")


def other_build(path, name):
    """The build to compare with: path is a checkout (its build/ is used) or
    a build/ itself; named name, or by its git revision."""
    d = os.path.join(path, "build") if os.path.isdir(os.path.join(path, "build")) else path
    missing = [p for p in PROGRAMS if not os.access(os.path.join(d, p), os.X_OK)]
    if missing:
        sys.exit("--compare %s: no %s in %s (run make there)" % (path, ", ".join(missing), d))
    if not name:
        p = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True)
        name = "%s (git %s)" % (path, p.stdout.strip()) if p.returncode == 0 else path
    return Build("base", name, os.path.abspath(d), "-base")


def options():
    ap = argparse.ArgumentParser(description="make bench; see the top of tests/bench.py.")
    ap.add_argument("--readme", nargs="?", const=JSON_OUT, metavar="FILE",
                    help="print the README's Speed table from a saved run and stop")
    ap.add_argument("--compare", metavar="DIR",
                    help="also run every row with the programs of DIR/build (another checkout,"
                    " built) and print both columns and their ratio")
    ap.add_argument("--base-name", metavar="NAME", help="what the table calls DIR's build")
    ap.add_argument("--seconds", type=int, default=SECONDS, metavar="N",
                    help="seconds per row (default BENCH_SECONDS or 5)")
    ap.add_argument("--rows", metavar="PATTERN",
                    help="only the rows whose id matches this regular expression")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run every row N times; the table gives the median and the spread")
    ap.add_argument("--list", action="store_true", help="list the rows' ids and stop")
    return ap.parse_args()


def main(opts):
    global TMP, SECONDS, JSON_OUT
    only = os.environ.get("BENCH_ONLY", ",".join(g[0] for g in GROUPS)).split(",")
    unknown = set(only) - {g[0] for g in GROUPS}
    if unknown:
        sys.exit("BENCH_ONLY: no group %s (groups: %s)" % (
            ", ".join(sorted(unknown)), ", ".join(g[0] for g in GROUPS)))
    wanted = wanted_rows(only, opts.rows)
    if not wanted:
        sys.exit("--rows %s: no row (rows: %s)" % (opts.rows, ", ".join(r[0] for r in ROWS)))
    SECONDS = opts.seconds
    for tool, hint in (("wrk", "apt-get install -y wrk"), ("lighttpd", "make deps")):
        if not shutil.which(tool):
            sys.exit("make bench needs %s: %s" % (tool, hint))
    for path in (STANDIN, BARE, sbin("bearerbox")):
        if not os.path.exists(path):
            sys.exit("make bench needs %s (run it through make bench)" % path)
    this = Build("this", "this tree", BUILD)
    builds = [this]
    if opts.compare:
        this.tag = "-this"
        builds = [other_build(opts.compare, opts.base_name), this]
        if "BENCH_JSON" not in os.environ:
            JSON_OUT = os.path.join(BUILD, "bench-compare.json")
    TMP = tempfile.mkdtemp(prefix="ibc-bench-")
    if KEEP:
        os.environ["IBC_KEEP_TMP"] = "1"
    run = Running(TMP)
    # Ctrl-C, kill and a closed terminal all end the run the same way: every
    # process stopped, the rows measured so far printed and saved.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)

    history = {b.key: {rid: [] for rid, _, _, _ in ROWS} for b in builds}
    mem = {b.key: [] for b in builds}
    info = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "versions": versions(),
            "settings": {"seconds": SECONDS, "connections": CONNS, "procs_per_program": PROCS,
                         "e2e_rate": E2E_RATE, "loop_rate": LOOP_RATE,
                         "loop_seconds": LOOP_SECONDS, "bare_threads": BARE_THREADS,
                         "groups": only, "rows": opts.rows, "rounds": opts.repeat}}
    print("make bench: %d s per row, wrk %d connections; %s" % (
        SECONDS, CONNS, "; ".join("%s %s" % kv for kv in info["versions"].items())), flush=True)
    if opts.compare:
        print("comparing base: %s (%s) with this: %s, row by row in turn" % (
            builds[0].label, builds[0].dir, BUILD), flush=True)
    failure = None
    try:
        standin = Standin(run)
        run_rounds(run, builds, wanted, opts.repeat, standin, history, mem)
    except KeyboardInterrupt:
        failure = "interrupted"
    except Exception as e:  # the rows measured so far still get their table
        failure = "%s: %s" % (type(e).__name__, e)
    finally:
        run.stop_all()

    rows = {b.key: {rid: summarize(rid, name, unit, history[b.key][rid])
                    for rid, _, name, unit in ROWS} for b in builds}
    goals = {b.key: finish(rows[b.key], mem[b.key]) for b in builds}
    info["machine"]["load_after"] = os.getloadavg()
    head = ("%s, %d cores (load %.1f at start, %.1f at end); %d s per row%s, wrk %d connections,"
            " %d FastCGI process%s per program" % (
                info["machine"]["cpu"], info["machine"]["cores"], info["machine"]["load"][0],
                info["machine"]["load_after"][0], SECONDS,
                ", %d rounds" % opts.repeat if opts.repeat > 1 else "", CONNS, PROCS,
                "es" if PROCS > 1 else ""))
    ok = failure is None and all(r.ok for b in builds for r in rows[b.key].values())
    if opts.compare:
        print_compare(builds, rows, mem, head, opts.repeat)
        result = dict(info, builds=[{"key": b.key, "label": b.label, "dir": b.dir}
                                    for b in builds],
                      rows={b.key: [r.as_json() for r in rows[b.key].values()] for b in builds},
                      memory_kib=mem, goals=goals, ok=ok, error=failure)
    else:
        print_table(rows["this"], mem["this"], goals["this"], head)
        if opts.repeat > 1:
            print_runs(rows["this"])
        result = dict(info, rows=[r.as_json() for r in rows["this"].values()],
                      memory_kib=mem["this"], goals=goals["this"], ok=ok, error=failure)
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(result, f, indent=1)
    print("\nsaved %s" % os.path.relpath(JSON_OUT, ROOT))
    if failure:
        print("make bench stopped early: %s (logs in %s)" % (failure, TMP))
    elif KEEP:
        print("kept %s" % TMP)
    else:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(0 if ok else 1)


def readme(path):
    """The README's Speed table (markdown) from a saved run."""
    with open(path) as f:
        d = json.load(f)
    m, st, v = d["machine"], d["settings"], d["versions"]
    print("Measured %s on %s, %d cores (load %.1f at start); %d s per row, wrk %d connections,"
          " %d FastCGI process%s per program; lighttpd %s, Kannel %s, wrk %s%s." % (
              d["when"][:10], m["cpu"], m["cores"], m["load"][0], st["seconds"],
              st["connections"], st["procs_per_program"],
              "es" if st["procs_per_program"] > 1 else "", v["lighttpd"], v["Kannel"], v["wrk"],
              "" if d["ok"] else " (NOT every check passed)"))
    print()
    print("| row | rate | p50 | p99 | × Kannel | × bare | check |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in d["rows"]:
        if r.get("skipped"):
            continue
        kannel = r["ratios"].get("kannel_mo", r["ratios"].get("kannel_mt"))
        print("| %s | %s %s | %s | %s | %s | %s | %s |" % (
            r["name"], num(r["value"]), r["unit"], ms(r["p50_ms"]), ms(r["p99_ms"]),
            "%.2f" % kannel if kannel is not None else "",
            "%.2f" % bare_ratio(r["ratios"]) if bare_ratio(r["ratios"]) is not None else "",
            "ok" if r["ok"] else "FAILED"))
    by_id = {r["id"]: r for r in d["rows"]}
    pairs = pg_lines(lambda rid: (by_id[rid]["value"], by_id[rid]["p99_ms"])
                     if rid in by_id and by_id[rid]["ok"] and not by_id[rid].get("skipped")
                     else None)
    if pairs:
        print()
        print("PostgreSQL / SQLite in the same run: %s." % "; ".join(pairs))
    print()
    print("| program | peak RSS | of the RSS at the end: shared libraries | heap and stacks |"
          " private |")
    print("|---|---:|---:|---:|---:|")
    for p in d["memory_kib"]:
        if p.get("peak"):
            print("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB |" % (
                p["program"], p["peak"] / 1024, p.get("libraries", 0) / 1024,
                p.get("heap", 0) / 1024, p.get("private", 0) / 1024))


TMP = None

if __name__ == "__main__":
    OPTS = options()
    if OPTS.readme:
        readme(OPTS.readme)
    elif OPTS.list:
        for rid, group, name, _ in ROWS:
            print("%-20s %-10s %s" % (rid, group, name))
    else:
        main(OPTS)
