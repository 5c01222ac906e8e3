"""The command line's operator verbs on the operations layer: connection
edit, delete, logs and urls; env list/set/unset; agent list, show, edit,
detach and delete; session close and export; user list and delete; against
a real store, lighttpd and the Infobip simulator."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, SIM_KEY  # noqa: E402

NEW_KEY = "rotated-key-9876543210zyxw"
env = Env("ops_cli")


def one_line_error(p, code, word):
    err = p.stderr.strip()
    return (p.returncode == code and err.count("\n") == 0 and err.startswith("ibchannel: ")
            and word.lower() in err.lower())


def bad(args, code, word, what):
    p = env.cli(*args, check=False)
    env.check(one_line_error(p, code, word), what, "%d %r" % (p.returncode, p.stderr))
    return p


def mo(message_id, text, frm, conn):
    body = {"results": [{"messageId": message_id, "from": frm, "to": "447491163443",
                         "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}
    return env.post("/channel/%s/webhook/sms" % conn, body)


UNKNOWN = "f" * 32

# --- connection edit: fields, the key replaced under the same id ---------------------------
cid = env.add_connection(name="Edit me")
p = env.cli("connection", "edit", cid, "--name", "Edited", "--description", "second line")
env.check(p.stdout.strip() == "saved", "edit of name and description saved", p.stdout)
env.check(env.sql1("SELECT name || '|' || description FROM connections WHERE id = ?", (cid,))
          == "Edited|second line", "edit changed only the given fields")
env.check(env.sql1("SELECT sender FROM connections WHERE id = ?", (cid,)) == "InfoSMS",
          "a field not given is kept")
p = env.cli("connection", "edit", cid, "--sender", "4915100000001")
env.check("next Start" in p.stdout, "editing a RUNNING connection says it applies at the next Start",
          p.stdout)
env.check("restart_needed: yes" in env.cli("connection", "show", cid).stdout,
          "show: the running snapshot differs from the saved configuration")
snap = env.sql1("SELECT config_snapshot FROM connections WHERE id = ?", (cid,))
env.check("InfoSMS" in snap and "4915100000001" not in snap,
          "the running connection keeps the snapshot taken at Start", snap)

# The key leaks: Infobip now takes only a new one.
env.sim("/_sim/config", {"keys": [NEW_KEY]})
p = env.cli("connection", "start", cid, check=False)
env.check(p.returncode == 1 and "API key rejected" in p.stderr, "the old key is rejected", p.stderr)
keyfile = os.path.join(env.dir, "new.key")
with open(keyfile, "w") as f:
    f.write(NEW_KEY + "\n")
p = env.cli("connection", "edit", cid, "--api-key-file", keyfile)
env.check(p.returncode == 0, "edit replaces the key", p.stderr)
p = env.cli("connection", "start", cid, check=False)
env.check(p.returncode == 0 and "RUNNING" in p.stdout,
          "start with the new key works under the same connection id", p.stdout + p.stderr)
show = env.cli("connection", "show", cid).stdout
env.check("api_key: ****" + NEW_KEY[-4:] in show and NEW_KEY not in show
          and "restart_needed: no" in show, "show: the new key masked, nothing to restart", show)
# Saving the form with the mask it showed keeps the key.
env.cli("connection", "edit", cid, "--api-key", "****" + NEW_KEY[-4:])
p = env.cli("connection", "start", cid, check=False)
env.check(p.returncode == 0, "the mask given back keeps the key", p.stderr)
enc = env.sql1("SELECT api_key_enc FROM connections WHERE id = ?", (cid,))
env.cli("connection", "edit", cid, "--api-key", "****zzzz")
env.check(env.sql1("SELECT api_key_enc FROM connections WHERE id = ?", (cid,)) == enc
          and "api_key: ****" + NEW_KEY[-4:] in env.cli("connection", "show", cid).stdout,
          "another key's mask (a stale form) keeps the key too")
p = env.cli("connection", "add", "--name", "Masked", "--api-key", "****zzzz", "--api-url",
            env.sim_url, "--sender", "Shop", check=False)
env.check(p.returncode == 2 and "paste the key itself" in p.stderr,
          "add with a mask for its key is refused", p.stderr)
env.check(env.sql1("SELECT COUNT(*) FROM connections") == 1, "no new connection was made")
env.sim("/_sim/config", {"keys": [SIM_KEY, NEW_KEY]})  # the other lines below use the first

before = env.snapshot()
bad(["connection", "edit", cid, "--sender", "123-456"], 2, "--sender", "edit: bad sender refused")
bad(["connection", "edit", cid, "--name", "tab\there"], 2, "control characters",
    "edit: control characters in the name refused")
bad(["connection", "edit", cid, "--description", "x\x1b[2J"], 2, "control characters",
    "edit: control characters in the description refused")
bad(["connection", "edit", cid, "--api-url", "ftp://x"], 2, "--api-url", "edit: bad API URL refused")
bad(["connection", "edit", cid, "--api-key", "App abc"], 2, "prefix", "edit: App prefix refused")
bad(["connection", "edit", cid, "--api-key", "k" * 20, "--api-key-file", keyfile], 2, "not both",
    "edit: --api-key and --api-key-file together refused")
bad(["connection", "edit", "nothex", "--name", "x"], 2, "connection id", "edit: malformed id")
bad(["connection", "edit", UNKNOWN, "--name", "x"], 1, "no connection", "edit: unknown id")
bad(["connection", "edit"], 2, "usage", "edit: no id")
bad(["connection", "edit", cid, "--frob", "x"], 2, "unknown option", "edit: unknown option")
env.check(env.snapshot() == before, "refused edits changed nothing")

# --- connection logs: newest first, level filter, limit, repeats -----------------------------
for i in range(3):
    env.sql("INSERT INTO logs (connection_id, level, event, text, repeats) VALUES (?, ?, ?, ?, ?)",
            (cid, ("error", "warn", "info")[i], "test_event", "entry %d" % i, 1 + i * 4))
p = env.cli("connection", "logs", cid)
lines = p.stdout.splitlines()
env.check(lines[0] == "at\tlevel\tevent\trepeats\ttext", "logs: a header", lines[:1])
rows = [l.split("\t") for l in lines[1:]]
env.check(rows[0][4] == "entry 2" and rows[1][4] == "entry 1" and rows[2][4] == "entry 0",
          "logs: newest first", repr(rows[:3]))
env.check(rows[0][1] == "info" and rows[0][3] == "9", "logs: level and repeats shown", repr(rows[0]))
p = env.cli("connection", "logs", cid, "--level", "warn")
levels = {l.split("\t")[1] for l in p.stdout.splitlines()[1:]}
env.check(levels and levels <= {"warn", "error"}, "--level warn: warnings and errors only",
          repr(levels))
p = env.cli("connection", "logs", cid, "--level", "error", "--event", "start")
env.check(all(l.split("\t")[1] == "error" and l.split("\t")[2] == "start"
              for l in p.stdout.splitlines()[1:]) and "API key rejected" in p.stdout,
          "--level error --event start: the rejected Start", p.stdout)
p = env.cli("connection", "logs", cid, "--limit", "2")
env.check(len(p.stdout.splitlines()) == 3, "--limit 2: two entries", p.stdout)
total = env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ?", (cid,))
p = env.cli("connection", "logs", cid, "--limit", "10000")
env.check(len(p.stdout.splitlines()) == total + 1, "every entry within the limit", p.stdout[-300:])
env.check(SIM_KEY not in p.stdout and NEW_KEY not in p.stdout, "no key in the logs")
bad(["connection", "logs", cid, "--level", "loud"], 2, "--level", "logs: unknown level")
bad(["connection", "logs", cid, "--limit", "0"], 2, "--limit", "logs: limit 0")
bad(["connection", "logs", cid, "--limit", "x"], 2, "--limit", "logs: limit not a number")
p = bad(["connection", "logs", UNKNOWN], 1, "no connection", "logs: unknown id")
env.check(p.stdout == "", "logs: an unknown id prints no header", p.stdout)

# --- connection urls ------------------------------------------------------------------------
p = env.cli("connection", "urls", cid)
want = {"docs": "/channel/%s/docs", "sms": "/channel/%s/webhook/sms",
        "reports": "/channel/%s/webhook/reports", "clicks": "/channel/%s/webhook/clicks"}
got = dict(l.split(": ", 1) for l in p.stdout.splitlines())
env.check(all(got.get(k) == env.base + v % cid for k, v in want.items()),
          "urls: docs and webhook URLs on the public URL", p.stdout)
env.check("loopback" in p.stderr and p.returncode == 0,
          "urls: a loopback public URL is warned about", p.stderr)
r = env.get(got["docs"][len(env.base):])
env.check(r.status == 200, "the docs URL answers", r.status)
bad(["connection", "urls", UNKNOWN], 1, "no connection", "urls: unknown id")

# --- env list / set / unset ------------------------------------------------------------------
env.cli("env", "set", cid, "INFOBIP_SHORT_DOMAIN", "go.example.com")
env.cli("connection", "env", cid, "OTHER", "x=y")
p = env.cli("env", "list", cid)
env.check(p.stdout == "INFOBIP_SHORT_DOMAIN=go.example.com\nOTHER=x=y\n", "env list, by name",
          repr(p.stdout))
env.cli("env", "unset", cid, "OTHER")
env.check(env.cli("env", "list", cid).stdout == "INFOBIP_SHORT_DOMAIN=go.example.com\n",
          "env unset removes the variable")
bad(["env", "set", cid, "INFOBIP_SHORT_DOMAIN", "a\nb"], 2, "control characters",
    "env set: control characters refused")
bad(["env", "set", cid, "bad-name", "x"], 2, "variable name", "env set: bad name")
bad(["env", "set", cid, "NAME"], 2, "usage", "env set: no value")
bad(["env", "list", UNKNOWN], 1, "no connection", "env list: unknown id")
bad(["env", "list", "xyz"], 2, "connection id", "env list: malformed id")

# --- agents: list, show, edit, detach, delete -----------------------------------------------
line = env.add_connection(name="Agent line")
aid, rules = env.add_rules_agent(line)
hkey = os.path.join(env.dir, "agent.key")
with open(hkey, "w") as f:
    f.write("agent-secret-abcdef0123\n")
hid = env.cli("agent", "add", "--name", "Hook", "--kind", "http", "--url",
              "https://agent.example.com/hook", "--api-key-file", hkey).stdout.strip()
p = env.cli("agent", "list")
lines = p.stdout.splitlines()
env.check(lines[0].startswith("id\tname\tkind\tstatus") and len(lines) == 3,
          "agent list: header and two agents", p.stdout)
hook = [l.split("\t") for l in lines if l.startswith(hid + "\t")][0]
env.check(hook[2] == "http" and hook[3] == "STOPPED" and hook[6] == "****0123"
          and "agent-secret" not in p.stdout, "agent list: kind, status, key masked", repr(hook))
p = env.cli("agent", "show", aid)
env.check("kind: rules" in p.stdout and "status: RUNNING" in p.stdout
          and "channel: %s inbound" % line in p.stdout, "agent show: fields and channels", p.stdout)
env.cli("agent", "edit", hid, "--name", "Hook 2", "--url", "https://agent2.example.com/hook")
env.check(env.sql1("SELECT name || ' ' || url FROM agents WHERE id = ?", (hid,))
          == "Hook 2 https://agent2.example.com/hook", "agent edit saved name and URL")
enc = env.sql1("SELECT api_key_enc FROM agents WHERE id = ?", (hid,))
env.check(enc and enc.startswith("v1:"), "agent edit kept the key")
bad(["agent", "edit", hid, "--url", "http://agent.example.com/hook"], 2, "must use https",
    "agent edit: plain http with a key refused")
bad(["agent", "edit", hid, "--kind", "robot"], 2, "rules, http or openai",
    "agent edit: unknown kind")
bad(["agent", "edit", hid, "--kind", "openai"], 2, "model", "agent edit: openai without a model")
bad(["agent", "edit", "999", "--name", "x"], 1, "no agent", "agent edit: unknown agent")
bad(["agent", "edit", "x1", "--name", "x"], 2, "agent number", "agent edit: not a number")
empty = os.path.join(env.dir, "empty")
open(empty, "w").close()
env.cli("agent", "edit", hid, "--api-key-file", empty, "--url", "http://agent.example.com/hook")
env.check(env.sql1("SELECT api_key_enc IS NULL FROM agents WHERE id = ?", (hid,)) == 1,
          "agent edit with an empty key file removes the key (then plain http is allowed)")
badrules = os.path.join(env.dir, "bad-rules.txt")
with open(badrules, "w") as f:
    f.write("nonsense line\n")
bad(["agent", "edit", aid, "--instructions-file", badrules], 2, "instructions",
    "agent edit: rules that do not parse refused")

# A second inbound agent is refused naming the one that holds the connection.
bad(["agent", "attach", hid, line, "--inbound"], 1, "already answers",
    "second inbound agent refused")
p = env.cli("agent", "attach", hid, line, "--inbound", check=False)
env.check('agent "Front desk"' in p.stderr and ('"Agent line" (%s)' % line[:8]) in p.stderr,
          "the refusal names the agent holding it and the connection", p.stderr)
p = env.cli("agent", "detach", aid, line)
env.check(env.sql1("SELECT COUNT(*) FROM agent_channels WHERE agent_id = ?", (aid,)) == 0,
          "agent detach", p.stderr)
env.cli("agent", "attach", hid, line, "--inbound")
env.check(env.sql1("SELECT agent_id FROM agent_channels WHERE connection_id = ? AND inbound = 1",
                   (line,)) == int(hid), "after detaching, another agent may take inbound")
bad(["agent", "detach", aid, line], 1, "not attached", "detach of what is not attached")
bad(["agent", "detach", aid, "zz"], 2, "connection id", "detach: malformed connection id")
bad(["agent", "delete", aid], 1, "stop it", "delete refused while the agent is RUNNING")
env.cli("agent", "stop", aid)
p = env.cli("agent", "delete", aid)
env.check(p.stdout.strip() == "deleted" and
          env.sql1("SELECT COUNT(*) FROM agents WHERE id = ?", (aid,)) == 0, "agent delete")
bad(["agent", "delete", aid], 1, "no agent", "delete of a deleted agent")
bad(["agent", "show", "0"], 2, "agent number", "agent show: 0 is not an agent number")

# --- sessions: close and export ---------------------------------------------------------------
sess_line = env.add_connection(name="Session line")
aid2, _ = env.add_rules_agent(sess_line, name="Desk 2")
r = mo("exp-1", "hello <there>", "4915112399001", sess_line)
env.check(r.status == 200, "MO stored", r.text)
env.cli("sender", "--once")
sid = env.sql1("SELECT id FROM sessions WHERE connection_id = ?", (sess_line,))
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE session_id = ? AND author = 'agent'",
                   (sid,)) == 1, "the agent answered")
p = env.cli("session", "export", str(sid))
try:
    doc = json.loads(p.stdout)
except ValueError:
    doc = {}
env.check(set(doc) == {"session", "contact", "data", "messages"}, "export: the four parts",
          p.stdout[:300])
s = doc.get("session", {})
env.check(s.get("id") == sid and s.get("connection") == sess_line and s.get("state") == "active"
          and s.get("channel_type") == "infobip" and s.get("connection_name") == "Session line",
          "export: the session", repr(s))
env.check(doc.get("contact", {}).get("phone") == "+4915112399001"
          and doc["contact"].get("opted_out") is False, "export: the contact", repr(doc.get("contact")))
msgs = doc.get("messages", [])
env.check(len(msgs) >= 2 and msgs[0]["direction"] == "in" and msgs[0]["text"] == "hello <there>"
          and msgs[0]["status"] == "received" and msgs[1]["direction"] == "out"
          and msgs[1]["author"] == "agent", "export: the messages in order", repr(msgs)[:400])
env.check(all(set(m) >= {"id", "uid", "at", "status", "price", "segments", "clicks",
                         "status_reason"} for m in msgs), "export: every message has its fields")
p = env.cli("session", "close", str(sid), "--user", "alice")
env.check(p.stdout.strip() == "session %d closed" % sid and env.sql1(
    "SELECT closed_at IS NOT NULL FROM sessions WHERE id = ?", (sid,)) == 1, "session close", p.stderr)
doc = json.loads(env.cli("session", "export", str(sid)).stdout)
env.check(doc["session"]["state"] == "closed" and doc["session"]["closed_at"],
          "export after close: closed", repr(doc["session"]))
bad(["session", "close", str(sid)], 1, "closed already", "closing a closed session")
bad(["session", "reply", str(sid), "--text", "hi"], 1, "closed", "no reply in a closed session")
bad(["session", "close", "999999"], 1, "no session", "close of an unknown session")
bad(["session", "export", "999999"], 1, "no session", "export of an unknown session")
bad(["session", "export", "abc"], 2, "session number", "export: not a number")
r = mo("exp-2", "again", "4915112399001", sess_line)
env.check(env.sql1("SELECT COUNT(*) FROM sessions WHERE connection_id = ?", (sess_line,)) == 2,
          "after close, the contact's next message opens a new session")

# --- users: set, list, delete -----------------------------------------------------------------
env.cli("user", "set", "alice", "admin")
env.cli("user", "set", "bob", "operator")
p = env.cli("user", "list")
env.check(p.stdout.splitlines()[0] == "username\trole\tcreated_at"
          and "alice\tadmin\t" in p.stdout and "bob\toperator\t" in p.stdout, "user list", p.stdout)
bad(["user", "delete", "alice"], 1, "only admin", "the last admin cannot be deleted")
bad(["user", "set", "alice", "viewer"], 1, "only admin", "the last admin cannot be demoted")
bad(["user", "set", "carol", "king"], 2, "admin, operator or viewer", "unknown role")
bad(["user", "set", "a:b", "viewer"], 2, "username", "bad username")
env.cli("user", "delete", "bob")
env.check("bob" not in env.cli("user", "list").stdout, "user delete")
bad(["user", "delete", "bob"], 1, "no user", "delete of an unknown user")

# --- connection delete: refused while RUNNING, messages stay ------------------------------------
msgs_before = env.sql1("SELECT COUNT(*) FROM messages WHERE connection_id = ?", (sess_line,))
bad(["connection", "delete", sess_line], 1, "stop it", "delete refused while RUNNING")
env.cli("connection", "stop", sess_line)
p = env.cli("connection", "delete", sess_line)
env.check(p.stdout.strip() == "deleted", "delete of a stopped connection", p.stderr)
env.check(sess_line not in env.cli("connection", "list").stdout, "a deleted connection is not listed")
bad(["connection", "show", sess_line], 1, "no connection", "show of a deleted connection")
bad(["connection", "start", sess_line], 1, "no connection", "start of a deleted connection")
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE connection_id = ?", (sess_line,))
          == msgs_before and msgs_before > 0, "its messages stay for analysts")
env.check(env.sql1("SELECT api_key_enc FROM connections WHERE id = ?", (sess_line,)) == "",
          "its key is erased")
env.check(env.sql1("SELECT COUNT(*) FROM agent_channels WHERE connection_id = ?", (sess_line,))
          == 0, "its agents are detached")
r = mo("exp-3", "anyone?", "4915112399001", sess_line)
env.check(r.status == 404, "its webhook answers 404", r.status)
env.check(json.loads(env.cli("session", "export", str(sid)).stdout)["session"]["connection"]
          == sess_line, "its sessions still export")
bad(["connection", "delete", sess_line], 1, "no connection", "delete twice")
bad(["connection", "delete", "nothex"], 2, "connection id", "delete: malformed id")

env.done()
