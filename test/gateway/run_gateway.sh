#!/usr/bin/env bash
# test/gateway/run_gateway.sh
#	The gateway pattern: a managed PostgreSQL that cannot load spanner_fdw
#	(RDS, Aurora, ...) reaches Spanner through postgres_fdw and a small
#	self-managed PostgreSQL with spanner_fdw, the gateway.
#
#	Two PostgreSQL 15 clusters, both run as the postgres OS user:
#	  gateway  spanner_fdw; two servers on the same Spanner database, both
#	           through test/standins/fault_proxy.py in front of the emulator
#	           (which counts the transactions begun and can abort commits):
#	           "sp" (default transaction model) imported into schema
#	           strict, "sp_lazy" (lazy_read_write 'true') into schema lazy.
#	           It listens on 127.0.0.1 with TLS only (hostssl): role
#	           gw_scram by SCRAM password, role gw_cert by client
#	           certificate (cert, i.e. clientcert=verify-full); plain TCP is
#	           rejected.  auto_explain (log_verbose, log_nested_statements)
#	           logs every plan to a JSON log, so the test reads what the
#	           gateway received from postgres_fdw and what it sent to Spanner.
#	  managed  only postgres_fdw (spanner_fdw is not created there): server
#	           "gateway" (sslmode verify-full against the test CA) with a
#	           SCRAM user mapping for the non-superuser role app, IMPORT
#	           FOREIGN SCHEMA strict and lazy of the gateway.
#
#	Checked, on real results, through both hops:
#	  - authentication: SCRAM over TLS for a non-superuser; a client
#	    certificate alone works only where a superuser sets
#	    password_required 'false' (postgres_fdw refuses a password-less
#	    connection for non-superusers otherwise); plain TCP is rejected;
#	  - reads (all rows, filter, join, aggregate, ORDER BY + LIMIT, key):
#	    the managed side returns exactly what the gateway returns; EXPLAIN
#	    VERBOSE on the managed side shows what postgres_fdw pushes, and the
#	    gateway's auto_explain shows the statement it received and the
#	    GoogleSQL spanner_fdw sent for it;
#	  - writes: INSERT, and UPDATE / DELETE that postgres_fdw pushes (direct
#	    modify), in autocommit and in transaction blocks; COMMIT makes them
#	    visible to a separate connection on the gateway, ROLLBACK leaves
#	    nothing; an UPDATE postgres_fdw cannot push (it needs ctid) fails
#	    with spanner_fdw's error and changes nothing;
#	  - 40001: a commit aborted by Spanner (the proxy) reaches the managed
#	    side as SQLSTATE 40001, nothing is applied, and the retried
#	    transaction commits once;
#	  - postgres_fdw's REPEATABLE READ remote transactions: without
#	    lazy_read_write a read-only managed transaction is a Spanner
#	    read-write transaction that conflicts with a concurrent writer
#	    (one of them ends with 40001; no update is lost); with
#	    lazy_read_write it reads a read-only snapshot (no read-write
#	    transaction, no conflict, repeatable reads), and a read-modify-write
#	    racing a concurrent writer loses that writer's update (the documented
#	    anomaly) -- unless it reads with FOR UPDATE, which postgres_fdw passes
#	    on and which begins the read-write transaction on the gateway (then
#	    one of the two ends with 40001 and nothing is lost).
#
#	Run by scripts/test.sh (suite gateway; the emulator is running and
#	SPANNER_EMULATOR_REST / SPANNER_TEST_* are exported) or on its own: then
#	it starts an emulator in the scripts/lib.sh namespace "gateway"
#	(SF_GATEWAY_NS) and stops it at the end.  About 40 s.
#
#	Output: TAP; GATEWAY_KEEP=1 keeps the work directory (logs of both
#	clusters, the proxy, every output).
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init gateway "${GATEWAY_KEEP:-0}"
tap_clean_env

STANDALONE=0
if [ -z "${SPANNER_EMULATOR_REST:-}" ]; then
	STANDALONE=1
	export SF_NS=${SF_GATEWAY_NS:-gateway}
fi
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=${SPANNER_TEST_PROJECT:-$SF_PROJECT}
INSTANCE=${SPANNER_TEST_INSTANCE:-$SF_INSTANCE}
DATABASE=gw
PW=
EMU_STARTED=0
PX_PID=
GW_DATA= GW_SOCK= GW_PORT= GW_LOG=
MG_DATA= MG_SOCK= MG_PORT= MG_LOG=

tap_teardown() {
	[ -n "$MG_DATA" ] && on_mg tap_pg_stop 30
	[ -n "$GW_DATA" ] && on_gw tap_pg_stop 30
	tap_stop_pid "$PX_PID"
	if [ "$EMU_STARTED" = 1 ]; then
		SF_QUIET=1 sf_stop_emulator >/dev/null 2>&1
	fi
}

