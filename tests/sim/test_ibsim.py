#!/usr/bin/env python3
"""Checks the Infobip simulator (ibsim.py) end to end over loopback HTTP."""

import base64
import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "ibsim.py")
KEY = "k1"
SMS_KEY = "smskey"
NO_CREDIT = "4915100000099"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
LEGACY_401 = ('{"requestError":{"serviceException":{"messageId":'
              '"UNAUTHORIZED","text":"Invalid login details"}}}')
JSON_CT = "application/json;charset=UTF-8"

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s" % what)
    return cond


def eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


# ---------------------------------------------------------------------------
# A webhook receiver the simulator pushes to

class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = []
        self.plans = {}
        rcv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rcv.lock:
                    plan = rcv.plans.get(self.path)
                    code = plan.pop(0) if plan else 200
                    rcv.hits.append({"path": self.path, "time": time.time(),
                                     "ctype": self.headers.get(
                                         "Content-Type"),
                                     "body": body, "answered": code})
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def plan(self, path, codes):
        with self.lock:
            self.plans[path] = list(codes)

    def got(self, path):
        with self.lock:
            return [h for h in self.hits if h["path"] == path]


# ---------------------------------------------------------------------------
# HTTP helpers

PORT = None


def call(method, path, body=None, key=KEY, auth=None, ctype=None,
         timeout=5.0, raw=None):
    """Returns (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    headers = {}
    if auth is not None:
        headers["Authorization"] = auth
    elif key is not None:
        headers["Authorization"] = "App " + key
    data = raw
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = ctype or "application/json"
    elif ctype:
        headers["Content-Type"] = ctype
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        out = r.read()
        return r.status, dict(r.getheaders()), out
    finally:
        conn.close()


def jcall(method, path, body=None, **kw):
    status, headers, data = call(method, path, body, **kw)
    try:
        doc = json.loads(data.decode("utf-8")) if data else None
    except ValueError:
        doc = None
    return status, headers, doc


def sim(method, path, body=None):
    status, _, doc = jcall(method, path, body, key=None)
    return status, doc


def wait_until(fn, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return fn()


def sim_message(mid):
    _, doc = sim("GET", "/_sim/messages?messageId=" + mid)
    msgs = doc["messages"] if doc else []
    return msgs[0] if msgs else None


def v3_send(dests, text="Hello", sender="ibchannel", hooks=None,
            options=None, key=KEY):
    m = {"sender": sender, "destinations": dests, "content": {"text": text}}
    if hooks is not None:
        m["webhooks"] = hooks
    body = {"messages": [m]}
    if options is not None:
        body["options"] = options
    return jcall("POST", "/sms/3/messages", body, key=key)


# ---------------------------------------------------------------------------
# Test groups

def test_auth():
    s, h, d = call("POST", "/sms/3/messages", {"messages": []}, key="wrong")
    eq(s, 401, "v3 bad key status")
    doc = json.loads(d)
    eq(doc.get("errorCode"), "E401", "v3 401 errorCode")
    eq(sorted(doc), ["action", "description", "errorCode", "resources",
                     "violations"], "v3 401 fields")
    eq(doc.get("violations"), [], "v3 401 violations")
    eq(h.get("Content-Type"), JSON_CT, "v3 401 content type")
    s, h, d = call("POST", "/sms/3/messages", {"messages": []}, key=None)
    eq(s, 401, "v3 no key status")
    for path, method in (("/sms/2/text/advanced", "POST"),
                         ("/account/1/balance", "GET"),
                         ("/sms/1/logs", "GET")):
        s, h, d = call(method, path, {} if method == "POST" else None,
                       key="wrong")
        eq(s, 401, "%s bad key status" % path)
        eq(d.decode(), LEGACY_401, "%s legacy 401 body" % path)
        eq(h.get("Content-Type"), JSON_CT, "%s content type" % path)
    s, h, d = jcall("GET", "/sms/3/logs", key="wrong")
    eq((s, d and d.get("errorCode")), (401, "E401"), "v3 logs 401")

    s, _, d = jcall("GET", "/account/1/balance")
    eq((s, d), (200, {"balance": 47.79134, "currency": "EUR"}), "balance")
    s, _, d = jcall("GET", "/account/1/balance", key=SMS_KEY)
    eq(s, 403, "sms-only key on balance")
    eq(d, {"requestError": {"serviceException": {
        "messageId": "FORBIDDEN", "text": "Forbidden"}}}, "403 body")
    s, _, d = v3_send([{"to": "41793026727"}], key=SMS_KEY)
    eq(s, 200, "sms-only key can send")
    s, _, d = jcall("GET", "/sms/3/logs?messageId=x", key=SMS_KEY)
    eq((s, d and d.get("errorCode")), (403, "E403"),
       "sms-only key may not read the v3 logs")
    s, _, d = jcall("GET", "/sms/1/logs?messageId=x", key=SMS_KEY)
    eq((s, d and d["requestError"]["serviceException"]["messageId"]),
       (403, "FORBIDDEN"), "sms-only key may not read the v1 logs")
    eq(jcall("GET", "/sms/3/logs?messageId=x")[0], 200,
       "a full key reads the logs")

    basic = "Basic " + base64.b64encode(b"user:" + KEY.encode()).decode()
    eq(call("GET", "/account/1/balance", auth=basic)[0], 200, "basic auth")
    bad = "Basic " + base64.b64encode(b"user:nope").decode()
    eq(call("GET", "/account/1/balance", auth=bad)[0], 401, "basic bad")
    eq(call("GET", "/account/1/balance", auth="Bearer k2")[0], 200,
       "bearer auth with second key")
    eq(call("GET", "/account/1/balance", auth="App")[0], 401, "empty App")


def test_routing():
    s, _, d = jcall("GET", "/sms/9/nothing")
    eq(s, 404, "unknown path")
    eq(d, {"requestError": {"serviceException": {
        "messageId": "NOT_FOUND", "text": "Not found"}}}, "404 body")
    s, h, d = jcall("GET", "/sms/3/messages")
    eq(s, 405, "GET on send")
    eq(h.get("Allow"), "POST", "Allow header")
    eq(jcall("POST", "/account/1/balance", {})[0], 405, "POST on balance")


def test_validation():
    def viol(body, path="/sms/3/messages", **kw):
        s, _, d = jcall("POST", path, body, **kw)
        return s, d

    s, d = viol({"messages": [{"sender": "x",
                               "content": {"text": "hi"}}]})
    eq(s, 400, "missing destinations status")
    eq(d.get("errorCode"), "E400", "missing destinations errorCode")
    check({"property": "messages[0].destinations",
           "violation": "must not be null"} in d.get("violations", []),
          "violation for missing destinations: %r" % d)
    s, d = viol({"messages": [{"destinations": [{"to": "41793026727"}],
                               "content": {"text": "hi"}}]})
    eq(s, 400, "missing sender status")
    eq(d.get("violations"), [{"property": "messages[0].sender",
                              "violation": "must not be null"}],
       "missing sender violations")
    s, d = viol({})
    eq(s, 400, "missing messages status")
    eq(d.get("violations"), [{"property": "messages",
                              "violation": "must not be null"}],
       "missing messages violations")
    s, d = viol({"messages": [{"sender": "x",
                               "destinations": [{"to": "41793026727"}]}]})
    check(s == 400 and {"property": "messages[0].content",
                        "violation": "must not be null"}
          in d["violations"], "missing content: %r" % d)
    s, d = viol({"messages": [{"sender": "x", "content": {"text": "a"},
                               "destinations": [{"to": "1" * 65}]}]})
    check(s == 400 and d["violations"][0]["property"] ==
          "messages[0].destinations[0].to", "to too long: %r" % d)
    s, d = viol({"messages": [{"sender": "x", "content": {},
                               "destinations": [{"to": "41793026727"}]}]})
    check(s == 400 and d["violations"] == [
        {"property": "messages[0].content.text",
         "violation": "must not be null"}], "empty content: %r" % d)

    s, h, d = call("POST", "/sms/3/messages", raw=b'{"messages": [',
                   ctype="application/json")
    eq(s, 400, "invalid JSON")
    eq(json.loads(d).get("errorCode"), "E400", "invalid JSON shape")
    s, h, d = call("POST", "/sms/3/messages", raw=b'{"messages":[]}',
                   ctype="text/plain")
    eq(s, 415, "wrong content type")
    eq(json.loads(d).get("errorCode"), "E415", "415 shape")
    s, h, d = call("POST", "/sms/3/messages", raw=b'{}')
    eq(s, 415, "no content type")

    # v2: legacy shape with validationErrors
    s, d = viol({"messages": [{"destinations": [{"to": "41793026727"}],
                               "text": "hi"}]}, "/sms/2/text/advanced")
    eq(s, 400, "v2 missing from status")
    eq(d, {"requestError": {"serviceException": {
        "messageId": "BAD_REQUEST", "text": "Bad request",
        "validationErrors": {"messages[0].from": ["must not be null"]}}}},
       "v2 validation body")
    s, d = viol({}, "/sms/2/text/advanced")
    check(s == 400 and "messages" in
          d["requestError"]["serviceException"]["validationErrors"],
          "v2 missing messages: %r" % d)

    # never crash on odd input
    odd = [b"[1,2]", b'"x"', b"null", b"123", b'{"messages":"x"}',
           b'{"messages":[1]}', b'{"messages":[{"destinations":"x",'
           b'"content":5,"sender":7}]}', b"\xff\xfe\x00",
           b'{"messages":[{"sender":"x","destinations":[{"to":5}],'
           b'"content":{"text":"a"}}]}', b"[" * 100000]
    for raw in odd:
        for path in ("/sms/3/messages", "/sms/2/text/advanced"):
            s, _, _ = call("POST", path, raw=raw, ctype="application/json")
            eq(s, 400, "odd body %r on %s" % (raw[:30], path))


def test_send_statuses():
    dests = [{"to": "41793026727", "messageId": "our-1"},
             {"to": "+41793026728", "messageId": "our-2"},
             {"to": "12ab34", "messageId": "our-3"},
             {"to": "", "messageId": "our-4"},
             {"to": NO_CREDIT, "messageId": "our-5"},
             {"to": "41793026729"}]
    s, h, d = v3_send(dests, options={"schedule": {"bulkId": "bulk-A"}})
    eq(s, 200, "v3 send status")
    eq(h.get("Content-Type"), JSON_CT, "v3 send content type")
    eq(d.get("bulkId"), "bulk-A", "bulkId echoed")
    ms = d.get("messages", [])
    eq(len(ms), 6, "one result per destination")
    if len(ms) != 6:
        return
    eq([m["status"]["groupId"] for m in ms], [1, 1, 5, 5, 5, 1],
       "status groups in order")
    eq(ms[0]["status"], {"groupId": 1, "groupName": "PENDING", "id": 26,
                         "name": "PENDING_ACCEPTED",
                         "description": "Message sent to next instance"},
       "PENDING status object")
    eq([m.get("messageId") for m in ms[:5]],
       ["our-1", "our-2", "our-3", "our-4", "our-5"], "messageIds echoed")
    check(ms[5].get("messageId"), "generated messageId")
    eq(ms[0].get("destination"), "41793026727", "destination")
    eq(ms[1].get("destination"), "41793026728", "destination without +")
    eq(ms[0].get("details"), {"messageCount": 1}, "details.messageCount")
    eq((ms[2]["status"]["id"], ms[2]["status"]["name"]),
       (14, "REJECTED_DESTINATION"), "invalid number rejected")
    eq((ms[3]["status"]["id"], ms[3]["status"]["name"]),
       (51, "MISSING_TO"), "empty number rejected")
    eq(ms[4]["status"], {"groupId": 5, "groupName": "REJECTED", "id": 12,
                         "name": "REJECTED_NOT_ENOUGH_CREDITS",
                         "description": "Not enough credits"},
       "no-credit rejected")
    m = sim_message("our-3")
    eq(m and m["status"], "REJECTED", "rejected message recorded")
    m = sim_message("our-1")
    eq(m and (m["api"], m["sender"], m["text"]), ("v3", "ibchannel",
                                                  "Hello"),
       "accepted message recorded")

    # segment counting
    for text, want in (("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2),
                       ("a" * 307, 3), ("\u20ac" * 80, 1),
                       ("\u20ac" * 81, 2), ("\u0436" * 70, 1),
                       ("\u0436" * 71, 2), ("\u0436" * 134, 2),
                       ("\u0436" * 135, 3), ("", 1)):
        s, _, d = v3_send([{"to": "41793026727"}], text=text)
        eq(d and d["messages"][0]["details"]["messageCount"], want,
           "segments of %d x %r" % (len(text), text[:1]))

    # v2 response shape
    body = {"bulkId": "bulk-v2", "messages": [
        {"from": "ibchannel", "text": "hi",
         "destinations": [{"to": "41793026727", "messageId": "v2-1"},
                          {"to": NO_CREDIT}]}]}
    s, _, d = jcall("POST", "/sms/2/text/advanced", body)
    eq(s, 200, "v2 send status")
    eq(d["bulkId"], "bulk-v2", "v2 bulkId")
    eq(sorted(d["messages"][0]), ["messageId", "status", "to"],
       "v2 result fields without smsCount")
    eq(d["messages"][1]["status"]["id"], 12, "v2 no-credit rejected")
    body["includeSmsCountInResponse"] = True
    body["messages"][0]["destinations"] = [{"to": "41793026727"}]
    s, _, d = jcall("POST", "/sms/2/text/advanced", body)
    eq(d["messages"][0].get("smsCount"), 1, "v2 smsCount when asked")


def test_dlr(rcv):
    _, cfg = sim("POST", "/_sim/config",
                 {"outcomes": {"4915100000077": "undeliverable"}})
    rcv.plan("/flaky", [500, 500])
    rcv.plan("/dead", [500] * 20)
    # plain delivered, with callbackData; three destinations in one batch
    s, _, d1 = v3_send([{"to": "41793026701", "messageId": "dlr-1"},
                        {"to": "41793026702", "messageId": "dlr-2"},
                        {"to": "12ab", "messageId": "dlr-bad"},
                        {"to": "41793026703", "messageId": "dlr-3"}],
                       hooks={"delivery": {"url": rcv.url("/dlr")},
                              "callbackData": "cb-1"},
                       options={"schedule": {"bulkId": "bulk-D"}})
    eq(s, 200, "dlr send")
    v3_send([{"to": "41793026704", "messageId": "flaky-1"}],
            hooks={"delivery": {"url": rcv.url("/flaky")}})
    v3_send([{"to": "41793026705", "messageId": "quiet-1"}],
            hooks={"delivery": {"url": rcv.url("/quiet"),
                                "notify": False}})
    v3_send([{"to": "41793026706", "messageId": "inter-1"}],
            hooks={"delivery": {"url": rcv.url("/inter"),
                                "intermediateReport": True}})
    v3_send([{"to": "4915100000077", "messageId": "undeliv-1"}],
            hooks={"delivery": {"url": rcv.url("/undeliv")}})
    jcall("POST", "/sms/2/text/advanced", {"messages": [
        {"from": "ibchannel", "text": "v2 text", "notifyUrl":
         rcv.url("/v2"), "callbackData": "cb-2", "destinations":
         [{"to": "41793026707", "messageId": "v2-dlr"}]}]})
    v3_send([{"to": "41793026708", "messageId": "remote-1"}],
            hooks={"delivery": {"url": "http://example.com/dlr"}})

    hits = wait_until(lambda: rcv.got("/dlr"), 3)
    eq(len(hits), 1, "three reports batched into one POST")
    if hits:
        eq(hits[0]["ctype"], "application/json", "DLR content type")
        doc = json.loads(hits[0]["body"])
        res = doc.get("results", [])
        eq([r["messageId"] for r in res], ["dlr-1", "dlr-2", "dlr-3"],
           "batched results, rejected one left out")
        r = res[0] if res else {}
        eq(sorted(r), sorted(["bulkId", "price", "status", "error",
                              "messageId", "to", "sender", "sentAt",
                              "doneAt", "messageCount", "callbackData"]),
           "v3 DLR fields")
        eq(r.get("bulkId"), "bulk-D", "DLR bulkId")
        eq(r.get("to"), "41793026701", "DLR to")
        eq(r.get("sender"), "ibchannel", "DLR sender")
        eq(r.get("callbackData"), "cb-1", "DLR callbackData")
        eq(r.get("messageCount"), 1, "DLR messageCount")
        eq(r.get("status"), {"groupId": 3, "groupName": "DELIVERED",
                             "id": 5, "name": "DELIVERED_TO_HANDSET",
                             "description": "Message delivered to handset"},
           "DLR delivered status")
        eq(r.get("error"), {"groupId": 0, "groupName": "OK", "id": 0,
                            "name": "NO_ERROR", "description": "No Error",
                            "permanent": False}, "DLR no error")
        check(TS_RE.match(r.get("sentAt", "")) and
              TS_RE.match(r.get("doneAt", "")),
              "DLR timestamps format: %r %r" % (r.get("sentAt"),
                                               r.get("doneAt")))

    flaky = wait_until(lambda: len(rcv.got("/flaky")) >= 3 and
                       rcv.got("/flaky"), 5) or []
    eq([h["answered"] for h in flaky], [500, 500, 200],
       "DLR retried after two 500s")
    if len(flaky) == 3:
        eq(len({h["body"] for h in flaky}), 1, "retries carry same body")
        g1 = flaky[1]["time"] - flaky[0]["time"]
        g2 = flaky[2]["time"] - flaky[1]["time"]
        # retry scale 0.005: 60 s -> 0.3 s, then 120 s -> 0.6 s
        check(0.25 <= g1 < 1.0 and 0.5 <= g2 < 1.6,
              "retry gaps follow 1min+1min*n^2: %.2f %.2f" % (g1, g2))
    m = wait_until(lambda: (sim_message("flaky-1") or {}).get("dlr_done")
                   and sim_message("flaky-1"), 2)
    eq(m and [a["status"] for a in m["dlr_attempts"]], [500, 500, 200],
       "attempts recorded")
    eq(m and m["status"], "DELIVERED", "flaky message final status")

    inter = wait_until(lambda: len(rcv.got("/inter")) >= 2 and
                       rcv.got("/inter"), 3) or []
    eq([json.loads(h["body"])["results"][0]["status"]["groupName"]
        for h in inter], ["PENDING", "DELIVERED"], "intermediate report")

    und = wait_until(lambda: rcv.got("/undeliv"), 3)
    if check(und, "undeliverable DLR arrives"):
        r = json.loads(und[0]["body"])["results"][0]
        eq((r["status"]["groupName"], r["status"]["id"],
            r["error"]["name"]), ("UNDELIVERABLE", 9,
                                  "EC_ABSENT_SUBSCRIBER"),
           "undeliverable outcome")

    v2 = wait_until(lambda: rcv.got("/v2"), 3)
    if check(v2, "v2 DLR arrives"):
        r = json.loads(v2[0]["body"])["results"][0]
        check("smsCount" in r and "from" in r and "sender" not in r and
              "messageCount" not in r, "v2 DLR shape: %r" % r)
        eq((r.get("messageId"), r.get("from"), r.get("callbackData")),
           ("v2-dlr", "ibchannel", "cb-2"), "v2 DLR values")

    # quiet-1 was sent before the v2 and remote-1 messages, whose reports
    # have been tried (the scheduler runs them in order): a report for it
    # would have come by now.
    wait_until(lambda: (sim_message("quiet-1") or {}).get("status") ==
               "DELIVERED" and (sim_message("remote-1") or {})
               .get("dlr_attempts"), 3)
    eq(rcv.got("/quiet"), [], "notify false suppresses DLR")
    m = sim_message("quiet-1")
    eq(m and m["status"], "DELIVERED", "quiet message still finalised")
    m = sim_message("remote-1")
    check(m and m["dlr_attempts"] and m["dlr_attempts"][0]["status"] is None
          and "loopback" in m["dlr_attempts"][0].get("error", ""),
          "non-loopback DLR URL refused: %r" % (m and m["dlr_attempts"]))

    # give up after max_tries
    sim("POST", "/_sim/config", {"max_tries": 3})
    v3_send([{"to": "41793026709", "messageId": "dead-1"}],
            hooks={"delivery": {"url": rcv.url("/dead")}})
    m = wait_until(lambda: (sim_message("dead-1") or {}).get("dlr_done")
                   and sim_message("dead-1"), 4)
    eq(m and len(m["dlr_attempts"]), 3, "gives up after max_tries")
    eq(m and m["dlr_delivered"], False, "not delivered after giving up")

    # logs: found / not found, both shapes
    s, _, d = jcall("GET", "/sms/3/logs?messageId=dlr-1")
    eq(s, 200, "v3 logs status")
    res = d.get("results", []) if d else []
    eq(len(res), 1, "v3 logs finds our messageId")
    if res:
        eq((res[0].get("messageId"), res[0].get("destination"),
            res[0].get("sender"), res[0].get("bulkId"),
            res[0]["status"]["groupName"], res[0].get("content")),
           ("dlr-1", "41793026701", "ibchannel", "bulk-D", "DELIVERED",
            {"text": "Hello"}), "v3 log fields")
    s, _, d = jcall("GET", "/sms/3/logs?messageId=never-sent")
    eq((s, d), (200, {"results": []}), "v3 logs not found")
    s, _, d = jcall("GET", "/sms/3/logs?messageId=dlr-1,dlr-2,nope")
    eq(len(d["results"]), 2, "v3 logs comma list")
    s, _, d = jcall("GET", "/sms/1/logs?messageId=dlr-2")
    res = d.get("results", []) if d else []
    eq(len(res), 1, "v1 logs finds messageId")
    if res:
        eq((res[0].get("to"), res[0].get("from"), res[0].get("smsCount")),
           ("41793026702", "ibchannel", 1), "v1 log fields")
    s, _, d = jcall("GET", "/sms/3/logs?destination=41793026703")
    eq([r["messageId"] for r in d["results"]], ["dlr-3"],
       "v3 logs by destination")
    s, _, d = jcall("GET", "/sms/3/logs?to=%2B41793026703&from=ibchannel")
    eq([r["messageId"] for r in d["results"]], ["dlr-3"],
       "v3 logs accepts to/from aliases")
    s, _, d = jcall("GET", "/sms/1/logs?bulkId=bulk-D&limit=2")
    eq(len(d["results"]), 2, "v1 logs bulkId + limit")
    s, _, d = jcall("GET", "/sms/3/logs?limit=5000")
    eq(s, 400, "limit above 1000 refused")
    sim("POST", "/_sim/config", {"logs_rate_limit": 2})
    codes = [jcall("GET", "/sms/3/logs?limit=1")[0] for _ in range(3)]
    eq(codes, [200, 200, 429], "logs throttling knob")
    s, _, d = jcall("GET", "/sms/1/logs?limit=1")
    eq((s, d["requestError"]["serviceException"]["messageId"]),
       (429, "TOO_MANY_REQUESTS"), "v1 logs throttled legacy shape")


def test_click_and_mo(rcv):
    s, _, d = v3_send([{"to": "4915112345678", "messageId": "clk-1"}],
                      text="see https://example.com/x",
                      hooks={"callbackData": "cb-c"},
                      options={"tracking": {
                          "shortenUrl": True, "trackClicks": True,
                          "trackingUrl": rcv.url("/click")}})
    m = sim_message("clk-1")
    eq(m and m["tracking_url"], rcv.url("/click"), "tracking URL recorded")
    s, d = sim("POST", "/_sim/click", {"messageId": "clk-1",
                                       "url": "https://example.com/x"})
    eq((s, d and d.get("status")), (200, 200), "click pushed")
    hits = rcv.got("/click")
    if check(len(hits) == 1, "one click POST"):
        c = json.loads(hits[0]["body"])
        eq((c.get("notificationType"), c.get("recipient"), c.get("url"),
            c.get("messageId"), c.get("callbackData")),
           ("CLICKED", "4915112345678", "https://example.com/x", "clk-1",
            "cb-c"), "click body")
        check(isinstance(c.get("sendDateTime"), int) and
              c["sendDateTime"] > 1e12, "click sendDateTime in ms")
        check("results" not in c, "click not wrapped in results")
    s, d = sim("POST", "/_sim/click", {"messageId": "nope", "url": "x"})
    eq(s, 404, "click unknown message")

    # MO, twice the same body
    s, d = sim("POST", "/_sim/mo", {"from": "+4915112345678",
                                    "to": "447700900001", "text": "Hello?",
                                    "url": rcv.url("/mo"), "copies": 2,
                                    "wait": True})
    eq((s, d and d.get("statuses")), (200, [200, 200]), "MO copies=2")
    hits = rcv.got("/mo")
    eq(len(hits), 2, "two MO POSTs")
    if len(hits) == 2:
        eq(hits[0]["body"], hits[1]["body"], "duplicate MO is identical")
        doc = json.loads(hits[0]["body"])
        r = doc["results"][0]
        eq((doc["messageCount"], doc["pendingMessageCount"]), (1, 0),
           "MO counts")
        eq(sorted(r), sorted(["messageId", "from", "to", "text",
                              "cleanText", "keyword", "receivedAt",
                              "smsCount", "price"]), "MO fields")
        eq((r["from"], r["to"], r["text"], r["messageId"]),
           ("4915112345678", "447700900001", "Hello?", d["messageId"]),
           "MO values")
        check(TS_RE.match(r["receivedAt"]), "MO receivedAt format")
        eq(r["price"], {"pricePerMessage": 0, "currency": "EUR"},
           "MO price")

    # MO retried on failure; mo_url from config
    rcv.plan("/mo-flaky", [503])
    sim("POST", "/_sim/config", {"mo_url": rcv.url("/mo-flaky")})
    s, d = sim("POST", "/_sim/mo", {"from": "4915112345678", "text": "again",
                                    "messageId": "mo-fixed", "wait": True})
    eq((s, d and d.get("statuses"), d and d.get("messageId")),
       (200, [503], "mo-fixed"), "MO first try failed")
    hits = wait_until(lambda: len(rcv.got("/mo-flaky")) >= 2 and
                      rcv.got("/mo-flaky"), 3) or []
    eq([h["answered"] for h in hits], [503, 200], "MO retried")
    def mo_attempts():
        _, d = sim("GET", "/_sim/mo")
        last = d["mo"][-1] if d and d.get("mo") else {}
        dl = last.get("deliveries", [{}])[0]
        return dl.get("done") and [a["status"] for a in dl["attempts"]]
    eq(wait_until(mo_attempts, 3), [503, 200], "MO attempts recorded")

    sim("POST", "/_sim/config", {"mo_url": None})
    s, d = sim("POST", "/_sim/mo", {"from": "4915112345678", "text": "x"})
    eq(s, 409, "MO without URL")

    # phone inbox sees both directions
    s, d = sim("GET", "/_sim/phone/inbox?number=4915112345678")
    dirs = [m["direction"] for m in d["messages"]]
    check("mt" in dirs and "mo" in dirs, "inbox has both directions: %r"
          % dirs)
    s, h, page = call("GET", "/", key=None)
    eq(s, 200, "phone page")
    check(h.get("Content-Type", "").startswith("text/html"),
          "phone page content type")
    txt = page.decode()
    check("innerHTML" not in txt and "textContent" in txt,
          "phone page escapes with textContent")
    check(not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", txt),
          "phone page has no external resources")


def raw_exchange(path, body, timeout):
    """Sends one request; returns ('ok', status, body) or ('exc', name)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        conn.request("POST" if body is not None else "GET", path,
                     body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": "App " + KEY,
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        return ("ok", r.status, r.read())
    except Exception as e:
        return ("exc", type(e).__name__)
    finally:
        conn.close()


def test_faults():
    send = {"messages": [{"sender": "ibchannel",
                          "destinations": [{"to": "41793026727"}],
                          "content": {"text": "fault"}}]}

    def fault(endpoint, kind, **kw):
        spec = {"endpoint": endpoint, "kind": kind}
        spec.update(kw)
        s, _ = sim("POST", "/_sim/fault", spec)
        eq(s, 200, "fault %s accepted" % kind)

    fault("/sms/3/messages", "429")
    r = raw_exchange("/sms/3/messages", send, 5)
    eq((r[1], json.loads(r[2]).get("errorCode")), (429, "E429"),
       "429 in v3 shape")
    fault("/account/1/balance", "429")
    r = raw_exchange("/account/1/balance", None, 5)
    eq((r[1], json.loads(r[2])["requestError"]["serviceException"]
        ["messageId"]), (429, "TOO_MANY_REQUESTS"), "429 in legacy shape")
    fault("/sms/3/messages", "500", count=2)
    codes = [raw_exchange("/sms/3/messages", send, 5)[1] for _ in range(3)]
    eq(codes, [500, 500, 200], "500 count=2 then normal")
    fault("/sms/2/text/advanced", "500")
    r = raw_exchange("/sms/2/text/advanced", {}, 5)
    eq((r[1], json.loads(r[2])["requestError"]["serviceException"]
        ["messageId"]), (500, "GENERAL_ERROR"), "500 legacy shape")
    fault("/sms/3/messages", "503")
    eq(raw_exchange("/sms/3/messages", send, 5)[1], 503, "503")

    fault("/sms/3/messages", "timeout", delay=0.4)
    t0 = time.time()
    r = raw_exchange("/sms/3/messages", send, 5)
    el = time.time() - t0
    check(r[0] == "exc" and el >= 0.35,
          "timeout closes without answer after delay: %r %.2f" % (r, el))
    fault("/sms/3/messages", "slow", delay=0.4)
    t0 = time.time()
    r = raw_exchange("/sms/3/messages", send, 5)
    el = time.time() - t0
    check(r[0] == "ok" and r[1] == 200 and el >= 0.35,
          "slow answers after delay: %r %.2f" % (r[:2], el))
    fault("/sms/3/messages", "reset")
    r = raw_exchange("/sms/3/messages", send, 5)
    eq(r, ("exc", "ConnectionResetError"), "reset")
    def malformed_200(r):
        if r[0] != "ok" or r[1] != 200:
            return False
        try:
            json.loads(r[2])
        except ValueError:
            return True
        return False

    fault("/sms/3/messages", "malformed")
    r = raw_exchange("/sms/3/messages", send, 5)
    check(malformed_200(r), "malformed: 200 with invalid JSON: %r" % (r,))

    count = len(sim("GET", "/_sim/messages")[1]["messages"])
    fault("/sms/3/messages", "empty")
    eq(raw_exchange("/sms/3/messages", send, 5)[1:],
       (200, b'{"messages":[]}'), "empty send answer")
    eq(len(sim("GET", "/_sim/messages")[1]["messages"]), count,
       "an empty send answer accepted nothing")
    fault("/sms/3/logs", "empty", count=2)
    v3_send([{"to": "41793026727", "messageId": "lagging-1"}])
    answers = [jcall("GET", "/sms/3/logs?messageId=lagging-1")[2]
               for _ in range(3)]
    eq([len(a["results"]) for a in answers], [0, 0, 1],
       "logs answer empty twice, then find the message")

    before = {m["messageId"] for m in sim("GET", "/_sim/messages")[1]
              ["messages"]}
    fault("/sms/3/messages", "accept_then_malformed")
    r = raw_exchange("/sms/3/messages", send, 5)
    check(malformed_200(r), "accept_then_malformed: 200 with invalid JSON:"
          " %r" % (r,))
    fault("/sms/3/messages", "accept_then_empty")
    eq(raw_exchange("/sms/3/messages", send, 5)[1:],
       (200, b'{"messages":[]}'), "accept_then_empty answer")
    after = [m for m in sim("GET", "/_sim/messages")[1]["messages"]
             if m["messageId"] not in before]
    eq(len(after), 2, "accepted despite the malformed and empty answers")

    before = {m["messageId"] for m in sim("GET", "/_sim/messages")[1]
              ["messages"]}
    fault("/sms/3/messages", "accept_then_reset")
    r = raw_exchange("/sms/3/messages", send, 5)
    eq(r, ("exc", "ConnectionResetError"), "accept_then_reset resets")
    fault("/sms/3/messages", "accept_then_hang", delay=3)
    t0 = time.time()
    r = raw_exchange("/sms/3/messages", send, 0.5)
    check(r[0] == "exc" and time.time() - t0 < 2,
          "accept_then_hang: client times out: %r" % (r,))
    after = [m for m in sim("GET", "/_sim/messages")[1]["messages"]
             if m["messageId"] not in before]
    eq(len(after), 2, "accepted despite reset/hang")
    check(all(m["status"] in ("PENDING", "DELIVERED") for m in after),
          "accepted messages proceed: %r" % [m["status"] for m in after])
    eq(raw_exchange("/sms/3/messages", send, 5)[1], 200,
       "faults consumed; normal again")
    s, d = sim("POST", "/_sim/fault", {"endpoint": "/x", "kind": "boom"})
    eq(s, 400, "unknown fault kind refused")

    _, d = sim("GET", "/_sim/requests?path=/sms/3/messages")
    reqs = d["requests"]
    check(reqs and all(r["headers"].get("Authorization") == "App " + KEY
                       for r in reqs), "requests keep Authorization")
    statuses = [r["status"] for r in reqs]
    check(429 in statuses and 503 in statuses and None in statuses,
          "requests record answered status: %r" % statuses)
    check(all(r["path"] == "/sms/3/messages" for r in reqs),
          "requests path filter")
    check(all(isinstance(r["body"], str) for r in reqs), "bodies as text")


def test_size_and_concurrency():
    big = "a" * (1536 * 1024)
    s, _, d = v3_send([{"to": "41793026727"}], text=big)
    eq(s, 200, "1.5 MiB body accepted")
    raw = b'{"messages":"' + b"a" * (2 * 1024 * 1024) + b'"}'
    s, _, _ = call("POST", "/sms/3/messages", raw=raw,
                   ctype="application/json")
    eq(s, 413, "over 2 MiB refused")

    results = []

    def worker(i):
        try:
            r = v3_send([{"to": "4179302%04d" % i,
                          "messageId": "par-%d" % i}])
            results.append((r[0], r[2]["messages"][0]["messageId"]))
        except Exception as e:
            results.append((None, "%s: %s" % (type(e).__name__, e)))
    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(results), sorted((200, "par-%d" % i) for i in range(40)),
       "40 concurrent sends")


