/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		  Render the remote query for a foreign scan from the conditions
 *		  shippable.c accepted: select list, FROM, WHERE.  Dialect-neutral:
 *		  every spelling comes from the server's SpannerDialect.
 *
 * Constants and parameters are never inlined: each becomes a typed query
 * parameter, so no value can change the meaning of the SQL; identifiers are
 * always quoted.
 *
 * Timestamps: Spanner keeps nanoseconds, PostgreSQL microseconds, and the
 * scan truncates (toward the earlier instant).  A comparison of a
 * timestamptz column with a value v (always on the microsecond grid) is sent
 * as a range on the bare column, which Spanner can answer from an index or
 * the primary key:
 *		col >= v	->	col >= v
 *		col >  v	->	col >= v + 1us
 *		col <  v	->	col <  v
 *		col <= v	->	col <  v + 1us
 *		col =  v	->	col >= v AND col < v + 1us
 *		col <> v	->	col <  v OR  col >= v + 1us
 * (v + 1us is a second parameter, computed locally: at plan time for a
 * constant, by the scan for a value known only at run time.)  IN lists of
 * timestamps compare the column cut to microseconds.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/deparse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/sysattr.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "spanner_fdw.h"
#include "scan_private.h"

/* Context for deparse_expr */
typedef struct deparse_expr_cxt
{
	PlannerInfo *root;
	RelOptInfo *foreignrel;
	const SpannerDialect *dialect;
	StringInfo	buf;
	List	  **params_list;	/* exprs that become parameters 1, 2, ... */
	List	  **plus_one;		/* 1-based parameters sent one microsecond
								 * later than their expression's value */
} deparse_expr_cxt;

static void deparse_expr(Expr *node, deparse_expr_cxt *context);
static void deparse_operand(Node *node, deparse_expr_cxt *context);
static void deparse_conjunction(deparse_expr_cxt *context, List *conds);
static void deparse_where(deparse_expr_cxt *context, List *conds);
static void deparse_from_where(deparse_expr_cxt *context, RelOptInfo *rel);
static void deparse_scalar(Node *node, deparse_expr_cxt *context);
static void deparse_aggref(Aggref *agg, deparse_expr_cxt *context);
static void deparse_group_by(deparse_expr_cxt *context, List *tlist, int *position);
static void deparse_grouped_order_by(deparse_expr_cxt *context, List *tlist, List *pathkeys);
static void deparse_limit(deparse_expr_cxt *context, List *limit, List **limit_params);

static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/*
 * spanner_deparse_table_name
 *		The Spanner table of a foreign table: schema_name.table_name from its
 *		options, or its PostgreSQL name.
 */
void
spanner_deparse_table_name(StringInfo buf, const SpannerDialect *dialect, Oid relid)
{
	const char *nspname = spanner_table_option(relid, "schema_name");
	const char *relname = spanner_table_option(relid, "table_name");

	if (relname == NULL)
		relname = get_rel_name(relid);
	if (nspname && nspname[0])
	{
		dialect->quote_identifier(buf, nspname);
		appendStringInfoChar(buf, '.');
	}
	dialect->quote_identifier(buf, relname);
}

/*
 * spanner_param_type_json
 *		The paramTypes entry for a parameter of PostgreSQL type pgtype.
 */
char *
spanner_param_type_json(const SpannerDialect *dialect, Oid pgtype)
{
	SpTypeCode	elem;
	SpTypeCode	code = spanner_param_type(pgtype, &elem);

	if (code == SP_TYPE_UNSPECIFIED)
		elog(ERROR, "type %s cannot be sent to Spanner as a parameter",
			 format_type_be(pgtype));
	return dialect->type_json(code, elem);
}

/* A deparse context for a relation (base, join or the input of a grouping). */
static void
init_context(deparse_expr_cxt *context, PlannerInfo *root, RelOptInfo *rel,
			 StringInfo buf, List **params_list, List **plus_one)
{
	context->root = root;
	context->foreignrel = rel;
	context->dialect = ((SpannerRelInfo *) rel->fdw_private)->dialect;
	context->buf = buf;
	context->params_list = params_list;
	context->plus_one = plus_one;
}

/* A column; in a join, qualified by its table's alias r<varno>. */
static void
deparse_column_ref(deparse_expr_cxt *context, int varno, int varattno)
{
	RangeTblEntry *rte = planner_rt_fetch(varno, context->root);

	if (IS_JOIN_REL(context->foreignrel))
		appendStringInfo(context->buf, "r%d.", varno);
	context->dialect->quote_identifier(context->buf,
									   spanner_column_name(rte->relid, varattno));
}

/* Add a parameter for a Const, Param or expression and print its name. */
static void
deparse_param(Node *node, deparse_expr_cxt *context)
{
	ListCell   *lc;

	node = strip_relabel(node);
	/* reuse the same Param if it appears again (not a slot adjusted at run time) */
	foreach(lc, *context->params_list)
	{
		int			n = foreach_current_index(lc) + 1;

		if (IsA(node, Param) && equal(node, lfirst(lc)) &&
			(context->plus_one == NULL ||
			 (!list_member_int(*context->plus_one, n) &&
			  !list_member_int(*context->plus_one, -n))))
		{
			context->dialect->param_ref(context->buf, foreach_current_index(lc) + 1);
			return;
		}
	}
	*context->params_list = lappend(*context->params_list, node);
	context->dialect->param_ref(context->buf, list_length(*context->params_list));
}

/*
 * A parameter for the value one microsecond after a timestamptz Const or
 * Param: a constant is folded now; a value known only at run time is
 * marked, and the scan adds the microsecond (or, at the end of the range,
 * takes its fallback query).
 */
static void
deparse_param_micro_later(Node *value, deparse_expr_cxt *context)
{
	value = strip_relabel(value);
	if (IsA(value, Const))
	{
		Const	   *c = (Const *) copyObject(value);

		if (!c->constisnull)
			c->constvalue = TimestampTzGetDatum(DatumGetTimestampTz(c->constvalue) + 1);
		deparse_param((Node *) c, context);
		return;
	}
	*context->params_list = lappend(*context->params_list, value);
	*context->plus_one = lappend_int(*context->plus_one,
									 list_length(*context->params_list));
	context->dialect->param_ref(context->buf, list_length(*context->params_list));
}

