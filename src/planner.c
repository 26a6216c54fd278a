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
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/selfuncs.h"
#include "optimizer/tlist.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "spanner_fdw.h"
#include "scan_private.h"

/* GUC spanner_fdw.pushdown: sorted, LIMIT, aggregate and parameterized paths */
bool		spanner_pushdown = true;

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
	fpinfo->fdw_startup_cost = spanner_rel_real_option(foreigntableid, "fdw_startup_cost",
													   DEFAULT_FDW_STARTUP_COST);
	fpinfo->fdw_tuple_cost = spanner_rel_real_option(foreigntableid, "fdw_tuple_cost",
													 DEFAULT_FDW_TUPLE_COST);

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

/* State of the search for equivalence members of the foreign relation */
typedef struct ec_member_search
{
	Expr	   *current;		/* the member being looked at, or NULL */
	List	   *done;			/* members looked at already */
} ec_member_search;

/* generate_implied_equalities_for_column callback: one member at a time */
static bool
ec_member_matches(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				  EquivalenceMember *em, void *arg)
{
	ec_member_search *state = (ec_member_search *) arg;

	if (state->current != NULL)
		return equal(em->em_expr, state->current);
	if (list_member(state->done, em->em_expr))
		return false;
	state->current = em->em_expr;
	return true;
}

/* Add the ParamPathInfo of a join clause Spanner can evaluate per outer row. */
static List *
add_clause_ppi(PlannerInfo *root, RelOptInfo *baserel, RestrictInfo *rinfo,
			   List *ppi_list)
{
	Relids		required_outer;

	if (!join_clause_is_movable_to(rinfo, baserel) ||
		!spanner_is_foreign_expr(root, baserel, rinfo->clause))
		return ppi_list;
	required_outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);
	required_outer = bms_del_member(required_outer, baserel->relid);
	if (bms_is_empty(required_outer))
		return ppi_list;
	return list_append_unique_ptr(ppi_list,
								  get_baserel_parampathinfo(root, baserel, required_outer));
}

/*
 * Paths that look rows up by the values of another relation's columns: a
 * join clause such as "ft.key = local.col" becomes "key = @p1" on Spanner,
 * sent again for each outer row of a nested loop, so that a few local rows
 * joined with a large foreign table read only the rows they match.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	List	   *ppi_list = NIL;
	ListCell   *lc;

	foreach(lc, baserel->joininfo)
		ppi_list = add_clause_ppi(root, baserel, lfirst_node(RestrictInfo, lc), ppi_list);

	/* join clauses absorbed into equivalence classes, a column at a time */
	if (baserel->has_eclass_joins)
	{
		ec_member_search state = {NULL, NIL};

		for (;;)
		{
			List	   *clauses;

			state.current = NULL;
			clauses = generate_implied_equalities_for_column(root, baserel,
															 ec_member_matches,
															 (void *) &state,
															 baserel->lateral_referencers);
			if (state.current == NULL)
				break;
			foreach(lc, clauses)
				ppi_list = add_clause_ppi(root, baserel, lfirst_node(RestrictInfo, lc), ppi_list);
			state.done = lappend(state.done, state.current);
		}
	}

	foreach(lc, ppi_list)
	{
		ParamPathInfo *ppi = (ParamPathInfo *) lfirst(lc);
		double		rows = clamp_row_est(ppi->ppi_rows);
		Cost		startup_cost = fpinfo->fdw_startup_cost;
		Cost		total_cost = startup_cost +
			rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);

		add_path(baserel, (Path *) create_foreignscan_path(root, baserel, NULL,
														   rows, startup_cost,
														   total_cost, NIL,
														   ppi->ppi_req_outer,
														   NULL, NIL));
	}
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
	startup_cost = fpinfo->fdw_startup_cost;
	total_cost = startup_cost + remote_rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);
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

	if (!spanner_pushdown)
		return;
	add_parameterized_paths(root, baserel);

	if (root->query_pathkeys != NIL &&
		spanner_pathkeys_shippable(root, baserel, root->query_pathkeys))
	{
		/* Spanner sorts every row before it sends the first */
		path = create_foreignscan_path(root, baserel,
									   NULL,
									   baserel->rows,
									   total_cost,
									   total_cost * DEFAULT_FDW_SORT_MULTIPLIER,
									   root->query_pathkeys,
									   baserel->lateral_relids,
									   NULL,
									   NIL);
		add_path(baserel, (Path *) path);
	}
}

/*
 * conds_may_fall_back
 *		Might these remote conditions make the scan take its fallback query
 *		(a date or timestamp known only at run time)?
 */
