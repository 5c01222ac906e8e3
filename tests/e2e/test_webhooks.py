"""Inbound SMS, delivery-report and click webhooks under a real lighttpd
(FastCGI) and as plain CGI, against a real store (SQLite, or PostgreSQL
under tests/pg.py exec)."""

import json
import os
import sqlite3
import subprocess
import sys
import signal
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, Env, PG_URI, SAMPLES, SIM_KEY, free_port, have_samples,  # noqa: E402
                     pg_rows, sample)
import harness  # noqa: E402
import kept_counts  # noqa: E402

env = Env("webhooks")
cid = env.add_connection()
other = env.add_connection(name="Stopped line", start=False)
SMS = "/channel/%s/webhook/sms" % cid
REPORTS = "/channel/%s/webhook/reports" % cid
CLICKS = "/channel/%s/webhook/clicks" % cid


def attach_running_agent(conn):
    env.sql("INSERT INTO agents (name, kind, status) VALUES ('rules', 'rules', 'RUNNING')")
    aid = env.sql1("SELECT MAX(id) FROM agents")
    env.sql("INSERT INTO agent_channels (agent_id, connection_id, inbound) VALUES (?, ?, 1)",
            (aid, conn))
    return aid


def mo(message_id, text, frm="4915112345678", **extra):
    item = {"messageId": message_id, "from": frm, "to": "447491163443",
            "text": text, "cleanText": text, "keyword": "",
            "receivedAt": "2026-11-27T10:00:00.000+0000", "smsCount": 1,
            "price": {"pricePerMessage": 0, "currency": "EUR"}}
    item.update(extra)
    return {"results": [item], "messageCount": 1, "pendingMessageCount": 0}


def count(sql, args=()):
    return env.sql1(sql, args)


attach_running_agent(cid)

# --- Started connection status -------------------------------------------
env.check(count("SELECT status FROM connections WHERE id = ?", (cid,)) == "RUNNING",
          "connection RUNNING after start against the simulator")

# --- Every MO sample is accepted and stored --------------------------------
if env.check(have_samples(), "Infobip samples present"):
    for name in sorted(f for f in os.listdir(SAMPLES) if f.startswith("mo-")):
        body = sample(name)
        want = json.loads(body)["results"]
        r = env.post(SMS, body)
        env.check(r.status == 200, "%s accepted" % name, r.text)
        for item in want:
            row = env.sql("SELECT text, sender, direction, status FROM messages"
                          " WHERE connection_id = ? AND infobip_id = ?",
                          (cid, item["messageId"]))
            env.check(len(row) == 1 and row[0][0] == item["text"]
                      and row[0][1] == item["from"] and row[0][2] == "in",
                      "%s stored as sent" % name, repr(row))
            env.check(count("SELECT COUNT(*) FROM contacts WHERE phone = ?",
                            ("+" + item["from"].lstrip("+"),)) == 1,
                      "%s contact keyed by +digits" % name)
            env.check(count("SELECT COUNT(*) FROM sessions s JOIN contacts c"
                            " ON c.id = s.contact_id WHERE c.phone = ? AND"
                            " s.closed_at IS NULL AND s.channel_type = 'infobip'",
                            ("+" + item["from"].lstrip("+"),)) == 1,
                      "%s open infobip session" % name)

# --- The same MO twice, and concurrently, is stored and queued once --------
body = mo("dup-1", "Hello once")
r1 = env.post(SMS, body)
r2 = env.post(SMS, body)
env.check(r1.status == 200 and r1.json()["stored"] == 1, "first copy stored", r1.text)
env.check(r2.status == 200 and r2.json()["duplicates"] == 1, "second copy is a duplicate", r2.text)
body = mo("dup-2", "Hello concurrently", frm="4915100000002")
statuses = []


def hit():
    statuses.append(env.post(SMS, body).status)


threads = [threading.Thread(target=hit) for _ in range(12)]
for t in threads:
    t.start()
for t in threads:
    t.join()
env.check(statuses == [200] * 12, "12 concurrent copies all answered 200", repr(statuses))
for mid in ("dup-1", "dup-2"):
    env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id = ?", (mid,)) == 1,
              "%s stored once" % mid)
    env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id ="
                    " q.message_id WHERE m.infobip_id = ?", (mid,)) == 1,
              "%s queued for the agent once" % mid)

