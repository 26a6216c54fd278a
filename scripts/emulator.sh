#!/bin/bash
# Manage the Cloud Spanner emulator on its own (no PostgreSQL, no build).
#   scripts/emulator.sh start [FLAG...]  start (or reuse) it; prints the REST endpoint.
#                                    FLAGs go to gateway_main (e.g. --enable_fault_injection;
#                                    default: $SF_EMULATOR_FLAGS); one running with other
#                                    flags is restarted
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
	shift
	[ $# = 0 ] || SF_EMULATOR_FLAGS=$*
	sf_install_deps
	sf_start_emulator
	echo "$SPANNER_EMULATOR_REST"
	;;
load)
	# keep the flags of a running emulator (started with "start FLAG...")
	SF_EMULATOR_FLAGS=$(sf_read "$SF_RUN/emulator.flags")
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
		flags=$(sf_read "$SF_RUN/emulator.flags")
		echo "running: http://127.0.0.1:$port (gateway pid $gw, emulator_main pid $em)${flags:+, flags: $flags}"
	else
		echo "not running"
		exit 1
	fi
	;;
stop)
	sf_stop_emulator
	;;
*)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
