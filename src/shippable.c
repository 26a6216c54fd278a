/*-------------------------------------------------------------------------
 *
 * shippable.c
 *		  The one place that decides which conditions Spanner may evaluate:
 *		  only those it computes exactly as PostgreSQL would, for every
 *		  input, NULLs included.
 *
 * Hence: comparisons of a column with a constant, a parameter or another
 * relation's column (a parameterized path), where the
 * column's Spanner type (known at plan time, remote_types.c) is the one
 * whose comparisons agree with the declared type's (typemap.c); ordering
 * comparisons of strings only under the "C" collation (Spanner compares
 * strings by code point); no float comparisons (Spanner's NaN is unequal to
 * itself and sorts lowest, PostgreSQL's equals itself and sorts highest);
 * no columns whose typmod rounds values on the way in; no constants Spanner
 * cannot represent (infinite or out-of-range dates, numerics beyond
 * NUMERIC(38,9)).  IN lists, IS [NOT] NULL, AND/OR/NOT of the above, and
 * boolean columns.
 *
 * Also which sort keys Spanner can order by as PostgreSQL would (a column
 * whose Spanner order is its declared type's, strings only under "C", the
 * type's default btree order; deparse.c spells NULL and NaN placement out),
 * and which LIMIT/OFFSET expressions can be sent as parameters.
 *
 * And aggregates: count, count(DISTINCT), min/max, sum of integers,
 * bool_and/bool_or over a column whose values Spanner compares, groups
 * and orders as PostgreSQL does (no floats: Spanner's MIN and MAX return
 * NaN when any input is NaN, and float sums depend on the order of
 * addition; no timestamps in GROUP BY or DISTINCT: Spanner tells apart
 * nanoseconds PostgreSQL cuts off; no min/max of a column whose typmod
 * rounds values locally); GROUP BY such columns.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/shippable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/pg_locale.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "spanner_fdw.h"

typedef struct foreign_glob_cxt
{
	PlannerInfo *root;
	RelOptInfo *foreignrel;
	SpannerRelInfo *fpinfo;
} foreign_glob_cxt;

static bool foreign_expr_walker(Node *node, foreign_glob_cxt *cxt);
static bool is_string_type(Oid type);
static bool only_extern_params_walker(Node *node, void *context);

/* The type category for cross-type comparisons (int vs int8 etc.) */
static Oid
type_family(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return INT8OID;
		case TEXTOID:
		case VARCHAROID:
			return TEXTOID;
		default:
			return type;
	}
}

/*
 * A numeric value can be sent only if Spanner's NUMERIC holds it exactly:
 * not NaN/Infinity, at most 29 integer and 9 fraction digits.
 */
static bool
numeric_value_ok(Datum value)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, value));
	char	   *dot;
	int			intdigits,
				fracdigits;

	if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
		return false;
	if (*s == '-')
		s++;
	dot = strchr(s, '.');
	intdigits = dot ? (int) (dot - s) : (int) strlen(s);
	fracdigits = dot ? (int) strlen(dot + 1) : 0;
	return intdigits <= 29 && fracdigits <= 9;
}

/*
 * spanner_value_sendable
 *		Can a non-null value of this type be sent as a Spanner parameter
 *		with the same meaning?
 */
bool
spanner_value_sendable(Oid type, Datum value)
{
	switch (type)
	{
		case NUMERICOID:
			return numeric_value_ok(value);
		case DATEOID:
			return spanner_date_in_range(DatumGetDateADT(value));
		case TIMESTAMPTZOID:
			/* also one microsecond later: comparisons may need it */
			return spanner_timestamp_in_range(DatumGetTimestampTz(value)) &&
				spanner_timestamp_in_range(DatumGetTimestampTz(value) + 1);
		default:
			return true;
	}
}

static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/*
 * The planner information of the foreign table a column of the relation
 * belongs to: the relation's own, or for a join one of its base tables'.
 */
static SpannerRelInfo *
var_info(Var *var, foreign_glob_cxt *cxt)
{
	if (cxt->foreignrel->reloptkind == RELOPT_BASEREL ||
		cxt->foreignrel->reloptkind == RELOPT_OTHER_MEMBER_REL)
		return cxt->fpinfo;
	return (SpannerRelInfo *) cxt->root->simple_rel_array[var->varno]->fdw_private;
}

/* Is node a plain column of the foreign relation (or join)? */
static Var *
own_var(Node *node, foreign_glob_cxt *cxt)
{
	Var		   *var;

	node = strip_relabel(node);
	if (node == NULL || !IsA(node, Var))
		return NULL;
	var = (Var *) node;
	if (bms_is_member(var->varno, cxt->foreignrel->relids) &&
		var->varlevelsup == 0 && var->varattno > 0 &&
		var->varattno <= var_info(var, cxt)->natts)
		return var;
	return NULL;
}

/*
 * Is this column compared on Spanner as PostgreSQL compares it?  Its
 * Spanner type must match its declared type, and no typmod may round its
 * values locally (numeric(p,s), timestamptz(p)).
 */
static bool
column_comparable(Var *var, foreign_glob_cxt *cxt)
{
	if ((var->vartype == NUMERICOID || var->vartype == TIMESTAMPTZOID) &&
		var->vartypmod >= 0)
		return false;
	return spanner_type_comparable(var->vartype,
								   var_info(var, cxt)->remote_types[var->varattno]);
}

/*
 * Is node a value that can be sent as a typed parameter: a constant, a
 * parameter, a column of another relation (set per outer row), or an
 * expression of those computed once when the scan starts?  Its type goes
 * to *type.
 */
