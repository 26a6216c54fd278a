/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *		  Per-process token cache and the sp_auth_get_token() entry point
 *
 * Cache entries are malloc'd and keyed by a SHA-256 over everything that
 * decides which token is minted: the credential configuration's content,
 * the identity of the presenting AWS credentials (access key id plus a
 * SHA-256 of the secret and session token, never the secret itself; for
 * ambient credentials, which source and its parameters), the scope, the
 * allow_* flags, the CA file and the ECS base URL.  A token is reused until
 * its expiry minus min(225 s, half its lifetime), so short-lived test
 * tokens are reused too.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/token_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

typedef struct CacheEntry
{
	struct CacheEntry *next;
	unsigned char key[32];
	char	   *token;
	time_t		obtained;
	time_t		expires;
} CacheEntry;

static CacheEntry *cache_head = NULL;
static int	cache_count = 0;

static void key_field(SpBuf *b, const char *label, const char *value);
static void key_secret(SpBuf *b, const char *label, const char *value);
static void free_entry(CacheEntry *e);
static int	fetch_token(const SpAuthConfig *cfg, const SpAwsConfig *ac,
						SpAwsSource src, char **token, time_t *obtained,
						time_t *expires, SpAuthError *err);

void
sp_auth_config_init(SpAuthConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

const char *
sp_auth_error_kind_name(SpAuthErrorKind kind)
{
	switch (kind)
	{
		case SP_AUTH_OK:
			return "ok";
		case SP_AUTH_ERR_CONFIG:
			return "config";
		case SP_AUTH_ERR_AWS_CREDENTIALS:
			return "aws_credentials";
		case SP_AUTH_ERR_AWS_REGION:
			return "aws_region";
		case SP_AUTH_ERR_METADATA:
			return "metadata";
		case SP_AUTH_ERR_STS:
			return "sts";
		case SP_AUTH_ERR_IAM:
			return "iam";
		case SP_AUTH_ERR_HTTP:
			return "http";
		case SP_AUTH_ERR_CANCELLED:
			return "cancelled";
		case SP_AUTH_ERR_INTERNAL:
			return "internal";
	}
	return "unknown";
}


/* ---------------------------------------------------------------------
 * Refresh margin
 * ---------------------------------------------------------------------
 */

/* min(225 s, half the lifetime) */
time_t
sp_auth_refresh_margin(time_t lifetime)
{
	if (lifetime <= 0)
		return 0;
	return lifetime / 2 < SP_REFRESH_MARGIN_MAX ? lifetime / 2
		: SP_REFRESH_MARGIN_MAX;
}

bool
sp_auth_token_usable(time_t obtained, time_t expires, time_t now)
{
	return now < expires - sp_auth_refresh_margin(expires - obtained);
}

/* ---------------------------------------------------------------------
 * Cache
 * ---------------------------------------------------------------------
 */
static void
key_field(SpBuf *b, const char *label, const char *value)
{
	/* length-prefixed, so no two field lists serialize alike */
	spbuf_appendf(b, "%s=%zu:", label, value ? strlen(value) : (size_t) 0);
	if (value)
		spbuf_appends(b, value);
	spbuf_appendc(b, '\n');
}

static void
key_secret(SpBuf *b, const char *label, const char *value)
{
	char		hex[65];

	if (value == NULL || !sp_sha256_hex(value, strlen(value), hex))
		hex[0] = '\0';
	key_field(b, label, hex);
}

/*
 * Compute the cache key for cfg with this configuration text.  Needs no
 * network: for ambient credentials the key names the source (environment
 * keys by their id and hash; the container endpoint and token source; the
 * instance metadata service), which is fixed for the process.
 */
int
sp_auth_cache_key(const SpAuthConfig *cfg, const char *config_text,
				  size_t config_len, unsigned char key[32], SpAuthError *err)
{
	SpAwsSource src;
	SpBuf		b;
	char		hex[65];
	bool		ok;

	if (sp_aws_pick_source(cfg, &src, err) != 0)
		return -1;
	if (!sp_sha256_hex(config_text, config_len, hex))
	{
		sp_err_set(err, SP_AUTH_ERR_INTERNAL, "OpenSSL SHA-256 failed");
		return -1;
	}
	spbuf_init(&b);
	spbuf_appends(&b, "spanner_fdw token cache v1\n");
	key_field(&b, "config", hex);
	key_field(&b, "scope", cfg->scope ? cfg->scope : SP_AUTH_DEFAULT_SCOPE);
	key_field(&b, "allow_ambient", cfg->allow_ambient ? "1" : "0");
	key_field(&b, "allow_custom_urls", cfg->allow_custom_urls ? "1" : "0");
	key_field(&b, "ca_file", cfg->ca_file);
	key_field(&b, "ecs_base_url", cfg->allow_custom_urls ? cfg->ecs_base_url : NULL);
	switch (src)
	{
		case SP_AWS_SRC_EXPLICIT:
			key_field(&b, "source", "explicit");
			key_field(&b, "access_key_id", cfg->aws_access_key_id);
			key_secret(&b, "secret", cfg->aws_secret_access_key);
			key_secret(&b, "session_token", cfg->aws_session_token);
			key_field(&b, "aws_region", cfg->aws_region);
			break;
		case SP_AWS_SRC_ENV:
			key_field(&b, "source", "env");
			key_field(&b, "access_key_id", sp_env_nonempty(cfg, "AWS_ACCESS_KEY_ID"));
			key_secret(&b, "secret", sp_env_nonempty(cfg, "AWS_SECRET_ACCESS_KEY"));
			key_secret(&b, "session_token", sp_env_nonempty(cfg, "AWS_SESSION_TOKEN"));
			break;
		case SP_AWS_SRC_ECS:
			key_field(&b, "source", "ecs");
			key_field(&b, "relative_uri", sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
			key_field(&b, "full_uri", sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
			key_field(&b, "token_file", sp_env_nonempty(cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
			key_secret(&b, "token", sp_env_nonempty(cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
			break;
		case SP_AWS_SRC_IMDS:
			key_field(&b, "source", "imds");
			break;
	}
	ok = !b.failed && sp_sha256(b.data, b.len, key);
	spbuf_free(&b);
	if (!ok)
	{
		sp_err_set(err, SP_AUTH_ERR_INTERNAL, "could not compute the token cache key");
		return -1;
	}
	return 0;
}

static void
free_entry(CacheEntry *e)
{
	sp_free_secret(e->token);
	free(e);
}

/*
 * Store a token (copied).  An entry with the same key is replaced; when the
 * cache is full the entry that expires first is evicted.
 */
void
sp_auth_cache_put(const unsigned char key[32], const char *token,
				  time_t obtained, time_t expires)
{
	CacheEntry *e;
	char	   *copy = sp_strdup(token);

	if (copy == NULL)
		return;					/* not caching is always safe */
	for (e = cache_head; e; e = e->next)
	{
		if (memcmp(e->key, key, 32) == 0)
		{
			sp_free_secret(e->token);
			e->token = copy;
			e->obtained = obtained;
			e->expires = expires;
			return;
		}
	}
	if (cache_count >= SP_CACHE_MAX_ENTRIES)
	{
		CacheEntry **pp;
		CacheEntry **victim = &cache_head;

		for (pp = &cache_head; *pp; pp = &(*pp)->next)
			if ((*pp)->expires < (*victim)->expires)
				victim = pp;
		e = *victim;
		*victim = e->next;
		free_entry(e);
		cache_count--;
	}
	e = calloc(1, sizeof(CacheEntry));
	if (e == NULL)
	{
		sp_free_secret(copy);
		return;
	}
	memcpy(e->key, key, 32);
	e->token = copy;
	e->obtained = obtained;
	e->expires = expires;
	e->next = cache_head;
	cache_head = e;
	cache_count++;
}

/*
 * A malloc'd copy of the cached token if it is still usable at "now"; an
 * entry past its refresh point is dropped.
 */
char *
sp_auth_cache_get(const unsigned char key[32], time_t now, time_t *expires)
{
	CacheEntry **pp;

	for (pp = &cache_head; *pp; pp = &(*pp)->next)
	{
		CacheEntry *e = *pp;

		if (memcmp(e->key, key, 32) != 0)
			continue;
		if (sp_auth_token_usable(e->obtained, e->expires, now))
		{
			if (expires)
				*expires = e->expires;
			return sp_strdup(e->token);
		}
		*pp = e->next;
		free_entry(e);
		cache_count--;
		return NULL;
	}
	return NULL;
}

void
sp_auth_cache_drop(const unsigned char key[32])
{
	CacheEntry **pp;

	for (pp = &cache_head; *pp; pp = &(*pp)->next)
	{
		CacheEntry *e = *pp;

		if (memcmp(e->key, key, 32) == 0)
		{
			*pp = e->next;
			free_entry(e);
			cache_count--;
			return;
		}
	}
}

int
sp_auth_cache_count(void)
{
	return cache_count;
}

void
sp_auth_cache_cleanup(void)
{
	while (cache_head)
	{
		CacheEntry *e = cache_head;

		cache_head = e->next;
		free_entry(e);
	}
	cache_count = 0;
}

/* ---------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------
 */

/*
 * Region, credentials, subject token, STS, optional impersonation.
 * *obtained is the time before the first token request.
 */
static int
fetch_token(const SpAuthConfig *cfg, const SpAwsConfig *ac, SpAwsSource src,
			char **token, time_t *obtained, time_t *expires, SpAuthError *err)
{
	SpAwsFetch	f;
	SpAwsCredentials creds;
	char	   *region = NULL;
	char	   *subject = NULL;
	char	   *federated = NULL;
	time_t		fed_expires = 0;
	const char *scope = (cfg->scope && cfg->scope[0]) ? cfg->scope
		: SP_AUTH_DEFAULT_SCOPE;
	int			rc = -1;
	const char *secrets[10];

	*token = NULL;
	memset(&creds, 0, sizeof(creds));
	f.cfg = cfg;
	f.ac = ac;
	f.imds_token = NULL;

	if (sp_aws_get_region(&f, &region, err) != 0)
		goto done;
	if (sp_aws_get_credentials(&f, src, &creds, err) != 0)
		goto done;
	*obtained = time(NULL);
	if (sp_build_subject_token(&creds, region, ac->audience,
							   ac->regional_cred_verification_url, *obtained,
							   &subject, NULL, err) != 0)
		goto done;

	/*
	 * With impersonation STS gets cloud-platform (AIP-4117, Go, Node) and
	 * the wanted scope goes to generateAccessToken.
	 */
	if (sp_sts_exchange(cfg, ac, subject,
						ac->sa_impersonation_url ? SP_SCOPE_CLOUD_PLATFORM : scope,
						&federated, &fed_expires, err) != 0)
		goto done;
	if (ac->sa_impersonation_url)
	{
		if (sp_iam_generate(cfg, ac, federated, scope, token, expires, err) != 0)
			goto done;
	}
	else
	{
		*token = federated;
		federated = NULL;
		*expires = fed_expires;
	}
	rc = 0;

done:
	/* no secret may leave in an error message */
	secrets[0] = creds.secret_access_key;
	secrets[1] = creds.session_token;
	secrets[2] = subject;
	secrets[3] = federated;
	secrets[4] = *token;
	secrets[5] = f.imds_token;
	secrets[6] = ac->client_secret;
	secrets[7] = cfg->aws_secret_access_key;
	secrets[8] = cfg->aws_session_token;
	secrets[9] = sp_env(cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (rc != 0)
		sp_err_scrub(err, secrets, 10);

	sp_aws_fetch_done(&f);
	sp_aws_credentials_free(&creds);
	free(region);
	sp_free_secret(subject);
	sp_free_secret(federated);
	return rc;
}

int
sp_auth_get_token(const SpAuthConfig *cfg, char **token_out,
				  time_t *expires_at, SpAuthError *err)
{
	char	   *text = NULL;
	size_t		len = 0;
	unsigned char key[32];
	SpAwsConfig ac;
	SpAwsSource src;
	char	   *token = NULL;
	time_t		obtained = 0;
	time_t		expires = 0;
	int			rc = -1;

	sp_err_clear(err);
	*token_out = NULL;
	memset(&ac, 0, sizeof(ac));

	if (sp_config_read(cfg, &text, &len, err) != 0)
		goto done;
	if (sp_auth_cache_key(cfg, text, len, key, err) != 0)
		goto done;

	token = sp_auth_cache_get(key, time(NULL), &expires);
	if (token)
	{
		sp_auth_count_cache(true, false);
		rc = 0;
		goto done;
	}
	if (cfg->shared && cfg->shared->get)
	{
		char	   *shared = cfg->shared->get(cfg->shared->arg, key, time(NULL),
											  &obtained, &expires);

		if (shared && sp_auth_token_usable(obtained, expires, time(NULL)))
		{
			token = sp_strdup(shared);
			sp_free_secret(shared);
			if (token)
			{
				sp_auth_cache_put(key, token, obtained, expires);
				sp_auth_count_cache(true, true);
				rc = 0;
				goto done;
			}
		}
		else if (shared)
			sp_free_secret(shared);
	}
	sp_auth_count_cache(false, false);

	if (sp_config_parse(text, len, sp_config_source_name(cfg),
						cfg->allow_custom_urls, &ac, err) != 0)
		goto done;
	if (sp_aws_pick_source(cfg, &src, err) != 0)
		goto done;
	if (fetch_token(cfg, &ac, src, &token, &obtained, &expires, err) != 0)
		goto done;
	sp_auth_cache_put(key, token, obtained, expires);
	if (cfg->shared && cfg->shared->put)
		cfg->shared->put(cfg->shared->arg, key, token, obtained, expires);
	rc = 0;

done:
	if (rc == 0)
	{
		*token_out = token;
		if (expires_at)
			*expires_at = expires;
		sp_err_clear(err);
	}
	else
	{
		const char *secrets[2] = {cfg->aws_secret_access_key,
		cfg->aws_session_token};

		sp_err_scrub(err, secrets, 2);
		sp_free_secret(token);
	}
	sp_config_free(&ac);
	sp_wipe(key, sizeof(key));
	sp_free_secret(text);
	return rc;
}

void
sp_auth_free_token(char *token)
{
	sp_free_secret(token);
}

int
sp_auth_validate_config(const SpAuthConfig *cfg, SpAuthError *err)
{
	char	   *text = NULL;
	size_t		len = 0;
	SpAwsConfig ac;
	int			rc = -1;

	sp_err_clear(err);
	if (sp_config_read(cfg, &text, &len, err) != 0)
		return -1;
	if (sp_config_parse(text, len, sp_config_source_name(cfg),
						cfg->allow_custom_urls, &ac, err) == 0)
	{
		sp_config_free(&ac);
		rc = 0;
	}
	sp_free_secret(text);
	return rc;
}

void
sp_auth_invalidate(const SpAuthConfig *cfg)
{
	char	   *text = NULL;
	size_t		len = 0;
	unsigned char key[32];
	SpAuthError err;

	if (sp_config_read(cfg, &text, &len, &err) != 0)
		return;
	if (sp_auth_cache_key(cfg, text, len, key, &err) == 0)
	{
		sp_auth_cache_drop(key);
		if (cfg->shared && cfg->shared->drop)
			cfg->shared->drop(cfg->shared->arg, key);
	}
	sp_free_secret(text);
}

int
sp_auth_identity_key(const SpAuthConfig *cfg, unsigned char key[32],
					 SpAuthError *err)
{
	char	   *text = NULL;
	size_t		len = 0;
	int			rc;

	sp_err_clear(err);
	if (sp_config_read(cfg, &text, &len, err) != 0)
		return -1;
	rc = sp_auth_cache_key(cfg, text, len, key, err);
	sp_free_secret(text);
	return rc;
}
