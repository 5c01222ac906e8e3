"""The admin's polish (issue 20, items 8 to 15), over HTTP and the command
line: a failed Start says so in red with its reason; messages name
connections and agents rather than ids, on both; connection names are unique
among those not deleted (the operations and the database's index, and the
migration that builds it on a store holding two of one name), and the
choices tell connections apart; a Logs filter that is not understood is
answered next to its field; a Start under way cannot be asked again; the
Dashboard's spend labels fit, carry a currency, and the balance table says
"deleted" and "start failed"; the layout details; the export's formula
guard said on the page and in README, and kept out of JSON. The browser
half is test_admin_polish_browser.py."""

import datetime
import html
import http.client
import json
import os
import re
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, SIM_KEY, Env, Response  # noqa: E402

USERS = {"ann": "ann-pw"}
env = Env("admin_polish", admin_users=USERS)
env.set_roles({"ann": "admin"})
FORM = "application/x-www-form-urlencoded"
TOKEN = []


def get(path):
    return env.get(path, headers=env.auth("ann"))


def post(path, fields):
    """POSTs a form as ann with her CSRF token; the 303 is not followed."""
    if not TOKEN:
        TOKEN.append(re.search(r'name="csrf" value="([0-9a-f]{64})"',
                               get("/admin/users").text).group(1))
    body = urllib.parse.urlencode(dict(fields, csrf=TOKEN[0]))
    c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=60)
    try:
        c.request("POST", path, body=body.encode(),
                  headers=dict(env.auth("ann"), **{"Content-Type": FORM}))
        r = c.getresponse()
        return Response(r.status, dict(r.getheaders()), r.read())
    finally:
        c.close()


def after(r):
    """The page a POST's redirect leads to."""
    loc = r.headers.get("Location", "")
    return get(loc[loc.index("/admin"):] if "/admin" in loc else "/admin/")


