#!/bin/bash
# bench/run_cold.sh -- cold connections: what the first query of a new
# PostgreSQL connection costs through spanner_fdw with auth 'external_account'
# (AWS identity -> Google STS -> IAM impersonation), without and with
# shared_preload_libraries = 'spanner_fdw'; and a warm point query through the
# FDW against the same read by the official Node client. Not part of the test
# suite.
#
#   bash bench/run_cold.sh
#
# Environment:
#   N=50          new connections per mode
#   ROWS=1000     rows of the Spanner table kv (k INT64 key, v STRING)
#   WARM=1000     timed warm point queries (FDW and Node client each)
#   BENCH_RUN_DIR state directory (default /tmp/spanner_fdw_bench_cold.<hash>)
#   BENCH_OUT     results folder (default bench/out/cold-<timestamp>)
#
# What it does: builds and installs the extension (scripts/lib.sh), starts an
# emulator and a throwaway PostgreSQL 15 (lib.sh namespace "benchcold"), the
# stand-ins of EC2 metadata (IMDSv2), Google STS and IAM Credentials
# (test/standins/auth_standins.py) and the counting proxy
# test/standins/fault_proxy.py in front of the emulator's REST port. Server
# "cold" points at the proxy; its user mapping is auth 'external_account' with
# the instance role from the metadata stand-in (allow_ambient_credentials) and
# impersonation, so a backend without a token must federate before its first
# query. Then, per mode (PostgreSQL restarted without, then with,
# shared_preload_libraries = 'spanner_fdw'; the stand-ins forget their
# tokens), N new psql processes, one after the other, each run
#   SELECT v FROM cold.kv WHERE k = <key>
# and the script prints the median and p90 of each psql's wall time (start,
# connect, query, exit; bench/timeit) and the requests per connection seen by
# the metadata stand-in, STS, IAM and the proxy (session creation, reads).
# Last, one connection runs WARM prepared point queries through server "warm"
# (the same mapping, endpoint the emulator's REST port directly), timed by
# psql \timing, against WARM table.read calls of @google-cloud/spanner
# (bench/node, npm ci) over gRPC to the same emulator.
# Everything it started is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export SF_NS=${SF_NS:-benchcold}
export SF_PROJECT=${SF_PROJECT:-bench-project}
export SF_INSTANCE=${SF_INSTANCE:-bench-instance}
. scripts/lib.sh
. bench/lib.sh
bench_init cold cold
# the postmaster must find its AWS identity at the metadata stand-in only
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
	AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE

N=${N:-50}
ROWS=${ROWS:-1000}
WARM=${WARM:-1000}
DB=bench
STANDIN_PID=
PROXY_PID=
stop_child() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
bench_before_stop() {
	stop_child "$PROXY_PID"
	stop_child "$STANDIN_PID"
}

sf_install_deps
sf_build_install
TMPD=$(mktemp -d /tmp/spanner_fdw_bench_cold.XXXXXX)
chmod 755 "$TMPD"
gcc -O2 -Wall -o "$TMPD/timeit" "$BENCH_DIR/timeit.c"
mkdir "$TMPD/t"
chown "$(sf_pg_user)" "$TMPD/t"

STARTED=1
sf_stop_ns
sf_start_emulator
EMU=$SPANNER_EMULATOR_REST
GRPC_PORT=$(cat "$SF_RUN/emulator.grpc_port")

