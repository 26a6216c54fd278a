/*-------------------------------------------------------------------------
 *
 * session.c
 *		  The Spanner session a connection uses: created on first use,
 *		  reused for the life of the connection, forgotten when Spanner says
 *		  it is gone (retry.c then decides whether a new one may take its
 *		  place), and deleted when the connection closes.
 *
 * Every session is asked for as a multiplexed one (Session.multiplexed in
 * google/spanner/v1 spanner.proto).  Where Spanner's answer confirms it
 * ("multiplexed": true), every transaction of the connection runs on it,
 * concurrently with those of other connections; it is kept for reuse by
 * session_cache.c (in shared memory with shared_preload_libraries, so a
 * new backend's first query makes no session call), replaced after 7 days
 * as Google's client libraries do, and never deleted: Spanner refuses to
 * delete a multiplexed session and drops it itself after 28 days.  Where
 * the answer does not say so (the emulator makes a regular session of the
 * request), the session is the connection's own, as before: one
 * transaction at a time, deleted when the connection closes.
 *
 * A regular session, after a sign that the server may have gone away (a
 * request that failed at the transport level, or a connection the server
 * closed), is looked up once before it is used again and its creation time
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

#include <time.h>

#include "utils/json.h"
#include "utils/memutils.h"

#include "connection.h"

/* How long a session DELETE may take: it also runs at commit and exit. */
#define SESSION_DELETE_TIMEOUT_MS 5000L

/* Age after which a multiplexed session is replaced (session_cache.c). */
#define SESSION_REPLACE_AFTER_S (7 * 24 * 3600)

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

	if (sp_conn_server_lost(conn->rest) && !conn->multiplexed)
		conn->session_unverified = true;
	if (!conn->session_unverified)
		return true;
	path = psprintf("/v1/%s", conn->session);
	ok = sp_conn_call(conn->rest, "GET", path, NULL, &resp, err);
	pfree(path);
	if (!ok)
		return false;
	if (conn->session_create_time != NULL &&
		!(resp != NULL && json_object_object_get_ex(resp, "createTime", &ct) &&
		  json_object_is_type(ct, json_type_string) &&
		  strcmp(json_object_get_string(ct), conn->session_create_time) == 0))
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
 *		Give the connection a session if it has none: the multiplexed one
 *		kept for its key, else a new one.  Returns false with err set if
 *		Spanner refused; the caller decides what that means.
 */
bool
spanner_session_ensure(SpannerConnection *conn, SpError *err)
{
	StringInfoData body;
	char	   *path;
	json_object *resp = NULL;
	json_object *name;
	json_object *mux;
	bool		ok;
	int64		created;

	if (conn->session)
	{
		/* a week-old multiplexed session is replaced between transactions */
		if (!conn->multiplexed || conn->xact.id != NULL || conn->xact.rw_begun ||
			(int64) time(NULL) < conn->session_created + SESSION_REPLACE_AFTER_S)
			return conn->multiplexed || session_verify(conn, err);
		spanner_session_forget(conn);
	}

	if (conn->session_key_set)
	{
		char	   *kept = spanner_session_cache_get(conn->session_key, &created);

		if (kept)
		{
			conn->session = MemoryContextStrdup(conn->cxt, kept);
			conn->session_gen++;
			conn->multiplexed = true;
			conn->session_created = created;
			pfree(kept);
			return true;
		}
	}

	initStringInfo(&body);
	appendStringInfoString(&body, "{\"session\":{\"multiplexed\":true");
	if (conn->database_role)
	{
		appendStringInfoString(&body, ",\"creatorRole\":");
		escape_json(&body, conn->database_role);
	}
	appendStringInfoString(&body, "}}");
	path = psprintf("/v1/%s/sessions", conn->dbpath);

	ok = sp_conn_call(conn->rest, "POST", path, spanner_to_utf8(body.data), &resp, err);
	pfree(path);
	pfree(body.data);
	if (!ok)
	{
		spanner_session_cache_release_claim();
		return false;
	}

	if (resp == NULL || !json_object_object_get_ex(resp, "name", &name) ||
		!json_object_is_type(name, json_type_string))
	{
		json_object_put(resp);
		spanner_session_cache_release_claim();
		sp_error_set(err, SP_ERR_PROTOCOL,
					 "the response to a session creation has no session name");
		return false;
	}
	conn->session = MemoryContextStrdup(conn->cxt, json_object_get_string(name));
	conn->session_gen++;
	conn->multiplexed = json_object_object_get_ex(resp, "multiplexed", &mux) &&
		json_object_is_type(mux, json_type_boolean) && json_object_get_boolean(mux);
	conn->session_created = (int64) time(NULL);
	if (json_object_object_get_ex(resp, "createTime", &name) &&
		json_object_is_type(name, json_type_string))
		conn->session_create_time =
			MemoryContextStrdup(conn->cxt, json_object_get_string(name));
	conn->session_unverified = false;
	/* (signs from before this session are no sign against it) */
	(void) sp_conn_server_lost(conn->rest);
	json_object_put(resp);
	if (conn->session_key_set)
		spanner_session_cache_put(conn->session_key,
								  conn->multiplexed ? conn->session : NULL,
								  conn->session_created);
	else
		spanner_session_cache_release_claim();
	elog(DEBUG1, "spanner_fdw: created %s session %s",
		 conn->multiplexed ? "multiplexed" : "regular", conn->session);
	return true;
}

/*
 * spanner_session_forget
 *		Drop the connection's session name (Spanner no longer has it, or a
 *		multiplexed one is left to the others that use it).
 */
void
spanner_session_forget(SpannerConnection *conn)
{
	if (conn->session)
		pfree(conn->session);
	conn->session = NULL;
	conn->multiplexed = false;
	if (conn->session_create_time)
		pfree(conn->session_create_time);
	conn->session_create_time = NULL;
	conn->session_unverified = false;
}

/*
 * spanner_session_gone
 *		Spanner says the session is gone (err: NOT_FOUND "Session not
 *		found", or NULL): forget it, and a multiplexed one in the session
 *		cache too, so that the next use by any backend creates another.  A
 *		multiplexed session that only did not know one transaction id is
 *		kept: it carries the transactions of other backends as well, and it
 *		was not renamed (it is never looked up by name alone).
 */
void
spanner_session_gone(SpannerConnection *conn, const SpError *err)
{
	if (conn->multiplexed && err != NULL && err->txn_not_found)
		return;
	if (conn->session && conn->multiplexed && conn->session_key_set)
		spanner_session_cache_drop(conn->session_key, conn->session);
	spanner_session_forget(conn);
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
	/* (a name that is not ours any more holds no transaction of ours) */
	ok = session_verify(conn, err) &&
		sp_conn_call(conn->rest, "POST", path, body.data, &resp, err);
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
	/* a multiplexed session runs other transactions meanwhile: keep it */
	if (!ok && conn->session && !conn->multiplexed)
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
 *		read-write transaction it holds is rolled back first.  A multiplexed
 *		session is only forgotten: Spanner cannot delete one, and other
 *		 connections use it.  A regular session whose name may now be another
 *		client's (see the header) is deleted only once the lookup says it
 *		is still ours.
 */
void
spanner_session_delete(SpannerConnection *conn)
{
	spanner_session_release_xact(conn);
	if (conn->rest && conn->session && !conn->multiplexed)
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
