"""The command line and the admin give identical results for the same action.

For agents (add, edit, attach with and without Inbound, detach, start, stop,
delete), sessions (take over, reply, hand back, close, export) and user
delete: each action is done once with 'ibchannel' on one object and once
through the admin over HTTP (as a browser fills its forms) on an equivalent
object; the store rows that the action leaves are compared with the ids,
times and random uids left out, and so are the connection log lines it
writes. A refusal is compared by its outcome: the exit status and the HTTP
status say the same kind (bad input 2/400, unknown 1/404, not in this state
1/409), the reason is the same text, and neither changed the store."""

import html
import html.parser
import http.client
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "otto": "otto-pw"}
env = Env("admin_parity", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator"})
FORM = "application/x-www-form-urlencoded"
SENDER = "447491163443"

# The kinds of outcome: the command line's exit status and the admin's HTTP status.
DONE, INVALID, NOT_FOUND, REFUSED = "done", "invalid", "not found", "refused"
CLI_STATUS = {DONE: 0, INVALID: 2, NOT_FOUND: 1, REFUSED: 1}
HTTP_STATUS = {DONE: 303, INVALID: 400, NOT_FOUND: 404, REFUSED: 409}


# --- the admin, as a browser uses it ---------------------------------------------
hdr = env.auth


def get(path, user="ann"):
    return env.get(path, headers=hdr(user))


TOKENS = {}
TOKEN_PAGES = ["/admin/users"]     # pages with a POST form, for reading a user's token


def token(user):
    for path in TOKEN_PAGES:
        if user in TOKENS:
            break
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', get(path, user).text)
        if m:
            TOKENS[user] = m.group(1)
    return TOKENS.get(user, "")


def post(path, fields, user="ann"):
    """POSTs a form as user with their CSRF token. Every POST answers 303: a
    success's (?done=) is returned as it is; a refusal's (?notice=) is followed
    to the page that shows it once, as a browser would."""
    body = urllib.parse.urlencode(dict(fields, csrf=token(user)))
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        c.request("POST", path, body=body.encode(),
                  headers=dict(hdr(user), **{"Content-Type": FORM}))
        r = c.getresponse()
        r = Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()
    loc = r.headers.get("Location", "")
    return get(loc, user) if r.status == 303 and "?notice=" in loc else r


class FormReader(html.parser.HTMLParser):
    """The fields a browser submits for each POST form of a page, by action:
    inputs with their value (checkboxes only when checked), the selected
    option (else the first), and a textarea's text without the first
    newline after its tag and with CR LF line breaks, as browsers send it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.cur = None
        self.select = None
        self.area = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self.cur = []
            self.forms.append((a.get("action"), self.cur))
            return
        if self.cur is None or "name" not in a:
            if tag == "option" and self.select is not None:
                self.select["options"].append((a.get("value", ""), "selected" in a))
            return
        if tag == "input":
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.cur.append([a["name"], a.get("value") or ""])
        elif tag == "select":
            self.select = {"name": a["name"], "options": []}
        elif tag == "textarea":
            self.area = [a["name"], ""]

    def handle_data(self, data):
        if self.area is not None:
            self.area[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.cur = None
        elif tag == "select" and self.select is not None and self.cur is not None:
            opts = self.select["options"]
            chosen = [v for v, sel in opts if sel] or [v for v, _ in opts[:1]]
            self.cur.append([self.select["name"], chosen[0] if chosen else ""])
            self.select = None
        elif tag == "textarea" and self.area is not None and self.cur is not None:
            text = self.area[1]
            if text.startswith("\n"):
                text = text[1:]
            self.cur.append([self.area[0], text.replace("\r\n", "\n").replace("\n", "\r\n")])
            self.area = None


def form_of(page, action, **match):
    """What a browser would submit from the page's first form posting to
    action whose fields hold match (csrf left out); None when there is none."""
    p = FormReader()
    p.feed(page)
    for act, fields in p.forms:
        got = {k: v for k, v in fields if k != "csrf"}
        if act == action and all(got.get(k) == v for k, v in match.items()):
            return got
    return None


def admin_reason(r):
    """What the admin page says about a refusal: the callouts and the errors by the fields."""
    texts = re.findall(r'<div class="callout bad" role="note"><strong>[^<]*</strong> (.*?)</div>',
                       r.text, re.S)
    texts += re.findall(r'<p class="error" id="e-[a-z_]+">(.*?)</p>', r.text, re.S)
    return [html.unescape(t) for t in texts]


def cli_reason(p):
    """What the command line said about a refusal, without "ibchannel: --option: "."""
    line = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    return re.sub(r"^ibchannel: (--[a-z-]+: )?", "", line)


# --- comparing ------------------------------------------------------------------
class Side:
    """One side's objects: what its ids become in a comparison."""

    def __init__(self, actor, **ids):
        self.actor = actor
        self.ids = dict(ids)

    # The labels of objects numbered by the store (agents and sessions); a
    # connection's short id may be all digits too, and is still a word.
    NUMBERED = ("agent", "hook", "model", "session")

    def norm(self, v):
        """v with each id as its label: a number where it follows "agent" or
        "session" (not "line 1" of a rules text), a name or connection id as
        a whole word; and the actor."""
        if not isinstance(v, str):
            return v
        for label, value in self.ids.items():
            value = str(value)
            if label in self.NUMBERED:
                v = re.sub(r"\b(agent|session) %s(?!\w)" % value, r"\1 <%s>" % label, v)
            else:
                v = re.sub(r"(?<![\w-])%s(?![\w-])" % re.escape(value), "<%s>" % label, v)
        return re.sub(r"(?<![\w:-])%s(?![\w-])" % re.escape(self.actor), "<actor>", v)

    def rows(self, rows):
        return [tuple(self.norm(v) for v in row) for row in rows]


def last_log():
    return env.sql1("SELECT COALESCE(MAX(id), 0) FROM logs")


def logs(side, conn, since):
    """The connection's log lines after entry since, ids and actor named alike."""
    # "IS ?" (equal or both NULL) is SQLite's only: a NULL conn is a test of its own
    if conn is None:
        return side.rows(env.sql("SELECT level, event, text FROM logs WHERE id > ? AND"
                                 " connection_id IS NULL ORDER BY id", (since,)))
    return side.rows(env.sql("SELECT level, event, text FROM logs WHERE id > ? AND"
                             " connection_id = ? ORDER BY id", (since, conn)))


def same(what, cli_state, adm_state):
    env.check(cli_state == adm_state, "%s: the same from the command line and the admin" % what,
              "\n  cli:   %r\n  admin: %r" % (cli_state, adm_state))


def same_refusal(what, kind, p, r, cli_side, adm_side, before):
    """Both refused alike: the kind, the reason (ids named alike), nothing stored."""
    env.check(p.returncode == CLI_STATUS[kind], "%s: the command line says %s (exit %d)"
              % (what, kind, CLI_STATUS[kind]), "%d %r" % (p.returncode, p.stderr))
    env.check(r.status == HTTP_STATUS[kind], "%s: the admin says %s (%d)"
              % (what, kind, HTTP_STATUS[kind]), "%d %r" % (r.status, admin_reason(r)))
    reason = cli_side.norm(cli_reason(p))
    shown = [adm_side.norm(t) for t in admin_reason(r)]
    env.check(reason != "" and reason in shown, "%s: the same reason from both" % what,
              "\n  cli:   %r\n  admin: %r" % (reason, shown))
    env.check(env.snapshot() == before, "%s: nothing changed" % what)


def done(what, p, r, notice=None):
    env.check(p.returncode == 0, "%s: the command line does it" % what,
              "%d %r" % (p.returncode, p.stderr))
    loc = r.headers.get("Location", "")
    env.check(r.status == 303 and (notice is None or ("done=%s" % notice) in loc),
              "%s: the admin does it (303%s)" % (what, " ?done=" + notice if notice else ""),
              "%d %s %r" % (r.status, loc, admin_reason(r)))
    return loc


def new_id(r):
    return r.headers.get("Location", "").split("?")[0].rstrip("/").split("/")[-1]


# --- agents -----------------------------------------------------------------------
def agent_state(aid, side, conns):
    """The agent's row and attachments (connections by label), its key as shown."""
    row = (env.sql("SELECT name, kind, instructions, url, model, api_key_enc IS NULL,"
                            " status FROM agents WHERE id = ?", (aid,)))
    chans = sorted((conns.get(c, c), inbound) for c, inbound in env.sql(
        "SELECT connection_id, inbound FROM agent_channels WHERE agent_id = ?", (aid,)))
    shown = env.cli("agent", "show", str(aid), check=False)
    key = re.search(r"^api_key: (.*)$", shown.stdout, re.M)
    return row, chans, key.group(1) if key else None


# Two lines: the command line's agents are attached to one, the admin's to the other.
# Names are unique: each side's name and short id (in messages) are labelled too.
conn_cli = env.add_connection(name="Line one", sender=SENDER)
conn_adm = env.add_connection(name="Line two", sender=SENDER)
cli_side = Side("cli", conn=conn_cli, conn_name="Line one", conn_short=conn_cli[:8])
adm_side = Side("ann", conn=conn_adm, conn_name="Line two", conn_short=conn_adm[:8])
CONNS_CLI = {conn_cli: "line"}
CONNS_ADM = {conn_adm: "line"}

rules_text = ("greeting: Hello from the twin desk.\n"
              "rule: hours, open => We are open 9 to 5.\n"
              "fallback: Someone will answer soon.\n")
rules_file = os.path.join(env.dir, "twin-rules.txt")
with open(rules_file, "w") as f:
    f.write(rules_text)
key_file = os.path.join(env.dir, "twin.key")
with open(key_file, "w") as f:
    f.write("agent-secret-0123456789abcdef\n")
empty_file = os.path.join(env.dir, "empty.key")
open(empty_file, "w").close()

# add: a rules agent, an http agent with a key, an openai agent
twins = []
for kind, opts, fields in (
        ("rules", ["--instructions-file", rules_file],
         {"instructions": rules_text.replace("\n", "\r\n")}),
        ("http", ["--url", "https://agent.example.com/answer", "--api-key-file", key_file],
         {"url": "https://agent.example.com/answer", "api_key": "agent-secret-0123456789abcdef"}),
        ("openai", ["--url", "https://llm.example.com/v1", "--model", "small-1",
                    "--api-key-file", key_file, "--instructions-file", rules_file],
         {"url": "https://llm.example.com/v1", "model": "small-1",
          "api_key": "agent-secret-0123456789abcdef", "instructions": rules_text})):
    p = env.cli("agent", "add", "--name", "Twin " + kind, "--kind", kind, *opts, check=False)
    # The new agent form as a browser sends it: every field, the empty ones too.
    form = form_of(get("/admin/agents/new").text, "/admin/agents/new")
    env.check(form is not None and {"name", "kind", "instructions", "url", "model",
                                    "api_key"} <= set(form), "the new agent form's fields",
              repr(form))
    form = dict(form or {}, name="Twin " + kind, kind=kind, **fields)
    r = post("/admin/agents/new", form)
    done("agent add (%s)" % kind, p, r, "agent-created")
    a_cli, a_adm = p.stdout.strip(), new_id(r)
    twins.append((a_cli, a_adm))
    same("agent add (%s)" % kind, agent_state(a_cli, cli_side, CONNS_CLI),
         agent_state(a_adm, adm_side, CONNS_ADM))
(rules_cli, rules_adm), (http_cli, http_adm), (ai_cli, ai_adm) = twins
cli_side.ids.update(agent=rules_cli, hook=http_cli, model=ai_cli)
adm_side.ids.update(agent=rules_adm, hook=http_adm, model=ai_adm)

# add refused: bad input, the same first problem
before = env.snapshot()
p = env.cli("agent", "add", "--name", "Bad", "--kind", "magic", check=False)
r = post("/admin/agents/new", {"name": "Bad", "kind": "magic", "instructions": "", "url": "",
                               "model": "", "api_key": ""})
same_refusal("agent add with an unknown kind", INVALID, p, r, cli_side, adm_side, before)
p = env.cli("agent", "add", "--name", "Bad", "--kind", "http", "--url", "http://example.com/a",
            "--api-key-file", key_file, check=False)
r = post("/admin/agents/new", {"name": "Bad", "kind": "http", "instructions": "",
                               "url": "http://example.com/a", "model": "",
                               "api_key": "agent-secret-0123456789abcdef"})
same_refusal("agent add: a key over plain http", INVALID, p, r, cli_side, adm_side, before)


def panel_form(aid):
    """The agent's Settings form as the panel fills it."""
    return form_of(get("/admin/agents/%s" % aid).text, "/admin/agents/%s" % aid)


# edit: new name and URL, the key kept (the admin sends the mask it shows)
p = env.cli("agent", "edit", http_cli, "--name", "Twin hook", "--url",
            "https://agent2.example.com/answer", check=False)
form = panel_form(http_adm)
env.check(form is not None and form.get("api_key", "").startswith("*"),
          "the agent form shows the key masked", repr(form))
form = dict(form or {}, name="Twin hook", url="https://agent2.example.com/answer")
r = post("/admin/agents/%s" % http_adm, form)
done("agent edit (name, URL; key kept)", p, r, "saved")
same("agent edit (name, URL; key kept)", agent_state(http_cli, cli_side, CONNS_CLI),
     agent_state(http_adm, adm_side, CONNS_ADM))

# edit: the key removed, then plain http on this machine is allowed
p = env.cli("agent", "edit", http_cli, "--api-key-file", empty_file, "--url",
            "http://127.0.0.1:9/answer", check=False)
form = dict(panel_form(http_adm) or {}, api_key="", url="http://127.0.0.1:9/answer")
r = post("/admin/agents/%s" % http_adm, form)
done("agent edit (key removed)", p, r, "saved")
same("agent edit (key removed)", agent_state(http_cli, cli_side, CONNS_CLI),
     agent_state(http_adm, adm_side, CONNS_ADM))

# edit: new rules, typed in the browser's textarea (CR LF) and read from a file (LF)
new_rules = rules_text + "ask: name => What is your name?\n"
with open(rules_file, "w") as f:
    f.write(new_rules)
p = env.cli("agent", "edit", rules_cli, "--instructions-file", rules_file, check=False)
form = dict(panel_form(rules_adm) or {}, instructions=new_rules.replace("\n", "\r\n"))
r = post("/admin/agents/%s" % rules_adm, form)
done("agent edit (instructions)", p, r, "saved")
same("agent edit (instructions)", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))

