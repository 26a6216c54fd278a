#!/usr/bin/env python3
# test/standins/auth_standins.py
#   Local stand-ins for Google STS, IAM Credentials, EC2 instance metadata
#   (IMDSv2 only) and the ECS/EKS container credentials endpoint.
#
# Python 3 standard library only.  One HTTP server on 127.0.0.1, port 0
# (the kernel picks it); the chosen port is printed on stdout and, with
# --port-file, written to that file.  Stops on SIGTERM.
#
#   POST /v1/token                         Google STS (RFC 8693 exchange)
#   POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken
#                                          IAM Credentials
#   PUT  /latest/api/token                 IMDSv2 session token
#   GET  /latest/meta-data/...             EC2 metadata (token required)
#   GET  <ecs relative_uri | full_uri_path> container credentials
#   GET  /__stats                          call counters and last requests
#   GET  /__tokeninfo?token=T              what a token issued here is
#   POST /__config  {json}                 runtime knobs (see RUNTIME)
#   POST /__reset                          counters and knobs back to start
#
# With --tls-cert/--tls-key the same endpoints are served over HTTPS (used
# to test certificate verification and the CA-file option).
#
# The STS stand-in really verifies the subject token: it decodes it,
# recomputes the AWS Signature Version 4 of the GetCallerIdentity request
# with the secret it knows for the access key, and checks the signed
# x-goog-cloud-target-resource against the audience, the session token,
# the date and the URL.  Failures are answered the way Google STS does:
# HTTP 400 {"error": "invalid_grant", "error_description": ...}.
#
# Copyright (c) 2026 spanner_fdw developers

import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"

RUNTIME_DEFAULTS = {
    "sts_expires_in": None,     # None: the config file's value
    "sts_delay": 0.0,           # seconds to stall before answering STS
                                # (dropped if the client hangs up first)
    "sts_big": False,           # answer STS with a 2 MiB body
    "sts_fail_plain": 0,        # answer STS with this status, text body
}


