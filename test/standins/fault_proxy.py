#!/usr/bin/env python3
"""Fault-injecting proxy in front of the Cloud Spanner emulator's REST port.

The emulator is the Spanner of every test; this proxy only reshapes what it
says into the shapes production Spanner uses, and injects the faults the
emulator cannot show:

* executeStreamingSql responses are re-framed from the emulator's
  newline-delimited {"result": PRS} objects into production's JSON array
  [PRS, PRS, ...], re-split into small messages (config "split" values per
  message) with string values cut across messages (chunkedValue), and every
  message carries a resumeToken (base64 of its index) unless "no_tokens".
* A request with a resumeToken is served by re-running it upstream (it reads
  the same snapshot: the FDW resumes with the transaction id) and sending only
  the messages after the token.
* Faults, set with POST /__config (JSON): "cut_after" N messages, then the
  connection is dropped (or, with "clean_cut", the body ends properly but
  without the closing "]"), for the next "cut_times" streaming requests;
  "error_after" N messages then an {"error": ...} element with
  "error_code" (gRPC int) for the next "error_times" requests;
  "session_gone_times": answer the next streaming requests with production's
  404 "Session not found" body; "commit_abort_times": answer the next commits
  with production's 409 ABORTED and a RetryInfo of "commit_retry_delay"
  (not forwarded: nothing is committed); "commit_drop_times": forward the
  next commits, then drop the connection without an answer (the client
  cannot know the outcome); "accept_isolation": take a begin's
  "isolationLevel" as production does (the emulator refuses the field): it
  is counted and removed before the request goes on.
* Values no Spanner sends (set with POST /__config): "big_value_bytes" N
  replaces the value at position "big_value_index" (default 1) of the first
  message of the next "big_value_times" streaming answers with a string of N
  bytes, sent in chunked pieces of 1 MiB as production chunks long values;
  "deep_value_times" replaces it with arrays nested "deep_value_depth"
  (default 100) levels deep.
* Error bodies are converted to production's {"error":{"code":<http>,
  "message":..,"status":..}} shape.

* Faults before any data (retries), for the next "fault_times" calls of
  the rpc "fault_rpc" (the method after the ':' of the path, "sessions" for
  a session creation, or "*" for any): "fault" is "unavailable" (503
  UNAVAILABLE; with "fault_retry_info" true, a RetryInfo of
  "fault_retry_delay"), "exhausted" (429 RESOURCE_EXHAUSTED with a RetryInfo
  of "fault_retry_delay", default "0.3s"), "eos" (500 INTERNAL "Received
  unexpected EOS on DATA frame from server"), "unauthenticated" (401),
  "http" (status "fault_http" with the text "fault_body", as a balancer's
  page), "garbage" (200 with the text "fault_body"), "truncate" (the
  request is forwarded; half of the answer is sent under the full
  Content-Length, then the connection is closed), "drop" (forwarded, then
  the connection closed without an answer), "reset" (the connection reset,
  TCP RST, without forwarding) or "stall" (nothing at all for "fault_stall"
  seconds, then the request goes on).  "error_message" sets the message of
  the error element of "error_after" (a broken stream: "Received unexpected
  EOS on DATA frame from server").  GET /__stats "rpcs" counts the POSTs by
  rpc (as "fault_rpc" names them), "faults" the faults injected by kind.

Every POST to the API is recorded (the last 2000): GET /__requests returns
one JSON object a line - "rpc" (the method after the ':' of the path, or
"sessions"), "txn" (the shape of its transaction: "begin.readWrite",
"begin.readOnly", "id", "singleUse.readOnly", "singleUse.readWrite" for a
single-use commit, "transactionId" for a commit of a transaction,
"partitionedDml" for beginTransaction) and "requestOptions" (as sent, or
absent) - and POST /__requests/clear forgets them.

GET /__stats returns counters; "calls" counts POSTs by method (the part of
the path after its last ":", e.g. "commit", "rollback", "executeSql"), and
"begin_read_write" / "begin_read_only" the requests other than commits that
begin a read-write / read-only transaction.  Python 3 standard library only.
Usage: fault_proxy.py --upstream http://127.0.0.1:PORT --port-file F
       [--pid-file F] [--daemon] [--lifetime SECONDS]
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

GRPC_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
              "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
              "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
              "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]

LOCK = threading.Lock()
CONFIG = {"split": 7, "no_tokens": False, "cut_after": 0, "cut_times": 0, "clean_cut": False,
          "error_after": 0, "error_times": 0, "error_code": 13,
          "session_gone_times": 0, "commit_abort_times": 0, "commit_retry_delay": "0.05s",
          "commit_drop_times": 0, "accept_isolation": False, "error_message": ""}
STATS = {"requests": 0, "streaming": 0, "resumed": 0, "cuts": 0, "errors": 0,
         "session_gone": 0, "messages": 0, "commits": 0, "commits_aborted": 0,
         "commits_dropped": 0, "isolation_repeatable_read": 0,
         "calls": {}, "begin_read_write": 0, "begin_read_only": 0}
# values no Spanner sends (replace_value)
CONFIG.update({"big_value_bytes": 0, "big_value_index": 1, "big_value_times": 0,
               "deep_value_times": 0, "deep_value_depth": 100})
UPSTREAM = None
REQUESTS = []
MAX_REQUESTS = 2000


def selector_shape(sel):
    """The shape of a TransactionSelector or TransactionOptions."""
    if not isinstance(sel, dict):
        return None
    for key in ("begin", "singleUse"):
        if key in sel and isinstance(sel[key], dict):
            inner = [k for k in sel[key] if k in ("readWrite", "readOnly", "partitionedDml")]
            return key + "." + (inner[0] if inner else "?")
    if "id" in sel:
        return "id"
    return None


def record(path, body):
    """Remember what a request asks of Spanner (not its data)."""
    last = path.rsplit("/", 1)[-1]
    rpc = last.split(":", 1)[1] if ":" in last else last
    try:
        req = json.loads(body) if body else {}
    except ValueError:
        req = {}
    if not isinstance(req, dict):
        req = {}
    txn = selector_shape(req.get("transaction"))
    if rpc == "commit":
        if "transactionId" in req:
            txn = "transactionId"
        elif "singleUseTransaction" in req:
            txn = "singleUse." + next(iter(req["singleUseTransaction"]), "?")
    elif rpc == "beginTransaction":
        txn = next(iter(req.get("options") or {}), None)
    entry = {"rpc": rpc, "txn": txn}
    if "requestOptions" in req:
        entry["requestOptions"] = req["requestOptions"]
    with LOCK:
        REQUESTS.append(entry)
        del REQUESTS[:-MAX_REQUESTS]


def production_error(http_status, body):
    """Convert an emulator error body to production's shape."""
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if "error" in obj and isinstance(obj["error"], dict):
        obj = obj["error"]
    code = obj.get("code", 2)
    name = GRPC_NAMES[code] if isinstance(code, int) and 0 <= code < len(GRPC_NAMES) else "UNKNOWN"
    return json.dumps({"error": {"code": http_status, "message": obj.get("message", ""),
                                 "status": name}}).encode()


