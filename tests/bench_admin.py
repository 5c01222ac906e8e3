"""Admin page timings at size: fills a store with 1,000,000 messages in
100,000 sessions (and 200,000 log entries), then times every admin page
under lighttpd, list pages on their first and on a deep page, and checks
each against the 50 ms budget. Run by make bench, or alone:

    python3 tests/bench_admin.py [--messages N] [--sessions N] [--repeat N]

Prints one line per page (median and worst of the repeats) and ends with
"N passed, N failed" (a page over budget fails)."""

import argparse
import base64
import http.client
import os
import random
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from harness import Env  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--messages", type=int, default=1000000)
ap.add_argument("--sessions", type=int, default=100000)
ap.add_argument("--logs", type=int, default=200000)
ap.add_argument("--repeat", type=int, default=7)
ap.add_argument("--budget-ms", type=float, default=50.0)
opts = ap.parse_args()

env = Env("bench_admin", sim=False, admin_users={"bench": "bench-pw"})
env.cli("user", "set", "bench", "admin")
conns = [env.add_connection(name="Line %d" % i, sender="4474911634%02d" % i,
                            url="https://x%d.api.infobip.com" % i, start=False)
         for i in range(3)]
aid = env.cli("agent", "add", "--name", "Desk", "--kind", "rules").stdout.strip()
env.cli("agent", "attach", aid, conns[0], "--inbound")

t0 = time.time()
db = sqlite3.connect(env.db, isolation_level=None)
db.execute("PRAGMA synchronous = OFF")
db.execute("BEGIN")
rnd = random.Random(7)
now = time.time()
days = 60


def at(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + ".%03d" % int(t * 1000 % 1000)


db.executemany("INSERT INTO contacts (id, phone) VALUES (?, ?)",
               ((i, "+4917%09d" % i) for i in range(1, opts.sessions + 1)))
per = max(1, opts.messages // opts.sessions)
sessions = []
for s in range(1, opts.sessions + 1):
    start = now - rnd.random() * days * 86400
    sessions.append((s, conns[s % 3], s, int(aid), start))
# Sessions start in time order of their ids' shuffle; last activity a little later.
db.executemany("INSERT INTO sessions (id, connection_id, contact_id, agent_id, started_at,"
               " last_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               ((s, c, k, a, at(t), at(t + per * 30),
                 None if t > now - 86400 else at(t + per * 30 + 3600))
                for s, c, k, a, t in sessions))


def messages():
    n = 0
    for s, c, k, a, t in sessions:
        for j in range(per):
            n += 1
            inbound = j % 2 == 0
            yield ("%016x%016x" % (int((t + j * 30) * 1e6), n), c, s, k,
                   "in" if inbound else "out", "customer" if inbound else "agent",
                   "Message %d of session %d: what are your opening hours?" % (j, s),
                   "received" if inbound else rnd.choice(("delivered", "delivered",
                                                          "accepted", "failed")),
                   None if inbound else 0.0123, None if inbound else "EUR",
                   None if inbound else 1, at(t + j * 30),
                   "ib-%d" % n if inbound else None)


db.executemany("INSERT INTO messages (uid, connection_id, session_id, contact_id, direction,"
               " author, text, status, price, currency, sms_count, created_at, infobip_id)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", messages())
levels = ("info", "info", "info", "warn", "error")
events = ("send", "report", "inbound", "click", "start", "agent")
db.executemany("INSERT INTO logs (connection_id, at, level, event, text) VALUES (?, ?, ?, ?, ?)",
               ((conns[i % 3], at(now - (opts.logs - i)), rnd.choice(levels),
                 rnd.choice(events), "entry %d" % i) for i in range(opts.logs)))
db.execute("INSERT INTO outbox (message_id) SELECT id FROM messages WHERE status = 'accepted'"
           " ORDER BY id DESC LIMIT 5000")
