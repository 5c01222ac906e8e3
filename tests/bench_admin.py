"""Admin page timings at size: fills a store with 1,000,000 messages in
100,000 sessions (and 200,000 log entries) and 10 campaigns of 600,000
recipients, then times every admin page under lighttpd: list pages on
their first and on a deep page, each campaign page view, filter and page,
the campaigns list and its pages, and /admin/metrics. A page whose worst
time is over 50 ms, or whose median is over 10 ms, fails. Then it checks
that the counts the triggers keep (sql/019-counts.sql) are those a full
count finds. Run by make bench (SQLite only), or alone:

    python3 tests/bench_admin.py [--messages N] [--sessions N]
        [--campaigns N] [--recipients N] [--repeat N]
        [--keep PATH [--fill-only] | --reuse PATH]

--keep PATH fills the store at PATH (a new file; the key file goes beside
it as PATH.key) and leaves it there; --fill-only stops after the fill.
--reuse PATH times the pages on a store a --keep run left (any migration
newer than the store runs first), so a second run does not fill again.

Prints the fill time, one line per page (median and worst of the repeats)
and ends with "N passed, N failed"."""

import argparse
import base64
import http.client
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from harness import BUILD, Env  # noqa: E402
import kept_counts  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--messages", type=int, default=1000000)
ap.add_argument("--sessions", type=int, default=100000)
ap.add_argument("--logs", type=int, default=200000)
ap.add_argument("--campaigns", type=int, default=10)
ap.add_argument("--recipients", type=int, default=600000, help="per campaign")
ap.add_argument("--repeat", type=int, default=7)
ap.add_argument("--budget-ms", type=float, default=50.0, help="the worst time allowed")
ap.add_argument("--median-ms", type=float, default=10.0, help="the median allowed")
ap.add_argument("--time-migration", action="store_true",
                help="at the end, set the store back to version 18 and time migration 019")
ap.add_argument("--keep", metavar="PATH", help="fill the store at PATH and keep it")
ap.add_argument("--fill-only", action="store_true", help="with --keep: stop after the fill")
ap.add_argument("--reuse", metavar="PATH", help="time the pages on a store --keep left")
opts = ap.parse_args()
if opts.keep and opts.reuse:
    ap.error("--keep and --reuse exclude each other")
if opts.keep and os.path.exists(opts.keep):
    ap.error("--keep: %s exists (give a new path, or --reuse it)" % opts.keep)
if opts.reuse and not os.path.exists(opts.reuse + ".key"):
    ap.error("--reuse: %s.key is missing (not a store --keep left)" % opts.reuse)
if opts.keep:
    opts.keep = os.path.abspath(opts.keep)
if opts.reuse:
    opts.reuse = os.path.abspath(opts.reuse)


def fill_rules(s):
    """Who is responsible for session s, whether its last message is the
    customer's, and whether it stays open although old: a quarter held by
    an operator with many of them waiting (filters matching many), about
    ten held by another one (filters matching few)."""
    few = s % 9973 == 0
    return ("bob" if few else "alice" if s % 4 == 0 else "ai"), few or s % 4 == 0, few


if opts.reuse:
    import shutil

    class ReuseEnv(Env):
        """An Env whose key file is the kept store's, in place before its
        first command (Env's "init")."""

        def cli(self, *args, **kw):
            if not os.path.exists(self.key):
                shutil.copyfile(opts.reuse + ".key", self.key)
                os.chmod(self.key, 0o600)
            return Env.cli(self, *args, **kw)

    env = ReuseEnv("bench_admin", sim=False, admin_users={"bench": "bench-pw"},
                   db=opts.reuse)
else:
    env = Env("bench_admin", sim=False, admin_users={"bench": "bench-pw"}, db=opts.keep)
env.cli("user", "set", "bench", "admin")
for u in ("alice", "bob"):
    env.cli("user", "set", u, "operator")
