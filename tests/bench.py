"""make bench: webhook throughput under a real lighttpd, measured with wrk,
side by side in one run so the ratios hold on a shared, noisy machine.

Each row is one wrk run (2 threads, 32 connections) against lighttpd with
one FastCGI process per program (the last row: four, to show what writers
waiting for each other cost); the static file row is lighttpd alone, the
ceiling for any FastCGI program behind it. After the inbound runs, the store must hold
exactly the number of messages wrk saw answered 200: nothing lost.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from harness import Env  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "32"))

if not shutil.which("wrk"):
    sys.exit("make bench needs wrk: apt-get install -y wrk")

LUA_MO = r"""
local n = 0
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
function init(args)
  prefix = args[1] .. "-" .. tid .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  n = n + 1
  local body = '{"results":[{"messageId":"' .. prefix .. n .. '","from":"49151' ..
    string.format("%08d", n % 5000) .. '","to":"447491163443","text":"Hello, what are' ..
    ' your opening hours?","receivedAt":"2026-11-27T10:00:00.000+0000","smsCount":1,' ..
    '"price":{"pricePerMessage":0,"currency":"EUR"}}],"messageCount":1,"pendingMessageCount":0}'
  return wrk.format(nil, nil, nil, body)
end
"""

LUA_FIXED = r"""
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = args[1]
end
"""


def wrk(url, script=None, args=()):
    cmd = ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECONDS, "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if args:
        cmd += ["--"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rps": rps, "total": total, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1) if errors else "", "p99": p99.group(1) if p99 else "?"}


def main():
    tmp = tempfile.mkdtemp(prefix="ibc-bench-")
    mo_lua = os.path.join(tmp, "mo.lua")
    fixed_lua = os.path.join(tmp, "fixed.lua")
    with open(mo_lua, "w") as f:
        f.write(LUA_MO)
    with open(fixed_lua, "w") as f:
        f.write(LUA_FIXED)
    rows = []
    envs = {}
    for sync, procs in (("normal", 1), ("full", 1), ("full", 4)):
        env = Env("bench-%s-%d" % (sync, procs), procs=procs, sync=sync)
        envs[(sync, procs)] = env
        cid = env.add_connection()
        with open(os.path.join(env.dir, "www", "static.txt"), "w") as f:
            f.write('{"ok": true}\n')
        if sync == "normal":
            rows.append(("lighttpd static file (ceiling)", wrk(env.base + "/static.txt")))
            rows.append(("GET /docs (FastCGI, store read)",
                         wrk(env.base + "/channel/%s/docs" % cid)))
            dup = ('{"results":[{"messageId":"same-id","from":"4915112345678","text":"hi"}],'
                   '"messageCount":1,"pendingMessageCount":0}')
            env.post("/channel/%s/webhook/sms" % cid, dup)
            rows.append(("POST inbound, duplicate (dedupe path)",
                         wrk(env.base + "/channel/%s/webhook/sms" % cid, fixed_lua, [dup])))
            env.sql("INSERT INTO messages (uid, connection_id, direction, text, status)"
                    " VALUES ('bench-dlr', ?, 'out', 'x', 'accepted')", (cid,))
            dlr = ('{"results":[{"messageId":"bench-dlr","to":"4915112345678","status":'
                   '{"groupId":1,"groupName":"PENDING","id":26,"name":"PENDING_ACCEPTED"}}]}')
            rows.append(("POST delivery report (sync=normal)",
                         wrk(env.base + "/channel/%s/webhook/reports" % cid, fixed_lua, [dlr])))
        before = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
        res = wrk(env.base + "/channel/%s/webhook/sms" % cid, mo_lua, ["%s%d" % (sync, procs)])
        stored = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in'") - before
        res["stored"] = stored
        rows.append(("POST inbound, new (sync=%s, %d proc%s)" % (sync, procs, "s" * (procs > 1)),
                     res))
    # The sender: queued messages to the simulator in batches of 100.
    env = envs[("full", 1)]
    cid = env.sql1("SELECT id FROM connections LIMIT 1")
    n = 5000
    env.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO messages (uid, connection_id, direction, author, sender, recipient,"
            " text, status) SELECT printf('bench%027d', i), ?, 'out', 'campaign', 'InfoSMS',"
            " '+49151' || printf('%08d', i), 'Hello number ' || i, 'queued' FROM n", (n, cid))
    env.sql("INSERT INTO outbox (message_id) SELECT id FROM messages WHERE uid LIKE 'bench%'")
    env.sim("/_sim/config", {"dlr_delay": 3600})
    t = time.time()
    env.cli("sender", "--once", check=False)
    took = time.time() - t
    sent = env.sql1("SELECT COUNT(*) FROM messages WHERE uid LIKE 'bench%' AND status = 'accepted'")
    rows.append(("sender -> simulator, %d queued (sync=full)" % n,
                 {"rps": sent / took, "total": sent, "non2xx": 0, "p99": "-",
                  "errors": "%d accepted in %.2f s; the Python simulator bounds it" % (sent, took)}))
    ok_sent = sent == n
    for env in envs.values():
        env.stop()
    shutil.rmtree(tmp, ignore_errors=True)

    ceiling = rows[0][1]["rps"]
    print("%-42s %10s %8s %9s %8s %s" % ("run (%ds, %d connections, 2 cores)" % (SECONDS, CONNS),
                                         "req/s", "x static", "p99", "non-2xx", "notes"))
    ok = True
    for name, r in rows:
        note = r["errors"]
        if "stored" in r:
            # wrk does not count requests still open at its deadline, though
            # the server may have stored them: up to one per connection more.
            answered = r["total"] - r["non2xx"]
            good = answered <= r["stored"] <= r["total"] + CONNS
            note = "stored %d, wrk saw %d answered 200%s" % (
                r["stored"], answered, "" if good else " (LOST OR EXTRA)")
            ok = ok and good
        print("%-42s %10.0f %8.2f %9s %8d %s" % (name, r["rps"], r["rps"] / ceiling, r["p99"],
                                                r["non2xx"], note))
    sys.exit(0 if ok and ok_sent else 1)


main()
