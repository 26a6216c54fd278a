/*-------------------------------------------------------------------------
 *
 * auth_glue.c
 *		  Bearer tokens for user mappings with auth 'external_account'.
 *
 * Bridges the plain-C federation client in src/auth (AWS credentials ->
 * SigV4-signed GetCallerIdentity -> Google STS -> optional service-account
 * impersonation) to a connection.  Tokens are cached by src/auth per
 * backend, keyed by everything that determines them, and refreshed ahead of
 * expiry; this file turns its errors into ereports, never showing a secret.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth_glue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "spanner_fdw.h"
#include "auth/sp_auth.h"

struct SpannerAuthState
{
	SpAuthConfig cfg;			/* strings in TopMemoryContext */
	char	   *servername;
};

/*
 * Tokens shared between the backends of a postmaster, when spanner_fdw is in
 * shared_preload_libraries: the first backend pays for the exchange, later
 * ones (a Lambda's next connection) reuse its token, and backends starting
 * together wait for the one fetching rather than each sending an exchange.  Keys are the SHA-256
 * cache keys of src/auth, which cover the credential configuration and the
 * identity of the presenting AWS credentials, so a role never gets a token
 * minted for another's credentials.
 */
#define SHARED_TOKENS		64
#define SHARED_TOKEN_MAX	4096

typedef struct SharedToken
{
	bool		used;
	unsigned char key[32];
	int64		obtained;
	int64		expires;		/* 0 while no token is stored */
	int			fetcher_pid;	/* a backend fetching this token, or 0 */
	int64		fetch_started;
	char		token[SHARED_TOKEN_MAX];
} SharedToken;

typedef struct SharedTokenCache
{
	LWLock	   *lock;
	SharedToken entries[SHARED_TOKENS];
} SharedTokenCache;

static SharedTokenCache *shared_tokens = NULL;

/* How long others wait for a backend that is fetching the same token. */
#define SHARED_FETCH_WAIT_S 30

static SharedToken *
shared_find(const unsigned char key[32])
{
	int			i;

	for (i = 0; i < SHARED_TOKENS; i++)
		if (shared_tokens->entries[i].used &&
			memcmp(shared_tokens->entries[i].key, key, 32) == 0)
			return &shared_tokens->entries[i];
	return NULL;
}

/* A free slot, or the unclaimed one whose token expires first; NULL if all are claimed. */
static SharedToken *
shared_slot(void)
{
	SharedToken *slot = NULL;
	int			i;

	for (i = 0; i < SHARED_TOKENS; i++)
	{
		SharedToken *e = &shared_tokens->entries[i];

		if (!e->used)
			return e;
		if (e->fetcher_pid == 0 && (slot == NULL || e->expires < slot->expires))
			slot = e;
	}
	return slot;
}

/* The key this backend has claimed a fetch for, if any. */
static bool claimed = false;
static unsigned char claimed_key[32];

/* Same rule as src/auth: reuse until min(225 s, half the lifetime) before expiry. */
static bool
shared_usable(SharedToken *e, time_t now)
{
	int64		lifetime = e->expires - e->obtained;
	int64		margin = Min((int64) 225, lifetime / 2);

	return e->token[0] && (int64) now < e->expires - margin;
}

/*
 * Look a token up.  If it is missing and nobody is fetching it, this
 * backend claims the fetch (the caller fetches and shared_put()s); if
 * another backend is fetching it, wait for that one (briefly, and not past
 * a cancel) instead of sending a second exchange: a burst of new
 * connections costs one exchange.
 */
