#!/bin/bash
# bench/run_writes.sh -- write speed of spanner_fdw against a raw libcurl
# client, on the Cloud Spanner emulator.  Not part of the test suite.
#
#   bench/run_writes.sh [copy|single|all]      default all
#
#   copy:   COPY ft FROM a file of N rows (autocommit) against the same rows
#           committed by bench/raw_write in single-use commits of "insert"
#           mutations, BATCH rows per mutation and as many mutations per
#           commit as spanner_fdw puts in one (see COMMIT_ROWS)
#   single: SINGLE autocommit one-row INSERTs run by psql -f in one session
#           against SINGLE single-use commits of one one-row "insert"
#           mutation each, over one reused HTTP connection
#
# Environment:
#   N=100000          rows of the copy phase
#   SINGLE=1000       statements / commits of the single phase
#   SINGLE_FRESH=0    1: the single phase also runs raw_write with a new TCP
#                     connection per commit ("rawfresh"), for comparison
#   SINGLE_READCB=0   1: the single phase also runs raw_write handing each
#                     commit's body to libcurl through a read callback, as
#                     spanner_fdw does ("rawreadcb": headers and body then go
#                     out in two writes), for comparison
#   SINGLE_GAP_US=100 >0: the single phase also runs raw_write sleeping this
#                     many microseconds before every commit but the first
#                     ("rawgap"): a client with a pause between commits, as a
#                     PostgreSQL session has between statements; 0: not run
#   SINGLE_LOCAL=1    1: the single phase also runs the same INSERT statements,
#                     the same way, into a local UNLOGGED table ("local"):
#                     PostgreSQL's and psql's own cost per statement
#   PAIRS=5           timed FDW/raw pairs per phase (after one untimed warm-up each)
#   BATCH=100         rows per insert mutation: the foreign table's batch_size
#                     option is set to it (spanner_fdw's default is 100)
#   MUTATION_LIMIT=80000
#                     values per commit: spanner_fdw.commit_mutation_limit is
#                     set to it (its default); COPY of more rows than one commit
#                     holds needs spanner_fdw.nonatomic_bulk_load = on, which the
#                     FDW session sets.  spanner_fdw commits its buffered
#                     mutations when the next batch would pass the limit, so a
#                     commit holds COMMIT_ROWS = floor(MUTATION_LIMIT / (7 *
#                     BATCH)) * BATCH rows (11400 by default); raw_write is
#                     given the same
#   BENCH_RUN_DIR     state directory of this run's emulator and PostgreSQL
#                     (default /tmp/spanner_fdw_bench_writes.<hash of the repo path>)
#   BENCH_OUT=dir     where logs and results go (default bench/out/writes-<timestamp>)
#
# What it does: builds and installs the extension (scripts/lib.sh), starts a
# throwaway PostgreSQL 15 in the lib.sh namespace "benchwrites" (SF_NS) with
# the extension, a server, a user mapping (auth 'none') and the foreign table
# ft of bench/run.sh (table t of bench/schema.ddl, every column with its
# spanner_type, batch_size BATCH).  Before EVERY run (warm-ups included) it
# starts a fresh emulator (the emulator slows down with every transaction it
# has served, permanently, and the single phase makes thousands), creates
# the database `bench` with an empty t, and points the server at it (ALTER
# SERVER, outside the timing).  After every run it checks on Spanner that t
# holds the expected rows: their count, and a fingerprint of all values that
# must be the same for the FDW's and the raw client's rows.
#   FDW runs: a new psql session (so a new backend; its time includes loading
#     spanner_fdw.so, the HTTP connection and the Spanner session, as the raw
#     client's includes its connection and session):
#       copy:   \timing of COPY ft FROM 'FILE' (the server reads FILE)
#       single: clock_timestamp() before the first and after the last of the
#               SINGLE INSERT statements (psql -f, one session)
#     then the backend's CPU time from /proc (utime+stime).
#   raw runs: bench/raw_write (libcurl; rows preloaded in memory), total_s;
#     "rawfresh", "rawreadcb", "rawgap" (single phase, optional): the same
#     with every commit on a new connection / with its body read through a
#     callback / with a pause before every commit.
#   local run (single phase): the FDW run's script against a local table.
# Pair k runs FDW first when k is odd and the raw clients first when k is even.
# Everything it started is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=$PWD/bench

