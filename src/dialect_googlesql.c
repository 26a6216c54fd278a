/*-------------------------------------------------------------------------
 *
 * dialect_googlesql.c
 *		  The GoogleSQL spelling of what deparse.c, import.c and
 *		  remote_types.c send: identifier quoting, query parameters and
 *		  their types, operators, and the INFORMATION_SCHEMA queries.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/dialect_googlesql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "spanner_fdw.h"

/*
 * Quote an identifier with backticks, escaping backslashes, backticks and
 * control characters.
 */
static void
googlesql_quote_identifier(StringInfo buf, const char *ident)
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

/* The n-th query parameter (1-based); its JSON name is "pN". */
static void
googlesql_param_ref(StringInfo buf, int n)
{
	appendStringInfo(buf, "@p%d", n);
}

/* A Spanner Type as JSON, for paramTypes. */
static char *
googlesql_type_json(SpTypeCode code, SpTypeCode elem)
{
	if (code == SP_TYPE_ARRAY)
		return psprintf("{\"code\":\"ARRAY\",\"arrayElementType\":{\"code\":\"%s\"}}",
						sp_type_code_name(elem));
	return psprintf("{\"code\":\"%s\"}", sp_type_code_name(code));
}

/*
 * Tables and views of a schema with their columns, Spanner types,
 * nullability and primary-key position (parameters @schema, @views).
 */
static const char *const googlesql_import_query =
"SELECT t.TABLE_NAME, t.TABLE_TYPE, c.COLUMN_NAME, c.SPANNER_TYPE, c.IS_NULLABLE, "
"(SELECT ic.ORDINAL_POSITION FROM INFORMATION_SCHEMA.INDEX_COLUMNS ic "
"WHERE ic.TABLE_CATALOG = c.TABLE_CATALOG AND ic.TABLE_SCHEMA = c.TABLE_SCHEMA "
"AND ic.TABLE_NAME = c.TABLE_NAME AND ic.COLUMN_NAME = c.COLUMN_NAME "
"AND ic.INDEX_NAME = 'PRIMARY_KEY' AND ic.INDEX_TYPE = 'PRIMARY_KEY') AS PK_POS "
"FROM INFORMATION_SCHEMA.COLUMNS c JOIN INFORMATION_SCHEMA.TABLES t "
"ON t.TABLE_CATALOG = c.TABLE_CATALOG AND t.TABLE_SCHEMA = c.TABLE_SCHEMA "
"AND t.TABLE_NAME = c.TABLE_NAME "
"WHERE c.TABLE_SCHEMA = @schema AND t.TABLE_TYPE IN ('BASE TABLE', @views) "
"ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION";

/*
 * The columns of one table or view with their Spanner types (parameters
 * @schema, @table; names compare case-insensitively, as Spanner's do); the
 * first column says whether it is a view.
 */
static const char *const googlesql_columns_query =
"SELECT t.TABLE_TYPE, c.COLUMN_NAME, c.SPANNER_TYPE "
"FROM INFORMATION_SCHEMA.TABLES t LEFT JOIN INFORMATION_SCHEMA.COLUMNS c "
"ON c.TABLE_CATALOG = t.TABLE_CATALOG AND c.TABLE_SCHEMA = t.TABLE_SCHEMA "
"AND c.TABLE_NAME = t.TABLE_NAME "
"WHERE UPPER(t.TABLE_SCHEMA) = UPPER(@schema) AND UPPER(t.TABLE_NAME) = UPPER(@table)";

/*
 * The GoogleSQL spelling of a scalar twin (scalar.c).  Dates and times in
 * the session's zone are computed AT TIME ZONE / with the zone argument.
 */
