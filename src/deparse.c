/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		  Query deparser for spanner_fdw: decides which conditions can run
 *		  on Spanner and renders GoogleSQL for them.
 *
 * A condition is sent only if Spanner computes exactly what PostgreSQL
 * would.  Hence: comparisons of columns with constants or parameters for
 * integer, numeric, boolean, date, timestamptz, bytea and string types;
 * ordering comparisons of strings only under the "C" collation (Spanner
 * compares strings by code point); no float comparisons (Spanner's NaN is
 * unequal to itself and sorts lowest, PostgreSQL's equals itself and sorts
 * highest); timestamptz columns are compared as TIMESTAMP_TRUNC(col,
 * MICROSECOND), since Spanner keeps nanoseconds and PostgreSQL does not.
 *
 * Constants and parameters are never inlined: each becomes a typed query
 * parameter @pN, so no value can change the meaning of the SQL, and
 * identifiers are always quoted with backticks.
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
#include "access/table.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "spanner_fdw.h"

/* Context for the walker that decides shippability */
typedef struct foreign_glob_cxt
{
	PlannerInfo *root;
	RelOptInfo *foreignrel;
} foreign_glob_cxt;

/* Context for deparseExpr */
typedef struct deparse_expr_cxt
{
	PlannerInfo *root;
	RelOptInfo *foreignrel;
	StringInfo	buf;
	List	  **params_list;	/* exprs that become @p1, @p2, ... */
} deparse_expr_cxt;

static bool foreign_expr_walker(Node *node, foreign_glob_cxt *glob_cxt, bool top_bool);
static void deparseExpr(Expr *node, deparse_expr_cxt *context);
static void deparseColumnRef(StringInfo buf, int varno, int varattno,
							 PlannerInfo *root, bool qualify_col);
static Oid	column_type(Node *node);
static Node *strip_relabel(Node *node);
#define strip_relabel_node(n) strip_relabel(n)

/*
 * Types whose comparisons are sent, and how they are compared.
 */
static bool
is_comparable_type(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case BOOLOID:
		case DATEOID:
		case TIMESTAMPTZOID:
		case BYTEAOID:
		case TEXTOID:
		case VARCHAROID:
			return true;
		default:
			return false;
	}
}

static bool
is_string_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID;
}

/* The type category for cross-type comparisons (int vs int8 etc.) */
static char
type_family(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return 'i';
		case NUMERICOID:
			return 'n';
		case TEXTOID:
		case VARCHAROID:
			return 's';
		default:
			return (char) (type & 0x7f);	/* unique per remaining type */
	}
}

/*
 * A numeric constant can be sent only if Spanner's NUMERIC holds it
 * exactly: not NaN/Infinity, at most 29 integer and 9 fraction digits.
 */
