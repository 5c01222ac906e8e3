"""The admin over HTTP: who may do what (401, 403, roles), the CSRF token on
every form, every form's bad input answered next to its field with nothing
stored, markup in every field and in an SMS shown as text on every page that
shows it, the security headers, POST then redirect, and the command line and
the admin leaving the same store for the same actions."""

import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SIM_KEY, Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "otto": "otto-pw", "vic": "vic-pw", "nobody": "nobody-pw"}
env = Env("admin_http", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator", "vic": "viewer"})
FORM = "application/x-www-form-urlencoded"
XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'
hdr = env.auth


def get(user, path):
    return env.get(path, headers=hdr(user))


FORM_PAGES = ["/admin/users"]   # pages with a form, for reading a user's token


def token(user):
    for path in FORM_PAGES:
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', get(user, path).text)
        if m:
            return m.group(1)
    return ""


TOKENS = {}


def raw_post(path, body, headers, ctype=FORM):
    """A POST that does not follow redirects: the admin's 303 is what is checked."""
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        c.request("POST", path, body=body.encode(),
                  headers=dict(headers, **{"Content-Type": ctype}))
        r = c.getresponse()
        return Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()


def post(user, path, fields, csrf=True, headers=None):
    """POSTs a form as user; csrf True sends the user's token, a string sends that."""
    fields = dict(fields)
    if csrf is True:
        if user not in TOKENS:
            TOKENS[user] = token(user)
        fields["csrf"] = TOKENS[user]
    elif csrf:
        fields["csrf"] = csrf
    return raw_post(path, urllib.parse.urlencode(fields), dict(hdr(user), **(headers or {})))


def cgi(path, method="GET", body=b"", **extra):
    """Runs admin.fcgi as plain CGI with the given variables."""
    e = dict(env.env, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD=method,
             REQUEST_URI=path, SCRIPT_NAME="", PATH_INFO=path,
             SERVER_PROTOCOL="HTTP/1.1", CONTENT_LENGTH=str(len(body)))
    e.pop("IBCHANNEL_ADMIN_NO_AUTH", None)
    e.update(extra)
    p = subprocess.run([os.path.join(BUILD, "admin.fcgi")], env=e, input=body,
                       capture_output=True, timeout=30)
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    status = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = int(line.split()[1])
    return status, head.decode(errors="replace"), rest.decode(errors="replace")


def snap():
    """The store's rows but the logs, counters and the admin's one-time notices."""
    return env.snapshot(exclude=("logs", "request_counts", "latency_buckets", "latency_sums",
                                 "admin_notices"))


def follow(user, r):
    """The page a POST's 303 leads to, as user's browser would show it (status, text)."""
    loc = r.headers.get("Location", "")
    if r.status != 303 or not loc.startswith("/admin"):
        return Response(-r.status, r.headers, r.body)
    return get(user, loc)


def unchanged(before, what):
    env.check(snap() == before, "%s: nothing changed" % what)


# --- 401 and 403 -------------------------------------------------------------
r = env.get("/admin/")
env.check(r.status == 401, "no credentials: the web server answers 401", r.status)
status, _, body = cgi("/admin/")
env.check(status == 401, "no REMOTE_USER: admin.fcgi answers 401", status)
LOCAL = {"IBCHANNEL_ADMIN_NO_AUTH": "1", "REMOTE_ADDR": "127.0.0.1", "SERVER_ADDR": "127.0.0.1"}
status, _, body = cgi("/admin/", **dict(LOCAL, REMOTE_ADDR="10.1.2.3"))
env.check(status == 401, "IBCHANNEL_ADMIN_NO_AUTH does not let another machine in", status)
status, _, body = cgi("/admin/", **LOCAL)
env.check(status == 200 and 'id="noauth"' in body,
          "IBCHANNEL_ADMIN_NO_AUTH=1 lets this machine in and says so", status)
status, _, body = cgi("/admin/sessions", **dict(LOCAL, REMOTE_ADDR="::1", SERVER_ADDR="::1"))
env.check(status == 200 and 'id="noauth"' in body, "on every page (IPv6 loopback too)")
status, _, _ = cgi("/admin/", **dict(LOCAL, IBCHANNEL_ADMIN_NO_AUTH="yes"))
env.check(status == 401, "only the value 1 turns authentication off", status)
# A reverse proxy on this machine makes every remote request come from loopback.
for var, value in (("HTTP_X_FORWARDED_FOR", "203.0.113.9"),
                   ("HTTP_FORWARDED", "for=203.0.113.9;proto=https"),
                   ("HTTP_VIA", "1.1 proxy")):
    status, _, _ = cgi("/admin/", **dict(LOCAL, **{var: value}))
    env.check(status == 401, "IBCHANNEL_ADMIN_NO_AUTH with %s (a proxy): 401" % var, status)
    status, _, _ = cgi("/admin/users", "POST", b"username=eve&role=admin",
                       CONTENT_TYPE=FORM, **dict(LOCAL, **{var: value}))
    env.check(status == 401, "a proxied POST with %s creates no admin: 401" % var, status)
status, _, _ = cgi("/admin/", **dict(LOCAL, SERVER_ADDR="192.0.2.7"))
env.check(status == 401, "IBCHANNEL_ADMIN_NO_AUTH on a server address not loopback: 401", status)
status, _, _ = cgi("/admin/", **{k: v for k, v in LOCAL.items() if k != "SERVER_ADDR"})
env.check(status == 401, "IBCHANNEL_ADMIN_NO_AUTH without SERVER_ADDR: 401", status)
env.check(env.sql1("SELECT COUNT(*) FROM users WHERE username = 'eve'") == 0,
          "no user was created through a proxy")
r = get("nobody", "/admin/")
env.check(r.status == 403, "an authenticated user not in the users table: 403", r.status)
env.check('id="who"' not in r.text and "nobody" not in r.text.split("<main>")[0],
          "the 403 page names no role for an unknown user", r.text[:600])
status, _, body = cgi("/admin/", REMOTE_USER="ghost")
env.check(status == 403, "unknown REMOTE_USER: 403", status)
env.check('class="role"' not in body and ">admin<" not in body,
          "the 403 page does not call an unknown user admin", body[:800])
r = get("ann", "/admin/")
env.check(r.status == 200 and 'id="noauth"' not in r.text, "ann (admin) is in", r.status)
r = get("ann", "/admin/no/such/page")
env.check(r.status == 404, "an unknown page: 404", r.status)
r = env.request("DELETE", "/admin/", headers=hdr("ann"))
env.check(r.status == 405, "an unknown method: 405", r.status)

# --- security headers on every page ------------------------------------------
cid = env.add_connection(name="Line one", sender="447491163443")
aid, _ = env.add_rules_agent(cid)
FORM_PAGES.append("/admin/agents/%s" % aid)     # "try it": a form every role has
pages = ["/admin/", "/admin/connections/new", "/admin/connections/%s" % cid,
         "/admin/connections/%s/logs" % cid, "/admin/agents", "/admin/agents/new",
         "/admin/agents/%s" % aid, "/admin/sessions", "/admin/dashboard", "/admin/users"]
for path in pages:
    r = get("ann", path)
    h = {k.lower(): v for k, v in r.headers.items()}
    csp = h.get("content-security-policy", "")
    script = re.search(r"script-src ([^;]*)", csp)
    env.check(r.status == 200, "%s answers 200" % path, r.status)
    env.check(script is not None and "unsafe-inline" not in script.group(1)
              and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp,
              "%s: CSP without inline script" % path, csp)
    env.check(h.get("x-content-type-options") == "nosniff"
              and h.get("x-frame-options") == "DENY"
              and h.get("cache-control") == "no-store", "%s: nosniff, DENY, no-store" % path)
    env.check("<script>" not in r.text and " on" not in re.sub(r"<[^>]*>", "", "")
              and not re.search(r"<[^>]+\son[a-z]+=", r.text),
              "%s: no inline script or event handler" % path)
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', r.text, re.S)
    env.check(all('name="csrf"' in f for f in forms), "%s: a CSRF token in every form" % path)
r = get("ann", "/admin/static/admin.css")
env.check(r.status == 200 and r.headers.get("Content-Type", "").startswith("text/css"),
          "the style sheet is served")

# --- CSRF ----------------------------------------------------------------------
before = snap()
fields = {"name": "Sneaky", "api_key": SIM_KEY, "api_url": env.sim_url, "sender": "Shop"}
r = post("ann", "/admin/connections/new", fields, csrf=False)
env.check(r.status == 403, "POST without a token: 403", r.status)
r = post("ann", "/admin/connections/new", fields, csrf="0" * 64)
env.check(r.status == 403, "POST with a wrong token: 403", r.status)
r = post("ann", "/admin/connections/new", fields, csrf=token("vic"))
env.check(r.status == 403, "POST with another user's token: 403", r.status)
r = post("ann", "/admin/connections/%s/stop" % cid, {}, csrf=False)
env.check(r.status == 403, "Stop without a token: 403", r.status)
host = "127.0.0.1:%d" % env.port
for origin in ("http://evil.example", "null", "ftp://" + host, "http://" + host + ".evil.example",
               "http://" + host + "/", "http://evil.example/" + host, "http://x@" + host):
    r = post("ann", "/admin/connections/new", fields, headers={"Origin": origin})
    env.check(r.status == 403, "a right token with Origin %r: 403" % origin, r.status)
unchanged(before, "refused POSTs")
for origin in ("http://" + host, "HTTPS://" + host.upper(), None):
    r = post("ann", "/admin/connections/%s/stop" % cid, {},
             headers={"Origin": origin} if origin is not None else {})
    env.check(r.status == 303, "a right token with Origin %r (or none: older clients)"
              " is accepted" % origin, r.status)

# --- roles -------------------------------------------------------------------
mo = env.post("/channel/%s/webhook/sms" % cid, {
    "results": [{"messageId": "http-1", "from": "41793026727", "to": "447491163443",
                 "text": "Hello " + XSS, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
    "messageCount": 1, "pendingMessageCount": 0})
env.check(mo.status == 200, "an SMS with markup is stored", mo.text)
sid = env.sql1("SELECT id FROM sessions ORDER BY id DESC LIMIT 1")
writes = [("/admin/connections/new", fields), ("/admin/connections/%s" % cid, {"name": "X"}),
          ("/admin/connections/%s/stop" % cid, {}), ("/admin/connections/%s/start" % cid, {}),
          ("/admin/connections/%s/delete" % cid, {}),
          ("/admin/connections/%s/env" % cid, {"name": "A", "value": "1"}),
          ("/admin/connections/%s/env/delete" % cid, {"name": "A"}),
          ("/admin/agents/new", {"name": "X", "kind": "rules"}),
          ("/admin/agents/%s" % aid, {"name": "X"}), ("/admin/agents/%s/stop" % aid, {}),
          ("/admin/agents/%s/delete" % aid, {}),
          ("/admin/agents/%s/attach" % aid, {"conn": cid}),
          ("/admin/agents/%s/detach" % aid, {"conn": cid}),
          ("/admin/users", {"username": "eve", "role": "admin"}),
          ("/admin/users/delete", {"username": "ann"})]
session_writes = [("/admin/sessions/%d/takeover" % sid, {}),
                  ("/admin/sessions/%d/reply" % sid, {"text": "hi"}),
                  ("/admin/sessions/%d/release" % sid, {}),
                  ("/admin/sessions/%d/close" % sid, {})]
before = snap()
for path, f in writes + session_writes:
    r = post("vic", path, f)
    env.check(r.status == 403, "viewer: %s refused 403" % path, r.status)
for path, f in writes:
    r = post("otto", path, f)
    env.check(r.status == 403, "operator: %s refused 403" % path, r.status)
unchanged(before, "refused roles")
for user in ("otto", "vic"):
    env.check(get(user, "/admin/users").status == 403, "%s may not see Users" % user)
    env.check(get(user, "/admin/sessions/%d" % sid).status == 200, "%s reads sessions" % user)
    env.check(get(user, "/admin/connections/%s" % cid).status == 200,
              "%s reads a connection" % user)
    r = get(user, "/admin/connections/%s" % cid)
    env.check('action="/admin/connections/%s/stop"' % cid not in r.text,
              "%s sees no Stop button" % user)
r = post("otto", "/admin/sessions/%d/takeover" % sid, {})
env.check(r.status == 303 and r.headers.get("Location", "").endswith(
    "/admin/sessions/%d?done=takenover" % sid), "operator takes over: 303 to the session",
    "%s %s" % (r.status, r.headers.get("Location")))
env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (sid,)) == "otto",
          "the store says otto answers")
r = post("otto", "/admin/sessions/%d/reply" % sid, {"text": "Reply " + XSS})
env.check(r.status == 303, "operator replies: 303", r.status)
env.check(env.sql1("SELECT author FROM messages WHERE direction = 'out' ORDER BY id DESC"
                   " LIMIT 1") == "operator:otto", "the reply is the operator's")
env.check(env.sql1("SELECT COUNT(*) FROM outbox") >= 1, "queued in the outbox")
r = post("otto", "/admin/sessions/%d/release" % sid, {})
env.check(r.status == 303 and env.sql1("SELECT responsible FROM sessions WHERE id = ?",
                                       (sid,)) == "ai", "operator hands back")

# --- every form's bad input: 400, the error by its field, nothing stored -------
before = snap()
bad = [
    ("/admin/connections/new", {"name": "", "api_key": "", "api_url": "", "sender": ""},
     ["name", "api_key", "api_url", "sender"]),
    ("/admin/connections/new", {"name": "A\x07B", "api_key": "App xyz", "api_url": "ftp://x",
                                "sender": "+12ab", "description": "d\x01"},
     ["name", "api_key", "api_url", "sender", "description"]),
    ("/admin/connections/new", {"name": "x" * 300, "api_key": "k" * 600,
                                "api_url": "https://user:pw@x.api.infobip.com",
                                "sender": "ThisNameIsTooLong"},
     ["name", "api_key", "api_url", "sender"]),
    ("/admin/connections/%s" % cid, {"name": "", "api_url": "not a url", "sender": "1"},
     ["name", "api_url", "sender"]),
    ("/admin/agents/new", {"name": "", "kind": "magic"}, ["name", "kind"]),
    ("/admin/agents/new", {"name": "Hook", "kind": "http", "url": "ftp://x"}, ["url"]),
    ("/admin/agents/new", {"name": "Bad rules", "kind": "rules",
                           "instructions": "rule: => nothing"}, ["instructions"]),
    ("/admin/agents/new", {"name": "Model", "kind": "openai", "url": "http://example.com",
                           "api_key": "sk-123"}, ["url", "model"]),
    ("/admin/agents/%s" % aid, {"name": "", "kind": "rules"}, ["name"]),
]
for path, f, errs in bad:
    r = post("ann", path, f)
    env.check(r.status == 303 and "?notice=" in r.headers.get("Location", ""),
              "%s %s: 303 to the form's page" % (path, sorted(f)), r.status)
    loc = r.headers.get("Location", "/admin/")
    r = follow("ann", r)
    env.check(r.status == 400, "%s %s: the refused form after the redirect" % (path, sorted(f)),
              r.status)
    again = get("ann", loc)
    env.check(again.status == 200 and 'id="e-' not in again.text,
              "%s: the errors are shown once; a reload shows the form without them" % path,
              again.status)
    for e in errs:
        env.check('id="e-%s"' % e in r.text, "%s: an error by %s" % (path, e),
                  re.findall(r'id="e-[a-z_]+"', r.text))
    typed = f.get("name", "")
    if typed and "\x07" not in typed and len(typed) < 100:
        env.check('value="%s"' % typed in r.text, "%s: the typed name is kept" % path)
    env.check(SIM_KEY not in r.text and "sk-123" not in r.text and "App xyz" not in r.text,
              "%s: no key is sent back" % path)
r = follow("ann", post("ann", "/admin/connections/%s/env" % cid, {"name": "lower-case", "value": "v"}))
env.check(r.status == 400 and 'id="e-name"' in r.text, "a bad variable name: 400 by the field")
r = follow("ann", post("ann", "/admin/connections/%s/env" % cid, {"name": "GOOD", "value": "a\x01b"}))
env.check(r.status == 400, "a variable value with a control character: 400", r.status)
r = follow("ann", post("ann", "/admin/agents/%s/attach" % aid, {"conn": "f" * 32}))
env.check(r.status in (400, 404), "attaching an unknown connection is refused", r.status)
r = follow("otto", post("otto", "/admin/sessions/%d/reply" % sid, {"text": ""}))
env.check(r.status == 400 and 'id="e-text"' in r.text, "an empty reply: 400 by the field")
r = follow("ann", post("ann", "/admin/users", {"username": "eve", "role": "root"}))
env.check(r.status == 400, "an unknown role: 400", r.status)
r = follow("ann", post("ann", "/admin/users", {"username": "bad user\n", "role": "viewer"}))
env.check(r.status == 400, "a bad username: 400", r.status)
r = follow("ann", post("ann", "/admin/users", {"username": "ann", "role": "viewer"}))
env.check(r.status in (400, 409), "the last admin cannot lose the role", r.status)
r = raw_post("/admin/users", "csrf=%s&username=%%ZZ" % token("ann"), hdr("ann"))
env.check(r.status == 400, "a malformed form: 400", r.status)
r = raw_post("/admin/users", '{"username": "eve"}', hdr("ann"), ctype="application/json")
env.check(r.status == 415, "a form that is not urlencoded: 415", r.status)
unchanged(before, "refused forms")

# --- markup in every field and in the SMS, shown as text everywhere ---------
r = post("ann", "/admin/connections/new", {"name": "N " + XSS, "description": "D " + XSS,
                                          "api_key": SIM_KEY, "api_url": env.sim_url,
                                          "sender": "447491163444"})
env.check(r.status == 303, "a connection named with markup is saved", r.status)
xcid = r.headers.get("Location", "").split("/")[-1].split("?")[0]
r = post("ann", "/admin/connections/%s/env" % xcid, {"name": "INFOBIP_SHORT_DOMAIN",
                                                    "value": "V " + XSS})
env.check(r.status == 303, "a variable with markup is saved", r.status)
r = post("ann", "/admin/agents/new", {"name": "A " + XSS, "kind": "rules",
                                     "instructions": "greeting: G " + XSS})
env.check(r.status == 303, "an agent named with markup is saved", r.status)
xaid = r.headers.get("Location", "").split("/")[-1].split("?")[0]
env.cli("connection", "start", xcid)
r = post("ann", "/admin/users", {"username": "x<b>y", "role": "viewer"})
xpages = pages + ["/admin/connections/%s" % xcid, "/admin/connections/%s/logs" % xcid,
                  "/admin/agents/%s" % xaid, "/admin/sessions/%d" % sid,
                  "/admin/sessions?contact=%2B41793026727"]
for path in xpages:
    r = get("ann", path)
    env.check(r.status == 200, "%s with markup around: 200" % path, r.status)
    env.check("<script>alert" not in r.text and "<img src=x" not in r.text
              and "<b>y" not in r.text, "%s: no markup from data became HTML" % path)
for path, what in (("/admin/", "N &lt;script&gt;"), ("/admin/connections/%s" % xcid, "V &lt;"),
                   ("/admin/agents", "A &lt;script&gt;"),
                   ("/admin/sessions/%d" % sid, "Hello &lt;script&gt;alert(1)&lt;/script&gt;"),
                   ("/admin/sessions", "Reply &lt;script&gt;")):
    env.check(what in get("ann", path).text, "%s shows the markup as text" % path)
r = follow("ann", post("ann", "/admin/agents/%s/try" % xaid, {"text": XSS}))
env.check(r.status == 200 and "G &lt;script&gt;" in r.text and "<script>alert" not in r.text,
          "try it shows the answer as text")
r = get("ann", "/admin/sessions/%d/export" % sid)
try:
    exported = [m.get("text") for m in json.loads(r.text).get("messages", [])]
except ValueError:
    exported = []
env.check(r.status == 200 and r.headers.get("Content-Type", "").startswith("application/json")
          and r.headers.get("X-Content-Type-Options") == "nosniff"
          and "attachment" in r.headers.get("Content-Disposition", "")
          and "Hello " + XSS in exported,
          "the export is a JSON attachment holding the text as sent", repr(exported)[:200])

# --- keyset paging: every session once, ties in last activity included --------
tie = "2026-11-01 10:00:00.000"
for i in range(130):
    env.sql("INSERT INTO contacts (phone) VALUES (?)", ("+4930%08d" % i,))
    env.sql("INSERT INTO sessions (connection_id, contact_id, last_at, started_at)"
            " VALUES (?, (SELECT id FROM contacts WHERE phone = ?), ?, ?)",
            (cid, "+4930%08d" % i, tie if i % 2 else "2026-11-0%d 09:00:00.000" % (1 + i % 5),
             tie))
want = sorted(r[0] for r in env.sql("SELECT id FROM sessions WHERE connection_id = ?", (cid,)))
seen = []
path = "/admin/sessions?conn=%s" % cid
for _ in range(10):
    page = get("ann", path).text
    seen += [int(x) for x in re.findall(r'<tr data-session="(\d+)"', page)]
    nxt = re.search(r'href="(/admin/sessions\?[^"]*cur_id=\d+)"', page)
    if nxt is None:
        break
    path = nxt.group(1).replace("&amp;", "&")
env.check(sorted(seen) == want and len(seen) == len(set(seen)),
          "paging the sessions shows each once (%d of %d)" % (len(seen), len(want)))

# --- the command line and the admin leave the same store ------------------------
def conn_row(i):
    return env.sql("SELECT name, description, api_url, sender, status FROM connections"
                   " WHERE id = ?", (i,))[0]


def masked(i):
    out = env.cli("connection", "show", i).stdout
    return re.search(r"api_key: (\S+)", out).group(1)


cli_id = env.cli("connection", "add", "--name", "Twin", "--description", "same",
                 "--api-key", SIM_KEY, "--api-url", "x.api.infobip.com",
                 "--sender", "Twin").stdout.strip()
# Names are unique among connections: the admin's twin has its own.
r = post("ann", "/admin/connections/new", {"name": "Twin", "description": "same",
                                          "api_key": SIM_KEY, "api_url": "x.api.infobip.com",
                                          "sender": "Twin"})
env.check(r.status == 303 and "a connection named" in r.text + get("ann", r.headers.get(
    "Location", "/admin/")).text, "connection add: a name in use is refused")
r = post("ann", "/admin/connections/new", {"name": "Twin 2", "description": "same",
                                          "api_key": SIM_KEY, "api_url": "x.api.infobip.com",
                                          "sender": "Twin"})
adm_id = r.headers.get("Location", "").split("/")[-1].split("?")[0]


def conn_row(i, _row=conn_row):
    """The row but its name (the twins' names differ)."""
    return _row(i)[1:]


env.check(conn_row(cli_id) == conn_row(adm_id) and masked(cli_id) == masked(adm_id),
          "connection add: the same row from both", "%r %r" % (conn_row(cli_id),
                                                              conn_row(adm_id)))
env.cli("connection", "edit", cli_id, "--sender", "447491160000", "--api-url",
        "y.api.infobip.com", check=False)
post("ann", "/admin/connections/%s" % adm_id, {"name": "Twin 2", "description": "same",
                                              "api_key": masked(adm_id),
                                              "api_url": "y.api.infobip.com",
                                              "sender": "447491160000"})
env.check(conn_row(cli_id) == conn_row(adm_id) and masked(cli_id) == masked(adm_id),
          "connection edit (the mask keeps the key): the same row from both",
          "%r %r" % (conn_row(cli_id), conn_row(adm_id)))
# --- one Start or Stop at a time, across the admin and the command line ------
import threading  # noqa: E402
import time  # noqa: E402


def status_of(i):
    return env.sql1("SELECT status FROM connections WHERE id = ?", (i,))


def balance_checks(since):
    return len(env.sim("/_sim/requests?path=/account/1/balance&since=%d" % since)["requests"])


def last_seq():
    reqs = env.sim("/_sim/requests")["requests"]
    return reqs[-1]["seq"] if reqs else 0


def in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()))
    t.start()
    return t, out


