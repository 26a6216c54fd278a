/*-------------------------------------------------------------------------
 *
 * test_sigv4.c
 *		  TAP driver: SigV4 signer and subject token against one vector file
 *
 * Usage: test_sigv4 <vector-file>
 *
 *	 sigv4-suite files (AWS 2015 and 2011 suites): canonical request, string
 *	 to sign and Authorization of every case (2011: duplicate header values
 *	 sorted, as that suite expects; its botocore 2014 double-encoding
 *	 variants with SP_SIGV4_DOUBLE_ENCODE_PATH).
 *
 *	 Google-library files: every request_signer case (Authorization,
 *	 canonical request, string to sign); subject tokens byte-exact for Go;
 *	 for Python and Node field by field except Authorization/SignedHeaders
 *	 (spanner_fdw signs x-goog-cloud-target-resource, as Go and Java do),
 *	 plus the library's own unsigned-target Authorization reproduced by the
 *	 signer; STS form bodies (Go byte-exact, others field by field).
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_sigv4.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sp_auth_int.h"
#include "test_auth_tap.h"

#define MAX_HDRS 32

typedef struct FormField
{
	char	   *key;
	char	   *value;
} FormField;

static void run_suite(json_object *root, const char *label);
static void run_google(json_object *root, const char *label);
static void run_signer_case(json_object *c, const char *label, int idx,
							const char *lib);
static void run_subject_case(json_object *root, json_object *c,
							 const char *label, int idx, const char *lib);
static int	form_parse(const char *body, FormField *fields, int max);
static void form_free(FormField *fields, int n);
static const char *form_get(FormField *fields, int n, const char *key);
static time_t parse_time(const char *s);

static time_t
parse_time(const char *s)
{
	time_t		t = 0;

	if (s && strlen(s) == 16)
		sp_parse_amz_date(s, &t);
	else if (s)
		sp_parse_rfc3339(s, &t);
	return t;
}

/* ------------------------------------------------------------------ */

