#!/bin/bash
# bench/run_gateway.sh -- the cost of the second hop of the gateway pattern:
# the same reads run directly on a PostgreSQL with spanner_fdw (the gateway)
# and on a second PostgreSQL (the "managed" side: postgres_fdw only) that
# reaches the gateway's foreign tables through postgres_fdw, against the same
# Cloud Spanner emulator, side by side.  Not part of the test suite.
#
#   bench/run_gateway.sh
#
# Environment:
#   N=10000        rows of table g (the "scan" query reads all of them)
#   RUNS=11        timed runs of each query and variant, interleaved
#   LOOKUPS=100    key lookups timed per run (after 5 untimed ones)
#   BENCH_RUN_DIR  state directory of this run's emulator and gateway
#                  (default /tmp/spanner_fdw_bench_gw.<hash of the repo path>)
#   BENCH_OUT=dir  where logs and results go (default bench/out/gateway-<timestamp>)
#
# What it does: builds and installs the extension (scripts/lib.sh), starts a
# fresh emulator and the gateway PostgreSQL 15 in the lib.sh namespace
# "benchgw" (TLS on, self-signed certificate), creates the Spanner table
#   g (id INT64 NOT NULL, grp INT64 NOT NULL, amount INT64 NOT NULL,
#      label STRING(MAX)) PRIMARY KEY (id)
# and writes N rows through the gateway.  The gateway has two servers on the
# database: sp_lazy (lazy_read_write 'true', the recommended gateway
# setting), imported into schema lazy, and sp (default), into schema strict.
# A second PostgreSQL 15 cluster (initdb in a temporary directory, its own
# port) gets postgres_fdw only, servers "gw" (fetch_size default, 100) and
# "gw1000" (fetch_size '1000') over TCP with sslmode 'require', and imports
# the gateway's schemas.  Then, RUNS times in turn, each variant in a psql
# session of its own (one untimed warm-up first, so connections and Spanner
# sessions are open, as in a pooled application):
#   direct         on the gateway: lazy.g
#   via            on the managed side: lazy.g through server gw
#   via-fetch1000  on the managed side: lazy.g through server gw1000
#   via-strict     on the managed side: strict.g through gw (lazy_read_write off)
# with the queries
#   key    SELECT * FROM g WHERE id = <k>   (LOOKUPS different keys; the
#          per-run figure is the median lookup)
#   scan   SELECT * FROM g                  (N rows to the client)
# timed with psql's \timing, and prints the medians and the ratios to direct.
# Everything it started is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export SF_NS=${SF_NS:-benchgw}
export SF_PROJECT=${SF_PROJECT:-bench-project}
export SF_INSTANCE=${SF_INSTANCE:-bench-instance}
. scripts/lib.sh
. bench/lib.sh
bench_init gateway gw

