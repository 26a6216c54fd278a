/*-------------------------------------------------------------------------
 *
 * sp_auth.h
 *		  Public API of the AWS -> Google workload identity federation client
 *
 * This is the only header the PostgreSQL side of spanner_fdw includes from
 * src/auth.  It uses plain C types only; nothing in src/auth includes a
 * PostgreSQL header, calls exit()/abort(), or prints anything.  Failures
 * are reported through an SpAuthError the caller passes in.
 *
 * Flow (the protocol of Google's external_account credentials for AWS):
 *	 external_account JSON -> AWS region + credentials (explicit keys, or,
 *	 when allowed, environment / ECS-EKS container / EC2 IMDSv2) -> SigV4
 *	 signed GetCallerIdentity subject token -> Google STS token exchange ->
 *	 optional service-account impersonation (generateAccessToken) -> token.
 *
 * Memory contract:
 *	 - Strings in SpAuthConfig are borrowed: src/auth never frees or keeps
 *	   them beyond the call (the cache keeps only a SHA-256 of what it needs).
 *	 - sp_auth_get_token() returns a malloc'd token in *token_out on success;
 *	   the caller copies it where it likes and releases it with
 *	   sp_auth_free_token(), which wipes it first.  On failure *token_out is
 *	   NULL and nothing needs to be freed.
 *	 - Every libcurl, json-c and OpenSSL object is created and freed inside
 *	   one call; the only memory that outlives a call is the token cache,
 *	   released by sp_auth_cache_cleanup().
 *
 * Unlike every other file in src/auth, this header has no
 * "#ifdef POSTGRES_H / #error" guard: it is the one meant to be included
 * by PostgreSQL-side code.
 *
 * The caller must have called curl_global_init() once.  State here is per
 * process and not thread-safe (one PostgreSQL backend = one thread).
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/sp_auth.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SP_AUTH_H
#define SP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Scope requested for the final token unless the caller asks for another */
#define SP_AUTH_DEFAULT_SCOPE "https://www.googleapis.com/auth/spanner.data"

/* Which step failed */
typedef enum SpAuthErrorKind
{
	SP_AUTH_OK = 0,
	SP_AUTH_ERR_CONFIG,			/* bad credential configuration or options */
	SP_AUTH_ERR_AWS_CREDENTIALS,	/* no usable AWS credentials */
	SP_AUTH_ERR_AWS_REGION,		/* AWS region could not be determined */
	SP_AUTH_ERR_METADATA,		/* EC2 IMDS / ECS endpoint failed */
	SP_AUTH_ERR_STS,			/* Google STS refused or answered badly */
	SP_AUTH_ERR_IAM,			/* generateAccessToken refused/bad answer */
	SP_AUTH_ERR_HTTP,			/* transport: connect, TLS, timeout, size */
	SP_AUTH_ERR_CANCELLED,		/* the interrupt callback asked to stop */
	SP_AUTH_ERR_INTERNAL		/* out of memory, OpenSSL failure, ... */
} SpAuthErrorKind;

#define SP_AUTH_MSG_LEN		512
#define SP_AUTH_DETAIL_LEN	1024

/*
 * Error report.  message is the primary text; detail (may be empty) holds
 * what the remote service said; hint (may be empty) says what to check.
 * No secret (AWS secret key, session token, subject token, Google tokens,
 * client secret, container authorization token) ever appears in any of the
 * three: they are scrubbed before sp_auth_* returns.
 */
typedef struct SpAuthError
{
	SpAuthErrorKind kind;
	long		http_status;	/* HTTP status of the failing call, or 0 */
	char		message[SP_AUTH_MSG_LEN];
	char		detail[SP_AUTH_DETAIL_LEN];
	char		hint[SP_AUTH_MSG_LEN];
} SpAuthError;

/*
 * getenv-like lookup.  Returns NULL when the variable is unset.  The
 * returned string must stay valid until the sp_auth_* call returns.
 */
typedef const char *(*SpAuthGetenvFn) (const char *name, void *arg);

/* Return non-zero to abort the HTTP transfer in progress ("cancelled"). */
typedef int (*SpAuthInterruptFn) (void *arg);