/* The operator as seen with the operands swapped. */
static const char *
commute(const char *name)
{
	if (strcmp(name, "<") == 0)
		return ">";
	if (strcmp(name, "<=") == 0)
		return ">=";
	if (strcmp(name, ">") == 0)
		return "<";
	if (strcmp(name, ">=") == 0)
		return "<=";
	return name;
}

/* col op value for a timestamptz column: a range on the bare column. */
static void
deparse_timestamp_comparison(Var *col, const char *op, Node *value,
							 deparse_expr_cxt *context)
{
	StringInfo	buf = context->buf;

#define COL() deparse_column_ref(context, col->varno, col->varattno)
	appendStringInfoChar(buf, '(');
	if (strcmp(op, ">=") == 0 || strcmp(op, "<") == 0)
	{
		COL();
		appendStringInfo(buf, " %s ", op);
		deparse_param(value, context);
	}
	else if (strcmp(op, ">") == 0)
	{
		COL();
		appendStringInfoString(buf, " >= ");
		deparse_param_micro_later(value, context);
	}
	else if (strcmp(op, "<=") == 0)
	{
		COL();
		appendStringInfoString(buf, " < ");
		deparse_param_micro_later(value, context);
	}
	else
	{
		bool		eq = (strcmp(op, "=") == 0);

		COL();
		appendStringInfoString(buf, eq ? " >= " : " < ");
		deparse_param(value, context);
		appendStringInfoString(buf, eq ? " AND " : " OR ");
		COL();
		appendStringInfoString(buf, eq ? " < " : " >= ");
		deparse_param_micro_later(value, context);
	}
	appendStringInfoChar(buf, ')');
#undef COL
}

/*
 * Is node a column of the relation being scanned?  (A column of another
 * relation is a value, sent as a parameter: a nested loop sets it for
 * each outer row.)
 */
static bool
is_own_var(Node *node, deparse_expr_cxt *context)
{
	return node != NULL && IsA(node, Var) &&
		bms_is_member(((Var *) node)->varno, context->foreignrel->relids) &&
		((Var *) node)->varlevelsup == 0;
}

/* Does node use a column of the relation being scanned?  Else a value. */
static bool
has_own_var(Node *node, deparse_expr_cxt *context)
{
	return bms_overlap(pull_varnos(context->root, node), context->foreignrel->relids);
}

/*
 * A parameter holding the session's time zone, for functions computed in
 * it.  The scan sends the zone in effect when it runs (a plan may outlive a
 * SET TimeZone), marked by a negative entry in plus_one.
 */
static void
deparse_zone_param(deparse_expr_cxt *context)
{
	const char *zone = spanner_session_zone();

	if (zone == NULL)
		elog(ERROR, "spanner_fdw: time zone %s cannot be sent",
			 pg_get_timezone_name(session_timezone));
	*context->params_list = lappend(*context->params_list,
									makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
											  CStringGetTextDatum(zone), false, false));
	*context->plus_one = lappend_int(*context->plus_one,
									 -list_length(*context->params_list));
	context->dialect->param_ref(context->buf, list_length(*context->params_list));
}

/*
 * An expression shippable.c accepted (scalar_ok): a column, a value sent
 * as a parameter, a twin of an operator or function spelt by the dialect,
 * COALESCE, NULLIF or a searched CASE.
 */
static void
deparse_scalar(Node *node, deparse_expr_cxt *context)
{
	StringInfo	buf = context->buf;
	SpannerScalarCall call;
	ListCell   *lc;

	node = strip_relabel(node);
	if (!has_own_var(node, context))
	{
		deparse_param(node, context);
		return;
	}
	if (IsA(node, Var))
	{
		deparse_column_ref(context, ((Var *) node)->varno, ((Var *) node)->varattno);
		return;
	}
	if (spanner_scalar_call(node, &call))
	{
		const char *t = context->dialect->scalar_template(call.fn, list_length(call.args),
														  call.field);

		if (t == NULL)
			elog(ERROR, "spanner_fdw: no spelling for a function accepted");
		for (; *t; t++)
		{
			if (t[0] == '%' && t[1] >= '1' && t[1] <= '9')
			{
				deparse_scalar(list_nth(call.args, t[1] - '1'), context);
				t++;
			}
			else if (t[0] == '%' && t[1] == 'z')
			{
				deparse_zone_param(context);
				t++;
			}
			else
				appendStringInfoChar(buf, *t);
		}
		return;
	}
	switch (nodeTag(node))
	{
		case T_CoalesceExpr:
			appendStringInfoString(buf, "COALESCE(");
			foreach(lc, ((CoalesceExpr *) node)->args)
			{
				if (foreach_current_index(lc) > 0)
					appendStringInfoString(buf, ", ");
				deparse_scalar(lfirst(lc), context);
			}
			appendStringInfoChar(buf, ')');
			break;
		case T_NullIfExpr:
			appendStringInfoString(buf, "NULLIF(");
			deparse_operand(linitial(((NullIfExpr *) node)->args), context);
			appendStringInfoString(buf, ", ");
			deparse_operand(lsecond(((NullIfExpr *) node)->args), context);
			appendStringInfoChar(buf, ')');
			break;
		case T_CaseExpr:
			appendStringInfoString(buf, "CASE");
			foreach(lc, ((CaseExpr *) node)->args)
			{
				CaseWhen   *w = lfirst_node(CaseWhen, lc);

				appendStringInfoString(buf, " WHEN ");
				deparse_expr(w->expr, context);
				appendStringInfoString(buf, " THEN ");
				deparse_scalar((Node *) w->result, context);
			}
			appendStringInfoString(buf, " ELSE ");
			deparse_scalar((Node *) ((CaseExpr *) node)->defresult, context);
			appendStringInfoString(buf, " END");
			break;
		default:
			/* a condition as a boolean value */
			if (exprType(node) == BOOLOID)
				deparse_expr((Expr *) node, context);
			else
				elog(ERROR, "unsupported expression type for deparse: %d",
					 (int) nodeTag(node));
	}
}

