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

/*
 * An ExecuteSqlRequest body; selector is a TransactionSelector (JSON);
 * seqno 0: none (queries), else the DML sequence number; req_opts: the
 * requestOptions member (tags.c), or "".
 */
static char *
build_query_body(const char *sql, const char *params_json,
				 const char *param_types_json, const char *selector, int64 seqno,
				 const char *req_opts)
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
	appendStringInfo(&buf, ",\"transaction\":%s", selector);
	if (seqno > 0)
		appendStringInfo(&buf, ",\"seqno\":\"" INT64_FORMAT "\"", seqno);
	appendStringInfoString(&buf, req_opts);
	appendStringInfoChar(&buf, '}');
	return spanner_to_utf8(buf.data);
}

typedef struct OpenQueryArgs
{
	bool		write;
	const SpannerReqInfo *ri;
	const char *sql;			/* the SQL, or a description of the read */
	const char *params_json;
	const char *param_types_json;
	const char *read_fields;	/* a read: its ReadRequest fields but the
								 * transaction; NULL for a query */
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
	const char *selector = spanner_xact_selector(conn, a->write, &begins);
	char	   *req_opts = spanner_xact_request_options(conn, a->ri, begins);
	char	   *body;
	SpStream   *st;

	if (a->read_fields)
		body = spanner_to_utf8(psprintf("{%s,\"transaction\":%s%s}", a->read_fields,
										selector, req_opts));
	else
		body = build_query_body(a->sql, a->params_json, a->param_types_json, selector, 0,
								req_opts);
	pfree(req_opts);
	st = sp_stream_open(conn->rest, conn->session,
						a->read_fields ? "streamingRead" : "executeStreamingSql", body,
						(size_t) spanner_resume_buffer_kb * 1024, err);
	pfree(body);
	if (st == NULL)
		spanner_report_error(ERROR, err, a->sql);
	spanner_stream_register(conn, st, a->ref);

	if (!sp_stream_wait_metadata(st, err))
	{
		spanner_close_query(conn, a->ref);
		/*
		 * A read changed nothing, but a begin whose answer was lost may
		 * have left a read-write transaction on the session (retry.c makes
		 * the request again only on a new session).
		 */
		if (begins && conn->xact.begin_rw &&
			(err->kind != SP_ERR_REMOTE || sp_error_transient(err)))
			conn->xact.rw_orphan = true;
		return false;
	}
	if (begins)
	{
		const char *id = sp_stream_transaction_id(st);

		if (id == NULL)
		{
			spanner_close_query(conn, a->ref);
			/* whatever it began is on the session, unnamed */
			if (conn->xact.begin_rw)
				conn->xact.rw_orphan = true;
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
 * Start a query (read_fields NULL) or a read.  Idempotent: a failed start
 * returned no row to the executor (a stream that breaks later is resumed
 * with its resume token, never started again here), and a query that
 * began a read-write transaction is made again only on a new session
 * (retry.c).
 */
static SpStream *
open_stream(SpannerConnection *conn, bool write, const SpannerReqInfo *ri,
			const char *sql, const char *params_json, const char *param_types_json,
			const char *read_fields, SpannerStreamRef *ref)
{
	OpenQueryArgs a;

	a.write = write;
	a.ri = ri;
	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.read_fields = read_fields;
	a.ref = ref;
	spanner_run_idempotent(conn, open_query_attempt, &a, sql);
	return ref->stream;
}

/*
 * spanner_open_query
 *		Start a streaming query in the connection's transaction; the scan's
 *		ref gets the stream.  write: the query belongs to a statement that
 *		writes on this connection, or locks the rows it reads, and runs in
 *		the read-write transaction.
 */
SpStream *
spanner_open_query(SpannerConnection *conn, bool write, const SpannerReqInfo *ri,
				   const char *sql, const char *params_json,
				   const char *param_types_json, SpannerStreamRef *ref)
{
	return open_stream(conn, write, ri, sql, params_json, param_types_json, NULL, ref);
}

/*
 * spanner_open_read
 *		Start a streaming read (the Read API: rows by key, no SQL to
 *		compile) in the connection's transaction, as spanner_open_query
 *		starts a query.  read_fields: the ReadRequest's "table", "columns"
 *		and "keySet" members; description: what errors name.
 */
SpStream *
spanner_open_read(SpannerConnection *conn, bool write, const SpannerReqInfo *ri,
				  const char *read_fields, const char *description,
				  SpannerStreamRef *ref)
{
	return open_stream(conn, write, ri, description, NULL, NULL, read_fields, ref);
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
	const char *cause;
	int			resumes = sp_stream_resumes(ref->stream, &cause);

	if (resumes > ref->resumes_logged)
	{
		ref->resumes_logged = resumes;
		elog(DEBUG1, "spanner_fdw: the stream broke (%s); resumed it from its last resume token (resume %d)",
			 cause, resumes);
	}
	if (r >= 0)
		return r;
	spanner_close_query(conn, ref);
	if (err.kind == SP_ERR_REMOTE && err.session_gone)
	{
		spanner_session_gone(conn, &err);
		spanner_xact_lost(conn);
		spanner_xact_report_lost(conn, sql);
	}
	spanner_report_error(ERROR, &err, sql);
	return -1;					/* keep compiler quiet */
}

typedef struct UnaryArgs
{
	const SpannerReqInfo *ri;
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

	char	   *req_opts = spanner_single_request_options(conn, a->ri, NULL);

	body = build_query_body(a->sql, a->params_json, a->param_types_json,
							"{\"singleUse\":{\"readOnly\":{\"strong\":true}}}", 0,
							req_opts);
	pfree(req_opts);
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
spanner_execute_unary(SpannerConnection *conn, const SpannerReqInfo *ri,
					  const char *sql, const char *params_json,
					  const char *param_types_json)
{
	UnaryArgs	a;

	a.ri = ri;
	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.resp = NULL;
	/* a single-use read-only query: idempotent */
	spanner_run_idempotent(conn, unary_attempt, &a, sql);
	return a.resp;
}

/* metadata.transaction.id of a ResultSet, or NULL */
static const char *
result_transaction_id(json_object *rs)
{
	json_object *md,
			   *tx,
			   *id;

	if (rs && json_object_object_get_ex(rs, "metadata", &md) &&
		json_object_object_get_ex(md, "transaction", &tx) &&
		json_object_object_get_ex(tx, "id", &id) &&
		json_object_is_type(id, json_type_string))
		return json_object_get_string(id);
	return NULL;
}

/* The stats.rowCountExact (or rowCountLowerBound) of a ResultSet, or -1. */
static int64
result_row_count(json_object *rs)
{
	json_object *stats,
			   *n;
	int64_t		v;

	if (rs && json_object_object_get_ex(rs, "stats", &stats) &&
		(json_object_object_get_ex(stats, "rowCountExact", &n) ||
		 json_object_object_get_ex(stats, "rowCountLowerBound", &n)))
	{
		if (json_object_is_type(n, json_type_int))
			return json_object_get_int64(n);
		if (json_object_is_type(n, json_type_string) &&
			sp_parse_int64(json_object_get_string(n), &v))
			return v;
	}
	return -1;
}

static void
missing_transaction_id(const char *sql)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("Spanner did not return a transaction id for an inline begin"),
			 sql ? errcontext("remote SQL command: %s", sql) : 0));
}

typedef struct DmlArgs
{
	const SpannerReqInfo *ri;
	const char *sql;
	const char *params_json;
	const char *param_types_json;
	const char *selector;		/* NULL: the connection's transaction */
	int64		seqno;			/* of the first attempt in the transaction
								 * it ran in; 0: none yet */
	json_object *resp;
} DmlArgs;

static bool
dml_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	DmlArgs    *a = (DmlArgs *) arg;
	bool		begins = false;
	const char *selector = a->selector ? a->selector
		: spanner_xact_selector(conn, true, &begins);
	char	   *req_opts;
	char	   *body;
	char	   *path;
	bool		ok;

	req_opts = spanner_xact_request_options(conn, a->ri, begins);
	/* a repeat in the same transaction keeps its seqno (see spanner_execute_dml) */
	if (a->seqno == 0 || begins)
		a->seqno = spanner_xact_next_seqno(conn);
	body = build_query_body(a->sql, a->params_json, a->param_types_json, selector,
							a->seqno, req_opts);
	pfree(req_opts);
	path = psprintf("/v1/%s:executeSql", conn->session);
	ok = sp_conn_call(conn->rest, "POST", path, body, &a->resp, err);
	pfree(path);
	pfree(body);
	if (!ok && a->selector == NULL)
		spanner_xact_request_failed(conn, begins, err);
	if (ok && begins)
	{
		const char *id = result_transaction_id(a->resp);

		if (id == NULL)
		{
			json_object_put(a->resp);
			a->resp = NULL;
			conn->xact.rw_orphan = true;
			missing_transaction_id(a->sql);
		}
		spanner_xact_begun(conn, id);
	}
	if (ok && a->selector == NULL)
		spanner_precommit_note_of(conn, a->resp);
	return ok;
}