class State:
    def __init__(self, config):
        self.config = config
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.counts = {}
            self.last = {}
            self.runtime = dict(RUNTIME_DEFAULTS)
            # tokens issued here: token -> info
            self.tokens = {}
            self.imds_tokens = {}

    def count(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def remember(self, key, value):
        with self.lock:
            self.last[key] = value


STATE = None


# ---------------------------------------------------------------------------
# SigV4, written independently of the C signer
# ---------------------------------------------------------------------------

def _uri_encode(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        if not part:
            continue
        k, _, v = part.partition("=")
        k = urllib.parse.unquote_plus(k)
        v = urllib.parse.unquote_plus(v)
        pairs.append((_uri_encode(k), _uri_encode(v)))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def canonical_path(path):
    if not path:
        return "/"
    segs = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(_uri_encode(urllib.parse.unquote(seg)))
    out = "/" + "/".join(segs)
    if path.endswith("/") and segs:
        out += "/"
    return out


def hmac256(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_signature(secret, method, url, headers, signed, date, region,
                    service, body=""):
    """headers: dict lower-case name -> value; signed: list of names."""
    u = urllib.parse.urlsplit(url)
    canon_headers = "".join(
        "%s:%s\n" % (h, " ".join(headers[h].split())) for h in signed)
    creq = "\n".join([
        method,
        canonical_path(u.path),
        canonical_query(u.query),
        canon_headers,
        ";".join(signed),
        hashlib.sha256(body.encode("utf-8")).hexdigest(),
    ])
    scope = "%s/%s/%s/aws4_request" % (date[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    k = hmac256(("AWS4" + secret).encode("utf-8"), date[:8])
    k = hmac256(k, region)
    k = hmac256(k, service)
    k = hmac256(k, "aws4_request")
    return hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()


AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([a-z0-9-]+)/sts/aws4_request,"
    r" SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")
HOST_RE = re.compile(r"^sts\.([a-z0-9-]+)\.amazonaws\.com$")


class GrantError(Exception):
    pass


def aws_error(kind, message):
    return GrantError("Received invalid AWS response of type %s with error "
                      "message: %s" % (kind, message))


def verify_subject_token(token, audience):
    """Returns the AWS access key id the token proves."""
    try:
        req = json.loads(urllib.parse.unquote_plus(token))
    except ValueError:
        raise GrantError("The subject token is not a URL-encoded JSON object.")
    if not isinstance(req, dict) or set(req) - {"url", "method", "headers", "body"}:
        raise GrantError("The subject token has unexpected members.")
    if req.get("method") != "POST":
        raise GrantError("The subject token must describe a POST request.")
    headers = {}
    for h in req.get("headers") or []:
        name = h.get("key", "").lower()
        if name in headers:
            raise GrantError("Duplicate header %s in the subject token." % name)
        headers[name] = h.get("value", "")
    for need in ("authorization", "host", "x-amz-date",
                 "x-goog-cloud-target-resource"):
        if need not in headers:
            raise GrantError("The subject token lacks the %s header." % need)
    url = req.get("url", "")
    u = urllib.parse.urlsplit(url)
    m = HOST_RE.match(u.hostname or "")
    if u.scheme != "https" or not m or u.port:
        raise GrantError("The subject token URL is not a regional AWS STS endpoint.")
    url_region = m.group(1)
    if headers["host"] != u.hostname:
        raise GrantError("The host header does not match the URL.")
    if canonical_query(u.query) != "Action=GetCallerIdentity&Version=2011-06-15":
        raise GrantError("The subject token is not a GetCallerIdentity request.")
    if headers["x-goog-cloud-target-resource"] != audience:
        raise GrantError("The x-goog-cloud-target-resource header does not "
                         "match the audience.")
    a = AUTH_RE.match(headers["authorization"])
    if not a:
        raise aws_error("IncompleteSignature",
                        "Authorization header requires Credential, "
                        "SignedHeaders and Signature.")
    akid, datestamp, region, signed, signature = a.groups()
    signed = signed.split(";")
    if signed != sorted(signed):
        raise aws_error("IncompleteSignature", "SignedHeaders are not sorted.")
    if region != url_region:
        raise aws_error("SignatureDoesNotMatch",
                        "Credential should be scoped to a valid region.")
    key = STATE.config["aws_keys"].get(akid)
    if key is None:
        raise aws_error("InvalidClientTokenId",
                        "The security token included in the request is invalid.")
    for need in ("host", "x-amz-date", "x-goog-cloud-target-resource"):
        if need not in signed:
            raise GrantError("The %s header must be signed." % need)
    for name in signed:
        if name not in headers:
            raise GrantError("Signed header %s is missing." % name)
    if key.get("session_token"):
        if "x-amz-security-token" not in signed:
            raise aws_error("InvalidClientTokenId",
                            "The security token included in the request is invalid.")
        if headers["x-amz-security-token"] != key["session_token"]:
            raise aws_error("InvalidClientTokenId",
                            "The security token included in the request is invalid.")
    date = headers["x-amz-date"]
    try:
        t = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise aws_error("IncompleteSignature", "Invalid X-Amz-Date.")
    if date[:8] != datestamp:
        raise aws_error("SignatureDoesNotMatch",
                        "Date in Credential scope does not match X-Amz-Date.")
    if abs(time.time() - t.timestamp()) > 15 * 60:
        raise aws_error("SignatureDoesNotMatch",
                        "Signature expired: the request time is too skewed.")
    want = sigv4_signature(key["secret"], "POST", url, headers, signed, date,
                           region, "sts", req.get("body") or "")
    if not hmac.compare_digest(want, signature):
        raise aws_error("SignatureDoesNotMatch",
                        "The request signature we calculated does not match "
                        "the signature you provided. Check your AWS Secret "
                        "Access Key and signing method. Consult the service "
                        "documentation for details.")
    STATE.remember("sts_region", region)
    return akid


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    server_version = "auth-standins/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("AUTH_STANDINS_VERBOSE"):
            sys.stderr.write("standins: " + (fmt % args) + "\n")

    # -- plumbing ----------------------------------------------------------

    def send(self, status, body, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode("utf-8") if n else ""

    def route(self, method):
        path = urllib.parse.urlsplit(self.path).path
        cfg = STATE.config
        if path.startswith("/__"):
            return self.control(method, path)
        if method == "POST" and path == "/v1/token":
            return self.sts()
        m = re.match(r"^/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken$", path)
        if method == "POST" and m:
            return self.iam(urllib.parse.unquote(m.group(1)))
        if path == "/latest/api/token":
            return self.imds_token(method)
        if path.startswith("/latest/meta-data/"):
            return self.imds_get(method, path)
        if method == "GET" and path in (cfg["ecs"]["relative_uri"],
                                        cfg["ecs"]["full_uri_path"]):
            return self.ecs()
        STATE.count("not_found")
        self.send(404, {"error": "not found"})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    # -- control -----------------------------------------------------------

    def control(self, method, path):
        if path == "/__stats":
            with STATE.lock:
                return self.send(200, {"counts": dict(STATE.counts),
                                       "last": dict(STATE.last)})
        if path == "/__tokeninfo":
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            tok = (q.get("token") or [""])[0]
            with STATE.lock:
                info = STATE.tokens.get(tok)
            if info is None:
                return self.send(200, {"valid": False})
            out = dict(info)
            out["valid"] = info["expires"] > time.time()
            return self.send(200, out)
        if path == "/__config" and method == "POST":
            try:
                knobs = json.loads(self.body() or "{}")
            except ValueError:
                return self.send(400, {"error": "bad json"})
            with STATE.lock:
                for k, v in knobs.items():
                    if k not in RUNTIME_DEFAULTS:
                        return self.send(400, {"error": "unknown knob " + k})
                    STATE.runtime[k] = v
            return self.send(200, {"ok": True})
        if path == "/__reset" and method == "POST":
            STATE.reset()
            return self.send(200, {"ok": True})
        self.send(404, {"error": "not found"})

    # -- Google STS --------------------------------------------------------

    def sts_error(self, code, description, status=400):
        STATE.count("sts_rejected")
        STATE.remember("sts_error", code)
        self.send(status, {"error": code, "error_description": description})

    def stall(self, seconds):
        """Wait SECONDS before answering.  Returns False, counting
        "sts_abandoned", if the client hangs up meanwhile (a cancelled
        exchange): nothing is answered then, and a later request never
        races a stale answer.  Over TLS a hang-up is not detected (the
        close alert is data): the full delay is waited."""
        end = time.monotonic() + seconds
        plain = not isinstance(self.connection, ssl.SSLSocket)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            if not plain:
                time.sleep(min(left, 0.05))
                continue
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if not readable:
                continue
            try:
                data = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                data = b""
            if not data:
                STATE.count("sts_abandoned")
                self.close_connection = True
                return False
            time.sleep(min(left, 0.05))     # more bytes (not ours): keep waiting

    def sts(self):
        STATE.count("sts")
        rt = STATE.runtime
        body = self.body()      # first, so that a hang-up shows during a stall
        if rt["sts_delay"] and not self.stall(float(rt["sts_delay"])):
            return
        if rt["sts_fail_plain"]:
            return self.send(int(rt["sts_fail_plain"]),
                             "upstream unavailable", "text/plain")
        if rt["sts_big"]:
            return self.send(200, " " * (2 * 1024 * 1024))
        cfg = STATE.config
        if self.headers.get("Authorization"):
            return self.sts_error("invalid_request",
                                  "Do not send the Authorization header to the token endpoint.")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return self.sts_error("invalid_request", "Unsupported content type.")
        try:
            form = urllib.parse.parse_qs(body, keep_blank_values=True,
                                         strict_parsing=True)
        except ValueError:
            return self.sts_error("invalid_request", "Malformed form body.")
        if any(len(v) != 1 for v in form.values()):
            return self.sts_error("invalid_request", "Repeated form field.")
        f = {k: v[0] for k, v in form.items()}
        STATE.remember("sts_scope", f.get("scope"))
        STATE.remember("sts_fields", sorted(f))
        if f.get("grant_type") != GRANT_TYPE:
            return self.sts_error("unsupported_grant_type",
                                  "Unsupported grant_type.")
        if f.get("requested_token_type") != ACCESS_TOKEN_TYPE:
            return self.sts_error("invalid_request",
                                  "Invalid requested_token_type.")
        if f.get("subject_token_type") != AWS_TOKEN_TYPE:
            return self.sts_error("invalid_request",
                                  "Invalid subject_token_type.")
        if f.get("audience") != cfg["audience"]:
            return self.sts_error("invalid_target",
                                  "The target service indicated by the "
                                  "\"audience\" parameters is invalid.")
        if f.get("scope") not in cfg["sts_scopes"]:
            return self.sts_error("invalid_scope", "Invalid scope.")
        try:
            akid = verify_subject_token(f.get("subject_token", ""),
                                        cfg["audience"])
        except GrantError as e:
            return self.sts_error("invalid_grant", str(e))
        expires_in = rt["sts_expires_in"] or cfg.get("sts_expires_in", 3600)
        tok = "sts." + secrets.token_hex(16)
        with STATE.lock:
            STATE.tokens[tok] = {"kind": "sts", "scope": f["scope"],
                                 "subject": akid,
                                 "expires": time.time() + expires_in}
        STATE.remember("sts_subject", akid)
        self.send(200, {"access_token": tok,
                        "issued_token_type": ACCESS_TOKEN_TYPE,
                        "token_type": "Bearer",
                        "expires_in": expires_in})

    # -- IAM Credentials ---------------------------------------------------

    def iam_error(self, status, code, message):
        STATE.count("iam_rejected")
        self.send(status, {"error": {"code": status, "message": message,
                                     "status": code}})

    def iam(self, email):
        STATE.count("iam")
        cfg = STATE.config
        auth = self.headers.get("Authorization") or ""
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with STATE.lock:
            info = STATE.tokens.get(tok) if tok else None
        if (info is None or info["kind"] != "sts"
                or info["expires"] <= time.time()):
            return self.iam_error(401, "UNAUTHENTICATED",
                                  "Request had invalid authentication credentials.")
        if info["scope"] != CLOUD_PLATFORM:
            return self.iam_error(403, "PERMISSION_DENIED",
                                  "Request had insufficient authentication scopes.")
        if email not in cfg["service_accounts"]:
            return self.iam_error(403, "PERMISSION_DENIED",
                                  "Permission 'iam.serviceAccounts.getAccessToken' "
                                  "denied on resource (or it may not exist).")
        try:
            req = json.loads(self.body())
        except ValueError:
            return self.iam_error(400, "INVALID_ARGUMENT", "Invalid JSON payload.")
        STATE.remember("iam_request", req)
        scope = req.get("scope")
        if not isinstance(scope, list) or not scope:
            return self.iam_error(400, "INVALID_ARGUMENT", "Scope required.")
        if sorted(scope) != sorted(cfg["iam_scopes"]):
            return self.iam_error(400, "INVALID_ARGUMENT",
                                  "Unexpected scope %s." % scope)
        lifetime = req.get("lifetime", "3600s")
        m = re.match(r"^(\d+)s$", str(lifetime))
        if not m or not 1 <= int(m.group(1)) <= 43200:
            return self.iam_error(400, "INVALID_ARGUMENT",
                                  "Request contains an invalid argument.")
        secs = int(m.group(1))
        if secs > 3600:
            return self.iam_error(400, "INVALID_ARGUMENT",
                                  "The lifetime exceeds 3600s without the "
                                  "lifetime extension organization policy.")
        new = "iam." + secrets.token_hex(16)
        expires = time.time() + secs
        with STATE.lock:
            STATE.tokens[new] = {"kind": "iam", "scope": " ".join(scope),
                                 "subject": email, "via": info["subject"],
                                 "expires": expires}
        self.send(200, {"accessToken": new, "expireTime": rfc3339(expires)})

    # -- EC2 instance metadata (IMDSv2 only) --------------------------------

    def imds_token(self, method):
        if method != "PUT":
            STATE.count("imds_rejected")
            return self.send(405, "", "text/plain")
        STATE.count("imds_put")
        if self.headers.get("X-Forwarded-For"):
            STATE.count("imds_rejected")
            return self.send(403, "", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            STATE.count("imds_rejected")
            return self.send(400, "", "text/plain")
        tok = "imdsv2-" + secrets.token_hex(16)
        with STATE.lock:
            STATE.imds_tokens[tok] = time.time() + int(ttl)
        STATE.remember("imds_ttl", ttl)
        self.send(200, tok, "text/plain")

    def imds_get(self, method, path):
        cfg = STATE.config["imds"]
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with STATE.lock:
            exp = STATE.imds_tokens.get(tok) if tok else None
        if method != "GET" or exp is None or exp <= time.time():
            STATE.count("imds_unauthorized")
            return self.send(401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials"
        if path == "/latest/meta-data/placement/availability-zone":
            STATE.count("imds_region")
            return self.send(200, cfg["zone"], "text/plain")
        if path in (base, base + "/"):
            STATE.count("imds_role")
            return self.send(200, cfg["role"], "text/plain")
        if path == base + "/" + cfg["role"]:
            STATE.count("imds_credentials")
            akid = cfg["access_key_id"]
            key = STATE.config["aws_keys"][akid]
            return self.send(200, {
                "Code": "Success", "LastUpdated": rfc3339(time.time()),
                "Type": "AWS-HMAC", "AccessKeyId": akid,
                "SecretAccessKey": key["secret"], "Token": key["session_token"],
                "Expiration": rfc3339(time.time() + 6 * 3600)})
        STATE.count("imds_not_found")
        self.send(404, "", "text/plain")

    # -- ECS / EKS container credentials -----------------------------------

    def ecs(self):
        STATE.count("ecs")
        cfg = STATE.config["ecs"]
        if cfg.get("authorization") and \
                self.headers.get("Authorization") != cfg["authorization"]:
            STATE.count("ecs_rejected")
            return self.send(401, {"code": "AccessDeniedException",
                                   "message": "Invalid authorization token"})
        akid = cfg["access_key_id"]
        key = STATE.config["aws_keys"][akid]
        self.send(200, {"AccessKeyId": akid, "SecretAccessKey": key["secret"],
                        "Token": key["session_token"],
                        "Expiration": rfc3339(time.time() + 6 * 3600)})


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True, help="stand-in config JSON")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate")
    ap.add_argument("--tls-key", help="private key of --tls-cert")
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as fh:
        STATE = State(json.load(fh))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
