"""The Debian package, for real: make deb from a copy of the tree (as a
clean clone has it) builds ibchannel_VERSION_ARCH.deb with
dpkg-buildpackage and lintian passes it; a second build of the same tree,
with a higher changelog version, a changed configuration file and one
more migration, is the upgrade. The first is installed with dpkg -i on
this machine: the user and group, the directories and the configuration
file with INSTALL.md's owners and modes, every piece in its place, the
timer enabled. ibchannel init runs as the package's user with nothing but
the configuration file; lighttpd serves with the packaged snippet
enabled by lighty-enable-mod (as www-data), and one MO goes through it to
the agent, whose reply the sender, started as the packaged cron line
starts it, sends to the Infobip simulator; its delivery report comes back
through the snippet's reports.fcgi. The upgrade keeps the store, the key
and the administrator's configuration (the package's new one beside it),
migrates the store, and the new programs serve a second MO; the older
package is then refused (the store's schema is newer). Remove keeps the
store, the key and the configuration; purge removes the configuration
and the logs and, with the debconf answer "no" (the default), keeps the
store; a purge answered "yes" removes it. Nothing else of the package is
left.

Needs root (dpkg, the system user). It refuses to run where ibchannel is
installed or /var/lib/ibchannel, /var/log/ibchannel or /etc/ibchannel
exist: it would purge them. It purges the package and undoes what it did
(the user and group if it made them, the lighttpd modules it enabled) at
the end even when a check failed."""

import grp
import hashlib
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
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, SIM_KEY, Tally, free_port, sqlite_only, wait_for, wait_port  # noqa: E402

suite = Tally("deb")
check = suite.check

sqlite_only("the package's test installs it on this machine once; its store's engine is"
            " the other suites' subject")
if os.geteuid() != 0:
    print("skipped: tests/e2e/test_deb.py installs the package with dpkg and needs root"
          " (CI runs make test as root)")
    suite.done()
CLAIMED = ["/var/lib/ibchannel", "/var/log/ibchannel", "/etc/ibchannel"]
state = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "ibchannel"],
                       capture_output=True, text=True).stdout.strip()
if state or any(os.path.exists(p) for p in CLAIMED):
    print("skipped: ibchannel is installed here (%s) or one of %s exists; this test would"
          " purge it" % (state or "not installed", ", ".join(CLAIMED)))
    suite.done()

ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C.UTF-8")
for k in list(ENV):
    if k.startswith("IBCHANNEL_"):
        del ENV[k]          # the package's programs read its configuration file alone
tmp = tempfile.mkdtemp(prefix="ibc-deb-")
os.chmod(tmp, 0o755)
procs = []
undo = {"user": False, "group": False, "lighty": [], "run_lighttpd": False}
mod_files = {}          # the lighttpd modules the test enabled: their conf-enabled names
CONF = "/etc/ibchannel/ibchannel.conf"
DB = "/var/lib/ibchannel/ibchannel.db"
KEY = "/var/lib/ibchannel/ibchannel.key"


START = time.time()


def phase(name):
    """Says how long the test has run, for a slow machine's reader."""
    print("%4.0f s  %s" % (time.time() - START, name), flush=True)


def dpkg(*args):
    """dpkg, its triggers (man-db's index, which takes seconds on each
    call) left to one run at the end (cleanup)."""
    return run(["dpkg", "--no-triggers"] + list(args))


def run(cmd, timeout=600, env=None, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=env or ENV, stdin=subprocess.DEVNULL, **kw)


def owner_mode(path):
    st = os.lstat(path)
    return "%s:%s %04o" % (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
                           stat.S_IMODE(st.st_mode))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def installed_version():
    p = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}${Version}", "ibchannel"])
    return p.stdout.strip() if p.returncode == 0 else ""


