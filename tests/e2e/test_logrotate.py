"""deploy/logrotate.ibchannel: logrotate accepts it as shipped (debug dry run
with a state file of our own), and forced rotations of the cron line's log,
while the sender keeps appending to it as that line runs it (as ibchannel,
>> each run), lose no line: every run's line is in the new log or a rotated
one, the rotated ones compressed from the second on, the new log created
for ibchannel 0660.

Needs root, as the installation does: the rotation runs as ibchannel
(logrotate's su) in a directory that is ibchannel's (deploy/INSTALL.md)."""

import glob
import grp
import gzip
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Tally, holds_flock, sqlite_only, wait_for  # noqa: E402

# The rotation of the cron line's log is the same whichever store the sender
# writes to, and the lines this suite counts are the ones a run writes when
# another sender window holds the lock file beside a SQLite store (on
# PostgreSQL the claims keep senders apart: docs/ARCHITECTURE.md), so there
# is nothing here to check on PostgreSQL.
sqlite_only("the log's rotation does not depend on the store, and the lines counted are the"
            " SQLite store's sender lock's")

suite = Tally("logrotate")
check = suite.check
CONF = os.path.join(ROOT, "deploy", "logrotate.ibchannel")
ROTATIONS = 4

if os.geteuid() != 0:
    print("FAIL logrotate: tests/e2e/test_logrotate.py needs root: the rotation runs as the"
          " user ibchannel in that user's log directory (deploy/INSTALL.md)", flush=True)
    suite.failed += 1
    suite.done()
if not shutil.which("logrotate"):
    print("FAIL logrotate: logrotate is not installed (make deps installs it)", flush=True)
    suite.failed += 1
    suite.done()

# The user and group, made as INSTALL.md makes them when this machine has none.
try:
    pwd.getpwnam("ibchannel")
except KeyError:
    with open(os.path.join(ROOT, "deploy", "INSTALL.md")) as f:
        line = re.search(r"^\s*(adduser --system .*ibchannel)$", f.read(), re.M).group(1)
    subprocess.run(line.split(), check=True, capture_output=True)

tmp = tempfile.mkdtemp(prefix="ibc-logrotate-")
os.chmod(tmp, 0o755)
state = os.path.join(tmp, "logrotate.state")
uid, gid = pwd.getpwnam("ibchannel").pw_uid, grp.getgrnam("ibchannel").gr_gid
procs = []


def finish():
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)
    suite.done()


# --- the example as shipped, dry run -------------------------------------------
p = subprocess.run(["logrotate", "-d", "-s", state, CONF], capture_output=True, text=True,
                   timeout=60)
out = p.stdout + p.stderr
check(p.returncode == 0 and "error" not in out.lower() and "/var/log/ibchannel/*.log" in out,
      "logrotate -d accepts deploy/logrotate.ibchannel", out[-500:])

# --- the same rules on a log of this test's own ----------------------------------
lib, logdir = os.path.join(tmp, "lib"), os.path.join(tmp, "log")
for d, m in ((lib, 0o2770), (logdir, 0o750)):
    os.makedirs(d)
    os.chown(d, uid, gid)
    os.chmod(d, m)
log = os.path.join(logdir, "sender.log")
with open(CONF) as f:
    conf = f.read().replace("/var/log/ibchannel", logdir)
conf_path = os.path.join(tmp, "logrotate.conf")
with open(conf_path, "w") as f:
    f.write(conf)
db = os.path.join(lib, "ibchannel.db")
# A copy the ibchannel user can reach: the checkout itself may sit in a
# directory only root may enter (a fresh clone in a private temporary one).
ibc = os.path.join(tmp, "ibchannel")
shutil.copy(os.path.join(BUILD, "ibchannel"), ibc)
os.chmod(ibc, 0o755)
env = ["env", "-i", "PATH=/usr/bin:/bin", "IBCHANNEL_DB=" + db]
p = subprocess.run(["runuser", "-u", "ibchannel", "--"] + env + [ibc, "init"],
                   capture_output=True, text=True, timeout=60)
if not check(p.returncode == 0, "ibchannel init as ibchannel", p.stderr[-300:]):
    finish()

