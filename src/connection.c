/*-------------------------------------------------------------------------
 *
 * connection.c
 *		  Connection management for spanner_fdw: the per-backend cache of
 *		  REST connections and Spanner sessions, the transaction state kept
 *		  on them, and the funnel that turns client errors into ereports.
 *
 * One cache entry per user mapping.  An entry owns an SpConn (a libcurl
 * multi handle with keep-alive connections), the bearer token, and the
 * Spanner session used for this backend's reads.  Sessions are created on
 * first use, reused for the life of the backend, recreated when Spanner says
 * they are gone, and deleted at backend exit.
 *
 * Reads: the first scan of a PostgreSQL transaction begins a strong
 * read-only Spanner transaction inline (one round trip) and every later scan
 * of that transaction uses its id, so a statement - and a transaction block
 * - sees one snapshot.  Read-only transactions need no commit: the id is
 * simply forgotten at transaction end.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/connection.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "spanner_fdw.h"

/* An open stream, remembered so that an aborted transaction can close it. */
typedef struct OpenStream
{
	SpStream   *st;
	int			nest_level;		/* (sub)transaction level that owns it */
	uint64		id;				/* what the scan's SpannerStreamRef holds */
} OpenStream;

static uint64 next_stream_id = 1;

#define MAX_OPEN_STREAMS 64

struct SpannerConnection
{
	Oid			key;			/* hash key: user mapping OID; must be first */
	Oid			serverid;
	Oid			userid;
	SpConn	   *rest;			/* NULL if not connected */
	char	   *dbpath;			/* projects/P/instances/I/databases/D */
	char	   *session;		/* session resource name, or NULL */
	char	   *database_role;	/* creator role for sessions, or NULL */
	bool		keep_connections;
	bool		invalidated;	/* options changed: reconnect when idle */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	SpannerAuthMethod auth;
	SpannerAuthState *auth_state;	/* external_account state, or NULL */

	/* state of the current PostgreSQL transaction */
	bool		in_xact;		/* used in the current transaction */
	char	   *txn_id;			/* read-only Spanner transaction id */
	bool		snapshot_lost;	/* the transaction's snapshot went with its
								 * session: later reads must not start another */
	OpenStream	streams[MAX_OPEN_STREAMS];
	int			nstreams;
};

static HTAB *ConnectionHash = NULL;
static bool xact_got_connection = false;

static void make_new_connection(SpannerConnection *entry, UserMapping *user);
static void disconnect_entry(SpannerConnection *entry);
static void ensure_session(SpannerConnection *entry);
static void forget_session(SpannerConnection *entry);
static bool spanner_wait(void *arg, int fd, bool want_read, bool want_write,
						 long timeout_ms);
static bool spanner_interrupted(void *arg);
static void spanner_xact_callback(XactEvent event, void *arg);
static void spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									 SubTransactionId parentSubid, void *arg);
static void spanner_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void spanner_exit_callback(int code, Datum arg);
static void close_streams(SpannerConnection *entry, int min_level);
static void refresh_token(SpannerConnection *entry, bool force);
static char *to_utf8(char *s);
static void report_snapshot_lost(const char *sql) pg_attribute_noreturn();

PG_FUNCTION_INFO_V1(spanner_fdw_get_connections);
PG_FUNCTION_INFO_V1(spanner_fdw_disconnect);
PG_FUNCTION_INFO_V1(spanner_fdw_disconnect_all);

/*
 * spanner_get_connection
 *		Get the cached connection for a user mapping, making it if needed.
 */
SpannerConnection *
spanner_get_connection(UserMapping *user)
{
	bool		found;
	SpannerConnection *entry;

	if (ConnectionHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SpannerConnection);
		ConnectionHash = hash_create("spanner_fdw connections", 8, &ctl,
									 HASH_ELEM | HASH_BLOBS);
		RegisterXactCallback(spanner_xact_callback, NULL);
		RegisterSubXactCallback(spanner_subxact_callback, NULL);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, spanner_inval_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, spanner_inval_callback, (Datum) 0);
		before_shmem_exit(spanner_exit_callback, (Datum) 0);
	}

	xact_got_connection = true;

	entry = hash_search(ConnectionHash, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		/* zero everything but the key */
		memset(((char *) entry) + sizeof(Oid), 0, sizeof(SpannerConnection) - sizeof(Oid));
	}

	/* options changed since we connected: start afresh if not in use */
	if (entry->rest != NULL && entry->invalidated && !entry->in_xact)
	{
		elog(DEBUG3, "spanner_fdw: closing connection for user mapping %u after option change",
			 user->umid);
		disconnect_entry(entry);
	}

	if (entry->rest == NULL)
		make_new_connection(entry, user);

	entry->in_xact = true;
	refresh_token(entry, false);
	return entry;
}

