"""The admin's Settings and Outbox pages and its Access Information without
a public URL, over HTTP: every setting `ibchannel settings list` shows is on
the page with its unit, default, help and when it applies; a save goes
through the command line's operation (the CLI sees it, the change is logged
with the user), a refused value is answered next to its field with the
CLI's reason and nothing changed; only admins reach the page; a POST
without its token is refused; hostile values are escaped or refused. The
Outbox lists held and unsure messages with the reason and the lookups;
Resend and Fail, one or a selection, leave the store as `ibchannel outbox`
does, each logged with the user. Without a public URL a connection's page
warns and links the setting instead of offering an address made of the
Host header, over https too."""

import http.client
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "otto": "otto-pw", "vic": "vic-pw"}
SMS_ONLY = "sms-only-key-aaaabbbbcccc"
FORM = "application/x-www-form-urlencoded"
XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'


class NoPublicUrlEnv(Env):
    """An Env whose web programs and command line have no public URL."""

    def start_lighttpd(self, procs, sync):
        base, self.base = self.base, ""
        try:
            super().start_lighttpd(procs, sync)
        finally:
            self.base = base


env = NoPublicUrlEnv("admin_settings", admin_users=USERS,
                     sim_args=("--sms-only-keys", SMS_ONLY))
env.env.pop("IBCHANNEL_PUBLIC_URL", None)
env.set_roles({"ann": "admin", "otto": "operator", "vic": "viewer"})
hdr = env.auth


def get(user, path):
    return env.get(path, headers=hdr(user))


# Two connections (a key that may read Infobip's logs, one that may not) and an
# agent, whose "try it" form gives every role its token.
cid = env.add_connection(name="Full key", sender="447491163443")
sms = env.add_connection(name="Send-only key", key=SMS_ONLY, sender="447491163444")
aid, _ = env.add_rules_agent(cid)


def token(user):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', get(user, "/admin/agents/" + aid).text)
    return m.group(1) if m else ""


TOKENS = {}


def raw_post(path, body, headers, ctype=FORM):
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        c.request("POST", path, body=body if isinstance(body, bytes) else body.encode(),
                  headers=dict(headers, **{"Content-Type": ctype}))
        r = c.getresponse()
        return Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()


def post(user, path, fields, csrf=True):
    """POSTs fields (a dict or a list of pairs) as user, with user's token unless csrf is False."""
    fields = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if csrf:
        if user not in TOKENS:
            TOKENS[user] = token(user)
        fields.append(("csrf", TOKENS[user]))
    return raw_post(path, urllib.parse.urlencode(fields), hdr(user))


def follow(user, r):
    loc = r.headers.get("Location", "")
    if r.status != 303 or not loc.startswith("/admin"):
        return Response(-r.status, r.headers, r.body)
    return get(user, loc)


def snap():
    return env.snapshot(exclude=("logs", "request_counts", "latency_buckets", "latency_sums",
                                 "admin_notices"))


def cli_get(name):
    return env.cli("settings", "get", name).stdout.rstrip("\n")


def logged(event, like, conn=None):
    if conn is None:
        return env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id IS NULL AND event = ?"
                        " AND text LIKE ?", (event, like))
    return env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = ?"
                    " AND text LIKE ?", (conn, event, like))