SLOW = 4.0
life_id = env.add_connection(name="Lifecycle", sender="447491160002")
env.sim("/_sim/fault", {"endpoint": "/account/1/balance", "kind": "slow", "delay": SLOW})
t, out = in_thread(lambda: post("ann", "/admin/connections/%s/start" % life_id, {}))
env.check(env.wait_for(lambda: status_of(life_id) == "STARTING", timeout=SLOW),
          "Start in the admin: STARTING while the slow balance check runs", status_of(life_id))
p = env.cli("connection", "stop", life_id, check=False)
env.check(p.returncode == 0 and status_of(life_id) == "STOPPED",
          "Stop from the command line during STARTING: STOPPED", p.stderr)
t.join(SLOW + 30)
env.check(not t.is_alive() and out.get("r") is not None and out["r"].status in (303, 409),
          "the admin's Start answers once the check returns",
          out.get("r") and out["r"].status)
env.check(status_of(life_id) == "STOPPED",
          "the late check does not override the Stop: still STOPPED", status_of(life_id))
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'start'"
                   " AND text LIKE '%discarded%'", (life_id,)) == 1,
          "the late check's result is logged and discarded",
          env.sql("SELECT level, event, text FROM logs WHERE connection_id = ?", (life_id,)))
since = last_seq()
env.sim("/_sim/fault", {"endpoint": "/account/1/balance", "kind": "slow", "delay": SLOW})
t, out = in_thread(lambda: post("ann", "/admin/connections/%s/start" % life_id, {}))
env.check(env.wait_for(lambda: balance_checks(since) == 1, timeout=SLOW),
          "the admin's Start is checking")
