"""What the suites that take the store or a machine away under load share:
Infobip-shaped webhook bodies, a load of client threads that retry each
webhook until it is answered 200 (as Infobip does), and the FastCGI
programs a lighttpd started (the same set afterwards: none restarted)."""

import http.client
import threading
import time

from harness import proc_stats


def fcgi_pids(env):
    """The FastCGI programs env's lighttpd started, as (name, pid) pairs."""
    parent = str(env.procs[-1].pid)
    return {(comm, pid) for pid, (comm, f) in proc_stats().items()
            if f[1] == parent and comm.endswith(".fcgi")}


def mo(mid):
    """An inbound SMS body of one message, its sender taken from mid."""
    return {"results": [{"messageId": mid, "from": "4915112300%03d" % (hash(mid) % 1000),
                         "to": "447491163443", "text": "hello " + mid,
                         "receivedAt": "2026-12-06T10:00:00.000+0000"}],
            "messageCount": 1, "pendingMessageCount": 0}


def dlr(mid):
    """A delivery report (DELIVERED) for the message mid."""
    return {"results": [{"messageId": mid, "to": "41793026727", "status": {
        "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
        "description": "Message delivered to handset"}, "error": {
        "groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
        "description": "No Error", "permanent": False},
        "doneAt": "2026-12-06T10:00:01.000+0000"}]}


class Load:
    """Client threads, one per kind given ("mo" or "dlr"), posting bodies
    with unique ids (prefix-kind-thread-n) to connection cid, each retried
    after a non-200 answer or a broken connection until it is answered 200
    or give_up seconds pass, every answer recorded with its time and how
    long it took."""

    def __init__(self, env, cid, kinds, prefix, timeout=30, give_up=120):
        self.env, self.prefix = env, prefix
        self.timeout, self.give_up = timeout, give_up
        self.paths = {"mo": "/channel/%s/webhook/sms" % cid,
                      "dlr": "/channel/%s/webhook/reports" % cid}
        self.lock = threading.Lock()
        self.answers = []       # (time, kind, id, status or None, seconds)
        self.ok = {}            # id -> kind, answered 200
        self.tried = {}         # id -> kind
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n, kind), daemon=True)
                        for n, kind in enumerate(kinds)]

    def start(self):
        for t in self.threads:
            t.start()

    def run(self, n, kind):
        seq = 0
        while not self.stopping.is_set():
            seq += 1
            mid = "%s-%s-%d-%d" % (self.prefix, kind, n, seq)
            with self.lock:
                self.tried[mid] = kind
            body = mo(mid) if kind == "mo" else dlr(mid)
            end = time.time() + self.give_up
            while time.time() < end:
                t = time.time()
                try:
                    status = self.env.post(self.paths[kind], body,
                                           timeout=self.timeout).status
                except (OSError, http.client.HTTPException):
                    status = None
                with self.lock:
                    self.answers.append((time.time(), kind, mid, status, time.time() - t))
                    if status == 200:
                        self.ok[mid] = kind
                if status == 200:
                    break
                time.sleep(0.1)

    def since(self, t, status=None):
        """Answers after time t (with that status, when given)."""
        with self.lock:
            return [a for a in self.answers if a[0] > t and (status is None or a[3] == status)]

    def gap(self, t):
        """The longest time without a 200 from t until now: 200s still in
        flight at t are answers to requests sent before it, so every pause
        between two 200s counts (None when none after t)."""
        with self.lock:
            times = sorted(a[0] for a in self.answers if a[3] == 200 and t < a[0])
        if not times:
            return None
        return max([times[0] - t] + [b - a for a, b in zip(times, times[1:])])

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(self.give_up + 30)
