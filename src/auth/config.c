/*-------------------------------------------------------------------------
 *
 * config.c
 *		  Parse and validate the external_account (AWS) credential configuration
 *
 * The configuration is the JSON that
 * "gcloud iam workload-identity-pools create-cred-config --aws" writes.
 * Validation errors use the wording of the Python google-auth library
 * (google/auth/aws.py, external_account.py, _default.py); for checks that
 * library no longer makes (the URL allow-lists) the wording of its last
 * version that made them is used.
 *
 * URL policy unless the caller allows custom URLs:
 *	 token_url						https, STS host on googleapis.com
 *	 service_account_impersonation_url	https, IAM Credentials host
 *	 url, region_url, imdsv2_session_token_url
 *									http to 169.254.169.254, [fd00:ec2::254],
 *									169.254.170.2, 169.254.170.23 or loopback
 *	 regional_cred_verification_url https amazonaws.com template with {region}
 * With allow_custom_urls any http or https URL is accepted.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/config.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define CUSTOM_URL_HINT \
	"A superuser can lift this check with the user mapping option allow_custom_urls 'true'."

static bool get_opt_string(json_object *obj, const char *key, char **out,
						   const char *source, SpAuthError *err);
static bool label_ok(const char *s, size_t n);
static bool google_host_ok(const char *host, const char *service);
static bool is_loopback(const SpUrl *u);
static bool ends_with(const char *s, const char *suffix);
static char *extract_sa_email(const char *url);
static bool check_url(const char *url, SpUrlKind kind, bool allow_custom,
					  const char *field, SpAuthError *err);

const char *
sp_config_source_name(const SpAuthConfig *cfg)
{
	if (cfg->credentials_file && cfg->credentials_file[0])
		return cfg->credentials_file;
	return "credentials_json";
}

/*
 * Read the configuration text: the file, or the inline JSON.  *text is
 * malloc'd (NUL-terminated).
 */
int
sp_config_read(const SpAuthConfig *cfg, char **text, size_t *len,
			   SpAuthError *err)
{
	bool		has_file = cfg->credentials_file && cfg->credentials_file[0];
	bool		has_json = cfg->credentials_json && cfg->credentials_json[0];
	FILE	   *fp;
	SpBuf		b;
	char		chunk[4096];
	size_t		n;

	*text = NULL;
	*len = 0;
	if (has_file == has_json)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG, has_file ?
				   "credentials_file and credentials_json cannot both be set" :
				   "no credential configuration: set credentials_file or credentials_json");
		sp_err_hint(err, "Use the file written by \"gcloud iam workload-identity-pools create-cred-config --aws\".");
		return -1;
	}
	if (has_json)
	{
		*len = strlen(cfg->credentials_json);
		if (*len > SP_MAX_CONFIG_BYTES)
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "credentials_json is larger than %d bytes",
					   SP_MAX_CONFIG_BYTES);
			return -1;
		}
		*text = sp_strndup(cfg->credentials_json, *len);
		if (*text == NULL)
		{
			sp_err_oom(err);
			return -1;
		}
		return 0;
	}

	fp = fopen(cfg->credentials_file, "rb");
	if (fp == NULL)
	{
		if (errno == ENOENT)
			sp_err_set(err, SP_AUTH_ERR_CONFIG, "File %s was not found.",
					   cfg->credentials_file);
		else
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "could not open credentials file \"%s\": %s",
					   cfg->credentials_file, strerror(errno));
		return -1;
	}
	spbuf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
	{
		if (b.len + n > SP_MAX_CONFIG_BYTES)
		{
			fclose(fp);
			spbuf_free(&b);
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "credentials file \"%s\" is larger than %d bytes",
					   cfg->credentials_file, SP_MAX_CONFIG_BYTES);
			return -1;
		}
		spbuf_append(&b, chunk, n);
	}
	if (ferror(fp))
	{
		int			save = errno;

		fclose(fp);
		spbuf_free(&b);
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "could not read credentials file \"%s\": %s",
				   cfg->credentials_file, strerror(save));
		return -1;
	}
	fclose(fp);
	*len = b.len;
	*text = spbuf_finish(&b);
	if (*text == NULL)
	{
		sp_err_oom(err);
		return -1;
	}
	return 0;
}

