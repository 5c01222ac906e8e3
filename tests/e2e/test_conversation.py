"""Conversations end to end: keywords act only where they should and are
settings, a final delivery report from Infobip corrects our own 'failed', and
the store holds the text as it was sent."""

import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Env  # noqa: E402

env = Env("conversation")
cid = env.add_connection(sender="InfoSMS")
SMS = "/channel/%s/webhook/sms" % cid
REPORTS = "/channel/%s/webhook/reports" % cid

env.add_rules_agent(cid)

DEFAULT_OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
DEFAULT_OPT_IN = ["START", "YES", "UNSTOP"]
DEFAULT_HELP = ["HELP", "INFO"]
serial = [0]


def mo(text, frm, conn=None):
    serial[0] += 1
    mid = "conv-%d" % serial[0]
    r = env.post("/channel/%s/webhook/sms" % (conn or cid), {
        "results": [{"messageId": mid, "from": frm, "to": "447491163443", "text": text,
                     "receivedAt": "2026-11-27T10:00:00.000+0000"}],
        "messageCount": 1, "pendingMessageCount": 0})
    env.check(r.status == 200 and (r.json() or {}).get("stored") == 1,
              "MO %r from %s stored" % (text[:20], frm), r.text)
    return mid


def sender_once():
    return env.cli("sender", "--once", check=False)


def queued_for_agent(mid):
    return env.sql1("SELECT COUNT(*) FROM agent_queue q JOIN messages m ON m.id = q.message_id"
                    " WHERE m.infobip_id = ?", (mid,))


def opted_out(phone):
    return env.sql1("SELECT opted_out FROM contacts WHERE phone = ?", ("+" + phone,))


def outbound(phone, author=None):
    q = "SELECT text FROM messages WHERE direction = 'out' AND recipient = ?"
    args = ["+" + phone]
    if author:
        q += " AND author = ?"
        args.append(author)
    return [t for (t,) in env.sql(q + " ORDER BY id", args)]


def log_lines(event=None, like="%"):
    q = "SELECT text FROM logs WHERE connection_id = ? AND text LIKE ?"
    args = [cid, like]
    if event:
        q += " AND event = ?"
        args.append(event)
    return [t for (t,) in env.sql(q, args)]


def sim_messages(uid):
    return [m for m in env.sim("/_sim/messages")["messages"] if m["messageId"] == uid]


def status(uid):
    return env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,))


START_REPLY = env.cli("settings", "get", "reply_start").stdout.strip()

# --- 9. Opt-in words act only for a contact who opted out -------------------------------
phone = "4915112350001"
for text in ("Yes", " yes! ", "START"):
    mid = mo(text, phone)
    env.check(queued_for_agent(mid) == 1, "%r from a subscribed contact goes to the agent" % text)
env.check(opted_out(phone) == 0, "... and the contact stays subscribed")
env.check(outbound(phone, "system") == [], "... with no keyword reply", repr(outbound(phone)))
env.check(log_lines("opt_out", "%" + phone + "%") == [], "... and no opt-in in the log")
sender_once()
answers = outbound(phone, "agent")
env.check(len(answers) == 3 and START_REPLY not in answers,
          "the agent answered each of them", repr(outbound(phone)))

# The same words opt a contact back in once it opted out.
phone = "4915112350002"
stop = mo("stop", phone)
env.check(opted_out(phone) == 1 and queued_for_agent(stop) == 0, "STOP opts out, not to the agent")
yes = mo("YES", phone)
env.check(opted_out(phone) == 0 and queued_for_agent(yes) == 0,
          "YES from an opted-out contact opts back in, not to the agent")
env.check(outbound(phone, "system")[-1:] == [START_REPLY], "... and is answered with reply_start",
          repr(outbound(phone, "system")))
env.check(len(log_lines("opt_out", "%" + phone + "%opted back in%")) == 1,
          "... and the opt-in is logged")
again = mo("yes", phone)
env.check(queued_for_agent(again) == 1 and opted_out(phone) == 0,
          "a second YES, now subscribed, goes to the agent")

# HELP is answered for everyone; near misses are ordinary messages.
phone = "4915112350003"
h = mo("Help?", phone)
env.check(queued_for_agent(h) == 0 and len(outbound(phone, "system")) == 1,
          "HELP is answered by the help reply, not the agent")