static bool
numeric_const_ok(Const *c)
{
	char	   *s;
	char	   *dot;
	int			intdigits,
				fracdigits;

	if (c->constisnull)
		return true;
	s = DatumGetCString(DirectFunctionCall1(numeric_out, c->constvalue));
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
 * Can a non-null constant of this type be sent as a Spanner parameter with
 * the same meaning?  Spanner dates and timestamps lie in years 1..9999;
 * infinities and values outside would make Spanner fail where PostgreSQL
 * returns rows.
 */
static bool
value_ok(Oid type, Datum value)
{
	switch (type)
	{
		case NUMERICOID:
			{
				Const		tmp;

				tmp.constisnull = false;
				tmp.constvalue = value;
				return numeric_const_ok(&tmp);
			}
		case DATEOID:
			{
				DateADT		d = DatumGetDateADT(value);

				return !DATE_NOT_FINITE(d) &&
					d >= date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE &&
					d <= date2j(9999, 12, 31) - POSTGRES_EPOCH_JDATE;
			}
		case TIMESTAMPTZOID:
			{
				TimestampTz t = DatumGetTimestampTz(value);

				return !TIMESTAMP_NOT_FINITE(t) &&
					t >= (TimestampTz) (date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY &&
					t < (TimestampTz) (date2j(9999, 12, 31) + 1 - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
			}
		default:
			return true;
	}
}

/*
 * Columns whose declared type carries a typmod that rounds values on the
 * way in (numeric(p,s), timestamptz(p)) would be compared unrounded on
 * Spanner: keep their comparisons local.
 */
static bool
typmod_ok(Node *col)
{
	Var		   *var = (Var *) strip_relabel_node(col);

	if ((var->vartype == NUMERICOID || var->vartype == TIMESTAMPTZOID) &&
		var->vartypmod >= 0)
		return false;
	return true;
}

static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* Is node a plain column of the foreign relation? */
static bool
is_own_var(Node *node, foreign_glob_cxt *cxt)
{
	Var		   *var;

	node = strip_relabel(node);
	if (node == NULL || !IsA(node, Var))
		return false;
	var = (Var *) node;
	return bms_is_member(var->varno, cxt->foreignrel->relids) &&
		var->varlevelsup == 0 && var->varattno > 0;
}

/* Is node a constant or parameter that can be sent as a typed parameter? */
static bool
is_param_value(Node *node, Oid coltype)
{
	Oid			type;

	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (IsA(node, Const))
	{
		type = ((Const *) node)->consttype;
		if (!((Const *) node)->constisnull && !value_ok(type, ((Const *) node)->constvalue))
			return false;
	}
	else if (IsA(node, Param))
	{
		Param	   *p = (Param *) node;

		if (p->paramkind != PARAM_EXTERN && p->paramkind != PARAM_EXEC)
			return false;
		type = p->paramtype;
		/* runtime numerics may not fit NUMERIC(38,9) */
		if (type == NUMERICOID)
			return false;
	}
	else
		return false;
	return is_comparable_type(type) && type_family(type) == type_family(coltype) &&
		spanner_param_type_json(type) != NULL;
}

static Oid
column_type(Node *node)
{
	return exprType(strip_relabel(node));
}

/* Name of a built-in comparison operator, or NULL. */
static const char *
comparison_name(Oid opno)
{
	HeapTuple	tuple;
	Form_pg_operator form;
	static char name[NAMEDATALEN];

	if (opno >= FirstGenbkiObjectId)
		return NULL;
	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	strlcpy(name, NameStr(form->oprname), sizeof(name));
	ReleaseSysCache(tuple);
	if (strcmp(name, "=") == 0 || strcmp(name, "<>") == 0 ||
		strcmp(name, "<") == 0 || strcmp(name, "<=") == 0 ||
		strcmp(name, ">") == 0 || strcmp(name, ">=") == 0)
		return name;
	return NULL;
}

/* May a comparison of strings under this collation be sent? */
static bool
collation_ok(Oid collid, bool equality)
{
	if (!OidIsValid(collid))
		return true;
	if (equality)
		return get_collation_isdeterministic(collid);
	return lc_collate_is_c(collid);
}

/*
 * Is the comparison "a op b" (in either order) shippable?
 */
static bool
comparison_ok(Oid opno, Oid inputcollid, Node *a, Node *b, foreign_glob_cxt *cxt)
{
	const char *name = comparison_name(opno);
	Node	   *col,
			   *val;
	Oid			coltype;

	if (name == NULL)
		return false;
	if (is_own_var(a, cxt))
	{
		col = a;
		val = b;
	}
	else if (is_own_var(b, cxt))
	{
		col = b;
		val = a;
	}
	else
		return false;
	coltype = column_type(col);
	if (!is_comparable_type(coltype) || !typmod_ok(col) || !is_param_value(val, coltype))
		return false;
	if (is_string_type(coltype) &&
		!collation_ok(inputcollid, strcmp(name, "=") == 0 || strcmp(name, "<>") == 0))
		return false;
	return true;
}

/*
 * foreign_expr_walker
 *		Can the expression be evaluated on Spanner?  top_bool: node must be
 *		a boolean condition.
 */
static bool
foreign_expr_walker(Node *node, foreign_glob_cxt *cxt, bool top_bool)
{
	if (node == NULL)
		return false;

	switch (nodeTag(node))
	{
		case T_Var:
			/* a boolean column used as a condition */
			return is_own_var(node, cxt) && exprType(node) == BOOLOID;
		case T_RelabelType:
			return foreign_expr_walker((Node *) ((RelabelType *) node)->arg, cxt, top_bool);
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;

				if (list_length(op->args) != 2)
					return false;
				return comparison_ok(op->opno, op->inputcollid,
									 linitial(op->args), lsecond(op->args), cxt);
			}
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) node;
				const char *name = comparison_name(saop->opno);
				Node	   *col = linitial(saop->args);
				Node	   *arr = strip_relabel(lsecond(saop->args));
				Oid			coltype;

				if (name == NULL ||
					!((saop->useOr && strcmp(name, "=") == 0) ||
					  (!saop->useOr && strcmp(name, "<>") == 0)))
					return false;
				if (!is_own_var(col, cxt))
					return false;
				coltype = column_type(col);
				if (!is_comparable_type(coltype) || !typmod_ok(col))
					return false;
				if (is_string_type(coltype) && !collation_ok(saop->inputcollid, true))
					return false;
				if (IsA(arr, Const))
				{
					Const	   *c = (Const *) arr;
					Oid			elemtype = get_element_type(c->consttype);

					/* a NULL array differs: IN UNNEST(NULL) is false, not NULL */
					if (c->constisnull || !OidIsValid(elemtype) ||
						type_family(elemtype) != type_family(coltype) ||
						spanner_param_type_json(c->consttype) == NULL)
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
							if (!nulls[i] && !value_ok(elemtype, elems[i]))
								return false;
					}
					return true;
				}
				if (IsA(arr, ArrayExpr))
				{
					ListCell   *lc;

					foreach(lc, ((ArrayExpr *) arr)->elements)
						if (!is_param_value(lfirst(lc), coltype))
							return false;
					return true;
				}
				return false;
			}
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) node;
				ListCell   *lc;

				foreach(lc, b->args)
					if (!foreign_expr_walker(lfirst(lc), cxt, true))
						return false;
				return true;
			}
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) node;

				return !nt->argisrow && is_own_var((Node *) nt->arg, cxt) &&
					spanner_param_type_json(column_type((Node *) nt->arg)) != NULL;
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
	if (contain_mutable_functions((Node *) expr))
		return false;
	return foreign_expr_walker((Node *) expr, &cxt, true);
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

		if (spanner_is_foreign_expr(root, baserel, ri->clause))
			*remote_conds = lappend(*remote_conds, ri);
		else
			*local_conds = lappend(*local_conds, ri);
	}
}

