#!/bin/bash
# Build and run the src/rest unit tests; prints TAP.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -f test/unit/rest.mk all-rest >&2
VG=()
if [ "${VALGRIND:-0}" = 1 ]; then
    VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
fi
"${VG[@]}" test/unit/test_stream test/data/spanner/streaming-read-acceptance-test.json
