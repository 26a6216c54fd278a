/*-------------------------------------------------------------------------
 *
 * commit.c
 *		  The transaction callbacks: commit at PRE_COMMIT, roll back at
 *		  abort, savepoints, and the commit timestamp.
 *
 * At PRE_COMMIT every connection used by the PostgreSQL transaction that
 * wrote commits, one after the other (so a transaction that wrote to two
 * servers is not atomic across them):
 *	- a read-write transaction: commit {transactionId, buffered mutations};
 *	  ABORTED fails the PostgreSQL transaction with 40001, as its reads
 *	  cannot be replayed here;
 *	- only buffered mutations (autocommit INSERT or COPY): one single-use
 *	  commit, repeated on ABORTED (nothing was read, so the repeat is the
 *	  same transaction).
 * A commit whose outcome is unknown (connection lost, cancelled) says so
 * and is never repeated.  A read-write transaction still open when the
 * PostgreSQL transaction aborts is rolled back (xact.c).
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/commit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "connection.h"

/* The commit timestamp of this backend's last Spanner commit. */
static TimestampTz last_commit_ts;
static bool have_commit_ts = false;

PG_FUNCTION_INFO_V1(spanner_fdw_commit_timestamp);

static void spanner_xact_callback(XactEvent event, void *arg);
static void spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									 SubTransactionId parentSubid, void *arg);

/*
 * spanner_commit_register_callbacks
 *		Called once, at module load.
 */
void
spanner_commit_register_callbacks(void)
{
	RegisterXactCallback(spanner_xact_callback, NULL);
	RegisterSubXactCallback(spanner_subxact_callback, NULL);
}

typedef struct CommitArgs
{
	const char *body;
	json_object *resp;
} CommitArgs;

static bool
commit_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	CommitArgs *a = (CommitArgs *) arg;
	char	   *path = psprintf("/v1/%s:commit", conn->session);
	bool		ok;

	/*
	 * Never sent twice behind our back: a single-use commit is not
	 * replay-protected, and a repeated commit of a transaction that was
	 * applied would report a misleading error.
	 */
	ok = sp_conn_call_once(conn->rest, "POST", path, a->body, &a->resp, err);
	pfree(path);
	if (!ok && (err->kind == SP_ERR_TRANSPORT || err->kind == SP_ERR_CANCELLED ||
				(err->kind == SP_ERR_REMOTE && !err->session_gone &&
				 (err->grpc_code == SP_GRPC_DEADLINE_EXCEEDED ||
				  err->grpc_code == SP_GRPC_UNAVAILABLE ||
				  err->grpc_code == SP_GRPC_INTERNAL ||
				  err->grpc_code == SP_GRPC_UNKNOWN))))
	{
		/*
		 * The request may have been applied: never repeat it.  The abort
		 * that follows still tries to roll back a read-write transaction,
		 * so that it cannot hold its locks.
		 */
		ereport(ERROR,
				(errcode(ERRCODE_TRANSACTION_RESOLUTION_UNKNOWN),
				 errmsg("the outcome of the Spanner commit is unknown"),
				 errdetail_internal("%s", err->message),
				 errhint("Check whether the transaction's changes were applied before repeating it.")));
	}
	return ok;
}

static void
record_commit_timestamp(json_object *resp)
{
	json_object *ts;
	SpTimestamp t;

	if (resp == NULL || !json_object_object_get_ex(resp, "commitTimestamp", &ts) ||
		!json_object_is_type(ts, json_type_string) ||
		!sp_parse_timestamp(json_object_get_string(ts), &t))
	{
		have_commit_ts = false;
		return;
	}
	last_commit_ts = (TimestampTz) (date2j(t.year, t.month, t.day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) t.hour * 3600 + t.minute * 60 + t.second) * USECS_PER_SEC + t.usec;
	have_commit_ts = true;
}

/*
 * spanner_commit_connection
 *		Commit what the connection's transaction wrote, if anything.
 */
void
spanner_commit_connection(SpannerConnection *conn)
{
	StringInfoData body;
	CommitArgs	a;
	bool		rw;

	if (conn->xact.doomed)
		spanner_xact_report_doomed(conn, true);
	rw = (conn->xact.kind == SPANNER_XACT_READ_WRITE && conn->xact.id != NULL);
	if (!rw && conn->xact.mutations.data == NULL)
		return;
	spanner_xact_check_usable(conn, NULL);

	initStringInfo(&body);
	if (rw)
	{
		appendStringInfoString(&body, "{\"transactionId\":");
		escape_json(&body, conn->xact.id);
	}
	else
		appendStringInfoString(&body, "{\"singleUseTransaction\":{\"readWrite\":{}}");
	if (conn->xact.mutations.data)
		appendStringInfo(&body, ",\"mutations\":[%s]", conn->xact.mutations.data);
	{
		char	   *req_opts = spanner_commit_request_options(conn);

		appendStringInfoString(&body, req_opts);
		pfree(req_opts);
	}
	appendStringInfoChar(&body, '}');

	a.body = body.data;
	a.resp = NULL;
	if (rw)
		spanner_run(conn, commit_attempt, &a, NULL);
	else
		spanner_run_retrying_aborts(conn, commit_attempt, &a, NULL);
	pfree(body.data);
	record_commit_timestamp(a.resp);
	json_object_put(a.resp);

	/* committed: nothing is left to roll back or to send again */
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	if (conn->xact.mutations.data)
		pfree(conn->xact.mutations.data);
	conn->xact.mutations.data = NULL;
	conn->xact.mutation_cells = 0;
}

/* Before anything is committed: no server's transaction may be doomed. */
static void
check_committable(SpannerConnection *conn, void *arg)
{
	if (conn->xact.in_use && conn->xact.doomed)
		spanner_xact_report_doomed(conn, true);
}

static void
commit_one(SpannerConnection *conn, void *arg)
{
	if (conn->xact.in_use)
		spanner_commit_connection(conn);
}

static void
refuse_prepare(SpannerConnection *conn, void *arg)
{
	if (conn->xact.in_use)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that has operated on spanner_fdw foreign tables"),
				 errdetail("Spanner has no two-phase commit.")));
}

static void
end_one(SpannerConnection *conn, void *arg)
{
	spanner_xact_end(conn);
}

static void
spanner_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			spanner_connection_foreach(check_committable, NULL);
			spanner_connection_foreach(commit_one, NULL);
			break;
		case XACT_EVENT_PRE_PREPARE:
			spanner_connection_foreach(refuse_prepare, NULL);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			spanner_connection_foreach(end_one, NULL);
			break;
	}
}

typedef struct SubxactArg
{
	bool		abort;
	int			level;
} SubxactArg;

static void
end_of_subxact(SpannerConnection *conn, void *arg)
{
	SubxactArg *a = (SubxactArg *) arg;

	spanner_xact_subxact_end(conn, a->abort, a->level);
}

static void
spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	SubxactArg	a;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	a.abort = (event == SUBXACT_EVENT_ABORT_SUB);
	a.level = GetCurrentTransactionNestLevel();
	spanner_connection_foreach(end_of_subxact, &a);
}

/*
 * spanner_fdw_commit_timestamp()
 *		The commit timestamp of this session's last Spanner commit that
 *		wrote, or NULL.
 */
Datum
spanner_fdw_commit_timestamp(PG_FUNCTION_ARGS)
{
	if (!have_commit_ts)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(last_commit_ts);
}
