#!/usr/bin/env python3
"""A local stand-in for the AWS Lambda Runtime API (2018-06-01), for running a
function under the real runtime interface client (npm aws-lambda-ric) the
way Lambda does: one long-lived process that loads the handler module once,
then asks for events one at a time.

Runtime side (what the runtime interface client calls):
  GET  /2018-06-01/runtime/invocation/next
       blocks until an event is queued; answers it with the headers
       Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
       Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id
  POST /2018-06-01/runtime/invocation/{id}/response   202
  POST /2018-06-01/runtime/invocation/{id}/error      202 (body: the error
       document; header Lambda-Runtime-Function-Error-Type)
  POST /2018-06-01/runtime/init/error                 202
  An {id} that is not the invocation in progress, or a second answer to
  it, is 400 InvalidRequestID (as Lambda says), and counted.

The AWS Parameters and Secrets Lambda Extension, which Lambda runs beside the
function on localhost:2773 (here: this port):
  GET  /secretsmanager/get?secretId=ID
       needs header X-Aws-Parameters-Secrets-Token = --session-token;
       answers {"ARN", "Name", "SecretString"} from --secrets FILE (a JSON
       object: secret id -> secret string)

Test side:
  POST /__invoke[?timeout_ms=N]  body: the event (JSON). Queues it, waits for
       the runtime's answer and returns {"request_id", "outcome":
       "response" | "error" | "init_error" | "timeout", "payload",
       "error_type", "ms"} (timeout: default 30000 ms, also the deadline
       given to the function).
  GET  /__stats    counters (next calls, responses, errors, init errors,
       invalid request ids, secrets served/refused)

Python 3 standard library only.
Usage: runtime_api.py --port-file F [--secrets FILE] [--session-token T]
       [--function-arn ARN] [--lifetime SECONDS]
"""

import argparse
import http.server
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid

PREFIX = "/2018-06-01/runtime"
COND = threading.Condition()
QUEUE = []              # events waiting for /next: dicts
CURRENT = {}            # request id -> invocation dict, while in progress
STATS = {"next": 0, "invocations": 0, "responses": 0, "errors": 0, "init_errors": 0,
         "invalid_request_ids": 0, "timeouts": 0, "secrets_served": 0, "secrets_refused": 0}
