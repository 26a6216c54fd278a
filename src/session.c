/*-------------------------------------------------------------------------
 *
 * session.c
 *		  The Spanner session a connection owns: created on first use,
 *		  reused for the life of the connection, forgotten when Spanner says
 *		  it is gone (retry.c then decides whether a new one may take its
 *		  place), and deleted when the connection closes.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/session.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "utils/json.h"
#include "utils/memutils.h"

#include "connection.h"

/* How long a session DELETE may take: it also runs at commit and exit. */
#define SESSION_DELETE_TIMEOUT_MS 5000L

/*
 * spanner_session_ensure
 *		Create the connection's session if it has none.  Returns false with
 *		err set if Spanner refused; the caller decides what that means.
 */
bool
spanner_session_ensure(SpannerConnection *conn, SpError *err)
{
	StringInfoData body;
	char	   *path;
	json_object *resp = NULL;
	json_object *name;
	bool		ok;

	if (conn->session)
		return true;

	initStringInfo(&body);
	if (conn->database_role)
	{
		appendStringInfoString(&body, "{\"session\":{\"creatorRole\":");
		escape_json(&body, conn->database_role);
		appendStringInfoString(&body, "}}");
	}
	else
		appendStringInfoString(&body, "{}");
	path = psprintf("/v1/%s/sessions", conn->dbpath);

	ok = sp_conn_call(conn->rest, "POST", path, spanner_to_utf8(body.data), &resp, err);
	pfree(path);
	pfree(body.data);
	if (!ok)
		return false;

	if (resp == NULL || !json_object_object_get_ex(resp, "name", &name) ||
		!json_object_is_type(name, json_type_string))
	{
		json_object_put(resp);
		sp_error_set(err, SP_ERR_PROTOCOL,
					 "the response to a session creation has no session name");
		return false;
	}
	conn->session = MemoryContextStrdup(conn->cxt, json_object_get_string(name));
	json_object_put(resp);
	return true;
}

/*
 * spanner_session_forget
 *		Drop the session name (Spanner no longer has it).
 */
void
spanner_session_forget(SpannerConnection *conn)
{
	if (conn->session)
		pfree(conn->session);
	conn->session = NULL;
}

/*
 * spanner_session_rollback
 *		One rollback request for the read-write transaction the session
 *		holds, time-bounded; changes nothing of the connection's state.
 *		Returns false with err set if it failed.  Never raises an error (it
 *		runs while a transaction aborts).  Rolling back twice is harmless,
 *		so it may be made again (commit.c does, through retry.c).
 */
bool
spanner_session_rollback(SpannerConnection *conn, SpError *err)
{
	json_object *resp = NULL;
	StringInfoData body;
	char	   *path;
	bool		ok;

	initStringInfo(&body);
	appendStringInfoString(&body, "{\"transactionId\":");
	escape_json(&body, conn->xact.id);
	appendStringInfoChar(&body, '}');
	path = psprintf("/v1/%s:rollback", conn->session);
	sp_conn_set_request_timeout(conn->rest, SESSION_DELETE_TIMEOUT_MS);
	ok = sp_conn_call(conn->rest, "POST", path, body.data, &resp, err);
	sp_conn_set_request_timeout(conn->rest, 0);
	json_object_put(resp);
	pfree(path);
	pfree(body.data);
	return ok;
}

/*
 * spanner_session_xact_released
 *		The read-write transaction was rolled back (ok), or could not be:
 *		then the session is forgotten, not deleted: Spanner ends an idle
 *		transaction by itself, and a session must not be deleted or handed
 *		to another transaction while it holds one.
 */
void
spanner_session_xact_released(SpannerConnection *conn, bool ok, const SpError *err)
{
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	if (!ok && conn->session)
	{
		elog(DEBUG1, "spanner_fdw: rollback failed (%s); leaving session %s",
			 err->message, conn->session);
		spanner_session_forget(conn);
	}
}

/*
 * spanner_session_release_xact
 *		Best-effort, time-bounded rollback of the read-write transaction the
 *		session holds, so that the session can be reused or deleted: one
 *		request (the abort path of commit.c repeats transient failures
 *		first; this is what is left for a backend that exits or a
 *		connection closed in a transaction).  Never raises an error.
 */
void
spanner_session_release_xact(SpannerConnection *conn)
{
	SpError		err;
	bool		ok;

	if (conn->xact.kind != SPANNER_XACT_READ_WRITE || conn->xact.id == NULL)
		return;
	if (conn->rest == NULL || conn->session == NULL)
		return;
	sp_error_clear(&err);
	ok = spanner_session_rollback(conn, &err);
	spanner_session_xact_released(conn, ok, &err);
}

/*
 * spanner_session_delete
 *		Best-effort, time-bounded DELETE of the session, then forget it.  A
 *		read-write transaction it holds is rolled back first.
 */
void
spanner_session_delete(SpannerConnection *conn)
{
	spanner_session_release_xact(conn);
	if (conn->rest && conn->session)
	{
		json_object *resp = NULL;
		SpError		err;
		char	   *path = psprintf("/v1/%s", conn->session);

		sp_conn_set_request_timeout(conn->rest, SESSION_DELETE_TIMEOUT_MS);
		(void) sp_conn_call(conn->rest, "DELETE", path, NULL, &resp, &err);
		sp_conn_set_request_timeout(conn->rest, 0);
		json_object_put(resp);
		pfree(path);
	}
	spanner_session_forget(conn);
}
