"""An installation as deploy/INSTALL.md describes it, done for real by its
documented users: make install into a DESTDIR, then INSTALL.md's own shell
steps (the ibchannel user and group, www-data in that group, the store's
directory, init as ibchannel, the modes), with every path of the installed
system moved under a temporary root. lighttpd serves from the installed
example configuration as www-data, the FastCGI programs are the installed
binaries, and the sender runs as ibchannel exactly as the shipped cron line
and then the shipped systemd unit start it. An MO sent to the webhook is
answered at the simulator and its delivery report marks the reply
delivered. Then the same through Apache (the installed
apache-ibchannel.conf, serving as www-data) with the programs under
spawn-fcgi as ibchannel, started as the shipped ibchannel-fcgi@.service
says. Afterwards every file is owned and moded as INSTALL.md's table says,
and nothing became root-owned or readable by others. Last, make uninstall
takes away what make install put there.

Needs root (it creates the system user ibchannel when missing and adds
www-data to its group, as the documented steps do)."""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, SIM_KEY, Tally, free_port, sqlite_only, wait_for, wait_port  # noqa: E402

# What this suite follows is INSTALL.md, and INSTALL.md installs a SQLite
# store: the store's file made by init as ibchannel, its -wal and -shm
# shared by www-data and ibchannel, the table of owners and modes. It
# describes no installation on a PostgreSQL server yet, so there is no step
# to follow there; what does apply on PostgreSQL, the installed programs
# behind the shipped lighttpd and Apache configurations against a database
# URI, is test_deploy.py's second pass (the same binaries and examples).
sqlite_only("INSTALL.md installs a SQLite store (its file, its modes); it documents no"
            " PostgreSQL installation to follow (test_deploy runs the shipped configurations"
            " against a URI)")

suite = Tally("install")
check = suite.check

if os.geteuid() != 0:
    print("FAIL install: tests/e2e/test_install.py needs root: it creates the system user"
          " 'ibchannel' when missing, puts www-data in its group and runs the programs as"
          " those users, as deploy/INSTALL.md does (CI runs make test as root)", flush=True)
    suite.failed += 1
    suite.done()

tmp = tempfile.mkdtemp(prefix="ibc-install-")
os.chmod(tmp, 0o755)            # the documented users reach the installation below it
dest = os.path.join(tmp, "dest")        # make install's DESTDIR
top = os.path.join(tmp, "root")         # where /var, /etc and /run of the machine go
os.makedirs(top)
procs = []
keep = os.environ.get("IBC_KEEP_TMP")

# The machine's paths INSTALL.md and the examples name, and where they go here.
MOVED = [("/usr/local/", dest + "/usr/local/"), ("/var/lib/ibchannel", top + "/var/lib/ibchannel"),
         ("/var/log/ibchannel", top + "/var/log/ibchannel"),
         ("/etc/ibchannel", top + "/etc/ibchannel"),
         ("/run/ibchannel", top + "/run/ibchannel"), ("/root/infobip.key", top + "/infobip.key")]


def here(text):
    for a, b in MOVED:
        text = text.replace(a, b)
    return text


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def finish():
    for p in procs:
        stop(p)
    if keep:
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    suite.done()


def sh(script, env=None, timeout=120):
    return subprocess.run(["sh", "-e", "-c", script], capture_output=True, text=True,
                          env=env, timeout=timeout)


def doc_blocks(step):
    """The ```sh blocks of INSTALL.md's numbered step (its text up to the next step)."""
    with open(os.path.join(ROOT, "deploy", "INSTALL.md")) as f:
        text = f.read()
    m = re.search(r"^%d\. (.*?)(?=^\d+\. |^## |\Z)" % step, text, re.M | re.S)
    if not m:
        return []
    return [textwrap.dedent(b) for b in re.findall(r"```sh\n(.*?)```", m.group(1), re.S)]


