#!/usr/bin/env python3
"""ibsim: a local stand-in for Infobip's SMS API, for ibchannel's tests and demo.

It speaks Infobip's wire formats (tests/data/ holds the specs and samples
it follows; tests/data/README.md says where they came from): send, balance,
logs, pull reports, pushed delivery reports, clicks and inbound messages;
validates send requests against Infobip's OpenAPI document, and offers a
control API under /_sim/ plus a small "customer's phone" page at /.

Python 3 standard library only; listens on 127.0.0.1 only.

Infobip endpoints: POST /sms/3/messages, POST /sms/2/text/advanced,
GET /account/1/balance, GET /sms/3/logs, GET /sms/1/logs,
GET /sms/3/reports, GET /sms/1/reports (pull; only unpushed reports).

Control API (no auth, JSON):
  GET  /_sim/requests[?path=P&since=SEQ]   what reached the Infobip endpoints
  POST /_sim/reset                         forget everything, restore config
  GET|POST /_sim/config                    see or change settings (CONFIG_KEYS)
  GET|POST /_sim/fault                     queue faults per endpoint path
  GET  /_sim/messages[?to=N&messageId=ID]  every message seen at submit
  GET|POST /_sim/mo                        inbound messages pushed / push one
  POST /_sim/click                         push a CLICKED report
  GET  /_sim/clicks                        clicks pushed so far
  POST /_sim/dlr                           push one extra report now
  GET  /_sim/phone/inbox?number=N          conversation of one phone number
  GET  / or /phone                         the customer's phone page
Webhooks go only to loopback URLs unless config remote_webhooks is true.
"""

import argparse
import base64
import binascii
import copy
import heapq
import itertools
import json
import math
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 2 * 1024 * 1024
MAX_REQUEST_LOG = 20000
JSON_TYPE = "application/json;charset=UTF-8"

# ---------------------------------------------------------------------------
# Infobip status and error objects (docs/INFOBIP.md, Status groups; tests/data/infobip/samples/)


def _status(group_id, group_name, sid, name, description, action=None):
    s = {"groupId": group_id, "groupName": group_name, "id": sid,
         "name": name, "description": description}
    if action is not None:
        s["action"] = action
    return s


def _error(group_id, group_name, eid, name, description, permanent):
    return {"groupId": group_id, "groupName": group_name, "id": eid,
            "name": name, "description": description,
            "permanent": permanent}


ST_PENDING_ACCEPTED = _status(1, "PENDING", 26, "PENDING_ACCEPTED",
                              "Message sent to next instance")
ST_PENDING_WAITING = _status(1, "PENDING", 3, "PENDING_WAITING_DELIVERY",
                             "Message sent, waiting for delivery report")
ST_DELIVERED = _status(3, "DELIVERED", 5, "DELIVERED_TO_HANDSET",
                       "Message delivered to handset")
ST_UNDELIVERABLE = _status(2, "UNDELIVERABLE", 9,
                           "UNDELIVERABLE_NOT_DELIVERED",
                           "Message sent not delivered")
ST_EXPIRED = _status(4, "EXPIRED", 15, "EXPIRED_EXPIRED", "Message expired")
ST_REJECTED_CREDITS = _status(5, "REJECTED", 12, "REJECTED_NOT_ENOUGH_CREDITS",
                              "Not enough credits")
# The description of id 14 is not confirmed by an Infobip source.
ST_REJECTED_DESTINATION = _status(5, "REJECTED", 14, "REJECTED_DESTINATION",
                                  "Invalid destination address.")
ST_MISSING_TO = _status(5, "REJECTED", 51, "MISSING_TO",
                        "Missing destination.", "Check to parameter.")

ERR_NO_ERROR = _error(0, "OK", 0, "NO_ERROR", "No Error", False)
ERR_ABSENT = _error(1, "HANDSET_ERRORS", 27, "EC_ABSENT_SUBSCRIBER",
                    "Absent Subscriber", False)

# Final outcome name -> (status, error, charged).  "none" never finalises.
OUTCOMES = {
    "delivered": (ST_DELIVERED, ERR_NO_ERROR, True),
    "undeliverable": (ST_UNDELIVERABLE, ERR_ABSENT, False),
    "expired": (ST_EXPIRED, ERR_ABSENT, False),
    "rejected": (ST_REJECTED_CREDITS, ERR_NO_ERROR, False),
    "none": None,
}
PRICE_PER_MESSAGE = 0.01

# ---------------------------------------------------------------------------
# Error bodies: legacy ApiException and new ApiError (docs/INFOBIP.md, Error bodies)