static char *
shared_get(void *arg, const unsigned char key[32], time_t now,
		   time_t *obtained, time_t *expires)
{
	int			tries;

	for (tries = 0; tries < SHARED_FETCH_WAIT_S * 20; tries++)
	{
		SharedToken *e;
		bool		wait = false;

		now = time(NULL);
		LWLockAcquire(shared_tokens->lock, LW_EXCLUSIVE);
		e = shared_find(key);
		if (e && shared_usable(e, now))
		{
			char	   *result = strdup(e->token);	/* malloc'd: the contract */

			*obtained = (time_t) e->obtained;
			*expires = (time_t) e->expires;
			LWLockRelease(shared_tokens->lock);
			return result;
		}
		if (e && e->fetcher_pid != 0 && e->fetcher_pid != MyProcPid &&
			e->fetch_started > (int64) now - SHARED_FETCH_WAIT_S)
			wait = true;
		else
		{
			/*
			 * Missing, or due for refresh: claim the fetch (the old token, if
			 * any, stays for others until the new one is stored).
			 */
			if (e == NULL)
			{
				e = shared_slot();
				if (e)
				{
					memset(e, 0, sizeof(*e));
					e->used = true;
					memcpy(e->key, key, 32);
				}
			}
			if (e)
			{
				e->fetcher_pid = MyProcPid;
				e->fetch_started = (int64) now;
				claimed = true;
				memcpy(claimed_key, key, 32);
			}
		}
		LWLockRelease(shared_tokens->lock);
		if (!wait)
			return NULL;
		if (QueryCancelPending || ProcDiePending)
			return NULL;		/* let the caller fetch (and notice the cancel) */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 50L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	return NULL;
}

static void
shared_put(void *arg, const unsigned char key[32], const char *token,
		   time_t obtained, time_t expires)
{
	SharedToken *slot;

	if (claimed && memcmp(claimed_key, key, 32) == 0)
		claimed = false;
	LWLockAcquire(shared_tokens->lock, LW_EXCLUSIVE);
	slot = shared_find(key);
	if (slot == NULL)
	{
		slot = shared_slot();
		if (slot == NULL)
		{
			LWLockRelease(shared_tokens->lock);
			return;				/* every slot is being fetched: do not share */
		}
		memset(slot, 0, sizeof(*slot));
		slot->used = true;
		memcpy(slot->key, key, 32);
	}
	memset(slot->token, 0, sizeof(slot->token));
	slot->fetcher_pid = 0;
	if (strlen(token) < SHARED_TOKEN_MAX)	/* else: not shared, never truncated */
	{
		strlcpy(slot->token, token, sizeof(slot->token));
		slot->obtained = (int64) obtained;
		slot->expires = (int64) expires;
	}
	else
		slot->used = false;
	LWLockRelease(shared_tokens->lock);
}

/*
 * After a failed fetch: give up this backend's claim (only its own), so
 * that waiting backends fetch for themselves now instead of timing out.
 */
static void
shared_release_claim(void)
{
	SharedToken *e;

	if (!claimed || shared_tokens == NULL)
		return;
	claimed = false;
	LWLockAcquire(shared_tokens->lock, LW_EXCLUSIVE);
	e = shared_find(claimed_key);
	if (e && e->fetcher_pid == MyProcPid)
	{
		e->fetcher_pid = 0;
		if (!e->token[0])
			memset(e, 0, sizeof(*e));
	}
	LWLockRelease(shared_tokens->lock);
}

static void
shared_drop(void *arg, const unsigned char key[32])
{
	SharedToken *e;

	LWLockAcquire(shared_tokens->lock, LW_EXCLUSIVE);
	e = shared_find(key);
	if (e)
		memset(e, 0, sizeof(*e));
	LWLockRelease(shared_tokens->lock);
}

static const SpAuthSharedCache shared_cache_hooks = {
	shared_get, shared_put, shared_drop, NULL
};

/* shmem_request_hook: reserve the shared token cache */
void
spanner_auth_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(SharedTokenCache)));
	RequestNamedLWLockTranche("spanner_fdw", 1);
}

