"""The manual pages render without warnings (man -l, and mandoc's lint when
it is installed), ibchannel.1 describes every verb of the command table
(cli/ibchannel.c), every page's IBCHANNEL_LOG names every log level
(common/base/log.c), inbound.fcgi.8 names /health, and make install puts them,
the programs and the deploy examples under DESTDIR; make uninstall takes
every file away again."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Tally  # noqa: E402

suite = Tally("man")
check = suite.check


PAGES = {"ibchannel.1": "man1", "inbound.fcgi.8": "man8", "reports.fcgi.8": "man8",
         "admin.fcgi.8": "man8"}
env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
for page in PAGES:
    path = os.path.join(ROOT, "man", page)
    p = subprocess.run(["man", "--warnings", "-l", path], env=env, capture_output=True,
                       text=True, timeout=60)
    name = page.rsplit(".", 1)[0]
    check(p.returncode == 0 and not p.stderr.strip() and name in p.stdout
          and "DESCRIPTION" in p.stdout and "ENVIRONMENT" in p.stdout,
          "man -l %s renders without warnings" % page, p.stderr[:500])
    if shutil.which("mandoc"):
        p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", path], env=env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
              "mandoc -T lint %s" % page, (p.stdout + p.stderr)[:500])



def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


# Every verb and sub-verb of the command table has an item in ibchannel.1's
# DESCRIPTION: an ".It Cm verb ..." line naming the sub-verb.
table = re.findall(r'\b[AC]\("([a-z-]+)",\s*(?:NULL|"([a-z-]+)")', read("cli", "ibchannel.c"))
check(len(table) >= 40, "the command table is read from cli/ibchannel.c", repr(table[:5]))
items = {}
for verb, rest in re.findall(r"^\.It Cm ([a-z-]+)(.*)$", read("man", "ibchannel.1"), re.M):
    items.setdefault(verb, set()).update(re.findall(r"[a-z][a-z-]*", rest))
missing = sorted({(v + " " + s).strip() for v, s in table
                  if v not in items or (s and s not in items[v])})
check(not missing, "ibchannel.1 describes every verb of the command table", repr(missing))
# Every log level, in every page's IBCHANNEL_LOG entry.
levels = re.findall(r'\[LOGL_[A-Z]+\]\s*=\s*"([a-z]+)"', read("common", "base", "log.c"))
check(len(levels) >= 4, "the log levels are read from common/base/log.c", repr(levels))
for page in PAGES:
    m = re.search(r"^\.It Ev IBCHANNEL_LOG\n(.*?)(?=^\.It|^\.El)", read("man", page), re.M | re.S)
    named = re.findall(r"^\.Cm ([a-z]+)", m.group(1), re.M) if m else []
    check(m and set(levels) <= set(named), "%s names every log level in IBCHANNEL_LOG" % page,
          "has %r of %r" % (named, levels))
check("/health" in read("man", "inbound.fcgi.8"), "inbound.fcgi.8 describes GET /health")
# ibchannel(1) says how to ask for help and the version, and what each exit status means.
page = open(os.path.join(ROOT, "man", "ibchannel.1")).read()
check(".Cm help" in page and ".Fl -version" in page and ".Fl h" in page,
      "ibchannel.1 documents help, -h and --version")
status = page.split(".Sh EXIT STATUS", 1)[-1].split(".Sh ", 1)[0]
check(all(".It %d" % n in status for n in (0, 1, 2)) and "opted out" in status,
      "ibchannel.1 documents each exit status, a message that will not be sent included",
      status[:300])

dest = tempfile.mkdtemp(prefix="ibc-install-")
try:
    make = ["make", "--no-print-directory", "-C", ROOT, "DESTDIR=" + dest, "PREFIX=/usr/local"]
    p = subprocess.run(make + ["install"], capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "make install DESTDIR", p.stderr[-500:])
    pre = os.path.join(dest, "usr", "local")
    want = ["bin/ibchannel", "lib/ibchannel/inbound.fcgi", "lib/ibchannel/reports.fcgi",
            "lib/ibchannel/admin.fcgi", "share/ibchannel/sql/schema.sql",
            "share/doc/ibchannel/examples/apache-ibchannel.conf",
            "share/doc/ibchannel/examples/lighttpd.conf.in",
            "share/doc/ibchannel/examples/ibchannel-sender.timer",
            "share/doc/ibchannel/examples/ibchannel-sender.service",
            "share/doc/ibchannel/examples/ibchannel.cron", "share/doc/ibchannel/queries.sql"]
    want += ["share/man/%s/%s" % (d, page) for page, d in PAGES.items()]
    missing = [w for w in want if not os.path.isfile(os.path.join(pre, w))]
    check(not missing, "installed where expected", repr(missing))
    check(os.access(os.path.join(pre, "bin/ibchannel"), os.X_OK), "the command is executable")
    p = subprocess.run(["man", "--warnings", "-l", os.path.join(pre, "share/man/man8/admin.fcgi.8")],
                       env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and "REMOTE_USER" in p.stdout and not p.stderr.strip(),
          "an installed page renders", p.stderr[:300])
    p = subprocess.run(make + ["uninstall"], capture_output=True, text=True, timeout=600)
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    check(p.returncode == 0 and not left, "make uninstall removes every installed file",
          p.stderr[-300:] + repr(left[:5]))
finally:
    shutil.rmtree(dest, ignore_errors=True)

suite.done()