# edit: a name change alone keeps the instructions as they are
p = env.cli("agent", "edit", rules_cli, "--name", "Twin desk", check=False)
form = dict(panel_form(rules_adm) or {}, name="Twin desk")
r = post("/admin/agents/%s" % rules_adm, form)
done("agent edit (name only)", p, r, "saved")
same("agent edit (name only)", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))

# edit refused: openai without a model; rules that do not parse
before = env.snapshot()
p = env.cli("agent", "edit", ai_cli, "--model", "", check=False)
r = post("/admin/agents/%s" % ai_adm, dict(panel_form(ai_adm) or {}, model=""))
same_refusal("agent edit: openai without a model", INVALID, p, r, cli_side, adm_side, before)
bad_rules = os.path.join(env.dir, "bad-rules.txt")
with open(bad_rules, "w") as f:
    f.write("rule: => nothing\n")
p = env.cli("agent", "edit", rules_cli, "--instructions-file", bad_rules, check=False)
r = post("/admin/agents/%s" % rules_adm, dict(panel_form(rules_adm) or {},
                                              instructions="rule: => nothing\r\n"))
same_refusal("agent edit: rules that do not parse", INVALID, p, r, cli_side, adm_side, before)
p = env.cli("agent", "edit", "999999", "--name", "Nobody", check=False)
r = post("/admin/agents/999999", {"name": "Nobody"})
env.check(p.returncode == 1 and r.status == 404, "agent edit of an unknown agent: 1 and 404",
          "%d %d" % (p.returncode, r.status))
