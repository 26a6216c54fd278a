#!/bin/bash
# bench/run.sh -- full-scan throughput of spanner_fdw against a raw libcurl
# client, on the Cloud Spanner emulator.  Not part of the test suite.
#
#   bench/run.sh [N]                      N rows (default 100000, or env N)
#   BENCH_BIG=1 bench/run.sh              also N=1000000 (env BIG_N)
#
# Environment:
#   N=100000        rows of the first (or only) phase
#   PAIRS=5         timed FDW/raw pairs per phase (after one untimed warm-up each)
#   BATCH=2000      rows per single-use commit when loading N rows
#   BENCH_BIG=1     add a phase with BIG_N rows (BIG_N=1000000, BIG_BATCH=5000,
#                   BIG_PAIRS=$PAIRS)
#   BENCH_RUN_DIR   state directory of this run's emulator and PostgreSQL
#                   (default /tmp/spanner_fdw_bench.<hash of the repo path>)
#   BENCH_PERF=1    after the timed runs of each phase, one more FDW scan under
#                   `perf record -a -g` (system-wide); a report goes to the out dir
#   BENCH_OUT=dir   where logs and results go (default bench/out/<timestamp>)
#
# What it does: builds and installs the extension (scripts/lib.sh), starts a
# fresh emulator and a throwaway PostgreSQL 15 in the lib.sh namespace
# "bench" (SF_NS), creates the Spanner database `bench` with table t
# (bench/schema.ddl), loads N rows (bench/load.py), creates the extension,
# server, user mapping (auth 'none') and foreign table ft, then alternates:
#   FDW: a new psql session runs  SELECT pg_backend_pid(); \timing on;
#        COPY (SELECT * FROM ft) TO '/dev/null'; then reads VmHWM of that
#        backend from /proc with \! while the session is still open.
#   raw: bench/raw_scan (libcurl): create session + executeStreamingSql of
#        SELECT id, s, f, n, ts, arr, b FROM t, body read and discarded.
# Pair k runs FDW first when k is odd and raw first when k is even, so both
# see the same emulator drift (+~1 ms per 1000 transactions).
# Everything it started is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=$PWD/bench

export SF_NS=${SF_NS:-bench}
export SF_PROJECT=${SF_PROJECT:-bench-project}
export SF_INSTANCE=${SF_INSTANCE:-bench-instance}
. scripts/lib.sh
# Keep this run's state (PIDs, ports, the PostgreSQL data directory) outside
# $SF_ROOT/.run, so that scripts/stop.sh (sf_stop_all, which stops every
# namespace under .run/) run by someone else does not stop the benchmark's
# servers in the middle of a run.
SF_RUN=${BENCH_RUN_DIR:-/tmp/spanner_fdw_bench.$(printf '%s' "$SF_ROOT" | md5sum | cut -c1-10)}
export SF_RUN

