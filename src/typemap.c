/*-------------------------------------------------------------------------
 *
 * typemap.c
 *		  The one table of Spanner types and their PostgreSQL counterparts,
 *		  and what follows from it: the type IMPORT FOREIGN SCHEMA declares,
 *		  the declared types that can hold a Spanner type, the declared
 *		  types whose comparisons Spanner computes alike, the Spanner type of
 *		  a query parameter, and the range of Spanner dates and timestamps.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/typemap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "spanner_fdw.h"

#define MAX_HOLDERS 8

typedef struct SpannerTypeInfo
{
	SpTypeCode	code;
	const char *name;			/* as Spanner names it (without length) */
	const char *import_type;	/* what IMPORT FOREIGN SCHEMA declares */
	Oid			param_types[4]; /* PostgreSQL types sent as this type */
	Oid			comparable[4];	/* declared types whose =, <, ... on this
								 * Spanner type agree with PostgreSQL's */
	Oid			holders[MAX_HOLDERS];	/* declared types that can hold it
										 * (text and varchar hold all but
										 * BYTES and PROTO) */
} SpannerTypeInfo;

static const SpannerTypeInfo type_table[] = {
	{SP_TYPE_BOOL, "BOOL", "boolean",
		{BOOLOID}, {BOOLOID}, {BOOLOID}},
	{SP_TYPE_INT64, "INT64", "bigint",
		{INT8OID, INT4OID, INT2OID}, {INT8OID, INT4OID, INT2OID, NUMERICOID},
	{INT8OID, INT4OID, INT2OID, NUMERICOID, FLOAT8OID, FLOAT4OID}},
	{SP_TYPE_FLOAT64, "FLOAT64", "double precision",
		{FLOAT8OID, FLOAT4OID}, {InvalidOid}, {FLOAT8OID, FLOAT4OID, NUMERICOID}},
	{SP_TYPE_FLOAT32, "FLOAT32", "real",
		{InvalidOid}, {InvalidOid}, {FLOAT4OID, FLOAT8OID, NUMERICOID}},
	{SP_TYPE_NUMERIC, "NUMERIC", "numeric",
		{NUMERICOID}, {NUMERICOID}, {NUMERICOID, FLOAT8OID, FLOAT4OID}},
	{SP_TYPE_STRING, "STRING", "text",
		{TEXTOID, VARCHAROID}, {TEXTOID, VARCHAROID},
	{TEXTOID, VARCHAROID, BPCHAROID, BYTEAOID, JSONOID, JSONBOID, UUIDOID}},
	{SP_TYPE_BYTES, "BYTES", "bytea",
		{BYTEAOID}, {BYTEAOID}, {BYTEAOID}},
	{SP_TYPE_DATE, "DATE", "date",
		{DATEOID}, {DATEOID}, {DATEOID, TIMESTAMPTZOID, TIMESTAMPOID}},
	{SP_TYPE_TIMESTAMP, "TIMESTAMP", "timestamp with time zone",
		{TIMESTAMPTZOID}, {TIMESTAMPTZOID}, {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID}},
	{SP_TYPE_JSON, "JSON", "jsonb",
		{InvalidOid}, {InvalidOid}, {JSONBOID, JSONOID}},
	{SP_TYPE_INTERVAL, "INTERVAL", "interval",
		{InvalidOid}, {InvalidOid}, {INTERVALOID}},
	{SP_TYPE_UUID, "UUID", "uuid",
		{InvalidOid}, {InvalidOid}, {UUIDOID}},
	{SP_TYPE_ENUM, "ENUM", NULL,
		{InvalidOid}, {INT8OID, INT4OID, INT2OID}, {INT8OID, INT4OID, INT2OID}},
	{SP_TYPE_PROTO, "PROTO", NULL,
		{InvalidOid}, {InvalidOid}, {BYTEAOID}},
	{SP_TYPE_STRUCT, "STRUCT", NULL,
		{InvalidOid}, {InvalidOid}, {JSONBOID, JSONOID}},
};

