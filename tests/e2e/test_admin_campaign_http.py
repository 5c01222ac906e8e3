"""The admin's Campaigns pages over HTTP, under a real lighttpd: who may
create, start and cancel (viewer and operator refused), the CSRF token
(missing, wrong, or after the file: refused, nothing stored), bad fields
answered next to each field with nothing created, a missing or oversize
file refused, hostile CSV content, file names and templates shown as text,
the import's counts and rejected lines, the preview, the recipient filters
and paging, the status JSON, and the CSV export matching the counts."""

import csv
import http.client
import io
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Response  # noqa: E402

USERS = {"ann": "ann-pw", "otto": "otto-pw", "vic": "vic-pw"}
env = Env("admin_campaign_http", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator", "vic": "viewer"})
FORM = "application/x-www-form-urlencoded"
XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'

cid = env.add_connection(name="Line <b>one</b>", sender="447491163443")
aid, _ = env.add_rules_agent(cid, name="Desk <i>A</i>")
hdr = env.auth


def get(user, path):
    return env.get(path, headers=hdr(user))


def token(user, path="/admin/agents/%s" % aid):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', get(user, path).text)
    return m.group(1) if m else ""


def raw(method, path, body, headers):
    """A request that does not follow redirects: the admin's 303 is what is checked."""
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=60)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()


def post(user, path, fields=None, csrf=True):
    fields = dict(fields or {})
    if csrf is True:
        fields["csrf"] = token(user)
    elif csrf:
        fields["csrf"] = csrf
    return raw("POST", path, urllib.parse.urlencode(fields).encode(),
               dict(hdr(user), **{"Content-Type": FORM}))


def multipart(fields, files, boundary="----ibcTestBoundary7MA4YWxk"):
    """fields: [(name, value)] in order; files: [(name, filename, bytes)] after them."""
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                    % (boundary, name)).encode() + value.encode() + b"\r\n")
    for name, filename, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: text/csv\r\n\r\n" % (boundary, name, filename)).encode()
                   + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def create(user, form, data, filename="people.csv", csrf=True, csrf_last=False,
           path="/admin/campaigns/new"):
    """POSTs the New campaign form with its file, as the browser does (the token first)."""
    fields = list(form.items())
    tok = token(user) if csrf is True else csrf
    files = [("csv", filename, data)] if data is not None else []
    if tok and not csrf_last:
        fields.insert(0, ("csrf", tok))
    body, ctype = multipart(fields, files)
    if tok and csrf_last:
        body, ctype = multipart(fields, files + [])
        body = body[:-len(b"------ibcTestBoundary7MA4YWxk--\r\n")] + \
            b"------ibcTestBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"csrf\"" \
            b"\r\n\r\n" + tok.encode() + b"\r\n------ibcTestBoundary7MA4YWxk--\r\n"
    r = raw("POST", path, body, dict(hdr(user), **{"Content-Type": ctype}))
    return after_post(user, r)


# The last upload's own answer and the page its redirect showed.
LAST = {}


def after_post(user, r):
    """Every POST the admin takes answers 303; a page it has to show (field
    errors, the import report) waits behind ?notice= once: follow it."""
    LAST["post"], LAST["location"] = r.status, r.headers.get("Location", "")
    if r.status == 303 and "?notice=" in LAST["location"]:
        return get(user, LAST["location"])
    return r


def count(table="campaigns"):
    return env.sql1("SELECT COUNT(*) FROM %s" % table)


def good_form(name):
    return {"name": name, "connection": cid, "agent": str(aid),
            "text": "Hi {{name}}, spring is here", "start": "", "tz": "",
            "window": "", "rate": "60"}


GOOD_CSV = b"phone,name\n+4915112340001,Ann\n4915112340002,Bo\n"

# --- navigation and the empty list -----------------------------------------------
r = get("vic", "/admin/campaigns")
env.check(r.status == 200 and 'href="/admin/campaigns"' in r.text,
          "a viewer sees the Campaigns page, in the navigation", r.status)
