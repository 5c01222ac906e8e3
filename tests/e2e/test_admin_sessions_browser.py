"""The Sessions pages in a real browser (headless Chromium), as an operator
uses them (issue 20, items 4-7): searching the messages' text and
narrowing by phone prefix and "waiting for an operator"; an open
conversation that shows a new message from the customer without a reload;
taking over a session another operator holds, asked first and naming them;
a reply while the AI is responsible that takes the session over; every
time naming its zone, UTC and then the zone set in Settings. Every step is
kept as a screenshot in the test's directory (and in IBC_ARTIFACTS when
set)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import js, Shots, start_browser  # noqa: E402
from harness import Env  # noqa: E402

USERS = {"ann": "ann-pw-1", "otto": "otto-pw-2", "olga": "olga-pw-3"}
env = Env("admin_sessions_browser", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator", "olga": "operator"})
shot = Shots(env, "admin-sessions")
auth = env.auth
serial = [0]
cid = env.add_connection(name="Shop line", sender="447491163443")
env.add_rules_agent(cid)
quiet = env.add_connection(name="Quiet line", sender="447491163444")   # no agent


def mo(conn, frm, text):
    serial[0] += 1
    r = env.post("/channel/%s/webhook/sms" % conn, {
        "results": [{"messageId": "walk-%d" % serial[0], "from": frm, "to": "447491163443",
                     "text": text, "receivedAt": "2026-12-01T10:00:00.000+0000"}],
        "messageCount": 1, "pendingMessageCount": 0})
    env.check(r.status == 200, "MO %r stored" % text[:30], r.text)


def sid_of(phone):
    return env.sql1("SELECT s.id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
                    " WHERE c.phone = ?", ("+" + phone,))


def rows(b):
    return sorted(int(x) for x in b.eval(
        "Array.from(document.querySelectorAll('#sessions tbody tr')).map("
        "function(r){return r.getAttribute('data-session');})") or [])


def times(b):
    return b.eval("Array.from(document.querySelectorAll('main time')).map("
                  "function(t){return t.textContent;})") or []


mo(cid, "41791110001", "My parcel never arrived")
mo(cid, "41791110002", "Is the shop open on Sunday?")
mo(quiet, "41792220003", "The parcel came broken, who do I call?")
A, B, Q = sid_of("41791110001"), sid_of("41791110002"), sid_of("41792220003")

b = start_browser(env)
sender = env.start_sender(300)
try:
    # --- 4. search and filters ---------------------------------------------
    b.open(env.base + "/admin/sessions", headers=auth("otto"))
    env.check(rows(b) == sorted([A, B, Q]), "the list shows every session", rows(b))
    shot(b, "01-sessions")
    b.type("#f-q", "parc")
    b.submit("#session-filters button[type=submit]")
    env.check(rows(b) == sorted([A, Q]), "searching 'parc' finds the two parcel sessions", rows(b))
    env.check(b.eval("document.getElementById('f-q').value") == "parc", "the search stays in its field")
    shot(b, "02-search-parc")
    b.type("#f-phone", "+417911")
    b.submit("#session-filters button[type=submit]")
    env.check(rows(b) == [A], "with the phone prefix +417911: one", rows(b))
    shot(b, "03-search-and-prefix")
    b.go(env.base + "/admin/sessions")
    b.click("#session-filters input[name=waiting]")
    b.submit("#session-filters button[type=submit]")
    env.check(rows(b) == [Q], "waiting for an operator: the line without an agent", rows(b))
    shot(b, "04-waiting")
    b.go(env.base + "/admin/sessions?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%20NEAR(")
    env.check(b.eval("document.querySelectorAll('main script').length") == 0 and rows(b) == [],
              "hostile search text: nothing found, nothing run")
    shot(b, "05-hostile-search")

    # --- 7. times say UTC ---------------------------------------------------
    b.go(env.base + "/admin/sessions/%d" % A)
    t = times(b)
    env.check(t and all(x.endswith(" UTC") for x in t), "every time on the page says UTC", t[:3])

    # --- 5. a new message appears without a reload ------------------------------
    env.check(b.wait(lambda: b.eval("document.querySelectorAll('#convo li.msg.out').length") >= 1, 15),
              "the agent's answer appears by itself")
    b.eval("window.__ibc_same = 1")
    before = b.eval("document.querySelectorAll('#convo li').length")
    mo(cid, "41791110001", "Any news about my <b>parcel</b>?")
    got = b.wait(lambda: "Any news about my <b>parcel</b>?" in (b.eval(
        "Array.from(document.querySelectorAll('#convo li .body')).map(function(e){"
        "return e.textContent;}).join('|')") or ""), 15)
    env.check(got, "the customer's new message appears without a reload")
    env.check(b.eval("window.__ibc_same") == 1, "the page was not reloaded")
    env.check(b.eval("document.querySelectorAll('#convo b').length") == 0, "its markup is text")
    env.check(b.eval("document.querySelectorAll('#convo li').length") > before, "the list grew")
    shot(b, "06-live-new-message")

    # --- 6. take over from another operator: asked first -------------------------
    env.sql("UPDATE sessions SET responsible = 'olga' WHERE id = ?", (A,))
    b.go(env.base + "/admin/sessions/%d" % A)
    held = b.eval("Array.from(document.querySelectorAll('.page-head form button')).map("
                  "function(e){return e.textContent;}).join('|')") or ""
    env.check("Held by olga \u2014 take over?" in held, "the button says olga holds it", held)
    shot(b, "07-held-by-olga")
    b.submit(".page-head form[action$='/takeover'] button")
    env.check(b.text_of("#takeover-ask") and "olga" in b.text_of("#takeover-ask"),
              "the question names olga", b.text_of("#takeover-ask"))
    env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (A,)) == "olga",
              "not taken before the answer")
    shot(b, "08-take-over-asked")
    b.submit("#takeover-ask form button")
    env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (A,)) == "otto",
              "confirmed: otto holds it")
    env.check(b.text_of("#responsible") == "otto", "the page says otto", b.text_of("#responsible"))
    shot(b, "09-taken-over")

    # --- 6. a reply while the AI answers takes over first ---------------------------
    b.go(env.base + "/admin/sessions/%d" % B)
    env.check(b.text_of("#responsible") == "AI", "the AI answers B")
    env.check(b.text_of("#reply-takes") is not None, "the reply form says a reply takes over")
    b.type("#f-text", "Yes, 10 to 16. Otto")
    b.submit("#reply button[type=submit]")
    env.check(env.sql1("SELECT responsible FROM sessions WHERE id = ?", (B,)) == "otto",
              "the reply took B over")
    env.check(b.text_of("#responsible") == "otto", "the page says otto")
    shot(b, "10-replied-took-over")

    # --- 7. the zone set in Settings, named beside every time -------------------------
    env.cli("settings", "set", "admin_time_zone", "America/New_York")
    b.go(env.base + "/admin/sessions/%d" % B)
    t = times(b)
    env.check(t and all(x.endswith(" America/New_York") for x in t),
              "every time names America/New_York", t[:3])
    env.check(all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", x) for x in t), "as date and time")
    shot(b, "11-zone-new-york")
    b.go(env.base + "/admin/sessions")
    t = times(b)
    env.check(t and all(x.endswith(" America/New_York") for x in t), "the list too", t[:3])
    shot(b, "12-list-new-york")
finally:
    b.close()
    sender.terminate()
    sender.wait(timeout=10)
env.check(len(os.listdir(shot.dir)) >= 12, "a screenshot of every step is kept",
          str(os.listdir(shot.dir)))
env.done()
