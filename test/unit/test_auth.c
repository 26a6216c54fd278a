/*-------------------------------------------------------------------------
 *
 * test_auth.c
 *		  TAP driver: credential configuration, URL policy, credential
 *		  source selection, token cache and error handling (no network)
 *
 * Usage: test_auth [vector-file ...]
 *
 * Built-in checks always run.  Each vector file with a config_validation
 * section adds its cases (Python wording expected; Node's wording is the
 * same up to quote style, or mapped to the Python message for the same
 * condition); the Python file also adds the historical URL allow-lists and
 * the environment-precedence cases.  Files without those sections add
 * nothing.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sp_auth_int.h"
#include "test_auth_tap.h"

#define AUDIENCE "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/POOL_ID/providers/PROVIDER_ID"

/* a configuration that reads the injected environment (FakeEnv) */
static void
cfg_with_env(SpAuthConfig *cfg, FakeEnv *env)
{
	sp_auth_config_init(cfg);
	cfg->getenv_fn = fake_getenv;
	cfg->getenv_arg = env;
}

/* ------------------------------------------------------------------
 * Configurations
 * ------------------------------------------------------------------
 */
static const char *gcloud_config =
"{\n"
"  \"type\": \"external_account\",\n"
"  \"audience\": \"" AUDIENCE "\",\n"
"  \"subject_token_type\": \"urn:ietf:params:aws:token-type:aws4_request\",\n"
"  \"token_url\": \"https://sts.googleapis.com/v1/token\",\n"
"  \"credential_source\": {\n"
"    \"environment_id\": \"aws1\",\n"
"    \"region_url\": \"http://169.254.169.254/latest/meta-data/placement/availability-zone\",\n"
"    \"url\": \"http://169.254.169.254/latest/meta-data/iam/security-credentials\",\n"
"    \"regional_cred_verification_url\": \"https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15\",\n"
"    \"imdsv2_session_token_url\": \"http://169.254.169.254/latest/api/token\"\n"
"  },\n"
"  \"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa-1@proj.iam.gserviceaccount.com:generateAccessToken\",\n"
"  \"service_account_impersonation\": { \"token_lifetime_seconds\": 3600 }\n"
"}\n";

/* Python/Node test base: credential_source from the vectors' imds_flow */
static json_object *
base_config(json_object *credential_source)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("external_account"));
	json_object_object_add(o, "audience", json_object_new_string(AUDIENCE));
	json_object_object_add(o, "subject_token_type",
						   json_object_new_string(SP_AWS_TOKEN_TYPE));
	json_object_object_add(o, "token_url",
						   json_object_new_string("https://sts.googleapis.com/v1/token"));
	if (credential_source)
	{
		json_object *copy = NULL;

		json_object_deep_copy(credential_source, &copy, NULL);
		json_object_object_add(o, "credential_source", copy);
	}
	return o;
}

static int
parse_obj(json_object *o, bool allow_custom, SpAwsConfig *ac, SpAuthError *err)
{
	const char *s = json_object_to_json_string(o);

	return sp_config_parse(s, strlen(s), "test.json", allow_custom, ac, err);
}

static int
parse_str(const char *s, bool allow_custom, SpAuthError *err)
{
	SpAwsConfig ac;
	int			rc = sp_config_parse(s, strlen(s), "test.json", allow_custom, &ac, err);

	if (rc == 0)
		sp_config_free(&ac);
	return rc;
}

/* Node's messages use "..." where Python's use '...' */
static char *
python_quotes(const char *s)
{
	char	   *d = sp_strdup(s);
	char	   *p;

	for (p = d; p && *p; p++)
		if (*p == '"')
			*p = '\'';
	return d;
}

/* ------------------------------------------------------------------
 * config_validation vectors
 * ------------------------------------------------------------------
 */