/*
 * An operand of a comparison: an expression, or a constant/parameter.  A
 * timestamp computed on Spanner is cut to microseconds, as PostgreSQL
 * keeps it.
 */
static void
deparse_operand(Node *node, deparse_expr_cxt *context)
{
	Node	   *n = strip_relabel(node);

	if (!has_own_var(n, context))
		deparse_param(n, context);
	else if (exprType(n) == TIMESTAMPTZOID)
	{
		appendStringInfoString(context->buf, context->dialect->trunc_micros_open);
		deparse_scalar(n, context);
		appendStringInfoString(context->buf, context->dialect->trunc_micros_close);
	}
	else
		deparse_scalar(n, context);
}

static void
deparse_op_expr(OpExpr *op, deparse_expr_cxt *context)
{
	const char *name = spanner_comparison_name(op->opno);
	const char *like = spanner_like_name(op->opno);
	Node	   *a = strip_relabel(linitial(op->args));
	Node	   *b = strip_relabel(lsecond(op->args));

	if (like != NULL)
	{
		appendStringInfoChar(context->buf, '(');
		deparse_operand(a, context);
		appendStringInfo(context->buf, " %s ", like);
		deparse_param(b, context);
		appendStringInfoChar(context->buf, ')');
		return;
	}

	/* a column and a value: the timestamp ranges (expressions: below) */
	if (is_own_var(a, context) && !has_own_var(b, context) &&
		((Var *) a)->vartype == TIMESTAMPTZOID)
	{
		deparse_timestamp_comparison((Var *) a, name, b, context);
		return;
	}
	if (is_own_var(b, context) && !has_own_var(a, context) &&
		((Var *) b)->vartype == TIMESTAMPTZOID)
	{
		deparse_timestamp_comparison((Var *) b, commute(name), a, context);
		return;
	}
	appendStringInfoChar(context->buf, '(');
	deparse_operand(a, context);
	appendStringInfo(context->buf, " %s ",
					 strcmp(name, "<>") == 0 ? context->dialect->ne_operator : name);
	deparse_operand(b, context);
	appendStringInfoChar(context->buf, ')');
}

static void
deparse_array_op_expr(ScalarArrayOpExpr *saop, deparse_expr_cxt *context)
{
	StringInfo	buf = context->buf;
	Node	   *arr = strip_relabel(lsecond(saop->args));

	appendStringInfoString(buf, saop->useOr ? "(" : "(NOT ");
	deparse_operand(linitial(saop->args), context);
	if (IsA(arr, Const) || IsA(arr, Param))
	{
		appendStringInfoString(buf, context->dialect->in_array_open);
		deparse_param(arr, context);
		appendStringInfoString(buf, context->dialect->in_array_close);
		appendStringInfoChar(buf, ')');
	}
	else
	{
		ListCell   *lc;

		appendStringInfoString(buf, " IN (");
		foreach(lc, ((ArrayExpr *) arr)->elements)
		{
			if (foreach_current_index(lc) > 0)
				appendStringInfoString(buf, ", ");
			deparse_param(lfirst(lc), context);
		}
		appendStringInfoString(buf, "))");
	}
}

static void
deparse_bool_expr(BoolExpr *b, deparse_expr_cxt *context)
{
	StringInfo	buf = context->buf;
	ListCell   *lc;

	if (b->boolop == NOT_EXPR)
	{
		appendStringInfoString(buf, "(NOT ");
		deparse_expr(linitial(b->args), context);
		appendStringInfoChar(buf, ')');
		return;
	}
	appendStringInfoChar(buf, '(');
	foreach(lc, b->args)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, b->boolop == AND_EXPR ? " AND " : " OR ");
		deparse_expr(lfirst(lc), context);
	}
	appendStringInfoChar(buf, ')');
}

/*
 * deparse_expr
 *		Render a shippable condition; accepts exactly the nodes
 *		shippable.c accepts.
 */
static void
deparse_expr(Expr *node, deparse_expr_cxt *context)
{
	switch (nodeTag(node))
	{
		case T_Var:
			deparse_column_ref(context, ((Var *) node)->varno, ((Var *) node)->varattno);
			break;
		case T_RelabelType:
			deparse_expr(((RelabelType *) node)->arg, context);
			break;
		case T_OpExpr:
			deparse_op_expr((OpExpr *) node, context);
			break;
		case T_ScalarArrayOpExpr:
			deparse_array_op_expr((ScalarArrayOpExpr *) node, context);
			break;
		case T_BoolExpr:
			deparse_bool_expr((BoolExpr *) node, context);
			break;
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) node;

				appendStringInfoChar(context->buf, '(');
				deparse_scalar((Node *) nt->arg, context);
				appendStringInfoString(context->buf, nt->nulltesttype == IS_NULL ?
									   " IS NULL)" : " IS NOT NULL)");
			}
			break;
		case T_FuncExpr:
		case T_CoalesceExpr:
		case T_CaseExpr:
			deparse_scalar((Node *) node, context);
			break;
		default:
			elog(ERROR, "unsupported expression type for deparse: %d",
				 (int) nodeTag(node));
			break;
	}
}

/* SELECT <columns>: the attnums go to *retrieved_attrs, in order. */
static void
deparse_select_list(deparse_expr_cxt *context, Oid relid, Bitmapset *attrs_used,
					List **retrieved_attrs)
{
	Relation	rel = RelationIdGetRelation(relid);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		have_wholerow;
	int			i;

	*retrieved_attrs = NIL;
	have_wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs_used);
	appendStringInfoString(context->buf, "SELECT ");
	for (i = 1; i <= tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i - 1);

		if (attr->attisdropped)
			continue;
		if (have_wholerow ||
			bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs_used))
		{
			if (*retrieved_attrs != NIL)
				appendStringInfoString(context->buf, ", ");
			deparse_column_ref(context, context->foreignrel->relid, i);
			*retrieved_attrs = lappend_int(*retrieved_attrs, i);
		}
	}
	RelationClose(rel);
	/* no columns needed (count rows) */
	if (*retrieved_attrs == NIL)
		appendStringInfoString(context->buf, context->dialect->no_columns);
}

