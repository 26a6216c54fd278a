/*-------------------------------------------------------------------------
 *
 * session_cache.c
 *		  Multiplexed Spanner sessions kept for reuse: in shared memory,
 *		  used by every backend of the postmaster, when spanner_fdw is in
 *		  shared_preload_libraries; otherwise in the backend.
 *
 * A multiplexed session (Session.multiplexed in google/spanner/v1
 * spanner.proto) runs any number of concurrent read-only and read-write
 * transactions, cannot be deleted, and lives up to 28 days: one is enough
 * for every connection with the same key, and a new backend's first query
 * makes no session call.  The key is a SHA-256 over the endpoint, the
 * database path, the database role the session is created with and the
 * identity of the credentials presenting it (src/auth's token cache key, or
 * a hash of an access token), so a role never uses a session made for
 * another identity.  A session is replaced after 7 days, as Google's
 * client libraries do, well before Spanner drops it; one Spanner says is
 * gone is dropped here, so the next use creates another.  Backends that
 * need a session at the same time wait for the one creating it.  A server
 * that answers with a regular session (the emulator) is remembered too, so
 * nobody waits for a creation that is never shared.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/session_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include <time.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "connection.h"

#define SHARED_SESSIONS			64
#define SESSION_NAME_MAX		512
/* Replaced after this long (Spanner keeps a multiplexed session 28 days). */
#define SESSION_REPLACE_AFTER_S	(7 * 24 * 3600)
/* How long others wait for a backend that is creating the same session. */
#define CREATE_WAIT_S			30

typedef struct CachedSession
{
	bool		used;
	unsigned char key[32];
	bool		regular;		/* the server answered with a regular
								 * session: nothing to share */
	int64		created;		/* time() of the creation */
	int			creator_pid;	/* a backend creating it, or 0 */
	int64		create_started;
	char		name[SESSION_NAME_MAX]; /* "" while none */
} CachedSession;

typedef struct SessionCache
{
	LWLock	   *lock;			/* NULL in the backend-local cache */
	CachedSession entries[SHARED_SESSIONS];
} SessionCache;

static SessionCache *shared_sessions = NULL;
static SessionCache *local_sessions = NULL;

/* The key this backend has claimed a creation for, if any. */
static bool claimed = false;
static unsigned char claimed_key[32];

static SessionCache *
cache(void)
{
	if (shared_sessions)
		return shared_sessions;
	if (local_sessions == NULL)
		local_sessions = MemoryContextAllocZero(TopMemoryContext, sizeof(SessionCache));
	return local_sessions;
}

static void
lock(SessionCache *c)
{
	if (c->lock)
		LWLockAcquire(c->lock, LW_EXCLUSIVE);
}

static void
unlock(SessionCache *c)
{
	if (c->lock)
		LWLockRelease(c->lock);
}

static CachedSession *
find(SessionCache *c, const unsigned char key[32])
{
	int			i;

	for (i = 0; i < SHARED_SESSIONS; i++)
		if (c->entries[i].used && memcmp(c->entries[i].key, key, 32) == 0)
			return &c->entries[i];
	return NULL;
}

/* A free slot, or the unclaimed one created first; NULL if all are claimed. */
static CachedSession *
slot(SessionCache *c)
{
	CachedSession *s = NULL;
	int			i;

	for (i = 0; i < SHARED_SESSIONS; i++)
	{
		CachedSession *e = &c->entries[i];

		if (!e->used)
			return e;
		if (e->creator_pid == 0 && (s == NULL || e->created < s->created))
			s = e;
	}
	return s;
}

static bool
usable(CachedSession *e, time_t now)
{
	return e->name[0] && (int64) now < e->created + SESSION_REPLACE_AFTER_S;
}

/*
 * spanner_session_cache_get
 *		The multiplexed session kept for key (palloc'd name, *created set),
 *		or NULL: then this backend creates one and calls
 *		spanner_session_cache_put() (or _release_claim() if that failed).
 *		While another backend is creating it, waits for that one (not past
 *		a cancel, and at most CREATE_WAIT_S).  Also NULL if the server of
 *		this key makes regular sessions.
 */
