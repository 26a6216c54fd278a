# bench/lib.sh -- what the bench/run_*.sh scripts share, sourced from the
# repository root after scripts/lib.sh:
#   bench_init NAME RUNTAG   the run directory (BENCH_RUN_DIR, default
#                            /tmp/spanner_fdw_bench_RUNTAG.<hash of the repo
#                            path>), the output directory OUT (BENCH_OUT,
#                            default bench/out/NAME-<timestamp>), log(), and
#                            the traps that stop, on every exit path, the
#                            PostgreSQL and emulator of namespace $SF_NS once
#                            STARTED=1 (and first call bench_before_stop, if
#                            the script defines it), and remove $TMPD if set.
# The caller sets SF_NS (and may set SF_PROJECT, SF_INSTANCE) before
# sourcing scripts/lib.sh.

bench_init() {
	BENCH_NAME=$1
	BENCH_DIR=$SF_ROOT/bench
	SF_RUN=${BENCH_RUN_DIR:-/tmp/spanner_fdw_bench_$2.$(printf '%s' "$SF_ROOT" | md5sum | cut -c1-10)}
	export SF_RUN
	export SF_EMULATOR_FLAGS=
	OUT=${BENCH_OUT:-$BENCH_DIR/out/$1-$(date -u +%Y%m%dT%H%M%SZ)}
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	STARTED=0
	TMPD=
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

log() { printf '[bench-%s %s] %s\n' "$BENCH_NAME" "$(date -u +%H:%M:%S)" "$*" >&2; }

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if declare -F bench_before_stop >/dev/null; then
		bench_before_stop || true
	fi
	if [ "$STARTED" = 1 ]; then
		log "stopping PostgreSQL and the emulator of namespace $SF_NS (by PID)"
		sf_stop_ns || true
	fi
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
	exit $rc
}