static void
make_new_connection(SpannerConnection *entry, UserMapping *user)
{
	SpannerOptions opts;
	SpConnConfig cfg;
	SpError		err;
	ForeignServer *server = GetForeignServer(user->serverid);
	SpConn	   *volatile rest = NULL;
	SpannerAuthState *volatile auth_state = NULL;

	spanner_get_options(user->serverid, user->userid, &opts);

	if (opts.auth == SPANNER_AUTH_UNSET)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("no authentication configured for server \"%s\"", server->servername),
				 errdetail("The user mapping has none of the options \"auth\", \"access_token\", \"credentials_file\" or \"credentials_json\", and the server has no \"credentials_file\"."),
				 errhint("Create the user mapping with OPTIONS (auth 'external_account', ...) or, for development, OPTIONS (access_token '...').")));
	if (opts.auth == SPANNER_AUTH_NONE && !spanner_is_loopback_url(opts.endpoint))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("auth 'none' is allowed only for a loopback endpoint"),
				 errdetail("Server \"%s\" uses endpoint \"%s\".", server->servername, opts.endpoint),
				 errhint("Use auth 'external_account' or 'access_token' for a real Spanner endpoint.")));
	if (opts.auth == SPANNER_AUTH_ACCESS_TOKEN && opts.access_token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has auth 'access_token' but no \"access_token\" option",
						server->servername)));

	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = opts.endpoint;
	cfg.ca_file = opts.ca_file;
	cfg.connect_timeout_ms = (long) opts.connect_timeout * 1000L;
	cfg.request_timeout_ms = 0;
	cfg.read_timeout_ms = (long) opts.read_timeout * 1000L;
	cfg.wait = spanner_wait;
	cfg.wait_arg = NULL;
	cfg.interrupted = spanner_interrupted;

	rest = sp_conn_new(&cfg, &err);
	if (rest == NULL)
		spanner_report_error(ERROR, &err, NULL);

	/* Free the client if the rest of the set-up fails; keep it otherwise. */
	PG_TRY();
	{
		if (opts.auth == SPANNER_AUTH_ACCESS_TOKEN)
		{
			if (!sp_conn_set_token(rest, opts.access_token))
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		else if (opts.auth == SPANNER_AUTH_EXTERNAL_ACCOUNT)
			auth_state = spanner_auth_state_new(&opts, server->servername);
	}
	PG_CATCH();
	{
		sp_conn_free(rest);
		PG_RE_THROW();
	}
	PG_END_TRY();

	entry->serverid = user->serverid;
	entry->userid = user->userid;
	entry->auth = opts.auth;
	entry->auth_state = auth_state;
	entry->keep_connections = opts.keep_connections;
	entry->invalidated = false;
	entry->snapshot_lost = false;
	entry->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
													ObjectIdGetDatum(server->serverid));
	entry->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													 ObjectIdGetDatum(user->umid));
	entry->dbpath = MemoryContextStrdup(TopMemoryContext,
										psprintf("projects/%s/instances/%s/databases/%s",
												 opts.project, opts.instance, opts.database));
	entry->database_role = opts.database_role ?
		MemoryContextStrdup(TopMemoryContext, opts.database_role) : NULL;
	/* last: a non-NULL rest means a complete entry */
	entry->rest = rest;
}

/*
 * Get (or refresh ahead of expiry) the bearer token of an external-account
 * connection.  force: the last request was refused with 401.
 */
static void
refresh_token(SpannerConnection *entry, bool force)
{
	if (entry->auth != SPANNER_AUTH_EXTERNAL_ACCOUNT || entry->auth_state == NULL)
		return;
	spanner_auth_apply(entry->auth_state, entry->rest, force);
}