# --- One bad item never rejects the batch ----------------------------------
batch = {"results": [
    {"messageId": "good-1", "from": "4915100000003", "text": "fine"},
    {"from": "4915100000003", "text": "no id"},
    {"messageId": "bad-num", "from": "12-34", "text": "bad number"},
    {"messageId": "good-2", "from": "+4915100000003", "text": "also fine",
     "receivedAt": "2026-11-27T10:00:00+05:30"},
], "messageCount": 4, "pendingMessageCount": 0}
r = env.post(SMS, batch)
j = r.json() or {}
env.check(r.status == 200 and j.get("stored") == 2 and j.get("rejected") == 2,
          "mixed batch: 2 stored, 2 refused", r.text)
env.check(len(j.get("errors", [])) == 2 and j["errors"][0]["index"] == 1,
          "refused items named with their index", r.text)
env.check(count("SELECT received_at FROM messages WHERE infobip_id = 'good-2'")
          == "2026-11-27 04:30:00.000", "receivedAt with +05:30 normalised to UTC")
env.check(count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND event = 'inbound'"
                " AND text LIKE '%refused%'", (cid,)) >= 2, "refused items logged")

# --- Opt-out keywords -------------------------------------------------------
phone = "4915100000010"
env.post(SMS, mo("kw-1", "  Stop! ", frm=phone))
env.check(count("SELECT opted_out FROM contacts WHERE phone = ?", ("+" + phone,)) == 1,
          "STOP opts the contact out")
env.check(count("SELECT COUNT(*) FROM messages m JOIN outbox o ON o.message_id = m.id"
                " WHERE m.recipient = ? AND m.author = 'system' AND o.priority = 1",
                ("+" + phone,)) == 1, "STOP confirmation queued with priority")
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id = 'kw-1'") == 0, "STOP never reaches the agent")
env.post(SMS, mo("kw-2", "what are your hours?", frm=phone))
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id = 'kw-2'") == 0, "opted-out contact gets no AI reply")
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id = 'kw-2'") == 1,
          "opted-out contact's message still stored")
env.post(SMS, mo("kw-3", "START", frm=phone))
env.check(count("SELECT opted_out FROM contacts WHERE phone = ?", ("+" + phone,)) == 0,
          "START opts back in")
env.post(SMS, mo("kw-4", "help", frm=phone))
env.check(count("SELECT COUNT(*) FROM messages WHERE recipient = ? AND author = 'system'",
                ("+" + phone,)) == 3, "STOP, START and HELP each get their reply")
env.post(SMS, mo("kw-5", "Please stop calling me", frm="4915100000011"))
env.check(count("SELECT opted_out FROM contacts WHERE phone = '+4915100000011'") == 0,
          "'Please stop calling me' is not an opt-out")
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id = 'kw-5'") == 1, "... and goes to the agent")

# --- A connection that is not RUNNING stores but does not answer -----------
r = env.post("/channel/%s/webhook/sms" % other, mo("stopped-1", "hi"))
env.check(r.status == 200 and count("SELECT COUNT(*) FROM messages WHERE"
                                    " infobip_id = 'stopped-1'") == 1,
          "stopped connection stores the message")
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id = 'stopped-1'") == 0, "... without queueing it")
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event ="
                " 'not_answered' AND text LIKE '%not RUNNING%'", (other,)) == 1,
          "... and its log says why")

# No inbound agent, or a stopped one: stored, not queued, and the log says which.
lone = env.add_connection(name="No agent")
env.post("/channel/%s/webhook/sms" % lone, mo("lone-1", "hi"))
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'not_answered'"
                " AND text LIKE '%no agent is attached%'", (lone,)) == 1,
          "no inbound agent: stored, and the log says why")
idle = env.add_connection(name="Stopped agent")
env.sql("INSERT INTO agents (name, kind, status) VALUES ('idle', 'rules', 'STOPPED')")
env.sql("INSERT INTO agent_channels (agent_id, connection_id, inbound) VALUES"
        " ((SELECT MAX(id) FROM agents), ?, 1)", (idle,))