# A sender window holds the lock, so that each run of the cron line below
# writes its line ("another sender holds ...; leaving") and leaves at once.
holder = subprocess.Popen(["setpriv", "--reuid=ibchannel", "--regid=ibchannel", "--init-groups"] +
                          env + [ibc, "sender", "--for", "300"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(holder)
if not check(wait_for(lambda: holds_flock(holder.pid), 20), "a sender window holds the lock"):
    finish()
with open(os.path.join(ROOT, "deploy", "ibchannel.cron")) as f:
    job = [l for l in f if re.match(r"^[*0-9]", l)][0].split(None, 6)[6].strip()
job = job.replace("/usr/local/bin/ibchannel", ibc).replace("/var/log/ibchannel", logdir)
job = re.sub(r"--for \d+", "--for 1", job)     # should the holder go, a run is short
check(">>" + log in job, "the cron line appends to the log it names", job)


def run_once():
    p = subprocess.run(["runuser", "-u", "ibchannel", "--"] + env + ["sh", "-c", job],
                       capture_output=True, timeout=60)
    return p.returncode


def lines():
    """The cron runs' lines in the log and every rotated one."""
    n = 0
    for path in glob.glob(log + "*"):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            n += sum(1 for l in f if "another sender holds" in l)
    return n


check(run_once() == 0 and lines() == 1, "a cron run writes its line while the sender holds"
      " the lock", open(log).read()[-300:] if os.path.exists(log) else "no log")
runs, failed, stop = [lines()], [], threading.Event()
lock = threading.Lock()
# Runs in flight by the number of rotations done when each started. A run
# that started before a rotation may still be writing to the renamed file;
# the shipped rotation compresses that file only a week later, long after
# the run's window. The test rotates within seconds, so before rotating
# again it waits for those runs: it checks the configuration, not that race.
rotations, inflight = [0], {}


def appender():
    while not stop.is_set():
        with lock:
            gen = rotations[0]
            inflight[gen] = inflight.get(gen, 0) + 1
        rc = run_once()
        with lock:
            inflight[gen] -= 1
            runs[0] += 1
            if rc != 0:
                failed.append(rc)


def earlier_runs_done():
    with lock:
        return not any(n for g, n in inflight.items() if g < rotations[0])


threads = [threading.Thread(target=appender) for _ in range(2)]
for t in threads:
    t.start()
rotated, waited = [], []
try:
    for i in range(ROTATIONS):
        seen = lines()
        wait_for(lambda: lines() >= seen + 5, 20)
        waited.append(wait_for(earlier_runs_done, 60))
        p = subprocess.run(["logrotate", "-f", "-s", state, conf_path], capture_output=True,
                           text=True, timeout=60)
        with lock:
            rotations[0] += 1
        rotated.append((p.returncode, p.stderr[-300:]))
    seen = lines()
    wait_for(lambda: lines() >= seen + 5, 20)
finally:
    stop.set()
    for t in threads:
        t.join()
check(all(rc == 0 for rc, _ in rotated), "logrotate -f -s STATE rotated %d times" % ROTATIONS,
      repr(rotated))
check(all(waited), "the runs that started before a rotation ended before the next one",
      repr(waited))
check(not failed, "every cron run exited 0", repr(failed[:5]))
total = lines()
print("%d cron runs, %d rotations" % (runs[0], ROTATIONS), flush=True)
if not check(total == runs[0], "no line lost: %d runs, %d lines in the log and the rotated"
             " ones" % (runs[0], total)):
    # What else the runs wrote, for the one who reads the failure.
    for path in sorted(glob.glob(log + "*")):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            other = [l.rstrip() for l in f if "another sender holds" not in l]
        print("  %s: %r" % (os.path.basename(path), other[:5]), flush=True)
names = sorted(os.path.basename(x) for x in glob.glob(log + "*"))
want = ["sender.log", "sender.log.1"] + ["sender.log.%d.gz" % n for n in range(2, ROTATIONS + 1)]
check(names == sorted(want), "rotated as sender.log.1, then compressed (delaycompress)",
      repr(names))
st = os.stat(log)
check(st.st_uid == uid and st.st_gid == gid and st.st_mode & 0o777 == 0o660,
      "the new log is ibchannel's, 0660", "%d:%d %o" % (st.st_uid, st.st_gid, st.st_mode & 0o777))
check(all(os.stat(x).st_uid == uid and not os.stat(x).st_mode & 0o007
          for x in glob.glob(log + "*")), "no log file is root's or open to others")
finish()
