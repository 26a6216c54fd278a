/*-------------------------------------------------------------------------
 *
 * analyze.c
 *		  ANALYZE of a foreign table: the row count from Spanner's COUNT(*)
 *		  and a sample of rows drawn by Spanner (TABLESAMPLE RESERVOIR), so
 *		  that the planner knows the table's size and its columns'
 *		  statistics instead of assuming 1000 rows.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/analyze.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "spanner_fdw.h"

/* Rows assumed per page, to give relpages a size in line with reltuples */
#define ROWS_PER_PAGE	100

/* The row count read by spanner_analyze_table, for acquire_sample_rows */
static Oid	counted_relid = InvalidOid;
static double counted_rows = 0;

/* The connection of the table owner's user mapping, as postgres_fdw does */
static SpannerConnection *
analyze_connection(Relation rel)
{
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	UserMapping *user = GetUserMapping(rel->rd_rel->relowner, table->serverid);

	return spanner_get_connection(user);
}

/* Run a one-row, one-column query; returns its value as text, or NULL. */
static char *
query_one_value(SpannerConnection *conn, Oid relid, const char *sql)
{
	SpannerStreamRef ref = {NULL, 0, false, 0};
	json_object **values;
	char	   *result = NULL;

	(void) spanner_open_query(conn, false, spanner_req_info(SPANNER_STMT_ANALYZE, relid),
							  sql, NULL, NULL, &ref);
	if (spanner_fetch_row(conn, &ref, &values, sql) == 1 && values[0] != NULL)
		result = pstrdup(json_object_get_string(values[0]));
	spanner_close_query(conn, &ref);
	return result;
}

/*
 * Take a sample of up to targrows rows: Spanner draws it with
 * TABLESAMPLE RESERVOIR; the rows are converted as a scan converts them.
 */
static int
acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows, int targrows,
					double *totalrows, double *totaldeadrows)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	SpannerConnection *conn = analyze_connection(rel);
	SpannerStreamRef ref = {NULL, 0, false, 0};
	SpannerColumnConv *convs;
	List	   *retrieved_attrs;
	StringInfoData sql;
	StringInfoData params;
	StringInfoData types;
	json_object **values;
	Datum	   *datums = palloc0(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	MemoryContext tmp_cxt;
	MemoryContext oldcxt;
	int			numrows = 0;

	initStringInfo(&sql);
	spanner_deparse_sample(&sql, RelationGetRelid(rel), &retrieved_attrs);
	initStringInfo(&params);
	initStringInfo(&types);
	appendStringInfo(&params, "{\"p1\":\"%d\"}", targrows);
	appendStringInfo(&types, "{\"p1\":%s}",
					 spanner_param_type_json(spanner_server_dialect(GetForeignTable(RelationGetRelid(rel))->serverid),
											 INT8OID));
	convs = spanner_make_converters(tupdesc, retrieved_attrs);
	tmp_cxt = AllocSetContextCreate(CurrentMemoryContext, "spanner_fdw analyze",
									ALLOCSET_SMALL_SIZES);

	(void) spanner_open_query(conn, false,
							  spanner_req_info(SPANNER_STMT_ANALYZE, RelationGetRelid(rel)),
							  sql.data, params.data, types.data, &ref);
	while (numrows < targrows &&
		   spanner_fetch_row(conn, &ref, &values, sql.data) == 1)
	{
		const SpColumn *cols = sp_stream_columns(ref.stream);
		ListCell   *lc;
		int			i = 0;

		memset(nulls, true, sizeof(bool) * tupdesc->natts);
		MemoryContextReset(tmp_cxt);
		oldcxt = MemoryContextSwitchTo(tmp_cxt);
		foreach(lc, retrieved_attrs)
		{
			int			attnum = lfirst_int(lc);

			datums[attnum - 1] = spanner_value_to_datum(convs, i, values[i],
														(SpColumn *) &cols[i],
														&nulls[attnum - 1]);
			i++;
		}
		MemoryContextSwitchTo(oldcxt);
		rows[numrows++] = heap_form_tuple(tupdesc, datums, nulls);
	}
	spanner_close_query(conn, &ref);
	MemoryContextDelete(tmp_cxt);

	*totaldeadrows = 0;
	if (counted_relid == RelationGetRelid(rel))
		*totalrows = Max(counted_rows, numrows);
	else
		*totalrows = numrows;
	ereport(elevel,
			(errmsg("\"%s\": Spanner holds %.0f rows, %d rows in the sample",
					RelationGetRelationName(rel), *totalrows, numrows)));
	return numrows;
}

/*
 * spanner_analyze_table
 *		Count the table's rows on Spanner (its size in pages follows from
 *		that) and hand ANALYZE the sampling function.
 */
bool
spanner_analyze_table(Relation rel, AcquireSampleRowsFunc *func,
					  BlockNumber *totalpages)
{
	SpannerConnection *conn = analyze_connection(rel);
	StringInfoData sql;
	char	   *count;

	initStringInfo(&sql);
	spanner_deparse_count(&sql, RelationGetRelid(rel));
	count = query_one_value(conn, RelationGetRelid(rel), sql.data);
	counted_relid = RelationGetRelid(rel);
	counted_rows = count ? strtod(count, NULL) : 0;
	*totalpages = (BlockNumber) Max(1, Min(counted_rows / ROWS_PER_PAGE, (double) MaxBlockNumber));
	*func = acquire_sample_rows;
	return true;
}