INIT_ERROR = None
ARGS = None
SECRETS = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, code, obj, headers=None):
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    # ------------------------------------------------------------ GET
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == PREFIX + "/invocation/next":
            return self.next_event()
        if url.path == "/secretsmanager/get":
            return self.secret(urllib.parse.parse_qs(url.query))
        if url.path == "/__stats":
            with COND:
                return self.reply(200, dict(STATS, init_error=INIT_ERROR))
        self.reply(404, {"errorType": "NotFound", "errorMessage": url.path})

    def next_event(self):
        with COND:
            STATS["next"] += 1
            while not QUEUE:
                COND.wait()
            inv = QUEUE.pop(0)
            inv["state"] = "running"
            CURRENT[inv["id"]] = inv
        self.reply(200, inv["event"], {
            "Lambda-Runtime-Aws-Request-Id": inv["id"],
            "Lambda-Runtime-Deadline-Ms": str(inv["deadline_ms"]),
            "Lambda-Runtime-Invoked-Function-Arn": ARGS.function_arn,
            "Lambda-Runtime-Trace-Id": "Root=1-%08x-%s;Parent=%s;Sampled=0" % (
                int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16]),
        })

    def secret(self, q):
        sid = (q.get("secretId") or [""])[0]
        token = self.headers.get("X-Aws-Parameters-Secrets-Token")
        with COND:
            if not ARGS.session_token or token != ARGS.session_token:
                STATS["secrets_refused"] += 1
                return self.reply(401, {"error": "missing or wrong X-Aws-Parameters-Secrets-Token"})
            if sid not in SECRETS:
                STATS["secrets_refused"] += 1
                return self.reply(400, {"error": "ResourceNotFoundException: " + sid})
            STATS["secrets_served"] += 1
        self.reply(200, {"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + sid,
                         "Name": sid, "SecretString": SECRETS[sid], "VersionStages": ["AWSCURRENT"]})

    # ------------------------------------------------------------ POST
    def do_POST(self):
        global INIT_ERROR
        url = urllib.parse.urlsplit(self.path)
        data = self.body()
        if url.path == "/__invoke":
            return self.invoke(data, urllib.parse.parse_qs(url.query))
        if url.path == PREFIX + "/init/error":
            with COND:
                STATS["init_errors"] += 1
                INIT_ERROR = {"type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                              "body": data.decode("utf-8", "replace")}
                for inv in QUEUE:
                    inv["outcome"] = "init_error"
                    inv["payload"] = INIT_ERROR
                    inv["done"].set()
                QUEUE.clear()
            return self.reply(202, {"status": "OK"})
        parts = url.path[len(PREFIX):].split("/") if url.path.startswith(PREFIX) else []
        # ['', 'invocation', ID, 'response' | 'error']
        if len(parts) == 4 and parts[1] == "invocation" and parts[3] in ("response", "error"):
            rid = urllib.parse.unquote(parts[2])
            with COND:
                inv = CURRENT.pop(rid, None)
                if inv is None:
                    STATS["invalid_request_ids"] += 1
                    return self.reply(400, {"errorMessage": "Invalid request ID",
                                            "errorType": "InvalidRequestID"})
                try:
                    payload = json.loads(data) if data else None
                except ValueError:
                    payload = data.decode("utf-8", "replace")
                if parts[3] == "response":
                    STATS["responses"] += 1
                    inv["outcome"] = "response"
                else:
                    STATS["errors"] += 1
                    inv["outcome"] = "error"
                    inv["error_type"] = self.headers.get("Lambda-Runtime-Function-Error-Type")
                inv["payload"] = payload
                inv["done"].set()
            return self.reply(202, {"status": "OK"})
        self.reply(404, {"errorType": "NotFound", "errorMessage": url.path})

    def invoke(self, data, q):
        timeout_ms = int((q.get("timeout_ms") or ["30000"])[0])
        try:
            event = json.loads(data or b"{}")
        except ValueError:
            return self.reply(400, {"error": "the event is not JSON"})
        t0 = time.time()
        inv = {"id": str(uuid.uuid4()), "event": event, "deadline_ms": int(t0 * 1000) + timeout_ms,
               "done": threading.Event(), "outcome": None, "payload": None, "error_type": None}
        with COND:
            if INIT_ERROR is not None:
                return self.reply(200, {"request_id": inv["id"], "outcome": "init_error",
                                        "payload": INIT_ERROR, "error_type": None, "ms": 0})
            STATS["invocations"] += 1
            QUEUE.append(inv)
            COND.notify_all()
        if not inv["done"].wait(timeout_ms / 1000.0 + 5):
            with COND:
                STATS["timeouts"] += 1
                CURRENT.pop(inv["id"], None)
                if inv in QUEUE:
                    QUEUE.remove(inv)
            inv["outcome"] = "timeout"
        self.reply(200, {"request_id": inv["id"], "outcome": inv["outcome"], "payload": inv["payload"],
                         "error_type": inv["error_type"], "ms": int((time.time() - t0) * 1000)})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS, SECRETS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--secrets")
    ap.add_argument("--session-token", default="")
    ap.add_argument("--function-arn",
                    default="arn:aws:lambda:us-east-1:123456789012:function:orders-api")
    ap.add_argument("--lifetime", type=float, default=900)
    ARGS = ap.parse_args()
    if ARGS.secrets:
        with open(ARGS.secrets, encoding="utf-8") as fh:
            SECRETS = json.load(fh)
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(srv.server_address[1]))
    os.replace(tmp, ARGS.port_file)
    # a safety net: never outlive the test that started it
    threading.Timer(ARGS.lifetime, lambda: os._exit(0)).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
