/*-------------------------------------------------------------------------
 *
 * direct.c
 *		  Statements Spanner runs whole: UPDATE and DELETE whose conditions
 *		  and new values can all be sent (direct modify, one DML statement),
 *		  TRUNCATE, and their partitioned-DML form.
 *
 * A new value that references no column of the table and calls no
 * volatile function (a constant, a parameter, now()) is computed here
 * once and sent as a typed parameter of the column's Spanner type; the
 * conditions are the scan's remote conditions.  Anything else is done row
 * by row (modify.c).
 *
 * With spanner_fdw.partitioned_dml on, these statements run as Spanner
 * partitioned DML: outside transaction blocks only, not atomic, for tables
 * too large for one transaction.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/direct.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "spanner_fdw.h"
#include "scan_private.h"

bool		spanner_partitioned_dml = false;

/* Indexes of the items of a direct-modify ForeignScan's fdw_private */
enum FdwDirectModifyPrivateIndex
{
	FdwDirectModifyPrivateSql,	/* the UPDATE or DELETE (String) */
	FdwDirectModifyPrivateTargetAttrs,	/* columns whose new values are
										 * parameters 1..n (integer List) */
	FdwDirectModifyPrivateSetProcessed	/* the statement's own rows count in
										 * its command tag (Integer) */
};

typedef struct SpannerDirectState
{
	SpannerConnection *conn;
	const SpannerDialect *dialect;
	const SpannerReqInfo *req;	/* statement kind and table, for tags */
	char	   *sql;
	List	   *target_attrs;
	SpTypeCode *types;
	SpTypeCode *elems;
	List	   *param_exprs;
	List	   *param_types;
	bool		done;
	bool		set_processed;
} SpannerDirectState;

/*
 * spanner_plan_direct_modify
 *		PlanDirectModify: can the whole UPDATE or DELETE run on Spanner?
 */
bool
spanner_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
						   Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	Plan	   *subplan = outerPlan(plan);
	ForeignScan *fscan;
	RelOptInfo *baserel;
	SpannerRelInfo *fpinfo;
	RangeTblEntry *rte;
	Relation	rel;
	List	   *target_attrs = NIL;
	List	   *target_exprs = NIL;
	List	   *params_list = NIL;
	List	   *plus_one = NIL;
	StringInfoData sql;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	if (plan->returningLists != NIL)
		return false;
	/* a ForeignScan of the target table only, perhaps under a Result */
	if (subplan && IsA(subplan, Result) && ((Result *) subplan)->resconstantqual == NULL &&
		outerPlan(subplan) != NULL && subplan->qual == NIL)
		subplan = outerPlan(subplan);
	if (subplan == NULL || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation || fscan->scan.plan.qual != NIL ||
		outerPlan(fscan) != NULL)
		return false;
	/* a run-time value Spanner might not represent needs the fallback scan */
	if (list_nth(fscan->fdw_private, FdwScanPrivateFallbackSql) != NULL ||
		list_nth(fscan->fdw_private, FdwScanPrivatePlusOneParams) != NIL)
		return false;

	baserel = find_base_rel(root, resultRelation);
	fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	/* conditions the scan got from a join are not in remote_conds */
	if (list_length(fscan->fdw_exprs) > 0 && fpinfo->remote_conds == NIL)
		return false;

	rte = planner_rt_fetch(resultRelation, root);
	rel = table_open(rte->relid, NoLock);
	if (operation == CMD_UPDATE)
	{
		List	   *processed_tlist = NIL;
		ListCell   *lc,
				   *lc2;

		get_translated_update_targetlist(root, resultRelation,
										 &processed_tlist, &target_attrs);
		forboth(lc, processed_tlist, lc2, target_attrs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			Node	   *expr = (Node *) tle->expr;

			if (lfirst_int(lc2) <= InvalidAttrNumber ||
				TupleDescAttr(RelationGetDescr(rel), lfirst_int(lc2) - 1)->attgenerated ||
				contain_var_clause(expr) || contain_volatile_functions(expr) ||
				contain_subplans(expr))
			{
				table_close(rel, NoLock);
				return false;
			}
			target_exprs = lappend(target_exprs, expr);
		}
		spanner_refuse_key_update(rel, target_attrs);
	}

	initStringInfo(&sql);
	spanner_deparse_direct_modify(&sql, root, baserel, operation, target_attrs,
								  target_exprs, spanner_commit_ts_attrs(rel, operation),
								  fpinfo->remote_conds, &params_list, &plus_one);
	table_close(rel, NoLock);
	if (plus_one != NIL)
		return false;

	fscan->operation = operation;
	fscan->resultRelation = resultRelation;
	fscan->fdw_exprs = params_list;
	fscan->fdw_private = list_make3(makeString(sql.data), target_attrs,
									makeInteger(plan->canSetTag ? 1 : 0));
	return true;
}

