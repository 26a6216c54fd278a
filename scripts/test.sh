#!/bin/bash
# Build spanner_fdw, start a fresh Cloud Spanner emulator with the sample
# database "test", and run the test suites:
#   (a) test/unit/run_*.sh            unit-test programs printing TAP
#   (b) pg_regress                    the REGRESS list of the Makefile, in a
#                                     temporary PostgreSQL 15 instance
#   (c) test/*/run_*.sh (not unit/)   other TAP runners (e.g. test/auth/)
# Then stop everything it started and print, as the very last line,
#   N passed, N failed
# Exit status: non-zero if anything failed or no test ran.
#
# Usage:
#   scripts/test.sh                every suite
#   scripts/test.sh SUITE...       only these suites, with the same set-up and
#                                  the same last line
#   scripts/test.sh --list         print the suite names (no set-up)
# Suite names:
#   regress         every pg_regress test of the REGRESS list
#   NAME            one pg_regress test of the REGRESS list (options, scan,
#                   ...); the pg_regress tests named run in one pg_regress
#                   invocation, in REGRESS order ("regress/NAME" also works)
#   unit            every test/unit/run_*.sh
#   X               the runner test/DIR/run_X.sh; also run_X, DIR/X,
#                   DIR/run_X, and X with "-" for "_" (auth-e2e)
#   auth            test/auth/run_auth_sql.sh (SQL-level authentication)
# The suites run in the order (a), (b), (c) whatever the order of the names.
# An unknown or ambiguous name is an error before any set-up.
#
# Tests reach the emulator through:
#   - pg_regress: the GUC spanner_test.endpoint (also .project, .instance,
#     .database), set in the temporary instance's postgresql.conf and in
#     PGOPTIONS; read it with
#       SELECT current_setting('spanner_test.endpoint') AS endpoint \gset
#   - every runner: the environment SPANNER_EMULATOR_REST=http://127.0.0.1:PORT,
#     SPANNER_TEST_PROJECT, SPANNER_TEST_INSTANCE, SPANNER_TEST_DATABASE; the
#     runner may also `. scripts/lib.sh` (SF_NS=test is exported) and call
#     sf_start_pg etc.; whatever it starts there is stopped at the end.
#
# Options (environment):
#   VALGRIND=1           run the pg_regress server under valgrind (memcheck);
#                        a backend with a valgrind error counts as a failure.
#                        Logs: <run dir>/regress/valgrind/<pid>.log
#   SF_TEST_TIMEOUT=N    seconds allowed for each runner (default 1800)
#   SF_KEEP_RUNNING=1    leave the emulator running at the end (debugging)
#   SF_TEST_NS=name      run-state namespace under .run/ (default "test")
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export SF_NS=${SF_TEST_NS:-test}
. scripts/lib.sh

# sf_make_var NAME: the value of a variable of the Makefile (make evaluates it).
sf_make_var() {
	local mk rc=0
	mk=$(mktemp) || return 1
	printf 'sf-print-%%:\n\t@echo $($*)\n' >"$mk"
	make -s --no-print-directory -C "$SF_ROOT" -f Makefile -f "$mk" \
		PG_CONFIG="$SF_PG_CONFIG" "sf-print-$1" 2>/dev/null || rc=$?
	rm -f "$mk"
	[ "$rc" = 0 ] && return 0
	# fallback: read "NAME = ..." lines (with continuations) by hand
	awk -v n="$1" '
		cont { line = line " " $0; if (line !~ /\\$/) { cont = 0; print line; line = "" }; next }
		$0 ~ "^" n "[ \t]*[:+]?=" { sub("^" n "[ \t]*[:+]?=", ""); line = $0
			if (line ~ /\\$/) cont = 1; else { print line; line = "" } }
	' "$SF_ROOT/Makefile" | tr -d '\\' | tr -s ' \t' ' '
}

# ---------------------------------------------------------------- suites
# Every suite is found afresh on each run: the REGRESS list of the Makefile,
# and every test/*/run_*.sh (the test/unit ones first, as they run first).
# shellcheck disable=SC2207  # the names hold no blanks
REGRESS_TESTS=($(sf_make_var REGRESS))
RUNNERS=()
for f in test/unit/run_*.sh test/*/run_*.sh; do
	[ -f "$f" ] || continue
	case " ${RUNNERS[*]} " in *" $f "*) continue ;; esac
	RUNNERS+=("$f")
done
# names that are not derived from a runner's file name: NAME=PATH
SUITE_ALIASES=(auth=test/auth/run_auth_sql.sh)

# runner_key PATH|NAME: "DIR/X" for test/DIR/run_X.sh, with "-" for "_" in X
# (from a user's name: "X" alone when no directory is given)
runner_key() {
	local n=$1 d=
	n=${n#./}
	n=${n#test/}
	n=${n%.sh}
	case $n in */*) d=${n%%/*}/ n=${n#*/} ;; esac
	n=${n#run_}
	printf '%s%s\n' "$d" "${n//_/-}"
}