env.check(env.snapshot() == before, "agent edit refused: nothing changed")


def attach_form(aid, conn):
    """The Add form of the Communication channels card, with conn chosen."""
    form = form_of(get("/admin/agents/%s" % aid).text, "/admin/agents/%s/attach" % aid)
    env.check(form is not None and "conn" in form and form.get("inbound") == "1",
              "the attach form: a connection and Inbound on", repr(form))
    return dict(form or {}, conn=conn)


# attach with Inbound on
since = last_log()
p = env.cli("agent", "attach", rules_cli, conn_cli, "--inbound", check=False)
r = post("/admin/agents/%s/attach" % rules_adm, attach_form(rules_adm, conn_adm))
done("agent attach with Inbound", p, r, "attached")
same("agent attach with Inbound", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))
same("agent attach with Inbound: the log", logs(cli_side, conn_cli, since),
     logs(adm_side, conn_adm, since))
env.check(logs(cli_side, conn_cli, since) != [], "agent attach is logged")

# a second inbound agent on the line: refused by both, naming the holder
before = env.snapshot()
p = env.cli("agent", "attach", http_cli, conn_cli, "--inbound", check=False)
r = post("/admin/agents/%s/attach" % http_adm, attach_form(http_adm, conn_adm))
same_refusal("a second inbound agent", REFUSED, p, r, cli_side, adm_side, before)
env.check("already answers" in cli_reason(p) and '"Twin desk"' in cli_reason(p),
          "the refusal names the agent holding the line", cli_reason(p))

