#!/usr/bin/env bash
# test/multiplexed/run_shared_session.sh
#	One multiplexed Spanner session shared by every backend of a postmaster
#	(spanner_fdw in shared_preload_libraries).
#
#	The emulator has no multiplexed sessions; test/standins/fault_proxy.py
#	in front of it answers session creation as production does with
#	"multiplexed": true, runs each transaction on a pool of emulator
#	sessions, hands read-write transactions precommit tokens and refuses a
#	commit without the latest.  A throw-away PostgreSQL 15 cluster queries
#	a database of its own through the proxy:
#	  - with the preload: several backends started at the same instant, each
#	    reading and writing (autocommit INSERT, a block with DML, RETURNING),
#	    make exactly one session create between them; every commit carried
#	    the latest token; a new backend's first query makes no session call;
#	    a role presenting other credentials gets a session of its own; a
#	    session Spanner says is gone is replaced once for everybody; the
#	    session is never deleted, not even at shutdown;
#	  - without the preload: each backend creates its own.
#	What Spanner holds at the end is checked row by row (count + checksum)
#	through a server without the proxy.
#
#	Run by scripts/test.sh (the emulator is running, SPANNER_EMULATOR_REST
#	and SPANNER_TEST_* are exported, the extension is installed) or on its
#	own: then it starts an emulator in the scripts/lib.sh namespace
#	"muxshared" (SF_MUX_NS), builds and installs the extension if it is not
#	installed, and stops what it started.
#
#	Output: TAP ("ok N - ...", "not ok N - ...", "1..N" last); exit status
#	non-zero if any test failed.  MUX_KEEP=1 keeps the work directory.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init shared-session "${MUX_KEEP:-0}"
tap_clean_env

STANDALONE=0
if [ -z "${SPANNER_EMULATOR_REST:-}" ]; then
	STANDALONE=1
	export SF_NS=${SF_MUX_NS:-muxshared}
fi
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=${SPANNER_TEST_PROJECT:-$SF_PROJECT}
INSTANCE=${SPANNER_TEST_INSTANCE:-$SF_INSTANCE}
DATABASE=muxshared
NB=6	# concurrent backends

PROXY_PID=
PROXY=
EMU_STARTED=0
DB_MADE=0

tap_teardown() {
	tap_pg_stop
	tap_stop_pid "$PROXY_PID"
	if [ "$DB_MADE" = 1 ]; then
		SF_QUIET=1 sf_drop_database "$PROJECT" "$INSTANCE" "$DATABASE" >/dev/null 2>&1
	fi
	if [ "$EMU_STARTED" = 1 ]; then
		SF_QUIET=1 sf_stop_emulator >/dev/null 2>&1
	fi
}

# px PATH [BODY]: GET (or POST BODY to) the proxy, print the answer
px() {
	python3 - "$PROXY$1" "${2:-}" <<'PY'
import sys, urllib.request
url, body = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, data=body.encode() if body else None,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=30).read().decode())
PY
}
# mux EXPR: a Python expression over the proxy's multiplexed-session
# counters m (/__stats "mux")
mux() {
	px /__stats | python3 -c 'import json, sys; m = json.load(sys.stdin)["mux"]; print(eval(sys.argv[1]))' "$1"
}

sql() {
	tap_psql postgres -v ON_ERROR_STOP=1 -v VERBOSITY=verbose >"$1" 2>&1
}

# worker ROLE I AT: one backend, started at epoch AT, reading and writing
# rows 1000*I + 1.. through the proxy; prints its results.  The emulator
# runs one read-write transaction at a time and aborts the others (40001),
# so, as an application would, the worker repeats a write until it is in
# Spanner (checked by reading it back; at most 20 attempts, a short random
# pause between them); errors go to the worker's .err file.
worker() {
	local b=$((1000 * $2)) a
	{
		echo "DO \$\$BEGIN PERFORM pg_sleep_until(to_timestamp($3)); END\$\$;"
		echo "SELECT count(*) FROM mkv WHERE k < 1000;"
		echo "\\set ins f"
		echo "\\set blk f"
		for a in $(seq 1 20); do
			cat <<EOF
\\if :ins
\\else
INSERT INTO mkv VALUES ($b + 1, 'a$2', 1), ($b + 2, 'b$2', 2);
SELECT count(*) = 2 AS ins FROM mkv WHERE k IN ($b + 1, $b + 2) \\gset
\\if :ins
\\else
SELECT pg_sleep(random() * 0.2) \\gset
\\endif
\\endif
\\if :blk
\\elif :ins
BEGIN;
UPDATE mkv SET n = n + 10 WHERE k = $b + 1;
INSERT INTO mkv VALUES ($b + 3, 'c$2', 3) RETURNING k AS ret_k, v AS ret_v \\gset
SELECT sum(n) AS in_sum FROM mkv WHERE k BETWEEN $b AND $b + 999 \\gset
COMMIT;
SELECT count(*) = 1 AS blk FROM mkv WHERE k = $b + 3 \\gset
\\if :blk
\\else
SELECT pg_sleep(random() * 0.2) \\gset
\\endif
\\endif
EOF
		done
		echo "\\echo :ret_k|:ret_v :in_sum"
		echo "BEGIN;"
		echo "INSERT INTO mkv VALUES ($b + 4, 'lost', 4);"
		echo "ROLLBACK;"
		echo "SELECT string_agg(k || ':' || v || ':' || n, ',' ORDER BY k) FROM mkv WHERE k BETWEEN $b AND $b + 999;"
	} | tap_psql "$1" -v VERBOSITY=terse >"$WORK/out/w_$1_$2.txt" 2>"$WORK/out/w_$1_$2.err"
	tr '\n' ' ' <"$WORK/out/w_$1_$2.txt" | sed 's/ $//'
}
# the output worker ROLE I prints when everything went right (K0 rows < 1000)
worker_want() {
	local b=$((1000 * $2))
	echo "$3 $((b + 3))|c$2 16 $((b + 1)):a$2:11,$((b + 2)):b$2:2,$((b + 3)):c$2:3"
}