def sql(query):
    """A query on the installed store, read as its owner."""
    p = subprocess.run(["runuser", "-u", "ibchannel", "--", "sqlite3", "-json", DB, query],
                       capture_output=True, text=True, timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else []


def sim(path, body=None):
    req = urllib.request.Request(sim_url + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def cleanup():
    """Whatever happened: the package purged with its store, the machine as it was."""
    for p in procs:
        stop(p)
    for mod in undo["lighty"]:
        if os.path.lexists("/etc/lighttpd/conf-enabled/%s" % mod_files.get(mod, "")):
            run(["lighty-disable-mod", mod])
    if installed_version():
        subprocess.run(["debconf-set-selections"], input="ibchannel ibchannel/purge-store"
                       " boolean true\n", text=True, capture_output=True)
        dpkg("--purge", "ibchannel")
    run(["dpkg", "--triggers-only", "--pending"])
    for path in CLAIMED:
        shutil.rmtree(path, ignore_errors=True)
    if undo["user"]:
        run(["deluser", "--quiet", "--system", "ibchannel"])
    if undo["group"] and subprocess.run(["getent", "group", "ibchannel"],
                                        capture_output=True).returncode == 0:
        run(["delgroup", "--quiet", "--system", "ibchannel"])
    for sock in ("inbound", "reports", "admin"):
        try:
            os.unlink("/run/lighttpd/ibchannel-%s.sock" % sock)
        except OSError:
            pass
    if undo["run_lighttpd"]:
        shutil.rmtree("/run/lighttpd", ignore_errors=True)
    if os.environ.get("IBC_KEEP_TMP"):
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def copy_tree(dst):
    """The tree as a clean clone has it: the files git knows (new ones
    too), without build/ or anything ignored."""
    p = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                       capture_output=True, text=True)
    names = [n for n in p.stdout.split("\0") if n] if p.returncode == 0 else []
    if not names:
        shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns("build", "var", ".git"))
        return
    for n in names:
        src = os.path.join(ROOT, n)
        if os.path.isfile(src) and not os.path.islink(src):
            os.makedirs(os.path.dirname(os.path.join(dst, n)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, n))


def make_deb(tree, *args):
    """make deb in tree; the .deb it made (moved out of tree/build), or None."""
    p = run(["make", "--no-print-directory", "-C", tree, "deb"] + list(args), timeout=900)
    debs = [f for f in os.listdir(os.path.join(tree, "build", "deb"))
            if f.endswith(".deb")] if p.returncode == 0 else []
    return p, debs


def changelog_version(tree):
    with open(os.path.join(tree, "debian", "changelog")) as f:
        return re.match(r"ibchannel \(([^)]+)\)", f.readline()).group(1)