def unescape(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&#39;", "'").replace("&amp;", "&"))


def setting_form(page, name):
    """The form of setting name on the Settings page, or ''."""
    m = re.search(r'<form[^>]*id="s-%s"[^>]*>(.*?)</form>' % re.escape(name), page, re.S)
    return m.group(1) if m else ""


def field_error(page, name):
    m = re.search(r'<p class="error" id="e-%s">([^<]*)</p>' % re.escape(name), page)
    return unescape(m.group(1)) if m else None


# --- 1. Settings: every setting of `settings list`, with unit, default and help ----
listing = env.cli("settings", "list").stdout
names = re.findall(r"^([a-z_]+) = ", listing, re.M)
facts = dict(re.findall(r"^([a-z_]+) = .*\n    (.*)$", listing, re.M))
groups = re.findall(r"^\[([^\]]+)\]$", listing, re.M)
env.check(len(names) >= 20 and len(groups) >= 5, "settings list shows the settings by group",
          "%d settings, groups %r" % (len(names), groups))
r = get("ann", "/admin/settings")
page = r.text
env.check(r.status == 200 and "<h1>Settings</h1>" in page, "an admin opens Settings", r.status)
env.check('href="/admin/settings"' in page and 'href="/admin/outbox"' in page,
          "the navigation links Settings and Outbox for an admin")
shown_groups = re.findall(r'<section class="panel settings-group"><h2>([^<]*)</h2>', page)
env.check([unescape(g) for g in shown_groups] == groups,
          "the page's groups are settings list's, in its order", repr(shown_groups))
for name in names:
    form = setting_form(page, name)
    line = facts.get(name, "")
    m = re.match(r"(.*); default: (.*?)(?: \(([^)]*)\))?(?:; (used .*))?$", line)
    purpose, default, unit, applies = m.groups() if m else ("?", "?", None, None)
    value = cli_get(name)
    env.check(form and 'name="name" value="%s"' % name in form, "%s has its own form" % name)
    shown = re.search(r'<(?:input|textarea)[^>]*id="f-%s"[^>]*?(?:value="([^"]*)">|>\n([^<]*)'
                      r'</textarea>)' % name, form)
    env.check(shown and unescape(shown.group(1) if shown.group(1) is not None
                                 else shown.group(2)) == value,
              "%s shows the value settings get gives" % name, repr(value))
    help_ = re.search(r'<p class="help" id="h-%s">([^<]*)</p>' % name, form)
    env.check(help_ and unescape(help_.group(1)) == purpose, "%s: its help line" % name)
    d = re.search(r'<code class="default">([^<]*)</code>', form)
    env.check(d and unescape(d.group(1)) == default, "%s: its default (%s)" % (name, default),
              d and d.group(1))
    if unit:
        env.check('<span class="unit">(%s)</span>' % unit in form, "%s: its unit (%s)" % (name, unit))
    r_ = re.search(r'<p class="restart" id="r-%s">([^<]*)</p>' % name, form)
    env.check((r_ and unescape(r_.group(1)) == applies) if applies else r_ is None,
              "%s: %s" % (name, applies or "applies at once, nothing said"))
env.check("restart" in (facts.get("webhook_threads") or ""),
          "webhook_threads says it needs a restart", facts.get("webhook_threads"))
env.check(re.search(r'id="r-webhook_threads">[^<]*restart', page),
          "... on the page too")

# --- a valid save: the CLI sees it, logged with the user ---------------------------
r = post("ann", "/admin/settings", {"name": "session_timeout_minutes", "value": "90"})
env.check(r.status == 303, "saving a setting answers 303", r.status)
env.check(cli_get("session_timeout_minutes") == "90", "the CLI sees the saved value")
env.check(logged("settings", "%session_timeout_minutes%90%(by ann)%") == 1,
          "the change is logged with the user")
back = follow("ann", r)
env.check(back.status == 200 and "Setting saved." in back.text, "... and the page says so")
env.check('id="f-session_timeout_minutes" aria-describedby' in back.text
          and 'value="90"' in setting_form(back.text, "session_timeout_minutes"),
          "the page shows the new value")
r = post("ann", "/admin/settings", {"name": "send_retry_delays", "value": "5,60"})
env.check(r.status == 303 and cli_get("send_retry_delays") == "5,60", "a list setting saves")
r = post("ann", "/admin/settings/default", {"name": "send_retry_delays"})
env.check(r.status == 303 and cli_get("send_retry_delays") == "30,120,600,3600",
          "Use default restores the default, as settings unset does")
env.check(logged("settings", "%send_retry_delays back to its default (by ann)%") == 1,
          "... logged with the user")

# --- an invalid value: the CLI's reason next to the field, nothing changed ---------
for name, value in (("session_timeout_minutes", "abc"), ("session_timeout_minutes", "0"),
                    ("send_batch_size", "100000"), ("send_retry_delays", "5,,60"),
                    ("public_url", "ftp://example.com"), ("keywords_help", "HELP,,INFO"),
                    ("campaign_timezone", "Mars/Olympus"), ("session_timeout_minutes", XSS)):
    cli = env.cli("settings", "set", name, value, check=False)
    before = snap()
    r = post("ann", "/admin/settings", {"name": name, "value": value})
    page = follow("ann", r)
    err = field_error(page.text, name)
    env.check(cli.returncode != 0 and err and err in cli.stderr,
              "%s=%r refused with the CLI's reason next to the field" % (name, value),
              "page %r, cli %r" % (err, cli.stderr))
    env.check(page.status == 400 and "Not saved" in page.text,
              "... answered 400, saying nothing was saved", page.status)
    typed = re.search(r'id="f-%s"[^>]*value="([^"]*)"' % name, page.text)
    env.check(typed and unescape(typed.group(1)) == value, "... the typed value kept")
    env.check(snap() == before, "... nothing changed")
env.check(XSS not in page.text and "<img src=x" not in page.text,
          "a refused value with markup is shown escaped")
r = post("ann", "/admin/settings", {"name": "no_such_setting", "value": "1"})
page = follow("ann", r)
env.check(page.status == 400 and "no setting named" in page.text, "an unknown setting: 400",
          page.status)

# --- hostile values -----------------------------------------------------------
r = post("ann", "/admin/settings", {"name": "reply_help", "value": XSS})
env.check(r.status == 303 and cli_get("reply_help") == XSS,
          "a reply with markup is text: saved as typed")
page = get("ann", "/admin/settings").text
env.check(XSS not in page and "<img src=x" not in page and "&lt;script&gt;alert(1)" in page,
          "... and shown escaped")
before = snap()
for value in ("a\x01b", "line\nbreak", "tab\there", "esc\x1b[31m"):
    r = post("ann", "/admin/settings", {"name": "reply_stop", "value": value})
    page = follow("ann", r)
    env.check(page.status == 400 and "control characters" in (field_error(page.text, "reply_stop")
                                                              or ""),
              "a control character (%r) is refused next to the field" % value, page.status)
    env.check("\x01" not in page.text and "\x1b" not in page.text,
              "... and not written back raw into the page")
r = raw_post("/admin/settings", "name=reply_stop&value=%FF%FE&csrf=" + TOKENS["ann"], hdr("ann"))
env.check(r.status == 400, "invalid UTF-8 is refused: 400", r.status)
env.check(snap() == before, "hostile values changed nothing")

# --- rights and CSRF ------------------------------------------------------------
for user in ("otto", "vic"):
    r = get(user, "/admin/settings")
    env.check(r.status == 403, "%s (%s) may not open Settings: 403" % (user, "operator" if
                                                                       user == "otto" else
                                                                       "viewer"), r.status)
    env.check('href="/admin/settings"' not in get(user, "/admin/outbox").text,
              "%s's navigation has no Settings link" % user)
    before = snap()
    r = post(user, "/admin/settings", {"name": "session_timeout_minutes", "value": "5"})
    env.check(r.status == 403 and snap() == before, "%s's save: 403, nothing changed" % user,
              r.status)
    r = post(user, "/admin/settings/default", {"name": "session_timeout_minutes"})
    env.check(r.status == 403 and cli_get("session_timeout_minutes") == "90",
              "%s's Use default: 403" % user, r.status)
before = snap()
r = post("ann", "/admin/settings", {"name": "session_timeout_minutes", "value": "5"}, csrf=False)
env.check(r.status == 403 and snap() == before, "a save without the token: 403, nothing changed",
          r.status)
r = raw_post("/admin/settings", "name=session_timeout_minutes&value=5&csrf=" + "0" * 64,
             hdr("ann"))
env.check(r.status == 403 and snap() == before, "a save with a wrong token: 403", r.status)

# --- 3. Access Information without a public URL --------------------------------
env.check(cli_get("public_url") == "", "no public URL is set")


def access(text):
    m = re.search(r'<details class="panel" id="access".*?</details>', text, re.S)
    return m.group(0) if m else ""


host = "127.0.0.1:%d" % env.port
for user in ("ann", "otto"):
    acc = access(get(user, "/admin/connections/%s" % cid).text)
    env.check('id="no-public-url"' in acc, "%s: Access Information warns: no public URL" % user)
    env.check("paste it" not in acc and 'id="url-sms"' not in acc and "http://" not in acc
              and host not in acc,
              "%s: no address made of the Host header is offered to paste" % user, acc[:600])
    env.check("/channel/%s/webhook/sms" % cid in acc, "%s: the paths are shown for reference" % user)
acc = access(get("ann", "/admin/connections/%s" % cid).text)
env.check('href="/admin/settings#s-public_url"' in acc, "an admin gets a link to the setting")
acc = access(get("otto", "/admin/connections/%s" % cid).text)
env.check('href="/admin/settings' not in acc and "administrator" in acc,
          "an operator is told to ask an administrator")
# The admin served over https (a proxy or the web server terminating TLS), run as CGI.
e = dict(env.env, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
         REQUEST_URI="/admin/connections/" + cid, SCRIPT_NAME="",
         PATH_INFO="/admin/connections/" + cid, SERVER_PROTOCOL="HTTP/1.1", HTTPS="on",
         REQUEST_SCHEME="https", SERVER_PORT="443", HTTP_HOST="admin.example.com",
         REMOTE_USER="ann", CONTENT_LENGTH="0")
p = subprocess.run([os.path.join(BUILD, "admin.fcgi")], env=e, capture_output=True, timeout=30)
out = p.stdout.decode(errors="replace")
acc = access(out)
env.check('id="no-public-url"' in acc and "admin.example.com" not in out
          and "paste it" not in acc and 'href="/admin/settings#s-public_url"' in acc,
          "over https: the warning and the link, no http://Host address", acc[:600])
# Set through the page, the public URL makes the addresses to paste.
r = post("ann", "/admin/settings", {"name": "public_url", "value": "https://sms.example.com"})
env.check(r.status == 303 and cli_get("public_url") == "https://sms.example.com",
          "the public URL is set through the Settings page")
acc = access(get("ann", "/admin/connections/%s" % cid).text)
env.check('id="no-public-url"' not in acc and
          '<code id="url-sms">https://sms.example.com/channel/%s/webhook/sms</code>' % cid in acc,
          "then Access Information gives the addresses to paste", acc[:600])
r = post("ann", "/admin/settings/default", {"name": "public_url"})
env.check(r.status == 303 and cli_get("public_url") == "", "and unset again")

# --- 2. Outbox: held and unsure messages -------------------------------------------
def fault(kind, **kw):
    spec = {"endpoint": "/sms/3/messages", "kind": kind}
    spec.update(kw)
    env.sim("/_sim/fault", spec)


def send(conn, to):
    return int(env.cli("send", "--connection", conn, "--to", to, "--text",
                       "outbox test " + to).stdout.strip())


def outbox_cli():
    lines = env.cli("outbox").stdout.splitlines()
    head = lines[0].split("\t")
    return {int(l.split("\t")[0]): dict(zip(head, l.split("\t"))) for l in lines[1:]}


def state(mid):
    return outbox_cli().get(mid, {}).get("state")


def row(mid):
    """The outbox row of mid as the operator's actions leave it, or None."""
    rows = env.sql("SELECT attempts, last_error, unsure_since IS NULL, not_found,"
                   " held_since IS NULL, lease_owner IS NULL FROM outbox WHERE message_id = ?",
                   (mid,))
    return tuple(rows[0]) if rows else None


def msg(mid):
    return tuple(env.sql("SELECT status, status_description FROM messages WHERE id = ?",
                         (mid,))[0])


env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1,1")
env.sim("/_sim/config", {"dlr_delay": 600})
held = []
for i in range(7):
    fault("500")
    mid = send(sms, "49151123700%02d" % i)
    env.wait_for(lambda: env.cli("sender", "--once", check=False) and False
                 or state(mid) == "held", 30, 0.2)
    held.append(mid)
env.check(all(state(m) == "held" for m in held), "seven messages held (logs unreadable)",
          repr([state(m) for m in held]))
# Unsure: a 500 on a key that may read the logs; the lookup is an hour away.
env.cli("settings", "set", "send_retry_delays", "3600")
unsure = []
for i in range(3):
    fault("500")
    mid = send(cid, "49151123800%02d" % i)
    env.wait_for(lambda: env.cli("sender", "--once", check=False) and False
                 or state(mid) == "unsure", 30, 0.2)
    unsure.append(mid)
env.check(all(state(m) == "unsure" for m in unsure), "three messages unsure",
          repr([state(m) for m in unsure]))
# Kept for later: no sender runs after the first action, which would send what it requeued.
again, last = held[5], held[6]
queued = send(env.add_connection(name="Stopped", start=False), "4915112390000")
env.check(state(queued) == "queued", "one plainly queued message")

page = get("otto", "/admin/outbox").text
listed = [int(x) for x in re.findall(r'<tr data-message="(\d+)">', page)]
env.check(sorted(listed) == sorted(held + unsure), "the Outbox lists the held and unsure"
          " messages, not the queued one", repr(listed))
unsettled = [int(l.split("\t")[0]) for l in
             env.cli("outbox", "--unsettled").stdout.splitlines()[1:]]
env.check(listed == unsettled, "... as ibchannel outbox --unsettled does, in its order",
          "%r / %r" % (listed, unsettled))
cli_rows = outbox_cli()
for mid in held + unsure:
    tr = re.search(r'<tr data-message="%d">(.*?)</tr>' % mid, page, re.S).group(1)
    reason = re.search(r'<td class="reason">([^<]*)</td>', tr)
    lookups = re.search(r'<td class="lookups">([^<]*)</td>', tr)
    st = re.search(r'<td class="state"><span[^>]*>([^<]*)</span>', tr)
    c = cli_rows[mid]
    env.check(st and st.group(1) == c["state"], "message %d: its state (%s)" % (mid, c["state"]))
    env.check(reason and unescape(reason.group(1)) == c["last_error"] and c["last_error"],
              "message %d: the reason, as ibchannel outbox gives it" % mid,
              reason and reason.group(1))
    env.check(lookups and lookups.group(1).startswith("%s not found; %s attempt" % (
        c["not_found"], c["attempts"])), "message %d: the lookups tried" % mid,
        lookups and lookups.group(1))
    env.check('action="/admin/outbox/%d/resend"' % mid in tr and
              'action="/admin/outbox/%d/fail"' % mid in tr,
              "message %d: Resend and Fail for an operator" % mid)
env.check("403" in cli_rows[held[0]]["last_error"], "a held message's reason names the 403")
vpage = get("vic", "/admin/outbox")
env.check(vpage.status == 200 and "/admin/outbox/%d/resend" % held[0] not in vpage.text
          and 'name="m"' not in vpage.text, "a viewer sees the list without actions")

# Resend one: the row as `ibchannel outbox resend` leaves it.
env.cli("outbox", "resend", str(held[1]), "--user", "otto")
r = post("otto", "/admin/outbox/%d/resend" % held[0], {})
env.check(r.status == 303 and "Queued to be sent again" in follow("otto", r).text,
          "Resend one: 303 and a notice", r.status)
env.check(row(held[0]) == row(held[1]) and row(held[0])[0] == 0 and state(held[0]) == "queued",
          "Resend leaves the row as the CLI's resend does", "%r %r" % (row(held[0]),
                                                                     row(held[1])))
uid = env.sql1("SELECT uid FROM messages WHERE id = ?", (held[0],))
env.check(logged("outbox", "%" + uid + "%sent again by hand by otto", sms) == 1,
          "... logged on the connection with the user")
# Fail one as the CLI would.
env.cli("outbox", "fail", str(held[3]), "--user", "ann")
r = post("ann", "/admin/outbox/%d/fail" % held[2], {})
a_st, a_desc = msg(held[2])
c_st, c_desc = msg(held[3])
env.check(r.status == 303 and a_st == c_st == "failed" and row(held[2]) is None
          and a_desc == c_desc, "Fail one: failed, out of the outbox, as the CLI's fail",
          "%r %r" % (msg(held[2]), msg(held[3])))
uid = env.sql1("SELECT uid FROM messages WHERE id = ?", (held[2],))
env.check("by hand by ann" in a_desc and logged("outbox", "%" + uid + "%failed by hand by ann",
                                                sms) == 1,
          "... the reason and the log name the user", a_desc)

# A selection: resend two, fail two.
r = post("otto", "/admin/outbox/resend", [("m", str(unsure[0])), ("m", str(held[4]))])
env.check(r.status == 303 and state(unsure[0]) == "queued" and state(held[4]) == "queued"
          and row(unsure[0])[0] == 0, "Resend selected: both queued as new", r.status)
for mid in (unsure[0], held[4]):
    uid = env.sql1("SELECT uid FROM messages WHERE id = ?", (mid,))
    env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'outbox' AND text LIKE ?",
                       ("%" + uid + "%sent again by hand by otto",)) == 1,
              "message %d's resend is logged with the user" % mid)