def owner(path):
    st = os.lstat(path)
    return "%s:%s" % (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def sql(query):
    """A query read by ibchannel, as an analyst would (the store is not root's to touch)."""
    p = subprocess.run(["runuser", "-u", "ibchannel", "--", "sqlite3", "-json", db, query],
                       capture_output=True, text=True, timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else []


def sim(path, body=None):
    import urllib.request
    req = urllib.request.Request(sim_url + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["Uid"].split()[1]), [int(g) for g in fields["Groups"].split()]


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append((int(d), os.path.basename(os.readlink("/proc/%s/exe" % d))))
            except (OSError, ValueError, IndexError):
                pass
    return out


# --- 1. make install into a DESTDIR ---------------------------------------------
make = ["make", "--no-print-directory", "-C", ROOT, "DESTDIR=" + dest, "PREFIX=/usr/local"]
p = subprocess.run(make + ["install"], capture_output=True, text=True, timeout=600)
if not check(p.returncode == 0, "make install DESTDIR=... PREFIX=/usr/local", p.stderr[-500:]):
    finish()
bindir = dest + "/usr/local/bin"
examples = dest + "/usr/local/share/doc/ibchannel/examples"
installed = sorted(os.path.relpath(os.path.join(d, f), dest)
                   for d, _, fs in os.walk(dest) for f in fs)
# README's "every example at once" reads the installed docs/queries.sql.
with open(os.path.join(ROOT, "README.md")) as f:
    m = re.search(r'sqlite3 -readonly -box "\$IBCHANNEL_DB" < (\S+queries\.sql)', f.read())
check(m is not None and m.group(1).startswith("/usr/local/") and os.path.isfile(here(m.group(1))),
      "the queries.sql README runs is installed where README says",
      m.group(1) if m else "README has no such command")

# --- 2. users and the store, INSTALL.md's block as written ----------------------
blocks = doc_blocks(2)
check(len(blocks) == 1 and "runuser -u ibchannel" in blocks[0], "INSTALL.md step 2 has its"
      " shell block", repr(blocks)[:300])
script = "\n".join(line if line.startswith("adduser --system") else here(line)
                   for line in blocks[0].splitlines())
env = dict(os.environ, PATH=bindir + ":/usr/sbin:/usr/bin:/sbin:/bin")
p = sh(script, env)
if not check(p.returncode == 0, "INSTALL.md step 2 runs as written",
             p.stdout[-300:] + p.stderr[-500:]):
    finish()
ibc_uid, ibc_gid = pwd.getpwnam("ibchannel").pw_uid, grp.getgrnam("ibchannel").gr_gid
www_uid = pwd.getpwnam("www-data").pw_uid
check("www-data" in grp.getgrnam("ibchannel").gr_mem, "www-data is in the group ibchannel")
lib = top + "/var/lib/ibchannel"
db = lib + "/ibchannel.db"
key = lib + "/ibchannel.key"
env["IBCHANNEL_DB"] = db          # the block exports it for the commands that follow
check(owner(db) == "ibchannel:ibchannel" and owner(key) == "ibchannel:ibchannel",
      "init as ibchannel made the store and the key its own", owner(db) + " " + owner(key))

# --- 7. the admin's password file (before the web server that reads it) ----------
blocks = doc_blocks(7)
check(len(blocks) == 1 and "htpasswd" in blocks[0], "INSTALL.md step 7 has its shell block")
script = re.sub(r"htpasswd -B -c (\S+) (\S+)", r"htpasswd -b -B -C 4 -c \1 \2 ann-secret-pw",
                here(blocks[0]))
p = sh(script, env)
check(p.returncode == 0, "INSTALL.md step 7 runs (password given on the command line)",
      p.stderr[-300:])

# --- the Infobip simulator, and step 4: the public URL ---------------------------
port = free_port()
base = "http://127.0.0.1:%d" % port
sim_port = free_port()
sim_url = "http://127.0.0.1:%d" % sim_port
simlog = open(os.path.join(tmp, "ibsim.log"), "w")
procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "sim", "ibsim.py"),
                               "--port", str(sim_port), "--keys", SIM_KEY, "--dlr-delay", "0.2",
                               "--quiet"], stdout=simlog, stderr=subprocess.STDOUT,
                              start_new_session=True))
if not check(wait_port(sim_port), "the simulator started"):
    finish()


def cli(*args):
    """ibchannel as INSTALL.md runs its later steps: as root, IBCHANNEL_DB exported."""
    return subprocess.run([bindir + "/ibchannel"] + list(args), env=env, capture_output=True,
                          text=True, timeout=60)


