/*-------------------------------------------------------------------------
 *
 * aws_source.c
 *		  Find the AWS region and the AWS credentials that sign the subject token
 *
 * Credentials, first found wins:
 *	 1. explicit keys from the user mapping;
 *	 and only when the caller allows ambient credentials:
 *	 2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *	 3. ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *		or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
 *	 4. EC2 instance metadata: role name from credential_source.url, then
 *		url/role; IMDSv2 (one PUT, token on every GET) when
 *		imdsv2_session_token_url is configured.
 * Region: with explicit keys, the aws_region given with them; then
 * AWS_REGION, AWS_DEFAULT_REGION (read whether or not ambient
 * credentials are allowed: a region is no secret), then region_url with the
 * zone letter stripped.  Empty variables count as unset (Go, Node).
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/aws_source.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define MAX_AUTH_TOKEN_FILE 16384

static int	get_imds_token(SpAwsFetch *f, SpAuthError *err);
static bool metadata_refused(SpAwsFetch *f, SpHttpResponse *resp, const char *what,
							 SpAuthError *err);
static int	metadata_get(SpAwsFetch *f, const char *url, const char *what,
						 SpHttpResponse *resp, SpAuthError *err);
static char *trimmed_copy(const char *s, size_t len);
static int	ecs_credentials(SpAwsFetch *f, SpAwsCredentials *out,
							SpAuthError *err);
static int	imds_credentials(SpAwsFetch *f, SpAwsCredentials *out,
							 SpAuthError *err);
static char *read_token_file(const char *path, SpAuthError *err);

/*
 * Decide, without any network call, where the credentials will come from.
 */
int
sp_aws_pick_source(const SpAuthConfig *cfg, SpAwsSource *src, SpAuthError *err)
{
	bool		has_id = cfg->aws_access_key_id && cfg->aws_access_key_id[0];
	bool		has_secret = cfg->aws_secret_access_key && cfg->aws_secret_access_key[0];
	bool		has_token = cfg->aws_session_token && cfg->aws_session_token[0];

	if (has_id || has_secret || has_token)
	{
		if (!has_id || !has_secret)
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "aws_access_key_id and aws_secret_access_key must be set together");
			sp_err_hint(err, "aws_session_token is optional, but needs both keys.");
			return -1;
		}
		if (cfg->aws_region && cfg->aws_region[0] &&
			!sp_auth_region_valid(cfg->aws_region))
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG, "Invalid AWS region '%s'",
					   cfg->aws_region);
			sp_err_detail(err, "The region comes from the user mapping option aws_region.");
			sp_err_hint(err, "Give an AWS region name such as \"us-east-1\".");
			return -1;
		}
		*src = SP_AWS_SRC_EXPLICIT;
		return 0;
	}
	if (cfg->aws_region && cfg->aws_region[0])
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "aws_region is only used with aws_access_key_id and aws_secret_access_key");
		sp_err_hint(err, "Ambient credentials take their region from the server's environment or the credential configuration's region_url.");
		return -1;
	}
	if (!cfg->allow_ambient)
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
				   "no AWS credentials in the user mapping, and ambient credentials are not allowed");
		sp_err_hint(err, "Set aws_access_key_id and aws_secret_access_key in the user mapping, or have a superuser set the user mapping option allow_ambient_credentials 'true' to use the server's environment, ECS/EKS container credentials or EC2 instance metadata.");
		return -1;
	}
	if (sp_env_nonempty(cfg, "AWS_ACCESS_KEY_ID") &&
		sp_env_nonempty(cfg, "AWS_SECRET_ACCESS_KEY"))
		*src = SP_AWS_SRC_ENV;
	else if (sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
			 sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
		*src = SP_AWS_SRC_ECS;
	else
		*src = SP_AWS_SRC_IMDS;
	return 0;
}

/* malloc'd copy without leading/trailing whitespace */
static char *
trimmed_copy(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char) *s))
	{
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	return sp_strndup(s, len);
}