def keep_negative_zero(text):
    """json.loads reads -0 as the integer 0; a FLOAT64 -0 must stay -0."""
    return -0.0 if text == "-0" else int(text)


def merge(a, b):
    """result_set.proto chunk merging: strings concatenate, lists concatenate
    with the boundary elements merged when they are of the same kind."""
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        if a and b and type(a[-1]) is type(b[0]) and isinstance(a[-1], (str, list)):
            return a[:-1] + [merge(a[-1], b[0])] + b[1:]
        return a + b
    raise ValueError("cannot merge chunks")


def resplit(prs_list, split):
    """Re-split the values of the emulator's messages into small messages,
    cutting string values in two across message boundaries."""
    metadata = None
    values = []          # list of (value, continues) where continues marks a chunk
    pending_chunk = False
    for prs in prs_list:
        if metadata is None and "metadata" in prs:
            metadata = prs["metadata"]
        vals = prs.get("values", [])
        for i, v in enumerate(vals):
            last = (i == len(vals) - 1)
            if pending_chunk:
                # merge with the previous piece (string or list); keep it simple:
                prev, _ = values.pop()
                v = merge(prev, v)
                pending_chunk = False
            if last and prs.get("chunkedValue"):
                values.append((v, True))
                pending_chunk = True
            else:
                values.append((v, False))
    out = []
    msg = {"metadata": metadata} if metadata is not None else {}
    cur = []
    for v, _ in values:
        cur.append(v)
        if len(cur) >= split:
            last = cur[-1]
            if isinstance(last, str) and len(last) >= 2:
                half = len(last) // 2
                cur[-1] = last[:half]
                msg["values"] = cur
                msg["chunkedValue"] = True
                out.append(msg)
                msg = {}
                cur = [last[half:]]
            else:
                msg["values"] = cur
                out.append(msg)
                msg = {}
                cur = []
    if cur or not out:
        msg["values"] = cur
        out.append(msg)
    return out


