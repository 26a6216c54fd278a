/*-------------------------------------------------------------------------
 *
 * spanner_fdw.c
 *		  Foreign-data wrapper for Google Cloud Spanner: the handler and
 *		  the FdwRoutine callbacks.
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

#include "access/htup_details.h"
#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "spanner_fdw.h"

/* Default CPU cost to start up a foreign query (one round trip). */
#define DEFAULT_FDW_STARTUP_COST	100.0
/* Default CPU cost to process 1 row (above and beyond cpu_tuple_cost). */
#define DEFAULT_FDW_TUPLE_COST		0.01
/* Rows assumed for a table never analyzed */
#define DEFAULT_FDW_ROWS			1000.0

/*
 * Planner information about a foreign table, kept in baserel->fdw_private.
 */
typedef struct SpannerRelInfo
{
	List	   *remote_conds;	/* RestrictInfos Spanner evaluates */
	List	   *local_conds;	/* RestrictInfos evaluated locally */
	Bitmapset  *attrs_used;		/* columns needed by the query */
	Selectivity local_selectivity;
} SpannerRelInfo;

/*
 * Indexes of the items in ForeignScan->fdw_private:
 *		sql = strVal(list_nth(fdw_private, FdwScanPrivateSelectSql));
 */
enum FdwScanPrivateIndex
{
	/* GoogleSQL SELECT (String) */
	FdwScanPrivateSelectSql,
	/* attnums retrieved, in select-list order (integer List) */
	FdwScanPrivateRetrievedAttrs,
	/* (attnum, result column) of the columns compared on Spanner */
	FdwScanPrivatePushedAttrs
};

/*
 * Execution state of a foreign scan.
 */
typedef struct SpannerScanState
{
	Relation	rel;			/* the foreign table */
	TupleDesc	tupdesc;
	char	   *query;			/* GoogleSQL sent */
	List	   *retrieved_attrs;	/* attnums of the select list */
	List	   *pushed_attrs;	/* attnums compared on Spanner */
	int			nretrieved;

	SpannerConnection *conn;
	SpannerStreamRef sref;		/* open query (sref.stream), or NULL */
	bool		eof;

	List	   *param_exprs;	/* ExprStates of @p1.. */
	List	   *param_types;	/* their type OIDs */

	SpannerColumnConv *convs;
	MemoryContext temp_cxt;		/* reset per row */

	int			cur_col;		/* column being converted, for errors */
	json_object *cur_value;
} SpannerScanState;

PG_FUNCTION_INFO_V1(spanner_fdw_handler);

/*
 * FDW callback routines
 */
static void spannerGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									 Oid foreigntableid);
static void spannerGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								   Oid foreigntableid);
static ForeignScan *spannerGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										  Oid foreigntableid, ForeignPath *best_path,
										  List *tlist, List *scan_clauses,
										  Plan *outer_plan);
static void spannerBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *spannerIterateForeignScan(ForeignScanState *node);
static void spannerReScanForeignScan(ForeignScanState *node);
static void spannerEndForeignScan(ForeignScanState *node);
static void spannerExplainForeignScan(ForeignScanState *node, ExplainState *es);
static List *spannerImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/*
 * Helper functions
 */
static void start_query(ForeignScanState *node);
static void conversion_error_callback(void *arg);

/*
 * Foreign-data wrapper handler function: return a struct with pointers
 * to my callback routines.
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

/*
 * spannerGetForeignRelSize
 *		Classify the restriction clauses and estimate the relation's size.
 */
static void
spannerGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	SpannerRelInfo *fpinfo = palloc0(sizeof(SpannerRelInfo));
	ListCell   *lc;
	Selectivity remote_sel;
	double		tuples;

	baserel->fdw_private = fpinfo;

	spanner_classify_conditions(root, baserel, baserel->baserestrictinfo,
								&fpinfo->remote_conds, &fpinfo->local_conds);

	/* columns needed: the target list and the locally checked conditions */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid,
				   &fpinfo->attrs_used);
	foreach(lc, fpinfo->local_conds)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) rinfo->clause, baserel->relid, &fpinfo->attrs_used);
	}

	fpinfo->local_selectivity = clauselist_selectivity(root, fpinfo->local_conds,
													   baserel->relid, JOIN_INNER, NULL);
	remote_sel = clauselist_selectivity(root, fpinfo->remote_conds,
										baserel->relid, JOIN_INNER, NULL);

	tuples = (baserel->tuples >= 0 && baserel->pages > 0) ? baserel->tuples
		: DEFAULT_FDW_ROWS;
	baserel->tuples = tuples;
	baserel->rows = clamp_row_est(tuples * remote_sel * fpinfo->local_selectivity);
}

