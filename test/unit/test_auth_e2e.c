/*-------------------------------------------------------------------------
 *
 * test_auth_e2e.c
 *		  TAP driver: the auth client end to end against the local stand-ins
 *
 * Usage: test_auth_e2e <port> <standin_config.json> <scratch-dir>
 *						[<https-port> <ca-file>]
 *
 * test/auth/run_auth_e2e.sh starts test/standins/auth_standins.py and runs
 * this.  Every AWS identity and environment is injected through
 * SpAuthConfig.getenv_fn; the process environment is never read.  Call
 * counts are checked on both sides: sp_auth_stats() here and the
 * stand-ins' own /__stats.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_auth_e2e.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "rest/sp_client.h"
#include "sp_auth_int.h"
#include "test_auth_tap.h"

#define VERIFY_URL "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"

static int	port;
static json_object *sconf;		/* the stand-ins' configuration */
static const char *scratch;
static char base[64];			/* http://127.0.0.1:PORT */
static int	tls_port;			/* HTTPS instance, 0 if none */
static const char *tls_ca;		/* its self-signed certificate */

/* ------------------------------------------------------------------
 * Talking to the stand-ins' control endpoints
 * ------------------------------------------------------------------
 */
static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	spbuf_append((SpBuf *) ud, p, size * n);
	return size * n;
}

static char *
control(const char *method, const char *path, const char *body)
{
	CURL	   *c = curl_easy_init();
	SpBuf		b;
	char		url[512];
	struct curl_slist *h = NULL;

	spbuf_init(&b);
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (strcmp(method, "POST") == 0)
	{
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
	}
	if (curl_easy_perform(c) != CURLE_OK)
		spbuf_free(&b);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return spbuf_finish(&b);
}

static void
knobs(const char *json)
{
	free(control("POST", "/__config", json));
}

/* a stand-in counter */
static long
scount(const char *name)
{
	char	   *s = control("GET", "/__stats", NULL);
	json_object *o = s ? json_tokener_parse(s) : NULL;
	json_object *v = jget(jget(o, "counts"), name);
	long		n = v ? (long) json_object_get_int64(v) : 0;

	json_object_put(o);
	free(s);
	return n;
}

/* a "last" string from the stand-ins, malloc'd */
static char *
slast(const char *name)
{
	char	   *s = control("GET", "/__stats", NULL);
	json_object *o = s ? json_tokener_parse(s) : NULL;
	json_object *v = jget(jget(o, "last"), name);
	char	   *r = v ? sp_strdup(json_object_get_string(v)) : NULL;

	json_object_put(o);
	free(s);
	return r;
}

/* what the stand-ins know about a token: kind, scope, subject */
typedef struct TokenInfo
{
	bool		valid;
	char		kind[16];
	char		scope[128];
	char		subject[128];
} TokenInfo;

static TokenInfo
tokeninfo(const char *token)
{
	TokenInfo	ti;
	SpBuf		p;
	char	   *s;
	json_object *o;

	memset(&ti, 0, sizeof(ti));
	spbuf_init(&p);
	spbuf_appends(&p, "/__tokeninfo?token=");
	sp_pct_encode(&p, token, strlen(token), NULL, false);
	s = control("GET", p.data, NULL);
	spbuf_free(&p);
	o = s ? json_tokener_parse(s) : NULL;
	if (o)
	{
		json_object *v = jget(o, "valid");

		ti.valid = v && json_object_get_boolean(v);
		snprintf(ti.kind, sizeof(ti.kind), "%s", jstr(o, "kind") ? jstr(o, "kind") : "");
		snprintf(ti.scope, sizeof(ti.scope), "%s", jstr(o, "scope") ? jstr(o, "scope") : "");
		snprintf(ti.subject, sizeof(ti.subject), "%s", jstr(o, "subject") ? jstr(o, "subject") : "");
	}
	json_object_put(o);
	free(s);
	return ti;
}

/* ------------------------------------------------------------------
 * Configurations and helpers
 * ------------------------------------------------------------------
 */