# burst ROLE FROM TO: workers FROM..TO started at the same instant
burst() {
	local i at pids=()
	at=$(python3 -c 'import time; print("%.3f" % (time.time() + 3))')
	for i in $(seq "$2" "$3"); do
		worker "$1" "$i" "$at" >"$WORK/out/burst_$i.txt" &
		pids+=($!)
	done
	wait "${pids[@]}"
}
# burst_check ROLE FROM TO K0: one result line per worker that went wrong
burst_check() {
	local i got want bad=''
	for i in $(seq "$2" "$3"); do
		got=$(cat "$WORK/out/burst_$i.txt")
		want=$(worker_want "$1" "$i" "$4")
		[ "$got" = "$want" ] || bad="$bad worker $i: got [$got] want [$want];"
	done
	echo "${bad:-all $(($3 - $2 + 1)) right}"
}

# ------------------------------------------------------------------ set-up
tap_workdir muxshared

if [ "$STANDALONE" = 1 ]; then
	gw_before=$(sf_read "$SF_RUN/emulator.gateway.pid")
	sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
	SF_QUIET=1 sf_start_emulator >&2 || bail "could not start the emulator"
	gw_after=$(sf_read "$SF_RUN/emulator.gateway.pid")
	[ "$gw_before" != "$gw_after" ] && EMU_STARTED=1
	SF_QUIET=1 sf_create_instance "$PROJECT" "$INSTANCE" >/dev/null 2>&1
	tap_need_extension missing
fi
sf_rest_ok "${SPANNER_EMULATOR_REST##*:}" || bail "the emulator at $SPANNER_EMULATOR_REST does not answer"
SF_QUIET=1 sf_create_database "$PROJECT" "$INSTANCE" "$DATABASE" "$ROOT/test/data/spanner/writes.ddl" \
	>/dev/null 2>"$WORK/db.err" || { diag <"$WORK/db.err"; bail "could not create database $DATABASE"; }
DB_MADE=1

python3 test/standins/fault_proxy.py --upstream "$SPANNER_EMULATOR_REST" \
	--port-file "$WORK/proxy.port" --lifetime 1800 >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
tap_wait_file "$WORK/proxy.port" 100 || bail "the proxy did not start"
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port")
px /__config '{"multiplexed": true}' >/dev/null || bail "the proxy does not answer"