/*
 * spannerGetForeignPaths
 *		One path: scan the table with the remote conditions applied.
 */
static void
spannerGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	double		remote_rows;
	Cost		startup_cost;
	Cost		total_cost;
	ForeignPath *path;

	remote_rows = clamp_row_est(baserel->rows / Max(fpinfo->local_selectivity, 1e-10));
	startup_cost = DEFAULT_FDW_STARTUP_COST;
	total_cost = startup_cost + remote_rows * (cpu_tuple_cost + DEFAULT_FDW_TUPLE_COST);
	total_cost += baserel->rows * cpu_operator_cost * list_length(fpinfo->local_conds);

	path = create_foreignscan_path(root, baserel,
								   NULL,	/* default pathtarget */
								   baserel->rows,
								   startup_cost,
								   total_cost,
								   NIL, /* no pathkeys */
								   baserel->lateral_relids,
								   NULL,	/* no extra plan */
								   NIL);	/* no fdw_private */
	add_path(baserel, (Path *) path);
}

/*
 * spannerGetForeignPlan
 *		Build the GoogleSQL query and the ForeignScan node.
 */
static ForeignScan *
spannerGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					  ForeignPath *best_path, List *tlist, List *scan_clauses,
					  Plan *outer_plan)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	List	   *remote_conds = NIL;
	List	   *remote_exprs = NIL;
	List	   *local_exprs = NIL;
	List	   *params_list = NIL;
	List	   *retrieved_attrs;
	List	   *pushed_attrs;
	List	   *fdw_private;
	StringInfoData sql;
	ListCell   *lc;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		/* Ignore pseudoconstants; they are dealt with elsewhere */
		if (rinfo->pseudoconstant)
			continue;
		if (list_member_ptr(fpinfo->remote_conds, rinfo))
		{
			remote_conds = lappend(remote_conds, rinfo);
			remote_exprs = lappend(remote_exprs, rinfo->clause);
		}
		else if (list_member_ptr(fpinfo->local_conds, rinfo))
			local_exprs = lappend(local_exprs, rinfo->clause);
		else if (spanner_is_foreign_expr(root, baserel, rinfo->clause))
		{
			remote_conds = lappend(remote_conds, rinfo);
			remote_exprs = lappend(remote_exprs, rinfo->clause);
		}
		else
			local_exprs = lappend(local_exprs, rinfo->clause);
	}

	initStringInfo(&sql);
	spanner_deparse_select(&sql, root, baserel, remote_conds, fpinfo->attrs_used,
						   &retrieved_attrs, &params_list, &pushed_attrs);

	fdw_private = list_make3(makeString(sql.data), retrieved_attrs, pushed_attrs);

	return make_foreignscan(tlist,
							local_exprs,
							baserel->relid,
							params_list,
							fdw_private,
							NIL,	/* no custom tlist */
							remote_exprs,
							outer_plan);
}

/*
 * spannerBeginForeignScan
 *		Set up the scan; the query is sent at the first row fetch.
 */
static void
spannerBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	SpannerScanState *fsstate;
	RangeTblEntry *rte;
	Oid			userid;
	ForeignTable *table;
	UserMapping *user;
	ListCell   *lc;

	/* Do nothing in EXPLAIN (no ANALYZE) case */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	fsstate = palloc0(sizeof(SpannerScanState));
	node->fdw_state = fsstate;

	rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	userid = OidIsValid(SPANNER_CHECK_AS_USER(fsplan, rte)) ?
		SPANNER_CHECK_AS_USER(fsplan, rte) : GetUserId();
	table = GetForeignTable(rte->relid);
	user = GetUserMapping(userid, table->serverid);
	fsstate->conn = spanner_get_connection(user);

	fsstate->rel = node->ss.ss_currentRelation;
	fsstate->tupdesc = RelationGetDescr(fsstate->rel);
	fsstate->query = strVal(list_nth(fsplan->fdw_private, FdwScanPrivateSelectSql));
	fsstate->retrieved_attrs = (List *) list_nth(fsplan->fdw_private,
												 FdwScanPrivateRetrievedAttrs);
	fsstate->pushed_attrs = (List *) list_nth(fsplan->fdw_private,
											  FdwScanPrivatePushedAttrs);
	fsstate->nretrieved = list_length(fsstate->retrieved_attrs);
	fsstate->convs = spanner_make_converters(fsstate->tupdesc, fsstate->retrieved_attrs);
	fsstate->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
											  "spanner_fdw temporary data",
											  ALLOCSET_SMALL_SIZES);

	fsstate->param_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	foreach(lc, fsplan->fdw_exprs)
		fsstate->param_types = lappend_oid(fsstate->param_types,
										   exprType((Node *) lfirst(lc)));
}