# attach without Inbound (outbound only): the switch left off
since = last_log()
p = env.cli("agent", "attach", http_cli, conn_cli, check=False)
form = attach_form(http_adm, conn_adm)
form.pop("inbound", None)
r = post("/admin/agents/%s/attach" % http_adm, form)
done("agent attach without Inbound", p, r, "attached")
same("agent attach without Inbound", agent_state(http_cli, cli_side, CONNS_CLI),
     agent_state(http_adm, adm_side, CONNS_ADM))
same("agent attach without Inbound: the log", logs(cli_side, conn_cli, since),
     logs(adm_side, conn_adm, since))

# the Inbound switch turned off on an attached agent (the row's own Save form)
since = last_log()
p = env.cli("agent", "attach", rules_cli, conn_cli, check=False)
page = get("/admin/agents/%s" % rules_adm).text
rows = re.findall(r'<li class="attachment" data-conn="%s">(.*?)</li>' % conn_adm, page, re.S)
form = form_of(rows[0] if rows else "", "/admin/agents/%s/attach" % rules_adm)
env.check(form is not None and form.get("conn") == conn_adm and form.get("inbound") == "1",
          "the attachment's form: its connection, Inbound on", repr(form))
form = dict(form or {})
form.pop("inbound", None)
r = post("/admin/agents/%s/attach" % rules_adm, form)
done("Inbound switched off", p, r, "attached")
same("Inbound switched off", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))
same("Inbound switched off: the log", logs(cli_side, conn_cli, since),
     logs(adm_side, conn_adm, since))