static bool
param_value_type(Node *node, foreign_glob_cxt *cxt, Oid *type)
{
	SpTypeCode	elem;

	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (IsA(node, Const))
	{
		Const	   *c = (Const *) node;

		*type = c->consttype;
		if (!c->constisnull && !spanner_value_sendable(*type, c->constvalue))
			return false;
	}
	else if (IsA(node, Param))
	{
		Param	   *p = (Param *) node;

		if (p->paramkind != PARAM_EXTERN && p->paramkind != PARAM_EXEC)
			return false;
		*type = p->paramtype;
		/* run-time numerics may not fit NUMERIC(38,9) */
		if (*type == NUMERICOID)
			return false;
	}
	else if (IsA(node, Var) && cxt != NULL &&
			 !bms_is_member(((Var *) node)->varno, cxt->foreignrel->relids) &&
			 ((Var *) node)->varlevelsup == 0 && ((Var *) node)->varattno > 0)
	{
		/*
		 * A column of another relation: in a parameterized path (a nested
		 * loop's inner side) it becomes a parameter set for each outer row.
		 */
		*type = ((Var *) node)->vartype;
		if (*type == NUMERICOID)
			return false;
	}
	else if (!contain_var_clause(node) && !contain_volatile_functions(node) &&
			 !only_extern_params_walker(node, NULL))
	{
		/*
		 * An expression of constants, the statement's parameters and stable
		 * functions (now() - interval '30 days', current_date): computed
		 * once when the scan starts, in this session, and sent as its value.
		 */
		*type = exprType(node);
		if (*type == NUMERICOID)
			return false;
	}
	else
		return false;
	return spanner_param_type(*type, &elem) != SP_TYPE_UNSPECIFIED;
}

/* A value (above) of the type family of coltype. */
static bool
is_param_value(Node *node, Oid coltype, foreign_glob_cxt *cxt)
{
	Oid			type;

	return param_value_type(node, cxt, &type) &&
		type_family(type) == type_family(coltype);
}

/* Does node use a column of the relation (or join) being scanned? */
static bool
has_own_var(Node *node, foreign_glob_cxt *cxt)
{
	return bms_overlap(pull_varnos(cxt->root, node), cxt->foreignrel->relids);
}

/* Types whose values Spanner compares as PostgreSQL (no floats: NaN) */
static bool
scalar_type_ok(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case TEXTOID:
		case VARCHAROID:
		case BOOLOID:
		case BYTEAOID:
		case DATEOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

/* Is the column declared as the natural type of its Spanner type? */
static bool
declared_as_remote(Oid pgtype, SpTypeCode code)
{
	switch (code)
	{
		case SP_TYPE_INT64:
			return pgtype == INT8OID || pgtype == INT4OID || pgtype == INT2OID;
		case SP_TYPE_NUMERIC:
			return pgtype == NUMERICOID;
		case SP_TYPE_STRING:
			return is_string_type(pgtype);
		case SP_TYPE_BYTES:
			return pgtype == BYTEAOID;
		case SP_TYPE_BOOL:
			return pgtype == BOOLOID;
		case SP_TYPE_DATE:
			return pgtype == DATEOID;
		case SP_TYPE_TIMESTAMP:
			return pgtype == TIMESTAMPTZOID;
		default:
			return false;
	}
}

static bool
may_fail_walker(Node *node, void *context)
{
	SpannerScalarCall call;

	if (node == NULL)
		return false;
	if ((IsA(node, OpExpr) || IsA(node, FuncExpr)) &&
		spanner_scalar_call(node, &call) && spanner_scalar_may_fail(call.fn) &&
		/* the absolute value of a numeric cannot overflow */
		!(call.fn == SP_FN_ABS && exprType(linitial(call.args)) == NUMERICOID))
		return true;
	return expression_tree_walker(node, may_fail_walker, context);
}

/*
 * spanner_may_fail
 *		Does this condition use a twin that can raise an error on Spanner
 *		(spanner_scalar_may_fail)?  It is then sent only as the one
 *		condition of its scan, outside AND/OR.
 */
bool
spanner_may_fail(Node *node)
{
	return may_fail_walker(node, NULL);
}

/*
 * spanner_scalar_ok
 *		Does Spanner compute this expression exactly as PostgreSQL does?  A
 *		column compared as in PostgreSQL, a value sent as a parameter, a
 *		twin of an operator or function (scalar.c) over such expressions,
 *		COALESCE, NULLIF, and searched CASE.
 */
static bool
scalar_ok(Node *node, foreign_glob_cxt *cxt)
{
	Oid			type;

	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (!has_own_var(node, cxt))
		return param_value_type(node, cxt, &type);
	if (!scalar_type_ok(exprType(node)))
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				/*
				 * Spanner computes with its own type: a numeric column over
				 * INT64 would be an integer to its functions (TRUNC of an
				 * INT64 is a FLOAT64), an integer over an ENUM no number.
				 */
				Var		   *var = own_var(node, cxt);

				return var != NULL && column_comparable(var, cxt) &&
					declared_as_remote(var->vartype,
									   var_info(var, cxt)->remote_types[var->varattno]);
			}
		case T_OpExpr:
		case T_FuncExpr:
			{
				SpannerScalarCall call;
				ListCell   *lc;
				Oid			collid = exprInputCollation(node);

				if (!spanner_scalar_call(node, &call))
				{
					/* a comparison as a boolean value (GROUP BY a > 0) */
					return exprType(node) == BOOLOID && IsA(node, OpExpr) &&
						foreign_expr_walker(node, cxt);
				}
				if (call.zone && spanner_session_zone() == NULL)
					return false;
				if (cxt->fpinfo->dialect->scalar_template(call.fn, list_length(call.args),
														  call.field) == NULL)
					return false;
				/* searches in strings: PostgreSQL refuses other collations */
				if (OidIsValid(collid) && !get_collation_isdeterministic(collid))
					return false;
				foreach(lc, call.args)
					if (!scalar_ok(lfirst(lc), cxt))
						return false;
				return true;
			}
		case T_CoalesceExpr:
			{
				ListCell   *lc;

				foreach(lc, ((CoalesceExpr *) node)->args)
					if (!scalar_ok(lfirst(lc), cxt))
						return false;
				return true;
			}
		case T_NullIfExpr:
			{
				NullIfExpr *n = (NullIfExpr *) node;
				const char *name = spanner_comparison_name(n->opno);

				return list_length(n->args) == 2 &&
					name != NULL && strcmp(name, "=") == 0 &&
					op_volatile(n->opno) == PROVOLATILE_IMMUTABLE &&
					(!OidIsValid(n->inputcollid) ||
					 get_collation_isdeterministic(n->inputcollid)) &&
					type_family(exprType(linitial(n->args))) ==
					type_family(exprType(lsecond(n->args))) &&
					scalar_ok(linitial(n->args), cxt) &&
					scalar_ok(lsecond(n->args), cxt);
			}
		case T_CaseExpr:
			{
				CaseExpr   *c = (CaseExpr *) node;
				ListCell   *lc;

				if (c->arg != NULL)
					return false;	/* CASE x WHEN ...: compares locally */
				foreach(lc, c->args)
				{
					CaseWhen   *w = lfirst_node(CaseWhen, lc);

					if (!foreign_expr_walker((Node *) w->expr, cxt) ||
						!scalar_ok((Node *) w->result, cxt))
						return false;
				}
				return scalar_ok((Node *) c->defresult, cxt);
			}
		case T_BoolExpr:
		case T_NullTest:
		case T_ScalarArrayOpExpr:
			/* a condition as a boolean value */
			return foreign_expr_walker(node, cxt);
		default:
			return false;
	}
}