N=${1:-${N:-100000}}
PAIRS=${PAIRS:-5}
BATCH=${BATCH:-2000}
BIG_N=${BIG_N:-1000000}
BIG_BATCH=${BIG_BATCH:-5000}
BIG_PAIRS=${BIG_PAIRS:-$PAIRS}
DB=bench
DBPATH=projects/$SF_PROJECT/instances/$SF_INSTANCE/databases/$DB
OUT=${BENCH_OUT:-$BENCH_DIR/out/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RESULTS=$OUT/results.tsv

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------ cleanup
STARTED=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$STARTED" = 1 ]; then
		log "stopping PostgreSQL and the emulator of namespace $SF_NS (by PID)"
		sf_stop_ns || true
	fi
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ setup
sf_install_deps
sf_build_install
log "building bench/raw_scan and bench/timeit (gcc -O2)"
gcc -O2 -Wall -o "$BENCH_DIR/raw_scan" "$BENCH_DIR/raw_scan.c" -lcurl
gcc -O2 -Wall -o "$BENCH_DIR/timeit" "$BENCH_DIR/timeit.c"

# A fresh emulator (its slowdown is permanent) and PostgreSQL: stop whatever
# an earlier, interrupted bench run left in this namespace.
STARTED=1
sf_stop_ns
sf_start_emulator
EMU=$SPANNER_EMULATOR_REST
EMU_GW_PID=$(sf_read "$SF_RUN/emulator.gateway.pid")
EMU_MAIN_PID=$(sf_read "$SF_RUN/emulator.main.pid")
sf_create_instance "$SF_PROJECT" "$SF_INSTANCE"
sf_start_pg

TMPD=$(mktemp -d /tmp/spanner_fdw_bench.XXXXXX)
chmod 755 "$TMPD"

# psql as the PostgreSQL OS user, as a plain command (for timeit)
if [ "$(id -u)" = 0 ]; then
	PSQL=(runuser -u postgres -- "$SF_PG_BINDIR/psql")
else
	PSQL=("$SF_PG_BINDIR/psql")
fi
PSQL+=(-X -h "$SF_PG_SOCK" -p "$SF_PG_PORT")

if [ "$(sf_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
	sf_psql -d postgres -q -c "DROP DATABASE $DB"
fi
sf_psql -d postgres -q -c "CREATE DATABASE $DB"
sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION spanner_fdw;
CREATE SERVER spanner_bench FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB',
           endpoint '$EMU');
CREATE USER MAPPING FOR CURRENT_USER SERVER spanner_bench OPTIONS (auth 'none');
-- what IMPORT FOREIGN SCHEMA writes (the database is created later): each
-- column's Spanner type is given, so planning needs no catalog lookup
CREATE FOREIGN TABLE ft (
  id   bigint OPTIONS (spanner_type 'INT64') NOT NULL,
  s    text OPTIONS (spanner_type 'STRING(MAX)'),
  f    double precision OPTIONS (spanner_type 'FLOAT64'),
  n    bigint OPTIONS (spanner_type 'INT64'),
  ts   timestamptz OPTIONS (spanner_type 'TIMESTAMP'),
  arr  text[] OPTIONS (spanner_type 'ARRAY<STRING(MAX)>'),
  b    bytea OPTIONS (spanner_type 'BYTES(MAX)')
) SERVER spanner_bench OPTIONS (table_name 't');
SQL

# The FDW run's psql script.  \timing measures the COPY statement alone, from
# psql sending it to receiving CommandComplete (the backend is new, so this
# includes loading spanner_fdw.so, making the HTTP connection and creating a
# Spanner session -- as raw_scan's total does).
cat >"$TMPD/fdw.sql" <<'SQL'
\set ON_ERROR_STOP 1
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! awk '/^VmHWM/{print "BENCH pid=" ENVIRON["BPID"] " hwm_before_kb=" $2}' /proc/$BPID/status
\timing on
COPY (SELECT * FROM ft) TO '/dev/null';
\timing off
\! awk '/^VmHWM/{h=$2} /^VmRSS/{r=$2} END{print "BENCH hwm_after_kb=" h " rss_after_kb=" r}' /proc/$BPID/status; awk '{print "BENCH backend_cpu_s=" ($14+$15)/100 " utime_s=" $14/100 " stime_s=" $15/100}' /proc/$BPID/stat
SQL
chmod 644 "$TMPD/fdw.sql"

# CPU seconds (user+sys, 10 ms ticks) used so far by the two emulator processes
emu_cpu() {
	awk '{t += $14 + $15} END {printf "%.2f", t / 100}' \
		"/proc/$EMU_GW_PID/stat" "/proc/$EMU_MAIN_PID/stat"
}

# CPU seconds the whole machine has been busy (user+nice+system+irq+softirq+steal)
sys_busy() {
	awk '/^cpu /{printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100}' /proc/stat
}

# cpu_of TIMEFILE: user+sys seconds of the timed client process
cpu_of() {
	awk -F'[ =]' '/^wall_s/{print $4 + $6}' "$1"
}

kv() { # kv KEY FILE: value of KEY=value in FILE
	grep -o "$1=[^ ]*" "$2" | tail -n1 | cut -d= -f2
}

# run_fdw N LABEL: one FDW scan; appends a row to results.tsv
run_fdw() {
	local n=$1 label=$2 f=$OUT/fdw.$1.$2 e0 e1 b0 b1 ms rows
	e0=$(emu_cpu)
	b0=$(sys_busy)
	if ! (cd / && "$BENCH_DIR/timeit" "$f.time" "${PSQL[@]}" -d "$DB" -f "$TMPD/fdw.sql") \
		>"$f.log" 2>&1; then
		cat "$f.log" >&2
		log "FDW scan failed (log: $f.log)"
		return 1
	fi
	b1=$(sys_busy)
	e1=$(emu_cpu)
	ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$f.log" | tail -n1)
	rows=$(sed -n 's/^COPY \([0-9]*\)$/\1/p' "$f.log" | tail -n1)
	if [ "${rows:-}" != "$n" ]; then
		cat "$f.log" >&2
		log "FDW scan returned ${rows:-?} rows, expected $n"
		return 1
	fi
	local bcpu ccpu
	bcpu=$(kv backend_cpu_s "$f.log")
	ccpu=$(cpu_of "$f.time")
	printf '%s\tfdw\t%s\t%.6f\t%s\t%s\t%s\t%s\t%.2f\t\t%.2f\n' "$n" "$label" \
		"$(awk -v a="$ms" 'BEGIN{print a / 1000}')" "$(kv wall_s "$f.time")" "$(kv hwm_after_kb "$f.log")" \
		"$(kv hwm_before_kb "$f.log")" "$bcpu" \
		"$(awk -v a="$e1" -v b="$e0" 'BEGIN{print a - b}')" \
		"$(awk -v b1="$b1" -v b0="$b0" -v e1="$e1" -v e0="$e0" -v c="$bcpu" -v p="$ccpu" \
			'BEGIN{print (b1 - b0) - (e1 - e0) - c - p}')" >>"$RESULTS"
}

# run_raw N LABEL
run_raw() {
	local n=$1 label=$2 f=$OUT/raw.$1.$2 e0 e1 b0 b1 ccpu
	e0=$(emu_cpu)
	b0=$(sys_busy)
	if ! "$BENCH_DIR/timeit" "$f.time" "$BENCH_DIR/raw_scan" "$EMU" "$DBPATH" >"$f.log" 2>&1; then
		cat "$f.log" >&2
		log "raw scan failed (log: $f.log)"
		return 1
	fi
	b1=$(sys_busy)
	e1=$(emu_cpu)
	ccpu=$(cpu_of "$f.time")
	printf '%s\traw\t%s\t%s\t%s\t%s\t\t%s\t%.2f\t%s\t%.2f\n' "$n" "$label" \
		"$(kv total_s "$f.log")" "$(kv wall_s "$f.time")" "$(kv maxrss_kb "$f.time")" \
		"$ccpu" "$(awk -v a="$e1" -v b="$e0" 'BEGIN{print a - b}')" \
		"$(kv bytes "$f.log")/$(kv ttfb_s "$f.log")" \
		"$(awk -v b1="$b1" -v b0="$b0" -v e1="$e1" -v e0="$e0" -v c="$ccpu" \
			'BEGIN{print (b1 - b0) - (e1 - e0) - c}')" >>"$RESULTS"
}

# perf_fdw N: one more FDW scan, system-wide perf profile
perf_fdw() {
	local n=$1 p=$OUT/perf.$1 bpid
	if ! command -v perf >/dev/null 2>&1; then
		log "perf not found; skipping the profile"
		return 0
	fi
	log "N=$n: one FDW scan under perf record -a -g -> $p.*"
	if ! perf record -a -g -F 999 -o "$p.data" -- \
		bash -c "cd / && $(printf '%q ' "${PSQL[@]}") -d $DB -f $TMPD/fdw.sql" >"$p.log" 2>&1; then
		log "perf record failed (log: $p.log)"
		return 0
	fi
	bpid=$(kv pid "$p.log")
	perf report -i "$p.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 25 >"$p.comm_dso.txt" || true
	perf report -i "$p.data" --no-children --pid "$bpid" --percentage relative \
		--sort dso --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 15 >"$p.backend_dso.txt" || true
	perf report -i "$p.data" --no-children --pid "$bpid" --percentage relative \
		--sort dso,sym --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 40 >"$p.backend_syms.txt" || true
	echo "--- perf (N=$n): CPU samples of the whole machine by process and library"
	head -n 15 "$p.comm_dso.txt"
	echo "--- perf (N=$n): backend $bpid by library (percent of the backend's samples)"
	cat "$p.backend_dso.txt"
	echo "--- perf (N=$n): backend $bpid, top symbols"
	head -n 25 "$p.backend_syms.txt"
}

phase() {
	local n=$1 batch=$2 pairs=$3 k
	log "N=$n: (re)creating Spanner database $DB and loading $n rows, $batch per commit"
	sf_drop_database "$SF_PROJECT" "$SF_INSTANCE" "$DB"
	sf_create_database "$SF_PROJECT" "$SF_INSTANCE" "$DB" "$BENCH_DIR/schema.ddl"
	"$SF_PYTHON" "$BENCH_DIR/load.py" --endpoint "$EMU" --project "$SF_PROJECT" \
		--instance "$SF_INSTANCE" --database "$DB" --rows "$n" --batch "$batch" 2>&1 |
		tee "$OUT/load.$n.log" | tail -n 1 >&2

	log "N=$n: warm-up (one untimed scan each)"
	run_fdw "$n" warmup
	run_raw "$n" warmup
	for k in $(seq 1 "$pairs"); do
		if [ $((k % 2)) = 1 ]; then
			run_fdw "$n" "$k"
			run_raw "$n" "$k"
		else
			run_raw "$n" "$k"
			run_fdw "$n" "$k"
		fi
		log "N=$n pair $k: fdw $(awk -F'\t' -v n="$n" -v k="$k" '$1==n && $2=="fdw" && $3==k {print $4}' "$RESULTS") s," \
			"raw $(awk -F'\t' -v n="$n" -v k="$k" '$1==n && $2=="raw" && $3==k {print $4}' "$RESULTS") s"
	done
	if [ "${BENCH_PERF:-0}" = 1 ]; then
		perf_fdw "$n"
	fi
}

printf 'n\tkind\trun\tscan_s\twall_s\tpeak_rss_kb\thwm_before_kb\tclient_cpu_s\temu_cpu_s\tbytes/ttfb_s\tother_cpu_s\n' >"$RESULTS"
{
	echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "emulator: $SF_GATEWAY_MAIN ($(dpkg-query -W -f='${Version}' google-cloud-cli-spanner-emulator 2>/dev/null || echo '?'))"
	echo "PostgreSQL: $("$SF_PG_BINDIR/postgres" --version)"
	echo "git: $(git -C "$SF_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$SF_ROOT" status --porcelain -- src spanner_fdw.c 2>/dev/null | grep -q . && echo ' (with uncommitted changes in src/)')"
} | tee "$OUT/machine.txt"
sf_psql -d "$DB" -c 'EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM ft' | tee "$OUT/explain.txt"

phase "$N" "$BATCH" "$PAIRS"
if [ "${BENCH_BIG:-0}" = 1 ]; then
	phase "$BIG_N" "$BIG_BATCH" "$BIG_PAIRS"
fi

echo
"$SF_PYTHON" "$BENCH_DIR/summarize.py" "$RESULTS" | tee "$OUT/summary.txt"
log "results: $OUT"
