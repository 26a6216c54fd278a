#!/usr/bin/env bash
# test/auth/run_auth_e2e.sh
#	End-to-end test of the src/auth client against the local stand-ins for
#	Google STS, IAM Credentials, EC2 IMDSv2 and ECS container credentials.
#
#	Builds test/unit/test_auth_e2e, starts test/standins/auth_standins.py on
#	127.0.0.1 (port 0) twice, over HTTP and over HTTPS with a throw-away
#	self-signed certificate (made with the openssl command), runs the driver
#	(TAP), and stops the stand-ins by PID.
#	VALGRIND=1 runs the driver under valgrind (leaks are errors).
#	Last line: "auth-e2e: N passed, N failed".
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1

# Nothing from the caller's environment may leak into the test: no proxies
# (the driver talks to 127.0.0.1), no AWS credentials (the driver injects
# its own environment, but keep the process clean all the same).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

make -s -f test/unit/auth.mk test/unit/test_auth_e2e >&2 || {
	echo "auth-e2e: 0 passed, 1 failed"
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/auth_e2e.XXXXXX")
pid=
tls_pid=

stop_pid() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1"
		wait "$1"
		return $?
	fi
	return 0
}
cleanup() {
	stop_pid "$pid" >/dev/null 2>&1
	stop_pid "$tls_pid" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# start_standins NAME [extra args...]: starts one stand-in server, waits
# for its port file; sets $started_pid and $started_port
start_standins() {
	local name=$1
	shift
	python3 test/standins/auth_standins.py --config test/auth/standin_config.json \
		--port-file "$work/$name.port" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	started_pid=$!
	for _ in $(seq 1 100); do
		[ -s "$work/$name.port" ] && break
		kill -0 "$started_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$work/$name.port" ]; then
		echo "# the $name stand-ins did not start:" >&2
		sed 's/^/#   /' "$work/$name.err" >&2
		echo "auth-e2e: 0 passed, 1 failed"
		exit 1
	fi
	started_port=$(cat "$work/$name.port")
	echo "# $name stand-ins listening on 127.0.0.1:$started_port (pid $started_pid)"
}

start_standins http
pid=$started_pid
port=$started_port

# A second instance over HTTPS with a throw-away self-signed certificate,
# to test TLS verification and the CA file option.
if ! command -v openssl >/dev/null; then
	echo "# openssl (the command) is needed to make the test certificate" >&2
	echo "auth-e2e: 0 passed, 1 failed"
	exit 1
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$work/tls.key" -out "$work/tls.crt" >/dev/null 2>&1 || {
	echo "# could not create the test certificate" >&2
	echo "auth-e2e: 0 passed, 1 failed"
	exit 1
}
start_standins https --tls-cert "$work/tls.crt" --tls-key "$work/tls.key"
tls_pid=$started_pid
tls_port=$started_port

runner=()
if [ "${VALGRIND:-0}" = 1 ]; then
	runner=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
		--error-exitcode=99)
fi

"${runner[@]}" test/unit/test_auth_e2e "$port" test/auth/standin_config.json "$work" \
	"$tls_port" "$work/tls.crt" | tee "$work/tap"
rc=${PIPESTATUS[0]}

passed=$(grep -c '^ok ' "$work/tap")
failed=$(grep -c '^not ok ' "$work/tap")

# the stand-ins must exit cleanly on SIGTERM
for name in http https; do
	if [ $name = http ]; then p=$pid; else p=$tls_pid; fi
	if stop_pid "$p"; then
		echo "# $name stand-ins stopped on SIGTERM"
	else
		echo "# the $name stand-ins did not exit cleanly on SIGTERM"
		failed=$((failed + 1))
	fi
done
pid=
tls_pid=
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "# test_auth_e2e exited with status $rc"
	failed=1
fi
for name in http https; do
	if [ -s "$work/$name.err" ]; then
		echo "# $name stand-in stderr:"
		sed 's/^/#   /' "$work/$name.err"
	fi
done
echo "auth-e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
