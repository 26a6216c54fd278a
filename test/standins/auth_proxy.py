#!/usr/bin/env python3
# test/standins/auth_proxy.py
#   An authenticating reverse proxy in front of the Cloud Spanner emulator's
#   REST port, standing in for the bearer-token check of the real
#   spanner.googleapis.com.
#
# Python 3 standard library only.  Listens on 127.0.0.1, port 0 (the kernel
# picks it); the chosen port is printed on stdout and, with --port-file,
# written to that file (atomically).  Stops on SIGTERM.
#
# Every request other than the control endpoints below is forwarded to
# --upstream (method, path and query, headers except hop-by-hop ones and
# Authorization, body) over HTTP/1.1, and the answer is passed back as it
# arrives: a response without Content-Length (the emulator streams
# executeStreamingSql results chunked) is re-chunked piece by piece, so the
# client sees each PartialResultSet when the emulator sends it.
#
# A request is forwarded only if it carries "Authorization: Bearer T" where
# T is a token that test/standins/auth_standins.py issued and that has not
# expired: the proxy asks the stand-ins' GET /__tokeninfo?token=T (given by
# --tokeninfo, the stand-ins' base URL) on every request, so expiry is the
# stand-ins' own.  Otherwise it answers as Google does:
#   401 {"error":{"code":401,"message":"Request had invalid authentication
#        credentials.","status":"UNAUTHENTICATED"}}
# and a valid token whose scope covers neither spanner.data nor
# cloud-platform gets 403 PERMISSION_DENIED "Request had insufficient
# authentication scopes.".
#
#   GET  /__stats    {"requests", "forwarded", "rejected", "forbidden",
#                     "upstream_errors", "accepted_kinds": {kind: n},
#                     "reject_reasons": {reason: n}, "tokens": [...]}
#                    (tokens: every distinct bearer token presented since
#                    the proxy started, so a test can check that none of
#                    them leaked anywhere)
#   POST /__reset    counters back to zero (the token list is kept)
#
# Copyright (c) 2026 spanner_fdw developers

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNAUTHENTICATED = {"error": {"code": 401,
                             "message": "Request had invalid authentication credentials.",
                             "status": "UNAUTHENTICATED"}}
INSUFFICIENT_SCOPES = {"error": {"code": 403,
                                 "message": "Request had insufficient authentication scopes.",
                                 "status": "PERMISSION_DENIED"}}
SPANNER_SCOPES = ("https://www.googleapis.com/auth/spanner.data",
                  "https://www.googleapis.com/auth/spanner.admin",
                  "https://www.googleapis.com/auth/cloud-platform")

# RFC 9110 7.6.1 hop-by-hop fields, plus what the proxy sets itself
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "transfer-encoding",
              "upgrade", "content-length", "host"}

MAX_TOKENS_KEPT = 10000


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self, tokens_too=True):
        with self.lock:
            self.requests = 0
            self.forwarded = 0
            self.rejected = 0
            self.forbidden = 0
            self.upstream_errors = 0
            self.accepted_kinds = {}
            self.reject_reasons = {}
            if tokens_too:
                self.tokens = []
                self.token_set = set()

    def snapshot(self):
        with self.lock:
            return {"requests": self.requests, "forwarded": self.forwarded,
                    "rejected": self.rejected, "forbidden": self.forbidden,
                    "upstream_errors": self.upstream_errors,
                    "accepted_kinds": dict(self.accepted_kinds),
                    "reject_reasons": dict(self.reject_reasons),
                    "tokens": list(self.tokens)}

    def bump(self, name, n=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + n)

    def bump_map(self, name, key):
        with self.lock:
            m = getattr(self, name)
            m[key] = m.get(key, 0) + 1

    def saw_token(self, tok):
        with self.lock:
            if tok not in self.token_set and len(self.tokens) < MAX_TOKENS_KEPT:
                self.token_set.add(tok)
                self.tokens.append(tok)


STATS = Stats()
ARGS = None


