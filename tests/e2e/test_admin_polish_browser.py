"""The admin's polish (issue 20, items 8 to 15) in a real browser (headless
Chromium), where it shows: a failed Start's notice is red and gives the
reason; the Start button is disabled while its Start runs; a refusal names
the connection; the choices tell connections apart; a Logs filter's error
sits under its field; the Dashboard's spend labels fit inside their chart;
a status and a name do not run together, an attachment's Inbound, Save and
Detach share one line, an empty Collected data box is not shown; the
campaign page says why its export puts a ' before phone numbers. Element
boxes are measured, and every page is kept as a screenshot (in the test's
directory, and in IBC_ARTIFACTS/admin_polish when set)."""

import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import js, Shots, start_browser  # noqa: E402
from harness import Env  # noqa: E402

env = Env("admin_polish_browser", admin_users={"ann": "ann-pw"})
env.set_roles({"ann": "admin"})
shot = Shots(env, "admin_polish")
SLOW = 4.0

shop = env.add_connection(name="Shop line", sender="447491160012")
aid = env.cli("agent", "add", "--name", "Demo rules agent", "--kind", "rules").stdout.strip()
env.cli("agent", "attach", aid, shop, "--inbound")
env.cli("agent", "start", aid)
wrong = env.add_connection(name="Wrong key", sender="447491160010", key="wrong-key-000000000000",
                           start=False)
slow = env.add_connection(name="Slow line", sender="447491160018", start=False)
gone = env.add_connection(name="Old line", sender="447491160016")   # started, then deleted
env.cli("connection", "stop", gone)
env.cli("connection", "delete", gone)
day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
env.sql("INSERT INTO message_daily (connection_id, day, sent, delivered, spend, currency)"
        " VALUES (?, ?, 900, 880, 1262.83, 'EUR')", (shop, day))
env.sql("INSERT INTO message_daily (connection_id, day, sent, delivered, spend, currency)"
        " VALUES (?, ?, 3, 3, 0.12, 'EUR')", (gone, day))


def box(b, sel):
    """The element's box on the page: {left, top, right, bottom, width, height}, or None."""
    return b.eval("(function(){var e=document.querySelector(%s); if(!e) return null;"
                  "var r=e.getBoundingClientRect(); return {left:r.left, top:r.top,"
                  " right:r.right, bottom:r.bottom, width:r.width, height:r.height};})()"
                  % js(sel))


def shown(b, sel):
    return b.eval("(function(){var e=document.querySelector(%s);"
                  "return !!e && getComputedStyle(e).display !== 'none' &&"
                  " e.getClientRects().length > 0;})()" % js(sel))


def middle(r):
    return (r["top"] + r["bottom"]) / 2


