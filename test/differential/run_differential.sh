#!/usr/bin/env bash
# test/differential/run_differential.sh
#	The same queries against a Spanner table (through spanner_fdw) and an
#	identical local PostgreSQL table: the answers must be identical.
#
#	test/differential/gen.py writes the tables (NULLs, zeros, extremes, NaN
#	and infinities, empty, non-ASCII and case-variant strings, the ends of
#	the date and timestamp ranges, instants around daylight-saving changes;
#	and a table whose composite primary key on Spanner is not in column
#	order) and the queries (conditions on every column and type, ORDER BY every
#	column in every direction and NULL placement, LIMIT and OFFSET,
#	aggregates with and without GROUP BY, joins of the table with itself and
#	with a local table, reads by key, IN lists and arrays, errors,
#	prepared statements run with generic plans and values that Spanner
#	cannot hold).
#	The rows are written to Spanner through the foreign table (INSERT ...
#	SELECT from the local table) and read back whole first.
#
#	Each query runs in two databases of one PostgreSQL cluster, both with
#	TimeZone America/New_York: one whose collation is "C", one with an ICU
#	collation (en-US).  For each query and database: one test that the
#	foreign table's answer equals the local table's, compared in order for
#	a query with ORDER BY (each ends its keys with the unique id) and as a
#	multiset otherwise; an error must be the same SQLSTATE and message (and
#	not a syntax or undefined-object error, class 42, which would mean the
#	query itself is broken).
#	Where gen.py says what the plan must send to Spanner (ORDER BY, LIMIT,
#	or no ORDER BY), EXPLAIN VERBOSE's remote SQL is checked too: one test
#	per database for all those queries.  A control proves that a differing
#	answer is caught.
#
#	Run by scripts/test.sh (suite differential), which builds and installs
#	the extension first; run on its own it builds and installs it if it is
#	not installed.  It starts its own emulator and PostgreSQL 15 cluster
#	(as the postgres OS user when run as root) and stops both on every exit
#	path.  DIFF_KEEP=1 keeps the work directory.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
. test/tap_lib.sh
tap_init differential "${DIFF_KEEP:-0}"

tap_clean_env SPANNER_EMULATOR_HOST SPANNER_EMULATOR_REST

export SF_NS=${SF_DIFF_NS:-differential}
. scripts/lib.sh

PROJECT=diff-project
INSTANCE=diff-instance
DATABASE=diff
GEN=test/differential/gen.py
EMU_STARTED=0

tap_teardown() {
	tap_pg_stop 30
	[ "$EMU_STARTED" = 1 ] && SF_QUIET=1 sf_stop_emulator
}

# dpsql DB [PSQL-ARGS...]: psql -X -q -At as postgres in database DB
dpsql() {
	local db=$1
	shift
	(cd / && sf_as_pg "$SF_PG_BINDIR/psql" -X -q -At -h "$TAP_PG_SOCK" -p "$TAP_PG_PORT" -U postgres -d "$db" "$@")
}

tap_workdir differential
SF_RUN=$WORK/run
export SF_RUN

# --- the emulator and the Spanner table
sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
SF_QUIET=1 sf_start_emulator >&2 || bail "could not start the emulator (log: $SF_RUN/emulator.log)"
EMU_STARTED=1
python3 "$GEN" ddl >"$WORK/d.ddl" && python3 "$GEN" data >"$WORK/data.sql" &&
	python3 "$GEN" queries >"$WORK/queries.tsv" || bail "test/differential/gen.py failed"
{ SF_QUIET=1 sf_create_instance "$PROJECT" "$INSTANCE" &&
	SF_QUIET=1 sf_create_database "$PROJECT" "$INSTANCE" "$DATABASE" "$WORK/d.ddl"; } \
	>"$WORK/out/create.txt" 2>&1 || {
	diag <"$WORK/out/create.txt"
	bail "could not create the Spanner database"
}

# --- PostgreSQL: a "C" database and an ICU one, same table in both
tap_need_extension missing
tap_pg_init
# shellcheck disable=SC2119  # no environment beyond PATH and LANG
tap_pg_start || bail "PostgreSQL did not start"
chmod 644 "$WORK/data.sql"
tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/dbs.txt" 2>&1 <<'EOF' || { diag <"$WORK/out/dbs.txt"; bail "creating the databases failed"; }
CREATE DATABASE dc TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8';
CREATE DATABASE dicu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' ENCODING 'UTF8';
ALTER DATABASE dc SET TimeZone = 'America/New_York';
ALTER DATABASE dicu SET TimeZone = 'America/New_York';
EOF
for db in dc dicu; do
	dpsql "$db" -v ON_ERROR_STOP=1 >"$WORK/out/setup_$db.txt" 2>&1 <<EOF || { diag <"$WORK/out/setup_$db.txt"; bail "setting up database $db failed"; }