static void
disconnect_entry(SpannerConnection *entry)
{
	close_streams(entry, 0);
	if (entry->rest && entry->session)
	{
		/* best effort: a read-only session holds no open read-write work */
		json_object *resp = NULL;
		SpError		err;
		char	   *path = psprintf("/v1/%s", entry->session);

		/* bounded: this also runs at commit, abort and backend exit */
		sp_conn_set_request_timeout(entry->rest, 5000L);
		(void) sp_conn_call(entry->rest, "DELETE", path, NULL, &resp, &err);
		json_object_put(resp);
		pfree(path);
	}
	forget_session(entry);
	if (entry->rest)
		sp_conn_free(entry->rest);
	entry->rest = NULL;
	if (entry->auth_state)
		spanner_auth_state_free(entry->auth_state);
	entry->auth_state = NULL;
	if (entry->dbpath)
		pfree(entry->dbpath);
	entry->dbpath = NULL;
	if (entry->database_role)
		pfree(entry->database_role);
	entry->database_role = NULL;
	if (entry->txn_id)
		pfree(entry->txn_id);
	entry->txn_id = NULL;
}

static void
forget_session(SpannerConnection *entry)
{
	if (entry->session)
		pfree(entry->session);
	entry->session = NULL;
}

/*
 * Create the Spanner session of a connection if it has none.
 */
static void
ensure_session(SpannerConnection *entry)
{
	StringInfoData body;
	char	   *path;
	json_object *resp = NULL;
	json_object *name;
	SpError		err;
	int			attempt;

	if (entry->session)
		return;

	initStringInfo(&body);
	if (entry->database_role)
	{
		appendStringInfoString(&body, "{\"session\":{\"creatorRole\":");
		escape_json(&body, entry->database_role);
		appendStringInfoString(&body, "}}");
	}
	else
		appendStringInfoString(&body, "{}");
	path = psprintf("/v1/%s/sessions", entry->dbpath);

	for (attempt = 0;; attempt++)
	{
		if (sp_conn_call(entry->rest, "POST", path, to_utf8(body.data), &resp, &err))
			break;
		if (attempt == 0 && err.kind == SP_ERR_REMOTE &&
			err.grpc_code == SP_GRPC_UNAUTHENTICATED &&
			entry->auth == SPANNER_AUTH_EXTERNAL_ACCOUNT)
		{
			refresh_token(entry, true);
			continue;
		}
		if (err.session_gone)
		{
			/* on the emulator, an unknown database looks like this */
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not create a Spanner session for database \"%s\"",
							entry->dbpath),
					 errdetail_internal("%s", err.message),
					 errhint("Check that the project, instance and database exist.")));
		}
		spanner_report_error(ERROR, &err, NULL);
	}

	if (resp == NULL || !json_object_object_get_ex(resp, "name", &name) ||
		!json_object_is_type(name, json_type_string))
	{
		json_object_put(resp);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("unexpected response to a Spanner session creation: no session name")));
	}
	entry->session = MemoryContextStrdup(TopMemoryContext, json_object_get_string(name));
	json_object_put(resp);
	pfree(path);
	pfree(body.data);
}




static void
remember_stream(SpannerConnection *entry, SpStream *st, SpannerStreamRef *ref)
{
	uint64		id = next_stream_id++;

	if (entry->nstreams >= MAX_OPEN_STREAMS)
	{
		sp_stream_close(st);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many concurrent Spanner scans in one query"),
				 errdetail("At most %d scans of one server can be open at a time.", MAX_OPEN_STREAMS)));
	}
	entry->streams[entry->nstreams].st = st;
	entry->streams[entry->nstreams].nest_level = GetCurrentTransactionNestLevel();
	entry->streams[entry->nstreams].id = id;
	entry->nstreams++;
	/* the scan learns the id now; we never write into its memory later */
	ref->stream = st;
	ref->id = id;
	ref->lost = false;
}

static void
forget_stream(SpannerConnection *entry, SpStream *st)
{
	int			i;

	for (i = 0; i < entry->nstreams; i++)
	{
		if (entry->streams[i].st == st)
		{
			entry->streams[i] = entry->streams[entry->nstreams - 1];
			entry->nstreams--;
			return;
		}
	}
}

