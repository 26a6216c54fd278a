/*-------------------------------------------------------------------------
 *
 * auth_token.c
 *		  Bearer tokens for connections whose user mapping has auth
 *		  'external_account'.
 *
 * Bridges the plain-C federation client in src/auth (AWS credentials ->
 * SigV4-signed GetCallerIdentity -> Google STS -> optional service-account
 * impersonation) to a connection.  src/auth caches tokens per backend (and
 * token_cache.c between backends), keyed by everything that determines
 * them.  A connection keeps the token it was given and asks again only
 * when it nears expiry or Spanner refused it, so a query on a warm
 * connection does no credential work at all.  Errors become ereports that
 * never show a secret.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include <time.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "spanner_fdw.h"
#include "auth/sp_auth.h"

struct SpannerAuthState
{
	SpAuthConfig cfg;			/* strings in the connection's context */
	char	   *servername;
	time_t		refresh_at;		/* ask src/auth again from then on; 0: now */
	bool		identity_known; /* identity: of the credentials as read at */
	unsigned char identity[32]; /* the last token fetch */
};

/* Same rule as src/auth: refresh min(225 s, half the lifetime) early. */
#define REFRESH_MARGIN_MAX_S 225

static int
auth_interrupted(void *arg)
{
	return spanner_interrupted(arg) ? 1 : 0;
}

static char *
dup_in(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
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
spanner_auth_state_new(SpannerOptions *opts, const char *servername,
					   MemoryContext cxt)
{
	SpannerAuthState *st = MemoryContextAllocZero(cxt, sizeof(SpannerAuthState));
	SpAuthError err;

	sp_auth_config_init(&st->cfg);
	st->servername = dup_in(cxt, servername);
	if (opts->credentials_json)
		st->cfg.credentials_json = dup_in(cxt, opts->credentials_json);
	else
		st->cfg.credentials_file = dup_in(cxt, opts->credentials_file);
	st->cfg.aws_access_key_id = dup_in(cxt, opts->aws_access_key_id);
	st->cfg.aws_secret_access_key = dup_in(cxt, opts->aws_secret_access_key);
	st->cfg.aws_session_token = dup_in(cxt, opts->aws_session_token);
	st->cfg.aws_region = dup_in(cxt, opts->aws_region);
	st->cfg.allow_ambient = opts->allow_ambient_credentials;
	st->cfg.allow_custom_urls = opts->allow_custom_urls;
	st->cfg.ca_file = dup_in(cxt, opts->ca_file);
	st->cfg.connect_timeout_ms = (long) opts->connect_timeout * 1000L;
	st->cfg.interrupt_fn = auth_interrupted;
	st->cfg.interrupt_arg = NULL;
	st->cfg.wait_fn = spanner_wait;
	st->cfg.wait_arg = NULL;
	st->cfg.shared = spanner_token_cache_hooks();
	if (opts->allow_custom_urls)
		st->cfg.ecs_base_url = dup_in(cxt, getenv("SPANNER_FDW_ECS_BASE_URL"));

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
 *		Make sure the connection carries a valid token: nothing to do while
 *		the one it has is far from expiry; otherwise ask src/auth (whose
 *		caches answer unless the token is due for refresh).  force: the
 *		last one was refused, get a new one.
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
	else if (st->refresh_at != 0 && time(NULL) < st->refresh_at)
		return;					/* the connection's token is still good */
	memset(&err, 0, sizeof(err));
	if (sp_auth_get_token(&st->cfg, &token, &expires_at, &err) != 0)
	{
		/* release a claimed shared fetch, so others need not wait for it */
		spanner_token_cache_release_claim();
		report_auth_error(&err, st->servername);
	}
	ok = sp_conn_set_token(rest, token);
	sp_auth_free_token(token);
	/* the credential configuration is read anew at a fetch: it may name another identity now */
	st->identity_known = spanner_auth_identity(st, st->identity);
	if (!ok)
	{
		st->refresh_at = 0;
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}

	/*
	 * Keep it until min(225 s, half its remaining life) before expiry; a
	 * token without a known expiry is asked for again at every use.
	 */
	{
		time_t		now = time(NULL);

		if (expires_at > now)
			st->refresh_at = expires_at - Min((time_t) REFRESH_MARGIN_MAX_S,
											  (expires_at - now) / 2);
		else
			st->refresh_at = 0;
	}
}

/*
 * spanner_auth_identity
 *		The identity of the credentials the connection presents (src/auth's
 *		token cache key), for caches that must not mix identities.  False
 *		if it cannot be told (then nothing may be shared).
 */
bool
spanner_auth_identity(SpannerAuthState *st, unsigned char key[32])
{
	SpAuthError err;

	memset(&err, 0, sizeof(err));
	return sp_auth_identity_key(&st->cfg, key, &err) == 0;
}

/*
 * spanner_auth_identity_moved
 *		Did the last token fetch find credentials of another identity than
 *		identity (what the connection was made with; NULL: unknown then)?
 */
bool
spanner_auth_identity_moved(SpannerAuthState *st, const unsigned char *identity)
{
	if (!st->identity_known)
		return false;
	return identity == NULL || memcmp(identity, st->identity, 32) != 0;
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
	free_secret(st->cfg.aws_region);
	free_secret(st->cfg.ca_file);
	free_secret(st->cfg.ecs_base_url);
	if (st->servername)
		pfree(st->servername);
	pfree(st);
}
