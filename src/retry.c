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
 *	- a transient failure (sp_error_transient: UNAVAILABLE,
 *	  RESOURCE_EXHAUSTED, INTERNAL naming a broken HTTP/2 stream, HTTP
 *	  502/503/504, a connection broken after it was made), for a session
 *	  creation or a request its caller declared idempotent
 *	  (spanner_run_idempotent): repeated after the delay Spanner asks for
 *	  (RetryInfo) or an exponential backoff with jitter, for at most the
 *	  server's retry_timeout since the first attempt and never past the
 *	  statement's statement_timeout;
 *	- ABORTED, only for a request that can be repeated as a whole (a
 *	  commit of buffered mutations with no transaction behind it): repeated
 *	  up to SPANNER_MAX_ABORT_RETRIES times, after the delay Spanner asks
 *	  for (RetryInfo) or an exponential backoff with jitter, within the
 *	  retry_timeout (unless 0) and statement_timeout bounds;
 *	- anything else goes to the error funnel; if the request was made more
 *	  than once, or a transient failure was not repeated, the error's
 *	  DETAIL says how often it was made and why it stopped.
 *
 * What is idempotent is decided where each request is built (query.c,
 * commit.c): reads and queries before any row reached the executor, DML
 * (Spanner replays a request with the same seqno instead of running it
 * again), partitioned DML (its begin; after a lost answer the same request
 * in the same partitioned transaction, which Spanner answers from its
 * first run; see query.c),
 * rollbacks.  Commits never are: a commit whose
 * outcome is unknown is reported as such.  A request that began a
 * read-write transaction inline and failed transiently may have left that
 * transaction on the session (rw_orphan, see xact.c): it is repeated only
 * on a new session, and only if nothing else of the PostgreSQL
 * transaction lives on the old one, which is then left alone (never
 * reused; Spanner ends the idle transaction by itself).
 *
 * Waits sleep on the process latch, so a query cancel or statement_timeout
 * interrupts them at once.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/retry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "pg_jsonc.h"

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "connection.h"

#define SPANNER_MAX_ABORT_RETRIES 10

/* Backoff after transient failures without RetryInfo: 250 ms, doubling, 32 s */
#define RETRY_FIRST_MS	250L
#define RETRY_MAX_MS	32000L

/* A RetryInfo delay is honoured up to this (the budget decides anyway). */
#define RETRY_INFO_MAX_MS (24L * 3600L * 1000L)

/*
 * Sleep ms milliseconds on the latch.  A cancel or statement_timeout ends
 * the sleep at once and is raised here; quiet (during an abort, with
 * interrupts held): returns false instead when one is pending.
 */
static bool
retry_sleep(long ms, bool quiet)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		if (left <= 0)
			return true;
		(void) spanner_wait(NULL, -1, false, false, left);
		if (quiet)
		{
			if (QueryCancelPending || ProcDiePending)
				return false;
		}
		else
			CHECK_FOR_INTERRUPTS();
	}
}

/* "once", "2 times": how often a request was made (palloc'd) */
static char *
times_made(int attempts)
{
	return attempts == 1 ? pstrdup("once") : psprintf("%d times", attempts);
}

/*
 * Exponential backoff with jitter: the step's cap (first_ms doubled step
 * times, at most max_ms), half of it plus a random part of the other half.
 */
static long
jittered(long first_ms, long max_ms, int step)
{
	long		cap = Min(max_ms, first_ms << Min(step, 7));

	return cap / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (cap / 2));
}

/*
 * The wait before the next attempt: the delay Spanner asks for (RetryInfo),
 * else a jittered exponential backoff.  attempts: made so far (1 after
 * the first).
 */
static long
backoff_ms(const SpError *err, int attempts)
{
	if (err->retry_delay > 0)
		return (long) Min(ceil(err->retry_delay * 1000.0), (double) RETRY_INFO_MAX_MS);
	return jittered(RETRY_FIRST_MS, RETRY_MAX_MS, attempts - 1);
}

/*
 * Would a wait of delay ms, after attempts made since start, end past the
 * budget (retry_timeout; budget 0: none) or the statement's
 * statement_timeout?  If so, *note says which.
 */
