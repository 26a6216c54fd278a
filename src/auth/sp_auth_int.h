/*-------------------------------------------------------------------------
 *
 * sp_auth_int.h
 *		  Declarations shared between the src/auth files (not for callers)
 *
 * Functions listed here are not static so the unit-test drivers in
 * test/unit can reach them by linking all of src/auth (rather than
 * #including one .c file, which would not work across several files);
 * nothing outside src/auth and those drivers should include this header.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/sp_auth_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SP_AUTH_INT_H
#define SP_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sp_auth.h"

/* sp_auth.h is included by PostgreSQL-side code; this header never is */
#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#if defined(__GNUC__)
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SP_PRINTF(f, a)
#endif

#define SP_AWS_TOKEN_TYPE		"urn:ietf:params:aws:token-type:aws4_request"
#define SP_STS_GRANT_TYPE		"urn:ietf:params:oauth:grant-type:token-exchange"
#define SP_STS_REQUESTED_TYPE	"urn:ietf:params:oauth:token-type:access_token"
#define SP_SCOPE_CLOUD_PLATFORM "https://www.googleapis.com/auth/cloud-platform"
#define SP_DEFAULT_VERIFY_URL	"https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
#define SP_DEFAULT_ECS_BASE		"http://169.254.170.2"
#define SP_IMDS_TTL_SECONDS		"300"
#define SP_MAX_RESPONSE_BYTES	(1024 * 1024)
#define SP_JSON_MAX_DEPTH		32
#define SP_MAX_CONFIG_BYTES		(1024 * 1024)
#define SP_REFRESH_MARGIN_MAX	225
#define SP_CACHE_MAX_ENTRIES	64

/* ---------------------------------------------------------------------
 * in auth_util.c
 * ---------------------------------------------------------------------
 */

/* Growable, always NUL-terminated string; wiped when freed */
typedef struct SpBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;			/* an allocation failed; content unusable */
} SpBuf;

extern void spbuf_init(SpBuf *b);
extern bool spbuf_append(SpBuf *b, const char *s, size_t n);
extern bool spbuf_appends(SpBuf *b, const char *s);
extern bool spbuf_appendc(SpBuf *b, char c);
extern bool spbuf_appendf(SpBuf *b, const char *fmt,...) SP_PRINTF(2, 3);
extern char *spbuf_finish(SpBuf *b);
extern void spbuf_free(SpBuf *b);

extern char *sp_strdup(const char *s);
extern char *sp_strndup(const char *s, size_t n);
extern void sp_free_secret(char *s);
extern void sp_wipe(void *p, size_t n);

extern void sp_err_clear(SpAuthError *err);
extern void sp_err_set(SpAuthError *err, SpAuthErrorKind kind,
					   const char *fmt,...) SP_PRINTF(3, 4);
extern void sp_err_detail(SpAuthError *err, const char *fmt,...) SP_PRINTF(2, 3);
extern void sp_err_hint(SpAuthError *err, const char *fmt,...) SP_PRINTF(2, 3);
extern void sp_err_oom(SpAuthError *err);
extern void sp_err_detail_remote(SpAuthError *err, const char *prefix,
								 const char *body, size_t len);
extern void sp_err_detail_http(SpAuthError *err, const char *who, long status,
							   const char *body, size_t len);
extern void sp_err_scrub(SpAuthError *err, const char *const *secrets,
						 int nsecrets);

extern bool sp_sha256(const void *data, size_t len, unsigned char out[32]);
extern bool sp_sha256_hex(const void *data, size_t len, char out[65]);
extern bool sp_hmac_sha256(const void *key, size_t keylen,
						   const void *msg, size_t msglen,
						   unsigned char out[32]);
extern void sp_hex(const unsigned char *in, size_t n, char *out);
extern char *sp_base64(const void *data, size_t len);

extern bool sp_is_unreserved(unsigned char c);
extern bool sp_pct_encode(SpBuf *b, const char *s, size_t n,
						  const char *keep, bool space_as_plus);
extern char *sp_pct_decode(const char *s, size_t n, bool plus_as_space,
						   size_t *outlen);

typedef struct SpUrl
{
	char	   *scheme;			/* lower-cased */
	char	   *host;			/* without the [] of an IPv6 literal */
	char	   *port;			/* NULL when absent */
	char	   *path;			/* "" when absent */
	char	   *query;			/* NULL when there is no '?' */
	bool		ipv6;
} SpUrl;

extern bool sp_url_parse(const char *url, SpUrl *out);
extern void sp_url_free(SpUrl *u);