static void
close_streams(SpannerConnection *entry, int min_level)
{
	int			i = 0;

	while (i < entry->nstreams)
	{
		if (entry->streams[i].nest_level >= min_level)
		{
			/*
			 * The scan may outlive this (a cursor declared before a rolled
			 * back savepoint); it finds its id gone (spanner_ref_stream) and
			 * reports the loss.  Its memory may already be freed (portals of
			 * the aborted (sub)transaction), so it is not touched here.
			 */
			sp_stream_close(entry->streams[i].st);
			entry->streams[i] = entry->streams[entry->nstreams - 1];
			entry->nstreams--;
		}
		else
			i++;
	}
}

/* Request bodies are UTF-8 JSON, whatever the database encoding. */
static char *
to_utf8(char *s)
{
	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		return s;
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/*
 * Build an ExecuteSqlRequest body.
 */
static char *
build_query_body(SpannerConnection *entry, const char *sql, const char *params_json,
				 const char *param_types_json, bool begin, bool single_use)
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
	if (single_use)
		appendStringInfoString(&buf, ",\"transaction\":{\"singleUse\":{\"readOnly\":{\"strong\":true}}}");
	else if (begin)
		appendStringInfoString(&buf, ",\"transaction\":{\"begin\":{\"readOnly\":{\"strong\":true}}}");
	else
	{
		appendStringInfoString(&buf, ",\"transaction\":{\"id\":");
		escape_json(&buf, entry->txn_id);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	return to_utf8(buf.data);
}

/*
 * spanner_open_query
 *		Start a streaming query in the connection's read-only transaction
 *		(beginning it inline if this is the transaction's first query).
 *
 * The first message is awaited before returning, so errors known before any
 * row (syntax, unknown table) are raised here, and so the transaction id is
 * known before another scan needs it.  A session found gone is recreated
 * and the query retried once, provided no snapshot was lost.
 */
SpStream *
spanner_open_query(SpannerConnection *conn, const char *sql,
				   const char *params_json, const char *param_types_json,
				   SpannerStreamRef *ref)
{
	bool		session_retried = false;
	bool		auth_retried = false;

	if (conn->rest == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("the Spanner connection of this transaction was closed")));
	if (conn->snapshot_lost)
		report_snapshot_lost(sql);

	for (;;)
	{
		bool		begin = (conn->txn_id == NULL);
		char	   *body;
		SpStream   *st;
		SpError		err;

		ensure_session(conn);
		body = build_query_body(conn, sql, params_json, param_types_json, begin, false);
		st = sp_stream_open(conn->rest, conn->session, body,
							(size_t) spanner_resume_buffer_kb * 1024, &err);
		pfree(body);
		if (st == NULL)
			spanner_report_error(ERROR, &err, sql);
		remember_stream(conn, st, ref);

		if (sp_stream_wait_metadata(st, &err))
		{
			if (begin)
			{
				const char *id = sp_stream_transaction_id(st);

				if (id == NULL)
				{
					spanner_close_query(conn, ref);
					ereport(ERROR,
							(errcode(ERRCODE_FDW_ERROR),
							 errmsg("Spanner did not return a transaction id for an inline begin"),
							 errcontext("remote SQL command: %s", sql)));
				}
				conn->txn_id = MemoryContextStrdup(TopMemoryContext, id);
			}
			return st;
		}

		spanner_close_query(conn, ref);
		if (!session_retried && err.kind == SP_ERR_REMOTE && err.session_gone && begin)
		{
			elog(DEBUG1, "spanner_fdw: session %s is gone; creating a new one", conn->session);
			session_retried = true;
			forget_session(conn);
			continue;
		}
		if (!auth_retried && err.kind == SP_ERR_REMOTE &&
			err.grpc_code == SP_GRPC_UNAUTHENTICATED &&
			conn->auth == SPANNER_AUTH_EXTERNAL_ACCOUNT)
		{
			auth_retried = true;
			refresh_token(conn, true);
			continue;
		}
		if (err.kind == SP_ERR_REMOTE && err.session_gone && !begin)
		{
			forget_session(conn);
			conn->snapshot_lost = true;
			report_snapshot_lost(sql);
		}
		spanner_report_error(ERROR, &err, sql);
	}
}