static void
deparse_where(deparse_expr_cxt *context, List *conds)
{
	if (conds == NIL)
		return;
	appendStringInfoString(context->buf, " WHERE ");
	deparse_conjunction(context, conds);
}

/* Conditions (clauses or RestrictInfos) joined with AND. */
static void
deparse_conjunction(deparse_expr_cxt *context, List *conds)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		Expr	   *expr = (Expr *) lfirst(lc);

		if (IsA(expr, RestrictInfo))
			expr = ((RestrictInfo *) expr)->clause;
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(context->buf, " AND ");
		deparse_expr(expr, context);
	}
}

/* Is the column declared NOT NULL? */
static bool
column_not_null(Oid relid, AttrNumber attnum)
{
	HeapTuple	tuple;
	bool		result;

	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for attribute %d of relation %u", attnum, relid);
	result = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
	ReleaseSysCache(tuple);
	return result;
}

/*
 * ORDER BY the pathkeys, each a column Spanner orders as PostgreSQL does
 * (shippable.c).  Spanner sorts NULL first ascending and last descending,
 * and NaN below every other float: where PostgreSQL wants otherwise, a key
 * "col IS NULL" and, for floats, "IS_NAN(col)" come first.
 */
/*
 * May an outer join give this column NULL even where it is NOT NULL?  Any
 * join on the way from the relation down to the column's table that has
 * the column on a nullable side.
 */
static bool
null_extended_in(RelOptInfo *rel, Index varno)
{
	SpannerRelInfo *fpinfo;
	bool		in_outer;

	if (!IS_JOIN_REL(rel))
		return false;
	fpinfo = (SpannerRelInfo *) rel->fdw_private;
	in_outer = bms_is_member(varno, fpinfo->outerrel->relids);
	if (fpinfo->jointype == JOIN_FULL ||
		(fpinfo->jointype == JOIN_LEFT && !in_outer) ||
		(fpinfo->jointype == JOIN_RIGHT && in_outer))
		return true;
	return null_extended_in(in_outer ? fpinfo->outerrel : fpinfo->innerrel, varno);
}

static bool
null_extended(deparse_expr_cxt *context, Var *var)
{
	return null_extended_in(context->foreignrel, var->varno);
}

static void
deparse_order_by(deparse_expr_cxt *context, List *pathkeys)
{
	const SpannerDialect *d = context->dialect;
	StringInfo	buf = context->buf;
	ListCell   *lc;

	if (pathkeys == NIL)
		return;
	appendStringInfoString(buf, " ORDER BY ");
	foreach(lc, pathkeys)
	{
		PathKey    *pk = lfirst_node(PathKey, lc);
		bool		desc = (pk->pk_strategy == BTGreaterStrategyNumber);
		bool		is_float;
		Var		   *var = spanner_pathkey_column(context->root, context->foreignrel,
												 pk, &is_float);

		if (var == NULL)
			elog(ERROR, "sort key cannot be sent to Spanner");
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		/*
		 * Spanner's own placement: NULLs first ascending, last descending.
		 * A column declared NOT NULL needs no key (which would keep Spanner
		 * from reading in key order).
		 */
		if (pk->pk_nulls_first == desc &&
			(null_extended(context, var) ||
			 !column_not_null(planner_rt_fetch(var->varno, context->root)->relid,
							  var->varattno)))
		{
			deparse_column_ref(context, var->varno, var->varattno);
			appendStringInfoString(buf, pk->pk_nulls_first ? " IS NULL DESC, " : " IS NULL, ");
		}
		if (is_float)
		{
			appendStringInfoString(buf, d->is_nan_open);
			deparse_column_ref(context, var->varno, var->varattno);
			appendStringInfoString(buf, d->is_nan_close);
			appendStringInfoString(buf, desc ? " DESC, " : ", ");
		}
		/* nanoseconds on Spanner: ties at the microsecond go to the next key */
		if (var->vartype == TIMESTAMPTZOID && lnext(pathkeys, lc) != NULL)
		{
			appendStringInfoString(buf, d->trunc_micros_open);
			deparse_column_ref(context, var->varno, var->varattno);
			appendStringInfoString(buf, d->trunc_micros_close);
		}
		else
			deparse_column_ref(context, var->varno, var->varattno);
		if (desc)
			appendStringInfoString(buf, " DESC");
	}
}

/*
 * LIMIT @count OFFSET @offset, both parameters (an OFFSET alone gets the
 * largest LIMIT).  Their 1-based numbers go to *limit_params, as
 * (count, offset), 0 for none: the scan replaces a NULL and refuses a
 * negative value as PostgreSQL does.
 */
static void
deparse_limit(deparse_expr_cxt *context, List *limit, List **limit_params)
{
	Node	   *count = linitial(limit);
	Node	   *offset = lsecond(limit);
	int			count_param = 0;
	int			offset_param = 0;

	if (count != NULL && IsA(count, Const) && ((Const *) count)->constisnull)
		count = NULL;
	if (offset != NULL && IsA(offset, Const) && ((Const *) offset)->constisnull)
		offset = NULL;
	if (count == NULL && offset == NULL)
		return;
	if (count == NULL)
		count = (Node *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
								   Int64GetDatum(PG_INT64_MAX), false, FLOAT8PASSBYVAL);
	appendStringInfoString(context->buf, " LIMIT ");
	*context->params_list = lappend(*context->params_list, count);
	count_param = list_length(*context->params_list);
	context->dialect->param_ref(context->buf, count_param);
	if (offset != NULL)
	{
		appendStringInfoString(context->buf, " OFFSET ");
		*context->params_list = lappend(*context->params_list, offset);
		offset_param = list_length(*context->params_list);
		context->dialect->param_ref(context->buf, offset_param);
	}
	if (limit_params)
		*limit_params = list_make2_int(count_param, offset_param);
}

