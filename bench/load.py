#!/usr/bin/env python3
"""Load the benchmark table into a Cloud Spanner (emulator) database.

Python 3 standard library only.  Deterministic: every value is a formula of
the row number.  The table must exist (bench/schema.ddl):

    CREATE TABLE t (id INT64 NOT NULL, s STRING(MAX), f FLOAT64, n INT64,
                    ts TIMESTAMP, arr ARRAY<STRING(MAX)>, b BYTES(MAX))
      PRIMARY KEY (id)

Rows are written with single-use read-write commits of "insert" mutations,
--batch rows per commit (default 2000), over one keep-alive HTTP connection.

Row i (i = 1..N), about 185 bytes of data and ~265 bytes of JSON per row:
    id   i
    s    "row %08d " + a slice of a fixed lorem-ipsum text, 60..139 characters
         in all; NULL if i % 50 == 0
    f    i * 0.25 + (i % 97) / 7.0 (non-terminating binary fractions)
    n    (i * 2654435761) % 2**40 - 2**39 (negative about half the time);
         NULL if i % 17 == 0
    ts   2024-01-01T00:00:00Z + i seconds + ((i * 7919) % 1000000) microseconds
    arr  ["tag%d" % (i % 10), "k%06d" % ((i * 31) % 1000000), NULL if i % 7 == 0
          else "v" * (i % 13)]
    b    sha256(b"%d" % i) (32 bytes) + bytes(i % 16 zero-to-15 values)
         (32..47 bytes, 44..64 base64 characters)

Usage:
    load.py --endpoint http://127.0.0.1:PORT --project P --instance I \
            --database bench --rows 100000 [--batch 2000]
    load.py --dump 3        # print the first rows' mutation values as JSON
"""

import argparse
import base64
import hashlib
import http.client
import json
import sys
import time
import urllib.parse

LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, "
         "quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo.")
BASE_TS = 1704067200  # 2024-01-01T00:00:00Z
COLUMNS = ["id", "s", "f", "n", "ts", "arr", "b"]


def ts_text(i):
    secs = BASE_TS + i
    micros = (i * 7919) % 1000000
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, micros)


def row(i):
    if i % 50 == 0:
        s = None
    else:
        head = "row %08d " % i
        total = 60 + (i * 7919) % 80
        start = (i * 13) % 60
        s = head + LOREM[start:start + total - len(head)]
    f = i * 0.25 + (i % 97) / 7.0
    n = None if i % 17 == 0 else str((i * 2654435761) % (1 << 40) - (1 << 39))
    arr = ["tag%d" % (i % 10), "k%06d" % ((i * 31) % 1000000),
           None if i % 7 == 0 else "v" * (i % 13)]
    b = hashlib.sha256(b"%d" % i).digest() + bytes(range(i % 16))
    return [str(i), s, f, n, ts_text(i), arr, base64.b64encode(b).decode("ascii")]


class Rest:
    def __init__(self, endpoint):
        u = urllib.parse.urlsplit(endpoint)
        if u.scheme != "http":
            sys.exit("only http:// endpoints (the emulator) are supported")
        self.host, self.port = u.hostname, u.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        self.conn.request(method, "/v1/" + path, body=data, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read()
        if resp.status // 100 != 2:
            raise RuntimeError("%s /v1/%s -> HTTP %d: %s" % (
                method, path, resp.status, text[:500].decode("utf-8", "replace")))
        return json.loads(text) if text else {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint")
    ap.add_argument("--project")
    ap.add_argument("--instance")
    ap.add_argument("--database", default="bench")
    ap.add_argument("--table", default="t")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--dump", type=int, metavar="K",
                    help="print the first K rows as JSON and exit")
    a = ap.parse_args()

    if a.dump:
        for i in range(1, a.dump + 1):
            print(json.dumps(dict(zip(COLUMNS, row(i))), ensure_ascii=False))
        return
    if not (a.endpoint and a.project and a.instance):
        ap.error("--endpoint, --project and --instance are required")

    rest = Rest(a.endpoint)
    db = "projects/%s/instances/%s/databases/%s" % (a.project, a.instance, a.database)
    session = rest.call("POST", db + "/sessions", {})["name"]
    t0 = time.monotonic()
    json_bytes = 0
    commits = 0
    try:
        for lo in range(1, a.rows + 1, a.batch):
            hi = min(a.rows, lo + a.batch - 1)
            values = [row(i) for i in range(lo, hi + 1)]
            body = {"singleUseTransaction": {"readWrite": {}},
                    "mutations": [{"insert": {"table": a.table, "columns": COLUMNS,
                                              "values": values}}]}
            json_bytes += len(json.dumps(values))
            rest.call("POST", session + ":commit", body)
            commits += 1
            if commits % 50 == 0:
                el = time.monotonic() - t0
                print("  loaded %d rows (%.0f rows/s)" % (hi, hi / el), file=sys.stderr)
    finally:
        try:
            rest.call("DELETE", session)
        except Exception:  # noqa: BLE001 - best effort
            pass
    el = time.monotonic() - t0
    print("loaded %d rows into %s.%s in %d commits, %.1f s (%.0f rows/s); "
          "%.1f bytes of JSON values per row" % (
              a.rows, a.database, a.table, commits, el, a.rows / el if el else 0,
              json_bytes / max(a.rows, 1)), file=sys.stderr)


if __name__ == "__main__":
    main()