/* Index of a registered stream id, or -1. */
static int
find_stream(SpannerConnection *conn, uint64 id)
{
	int			i;

	if (id == 0)
		return -1;
	for (i = 0; i < conn->nstreams; i++)
		if (conn->streams[i].id == id)
			return i;
	return -1;
}

/*
 * spanner_ref_stream
 *		The scan's open stream, or NULL.  If the connection closed it behind
 *		the scan's back (a rolled back subtransaction), ref->lost is set.
 */
SpStream *
spanner_ref_stream(SpannerConnection *conn, SpannerStreamRef *ref)
{
	if (ref->id == 0)
		return NULL;
	if (find_stream(conn, ref->id) < 0)
	{
		ref->stream = NULL;
		ref->id = 0;
		ref->lost = true;
		return NULL;
	}
	return ref->stream;
}

/*
 * spanner_close_query
 *		Close the scan's stream if it is still open; safe to repeat.
 */
void
spanner_close_query(SpannerConnection *conn, SpannerStreamRef *ref)
{
	int			i = find_stream(conn, ref->id);

	if (i >= 0)
	{
		SpStream   *st = conn->streams[i].st;

		forget_stream(conn, st);
		sp_stream_close(st);
	}
	ref->stream = NULL;
	ref->id = 0;
}

/*
 * spanner_fetch_row
 *		Next row of a stream: 1 with *values set, 0 at the end.  Errors are
 *		raised (the stream is closed first).
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
		forget_session(conn);
		if (conn->txn_id)
		{
			pfree(conn->txn_id);
			conn->txn_id = NULL;
		}
		conn->snapshot_lost = true;
		report_snapshot_lost(sql);
	}
	spanner_report_error(ERROR, &err, sql);
	return -1;					/* keep compiler quiet */
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
	bool		session_retried = false;
	bool		auth_retried = false;

	for (;;)
	{
		char	   *body;
		char	   *path;
		json_object *resp = NULL;
		SpError		err;
		bool		ok;

		ensure_session(conn);
		body = build_query_body(conn, sql, params_json, param_types_json, false, true);
		path = psprintf("/v1/%s:executeSql", conn->session);
		ok = sp_conn_call(conn->rest, "POST", path, body, &resp, &err);
		pfree(body);
		pfree(path);
		if (ok)
			return resp;
		if (!session_retried && err.kind == SP_ERR_REMOTE && err.session_gone)
		{
			session_retried = true;
			forget_session(conn);
			continue;
		}
		if (!auth_retried && err.kind == SP_ERR_REMOTE &&
			err.grpc_code == SP_GRPC_UNAUTHENTICATED &&
			conn->auth == SPANNER_AUTH_EXTERNAL_ACCOUNT)
		{
			auth_retried = true;
			refresh_token(conn, true);
			continue;
		}
		spanner_report_error(ERROR, &err, sql);
	}
}

/*
 * spanner_report_error
 *		The one funnel for client errors: map to a SQLSTATE and ereport.
 *
 * The remote message goes in the detail.  A pending cancel wins over the
 * error it caused.
 */