/*
 * spanner_deparse_select
 *		SELECT <referenced columns> FROM <table> [WHERE <remote conds>]
 *		[ORDER BY <pathkeys>] [LIMIT @count [OFFSET @offset]]
 *
 * limit is NIL or (count, offset), either NULL when absent.
 * retrieved_attrs gets the attnums in the order of the select list;
 * params_list the expressions behind parameters 1, 2, ...; limit_params
 * (may be NULL when limit is NIL) the numbers of the LIMIT and OFFSET
 * parameters.
 */
void
spanner_deparse_select(StringInfo buf, PlannerInfo *root, RelOptInfo *baserel,
					   List *remote_conds, Bitmapset *attrs_used,
					   List *pathkeys, List *limit,
					   List **retrieved_attrs, List **params_list,
					   List **plus_one, List **limit_params)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	deparse_expr_cxt context;

	init_context(&context, root, baserel, buf, params_list, plus_one);

	deparse_select_list(&context, fpinfo->relid, attrs_used, retrieved_attrs);
	appendStringInfoString(buf, " FROM ");
	spanner_deparse_table_name(buf, fpinfo->dialect, fpinfo->relid);
	deparse_where(&context, remote_conds);
	deparse_order_by(&context, pathkeys);
	if (limit != NIL)
		deparse_limit(&context, limit, limit_params);
}

/* An aggregate spanner_agg_kind() accepted. */
static void
deparse_aggref(Aggref *agg, deparse_expr_cxt *context)
{
	const SpannerDialect *d = context->dialect;
	StringInfo	buf = context->buf;
	Var		   *var;
	SpannerAggKind kind = spanner_agg_kind(context->root, context->foreignrel, agg, &var);

	switch (kind)
	{
		case SPANNER_AGG_COUNT_STAR:
			appendStringInfoString(buf, "COUNT(*)");
			return;
		case SPANNER_AGG_COUNT:
			appendStringInfoString(buf, "COUNT(");
			break;
		case SPANNER_AGG_COUNT_DISTINCT:
			appendStringInfoString(buf, "COUNT(DISTINCT ");
			break;
		case SPANNER_AGG_MIN:
			appendStringInfoString(buf, "MIN(");
			break;
		case SPANNER_AGG_MAX:
			appendStringInfoString(buf, "MAX(");
			break;
		case SPANNER_AGG_SUM:
			appendStringInfoString(buf, "SUM(");
			break;
		case SPANNER_AGG_SUM_NUMERIC:
			appendStringInfo(buf, "SUM(%s", d->numeric_cast_open);
			deparse_column_ref(context, var->varno, var->varattno);
			appendStringInfo(buf, "%s)", d->numeric_cast_close);
			return;
		case SPANNER_AGG_AVG:
			/* two columns: the exact sum and the count (scan.c divides) */
			appendStringInfo(buf, "SUM(%s", d->numeric_cast_open);
			deparse_column_ref(context, var->varno, var->varattno);
			appendStringInfo(buf, "%s), COUNT(", d->numeric_cast_close);
			break;
		case SPANNER_AGG_BOOL_AND:
			appendStringInfo(buf, "%s(", d->logical_and);
			break;
		case SPANNER_AGG_BOOL_OR:
			appendStringInfo(buf, "%s(", d->logical_or);
			break;
		case SPANNER_AGG_NONE:
			elog(ERROR, "aggregate cannot be sent to Spanner");
	}
	deparse_column_ref(context, var->varno, var->varattno);
	appendStringInfoChar(buf, ')');
}

/*
 * spanner_deparse_grouped_select
 *		SELECT <group keys and aggregates> FROM <table> [WHERE <remote conds>]
 *		[GROUP BY <group keys>]
 *
 * tlist holds the plain columns the query groups by (with their
 * ressortgroupref) and the aggregates, in the order of the select list.
 */
void
spanner_deparse_grouped_select(StringInfo buf, PlannerInfo *root, RelOptInfo *baserel,
							   List *tlist, bool distinct, List *pathkeys, List *limit,
							   List **params_list, List **plus_one, List **limit_params)
{
	deparse_expr_cxt context;
	ListCell   *lc;
	int		   *position = palloc0(sizeof(int) * (list_length(tlist) + 1));
	int			column = 0;

	init_context(&context, root, baserel, buf, params_list, plus_one);

	appendStringInfoString(buf, distinct ? "SELECT DISTINCT " : "SELECT ");
	foreach(lc, tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Node	   *expr = strip_relabel((Node *) tle->expr);
		Var		   *arg;

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		position[foreach_current_index(lc)] = ++column;
		if (IsA(expr, Aggref))
		{
			deparse_aggref((Aggref *) expr, &context);
			/* an average is two columns */
			if (spanner_agg_kind(root, baserel, (Aggref *) expr, &arg) == SPANNER_AGG_AVG)
				column++;
		}
		else
			deparse_scalar(expr, &context); /* a GROUP BY column or expression */
	}
	deparse_from_where(&context, baserel);
	if (!distinct)
		deparse_group_by(&context, tlist, position);
	deparse_grouped_order_by(&context, tlist, pathkeys);
	if (limit != NIL)
		deparse_limit(&context, limit, limit_params);
}

/*
 * ORDER BY of groups: GROUP BY columns and aggregates, each spelt again
 * (Spanner allows them there), NULL placement spelt out as for columns.
 */
