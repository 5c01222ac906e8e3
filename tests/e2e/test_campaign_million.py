"""A million-line CSV imports in bounded memory: the peak RSS of `ibchannel
campaign import` stays far below the file's size, and every line is counted."""

import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env  # noqa: E402

LINES = 1000000
BOUND = 64 * 1024 * 1024      # bytes of peak RSS allowed

env = Env("campaign_million", sim=False)
cid = env.add_connection(start=False, url="http://127.0.0.1:9")
aid = env.cli("agent", "add", "--name", "Outbound", "--kind", "rules").stdout.strip()
env.cli("agent", "attach", aid, cid)
camp = env.cli("campaign", "create", "--name", "MILLION", "--connection", cid, "--agent", aid,
               "--text", "Hi {{name}}").stdout.strip()

# Every 1000th line is bad (a number with a dash), so rejections stream too.
path = os.path.join(env.dir, "million.csv")
with open(path, "w") as f:
    f.write("phone,name,segment\n")
    f.writelines("%s,Customer %d,s%d\n" % ("49160-%07d" % i if i % 1000 == 999 else
                                            "4916%08d" % i, i, i % 13)
                 for i in range(LINES))
size = os.path.getsize(path)

# Run from a child Python whose only child is the import, so its maximum RSS is the import's.
probe = ("import resource, subprocess, sys\n"
         "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
         "sys.stderr.write(p.stderr.decode(errors='replace'))\n"
         "sys.stdout.write(p.stdout.decode(errors='replace')[:4000].rstrip() + '\\n')\n"
         "print('RSS %d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
         "sys.exit(p.returncode)\n")
t0 = time.time()
p = subprocess.run([sys.executable, "-c", probe, os.path.join(BUILD, "ibchannel"), "campaign",
                    "import", camp, path], env=env.env, capture_output=True, text=True,
                   timeout=600)
took = time.time() - t0
out = p.stdout.splitlines()
rss = int(out[-1].split()[1]) * 1024 if out and out[-1].startswith("RSS ") else -1
env.check(p.returncode == 0 and out[0] == "imported %d, rejected %d" % (LINES - 1000, 1000),
          "a million lines: the good imported, every 1000th rejected", (out[:1], p.stderr[-300:]))
env.check(out[1:2] == ["line 1001: invalid phone number: contains spaces, dashes or parentheses"],
          "rejected lines listed with their line numbers", repr(out[1:2]))
env.check(0 < rss < BOUND, "peak RSS %.1f MiB for a %.0f MiB file (bound %d MiB)"
          % (rss / 1048576.0, size / 1048576.0, BOUND // 1048576), str(rss))
env.check(env.sql1("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?",
                   (int(camp),)) == LINES - 1000, "the store holds them all")
# A line every 3 seconds, when the import takes that long.
env.check("importing:" in p.stderr or took < 3.5,
          "a progress line on a big file when stderr is no terminal", p.stderr[-300:])
st = env.cli("campaign", "status", camp).stdout.splitlines()
env.check(st[:2] == ["state: draft", "planned: %d" % (LINES - 1000)], "status counts them",
          repr(st[:2]))
print("import of %d lines (%.0f MiB): %.1f s, peak RSS %.1f MiB"
      % (LINES, size / 1048576.0, took, rss / 1048576.0), file=sys.stderr)
env.done()
