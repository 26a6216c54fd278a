#!/bin/bash
# Stop what scripts/demo.sh or scripts/test.sh started (PostgreSQL and the
# Spanner emulator), by the PIDs recorded under .run/.  Data stays in .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
sf_stop_all