if opts.reuse:
    conns = [r[0] for r in env.sql("SELECT id FROM connections ORDER BY name")]
    aid = str(env.sql1("SELECT MIN(id) FROM agents"))
else:
    conns = [env.add_connection(name="Line %d" % i, sender="4474911634%02d" % i,
                                url="https://x%d.api.infobip.com" % i, start=False)
             for i in range(3)]
    aid = env.cli("agent", "add", "--name", "Desk", "--kind", "rules").stdout.strip()
    env.cli("agent", "attach", aid, conns[0], "--inbound")

if not opts.reuse:
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
                   " last_at, closed_at, responsible) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   ((s, c, k, a, at(t), at(t + per * 30),
                     None if t > now - 86400 or fill_rules(s)[2] else at(t + per * 30 + 3600),
                     fill_rules(s)[0])
                    for s, c, k, a, t in sessions))


    def messages():
        n = 0
        for s, c, k, a, t in sessions:
            for j in range(per):
                n += 1
                inbound = j % 2 == 0 or (j == per - 1 and fill_rules(s)[1])
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
    # The full-text index as the sender leaves it, the newest few messages not yet in it.
    db.execute("INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages"
               " WHERE id <= (SELECT MAX(id) - 300 FROM messages)")
    db.execute("UPDATE messages_fts_mark SET upto = (SELECT MAX(id) - 300 FROM messages)")
    # and the words it holds, as the sender keeps them (sql/025-session-filters.sql)
    db.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, messages_fts, row)")
    db.execute("INSERT OR IGNORE INTO messages_fts_terms (term) SELECT term FROM temp.words")
    db.execute("DROP TABLE temp.words")
    db.execute("COMMIT")
    t1 = time.time()
    # Campaigns that ran for about 17 hours each at 600 a minute: completed
    # ones (recipients delivered, failed, sent, replied, a few skipped; their
    # messages gone with retention), one running (the last third planned), one
    # canceled, one draft. Made in SQL, one transaction, so the fill is quick.
    states = ["completed"] * opts.campaigns
    if opts.campaigns >= 4:
        states[-1], states[-2], states[-3] = "running", "canceled", "draft"
    db.execute("BEGIN")
    for k, state in enumerate(states, 1):
        start = now - (opts.campaigns - k + 2) * 86400
        db.execute("INSERT INTO campaigns (id, name, connection_id, agent_id, text, state,"
                   " created_at, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (k, "OFFER_%d" % k, conns[0], int(aid), "Hello {{name}}, 20% off this week",
                    state, at(start - 3600), None if state == "draft" else at(start),
                    at(start + 62000) if state in ("completed", "canceled") else None))
        # Status by the row's number: per 1000, 800 delivered, 70 failed, 50
        # sent, 70 replied, 9 skipped, 1 failed by opt-out; planned for a draft,
        # the running campaign's last third, canceled for the canceled one's.
        db.execute(
            "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?2)"
            " INSERT INTO campaign_recipients (campaign_id, line, phone, fields, timezone,"
            " status, reason, updated_at)"
            " SELECT ?1, i + 2, '+4915' || printf('%09d', i), '{\"name\":\"R' || i || '\"}', '',"
            " CASE WHEN ?3 = 'draft' OR (?3 = 'running' AND i * 3 >= ?2 * 2) THEN 'planned'"
            " WHEN ?3 = 'canceled' AND i * 2 >= ?2 THEN 'canceled'"
            " WHEN i % 1000 < 800 THEN 'delivered' WHEN i % 1000 < 870 THEN 'failed'"
            " WHEN i % 1000 < 920 THEN 'sent' WHEN i % 1000 < 990 THEN 'replied'"
            " ELSE 'skipped' END, '',"
            " strftime('%Y-%m-%d %H:%M:%f', ?4 + i / 10.0, 'unixepoch') FROM c",
            (k, opts.recipients, state, start))
    db.execute("COMMIT")
    t2 = time.time()
    db.execute("ANALYZE")
    counts = [db.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
              for t in ("messages", "sessions", "logs", "campaign_recipients")]
    db.close()
    print("filled %d messages, %d sessions, %d log entries in %.0f s; %d campaign"
          " recipients in %.0f s; analyzed in %.0f s" % (
              counts[0], counts[1], counts[2], t1 - t0, counts[3], t2 - t1, time.time() - t2),
          flush=True)
    if opts.keep:
        import shutil
        shutil.copyfile(env.key, opts.keep + ".key")
        print("kept the store at %s (key %s.key)" % (opts.keep, opts.keep), flush=True)
    if opts.fill_only:
        env.stop()
        sys.exit(0)