env.post("/channel/%s/webhook/sms" % idle, mo("idle-1", "hi"))
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'not_answered'"
                " AND text LIKE '%agent is not running%'", (idle,)) == 1,
          "stopped inbound agent: stored, and the log says why")
env.check(count("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                " WHERE m.infobip_id IN ('lone-1', 'idle-1')") == 0, "neither is queued")

# --- MMS-style body keeps text parts ----------------------------------------
mms = {"results": [{"messageId": "mms-1", "from": "4915100000020", "to": "447491163443",
                    "message": [{"contentType": "text/plain", "value": "see picture"},
                                {"contentType": "image/jpeg",
                                 "url": "https://example.com/a.jpg"}]}],
       "messageCount": 1, "pendingMessageCount": 0}
r = env.post(SMS, mms)
env.check(r.status == 200 and count("SELECT text FROM messages WHERE infobip_id = 'mms-1'")
          == "see picture", "MMS text part kept", r.text)
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE"
                " '%mms-1%media%'", (cid,)) == 1, "MMS media noted in the log")

# --- Hostile text is stored exactly ------------------------------------------
hostile = [
    ("h-html", "<script>alert('x')</script><b onload=\"evil()\">hi</b>"),
    ("h-sql", "Robert'); DROP TABLE messages;-- \"quoted\""),
    ("h-ctrl", "line1\nline2\r\x1b[31mred\x07\ttab"),
    ("h-emoji", "\U0001F600\U0001F44D\U0001F1E9\U0001F1EA emoji \u200d mixed \u0416\u4e2d"),
    ("h-big", "x" * 65536),
]
for mid, text in hostile:
    r = env.post(SMS, mo(mid, text, frm="4915100000030"))
    env.check(r.status == 200, "%s accepted" % mid, r.text[:200])
    env.check(count("SELECT text FROM messages WHERE infobip_id = ?", (mid,)) == text,
              "%s stored exactly" % mid)
raw = (b'{"results":[{"messageId":"h-utf8","from":"4915100000031","text":"bad \xff\xfe'
       b' \xc0\xaf end"}],"messageCount":1,"pendingMessageCount":0}')
r = env.post(SMS, raw)
stored = count("SELECT text FROM messages WHERE infobip_id = 'h-utf8'")
env.check(r.status == 200 and stored is not None and stored.startswith("bad ")
          and stored.endswith(" end") and "\ufffd" in stored,
          "invalid UTF-8 repaired with U+FFFD", repr(stored))
env.check(count("SELECT COUNT(*) FROM logs WHERE text LIKE '%' || ? || '%'"
                " OR text LIKE '%' || ? || '%'", ("\n", "\r")) == 0,
          "no log line holds a raw newline")

# --- Delivery reports --------------------------------------------------------


def dlr_for(uid):
    return {"results": [{"messageId": uid, "to": "41793026727", "status": {
        "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
        "description": "Message delivered to handset"},
        "doneAt": "2026-11-27T10:00:01.000+0000"}]}


def same_time(fn, n):
    """Runs fn in n threads released together; their answers."""
    gate, out = threading.Barrier(n), []

    def one():
        gate.wait()
        out.append(fn())
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def outbound(uid, status="accepted", conn=cid):
    # Samples reuse message ids; our ids are unique across the store.
    env.sql("DELETE FROM messages WHERE uid = ?", (uid,))
    env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender,"
            " recipient, text, status) VALUES (?, ?, 'out', 'agent', 'InfoSMS',"
            " '+41793026727', 'hello', ?)", (uid, conn, status))


