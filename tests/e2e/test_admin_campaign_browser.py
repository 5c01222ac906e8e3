"""Campaigns in a real browser (headless Chromium), as an operator runs one:
the New campaign form filled in and its CSV chosen (DOM.setFileInputFiles),
sent with the page's upload progress bar, the import's counts, rejected
lines and a preview of the first messages; Start, then the progress bar,
refreshed by the page's script, reaching 100 % while the real sender sends
through the Infobip simulator; a second campaign with a slow throttle
canceled mid-way, its remaining recipients counted canceled. Screenshots
are kept in the test's directory (and in IBC_ARTIFACTS when set)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import js, Shots, start_browser  # noqa: E402
from harness import Env  # noqa: E402

USERS = {"ann": "ann-pw-1"}
env = Env("admin_campaign_browser", admin_users=USERS)
env.set_roles({"ann": "admin"})
shot = Shots(env, "campaigns")
auth = env.auth

cid = env.add_connection(name="Shop line", sender="447491163443")
aid, _ = env.add_rules_agent(cid, name="Front desk")
# One number the simulator reports undeliverable: a failed segment too.
env.sim("/_sim/config", {"outcomes": {"4915112300007": "undeliverable"}})


def num(b, key):
    """A number of the page's progress bar (data-k), or None."""
    t = b.text_of('#progress b[data-k="%s"]' % key)
    return int(t) if t is not None and t.strip().isdigit() else None


def choose_file(b, sel, path):
    """Sets a file input's file as a person choosing it would (DevTools DOM.setFileInputFiles)."""
    doc = b.call("DOM.getDocument", {"depth": 0})
    node = b.call("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": sel})
    b.call("DOM.setFileInputFiles", {"nodeId": node["nodeId"], "files": [path]})


def write_csv(name, rows):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    return path


def fill_campaign(b, name, csv_path, rate):
    """Opens New campaign from the list and fills it in as a person would."""
    b.go(env.base + "/admin/campaigns")
    b.submit("#add-campaign")
    env.check(b.eval("location.pathname") == "/admin/campaigns/new", "New campaign opens")
    b.type("#f-name", name)
    b.eval("document.getElementById('f-connection').value = %s" % js(cid))
    b.eval("document.getElementById('f-agent').value = %s" % js(str(aid)))
    b.type("#f-text", "Hi {{name}}, <b>spring</b> is here!")
    b.type("#f-rate", str(rate))
    choose_file(b, "#f-csv", csv_path)
    env.check(b.eval("document.getElementById('f-csv').files.length") == 1,
              "the CSV file is chosen")


def upload(b, deadline=30):
    """Presses Create: the page's script sends the form with XMLHttpRequest
    (the page is not left) and shows the upload's progress; waits for the
    import's report to replace the form (at most deadline seconds). Returns
    what the progress bar showed."""
    b.eval("""(function(){
        window.__ibc_page = 1;
        window.__up = {max: -1, shown: false, texts: []};
        var box = document.querySelector('.upload-progress');
        var bar = box.querySelector('progress');
        new MutationObserver(function () {
            if (!box.hidden) window.__up.shown = true;
            window.__up.max = Math.max(window.__up.max, bar.value);
            var t = box.querySelector('.upload-text').textContent;
            if (t && window.__up.texts.indexOf(t) < 0) window.__up.texts.push(t);
        }).observe(box, {attributes: true, childList: true, subtree: true, characterData: true});
    })()""")
    b.click("#camp-form button[type=submit]")
    ok = b.wait(lambda: b.text_of("#import-counts") is not None, deadline)
    env.check(ok, "the import's report replaces the form")
    return b.eval("window.__up") or {}


