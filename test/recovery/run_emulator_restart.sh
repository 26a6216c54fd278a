#!/usr/bin/env bash
# test/recovery/run_emulator_restart.sh
#	A Cloud Spanner emulator restarted under a running backend.
#
#	The emulator keeps nothing across a restart: the instance, the database
#	and every session are gone, and it numbers sessions from 0 again.  One
#	psql session (one backend, driven as a coprocess and kept open for the
#	whole test) holds a cached connection and Spanner session while the
#	emulator is restarted on the same REST port and the sample database is
#	loaded again:
#	  - outside a transaction block, the backend's next query finds its
#	    session gone, makes a new one and is retried: it returns the rows
#	    without spanner_fdw_disconnect_all(), and
#	    spanner_fdw_get_connections() reports the connection valid with
#	    one session;
#	  - in a transaction block whose first query ran before the restart,
#	    the next query fails with SQLSTATE 40001 ("the Spanner session of
#	    this transaction expired"); after ROLLBACK the next query works.
#	sql/recovery.sql checks the same through deleted sessions; this test
#	checks it against a real restart (the backend's HTTP connection to the
#	emulator dies too).
#
#	The test starts its own emulator (on free ports of its own, so the
#	emulator of scripts/test.sh is never touched) and its own PostgreSQL
#	15 cluster (as the postgres OS user when run as root), and stops both
#	on every exit path.  Run by scripts/test.sh (suite emulator-restart),
#	which builds and installs the extension first; run on its own it builds
#	and installs the extension if it is not installed (or if
#	SF_RESTART_BUILD=1).
#
#	Output: TAP ("ok N - ...", "not ok N - ...", "1..N" last); exit status
#	non-zero if any test failed.  RESTART_KEEP=1 keeps the work directory
#	(PostgreSQL log, emulator logs, psql transcript) for inspection.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init emulator-restart "${RESTART_KEEP:-0}"

tap_clean_env SPANNER_EMULATOR_HOST

# A namespace of our own: nothing here may stop what scripts/test.sh or a
# demo started under theirs.
export SF_NS=${SF_RESTART_NS:-emurestart}
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=restart-project
INSTANCE=restart-instance
DATABASE='test'
DBPATH=projects/$PROJECT/instances/$INSTANCE/databases/$DATABASE
# the sample data (sample/load.py): 50 singers, 40 of them with SingerId > 10
NSINGERS=50
NSINGERS10=40

# ------------------------------------------------------------------ cleanup

# tap_teardown: called by tap_cleanup on every exit path
tap_teardown() {
	tap_psql_close
	tap_pg_stop 30
	tap_emu_stop
}

# ------------------------------------------------------------------ emulator

# load_sample: instance, database and sample data, as after a fresh start
load_sample() {
	tap_setup_sample_db "$DATABASE" "$PROJECT" "$INSTANCE"
}

# live_sessions: the names of the database's sessions, one a line
live_sessions() {
	tap_emu_sessions "$DBPATH"
}

# ------------------------------------------------------------------ the backend

# conn_state: "VALID SESSION_COUNT" of server sp in spanner_fdw_get_connections()
conn_state() {
	tap_q conn "SELECT valid, session_count FROM spanner_fdw_get_connections() WHERE server_name = 'sp';"
	printf '%s\n' "$Q_OUT" | tr '|' ' '
}

# restart TAG: stop the emulator, start a new one on the same ports, check
# that it lost everything, then load the sample database again
RESTART_SECS=
restart() {
	local tag=$1 old=$TAP_EMU_GW t=$SECONDS
	tap_emu_stop
	tap_emu_start "${tag// /_}" || {
		tail -n 20 "$WORK/emulator_${tag// /_}.log" | diag
		bail "the emulator did not start again on 127.0.0.1:$TAP_EMU_PORT"
	}
	t_is "$tag: a new emulator runs on the same REST port ($TAP_EMU_PORT), the database is gone and no session survived" \
		"$([ "$TAP_EMU_GW" != "$old" ] && echo new) $(sf_database_exists "$PROJECT" "$INSTANCE" "$DATABASE" 2>/dev/null &&
			echo database || echo no-database) $(live_sessions | grep -c .)" "new no-database 0"
	load_sample || bail "could not load the sample database again"
	RESTART_SECS=$((SECONDS - t))
}

# ================================================================== setup

tap_workdir emu_restart

