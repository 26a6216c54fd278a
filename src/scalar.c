/*-------------------------------------------------------------------------
 *
 * scalar.c
 *		  The PostgreSQL operators and functions that have a Spanner twin
 *		  computing the same value: recognising a call (which twin, which
 *		  arguments), and the time zones Spanner reads as PostgreSQL does.
 *
 * Recognition is by the function's OID, so only the built-in functions
 * are known.  What else must hold for a call to be sent (argument types,
 * constant arguments, collations) is decided by shippable.c; the spelling
 * is the dialect's (SpannerDialect.scalar_template).
 *
 * The twins, and why they agree:
 * - bigint + - * / % and unary minus: Spanner's INT64 arithmetic, with
 *   DIV (truncates toward zero) and MOD (the sign of the dividend); both
 *   systems raise an error on overflow and on division by zero.  Integer
 *   and smallint arithmetic stays local: PostgreSQL overflows at 2^31,
 *   Spanner only at 2^63.  So do numeric, date and timestamp arithmetic:
 *   Spanner's ranges are narrower (29 integer digits, years 1 to 9999), so
 *   it would fail on sums PostgreSQL computes, and numeric * and / round
 *   differently.
 * - date - date: DATE_DIFF in days.
 * - text || text, char_length/length, octet_length, substr/substring
 *   with a constant start >= 1 (and length >= 0), btrim/ltrim/rtrim (with
 *   the default of a space only: Spanner's own default trims all
 *   whitespace), replace, starts_with, strpos; octet_length/length of
 *   bytea.
 * - abs of bigint and numeric; trunc of numeric.  round, ceil and floor
 *   stay local: near the end of Spanner's NUMERIC range their result
 *   overflows there.
 * - casts from smallint/integer to bigint (no-ops on Spanner, whose only
 *   integer is INT64) and from integers to numeric.
 * - extract(field from timestamptz) in the session's time zone, which the
 *   query names explicitly (Spanner's default is America/Los_Angeles), and
 *   extract(field from date).  Near Spanner's lower limit a local time
 *   before year 1 has the year 0 on Spanner and -1 (1 BC) in PostgreSQL:
 *   the spelling maps it.  date_trunc stays local: Spanner fails to
 *   truncate such a time, where PostgreSQL answers.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/scalar.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"

#include "spanner_fdw.h"

/* extract fields Spanner knows, lower case */
static const char *const extract_fields[] = {
	"year", "month", "day", "hour", "minute", "quarter", "doy", "dow",
	"isodow", "week", NULL
};
/* of a date: no time of day */
static const char *const extract_date_fields[] = {
	"year", "month", "day", "quarter", "doy", "dow", "isodow", "isoyear",
	"week", NULL
};

/* The constant text argument, lower-cased, if it is one of names. */
static const char *
const_field(Node *node, const char *const *names)
{
	Const	   *c;
	char	   *s;
	int			i;

	if (node == NULL || !IsA(node, Const))
		return NULL;
	c = (Const *) node;
	if (c->constisnull || c->consttype != TEXTOID)
		return NULL;
	s = text_to_cstring(DatumGetTextPP(c->constvalue));
	for (i = 0; names[i] != NULL; i++)
		if (pg_strcasecmp(s, names[i]) == 0)
			return names[i];
	return NULL;
}

/* A constant integer argument, within [min, ...]. */
static bool
const_int_at_least(Node *node, int min)
{
	Const	   *c;

	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Const))
		return false;
	c = (Const *) node;
	return !c->constisnull && c->consttype == INT4OID &&
		DatumGetInt32(c->constvalue) >= min;
}

/*
 * spanner_scalar_call
 *		Is node a call of an operator or function with a Spanner twin?  If
 *		so, fill *call: the twin, the arguments to spell (for date_trunc and
 *		extract: without the unit, which goes to call->field; for a
 *		timestamp plus an interval: the interval's microseconds) and whether
 *		the session's time zone is needed.
 */
