"""The admin in a real browser (headless Chromium), as an operator uses it:
a connector added with missing fields and then completed against the
Infobip simulator, started (green), broken with a wrong key (red, "API key
rejected" on hover), mended by editing; a rules agent attached with Inbound
on and a second inbound agent refused; a customer texting from the
simulator's phone page, the conversation found in Sessions with the reply
delivered, taken over and answered by an operator, and exported. Every page
is kept as a screenshot in the test's directory (and in IBC_ARTIFACTS when
set)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import js, Shots, start_browser  # noqa: E402
from harness import ROOT, SIM_KEY, Env  # noqa: E402

USERS = {"ann": "ann-pw-1", "otto": "otto-pw-2", "vic": "vic-pw-3"}
env = Env("admin_browser", admin_users=USERS)
env.set_roles({"ann": "admin", "otto": "operator", "vic": "viewer"})
shot = Shots(env, "admin")
auth = env.auth
def set_value(b, sel, value):
    """Clears a field, then types value with real key presses."""
    b.eval("document.querySelector(%s).value = ''" % js(sel))
    b.type(sel, value)


def dot(b):
    return b.attr_of("#conn-status .dot", "class")


b = start_browser(env)
sender = env.start_sender(300)
try:
    # --- the home page, empty ---------------------------------------------
    b.open(env.base + "/admin/", headers=auth("ann"))
    env.check(b.eval("document.title").startswith("Communication Channels"),
              "the home page is Communication Channels", b.eval("document.title"))
    env.check(b.text_of("#who") and "ann" in b.text_of("#who"), "it names the user")
    shot(b, "01-channels-empty")

    # --- Add with missing fields: errors by each field, typed values kept --
    b.submit("#add")
    env.check(b.eval("location.pathname") == "/admin/connections/new", "Add opens New connector")
    b.type("#f-name", "Shop line")
    b.type("#f-description", "Main <b>number</b>")
    b.type("#f-api_key", "typed-key-123456")
    b.submit("form.stack button[type=submit]")
    for field in ("api_url", "sender"):
        env.check(b.text_of("#e-" + field), "an error next to %s" % field)
    env.check(b.text_of("#e-name") is None, "no error next to the name")
    env.check(b.eval("document.getElementById('f-name').value") == "Shop line",
              "the typed name is kept")
    env.check(b.eval("document.getElementById('f-description').value") == "Main <b>number</b>",
              "the typed description is kept, markup as text")
    env.check(b.eval("document.getElementById('f-api_key').value") == "",
              "the typed key is not sent back")
    env.check(env.sql1("SELECT COUNT(*) FROM connections") == 0, "nothing was stored")
    shot(b, "02-new-connector-errors")

    # --- filled in against the simulator and saved ------------------------
    b.type("#f-api_key", SIM_KEY)
    b.type("#f-api_url", env.sim_url)
    b.type("#f-sender", "447491163443")
    b.submit("form.stack button[type=submit]")
    path = b.eval("location.pathname")
    cid = path.rsplit("/", 1)[-1]
    env.check(path.startswith("/admin/connections/") and len(cid) == 32,
              "saved, the connection's panel opens", path)
    env.check(env.sql1("SELECT name FROM connections WHERE id = ?", (cid,)) == "Shop line",
              "the connection is stored")
    env.check(SIM_KEY not in b.eval("document.documentElement.outerHTML"),
              "the page never holds the key")
    env.check(b.eval("document.getElementById('f-api_key').value") == "****" + SIM_KEY[-4:],
              "the key is shown masked")
    env.check("stopped" in (dot(b) or ""), "a new connection is STOPPED (grey)", dot(b))
    shot(b, "03-connection-saved")

    # --- Start: the dot turns green ----------------------------------------
    b.submit("button.start")
    env.check(b.wait(lambda: "running" in (dot(b) or ""), 10),
              "Start turns the dot green (RUNNING)", dot(b))
    shot(b, "04-connection-running")

    # --- a wrong key pasted, restart: red with the reason on hover --------
    set_value(b, "#f-api_key", "wrong-key-0000111122223333")
    b.submit("form.stack button[type=submit]")
    env.check(b.eval("document.querySelector('.callout.restart') !== null"),
              "saving a new key while running says restart to apply")
    b.submit("button.stop")
    env.check("stopped" in (dot(b) or ""), "Stop: STOPPED", dot(b))
    b.submit("button.start")
    env.check(b.wait(lambda: "error" in (dot(b) or ""), 10), "Start with the wrong key: red",
              dot(b))
    hover = b.attr_of("#conn-status .status", "title") or ""
    env.check("API key rejected" in hover, "the hover text says API key rejected", hover)
    env.check("API key rejected" in (b.text_of("#conn-status .sr") or ""),
              "and so does the text for screen readers")
    shot(b, "05-connection-error")
    b.go(env.base + "/admin/")
    env.check("API key rejected" in (b.attr_of("#connections .status", "title") or ""),
              "the list shows the red dot with its reason on hover")
    shot(b, "06-channels-error")

    # --- the right key back by editing -------------------------------------
    b.go(env.base + "/admin/connections/" + cid)
    set_value(b, "#f-api_key", SIM_KEY)
    b.submit("form.stack button[type=submit]")
    b.submit("button.start")
    env.check(b.wait(lambda: "running" in (dot(b) or ""), 10),
              "with the right key back, Start is green again", dot(b))

    # --- a rules agent attached with Inbound on ----------------------------
    with open(os.path.join(ROOT, "deploy", "rules-demo.txt")) as f:
        rules = f.read()
    b.go(env.base + "/admin/agents")
    shot(b, "07-agents-empty")
    b.submit("#add-agent")
    b.type("#f-name", "Front desk")
    b.eval("document.getElementById('f-instructions').value = %s" % js(rules))
    b.submit("form.stack button[type=submit]")
    agent_path = b.eval("location.pathname")
    env.check(agent_path.startswith("/admin/agents/"), "the agent is saved", agent_path)
    b.eval("document.getElementById('f-conn').value = %s" % js(cid))
    b.submit("form.inline-fields button[type=submit]")
    env.check(b.eval("document.querySelector('#attached input[name=inbound]').checked") is True,
              "attached with Inbound on")
    env.check(env.sql1("SELECT inbound FROM agent_channels WHERE connection_id = ?", (cid,)) == 1,
              "the store has the inbound attachment")
    b.submit("button.start")
    env.check("running" in (b.attr_of("#agent-status .dot", "class") or ""), "Start agent")
    # "Try it": the agent's answer without sending anything.
    sent_before = env.sql1("SELECT COUNT(*) FROM messages")
    b.type("#try #f-text", "What are your opening hours?")
    b.submit("#try button[type=submit]")
    env.check("9:00" in (b.text_of("#try-reply") or ""), "Try it shows the answer",
              b.text_of("#try-reply"))
    env.check(env.sql1("SELECT COUNT(*) FROM messages") == sent_before, "and sends nothing")
    shot(b, "08-agent-attached")

    # --- a second inbound agent is refused, naming the holder --------------
    b.go(env.base + "/admin/agents/new")
    b.type("#f-name", "Second desk")
    b.submit("form.stack button[type=submit]")
    b.eval("document.getElementById('f-conn').value = %s" % js(cid))
    b.submit("form.inline-fields button[type=submit]")
    refusal = b.text_of("#channels .callout.bad") or ""
    env.check("Front desk" in refusal, "a second inbound agent is refused naming the holder",
              refusal)
    env.check(env.sql1("SELECT COUNT(*) FROM agent_channels WHERE connection_id = ?",
                       (cid,)) == 1, "and nothing was attached")
    shot(b, "09-second-inbound-refused")
    b.go(env.base + "/admin/agents")
    shot(b, "10-agents")

    # --- a customer texts from the simulator's phone page -----------------
    env.sim("/_sim/config", {"mo_url": "%s/channel/%s/webhook/sms" % (env.base, cid)})
    phone = "4915112349077"
    b.open(env.sim_url + "/")
    b.eval("document.getElementById('me').value = %s" % js(phone))
    b.type("#text", "What are your opening hours?")
    b.click("#f button")
    got = b.wait(lambda: b.eval(
        "Array.from(document.querySelectorAll('#conv .mt')).map(function(e){"
        "return e.firstChild.textContent;}).join('|')"), 15)
    env.check(got and "9:00" in got, "the agent answers on the phone page", repr(got))

    # --- the conversation in Sessions, the reply delivered -----------------
    b.open(env.base + "/admin/sessions", headers=auth("ann"))
    link = "#sessions a.contact"
    env.check(b.text_of(link) == "+" + phone, "the session is listed by contact",
              b.text_of(link))
    env.check("Infobip" in (b.text_of("#sessions td") or ""), "with the Infobip channel type")
    shot(b, "11-sessions")
    b.submit(link)
    session_path = b.eval("location.pathname")

    def reply_status():
        b.go(env.base + session_path)
        return b.eval("(function(){var o=document.querySelectorAll('#convo .msg.out');"
                      "return o.length ? o[o.length-1].getAttribute('data-status') : null;})()")
    env.check(b.wait(lambda: reply_status() == "delivered", 15),
              "the agent's reply is marked delivered", reply_status())
    env.check("delivered" in (b.text_of("#convo .msg.out .badge") or ""),
              "shown as delivered")
    shot(b, "12-conversation")

    # --- an operator takes over and replies --------------------------------
    b.open(env.base + session_path, headers=auth("otto"))
    b.submit("form[action$='/takeover'] button")
    env.check(b.text_of("#responsible") == "otto", "taken over: otto answers",
              b.text_of("#responsible"))
    typed = "Hello, this is Otto <i>from the team</i>."
    b.type("#reply #f-text", typed)
    b.submit("#reply button[type=submit]")
    env.check(b.text_of("#notice") is not None, "the reply is queued")
    b.open(env.sim_url + "/")
    b.eval("document.getElementById('me').value = %s" % js(phone))
    got = b.wait(lambda: typed in (b.eval(
        "Array.from(document.querySelectorAll('#conv .mt')).map(function(e){"
        "return e.firstChild.textContent;}).join('|')") or ""), 15)
    env.check(got, "the operator's reply arrives on the phone page")
    b.open(env.base + session_path, headers=auth("otto"))
    env.check(b.eval("document.querySelectorAll('#convo i').length") == 0,
              "the reply's markup is text on the page")
    shot(b, "13-operator-replied")

    # --- export ------------------------------------------------------------
    exported = b.eval("(function(){var x = new XMLHttpRequest();"
                      "x.open('GET', location.pathname + '/export', false); x.send();"
                      "return [x.status, x.getResponseHeader('content-disposition'),"
                      " x.responseText];})()")
    env.check(exported and exported[0] == 200 and "attachment" in (exported[1] or ""),
              "Export JSON downloads", repr(exported)[:200])
    try:
        doc = json.loads(exported[2])
    except (TypeError, ValueError, IndexError, KeyError):
        doc = {}
    texts = [m.get("text") for m in doc.get("messages", [])]
    env.check(typed in texts and "What are your opening hours?" in texts,
              "the export holds the conversation", repr(texts)[:300])

    # --- the other pages, for the record -----------------------------------
    b.open(env.base + "/admin/dashboard", headers=auth("ann"))
    env.check(b.eval("document.querySelectorAll('svg.chart').length") == 3,
              "the dashboard draws its charts")
    shot(b, "14-dashboard")
    b.go(env.base + "/admin/connections/%s/logs" % cid)
    env.check(b.eval("document.querySelectorAll('#logs tbody tr').length") > 0,
              "the connection's logs are listed")
    shot(b, "15-logs")
    b.go(env.base + "/admin/users")
    shot(b, "16-users")
    b.open(env.base + "/admin/", headers=auth("vic"))
    env.check(b.eval("document.getElementById('add') === null"), "a viewer gets no Add button")
    shot(b, "17-viewer-channels")
finally:
    b.close()
    sender.terminate()
    sender.wait(timeout=10)
env.check(len(os.listdir(shot.dir)) >= 17, "a screenshot of every page is kept",
          str(os.listdir(shot.dir)))
env.done()
