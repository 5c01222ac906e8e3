"""The send API under a real lighttpd, the simulator and the real sender:
POST /channel/{id}/messages with a bearer token queues through the outbox
and reaches Infobip; GET shows its status to delivered; every refusal has
its status and a JSON reason and stores nothing; a retried reference is
sent once, even when the retries race; 100 concurrent sends are each queued
and sent once; tokens through the command line and the admin, kept only
hashed, never in the store or a log in plaintext."""

import base64
import http.client
import json
import os
import re
import secrets
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "vic": "vic-pw"}
env = Env("sendapi", admin_users=USERS)
env.set_roles({"ann": "admin", "vic": "viewer"})
cid = env.add_connection()
cid2 = env.add_connection(name="Other line", sender="OtherCo")
aid = env.cli("agent", "add", "--name", "Flow", "--kind", "rules").stdout.strip()
env.cli("agent", "attach", aid, cid)          # Inbound off: outbound only
env.cli("agent", "start", aid)
aid2 = env.cli("agent", "add", "--name", "Other flow", "--kind", "rules").stdout.strip()
env.cli("agent", "attach", aid2, cid2, "--inbound")
env.cli("agent", "start", aid2)
MSGS = "/channel/%s/messages" % cid
TOKEN_RE = re.compile(r"^ibt_[0-9a-f]{64}$")
ALL_TOKENS = []


def token_add(agent, conn):
    p = env.cli("token", "add", agent, conn, check=False)
    tok = p.stdout.strip()
    if TOKEN_RE.match(tok):
        ALL_TOKENS.append(tok)
    return p, tok


def send(body, token=None, path=MSGS, ctype="application/json", headers=None,
         method="POST"):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return env.request(method, path, body, ctype, headers=h)


def counts():
    return (env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'"),
            env.sql1("SELECT COUNT(*) FROM outbox"),
            env.sql1("SELECT COUNT(*) FROM api_sends"))


def settled():
    """Waits until every message sent has its delivery report (they change
    the store on their own time), so that a snapshot stands still."""
    return env.wait_for(lambda: env.sql1(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out'"
        " AND status IN ('queued', 'sending', 'accepted')") == 0, timeout=20)


def run_sender():
    """Runs the sender until the outbox is empty (a batch holds 100)."""
    def once():
        env.cli("sender", "--once")
        return env.sql1("SELECT COUNT(*) FROM outbox") == 0
    return env.wait_for(once, timeout=60, step=0.1)


# --- tokens on the command line ------------------------------------------------------
p, TOKEN = token_add(aid, cid)
env.check(p.returncode == 0 and TOKEN_RE.match(TOKEN) and p.stdout == TOKEN + "\n",
          "token add prints the token alone on stdout", repr(p.stdout[:20]))
env.check(p.stderr == "", "token add: nothing on stderr", p.stderr)
p, TOKEN_OTHER = token_add(aid2, cid2)
env.check(p.returncode == 0 and TOKEN_OTHER != TOKEN, "a second token, for the other line")
p = env.cli("token", "add", "999", cid, check=False)
env.check(p.returncode == 1 and p.stdout == "" and "no agent 999" in p.stderr,
          "token add: unknown agent, exit 1, nothing on stdout", p.stderr)
p = env.cli("token", "add", aid, "nothex", check=False)
env.check(p.returncode == 2 and p.stdout == "" and "connection id" in p.stderr,
          "token add: malformed connection id, exit 2", p.stderr)
p = env.cli("token", "add", aid, "0" * 32, check=False)
env.check(p.returncode == 1 and p.stdout == "", "token add: unknown connection, exit 1", p.stderr)
p = env.cli("token", "add", aid, cid2, check=False)
env.check(p.returncode == 1 and p.stdout == "" and "not attached" in p.stderr,
          "token add: agent not attached to that connection, exit 1", p.stderr)
env.check(env.sql1("SELECT COUNT(*) FROM api_tokens") == 2, "refused adds stored no token")
p = env.cli("token", "list")
lines = p.stdout.splitlines()
env.check(p.returncode == 0 and lines[0].split("\t") == ["id", "agent", "agent_name", "connection",
                                                         "created_at", "revoked_at", "prefix"],
          "token list: header", lines[:1])
