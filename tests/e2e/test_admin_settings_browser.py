"""The admin's Settings and Outbox pages and Access Information without a
public URL, in a real browser (headless Chromium) as an operator walks them:
a connection's page warns that no public URL is set and links the setting;
on Settings a refused value is answered next to its field, a good one saved
(the command line sees it) and the connection's page then gives the
addresses to paste; a setting read at program start says so. An operator
finds the held messages in Outbox with their reason, resends one and fails
a selection of two. Every page is kept as a screenshot in the test's
directory (and in IBC_ARTIFACTS when set)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import js, Shots, start_browser  # noqa: E402
from harness import Env  # noqa: E402

USERS = {"ann": "ann-pw-1", "otto": "otto-pw-2"}
SMS_ONLY = "sms-only-key-aaaabbbbcccc"


class NoPublicUrlEnv(Env):
    """An Env whose web programs and command line have no public URL."""

    def start_lighttpd(self, procs, sync):
        base, self.base = self.base, ""
        try:
            super().start_lighttpd(procs, sync)
        finally:
            self.base = base


env = NoPublicUrlEnv("admin_settings_browser", admin_users=USERS,
                     sim_args=("--sms-only-keys", SMS_ONLY))
env.env.pop("IBCHANNEL_PUBLIC_URL", None)
env.set_roles({"ann": "admin", "otto": "operator"})
shot = Shots(env, "admin_settings")
auth = env.auth
cid = env.add_connection(name="Shop line", sender="447491163443")
sms = env.add_connection(name="Send-only key", key=SMS_ONLY, sender="447491163444")


def set_value(b, sel, value):
    """Clears a field, then types value with real key presses."""
    b.eval("document.querySelector(%s).value = ''" % js(sel))
    b.type(sel, value)


def state(mid):
    lines = env.cli("outbox").stdout.splitlines()
    head = lines[0].split("\t")
    rows = {int(l.split("\t")[0]): dict(zip(head, l.split("\t"))) for l in lines[1:]}
    return rows.get(mid, {}).get("state")


# Three messages held for an operator: sends that may have reached Infobip,
# on a key that may not read Infobip's logs.
env.cli("settings", "set", "send_retry_delays", "1,1,1,1,1,1")
env.sim("/_sim/config", {"dlr_delay": 600})
held = []
for i in range(3):
    env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "500"})
    mid = int(env.cli("send", "--connection", sms, "--to", "49151123600%02d" % i,
                      "--text", "held %d" % i).stdout.strip())
    env.wait_for(lambda: env.cli("sender", "--once", check=False) and False
                 or state(mid) == "held", 30, 0.2)
    held.append(mid)
env.check(all(state(m) == "held" for m in held), "three messages are held",
          repr([state(m) for m in held]))

b = start_browser(env)
try:
    # --- 3. Access Information without a public URL -----------------------------
    b.open(env.base + "/admin/connections/" + cid, headers=auth("ann"))
    env.check(b.text_of("#no-public-url") and "No public URL" in b.text_of("#no-public-url"),
              "the connection's page warns that no public URL is set")
    access = b.text_of("#access") or ""
    env.check("paste it" not in access and "http://" not in access
              and b.text_of("#url-sms") is None,
              "no address made of the Host header is offered", access[:300])
    b.eval("document.getElementById('access').scrollIntoView()")
    shot(b, "01-access-no-public-url")
    b.submit("#no-public-url a")
    env.check(b.eval("location.pathname + location.hash") == "/admin/settings#s-public_url",
              "its link opens the public_url setting", b.eval("location.href"))
    shot(b, "02-settings-public-url")

    # --- 1. Settings: refused next to the field, then saved ----------------------
    set_value(b, "#f-public_url", "ftp://sms.example.com")
    b.submit("#s-public_url button[type=submit]")
    err = b.text_of("#e-public_url") or ""
    cli = env.cli("settings", "set", "public_url", "ftp://sms.example.com", check=False)
    env.check(err and err in cli.stderr, "a refused URL: the CLI's reason next to the field",
              "%r / %r" % (err, cli.stderr))
    env.check(b.eval("document.getElementById('f-public_url').value") == "ftp://sms.example.com",
              "... the typed value kept")
    env.check(env.cli("settings", "get", "public_url").stdout.strip() == "",
              "... and nothing saved")
    b.eval("document.getElementById('s-public_url').scrollIntoView()")
    shot(b, "03-settings-refused")
    set_value(b, "#f-public_url", "https://sms.example.com")
    b.submit("#s-public_url button[type=submit]")
    env.check(b.text_of("#notice") == "Setting saved.", "a good URL is saved",
              b.text_of("#notice"))
    env.check(env.cli("settings", "get", "public_url").stdout.strip() == "https://sms.example.com",
              "... and the CLI sees it")
    shot(b, "04-settings-saved")
    set_value(b, "#f-session_timeout_minutes", "45")
    b.submit("#s-session_timeout_minutes button[type=submit]")
    env.check(env.cli("settings", "get", "session_timeout_minutes").stdout.strip() == "45",
              "a number saved through the page reaches the CLI")
    env.check("minutes" in (b.text_of("#s-session_timeout_minutes .unit") or ""),
              "... shown with its unit")
    note = b.text_of("#r-webhook_threads") or ""
    env.check("restart" in note, "webhook_threads says it takes a restart", note)
    b.eval("document.getElementById('s-webhook_threads').scrollIntoView()")
    shot(b, "05-settings-restart-note")
    b.go(env.base + "/admin/connections/" + cid)
    env.check(b.text_of("#url-sms") == "https://sms.example.com/channel/%s/webhook/sms" % cid
              and b.text_of("#no-public-url") is None,
              "the connection's page now gives the address to paste", b.text_of("#url-sms"))
    b.eval("document.getElementById('access').scrollIntoView()")
    shot(b, "06-access-with-public-url")

    # --- 2. Outbox, as an operator ----------------------------------------------
    b.open(env.base + "/admin/outbox", headers=auth("otto"))
    rows = b.eval("Array.from(document.querySelectorAll('#outbox tbody tr'))"
                  ".map(function (r) { return +r.getAttribute('data-message'); })")
    env.check(sorted(rows or []) == sorted(held), "Outbox lists the held messages", repr(rows))
    reason = b.text_of('tr[data-message="%d"] .reason' % held[0]) or ""
    env.check("403" in reason and "logs" in reason, "... with the reason", reason)
    env.check("not found" in (b.text_of('tr[data-message="%d"] .lookups' % held[0]) or ""),
              "... and the lookups")
    shot(b, "07-outbox-held")
    b.submit('form[action="/admin/outbox/%d/resend"] button' % held[0])
    env.check("Queued to be sent again" in (b.text_of("#notice") or ""),
              "Resend: the page says so", b.text_of("#notice"))
    env.check(state(held[0]) == "queued", "... and the message is queued as new")
    env.check(env.sql1("SELECT COUNT(*) FROM logs WHERE event = 'outbox' AND text LIKE ?",
                       ("%sent again by hand by otto",)) == 1, "... logged with the user")
    shot(b, "08-outbox-resent")
    for mid in held[1:]:
        b.click("#m-%d" % mid)
    env.check(b.eval("document.querySelectorAll('input[name=m]:checked').length") == 2,
              "two messages selected")
    # The browser's dialog: answered no first (nothing happens), then yes.
    b.eval("window.confirm = function (m) { window.__asked = m; return false; }")
    b.click("#outbox-selection button[formaction]")
    env.check(b.wait(lambda: b.eval("window.__asked") is not None, 5)
              and "Fail the selected" in b.eval("window.__asked")
              and b.eval("location.pathname") == "/admin/outbox"
              and state(held[1]) == "held", "Fail selected asks first; no: nothing done",
              b.eval("window.__asked"))
    b.eval("window.confirm = function (m) { return true; }")
    b.submit("#outbox-selection button[formaction]")
    env.check(b.text_of("#notice") == "Failed: it will not be sent.",
              "Fail selected: the page says so", b.text_of("#notice"))
    statuses = [env.sql1("SELECT status FROM messages WHERE id = ?", (m,)) for m in held[1:]]
    env.check(statuses == ["failed", "failed"] and state(held[1]) is None
              and state(held[2]) is None, "... both failed and out of the outbox", repr(statuses))
    env.check(b.text_of("#outbox-empty") is not None, "the Outbox is empty now")
    shot(b, "09-outbox-failed-selection")
finally:
    b.close()
env.done()