r = post("otto", "/admin/outbox/fail", [("m", str(unsure[1])), ("m", str(unsure[2]))])
env.check(r.status == 303 and all(msg(m)[0] == "failed" and row(m) is None
                                  for m in unsure[1:]), "Fail selected: both failed", r.status)
env.check(all("by hand by otto" in msg(m)[1] for m in unsure[1:]), "... by the user")
# A selection with a refusal: what could be done is done, the rest is said.
r = post("otto", "/admin/outbox/resend", [("m", str(again)), ("m", str(queued))])
page = follow("otto", r)
env.check(page.status == 409 and "1 sent again, 1 refused" in page.text
          and "is queued, not unsettled" in page.text,
          "a selection with a queued message: the other is done, the refusal said",
          "%d %s" % (page.status, re.sub(r"\s+", " ", page.text)[-1500:]))
env.check(state(again) == "queued" and state(queued) == "queued", "... the store as said")
r = post("otto", "/admin/outbox/resend", [])
env.check(follow("otto", r).status == 400, "an empty selection: 400")
r = post("otto", "/admin/outbox/resend", [("m", "x1")])
env.check(follow("otto", r).status == 400, "a selection that is not a number: 400")
r = post("otto", "/admin/outbox/999999/fail", {})
page = follow("otto", r)
env.check(page.status == 409 and "not in the outbox" in page.text,
          "an unknown message: refused with the CLI's reason", page.status)

