# shellcheck shell=bash
# test/tap_lib.sh -- shared pieces of the bash TAP runners under test/
#	(test/auth/run_auth_sql.sh, test/recovery/run_emulator_restart.sh).
#
# Source it near the top of a runner, from the repository root:
#	. test/tap_lib.sh
# Sourcing defines the functions below and their globals (N, NFAIL, T0,
# WORK, TAP_*); it starts nothing.  The PostgreSQL and extension helpers
# call scripts/lib.sh (sf_as_pg, sf_pg_user, sf_free_port, sf_kill_pid,
# sf_build_install, sf_setup_sample_db, SF_PG_BINDIR, SF_PG_CONFIG): source
# that too before calling them.
#
# TAP output: "ok N - NAME", "not ok N - NAME", diagnostics as "#   ...",
# and at the end a summary comment "# NAME: P passed, F failed (S s)"
# followed by the plan "1..N"; the exit status is non-zero if any test
# failed.
#
# Environment
#   tap_clean_env [VAR...]
#	Unset what the caller's environment could leak into a test: proxy
#	settings (and set no_proxy for the loopback addresses), every AWS_*,
#	GOOGLE_*, GCE_*, CLOUDSDK_* and GCLOUD_* variable, the libpq
#	variables PGOPTIONS PGSERVICE PGDATABASE PGUSER PGHOST PGPORT, and
#	each VAR given.
#
# TAP
#   tap_init NAME KEEP
#	Start counting: N (tests so far) and NFAIL (failed so far) are 0, T0
#	is now.  NAME is the name in the summary line; KEEP=1 keeps the work
#	directory at exit (see tap_workdir).  Installs the traps: on EXIT,
#	tap_cleanup; on INT/TERM, a failed test "interrupted", then finish.
#   pass NAME / fail NAME
#	Print one passed / failed test.
#   diag
#	Filter: stdin as TAP diagnostics ("#   " before each line).
#   t_is NAME GOT WANT
#	Pass if GOT = WANT (strings); else fail and show both.
#   t_file_has NAME FILE STRING...
#	Pass if every fixed STRING occurs in FILE; else fail, show the
#	missing strings and FILE.
#   bail REASON
#	A failed test "setup: REASON", then finish (for a setup step that
#	leaves nothing to test).
#   finish
#	Print the summary and the plan, run tap_cleanup, exit (0 if no test
#	failed, else 1).
#   tap_cleanup
#	Once (it removes the traps): call the runner's function tap_teardown
#	if it defines one (it stops what the runner started: psql sessions,
#	helpers, the cluster with tap_pg_stop, an emulator), then remove the
#	work directory (or print "# kept DIR" when KEEP=1).
#
# Processes
#   tap_wait_exit PID TENTHS
#	Wait up to TENTHS tenths of a second for process PID to be gone;
#	return 0 if it is, 1 if it still runs (the caller then signals it).
#
# Work directory
#   tap_workdir PREFIX
#	WORK := a new directory ${TMPDIR:-/tmp}/PREFIX.XXXXXX (mode 755) with
#	WORK/out (for the runner's outputs) and WORK/pg (mode 700, owned by
#	the PostgreSQL OS user, for tap_pg_init).  Bails if it cannot.
#
# PostgreSQL: a private cluster in WORK/pg, run as the PostgreSQL OS user
# (postgres when run as root), reached through a Unix socket in WORK/pg only
# (no TCP listener); superuser postgres, trust authentication.
#   tap_pg_init [CONF-LINE...]
#	initdb WORK/pg/data (locale C.UTF-8, encoding UTF8; log in
#	WORK/pg/initdb.log) and append to its postgresql.conf: a free port,
#	the socket directory, C messages, UTC time zones, log_min_messages =
#	debug1, log_error_verbosity = verbose, then each CONF-LINE (e.g.
#	"log_connections = on").  Sets TAP_PG_DATA, TAP_PG_SOCK, TAP_PG_PORT
#	and TAP_PG_LOG (WORK/pg/server.log).  Bails if it cannot.
#   tap_pg_start [-o POSTMASTER-OPTIONS] [VAR=VALUE...]
#	Stop the cluster if it runs, then start it with exactly this
#	environment besides PATH and LANG (so a runner controls what the
#	postmaster inherits); -o is passed to pg_ctl (e.g.
#	"-c shared_preload_libraries=spanner_fdw").  Waits up to 60 s; on
#	failure shows the end of the server log and returns 1.
#   tap_pg_stop [SECONDS]
#	pg_ctl stop -m fast, waiting up to SECONDS (default 60); if that
#	fails, SIGTERM (then SIGKILL) the postmaster.  Nothing to do if the
#	cluster is not running.
#   tap_psql ROLE [PSQL-ARGS...]
#	psql -X -q -At as the PostgreSQL OS user, connected as ROLE to
#	database postgres of the cluster; SQL on stdin.
#
# Extension and sample database
#   tap_need_extension MODE
#	Make sure spanner_fdw is installed in the PostgreSQL of SF_PG_CONFIG.
#	MODE build: build and install it (make, make install); missing: build
#	and install it if it is not installed; check: only check.  Bails if
#	building fails or it is still not installed.
#   tap_setup_sample_db DB PROJECT INSTANCE
#	(Re)create the sample database DB of the emulator at
#	SPANNER_EMULATOR_REST and load the sample data; on failure shows the
#	errors and returns 1.
#
# An emulator of the runner's own (for runners that stop, kill or restart
# it; scripts/test.sh's emulator is never touched).  It is not detached (no
# setsid): it stays in the runner's process group, so whatever kills the
# group (the timeout of scripts/test.sh, Ctrl-C) takes it along even if
# cleanup cannot run.  The runner's tap_teardown calls tap_emu_stop.
#   tap_emu_first
#	Pick two free ports and start gateway_main + emulator_main there
#	(three tries; log in WORK/emulator_first.log); export
#	SPANNER_EMULATOR_REST.  Bails if it cannot.
#   tap_emu_start TAG
#	Start gateway_main + emulator_main on TAP_EMU_PORT (REST) and
#	TAP_EMU_GRPC (log in WORK/emulator_TAG.log), waiting first until
#	the previous emulator's ports can be bound again; sets TAP_EMU_GW and
#	TAP_EMU_EM (the two PIDs).  Returns 1 if it does not answer in 30 s.
#   tap_emu_stop
#	Stop the emulator started here (SIGCONT first, in case it was
#	stopped with SIGSTOP; then SIGTERM, SIGKILL after 10 s).
#   tap_emu_sessions DBPATH
#	The names of the database's live sessions, one a line (none if the
#	database does not exist).
#
# One psql session kept open for the whole test (one backend), driven as a
# coprocess.  A statement's output and SQLSTATE are read back by a marker
# line (\echo MARK :SQLSTATE) after it.
#   tap_psql_open [PSQL-ARGS...]
#	Start psql -X -At -v VERBOSITY=verbose (plus PSQL-ARGS, e.g. -q)
#	against the cluster as role postgres, stderr merged into stdout.
#   tap_q TAG SQL
#	Send SQL (one statement or meta-command) and wait for it (at most
#	60 s).  Q_OUT: its output (also in WORK/out/TAG.txt); Q_STATE: its
#	SQLSTATE (00000 on success).  Every exchange is appended to
#	WORK/transcript.txt.  Returns 1 if no answer came.
#   tap_q_send TAG SQL / tap_q_wait
#	The two halves of tap_q, for a statement that must be in flight
#	while the runner does something else.
#   tap_psql_close
#	End psql's input (its backend exits); TERM it if it does not quit.
#
# Copyright (c) 2026 spanner_fdw developers