static const char *
googlesql_scalar_template(SpannerScalar fn, int nargs, const char *field)
{
	switch (fn)
	{
		case SP_FN_ADD:
			return "(%1 + %2)";
		case SP_FN_SUB:
			return "(%1 - %2)";
		case SP_FN_MUL:
			return "(%1 * %2)";
		case SP_FN_DIV:
			return "DIV(%1, %2)";
		case SP_FN_MOD:
			return "MOD(%1, %2)";
		case SP_FN_NEG:
			return "(-%1)";
		case SP_FN_DATE_DIFF:
			return "DATE_DIFF(%1, %2, DAY)";
		case SP_FN_CONCAT:
			return "(%1 || %2)";
		case SP_FN_CHAR_LENGTH:
			return "CHAR_LENGTH(%1)";
		case SP_FN_BYTE_LENGTH:
			return "BYTE_LENGTH(%1)";
		case SP_FN_SUBSTR:
			return nargs == 2 ? "SUBSTR(%1, %2)" : "SUBSTR(%1, %2, %3)";
		case SP_FN_BTRIM:
			return nargs == 1 ? "TRIM(%1, ' ')" : "TRIM(%1, %2)";
		case SP_FN_LTRIM:
			return nargs == 1 ? "LTRIM(%1, ' ')" : "LTRIM(%1, %2)";
		case SP_FN_RTRIM:
			return nargs == 1 ? "RTRIM(%1, ' ')" : "RTRIM(%1, %2)";
		case SP_FN_REPLACE:
			return "REPLACE(%1, %2, %3)";
		case SP_FN_STARTS_WITH:
			return "STARTS_WITH(%1, %2)";
		case SP_FN_STRPOS:
			return "STRPOS(%1, %2)";
		case SP_FN_ABS:
			return "ABS(%1)";
		case SP_FN_TRUNC:
			return nargs == 1 ? "TRUNC(%1)" : "TRUNC(%1, %2)";
		case SP_FN_SAME:
			return "%1";
		case SP_FN_TO_NUMERIC:
			return "CAST(%1 AS NUMERIC)";
		case SP_FN_EXTRACT:
		case SP_FN_EXTRACT_DATE:
			{
				/* the part, and how PostgreSQL's field is computed from it */
				static const char *const fields[][3] = {
					/* a local time before year 1: PostgreSQL says 1 BC, -1 */
					{"year", "(CASE WHEN EXTRACT(YEAR FROM %1 AT TIME ZONE %z) < 1 THEN -1 "
						"ELSE EXTRACT(YEAR FROM %1 AT TIME ZONE %z) END)",
					"EXTRACT(YEAR FROM %1)"},
					{"month", "EXTRACT(MONTH FROM %1 AT TIME ZONE %z)", "EXTRACT(MONTH FROM %1)"},
					{"day", "EXTRACT(DAY FROM %1 AT TIME ZONE %z)", "EXTRACT(DAY FROM %1)"},
					{"hour", "EXTRACT(HOUR FROM %1 AT TIME ZONE %z)", NULL},
					{"minute", "EXTRACT(MINUTE FROM %1 AT TIME ZONE %z)", NULL},
					{"quarter", "EXTRACT(QUARTER FROM %1 AT TIME ZONE %z)", "EXTRACT(QUARTER FROM %1)"},
					{"doy", "EXTRACT(DAYOFYEAR FROM %1 AT TIME ZONE %z)", "EXTRACT(DAYOFYEAR FROM %1)"},
					/* PostgreSQL: Sunday 0 .. Saturday 6; Spanner: 1 .. 7 */
					{"dow", "(EXTRACT(DAYOFWEEK FROM %1 AT TIME ZONE %z) - 1)",
					"(EXTRACT(DAYOFWEEK FROM %1) - 1)"},
					/* Monday 1 .. Sunday 7 */
					{"isodow", "(MOD(EXTRACT(DAYOFWEEK FROM %1 AT TIME ZONE %z) + 5, 7) + 1)",
					"(MOD(EXTRACT(DAYOFWEEK FROM %1) + 5, 7) + 1)"},
					{"isoyear", NULL, "EXTRACT(ISOYEAR FROM %1)"},
					{"week", "EXTRACT(ISOWEEK FROM %1 AT TIME ZONE %z)", "EXTRACT(ISOWEEK FROM %1)"},
				};

				for (int i = 0; i < (int) lengthof(fields); i++)
					if (strcmp(field, fields[i][0]) == 0)
						return fields[i][fn == SP_FN_EXTRACT ? 1 : 2];
				return NULL;
			}
		case SP_FN_NONE:
			break;
	}
	return NULL;
}

const SpannerDialect spanner_googlesql_dialect = {
	.quote_identifier = googlesql_quote_identifier,
	.param_ref = googlesql_param_ref,
	.type_json = googlesql_type_json,
	.ne_operator = "!=",
	.in_array_open = " IN UNNEST(",
	.in_array_close = ")",
	.trunc_micros_open = "TIMESTAMP_TRUNC(",
	.trunc_micros_close = ", MICROSECOND)",
	.no_columns = "1",
	.default_schema = "",
	.returning = " THEN RETURN ",
	.commit_timestamp = "PENDING_COMMIT_TIMESTAMP()",
	.insert_or_ignore = "INSERT OR IGNORE INTO ",
	.insert_or_update = "INSERT OR UPDATE INTO ",
	.where_true = " WHERE TRUE",
	.is_nan_open = "IS_NAN(",
	.is_nan_close = ")",
	.logical_and = "LOGICAL_AND",
	.logical_or = "LOGICAL_OR",
	.numeric_cast_open = "CAST(",
	.numeric_cast_close = " AS NUMERIC)",
	.tablesample_open = " TABLESAMPLE RESERVOIR (",
	.tablesample_close = " ROWS)",
	.scalar_template = googlesql_scalar_template,
	.import_query = googlesql_import_query,
	.columns_query = googlesql_columns_query,
};
