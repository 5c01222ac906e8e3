#!/usr/bin/env python3
"""Fake agents for tests/unit/test_agent.c: an HTTP agent and an OpenAI-compatible chat server, on loopback.

Endpoints (every POST is recorded; GET /_requests returns the records):
  POST /agent                 {"reply": "echo: <message>"}
  POST /slow                  sleeps 3 s, then answers like /agent
  POST /fail                  500 with a plain-text body
  POST /badjson               200 with a body that is not JSON
  POST /silent                {"reply": null}
  POST /blank                 {"reply": "  "}
  POST /noreply               {} (no "reply" member)
  POST /big                   200 with a body of 300 KiB
  POST [/prefix]/v1/chat/completions
                              OpenAI's shape, content "ai: <last user message>";
                              401 {"error": {"message": "Invalid API key"}} unless
                              the Authorization is "Bearer <--key>"; under the
                              prefix /leak the 401 message quotes the key it got,
                              under /nocontent the content is null
Prints "fake_agent listening on http://127.0.0.1:PORT" once it listens.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORDS = []
LOCK = threading.Lock()
KEY = ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                self.answer(200, {"requests": list(RECORDS)})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        text = raw.decode("utf-8", "replace")
        with LOCK:
            RECORDS.append({
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
                "body": text,
            })
        try:
            req = json.loads(text)
        except ValueError:
            req = None
        path = self.path
        if path.endswith("/v1/chat/completions"):
            self.chat(path[:-len("/v1/chat/completions")], req)
        elif path == "/agent":
            self.answer(200, {"reply": "echo: " + req["message"]})
        elif path == "/slow":
            time.sleep(3)
            self.answer(200, {"reply": "echo: " + req["message"]})
        elif path == "/fail":
            self.answer(500, b"Internal Server Error", "text/plain")
        elif path == "/badjson":
            self.answer(200, b"<html>this is not JSON {", "text/html")
        elif path == "/silent":
            self.answer(200, {"reply": None})
        elif path == "/blank":
            self.answer(200, {"reply": "  "})
        elif path == "/noreply":
            self.answer(200, {})
        elif path == "/big":
            self.answer(200, {"reply": "x" * (300 * 1024)})
        else:
            self.answer(404, {"error": "not found"})

    def chat(self, prefix, req):
        auth = self.headers.get("Authorization") or ""
        if auth != "Bearer " + KEY:
            msg = "Invalid API key"
            if prefix == "/leak":
                msg = "Incorrect API key provided: " + auth[len("Bearer "):]
            self.answer(401, {"error": {"message": msg,
                                        "type": "invalid_request_error"}})
            return
        last = ""
        for m in req["messages"]:
            if m["role"] == "user":
                last = m["content"]
        content = None if prefix == "/nocontent" else "ai: " + last
        self.answer(200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model", ""),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                      "total_tokens": 2},
        })


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError,
                                          ConnectionResetError)):
            return  # a client that hung up is part of the tests
        super().handle_error(request, client_address)


def main():
    global KEY
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free one")
    ap.add_argument("--key", default="fake-openai-key",
                    help="the API key the chat endpoint accepts")
    args = ap.parse_args()
    KEY = args.key
    srv = Server(("127.0.0.1", args.port), Handler)
    print("fake_agent listening on http://127.0.0.1:%d" % srv.server_port,
          flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