static void
run_config_vectors(json_object *root, const char *label)
{
	json_object *cases = jget(jget(root, "config_validation"), "cases_literal");
	json_object *cs = jget(jget(root, "imds_flow"), "credential_source_literal");
	size_t		i;

	if (cases == NULL)
		return;
	for (i = 0; i < json_object_array_length(cases); i++)
	{
		json_object *c = json_object_array_get_idx(cases, i);
		json_object *cfg = base_config(cs);
		json_object *src = jget(cfg, "credential_source");
		json_object *change = jget(c, "credential_source_change");
		const char *want = jstr(c, "error");
		const char *want_later = jstr(c, "error_on_refresh") ?
			jstr(c, "error_on_refresh") : jstr(c, "error_on_retrieve");
		SpAwsConfig ac;
		SpAuthError err;
		int			rc;
		char	   *want_py = NULL;

		if (jget(c, "credential_source_and_supplier") || jget(c, "neither"))
		{
			tap_diag("%s config_validation[%zu]: not applicable (no AWS security credentials supplier API in spanner_fdw)",
					 label, i);
			json_object_put(cfg);
			continue;
		}
		/* json-c keeps the (non-imdsv2) literal as is; Node's key has a suffix */
		json_object_object_del(src, "imdsv2_session_token_url (optional)");

		if (jget(c, "credential_source"))
		{
			json_object *copy = NULL;

			json_object_deep_copy(jget(c, "credential_source"), &copy, NULL);
			json_object_object_add(cfg, "credential_source", copy);
		}
		if (change)
		{
			json_object_object_foreach(change, key, val)
			{
				if (strcmp(json_object_get_string(val), "<removed>") == 0)
					json_object_object_del(src, key);
				else
					json_object_object_add(src, key, json_object_get(val));
			}
		}
		if (jstr(c, "remove"))
			json_object_object_del(src, jstr(c, "remove"));
		if (jstr(c, "environment_id"))
			json_object_object_add(src, "environment_id",
								   json_object_new_string(jstr(c, "environment_id")));
		if (jstr(c, "url_with_port"))
			json_object_object_add(src, "url",
								   json_object_new_string(jstr(c, "url_with_port")));

		rc = parse_obj(cfg, false, &ac, &err);
		if (want)
		{
			want_py = python_quotes(want);
			tap_ok(rc != 0 && err.kind == SP_AUTH_ERR_CONFIG,
				   "%s config_validation[%zu]: rejected", label, i);
			tap_is_str(err.message, want_py, "%s config_validation[%zu]: message",
					   label, i);
		}
		else if (jget(c, "accepted"))
			tap_ok(rc == 0, "%s config_validation[%zu]: accepted (%s)", label, i,
				   rc == 0 ? "ok" : err.message);
		else if (want_later)
		{
			FakeEnv		env = {{0}, {0}, 0};
			SpAuthConfig acfg;
			SpAwsFetch	f;
			SpAuthStats before;
			SpAuthStats after;

			if (!tap_ok(rc == 0, "%s config_validation[%zu]: parses", label, i))
			{
				json_object_put(cfg);
				continue;
			}
			cfg_with_env(&acfg, &env);
			acfg.allow_ambient = true;
			f.cfg = &acfg;
			f.ac = &ac;
			f.imds_token = NULL;
			sp_auth_stats(&before);
			/* same condition, Python's wording */
			if (strstr(want_later, "region"))
			{
				char	   *region = NULL;

				rc = sp_aws_get_region(&f, &region, &err);
				tap_ok(rc != 0 && err.kind == SP_AUTH_ERR_AWS_REGION,
					   "%s config_validation[%zu]: region lookup fails without network", label, i);
				tap_is_str(err.message, "Unable to determine AWS region",
						   "%s config_validation[%zu]: message", label, i);
				free(region);
			}
			else
			{
				SpAwsCredentials creds;

				rc = sp_aws_get_credentials(&f, SP_AWS_SRC_IMDS, &creds, &err);
				tap_ok(rc != 0 && err.kind == SP_AUTH_ERR_AWS_CREDENTIALS,
					   "%s config_validation[%zu]: credential lookup fails without network", label, i);
				tap_is_str(err.message,
						   "Unable to determine the AWS metadata server security credentials endpoint",
						   "%s config_validation[%zu]: message", label, i);
			}
			sp_auth_stats(&after);
			tap_ok(after.metadata_calls == before.metadata_calls && f.imds_token == NULL,
				   "%s config_validation[%zu]: reported before any metadata call", label, i);
			sp_aws_fetch_done(&f);
			sp_config_free(&ac);
		}
		if (rc == 0 && !want_later)
			sp_config_free(&ac);
		free(want_py);
		json_object_put(cfg);
	}
}

static void
run_url_allowlists(json_object *root, const char *label)
{
	json_object *h = jget(jget(root, "config_validation"), "historical_url_allowlists_removed");
	struct
	{
		const char *list;
		SpUrlKind	kind;
		bool		valid;
	}			lists[] = {
		{"VALID_TOKEN_URLS", SP_URL_STS, true},
		{"INVALID_TOKEN_URLS", SP_URL_STS, false},
		{"VALID_SERVICE_ACCOUNT_IMPERSONATION_URLS", SP_URL_IAM, true},
		{"INVALID_SERVICE_ACCOUNT_IMPERSONATION_URLS", SP_URL_IAM, false},
	};
	size_t		l;
	size_t		i;

	if (h == NULL)
		return;
	for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
	{
		json_object *arr = jget(h, lists[l].list);

		for (i = 0; arr && i < json_object_array_length(arr); i++)
		{
			const char *url = json_object_get_string(json_object_array_get_idx(arr, i));

			tap_ok(sp_url_allowed(url, lists[l].kind, false) == lists[l].valid,
				   "%s %s[%zu] %s", label, lists[l].list, i, url);
		}
	}
}

static void
run_env_precedence(json_object *root, const char *label)
{
	json_object *cases = jget(jget(root, "imds_flow"), "env_precedence_cases_literal");
	json_object *cs = jget(jget(root, "imds_flow"), "credential_source_literal");
	size_t		i;

	for (i = 0; cases && i < json_object_array_length(cases); i++)
	{
		json_object *c = json_object_array_get_idx(cases, i);
		json_object *e = jget(c, "env");
		const char *test = jstr(c, "test");
		FakeEnv		env = {{0}, {0}, 0};
		SpAuthConfig cfg;
		SpAwsSource src;
		SpAuthError err;
		json_object *cfgobj = base_config(cs);
		SpAwsConfig ac;
		json_object *mc = jget(c, "metadata_calls");
		bool		no_metadata = mc && json_object_is_type(mc, json_type_int) &&
			json_object_get_int(mc) == 0;

		json_object_object_foreach(e, key, val)
			env_set(&env, key, json_object_get_string(val));
		cfg_with_env(&cfg, &env);
		cfg.allow_ambient = true;

		tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0,
			   "%s %s: source chosen", label, test);
		if (jget(c, "with_imdsv2_url"))
		{
			/* AWS_ACCESS_KEY_ID without the secret: metadata is used */
			tap_ok(src == SP_AWS_SRC_IMDS, "%s %s: partial env keys fall through to IMDS",
				   label, test);
		}
		else
			tap_ok(src == SP_AWS_SRC_ENV, "%s %s: environment credentials", label, test);

		if (parse_obj(cfgobj, false, &ac, &err) == 0)
		{
			SpAwsFetch	f = {&cfg, &ac, NULL};

			if (no_metadata || jstr(c, "region_used") || jstr(c, "expected"))
			{
				char	   *region = NULL;
				SpAwsCredentials creds;
				const char *want_region = jstr(c, "region_used") ? jstr(c, "region_used") : "us-east-2";

				tap_ok(sp_aws_get_region(&f, &region, &err) == 0 && region &&
					   strcmp(region, want_region) == 0,
					   "%s %s: region %s from the environment", label, test, want_region);
				if (sp_aws_get_credentials(&f, src, &creds, &err) == 0)
				{
					tap_ok((creds.session_token != NULL) == (jget(e, "AWS_SESSION_TOKEN") != NULL),
						   "%s %s: session token %s", label, test,
						   jget(e, "AWS_SESSION_TOKEN") ? "used" : "absent");
					sp_aws_credentials_free(&creds);
				}
				else
					tap_ok(false, "%s %s: credentials", label, test);
				free(region);
				tap_ok(f.imds_token == NULL, "%s %s: no metadata call", label, test);
			}
			sp_aws_fetch_done(&f);
			sp_config_free(&ac);
		}
		json_object_put(cfgobj);
	}
}