env.check(len(lines) == 3 and all(TOKEN[:12] + "..." in l or TOKEN_OTHER[:12] + "..." in l
                                  for l in lines[1:]),
          "token list: one line per token, with its prefix", lines)
env.check(TOKEN not in p.stdout and TOKEN[12:] not in p.stdout, "token list never shows a token")
p = env.cli("token", "list", aid)
env.check(len(p.stdout.splitlines()) == 2 and "\tFlow\t" in p.stdout and cid in p.stdout,
          "token list AGENT: that agent's tokens only", p.stdout)
p = env.cli("token", "list", "999", check=False)
env.check(p.returncode == 1 and "no agent" in p.stderr, "token list: unknown agent, exit 1")
p = env.cli("token", "revoke", "abc", check=False)
env.check(p.returncode == 2, "token revoke: not a number, exit 2", p.stderr)
p = env.cli("token", "revoke", "999", check=False)
env.check(p.returncode == 1 and "no API token 999" in p.stderr, "token revoke: unknown, exit 1",
          p.stderr)

# --- docs page ------------------------------------------------------------------------
r = env.get("/channel/%s/docs" % cid)
env.check(r.status == 200 and 'id="send-api"' in r.text and
          "/channel/%s/messages</code>" % cid in r.text and "Bearer" in r.text and
          "<td>422</td>" in r.text and "<td>409</td>" in r.text,
          "the docs page describes the send API")
env.check(TOKEN not in r.text, "the docs page shows no token")

# --- a send reaches the simulator, and GET follows it to delivered --------------------
before = counts()
r = send({"to": "+41793026727", "text": "Your table is ready", "communication": "TABLE_READY",
          "reference": "order-1"}, TOKEN)
j = r.json() or {}
env.check(r.status == 202 and re.match(r"^[0-9a-f]{32}$", j.get("id", "")) and
          j.get("status") == "queued", "POST: 202 with our id and status queued", r.body[:300])
env.check(r.headers.get("Location") == "%s/%s" % (MSGS, j.get("id")), "POST: Location of the message",
          r.headers.get("Location"))
env.check(j.get("to") == "+41793026727" and j.get("reference") == "order-1" and
          j.get("communication") == "TABLE_READY" and j.get("price") is None and
          "duplicate" not in j, "POST: the message's fields", j)
uid = j.get("id", "")
env.check(counts() == (before[0] + 1, before[1] + 1, before[2] + 1),
          "one message, one outbox row, one api_sends row", counts())
row = env.sql("SELECT m.author, m.text, m.recipient, s.communication, s.reference, s.token_id,"
              " s.agent_id, m.session_id IS NOT NULL FROM messages m JOIN api_sends s"
              " ON s.message_id = m.id WHERE m.uid = ?", (uid,))
env.check(row and row[0][:5] == ("api:Flow", "Your table is ready", "+41793026727", "TABLE_READY",
                                 "order-1") and row[0][6] == int(aid) and row[0][7] == 1,
          "stored: author api:Flow, text, number, communication, reference, in a session", row)
run_sender()
sim = env.sim("/_sim/messages?messageId=%s" % uid)["messages"]
env.check(len(sim) == 1 and sim[0]["to"] == "41793026727" and sim[0]["text"] == "Your table is ready",
          "the simulator got it once, with the right number and text", sim)


def status_of(u, token=TOKEN):
    return send(None, token, path="%s/%s" % (MSGS, u), method="GET")


g = env.wait_for(lambda: (lambda r: r if (r.json() or {}).get("status") == "delivered" else None)(
    status_of(uid)), timeout=15)
gj = g.json() if g else {}
env.check(g and g.status == 200 and gj.get("id") == uid, "GET: 200 with the message", gj)
env.check(gj.get("status") == "delivered" and gj["infobip"]["status_group"] == "DELIVERED" and
          gj["infobip"]["message_id"] and gj.get("sent_at") and gj.get("done_at"),
          "GET: delivered after the report, with Infobip's status and the times", gj)
env.check(gj.get("price") is None or ("amount" in gj["price"] and "currency" in gj["price"]),
          "GET: price as amount and currency when known", gj.get("price"))