def replace_value(msgs, cfg, big, deep):
    """Put an oversized or too deeply nested value at position
    big_value_index of the first message (a string value there).  A big
    value goes out in 1 MiB pieces, each in a message of its own marked
    chunkedValue, the last one followed by the rest of the first message."""
    first = msgs[0]
    vals = first.get("values", [])
    idx = int(cfg["big_value_index"])
    if idx >= len(vals) or not isinstance(vals[idx], str):
        return msgs
    if deep:
        value = []
        for _ in range(int(cfg["deep_value_depth"]) - 1):
            value = [value]
        first["values"] = vals[:idx] + [value] + vals[idx + 1:]
        return msgs
    piece = 1 << 20
    total = int(cfg["big_value_bytes"])
    if total <= piece:
        first["values"] = vals[:idx] + ["x" * total] + vals[idx + 1:]
        return msgs
    sizes = [min(piece, total - off) for off in range(0, total, piece)]
    out = [dict(first, values=vals[:idx] + ["x" * sizes[0]], chunkedValue=True)]
    out += [{"values": ["x" * n], "chunkedValue": True} for n in sizes[1:-1]]
    last = {"values": ["x" * sizes[-1]] + vals[idx + 1:]}
    if first.get("chunkedValue"):
        last["chunkedValue"] = True
    out.append(last)
    return out + msgs[1:]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__stats":
            with LOCK:
                self.reply(200, json.dumps(STATS).encode())
            return
        if self.path == "/__requests":
            with LOCK:
                text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in REQUESTS)
            self.reply(200, text.encode(), "application/x-ndjson")
            return
        self.forward(None)

    def do_DELETE(self):
        self.forward(None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        if self.path == "/__config":
            with LOCK:
                cfg = json.loads(body or b"{}")
                FAULTS.update({k: v for k, v in cfg.items() if k in FAULTS})
                CONFIG.update({k: v for k, v in cfg.items() if k not in FAULTS})
                self.reply(200, json.dumps(dict(CONFIG, **FAULTS)).encode())
            return
        if self.path == "/__requests/clear":
            with LOCK:
                REQUESTS.clear()
            self.reply(200, b"{}")
            return
        record(self.path, body)
        last = self.path.rsplit("/", 1)[-1]
        verb = last.rsplit(":", 1)[1] if ":" in last else "other"
        with LOCK:
            accept = CONFIG["accept_isolation"]
            STATS["calls"][verb] = STATS["calls"].get(verb, 0) + 1
            if verb == "beginTransaction" or (verb != "commit" and b'"begin"' in body):
                if b'"readWrite"' in body:
                    STATS["begin_read_write"] += 1
                elif b'"readOnly"' in body:
                    STATS["begin_read_only"] += 1
        if self.inject_fault(self.path, body):
            return
        if accept and b"isolationLevel" in body:
            req = json.loads(body)
            begin = req.get("transaction", {}).get("begin", {})
            if begin.pop("isolationLevel", None) == "REPEATABLE_READ":
                with LOCK:
                    STATS["isolation_repeatable_read"] += 1
            body = json.dumps(req).encode()
        if self.path.endswith(":executeStreamingSql"):
            self.streaming(body)
            return
        if self.path.endswith(":commit"):
            self.commit(body)
            return
        self.forward(body)

    def commit(self, body):
        with LOCK:
            STATS["requests"] += 1
            STATS["commits"] += 1
            abort = CONFIG["commit_abort_times"] > 0
            if abort:
                CONFIG["commit_abort_times"] -= 1
                STATS["commits_aborted"] += 1
            drop = not abort and CONFIG["commit_drop_times"] > 0
            if drop:
                CONFIG["commit_drop_times"] -= 1
                STATS["commits_dropped"] += 1
            delay = CONFIG["commit_retry_delay"]
        if abort:
            self.reply(409, json.dumps({"error": {
                "code": 409, "message": "Transaction was aborted.", "status": "ABORTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                             "retryDelay": delay}]}}).encode())
            return
        status, data = self.upstream(self.command, body)
        if drop:
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if status != 200:
            data = production_error(status, data)
        self.reply(status, data)

    def upstream(self, method, body):
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        headers = {"Content-Type": "application/json"}
        conn.request(method, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def forward(self, body):
        with LOCK:
            STATS["requests"] += 1
        status, data = self.upstream(self.command, body)
        if status != 200:
            data = production_error(status, data)
        self.reply(status, data)

    def streaming(self, body):
        with LOCK:
            STATS["requests"] += 1
            STATS["streaming"] += 1
            cfg = dict(CONFIG)
            if CONFIG["session_gone_times"] > 0:
                CONFIG["session_gone_times"] -= 1
                STATS["session_gone"] += 1
                gone = True
            else:
                gone = False
            cut = cfg["cut_after"] if CONFIG["cut_times"] > 0 else 0
            if cut:
                CONFIG["cut_times"] -= 1
            err_after = cfg["error_after"] if CONFIG["error_times"] > 0 else 0
            if err_after:
                CONFIG["error_times"] -= 1
            big = CONFIG["big_value_times"] > 0 and CONFIG["big_value_bytes"] > 0
            if big:
                CONFIG["big_value_times"] -= 1
            deep = CONFIG["deep_value_times"] > 0
            if deep:
                CONFIG["deep_value_times"] -= 1
        if gone:
            name = self.path.split("/v1/", 1)[1].rsplit(":", 1)[0]
            self.reply(404, json.dumps({"error": {
                "code": 404, "message": "Session not found: " + name, "status": "NOT_FOUND",
                "details": [{"@type": "type.googleapis.com/google.rpc.ResourceInfo",
                             "resourceType": "type.googleapis.com/google.spanner.v1.Session",
                             "resourceName": name, "description": "Session does not exist."}]}}).encode())
            return
        req = json.loads(body)
        skip = 0
        if "resumeToken" in req:
            skip = int(base64.b64decode(req.pop("resumeToken")).decode())
            with LOCK:
                STATS["resumed"] += 1
        status, data = self.upstream("POST", json.dumps(req).encode())
        if status != 200:
            self.reply(status, production_error(status, data))
            return
        prs_list = []
        for line in data.decode().splitlines():
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line, parse_int=keep_negative_zero)
            if "error" in obj:
                self.reply(500, production_error(500, json.dumps(obj).encode()))
                return
            prs_list.append(obj.get("result", obj))
        msgs = resplit(prs_list, max(1, int(cfg["split"])))
        if big or deep:
            msgs = replace_value(msgs, cfg, big, deep)
        for i, m in enumerate(msgs, start=1):
            if not cfg["no_tokens"]:
                m["resumeToken"] = base64.b64encode(str(i).encode()).decode()
        if skip:
            msgs = msgs[skip:]
            if msgs and "metadata" in msgs[0]:
                del msgs[0]["metadata"]

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(b):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()

        chunk(b"[")
        sent = 0
        for i, m in enumerate(msgs):
            if cut and sent >= cut:
                with LOCK:
                    STATS["cuts"] += 1
                if cfg["clean_cut"]:
                    # a proxy that ends the body properly but early: no "]"
                    chunk(b"")
                    return
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            if err_after and sent >= err_after:
                code = int(cfg["error_code"])
                chunk((b",\r\n" if sent else b"") + json.dumps({"error": {
                    "code": code,
                    "message": cfg.get("error_message") or "injected error after %d messages" % sent,
                    "status": GRPC_NAMES[code]}}).encode())
                chunk(b"]")
                chunk(b"")
                with LOCK:
                    STATS["errors"] += 1
                return
            chunk((b",\r\n" if sent else b"") + json.dumps(m, ensure_ascii=False).encode())
            sent += 1
            with LOCK:
                STATS["messages"] += 1
        chunk(b"]")
        chunk(b"")


    # ---------------------------------------------------------------
    # Faults before any data (retries): see the header comment
    # ---------------------------------------------------------------
    def setup(self):
        super().setup()
        # answers go out in several writes: without this, Nagle's algorithm
        # and the client's delayed ACK hold each reused connection's answer
        # for 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def inject_fault(self, path, body):
        """Count the call by rpc; inject the configured fault if it is due.
        Returns True if the request was answered (or dropped) here."""
        last = path.rsplit("/", 1)[-1]
        rpc = last.split(":", 1)[1] if ":" in last else last
        with LOCK:
            STATS["rpcs"][rpc] = STATS["rpcs"].get(rpc, 0) + 1
            due = (FAULTS["fault_times"] > 0 and FAULTS["fault"] and
                   FAULTS["fault_rpc"] in (rpc, "*"))
            if not due:
                return False
            FAULTS["fault_times"] -= 1
            cfg = dict(FAULTS)
            kind = cfg["fault"]
            STATS["faults"][kind] = STATS["faults"].get(kind, 0) + 1
        try:
            return self.fault(kind, cfg, body)
        except OSError:
            return True     # the client went away (a stall it gave up on)

    def error_reply(self, http_status, status, message, details=None):
        err = {"code": http_status, "message": message, "status": status}
        if details:
            err["details"] = details
        self.reply(http_status, json.dumps({"error": err}).encode())

    def drop(self, reset):
        self.close_connection = True
        self.wfile.flush()
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            self.connection.shutdown(socket.SHUT_RDWR)

    def fault(self, kind, cfg, body):
        retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                       "retryDelay": cfg["fault_retry_delay"] or "0.3s"}]
        if kind == "unavailable":
            self.error_reply(503, "UNAVAILABLE", "The service is currently unavailable.",
                             retry_info if cfg["fault_retry_info"] else None)
        elif kind == "exhausted":
            self.error_reply(429, "RESOURCE_EXHAUSTED",
                             "Quota exceeded; retry after the delay given.", retry_info)
        elif kind == "eos":
            self.error_reply(500, "INTERNAL",
                             "Received unexpected EOS on DATA frame from server")
        elif kind == "unauthenticated":
            self.error_reply(401, "UNAUTHENTICATED",
                             "Request had invalid authentication credentials.")
        elif kind in ("http", "garbage"):
            self.reply(int(cfg["fault_http"]) if kind == "http" else 200,
                       cfg["fault_body"].encode(), "text/html")
        elif kind == "truncate":
            status, data = self.upstream("POST", body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.drop(False)
        elif kind == "drop":
            self.upstream("POST", body)
            self.drop(False)
        elif kind == "reset":
            self.drop(True)
        elif kind == "stall":
            time.sleep(float(cfg["fault_stall"]))
            return False
        else:
            return False
        return True


FAULTS = {"fault": "", "fault_rpc": "", "fault_times": 0, "fault_retry_delay": "0.3s",
          "fault_retry_info": False, "fault_http": 502,
          "fault_body": "<html><body>Bad gateway</body></html>", "fault_stall": 5}
STATS["rpcs"] = {}
STATS["faults"] = {}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global UPSTREAM
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--daemon", action="store_true")
    ap.add_argument("--lifetime", type=float, default=600)
    args = ap.parse_args()
    UPSTREAM = urllib.parse.urlparse(args.upstream)
    srv = Server(("127.0.0.1", 0), Handler)
    if args.daemon:
        pid = os.fork()
        if pid:
            if args.pid_file:
                with open(args.pid_file, "w") as f:
                    f.write(str(pid))
            with open(args.port_file, "w") as f:
                f.write(str(srv.server_address[1]))
            os._exit(0)
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        if args.pid_file:
            with open(args.pid_file, "w") as f:
                f.write(str(os.getpid()))
        with open(args.port_file, "w") as f:
            f.write(str(srv.server_address[1]))
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