# on_gw CMD... / on_mg CMD...: run a tap_lib.sh PostgreSQL function
# (tap_pg_start, tap_pg_stop, tap_psql) on the gateway / managed cluster
on_gw() { TAP_PG_DATA=$GW_DATA TAP_PG_SOCK=$GW_SOCK TAP_PG_PORT=$GW_PORT TAP_PG_LOG=$GW_LOG "$@"; }
on_mg() { TAP_PG_DATA=$MG_DATA TAP_PG_SOCK=$MG_SOCK TAP_PG_PORT=$MG_PORT TAP_PG_LOG=$MG_LOG "$@"; }

# gq SQL: on the gateway, as postgres (a connection of its own)
gq() { on_gw tap_psql postgres -v VERBOSITY=verbose -c "$1" 2>&1; }
# mq ROLE SQL: on the managed side, as ROLE
mq() { on_mg tap_psql "$1" -v VERBOSITY=verbose -c "$2" 2>&1; }
# mscript ROLE: on the managed side, as ROLE, psql script on stdin
mscript() { on_mg tap_psql "$1" -v VERBOSITY=verbose 2>&1; }

px_stat() { curl -s --noproxy '*' -m 10 "$PX/__stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1], {}, s))" "$1"; }
px_config() { curl -s --noproxy '*' -m 10 -X POST --data-binary "$1" "$PX/__config" >/dev/null; }