if have_samples():
    names = sorted(f for f in os.listdir(SAMPLES) if "dlr-" in f)
    for name in names:
        body = sample(name)
        items = json.loads(body)["results"]
        # A fresh connection per sample: samples reuse message ids.
        conn = env.add_connection(name="dlr " + name[:40])
        for it in items:
            outbound(it["messageId"], conn=conn)
        groups = {"ACCEPTED": "accepted", "PENDING": "accepted", "DELIVERED": "delivered",
                  "UNDELIVERABLE": "undeliverable", "EXPIRED": "expired", "REJECTED": "rejected"}
        # Items equal in messageId, status and doneAt are one report sent twice.
        distinct = len(set((it["messageId"], json.dumps(it.get("status"), sort_keys=True),
                            it.get("doneAt")) for it in items))
        r = env.post("/channel/%s/webhook/reports" % conn, body)
        env.check(r.status == 200 and r.json()["stored"] == distinct
                  and r.json()["duplicates"] == len(items) - distinct,
                  "%s accepted" % name, r.text)
        for it in items:
            row = env.sql("SELECT status, status_group FROM messages WHERE uid = ? AND"
                          " connection_id = ?", (it["messageId"], conn))
            want = groups[it["status"]["groupName"]]
            if len(set(x["messageId"] for x in items)) < len(items):
                want = groups[items[-1]["status"]["groupName"]]
            env.check(row and row[0][0] == want and row[0][1] == it["status"]["groupName"],
                      "%s: %s" % (name, want), repr(row))
        env.check(count("SELECT COUNT(*) FROM message_events WHERE connection_id = ?"
                        " AND kind = 'report'", (conn,)) == distinct,
                  "%s raw report kept as an event, once" % name)
    # Infobip's fields land in the store.
    conn = env.add_connection(name="dlr fields")
    body = json.loads(sample("dlr-delivered-1.json"))
    it = body["results"][0]
    outbound(it["messageId"], conn=conn)
    env.post("/channel/%s/webhook/reports" % conn, body)
    row = env.sql("SELECT status_name, price, currency, done_at, error_name FROM messages"
                  " WHERE uid = ? AND connection_id = ?", (it["messageId"], conn))[0]
    env.check(row[0] == it["status"]["name"] and abs(row[1] - it["price"]["pricePerMessage"]) < 1e-9
              and row[2] == it["price"]["currency"] and row[3] and row[4] == it["error"]["name"],
              "status name, price, currency, done time and error stored", repr(row))

# DELIVERED then a late PENDING stays DELIVERED.
outbound("late-1")
dlr = {"results": [{"messageId": "late-1", "to": "41793026727", "status": {
    "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset"}, "error": {
    "groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error",
    "permanent": False}, "doneAt": "2026-11-27T10:00:01.000+0000"}]}
pending = {"results": [{"messageId": "late-1", "to": "41793026727", "status": {
    "groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED",
    "description": "Message sent to next instance"}}]}
env.post(REPORTS, dlr)
r = env.post(REPORTS, pending)
env.check(r.status == 200 and count("SELECT status FROM messages WHERE uid = 'late-1'")
          == "delivered", "late PENDING does not overwrite DELIVERED", r.text)
env.check(count("SELECT COUNT(*) FROM message_events WHERE message_uid = 'late-1'") == 2,
          "both reports kept as events")

# Infobip sends a report again until it hears 200: each is stored once,
# also when the retries arrive at the same time (several lighttpd processes).
outbound("retry-1")
answers = [env.post(REPORTS, dlr_for("retry-1")).json() for _ in range(3)]
env.check([(a["stored"], a["duplicates"]) for a in answers] == [(1, 0), (0, 1), (0, 1)],
          "a report sent three times: stored once, then seen before", repr(answers))
env.check(count("SELECT COUNT(*) FROM message_events WHERE message_uid = 'retry-1'") == 1,
          "a report sent three times: one event")
env.check(count("SELECT status FROM messages WHERE uid = 'retry-1'") == "delivered",
          "a report sent three times: applied")
outbound("retry-2")
same_time(lambda: env.post(REPORTS, dlr_for("retry-2")), 8)
env.check(count("SELECT COUNT(*) FROM message_events WHERE message_uid = 'retry-2'") == 1,
          "a report sent eight times at once: one event")

# A report for a message not known yet is kept (once however often it
# comes), then applied.
early = json.loads(json.dumps(dlr))
early["results"][0]["messageId"] = "early-1"
r = env.post(REPORTS, early)
env.check(r.status == 200 and r.json()["pending"] == 1, "unknown message: report kept", r.text)
for _ in range(2):
    r = env.post(REPORTS, early)
env.check(r.status == 200 and r.json()["duplicates"] == 1
          and count("SELECT COUNT(*) FROM message_events WHERE message_uid = 'early-1'") == 1,
          "unknown message: the report sent three times is kept once", r.text)
outbound("early-1", status="sending")
p = env.cli("reports", "apply-pending")
env.check(count("SELECT status FROM messages WHERE uid = 'early-1'") == "delivered",
          "kept report applied once the message exists", p.stdout + p.stderr)