static void
run_suite(json_object *root, const char *label)
{
	json_object *cases = jget(root, "cases");
	json_object *common = jget(root, "common");
	bool		is2011 = jget(common, "date_header") != NULL;
	size_t		i;
	size_t		ncases = json_object_array_length(cases);
	json_object *variants;

	tap_diag("%s: %zu cases (%s suite)", label, ncases, is2011 ? "2011" : "2015");
	for (i = 0; i < ncases; i++)
	{
		json_object *c = json_object_array_get_idx(cases, i);
		const char *name = jstr(c, "name");
		json_object *req = jget(c, "request");
		json_object *hl = jget(req, "headers");
		json_object *cred = jget(c, "credentials");
		json_object *exp = jget(c, "expected");
		const char *placement = jstr(c, "session_token_placement");
		SpHeader	hdrs[MAX_HDRS];
		int			nh = 0;
		size_t		k;
		char	   *target = NULL;
		char	   *path = NULL;
		char	   *query = NULL;
		SpSigv4Input in;
		SpSigv4Output out;
		SpAuthError err;
		int			rc;

		for (k = 0; k < json_object_array_length(hl) && nh < MAX_HDRS; k++)
		{
			json_object *pair = json_object_array_get_idx(hl, k);

			hdrs[nh].name = json_object_get_string(json_object_array_get_idx(pair, 0));
			hdrs[nh].value = json_object_get_string(json_object_array_get_idx(pair, 1));
			nh++;
		}

		memset(&in, 0, sizeof(in));
		if (is2011)
		{
			/*
			 * The 2011 expectations come from parsing the request line
			 * with whitespace-separated words (the request target ends at
			 * the first blank): post-vanilla-query-space and
			 * -nonunreserved depend on it.
			 */
			const char *raw = jstr(c, "request_raw");
			const char *sp1 = strchr(raw, ' ');
			size_t		tlen = strcspn(sp1 + 1, " \t\r\n");

			target = sp_strndup(sp1 + 1, tlen);
			if (strchr(target, '?'))
			{
				char	   *q = strchr(target, '?');

				path = sp_strndup(target, (size_t) (q - target));
				query = sp_strdup(q + 1);
			}
			else
				path = sp_strdup(target);
			in.path = path;
			in.query = query;
			in.flags = SP_SIGV4_SORT_HEADER_VALUES;
		}
		else
		{
			in.path = jstr(req, "path");
			in.query = jstr(req, "query");
		}
		in.method = jstr(req, "method");
		in.host = "unused.example";	/* every suite request has Host */
		in.headers = hdrs;
		in.nheaders = nh;
		in.body = jstr(req, "body");
		in.body_len = in.body ? strlen(in.body) : 0;
		in.access_key_id = jstr(cred, "access_key_id");
		in.secret_access_key = jstr(cred, "secret_access_key");
		in.session_token = (placement && strcmp(placement, "signed_header") == 0)
			? jstr(cred, "session_token") : NULL;
		in.region = jstr(c, "region");
		in.service = jstr(c, "service");
		in.now = parse_time(jstr(c, "x_amz_date"));

		rc = sp_sigv4_sign(&in, &out, &err);
		if (!tap_ok(rc == 0, "%s %s: signs", label, name))
		{
			tap_diag("error: %s", err.message);
			free(target);
			free(path);
			free(query);
			continue;
		}
		tap_is_str(out.canonical_request, jstr(exp, "canonical_request"),
				   "%s %s: canonical request", label, name);
		tap_is_str(out.string_to_sign, jstr(exp, "string_to_sign"),
				   "%s %s: string to sign", label, name);
		tap_is_str(out.authorization, jstr(exp, "authorization"),
				   "%s %s: authorization", label, name);
		sp_sigv4_output_free(&out);

		/* botocore 2014 double-encoding variant of this case, if any */
		variants = jget(root, "botocore_2014_double_encoding_variants");
		for (k = 0; variants && k < json_object_array_length(variants); k++)
		{
			json_object *v = json_object_array_get_idx(variants, k);
			json_object *vexp = jget(v, "expected");

			if (strcmp(jstr(v, "name"), name) != 0)
				continue;
			in.flags |= SP_SIGV4_DOUBLE_ENCODE_PATH;
			rc = sp_sigv4_sign(&in, &out, &err);
			if (tap_ok(rc == 0, "%s %s (botocore 2014 double encoding): signs", label, name))
			{
				tap_is_str(out.canonical_request, jstr(vexp, "canonical_request"),
						   "%s %s (double encoding): canonical request", label, name);
				tap_is_str(out.string_to_sign, jstr(vexp, "string_to_sign"),
						   "%s %s (double encoding): string to sign", label, name);
				tap_is_str(out.authorization, jstr(vexp, "authorization"),
						   "%s %s (double encoding): authorization", label, name);
				sp_sigv4_output_free(&out);
			}
		}
		free(target);
		free(path);
		free(query);
	}
}

/* ------------------------------------------------------------------ */

