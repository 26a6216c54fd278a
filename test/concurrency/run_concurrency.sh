#!/usr/bin/env bash
# test/concurrency/run_concurrency.sh
#	Concurrent writers through spanner_fdw against an emulator that aborts
#	transactions: nothing committed is lost or applied twice, and the
#	clients see nothing but serialization failures (SQLSTATE 40001).
#
#	The emulator (its own, on free ports) runs with --enable_fault_injection:
#	about 5% of first commit attempts are ABORTED at random.  It also lets
#	only one read-write transaction run at a time and aborts the others, so
#	concurrent transaction blocks conflict all the time.  Several pgbench
#	clients (one backend, one Spanner session each) run, one after the
#	other:
#	  1. transfers: BEGIN; UPDATE accounts -amt (account a); UPDATE accounts
#	     +amt (account b); INSERT INTO transfers a row naming the transfer
#	     t<client>-<k>; COMMIT.  Each client counts k up only after its
#	     COMMIT succeeded, so a transaction retried after 40001 reuses its
#	     id.  Afterwards, read from Spanner over REST (not through the FDW):
#	     the total of the balances is unchanged; the transfer ids are exactly
#	     t<c>-1 .. t<c>-<transactions client c committed, by its pgbench
#	     log> (none lost, none extra; a transfer applied twice would also
#	     have made its client fail with 23505); every balance equals the
#	     initial balance plus the recorded transfers into it minus those
#	     out of it.
#	  2. lost update: BEGIN ISOLATION LEVEL REPEATABLE READ (or
#	     SERIALIZABLE, picked at random per transaction); SELECT n FROM
#	     counters \gset; UPDATE counters SET n = :n + 1; COMMIT.  Such a
#	     block reads inside its Spanner read-write transaction (serializable
#	     on the emulator, which refuses Spanner's REPEATABLE_READ), so a
#	     concurrent write of what it read makes one of them fail with 40001:
#	     afterwards the counter equals the number of committed transactions
#	     (no update lost).
#	  3. autocommit inserts: multi-row INSERT ... VALUES and INSERT ...
#	     SELECT (3 rows each, ids e<client>-<k>-<j>) without a transaction
#	     block.  spanner_fdw repeats such a commit itself on ABORTED:
#	     afterwards every row is there exactly once, and no 40001 reached
#	     a client.
#	  4. pipelined statements (pgbench \startpipeline, one client): a read
#	     after a buffered INSERT in the same implicit transaction is refused
#	     and nothing is written; the same statements in separate
#	     transactions work.
#	For each run, from pgbench's report (--failures-detailed, exit status,
#	stderr): pgbench ran to the end and no client was aborted (pgbench
#	retries only 40001 and 40P01 and aborts a client on any other error),
#	there were no deadlock failures, every transaction committed within
#	--max-tries (0 failed), and -- for the transaction-block runs -- ABORTED
#	reached the clients as 40001 and was retried (the conflicts happened).
#	Controls prove that the checks can fail: on local tables, a pgbench
#	script raising 40001 at random must pass the reading of pgbench's report
#	and one failing with 22012 must be flagged; after the transfers, one
#	recorded transfer deleted out of band must be found missing with its
#	two accounts off.  (Not a test: the lost-update workload is also run at
#	READ COMMITTED, where a block may read outside its read-write
#	transaction, and the updates it lost there are printed.)
#
#	Run by scripts/test.sh (suite concurrency), which builds and installs
#	the extension first; run on its own it builds and installs it if it is
#	not installed (or if SF_CONC_BUILD=1).  It starts its own emulator and
#	PostgreSQL 15 cluster (as the postgres OS user when run as root) and
#	stops both on every exit path.  About 30 s here.
#
#	Settings (environment): CONC_CLIENTS (4) and CONC_TX (40 per client)
#	for the transfers, CONC_ACCOUNTS (10), CONC_LU_CLIENTS (8) and
#	CONC_LU_TX (25) for the lost-update run, CONC_AC_CLIENTS (4) and
#	CONC_AC_TX (50) for the autocommit inserts, CONC_MAX_TRIES (10000),
#	CONC_PGBENCH_TIMEOUT (150 s per pgbench run).
#
#	Output: TAP ("ok N - ...", "not ok N - ...", "1..N" last); exit status
#	non-zero if any test failed.  CONC_KEEP=1 keeps the work directory
#	(pgbench reports and logs, PostgreSQL and emulator logs).
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init concurrency "${CONC_KEEP:-0}"

