#!/usr/bin/env python3
"""Summarize bench/run.sh's results.tsv: per-run times, median FDW/raw ratio
(median of the per-pair ratios), peak RSS of the PostgreSQL backend."""

import csv
import statistics
import sys


def f(x):
    return float(x) if x not in (None, "") else None


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    ns = []
    for r in rows:
        if int(r["n"]) not in ns:
            ns.append(int(r["n"]))
    rss_lines = []
    for n in ns:
        fdw = {r["run"]: r for r in rows if int(r["n"]) == n and r["kind"] == "fdw"}
        raw = {r["run"]: r for r in rows if int(r["n"]) == n and r["kind"] == "raw"}
        pairs = sorted((k for k in fdw if k in raw and k != "warmup"), key=int)
        print("N=%d  (%d timed pairs; odd pairs run FDW first, even pairs raw first)" % (n, len(pairs)))
        print("  pair   FDW COPY s  raw s    ratio | FDW psql wall s  raw wall s  ratio"
              " | CPU s: backend  raw_scan  emulator fdw/raw  others fdw/raw | backend VmHWM kB")
        ratios, wratios = [], []
        for k in ["warmup"] + pairs:
            if k not in fdw or k not in raw:
                continue
            a, b = fdw[k], raw[k]
            ra = f(a["scan_s"]) / f(b["scan_s"])
            rw = f(a["wall_s"]) / f(b["wall_s"])
            if k != "warmup":
                ratios.append(ra)
                wratios.append(rw)
            print("  %-6s %10.3f  %6.3f  %5.2f | %15.3f  %10.3f  %5.2f"
                  " |        %6.2f    %6.2f  %6s / %-6s  %5s / %-5s | %8s" % (
                      k, f(a["scan_s"]), f(b["scan_s"]), ra, f(a["wall_s"]), f(b["wall_s"]), rw,
                      f(a["client_cpu_s"]) or 0.0, f(b["client_cpu_s"]) or 0.0,
                      a["emu_cpu_s"], b["emu_cpu_s"], a.get("other_cpu_s") or "?",
                      b.get("other_cpu_s") or "?", a["peak_rss_kb"]))
        if not ratios:
            continue
        fs = [f(fdw[k]["scan_s"]) for k in pairs]
        rs = [f(raw[k]["scan_s"]) for k in pairs]
        hwm = [int(fdw[k]["peak_rss_kb"]) for k in pairs]
        before = [int(fdw[k]["hwm_before_kb"]) for k in pairs]
        cpu = [f(fdw[k]["client_cpu_s"]) for k in pairs]
        bt = raw[pairs[0]]["bytes/ttfb_s"].split("/")
        print("  median: FDW %.3f s (%.0f rows/s), raw %.3f s (%.0f rows/s, %.1f MB of JSON, "
              "first byte after %.3f s)" % (
                  statistics.median(fs), n / statistics.median(fs),
                  statistics.median(rs), n / statistics.median(rs), int(bt[0]) / 1e6, float(bt[1])))
        print("  median ratio FDW/raw (per pair, statement time): %.2f   [min %.2f, max %.2f]" % (
            statistics.median(ratios), min(ratios), max(ratios)))
        print("  median ratio FDW/raw (per pair, whole command wall time): %.2f" % statistics.median(wratios))
        print("  backend CPU during the scan: median %.2f s; emulator CPU: median %.2f s (FDW runs), "
              "%.2f s (raw runs)" % (
                  statistics.median(cpu), statistics.median(f(fdw[k]["emu_cpu_s"]) for k in pairs),
                  statistics.median(f(raw[k]["emu_cpu_s"]) for k in pairs)))
        other = [f(r.get("other_cpu_s")) for r in list(fdw.values()) + list(raw.values())
                 if r["run"] != "warmup" and r.get("other_cpu_s")]
        if other:
            print("  CPU used by unrelated processes during the runs: median %.2f s per run, max %.2f s"
                  " (load from other work on the machine; 0 on a quiet machine)" % (
                      statistics.median(other), max(other)))
        print("  backend peak RSS (VmHWM) after COPY: median %d kB, max %d kB "
              "(before COPY: %d kB)" % (statistics.median(hwm), max(hwm), statistics.median(before)))
        rss_lines.append((n, max(hwm), statistics.median(before)))
        print()
    if len(rss_lines) > 1:
        print("Peak RSS of the backend by N:")
        for n, m, b in rss_lines:
            print("  N=%-8d VmHWM max %7d kB  (%.1f MB; %d kB before the COPY)" % (n, m, m / 1024, b))


if __name__ == "__main__":
    main(sys.argv[1])