/* Optional string member; present-but-not-a-string is an error. */
static bool
get_opt_string(json_object *obj, const char *key, char **out,
			   const char *source, SpAuthError *err)
{
	json_object *v;

	*out = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		json_object_is_type(v, json_type_null))
		return true;
	if (!json_object_is_type(v, json_type_string))
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "Failed to load external account credentials from %s",
				   source);
		sp_err_detail(err, "The field \"%s\" must be a string.", key);
		return false;
	}
	*out = sp_strdup(json_object_get_string(v));
	if (*out == NULL)
	{
		sp_err_oom(err);
		return false;
	}
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* [^\.\s\/\\]+ for one already separated label */
static bool
label_ok(const char *s, size_t n)
{
	size_t		i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == '/' || s[i] == '\\' ||
			isspace((unsigned char) s[i]))
			return false;
	return true;
}

/*
 * The host allow-list google-auth-library-python used until 2023 (commit
 * 8b955157), with S = "sts" or "iamcredentials":
 *	 ^[^.]+\.S(\.mtls)?\.googleapis\.com$
 *	 ^S(\.mtls)?\.googleapis\.com$
 *	 ^S\.[^.]+(\.mtls)?\.googleapis\.com$
 *	 ^[^.]+-S(\.mtls)?\.googleapis\.com$
 *	 ^S-[^.]+\.p(\.mtls)?\.googleapis\.com$
 * (Python allowed .mtls only for STS; gcloud --enable-mtls also writes
 * iamcredentials.mtls.googleapis.com, so it is accepted for both.)
 */