# 2,000 results in one POST, in one transaction.
env.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
        " INSERT INTO messages (uid, connection_id, direction, text, status)"
        " SELECT 'bulk-' || i, ?, 'out', 'x', 'accepted' FROM n", (cid,))
big = {"results": [{"messageId": "bulk-%d" % i, "to": "41793026727",
                    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
                               "name": "DELIVERED_TO_HANDSET"}} for i in range(1, 2001)]}
# PostgreSQL applies a report in a few round trips each: 2.2 s seen on a quiet
# machine, past 30 s on a loaded one, so the answer may take its time.
r = env.post(REPORTS, big, timeout=300)
env.check(r.status == 200 and r.json()["stored"] == 2000, "2,000 reports in one POST", r.text[:200])
env.check(count("SELECT COUNT(*) FROM messages WHERE uid LIKE 'bulk-%' AND status = 'delivered'")
          == 2000, "all 2,000 delivered")

# --- Clicks --------------------------------------------------------------------
if have_samples():
    click = json.loads(sample("click-1.json"))
    outbound(click["messageId"])
    r = env.post(CLICKS, click)
    env.check(r.status == 200, "click accepted", r.text)
    env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text = ?",
                    (cid, "link clicked: %s by +%s" % (click["url"], click["recipient"]))) == 1,
              "click logged as 'link clicked: URL by +recipient'")
    env.check(count("SELECT COUNT(*) FROM message_events WHERE kind = 'click' AND"
                    " message_uid = ? AND message_id IS NOT NULL", (click["messageId"],)) == 1,
              "click kept as a message event")
    # The same click again (Infobip retries), twice, and then at once.
    answers = [env.post(CLICKS, click).json() for _ in range(2)]
    same_time(lambda: env.post(CLICKS, click), 6)
    env.check([(a["stored"], a["duplicates"]) for a in answers] == [(0, 1), (0, 1)],
              "a click sent again: seen before", repr(answers))
    env.check(count("SELECT COUNT(*) FROM message_events WHERE kind = 'click' AND"
                    " message_uid = ?", (click["messageId"],)) == 1
              and count("SELECT COUNT(*) FROM logs WHERE event = 'click' AND text LIKE"
                        " 'link clicked:%'") == 1,
              "a click sent nine times: one event, one log row")
    later = dict(click, sendDateTime=click["sendDateTime"] + 60000)
    r = env.post(CLICKS, later)
    env.check(r.status == 200 and r.json()["stored"] == 1
              and count("SELECT COUNT(*) FROM message_events WHERE kind = 'click' AND"
                        " message_uid = ?", (click["messageId"],)) == 2,
              "a second click on the link a minute later is a click of its own", r.text)
    # Clicks on a message never sent: refused, one counted log row, no event.
    stray = dict(click, messageId="never-sent-1")
    answers = [env.post(CLICKS, stray) for _ in range(3)]
    env.check(all(a.status == 200 and a.json()["rejected"] == 1 for a in answers),
              "a click on a message never sent: 200, refused", answers[-1].text)
    env.check(count("SELECT COUNT(*) FROM message_events WHERE message_uid = 'never-sent-1'") == 0,
              "a click on a message never sent: no event")
    rows = env.sql("SELECT repeats, text FROM logs WHERE event = 'click' AND text LIKE"
                   " '%never-sent-1%'")
    # One row a minute: two if the posts straddled a minute's turn.
    env.check(1 <= len(rows) <= 2 and sum(r[0] for r in rows) == 3
              and max(r[0] for r in rows) >= 2,
              "three clicks on a message never sent: one log row counting them", repr(rows))

