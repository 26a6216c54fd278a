#!/bin/bash
# Manage the Cloud Spanner emulator on its own (no PostgreSQL, no build).
#   scripts/emulator.sh start        start (or reuse) it; prints the REST endpoint
#   scripts/emulator.sh load [DB]    (re)create DB (default demo) from sample/ and load it
#   scripts/emulator.sh sql DB SQL   run one GoogleSQL query, print the JSON result
#   scripts/emulator.sh status       print the endpoint and PIDs, or "not running"
#   scripts/emulator.sh stop         stop it
# Uses the namespace in $SF_NS (default demo), i.e. the demo's emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

case ${1:-} in
start)
	sf_install_deps
	sf_start_emulator
	echo "$SPANNER_EMULATOR_REST"
	;;
load)
	sf_start_emulator
	sf_setup_sample_db "${2:-demo}"
	;;
sql)
	[ $# -ge 3 ] || { echo "usage: $0 sql DB SQL" >&2; exit 2; }
	sf_need_emulator
	sf_exec_sql "$2" "$3"
	;;
status)
	port=$(sf_read "$SF_RUN/emulator.port")
	gw=$(sf_read "$SF_RUN/emulator.gateway.pid")
	em=$(sf_read "$SF_RUN/emulator.main.pid")
	if [ -n "$port" ] && sf_pid_is "$gw" gateway_main && sf_pid_is "$em" emulator_main && sf_rest_ok "$port"; then
		echo "running: http://127.0.0.1:$port (gateway pid $gw, emulator_main pid $em)"
	else
		echo "not running"
		exit 1
	fi
	;;
stop)
	sf_stop_emulator
	;;
*)
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