static void
deparse_grouped_order_by(deparse_expr_cxt *context, List *tlist, List *pathkeys)
{
	StringInfo	buf = context->buf;
	ListCell   *lc;

	if (pathkeys == NIL)
		return;
	appendStringInfoString(buf, " ORDER BY ");
	foreach(lc, pathkeys)
	{
		PathKey    *pk = lfirst_node(PathKey, lc);
		bool		desc = (pk->pk_strategy == BTGreaterStrategyNumber);
		bool		nullable;
		TargetEntry *tle = spanner_grouped_sort_key(context->root, context->foreignrel,
													tlist, pk, &nullable);
		Node	   *expr;

		if (tle == NULL)
			elog(ERROR, "sort key of groups cannot be sent to Spanner");
		expr = strip_relabel((Node *) tle->expr);
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		if (nullable && pk->pk_nulls_first == desc)
		{
			if (IsA(expr, Aggref))
				deparse_aggref((Aggref *) expr, context);
			else
				deparse_scalar(expr, context);
			appendStringInfoString(buf, pk->pk_nulls_first ? " IS NULL DESC, " : " IS NULL, ");
		}
		if (IsA(expr, Aggref))
			deparse_aggref((Aggref *) expr, context);
		else
			deparse_scalar(expr, context);
		if (desc)
			appendStringInfoString(buf, " DESC");
	}
}

/* GROUP BY: columns by name, expressions by position in the select list */
static void
deparse_group_by(deparse_expr_cxt *context, List *tlist, int *position)
{
	StringInfo	buf = context->buf;
	ListCell   *lc;
	bool		first = true;

	foreach(lc, context->root->parse->groupClause)
	{
		SortGroupClause *grp = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupref_tle(grp->tleSortGroupRef, tlist);
		ListCell   *lc2;

		appendStringInfoString(buf, first ? " GROUP BY " : ", ");
		first = false;
		if (IsA(strip_relabel((Node *) tle->expr), Var))
		{
			Var		   *var = (Var *) strip_relabel((Node *) tle->expr);

			deparse_column_ref(context, var->varno, var->varattno);
			continue;
		}
		foreach(lc2, tlist)
			if (lfirst(lc2) == tle)
				appendStringInfo(buf, "%d", position[foreach_current_index(lc2)]);
	}
}

/*
 * spanner_join_type_name
 *		The SQL of a join type, also for EXPLAIN.
 */
const char *
spanner_join_type_name(JoinType jointype)
{
	switch (jointype)
	{
		case JOIN_INNER:
			return "INNER JOIN";
		case JOIN_LEFT:
			return "LEFT JOIN";
		case JOIN_RIGHT:
			return "RIGHT JOIN";
		case JOIN_FULL:
			return "FULL JOIN";
		case JOIN_SEMI:
			return "SEMI JOIN";
		case JOIN_ANTI:
			return "ANTI JOIN";
		default:
			elog(ERROR, "unsupported join type %d", (int) jointype);
	}
	return NULL;
}

/*
 * spanner_deparse_join_select
 *		SELECT <tlist columns> FROM <t1> AS r<i> <type> JOIN <t2> AS r<j>
 *		ON (<join conds>) [WHERE <other conds>]
 *
 * tlist holds the plain columns of both tables the query needs (the join's
 * fdw_scan_tlist), in select-list order.
 */
/*
 * A table as "t AS r<relid>", or a join of two such items (nested joins in
 * parentheses) with its ON clause: the FROM of a join.
 */
static void
deparse_from_item(deparse_expr_cxt *context, RelOptInfo *rel, bool nested)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) rel->fdw_private;
	StringInfo	buf = context->buf;

	if (!IS_JOIN_REL(rel))
	{
		spanner_deparse_table_name(buf, context->dialect,
								   planner_rt_fetch(rel->relid, context->root)->relid);
		appendStringInfo(buf, " AS r%d", rel->relid);
		return;
	}
	if (nested)
		appendStringInfoChar(buf, '(');
	deparse_from_item(context, fpinfo->outerrel, true);
	appendStringInfo(buf, " %s ", spanner_join_type_name(fpinfo->jointype));
	deparse_from_item(context, fpinfo->innerrel, true);
	appendStringInfoString(buf, " ON ");
	deparse_conjunction(context, fpinfo->join_conds);
	if (nested)
		appendStringInfoChar(buf, ')');
}

/*
 * FROM and WHERE of a relation: a table and its conditions, or a join
 * (spanner_get_join_paths decided where each condition goes; a nested
 * join's WHERE conditions are its parent's).
 */
static void
deparse_from_where(deparse_expr_cxt *context, RelOptInfo *rel)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) rel->fdw_private;
	StringInfo	buf = context->buf;

	appendStringInfoString(buf, " FROM ");
	if (!IS_JOIN_REL(rel))
	{
		spanner_deparse_table_name(buf, context->dialect, fpinfo->relid);
		deparse_where(context, fpinfo->remote_conds);
		return;
	}
	if (fpinfo->jointype == JOIN_SEMI || fpinfo->jointype == JOIN_ANTI)
	{
		/* FROM t1 AS r1 WHERE [NOT] EXISTS (SELECT 1 FROM t2 AS r2 WHERE on) */
		deparse_from_item(context, fpinfo->outerrel, false);
		appendStringInfo(buf, " WHERE %sEXISTS (SELECT 1 FROM ",
						 fpinfo->jointype == JOIN_ANTI ? "NOT " : "");
		deparse_from_item(context, fpinfo->innerrel, false);
		appendStringInfoString(buf, " WHERE ");
		deparse_conjunction(context, fpinfo->join_conds);
		appendStringInfoChar(buf, ')');
		if (fpinfo->remote_conds != NIL)
		{
			appendStringInfoString(buf, " AND ");
			deparse_conjunction(context, fpinfo->remote_conds);
		}
		return;
	}
	deparse_from_item(context, rel, false);
	deparse_where(context, fpinfo->remote_conds);
}

void
spanner_deparse_join_select(StringInfo buf, PlannerInfo *root, RelOptInfo *joinrel,
							List *tlist, List *pathkeys, List *limit,
							List **params_list, List **plus_one, List **limit_params)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) joinrel->fdw_private;
	deparse_expr_cxt context;
	ListCell   *lc;

	init_context(&context, root, joinrel, buf, params_list, plus_one);

	appendStringInfoString(buf, "SELECT ");
	foreach(lc, tlist)
	{
		Var		   *var = (Var *) lfirst_node(TargetEntry, lc)->expr;

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		/* the inner table of a semi or anti join: no row to read from */
		if ((fpinfo->jointype == JOIN_SEMI || fpinfo->jointype == JOIN_ANTI) &&
			bms_is_member(var->varno, fpinfo->innerrel->relids))
			appendStringInfoString(buf, "NULL");
		else
			deparse_column_ref(&context, var->varno, var->varattno);
	}
	if (tlist == NIL)
		appendStringInfoString(buf, context.dialect->no_columns);
	deparse_from_where(&context, joinrel);
	deparse_order_by(&context, pathkeys);
	if (limit != NIL)
		deparse_limit(&context, limit, limit_params);
}