# ------------------------------------------------------------------ environment

tap_clean_env() {
	local v
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	export no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1
	while IFS= read -r v; do
		unset "$v"
	done < <(env | sed -n 's/^\(\(AWS_\|GOOGLE_\|GCE_\|CLOUDSDK_\|GCLOUD_\)[A-Za-z0-9_]*\)=.*/\1/p')
	unset PGOPTIONS PGSERVICE PGDATABASE PGUSER PGHOST PGPORT
	[ $# = 0 ] || unset "$@"
}

# ------------------------------------------------------------------ TAP

N=0
NFAIL=0
T0=$SECONDS
WORK=
TAP_NAME=
TAP_KEEP=0

tap_init() {
	TAP_NAME=$1
	TAP_KEEP=${2:-0}
	N=0
	NFAIL=0
	T0=$SECONDS
	trap tap_cleanup EXIT
	trap 'echo "# interrupted"; fail "interrupted"; finish' INT TERM
}

pass() {
	N=$((N + 1))
	echo "ok $N - $1"
}
fail() {
	N=$((N + 1))
	NFAIL=$((NFAIL + 1))
	echo "not ok $N - $1"
}
diag() { sed 's/^/#   /'; }
t_is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		printf 'got:  %s\nwant: %s\n' "$2" "$3" | diag
	fi
}
t_file_has() {
	local name=$1 file=$2 s miss=0
	shift 2
	for s in "$@"; do
		grep -qF -- "$s" "$file" || { miss=1; echo "missing: $s" | diag; }
	done
	if [ $miss = 0 ]; then pass "$name"; else fail "$name"; diag <"$file"; fi
}