/* The user whose mapping runs the statement */
static Oid
direct_userid(ForeignScan *fsplan, RangeTblEntry *rte)
{
	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

static void
refuse_in_block(void)
{
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("partitioned DML cannot run inside a transaction block"),
				 errdetail("spanner_fdw.partitioned_dml is on: the statement would be applied in independent parts."),
				 errhint("Run it outside BEGIN ... COMMIT, or SET spanner_fdw.partitioned_dml = off.")));
}

void
spanner_begin_direct_modify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	SpannerDirectState *dmstate;
	RangeTblEntry *rte;
	ForeignTable *table;
	SpannerRelInfo fpinfo;
	Bitmapset  *needed = NULL;
	ListCell   *lc;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	dmstate = palloc0(sizeof(SpannerDirectState));
	node->fdw_state = dmstate;
	rte = exec_rt_fetch(fsplan->resultRelation, estate);
	table = GetForeignTable(rte->relid);
	dmstate->dialect = spanner_server_dialect(table->serverid);
	dmstate->sql = strVal(list_nth(fsplan->fdw_private, FdwDirectModifyPrivateSql));
	dmstate->req = spanner_req_info(spanner_stmt_kind(fsplan->operation), rte->relid);
	dmstate->target_attrs = (List *) list_nth(fsplan->fdw_private,
											  FdwDirectModifyPrivateTargetAttrs);
	memset(&fpinfo, 0, sizeof(fpinfo));
	fpinfo.relid = rte->relid;
	fpinfo.serverid = table->serverid;
	fpinfo.dialect = dmstate->dialect;
	foreach(lc, dmstate->target_attrs)
		needed = bms_add_member(needed, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	spanner_remote_types(&fpinfo, needed, direct_userid(fsplan, rte));
	dmstate->types = fpinfo.remote_types;
	dmstate->elems = fpinfo.remote_elems;

	dmstate->param_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	foreach(lc, fsplan->fdw_exprs)
		dmstate->param_types = lappend_oid(dmstate->param_types,
										   exprType((Node *) lfirst(lc)));
	/* the statement's own rows, not those of a WITH clause */
	dmstate->set_processed = intVal(list_nth(fsplan->fdw_private,
											 FdwDirectModifyPrivateSetProcessed)) != 0;
	if (spanner_partitioned_dml)
		refuse_in_block();
	dmstate->conn = spanner_get_connection(GetUserMapping(direct_userid(fsplan, rte),
														  table->serverid));
}