# attach to a connection that does not exist: refused by both
before = env.snapshot()
p = env.cli("agent", "attach", rules_cli, "f" * 32, check=False)
r = post("/admin/agents/%s/attach" % rules_adm, {"conn": "f" * 32})
same_refusal("attach to an unknown connection", NOT_FOUND, p, r, cli_side, adm_side, before)

# detach (the Detach button posts to ?conn=)
since = last_log()
p = env.cli("agent", "detach", http_cli, conn_cli, check=False)
page = get("/admin/agents/%s" % http_adm).text
action = "/admin/agents/%s/detach?conn=%s" % (http_adm, conn_adm)
env.check(form_of(page, action) == {}, "the attachment has a Detach button", action)
r = post(action, {})
done("agent detach", p, r, "detached")
same("agent detach", agent_state(http_cli, cli_side, CONNS_CLI),
     agent_state(http_adm, adm_side, CONNS_ADM))
same("agent detach: the log", logs(cli_side, conn_cli, since), logs(adm_side, conn_adm, since))

# detach again: not attached, refused by both
before = env.snapshot()
p = env.cli("agent", "detach", http_cli, conn_cli, check=False)
r = post(action, {})
same_refusal("detach what is not attached", NOT_FOUND, p, r, cli_side, adm_side, before)

# start, then delete refused while RUNNING, stop, delete
p = env.cli("agent", "start", rules_cli, check=False)
r = post("/admin/agents/%s/start" % rules_adm, {})
done("agent start", p, r, "agent-started")
same("agent start", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))
before = env.snapshot()
p = env.cli("agent", "delete", rules_cli, check=False)
r = post("/admin/agents/%s/delete" % rules_adm, {})
same_refusal("deleting a RUNNING agent", REFUSED, p, r, cli_side, adm_side, before)
env.check("RUNNING" in cli_reason(p), "the refusal says it is RUNNING", cli_reason(p))
p = env.cli("agent", "stop", rules_cli, check=False)
r = post("/admin/agents/%s/stop" % rules_adm, {})
done("agent stop", p, r, "agent-stopped")
same("agent stop", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))
p = env.cli("agent", "delete", rules_cli, check=False)
r = post("/admin/agents/%s/delete" % rules_adm, {})
done("agent delete", p, r, "deleted")
same("agent delete", agent_state(rules_cli, cli_side, CONNS_CLI),
     agent_state(rules_adm, adm_side, CONNS_ADM))