extern void sp_format_amz_date(time_t t, char out[17]);
extern bool sp_parse_amz_date(const char *s, time_t *out);
extern bool sp_parse_rfc3339(const char *s, time_t *out);
extern time_t sp_timegm(int year, int mon, int mday, int hour, int min, int sec);

extern const char *sp_env(const SpAuthConfig *cfg, const char *name);
extern const char *sp_env_nonempty(const SpAuthConfig *cfg, const char *name);

struct json_object;
extern struct json_object *sp_json_parse(const char *text, size_t len);
extern char *sp_json_get_string(struct json_object *obj, const char *key);

/* ---------------------------------------------------------------------
 * in sigv4.c
 * ---------------------------------------------------------------------
 */
typedef struct SpHeader
{
	const char *name;
	const char *value;
} SpHeader;

/* flags for SpSigv4Input.flags */
#define SP_SIGV4_NO_PATH_NORMALIZE	0x01	/* S3-style: keep the path */
#define SP_SIGV4_DOUBLE_ENCODE_PATH 0x02	/* botocore 2014 variant */
#define SP_SIGV4_SORT_HEADER_VALUES 0x04	/* 2011 suite: sort dup values */

typedef struct SpSigv4Input
{
	const char *method;
	const char *host;			/* host[:port]; "host" header unless given */
	const char *path;			/* raw path, NULL or "" means "/" */
	const char *query;			/* raw query without '?', or NULL */
	const SpHeader *headers;
	int			nheaders;
	const char *body;
	size_t		body_len;
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* added as signed x-amz-security-token */
	const char *region;
	const char *service;		/* NULL: first DNS label of host */
	time_t		now;
	int			flags;
} SpSigv4Input;

typedef struct SpSigv4Output
{
	char	   *canonical_request;
	char	   *string_to_sign;
	char	   *signed_headers;
	char	   *authorization;
	char		amz_date[17];	/* timestamp of the string to sign */
	bool		add_amz_date;	/* caller must send x-amz-date: amz_date */
	bool		add_security_token; /* caller must send the session token */
	char		signature[65];
} SpSigv4Output;

extern int	sp_sigv4_sign(const SpSigv4Input *in, SpSigv4Output *out,
						  SpAuthError *err);
extern void sp_sigv4_output_free(SpSigv4Output *out);

typedef struct SpAwsCredentials
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;	/* NULL for permanent keys */
} SpAwsCredentials;

extern void sp_aws_credentials_free(SpAwsCredentials *c);

extern int	sp_build_subject_token(const SpAwsCredentials *creds,
								   const char *region, const char *audience,
								   const char *verification_url_template,
								   time_t now, char **token_out,
								   char **json_out, SpAuthError *err);
extern bool sp_go_json_string(SpBuf *b, const char *s);
extern bool sp_go_query_escape(SpBuf *b, const char *s);

/* ---------------------------------------------------------------------
 * in config.c
 * ---------------------------------------------------------------------
 */
typedef struct SpAwsConfig
{
	char	   *audience;
	char	   *subject_token_type;
	char	   *token_url;
	char	   *sa_impersonation_url;	/* NULL: no impersonation */
	char	   *sa_email;
	int			token_lifetime_seconds; /* 3600 unless configured */
	char	   *client_id;
	char	   *client_secret;
	char	   *quota_project_id;
	char	   *workforce_pool_user_project;
	char	   *universe_domain;
	/* credential_source */
	char	   *environment_id;
	char	   *region_url;
	char	   *url;
	char	   *regional_cred_verification_url;
	char	   *imdsv2_session_token_url;
} SpAwsConfig;

typedef enum SpUrlKind
{
	SP_URL_STS,					/* token_url */
	SP_URL_IAM,					/* service_account_impersonation_url */
	SP_URL_METADATA,			/* url, region_url, imdsv2_session_token_url */
	SP_URL_AWS_VERIFY,			/* regional_cred_verification_url */
	SP_URL_ECS_FULL				/* AWS_CONTAINER_CREDENTIALS_FULL_URI */
} SpUrlKind;

extern int	sp_config_parse(const char *text, size_t len, const char *source,
							bool allow_custom_urls, SpAwsConfig *out,
							SpAuthError *err);
extern void sp_config_free(SpAwsConfig *c);
extern bool sp_url_allowed(const char *url, SpUrlKind kind,
						   bool allow_custom_urls);