/* ------------------------------------------------------------------
 * Built-in checks
 * ------------------------------------------------------------------
 */
static void
test_url_policy(void)
{
	struct
	{
		const char *url;
		SpUrlKind	kind;
		bool		custom;
		bool		ok;
	}			t[] = {
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials", SP_URL_METADATA, false, true},
		{"http://169.254.169.254:8888/latest/api/token", SP_URL_METADATA, false, true},
		{"http://[fd00:ec2::254]/latest/meta-data/placement/availability-zone", SP_URL_METADATA, false, true},
		{"http://169.254.170.2/v2/credentials", SP_URL_METADATA, false, true},
		{"http://169.254.170.23/v1/credentials", SP_URL_METADATA, false, true},
		/* loopback metadata needs allow_custom_urls (a mapping's JSON must not probe local services) */
		{"http://127.0.0.1:8080/latest", SP_URL_METADATA, false, false},
		{"http://localhost/latest", SP_URL_METADATA, false, false},
		{"http://[::1]:9/x", SP_URL_METADATA, false, false},
		{"http://127.0.0.1:8080/latest", SP_URL_METADATA, true, true},
		{"https://169.254.169.254/latest", SP_URL_METADATA, false, false},
		{"http://10.0.0.1/latest", SP_URL_METADATA, false, false},
		{"http://169.254.169.254.evil.com/latest", SP_URL_METADATA, false, false},
		{"http://user@169.254.169.254/latest", SP_URL_METADATA, false, false},
		{"http://127.0.0.1.evil.com/", SP_URL_METADATA, false, false},
		{"http://10.0.0.1/latest", SP_URL_METADATA, true, true},
		{"ftp://169.254.169.254/latest", SP_URL_METADATA, true, false},
		{"https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", SP_URL_AWS_VERIFY, false, true},
		{"https://sts.{region}.amazonaws.com.cn?Action=GetCallerIdentity&Version=2011-06-15", SP_URL_AWS_VERIFY, false, true},
		{"https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", SP_URL_AWS_VERIFY, false, false},
		{"http://sts.{region}.amazonaws.com?Action=GetCallerIdentity", SP_URL_AWS_VERIFY, false, false},
		{"https://evil.com/{region}", SP_URL_AWS_VERIFY, false, false},
		{"https://{region}.evil.com/", SP_URL_AWS_VERIFY, false, false},
		{"https://sts.{region}.amazonaws.com.evil.com/", SP_URL_AWS_VERIFY, false, false},
		{"http://127.0.0.1:5000/{region}", SP_URL_AWS_VERIFY, true, true},
		{"https://sts.mtls.googleapis.com/v1/token", SP_URL_STS, false, true},
		{"https://iamcredentials.mtls.googleapis.com/v1/x:generateAccessToken", SP_URL_IAM, false, true},
		{"https://sts.googleapis.com:443/v1/token", SP_URL_STS, false, true},
		{"https://sts.googleapis.com.evil.com/v1/token", SP_URL_STS, false, false},
		{"http://127.0.0.1:1234/v1/token", SP_URL_STS, false, false},
		{"http://127.0.0.1:1234/v1/token", SP_URL_STS, true, true},
		{"file:///etc/passwd", SP_URL_STS, true, false},
		{"https://169.254.170.2/creds", SP_URL_ECS_FULL, false, true},
		{"https://anything.example.com/creds", SP_URL_ECS_FULL, false, true},
		{"http://169.254.170.23/v1/credentials", SP_URL_ECS_FULL, false, true},
		{"http://[fd00:ec2::23]/v1/credentials", SP_URL_ECS_FULL, false, true},
		{"http://127.0.0.1:80/creds", SP_URL_ECS_FULL, false, true},
		{"http://192.168.1.1/creds", SP_URL_ECS_FULL, false, false},
	};
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		tap_ok(sp_url_allowed(t[i].url, t[i].kind, t[i].custom) == t[i].ok,
			   "url policy: %s %s%s", t[i].ok ? "accepts" : "rejects", t[i].url,
			   t[i].custom ? " (allow_custom_urls)" : "");
}

static void
test_url_parse(void)
{
	SpUrl		u;

	tap_ok(sp_url_parse("https://Sts.Example.com:8443/a/b?x=1#frag", &u) &&
		   strcmp(u.scheme, "https") == 0 && strcmp(u.host, "Sts.Example.com") == 0 &&
		   strcmp(u.port, "8443") == 0 && strcmp(u.path, "/a/b") == 0 &&
		   strcmp(u.query, "x=1") == 0, "url parse: all parts");
	sp_url_free(&u);
	tap_ok(sp_url_parse("http://[fd00:ec2::254]:80/x", &u) && u.ipv6 &&
		   strcmp(u.host, "fd00:ec2::254") == 0, "url parse: IPv6 literal");
	sp_url_free(&u);
	tap_ok(sp_url_parse("https://sts.us-east-2.amazonaws.com?Action=X", &u) &&
		   strcmp(u.path, "") == 0 && strcmp(u.query, "Action=X") == 0,
		   "url parse: query without path");
	sp_url_free(&u);
	tap_ok(!sp_url_parse("https://a b.com/", &u), "url parse: rejects a space");
	tap_ok(!sp_url_parse("https://u:p@host/", &u), "url parse: rejects userinfo");
	tap_ok(!sp_url_parse("https:/host/", &u), "url parse: rejects https:/");
	tap_ok(!sp_url_parse("https://host:99999/", &u), "url parse: rejects bad port");
	tap_ok(!sp_url_parse("https://", &u), "url parse: rejects empty host");
}