/*
 * spanner_execute_dml
 *		Run one DML statement with executeSql in the connection's read-write
 *		transaction (begun inline by the first).  Returns the ResultSet
 *		(THEN RETURN rows; the caller json_object_put()s it) and sets *rows
 *		to the number of rows the statement changed.
 */
json_object *
spanner_execute_dml(SpannerConnection *conn, const SpannerReqInfo *ri,
					const char *sql, const char *params_json,
					const char *param_types_json, int64 *rows)
{
	DmlArgs		a;

	a.ri = ri;
	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.selector = NULL;
	a.seqno = 0;
	a.resp = NULL;

	/*
	 * Idempotent: in a transaction Spanner knows, the attempt is made again
	 * with the same seqno, and Spanner answers a request it already ran
	 * with that first answer instead of running it again; a request that
	 * began the transaction is made again only on a new session, in a new
	 * transaction (retry.c), and the one its lost answer may have begun is
	 * never committed.
	 */
	spanner_run_idempotent(conn, dml_attempt, &a, sql);
	*rows = result_row_count(a.resp);
	if (*rows < 0)
	{
		json_object_put(a.resp);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Spanner did not return a row count for a DML statement"),
				 errcontext("remote SQL command: %s", sql)));
	}
	if (*rows > 0)
		spanner_xact_wrote(conn);
	return a.resp;
}