extern bool sp_region_valid(const char *region);
extern int	sp_config_read(const SpAuthConfig *cfg, char **text, size_t *len,
						   SpAuthError *err);
extern const char *sp_config_source_name(const SpAuthConfig *cfg);

/* ---------------------------------------------------------------------
 * in http.c
 * ---------------------------------------------------------------------
 */
typedef struct SpHttpRequest
{
	const char *method;			/* "GET", "POST" or "PUT" */
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated, or NULL */
	const char *body;
	size_t		body_len;
	bool		metadata;		/* link-local metadata: no proxy, short */
	const char *service;		/* e.g. "Google STS", for messages */
	SpAuthErrorKind fail_kind;	/* kind for transport failures */
} SpHttpRequest;

typedef struct SpHttpResponse
{
	long		status;
	char	   *body;			/* NUL-terminated, wiped when freed */
	size_t		len;
} SpHttpResponse;

extern int	sp_http_perform(const SpAuthConfig *cfg, const SpHttpRequest *req,
							SpHttpResponse *resp, SpAuthError *err);
extern void sp_http_response_free(SpHttpResponse *resp);

/* ---------------------------------------------------------------------
 * in aws_source.c
 * ---------------------------------------------------------------------
 */
typedef enum SpAwsSource
{
	SP_AWS_SRC_EXPLICIT,
	SP_AWS_SRC_ENV,
	SP_AWS_SRC_ECS,
	SP_AWS_SRC_IMDS
} SpAwsSource;

/* Per-fetch state: the IMDSv2 session token is fetched once and reused */
typedef struct SpAwsFetch
{
	const SpAuthConfig *cfg;
	const SpAwsConfig *ac;
	char	   *imds_token;
} SpAwsFetch;

extern int	sp_aws_pick_source(const SpAuthConfig *cfg, SpAwsSource *src,
							   SpAuthError *err);
extern int	sp_aws_get_region(SpAwsFetch *f, char **region, SpAuthError *err);
extern int	sp_aws_get_credentials(SpAwsFetch *f, SpAwsSource src,
								   SpAwsCredentials *out, SpAuthError *err);
extern void sp_aws_fetch_done(SpAwsFetch *f);
/* a credentials document of IMDS or ECS; "what" names its source */
extern int	sp_aws_parse_credentials(const char *body, size_t len,
									 const char *what, SpAwsCredentials *out,
									 SpAuthError *err);

/* ---------------------------------------------------------------------
 * in exchange.c
 * ---------------------------------------------------------------------
 */
extern char *sp_sts_form_body(const char *audience, const char *scope,
							  const char *subject_token,
							  const char *options_json);
extern int	sp_sts_exchange(const SpAuthConfig *cfg, const SpAwsConfig *ac,
							const char *subject_token, const char *scope,
							char **token_out, time_t *expires_at,
							SpAuthError *err);
extern int	sp_iam_generate(const SpAuthConfig *cfg, const SpAwsConfig *ac,
							const char *federated_token, const char *scope,
							char **token_out, time_t *expires_at,
							SpAuthError *err);
extern int	sp_sts_parse_reply(const SpHttpResponse *resp, const char *token_url,
							   time_t before, char **token_out,
							   time_t *expires_at, SpAuthError *err);
extern int	sp_iam_parse_reply(const SpHttpResponse *resp, const SpAwsConfig *ac,
							   char **token_out, time_t *expires_at,
							   SpAuthError *err);

/* ---------------------------------------------------------------------
 * in token_cache.c
 * ---------------------------------------------------------------------
 */
typedef enum SpCallKind
{
	SP_CALL_STS,
	SP_CALL_IAM,
	SP_CALL_METADATA
} SpCallKind;

/* in stats.c */
extern void sp_auth_count_call(SpCallKind kind);
extern void sp_auth_count_cache(bool hit, bool shared);
extern time_t sp_auth_refresh_margin(time_t lifetime);
extern bool sp_auth_token_usable(time_t obtained, time_t expires, time_t now);
extern int	sp_auth_cache_key(const SpAuthConfig *cfg, const char *config_text,
							  size_t config_len, unsigned char key[32],
							  SpAuthError *err);
extern void sp_auth_cache_put(const unsigned char key[32], const char *token,
							  time_t obtained, time_t expires);
extern char *sp_auth_cache_get(const unsigned char key[32], time_t now,
							   time_t *expires);
extern void sp_auth_cache_drop(const unsigned char key[32]);
extern int	sp_auth_cache_count(void);

#endif							/* SP_AUTH_INT_H */