# --- stand-ins and the counting proxy (port 0; ports read from files)
wait_port() {
	local f=$1 pid=$2 _
	for _ in $(seq 1 100); do
		[ -s "$f" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	log "$3 did not start"
	cat "$OUT/$3.err" >&2 || true
	return 1
}
python3 test/standins/auth_standins.py --config test/auth/standin_config.json \
	--port-file "$TMPD/standins.port" >/dev/null 2>"$OUT/standins.err" &
STANDIN_PID=$!
wait_port "$TMPD/standins.port" "$STANDIN_PID" standins
STANDINS=http://127.0.0.1:$(cat "$TMPD/standins.port")
python3 test/standins/fault_proxy.py --upstream "$EMU" --port-file "$TMPD/proxy.port" \
	--lifetime 86400 >/dev/null 2>"$OUT/proxy.err" &
PROXY_PID=$!
wait_port "$TMPD/proxy.port" "$PROXY_PID" proxy
PROXY=http://127.0.0.1:$(cat "$TMPD/proxy.port")
log "stand-ins $STANDINS, proxy $PROXY -> $EMU (gRPC port $GRPC_PORT)"

# credential configuration as gcloud writes it, every URL at the stand-ins:
# AWS identity from EC2 IMDSv2, then STS, then impersonation
CRED=$(python3 - test/auth/standin_config.json "$STANDINS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
base = sys.argv[2]
print(json.dumps({
    "type": "external_account", "audience": d["audience"],
    "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
    "token_url": base + "/v1/token",
    "service_account_impersonation_url":
        base + "/v1/projects/-/serviceAccounts/%s:generateAccessToken" % d["service_accounts"][0],
    "credential_source": {
        "environment_id": "aws1",
        "region_url": base + "/latest/meta-data/placement/availability-zone",
        "url": base + "/latest/meta-data/iam/security-credentials",
        "imdsv2_session_token_url": base + "/latest/api/token",
        "regional_cred_verification_url":
            "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"}}))
PY
)

# --- Spanner table
cat >"$TMPD/kv.ddl" <<'EOF'
CREATE TABLE kv (k INT64 NOT NULL, v STRING(MAX)) PRIMARY KEY (k)
EOF
SF_QUIET=1 sf_create_instance "$SF_PROJECT" "$SF_INSTANCE"
SF_QUIET=1 sf_drop_database "$SF_PROJECT" "$SF_INSTANCE" "$DB"
SF_QUIET=1 sf_create_database "$SF_PROJECT" "$SF_INSTANCE" "$DB" "$TMPD/kv.ddl"

# --- PostgreSQL, preload off to begin with
sf_start_pg
pg_mode() {
	# pg_mode off|on: restart PostgreSQL without/with the preload
	if [ "$1" = on ]; then
		sf_psql -d postgres -q -c "ALTER SYSTEM SET shared_preload_libraries = 'spanner_fdw'"
	else
		sf_psql -d postgres -q -c "ALTER SYSTEM RESET shared_preload_libraries"
	fi
	SF_QUIET=1 sf_stop_pg
	SF_QUIET=1 sf_start_pg
	[ "$(sf_psql -d postgres -tAc 'SHOW shared_preload_libraries')" = "$([ "$1" = on ] && echo spanner_fdw)" ] ||
		{ log "shared_preload_libraries is not what mode $1 needs"; exit 1; }
}
pg_mode off
if [ "$(sf_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
	sf_psql -d postgres -q -c "DROP DATABASE $DB"
fi
sf_psql -d postgres -q -c "CREATE DATABASE $DB"
log "loading $ROWS rows; servers cold (through the proxy) and warm (the emulator directly)"
sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION spanner_fdw;
CREATE SERVER load FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$EMU');
CREATE USER MAPPING FOR CURRENT_USER SERVER load OPTIONS (auth 'none');
CREATE SCHEMA load;
IMPORT FOREIGN SCHEMA public LIMIT TO (kv) FROM SERVER load INTO load;
SET spanner_fdw.nonatomic_bulk_load = on;
INSERT INTO load.kv SELECT i, 'value ' || i FROM generate_series(1, $ROWS) i;
CREATE SERVER cold FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$PROXY');
CREATE USER MAPPING FOR CURRENT_USER SERVER cold OPTIONS (auth 'external_account',
  allow_custom_urls 'true', allow_ambient_credentials 'true', credentials_json '$CRED');
CREATE SCHEMA cold;
IMPORT FOREIGN SCHEMA public LIMIT TO (kv) FROM SERVER cold INTO cold;
CREATE SERVER warm FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database '$DB', endpoint '$EMU');
CREATE USER MAPPING FOR CURRENT_USER SERVER warm OPTIONS (auth 'external_account',
  allow_custom_urls 'true', allow_ambient_credentials 'true', credentials_json '$CRED');
CREATE SCHEMA warm;
IMPORT FOREIGN SCHEMA public LIMIT TO (kv) FROM SERVER warm INTO warm;
SQL
[ "$(sf_psql -d "$DB" -tAc "SELECT count(*) FROM cold.kv")" = "$ROWS" ] || { log "cold.kv does not hold $ROWS rows"; exit 1; }
log "remote access of the point query: $(sf_psql -d "$DB" -tAc "EXPLAIN (VERBOSE, COSTS OFF) SELECT v FROM cold.kv WHERE k = 42" |
	sed -n 's/^ *Remote \(SQL\|Read\): //p')"