/* IMDSv2: one PUT per fetch, the token is reused for every GET */
static int
get_imds_token(SpAwsFetch *f, SpAuthError *err)
{
	const char *hdrs[] = {
		"X-aws-ec2-metadata-token-ttl-seconds: " SP_IMDS_TTL_SECONDS, NULL
	};
	SpHttpRequest req;
	SpHttpResponse resp;

	if (f->ac->imdsv2_session_token_url == NULL || f->imds_token != NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = f->ac->imdsv2_session_token_url;
	req.headers = hdrs;
	req.metadata = true;
	req.service = "the AWS IMDSv2 session token endpoint";
	req.fail_kind = SP_AUTH_ERR_METADATA;
	sp_auth_count_call(SP_CALL_METADATA);
	if (sp_http_perform(f->cfg, &req, &resp, err) != 0)
		return -1;
	if (resp.status != 200)
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS Session Token");
		err->http_status = resp.status;
		sp_err_detail(err, "PUT %s returned HTTP %ld.", req.url, resp.status);
		sp_http_response_free(&resp);
		return -1;
	}
	f->imds_token = trimmed_copy(resp.body, resp.len);
	sp_http_response_free(&resp);
	if (f->imds_token == NULL)
	{
		sp_err_oom(err);
		return -1;
	}
	if (f->imds_token[0] == '\0' || strpbrk(f->imds_token, "\r\n"))
	{
		sp_free_secret(f->imds_token);
		f->imds_token = NULL;
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS Session Token");
		sp_err_detail(err, "The IMDSv2 session token endpoint returned an empty or malformed token.");
		return -1;
	}
	return 0;
}

/*
 * A non-200 metadata answer: set the error (with the IMDSv2 hint when the
 * instance asked for a session token), free the response, return true.
 */
static bool
metadata_refused(SpAwsFetch *f, SpHttpResponse *resp, const char *what,
				 SpAuthError *err)
{
	if (resp->status == 200)
		return false;
	sp_err_set(err, SP_AUTH_ERR_METADATA, "%s", what);
	err->http_status = resp->status;
	sp_err_detail_http(err, "The metadata service", resp->status,
					   resp->body, resp->len);
	if (resp->status == 401 && f->ac->imdsv2_session_token_url == NULL)
		sp_err_hint(err, "The instance requires IMDSv2: add imdsv2_session_token_url to credential_source (gcloud --enable-imdsv2).");
	sp_http_response_free(resp);
	return true;
}

/* GET a metadata URL with the IMDSv2 token, if there is one */
static int
metadata_get(SpAwsFetch *f, const char *url, const char *what,
			 SpHttpResponse *resp, SpAuthError *err)
{
	SpHttpRequest req;
	SpBuf		hb;
	const char *hdrs[2] = {NULL, NULL};
	int			rc;

	if (get_imds_token(f, err) != 0)
		return -1;
	spbuf_init(&hb);
	if (f->imds_token)
	{
		spbuf_appendf(&hb, "X-aws-ec2-metadata-token: %s", f->imds_token);
		if (hb.failed)
		{
			sp_err_oom(err);
			return -1;
		}
		hdrs[0] = hb.data;
	}
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.metadata = true;
	req.service = what;
	req.fail_kind = SP_AUTH_ERR_METADATA;
	sp_auth_count_call(SP_CALL_METADATA);
	rc = sp_http_perform(f->cfg, &req, resp, err);
	spbuf_free(&hb);
	return rc;
}