p = env.cli("connection", "start", life_id, check=False)
env.check(p.returncode == 1 and "under way" in p.stderr,
          "a second Start (command line) while one runs is refused", p.stderr)
t.join(SLOW + 30)
env.check(balance_checks(since) == 1, "two concurrent Starts: one check reached Infobip",
          balance_checks(since))
env.check(status_of(life_id) == "RUNNING", "the first Start ends RUNNING", status_of(life_id))
env.cli("connection", "stop", life_id)

# --- every POST answers 303; what it shows comes once after the redirect -----
pr_id = env.add_connection(name="Redirects", sender="447491160003")
pr_aid, _ = env.add_rules_agent(pr_id)
env.check(env.post("/channel/%s/webhook/sms" % pr_id, {
    "results": [{"messageId": "prg-1", "from": "41793026728", "to": "447491160003",
                 "text": "hi", "receivedAt": "2026-11-27T10:00:00.000+0000"}],
    "messageCount": 1, "pendingMessageCount": 0}).status == 200, "an SMS for the session")
pr_sid = env.sql1("SELECT id FROM sessions WHERE connection_id = ?", (pr_id,))
every_post = [  # each POST route but the campaign uploads, good input and bad
    ("/admin/connections/new", {}), ("/admin/connections/%s" % pr_id, {"name": ""}),
    ("/admin/connections/%s/env" % pr_id, {"name": "bad name"}),
    ("/admin/connections/%s/env/delete" % pr_id, {"name": "NONE"}),
    ("/admin/agents/new", {}), ("/admin/agents/%s" % pr_aid, {"name": ""}),
    ("/admin/agents/%s/attach" % pr_aid, {}), ("/admin/agents/%s/detach" % pr_aid, {}),
    ("/admin/agents/%s/try" % pr_aid, {"text": "hello"}),
    ("/admin/agents/%s/tokens" % pr_aid, {}), ("/admin/agents/%s/tokens/revoke" % pr_aid, {}),
    ("/admin/sessions/%d/takeover" % pr_sid, {}), ("/admin/sessions/%d/reply" % pr_sid, {}),
    ("/admin/sessions/%d/release" % pr_sid, {}), ("/admin/sessions/%d/close" % pr_sid, {}),
    ("/admin/users", {}), ("/admin/users/delete", {}),
    ("/admin/campaigns/999/start", {}), ("/admin/campaigns/999/pause", {}),
    ("/admin/campaigns/999/resume", {}), ("/admin/campaigns/999/cancel", {}),
    ("/admin/agents/%s/stop" % pr_aid, {}), ("/admin/agents/%s/start" % pr_aid, {}),
    ("/admin/connections/%s/start" % pr_id, {}), ("/admin/connections/%s/stop" % pr_id, {}),
    ("/admin/agents/%s/delete" % pr_aid, {}), ("/admin/connections/%s/delete" % pr_id, {}),
]
for path, f in every_post:
    r = post("ann", path, f)
    env.check(r.status == 303 and r.headers.get("Location", "").startswith("/admin/"),
              "POST %s answers 303" % path, "%s %s" % (r.status, r.headers.get("Location")))
    shown = follow("ann", r)
    env.check(shown.status in (200, 400, 404, 409),
              "POST %s: the page after the redirect" % path, shown.status)