# --- idempotent retries --------------------------------------------------------------
before = counts()
r = send({"to": "+41793026727", "text": "Your table is ready", "communication": "TABLE_READY",
          "reference": "order-1"}, TOKEN)
j = r.json() or {}
env.check(r.status == 200 and j.get("id") == uid and j.get("duplicate") is True and
          j.get("status") == "delivered", "retry, same reference: 200 with the first message", j)
r = send({"to": "41793026727", "text": "Your table is ready", "communication": "TABLE_READY",
          "reference": "order-1"}, TOKEN)
env.check(r.status == 200 and (r.json() or {}).get("id") == uid,
          "retry with the same number written without +: the same message", r.status)
r = send({"to": "+41793026727", "text": "Another text", "communication": "TABLE_READY",
          "reference": "order-1"}, TOKEN)
j = r.json() or {}
env.check(r.status == 422 and j.get("field") == "reference" and uid in j.get("error", ""),
          "same reference, other text: 422 on reference naming the first message", j)
r = send({"to": "+41793026728", "text": "Your table is ready", "communication": "TABLE_READY",
          "reference": "order-1"}, TOKEN)
env.check(r.status == 422 and (r.json() or {}).get("field") == "reference",
          "same reference, other number: 422", r.status)
r = send({"to": "+41793026727", "text": "Your table is ready", "reference": "order-1"}, TOKEN)
env.check(r.status == 422, "same reference, communication left out: 422", r.status)
env.check(counts() == before, "retries queued nothing", counts())

# Ten racing retries of one new reference: one message.
results = []
lock = threading.Lock()


def racer(body, token=TOKEN):
    try:
        r = send(body, token)
        out = (r.status, (r.json() or {}).get("id"))
    except Exception as e:  # noqa: BLE001
        out = ("error %s" % e, None)
    with lock:
        results.append(out)