def test_config_reset():
    s, d = sim("POST", "/_sim/config", {"balance": 1.5, "currency": "USD",
                                        "keys": ["new-key"]})
    eq(s, 200, "config accepted")
    eq(jcall("GET", "/account/1/balance", key="new-key")[2],
       {"balance": 1.5, "currency": "USD"}, "balance configurable")
    eq(jcall("GET", "/account/1/balance")[0], 401, "old key dropped")
    eq(sim("POST", "/_sim/config", {"nope": 1})[0], 400,
       "unknown config key refused")
    eq(sim("POST", "/_sim/config", {"dlr_outcome": "lost"})[0], 400,
       "bad outcome refused")
    eq(sim("POST", "/_sim/reset")[0], 200, "reset")
    eq(jcall("GET", "/account/1/balance")[2],
       {"balance": 47.79134, "currency": "EUR"}, "config back after reset")
    _, d = sim("GET", "/_sim/requests")
    eq([r["path"] for r in d["requests"]], ["/account/1/balance"],
       "requests cleared by reset")
    sim("POST", "/_sim/reset")
    eq(sim("GET", "/_sim/messages")[1], {"messages": []},
       "messages cleared")
    eq(sim("GET", "/_sim/requests")[1], {"requests": []},
       "requests cleared")


# ---------------------------------------------------------------------------