/*
 * Evaluate the parameters and send the query.
 */
static void
start_query(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	StringInfoData params;
	StringInfoData types;
	ListCell   *lc1,
			   *lc2;
	int			i = 0;
	MemoryContext oldcxt;

	initStringInfo(&params);
	initStringInfo(&types);
	if (fsstate->param_exprs != NIL)
	{
		oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		appendStringInfoChar(&params, '{');
		appendStringInfoChar(&types, '{');
		forboth(lc1, fsstate->param_exprs, lc2, fsstate->param_types)
		{
			ExprState  *expr = (ExprState *) lfirst(lc1);
			Oid			type = lfirst_oid(lc2);
			bool		isnull;
			Datum		value = ExecEvalExpr(expr, econtext, &isnull);

			i++;
			if (i > 1)
			{
				appendStringInfoChar(&params, ',');
				appendStringInfoChar(&types, ',');
			}
			appendStringInfo(&params, "\"p%d\":", i);
			spanner_append_param_value(&params, type, value, isnull);
			appendStringInfo(&types, "\"p%d\":%s", i, spanner_param_type_json(type));
		}
		appendStringInfoChar(&params, '}');
		appendStringInfoChar(&types, '}');
		MemoryContextSwitchTo(oldcxt);
	}

	(void) spanner_open_query(fsstate->conn, fsstate->query,
							  params.data, types.data, &fsstate->sref);
	fsstate->eof = false;
	pfree(params.data);
	pfree(types.data);

	{
		int			ncols = sp_stream_ncols(fsstate->sref.stream);
		int			expected = fsstate->nretrieved;
		ListCell   *lc;

		/* plus the type probes of compared columns not otherwise fetched */
		for (lc = list_head(fsstate->pushed_attrs); lc; lc = lnext(fsstate->pushed_attrs, lnext(fsstate->pushed_attrs, lc)))
			if (lfirst_int(lnext(fsstate->pushed_attrs, lc)) >= expected)
				expected = lfirst_int(lnext(fsstate->pushed_attrs, lc)) + 1;
		expected = Max(expected, 1);

		if (ncols != expected)
		{
			spanner_close_query(fsstate->conn, &fsstate->sref);
			fsstate->sref.stream = NULL;
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Spanner returned %d columns where %d were expected", ncols, expected),
					 errcontext("remote SQL command: %s", fsstate->query)));
		}
	}

	/*
	 * Comparisons were sent to Spanner on the assumption that each compared
	 * column has the Spanner type matching its declared type (as IMPORT
	 * FOREIGN SCHEMA declares them).  If not, Spanner may have compared
	 * differently (FLOAT64 as numeric, TIMESTAMP as text): refuse the result.
	 */
	{
		const SpColumn *cols = sp_stream_columns(fsstate->sref.stream);
		ListCell   *lc;

		for (lc = list_head(fsstate->pushed_attrs); lc;
			 lc = lnext(fsstate->pushed_attrs, lnext(fsstate->pushed_attrs, lc)))
		{
			int			attnum = lfirst_int(lc);
			int			idx = lfirst_int(lnext(fsstate->pushed_attrs, lc));
			Form_pg_attribute att = TupleDescAttr(fsstate->tupdesc, attnum - 1);
			const char *want = spanner_comparable_spanner_type(att->atttypid);
			SpTypeCode	got;

			if (want == NULL)
				continue;
			got = cols[idx].code;
			if (got == SP_TYPE_ENUM && strcmp(want, "INT64") == 0)
				continue;
			/* INT64 and NUMERIC are both exact: they compare alike */
			if (got == SP_TYPE_INT64 && strcmp(want, "NUMERIC") == 0)
				continue;
			if (strcmp(sp_type_code_name(got), want) != 0)
			{
				spanner_close_query(fsstate->conn, &fsstate->sref);
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("column \"%s\" of foreign table \"%s\" is %s on Spanner, which does not match its declared type %s",
								NameStr(att->attname), RelationGetRelationName(fsstate->rel),
								sp_type_code_name(got), format_type_be(att->atttypid)),
						 errdetail("A condition on the column was sent to Spanner, where %s values compare differently.",
								   sp_type_code_name(got)),
						 errhint("Declare the column with the type IMPORT FOREIGN SCHEMA would choose."),
						 errcontext("remote SQL command: %s", fsstate->query)));
			}
		}
	}
}

