"""/admin/metrics beyond the store's counts, under a real lighttpd: webhook
requests by program, route and HTTP status (refusals included) counted
exactly and kept across a restart of the program; the sender's batch and
agent latencies as cumulative histograms whose counts match what happened;
and the whole answer parsed by a strict reader of Prometheus' text format."""

import base64
import math
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, free_port, wait_for  # noqa: E402
import kept_counts  # noqa: E402

env = Env("metrics", procs=1, sync="normal", admin_users={"watcher": "pw"})
env.cli("user", "set", "watcher", "viewer")
AUTH = {"Authorization": "Basic " + base64.b64encode(b"watcher:pw").decode()}
cid = env.add_connection()
UNKNOWN = "0" * 32


# --- a strict reader of the text format (version 0.0.4) ---------------------------
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"


class ParseError(Exception):
    pass


def parse_labels(s):
    """'a="x",b="y\\"z"' -> {"a": "x", "b": 'y"z'}; only \\\\, \\" and \\n are escapes."""
    out, i = {}, 0
    while i < len(s):
        m = re.compile(LABEL).match(s, i)
        if not m or s[m.end():m.end() + 2] != '="':
            raise ParseError("bad label at %r" % s[i:])
        name, i, val = m.group(0), m.end() + 2, []
        while True:
            if i >= len(s):
                raise ParseError("unterminated label value")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ParseError("bad escape \\%s" % nxt)
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ParseError("newline in a label value")
            else:
                val.append(c)
                i += 1
        if name in out:
            raise ParseError("label %s twice" % name)
        out[name] = "".join(val)
        if i < len(s):
            if s[i] != ",":
                raise ParseError("expected , at %r" % s[i:])
            i += 1
    return out


def parse_value(v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v):
        raise ParseError("bad value %r" % v)
    return float(v)