static const SpannerTypeInfo *
lookup_code(SpTypeCode code)
{
	int			i;

	for (i = 0; i < (int) lengthof(type_table); i++)
		if (type_table[i].code == code)
			return &type_table[i];
	return NULL;
}

static bool
oid_in(Oid type, const Oid *list, int n)
{
	int			i;

	for (i = 0; i < n && OidIsValid(list[i]); i++)
		if (list[i] == type)
			return true;
	return false;
}

/*
 * spanner_type_from_name
 *		Parse a Spanner type as INFORMATION_SCHEMA.COLUMNS.SPANNER_TYPE
 *		spells it ("INT64", "STRING(MAX)", "ARRAY<BYTES(16)>", "PROTO<x>").
 *		*elem gets the element type of an ARRAY.  SP_TYPE_UNSPECIFIED if
 *		not a Spanner type.
 */
SpTypeCode
spanner_type_from_name(const char *name, SpTypeCode *elem)
{
	size_t		len = strlen(name);
	int			i;

	*elem = SP_TYPE_UNSPECIFIED;
	if (strncmp(name, "ARRAY<", 6) == 0)
	{
		char	   *inner;
		SpTypeCode	dummy;

		if (len < 8 || name[len - 1] != '>')
			return SP_TYPE_UNSPECIFIED;
		inner = pnstrdup(name + 6, len - 7);
		*elem = spanner_type_from_name(inner, &dummy);
		pfree(inner);
		if (*elem == SP_TYPE_UNSPECIFIED || *elem == SP_TYPE_ARRAY)
			return SP_TYPE_UNSPECIFIED;
		return SP_TYPE_ARRAY;
	}
	for (i = 0; i < (int) lengthof(type_table); i++)
	{
		const char *n = type_table[i].name;
		size_t		nlen = strlen(n);

		if (strncmp(name, n, nlen) != 0)
			continue;
		if (name[nlen] == '\0')
			return type_table[i].code;
		/* STRING(n), BYTES(MAX); PROTO<...>, ENUM<...>, STRUCT<...> */
		if ((name[nlen] == '(' && name[len - 1] == ')') ||
			(name[nlen] == '<' && name[len - 1] == '>'))
			return type_table[i].code;
	}
	return SP_TYPE_UNSPECIFIED;
}

/*
 * spanner_import_type
 *		The PostgreSQL type IMPORT FOREIGN SCHEMA declares for a Spanner
 *		type (as spanner_type_from_name takes it), or NULL if none.
 */
char *
spanner_import_type(const char *name)
{
	SpTypeCode	elem;
	SpTypeCode	code = spanner_type_from_name(name, &elem);
	const SpannerTypeInfo *t;

	if (code == SP_TYPE_ARRAY)
	{
		char	   *e;
		size_t		len = strlen(name);
		char	   *inner = pnstrdup(name + 6, len - 7);

		if (elem == SP_TYPE_STRUCT)
			return NULL;
		e = spanner_import_type(inner);
		return e ? psprintf("%s[]", e) : NULL;
	}
	if (code == SP_TYPE_STRING && strncmp(name, "STRING(", 7) == 0 &&
		strcmp(name, "STRING(MAX)") != 0)
	{
		char	   *end;
		long		n = strtol(name + 7, &end, 10);

		/* STRING(0) is how views report their columns: text */
		if (strcmp(end, ")") == 0 && n > 0 && n <= 10485760)
			return psprintf("character varying(%ld)", n);
	}
	t = lookup_code(code);
	return (t && t->import_type) ? pstrdup(t->import_type) : NULL;
}

/*
 * spanner_type_holds
 *		Can a column declared as pgtype hold values of this Spanner type?
 */