env.check(env.sql1("SELECT COUNT(*) FROM agents WHERE id IN (?, ?)", (rules_cli, rules_adm)) == 0
          and env.sql1("SELECT COUNT(*) FROM agent_channels WHERE agent_id IN (?, ?)",
                       (rules_cli, rules_adm)) == 0, "agent delete: both gone, with their links")
before = env.snapshot()
for verb in ("start", "stop", "delete"):
    p = env.cli("agent", verb, rules_cli, check=False)
    r = post("/admin/agents/%s/%s" % (rules_adm, verb), {})
    env.check(p.returncode == 1 and r.status == 404,
              "agent %s of a deleted agent: 1 and 404" % verb, "%d %d" % (p.returncode, r.status))
env.check(env.snapshot() == before, "agent actions on a deleted agent: nothing changed")


# A refused connection edit says why by the field too (the panel once emptied the text).
before = env.snapshot()
p = env.cli("connection", "edit", conn_cli, "--api-url", "ftp://x.example.com", check=False)
form = form_of(get("/admin/connections/%s" % conn_adm).text, "/admin/connections/%s" % conn_adm)
env.check(form is not None and "api_url" in form, "the connection form", repr(form))
r = post("/admin/connections/%s" % conn_adm, dict(form or {}, api_url="ftp://x.example.com"))
same_refusal("connection edit: a bad API URL", INVALID, p, r, cli_side, adm_side, before)


# --- sessions --------------------------------------------------------------------
CONTACT = "41793026727"
mo = 0


def inbound(conn, text):
    """An SMS from CONTACT to the line; the session it is in."""
    global mo
    mo += 1
    r = env.post("/channel/%s/webhook/sms" % conn, {
        "results": [{"messageId": "parity-%d" % mo, "from": CONTACT, "to": SENDER,
                     "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
        "messageCount": 1, "pendingMessageCount": 0})
    env.check(r.status == 200, "an SMS is stored", r.text)
    return env.sql1("SELECT session_id FROM messages WHERE infobip_id = ?", ("parity-%d" % mo,))


def session_state(sid, side):
    """The session's row and its messages, outbox rows and the contact, ids left out."""
    sess = side.rows(env.sql(
        "SELECT channel_type, responsible, data, collect_step, closed_at IS NULL,"
        " agent_id IS NULL, contact_id = (SELECT id FROM contacts WHERE phone = ?)"
        " FROM sessions WHERE id = ?", ("+" + CONTACT, sid)))
    msgs = side.rows(env.sql(
        "SELECT direction, author, sender, recipient, text, infobip_id IS NULL, bulk_id, status,"
        " status_group, status_name, status_description, error_name, error_description,"
        " price, currency, sms_count, contact_id IS NOT NULL, length(uid) > 0"
        " FROM messages WHERE session_id = ? ORDER BY id", (sid,)))
    outbox = side.rows(env.sql(
        "SELECT o.attempts, o.lease_owner, o.priority, o.last_error, o.unsure_since,"
        " o.not_found, o.held_since FROM outbox o JOIN messages m ON m.id = o.message_id"
        " WHERE m.session_id = ? ORDER BY o.message_id", (sid,)))
    return sess, msgs, outbox


# Two lines with the same number; the contact writes to each: two alike sessions.
sconn_cli = env.add_connection(name="Desk one", sender=SENDER)
sconn_adm = env.add_connection(name="Desk two", sender=SENDER)
s_cli = inbound(sconn_cli, "Hello, is anyone there?")
s_adm = inbound(sconn_adm, "Hello, is anyone there?")
env.check(s_cli and s_adm and s_cli != s_adm, "two sessions", "%r %r" % (s_cli, s_adm))
TOKEN_PAGES.append("/admin/sessions/%s" % s_adm)   # the reply form: otto's token
ss_cli = Side("otto", conn=sconn_cli, conn_name="Desk one", conn_short=sconn_cli[:8],
              session=s_cli)
ss_adm = Side("otto", conn=sconn_adm, conn_name="Desk two", conn_short=sconn_adm[:8],
              session=s_adm)
same("sessions as they start", session_state(s_cli, ss_cli), session_state(s_adm, ss_adm))

# take over: the operator otto, named with --user on the command line
since = last_log()
p = env.cli("session", "takeover", str(s_cli), "--user", "otto", check=False)
r = post("/admin/sessions/%s/takeover" % s_adm, {}, user="otto")
done("session take over", p, r, "takenover")
env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (s_cli,)) == "otto",
          "the command line's session is otto's")