/*
 * spanner_comparison_name
 *		Name of a built-in comparison operator ("=", "<>", "<", ...), or
 *		NULL if opno is not one.
 */
const char *
spanner_comparison_name(Oid opno)
{
	static const char *const names[] = {"=", "<>", "<", "<=", ">", ">="};
	HeapTuple	tuple;
	Form_pg_operator form;
	const char *result = NULL;

	if (opno >= FirstGenbkiObjectId)
		return NULL;
	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	/* a constant string: callers keep it across further calls */
	for (int i = 0; i < (int) lengthof(names); i++)
		if (strcmp(NameStr(form->oprname), names[i]) == 0)
			result = names[i];
	ReleaseSysCache(tuple);
	return result;
}

/* May a comparison of strings under this collation be sent? */
static bool
collation_ok(Oid collid, bool equality)
{
	if (!OidIsValid(collid))
		return true;
	if (equality)
		return get_collation_isdeterministic(collid);
	/* "C" orders bytes: code points only in UTF-8, Spanner's encoding */
	return lc_collate_is_c(collid) && GetDatabaseEncoding() == PG_UTF8;
}

static bool
is_string_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID;
}

/* Is the comparison "a op b" (in either order) shippable? */
static bool
comparison_ok(Oid opno, Oid inputcollid, Node *a, Node *b, foreign_glob_cxt *cxt)
{
	const char *name = spanner_comparison_name(opno);
	Var		   *col;
	Node	   *val;

	if (name == NULL || op_volatile(opno) != PROVOLATILE_IMMUTABLE)
		return false;
	if ((col = own_var(a, cxt)) != NULL && own_var(b, cxt) != NULL)
	{
		/* two columns (a join condition): both compared as in PostgreSQL */
		Var		   *other = own_var(b, cxt);

		if (!column_comparable(col, cxt) || !column_comparable(other, cxt) ||
			type_family(col->vartype) != type_family(other->vartype))
			return false;
		if (is_string_type(col->vartype) &&
			!collation_ok(inputcollid, strcmp(name, "=") == 0 || strcmp(name, "<>") == 0))
			return false;
		return true;
	}
	if ((col = own_var(a, cxt)) != NULL && !has_own_var(b, cxt))
		val = b;
	else if ((col = own_var(b, cxt)) != NULL && !has_own_var(a, cxt))
		val = a;
	else
	{
		/* expressions (scalar_ok) on one side or both */
		Oid			ta = exprType(a),
					tb = exprType(b);

		if (!has_own_var(a, cxt) && !has_own_var(b, cxt))
			return false;
		if (type_family(ta) != type_family(tb) ||
			!scalar_ok(a, cxt) || !scalar_ok(b, cxt))
			return false;
		if (is_string_type(ta) &&
			!collation_ok(inputcollid, strcmp(name, "=") == 0 || strcmp(name, "<>") == 0))
			return false;
		return true;
	}
	if (!column_comparable(col, cxt) || !is_param_value(val, col->vartype, cxt))
		return false;
	if (is_string_type(col->vartype) &&
		!collation_ok(inputcollid, strcmp(name, "=") == 0 || strcmp(name, "<>") == 0))
		return false;
	return true;
}

/*
 * spanner_like_name
 *		"LIKE" or "NOT LIKE" for PostgreSQL's text LIKE operators (~~, !~~),
 *		else NULL.  Both sides match characters, '%' any run of them, '_'
 *		one, and a backslash makes the next character literal; LIKE ...
 *		ESCAPE 'x' reaches the planner as like_escape(pattern, 'x'), which
 *		is computed locally into that form.
 */
const char *
spanner_like_name(Oid opno)
{
	switch (opno)
	{
		case OID_TEXT_LIKE_OP:
			return "LIKE";
		case 1210:				/* text !~~ text (textnlike), no macro */
			return "NOT LIKE";
		default:
			return NULL;
	}
}

/* text LIKE value: a string expression, a deterministic collation */
static bool
like_ok(OpExpr *op, foreign_glob_cxt *cxt)
{
	Node	   *arg = linitial(op->args);

	/* '_' is one character on Spanner, one byte in a SQL_ASCII database */
	return GetDatabaseEncoding() == PG_UTF8 &&
		has_own_var(arg, cxt) && is_string_type(exprType(arg)) &&
		scalar_ok(arg, cxt) &&
		collation_ok(op->inputcollid, true) &&
		is_param_value(lsecond(op->args), TEXTOID, cxt);
}

