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
 *	 writing			src/modify.c (row by row, COPY), src/direct.c
 *						(statements Spanner runs whole, TRUNCATE)
 *	 transactions		src/commit.c (callbacks) and src/xact.c
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
	spanner_session_cache_shmem_request();
}

static void
spanner_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	spanner_token_cache_shmem_startup();
	spanner_session_cache_shmem_startup();
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
	DefineCustomBoolVariable("spanner_fdw.lazy_read_write",
							 "REPEATABLE READ and SERIALIZABLE blocks begin the Spanner read-write transaction at their first write.",
							 "Reads before it use a read-only snapshot and take no locks (for a PostgreSQL used as a gateway behind postgres_fdw). A server's lazy_read_write option overrides it.",
							 &spanner_lazy_read_write,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("spanner_fdw.commit_mutation_limit",
							"The most values one Spanner commit of buffered inserts may carry.",
							NULL,
							&spanner_commit_mutation_limit,
							80000, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("spanner_fdw.nonatomic_bulk_load",
							 "An autocommit INSERT or COPY too large for one Spanner commit is committed in several (not atomic).",
							 NULL,
							 &spanner_nonatomic_bulk_load,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("spanner_fdw.partitioned_dml",
							 "UPDATE, DELETE and TRUNCATE run as Spanner partitioned DML (outside transaction blocks; not atomic).",
							 NULL,
							 &spanner_partitioned_dml,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("spanner_fdw.pushdown",
							 "Sorts, LIMIT/OFFSET, aggregates and lookups per outer row run on Spanner where they can.",
							 "Off: they run locally (conditions are still sent). For comparisons and diagnosis.",
							 &spanner_pushdown,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("spanner_fdw.request_tag",
							   "Request tag of the Spanner queries, reads and DML of this session.",
							   "Empty: the foreign table's or server's request_tag option, else \"pg:<role>/<application_name>/<kind>\". \"none\": no tag.",
							   &spanner_request_tag_guc,
							   "",
							   PGC_USERSET, 0,
							   spanner_check_tag_guc, NULL, NULL);
	DefineCustomStringVariable("spanner_fdw.transaction_tag",
							   "Transaction tag of the Spanner read-write transactions this session begins.",
							   "Empty: the foreign table's or server's transaction_tag option, else \"pg:<role>/<application_name>/<kind>\" (kind \"block\" in a transaction block). \"none\": no tag.",
							   &spanner_transaction_tag_guc,
							   "",
							   PGC_USERSET, 0,
							   spanner_check_tag_guc, NULL, NULL);
	DefineCustomStringVariable("spanner_fdw.priority",
							   "Priority of the Spanner requests of this session: low, medium or high.",
							   "Empty: the foreign table's or server's priority option, else Spanner's default.",
							   &spanner_priority_guc,
							   "",
							   PGC_USERSET, 0,
							   spanner_check_priority_guc, NULL, NULL);
	MarkGUCPrefixReserved("spanner_fdw");

	/*
	 * Loaded by shared_preload_libraries: keep tokens and multiplexed
	 * sessions in shared memory, so that a new connection reuses the token
	 * and the session an earlier one obtained.  Otherwise each backend
	 * caches its own.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = spanner_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = spanner_shmem_startup;
	}

	spanner_commit_register_callbacks();

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

static void
spannerGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel,
						   RelOptInfo *outerrel, RelOptInfo *innerrel,
						   JoinType jointype, JoinPathExtraData *extra)
{
	spanner_get_join_paths(root, joinrel, outerrel, innerrel, jointype, extra);
}

static bool
spannerAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						   BlockNumber *totalpages)
{
	return spanner_analyze_table(relation, func, totalpages);
}

static void
spannerGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
							RelOptInfo *input_rel, RelOptInfo *output_rel,
							void *extra)
{
	spanner_get_upper_paths(root, stage, input_rel, output_rel, extra);
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

/* ---- writing row by row: modify.c */

static void
spannerAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
							   RangeTblEntry *target_rte, Relation target_relation)
{
	spanner_add_update_targets(root, rtindex, target_rte, target_relation);
}

static List *
spannerPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
						 Index resultRelation, int subplan_index)
{
	return spanner_plan_modify(root, plan, resultRelation, subplan_index);
}

static void
spannerBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						  List *fdw_private, int subplan_index, int eflags)
{
	spanner_begin_modify(mtstate, rinfo, fdw_private, subplan_index, eflags);
}

static TupleTableSlot *
spannerExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return spanner_exec_insert(estate, rinfo, slot, planSlot);
}

static TupleTableSlot **
spannerExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
							  TupleTableSlot **slots, TupleTableSlot **planSlots,
							  int *numSlots)
{
	return spanner_exec_batch_insert(estate, rinfo, slots, planSlots, numSlots);
}