# --- the emulator (ports of our own) and the sample database
tap_emu_first
echo "# emulator at $SPANNER_EMULATOR_REST (gRPC $TAP_EMU_GRPC, gateway pid $TAP_EMU_GW)"
load_sample || bail "could not load the sample database"
read -r got < <(sf_exec_sql "$DATABASE" "SELECT COUNT(*) FROM Singers" "$PROJECT" "$INSTANCE" 2>/dev/null |
	python3 -c 'import json, sys
print(json.JSONDecoder().raw_decode(sys.stdin.read().strip())[0]["rows"][0][0])' 2>/dev/null)
[ "${got:-}" = "$NSINGERS" ] || bail "the sample database has ${got:-no} singers, not $NSINGERS"

# --- the extension
if [ "${SF_RESTART_BUILD:-0}" = 1 ]; then tap_need_extension build; else tap_need_extension missing; fi

# --- PostgreSQL
# shellcheck disable=SC2119  # no settings beyond the common ones
tap_pg_init
# shellcheck disable=SC2119  # no environment beyond PATH and LANG
tap_pg_start || bail "PostgreSQL did not start"
echo "# PostgreSQL on $TAP_PG_SOCK port $TAP_PG_PORT"
tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/setup.txt" 2>&1 <<EOF || { diag <"$WORK/out/setup.txt"; bail "creating the foreign tables failed"; }
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$SPANNER_EMULATOR_REST', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER sp OPTIONS (auth 'none');
CREATE FOREIGN TABLE singers (singer_id bigint OPTIONS (column_name 'SingerId'))
  SERVER sp OPTIONS (table_name 'Singers');
EOF

# --- the one backend of the test: psql as a coprocess, kept open throughout
tap_psql_open -q
tap_q pid0 "SELECT pg_backend_pid();" && [ -n "$Q_OUT" ] || bail "psql did not answer: $Q_OUT"
PID0=$Q_OUT
echo "# backend pid $PID0"

# ================================================================== cases

# ---- 1. before the restart: the backend's connection and its one session
tap_q c1 "SELECT count(*) FROM singers;"
t_is "before the restart: the backend reads $NSINGERS singers" "$Q_STATE $Q_OUT" "00000 $NSINGERS"
SESSION1=$(live_sessions)
t_is "before the restart: the connection is valid with 1 session, the emulator has 1 live session" \
	"$(conn_state) / $(printf '%s' "$SESSION1" | grep -c .)" "t 1 / 1"
echo "# the backend's session: ${SESSION1:-none}"

# ---- 2. restart outside a transaction block: the next query recovers
restart "restart 1"
echo "# emulator restarted and sample loaded again in $RESTART_SECS s (gateway pid $TAP_EMU_GW)"
tap_q c2debug "SET client_min_messages = debug1;"
tap_q c2 "SELECT count(*) FROM singers WHERE singer_id > 10;"
c2_out=$Q_OUT
c2_state=$Q_STATE
tap_q c2reset "RESET client_min_messages;"
t_is "after restart 1: the backend's next query is retried on a new session and reads $NSINGERS10 singers" \
	"$c2_state $(printf '%s\n' "$c2_out" | grep -x '[0-9]*' | tail -n1)" "00000 $NSINGERS10"
t_is "after restart 1: the backend saw its session ${SESSION1##*/} gone and created a new one" \
	"$(printf '%s\n' "$c2_out" | grep -c -F "spanner_fdw: session $SESSION1 is gone; creating a new one")" 1
[ "$(printf '%s\n' "$c2_out" | grep -c -F "is gone; creating a new one")" = 1 ] || printf '%s\n' "$c2_out" | diag
t_is "after restart 1: the connection is valid with 1 session, the emulator has 1 live session" \
	"$(conn_state) / $(live_sessions | grep -c .)" "t 1 / 1"
tap_q c2b "SELECT count(*), pg_backend_pid() FROM singers;"
t_is "after restart 1: the same backend (pid $PID0) reads $NSINGERS singers again, without spanner_fdw_disconnect_all()" \
	"$Q_STATE $Q_OUT" "00000 $NSINGERS|$PID0"

# ---- 3. restart inside a transaction block whose first query ran before
tap_q c3begin "BEGIN;"
tap_q c3a "SELECT count(*) FROM singers;"
t_is "transaction block: its first query reads $NSINGERS singers before the restart" "$Q_STATE $Q_OUT" "00000 $NSINGERS"
restart "restart 2"
echo "# emulator restarted and sample loaded again in $RESTART_SECS s (gateway pid $TAP_EMU_GW)"
tap_q c3b "SELECT count(*) FROM singers;"
t_is "transaction block after restart 2: the next query fails with SQLSTATE 40001" "$Q_STATE" 40001
t_is "transaction block after restart 2: the error says the session of the transaction expired" \
	"$(printf '%s\n' "$Q_OUT" | grep -c -F "ERROR:  40001: the Spanner session of this transaction expired")" 1
[ "$Q_STATE" = 40001 ] || printf '%s\n' "$Q_OUT" | diag
tap_q c3rollback "ROLLBACK;"
t_is "ROLLBACK succeeds" "$Q_STATE" 00000
tap_q c3c "SELECT count(*) FROM singers;"
t_is "after ROLLBACK: the next query reads $NSINGERS singers" "$Q_STATE $Q_OUT" "00000 $NSINGERS"
t_is "after ROLLBACK: the connection is valid with 1 session, the emulator has 1 live session" \
	"$(conn_state) / $(live_sessions | grep -c .)" "t 1 / 1"
tap_q c3d "BEGIN;"
tap_q c3e "SELECT count(*) FROM singers WHERE singer_id > 10;"
tap_q c3f "COMMIT;"
t_is "after ROLLBACK: a new transaction block reads $NSINGERS10 singers and commits" "$Q_STATE $(cat "$WORK/out/c3e.txt")" "00000 $NSINGERS10"

# ---- 4. all of it ran in one backend
tap_q c4 "SELECT pg_backend_pid();"
t_is "one backend throughout: pg_backend_pid() is still $PID0" "$Q_OUT" "$PID0"

finish