typedef struct SpAuthConfig
{
	/* The external_account credential configuration: exactly one of these */
	const char *credentials_file;	/* path of the gcloud-written JSON */
	const char *credentials_json;	/* inline content of the same file */

	/* Explicit AWS keys from the user mapping (both or neither) */
	const char *aws_access_key_id;
	const char *aws_secret_access_key;
	const char *aws_session_token;	/* optional */

	/*
	 * AWS region of the explicit keys (user mapping option aws_region):
	 * the region GetCallerIdentity is signed for when the keys above are
	 * used, ahead of AWS_REGION / AWS_DEFAULT_REGION and region_url.  NULL
	 * or "": the usual lookup.  Refused (SP_AUTH_ERR_CONFIG) without the
	 * keys, and when it is not a region name (sp_auth_region_valid).
	 */
	const char *aws_region;

	/*
	 * allow_ambient: use the process environment, ECS/EKS container
	 * credentials and EC2 instance metadata when no explicit keys are given
	 * (user mapping option allow_ambient_credentials, superuser only).
	 */
	bool		allow_ambient;

	/*
	 * allow_custom_urls: accept any http/https URL in the credential
	 * configuration instead of Google / AWS metadata hosts only, and honour
	 * ecs_base_url (user mapping option allow_custom_urls, superuser only).
	 */
	bool		allow_custom_urls;

	const char *ca_file;		/* CA bundle for TLS, or NULL for default */
	long		connect_timeout_ms; /* 0 = 10 s */
	long		timeout_ms;		/* whole request, 0 = 30 s */
	const char *scope;			/* NULL = SP_AUTH_DEFAULT_SCOPE */

	/* Environment lookup; NULL means the C library's getenv() */
	SpAuthGetenvFn getenv_fn;
	void	   *getenv_arg;

	/* Optional cancellation check, called while a request waits */
	SpAuthInterruptFn interrupt_fn;
	void	   *interrupt_arg;

	/*
	 * Optional wait callback, as the REST client's (rest/sp_client.h): how
	 * the caller sleeps on a socket - WaitLatchOrSocket in a backend - so
	 * that a cancel interrupts a token exchange at once.  It returns true to
	 * abandon the request.  NULL: libcurl waits.
	 */
	bool		(*wait_fn) (void *arg, int fd, bool want_read, bool want_write,
							long timeout_ms);
	void	   *wait_arg;

	/*
	 * Base URL that AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is appended to;
	 * NULL = http://169.254.170.2.  Ignored unless allow_custom_urls.
	 */
	const char *ecs_base_url;

	/*
	 * Optional second-level cache shared with other processes (a backend's
	 * shared memory).  Consulted after this process's own cache misses and
	 * filled after a fetch; keys are the same SHA-256 cache keys.  get
	 * returns a malloc'd token (freed with free()) or NULL.  May be NULL.
	 */
	const struct SpAuthSharedCache *shared;
} SpAuthConfig;

typedef struct SpAuthSharedCache
{
	char	   *(*get) (void *arg, const unsigned char key[32], time_t now,
						time_t *obtained, time_t *expires);
	void		(*put) (void *arg, const unsigned char key[32], const char *token,
						time_t obtained, time_t expires);
	void		(*drop) (void *arg, const unsigned char key[32]);
	void	   *arg;
} SpAuthSharedCache;

/* Counters since process start (or the last sp_auth_stats_reset()) */
typedef struct SpAuthStats
{
	unsigned long sts_calls;	/* POSTs to the STS token endpoint */
	unsigned long iam_calls;	/* generateAccessToken POSTs */
	unsigned long metadata_calls;	/* IMDS PUT/GETs and ECS GETs */
	unsigned long cache_hits;	/* sp_auth_get_token served from cache */
	unsigned long shared_hits;	/* ... of which from the shared cache */
	unsigned long cache_misses; /* sp_auth_get_token that fetched */
} SpAuthStats;

/* Zero *cfg (all defaults). */
extern void sp_auth_config_init(SpAuthConfig *cfg);

/*
 * Get a bearer token for Spanner.  Uses the per-process cache: a token is
 * reused until expiry minus min(225 s, half its lifetime).  Returns 0 and
 * sets *token_out (malloc'd, free with sp_auth_free_token) and *expires_at
 * (absolute; expires_at may be NULL) on success; returns -1, sets
 * *token_out = NULL and fills *err otherwise.  cfg, token_out and err must
 * not be NULL.  Failures are never cached; after a 401 from Spanner call
 * sp_auth_invalidate(cfg) and then this once more.
 */
extern int	sp_auth_get_token(const SpAuthConfig *cfg, char **token_out,
							  time_t *expires_at, SpAuthError *err);

/* Wipe and free a token returned by sp_auth_get_token (NULL is fine). */
extern void sp_auth_free_token(char *token);

/*
 * Parse and validate the credential configuration and options without any
 * network call (for option validators).  Returns 0 or -1 with *err set.
 */
extern int	sp_auth_validate_config(const SpAuthConfig *cfg, SpAuthError *err);

/*
 * Drop the cached token that sp_auth_get_token(cfg) would return, e.g.
 * after Spanner answered 401; the next sp_auth_get_token fetches anew.
 */
extern void sp_auth_invalidate(const SpAuthConfig *cfg);

/*
 * The identity of the credentials cfg presents, as a SHA-256: the key of
 * the token caches (the credential configuration and the presenting AWS
 * credentials; never a secret itself).  For other caches that must not mix
 * identities, such as the shared Spanner sessions.  No network.  Returns
 * 0, or -1 with *err set.
 */
extern int	sp_auth_identity_key(const SpAuthConfig *cfg, unsigned char key[32],
								 SpAuthError *err);

extern void sp_auth_stats(SpAuthStats *out);
extern void sp_auth_stats_reset(void);

/* Free every cache entry (tokens are wiped first). */
extern void sp_auth_cache_cleanup(void);

/* "config", "aws_credentials", ..., for logs and tests */
extern const char *sp_auth_error_kind_name(SpAuthErrorKind kind);

/*
 * What a URL's host is, for the policy on where tokens may be sent.  False
 * if url is not an absolute http(s) URL without userinfo, query or
 * fragment.
 */
typedef struct SpUrlInfo
{
	bool		https;
	bool		loopback;		/* localhost, 127.x.y.z or [::1] */
	bool		googleapis;		/* googleapis.com or a subdomain */
} SpUrlInfo;

extern bool sp_url_info(const char *url, SpUrlInfo *info);

/*
 * Is this the shape of an AWS region name: 1 to 64 lower-case letters,
 * digits and '-', starting with a letter and ending with a digit
 * ("us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1")?
 */
extern bool sp_auth_region_valid(const char *region);

#endif							/* SP_AUTH_H */