/*
 * spannerIterateForeignScan
 *		Fetch one row from Spanner and convert it into the slot.
 */
static TupleTableSlot *
spannerIterateForeignScan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	json_object **values;
	ErrorContextCallback errcallback;
	MemoryContext oldcxt;
	const SpColumn *cols;
	ListCell   *lc;
	int			i;

	ExecClearTuple(slot);
	if (fsstate->eof)
		return slot;
	(void) spanner_ref_stream(fsstate->conn, &fsstate->sref);
	if (fsstate->sref.lost)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("the Spanner query of this scan was abandoned by a rolled back subtransaction"),
				 errdetail("Rows already returned cannot be continued without restarting the query."),
				 errhint("Close and reopen the cursor."),
				 errcontext("remote SQL command: %s", fsstate->query)));
	if (fsstate->sref.stream == NULL)
		start_query(node);

	MemoryContextReset(fsstate->temp_cxt);
	if (spanner_fetch_row(fsstate->conn, &fsstate->sref, &values, fsstate->query) == 0)
	{
		/* end of result: release the transfer now */
		spanner_close_query(fsstate->conn, &fsstate->sref);
		fsstate->sref.stream = NULL;
		fsstate->eof = true;
		return slot;
	}

	cols = sp_stream_columns(fsstate->sref.stream);
	memset(slot->tts_isnull, true, sizeof(bool) * fsstate->tupdesc->natts);

	errcallback.callback = conversion_error_callback;
	errcallback.arg = (void *) fsstate;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	oldcxt = MemoryContextSwitchTo(fsstate->temp_cxt);
	i = 0;
	foreach(lc, fsstate->retrieved_attrs)
	{
		int			attnum = lfirst_int(lc);

		fsstate->cur_col = attnum;
		fsstate->cur_value = values[i];
		slot->tts_values[attnum - 1] =
			spanner_value_to_datum(fsstate->convs, i, values[i], (SpColumn *) &cols[i],
								   &slot->tts_isnull[attnum - 1]);
		i++;
	}
	MemoryContextSwitchTo(oldcxt);
	fsstate->cur_col = 0;
	error_context_stack = errcallback.previous;

	ExecStoreVirtualTuple(slot);
	return slot;
}

/*
 * spannerReScanForeignScan
 *		Restart the scan: the query is sent again (with the current
 *		parameter values) at the next fetch.
 */
static void
spannerReScanForeignScan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;

	spanner_close_query(fsstate->conn, &fsstate->sref);
	fsstate->sref.lost = false;
	fsstate->eof = false;
}

/*
 * spannerEndForeignScan
 *		Finish the scan; the connection stays cached.
 */
static void
spannerEndForeignScan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;

	if (fsstate == NULL)
		return;
	spanner_close_query(fsstate->conn, &fsstate->sref);
}

/*
 * spannerExplainForeignScan
 *		Show the GoogleSQL sent to Spanner.
 */
static void
spannerExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *fdw_private = plan->fdw_private;

	if (es->verbose)
		ExplainPropertyText("Remote SQL",
							strVal(list_nth(fdw_private, FdwScanPrivateSelectSql)),
							es);
}

/*
 * spannerImportForeignSchema
 *		Import tables and views of a Spanner schema.
 */
static List *
spannerImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return spanner_import_foreign_schema(stmt, serverOid);
}

/*
 * Name the column, the foreign table and the value in conversion errors.
 */
static void
conversion_error_callback(void *arg)
{
	SpannerScanState *fsstate = (SpannerScanState *) arg;

	if (fsstate->cur_col > 0)
	{
		Form_pg_attribute attr = TupleDescAttr(fsstate->tupdesc, fsstate->cur_col - 1);
		const char *v = fsstate->cur_value ? json_object_get_string(fsstate->cur_value) : "null";

		errcontext("column \"%s\" of foreign table \"%s\", Spanner value: %.100s%s",
				   NameStr(attr->attname), RelationGetRelationName(fsstate->rel),
				   v, strlen(v) > 100 ? "..." : "");
	}
}
