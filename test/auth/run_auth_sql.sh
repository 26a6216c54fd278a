#!/usr/bin/env bash
# test/auth/run_auth_sql.sh
#	external_account authentication end to end, through SQL.
#
#	A throw-away PostgreSQL 15 cluster (run as the postgres OS user) with
#	spanner_fdw queries the sample database "test" of the Spanner emulator
#	through test/standins/auth_proxy.py, which forwards a request only if its
#	bearer token is one that the stand-ins for Google STS / IAM Credentials
#	(test/standins/auth_standins.py) issued and that has not expired.  The
#	stand-ins really verify the SigV4-signed subject token, so a query that
#	returns rows proves the whole chain: AWS credentials (user mapping keys,
#	the postmaster's environment, EC2 IMDSv2 or ECS container credentials)
#	-> subject token -> STS -> impersonation -> Spanner.
#
#	Run by scripts/test.sh (the emulator is running, SPANNER_EMULATOR_REST
#	and SPANNER_TEST_* are exported, the extension is installed) or on its
#	own: then it starts an emulator in the scripts/lib.sh namespace
#	"authsql" (SF_AUTH_SQL_NS), loads the sample database, builds and
#	installs the extension if it is not installed (or if
#	SF_AUTH_SQL_BUILD=1), and stops what it started.
#
#	Output: TAP ("ok N - ...", "not ok N - ...", "1..N" last); exit status
#	non-zero if any test failed.  AUTH_SQL_KEEP=1 keeps the work directory
#	(PostgreSQL log, psql outputs) for inspection.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=../tap_lib.sh
. test/tap_lib.sh
tap_init auth-sql "${AUTH_SQL_KEEP:-0}"

# Nothing from the caller's environment may leak into the test.
tap_clean_env SPANNER_FDW_ECS_BASE_URL

# scripts/test.sh exports SPANNER_EMULATOR_REST; on our own we use a
# namespace of our own so a demo or another test run is never touched.
STANDALONE=0
if [ -z "${SPANNER_EMULATOR_REST:-}" ]; then
	STANDALONE=1
	export SF_NS=${SF_AUTH_SQL_NS:-authsql}
fi
# shellcheck source=../../scripts/lib.sh
. scripts/lib.sh

PROJECT=${SPANNER_TEST_PROJECT:-$SF_PROJECT}
INSTANCE=${SPANNER_TEST_INSTANCE:-$SF_INSTANCE}
DATABASE=${SPANNER_TEST_DATABASE:-test}
PGBIN=$SF_PG_BINDIR
CONF=$ROOT/test/auth/standin_config.json

STANDIN_PID=
PROXY_PID=
EMU_STARTED=0

# ------------------------------------------------------------------ cleanup

stop_pid() {
	# stop_pid PID: SIGTERM a child we started, wait for it (10 s, then KILL)
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	tap_wait_exit "$pid" 100 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# tap_teardown: called by tap_cleanup on every exit path
tap_teardown() {
	tap_pg_stop
	stop_pid "$PROXY_PID"
	stop_pid "$STANDIN_PID"
	if [ "$EMU_STARTED" = 1 ]; then
		SF_QUIET=1 sf_stop_emulator >/dev/null 2>&1
	fi
}

# ------------------------------------------------------------------ helpers

# st EXPR: print a Python expression over the counters of the stand-ins
# (s = their /__stats, c = s["counts"], l = s["last"]) and of the proxy
# (p); also records every bearer token the proxy has seen (for the final
# log check).  One python start per check: they cost ~0.3 s each.
st() {
	python3 - "$STANDINS" "$PROXY" "$WORK/tokens_seen" "$1" <<'PY'
import json, sys, urllib.request
def get(base):
    return json.load(urllib.request.urlopen(base + "/__stats", timeout=10))
s = get(sys.argv[1])
p = get(sys.argv[2])
c = s["counts"]
l = s["last"]
with open(sys.argv[3], "a") as fh:
    fh.write("".join(t + "\n" for t in p["tokens"]))
print(eval(sys.argv[4]))
PY
}
# reset_all [KNOBS-JSON]: counters of the stand-ins and the proxy back to
# zero, the stand-ins' tokens forgotten; then set the stand-ins' knobs
reset_all() {
	python3 - "$STANDINS" "$PROXY" "${1:-}" <<'PY'
import sys, urllib.request
def post(url, body=b"{}"):
    urllib.request.urlopen(urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}), timeout=10).read()
post(sys.argv[1] + "/__reset")
post(sys.argv[2] + "/__reset")
if sys.argv[3]:
    post(sys.argv[1] + "/__config", sys.argv[3].encode())
PY
}
# knobs KNOBS-JSON: set the stand-ins' knobs, keeping counters and tokens
knobs() {
	python3 - "$STANDINS" "$1" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(
    sys.argv[1] + "/__config", data=sys.argv[2].encode(),
    headers={"Content-Type": "application/json"}), timeout=10).read()
PY
}

# setup_values: shell assignments for the keys of the stand-in config, and
# the credential configurations (as gcloud writes them, every URL pointing
# at the stand-ins) in $WORK/cred_*.json
setup_values() {
	python3 - "$CONF" "$STANDINS" "$WORK" <<'PY'
import json, os, shlex, sys
conf, base, work = sys.argv[1:4]
d = json.load(open(conf))
sa = d["service_accounts"][0]
def cred(imp, imds, token_url=None):
    cs = {"environment_id": "aws1",
          "region_url": base + "/latest/meta-data/placement/availability-zone",
          "url": base + "/latest/meta-data/iam/security-credentials",
          "regional_cred_verification_url":
              "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"}
    if imds:
        cs["imdsv2_session_token_url"] = base + "/latest/api/token"
    c = {"type": "external_account", "audience": d["audience"],
         "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
         "token_url": token_url or base + "/v1/token", "credential_source": cs}
    if imp:
        c["service_account_impersonation_url"] = (
            base + "/v1/projects/-/serviceAccounts/%s:generateAccessToken" % sa)
    return json.dumps(c)
for name, text in (("imp", cred(True, False)), ("imp_imds", cred(True, True)),
                   ("noimp", cred(False, False))):
    path = os.path.join(work, "cred_%s.json" % name)
    with open(path, "w") as fh:
        fh.write(text + "\n")
    os.chmod(path, 0o644)
k = d["aws_keys"]
vals = {"SA": sa, "K1": "AKIDEXPLICIT0001", "S1": k["AKIDEXPLICIT0001"]["secret"],
        "K2": "AKIDEXPLICIT0002", "S2": k["AKIDEXPLICIT0002"]["secret"],
        "KENV": "ASIAENV000000001", "SENV": k["ASIAENV000000001"]["secret"],
        "TENV": k["ASIAENV000000001"]["session_token"],
        "ECS_REL": d["ecs"]["relative_uri"], "ECS_AUTH": d["ecs"]["authorization"]}
for n, v in vals.items():
    print("%s=%s" % (n, shlex.quote(v)))
# every secret the test knows, for the final leak check
with open(os.path.join(work, "secrets"), "w") as fh:
    for key in k.values():
        fh.write(key["secret"] + "\n")
        if key.get("session_token"):
            fh.write(key["session_token"] + "\n")
    fh.write(d["ecs"]["authorization"] + "\n")
PY
}

# sql FILE: run stdin as superuser, stop at the first error, output to FILE
sql() {
	tap_psql postgres -v ON_ERROR_STOP=1 -v VERBOSITY=verbose >"$1" 2>&1
}

# make_server NAME MAPPING-OPTIONS [ROLE]: server NAME at the proxy, a user
# mapping for ROLE (default postgres) and foreign table NAME_t on Singers
make_server() {
	local name=$1 opts=$2 role=${3:-postgres}
	sql "$WORK/out/setup_$name.txt" <<EOF
CREATE SERVER $name FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PROXY', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR $role SERVER $name OPTIONS ($opts);
CREATE FOREIGN TABLE ${name}_t (id bigint OPTIONS (column_name 'SingerId'))
  SERVER $name OPTIONS (table_name 'Singers');
EOF
}