/* shmem_startup_hook: attach to (or create) the shared token cache */
void
spanner_auth_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared_tokens = ShmemInitStruct("spanner_fdw tokens", sizeof(SharedTokenCache), &found);
	if (!found)
	{
		memset(shared_tokens, 0, sizeof(SharedTokenCache));
		shared_tokens->lock = &(GetNamedLWLockTranche("spanner_fdw"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

static int
auth_interrupted(void *arg)
{
	return (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

static char *
dup_top(const char *s)
{
	return s ? MemoryContextStrdup(TopMemoryContext, s) : NULL;
}

static void
report_auth_error(SpAuthError *err, const char *servername)
{
	int			sqlstate;

	CHECK_FOR_INTERRUPTS();
	switch (err->kind)
	{
		case SP_AUTH_ERR_CONFIG:
			sqlstate = ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE;
			break;
		case SP_AUTH_ERR_AWS_CREDENTIALS:
		case SP_AUTH_ERR_STS:
		case SP_AUTH_ERR_IAM:
			sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
			break;
		case SP_AUTH_ERR_CANCELLED:
			sqlstate = ERRCODE_QUERY_CANCELED;
			break;
		default:
			sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			break;
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("could not obtain a Google access token for server \"%s\": %s",
					servername, err->message),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
}

/*
 * spanner_auth_state_new
 *		Copy the external_account settings of a user mapping and validate
 *		them (no network).  Errors are raised.
 */
SpannerAuthState *
spanner_auth_state_new(SpannerOptions *opts, const char *servername)
{
	SpannerAuthState *st = MemoryContextAllocZero(TopMemoryContext, sizeof(SpannerAuthState));
	SpAuthError err;

	sp_auth_config_init(&st->cfg);
	st->servername = dup_top(servername);
	if (opts->credentials_json)
		st->cfg.credentials_json = dup_top(opts->credentials_json);
	else
		st->cfg.credentials_file = dup_top(opts->credentials_file);
	st->cfg.aws_access_key_id = dup_top(opts->aws_access_key_id);
	st->cfg.aws_secret_access_key = dup_top(opts->aws_secret_access_key);
	st->cfg.aws_session_token = dup_top(opts->aws_session_token);
	st->cfg.allow_ambient = opts->allow_ambient_credentials;
	st->cfg.allow_custom_urls = opts->allow_custom_urls;
	st->cfg.ca_file = dup_top(opts->ca_file);
	st->cfg.connect_timeout_ms = (long) opts->connect_timeout * 1000L;
	st->cfg.interrupt_fn = auth_interrupted;
	st->cfg.interrupt_arg = NULL;
	st->cfg.shared = shared_tokens ? &shared_cache_hooks : NULL;
	if (opts->allow_custom_urls)
		st->cfg.ecs_base_url = dup_top(getenv("SPANNER_FDW_ECS_BASE_URL"));

	if (st->cfg.credentials_json == NULL && st->cfg.credentials_file == NULL)
	{
		spanner_auth_state_free(st);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("auth 'external_account' needs a credential configuration"),
				 errhint("Set \"credentials_file\" (server or user mapping) or \"credentials_json\" (user mapping) to the file that \"gcloud iam workload-identity-pools create-cred-config --aws\" writes.")));
	}
	memset(&err, 0, sizeof(err));
	if (sp_auth_validate_config(&st->cfg, &err) != 0)
	{
		char	   *sname = pstrdup(servername);

		spanner_auth_state_free(st);
		report_auth_error(&err, sname);
	}
	return st;
}

/*
 * spanner_auth_apply
 *		Put a valid token on the connection (from the cache unless it is
 *		about to expire).  force: the last one was refused, get a new one.
 */
void
spanner_auth_apply(SpannerAuthState *st, SpConn *rest, bool force)
{
	char	   *token = NULL;
	time_t		expires_at = 0;
	SpAuthError err;
	bool		ok;

	if (force)
		sp_auth_invalidate(&st->cfg);
	memset(&err, 0, sizeof(err));
	if (sp_auth_get_token(&st->cfg, &token, &expires_at, &err) != 0)
	{
		/* release a claimed shared fetch, so others need not wait for it */
		shared_release_claim();
		report_auth_error(&err, st->servername);
	}
	ok = sp_conn_set_token(rest, token);
	sp_auth_free_token(token);
	if (!ok)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
}

static void
free_secret(const char *s)
{
	if (s)
	{
		memset((char *) s, 0, strlen(s));
		pfree((char *) s);
	}
}

void
spanner_auth_state_free(SpannerAuthState *st)
{
	if (st == NULL)
		return;
	free_secret(st->cfg.credentials_json);
	free_secret(st->cfg.credentials_file);
	free_secret(st->cfg.aws_access_key_id);
	free_secret(st->cfg.aws_secret_access_key);
	free_secret(st->cfg.aws_session_token);
	free_secret(st->cfg.ca_file);
	free_secret(st->cfg.ecs_base_url);
	if (st->servername)
		pfree(st->servername);
	pfree(st);
}