bool
spanner_type_holds(Oid pgtype, SpTypeCode code, SpTypeCode elem)
{
	const SpannerTypeInfo *t;
	Oid			pgelem;

	if (code == SP_TYPE_UNSPECIFIED)
		return true;			/* not known: the scan checks each value */
	if ((pgtype == TEXTOID || pgtype == VARCHAROID) &&
		code != SP_TYPE_BYTES && code != SP_TYPE_PROTO)
		return true;
	/* any declared type whose input function takes the text: checked per value */
	if (code == SP_TYPE_STRING)
		return true;
	if (code == SP_TYPE_ARRAY)
	{
		if (pgtype == JSONOID || pgtype == JSONBOID)
			return true;
		pgelem = get_element_type(pgtype);
		return OidIsValid(pgelem) && spanner_type_holds(pgelem, elem, SP_TYPE_UNSPECIFIED);
	}
	t = lookup_code(code);
	return t != NULL && oid_in(pgtype, t->holders, MAX_HOLDERS);
}

/*
 * spanner_type_comparable
 *		Do comparisons of a column declared as pgtype, whose Spanner type is
 *		code, mean on Spanner what they mean in PostgreSQL?
 */
bool
spanner_type_comparable(Oid pgtype, SpTypeCode code)
{
	const SpannerTypeInfo *t = lookup_code(code);

	return t != NULL && oid_in(pgtype, t->comparable, 4);
}

/*
 * spanner_type_name
 *		The Spanner name of a type code (ARRAY<elem> for arrays), for
 *		messages.
 */
const char *
spanner_type_name(SpTypeCode code, SpTypeCode elem)
{
	if (code == SP_TYPE_ARRAY)
		return psprintf("ARRAY<%s>", spanner_type_name(elem, SP_TYPE_UNSPECIFIED));
	return sp_type_code_name(code);
}

/*
 * spanner_type_declaration
 *		The declaration to suggest for a Spanner type, or NULL.
 */
const char *
spanner_type_declaration(SpTypeCode code, SpTypeCode elem)
{
	const SpannerTypeInfo *t;

	if (code == SP_TYPE_ARRAY)
	{
		const char *e = spanner_type_declaration(elem, SP_TYPE_UNSPECIFIED);

		return e ? psprintf("%s[]", e) : NULL;
	}
	t = lookup_code(code);
	if (t == NULL)
		return NULL;
	if (t->import_type)
		return t->import_type;
	return format_type_be(t->holders[0]);
}

/*
 * spanner_param_type
 *		The Spanner type a value of PostgreSQL type pgtype is sent as
 *		(*elem: element type of an array), or SP_TYPE_UNSPECIFIED if values
 *		of this type are not sent.
 */
SpTypeCode
spanner_param_type(Oid pgtype, SpTypeCode *elem)
{
	Oid			pgelem = get_element_type(pgtype);
	int			i;

	*elem = SP_TYPE_UNSPECIFIED;
	if (OidIsValid(pgelem))
	{
		SpTypeCode	dummy;

		*elem = spanner_param_type(pgelem, &dummy);
		return (*elem == SP_TYPE_UNSPECIFIED || *elem == SP_TYPE_ARRAY)
			? SP_TYPE_UNSPECIFIED : SP_TYPE_ARRAY;
	}
	for (i = 0; i < (int) lengthof(type_table); i++)
		if (oid_in(pgtype, type_table[i].param_types, 4))
			return type_table[i].code;
	return SP_TYPE_UNSPECIFIED;
}

/*
 * Spanner dates and timestamps lie in years 1..9999 (UTC).
 */
bool
spanner_date_in_range(DateADT d)
{
	return !DATE_NOT_FINITE(d) &&
		d >= date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE &&
		d <= date2j(9999, 12, 31) - POSTGRES_EPOCH_JDATE;
}

bool
spanner_timestamp_in_range(TimestampTz t)
{
	return !TIMESTAMP_NOT_FINITE(t) &&
		t >= (TimestampTz) (date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY &&
		t < (TimestampTz) (date2j(9999, 12, 31) + 1 - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
}