# counters: "STS IAM TOKENS REJECTED" now: the stand-ins' STS and IAM calls,
# the distinct bearer tokens the proxy has seen since it started, the
# requests it refused since the last reset_all
counters() {
	st '"%d %d %d %d" % (c.get("sts", 0), c.get("iam", 0), len(p["tokens"]), p["rejected"])'
}
# delta BEFORE AFTER: AFTER - BEFORE, field by field
delta() {
	local -a a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) $((b[3] - a[3]))"
}
# backend ROLE TABLE TAG: one new psql (so one new backend) running
# SELECT count(*) FROM TABLE, then pg_backend_pid(); output in out/TAG.txt;
# prints "COUNT PID" (or what went wrong, on one line)
backend() {
	tap_psql "$1" -v VERBOSITY=verbose >"$WORK/out/$3.txt" 2>&1 <<EOF
SELECT count(*) FROM $2;
SELECT pg_backend_pid();
EOF
	tr '\n' ' ' <"$WORK/out/$3.txt" | sed 's/ $//'
}
# burst_backend ROLE TABLE TAG AT [SQL]: like backend, but the new backend
# first sleeps until the Unix time AT (a barrier, so that backends started
# together run their query at the same moment), then runs SQL (if given,
# e.g. a SET); out/TAG.txt then holds the count (or the error),
# "sqlstate=S" and "SECONDS|PID", SECONDS being how long the query took
burst_backend() {
	tap_psql "$1" -v VERBOSITY=verbose >"$WORK/out/$3.txt" 2>&1 <<EOF
DO \$\$BEGIN PERFORM pg_sleep_until(to_timestamp($4)); END\$\$;
${5:-}
SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset
SELECT count(*) FROM $2;
\\echo sqlstate=:LAST_ERROR_SQLSTATE
SELECT round(extract(epoch FROM clock_timestamp()) - :t0, 2), pg_backend_pid();
EOF
}
# burst N ROLE TABLE TAG [AT]: N new backends (out/TAG_1.txt ...
# TAG_N.txt), started together, meet at a barrier 3 s later (or at the Unix
# time AT) and each run SELECT count(*) FROM TABLE; sets BURST_WALL to the
# seconds from the barrier until the last one finished
burst() {
	local n=$1 i at=${5:-} bpids=()
	[ -n "$at" ] || at=$(python3 -c 'import time; print("%.3f" % (time.time() + 3))')
	for i in $(seq 1 "$n"); do
		burst_backend "$2" "$3" "$4_$i" "$at" &
		bpids+=($!)
	done
	wait "${bpids[@]}"
	BURST_WALL=$(python3 -c "import time; print('%.1f' % (time.time() - $at))")
}
# burst_field TAG N FIELD: of out/TAG_1.txt ... TAG_N.txt, FIELD (count:
# the first line; sqlstate; secs; pid) of each, space-separated
burst_field() {
	local i f out=''
	for i in $(seq 1 "$2"); do
		f=$WORK/out/$1_$i.txt
		case $3 in
		count) out="$out$(head -n1 "$f") " ;;
		sqlstate) out="$out$(sed -n 's/^sqlstate=//p' "$f") " ;;
		secs) out="$out$(tail -n1 "$f" | cut -d'|' -f1) " ;;
		pid) out="$out$(tail -n1 "$f" | cut -d'|' -f2) " ;;
		esac
	done
	echo "${out% }"
}
# counts_pids "COUNT PID"...: "COUNT COUNT ... / N distinct backends"
counts_pids() {
	local cp counts='' pids=''
	for cp in "$@"; do
		counts="$counts${cp%% *} "
		pids="$pids${cp##* }"$'\n'
	done
	echo "${counts}/ $(printf '%s' "$pids" | sort -u | grep -c .) distinct backends"
}

# out_val FILE KEY: the value of the line "KEY=VALUE" of FILE
out_val() { sed -n "s/^$2=//p" "$1" | head -n1; }

# ================================================================== setup

tap_workdir auth_sql

# --- emulator and the sample database
if [ "$STANDALONE" = 1 ]; then
	gw_before=$(sf_read "$SF_RUN/emulator.gateway.pid")
	sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
	SF_QUIET=1 sf_start_emulator >&2 || bail "could not start the emulator"
	gw_after=$(sf_read "$SF_RUN/emulator.gateway.pid")
	[ "$gw_before" != "$gw_after" ] && EMU_STARTED=1
	echo "# emulator at $SPANNER_EMULATOR_REST ($([ $EMU_STARTED = 1 ] && echo started || echo reused), namespace $SF_NS)"
	if [ "$EMU_STARTED" = 1 ] || ! sf_database_exists "$PROJECT" "$INSTANCE" "$DATABASE"; then
		tap_setup_sample_db "$DATABASE" "$PROJECT" "$INSTANCE" || bail "could not load the sample database"
	fi
fi
sf_rest_ok "${SPANNER_EMULATOR_REST##*:}" || bail "the emulator at $SPANNER_EMULATOR_REST does not answer"
# What the foreign table must return, asked of the emulator directly (the
# sample has 50 singers, 40 of them with SingerId > 10)
read -r NROWS NROWS10 < <(sf_exec_sql "$DATABASE" \
	"SELECT COUNT(*), COUNTIF(SingerId > 10) FROM Singers" "$PROJECT" "$INSTANCE" 2>"$WORK/count.err" |
	python3 -c 'import json, sys
r = json.JSONDecoder().raw_decode(sys.stdin.read().strip())[0]["rows"][0]
print(r[0], r[1])')
[ -n "${NROWS10:-}" ] || { diag <"$WORK/count.err"; bail "could not count Singers in $DATABASE"; }
[ "$NROWS" = 50 ] || echo "# note: Singers has $NROWS rows, not the sample's 50"

# --- the extension
if [ "${SF_AUTH_SQL_BUILD:-0}" = 1 ]; then
	tap_need_extension build
elif [ "$STANDALONE" = 1 ]; then
	tap_need_extension missing
else
	tap_need_extension check
fi

# --- stand-ins and proxy (port 0, ports read from files)
python3 test/standins/auth_standins.py --config "$CONF" --port-file "$WORK/standins.port" \
	>/dev/null 2>"$WORK/standins.err" &
STANDIN_PID=$!
for _ in $(seq 1 100); do
	[ -s "$WORK/standins.port" ] && break
	kill -0 "$STANDIN_PID" 2>/dev/null || break
	sleep 0.1
done
[ -s "$WORK/standins.port" ] || { diag <"$WORK/standins.err"; bail "the stand-ins did not start"; }
STANDINS=http://127.0.0.1:$(cat "$WORK/standins.port")

python3 test/standins/auth_proxy.py --upstream "$SPANNER_EMULATOR_REST" --tokeninfo "$STANDINS" \
	--port-file "$WORK/proxy.port" >/dev/null 2>"$WORK/proxy.err" &
PROXY_PID=$!
for _ in $(seq 1 100); do
	[ -s "$WORK/proxy.port" ] && break
	kill -0 "$PROXY_PID" 2>/dev/null || break
	sleep 0.1
done
[ -s "$WORK/proxy.port" ] || { diag <"$WORK/proxy.err"; bail "the proxy did not start"; }
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port")
echo "# stand-ins $STANDINS (pid $STANDIN_PID), proxy $PROXY (pid $PROXY_PID) -> $SPANNER_EMULATOR_REST"
echo "# database projects/$PROJECT/instances/$INSTANCE/databases/$DATABASE"

# --- PostgreSQL
tap_pg_init "log_connections = on"

# Environment 1: AWS_REGION only (explicit keys come from user mappings)
tap_pg_start AWS_REGION=us-east-2 || bail "PostgreSQL did not start"
echo "# PostgreSQL on $TAP_PG_SOCK port $TAP_PG_PORT (log $WORK/pg/server.log)"
sql "$WORK/out/ext.txt" <<<"CREATE EXTENSION spanner_fdw; SET TimeZone = 'UTC';" ||
	{ diag <"$WORK/out/ext.txt"; bail "CREATE EXTENSION spanner_fdw failed"; }

eval "$(setup_values)" && [ -n "${S1:-}" ] && [ -n "${S2:-}" ] || bail "reading $CONF failed"
WRONG_SECRET='wrong/Secret+9999qqqqqqqqqqqqqqqqqqqqqqqq'
echo "$WRONG_SECRET" >>"$WORK/secrets"
CRED_IMP=$(<"$WORK/cred_imp.json")
CRED_IMP_IMDS=$(<"$WORK/cred_imp_imds.json")
CRED_NOIMP=$(<"$WORK/cred_noimp.json")
CRED_NOIMP_FILE=$WORK/cred_noimp.json
BASE_OPTS="auth 'external_account', allow_custom_urls 'true'"

# ================================================================== cases

# ---- 1. explicit keys in the user mapping + impersonation; token reuse
reset_all
make_server c1 "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_c1.txt"; bail "creating server c1 failed"; }
sql "$WORK/out/c1.txt" <<'EOF'
SELECT count(*) FROM c1_t;
BEGIN;
SELECT count(*) FROM c1_t WHERE id > 10;
COMMIT;
SELECT count(*) FROM c1_t;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM c1_t WHERE id = 7;
SELECT server_name, user_name, valid FROM spanner_fdw_get_connections();
EOF
c1_rc=$?
t_is "explicit keys + impersonation: SELECT count(*) returns $NROWS (three transactions)" \
	"$(head -n3 "$WORK/out/c1.txt" | tr '\n' ' ')" "$NROWS $NROWS10 $NROWS "