before = counts()
threads = [threading.Thread(target=racer, args=({"to": "+41793026730", "text": "Race",
                                                 "reference": "race-1"},)) for _ in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ids = set(i for _, i in results)
env.check(len(ids) == 1 and None not in ids, "racing retries: one id for all", results)
env.check(sorted(s for s, _ in results) == [200] * 9 + [202], "racing retries: one 202, nine 200",
          results)
env.check(counts()[0] == before[0] + 1, "racing retries: one message queued", counts())

# --- 100 concurrent sends ------------------------------------------------------------
results = []
before = counts()
threads = [threading.Thread(target=racer, args=({"to": "+4915112%06d" % i, "text": "Bulk %d" % i,
                                                 "reference": "bulk-%d" % i},)) for i in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join()
env.check(len(results) == 100 and all(s == 202 for s, _ in results),
          "100 concurrent sends: 202 each", [r for r in results if r[0] != 202][:5])
env.check(len(set(i for _, i in results)) == 100, "100 distinct ids")
env.check(counts() == (before[0] + 100, before[1] + 100, before[2] + 100),
          "100 concurrent sends: 100 messages, 100 outbox rows, 100 api_sends", counts())
run_sender()
sim = env.sim("/_sim/messages")["messages"]
bulk = [m for m in sim if m["text"].startswith("Bulk ")]
env.check(len(bulk) == 100 and len(set(m["to"] for m in bulk)) == 100,
          "100 concurrent sends: each sent once", len(bulk))
env.check(all(m["to"] == "4915112%06d" % int(m["text"].split()[1]) for m in bulk),
          "each to its own number")
race = [m for m in sim if m["text"] == "Race"]
env.check(len(race) == 1, "the raced reference was sent once", len(race))

# --- refusals: each its status and reason, nothing stored -----------------------------


def refused(what, r, status, field=None, contains=None):
    j = r.json()
    ok = r.status == status and isinstance(j, dict) and isinstance(j.get("error"), str) and j["error"]
    if field is not None:
        ok = ok and j.get("field") == field
    if contains is not None:
        ok = ok and contains in j.get("error", "")
    env.check(ok, "%s: %d" % (what, status), "%s %s" % (r.status, r.body[:200]))
    return r


GOOD = {"to": "+41793026727", "text": "Hello"}
env.check(settled(), "every report arrived")
snap = env.snapshot()
r = refused("no Authorization", send(GOOD), 401)
env.check("Bearer" in r.headers.get("WWW-Authenticate", ""), "401 names the Bearer scheme")
refused("Basic scheme", send(GOOD, headers={"Authorization": "Basic " + base64.b64encode(
    b"a:b").decode()}), 401, contains="Bearer")
refused("malformed token", send(GOOD, "not-a-token"), 401, contains="malformed")
refused("token with a character too many", send(GOOD, TOKEN + "0"), 401)
refused("unknown token", send(GOOD, "ibt_" + secrets.token_hex(32)), 401, contains="unknown token")
refused("upper-case copy of the token", send(GOOD, TOKEN.upper()), 401)
refused("token of another connection", send(GOOD, TOKEN_OTHER), 403, contains="another connection")
refused("unknown connection", send(GOOD, TOKEN, path="/channel/%s/messages" % ("ab" * 16)), 404,
        contains="unknown connection")
refused("malformed connection id", send(GOOD, TOKEN, path="/channel/xyz/messages"), 404)
r = refused("GET on the send URL", send(None, TOKEN, method="GET"), 405)
env.check(r.headers.get("Allow") == "POST", "405 says Allow: POST", r.headers.get("Allow"))
r = refused("DELETE on a message", send(None, TOKEN, path="%s/%s" % (MSGS, uid), method="DELETE"),
            405)
env.check(r.headers.get("Allow") == "GET, HEAD", "405 says Allow: GET, HEAD", r.headers.get("Allow"))
refused("text/plain", send(json.dumps(GOOD), TOKEN, ctype="text/plain"), 415)
refused("charset latin-1", send(json.dumps(GOOD), TOKEN, ctype="application/json; charset=iso-8859-1"),
        415)
refused("charset given twice", send(json.dumps(GOOD), TOKEN,
                                   ctype="application/json; charset=utf-8; charset=latin1"), 415)
refused("a member given twice", send(b'{"to": "+41793026727", "text": "Hello", "text": "Bye"}',
                                     TOKEN), 422, contains="twice")
refused("text with a lone surrogate", send(b'{"to": "+41793026727", "text": "a\\ud800b"}', TOKEN),
        422, field="text", contains="UTF-8")
refused("text with a lone low surrogate", send(b'{"to": "+41793026727", "text": "\\udc00"}', TOKEN),
        422, field="text", contains="UTF-8")
refused("body over 64 KiB", send({"to": "+41793026727", "text": "x" * 70000}, TOKEN), 413)
refused("malformed JSON", send(b'{"to": "+41793026727", "text": ', TOKEN), 400)
refused("a JSON array", send([GOOD], TOKEN), 400)
refused("empty body", send(b"", TOKEN), 400)
for to, why in (("+41 79 302 67 27", "spaces"), ("079-302-6727", "dashes"), ("(41)793026727", "parens"),
                ("abc", "letters"), ("", "empty"), ("+123", "too short")):
    refused("number with %s" % why, send({"to": to, "text": "Hi"}, TOKEN), 422, field="to",
            contains="invalid phone number")
refused("number as a JSON number", send({"to": 41793026727, "text": "Hi"}, TOKEN), 422, field="to")
refused("no number", send({"text": "Hi"}, TOKEN), 422, field="to")
refused("no text", send({"to": "+41793026727"}, TOKEN), 422, field="text")
refused("text null", send({"to": "+41793026727", "text": None}, TOKEN), 422, field="text")
refused("empty text", send({"to": "+41793026727", "text": ""}, TOKEN), 422, field="text")
refused("white-space text", send({"to": "+41793026727", "text": " \n "}, TOKEN), 422, field="text")
refused("text with a bell", send({"to": "+41793026727", "text": "a\u0007b"}, TOKEN), 422,
        field="text", contains="control")
refused("text with an escape", send({"to": "+41793026727", "text": "a\u001b[2Jb"}, TOKEN), 422,
        field="text")
refused("text with a C1 control", send({"to": "+41793026727", "text": "a\u0085b"}, TOKEN), 422,
        field="text")
refused("text with NUL", send({"to": "+41793026727", "text": "a\u0000b"}, TOKEN), 422, field="text")
refused("text not UTF-8", send(b'{"to": "+41793026727", "text": "caf\xe9"}', TOKEN), 422,
        field="text", contains="UTF-8")
refused("text as an array", send({"to": "+41793026727", "text": ["Hi"]}, TOKEN), 422, field="text")
refused("lower-case communication", send(dict(GOOD, communication="spring"), TOKEN), 422,
        field="communication")
refused("communication with a dash", send(dict(GOOD, communication="SPRING-1"), TOKEN), 422,
        field="communication")
refused("empty communication", send(dict(GOOD, communication=""), TOKEN), 422, field="communication")
refused("communication as a number", send(dict(GOOD, communication=5), TOKEN), 422,
        field="communication")
refused("reference of 129 characters", send(dict(GOOD, reference="r" * 129), TOKEN), 422,
        field="reference")
refused("reference with a space", send(dict(GOOD, reference="a b"), TOKEN), 422, field="reference")
refused("empty reference", send(dict(GOOD, reference=""), TOKEN), 422, field="reference")
refused("unknown member", send(dict(GOOD, txt="typo"), TOKEN), 422, field="txt", contains='"txt"')
refused("GET of an unknown message", status_of("f" * 32), 404, contains="unknown message")
refused("GET of a malformed id", status_of("../../docs"), 404)
refused("GET with another line's token", send(None, TOKEN_OTHER, path="%s/%s" % (MSGS, uid),
                                               method="GET"), 403)
env.check(env.snapshot() == snap, "refused requests stored nothing (logs aside)")
r = send({"to": "+41793026727", "text": "r" * 10}, TOKEN)
env.check(r.status == 202 and (r.json() or {}).get("reference") is None,
          "without a reference: 202, reference null", r.body[:200])
j2 = send({"to": "+41793026727", "text": "r" * 10}, TOKEN).json() or {}
env.check(j2.get("id") and j2["id"] != r.json().get("id"),
          "without a reference, the same body twice is two messages")

# A message sent with the other agent's token is not this token's to read.
p, tok_b = token_add(aid2, cid)
env.check(p.returncode == 1, "token add refuses an agent not attached to the connection")
env.cli("agent", "attach", aid2, cid)
p, tok_b = token_add(aid2, cid)
rb = send({"to": "+41793026727", "text": "From B", "reference": "order-1"}, tok_b)
env.check(rb.status == 202 and (rb.json() or {}).get("id") != uid,
          "a reference is per attachment: another agent's order-1 is a new message", rb.status)
refused("GET of another attachment's message", status_of((rb.json() or {}).get("id", "x")), 404)

# --- long text, opted-out recipient ---------------------------------------------------
r = send({"to": "+41793026731", "text": "é" * 1700}, TOKEN)
u = (r.json() or {}).get("id")
text = env.sql1("SELECT text FROM messages WHERE uid = ?", (u,))
env.check(r.status == 202 and text and len(text) == 1600 and text.endswith("..."),
          "text over 1600 characters is cut to 1600 ending in ...", len(text or ""))
r = env.post("/channel/%s/webhook/sms" % cid, {"results": [{
    "messageId": "mo-stop-1", "from": "41793026740", "to": "447491163443", "text": "STOP"}]})
env.check(r.status == 200 and env.sql1("SELECT opted_out FROM contacts WHERE phone = '+41793026740'") == 1,
          "the contact opted out (STOP through the webhook)")
before = counts()
r = send({"to": "+41793026740", "text": "Offer", "reference": "opt-1"}, TOKEN)
j = r.json() or {}
env.check(r.status == 202 and j.get("status") == "failed" and j.get("reason") == "the contact opted out",
          "opted-out recipient: 202 with status failed, reason the contact opted out", j)
env.check(counts()[0] == before[0] + 1 and counts()[1] == before[1],
          "opted-out recipient: stored, not in the outbox", counts())
run_sender()
env.check(not env.sim("/_sim/messages?to=41793026740")["messages"] or
          all(m["text"] != "Offer" for m in env.sim("/_sim/messages?to=41793026740")["messages"]),
          "opted-out recipient: nothing sent")

# --- agent stopped, detached, connection stopped, revoked ----------------------------
run_sender()
env.check(settled(), "every report arrived")
env.cli("agent", "stop", aid)
snap = env.snapshot()
refused("agent stopped", send(GOOD, TOKEN), 403, contains="stopped")
refused("agent stopped (GET)", status_of(uid), 403)
env.check(env.snapshot() == snap, "agent stopped: nothing stored")
env.cli("agent", "start", aid)
env.check(send(GOOD, TOKEN).status == 202, "agent started again: 202")
run_sender()
env.check(settled(), "every report arrived")
env.cli("connection", "stop", cid)
snap = env.snapshot()
refused("connection stopped", send(GOOD, TOKEN), 409, contains="STOPPED")
env.check(env.snapshot() == snap, "connection stopped: nothing stored")
env.cli("connection", "start", cid)
env.check(send(GOOD, TOKEN).status == 202, "connection started again: 202")
env.cli("agent", "detach", aid2, cid)
refused("agent detached", send(GOOD, tok_b), 403, contains="attached")
tid = env.sql1("SELECT id FROM api_tokens WHERE prefix = ?", (TOKEN[:12],))
p = env.cli("token", "revoke", str(tid), check=False)
env.check(p.returncode == 0 and p.stdout.strip() == "token %d revoked" % tid, "token revoke", p.stdout)
run_sender()
env.check(settled(), "every report arrived")
snap = env.snapshot()
refused("revoked token", send(GOOD, TOKEN), 403, contains="revoked")
env.check(env.snapshot() == snap, "revoked token: nothing stored")
p = env.cli("token", "revoke", str(tid), check=False)
env.check(p.returncode == 1 and "revoked already" in p.stderr, "revoke twice: exit 1", p.stderr)
p = env.cli("connection", "logs", cid, "--event", "api")
env.check("send API request refused (403): this token was revoked" in p.stdout and
          "refused (422): invalid phone number" in p.stdout and
          "refused (401): unknown token" in p.stdout,
          "refusals are in the connection's log, counted", p.stdout[-600:])
line = [l for l in env.cli("token", "list", aid).stdout.splitlines() if l.startswith("%d\t" % tid)]
env.check(line and line[0].split("\t")[5] != "-", "token list shows when it was revoked", line)

# --- the admin: New API token, shown once; Revoke -------------------------------------
FORM = "application/x-www-form-urlencoded"
hdr = env.auth


def admin_post(user, path, fields):
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        c.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                  headers=dict(hdr(user), **{"Content-Type": FORM}))
        r = c.getresponse()
        r = Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()
    # Every POST answers 303; a page to show (a refusal, the new token) comes once after it.
    loc = r.headers.get("Location", "")
    return env.get(loc, headers=hdr(user)) if r.status == 303 and "?notice=" in loc else r


page = env.get("/admin/agents/%s" % aid, headers=hdr("ann"))
csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)
env.check(page.status == 200 and 'id="api-tokens"' in page.text and
          "/admin/agents/%s/tokens?conn=%s" % (aid, cid) in page.text,
          "the agent's page has a New API token button per attachment")