# gw_plans TEXT: the plans auto_explain logged on the gateway for statements
# of postgres_fdw connections (application_name managed) whose text holds
# TEXT, one a line: "<first plan node> | <Remote SQL of spanner_fdw>"
gw_plans() {
	python3 - "$GW_JSONLOG" "$1" <<'PY'
import json, re, sys
path, text = sys.argv[1], sys.argv[2]
seen = set()
for line in open(path, errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    m = r.get("message", "")
    if r.get("application_name") != "managed" or "plan:\n" not in m:
        continue
    q, _, plan = m.partition("\nQuery Text: ")[2].partition("\n")
    # the query text may span lines: the plan starts at the first plan node
    lines = (q + "\n" + plan).split("\n")
    start = next((i for i, l in enumerate(lines) if re.match(r"^(Foreign |Insert |Update |Delete |Result|Sort|Limit|Aggregate|Hash|Nested|Merge)", l)), None)
    if start is None:
        continue
    query = "\n".join(lines[:start])
    if not query.rstrip().endswith(text):
        continue
    remote = [x.strip() for x in lines[start:] if re.match(r"\s*Remote (SQL|Read): ", x)]
    nodes = [re.sub(r"^\s*(->\s*)?", "", l).split("  (")[0] for l in lines[start:]
             if re.match(r"^\s*(->\s*)?[A-Z][a-z]+( [A-Z][a-z]+)*( on |  \(|$)", l)]
    out = "%s | %s" % (" > ".join(nodes), " ; ".join(remote))
    if out not in seen:
        seen.add(out)
        print(out)
PY
}

# ================================================================== setup

tap_workdir gateway
mkdir -p "$WORK/pgm" "$WORK/pg/tls" "$WORK/pg/log"
chown "$(sf_pg_user)" "$WORK/pgm" "$WORK/pg/tls" "$WORK/pg/log" && chmod 700 "$WORK/pgm" "$WORK/pg/tls" ||
	bail "cannot prepare the work directory"

# --- the emulator, the Spanner database, the fault proxy
if [ "$STANDALONE" = 1 ]; then
	sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
	gw_before=$(sf_read "$SF_RUN/emulator.gateway.pid")
	SF_QUIET=1 sf_start_emulator >&2 || bail "could not start the emulator"
	[ "$gw_before" != "$(sf_read "$SF_RUN/emulator.gateway.pid")" ] && EMU_STARTED=1
fi
sf_rest_ok "${SPANNER_EMULATOR_REST##*:}" || bail "the emulator at $SPANNER_EMULATOR_REST does not answer"
cat >"$WORK/gw.ddl" <<'EOF'
CREATE TABLE items (id INT64 NOT NULL, name STRING(MAX), grp INT64, price INT64) PRIMARY KEY (id);
CREATE TABLE orders (id INT64 NOT NULL, item_id INT64, qty INT64) PRIMARY KEY (id);
CREATE TABLE counters (id INT64 NOT NULL, n INT64 NOT NULL) PRIMARY KEY (id);
CREATE TABLE notes (id INT64 NOT NULL, body STRING(MAX)) PRIMARY KEY (id)
EOF
{ SF_QUIET=1 sf_create_instance "$PROJECT" "$INSTANCE" &&
	SF_QUIET=1 sf_drop_database "$PROJECT" "$INSTANCE" "$DATABASE" &&
	SF_QUIET=1 sf_create_database "$PROJECT" "$INSTANCE" "$DATABASE" "$WORK/gw.ddl"; } \
	>"$WORK/out/ddl.txt" 2>&1 || { diag <"$WORK/out/ddl.txt"; bail "could not create the Spanner database $DATABASE"; }

python3 "$ROOT/test/standins/fault_proxy.py" --upstream "$SPANNER_EMULATOR_REST" \
	--port-file "$WORK/px.port" --lifetime 600 >"$WORK/out/fault_proxy.log" 2>&1 </dev/null &
PX_PID=$!
tap_wait_file "$WORK/px.port" 100 || bail "the fault proxy did not start"
PX=http://127.0.0.1:$(cat "$WORK/px.port")

# --- TLS: a CA, the gateway's server certificate (127.0.0.1), a client
# certificate for role gw_cert
TLS=$WORK/pg/tls
(
	cd "$TLS" || exit 1
	ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }
	ec -x509 -days 2 -keyout ca.key -out ca.crt -subj /CN=gateway-test-ca &&
		ec -keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
			-extfile server.ext -out server.crt &&
		ec -keyout client.key -out client.csr -subj /CN=gw_cert &&
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt &&
		chown "$(sf_pg_user)" ./* && chmod 600 ./*.key
) >"$WORK/out/tls.txt" 2>&1 || { diag <"$WORK/out/tls.txt"; bail "making the test certificates failed"; }

# --- the gateway cluster
tap_need_extension missing
tap_pg_init "listen_addresses = '127.0.0.1'" "max_connections = 40" \
	"ssl = on" "ssl_cert_file = '$TLS/server.crt'" "ssl_key_file = '$TLS/server.key'" "ssl_ca_file = '$TLS/ca.crt'" \
	"password_encryption = 'scram-sha-256'" "log_connections = on" \
	"session_preload_libraries = 'auto_explain'" "auto_explain.log_min_duration = 0" \
	"auto_explain.log_verbose = on" "auto_explain.log_nested_statements = on" \
	"logging_collector = on" "log_destination = 'stderr,jsonlog'" "log_directory = '$WORK/pg/log'" \
	"log_filename = 'gateway.log'" "log_rotation_age = 0" "log_rotation_size = 0"
GW_DATA=$TAP_PG_DATA GW_SOCK=$TAP_PG_SOCK GW_PORT=$TAP_PG_PORT GW_LOG=$TAP_PG_LOG
GW_JSONLOG=$WORK/pg/log/gateway.json
GW_TEXTLOG=$WORK/pg/log/gateway.log
cat >"$GW_DATA/pg_hba.conf" <<'EOF'
# written by test/gateway/run_gateway.sh
local   all all                   trust
hostssl all gw_scram 127.0.0.1/32 scram-sha-256
hostssl all gw_cert  127.0.0.1/32 cert
host    all all      127.0.0.1/32 reject
EOF
# shellcheck disable=SC2119
on_gw tap_pg_start || bail "the gateway cluster did not start"
PW=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
on_gw tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/gw_setup.txt" 2>&1 <<EOF || { diag <"$WORK/out/gw_setup.txt"; bail "setting up the gateway failed"; }
CREATE EXTENSION spanner_fdw;
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PX', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE SERVER sp_lazy FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PX', project '$PROJECT', instance '$INSTANCE', database '$DATABASE', lazy_read_write 'true');
CREATE USER MAPPING FOR postgres SERVER sp OPTIONS (auth 'none');
CREATE USER MAPPING FOR postgres SERVER sp_lazy OPTIONS (auth 'none');
CREATE SCHEMA strict;
CREATE SCHEMA lazy;
IMPORT FOREIGN SCHEMA public FROM SERVER sp INTO strict;
IMPORT FOREIGN SCHEMA public FROM SERVER sp_lazy INTO lazy;
CREATE ROLE gw_scram LOGIN PASSWORD '$PW';
CREATE ROLE gw_cert LOGIN;
ALTER ROLE gw_scram SET log_statement = 'all';
CREATE USER MAPPING FOR gw_scram SERVER sp OPTIONS (auth 'none');
CREATE USER MAPPING FOR gw_scram SERVER sp_lazy OPTIONS (auth 'none');
CREATE USER MAPPING FOR gw_cert SERVER sp OPTIONS (auth 'none');
GRANT USAGE ON SCHEMA strict, lazy TO gw_scram, gw_cert;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA strict, lazy TO gw_scram;
GRANT SELECT ON ALL TABLES IN SCHEMA strict TO gw_cert;
INSERT INTO strict.items SELECT i, 'item ' || i, i % 7, (i * 37) % 200 FROM generate_series(1, 200) i;
INSERT INTO strict.orders SELECT i, 1 + (i * 13) % 200, 1 + i % 10 FROM generate_series(1, 500) i;
INSERT INTO strict.counters VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0);
EOF
t_is "gateway: the data was written to Spanner through spanner_fdw (items, orders, counters)" \
	"$(gq "SELECT (SELECT count(*) FROM strict.items), (SELECT count(*) FROM strict.orders), (SELECT count(*) FROM lazy.counters)")" \
	"200|500|6"

# --- the managed cluster: postgres_fdw only
MG_DATA=$WORK/pgm/data MG_SOCK=$WORK/pgm MG_LOG=$WORK/pgm/server.log
MG_PORT=$(sf_free_port) || bail "no free port"
(cd / && sf_as_pg env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$SF_PG_BINDIR/initdb" -D "$MG_DATA" \
	--locale=C.UTF-8 --encoding=UTF8 --auth=trust -U postgres >"$WORK/pgm/initdb.log" 2>&1) || {
	diag <"$WORK/pgm/initdb.log"
	bail "initdb of the managed cluster failed"
}
cat >>"$MG_DATA/postgresql.conf" <<EOF
# written by test/gateway/run_gateway.sh (the managed side)
port = $MG_PORT
listen_addresses = ''
unix_socket_directories = '$MG_SOCK'
lc_messages = 'C'
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = debug1
log_error_verbosity = verbose
EOF
# shellcheck disable=SC2119
on_mg tap_pg_start || bail "the managed cluster did not start"
on_mg tap_psql postgres -v ON_ERROR_STOP=1 >"$WORK/out/mg_setup.txt" 2>&1 <<EOF || { diag <"$WORK/out/mg_setup.txt"; bail "setting up the managed side failed"; }
CREATE EXTENSION postgres_fdw;
CREATE SERVER gateway FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$GW_PORT', dbname 'postgres', sslmode 'verify-full',
           sslrootcert '$TLS/ca.crt', application_name 'managed');
CREATE ROLE app LOGIN;
GRANT USAGE ON FOREIGN SERVER gateway TO app;
CREATE USER MAPPING FOR app SERVER gateway OPTIONS (user 'gw_scram', password '$PW');
CREATE USER MAPPING FOR postgres SERVER gateway OPTIONS (user 'gw_scram', password '$PW');
CREATE SCHEMA strict;
CREATE SCHEMA lazy;
IMPORT FOREIGN SCHEMA strict FROM SERVER gateway INTO strict;
IMPORT FOREIGN SCHEMA lazy FROM SERVER gateway INTO lazy;
GRANT USAGE ON SCHEMA strict, lazy TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA strict, lazy TO app;
-- the same gateway by client certificate (no password)
CREATE SERVER gateway_cert FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$GW_PORT', dbname 'postgres', sslmode 'verify-full',
           sslrootcert '$TLS/ca.crt', application_name 'managed');
CREATE ROLE app_cert LOGIN;
GRANT USAGE ON FOREIGN SERVER gateway_cert TO app_cert;
CREATE USER MAPPING FOR app_cert SERVER gateway_cert
  OPTIONS (user 'gw_cert', sslcert '$TLS/client.crt', sslkey '$TLS/client.key');
CREATE USER MAPPING FOR postgres SERVER gateway_cert
  OPTIONS (user 'gw_cert', sslcert '$TLS/client.crt', sslkey '$TLS/client.key');
CREATE SCHEMA viacert;
IMPORT FOREIGN SCHEMA strict LIMIT TO (items) FROM SERVER gateway_cert INTO viacert;
GRANT USAGE ON SCHEMA viacert TO app_cert;
GRANT SELECT ON ALL TABLES IN SCHEMA viacert TO app_cert;
-- plain TCP, no TLS
CREATE SERVER gateway_plain FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$GW_PORT', dbname 'postgres', sslmode 'disable');
CREATE USER MAPPING FOR postgres SERVER gateway_plain OPTIONS (user 'gw_scram', password '$PW');
CREATE FOREIGN TABLE plain_items (id bigint) SERVER gateway_plain OPTIONS (schema_name 'strict', table_name 'items');
EOF
echo "# gateway port $GW_PORT, managed port $MG_PORT, fault proxy $PX"
# statistics of the foreign tables, read through the gateway, so that
# postgres_fdw's planner can weigh pushing joins
mq postgres "ANALYZE strict.items, strict.orders" >"$WORK/out/analyze.txt"
t_is "managed: postgres_fdw only (no spanner_fdw); IMPORT FOREIGN SCHEMA brought the gateway's 4 + 4 foreign tables" \
	"$(mq postgres "SELECT string_agg(extname, ',' ORDER BY extname) FILTER (WHERE extname <> 'plpgsql'), (SELECT count(*) FROM information_schema.foreign_tables WHERE foreign_table_schema IN ('strict', 'lazy')) FROM pg_extension")" \
	"postgres_fdw|8"
t_is "managed: the imported columns carry the gateway's types (strict.items)" \
	"$(mq postgres "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'strict' AND table_name = 'items'")" \
	"id bigint, name text, grp bigint, price bigint"

# ================================================================== authentication

t_is "auth: the non-superuser app reads through the gateway (SCRAM over TLS, server certificate verified)" \
	"$(mq app "SELECT count(*) FROM strict.items")" 200
sleep 0.3
t_file_has "auth: the gateway logged that connection as gw_scram, over TLS, authenticated by SCRAM" "$GW_TEXTLOG" \
	'connection authenticated: identity="gw_scram" method=scram-sha-256' \
	'connection authorized: user=gw_scram database=postgres application_name=managed SSL enabled'
out=$(mq app_cert "SELECT count(*) FROM viacert.items")
if grep -q 'password is required' <<<"$out"; then
	pass "auth: a client certificate alone is refused to a non-superuser by postgres_fdw (password is required)"
else
	fail "auth: a client certificate alone is refused to a non-superuser by postgres_fdw (password is required)"
	diag <<<"$out"
fi
mq postgres "ALTER USER MAPPING FOR app_cert SERVER gateway_cert OPTIONS (ADD password_required 'false')" >/dev/null
t_is "auth: ... and works once a superuser sets password_required 'false' (cert authentication, clientcert=verify-full)" \
	"$(mq app_cert "SELECT count(*) FROM viacert.items")" 200
sleep 0.3
t_file_has "auth: the gateway logged gw_cert authenticated by its client certificate" "$GW_TEXTLOG" \
	'connection authenticated: identity="CN=gw_cert" method=cert' \
	'connection authorized: user=gw_cert database=postgres application_name=managed SSL enabled'
out=$(mq postgres "SELECT count(*) FROM plain_items")
if grep -q 'no pg_hba.conf entry\|rejects connection' <<<"$out"; then
	pass "auth: plain TCP (sslmode disable) is rejected by the gateway's pg_hba.conf"
else
	fail "auth: plain TCP (sslmode disable) is rejected by the gateway's pg_hba.conf"
	diag <<<"$out"
fi

# ================================================================== reads

GW_REMOTE=()
# name|query|fragment of postgres_fdw's Remote SQL|fragment of spanner_fdw's Remote SQL
READS=(
	"all rows|SELECT id, name, grp, price FROM strict.items ORDER BY id|FROM strict.items|FROM \`items\`"
	"filter|SELECT id, name FROM strict.items WHERE price > 150 AND grp = 3 ORDER BY id|WHERE ((price > 150)) AND ((grp = 3))|WHERE (\`price\` > @p1) AND (\`grp\` = @p2)"
	"join|SELECT o.id, i.name, o.qty FROM strict.orders o JOIN strict.items i ON i.id = o.item_id WHERE o.qty > 8 ORDER BY o.id|INNER JOIN strict.items|JOIN \`items\`"
	"aggregate|SELECT grp, count(*), sum(price), max(price) FROM strict.items GROUP BY grp ORDER BY grp|GROUP BY 1|GROUP BY"
	"top-N|SELECT id, price FROM strict.items ORDER BY price DESC, id LIMIT 5|LIMIT 5::bigint|LIMIT @p1"
	"by key|SELECT id, name, grp, price FROM strict.items WHERE id = 42|WHERE ((id = 42))|Remote Read: READ \`items\`"
)
for r in "${READS[@]}"; do
	IFS='|' read -r name sql pgfrag spfrag <<<"$r"
	direct=$(gq "$sql")
	via=$(mq app "$sql")
	if [ -n "$direct" ] && [ "$direct" = "$via" ] && ! grep -q ERROR <<<"$via"; then
		pass "read ($name): through postgres_fdw and the gateway, the same $(wc -l <<<"$via") row(s) as on the gateway"
	else
		fail "read ($name): through postgres_fdw and the gateway, the same rows as on the gateway"
		diff <(echo "$direct") <(echo "$via") | head -n 20 | diag
	fi
	mq app "EXPLAIN (VERBOSE, COSTS OFF) $sql" >"$WORK/out/explain_$name.txt"
	remote=$(sed -n 's/^ *Remote SQL: //p' "$WORK/out/explain_$name.txt" | head -n1)
	echo "# $name: managed Remote SQL: $remote"
	if [ -n "$remote" ] && grep -qF -- "$pgfrag" <<<"$remote"; then
		pass "read ($name): EXPLAIN VERBOSE on the managed side shows postgres_fdw pushing it ($pgfrag)"
	else
		fail "read ($name): EXPLAIN VERBOSE on the managed side shows postgres_fdw pushing it ($pgfrag)"
		diag <"$WORK/out/explain_$name.txt"
	fi
	GW_REMOTE[${#GW_REMOTE[@]}]="$name|$remote|$spfrag"
done

# what the gateway received and sent (auto_explain, logged when each
# cursor closed): give the log collector a moment
sleep 0.5
for r in "${GW_REMOTE[@]}"; do
	IFS='|' read -r name remote spfrag <<<"$r"
	plans=$(gw_plans "$remote")
	echo "# $name: gateway plan: $plans"
	if [ -n "$remote" ] && grep -q 'Foreign Scan' <<<"$plans" && grep -qF -- "$spfrag" <<<"$plans"; then
		pass "read ($name): the gateway ran postgres_fdw's statement as a spanner_fdw Foreign Scan sending $spfrag"
	else
		fail "read ($name): the gateway ran postgres_fdw's statement as a spanner_fdw Foreign Scan sending $spfrag"
		echo "looked for: $remote" | diag
		echo "${plans:-no plan logged}" | diag
	fi
done
t_file_has "reads: postgres_fdw opened its remote transactions at REPEATABLE READ (gateway log)" "$GW_TEXTLOG" \
	"START TRANSACTION ISOLATION LEVEL REPEATABLE READ"

# ================================================================== writes

GWPSQL="$SF_PG_BINDIR/psql -X -q -At -h $GW_SOCK -p $GW_PORT -U postgres -d postgres"
notes() { gq "SELECT coalesce(string_agg(id || '=' || body, ',' ORDER BY id), '-') FROM strict.notes"; }

out=$(mq app "INSERT INTO strict.notes VALUES (1, 'one'), (2, 'two'), (3, 'three')")
t_is "write: autocommit INSERT through both hops is in Spanner (read back on the gateway)" \
	"$out|$(notes)" "|1=one,2=two,3=three"

mq app "EXPLAIN (VERBOSE, COSTS OFF) UPDATE strict.notes SET body = 'uno' WHERE id = 1" >"$WORK/out/explain_update.txt"
t_file_has "write: postgres_fdw pushes UPDATE ... WHERE id = 1 (direct modify)" "$WORK/out/explain_update.txt" \
	"Foreign Update on strict.notes" "Remote SQL: UPDATE strict.notes SET body = 'uno'::text WHERE ((id = 1))"
out=$(mq app "UPDATE strict.notes SET body = 'uno' WHERE id = 1")
t_is "write: autocommit direct UPDATE through both hops is in Spanner" "$out|$(notes)" "|1=uno,2=two,3=three"
sleep 0.3
plans=$(gw_plans "UPDATE strict.notes SET body = 'uno'::text WHERE ((id = 1))")
echo "# update: gateway plan: $plans"
if grep -q 'Foreign Update on strict.notes' <<<"$plans" && grep -qF 'UPDATE `notes` SET `body` = @p1 WHERE (`id` = @p2)' <<<"$plans"; then
	pass "write: the gateway ran the pushed UPDATE as one Spanner UPDATE (Foreign Update)"
else
	fail "write: the gateway ran the pushed UPDATE as one Spanner UPDATE (Foreign Update)"
	echo "${plans:-no plan logged}" | diag
fi

mq app "EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM strict.notes WHERE id = 2" >"$WORK/out/explain_delete.txt"
t_file_has "write: postgres_fdw pushes DELETE ... WHERE id = 2 (direct modify)" "$WORK/out/explain_delete.txt" \
	"Foreign Delete on strict.notes" "Remote SQL: DELETE FROM strict.notes WHERE ((id = 2))"
out=$(mq app "DELETE FROM strict.notes WHERE id = 2")
t_is "write: autocommit direct DELETE through both hops is in Spanner" "$out|$(notes)" "|1=uno,3=three"

out=$(mscript app <<EOF
BEGIN;
INSERT INTO strict.notes VALUES (10, 'ten'), (11, 'eleven');
UPDATE strict.notes SET body = 'ten!' WHERE id = 10;
UPDATE strict.notes SET body = body || '+' WHERE id = 3;
DELETE FROM strict.notes WHERE id = 1;
SELECT 'inside', string_agg(id || '=' || body, ',' ORDER BY id) FROM strict.notes;
\! $GWPSQL -c "SELECT 'outside', string_agg(id || '=' || body, ',' ORDER BY id) FROM strict.notes"
COMMIT;
EOF
)
t_is "write: in a transaction block, INSERT / UPDATE / DELETE see each other; a separate gateway connection sees none of it before COMMIT" \
	"$(grep '^inside\|^outside\|ERROR' <<<"$out" | tr '\n' ' ')" "inside|3=three+,10=ten!,11=eleven outside|1=uno,3=three "
t_is "write: ... COMMIT makes all of it visible in Spanner (separate connection)" "$(notes)" "3=three+,10=ten!,11=eleven"

out=$(mscript app <<'EOF'
BEGIN;
INSERT INTO strict.notes VALUES (20, 'twenty');
UPDATE strict.notes SET body = 'changed' WHERE id = 10;
DELETE FROM strict.notes WHERE id = 11;
SELECT 'inside', string_agg(id || '=' || body, ',' ORDER BY id) FROM strict.notes;
ROLLBACK;
EOF
)
t_is "write: a block that INSERTs, UPDATEs and DELETEs, then ROLLBACK: it saw its writes, Spanner keeps none of them" \
	"$(grep '^inside\|ERROR' <<<"$out" | tr '\n' ' ')$(notes)" "inside|3=three+,10=changed,20=twenty 3=three+,10=ten!,11=eleven"

# an UPDATE postgres_fdw cannot push (random() is volatile): it reads ctid
mq app "EXPLAIN (VERBOSE, COSTS OFF) UPDATE strict.notes SET body = 'r' WHERE id = 10 AND random() >= 0" >"$WORK/out/explain_ctid.txt"
t_file_has "write: postgres_fdw does not push UPDATE ... WHERE random() >= 0: it reads ctid and updates WHERE ctid = \$1" \
	"$WORK/out/explain_ctid.txt" "Remote SQL: UPDATE strict.notes SET body = \$2 WHERE ctid = \$1" "ctid FROM strict.notes"
out=$(mq app "UPDATE strict.notes SET body = 'r' WHERE id = 10 AND random() >= 0")
if grep -q 'ERROR:  0A000: foreign table "notes" has no ctid' <<<"$out" && [ "$(notes)" = "3=three+,10=ten!,11=eleven" ]; then
	pass "write: ... that UPDATE fails on the managed side with spanner_fdw's error (0A000, no ctid) and changes nothing"
else
	fail "write: ... that UPDATE fails on the managed side with spanner_fdw's error (0A000, no ctid) and changes nothing"
	diag <<<"$out"
	notes | diag
fi

# ================================================================== 40001

counter() { gq "SELECT n FROM strict.counters WHERE id = $1"; }
a0=$(px_stat commits_aborted)
px_config '{"commit_abort_times": 1}'
out=$(mscript app <<'EOF'
BEGIN;
UPDATE strict.counters SET n = n + 1 WHERE id = 1;
COMMIT;
EOF
)
px_config '{"commit_abort_times": 0}'
echo "$out" >"$WORK/out/abort1.txt"
if grep -q 'ERROR:  40001:' <<<"$out" && [ "$(($(px_stat commits_aborted) - a0))" = 1 ] && [ "$(counter 1)" = 0 ]; then
	pass "40001: a commit Spanner aborts reaches the managed side's COMMIT as SQLSTATE 40001, nothing applied"
else
	fail "40001: a commit Spanner aborts reaches the managed side's COMMIT as SQLSTATE 40001, nothing applied"
	diag <<<"$out"
	echo "counter: $(counter 1)" | diag
fi
grep 'ERROR:  40001' <<<"$out" | head -n 1 | sed 's/^/# managed side: /'
out=$(mscript app <<'EOF'
BEGIN;
UPDATE strict.counters SET n = n + 1 WHERE id = 1;
COMMIT;
EOF
)
t_is "40001: the retried transaction commits, once (counter 1)" "$(grep -c ERROR <<<"$out") $(counter 1)" "0 1"

# autocommit, aborted twice: a client's retry loop
px_config '{"commit_abort_times": 2}'
attempts=0
while [ $attempts -lt 5 ]; do
	attempts=$((attempts + 1))
	out=$(mq app "UPDATE strict.counters SET n = n + 1 WHERE id = 1")
	[ -z "$out" ] && break
	grep -q 'ERROR:  40001:' <<<"$out" || { diag <<<"$out"; break; }
done
px_config '{"commit_abort_times": 0}'
t_is "40001: an autocommit UPDATE aborted twice: 40001 twice, the third attempt commits once (counter 2)" \
	"$attempts $(counter 1)" "3 2"

# ================================================================== REPEATABLE READ, lazy_read_write

# a read-only managed statement: which Spanner transaction does the gateway open?
for mode in strict lazy; do
	rw0=$(px_stat begin_read_write) ro0=$(px_stat begin_read_only) c0=$(px_stat commits)
	v=$(mq app "SELECT n FROM $mode.counters WHERE id = 2")
	rw=$(($(px_stat begin_read_write) - rw0))
	# the first REPEATABLE READ block of a connection may take two begins:
	# the emulator refuses Spanner's REPEATABLE_READ isolation level, and
	# spanner_fdw then falls back to the default (serializable)
	[ "$rw" -gt 1 ] && rw=1
	tx="$rw read-write, $(($(px_stat begin_read_only) - ro0)) read-only, $(($(px_stat commits) - c0)) commit(s)"
	echo "# $mode: a managed SELECT began $tx on Spanner"
	eval "TX_$mode=\"\$tx\""
	[ "$v" = 0 ] || echo "read $v" | diag
done
t_is "REPEATABLE READ without lazy_read_write: a managed SELECT (postgres_fdw's REPEATABLE READ remote transaction) is one Spanner read-write transaction" \
	"$TX_strict" "1 read-write, 0 read-only, 1 commit(s)"
t_is "REPEATABLE READ with lazy_read_write: the same SELECT is one read-only snapshot, no commit" \
	"$TX_lazy" "0 read-write, 1 read-only, 0 commit(s)"

# wait_sleeping: until a managed backend sits in pg_sleep
wait_sleeping() {
	local _
	for _ in $(seq 1 100); do
		[ "$(mq postgres "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}

# race MODE ID SCRIPT WRITER: run SCRIPT (a managed block as app, with :S
# for MODE's schema) in the background; while it sleeps, WRITER runs on the
# gateway directly (autocommit) on counter ID. Outputs: $WORK/out/race_MODE_ID.{m,w}
race() {
	local mode=$1 id=$2 pid
	on_mg tap_psql app -v VERBOSITY=verbose -v S="$mode" -v ID="$id" <<<"$3" >"$WORK/out/race_${mode}_$id.m" 2>&1 &
	pid=$!
	wait_sleeping || echo "the managed block did not reach pg_sleep" | diag
	gq "$4" >"$WORK/out/race_${mode}_$id.w"
	wait "$pid"
}

READER='BEGIN;
SELECT '"'"'r1'"'"', n FROM :S.counters WHERE id = :ID;
SELECT pg_sleep(1.5);
SELECT '"'"'r2'"'"', n FROM :S.counters WHERE id = :ID;
COMMIT;'
RMW='BEGIN;
SELECT n AS cur FROM :S.counters WHERE id = :ID \gset
SELECT pg_sleep(1.5);
UPDATE :S.counters SET n = :cur + 1 WHERE id = :ID;
COMMIT;'

# read-only block racing a writer
race lazy 4 "$READER" "UPDATE strict.counters SET n = n + 100 WHERE id = 4"
m=$WORK/out/race_lazy_4.m w=$WORK/out/race_lazy_4.w
t_is "lazy_read_write: a managed read-only block and a concurrent writer on the gateway do not conflict; the block reads one snapshot twice (r1, r2, writer, counter)" \
	"$(grep '^r[12]\|ERROR' "$m" | tr '\n' ' ')$(cat "$w")|$(counter 4)" "r1|0 r2|0 |100"

race strict 5 "$READER" "UPDATE strict.counters SET n = n + 100 WHERE id = 5"
m=$WORK/out/race_strict_5.m w=$WORK/out/race_strict_5.w
nm=$(grep -c 'ERROR:  40001' "$m") nw=$(grep -c 'ERROR:  40001' "$w")
c=$(counter 5)
if { [ "$nm" != 0 ] && [ "$nw" = 0 ] && [ "$c" = 100 ]; } || { [ "$nm" = 0 ] && [ "$nw" != 0 ] && [ "$c" = 0 ]; }; then
	pass "without lazy_read_write: the managed read-only block holds a Spanner read-write transaction, so the concurrent writer conflicts: one of them ends with 40001 ($([ "$nw" = 0 ] && echo "the block" || echo "the writer")), Spanner holds what committed"
else
	fail "without lazy_read_write: the managed read-only block conflicts with the concurrent writer (one 40001)"
	{ echo "block:"; cat "$m"; echo "writer:"; cat "$w"; echo "counter: $c"; } | diag
fi

# read-modify-write racing a writer: the anomaly lazy_read_write allows
race lazy 3 "$RMW" "UPDATE strict.counters SET n = n + 10 WHERE id = 3"
m=$WORK/out/race_lazy_3.m w=$WORK/out/race_lazy_3.w
t_is "lazy_read_write: read n (0), a concurrent writer adds 10 and commits, the block writes n + 1 and commits: no error, the writer's update is lost (counter 1, not 11)" \
	"$(grep -c ERROR "$m") $(cat "$w")|$(counter 3)" "0 |1"

# the cure with lazy_read_write: read with FOR UPDATE (postgres_fdw sends
# it to the gateway, where it begins the read-write transaction)
RMW_FU=${RMW/\\gset/FOR UPDATE \\gset}
race lazy 6 "$RMW_FU" "UPDATE strict.counters SET n = n + 10 WHERE id = 6"
m=$WORK/out/race_lazy_6.m w=$WORK/out/race_lazy_6.w
nm=$(grep -c 'ERROR:  40001' "$m") nw=$(grep -c 'ERROR:  40001' "$w")
c=$(counter 6)
if { [ "$nm" = 0 ] && [ "$nw" != 0 ] && [ "$c" = 1 ]; } || { [ "$nm" != 0 ] && [ "$nw" = 0 ] && [ "$c" = 10 ]; }; then
	pass "lazy_read_write, the same race with SELECT ... FOR UPDATE: one of them ends with 40001 ($([ "$nw" = 0 ] && echo "the block" || echo "the writer")), no update is lost (counter $c)"
else
	fail "lazy_read_write, the same race with SELECT ... FOR UPDATE: one of them ends with 40001, no update is lost"
	{ echo "block:"; cat "$m"; echo "writer:"; cat "$w"; echo "counter: $c"; } | diag
fi
t_file_has "lazy_read_write: postgres_fdw sent the FOR UPDATE to the gateway (gateway log)" "$GW_TEXTLOG" \
	"FROM lazy.counters WHERE ((id = 6)) FOR UPDATE"

gq "UPDATE strict.counters SET n = 0 WHERE id = 2" >/dev/null
race strict 2 "$RMW" "UPDATE strict.counters SET n = n + 10 WHERE id = 2"
m=$WORK/out/race_strict_2.m w=$WORK/out/race_strict_2.w
nm=$(grep -c 'ERROR:  40001' "$m") nw=$(grep -c 'ERROR:  40001' "$w")
c=$(counter 2)
if { [ "$nm" = 0 ] && [ "$nw" != 0 ] && [ "$c" = 1 ]; } || { [ "$nm" != 0 ] && [ "$nw" = 0 ] && [ "$c" = 10 ]; }; then
	pass "without lazy_read_write: the same race ends with 40001 for one of them ($([ "$nw" = 0 ] && echo "the block" || echo "the writer")) and no update is lost (counter $c)"
else
	fail "without lazy_read_write: the same race ends with 40001 for one of them and no update is lost"
	{ echo "block:"; cat "$m"; echo "writer:"; cat "$w"; echo "counter: $c"; } | diag
fi

finish