/* sp_url_info: what a URL's host is (the token-destination policy's input) */
static void
test_url_info(void)
{
	struct
	{
		const char *url;
		bool		ok;
		bool		https;
		bool		loopback;
		bool		googleapis;
	}			t[] = {
		{"https://spanner.googleapis.com", true, true, false, true},
		{"https://STS.GoogleAPIs.com:443/v1/token", true, true, false, true},
		{"https://googleapis.com/", true, true, false, true},
		{"http://127.0.0.1:9010", true, false, true, false},
		{"http://localhost:9020/v1", true, false, true, false},
		{"https://[::1]/", true, true, true, false},
		{"https://evil.com/.googleapis.com", true, true, false, false},
		{"https://googleapis.com.evil.com", true, true, false, false},
		{"https://evilgoogleapis.com/", true, true, false, false},
		{"http://127.0.0.1.evil.com/", true, false, false, false},
		{"https://user@host/", false, false, false, false},
		{"http://h/?q", false, false, false, false},
		{"https://h/#frag", false, false, false, false},
		{"ftp://127.0.0.1", false, false, false, false},
		{"googleapis.com", false, false, false, false},
	};
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
	{
		SpUrlInfo	info;
		bool		ok = sp_url_info(t[i].url, &info);

		if (t[i].ok)
			tap_ok(ok && info.https == t[i].https && info.loopback == t[i].loopback &&
				   info.googleapis == t[i].googleapis,
				   "url info: %s is %shttps, %sloopback, %sgoogleapis", t[i].url,
				   t[i].https ? "" : "not ", t[i].loopback ? "" : "not ",
				   t[i].googleapis ? "" : "not ");
		else
			tap_ok(!ok, "url info: %s is refused", t[i].url);
	}
}

static void
test_gcloud_config(void)
{
	SpAwsConfig ac;
	SpAuthError err;
	int			rc = sp_config_parse(gcloud_config, strlen(gcloud_config), "cfg.json",
									 false, &ac, &err);

	if (!tap_ok(rc == 0, "gcloud --aws --enable-imdsv2 --service-account config parses (%s)",
				rc == 0 ? "ok" : err.message))
		return;
	tap_is_str(ac.sa_email, "sa-1@proj.iam.gserviceaccount.com", "service account email extracted");
	tap_ok(ac.token_lifetime_seconds == 3600, "token lifetime 3600");
	tap_is_str(ac.imdsv2_session_token_url, "http://169.254.169.254/latest/api/token",
			   "imdsv2 URL kept");
	sp_config_free(&ac);
}