/*
 * spanner_quote_identifier
 *		Quote an identifier with backticks, escaping backslashes, backticks
 *		and control characters.
 */
void
spanner_quote_identifier(StringInfo buf, const char *ident)
{
	const unsigned char *p;

	appendStringInfoChar(buf, '`');
	for (p = (const unsigned char *) ident; *p; p++)
	{
		if (*p == '`' || *p == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *p);
		}
		else if (*p < 0x20 || *p == 0x7f)
			appendStringInfo(buf, "\\x%02x", *p);
		else
			appendStringInfoChar(buf, (char) *p);
	}
	appendStringInfoChar(buf, '`');
}

/*
 * spanner_deparse_table_name
 *		`schema`.`table` from the table's options (schema_name, table_name)
 *		or its PostgreSQL name.
 */
void
spanner_deparse_table_name(StringInfo buf, Relation rel)
{
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	const char *nspname = NULL;
	const char *relname = NULL;
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "schema_name") == 0)
			nspname = defGetString(def);
		else if (strcmp(def->defname, "table_name") == 0)
			relname = defGetString(def);
	}
	if (relname == NULL)
		relname = RelationGetRelationName(rel);
	if (nspname && nspname[0])
	{
		spanner_quote_identifier(buf, nspname);
		appendStringInfoChar(buf, '.');
	}
	spanner_quote_identifier(buf, relname);
}