static bool
past_bounds(long budget, long delay, int attempts, TimestampTz start, char **note)
{
	TimestampTz now = GetCurrentTimestamp();

	if (budget > 0 && TimestampDifferenceMilliseconds(start, now) + delay > budget)
	{
		*note = psprintf("The request was made %s; the next attempt would come after retry_timeout (%g s).",
						 times_made(attempts), budget / 1000.0);
		return true;
	}
	if (get_timeout_active(STATEMENT_TIMEOUT) &&
		TimestampTzPlusMilliseconds(now, delay) >= get_timeout_finish_time(STATEMENT_TIMEOUT))
	{
		*note = psprintf("The request was made %s; the next attempt would come after statement_timeout.",
						 times_made(attempts));
		return true;
	}
	return false;
}

/*
 * Before repeating an aborted request (aborts so far; attempts made since
 * start): wait as Spanner asks (RetryInfo, at most RETRY_MAX_MS) or a
 * short backoff, and return true; false (no wait, *note set) if the wait
 * would end past the bounds (past_bounds; retry_timeout 0 turns off the
 * retries of transient failures only).
 */
static bool
abort_backoff(SpannerConnection *conn, const SpError *err, int aborts,
			  int attempts, TimestampTz start, char **note)
{
	long		ms;

	if (err->retry_delay > 0)
		ms = (long) Min(ceil(err->retry_delay * 1000.0), (double) RETRY_MAX_MS);
	else
		ms = jittered(10L, 1000L, aborts);
	if (past_bounds(conn->retry_timeout_ms, ms, attempts, start, note))
		return false;
	elog(DEBUG1, "spanner_fdw: Spanner aborted the request (%s); repeating it in %ld ms",
		 err->message, ms);
	(void) retry_sleep(ms, false);
	return true;
}

/*
 * transient_retry
 *		After a transient failure (attempts made so far, the first at
 *		start): wait and return true if the request is to be made again;
 *		else return false with *note saying why not.
 */
static bool
transient_retry(SpannerConnection *conn, const SpError *err, int attempts,
				TimestampTz start, char **note)
{
	long		budget = conn->retry_timeout_ms;
	long		delay;

	if (budget <= 0)
	{
		*note = psprintf("The request was made %s; retries are off (retry_timeout is 0).",
						 times_made(attempts));
		return false;
	}
	delay = backoff_ms(err, attempts);
	if (past_bounds(budget, delay, attempts, start, note))
		return false;
	if (conn->xact.rw_orphan && !spanner_xact_drop_orphan(conn))
	{
		*note = psprintf("The request was made %s; it began a read-write transaction, and is not repeated while its session holds part of this transaction.",
						 times_made(attempts));
		return false;
	}
	elog(DEBUG1, "spanner_fdw: attempt %d failed (%s: %s); trying again in %ld ms",
		 attempts, err->kind == SP_ERR_REMOTE ? err->status : "transport",
		 err->message, delay);
	(void) retry_sleep(delay, false);
	return true;
}

/*
 * run
 *		Run attempt(conn, arg, &err) under the policy above; returns when an
 *		attempt succeeded, raises the error otherwise.  sql names the remote
 *		command in error messages (may be NULL).  idempotent: transient
 *		failures of the request itself may be repeated.
 */