static void
test_config_errors(void)
{
	SpAuthError err;
	SpAwsConfig ac;
	char		buf[4096];
	const char *head = "{\"type\":\"external_account\",\"audience\":\"" AUDIENCE "\","
		"\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\",";
	const char *cs = "\"credential_source\":{\"environment_id\":\"aws1\","
		"\"regional_cred_verification_url\":\"" SP_DEFAULT_VERIFY_URL "\"}";

	tap_ok(parse_str("not json", false, &err) != 0 &&
		   strcmp(err.message, "File test.json is not a valid json file.") == 0,
		   "not JSON: Python wording");
	tap_ok(parse_str("{\"type\":\"service_account\"}", false, &err) != 0 &&
		   strcmp(err.message, "The file test.json does not have a valid type. Type is service_account, expected one of ('external_account',).") == 0,
		   "wrong type: Python wording (%s)", err.message);
	tap_ok(parse_str("{\"type\":\"external_account\",\"subject_token_type\":\"" SP_AWS_TOKEN_TYPE "\"}", false, &err) != 0 &&
		   strcmp(err.message, "Audience must be set") == 0, "missing audience");
	tap_ok(parse_str("{\"type\":\"external_account\",\"audience\":\"a\",\"subject_token_type\":\"urn:ietf:params:oauth:token-type:jwt\"}", false, &err) != 0 &&
		   err.kind == SP_AUTH_ERR_CONFIG && strstr(err.message, "subject_token_type"),
		   "non-AWS subject_token_type rejected");

	/* no token_url: the default */
	snprintf(buf, sizeof(buf), "%s%s}", head, cs);
	tap_ok(sp_config_parse(buf, strlen(buf), "t", false, &ac, &err) == 0 &&
		   strcmp(ac.token_url, "https://sts.googleapis.com/v1/token") == 0,
		   "token_url defaults to https://sts.googleapis.com/v1/token");
	if (ac.token_url)
		sp_config_free(&ac);
	snprintf(buf, sizeof(buf), "%s\"universe_domain\":\"example.com\",%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "The provided token URL is invalid.") == 0,
		   "non-Google universe_domain needs allow_custom_urls");
	tap_ok(parse_str(buf, true, &err) == 0, "non-Google universe_domain with allow_custom_urls");

	snprintf(buf, sizeof(buf), "%s\"token_url\":\"http://127.0.0.1:9/v1/token\",%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "The provided token URL is invalid.") == 0 &&
		   strstr(err.hint, "allow_custom_urls"), "local token_url rejected, hint names allow_custom_urls");
	tap_ok(parse_str(buf, true, &err) == 0, "local token_url accepted with allow_custom_urls");

	snprintf(buf, sizeof(buf), "%s\"service_account_impersonation_url\":\"https://iamcredentials.googleapis.com.evil.com/v1/projects/-/serviceAccounts/a@b:generateAccessToken\",%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "The provided service account impersonation URL is invalid.") == 0,
		   "impersonation URL on a foreign host rejected");
	snprintf(buf, sizeof(buf), "%s\"service_account_impersonation_url\":\"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/x\",%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "Unable to determine target principal from service account impersonation URL.") == 0,
		   "impersonation URL without email: Python wording");
	snprintf(buf, sizeof(buf), "%s\"service_account_impersonation\":{\"token_lifetime_seconds\":100},%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 && strstr(err.message, "between 600 and 43200"),
		   "lifetime below 600 rejected");
	snprintf(buf, sizeof(buf), "%s\"service_account_impersonation\":{\"token_lifetime_seconds\":\"3600\"},%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0, "lifetime as a string rejected");
	snprintf(buf, sizeof(buf), "%s\"workforce_pool_user_project\":\"123\",%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "workforce_pool_user_project should not be set for non-workforce pool credentials") == 0,
		   "workforce_pool_user_project: Python wording");
	snprintf(buf, sizeof(buf), "%s\"token_url\":42,%s}", head, cs);
	tap_ok(parse_str(buf, false, &err) != 0 && strstr(err.detail, "token_url"),
		   "non-string field rejected and named");
	snprintf(buf, sizeof(buf), "%s\"credential_source\":{\"environment_id\":\"aws1\","
			 "\"regional_cred_verification_url\":\"" SP_DEFAULT_VERIFY_URL "\","
			 "\"url\":\"http://10.1.2.3/latest/meta-data/iam/security-credentials\"}}", head);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "Invalid hostname '10.1.2.3' for 'url'") == 0,
		   "metadata url on another host: %s", err.message);
	snprintf(buf, sizeof(buf), "%s\"credential_source\":{\"environment_id\":\"aws1\","
			 "\"regional_cred_verification_url\":\"https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15\"}}", head);
	tap_ok(parse_str(buf, false, &err) != 0 &&
		   strcmp(err.message, "The provided regional_cred_verification_url is invalid.") == 0,
		   "verification URL without {region} rejected");
	tap_ok(parse_str(buf, true, &err) == 0,
		   "verification URL without {region} accepted with allow_custom_urls");
	snprintf(buf, sizeof(buf), "%s\"credential_source\":{\"environment_id\":\"aws01\","
			 "\"regional_cred_verification_url\":\"" SP_DEFAULT_VERIFY_URL "\"}}", head);
	tap_ok(parse_str(buf, false, &err) == 0, "environment_id aws01 is version 1 (int())");
}

static void
test_public_config_api(void)
{
	SpAuthConfig cfg;
	SpAuthError err;
	char		path[] = "/tmp/sp_auth_test_XXXXXX";
	int			fd;

	sp_auth_config_init(&cfg);
	tap_ok(sp_auth_validate_config(&cfg, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG,
		   "validate: no configuration at all");
	cfg.credentials_json = gcloud_config;
	tap_ok(sp_auth_validate_config(&cfg, &err) == 0, "validate: inline JSON");
	cfg.credentials_file = "/nonexistent/cred.json";
	tap_ok(sp_auth_validate_config(&cfg, &err) != 0 && strstr(err.message, "cannot both"),
		   "validate: file and JSON together refused");
	cfg.credentials_json = NULL;
	tap_ok(sp_auth_validate_config(&cfg, &err) != 0 &&
		   strcmp(err.message, "File /nonexistent/cred.json was not found.") == 0,
		   "validate: missing file, Python wording");
	fd = mkstemp(path);
	if (fd >= 0)
	{
		if (write(fd, gcloud_config, strlen(gcloud_config)) < 0)
			tap_diag("write failed");
		close(fd);
		cfg.credentials_file = path;
		tap_ok(sp_auth_validate_config(&cfg, &err) == 0, "validate: file");
		unlink(path);
	}
}

static void
test_sources(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAwsSource src;
	SpAuthError err;

	cfg_with_env(&cfg, &env);
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0 &&
		   err.kind == SP_AUTH_ERR_AWS_CREDENTIALS &&
		   strstr(err.hint, "allow_ambient_credentials 'true'"),
		   "no keys, ambient not allowed: refused, hint names allow_ambient_credentials");
	env_set(&env, "AWS_ACCESS_KEY_ID", "AKIDENV");
	env_set(&env, "AWS_SECRET_ACCESS_KEY", "envsecret-000000");
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0,
		   "environment keys ignored unless ambient allowed");
	cfg.allow_ambient = true;
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0 && src == SP_AWS_SRC_ENV,
		   "ambient allowed: environment keys");
	cfg.aws_access_key_id = "AKIDEXPLICIT";
	cfg.aws_secret_access_key = "explicit-secret-0000";
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0 && src == SP_AWS_SRC_EXPLICIT,
		   "explicit keys win over the environment");
	cfg.aws_secret_access_key = NULL;
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG,
		   "access key id without secret refused");
	cfg.aws_access_key_id = NULL;
	cfg.aws_session_token = "tok";
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG,
		   "session token without keys refused");
	cfg.aws_session_token = NULL;

	env.n = 0;
	env_set(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0 && src == SP_AWS_SRC_ECS,
		   "container credentials after the environment");
	env.n = 0;
	env_set(&env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
	env_set(&env, "AWS_ACCESS_KEY_ID", "");
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0 && src == SP_AWS_SRC_IMDS,
		   "empty variables count as unset: instance metadata");
}

