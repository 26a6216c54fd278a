#!/usr/bin/env python3
"""The rows bench/run_writes.sh writes, in the three forms its clients read.

Python 3 standard library only.  Rows 1..N of bench/load.py (same formulas,
same table t of bench/schema.ddl), written as:

    write_data.py copy N FILE      COPY text format (for COPY ft FROM 'FILE')
    write_data.py json N FILE      one JSON array of values a line, encoded as
                                   Spanner's mutations take them (the same
                                   values bench/load.py commits; for
                                   bench/raw_write)
    write_data.py insert N FILE    one INSERT INTO ft (...) VALUES (...);
                                   statement a line (for psql -f)

Columns: id, s, f, n, ts, arr, b.  In the PostgreSQL forms, f is Python's
repr of the float (which float8 reads back exactly), ts the same RFC 3339
text, arr a text[] literal and b bytea hex.
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (bench/load.py: row(i))


def copy_escape(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def array_literal(arr):
    out = []
    for e in arr:
        if e is None:
            out.append("NULL")
        else:
            out.append('"' + e.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


def pg_values(i):
    """The row as PostgreSQL text values (None for NULL)."""
    id_, s, f, n, ts, arr, b = load.row(i)
    return [id_, s, repr(f), n, ts, array_literal(arr),
            "\\x" + base64.b64decode(b).hex()]


def sql_literal(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("copy", "json", "insert"):
        sys.exit(__doc__)
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "w", encoding="utf-8") as out:
        for i in range(1, n + 1):
            if kind == "json":
                out.write(json.dumps(load.row(i), ensure_ascii=False,
                                     separators=(",", ":")) + "\n")
            elif kind == "copy":
                out.write("\t".join("\\N" if v is None else copy_escape(v)
                                    for v in pg_values(i)) + "\n")
            else:
                vals = pg_values(i)
                out.write("INSERT INTO ft (id, s, f, n, ts, arr, b) VALUES (%s);\n"
                          % ", ".join(("NULL" if v is None else v) if k in (0, 2, 3)
                                      else sql_literal(v) for k, v in enumerate(vals)))


if __name__ == "__main__":
    main()