[ $c1_rc = 0 ] || diag <"$WORK/out/c1.txt"
t_is "explicit keys + impersonation: one STS and one IAM call for three transactions (token reused)" \
	"$(st 'c.get("sts", 0), c.get("iam", 0), c.get("sts_rejected", 0), c.get("iam_rejected", 0)')" "(1, 1, 0, 0)"
t_is "explicit keys + impersonation: the STS stand-in verified the SigV4 of $K1" \
	"$(st 'l.get("sts_subject")')" "$K1"
t_is "explicit keys + impersonation: Spanner saw only the impersonated token, no refusal" \
	"$(st 'sorted(p["accepted_kinds"]), p["rejected"], p["forwarded"] >= 4')" "(['iam'], 0, True)"
# ---- 2. EXPLAIN VERBOSE shows no secret
c1_leak=0
while IFS= read -r tok; do
	[ -n "$tok" ] && grep -qF -- "$tok" "$WORK/out/c1.txt" && c1_leak=1
done <"$WORK/tokens_seen"
grep -qiF -e "$S1" -e Bearer -e "$K1" "$WORK/out/c1.txt" && c1_leak=1
if [ $c1_leak = 0 ] && grep -q 'Remote SQL\|Spanner' "$WORK/out/c1.txt"; then
	pass "EXPLAIN VERBOSE and spanner_fdw_get_connections() show no token, key or secret"
else
	fail "EXPLAIN VERBOSE and spanner_fdw_get_connections() show no token, key or secret"
	diag <"$WORK/out/c1.txt"
fi

# ---- 3. no impersonation: the STS token is the Spanner token (credential
#         configuration from a file; explicit keys with a session token)
reset_all
make_server c3 "$BASE_OPTS, credentials_file '$CRED_NOIMP_FILE', aws_access_key_id '$KENV', aws_secret_access_key '$SENV', aws_session_token '$TENV'" ||
	{ diag <"$WORK/out/setup_c3.txt"; bail "creating server c3 failed"; }
sql "$WORK/out/c3.txt" <<<"SELECT count(*) FROM c3_t;"
t_is "no impersonation (credentials_file, keys + session token): SELECT count(*) returns $NROWS" \
	"$(cat "$WORK/out/c3.txt")" "$NROWS"
t_is "no impersonation: one STS call, no IAM call, Spanner saw the STS token" \
	"$(st 'c.get("sts", 0), c.get("iam", 0), sorted(p["accepted_kinds"]), p["rejected"]')" \
	"(1, 0, ['sts'], 0)"

# ---- 4. wrong AWS secret: STS refuses, the error names STS, shows no secret
reset_all
make_server c4 "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$WRONG_SECRET'" ||
	{ diag <"$WORK/out/setup_c4.txt"; bail "creating server c4 failed"; }
sql "$WORK/out/c4.txt" <<<"SELECT count(*) FROM c4_t;"
t_file_has "wrong AWS secret: query fails with SQLSTATE 28000 and an error naming Google STS and the signature" \
	"$WORK/out/c4.txt" "ERROR:  28000: could not obtain a Google access token for server \"c4\"" \
	"Google STS token exchange failed (HTTP 400 invalid_grant)" "SignatureDoesNotMatch"
if grep -qF -e "$WRONG_SECRET" -e "$S1" "$WORK/out/c4.txt"; then
	fail "wrong AWS secret: the error shows no secret"
	diag <"$WORK/out/c4.txt"
else
	pass "wrong AWS secret: the error shows no secret"
fi
t_is "wrong AWS secret: one STS call (refused), nothing reached Spanner" \
	"$(st 'c.get("sts", 0), c.get("sts_rejected", 0), c.get("iam", 0), p["requests"]')" \
	"(1, 1, 0, 0)"

# ---- 4b. aws_region: the region of the mapping's own keys, ahead of the
#          postmaster's AWS_REGION (us-east-2 here)
reset_all
make_server c4b "$BASE_OPTS, credentials_json '$CRED_NOIMP', aws_access_key_id '$K2', aws_secret_access_key '$S2', aws_region 'eu-west-3'" ||
	{ diag <"$WORK/out/setup_c4b.txt"; bail "creating server c4b failed"; }
sql "$WORK/out/c4b.txt" <<<"SELECT count(*) FROM c4b_t;"
t_is "aws_region: SELECT count(*) returns $NROWS" "$(cat "$WORK/out/c4b.txt")" "$NROWS"
t_is "aws_region: STS verified a GetCallerIdentity of $K2 signed for eu-west-3 (not the environment's us-east-2)" \
	"$(st 'c.get("sts", 0), l.get("sts_subject"), l.get("sts_region")')" "(1, '$K2', 'eu-west-3')"
sql "$WORK/out/c4b_drop.txt" <<'EOF'
ALTER USER MAPPING FOR postgres SERVER c4b OPTIONS (DROP aws_region);
SELECT count(*) FROM c4b_t;
EOF
t_is "aws_region dropped: the token is exchanged again, signed for the environment's us-east-2" \
	"$(tail -n1 "$WORK/out/c4b_drop.txt") $(st 'c.get("sts", 0), l.get("sts_region")')" "$NROWS (2, 'us-east-2')"
tap_psql postgres -v VERBOSITY=verbose >"$WORK/out/c4b_bad.txt" 2>&1 <<EOF
ALTER USER MAPPING FOR postgres SERVER c4b OPTIONS (ADD aws_region 'us-east-1a');
ALTER USER MAPPING FOR postgres SERVER c4b OPTIONS (ADD aws_region 'EU-WEST-3');
CREATE SERVER c4b2 FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PROXY', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
CREATE USER MAPPING FOR postgres SERVER c4b2 OPTIONS ($BASE_OPTS, credentials_json '$CRED_NOIMP', aws_region 'eu-west-3');
EOF
t_file_has "aws_region: a zone, capitals, and a region without the mapping's keys are refused (HV024, HV00J)" \
	"$WORK/out/c4b_bad.txt" \
	"ERROR:  HV024: invalid value for option \"aws_region\": \"us-east-1a\"" \
	"ERROR:  HV024: invalid value for option \"aws_region\": \"EU-WEST-3\"" \
	"HINT:  Give an AWS region name, such as \"us-east-1\" or \"eu-central-2\"." \
	"ERROR:  HV00J: option \"aws_region\" needs \"aws_access_key_id\" and \"aws_secret_access_key\" in the same user mapping"