typedef struct BatchArgs
{
	const SpannerReqInfo *ri;
	const char *statements;		/* JSON array of Statement objects */
	const char *first_sql;
	int64		seqno;			/* as DmlArgs.seqno */
	json_object *resp;
} BatchArgs;

static bool
batch_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	BatchArgs  *a = (BatchArgs *) arg;
	bool		begins;
	const char *selector = spanner_xact_selector(conn, true, &begins);
	StringInfoData buf;
	char	   *path;
	bool		ok;

	char	   *req_opts = spanner_xact_request_options(conn, a->ri, begins);

	if (a->seqno == 0 || begins)
		a->seqno = spanner_xact_next_seqno(conn);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"transaction\":%s,\"seqno\":\"" INT64_FORMAT "\",\"statements\":%s%s}",
					 selector, a->seqno, a->statements, req_opts);
	pfree(req_opts);
	path = psprintf("/v1/%s:executeBatchDml", conn->session);
	ok = sp_conn_call(conn->rest, "POST", path, spanner_to_utf8(buf.data), &a->resp, err);
	pfree(path);
	pfree(buf.data);
	if (!ok)
		spanner_xact_request_failed(conn, begins, err);
	if (ok && begins)
	{
		json_object *sets;
		const char *id = NULL;

		if (json_object_object_get_ex(a->resp, "resultSets", &sets) &&
			json_object_is_type(sets, json_type_array) &&
			json_object_array_length(sets) > 0)
			id = result_transaction_id(json_object_array_get_idx(sets, 0));
		if (id != NULL)
			spanner_xact_begun(conn, id);
		else
		{
			json_object *status,
					   *code;

			/* a failed first statement begins nothing: report its error */
			if (!(json_object_object_get_ex(a->resp, "status", &status) &&
				  json_object_object_get_ex(status, "code", &code) &&
				  json_object_get_int(code) != 0))
			{
				json_object_put(a->resp);
				a->resp = NULL;
				conn->xact.rw_orphan = true;
				missing_transaction_id(a->first_sql);
			}
		}
	}
	if (ok)
	{
		json_object *sets;
		size_t		i;

		spanner_precommit_note_of(conn, a->resp);
		if (json_object_object_get_ex(a->resp, "resultSets", &sets) &&
			json_object_is_type(sets, json_type_array))
			for (i = 0; i < json_object_array_length(sets); i++)
				spanner_precommit_note_of(conn, json_object_array_get_idx(sets, i));
	}
	return ok;
}

