"""The Sessions pages over HTTP (issue 20, items 4-7): the search of message
text and its filters (phone prefix, waiting for an operator, the one
responsible) combined with the list's own, hostile search text taken as
data, the live read of an open conversation, a take over that asks first
when another operator holds the session, a reply while the AI is
responsible that takes the session over so the customer gets one answer,
and the zone named beside every visible time. On both engines."""

import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "otto": "otto-pw", "olga": "olga-pw"}
env = Env("admin_sessions_search", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator", "olga": "operator"})
FORM = "application/x-www-form-urlencoded"
hdr = env.auth
serial = [0]


def get(user, path):
    return env.get(path, headers=hdr(user))


def csrf(user):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', get(user, "/admin/sessions/%d" % first).text)
    return m.group(1) if m else ""


def post(user, path, fields):
    fields = dict(fields, csrf=csrf(user))
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        c.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                  headers=dict(hdr(user), **{"Content-Type": FORM}))
        r = c.getresponse()
        return Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()


def follow(user, r):
    loc = r.headers.get("Location", "")
    if r.status != 303 or not loc.startswith("/admin"):
        return Response(-r.status, r.headers, r.body)
    return get(user, loc)


def mo(conn, frm, text):
    serial[0] += 1
    r = env.post("/channel/%s/webhook/sms" % conn, {
        "results": [{"messageId": "srch-%d" % serial[0], "from": frm, "to": "447491163443",
                     "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
        "messageCount": 1, "pendingMessageCount": 0})
    env.check(r.status == 200, "MO %r stored" % text[:30], r.text)


def sid_of(phone):
    return env.sql1("SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
                    " WHERE c.phone = ? ORDER BY s.id DESC LIMIT 1", ("+" + phone,))


def listed(query, user="ann"):
    """The session ids the list shows for query (a dict of its fields), and the response."""
    r = get(user, "/admin/sessions?" + urllib.parse.urlencode(query))
    return sorted(int(x) for x in re.findall(r'<tr data-session="(\d+)"', r.text)), r


# --- the store: sessions with words to find ------------------------------------
cid = env.add_connection(name="Main line", sender="447491163443")
env.add_rules_agent(cid)     # its answers stay queued: no sender runs until item 6
other = env.add_connection(name="Other line", sender="447491163444")
mo(cid, "41791110001", "My parcel never arrived, tracking says delivered")
mo(cid, "41791110002", "Where is my PARCEL? Delivery was promised for Monday")
mo(cid, "41792220003", "Hello, I want to change my address")
mo(other, "41791110004", "parcel arrived broken")
mo(cid, "4915112340005", "Grüße aus München, Lieferung fehlt")
mo(cid, "4915112340006", "<b>bold</b> \"quoted\" NEAR(parcel) OR *")
A, B, C, D, E, H = (sid_of(p) for p in ("41791110001", "41791110002", "41792220003",
                                        "41791110004", "4915112340005", "4915112340006"))
first = A
env.check(all(x is not None for x in (A, B, C, D, E, H)), "six sessions exist")

# --- 4. search by words ------------------------------------------------------------
CASES = [
    ({"q": "parcel"}, [A, B, D, H], "a word, any case"),
    ({"q": "PARCEL"}, [A, B, D, H], "case does not matter"),
    ({"q": "parc"}, [A, B, D, H], "the last word is a prefix"),
    ({"q": "parcel deliv"}, [A, B], "all words in one message, the last a prefix"),
    ({"q": "delivered parc"}, [A], "only the last word is a prefix"),
    ({"q": "deliv parcel"}, [], "an earlier word is whole"),
    ({"q": "arcel"}, [], "no match inside a word"),
    ({"q": "parcel", "conn": other}, [D], "combined with the connection filter"),
    ({"q": "parcel", "phone": "+417911"}, [A, B, D], "combined with a phone prefix"),
    ({"q": "parcel", "phone": "417911"}, [A, B, D], "a phone prefix without +"),
    ({"phone": "+4179222"}, [C], "a phone prefix alone"),
    ({"q": "münchen"}, [E], "a word past ASCII"),
    ({"q": "Grüße"}, [E], "a word past ASCII, as typed"),
    ({"q": "near"}, [H], "FTS syntax in the message is a word"),
    ({"q": "promised monday", "state": "closed"}, [], "combined with state"),
]
for query, want, what in CASES:
    got, r = listed(query)
    env.check(r.status == 200 and got == sorted(want), "search: %s (%s)" % (what, query),
              "%s, want %s" % (got, sorted(want)))

# A search page reads only: every table as it was (on both engines).
was = env.snapshot()
for q in ("parcel", "parc deliv", "zzz", "m\u00fcnchen"):
    listed({"q": q})
env.check(env.snapshot() == was, "searching changes nothing in the store")

# Hostile search text is data: never a 500 nor an FTS syntax error, shown escaped.
HOSTILE = ['"', '"parcel', 'parcel"', "*", "parcel*", "NEAR(parcel, 2)", "parcel OR address",
           "parcel AND NOT x", "'; DROP TABLE messages; --", "<script>alert(1)</script>",
           "\x01\x02\x7f", "\xff\xfe parcel", "-parcel", "^parcel", "parcel:*", "a & b | !c",
           "\\", "''", "(", ")", "{col}:x", "\u2014", "x" * 600]
for q in HOSTILE:
    raw = q.encode("latin-1") if q.startswith("\xff") else q.encode()
    r = get("ann", "/admin/sessions?q=" + urllib.parse.quote_from_bytes(raw))
    # The admin's form reader refuses control characters and bytes that are not UTF-8 (400).
    bad_bytes = any(ord(c) < 32 or ord(c) == 127 for c in q) or q.startswith("\xff")
    env.check(r.status == (400 if bad_bytes else 200), "hostile search %r: %s" % (
        q[:20], 400 if bad_bytes else 200), r.status)
    env.check("<script>alert(1)" not in r.text, "hostile search %r: escaped" % q[:20])
got, _ = listed({"q": '"parcel" OR address'})
env.check(got == [], "operators are words: 'parcel OR address' needs all three", got)
got, _ = listed({"q": 'NEAR(parcel'})
env.check(got == [H], "NEAR( is the word near", got)
env.check(env.sql1("SELECT COUNT(*) FROM messages") >= 6, "no hostile text dropped a table")
r = get("ann", "/admin/sessions?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
env.check("&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, "the search text is shown escaped in the form")

# Bad filters are refused with a warning, not used.
got, r = listed({"phone": "+41-79"})
env.check(r.status == 200 and "phone prefix is not digits" in r.text and len(got) == 6,
          "a phone prefix with a dash: said, not used", got)
got, r = listed({"who": "a:b"})
env.check(r.status == 200 and "neither" in r.text and len(got) == 6, "a bad responsible: said, not used")

# --- waiting for an operator and the one responsible ---------------------------------
env.sql("UPDATE sessions SET responsible = 'otto' WHERE id IN (?, ?)", (A, C))
got, _ = listed({"who": "otto"})
env.check(got == sorted([A, C]), "responsible: otto holds A and C", got)
got, _ = listed({"who": "ai", "phone": "+4179"})
env.check(got == sorted([B, D]), "responsible: the AI, with a phone prefix", got)
got, _ = listed({"waiting": "1"})
env.check(got == sorted([A, C, D]), "waiting: an operator holds it (A, C) or no agent"
          " answers (D), and the customer wrote last", got)
got, _ = listed({"waiting": "1", "q": "address"})
env.check(got == [C], "waiting combined with search", got)
r = post("otto", "/admin/sessions/%d/reply" % C, {"text": "We changed it."})
env.check(r.status == 303, "otto answers C", r.status)
got, _ = listed({"waiting": "1"})
env.check(got == sorted([A, D]), "waiting: C answered, no longer waiting", got)

# Paging keeps the search's filters.
for i in range(55):
    env.sql("INSERT INTO contacts (phone) VALUES (?)", ("+4930%08d" % i,))
    env.sql("INSERT INTO sessions (connection_id, contact_id, last_at, started_at, responsible)"
            " VALUES (?, (SELECT id FROM contacts WHERE phone = ?), ?, ?, 'otto')",
            (cid, "+4930%08d" % i, "2026-01-01 00:00:%02d.000" % (i % 7), "2026-01-01 00:00:00.000"))
got, r = listed({"who": "otto"})
nxt = re.search(r'href="(/admin/sessions\?[^"]*cur_id=\d+[^"]*)"', r.text)
env.check(len(got) == 50 and nxt is not None and "who=otto" in nxt.group(1),
          "a full page links its next page with the filter", len(got))
if nxt:
    page2 = get("ann", nxt.group(1).replace("&amp;", "&"))
    got2 = [int(x) for x in re.findall(r'<tr data-session="(\d+)"', page2.text)]
    env.check(len(got2) == 57 - 50 and not set(got2) & set(got), "the next page: the rest", len(got2))
got, _ = listed({"who": "otto", "phone": "+4179"})
env.check(got == sorted([A, C]), "responsible combined with a phone prefix", got)

# --- 5. the live read -------------------------------------------------------------------
page = get("ann", "/admin/sessions/%d" % B)
env.check('data-live="/admin/sessions/%d/live"' % B in page.text and
          '<script src="/admin/static/session.js"' in page.text, "an open session's page follows it")
env.check("<script>" not in page.text.replace('<script src="/admin/static/admin.js" defer></script>', "")
          .replace('<script src="/admin/static/session.js" defer></script>', ""), "no inline script")
js = get("ann", "/admin/static/session.js")
env.check(js.status == 200 and "data-live" in js.text, "session.js is served")
last = max(int(x) for x in re.findall(r'data-id="(\d+)"', page.text))
r = get("ann", "/admin/sessions/%d/live?after=%d" % (B, last))
j = r.json() or {}
env.check(r.status == 200 and j.get("html") == "" and j.get("last") == last and j.get("open") is True
          and j.get("responsible") == "ai", "live: nothing new", r.text)
mo(cid, "41791110002", "Any news? <i>hello</i>")
r = get("ann", "/admin/sessions/%d/live?after=%d" % (B, last))
j = r.json() or {}
env.check(r.status == 200 and j.get("last", 0) > last and "Any news? &lt;i&gt;hello&lt;/i&gt;" in j.get("html", "")
          and j["html"].count("<li ") == 1, "live: the new message, escaped", r.text)
r = get("ann", "/admin/sessions/%d/live?after=abc" % B)
env.check(r.status == 200 and (r.json() or {}).get("html", "").count("<li ") == 2,
          "live: a bad after reads from the start", r.text[:200])
r = get("ann", "/admin/sessions/999999/live?after=0")
env.check(r.status == 404, "live: no such session 404", r.status)

# --- 6. take over asks first --------------------------------------------------------------
env.sql("UPDATE sessions SET responsible = 'olga' WHERE id = ?", (D,))
page = get("otto", "/admin/sessions/%d" % D)
env.check("Held by olga \u2014 take over?" in page.text, "the page says who holds it")
r = follow("otto", post("otto", "/admin/sessions/%d/takeover" % D, {}))
env.check(r.status == 409 and 'id="takeover-ask"' in r.text and "<strong>olga</strong> holds" in r.text
          and "confirm=yes" in r.text, "take over without confirm: the question, naming olga", r.status)
env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (D,)) == "olga",
          "unconfirmed: olga still holds it")
r = post("otto", "/admin/sessions/%d/takeover?confirm=yes" % D, {})
env.check(r.status == 303 and env.sql1("SELECT responsible FROM sessions WHERE id = ?", (D,)) == "otto",
          "confirmed: otto holds it", r.status)
r = post("otto", "/admin/sessions/%d/takeover" % D, {})
env.check(r.status == 303, "taking over one's own session asks nothing", r.status)
r = post("olga", "/admin/sessions/%d/takeover" % B, {})
env.check(r.status == 303 and env.sql1("SELECT responsible FROM sessions WHERE id = ?", (B,)) == "olga",
          "from the AI: no question", r.status)

# --- 6. a reply while the AI is responsible takes over first: one answer --------------------
fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "unit", "fake_agent.py"),
                         "--port", "0"], stdout=subprocess.PIPE, text=True)
