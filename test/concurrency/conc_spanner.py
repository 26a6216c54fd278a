#!/usr/bin/env python3
"""Spanner (emulator) side of test/concurrency/run_concurrency.sh: load the
tables, probe fault injection, and check what the concurrent clients left
behind -- read straight from Spanner over REST, not through spanner_fdw.

Python 3 standard library only.  Every command takes ENDPOINT (the emulator's
REST URL, http://127.0.0.1:PORT) and DB (projects/P/instances/I/databases/D)
first.  Commits are single-use read-write commits of mutations, repeated on
ABORTED (the emulator runs with --enable_fault_injection).

  conc_spanner.py ENDPOINT DB load NACCOUNTS BALANCE
      accounts 1..NACCOUNTS with BALANCE each; counters row 1 with n = 0
  conc_spanner.py ENDPOINT DB probe-faults MAX
      up to MAX single-use commits, until one is aborted by fault injection;
      prints "commits=K" and "injected_abort=0|1" lines
  conc_spanner.py ENDPOINT DB transfers NACCOUNTS BALANCE LOG...
      checks accounts and transfers against the pgbench transaction logs LOG
      (see check_transfers); prints "key=value" lines and "verdict ..." lines
  conc_spanner.py ENDPOINT DB delete-transfer ID
      deletes transfer ID (a control: the transfers check must then fail)
  conc_spanner.py ENDPOINT DB counter LOG...
      prints "counter=N committed=M" (M: transactions the logs show as
      committed)
  conc_spanner.py ENDPOINT DB events ROWS_PER_TX LOG...
      checks the events table against the logs (see check_events)

A pgbench transaction log (pgbench -l, PostgreSQL 15) has one line per
transaction: "client_id transaction_no time script_no time_epoch time_us
[retries]"; time is "failed" (or "serialization" / "deadlock" with
--failures-detailed) for a transaction that failed after its last try.
"""
import json
import sys
import time
import urllib.error
import urllib.request

ENDPOINT = DB = None