static void
run_signer_case(json_object *c, const char *label, int idx, const char *lib)
{
	json_object *req = jget(c, "request");
	json_object *cred = jget(c, "credentials");
	json_object *derived = jget(c, "derived");
	json_object *hobj = jget(req, "headers");
	const char *now = jstr(c, "now") ? jstr(c, "now") : jstr(c, "reference_date");
	const char *expected_auth;
	const char *name = jstr(c, "test") ? jstr(c, "test") :
		(jstr(c, "description") ? jstr(c, "description") : "");
	SpHeader	hdrs[MAX_HDRS];
	int			nh = 0;
	SpUrl		u;
	SpSigv4Input in;
	SpSigv4Output out;
	SpAuthError err;
	char		hostport[300];

	if (strcmp(lib, "python") == 0)
		expected_auth = jstr(jget(jget(c, "expected_signed_request_literal"), "headers"),
							 "Authorization");
	else if (strcmp(lib, "node") == 0)
		expected_auth = jstr(c, "expected_authorization");
	else
		expected_auth = jstr(c, "expected_authorization_literal");

	json_object_object_foreach(hobj, key, val)
	{
		if (nh < MAX_HDRS)
		{
			hdrs[nh].name = key;
			hdrs[nh].value = json_object_get_string(val);
			nh++;
		}
	}
	if (!tap_ok(sp_url_parse(jstr(req, "url"), &u), "%s signer[%d] %s: URL parses",
				label, idx, name))
		return;
	if (u.port)
		snprintf(hostport, sizeof(hostport), "%s:%s", u.host, u.port);
	else
		snprintf(hostport, sizeof(hostport), "%s", u.host);

	memset(&in, 0, sizeof(in));
	in.method = jstr(req, "method");
	in.host = hostport;
	in.path = u.path;
	in.query = u.query;
	in.headers = hdrs;
	in.nheaders = nh;
	in.body = jstr(req, "body");
	in.body_len = in.body ? strlen(in.body) : 0;
	in.access_key_id = jstr(cred, "access_key_id");
	in.secret_access_key = jstr(cred, "secret_access_key");
	in.session_token = jstr(cred, "session_token");
	in.region = jstr(c, "region");
	in.now = parse_time(now);

	if (tap_ok(sp_sigv4_sign(&in, &out, &err) == 0, "%s signer[%d] %s: signs",
			   label, idx, name))
	{
		tap_is_str(out.authorization, expected_auth,
				   "%s signer[%d] %s: authorization", label, idx, name);
		tap_is_str(out.canonical_request, jstr(derived, "canonical_request"),
				   "%s signer[%d] %s: canonical request", label, idx, name);
		tap_is_str(out.string_to_sign, jstr(derived, "string_to_sign"),
				   "%s signer[%d] %s: string to sign", label, idx, name);
		if (strcmp(lib, "python") == 0)
		{
			json_object *eh = jget(jget(c, "expected_signed_request_literal"), "headers");

			/* the headers the caller must add, as the library adds them */
			tap_ok((jstr(eh, "x-amz-date") != NULL) == out.add_amz_date &&
				   (!out.add_amz_date || strcmp(jstr(eh, "x-amz-date"), out.amz_date) == 0),
				   "%s signer[%d]: x-amz-date header as the library adds it", label, idx);
			tap_ok((jstr(eh, "x-amz-security-token") != NULL) == out.add_security_token,
				   "%s signer[%d]: x-amz-security-token header as the library adds it",
				   label, idx);
			tap_is_str(hostport, jstr(eh, "host"), "%s signer[%d]: host header",
					   label, idx);
		}
		sp_sigv4_output_free(&out);
	}
	sp_url_free(&u);
}

static int
form_parse(const char *body, FormField *fields, int max)
{
	int			n = 0;
	const char *p = body;

	while (*p && n < max)
	{
		const char *end = p + strcspn(p, "&");
		const char *eq = memchr(p, '=', (size_t) (end - p));

		if (eq)
		{
			fields[n].key = sp_pct_decode(p, (size_t) (eq - p), true, NULL);
			fields[n].value = sp_pct_decode(eq + 1, (size_t) (end - eq - 1), true, NULL);
			n++;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return n;
}

static void
form_free(FormField *fields, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		free(fields[i].key);
		free(fields[i].value);
	}
}

static const char *
form_get(FormField *fields, int n, const char *key)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].value;
	return NULL;
}

/* the value of a header from a decoded subject token, case-insensitive */
static const char *
token_header(json_object *tok, const char *key)
{
	json_object *hs = jget(tok, "headers");
	size_t		i;

	for (i = 0; hs && i < json_object_array_length(hs); i++)
	{
		json_object *h = json_object_array_get_idx(hs, i);

		if (strcasecmp(jstr(h, "key"), key) == 0)
			return jstr(h, "value");
	}
	return NULL;
}

static void
compare_token_fields(json_object *ours, json_object *theirs, const char *label,
					 int idx)
{
	json_object *th = jget(theirs, "headers");
	json_object *oh = jget(ours, "headers");
	size_t		i;
	bool		same_set = th && oh &&
		json_object_array_length(th) == json_object_array_length(oh);
	const char *oa = token_header(ours, "authorization");
	const char *ta = token_header(theirs, "authorization");
	const char *osh;
	const char *tsh;
	char		want_sh[256];

	tap_is_str(jstr(ours, "url"), jstr(theirs, "url"),
			   "%s subject_token[%d]: url", label, idx);
	tap_is_str(jstr(ours, "method"), jstr(theirs, "method"),
			   "%s subject_token[%d]: method", label, idx);
	for (i = 0; th && i < json_object_array_length(th); i++)
	{
		json_object *h = json_object_array_get_idx(th, i);
		const char *k = jstr(h, "key");

		if (strcasecmp(k, "authorization") == 0)
			continue;
		tap_is_str(token_header(ours, k), jstr(h, "value"),
				   "%s subject_token[%d]: header %s", label, idx, k);
	}
	tap_ok(same_set, "%s subject_token[%d]: same set of headers", label, idx);

	/* Authorization: same credential scope; SignedHeaders + target resource */
	tap_ok(oa && ta && strncmp(oa, ta, strcspn(ta, ",")) == 0 &&
		   strcspn(oa, ",") == strcspn(ta, ","),
		   "%s subject_token[%d]: authorization credential scope", label, idx);
	osh = oa ? strstr(oa, "SignedHeaders=") : NULL;
	tsh = ta ? strstr(ta, "SignedHeaders=") : NULL;
	if (tsh)
		snprintf(want_sh, sizeof(want_sh), "%.*s;x-goog-cloud-target-resource",
				 (int) strcspn(tsh, ","), tsh);
	tap_ok(osh && tsh && strncmp(osh, want_sh, strlen(want_sh)) == 0 &&
		   osh[strlen(want_sh)] == ',',
		   "%s subject_token[%d]: SignedHeaders = library's + x-goog-cloud-target-resource",
		   label, idx);
}

