"""make run's script: it brings the whole slice up, a message typed on the
phone page (the simulator's /_sim/mo, which the page calls) is answered
within a second, Ctrl-C stops everything, and a second run reuses the store.
SIGHUP (a closed terminal) and SIGTERM sent to the script alone stop
everything it started too, and free the port for the next run."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Tally, free_port, sqlite_only, wait_for  # noqa: E402

# make run is the local demo, and deploy/run.sh keeps its store in var/ as a
# SQLite file whatever IBCHANNEL_DB says (a second run reuses it); it has no
# PostgreSQL mode, so a pass on PostgreSQL would run the very same SQLite
# demo again.
sqlite_only("make run's demo keeps its store in var/, a SQLite file; it has no PostgreSQL mode")

suite = Tally("run")
check = suite.check


def call(url, body=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                 method="POST" if body else "GET")
    if body:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


var = tempfile.mkdtemp(prefix="ibc-run-")
port, simport = free_port(), free_port()
env = dict(os.environ, IBCHANNEL_VAR=var, IBCHANNEL_PORT=str(port), IBSIM_PORT=str(simport))


def hangup_default():
    """In the script's process: SIGHUP back to its default action. A signal
    ignored when a shell starts cannot be trapped (POSIX), and a test run
    under nohup would hand the script an ignored SIGHUP."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start():
    p = subprocess.Popen(["sh", os.path.join(ROOT, "deploy", "run.sh")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, preexec_fn=hangup_default)
    out = ""
    end = time.time() + 30
    while time.time() < end and "Ctrl-C stops everything" not in out:
        line = p.stdout.readline()
        if not line:
            break
        out += line
    return p, out


stuck = ""


def stop(p):
    global stuck
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C sends to the whole group
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # What is still running tells why, in the failure's detail.
        stuck = subprocess.run(["ps", "-o", "pid,stat,etime,args", "-g", str(p.pid)],
                               capture_output=True, text=True).stdout
        os.killpg(p.pid, signal.SIGKILL)
        return False
    return True


def conversation(number, text):
    call("http://127.0.0.1:%d/_sim/mo" % simport, {"from": number, "text": text, "wait": True})
    t = time.time()
    while time.time() - t < 5:
        _, body = call("http://127.0.0.1:%d/_sim/phone/inbox?number=%s" % (simport, number))
        mt = [m for m in json.loads(body)["messages"] if m["direction"] == "mt"]
        if mt:
            return mt[-1]["text"], time.time() - t
        time.sleep(0.02)
    return None, None


p, out = start()
check("ibchannel is running" in out, "make run's script starts", out[-1500:])
check(("http://127.0.0.1:%d/" % simport) in out and "/docs" in out, "it prints the URLs to open")
_, page = call("http://127.0.0.1:%d/" % simport)
check(b"<textarea" in page or b"<input" in page, "the phone page is served")
reply, elapsed = conversation("4915112349001", "What are your opening hours?")
check(reply is not None and "9:00" in reply, "the demo agent answers", repr(reply))
check(elapsed is not None and elapsed < 1.0, "within a second (%.3f s)" % (elapsed or -1))
# A person on the phone page, in a real browser: types, clicks Send, reads.
try:
    from browser import Browser
    b = Browser()
except Exception as e:  # chromium missing: the test says so and fails
    b = None
    check(False, "chromium runs", str(e))
if b is not None:
    try:
        b.open("http://127.0.0.1:%d/" % simport)
        b.eval("document.getElementById('me').value = '4915112349003'")
        typed = "Hello <b>there</b>, how much does it cost?"
        b.type("#text", typed)
        t = time.time()
        b.click("#f button")
        got = b.wait(lambda: b.eval(
            "Array.from(document.querySelectorAll('#conv .mt')).map(function(e){"
            "return e.firstChild.textContent;}).join('|')"), 5, 0.02)
        elapsed = time.time() - t
        check(got and "9 EUR" in got, "typed on the phone page, the answer shows there", repr(got))
        check(elapsed < 1.0, "within a second of clicking Send (%.3f s)" % elapsed)
        sent = b.eval("Array.from(document.querySelectorAll('#conv .mo')).map(function(e){"
                      "return e.firstChild.textContent;}).join('|')")
        check(sent == typed, "the typed text shows as sent, markup as text", repr(sent))
        check(b.eval("document.querySelectorAll('#conv b').length") == 0,
              "no markup from a message became HTML")
        check(b.eval("document.getElementById('text').value") == "", "the text box is cleared")
        b.screenshot(os.path.join(var, "phone.png"))
    finally:
        b.close()
cid = open(os.path.join(var, "demo-connection")).read().strip()
_, docs = call("http://127.0.0.1:%d/channel/%s/docs" % (port, cid))
check(b"/webhook/sms" in docs, "the docs page is served")
admin_url = "http://127.0.0.1:%d/admin/" % port
check(admin_url in out, "it prints the admin URL")
_, home = call(admin_url)
check(b"Demo line" in home and b'id="noauth"' in home,
      "the admin opens without signing in, says so, and shows the demo connection")
_, agents = call(admin_url + "agents")
check(b"Demo rules agent" in agents and b"Demo line (inbound)" in agents,
      "and the demo agent with its inbound connection")
check(stop(p), "Ctrl-C stops the script", stuck)
check(wait_for(lambda: not port_open(port) and not port_open(simport), 10),
      "lighttpd and the simulator are stopped")
left = subprocess.run(["sh", "-c", "ps -eo args | grep -F -- '%s' | grep -v grep" % var],
                      capture_output=True, text=True).stdout
check(left.strip() == "", "nothing it started is left running", left)

p, out = start()
check("ibchannel is running" in out, "a second run starts", out[-800:])
check(open(os.path.join(var, "demo-connection")).read().strip() == cid, "and reuses the store")
reply, elapsed = conversation("4915112349002", "price?")
check(reply is not None and "EUR" in reply, "and answers again", repr(reply))
stop(p)


def session(p):
    """The live processes of the script's session (its children and theirs,
    lighttpd's programs among them), as "pid args" lines."""
    out = subprocess.run(["ps", "-eo", "pid=,sid=,stat=,args="], capture_output=True,
                         text=True).stdout
    p.poll()  # reaps the script itself once it has left
    return [line.strip() for line in out.splitlines()
            if line.split()[1] == str(p.pid) and not line.split()[2].startswith("Z")]


for sig in (signal.SIGHUP, signal.SIGTERM):
    p, out = start()
    name = sig.name + " to the script: "
    started = session(p)
    check("ibchannel is running" in out and any("lighttpd" in s for s in started)
          and any("inbound.fcgi" in s for s in started),
          name + "the run starts, with lighttpd and its programs", out[-800:] + "\n".join(started))
    os.kill(p.pid, sig)  # the script alone, as a closed terminal's hangup reaches it
    gone = wait_for(lambda: not session(p) and not port_open(port) and not port_open(simport), 15)
    check(gone, name + "every process it started is gone and the ports are free",
          "\n".join(session(p)))
    if not gone:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
shutil.rmtree(var, ignore_errors=True)
suite.done()