tap_clean_env SPANNER_EMULATOR_HOST SPANNER_EMULATOR_REST

# A namespace of our own; its state goes in the work directory (below), so
# nothing here may stop what scripts/test.sh or a demo started, and
# scripts/stop.sh does not stop this emulator.
export SF_NS=${SF_CONC_NS:-concurrency}
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=conc-project
INSTANCE=conc-instance
DATABASE=conc
DBPATH=projects/$PROJECT/instances/$INSTANCE/databases/$DATABASE
CLIENTS=${CONC_CLIENTS:-4}
TX=${CONC_TX:-40}
NACC=${CONC_ACCOUNTS:-10}
BALANCE=1000
LU_CLIENTS=${CONC_LU_CLIENTS:-8}
LU_TX=${CONC_LU_TX:-25}
AC_CLIENTS=${CONC_AC_CLIENTS:-4}
AC_TX=${CONC_AC_TX:-50}
AC_ROWS=3
MAX_TRIES=${CONC_MAX_TRIES:-10000}
PGB_TIMEOUT=${CONC_PGBENCH_TIMEOUT:-150}
PGBENCH=$SF_PG_BINDIR/pgbench
HELPER=$ROOT/test/concurrency/conc_spanner.py

EMU_STARTED=0

# tap_teardown: called by tap_cleanup on every exit path
tap_teardown() {
	tap_pg_stop 30
	[ "$EMU_STARTED" = 1 ] && SF_QUIET=1 sf_stop_emulator
}

helper() { python3 "$HELPER" "$SPANNER_EMULATOR_REST" "$DBPATH" "$@"; }

# kv KEY FILE: the value of the line "KEY=VALUE" of FILE
kv() { sed -n "s/^$1=//p" "$2" | head -n1; }

# ------------------------------------------------------------------ pgbench