static const char *
aws_key(const char *akid, const char *field)
{
	return jstr(jget(jget(sconf, "aws_keys"), akid), field);
}

/*
 * A credential configuration pointing at the stand-ins.  extra is spliced
 * in at the top level (e.g. a distinct quota_project_id gives a distinct
 * cache key).
 */
static char *
make_config(bool impersonate, const char *sa, bool imdsv2, int lifetime,
			const char *extra)
{
	SpBuf		b;

	spbuf_init(&b);
	spbuf_appendf(&b,
				  "{\"type\":\"external_account\",\"audience\":\"%s\","
				  "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
				  "\"token_url\":\"%s/v1/token\","
				  "\"credential_source\":{\"environment_id\":\"aws1\","
				  "\"region_url\":\"%s/latest/meta-data/placement/availability-zone\","
				  "\"url\":\"%s/latest/meta-data/iam/security-credentials\","
				  "\"regional_cred_verification_url\":\"" VERIFY_URL "\"",
				  jstr(sconf, "audience"), base, base, base);
	if (imdsv2)
		spbuf_appendf(&b, ",\"imdsv2_session_token_url\":\"%s/latest/api/token\"", base);
	spbuf_appendc(&b, '}');
	if (impersonate)
	{
		spbuf_appendf(&b, ",\"service_account_impersonation_url\":"
					  "\"%s/v1/projects/-/serviceAccounts/%s:generateAccessToken\"",
					  base, sa);
		if (lifetime)
			spbuf_appendf(&b, ",\"service_account_impersonation\":{\"token_lifetime_seconds\":%d}",
						  lifetime);
	}
	if (extra)
		spbuf_appendf(&b, ",%s", extra);
	spbuf_appendc(&b, '}');
	return spbuf_finish(&b);
}

static const char *
first_sa(void)
{
	return json_object_get_string(json_object_array_get_idx(jget(sconf, "service_accounts"), 0));
}

static void
cfg_init(SpAuthConfig *cfg, FakeEnv *env, const char *json)
{
	sp_auth_config_init(cfg);
	cfg->credentials_json = json;
	cfg->allow_custom_urls = true;
	cfg->getenv_fn = fake_getenv;
	cfg->getenv_arg = env;
	cfg->connect_timeout_ms = 5000;
	cfg->timeout_ms = 20000;
}

static SpAuthStats
lstats(void)
{
	SpAuthStats s;

	sp_auth_stats(&s);
	return s;
}