# --- Bad input: status and an unchanged store -----------------------------------
before = env.snapshot()
bad = [
    ("unknown connection", "POST", "/channel/%s/webhook/sms" % ("0" * 32), b"{}", "application/json", 404),
    ("malformed id", "POST", "/channel/zz%3Cscript%3E/webhook/sms", b"{}", "application/json", 404),
    ("short id", "POST", "/channel/1234/webhook/reports", b"{}", "application/json", 404),
    ("unknown route", "POST", "/channel/%s/webhook/nothing" % cid, b"{}", "application/json", 404),
    ("GET on webhook", "GET", SMS, None, None, 405),
    ("PUT on reports", "PUT", REPORTS, b"{}", "application/json", 405),
    ("text/plain", "POST", SMS, b'{"results":[]}', "text/plain", 415),
    ("form body", "POST", REPORTS, b"results=1", "application/x-www-form-urlencoded", 415),
    ("over 1 MiB", "POST", SMS, b'{"results":["' + b"x" * (1024 * 1024) + b'"]}', "application/json", 413),
    ("malformed JSON", "POST", SMS, b'{"results": [', "application/json", 400),
    ("trailing garbage", "POST", REPORTS, b'{"results": []} x', "application/json", 400),
    ("no results", "POST", SMS, b'{"messageCount": 1}', "application/json", 400),
    ("results not an array", "POST", REPORTS, b'{"results": "x"}', "application/json", 400),
    ("array body", "POST", SMS, b'[1, 2]', "application/json", 400),
    ("empty body", "POST", CLICKS, b'', "application/json", 400),
]
for what, method, path, body, ctype, want in bad:
    r = env.request(method, path, body, ctype)
    j = r.json()
    env.check(r.status == want, "%s -> %d" % (what, want), "got %d %s" % (r.status, r.text[:200]))
    env.check(isinstance(j, dict) and isinstance(j.get("error"), str) and j["error"],
              "%s has a JSON error" % what, r.text[:200])
    env.check(r.headers.get("Content-Type", "").startswith("application/json"),
              "%s answered as JSON" % what)
env.check(env.snapshot() == before, "bad input changed nothing but the log")
env.check(count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND text LIKE"
                " 'refused:%'", (cid,)) >= 5, "refusals for a known connection are logged")
r = env.request("GET", SMS)
env.check(r.headers.get("Allow") == "POST", "405 names the allowed method")

# --- Plain CGI: one request, then exit ---------------------------------------------
r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("cgi-1", "via cgi")).encode())
env.check(r.status == 200 and count("SELECT COUNT(*) FROM messages WHERE infobip_id = 'cgi-1'") == 1,
          "inbound.fcgi as plain CGI", r.text)
outbound("cgi-r")
r = env.cgi("reports.fcgi", "POST", REPORTS, json.dumps(
    {"results": [{"messageId": "cgi-r", "status": {"groupName": "DELIVERED"}}]}).encode())
env.check(r.status == 200 and count("SELECT status FROM messages WHERE uid = 'cgi-r'") == "delivered",
          "reports.fcgi as plain CGI", r.text)
r = env.cgi("inbound.fcgi", "GET", "/channel/%s/docs" % cid, b"", None)
env.check(r.status == 200 and b"/webhook/sms" in r.body, "docs as plain CGI")

# Store unavailable: 503 so that Infobip retries.
saved = env.env["IBCHANNEL_DB"]
if env.engine == "sqlite":
    env.env["IBCHANNEL_DB"] = os.path.join(env.dir, "missing", "none.db")
    r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("x", "y")).encode())
    env.check(r.status == 503, "missing store -> 503", r.text)
    env.env["IBCHANNEL_DB"] = env.dir  # a directory, not a database
    r = env.cgi("reports.fcgi", "POST", REPORTS, b'{"results": []}')
    env.check(r.status == 503, "unusable store -> 503", r.text)
    # A read-only store (an immutable file, which binds root too): 503, nothing written.
    ro_dir = os.path.join(env.dir, "ro")
    os.makedirs(ro_dir)
    ro_db = os.path.join(ro_dir, "ibchannel.db")
    src = sqlite3.connect(env.db)
    dst = sqlite3.connect(ro_db)
    src.backup(dst)
    src.close()
    dst.close()
    if env.check(subprocess.run(["chattr", "+i", ro_db]).returncode == 0,
                 "store file made immutable for the read-only case"):
        env.env["IBCHANNEL_DB"] = ro_db
        r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("ro-1", "read only")).encode())
        env.check(r.status == 503, "read-only store -> 503", "%d %s" % (r.status, r.text))
        subprocess.run(["chattr", "-i", ro_db])
        env.check(sqlite3.connect(ro_db).execute(
            "SELECT COUNT(*) FROM messages WHERE infobip_id = 'ro-1'").fetchone()[0] == 0,
            "... and nothing was stored")