int
sp_aws_get_region(SpAwsFetch *f, char **region, SpAuthError *err)
{
	const char *env;
	SpHttpResponse resp;
	char	   *zone;
	size_t		n;

	*region = NULL;

	/* the region of the mapping's own keys (sp_aws_pick_source checked it) */
	if (f->cfg->aws_region && f->cfg->aws_region[0] &&
		f->cfg->aws_access_key_id && f->cfg->aws_access_key_id[0])
	{
		*region = sp_strdup(f->cfg->aws_region);
		if (*region == NULL)
		{
			sp_err_oom(err);
			return -1;
		}
		return 0;
	}

	env = sp_env_nonempty(f->cfg, "AWS_REGION");
	if (env == NULL)
		env = sp_env_nonempty(f->cfg, "AWS_DEFAULT_REGION");
	if (env)
	{
		if (!sp_region_valid(env))
		{
			sp_err_set(err, SP_AUTH_ERR_AWS_REGION, "Invalid AWS region '%s'",
					   env);
			sp_err_detail(err, "The region comes from the environment variable %s.",
						  sp_env_nonempty(f->cfg, "AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION");
			return -1;
		}
		*region = sp_strdup(env);
		if (*region == NULL)
		{
			sp_err_oom(err);
			return -1;
		}
		return 0;
	}

	if (f->ac->region_url == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_REGION, "Unable to determine AWS region");
		sp_err_hint(err, "Set AWS_REGION in the environment of the PostgreSQL server, or add region_url to credential_source.");
		return -1;
	}
	if (metadata_get(f, f->ac->region_url, "the AWS region metadata endpoint",
					 &resp, err) != 0)
		return -1;
	if (metadata_refused(f, &resp, "Unable to retrieve AWS region", err))
		return -1;
	zone = trimmed_copy(resp.body, resp.len);
	sp_http_response_free(&resp);
	if (zone == NULL)
	{
		sp_err_oom(err);
		return -1;
	}
	/* "us-east-2b" -> "us-east-2" */
	n = strlen(zone);
	if (n >= 2)
		zone[n - 1] = '\0';
	if (n < 2 || !sp_region_valid(zone))
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_REGION,
				   "Unable to retrieve AWS region");
		sp_err_detail(err, "region_url returned an availability zone that does not name a region.");
		free(zone);
		return -1;
	}
	*region = zone;
	return 0;
}

/* {AccessKeyId, SecretAccessKey, Token} from IMDS or ECS */
int
sp_aws_parse_credentials(const char *body, size_t len, const char *what,
				SpAwsCredentials *out, SpAuthError *err)
{
	json_object *root = sp_json_parse(body, len);
	char	   *code;

	if (root == NULL || !json_object_is_type(root, json_type_object))
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS security credentials");
		sp_err_detail(err, "%s did not return a JSON object.", what);
		if (root)
			json_object_put(root);
		return -1;
	}
	code = sp_json_get_string(root, "Code");
	if (code && strcmp(code, "Success") != 0)
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS security credentials");
		sp_err_detail(err, "%s returned Code \"%.64s\".", what, code);
		free(code);
		json_object_put(root);
		return -1;
	}
	free(code);
	out->access_key_id = sp_json_get_string(root, "AccessKeyId");
	out->secret_access_key = sp_json_get_string(root, "SecretAccessKey");
	out->session_token = sp_json_get_string(root, "Token");
	json_object_put(root);
	if (out->access_key_id == NULL || out->access_key_id[0] == '\0' ||
		out->secret_access_key == NULL || out->secret_access_key[0] == '\0')
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS security credentials");
		sp_err_detail(err, "%s: missing %s credential.", what,
					  (out->access_key_id == NULL || out->access_key_id[0] == '\0')
					  ? "AccessKeyId" : "SecretAccessKey");
		sp_aws_credentials_free(out);
		return -1;
	}
	if (out->session_token && out->session_token[0] == '\0')
	{
		free(out->session_token);
		out->session_token = NULL;
	}
	return 0;
}

static char *
read_token_file(const char *path, SpAuthError *err)
{
	FILE	   *fp = fopen(path, "rb");
	char	   *buf;
	size_t		n;

	if (fp == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
				   "could not open AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \"%s\": %s",
				   path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_AUTH_TOKEN_FILE + 1);
	if (buf == NULL)
	{
		fclose(fp);
		sp_err_oom(err);
		return NULL;
	}
	n = fread(buf, 1, MAX_AUTH_TOKEN_FILE + 1, fp);
	fclose(fp);
	if (n > MAX_AUTH_TOKEN_FILE)
	{
		sp_wipe(buf, n);
		free(buf);
		sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
				   "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \"%s\" is too large",
				   path);
		return NULL;
	}
	while (n > 0 && isspace((unsigned char) buf[n - 1]))
		n--;
	buf[n] = '\0';
	return buf;
}