p = cli("settings", "set", "public_url", base)
check(p.returncode == 0, "settings set public_url", p.stderr[-300:])

# --- 6. a connection and an agent ---------------------------------------------
with open(top + "/infobip.key", "w") as f:
    f.write(SIM_KEY + "\n")
os.chmod(top + "/infobip.key", 0o600)
conn = None
for cmd in doc_blocks(6)[0].replace("\\\n", " ").splitlines():
    words = here(cmd).split()
    if words[:3] == ["ibchannel", "connection", "add"]:
        words[words.index("--api-url") + 1] = sim_url
        p = cli(*[w.strip('"') for w in re.findall(r'"[^"]*"|\S+', " ".join(words[1:]))])
        check(p.returncode == 0, "connection add as step 6 writes it", p.stderr[-300:])
        conn = p.stdout.strip()
    elif words[:3] == ["ibchannel", "connection", "start"]:
        p = cli("connection", "start", conn)
        check(p.returncode == 0, "connection start", p.stdout[-300:] + p.stderr[-300:])
rules = os.path.join(tmp, "rules.txt")
shutil.copyfile(os.path.join(examples, "rules-demo.txt"), rules)
agent = cli("agent", "add", "--name", "Front desk", "--kind", "rules",
            "--instructions-file", rules).stdout.strip()
p1, p2 = cli("agent", "attach", agent, conn, "--inbound"), cli("agent", "start", agent)
check(conn and agent and p1.returncode == 0 and p2.returncode == 0,
      "an agent attached with Inbound on and started", p1.stderr + p2.stderr)
p = cli("connection", "show", conn)
check(p.returncode == 0 and "is a name" not in p.stdout + p.stderr,
      "step 6's sender suits the inbound agent it attaches (no warning)", p.stdout[-400:])
cli("user", "set", "ann", "admin")

# --- 3. lighttpd from the installed example, serving as www-data ----------------
run_dir = top + "/run/lighttpd"         # lighttpd's own: its sockets, log and pid
www = top + "/var/www"
os.makedirs(run_dir)
os.makedirs(www)
os.chown(run_dir, www_uid, grp.getgrnam("www-data").gr_gid)
os.chmod(run_dir, 0o750)
with open(os.path.join(examples, "lighttpd.conf.in")) as f:
    conf = f.read()
fields = {"BIND": "127.0.0.1", "PORT": str(port), "WWW": www, "VAR": run_dir,
          "BIN": dest + "/usr/local/lib/ibchannel", "PROCS": "1", "DB": db, "KEY": key,
          "SYNC": "full", "PUBLIC_URL": base, "HTPASSWD": top + "/etc/ibchannel/htpasswd",
          "ADMIN_NO_AUTH": "0", "USER": "www-data", "GROUP": "www-data"}
for k, v in fields.items():
    conf = conf.replace("@%s@" % k, v)
left = re.findall(r"^[^#\n]*?(@[A-Z_]+@)", conf, re.M)
check(not left, "every @NAME@ field of lighttpd.conf.in is one INSTALL.md names", repr(left))
conf_path = os.path.join(tmp, "lighttpd.conf")
with open(conf_path, "w") as f:
    f.write(conf)
# Debian's lighttpd.service leaves the umask at 022: the store's files must
# not depend on it.
lighttpd = subprocess.Popen(["lighttpd", "-D", "-f", conf_path], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "lighttpd.out"), "w"),
                            start_new_session=True, preexec_fn=lambda: os.umask(0o022))
procs.append(lighttpd)
if not check(wait_port(port) and lighttpd.poll() is None, "lighttpd started as root",
             open(os.path.join(tmp, "lighttpd.out")).read()[-500:]):
    finish()
progs = wait_for(lambda: {n for _, n in children(lighttpd.pid)} >=
                 {"inbound.fcgi", "reports.fcgi", "admin.fcgi"} and children(lighttpd.pid), 10)
