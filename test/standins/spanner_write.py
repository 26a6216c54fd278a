#!/usr/bin/env python3
"""Commit mutations to a Spanner (emulator) database out of band, for tests
that check what a running PostgreSQL transaction sees.

Usage: spanner_write.py ENDPOINT DATABASE_PATH MUTATIONS_JSON
Creates a session, commits the mutations in a single-use read-write
transaction, deletes the session.  Python 3 standard library only.
"""
import json
import sys
import urllib.request


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def main():
    endpoint, db, mutations = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    base = endpoint.rstrip("/") + "/v1/"
    session = call("POST", base + db + "/sessions", {})["name"]
    try:
        call("POST", base + session + ":commit",
             {"singleUseTransaction": {"readWrite": {}}, "mutations": mutations})
    finally:
        call("DELETE", base + session)


if __name__ == "__main__":
    main()