static bool
conds_may_fall_back(PlannerInfo *root, RelOptInfo *baserel, List *remote_conds)
{
	StringInfoData sql;
	List	   *retrieved_attrs = NIL;
	List	   *params_list = NIL;
	List	   *plus_one = NIL;

	if (remote_conds == NIL)
		return false;
	initStringInfo(&sql);
	spanner_deparse_select(&sql, root, baserel, remote_conds,
						   ((SpannerRelInfo *) baserel->fdw_private)->attrs_used,
						   NIL, NIL, &retrieved_attrs, &params_list, &plus_one, NULL);
	pfree(sql.data);
	return spanner_params_may_be_out_of_range(params_list);
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
 * The select list of a grouped query Spanner can compute whole: its plain
 * GROUP BY columns (with their sortgrouprefs) and the aggregates in the
 * grouping target, or NIL if anything in it cannot be sent.  Other
 * expressions of the target are computed locally from these.
 */
static List *
grouped_tlist(PlannerInfo *root, RelOptInfo *baserel, PathTarget *target)
{
	Query	   *parse = root->parse;
	List	   *tlist = NIL;
	List	   *others = NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, target->exprs)
	{
		Expr	   *expr = (Expr *) lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i);

		i++;
		if (sgref && get_sortgroupref_clause_noerr(sgref, parse->groupClause))
		{
			TargetEntry *tle;

			if (!spanner_group_key_ok(root, baserel, (Node *) expr))
				return NIL;
			tle = makeTargetEntry(expr, list_length(tlist) + 1, NULL, false);
			tle->ressortgroupref = sgref;
			tlist = lappend(tlist, tle);
		}
		else
		{
			/* aggregates, and columns that must be GROUP BY columns */
			List	   *items = pull_var_clause((Node *) expr,
												PVC_INCLUDE_AGGREGATES |
												PVC_INCLUDE_PLACEHOLDERS);
			ListCell   *lc2;

			foreach(lc2, items)
			{
				Node	   *item = (Node *) lfirst(lc2);
				Var		   *arg;

				if (IsA(item, Aggref))
				{
					if (spanner_agg_kind(root, baserel, (Aggref *) item, &arg) == SPANNER_AGG_NONE)
						return NIL;
					if (!tlist_member((Expr *) item, tlist))
						tlist = lappend(tlist, makeTargetEntry((Expr *) item,
															   list_length(tlist) + 1,
															   NULL, false));
				}
				else if (!IsA(item, Var))
					return NIL;
			}
		}
	}
	/* every column outside an aggregate must be a GROUP BY column */
	i = 0;
	foreach(lc, target->exprs)
	{
		Index		sgref = get_pathtarget_sortgroupref(target, i++);

		if (!(sgref && get_sortgroupref_clause_noerr(sgref, parse->groupClause)))
			others = lappend(others, lfirst(lc));
	}
	foreach(lc, pull_var_clause((Node *) others,
								PVC_INCLUDE_AGGREGATES | PVC_INCLUDE_PLACEHOLDERS))
	{
		Var		   *var = (Var *) lfirst(lc);
		ListCell   *lc2;
		bool		found = false;

		if (IsA(var, Aggref))
			continue;
		if (!IsA(var, Var))
			return NIL;
		foreach(lc2, tlist)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc2);

			if (tle->ressortgroupref && equal(tle->expr, var))
				found = true;
		}
		if (!found)
			return NIL;
	}
	return tlist;
}

/*
 * Aggregates and GROUP BY on Spanner: when the query reads one foreign
 * table, every condition is evaluated there, it has no HAVING or grouping
 * sets, and every aggregate and GROUP BY column is one Spanner computes as
 * PostgreSQL does.
 */
