#!/usr/bin/env bash
# test/faults/run_fault_memory.sh
#	A backend's memory stays flat over failing statements of every fault
#	kind (test/standins/fault_proxy.py in front of the emulator).
#
#	One psql session (one backend) runs, for each kind of fault, a warm-up
#	of failing statements, then FAULT_MEMORY_N (default 1000) more, each a
#	separate statement (separate lines of one psql script, as an
#	application sends them).  Before and after those, it records the sum of
#	total_bytes of pg_backend_memory_contexts and the backend's RssAnon
#	(/proc/PID/status).  For each kind it asserts:
#	  - every one of the statements failed, with the expected SQLSTATE;
#	  - the memory contexts grew by less than 64 kB;
#	  - the backend's private memory (RssAnon of /proc/PID/status: what
#	    libcurl and json-c take with malloc included; VmRSS would count the
#	    shared memory pages the backend touches) grew by less than 256 kB.
#	The server option retry_timeout is 0, so every fault fails at once.
#	Kinds: UNAVAILABLE, RESOURCE_EXHAUSTED with RetryInfo, INTERNAL
#	"unexpected EOS", a 502 page, 401, a garbage body, a truncated body, a
#	connection reset, an EOS error element mid-stream (resumed, then
#	given up), a stream cut mid-way, session not found, a stall ended by
#	statement_timeout, UNAVAILABLE on DML, an aborted commit of a block.
#
#	Run by scripts/test.sh (suite fault_memory; the emulator is running and
#	SPANNER_EMULATOR_REST / SPANNER_TEST_* are exported) or on its own: then
#	it starts an emulator in the scripts/lib.sh namespace "faultmem"
#	(SF_FAULTMEM_NS) and stops it at the end.  Its own PostgreSQL cluster
#	and Spanner database.  About a minute.
#
#	Output: TAP; FAULT_MEMORY_KEEP=1 keeps the work directory (psql
#	transcript, measurements, server log).
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init fault-memory "${FAULT_MEMORY_KEEP:-0}"
tap_clean_env

STANDALONE=0
if [ -z "${SPANNER_EMULATOR_REST:-}" ]; then
	STANDALONE=1
	export SF_NS=${SF_FAULTMEM_NS:-faultmem}
fi
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=${SPANNER_TEST_PROJECT:-$SF_PROJECT}
INSTANCE=${SPANNER_TEST_INSTANCE:-$SF_INSTANCE}
DATABASE=faultmem
NSTMT=${FAULT_MEMORY_N:-1000}
WARMUP=50
CTX_BOUND=$((64 * 1024))
RSS_BOUND_KB=256
EMU_STARTED=0
PX_PID=

tap_teardown() {
	tap_pg_stop 30
	tap_stop_pid "$PX_PID"
	if [ "$EMU_STARTED" = 1 ]; then
		SF_QUIET=1 sf_stop_emulator >/dev/null 2>&1
	fi
}

tap_workdir fault_memory

# --- the emulator, a Spanner database of 20 rows, the fault proxy
if [ "$STANDALONE" = 1 ]; then
	sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
	gw_before=$(sf_read "$SF_RUN/emulator.gateway.pid")
	SF_QUIET=1 sf_start_emulator >&2 || bail "could not start the emulator"
	[ "$gw_before" != "$(sf_read "$SF_RUN/emulator.gateway.pid")" ] && EMU_STARTED=1
fi
sf_rest_ok "${SPANNER_EMULATOR_REST##*:}" || bail "the emulator at $SPANNER_EMULATOR_REST does not answer"
cat >"$WORK/fm.ddl" <<'EOF'
CREATE TABLE kv (k INT64 NOT NULL, v STRING(MAX), n INT64) PRIMARY KEY (k)
EOF
{ SF_QUIET=1 sf_create_instance "$PROJECT" "$INSTANCE" &&
	SF_QUIET=1 sf_drop_database "$PROJECT" "$INSTANCE" "$DATABASE" &&
	SF_QUIET=1 sf_create_database "$PROJECT" "$INSTANCE" "$DATABASE" "$WORK/fm.ddl"; } \
	>"$WORK/out/ddl.txt" 2>&1 || { diag <"$WORK/out/ddl.txt"; bail "could not create the Spanner database $DATABASE"; }