check(progs and uid_of(lighttpd.pid)[0] == www_uid, "lighttpd serves as www-data")
for pid, name in progs or []:
    uid, groups = uid_of(pid)
    check(uid == www_uid and ibc_gid in groups, "%s runs as www-data with the group ibchannel"
          % name, "uid %d groups %r" % (uid, groups))
    check(os.readlink("/proc/%d/exe" % pid).startswith(dest + "/"),
          "%s is the installed binary" % name)


def wait_reply(phone, text, sender_cmd, what):
    """Pushes an MO from phone through lighttpd, runs the sender command
    (one window each time, as cron or the timer would each minute) until
    its reply reached the simulator, then waits for the reply's delivery
    report to mark it delivered."""
    sent = sim("/_sim/mo", {"url": "%s/channel/%s/webhook/sms" % (base, conn), "from": phone,
                            "text": text})
    stored = wait_for(lambda: sql("SELECT m.id FROM messages m JOIN contacts c ON c.id ="
                                  " m.contact_id WHERE m.direction = 'in' AND c.phone = '+%s'"
                                  % phone), 15)
    check(stored, what + ": the MO reached the store through inbound.fcgi as www-data",
          json.dumps(sent)[:300] + open(os.path.join(run_dir, "lighttpd-error.log")).read()[-500:])
    runs = []

    def replied():
        p = subprocess.run(sender_cmd, capture_output=True, text=True, timeout=60,
                           start_new_session=True)
        runs.append(p)
        return [m for m in sim("/_sim/messages")["messages"] if m["to"] == phone]

    reply = wait_for(replied, 60, 0.1)
    check(reply and all(r.returncode == 0 for r in runs), what + ": the agent's reply reached"
          " the simulator, the sender exited 0", "%r" % [(r.returncode, r.stdout[-200:],
                                                          r.stderr[-300:]) for r in runs][:3])
    uid = reply[0]["messageId"] if reply else ""
    status = wait_for(lambda: (sql("SELECT status FROM messages WHERE uid = '%s'" % uid) or
                               [{}])[0].get("status") == "delivered", 15)
    check(status, what + ": the delivery report came in through reports.fcgi: delivered",
          repr(sql("SELECT status, error FROM messages WHERE uid = '%s'" % uid)))


# --- 5a. the sender as the cron line runs it ------------------------------------
with open(os.path.join(examples, "ibchannel.cron")) as f:
    lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
cron_env = dict(l.split("=", 1) for l in lines if re.match(r"^[A-Z_]+=", l))
job = [l for l in lines if not re.match(r"^[A-Z_]+=", l)]
check(len(job) == 1 and job[0].split()[5] == "ibchannel", "the cron file has one line, run as"
      " ibchannel", repr(job))
fields6 = job[0].split(None, 6)
cron_cmd = re.sub(r"--for \d+", "--for 2", here(fields6[6]))     # a short window per run
pw = pwd.getpwnam("ibchannel")
env_i = ["env", "-i", "PATH=/usr/bin:/bin", "SHELL=/bin/sh", "HOME=" + pw.pw_dir,
         "LOGNAME=ibchannel"] + ["%s=%s" % (k, here(v)) for k, v in cron_env.items()]
wait_reply("4915112340001", "What are your opening hours?",
           ["runuser", "-u", fields6[5], "--"] + env_i + ["sh", "-c", cron_cmd], "cron")

# --- 5b. the sender as the systemd unit runs it ---------------------------------
unit = {}
with open(os.path.join(examples, "ibchannel-sender.service")) as f:
    for line in f:
        k, eq, v = line.strip().partition("=")
        if eq and not line.startswith("#"):
            unit.setdefault(k, []).append(v)
unit_env = ["%s" % here(v) for v in unit.get("Environment", [])]
exec_start = re.sub(r"--for \d+", "--for 2", here(unit["ExecStart"][0]))
wait_reply("4915112340002", "What are your opening hours?",
           ["setpriv", "--reuid=" + unit["User"][0], "--regid=" + unit["Group"][0],
            "--init-groups", "env", "-i", "PATH=/usr/bin:/bin"] + unit_env +
           ["sh", "-c", "umask %s; exec %s" % (unit["UMask"][0], exec_start)], "systemd unit")

