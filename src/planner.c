/*-------------------------------------------------------------------------
 *
 * planner.c
 *		  Planning foreign scans: relation size, paths, costs and the
 *		  ForeignScan plan node with its remote query.
 *
 * The planner's per-relation state (SpannerRelInfo, in spanner_fdw.h) is
 * made here and read by shippable.c and deparse.c.  The Spanner type of
 * every column the query uses is known before anything is decided
 * (remote_types.c), so shippability never rests on the declared type alone.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/planner.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/sysattr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"

#include "spanner_fdw.h"
#include "scan_private.h"

/* Default CPU cost to start up a foreign query (one round trip). */
#define DEFAULT_FDW_STARTUP_COST	100.0
/* Default CPU cost to process 1 row (above and beyond cpu_tuple_cost). */
#define DEFAULT_FDW_TUPLE_COST		0.01
/* Rows assumed for a table never analyzed */
#define DEFAULT_FDW_ROWS			1000.0
/* A remote sort costs this much more than the unsorted scan */
#define DEFAULT_FDW_SORT_MULTIPLIER	1.05

/* The user whose mapping a scan of this relation uses. */
static Oid
scan_userid(PlannerInfo *root, RelOptInfo *baserel)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

/*
 * spanner_get_rel_size
 *		Learn the Spanner types of the columns used, classify the
 *		restriction clauses and estimate the relation's size.
 */
void
spanner_get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	SpannerRelInfo *fpinfo = palloc0(sizeof(SpannerRelInfo));
	ForeignTable *table = GetForeignTable(foreigntableid);
	Bitmapset  *needed = NULL;
	ListCell   *lc;
	Selectivity remote_sel;
	double		tuples;

	baserel->fdw_private = fpinfo;
	fpinfo->relid = foreigntableid;
	fpinfo->serverid = table->serverid;
	fpinfo->dialect = spanner_server_dialect(table->serverid);

	/* every column the query touches: output and conditions */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &needed);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &needed);
	/*
	 * Spanner rows have no ctid: a query that reads or compares one (a
	 * gateway's "UPDATE ... WHERE ctid = $1") would otherwise see the same
	 * meaningless value in every row.
	 */
	if (bms_is_member(SelfItemPointerAttributeNumber - FirstLowInvalidHeapAttributeNumber,
					  needed))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("foreign table \"%s\" has no ctid",
						get_rel_name(foreigntableid)),
				 errdetail("Rows of a Spanner table are identified by their primary key, not by a ctid."),
				 errhint("Select or compare the primary-key columns instead.")));
	spanner_remote_types(fpinfo, needed, scan_userid(root, baserel));

	spanner_classify_conditions(root, baserel, baserel->baserestrictinfo,
								&fpinfo->remote_conds, &fpinfo->local_conds);

	/* columns fetched: the target list and the locally checked conditions */
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
 * spanner_get_paths
 *		Scan the table with the remote conditions applied; and, when Spanner
 *		can sort the rows as the query wants them, the same scan sorted
 *		remotely.
 */
void
spanner_get_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
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

	if (root->query_pathkeys != NIL &&
		spanner_pathkeys_shippable(root, baserel, root->query_pathkeys))
	{
		path = create_foreignscan_path(root, baserel,
									   NULL,
									   baserel->rows,
									   startup_cost,
									   total_cost * DEFAULT_FDW_SORT_MULTIPLIER,
									   root->query_pathkeys,
									   baserel->lateral_relids,
									   NULL,
									   NIL);
		add_path(baserel, (Path *) path);
	}
}

/*
 * The one foreign table a query reads, if it reads just one table and
 * that is a foreign table of this wrapper; else NULL.
 */
static RelOptInfo *
single_foreign_rel(PlannerInfo *root, RelOptInfo *input_rel)
{
	int			relid;
	RelOptInfo *rel;

	if (!bms_get_singleton_member(root->all_baserels, &relid))
		return NULL;
	rel = root->simple_rel_array[relid];
	if (rel == NULL || rel->reloptkind != RELOPT_BASEREL ||
		rel->rtekind != RTE_RELATION || rel->fdw_private == NULL ||
		rel->fdwroutine != input_rel->fdwroutine ||
		rel->serverid != input_rel->serverid)
		return NULL;
	return rel;
}

/*
 * spanner_get_upper_paths
 *		LIMIT and OFFSET (with the ORDER BY they follow) run on Spanner when
 *		the query reads one foreign table, every condition is evaluated
 *		there and Spanner can sort as asked: Spanner then sends only the
 *		rows PostgreSQL would keep.
 */
