/*-------------------------------------------------------------------------
 *
 * retry.c
 *		  The one retry policy for calls that need the connection's session.
 *
 * An attempt is made on the connection's session (created first if
 * needed).  When it fails:
 *	- UNAUTHENTICATED with a federated token: the token is fetched anew
 *	  and the attempt repeated, once;
 *	- the session is gone (deleted, expired, or the server restarted): if
 *	  nothing of the current transaction lived on it, a new session is made
 *	  and the attempt repeated, once; otherwise the transaction's snapshot
 *	  is lost and the error is 40001;
 *	- INVALID_ARGUMENT naming isolationLevel, for a request that began a
 *	  REPEATABLE READ transaction: Spanner does not take the field (the
 *	  emulator); the connection stops asking and the attempt is repeated;
 *	- ABORTED, only for a request that can be repeated as a whole (a
 *	  commit of buffered mutations with no transaction behind it): repeated
 *	  up to SPANNER_MAX_ABORT_RETRIES times, after the delay Spanner asks
 *	  for (RetryInfo) or an exponential backoff with jitter;
 *	- anything else goes to the error funnel.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/retry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "common/pg_prng.h"
#include "miscadmin.h"

#include "connection.h"

#define SPANNER_MAX_ABORT_RETRIES 10

/* Wait before repeating an aborted request: RetryInfo, or a backoff. */
static void
abort_backoff(const SpError *err, int attempt)
{
	long		ms;
	long		waited = 0;

	if (err->retry_delay > 0)
		ms = (long) (err->retry_delay * 1000.0);
	else
	{
		long		cap = Min(1000L, 10L << Min(attempt, 7));

		ms = cap / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (cap / 2));
	}
	ms = Min(ms, 32000L);
	while (waited < ms)
	{
		long		step = Min(ms - waited, 100L);

		(void) spanner_wait(NULL, -1, false, false, step);
		CHECK_FOR_INTERRUPTS();
		waited += step;
	}
}

/*
 * spanner_run
 *		Run attempt(conn, arg, &err) under the policy above; returns when an
 *		attempt succeeded, raises the error otherwise.  sql names the remote
 *		command in error messages (may be NULL).
 */
static void
run(SpannerConnection *conn, SpannerAttemptFn attempt, void *arg,
	const char *sql, int max_aborts)
{
	bool		auth_retried = false;
	bool		session_retried = false;
	int			aborts = 0;

	spanner_xact_check_usable(conn, sql);
	for (;;)
	{
		SpError		err;
		bool		creating = (conn->session == NULL);

		sp_error_clear(&err);
		if (spanner_session_ensure(conn, &err))
		{
			creating = false;
			if (attempt(conn, arg, &err))
				return;
		}

		if (!auth_retried && conn->auth != NULL &&
			err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_UNAUTHENTICATED)
		{
			elog(DEBUG1, "spanner_fdw: the access token was refused; fetching a new one");
			auth_retried = true;
			spanner_auth_apply(conn->auth, conn->rest, true);
			continue;
		}
		if (conn->xact.begin_rr && conn->rr_isolation == -1 &&
			err.kind == SP_ERR_REMOTE &&
			err.grpc_code == SP_GRPC_INVALID_ARGUMENT &&
			(strstr(err.message, "unknown field \"isolationLevel\"") ||
			 strstr(err.message, "Unknown name \"isolationLevel\"") ||
			 strstr(err.message, "isolation_level") ||
			 strstr(err.message, "isolation level")))
		{
			/* asked once per connection; serializable is the fallback */
			elog(DEBUG1, "spanner_fdw: Spanner does not take isolationLevel REPEATABLE_READ; using its default (serializable)");
			conn->rr_isolation = 0;
			conn->xact.begin_rr = false;
			continue;
		}
		if (creating && err.kind == SP_ERR_REMOTE &&
			(err.session_gone || err.grpc_code == SP_GRPC_NOT_FOUND))
		{
			/* the database or instance is not there */
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not create a Spanner session for database \"%s\"",
							conn->dbpath),
					 errdetail_internal("%s", err.message),
					 errhint("Check that the project, instance and database exist.")));
		}
		if (err.kind == SP_ERR_REMOTE && err.session_gone)
		{
			if (!spanner_xact_session_replaceable(conn))
			{
				spanner_session_forget(conn);
				spanner_xact_lost(conn);
				spanner_xact_report_lost(conn, sql);
			}
			if (!session_retried)
			{
				elog(DEBUG1, "spanner_fdw: session %s is gone; creating a new one",
					 conn->session);
				session_retried = true;
				spanner_session_forget(conn);
				continue;
			}
			spanner_session_forget(conn);
		}
		if (err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_ABORTED &&
			aborts < max_aborts)
		{
			elog(DEBUG1, "spanner_fdw: Spanner aborted the request (%s); repeating it",
				 err.message);
			abort_backoff(&err, aborts);
			aborts++;
			continue;
		}
		spanner_report_error(ERROR, &err, sql);
	}
}

void
spanner_run(SpannerConnection *conn, SpannerAttemptFn attempt, void *arg,
			const char *sql)
{
	run(conn, attempt, arg, sql, 0);
}

/*
 * spanner_run_retrying_aborts
 *		spanner_run for a request that may be repeated after ABORTED.
 */
void
spanner_run_retrying_aborts(SpannerConnection *conn, SpannerAttemptFn attempt,
							void *arg, const char *sql)
{
	run(conn, attempt, arg, sql, SPANNER_MAX_ABORT_RETRIES);
}
