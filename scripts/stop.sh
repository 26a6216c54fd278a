#!/bin/bash
# Stop what scripts/demo.sh or scripts/test.sh started (PostgreSQL and the
# Spanner emulator), by the PIDs recorded under .run/.  Data stays in .run/.
#   scripts/stop.sh           stop every namespace under .run/ (demo, test, ...)
#   scripts/stop.sh demo ...  stop only the named namespaces
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
if [ $# -eq 0 ]; then
	sf_stop_all
	exit 0
fi
for ns in "$@"; do
	[ -d "$SF_RUN_TOP/$ns" ] || { echo "no namespace $ns under $SF_RUN_TOP" >&2; continue; }
	sf_stop_named "$ns"
done