# suite_list: the valid names, a suite a line: "NAME  what it runs (other names)"
suite_list() {
	local t f a x d name others
	printf '%-16s %s\n' regress "every pg_regress test of the Makefile's REGRESS list"
	for t in "${REGRESS_TESTS[@]}"; do
		printf '%-16s %s\n' "$t" "pg_regress sql/$t.sql (also regress/$t)"
	done
	printf '%-16s %s\n' unit "every test/unit/run_*.sh"
	for f in "${RUNNERS[@]}"; do
		x=$(basename "$f" .sh)
		x=${x#run_}
		d=$(basename "$(dirname "$f")")
		name=$x others=
		for a in "${SUITE_ALIASES[@]}"; do
			[ "${a#*=}" = "$f" ] && name=${a%%=*} others="$x, "
		done
		[ "${x//_/-}" != "$x" ] && others="$others${x//_/-}, "
		printf '%-16s %s\n' "$name" "$f (also ${others}run_$x, $d/$x)"
	done
}

# select_suite NAME: add what NAME names to SEL_REGRESS / SEL_RUNNERS; on an
# unknown or ambiguous name print why on stderr and return 1.
declare -A SEL_REGRESS=() SEL_RUNNERS=()
select_suite() {
	local n=$1 t f a key hits=()
	case $n in
	regress)
		for t in "${REGRESS_TESTS[@]}"; do SEL_REGRESS[$t]=1; done
		return 0
		;;
	unit)
		for f in "${RUNNERS[@]}"; do
			case $f in test/unit/*) SEL_RUNNERS[$f]=1 ;; esac
		done
		return 0
		;;
	regress/*)
		for t in "${REGRESS_TESTS[@]}"; do
			[ "$t" = "${n#regress/}" ] && { SEL_REGRESS[$t]=1; return 0; }
		done
		;;
	esac
	for a in "${SUITE_ALIASES[@]}"; do
		[ "${a%%=*}" = "$n" ] && { SEL_RUNNERS[${a#*=}]=1; return 0; }
	done
	for t in "${REGRESS_TESTS[@]}"; do
		[ "$t" = "$n" ] && hits+=("regress/$t")
	done
	key=$(runner_key "$n")
	for f in "${RUNNERS[@]}"; do
		case $key in
		*/*) [ "$(runner_key "$f")" = "$key" ] && hits+=("$f") ;;
		*) [ "$(runner_key "$f" | cut -d/ -f2-)" = "$key" ] && hits+=("$f") ;;
		esac
	done
	if [ ${#hits[@]} = 0 ]; then
		sf_err "unknown test suite '$n'"
		return 1
	fi
	if [ ${#hits[@]} -gt 1 ]; then
		sf_err "ambiguous test suite '$n': ${hits[*]}"
		return 1
	fi
	case ${hits[0]} in
	regress/*) SEL_REGRESS[${hits[0]#regress/}]=1 ;;
	*) SEL_RUNNERS[${hits[0]}]=1 ;;
	esac
}

SELECT_ALL=1
bad=0
for arg in "$@"; do
	case $arg in
	--list)
		suite_list
		exit 0
		;;
	-h | --help)
		sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	-*)
		sf_err "unknown option '$arg'"
		bad=1
		;;
	*)
		SELECT_ALL=0
		select_suite "$arg" || bad=1
		;;
	esac
done
if [ "$bad" = 1 ]; then
	{
		echo "usage: scripts/test.sh [--list | SUITE...]; the suites are:"
		suite_list | sed 's/^/  /'
	} >&2
	exit 2
fi

# selected_runner PATH: true if the runner PATH is to run
selected_runner() {
	[ "$SELECT_ALL" = 1 ] || [ -n "${SEL_RUNNERS[$1]:-}" ]
}

PASS=0
FAIL=0
SKIP=0
RAN=0
TIMEOUT=${SF_TEST_TIMEOUT:-1800}
LOGDIR=$SF_RUN/logs
FAILED_NAMES=()

cleanup() {
	if [ "${SF_KEEP_RUNNING:-0}" != 1 ]; then
		SF_QUIET=1 sf_stop_ns >/dev/null 2>&1 || true
	fi
}

finish() {
	trap - EXIT INT TERM
	cleanup
	if [ ${#FAILED_NAMES[@]} -gt 0 ]; then
		echo "failed: ${FAILED_NAMES[*]}"
	fi
	if [ "$RAN" = 0 ] && [ "$FAIL" = 0 ]; then
		echo "no test ran"
	fi
	if [ "$SKIP" -gt 0 ]; then
		echo "$PASS passed, $FAIL failed, $SKIP skipped"
	else
		echo "$PASS passed, $FAIL failed"
	fi
	if [ "$FAIL" -gt 0 ] || [ "$RAN" = 0 ]; then
		exit 1
	fi
	exit 0
}
trap 'cleanup' EXIT
trap 'echo "interrupted"; FAIL=$((FAIL + 1)); finish' INT TERM

setup_failed() {
	sf_err "$*"
	FAIL=$((FAIL + 1))
	FAILED_NAMES+=("setup")
	finish
}

# Credentials and proxies of the caller never reach the tests.
while IFS= read -r v; do
	unset "$v"
done < <(env | sed -n 's/^\(\(AWS_\|GOOGLE_\|GCE_\|CLOUDSDK_\|GCLOUD_\)[A-Za-z0-9_]*\)=.*/\1/p')
unset SPANNER_EMULATOR_HOST http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1
export TZ=UTC

sf_install_deps || setup_failed "installing dependencies failed"
sf_build_install || setup_failed "building spanner_fdw failed"
# A fresh emulator for every run: it keeps nothing across restarts and slows
# down with every transaction it has served.
sf_stop_emulator
sf_start_emulator || setup_failed "starting the Spanner emulator failed"
sf_setup_sample_db test "$SF_PROJECT" "$SF_INSTANCE" || setup_failed "loading the sample database failed"
for db in writes writes2; do
	sf_create_database "$SF_PROJECT" "$SF_INSTANCE" $db "$SF_ROOT/test/data/spanner/writes.ddl" ||
		setup_failed "creating the databases for the write tests failed"
done
export SPANNER_TEST_PROJECT=$SF_PROJECT SPANNER_TEST_INSTANCE=$SF_INSTANCE SPANNER_TEST_DATABASE=test
export PG_CONFIG=$SF_PG_CONFIG
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

# add_counts NAME PASS FAIL SKIP
add_counts() {
	PASS=$((PASS + $2))
	FAIL=$((FAIL + $3))
	SKIP=$((SKIP + $4))
	RAN=$((RAN + $2 + $3 + $4))
	[ "$3" -gt 0 ] && FAILED_NAMES+=("$1")
	if [ "$4" -gt 0 ]; then
		echo "== $1: $2 passed, $3 failed, $4 skipped"
	else
		echo "== $1: $2 passed, $3 failed"
	fi
}

# run_tap NAME CMD...: run CMD (output shown and kept in the log), count TAP.
run_tap() {
	local name=$1 log rc p f s plan
	shift
	log=$LOGDIR/$(printf '%s' "$name" | tr '/ ' '__').log
	echo
	echo "======== $name"
	timeout --kill-after=10 "$TIMEOUT" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f s plan < <(sf_count_tap "$log")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "== $name: timed out after $TIMEOUT s"
		f=$((f + 1))
	elif [ "$plan" -gt 0 ] && [ $((p + f + s)) -lt "$plan" ]; then
		echo "== $name: planned $plan tests, saw $((p + f + s))"
		f=$((f + plan - p - f - s))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "== $name: exited with status $rc"
		f=$((f + 1))
	fi
	add_counts "$name" "$p" "$f" "$s"
}

sf_any_file() {
	local f
	for f in "$@"; do
		[ -f "$f" ] && return 0
	done
	return 1
}

# ---------------------------------------------------------------- (a) unit
for f in "${RUNNERS[@]}"; do
	case $f in test/unit/*) ;; *) continue ;; esac
	selected_runner "$f" || continue
	run_tap "$f" bash "$f"
done

# ---------------------------------------------------------------- (b) pg_regress
# run_regress TEST...: run these tests of the REGRESS list in one pg_regress.
run_regress() {
	local tests=$* opts inputdir=$SF_ROOT o extra=() base out pgr bindir port rc
	opts=$(sf_make_var REGRESS_OPTS)
	for o in $opts; do
		case $o in
		--inputdir=*)
			inputdir=${o#--inputdir=}
			case $inputdir in /*) ;; *) inputdir=$SF_ROOT/$inputdir ;; esac
			;;
		--temp-instance=* | --bindir=* | --outputdir=* | --temp-config=* | --port=*) ;;
		*) extra+=("$o") ;;
		esac
	done
	# A test without its .sql or expected .out file would stop pg_regress
	# altogether: count it as failed here and run the others.
	local t kept=() nmissing=0
	for t in $tests; do
		if [ ! -f "$inputdir/sql/$t.sql" ] && [ ! -f "$inputdir/input/$t.source" ]; then
			echo "== pg_regress: $t: no sql/$t.sql in $inputdir"
			nmissing=$((nmissing + 1))
			FAILED_NAMES+=("pg_regress:$t")
		elif ! sf_any_file "$inputdir/expected/$t.out" "$inputdir/expected/${t}"_[0-9].out \
			"$inputdir/output/$t.source"; then
			echo "== pg_regress: $t: no expected/$t.out in $inputdir"
			nmissing=$((nmissing + 1))
			FAILED_NAMES+=("pg_regress:$t")
		else
			kept+=("$t")
		fi
	done
	if [ "$nmissing" -gt 0 ]; then
		FAIL=$((FAIL + nmissing))
		RAN=$((RAN + nmissing))
	fi
	[ ${#kept[@]} -gt 0 ] || return 0
	tests=${kept[*]}
	pgr=$(dirname "$("$SF_PG_CONFIG" --pgxs)")/../../src/test/regress/pg_regress
	[ -x "$pgr" ] || {
		echo "== pg_regress: $pgr not found"
		add_counts pg_regress 0 1 0
		return 0
	}
	base=$(sf_pg_base) || {
		add_counts pg_regress 0 1 0
		return 0
	}
	out=$base/regress
	rm -rf "$out"
	mkdir -p "$out" && chown "$(sf_pg_user)" "$out"
	# pg_regress runs as the PostgreSQL OS user: give it a copy of the test
	# files if it cannot read them where they are.
	if ! sf_as_pg test -r "$inputdir/sql" -a -x "$inputdir/sql" 2>/dev/null; then
		local stage=$base/regress-input d
		rm -rf "$stage"
		mkdir -p "$stage"
		for d in sql expected input output data; do
			[ -d "$inputdir/$d" ] && cp -r "$inputdir/$d" "$stage/"
		done
		chown -R "$(sf_pg_user)" "$stage"
		inputdir=$stage
	fi
	# helpers the regression tests start themselves (COPY ... TO PROGRAM)
	mkdir -p "$out/standins"
	cp "$SF_ROOT"/test/standins/*.py "$out/standins/"
	chown -R "$(sf_pg_user)" "$out/standins"
	cat >"$out/temp.conf" <<EOF
spanner_test.standins = '$out/standins'
lc_messages = 'C'
timezone = 'UTC'
log_timezone = 'UTC'
datestyle = 'ISO, MDY'
jit = off
spanner_test.endpoint = '$SPANNER_EMULATOR_REST'
spanner_test.project = '$SF_PROJECT'
spanner_test.instance = '$SF_INSTANCE'
spanner_test.database = 'test'
EOF
	bindir=$SF_PG_BINDIR
	local venv=()
	if [ "${VALGRIND:-0}" = 1 ]; then
		bindir=$base/valgrind-bin
		local vlog=$out/valgrind supp=$SF_ROOT/test/valgrind.supp f
		rm -rf "$bindir"
		mkdir -p "$bindir" "$vlog"
		chown "$(sf_pg_user)" "$vlog"
		for f in "$SF_PG_BINDIR"/*; do ln -s "$f" "$bindir/"; done
		rm -f "$bindir/postgres"
		if ! sf_as_pg test -r "$supp" 2>/dev/null; then
			cp "$supp" "$base/valgrind.supp" && chmod 644 "$base/valgrind.supp"
			supp=$base/valgrind.supp
		fi
		cat >"$bindir/postgres" <<EOF
#!/bin/sh
# postgres under valgrind memcheck (scripts/test.sh VALGRIND=1)
exec valgrind --quiet --trace-children=yes --track-origins=yes \\
  --num-callers=40 --gen-suppressions=all \\
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=none \\
  --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END --error-exitcode=128 \\
  --suppressions=$supp --log-file=$vlog/%p.log \\
  "$SF_PG_BINDIR/postgres" "\$@"
EOF
		chmod 755 "$bindir/postgres"
		venv=(PGCTLTIMEOUT=600)
		echo "== pg_regress under valgrind (logs in $vlog)"
	fi
	port=$(sf_free_port)
	echo
	echo "======== pg_regress: $tests"
	(cd "$out" && sf_as_pg env -u LC_ALL -u LC_CTYPE -u LC_COLLATE -u LC_MESSAGES LANG=C.UTF-8 \
		PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c spanner_test.endpoint=$SPANNER_EMULATOR_REST" \
		"${venv[@]}" \
		timeout --kill-after=10 "$TIMEOUT" "$pgr" \
		--temp-instance="$out/tmp_check" --bindir="$bindir" --inputdir="$inputdir" \
		--outputdir="$out" --temp-config="$out/temp.conf" --port="$port" \
		--dbname=contrib_regression "${extra[@]}" $tests) </dev/null 2>&1 | tee "$LOGDIR/pg_regress.log"
	rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -cE '\.\.\. +ok( |$)' "$LOGDIR/pg_regress.log")
	f=$(grep -cE '\.\.\. +FAILED' "$LOGDIR/pg_regress.log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "== pg_regress exited with status $rc"
		f=1
		tail -n 30 "$out/log/initdb.log" "$out/log/postmaster.log" 2>/dev/null
	fi
	if [ -s "$out/regression.diffs" ]; then
		echo "======== $out/regression.diffs"
		head -n 3000 "$out/regression.diffs"
	fi
	if [ "${VALGRIND:-0}" = 1 ]; then
		local bad others l
		bad=() others=0
		for l in "$out"/valgrind/*.log; do
			[ -f "$l" ] || continue
			case $(valgrind_findings "$l") in
			ours) bad+=("$l") ;;
			others) others=$((others + 1)) ;;
			esac
		done
		if [ ${#bad[@]} -gt 0 ]; then
			echo "== valgrind: errors or definite leaks in the project's code in ${#bad[@]} process(es):"
			for l in "${bad[@]:0:5}"; do
				echo "---- $l"
				head -n 200 "$l"
			done
			f=$((f + ${#bad[@]}))
		else
			echo "== valgrind: no errors, no definite leaks in the project's code"
		fi
		[ "$others" = 0 ] ||
			echo "== valgrind: $others process(es) with definite leaks only outside the project's code (PostgreSQL, libraries; not counted)"
	fi
	add_counts pg_regress "$p" "$f" 0
}
# valgrind_findings LOG: "ours" if the valgrind log of one process has an
# error, or a definite leak whose stack passes through spanner_fdw; "others"
# if it has only definite leaks that do not (PostgreSQL's own, such as what
# the postmaster allocates once and never frees); nothing if it is clean.
# Leaks are not made errors (--errors-for-leak-kinds=none), so that they do
# not change a process's exit status, but they are marked like errors.
valgrind_findings() {
	awk '
		/VALGRINDERROR-BEGIN/ { inb = 1; blk = ""; next }
		/VALGRINDERROR-END/ {
			inb = 0
			if (blk !~ /are definitely lost in loss record/ || blk ~ /spanner_fdw/) ours = 1
			else others = 1
			next
		}
		inb { blk = blk "\n" $0 }
		END { if (ours) print "ours"; else if (others) print "others" }
	' "$1"
}

# (read again now that the build tools are surely installed)
# shellcheck disable=SC2207
[ "$SELECT_ALL" = 1 ] && REGRESS_TESTS=($(sf_make_var REGRESS))
regress_run=()
for t in "${REGRESS_TESTS[@]}"; do
	if [ "$SELECT_ALL" = 1 ] || [ -n "${SEL_REGRESS[$t]:-}" ]; then
		regress_run+=("$t")
	fi
done
if [ ${#regress_run[@]} -gt 0 ]; then
	run_regress "${regress_run[@]}"
elif [ "$SELECT_ALL" = 1 ]; then
	echo "== pg_regress: no REGRESS tests in the Makefile"
fi

# ---------------------------------------------------------------- (c) other runners
for f in "${RUNNERS[@]}"; do
	case $f in test/unit/*) continue ;; esac
	selected_runner "$f" || continue
	run_tap "$f" bash "$f"
done

finish