# pgb NAME CLIENTS TX DB SCRIPT... [-- PGBENCH-OPTIONS]: run pgbench as the
# PostgreSQL OS user in $WORK/pgb (scripts are read from there), at most
# PGB_TIMEOUT seconds.  Report on $WORK/out/NAME.out, errors on NAME.err,
# exit status in NAME.rc, transaction logs $WORK/pgb/NAME.log.*.
pgb() {
	local name=$1 clients=$2 tx=$3 db=$4 args=() t0=$SECONDS
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=(-f "$1")
		shift
	done
	[ $# -gt 0 ] && shift
	rm -f "$WORK/pgb/$name.log".*
	wc -l <"$TAP_PG_LOG" >"$WORK/out/$name.logmark"
	(cd "$WORK/pgb" && sf_as_pg env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
		PGOPTIONS="-c statement_timeout=60s" \
		timeout --kill-after=10 "$PGB_TIMEOUT" "$PGBENCH" -n -h "$TAP_PG_SOCK" -p "$TAP_PG_PORT" -U postgres \
		-c "$clients" -j "$clients" -t "$tx" --max-tries="$MAX_TRIES" --failures-detailed --verbose-errors \
		-l --log-prefix="$name.log" "${args[@]}" "$@" "$db") \
		>"$WORK/out/$name.out" 2>"$WORK/out/$name.err" </dev/null
	echo $? >"$WORK/out/$name.rc"
	echo "# $name: pgbench -c $clients -t $tx ran $((SECONDS - t0)) s (exit status $(cat "$WORK/out/$name.rc"))"
	log_since "$name"
}

# log_since NAME: what the server log says about run NAME (the lines added
# since pgb started it): aborts spanner_fdw repeated itself, and the
# 40001 errors that were fault injection rather than a conflict
log_since() {
	local l=$WORK/out/$1.serverlog
	tail -n +"$(($(cat "$WORK/out/$1.logmark") + 1))" "$TAP_PG_LOG" >"$l" 2>/dev/null
	echo "# $1: server log: $(grep -c 'aborted the request.*repeating it' "$l") aborted requests repeated by spanner_fdw," \
		"$(grep -c 'ERROR: .*ABORTED' "$l") ABORTED errors reported, $(grep -c 'mimic production' "$l") of them injected faults"
}

# pgb_stats NAME: "key=value" lines from pgbench's report of run NAME
pgb_stats() {
	local out=$WORK/out/$1.out err=$WORK/out/$1.err
	awk '
	/^number of transactions actually processed:/ { split($6, a, "/"); print "processed=" a[1]; print "planned=" a[2] }
	/^number of failed transactions:/ { print "failed=" $5 }
	/^number of serialization failures:/ { print "serialization=" $5 }
	/^number of deadlock failures:/ { print "deadlock=" $5 }
	/^number of transactions retried:/ { print "retried=" $5 }
	/^total number of retries:/ { print "retries=" $5 }
	' "$out"
	echo "rc=$(cat "$WORK/out/$1.rc")"
	echo "aborted=$(grep -cE 'client [0-9]+ (script [0-9]+ )?aborted' "$err")"
	echo "repeats=$(grep -cE 'client [0-9]+ repeats the transaction' "$err")"
}

# pgb_clean NAME: empty if pgbench's report of run NAME shows no error other
# than serialization failures, else why not.  pgbench retries only
# 40001/40P01; any other SQLSTATE aborts the client (exit status 2, "client
# N script M aborted in command K").
pgb_clean() {
	local s=$WORK/out/$1.stats why=
	pgb_stats "$1" >"$s"
	[ "$(kv rc "$s")" = 0 ] || why="$why pgbench exit status $(kv rc "$s");"
	[ "$(kv aborted "$s")" = 0 ] || why="$why $(kv aborted "$s") client(s) aborted by an error other than 40001/40P01;"
	[ "$(kv deadlock "$s")" = 0 ] || why="$why $(kv deadlock "$s") deadlock failure(s);"
	[ -n "$(kv processed "$s")" ] || why="$why no report;"
	printf '%s' "${why# }"
}

# pgb_errors NAME: the distinct error messages pgbench printed (first line
# of each), with counts, as diagnostics
pgb_errors() {
	grep -oE '(ERROR|FATAL|PANIC): .*' "$WORK/out/$1.err" | sed -E 's/[0-9]+/N/g' | sort | uniq -c |
		sort -rn | head -n 8 | diag
}

# pgb_check NAME TOTAL RETRIES: the tests every run gets.  RETRIES=yes: also
# require that 40001 reached the clients and was retried; RETRIES=no:
# require that none did; RETRIES=any: no test on it.
pgb_check() {
	local name=$1 total=$2 retries=$3 s=$WORK/out/$1.stats why
	why=$(pgb_clean "$name")
	if [ -z "$why" ]; then
		pass "$name: no error but serialization failures (pgbench ran to the end, no client aborted, 0 deadlock failures)"
	else
		fail "$name: no error but serialization failures (pgbench ran to the end, no client aborted, 0 deadlock failures)"
		echo "$why" | diag
		pgb_errors "$name"
		tail -n 15 "$WORK/out/$name.err" | diag
	fi
	t_is "$name: all $total transactions committed within --max-tries=$MAX_TRIES (processed/failed)" \
		"$(kv processed "$s")/$(kv failed "$s")" "$total/0"
	echo "# $name: $(kv retried "$s") transactions retried, $(kv retries "$s") retries, $(kv serialization "$s") serialization failures after the last try"
	case $retries in
	yes)
		# every error of the run in the server log (log_error_verbosity =
		# verbose prints the SQLSTATE) is a 40001, and there are retries
		local l=$WORK/out/$name.serverlog nerr n40001
		nerr=$(grep -c ' ERROR:  ' "$l")
		n40001=$(grep -c ' ERROR:  40001: ' "$l")
		if [ "$(kv retries "$s")" -gt 0 ] 2>/dev/null && [ "$nerr" = "$n40001" ] &&
			[ "$n40001" -ge "$(kv retries "$s")" ]; then
			pass "$name: ABORTED reached the clients as 40001 and was retried ($(kv retries "$s") retries; server log: $nerr errors, all 40001)"
		else
			fail "$name: ABORTED reached the clients as 40001 and was retried ($(kv retries "$s") retries; server log: $nerr errors, $n40001 of them 40001)"
			grep ' ERROR:  ' "$l" | grep -v ' ERROR:  40001: ' | head -n 5 | diag
			pgb_errors "$name"
		fi
		;;
	no)
		t_is "$name: no 40001 reached a client (retries)" "$(kv retries "$s")" 0
		[ "$(kv retries "$s")" = 0 ] || pgb_errors "$name"
		;;
	esac
	pgb_errors "$name" >"$WORK/out/$name.errors"
	if [ -s "$WORK/out/$name.errors" ]; then
		echo "# $name: errors the clients saw:"
		cat "$WORK/out/$name.errors"
	fi
}