def start_sim(errfile):
    proc = subprocess.Popen(
        [sys.executable, SIM, "--port", "0", "--quiet", "--keys", "k1,k2",
         "--sms-only-keys", SMS_KEY, "--no-credit", "+" + NO_CREDIT,
         "--dlr-delay", "0.2", "--retry-scale", "0.005"],
        stdout=subprocess.PIPE, stderr=errfile)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    line = proc.stdout.readline().decode() if ready else ""
    m = re.match(r"^ibsim listening on http://127\.0\.0\.1:(\d+)$",
                 line.strip())
    if not m:
        proc.kill()
        raise SystemExit("simulator did not start: %r" % line)
    return proc, int(m.group(1))


def main():
    global PORT
    t0 = time.time()
    rcv = Receiver()
    err = tempfile.TemporaryFile()
    proc, PORT = start_sim(err)
    try:
        for fn, args in ((test_auth, ()), (test_routing, ()),
                         (test_validation, ()), (test_send_statuses, ()),
                         (test_dlr, (rcv,)), (test_click_and_mo, (rcv,)),
                         (test_faults, ()),
                         (test_size_and_concurrency, ()),
                         (test_config_reset, ())):
            try:
                sim("POST", "/_sim/reset")
                fn(*args)
            except Exception as e:
                check(False, "%s raised %s: %s" % (fn.__name__,
                                                   type(e).__name__, e))
        eq(proc.poll(), None, "simulator still running")
    finally:
        proc.terminate()
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
    eq(code, 0, "clean exit on SIGTERM")
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    check("Traceback" not in stderr, "no tracebacks from the simulator:\n" +
          stderr[-2000:])
    check(time.time() - t0 < 30, "suite ran in under 30 s (%.1f s)" %
          (time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