/*
 * An array parameter whose every element Spanner holds exactly, whatever
 * the value: integers, strings, bytes, booleans (dates, timestamps and
 * numerics may be out of Spanner's range, which only a constant shows).
 */
static bool
param_array_type_ok(Oid elemtype)
{
	switch (elemtype)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case TEXTOID:
		case VARCHAROID:
		case BYTEAOID:
		case BOOLOID:
			return true;
		default:
			return false;
	}
}

/*
 * col = ANY(array) / col <> ALL(array).  The array is a constant, an
 * ARRAY[...] of values, or - only as a whole condition (top) - a
 * parameter: a NULL array makes "= ANY" NULL in PostgreSQL but IN
 * UNNEST(NULL) false on Spanner, which both reject as a condition but
 * which differ under NOT; a constant NULL array is refused for that reason.
 */
static bool
array_comparison_ok(ScalarArrayOpExpr *saop, foreign_glob_cxt *cxt, bool top)
{
	const char *name = spanner_comparison_name(saop->opno);
	Var		   *col = own_var(linitial(saop->args), cxt);
	Node	   *arr = strip_relabel(lsecond(saop->args));
	SpTypeCode	elem;

	if (name == NULL || op_volatile(saop->opno) != PROVOLATILE_IMMUTABLE ||
		!((saop->useOr && strcmp(name, "=") == 0) ||
		  (!saop->useOr && strcmp(name, "<>") == 0)))
		return false;
	if (col == NULL || !column_comparable(col, cxt))
		return false;
	if (is_string_type(col->vartype) && !collation_ok(saop->inputcollid, true))
		return false;
	if (IsA(arr, Const))
	{
		Const	   *c = (Const *) arr;
		Oid			elemtype = get_element_type(c->consttype);

		/* a NULL array differs: IN UNNEST(NULL) is false, not NULL */
		if (c->constisnull || !OidIsValid(elemtype) ||
			type_family(elemtype) != type_family(col->vartype) ||
			spanner_param_type(c->consttype, &elem) == SP_TYPE_UNSPECIFIED)
			return false;
		if (elemtype == NUMERICOID || elemtype == DATEOID ||
			elemtype == TIMESTAMPTZOID)
		{
			/* every element must be representable on Spanner */
			ArrayType  *a = DatumGetArrayTypeP(c->constvalue);
			Datum	   *elems;
			bool	   *nulls;
			int			n,
						i;
			int16		elen;
			bool		ebyval;
			char		ealign;

			get_typlenbyvalalign(elemtype, &elen, &ebyval, &ealign);
			deconstruct_array(a, elemtype, elen, ebyval, ealign,
							  &elems, &nulls, &n);
			for (i = 0; i < n; i++)
				if (!nulls[i] && !spanner_value_sendable(elemtype, elems[i]))
					return false;
		}
		return true;
	}
	if (IsA(arr, ArrayExpr))
	{
		ListCell   *lc;

		foreach(lc, ((ArrayExpr *) arr)->elements)
			if (!is_param_value(lfirst(lc), col->vartype, cxt))
				return false;
		return true;
	}
	if (IsA(arr, Param) && top && saop->useOr)
	{
		Param	   *p = (Param *) arr;
		Oid			elemtype = get_element_type(p->paramtype);

		return (p->paramkind == PARAM_EXTERN || p->paramkind == PARAM_EXEC) &&
			OidIsValid(elemtype) && param_array_type_ok(elemtype) &&
			type_family(elemtype) == type_family(col->vartype) &&
			spanner_param_type(p->paramtype, &elem) != SP_TYPE_UNSPECIFIED;
	}
	return false;
}

/*
 * foreign_expr_walker
 *		Can the boolean expression be evaluated on Spanner?
 */
static bool
foreign_expr_walker(Node *node, foreign_glob_cxt *cxt)
{
	if (node == NULL)
		return false;

	switch (nodeTag(node))
	{
		case T_Var:
			{
				/* a boolean column used as a condition */
				Var		   *var = own_var(node, cxt);

				return var != NULL && var->vartype == BOOLOID &&
					column_comparable(var, cxt);
			}
		case T_RelabelType:
			return foreign_expr_walker((Node *) ((RelabelType *) node)->arg, cxt);
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;

				if (list_length(op->args) != 2)
					return false;
				if (spanner_like_name(op->opno) != NULL)
					return like_ok(op, cxt);
				return comparison_ok(op->opno, op->inputcollid,
									 linitial(op->args), lsecond(op->args), cxt);
			}
		case T_ScalarArrayOpExpr:
			return array_comparison_ok((ScalarArrayOpExpr *) node, cxt, false);
		case T_FuncExpr:
		case T_CoalesceExpr:
		case T_CaseExpr:
			/* a boolean function (starts_with), COALESCE or CASE */
			return exprType(node) == BOOLOID && has_own_var(node, cxt) &&
				scalar_ok(node, cxt);
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) node;
				ListCell   *lc;

				/* Spanner's AND/OR may evaluate a guarded operand first */
				if (b->boolop != NOT_EXPR && spanner_may_fail(node))
					return false;
				foreach(lc, b->args)
					if (!foreign_expr_walker(lfirst(lc), cxt))
						return false;
				return true;
			}
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) node;

				/* NULL is NULL whatever the types */
				if (nt->argisrow)
					return false;
				if (own_var((Node *) nt->arg, cxt) != NULL)
					return true;
				return has_own_var((Node *) nt->arg, cxt) &&
					scalar_ok((Node *) nt->arg, cxt);
			}
		default:
			return false;
	}
}

/*
 * spanner_is_foreign_expr
 *		Returns true if the condition is safe to evaluate on Spanner.
 */