b = start_browser(env)
sender = env.start_sender(600)
try:
    # --- a campaign from a CSV upload ----------------------------------------
    b.open(env.base + "/admin/campaigns", headers=auth("ann"))
    env.check(b.eval("document.title").startswith("Campaigns"), "the Campaigns page opens")
    env.check(b.eval("document.querySelector('nav a[aria-current=page]').textContent")
              == "Campaigns", "Campaigns is the current section")
    rows = ["phone,name"] + ["+49151123%05d,Person %d" % (i, i) for i in range(20)]
    rows += ["12-34,Dashes", "+4915112300003,Again"]
    good = write_csv("spring.csv", rows)
    fill_campaign(b, "SPRING_OFFER", good, 600)
    shot(b, "01-new-campaign")
    up = upload(b)
    env.check(up.get("shown") and up.get("max") == 100, "the upload's progress bar ran to 100 %", up)
    env.check(any("importing" in t for t in up.get("texts", [])),
              "and said the recipients were being imported", up.get("texts"))
    env.check(b.eval("window.__ibc_page") == 1, "the page was not left: the script sent the form")
    camp = env.sql1("SELECT id FROM campaigns WHERE name = 'SPRING_OFFER'")
    env.check(camp is not None and b.eval("location.pathname") == "/admin/campaigns/%s" % camp,
              "the address is the campaign's page", b.eval("location.pathname"))
    env.check(b.text_of("#import-counts") == "imported 20, rejected 2",
              "imported 20, rejected 2", b.text_of("#import-counts"))
    rejected = b.eval("Array.from(document.querySelectorAll('#rejects tbody tr')).map("
                      "function(r){return r.textContent;})") or []
    env.check(len(rejected) == 2 and rejected[0].startswith("22") and "invalid phone" in rejected[0]
              and rejected[1].startswith("23") and "duplicate" in rejected[1],
              "the rejected lines with their line numbers and reasons", rejected)
    previews = b.eval("Array.from(document.querySelectorAll('#preview .msg-text')).map("
                      "function(p){return p.textContent;})") or []
    env.check(len(previews) == 5 and previews[0] == "Hi Person 0, <b>spring</b> is here!",
              "a preview of the first messages, markup as text", previews[:2])
    env.check(b.eval("document.querySelectorAll('#preview b').length") == 0,
              "the template's markup is not rendered")
    env.check(b.text_of(".camp-state") == "draft", "the campaign waits in draft")
    shot(b, "02-imported-preview")

    # --- a file over the limit, sent by the script: the refusal replaces the form ------
    env.cli("settings", "set", "campaign_upload_max_mb", "1")
    big = write_csv("big.csv", ["phone,name"] + ["+49155%08d,Person" % i for i in range(90000)])
    fill_campaign(b, "TOO_BIG", big, 60)
    b.eval("window.__ibc_page = 1")
    b.click("#camp-form button[type=submit]")
    why = b.wait(lambda: b.text_of("#why"), 30)
    env.check(why and "1 MiB" in why and b.eval("window.__ibc_page") == 1,
              "an oversize file: the admin's refusal is shown in place", why)
    env.check(env.sql1("SELECT COUNT(*) FROM campaigns WHERE name = 'TOO_BIG'") == 0,
              "and nothing is created")
    env.cli("settings", "unset", "campaign_upload_max_mb")
    b.go(env.base + "/admin/campaigns/%s" % camp)

    # --- Start, and the progress bar reaches 100 % -------------------------------
    env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'") == 0,
              "nothing is sent before Start")
    b.submit("button.camp-start")
    env.check(b.text_of("#notice") is not None, "Start: the page says so")
    env.check(b.text_of(".camp-state") in ("running", "scheduled"), "running",
              b.text_of(".camp-state"))
    seen = set()

    def hundred():
        v = num(b, "pct")
        if v is not None:
            seen.add(v)
        return v == 100
    env.check(b.wait(hundred, 60, 0.2), "the progress bar reaches 100 %", sorted(seen))
    env.check(b.wait(lambda: b.text_of(".camp-state") == "completed", 20, 0.2),
              "the campaign is completed", b.text_of(".camp-state"))
    env.check(b.wait(lambda: (num(b, "delivered") or 0) + (num(b, "replied") or 0) == 19
                     and num(b, "failed") == 1, 20, 0.2),
              "19 delivered, 1 failed (the undeliverable number)",
              (num(b, "delivered"), num(b, "failed"), num(b, "sent")))
    env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'") == 20,
              "20 messages went out", env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'"))
    width = b.eval("document.querySelector('#progress .s-delivered').style.width")
    env.check(width == "95%" or width == "95.000%", "the delivered segment is 95 % wide", width)
    env.check(b.wait(lambda: b.eval("document.querySelectorAll('#camp-chart rect').length > 0"), 10),
              "the chart over time is drawn")
    shot(b, "03-completed")
    b.go(env.base + "/admin/campaigns/%s?status=failed" % camp)
    failed_rows = b.eval("Array.from(document.querySelectorAll('#recipients tbody tr')).map("
                         "function(r){return r.textContent;})") or []
    env.check(len(failed_rows) == 1 and "+4915112300007" in failed_rows[0],
              "the failed filter shows the undeliverable number", failed_rows)
    shot(b, "04-filter-failed")

    # --- a slow campaign canceled mid-way --------------------------------------------
    rows = ["phone,name"] + ["+49152123%05d,Slow %d" % (i, i) for i in range(40)]
    slow = write_csv("slow.csv", rows)
    fill_campaign(b, "SLOW_DRIP", slow, 60)
    upload(b)
    camp2 = env.sql1("SELECT id FROM campaigns WHERE name = 'SLOW_DRIP'")
    env.check(b.text_of("#import-counts") == "imported 40, rejected 0", "40 imported",
              b.text_of("#import-counts"))
    # a fresh load, so that admin.js (the confirmation) is bound as on any visit
    b.go(env.base + "/admin/campaigns/%s" % camp2)
    b.submit("button.camp-start")
    b.eval("window.__live = 1")
    env.check(b.wait(lambda: (num(b, "delivered") or 0) + (num(b, "sent") or 0) >= 2, 30, 0.2),
              "the slow campaign sends its first messages", (num(b, "sent"), num(b, "delivered")))
    env.check(b.eval("window.__live") == 1, "shown live by the page's script, without a reload")
    env.check((num(b, "planned") or 0) > 20, "most are still planned", num(b, "planned"))
    shot(b, "05-slow-running")
    # The confirmation is the browser's dialog: answered yes, its question kept.
    b.eval("window.confirm = function (m) { window.__asked = m; return true; }")
    b.submit("button.camp-cancel")
    env.check("Cancel campaign SLOW_DRIP" in (b.eval("window.__asked") or "")
              or b.text_of(".camp-state") == "canceled",
              "Cancel asked first")
    env.check(b.text_of(".camp-state") == "canceled", "the campaign is canceled",
              b.text_of(".camp-state"))
    canceled = num(b, "canceled")
    sent_or_done = 40 - (canceled or 0)
    env.check(canceled is not None and canceled > 15 and num(b, "planned") == 0
              and num(b, "queued") == 0, "the remaining recipients are counted canceled",
              (canceled, num(b, "planned"), num(b, "queued")))
    env.check(num(b, "pct") == 100, "nothing waits: 100 % done")
    env.check(b.eval("document.querySelector('button.camp-cancel') === null"
                     " && document.querySelector('button.camp-pause') === null"),
              "a canceled campaign offers no action")
    db_canceled = env.sql1("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?"
                           " AND status = 'canceled'", (camp2,))
    env.check(db_canceled == canceled, "the page's count is the store's", (db_canceled, canceled))
    shot(b, "06-canceled")
    out_before = env.sql1("SELECT COUNT(*) FROM messages m JOIN campaign_recipients r"
                          " ON r.message_id = m.id WHERE r.campaign_id = ?", (camp2,))
    env.check(out_before == sent_or_done, "only the recipients before Cancel got a message",
              (out_before, sent_or_done))

    # --- a big list: the import's own progress while the server works -------------------
    with open(os.path.join(env.dir, "big-list.csv"), "w") as f:
        f.write("phone,name\n")
        for i in range(400000):
            f.write("+4917%09d,Person %d\n" % (i, i))
    fill_campaign(b, "BIG_LIST", os.path.join(env.dir, "big-list.csv"), 60)
    # PostgreSQL imports a row per round trip to the server (SQLite's are
    # calls in the process): the same file takes minutes there, not seconds.
    started = time.monotonic()
    up = upload(b, 30 if env.engine == "sqlite" else 600)
    print("400000 lines imported in %.1f s on %s" % (time.monotonic() - started, env.engine))
    env.check(b.text_of("#import-counts") == "imported 400000, rejected 0",
              "a 400000-line file is imported", b.text_of("#import-counts"))
    lines = [t for t in up.get("texts", []) if t.startswith("Importing: ")]
    print("import progress seen:", lines[:2], "...", lines[-1:])
    env.check(lines and any(not t.startswith("Importing: 0 ") for t in lines),
              "the page showed the import's progress as the server went", up.get("texts"))

    # --- without JavaScript the form posts as any form does ----------------------------
    b.call("Emulation.setScriptExecutionDisabled", {"value": True})
    fill_campaign(b, "NO_SCRIPT", write_csv("plain.csv", ["phone,name", "+4915312300001,Plain"]), 60)
    b.submit("#camp-form button[type=submit]")
    env.check(b.eval("location.pathname") == "/admin/campaigns/new"
              and b.text_of("#import-counts") == "imported 1, rejected 0",
              "without script the form posts and the answer is the campaign with its import",
              (b.eval("location.pathname"), b.text_of("#import-counts")))
    env.check(b.eval("document.querySelector('#progress .cbar') !== null"),
              "and its progress bar, drawn without script")
    shot(b, "07-no-script")
    b.call("Emulation.setScriptExecutionDisabled", {"value": False})

    # --- the list -----------------------------------------------------------------------
    b.go(env.base + "/admin/campaigns")
    states = b.eval("Array.from(document.querySelectorAll('#campaigns .camp-state')).map("
                    "function(s){return s.textContent;})")
    env.check(sorted(states or []) == ["canceled", "completed", "draft", "draft"],
              "the list shows all four", states)
    env.check(b.eval("document.querySelectorAll('#campaigns .cbar').length") == 4,
              "each with its progress bar")
    shot(b, "08-list")
finally:
    b.close()
    sender.terminate()
    sender.wait(timeout=10)
env.done()