def split_base(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        sys.exit("auth_proxy: only http:// base URLs are supported: %r" % url)
    return u.hostname, u.port or 80, u.path.rstrip("/")


def tokeninfo(token):
    """The stand-ins' view of a token: dict with "valid" (and kind, scope)."""
    host, port, prefix = ARGS.tokeninfo_hp
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "%s/__tokeninfo?%s" % (
            prefix, urllib.parse.urlencode({"token": token})))
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            return None
        return json.loads(body.decode("utf-8"))
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "auth-proxy/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("AUTH_PROXY_VERBOSE"):
            sys.stderr.write("auth_proxy: " + (fmt % args) + "\n")

    # -- plumbing ----------------------------------------------------------

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra_headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def read_body(self):
        """The request body (Content-Length or chunked), or b""."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("EOF in chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers up to the empty line
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(3)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # -- dispatch ----------------------------------------------------------

    def handle_any(self, method):
        try:
            body = self.read_body()
        except (ValueError, ConnectionError, OSError):
            self.close_connection = True
            return
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/__"):
            return self.control(method, path)
        STATS.bump("requests")

        auth = self.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not token:
            STATS.bump("rejected")
            STATS.bump_map("reject_reasons", "no bearer token")
            return self.send_json(401, UNAUTHENTICATED,
                                  [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')])
        STATS.saw_token(token)
        info = tokeninfo(token)
        if info is None or not info.get("valid"):
            STATS.bump("rejected")
            STATS.bump_map("reject_reasons",
                           "tokeninfo unavailable" if info is None else
                           ("expired token" if "expires" in info else "unknown token"))
            return self.send_json(401, UNAUTHENTICATED,
                                  [("WWW-Authenticate",
                                    'Bearer realm="https://accounts.google.com/", error="invalid_token"')])
        scopes = (info.get("scope") or "").split()
        if not any(s in SPANNER_SCOPES for s in scopes):
            STATS.bump("forbidden")
            return self.send_json(403, INSUFFICIENT_SCOPES)
        STATS.bump_map("accepted_kinds", info.get("kind") or "?")
        self.forward(method, body)

    def forward(self, method, body):
        host, port, prefix = ARGS.upstream_hp
        headers = {}
        for k, v in self.headers.items():
            lk = k.lower()
            if lk in HOP_BY_HOP or lk == "authorization" or lk == "expect":
                continue
            headers[k] = v
        headers["Host"] = "%s:%d" % (host, port)
        if body or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(host, port, timeout=ARGS.upstream_timeout)
        try:
            try:
                conn.request(method, prefix + self.path, body=body or None,
                             headers=headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                STATS.bump("upstream_errors")
                return self.send_json(502, {"error": {
                    "code": 502, "status": "UNAVAILABLE",
                    "message": "auth_proxy: upstream %s:%d failed: %s" % (host, port, e)}})
            STATS.bump("forwarded")
            self.relay(method, resp)
        finally:
            conn.close()

    def relay(self, method, resp):
        no_body = (method == "HEAD" or resp.status in (204, 304)
                   or 100 <= resp.status < 200)
        length = resp.getheader("Content-Length")
        chunked = "chunked" in (resp.getheader("Transfer-Encoding") or "").lower()
        try:
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() in HOP_BY_HOP or k.lower() in ("date", "server"):
                    continue
                self.send_header(k, v)
            if no_body:
                self.send_header("Content-Length", length or "0")
                self.end_headers()
                self.wfile.flush()
                return
            if length is not None and not chunked:
                self.send_header("Content-Length", length)
                self.end_headers()
                left = int(length)
                while left > 0:
                    data = resp.read1(min(left, 65536))
                    if not data:
                        raise ConnectionError("upstream closed early")
                    self.wfile.write(data)
                    self.wfile.flush()
                    left -= len(data)
                return
            # unknown length: pass each piece on as a chunk as it arrives
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionError,
                OSError, http.client.HTTPException):
            # client went away (a cancelled or closed stream) or upstream
            # broke mid-body: drop this connection, the client sees the cut
            self.close_connection = True

    # -- control -----------------------------------------------------------

    def control(self, method, path):
        if path == "/__stats" and method == "GET":
            return self.send_json(200, STATS.snapshot())
        if path == "/__reset" and method == "POST":
            STATS.reset(tokens_too=False)
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"error": {"code": 404, "message": "not found",
                                              "status": "NOT_FOUND"}})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_HEAD(self):
        self.handle_any("HEAD")


def main():
    global ARGS
    ap = argparse.ArgumentParser(
        description="Authenticating reverse proxy for the Spanner emulator")
    ap.add_argument("--upstream", required=True,
                    help="the emulator's REST base URL, e.g. http://127.0.0.1:9020")
    ap.add_argument("--tokeninfo", required=True,
                    help="base URL of test/standins/auth_standins.py")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--upstream-timeout", type=float, default=300.0,
                    help="seconds to wait for the emulator (default 300)")
    ARGS = ap.parse_args()
    ARGS.upstream_hp = split_base(ARGS.upstream)
    ARGS.tokeninfo_hp = split_base(ARGS.tokeninfo)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, ARGS.port_file)
    print(port, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