same("session take over", session_state(s_cli, ss_cli), session_state(s_adm, ss_adm))
same("session take over: the log", logs(ss_cli, sconn_cli, since), logs(ss_adm, sconn_adm, since))

# reply
since = last_log()
p = env.cli("session", "reply", str(s_cli), "--text", "Yes, Otto here. How can I help?",
            "--user", "otto", check=False)
form = form_of(get("/admin/sessions/%s" % s_adm, "otto").text, "/admin/sessions/%s/reply" % s_adm)
env.check(form is not None and "text" in form, "the session page has a reply form", repr(form))
r = post("/admin/sessions/%s/reply" % s_adm,
         dict(form or {}, text="Yes, Otto here. How can I help?"), user="otto")
done("session reply", p, r, "replied")
same("session reply", session_state(s_cli, ss_cli), session_state(s_adm, ss_adm))
same("session reply: the log", logs(ss_cli, sconn_cli, since), logs(ss_adm, sconn_adm, since))
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE session_id IN (?, ?) AND"
                   " author = 'operator:otto' AND status = 'queued'", (s_cli, s_adm)) == 2,
          "both replies are otto's, queued")

# an empty reply: refused by both, nothing stored
before = env.snapshot()
p = env.cli("session", "reply", str(s_cli), "--text", "", "--user", "otto", check=False)
r = post("/admin/sessions/%s/reply" % s_adm, {"text": ""}, user="otto")
same_refusal("an empty reply", INVALID, p, r, ss_cli, ss_adm, before)

# hand back
since = last_log()
p = env.cli("session", "release", str(s_cli), "--user", "otto", check=False)
r = post("/admin/sessions/%s/release" % s_adm, {}, user="otto")
done("session hand back", p, r, "released")
same("session hand back", session_state(s_cli, ss_cli), session_state(s_adm, ss_adm))
same("session hand back: the log", logs(ss_cli, sconn_cli, since), logs(ss_adm, sconn_adm, since))

# the customer writes again; then export: the same document but for ids and times
inbound(sconn_cli, "Thanks! One more thing.")
inbound(sconn_adm, "Thanks! One more thing.")
TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")


def export_shape(doc, side):
    """The export with times, numbers that are ids and uids named by what they are."""
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            if isinstance(v, str) and TIME.match(v):
                v = "<time>"
            elif k in ("uid", "message_uid") and isinstance(v, str):
                v = "<uid>"
            elif k == "infobip_id" and isinstance(v, str) and v.startswith("parity-"):
                v = "<mo>"
            elif k in ("id", "message_id", "session_id", "contact_id") and isinstance(v, int):
                v = "<%s>" % k
            out[k] = export_shape(v, side)
        return out
    if isinstance(doc, list):
        return [export_shape(v, side) for v in doc]
    if isinstance(doc, str):
        return side.norm(doc)
    return doc


def exported(sid, side):
    p = env.cli("session", "export", str(sid), check=False)
    r = get("/admin/sessions/%s/export" % sid, "otto")
    try:
        from_cli = json.loads(p.stdout)
    except ValueError:
        from_cli = None
    try:
        from_adm = json.loads(r.text)
    except ValueError:
        from_adm = None
    env.check(p.returncode == 0 and r.status == 200 and from_cli is not None
              and from_cli == from_adm,
              "export of session %s: the same document from both" % sid,
              "%d %d\n  cli:   %s\n  admin: %s" % (p.returncode, r.status, p.stdout[:300],
                                                   r.text[:300]))
    return from_cli, from_adm


cli_doc, _ = exported(s_cli, ss_cli)
_, adm_doc = exported(s_adm, ss_adm)
env.check(isinstance(cli_doc, dict) and len(cli_doc.get("messages", [])) == 3,
          "the export holds the three messages", repr(cli_doc)[:300])
