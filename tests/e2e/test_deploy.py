"""The shipped web server configurations, for real: the same smoke test under
lighttpd (deploy/lighttpd.conf.in) and under Apache 2.4
(deploy/apache-ibchannel.conf, mod_proxy_fcgi, the programs under
spawn-fcgi): an MO in through the web server, the agent's reply at the
simulator, its delivery report back in, the admin behind basic
authentication, and a webhook load of 32 concurrent connections.

On PostgreSQL (IBCHANNEL_TEST_PG, tests/run.sh's second pass) the Env's store
is a database URI, which both configurations hand to the programs as they
hand a file name: the same checks, with the programs against a server."""

import base64
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env  # noqa: E402

CONNS = 32
LOAD_SECONDS = 3.0
USERS = {"ann": "ann-secret-pw", "bob": "bob-secret-pw"}
totals = [0, 0]


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (user, pw)).encode()).decode()}


def mo(message_id, text, frm):
    return {"results": [{"messageId": message_id, "from": frm, "to": "447491163443",
                         "text": text, "receivedAt": "2026-11-27T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}


def load(env, path, seconds, conns):
    """conns threads, each POSTing MOs over one keep-alive connection for
    seconds. Returns (message ids answered 200, other answers and errors)."""
    ok, bad = [], []
    lock = threading.Lock()
    end = time.time() + seconds

    def worker(n):
        c = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
        i = 0
        while time.time() < end:
            mid = "load-%d-%d" % (n, i)
            i += 1
            body = json.dumps(mo(mid, "load", "49151%08d" % (n * 100000 + i)))
            try:
                c.request("POST", path, body, {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                with lock:
                    (ok if r.status == 200 else bad).append(mid if r.status == 200
                                                            else r.status)
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    bad.append(repr(e))
                c.close()
        c.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok, bad


def smoke(server):
    env = Env("deploy-" + server, server=server, admin_users=USERS)
    name = server + ": "
    cid = env.add_connection(sender="InfoSMS")
    env.add_rules_agent(cid)
    sms = "%s/channel/%s/webhook/sms" % (env.base, cid)

    # --- MO in, through the web server, pushed by the simulator as Infobip does
    phone = "4915112340001"
    sent = env.sim("/_sim/mo", {"url": sms, "from": phone, "text": "What are your opening hours?"})
    mo_id = (sent or {}).get("messageId")

    def mo_stored():
        return env.sql1("SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id"
                        " WHERE m.direction = 'in' AND c.phone = ?", ("+" + phone,))

    env.check(env.wait_for(mo_stored, 15), name + "the simulator's MO reached the store",
              json.dumps(sent)[:300] + env.read_var("apache-error.log")[-500:])
    if mo_id:
        env.check(env.wait_for(lambda: any(
            m.get("messageId") == mo_id and all(d.get("delivered") for d in m.get("deliveries", []))
            for m in env.sim("/_sim/mo")["mo"]), 10),
            name + "the simulator saw a 2xx for its MO push")

    # --- the agent's reply at the simulator, its delivery report back in
    p = env.cli("sender", "--once", check=False)
    env.check(p.returncode == 0, name + "sender --once ran", p.stderr[-300:])
    reply = [m for m in env.sim("/_sim/messages")["messages"] if m["to"] == phone]
    env.check(len(reply) == 1 and "9" in reply[0]["text"], name + "the agent's reply reached the simulator",
              json.dumps(reply)[:300])
    uid = reply[0]["messageId"] if reply else None
    env.check(env.wait_for(lambda: env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,))
                           == "delivered", 15),
              name + "the delivery report came in through the web server: delivered",
              str(env.sql1("SELECT status FROM messages WHERE uid = ?", (uid,))))

    # --- routes reach the right program
    r = env.get("/channel/%s/docs" % cid)
    env.check(r.status == 200, name + "GET /channel/ID/docs", str(r.status))
    r = env.get("/health")
    env.check(r.status == 200 and (r.json() or {}).get("status") == "ok",
              name + "GET /health reaches inbound.fcgi: 200 ok", "%d %s" % (r.status, r.text[:200]))
    if server == "lighttpd":
        # What lighttpd said starting the shipped configuration, all written
        # before it answered the requests above.
        said = env.read_var("lighttpd.out") + env.read_var("lighttpd-error.log")
        env.check("server started" in said and "WARNING" not in said and "can't" not in said,
                  name + "lighttpd starts the shipped configuration without a warning",
                  said[-600:].replace("\n", " | "))
    r = env.get("/channel/nope")
    env.check(r.status == 404 and r.json() is not None, name + "a malformed /channel/ path gets"
              " the program's JSON 404", "%d %s" % (r.status, r.text[:200]))

    # --- the admin behind basic authentication
    env.cli("user", "set", "ann", "admin")
    r = env.get("/admin/")
    env.check(r.status == 401 and "Basic" in r.headers.get("WWW-Authenticate", ""),
              name + "/admin/ without credentials: 401 asking for Basic", str(r.status))
    r = env.get("/admin/", headers=basic("ann", "wrong"))
    env.check(r.status == 401, name + "/admin/ with a wrong password: 401", str(r.status))
    r = env.get("/admin/", headers=basic("ann", USERS["ann"]))
    env.check(r.status == 200 and "<html" in r.text.lower(), name + "/admin/ with credentials: 200",
              "%d %s" % (r.status, r.text[:200]))
    r = env.get("/admin", headers=basic("ann", USERS["ann"]))
    env.check(r.status in (200, 301, 302, 303, 308), name + "/admin (no slash) reaches the admin",
              str(r.status))
    r = env.get("/admin/", headers=basic("bob", USERS["bob"]))
    env.check(r.status == 403, name + "a user the web server knows but the users table does not:"
              " 403 from admin.fcgi (REMOTE_USER passed)", str(r.status))

    # --- 32 concurrent webhook connections for a few seconds
    before = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
    ok, bad = load(env, "/channel/%s/webhook/sms" % cid, LOAD_SECONDS, CONNS)
    print("%s: %d webhooks answered 200 in %.0f s over %d connections, %d otherwise" % (
        server, len(ok), LOAD_SECONDS, CONNS, len(bad)), flush=True)
    env.check(len(ok) >= CONNS and not bad, name + "the load was answered without errors",
              "%d ok, %d bad: %r" % (len(ok), len(bad), bad[:5]))
    stored = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in'") - before
    env.check(stored == len(ok), name + "every acknowledged MO is in the store",
              "%d stored, %d acknowledged" % (stored, len(ok)))
    env.check(env.get("/channel/%s/docs" % cid).status == 200, name + "still answering after the load")

    env.stop()
    totals[0] += env.passed
    totals[1] += env.failed


for s in ("lighttpd", "apache"):
    smoke(s)
print("%d passed, %d failed" % tuple(totals), flush=True)
sys.exit(1 if totals[1] else 0)