# counters: one line of "name=value" of the stand-ins and the proxy
counters() {
	python3 - "$STANDINS" "$PROXY" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/__stats", timeout=10))["counts"]
p = json.load(urllib.request.urlopen(sys.argv[2] + "/__stats", timeout=10))["calls"]
imds = sum(v for k, v in s.items() if k.startswith("imds"))
# the proxy counts a POST by the part of its path after ":"; the one POST
# without one is session creation (.../sessions), counted as "other"
print("metadata=%d sts=%d iam=%d sessions=%d reads=%d calls=%s" % (
    imds, s.get("sts", 0), s.get("iam", 0),
    p.get("other", 0) + p.get("batchCreate", 0),
    sum(p.get(k, 0) for k in ("executeSql", "executeStreamingSql", "read", "streamingRead")),
    json.dumps(p, sort_keys=True, separators=(",", ":"))))
PY
}
reset_standins() {
	python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__reset", data=b"{}",
    headers={"Content-Type": "application/json"}), timeout=10).read()' "$STANDINS"
}
median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
p90() { sort -g | awk '{a[NR] = $1} END {i = int(NR * 0.9 + 0.999999); if (i < 1) i = 1; print a[i]}'; }

{
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "PostgreSQL: $("$SF_PG_BINDIR/postgres" --version); git: $(git rev-parse --short HEAD)"
	echo "settings: N=$N ROWS=$ROWS WARM=$WARM"
	echo
	echo "cold connections: N new psql processes, each: SELECT v FROM cold.kv WHERE k = <key>"
	echo "(wall time of psql start + connect + query + exit; requests per connection, all N included)"
	printf '%-11s %9s %9s %9s %9s %9s %10s %9s\n' preload "median s" "p90 s" metadata STS IAM sessions reads
} | tee "$OUT/summary.txt"