try:
    # --- 1. make deb from a copy of the tree, twice ---------------------------------
    tree = os.path.join(tmp, "src")
    copy_tree(tree)
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    v1 = changelog_version(tree)
    p, debs = make_deb(tree)
    name1 = "ibchannel_%s_%s.deb" % (v1, arch)
    check(p.returncode == 0 and debs == [name1], "make deb builds %s, lintian passes it" % name1,
          (p.stdout + p.stderr)[-1500:] + repr(debs))
    if not debs:
        raise SystemExit
    deb1 = os.path.join(tmp, name1)
    shutil.move(os.path.join(tree, "build", "deb", name1), deb1)
    check(not os.path.exists(os.path.join(tmp, "ibchannel_%s_%s.changes" % (v1, arch))),
          "make deb writes nothing beside the tree (build/deb holds the build)")
    # The upgrade: the tree make deb built, with a higher version, a new
    # migration and a changed configuration file, built again without its
    # clean step: make rebuilds only what changed (the version, the SQL).
    v2 = v1 + ".1"
    tree = os.path.join(tree, "build", "deb", "ibchannel-" + v1)
    with open(os.path.join(tree, "debian", "changelog")) as f:
        old = f.read()
    with open(os.path.join(tree, "debian", "changelog"), "w") as f:
        f.write("ibchannel (%s) unstable; urgency=medium\n\n  * The upgrade test_deb.py"
                " installs.\n\n -- ibchannel authors <maintainers@ibchannel.example.org>"
                "  Mon, 07 Dec 2026 00:00:01 +0000\n\n%s" % (v2, old))
    last = sorted(f for f in os.listdir(os.path.join(tree, "sql")) if re.match(r"\d{3}-", f))[-1]
    schema1 = int(last[:3])
    schema2 = schema1 + 1
    with open(os.path.join(tree, "sql", "%03d-deb-test.sql" % schema2), "w") as f:
        f.write("-- test_deb.py's upgrade: one table more.\n"
                "CREATE TABLE deb_test_upgrade (id INTEGER PRIMARY KEY);\n")
    with open(os.path.join(tree, "deploy", "ibchannel.conf"), "a") as f:
        f.write("# (changed by the upgrade test_deb.py installs)\n")
    for f in os.listdir(os.path.join(tree, "debian")):
        if f == "debhelper-build-stamp" or f.endswith(".debhelper.log"):
            os.unlink(os.path.join(tree, "debian", f))
    p = run(["dpkg-buildpackage", "-b", "-nc", "-us", "-uc"], timeout=900, cwd=tree,
            env=dict(ENV, DEB_BUILD_OPTIONS="nocheck noddebs parallel=2"))
    name2 = "ibchannel_%s_%s.deb" % (v2, arch)
    deb2 = os.path.join(tmp, name2)
    if not check(p.returncode == 0 and os.path.exists(os.path.join(tree, "..", name2)),
                 "the second build: %s" % name2, (p.stdout + p.stderr)[-1500:]):
        raise SystemExit
    shutil.move(os.path.join(tree, "..", name2), deb2)

    phase("built both packages")
    # --- 2. dpkg -i ---------------------------------------------------------------
    undo["user"] = subprocess.run(["getent", "passwd", "ibchannel"],
                                  capture_output=True).returncode != 0
    undo["group"] = subprocess.run(["getent", "group", "ibchannel"],
                                   capture_output=True).returncode != 0
    undo["run_lighttpd"] = not os.path.isdir("/run/lighttpd")
    p = dpkg("-i", deb1)
    if not check(p.returncode == 0 and installed_version() == "ii " + v1,
                 "dpkg -i installs %s" % name1, (p.stdout + p.stderr)[-1500:]):
        raise SystemExit
    pw = pwd.getpwnam("ibchannel")
    check(pw.pw_uid < 1000 and pw.pw_dir == "/var/lib/ibchannel" and
          grp.getgrgid(pw.pw_gid).gr_name == "ibchannel",
          "the system user ibchannel, group ibchannel, home /var/lib/ibchannel", repr(pw))
    check("www-data" in grp.getgrnam("ibchannel").gr_mem, "www-data is in the group ibchannel")
    for path, want in (("/var/lib/ibchannel", "ibchannel:ibchannel 2770"),
                       ("/var/log/ibchannel", "ibchannel:ibchannel 0750"),
                       (CONF, "root:ibchannel 0640")):
        check(os.path.exists(path) and owner_mode(path) == want, "%s is %s" % (path, want),
              owner_mode(path) if os.path.exists(path) else "missing")
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "ibchannel"]).stdout
    pieces = ["/usr/bin/ibchannel", "/usr/lib/ibchannel/inbound.fcgi",
              "/usr/lib/ibchannel/reports.fcgi", "/usr/lib/ibchannel/admin.fcgi",
              "/usr/share/man/man1/ibchannel.1.gz", "/usr/share/man/man7/ibchannel.7.gz",
              "/usr/share/man/man8/inbound.fcgi.8.gz", "/usr/share/doc/ibchannel/queries.sql",
              "/etc/lighttpd/conf-available/50-ibchannel.conf",
              "/etc/apache2/conf-available/ibchannel.conf",
              "/lib/systemd/system/ibchannel-sender.service",
              "/lib/systemd/system/ibchannel-sender.timer",
              "/lib/systemd/system/ibchannel-fcgi@.service",
              "/etc/cron.d/ibchannel", "/etc/logrotate.d/ibchannel", CONF]
    missing = [x for x in pieces if not os.path.isfile(x)]
    check(not missing, "every piece is installed", repr(missing))
    # The second machine's pieces (deploy/INSTALL.md, "More than one machine").
    ex = "/usr/share/doc/ibchannel/examples/"
    missing = [x for x in ("haproxy.cfg.in", "postgresql-README.md")
               if not os.path.isfile(ex + x) and not os.path.isfile(ex + x + ".gz")]
    check(not missing, "HAProxy's template and the PostgreSQL notes are among the examples",
          repr(missing))
    notconf = [x for x in pieces if x.startswith("/etc/") and " %s " % x not in conffiles]
    check(not notconf, "everything under /etc is a conffile", repr(notconf) + conffiles[:300])
    check(os.path.islink("/etc/systemd/system/timers.target.wants/ibchannel-sender.timer"),
          "debhelper enabled the sender's timer")
    # The units run the installed programs, with the configuration file.
    for unit, prog in (("ibchannel-sender.service", "/usr/bin/ibchannel"),
                       ("ibchannel-fcgi@.service", "/usr/lib/ibchannel/%i.fcgi")):
        with open("/lib/systemd/system/" + unit) as f:
            text = f.read().replace("\\\n", " ")
        check(re.search(r"^ExecStart=(.*\s)?%s(\s|$)" % re.escape(prog), text, re.M) and
              "EnvironmentFile=-" + CONF in text and
              os.path.exists(prog.replace("%i", "inbound")),
              "%s runs %s and reads the configuration file" % (unit, prog))
    # Apache takes the snippet with the modules INSTALL.md enables.
    mods = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic", "authz_user",
            "proxy", "proxy_fcgi"]
    aconf = os.path.join(tmp, "apache2.conf")
    with open(aconf, "w") as f:
        f.write("".join("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n" % (m, m)
                        for m in mods) +
                'ServerRoot "%s"\nListen 127.0.0.1:%d\nServerName 127.0.0.1\n'
                'ErrorLog "%s/apache-error.log"\nInclude'
                ' /etc/apache2/conf-available/ibchannel.conf\n' % (tmp, free_port(), tmp))
    p = run(["apache2", "-t", "-f", aconf], env=dict(ENV, APACHE_RUN_DIR=tmp))
    check(p.returncode == 0, "apache2 -t accepts the packaged snippet", p.stdout + p.stderr)
    p = run(["ibchannel", "--version"])
    check(p.stdout == "ibchannel %s\n" % v1, "ibchannel --version prints the package's version",
          p.stdout + p.stderr)
    p = run(["man", "-w", "ibchannel"])
    check(p.returncode == 0 and p.stdout.startswith("/usr/share/man/"), "man finds ibchannel(1)",
          p.stdout + p.stderr)
    with open(CONF) as f:
        conf_text = f.read()
    check(re.search(r"^IBCHANNEL_DB=/var/lib/ibchannel/ibchannel\.db$", conf_text, re.M) and
          "postgresql://" in conf_text, "the configuration names the store and how to give a"
          " PostgreSQL URI")

    phase("installed")
    # --- ibchannel init as the package's user, from the configuration alone --------
    p = run(["runuser", "-u", "ibchannel", "--", "ibchannel", "init"])
    check(p.returncode == 0 and DB in p.stdout and KEY in p.stdout,
          "init as ibchannel makes the store and key the configuration names",
          p.stdout + p.stderr)
    for path, want in ((DB, "ibchannel:ibchannel 0660"), (KEY, "ibchannel:ibchannel 0640")):
        check(os.path.exists(path) and owner_mode(path) == want, "%s is %s (INSTALL.md)"
              % (path, want), owner_mode(path) if os.path.exists(path) else "missing")
    p = run(["runuser", "-u", "nobody", "--", "ibchannel", "schema"])
    check(p.returncode == 1 and CONF in p.stderr and "Permission denied" in p.stderr,
          "a user outside the group cannot read the configuration, and is told so", p.stderr)

    # --- the simulator, a connection and an agent ---------------------------------
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    sim_port = free_port()
    sim_url = "http://127.0.0.1:%d" % sim_port
    procs.append(subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "sim", "ibsim.py"), "--port", str(sim_port),
         "--keys", SIM_KEY, "--dlr-delay", "0.2", "--quiet"], stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(tmp, "ibsim.log"), "w"), start_new_session=True))
    if not check(wait_port(sim_port), "the simulator started"):
        raise SystemExit
    keyfile = os.path.join(tmp, "infobip.key")
    with open(keyfile, "w") as f:
        f.write(SIM_KEY + "\n")
    os.chmod(keyfile, 0o600)
    steps = [run(["ibchannel", "settings", "set", "public_url", base])]
    steps.append(run(["ibchannel", "connection", "add", "--name", "Packaged line",
                      "--api-key-file", keyfile, "--api-url", sim_url, "--sender", "447491163443"]))
    conn = steps[-1].stdout.strip()
    steps.append(run(["ibchannel", "connection", "start", conn]))
    steps.append(run(["ibchannel", "agent", "add", "--name", "Desk", "--kind", "rules",
                      "--instructions-file", "/usr/share/doc/ibchannel/examples/rules-demo.txt"]))
    agent = steps[-1].stdout.strip()
    steps.append(run(["ibchannel", "agent", "attach", agent, conn, "--inbound"]))
    steps.append(run(["ibchannel", "agent", "start", agent]))
    check(all(s.returncode == 0 for s in steps), "a connection to the simulator and a started"
          " agent, by root's ibchannel with the configuration file alone",
          repr([(s.args[1:3], s.stderr[-200:]) for s in steps if s.returncode != 0]))

    # --- lighttpd with the packaged snippet, as lighty-enable-mod enables it ----------
    enabled_before = set(os.listdir("/etc/lighttpd/conf-enabled"))
    p = run(["lighty-enable-mod", "ibchannel"])
    enabled = set(os.listdir("/etc/lighttpd/conf-enabled"))
    mod_files.update((re.sub(r"^\d+-|\.conf$", "", n), n) for n in enabled - enabled_before)
    undo["lighty"] = sorted(mod_files)
    check({"50-ibchannel.conf", "10-fastcgi.conf", "05-auth.conf"} <= enabled,
          "lighty-enable-mod ibchannel enables it with the modules it depends on",
          p.stdout + p.stderr + repr(sorted(enabled)))
    if undo["run_lighttpd"]:
        os.makedirs("/run/lighttpd")
        shutil.chown("/run/lighttpd", "www-data", "www-data")
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    lvar = os.path.join(tmp, "lighttpd")       # its log and pid, written as www-data
    os.makedirs(lvar)
    shutil.chown(lvar, "www-data", "www-data")
    lconf = os.path.join(tmp, "lighttpd.conf")
    with open(lconf, "w") as f:
        f.write('server.modules = ( "mod_access" )\nserver.document-root = "%s"\n'
                'server.bind = "127.0.0.1"\nserver.port = %d\n'
                'server.username = "www-data"\nserver.groupname = "www-data"\n'
                'server.errorlog = "%s/error.log"\nserver.pid-file = "%s/lighttpd.pid"\n'
                % (www, port, lvar, lvar) +
                "".join('include "/etc/lighttpd/conf-enabled/%s"\n' % n for n in
                        ("05-auth.conf", "10-fastcgi.conf", "50-ibchannel.conf")))
    check(run(["lighttpd", "-tt", "-f", lconf]).returncode == 0,
          "lighttpd accepts the snippet (lighttpd -tt)")

    def start_lighttpd():
        lp = subprocess.Popen(["lighttpd", "-D", "-f", lconf], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "lighttpd.out"), "a"),
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                              start_new_session=True)
        procs.append(lp)
        ok = wait_port(port) and lp.poll() is None
        check(ok, "lighttpd started with the packaged snippet, serving as www-data",
              open(os.path.join(tmp, "lighttpd.out")).read()[-500:])
        return lp if ok else None

    with open("/etc/cron.d/ibchannel") as f:
        jobs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    check(len(jobs) == 1 and jobs[0].split()[5] == "ibchannel" and
          "/run/systemd/system" in jobs[0], "the cron file: one line, as ibchannel, that leaves"
          " the sender to systemd's timer where systemd runs", repr(jobs))
    cron_user, cron_cmd = jobs[0].split(None, 6)[5:7]
    # One short window per run; this machine runs no systemd, so the line runs the sender.
    cron_cmd = re.sub(r"--for \d+", "--for 2", cron_cmd)
    cron = ["runuser", "-u", cron_user, "--", "env", "-i", "PATH=/usr/bin:/bin",
            "SHELL=/bin/sh", "HOME=/var/lib/ibchannel", "LOGNAME=ibchannel", "sh", "-c", cron_cmd]

    def mo_round_trip(phone, what):
        """An MO in through lighttpd, the reply out by the cron line's sender,
        its delivery report back in."""
        sim("/_sim/mo", {"url": "%s/channel/%s/webhook/sms" % (base, conn), "from": phone,
                         "text": "What are your opening hours?"})
        stored = wait_for(lambda: sql("SELECT m.id FROM messages m JOIN contacts c ON c.id ="
                                      " m.contact_id WHERE m.direction = 'in' AND c.phone ="
                                      " '+%s'" % phone), 15)
        errlog = os.path.join(lvar, "error.log")
        check(stored, what + ": the MO reached the store through inbound.fcgi",
              open(errlog).read()[-800:] if os.path.exists(errlog) else "")
        runs = []

        def replied():
            runs.append(subprocess.run(cron, capture_output=True, text=True, timeout=60))
            return [m for m in sim("/_sim/messages")["messages"] if m["to"] == phone]

        reply = wait_for(replied, 60, 0.1)
        check(reply and all(r.returncode == 0 for r in runs), what + ": the sender, run as the"
              " cron line runs it, sent the agent's reply to the simulator",
              repr([(r.returncode, r.stderr[-300:]) for r in runs][:3]))
        uid = reply[0]["messageId"] if reply else ""
        check(wait_for(lambda: (sql("SELECT status FROM messages WHERE uid = '%s'" % uid) or
                                [{}])[0].get("status") == "delivered", 15),
              what + ": its delivery report came back through reports.fcgi",
              repr(sql("SELECT status, error FROM messages WHERE uid = '%s'" % uid)))

    lighttpd = start_lighttpd()
    if lighttpd:
        mo_round_trip("4915112340101", "installed")
        stop(lighttpd)
    log = "/var/log/ibchannel/sender.log"
    check(os.path.exists(log) and owner_mode(log) == "ibchannel:ibchannel 0660",
          "the cron line's log is ibchannel's, 0660",
          owner_mode(log) if os.path.exists(log) else "missing")

    phase("served an MO through the snippet")
    # --- 3. the upgrade ------------------------------------------------------------
    with open(CONF) as f:
        mine = f.read().replace("IBCHANNEL_LOG=info", "IBCHANNEL_LOG=warn")
    with open(CONF, "w") as f:
        f.write(mine)
    key_sum = digest(KEY)
    p = dpkg("-i", "--force-confdef", "--force-confold", deb2)
    check(p.returncode == 0 and installed_version() == "ii " + v2,
          "dpkg -i upgrades to %s" % v2, (p.stdout + p.stderr)[-1500:])
    check("ibchannel.conf" in p.stdout + p.stderr and os.path.exists(CONF + ".dpkg-dist"),
          "dpkg asked about the changed configuration file (kept, the package's beside it)",
          (p.stdout + p.stderr)[-800:])
    check(open(CONF).read() == mine and owner_mode(CONF) == "root:ibchannel 0640",
          "the administrator's configuration is kept, root:ibchannel 0640", owner_mode(CONF))
    check(digest(KEY) == key_sum, "the key file is kept as it was")
    p = run(["ibchannel", "schema"])
    check(p.stdout == "store %d\nprograms %d\n" % (schema2, schema2),
          "postinst migrated the store to the new programs' schema", p.stdout + p.stderr)
    check(sql("SELECT count(*) AS n FROM messages")[0:1] and
          sql("SELECT count(*) AS n FROM messages")[0]["n"] >= 2,
          "the store's messages are kept", repr(sql("SELECT count(*) AS n FROM messages")))
    check(run(["ibchannel", "--version"]).stdout == "ibchannel %s\n" % v2,
          "ibchannel --version prints the new version")
    lighttpd = start_lighttpd()
    if lighttpd:
        mo_round_trip("4915112340102", "upgraded")
        stop(lighttpd)

    phase("upgraded")
    # --- the downgrade is refused --------------------------------------------------
    p = dpkg("-i", deb1)
    out = p.stdout + p.stderr
    check(p.returncode != 0 and "schema version %d" % schema2 in out and
          "up to %d" % schema1 in out and installed_version() == "ii " + v2,
          "dpkg -i of the older package is refused with the reason, %s stays installed" % v2,
          out[-1200:] + installed_version())

    phase("refused the downgrade")
    # --- 4. remove and purge ----------------------------------------------------------
    files = run(["dpkg", "-L", "ibchannel"]).stdout.split()
    store_sum = digest(DB)
    p = dpkg("--remove", "ibchannel")
    check(p.returncode == 0 and installed_version() == "rc " + v2, "dpkg --remove",
          (p.stdout + p.stderr)[-800:])
    check(not os.path.lexists("/etc/lighttpd/conf-enabled/50-ibchannel.conf") and
          os.path.exists("/etc/lighttpd/conf-available/50-ibchannel.conf"),
          "remove disables lighttpd's snippet (its programs are gone) and keeps the file")
    check(not os.path.exists("/usr/bin/ibchannel") and os.path.exists(CONF) and
          open(CONF).read() == mine and digest(DB) == store_sum and digest(KEY) == key_sum,
          "remove takes the programs and keeps the configuration, the store and the key")
    p = dpkg("--purge", "ibchannel")
    check(p.returncode == 0 and installed_version() == "", "dpkg --purge asks nothing without"
          " a terminal", (p.stdout + p.stderr)[-800:])
    check(not os.path.exists("/etc/ibchannel") and not os.path.exists("/var/log/ibchannel"),
          "purge removes the configuration and the logs")
    check(os.path.exists(DB) and digest(DB) == store_sum and digest(KEY) == key_sum,
          "purge keeps the store and the key (the debconf question's default)")
    left = [f for f in files if os.path.lexists(f) and not os.path.isdir(f)]
    left += [d for d in ("/usr/lib/ibchannel", "/usr/share/ibchannel", "/usr/share/doc/ibchannel",
                         "/etc/systemd/system/timers.target.wants/ibchannel-sender.timer")
             if os.path.lexists(d)]
    check(not left, "nothing of the package is left", repr(left[:10]))
    # The store goes when the administrator says so.
    p = dpkg("-i", deb2)
    subprocess.run(["debconf-set-selections"], input="ibchannel ibchannel/purge-store boolean"
                   " true\n", text=True, capture_output=True)
    p2 = dpkg("--purge", "ibchannel")
    check(p.returncode == 0 and p2.returncode == 0 and not os.path.exists("/var/lib/ibchannel"),
          "purge answered yes removes the store and the key",
          (p.stdout + p.stderr + p2.stdout + p2.stderr)[-800:])
except SystemExit:
    pass
finally:
    phase("purged; cleaning up")
    cleanup()
check(not installed_version() and not any(os.path.exists(p) for p in CLAIMED) and
      not os.path.exists("/etc/lighttpd/conf-enabled/50-ibchannel.conf"),
      "the machine is as before: no package, no store, no snippet enabled")
suite.done()
