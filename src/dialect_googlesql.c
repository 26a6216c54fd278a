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
	.import_query = googlesql_import_query,
	.columns_query = googlesql_columns_query,
};
