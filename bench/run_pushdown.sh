#!/bin/bash
# bench/run_pushdown.sh -- what pushing work to Spanner buys: queries through
# spanner_fdw with pushdown on and off, against the same GoogleSQL sent
# directly over REST by a raw libcurl client, on the Cloud Spanner emulator.
# Not part of the test suite.
#
#   bench/run_pushdown.sh
#
# Environment:
#   N=100000        rows of table g
#   RUNS=5          timed runs of each query and mode (after one untimed warm-up)
#   LOOKUPS=1000    key lookups (pgbench, prepared) against as many raw lookups
#   LOOKUP_ROWS=1000  rows of table g1k, the table of the key lookups (a keyed
#                   SQL query makes the emulator read the whole table: 0.2 s a
#                   lookup at 100k rows)
#   BENCH_RUN_DIR   state directory of this run's emulator and PostgreSQL
#                   (default /tmp/spanner_fdw_bench_push.<hash of the repo path>)
#   BENCH_OUT=dir   where logs and results go (default bench/out/pushdown-<timestamp>)
#
# What it does: builds and installs the extension (scripts/lib.sh), starts a
# fresh emulator and a throwaway PostgreSQL 15 in the lib.sh namespace
# "benchpush", creates the Spanner table
#   g (id INT64 NOT NULL, grp INT64 NOT NULL, amount INT64 NOT NULL,
#      label STRING(MAX)) PRIMARY KEY (id)
# imports it, writes N rows through the foreign table (grp = id % 100,
# amount = id * 7919 % 100000, label = 'label <id>') and runs ANALYZE.
# Then, for each query below, RUNS times in turn, each after an untimed
# warm-up in the same session (a psql session per FDW run):
#   on:  spanner_fdw.pushdown = on (the default), psql \timing
#   off: spanner_fdw.pushdown = off (sorts, LIMIT, aggregates local;
#        conditions are still sent)
#   raw: bench/raw_scan with the GoogleSQL the FDW sends with pushdown on
#        (literals for its parameters), its query_s (the session is made
#        before the clock starts, as the FDW's is by the warm-up)
# and prints the medians and the ratios on/raw and off/on.  The queries:
#   count    SELECT count(*) FROM g
#   filter   SELECT * FROM g WHERE amount < 100            (0.1 % of rows)
#   topn     SELECT id, amount FROM g ORDER BY amount DESC, id LIMIT 10
#   groupby  SELECT grp, count(*), sum(amount) FROM g GROUP BY grp
#   join     SELECT a.id, b.label FROM g a JOIN g1k b ON a.id = b.id
#   lookups  LOOKUPS prepared SELECT * FROM g1k WHERE id = :k (pgbench -M
#            prepared, one client; g1k is g's first LOOKUP_ROWS rows; the FDW
#            reads each row through the Read API) against LOOKUPS streamingRead
#            calls of the same key from raw_scan (reads=), per lookup; and, for
#            comparison, the same lookups as keyed SQL (raw_scan lookups=)
# Everything it started is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export SF_NS=${SF_NS:-benchpush}
export SF_PROJECT=${SF_PROJECT:-bench-project}
export SF_INSTANCE=${SF_INSTANCE:-bench-instance}
. scripts/lib.sh
. bench/lib.sh
bench_init pushdown push

N=${N:-100000}
RUNS=${RUNS:-5}
LOOKUPS=${LOOKUPS:-1000}
LOOKUP_ROWS=${LOOKUP_ROWS:-1000}
DB=bench
DBPATH=projects/$SF_PROJECT/instances/$SF_INSTANCE/databases/$DB

sf_install_deps
sf_build_install
log "building bench/raw_scan (gcc -O2)"
gcc -O2 -Wall -o "$BENCH_DIR/raw_scan" "$BENCH_DIR/raw_scan.c" -lcurl

STARTED=1
sf_stop_ns
sf_start_emulator
sf_start_pg
TMPD=$(mktemp -d /tmp/spanner_fdw_bench_push.XXXXXX)
chmod 755 "$TMPD"
EMU=$SPANNER_EMULATOR_REST

cat >"$TMPD/g.ddl" <<'EOF'
CREATE TABLE g (id INT64 NOT NULL, grp INT64 NOT NULL, amount INT64 NOT NULL,
  label STRING(MAX)) PRIMARY KEY (id);