# Rights and CSRF on the outbox actions.
before = snap()
for path in ("/admin/outbox/%d/resend" % last, "/admin/outbox/%d/fail" % last):
    r = post("vic", path, {})
    env.check(r.status == 403, "a viewer's %s: 403" % path.rsplit("/", 1)[1], r.status)
    r = post("otto", path, {}, csrf=False)
    env.check(r.status == 403, "%s without the token: 403" % path.rsplit("/", 1)[1], r.status)
r = post("vic", "/admin/outbox/fail", [("m", str(last))])
env.check(r.status == 403, "a viewer's selection: 403", r.status)
env.check(snap() == before and state(last) == "held", "refused actions changed nothing")

# --- 3. Outbox pages: 50 at a time on the message number, with the total -----------------
many = 120
env.sql("INSERT INTO messages (uid, connection_id, direction, author, recipient, text, status)"
        " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
        " SELECT 'page-' || i, ?, 'out', 'agent', '4915112399999', 'paged ' || i, 'queued'"
        " FROM n" % many, (sms,))
env.sql("INSERT INTO outbox (message_id, held_since, last_error) SELECT id,"
        " '2026-01-01 00:00:00.000', 'paged' FROM messages WHERE uid LIKE 'page-%'")
every = [int(l.split("\t")[0]) for l in
         env.cli("outbox", "--unsettled", "--limit", "1000").stdout.splitlines()[1:]]