TupleTableSlot *
spanner_iterate_direct_modify(ForeignScanState *node)
{
	SpannerDirectState *dmstate = (SpannerDirectState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	StringInfoData params,
				types;
	ListCell   *lc1,
			   *lc2;
	int			i = 0;
	int64		rows;
	int			ntarget = list_length(dmstate->target_attrs);

	if (dmstate->done)
		return ExecClearTuple(slot);
	dmstate->done = true;

	initStringInfo(&params);
	initStringInfo(&types);
	appendStringInfoChar(&params, '{');
	appendStringInfoChar(&types, '{');
	forboth(lc1, dmstate->param_exprs, lc2, dmstate->param_types)
	{
		bool		isnull;
		Datum		value = ExecEvalExpr((ExprState *) lfirst(lc1), econtext, &isnull);
		Oid			type = lfirst_oid(lc2);
		bool		ok;

		i++;
		if (i > 1)
		{
			appendStringInfoChar(&params, ',');
			appendStringInfoChar(&types, ',');
		}
		appendStringInfo(&params, "\"p%d\":", i);
		if (i <= ntarget)
		{
			AttrNumber	attnum = list_nth_int(dmstate->target_attrs, i - 1);

			ok = spanner_append_column_value(&params, type, value, isnull,
											 dmstate->types[attnum], dmstate->elems[attnum]);
			appendStringInfo(&types, "\"p%d\":%s", i,
							 dmstate->dialect->type_json(dmstate->types[attnum],
														 dmstate->elems[attnum]));
		}
		else
		{
			ok = spanner_append_param_value(&params, type, value, isnull);
			appendStringInfo(&types, "\"p%d\":%s", i,
							 spanner_param_type_json(dmstate->dialect, type));
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("a value of the statement is out of Spanner's range"),
					 errdetail("Spanner dates and timestamps lie in years 1 to 9999.")));
	}
	appendStringInfoChar(&params, '}');
	appendStringInfoChar(&types, '}');

	if (spanner_partitioned_dml)
		rows = spanner_execute_partitioned_dml(dmstate->conn, dmstate->req, dmstate->sql,
											   i > 0 ? params.data : NULL, types.data);
	else
		json_object_put(spanner_execute_dml(dmstate->conn, dmstate->req, dmstate->sql,
											i > 0 ? params.data : NULL, types.data, &rows));
	if (dmstate->set_processed)
		node->ss.ps.state->es_processed += rows;
	return ExecClearTuple(slot);
}

void
spanner_end_direct_modify(ForeignScanState *node)
{
}

void
spanner_explain_direct_modify(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

	if (es->verbose)
		ExplainPropertyText("Remote SQL",
							strVal(list_nth(fsplan->fdw_private, FdwDirectModifyPrivateSql)),
							es);
}

/*
 * spanner_exec_truncate
 *		ExecForeignTruncate: DELETE every row of each table, in the
 *		transaction's read-write transaction (or as partitioned DML).
 *		Spanner's own ON DELETE CASCADE applies; RESTART IDENTITY has
 *		nothing to restart.
 */
void
spanner_exec_truncate(List *rels, DropBehavior behavior, bool restart_seqs)
{
	ListCell   *lc;

	if (spanner_partitioned_dml)
		refuse_in_block();
	foreach(lc, rels)
	{
		Relation	rel = (Relation) lfirst(lc);
		Oid			relid = RelationGetRelid(rel);
		ForeignTable *table = GetForeignTable(relid);
		const SpannerDialect *dialect = spanner_server_dialect(table->serverid);
		SpannerConnection *conn;
		StringInfoData sql;
		int64		rows;

		if (!spanner_rel_bool_option(relid, "truncatable", true))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("foreign table \"%s\" does not allow truncates",
							RelationGetRelationName(rel))));
		initStringInfo(&sql);
		appendStringInfoString(&sql, "DELETE FROM ");
		spanner_deparse_table_name(&sql, dialect, relid);
		appendStringInfoString(&sql, dialect->where_true);
		conn = spanner_get_connection(GetUserMapping(GetUserId(), table->serverid));
		if (spanner_partitioned_dml)
			(void) spanner_execute_partitioned_dml(conn, spanner_req_info(SPANNER_STMT_TRUNCATE, relid),
												   sql.data, NULL, NULL);
		else
			json_object_put(spanner_execute_dml(conn, spanner_req_info(SPANNER_STMT_TRUNCATE, relid),
												sql.data, NULL, NULL, &rows));
	}
}