# ================================================================== setup

tap_workdir concurrency
SF_RUN=$WORK/run
export SF_RUN
mkdir -p "$WORK/pgb"
chown "$(sf_pg_user)" "$WORK/pgb"

[ -x "$PGBENCH" ] || bail "pgbench not found at $PGBENCH (Debian package postgresql-15 / postgresql-client-15)"

# --- the emulator, with fault injection
sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
SF_EMULATOR_FLAGS=--enable_fault_injection SF_QUIET=1 sf_start_emulator >&2 ||
	bail "could not start the emulator (log: $SF_RUN/emulator.log)"
EMU_STARTED=1
echo "# emulator at $SPANNER_EMULATOR_REST (gateway pid $(sf_read "$SF_RUN/emulator.gateway.pid"))"
t_is "the emulator runs with --enable_fault_injection" \
	"$(tr '\0' ' ' <"/proc/$(sf_read "$SF_RUN/emulator.main.pid")/cmdline" 2>/dev/null | grep -o -- '--enable_fault_injection ')" \
	"--enable_fault_injection "

cat >"$WORK/schema.ddl" <<'EOF'
CREATE TABLE accounts (id INT64 NOT NULL, balance INT64 NOT NULL) PRIMARY KEY (id);
CREATE TABLE transfers (id STRING(64) NOT NULL, src INT64 NOT NULL, dst INT64 NOT NULL,
  amount INT64 NOT NULL) PRIMARY KEY (id);
CREATE TABLE counters (id INT64 NOT NULL, n INT64 NOT NULL) PRIMARY KEY (id);
CREATE TABLE events (id STRING(64) NOT NULL, client INT64 NOT NULL, seq INT64 NOT NULL) PRIMARY KEY (id);
CREATE TABLE probe (id INT64 NOT NULL) PRIMARY KEY (id)
EOF
{ SF_QUIET=1 sf_create_instance "$PROJECT" "$INSTANCE" &&
	SF_QUIET=1 sf_create_database "$PROJECT" "$INSTANCE" "$DATABASE" "$WORK/schema.ddl" &&
	helper load "$NACC" "$BALANCE"; } >"$WORK/out/load.txt" 2>&1 || {
	diag <"$WORK/out/load.txt"
	bail "could not create and load the Spanner database"
}

helper probe-faults 400 >"$WORK/out/probe.txt" 2>&1
t_is "fault injection fires: a single-use commit is aborted to mimic production ($(kv commits "$WORK/out/probe.txt") commits tried)" \
	"$(kv injected_abort "$WORK/out/probe.txt")" 1