for text in ("yes please", "Please stop", "helpful", "st op"):
    m = mo(text, phone)
    env.check(queued_for_agent(m) == 1, "%r is an ordinary message" % text)
env.check(opted_out(phone) == 0, "none of them changed the subscription")

# --- 9. The keyword lists are settings, with today's lists as defaults ------------------
listing = env.cli("settings", "list").stdout
for name, words in (("keywords_opt_out", DEFAULT_OPT_OUT), ("keywords_opt_in", DEFAULT_OPT_IN),
                    ("keywords_help", DEFAULT_HELP)):
    got = env.cli("settings", "get", name, check=False)
    env.check(got.returncode == 0 and got.stdout.strip() == ",".join(words),
              "%s defaults to %s" % (name, ",".join(words)), got.stdout + got.stderr)
    env.check(name in listing, "settings list shows %s" % name)
docs = env.get("/channel/%s/docs" % cid).text
env.check(all(w in docs for w in DEFAULT_OPT_OUT + DEFAULT_OPT_IN + DEFAULT_HELP),
          "the docs page lists the keywords")
readme = open(os.path.join(ROOT, "README.md")).read()
env.check(all(("`%s`" % ",".join(words)) in readme
              for words in (DEFAULT_OPT_OUT, DEFAULT_OPT_IN, DEFAULT_HELP)),
          "the README gives the default lists")



def setting(name, value=None):
    p = env.cli("settings", *(("set", name, value) if value is not None else ("unset", name)),
                check=False)
    env.check(p.returncode == 0, "settings %s %s" % ("set" if value is not None else "unset", name),
              p.stderr)


setting("keywords_opt_out", "ARRET, Stop please,STOP")
setting("keywords_opt_in", "REPRENDRE")
setting("keywords_help", "AIDE")
phone = "4915112350004"
mo("arret", phone)
env.check(opted_out(phone) == 1, "a word added to keywords_opt_out opts out (any case)")
y = mo("yes", phone)
env.check(opted_out(phone) == 1 and queued_for_agent(y) == 0,
          "YES, no longer an opt-in word, does not opt back in (opted out: no agent either)")
mo("Reprendre.", phone)
env.check(opted_out(phone) == 0, "a word set in keywords_opt_in opts back in")
mo("  STOP PLEASE ", phone)
env.check(opted_out(phone) == 1, "a phrase matches the whole trimmed message")
mo("start", phone)
env.check(opted_out(phone) == 1, "START, no longer an opt-in word, is an ordinary message")
phone = "4915112350005"
a = mo("aide", phone)
i = mo("INFO", phone)
env.check(queued_for_agent(a) == 0 and queued_for_agent(i) == 1,
          "keywords_help replaces HELP/INFO", repr(outbound(phone)))
docs = env.get("/channel/%s/docs" % cid).text
env.check("ARRET" in docs and "REPRENDRE" in docs and "AIDE" in docs
          and "UNSTOP" not in docs, "the docs page shows the configured words")
for name, value in (("keywords_opt_out", "x" * 65), ("keywords_help", "HELP,\tINFO"),
                    ("keywords_opt_in", "A,,B")):
    p = env.cli("settings", "set", name, value, check=False)
    env.check(p.returncode != 0, "%s %r refused" % (name, value), p.stdout + p.stderr)
setting("keywords_opt_in", "")
phone = "4915112350006"
mo("STOP", phone)
mo("REPRENDRE", phone)
env.check(opted_out(phone) == 1, "an empty keywords_opt_in turns opting back in by SMS off")
for name in ("keywords_opt_out", "keywords_opt_in", "keywords_help"):
    setting(name)
mo("unstop", phone)
env.check(opted_out(phone) == 0, "unset, the default words act again")

# --- 10. The store holds the text as it was sent ------------------------------------------
long_text = "".join(chr(0x41 + i % 26) for i in range(1700))
want = long_text[:1597] + "..."
p = env.cli("send", "--connection", cid, "--to", "4915112350010", "--text", long_text)
mid = int(p.stdout.strip())
uid, stored = env.sql("SELECT uid, text FROM messages WHERE id = ?", (mid,))[0]
env.check(stored == want, "send: a 1,700-character text is stored as the 1,600 sent",
          "%d characters" % len(stored))