same("session export (alike sessions)", export_shape(cli_doc, ss_cli),
     export_shape(adm_doc, ss_adm))

# close
since = last_log()
p = env.cli("session", "close", str(s_cli), "--user", "otto", check=False)
r = post("/admin/sessions/%s/close" % s_adm, {}, user="otto")
done("session close", p, r, "closed")
same("session close", session_state(s_cli, ss_cli), session_state(s_adm, ss_adm))
same("session close: the log", logs(ss_cli, sconn_cli, since), logs(ss_adm, sconn_adm, since))
env.check(logs(ss_cli, sconn_cli, since) != [], "session close is logged")

# a closed session: every action refused by both alike
before = env.snapshot()
p = env.cli("session", "reply", str(s_cli), "--text", "Still there?", "--user", "otto",
            check=False)
r = post("/admin/sessions/%s/reply" % s_adm, {"text": "Still there?"}, user="otto")
same_refusal("replying to a closed session", REFUSED, p, r, ss_cli, ss_adm, before)
for verb in ("takeover", "release", "close"):
    p = env.cli("session", verb, str(s_cli), "--user", "otto", check=False)
    r = post("/admin/sessions/%s/%s" % (s_adm, verb), {}, user="otto")
    same_refusal("%s of a closed session" % verb, REFUSED, p, r, ss_cli, ss_adm, before)
cli_doc, _ = exported(s_cli, ss_cli)
_, adm_doc = exported(s_adm, ss_adm)
same("session export after close", export_shape(cli_doc, ss_cli), export_shape(adm_doc, ss_adm))

# an unknown session: 1 and 404 for every action, nothing changed
for verb in ("takeover", "release", "close", "reply", "export"):
    args = ["--text", "x"] if verb == "reply" else []
    p = env.cli("session", verb, "999999", *args, check=False)
    if verb == "export":
        r = get("/admin/sessions/999999/export", "otto")
    else:
        r = post("/admin/sessions/999999/%s" % verb, {"text": "x"}, user="otto")
    env.check(p.returncode == 1 and r.status == 404, "session %s of an unknown session: 1 and 404"
              % verb, "%d %d" % (p.returncode, r.status))
env.check(env.snapshot() == before, "session actions refused: nothing changed")


# --- user delete -------------------------------------------------------------------
def user_state(name, side):
    return side.rows(env.sql("SELECT role FROM users WHERE username = ?", (name,)))


env.cli("user", "set", "twin-cli", "viewer")
post("/admin/users", {"username": "twin-adm", "role": "viewer"})
uc, ua = Side("cli", user="twin-cli"), Side("ann", user="twin-adm")
same("user set (before delete)", user_state("twin-cli", uc), user_state("twin-adm", ua))
since = last_log()
p = env.cli("user", "delete", "twin-cli", check=False)
form = form_of(get("/admin/users").text, "/admin/users/delete", username="twin-adm")
env.check(form is not None, "the users page has a delete form", repr(form))
r = post("/admin/users/delete", dict(form or {}, username="twin-adm"))
done("user delete", p, r, "user-deleted")
same("user delete", user_state("twin-cli", uc), user_state("twin-adm", ua))
env.check(user_state("twin-cli", uc) == [], "user delete: gone")
user_logs = [[l for l in logs(side, None, since) if "<user>" in l[2]] for side in (uc, ua)]
same("user delete: the log", *user_logs)
env.check(user_logs[0] != [], "user delete is logged")

before = env.snapshot()
p = env.cli("user", "delete", "twin-cli", check=False)
r = post("/admin/users/delete", {"username": "twin-cli"})
same_refusal("deleting an unknown user", NOT_FOUND, p, r, uc, uc, before)
p = env.cli("user", "delete", "bad:user", check=False)
r = post("/admin/users/delete", {"username": "bad:user"})
same_refusal("deleting a bad username", INVALID, p, r, uc, uc, before)
p = env.cli("user", "delete", "ann", check=False)
r = post("/admin/users/delete", {"username": "ann"})
same_refusal("deleting the only admin", REFUSED, p, r, uc, uc, before)
env.check("only admin" in cli_reason(p), "the refusal says ann is the only admin", cli_reason(p))

env.done()