static void
test_region(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAwsConfig ac;
	SpAwsFetch	f = {&cfg, &ac, NULL};
	SpAuthError err;
	char	   *region = NULL;

	memset(&ac, 0, sizeof(ac));
	cfg_with_env(&cfg, &env);
	env_set(&env, "AWS_DEFAULT_REGION", "eu-west-1");
	tap_ok(sp_aws_get_region(&f, &region, &err) == 0 && strcmp(region, "eu-west-1") == 0,
		   "AWS_DEFAULT_REGION used (even without ambient credentials)");
	free(region);
	env_set(&env, "AWS_REGION", "us-west-2");
	tap_ok(sp_aws_get_region(&f, &region, &err) == 0 && strcmp(region, "us-west-2") == 0,
		   "AWS_REGION wins over AWS_DEFAULT_REGION");
	free(region);
	env.values[1] = "us-west-2/../evil";
	tap_ok(sp_aws_get_region(&f, &region, &err) != 0 && err.kind == SP_AUTH_ERR_AWS_REGION,
		   "malformed region refused");
	tap_ok(sp_region_valid("ap-southeast-2") && !sp_region_valid("") &&
		   !sp_region_valid("US-EAST-1") && !sp_region_valid("us east"),
		   "region syntax");
}

/*
 * The user mapping's aws_region: the region of its own keys, ahead of the
 * environment; the SigV4-signed GetCallerIdentity is addressed to and
 * scoped in that region.  Refused without keys, and when not a region name.
 */
static void
test_aws_region_option(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAwsConfig ac;
	SpAwsFetch	f = {&cfg, &ac, NULL};
	SpAwsSource src;
	SpAwsCredentials creds;
	SpAuthError err;
	char	   *region = NULL;
	char	   *token = NULL;
	char	   *json = NULL;
	unsigned char k1[32];
	unsigned char k2[32];
	const char *text = "{}";

	memset(&ac, 0, sizeof(ac));
	cfg_with_env(&cfg, &env);
	env_set(&env, "AWS_REGION", "us-west-2");
	cfg.aws_access_key_id = "AKIDEXPLICIT";
	cfg.aws_secret_access_key = "explicit-secret-0000";
	cfg.aws_region = "eu-west-3";
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) == 0 && src == SP_AWS_SRC_EXPLICIT,
		   "aws_region with explicit keys accepted");
	tap_ok(sp_aws_get_region(&f, &region, &err) == 0 && region &&
		   strcmp(region, "eu-west-3") == 0,
		   "aws_region wins over AWS_REGION for the mapping's own keys");

	/* the signed GetCallerIdentity request is for that region */
	memset(&creds, 0, sizeof(creds));
	creds.access_key_id = (char *) cfg.aws_access_key_id;
	creds.secret_access_key = (char *) cfg.aws_secret_access_key;
	tap_ok(region && sp_build_subject_token(&creds, region, AUDIENCE,
											SP_DEFAULT_VERIFY_URL, 1700000000,
											&token, &json, &err) == 0 && json &&
		   strstr(json, "https://sts.eu-west-3.amazonaws.com?") &&
		   strstr(json, "\"sts.eu-west-3.amazonaws.com\"") &&
		   strstr(json, "/20231114/eu-west-3/sts/aws4_request") &&
		   !strstr(json, "us-west-2"),
		   "SigV4: URL, host header and credential scope use aws_region");
	free(region);
	region = NULL;
	if (token)
		sp_wipe(token, strlen(token));
	free(token);
	if (json)
		sp_wipe(json, strlen(json));
	free(json);

	/* the cache key tells regions apart */
	tap_ok(sp_auth_cache_key(&cfg, text, strlen(text), k1, &err) == 0, "cache key with aws_region");
	cfg.aws_region = "eu-west-1";
	tap_ok(sp_auth_cache_key(&cfg, text, strlen(text), k2, &err) == 0 &&
		   memcmp(k1, k2, 32) != 0,
		   "cache key differs by aws_region");

	/* without it: the environment, as before */
	cfg.aws_region = "";
	tap_ok(sp_aws_get_region(&f, &region, &err) == 0 && region &&
		   strcmp(region, "us-west-2") == 0,
		   "empty aws_region: AWS_REGION");
	free(region);
	region = NULL;

	cfg.aws_region = "EU-WEST-3";
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strcmp(err.message, "Invalid AWS region 'EU-WEST-3'") == 0,
		   "malformed aws_region refused before any request");
	cfg.aws_region = "eu-west-3";
	cfg.aws_access_key_id = NULL;
	cfg.aws_secret_access_key = NULL;
	cfg.allow_ambient = true;
	tap_ok(sp_aws_pick_source(&cfg, &src, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG &&
		   strstr(err.message, "aws_region is only used with aws_access_key_id"),
		   "aws_region without the mapping's keys refused (ambient credentials keep the environment's region)");

	tap_ok(sp_auth_region_valid("us-east-1") && sp_auth_region_valid("ap-southeast-2") &&
		   sp_auth_region_valid("us-gov-west-1") && sp_auth_region_valid("eu-isoe-west-1") &&
		   sp_auth_region_valid("cn-northwest-1") && sp_auth_region_valid("il-central-1"),
		   "region names accepted");
	tap_ok(!sp_auth_region_valid("") && !sp_auth_region_valid("us-east") &&
		   !sp_auth_region_valid("us-east-0") && !sp_auth_region_valid("useast1") &&
		   !sp_auth_region_valid("us--east-1") && !sp_auth_region_valid("us-east-1-") &&
		   !sp_auth_region_valid("us-east-1a") && !sp_auth_region_valid("US-EAST-1") &&
		   !sp_auth_region_valid("us-east-1/../x") && !sp_auth_region_valid("u-east-1") &&
		   !sp_auth_region_valid("us-1") && !sp_auth_region_valid(NULL),
		   "region names refused: no number, zero, no hyphens, doubled or trailing hyphen, zone letter, capitals, path, short prefix");
}