bool
spanner_is_foreign_expr(PlannerInfo *root, RelOptInfo *baserel, Expr *expr)
{
	foreign_glob_cxt cxt;

	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	/* stable functions may appear only in values computed locally */
	if (contain_volatile_functions((Node *) expr))
		return false;
	if (IsA(expr, ScalarArrayOpExpr))
		return array_comparison_ok((ScalarArrayOpExpr *) expr, &cxt, true);
	return foreign_expr_walker((Node *) expr, &cxt);
}

/*
 * spanner_classify_conditions
 *		Split restriction clauses into those Spanner can evaluate and the
 *		rest.
 */
void
spanner_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
							List *input_conds, List **remote_conds,
							List **local_conds)
{
	ListCell   *lc;

	*remote_conds = NIL;
	*local_conds = NIL;
	foreach(lc, input_conds)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		/* a twin that may fail, next to other conditions: local */
		if (list_length(input_conds) > 1 && spanner_may_fail((Node *) ri->clause))
			*local_conds = lappend(*local_conds, ri);
		else if (spanner_is_foreign_expr(root, baserel, ri->clause))
			*remote_conds = lappend(*remote_conds, ri);
		else
			*local_conds = lappend(*local_conds, ri);
	}
}

/*
 * spanner_params_may_be_out_of_range
 *		Is any of these query parameters a date or timestamp known only at
 *		run time, which might then lie outside Spanner's range?
 */
bool
spanner_params_may_be_out_of_range(List *params_list)
{
	ListCell   *lc;

	foreach(lc, params_list)
	{
		Node	   *n = (Node *) lfirst(lc);
		Oid			type = exprType(n);

		if (!IsA(n, Const) && (type == DATEOID || type == TIMESTAMPTZOID))
			return true;
	}
	return false;
}

/*
 * Does Spanner order values of a column declared as pgtype, whose Spanner
 * type is code, as PostgreSQL orders the column?  A typmod that rounds
 * values locally (numeric(p,s), timestamptz(p)) keeps the order, only
 * making some values equal.  Floats need the NaN key deparse.c adds
 * (*is_float).
 */
static bool
type_orderable(Oid pgtype, SpTypeCode code, bool *is_float)
{
	*is_float = false;
	if ((pgtype == FLOAT8OID || pgtype == FLOAT4OID) &&
		(code == SP_TYPE_FLOAT64 || code == SP_TYPE_FLOAT32))
	{
		*is_float = true;
		return true;
	}
	return spanner_type_comparable(pgtype, code);
}

/*
 * spanner_pathkey_column
 *		The column of the foreign relation a sort key orders by, if Spanner
 *		can produce PostgreSQL's order for it, else NULL.  *is_float says
 *		that NaN must be placed explicitly.
 */
Var *
spanner_pathkey_column(PlannerInfo *root, RelOptInfo *baserel, PathKey *pk,
					   bool *is_float)
{
	EquivalenceClass *ec = pk->pk_eclass;
	foreign_glob_cxt cxt;
	ListCell   *lc;

	if (ec->ec_has_volatile)
		return NULL;
	if (pk->pk_strategy != BTLessStrategyNumber &&
		pk->pk_strategy != BTGreaterStrategyNumber)
		return NULL;
	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	foreach(lc, ec->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(lc);
		Var		   *var;
		Oid			opclass;

		/*
		 * A column of the table, or of one table of the join (of a semi or
		 * anti join: of its outer table, the inner one is out of scope)
		 */
		if (em->em_is_child || bms_membership(em->em_relids) != BMS_SINGLETON ||
			!bms_is_subset(em->em_relids, baserel->relids))
			continue;
		if (IS_JOIN_REL(baserel) &&
			(cxt.fpinfo->jointype == JOIN_SEMI || cxt.fpinfo->jointype == JOIN_ANTI) &&
			!bms_is_subset(em->em_relids, cxt.fpinfo->outerrel->relids))
			continue;
		var = own_var((Node *) em->em_expr, &cxt);
		if (var == NULL ||
			!type_orderable(var->vartype, var_info(var, &cxt)->remote_types[var->varattno],
							is_float))
			continue;
		/* the type's own order, not text_pattern_ops or the like */
		opclass = GetDefaultOpClass(var->vartype, BTREE_AM_OID);
		if (!OidIsValid(opclass) || get_opclass_family(opclass) != pk->pk_opfamily)
			continue;
		if (is_string_type(var->vartype) && !collation_ok(ec->ec_collation, false))
			continue;
		return var;
	}
	return NULL;
}

/*
 * spanner_pathkeys_shippable
 *		Can Spanner sort the relation's rows by all of these keys?
 */
bool
spanner_pathkeys_shippable(PlannerInfo *root, RelOptInfo *baserel, List *pathkeys)
{
	ListCell   *lc;
	bool		is_float;
	foreign_glob_cxt cxt;

	if (pathkeys == NIL)
		return false;
	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	foreach(lc, pathkeys)
	{
		Var		   *var = spanner_pathkey_column(root, baserel, lfirst_node(PathKey, lc),
												 &is_float);

		if (var == NULL)
			return false;

		/*
		 * A column PostgreSQL rounds after fetching (a typmod, float4 over
		 * FLOAT64) keeps Spanner's order but makes some values equal, which
		 * the next key would then order: Spanner breaks the ties on the
		 * unrounded values instead.  Only as the last key.  (Timestamps,
		 * with nanoseconds on Spanner, are cut to microseconds before the
		 * next key: deparse.c.)
		 */
		if (lnext(pathkeys, lc) != NULL &&
			(((var->vartype == NUMERICOID || var->vartype == TIMESTAMPTZOID) &&
			  var->vartypmod >= 0) ||
			 (var->vartype == FLOAT4OID &&
			  var_info(var, &cxt)->remote_types[var->varattno] != SP_TYPE_FLOAT32)))
			return false;
	}
	return true;
}