static void
add_grouping_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *grouped_rel,
				  GroupPathExtraData *extra)
{
	Query	   *parse = root->parse;
	PathTarget *target = grouped_rel->reltarget;
	SpannerRelInfo *fpinfo;
	SpannerRelInfo *upper;
	List	   *tlist;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;
	ForeignPath *path;

	if (parse->groupingSets ||
		extra->patype != PARTITIONWISE_AGGREGATE_NONE ||
		root->hasPseudoConstantQuals)
		return;
	if (input_rel->fdw_private == NULL || grouped_rel->fdw_private != NULL)
		return;
	fpinfo = (SpannerRelInfo *) input_rel->fdw_private;
	if (IS_JOIN_REL(input_rel))
	{
		/* a join Spanner runs (its conditions are set only then) */
		if (fpinfo->join_conds == NIL)
			return;
	}
	else if (input_rel->reloptkind != RELOPT_BASEREL ||
			 fpinfo->local_conds != NIL ||
			 conds_may_fall_back(root, input_rel, fpinfo->remote_conds))
		return;
	tlist = grouped_tlist(root, input_rel, target);
	if (tlist == NIL)
		return;

	/*
	 * HAVING is checked locally on the groups Spanner returns: its
	 * aggregates are fetched too, and its columns must be GROUP BY columns.
	 */
	if (extra->havingQual != NULL)
	{
		ListCell   *lc;

		if (contain_volatile_functions(extra->havingQual) ||
			contain_subplans(extra->havingQual))
			return;
		foreach(lc, pull_var_clause(extra->havingQual,
									PVC_INCLUDE_AGGREGATES | PVC_INCLUDE_PLACEHOLDERS))
		{
			Node	   *item = (Node *) lfirst(lc);
			Var		   *arg;

			if (IsA(item, Aggref))
			{
				if (spanner_agg_kind(root, input_rel, (Aggref *) item, &arg) == SPANNER_AGG_NONE)
					return;
				if (!tlist_member((Expr *) item, tlist))
					tlist = lappend(tlist, makeTargetEntry((Expr *) item,
														   list_length(tlist) + 1,
														   NULL, false));
			}
			else
			{
				TargetEntry *tle = IsA(item, Var) ? tlist_member((Expr *) item, tlist) : NULL;

				if (tle == NULL || tle->ressortgroupref == 0)
					return;
			}
		}
	}

	if (parse->groupClause == NIL)
		rows = 1;
	else
		rows = estimate_num_groups(root,
								   get_sortgrouplist_exprs(parse->groupClause,
														   parse->targetList),
								   input_rel->rows, NULL, NULL);
	rows = clamp_row_est(rows);
	/* Spanner reads the rows, PostgreSQL receives only the groups */
	startup_cost = fpinfo->fdw_startup_cost + input_rel->rows * cpu_operator_cost;
	total_cost = startup_cost + rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);

	upper = palloc0(sizeof(SpannerRelInfo));
	upper->dialect = fpinfo->dialect;
	upper->serverid = fpinfo->serverid;
	upper->outerrel = input_rel;
	grouped_rel->fdw_private = upper;
	path = create_foreign_upper_path(root, grouped_rel, target, rows,
									 startup_cost, total_cost, NIL, NULL,
									 list_make4(makeInteger(0), tlist,
												extra->havingQual, NIL));
	add_path(grouped_rel, (Path *) path);
}

/*
 * SELECT DISTINCT of plain columns of a table or join Spanner runs, each
 * one Spanner groups as PostgreSQL does (as GROUP BY columns): sent as
 * SELECT DISTINCT.  Not DISTINCT ON, not over aggregates.
 */
static void
add_distinct_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *distinct_rel)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_DISTINCT];
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) input_rel->fdw_private;
	SpannerRelInfo *upper;
	List	   *tlist = NIL;
	ListCell   *lc;
	int			i = 0;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;

	if (parse->hasDistinctOn || fpinfo == NULL || distinct_rel->fdw_private != NULL ||
		root->hasPseudoConstantQuals)
		return;
	if (IS_JOIN_REL(input_rel))
	{
		if (fpinfo->join_conds == NIL)
			return;
	}
	else if (input_rel->reloptkind != RELOPT_BASEREL ||
			 fpinfo->local_conds != NIL ||
			 conds_may_fall_back(root, input_rel, fpinfo->remote_conds))
		return;
	foreach(lc, target->exprs)
	{
		Expr	   *expr = (Expr *) lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i);
		TargetEntry *tle;

		i++;
		if (!IsA(expr, Var) || sgref == 0 ||
			!get_sortgroupref_clause_noerr(sgref, parse->distinctClause) ||
			!spanner_group_key_ok(root, input_rel, (Node *) expr))
			return;
		tle = makeTargetEntry(expr, list_length(tlist) + 1, NULL, false);
		tle->ressortgroupref = sgref;
		tlist = lappend(tlist, tle);
	}
	if (tlist == NIL)
		return;

	rows = clamp_row_est(estimate_num_groups(root,
											 get_sortgrouplist_exprs(parse->distinctClause,
																	 parse->targetList),
											 input_rel->rows, NULL, NULL));
	startup_cost = fpinfo->fdw_startup_cost + input_rel->rows * cpu_operator_cost;
	total_cost = startup_cost + rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);
	upper = palloc0(sizeof(SpannerRelInfo));
	upper->dialect = fpinfo->dialect;
	upper->serverid = fpinfo->serverid;
	upper->outerrel = input_rel;
	distinct_rel->fdw_private = upper;
	add_path(distinct_rel,
			 (Path *) create_foreign_upper_path(root, distinct_rel, target, rows,
												startup_cost, total_cost, NIL, NULL,
												list_make4(makeInteger(1), tlist, NULL, NIL)));
}

/*
 * The grouping path Spanner runs below an ORDER BY or a LIMIT: input_rel is
 * the grouped relation, or (for a LIMIT) the sorted relation above it.
 */
static ForeignPath *
spanner_grouping_path(RelOptInfo *input_rel)
{
	ListCell   *lc;

	foreach(lc, input_rel->pathlist)
	{
		Path	   *path = (Path *) lfirst(lc);

		if (IsA(path, ForeignPath) && path->parent == input_rel &&
			list_length(((ForeignPath *) path)->fdw_private) == 4)
			return (ForeignPath *) path;
	}
	return NULL;
}