else:
    # PostgreSQL's versions of the same points: a server with no such
    # database, a port where no server listens, and a database that takes
    # no writes (every new session read-only, as on a standby).
    u = urllib.parse.urlsplit(env.db)
    query = urllib.parse.parse_qs(u.query)
    env.env["IBCHANNEL_DB"] = urllib.parse.urlunsplit(
        (u.scheme, u.netloc, "/ibc_no_such_database", u.query, ""))
    r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("nodb-1", "y")).encode())
    env.check(r.status == 503, "database that does not exist -> 503", r.text)
    query["port"] = [str(free_port())]
    env.env["IBCHANNEL_DB"] = urllib.parse.urlunsplit(
        (u.scheme, u.netloc, u.path, urllib.parse.urlencode(query, doseq=True), ""))
    r = env.cgi("reports.fcgi", "POST", REPORTS, json.dumps(
        {"results": [{"messageId": "cgi-r", "status": {"groupName": "REJECTED"}}]}).encode())
    env.check(r.status == 503, "a port where nothing listens -> 503", r.text)
    r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("noport-1", "y")).encode())
    env.check(r.status == 503, "a port where nothing listens (inbound) -> 503", r.text)
    # (altered from the cluster's own database: a session on this one
    # would be read-only itself when it resets the setting)
    dbname = u.path.lstrip("/")
    pg_rows(PG_URI, 'ALTER DATABASE "%s" SET default_transaction_read_only = on' % dbname)
    try:
        env.env["IBCHANNEL_DB"] = saved
        r = env.cgi("inbound.fcgi", "POST", SMS, json.dumps(mo("ro-1", "read only")).encode())
        env.check(r.status == 503, "read-only database -> 503", "%d %s" % (r.status, r.text))
    finally:
        pg_rows(PG_URI, 'ALTER DATABASE "%s" RESET default_transaction_read_only' % dbname)
    # init on a server's URI makes no directories named after it (it once
    # made postgresql:/... below the working directory)
    cwd = os.path.join(env.dir, "cwd")
    os.makedirs(cwd)
    p = subprocess.run([os.path.join(BUILD, "ibchannel"), "init"], env=env.env, cwd=cwd,
                       capture_output=True, text=True)
    env.check(p.returncode == 0 and os.listdir(cwd) == [],
              "init on PostgreSQL makes nothing in the working directory",
              "%d %s %r" % (p.returncode, p.stderr, os.listdir(cwd)))
    env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id IN"
                    " ('nodb-1', 'noport-1', 'ro-1')") == 0
              and count("SELECT status FROM messages WHERE uid = 'cgi-r'") == "delivered",
              "... and nothing was stored")
env.env["IBCHANNEL_DB"] = saved

# --- The public docs page ------------------------------------------------------------
r = env.get("/channel/%s/docs" % cid)
env.check(r.status == 200 and "text/html" in r.headers.get("Content-Type", ""), "docs page served")
env.check(("%s/channel/%s/webhook/sms" % (env.base, cid)) in r.text, "docs give the webhook URL")
env.check("/webhook/reports" in r.text and "/webhook/clicks" in r.text, "docs give reports and clicks URLs")
# (The key's last four characters alone are hex, like the connection id, so
# the masked form is what is looked for.)
env.check(SIM_KEY not in r.text and "****" not in r.text and "api_key" not in r.text.lower(),
          "docs show no API key, not even masked")
env.check(r.headers.get("X-Content-Type-Options") == "nosniff"
          and "default-src 'none'" in r.headers.get("Content-Security-Policy", ""),
          "security headers present")
env.check(env.get("/channel/%s/docs" % ("f" * 32)).status == 404, "docs of an unknown connection: 404")
env.check(env.request("POST", "/channel/%s/docs" % cid, b"{}").status == 405, "POST on docs: 405")

# --- kill -9 of the FastCGI program under load loses no acknowledged message ----------
answers = {}


def crash_worker(k):
    for i in range(120):
        mid = "crash-%d-%d" % (k, i)
        try:
            answers[mid] = env.post(SMS, mo(mid, "load", frm="49151000099%02d" % k), timeout=15).status
        except Exception as e:  # a reset connection is an answer Infobip retries too
            answers[mid] = "error: %s" % str(e)[:60]