/* Column name on Spanner: the column_name option or the attribute name. */
static void
deparseColumnRef(StringInfo buf, int varno, int varattno, PlannerInfo *root,
				 bool qualify_col)
{
	RangeTblEntry *rte = planner_rt_fetch(varno, root);
	char	   *colname = NULL;
	List	   *options;
	ListCell   *lc;

	options = GetForeignColumnOptions(rte->relid, varattno);
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "column_name") == 0)
		{
			colname = defGetString(def);
			break;
		}
	}
	if (colname == NULL)
		colname = get_attname(rte->relid, varattno, false);
	spanner_quote_identifier(buf, colname);
}

/* Add a parameter for a Const or Param and print its name. */
static void
deparse_param(Node *node, deparse_expr_cxt *context)
{
	ListCell   *lc;
	int			idx = 0;

	node = strip_relabel(node);
	/* reuse the same Param if it appears again */
	foreach(lc, *context->params_list)
	{
		idx++;
		if (IsA(node, Param) && equal(node, lfirst(lc)))
		{
			appendStringInfo(context->buf, "@p%d", idx);
			return;
		}
	}
	*context->params_list = lappend(*context->params_list, node);
	appendStringInfo(context->buf, "@p%d", list_length(*context->params_list));
}

static void
deparse_column(Node *node, deparse_expr_cxt *context)
{
	Var		   *var = (Var *) strip_relabel(node);
	bool		trunc = (var->vartype == TIMESTAMPTZOID);

	if (trunc)
		appendStringInfoString(context->buf, "TIMESTAMP_TRUNC(");
	deparseColumnRef(context->buf, var->varno, var->varattno, context->root, false);
	if (trunc)
		appendStringInfoString(context->buf, ", MICROSECOND)");
}

static void
deparse_operand(Node *node, deparse_expr_cxt *context)
{
	Node	   *n = strip_relabel(node);

	if (IsA(n, Var))
		deparse_column(n, context);
	else
		deparse_param(n, context);
}

/*
 * deparseExpr
 *		Render a shippable expression; must accept exactly the nodes the
 *		walker accepts.
 */
static void
deparseExpr(Expr *node, deparse_expr_cxt *context)
{
	StringInfo	buf = context->buf;

	switch (nodeTag(node))
	{
		case T_Var:
			deparse_column((Node *) node, context);
			break;
		case T_RelabelType:
			deparseExpr(((RelabelType *) node)->arg, context);
			break;
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;
				const char *name = comparison_name(op->opno);

				appendStringInfoChar(buf, '(');
				deparse_operand(linitial(op->args), context);
				appendStringInfo(buf, " %s ", strcmp(name, "<>") == 0 ? "!=" : name);
				deparse_operand(lsecond(op->args), context);
				appendStringInfoChar(buf, ')');
			}
			break;
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) node;
				Node	   *arr = strip_relabel(lsecond(saop->args));

				appendStringInfoString(buf, saop->useOr ? "(" : "(NOT ");
				deparse_operand(linitial(saop->args), context);
				if (IsA(arr, Const))
				{
					appendStringInfoString(buf, " IN UNNEST(");
					deparse_param(arr, context);
					appendStringInfoString(buf, "))");
				}
				else
				{
					ListCell   *lc;
					bool		first = true;

					appendStringInfoString(buf, " IN (");
					foreach(lc, ((ArrayExpr *) arr)->elements)
					{
						if (!first)
							appendStringInfoString(buf, ", ");
						first = false;
						deparse_param(lfirst(lc), context);
					}
					appendStringInfoString(buf, "))");
				}
			}
			break;
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) node;
				ListCell   *lc;
				bool		first = true;

				if (b->boolop == NOT_EXPR)
				{
					appendStringInfoString(buf, "(NOT ");
					deparseExpr(linitial(b->args), context);
					appendStringInfoChar(buf, ')');
					break;
				}
				appendStringInfoChar(buf, '(');
				foreach(lc, b->args)
				{
					if (!first)
						appendStringInfoString(buf, b->boolop == AND_EXPR ? " AND " : " OR ");
					first = false;
					deparseExpr(lfirst(lc), context);
				}
				appendStringInfoChar(buf, ')');
			}
			break;
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) node;

				appendStringInfoChar(buf, '(');
				deparse_operand((Node *) nt->arg, context);
				appendStringInfoString(buf, nt->nulltesttype == IS_NULL ?
									   " IS NULL)" : " IS NOT NULL)");
			}
			break;
		default:
			elog(ERROR, "unsupported expression type for deparse: %d",
				 (int) nodeTag(node));
			break;
	}
}

