"""Refusals under a real lighttpd: bad click items are counted, charsets
other than UTF-8 get 415, NUL characters and over-long texts are reported
as such, and repeated refusals are folded into one log row per minute."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env  # noqa: E402

env = Env("refusals")
cid = env.add_connection()
SMS = "/channel/%s/webhook/sms" % cid
CLICKS = "/channel/%s/webhook/clicks" % cid


def count(sql, args=()):
    return env.sql1(sql, args)


def mo(message_id, text, frm="4915112345678"):
    return {"results": [{"messageId": message_id, "from": frm, "to": "447491163443",
                         "text": text}], "messageCount": 1, "pendingMessageCount": 0}


# --- Clicks: bad items are reported, not counted as received ------------------------
env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient, text,"
        " status) VALUES ('m-1', ?, 'out', 'agent', 'InfoSMS', '+4915100000001', 'see"
        " https://example.com/a', 'delivered')", (cid,))
body = {"results": [
    {"messageId": "m-1", "url": "https://example.com/a", "recipient": "4915100000001"},
    {"url": "https://example.com/no-id", "recipient": "4915100000001"},
    {"messageId": 42, "url": "https://example.com/number-id"},
]}
r = env.post(CLICKS, body)
j = r.json() or {}
env.check(r.status == 200 and j.get("received") == 3 and j.get("stored") == 1
          and j.get("rejected") == 2, "clicks: 1 kept, 2 bad items rejected", r.text)
env.check(len(j.get("errors", [])) == 2 and [e.get("index") for e in j["errors"]] == [1, 2]
          and all("messageId" in e.get("error", "") for e in j["errors"]),
          "clicks: bad items named with index and reason", r.text)
env.check(count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND event = 'click'"
                " AND text LIKE 'item % refused: messageId%'", (cid,)) == 2,
          "clicks: bad items in the connection's log")
env.check(count("SELECT COUNT(*) FROM message_events WHERE kind = 'click'") == 1,
          "clicks: only the good item kept as an event")

# --- Charset ---------------------------------------------------------------------------
for ctype, want in (("application/json; charset=iso-8859-1", 415),
                    ("application/json; charset=\"latin1\"", 415),
                    ("application/json;charset=UTF-16", 415),
                    ("application/json; charset=utf-8", 200),
                    ("application/json; charset=\"UTF-8\"", 200),
                    ("application/json;charset=utf8", 200),
                    ("application/json; foo=bar", 200),
                    ("application/json; charset=utf-8; charset=latin1", 415),
                    ("application/json; charset=utf-8; Charset=utf-8", 415),
                    ("application/json; foo=1; foo=2", 415)):
    mid = "cs-%d-%s" % (want, ctype.encode().hex()[-12:])
    r = env.post(SMS, json.dumps(mo(mid, "charset")).encode(), ctype=ctype)
    env.check(r.status == want, "Content-Type %s -> %d" % (ctype, want), "%d %s" % (r.status, r.text))
    if want == 415:
        env.check("UTF-8" in ((r.json() or {}).get("error") or ""), "415 says UTF-8: %s" % ctype,
                  r.text)
    env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id = ?", (mid,))
              == (1 if want == 200 else 0), "stored only when accepted: %s" % ctype)

# --- \u0000 in a text is reported as such -----------------------------------------------
r = env.post(SMS, b'{"results": [{"messageId": "nul-1", "from": "4915100000002",'
                  b' "text": "a\\u0000b"}]}')
env.check(r.status == 200 and (r.json() or {}).get("stored") == 1, "text with \\u0000 stored", r.text)
env.check(count("SELECT text FROM messages WHERE infobip_id = 'nul-1'") == "ab",
          "NUL dropped from the stored text")
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE"
                " '%nul-1%NUL characters (U+0000)%'", (cid,)) == 1,
          "the log names the NUL, not invalid UTF-8")
env.check(count("SELECT COUNT(*) FROM logs WHERE text LIKE '%nul-1%invalid UTF-8%'") == 0,
          "the NUL is not called invalid UTF-8")
r = env.post(SMS, b'{"results": [{"messageId": "utf-1", "from": "4915100000002",'
                  b' "text": "a\xffb"}]}')
env.check(count("SELECT COUNT(*) FROM logs WHERE text LIKE '%utf-1%invalid UTF-8%'") == 1,
          "invalid UTF-8 is still called so", r.text)

# --- A lone surrogate escape is repaired and logged as invalid bytes are ------------------
r = env.post(SMS, b'{"results": [{"messageId": "sur-1", "from": "4915100000002",'
                  b' "text": "a\\ud800b \\ud83d\\ude00"}]}')
env.check(r.status == 200 and (r.json() or {}).get("stored") == 1, "text with \\ud800 stored", r.text)
env.check(count("SELECT text FROM messages WHERE infobip_id = 'sur-1'") == "a\ufffdb \U0001f600",
          "the lone surrogate stored as U+FFFD, the pair as its character")
env.check(count("SELECT COUNT(*) FROM logs WHERE text LIKE '%sur-1%invalid UTF-8%'") == 1,
          "the lone surrogate is logged as invalid UTF-8 is")
r = env.post(SMS, b'{"results": [{"messageId": "sur-2", "from": "4915100000002",'
                  b' "text": "\\ud83d\\ude00 fine"}]}')
env.check(r.status == 200 and count("SELECT COUNT(*) FROM logs WHERE text LIKE '%sur-2%'") == 0,
          "a surrogate pair is not logged", r.text)

# --- Over-long inbound text: refused per item, with a settable maximum ------------------
env.cli("settings", "set", "inbound_text_max_bytes", "1000")
batch = {"results": [
    {"messageId": "long-1", "from": "4915100000003", "text": "x" * 1001},
    {"messageId": "long-ok", "from": "4915100000003", "text": "y" * 1000},
]}
r = env.post(SMS, batch)
j = r.json() or {}
env.check(r.status == 200 and j.get("stored") == 1 and j.get("rejected") == 1
          and "1001 bytes" in json.dumps(j.get("errors")) and "1000" in json.dumps(j.get("errors")),
          "a text over inbound_text_max_bytes is refused with its length and the limit", r.text)
env.check(count("SELECT COUNT(*) FROM messages WHERE infobip_id = 'long-1'") == 0
          and count("SELECT COUNT(*) FROM messages WHERE infobip_id = 'long-ok'") == 1,
          "only the item within the limit is stored")
p = env.cli("settings", "set", "inbound_text_max_bytes", "10", check=False)
env.check(p.returncode == 2 and "inbound_text_max_bytes" in p.stderr, "a too-small maximum is refused",
          p.stderr)
env.cli("settings", "unset", "inbound_text_max_bytes")
r = env.post(SMS, mo("long-64k", "z" * 65536))
env.check(r.status == 200 and (r.json() or {}).get("stored") == 1, "64 KiB is within the default", r.text)
r = env.post(SMS, mo("long-64k-1", "z" * 65537))
env.check(r.status == 200 and (r.json() or {}).get("rejected") == 1, "64 KiB + 1 is not", r.text)

# --- Repeated refusals share one log row per kind and minute ----------------------------
rows_before = count("SELECT COUNT(*) FROM logs")
ct_before = count("SELECT SUM(repeats) FROM logs WHERE text LIKE 'refused: Content-Type%'")
for i in range(200):
    env.post(SMS, b"{not json", ctype="application/json")
    env.post(SMS, b"{}", ctype="text/plain")
rows_after = count("SELECT COUNT(*) FROM logs")
# At most two kinds, each in at most two minutes (the loop may cross a minute).
env.check(rows_after - rows_before <= 4, "400 refusals added at most 4 log rows",
          "%d rows" % (rows_after - rows_before))
env.check(count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND text ="
                " 'refused: malformed JSON'", (cid,)) == 200,
          "the malformed-JSON row counts all 200")
env.check(count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND text LIKE"
                " 'refused: Content-Type%'", (cid,)) - ct_before == 200,
          "the Content-Type row counts all 200")
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'start'", (cid,)) >= 1,
          "ordinary entries are not folded")

# Messages nobody answers are counted too (a stopped connection under load).
stopped = env.add_connection(name="Stopped", start=False)
for i in range(50):
    env.post("/channel/%s/webhook/sms" % stopped, mo("st-%d" % i, "hi", frm="49170000%04d" % i))
env.check(count("SELECT COUNT(*) FROM messages WHERE connection_id = ?", (stopped,)) == 50,
          "50 messages to a stopped connection stored")
env.check(count("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'not_answered'",
                (stopped,)) <= 2
          and count("SELECT SUM(repeats) FROM logs WHERE connection_id = ? AND event = 'not_answered'"
                    " AND text LIKE '%not RUNNING%'", (stopped,)) == 50,
          "... their 'not answered' entries share a row per minute, counting 50")
env.done()