# --- the extension and PostgreSQL
if [ "${SF_CONC_BUILD:-0}" = 1 ]; then tap_need_extension build; else tap_need_extension missing; fi
tap_pg_init "max_connections = 50"
# shellcheck disable=SC2119  # no environment beyond PATH and LANG
tap_pg_start || bail "PostgreSQL did not start"
echo "# PostgreSQL on $TAP_PG_SOCK port $TAP_PG_PORT"
tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/setup.txt" 2>&1 <<EOF || { diag <"$WORK/out/setup.txt"; bail "creating the foreign tables failed"; }
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$SPANNER_EMULATOR_REST', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER sp OPTIONS (auth 'none');
IMPORT FOREIGN SCHEMA public LIMIT TO (accounts, transfers, counters, events) FROM SERVER sp INTO public;
CREATE DATABASE control;
EOF
t_is "the foreign tables read what was loaded (accounts, total, counter)" \
	"$(tap_psql postgres -c "SELECT count(*), sum(balance), (SELECT n FROM counters WHERE id = 1) FROM accounts" 2>&1)" \
	"$NACC|$((NACC * BALANCE))|0"

# --- the pgbench scripts
cat >"$WORK/pgb/control_ser.sql" <<'EOF'
-- raises 40001 at random: pgbench retries it until it passes
DO $$ BEGIN IF random() < 0.5 THEN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'control: serialization failure'; END IF; END $$;
EOF
cat >"$WORK/pgb/control_other.sql" <<'EOF'
-- fails with 22012 (division by zero): pgbench aborts the client
SELECT 1 / (random() < 2)::int - 1 / 0;
EOF
cat >"$WORK/pgb/transfer.sql" <<'EOF'
-- move :amt from account :a to another account :b, recorded as transfer
-- t<client>-<next>; seq counts committed transfers of this client
\set a random(1, :naccounts)
\set b 1 + (:a + random(0, :naccounts - 2)) % :naccounts
\set amt random(1, 100)
\set next :seq + 1
BEGIN;
UPDATE accounts SET balance = balance - :amt WHERE id = :a;
UPDATE accounts SET balance = balance + :amt WHERE id = :b;
INSERT INTO transfers (id, src, dst, amount) VALUES ('t:client_id-:next', :a, :b, :amt);
COMMIT;
\set seq :next
EOF
for level in 'REPEATABLE READ' SERIALIZABLE; do
	cat >"$WORK/pgb/lost_update_${level// /_}.sql" <<EOF
-- read the counter, write back what was read plus one
BEGIN ISOLATION LEVEL $level;
SELECT n AS cur FROM counters WHERE id = 1 \\gset
UPDATE counters SET n = :cur + 1 WHERE id = 1;
COMMIT;
EOF
done
cat >"$WORK/pgb/insert_values.sql" <<EOF
-- autocommit multi-row INSERT of events e<client>-<next>-1..$AC_ROWS
\\set next :seq + 1
INSERT INTO events (id, client, seq) VALUES ('e:client_id-:next-1', :client_id, :next),
  ('e:client_id-:next-2', :client_id, :next), ('e:client_id-:next-3', :client_id, :next);
\\set seq :next
EOF
cat >"$WORK/pgb/insert_select.sql" <<EOF
-- autocommit INSERT ... SELECT of events e<client>-<next>-1..$AC_ROWS
\\set next :seq + 1
INSERT INTO events (id, client, seq)
  SELECT 'e:client_id-:next-' || g, :client_id, :next FROM generate_series(1, $AC_ROWS) g;