# The refused form comes back once, with the values typed.
r = post("ann", "/admin/agents/new", {"name": "Typed once", "kind": "magic"})
loc = r.headers.get("Location", "")
first, second = get("ann", loc), get("ann", loc)
env.check('value="Typed once"' in first.text and 'id="e-kind"' in first.text,
          "the refused form's values and errors show after the redirect", first.status)
env.check(second.status == 200 and 'id="e-kind"' not in second.text
          and "Typed once" not in second.text, "and only once: a reload shows a fresh form")
env.check(get("otto", loc).status != 400 and "Typed once" not in get("vic", loc).text,
          "nobody else sees another user's notice")
# A new token is shown once; reloading its page makes no second one.
tok_id = env.add_connection(name="Tokens", sender="447491160004")
tok_aid, _ = env.add_rules_agent(tok_id)
before_tokens = env.sql1("SELECT COUNT(*) FROM api_tokens")
r = post("ann", "/admin/agents/%s/tokens?conn=%s" % (tok_aid, tok_id), {})
loc = r.headers.get("Location", "")
env.check(r.status == 303 and 'id="new-token-value"' not in r.text, "New API token: 303, no token in the"
          " redirect", r.status)
first = get("ann", loc)
env.check(re.search(r'id="new-token-value">ibt_[0-9a-f]{64}<', first.text) is not None,
          "the new token is shown after the redirect", first.status)
