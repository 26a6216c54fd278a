#!/usr/bin/env bash
# test/recovery/run_emulator_crash.sh
#	The Cloud Spanner emulator killed (kill -9, by PID) in the middle of a
#	read-write transaction, then started again.
#
#	The emulator keeps nothing across a restart: the instance, the database,
#	every session and transaction are gone, and it numbers sessions (and
#	transactions) from 0 again.  After each kill the test starts a new
#	emulator on the same ports and loads the sample database again.  One psql
#	session (one backend, driven as a coprocess and kept open for the whole
#	test) goes through every case; none needs spanner_fdw_disconnect_all():
#	  a) a scan in flight (its rows slowed by a local function) inside a READ
#	     COMMITTED block after a first write: the scan fails with 08006, the
#	     block is aborted (25P02), COMMIT answers ROLLBACK; the next
#	     statement works.  With a savepoint (psql's ON_ERROR_ROLLBACK), the
#	     block goes on after the failed scan: its next statement reports the
#	     lost read-write transaction (40001) until ROLLBACK, COMMIT fails;
#	  b) the emulator killed between two statements of a block holding a
#	     read-write transaction: the next statement reports the lost
#	     read-write transaction (40001), COMMIT answers ROLLBACK; a COMMIT
#	     right after the restart fails (40001) and never claims success;
#	  c) autocommit: an UPDATE in flight fails with 08006; an INSERT whose
#	     commit is in flight fails with 08007 (outcome unknown); the next
#	     statement works;
#	  d) after each recovery spanner_fdw_get_connections() reports the
#	     connection valid with one session, and the emulator has exactly
#	     one live session: the backend's;
#	  e) a session name the backend cached that the new emulator has given
#	     to another client: the backend neither uses nor deletes that
#	     session, in a transaction block or outside one.
#	To kill the emulator while a request is in flight, the test stops both
#	emulator processes (SIGSTOP) once the backend is inside the statement,
#	waits until the backend waits for Spanner's answer, then kills them.
#	Rows read after a recovery are checked by count and checksum against
#	what the emulator itself returns.
#
#	The test starts its own emulator (on free ports of its own, so the
#	emulator of scripts/test.sh is never touched) and its own PostgreSQL 15
#	cluster (as the postgres OS user when run as root), and stops both on
#	every exit path.  Run by scripts/test.sh (suite emulator-crash), which
#	builds and installs the extension first; run on its own it builds and
#	installs the extension if it is not installed (or if SF_CRASH_BUILD=1).
#
#	Output: TAP ("ok N - ...", "not ok N - ...", "1..N" last); exit status
#	non-zero if any test failed.  CRASH_KEEP=1 keeps the work directory
#	(PostgreSQL log, emulator logs, psql transcript) for inspection.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init emulator-crash "${CRASH_KEEP:-0}"

tap_clean_env SPANNER_EMULATOR_HOST

# A namespace of our own: nothing here may stop what scripts/test.sh or a
# demo started under theirs.
export SF_NS=${SF_CRASH_NS:-emucrash}
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=crash-project
INSTANCE=crash-instance
DATABASE='test'
DBPATH=projects/$PROJECT/instances/$INSTANCE/databases/$DATABASE
# the sample data (sample/load.py): 50 singers
NSINGERS=50
# the view Big: BIG_ROWS rows of BIG_PAD bytes each, made up by Spanner as
# it is read (far more than the socket buffers between the emulator and
# the backend hold, so a scan of it is still streaming when the emulator
# dies)
BIG_ROWS=400
BIG_PAD=100000
BIG_DDL="CREATE VIEW Big SQL SECURITY INVOKER AS SELECT x AS Id, REPEAT('x', $BIG_PAD) AS Pad FROM UNNEST(GENERATE_ARRAY(1, $BIG_ROWS)) AS x"
# what the backend reads back after each recovery, computed the same way by
# PostgreSQL and (checksum_spanner) from the emulator's own answer
CHECKSUM_SQL="SELECT count(*) || ' ' || sum(singer_id) || ' ' || md5(string_agg(singer_id || ':' || coalesce(first_name, '-'), ',' ORDER BY singer_id)) FROM singers;"