void
spanner_report_error(int elevel, SpError *err, const char *sql)
{
	int			sqlstate = ERRCODE_FDW_ERROR;
	const char *primary = NULL;
	const char *hint = NULL;
	const char *msg = err->message;

	CHECK_FOR_INTERRUPTS();

	switch (err->kind)
	{
		case SP_OK:
		case SP_ERR_USAGE:
			sqlstate = ERRCODE_INTERNAL_ERROR;
			primary = "Spanner client error";
			break;
		case SP_ERR_CANCELLED:
			sqlstate = ERRCODE_QUERY_CANCELED;
			primary = "canceling Spanner request due to user request";
			break;
		case SP_ERR_TRANSPORT:
			sqlstate = err->after_data ? ERRCODE_CONNECTION_FAILURE
				: ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			primary = err->after_data ? "connection to Spanner lost while reading a result"
				: "could not reach Spanner";
			hint = "Check the server's \"endpoint\" option and the network.";
			break;
		case SP_ERR_PROTOCOL:
			sqlstate = ERRCODE_PROTOCOL_VIOLATION;
			primary = "invalid response from Spanner";
			break;
		case SP_ERR_TOO_LARGE:
			sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			primary = "response from Spanner is too large";
			break;
		case SP_ERR_NOMEM:
			sqlstate = ERRCODE_OUT_OF_MEMORY;
			primary = "out of memory in the Spanner client";
			break;
		case SP_ERR_REMOTE:
			switch (err->grpc_code)
			{
				case SP_GRPC_INVALID_ARGUMENT:
					if (strncmp(msg, "Syntax error", 12) == 0)
						sqlstate = ERRCODE_SYNTAX_ERROR;
					else if (strncmp(msg, "Table not found", 15) == 0)
						sqlstate = ERRCODE_FDW_TABLE_NOT_FOUND;
					else if (strncmp(msg, "Unrecognized name", 17) == 0 ||
							 strstr(msg, "does not have a field named") != NULL ||
							 strncmp(msg, "Column not found", 16) == 0)
						sqlstate = ERRCODE_FDW_COLUMN_NAME_NOT_FOUND;
					else
						sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
					break;
				case SP_GRPC_NOT_FOUND:
					sqlstate = ERRCODE_FDW_TABLE_NOT_FOUND;
					if (err->session_gone)
						hint = "The Spanner session, database or instance does not exist.";
					break;
				case SP_GRPC_ALREADY_EXISTS:
					sqlstate = ERRCODE_UNIQUE_VIOLATION;
					break;
				case SP_GRPC_PERMISSION_DENIED:
					sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
					hint = "Check the IAM roles of the service account, and the user mapping's \"database_role\".";
					break;
				case SP_GRPC_UNAUTHENTICATED:
					sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
					hint = "Check the credentials in the user mapping.";
					break;
				case SP_GRPC_RESOURCE_EXHAUSTED:
					sqlstate = ERRCODE_INSUFFICIENT_RESOURCES;
					break;
				case SP_GRPC_FAILED_PRECONDITION:
					sqlstate = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
					break;
				case SP_GRPC_ABORTED:
					sqlstate = ERRCODE_T_R_SERIALIZATION_FAILURE;
					hint = "Retry the transaction.";
					break;
				case SP_GRPC_OUT_OF_RANGE:
					if (strstr(msg, "division by zero") != NULL)
						sqlstate = ERRCODE_DIVISION_BY_ZERO;
					else
						sqlstate = ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
					break;
				case SP_GRPC_UNIMPLEMENTED:
					sqlstate = ERRCODE_FEATURE_NOT_SUPPORTED;
					break;
				case SP_GRPC_UNAVAILABLE:
					sqlstate = ERRCODE_CONNECTION_FAILURE;
					hint = "Spanner is unavailable; retry later.";
					break;
				case SP_GRPC_DEADLINE_EXCEEDED:
				case SP_GRPC_CANCELLED:
					sqlstate = ERRCODE_QUERY_CANCELED;
					break;
				default:
					sqlstate = ERRCODE_FDW_ERROR;
					break;
			}
			break;
	}

	if (err->kind == SP_ERR_REMOTE)
		ereport(elevel,
				(errcode(sqlstate),
				 errmsg("Spanner request failed: %s", err->status),
				 errdetail_internal("%s", msg),
				 hint ? errhint("%s", hint) : 0,
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
	else
		ereport(elevel,
				(errcode(sqlstate),
				 errmsg_internal("%s", primary),
				 err->kind != SP_ERR_CANCELLED ? errdetail_internal("%s", msg) : 0,
				 hint ? errhint("%s", hint) : 0,
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
	pg_unreachable();
}

/*
 * The transaction's read-only snapshot went with its session: the
 * transaction cannot go on reading one consistent state.
 */
static void
report_snapshot_lost(const char *sql)
{
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("the Spanner session of this transaction expired"),
			 errdetail("The transaction's read snapshot was lost with the session."),
			 errhint("Retry the transaction."),
			 sql ? errcontext("remote SQL command: %s", sql) : 0));
}

/*
 * Wait callback for the REST client: sleep on the socket and our latch, so
 * a cancel or termination request interrupts at once.
 */
static bool
spanner_wait(void *arg, int fd, bool want_read, bool want_write, long timeout_ms)
{
	int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
	int			rc;

	if (fd >= 0 && want_read)
		events |= WL_SOCKET_READABLE;
	if (fd >= 0 && want_write)
		events |= WL_SOCKET_WRITEABLE;
	if (timeout_ms >= 0)
		events |= WL_TIMEOUT;
	if (!(events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE | WL_TIMEOUT)))
	{
		events |= WL_TIMEOUT;
		timeout_ms = 100;
	}
	rc = WaitLatchOrSocket(MyLatch, events,
						   (events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE)) ? fd : PGINVALID_SOCKET,
						   timeout_ms, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	return (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

/* Polled by libcurl's progress callback: is a cancel or exit pending? */
static bool
spanner_interrupted(void *arg)
{
	return (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

static void
spanner_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;

	if (!xact_got_connection)
		return;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		close_streams(entry, 0);
		if (entry->txn_id)
		{
			/* read-only transactions are not committed; just forget it */
			pfree(entry->txn_id);
			entry->txn_id = NULL;
		}
		entry->in_xact = false;
		entry->snapshot_lost = false;
		if (entry->rest && (!entry->keep_connections || entry->invalidated))
			disconnect_entry(entry);
	}
	xact_got_connection = false;
}

static void
spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;
	int			level;

	if (!xact_got_connection ||
		(event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB))
		return;
	level = GetCurrentTransactionNestLevel();
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
			close_streams(entry, level);
		else
		{
			int			i;

			/* streams of a committed subtransaction now belong to its parent */
			for (i = 0; i < entry->nstreams; i++)
				if (entry->streams[i].nest_level >= level)
					entry->streams[i].nest_level = level - 1;
		}
	}
}

/*
 * Mark connections whose server or user mapping changed.  A hashvalue of 0
 * means "all".
 */
static void
spanner_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		if (entry->rest == NULL)
			continue;
		/*
		 * Only mark it: no network traffic inside an invalidation callback
		 * (which may run during abort).  It is rebuilt at its next use, or
		 * closed at the end of the transaction using it.
		 */
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && entry->mapping_hashvalue == hashvalue))
			entry->invalidated = true;
	}
}