python3 "$ROOT/test/standins/fault_proxy.py" --upstream "$SPANNER_EMULATOR_REST" \
	--port-file "$WORK/px.port" --lifetime 900 >"$WORK/out/fault_proxy.log" 2>&1 </dev/null &
PX_PID=$!
tap_wait_file "$WORK/px.port" 100 || bail "the fault proxy did not start"
PX=http://127.0.0.1:$(cat "$WORK/px.port")

# --- PostgreSQL
tap_need_extension missing
tap_pg_init "log_min_messages = warning" "log_error_verbosity = default"
tap_pg_start || bail "the cluster did not start"
tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/setup.txt" 2>&1 <<EOF || { diag <"$WORK/out/setup.txt"; bail "setting up failed"; }
CREATE EXTENSION spanner_fdw;
CREATE SERVER direct FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$SPANNER_EMULATOR_REST', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE SERVER px FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PX', project '$PROJECT', instance '$INSTANCE', database '$DATABASE', retry_timeout '0');
CREATE USER MAPPING FOR postgres SERVER direct OPTIONS (auth 'none');
CREATE USER MAPPING FOR postgres SERVER px OPTIONS (auth 'none');
CREATE FOREIGN TABLE kv_direct (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER direct OPTIONS (table_name 'kv');
CREATE FOREIGN TABLE kv (k bigint OPTIONS (key 'true', spanner_type 'INT64'),
  v text OPTIONS (spanner_type 'STRING(MAX)'), n bigint OPTIONS (spanner_type 'INT64'))
  SERVER px OPTIONS (table_name 'kv');
INSERT INTO kv_direct SELECT g, 'row ' || g, g FROM generate_series(1, 20) g;
EOF

# --- the script: per kind, a fault that lasts, warm-up, measure, N
# statements, measure, fault off
# kinds: NAME|SQLSTATE|proxy config (the fault lasts)|statement (one line)
N9=1000000
Q="SELECT count(*) FROM (SELECT FROM kv OFFSET 0) s;"
KINDS=(
	"unavailable|08006|{\"fault\": \"unavailable\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"exhausted|53000|{\"fault\": \"exhausted\", \"fault_retry_delay\": \"0.3s\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"eos|HV000|{\"fault\": \"eos\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"http502|HV000|{\"fault\": \"http\", \"fault_http\": 502, \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"unauthenticated|28000|{\"fault\": \"unauthenticated\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"garbage|08P01|{\"fault\": \"garbage\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"truncate|08006|{\"fault\": \"truncate\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"reset|08006|{\"fault\": \"reset\", \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|$Q"
	"eos_midstream|HV000|{\"split\": 1, \"error_after\": 1, \"error_code\": 13, \"error_message\": \"Received unexpected EOS on DATA frame from server\", \"error_times\": $N9}|$Q"
	"cut_midstream|08006|{\"split\": 1, \"cut_after\": 1, \"cut_times\": $N9}|$Q"
	"session_gone|HV00R|{\"session_gone_times\": $N9}|$Q"
	"stall|57014|{\"fault\": \"stall\", \"fault_stall\": 1, \"fault_rpc\": \"executeStreamingSql\", \"fault_times\": $N9}|SET statement_timeout = '10ms'; $Q RESET statement_timeout;"
	"dml_unavailable|08006|{\"fault\": \"unavailable\", \"fault_rpc\": \"executeSql\", \"fault_times\": $N9}|UPDATE kv SET v = 'x', n = 1 WHERE k = 1;"
	"commit_aborted|40001|{\"commit_abort_times\": $N9, \"commit_retry_delay\": \"0s\"}|BEGIN; UPDATE kv SET v = 'x', n = 1 WHERE k = 1; COMMIT;"
)
# FAULT_MEMORY_KINDS: a regular expression, to run only the kinds it matches
if [ -n "${FAULT_MEMORY_KINDS:-}" ]; then
	sel=()
	for spec in "${KINDS[@]}"; do
		[[ ${spec%%|*} =~ $FAULT_MEMORY_KINDS ]] && sel+=("$spec")
	done
	KINDS=("${sel[@]}")
fi
OFF='{"fault": "", "fault_times": 0, "error_times": 0, "cut_times": 0, "session_gone_times": 0, "commit_abort_times": 0, "split": 7, "error_message": ""}'

measure() {
	# M|kind|phase|context bytes|RssAnon kB|time (ms)
	cat <<EOF
SELECT 'M', '$1', '$2', (SELECT sum(total_bytes) FROM pg_backend_memory_contexts),
  (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'RssAnon:\s+([0-9]+)'))[1],
  (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
EOF
}

{
	echo '\set VERBOSITY sqlstate'
	echo "SELECT count(*) FROM kv;"
	# a first round of every kind: what is allocated once (caches, the
	# allocator's arenas) is not counted against the kind measured first
	for spec in "${KINDS[@]}"; do
		IFS='|' read -r name state cfg stmt <<<"$spec"
		echo "\\! curl -s -X POST --data-binary '$cfg' $PX/__config >/dev/null"
		for _ in $(seq 1 $WARMUP); do echo "$stmt"; done
		echo "\\! curl -s -X POST --data-binary '$OFF' $PX/__config >/dev/null"
	done
	for spec in "${KINDS[@]}"; do
		IFS='|' read -r name state cfg stmt <<<"$spec"
		echo "\\warn K $name"
		echo "\\! curl -s -X POST --data-binary '$cfg' $PX/__config >/dev/null"
		for _ in $(seq 1 $WARMUP); do echo "$stmt"; done
		measure "$name" before
		echo "\\warn N $name"
		for _ in $(seq 1 "$NSTMT"); do echo "$stmt"; done
		echo "\\warn E $name"
		measure "$name" after
		echo "\\! curl -s -X POST --data-binary '$OFF' $PX/__config >/dev/null"
		echo "SELECT 'OK', '$name', count(*) FROM kv;"
	done
} >"$WORK/script.sql"

T1=$SECONDS
tap_psql postgres -F '|' -f "$WORK/script.sql" >"$WORK/out/stdout.txt" 2>"$WORK/out/stderr.txt"
echo "# $((SECONDS - T1)) s for $(( ${#KINDS[@]} * (NSTMT + WARMUP) )) failing statements"

for spec in "${KINDS[@]}"; do
	IFS='|' read -r name state _ <<<"$spec"
	# the errors between "N name" and "E name"
	got=$(awk -v n="$name" '$0 == "N " n { on = 1; next } $0 == "E " n { on = 0 } on' "$WORK/out/stderr.txt" |
		sed 's/^psql:[^:]*:[0-9]*: //' | sort | uniq -c | sed 's/^ *//')
	t_is "$name: $NSTMT statements fail with $state" "$got" "$NSTMT ERROR:  $state"
	before=$(grep "^M|$name|before|" "$WORK/out/stdout.txt")
	after=$(grep "^M|$name|after|" "$WORK/out/stdout.txt")
	ok=$(grep -c "^OK|$name|20$" "$WORK/out/stdout.txt")
	cb=$(cut -d'|' -f4 <<<"$before") ca=$(cut -d'|' -f4 <<<"$after")
	rb=$(cut -d'|' -f5 <<<"$before") ra=$(cut -d'|' -f5 <<<"$after")
	if [ -z "$cb" ] || [ -z "$ca" ] || [ -z "$rb" ] || [ -z "$ra" ]; then
		fail "$name: measured"
		continue
	fi
	tb=$(cut -d'|' -f6 <<<"$before") ta=$(cut -d'|' -f6 <<<"$after")
	echo "# $name: memory contexts $cb -> $ca bytes ($((ca - cb))), RssAnon $rb -> $ra kB ($((ra - rb))), $((ta - tb)) ms"
	if [ $((ca - cb)) -lt $CTX_BOUND ]; then pass "$name: memory contexts flat"; else fail "$name: memory contexts grew by $((ca - cb)) bytes"; fi
	if [ $((ra - rb)) -lt $RSS_BOUND_KB ]; then pass "$name: private memory flat"; else fail "$name: private memory grew by $((ra - rb)) kB"; fi
	t_is "$name: the backend works after" "$ok" 1
done
finish