static bool
only_extern_params_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return ((Param *) node)->paramkind != PARAM_EXTERN;
	if (IsA(node, Var) || IsA(node, SubPlan) || IsA(node, SubLink) ||
		IsA(node, Aggref) || IsA(node, WindowFunc))
		return true;
	return expression_tree_walker(node, only_extern_params_walker, context);
}

/*
 * spanner_grouped_sort_key
 *		The entry of a grouped select list (tlist) a sort key names, if
 *		Spanner orders it as PostgreSQL does: a GROUP BY column (as
 *		spanner_pathkey_column decides), or an aggregate whose values it
 *		orders alike (counts, integer sums, min/max, bool_and/bool_or; not
 *		avg, whose value only the scan computes).  *nullable: whether the
 *		value may be NULL (counts never are).
 */
TargetEntry *
spanner_grouped_sort_key(PlannerInfo *root, RelOptInfo *input_rel, List *tlist,
						 PathKey *pk, bool *nullable)
{
	EquivalenceClass *ec = pk->pk_eclass;
	ListCell   *lc;

	if (ec->ec_has_volatile ||
		(pk->pk_strategy != BTLessStrategyNumber &&
		 pk->pk_strategy != BTGreaterStrategyNumber))
		return NULL;
	foreach(lc, ec->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(lc);
		ListCell   *lc2;

		if (em->em_is_child)
			continue;
		foreach(lc2, tlist)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc2);
			Node	   *expr = strip_relabel((Node *) tle->expr);
			Oid			opclass;

			if (!equal(expr, strip_relabel((Node *) em->em_expr)))
				continue;
			/* the type's own order */
			opclass = GetDefaultOpClass(exprType(expr), BTREE_AM_OID);
			if (!OidIsValid(opclass) || get_opclass_family(opclass) != pk->pk_opfamily)
				return NULL;
			if (IsA(expr, Aggref))
			{
				Var		   *arg;

				switch (spanner_agg_kind(root, input_rel, (Aggref *) expr, &arg))
				{
					case SPANNER_AGG_COUNT_STAR:
					case SPANNER_AGG_COUNT:
					case SPANNER_AGG_COUNT_DISTINCT:
						*nullable = false;
						return tle;
					case SPANNER_AGG_SUM:
					case SPANNER_AGG_SUM_NUMERIC:
					case SPANNER_AGG_BOOL_AND:
					case SPANNER_AGG_BOOL_OR:
					case SPANNER_AGG_MIN:
					case SPANNER_AGG_MAX:
						/* min/max: text only under "C", no floats (agg kind) */
						*nullable = true;
						return tle;
					default:
						return NULL;
				}
			}
			if (IsA(expr, Var))
			{
				bool		is_float;
				Var		   *var = spanner_pathkey_column(root, input_rel, pk, &is_float);

				if (var == NULL || is_float || !equal(var, expr))
					return NULL;
				*nullable = true;
				return tle;
			}
			return NULL;
		}
	}
	return NULL;
}

/* Can Spanner sort the groups of tlist by these keys? */
bool
spanner_grouped_pathkeys_ok(PlannerInfo *root, RelOptInfo *input_rel, List *tlist,
							List *pathkeys)
{
	ListCell   *lc;
	bool		nullable;

	foreach(lc, pathkeys)
		if (spanner_grouped_sort_key(root, input_rel, tlist, lfirst_node(PathKey, lc),
									 &nullable) == NULL)
			return false;
	return pathkeys != NIL;
}

/*
 * spanner_limit_expr_ok
 *		Can a LIMIT or OFFSET expression be computed when the scan starts
 *		and sent as a parameter?  A constant or an expression of the
 *		statement's parameters, with nothing volatile in it; a negative
 *		constant is left to PostgreSQL's own error.
 */
bool
spanner_limit_expr_ok(Node *expr)
{
	if (expr == NULL)
		return true;
	if (exprType(expr) != INT8OID)
		return false;
	if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;

		return c->constisnull || DatumGetInt64(c->constvalue) >= 0;
	}
	return !contain_volatile_functions(expr) &&
		!only_extern_params_walker(expr, NULL);
}

/*
 * Does Spanner find two values of this column equal exactly when
 * PostgreSQL does (GROUP BY, DISTINCT)?  Not floats (NaN and -0), not
 * strings under a nondeterministic collation.
 */
static bool
column_groupable(Var *var, foreign_glob_cxt *cxt, Oid collid)
{
	/*
	 * Spanner groups timestamps by the nanosecond, PostgreSQL sees them cut
	 * to microseconds: two Spanner values may be one PostgreSQL value.
	 */
	if (var->vartype == TIMESTAMPTZOID)
		return false;
	if (!column_comparable(var, cxt))
		return false;
	if (is_string_type(var->vartype) && !collation_ok(collid, true))
		return false;
	return true;
}

/*
 * spanner_group_key_ok
 *		Can Spanner GROUP BY this expression as PostgreSQL groups it?  A plain
 *		column of the relation (see column_groupable).
 */
bool
spanner_group_key_ok(PlannerInfo *root, RelOptInfo *baserel, Node *expr)
{
	foreign_glob_cxt cxt;
	Var		   *var;

	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	var = own_var(expr, &cxt);
	if (var != NULL)
		return column_groupable(var, &cxt, exprCollation(expr));

	/*
	 * An expression Spanner computes as PostgreSQL does (scalar_ok), of a
	 * type whose values group alike: no floats, no timestamps (which would
	 * carry Spanner's nanoseconds), strings under a deterministic collation.
	 */
	switch (exprType(expr))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case BOOLOID:
		case BYTEAOID:
		case DATEOID:
			break;
		case TEXTOID:
		case VARCHAROID:
			if (!collation_ok(exprCollation(expr), true))
				return false;
			break;
		default:
			return false;
	}
	return has_own_var(expr, &cxt) && scalar_ok(expr, &cxt);
}