# --- the files, while everything still has the store open ---------------------
wal = [db + "-wal", db + "-shm"]
check(all(os.path.exists(w) for w in wal), "the store's -wal and -shm exist while lighttpd runs")
for w in wal:
    if os.path.exists(w):
        check(mode(w) == 0o660 and owner(w).split(":")[1] == "ibchannel" and
              owner(w).split(":")[0] in ("ibchannel", "www-data"),
              "%s: group ibchannel, 0660 (both users write it), though www-data's umask is 022"
              % os.path.basename(w), "%s %o" % (owner(w), mode(w)))
stop(lighttpd)

# --- 3, the other way: Apache, the programs under spawn-fcgi as the unit runs them --
# On the same port, so that the public URL holds. The unit's lines, with
# its %i, its Environment= and its UMask=, run as systemd would as root.
with open(os.path.join(examples, "ibchannel-fcgi@.service")) as f:
    text = f.read().replace("\\\n", " ")
fcgi = {}
for line in text.splitlines():
    k, eq, v = line.strip().partition("=")
    if eq and not line.startswith("#"):
        fcgi.setdefault(k, []).append(v)
fcgi_env = {"PATH": "/usr/bin:/bin"}
for v in fcgi.get("Environment", []):
    k, _, val = here(v).partition("=")
    fcgi_env[k] = base if k == "IBCHANNEL_PUBLIC_URL" else val
spawned = []
for prog in ("inbound", "reports", "admin"):
    for pre in fcgi.get("ExecStartPre", []):
        p = subprocess.run(here(pre.replace("%i", prog)).split(), capture_output=True, text=True)
        check(p.returncode == 0, "the unit's ExecStartPre for %s" % prog, p.stderr[-300:])
    cmd = here(fcgi["ExecStart"][0].replace("%i", prog))
    sp = subprocess.Popen(["sh", "-c", "umask %s; exec %s" % (fcgi["UMask"][0], cmd)],
                          env=fcgi_env, stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(tmp, prog + "-fcgi.log"), "w"),
                          start_new_session=True)
    procs.append(sp)
    spawned.append((prog, sp))
run_ib = top + "/run/ibchannel"
check(wait_for(lambda: all(os.path.exists("%s/%s.sock" % (run_ib, n)) for n, _ in spawned), 10),
      "spawn-fcgi made the three sockets the unit names")
for prog, sp in spawned:
    uid, groups = uid_of(sp.pid) if sp.poll() is None else (-1, [])
    check(uid == ibc_uid, "%s.fcgi runs as ibchannel under spawn-fcgi" % prog, str(uid))
    sock = "%s/%s.sock" % (run_ib, prog)
    check(os.path.exists(sock) and owner(sock).split(":")[0] == "www-data" and
          mode(sock) & 0o007 == 0, "%s.sock is for www-data only" % prog,
          "%s %o" % (owner(sock), mode(sock)) if os.path.exists(sock) else "missing")
check(owner(run_ib) == "ibchannel:www-data" and mode(run_ib) == 0o750,
      "/run/ibchannel is ibchannel:www-data 0750", "%s %o" % (owner(run_ib), mode(run_ib)))
arun = top + "/run/apache2"
os.makedirs(arun)
os.chown(arun, www_uid, grp.getgrnam("www-data").gr_gid)
mods = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic", "authz_user",
        "proxy", "proxy_fcgi"]
aconf = ["LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m) for m in mods] + [
    "User www-data", "Group www-data", 'ServerRoot "%s"' % tmp,
    "Listen 127.0.0.1:%d" % port, "ServerName 127.0.0.1",
    'PidFile "%s/apache.pid"' % arun, 'ErrorLog "%s/apache-error.log"' % tmp, "LogLevel warn",
    'DefaultRuntimeDir "%s"' % arun, 'Mutex "file:%s" default' % arun,
    'DocumentRoot "%s"' % www, "<Directory />\n\tRequire all denied\n</Directory>",
    'Define IBCHANNEL_RUN "%s"' % run_ib,
    'Define IBCHANNEL_HTPASSWD "%s"' % (top + "/etc/ibchannel/htpasswd"),
    'Include "%s"' % os.path.join(examples, "apache-ibchannel.conf")]
with open(os.path.join(tmp, "apache2.conf"), "w") as f:
    f.write("\n".join(aconf) + "\n")