/*
 * ORDER BY (and LIMIT) above a grouping Spanner runs: sent with it when
 * every sort key is a GROUP BY column Spanner orders as PostgreSQL does or
 * an aggregate whose values it orders alike (counts, integer sums, min/max,
 * bool_and/bool_or; not avg, computed locally from its sum and count).  A
 * LIMIT only without HAVING, which is evaluated locally on the groups.
 */
static void
add_grouped_upper_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
					   FinalPathExtraData *fextra)
{
	Query	   *parse = root->parse;
	ForeignPath *grouped = spanner_grouping_path(input_rel);
	SpannerRelInfo *upper;
	List	   *pathkeys = NIL;
	List	   *limit = NIL;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;

	if (grouped == NULL || input_rel->fdw_private == NULL || output_rel->fdw_private != NULL)
		return;
	upper = (SpannerRelInfo *) input_rel->fdw_private;
	if (parse->sortClause)
	{
		if (!spanner_grouped_pathkeys_ok(root, upper->outerrel,
										 (List *) lsecond(grouped->fdw_private),
										 root->sort_pathkeys))
			return;
		pathkeys = root->sort_pathkeys;
	}
	else if (fextra == NULL)
		return;
	if (fextra != NULL)
	{
		if (lthird(grouped->fdw_private) != NULL ||	/* HAVING */
			parse->limitOption != LIMIT_OPTION_COUNT || parse->hasWindowFuncs ||
			parse->hasTargetSRFs || parse->rowMarks || parse->setOperations ||
			parse->distinctClause ||
			!spanner_limit_expr_ok(parse->limitCount) ||
			!spanner_limit_expr_ok(parse->limitOffset))
			return;
		limit = list_make2(parse->limitCount, parse->limitOffset);
	}

	rows = grouped->path.rows;
	if (fextra != NULL && fextra->count_est > 0)
		rows = Min(rows, fextra->count_est);
	startup_cost = grouped->path.startup_cost;
	total_cost = grouped->path.total_cost;
	if (fextra != NULL)
	{
		/*
		 * A local LIMIT above is costed as if Spanner stopped early, which
		 * it does not: cost the remote LIMIT a little lower than that.
		 */
		startup_cost *= 0.95;
		total_cost = startup_cost;
	}
	/* else: Spanner sorts the few groups it sends; a local sort would too */
	output_rel->fdw_private = upper;
	add_path(output_rel,
			 (Path *) create_foreign_upper_path(root, output_rel,
												fextra ? root->upper_targets[UPPERREL_FINAL]
												: root->upper_targets[UPPERREL_ORDERED],
												rows, startup_cost, total_cost, pathkeys, NULL,
												list_make4(linitial(grouped->fdw_private),
														   lsecond(grouped->fdw_private),
														   lthird(grouped->fdw_private),
														   limit)));
}

static bool
contain_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return true;
	return expression_tree_walker(node, contain_param_walker, context);
}

/*
 * Can this relation be one side of a join Spanner runs?  A foreign table
 * whose conditions are all evaluated on Spanner (and need no fallback), or
 * a join Spanner runs that can be nested (not a semi or anti join).
 */
static bool
joinable(PlannerInfo *root, RelOptInfo *rel)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) rel->fdw_private;

	if (fpinfo == NULL)
		return false;
	if (IS_JOIN_REL(rel))
		return fpinfo->join_conds != NIL &&
			fpinfo->jointype != JOIN_SEMI && fpinfo->jointype != JOIN_ANTI;
	return rel->reloptkind == RELOPT_BASEREL && fpinfo->local_conds == NIL &&
		!conds_may_fall_back(root, rel, fpinfo->remote_conds);
}

/* The clauses of a list of RestrictInfos or clauses. */
static List *
bare_clauses(List *conds)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, conds)
	{
		Node	   *n = (Node *) lfirst(lc);

		result = lappend(result, IsA(n, RestrictInfo) ? (Node *) ((RestrictInfo *) n)->clause : n);
	}
	return result;
}

/*
 * spanner_get_join_paths
 *		An inner join of two foreign tables of the same server and user
 *		mapping runs as one Spanner query when every condition of both
 *		tables and of the join is one Spanner evaluates as PostgreSQL does.
 */
