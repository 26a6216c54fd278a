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
* Multiplexed sessions (config "multiplexed": true; the emulator has none):
  see the section "multiplexed sessions" below.  A session creation is
  answered with a proxy-level session {"multiplexed": true}; each
  transaction on it runs on a regular emulator session from a pool, and
  read-write transactions get production's precommit tokens, whose latest
  a commit must carry (else 400 FAILED_PRECONDITION); counters are in
  /__stats "mux".

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
  TCP RST, without forwarding), "session_gone" (production's 404 "Session
  not found", not forwarded) or "stall" (nothing at all for "fault_stall"
  seconds, then the request goes on).  "fault_next": a configuration of
  these fault keys that takes over when the fault's count runs out (keys
  it does not name keep their values; a configuration without it clears
  it).  "error_message" sets the message of
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
          "commit_drop_times": 0, "accept_isolation": False, "error_message": "",
          # multiplexed sessions (section below)
          "multiplexed": False, "commit_precommit_retry_times": 0,
          "precommit_withhold_times": 0, "commit_retry_same_seq": False, "mux_session_gone_times": 0, "mux_idle_s": 60}
STATS = {"requests": 0, "streaming": 0, "resumed": 0, "cuts": 0, "errors": 0,
         "session_gone": 0, "messages": 0, "commits": 0, "commits_aborted": 0,
         "commits_dropped": 0, "isolation_repeatable_read": 0,
         "calls": {}, "begin_read_write": 0, "begin_read_only": 0,
         "mux": {"session_creates": 0, "session_deletes_refused": 0, "session_gone": 0,
                 "upstream_sessions": 0, "transactions": 0, "tokens_issued": 0,
                 "tokens_withheld": 0, "commits": 0, "commits_with_token": 0,
                 "commits_single_use": 0, "commit_retries_asked": 0, "recommits": 0,
                 "commits_refused": 0, "commits_forwarded": 0, "commit_log": []}}
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
        if mux_session_of(self.path) is not None:
            self.mux_get()
            return
        self.forward(None)

    def do_DELETE(self):
        if mux_session_of(self.path) is not None:
            self.mux_delete()
            return
        self.forward(None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        if self.path == "/__config":
            with LOCK:
                cfg = json.loads(body or b"{}")
                cfg.setdefault("fault_next", None)     # never left over
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
        if mux_wants(self.path):
            self.mux_post(body)
            return
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
        hook = getattr(self, "mux_response", None)
        if hook:
            data = hook(status, data)
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
        hook = getattr(self, "mux_response", None)
        if hook:
            data = hook(status, data)
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
        hook = getattr(self, "mux_messages", None)
        if hook:
            msgs = hook(msgs)

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
            if FAULTS["fault_times"] == 0 and FAULTS["fault_next"]:
                nxt = FAULTS["fault_next"]
                FAULTS["fault_next"] = None
                FAULTS.update({k: v for k, v in nxt.items() if k in FAULTS})
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
        elif kind == "session_gone":
            name = self.path.split("/v1/", 1)[1].rsplit(":", 1)[0]
            self.error_reply(404, "NOT_FOUND", "Session not found: " + name, [
                {"@type": "type.googleapis.com/google.rpc.ResourceInfo",
                 "resourceType": "type.googleapis.com/google.spanner.v1.Session",
                 "resourceName": name, "description": "Session does not exist."}])
        elif kind == "stall":
            time.sleep(float(cfg["fault_stall"]))
            return False
        else:
            return False
        return True


FAULTS = {"fault": "", "fault_rpc": "", "fault_times": 0, "fault_retry_delay": "0.3s",
          "fault_retry_info": False, "fault_http": 502,
          "fault_body": "<html><body>Bad gateway</body></html>", "fault_stall": 5,
          "fault_next": None}
STATS["rpcs"] = {}
STATS["faults"] = {}


# ---------------------------------------------------------------- multiplexed sessions
#
# Production Spanner offers multiplexed sessions (google/spanner/v1
# spanner.proto Session.multiplexed; transaction.proto
# MultiplexedSessionPrecommitToken; commit_response.proto
# MultiplexedSessionRetry); the emulator accepts "multiplexed": true but makes
# a regular session and says nothing.  With config "multiplexed": true this
# proxy gives the client production's shape:
#
# * POST .../sessions answers a new proxy-level session, {"name": ...,
#   "multiplexed": true} (one per create; counted in "session_creates").  It
#   cannot be deleted (DELETE: 400 FAILED_PRECONDITION, counted) and GET
#   answers it.  "mux_session_gone_times": N makes the next N requests on a
#   multiplexed session find it gone (production's 404 "Session not found");
#   that session stays gone.
# * Every transaction on it runs on a regular emulator session taken from a
#   pool (one session per open transaction, as the emulator runs one at a
#   time): single-use requests for the request, read-write transactions
#   until their commit or rollback, read-only ones (which never end
#   explicitly) until idle for "mux_idle_s" seconds.  Transaction ids are
#   the proxy's own (the emulator numbers them per session).
# * Read-write transactions get a precommit token with an increasing seqNum
#   on every answer (ResultSet, ExecuteBatchDmlResponse, the last message of
#   a stream, a beginTransaction that named a mutationKey).
#   "precommit_withhold_times": N leaves the next N tokens out of the
#   answers (the client then holds a stale one).
# * A commit of a transaction that received tokens must carry the latest
#   (token and seqNum), else it is refused with 400 FAILED_PRECONDITION in
#   production's error shape and nothing is forwarded.  With
#   "commit_precommit_retry_times": N the next N commit answers carry a new
#   precommit token and no commitTimestamp (the transaction is not
#   committed; the mutations sent are kept, as Spanner keeps them); a commit
#   with that token is then forwarded with the kept mutations plus any it
#   carries (so a client that sends its mutations twice writes them twice).
#   With "commit_retry_same_seq" that new token keeps the seqNum of the
#   last one (a client must take it all the same).
#   Single-use commits (no token) are forwarded as production takes them.
# * /__stats "mux" counts creates, tokens, commits with a token, retries
#   asked, re-commits, refusals, and keeps the last commits in "commit_log"
#   ({"seq": token seqNum sent or null, "mutations": n, "outcome": ...}).

MUX_LOCK = threading.Lock()
MUX_SESSIONS = {}      # name -> {"db", "role", "created", "gone"}
MUX_POOL = {}          # (db, role) -> [free upstream session names]
MUX_TXNS = {}          # proxy txn id -> record (see mux_new_txn)
MUX_COUNTER = [0, 0]   # sessions, transactions
MUX_STREAM_RPCS = ("executeStreamingSql", "streamingRead")
MUX_TXN_RPCS = ("executeSql", "executeStreamingSql", "streamingRead", "read",
                "executeBatchDml")


def mux_stat(key, n=1):
    with LOCK:
        STATS["mux"][key] += n


def mux_session_of(path):
    """The multiplexed session a request path addresses, or None."""
    if not path.startswith("/v1/"):
        return None
    name = path[4:].split("?", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name.rsplit(":", 1)[0]
    with MUX_LOCK:
        return name if name in MUX_SESSIONS else None


def mux_wants(path):
    """Does the multiplexed-session layer answer this POST?"""
    with LOCK:
        on = CONFIG.get("multiplexed")
    if on and path.split("?", 1)[0].endswith("/sessions"):
        return True
    return mux_session_of(path) is not None


def mux_error(http_status, status, message):
    return json.dumps({"error": {"code": http_status, "message": message,
                                 "status": status}}).encode()


def mux_upstream_call(method, path, body):
    conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def mux_reclaim_idle():
    """Transactions idle past mux_idle_s give their emulator session back."""
    with LOCK:
        idle = float(CONFIG.get("mux_idle_s", 60))
    now = time.time()
    with MUX_LOCK:
        for tid in [t for t, r in MUX_TXNS.items()
                    if r["busy"] == 0 and now - r["last_use"] > idle]:
            rec = MUX_TXNS.pop(tid)
            MUX_POOL.setdefault(rec["key"], []).append(rec["up"])


def mux_acquire(db, role):
    """A free emulator session of (db, role), made if none is free."""
    mux_reclaim_idle()
    with MUX_LOCK:
        free = MUX_POOL.setdefault((db, role), [])
        if free:
            return free.pop()
    body = {"session": {"creatorRole": role}} if role else {}
    status, data = mux_upstream_call("POST", "/v1/%s/sessions" % db, json.dumps(body).encode())
    if status != 200:
        raise RuntimeError(data.decode(errors="replace"))
    mux_stat("upstream_sessions")
    return json.loads(data)["name"]


def mux_release(db, role, up):
    with MUX_LOCK:
        MUX_POOL.setdefault((db, role), []).append(up)


def mux_new_txn(sess, up, up_id, kind):
    with MUX_LOCK:
        MUX_COUNTER[1] += 1
        tid = base64.b64encode(b"mtx-%d" % MUX_COUNTER[1]).decode()
        MUX_TXNS[tid] = {"key": (sess["db"], sess["role"]), "up": up, "up_id": up_id,
                         "kind": kind, "seq": 0, "token": None, "pending": None,
                         "busy": 0, "last_use": time.time()}
    mux_stat("transactions")
    return tid


def mux_token(rec):
    """The next precommit token of a read-write transaction, or None if the
    configuration withholds it (its seqNum is still the latest)."""
    with MUX_LOCK:
        rec["seq"] += 1
        rec["token"] = base64.b64encode(("pct:%d:%s" % (rec["seq"], os.urandom(6).hex())).encode()).decode()
        tok = {"precommitToken": rec["token"], "seqNum": rec["seq"]}
    with LOCK:
        STATS["mux"]["tokens_issued"] += 1
        if CONFIG["precommit_withhold_times"] > 0:
            CONFIG["precommit_withhold_times"] -= 1
            STATS["mux"]["tokens_withheld"] += 1
            return None
    return tok


def mux_log_commit(entry):
    with LOCK:
        log = STATS["mux"]["commit_log"]
        log.append(entry)
        del log[:-50]


def mux_parse_stream(data):
    """Messages of an emulator stream answer (a JSON array, or one
    {"result": ...} object a line) and a function that writes them back."""
    text = data.decode()
    if text.lstrip().startswith("["):
        msgs = json.loads(text, parse_int=keep_negative_zero)
        return msgs, lambda m: json.dumps(m, ensure_ascii=False).encode()
    msgs = []
    for line in text.splitlines():
        if line.strip():
            obj = json.loads(line, parse_int=keep_negative_zero)
            msgs.append(obj.get("result", obj))
    return msgs, lambda m: "".join(json.dumps({"result": x}, ensure_ascii=False) + "\n"
                                   for x in m).encode()


def _mux_get(self):
    name = mux_session_of(self.path)
    with MUX_LOCK:
        sess = dict(MUX_SESSIONS[name])
    if sess["gone"]:
        self.mux_gone(name)
        return
    self.reply(200, json.dumps({"name": name, "createTime": sess["created"],
                                "multiplexed": True}).encode())


def _mux_delete(self):
    mux_stat("session_deletes_refused")
    self.reply(400, mux_error(400, "FAILED_PRECONDITION",
                              "Multiplexed sessions cannot be deleted."))


def _mux_gone(self, name):
    self.reply(404, json.dumps({"error": {
        "code": 404, "message": "Session not found: " + name, "status": "NOT_FOUND",
        "details": [{"@type": "type.googleapis.com/google.rpc.ResourceInfo",
                     "resourceType": "type.googleapis.com/google.spanner.v1.Session",
                     "resourceName": name, "description": "Session does not exist."}]}}).encode())


def _mux_create(self, body):
    db = self.path[4:].split("?", 1)[0].rsplit("/sessions", 1)[0]
    try:
        req = json.loads(body) if body else {}
    except ValueError:
        req = {}
    role = (req.get("session") or {}).get("creatorRole") or ""
    created = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    with MUX_LOCK:
        MUX_COUNTER[0] += 1
        name = "%s/sessions/mux-%d" % (db, MUX_COUNTER[0])
        MUX_SESSIONS[name] = {"db": db, "role": role, "created": created, "gone": False}
    mux_stat("session_creates")
    answer = {"name": name, "createTime": created, "multiplexed": True}
    if role:
        answer["creatorRole"] = role
    self.reply(200, json.dumps(answer).encode())


def _mux_post(self, body):
    path = self.path.split("?", 1)[0]
    if path.endswith("/sessions"):
        self.mux_create(body)
        return
    name = mux_session_of(path)
    verb = path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[-1] else ""
    with LOCK:
        gone_now = CONFIG["mux_session_gone_times"] > 0
        if gone_now:
            CONFIG["mux_session_gone_times"] -= 1
    with MUX_LOCK:
        sess = MUX_SESSIONS[name]
        if gone_now:
            sess["gone"] = True
        gone = sess["gone"]
        sess = dict(sess)
    if gone:
        mux_stat("session_gone")
        self.mux_gone(name)
        return
    try:
        req = json.loads(body) if body else {}
    except ValueError:
        req = {}
    if verb == "commit":
        self.mux_commit(sess, req)
    elif verb == "rollback":
        self.mux_rollback(sess, req)
    elif verb == "beginTransaction":
        self.mux_begin(sess, req)
    else:
        self.mux_txn_request(sess, verb, req)


def _mux_find(self, tid):
    with MUX_LOCK:
        rec = MUX_TXNS.get(tid)
        if rec:
            rec["busy"] += 1
            rec["last_use"] = time.time()
    if rec is None:
        self.reply(404, mux_error(404, "NOT_FOUND", "Transaction not found: %s" % tid))
    return rec


def _mux_done(self, rec):
    with MUX_LOCK:
        rec["busy"] -= 1
        rec["last_use"] = time.time()


def _mux_run(self, up, verb, req):
    """Send req to emulator session up with the proxy's usual handling."""
    self.path = "/v1/%s:%s" % (up, verb)
    data = json.dumps(req).encode()
    if verb == "executeStreamingSql":
        self.streaming(data)
    elif verb == "commit":
        self.commit(data)
    else:
        self.forward(data)


def _mux_txn_request(self, sess, verb, req):
    """A query, read or DML: in its transaction, or one it begins, or a
    single-use one."""
    sel = req.get("transaction") or {}
    state = {"rec": None, "tid": None}
    if "id" in sel:
        rec = self.mux_find(sel["id"])
        if rec is None:
            return
        state["rec"], state["tid"] = rec, sel["id"]
        sel["id"] = rec["up_id"]
        up = rec["up"]
    else:
        up = mux_acquire(sess["db"], sess["role"])
    begin = sel.get("begin") if isinstance(sel.get("begin"), dict) else None
    kind = ("readWrite" if "readWrite" in begin else "readOnly") if begin is not None else None

    def on_begun(txn_obj):
        """Rewrite an inline begin's transaction id to the proxy's own."""
        if kind and isinstance(txn_obj, dict) and "id" in txn_obj and state["tid"] is None:
            state["tid"] = mux_new_txn(sess, up, txn_obj["id"], kind)
            with MUX_LOCK:
                state["rec"] = MUX_TXNS[state["tid"]]
                state["rec"]["busy"] += 1
            txn_obj["id"] = state["tid"]

    def rw():
        return state["rec"] is not None and state["rec"]["kind"] == "readWrite"

    def on_messages(msgs):
        if msgs and "metadata" in msgs[0]:
            on_begun(msgs[0]["metadata"].get("transaction"))
        if msgs and rw():
            tok = mux_token(state["rec"])
            if tok:
                msgs[-1]["precommitToken"] = tok
        return msgs

    def on_response(status, data):
        if status != 200:
            return data
        if verb in MUX_STREAM_RPCS:
            msgs, dump = mux_parse_stream(data)
            return dump(on_messages(msgs))
        obj = json.loads(data, parse_int=keep_negative_zero)
        if verb == "executeBatchDml":
            sets = obj.get("resultSets") or []
            if sets:
                on_begun((sets[0].get("metadata") or {}).get("transaction"))
        else:
            on_begun((obj.get("metadata") or {}).get("transaction"))
        if rw():
            tok = mux_token(state["rec"])
            if tok:
                obj["precommitToken"] = tok
        return json.dumps(obj, ensure_ascii=False).encode()

    self.mux_messages = on_messages
    self.mux_response = on_response
    try:
        self.mux_run(up, verb, req)
    finally:
        self.mux_messages = None
        self.mux_response = None
        if state["rec"] is not None:
            self.mux_done(state["rec"])
            if state["rec"]["kind"] == "partitionedDml":
                # a partitioned DML transaction ends with its statement
                with MUX_LOCK:
                    MUX_TXNS.pop(state["tid"], None)
                mux_release(sess["db"], sess["role"], up)
        elif "id" not in sel:
            mux_release(sess["db"], sess["role"], up)   # single-use, or a failed begin


def _mux_begin(self, sess, req):
    options = req.get("options") or {}
    kind = next((k for k in ("readWrite", "readOnly", "partitionedDml") if k in options), "readOnly")
    mutation_key = req.pop("mutationKey", None)
    up = mux_acquire(sess["db"], sess["role"])
    state = {"rec": None}

    def on_response(status, data):
        if status != 200:
            return data
        obj = json.loads(data)
        tid = mux_new_txn(sess, up, obj["id"], kind)
        with MUX_LOCK:
            state["rec"] = MUX_TXNS[tid]
        obj["id"] = tid
        if kind == "readWrite" and mutation_key is not None:
            tok = mux_token(state["rec"])
            if tok:
                obj["precommitToken"] = tok
        return json.dumps(obj).encode()

    self.mux_response = on_response
    try:
        self.mux_run(up, "beginTransaction", req)
    finally:
        self.mux_response = None
        if state["rec"] is None:
            mux_release(sess["db"], sess["role"], up)


def _mux_rollback(self, sess, req):
    tid = req.get("transactionId")
    rec = self.mux_find(tid)
    if rec is None:
        return
    req["transactionId"] = rec["up_id"]
    try:
        self.mux_run(rec["up"], "rollback", req)
    finally:
        self.mux_done(rec)
        with MUX_LOCK:
            gone = MUX_TXNS.pop(tid, None)
        if gone is not None:
            mux_release(gone["key"][0], gone["key"][1], gone["up"])


def _mux_commit(self, sess, req):
    sent = req.pop("precommitToken", None)
    seq = sent.get("seqNum") if isinstance(sent, dict) else None
    mutations = req.get("mutations") or []
    mux_stat("commits")
    if sent is not None:
        mux_stat("commits_with_token")
    if "transactionId" not in req:
        # single-use: production takes it on a multiplexed session, no token
        mux_stat("commits_single_use")
        up = mux_acquire(sess["db"], sess["role"])
        mux_log_commit({"seq": seq, "mutations": len(mutations), "outcome": "single-use"})
        try:
            self.mux_run(up, "commit", req)
        finally:
            mux_release(sess["db"], sess["role"], up)
        return
    tid = req["transactionId"]
    rec = self.mux_find(tid)
    if rec is None:
        return
    try:
        with MUX_LOCK:
            latest = (rec["token"], rec["seq"])
            again = rec["pending"] is not None
        if latest[0] is not None and (
                not isinstance(sent, dict) or sent.get("precommitToken") != latest[0] or
                int(sent.get("seqNum", 0)) != latest[1]):
            mux_stat("commits_refused")
            mux_log_commit({"seq": seq, "mutations": len(mutations), "outcome": "refused"})
            self.reply(400, mux_error(400, "FAILED_PRECONDITION",
                                      "The commit's precommit token is missing or is not the "
                                      "latest one the transaction received (seqNum %s)." % latest[1]))
            return
        if again:
            mux_stat("recommits")
        with LOCK:
            ask = CONFIG["commit_precommit_retry_times"] > 0
            same_seq = CONFIG["commit_retry_same_seq"]
            if ask:
                CONFIG["commit_precommit_retry_times"] -= 1
        if ask:
            # not committed yet: Spanner keeps the mutations, asks for a new token
            with MUX_LOCK:
                rec["pending"] = (rec["pending"] or []) + mutations
                if not same_seq:
                    rec["seq"] += 1
                rec["token"] = base64.b64encode(("pct:%d:%s" % (rec["seq"], os.urandom(6).hex())).encode()).decode()
                tok = {"precommitToken": rec["token"], "seqNum": rec["seq"]}
            mux_stat("commit_retries_asked")
            mux_stat("tokens_issued")
            mux_log_commit({"seq": seq, "mutations": len(mutations), "outcome": "retry-asked"})
            self.reply(200, json.dumps({"precommitToken": tok}).encode())
            return
        with MUX_LOCK:
            req["mutations"] = (rec["pending"] or []) + mutations
        if not req["mutations"]:
            req.pop("mutations")
        req["transactionId"] = rec["up_id"]
        result = {}

        def on_response(status, data):
            result["status"] = status
            return data

        self.mux_response = on_response
        try:
            self.mux_run(rec["up"], "commit", req)
        finally:
            self.mux_response = None
        outcome = "committed" if result.get("status") == 200 else "error %s" % result.get("status")
        mux_stat("commits_forwarded")
        mux_log_commit({"seq": seq, "mutations": len(mutations), "outcome": outcome,
                        "recommit": again})
        if result.get("status") == 200:
            with MUX_LOCK:
                MUX_TXNS.pop(tid, None)
            mux_release(rec["key"][0], rec["key"][1], rec["up"])
    finally:
        self.mux_done(rec)


Handler.mux_get = _mux_get
Handler.mux_delete = _mux_delete
Handler.mux_gone = _mux_gone
Handler.mux_create = _mux_create
Handler.mux_post = _mux_post
Handler.mux_find = _mux_find
Handler.mux_done = _mux_done
Handler.mux_run = _mux_run
Handler.mux_txn_request = _mux_txn_request
Handler.mux_begin = _mux_begin
Handler.mux_rollback = _mux_rollback
Handler.mux_commit = _mux_commit


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
