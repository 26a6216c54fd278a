/*-------------------------------------------------------------------------
 *
 * exchange.c
 *		  Google STS token exchange and service-account impersonation
 *
 * STS: form-encoded POST (RFC 8693) of the AWS subject token to token_url;
 * no Authorization header unless the configuration has client_id (HTTP
 * Basic).  Impersonation: POST generateAccessToken with the federated
 * token as Bearer and {"scope":[...],"lifetime":"Ns"}.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/exchange.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define MAX_TOKEN_LEN 65536

static void sts_error(SpAuthError *err, const SpHttpResponse *resp,
					  const char *token_url);
static void iam_error(SpAuthError *err, const SpHttpResponse *resp,
					  const SpAwsConfig *ac);
static bool token_ok(const char *t);

/*
 * The STS request body, encoded as Go's url.Values.Encode() does: keys
 * sorted, QueryEscape'd keys and values.  The subject token (already
 * URL-encoded) is therefore encoded a second time.  malloc'd, or NULL.
 */
char *
sp_sts_form_body(const char *audience, const char *scope,
				 const char *subject_token, const char *options_json)
{
	const char *keys[7];
	const char *vals[7];
	int			n = 0;
	int			i;
	SpBuf		b;

	/* in sorted key order */
	keys[n] = "audience";
	vals[n++] = audience;
	keys[n] = "grant_type";
	vals[n++] = SP_STS_GRANT_TYPE;
	if (options_json)
	{
		keys[n] = "options";
		vals[n++] = options_json;
	}
	keys[n] = "requested_token_type";
	vals[n++] = SP_STS_REQUESTED_TYPE;
	if (scope && scope[0])
	{
		keys[n] = "scope";
		vals[n++] = scope;
	}
	keys[n] = "subject_token";
	vals[n++] = subject_token;
	keys[n] = "subject_token_type";
	vals[n++] = SP_AWS_TOKEN_TYPE;

	spbuf_init(&b);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			spbuf_appendc(&b, '&');
		sp_go_query_escape(&b, keys[i]);
		spbuf_appendc(&b, '=');
		sp_go_query_escape(&b, vals[i]);
	}
	return spbuf_finish(&b);
}

/* A bearer token must be non-empty, bounded and header-safe */
static bool
token_ok(const char *t)
{
	const char *p;

	if (t == NULL || t[0] == '\0' || strlen(t) > MAX_TOKEN_LEN)
		return false;
	for (p = t; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p == 0x7f)
			return false;
	return true;
}

static void
sts_error(SpAuthError *err, const SpHttpResponse *resp, const char *token_url)
{
	json_object *root = sp_json_parse(resp->body, resp->len);
	char	   *code = sp_json_get_string(root, "error");
	char	   *desc = sp_json_get_string(root, "error_description");
	char	   *uri = sp_json_get_string(root, "error_uri");

	if (code)
	{
		sp_err_set(err, SP_AUTH_ERR_STS,
				   "Google STS token exchange failed (HTTP %ld %s)",
				   resp->status, code);
		/* google/oauth2/utils.py handle_error_response format */
		sp_err_detail(err, "Error code %s%s%s%s%s", code,
					  desc ? ": " : "", desc ? desc : "",
					  uri ? " - " : "", uri ? uri : "");
		if (strcmp(code, "invalid_grant") == 0)
			sp_err_hint(err, "Google STS could not verify the AWS identity: check the AWS credentials (access key id, secret access key, session token and their expiry), and that the workload identity pool provider trusts this AWS account and its attribute condition admits this role.");
		else if (strcmp(code, "invalid_target") == 0 ||
				 (desc && strstr(desc, "audience")))
			sp_err_hint(err, "Check audience in the credential configuration: it must name an existing, enabled workload identity pool provider (//iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER).");
		else if (strcmp(code, "invalid_scope") == 0)
			sp_err_hint(err, "The requested scope was refused by Google STS.");
		else
			sp_err_hint(err, "Check the workload identity pool provider and the credential configuration.");
	}
	else
	{
		sp_err_set(err, SP_AUTH_ERR_STS,
				   "Google STS token exchange failed (HTTP %ld)",
				   resp->status);
		sp_err_detail_http(err, "Google STS", resp->status, resp->body, resp->len);
		sp_err_hint(err, "Check token_url (%s) in the credential configuration.",
					token_url);
	}
	err->http_status = resp->status;
	free(code);
	free(desc);
	free(uri);
	if (root)
		json_object_put(root);
}