void
spanner_get_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
					   RelOptInfo *outerrel, RelOptInfo *innerrel,
					   JoinType jointype, JoinPathExtraData *extra)
{
	SpannerRelInfo *outer_info = (SpannerRelInfo *) outerrel->fdw_private;
	SpannerRelInfo *inner_info = (SpannerRelInfo *) innerrel->fdw_private;
	SpannerRelInfo *fpinfo;
	List	   *join_conds = NIL;
	ListCell   *lc;
	double		rows;
	Cost		startup_cost;
	Cost		total_cost;

	if (!spanner_pushdown || joinrel->fdw_private != NULL ||
		!bms_is_empty(joinrel->lateral_relids) ||
		(jointype != JOIN_INNER && jointype != JOIN_LEFT &&
		 jointype != JOIN_RIGHT && jointype != JOIN_FULL &&
		 jointype != JOIN_SEMI && jointype != JOIN_ANTI))
		return;
	/* no locking, no EvalPlanQual: plain SELECTs only */
	if (root->parse->commandType != CMD_SELECT || root->parse->rowMarks != NIL ||
		root->hasPseudoConstantQuals)
		return;
	if (!joinable(root, outerrel) || !joinable(root, innerrel))
		return;
	/* EXISTS reads one table */
	if ((jointype == JOIN_SEMI || jointype == JOIN_ANTI) && IS_JOIN_REL(innerrel))
		return;
	/* the join returns plain user columns (no whole rows, no tableoid) */
	foreach(lc, joinrel->reltarget->exprs)
		if (!IsA(lfirst(lc), Var) || ((Var *) lfirst(lc))->varattno <= 0)
			return;

	fpinfo = palloc0(sizeof(SpannerRelInfo));
	fpinfo->dialect = outer_info->dialect;
	fpinfo->serverid = outer_info->serverid;
	fpinfo->fdw_startup_cost = outer_info->fdw_startup_cost;
	fpinfo->fdw_tuple_cost = outer_info->fdw_tuple_cost;
	fpinfo->outerrel = outerrel;
	fpinfo->innerrel = innerrel;
	fpinfo->jointype = jointype;
	/* set now: shippability of the join conditions looks at both tables */
	joinrel->fdw_private = fpinfo;

	/* a twin that may fail is sent only alone (spanner_may_fail) */
	if (list_length(extra->restrictlist) + list_length(outer_info->remote_conds) +
		list_length(inner_info->remote_conds) > 1)
	{
		foreach(lc, list_concat_copy(list_concat_copy(extra->restrictlist,
													  outer_info->remote_conds),
									 inner_info->remote_conds))
		{
			Node	   *n = (Node *) lfirst(lc);

			if (spanner_may_fail(IsA(n, RestrictInfo) ? (Node *) ((RestrictInfo *) n)->clause : n))
				return;
		}
	}
	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (rinfo->pseudoconstant ||
			!spanner_is_foreign_expr(root, joinrel, rinfo->clause))
			return;
		/* a run-time value could need the fallback a join does not have */
		if (contain_param_walker((Node *) rinfo->clause, NULL) ||
			contain_mutable_functions((Node *) rinfo->clause))
			return;
	}

	/*
	 * Where each condition goes.  An inner join: all in ON, the tables' own
	 * in WHERE.  An outer join: its ON clause in ON, conditions above it
	 * (WHERE clauses on nullable columns) in WHERE; the preserved table's
	 * own conditions in WHERE, the nullable table's in ON (they decide
	 * which of its rows match, not which rows come out).  A full join has
	 * no place for the tables' own conditions without subqueries.  A semi
	 * or anti join: [NOT] EXISTS with the ON clause and the inner table's
	 * conditions inside, the rest in WHERE.
	 */
	if (jointype == JOIN_INNER)
	{
		join_conds = list_copy(extra->restrictlist);
		fpinfo->remote_conds = list_concat_copy(outer_info->remote_conds,
												inner_info->remote_conds);
	}
	else if (jointype == JOIN_SEMI)
	{
		/* every join clause names the inner table: inside EXISTS */
		join_conds = list_concat(extract_actual_clauses(extra->restrictlist, false),
								 bare_clauses(inner_info->remote_conds));
		fpinfo->remote_conds = list_copy(outer_info->remote_conds);
	}
	else
	{
		List	   *other_conds = NIL;

		extract_actual_join_clauses(extra->restrictlist, joinrel->relids,
									&join_conds, &other_conds);
		fpinfo->remote_conds = other_conds;
		/* above an anti join the inner table is out of scope */
		if (jointype == JOIN_ANTI &&
			bms_overlap(pull_varnos(root, (Node *) other_conds), innerrel->relids))
			return;
		if (jointype == JOIN_FULL)
		{
			if (outer_info->remote_conds != NIL || inner_info->remote_conds != NIL)
				return;
		}
		else
		{
			bool		outer_kept = (jointype != JOIN_RIGHT);
			SpannerRelInfo *preserved = outer_kept ? outer_info : inner_info;
			SpannerRelInfo *nullable = outer_kept ? inner_info : outer_info;

			fpinfo->remote_conds = list_concat(fpinfo->remote_conds,
											   bare_clauses(preserved->remote_conds));
			join_conds = list_concat(join_conds, bare_clauses(nullable->remote_conds));
		}
	}
	if (join_conds == NIL)
		return;					/* a cross join: not worth a remote query */
	fpinfo->join_conds = join_conds;

	rows = clamp_row_est(joinrel->rows);
	startup_cost = fpinfo->fdw_startup_cost +
		(outerrel->rows + innerrel->rows) * cpu_operator_cost;
	total_cost = startup_cost + rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);
	add_path(joinrel, (Path *) create_foreign_join_path(root, joinrel, NULL, rows,
														startup_cost, total_cost,
														NIL, joinrel->lateral_relids,
														NULL, NIL));

	/* sorted by Spanner, for an ORDER BY (or a merge join) above */
	if (root->query_pathkeys != NIL &&
		spanner_pathkeys_shippable(root, joinrel, root->query_pathkeys))
		add_path(joinrel, (Path *) create_foreign_join_path(root, joinrel, NULL, rows,
															total_cost,
															total_cost * DEFAULT_FDW_SORT_MULTIPLIER,
															root->query_pathkeys,
															joinrel->lateral_relids,
															NULL, NIL));
}