reload_ = get("ann", loc)
env.check(reload_.status == 200 and 'id="new-token-value"' not in reload_.text
          and env.sql1("SELECT COUNT(*) FROM api_tokens") == before_tokens + 1,
          "reloading the token page shows no token and makes no second one",
          env.sql1("SELECT COUNT(*) FROM api_tokens") - before_tokens)
env.check(not any("ibt_" in (row[0] or "") for row in env.sql("SELECT body FROM admin_notices")),
          "no token waits in the store in clear")

# --- the masked key in the form keeps the key --------------------------------
def form_fields(path):
    """The named inputs of the page's first POST form with a name field, as rendered."""
    page = get("ann", path).text
    form = next(f for f in re.findall(r'<form method="post"[^>]*>(.*?)</form>', page, re.S)
                if 'name="name"' in f)
    out = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            out[name.group(1)] = value.group(1) if value else ""
    return out


def key_enc(i):
    return env.sql1("SELECT api_key_enc FROM connections WHERE id = ?", (i,))


mask_id = env.add_connection(name="Masked", sender="447491160001")
enc = key_enc(mask_id)
shown = form_fields("/admin/connections/%s" % mask_id)
env.check(shown.get("api_key") == "****" + SIM_KEY[-4:], "the form shows the key masked",
          repr(shown.get("api_key")))