bail() {
	fail "setup: $*"
	finish
}

finish() {
	echo "# $TAP_NAME: $((N - NFAIL)) passed, $NFAIL failed ($((SECONDS - T0)) s)"
	echo "1..$N"
	tap_cleanup
	[ "$NFAIL" = 0 ] && exit 0
	exit 1
}

tap_cleanup() {
	trap - EXIT INT TERM
	if declare -F tap_teardown >/dev/null; then
		tap_teardown
	fi
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "$TAP_KEEP" = 1 ]; then
			echo "# kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

# ------------------------------------------------------------------ processes

tap_wait_exit() {
	local _
	for _ in $(seq 1 "$2"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# tap_stop_pid PID: SIGTERM a child this runner started and reap it (KILL
# after 10 s); nothing for an empty PID or one already gone
tap_stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	tap_wait_exit "$pid" 100 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# tap_wait_file FILE TENTHS: wait until FILE is not empty, at most TENTHS
# tenths of a second
tap_wait_file() {
	local _
	for _ in $(seq 1 "$2"); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}


# ------------------------------------------------------------------ work directory

tap_workdir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || { WORK=; bail "mktemp failed"; }
	chmod 755 "$WORK"
	mkdir -p "$WORK/pg" "$WORK/out"
	chown "$(sf_pg_user)" "$WORK/pg" && chmod 700 "$WORK/pg" || bail "cannot prepare $WORK/pg"
}

# ------------------------------------------------------------------ PostgreSQL

TAP_PG_DATA=
TAP_PG_SOCK=
TAP_PG_PORT=
TAP_PG_LOG=

tap_pg_init() {
	local line
	TAP_PG_DATA=$WORK/pg/data
	TAP_PG_SOCK=$WORK/pg
	TAP_PG_LOG=$WORK/pg/server.log
	TAP_PG_PORT=$(sf_free_port) || bail "no free port"
	(cd / && sf_as_pg env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$SF_PG_BINDIR/initdb" -D "$TAP_PG_DATA" \
		--locale=C.UTF-8 --encoding=UTF8 --auth=trust -U postgres >"$WORK/pg/initdb.log" 2>&1) || {
		diag <"$WORK/pg/initdb.log"
		bail "initdb failed"
	}
	{
		cat <<EOF
# written by test/tap_lib.sh (tap_pg_init) for $TAP_NAME
port = $TAP_PG_PORT
listen_addresses = ''
unix_socket_directories = '$TAP_PG_SOCK'
lc_messages = 'C'
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = debug1
log_error_verbosity = verbose
EOF
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >>"$TAP_PG_DATA/postgresql.conf"
}

tap_pg_start() {
	local o=()
	if [ "${1:-}" = -o ]; then
		o=(-o "$2")
		shift 2
	fi
	tap_pg_stop 60
	(cd / && sf_as_pg env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@" \
		"$SF_PG_BINDIR/pg_ctl" -D "$TAP_PG_DATA" -l "$TAP_PG_LOG" ${o[@]+"${o[@]}"} -w -t 60 start >/dev/null 2>&1) || {
		tail -n 20 "$TAP_PG_LOG" | diag
		return 1
	}
}

tap_pg_stop() {
	[ -n "$TAP_PG_DATA" ] && [ -f "$TAP_PG_DATA/postmaster.pid" ] || return 0
	local pid
	pid=$(head -n1 "$TAP_PG_DATA/postmaster.pid" 2>/dev/null)
	(cd / && sf_as_pg "$SF_PG_BINDIR/pg_ctl" -D "$TAP_PG_DATA" -m fast -w -t "${1:-60}" stop >/dev/null 2>&1) ||
		sf_kill_pid "$pid" postgres
}

tap_psql() {
	local role=$1
	shift
	(cd / && sf_as_pg "$SF_PG_BINDIR/psql" -X -q -At -h "$TAP_PG_SOCK" -p "$TAP_PG_PORT" -U "$role" -d postgres "$@")
}

# ------------------------------------------------------------------ extension, sample

tap_need_extension() {
	local ext_dir lib_dir
	ext_dir=$("$SF_PG_CONFIG" --sharedir)/extension
	lib_dir=$("$SF_PG_CONFIG" --pkglibdir)
	if [ "$1" = build ] ||
		{ [ "$1" = missing ] && ! { [ -f "$ext_dir/spanner_fdw.control" ] && [ -f "$lib_dir/spanner_fdw.so" ]; }; }; then
		SF_QUIET=1 sf_build_install >"$WORK/build.log" 2>&1 || {
			tail -n 30 "$WORK/build.log" | diag
			bail "building spanner_fdw failed"
		}
	fi
	[ -f "$ext_dir/spanner_fdw.control" ] && [ -f "$lib_dir/spanner_fdw.so" ] ||
		bail "spanner_fdw is not installed in $ext_dir"
}

tap_setup_sample_db() {
	SF_QUIET=1 sf_setup_sample_db "$1" "$2" "$3" >/dev/null 2>"$WORK/sample.err" || {
		diag <"$WORK/sample.err"
		return 1
	}
}

# ------------------------------------------------------------------ own emulator

TAP_EMU_GW=
TAP_EMU_EM=
TAP_EMU_PORT=
TAP_EMU_GRPC=

# tap_port_bindable PORT: a listening socket with SO_REUSEADDR can bind PORT
# (as the emulator binds it: connections of an old one in TIME_WAIT do not
# count)
tap_port_bindable() {
	python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
s.close()' "$1"
}

tap_emu_stop() {
	local p
	for p in $TAP_EMU_GW $TAP_EMU_EM; do
		kill -CONT "$p" 2>/dev/null
	done
	sf_kill_pid "$TAP_EMU_GW" gateway_main
	sf_kill_pid "$TAP_EMU_EM" emulator_main
	[ -n "$TAP_EMU_GW" ] && wait "$TAP_EMU_GW" 2>/dev/null
	TAP_EMU_GW=
	TAP_EMU_EM=
}

tap_emu_start() {
	local log=$WORK/emulator_$1.log deadline
	deadline=$((SECONDS + 15))
	while ! tap_port_bindable "$TAP_EMU_PORT" || ! tap_port_bindable "$TAP_EMU_GRPC"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "port $TAP_EMU_PORT or $TAP_EMU_GRPC stays busy" >"$log"; return 1; }
		sleep 0.2
	done
	"$SF_GATEWAY_MAIN" --hostname 127.0.0.1 --http_port "$TAP_EMU_PORT" --grpc_port "$TAP_EMU_GRPC" \
		--grpc_binary "$SF_EMULATOR_MAIN" >"$log" 2>&1 </dev/null &
	TAP_EMU_GW=$!
	TAP_EMU_EM=
	deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ -n "$TAP_EMU_EM" ] || TAP_EMU_EM=$(pgrep -P "$TAP_EMU_GW" -x emulator_main 2>/dev/null | head -n1)
		if [ -n "$TAP_EMU_EM" ] && sf_rest_ok "$TAP_EMU_PORT"; then
			return 0
		fi
		sf_pid_is "$TAP_EMU_GW" gateway_main || break
		sleep 0.1
	done
	tap_emu_stop
	return 1
}

