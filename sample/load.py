#!/usr/bin/env python3
"""Load the spanner_fdw sample data into a Cloud Spanner (emulator) database.

Python 3 standard library only.  Deterministic: every value is a formula of
the row number; nothing is random, nothing depends on the clock.  Regression
tests assert on these exact values, so change a formula only together with the
expected files that depend on it.

Usage:
    load.py --endpoint http://127.0.0.1:9020 --project demo-project \
            --instance demo-instance --database demo [--verify]
    load.py --dump TABLE            # print the generated rows as JSON lines
    import load; load.tables()      # the same rows, from Python

The database must already exist with sample/schema.ddl.  Rows are written with
single-use read-write commits of mutations ("insert"), at most 500 rows per
commit, parents before interleaved children.

Data formulas (NULL conditions are checked first, then overrides)
=================================================================

Singers -- i = 1..50, SingerId = i
    FIRST = ["Marc", "Catalina", "Alice", "Léa", "David",
             "日本", "Zoë", "Émile", "Ana 🎸", "Bob"]
    FirstName  STRING(1024)  FIRST[(i-1) % 10];      NULL if i % 25 == 0
    LastName   STRING(MAX)   "Singer%03d" % i        (NOT NULL; "Singer007")
    BirthDate  DATE          date(1940+i, i%12+1, i%28+1); NULL if i % 7 == 0
    Active     BOOL          i % 3 != 0;             NULL if i % 11 == 0
    Rating     FLOAT64       (i-10) * 0.5            (-4.5 .. 20.0)
                             override i=2 NaN, i=3 +Infinity, i=4 -Infinity,
                             i=5 -0.0;               NULL if i % 13 == 0
    Score      FLOAT32       (i-20) / 4              (-4.75 .. 7.5)
                             override i=6 NaN, i=7 +Infinity, i=8 -Infinity,
                             i=9 1.1 (as float32: 1.100000023841858);
                                                     NULL if i % 17 == 0
    Fee        NUMERIC       Decimal(i*12345 - 100000) / 100  (-876.55 .. 5172.5)
                             override i=11 "99999999999999999999999999999.999999999",
                             i=12 "-0.000000001";    NULL if i % 19 == 0
    Photo      BYTES(MAX)    b"\\x00\\xff" + b"photo%d" % i;   NULL if i % 5 == 0
    Tags       ARRAY<STRING> by i % 6:  0 -> NULL,  1 -> [] (empty),
                             2 -> ["t<i>", NULL],  3 -> ["rock", "t<i>"],
                             4 -> ["pop", 'é,"{}\\', "t<i>"],  5 -> ["日本 🎸"]
    Meta       JSON          {"even": i%2==0, "id": i, "name": FirstName,
                              "tags": [i, "<i>", null]}   (FirstName may be
                             null);                  NULL if i % 9 == 0
    UpdatedAt  TIMESTAMP     2024-01-01T00:00:00Z + i days + i seconds
                             + i microseconds  (i=2: 2024-01-03T00:00:02.000002Z)
                             override i=1 "2024-01-02T00:00:01.123456789Z";
                                                     NULL if i % 23 == 0

Albums (INTERLEAVE IN PARENT Singers) -- i = 1..50, j = 1..2 (100 rows)
    SingerId = i, AlbumId = j
    AlbumTitle  "Album <i>-<j>";                     NULL if i % 15 == 0 and j == 1
    ReleaseDate date(2000 + i % 20, 3*j, 15)
    Price       "10.99" if j == 1 else "11.99";      NULL if i % 10 == 0 and j == 2
    Sales       i*1000*j - 25000   (negative for small i)
                override (1,1) -9223372036854775808, (1,2) 9223372036854775807

Concerts -- k = 1..40
    ConcertId = k
    SingerId    k % 25 + 1   (only singers 1..25 have concerts); NULL if k % 20 == 0
    Venue       VENUES[k % 4], VENUES = ["Olympia", "日本武道館", "Café Wha?", "Red Rocks"]
    ConcertDate date(2025,1,1) + 5*k days
    StartTime   ConcertDate at 20:00:00Z;            NULL if k % 8 == 0
    `Order`     (k-1) // 25 + 1   (1 for k <= 25, else 2)

genres -- g = 1..8 (lower-case table name)
    genre_id = g
    name  NAMES[g-1], NAMES = ["rock", "pop", "jazz", "classical", "électronique",
                               "J-pop 日本", "hip hop", "folk 🎻"]
    code  BYTES(16): name encoded as UTF-8;          NULL if g == 8

AllTypes -- r = 1..20, one scalar and one array column per type; kind = r % 5
    Ordinary value of type T for n, ORD(T, n):
        BOOL n % 2 == 1; INT64 n*100; FLOAT32 n + 0.5; FLOAT64 n + 0.25;
        NUMERIC "<n>.5"; STRING "row <n>"; BYTES b"r<n>";
        DATE "2024-01-%02d" % n; TIMESTAMP "2024-01-%02dT12:00:00Z" % n;
        JSON '{"r":<n>}'
    kind 1 (r = 1, 6, 11, 16): Col* = ORD(T, r); Arr* = [ORD(T, r), ORD(T, r+1)]
    kind 2 (r = 2, 7, 12, 17): Col* = ORD(T, r); Arr* = [ORD(T, r), NULL, ORD(T, r+1)]
    kind 3 (r = 3, 8, 13, 18): Col* = NEG(T, r); Arr* = [] (empty arrays), where
        NEG: BOOL false; INT64 -r*100; FLOAT32 -(r+0.5); FLOAT64 -(r+0.25);
        NUMERIC "-<r>.5"; STRING "é 日本 🎸 <r>"; BYTES bytes([0, 255, r]);
        DATE "1969-12-%02d" % (31-r); TIMESTAMP "1969-12-%02dT23:59:59.5Z" % (31-r);
        JSON '{"r":-<r>,"é":"日本"}'
    kind 4 (r = 4, 9, 14, 19): Col* = EDGE[T][(r-4)//5] (the first four entries
        of EDGE[T] below, in order); Arr* = EDGE[T] + [NULL] (the whole list)
    kind 0 (r = 5, 10, 15, 20): every column but Id is NULL
    EDGE lists are the constants EDGE_* in this file.

sales.Orders (named schema "sales") -- n = 1..60
    OrderId = n, SingerId = n % 50 + 1, AlbumId = n % 2 + 1
    Quantity  n % 7 - 1   (-1 .. 5)
    Amount    Quantity * (10.99 if AlbumId == 1 else 11.99)  (exact decimal);
                                                     NULL if n % 15 == 0
    OrderedAt 2025-03-01T00:00:00Z + n*90 minutes
    Status    ["new", "paid", "shipped", "cancelled"][n % 4]
    Note      "gift 🎁 für Léa #<n>" if n % 10 == 0, else NULL

View ActiveSingers = SingerId, FirstName, LastName, Rating of Singers WHERE Active.
Row counts: Singers 50, Albums 100, Concerts 40, genres 8, AllTypes 20,
sales.Orders 60 (278 rows).
"""