env.check(len(log_lines(None, "%" + uid + "%cut to 1600 characters from 1700%")) == 1,
          "send: the cut is logged with the original length", repr(log_lines(None, "%cut%")))
sender_once()
got = sim_messages(uid)
env.check(len(got) == 1 and got[0]["text"] == stored, "send: Infobip got exactly the stored text",
          str(len(got[0]["text"])) if got else "not sent")

sid = env.sql1("SELECT session_id FROM messages WHERE id = ?", (mid,))
p = env.cli("session", "reply", str(sid), "--text", "\u00e9" * 1650, "--user", "alice")
rid = int(p.stdout.strip())
ruid, stored = env.sql("SELECT uid, text FROM messages WHERE id = ?", (rid,))[0]
env.check(stored == "\u00e9" * 1597 + "...", "session reply: stored as it will be sent",
          "%d characters" % len(stored))
env.check(len(log_lines(None, "%" + ruid + "%cut to 1600 characters from 1650%")) == 1,
          "session reply: the cut is logged")
p = subprocess.run([os.path.join(ROOT, "build", "ibchannel"), "send", "--connection", cid,
                    "--to", "4915112350010", "--text", b"caf\xc3 ok \xff end"],
                   env=env.env, capture_output=True, text=True)
# As the send API does: refused, not repaired (what an agent says is repaired: test_outbound).
env.check(p.returncode == 2 and "not valid UTF-8" in p.stderr and p.stdout == "",
          "send: invalid UTF-8 refused, nothing stored", p.stderr)
sender_once()
env.check(len(sim_messages(ruid)) == 1 and sim_messages(ruid)[0]["text"] == stored,
          "session reply: Infobip got exactly the stored text")

# An agent's long reply, through the real sender.
fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "unit", "fake_agent.py"),
                         "--port", "0"], stdout=subprocess.PIPE, text=True)
env.procs.append(fake)
fake_url = fake.stdout.readline().split()[-1]
echo_conn = env.add_connection(name="echo line")
echo = env.cli("agent", "add", "--name", "echo", "--kind", "http", "--url",
               fake_url + "/agent").stdout.strip()
env.cli("agent", "attach", echo, echo_conn, "--inbound")
env.cli("agent", "start", echo)
question = "q" * 1700
mo(question, "4915112350011", conn=echo_conn)
sender_once()
rows = env.sql("SELECT uid, text FROM messages WHERE direction = 'out' AND author = 'agent'"
               " AND connection_id = ?", (echo_conn,))
env.check(len(rows) == 1 and rows[0][1] == ("echo: " + question)[:1597] + "...",
          "agent reply: the 1,706 characters stored as the 1,600 sent", repr([len(t) for _, t in rows]))
if rows:
    env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND text LIKE ?",
                       (echo_conn, "%" + rows[0][0] + "%cut to 1600 characters from 1706%")) == 1,
              "agent reply: the cut is logged on its connection")
    sender_once()
    got = sim_messages(rows[0][0])
    env.check(len(got) == 1 and got[0]["text"] == rows[0][1], "agent reply: Infobip got the stored text")
recs = json.loads(urllib.request.urlopen(fake_url + "/_requests").read())["requests"]
env.check(any(json.loads(r["body"]).get("message") == question for r in recs),
              "the agent saw the customer's whole message")

# A short text is stored untouched and not logged.
p = env.cli("send", "--connection", cid, "--to", "4915112350010", "--text", "short")
suid = env.sql1("SELECT uid FROM messages WHERE id = ?", (int(p.stdout.strip()),))
env.check(env.sql1("SELECT text FROM messages WHERE uid = ?", (suid,)) == "short"
          and log_lines(None, "%" + suid + "%") == [], "a short text: stored as is, nothing logged")

# --- 5. Infobip's final report corrects our own 'failed' ----------------------------------
# Numbers whose messages get no report by themselves: the test pushes them.
env.sim("/_sim/config", {"outcomes": {"4915112350020": "none", "4915112350021": "none"}})