static double
now_sec(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* no secret of the stand-ins' AWS keys may appear in an error */
static bool
error_has_no_secret(const SpAuthError *err)
{
	json_object *keys = jget(sconf, "aws_keys");

	json_object_object_foreach(keys, akid, k)
	{
		const char *s = jstr(k, "secret");
		const char *t = jstr(k, "session_token");

		(void) akid;
		if ((s && (strstr(err->message, s) || strstr(err->detail, s) || strstr(err->hint, s))) ||
			(t && (strstr(err->message, t) || strstr(err->detail, t) || strstr(err->hint, t))))
			return false;
	}
	return true;
}

static void
show_error(const SpAuthError *err)
{
	tap_diag("kind=%s http=%ld message: %s", sp_auth_error_kind_name(err->kind),
			 err->http_status, err->message);
	if (err->detail[0])
		tap_diag("  detail: %s", err->detail);
	if (err->hint[0])
		tap_diag("  hint: %s", err->hint);
}

/* ------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------
 */
static void
test_env_credentials(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, NULL);
	char	   *tok = NULL;
	char	   *tok2 = NULL;
	time_t		exp = 0;
	SpAuthStats before = lstats();
	SpAuthStats after;
	long		sts_before = scount("sts");
	TokenInfo	ti;
	char	   *scope;
	unsigned long epoch = sp_socket_epoch();

	env_set(&env, "AWS_ACCESS_KEY_ID", "ASIAENV000000001");
	env_set(&env, "AWS_SECRET_ACCESS_KEY", aws_key("ASIAENV000000001", "secret"));
	env_set(&env, "AWS_SESSION_TOKEN", aws_key("ASIAENV000000001", "session_token"));
	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.allow_ambient = true;

	if (!tap_ok(sp_auth_get_token(&cfg, &tok, &exp, &err) == 0,
				"env credentials: token obtained"))
		show_error(&err);
	after = lstats();
	ti = tokeninfo(tok ? tok : "");
	tap_ok(ti.valid && strcmp(ti.kind, "sts") == 0 &&
		   strcmp(ti.scope, SP_AUTH_DEFAULT_SCOPE) == 0 &&
		   strcmp(ti.subject, "ASIAENV000000001") == 0,
		   "env credentials: STS token for the env identity with scope spanner.data");
	scope = slast("sts_scope");
	tap_is_str(scope, SP_AUTH_DEFAULT_SCOPE, "env credentials: STS asked for spanner.data");
	free(scope);
	tap_ok(after.sts_calls == before.sts_calls + 1 && after.metadata_calls == before.metadata_calls &&
		   after.iam_calls == before.iam_calls,
		   "env credentials: one STS call, no metadata, no IAM");
	tap_ok(scount("sts") == sts_before + 1, "env credentials: the stand-in saw one STS call");
	tap_ok(sp_socket_epoch() > epoch,
		   "env credentials: the request's socket was closed through the REST client, which counted it");
	tap_ok(exp > time(NULL) + 3500 && exp <= time(NULL) + 3600,
		   "env credentials: expiry = now + expires_in");

	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok2, NULL, &err) == 0 && tok && tok2 &&
		   strcmp(tok, tok2) == 0, "env credentials: second call returns the same token");
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls && after.cache_hits == before.cache_hits + 1,
		   "env credentials: reused from the cache, no call");
	sp_auth_free_token(tok2);
	tok2 = NULL;

	/* invalidate (as after a 401), then one fetch again */
	sp_auth_invalidate(&cfg);
	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok2, NULL, &err) == 0 && tok2 && strcmp(tok, tok2) != 0,
		   "invalidate: next call fetches a new token");
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls + 1, "invalidate: exactly one STS call");
	sp_auth_free_token(tok);
	sp_auth_free_token(tok2);
	free(json);
}

static void
test_explicit_impersonation(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(true, first_sa(), true, 1800, NULL);
	char	   *tok = NULL;
	char	   *tok2 = NULL;
	time_t		exp = 0;
	SpAuthStats before = lstats();
	SpAuthStats after;
	TokenInfo	ti;
	char	   *scope;
	char	   *s;

	env_set(&env, "AWS_REGION", "us-west-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");
	/* explicit keys need no allow_ambient */

	if (!tap_ok(sp_auth_get_token(&cfg, &tok, &exp, &err) == 0,
				"explicit keys + impersonation: token obtained"))
		show_error(&err);
	after = lstats();
	ti = tokeninfo(tok ? tok : "");
	tap_ok(ti.valid && strcmp(ti.kind, "iam") == 0 &&
		   strcmp(ti.scope, SP_AUTH_DEFAULT_SCOPE) == 0 &&
		   strcmp(ti.subject, first_sa()) == 0,
		   "impersonation: service-account token with scope spanner.data");
	scope = slast("sts_scope");
	tap_is_str(scope, SP_SCOPE_CLOUD_PLATFORM, "impersonation: STS asked for cloud-platform");
	free(scope);
	s = control("GET", "/__stats", NULL);
	tap_ok(s && strstr(s, "\"lifetime\": \"1800s\""),
		   "impersonation: lifetime 1800s from the configuration");
	free(s);
	tap_ok(after.sts_calls == before.sts_calls + 1 && after.iam_calls == before.iam_calls + 1 &&
		   after.metadata_calls == before.metadata_calls,
		   "impersonation: one STS and one IAM call, no metadata");
	tap_ok(exp > time(NULL) + 1700 && exp <= time(NULL) + 1800,
		   "impersonation: expiry from expireTime");

	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok2, NULL, &err) == 0 && tok2 && strcmp(tok, tok2) == 0,
		   "impersonation: second call reuses the token");
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls && after.iam_calls == before.iam_calls,
		   "impersonation: no call on reuse");
	sp_auth_free_token(tok2);
	tok2 = NULL;

	/* another identity, same configuration: its own cache entry */
	cfg.aws_access_key_id = "AKIDEXPLICIT0002";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0002", "secret");
	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok2, NULL, &err) == 0 && tok2 && strcmp(tok, tok2) != 0,
		   "cache key: another AWS identity gets its own token");
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls + 1, "cache key: which costs its own STS call");
	s = slast("sts_subject");
	tap_is_str(s, "AKIDEXPLICIT0002", "cache key: STS saw the second identity");
	free(s);
	sp_auth_free_token(tok);
	sp_auth_free_token(tok2);
	free(json);
}