static int
spannerGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	return spanner_modify_batch_size(rinfo);
}

static TupleTableSlot *
spannerExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return spanner_exec_update(estate, rinfo, slot, planSlot);
}

static TupleTableSlot *
spannerExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
						 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return spanner_exec_delete(estate, rinfo, slot, planSlot);
}

static void
spannerEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	spanner_end_modify(estate, rinfo);
}

static void
spannerBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	spanner_begin_insert(mtstate, rinfo);
}

static void
spannerEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	spanner_end_insert(estate, rinfo);
}

static int
spannerIsForeignRelUpdatable(Relation rel)
{
	return spanner_is_updatable(rel);
}

/* ---- statements Spanner runs whole: direct.c */

static bool
spannerPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
						Index resultRelation, int subplan_index)
{
	return spanner_plan_direct_modify(root, plan, resultRelation, subplan_index);
}

static void
spannerBeginDirectModify(ForeignScanState *node, int eflags)
{
	spanner_begin_direct_modify(node, eflags);
}

static TupleTableSlot *
spannerIterateDirectModify(ForeignScanState *node)
{
	return spanner_iterate_direct_modify(node);
}

static void
spannerEndDirectModify(ForeignScanState *node)
{
	spanner_end_direct_modify(node);
}

static void
spannerExecForeignTruncate(List *rels, DropBehavior behavior, bool restart_seqs)
{
	spanner_exec_truncate(rels, behavior, restart_seqs);
}

/* ---- EXPLAIN: scan.c, modify.c, direct.c */

static void
spannerExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	spanner_explain_scan(node, es);
}

static void
spannerExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							List *fdw_private, int subplan_index, ExplainState *es)
{
	spanner_explain_modify(mtstate, rinfo, fdw_private, subplan_index, es);
}

static void
spannerExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	spanner_explain_direct_modify(node, es);
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
	routine->GetForeignUpperPaths = spannerGetForeignUpperPaths;
	routine->GetForeignJoinPaths = spannerGetForeignJoinPaths;
	routine->AnalyzeForeignTable = spannerAnalyzeForeignTable;
	routine->BeginForeignScan = spannerBeginForeignScan;
	routine->IterateForeignScan = spannerIterateForeignScan;
	routine->ReScanForeignScan = spannerReScanForeignScan;
	routine->EndForeignScan = spannerEndForeignScan;

	/* Functions for updating foreign tables */
	routine->AddForeignUpdateTargets = spannerAddForeignUpdateTargets;
	routine->PlanForeignModify = spannerPlanForeignModify;
	routine->BeginForeignModify = spannerBeginForeignModify;
	routine->ExecForeignInsert = spannerExecForeignInsert;
	routine->ExecForeignBatchInsert = spannerExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = spannerGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = spannerExecForeignUpdate;
	routine->ExecForeignDelete = spannerExecForeignDelete;
	routine->EndForeignModify = spannerEndForeignModify;
	routine->BeginForeignInsert = spannerBeginForeignInsert;
	routine->EndForeignInsert = spannerEndForeignInsert;
	routine->IsForeignRelUpdatable = spannerIsForeignRelUpdatable;
	routine->PlanDirectModify = spannerPlanDirectModify;
	routine->BeginDirectModify = spannerBeginDirectModify;
	routine->IterateDirectModify = spannerIterateDirectModify;
	routine->EndDirectModify = spannerEndDirectModify;

	/* Support function for TRUNCATE */
	routine->ExecForeignTruncate = spannerExecForeignTruncate;

	/* Support functions for EXPLAIN */
	routine->ExplainForeignScan = spannerExplainForeignScan;
	routine->ExplainForeignModify = spannerExplainForeignModify;
	routine->ExplainDirectModify = spannerExplainDirectModify;

	/* Support functions for IMPORT FOREIGN SCHEMA */
	routine->ImportForeignSchema = spannerImportForeignSchema;

	PG_RETURN_POINTER(routine);
}