char *
spanner_session_cache_get(const unsigned char key[32], int64 *created)
{
	SessionCache *c = cache();
	int			tries;

	for (tries = 0; tries < CREATE_WAIT_S * 20; tries++)
	{
		CachedSession *e;
		bool		wait = false;
		time_t		now = time(NULL);
		char	   *result = NULL;

		lock(c);
		e = find(c, key);
		if (e && e->regular)
		{
			unlock(c);
			return NULL;
		}
		if (e && usable(e, now))
		{
			result = pstrdup(e->name);
			*created = e->created;
			unlock(c);
			return result;
		}
		if (c->lock && e && e->creator_pid != 0 && e->creator_pid != MyProcPid &&
			e->create_started > (int64) now - CREATE_WAIT_S)
		{
			if (e->name[0])
			{
				/* being replaced: the old one still works meanwhile */
				result = pstrdup(e->name);
				*created = e->created;
				unlock(c);
				return result;
			}
			wait = true;
		}
		else
		{
			/* missing, or due for replacement: claim the creation */
			if (e == NULL)
			{
				e = slot(c);
				if (e)
				{
					memset(e, 0, sizeof(*e));
					e->used = true;
					memcpy(e->key, key, 32);
				}
			}
			if (e)
			{
				e->creator_pid = MyProcPid;
				e->create_started = (int64) now;
				claimed = true;
				memcpy(claimed_key, key, 32);
			}
		}
		unlock(c);
		if (!wait)
			return NULL;
		if (QueryCancelPending || ProcDiePending)
			return NULL;		/* create (the caller notices the cancel) */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 50L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	return NULL;
}

/*
 * spanner_session_cache_put
 *		Keep a newly created session for key: name is a multiplexed session,
 *		or NULL if the server made a regular one (remembered, so that nobody
 *		waits for a creation that is not shared).
 */
void
spanner_session_cache_put(const unsigned char key[32], const char *name, int64 created)
{
	SessionCache *c = cache();
	CachedSession *e;

	if (claimed && memcmp(claimed_key, key, 32) == 0)
		claimed = false;
	lock(c);
	e = find(c, key);
	if (e == NULL)
	{
		e = slot(c);
		if (e == NULL)
		{
			unlock(c);
			return;				/* every slot is being created: not kept */
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		memcpy(e->key, key, 32);
	}
	e->creator_pid = 0;
	e->created = created;
	if (name == NULL)
	{
		e->regular = true;
		e->name[0] = '\0';
	}
	else if (strlen(name) < SESSION_NAME_MAX)
	{
		e->regular = false;
		strlcpy(e->name, name, sizeof(e->name));
	}
	else
		memset(e, 0, sizeof(*e));	/* too long to keep: never truncated */
	unlock(c);
}

/*
 * spanner_session_cache_release_claim
 *		After a failed creation (or an error during one): give up this
 *		backend's claim, so that waiting backends create for themselves now.
 */
void
spanner_session_cache_release_claim(void)
{
	SessionCache *c;
	CachedSession *e;

	if (!claimed)
		return;
	claimed = false;
	c = cache();
	lock(c);
	e = find(c, claimed_key);
	if (e && e->creator_pid == MyProcPid)
	{
		e->creator_pid = 0;
		if (!e->name[0] && !e->regular)
			memset(e, 0, sizeof(*e));
	}
	unlock(c);
}

/*
 * spanner_session_cache_drop
 *		Spanner says session "name" is gone: forget it, if it is still the
 *		one kept for key (another backend may have replaced it already).
 */
void
spanner_session_cache_drop(const unsigned char key[32], const char *name)
{
	SessionCache *c = cache();
	CachedSession *e;

	lock(c);
	e = find(c, key);
	if (e && e->name[0] && strcmp(e->name, name) == 0)
	{
		if (e->creator_pid == 0)
			memset(e, 0, sizeof(*e));
		else
			e->name[0] = '\0';	/* being replaced: wait for the new one */
	}
	unlock(c);
}

/*
 * spanner_session_cache_shared
 *		Are sessions shared between backends?
 */
bool
spanner_session_cache_shared(void)
{
	return shared_sessions != NULL;
}

static void
key_add(pg_cryptohash_ctx *ctx, const char *label, const char *value)
{
	char		len[32];

	/* length-prefixed, so no two field lists hash alike */
	snprintf(len, sizeof(len), "%s=%zu:", label, value ? strlen(value) : (size_t) 0);
	if (pg_cryptohash_update(ctx, (const uint8 *) len, strlen(len)) < 0 ||
		(value && pg_cryptohash_update(ctx, (const uint8 *) value, strlen(value)) < 0))
		elog(ERROR, "could not compute a SHA-256 hash");
}

static void
hex32(const unsigned char *in, char out[65])
{
	int			i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/*
 * spanner_session_cache_key
 *		The key of the sessions a connection may share: endpoint, database,
 *		database role and the identity of its credentials (identity: a
 *		SHA-256 that names them, or NULL for auth 'none').  Never holds a
 *		secret.
 */
void
spanner_session_cache_key(const char *endpoint, const char *dbpath,
						  const char *database_role, const char *auth_kind,
						  const unsigned char *identity, unsigned char key[32])
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	char		hex[65];

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not compute a SHA-256 hash");
	key_add(ctx, "spanner_fdw session v1", NULL);
	key_add(ctx, "endpoint", endpoint);
	key_add(ctx, "database", dbpath);
	key_add(ctx, "database_role", database_role ? database_role : "");
	key_add(ctx, "role_set", database_role ? "1" : "0");
	key_add(ctx, "auth", auth_kind);
	if (identity)
	{
		hex32(identity, hex);
		key_add(ctx, "identity", hex);
	}
	if (pg_cryptohash_final(ctx, key, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute a SHA-256 hash");
	pg_cryptohash_free(ctx);
}

/*
 * spanner_session_cache_hash
 *		SHA-256 of a secret (an access token), as an identity.
 */
void
spanner_session_cache_hash(const char *secret, unsigned char out[32])
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) secret, strlen(secret)) < 0 ||
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute a SHA-256 hash");
	pg_cryptohash_free(ctx);
}

/* shmem_request_hook: reserve the shared session cache */
void
spanner_session_cache_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(SessionCache)));
	RequestNamedLWLockTranche("spanner_fdw sessions", 1);
}

/* shmem_startup_hook: attach to (or create) the shared session cache */
void
spanner_session_cache_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared_sessions = ShmemInitStruct("spanner_fdw sessions", sizeof(SessionCache), &found);
	if (!found)
	{
		memset(shared_sessions, 0, sizeof(SessionCache));
		shared_sessions->lock = &(GetNamedLWLockTranche("spanner_fdw sessions"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}