static void
test_wrong_secret(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, "\"quota_project_id\":\"wrong-secret\"");
	char	   *tok = NULL;
	const char *wrong = "explicit/Secret+0001-THIS-IS-WRONG-000000";
	SpAuthStats before;
	SpAuthStats after;
	long		rejected = scount("sts_rejected");

	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = wrong;

	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && tok == NULL &&
		   err.kind == SP_AUTH_ERR_STS && err.http_status == 400,
		   "wrong secret: STS refuses (kind sts, HTTP 400)");
	show_error(&err);
	tap_ok(strstr(err.message, "invalid_grant") && strstr(err.detail, "SignatureDoesNotMatch"),
		   "wrong secret: message says invalid_grant, detail SignatureDoesNotMatch");
	tap_ok(strstr(err.hint, "AWS credentials") != NULL, "wrong secret: hint says what to check");
	tap_ok(!strstr(err.message, wrong) && !strstr(err.detail, wrong) && !strstr(err.hint, wrong) &&
		   error_has_no_secret(&err), "wrong secret: no secret in the error");
	tap_ok(scount("sts_rejected") == rejected + 1,
		   "wrong secret: the stand-in recomputed the signature and rejected it");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0, "wrong secret: refused again");
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls + 2, "wrong secret: failures are not cached");

	/* wrong session token for a key that has one */
	cfg.aws_access_key_id = "ASIAENV000000001";
	cfg.aws_secret_access_key = aws_key("ASIAENV000000001", "secret");
	cfg.aws_session_token = "not-the-session-token-at-all";
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_STS &&
		   strstr(err.detail, "InvalidClientTokenId") && !strstr(err.detail, "not-the-session-token"),
		   "wrong session token: refused, token not echoed");
	free(json);
}

static void
test_imdsv2(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, "\"quota_project_id\":\"imds\"");
	char	   *tok = NULL;
	SpAuthStats before = lstats();
	SpAuthStats after;
	long		put = scount("imds_put");
	long		region = scount("imds_region");
	long		role = scount("imds_role");
	long		creds = scount("imds_credentials");
	long		unauth = scount("imds_unauthorized");
	TokenInfo	ti;
	char	   *ttl;

	cfg_init(&cfg, &env, json);
	cfg.allow_ambient = true;
	if (!tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0, "IMDSv2: token obtained"))
		show_error(&err);
	after = lstats();
	ti = tokeninfo(tok ? tok : "");
	tap_ok(ti.valid && strcmp(ti.subject, "ASIAIMDS00000001") == 0,
		   "IMDSv2: STS saw the instance role's credentials");
	tap_ok(scount("imds_put") == put + 1, "IMDSv2: one session-token PUT");
	ttl = slast("imds_ttl");
	tap_is_str(ttl, "300", "IMDSv2: X-aws-ec2-metadata-token-ttl-seconds 300");
	free(ttl);
	tap_ok(scount("imds_region") == region + 1 && scount("imds_role") == role + 1 &&
		   scount("imds_credentials") == creds + 1,
		   "IMDSv2: region, role and credentials GETs, once each");
	tap_ok(scount("imds_unauthorized") == unauth, "IMDSv2: every GET carried the token");
	tap_ok(after.metadata_calls == before.metadata_calls + 4,
		   "IMDSv2: 4 metadata calls counted");
	sp_auth_free_token(tok);
	tok = NULL;

	before = lstats();
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0, "IMDSv2: second call");
	after = lstats();
	tap_ok(after.metadata_calls == before.metadata_calls && after.sts_calls == before.sts_calls,
		   "IMDSv2: reuse makes no metadata or STS call");
	sp_auth_free_token(tok);
	free(json);
}

