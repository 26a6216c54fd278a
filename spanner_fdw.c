/*-------------------------------------------------------------------------
 *
 * spanner_fdw.c
 *		  Foreign-data wrapper for Google Cloud Spanner: module
 *		  initialisation, the handler, and the FdwRoutine callbacks in the
 *		  order of FdwRoutine, each delegating to the file that does the
 *		  work.
 *
 *	 planning			src/planner.c (shippable.c, deparse.c, remote_types.c)
 *	 executing scans	src/scan.c (convert.c, query.c)
 *	 IMPORT				src/import.c
 *	 options			src/option.c (the validator)
 *	 connections		src/connection.c and the files it names
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  spanner_fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include <curl/curl.h>

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/guc.h"

#include "spanner_fdw.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PG_FUNCTION_INFO_V1(spanner_fdw_handler);

static void
spanner_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	spanner_token_cache_shmem_request();
}

static void
spanner_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	spanner_token_cache_shmem_startup();
}

void
_PG_init(void)
{
	DefineCustomIntVariable("spanner_fdw.resume_buffer_kb",
							"Messages received after the last resume token are held up to this size, so that a broken stream can be resumed.",
							"Beyond it a broken stream can no longer be resumed.",
							&spanner_resume_buffer_kb,
							1024, 0, 1024 * 1024,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("spanner_fdw");

	/*
	 * Loaded by shared_preload_libraries: keep tokens in shared memory, so
	 * that a new connection reuses the token an earlier one obtained.
	 * Otherwise each backend caches its own.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = spanner_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = spanner_shmem_startup;
	}

	spanner_xact_register_callbacks();

	/* libcurl's global state; once per process, before any handle */
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialize libcurl")));
}

/* ---- scanning: planner.c and scan.c */

static void
spannerGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	spanner_get_rel_size(root, baserel, foreigntableid);
}

static void
spannerGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	spanner_get_paths(root, baserel, foreigntableid);
}

static ForeignScan *
spannerGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					  ForeignPath *best_path, List *tlist, List *scan_clauses,
					  Plan *outer_plan)
{
	return spanner_get_plan(root, baserel, foreigntableid, best_path, tlist,
							scan_clauses, outer_plan);
}

static void
spannerBeginForeignScan(ForeignScanState *node, int eflags)
{
	spanner_begin_scan(node, eflags);
}

static TupleTableSlot *
spannerIterateForeignScan(ForeignScanState *node)
{
	return spanner_iterate_scan(node);
}

static void
spannerReScanForeignScan(ForeignScanState *node)
{
	spanner_rescan(node);
}

static void
spannerEndForeignScan(ForeignScanState *node)
{
	spanner_end_scan(node);
}

/* ---- EXPLAIN: scan.c */

static void
spannerExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	spanner_explain_scan(node, es);
}

/* ---- IMPORT FOREIGN SCHEMA: import.c */

static List *
spannerImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return spanner_import_foreign_schema(stmt, serverOid);
}

/*
 * Foreign-data wrapper handler function: return a struct with pointers
 * to the callback routines.
 */
Datum
spanner_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	/* Functions for scanning foreign tables */
	routine->GetForeignRelSize = spannerGetForeignRelSize;
	routine->GetForeignPaths = spannerGetForeignPaths;
	routine->GetForeignPlan = spannerGetForeignPlan;
	routine->BeginForeignScan = spannerBeginForeignScan;
	routine->IterateForeignScan = spannerIterateForeignScan;
	routine->ReScanForeignScan = spannerReScanForeignScan;
	routine->EndForeignScan = spannerEndForeignScan;

	/* Support functions for EXPLAIN */
	routine->ExplainForeignScan = spannerExplainForeignScan;

	/* Support functions for IMPORT FOREIGN SCHEMA */
	routine->ImportForeignSchema = spannerImportForeignSchema;

	PG_RETURN_POINTER(routine);
}