apache = subprocess.Popen([shutil.which("apache2") or "/usr/sbin/apache2", "-f",
                           os.path.join(tmp, "apache2.conf"), "-DFOREGROUND"],
                          stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(tmp, "apache.out"), "w"),
                          start_new_session=True)
procs.append(apache)
if check(wait_port(port) and apache.poll() is None, "Apache started as root on the same port",
         open(os.path.join(tmp, "apache.out")).read()[-500:]):
    wait_reply("4915112340003", "What are your opening hours?",
               ["runuser", "-u", fields6[5], "--"] + env_i + ["sh", "-c", cron_cmd], "Apache")
    import base64
    import urllib.error
    import urllib.request
    req = urllib.request.Request(base + "/admin/", headers={"Authorization": "Basic " +
                                 base64.b64encode(b"ann:ann-secret-pw").decode()})
    try:
        status = urllib.request.urlopen(req, timeout=30).status
    except urllib.error.HTTPError as e:
        status = e.code
    check(status == 200, "Apache: /admin/ with the password from step 7: 200 from admin.fcgi"
          " running as ibchannel", str(status))
    check(all(os.lstat(w).st_gid == ibc_gid and mode(w) == 0o660 for w in wal
              if os.path.exists(w)), "the -wal and -shm still group ibchannel, 0660")
stop(apache)
for _, sp in spawned:
    stop(sp)

# INSTALL.md's table of owners and modes, row by row.
with open(os.path.join(ROOT, "deploy", "INSTALL.md")) as f:
    table = re.findall(r"^\s*\| `(/[^`]+)`[^|]*\| (\S+:\S+) \| (\d{4}) \|$", f.read(), re.M)
check(len(table) >= 5, "INSTALL.md has its table of owners and modes", repr(table))
for path, who, m in table:
    local = here(path)
    ok = os.path.exists(local) and owner(local) == who and mode(local) == int(m, 8)
    check(ok, "%s is %s %s as documented" % (path, who, m),
          "%s %o" % (owner(local), mode(local)) if os.path.exists(local) else "missing")

# Nothing in the store's or the log's directory is root's or open to others.
bad = []
for d in (lib, top + "/var/log/ibchannel"):
    for dirpath, dirs, files in os.walk(d):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            if os.lstat(path).st_uid == 0 or mode(path) & 0o007:
                bad.append("%s %s %o" % (os.path.relpath(path, top), owner(path), mode(path)))
check(not bad, "no file of the store or the logs is root-owned or open to others", repr(bad))
log = top + "/var/log/ibchannel/sender.log"
check(os.path.exists(log) and owner(log) == "ibchannel:ibchannel" and mode(log) == 0o660,
      "the cron line's log is ibchannel's, 0660 (umask 007)",
      "%s %o" % (owner(log), mode(log)) if os.path.exists(log) else "missing")

# --- make uninstall -----------------------------------------------------------
check(installed and any(i.endswith("/bin/ibchannel") for i in installed), "install put files")
p = subprocess.run(make + ["uninstall"], capture_output=True, text=True, timeout=600)
left = [os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs]
check(p.returncode == 0 and not left, "make uninstall DESTDIR=... removes every installed file",
      p.stderr[-300:] + repr(left[:5]))
dirs = [os.path.relpath(d, dest) for d, _, _ in os.walk(dest) if d != dest]
check(not dirs, "and every directory install created under DESTDIR", repr(dirs[:8]))
# On a live system (no DESTDIR) the shared directories stay; only
# ibchannel's own go, and the store is never touched.
live = os.path.join(tmp, "live")
os.makedirs(live + "/bin")
p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "PREFIX=" + live, "install"],
                   capture_output=True, text=True, timeout=600)
p2 = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "PREFIX=" + live, "uninstall"],
                    capture_output=True, text=True, timeout=600)
kept = sorted(os.path.relpath(d, live) for d, _, _ in os.walk(live) if d != live)
check(p.returncode == 0 and p2.returncode == 0 and "bin" in kept and not any("ibchannel" in k for k in kept),
      "without DESTDIR, uninstall removes ibchannel's own directories and keeps the shared ones",
      p.stderr[-200:] + p2.stderr[-200:] + repr(kept))
finish()
