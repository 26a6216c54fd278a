/*-------------------------------------------------------------------------
 *
 * pg_jsonc.h
 *		  Include json-c in a PostgreSQL-facing file.
 *
 * PostgreSQL declares a SQL-callable function named json_object (in
 * utils/fmgrprotos.h), which clashes with json-c's typedef of the same
 * name.  Include this right after postgres.h: it reads fmgrprotos.h with
 * that one prototype renamed, so later includes of it are no-ops.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/pg_jsonc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_JSONC_H
#define PG_JSONC_H

#ifdef FMGRPROTOS_H
#error "include pg_jsonc.h right after postgres.h"
#endif

#define json_object pg_sql_json_object
#include "utils/fmgrprotos.h"
#undef json_object

#include <json-c/json.h>

#endif							/* PG_JSONC_H */