env.check('id="add-campaign"' not in r.text, "a viewer gets no New campaign button")
r = get("ann", "/admin/")
env.check('href="/admin/campaigns"' in r.text, "every page links Campaigns")
r = get("ann", "/admin/campaigns/new")
env.check(r.status == 200 and 'enctype="multipart/form-data"' in r.text
          and 'type="file"' in r.text, "New campaign: a multipart form with a file input")
form_html = re.search(r'<form method="post"[^>]*>(.*?)</form>', r.text, re.S)
env.check(form_html is not None and form_html.group(1).startswith('<input type="hidden" name="csrf"'),
          "the token is the form's first field (checked before the file is stored)")
env.check("Line &lt;b&gt;one&lt;/b&gt;" in r.text and "Desk &lt;i&gt;A&lt;/i&gt;" in r.text,
          "connection and agent names with markup are offered as text")
for field in ("name", "connection", "agent", "text", "start", "tz", "window", "rate"):
    env.check('name="%s"' % field, "the form has %s" % field)

# --- roles ----------------------------------------------------------------------------
env.check(get("vic", "/admin/campaigns/new").status == 403, "a viewer may not open New campaign")
env.check(get("otto", "/admin/campaigns/new").status == 403, "an operator may not either")
r = create("vic", good_form("VIC_TRY"), GOOD_CSV, csrf=token("vic"))
env.check(r.status == 403 and "role" in r.text, "a viewer may not create a campaign", r.status)
r = create("otto", good_form("OTTO_TRY"), GOOD_CSV, csrf=token("otto"))
env.check(r.status == 403, "an operator may not create a campaign", r.status)
env.check(count() == 0, "nothing was created by the refused roles")

# --- CSRF ---------------------------------------------------------------------------
r = create("ann", good_form("NO_TOKEN"), GOOD_CSV, csrf=False)
env.check(r.status == 403 and "security token" in r.text, "no token: 403", r.status)
r = create("ann", good_form("BAD_TOKEN"), GOOD_CSV, csrf="0" * 64)
env.check(r.status == 403, "a wrong token: 403", r.status)
r = create("ann", good_form("VIC_TOKEN"), GOOD_CSV, csrf=token("vic"))
env.check(r.status == 403, "another user's token: 403", r.status)
r = create("ann", good_form("LATE_TOKEN"), GOOD_CSV, csrf_last=True)
env.check(r.status == 403, "the token after the file: refused before the file is stored", r.status)
env.check(count() == 0 and count("campaign_recipients") == 0, "nothing was created without a token")

# --- not multipart, malformed ------------------------------------------------------------
r = post("ann", "/admin/campaigns/new", good_form("URLENCODED"))
env.check(r.status == 415 and "multipart/form-data" in r.text,
          "an urlencoded POST: 415 saying multipart/form-data", r.status)
body, _ = multipart([("csrf", token("ann"))] + list(good_form("NO_BOUNDARY").items()),
                    [("csv", "p.csv", GOOD_CSV)])
r = raw("POST", "/admin/campaigns/new", body,
        dict(hdr("ann"), **{"Content-Type": "multipart/form-data"}))
