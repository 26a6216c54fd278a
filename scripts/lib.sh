# shellcheck shell=bash
# scripts/lib.sh -- shared helpers for demo.sh, test.sh, stop.sh and test runners.
#
# Source it (it is safe under `set -euo pipefail`):   . scripts/lib.sh
# Every function returns non-zero with a message on stderr when it fails, so
# callers can use `sf_x || exit 1` or rely on `set -e`.
#
# State lives in $SF_ROOT/.run/<namespace>/ (namespace = $SF_NS, default
# "demo"; test.sh uses "test" so a test run never touches the demo):
#   emulator.gateway.pid  emulator.main.pid  emulator.port  emulator.grpc_port
#   emulator.flags        emulator.log  pg.base (where the PostgreSQL files are)  pg.port
# PostgreSQL files (data dir, socket dir, log, pg_regress output) go in
# $SF_RUN/pg/ when the PostgreSQL OS user can reach it, otherwise in
# /tmp/spanner_fdw_run.<hash of repo path>/<namespace>/; pg.base records which.
#
# Functions:
#   sf_install_deps            apt-get missing build/run dependencies; check the emulator
#   sf_build_install           make && make install of the extension
#   sf_free_port               print a free TCP port on 127.0.0.1
#   sf_start_emulator          start (or reuse) gateway_main + emulator_main;
#                              exports SPANNER_EMULATOR_REST=http://127.0.0.1:PORT;
#                              gateway_main gets the extra flags of
#                              $SF_EMULATOR_FLAGS (an emulator started with
#                              other flags is not reused)
#   sf_stop_emulator           stop them by recorded PID
#   sf_rest METHOD PATH [BODY] call the emulator REST API (/v1/PATH), print the body
#   sf_create_instance PROJECT INSTANCE
#   sf_database_exists PROJECT INSTANCE DB
#   sf_drop_database PROJECT INSTANCE DB
#   sf_create_database PROJECT INSTANCE DB DDL_FILE [GOOGLE_STANDARD_SQL|POSTGRESQL]
#   sf_load_sample DB [PROJECT INSTANCE]   run sample/load.py
#   sf_setup_sample_db DB [PROJECT INSTANCE]  (re)create DB from sample/schema.ddl + load
#   sf_exec_sql DB SQL [PROJECT INSTANCE]  run one query, print the JSON result
#   sf_start_pg                initdb (once) and start a PostgreSQL 15 server (or reuse);
#                              exports PGHOST, PGPORT, SF_PG_PORT, SF_PG_SOCK
#   sf_stop_pg                 pg_ctl stop -m fast
#   sf_psql ARGS...            psql as the PostgreSQL OS user against that server
#   sf_as_pg CMD...            run a command as the PostgreSQL OS user
#   sf_stop_ns                 stop PostgreSQL and the emulator of this namespace
#   sf_stop_named NS           stop them in namespace NS
#   sf_stop_all                stop them in every namespace under .run/
#   sf_count_tap FILE          print "PASS FAIL SKIP PLAN" counted from TAP output
#
# Settings (environment): SF_NS, SF_PROJECT (demo-project), SF_INSTANCE
# (demo-instance), SF_PG_BINDIR (/usr/lib/postgresql/15/bin), SF_GATEWAY_MAIN /
# SF_EMULATOR_MAIN (emulator binaries), SF_QUIET=1 (less chatter).