/*
 * The STS answer: the token (malloc'd, secret) and its expiry, counted from
 * "before", the time the request was sent.  Returns 0, or -1 with err set
 * (an error answer, or a 200 without a usable token or expiry).
 */
int
sp_sts_parse_reply(const SpHttpResponse *resp, const char *token_url,
				   time_t before, char **token_out, time_t *expires_at,
				   SpAuthError *err)
{
	json_object *root = NULL;
	json_object *v;
	long long	expires_in = 0;
	int			rc = -1;

	*token_out = NULL;
	if (resp->status != 200)
	{
		sts_error(err, resp, token_url);
		goto done;
	}

	root = sp_json_parse(resp->body, resp->len);
	if (root == NULL || !json_object_is_type(root, json_type_object))
	{
		sp_err_set(err, SP_AUTH_ERR_STS,
				   "Google STS returned a response that is not a JSON object");
		goto done;
	}
	*token_out = sp_json_get_string(root, "access_token");
	if (!token_ok(*token_out))
	{
		sp_err_set(err, SP_AUTH_ERR_STS,
				   "Google STS returned no usable access_token");
		goto done;
	}
	if (json_object_object_get_ex(root, "expires_in", &v))
	{
		/* some services send expires_in as a JSON string (Python note) */
		if (json_object_is_type(v, json_type_int))
			expires_in = json_object_get_int64(v);
		else if (json_object_is_type(v, json_type_double))
		{
			double		d = json_object_get_double(v);

			expires_in = (d > 0 && d < 1e9) ? (long long) d : 0;
		}
		else if (json_object_is_type(v, json_type_string))
		{
			char	   *end;

			errno = 0;
			expires_in = strtoll(json_object_get_string(v), &end, 10);
			if (errno != 0 || *end != '\0')
				expires_in = 0;
		}
	}
	if (expires_in <= 0 || expires_in > 7 * 24 * 3600)
	{
		sp_err_set(err, SP_AUTH_ERR_STS,
				   "got invalid expiry from security token service");
		sp_err_detail(err, "expires_in is missing, not a positive number of seconds, or over a week.");
		goto done;
	}
	*expires_at = before + (time_t) expires_in;
	rc = 0;
done:
	if (rc != 0 && *token_out)
	{
		sp_free_secret(*token_out);
		*token_out = NULL;
	}
	if (root)
		json_object_put(root);
	return rc;
}

/*
 * Exchange the subject token.  On success *token_out is malloc'd (secret)
 * and *expires_at = time before the request + expires_in.
 */