SET client_min_messages = warning;
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$SPANNER_EMULATOR_REST', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER sp OPTIONS (auth 'none');
IMPORT FOREIGN SCHEMA public LIMIT TO (d, dk) FROM SERVER sp INTO public;
\i $WORK/data.sql
-- rows of each query, as text: in order, or sorted when the order is not defined;
-- an error as its SQLSTATE and message
CREATE FUNCTION run_q(q text, ordered boolean) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	r record;
	rows text[] := '{}';
BEGIN
	FOR r IN EXECUTE q LOOP
		rows := rows || r::text;
	END LOOP;
	IF NOT ordered THEN
		SELECT coalesce(array_agg(x ORDER BY x COLLATE "C"), '{}') INTO rows FROM unnest(rows) x;
	END IF;
	RETURN array_to_string(rows, E'\n', '<null>');
EXCEPTION WHEN OTHERS THEN
	RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END \$\$;
-- the remote SQL of a query's plan
CREATE FUNCTION remote_sql(q text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
		IF line ~ 'Remote (SQL|Read):' THEN
			result := result || line;
		END IF;
		IF line ~ '^\s*Filter:' THEN
			result := result || ' [local filter]';
		END IF;
	END LOOP;
	RETURN result;
END \$\$;
EOF
done

# --- the rows on Spanner, written through the FDW and read back whole
t_is "48 rows written to Spanner through the foreign table" \
	"$(dpsql dc -c "INSERT INTO d SELECT * FROM l" -c "SELECT count(*) FROM d" 2>&1)" 48
t_is "the rows of the composite-key table written to Spanner through the foreign table" \
	"$(dpsql dc -c "INSERT INTO dk SELECT * FROM lk" -c "SELECT count(*) = (SELECT count(*) FROM lk) FROM dk" 2>&1)" t
for db in dc dicu; do
	t_is "[$db] every row reads back as written (both ways, every column)" \
		"$(dpsql "$db" -c "SELECT (SELECT count(*) FROM (SELECT * FROM d EXCEPT ALL SELECT * FROM l) x) || '/' || (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM d) y)" 2>&1)" \
		"0/0"
	t_is "[$db] every row of the composite-key table reads back as written" \
		"$(dpsql "$db" -c "SELECT (SELECT count(*) FROM (SELECT * FROM dk EXCEPT ALL SELECT * FROM lk) x) || '/' || (SELECT count(*) FROM (SELECT * FROM lk EXCEPT ALL SELECT * FROM dk) y)" 2>&1)" \
		"0/0"
done

# --- the control: a differing answer is caught
dpsql dc -c "CREATE TABLE l2 AS SELECT * FROM l; UPDATE l2 SET s = s || '!' WHERE id = 7" >/dev/null 2>&1
t_is "control: the comparison catches one differing value (l2 differs from d in one row)" \
	"$(dpsql dc -c "SELECT run_q('SELECT * FROM d ORDER BY id', true) = run_q('SELECT * FROM l2 ORDER BY id', true)" 2>&1)" f