static int
ecs_credentials(SpAwsFetch *f, SpAwsCredentials *out, SpAuthError *err)
{
	const SpAuthConfig *cfg = f->cfg;
	const char *rel = sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = sp_env_nonempty(cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file = sp_env_nonempty(cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token_env = sp_env_nonempty(cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char	   *token = NULL;
	char	   *url = NULL;
	SpBuf		ub;
	SpBuf		ab;
	const char *hdrs[3] = {"Accept: application/json", NULL, NULL};
	SpHttpRequest req;
	SpHttpResponse resp;
	int			rc = -1;

	spbuf_init(&ub);
	spbuf_init(&ab);
	if (rel)
	{
		const char *base = SP_DEFAULT_ECS_BASE;

		if (cfg->allow_custom_urls && cfg->ecs_base_url && cfg->ecs_base_url[0])
			base = cfg->ecs_base_url;
		if (rel[0] != '/')
		{
			sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
					   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
			return -1;
		}
		spbuf_appends(&ub, base);
		spbuf_appends(&ub, rel);
		url = spbuf_finish(&ub);
		if (url == NULL)
			goto oom;
	}
	else
	{
		if (!sp_url_allowed(full, SP_URL_ECS_FULL, cfg->allow_custom_urls))
		{
			sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
					   "Invalid URL '%s' for 'AWS_CONTAINER_CREDENTIALS_FULL_URI'",
					   full);
			sp_err_detail(err, "The container credentials URL must be https, or http to 169.254.170.2, 169.254.170.23, [fd00:ec2::23] or a loopback address.");
			sp_err_hint(err, "A superuser can lift this check with the user mapping option allow_custom_urls 'true'.");
			return -1;
		}
		url = sp_strdup(full);
		if (url == NULL)
			goto oom;
	}

	if (token_file)
	{
		token = read_token_file(token_file, err);
		if (token == NULL)
			goto done;
	}
	else if (token_env)
	{
		token = sp_strdup(token_env);
		if (token == NULL)
			goto oom;
	}
	if (token)
	{
		if (strpbrk(token, "\r\n"))
		{
			sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
					   "the container authorization token contains a line break");
			goto done;
		}
		spbuf_appendf(&ab, "Authorization: %s", token);
		if (ab.failed)
			goto oom;
		hdrs[1] = ab.data;
	}

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.metadata = true;
	req.service = "the ECS/EKS container credentials endpoint";
	req.fail_kind = SP_AUTH_ERR_METADATA;
	sp_auth_count_call(SP_CALL_METADATA);
	if (sp_http_perform(cfg, &req, &resp, err) != 0)
		goto done;
	if (resp.status != 200)
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS security credentials from the container credentials endpoint");
		err->http_status = resp.status;
		sp_err_detail_http(err, "The container credentials endpoint", resp.status,
						   resp.body, resp.len);
		if (resp.status == 401 || resp.status == 403)
			sp_err_hint(err, "Check AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE in the server's environment.");
		sp_http_response_free(&resp);
		goto done;
	}
	rc = sp_aws_parse_credentials(resp.body, resp.len,
						 "the container credentials endpoint", out, err);
	sp_http_response_free(&resp);
	goto done;

oom:
	sp_err_oom(err);
done:
	spbuf_free(&ub);
	spbuf_free(&ab);
	free(url);
	sp_free_secret(token);
	return rc;
}