def parse(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}};
    raises ParseError on anything the format does not allow: a sample
    before its TYPE, a family split in two, TYPE or HELP twice, a sample
    name that is not its family's, a duplicate series, a histogram whose
    buckets are not cumulative or lack +Inf, a negative counter."""
    if not text.endswith("\n"):
        raise ParseError("the text does not end with a newline")
    fams, order, current = {}, [], None
    for line in text.split("\n")[:-1]:
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not re.fullmatch(NAME, name):
                    raise ParseError("bad family name %r" % name)
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if name != current:
                    if name in order:
                        raise ParseError("family %s split in two" % name)
                    order.append(name)
                    current = name
                key = parts[1].lower()
                if f[key] is not None:
                    raise ParseError("%s twice for %s" % (parts[1], name))
                if f["samples"]:
                    raise ParseError("%s after samples of %s" % (parts[1], name))
                rest = parts[3] if len(parts) > 3 else ""
                if key == "type" and rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ParseError("bad type %r" % rest)
                if key == "help" and re.search(r"\\[^\\n]", rest):
                    raise ParseError("bad escape in HELP %r" % rest)
                f[key] = rest
            continue
        if line == "":
            raise ParseError("empty line")
        m = re.fullmatch(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?" % NAME, line)
        if not m:
            raise ParseError("bad sample line %r" % line)
        name, labels, value = m.group(1), parse_labels(m.group(2) or ""), parse_value(m.group(3))
        fam = None
        if current is not None:
            t = fams[current]["type"]
            suffixes = {"histogram": ("_bucket", "_sum", "_count"),
                        "summary": ("", "_sum", "_count")}.get(t, ("",))
            if any(name == current + s for s in suffixes):
                fam = current
        if fam is None or fams[fam]["type"] is None:
            raise ParseError("sample %s outside its family or before its TYPE" % name)
        fams[fam]["samples"].append((name, labels, value))
    for name, f in fams.items():
        seen = set()
        for s, labels, v in f["samples"]:
            key = (s, tuple(sorted(labels.items())))
            if key in seen:
                raise ParseError("series %r twice" % (key,))
            seen.add(key)
            if f["type"] == "counter" and (v < 0 or math.isnan(v)):
                raise ParseError("negative counter %s" % s)
        if f["type"] == "histogram":
            check_histogram(name, f["samples"])
    return fams


def check_histogram(name, samples):
    series = {}
    for s, labels, v in samples:
        rest = {k: x for k, x in labels.items() if k != "le"}
        key = tuple(sorted(rest.items()))
        h = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if s == name + "_bucket":
            if "le" not in labels:
                raise ParseError("%s bucket without le" % name)
            h["buckets"].append((parse_value(labels["le"]), v))
        elif "le" in labels:
            raise ParseError("le on %s" % s)
        elif s == name + "_sum":
            h["sum"] = v
        else:
            h["count"] = v
    for key, h in series.items():
        les = [le for le, _ in h["buckets"]]
        counts = [c for _, c in h["buckets"]]
        if not les or les[-1] != math.inf:
            raise ParseError("%s%r: no +Inf bucket" % (name, key))
        if les != sorted(set(les)):
            raise ParseError("%s%r: bounds not increasing" % (name, key))
        if any(b < a for a, b in zip(counts, counts[1:])):
            raise ParseError("%s%r: buckets not cumulative" % (name, key))
        if h["sum"] is None or h["count"] is None or h["count"] != counts[-1]:
            raise ParseError("%s%r: _count missing or not the +Inf bucket" % (name, key))


def metrics():
    r = env.request("GET", "/admin/metrics", headers=AUTH)
    if r.status != 200:
        raise ParseError("/admin/metrics answered %d" % r.status)
    return parse(r.text)


def requests_by(fams):
    """{(program, route, status): count} from ibchannel_webhook_requests_total."""
    out = {}
    for _, labels, v in fams.get("ibchannel_webhook_requests_total", {}).get("samples", []):
        out[(labels["program"], labels["route"], labels["status"])] = v
    return out


def hist(fams, name, **want):
    """{"buckets": {le: cumulative}, "sum", "count"} of the series whose labels are want."""
    out = {"buckets": {}, "sum": None, "count": 0}
    for s, labels, v in fams.get(name, {}).get("samples", []):
        if {k: x for k, x in labels.items() if k != "le"} != want:
            continue
        if s.endswith("_bucket"):
            out["buckets"][parse_value(labels["le"])] = v
        elif s.endswith("_sum"):
            out["sum"] = v
        else:
            out["count"] = v
    return out


# --- the reader refuses what it must refuse -------------------------------------------
GOOD = ('# HELP x_total A counter.\n# TYPE x_total counter\nx_total{a="q\\"\\\\\\n"} 3\n'
        '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n')
env.check(parse(GOOD)["x_total"]["samples"][0][1] == {"a": 'q"\\\n'}, "reader: escapes in label values")
for what, text in [
        ("sample before TYPE", "x 1\n"),
        ("bad escape", '# TYPE x gauge\nx{a="\\t"} 1\n'),
        ("buckets not cumulative", '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n'
                                   'h_sum 1\nh_count 1\n'),
        ("no +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'),
        ("count not +Inf", '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'),
        ("family split", "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# HELP x again\n"),
        ("duplicate series", "# TYPE x gauge\nx 1\nx 2\n"),
        ("no final newline", "# TYPE x gauge\nx 1"),
        ("unquoted label", "# TYPE x gauge\nx{a=1} 1\n")]:
    try:
        parse(text)
        env.check(False, "reader refuses: %s" % what)
    except ParseError:
        env.check(True, "reader refuses: %s" % what)


# --- webhook requests of known outcomes ------------------------------------------------
def mo(mid, frm, text="hello"):
    return {"results": [{"messageId": mid, "from": frm, "to": "447491163443", "text": text}],
            "messageCount": 1, "pendingMessageCount": 0}


SMS = "/channel/%s/webhook/sms" % cid
REPORTS = "/channel/%s/webhook/reports" % cid
CLICKS = "/channel/%s/webhook/clicks" % cid
DOCS = "/channel/%s/docs" % cid
before = requests_by(metrics())
env.check(before == {}, "no request counted before any came", repr(before))

aid, _ = env.add_rules_agent(cid)
plan = [  # (program, route, status, method, path, body, content type)
    ("inbound", "sms", 200, "POST", SMS, mo("m-1", "4915112300001"), "application/json"),
    ("inbound", "sms", 200, "POST", SMS, mo("m-2", "4915112300002"), "application/json"),
    ("inbound", "sms", 200, "POST", SMS, mo("m-3", "4915112300003"), "application/json"),
    ("inbound", "sms", 200, "POST", SMS, mo("m-1", "4915112300001"), "application/json"),  # duplicate
    ("inbound", "sms", 400, "POST", SMS, b'{"results": [', "application/json"),
    ("inbound", "sms", 400, "POST", SMS, b'{"messageCount": 1}', "application/json"),
    ("inbound", "sms", 404, "POST", "/channel/%s/webhook/sms" % UNKNOWN, mo("m-9", "4915112300009"),
     "application/json"),
    ("inbound", "sms", 405, "GET", SMS, None, None),
    ("inbound", "sms", 405, "PUT", SMS, b"{}", "application/json"),
    ("inbound", "sms", 413, "POST", SMS, b'{"results":["' + b"x" * (1024 * 1024) + b'"]}',
     "application/json"),
    ("inbound", "sms", 415, "POST", SMS, b'{"results": []}', "text/plain"),
    ("inbound", "docs", 200, "GET", DOCS, None, None),
    ("inbound", "docs", 404, "GET", "/channel/%s/docs" % UNKNOWN, None, None),
    ("inbound", "health", 200, "GET", "/health", None, None),
    ("inbound", "health", 405, "POST", "/health", b"{}", "application/json"),
    ("inbound", "other", 404, "POST", "/channel/%s/webhook/nothing" % cid, b"{}", "application/json"),
    ("reports", "reports", 200, "POST", REPORTS, {"results": []}, "application/json"),
    ("reports", "reports", 400, "POST", REPORTS, b'{"results": "x"}', "application/json"),
    ("reports", "reports", 404, "POST", "/channel/%s/webhook/reports" % UNKNOWN, {"results": []},
     "application/json"),
    ("reports", "clicks", 405, "GET", CLICKS, None, None),
    ("reports", "clicks", 400, "POST", CLICKS, b"", "application/json"),
]
want = {}
for prog, route, status, method, path, body, ctype in plan:
    r = env.request(method, path, body, ctype)
    env.check(r.status == status, "%s %s -> %d" % (method, path.replace(cid, "{id}"), status),
              "got %d %s" % (r.status, r.text[:120]))
    key = (prog, route, str(status))
    want[key] = want.get(key, 0) + 1


def counted():
    try:
        return requests_by(metrics())
    except ParseError:
        return None


got = wait_for(lambda: (lambda c: c if c == want else None)(counted()), timeout=15)
env.check(got == want, "metrics count exactly those requests by program, route and status",
          "want %r\ngot %r" % (sorted(want.items()), sorted((counted() or {}).items())))
env.check(env.sql1("SELECT SUM(count) FROM request_counts") == len(plan),
          "request_counts holds them in the store", repr(env.sql("SELECT * FROM request_counts")))


# --- a restart of the program loses no count --------------------------------------------
def program_pids(name):
    lighttpd = env.procs[-1].pid
    out = subprocess.run(["pgrep", "-P", str(lighttpd), "-f", os.path.join(BUILD, name)],
                         capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


# Requests answered just before the end are written as the program stops.
for _ in range(3):
    r = env.get("/health")
    env.check(r.status == 200, "/health 200 before the restart")
    want[("inbound", "health", "200")] += 1
pids = program_pids("inbound.fcgi")
env.check(len(pids) == 1, "one inbound program", repr(pids))
for p in pids:
    os.kill(p, signal.SIGTERM)
env.check(wait_for(lambda: not any(os.path.exists("/proc/%d" % p) and
                                   "zombie" not in open("/proc/%d/status" % p).read()
                                   for p in pids), timeout=15),
          "the program exits on SIGTERM")
after = counted() or {}
env.check(after == want, "after the program stopped: every count kept, none lower",
          "want %r\ngot %r" % (sorted(want.items()), sorted(after.items())))
# lighttpd starts it again; answers from lighttpd itself while it does are not the program's.
oks = 0
end = time.time() + 15
while oks == 0 and time.time() < end:
    r = env.get("/health")
    if r.status == 200:
        oks += 1
    else:
        time.sleep(0.1)
env.check(oks == 1, "a new inbound program answers")
new_pids = program_pids("inbound.fcgi")
env.check(new_pids and set(new_pids).isdisjoint(pids), "... as a new process", repr(new_pids))
want[("inbound", "health", "200")] += oks
got = wait_for(lambda: (lambda c: c if c == want else None)(counted()), timeout=15)
env.check(got == want, "the new process adds to the counts of the old one",
          "want %r\ngot %r" % (sorted(want.items()), sorted((counted() or {}).items())))

# --- the sender's latencies ------------------------------------------------------------
fams = metrics()
env.check(fams.get("ibchannel_send_batch_seconds", {}).get("type") == "histogram"
          and fams.get("ibchannel_agent_seconds", {}).get("type") == "histogram",
          "both latency families are histograms")
env.check(hist(fams, "ibchannel_send_batch_seconds")["count"] == 0
          and hist(fams, "ibchannel_agent_seconds", kind="rules")["count"] == 0,
          "no latency before the sender ran")

# A second line whose agent is an HTTP agent nobody listens for: its call fails, and is timed too.
cid2 = env.add_connection(name="Second line", sender="447491163444")
hid = env.cli("agent", "add", "--name", "Nobody home", "--kind", "http", "--url",
              "http://127.0.0.1:%d/agent" % free_port()).stdout.strip()
env.cli("agent", "attach", hid, cid2, "--inbound")
env.cli("agent", "start", hid)
env.check(env.post("/channel/%s/webhook/sms" % cid2, mo("h-1", "4915112300005")).status == 200,
          "an MO for the HTTP agent")
# The first POST to Infobip is held 1.2 s by the simulator: it must land above 1 s.
env.sim("/_sim/fault", {"endpoint": "/sms/3/messages", "kind": "slow", "delay": 1.2})
env.cli("sender", "--once")
posts = len(env.sim("/_sim/requests?path=/sms/3/messages")["requests"])
calls = env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND infobip_id LIKE 'm-%'")
env.check(calls == 3 and env.sql1("SELECT COUNT(*) FROM agent_queue") == 0,
          "the agents were asked about every message", repr(calls))
env.check(posts >= 1, "the sender posted to Infobip", repr(posts))
fams = metrics()
send = hist(fams, "ibchannel_send_batch_seconds")
agent = hist(fams, "ibchannel_agent_seconds", kind="rules")
env.check(send["count"] == posts, "send batch latency: one observation per POST to Infobip",
          "%r vs %d POSTs" % (send, posts))
env.check(agent["count"] == 3, "agent latency: one observation per agent call, by kind", repr(agent))
failed_call = hist(fams, "ibchannel_agent_seconds", kind="http")
env.check(failed_call["count"] == 1 and env.sql1("SELECT COUNT(*) FROM logs WHERE connection_id = ?"
                                                 " AND event = 'agent' AND text LIKE 'no reply%%'",
                                                 (cid2,)) == 1,
          "the failed HTTP agent call counted under its own kind", repr(failed_call))
bounds = sorted(send["buckets"])
env.check(bounds[-1] == math.inf and all(send["buckets"][a] <= send["buckets"][b]
                                         for a, b in zip(bounds, bounds[1:])),
          "send buckets cumulative and monotonic up to +Inf", repr(send["buckets"]))
env.check(send["count"] - send["buckets"].get(1.0, -99) == 1 and send["sum"] >= 1.2,
          "the held POST counted above 1 s, its 1.2 s in the sum", repr(send))
env.check(agent["buckets"].get(math.inf) == 3 and agent["sum"] >= 0,
          "agent histogram: +Inf bucket equals the calls", repr(agent))
env.check(env.sql1("SELECT SUM(count) FROM latency_buckets WHERE name = 'send_batch'") == posts
          and env.sql1("SELECT count FROM latency_sums WHERE name = 'agent' AND label = 'rules'") == 3,
          "latency_buckets and latency_sums hold them in the store")

# A second run adds to what is there.
env.post(SMS, mo("m-4", "4915112300004"))
env.cli("sender", "--once")
posts2 = len(env.sim("/_sim/requests?path=/sms/3/messages")["requests"])
fams = metrics()
send2 = hist(fams, "ibchannel_send_batch_seconds")
agent2 = hist(fams, "ibchannel_agent_seconds", kind="rules")
env.check(posts2 > posts and send2["count"] == posts2 and agent2["count"] == 4,
          "a second sender run adds to the histograms", "%r %r %d" % (send2, agent2, posts2))
env.check(all(send2["buckets"][le] >= send["buckets"][le] for le in send["buckets"]),
          "no bucket went down")

# The delivery reports the simulator pushes for the replies are counted too.
env.check(wait_for(lambda: env.sql1("SELECT COUNT(*) FROM messages WHERE direction = 'out'"
                                    " AND status = 'delivered'") == 4, timeout=15),
          "the four replies delivered")
# (a request is counted once answered, so it reaches the store with the next group or idle second)
reports = wait_for(lambda: (counted() or {}).get(("reports", "reports", "200"), 0) >= 2, timeout=10)
env.check(reports, "delivery reports pushed by Infobip counted on their route",
          repr((counted() or {}).get(("reports", "reports", "200"))))

# The messages family is the counts the triggers keep (no scan per scrape):
# after the runs above (replies, reports, a failure) it is what a full
# count of the messages finds, on either engine.
full = kept_counts.check_exact(env)
shown = sorted((labels["direction"], labels["status"], str(int(v)))
               for _, labels, v in metrics()["ibchannel_messages"]["samples"])
env.check(shown == sorted(full["messages by direction and status"]),
          "ibchannel_messages is a full count of the messages by direction and status",
          repr((shown, full["messages by direction and status"])))
kept_counts.check_migration(env)
env.done()