LEGACY_ERRORS = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("UNAUTHORIZED", "Invalid login details"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    413: ("BAD_REQUEST", "Request entity too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    429: ("TOO_MANY_REQUESTS", "Too many requests"),
    500: ("GENERAL_ERROR", "Something went wrong. Please contact support."),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
}

V3_ERRORS = {
    400: ("E400", "Request cannot be processed.",
          "Check the syntax, violations and adjust the request.", []),
    401: ("E401", "The request lacks valid authentication credentials for "
          "the requested resource.",
          "Check the resources and adjust authentication credentials.",
          [{"name": "API Authentication",
            "url": "https://www.infobip.com/docs/essentials/"
                   "api-authentication"}]),
    403: ("E403", "Insufficient permissions to access the requested "
          "resource.", "Repeat the request with new or different "
          "credentials.",
          [{"name": "API Scopes",
            "url": "https://www.infobip.com/docs/essentials/api-essentials/"
                   "api-authorization#api-scopes"}]),
    404: ("E404", "Resource not found.", "Check the request URL.", []),
    405: ("E405", "Method not allowed.", "Check the request method.", []),
    413: ("E413", "Request entity too large.",
          "Reduce the size of the request.", []),
    415: ("E415", "Unsupported media type.",
          "Send the request with Content-Type application/json.", []),
    429: ("E429", "Too many requests sent.",
          "Check request rate limit specified in the API endpoint "
          "documentation resource.",
          [{"name": "Throttling handling errors",
            "url": "https://www.infobip.com/docs/essentials/"
                   "integration-best-practices#throttling-handling-errors"}]),
    500: ("E500", "Something went wrong.", "Contact the support.", []),
    503: ("E503", "Service unavailable.", "Try again later.", []),
}


def legacy_error(code, text=None, validation=None):
    mid, default = LEGACY_ERRORS.get(code, LEGACY_ERRORS[500])
    exc = {"messageId": mid, "text": text or default}
    if validation:
        exc["validationErrors"] = validation
    return {"requestError": {"serviceException": exc}}


def v3_error(code, violations=None):
    ecode, desc, action, res = V3_ERRORS.get(code, V3_ERRORS[500])
    return {"errorCode": ecode, "description": desc, "action": action,
            "violations": list(violations or []),
            "resources": copy.deepcopy(res)}


def error_body(style, code, violations=None):
    """Error body in the endpoint's style; violations are (property, text)."""
    if style == "v3":
        return v3_error(code, [{"property": p, "violation": v}
                               for p, v in (violations or [])])
    validation = None
    if violations:
        validation = {}
        for p, v in violations:
            validation.setdefault(p, []).append(v)
    return legacy_error(code, validation=validation)


# ---------------------------------------------------------------------------
# Small helpers

def fmt_time(epoch):
    """Infobip's yyyy-MM-dd'T'HH:mm:ss.SSSZ, always UTC (+0000)."""
    if epoch is None:
        return None
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03d+0000" % (dt.microsecond // 1000)


def parse_time(text):
    """Epoch seconds from an ISO-like timestamp, or None."""
    if not isinstance(text, str) or not text:
        return None
    t = text.strip().replace(" ", "+")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if len(t) > 5 and t[-5] in "+-" and t[-4:].isdigit():
        t = t[:-2] + ":" + t[-2:]
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def digits_of(number):
    return "".join(c for c in str(number or "") if c.isdigit())


def valid_destination(to):
    """Optional '+', then 3 to 15 digits and nothing else."""
    s = to[1:] if to.startswith("+") else to
    return 3 <= len(s) <= 15 and s.isascii() and s.isdigit()


_id_counter = itertools.count(1)
_id_lock = threading.Lock()


def new_numeric_id():
    """A 20-digit id in the style of Infobip's numeric message/bulk ids."""
    with _id_lock:
        n = next(_id_counter)
    return "%013d%07d" % (int(time.time() * 1000), n % 10000000)


GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = set("^{}\\[~]|€\f")


def segment_count(text=None, hexdata=None):
    """Number of SMS parts: 160/153 GSM-7, 70/67 UCS-2, 140/134 bytes."""
    if hexdata is not None:
        n = len("".join(str(hexdata).split())) // 2
        return 1 if n <= 140 else math.ceil(n / 134)
    text = text or ""
    if all(c in GSM7_BASIC or c in GSM7_EXT for c in text):
        n = sum(2 if c in GSM7_EXT else 1 for c in text)
        return 1 if n <= 160 else math.ceil(n / 153)
    n = len(text.encode("utf-16-le")) // 2
    return 1 if n <= 70 else math.ceil(n / 67)


def as_dict(x):
    return x if isinstance(x, dict) else {}


def as_list(x):
    return x if isinstance(x, list) else []


def as_str(x):
    return x if isinstance(x, str) else None


# ---------------------------------------------------------------------------
# JSON-Schema subset used by Infobip's OpenAPI document

class Validator:
    """Checks a JSON value against an OpenAPI schema (the subset the spec
    uses: $ref, type, required, properties, additionalProperties, items,
    enum, min/maxLength, min/maxItems, minimum/maximum, allOf/anyOf/oneOf).
    Violations come back as (property path, message) pairs with Bean
    Validation style messages, like Infobip's."""

    TYPE_WORDS = {"object": "an object", "array": "an array",
                  "string": "a string", "integer": "an integer",
                  "number": "a number", "boolean": "a boolean"}

    def __init__(self, document):
        self.doc = document

    def resolve(self, schema):
        hops = 0
        while isinstance(schema, dict) and "$ref" in schema and hops < 64:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return {}
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    return {}
                node = node[part]
            schema = node
            hops += 1
        return schema if isinstance(schema, dict) else {}

    @staticmethod
    def _join(path, name):
        return "%s.%s" % (path, name) if path else name

    @staticmethod
    def _type_ok(value, t):
        if t == "object":
            return isinstance(value, dict)
        if t == "array":
            return isinstance(value, list)
        if t == "string":
            return isinstance(value, str)
        if t == "boolean":
            return isinstance(value, bool)
        if t == "integer":
            if isinstance(value, bool):
                return False
            return isinstance(value, int) or (isinstance(value, float) and
                                              value.is_integer())
        if t == "number":
            return isinstance(value, (int, float)) and \
                not isinstance(value, bool)
        if t == "null":
            return value is None
        return True

    @staticmethod
    def _size(value, s, lo_key, hi_key, path, out):
        lo, hi = s.get(lo_key), s.get(hi_key)
        n = len(value)
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            if lo is not None and hi is not None:
                out.append((path, "size must be between %d and %d" %
                            (lo, hi)))
            elif hi is not None:
                out.append((path, "size must be at most %d" % hi))
            else:
                out.append((path, "size must be at least %d" % lo))

    def validate(self, value, schema, path="", out=None):
        if out is None:
            out = []
        s = self.resolve(schema)
        if not s or value is None:
            return out
        types = s.get("type")
        if isinstance(types, str):
            types = [types]
        if types and not any(self._type_ok(value, t) for t in types):
            words = " or ".join(self.TYPE_WORDS.get(t, t) for t in types)
            out.append((path, "must be %s" % words))
            return out
        if "enum" in s and isinstance(s["enum"], list) and \
                value not in s["enum"]:
            out.append((path, "must be one of [%s]" %
                        ", ".join(str(e) for e in s["enum"])))
        if isinstance(value, str):
            self._size(value, s, "minLength", "maxLength", path, out)
        if isinstance(value, list):
            self._size(value, s, "minItems", "maxItems", path, out)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in s and value < s["minimum"]:
                out.append((path, "must be greater than or equal to %s" %
                            s["minimum"]))
            if "maximum" in s and value > s["maximum"]:
                out.append((path, "must be less than or equal to %s" %
                            s["maximum"]))
        if isinstance(value, dict):
            props = s.get("properties") or {}
            for name in s.get("required") or []:
                if value.get(name) is None:
                    out.append((self._join(path, name), "must not be null"))
            for name, sub in props.items():
                if name in value:
                    self.validate(value[name], sub,
                                  self._join(path, name), out)
            extra = s.get("additionalProperties")
            if extra is not None and extra is not True:
                for name in value:
                    if name in props:
                        continue
                    if extra is False:
                        out.append((self._join(path, name),
                                    "unknown property"))
                    else:
                        self.validate(value[name], extra,
                                      self._join(path, name), out)
        if isinstance(value, list) and "items" in s:
            for i, item in enumerate(value):
                self.validate(item, s["items"], "%s[%d]" % (path, i), out)
        for sub in s.get("allOf") or []:
            self.validate(value, sub, path, out)
        for key in ("anyOf", "oneOf"):
            branches = s.get(key)
            if not branches:
                continue
            results = [self.validate(value, b, path, []) for b in branches]
            good = sum(1 for r in results if not r)
            if good == 0:
                out.extend(min(results, key=len))
            elif key == "oneOf" and good > 1:
                out.append((path, "must match exactly one of the "
                            "allowed forms"))
        return out


# Used only when the OpenAPI document cannot be found.
BUILTIN_SCHEMAS = {
    "v3": {"type": "object", "required": ["messages"], "properties": {
        "messages": {"type": "array", "items": {
            "type": "object", "required": ["content", "destinations"],
            "properties": {
                "sender": {"type": "string"},
                "destinations": {"type": "array", "items": {
                    "type": "object", "required": ["to"], "properties": {
                        "to": {"type": "string", "maxLength": 64},
                        "messageId": {"type": "string", "maxLength": 200}}}},
                "content": {"type": "object", "oneOf": [
                    {"type": "object", "required": ["text"],
                     "properties": {"text": {"type": "string"}}},
                    {"type": "object", "required": ["hex"],
                     "properties": {"hex": {"type": "string"}}}]},
                "webhooks": {"type": "object", "properties": {
                    "callbackData": {"type": "string", "maxLength": 4000}}}}}},
        "options": {"type": "object"}}},
    "v2": {"type": "object", "required": ["messages"], "properties": {
        "bulkId": {"type": "string"},
        "messages": {"type": "array", "items": {
            "type": "object", "required": ["destinations"],
            "properties": {
                "from": {"type": "string"},
                "text": {"type": "string"},
                "destinations": {"type": "array", "items": {
                    "type": "object", "required": ["to"], "properties": {
                        "to": {"type": "string", "maxLength": 64},
                        "messageId": {"type": "string"}}}},
                "callbackData": {"type": "string", "maxLength": 4000}}}}}},
}

SPEC_OPERATIONS = {"v3": "/sms/3/messages", "v2": "/sms/2/text/advanced"}


def load_spec(path):
    """Returns (validator, {api: schema}) or (None, None)."""
    if not path or not os.path.isfile(path):
        return None, None
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
        schemas = {}
        for api, op in SPEC_OPERATIONS.items():
            body = doc["paths"][op]["post"]["requestBody"]
            schemas[api] = body["content"]["application/json"]["schema"]
        return Validator(doc), schemas
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.stderr.write("ibsim: cannot use spec %s: %s\n" % (path, e))
        return None, None


def extra_violations(api, body):
    """Rules Infobip applies that the spec does not mark: a sender is
    required, and lists of messages and destinations must not be empty."""
    out = []
    if not isinstance(body, dict):
        return out
    msgs = body.get("messages")
    if isinstance(msgs, list) and not msgs:
        out.append(("messages", "must not be empty"))
    sender_key = "sender" if api == "v3" else "from"
    for i, m in enumerate(as_list(msgs)):
        if not isinstance(m, dict):
            continue
        p = "messages[%d]" % i
        sender = m.get(sender_key)
        if sender is None:
            out.append(("%s.%s" % (p, sender_key), "must not be null"))
        elif isinstance(sender, str) and not sender.strip():
            out.append(("%s.%s" % (p, sender_key), "must not be blank"))
        dests = m.get("destinations")
        if isinstance(dests, list) and not dests:
            out.append(("%s.destinations" % p, "must not be empty"))
    return out


# ---------------------------------------------------------------------------
# Scheduler: timed jobs run either inline (cheap state changes, in time
# order) or in their own thread (anything that does network I/O).

class Scheduler:
    def __init__(self):
        self.cv = threading.Condition()
        self.heap = []
        self.seq = itertools.count()
        t = threading.Thread(target=self._run, name="ibsim-scheduler",
                             daemon=True)
        t.start()

    def at(self, when, fn, threaded=False):
        with self.cv:
            heapq.heappush(self.heap, (when, next(self.seq), fn, threaded))
            self.cv.notify()

    def _run(self):
        while True:
            with self.cv:
                while not self.heap or self.heap[0][0] > time.time():
                    wait = None if not self.heap else \
                        max(0.0, self.heap[0][0] - time.time())
                    self.cv.wait(wait)
                _, _, fn, threaded = heapq.heappop(self.heap)
            if threaded:
                threading.Thread(target=_safe_call, args=(fn,),
                                 daemon=True).start()
            else:
                _safe_call(fn)


def _safe_call(fn):
    try:
        fn()
    except Exception:
        traceback.print_exc()


_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}),
    type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
         {"redirect_request": lambda *a, **k: None}))