def sent_then_failed(to, text):
    """A message Infobip accepted, that we then marked failed: our guess (e.g.
    a send we gave up on that Infobip had taken after all)."""
    p = env.cli("send", "--connection", cid, "--to", to, "--text", text)
    u = env.sql1("SELECT uid FROM messages WHERE id = ?", (int(p.stdout.strip()),))
    sender_once()
    env.check(status(u) == "accepted" and len(sim_messages(u)) == 1, "%s accepted by Infobip" % text)
    env.sql("UPDATE messages SET status = 'failed', status_description = 'gave up after 5"
            " attempts; Infobip may have it, so it was not sent again' WHERE uid = ?", (u,))
    return u


def push(u, outcome):
    r = env.sim("/_sim/dlr", {"messageId": u, "outcome": outcome})
    env.check(r.get("status") == 200, "report %s for %s answered 200" % (outcome, u), json.dumps(r))


u = sent_then_failed("4915112350020", "corrected")
push(u, "delivered")
row = env.sql("SELECT status, status_group, status_name FROM messages WHERE uid = ?", (u,))[0]
env.check(row == ("delivered", "DELIVERED", "DELIVERED_TO_HANDSET"),
          "DELIVERED from Infobip overrides our own failed", repr(row))
corr = log_lines("report", "%" + u + "%")
env.check(len(corr) == 1 and "failed" in corr[0] and "delivered" in corr[0]
          and "gave up after 5 attempts" in corr[0],
          "the correction is logged with what we had thought", repr(corr))
push(u, "undeliverable")
env.check(status(u) == "delivered", "a later final report does not overwrite Infobip's first")
env.check(env.sql1("SELECT COUNT(*) FROM message_events WHERE message_uid = ? AND kind = 'report'",
                   (u,)) == 2, "both reports kept as events")
env.check(len(log_lines("report", "%" + u + "%")) == 1, "... and only the correction logged")

u = sent_then_failed("4915112350021", "still failed")
push(u, "pending")
env.check(status(u) == "failed", "a late PENDING does not overwrite failed")
env.check(log_lines("report", "%" + u + "%") == [], "... and nothing is logged as corrected")
push(u, "expired")
env.check(status(u) == "expired", "EXPIRED from Infobip overrides our own failed")

# A report that came before its message: kept, then applied by the sender.
early = {"results": [{"messageId": "early-failed-1", "to": "4915112350022", "status": {
    "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset"}}]}
r = env.post(REPORTS, early)
env.check(r.status == 200 and (r.json() or {}).get("pending") == 1, "early report kept", r.text)
env.sql("INSERT INTO messages (uid, connection_id, direction, author, sender, recipient, text,"
        " status, status_description) VALUES ('early-failed-1', ?, 'out', 'agent', 'InfoSMS',"
        " '+4915112350022', 'x', 'failed', 'not sent: our guess')", (cid,))
sender_once()
env.check(status("early-failed-1") == "delivered", "a kept final report corrects failed too")
env.check(len(log_lines("report", "%early-failed-1%our guess%")) == 1,
          "... and the correction is logged")

# --- An idle session is closed by the contact's next MO, which opens a new one ----------
def open_sessions(phone):
    return [sid for (sid,) in env.sql(
        "SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
        " WHERE c.phone = ? AND s.closed_at IS NULL ORDER BY s.id", ("+" + phone,))]


def session_of(mid):
    return env.sql1("SELECT session_id FROM messages WHERE infobip_id = ?", (mid,))


idle_phone = "4915112350033"
first = mo("hello", idle_phone)
fresh = mo("still there?", idle_phone)
old = open_sessions(idle_phone)
env.check(len(old) == 1 and session_of(first) == old[0] == session_of(fresh)
          and queued_for_agent(fresh) == 1,
          "a session not idle is kept for the next MO, which goes to the agent", repr(old))
env.sql("UPDATE sessions SET last_at = '2000-01-01 00:00:00.000' WHERE id = ?", ((old[:1] or [0])[0],))
later = mo("back again", idle_phone)
new = open_sessions(idle_phone)
env.check(len(new) == 1 and old != new and session_of(later) == new[0]
          and env.sql1("SELECT COUNT(*) FROM sessions WHERE id = ? AND closed_at IS NOT NULL",
                       ((old[:1] or [0])[0],)) == 1
          and queued_for_agent(later) == 1,
          "an idle session is closed by the next MO, which opens a new one and goes to the agent",
          repr((old, new)))
env.done()