bool
spanner_scalar_call(Node *node, SpannerScalarCall *call)
{
	Oid			funcid;
	List	   *args;

	memset(call, 0, sizeof(*call));
	if (IsA(node, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) node;

		set_opfuncid(op);
		funcid = op->opfuncid;
		args = op->args;
	}
	else if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;

		if (f->funcretset || f->funcvariadic)
			return false;
		funcid = f->funcid;
		args = f->args;
	}
	else
		return false;

	call->args = args;
	switch (funcid)
	{
		case F_LENGTH_TEXT:
		case F_CHAR_LENGTH_TEXT:
		case F_CHARACTER_LENGTH_TEXT:
		case F_SUBSTR_TEXT_INT4:
		case F_SUBSTRING_TEXT_INT4:
		case F_SUBSTR_TEXT_INT4_INT4:
		case F_SUBSTRING_TEXT_INT4_INT4:
		case F_BTRIM_TEXT_TEXT:
		case F_LTRIM_TEXT_TEXT:
		case F_RTRIM_TEXT_TEXT:
		case F_STRPOS:
			/* characters: PostgreSQL counts bytes unless the database is UTF8 */
			if (GetDatabaseEncoding() != PG_UTF8)
				return false;
			break;
		default:
			break;
	}
	switch (funcid)
	{
		case F_INT8PL:
		case F_INT48PL:
		case F_INT84PL:
			call->fn = SP_FN_ADD;
			break;
		case F_INT8MI:
		case F_INT48MI:
		case F_INT84MI:
			call->fn = SP_FN_SUB;
			break;
		case F_INT8MUL:
		case F_INT48MUL:
		case F_INT84MUL:
			call->fn = SP_FN_MUL;
			break;
		case F_INT8DIV:
		case F_INT48DIV:
		case F_INT84DIV:
			call->fn = SP_FN_DIV;
			break;
		case F_INT8MOD:
			call->fn = SP_FN_MOD;
			break;
		case F_INT8UM:
			call->fn = SP_FN_NEG;
			break;
		case F_DATE_MI:
			call->fn = SP_FN_DATE_DIFF;
			break;
		case F_TEXTCAT:
			call->fn = SP_FN_CONCAT;
			break;
		case F_LENGTH_TEXT:
		case F_CHAR_LENGTH_TEXT:
		case F_CHARACTER_LENGTH_TEXT:
			call->fn = SP_FN_CHAR_LENGTH;
			break;
		case F_OCTET_LENGTH_TEXT:
			/* bytes of UTF-8, Spanner's encoding */
			if (GetDatabaseEncoding() != PG_UTF8)
				return false;
			call->fn = SP_FN_BYTE_LENGTH;
			break;
		case F_LENGTH_BYTEA:
		case F_OCTET_LENGTH_BYTEA:
			call->fn = SP_FN_BYTE_LENGTH;
			break;
		case F_SUBSTR_TEXT_INT4:
		case F_SUBSTRING_TEXT_INT4:
			/* before the first character, PostgreSQL counts, Spanner not */
			if (!const_int_at_least(lsecond(args), 1))
				return false;
			call->fn = SP_FN_SUBSTR;
			break;
		case F_SUBSTR_TEXT_INT4_INT4:
		case F_SUBSTRING_TEXT_INT4_INT4:
			if (!const_int_at_least(lsecond(args), 1) ||
				!const_int_at_least(lthird(args), 0))
				return false;
			call->fn = SP_FN_SUBSTR;
			break;
		case F_BTRIM_TEXT:
		case F_BTRIM_TEXT_TEXT:
			call->fn = SP_FN_BTRIM;
			break;
		case F_LTRIM_TEXT:
		case F_LTRIM_TEXT_TEXT:
			call->fn = SP_FN_LTRIM;
			break;
		case F_RTRIM_TEXT:
		case F_RTRIM_TEXT_TEXT:
			call->fn = SP_FN_RTRIM;
			break;
		case F_REPLACE:
			call->fn = SP_FN_REPLACE;
			break;
		case F_STARTS_WITH:
			call->fn = SP_FN_STARTS_WITH;
			break;
		case F_STRPOS:
			call->fn = SP_FN_STRPOS;
			break;
		case F_ABS_INT8:
		case F_ABS_NUMERIC:
			call->fn = SP_FN_ABS;
			break;
		case F_TRUNC_NUMERIC:
		case F_TRUNC_NUMERIC_INT4:
			call->fn = SP_FN_TRUNC;
			break;
		case F_INT8_INT4:
		case F_INT8_INT2:
			call->fn = SP_FN_SAME;
			break;
		case F_NUMERIC_INT8:
		case F_NUMERIC_INT4:
		case F_NUMERIC_INT2:
			call->fn = SP_FN_TO_NUMERIC;
			break;
		case F_EXTRACT_TEXT_TIMESTAMPTZ:
			call->field = const_field(linitial(args), extract_fields);
			if (call->field == NULL)
				return false;
			call->fn = SP_FN_EXTRACT;
			call->zone = true;
			call->args = list_make1(lsecond(args));
			break;
		case F_EXTRACT_TEXT_DATE:
			call->field = const_field(linitial(args), extract_date_fields);
			if (call->field == NULL)
				return false;
			call->fn = SP_FN_EXTRACT_DATE;
			call->args = list_make1(lsecond(args));
			break;
		default:
			return false;
	}
	return true;
}

/*
 * spanner_scalar_may_fail
 *		Can Spanner's twin raise an error (overflow, division by zero)?
 *		Spanner does not evaluate AND and OR from left to right, so such a
 *		twin next to a condition that guards it ("x <> 0 AND 10 / x > 1")
 *		could fail where PostgreSQL answers: shippable.c sends it only
 *		alone.
 */
bool
spanner_scalar_may_fail(SpannerScalar fn)
{
	switch (fn)
	{
		case SP_FN_ADD:
		case SP_FN_SUB:
		case SP_FN_MUL:
		case SP_FN_DIV:
		case SP_FN_MOD:
		case SP_FN_NEG:
		case SP_FN_ABS:
			return true;
		default:
			return false;
	}
}

/*
 * spanner_zone_name_ok
 *		Does Spanner read this PostgreSQL time zone name as PostgreSQL
 *		does?  Region names of the tz database ("Europe/Paris", and "UTC")
 *		mean the same in both; abbreviations and POSIX-style specifications
 *		("UTC+3", "<+03>-03") do not (PostgreSQL reads their offsets with
 *		the opposite sign).
 */
bool
spanner_zone_name_ok(const char *name)
{
	const char *p;

	if (name == NULL)
		return false;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return true;
	if (strchr(name, '/') == NULL || !isalpha((unsigned char) name[0]))
		return false;
	/* Etc/GMT+3 is a tz database zone with the same meaning in both */
	for (p = name; *p; p++)
		if (!isalnum((unsigned char) *p) && *p != '/' && *p != '_' &&
			*p != '-' && *p != '+')
			return false;
	if (strncmp(name, "Etc/", 4) != 0 && strpbrk(name, "+0123456789") != NULL)
		return false;
	return true;
}

/*
 * spanner_session_zone
 *		The session's time zone name, or NULL if Spanner would not read it
 *		as PostgreSQL does.
 */
const char *
spanner_session_zone(void)
{
	const char *name = pg_get_timezone_name(session_timezone);

	return spanner_zone_name_ok(name) ? name : NULL;
}