b = start_browser(env)
try:
    base = env.base + "/admin"
    b.open(base + "/connections/%s" % wrong, headers=env.auth("ann"))

    # --- 8: a failed Start: a red notice with the reason --------------------------------
    b.submit("form button.start")
    reason = env.sql1("SELECT status_message FROM connections WHERE id = ?", (wrong,))
    note = b.text_of("#start-failed")
    env.check(note is not None and "Start failed:" in note and reason in note,
              "8: a red notice says Start failed, with the reason", note)
    bg = b.eval("getComputedStyle(document.getElementById('start-failed')).backgroundColor")
    env.check(bg == "rgb(253, 236, 239)", "8: the notice is red (the bad colour)", bg)
    env.check(b.text_of("#notice") is None, "8: no green notice")
    shot(b, "08-start-failed")

    # --- 12: the Start button is disabled while its Start runs ---------------------------
    env.sim("/_sim/fault", {"endpoint": "/account/1/balance", "kind": "slow", "delay": SLOW})
    reqs = env.sim("/_sim/requests")["requests"]
    since = reqs[-1]["seq"] if reqs else 0
    b.go(base + "/connections/%s" % slow)
    b.eval("window.__ibc_page = 1")
    # The click and a second one at once, in the page (a mouse click through the
    # protocol returns only once the next page is there): what the button is then.
    state = b.eval("(function(){var s=document.querySelector('form button.start');"
                   " s.click(); var st=[s.disabled, s.textContent, s.getAttribute('aria-busy')];"
                   " s.click(); return st;})()")
    env.check(state and state[0] is True and state[1].startswith("Starting")
              and state[2] == "true", "12: the Start button is disabled at its click", state)
    env.check(env.wait_for(lambda: env.sql1("SELECT status FROM connections WHERE id = ?",
                                            (slow,)) == "STARTING", timeout=SLOW),
              "12: the Start runs meanwhile")
    b.wait_load(timeout=SLOW + 30)
    env.check("running" in (b.attr_of("#conn-status .dot", "class") or ""),
              "12: the Start ends RUNNING", b.attr_of("#conn-status .dot", "class"))
    n = len(env.sim("/_sim/requests?path=/account/1/balance&since=%d" % since)["requests"])
    env.check(n == 1 and b.text_of(".callout.bad") is None,
              "12: the second click asked nothing: one check reached Infobip", n)
    shot(b, "12-started-once")

    # --- 9: a refusal names the connection ----------------------------------------------
    b.go(base + "/connections/%s" % shop)
    b.eval("window.confirm = function () { return true; }")
    b.submit("form[action$='/delete'] button")
    said = b.eval("Array.from(document.querySelectorAll('.callout.bad')).map("
                  "function(e){return e.textContent;}).join(' | ')") or ""
    env.check('connection "Shop line" (%s) is RUNNING' % shop[:8] in said and shop not in said,
              "9: the refusal names the connection, not its id", said)
    shot(b, "09-refusal-named")

    # --- 14: the status word and the agent's name apart ----------------------------------
    b.go(base + "/connections/%s" % shop)
    word = box(b, "#agents li .status-word")
    name = box(b, "#agents li a")
    env.check(word and name and name["left"] - word["right"] >= 4
              and abs(middle(word) - middle(name)) < 6,
              "14: RUNNING and the agent's name on one line, apart", (word, name))
    warn = b.text_of(".callout.warn.public") or ""
    env.check(warn.strip().endswith(")") and "installation at:" not in warn,
              "14: the public-URL warning ends as a sentence", warn)
    shot(b, "14-connection-panel")

    # --- 14 and 10: the agent's attachment row; the choices --------------------------------
    b.go(base + "/agents/%s" % aid)
    sw = box(b, ".attachment label.switch")
    save = box(b, ".attachment form.row button")
    detach = box(b, ".attachment form.inline button")
    env.check(sw and save and detach and abs(middle(sw) - middle(save)) < 6
              and abs(middle(save) - middle(detach)) < 6
              and sw["right"] <= save["left"] and save["right"] <= detach["left"],
              "14: Inbound, Save and Detach share one line, in that order", (sw, save, detach))
    opts = b.eval("Array.from(document.querySelectorAll('#f-conn option')).map("
                  "function(o){return o.textContent;})") or []
    env.check("Slow line (447491160018, %s)" % slow[:8] in opts,
              "10: the attach choice shows name, sender and short id", opts)
    shot(b, "14-agent-attachments")

    # --- 11: a Logs filter's error under its field ----------------------------------------
    b.go(base + "/connections/%s/logs?event=Send_Failed" % shop)
    field = box(b, "#f-event")
    err = box(b, "#f-event-error")
    env.check(field and err and err["top"] >= field["bottom"] - 1
              and err["left"] < field["right"] and err["right"] > field["left"],
              "11: the error sits under the Event field", (field, err))
    env.check(b.eval("document.querySelectorAll('#logs tbody tr').length") == 0,
              "11: no unfiltered list")
    env.check(b.eval("document.getElementById('f-event').value") == "Send_Failed",
              "11: the typed value is kept")
    shot(b, "11-logs-filter-error")

    # --- 13: the Dashboard ------------------------------------------------------------------
    b.go(base + "/dashboard")
    fits = b.eval("(function(){var s=document.getElementById('chart-spend');"
                  "var w=s.viewBox.baseVal.width, out=[];"
                  "s.querySelectorAll('text').forEach(function(t){var g=t.getBBox();"
                  "out.push([t.textContent, g.x + g.width, w]);}); return out;})()") or []
    env.check(any(t == "1262.83 EUR" for t, _, _ in fits),
              "13: the spend label reads whole", fits)
    env.check(fits and all(right <= w for _, right, w in fits),
              "13: every spend label ends inside the chart (not clipped)", fits)
    env.check(any(t == "0.00 EUR" for t, _, _ in fits), "13: 0.00 with its currency", fits)
    rows = b.eval("Array.from(document.querySelectorAll('#balances tbody tr')).map("
                  "function(r){return r.textContent;})") or []
    env.check(any(r.startswith("Old line") and r.endswith("deleted") for r in rows),
              "13: the deleted connection shows deleted", rows)
    env.check(any(r.startswith("Wrong key") and "start failed: " in r for r in rows),
              "13: the failed Start shows start failed", rows)
    shot(b, "13-dashboard")

    # --- 14: no empty Collected data box ------------------------------------------------
    mo = {"results": [{"messageId": "polish-b1", "from": "41793026731", "to": "447491160012",
                       "text": "hello", "receivedAt": "2026-11-27T10:00:00.000+0000"}],
          "messageCount": 1, "pendingMessageCount": 0}
    env.check(env.post("/channel/%s/webhook/sms" % shop, mo).status == 200, "14: an SMS")
    sid = env.sql1("SELECT MAX(id) FROM sessions WHERE connection_id = ?", (shop,))
    b.go(base + "/sessions/%s" % sid)
    env.check(b.eval("document.querySelectorAll('#collected dt').length") == 0
              and not shown(b, "#collected"), "14: no empty Collected data box")
    shot(b, "14-session-no-collected")

    # --- 15: the export's guard, said on the page ------------------------------------------
    camp = env.cli("campaign", "create", "--name", "SPRING", "--connection", shop, "--agent",
                   aid, "--text", "Hello {{name}}").stdout.strip()
    b.go(base + "/campaigns/%s" % camp)
    help_text = b.eval("(function(){var a=document.getElementById('export');"
                       "return a ? a.parentNode.textContent : null;})()") or ""
    env.check("formula" in help_text and "'" in help_text and shown(b, "#export"),
              "15: the page says why the export puts ' before a phone number", help_text)
    shot(b, "15-campaign-export-note")
finally:
    b.close()
env.done()