static void
run(SpannerConnection *conn, SpannerAttemptFn attempt, void *arg,
	const char *sql, int max_aborts, bool idempotent)
{
	bool		auth_retried = false;
	bool		session_retried = false;
	int			aborts = 0;
	int			attempts = 0;
	TimestampTz start = GetCurrentTimestamp();
	SpError		reached;		/* an attempt that reached Spanner and lost
								 * its connection before the answer */
	bool		have_reached = false;

	spanner_xact_check_usable(conn, sql);
	for (;;)
	{
		SpError		err;
		bool		creating = (conn->session == NULL);
		char	   *note = NULL;

		sp_error_clear(&err);
		attempts++;
		if (spanner_session_ensure(conn, &err))
		{
			creating = false;
			if (attempt(conn, arg, &err))
				return;
		}
		if (err.kind == SP_ERR_TRANSPORT && err.conn_lost && !err.after_data)
		{
			reached = err;
			have_reached = true;
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
		if (creating && err.kind == SP_ERR_REMOTE && !sp_error_transient(&err) &&
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
				spanner_session_gone(conn, &err);
				spanner_xact_lost(conn);
				spanner_xact_report_lost(conn, sql);
			}
			if (!session_retried)
			{
				elog(DEBUG1, "spanner_fdw: session %s is gone; creating a new one",
					 conn->session);
				session_retried = true;
				spanner_session_gone(conn, &err);
				continue;
			}
			spanner_session_gone(conn, &err);
		}
		/* a session creation is always idempotent */
		if (sp_error_transient(&err) && (idempotent || creating))
		{
			if (transient_retry(conn, &err, attempts, start, &note))
				continue;
		}
		if (err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_ABORTED &&
			aborts < max_aborts)
		{
			if (abort_backoff(conn, &err, aborts, attempts, start, &note))
			{
				aborts++;
				continue;
			}
		}
		if (err.kind == SP_ERR_TRANSPORT && have_reached && !err.conn_lost)
		{
			/*
			 * An earlier attempt may have been acted on, and the later ones
			 * could not reach Spanner (it went away): the earlier one is
			 * the error that says what may have happened.
			 */
			note = psprintf("%s The last attempt could not reach Spanner: %s",
							note ? note : psprintf("The request was made %d times.", attempts),
							err.message);
			err = reached;
		}
		if (note == NULL && attempts > 1)
			note = psprintf("The request was made %d times.", attempts);
		spanner_report_error_note(ERROR, &err, sql, note);
	}
}

/*
 * spanner_run
 *		Run a request that must not be repeated after a transient failure
 *		(a commit: its outcome would be unknown).
 */
void
spanner_run(SpannerConnection *conn, SpannerAttemptFn attempt, void *arg,
			const char *sql)
{
	run(conn, attempt, arg, sql, 0, false);
}

/*
 * spanner_run_idempotent
 *		spanner_run for a request that may be made again after a transient
 *		failure: making it twice has the effect of making it once.
 */
void
spanner_run_idempotent(SpannerConnection *conn, SpannerAttemptFn attempt,
					   void *arg, const char *sql)
{
	run(conn, attempt, arg, sql, 0, true);
}

/*
 * spanner_run_retrying_aborts
 *		spanner_run for a request that may be repeated after ABORTED.
 */
void
spanner_run_retrying_aborts(SpannerConnection *conn, SpannerAttemptFn attempt,
							void *arg, const char *sql)
{
	run(conn, attempt, arg, sql, SPANNER_MAX_ABORT_RETRIES, false);
}

/*
 * spanner_run_quiet
 *		Make an idempotent request on the connection's existing session
 *		(none is created), repeating transient failures for at most
 *		budget_ms (and retry_timeout); never raises an error, so it can run
 *		while a transaction aborts.  Returns true on success, else false
 *		with *err set.  A pending cancel or exit stops the waiting.
 */
bool
spanner_run_quiet(SpannerConnection *conn, SpannerAttemptFn attempt, void *arg,
				  long budget_ms, SpError *err)
{
	TimestampTz start = GetCurrentTimestamp();
	long		budget = Min(budget_ms, (long) conn->retry_timeout_ms);
	int			attempts = 0;

	for (;;)
	{
		long		delay;

		sp_error_clear(err);
		attempts++;
		if (attempt(conn, arg, err))
			return true;
		if (!sp_error_transient(err))
			return false;
		delay = backoff_ms(err, attempts);
		if (budget <= 0 ||
			TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()) + delay > budget)
			return false;
		elog(DEBUG1, "spanner_fdw: attempt %d failed (%s: %s); trying again in %ld ms",
			 attempts, err->kind == SP_ERR_REMOTE ? err->status : "transport",
			 err->message, delay);
		if (!retry_sleep(delay, true))
			return false;
	}
}
