"""The manual pages render without warnings (man -l, and mandoc's lint when
it is installed) and hold the reference, checked against the code's tables:
ibchannel.1 describes every verb of the command table (cli/ibchannel.c) with
each option its usage names (ibchannel help NOUN VERB), ibchannel.7 every
setting ibchannel settings list shows,
admin.fcgi.8 every route of the admin (cgi/admin/admin.c) and every metric,
inbound.fcgi.8 and reports.fcgi.8 their routes; every page's IBCHANNEL_LOG
names every log level (common/base/log.c) and every variable a program reads
is in an ENVIRONMENT section. make install puts the pages, the programs and
the deploy examples under DESTDIR; make uninstall takes every file away
again."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ENGINE, ROOT, Tally, new_pg_database  # noqa: E402

suite = Tally("man")
check = suite.check


PAGES = {"ibchannel.1": "man1", "ibchannel.7": "man7", "inbound.fcgi.8": "man8",
         "reports.fcgi.8": "man8", "admin.fcgi.8": "man8"}
# The pages of programs, each with an ENVIRONMENT section; ibchannel.7 is the
# reference of behaviour and settings.
PROGRAMS = [p for p in PAGES if not p.endswith(".7")]
env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
for page in PAGES:
    path = os.path.join(ROOT, "man", page)
    p = subprocess.run(["man", "--warnings", "-l", path], env=env, capture_output=True,
                       text=True, timeout=60)
    name = page.rsplit(".", 1)[0]
    check(p.returncode == 0 and not p.stderr.strip() and name in p.stdout
          and "DESCRIPTION" in p.stdout
          and ("ENVIRONMENT" in p.stdout or page not in PROGRAMS),
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
table = re.findall(r'\b[ACF]\("([a-z-]+)",\s*(?:NULL|"([a-z-]+)")', read("cli", "ibchannel.c"))
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
for page in PROGRAMS:
    m = re.search(r"^\.It Ev IBCHANNEL_LOG\n(.*?)(?=^\.It|^\.El)", read("man", page), re.M | re.S)
    named = re.findall(r"^\.Cm ([a-z]+)", m.group(1), re.M) if m else []
    check(m and set(levels) <= set(named), "%s names every log level in IBCHANNEL_LOG" % page,
          "has %r of %r" % (named, levels))
check("/health" in read("man", "inbound.fcgi.8"), "inbound.fcgi.8 describes GET /health")


def items(page):
    """The .It items of a page: (head line, the item's text up to the next .It or .Sh)."""
    text = read("man", page)
    return re.findall(r"^\.It ([^\n]*)\n(.*?)(?=^\.It |^\.Sh |^\.Ss |\Z)", text, re.M | re.S)


# Every option a verb takes is described in that verb's item of ibchannel.1.
# The options come from the program itself (ibchannel help NOUN VERB prints
# the usage the command table and the form tables give), not from its source.
IBC = os.path.join(BUILD, "ibchannel")
verb_items = [(re.findall(r"\b[a-z][a-z-]*", head[3:].split("Fl", 1)[0]), head + body)
              for head, body in items("ibchannel.1") if head.startswith("Cm ")]
undescribed, longopts = [], set()
for noun, verb in table:
    p = subprocess.run([IBC, "help", noun] + ([verb] if verb else []), capture_output=True,
                       text=True, timeout=30)
    opts = sorted(set(re.findall(r"--([a-z][a-z-]*)", p.stdout)))
    longopts.update(opts)
    texts = [t for words, t in verb_items if words[:1] == [noun] and (not verb or verb in words)]
    for o in opts:
        flag = "Fl -" + o
        if not any(flag in t for t in texts) and not (verb == "edit" and any(
                flag in t for words, t in verb_items if words[:2] == [noun, "add"])):
            undescribed.append("%s %s --%s" % (noun, verb or "", o))
check(len(longopts) >= 20 and not undescribed, "ibchannel.1 describes every option of every verb",
      "%d options; undescribed %r" % (len(longopts), undescribed))
page1 = read("man", "ibchannel.1")
check(all("Fl -" + o in page1 for o in longopts if o != "help"),
      "ibchannel.1 names every long option",
      repr([o for o in longopts if "Fl -" + o not in page1]))

# Every setting the program lists has its item in ibchannel.7's SETTINGS.
# On PostgreSQL the list comes from a fresh database there (the key file
# stays in the temporary directory).
store_dir = tempfile.mkdtemp(prefix="ibc-man-")
senv = dict(os.environ, IBCHANNEL_DB=os.path.join(store_dir, "ibchannel.db"),
            IBCHANNEL_KEY_FILE=os.path.join(store_dir, "ibchannel.key"))
if ENGINE == "postgresql":
    senv["IBCHANNEL_DB"] = new_pg_database()
p = subprocess.run([IBC, "init"], env=senv, capture_output=True, text=True, timeout=60)
check(p.returncode == 0, "ibchannel init makes a %s store" % ENGINE, p.stderr)
p = subprocess.run([IBC, "settings", "list"], env=senv, capture_output=True, text=True,
                   timeout=60)
shutil.rmtree(store_dir, ignore_errors=True)
names = re.findall(r"^([a-z_]+) = ", p.stdout, re.M)
page7 = read("man", "ibchannel.7")
section = page7.split(".Sh SETTINGS", 1)[-1].split("\n.Sh ", 1)[0]
described = set(re.findall(r"^\.It Cm ([a-z_]+)$", section, re.M))
check(len(names) >= 20 and set(names) == described,
      "ibchannel.7 SETTINGS describes every setting, and only those",
      "missing %r, extra %r" % (sorted(set(names) - described), sorted(described - set(names))))
for name in names:
    m = re.search(r"^\.It Cm %s\n(.*?)(?=^\.It|^\.El)" % name, section, re.M | re.S)
    check(m and "default" in m.group(1), "ibchannel.7 gives %s's default" % name)


def paths(head):
    """The method(s) and paths of a route item: 'GET , POST Pa /a/ Ns Ar n Ns Pa /b , /c'."""
    words, out, glue = head.split(), "", False
    for w in words:
        if w in ("Pa", "Ar", "Bq", "Li"):
            continue
        if w == "Ns":
            glue = True
            continue
        out += ("" if glue or not out else " ") + w
        glue = False
    methods = re.findall(r"\b(GET|POST)\b", out)
    found, base = [], None
    for tok in re.findall(r"/[^\s,\[]*", out):
        if base is None or tok.startswith("/admin") or tok.startswith("/channel"):
            base = tok
        else:
            tok = base.rsplit("/", 1)[0] + tok
        found.append(tok)
    return methods, found


# Every route of the admin's table has an item in admin.fcgi.8 with its method.
routes = re.findall(r'\{ "(GET|POST)", "(/admin[^"]*)"', read("cgi", "admin", "admin.c"))
check(len(routes) >= 50, "the admin's routes are read from cgi/admin/admin.c", repr(routes[:3]))
documented = set()
for head, _ in items("admin.fcgi.8"):
    methods, ps = paths(head)
    documented |= {(m, p) for m in methods for p in ps}
want = {(m, p.replace("{conn}", "id").replace("{n}", "n")) for m, p in routes}
check(want <= documented, "admin.fcgi.8 describes every admin route with its method",
      repr(sorted(want - documented)))
page8 = read("man", "admin.fcgi.8")
metrics = set(re.findall(r'"(ibchannel_[a-z_]+)', read("cgi", "admin", "admin_metrics.c")))
check(len(metrics) >= 10 and all(m in page8 for m in metrics),
      "admin.fcgi.8 names every metric", repr(sorted(m for m in metrics if m not in page8)))

# The webhook programs' routes, in their pages.
for prog in ("inbound", "reports"):
    rest = re.findall(r'\{ "([a-z/]+)", [a-z_]+ \}', read("cgi", prog + ".c"))
    page = read("man", prog + ".fcgi.8")
    check(rest and all("/" + r + "\n" in page or "/" + r + " " in page for r in rest),
          "%s.fcgi.8 describes every route of cgi/%s.c" % (prog, prog), repr(rest))

# Every variable the programs read is in an ENVIRONMENT section.
variables = set()
for d, _, fs in os.walk(ROOT):
    if any(part in d for part in ("/tests", "/build", "/.git")):
        continue
    for f in fs:
        if f.endswith(".c"):
            with open(os.path.join(d, f), errors="replace") as fh:
                variables |= set(re.findall(r'getenv\("([A-Z_]+)"\)', fh.read()))
environment = "".join(read("man", p).split(".Sh ENVIRONMENT", 1)[-1].split("\n.Sh ", 1)[0]
                      for p in PROGRAMS)
check("IBCHANNEL_DB" in variables and all(".It Ev " + v in environment
                                          for v in variables if v != "TZ"),
      "every variable a program reads is described",
      repr(sorted(v for v in variables if ".It Ev " + v not in environment)))
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