static void
run_subject_case(json_object *root, json_object *c, const char *label, int idx,
				 const char *lib)
{
	json_object *cred = jget(c, "credentials");
	json_object *derived = jget(c, "derived");
	const char *now = jstr(c, "now") ? jstr(c, "now") : jstr(c, "reference_date");
	const char *tmpl = jstr(c, "regional_cred_verification_url") ?
		jstr(c, "regional_cred_verification_url") : SP_DEFAULT_VERIFY_URL;
	const char *audience = jstr(c, "audience");
	SpAwsCredentials creds;
	char	   *token = NULL;
	char	   *json = NULL;
	SpAuthError err;
	SpUrl		u;
	SpHeader	target;
	SpSigv4Input in;
	SpSigv4Output out;
	bool		go = strcmp(lib, "go") == 0;
	const char *exp_json = go ? jstr(derived, "serialized_json_before_url_encoding")
		: jstr(c, "serialized_json_before_url_encoding");
	const char *exp_token = go ? jstr(derived, "subject_token") : jstr(c, "subject_token");
	const char *exp_auth = go ? jstr(derived, "authorization") : jstr(c, "authorization");
	const char *exp_creq = go ? jstr(derived, "canonical_request") : jstr(c, "canonical_request_derived");
	const char *exp_sts = go ? jstr(derived, "string_to_sign") : jstr(c, "string_to_sign_derived");
	int			rc;

	creds.access_key_id = (char *) jstr(cred, "access_key_id");
	creds.secret_access_key = (char *) jstr(cred, "secret_access_key");
	creds.session_token = (char *) jstr(cred, "session_token");

	rc = sp_build_subject_token(&creds, jstr(c, "region"), audience, tmpl,
								parse_time(now), &token, &json, &err);
	if (!tap_ok(rc == 0, "%s subject_token[%d]: builds", label, idx))
	{
		tap_diag("error: %s", err.message);
		return;
	}

	/* the signed request, through the signer, in both library styles */
	sp_url_parse(jstr(c, "signed_url") ? jstr(c, "signed_url") : "https://sts.us-east-2.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", &u);
	memset(&in, 0, sizeof(in));
	in.method = "POST";
	in.host = u.host;
	in.path = u.path;
	in.query = u.query;
	in.body = "";
	in.access_key_id = creds.access_key_id;
	in.secret_access_key = creds.secret_access_key;
	in.session_token = creds.session_token;
	in.region = jstr(c, "region");
	in.now = parse_time(now);
	if (go)
	{
		target.name = "x-goog-cloud-target-resource";
		target.value = audience;
		in.headers = &target;
		in.nheaders = 1;
	}
	if (sp_sigv4_sign(&in, &out, &err) == 0)
	{
		tap_is_str(out.canonical_request, exp_creq,
				   "%s subject_token[%d]: canonical request (%s)", label, idx,
				   go ? "target resource signed" : "library's unsigned target");
		tap_is_str(out.string_to_sign, exp_sts,
				   "%s subject_token[%d]: string to sign", label, idx);
		tap_is_str(out.authorization, exp_auth,
				   "%s subject_token[%d]: authorization", label, idx);
		sp_sigv4_output_free(&out);
	}
	else
		tap_ok(false, "%s subject_token[%d]: signer", label, idx);
	sp_url_free(&u);

	if (go)
	{
		json_object *sts = jget(root, "sts_exchange");
		const char *exp_form = jstr(sts, "example_form_body_derived_for_BasicRequest_with_scope_cloud_platform");

		tap_is_str(json, exp_json, "%s subject_token[%d]: JSON byte-exact", label, idx);
		tap_is_str(token, exp_token, "%s subject_token[%d]: subject token byte-exact",
				   label, idx);
		if (idx == 0 && exp_form)
		{
			char	   *form = sp_sts_form_body(audience, SP_SCOPE_CLOUD_PLATFORM,
												token, NULL);

			tap_is_str(form, exp_form, "%s STS form body byte-exact", label);
			free(form);
		}
	}
	else
	{
		char	   *decoded = sp_pct_decode(token, strlen(token), true, NULL);
		char	   *their_decoded = sp_pct_decode(exp_token, strlen(exp_token), false, NULL);
		json_object *ours = json_tokener_parse(decoded);
		json_object *theirs = json_tokener_parse(exp_json);
		const char *form_key = jget(c, "sts_form_body_derived_urlsearchparams")
			? "sts_form_body_derived_urlsearchparams"
			: "sts_form_body_derived_python_urlencode";
		const char *their_form = jstr(c, form_key);

		tap_is_str(decoded, json, "%s subject_token[%d]: our token decodes to our JSON",
				   label, idx);
		tap_is_str(their_decoded, exp_json,
				   "%s subject_token[%d]: library token decodes to library JSON", label, idx);
		compare_token_fields(ours, theirs, label, idx);

		if (their_form)
		{
			FormField	tf[16];
			FormField	of[16];
			int			nt = form_parse(their_form, tf, 16);
			const char *scope = form_get(tf, nt, "scope");
			char	   *our_form = sp_sts_form_body(audience, scope, token, NULL);
			int			no = form_parse(our_form, of, 16);
			int			i;
			json_object *their_tok = NULL;
			char	   *d;

			for (i = 0; i < nt; i++)
			{
				if (strcmp(tf[i].key, "subject_token") == 0)
					continue;
				tap_is_str(form_get(of, no, tf[i].key), tf[i].value,
						   "%s STS form[%d]: field %s", label, idx, tf[i].key);
			}
			tap_ok(nt == no, "%s STS form[%d]: same fields", label, idx);
			tap_is_str(form_get(tf, nt, "subject_token"), exp_token,
					   "%s STS form[%d]: library form carries the library token", label, idx);
			d = sp_pct_decode(form_get(of, no, "subject_token"),
							  strlen(form_get(of, no, "subject_token")), true, NULL);
			their_tok = json_tokener_parse(d);
			tap_ok(their_tok && json_object_equal(their_tok, ours),
				   "%s STS form[%d]: our form carries our token", label, idx);
			json_object_put(their_tok);
			free(d);
			free(our_form);
			form_free(tf, nt);
			form_free(of, no);
		}
		json_object_put(ours);
		json_object_put(theirs);
		free(decoded);
		free(their_decoded);
	}
	sp_free_secret(token);
	sp_free_secret(json);
}