r = post("ann", "/admin/connections/%s" % mask_id, shown)
env.check(r.status == 303 and key_enc(mask_id) == enc,
          "saving the form as rendered keeps the key", r.status)
r = post("ann", "/admin/connections/%s" % mask_id, dict(shown, api_key="****zzzz"))
env.check(r.status == 303 and key_enc(mask_id) == enc and masked(mask_id) == shown["api_key"],
          "saving another key's mask (a stale form) keeps the key", masked(mask_id))
r = post("ann", "/admin/connections/%s" % mask_id, dict(shown, api_key="****"))
env.check(r.status == 303 and key_enc(mask_id) == enc, "saving a short key's mask keeps the key")
r = post("ann", "/admin/connections/%s" % mask_id, dict(shown, api_key="new-key-0042"))
env.check(r.status == 303 and key_enc(mask_id) != enc and masked(mask_id) == "****0042",
          "a real new key replaces it", masked(mask_id))
before = snap()
r = post("ann", "/admin/connections/new", dict(fields, name="Mask only", api_key="****zzzz"))
env.check(r.status == 303 and follow("ann", r).status == 400 and snap() == before,
          "a new connection with a mask for its key is refused", r.status)
env.cli("connection", "env", cli_id, "INFOBIP_SHORT_DOMAIN", "s.example.com")
post("ann", "/admin/connections/%s/env" % adm_id, {"name": "INFOBIP_SHORT_DOMAIN",
                                                  "value": "s.example.com"})