static bool
google_host_ok(const char *host_in, const char *service)
{
	char		host[256];
	size_t		n = strlen(host_in);
	size_t		slen = strlen(service);
	size_t		i;
	const char *labels[8];
	size_t		lens[8];
	int			nl = 0;
	char	   *p;
	char	   *start;

	if (n == 0 || n >= sizeof(host))
		return false;
	for (i = 0; i <= n; i++)
		host[i] = (char) tolower((unsigned char) host_in[i]);
	if (!ends_with(host, ".googleapis.com"))
		return false;
	host[n - strlen(".googleapis.com")] = '\0';
	if (ends_with(host, ".mtls"))
		host[strlen(host) - 5] = '\0';

	start = host;
	for (p = host;; p++)
	{
		if (*p == '.' || *p == '\0')
		{
			if (nl == 8)
				return false;
			labels[nl] = start;
			lens[nl] = (size_t) (p - start);
			if (!label_ok(start, lens[nl]))
				return false;
			nl++;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}

#define LABEL_IS(i, s) (lens[i] == strlen(s) && strncmp(labels[i], s, lens[i]) == 0)
	if (nl == 1 && LABEL_IS(0, service))
		return true;
	if (nl == 2 && LABEL_IS(1, service))
		return true;
	if (nl == 2 && LABEL_IS(0, service))
		return true;
	if (nl == 1 && lens[0] > slen + 1 &&
		labels[0][lens[0] - slen - 1] == '-' &&
		strncmp(labels[0] + lens[0] - slen, service, slen) == 0)
		return true;
	if (nl == 2 && LABEL_IS(1, "p") && lens[0] > slen + 1 &&
		strncmp(labels[0], service, slen) == 0 && labels[0][slen] == '-')
		return true;
#undef LABEL_IS
	return false;
}

static bool
is_loopback(const SpUrl *u)
{
	if (u->ipv6)
		return strcmp(u->host, "::1") == 0;
	if (strcasecmp(u->host, "localhost") == 0)
		return true;
	if (strncmp(u->host, "127.", 4) == 0)
	{
		const char *p;
		int			dots = 0;

		for (p = u->host; *p; p++)
		{
			if (*p == '.')
				dots++;
			else if (!isdigit((unsigned char) *p))
				return false;
		}
		return dots == 3;
	}
	return false;
}

/*
 * sp_url_info: see sp_auth.h.
 */
bool
sp_url_info(const char *url, SpUrlInfo *info)
{
	SpUrl		u;
	size_t		n;
	bool		ok;

	memset(info, 0, sizeof(*info));
	if (url == NULL || strchr(url, '#') != NULL || !sp_url_parse(url, &u))
		return false;
	ok = (strcmp(u.scheme, "https") == 0 || strcmp(u.scheme, "http") == 0) &&
		u.query == NULL;
	if (ok)
	{
		info->https = strcmp(u.scheme, "https") == 0;
		info->loopback = is_loopback(&u);
		n = strlen(u.host);
		info->googleapis = !u.ipv6 &&
			(strcasecmp(u.host, "googleapis.com") == 0 ||
			 (n > 15 && strcasecmp(u.host + n - 15, ".googleapis.com") == 0));
	}
	sp_url_free(&u);
	return ok;
}

/*
 * Is this URL acceptable for the given use?  (For SP_URL_AWS_VERIFY, pass
 * the template: it must hold "{region}".)
 */
bool
sp_url_allowed(const char *url, SpUrlKind kind, bool allow_custom)
{
	SpUrl		u;
	bool		ok = false;
	char	   *subst = NULL;

	if (url == NULL)
		return false;
	if (kind == SP_URL_AWS_VERIFY)
	{
		/* validate the template with a sample region in every {region} */
		SpBuf		b;
		const char *p;

		if (strstr(url, "{region}") == NULL && !allow_custom)
			return false;
		spbuf_init(&b);
		for (p = url; *p;)
		{
			if (strncmp(p, "{region}", 8) == 0)
			{
				spbuf_appends(&b, "us-east-1");
				p += 8;
			}
			else
				spbuf_appendc(&b, *p++);
		}
		subst = spbuf_finish(&b);
		if (subst == NULL)
			return false;
		url = subst;
	}
	if (!sp_url_parse(url, &u))
	{
		free(subst);
		return false;
	}

	if (allow_custom)
		ok = strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0;
	else
	{
		switch (kind)
		{
			case SP_URL_STS:
				ok = strcmp(u.scheme, "https") == 0 &&
					google_host_ok(u.host, "sts");
				break;
			case SP_URL_IAM:
				ok = strcmp(u.scheme, "https") == 0 &&
					google_host_ok(u.host, "iamcredentials");
				break;
			case SP_URL_METADATA:

				/*
				 * Only AWS's link-local metadata addresses.  Loopback needs
				 * allow_custom_urls: a credential configuration can come from
				 * a non-superuser's user mapping, and must not make the
				 * server probe its own local services.
				 */
				ok = strcmp(u.scheme, "http") == 0 &&
					((!u.ipv6 && (strcmp(u.host, "169.254.169.254") == 0 ||
								  strcmp(u.host, "169.254.170.2") == 0 ||
								  strcmp(u.host, "169.254.170.23") == 0)) ||
					 (u.ipv6 && strcasecmp(u.host, "fd00:ec2::254") == 0));
				break;
			case SP_URL_AWS_VERIFY:
				{
					char		host[256];
					size_t		i;

					snprintf(host, sizeof(host), "%s", u.host);
					for (i = 0; host[i]; i++)
						host[i] = (char) tolower((unsigned char) host[i]);
					ok = strcmp(u.scheme, "https") == 0 && !u.ipv6 &&
						(ends_with(host, ".amazonaws.com") ||
						 ends_with(host, ".amazonaws.com.cn"));
				}
				break;
			case SP_URL_ECS_FULL:
				/* botocore ContainerMetadataFetcher rules */
				ok = strcmp(u.scheme, "https") == 0 ||
					(strcmp(u.scheme, "http") == 0 &&
					 ((!u.ipv6 && (strcmp(u.host, "169.254.170.2") == 0 ||
								   strcmp(u.host, "169.254.170.23") == 0)) ||
					  (u.ipv6 && strcasecmp(u.host, "fd00:ec2::23") == 0) ||
					  is_loopback(&u)));
				break;
		}
	}
	sp_url_free(&u);
	free(subst);
	return ok;
}

/* AWS region names: lower-case letters, digits and '-' only */
bool
sp_region_valid(const char *region)
{
	const char *p;

	if (region == NULL || region[0] == '\0' || strlen(region) > 64)
		return false;
	for (p = region; *p; p++)
		if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) ||
			  *p == '-'))
			return false;
	return true;
}