static void
test_imdsv1_refused(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, false, 0, "\"quota_project_id\":\"imdsv1\"");
	char	   *tok = NULL;

	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.allow_ambient = true;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_METADATA &&
		   err.http_status == 401 &&
		   strcmp(err.message, "Unable to retrieve AWS role name") == 0 &&
		   strstr(err.hint, "imdsv2_session_token_url"),
		   "IMDSv1 against an IMDSv2-only service: metadata error, hint names imdsv2_session_token_url");
	show_error(&err);
	free(json);
}

static void
test_ecs(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(true, first_sa(), true, 0, "\"quota_project_id\":\"ecs\"");
	char	   *tok = NULL;
	SpAuthStats before = lstats();
	SpAuthStats after;
	long		ecs = scount("ecs");
	TokenInfo	ti;
	json_object *e = jget(sconf, "ecs");
	char		full[256];
	char		file[512];
	FILE	   *fp;

	env_set(&env, "AWS_REGION", "us-east-2");
	env_set(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", jstr(e, "relative_uri"));
	env_set(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", jstr(e, "authorization"));
	cfg_init(&cfg, &env, json);
	cfg.allow_ambient = true;
	cfg.ecs_base_url = base;
	if (!tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0,
				"ECS relative URI + token: token obtained"))
		show_error(&err);
	after = lstats();
	ti = tokeninfo(tok ? tok : "");
	tap_ok(ti.valid && strcmp(ti.kind, "iam") == 0,
		   "ECS: impersonated token");
	tap_ok(scount("ecs") == ecs + 1 && after.metadata_calls == before.metadata_calls + 1,
		   "ECS: one container-credentials call");
	sp_auth_free_token(tok);
	tok = NULL;

	/* full URI and token file */
	env.n = 0;
	snprintf(full, sizeof(full), "%s%s", base, jstr(e, "full_uri_path"));
	snprintf(file, sizeof(file), "%s/ecs-token", scratch);
	fp = fopen(file, "w");
	if (fp)
	{
		fprintf(fp, "%s\n", jstr(e, "authorization"));
		fclose(fp);
	}
	env_set(&env, "AWS_REGION", "us-east-2");
	env_set(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", full);
	env_set(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file);
	env_set(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-set");
	cfg.allow_custom_urls = true;
	if (!tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0,
				"ECS full URI + token file: token obtained"))
		show_error(&err);
	sp_auth_free_token(tok);
	tok = NULL;

	/* wrong token */
	env.n = 0;
	env_set(&env, "AWS_REGION", "us-east-2");
	env_set(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", jstr(e, "relative_uri"));
	env_set(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-container-token-123");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_METADATA &&
		   err.http_status == 401 && strstr(err.hint, "AWS_CONTAINER_AUTHORIZATION_TOKEN") &&
		   !strstr(err.message, "wrong-container-token") && !strstr(err.detail, "wrong-container-token"),
		   "ECS wrong authorization token: metadata error (401), token not shown");
	show_error(&err);
	unlink(file);
	free(json);
}

static void
test_iam_refused(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(true, "nobody@my-project.iam.gserviceaccount.com", true, 0, NULL);
	char	   *tok = NULL;

	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_IAM &&
		   err.http_status == 403 && strstr(err.message, "PERMISSION_DENIED") &&
		   strstr(err.message, "Unable to acquire impersonated credentials") &&
		   strstr(err.detail, "iam.serviceAccounts.getAccessToken") &&
		   strstr(err.hint, "roles/iam.workloadIdentityUser"),
		   "impersonation refused: kind iam, 403 PERMISSION_DENIED, hint names the role");
	show_error(&err);
	free(json);

	json = make_config(true, first_sa(), true, 7200, NULL);
	cfg.credentials_json = json;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_IAM &&
		   err.http_status == 400 && strstr(err.hint, "allowServiceAccountCredentialLifetimeExtension"),
		   "impersonation lifetime over 1 h refused: hint names the org policy");
	free(json);
}

static void
test_short_lived(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, "\"quota_project_id\":\"short\"");
	char	   *t1 = NULL;
	char	   *t2 = NULL;
	char	   *t3 = NULL;
	time_t		exp = 0;
	SpAuthStats a;
	SpAuthStats b;
	SpAuthStats c;

	knobs("{\"sts_expires_in\": 8}");
	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");

	a = lstats();
	tap_ok(sp_auth_get_token(&cfg, &t1, &exp, &err) == 0 && exp <= time(NULL) + 8,
		   "short-lived: 8 s token obtained");
	tap_ok(sp_auth_get_token(&cfg, &t2, NULL, &err) == 0 && t1 && t2 && strcmp(t1, t2) == 0,
		   "short-lived: reused within its first half");
	b = lstats();
	tap_ok(b.sts_calls == a.sts_calls + 1, "short-lived: one STS call so far");
	/* margin = min(225, 8 / 2) = 4 s: usable for 4 s, refreshed after */
	sleep(5);
	tap_ok(sp_auth_get_token(&cfg, &t3, NULL, &err) == 0 && t3 && strcmp(t1, t3) != 0,
		   "short-lived: refreshed once within the margin (min(225 s, lifetime/2))");
	c = lstats();
	tap_ok(c.sts_calls == b.sts_calls + 1, "short-lived: exactly one more STS call");
	knobs("{\"sts_expires_in\": null}");
	sp_auth_free_token(t1);
	sp_auth_free_token(t2);
	sp_auth_free_token(t3);
	free(json);
}

