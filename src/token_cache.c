/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *		  Access tokens shared between the backends of a postmaster, in
 *		  shared memory, when spanner_fdw is in shared_preload_libraries.
 *
 * The federation client in src/auth keeps a per-backend cache and asks
 * this one (through SpAuthSharedCache hooks) before it exchanges
 * credentials.  Without shared_preload_libraries there is no shared cache
 * and each backend caches its own tokens.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/token_cache.c
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
void
spanner_token_cache_release_claim(void)
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

/*
 * spanner_token_cache_hooks
 *		The shared cache's hooks for src/auth, or NULL if there is none.
 */
const SpAuthSharedCache *
spanner_token_cache_hooks(void)
{
	return shared_tokens ? &shared_cache_hooks : NULL;
}

/* shmem_request_hook: reserve the shared token cache */
void
spanner_token_cache_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(SharedTokenCache)));
	RequestNamedLWLockTranche("spanner_fdw", 1);
}

/* shmem_startup_hook: attach to (or create) the shared token cache */
void
spanner_token_cache_shmem_startup(void)
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
