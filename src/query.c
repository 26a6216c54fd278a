/*-------------------------------------------------------------------------
 *
 * query.c
 *		  Running a query on a connection: streaming queries in the
 *		  connection's transaction (begun inline by the first), and small
 *		  single-use queries (catalog lookups, IMPORT FOREIGN SCHEMA).
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/query.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "miscadmin.h"
#include "utils/json.h"

#include "connection.h"

int			spanner_resume_buffer_kb = 1024;

/* An ExecuteSqlRequest body; selector is a TransactionSelector (JSON). */
static char *
build_query_body(const char *sql, const char *params_json,
				 const char *param_types_json, const char *selector)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"sql\":");
	escape_json(&buf, sql);
	if (params_json && params_json[0])
	{
		appendStringInfo(&buf, ",\"params\":%s", params_json);
		appendStringInfo(&buf, ",\"paramTypes\":%s", param_types_json);
	}
	appendStringInfo(&buf, ",\"transaction\":%s}", selector);
	return spanner_to_utf8(buf.data);
}

typedef struct OpenQueryArgs
{
	const char *sql;
	const char *params_json;
	const char *param_types_json;
	SpannerStreamRef *ref;
} OpenQueryArgs;

/*
 * One attempt at starting a streaming query.  The first message is awaited,
 * so errors known before any row (unknown table, bad parameter) come here,
 * and the transaction id is known before another scan needs it.
 */
static bool
open_query_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	OpenQueryArgs *a = (OpenQueryArgs *) arg;
	bool		begins;
	const char *selector = spanner_xact_selector(conn, &begins);
	char	   *body;
	SpStream   *st;

	body = build_query_body(a->sql, a->params_json, a->param_types_json, selector);
	st = sp_stream_open(conn->rest, conn->session, body,
						(size_t) spanner_resume_buffer_kb * 1024, err);
	pfree(body);
	if (st == NULL)
		spanner_report_error(ERROR, err, a->sql);
	spanner_stream_register(conn, st, a->ref);

	if (!sp_stream_wait_metadata(st, err))
	{
		spanner_close_query(conn, a->ref);
		return false;
	}
	if (begins)
	{
		const char *id = sp_stream_transaction_id(st);

		if (id == NULL)
		{
			spanner_close_query(conn, a->ref);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Spanner did not return a transaction id for an inline begin"),
					 errcontext("remote SQL command: %s", a->sql)));
		}
		spanner_xact_begun(conn, id);
	}
	return true;
}

/*
 * spanner_open_query
 *		Start a streaming query in the connection's transaction; the scan's
 *		ref gets the stream.
 */
SpStream *
spanner_open_query(SpannerConnection *conn, const char *sql,
				   const char *params_json, const char *param_types_json,
				   SpannerStreamRef *ref)
{
	OpenQueryArgs a;

	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.ref = ref;
	spanner_run(conn, open_query_attempt, &a, sql);
	return ref->stream;
}

/*
 * spanner_fetch_row
 *		Next row of a stream: 1 with *values set, 0 at the end.  Errors are
 *		raised (the stream is closed first).  Rows may already have reached
 *		the executor, so a lost session is never papered over here.
 */
int
spanner_fetch_row(SpannerConnection *conn, SpannerStreamRef *ref,
				  json_object ***values, const char *sql)
{
	SpError		err;
	int			r = sp_stream_next(ref->stream, values, &err);

	if (r >= 0)
		return r;
	spanner_close_query(conn, ref);
	if (err.kind == SP_ERR_REMOTE && err.session_gone)
	{
		spanner_session_forget(conn);
		spanner_xact_lost(conn);
		spanner_report_snapshot_lost(sql);
	}
	spanner_report_error(ERROR, &err, sql);
	return -1;					/* keep compiler quiet */
}

typedef struct UnaryArgs
{
	const char *sql;
	const char *params_json;
	const char *param_types_json;
	json_object *resp;
} UnaryArgs;

static bool
unary_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	UnaryArgs  *a = (UnaryArgs *) arg;
	char	   *body;
	char	   *path;
	bool		ok;

	body = build_query_body(a->sql, a->params_json, a->param_types_json,
							"{\"singleUse\":{\"readOnly\":{\"strong\":true}}}");
	path = psprintf("/v1/%s:executeSql", conn->session);
	ok = sp_conn_call(conn->rest, "POST", path, body, &a->resp, err);
	pfree(body);
	pfree(path);
	return ok;
}

/*
 * spanner_execute_unary
 *		Run a small query with executeSql in a single-use read-only
 *		transaction; returns the ResultSet (caller json_object_put()s it).
 */
json_object *
spanner_execute_unary(SpannerConnection *conn, const char *sql,
					  const char *params_json, const char *param_types_json)
{
	UnaryArgs	a;

	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.resp = NULL;
	spanner_run(conn, unary_attempt, &a, sql);
	return a.resp;
}