workers = [threading.Thread(target=crash_worker, args=(k,)) for k in range(4)]
for t in workers:
    t.start()
killed = 0
for n in range(3):
    # Kill while it is serving: once it has answered 20 more messages since the last kill.
    env.wait_for(lambda: sum(1 for st in list(answers.values()) if st == 200) >= 20 * (n + 1)
                 or not any(t.is_alive() for t in workers), 20)
    for pid in subprocess.run(["pgrep", "-f", os.path.join(BUILD, "inbound.fcgi")],
                              capture_output=True, text=True).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
            killed += 1
        except ProcessLookupError:  # killed before and reaped by lighttpd since pgrep saw it
            pass
for t in workers:
    t.join()
acked = [m for m, st in answers.items() if st == 200]
stored = set(x for (x,) in env.sql("SELECT infobip_id FROM messages WHERE infobip_id LIKE 'crash-%'"))
env.check(killed > 0, "the inbound program was killed under load (%d kills)" % killed)
env.check(all(m in stored for m in acked), "every message answered 200 is stored",
          "%d acknowledged, %d stored" % (len(acked), len(stored)))
env.check(all(st == 200 or (isinstance(st, int) and st >= 500) or str(st).startswith("error")
              for st in answers.values()),
          "the others got an answer Infobip retries (5xx or a broken connection)",
          repr(set(map(str, answers.values()))))
# Infobip pushes each unanswered message again with growing delays (lighttpd
# answers 503 for a while after its backend died), so retry the same way.
retry = sorted(m for m, st in answers.items() if st != 200)
final = {}
for m in retry:
    k = int(m.split("-")[1])
    r, tries = env.post_as_infobip(SMS, mo(m, "load", frm="49151000099%02d" % k), timeout=15)
    final[m] = (r.status if r is not None else None, tries)
env.check(all(st == 200 for st, _ in final.values()),
          "every retried message is answered 200 within Infobip's retries (%d retried, up to"
          " %d tries)" % (len(retry), max([t for _, t in final.values()] or [0])),
          repr({m: v for m, v in final.items() if v[0] != 200}))
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'crash-%'") == 480
          and env.sql1("SELECT COUNT(DISTINCT infobip_id) FROM messages"
                       " WHERE infobip_id LIKE 'crash-%'") == 480,
          "after Infobip's retries every message is stored, once",
          "%s stored" % env.sql1("SELECT COUNT(*) FROM messages WHERE infobip_id LIKE 'crash-%'"))

# reports.fcgi runs without glibc's per-thread cache (app_malloc_tunables: it
# starts itself again once with the setting), under its own name; inbound.fcgi
# keeps glibc's default.
def fcgi_environ():
    """{program name: [its environment, one dict per process]} of the web server's children."""
    server = [p.pid for p in env.procs if os.path.basename(p.args[0]) == "lighttpd"]
    out = {}
    for pid, (name, fields) in harness.proc_stats().items():
        if server and int(fields[1]) == server[0]:
            try:
                with open("/proc/%d/environ" % pid, "rb") as f:
                    pairs = [x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x]
            except OSError:
                continue
            out.setdefault(name, []).append({k.decode(): v.decode("utf-8", "replace")
                                             for k, v in pairs})
    return out


progs = fcgi_environ()
env.check(bool(progs.get("reports.fcgi")) and all(
    "glibc.malloc.tcache_count=0" in e.get("GLIBC_TUNABLES", "") for e in progs["reports.fcgi"]),
    "reports.fcgi runs without glibc's thread cache, under its own name", repr(sorted(progs)))
env.check(bool(progs.get("inbound.fcgi")) and not any(
    "tcache" in e.get("GLIBC_TUNABLES", "") for e in progs["inbound.fcgi"]),
    "inbound.fcgi keeps glibc's thread cache")

# The key never reached a log.
logs = "\n".join(t for (t,) in env.sql("SELECT text FROM logs"))
env.check(SIM_KEY not in logs and SIM_KEY not in env.read_var("lighttpd-error.log"),
          "API key absent from the connection logs and the server log")
# The admin's counts (sql/019-counts.sql) after this suite's runs, against a full count.
kept_counts.check_exact(env)
env.done()