static void
test_margin_and_cache(void)
{
	unsigned char k1[32];
	unsigned char k2[32];
	time_t		exp = 0;
	char	   *t;
	int			i;

	tap_ok(sp_auth_refresh_margin(3600) == 225, "margin: 1 h token -> 225 s");
	tap_ok(sp_auth_refresh_margin(450) == 225, "margin: 450 s token -> 225 s");
	tap_ok(sp_auth_refresh_margin(300) == 150, "margin: 300 s token -> 150 s (half)");
	tap_ok(sp_auth_refresh_margin(4) == 2, "margin: 4 s token -> 2 s");
	tap_ok(sp_auth_refresh_margin(1) == 0 && sp_auth_refresh_margin(0) == 0 &&
		   sp_auth_refresh_margin(-5) == 0, "margin: tiny or negative lifetimes -> 0");
	tap_ok(sp_auth_token_usable(1000, 4600, 4374) && !sp_auth_token_usable(1000, 4600, 4375),
		   "usable until expiry - 225 s for a 1 h token");
	tap_ok(sp_auth_token_usable(1000, 1004, 1001) && !sp_auth_token_usable(1000, 1004, 1002),
		   "usable until expiry - 2 s for a 4 s token");

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	sp_auth_cache_cleanup();
	sp_auth_cache_put(k1, "tok-one", 1000, 1004);
	t = sp_auth_cache_get(k1, 1001, &exp);
	tap_ok(t && strcmp(t, "tok-one") == 0 && exp == 1004, "cache: hit while usable");
	free(t);
	tap_ok(sp_auth_cache_get(k2, 1001, NULL) == NULL, "cache: other key misses");
	tap_ok(sp_auth_cache_get(k1, 1002, NULL) == NULL && sp_auth_cache_count() == 0,
		   "cache: past the margin the entry is dropped");
	sp_auth_cache_put(k1, "tok-a", 1000, 5000);
	sp_auth_cache_put(k1, "tok-b", 1000, 5000);
	t = sp_auth_cache_get(k1, 1001, NULL);
	tap_ok(t && strcmp(t, "tok-b") == 0 && sp_auth_cache_count() == 1,
		   "cache: same key replaces");
	free(t);
	sp_auth_cache_drop(k1);
	tap_ok(sp_auth_cache_count() == 0, "cache: drop");
	for (i = 0; i < SP_CACHE_MAX_ENTRIES + 5; i++)
	{
		unsigned char k[32];

		memset(k, 0, sizeof(k));
		k[0] = (unsigned char) i;
		k[1] = 7;
		sp_auth_cache_put(k, "x", 1000, 5000 + i);
	}
	tap_ok(sp_auth_cache_count() == SP_CACHE_MAX_ENTRIES, "cache: bounded at %d entries",
		   SP_CACHE_MAX_ENTRIES);
	sp_auth_cache_cleanup();
	tap_ok(sp_auth_cache_count() == 0, "cache: cleanup frees everything");
}

static void
test_cache_key(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	unsigned char a[32];
	unsigned char b[32];
	const char *text = gcloud_config;
	size_t		len = strlen(gcloud_config);
	char	   *tok = NULL;
	SpAuthStats st;

	cfg_with_env(&cfg, &env);
	cfg.credentials_json = gcloud_config;
	cfg.aws_access_key_id = "AKIDEXPLICIT";
	cfg.aws_secret_access_key = "secret-number-one";
	sp_auth_cache_key(&cfg, text, len, a, &err);
	sp_auth_cache_key(&cfg, text, len, b, &err);
	tap_ok(memcmp(a, b, 32) == 0, "key: deterministic");
	cfg.aws_secret_access_key = "secret-number-two";
	sp_auth_cache_key(&cfg, text, len, b, &err);
	tap_ok(memcmp(a, b, 32) != 0, "key: depends on the secret (through its hash)");
	cfg.aws_secret_access_key = "secret-number-one";
	cfg.aws_session_token = "session-1";
	sp_auth_cache_key(&cfg, text, len, b, &err);
	tap_ok(memcmp(a, b, 32) != 0, "key: depends on the session token");
	cfg.aws_session_token = NULL;
	cfg.scope = SP_SCOPE_CLOUD_PLATFORM;
	sp_auth_cache_key(&cfg, text, len, b, &err);
	tap_ok(memcmp(a, b, 32) != 0, "key: depends on the scope");
	cfg.scope = NULL;
	cfg.allow_custom_urls = true;
	sp_auth_cache_key(&cfg, text, len, b, &err);
	tap_ok(memcmp(a, b, 32) != 0, "key: depends on allow_custom_urls");
	cfg.allow_custom_urls = false;
	sp_auth_cache_key(&cfg, text, len - 2, b, &err);
	tap_ok(memcmp(a, b, 32) != 0, "key: depends on the configuration content");

	/* the public entry point serves a cached token without any call */
	sp_auth_stats_reset();
	sp_auth_cache_key(&cfg, text, len, a, &err);
	sp_auth_cache_put(a, "cached-token", time(NULL), time(NULL) + 3600);
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) == 0 && tok &&
		   strcmp(tok, "cached-token") == 0, "get_token: served from cache");
	sp_auth_free_token(tok);
	sp_auth_stats(&st);
	tap_ok(st.cache_hits == 1 && st.sts_calls == 0 && st.metadata_calls == 0,
		   "get_token: a cache hit makes no call");
	sp_auth_invalidate(&cfg);
	tap_ok(sp_auth_cache_count() == 0, "invalidate drops the entry");
	sp_auth_cache_cleanup();
}