env.check(TOKEN[:12] + "..." in page.text and TOKEN not in page.text,
          "the agent's page lists its tokens by prefix only")
n_tokens = env.sql1("SELECT COUNT(*) FROM api_tokens")
r = admin_post("ann", "/admin/agents/%s/tokens?conn=%s" % (aid, cid), {})
env.check(r.status == 403 and env.sql1("SELECT COUNT(*) FROM api_tokens") == n_tokens,
          "New API token without the CSRF token: 403, none made", r.status)
vic = env.get("/admin/agents/%s" % aid, headers=hdr("vic"))
vcsrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', vic.text)
env.check(vic.status == 200 and "New API token" not in vic.text and ">Revoke<" not in vic.text,
          "a viewer sees the tokens but no buttons")
r = admin_post("vic", "/admin/agents/%s/tokens?conn=%s" % (aid, cid),
               {"csrf": vcsrf.group(1) if vcsrf else ""})
env.check(r.status == 403 and env.sql1("SELECT COUNT(*) FROM api_tokens") == n_tokens,
          "a viewer may not make a token: 403", r.status)
r = admin_post("ann", "/admin/agents/%s/tokens?conn=%s" % (aid, cid2), {"csrf": csrf})
env.check(r.status == 409 and "not attached" in r.text and
          env.sql1("SELECT COUNT(*) FROM api_tokens") == n_tokens,
          "New API token for a connection it is not attached to: refused", r.status)