static void
test_ambient_refused(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, NULL);
	char	   *tok = NULL;
	SpAuthStats before = lstats();
	SpAuthStats after;
	long		sts = scount("sts");
	long		put = scount("imds_put");

	env_set(&env, "AWS_ACCESS_KEY_ID", "ASIAENV000000001");
	env_set(&env, "AWS_SECRET_ACCESS_KEY", aws_key("ASIAENV000000001", "secret"));
	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.allow_ambient = false;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 &&
		   err.kind == SP_AUTH_ERR_AWS_CREDENTIALS &&
		   strstr(err.hint, "allow_ambient_credentials 'true'"),
		   "ambient refused: kind aws_credentials, hint names allow_ambient_credentials");
	show_error(&err);
	after = lstats();
	tap_ok(after.sts_calls == before.sts_calls && after.metadata_calls == before.metadata_calls &&
		   scount("sts") == sts && scount("imds_put") == put,
		   "ambient refused: nothing was contacted");
	free(json);
}

static void
test_rejected_urls(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(true, first_sa(), true, 0, NULL);
	char	   *tok = NULL;
	long		sts = scount("sts");
	SpBuf		b;
	char	   *j2;

	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.allow_custom_urls = false;
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strcmp(err.message, "The provided token URL is invalid.") == 0 &&
		   strstr(err.hint, "allow_custom_urls"),
		   "local token_url without allow_custom_urls: refused");
	show_error(&err);

	spbuf_init(&b);
	spbuf_appendf(&b, "{\"type\":\"external_account\",\"audience\":\"%s\","
				  "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
				  "\"token_url\":\"https://sts.googleapis.com/v1/token\","
				  "\"service_account_impersonation_url\":\"%s/v1/projects/-/serviceAccounts/%s:generateAccessToken\","
				  "\"credential_source\":{\"environment_id\":\"aws1\","
				  "\"regional_cred_verification_url\":\"" VERIFY_URL "\"}}",
				  jstr(sconf, "audience"), base, first_sa());
	j2 = spbuf_finish(&b);
	cfg.credentials_json = j2;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strcmp(err.message, "The provided service account impersonation URL is invalid.") == 0,
		   "local impersonation URL without allow_custom_urls: refused");
	free(j2);

	spbuf_init(&b);
	spbuf_appendf(&b, "{\"type\":\"external_account\",\"audience\":\"%s\","
				  "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
				  "\"credential_source\":{\"environment_id\":\"aws1\","
				  "\"url\":\"http://192.0.2.10/latest/meta-data/iam/security-credentials\","
				  "\"regional_cred_verification_url\":\"" VERIFY_URL "\"}}",
				  jstr(sconf, "audience"));
	j2 = spbuf_finish(&b);
	cfg.credentials_json = j2;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strcmp(err.message, "Invalid hostname '192.0.2.10' for 'url'") == 0,
		   "metadata url on a foreign host: refused");
	free(j2);

	spbuf_init(&b);
	spbuf_appendf(&b, "{\"type\":\"external_account\",\"audience\":\"%s\","
				  "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
				  "\"credential_source\":{\"environment_id\":\"aws1\","
				  "\"regional_cred_verification_url\":\"https://evil.example.com/{region}\"}}",
				  jstr(sconf, "audience"));
	j2 = spbuf_finish(&b);
	cfg.credentials_json = j2;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strcmp(err.message, "The provided regional_cred_verification_url is invalid.") == 0,
		   "verification URL off amazonaws.com: refused");
	free(j2);
	tap_ok(scount("sts") == sts, "rejected URLs: nothing was contacted");
	free(json);
}

