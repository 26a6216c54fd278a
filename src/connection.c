/*-------------------------------------------------------------------------
 *
 * connection.c
 *		  The per-backend cache of connections to Spanner: one entry per
 *		  user mapping, owning a REST handle (a libcurl multi handle with
 *		  keep-alive connections), the bearer token, and a memory context
 *		  for everything else the entry holds.  Also the SQL functions that
 *		  list and close cached connections.
 *
 * An entry is made on first use and kept for the life of the backend
 * (unless keep_connections is off).  When its server or user mapping
 * changes it is only marked, and rebuilt at its next use outside a
 * transaction: invalidation callbacks never touch the network.
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

#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "connection.h"

static HTAB *ConnectionHash = NULL;

static void make_new_connection(SpannerConnection *entry, UserMapping *user);
static bool session_key(SpannerOptions *opts, const char *dbpath,
						SpannerAuthState *auth, unsigned char key[32],
						unsigned char identity[32], bool *identity_set);
static void spanner_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void spanner_exit_callback(int code, Datum arg);

PG_FUNCTION_INFO_V1(spanner_fdw_get_connections);
PG_FUNCTION_INFO_V1(spanner_fdw_disconnect);
PG_FUNCTION_INFO_V1(spanner_fdw_disconnect_all);

/*
 * spanner_get_connection
 *		The cached connection for a user mapping, made if needed, marked as
 *		used by the current transaction.
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
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, spanner_inval_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, spanner_inval_callback, (Datum) 0);
		before_shmem_exit(spanner_exit_callback, (Datum) 0);
	}

	entry = hash_search(ConnectionHash, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		/* zero everything but the key */
		memset(((char *) entry) + sizeof(Oid), 0, sizeof(SpannerConnection) - sizeof(Oid));
	}

	/* options changed since we connected: start afresh if not in use */
	if (entry->rest != NULL && entry->invalidated && !entry->xact.in_use)
	{
		elog(DEBUG3, "spanner_fdw: closing connection for user mapping %u after option change",
			 user->umid);
		spanner_disconnect(entry);
	}

	if (entry->rest == NULL)
		make_new_connection(entry, user);

	if (entry->auth)
	{
		bool		idle = !entry->xact.in_use;

		entry->xact.in_use = true;
		spanner_auth_apply(entry->auth, entry->rest, false);

		/*
		 * The credential configuration now names another identity: its
		 * sessions (made for the old one, perhaps with a database role the
		 * new one may not use) are not to be used with it.  Between
		 * transactions, connect afresh; within one, at its end.
		 */
		if (spanner_auth_identity_moved(entry->auth,
										entry->auth_identity_set ? entry->auth_identity : NULL))
		{
			if (idle)
			{
				elog(DEBUG1, "spanner_fdw: the credentials of user mapping %u now name another identity; connecting afresh",
					 user->umid);
				spanner_disconnect(entry);
				make_new_connection(entry, user);
				entry->xact.in_use = true;
				spanner_auth_apply(entry->auth, entry->rest, false);
			}
			else
				entry->invalidated = true;
		}
	}
	entry->xact.in_use = true;
	return entry;
}

static void
make_new_connection(SpannerConnection *entry, UserMapping *user)
{
	SpannerOptions opts;
	SpConnConfig cfg;
	SpError		err;
	ForeignServer *server = GetForeignServer(user->serverid);
	MemoryContext cxt;
	SpConn	   *volatile rest = NULL;
	SpannerAuthState *volatile auth = NULL;
	volatile bool key_set = false;
	unsigned char key[32];
	unsigned char identity[32];
	bool		identity_set = false;
	char	   *dbpath;

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

	dbpath = psprintf("projects/%s/instances/%s/databases/%s",
					  opts.project, opts.instance, opts.database);
	memset(key, 0, sizeof(key));
	memset(identity, 0, sizeof(identity));
	rest = sp_conn_new(&cfg, &err);
	if (rest == NULL)
		spanner_report_error(ERROR, &err, NULL);

	cxt = AllocSetContextCreate(TopMemoryContext, "spanner_fdw connection",
								ALLOCSET_SMALL_SIZES);

	/* Free what was made if the rest of the set-up fails. */
	PG_TRY();
	{
		if (opts.auth == SPANNER_AUTH_ACCESS_TOKEN)
		{
			if (!sp_conn_set_token(rest, opts.access_token))
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		else if (opts.auth == SPANNER_AUTH_EXTERNAL_ACCOUNT)
			auth = spanner_auth_state_new(&opts, server->servername, cxt);
		key_set = session_key(&opts, dbpath, auth, key, identity, &identity_set);
	}
	PG_CATCH();
	{
		sp_conn_free(rest);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	entry->serverid = user->serverid;
	entry->userid = user->userid;
	entry->cxt = cxt;
	entry->auth = auth;
	entry->keep_connections = opts.keep_connections;
	entry->lazy_read_write = opts.lazy_read_write;
	entry->retry_timeout_ms = opts.retry_timeout_ms;
	entry->rr_isolation = -1;
	entry->invalidated = false;
	memset(&entry->xact, 0, sizeof(entry->xact));
	entry->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
													ObjectIdGetDatum(server->serverid));
	entry->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													 ObjectIdGetDatum(user->umid));
	entry->dbpath = MemoryContextStrdup(cxt, dbpath);
	entry->database_role = opts.database_role ?
		MemoryContextStrdup(cxt, opts.database_role) : NULL;
	entry->session = NULL;
	entry->multiplexed = false;
	entry->session_key_set = key_set;
	memcpy(entry->session_key, key, sizeof(key));
	entry->auth_identity_set = identity_set;
	memcpy(entry->auth_identity, identity, sizeof(identity));
	/* last: a non-NULL rest means a complete entry */
	entry->rest = rest;
}

