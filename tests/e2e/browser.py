"""A small Chromium driver for the tests: headless Chromium speaking the
DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4,
messages separated by NUL bytes), so no WebSocket client or npm package is
needed. It types with real key events and clicks with real mouse events."""

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

from harness import wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def high(fd):
    """Moves fd above 9, so that putting the pipes on 3 and 4 clobbers nothing."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


class Browser:
    def __init__(self):
        if not CHROMIUM:
            raise RuntimeError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="ibc-chromium-")
        to_browser_r, self.to_browser = (high(fd) for fd in os.pipe())
        self.from_browser, from_browser_w = (high(fd) for fd in os.pipe())
        # The child gets our pipe ends as its fds 3 (reads) and 4 (writes).
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
             "--window-size=500,900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(to_browser_r, 3),
                                                 os.dup2(from_browser_w, 4)))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def _send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def call(self, method, params=None, session=True, timeout=15):
        want = self._send(method, params, session)
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                msg = json.loads(raw)
                if msg.get("id") == want:
                    if "error" in msg:
                        raise RuntimeError("%s: %s" % (method, msg["error"]))
                    return msg.get("result", {})
            if not select.select([self.from_browser], [], [], 0.5)[0]:
                continue
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        raise RuntimeError("%s: no answer" % method)

    def open(self, url, headers=None):
        """Opens url in a new tab; headers (e.g. Authorization) go with
        every request the tab makes."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        att = self.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                  "flatten": True}, session=False)
        self.session = att["sessionId"]
        self.call("Page.enable")
        if headers:
            self.call("Network.enable")
            self.call("Network.setExtraHTTPHeaders", {"headers": headers})
        self.go(url)

    def go(self, url):
        """Navigates the open tab to url and waits until it has loaded."""
        self.eval("window.__ibc_page = 1")
        self.call("Page.navigate", {"url": url})
        self.wait_load()

    def wait_load(self, timeout=15):
        """Waits for a new page (after a navigation or a form's submit) to load."""
        self.wait(lambda: self.eval("window.__ibc_page === undefined && "
                                    "document.readyState === 'complete'"), timeout)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        return r.get("result", {}).get("value")

    def wait(self, fn, timeout=10, step=0.05):
        return wait_for(fn, timeout, step)

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        box = self.eval("(function(){var e=document.querySelector(%s);"
                        "e.scrollIntoView({block:'center'});"
                        "var r=e.getBoundingClientRect();"
                        "return [r.left+r.width/2, r.top+r.height/2];})()" % json.dumps(selector))
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def text_of(self, selector):
        """The element's textContent, or None when there is none."""
        return self.eval("(function(){var e=document.querySelector(%s);"
                         "return e ? e.textContent : null;})()" % json.dumps(selector))

    def attr_of(self, selector, name):
        """The element's attribute name, or None."""
        return self.eval("(function(){var e=document.querySelector(%s);"
                         "return e ? e.getAttribute(%s) : null;})()"
                         % (json.dumps(selector), json.dumps(name)))

    def submit(self, selector):
        """Clicks a submit button and waits for the page it leads to."""
        self.eval("window.__ibc_page = 1")
        self.click(selector)
        self.wait_load()

    def type(self, selector, text):
        """Focuses the element with a click, then types text as key presses."""
        self.click(selector)
        for ch in text:
            self.call("Input.dispatchKeyEvent", {"type": "keyDown", "text": ch})
            self.call("Input.dispatchKeyEvent", {"type": "keyUp"})

    def screenshot(self, path):
        import base64
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for fd in (self.to_browser, self.from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def js(s):
    """s as a JavaScript literal, for Browser.eval."""
    return json.dumps(s)


def start_browser(env):
    """A Browser for the suite of env; when Chromium cannot run, a failed
    check says so and ends the suite."""
    try:
        return Browser()
    except Exception as e:  # chromium missing: say so and fail
        env.check(False, "chromium runs", str(e))
        env.done()


class Shots:
    """A suite's screenshots, one a page: kept in the test's directory
    (dir), and copied into IBC_ARTIFACTS/folder when that is set."""

    def __init__(self, env, folder):
        self.dir = os.path.join(env.dir, "screenshots")
        os.makedirs(self.dir)
        self.artifacts = os.environ.get("IBC_ARTIFACTS")
        self.folder = folder

    def __call__(self, b, name):
        path = os.path.join(self.dir, name + ".png")
        b.screenshot(path)
        if self.artifacts:
            os.makedirs(os.path.join(self.artifacts, self.folder), exist_ok=True)
            shutil.copy(path, os.path.join(self.artifacts, self.folder, name + ".png"))