env.procs.append(fake)
fake_url = fake.stdout.readline().split()[-1]
slow = env.add_connection(name="Slow line")
aid = env.cli("agent", "add", "--name", "slow", "--kind", "http", "--url",
              fake_url + "/slow").stdout.strip()
env.cli("agent", "attach", aid, slow, "--inbound")
env.cli("agent", "start", aid)
mo(slow, "41793330007", "Can I speak to a person?")
S = sid_of("41793330007")


def agent_calls():
    return len(json.loads(urllib.request.urlopen(fake_url + "/_requests").read())["requests"])


def to_customer():
    return [m for m in env.sim("/_sim/messages")["messages"] if m.get("to") in ("41793330007", "+41793330007")]


sender = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--once"], env=env.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.procs.append(sender)
env.check(env.wait_for(lambda: agent_calls() == 1, 10), "the agent is asked (it takes 3 s)")
page = get("otto", "/admin/sessions/%d" % S)
env.check('id="reply-takes"' in page.text, "the reply form says a reply takes the session over")
r = post("otto", "/admin/sessions/%d/reply" % S, {"text": "Hi, this is Otto."})
env.check(r.status == 303 and env.sql1("SELECT responsible FROM sessions WHERE id = ?", (S,)) == "otto",
          "the reply took the session over", r.status)