/*
 * spanner_deparse_read
 *		A read by key (the Read API): the ReadRequest's "table" and
 *		"columns" members into fields (the scan adds the keySet), and
 *		"READ <table> (<columns>) KEY (<key> = @p1, <key2> IN UNNEST(@p2))"
 *		into description, for EXPLAIN and errors.  keys: the key columns in
 *		key order, as scan_private.h describes them.  With no column needed,
 *		the first key column is read.
 */
void
spanner_deparse_read(StringInfo fields, StringInfo description,
					 const SpannerDialect *dialect, Oid relid,
					 List *retrieved_attrs, List *keys)
{
	const char *nspname = spanner_table_option(relid, "schema_name");
	const char *relname = spanner_table_option(relid, "table_name");
	List	   *cols = retrieved_attrs != NIL ? retrieved_attrs :
		list_make1_int(linitial_int((List *) linitial(keys)));
	ListCell   *lc;

	if (relname == NULL)
		relname = get_rel_name(relid);
	appendStringInfoString(fields, "\"table\":");
	escape_json(fields, nspname && nspname[0] ? psprintf("%s.%s", nspname, relname) : relname);
	appendStringInfoString(fields, ",\"columns\":[");
	appendStringInfoString(description, "READ ");
	spanner_deparse_table_name(description, dialect, relid);
	appendStringInfoString(description, " (");
	foreach(lc, cols)
	{
		const char *name = spanner_column_name(relid, lfirst_int(lc));

		if (foreach_current_index(lc) > 0)
		{
			appendStringInfoChar(fields, ',');
			appendStringInfoString(description, ", ");
		}
		escape_json(fields, name);
		dialect->quote_identifier(description, name);
	}
	appendStringInfoChar(fields, ']');
	appendStringInfoString(description, ") KEY (");
	foreach(lc, keys)
	{
		List	   *key = (List *) lfirst(lc);
		int			kind = lsecond_int(key);
		ListCell   *lc2;

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(description, ", ");
		dialect->quote_identifier(description, spanner_column_name(relid, linitial_int(key)));
		if (kind == SPANNER_KEY_BOOL)
			appendStringInfoString(description,
								   list_nth_int(key, SPANNER_KEY_PARAMS) ? " = TRUE" : " = FALSE");
		else if (kind == SPANNER_KEY_VALUE)
		{
			appendStringInfoString(description, " = ");
			dialect->param_ref(description, list_nth_int(key, SPANNER_KEY_PARAMS));
		}
		else if (kind == SPANNER_KEY_ARRAY)
		{
			appendStringInfoString(description, dialect->in_array_open);
			dialect->param_ref(description, list_nth_int(key, SPANNER_KEY_PARAMS));
			appendStringInfoString(description, dialect->in_array_close);
		}
		else
		{
			appendStringInfoString(description, " IN (");
			for_each_from(lc2, key, SPANNER_KEY_PARAMS)
			{
				if (foreach_current_index(lc2) > SPANNER_KEY_PARAMS)
					appendStringInfoString(description, ", ");
				dialect->param_ref(description, lfirst_int(lc2));
			}
			appendStringInfoChar(description, ')');
		}
	}
	appendStringInfoChar(description, ')');
}

/* SELECT COUNT(*) FROM <table>, for ANALYZE */
void
spanner_deparse_count(StringInfo buf, Oid relid)
{
	const SpannerDialect *d = spanner_server_dialect(GetForeignTable(relid)->serverid);

	appendStringInfoString(buf, "SELECT COUNT(*) FROM ");
	spanner_deparse_table_name(buf, d, relid);
}

/*
 * SELECT <every column> FROM <table> TABLESAMPLE RESERVOIR (@p1 ROWS), for
 * ANALYZE; retrieved_attrs gets the attnums in select-list order.
 */
void
spanner_deparse_sample(StringInfo buf, Oid relid, List **retrieved_attrs)
{
	const SpannerDialect *d = spanner_server_dialect(GetForeignTable(relid)->serverid);
	Relation	rel = RelationIdGetRelation(relid);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	*retrieved_attrs = NIL;
	appendStringInfoString(buf, "SELECT ");
	for (i = 1; i <= tupdesc->natts; i++)
	{
		if (TupleDescAttr(tupdesc, i - 1)->attisdropped)
			continue;
		if (*retrieved_attrs != NIL)
			appendStringInfoString(buf, ", ");
		d->quote_identifier(buf, spanner_column_name(relid, i));
		*retrieved_attrs = lappend_int(*retrieved_attrs, i);
	}
	RelationClose(rel);
	if (*retrieved_attrs == NIL)
		appendStringInfoString(buf, d->no_columns);
	appendStringInfoString(buf, " FROM ");
	spanner_deparse_table_name(buf, d, relid);
	appendStringInfoString(buf, d->tablesample_open);
	d->param_ref(buf, 1);
	appendStringInfoString(buf, d->tablesample_close);
}

/* ", "-separated quoted Spanner names of the columns attrs */
static void
deparse_column_list(StringInfo buf, const SpannerDialect *dialect, Oid relid,
					List *attrs)
{
	ListCell   *lc;

	foreach(lc, attrs)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		dialect->quote_identifier(buf, spanner_column_name(relid, lfirst_int(lc)));
	}
}

/*
 * spanner_deparse_insert
 *		"INSERT [OR IGNORE | OR UPDATE] INTO t (c1, c2, ...) VALUES ": the
 *		rows are appended by the caller.
 */