r = admin_post("ann", "/admin/agents/%s/tokens?conn=%s" % (aid, cid), {"csrf": csrf})
m = re.search(r'id="new-token-value">(ibt_[0-9a-f]{64})<', r.text)
env.check(r.status == 200 and m, "New API token: 200, the token shown on the page", r.status)
env.check(r.headers.get("Cache-Control") == "no-store", "the page with the token is not cached",
          r.headers.get("Cache-Control"))
atok = m.group(1) if m else ""
ALL_TOKENS.append(atok)
env.check(send(GOOD, atok).status == 202, "the admin's token sends")
again = env.get("/admin/agents/%s" % aid, headers=hdr("ann"))
env.check(atok and atok not in again.text and atok[:12] + "..." in again.text,
          "the token is shown once: the page after lists its prefix only")
atid = env.sql1("SELECT id FROM api_tokens WHERE prefix = ?", (atok[:12],))
r = admin_post("ann", "/admin/agents/%s/tokens/revoke?id=%d" % (aid2, atid), {"csrf": csrf})
env.check(r.status == 404 and send(GOOD, atok).status == 202,
          "Revoke under another agent's page: 404, the token still works", r.status)
r = admin_post("ann", "/admin/agents/%s/tokens/revoke?id=%d" % (aid, atid), {"csrf": csrf})
env.check(r.status == 303 and "token-revoked" in r.headers.get("Location", ""),
          "Revoke: 303 back to the agent", r.status)