def outbox_page(path):
    r = get("otto", path)
    ids = [int(x) for x in re.findall(r'<tr data-message="(\d+)">', r.text)]
    links = {k: v.replace("&amp;", "&") for v, k in
             re.findall(r'<a class="btn ghost" href="([^"]*)">([^<]*)</a>', r.text)}
    total = re.search(r'id="outbox-total">(\d+) held or unsure in all', r.text)
    return r, ids, links, total and int(total.group(1))


r, first_ids, links, total = outbox_page("/admin/outbox")
env.check(len(every) > 100 and total == len(every), "the page gives how many wait in all",
          (total, len(every)))
env.check(r.status == 200 and first_ids == every[:50], "the first page: the oldest 50, oldest"
          " first", (first_ids[:3], every[:3]))
env.check("Newer \u2192" in links and "\u2190 Older" not in links and "Oldest" not in links,
          "the first page links only to the newer ones", sorted(links))
seen, pages, path = list(first_ids), 1, links.get("Newer \u2192")
while path and pages < 10:
    r, ids, links, _ = outbox_page(path)
    seen += ids
    pages += 1
    if pages == 2:
        back = outbox_page(links.get("\u2190 Older", "/admin/outbox?before=0"))[1]
        env.check(ids == every[50:100] and back == first_ids,
                  "the second page holds the next 50; Older goes back to the first",
                  (ids[:2], back[:2]))
    path = links.get("Newer \u2192")
env.check(seen == every and pages == (len(every) + 49) // 50,
          "Newer walks every held and unsure message once, in order, and stops",
          (len(seen), len(every), pages))
r, ids, links, _ = outbox_page("/admin/outbox?after=%d" % every[-1])
env.check(r.status == 200 and ids == [] and "Oldest" in links and "No more messages" in r.text,
          "past the newest: an empty page with the way back", sorted(links))
for bad in ("after=x", "before=-3", "after=%27", "before=99999999999999999999999"):
    r, ids, _, _ = outbox_page("/admin/outbox?" + bad)
    env.check(r.status == 200 and ids == every[:50], "a cursor that is no number: the first"
              " page (%s)" % bad, ids[:2])
env.sql("DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE uid LIKE 'page-%')")
env.sql("DELETE FROM messages WHERE uid LIKE 'page-%'")
env.done()