# The dashboard's rollup, as the sender's minutely refresh leaves it.
db.execute("DELETE FROM message_daily")
db.execute("INSERT INTO message_daily (connection_id, day, received, sent, delivered,"
           " not_delivered, spend, currency) SELECT connection_id, substr(created_at, 1, 10),"
           " SUM(direction = 'in'), SUM(direction = 'out'),"
           " SUM(direction = 'out' AND status = 'delivered'),"
           " SUM(direction = 'out' AND status IN ('undeliverable', 'expired', 'rejected', 'failed')),"
           " SUM(CASE WHEN direction = 'out' THEN COALESCE(price * COALESCE(sms_count, 1), 0) ELSE 0 END),"
           " COALESCE(MAX(currency), '') FROM messages GROUP BY 1, 2")
db.execute("COMMIT")
db.execute("ANALYZE")
counts = [db.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
          for t in ("messages", "sessions", "logs")]
db.close()
print("filled %d messages, %d sessions, %d log entries in %.0f s" % (
    counts[0], counts[1], counts[2], time.time() - t0), flush=True)

# Pages to time: the first page of every list and a deep one.
mid = sessions[len(sessions) // 2]
cursor_at = env.sql1("SELECT last_at FROM sessions WHERE id = ?", (mid[0],))
mid_log = env.sql1("SELECT id FROM logs WHERE connection_id = ? ORDER BY id LIMIT 1 OFFSET 1000",
                   (conns[0],))
busiest = env.sql1("SELECT session_id FROM messages GROUP BY session_id"
                   " ORDER BY COUNT(*) DESC LIMIT 1")
pages = [
    ("channels", "/admin/"),
    ("channels search", "/admin/?q=line+1"),
    ("connection panel", "/admin/connections/%s" % conns[0]),
    ("logs", "/admin/connections/%s/logs" % conns[0]),
    ("logs level error", "/admin/connections/%s/logs?level=error" % conns[0]),
    ("logs event start", "/admin/connections/%s/logs?event=start" % conns[0]),
    ("logs deep page", "/admin/connections/%s/logs?before=%d" % (conns[0], mid_log)),
    ("agents", "/admin/agents"),
    ("agent panel", "/admin/agents/%s" % aid),
    ("sessions", "/admin/sessions"),
    ("sessions by connection", "/admin/sessions?conn=%s" % conns[1]),
    ("sessions active", "/admin/sessions?state=open"),
    ("sessions closed", "/admin/sessions?state=closed"),
    ("sessions by contact", "/admin/sessions?contact=%%2B4917%09d" % mid[2]),
    ("sessions by dates", "/admin/sessions?from=%s&to=%s" % (
        time.strftime("%Y-%m-%d", time.gmtime(now - 20 * 86400)),
        time.strftime("%Y-%m-%d", time.gmtime(now - 10 * 86400)))),
    ("sessions deep page", "/admin/sessions?cur_at=%s&cur_id=%d" % (
        cursor_at.replace(" ", "+").replace(":", "%3A"), mid[0])),
    ("conversation", "/admin/sessions/%d" % busiest),
    ("export", "/admin/sessions/%d/export" % busiest),
    ("dashboard", "/admin/dashboard"),
    ("users", "/admin/users"),
]
hdr = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-pw").decode()}
passed = failed = 0
conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=60)
print("%-26s %9s %9s  %s" % ("page", "median ms", "worst ms", "bytes"))
for name, path in pages:
    times = []
    size = status = 0
    for _ in range(opts.repeat):
        t = time.perf_counter()
        conn.request("GET", path, headers=hdr)
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        size, status = len(body), r.status
    med = statistics.median(times)
    ok = status == 200 and med <= opts.budget_ms
    passed += ok
    failed += not ok
    print("%-26s %9.1f %9.1f  %d%s" % (name, med, max(times), size,
                                        "" if ok else "  FAIL (status %d)" % status),
          flush=True)
conn.close()
env.stop()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