int
sp_sts_exchange(const SpAuthConfig *cfg, const SpAwsConfig *ac,
				const char *subject_token, const char *scope,
				char **token_out, time_t *expires_at, SpAuthError *err)
{
	char	   *body = NULL;
	char	   *options = NULL;
	SpBuf		ab;
	SpBuf		mb;
	const char *hdrs[5];
	int			nh = 0;
	SpHttpRequest req;
	SpHttpResponse resp;
	time_t		before;
	int			rc = -1;

	*token_out = NULL;
	spbuf_init(&ab);
	spbuf_init(&mb);
	memset(&resp, 0, sizeof(resp));

	/* workforce pools only, and only without client authentication */
	if (ac->workforce_pool_user_project && ac->client_id == NULL)
	{
		SpBuf		ob;

		spbuf_init(&ob);
		spbuf_appends(&ob, "{\"userProject\":");
		sp_go_json_string(&ob, ac->workforce_pool_user_project);
		spbuf_appendc(&ob, '}');
		options = spbuf_finish(&ob);
		if (options == NULL)
			goto oom;
	}
	body = sp_sts_form_body(ac->audience, scope, subject_token, options);
	if (body == NULL)
		goto oom;

	hdrs[nh++] = "Content-Type: application/x-www-form-urlencoded";
	hdrs[nh++] = "Accept: application/json";
	spbuf_appendf(&mb, "x-goog-api-client: google-byoid-sdk source/aws sa-impersonation/%s",
				  ac->sa_impersonation_url ? "true" : "false");
	if (mb.failed)
		goto oom;
	hdrs[nh++] = mb.data;
	if (ac->client_id)
	{
		SpBuf		cb;
		char	   *cred;
		char	   *b64;

		spbuf_init(&cb);
		spbuf_appendf(&cb, "%s:%s", ac->client_id,
					  ac->client_secret ? ac->client_secret : "");
		cred = spbuf_finish(&cb);
		if (cred == NULL)
			goto oom;
		b64 = sp_base64(cred, strlen(cred));
		sp_free_secret(cred);
		if (b64 == NULL)
			goto oom;
		spbuf_appendf(&ab, "Authorization: Basic %s", b64);
		sp_free_secret(b64);
		if (ab.failed)
			goto oom;
		hdrs[nh++] = ab.data;
	}
	hdrs[nh] = NULL;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ac->token_url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = strlen(body);
	req.service = "Google STS";
	req.fail_kind = SP_AUTH_ERR_HTTP;
	before = time(NULL);
	sp_auth_count_call(SP_CALL_STS);
	if (sp_http_perform(cfg, &req, &resp, err) != 0)
		goto done;
	rc = sp_sts_parse_reply(&resp, ac->token_url, before, token_out,
							expires_at, err);
	goto done;

oom:
	sp_err_oom(err);
done:
	if (rc != 0 && *token_out)
	{
		sp_free_secret(*token_out);
		*token_out = NULL;
	}
	sp_http_response_free(&resp);
	sp_free_secret(body);
	free(options);
	spbuf_free(&ab);
	spbuf_free(&mb);
	return rc;
}

static void
iam_error(SpAuthError *err, const SpHttpResponse *resp, const SpAwsConfig *ac)
{
	json_object *root = sp_json_parse(resp->body, resp->len);
	json_object *eobj = NULL;
	char	   *status = NULL;
	char	   *message = NULL;

	if (root && json_object_is_type(root, json_type_object) &&
		json_object_object_get_ex(root, "error", &eobj) &&
		json_object_is_type(eobj, json_type_object))
	{
		status = sp_json_get_string(eobj, "status");
		message = sp_json_get_string(eobj, "message");
	}

	/* google/auth/impersonated_credentials.py _REFRESH_ERROR */
	sp_err_set(err, SP_AUTH_ERR_IAM,
			   "Unable to acquire impersonated credentials: generateAccessToken returned HTTP %ld%s%s",
			   resp->status, status ? " " : "", status ? status : "");
	err->http_status = resp->status;
	if (message)
		sp_err_detail(err, "%s", message);
	else
		sp_err_detail_http(err, "generateAccessToken", resp->status,
						   resp->body, resp->len);

	switch (resp->status)
	{
		case 401:
			sp_err_hint(err, "IAM Credentials rejected the federated token from Google STS.");
			break;
		case 403:
			sp_err_hint(err, "Grant the federated identity roles/iam.workloadIdentityUser on service account %s, and check that the IAM Service Account Credentials API is enabled.",
						ac->sa_email);
			break;
		case 404:
			sp_err_hint(err, "Check the service account email (%s) in service_account_impersonation_url.",
						ac->sa_email);
			break;
		case 400:
			sp_err_hint(err, "Check service_account_impersonation.token_lifetime_seconds: more than 3600 needs the constraints/iam.allowServiceAccountCredentialLifetimeExtension organization policy.");
			break;
		default:
			sp_err_hint(err, "Check service_account_impersonation_url in the credential configuration.");
	}
	free(status);
	free(message);
	if (root)
		json_object_put(root);
}