/*
 * sp_auth_region_valid: see sp_auth.h.  The shape of every AWS region
 * name: two letters, one or more words of letters, a number, joined by
 * single hyphens.
 */
bool
sp_auth_region_valid(const char *region)
{
	const char *p = region;
	int			words = 0;

	if (region == NULL || strlen(region) > 64 ||
		!islower((unsigned char) p[0]) || !islower((unsigned char) p[1]) ||
		p[2] != '-')
		return false;
	p += 3;
	for (;;)
	{
		const char *start = p;

		if (isdigit((unsigned char) *p))
		{
			if (*p == '0' || words == 0)
				return false;
			while (isdigit((unsigned char) *p))
				p++;
			return *p == '\0';
		}
		while (islower((unsigned char) *p))
			p++;
		if (p == start || *p != '-')
			return false;
		p++;
		words++;
	}
}

/* Python external_account.service_account_email */
static char *
extract_sa_email(const char *url)
{
	const char *slash = strrchr(url, '/');
	const char *end = strstr(url, ":generateAccessToken");

	if (slash == NULL || end == NULL || slash >= end)
		return NULL;
	if (end == slash + 1)
		return NULL;
	return sp_strndup(slash + 1, (size_t) (end - slash - 1));
}

static bool
check_url(const char *url, SpUrlKind kind, bool allow_custom,
		  const char *field, SpAuthError *err)
{
	SpUrl		u;

	if (url == NULL || sp_url_allowed(url, kind, allow_custom))
		return true;

	switch (kind)
	{
		case SP_URL_STS:
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "The provided token URL is invalid.");
			sp_err_detail(err, "token_url \"%s\" is not an https URL of a Google STS endpoint (sts.googleapis.com or a regional or private variant).", url);
			break;
		case SP_URL_IAM:
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "The provided service account impersonation URL is invalid.");
			sp_err_detail(err, "service_account_impersonation_url \"%s\" is not an https URL of iamcredentials.googleapis.com or a regional or private variant.", url);
			break;
		case SP_URL_METADATA:
			if (sp_url_parse(url, &u))
			{
				if (strcmp(u.scheme, "http") != 0)
					sp_err_set(err, SP_AUTH_ERR_CONFIG,
							   "Invalid scheme '%s' for '%s'", u.scheme, field);
				else
					sp_err_set(err, SP_AUTH_ERR_CONFIG,
							   "Invalid hostname '%s' for '%s'", u.host, field);
				sp_url_free(&u);
			}
			else
				sp_err_set(err, SP_AUTH_ERR_CONFIG,
						   "Invalid URL '%s' for '%s'", url, field);
			sp_err_detail(err, "AWS metadata URLs must be http URLs of 169.254.169.254, [fd00:ec2::254], 169.254.170.2, 169.254.170.23 or a loopback address.");
			break;
		case SP_URL_AWS_VERIFY:
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "The provided regional_cred_verification_url is invalid.");
			sp_err_detail(err, "regional_cred_verification_url \"%s\" must be an https amazonaws.com URL template containing {region}, such as \"%s\".",
						  url, SP_DEFAULT_VERIFY_URL);
			break;
		case SP_URL_ECS_FULL:
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "Invalid URL '%s' for '%s'", url, field);
			sp_err_detail(err, "The container credentials URL must be https, or http to 169.254.170.2, 169.254.170.23, [fd00:ec2::23] or a loopback address.");
			break;
	}
	sp_err_hint(err, CUSTOM_URL_HINT);
	return false;
}