import argparse
import base64
import datetime as dt
import json
import sys
import urllib.error
import urllib.request
from decimal import Decimal

NAN = float("nan")
INF = float("inf")
BATCH = 500

FIRST = ["Marc", "Catalina", "Alice", "Léa", "David",
         "日本", "Zoë", "Émile", "Ana 🎸", "Bob"]
VENUES = ["Olympia", "日本武道館", "Café Wha?", "Red Rocks"]
GENRES = ["rock", "pop", "jazz", "classical", "électronique",
          "J-pop 日本", "hip hop", "folk 🎻"]
STATUS = ["new", "paid", "shipped", "cancelled"]

EDGE = {
    "BOOL": [False, True, True, False],
    "INT64": [-9223372036854775808, 9223372036854775807, 0, -1],
    "FLOAT32": [-INF, INF, NAN, -0.0, 3.4028234663852886e38, 1.1,
                1.401298464324817e-45],
    "FLOAT64": [-INF, INF, NAN, -0.0, 1.5e300, 1e-320, 0.30000000000000004,
                1.7976931348623157e308],
    "NUMERIC": ["-99999999999999999999999999999.999999999",
                "99999999999999999999999999999.999999999",
                "0.000000001", "0", "-0.000000001"],
    "STRING": ["", 'a,b "q" \\ {x} \'y\'', "NULL", "line1\nline2\ttab",
               "é 日本 🎸"],
    "BYTES": [b"", b"\x00\x01\xfe\xff", b"\\", b"NULL"],
    "DATE": ["0001-01-01", "9999-12-31", "2000-02-29", "1970-01-01"],
    "TIMESTAMP": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                  "2024-02-29T12:34:56.123456789Z", "1970-01-01T00:00:00Z"],
    "JSON": ["{}", '{"big":12345678901234567890,"n":[1,2.5,null,true,"x"]}',
             "null", '{"emoji":"🎸","é":"日本"}', "[]", '"str"', "1.5"],
}
ALL_TYPES = ["BOOL", "INT64", "FLOAT32", "FLOAT64", "NUMERIC", "STRING",
             "BYTES", "DATE", "TIMESTAMP", "JSON"]