static int
imds_credentials(SpAwsFetch *f, SpAwsCredentials *out, SpAuthError *err)
{
	SpHttpResponse resp;
	char	   *role = NULL;
	SpBuf		ub;
	const char *p;
	int			rc = -1;

	if (f->ac->url == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
				   "Unable to determine the AWS metadata server security credentials endpoint");
		sp_err_hint(err, "Add url to credential_source, or give explicit AWS keys in the user mapping.");
		return -1;
	}
	if (metadata_get(f, f->ac->url, "the AWS instance metadata service",
					 &resp, err) != 0)
		return -1;
	if (metadata_refused(f, &resp, "Unable to retrieve AWS role name", err))
		return -1;
	role = trimmed_copy(resp.body, strcspn(resp.body, "\n"));
	sp_http_response_free(&resp);
	if (role == NULL)
	{
		sp_err_oom(err);
		return -1;
	}
	/* IAM role names: [A-Za-z0-9+=,.@_-]{1,64} */
	for (p = role; *p; p++)
		if (!(isalnum((unsigned char) *p) || strchr("+=,.@_-", *p)))
			break;
	if (role[0] == '\0' || *p != '\0' || strlen(role) > 64)
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA, "Unable to retrieve AWS role name");
		sp_err_detail(err, "The metadata service returned no valid role name: is an IAM role attached to the instance?");
		free(role);
		return -1;
	}

	spbuf_init(&ub);
	spbuf_appendf(&ub, "%s/%s", f->ac->url, role);
	if (ub.failed)
	{
		sp_err_oom(err);
		goto done;
	}
	if (metadata_get(f, ub.data, "the AWS instance metadata service",
					 &resp, err) != 0)
		goto done;
	if (resp.status != 200)
	{
		sp_err_set(err, SP_AUTH_ERR_METADATA,
				   "Unable to retrieve AWS security credentials");
		err->http_status = resp.status;
		sp_err_detail_http(err, "The metadata service", resp.status,
						   resp.body, resp.len);
		sp_http_response_free(&resp);
		goto done;
	}
	rc = sp_aws_parse_credentials(resp.body, resp.len,
						 "the AWS instance metadata service", out, err);
	sp_http_response_free(&resp);

done:
	spbuf_free(&ub);
	free(role);
	return rc;
}

/*
 * Get the credentials from the source sp_aws_pick_source chose.  *out
 * must be freed with sp_aws_credentials_free.
 */
int
sp_aws_get_credentials(SpAwsFetch *f, SpAwsSource src, SpAwsCredentials *out,
					   SpAuthError *err)
{
	const SpAuthConfig *cfg = f->cfg;
	const char *id;
	const char *secret;
	const char *token;

	memset(out, 0, sizeof(*out));
	switch (src)
	{
		case SP_AWS_SRC_EXPLICIT:
		case SP_AWS_SRC_ENV:
			if (src == SP_AWS_SRC_EXPLICIT)
			{
				id = cfg->aws_access_key_id;
				secret = cfg->aws_secret_access_key;
				token = cfg->aws_session_token;
			}
			else
			{
				id = sp_env_nonempty(cfg, "AWS_ACCESS_KEY_ID");
				secret = sp_env_nonempty(cfg, "AWS_SECRET_ACCESS_KEY");
				token = sp_env_nonempty(cfg, "AWS_SESSION_TOKEN");
			}
			if (id == NULL || secret == NULL)
			{
				sp_err_set(err, SP_AUTH_ERR_AWS_CREDENTIALS,
						   "AWS credentials disappeared while they were read");
				return -1;
			}
			out->access_key_id = sp_strdup(id);
			out->secret_access_key = sp_strdup(secret);
			out->session_token = (token && token[0]) ? sp_strdup(token) : NULL;
			if (out->access_key_id == NULL || out->secret_access_key == NULL ||
				(token && token[0] && out->session_token == NULL))
			{
				sp_aws_credentials_free(out);
				sp_err_oom(err);
				return -1;
			}
			return 0;
		case SP_AWS_SRC_ECS:
			return ecs_credentials(f, out, err);
		case SP_AWS_SRC_IMDS:
			return imds_credentials(f, out, err);
	}
	sp_err_set(err, SP_AUTH_ERR_INTERNAL, "unknown AWS credential source");
	return -1;
}

void
sp_aws_fetch_done(SpAwsFetch *f)
{
	sp_free_secret(f->imds_token);
	f->imds_token = NULL;
}