env_rows = [env.sql("SELECT name, value FROM connection_env WHERE connection_id = ?", (i,))
            for i in (cli_id, adm_id)]
env.check(env_rows[0] == env_rows[1] and env_rows[0], "env set: the same from both",
          repr(env_rows))
env.cli("user", "set", "twin-cli", "operator")
post("ann", "/admin/users", {"username": "twin-adm", "role": "operator"})
env.check(env.sql1("SELECT role FROM users WHERE username = 'twin-cli'")
          == env.sql1("SELECT role FROM users WHERE username = 'twin-adm'") == "operator",
          "user set: the same role from both")
env.cli("connection", "delete", cli_id, check=False)
post("ann", "/admin/connections/%s/delete" % adm_id, {})
gone = [env.sql("SELECT deleted_at IS NOT NULL, api_key_enc FROM connections WHERE id = ?",
                (i,)) for i in (cli_id, adm_id)]
env.check(gone[0] == gone[1], "connection delete: the same from both", repr(gone))

# --- a PostgreSQL store's password is on no page ----------------------------------
# A SQLite store is a file name with nothing secret in it; a PostgreSQL URI
# may carry a password. The test cluster trusts its socket, so a URI with a
# password opens the same database: every page that reads the store, /health
# and the store-unavailable answers must show none of it.
if env.engine == "postgresql":
    SECRET = "pw-Never-Shown-7c1e"
    u = urllib.parse.urlsplit(env.db)
    with_pw = urllib.parse.urlunsplit((u.scheme, "%s:%s@%s" % (u.username, SECRET, u.netloc.split(
        "@", 1)[1]), u.path, u.query, ""))
    gone_db = urllib.parse.urlunsplit((u.scheme, "%s:%s@%s" % (u.username, SECRET, u.netloc.split(
        "@", 1)[1]), "/no_such_database_here", u.query, ""))

    def inbound_cgi(path, db):
        """inbound.fcgi as plain CGI on store db: (status, headers and body)."""
        e = dict(env.env, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET", REQUEST_URI=path,
                 SCRIPT_NAME="", PATH_INFO=path, SERVER_PROTOCOL="HTTP/1.1",
                 CONTENT_LENGTH="0", IBCHANNEL_DB=db)
        p = subprocess.run([os.path.join(BUILD, "inbound.fcgi")], env=e, input=b"",
                           capture_output=True, timeout=30)
        m = re.search(rb"(?im)^status:\s*(\d+)", p.stdout.partition(b"\r\n\r\n")[0])
        return int(m.group(1)) if m else 200, p.stdout.decode(errors="replace")

    for path in ("/admin/", "/admin/dashboard", "/admin/metrics", "/admin/connections",
                 "/admin/connections/%s" % mask_id, "/admin/connections/%s/logs" % mask_id,
                 "/admin/agents", "/admin/sessions", "/admin/campaigns", "/admin/users"):
        status, head, body = cgi(path, REMOTE_USER="ann", IBCHANNEL_DB=with_pw)
        env.check(status == 200 and SECRET not in head + body,
                  "a URI with a password: %s answers and shows no password" % path, status)
    status, out = inbound_cgi("/health", with_pw)
    env.check(status == 200 and SECRET not in out, "/health on it: 200, no password", status)
    status, out = inbound_cgi("/health", gone_db)
    env.check(status == 503 and SECRET not in out,
              "/health on a database that does not exist: 503, no password", (status, out[-300:]))
    status, head, body = cgi("/admin/", REMOTE_USER="ann", IBCHANNEL_DB=gone_db)
    env.check(status == 503 and SECRET not in head + body,
              "the admin on a database that does not exist: 503, no password",
              (status, body[-300:]))
env.done()