/*
 * Parse and validate.  "source" names the configuration in messages (the
 * file path, or "credentials_json").  Returns 0 with *out filled (free with
 * sp_config_free) or -1 with *err set.
 */
int
sp_config_parse(const char *text, size_t len, const char *source,
				bool allow_custom, SpAwsConfig *out, SpAuthError *err)
{
	json_object *root;
	json_object *cs = NULL;
	json_object *v;
	char	   *type = NULL;
	int			rc = -1;
	const char *env_id;
	const char *digits;

	memset(out, 0, sizeof(*out));
	out->token_lifetime_seconds = 3600;

	root = sp_json_parse(text, len);
	if (root == NULL || !json_object_is_type(root, json_type_object))
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "File %s is not a valid json file.", source);
		if (root)
			json_object_put(root);
		return -1;
	}

	if (!get_opt_string(root, "type", &type, source, err))
		goto done;
	if (type == NULL || strcmp(type, "external_account") != 0)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "The file %s does not have a valid type. Type is %s, expected one of ('external_account',).",
				   source, type ? type : "None");
		sp_err_hint(err, "Use the file written by \"gcloud iam workload-identity-pools create-cred-config --aws\".");
		goto done;
	}

	if (!get_opt_string(root, "audience", &out->audience, source, err) ||
		!get_opt_string(root, "subject_token_type", &out->subject_token_type, source, err) ||
		!get_opt_string(root, "token_url", &out->token_url, source, err) ||
		!get_opt_string(root, "service_account_impersonation_url", &out->sa_impersonation_url, source, err) ||
		!get_opt_string(root, "client_id", &out->client_id, source, err) ||
		!get_opt_string(root, "client_secret", &out->client_secret, source, err) ||
		!get_opt_string(root, "quota_project_id", &out->quota_project_id, source, err) ||
		!get_opt_string(root, "workforce_pool_user_project", &out->workforce_pool_user_project, source, err) ||
		!get_opt_string(root, "universe_domain", &out->universe_domain, source, err))
		goto done;

	if (out->subject_token_type == NULL ||
		strcmp(out->subject_token_type, SP_AWS_TOKEN_TYPE) != 0)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "unsupported subject_token_type \"%s\"",
				   out->subject_token_type ? out->subject_token_type : "");
		sp_err_detail(err, "spanner_fdw supports AWS workload identity federation only; subject_token_type must be \"%s\".",
					  SP_AWS_TOKEN_TYPE);
		goto done;
	}
	if (out->audience == NULL || out->audience[0] == '\0')
	{
		/* golang/oauth2 wording: Python has no check of its own */
		sp_err_set(err, SP_AUTH_ERR_CONFIG, "Audience must be set");
		goto done;
	}
	if (out->workforce_pool_user_project &&
		strncmp(out->audience, "//iam.googleapis.com/locations/", 31) != 0)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "workforce_pool_user_project should not be set for non-workforce pool credentials");
		goto done;
	}

	/* credential_source, as google/auth/aws.py checks it */
	if (json_object_object_get_ex(root, "credential_source", &cs) &&
		!json_object_is_type(cs, json_type_object))
		cs = NULL;
	if (!get_opt_string(cs, "environment_id", &out->environment_id, source, err) ||
		!get_opt_string(cs, "region_url", &out->region_url, source, err) ||
		!get_opt_string(cs, "url", &out->url, source, err) ||
		!get_opt_string(cs, "regional_cred_verification_url", &out->regional_cred_verification_url, source, err) ||
		!get_opt_string(cs, "imdsv2_session_token_url", &out->imdsv2_session_token_url, source, err))
		goto done;
	env_id = out->environment_id ? out->environment_id : "";
	digits = env_id + 3;
	if (strncmp(env_id, "aws", 3) != 0 || *digits == '\0' ||
		strspn(digits, "0123456789") != strlen(digits) ||
		out->regional_cred_verification_url == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "No valid AWS 'credential_source' provided");
		goto done;
	}
	if (strtol(digits, NULL, 10) != 1 || strlen(digits) > 9)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG,
				   "aws version '%s' is not supported in the current build.",
				   digits);
		sp_err_hint(err, "Upgrade spanner_fdw, or generate the configuration again with gcloud.");
		goto done;
	}

	/* token_url default, as the libraries do */
	if (out->token_url == NULL)
	{
		const char *ud = out->universe_domain ? out->universe_domain : "googleapis.com";
		size_t		n = strlen(ud) + 32;

		out->token_url = malloc(n);
		if (out->token_url == NULL)
		{
			sp_err_oom(err);
			goto done;
		}
		snprintf(out->token_url, n, "https://sts.%s/v1/token", ud);
	}

	if (out->sa_impersonation_url)
	{
		out->sa_email = extract_sa_email(out->sa_impersonation_url);
		if (out->sa_email == NULL)
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "Unable to determine target principal from service account impersonation URL.");
			goto done;
		}
	}

	if (json_object_object_get_ex(root, "service_account_impersonation", &v) &&
		!json_object_is_type(v, json_type_null))
	{
		json_object *lt;

		if (!json_object_is_type(v, json_type_object))
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG,
					   "Failed to load external account credentials from %s",
					   source);
			sp_err_detail(err, "The field \"service_account_impersonation\" must be an object.");
			goto done;
		}
		if (json_object_object_get_ex(v, "token_lifetime_seconds", &lt) &&
			!json_object_is_type(lt, json_type_null))
		{
			int64_t		secs;

			if (!json_object_is_type(lt, json_type_int))
			{
				sp_err_set(err, SP_AUTH_ERR_CONFIG,
						   "Failed to load external account credentials from %s",
						   source);
				sp_err_detail(err, "service_account_impersonation.token_lifetime_seconds must be an integer.");
				goto done;
			}
			secs = json_object_get_int64(lt);
			if (secs < 600 || secs > 43200)
			{
				sp_err_set(err, SP_AUTH_ERR_CONFIG,
						   "service_account_impersonation.token_lifetime_seconds must be between 600 and 43200, not %lld",
						   (long long) secs);
				sp_err_hint(err, "The lifetime of an impersonated token is 10 minutes to 12 hours (AIP-4117); more than 1 hour needs the constraints/iam.allowServiceAccountCredentialLifetimeExtension organization policy.");
				goto done;
			}
			out->token_lifetime_seconds = (int) secs;
		}
	}

	if (!check_url(out->token_url, SP_URL_STS, allow_custom, "token_url", err) ||
		!check_url(out->sa_impersonation_url, SP_URL_IAM, allow_custom,
				   "service_account_impersonation_url", err) ||
		!check_url(out->url, SP_URL_METADATA, allow_custom, "url", err) ||
		!check_url(out->region_url, SP_URL_METADATA, allow_custom,
				   "region_url", err) ||
		!check_url(out->imdsv2_session_token_url, SP_URL_METADATA,
				   allow_custom, "imdsv2_session_token_url", err) ||
		!check_url(out->regional_cred_verification_url, SP_URL_AWS_VERIFY,
				   allow_custom, "regional_cred_verification_url", err))
		goto done;

	rc = 0;

done:
	free(type);
	json_object_put(root);
	if (rc != 0)
		sp_config_free(out);
	return rc;
}

void
sp_config_free(SpAwsConfig *c)
{
	free(c->audience);
	free(c->subject_token_type);
	free(c->token_url);
	free(c->sa_impersonation_url);
	free(c->sa_email);
	free(c->client_id);
	sp_free_secret(c->client_secret);
	free(c->quota_project_id);
	free(c->workforce_pool_user_project);
	free(c->universe_domain);
	free(c->environment_id);
	free(c->region_url);
	free(c->url);
	free(c->regional_cred_verification_url);
	free(c->imdsv2_session_token_url);
	memset(c, 0, sizeof(*c));
}