else:
    now = time.time()
    per = max(1, opts.messages // opts.sessions)
    sessions = [(s, None, s, None, None) for s in range(1, opts.sessions + 1)]
    states = [r[0] for r in env.sql("SELECT state FROM campaigns ORDER BY id")]


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
    ("metrics", "/admin/metrics"),
    ("campaigns", "/admin/campaigns"),
    ("campaigns page 2", "/admin/campaigns?before=%d" % max(1, opts.campaigns - 1)),
]
# The Outbox with messages held and unsure (made so on a kept store too: the
# same rows each run), its first page, a deep one and the page before it.
env.sql("UPDATE outbox SET held_since = '2026-01-01 00:00:00.000', last_error = 'bench'"
        " WHERE message_id % 5 = 0 AND held_since IS NULL")
env.sql("UPDATE messages SET status = 'sending' WHERE id % 5 = 1 AND status = 'accepted'"
        " AND id IN (SELECT message_id FROM outbox)")
unsettled = env.sql("SELECT message_id FROM outbox WHERE held_since IS NOT NULL UNION"
                    " SELECT id FROM messages WHERE status = 'sending' ORDER BY 1")
deep_box = unsettled[len(unsettled) // 2][0] if unsettled else 0
pages += [
    ("outbox", "/admin/outbox"),
    ("outbox deep page", "/admin/outbox?after=%d" % deep_box),
    ("outbox page before", "/admin/outbox?before=%d" % deep_box),
]
# The search: a word in every message (the first page and the next), a
# rare one (one session's number), one in none, a common word with a
# filter that keeps many or few; the newest 300 messages are not indexed.
# Then each other filter matching many sessions and few.
rare = sessions[len(sessions) // 3][0]
pages += [
    ("search common word", "/admin/sessions?q=hours"),
    ("search two words", "/admin/sessions?q=opening+hours"),
    ("search common prefix", "/admin/sessions?q=ho"),
    ("search rare word", "/admin/sessions?q=%d" % rare),
    ("search word in none", "/admin/sessions?q=zebra"),
    ("search common + who many", "/admin/sessions?q=hours&who=alice"),
    ("search common + who few", "/admin/sessions?q=hours&who=bob"),
    ("search common + waiting", "/admin/sessions?q=hours&waiting=1"),
    ("search common + closed", "/admin/sessions?q=hours&state=closed"),
    ("who many", "/admin/sessions?who=alice"),
    ("who few", "/admin/sessions?who=bob"),
    ("who ai", "/admin/sessions?who=ai"),
    ("waiting", "/admin/sessions?waiting=1"),
    ("waiting + who few", "/admin/sessions?waiting=1&who=bob"),
    ("waiting + connection", "/admin/sessions?waiting=1&conn=%s" % conns[1]),
    ("phone prefix many", "/admin/sessions?phone=%2B4917"),
    ("phone prefix 1,000", "/admin/sessions?phone=%2B4917000012"),
    ("phone prefix 10,000", "/admin/sessions?phone=%2B491700001"),
    ("phone prefix few", "/admin/sessions?phone=%2B491700001234"),
    ("phone prefix none", "/admin/sessions?phone=%2B4930"),
    ("phone many + who few", "/admin/sessions?phone=%2B4917&who=bob"),
]
hdr = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-pw").decode()}
first = env.get("/admin/sessions?q=hours", headers=hdr).text
m = re.search(r'href="(/admin/sessions\?[^"]*before=\d+)"', first)
if m:
    pages.append(("search common page 2", m.group(1).replace("&amp;", "&")))
else:
    print("the common word's search has no Older link", flush=True)
# Each campaign's page, the completed ones with every filter and a deep page.
mid_rcpt = opts.recipients // 2
for k, state in enumerate(states, 1):
    first = env.sql1("SELECT MIN(id) FROM campaign_recipients WHERE campaign_id = ?", (k,))
    pages.append(("campaign %d (%s)" % (k, state), "/admin/campaigns/%d" % k))
    pages.append(("campaign %d status" % k, "/admin/campaigns/%d/status" % k))
    if k > 1 and state != "completed":
        continue
    for st in ("delivered", "failed", "sent", "replied", "skipped", "planned"):
        pages.append(("campaign %d %s" % (k, st), "/admin/campaigns/%d?status=%s" % (k, st)))
    pages.append(("campaign %d phone prefix" % k,
                  "/admin/campaigns/%d?phone=%%2B4915000%d" % (k, k)))
    pages.append(("campaign %d deep page" % k,
                  "/admin/campaigns/%d?after=%d" % (k, first + mid_rcpt)))
    pages.append(("campaign %d failed deep" % k,
                  "/admin/campaigns/%d?status=failed&after=%d" % (k, first + mid_rcpt)))
passed = failed = 0
conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=60)
print("%-30s %9s %9s  %s" % ("page", "median ms", "worst ms", "bytes"))
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
    ok = status == 200 and med <= opts.median_ms and max(times) <= opts.budget_ms
    passed += ok
    failed += not ok
    print("%-30s %9.1f %9.1f  %d%s" % (name, med, max(times), size,
                                        "" if ok else "  FAIL (status %d)" % status),
          flush=True)
conn.close()

# The counts the triggers kept while the store was filled, against a full count.
if env.sql1("SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_counts'"):
    t = time.time()
    checks = [
        ("message counts",
         "SELECT direction, status, n FROM message_counts WHERE n <> 0 ORDER BY 1, 2",
         "SELECT direction, status, COUNT(*) FROM messages GROUP BY 1, 2 ORDER BY 1, 2"),
        ("campaign counts",
         "SELECT campaign_id, status, n FROM campaign_counts WHERE n <> 0 ORDER BY 1, 2",
         "SELECT campaign_id, status, COUNT(*) FROM campaign_recipients GROUP BY 1, 2"
         " ORDER BY 1, 2"),
        ("campaign minutes",
         "SELECT campaign_id, minute, status, n FROM campaign_minutes WHERE n <> 0"
         " ORDER BY 1, 2, 3",
         "SELECT campaign_id, substr(updated_at, 1, 16), status, COUNT(*)"
         " FROM campaign_recipients WHERE status IN ('sent', 'delivered', 'failed',"
         " 'replied') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    ]
    for name, kept, full in checks:
        ok = env.sql(kept) == env.sql(full)
        passed += ok
        failed += not ok
        print("%-30s %s" % (name, "match a full count" if ok else "FAIL: differ from a full count"))
    print("counted in %.0f s" % (time.time() - t))
    if opts.time_migration:
        for p in env.procs:     # the programs stop; the store stays
            p.terminate()
            p.wait(timeout=10)
        env.procs = []
        env.passed = env.failed = 0
        took = []

        def migrate():
            t = time.time()
            subprocess.run([os.path.join(BUILD, "ibchannel"), "settings", "list"],
                           env=env.env, capture_output=True, check=True)
            took.append(time.time() - t)
        kept_counts.check_migration(env, migrate)
        print("migration 019 on this store (set back to version 18): %.0f s" % took[0])
        passed += env.passed
        failed += env.failed
env.stop()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