tap_pg_init "log_min_messages = warning"
tap_pg_start -o "-c shared_preload_libraries=spanner_fdw" || bail "PostgreSQL did not start with the preload"
sql "$WORK/out/setup.txt" <<EOF || { diag <"$WORK/out/setup.txt"; bail "set-up failed"; }
CREATE EXTENSION spanner_fdw;
CREATE SERVER mx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PROXY', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER mx OPTIONS (auth 'none');
CREATE FOREIGN TABLE mkv (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER mx OPTIONS (table_name 'kv');
CREATE SERVER direct FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$SPANNER_EMULATOR_REST', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER direct OPTIONS (auth 'none');
CREATE FOREIGN TABLE held (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER direct OPTIONS (table_name 'kv');
-- a role presenting other credentials (an access token) to the same database
CREATE ROLE bob LOGIN;
CREATE USER MAPPING FOR bob SERVER mx OPTIONS (auth 'access_token', access_token 'token-of-bob');
GRANT USAGE ON FOREIGN SERVER mx TO bob;
GRANT SELECT, INSERT, UPDATE, DELETE ON mkv TO bob;
INSERT INTO held VALUES (1, 'seed', 5);
EOF

# ------------------------------------------------------------------ tests
t_is "shared_preload_libraries: the shared session cache is allocated" \
	"$(tap_psql postgres -c "SELECT current_setting('shared_preload_libraries'), count(*) FROM pg_shmem_allocations WHERE name = 'spanner_fdw sessions'" 2>&1)" \
	"spanner_fdw|1"

burst postgres 1 "$NB"
t_is "$NB backends at the same instant each read and write through the multiplexed session" \
	"$(burst_check postgres 1 "$NB" 1)" "all $NB right"
t_is "$NB concurrent backends: exactly one session create between them, none deleted" \
	"$(mux '"%d %d" % (m["session_creates"], m["session_deletes_refused"])')" "1 0"
# (a commit the emulator aborts is sent again: at least one per worker)
t_is "every read-write commit carried the latest precommit token: block commits with a token and single-use commits (at least $NB each), none refused" \
	"$(mux '"%s %s %d" % (m["commits_with_token"] >= '"$NB"', m["commits_single_use"] >= '"$NB"', m["commits_refused"])')" \
	"True True 0"

tap_psql postgres -c "SELECT count(*) FROM mkv" >"$WORK/out/fresh.txt" 2>&1
t_is "a new backend's first query makes no session call (still one create) and returns $((NB * 3 + 1)) rows" \
	"$(cat "$WORK/out/fresh.txt") $(mux 'm["session_creates"]')" "$((NB * 3 + 1)) 1"

burst bob 11 12
t_is "a role presenting other credentials: two concurrent backends read and write" \
	"$(burst_check bob 11 12 1)" "all 2 right"
t_is "... on a session of its own: one more create between them" \
	"$(mux 'm["session_creates"]')" "2"

px /__config '{"mux_session_gone_times": 1}' >/dev/null
burst postgres 21 24
t_is "Spanner says the session is gone: four concurrent backends still read and write" \
	"$(burst_check postgres 21 24 1)" "all 4 right"
# each backend that had taken the old session from the cache finds it gone
t_is "... after one replacement between them (at least one 404, exactly one more create)" \
	"$(mux '"%s %d" % (1 <= m["session_gone"] <= 4, m["session_creates"])')" "True 3"
tap_psql postgres -c "SELECT count(*) FROM mkv WHERE k < 1000" >"$WORK/out/after_gone.txt" 2>&1
t_is "... and the next backend uses the replacement without a session call" \
	"$(cat "$WORK/out/after_gone.txt") $(mux 'm["session_creates"]')" "1 3"

# what Spanner holds: the seed row and 3 rows of each of the 12 workers
want_rows=$((1 + 3 * (NB + 2 + 4)))
tap_psql postgres -c "SELECT count(*), sum(k), sum(n), md5(string_agg(k || v || n, ',' ORDER BY k)) FROM held" \
	>"$WORK/out/held.txt" 2>&1
want_md5=$(python3 - "$NB" <<'PY'
import hashlib, sys
nb = int(sys.argv[1])
rows = [(1, "seed", 5)]
for i in list(range(1, nb + 1)) + [11, 12] + [21, 22, 23, 24]:
    b = 1000 * i
    rows += [(b + 1, "a%d" % i, 11), (b + 2, "b%d" % i, 2), (b + 3, "c%d" % i, 3)]
rows.sort()
print("%d|%d|%d|%s" % (len(rows), sum(r[0] for r in rows), sum(r[2] for r in rows),
                       hashlib.md5(",".join("%d%s%d" % r for r in rows).encode()).hexdigest()))
PY
)
t_is "Spanner holds exactly the $want_rows rows written (count, sums, checksum), nothing of the rolled-back blocks" \
	"$(cat "$WORK/out/held.txt")" "$want_md5"

tap_pg_stop 60
t_is "shutdown with the preload: the multiplexed sessions are not deleted" \
	"$(mux 'm["session_deletes_refused"]')" "0"

# ------------------------------------------------------------------ no preload
tap_pg_start || bail "PostgreSQL did not restart without the preload"
before=$(mux 'm["session_creates"]')
tap_psql postgres -c "SELECT count(*) FROM mkv WHERE k < 1000" >"$WORK/out/np1.txt" 2>&1
tap_psql postgres -c "SELECT count(*) FROM mkv WHERE k < 1000" >"$WORK/out/np2.txt" 2>&1
t_is "without shared_preload_libraries: no shared session cache; two backends each read" \
	"$(tap_psql postgres -c "SELECT count(*) FROM pg_shmem_allocations WHERE name = 'spanner_fdw sessions'" 2>&1) $(cat "$WORK/out/np1.txt") $(cat "$WORK/out/np2.txt")" \
	"0 1 1"
t_is "... and each creates its own session (per backend), none deleted" \
	"$(($(mux 'm["session_creates"]') - before)) $(mux 'm["session_deletes_refused"]')" "2 0"

finish