def text(markup):
    """Markup as a reader sees it: tags out, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", markup)).split())


def callouts(page, cls="bad"):
    return [text(m) for m in re.findall(r'<div class="callout %s[^"]*"[^>]*>(.*?)</div>' % cls,
                                        page, re.S)]


def status_of(cid):
    return env.sql1("SELECT status FROM connections WHERE id = ?", (cid,))


# --- 8: a failed Start is red, with its reason -----------------------------------------
wrong = env.add_connection(name="Wrong key", sender="447491160010", key="wrong-key-000000000000",
                           start=False)
r = post("/admin/connections/%s/start" % wrong, {})
env.check(r.status == 303 and "done=start-failed" in r.headers.get("Location", ""),
          "8: a failed Start redirects to its red notice", (r.status, r.headers.get("Location")))
page = after(r).text
reason = env.sql1("SELECT status_message FROM connections WHERE id = ?", (wrong,))
failed = re.search(r'<div class="callout bad" role="alert" id="start-failed">(.*?)</div>',
                   page, re.S)
env.check(status_of(wrong) == "ERROR" and failed is not None
          and text(failed.group(1)) == "Start failed: " + reason and "API key" in reason,
          "8: the red notice says Start failed with the reason", failed and failed.group(1))
env.check("Start finished" not in page and 'class="notice"' not in page,
          "8: no green notice after a failed Start")
r = post("/admin/connections/%s/start" % env.add_connection(name="Good key",
                                                             sender="447491160011",
                                                             start=False), {})
env.check("done=started" in r.headers.get("Location", "")
          and 'class="notice"' in after(r).text, "8: a good Start keeps its green notice")

# --- 9: messages name things ------------------------------------------------------------
shop = env.add_connection(name="Shop line", sender="447491160012")
short = shop[:8]
label = '"Shop line" (%s)' % short
p = env.cli("connection", "delete", shop, check=False)
env.check(p.returncode == 1 and ("connection %s is RUNNING" % label) in p.stderr
          and shop not in p.stderr, "9: the command line names the RUNNING connection", p.stderr)
r = post("/admin/connections/%s/delete" % shop, {})
said = callouts(after(r).text)
env.check(any(("connection %s is RUNNING" % label) in c and shop not in c for c in said),
          "9: the admin names the RUNNING connection", said)
aid = env.cli("agent", "add", "--name", "Demo rules agent", "--kind", "rules").stdout.strip()
p = env.cli("agent", "detach", aid, shop, check=False)
env.check(p.returncode == 1 and ('agent "Demo rules agent" is not attached to connection %s'
                                 % label) in p.stderr,
          "9: detach of what is not attached names the agent and the connection", p.stderr)
env.cli("agent", "attach", aid, shop, "--inbound")
env.cli("agent", "start", aid)
p = env.cli("agent", "delete", aid, check=False)
env.check(p.returncode == 1 and 'agent "Demo rules agent" is RUNNING' in p.stderr,
          "9: a RUNNING agent is named", p.stderr)
other = env.cli("agent", "add", "--name", "Second desk", "--kind", "rules").stdout.strip()
r = post("/admin/agents/%s/attach" % other, {"conn": shop, "inbound": "1"})
said = callouts(after(r).text)
env.check(any('agent "Demo rules agent" already answers' in c and label in c for c in said),
          "9: a second inbound agent is refused naming the holder and the connection", said)
env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ? AND event = 'agent'"
                   " AND text LIKE 'agent \"Demo rules agent\" attached%'", (shop,)) == 1,
          "9: the connection's log names the agent attached",
          env.sql("SELECT text FROM logs WHERE connection_id = ? AND event = 'agent'", (shop,)))

# --- 10: names unique among connections not deleted -------------------------------------
p = env.cli("connection", "add", "--name", "Shop line", "--api-key", SIM_KEY, "--api-url",
            env.sim_url, "--sender", "447491160013", check=False)
env.check(p.returncode == 2 and 'a connection named "Shop line" exists' in p.stderr,
          "10: the command line refuses a name in use", p.stderr)
spare = env.add_connection(name="Spare line", sender="447491160014", start=False)
p = env.cli("connection", "edit", spare, "--name", "Shop line", check=False)
env.check(p.returncode == 2 and "exists" in p.stderr
          and env.sql1("SELECT name FROM connections WHERE id = ?", (spare,)) == "Spare line",
          "10: a rename to a name in use is refused, nothing changed", p.stderr)
r = post("/admin/connections/new", {"name": "Shop line", "description": "",
                                    "api_key": SIM_KEY, "api_url": env.sim_url,
                                    "sender": "447491160015"})
page = after(r).text
err = re.search(r'id="e-name"[^>]*>(.*?)</', page, re.S)
env.check(err is not None and "exists" in err.group(1),
          "10: the admin's form says the name is taken next to the field", err and err.group(1))
form = {"name": "Shop line", "description": "", "api_key": "****" + SIM_KEY[-4:],
        "api_url": env.sim_url, "sender": "447491160014"}
r = post("/admin/connections/%s" % spare, form)
err = re.search(r'id="e-name"[^>]*>(.*?)</', after(r).text, re.S)
env.check(err is not None and "exists" in err.group(1)
          and env.sql1("SELECT name FROM connections WHERE id = ?", (spare,)) == "Spare line",
          "10: the admin refuses a rename to a name in use", err and err.group(1))
env.check(env.sql1("SELECT COUNT(*) FROM connections WHERE name = 'Shop line'") == 1,
          "10: one connection named Shop line")
try:
    env.sql("INSERT INTO connections (id, name, api_url, sender, api_key_enc)"
            " VALUES (?, 'Shop line', 'https://x.example.com', 'X', '')", ("d" * 32,))
except Exception:  # noqa: BLE001 (psql's or sqlite3's refusal)
    pass
env.check(env.sql1("SELECT COUNT(*) FROM connections WHERE name = 'Shop line'") == 1,
          "10: the database's index refuses a second live connection of one name")
# A deleted connection's name is free again; its successor is told apart in the choices.
gone = env.add_connection(name="Old line", sender="447491160016")   # started, then deleted
env.cli("connection", "stop", gone)
env.cli("connection", "delete", gone)
p = env.cli("connection", "add", "--name", "Old line", "--api-key", SIM_KEY, "--api-url",
            env.sim_url, "--sender", "447491160017", check=False)
env.check(p.returncode == 0, "10: a deleted connection's name can be used again", p.stderr)
page = get("/admin/sessions").text
opts = [text(o) for o in re.findall(r"<option value=\"[0-9a-f]{32}\"[^>]*>(.*?)</option>", page)]
env.check("Shop line (447491160012, %s)" % short in opts,
          "10: the sessions' choice shows name, sender and short id", opts)
page = get("/admin/agents/%s" % other).text
env.check(("Spare line (447491160014, %s)" % spare[:8]) in text(page),
          "10: the agent's attach choice shows name, sender and short id")

# The migration on an older store holding two live connections of one name:
# the store is set back to the version before 023 (the later ones create
# their objects only when missing).
if env.engine == "sqlite":
    env.sql("DROP INDEX IF EXISTS connections_live_name")
    env.sql("PRAGMA user_version = 22")
else:
    env.sql("DROP INDEX IF EXISTS connections_live_name")
    env.sql("UPDATE schema_version SET version = 22")
env.sql("UPDATE connections SET name = 'Shop line', created_at = '2099-01-01 00:00:00.000'"
        " WHERE id = ?", (spare,))
env.check(env.sql1("SELECT COUNT(*) FROM connections WHERE name = 'Shop line'") == 2,
          "10: an old store with two live connections named alike")
p = env.cli("connection", "list", check=False)
env.check(p.returncode == 0, "10: the migration runs on it", p.stderr)
env.check(env.sql1("SELECT name FROM connections WHERE id = ?", (shop,)) == "Shop line"
          and env.sql1("SELECT name FROM connections WHERE id = ?", (spare,))
          == "Shop line (%s)" % spare[:8],
          "10: the oldest keeps the name, the other gets its short id appended",
          env.sql("SELECT id, name FROM connections WHERE name LIKE 'Shop%'"))
p = env.cli("connection", "edit", spare, "--name", "Shop line", check=False)
env.check(p.returncode == 2, "10: the index and the check hold after the migration", p.stderr)
env.cli("connection", "edit", spare, "--name", "Spare line")

# --- 11: a Logs filter not understood is said next to its field ------------------------
r = get("/admin/connections/%s/logs?event=Send_Failed" % shop)
err = re.search(r'<p class="error" id="f-event-error">(.*?)</p>', r.text, re.S)
env.check(r.status == 400 and err is not None and "lowercase" in err.group(1),
          "11: ?event=Send_Failed gets an error next to the field", (r.status, err))
env.check('<tr class="lvl-' not in r.text and 'id="filter-refused"' in r.text
          and 'value="Send_Failed"' in r.text,
          "11: no unfiltered list instead; the typed value is kept")
r = get("/admin/connections/%s/logs?level=loud" % shop)
env.check(r.status == 400 and 'id="e-level"' in r.text, "11: an unknown level too", r.status)
r = get("/admin/connections/%s/logs?event=agent" % shop)
env.check(r.status == 200 and '<tr class="lvl-' in r.text and "<code>start</code>" not in r.text,
          "11: a good event filter still filters")

# --- 12: a Start under way cannot be asked again ----------------------------------------
SLOW = 4.0
slow = env.add_connection(name="Slow line", sender="447491160018", start=False)
env.sim("/_sim/fault", {"endpoint": "/account/1/balance", "kind": "slow", "delay": SLOW})
out = {}
t = threading.Thread(target=lambda: out.setdefault("r", post(
    "/admin/connections/%s/start" % slow, {})))
t.start()
env.check(env.wait_for(lambda: status_of(slow) == "STARTING", timeout=SLOW),
          "12: STARTING while the slow check runs")
page = get("/admin/connections/%s" % slow).text
env.check(re.search(r'<button type="button" class="btn primary start" id="start-busy" disabled>',
                    page) is not None and 'action="/admin/connections/%s/start"' % slow not in page,
          "12: the panel shows the Start disabled while it runs, no Start form")
r = post("/admin/connections/%s/start" % slow, {})
said = callouts(after(r).text)
env.check(any("under way" in c and '"Slow line" (%s)' % slow[:8] in c for c in said),
          "12: a second Start while one runs is refused, naming the connection", said)
t.join(SLOW + 30)
env.check(status_of(slow) == "RUNNING", "12: the first Start ends RUNNING", status_of(slow))
js = get("/admin/static/admin.js").text
env.check("form button.start" in js and "disabled = true" in js,
          "12: the page's script disables the Start button on submit")

# --- 13: the Dashboard ------------------------------------------------------------------
# The rollup as the sender leaves it (no sender runs in this suite to redo it).
day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
env.sql("INSERT INTO message_daily (connection_id, day, sent, delivered, spend, currency)"
        " VALUES (?, ?, 900, 880, 1262.83, 'EUR')", (shop, day))
env.sql("INSERT INTO message_daily (connection_id, day, sent, delivered, spend, currency)"
        " VALUES (?, ?, 3, 3, 0.12, 'EUR')", (gone, day))
page = get("/admin/dashboard").text
spend = re.search(r'<svg class="chart" id="chart-spend".*?</svg>', page, re.S).group(0)
labels = re.findall(r'<text x="([0-9.]+)" y="[0-9.]+">([0-9.]+ ?[^<]*)</text>', spend)
env.check(any(v == "1262.83 EUR" for _, v in labels), "13: the spend label", labels)
env.check(all(float(x) + 7 * len(v) <= 700 for x, v in labels),
          "13: every spend label fits in the chart's 700 units", labels)
env.check(any(v == "0.00 EUR" for _, v in labels) and not any(v.strip() == "0.00"
                                                               for _, v in labels),
          "13: 0.00 carries its currency", labels)
rows = {text(n): text(w) for n, w in re.findall(
    r'<tr><th scope="row">(.*?)</th><td>.*?</td><td>(.*?)</td></tr>',
    re.search(r'id="balances".*?</table>', page, re.S).group(0), re.S)}
env.check(rows.get("Old line") == "deleted" and "RUNNING" not in rows.get("Old line", ""),
          "13: a deleted connection shows as deleted", rows)
env.check(rows.get("Wrong key", "").startswith("start failed: ") and "API key" in rows["Wrong key"],
          "13: a failed Start shows as start failed with its reason", rows)
env.check(rows.get("Good key", "").startswith("RUNNING"), "13: a started one, its balance", rows)

# --- 14: layout and wording --------------------------------------------------------------
page = get("/admin/connections/%s" % shop).text
agents = re.search(r'<section class="panel" id="agents".*?</section>', page, re.S).group(0)
env.check("RUNNING Demo rules agent" in text(agents) and "RUNNINGDemo" not in text(agents),
          "14: the status word and the agent's name are apart", text(agents))
warn = callouts(page, "warn public")
env.check(len(warn) == 1 and not warn[0].rstrip(".").endswith("installation at")
          and "installation at:" not in warn[0] and warn[0].endswith(")"),
          "14: the public-URL warning is a whole sentence", warn)
r = post("/admin/connections/new", {"name": "Ftp line", "description": "", "api_key": SIM_KEY,
                                    "api_url": "ftp://x.example.com", "sender": "Ftp"})
err = re.search(r'id="e-api_url"[^>]*>(.*?)</', after(r).text, re.S)
env.check(err is not None and text(err.group(1)) == "API URL scheme must be https",
          "14: the API URL's error says it once", err and err.group(1))
p = env.cli("connection", "edit", spare, "--api-url", "ftp://x.example.com", check=False)
env.check(p.returncode == 2 and "API URL: API URL" not in p.stderr
          and "API URL scheme must be https" in p.stderr,
          "14: and so does the command line", p.stderr)
css = get("/admin/static/admin.css").text
env.check(re.search(r"\.attachment[^{]*\{[^}]*display: flex", css) is not None,
          "14: the attachment row is laid out on one line (flex)")
env.check(re.search(r"#collected:has\(> dl\.facts:empty\)\s*\{\s*display: none", css)
          is not None, "14: an empty Collected data box is hidden")

# --- 15: the export's formula guard, said; JSON keeps numbers as they are ---------------
camp = env.cli("campaign", "create", "--name", "SPRING", "--connection", shop, "--agent", aid,
               "--text", "Hello {{name}}").stdout.strip()
path = os.path.join(env.dir, "people.csv")
with open(path, "w") as f:
    f.write("phone,name\n+41793026728,Ann\n+41793026729,Bob\n")
env.cli("campaign", "import", camp, path)
page = get("/admin/campaigns/%s" % camp).text
env.check(re.search(r"formula.*<code>'</code>", page, re.S) is not None,
          "15: the campaign page says why the export puts ' before a phone number")
csv = get("/admin/campaigns/%s/export.csv" % camp).text
env.check("\"'+41793026728\"" in csv, "15: the CSV export keeps its guard", csv[:300])
with open(os.path.join(ROOT, "README.md")) as f:
    readme = f.read()
env.check(re.search(r"export[^.]*formula|formula[^.]*export", readme, re.S | re.I) is not None
          and "'" in readme, "15: README says so too")
st = get("/admin/campaigns/%s/status" % camp)
env.check(st.status == 200 and "'+" not in st.text, "15: the campaign status JSON has no guard")
mo = {"results": [{"messageId": "polish-1", "from": "41793026730", "to": "447491160012",
                   "text": "hello", "receivedAt": "2026-11-27T10:00:00.000+0000"}],
      "messageCount": 1, "pendingMessageCount": 0}
env.check(env.post("/channel/%s/webhook/sms" % shop, mo).status == 200, "15: an SMS")
sid = env.sql1("SELECT MAX(id) FROM sessions WHERE connection_id = ?", (shop,))
p = env.cli("session", "export", str(sid), check=False)
doc = json.loads(p.stdout) if p.returncode == 0 else {}
flat = json.dumps(doc)
env.check("41793026730" in flat and "'4" not in flat and "'+" not in flat,
          "15: the session's JSON export keeps the number as it is", flat[:300])
r = get("/admin/sessions/%s/export" % sid)
env.check(r.status == 200 and "41793026730" in r.text and "'+" not in r.text
          and "'4" not in r.text, "15: and so does the admin's", r.status)

env.done()