# --- the queries
# joins with the small local table k run as nested loops over k with a
# lookup per row (the tables are too small for the planner to prefer that)
JOIN_SETTINGS="SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;"
# one SQL script per database: for query k, "k|t" when the answers match,
# else "k|f|fdw answer|local answer" (newlines shown as " ; ")
make_script() {
	local k=0 kind c icu q args qd ql ord
	echo "SET cursor_tuple_fraction = 1;"
	echo "SET plan_cache_mode = force_generic_plan;"
	echo "$JOIN_SETTINGS"
	while IFS=$'\t' read -r kind c icu q args; do
		k=$((k + 1))
		qd=${q//FROM T/FROM d}
		qd=${qd//JOIN T/JOIN d}
		ql=${q//FROM T/FROM l}
		ql=${ql//JOIN T/JOIN l}
		ord=false
		[ "$kind" = ordered ] && ord=true
		if [ "$args" != - ]; then
			# a prepared statement of each, run with its generic plan
			printf 'DEALLOCATE ALL;\nPREPARE pd AS %s;\nPREPARE pl AS %s;\n' "$qd" "$ql"
			qd="EXECUTE pd($args)"
			ql="EXECUTE pl($args)"
		fi
		printf 'SELECT %d, a = b AND a NOT LIKE '"'"'ERROR 42%%'"'"', CASE WHEN a <> b OR a LIKE '"'"'ERROR 42%%'"'"' THEN replace(a, E'"'"'\\n'"'"', '"'"' ; '"'"') END, CASE WHEN a <> b THEN replace(b, E'"'"'\\n'"'"', '"'"' ; '"'"') END FROM (SELECT run_q($q$%s$q$, %s) a, run_q($q$%s$q$, %s) b) x;\n' \
			"$k" "$qd" "$ord" "$ql" "$ord"
	done <"$WORK/queries.tsv"
}
# the EXPLAIN checks: "k|remote SQL" for every query with an expectation
make_explain() {
	local k=0 kind c icu q args
	echo "$JOIN_SETTINGS"
	while IFS=$'\t' read -r kind c icu q args; do
		k=$((k + 1))
		[ "$c$icu" != -- ] || continue
		[ "$args" = - ] || continue	# a prepared statement: see the pg_regress tests
		q=${q//FROM T/FROM d}
		printf 'SELECT %d, remote_sql($q$%s$q$);\n' "$k" "${q//JOIN T/JOIN d}"
	done <"$WORK/queries.tsv"
}
make_script >"$WORK/compare.sql"
make_explain >"$WORK/explain.sql"
chmod 644 "$WORK/compare.sql" "$WORK/explain.sql"
mapfile -t QUERIES < <(awk -F'\t' '{ print $4 ($5 == "-" ? "" : "  -- with " $5) }' "$WORK/queries.tsv")
mapfile -t WANT_C < <(cut -f2 "$WORK/queries.tsv")
mapfile -t WANT_ICU < <(cut -f3 "$WORK/queries.tsv")

for db in dc dicu; do
	t0=$SECONDS
	dpsql "$db" -F $'\t' -f "$WORK/compare.sql" >"$WORK/out/compare_$db.txt" 2>"$WORK/out/compare_$db.err"
	seen=0
	while IFS=$'\t' read -r k same fdw local; do
		seen=$((seen + 1))
		if [ "$same" = t ]; then
			pass "[$db] ${QUERIES[$((k - 1))]}"
		else
			fail "[$db] ${QUERIES[$((k - 1))]}"
			printf 'spanner_fdw: %s\nlocal:       %s\n' "$fdw" "$local" | cut -c1-2000 | diag
		fi
	done <"$WORK/out/compare_$db.txt"
	t_is "[$db] every query was compared" "$seen" "${#QUERIES[@]}"
	[ -s "$WORK/out/compare_$db.err" ] && diag <"$WORK/out/compare_$db.err"
	echo "# $db: ${#QUERIES[@]} queries compared in $((SECONDS - t0)) s"

	dpsql "$db" -F $'\t' -f "$WORK/explain.sql" >"$WORK/out/explain_$db.txt" 2>&1
	bad=0 checked=0
	while IFS=$'\t' read -r k sql; do
		if [ "$db" = dc ]; then want=${WANT_C[$((k - 1))]}; else want=${WANT_ICU[$((k - 1))]}; fi
		checked=$((checked + 1))
		got=N
		case $sql in *" ORDER BY "*) got=S ;; esac
		case $sql in *" ORDER BY "*" LIMIT "*) got=SL ;; esac
		if [ "$want" = R ]; then
			got=-
			case $sql in *"Remote Read: READ "*) got=R ;; esac
		fi
		if [ "$want" = J ]; then
			got=-
			[[ $sql =~ \ AS\ r[0-9]+\ ((INNER|LEFT|RIGHT|FULL)\ JOIN|WHERE\ (NOT\ )?EXISTS)\  ]] && got=J
		fi
		if [ "$want" = P ]; then
			got=-
			[[ $sql =~ \`[a-z]+\`\ [^\ ]+\ @p[0-9] || $sql =~ @p[0-9]+\ [^\ ]+\ \`[a-z]+\` ]] && got=P
		fi
		if [ "$want" = W ] || [ "$want" = F ]; then
			got=F
			[[ $sql == *" WHERE "* && $sql != *"[local filter]"* ]] && got=W
		fi
		if [ "$want" = D ]; then
			got=-
			case $sql in *"SELECT DISTINCT "*) got=D ;; esac
		fi
		if [ "$want" = A ] || [ "$want" = L ]; then
			got=L
			[[ $sql =~ (COUNT|MIN|MAX|SUM|LOGICAL_AND|LOGICAL_OR)\( ]] && got=A
		fi
		if [ "$got" != "$want" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 10 ] && printf 'wanted %s, got %s: %s\n  %s\n' "$want" "$got" "${QUERIES[$((k - 1))]}" "$sql" | diag
		fi
	done < <(grep -E '^[0-9]+'$'\t' "$WORK/out/explain_$db.txt")
	errors=$(grep -cvE '^[0-9]+'$'\t' "$WORK/out/explain_$db.txt")
	t_is "[$db] every plan checked could be explained" "$checked/$errors" "$(grep -c '^SELECT' "$WORK/explain.sql")/0"
	t_is "[$db] the plans send conditions, ORDER BY, LIMIT, aggregates, lookups, reads by key and joins to Spanner where they can ($checked plans checked)" "$bad" 0
done

finish