N=${N:-10000}
RUNS=${RUNS:-11}
LOOKUPS=${LOOKUPS:-100}
DB=bench
MG_DATA=
bench_before_stop() {
	if [ -n "$MG_DATA" ] && [ -f "$MG_DATA/postmaster.pid" ]; then
		log "stopping the managed cluster"
		(cd / && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$MG_DATA" -m fast -w stop >/dev/null 2>&1) || true
	fi
}

sf_install_deps
sf_build_install

STARTED=1
sf_stop_ns
sf_start_emulator
sf_start_pg
GW_PORT=$SF_PG_PORT
TMPD=$(mktemp -d /tmp/spanner_fdw_bench_gw.XXXXXX)
chmod 755 "$TMPD"
EMU=$SPANNER_EMULATOR_REST

# --- the gateway: TLS on (self-signed), the database, two servers
(cd "$SF_PG_DATA" && sf_as_pg openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 2 -keyout server.key -out server.crt -subj /CN=127.0.0.1 >/dev/null 2>&1 && chmod 600 server.key)
sf_psql -d postgres -q -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
cat >"$TMPD/g.ddl" <<'EOF'
CREATE TABLE g (id INT64 NOT NULL, grp INT64 NOT NULL, amount INT64 NOT NULL,
  label STRING(MAX)) PRIMARY KEY (id)
EOF
SF_QUIET=1 sf_create_instance "$SF_PROJECT" "$SF_INSTANCE"
SF_QUIET=1 sf_create_database "$SF_PROJECT" "$SF_INSTANCE" "$DB" "$TMPD/g.ddl"
if [ "$(sf_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
	sf_psql -d postgres -q -c "DROP DATABASE $DB"
fi
sf_psql -d postgres -q -c "CREATE DATABASE $DB"
log "loading $N rows through the gateway"
sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$EMU');
CREATE SERVER sp_lazy FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$EMU', lazy_read_write 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp_lazy OPTIONS (auth 'none');
CREATE SCHEMA lazy;
CREATE SCHEMA strict;
IMPORT FOREIGN SCHEMA public FROM SERVER sp_lazy INTO lazy;
IMPORT FOREIGN SCHEMA public FROM SERVER sp INTO strict;
INSERT INTO lazy.g SELECT i, i % 100, (i * 7919) % 100000, 'label ' || i FROM generate_series(1, $N) i;
SQL
[ "$(sf_psql -d "$DB" -tAc "SELECT count(*) FROM lazy.g")" = "$N" ] || { log "g does not hold $N rows"; exit 1; }

# --- the managed side: postgres_fdw only
MG=$TMPD/mg
mkdir -p "$MG"
chown "$(sf_pg_user)" "$MG"
chmod 700 "$MG"
MG_DATA=$MG/data
MG_PORT=$(sf_free_port)
(cd / && sf_as_pg env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$SF_PG_BINDIR/initdb" -D "$MG_DATA" \
	--locale=C.UTF-8 --encoding=UTF8 --auth=trust -U "$(sf_pg_user)" >"$OUT/managed-initdb.log" 2>&1)
cat >>"$MG_DATA/postgresql.conf" <<EOF
port = $MG_PORT
listen_addresses = ''
unix_socket_directories = '$MG'
lc_messages = 'C'
timezone = 'UTC'
EOF
(cd / && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$MG_DATA" -l "$MG/server.log" -w -t 60 start >/dev/null)
mpsql() { (cd / && sf_as_pg "$SF_PG_BINDIR/psql" -X -h "$MG" -p "$MG_PORT" "$@"); }
mpsql -d postgres -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER gw FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$GW_PORT', dbname '$DB', sslmode 'require');
CREATE SERVER gw1000 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$GW_PORT', dbname '$DB', sslmode 'require', fetch_size '1000');
CREATE USER MAPPING FOR CURRENT_USER SERVER gw;
CREATE USER MAPPING FOR CURRENT_USER SERVER gw1000;
CREATE SCHEMA lazy;
CREATE SCHEMA strict;
CREATE SCHEMA lazy1000;
IMPORT FOREIGN SCHEMA lazy FROM SERVER gw INTO lazy;
IMPORT FOREIGN SCHEMA strict FROM SERVER gw INTO strict;
IMPORT FOREIGN SCHEMA lazy FROM SERVER gw1000 INTO lazy1000;
SQL
[ "$(mpsql -d postgres -tAc "SELECT count(*) FROM lazy.g")" = "$N" ] || { log "the managed side does not read $N rows"; exit 1; }

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# variant V -> "psql-function schema"
declare -A VCLIENT=([direct]=gw [via]=mg [via-fetch1000]=mg [via-strict]=mg)
declare -A VSCHEMA=([direct]=lazy [via]=lazy [via-fetch1000]=lazy1000 [via-strict]=strict)
VARIANTS=(direct via via-fetch1000 via-strict)

# times VARIANT QUERY: one psql session; warm-up, then the timed statements;
# prints the timings in seconds, one a line
times() {
	local v=$1 q=$2 s=${VSCHEMA[$1]} i k
	{
		echo '\o /dev/null'
		if [ "$q" = key ]; then
			for i in 1 2 3 4 5; do echo "SELECT * FROM $s.g WHERE id = $((i * 997 % N + 1));"; done
			echo '\timing on'
			for i in $(seq 1 "$LOOKUPS"); do
				k=$(((i * 7919 + RANDOM) % N + 1))
				echo "SELECT * FROM $s.g WHERE id = $k;"
			done
		else
			echo "SELECT * FROM $s.g WHERE id = 1;"
			echo '\timing on'
			echo "SELECT * FROM $s.g;"
		fi
	} >"$TMPD/q.sql"
	chmod 644 "$TMPD/q.sql"
	if [ "${VCLIENT[$v]}" = gw ]; then
		sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 -f "$TMPD/q.sql"
	else
		mpsql -d postgres -q -v ON_ERROR_STOP=1 -f "$TMPD/q.sql"
	fi | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{printf "%.6f\n", $1 / 1000}'
}

{
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "PostgreSQL: $("$SF_PG_BINDIR/postgres" --version); git: $(git rev-parse --short HEAD)"
	echo "settings: N=$N RUNS=$RUNS LOOKUPS=$LOOKUPS"
	echo
	echo "remote SQL of the key lookup on the managed side: $(mpsql -d postgres -tAc "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM lazy.g WHERE id = 42" | sed -n 's/^ *Remote SQL: //p')"
	echo "what the gateway runs for it:                     $(sf_psql -d "$DB" -tAc "EXPLAIN (VERBOSE, COSTS OFF) SELECT id, grp, amount, label FROM lazy.g WHERE ((id = 42))" | sed -n 's/^ *Remote \(SQL\|Read\): //p')"
	echo
} | tee "$OUT/summary.txt"

for q in key scan; do
	for v in "${VARIANTS[@]}"; do : >"$OUT/$q.$v"; done
	log "$q: $RUNS interleaved runs of ${VARIANTS[*]}"
	for i in $(seq 1 "$RUNS"); do
		for v in "${VARIANTS[@]}"; do
			if [ "$q" = key ]; then
				times "$v" key >"$OUT/$q.$v.run$i"
				median <"$OUT/$q.$v.run$i" >>"$OUT/$q.$v"
			else
				times "$v" scan >>"$OUT/$q.$v"
			fi
		done
	done
done

# per run: this variant's time against direct's time of the same round
paired() { paste "$OUT/$1.$2" "$OUT/$1.direct" | awk -v op="$3" '{print (op == "ratio") ? $1 / $2 : ($1 - $2) * 1000}' | median; }
{
	printf '%-6s %-14s %10s %10s %10s %9s %9s %11s   %s\n' query variant "median s" "min s" "max s" "/direct" "ratio/run" "+ms/run" "per run (s)"
	for q in key scan; do
		d=$(median <"$OUT/$q.direct")
		for v in "${VARIANTS[@]}"; do
			m=$(median <"$OUT/$q.$v")
			printf '%-6s %-14s %10.6f %10.6f %10.6f %9.2f %9.2f %11.3f   %s\n' "$q" "$v" "$m" \
				"$(sort -g "$OUT/$q.$v" | head -n1)" "$(sort -g "$OUT/$q.$v" | tail -n1)" \
				"$(awk -v a="$m" -v b="$d" 'BEGIN{print a / b}')" "$(paired "$q" "$v" ratio)" \
				"$(paired "$q" "$v" diff)" "$(tr '\n' ' ' <"$OUT/$q.$v")"
		done
	done
	echo
	echo "key: the median of $LOOKUPS lookups per run, then the median of the runs; scan: $N rows, one per run."
	echo "/direct: ratio of the medians; ratio/run and +ms/run: the median over the runs of this variant's"
	echo "time divided by / minus the direct time of the same round."
} | tee -a "$OUT/summary.txt"
log "results: $OUT"