# ---- 5. short-lived tokens (4 s): refreshed ahead of expiry, still reused
reset_all '{"sts_expires_in": 4}'
make_server c5 "$BASE_OPTS, credentials_json '$CRED_NOIMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_c5.txt"; bail "creating server c5 failed"; }
{
	for _ in $(seq 1 14); do
		echo "SELECT count(*) FROM c5_t;"
		echo "SELECT pg_sleep(0.5);"
	done
} | sql "$WORK/out/c5.txt"
c5_ok=$(grep -cx "$NROWS" "$WORK/out/c5.txt")
t_is "4-second tokens: 14 queries over 7 s in one session all return $NROWS" "$c5_ok" 14
[ "$c5_ok" = 14 ] || diag <"$WORK/out/c5.txt"
read -r c5_sts c5_rejected < <(st '"%d %d" % (c.get("sts", 0), p["rejected"])')
if [ "${c5_sts:-0}" -gt 1 ] && [ "${c5_sts:-0}" -lt 14 ]; then
	pass "4-second tokens: refreshed ($c5_sts STS calls: more than 1, fewer than 14 queries)"
else
	fail "4-second tokens: refreshed ($c5_sts STS calls: more than 1, fewer than 14 queries)"
fi
t_is "4-second tokens: refreshed ahead of expiry (Spanner never refused one)" "$c5_rejected" 0

# ---- 5b. the credential file rewritten to name another identity: at its
#          next token, a backend connects afresh (its sessions were made for
#          the old identity), once, and goes on in the same psql session
reset_all '{"sts_expires_in": 4}'
CRED_SWITCH_FILE=$WORK/cred_switch.json
cp "$WORK/cred_noimp.json" "$CRED_SWITCH_FILE" && chmod 644 "$CRED_SWITCH_FILE" || bail "cannot write $CRED_SWITCH_FILE"
make_server c5b "$BASE_OPTS, credentials_file '$CRED_SWITCH_FILE', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_c5b.txt"; bail "creating server c5b failed"; }
tap_psql_open
tap_q c5b_1 "SET client_min_messages = debug1; SELECT count(*) FROM c5b_t;"
c5b_1=$Q_OUT
c5b_iam1=$(st 'c.get("iam", 0)')
# the same file, now with service account impersonation: another identity
cp "$WORK/cred_imp.json" "$CRED_SWITCH_FILE"
sleep 3
tap_q c5b_2 "SELECT count(*) FROM c5b_t;"
c5b_2=$Q_OUT
tap_q c5b_3 "SELECT count(*) FROM c5b_t;"
c5b_3=$Q_OUT
tap_psql_close
c5b_iam2=$(st 'c.get("iam", 0), p["rejected"]')
t_is "credential file switched: the first query (no impersonation) returns $NROWS without an IAM call" \
	"$(grep -cx "$NROWS" <<<"$c5b_1") $c5b_iam1" "1 0"
t_is "credential file switched: past the token's refresh point the backend connects afresh, once, and returns $NROWS" \
	"$(grep -cx "$NROWS" <<<"$c5b_2") $(grep -c "now name another identity; connecting afresh" <<<"$c5b_2")" "1 1"
t_is "credential file switched: the next query keeps that connection and returns $NROWS" \
	"$(grep -cx "$NROWS" <<<"$c5b_3") $(grep -c "connecting afresh" <<<"$c5b_3")" "1 0"
t_is "credential file switched: the new identity's token came by impersonation (one IAM call), none refused" \
	"$c5b_iam2" "(1, 0)"
[ "$(grep -c "connecting afresh" <<<"$c5b_2")" = 1 ] || diag <<<"$c5b_1
$c5b_2"

# ---- 6. a non-Google token_url without allow_custom_urls is refused
reset_all
make_server c6 "auth 'external_account', credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_c6.txt"; bail "creating server c6 failed"; }
sql "$WORK/out/c6.txt" <<<"SELECT count(*) FROM c6_t;"
t_file_has "token_url outside googleapis.com without allow_custom_urls: refused, with google-auth's wording and the way out" \
	"$WORK/out/c6.txt" "ERROR:  HV024: could not obtain a Google access token for server \"c6\": The provided token URL is invalid." \
	"is not an https URL of a Google STS endpoint" "allow_custom_urls 'true'"
t_is "token_url refused: no STS call, nothing reached Spanner" \
	"$(st 'c.get("sts", 0), p["requests"]')" "(0, 0)"

# ---- 7. the proxy refuses a bad token: SQLSTATE 28000
reset_all
make_server c7 "access_token 'bogus'" ||
	{ diag <"$WORK/out/setup_c7.txt"; bail "creating server c7 failed"; }
tap_psql postgres -v VERBOSITY=verbose >"$WORK/out/c7.txt" 2>&1 <<'EOF'
SELECT count(*) FROM c7_t;
\echo sqlstate=:LAST_ERROR_SQLSTATE
EOF
t_file_has "access_token 'bogus': Spanner (the proxy) answers 401, the query fails with SQLSTATE 28000 UNAUTHENTICATED" \
	"$WORK/out/c7.txt" "sqlstate=28000" "ERROR:  28000: Spanner request failed: UNAUTHENTICATED" \
	"Request had invalid authentication credentials."
t_is "access_token 'bogus': the proxy refused it and forwarded nothing" \
	"$(st 'p["rejected"] >= 1, p["forwarded"], p["reject_reasons"].get("unknown token", 0) >= 1')" "(True, 0, True)"

# ---- 8. a token revoked behind the FDW's back: one 401, one refresh, success
reset_all
sql "$WORK/out/c8.txt" <<EOF
SELECT count(*) FROM c3_t;
\\! python3 -c 'import urllib.request; urllib.request.urlopen(urllib.request.Request("$STANDINS/__reset", data=b"{}"), timeout=10).read()'
SELECT count(*) FROM c3_t;
EOF
t_is "token revoked between two queries of one session: both return $NROWS" \
	"$(tr '\n' ' ' <"$WORK/out/c8.txt")" "$NROWS $NROWS "
t_is "token revoked: Spanner refused it once, the FDW got a new one (1 STS call after the revocation)" \
	"$(st 'p["rejected"], c.get("sts", 0)')" "(1, 1)"

# the same when the refused call is the session creation of a new connection
# (the token cache outlives the connection)
reset_all
sql "$WORK/out/c8b.txt" <<EOF
SELECT count(*) FROM c3_t;
SELECT spanner_fdw_disconnect_all();
\\! python3 -c 'import urllib.request; urllib.request.urlopen(urllib.request.Request("$STANDINS/__reset", data=b"{}"), timeout=10).read()'
SELECT count(*) FROM c3_t;
EOF
t_is "token revoked, then a new connection: the session creation is refused once, refreshed, query returns $NROWS" \
	"$(tr '\n' ' ' <"$WORK/out/c8b.txt"); $(st 'p["rejected"], c.get("sts", 0)')" "$NROWS t $NROWS ; (1, 1)"

# ---- 9. statement_timeout interrupts a slow token exchange at once: STS
#         answers only after 20 s; a new backend (its token cache is empty,
#         and there is no shared cache here) with statement_timeout 300ms
#         fails with 57014 long before, the FDW hangs up on STS, and the same
#         backend then runs the query once the delay is gone
reset_all '{"sts_delay": 20}'
make_server ct "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_ct.txt"; bail "creating server ct failed"; }
# run from psql (\!) by the backend's session: STS answers at once again
cat >"$WORK/sts_nodelay.py" <<EOF
import urllib.request
urllib.request.urlopen(urllib.request.Request(
    "$STANDINS/__config", data=b'{"sts_delay": 0}',
    headers={"Content-Type": "application/json"}), timeout=10).read()