static void
test_get_token_offline_errors(void)
{
	FakeEnv		env = {{0}, {0}, 0};
	SpAuthConfig cfg;
	SpAuthError err;
	char	   *tok = (char *) 1;
	SpAuthStats st;

	sp_auth_stats_reset();
	cfg_with_env(&cfg, &env);
	cfg.credentials_json = gcloud_config;
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && tok == NULL &&
		   err.kind == SP_AUTH_ERR_AWS_CREDENTIALS,
		   "get_token: ambient refused when not allowed (%s)", err.message);
	sp_auth_stats(&st);
	tap_ok(st.sts_calls == 0 && st.metadata_calls == 0 && st.iam_calls == 0,
		   "get_token: nothing was called");
	cfg.credentials_json = "{\"type\":\"external_account\"}";
	cfg.aws_access_key_id = "AKID";
	cfg.aws_secret_access_key = "a-secret-value-123";
	tap_ok(sp_auth_get_token(&cfg, &tok, NULL, &err) != 0 && err.kind == SP_AUTH_ERR_CONFIG,
		   "get_token: bad configuration reported as config (%s)", err.message);
	tap_ok(sp_auth_cache_count() == 0, "get_token: failures are not cached");
}

static void
test_scrub(void)
{
	SpAuthError err;
	const char *secrets[] = {"s3cr3t-VALUE-abcdef", NULL, "tok"};

	sp_err_set(&err, SP_AUTH_ERR_STS, "bad: s3cr3t-VALUE-abcdef and s3cr3t-VALUE-abcdef!");
	sp_err_detail(&err, "ends with s3cr3t-VAL");
	sp_err_hint(&err, "short tok stays");
	sp_err_scrub(&err, secrets, 3);
	tap_is_str(err.message, "bad: [redacted] and [redacted]!", "scrub: every occurrence");
	tap_is_str(err.detail, "ends with [redacted]...", "scrub: a cut-off prefix at the end");
	tap_is_str(err.hint, "short tok stays", "scrub: very short strings are left alone");
	{
		char		longmsg[SP_AUTH_MSG_LEN + 16];
		const char *shortsec[] = {"abcdefgh"};

		memset(longmsg, 'x', sizeof(longmsg));
		strcpy(longmsg + SP_AUTH_MSG_LEN - 12, "abcdefgh!");
		sp_err_set(&err, SP_AUTH_ERR_STS, "%s", longmsg);
		sp_err_scrub(&err, shortsec, 1);
		tap_ok(strstr(err.message, "abcdefgh") == NULL && strstr(err.message, "abcdef") == NULL &&
			   strlen(err.message) < SP_AUTH_MSG_LEN,
			   "scrub: a secret at the very end of a full buffer, replacement longer than it");
	}
	tap_is_str(sp_auth_error_kind_name(SP_AUTH_ERR_AWS_CREDENTIALS), "aws_credentials",
			   "error kind names");
	tap_is_str(sp_auth_error_kind_name(SP_AUTH_ERR_CANCELLED), "cancelled",
			   "error kind name cancelled");
}

static void
test_time_json_escape(void)
{
	time_t		t;
	SpBuf		b;
	char	   *s;
	char		deep[200];
	int			i;
	json_object *o;

	tap_ok(sp_parse_rfc3339("2020-08-11T07:55:22Z", &t) && t == 1597132522,
		   "rfc3339: Z");
	tap_ok(sp_parse_rfc3339("2020-08-11T07:55:22.345Z", &t) && t == 1597132522,
		   "rfc3339: fractional seconds");
	tap_ok(sp_parse_rfc3339("2020-08-11T09:55:22+02:00", &t) && t == 1597132522,
		   "rfc3339: offset");
	tap_ok(!sp_parse_rfc3339("2020-08-11 07:55:22", &t), "rfc3339: rejects no zone");
	tap_ok(sp_parse_amz_date("20150830T123600Z", &t) && t == 1440938160, "amz date");

	spbuf_init(&b);
	sp_go_json_string(&b, "a<b>&c\"\\\n\x01\xe2\x80\xa8\xff");
	s = spbuf_finish(&b);
	tap_is_str(s, "\"a\\u003cb\\u003e\\u0026c\\\"\\\\\\n\\u0001\\u2028\\ufffd\"",
			   "Go JSON escaping");
	free(s);
	spbuf_init(&b);
	sp_go_query_escape(&b, "a b+c/~");
	s = spbuf_finish(&b);
	tap_is_str(s, "a+b%2Bc%2F~", "Go QueryEscape");
	free(s);

	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (i = 0; i < 40; i++)
		deep[40 + i] = ']';
	deep[80] = '\0';
	o = sp_json_parse(deep, strlen(deep));
	tap_ok(o == NULL, "JSON nesting limit");
	json_object_put(o);
	o = sp_json_parse("{\"a\":1} x", 9);
	tap_ok(o == NULL, "JSON trailing garbage refused");
	json_object_put(o);
	o = sp_json_parse("{\"a\":[1,2]}\n", 12);
	tap_ok(o != NULL, "JSON trailing whitespace fine");
	json_object_put(o);
}

int
main(int argc, char **argv)
{
	int			i;

	test_url_policy();
	test_url_parse();
	test_url_info();
	test_gcloud_config();
	test_config_errors();
	test_public_config_api();
	test_sources();
	test_region();
	test_aws_region_option();
	test_margin_and_cache();
	test_cache_key();
	test_get_token_offline_errors();
	test_scrub();
	test_time_json_escape();

	for (i = 1; i < argc; i++)
	{
		const char *label = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		json_object *root = tap_load_json(argv[i]);

		if (!tap_ok(root != NULL, "%s: vector file loads", label))
			continue;
		run_config_vectors(root, label);
		run_url_allowlists(root, label);
		run_env_precedence(root, label);
		json_object_put(root);
	}
	sp_auth_cache_cleanup();
	return tap_done();
}
