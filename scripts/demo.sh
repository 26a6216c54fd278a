#!/bin/bash
# Start the Cloud Spanner emulator with a sample database and a PostgreSQL 15
# server with spanner_fdw, import the sample schema and run a few queries.
# Running it again rebuilds the extension, reloads the data and reuses the
# running servers.  Stop everything with scripts/stop.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export SF_NS=demo
. scripts/lib.sh

sf_install_deps
sf_build_install
sf_start_emulator
sf_setup_sample_db demo "$SF_PROJECT" "$SF_INSTANCE"
sf_start_pg

if [ "$(sf_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'demo'")" != 1 ]; then
	sf_psql -d postgres -q -c 'CREATE DATABASE demo'
fi

sf_log "creating the extension, server and user mapping; importing the schema"
if ! sf_psql -d demo -q -v ON_ERROR_STOP=1 <<SQL; then
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
ALTER EXTENSION spanner_fdw UPDATE;
DROP SERVER IF EXISTS spanner_demo CASCADE;
CREATE SERVER spanner_demo FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project '$SF_PROJECT', instance '$SF_INSTANCE', database 'demo',
           endpoint '$SPANNER_EMULATOR_REST');
CREATE USER MAPPING FOR CURRENT_USER SERVER spanner_demo OPTIONS (auth 'none');
DROP SCHEMA IF EXISTS spanner CASCADE;
CREATE SCHEMA spanner;
IMPORT FOREIGN SCHEMA public FROM SERVER spanner_demo INTO spanner;
DROP SCHEMA IF EXISTS spanner_sales CASCADE;
CREATE SCHEMA spanner_sales;
IMPORT FOREIGN SCHEMA sales FROM SERVER spanner_demo INTO spanner_sales;
SQL
	sf_err "setting up spanner_fdw in PostgreSQL failed (see above); the emulator and" \
		"PostgreSQL are still running: scripts/stop.sh stops them"
	exit 1
fi

echo
echo "================ sample queries (sample/queries.sql) ================"
if ! sf_psql -d demo -v ON_ERROR_STOP=1 -a -f - <sample/queries.sql; then
	sf_err "a sample query failed (see above); scripts/stop.sh stops the servers"
	exit 1
fi

cat <<EOF

================ ready ================
Spanner emulator (REST): $SPANNER_EMULATOR_REST   project $SF_PROJECT, instance $SF_INSTANCE, database demo
PostgreSQL 15:           port $SF_PG_PORT, database demo, foreign tables in schemas spanner and spanner_sales

Connect with psql:
  runuser -u $(sf_pg_user) -- psql -h $SF_PG_SOCK -p $SF_PG_PORT -d demo
  (or over TCP, from any OS user: psql -h 127.0.0.1 -p $SF_PG_PORT -U $(sf_pg_user) -d demo)
Stop the emulator and PostgreSQL:
  scripts/stop.sh
EOF