for mode in off on; do
	pg_mode "$mode"
	reset_standins
	before=$(counters)
	rm -f "$TMPD"/t/*
	for i in $(seq 1 "$N"); do
		key=$(( (i * 7919) % ROWS + 1 ))
		out=$(cd / && sf_as_pg "$TMPD/timeit" "$TMPD/t/$i" "$SF_PG_BINDIR/psql" -X -At -h "$SF_PG_SOCK" \
			-p "$SF_PG_PORT" -d "$DB" -c "SELECT v FROM cold.kv WHERE k = $key")
		[ "$out" = "value $key" ] || { log "connection $i returned '$out', not 'value $key'"; exit 1; }
	done
	after=$(counters)
	cat "$TMPD"/t/* | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' >"$OUT/cold_$mode.wall"
	[ "$(wc -l <"$OUT/cold_$mode.wall")" = "$N" ] || { log "missing timings"; exit 1; }
	echo "$before" >"$OUT/cold_$mode.counters"
	echo "$after" >>"$OUT/cold_$mode.counters"
	per=$(python3 - "$before" "$after" "$N" <<'PY'
import sys
b = dict(x.split("=", 1) for x in sys.argv[1].split())
a = dict(x.split("=", 1) for x in sys.argv[2].split())
n = int(sys.argv[3])
print(" ".join("%.2f" % ((int(a[k]) - int(b[k])) / n) for k in ("metadata", "sts", "iam", "sessions", "reads")))
PY
	)
	read -r m s iam ses rd <<<"$per"
	printf '%-11s %9.4f %9.4f %9s %9s %9s %10s %9s\n' "$mode" "$(median <"$OUT/cold_$mode.wall")" \
		"$(p90 <"$OUT/cold_$mode.wall")" "$m" "$s" "$iam" "$ses" "$rd" | tee -a "$OUT/summary.txt"
done

# --- warm point queries: FDW (server warm, one connection, prepared) vs Node
{
	echo "PREPARE p(bigint) AS SELECT v FROM warm.kv WHERE k = \$1;"
	echo '\o /dev/null'
	for i in $(seq 1 50); do echo "EXECUTE p($(( (i * 31) % ROWS + 1 )));"; done
	echo '\timing on'
	for i in $(seq 1 "$WARM"); do echo "EXECUTE p($(( (i * 7919) % ROWS + 1 )));"; done
} >"$TMPD/warm.sql"
chmod 644 "$TMPD/warm.sql"
sf_psql -d "$DB" -q -v ON_ERROR_STOP=1 -f "$TMPD/warm.sql" |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{printf "%.6f\n", $1 / 1000}' >"$OUT/warm_fdw.s"
[ "$(wc -l <"$OUT/warm_fdw.s")" = "$WARM" ] || { log "missing FDW warm timings"; exit 1; }
fdw_med=$(median <"$OUT/warm_fdw.s")
fdw_p90=$(p90 <"$OUT/warm_fdw.s")
{
	echo
	echo "warm point query, $WARM timed after 50 untimed (median / p90 per query):"
	printf '  FDW  (prepared EXECUTE, one connection, psql \\timing, REST)  %.6f s / %.6f s\n' "$fdw_med" "$fdw_p90"
} | tee -a "$OUT/summary.txt"

node_ok=0
if command -v node >/dev/null && command -v npm >/dev/null; then
	if [ -d "$BENCH_DIR/node/node_modules/@google-cloud/spanner" ] &&
		cmp -s "$BENCH_DIR/node/package-lock.json" "$BENCH_DIR/node/node_modules/.package-lock.json.ci" 2>/dev/null; then
		node_ok=1
	else
		log "npm ci in bench/node"
		if (cd "$BENCH_DIR/node" && timeout 600 npm ci --no-audit --no-fund >"$OUT/npm.log" 2>&1); then
			cp "$BENCH_DIR/node/package-lock.json" "$BENCH_DIR/node/node_modules/.package-lock.json.ci"
			node_ok=1
		else
			log "npm ci failed or took too long (log: $OUT/npm.log)"
		fi
	fi
fi
if [ "$node_ok" = 1 ] && res=$(SPANNER_EMULATOR_HOST=127.0.0.1:$GRPC_PORT node "$BENCH_DIR/node/point_read.js" \
	"$SF_PROJECT" "$SF_INSTANCE" "$DB" kv "$ROWS" "$WARM" 2>"$OUT/node.err"); then
	node_med=$(sed -n 's/.*median_s=\([0-9.]*\).*/\1/p' <<<"$res")
	node_p90=$(sed -n 's/.*p90_s=\([0-9.]*\).*/\1/p' <<<"$res")
	{
		printf '  Node @google-cloud/spanner %s (table.read, gRPC)        %.6f s / %.6f s\n' \
			"$(node -p 'require(process.argv[1] + "/node/node_modules/@google-cloud/spanner/package.json").version' "$BENCH_DIR")" \
			"$node_med" "$node_p90"
		printf '  FDW / Node (medians)  %.2f\n' "$(awk -v a="$fdw_med" -v b="$node_med" 'BEGIN{print a / b}')"
	} | tee -a "$OUT/summary.txt"
else
	echo "  Node client: skipped (npm ci or the client failed; see $OUT/npm.log, $OUT/node.err)" | tee -a "$OUT/summary.txt"
fi
log "results: $OUT"