void
spanner_deparse_insert(StringInfo buf, const SpannerDialect *dialect, Oid relid,
					   List *target_attrs, bool or_ignore, bool or_update)
{
	appendStringInfoString(buf, or_ignore ? dialect->insert_or_ignore
						   : or_update ? dialect->insert_or_update
						   : "INSERT INTO ");
	spanner_deparse_table_name(buf, dialect, relid);
	appendStringInfoString(buf, " (");
	deparse_column_list(buf, dialect, relid, target_attrs);
	appendStringInfoString(buf, ") VALUES ");
}

/*
 * spanner_deparse_returning
 *		" THEN RETURN c1, c2" (nothing if attrs is empty).
 */
void
spanner_deparse_returning(StringInfo buf, const SpannerDialect *dialect, Oid relid,
						  List *attrs)
{
	if (attrs == NIL)
		return;
	appendStringInfoString(buf, dialect->returning);
	deparse_column_list(buf, dialect, relid, attrs);
}

/* "k1 = @pN AND k2 = @pN+1", parameters numbered from first */
static void
deparse_key_condition(StringInfo buf, const SpannerDialect *dialect, Oid relid,
					  List *key_attrs, int first)
{
	ListCell   *lc;

	foreach(lc, key_attrs)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, " AND ");
		dialect->quote_identifier(buf, spanner_column_name(relid, lfirst_int(lc)));
		appendStringInfoString(buf, " = ");
		dialect->param_ref(buf, first + foreach_current_index(lc));
	}
}

/*
 * spanner_deparse_update
 *		UPDATE of one row addressed by its key: "UPDATE t SET c1 = @p1, ...,
 *		ts = <commit timestamp> WHERE k1 = @pN ... [THEN RETURN ...]".  The
 *		new values are parameters 1..n, the key values follow.
 */
void
spanner_deparse_update(StringInfo buf, const SpannerDialect *dialect, Oid relid,
					   List *target_attrs, List *ts_attrs, List *key_attrs,
					   List *returning_attrs)
{
	ListCell   *lc;
	int			n = 0;

	appendStringInfoString(buf, "UPDATE ");
	spanner_deparse_table_name(buf, dialect, relid);
	appendStringInfoString(buf, " SET ");
	foreach(lc, target_attrs)
	{
		if (n++ > 0)
			appendStringInfoString(buf, ", ");
		dialect->quote_identifier(buf, spanner_column_name(relid, lfirst_int(lc)));
		appendStringInfoString(buf, " = ");
		dialect->param_ref(buf, n);
	}
	foreach(lc, ts_attrs)
	{
		if (list_member_int(target_attrs, lfirst_int(lc)))
			continue;
		if (n++ > 0)
			appendStringInfoString(buf, ", ");
		dialect->quote_identifier(buf, spanner_column_name(relid, lfirst_int(lc)));
		appendStringInfo(buf, " = %s", dialect->commit_timestamp);
	}
	appendStringInfoString(buf, " WHERE ");
	deparse_key_condition(buf, dialect, relid, key_attrs, list_length(target_attrs) + 1);
	spanner_deparse_returning(buf, dialect, relid, returning_attrs);
}

/*
 * spanner_deparse_delete
 *		DELETE of one row by its key (parameters 1..n).
 */
void
spanner_deparse_delete(StringInfo buf, const SpannerDialect *dialect, Oid relid,
					   List *key_attrs, List *returning_attrs)
{
	appendStringInfoString(buf, "DELETE FROM ");
	spanner_deparse_table_name(buf, dialect, relid);
	appendStringInfoString(buf, " WHERE ");
	deparse_key_condition(buf, dialect, relid, key_attrs, 1);
	spanner_deparse_returning(buf, dialect, relid, returning_attrs);
}

/*
 * spanner_deparse_direct_modify
 *		The whole UPDATE or DELETE as one Spanner statement:
 *		"UPDATE t SET c = @p1, ... WHERE <remote conds>" or
 *		"DELETE FROM t WHERE <remote conds>".  The new values are computed
 *		locally (they reference no column) and are parameters 1..n, in
 *		target_attrs order; the conditions' parameters follow.
 */
void
spanner_deparse_direct_modify(StringInfo buf, PlannerInfo *root, RelOptInfo *baserel,
							  CmdType operation, List *target_attrs,
							  List *target_exprs, List *ts_attrs,
							  List *remote_conds, List **params_list,
							  List **plus_one)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	const SpannerDialect *dialect = fpinfo->dialect;
	deparse_expr_cxt context;
	ListCell   *lc1,
			   *lc2;
	int			n = 0;

	context.root = root;
	context.foreignrel = baserel;
	context.dialect = dialect;
	context.buf = buf;
	context.params_list = params_list;
	context.plus_one = plus_one;

	if (operation == CMD_UPDATE)
	{
		appendStringInfoString(buf, "UPDATE ");
		spanner_deparse_table_name(buf, dialect, fpinfo->relid);
		appendStringInfoString(buf, " SET ");
		forboth(lc1, target_attrs, lc2, target_exprs)
		{
			if (n++ > 0)
				appendStringInfoString(buf, ", ");
			dialect->quote_identifier(buf, spanner_column_name(fpinfo->relid, lfirst_int(lc1)));
			appendStringInfoString(buf, " = ");
			/* never shared with another parameter: it has the column's type */
			*params_list = lappend(*params_list, lfirst(lc2));
			dialect->param_ref(buf, list_length(*params_list));
		}
		foreach(lc1, ts_attrs)
		{
			if (list_member_int(target_attrs, lfirst_int(lc1)))
				continue;
			if (n++ > 0)
				appendStringInfoString(buf, ", ");
			dialect->quote_identifier(buf, spanner_column_name(fpinfo->relid, lfirst_int(lc1)));
			appendStringInfo(buf, " = %s", dialect->commit_timestamp);
		}
	}
	else
	{
		appendStringInfoString(buf, "DELETE FROM ");
		spanner_deparse_table_name(buf, dialect, fpinfo->relid);
	}
	if (remote_conds == NIL)
		appendStringInfoString(buf, dialect->where_true);
	else
		deparse_where(&context, remote_conds);
}