# ------------------------------------------------------------------ cleanup

# tap_teardown: called by tap_cleanup on every exit path
tap_teardown() {
	tap_psql_close
	tap_pg_stop 30
	tap_emu_stop
	[ -z "$ALIAS" ] || sf_rest DELETE "$ALIAS" >/dev/null 2>&1
}

# ------------------------------------------------------------------ emulator

# load: instance, database, sample data and the view Big, as after a fresh
# start
load() {
	tap_setup_sample_db "$DATABASE" "$PROJECT" "$INSTANCE" || return 1
	sf_rest PATCH "$DBPATH/ddl" "$(python3 -c 'import json, sys; print(json.dumps({"statements": [sys.argv[1]]}))' "$BIG_DDL")" \
		>/dev/null 2>"$WORK/ddl.err" || {
		diag <"$WORK/ddl.err"
		return 1
	}
}

live_sessions() {
	tap_emu_sessions "$DBPATH"
}

# checksum_spanner: the backend's CHECKSUM_SQL, computed from the rows the
# emulator returns (a throw-away session of its own, deleted at once)
checksum_spanner() {
	sf_exec_sql "$DATABASE" "SELECT SingerId, FirstName FROM Singers ORDER BY SingerId" "$PROJECT" "$INSTANCE" 2>/dev/null |
		python3 -c 'import hashlib, json, sys
rows = json.JSONDecoder().raw_decode(sys.stdin.read().strip())[0]["rows"]
s = ",".join("%s:%s" % (r[0], "-" if r[1] is None else r[1]) for r in rows)
print(len(rows), sum(int(r[0]) for r in rows), hashlib.md5(s.encode()).hexdigest())'
}

# freeze: stop both emulator processes (SIGSTOP): a request sent now waits
freeze() {
	kill -STOP "$TAP_EMU_GW" "$TAP_EMU_EM"
}

# crash TAG: kill -9 both emulator processes by PID and check they are gone
crash() {
	local gw=$TAP_EMU_GW em=$TAP_EMU_EM
	kill -KILL "$gw" "$em" 2>/dev/null
	wait "$gw" 2>/dev/null
	tap_wait_exit "$em" 100
	TAP_EMU_GW=
	TAP_EMU_EM=
	t_is "$1: the emulator (gateway pid $gw, emulator_main pid $em) was killed with SIGKILL" \
		"$(sf_pid_is "$gw" gateway_main && echo gw-alive)$(sf_pid_is "$em" emulator_main && echo em-alive)" ""
}

# restart TAG: start a new emulator on the same ports, check that it lost
# everything, then load the sample database again
restart() {
	local tag=$1
	tap_emu_start "${tag// /_}" || {
		tail -n 20 "$WORK/emulator_${tag// /_}.log" | diag
		bail "the emulator did not start again on 127.0.0.1:$TAP_EMU_PORT"
	}
	t_is "$tag: a new emulator runs on the same REST port ($TAP_EMU_PORT), the database is gone and no session survived" \
		"$(sf_database_exists "$PROJECT" "$INSTANCE" "$DATABASE" 2>/dev/null &&
			echo database || echo no-database) $(live_sessions | grep -c .)" "no-database 0"
	load || bail "could not load the sample database again"
	EXPECTED=$(checksum_spanner)
	[ -n "$EXPECTED" ] || bail "could not read the singers from the emulator"
}

# ------------------------------------------------------------------ the backend

# q TAG SQL / q_wait: tap_q / tap_q_wait; a statement with no answer within
# 60 s leaves the backend out of step with the test: stop there
q() {
	tap_q "$1" "$2" || bail "$1: no answer from the backend within 60 s: $Q_OUT"
}
q_wait() {
	tap_q_wait || bail "$Q_TAG: no answer from the backend within 60 s: $Q_OUT"
}