tap_emu_first() {
	local _
	sf_find_emulator || bail "the Cloud Spanner emulator is not installed (see scripts/lib.sh sf_install_deps)"
	for _ in 1 2 3; do
		TAP_EMU_PORT=$(sf_free_port) && TAP_EMU_GRPC=$(sf_free_port) || bail "no free port"
		[ "$TAP_EMU_PORT" != "$TAP_EMU_GRPC" ] || continue
		if tap_emu_start first; then
			export SPANNER_EMULATOR_REST=http://127.0.0.1:$TAP_EMU_PORT
			return 0
		fi
	done
	tail -n 20 "$WORK/emulator_first.log" | diag
	bail "could not start the emulator"
}

tap_emu_sessions() {
	curl -s --noproxy '*' -m 10 "$SPANNER_EMULATOR_REST/v1/$1/sessions?pageSize=1000" |
		python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    d = {}
for s in d.get("sessions", []):
    print(s["name"])'
}

# ------------------------------------------------------------------ one psql backend

TAP_PSQL_JOB=
TAP_QN=
Q_OUT=
Q_STATE=
Q_TAG=

tap_psql_open() {
	local as_pg=()
	[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
	coproc PSQL {
		cd / && exec ${as_pg[@]+"${as_pg[@]}"} "$SF_PG_BINDIR/psql" -X -At -h "$TAP_PG_SOCK" -p "$TAP_PG_PORT" \
			-U postgres -d postgres -v VERBOSITY=verbose "$@" 2>&1
	}
	# (bash unsets PSQL_PID when the coprocess ends: keep our own copy)
	TAP_PSQL_JOB=$PSQL_PID
	TAP_QN=0
}

tap_psql_close() {
	[ -n "$TAP_PSQL_JOB" ] || return 0
	# end of input: psql quits, its backend exits
	[ -n "${PSQL[1]:-}" ] && eval "exec ${PSQL[1]}>&-"
	tap_wait_exit "$TAP_PSQL_JOB" 50 || kill -TERM "$TAP_PSQL_JOB" 2>/dev/null
	wait "$TAP_PSQL_JOB" 2>/dev/null
	TAP_PSQL_JOB=
}

tap_q_send() {
	Q_TAG=$1
	Q_OUT=
	Q_STATE=
	TAP_QN=$((TAP_QN + 1))
	: >"$WORK/out/$1.txt"
	printf -- '-- %s\n%s\n' "$1" "$2" >>"$WORK/transcript.txt"
	kill -0 "$TAP_PSQL_JOB" 2>/dev/null || return 1
	printf '%s\n\\echo __end_%s__ :SQLSTATE\n' "$2" "$TAP_QN" >&"${PSQL[1]}"
}

tap_q_wait() {
	local line mark="__end_${TAP_QN}__" out=$WORK/out/$Q_TAG.txt
	if kill -0 "$TAP_PSQL_JOB" 2>/dev/null; then
		while IFS= read -r -t 60 line <&"${PSQL[0]}"; do
			case $line in
			"$mark "*)
				Q_STATE=${line#"$mark "}
				break
				;;
			esac
			printf '%s\n' "$line" >>"$out"
		done
	else
		Q_STATE=
	fi
	Q_OUT=$(cat "$out")
	printf -- '%s\n-- sqlstate %s\n' "$Q_OUT" "${Q_STATE:-(no answer)}" >>"$WORK/transcript.txt"
	[ -n "$Q_STATE" ]
}

tap_q() {
	tap_q_send "$1" "$2" && tap_q_wait
}
