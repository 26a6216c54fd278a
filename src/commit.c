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
 * PostgreSQL transaction aborts is rolled back (transient failures of the
 * rollback repeated through retry.c).
 *
 * On a multiplexed session (session.c) the commit of a read-write
 * transaction carries the precommit token with the highest seqNum the
 * transaction received (precommit.c).  Spanner may answer it with a newer
 * token instead of a commit timestamp (CommitResponse's oneof
 * MultiplexedSessionRetry: "the transaction has not committed yet, retry
 * the commit with the new precommit token"): the commit is then sent again
 * with that token and without the mutations, which Spanner already holds
 * (as the Java and Go clients do; fields checked against googleapis
 * google/spanner/v1 at f8291d2b, 2026-08-22).  A commit Spanner refuses
 * (a missing or stale token: FAILED_PRECONDITION) is reported, never
 * repeated.  Buffered mutations alone still go in one single-use commit:
 * Spanner takes those on a multiplexed session without a token (the Java
 * client's writeAtLeastOnce does the same), so no transaction is begun with
 * a mutation key for them.
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

/* Times a commit is sent again with a newer precommit token, at most. */
#define SPANNER_MAX_PRECOMMIT_RETRIES 8

typedef struct CommitArgs
{
	bool		rw;				/* commit of the connection's transaction
								 * (else single-use, buffered mutations) */
	bool		again;			/* sent again after a precommit token: the
								 * mutations are not sent twice */
	const char *req_opts;		/* requestOptions member, or "" */
	json_object *resp;
} CommitArgs;

/* The CommitRequest of this attempt (the token may have changed). */
static char *
commit_body(SpannerConnection *conn, CommitArgs *a)
{
	StringInfoData body;

	initStringInfo(&body);
	if (a->rw)
	{
		appendStringInfoString(&body, "{\"transactionId\":");
		escape_json(&body, conn->xact.id);
	}
	else
		appendStringInfoString(&body, "{\"singleUseTransaction\":{\"readWrite\":{}}");
	if (conn->xact.mutations.data && !a->again)
		appendStringInfo(&body, ",\"mutations\":[%s]", conn->xact.mutations.data);
	if (a->rw)
		spanner_precommit_append(conn, &body);
	appendStringInfoString(&body, a->req_opts);
	appendStringInfoChar(&body, '}');
	return body.data;
}

static bool
commit_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	CommitArgs *a = (CommitArgs *) arg;
	char	   *path = psprintf("/v1/%s:commit", conn->session);
	char	   *body = commit_body(conn, a);
	bool		ok;

	/*
	 * Never sent twice behind our back: a single-use commit is not
	 * replay-protected, and a repeated commit of a transaction that was
	 * applied would report a misleading error.
	 */
	ok = sp_conn_call_once(conn->rest, "POST", path, body, &a->resp, err);
	pfree(path);
	pfree(body);
	/*
	 * Anything but Spanner's own error status (or a request never built)
	 * leaves the outcome open: a lost connection, a cancel, or an answer
	 * that could not be read (malformed, too large, out of memory).
	 */
	if (!ok && ((err->kind != SP_ERR_REMOTE && err->kind != SP_ERR_USAGE) ||
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
	/* a refused token is an error of its own; nothing was committed */
	if (!ok && a->rw && conn->multiplexed && err->kind == SP_ERR_REMOTE)
		spanner_report_commit_refused(err);
	return ok;
}

/*
 * A commit answer with a precommit token and no commit timestamp: the
 * transaction is not committed yet (CommitResponse.precommit_token).
 */
static bool
commit_wants_retry(json_object *resp, const char **token, int32_t *seq)
{
	json_object *ts;

	return sp_precommit_token_of(resp, token, seq) &&
		!json_object_object_get_ex(resp, "commitTimestamp", &ts);
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
	CommitArgs	a;
	bool		rw;
	char	   *req_opts;
	int			retries = 0;

	if (conn->xact.doomed)
		spanner_xact_report_doomed(conn, true);
	rw = (conn->xact.kind == SPANNER_XACT_READ_WRITE && conn->xact.id != NULL);
	if (!rw && conn->xact.mutations.data == NULL)
		return;
	spanner_xact_check_usable(conn, NULL);
	/* tokens of queries still open (cursors) count too */
	if (rw)
		spanner_streams_note_precommit(conn);

	req_opts = spanner_commit_request_options(conn);
	a.rw = rw;
	a.again = false;
	a.req_opts = req_opts;
	for (;;)
	{
		const char *token;
		int32_t		seq;

		a.resp = NULL;
		if (rw)
			spanner_run(conn, commit_attempt, &a, NULL);
		else
			spanner_run_retrying_aborts(conn, commit_attempt, &a, NULL);
		if (!commit_wants_retry(a.resp, &token, &seq))
			break;
		if (!rw || retries >= SPANNER_MAX_PRECOMMIT_RETRIES)
		{
			json_object_put(a.resp);
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("Spanner did not commit the transaction"),
					 rw ? errdetail("The commit was answered with a new precommit token %d times in a row.",
									retries + 1)
					 : errdetail("A single-use commit was answered with a precommit token instead of a commit timestamp."),
					 errhint("Nothing was committed; retry the transaction.")));
		}
		/* not committed yet: commit again with the newer token */
		elog(DEBUG1, "spanner_fdw: the commit asks for precommit token %d; committing again",
			 (int) seq);
		spanner_precommit_set(conn, token, seq);
		json_object_put(a.resp);
		a.again = true;
		retries++;
	}
	pfree(req_opts);
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
	spanner_precommit_forget(conn);
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

/* How long an abort may spend repeating a rollback after transient failures */
#define ROLLBACK_RETRY_MS 5000L

static bool
rollback_attempt(SpannerConnection *conn, void *arg, SpError *err)
{
	return spanner_session_rollback(conn, err);
}

/*
 * An abort rolls back the read-write transaction still open, repeating
 * transient failures a little (a rollback is idempotent) so that its locks
 * are released at once rather than when Spanner ends it as idle.
 */
static void
rollback_one(SpannerConnection *conn, void *arg)
{
	SpError		err;
	bool		ok;

	if (!conn->xact.in_use || conn->xact.kind != SPANNER_XACT_READ_WRITE ||
		conn->xact.id == NULL || conn->rest == NULL || conn->session == NULL)
		return;
	spanner_streams_close(conn, 0);
	ok = spanner_run_quiet(conn, rollback_attempt, NULL, ROLLBACK_RETRY_MS, &err);
	spanner_session_xact_released(conn, ok, &err);
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
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* a session creation cut short by an error: let others create */
			spanner_session_cache_release_claim();
			spanner_connection_foreach(rollback_one, NULL);
			spanner_connection_foreach(end_one, NULL);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* a claim left by a creation that did not finish */
			spanner_session_cache_release_claim();
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