static int	interrupt_calls;
static double interrupt_first;

/* "cancel" one second into the request, while the stand-in stalls */
static int
interrupt_after_a_while(void *arg)
{
	double		t = now_sec();

	if (interrupt_calls++ == 0)
		interrupt_first = t;
	return t - interrupt_first >= 1.0;
}

static void
test_cancel_timeout_size(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *json = make_config(false, NULL, true, 0, "\"quota_project_id\":\"slow\"");
	char	   *tok = NULL;
	double		t0;
	double		elapsed;

	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");

	knobs("{\"sts_delay\": 20}");
	cfg.interrupt_fn = interrupt_after_a_while;
	interrupt_calls = 0;
	t0 = now_sec();
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CANCELLED,
		   "interrupt callback: transfer aborted (kind cancelled)");
	elapsed = now_sec() - t0;
	tap_ok(elapsed >= 0.9 && elapsed < 10.0,
		   "interrupt callback: returned after %.1f s (cancelled at 1 s) against a 20 s stall",
		   elapsed);
	tap_ok(interrupt_calls >= 2, "interrupt callback: polled %d times during the transfer",
		   interrupt_calls);
	show_error(&err);
	cfg.interrupt_fn = NULL;

	cfg.timeout_ms = 1000;
	t0 = now_sec();
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_HTTP &&
		   strstr(err.hint, "timeout"),
		   "total timeout: kind http, hint mentions the timeout");
	elapsed = now_sec() - t0;
	tap_ok(elapsed < 10.0, "total timeout: returned after %.1f s (1 s timeout)", elapsed);
	show_error(&err);
	cfg.timeout_ms = 20000;
	knobs("{\"sts_delay\": 0, \"sts_big\": true}");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_HTTP &&
		   strstr(err.message, "larger than"),
		   "oversized response: refused at the size limit");
	show_error(&err);
	knobs("{\"sts_big\": false, \"sts_fail_plain\": 503}");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_STS &&
		   err.http_status == 503 && strstr(err.detail, "upstream unavailable"),
		   "non-JSON STS error: kind sts, body shown in detail");
	show_error(&err);
	knobs("{\"sts_fail_plain\": 0}");
	free(json);
}