/*
 * spanner_execute_batch_dml
 *		Run DML statements with one executeBatchDml in the connection's
 *		read-write transaction.  statements: a JSON array of
 *		{"sql","params","paramTypes"} objects.  counts[i] gets the row count
 *		of statement i.  A failed statement is raised as an error (Spanner
 *		stops at it).
 */
void
spanner_execute_batch_dml(SpannerConnection *conn, const SpannerReqInfo *ri,
						  const char *statements, int nstatements,
						  const char *first_sql, int64 *counts)
{
	BatchArgs	a;
	json_object *sets = NULL;
	json_object *status;
	int			n = 0;
	int			i;

	a.ri = ri;
	a.statements = statements;
	a.first_sql = first_sql;
	a.seqno = 0;
	a.resp = NULL;
	/* idempotent, as spanner_execute_dml */
	spanner_run_idempotent(conn, batch_attempt, &a, first_sql);

	if (json_object_object_get_ex(a.resp, "resultSets", &sets) &&
		json_object_is_type(sets, json_type_array))
		n = json_object_array_length(sets);
	for (i = 0; i < nstatements; i++)
		counts[i] = i < n ? result_row_count(json_object_array_get_idx(sets, i)) : 0;
	for (i = 0; i < n; i++)
		if (counts[i] > 0)
			spanner_xact_wrote(conn);
	if (json_object_object_get_ex(a.resp, "status", &status) &&
		json_object_is_type(status, json_type_object))
	{
		json_object *code;

		if (json_object_object_get_ex(status, "code", &code) &&
			json_object_get_int(code) != 0)
		{
			SpError		err;

			sp_error_clear(&err);
			sp_error_from_json(&err, 200, status);
			err.kind = SP_ERR_REMOTE;
			json_object_put(a.resp);
			spanner_report_error(ERROR, &err, first_sql);
		}
	}
	json_object_put(a.resp);
}

typedef struct PdmlArgs
{
	const SpannerReqInfo *ri;
	const char *sql;
	const char *params_json;
	const char *param_types_json;
	char	   *txn;			/* the partitioned transaction's selector
								 * ({"id":...}), once begun */
	uint64		txn_session;	/* the session it was begun on (session_gen) */
	bool		txn_gone;		/* Spanner no longer knows it */
	bool		maybe_run;		/* an executeSql whose answer was lost */
	json_object *resp;
} PdmlArgs;

/* Begin the partitioned transaction: a->txn and a->txn_session. */
static bool
pdml_begin(SpannerConnection *conn, PdmlArgs *a, const char *txn_tag, SpError *err)
{
	json_object *begin = NULL;
	json_object *id;
	char	   *path = psprintf("/v1/%s:beginTransaction", conn->session);
	StringInfoData sel;
	bool		ok;

	/* the transaction tag on every request of it; no priority: ignored here */
	initStringInfo(&sel);
	appendStringInfoString(&sel, "{\"options\":{\"partitionedDml\":{}}");
	spanner_append_request_options(&sel, NULL, txn_tag, NULL);
	appendStringInfoChar(&sel, '}');
	ok = sp_conn_call(conn->rest, "POST", path, sel.data, &begin, err);
	pfree(path);
	pfree(sel.data);
	if (!ok)
		return false;
	if (begin == NULL || !json_object_object_get_ex(begin, "id", &id) ||
		!json_object_is_type(id, json_type_string))
	{
		json_object_put(begin);
		missing_transaction_id(a->sql);
	}
	initStringInfo(&sel);
	appendStringInfoString(&sel, "{\"id\":");
	escape_json(&sel, json_object_get_string(id));
	appendStringInfoChar(&sel, '}');
	json_object_put(begin);
	a->txn = sel.data;
	a->txn_session = conn->session_gen;
	return true;
}