def is_loopback_url(url):
    """True if url is http(s) to a host that resolves only to loopback."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            return False
        infos = socket.getaddrinfo(host, parts.port or 80, 0,
                                   socket.SOCK_STREAM)
    except (ValueError, OSError):
        return False
    for info in infos:
        addr = info[4][0]
        if not (addr.startswith("127.") or addr == "::1"):
            return False
    return bool(infos)


def http_post_json(url, body_bytes, timeout, remote_ok=False):
    """POSTs JSON; returns (http status or None, error text or None).
    Only loopback URLs are contacted unless remote_ok is set."""
    if not remote_ok and not is_loopback_url(url):
        return None, "refused: not a loopback URL (set remote_webhooks)"
    req = urllib.request.Request(
        url, data=body_bytes, method="POST",
        headers={"Content-Type": "application/json",
                 "Accept": "*/*", "User-Agent": "ibsim/1"})
    try:
        with _opener.open(req, timeout=timeout) as r:
            r.read()
            return r.status, None
    except urllib.error.HTTPError as e:
        try:
            e.read()
        except Exception:
            pass
        return e.code, None
    except Exception as e:
        return None, "%s: %s" % (type(e).__name__, e)


# ---------------------------------------------------------------------------
# Simulator state

CONFIG_KEYS = {
    "keys": list, "sms_only_keys": list, "no_credit": list, "mo_url": str,
    "dlr_delay": float, "dlr_outcome": str, "outcomes": dict,
    "balance": float, "currency": str, "retry_scale": float,
    # extensions
    "number": str, "dlr_batch": int, "max_tries": int,
    "webhook_timeout": float, "logs_delay": float, "logs_rate_limit": int,
    "keywords": list, "remote_webhooks": bool,
}

# What each fault does to the next request on its endpoint:
#   429, 500, 503        that error, nothing done
#   timeout              no answer: waits delay, then closes; nothing done
#   slow                 waits delay, then handles it (a send is accepted
#                        only then, even if the client gave up meanwhile)
#   reset                TCP reset, nothing done
#   malformed            200 with a cut JSON body, nothing done
#   empty                200 with an empty answer ({"messages": []} for a
#                        send, {"results": []} for logs and reports),
#                        nothing done: a lagging log, a lost send
#   accept_then_hang     handled (a send accepted), answer after delay
#   accept_then_reset    handled, then TCP reset instead of the answer
#   accept_then_malformed  handled, then the malformed answer
#   accept_then_empty    handled, then the empty answer
FAULT_KINDS = ("429", "500", "503", "timeout", "slow", "reset", "malformed",
               "empty", "accept_then_hang", "accept_then_reset",
               "accept_then_malformed", "accept_then_empty")
FAULT_DEFAULT_DELAY = {"timeout": 30.0, "slow": 2.0,
                       "accept_then_hang": 30.0}


class Sim:
    def __init__(self, startup, validator, schemas, quiet):
        self.lock = threading.RLock()
        self.startup = copy.deepcopy(startup)
        self.validator = validator
        self.schemas = schemas or {}
        self.quiet = quiet
        self.sched = Scheduler()
        self.req_seq = itertools.count(1)
        self._clear()

    def _clear(self):
        self.cfg = copy.deepcopy(self.startup)
        self.requests = []
        self.messages = []
        self.by_id = {}
        self.faults = {}
        self.mos = []
        self.clicks = []
        self.report_queue = {}
        self.logs_hits = []
        self.gen = getattr(self, "gen", 0) + 1
        old = getattr(self, "wake", None)
        self.wake = threading.Event()
        if old is not None:
            old.set()

    def reset(self):
        with self.lock:
            self._clear()

    def sleep(self, seconds):
        """Sleeps, but wakes early on /_sim/reset."""
        with self.lock:
            ev = self.wake
        ev.wait(max(0.0, float(seconds)))

    def log(self, text):
        if not self.quiet:
            sys.stderr.write("ibsim: %s\n" % text)

    # -- configuration ----------------------------------------------------

    def set_config(self, changes):
        if not isinstance(changes, dict):
            raise ValueError("config must be a JSON object")
        clean = {}
        for k, v in changes.items():
            if k not in CONFIG_KEYS:
                raise ValueError("unknown config key %r" % k)
            want = CONFIG_KEYS[k]
            if k == "mo_url" and v is None:
                clean[k] = None
                continue
            if want is float:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ValueError("%s must be a number" % k)
                if v < 0:
                    raise ValueError("%s must not be negative" % k)
                v = float(v)
            elif want is int:
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise ValueError("%s must be a non-negative integer" % k)
            elif not isinstance(v, want):
                raise ValueError("%s must be a %s" % (k, want.__name__))
            if k in ("keys", "sms_only_keys", "keywords"):
                v = [str(x) for x in v]
            if k == "no_credit":
                v = [digits_of(x) for x in v]
            if k == "dlr_outcome" and v not in OUTCOMES:
                raise ValueError("dlr_outcome must be one of %s" %
                                 ", ".join(OUTCOMES))
            if k == "outcomes":
                fixed = {}
                for num, oc in v.items():
                    if oc not in OUTCOMES:
                        raise ValueError("outcome %r unknown" % oc)
                    fixed[digits_of(num)] = oc
                v = fixed
            if k in ("dlr_batch", "max_tries") and v < 1:
                raise ValueError("%s must be at least 1" % k)
            clean[k] = v
        with self.lock:
            self.cfg.update(clean)
            return copy.deepcopy(self.cfg)

    def config(self):
        with self.lock:
            return copy.deepcopy(self.cfg)

    # -- request log --------------------------------------------------------

    def record_request(self, method, path, query, headers, body):
        rec = {"seq": next(self.req_seq), "time": time.time(),
               "method": method, "path": path, "query": query,
               "headers": headers,
               "body": body.decode("utf-8", "replace"), "status": None}
        with self.lock:
            self.requests.append(rec)
            if len(self.requests) > MAX_REQUEST_LOG:
                del self.requests[:len(self.requests) - MAX_REQUEST_LOG]
        return rec

    def set_status(self, rec, status, fault=None):
        if rec is None:
            return
        with self.lock:
            rec["status"] = status
            if fault:
                rec["fault"] = fault

    # -- faults -----------------------------------------------------------

    def add_fault(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        endpoint = spec.get("endpoint")
        kind = str(spec.get("kind", ""))
        if not isinstance(endpoint, str) or not endpoint.startswith("/"):
            raise ValueError("endpoint must be a path such as "
                             "/sms/3/messages")
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" %
                             ", ".join(FAULT_KINDS))
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or \
                count < 1:
            raise ValueError("count must be a positive integer")
        delay = spec.get("delay", FAULT_DEFAULT_DELAY.get(kind, 0.0))
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) \
                or delay < 0:
            raise ValueError("delay must be a non-negative number")
        with self.lock:
            q = self.faults.setdefault(endpoint, [])
            q.extend({"kind": kind, "delay": float(delay)}
                     for _ in range(count))
            return {e: list(v) for e, v in self.faults.items()}

    def pop_fault(self, path):
        with self.lock:
            q = self.faults.get(path)
            if not q:
                return None
            f = q.pop(0)
            if not q:
                del self.faults[path]
            return f

    # -- auth -----------------------------------------------------------

    def auth(self, header, scope):
        """Returns 0 if allowed, else 401 or 403."""
        key = None
        scheme, _, cred = (header or "").strip().partition(" ")
        scheme = scheme.lower()
        cred = cred.strip()
        if scheme in ("app", "bearer", "ibsso"):
            key = cred
        elif scheme == "basic":
            try:
                raw = base64.b64decode(cred, validate=True).decode("utf-8")
                _, sep, key = raw.partition(":")
                if not sep:
                    key = None
            except (binascii.Error, ValueError):
                key = None
        with self.lock:
            keys = set(self.cfg["keys"])
            sms_only = set(self.cfg["sms_only_keys"])
        if not key or (key not in keys and key not in sms_only):
            return 401
        # A key with only the sending scopes may not read the balance
        # (account-management:manage) or the logs (sms:logs:read).
        if scope in ("account", "logs") and key in sms_only:
            return 403
        return 0

    # -- sending --------------------------------------------------------

    def validate_send(self, api, body):
        if self.validator is not None and api in self.schemas:
            v = self.validator.validate(body, self.schemas[api])
        else:
            v = Validator({}).validate(body, BUILTIN_SCHEMAS[api])
        seen = set(v)
        for item in extra_violations(api, body):
            if item not in seen:
                seen.add(item)
                v.append(item)
        return v

    def submit(self, api, body):
        """Accepts a validated send request; returns the 200 body."""
        now = time.time()
        cfg = self.config()
        no_credit = set(cfg["no_credit"])
        outcomes = cfg["outcomes"]
        opts = as_dict(body.get("options"))
        if api == "v3":
            bulk_id = as_str(as_dict(opts.get("schedule")).get("bulkId"))
            tracking = as_dict(opts.get("tracking"))
            send_at_all = parse_time(
                as_dict(opts.get("schedule")).get("sendAt"))
            with_count = True
        else:
            bulk_id = as_str(body.get("bulkId"))
            if bulk_id is not None:
                bulk_id = bulk_id[:100]
            tracking = as_dict(body.get("urlOptions"))
            send_at_all = None
            with_count = body.get("includeSmsCountInResponse") is True
        if not bulk_id:
            bulk_id = new_numeric_id()
        tracking_url = as_str(tracking.get("trackingUrl"))
        custom_domain = as_str(tracking.get("customDomain"))
        track_clicks = tracking.get("trackClicks") is not False
        out = []
        created = []
        for m in as_list(body.get("messages")):
            m = as_dict(m)
            if api == "v3":
                sender = as_str(m.get("sender"))
                content = as_dict(m.get("content"))
                text = as_str(content.get("text"))
                hexdata = as_str(content.get("hex"))
                hooks = as_dict(m.get("webhooks"))
                delivery = as_dict(hooks.get("delivery"))
                url = as_str(delivery.get("url"))
                intermediate = delivery.get("intermediateReport") is True
                notify = delivery.get("notify") is not False
                callback = as_str(hooks.get("callbackData"))
                mopts = as_dict(m.get("options"))
                platform = as_dict(mopts.get("platform")) or None
                campaign = as_str(mopts.get("campaignReferenceId"))
                send_at = send_at_all
            else:
                sender = as_str(m.get("from"))
                text = as_str(m.get("text"))
                hexdata = None
                url = as_str(m.get("notifyUrl"))
                intermediate = m.get("intermediateReport") is True
                notify = True
                callback = as_str(m.get("callbackData"))
                platform = {k: m[k] for k in ("entityId", "applicationId")
                            if isinstance(m.get(k), str)} or None
                campaign = as_str(m.get("campaignReferenceId"))
                send_at = parse_time(m.get("sendAt"))
            count = segment_count(text, hexdata)
            for d in as_list(m.get("destinations")):
                d = as_dict(d)
                to = as_str(d.get("to")) or ""
                mid = as_str(d.get("messageId"))
                if api == "v2" and mid is not None:
                    mid = mid[:200]
                if not mid:
                    mid = new_numeric_id()
                digits = digits_of(to)
                shown = to
                if not to:
                    status = ST_MISSING_TO
                elif not valid_destination(to):
                    status = ST_REJECTED_DESTINATION
                elif digits in no_credit:
                    status = ST_REJECTED_CREDITS
                    shown = digits
                else:
                    status = ST_PENDING_ACCEPTED
                    shown = digits
                rec = {
                    "messageId": mid, "bulkId": bulk_id, "to": shown,
                    "to_given": to, "digits": digits, "sender": sender,
                    "text": text, "hex": hexdata, "api": api,
                    "status": dict(status), "error": dict(ERR_NO_ERROR),
                    "delivery_url": url, "tracking_url": tracking_url,
                    "custom_domain": custom_domain,
                    "track_clicks": track_clicks,
                    "callback_data": callback, "intermediate": intermediate,
                    "notify": notify, "platform": platform,
                    "campaign_reference_id": campaign,
                    "message_count": count, "sent_at": now,
                    "send_at": send_at, "done_at": None,
                    "price": 0.0, "currency": cfg["currency"],
                    "outcome": None, "dlr_attempts": [], "dlr_done": False,
                    "dlr_delivered": False, "pulled": False,
                }
                if status is ST_PENDING_ACCEPTED:
                    rec["outcome"] = outcomes.get(digits, cfg["dlr_outcome"])
                else:
                    rec["done_at"] = now
                created.append(rec)
                if api == "v3":
                    item = {"messageId": mid, "status": dict(status)}
                    if status is not ST_MISSING_TO:
                        item["destination"] = shown
                    item["details"] = {"messageCount": count}
                else:
                    item = {"messageId": mid, "status": dict(status)}
                    if status is not ST_MISSING_TO:
                        item["to"] = shown
                    if with_count:
                        item["smsCount"] = count
                out.append(item)
        with self.lock:
            gen = self.gen
            for rec in created:
                self.messages.append(rec)
                self.by_id[rec["messageId"]] = rec
        self._schedule_lifecycle(created, cfg, gen, now)
        return {"bulkId": bulk_id, "messages": out}

    def _schedule_lifecycle(self, created, cfg, gen, now):
        delay = cfg["dlr_delay"]
        for rec in created:
            if rec["status"]["groupId"] != 1 or rec["outcome"] == "none":
                continue
            start = now
            if rec["send_at"] and rec["send_at"] > now:
                start = rec["send_at"]
            due = start + delay
            if rec["intermediate"] and rec["delivery_url"] and rec["notify"]:
                self.sched.at(start + delay / 2.0,
                              self._make_pending_job(rec, gen))
            self.sched.at(due, self._make_final_job(rec, gen))

    def _make_pending_job(self, rec, gen):
        def job():
            with self.lock:
                if gen != self.gen:
                    return
                item = self.report_item(rec, ST_PENDING_WAITING,
                                        ERR_NO_ERROR, time.time())
                self._enqueue_report(rec, item, "pending")
        return job

    def _make_final_job(self, rec, gen):
        def job():
            with self.lock:
                if gen != self.gen:
                    return
                status, error, charged = OUTCOMES[rec["outcome"]]
                rec["status"] = dict(status)
                rec["error"] = dict(error)
                rec["done_at"] = time.time()
                if charged:
                    rec["price"] = PRICE_PER_MESSAGE
                if rec["delivery_url"] and rec["notify"]:
                    item = self.report_item(rec, status, error,
                                            rec["done_at"])
                    self._enqueue_report(rec, item, "final")
        return job

    def report_item(self, rec, status, error, done_at):
        """One DLR result in the v3 or v2 shape of the message's API."""
        price = {"pricePerMessage": rec["price"]
                 if status.get("groupId") == 3 else 0,
                 "currency": rec["currency"]}
        if rec["api"] == "v3":
            item = {"bulkId": rec["bulkId"], "price": price,
                    "status": dict(status), "error": dict(error),
                    "messageId": rec["messageId"], "to": rec["to"],
                    "sender": rec["sender"],
                    "sentAt": fmt_time(rec["sent_at"]),
                    "doneAt": fmt_time(done_at),
                    "messageCount": rec["message_count"]}
            if rec["callback_data"] is not None:
                item["callbackData"] = rec["callback_data"]
            if rec["platform"]:
                item["platform"] = dict(rec["platform"])
            if rec["campaign_reference_id"] is not None:
                item["campaignReferenceId"] = rec["campaign_reference_id"]
            return item
        item = {"bulkId": rec["bulkId"], "messageId": rec["messageId"],
                "to": rec["to"], "from": rec["sender"],
                "sentAt": fmt_time(rec["sent_at"]),
                "doneAt": fmt_time(done_at),
                "smsCount": rec["message_count"]}
        if rec["callback_data"] is not None:
            item["callbackData"] = rec["callback_data"]
        item["price"] = price
        item["status"] = dict(status)
        item["error"] = dict(error)
        for k, v in (rec["platform"] or {}).items():
            item[k] = v
        if rec["campaign_reference_id"] is not None:
            item["campaignReferenceId"] = rec["campaign_reference_id"]
        return item

    def _enqueue_report(self, rec, item, kind):
        """Queues a report for its URL; a flush job batches what is due."""
        key = (rec["delivery_url"], rec["api"])
        self.report_queue.setdefault(key, []).append((rec, item, kind))
        gen = self.gen
        self.sched.at(time.time(), lambda: self._flush(key, gen))

    def _flush(self, key, gen):
        with self.lock:
            if gen != self.gen:
                return
            items = self.report_queue.pop(key, [])
            batch = self.cfg["dlr_batch"]
        for i in range(0, len(items), batch):
            chunk = items[i:i + batch]
            body = json.dumps({"results": [it for _, it, _ in chunk]},
                              ensure_ascii=False).encode("utf-8")

            def on_attempt(status, err, final, chunk=chunk):
                self._dlr_attempt(chunk, status, err, final)
            self.push(key[0], body, gen, on_attempt)

    def _dlr_attempt(self, chunk, status, err, final):
        ok = status is not None and 200 <= status < 300
        t = time.time()
        with self.lock:
            for rec, _, kind in chunk:
                a = {"time": t, "at": fmt_time(t), "status": status,
                     "kind": kind, "batch_size": len(chunk)}
                if err:
                    a["error"] = err
                rec["dlr_attempts"].append(a)
                if kind == "final" and (ok or final):
                    rec["dlr_done"] = True
                    rec["dlr_delivered"] = ok

    # -- pushing with Infobip's retry cycle -------------------------------

    def backoff(self, attempts_done):
        """Wait before the next try: 1 min + 1 min * n^2, scaled."""
        n = attempts_done - 1
        with self.lock:
            scale = self.cfg["retry_scale"]
        return (60.0 + 60.0 * n * n) * scale

    def push(self, url, body, gen, on_attempt, first_now=False):
        """POSTs body to url, retrying on non-2xx or failure up to
        max_tries.  on_attempt(status, error, final) sees every try.
        With first_now the first try runs in the caller's thread and its
        status is returned."""
        state = {"tries": 0}

        def attempt():
            with self.lock:
                if gen != self.gen:
                    return None
                timeout = self.cfg["webhook_timeout"]
                max_tries = self.cfg["max_tries"]
                remote = self.cfg["remote_webhooks"]
            status, err = http_post_json(url, body, timeout, remote)
            state["tries"] += 1
            ok = status is not None and 200 <= status < 300
            final = ok or state["tries"] >= max_tries
            self.log("push %s -> %s%s (try %d)" %
                     (url, status, " " + err if err else "",
                      state["tries"]))
            on_attempt(status, err, final)
            if not final:
                self.sched.at(time.time() + self.backoff(state["tries"]),
                              attempt, threaded=True)
            return status

        if first_now:
            return attempt()
        self.sched.at(time.time(), attempt, threaded=True)
        return None

    # -- inbound (MO) ---------------------------------------------------

    def inject_mo(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("mo must be a JSON object")
        cfg = self.config()
        url = spec.get("url") or cfg.get("mo_url")
        if not isinstance(url, str) or not url:
            raise LookupError("no MO URL: set mo_url with --mo-url or "
                              "/_sim/config, or pass url")
        copies = spec.get("copies", 1)
        if isinstance(copies, bool) or not isinstance(copies, int) or \
                not 1 <= copies <= 100:
            raise ValueError("copies must be an integer 1..100")
        items = spec.get("results")
        if items is None:
            items = [spec]
        if not isinstance(items, list) or not items:
            raise ValueError("results must be a non-empty list")
        now = time.time()
        results = []
        for it in items:
            if not isinstance(it, dict):
                raise ValueError("each MO must be an object")
            text = it.get("text", "")
            if not isinstance(text, str):
                raise ValueError("text must be a string")
            frm = digits_of(it.get("from", ""))
            if not frm:
                raise ValueError("from must hold a phone number")
            to = digits_of(it.get("to") or cfg["number"])
            mid = it.get("messageId")
            if not isinstance(mid, str) or not mid:
                mid = new_numeric_id()
            keyword, clean = "", text
            first, _, rest = text.strip().partition(" ")
            if first and first.upper() in [k.upper() for k in
                                           cfg["keywords"]]:
                keyword, clean = first.upper(), rest.strip()
            r = {"messageId": mid, "from": frm, "to": to, "text": text,
                 "cleanText": clean, "keyword": keyword,
                 "receivedAt": fmt_time(now),
                 "smsCount": segment_count(text),
                 "price": {"pricePerMessage": 0,
                           "currency": cfg["currency"]}}
            for k in ("callbackData", "applicationId", "entityId",
                      "campaignReferenceId"):
                if isinstance(it.get(k), str):
                    r[k] = it[k]
            results.append(r)
        body = json.dumps({"results": results,
                           "messageCount": len(results),
                           "pendingMessageCount": 0},
                          ensure_ascii=False).encode("utf-8")
        rec = {"messageId": results[0]["messageId"],
               "messageIds": [r["messageId"] for r in results],
               "time": now, "from": results[0]["from"],
               "to": results[0]["to"], "text": results[0]["text"],
               "url": url, "copies": copies,
               "body": body.decode("utf-8"),
               "deliveries": [{"copy": i + 1, "attempts": [],
                               "done": False, "delivered": False}
                              for i in range(copies)]}
        with self.lock:
            self.mos.append(rec)
            gen = self.gen

        def run():
            statuses = []
            for i in range(copies):
                dl = rec["deliveries"][i]

                def on_attempt(status, err, final, dl=dl):
                    t = time.time()
                    a = {"time": t, "at": fmt_time(t), "status": status}
                    if err:
                        a["error"] = err
                    with self.lock:
                        dl["attempts"].append(a)
                        if final:
                            dl["done"] = True
                            dl["delivered"] = status is not None and \
                                200 <= status < 300
                statuses.append(self.push(url, body, gen, on_attempt,
                                          first_now=True))
            return statuses

        if spec.get("wait"):
            statuses = run()
        else:
            threading.Thread(target=_safe_call, args=(run,),
                             daemon=True).start()
            statuses = []
        return {"messageId": rec["messageId"],
                "messageIds": rec["messageIds"], "statuses": statuses}

    # -- clicks and manual reports --------------------------------------

    def click(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("click must be a JSON object")
        mid = spec.get("messageId")
        link = spec.get("url")
        if not isinstance(mid, str) or not isinstance(link, str) or \
                not link:
            raise ValueError("messageId and url are required strings")
        with self.lock:
            rec = self.by_id.get(mid)
            if rec is None:
                raise KeyError("unknown messageId %r" % mid)
            url = spec.get("tracking_url") or rec["tracking_url"]
            if not url:
                raise LookupError("message %s has no tracking URL" % mid)
            body = {"notificationType": "CLICKED", "recipient": rec["to"],
                    "url": link, "sendDateTime": int(time.time() * 1000),
                    "messageId": rec["messageId"], "bulkId": rec["bulkId"]}
            if rec["callback_data"] is not None:
                body["callbackData"] = rec["callback_data"]
            body["recipientInfo"] = {"deviceType": "Phone",
                                     "os": "Android 14",
                                     "deviceName": "Pixel 8"}
            body["geoLocationInfo"] = {"countryName": "Germany",
                                       "city": "Berlin"}
            for k in ("applicationId", "entityId"):
                if rec["platform"] and k in rec["platform"]:
                    body[k] = rec["platform"][k]
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        cfg = self.config()
        status, err = http_post_json(url, raw, cfg["webhook_timeout"],
                                     cfg["remote_webhooks"])
        entry = {"time": time.time(), "messageId": mid, "url": url,
                 "body": body, "status": status}
        if err:
            entry["error"] = err
        with self.lock:
            self.clicks.append(entry)
        out = {"messageId": mid, "status": status}
        if err:
            out["error"] = err
        return out

    def manual_dlr(self, spec):
        """Pushes one report for a known message now (duplicate, late or
        out-of-order reports for tests)."""
        if not isinstance(spec, dict):
            raise ValueError("dlr must be a JSON object")
        mid = spec.get("messageId")
        outcome = spec.get("outcome", "delivered")
        with self.lock:
            rec = self.by_id.get(mid) if isinstance(mid, str) else None
            if rec is None:
                raise KeyError("unknown messageId %r" % (mid,))
            url = spec.get("url") or rec["delivery_url"]
            if not url:
                raise LookupError("message %s has no delivery URL" % mid)
            if outcome == "pending":
                st, er = ST_PENDING_WAITING, ERR_NO_ERROR
            elif outcome in OUTCOMES and OUTCOMES[outcome]:
                st, er, _ = OUTCOMES[outcome]
            else:
                raise ValueError("outcome must be pending, delivered, "
                                 "undeliverable, expired or rejected")
            item = self.report_item(rec, st, er, time.time())
            gen = self.gen
        raw = json.dumps({"results": [item]},
                         ensure_ascii=False).encode("utf-8")
        cfg = self.config()
        status, err = http_post_json(url, raw, cfg["webhook_timeout"],
                                     cfg["remote_webhooks"])
        out = {"messageId": mid, "status": status}
        if err:
            out["error"] = err
        with self.lock:
            if gen == self.gen:
                a = {"time": time.time(), "at": fmt_time(time.time()),
                     "status": status, "kind": "manual", "batch_size": 1}
                if err:
                    a["error"] = err
                rec["dlr_attempts"].append(a)
        return out

    # -- views ----------------------------------------------------------

    @staticmethod
    def public_message(rec):
        return {
            "messageId": rec["messageId"], "bulkId": rec["bulkId"],
            "to": rec["to"], "sender": rec["sender"], "text": rec["text"],
            "status": rec["status"]["groupName"],
            "status_name": rec["status"]["name"],
            "status_id": rec["status"]["id"],
            "error_name": rec["error"]["name"], "api": rec["api"],
            "delivery_url": rec["delivery_url"],
            "tracking_url": rec["tracking_url"],
            "custom_domain": rec["custom_domain"],
            "callback_data": rec["callback_data"],
            "message_count": rec["message_count"],
            "outcome": rec["outcome"],
            "sent_at": fmt_time(rec["sent_at"]),
            "done_at": fmt_time(rec["done_at"]),
            "dlr_attempts": [dict(a) for a in rec["dlr_attempts"]],
            "dlr_done": rec["dlr_done"],
            "dlr_delivered": rec["dlr_delivered"],
        }

    def log_item(self, rec, api):
        done = rec["done_at"] if rec["status"]["groupId"] != 1 else None
        price = {"pricePerMessage": rec["price"], "currency": rec["currency"]}
        if api == "v3":
            item = {"sender": rec["sender"], "destination": rec["to"],
                    "bulkId": rec["bulkId"], "messageId": rec["messageId"],
                    "sentAt": fmt_time(rec["sent_at"])}
            if done:
                item["doneAt"] = fmt_time(done)
            item.update({"messageCount": rec["message_count"],
                         "price": price, "status": dict(rec["status"]),
                         "error": dict(rec["error"])})
            if rec["platform"]:
                item["platform"] = dict(rec["platform"])
            if rec["hex"] is not None:
                item["content"] = {"hex": rec["hex"]}
            else:
                item["content"] = {"text": rec["text"] or ""}
            if rec["campaign_reference_id"] is not None:
                item["campaignReferenceId"] = rec["campaign_reference_id"]
            return item
        item = {"bulkId": rec["bulkId"], "messageId": rec["messageId"],
                "to": rec["to"], "from": rec["sender"],
                "text": rec["text"] or "",
                "sentAt": fmt_time(rec["sent_at"])}
        if done:
            item["doneAt"] = fmt_time(done)
        item.update({"smsCount": rec["message_count"], "price": price,
                     "status": dict(rec["status"]),
                     "error": dict(rec["error"])})
        for k, v in (rec["platform"] or {}).items():
            item[k] = v
        if rec["campaign_reference_id"] is not None:
            item["campaignReferenceId"] = rec["campaign_reference_id"]
        return item

    def throttled(self):
        with self.lock:
            limit = self.cfg["logs_rate_limit"]
            if not limit:
                return False
            now = time.time()
            self.logs_hits = [t for t in self.logs_hits if t > now - 60]
            if len(self.logs_hits) >= limit:
                return True
            self.logs_hits.append(now)
            return False

    def query_logs(self, api, q):
        """Returns (status, body-or-violations)."""
        def multi(name):
            vals = []
            for v in q.get(name, []):
                vals.extend(x for x in v.split(",") if x)
            return set(vals)

        def one(name):
            v = q.get(name)
            return v[-1] if v else None

        limit = one("limit")
        if limit is None or limit == "":
            limit = 50
        else:
            try:
                limit = int(limit)
            except ValueError:
                return 400, [("limit", "must be an integer")]
            if limit < 1:
                return 400, [("limit", "must be greater than or equal "
                              "to 1")]
            if limit > 1000:
                return 400, [("limit", "must be less than or equal to "
                              "1000")]
        ids = multi("messageId")
        bulks = multi("bulkId")
        campaigns = multi("campaignReferenceId")
        # v3 names them sender/destination, v1 from/to; accept either.
        sender = one("sender") or one("from")
        dest = one("destination") or one("to")
        gstatus = one("generalStatus")
        since = parse_time(one("sentSince"))
        until = parse_time(one("sentUntil"))
        app = one("applicationId")
        ent = one("entityId")
        with self.lock:
            horizon = time.time() - self.cfg["logs_delay"]
            found = []
            for rec in reversed(self.messages):
                if rec["sent_at"] > horizon:
                    continue
                if ids and rec["messageId"] not in ids:
                    continue
                if bulks and rec["bulkId"] not in bulks:
                    continue
                if campaigns and rec["campaign_reference_id"] not in \
                        campaigns:
                    continue
                if sender and rec["sender"] != sender:
                    continue
                if dest and digits_of(dest) != rec["digits"]:
                    continue
                if gstatus and rec["status"]["groupName"] != gstatus:
                    continue
                if since is not None and rec["sent_at"] < since:
                    continue
                if until is not None and rec["sent_at"] > until:
                    continue
                plat = rec["platform"] or {}
                if app and plat.get("applicationId") != app:
                    continue
                if ent and plat.get("entityId") != ent:
                    continue
                found.append(self.log_item(rec, api))
                if len(found) >= limit:
                    break
        return 200, {"results": found}

    def pull_reports(self, api, q):
        """GET /sms/3/reports and /sms/1/reports: final reports of messages
        that were not pushed, each returned once."""
        def multi(name):
            vals = []
            for v in q.get(name, []):
                vals.extend(x for x in v.split(",") if x)
            return set(vals)
        try:
            limit = int((q.get("limit") or ["50"])[-1] or 50)
        except ValueError:
            return 400, [("limit", "must be an integer")]
        if limit < 1 or limit > 1000:
            return 400, [("limit", "must be between 1 and 1000")]
        ids = multi("messageId")
        bulks = multi("bulkId")
        out = []
        with self.lock:
            for rec in self.messages:
                if rec["pulled"] or rec["done_at"] is None or \
                        rec["status"]["groupId"] == 1:
                    continue
                if rec["delivery_url"] and rec["notify"]:
                    continue
                if ids and rec["messageId"] not in ids:
                    continue
                if bulks and rec["bulkId"] not in bulks:
                    continue
                view = dict(rec)
                view["api"] = api
                out.append(self.report_item(view, rec["status"],
                                            rec["error"], rec["done_at"]))
                rec["pulled"] = True
                if len(out) >= limit:
                    break
        return 200, {"results": out}

    def inbox(self, number):
        d = digits_of(number)
        out = []
        with self.lock:
            for rec in self.messages:
                if rec["digits"] == d and d:
                    out.append({"direction": "mt", "time": rec["sent_at"],
                                "at": fmt_time(rec["sent_at"]),
                                "from": rec["sender"], "to": rec["to"],
                                "text": rec["text"] or "",
                                "messageId": rec["messageId"],
                                "status": rec["status"]["groupName"]})
            for mo in self.mos:
                if mo["from"] == d and d:
                    delivered = any(x["delivered"]
                                    for x in mo["deliveries"])
                    out.append({"direction": "mo", "time": mo["time"],
                                "at": fmt_time(mo["time"]),
                                "from": mo["from"], "to": mo["to"],
                                "text": mo["text"],
                                "messageId": mo["messageId"],
                                "status": "FORWARDED" if delivered
                                else "SENDING"})
        out.sort(key=lambda x: x["time"])
        return {"number": d, "messages": out}


# ---------------------------------------------------------------------------
# HTTP front end

# path -> (method, error style, handler name, auth scope)
ROUTES = {
    "/sms/3/messages": ("POST", "v3", "send_v3", "sms"),
    "/sms/2/text/advanced": ("POST", "legacy", "send_v2", "sms"),
    "/account/1/balance": ("GET", "legacy", "balance", "account"),
    "/sms/3/logs": ("GET", "v3", "logs_v3", "logs"),
    "/sms/1/logs": ("GET", "legacy", "logs_v1", "logs"),
    "/sms/3/reports": ("GET", "v3", "reports_v3", "sms"),
    "/sms/1/reports": ("GET", "legacy", "reports_v1", "sms"),
}


class BodyError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SMS API"
    sys_version = ""
    timeout = 300

    sim = None  # set by main

    def version_string(self):
        return self.server_version

    # -- plumbing -------------------------------------------------------

    def log_message(self, fmt, *args):
        if not self.sim.quiet:
            sys.stderr.write("ibsim: %s %s\n" % (self.address_string(),
                                                 fmt % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise BodyError(400)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise BodyError(400)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(8192)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise BodyError(413)
                data = self.rfile.read(size)
                if len(data) != size:
                    raise BodyError(400)
                chunks.append(data)
                self.rfile.readline(8)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BodyError(400)
        if n < 0:
            raise BodyError(400)
        if n > MAX_BODY:
            left = n if n <= 4 * MAX_BODY else 0
            while left > 0:
                got = self.rfile.read(min(left, 65536))
                if not got:
                    break
                left -= len(got)
            raise BodyError(413)
        data = self.rfile.read(n)
        if len(data) != n:
            raise BodyError(400)
        return data

    def send_bytes(self, code, data, ctype=JSON_TYPE, extra=None):
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", new_numeric_id())
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except (ConnectionError, OSError):
            self.close_connection = True

    def send_json(self, code, obj, extra=None):
        data = json.dumps(obj, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        self.send_bytes(code, data, JSON_TYPE, extra)

    def reset_connection(self):
        """Drops the connection with a TCP RST and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def drop_connection(self):
        """Closes the connection (FIN) without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch -------------------------------------------------------

    def dispatch(self, method):
        try:
            self._dispatch(method)
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_json(500, legacy_error(500))
            except Exception:
                pass

    def _dispatch(self, method):
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path or "/"
        query = parts.query
        try:
            body = self.read_body()
        except BodyError as e:
            self.close_connection = True
            style = ROUTES.get(path, (None, "legacy"))[1]
            self.send_json(e.code, error_body(style, e.code))
            return
        if path == "/" or path == "/phone" or path.startswith("/_sim/") \
                or path == "/favicon.ico":
            self.control(method, path, query, body)
            return
        headers = {}
        for k, v in self.headers.items():
            headers[k] = headers[k] + ", " + v if k in headers else v
        rec = self.sim.record_request(method, path, query, headers, body)
        route_path = path[:-5] if path.endswith(".json") else path
        route = ROUTES.get(route_path)
        style = route[1] if route else "legacy"
        fault = self.sim.pop_fault(path) or (
            self.sim.pop_fault(route_path) if route_path != path else None)
        kind = fault["kind"] if fault else None
        if kind in ("429", "500", "503"):
            code = int(kind)
            self.sim.set_status(rec, code, kind)
            self.send_json(code, error_body(style, code))
            return
        if kind == "timeout":
            self.sim.set_status(rec, None, kind)
            self.sim.sleep(fault["delay"])
            self.drop_connection()
            return
        if kind == "reset":
            self.sim.set_status(rec, None, kind)
            self.reset_connection()
            return
        if kind in ("malformed", "empty"):
            self.sim.set_status(rec, 200, kind)
            self.send_fault_answer(route_path, kind)
            return
        if kind == "slow":
            self.sim.sleep(fault["delay"])

        code, obj, extra = self.infobip(method, route, route_path, query,
                                        body)
        if kind == "accept_then_hang":
            self.sim.set_status(rec, None, kind)
            self.sim.sleep(fault["delay"])
        elif kind == "accept_then_reset":
            self.sim.set_status(rec, None, kind)
            self.reset_connection()
            return
        elif kind in ("accept_then_malformed", "accept_then_empty"):
            self.sim.set_status(rec, 200, kind)
            self.send_fault_answer(route_path, kind[len("accept_then_"):])
            return
        # The status is recorded before the answer goes out, so that a
        # client that asks /_sim/requests right after its answer sees it.
        self.sim.set_status(rec, code, kind)
        self.send_json(code, obj, extra)

    def send_fault_answer(self, path, kind):
        """A 200 Infobip should not give: cut JSON, or an empty answer."""
        if kind == "malformed":
            self.send_bytes(200, b'{"bulkId":"2034072219640523072",'
                            b'"messages":[{"messageId":')
            return
        name = ROUTES.get(path, (None, None, ""))[2]
        if name.startswith("send_"):
            self.send_json(200, {"messages": []})
        elif name.startswith(("logs_", "reports_")):
            self.send_json(200, {"results": []})
        else:
            self.send_json(200, {})

    def infobip(self, method, route, path, query, body):
        """Handles an Infobip endpoint; returns (status, body, headers)."""
        if route is None:
            return 404, legacy_error(404), None
        want, style, name, scope = route
        if method != want:
            return 405, error_body(style, 405), {"Allow": want}
        denied = self.sim.auth(self.headers.get("Authorization"), scope)
        if denied:
            return denied, error_body(style, denied), None
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        if name in ("send_v3", "send_v2"):
            api = "v3" if name == "send_v3" else "v2"
            ctype = (self.headers.get("Content-Type") or "")
            if ctype.split(";")[0].strip().lower() != "application/json":
                return 415, error_body(style, 415), None
            try:
                doc = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                return 400, error_body(style, 400), None
            if doc is None:
                violations = [("", "must be an object")]
            else:
                violations = self.sim.validate_send(api, doc)
            if violations:
                return 400, error_body(style, 400, violations), None
            return 200, self.sim.submit(api, doc), None
        if name == "balance":
            cfg = self.sim.config()
            return 200, {"balance": cfg["balance"],
                         "currency": cfg["currency"]}, None
        if name in ("logs_v3", "logs_v1"):
            if self.sim.throttled():
                return 429, error_body(style, 429), None
            code, res = self.sim.query_logs(
                "v3" if name == "logs_v3" else "v2", q)
            if code != 200:
                return code, error_body(style, code, res), None
            return 200, res, None
        if name in ("reports_v3", "reports_v1"):
            code, res = self.sim.pull_reports(
                "v3" if name == "reports_v3" else "v2", q)
            if code != 200:
                return code, error_body(style, code, res), None
            return 200, res, None
        return 404, legacy_error(404), None

    # -- control API and phone page -------------------------------------

    def control(self, method, path, query, body):
        sim = self.sim
        q = urllib.parse.parse_qs(query, keep_blank_values=True)

        def arg(name):
            v = q.get(name)
            return v[-1] if v else None

        def doc():
            if not body.strip():
                return {}
            return json.loads(body.decode("utf-8"))

        route = (method, path)
        try:
            if path in ("/", "/phone", "/_sim/phone") and method == "GET":
                self.send_bytes(200, PHONE_HTML.encode("utf-8"),
                                "text/html; charset=utf-8",
                                {"Cache-Control": "no-store"})
                return
            if path == "/favicon.ico":
                self.send_bytes(204, b"", "image/x-icon")
                return
            if route == ("GET", "/_sim/requests"):
                want = arg("path")
                since = int(arg("since") or 0)
                with sim.lock:
                    out = [dict(r, headers=dict(r["headers"]))
                           for r in sim.requests
                           if (not want or r["path"] == want)
                           and r["seq"] > since]
                self.send_json(200, {"requests": out})
                return
            if route == ("POST", "/_sim/reset"):
                sim.reset()
                self.send_json(200, {"ok": True})
                return
            if path == "/_sim/config" and method in ("GET", "POST"):
                cfg = sim.set_config(doc()) if method == "POST" \
                    else sim.config()
                self.send_json(200, cfg)
                return
            if route == ("POST", "/_sim/fault"):
                self.send_json(200, {"faults": sim.add_fault(doc())})
                return
            if route == ("GET", "/_sim/fault"):
                with sim.lock:
                    f = {e: list(v) for e, v in sim.faults.items()}
                self.send_json(200, {"faults": f})
                return
            if route == ("GET", "/_sim/messages"):
                to = arg("to")
                mid = arg("messageId")
                with sim.lock:
                    out = [sim.public_message(r) for r in sim.messages
                           if (not to or r["digits"] == digits_of(to))
                           and (not mid or r["messageId"] == mid)]
                self.send_json(200, {"messages": out})
                return
            if route == ("POST", "/_sim/mo"):
                self.send_json(200, sim.inject_mo(doc()))
                return
            if route == ("GET", "/_sim/mo"):
                with sim.lock:
                    out = copy.deepcopy(sim.mos)
                self.send_json(200, {"mo": out})
                return
            if route == ("POST", "/_sim/click"):
                self.send_json(200, sim.click(doc()))
                return
            if route == ("GET", "/_sim/clicks"):
                with sim.lock:
                    out = copy.deepcopy(sim.clicks)
                self.send_json(200, {"clicks": out})
                return
            if route == ("POST", "/_sim/dlr"):
                self.send_json(200, sim.manual_dlr(doc()))
                return
            if route == ("GET", "/_sim/phone/inbox"):
                self.send_json(200, sim.inbox(arg("number") or ""))
                return
            if route == ("GET", "/_sim/health"):
                self.send_json(200, {"ok": True})
                return
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            self.send_json(400, {"error": str(e)})
            return
        except KeyError as e:
            self.send_json(404, {"error": str(e.args[0]) if e.args
                                 else "not found"})
            return
        except LookupError as e:
            self.send_json(409, {"error": str(e)})
            return
        self.send_json(404, {"error": "no such control endpoint: %s %s" %
                             (method, path)})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------
# The customer's phone page (no external resources; data shown via
# textContent only)

PHONE_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ibsim phone</title>
<style>
body { font-family: sans-serif; background: #e8e8e8; margin: 0; }
.phone { max-width: 380px; margin: 1.5em auto; background: #fff;
  border-radius: 18px; padding: 1em; box-shadow: 0 2px 10px #0003; }
h1 { font-size: 1.1em; margin: 0 0 .6em 0; }
label { display: block; font-size: .85em; color: #444; margin: .3em 0; }
label input { width: 100%; box-sizing: border-box; padding: .35em; }
#conv { height: 55vh; overflow-y: auto; background: #f4f4f4;
  border-radius: 8px; padding: .5em; margin: .6em 0; }
.msg { max-width: 80%; margin: .3em 0; padding: .45em .7em;
  border-radius: 12px; white-space: pre-wrap; word-wrap: break-word; }
.mo { background: #0b84ff; color: #fff; margin-left: auto; }
.mt { background: #ddd; color: #000; margin-right: auto; }
.meta { font-size: .7em; opacity: .75; margin-top: .2em; }
form { display: flex; gap: .4em; }
#text { flex: 1; padding: .45em; }
#note { font-size: .8em; color: #666; min-height: 1.2em; margin-top: .4em; }
</style>
</head>
<body>
<div class="phone">
<h1>Customer's phone (ibsim)</h1>
<label>This phone's number <input id="me" value="4915112345678"></label>
<label>Channel's number <input id="them" value=""></label>
<div id="conv"></div>
<form id="f">
<input id="text" autocomplete="off" placeholder="Text message">
<button type="submit">Send</button>
</form>
<div id="note"></div>
</div>
<script>
"use strict";
var me = document.getElementById("me");
var them = document.getElementById("them");
var conv = document.getElementById("conv");
var text = document.getElementById("text");
var note = document.getElementById("note");
var last = "";

function say(s) { note.textContent = s; }

function render(list) {
  var key = JSON.stringify(list);
  if (key === last) return;
  last = key;
  var atBottom = conv.scrollTop + conv.clientHeight >= conv.scrollHeight - 5;
  while (conv.firstChild) conv.removeChild(conv.firstChild);
  list.forEach(function (m) {
    var d = document.createElement("div");
    d.className = "msg " + (m.direction === "mo" ? "mo" : "mt");
    var t = document.createElement("div");
    t.textContent = m.text;
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = (m.at || "").replace("T", " ").slice(0, 19) +
      " \u00b7 " + (m.direction === "mo" ? "sent" : "from " + (m.from || "?")) +
      " \u00b7 " + (m.status || "");
    d.appendChild(t);
    d.appendChild(meta);
    conv.appendChild(d);
  });
  if (atBottom) conv.scrollTop = conv.scrollHeight;
}

function poll() {
  var n = me.value.replace(/[^0-9]/g, "");
  if (!n) { setTimeout(poll, 500); return; }
  fetch("/_sim/phone/inbox?number=" + encodeURIComponent(n))
    .then(function (r) { return r.json(); })
    .then(function (j) { render(j.messages || []); })
    .catch(function () { say("simulator not reachable"); })
    .then(function () { setTimeout(poll, 500); });
}

document.getElementById("f").addEventListener("submit", function (ev) {
  ev.preventDefault();
  var body = text.value;
  if (!body) return;
  say("sending\u2026");
  fetch("/_sim/mo", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({from: me.value, to: them.value, text: body, wait: true})})
    .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
    .then(function (x) {
      if (x[0] !== 200) { say("not sent: " + (x[1].error || x[0])); return; }
      text.value = "";
      var s = (x[1].statuses || [])[0];
      say(s ? "channel answered " + s : "channel not reachable (will retry)");
    })
    .catch(function () { say("simulator not reachable"); });
});

fetch("/_sim/config").then(function (r) { return r.json(); })
  .then(function (c) { if (!them.value) them.value = c.number || ""; })
  .catch(function () {});
poll();
</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------

def default_spec_path():
    env = os.environ.get("IBSIM_SPEC")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    return os.path.join(root, "tests", "data", "infobip", "openapi-sms.json")


def split_list(s):
    return [x.strip() for x in (s or "").split(",") if x.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Infobip SMS API simulator")
    ap.add_argument("--port", type=int, default=9090,
                    help="port on 127.0.0.1 (0 picks a free one)")
    ap.add_argument("--keys", default="sim-key")
    ap.add_argument("--sms-only-keys", default="")
    ap.add_argument("--no-credit", default="")
    ap.add_argument("--mo-url", default=None)
    ap.add_argument("--dlr-delay", type=float, default=0.5)
    ap.add_argument("--retry-scale", type=float, default=0.01)
    ap.add_argument("--spec", default=None)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)

    spec_path = a.spec or default_spec_path()
    validator, schemas = load_spec(spec_path)
    if validator is None:
        sys.stderr.write("ibsim: warning: OpenAPI spec not found at %s; "
                         "using the built-in check of required fields\n" %
                         spec_path)
    startup = {
        "keys": split_list(a.keys), "sms_only_keys": split_list(
            a.sms_only_keys),
        "no_credit": [digits_of(x) for x in split_list(a.no_credit)],
        "mo_url": a.mo_url, "dlr_delay": max(0.0, a.dlr_delay),
        "dlr_outcome": "delivered", "outcomes": {},
        "balance": 47.79134, "currency": "EUR",
        "retry_scale": max(0.0, a.retry_scale),
        "number": "447700900000", "dlr_batch": 100, "max_tries": 8,
        "webhook_timeout": 10.0, "logs_delay": 0.0, "logs_rate_limit": 0,
        "keywords": [], "remote_webhooks": False,
    }
    sim = Sim(startup, validator, schemas, a.quiet)
    Handler.sim = sim
    try:
        server = Server(("127.0.0.1", a.port), Handler)
    except OSError as e:
        sys.stderr.write("ibsim: cannot listen on 127.0.0.1:%d: %s\n" %
                         (a.port, e))
        return 1

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    sys.stdout.write("ibsim listening on http://127.0.0.1:%d\n" % port)
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