EOF
chmod 644 "$WORK/sts_nodelay.py"
tap_psql postgres -v VERBOSITY=verbose >"$WORK/out/ca.txt" 2>&1 <<EOF
SELECT 'pid=' || pg_backend_pid();
SET statement_timeout = '300ms';
\\! echo t0=\$(date +%s.%N)
SELECT count(*) FROM ct_t;
\\! echo t1=\$(date +%s.%N)
\\echo sqlstate=:SQLSTATE
\\! python3 $WORK/sts_nodelay.py
RESET statement_timeout;
SELECT 'count=' || count(*) FROM ct_t;
\\echo sqlstate2=:SQLSTATE
SELECT 'pid2=' || pg_backend_pid();
EOF
ca_secs=$(awk -v a="$(out_val "$WORK/out/ca.txt" t0)" -v b="$(out_val "$WORK/out/ca.txt" t1)" \
	'BEGIN { if (a == "" || b == "") print "?"; else printf "%.3f", b - a }')
echo "# statement_timeout 300ms against a 20 s STS delay: the query failed after $ca_secs s"
t_is "statement_timeout during a slow token exchange: the query fails with SQLSTATE 57014 (statement timeout)" \
	"$(out_val "$WORK/out/ca.txt" sqlstate) $(grep -c 'ERROR:  57014: canceling statement due to statement timeout' "$WORK/out/ca.txt")" \
	"57014 1"
t_is "statement_timeout during a slow token exchange: returned in under 3 s of the 20 s delay (took $ca_secs s)" \
	"$(awk -v s="$ca_secs" 'BEGIN { print (s != "?" && s + 0 < 3) ? "yes" : "no" }')" yes
t_is "statement_timeout during a slow token exchange: the same backend then returns $NROWS (no delay)" \
	"$(out_val "$WORK/out/ca.txt" count) $(out_val "$WORK/out/ca.txt" sqlstate2) $(out_val "$WORK/out/ca.txt" pid2)" \
	"$NROWS 00000 $(out_val "$WORK/out/ca.txt" pid)"
[ "$(out_val "$WORK/out/ca.txt" count)" = "$NROWS" ] || diag <"$WORK/out/ca.txt"
t_is "statement_timeout during a slow token exchange: the FDW hung up on STS (1 abandoned), then 1 more STS and 1 IAM call; no refusal at Spanner" \
	"$(st 'c.get("sts", 0), c.get("sts_abandoned", 0), c.get("iam", 0), p["rejected"]')" "(2, 1, 1, 0)"

# ---- 10. the same with pg_cancel_backend() from another session, once the
#          new backend's STS request is in flight
reset_all '{"sts_delay": 20}'
tap_psql postgres -v VERBOSITY=verbose >"$WORK/out/cb.txt" 2>&1 <<EOF &
SET application_name = 'sf_cancel_cb';
SELECT 'pid=' || pg_backend_pid();
SELECT count(*) FROM ct_t;
\\! echo t1=\$(date +%s.%N)
\\echo sqlstate=:SQLSTATE
\\! python3 $WORK/sts_nodelay.py
SELECT 'count=' || count(*) FROM ct_t;
\\echo sqlstate2=:SQLSTATE
SELECT 'pid2=' || pg_backend_pid();
EOF
cb_bg=$!
for _ in $(seq 1 50); do
	[ "$(st 'c.get("sts", 0)')" = 1 ] && break
	sleep 0.1
done
cb_tc=$(date +%s.%N)
cb_cancel=$(tap_psql postgres -c "SELECT coalesce(wait_event_type, '-') || '/' || coalesce(wait_event, '-'), pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'sf_cancel_cb'" 2>&1)
wait "$cb_bg"
cb_secs=$(awk -v a="$cb_tc" -v b="$(out_val "$WORK/out/cb.txt" t1)" \
	'BEGIN { if (b == "") print "?"; else printf "%.3f", b - a }')
echo "# pg_cancel_backend() against a 20 s STS delay (backend waiting on ${cb_cancel%%|*}): the query failed $cb_secs s after the cancel was sent"
t_is "pg_cancel_backend() during a slow token exchange: the cancel is sent, the query fails with SQLSTATE 57014 (user request)" \
	"${cb_cancel##*|} $(out_val "$WORK/out/cb.txt" sqlstate) $(grep -c 'ERROR:  57014: canceling statement due to user request' "$WORK/out/cb.txt")" \
	"t 57014 1"
t_is "pg_cancel_backend() during a slow token exchange: returned in under 3 s of the cancel (took $cb_secs s)" \
	"$(awk -v s="$cb_secs" 'BEGIN { print (s != "?" && s + 0 < 3) ? "yes" : "no" }')" yes
t_is "pg_cancel_backend() during a slow token exchange: the same backend then returns $NROWS (no delay)" \
	"$(out_val "$WORK/out/cb.txt" count) $(out_val "$WORK/out/cb.txt" sqlstate2) $(out_val "$WORK/out/cb.txt" pid2)" \
	"$NROWS 00000 $(out_val "$WORK/out/cb.txt" pid)"
[ "$(out_val "$WORK/out/cb.txt" count)" = "$NROWS" ] || diag <"$WORK/out/cb.txt"
t_is "pg_cancel_backend() during a slow token exchange: the FDW hung up on STS (1 abandoned), then 1 more STS and 1 IAM call; no refusal at Spanner" \
	"$(st 'c.get("sts", 0), c.get("sts_abandoned", 0), c.get("iam", 0), p["rejected"]')" "(2, 1, 1, 0)"

# ---- Environment 2: AWS_* credentials in the postmaster's environment
tap_pg_start AWS_REGION=us-east-2 AWS_ACCESS_KEY_ID=$KENV AWS_SECRET_ACCESS_KEY="$SENV" \
	AWS_SESSION_TOKEN="$TENV" || bail "PostgreSQL did not restart (environment credentials)"

# ---- 11. a non-superuser's mapping without keys and without
#          allow_ambient_credentials is refused, though the host has credentials
reset_all
sql "$WORK/out/c9_roles.txt" <<'EOF' || { diag <"$WORK/out/c9_roles.txt"; bail "creating role alice failed"; }
CREATE ROLE alice LOGIN;
EOF
make_server c9 "$BASE_OPTS, credentials_json '$CRED_IMP'" alice ||
	{ diag <"$WORK/out/setup_c9.txt"; bail "creating server c9 failed"; }
sql "$WORK/out/c9_grant.txt" <<'EOF' || { diag <"$WORK/out/c9_grant.txt"; bail "grants failed"; }
GRANT USAGE ON FOREIGN SERVER c9 TO alice;
GRANT SELECT ON c9_t TO alice;
EOF
sql "$WORK/out/c9_b.txt" <<EOF || { diag <"$WORK/out/c9_b.txt"; bail "creating server c9b failed"; }
CREATE SERVER c9b FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (endpoint '$PROXY', project '$PROJECT', instance '$INSTANCE', database '$DATABASE');
GRANT USAGE ON FOREIGN SERVER c9b TO alice;
EOF
tap_psql alice -v VERBOSITY=verbose >"$WORK/out/c9.txt" 2>&1 <<'EOF'
SELECT count(*) FROM c9_t;
\echo sqlstate=:LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR alice SERVER c9b OPTIONS (auth 'external_account', allow_ambient_credentials 'true');
\echo sqlstate=:LAST_ERROR_SQLSTATE
EOF
t_file_has "non-superuser mapping without keys: refused (28000), the hint names allow_ambient_credentials" \
	"$WORK/out/c9.txt" "sqlstate=28000" \
	"no AWS credentials in the user mapping, and ambient credentials are not allowed" \
	"allow_ambient_credentials 'true'"