env.check(r.status == 415, "multipart without a boundary: 415", r.status)
r = raw("POST", "/admin/campaigns/new", body[:len(body) // 2],
        dict(hdr("ann"), **{"Content-Type": "multipart/form-data; boundary=----ibcTestBoundary7MA4YWxk"}))
env.check(r.status == 400 and "could not be read" in r.text,
          "a body cut short: 400", r.status)
env.check(count() == 0, "nothing was created from malformed bodies")

# --- bad fields: errors next to each, the form refilled, nothing created -------------
bad = {"name": "bad name", "connection": "", "agent": str(aid),
       "text": "Hi {{name}} " + XSS, "start": "2026-13-45T99:00", "tz": "",
       "window": "25:00-26:00", "rate": "0"}
r = create("ann", bad, GOOD_CSV)
env.check(r.status == 400, "bad fields: 400", r.status)
for field in ("name", "connection", "start", "window", "rate"):
    env.check('id="e-%s"' % field in r.text, "an error next to %s" % field)
env.check('value="bad name"' in r.text, "the typed name is kept")
env.check("&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "<script>alert(1)" not in r.text,
          "the typed text is refilled as text")
r = create("ann", dict(good_form("BAD_ZONE"), tz="Mars/Base"), GOOD_CSV)
env.check(r.status == 400 and 'id="e-tz"' in r.text and 'value="Mars/Base"' in r.text,
          "an unknown zone: an error next to it, the typed zone kept", r.status)
env.check(count() == 0, "bad fields: nothing created")
r = create("ann", good_form("NO_FILE"), None)
env.check(r.status == 400 and 'id="e-csv"' in r.text, "no file: an error next to the file", r.status)
r = create("ann", good_form("EMPTY_FILE"), b"")
env.check(r.status == 400 and 'id="e-csv"' in r.text, "an empty file: an error next to it", r.status)
env.check(count() == 0, "no file: nothing created")

# --- oversize --------------------------------------------------------------------
env.cli("settings", "set", "campaign_upload_max_mb", "1")
big = b"phone,name\n" + b"".join(b"+49151%08d,Person\n" % i for i in range(90000))
env.check(len(big) > 1024 * 1024 + 300 * 1024, "the big file is over the limit", len(big))
r = create("ann", good_form("TOO_BIG"), big)
env.check(r.status == 413 and "1 MiB" in r.text, "a file over the limit: 413 naming it", r.status)
env.check(count() == 0 and count("campaign_recipients") == 0, "oversize: nothing created")
env.cli("settings", "unset", "campaign_upload_max_mb")
# Above the web server's general 16 MiB body limit: the upload routes are let through.
note = "x" * 16000
large = b"phone,name\n" + b"".join(b"+49160%08d,%s\n" % (i, note.encode()) for i in range(1100))
env.check(len(large) > 16 * 1024 * 1024, "the large file is over 16 MiB", len(large))
r = create("ann", good_form("LARGE_FILE"), large)
env.check(r.status == 200 and 'id="import-counts"' in r.text,
          "a file over 16 MiB reaches the admin and is imported", r.status)
m = re.search(r'id="import-counts">([^<]*)<', r.text)
env.check(m is not None and m.group(1) == "imported 1100, rejected 0", "all 1100 lines",
          m and m.group(1))

# --- hostile content, the import report, the preview ---------------------------------------
rows = ["phone,name,timezone", "+4915112340001,%s," % XSS.replace('"', "'").replace(",", ";"),
        "4915112340002,Bo <b>bold</b>,", "+4915112340001,Dup,",
        "not-a-number,X,", "+4915112340003,,", "+4915112340004,Tz,<img src=x onerror=alert(3)>"]
rows += ["bad%d,X," % i for i in range(130)]
rows += ["+49151123%05d,N%d," % (i, i) for i in range(100, 160)]
hostile = ("\n".join(rows) + "\n").encode()
r = create("ann", {"name": "SPRING_OFFER", "connection": cid, "agent": str(aid),
                   "text": "Hi {{name}} <u>now</u>", "start": "", "tz": "", "window": "09:00-20:00",
                   "rate": "60"}, hostile, filename='<b>list</b>%22.csv')
camp = env.sql1("SELECT id FROM campaigns WHERE name = 'SPRING_OFFER'")
env.check(r.status == 200 and camp is not None, "a good form with a file creates the campaign", r.status)
env.check(LAST["post"] == 303 and "?notice=" in LAST["location"],
          "the upload answered 303: a reload sends nothing again", LAST)
again = get("ann", LAST["location"])
env.check(again.status == 200 and "import-counts" not in again.text,
          "the import report is shown once: the same address again shows the form alone",
          again.status)
total = env.sql1("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?", (camp,))
env.check(total == 62, "62 recipients imported", total)
m = re.search(r'id="import-counts">([^<]*)<', r.text)
env.check(m and m.group(1) == "imported 62, rejected 134", "the page says imported N, rejected M",
          m and m.group(1))
rej = re.findall(r"<tr><td class=\"num\">(\d+)</td><td class=\"text\">([^<]*)</td></tr>", r.text)
env.check(len(rej) == 100, "the first 100 rejected lines are listed", len(rej))
env.check(rej and rej[0][0] == "4" and "duplicate" in rej[0][1], "line 4: a duplicate",
          rej[:1])
reasons = {line: why for line, why in rej}
env.check("invalid phone" in reasons.get("5", ""), "line 5: invalid phone number")
env.check("template field missing: name" in reasons.get("6", ""), "line 6: template field missing")
env.check("&lt;img src=x onerror=alert(3)&gt;" in reasons.get("7", ""),
          "a hostile timezone in a reason is shown as text", reasons.get("7"))
env.check('id="rejects-more">and 34 more' in r.text, "and the count of the rest")
env.check("&lt;b&gt;list&lt;/b&gt;" in r.text and "<b>list</b>" not in r.text,
          "the file name is shown as text")
prev = re.findall(r'<p class="msg-text">([^<]*)</p>', r.text)
env.check(len(prev) == 5, "a preview of the first 5 messages", len(prev))
env.check(prev and prev[0].startswith("Hi &lt;script&gt;alert(1)&lt;/script&gt;"),
          "the rendered message with markup from the CSV is text", prev[:1])
env.check(prev and prev[1] == "Hi Bo &lt;b&gt;bold&lt;/b&gt; &lt;u&gt;now&lt;/u&gt;",
          "the second one too", prev[1:2])
env.check("<script>alert" not in r.text and "<img src=x" not in r.text and "<u>now" not in r.text,
          "no markup from the file or the template reaches the page")
env.check(not re.search(r"<[^>]+\son[a-z]+=", r.text), "no event handler attribute on the page")
env.check('class="btn primary camp-start"' in r.text and "camp-cancel" in r.text
          and "camp-pause" not in r.text, "a draft offers Start and Cancel, not Pause")
env.check(env.sql1("SELECT state FROM campaigns WHERE id = ?", (camp,)) == "draft",
          "the campaign waits in draft")

# --- the campaign's page as every role sees it --------------------------------------
for user in ("ann", "otto", "vic"):
    r = get(user, "/admin/campaigns/%d" % camp)
    env.check(r.status == 200 and "SPRING_OFFER" in r.text, "%s reads the campaign" % user)
    env.check("&lt;u&gt;now&lt;/u&gt;" in r.text and "<u>now" not in r.text,
              "%s: the template is shown as text" % user)
    env.check(("camp-start" in r.text) == (user == "ann"), "%s: Start only for who may" % user)
r = get("ann", "/admin/campaigns")
env.check(r.status == 200 and 'data-campaign="%d"' % camp in r.text and 'class="cbar"' in r.text,
          "the list shows the campaign with its progress bar")
env.check("Line &lt;b&gt;one&lt;/b&gt;" in r.text and "Desk &lt;i&gt;A&lt;/i&gt;" in r.text,
          "with its connection and agent, as text")
env.check('data-k="planned">62<' in r.text and 'data-k="pct">0<' in r.text,
          "62 planned, 0 % done")
env.check(get("ann", "/admin/campaigns/99999").status == 404, "an unknown campaign: 404")

for path in ("/admin/campaigns", "/admin/campaigns/new", "/admin/campaigns/%d" % camp):
    r = get("ann", path)
    h = {k.lower(): v for k, v in r.headers.items()}
    env.check("script-src 'self'" in h.get("content-security-policy", "")
              and h.get("x-frame-options") == "DENY", "%s: the security headers" % path)
    env.check(not re.search(r"<script>|<script [^>]*>[^<]", r.text)
              and not re.search(r"<[^>]+\son[a-z]+=", r.text),
              "%s: no inline script or event handler" % path)
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', r.text, re.S)
    env.check((forms or path == "/admin/campaigns") and all(f.startswith('<input type="hidden" name="csrf"') for f in forms),
              "%s: every POST form starts with its CSRF token" % path, len(forms))

# --- recipients: filters and paging ------------------------------------------------------
r = get("ann", "/admin/campaigns/%d" % camp)
first = re.findall(r'<tr data-status="(\w+)">', r.text)
env.check(len(first) == 50, "the first page holds 50 recipients", len(first))
nxt = re.search(r'class="btn next" href="([^"]+)"', r.text)
env.check(nxt is not None, "with a Next page link")
if nxt:
    r2 = get("ann", nxt.group(1).replace("&amp;", "&"))
    env.check(len(re.findall(r'<tr data-status="', r2.text)) == 12, "the second page: 12 more")
r = get("ann", "/admin/campaigns/%d?phone=491511230011" % camp)
phones = re.findall(r'<td class="mono phone">([^<]*)</td>', r.text)
env.check(len(phones) == 10 and all(p.startswith("+491511230011") for p in phones),
          "the number prefix filter (without +)", phones)
r = get("ann", "/admin/campaigns/%d?phone=%%2B4915112340002" % camp)
phones = re.findall(r'<td class="mono phone">([^<]*)</td>', r.text)
env.check(phones == ["+4915112340002"], "the number prefix filter (with +)", phones)
# A prefix matching more than a page: in number order, the next page going on after the last number.
r = get("ann", "/admin/campaigns/%d?phone=49151" % camp)
phones = re.findall(r'<td class="mono phone">([^<]*)</td>', r.text)
env.check(len(phones) == 50 and phones == sorted(phones), "a number prefix: a page in number order",
          phones[:5])
nxt = re.search(r'class="btn next" href="([^"]+)"', r.text)
env.check(nxt is not None and "phone=49151" in nxt.group(1), "with a Next page link keeping the prefix")
if nxt:
    more = re.findall(r'<td class="mono phone">([^<]*)</td>',
                      get("ann", nxt.group(1).replace("&amp;", "&")).text)
    every = [p for (p,) in env.sql("SELECT phone FROM campaign_recipients WHERE campaign_id = ?"
                                   " AND phone LIKE '+49151%' ORDER BY phone", (camp,))]
    env.check(phones + more == every, "the two pages: every matching number once, in order",
              "%d + %d of %d" % (len(phones), len(more), len(every)))
r = get("ann", "/admin/campaigns/%d?phone=%s" % (camp, urllib.parse.quote(XSS)))
env.check(r.status == 200 and "digits only" in r.text and "<script>alert" not in r.text,
          "a bad prefix is said, not used, and not echoed as markup")
r = get("ann", "/admin/campaigns/%d?status=delivered" % camp)
env.check("No recipient matches" in r.text, "status filter: none delivered yet")

# --- import more: duplicates refused -----------------------------------------------------
r = create("ann", {}, b"phone,name\n+4915112340001,Again\n+4915112349999,New\n",
           path="/admin/campaigns/%d/import" % camp)
env.check(r.status == 200 and "imported 1, rejected 1" in r.text,
          "Import more: the new number in, the known one a duplicate", r.status)
r = create("vic", {}, b"phone\n+4915112348888\n", csrf=token("vic"),
           path="/admin/campaigns/%d/import" % camp)
env.check(r.status == 403, "a viewer may not import", r.status)
total = env.sql1("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?", (camp,))
env.check(total == 63, "63 recipients now", total)

# --- actions: roles, CSRF, state -------------------------------------------------------------
def state(n):
    return env.sql1("SELECT state FROM campaigns WHERE id = ?", (n,))


for user in ("vic", "otto"):
    for action in ("start", "pause", "resume", "cancel"):
        r = post(user, "/admin/campaigns/%d/%s" % (camp, action), csrf=token(user))
        env.check(r.status == 403, "%s may not %s" % (user, action), r.status)
r = post("ann", "/admin/campaigns/%d/cancel" % camp, csrf=False)
env.check(r.status == 403, "Cancel without a token: 403", r.status)
r = post("ann", "/admin/campaigns/%d/start" % camp, csrf="1" * 64)
env.check(r.status == 403, "Start with a wrong token: 403", r.status)
env.check(state(camp) == "draft", "still a draft after the refusals")
r = post("ann", "/admin/campaigns/%d/pause" % camp)
env.check(r.status == 303, "Pause a draft: 303 (every POST redirects)", r.status)
r = get("ann", r.headers.get("Location", ""))
env.check(r.status == 409 and "draft" in r.text, "Pause a draft: 409 naming the state", r.status)
r = post("ann", "/admin/campaigns/%d/start" % camp)
env.check(r.status == 303 and r.headers.get("Location", "").endswith(
    "/admin/campaigns/%d?done=camp-started" % camp), "Start: 303 back to the page",
    (r.status, r.headers.get("Location")))
env.check(state(camp) in ("running", "scheduled"), "started", state(camp))
r = post("ann", "/admin/campaigns/%d/pause" % camp)
env.check(r.status == 303 and state(camp) == "paused", "Pause", state(camp))
r = get("ann", "/admin/campaigns/%d" % camp)
env.check("camp-resume" in r.text and "camp-pause" not in r.text and "camp-start" not in r.text,
          "a paused campaign offers Resume and Cancel")
r = post("ann", "/admin/campaigns/%d/cancel" % camp)
env.check(r.status == 303 and state(camp) == "canceled", "Cancel", state(camp))
r = get("ann", "/admin/campaigns/%d" % camp)
env.check("camp-cancel" not in r.text and "camp-resume" not in r.text and 'id="camp-actions"' in r.text,
          "a canceled campaign offers no action")
env.check('data-k="canceled">63<' in r.text and 'data-k="pct">100<' in r.text,
          "every recipient counted canceled, 100 % done")
r = post("ann", "/admin/campaigns/%d/start" % camp)
env.check(r.status == 303, "Start a canceled campaign: 303", r.status)
r = get("ann", r.headers.get("Location", ""))
env.check(r.status == 409 and "canceled" in r.text, "Start a canceled campaign: 409", r.status)

# --- the import's progress, asked for by the uploading page ------------------------------------
TOK = "0123456789abcdef0123456789abcdef"
rows = b"phone,name\n" + b"".join(b"+49170%08d,P%d\n" % (i, i) for i in range(50000))
t0 = __import__("time").time()
r = create("ann", dict(good_form("WITH_PROGRESS"), upload_token=TOK), rows)
took = __import__("time").time() - t0
env.check(r.status == 200 and "imported 50000, rejected 0" in r.text, "50000 imported", r.status)
j = get("ann", "/admin/campaigns/progress?token=" + TOK).json() or {}
print("50000 lines uploaded and imported in %.1f s" % took)
env.check(j.get("known") and j.get("finished") and j.get("lines") == 50000
          and j.get("bytes") == j.get("total") == len(rows),
          "the import's progress: finished, every line and byte", (took, j))
j = get("vic", "/admin/campaigns/progress?token=" + TOK).json() or {}
env.check(j == {"known": False}, "another user is told nothing", j)
j = get("ann", "/admin/campaigns/progress?token=" + TOK[:-1] + "g").json() or {}
env.check(j == {"known": False}, "a malformed token: nothing", j)

# --- a start time: Schedule -----------------------------------------------------------------
r = create("ann", dict(good_form("LATER_ON"), start="2030-01-02T09:30", tz="Europe/Berlin",
                       window="22:00-06:00"), GOOD_CSV)
later = env.sql1("SELECT id FROM campaigns WHERE name = 'LATER_ON'")
env.check(r.status == 200 and later is not None, "a campaign with a start time", r.status)
env.check(">Schedule</button>" in r.text and "2030-01-02 09:30" in r.text
          and "Europe/Berlin" in r.text and "22:00-06:00" in r.text,
          "it offers Schedule and shows its start, zone and window")
r = post("ann", "/admin/campaigns/%d/start" % later)
env.check(r.status == 303 and state(later) == "scheduled", "Schedule: scheduled", state(later))
r = get("ann", "/admin/campaigns/%d" % later)
env.check('data-poll="1"' in r.text and "camp-pause" in r.text,
          "a scheduled campaign is refreshed and may be paused")
env.check("conn-warning" not in r.text, "no warning while the connection runs")
env.cli("connection", "stop", cid)
r = get("ann", "/admin/campaigns/%d" % later)
env.check("conn-warning" in r.text and "STOPPED" in r.text,
          "a stopped connection is said on the campaign's page")
env.cli("connection", "start", cid)
r = post("ann", "/admin/campaigns/%d/pause" % later)
r = post("ann", "/admin/campaigns/%d/resume" % later)
env.check(r.status == 303 and state(later) == "scheduled", "Pause, then Resume: scheduled again",
          state(later))

# --- status JSON and export -----------------------------------------------------------------
r = get("vic", "/admin/campaigns/%d/status" % camp)
j = r.json() or {}
env.check(r.status == 200 and j.get("state") == "canceled" and j.get("total") == 63
          and sum(j.get("counts", {}).values()) == 63 and j.get("pct") == 100,
          "the status JSON: state, total, counts adding up", j)
env.check(get("vic", "/admin/campaigns/99999/status").status == 404, "status of an unknown: 404")
r = get("vic", "/admin/campaigns/%d/export.csv" % camp)
disp = r.headers.get("Content-Disposition", "")
env.check(r.status == 200 and r.headers.get("Content-Type", "").startswith("text/csv")
          and disp.startswith("attachment") and "SPRING_OFFER" in disp,
          "the export is a CSV attachment", (r.status, disp))
rows = list(csv.DictReader(io.StringIO(r.text)))
by = {}
for row in rows:
    by[row["status"]] = by.get(row["status"], 0) + 1
cli = env.cli("campaign", "status", str(camp), check=False)
if cli.returncode == 0:
    want = {}
    for line in cli.stdout.splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit() and int(v) > 0:
            want[k.strip()] = int(v)
    env.check(by == want, "the export's statuses match 'ibchannel campaign status'", (by, want))
else:
    want = dict(env.sql("SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = ?"
                        " GROUP BY status", (camp,)))
    env.check(by == want, "the export's statuses match the store (no CLI status verb yet)",
              (by, want))
env.check(len(rows) == 63, "one export row per recipient", len(rows))
env.check(get("ann", "/admin/campaigns/99999/export.csv").status == 404, "export of an unknown: 404")

# --- the campaigns list: 25 a page, newest first ------------------------------------------
for i in range(30):
    env.sql("INSERT INTO campaigns (name, connection_id, text) VALUES (?, ?, 'Hi')",
            ("PAGED_%d" % i, cid))
every = [str(i) for (i,) in env.sql("SELECT id FROM campaigns ORDER BY id DESC")]
r = get("ann", "/admin/campaigns")
ids = re.findall(r'<tr data-id="(\d+)"', r.text)
env.check(r.status == 200 and ids == every[:25], "the list's first page: the 25 newest",
          (len(ids), len(every)))
env.check("Newest" not in r.text, "the first page links no first page")
nxt = re.search(r'class="btn next" href="([^"]+)"', r.text)
env.check(nxt is not None and nxt.group(1) == "/admin/campaigns?before=%s" % every[24],
          "an Older campaigns link after the page's last", nxt and nxt.group(1))
if nxt:
    r = get("ann", nxt.group(1))
    ids = re.findall(r'<tr data-id="(\d+)"', r.text)
    env.check(ids == every[25:50], "the second page: the next ones", (ids[:3], every[25:28]))
    env.check("Newest" in r.text, "and a link back to the newest")
    env.check((re.search(r'class="btn next"', r.text) is not None) == (len(every) > 50),
              "an Older link only when more follow")
r = get("ann", "/admin/campaigns?before=nonsense")
env.check(re.findall(r'<tr data-id="(\d+)"', r.text) == every[:25], "a bad cursor: the first page")
env.done()