/*
 * session_key
 *		The key under which a connection's multiplexed session is shared
 *		(session_cache.c): endpoint, database, database role and the
 *		identity of the credentials.  False if the identity cannot be told
 *		(then the connection's session is its own).
 */
static bool
session_key(SpannerOptions *opts, const char *dbpath, SpannerAuthState *auth,
			unsigned char key[32], unsigned char identity[32], bool *identity_set)
{
	const char *kind;
	bool		have_identity = true;

	*identity_set = false;

	switch (opts->auth)
	{
		case SPANNER_AUTH_NONE:
			kind = "none";
			have_identity = false;
			break;
		case SPANNER_AUTH_ACCESS_TOKEN:
			kind = "access_token";
			spanner_session_cache_hash(opts->access_token, identity);
			break;
		case SPANNER_AUTH_EXTERNAL_ACCOUNT:
			kind = "external_account";
			if (auth == NULL || !spanner_auth_identity(auth, identity))
				return false;
			*identity_set = true;
			break;
		default:
			return false;
	}
	spanner_session_cache_key(opts->endpoint, dbpath, opts->database_role,
							  kind, have_identity ? identity : NULL, key);
	return true;
}

/*
 * spanner_disconnect
 *		Close the entry's queries, delete its session (a multiplexed one is
 *		only left: it is kept for reuse) and free everything it holds but
 *		the hash entry itself.
 */
void
spanner_disconnect(SpannerConnection *entry)
{
	spanner_streams_close(entry, 0);
	spanner_session_delete(entry);
	if (entry->rest)
		sp_conn_free(entry->rest);
	entry->rest = NULL;
	if (entry->auth)
		spanner_auth_state_free(entry->auth);
	entry->auth = NULL;
	if (entry->cxt)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;
	entry->dbpath = NULL;
	entry->database_role = NULL;
	entry->session = NULL;
	entry->multiplexed = false;
	entry->xact.id = NULL;
	entry->xact.precommit_token = NULL;
	entry->xact.kind = SPANNER_XACT_NONE;
	entry->xact.doomed = NULL;
	entry->xact.mutations.data = NULL;
	entry->xact.mutation_cells = 0;
	entry->xact.txn_tag = NULL;
	entry->xact.txn_priority = NULL;
	entry->xact.options_fixed = false;
}

/*
 * spanner_connection_foreach
 *		Call fn for every connected entry.
 */
void
spanner_connection_foreach(SpannerConnectionFn fn, void *arg)
{
	HASH_SEQ_STATUS scan;
	SpannerConnection *entry;

	if (ConnectionHash == NULL)
		return;
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (SpannerConnection *) hash_seq_search(&scan)))
	{
		if (entry->rest != NULL)
			fn(entry, arg);
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
disconnect_one(SpannerConnection *entry, void *arg)
{
	spanner_disconnect(entry);
}

static void
spanner_exit_callback(int code, Datum arg)
{
	spanner_connection_foreach(disconnect_one, NULL);
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
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		ForeignServer *server;

		if (entry->rest == NULL)
			continue;
		server = GetForeignServerExtended(entry->serverid, FSV_MISSING_OK);
		if (server == NULL)
			nulls[0] = true;
		else
			values[0] = CStringGetTextDatum(server->servername);
		if (OidIsValid(entry->userid))
		{
			char	   *name = GetUserNameFromId(entry->userid, true);

			values[1] = CStringGetTextDatum(name ? name : "?");
		}
		else
			values[1] = CStringGetTextDatum("public");
		values[2] = BoolGetDatum(!entry->invalidated);
		values[3] = Int32GetDatum(entry->session ? 1 : 0);
		/* the Spanner transaction of the current PostgreSQL transaction */
		values[4] = CStringGetTextDatum(entry->xact.kind == SPANNER_XACT_READ_WRITE ? "read-write"
										: entry->xact.kind == SPANNER_XACT_READ_ONLY ? "read-only"
										: "none");
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
		if (entry->xact.in_use)
		{
			ForeignServer *server = GetForeignServerExtended(entry->serverid, FSV_MISSING_OK);

			ereport(WARNING,
					(errmsg("cannot close the connection to Spanner server \"%s\" because it is still in use",
							server ? server->servername : "?"),
					 errdetail("It will be closed at the end of the current transaction.")));
			entry->invalidated = true;
			continue;
		}
		spanner_disconnect(entry);
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