static void
spanner_exit_callback(int code, Datum arg)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;

	if (ConnectionHash == NULL)
		return;
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		if (entry->rest)
			disconnect_entry(entry);
	}
}

/*
 * spanner_fdw_get_connections
 *		List the open connections of this backend.
 */
Datum
spanner_fdw_get_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;

	InitMaterializedSRF(fcinfo, 0);
	if (ConnectionHash == NULL)
		PG_RETURN_VOID();

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		ForeignServer *server;

		if (entry->rest == NULL)
			continue;
		server = GetForeignServerExtended(entry->serverid, FSV_MISSING_OK);
		if (server == NULL)
			nulls[0] = true;
		else
			values[0] = CStringGetTextDatum(server->servername);
		if (OidIsValid(entry->userid))
			values[1] = CStringGetTextDatum(GetUserNameFromId(entry->userid, true) ?
											GetUserNameFromId(entry->userid, true) : "?");
		else
			values[1] = CStringGetTextDatum("public");
		values[2] = BoolGetDatum(!entry->invalidated);
		values[3] = Int32GetDatum(entry->session ? 1 : 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

/*
 * Disconnect the connections of one server (or all), except those used in
 * the current transaction, which are only marked; returns whether any was
 * closed.
 */
static bool
disconnect_cached(Oid serverid)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;
	bool		result = false;

	if (ConnectionHash == NULL)
		return false;
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		if (entry->rest == NULL)
			continue;
		if (OidIsValid(serverid) && entry->serverid != serverid)
			continue;
		if (entry->in_xact)
		{
			ForeignServer *server = GetForeignServerExtended(entry->serverid, FSV_MISSING_OK);

			ereport(WARNING,
					(errmsg("cannot close the connection to Spanner server \"%s\" because it is still in use",
							server ? server->servername : "?"),
					 errdetail("It will be closed at the end of the current transaction.")));
			entry->invalidated = true;
			continue;
		}
		disconnect_entry(entry);
		result = true;
	}
	return result;
}

Datum
spanner_fdw_disconnect(PG_FUNCTION_ARGS)
{
	char	   *servername = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ForeignServer *server = GetForeignServerByName(servername, false);

	PG_RETURN_BOOL(disconnect_cached(server->serverid));
}

Datum
spanner_fdw_disconnect_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(disconnect_cached(InvalidOid));
}