/*
 * The generateAccessToken answer: the token (malloc'd, secret) and its
 * expireTime.  Returns 0, or -1 with err set.
 */
int
sp_iam_parse_reply(const SpHttpResponse *resp, const SpAwsConfig *ac,
				   char **token_out, time_t *expires_at, SpAuthError *err)
{
	json_object *root = NULL;
	char	   *expire = NULL;
	int			rc = -1;

	*token_out = NULL;
	if (resp->status != 200)
	{
		iam_error(err, resp, ac);
		goto done;
	}

	root = sp_json_parse(resp->body, resp->len);
	*token_out = sp_json_get_string(root, "accessToken");
	expire = sp_json_get_string(root, "expireTime");
	if (!token_ok(*token_out) || expire == NULL ||
		!sp_parse_rfc3339(expire, expires_at))
	{
		/* impersonated_credentials.py wording */
		sp_err_set(err, SP_AUTH_ERR_IAM,
				   "No access token or invalid expiration in response.");
		sp_err_detail(err, "generateAccessToken answered HTTP 200 without a usable accessToken and expireTime.");
		goto done;
	}
	if (*expires_at <= time(NULL))
	{
		sp_err_set(err, SP_AUTH_ERR_IAM,
				   "generateAccessToken returned a token that has already expired");
		sp_err_detail(err, "expireTime is %s.", expire);
		sp_err_hint(err, "Check the clock of the PostgreSQL server.");
		goto done;
	}
	rc = 0;
done:
	if (rc != 0 && *token_out)
	{
		sp_free_secret(*token_out);
		*token_out = NULL;
	}
	free(expire);
	if (root)
		json_object_put(root);
	return rc;
}

/*
 * generateAccessToken with the federated token.  *token_out malloc'd
 * (secret), *expires_at from expireTime.
 */
int
sp_iam_generate(const SpAuthConfig *cfg, const SpAwsConfig *ac,
				const char *federated_token, const char *scope,
				char **token_out, time_t *expires_at, SpAuthError *err)
{
	SpBuf		ab;
	SpBuf		qb;
	SpBuf		bb;
	const char *hdrs[5];
	int			nh = 0;
	SpHttpRequest req;
	SpHttpResponse resp;
	int			rc = -1;

	*token_out = NULL;
	spbuf_init(&ab);
	spbuf_init(&qb);
	spbuf_init(&bb);
	memset(&resp, 0, sizeof(resp));

	spbuf_appendf(&ab, "Authorization: Bearer %s", federated_token);
	hdrs[nh++] = ab.data;
	hdrs[nh++] = "Content-Type: application/json";
	hdrs[nh++] = "Accept: application/json";
	if (ac->quota_project_id)
	{
		spbuf_appendf(&qb, "x-goog-user-project: %s", ac->quota_project_id);
		hdrs[nh++] = qb.data;
	}
	hdrs[nh] = NULL;

	spbuf_appends(&bb, "{\"scope\":[");
	sp_go_json_string(&bb, scope);
	spbuf_appendf(&bb, "],\"lifetime\":\"%ds\"}", ac->token_lifetime_seconds);
	if (ab.failed || qb.failed || bb.failed)
		goto oom;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ac->sa_impersonation_url;
	req.headers = hdrs;
	req.body = bb.data;
	req.body_len = bb.len;
	req.service = "IAM Credentials (generateAccessToken)";
	req.fail_kind = SP_AUTH_ERR_HTTP;
	sp_auth_count_call(SP_CALL_IAM);
	if (sp_http_perform(cfg, &req, &resp, err) != 0)
		goto done;
	rc = sp_iam_parse_reply(&resp, ac, token_out, expires_at, err);
	goto done;

oom:
	sp_err_oom(err);
done:
	if (rc != 0 && *token_out)
	{
		sp_free_secret(*token_out);
		*token_out = NULL;
	}
	sp_http_response_free(&resp);
	spbuf_free(&ab);
	spbuf_free(&qb);
	spbuf_free(&bb);
	return rc;
}