COL_NAME = {"BOOL": "Bool", "INT64": "Int64", "FLOAT32": "Float32",
            "FLOAT64": "Float64", "NUMERIC": "Numeric", "STRING": "String",
            "BYTES": "Bytes", "DATE": "Date", "TIMESTAMP": "Timestamp",
            "JSON": "Json"}


def jtext(obj):
    """JSON text as stored: compact, keys sorted, UTF-8 kept."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def ts(t):
    """datetime (UTC, naive) -> RFC 3339 with Z, fraction trimmed."""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += ("." + "%06d" % t.microsecond).rstrip("0")
    return s + "Z"


# ---------------------------------------------------------------- tables
# Each generator returns (table, [(column, type)], [row tuples]).

def singers():
    cols = [("SingerId", "INT64"), ("FirstName", "STRING"),
            ("LastName", "STRING"), ("BirthDate", "DATE"),
            ("Active", "BOOL"), ("Rating", "FLOAT64"), ("Score", "FLOAT32"),
            ("Fee", "NUMERIC"), ("Photo", "BYTES"),
            ("Tags", "ARRAY<STRING>"), ("Meta", "JSON"),
            ("UpdatedAt", "TIMESTAMP")]
    rows = []
    base = dt.datetime(2024, 1, 1)
    for i in range(1, 51):
        first = None if i % 25 == 0 else FIRST[(i - 1) % 10]
        birth = None if i % 7 == 0 else \
            dt.date(1940 + i, i % 12 + 1, i % 28 + 1).isoformat()
        active = None if i % 11 == 0 else (i % 3 != 0)
        rating = {2: NAN, 3: INF, 4: -INF, 5: -0.0}.get(i, (i - 10) * 0.5)
        if i % 13 == 0:
            rating = None
        score = {6: NAN, 7: INF, 8: -INF, 9: 1.1}.get(i, (i - 20) / 4)
        if i % 17 == 0:
            score = None
        fee = {11: "99999999999999999999999999999.999999999",
               12: "-0.000000001"}.get(i)
        if fee is None:
            fee = str(Decimal(i * 12345 - 100000) / 100)
        if i % 19 == 0:
            fee = None
        photo = None if i % 5 == 0 else b"\x00\xff" + b"photo%d" % i
        m = i % 6
        tags = [None, [], ["t%d" % i, None], ["rock", "t%d" % i],
                ["pop", 'é,"{}\\', "t%d" % i], ["日本 🎸"]][m]
        meta = None if i % 9 == 0 else \
            jtext({"even": i % 2 == 0, "id": i, "name": first,
                   "tags": [i, str(i), None]})
        upd = ts(base + dt.timedelta(days=i, seconds=i, microseconds=i))
        if i == 1:
            upd = "2024-01-02T00:00:01.123456789Z"
        if i % 23 == 0:
            upd = None
        rows.append((i, first, "Singer%03d" % i, birth, active, rating, score,
                     fee, photo, tags, meta, upd))
    return "Singers", cols, rows


def albums():
    cols = [("SingerId", "INT64"), ("AlbumId", "INT64"),
            ("AlbumTitle", "STRING"), ("ReleaseDate", "DATE"),
            ("Price", "NUMERIC"), ("Sales", "INT64")]
    rows = []
    for i in range(1, 51):
        for j in (1, 2):
            title = None if (i % 15 == 0 and j == 1) else "Album %d-%d" % (i, j)
            rel = dt.date(2000 + i % 20, 3 * j, 15).isoformat()
            price = None if (i % 10 == 0 and j == 2) else \
                ("10.99" if j == 1 else "11.99")
            sales = {(1, 1): -9223372036854775808,
                     (1, 2): 9223372036854775807}.get((i, j),
                                                      i * 1000 * j - 25000)
            rows.append((i, j, title, rel, price, sales))
    return "Albums", cols, rows


def concerts():
    cols = [("ConcertId", "INT64"), ("SingerId", "INT64"),
            ("Venue", "STRING"), ("ConcertDate", "DATE"),
            ("StartTime", "TIMESTAMP"), ("Order", "INT64")]
    rows = []
    for k in range(1, 41):
        d = dt.date(2025, 1, 1) + dt.timedelta(days=5 * k)
        start = None if k % 8 == 0 else d.isoformat() + "T20:00:00Z"
        rows.append((k, None if k % 20 == 0 else k % 25 + 1, VENUES[k % 4],
                     d.isoformat(), start, (k - 1) // 25 + 1))
    return "Concerts", cols, rows


def genres():
    cols = [("genre_id", "INT64"), ("name", "STRING"), ("code", "BYTES")]
    rows = [(g, GENRES[g - 1], None if g == 8 else GENRES[g - 1].encode())
            for g in range(1, 9)]
    return "genres", cols, rows


def _ord(t, n):
    return {"BOOL": n % 2 == 1, "INT64": n * 100, "FLOAT32": n + 0.5,
            "FLOAT64": n + 0.25, "NUMERIC": "%d.5" % n, "STRING": "row %d" % n,
            "BYTES": b"r%d" % n, "DATE": "2024-01-%02d" % n,
            "TIMESTAMP": "2024-01-%02dT12:00:00Z" % n,
            "JSON": '{"r":%d}' % n}[t]


def _neg(t, r):
    return {"BOOL": False, "INT64": -r * 100, "FLOAT32": -(r + 0.5),
            "FLOAT64": -(r + 0.25), "NUMERIC": "-%d.5" % r,
            "STRING": "é 日本 🎸 %d" % r, "BYTES": bytes([0, 255, r]),
            "DATE": "1969-12-%02d" % (31 - r),
            "TIMESTAMP": "1969-12-%02dT23:59:59.5Z" % (31 - r),
            "JSON": '{"r":-%d,"é":"日本"}' % r}[t]


def all_types():
    cols = [("Id", "INT64")]
    cols += [("Col" + COL_NAME[t], t) for t in ALL_TYPES]
    cols += [("Arr" + COL_NAME[t], "ARRAY<%s>" % t) for t in ALL_TYPES]
    rows = []
    for r in range(1, 21):
        kind = r % 5
        if kind == 0:
            sc = [None] * len(ALL_TYPES)
            ar = [None] * len(ALL_TYPES)
        elif kind == 1:
            sc = [_ord(t, r) for t in ALL_TYPES]
            ar = [[_ord(t, r), _ord(t, r + 1)] for t in ALL_TYPES]
        elif kind == 2:
            sc = [_ord(t, r) for t in ALL_TYPES]
            ar = [[_ord(t, r), None, _ord(t, r + 1)] for t in ALL_TYPES]
        elif kind == 3:
            sc = [_neg(t, r) for t in ALL_TYPES]
            ar = [[] for t in ALL_TYPES]
        else:
            e = (r - 4) // 5
            sc = [EDGE[t][e] for t in ALL_TYPES]
            ar = [list(EDGE[t]) + [None] for t in ALL_TYPES]
        rows.append(tuple([r] + sc + ar))
    return "AllTypes", cols, rows


def orders():
    cols = [("OrderId", "INT64"), ("SingerId", "INT64"), ("AlbumId", "INT64"),
            ("Quantity", "INT64"), ("Amount", "NUMERIC"),
            ("OrderedAt", "TIMESTAMP"), ("Status", "STRING"),
            ("Note", "STRING")]
    rows = []
    base = dt.datetime(2025, 3, 1)
    for n in range(1, 61):
        album = n % 2 + 1
        qty = n % 7 - 1
        amount = None if n % 15 == 0 else \
            str(qty * Decimal("10.99" if album == 1 else "11.99"))
        rows.append((n, n % 50 + 1, album, qty, amount,
                     ts(base + dt.timedelta(minutes=90 * n)), STATUS[n % 4],
                     "gift 🎁 für Léa #%d" % n if n % 10 == 0 else None))
    return "sales.Orders", cols, rows


def tables():
    """All sample tables, parents before interleaved children."""
    return [singers(), albums(), concerts(), genres(), all_types(), orders()]


# ------------------------------------------------------------- encoding

def encode(value, typ):
    """Python value -> Spanner REST JSON value for a column of type typ."""
    if value is None:
        return None
    if typ.startswith("ARRAY<"):
        elem = typ[6:-1]
        return [encode(v, elem) for v in value]
    if typ == "INT64":
        return str(value)
    if typ in ("FLOAT64", "FLOAT32"):
        if value != value:
            return "NaN"
        if value in (INF, -INF):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if typ == "BYTES":
        return base64.b64encode(value).decode("ascii")
    if typ == "BOOL":
        return bool(value)
    return value          # STRING, NUMERIC, DATE, TIMESTAMP, JSON: text


class Rest:
    def __init__(self, endpoint, project, instance, database):
        self.base = endpoint.rstrip("/") + "/v1/"
        self.db = "projects/%s/instances/%s/databases/%s" % (
            project, instance, database)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                text = resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            sys.exit("load.py: %s %s failed: HTTP %d: %s"
                     % (method, self.base + path, e.code, text))
        except urllib.error.URLError as e:
            sys.exit("load.py: %s %s failed: %s"
                     % (method, self.base + path, e.reason))
        return json.loads(text) if text.strip() else {}


def load(rest):
    session = rest.call("POST", rest.db + "/sessions", {})["name"]
    total = 0
    try:
        for table, cols, rows in tables():
            names = [c for c, _ in cols]
            for start in range(0, len(rows), BATCH):
                chunk = rows[start:start + BATCH]
                values = [[encode(v, t) for v, (_, t) in zip(row, cols)]
                          for row in chunk]
                rest.call("POST", session + ":commit", {
                    "singleUseTransaction": {"readWrite": {}},
                    "mutations": [{"insert": {"table": table,
                                              "columns": names,
                                              "values": values}}]})
                total += len(chunk)
            print("loaded %-13s %4d rows" % (table, len(rows)))
    finally:
        rest.call("DELETE", session)
    print("loaded %d rows into %s" % (total, rest.db))


def verify(rest):
    """Count the rows of each table and compare with what tables() makes."""
    session = rest.call("POST", rest.db + "/sessions", {})["name"]
    bad = 0
    try:
        for table, _, rows in tables():
            res = rest.call("POST", session + ":executeSql",
                            {"sql": "SELECT COUNT(*) FROM %s" % table})
            got = int(res["rows"][0][0])
            if got != len(rows):
                print("verify: %s has %d rows, expected %d"
                      % (table, got, len(rows)))
                bad += 1
    finally:
        rest.call("DELETE", session)
    if bad:
        sys.exit("load.py: verification failed")
    print("verified row counts of %d tables" % len(tables()))


def dump(name):
    for table, cols, rows in tables():
        if table.lower() == name.lower():
            for row in rows:
                print(json.dumps({c: encode(v, t)
                                  for v, (c, t) in zip(row, cols)},
                                 ensure_ascii=False))
            return
    sys.exit("load.py: no table %s" % name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", help="e.g. http://127.0.0.1:9020")
    ap.add_argument("--project", default="demo-project")
    ap.add_argument("--instance", default="demo-instance")
    ap.add_argument("--database", default="demo")
    ap.add_argument("--verify", action="store_true",
                    help="only count rows and compare")
    ap.add_argument("--dump", metavar="TABLE",
                    help="print the generated rows of TABLE as JSON lines")
    args = ap.parse_args()
    if args.dump:
        dump(args.dump)
        return
    if not args.endpoint:
        ap.error("--endpoint is required")
    rest = Rest(args.endpoint, args.project, args.instance, args.database)
    if not args.verify:
        load(rest)
    verify(rest)


if __name__ == "__main__":
    main()