sender.wait(timeout=30)
env.cli("sender", "--once", check=False)
env.wait_for(lambda: len(to_customer()) >= 1, 10)
time.sleep(0)  # the condition above is the wait; nothing more is due
outs = env.sql("SELECT author, text FROM messages WHERE session_id = ? AND direction = 'out'", (S,))
env.check(outs == [("operator:otto", "Hi, this is Otto.")], "the store holds the operator's reply only", outs)
got = to_customer()
env.check(len(got) == 1 and got[0].get("text") == "Hi, this is Otto.",
          "the customer got one answer, the operator's", got)
env.check(agent_calls() == 1, "the agent was called once", agent_calls())
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE text LIKE '%dropped: an operator took%'") == 1,
          "the agent's answer was dropped and logged")

# --- SQLite: new messages reach the index through the sender or a search ---------------
if env.engine == "sqlite":
    def mark():
        return env.sql1("SELECT upto FROM messages_fts_mark")

    def newest():
        return env.sql1("SELECT MAX(id) FROM messages")

    def indexed():
        return env.sql1("SELECT COUNT(*) FROM messages_fts_docsize")

    mo(cid, "4916600000009", "Zebra crossing, Straße")
    env.check(mark() < newest(), "a new message is not indexed as it is stored", (mark(), newest()))
    # A search reads what is not indexed yet itself, and writes nothing:
    # not the index, not its mark, no commit another connection would see.
    watch = sqlite3.connect(env.db)
    version = watch.execute("PRAGMA data_version").fetchone()[0]
    was = (mark(), indexed(), env.snapshot())
    zebra = [sid_of("4916600000009")]
    for q in ("zebra", "ZEBRA", "zeb", "crossing zebra", "zebra cross", "STRASSE straße",
              "straße", "zebra-crossing"):
        got, _ = listed({"q": q})
        env.check(got == ([] if q == "STRASSE straße" else zebra),
                  "a search finds an unindexed message as the index would: %r" % q, got)
    for q in ("zebra giraffe", "ebra", "crossings"):
        got, _ = listed({"q": q})
        env.check(got == [], "and not where the index would not: %r" % q, got)
    env.check(watch.execute("PRAGMA data_version").fetchone()[0] == version,
              "a search commits nothing to the store")
    env.check((mark(), indexed(), env.snapshot()) == was,
              "a search leaves the index, its mark and every table as they were")
    watch.close()
    # More unindexed messages than a search reads itself: the page says so
    # and still finds the newest.
    tail = 2000
    env.sql("INSERT INTO messages (uid, connection_id, session_id, contact_id, direction,"
            " author, text, status) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
            " FROM n WHERE i < ?) SELECT 'backlog-' || i, connection_id, session_id,"
            " contact_id, 'in', 'customer', 'backlog ' || i, 'received' FROM messages,"
            " n WHERE text = 'Zebra crossing, Straße'", (tail + 25,))
    got, r = listed({"q": "zebra"})
    said = re.search(r"The search index is behind:</strong> (\d+) messages stored", r.text)
    env.check(got == [] and said and int(said.group(1)) == newest() - mark() - tail,
              "a backlog past what a search reads itself is named on the page, with its"
              " size, and its oldest part is not searched", (got, said and said.group(1)))
    got, r = listed({"q": "backlog"})
    env.check(got == zebra and "The search index is behind:" in r.text,
              "and the newest messages are still found", got)
    env.cli("sender", "--once", check=False)
    env.check(mark() == newest(), "the sender indexes the backlog", (mark(), newest()))
    got, r = listed({"q": "zebra"})
    env.check(got == zebra and "The search index is behind:" not in r.text,
              "then the index finds it and the page says nothing", got)
    env.sql("DELETE FROM messages WHERE uid LIKE 'backlog-%'")
    mo(cid, "4916600000010", "giraffe neck")
    env.check(mark() < newest(), "the next one waits again")
    env.cli("sender", "--once", check=False)
    env.check(mark() == newest(), "the sender indexes new messages", (mark(), newest()))
    got, _ = listed({"q": "giraffe"})
    env.check(got == [sid_of("4916600000010")], "and the search finds them", got)
    before = env.sql1("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'giraffe'")
    env.sql("DELETE FROM messages WHERE text = 'giraffe neck'")
    env.check(before == 1 and env.sql1("SELECT COUNT(*) FROM messages_fts WHERE messages_fts"
                                       " MATCH 'giraffe'") == 0, "a removed message leaves the index")
    ok = True
    try:
        env.sql("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    except Exception as e:  # noqa: BLE001 - the check's own error is the failure
        ok = str(e)
    env.check(ok is True, "the index passes FTS5's integrity check", ok)

# --- many sessions: each filter's two ways, and a search's pages ------------------------
# 700 numbers in one prefix among about 770: a prefix of them all is read in
# the list's order, one of 100 by its range of numbers; both must list the
# same sessions in the same order as a plain query of the store.
bulk = 700
env.sql("INSERT INTO contacts (phone) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL"
        " SELECT i + 1 FROM n WHERE i < %d) SELECT '+4931' || (10000000 + i) FROM n" % (bulk - 1))
env.sql("INSERT INTO sessions (connection_id, contact_id, last_at, started_at)"
        " SELECT ?, id, '2026-02-01 00:' || (10 + id % 40) || ':00.000',"
        " '2026-02-01 00:00:00.000' FROM contacts WHERE phone LIKE '+4931%'", (cid,))
env.sql("INSERT INTO messages (uid, connection_id, session_id, contact_id, direction, author,"
        " text, status) SELECT 'bulk-' || s.id, s.connection_id, s.id, s.contact_id, 'in',"
        " 'customer', 'bulk note ' || s.id, 'received' FROM sessions s JOIN contacts c"
        " ON c.id = s.contact_id WHERE c.phone LIKE '+4931%' ORDER BY s.id")


def all_pages(query, cursor):
    """Every page of the list for query, following its Older links: the
    session ids in the order shown, and how many pages."""
    ids, pages, path = [], 0, "/admin/sessions?" + urllib.parse.urlencode(query)
    while path and pages < 40:
        r = get("ann", path)
        ids += [int(x) for x in re.findall(r'<tr data-session="(\d+)"', r.text)]
        pages += 1
        m = re.search(r'href="(/admin/sessions\?[^"]*%s=[^"]*)"' % cursor, r.text)
        path = m and m.group(1).replace("&amp;", "&")
    return ids, pages


def in_order(prefix):
    return [i for (i,) in env.sql("SELECT s.id FROM sessions s JOIN contacts c ON"
                                  " c.id = s.contact_id WHERE c.phone LIKE ? ORDER BY"
                                  " s.last_at DESC, s.id DESC", (prefix + "%",))]


for prefix, what in (("+493110000", "a prefix of many numbers"),
                     ("+4931100001", "a prefix of few numbers"),
                     ("+49311000069", "a prefix of ten numbers")):
    got, pages = all_pages({"phone": prefix}, "cur_id")
    want = in_order(prefix)
    env.check(got == want and pages == len(want) // 50 + 1,
              "%s: every page in the list's order (%d sessions)" % (what, len(want)),
              (got[:3], want[:3], len(got), pages))
got, _ = all_pages({"phone": "+493110000", "who": "ai"}, "cur_id")
env.check(got == in_order("+493110000"), "a prefix with the one responsible", len(got))


def bulk_search(q):
    got, pages = all_pages({"q": q}, "before")
    # Newest match first: the sessions in the order of their message's id.
    want = [i for (i,) in env.sql("SELECT session_id FROM messages WHERE uid LIKE 'bulk-%'"
                                  " ORDER BY id DESC")]
    return got, want, pages


got, want, pages = bulk_search("bulk")
env.check(got == want and pages >= bulk // 50, "a search's pages show each session of a"
          " match once, newest match first (%s)" % env.engine, (got[:3], want[:3], len(got)))
got, _ = listed({"q": "bulk note %d" % want[10]})
env.check(got == [want[10]], "a search of the words of one message", got)
if env.engine == "sqlite":
    env.check(mark() < newest(), "(these were not indexed: the search read them itself)")
    env.cli("sender", "--once", check=False)
    env.check(mark() == newest(), "the sender indexes them", (mark(), newest()))
    for q in ("bulk", "BUL", "bulk not"):
        got, want, pages = bulk_search(q)
        env.check(got == want, "indexed: a search's pages show each session once, newest"
                  " first (%r: the words the sender added are prefixes too)" % q,
                  (got[:3], want[:3], len(got)))
    got, _ = listed({"q": "bulky"})
    env.check(got == [], "a longer word is not a prefix of a shorter one", got)

# --- 7. times name their zone -------------------------------------------------------------
page = get("ann", "/admin/sessions/%d" % A).text
times = re.findall(r'<time datetime="[^"]*" title="[^"]*">([^<]*)</time>', page)
env.check(times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", t) for t in times),
          "every time says UTC", times[:3])
env.cli("settings", "set", "admin_time_zone", "Asia/Kolkata")
page = get("ann", "/admin/sessions/%d" % A).text
m = re.search(r'<time datetime="([^"]*)" title="[^"]*">([^<]*)</time>', page)
times = re.findall(r'<time datetime="[^"]*" title="[^"]*">([^<]*)</time>', page)
env.check(times and all(t.endswith(" Asia/Kolkata") for t in times), "every time names the zone set", times[:3])
if m:
    utc = time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S")
    shown = time.strptime(m.group(2)[:19], "%Y-%m-%d %H:%M:%S")
    diff = (time.mktime(shown) - time.mktime(utc)) / 60
    env.check(diff == 330, "Kolkata is UTC+5:30", diff)
lst = get("ann", "/admin/sessions").text
env.check("Asia/Kolkata</time>" in lst, "the list names the zone too")
p = env.cli("settings", "set", "admin_time_zone", "Mars/Olympus", check=False)
env.check(p.returncode != 0, "an unknown zone is refused", p.returncode)
env.cli("settings", "unset", "admin_time_zone")
env.check(" UTC</time>" in get("ann", "/admin/sessions").text, "unset: UTC again")

env.done()