t_file_has "non-superuser cannot give herself allow_ambient_credentials (42501)" \
	"$WORK/out/c9.txt" "ERROR:  42501: permission denied to set option \"allow_ambient_credentials\"" \
	"sqlstate=42501"
t_is "non-superuser mapping refused: the environment's credentials were not used (no STS call)" \
	"$(st 'c.get("sts", 0), p["requests"]')" "(0, 0)"

# ---- 12. ambient credentials from the postmaster's environment
reset_all
make_server c10 "$BASE_OPTS, allow_ambient_credentials 'true', credentials_json '$CRED_IMP_IMDS'" ||
	{ diag <"$WORK/out/setup_c10.txt"; bail "creating server c10 failed"; }
sql "$WORK/out/c10.txt" <<<"SELECT count(*) FROM c10_t;"
t_is "ambient environment credentials (allow_ambient_credentials): SELECT count(*) returns $NROWS" \
	"$(cat "$WORK/out/c10.txt")" "$NROWS"
t_is "ambient environment credentials: STS verified $KENV with its session token; no metadata call" \
	"$(st 'l.get("sts_subject"), c.get("sts", 0), c.get("iam", 0), c.get("imds_put", 0)')" \
	"('$KENV', 1, 1, 0)"

# ---- Environment 3: nothing at all; EC2 instance metadata (IMDSv2)
tap_pg_start || bail "PostgreSQL did not restart (no AWS environment)"

# ---- 13. IMDSv2: region, role and credentials from the metadata stand-in
reset_all
make_server c11 "$BASE_OPTS, allow_ambient_credentials 'true', credentials_json '$CRED_IMP_IMDS'" ||
	{ diag <"$WORK/out/setup_c11.txt"; bail "creating server c11 failed"; }
sql "$WORK/out/c11.txt" <<<"SELECT count(*) FROM c11_t;"
t_is "IMDSv2 (no AWS_* variables): SELECT count(*) returns $NROWS" "$(cat "$WORK/out/c11.txt")" "$NROWS"
t_is "IMDSv2: session-token PUT, then region, role and credentials with the token; STS verified the instance role" \
	"$(st 'c.get("imds_put", 0) >= 1, c.get("imds_region", 0), c.get("imds_role", 0), c.get("imds_credentials", 0), c.get("imds_unauthorized", 0), l.get("sts_subject")')" \
	"(True, 1, 1, 1, 0, 'ASIAIMDS00000001')"

# ---- Environment 4: ECS container credentials
tap_pg_start AWS_REGION=us-east-2 AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="$ECS_REL" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN="$ECS_AUTH" SPANNER_FDW_ECS_BASE_URL="$STANDINS" ||
	bail "PostgreSQL did not restart (ECS environment)"

# ---- 14. ECS/EKS container credentials
reset_all
make_server c12 "$BASE_OPTS, allow_ambient_credentials 'true', credentials_json '$CRED_IMP'" ||
	{ diag <"$WORK/out/setup_c12.txt"; bail "creating server c12 failed"; }
sql "$WORK/out/c12.txt" <<<"SELECT count(*) FROM c12_t;"
t_is "ECS container credentials (SPANNER_FDW_ECS_BASE_URL + allow_custom_urls): SELECT count(*) returns $NROWS" \
	"$(cat "$WORK/out/c12.txt")" "$NROWS"
t_is "ECS: one authorized container-credentials call; STS verified the task role" \
	"$(st 'c.get("ecs", 0), c.get("ecs_rejected", 0), l.get("sts_subject")')" \
	"(1, 0, 'ASIAECS000000001')"