export SF_NS=${SF_NS:-benchwrites}
export SF_PROJECT=${SF_PROJECT:-bench-project}
export SF_INSTANCE=${SF_INSTANCE:-bench-instance}
. scripts/lib.sh
# state outside $SF_ROOT/.run, so that scripts/stop.sh (sf_stop_all) run by
# someone else does not stop the benchmark's servers in the middle of a run
SF_RUN=${BENCH_RUN_DIR:-/tmp/spanner_fdw_bench_writes.$(printf '%s' "$SF_ROOT" | md5sum | cut -c1-10)}
export SF_RUN
# the benchmark's emulator runs without fault injection
export SF_EMULATOR_FLAGS=

WHAT=${1:-all}
case $WHAT in copy | single | all) ;; *)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
N=${N:-100000}
SINGLE=${SINGLE:-1000}
SINGLE_FRESH=${SINGLE_FRESH:-0}
SINGLE_READCB=${SINGLE_READCB:-0}
SINGLE_GAP_US=${SINGLE_GAP_US:-100}
SINGLE_LOCAL=${SINGLE_LOCAL:-1}
PAIRS=${PAIRS:-5}
BATCH=${BATCH:-100}
MUTATION_LIMIT=${MUTATION_LIMIT:-80000}
NCOLS=7
COLUMNS=id,s,f,n,ts,arr,b
COMMIT_ROWS=$((MUTATION_LIMIT / (NCOLS * BATCH) * BATCH))
[ "$COMMIT_ROWS" -ge "$BATCH" ] || COMMIT_ROWS=$BATCH
DB=bench
DBPATH=projects/$SF_PROJECT/instances/$SF_INSTANCE/databases/$DB
OUT=${BENCH_OUT:-$BENCH_DIR/out/writes-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RESULTS=$OUT/results.tsv

log() { printf '[bench-writes %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

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
log "building bench/raw_write and bench/timeit (gcc -O2)"
gcc -O2 -Wall -o "$BENCH_DIR/raw_write" "$BENCH_DIR/raw_write.c" -lcurl
gcc -O2 -Wall -o "$BENCH_DIR/timeit" "$BENCH_DIR/timeit.c"

STARTED=1
sf_stop_ns
sf_start_pg

TMPD=$(mktemp -d /tmp/spanner_fdw_bench_writes.XXXXXX)
chmod 755 "$TMPD"

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
           endpoint 'http://127.0.0.1:9');
CREATE USER MAPPING FOR CURRENT_USER SERVER spanner_bench OPTIONS (auth 'none');
-- what IMPORT FOREIGN SCHEMA writes: planning needs no catalog lookup
CREATE FOREIGN TABLE ft (
  id   bigint OPTIONS (spanner_type 'INT64', key 'true') NOT NULL,
  s    text OPTIONS (spanner_type 'STRING(MAX)'),
  f    double precision OPTIONS (spanner_type 'FLOAT64'),
  n    bigint OPTIONS (spanner_type 'INT64'),
  ts   timestamptz OPTIONS (spanner_type 'TIMESTAMP'),
  arr  text[] OPTIONS (spanner_type 'ARRAY<STRING(MAX)>'),
  b    bytea OPTIONS (spanner_type 'BYTES(MAX)')
) SERVER spanner_bench OPTIONS (table_name 't', batch_size '$BATCH');
-- the local twin of ft, for PostgreSQL's own cost per INSERT statement
CREATE UNLOGGED TABLE lt (id bigint PRIMARY KEY, s text, f double precision,
  n bigint, ts timestamptz, arr text[], b bytea);
SQL

# ------------------------------------------------------------ data and scripts
log "writing the rows: $N for COPY (text and JSON), $SINGLE INSERT statements (and JSON)"
python3 "$BENCH_DIR/write_data.py" copy "$N" "$TMPD/rows.copy"
python3 "$BENCH_DIR/write_data.py" json "$N" "$TMPD/rows.json"
python3 "$BENCH_DIR/write_data.py" insert "$SINGLE" "$TMPD/inserts.sql"
sed 's/^INSERT INTO ft /INSERT INTO lt /' "$TMPD/inserts.sql" >"$TMPD/local_inserts.sql"
python3 "$BENCH_DIR/write_data.py" json "$SINGLE" "$TMPD/single.json"

# the backend's CPU seconds, read by psql from /proc while the session is open
BACKEND_CPU='\! awk '"'"'{print "BENCH backend_cpu_s=" ($14+$15)/100 " utime_s=" $14/100 " stime_s=" $15/100}'"'"' /proc/$BPID/stat'
cat >"$TMPD/copy.sql" <<SQL
\\set ON_ERROR_STOP 1
SET spanner_fdw.nonatomic_bulk_load = on;
SET spanner_fdw.commit_mutation_limit = $MUTATION_LIMIT;
SELECT pg_backend_pid() AS bpid \\gset
\\setenv BPID :bpid
\\timing on
COPY ft FROM '$TMPD/rows.copy';
\\timing off
$BACKEND_CPU
SQL
cat >"$TMPD/single.sql" <<SQL
\\set ON_ERROR_STOP 1
SELECT pg_backend_pid() AS bpid \\gset
\\setenv BPID :bpid
SELECT clock_timestamp() AS t0 \\gset
\\i $TMPD/inserts.sql
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 6) AS elapsed \\gset
\\echo BENCH elapsed_s=:elapsed
$BACKEND_CPU
SQL
sed -e "s|$TMPD/inserts.sql|$TMPD/local_inserts.sql|" -e '1a TRUNCATE lt;' "$TMPD/single.sql" >"$TMPD/local.sql"
chmod 644 "$TMPD"/*

# ------------------------------------------------------------ helpers
EMU_GW_PID=
EMU_MAIN_PID=

# fresh_emulator: a new emulator with database $DB holding an empty t; the
# server points at it
fresh_emulator() {
	SF_QUIET=1 sf_stop_emulator
	SF_QUIET=1 sf_start_emulator
	EMU_GW_PID=$(sf_read "$SF_RUN/emulator.gateway.pid")
	EMU_MAIN_PID=$(sf_read "$SF_RUN/emulator.main.pid")
	SF_QUIET=1 sf_create_instance "$SF_PROJECT" "$SF_INSTANCE"
	SF_QUIET=1 sf_create_database "$SF_PROJECT" "$SF_INSTANCE" "$DB" "$BENCH_DIR/schema.ddl"
	sf_exec_sql "$DB" "SELECT 1" >/dev/null
	sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 \
		-c "ALTER SERVER spanner_bench OPTIONS (SET endpoint '$SPANNER_EMULATOR_REST')"
}

# CPU seconds (user+sys) used so far by the two emulator processes
emu_cpu() {
	awk '{t += $14 + $15} END {printf "%.2f", t / 100}' \
		"/proc/$EMU_GW_PID/stat" "/proc/$EMU_MAIN_PID/stat"
}
# CPU seconds the whole machine has been busy
sys_busy() {
	awk '/^cpu /{printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100}' /proc/stat
}
cpu_of() { awk -F'[ =]' '/^wall_s/{print $4 + $6}' "$1"; }
kv() { grep -o "$1=[^ ]*" "$2" | tail -n1 | cut -d= -f2; }

# check_table ROWS FILE: t holds ROWS rows; their fingerprint goes to FILE
check_table() {
	local want=$1 out=$2 got
	sf_exec_sql "$DB" "SELECT COUNT(*), BIT_XOR(FARM_FINGERPRINT(CONCAT(CAST(id AS STRING), '|', IFNULL(s, '~'), '|', CAST(f AS STRING), '|', IFNULL(CAST(n AS STRING), '~'), '|', CAST(UNIX_MICROS(ts) AS STRING), '|', IFNULL(ARRAY_TO_STRING(arr, ',', '~'), '~'), '|', TO_BASE64(b)))) FROM t" |
		python3 -c 'import json, sys
r = json.JSONDecoder().raw_decode(sys.stdin.read().strip())[0]["rows"][0]
print(r[0], r[1])' >"$out"
	got=$(cut -d' ' -f1 "$out")
	if [ "$got" != "$want" ]; then
		log "t holds ${got:-?} rows, expected $want"
		return 1
	fi
}

# record PHASE KIND LABEL SECONDS TIMEFILE CLIENT_CPU E0 E1 B0 B1 FP
record() {
	local phase=$1 kind=$2 label=$3 secs=$4 tf=$5 ccpu=$6 e0=$7 e1=$8 b0=$9 b1=${10} fp=${11} pcpu
	pcpu=$(cpu_of "$tf")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\n' "$phase" "$kind" "$label" "$secs" \
		"$(kv wall_s "$tf")" "$ccpu" "$(awk -v a="$e1" -v b="$e0" 'BEGIN{print a - b}')" \
		"$(awk -v b1="$b1" -v b0="$b0" -v e1="$e1" -v e0="$e0" -v c="$ccpu" -v p="$pcpu" \
			'BEGIN{print (b1 - b0) - (e1 - e0) - c - p}')" "$fp" >>"$RESULTS"
}

# run_fdw PHASE LABEL
run_fdw() {
	local phase=$1 label=$2 f=$OUT/$1.fdw.$2 e0 e1 b0 b1 secs rows script want
	if [ "$phase" = copy ]; then script=$TMPD/copy.sql want=$N; else script=$TMPD/single.sql want=$SINGLE; fi
	fresh_emulator
	e0=$(emu_cpu)
	b0=$(sys_busy)
	if ! (cd / && "$BENCH_DIR/timeit" "$f.time" "${PSQL[@]}" -q -d "$DB" -f "$script") >"$f.log" 2>&1; then
		tail -n 20 "$f.log" >&2
		log "$phase: FDW run failed (log: $f.log)"
		return 1
	fi
	b1=$(sys_busy)
	e1=$(emu_cpu)
	if [ "$phase" = copy ]; then
		secs=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$f.log" | tail -n1)
		secs=$(awk -v a="$secs" 'BEGIN{printf "%.6f", a / 1000}')
	else
		secs=$(kv elapsed_s "$f.log")
	fi
	check_table "$want" "$f.check" || return 1
	record "$phase" fdw "$label" "$secs" "$f.time" "$(kv backend_cpu_s "$f.log")" "$e0" "$e1" "$b0" "$b1" \
		"$(cut -d' ' -f2 "$f.check")"
}

# run_local LABEL: the single phase's script against the local table lt
run_local() {
	local label=$1 f=$OUT/single.local.$1 e0 e1 b0 b1 n
	e0=$(emu_cpu)
	b0=$(sys_busy)
	if ! (cd / && "$BENCH_DIR/timeit" "$f.time" "${PSQL[@]}" -q -d "$DB" -f "$TMPD/local.sql") >"$f.log" 2>&1; then
		tail -n 20 "$f.log" >&2
		log "single: local run failed (log: $f.log)"
		return 1
	fi
	b1=$(sys_busy)
	e1=$(emu_cpu)
	n=$(sf_psql -d "$DB" -tAc "SELECT count(*) FROM lt")
	if [ "$n" != "$SINGLE" ]; then
		log "lt holds $n rows, expected $SINGLE"
		return 1
	fi
	record single local "$label" "$(kv elapsed_s "$f.log")" "$f.time" "$(kv backend_cpu_s "$f.log")" \
		"$e0" "$e1" "$b0" "$b1" "-"
}

# run_raw PHASE LABEL [VARIANT]: VARIANT (fresh, readcb, gap=US) is passed
# to raw_write; the kind is "raw" followed by its name
run_raw() {
	local phase=$1 label=$2 variant=${3:-} kind f e0 e1 b0 b1 args
	kind=raw${variant%%=*}
	f=$OUT/$phase.$kind.$label
	if [ "$phase" = copy ]; then
		args=("$TMPD/rows.json" "$BATCH" "$COMMIT_ROWS")
	else
		args=("$TMPD/single.json" 1 1)
	fi
	[ -z "${3:-}" ] || args+=("$3")
	fresh_emulator
	e0=$(emu_cpu)
	b0=$(sys_busy)
	if ! "$BENCH_DIR/timeit" "$f.time" "$BENCH_DIR/raw_write" "$SPANNER_EMULATOR_REST" "$DBPATH" t "$COLUMNS" \
		"${args[@]}" >"$f.log" 2>&1; then
		cat "$f.log" >&2
		log "$phase: raw run failed (log: $f.log)"
		return 1
	fi
	b1=$(sys_busy)
	e1=$(emu_cpu)
	check_table "$(kv rows "$f.log")" "$f.check" || return 1
	record "$phase" "$kind" "$label" "$(kv total_s "$f.log")" "$f.time" "$(cpu_of "$f.time")" "$e0" "$e1" "$b0" "$b1" \
		"$(cut -d' ' -f2 "$f.check")"
}

# variants PHASE: the raw_write variants that also run in PHASE
variants() {
	[ "$1" = single ] || return 0
	[ "$SINGLE_FRESH" != 1 ] || echo fresh
	[ "$SINGLE_READCB" != 1 ] || echo readcb
	[ "$SINGLE_GAP_US" = 0 ] || echo "gap=$SINGLE_GAP_US"
}

phase() {
	local p=$1 k v
	log "$p: warm-up (one untimed run each)"
	run_fdw "$p" warmup
	run_raw "$p" warmup
	for v in $(variants "$p"); do run_raw "$p" warmup "$v"; done
	[ "$p" != single ] || [ "$SINGLE_LOCAL" != 1 ] || run_local warmup
	for k in $(seq 1 "$PAIRS"); do
		if [ $((k % 2)) = 1 ]; then
			run_fdw "$p" "$k"
			run_raw "$p" "$k"
			for v in $(variants "$p"); do run_raw "$p" "$k" "$v"; done
		else
			for v in $(variants "$p"); do run_raw "$p" "$k" "$v"; done
			run_raw "$p" "$k"
			run_fdw "$p" "$k"
		fi
		[ "$p" != single ] || [ "$SINGLE_LOCAL" != 1 ] || run_local "$k"
		log "$p pair $k: $(awk -F'\t' -v p="$p" -v k="$k" '$1==p && $3==k {printf "%s %s s  ", $2, $4}' "$RESULTS")"
	done
}

printf 'phase\tkind\trun\tseconds\twall_s\tclient_cpu_s\temu_cpu_s\tother_cpu_s\tfingerprint\n' >"$RESULTS"
{
	echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "emulator: $SF_GATEWAY_MAIN ($(dpkg-query -W -f='${Version}' google-cloud-cli-spanner-emulator 2>/dev/null || echo '?'))"
	echo "PostgreSQL: $("$SF_PG_BINDIR/postgres" --version)"
	echo "git: $(git -C "$SF_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$SF_ROOT" status --porcelain -- src spanner_fdw.c 2>/dev/null | grep -q . && echo ' (with uncommitted changes in src/)')"
	echo "settings: N=$N SINGLE=$SINGLE SINGLE_FRESH=$SINGLE_FRESH SINGLE_READCB=$SINGLE_READCB SINGLE_GAP_US=$SINGLE_GAP_US SINGLE_LOCAL=$SINGLE_LOCAL PAIRS=$PAIRS BATCH=$BATCH MUTATION_LIMIT=$MUTATION_LIMIT COMMIT_ROWS=$COMMIT_ROWS"
} | tee "$OUT/machine.txt"

case $WHAT in copy | all) phase copy ;; esac
case $WHAT in single | all) phase single ;; esac

echo
python3 "$BENCH_DIR/summarize_writes.py" "$RESULTS" | tee "$OUT/summary.txt"
log "results: $OUT"