refused("token revoked in the admin", send(GOOD, atok), 403, contains="revoked")
r = admin_post("ann", "/admin/agents/%s/tokens/revoke?id=%d" % (aid, atid), {"csrf": csrf})
env.check(r.status == 409 and "revoked already" in r.text, "Revoke twice: refused", r.status)
logs = [t for (t,) in env.sql("SELECT text FROM logs WHERE event = 'api_token'")]
env.check(any("made for agent %s by ann" % aid in t for t in logs) and
          any("revoked by ann" in t for t in logs) and any("revoked by cli" in t for t in logs),
          "token made and revoked: in the connection's log with who did it", logs)

# --- deleting an agent takes its tokens; its sends stay for analysts -----------------
b_uid = (rb.json() or {}).get("id")
env.cli("agent", "stop", aid2)
p = env.cli("agent", "delete", aid2, check=False)
env.check(p.returncode == 0, "an agent with tokens and API sends can be deleted", p.stderr)
env.check(env.sql1("SELECT COUNT(*) FROM api_tokens WHERE agent_id = ?", (int(aid2),)) == 0,
          "its tokens went with it")
env.check(env.sql("SELECT s.agent_id, s.token_id, s.reference FROM api_sends s JOIN messages m"
                  " ON m.id = s.message_id WHERE m.uid = ?", (b_uid,)) == [(None, None, "order-1")],
          "its API sends stay, agent and token NULL")
refused("the deleted agent's token", send(GOOD, TOKEN_OTHER, path="/channel/%s/messages" % cid2),
        401, contains="unknown token")

# --- no token in plaintext anywhere ---------------------------------------------------
import hashlib  # noqa: E402
hashes = set(h for (h,) in env.sql("SELECT token_hash FROM api_tokens"))
kept = [t for t in ALL_TOKENS if t not in (TOKEN_OTHER, tok_b)]
env.check(hashes == set(hashlib.sha256(t.encode()).hexdigest() for t in kept),
          "the store holds each token's SHA-256, nothing more", (len(hashes), len(kept)))
leaks = []
for name in os.listdir(env.var):
    path = os.path.join(env.var, name)
    if not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    for t in ALL_TOKENS:
        if t.encode() in data or t[12:].encode() in data:
            leaks.append(name)
env.check(ALL_TOKENS and not leaks, "no token in the store, its WAL or any log file", leaks)
dump = json.dumps(env.snapshot(exclude=()))
env.check(not any(t[12:] in dump for t in ALL_TOKENS), "no token in any table, logs included")

env.done()