/*
 * The relation a query's scan/join part is, if Spanner runs all of it:
 * its one foreign table, or the join of its foreign tables; else NULL.
 */
static RelOptInfo *
whole_foreign_rel(PlannerInfo *root, RelOptInfo *input_rel)
{
	RelOptInfo *rel = single_foreign_rel(root, input_rel);

	if (rel != NULL)
		return rel;
	rel = find_join_rel(root, root->all_baserels);
	if (rel == NULL || rel->fdw_private == NULL ||
		rel->fdwroutine != input_rel->fdwroutine ||
		((SpannerRelInfo *) rel->fdw_private)->join_conds == NIL)
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

	if (!spanner_pushdown)
		return;
	if (stage == UPPERREL_GROUP_AGG)
	{
		add_grouping_path(root, input_rel, output_rel, (GroupPathExtraData *) extra);
		return;
	}
	if (stage == UPPERREL_DISTINCT)
	{
		add_distinct_path(root, input_rel, output_rel);
		return;
	}
	if (stage == UPPERREL_ORDERED)
	{
		add_grouped_upper_path(root, input_rel, output_rel, NULL);
		return;
	}
	if (stage == UPPERREL_FINAL && fextra->limit_needed &&
		(parse->hasAggs || parse->groupClause))
	{
		add_grouped_upper_path(root, input_rel, output_rel, fextra);
		return;
	}
	if (stage != UPPERREL_FINAL || !fextra->limit_needed)
		return;
	/* nothing between the scan and the LIMIT but a sort and a projection */
	if (parse->hasAggs || parse->groupClause || parse->groupingSets ||
		root->hasHavingQual || parse->hasWindowFuncs || parse->distinctClause ||
		parse->hasTargetSRFs || parse->rowMarks || parse->setOperations ||
		root->hasPseudoConstantQuals ||
		parse->limitOption != LIMIT_OPTION_COUNT)
		return;
	baserel = whole_foreign_rel(root, input_rel);
	if (baserel == NULL)
		return;
	fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	if (!IS_JOIN_REL(baserel) &&
		(fpinfo->local_conds != NIL ||
		 conds_may_fall_back(root, baserel, fpinfo->remote_conds)))
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
	startup_cost = fpinfo->fdw_startup_cost * 0.95;
	total_cost = startup_cost + rows * (cpu_tuple_cost + fpinfo->fdw_tuple_cost);

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
 * The plan of a grouping path: scanrelid 0, its rows described by the
 * grouped select list (fdw_scan_tlist), from which the target list is
 * computed.
 */
static char *relations_text(PlannerInfo *root, RelOptInfo *rel);

static ForeignScan *
grouped_plan(PlannerInfo *root, RelOptInfo *grouped_rel, ForeignPath *best_path,
			 List *tlist)
{
	RelOptInfo *input_rel = ((SpannerRelInfo *) grouped_rel->fdw_private)->outerrel;
	List	   *scan_tlist = (List *) lsecond(best_path->fdw_private);
	List	   *params_list = NIL;
	List	   *plus_one = NIL;
	List	   *retrieved_attrs = NIL;
	List	   *fdw_private;
	StringInfoData sql;
	int			i;

	bool		distinct = intVal(linitial(best_path->fdw_private)) == 1;

	List	   *limit = (List *) lfourth(best_path->fdw_private);
	List	   *limit_params = NIL;

	initStringInfo(&sql);
	spanner_deparse_grouped_select(&sql, root, input_rel, scan_tlist, distinct,
								   best_path->path.pathkeys, limit,
								   &params_list, &plus_one, &limit_params);
	/* an average comes as two columns, its sum and count: attnum twice */
	for (i = 1; i <= list_length(scan_tlist); i++)
	{
		Expr	   *expr = list_nth_node(TargetEntry, scan_tlist, i - 1)->expr;
		Var		   *arg;

		retrieved_attrs = lappend_int(retrieved_attrs, i);
		if (IsA(expr, Aggref) &&
			spanner_agg_kind(root, input_rel, (Aggref *) expr, &arg) == SPANNER_AGG_AVG)
			retrieved_attrs = lappend_int(retrieved_attrs, i);
	}
	fdw_private = list_make5(makeString(sql.data), retrieved_attrs, NULL, NIL, plus_one);
	fdw_private = lappend(fdw_private, limit_params);
	fdw_private = lappend(fdw_private,
						  makeString(psprintf("%s on (%s)", distinct ? "Distinct" : "Aggregate",
											  relations_text(root, input_rel))));

	return make_foreignscan(tlist,
							(List *) lthird(best_path->fdw_private),	/* HAVING */
							0,
							params_list,
							fdw_private,
							scan_tlist,
							NIL,
							NULL);
}

/*
 * EXPLAIN's description of a base or join relation: "s.t", or
 * "(s.t r1) LEFT JOIN (s.u r2)", nested joins in parentheses.
 */
static char *
relations_text(PlannerInfo *root, RelOptInfo *rel)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) rel->fdw_private;
	RelOptInfo *sides[2];
	char	   *text[2];

	if (!IS_JOIN_REL(rel))
		return psprintf("%s.%s",
						quote_identifier(get_namespace_name(get_rel_namespace(fpinfo->relid))),
						quote_identifier(get_rel_name(fpinfo->relid)));
	sides[0] = fpinfo->outerrel;
	sides[1] = fpinfo->innerrel;
	for (int i = 0; i < 2; i++)
		text[i] = IS_JOIN_REL(sides[i]) ? psprintf("(%s)", relations_text(root, sides[i])) :
			psprintf("(%s r%d)", relations_text(root, sides[i]), sides[i]->relid);
	return psprintf("%s %s %s", text[0], spanner_join_type_name(fpinfo->jointype), text[1]);
}