/*
 * spanner_agg_kind
 *		Which of the aggregates Spanner computes exactly as PostgreSQL is
 *		this, if any; *arg gets its column (NULL for count(*)).
 */
SpannerAggKind
spanner_agg_kind(PlannerInfo *root, RelOptInfo *baserel, Aggref *agg, Var **arg)
{
	foreign_glob_cxt cxt;
	char	   *name;
	Var		   *var = NULL;
	bool		is_float;
	SpannerAggKind kind = SPANNER_AGG_NONE;

	*arg = NULL;
	if (agg->aggfnoid >= FirstGenbkiObjectId || agg->aggkind != AGGKIND_NORMAL ||
		agg->aggsplit != AGGSPLIT_SIMPLE || agg->aggfilter != NULL ||
		agg->aggorder != NIL || agg->aggvariadic)
		return SPANNER_AGG_NONE;
	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	name = get_func_name(agg->aggfnoid);
	if (agg->aggstar)
		return (strcmp(name, "count") == 0 && agg->aggdistinct == NIL) ?
			SPANNER_AGG_COUNT_STAR : SPANNER_AGG_NONE;
	if (list_length(agg->args) != 1)
		return SPANNER_AGG_NONE;
	var = own_var((Node *) linitial_node(TargetEntry, agg->args)->expr, &cxt);
	if (var == NULL)
		return SPANNER_AGG_NONE;

	if (agg->aggdistinct != NIL)
	{
		/* count(DISTINCT x): distinct as PostgreSQL's equality */
		if (strcmp(name, "count") == 0 &&
			column_groupable(var, &cxt, agg->inputcollid))
			kind = SPANNER_AGG_COUNT_DISTINCT;
	}
	else if (strcmp(name, "count") == 0)
		kind = SPANNER_AGG_COUNT;
	else if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
	{
		/* the aggregate's result is not rounded to the column's typmod */
		if ((var->vartype == NUMERICOID || var->vartype == TIMESTAMPTZOID) &&
			var->vartypmod >= 0)
			kind = SPANNER_AGG_NONE;
		else if (type_orderable(var->vartype, var_info(var, &cxt)->remote_types[var->varattno], &is_float) &&
			!is_float &&
			(!is_string_type(var->vartype) || collation_ok(agg->inputcollid, false)))
			kind = strcmp(name, "min") == 0 ? SPANNER_AGG_MIN : SPANNER_AGG_MAX;
	}
	else if (strcmp(name, "sum") == 0)
	{
		/* integers only; sum(int8) is numeric in PostgreSQL, never overflows */
		if (var_info(var, &cxt)->remote_types[var->varattno] == SP_TYPE_INT64 &&
			column_comparable(var, &cxt))
		{
			if (var->vartype == INT2OID || var->vartype == INT4OID)
				kind = SPANNER_AGG_SUM;
			else if (var->vartype == INT8OID)
				kind = SPANNER_AGG_SUM_NUMERIC;
		}
	}
	else if (strcmp(name, "avg") == 0)
	{
		/* integers only: a numeric average keeps its inputs' scale */
		if (var_info(var, &cxt)->remote_types[var->varattno] == SP_TYPE_INT64 &&
			column_comparable(var, &cxt) &&
			(var->vartype == INT2OID || var->vartype == INT4OID || var->vartype == INT8OID))
			kind = SPANNER_AGG_AVG;
	}
	else if (strcmp(name, "bool_and") == 0 || strcmp(name, "bool_or") == 0)
	{
		if (var->vartype == BOOLOID && column_comparable(var, &cxt))
			kind = strcmp(name, "bool_and") == 0 ? SPANNER_AGG_BOOL_AND : SPANNER_AGG_BOOL_OR;
	}
	pfree(name);
	if (kind != SPANNER_AGG_NONE)
		*arg = var;
	return kind;
}

/*
 * May a key column of this Spanner type be read by key?  Only types whose
 * key is encoded exactly as the value PostgreSQL compares: INT64 (decimal),
 * STRING (the text, compared byte for byte under a deterministic
 * collation), BYTES (base64), BOOL and DATE (YYYY-MM-DD).  Not floats (NaN
 * and -0 are equal in PostgreSQL, not as keys), not TIMESTAMP (Spanner
 * keeps nanoseconds PostgreSQL cannot name), not NUMERIC (its run-time
 * values cannot be sent at all).
 */
static bool
key_type_readable(SpTypeCode code)
{
	return code == SP_TYPE_INT64 || code == SP_TYPE_STRING ||
		code == SP_TYPE_BYTES || code == SP_TYPE_BOOL || code == SP_TYPE_DATE;
}

/*
 * The key columns of the table in Spanner's key order, into keys[0..n-1];
 * returns n, or 0 if the table has no key column or the order is not
 * known.  A single key column needs no position; several need each its
 * position (option key '1', '2', ...; IMPORT writes them), as Spanner's
 * key order need not be the order of the columns.
 */
static int
key_columns_in_order(SpannerRelInfo *fpinfo, AttrNumber *keys)
{
	int			nkeys = 0;
	int			i;
	AttrNumber	only = 0;
	bool		ordered = true;

	memset(keys, 0, sizeof(AttrNumber) * fpinfo->natts);
	for (i = 1; i <= fpinfo->natts; i++)
	{
		int			pos;

		/* a dropped column has no type */
		if (!OidIsValid(get_atttype(fpinfo->relid, i)))
			continue;
		pos = spanner_column_key_position(fpinfo->relid, i);
		if (pos < 0)
			continue;
		nkeys++;
		only = i;
		if (pos == 0 || pos > fpinfo->natts || keys[pos - 1] != 0)
			ordered = false;
		else
			keys[pos - 1] = i;
	}
	if (nkeys == 1)
	{
		keys[0] = only;
		return 1;
	}
	if (!ordered)
		return 0;
	/* positions 1..nkeys, each once */
	for (i = 0; i < nkeys; i++)
		if (keys[i] == 0)
			return 0;
	return nkeys;
}