void
spanner_get_upper_paths(PlannerInfo *root, UpperRelationKind stage,
						RelOptInfo *input_rel, RelOptInfo *output_rel,
						void *extra)
{
	Query	   *parse = root->parse;
	FinalPathExtraData *fextra = (FinalPathExtraData *) extra;
	RelOptInfo *baserel;
	SpannerRelInfo *fpinfo;
	List	   *pathkeys = NIL;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;
	ForeignPath *path;

	if (stage != UPPERREL_FINAL || !fextra->limit_needed)
		return;
	/* nothing between the scan and the LIMIT but a sort and a projection */
	if (parse->hasAggs || parse->groupClause || parse->groupingSets ||
		root->hasHavingQual || parse->hasWindowFuncs || parse->distinctClause ||
		parse->hasTargetSRFs || parse->rowMarks || parse->setOperations ||
		root->hasPseudoConstantQuals ||
		parse->limitOption != LIMIT_OPTION_COUNT)
		return;
	baserel = single_foreign_rel(root, input_rel);
	if (baserel == NULL)
		return;
	fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	if (fpinfo->local_conds != NIL ||
		spanner_conds_may_fall_back(root, baserel, fpinfo->remote_conds))
		return;
	if (parse->sortClause)
	{
		if (!spanner_pathkeys_shippable(root, baserel, root->sort_pathkeys))
			return;
		pathkeys = root->sort_pathkeys;
	}
	if (!spanner_limit_expr_ok(parse->limitCount) ||
		!spanner_limit_expr_ok(parse->limitOffset))
		return;

	/* as the planner estimates a LIMIT whose value it does not know yet */
	rows = baserel->rows;
	if (fextra->offset_est > 0)
		rows = Max(rows - fextra->offset_est, 1);
	if (fextra->count_est > 0)
		rows = Min(rows, fextra->count_est);
	else if (parse->limitCount != NULL && !IsA(parse->limitCount, Const))
		rows *= 0.10;
	rows = clamp_row_est(rows);

	/*
	 * A local LIMIT above the scan is costed as if Spanner sent only the
	 * rows it keeps, which it does not: it streams ahead.  Costing the
	 * remote LIMIT a little lower makes the planner prefer it.
	 */
	startup_cost = DEFAULT_FDW_STARTUP_COST * 0.95;
	total_cost = startup_cost + rows * (cpu_tuple_cost + DEFAULT_FDW_TUPLE_COST);

	path = create_foreign_upper_path(root, output_rel,
									 root->upper_targets[UPPERREL_FINAL],
									 rows, startup_cost, total_cost,
									 pathkeys,
									 NULL,
									 list_make1(list_make2(parse->limitCount,
														   parse->limitOffset)));
	add_path(output_rel, (Path *) path);
}

/*
 * spanner_get_plan
 *		Build the remote query and the ForeignScan node.
 *
 * When a condition compares a date or timestamp column with a value known
 * only at run time, a second query without any condition is planned too:
 * a run-time value outside Spanner's range (infinity, BC, past 9999) cannot
 * be sent, and the scan then fetches with it and checks every condition
 * locally, giving PostgreSQL's answer.
 */
ForeignScan *
spanner_get_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				 ForeignPath *best_path, List *tlist, List *scan_clauses,
				 Plan *outer_plan)
{
	SpannerRelInfo *fpinfo;
	List	   *remote_conds = NIL;
	List	   *remote_exprs = NIL;
	List	   *local_exprs = NIL;
	List	   *params_list = NIL;
	List	   *plus_one = NIL;
	List	   *limit_params = NIL;
	List	   *retrieved_attrs;
	List	   *fdw_private;
	List	   *limit = NIL;
	StringInfoData sql;
	ListCell   *lc;
	char	   *fallback_sql = NULL;
	List	   *fallback_attrs = NIL;

	/*
	 * A LIMIT path (spanner_get_upper_paths) scans the query's one foreign
	 * table, as its scan relation: every condition is remote and the
	 * projection of the final target list is done on its rows.
	 */
	if (IS_UPPER_REL(baserel))
	{
		limit = (List *) linitial(best_path->fdw_private);
		baserel = single_foreign_rel(root, baserel);
		if (baserel == NULL)
			elog(ERROR, "spanner_fdw: LIMIT path without its foreign table");
		scan_clauses = ((SpannerRelInfo *) baserel->fdw_private)->remote_conds;
	}
	fpinfo = (SpannerRelInfo *) baserel->fdw_private;

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
						   best_path->path.pathkeys, limit,
						   &retrieved_attrs, &params_list, &plus_one, &limit_params);

	if (spanner_params_may_be_out_of_range(params_list))
	{
		StringInfoData fb;
		Bitmapset  *attrs = bms_copy(fpinfo->attrs_used);
		List	   *no_params = NIL;
		List	   *no_plus_one = NIL;

		foreach(lc, remote_exprs)
			pull_varattnos((Node *) lfirst(lc), baserel->relid, &attrs);
		initStringInfo(&fb);
		Assert(limit == NIL);
		spanner_deparse_select(&fb, root, baserel, NIL, attrs, NIL, NIL,
							   &fallback_attrs, &no_params, &no_plus_one, NULL);
		fallback_sql = fb.data;
	}

	fdw_private = list_make5(makeString(sql.data), retrieved_attrs,
							 fallback_sql ? makeString(fallback_sql) : NULL,
							 fallback_attrs, plus_one);
	fdw_private = lappend(fdw_private, limit_params);

	return make_foreignscan(tlist,
							local_exprs,
							baserel->relid,
							params_list,
							fdw_private,
							NIL,	/* no custom tlist */
							remote_exprs,
							outer_plan);
}