# ---- Environment 5: AWS_REGION only again; the shared token cache
#      (spanner_fdw in shared_preload_libraries) against per-backend caches
tap_pg_start AWS_REGION=us-east-2 || bail "PostgreSQL did not restart (AWS_REGION only)"
reset_all
make_server sc "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_sc.txt"; bail "creating server sc failed"; }
sql "$WORK/out/sc_bob.txt" <<EOF || { diag <"$WORK/out/sc_bob.txt"; bail "creating role bob failed"; }
CREATE ROLE bob LOGIN;
CREATE USER MAPPING FOR bob SERVER sc OPTIONS ($BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K2', aws_secret_access_key '$S2');
GRANT USAGE ON FOREIGN SERVER sc TO bob;
GRANT SELECT ON sc_t TO bob;
EOF
make_server scs "$BASE_OPTS, credentials_json '$CRED_NOIMP', aws_access_key_id '$K1', aws_secret_access_key '$S1'" ||
	{ diag <"$WORK/out/setup_scs.txt"; bail "creating server scs failed"; }

# ---- 15. without shared_preload_libraries every backend exchanges
sc13_shm=$(tap_psql postgres -c "SELECT current_setting('shared_preload_libraries') = '', count(*) FROM pg_shmem_allocations WHERE name = 'spanner_fdw tokens'" 2>&1)
sc13_0=$(counters)
sc13_a=$(backend postgres sc_t sc13_a)
sc13_b=$(backend postgres sc_t sc13_b)
sc13_1=$(counters)
t_is "no shared_preload_libraries: no shared token cache; two backends each return $NROWS" \
	"$sc13_shm; $(counts_pids "$sc13_a" "$sc13_b")" "t|0; $NROWS $NROWS / 2 distinct backends"
t_is "no shared_preload_libraries: each backend exchanges its own token (2 STS, 2 IAM calls, 2 tokens reached Spanner, none refused)" \
	"$(delta "$sc13_0" "$sc13_1")" "2 2 2 0"

# ---- Environment 5b: the same, spanner_fdw in shared_preload_libraries
tap_pg_start -o "-c shared_preload_libraries=spanner_fdw" AWS_REGION=us-east-2 ||
	bail "PostgreSQL did not restart (shared_preload_libraries = 'spanner_fdw')"

# ---- 16. shared_preload_libraries: one exchange for all backends
sc14_shm=$(tap_psql postgres -c "SELECT current_setting('shared_preload_libraries'), count(*) FROM pg_shmem_allocations WHERE name = 'spanner_fdw tokens'" 2>&1)
sc14_0=$(counters)
sc14_a=$(backend postgres sc_t sc14_a)
sc14_b=$(backend postgres sc_t sc14_b)
sc14_c=$(backend postgres sc_t sc14_c)
sc14_1=$(counters)
t_is "shared_preload_libraries: the shared token cache is allocated; three backends each return $NROWS" \
	"$sc14_shm; $(counts_pids "$sc14_a" "$sc14_b" "$sc14_c")" \
	"spanner_fdw|1; $NROWS $NROWS $NROWS / 3 distinct backends"
t_is "shared_preload_libraries: three backends, one STS and one IAM call, one token reached Spanner, none refused" \
	"$(delta "$sc14_0" "$sc14_1")" "1 1 1 0"

# ---- 17. another role with other AWS keys does not get the first role's token
sc15_0=$(counters)
sc15_a=$(backend bob sc_t sc15_a)
sc15_1=$(counters)
t_is "shared cache, role bob with other AWS keys: first query returns $NROWS" "${sc15_a%% *}" "$NROWS"
[ "${sc15_a%% *}" = "$NROWS" ] || diag <"$WORK/out/sc15_a.txt"
t_is "shared cache, role bob: postgres's token not reused (1 STS, 1 IAM call, 1 new token at Spanner), STS verified $K2, Spanner saw a token minted for $K2" \
	"$(delta "$sc15_0" "$sc15_1"); $(st 'l.get("sts_subject"), json.load(urllib.request.urlopen(sys.argv[1] + "/__tokeninfo?token=" + p["tokens"][-1], timeout=10)).get("via")')" \
	"1 1 1 0; ('$K2', '$K2')"
sc15_b=$(backend bob sc_t sc15_b)
sc15_c=$(backend postgres sc_t sc15_c)
sc15_2=$(counters)
t_is "shared cache: new backends of bob and of postgres each reuse their own role's shared token (no call, no new token)" \
	"$(counts_pids "$sc15_b" "$sc15_c"); $(delta "$sc15_1" "$sc15_2")" "$NROWS $NROWS / 2 distinct backends; 0 0 0 0"

# ---- 18. a shared token revoked behind the FDW's back: the next backend
#          is refused once and replaces the shared entry, so the one after
#          it makes no call and is not refused
reset_all
sc16_0=$(counters)
sc16_a=$(backend postgres sc_t sc16_a)
sc16_b=$(backend postgres sc_t sc16_b)
sc16_1=$(counters)
t_is "shared cache, token revoked: the next backend is refused once, refreshes (1 STS, 1 IAM call, 1 new token), the one after reuses the new token" \
	"$(counts_pids "$sc16_a" "$sc16_b"); $(delta "$sc16_0" "$sc16_1")" "$NROWS $NROWS / 2 distinct backends; 1 1 1 1"

# ---- 19. short-lived tokens (8 s: reused while younger than 4 s, the
#          margin being half the lifetime; at least 3 s as time_t has whole
#          seconds) in the shared cache: a backend after the margin refreshes
reset_all '{"sts_expires_in": 8}'
sc17_0=$(counters)
sc17_a=$(backend postgres scs_t sc17_a)
sc17_b=$(backend postgres scs_t sc17_b)
sc17_1=$(counters)
sleep 4
sc17_c=$(backend postgres scs_t sc17_c)
sc17_d=$(backend postgres scs_t sc17_d)
sc17_2=$(counters)
t_is "shared cache, 8-second tokens: four backends (4 s pause after the second) each return $NROWS" \
	"$(counts_pids "$sc17_a" "$sc17_b" "$sc17_c" "$sc17_d")" "$NROWS $NROWS $NROWS $NROWS / 4 distinct backends"
t_is "shared cache, 8-second tokens: the second backend reuses the first one's token (1 STS call, 1 token)" \
	"$(delta "$sc17_0" "$sc17_1")" "1 0 1 0"
t_is "shared cache, 8-second tokens: past the margin the third backend refreshes before expiry (1 STS call, 1 new token, none refused), the fourth reuses it" \
	"$(delta "$sc17_1" "$sc17_2")" "1 0 1 0"

# ---- 20. a burst of new backends with the same credentials and no cached
#          token: one of them exchanges (STS answers after 1 s), the others
#          wait for its shared token instead of each exchanging.  A session
#          token of its own makes the identity fresh (a new cache key)
reset_all '{"sts_delay": 1}'
SC18_TOKEN='burst-session-token/AQoDYXdzEPT+0018=='
echo "$SC18_TOKEN" >>"$WORK/secrets"
make_server sb "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1', aws_session_token '$SC18_TOKEN'" ||
	{ diag <"$WORK/out/setup_sb.txt"; bail "creating server sb failed"; }
sc18_0=$(counters)
burst 6 postgres sb_t sc18
sc18_1=$(counters)
sc18_counts=$(burst_field sc18 6 count)
sc18_secs=$(burst_field sc18 6 secs)
echo "# burst of 6 backends (STS delay 1 s): queries took $sc18_secs s; all done ${BURST_WALL} s after the barrier"
t_is "shared cache, burst of 6 new backends at the same moment: each returns $NROWS, 6 distinct backends" \
	"$sc18_counts / $(burst_field sc18 6 pid | tr ' ' '\n' | sort -u | grep -c .) distinct backends" \
	"$NROWS $NROWS $NROWS $NROWS $NROWS $NROWS / 6 distinct backends"
[ "$sc18_counts" = "$NROWS $NROWS $NROWS $NROWS $NROWS $NROWS" ] || cat "$WORK"/out/sc18_*.txt | diag
t_is "shared cache, burst of 6: one exchange for all (1 STS, 1 IAM call, 1 token reached Spanner, none refused)" \
	"$(delta "$sc18_0" "$sc18_1")" "1 1 1 0"
# each query lasted at least half the STS delay: all six were in flight
# while the one exchange was, so five of them waited for it
sc18_slow=$(for x in $sc18_secs; do echo "$x"; done | awk '$1 >= 0.5' | grep -c .)
t_is "shared cache, burst of 6: all six queries overlapped the exchange (each took >= 0.5 s of the 1 s STS delay)" \
	"$sc18_slow" 6

# ---- 21. a failed fetch releases its claim: two new backends at the same
#          moment with a wrong AWS secret (STS answers, refusing, after
#          1 s) both fail promptly; the second does not sit out the 10 s
#          wait for the first one's claim
reset_all '{"sts_delay": 1}'
make_server sf "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$WRONG_SECRET'" ||
	{ diag <"$WORK/out/setup_sf.txt"; bail "creating server sf failed"; }
burst 2 postgres sf_t sc19
sc19_secs=$(burst_field sc19 2 secs)
echo "# failed fetch, 2 backends (STS delay 1 s): queries took $sc19_secs s; both done ${BURST_WALL} s after the barrier"
t_is "shared cache, wrong AWS secret, 2 backends at the same moment: both fail with SQLSTATE 28000" \
	"$(burst_field sc19 2 sqlstate)" "28000 28000"
for i in 1 2; do
	t_file_has "shared cache, wrong AWS secret, backend $i: the error names Google STS and the signature" \
		"$WORK/out/sc19_$i.txt" "ERROR:  28000: could not obtain a Google access token for server \"sf\"" \
		"SignatureDoesNotMatch"
done
sc19_prompt=$(awk -v w="$BURST_WALL" 'BEGIN { print (w < 8) ? "yes" : "no" }')
t_is "shared cache, wrong AWS secret: both failed within 8 s (the claim was released, nobody waited 10 s for it)" \
	"$sc19_prompt" yes
t_is "shared cache, wrong AWS secret: 2 STS calls, both refused; no IAM call, nothing reached Spanner" \
	"$(st 'c.get("sts", 0), c.get("sts_rejected", 0), c.get("iam", 0), p["requests"]')" "(2, 2, 0, 0)"

# ---- 22. a burst of new backends at refresh time: with 8-second tokens
#          (margin 4 s) one backend gets a token; about 4.5 s later, past
#          its refresh point but before it expires, 6 new backends meet
#          (STS now answering after 1 s): the first claims the refresh, the
#          others wait for it instead of each exchanging.  No impersonation
#          (the STS token is the Spanner token: no IAM call); a session
#          token of its own makes the identity fresh
reset_all '{"sts_expires_in": 8}'
SC20_TOKEN='refresh-session-token/AQoDYXdzEPT+0020=='
echo "$SC20_TOKEN" >>"$WORK/secrets"
make_server sr "$BASE_OPTS, credentials_json '$CRED_NOIMP', aws_access_key_id '$K1', aws_secret_access_key '$S1', aws_session_token '$SC20_TOKEN'" ||
	{ diag <"$WORK/out/setup_sr.txt"; bail "creating server sr failed"; }
sc20_0=$(counters)
sc20_t0=$(date +%s.%N)
sc20_a=$(backend postgres sr_t sc20_a)
sc20_t1=$(date +%s.%N)
sc20_1=$(counters)
knobs '{"sts_delay": 1}'
# The token was obtained at a whole second R, floor(t0) <= R <= floor(t1):
# its refresh point R + 4 is at most floor(t1) + 4, its expiry R + 8 at
# least floor(t0) + 8.  The barrier: floor(t1) + 4.5 (2.5 s from now at
# the least, time enough for six connections)
sc20_at=$(awk -v t1="$sc20_t1" 'BEGIN { printf "%.3f", int(t1) + 4.5 }')
burst 6 postgres sr_t sc20 "$sc20_at"
sc20_2=$(counters)
sc20_secs=$(burst_field sc20 6 secs)
# "OK SINCE-REFRESH BEFORE-EXPIRY" (seconds, at the least)
read -r sc20_ok sc20_after sc20_before < <(awk -v t0="$sc20_t0" -v t1="$sc20_t1" -v at="$sc20_at" 'BEGIN {
	r = int(t1) + 4; x = int(t0) + 8
	printf "%s %.1f %.1f\n", (at >= r && at + 0.5 < x) ? "yes" : "no", at - r, x - at }')
echo "# refresh-time burst of 6 backends (8-second tokens, STS delay 1 s): the first backend took $(awk -v a="$sc20_t0" -v b="$sc20_t1" 'BEGIN { printf "%.2f", b - a }') s; the barrier was >= $sc20_after s past the refresh point, >= $sc20_before s before expiry; queries took $sc20_secs s; all done ${BURST_WALL} s after the barrier"
t_is "shared cache, 8-second tokens: the first backend returns $NROWS with one exchange (1 STS, no IAM call, 1 token, none refused)" \
	"${sc20_a%% *}; $(delta "$sc20_0" "$sc20_1")" "$NROWS; 1 0 1 0"
t_is "shared cache, refresh-time burst: the 6 backends met past the shared token's refresh point and at least 0.5 s before its expiry" \
	"$sc20_ok" yes
t_is "shared cache, refresh-time burst of 6 new backends: each returns $NROWS, 6 distinct backends" \
	"$(burst_field sc20 6 count) / $(burst_field sc20 6 pid | tr ' ' '\n' | sort -u | grep -c .) distinct backends" \
	"$NROWS $NROWS $NROWS $NROWS $NROWS $NROWS / 6 distinct backends"
[ "$(burst_field sc20 6 count)" = "$NROWS $NROWS $NROWS $NROWS $NROWS $NROWS" ] || cat "$WORK"/out/sc20_*.txt | diag
t_is "shared cache, refresh-time burst of 6: one refresh for all (1 STS, no IAM call, 1 new token reached Spanner, none refused)" \
	"$(delta "$sc20_1" "$sc20_2")" "1 0 1 0"
sc20_slow=$(for x in $sc20_secs; do echo "$x"; done | awk '$1 >= 0.5' | grep -c .)
t_is "shared cache, refresh-time burst of 6: all six queries overlapped the refresh (each took >= 0.5 s of the 1 s STS delay)" \
	"$sc20_slow" 6

# ---- 23. a cancelled waiter leaves the fetching backend's claim alone:
#          backend A starts fetching a fresh identity's token (STS answers
#          after 2 s); B starts 0.3 s later with statement_timeout 400ms,
#          waits for A and is cancelled while waiting; C starts 0.9 s after
#          A (after B's cancel) and still finds A's claim, so waits for it:
#          one exchange for A and C
reset_all '{"sts_delay": 2}'
SC21_TOKEN='waiter-session-token/AQoDYXdzEPT+0021=='
echo "$SC21_TOKEN" >>"$WORK/secrets"
make_server sw "$BASE_OPTS, credentials_json '$CRED_IMP', aws_access_key_id '$K1', aws_secret_access_key '$S1', aws_session_token '$SC21_TOKEN'" ||
	{ diag <"$WORK/out/setup_sw.txt"; bail "creating server sw failed"; }
sc21_0=$(counters)
sc21_at=$(python3 -c 'import time; print("%.3f" % (time.time() + 3))')
burst_backend postgres sw_t sc21_1 "$sc21_at" &
sc21_pa=$!
burst_backend postgres sw_t sc21_2 "$(awk -v a="$sc21_at" 'BEGIN { printf "%.3f", a + 0.3 }')" \
	"SET statement_timeout = '400ms';" &
sc21_pb=$!
burst_backend postgres sw_t sc21_3 "$(awk -v a="$sc21_at" 'BEGIN { printf "%.3f", a + 0.9 }')" &
sc21_pc=$!
wait "$sc21_pa" "$sc21_pb" "$sc21_pc"
sc21_wall=$(python3 -c "import time; print('%.1f' % (time.time() - $sc21_at))")
sc21_1=$(counters)
read -r sc21_sa sc21_sb sc21_sc <<<"$(burst_field sc21 3 secs)"
echo "# cancelled waiter (STS delay 2 s): A took ${sc21_sa:-?} s, B (from 0.3 s, timeout 400ms) ${sc21_sb:-?} s, C (from 0.9 s) ${sc21_sc:-?} s; all done $sc21_wall s after A started"
t_is "shared cache, cancelled waiter: A and C return $NROWS, B fails with SQLSTATE 57014" \
	"$(head -n1 "$WORK/out/sc21_1.txt") $(head -n1 "$WORK/out/sc21_3.txt"); $(burst_field sc21 3 sqlstate)" \
	"$NROWS $NROWS; 00000 57014 00000"
[ "$(burst_field sc21 3 sqlstate)" = "00000 57014 00000" ] || cat "$WORK"/out/sc21_*.txt | diag
t_file_has "shared cache, cancelled waiter: B's error is the statement timeout" \
	"$WORK/out/sc21_2.txt" "ERROR:  57014: canceling statement due to statement timeout"
t_is "shared cache, cancelled waiter: B was cancelled while waiting (took < 1.5 s), C waited for A's exchange (took >= 0.3 s)" \
	"$(awk -v b="${sc21_sb:-99}" -v c="${sc21_sc:-0}" 'BEGIN { print (b < 1.5) ? "yes" : "no", (c >= 0.3) ? "yes" : "no" }')" "yes yes"
t_is "shared cache, cancelled waiter: one exchange for A and C (1 STS, 1 IAM call, 1 token reached Spanner, none refused)" \
	"$(delta "$sc21_0" "$sc21_1")" "1 1 1 0"

# ---- 24. the cluster with the shared cache stops cleanly; no backend crashed
(cd / && sf_as_pg "$PGBIN/pg_ctl" -D "$TAP_PG_DATA" -m fast -w -t 60 stop >"$WORK/pg/stop.log" 2>&1)
sc22_rc=$?
t_is "shared_preload_libraries: pg_ctl stop -m fast succeeds; the log shows no crashed backend" \
	"$sc22_rc $(grep -cE 'terminated by signal|PANIC|TRAP:|was terminated by exception|server process .* exited with exit code [^0]' "$WORK/pg/server.log")" "0 0"
[ "$sc22_rc" = 0 ] || diag <"$WORK/pg/stop.log"

# ---- 25. after all of the above, the server log holds no secret or token
tap_pg_stop
LOG=$WORK/pg/server.log
secrets_file=$WORK/secrets_all
{
	cat "$WORK/secrets"
	grep -v '^bogus$' "$WORK/tokens_seen" | sort -u
} | grep -v '^$' >"$secrets_file"
nsecrets=$(wc -l <"$secrets_file")
ntokens=$(grep -c -e '^sts\.' -e '^iam\.' "$secrets_file")
leaks=$(grep -F -f "$secrets_file" "$LOG" "$WORK"/out/*.txt 2>/dev/null | head -n 5)
if [ -s "$LOG" ] && [ "$ntokens" -ge 5 ] && [ -z "$leaks" ]; then
	pass "server log ($(wc -l <"$LOG") lines at debug1) and psql output contain none of $nsecrets secrets and issued tokens"
else
	fail "server log ($(wc -l <"$LOG") lines at debug1) and psql output contain none of $nsecrets secrets and issued tokens"
	echo "tokens collected: $ntokens" | diag
	printf '%s\n' "$leaks" | cut -c1-300 | diag
fi

# ---- 26. the helpers exit cleanly on SIGTERM
for who in proxy standins; do
	if [ $who = proxy ]; then p=$PROXY_PID; else p=$STANDIN_PID; fi
	kill -TERM "$p" 2>/dev/null
	wait "$p"
	rc=$?
	t_is "$who exits cleanly on SIGTERM" "$rc" 0
	if [ $who = proxy ]; then PROXY_PID=; else STANDIN_PID=; fi
done
for f in "$WORK/proxy.err" "$WORK/standins.err"; do
	if [ -s "$f" ]; then
		echo "# $(basename "$f"):"
		diag <"$f"
	fi
done

finish