/* Number of elements of a non-null array constant. */
static int
const_array_length(Const *c)
{
	ArrayType  *a = DatumGetArrayTypeP(c->constvalue);

	return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
}

/*
 * A key value is sent in the key type's own spelling: the column must be
 * declared as that type (a numeric column over an INT64 key would send
 * "1.5", which Spanner rejects).
 */
static bool
key_declared_ok(Oid pgtype, SpTypeCode code)
{
	switch (code)
	{
		case SP_TYPE_INT64:
			return pgtype == INT8OID || pgtype == INT4OID || pgtype == INT2OID;
		case SP_TYPE_STRING:
			return is_string_type(pgtype);
		case SP_TYPE_BYTES:
			return pgtype == BYTEAOID;
		case SP_TYPE_BOOL:
			return pgtype == BOOLOID;
		case SP_TYPE_DATE:
			return pgtype == DATEOID;
		default:
			return false;
	}
}

/*
 * spanner_key_read_parts
 *		If the conditions (all of the scan's remote conditions) fix the
 *		table's whole primary key and do nothing else, a SpannerKeyPart for
 *		each key column in Spanner's key order: the rows are then read by
 *		key through the Read API rather than by SQL.  Else NIL.
 *
 * Each key column must be of a type key_type_readable accepts and be
 * compared with "=" to one value (a boolean column may be the condition
 * itself, or NOT it), or with "= ANY" to a list (an IN list of
 * values, an array constant, or an array parameter) for at most one key
 * column: then one key per element.  Lists longer than
 * SPANNER_READ_MAX_KEYS are left to SQL (for an array parameter, the scan
 * decides when it knows the length).
 */
List *
spanner_key_read_parts(PlannerInfo *root, RelOptInfo *baserel, List *conds)
{
	SpannerRelInfo *fpinfo = (SpannerRelInfo *) baserel->fdw_private;
	foreign_glob_cxt cxt;
	AttrNumber *keys;
	SpannerKeyPart **found;
	int			nkeys;
	int			i;
	bool		have_list = false;
	List	   *result = NIL;
	ListCell   *lc;

	if (conds == NIL || !IS_SIMPLE_REL(baserel))
		return NIL;
	keys = palloc(sizeof(AttrNumber) * fpinfo->natts);
	nkeys = key_columns_in_order(fpinfo, keys);
	if (nkeys == 0)
		return NIL;
	found = palloc0(sizeof(SpannerKeyPart *) * nkeys);
	cxt.root = root;
	cxt.foreignrel = baserel;
	cxt.fpinfo = fpinfo;

	foreach(lc, conds)
	{
		Node	   *cond = (Node *) lfirst(lc);
		const char *name;
		Var		   *var;
		Node	   *value;
		bool		in_list = false;
		bool		bool_value = true;

		if (IsA(cond, BoolExpr) && ((BoolExpr *) cond)->boolop == NOT_EXPR)
		{
			cond = (Node *) linitial(((BoolExpr *) cond)->args);
			bool_value = false;
			if (!IsA(strip_relabel(cond), Var))
				return NIL;
		}
		if (IsA(strip_relabel(cond), Var))
		{
			/* a boolean column as the condition: col = true (or false) */
			name = "=";
			var = own_var(cond, &cxt);
			value = NULL;
			if (var == NULL || var->vartype != BOOLOID)
				return NIL;
		}
		else if (IsA(cond, OpExpr) && list_length(((OpExpr *) cond)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) cond;

			name = spanner_comparison_name(op->opno);
			var = own_var(linitial(op->args), &cxt);
			value = lsecond(op->args);
			if (var == NULL)
			{
				var = own_var(lsecond(op->args), &cxt);
				value = linitial(op->args);
			}
			/* a value, not an expression of the row (id = id + 1) */
			if (has_own_var(value, &cxt))
				return NIL;
		}
		else if (IsA(cond, ScalarArrayOpExpr))
		{
			ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) cond;

			if (!saop->useOr)
				return NIL;
			name = spanner_comparison_name(saop->opno);
			var = own_var(linitial(saop->args), &cxt);
			value = strip_relabel(lsecond(saop->args));
			in_list = true;
			if (IsA(value, Const))
			{
				if (((Const *) value)->constisnull ||
					const_array_length((Const *) value) > SPANNER_READ_MAX_KEYS)
					return NIL;
			}
			else if (IsA(value, ArrayExpr))
			{
				if (list_length(((ArrayExpr *) value)->elements) > SPANNER_READ_MAX_KEYS)
					return NIL;
			}
			else if (!IsA(value, Param))
				return NIL;
			if (has_own_var(value, &cxt))
				return NIL;
		}
		else
			return NIL;
		if (name == NULL || strcmp(name, "=") != 0 || var == NULL ||
			!column_comparable(var, &cxt) ||
			!key_type_readable(fpinfo->remote_types[var->varattno]) ||
			!key_declared_ok(var->vartype, fpinfo->remote_types[var->varattno]))
			return NIL;
		for (i = 0; i < nkeys; i++)
			if (keys[i] == var->varattno)
				break;
		/* not a key column, or a key column fixed twice */
		if (i == nkeys || found[i] != NULL)
			return NIL;
		/* one key column with a list: one key per element, no products */
		if (in_list && have_list)
			return NIL;
		have_list |= in_list;
		found[i] = palloc(sizeof(SpannerKeyPart));
		found[i]->attnum = var->varattno;
		found[i]->code = fpinfo->remote_types[var->varattno];
		found[i]->value = strip_relabel(value);
		found[i]->in_list = in_list;
		found[i]->bool_value = bool_value;
	}
	for (i = 0; i < nkeys; i++)
	{
		if (found[i] == NULL)
			return NIL;
		result = lappend(result, found[i]);
	}
	return result;
}