/*
 * spanner_deparse_select
 *		SELECT <referenced columns> FROM <table> [WHERE <remote conds>]
 *
 * retrieved_attrs gets the attnums in the order of the select list;
 * params_list the Consts/Params behind @p1, @p2, ...
 */
void
spanner_deparse_select(StringInfo buf, PlannerInfo *root, RelOptInfo *baserel,
					   List *remote_conds, Bitmapset *attrs_used,
					   List **retrieved_attrs, List **params_list,
					   List **pushed_attrs)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Relation	rel = table_open(rte->relid, NoLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		have_wholerow;
	bool		first = true;
	int			i;
	deparse_expr_cxt context;
	Bitmapset  *cond_attrs = NULL;
	ListCell   *lc;

	*retrieved_attrs = NIL;
	*pushed_attrs = NIL;
	have_wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs_used);

	foreach(lc, remote_conds)
	{
		Expr	   *expr = (Expr *) lfirst(lc);

		if (IsA(expr, RestrictInfo))
			expr = ((RestrictInfo *) expr)->clause;
		pull_varattnos((Node *) expr, baserel->relid, &cond_attrs);
	}

	appendStringInfoString(buf, "SELECT ");
	for (i = 1; i <= tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i - 1);

		if (attr->attisdropped)
			continue;
		if (have_wholerow ||
			bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs_used))
		{
			if (!first)
				appendStringInfoString(buf, ", ");
			first = false;
			deparseColumnRef(buf, baserel->relid, i, root, false);
			*retrieved_attrs = lappend_int(*retrieved_attrs, i);
		}
	}

	/*
	 * The scan checks, from the result's metadata, that each column compared
	 * on Spanner has the Spanner type the comparison assumes.  A compared
	 * column that is not fetched anyway is probed as IF(FALSE, col, NULL):
	 * its type, without its data.  *pushed_attrs gets (attnum, result
	 * column) pairs.
	 */
	{
		int			ncols = list_length(*retrieved_attrs);

		for (i = 1; i <= tupdesc->natts; i++)
		{
			int			pos;

			if (!bms_is_member(i - FirstLowInvalidHeapAttributeNumber, cond_attrs))
				continue;
			pos = list_member_int(*retrieved_attrs, i) ? -1 : ncols++;
			if (pos < 0)
			{
				ListCell   *lc2;

				foreach(lc2, *retrieved_attrs)
					if (lfirst_int(lc2) == i)
						pos = foreach_current_index(lc2);
			}
			else
			{
				appendStringInfoString(buf, first ? "IF(FALSE, " : ", IF(FALSE, ");
				deparseColumnRef(buf, baserel->relid, i, root, false);
				appendStringInfoString(buf, ", NULL)");
				first = false;
			}
			*pushed_attrs = lappend_int(*pushed_attrs, i);
			*pushed_attrs = lappend_int(*pushed_attrs, pos);
		}
	}
	if (first)
		appendStringInfoString(buf, "1");	/* no columns needed: count rows */

	appendStringInfoString(buf, " FROM ");
	spanner_deparse_table_name(buf, rel);
	table_close(rel, NoLock);

	context.root = root;
	context.foreignrel = baserel;
	context.buf = buf;
	context.params_list = params_list;

	if (remote_conds != NIL)
	{
		ListCell   *lc;
		bool		firstcond = true;

		appendStringInfoString(buf, " WHERE ");
		foreach(lc, remote_conds)
		{
			Expr	   *expr = (Expr *) lfirst(lc);

			if (IsA(expr, RestrictInfo))
				expr = ((RestrictInfo *) expr)->clause;
			if (!firstcond)
				appendStringInfoString(buf, " AND ");
			firstcond = false;
			deparseExpr(expr, &context);
		}
	}
}