\\set seq :next
EOF
chmod 644 "$WORK"/pgb/*.sql

# ================================================================== controls

# The reading of pgbench's report must be able to fail: a run with only
# serialization failures passes it, a run with another error does not.
pgb control_ser 2 10 control control_ser.sql
why=$(pgb_clean control_ser)
t_is "control: a local script raising 40001 at random is retried and passes ($(kv retries "$WORK/out/control_ser.stats") retries)" \
	"${why:-clean} $(kv processed "$WORK/out/control_ser.stats")/$(kv failed "$WORK/out/control_ser.stats") $([ "$(kv retries "$WORK/out/control_ser.stats")" -gt 0 ] 2>/dev/null && echo retried)" \
	"clean 20/0 retried"
pgb control_other 2 10 control control_other.sql
why=$(pgb_clean control_other)
if [ -n "$why" ] && [ "$(kv aborted "$WORK/out/control_other.stats")" -gt 0 ] 2>/dev/null; then
	pass "control: a local script failing with 22012 is flagged ($why)"
else
	fail "control: a local script failing with 22012 is flagged"
	diag <"$WORK/out/control_other.err"
fi

# ================================================================== 1. transfers

pgb transfers "$CLIENTS" "$TX" postgres transfer.sql -- -D naccounts="$NACC" -D seq=0
pgb_check transfers $((CLIENTS * TX)) yes
helper transfers "$NACC" "$BALANCE" "$WORK"/pgb/transfers.log.* >"$WORK/out/transfers.check" 2>&1
c=$WORK/out/transfers.check
echo "# transfers: $(kv transfers "$c") recorded moving $(kv moved "$c") in all; $(kv committed "$c") committed by the pgbench logs"
t_is "transfers: the total of the balances is unchanged (Spanner)" \
	"$(kv accounts "$c") accounts, total $(kv total "$c")" "$NACC accounts, total $((NACC * BALANCE))"
t_is "transfers: every committed transfer is recorded once, no other (ids t<client>-1..k by the pgbench logs: missing/extra)" \
	"$(kv transfers "$c") recorded, $(kv missing "$c")/$(kv extra "$c")" "$(kv committed "$c") recorded, 0/0"
t_is "transfers: every balance = initial + recorded transfers in - out (accounts wrong, malformed rows)" \
	"$(kv wrong_balances "$c")/$(kv bad_rows "$c")" "0/0"
t_is "transfers: the pgbench logs show all $((CLIENTS * TX)) transactions committed" "$(kv committed "$c")" $((CLIENTS * TX))
grep '^verdict\|Traceback\|Error' "$c" | head -n 20 | diag
# control: the same check, after one recorded transfer is deleted out of
# band, must see it missing and its two accounts off
helper delete-transfer t0-1 >"$WORK/out/tamper.txt" 2>&1
helper transfers "$NACC" "$BALANCE" "$WORK"/pgb/transfers.log.* >"$WORK/out/transfers.tampered" 2>&1
t_is "control: with transfer t0-1 deleted out of band, the check finds it missing and 2 balances wrong" \
	"$(kv missing "$WORK/out/transfers.tampered")/$(kv wrong_balances "$WORK/out/transfers.tampered")" "1/2"

# ================================================================== 2. lost update

pgb lost_update "$LU_CLIENTS" "$LU_TX" postgres lost_update_REPEATABLE_READ.sql lost_update_SERIALIZABLE.sql
pgb_check lost_update $((LU_CLIENTS * LU_TX)) yes
helper counter "$WORK"/pgb/lost_update.log.* >"$WORK/out/lost_update.check" 2>&1
c=$WORK/out/lost_update.check
t_is "lost update (REPEATABLE READ / SERIALIZABLE read, then write back + 1): the counter equals the committed transactions" \
	"$(kv counter "$c")" "$(kv committed "$c")"
t_is "lost update: the pgbench logs show all $((LU_CLIENTS * LU_TX)) transactions committed" \
	"$(kv committed "$c")" $((LU_CLIENTS * LU_TX))
grep 'Traceback\|Error' "$c" | diag

# Not a test: the same at READ COMMITTED, where a block may read outside its
# read-write transaction, shows whether this workload can lose updates at
# all here (when it does, the check above has teeth).
before=$(kv counter "$c")
sed 's/SERIALIZABLE/READ COMMITTED/' "$WORK/pgb/lost_update_SERIALIZABLE.sql" >"$WORK/pgb/lost_update_READ_COMMITTED.sql"
chmod 644 "$WORK/pgb/lost_update_READ_COMMITTED.sql"
pgb lost_update_rc "$LU_CLIENTS" 10 postgres lost_update_READ_COMMITTED.sql
helper counter "$WORK"/pgb/lost_update_rc.log.* >"$WORK/out/lost_update_rc.check" 2>&1
echo "# lost_update_rc (not a test): at READ COMMITTED the counter grew by" \
	"$(($(kv counter "$WORK/out/lost_update_rc.check") - ${before:-0})) for $(kv committed "$WORK/out/lost_update_rc.check") committed transactions"

# ================================================================== 3. autocommit inserts

pgb autocommit "$AC_CLIENTS" "$AC_TX" postgres insert_values.sql insert_select.sql -- -D seq=0
pgb_check autocommit $((AC_CLIENTS * AC_TX)) no
helper events "$AC_ROWS" "$WORK"/pgb/autocommit.log.* >"$WORK/out/autocommit.check" 2>&1
c=$WORK/out/autocommit.check
ev=$(kv events "$c")
dist=$(kv distinct "$c")
t_is "autocommit INSERT (multi-row VALUES, INSERT ... SELECT): every row of every committed statement is there once, no other (missing/extra/duplicates)" \
	"$ev rows, $(kv missing "$c")/$(kv extra "$c")/$((${ev:-0} - ${dist:-0}))" \
	"$(kv expected "$c") rows, 0/0/0"
t_is "autocommit INSERT: the pgbench logs show all $((AC_CLIENTS * AC_TX)) statements committed" \
	"$(kv committed "$c")" $((AC_CLIENTS * AC_TX))
grep '^verdict\|Traceback\|Error' "$c" | head -n 20 | diag

# ================================================================== 4. pipelined statements
# Statements pipelined without a Sync between them share one implicit
# transaction, outside any transaction block.  An INSERT there must not
# leave its rows waiting for the commit while a later statement of the same
# transaction reads: that statement is refused, and nothing is written.
cat >"$WORK/pgb/pipeline.sql" <<'EOF'
\startpipeline
INSERT INTO events (id, client, seq) VALUES ('pipelined-1', 0, 0);
SELECT count(*) FROM events WHERE id = 'pipelined-1';
\endpipeline
EOF
chmod 644 "$WORK/pgb/pipeline.sql"
pgb pipeline 1 1 postgres pipeline.sql -- -M extended
t_file_has "pipeline: the read after a buffered INSERT in one implicit transaction is refused" \
	"$WORK/out/pipeline.err" "cannot run another statement on a Spanner server after an INSERT whose rows wait for the commit"
t_is "pipeline: the refused transaction wrote nothing" \
	"$(tap_psql postgres -c "SELECT count(*) FROM events WHERE id = 'pipelined-1'" 2>&1)" 0
# the same statements as separate transactions work
cat >"$WORK/pgb/pipeline_sync.sql" <<'EOF'
\startpipeline
INSERT INTO events (id, client, seq) VALUES ('pipelined-2', 0, 0);
\endpipeline
\startpipeline
SELECT count(*) FROM events WHERE id = 'pipelined-2';
\endpipeline
EOF
chmod 644 "$WORK/pgb/pipeline_sync.sql"
pgb pipeline_sync 1 1 postgres pipeline_sync.sql -- -M extended
t_is "pipeline: each statement in its own transaction: exit status, row written once" \
	"$(cat "$WORK/out/pipeline_sync.rc") $(tap_psql postgres -c "SELECT count(*) FROM events WHERE id = 'pipelined-2'" 2>&1)" "0 1"

# partitioned DML cannot overtake rows waiting for the commit either
cat >"$WORK/pgb/pipeline_pdml.sql" <<'EOF'
SET spanner_fdw.partitioned_dml = on;
\startpipeline
INSERT INTO events (id, client, seq) VALUES ('pipelined-3', 0, 0);
DELETE FROM events WHERE id = 'pipelined-3';
\endpipeline
EOF
chmod 644 "$WORK/pgb/pipeline_pdml.sql"
pgb pipeline_pdml 1 1 postgres pipeline_pdml.sql -- -M extended
t_file_has "pipeline: partitioned DML after a buffered INSERT in one implicit transaction is refused" \
	"$WORK/out/pipeline_pdml.err" "cannot run another statement on a Spanner server after an INSERT whose rows wait for the commit"
t_is "pipeline: ... and nothing was written" \
	"$(tap_psql postgres -c "SELECT count(*) FROM events WHERE id = 'pipelined-3'" 2>&1)" 0

finish