static void
test_connection_refused(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char		json[2048];
	char	   *tok = NULL;

	/* port 1 on loopback: nothing listens there */
	snprintf(json, sizeof(json),
			 "{\"type\":\"external_account\",\"audience\":\"%s\","
			 "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
			 "\"token_url\":\"http://127.0.0.1:1/v1/token\","
			 "\"credential_source\":{\"environment_id\":\"aws1\","
			 "\"regional_cred_verification_url\":\"" VERIFY_URL "\"}}",
			 jstr(sconf, "audience"));
	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_HTTP &&
		   strstr(err.message, "Google STS"),
		   "unreachable STS: kind http, message names the step");
	show_error(&err);
}

static void
test_counters_agree(void)
{
	SpAuthStats s = lstats();

	tap_ok((long) s.sts_calls == scount("sts"),
		   "counters: library STS calls (%lu) = stand-in STS calls (%ld)",
		   s.sts_calls, scount("sts"));
	tap_ok((long) s.iam_calls == scount("iam"),
		   "counters: library IAM calls (%lu) = stand-in IAM calls (%ld)",
		   s.iam_calls, scount("iam"));
	tap_ok((long) s.metadata_calls == scount("imds_put") + scount("imds_region") +
		   scount("imds_role") + scount("imds_credentials") + scount("imds_unauthorized") +
		   scount("ecs"),
		   "counters: library metadata calls (%lu) = stand-in metadata calls",
		   s.metadata_calls);
}


static void
test_tls(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char		json[2048];
	char	   *tok = NULL;

	if (!tap_ok(tls_port > 0 && tls_ca != NULL, "TLS: an HTTPS stand-in is running"))
		return;
	snprintf(json, sizeof(json),
			 "{\"type\":\"external_account\",\"audience\":\"%s\","
			 "\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\","
			 "\"token_url\":\"https://127.0.0.1:%d/v1/token\","
			 "\"credential_source\":{\"environment_id\":\"aws1\","
			 "\"regional_cred_verification_url\":\"" VERIFY_URL "\"}}",
			 jstr(sconf, "audience"), tls_port);
	env_set(&env, "AWS_REGION", "us-east-2");
	cfg_init(&cfg, &env, json);
	cfg.aws_access_key_id = "AKIDEXPLICIT0001";
	cfg.aws_secret_access_key = aws_key("AKIDEXPLICIT0001", "secret");

	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_HTTP &&
		   (strstr(err.message, "certificate") || strstr(err.message, "SSL")),
		   "TLS: a self-signed server is refused without ca_file");
	show_error(&err);
	cfg.ca_file = "/nonexistent/ca.pem";
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_HTTP,
		   "TLS: a missing ca_file is an error");
	cfg.ca_file = tls_ca;
	if (!tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0,
				"TLS: verified with ca_file, token obtained"))
		show_error(&err);
	sp_auth_free_token(tok);
}

int
main(int argc, char **argv)
{
	if (argc != 4 && argc != 6)
	{
		fprintf(stderr, "usage: %s <port> <standin_config.json> <scratch-dir> [<https-port> <ca-file>]\n",
				argv[0]);
		return 2;
	}
	if (argc == 6)
	{
		tls_port = atoi(argv[4]);
		tls_ca = argv[5];
	}
	port = atoi(argv[1]);
	scratch = argv[3];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	sconf = tap_load_json(argv[2]);
	if (!tap_ok(sconf != NULL && port > 0, "stand-in configuration loads"))
		return tap_done();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	free(control("POST", "/__reset", NULL));
	sp_auth_stats_reset();
	tap_ok(scount("sts") == 0, "stand-ins answer and start from zero");

	test_env_credentials();
	test_explicit_impersonation();
	test_wrong_secret();
	test_imdsv2();
	test_imdsv1_refused();
	test_ecs();
	test_iam_refused();
	test_short_lived();
	test_ambient_refused();
	test_rejected_urls();
	test_cancel_timeout_size();
	test_counters_agree();
	/* last: the library counts this STS call, the stand-ins never see it */
	test_connection_refused();
	test_tls();

	sp_auth_cache_cleanup();
	json_object_put(sconf);
	curl_global_cleanup();
	return tap_done();
}