CREATE TABLE g1k (id INT64 NOT NULL, grp INT64 NOT NULL, amount INT64 NOT NULL,
  label STRING(MAX)) PRIMARY KEY (id)
EOF
SF_QUIET=1 sf_create_instance "$SF_PROJECT" "$SF_INSTANCE"
SF_QUIET=1 sf_create_database "$SF_PROJECT" "$SF_INSTANCE" "$DB" "$TMPD/g.ddl"

if [ "$(sf_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
	sf_psql -d postgres -q -c "DROP DATABASE $DB"
fi
sf_psql -d postgres -q -c "CREATE DATABASE $DB"
log "loading $N rows through the foreign table"
sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$EMU');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
IMPORT FOREIGN SCHEMA public LIMIT TO (g, g1k) FROM SERVER sp INTO public;
SET spanner_fdw.nonatomic_bulk_load = on;
INSERT INTO g SELECT i, i % 100, (i * 7919) % 100000, 'label ' || i FROM generate_series(1, $N) i;
INSERT INTO g1k SELECT i, i % 100, (i * 7919) % 100000, 'label ' || i FROM generate_series(1, $LOOKUP_ROWS) i;
ANALYZE g;
ANALYZE g1k;
SQL
[ "$(sf_psql -d "$DB" -tAc "SELECT count(*) FROM g")" = "$N" ] || { log "g does not hold $N rows"; exit 1; }

# name|FDW query|raw GoogleSQL
QUERIES=(
	"count|SELECT count(*) FROM g|SELECT COUNT(*) FROM \`g\`"
	"filter|SELECT * FROM g WHERE amount < 100|SELECT \`id\`, \`grp\`, \`amount\`, \`label\` FROM \`g\` WHERE (\`amount\` < 100)"
	"topn|SELECT id, amount FROM g ORDER BY amount DESC, id LIMIT 10|SELECT \`id\`, \`amount\` FROM \`g\` ORDER BY \`amount\` DESC, \`id\` LIMIT 10"
	"groupby|SELECT grp, count(*), sum(amount) FROM g GROUP BY grp|SELECT \`grp\`, COUNT(*), SUM(CAST(\`amount\` AS NUMERIC)) FROM \`g\` GROUP BY \`grp\`"
	"join|SELECT a.id, b.label FROM g a JOIN g1k b ON a.id = b.id|SELECT r1.\`id\`, r2.\`label\` FROM \`g\` AS r1 INNER JOIN \`g1k\` AS r2 ON (r1.\`id\` = r2.\`id\`)"
)

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# fdw_times MODE SQL: RUNS timings in seconds (after a warm-up), one a line
fdw_times() {
	local mode=$1 sql=$2 i
	{
		echo "SET spanner_fdw.pushdown = $mode;"
		echo '\o /dev/null'
		echo "$sql;"
		echo '\timing on'
		for i in $(seq 1 "$RUNS"); do echo "$sql;"; done
	} >"$TMPD/q.sql"
	chmod 644 "$TMPD/q.sql"
	sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 -f "$TMPD/q.sql" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{printf "%.6f\n", $1 / 1000}'
}

# raw_times SQL: RUNS query_s values (after a warm-up)
raw_times() {
	local i
	"$BENCH_DIR/raw_scan" "$EMU" "$DBPATH" "$1" >/dev/null
	for i in $(seq 1 "$RUNS"); do
		"$BENCH_DIR/raw_scan" "$EMU" "$DBPATH" "$1" | grep -o 'query_s=[0-9.]*' | cut -d= -f2
	done
}

{
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "PostgreSQL: $("$SF_PG_BINDIR/postgres" --version); git: $(git rev-parse --short HEAD)"
	echo "settings: N=$N RUNS=$RUNS LOOKUPS=$LOOKUPS LOOKUP_ROWS=$LOOKUP_ROWS"
	echo
	printf '%-8s %10s %10s %10s %8s %8s  %s\n' query "on s" "off s" "raw s" on/raw off/on "remote SQL (pushdown on)"
} | tee "$OUT/summary.txt"

for q in "${QUERIES[@]}"; do
	IFS='|' read -r name sql raw <<<"$q"
	remote=$(sf_psql -d "$DB" -tAc "EXPLAIN (VERBOSE, COSTS OFF) $sql" | sed -n 's/^ *Remote SQL: //p')
	: >"$OUT/$name.on"
	: >"$OUT/$name.off"
	: >"$OUT/$name.raw"
	# interleaved, so that the emulator's drift and moods hit all three alike
	for i in $(seq 1 "$RUNS"); do
		RUNS=1 fdw_times on "$sql" >>"$OUT/$name.on"
		RUNS=1 fdw_times off "$sql" >>"$OUT/$name.off"
		RUNS=1 raw_times "$raw" >>"$OUT/$name.raw"
	done
	on=$(median <"$OUT/$name.on")
	off=$(median <"$OUT/$name.off")
	rawm=$(median <"$OUT/$name.raw")
	printf '%-8s %10.4f %10.4f %10.4f %8.2f %8.1f  %s\n' "$name" "$on" "$off" "$rawm" \
		"$(awk -v a="$on" -v b="$rawm" 'BEGIN{print a / b}')" \
		"$(awk -v a="$off" -v b="$on" 'BEGIN{print a / b}')" "$remote" | tee -a "$OUT/summary.txt"
done

# key lookups: pgbench, prepared, one client, against raw_scan's lookups
cat >"$TMPD/lookup.sql" <<EOF
\\set k random(1, $LOOKUP_ROWS)
SELECT * FROM g1k WHERE id = :k;
EOF
chmod 644 "$TMPD/lookup.sql"
PGBENCH=("$SF_PG_BINDIR/pgbench")
[ "$(id -u)" = 0 ] && PGBENCH=(runuser -u postgres -- "$SF_PG_BINDIR/pgbench")
lookup_on=()
lookup_raw=()
lookup_sql=()
for i in $(seq 0 "$RUNS"); do
	lat=$(cd / && "${PGBENCH[@]}" -n -M prepared -c 1 -t "$LOOKUPS" -f "$TMPD/lookup.sql" \
		-h "$SF_PG_SOCK" -p "$SF_PG_PORT" "$DB" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
	r=$("$BENCH_DIR/raw_scan" "$EMU" "$DBPATH" \
		'"table":"g1k","columns":["id","grp","amount","label"]' "reads=$LOOKUPS:$LOOKUP_ROWS" |
		grep -o 'query_s=[0-9.]*' | cut -d= -f2)
	rs=$("$BENCH_DIR/raw_scan" "$EMU" "$DBPATH" \
		'SELECT `id`, `grp`, `amount`, `label` FROM `g1k` WHERE (`id` = @k)' "lookups=$LOOKUPS:$LOOKUP_ROWS" |
		grep -o 'query_s=[0-9.]*' | cut -d= -f2)
	[ "$i" = 0 ] && continue
	lookup_on+=("$(awk -v a="$lat" 'BEGIN{printf "%.6f", a / 1000}')")
	lookup_raw+=("$(awk -v a="$r" -v n="$LOOKUPS" 'BEGIN{printf "%.6f", a / n}')")
	lookup_sql+=("$(awk -v a="$rs" -v n="$LOOKUPS" 'BEGIN{printf "%.6f", a / n}')")
done
on=$(printf '%s\n' "${lookup_on[@]}" | tee "$OUT/lookups.on" | median)
rawm=$(printf '%s\n' "${lookup_raw[@]}" | tee "$OUT/lookups.raw" | median)
rawsql=$(printf '%s\n' "${lookup_sql[@]}" | tee "$OUT/lookups.rawsql" | median)
printf '%-8s %10.6f %10s %10.6f %8.2f %8s  %s\n' lookups "$on" - "$rawm" \
	"$(awk -v a="$on" -v b="$rawm" 'BEGIN{print a / b}')" - \
	"$(sf_psql -d "$DB" -tAc "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM g1k WHERE id = 42" | sed -n 's/^ *Remote \(SQL\|Read\): //p') (per lookup)" |
	tee -a "$OUT/summary.txt"
printf '%-8s %10s %10s %10.6f %8s %8s  %s\n' "" "" "" "$rawsql" "" "" \
	"raw: the same lookups as keyed SQL (executeStreamingSql), per lookup" | tee -a "$OUT/summary.txt"
log "results: $OUT"