# state PID: "STATE WAIT_EVENT_TYPE APPLICATION_NAME" of backend PID (from
# another connection)
state() {
	tap_psql postgres -c "SELECT state, coalesce(wait_event_type, '-'), application_name FROM pg_stat_activity WHERE pid = $1" 2>/dev/null |
		tr '|' ' '
}

# wait_rows N: wait until the in-flight statement of the backend has passed
# N rows to the local function slow() (it names them in application_name)
wait_rows() {
	local deadline=$((SECONDS + 60)) s n
	while [ "$SECONDS" -lt "$deadline" ]; do
		s=$(state "$PID0")
		n=${s##* }
		n=${n#row-}
		case $n in '' | *[!0-9]*) n=0 ;; esac
		[ "$n" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_for_spanner: wait until the backend, inside a statement, waits for
# Spanner's answer (wait event type Extension) and stays so (same state
# twice, half a second apart): everything sent before the freeze is read
wait_for_spanner() {
	local deadline=$((SECONDS + 60)) a b
	while [ "$SECONDS" -lt "$deadline" ]; do
		a=$(state "$PID0")
		case $a in "active Extension "*)
			sleep 0.5
			b=$(state "$PID0")
			[ "$a" = "$b" ] && return 0
			;;
		esac
		sleep 0.1
	done
	echo "backend state: $(state "$PID0")" | diag
	return 1
}

# err_line LEVEL: the line "LEVEL:  SQLSTATE: message" of Q_OUT (first one)
err_line() {
	printf '%s\n' "$Q_OUT" | grep -m1 "^$1:  "
}

# field NAME: the line "NAME:  ..." of Q_OUT (first one), without the name
field() {
	printf '%s\n' "$Q_OUT" | grep -m1 "^$1:  " | sed "s/^$1:  //"
}

# conn_state: CONN := "VALID SESSION_COUNT" of server sp in
# spanner_fdw_get_connections()
CONN=
conn_state() {
	q conn "SELECT valid, session_count FROM spanner_fdw_get_connections() WHERE server_name = 'sp';"
	CONN=$(printf '%s\n' "$Q_OUT" | tr '|' ' ')
}

# recovered TAG: the backend's next statements work against the new
# emulator: it reads the sample rows (count and checksum), writes in a
# block and reads its write back, and its connection is valid with the
# one live session of the emulator
recovered() {
	local tag=$1
	q "${tag}_read" "$CHECKSUM_SQL"
	t_is "$tag: the next statement reads the $NSINGERS singers of the new emulator (count, sum, checksum)" \
		"$Q_STATE $Q_OUT" "00000 $EXPECTED"
	q "${tag}_w1" "BEGIN;"
	q "${tag}_w2" "UPDATE singers SET first_name = 'after $tag' WHERE singer_id = 2;"
	q "${tag}_w3" "COMMIT;"
	q "${tag}_w4" "SELECT first_name FROM singers WHERE singer_id = 2;"
	t_is "$tag: then a block writes and commits, and its write reads back" \
		"$(cat "$WORK/out/${tag}_w2.txt") / $(cat "$WORK/out/${tag}_w3.txt") / $Q_OUT" \
		"UPDATE 1 / COMMIT / after $tag"
	conn_state
	t_is "$tag: spanner_fdw_get_connections(): valid, 1 session; the emulator has 1 live session" \
		"$CONN / $(live_sessions | grep -c .)" "t 1 / 1"
}

# ================================================================== setup

tap_workdir emu_crash
ALIAS=
EXPECTED=

# --- the emulator (ports of our own) and the sample database
tap_emu_first
echo "# emulator at $SPANNER_EMULATOR_REST (gRPC $TAP_EMU_GRPC, gateway pid $TAP_EMU_GW)"
load || bail "could not load the sample database"
EXPECTED=$(checksum_spanner)
[ "${EXPECTED%% *}" = "$NSINGERS" ] || bail "the sample database has ${EXPECTED%% *} singers, not $NSINGERS"

# --- the extension
if [ "${SF_CRASH_BUILD:-0}" = 1 ]; then tap_need_extension build; else tap_need_extension missing; fi

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
CREATE FOREIGN TABLE singers (
  singer_id bigint OPTIONS (column_name 'SingerId', key 'true'),
  first_name text OPTIONS (column_name 'FirstName'),
  last_name text OPTIONS (column_name 'LastName'))
  SERVER sp OPTIONS (table_name 'Singers');
CREATE FOREIGN TABLE big (id bigint OPTIONS (column_name 'Id'), pad text OPTIONS (column_name 'Pad'))
  SERVER sp OPTIONS (table_name 'Big');
-- a row at a time, slowly, naming the row in application_name (which
-- another connection sees in pg_stat_activity); never sent to Spanner
CREATE FUNCTION slow(bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE AS \$\$
BEGIN
  PERFORM set_config('application_name', 'row-' || \$1, false);
  PERFORM pg_sleep(0.005);
  RETURN true;
END
\$\$;
EOF

# --- the one backend of the test (psql not quiet: command tags show)
tap_psql_open
q pid0 "SELECT pg_backend_pid();"
[ -n "$Q_OUT" ] || bail "psql did not answer: $Q_OUT"
PID0=$Q_OUT
echo "# backend pid $PID0"

# ================================================================== cases

# ---- 0. before any crash
q c0 "$CHECKSUM_SQL"
t_is "before any crash: the backend reads the $NSINGERS singers (count, sum, checksum)" "$Q_STATE $Q_OUT" "00000 $EXPECTED"
q c0big "SELECT count(*), sum(length(pad)) FROM big WHERE id <= 3;"
t_is "before any crash: the view Big reads" "$Q_STATE $Q_OUT" "00000 3|$((3 * BIG_PAD))"
# warm the INSERT path (column types, plans) so that later the only request
# of an autocommit INSERT is its commit
q c0ins "INSERT INTO singers (singer_id, first_name, last_name) VALUES (1000, 'warm', 'up');"
q c0del "DELETE FROM singers WHERE singer_id = 1000;"
t_is "before any crash: an autocommit INSERT and DELETE work" "$(cat "$WORK/out/c0ins.txt") / $Q_OUT" "INSERT 0 1 / DELETE 1"
conn_state
t_is "before any crash: the connection is valid with 1 session, the emulator has 1 live session" \
	"$CONN / $(live_sessions | grep -c .)" "t 1 / 1"

# ---- a. a scan in flight in a READ COMMITTED block after a first write
q a1 "BEGIN;"
q a2 "UPDATE singers SET first_name = 'in block a' WHERE singer_id = 1;"
t_is "a: the block's first write" "$Q_STATE $Q_OUT" "00000 UPDATE 1"
tap_q_send a3 "SELECT count(*), sum(length(pad)) FROM big WHERE slow(id);"
wait_rows 3 || fail "a: the scan of Big did not get going"
freeze
wait_for_spanner || fail "a: the backend did not wait for Spanner"
crash "a"
q_wait
t_is "a: the scan in flight fails with SQLSTATE 08006" "$Q_STATE" 08006
t_is "a: ... 'connection to Spanner lost while reading a result'" \
	"$(err_line ERROR)" "ERROR:  08006: connection to Spanner lost while reading a result"
[ "$Q_STATE" = 08006 ] || printf '%s\n' "$Q_OUT" | diag
restart "a"
q a4 "SELECT count(*) FROM singers;"
t_is "a: the block's next statement is refused by PostgreSQL (25P02)" "$Q_STATE" 25P02
q a5 "COMMIT;"
t_is "a: COMMIT does not claim success: it answers ROLLBACK" "$Q_STATE $Q_OUT" "00000 ROLLBACK"
recovered "a"

# ---- a2. the same with a savepoint before the scan (psql's ON_ERROR_ROLLBACK)
q as1 "BEGIN;"
q as2 "UPDATE singers SET first_name = 'in block a2' WHERE singer_id = 1;"
q as3 "SAVEPOINT s;"
tap_q_send as4 "SELECT count(*), sum(length(pad)) FROM big WHERE slow(id);"
wait_rows 3 || fail "a2: the scan of Big did not get going"
freeze
wait_for_spanner || fail "a2: the backend did not wait for Spanner"
crash "a2"
q_wait
t_is "a2: the scan in flight fails with SQLSTATE 08006" "$Q_STATE" 08006
q as5 "ROLLBACK TO SAVEPOINT s;"
t_is "a2: ROLLBACK TO SAVEPOINT is honoured (nothing was written since the savepoint)" "$Q_STATE $Q_OUT" "00000 ROLLBACK"
restart "a2"
q as6 "SELECT count(*) FROM singers;"
t_is "a2: the block's next statement reports the lost read-write transaction (40001)" \
	"$Q_STATE / $(err_line ERROR) / $(field HINT)" \
	"40001 / ERROR:  40001: the Spanner read-write transaction was lost with its session / Roll back the transaction and retry it."
[ "$Q_STATE" = 40001 ] || printf '%s\n' "$Q_OUT" | diag
q as7 "ROLLBACK TO SAVEPOINT s;"
q as8 "SELECT count(*) FROM singers;"
t_is "a2: after ROLLBACK TO SAVEPOINT the block still reports the lost transaction (40001)" "$Q_STATE" 40001
q as9 "ROLLBACK TO SAVEPOINT s;"
q as10 "COMMIT;"
t_is "a2: COMMIT fails (25P02): nothing of the block is committed" \
	"$Q_STATE / $(err_line ERROR) / $(field DETAIL)" \
	"25P02 / ERROR:  25P02: the Spanner read-write transaction was lost with its session / Spanner no longer has the transaction, so none of its writes were committed."
recovered "a2"

# ---- b. killed between two statements of a block with a read-write transaction
q b1 "BEGIN;"
q b2 "UPDATE singers SET first_name = 'in block b' WHERE singer_id = 1;"
t_is "b: the block's first write" "$Q_STATE $Q_OUT" "00000 UPDATE 1"
crash "b"
restart "b"
q b3 "SELECT count(*) FROM singers;"
t_is "b: the block's next statement reports the lost read-write transaction (40001)" \
	"$Q_STATE / $(err_line ERROR) / $(field HINT)" \
	"40001 / ERROR:  40001: the Spanner read-write transaction was lost with its session / Roll back the transaction and retry it."
[ "$Q_STATE" = 40001 ] || printf '%s\n' "$Q_OUT" | diag
q b4 "COMMIT;"
t_is "b: COMMIT does not claim success: it answers ROLLBACK" "$Q_STATE $Q_OUT" "00000 ROLLBACK"
recovered "b"

# ---- b2. the same, COMMIT right after the restart
q bc1 "BEGIN;"
q bc2 "UPDATE singers SET first_name = 'in block b2' WHERE singer_id = 1;"
crash "b2"
restart "b2"
q bc3 "COMMIT;"
t_is "b2: COMMIT fails with 40001 (the read-write transaction was lost), never claiming success" \
	"$Q_STATE / $(err_line ERROR)" \
	"40001 / ERROR:  40001: the Spanner read-write transaction was lost with its session"
[ "$Q_STATE" = 40001 ] || printf '%s\n' "$Q_OUT" | diag
recovered "b2"

# ---- c. autocommit: an UPDATE in flight
freeze
tap_q_send c1 "UPDATE singers SET first_name = 'autocommit c' WHERE singer_id <= 5;"
wait_for_spanner || fail "c1: the backend did not wait for Spanner"
crash "c1"
q_wait
t_is "c1: the autocommit UPDATE in flight fails with 08006" \
	"$Q_STATE / $(err_line ERROR) / $(field HINT)" \
	"08006 / ERROR:  08006: connection to Spanner lost before its answer arrived / The request may have reached Spanner; retry the transaction once Spanner answers again."
[ "$Q_STATE" = 08006 ] || printf '%s\n' "$Q_OUT" | diag
restart "c1"
recovered "c1"

# ---- c2. autocommit: an INSERT whose commit is in flight
freeze
tap_q_send cc1 "INSERT INTO singers (singer_id, first_name, last_name) VALUES (1001, 'autocommit', 'c2');"
wait_for_spanner || fail "c2: the backend did not wait for Spanner"
crash "c2"
q_wait
t_is "c2: the autocommit INSERT whose commit was in flight fails with 08007 (outcome unknown)" \
	"$Q_STATE / $(err_line ERROR) / $(field HINT)" \
	"08007 / ERROR:  08007: the outcome of the Spanner commit is unknown / Check whether the transaction's changes were applied before repeating it."
[ "$Q_STATE" = 08007 ] || printf '%s\n' "$Q_OUT" | diag
restart "c2"
recovered "c2"

# ---- e. a cached session name given by the new emulator to another client
SESSION_E=$(live_sessions)
q e1 "BEGIN;"
q e2 "UPDATE singers SET first_name = 'in block e' WHERE singer_id = 1;"
crash "e1"
restart "e1"
# sessions are numbered from 0 again: make new ones until the backend's
# name comes round (the others are deleted at once)
make_alias() {
	local want=$1 n
	ALIAS=
	for _ in $(seq 1 50); do
		n=$(sf_rest POST "$DBPATH/sessions" '{}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])') || return 1
		[ "$n" = "$want" ] && { ALIAS=$n; return 0; }
		sf_rest DELETE "$n" >/dev/null
	done
	return 1
}
make_alias "$SESSION_E" || fail "e1: the new emulator never gave out the name $SESSION_E"
t_is "e1: another client now holds a session named as the backend's ($SESSION_E)" "$ALIAS" "$SESSION_E"
q e3 "SELECT count(*) FROM singers;"
t_is "e1: the block's next statement reports the lost read-write transaction (40001)" \
	"$Q_STATE / $(err_line ERROR)" \
	"40001 / ERROR:  40001: the Spanner read-write transaction was lost with its session"
[ "$Q_STATE" = 40001 ] || printf '%s\n' "$Q_OUT" | diag
q e4 "ROLLBACK;"
q e5 "$CHECKSUM_SQL"
t_is "e1: after ROLLBACK the next statement reads the $NSINGERS singers" "$Q_STATE $Q_OUT" "00000 $EXPECTED"
conn_state
t_is "e1: the other client's session is alive and the backend has one of its own" \
	"$(live_sessions | grep -c -x -F "$ALIAS") $(live_sessions | grep -c .) $CONN" "1 2 t 1"
sf_rest DELETE "$ALIAS" >/dev/null
ALIAS=

# ---- e2. the same outside a transaction block
SESSION_E=$(live_sessions)
crash "e2"
restart "e2"
make_alias "$SESSION_E" || fail "e2: the new emulator never gave out the name $SESSION_E"
q ee0 "SET client_min_messages = debug1;"
q ee1 "$CHECKSUM_SQL"
ee1_out=$Q_OUT
ee1_state=$Q_STATE
q ee1reset "RESET client_min_messages;"
t_is "e2: the backend's next statement reads the $NSINGERS singers" \
	"$ee1_state $(printf '%s\n' "$ee1_out" | grep -v '^DEBUG:\|^LOCATION:' | tail -n1)" "00000 $EXPECTED"
t_is "e2: ... after finding that the session named $SESSION_E is not its own any more" \
	"$(printf '%s\n' "$ee1_out" | grep -c -F "spanner_fdw: session $SESSION_E is gone; creating a new one")" 1
conn_state
t_is "e2: ... on a session of its own: the other client's session is alive, 2 live sessions" \
	"$(live_sessions | grep -c -x -F "$ALIAS") $(live_sessions | grep -c .) $CONN" "1 2 t 1"
q ee2 "SELECT spanner_fdw_disconnect_all();"
t_is "e2: closing the backend's connection deletes its own session, not the other client's" \
	"$(live_sessions)" "$ALIAS"
sf_rest DELETE "$ALIAS" >/dev/null
ALIAS=

q finish_pid "SELECT pg_backend_pid();"
t_is "one backend throughout: pg_backend_pid() is still $PID0" "$Q_OUT" "$PID0"

finish