SF_ROOT=${SF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SF_NS=${SF_NS:-demo}
SF_RUN_TOP=$SF_ROOT/.run
SF_RUN=$SF_RUN_TOP/$SF_NS
SF_PG_BINDIR=${SF_PG_BINDIR:-/usr/lib/postgresql/15/bin}
SF_PG_CONFIG=${SF_PG_CONFIG:-$SF_PG_BINDIR/pg_config}
SF_PROJECT=${SF_PROJECT:-demo-project}
SF_INSTANCE=${SF_INSTANCE:-demo-instance}
SF_PYTHON=${SF_PYTHON:-python3}
SF_EMULATOR_FLAGS=${SF_EMULATOR_FLAGS:-}
export SF_ROOT SF_NS SF_RUN SF_PG_BINDIR SF_PG_CONFIG SF_PROJECT SF_INSTANCE

sf_log() { [ "${SF_QUIET:-0}" = 1 ] || printf '== %s\n' "$*" >&2; }
sf_err() { printf 'ERROR: %s\n' "$*" >&2; }

sf_mkrun() {
	mkdir -p "$SF_RUN" || { sf_err "cannot create $SF_RUN"; return 1; }
	chmod 755 "$SF_RUN_TOP" "$SF_RUN" 2>/dev/null || true
}

# The OS user that owns and runs PostgreSQL: "postgres" when we are root
# (PostgreSQL refuses to run as root), else the current user.
sf_pg_user() {
	if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

sf_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# ---------------------------------------------------------------- dependencies

sf_find_emulator() {
	local gw="${SF_GATEWAY_MAIN:-}" em="${SF_EMULATOR_MAIN:-}" list
	if [ -z "$gw" ] || [ -z "$em" ]; then
		list=$(dpkg -L google-cloud-cli-spanner-emulator 2>/dev/null || true)
		[ -n "$gw" ] || gw=$(printf '%s\n' "$list" | grep '/gateway_main$' | head -n1 || true)
		[ -n "$em" ] || em=$(printf '%s\n' "$list" | grep '/emulator_main$' | head -n1 || true)
	fi
	local d=/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator
	[ -n "$gw" ] || gw=$d/gateway_main
	[ -n "$em" ] || em=$d/emulator_main
	if [ -x "$gw" ] && [ -x "$em" ]; then
		SF_GATEWAY_MAIN=$gw
		SF_EMULATOR_MAIN=$em
		export SF_GATEWAY_MAIN SF_EMULATOR_MAIN
		return 0
	fi
	return 1
}

sf_pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

sf_apt_install() {
	local log=${SF_RUN_TOP}/apt.log
	mkdir -p "$SF_RUN_TOP"
	if [ "$(id -u)" != 0 ]; then
		sf_err "missing packages: $* (run as root, or: sudo apt-get install -y $*)"
		return 1
	fi
	sf_log "apt-get install $* (log: $log)"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; } >"$log" 2>&1 </dev/null; then
		tail -n 30 "$log" >&2
		sf_err "apt-get install $* failed (full log: $log)"
		return 1
	fi
}

sf_install_deps() {
	local missing=() p
	for p in postgresql-15 postgresql-server-dev-15 libcurl4-openssl-dev libjson-c-dev libssl-dev; do
		sf_pkg_installed "$p" || missing+=("$p")
	done
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v python3 >/dev/null 2>&1 || missing+=(python3)
	command -v make >/dev/null 2>&1 || missing+=(make)
	command -v gcc >/dev/null 2>&1 || missing+=(gcc)
	command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
	command -v pgrep >/dev/null 2>&1 || missing+=(procps)
	# the auth end-to-end test makes a throw-away TLS certificate
	command -v openssl >/dev/null 2>&1 || missing+=(openssl)
	# the fuzz targets of the response parsers (libFuzzer comes with clang)
	command -v clang >/dev/null 2>&1 || missing+=(clang)
	sf_pkg_installed libclang-rt-14-dev || missing+=(libclang-rt-14-dev)
	if [ "${VALGRIND:-0}" = 1 ]; then
		command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		sf_apt_install "${missing[@]}" || return 1
	fi
	if ! sf_find_emulator; then
		sf_log "Cloud Spanner emulator not found; trying apt-get install google-cloud-cli-spanner-emulator"
		sf_apt_install google-cloud-cli-spanner-emulator || true
		if ! sf_find_emulator; then
			sf_err "the Cloud Spanner emulator (gateway_main, emulator_main) is not installed." \
				"Install the Debian package google-cloud-cli-spanner-emulator (Google Cloud SDK apt" \
				"repository), or set SF_GATEWAY_MAIN and SF_EMULATOR_MAIN to the two binaries."
			return 1
		fi
	fi
	[ -x "$SF_PG_CONFIG" ] || { sf_err "$SF_PG_CONFIG not found (postgresql-server-dev-15)"; return 1; }
	return 0
}

# ---------------------------------------------------------------- build

sf_build_install() {
	[ -f "$SF_ROOT/Makefile" ] || { sf_err "no Makefile in $SF_ROOT"; return 1; }
	sf_log "make PG_CONFIG=$SF_PG_CONFIG"
	make -C "$SF_ROOT" PG_CONFIG="$SF_PG_CONFIG" || { sf_err "make failed"; return 1; }
	sf_log "make install"
	make -C "$SF_ROOT" PG_CONFIG="$SF_PG_CONFIG" install >/dev/null ||
		{ sf_err "make install failed"; return 1; }
}

# ---------------------------------------------------------------- processes

sf_free_port() {
	"$SF_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

sf_port_free() {
	"$SF_PYTHON" -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
s.close()' "$1"
}

# sf_pid_is PID NAME: the process exists and its command name is NAME (guards
# against a recycled PID belonging to some unrelated process).
sf_pid_is() {
	local pid=$1 name=$2 comm
	[ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = "$name" ] || return 1
	# a zombie is gone for our purposes
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# sf_kill_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL.
sf_kill_pid() {
	local pid=$1 name=$2 i
	sf_pid_is "$pid" "$name" || return 0
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		sf_pid_is "$pid" "$name" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	sleep 0.2
}

sf_read() { cat "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- emulator

sf_rest_ok() {
	curl -s --noproxy '*' -o /dev/null -m 2 -w '%{http_code}' \
		"http://127.0.0.1:$1/v1/projects/test-project/instances" 2>/dev/null | grep -q '^200$'
}

sf_stop_emulator() {
	local gw em
	gw=$(sf_read "$SF_RUN/emulator.gateway.pid")
	em=$(sf_read "$SF_RUN/emulator.main.pid")
	if [ -n "$gw$em" ]; then
		sf_log "stopping emulator (gateway pid ${gw:-?}, emulator_main pid ${em:-?})"
		sf_kill_pid "$gw" gateway_main
		sf_kill_pid "$em" emulator_main
	fi
	rm -f "$SF_RUN/emulator.gateway.pid" "$SF_RUN/emulator.main.pid" \
		"$SF_RUN/emulator.port" "$SF_RUN/emulator.grpc_port" "$SF_RUN/emulator.flags"
}

# sf_emulator_flags: $SF_EMULATOR_FLAGS normalised (one blank between flags)
sf_emulator_flags() {
	# shellcheck disable=SC2086  # split on blanks on purpose
	set -- $SF_EMULATOR_FLAGS
	printf '%s' "$*"
}

sf_start_emulator() {
	sf_mkrun || return 1
	local gw em port grpc i
	gw=$(sf_read "$SF_RUN/emulator.gateway.pid")
	em=$(sf_read "$SF_RUN/emulator.main.pid")
	port=$(sf_read "$SF_RUN/emulator.port")
	if [ -n "$port" ] && sf_pid_is "$gw" gateway_main && sf_pid_is "$em" emulator_main &&
		[ "$(sf_read "$SF_RUN/emulator.flags")" = "$(sf_emulator_flags)" ] &&
		sf_rest_ok "$port"; then
		sf_log "reusing the emulator on port $port (gateway pid $gw, emulator_main pid $em)"
		SPANNER_EMULATOR_REST=http://127.0.0.1:$port
		SF_EMU_PORT=$port
		export SPANNER_EMULATOR_REST SF_EMU_PORT
		return 0
	fi
	sf_stop_emulator
	sf_find_emulator || { sf_err "emulator binaries not found (run sf_install_deps)"; return 1; }
	# A port picked as free can be taken before the gateway binds it: retry.
	for i in 1 2 3; do
		sf_start_emulator_once && return 0
		[ "$i" = 3 ] || sf_log "retrying the emulator start"
	done
	return 1
}

sf_start_emulator_once() {
	local gw em port grpc
	port=$(sf_free_port) || return 1
	grpc=$(sf_free_port) || return 1
	while [ "$grpc" = "$port" ]; do grpc=$(sf_free_port) || return 1; done
	local flags
	flags=$(sf_emulator_flags)
	sf_log "starting the Spanner emulator: REST 127.0.0.1:$port, gRPC 127.0.0.1:$grpc${flags:+ ($flags)}"
	# Without job control a background job shares our process group, so detach
	# it with setsid (keeps a later Ctrl-C from killing it).  With job control
	# (interactive shell) it has its own group already, and setsid would fork.
	local detach=setsid
	case $- in *m*) detach= ;; esac
	# shellcheck disable=SC2086  # the extra flags are split on blanks
	$detach "$SF_GATEWAY_MAIN" --hostname 127.0.0.1 --http_port "$port" --grpc_port "$grpc" \
		--grpc_binary "$SF_EMULATOR_MAIN" $flags >"$SF_RUN/emulator.log" 2>&1 </dev/null &
	gw=$!
	printf '%s\n' "$flags" >"$SF_RUN/emulator.flags"
	echo "$gw" >"$SF_RUN/emulator.gateway.pid"
	echo "$port" >"$SF_RUN/emulator.port"
	echo "$grpc" >"$SF_RUN/emulator.grpc_port"
	em=
	local deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ -z "$em" ]; then
			em=$(pgrep -P "$gw" -x emulator_main 2>/dev/null | head -n1 || true)
			[ -n "$em" ] && echo "$em" >"$SF_RUN/emulator.main.pid"
		fi
		if [ -n "$em" ] && sf_rest_ok "$port"; then
			SPANNER_EMULATOR_REST=http://127.0.0.1:$port
			SF_EMU_PORT=$port
			export SPANNER_EMULATOR_REST SF_EMU_PORT
			sf_log "emulator ready at $SPANNER_EMULATOR_REST (gateway pid $gw, emulator_main pid $em)"
			return 0
		fi
		if ! sf_pid_is "$gw" gateway_main; then
			break
		fi
		sleep 0.1
	done
	tail -n 20 "$SF_RUN/emulator.log" >&2 || true
	sf_err "the emulator did not come up on 127.0.0.1:$port (gateway exited, or no answer within 30 s; log: $SF_RUN/emulator.log)"
	sf_stop_emulator
	return 1
}

sf_need_emulator() {
	if [ -z "${SPANNER_EMULATOR_REST:-}" ]; then
		local port
		port=$(sf_read "$SF_RUN/emulator.port")
		[ -n "$port" ] || { sf_err "the emulator is not running (sf_start_emulator)"; return 1; }
		SPANNER_EMULATOR_REST=http://127.0.0.1:$port
		export SPANNER_EMULATOR_REST
	fi
}

# sf_rest METHOD PATH [BODY]: PATH is relative to /v1/.  Prints the response
# body; on a non-2xx status prints method, URL, status and body to stderr.
sf_rest() {
	local method=$1 path=$2 body=${3-} out code url
	sf_need_emulator || return 1
	url=$SPANNER_EMULATOR_REST/v1/$path
	out=$(mktemp) || return 1
	local args=(-sS --noproxy '*' -m 120 -o "$out" -w '%{http_code}' -X "$method"
		-H 'Content-Type: application/json')
	[ -n "$body" ] && args+=(--data-binary "$body")
	if ! code=$(curl "${args[@]}" "$url"); then
		rm -f "$out"
		sf_err "$method $url: request failed (is the emulator running?)"
		return 1
	fi
	case $code in
	2??)
		cat "$out"
		rm -f "$out"
		return 0
		;;
	esac
	sf_err "$method $url -> HTTP $code: $(cat "$out")"
	rm -f "$out"
	return 1
}

# sf_json_has JSON_TEXT KEY VALUE: true if JSON_TEXT[KEY] is a list holding an
# object whose "name" is VALUE.
sf_json_has() {
	"$SF_PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1] or "{}")
sys.exit(0 if any(x.get("name") == sys.argv[3] for x in d.get(sys.argv[2], [])) else 1)' "$@"
}

sf_create_instance() {
	local project=$1 instance=$2 list body
	if ! [[ $instance =~ ^[a-z][-a-z0-9]{0,62}[a-z0-9]$ ]]; then
		sf_err "bad instance id '$instance': 2-64 characters, lower-case letters, digits and" \
			"hyphens, starting with a letter and not ending with a hyphen"
		return 1
	fi
	list=$(sf_rest GET "projects/$project/instances") || return 1
	if sf_json_has "$list" instances "projects/$project/instances/$instance"; then
		sf_log "instance projects/$project/instances/$instance exists"
		return 0
	fi
	body=$(printf '{"instanceId":"%s","instance":{"config":"emulator-config","displayName":"%s","nodeCount":1}}' \
		"$instance" "$instance")
	sf_rest POST "projects/$project/instances" "$body" >/dev/null || {
		sf_err "could not create instance $project/$instance"
		return 1
	}
	sf_log "created instance projects/$project/instances/$instance"
}

sf_database_exists() {
	local list
	list=$(sf_rest GET "projects/$1/instances/$2/databases") || return 2
	sf_json_has "$list" databases "projects/$1/instances/$2/databases/$3"
}

sf_drop_database() {
	local rc=0
	sf_database_exists "$1" "$2" "$3" || rc=$?
	[ $rc = 2 ] && return 1
	if [ $rc = 0 ]; then
		sf_rest DELETE "projects/$1/instances/$2/databases/$3" >/dev/null || return 1
		sf_log "dropped database projects/$1/instances/$2/databases/$3"
	fi
	return 0
}

# sf_create_database PROJECT INSTANCE DB DDL_FILE [DIALECT]
# DDL_FILE: statements separated by ";", lines starting with "--" ignored.
sf_create_database() {
	local project=$1 instance=$2 db=$3 ddl=$4 dialect=${5:-GOOGLE_STANDARD_SQL} body
	[ -r "$ddl" ] || { sf_err "cannot read DDL file $ddl"; return 1; }
	body=$("$SF_PYTHON" - "$db" "$ddl" "$dialect" <<'PY'
import json, sys
db, path, dialect = sys.argv[1:4]
lines = [l for l in open(path, encoding="utf-8").read().splitlines()
         if not l.lstrip().startswith("--")]
stmts = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
body = {"extraStatements": stmts}
if dialect == "POSTGRESQL":
    body["createStatement"] = 'CREATE DATABASE "%s"' % db
    body["databaseDialect"] = "POSTGRESQL"
else:
    body["createStatement"] = "CREATE DATABASE `%s`" % db
print(json.dumps(body))
PY
	) || { sf_err "could not read $ddl"; return 1; }
	local resp
	resp=$(sf_rest POST "projects/$project/instances/$instance/databases" "$body") || {
		sf_err "could not create database $project/$instance/$db from $ddl"
		return 1
	}
	# Admin operations are already done on the emulator; still report an error
	# carried inside the operation.
	if ! "$SF_PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1])
if "error" in d:
    sys.exit("operation failed: " + json.dumps(d["error"]))' "$resp"; then
		sf_err "could not create database $project/$instance/$db: $resp"
		return 1
	fi
	sf_log "created database projects/$project/instances/$instance/databases/$db"
}

sf_load_sample() {
	local db=${1:?database} project=${2:-$SF_PROJECT} instance=${3:-$SF_INSTANCE}
	sf_need_emulator || return 1
	"$SF_PYTHON" "$SF_ROOT/sample/load.py" --endpoint "$SPANNER_EMULATOR_REST" \
		--project "$project" --instance "$instance" --database "$db" >&2 ||
		{ sf_err "loading the sample data into $db failed"; return 1; }
}

sf_setup_sample_db() {
	local db=${1:?database} project=${2:-$SF_PROJECT} instance=${3:-$SF_INSTANCE}
	sf_create_instance "$project" "$instance" || return 1
	sf_drop_database "$project" "$instance" "$db" || return 1
	sf_create_database "$project" "$instance" "$db" "$SF_ROOT/sample/schema.ddl" || return 1
	sf_load_sample "$db" "$project" "$instance"
}

# sf_exec_sql DB SQL [PROJECT INSTANCE]: one executeSql on a fresh session.
sf_exec_sql() {
	local db=$1 sql=$2 project=${3:-$SF_PROJECT} instance=${4:-$SF_INSTANCE} s body rc=0
	s=$(sf_rest POST "projects/$project/instances/$instance/databases/$db/sessions" '{}' |
		"$SF_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["name"])') || return 1
	body=$("$SF_PYTHON" -c 'import json, sys; print(json.dumps({"sql": sys.argv[1]}))' "$sql")
	sf_rest POST "$s:executeSql" "$body" || rc=1
	echo
	sf_rest DELETE "$s" >/dev/null || true
	return $rc
}

# ---------------------------------------------------------------- PostgreSQL

# sf_pg_base: print (and create) the directory for PostgreSQL files, owned by
# the PostgreSQL OS user.  $SF_RUN/pg if that user can reach it, else
# /tmp/spanner_fdw_run.<hash>/<ns>.
sf_pg_base() {
	sf_mkrun || return 1
	local base user hash
	base=$(sf_read "$SF_RUN/pg.base")
	user=$(sf_pg_user)
	if [ -n "$base" ] && [ -d "$base" ] && sf_as_pg test -w "$base" 2>/dev/null; then
		echo "$base"
		return 0
	fi
	base=$SF_RUN/pg
	mkdir -p "$base" && chown "$user" "$base" && chmod 700 "$base" || return 1
	if ! sf_as_pg test -w "$base" 2>/dev/null && [ "$(id -u)" = 0 ]; then
		# The repo root may lack o+x; allow traversal of it (and of .run).
		chmod o+x "$SF_ROOT" 2>/dev/null || true
	fi
	if ! sf_as_pg test -w "$base" 2>/dev/null; then
		hash=$(printf '%s' "$SF_ROOT" | md5sum | cut -c1-10)
		base=/tmp/spanner_fdw_run.$hash/$SF_NS
		mkdir -p "$base" && chmod 755 "/tmp/spanner_fdw_run.$hash" &&
			chown "$user" "$base" && chmod 700 "$base" || return 1
		sf_log "$user cannot reach $SF_RUN; PostgreSQL files go to $base"
	fi
	echo "$base" >"$SF_RUN/pg.base"
	echo "$base"
}

sf_pg_running() {
	local data=$1
	[ -f "$data/postmaster.pid" ] || return 1
	sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1
}

sf_start_pg() {
	local base data sock port user
	base=$(sf_pg_base) || return 1
	data=$base/data
	user=$(sf_pg_user)
	sock=$base/sock
	# Unix socket paths are limited to ~107 bytes.
	if [ ${#sock} -gt 90 ]; then
		sock=/tmp/spanner_fdw_sock.$(printf '%s' "$base" | md5sum | cut -c1-10)
	fi
	mkdir -p "$sock" && chown "$user" "$sock" && chmod 700 "$sock" || return 1
	port=$(sf_read "$SF_RUN/pg.port")
	if sf_pg_running "$data"; then
		port=$(sed -n '4p' "$data/postmaster.pid" 2>/dev/null || echo "$port")
		sf_log "reusing PostgreSQL on port $port (data $data)"
	else
		if [ ! -f "$data/PG_VERSION" ]; then
			sf_log "initdb $data (locale C.UTF-8, UTF8)"
			rm -rf "$data"
			(cd "$base" && sf_as_pg env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$SF_PG_BINDIR/initdb" -D "$data" \
				--locale=C.UTF-8 --encoding=UTF8 --auth=trust -U "$user" >"$base/initdb.log" 2>&1) || {
				cat "$base/initdb.log" >&2
				sf_err "initdb failed"
				return 1
			}
			echo "include_if_exists = 'spanner_fdw_run.conf'" >>"$data/postgresql.conf"
		fi
		if [ -z "$port" ] || ! sf_port_free "$port"; then
			port=$(sf_free_port) || return 1
		fi
		cat >"$data/spanner_fdw_run.conf" <<EOF
# written by scripts/lib.sh sf_start_pg
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
lc_messages = 'C'
timezone = 'UTC'
log_timezone = 'UTC'
EOF
		chown "$user" "$data/spanner_fdw_run.conf"
		sf_log "starting PostgreSQL on port $port (data $data, log $base/postgresql.log)"
		(cd "$base" && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$data" -l "$base/postgresql.log" -w -t 60 start >/dev/null) || {
			tail -n 20 "$base/postgresql.log" >&2 || true
			sf_err "PostgreSQL did not start (log: $base/postgresql.log)"
			return 1
		}
	fi
	echo "$port" >"$SF_RUN/pg.port"
	PGHOST=$sock
	PGPORT=$port
	SF_PG_PORT=$port
	SF_PG_SOCK=$sock
	SF_PG_DATA=$data
	export PGHOST PGPORT SF_PG_PORT SF_PG_SOCK SF_PG_DATA
}

sf_stop_pg() {
	local base data pid
	base=$(sf_read "$SF_RUN/pg.base")
	[ -n "$base" ] || return 0
	data=$base/data
	[ -f "$data/postmaster.pid" ] || return 0
	pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
	sf_log "stopping PostgreSQL (data $data)"
	# fast shutdown waits for backends to notice the signal; a backend stuck in
	# a loop that never checks for interrupts only leaves on SIGQUIT
	# (immediate mode).
	(cd "$base" && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1) && return 0
	sf_log "fast shutdown did not finish in 30 s; using immediate mode"
	(cd "$base" && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1) && return 0
	sf_kill_pid "$pid" postgres
	return 0
}

# sf_psql ARGS...: psql as the PostgreSQL OS user, against sf_start_pg's server.
sf_psql() {
	local sock port
	sock=${SF_PG_SOCK:-}
	port=${SF_PG_PORT:-$(sf_read "$SF_RUN/pg.port")}
	if [ -z "$sock" ]; then
		local base
		base=$(sf_read "$SF_RUN/pg.base")
		sock=$base/sock
		[ ${#sock} -gt 90 ] && sock=/tmp/spanner_fdw_sock.$(printf '%s' "$base" | md5sum | cut -c1-10)
	fi
	(cd / && sf_as_pg "$SF_PG_BINDIR/psql" -X -h "$sock" -p "$port" "$@")
}

# ---------------------------------------------------------------- stop

sf_stop_ns() {
	sf_stop_pg
	sf_stop_emulator
}

# sf_stop_named NS: stop PostgreSQL and the emulator of namespace NS.
sf_stop_named() {
	# shellcheck disable=SC2030,SC2034  # read by the functions called here
	(SF_NS=$1 && SF_RUN=$SF_RUN_TOP/$1 && sf_stop_ns)
}

sf_stop_all() {
	local d
	for d in "$SF_RUN_TOP"/*/; do
		[ -d "$d" ] || continue
		sf_stop_named "$(basename "$d")"
	done
}

# ---------------------------------------------------------------- TAP

# sf_count_tap FILE: print "PASS FAIL SKIP PLAN".  Counts top-level
# "ok N" / "not ok N" lines; "ok N # SKIP" and "not ok N # TODO" count as
# skipped; "1..0 # SKIP" as one skipped.
sf_count_tap() {
	awk '
	/^ok [0-9]+/ {
		if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++; else p++; next }
	/^not ok [0-9]+/ {
		if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) s++; else f++; next }
	/^1\.\.[0-9]+/ {
		n = substr($1, 4) + 0; plan += n
		if (n == 0 && $0 ~ /[Ss][Kk][Ii][Pp]/) s++
	}
	END { printf "%d %d %d %d\n", p, f, s, plan }' "$1"
}