/*
 * The plan of a join path, or of a LIMIT above a join: scanrelid 0, its
 * rows the join's columns, sorted and limited by Spanner as asked.
 */
static ForeignScan *
join_plan(PlannerInfo *root, RelOptInfo *joinrel, List *tlist, List *pathkeys, List *limit)
{
	List	   *scan_tlist;
	List	   *params_list = NIL;
	List	   *plus_one = NIL;
	List	   *limit_params = NIL;
	List	   *retrieved_attrs = NIL;
	List	   *fdw_private;
	StringInfoData sql;
	int			i;

	scan_tlist = add_to_flat_tlist(NIL, pull_var_clause((Node *) joinrel->reltarget->exprs, 0));
	initStringInfo(&sql);
	spanner_deparse_join_select(&sql, root, joinrel, scan_tlist, pathkeys, limit,
								&params_list, &plus_one, &limit_params);
	for (i = 1; i <= list_length(scan_tlist); i++)
		retrieved_attrs = lappend_int(retrieved_attrs, i);
	fdw_private = list_make5(makeString(sql.data), retrieved_attrs, NULL, NIL, plus_one);
	fdw_private = lappend(fdw_private, limit_params);
	fdw_private = lappend(fdw_private, makeString(relations_text(root, joinrel)));
	return make_foreignscan(tlist, NIL, 0, params_list, fdw_private, scan_tlist,
							NIL, NULL);
}

/* Does a key column of the read take its values from a list? */
static bool
key_parts_have_list(List *parts)
{
	ListCell   *lc;

	foreach(lc, parts)
		if (((SpannerKeyPart *) lfirst(lc))->in_list)
			return true;
	return false;
}

/* The 1-based number of the SELECT's parameter that sends value. */
static int
key_param_number(List *params_list, Node *value)
{
	ListCell   *lc;

	while (value && IsA(value, RelabelType))
		value = (Node *) ((RelabelType *) value)->arg;
	foreach(lc, params_list)
		if (equal(lfirst(lc), value))
			return foreach_current_index(lc) + 1;
	elog(ERROR, "spanner_fdw: a key value of the read is not a parameter of the query");
	return 0;					/* keep compiler quiet */
}

/*
 * The key columns of a read by key as scan.c takes them (scan_private.h):
 * the values are the SELECT's own parameters, found by the expressions
 * deparse.c made parameters of.
 */
static List *
key_read_spec(List *parts, List *params_list)
{
	List	   *keys = NIL;
	ListCell   *lc;

	foreach(lc, parts)
	{
		SpannerKeyPart *part = (SpannerKeyPart *) lfirst(lc);
		SpannerKeyKind kind = part->value == NULL ? SPANNER_KEY_BOOL :
			!part->in_list ? SPANNER_KEY_VALUE :
			IsA(part->value, ArrayExpr) ? SPANNER_KEY_VALUES : SPANNER_KEY_ARRAY;
		List	   *key = list_make3_int(part->attnum, kind, (int) part->code);

		if (kind == SPANNER_KEY_BOOL)
			key = lappend_int(key, part->bool_value ? 1 : 0);
		else if (kind == SPANNER_KEY_VALUES)
		{
			ListCell   *lc2;

			foreach(lc2, ((ArrayExpr *) part->value)->elements)
				key = lappend_int(key, key_param_number(params_list, lfirst(lc2)));
		}
		else
			key = lappend_int(key, key_param_number(params_list, part->value));
		keys = lappend(keys, key);
	}
	return keys;
}

