/*-------------------------------------------------------------------------
 *
 * session.c
 *		  The Spanner session a connection owns: created on first use,
 *		  reused for the life of the connection, forgotten when Spanner says
 *		  it is gone (retry.c then decides whether a new one may take its
 *		  place), and deleted when the connection closes.
 *
 * After a sign that the server may have gone away (a request that failed
 * at the transport level, or a connection the server closed), the session
 * is looked up once before it is used again and its creation time
 * compared: a restarted emulator numbers sessions from 0 again, so the name
 * may by then belong to another client's session, which must be neither
 * used nor deleted.  Production's session names are never reused; the
 * check costs one GET, after such a sign only.
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
 * session_verify
 *		Is the connection's session (conn->session, not NULL) still the one
 *		it created?  Asks Spanner only after a sign that the server may
 *		have gone away (see the header).  Returns false with err set if it
 *		could not tell (the error of the lookup) or if the session is not
 *		ours any more (err->session_gone).
 */
static bool
session_verify(SpannerConnection *conn, SpError *err)
{
	json_object *resp = NULL;
	json_object *ct;
	char	   *path;
	bool		ok;

	if (sp_conn_server_lost(conn->rest))
		conn->session_unverified = true;
	if (!conn->session_unverified)
		return true;
	path = psprintf("/v1/%s", conn->session);
	ok = sp_conn_call(conn->rest, "GET", path, NULL, &resp, err);
	pfree(path);
	if (!ok)
		return false;
	if (conn->session_created != NULL &&
		!(resp != NULL && json_object_object_get_ex(resp, "createTime", &ct) &&
		  json_object_is_type(ct, json_type_string) &&
		  strcmp(json_object_get_string(ct), conn->session_created) == 0))
	{
		json_object_put(resp);
		sp_error_clear(err);
		sp_error_set(err, SP_ERR_REMOTE,
					 "Session not found: %s (the name now belongs to a session created since: Spanner restarted)",
					 conn->session);
		err->grpc_code = SP_GRPC_NOT_FOUND;
		snprintf(err->status, sizeof(err->status), "%s",
				 sp_grpc_code_name(SP_GRPC_NOT_FOUND));
		err->session_gone = true;
		return false;
	}
	json_object_put(resp);
	elog(DEBUG1, "spanner_fdw: session %s is still ours", conn->session);
	conn->session_unverified = false;
	return true;
}

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
		return session_verify(conn, err);

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
	if (json_object_object_get_ex(resp, "createTime", &name) &&
		json_object_is_type(name, json_type_string))
		conn->session_created = MemoryContextStrdup(conn->cxt,
													json_object_get_string(name));
	conn->session_unverified = false;
	/* (signs from before this session are no sign against it) */
	(void) sp_conn_server_lost(conn->rest);
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
	if (conn->session_created)
		pfree(conn->session_created);
	conn->session_created = NULL;
	conn->session_unverified = false;
}

/*
 * spanner_session_release_xact
 *		Best-effort, time-bounded rollback of the read-write transaction the
 *		session holds, so that the session can be reused or deleted.  Never
 *		raises an error (it runs while a transaction aborts).  If the
 *		rollback fails the session is forgotten, not deleted: Spanner ends
 *		an idle transaction by itself, and a session must not be deleted or
 *		handed to another transaction while it holds one.  So is a session
 *		whose name may now be another client's (see the header).
 */
void
spanner_session_release_xact(SpannerConnection *conn)
{
	json_object *resp = NULL;
	SpError		err;
	StringInfoData body;
	char	   *path;
	bool		ok;

	if (conn->xact.kind != SPANNER_XACT_READ_WRITE || conn->xact.id == NULL)
		return;
	if (conn->rest == NULL || conn->session == NULL)
		return;
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"transactionId\":");
	escape_json(&body, conn->xact.id);
	appendStringInfoChar(&body, '}');
	path = psprintf("/v1/%s:rollback", conn->session);
	sp_conn_set_request_timeout(conn->rest, SESSION_DELETE_TIMEOUT_MS);
	/* (a name that is not ours any more holds no transaction of ours) */
	ok = session_verify(conn, &err) &&
		sp_conn_call(conn->rest, "POST", path, body.data, &resp, &err);
	sp_conn_set_request_timeout(conn->rest, 0);
	json_object_put(resp);
	pfree(path);
	pfree(body.data);
	pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	if (!ok)
	{
		elog(DEBUG1, "spanner_fdw: rollback failed (%s); leaving session %s",
			 err.message, conn->session);
		spanner_session_forget(conn);
	}
}

/*
 * spanner_session_delete
 *		Best-effort, time-bounded DELETE of the session, then forget it.  A
 *		read-write transaction it holds is rolled back first.  A session
 *		whose name may now be another client's (see the header) is deleted
 *		only once the lookup says it is still ours.
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
		if (session_verify(conn, &err))
			(void) sp_conn_call(conn->rest, "DELETE", path, NULL, &resp, &err);
		sp_conn_set_request_timeout(conn->rest, 0);
		json_object_put(resp);
		pfree(path);
	}
	spanner_session_forget(conn);
}