/* The partitioned transaction went after an answer of it was lost */
static void
pdml_outcome_unknown(const char *sql)
{
	ereport(ERROR,
			(errcode(ERRCODE_TRANSACTION_RESOLUTION_UNKNOWN),
			 errmsg("partitioned DML statement may or may not have been applied"),
			 errdetail("The answer to the statement was lost, and Spanner no longer has its partitioned transaction."),
			 errhint("Check the rows it addresses before running it again."),
			 errcontext("remote SQL command: %s", sql)));
}

/*
 * One attempt of a partitioned DML statement.  When the answer to the
 * statement was lost (the connection broke, or the HTTP/2 stream did), a
 * repeat sends the same request (same transaction, same seqno), which
 * Spanner answers from its first run instead of running the statement
 * again; if that transaction went (with its session, or Spanner no longer
 * knows it or aborted it), the statement is not run in a new one (08007).
 * When Spanner answered with a transient error (and no earlier answer was
 * lost), the repeat begins a new partitioned transaction: the statements
 * run this way set values computed before they run, or delete, so
 * applying a part again changes nothing more.
 */
static bool
pdml_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	PdmlArgs   *a = (PdmlArgs *) arg;
	const char *txn_tag = spanner_transaction_tag(a->ri, conn->serverid);
	char	   *req_opts;
	char	   *body;
	char	   *path;
	bool		ok;

	if (a->txn != NULL && (a->txn_gone || a->txn_session != conn->session_gen))
	{
		if (a->maybe_run)
			pdml_outcome_unknown(a->sql);
		pfree(a->txn);
		a->txn = NULL;
		a->txn_gone = false;
	}
	if (a->txn == NULL && !pdml_begin(conn, a, txn_tag, err))
		return false;
	req_opts = spanner_single_request_options(conn, a->ri, txn_tag);
	body = build_query_body(a->sql, a->params_json, a->param_types_json, a->txn, 1,
							req_opts);
	pfree(req_opts);
	path = psprintf("/v1/%s:executeSql", conn->session);
	ok = sp_conn_call(conn->rest, "POST", path, body, &a->resp, err);
	pfree(path);
	pfree(body);
	if (!ok)
	{
		if (err->kind != SP_ERR_REMOTE || sp_error_broken_stream(err) ||
			(err->foreign_body && (err->http_status == 502 || err->http_status == 504)))
			a->maybe_run = true;	/* the answer was lost */
		else if (a->maybe_run &&
				 (err->session_gone || err->grpc_code == SP_GRPC_ABORTED))
		{
			/* the replay cannot be answered: the transaction went */
			if (err->session_gone)
				spanner_session_gone(conn, err);
			pdml_outcome_unknown(a->sql);
		}
		else if (err->session_gone)
			a->txn_gone = true; /* with its session, or alone */
		else if (!a->maybe_run)
		{
			/* Spanner's own answer, and no earlier one lost: begin anew */
			pfree(a->txn);
			a->txn = NULL;
		}
	}
	return ok;
}

/*
 * spanner_execute_partitioned_dml
 *		Run an UPDATE or DELETE as partitioned DML (its own transaction,
 *		applied in independent parts); returns the lower bound of the rows
 *		changed.
 */
int64
spanner_execute_partitioned_dml(SpannerConnection *conn, const SpannerReqInfo *ri,
								const char *sql, const char *params_json,
								const char *param_types_json)
{
	PdmlArgs	a;
	int64		rows;

	spanner_xact_check_no_pending(conn);
	a.ri = ri;
	a.sql = sql;
	a.params_json = params_json;
	a.param_types_json = param_types_json;
	a.txn = NULL;
	a.txn_session = 0;
	a.txn_gone = false;
	a.maybe_run = false;
	a.resp = NULL;

	/* what a repeat sends: see pdml_attempt */
	spanner_run_idempotent(conn, pdml_attempt, &a, sql);
	if (a.txn)
		pfree(a.txn);
	rows = result_row_count(a.resp);
	json_object_put(a.resp);
	return rows < 0 ? 0 : rows;
}