static void
run_google(json_object *root, const char *label)
{
	const char *repo = jstr(jget(root, "source"), "repo");
	const char *lib = strstr(repo, "python") ? "python" :
		(strstr(repo, "nodejs") ? "node" : "go");
	json_object *sc = jget(jget(root, "request_signer"), "cases");
	json_object *tc = jget(jget(root, "subject_token"), "cases");
	size_t		i;

	tap_diag("%s: %s library, %zu signer cases, %zu subject token cases", label,
			 lib, json_object_array_length(sc), json_object_array_length(tc));
	for (i = 0; i < json_object_array_length(sc); i++)
		run_signer_case(json_object_array_get_idx(sc, i), label, (int) i, lib);
	for (i = 0; i < json_object_array_length(tc); i++)
		run_subject_case(root, json_object_array_get_idx(tc, i), label, (int) i, lib);
}

int
main(int argc, char **argv)
{
	json_object *root;
	const char *format;
	const char *label;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s <vector-file.json>\n", argv[0]);
		return 2;
	}
	label = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	root = tap_load_json(argv[1]);
	if (!tap_ok(root != NULL, "%s: vector file loads", label))
		return tap_done();
	format = jstr(root, "format");
	if (format && strstr(format, "sigv4-suite"))
		run_suite(root, label);
	else if (format && strstr(format, "google-external-account-aws"))
		run_google(root, label);
	else
		tap_ok(false, "%s: known vector format (%s)", label, format ? format : "none");
	json_object_put(root);
	return tap_done();
}