/*
 * spanner_get_plan
 *		Build the remote query and the ForeignScan node.
 *
 * When a condition compares a date or timestamp column with a value known
 * only at run time, a second query without any condition is planned too:
 * a run-time value outside Spanner's range (infinity, BC, past 9999) cannot
 * be sent, and the scan then fetches with it and checks every condition
 * locally, giving PostgreSQL's answer.  It keeps the ORDER BY (the plan
 * above may rely on the order) and never has a LIMIT (no LIMIT is sent
 * when a fallback may be needed).
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
	List	   *read = NIL;
	StringInfoData sql;
	ListCell   *lc;
	char	   *fallback_sql = NULL;
	List	   *fallback_attrs = NIL;
	Bitmapset  *attrs_used;

	/*
	 * A LIMIT path (spanner_get_upper_paths) scans the query's one foreign
	 * table, as its scan relation: every condition is remote and the
	 * projection of the final target list is done on its rows.
	 */
	if (IS_JOIN_REL(baserel))
		return join_plan(root, baserel, tlist, best_path->path.pathkeys, NIL);
	if (IS_UPPER_REL(baserel) && list_length(best_path->fdw_private) == 4)
		return grouped_plan(root, baserel, best_path, tlist);
	if (IS_UPPER_REL(baserel))
	{
		limit = (List *) linitial(best_path->fdw_private);
		baserel = whole_foreign_rel(root, baserel);
		if (baserel == NULL)
			elog(ERROR, "spanner_fdw: LIMIT path without its foreign table");
		if (IS_JOIN_REL(baserel))
			return join_plan(root, baserel, tlist, best_path->path.pathkeys, limit);
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

	/*
	 * A twin that may fail is sent only as the scan's one condition: with
	 * a join clause of a lookup per row beside it, it is checked locally.
	 */
	attrs_used = bms_copy(fpinfo->attrs_used);
	if (list_length(remote_conds) + list_length(local_exprs) > 1)
	{
		List	   *keep = NIL;

		foreach(lc, remote_conds)
		{
			RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

			if (spanner_may_fail((Node *) rinfo->clause))
			{
				local_exprs = lappend(local_exprs, rinfo->clause);
				remote_exprs = list_delete_ptr(remote_exprs, rinfo->clause);
				/* its columns must now be fetched */
				pull_varattnos((Node *) rinfo->clause, baserel->relid, &attrs_used);
			}
			else
				keep = lappend(keep, rinfo);
		}
		remote_conds = keep;
	}

	initStringInfo(&sql);
	spanner_deparse_select(&sql, root, baserel, remote_conds, attrs_used,
						   best_path->path.pathkeys, limit,
						   &retrieved_attrs, &params_list, &plus_one, &limit_params);

	if (spanner_params_may_be_out_of_range(params_list))
	{
		StringInfoData fb;
		Bitmapset  *attrs = bms_copy(attrs_used);
		List	   *no_params = NIL;
		List	   *no_plus_one = NIL;

		foreach(lc, remote_exprs)
			pull_varattnos((Node *) lfirst(lc), baserel->relid, &attrs);
		initStringInfo(&fb);
		Assert(limit == NIL);
		/* the same order: the plan above relies on it */
		spanner_deparse_select(&fb, root, baserel, NIL, attrs,
							   best_path->path.pathkeys, NIL,
							   &fallback_attrs, &no_params, &no_plus_one, NULL);
		fallback_sql = fb.data;
	}

	/*
	 * Rows by their keys: the Read API, no SQL for Spanner to compile.  Not
	 * with a LIMIT, nor when a run-time value might need the fallback; rows
	 * of several keys come in key order, so only if no order is asked for.
	 */
	if (limit == NIL && fallback_sql == NULL && spanner_pushdown)
	{
		List	   *parts = spanner_key_read_parts(root, baserel, remote_exprs);

		if (parts != NIL &&
			(best_path->path.pathkeys == NIL || !key_parts_have_list(parts)))
		{
			StringInfoData fields;
			StringInfoData description;
			List	   *keys = key_read_spec(parts, params_list);

			initStringInfo(&fields);
			initStringInfo(&description);
			spanner_deparse_read(&fields, &description, fpinfo->dialect, fpinfo->relid,
								 retrieved_attrs, keys);
			read = list_make3(makeString(fields.data), makeString(description.data),
							  keys);
		}
	}

	fdw_private = list_make5(makeString(sql.data), retrieved_attrs,
							 fallback_sql ? makeString(fallback_sql) : NULL,
							 fallback_attrs, plus_one);
	fdw_private = lappend(fdw_private, limit_params);
	fdw_private = lappend(fdw_private, NULL);	/* no Relations */
	fdw_private = lappend(fdw_private, read);

	return make_foreignscan(tlist,
							local_exprs,
							baserel->relid,
							params_list,
							fdw_private,
							NIL,	/* no custom tlist */
							remote_exprs,
							outer_plan);
}
