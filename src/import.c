/*-------------------------------------------------------------------------
 *
 * import.c
 *		  IMPORT FOREIGN SCHEMA for spanner_fdw, from Spanner's
 *		  INFORMATION_SCHEMA (the query is the dialect's).
 *
 * "public" means Spanner's default (unnamed) schema; any other name is a
 * Spanner named schema.  Tables and views are imported; columns of a type
 * with no PostgreSQL counterpart are skipped with a NOTICE.  Every column
 * records its Spanner name (column_name) and type (spanner_type, so that
 * planning needs no lookup); primary-key columns get key '<n>', their
 * position in the primary key.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "spanner_fdw.h"

static const char *
json_str(json_object *row, int i)
{
	json_object *v = json_object_array_get_idx(row, i);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return NULL;
	/* names come in UTF-8 */
	return pg_any_to_server(json_object_get_string(v), json_object_get_string_len(v), PG_UTF8);
}

/* Is the table wanted by LIMIT TO / EXCEPT? */
static bool
table_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);

		if (strcmp(rv->relname, name) == 0)
			return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT;
}

static void
finish_table(List **commands, StringInfo buf, const char *table, const char *schema,
			 const char *server, int ncols)
{
	if (buf->len == 0)
		return;
	if (ncols == 0)
	{
		ereport(NOTICE,
				(errmsg("skipping Spanner table \"%s\": none of its columns has a supported type",
						table)));
		resetStringInfo(buf);
		return;
	}
	appendStringInfo(buf, "\n) SERVER %s OPTIONS (", quote_identifier(server));
	if (schema[0])
		appendStringInfo(buf, "schema_name %s, ", quote_literal_cstr(schema));
	appendStringInfo(buf, "table_name %s)", quote_literal_cstr(table));
	*commands = lappend(*commands, pstrdup(buf->data));
	resetStringInfo(buf);
}

/*
 * spanner_import_foreign_schema
 *		Build CREATE FOREIGN TABLE commands for IMPORT FOREIGN SCHEMA.
 */
List *
spanner_import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	UserMapping *user = GetUserMapping(GetUserId(), serverOid);
	SpannerConnection *conn;
	const SpannerDialect *dialect;
	bool		import_not_null = true;
	bool		import_views = true;
	const char *schema;
	StringInfoData params;
	StringInfoData buf;
	json_object *volatile resp = NULL;
	List	   *commands = NIL;
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "import_not_null") == 0)
			import_not_null = defGetBoolean(def);
		else if (strcmp(def->defname, "import_views") == 0)
			import_views = defGetBoolean(def);
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errhint("Valid options for IMPORT FOREIGN SCHEMA are: import_not_null, import_views")));
	}

	dialect = spanner_server_dialect(serverOid);
	schema = (strcmp(stmt->remote_schema, "public") == 0) ? dialect->default_schema
		: stmt->remote_schema;
	conn = spanner_get_connection(user);

	initStringInfo(&params);
	appendStringInfoString(&params, "{\"schema\":");
	escape_json(&params, schema);
	appendStringInfo(&params, ",\"views\":\"%s\"}", import_views ? "VIEW" : "BASE TABLE");

	initStringInfo(&buf);
	PG_TRY();
	{
		json_object *rows;
		size_t		i,
					n;
		char	   *cur_table = NULL;
		int			ncols = 0;
		bool		found_any = false;

		resp = spanner_execute_unary(conn, spanner_req_info(SPANNER_STMT_IMPORT, InvalidOid),
									 dialect->import_query, spanner_to_utf8(params.data),
									 "{\"schema\":{\"code\":\"STRING\"},\"views\":{\"code\":\"STRING\"}}");
		n = 0;
		rows = NULL;
		if (json_object_object_get_ex(resp, "rows", &rows) &&
			json_object_is_type(rows, json_type_array))
			n = json_object_array_length(rows);

		for (i = 0; i < n; i++)
		{
			json_object *row = json_object_array_get_idx(rows, i);
			const char *tname = json_str(row, 0);
			const char *ttype = json_str(row, 1);
			const char *colname = json_str(row, 2);
			const char *sptype = json_str(row, 3);
			const char *nullable = json_str(row, 4);
			const char *pkpos = json_str(row, 5);
			char	   *pgtype;

			if (tname == NULL || colname == NULL || sptype == NULL)
				continue;
			found_any = true;
			if (!table_wanted(stmt, tname))
				continue;

			if (cur_table == NULL || strcmp(cur_table, tname) != 0)
			{
				if (cur_table)
					finish_table(&commands, &buf, cur_table, schema, server->servername, ncols);
				cur_table = pstrdup(tname);
				ncols = 0;
				appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (", quote_identifier(tname));
			}

			pgtype = spanner_import_type(sptype);
			if (pgtype == NULL)
			{
				ereport(NOTICE,
						(errmsg("skipping column \"%s\" of Spanner table \"%s\": type %s is not supported",
								colname, tname, sptype)));
				continue;
			}
			/*
			 * Always name the Spanner column: PostgreSQL truncates names
			 * longer than NAMEDATALEN - 1 bytes.
			 */
			appendStringInfo(&buf, "%s\n  %s %s OPTIONS (column_name %s",
							 ncols > 0 ? "," : "", quote_identifier(colname), pgtype,
							 quote_literal_cstr(colname));
			/* views report STRING(0) for columns of any type: not recorded */
			if (!(ttype && strcmp(ttype, "VIEW") == 0 && strcmp(sptype, "STRING(0)") == 0))
				appendStringInfo(&buf, ", spanner_type %s", quote_literal_cstr(sptype));
			/* the position: reads by key send the key in Spanner's order */
			if (pkpos)
				appendStringInfo(&buf, ", key %s", quote_literal_cstr(pkpos));
			appendStringInfoChar(&buf, ')');
			if (import_not_null && nullable && strcmp(nullable, "NO") == 0)
				appendStringInfoString(&buf, " NOT NULL");
			ncols++;
		}
		if (cur_table)
			finish_table(&commands, &buf, cur_table, schema, server->servername, ncols);

		if (!found_any && schema[0])
			ereport(ERROR,
					(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
					 errmsg("schema \"%s\" is not present on the Spanner database or has no tables",
							stmt->remote_schema),
					 errhint("Use \"public\" for Spanner's default schema.")));
	}
	PG_FINALLY();
	{
		json_object_put(resp);
	}
	PG_END_TRY();

	return commands;
}