def call(method, path, body=None):
    """(HTTP status, decoded JSON body) of one REST call."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(ENDPOINT.rstrip("/") + "/v1/" + path, data=data,
                                 method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"{}")
        except ValueError:
            return e.code, {"message": raw.decode("utf-8", "replace")}


def session():
    st, r = call("POST", DB + "/sessions", {})
    if st != 200:
        sys.exit("creating a session failed: %s %s" % (st, r))
    return r["name"]


def commit(mutations, tries=50):
    """Single-use commit, repeated on ABORTED; returns the number of aborts."""
    s = session()
    try:
        for i in range(tries):
            st, r = call("POST", s + ":commit",
                         {"singleUseTransaction": {"readWrite": {}},
                          "mutations": mutations})
            if st == 200:
                return i
            if r.get("code") != 10:
                sys.exit("commit failed: %s %s" % (st, r))
            time.sleep(0.01)
        sys.exit("commit still aborted after %d tries" % tries)
    finally:
        call("DELETE", s)


def query(sql):
    """Rows of one strong single-use read (values as Spanner sends them)."""
    s = session()
    try:
        st, r = call("POST", s + ":executeSql", {"sql": sql})
        if st != 200:
            sys.exit("query failed: %s %s\n%s" % (st, r, sql))
        return r.get("rows", [])
    finally:
        call("DELETE", s)


def committed_by_client(logs):
    """{client_id: number of transactions the logs show as committed},
    and the number of failed ones."""
    ok, failed = {}, 0
    for path in logs:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 3:
                    continue
                c = int(p[0])
                ok.setdefault(c, 0)
                if p[2] in ("failed", "serialization", "deadlock", "skipped"):
                    failed += 1
                else:
                    ok[c] += 1
    return ok, failed


def show(key, value):
    print("%s=%s" % (key, value))


def load(naccounts, balance):
    rows = [[str(i), str(balance)] for i in range(1, naccounts + 1)]
    commit([{"insert": {"table": "accounts", "columns": ["id", "balance"],
                        "values": rows}},
            {"insert": {"table": "counters", "columns": ["id", "n"],
                        "values": [["1", "0"]]}}])


def probe_faults(limit):
    s = session()
    try:
        for i in range(1, limit + 1):
            st, r = call("POST", s + ":commit",
                         {"singleUseTransaction": {"readWrite": {}},
                          "mutations": [{"insertOrUpdate": {
                              "table": "probe", "columns": ["id"],
                              "values": [[str(i % 10)]]}}]})
            if st != 200:
                if r.get("code") == 10 and "mimic production" in r.get("message", ""):
                    show("commits", i)
                    show("injected_abort", 1)
                    return
                sys.exit("probe commit failed: %s %s" % (st, r))
        show("commits", limit)
        show("injected_abort", 0)
    finally:
        call("DELETE", s)


def check_transfers(naccounts, balance, logs):
    """What must hold after the transfer clients:
    - the accounts are still 1..NACCOUNTS and their total is unchanged;
    - the transfer ids are exactly t<c>-<k> for k = 1..(transactions client
      c committed, by the pgbench log): none lost, none extra (each client
      numbers its transfers and counts one up only after a COMMIT succeeded);
    - every account's balance is BALANCE plus what the recorded transfers
      brought in minus what they took out."""
    accounts = {int(r[0]): int(r[1]) for r in query("SELECT id, balance FROM accounts")}
    transfers = query("SELECT id, src, dst, amount FROM transfers")
    ok, failed = committed_by_client(logs)
    want_ids = {"t%d-%d" % (c, k) for c, n in ok.items() for k in range(1, n + 1)}
    got_ids = [r[0] for r in transfers]
    net = {i: 0 for i in accounts}
    bad_rows = 0
    for _, src, dst, amount in transfers:
        src, dst, amount = int(src), int(dst), int(amount)
        if src not in net or dst not in net or src == dst or amount <= 0:
            bad_rows += 1
            continue
        net[src] -= amount
        net[dst] += amount
    wrong = ["account %d: balance %d, expected %d" % (i, accounts[i], balance + net[i])
             for i in sorted(accounts) if accounts[i] != balance + net[i]]
    missing = sorted(want_ids - set(got_ids))
    extra = sorted(set(got_ids) - want_ids)
    show("accounts", len(accounts))
    show("total", sum(accounts.values()))
    show("expected_total", naccounts * balance)
    show("transfers", len(got_ids))
    show("committed", sum(ok.values()))
    show("failed", failed)
    show("missing", len(missing))
    show("extra", len(extra))
    show("bad_rows", bad_rows)
    show("wrong_balances", len(wrong))
    show("moved", sum(int(r[3]) for r in transfers))
    for m in missing[:10]:
        print("verdict missing transfer %s" % m)
    for m in extra[:10]:
        print("verdict unexpected transfer %s" % m)
    for w in wrong[:10]:
        print("verdict %s" % w)


def check_counter(logs):
    rows = query("SELECT n FROM counters WHERE id = 1")
    ok, failed = committed_by_client(logs)
    show("counter", rows[0][0] if rows else "none")
    show("committed", sum(ok.values()))
    show("failed", failed)


def check_events(per_tx, logs):
    """Events ids are e<c>-<k>-<j>, j = 1..ROWS_PER_TX, for k = 1..(statements
    client c completed): exactly those, each once."""
    ids = [r[0] for r in query("SELECT id FROM events")]
    ok, failed = committed_by_client(logs)
    want = {"e%d-%d-%d" % (c, k, j) for c, n in ok.items()
            for k in range(1, n + 1) for j in range(1, per_tx + 1)}
    show("events", len(ids))
    show("distinct", len(set(ids)))
    show("expected", len(want))
    show("committed", sum(ok.values()))
    show("failed", failed)
    missing = sorted(want - set(ids))
    extra = sorted(set(ids) - want)
    show("missing", len(missing))
    show("extra", len(extra))
    for m in missing[:10]:
        print("verdict missing event %s" % m)
    for m in extra[:10]:
        print("verdict unexpected event %s" % m)


def main():
    global ENDPOINT, DB
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ENDPOINT, DB, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    if cmd == "load":
        load(int(args[0]), int(args[1]))
    elif cmd == "probe-faults":
        probe_faults(int(args[0]))
    elif cmd == "transfers":
        check_transfers(int(args[0]), int(args[1]), args[2:])
    elif cmd == "delete-transfer":
        commit([{"delete": {"table": "transfers", "keySet": {"keys": [[args[0]]]}}}])
    elif cmd == "counter":
        check_counter(args)
    elif cmd == "events":
        check_events(int(args[0]), args[1:])
    else:
        sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
