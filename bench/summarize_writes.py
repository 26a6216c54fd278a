#!/usr/bin/env python3
"""Summarise bench/run_writes.sh's results.tsv: per phase, each timed pair,
the medians, and the median of the per-pair FDW/raw ratios against its target
(copy 1.15, single 1.3), and for the single phase the ratios to the raw
variants that ran (rawfresh: each commit on a new connection; rawreadcb: each
commit's body through a read callback; rawgap: a pause before each commit),
and the time the same statements take against a local table (local).  Also
says whether every run of a phase left the same rows on Spanner (the
fingerprint column).

Usage: summarize_writes.py results.tsv
"""
import csv
import statistics
import sys

TARGET = {"copy": 1.15, "single": 1.3}
VARIANT = {"rawfresh": "every raw commit on a new connection",
           "rawreadcb": "every raw commit's body through a read callback, as spanner_fdw sends it",
           "rawgap": "a pause before every raw commit but the first"}
WHAT = {"copy": "COPY ft FROM file (autocommit) vs raw single-use commits of insert mutations",
        "single": "single-row autocommit INSERTs (psql -f, one session) vs raw one-mutation commits"}


def main():
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
    for phase in ("copy", "single"):
        runs = [r for r in rows if r["phase"] == phase]
        if not runs:
            continue
        print("== %s: %s" % (phase, WHAT[phase]))
        by = {(r["kind"], r["run"]): r for r in runs}
        labels = sorted({r["run"] for r in runs if r["run"] != "warmup"}, key=int)
        extra = [x for x in ("rawfresh", "rawreadcb", "rawgap", "local")
                 if any(r["kind"] == x for r in runs)]
        print("%-7s %10s %10s %7s %12s %14s %14s%s" % (
            "pair", "fdw s", "raw s", "ratio", "backend cpu", "emu cpu f/r", "others f/r",
            "".join("  %11s" % (x + " s") for x in extra)))
        ratios, fdw, raw = [], [], []
        for k in ["warmup"] + labels:
            f, r = by.get(("fdw", k)), by.get(("raw", k))
            if not f or not r:
                continue
            fs, rs = float(f["seconds"]), float(r["seconds"])
            ratio = fs / rs if rs else float("nan")
            if k != "warmup":
                ratios.append(ratio)
                fdw.append(fs)
                raw.append(rs)
            print("%-7s %10.3f %10.3f %7.2f %12s %14s %14s%s" % (
                k, fs, rs, ratio, f["client_cpu_s"],
                "%s/%s" % (f["emu_cpu_s"], r["emu_cpu_s"]),
                "%s/%s" % (f["other_cpu_s"], r["other_cpu_s"]),
                "".join("  %11.3f" % float(by[(x, k)]["seconds"]) if (x, k) in by
                        else "  %11s" % "-" for x in extra)))
        if ratios:
            med = statistics.median(ratios)
            print("medians: fdw %.3f s, raw %.3f s; median FDW/raw ratio per pair %.2f (%.2f-%.2f);"
                  " target <= %.2f: %s" % (
                      statistics.median(fdw), statistics.median(raw), med,
                      min(ratios), max(ratios), TARGET[phase],
                      "met" if med <= TARGET[phase] else "NOT met"))
        for x in extra:
            if x == "local":
                continue
            pairs = [(float(by[("fdw", k)]["seconds"]), float(by[(x, k)]["seconds"]),
                      float(by[("raw", k)]["seconds"]))
                     for k in labels if (x, k) in by and ("fdw", k) in by and ("raw", k) in by]
            if pairs:
                fr = [f / v for f, v, _ in pairs]
                vr = [v / r for _, v, r in pairs]
                print("%s (%s): median %.3f s; median %s/raw %.2f; median FDW/%s %.2f (%.2f-%.2f)" % (
                    x, VARIANT[x], statistics.median(v for _, v, _ in pairs), x,
                    statistics.median(vr), x, statistics.median(fr), min(fr), max(fr)))
        loc = [(float(by[("fdw", k)]["seconds"]), float(by[("raw", k)]["seconds"]),
                float(by[("local", k)]["seconds"]))
               for k in labels if ("local", k) in by and ("fdw", k) in by and ("raw", k) in by]
        if loc:
            print("local (the same statements into a local UNLOGGED table): median %.3f s;"
                  " median (FDW - raw) %.3f s; (raw + local) / raw %.2f" % (
                      statistics.median(l for _, _, l in loc),
                      statistics.median(f - r for f, r, _ in loc),
                      statistics.median((r + l) / r for _, r, l in loc)))
        fps = {r["fingerprint"] for r in runs if r["fingerprint"] != "-"}
        print("rows on Spanner after each run: %s" % (
            "the same in every run (fingerprint %s)" % fps.pop() if len(fps) == 1
            else "DIFFER between runs: %s" % sorted(fps)))
        print()


if __name__ == "__main__":
    main()
