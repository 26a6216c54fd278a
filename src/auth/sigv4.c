/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *		  AWS Signature Version 4 signer and the GetCallerIdentity subject token
 *
 * The signer follows the 2015 AWS test suite (path normalisation for
 * non-S3 services, RFC 3986 query encoding and sorting, lower-cased sorted
 * header names, trimmed and collapsed values, duplicate headers joined
 * with ',').  A request may carry its own "date" header instead of
 * x-amz-date (2011 suite, Google libraries).
 *
 * The subject token is built exactly as golang/oauth2 google/externalaccount
 * builds it: x-goog-cloud-target-resource is signed, header keys in Go's
 * canonical MIME form sorted by key, Go json.Marshal escaping and
 * url.QueryEscape.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/sigv4.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define AWS_ALGORITHM "AWS4-HMAC-SHA256"

typedef struct CanonHeader
{
	char	   *name;			/* lower-cased */
	char	   *value;			/* trimmed, whitespace collapsed */
	int			order;			/* position in the input (stable sort) */
} CanonHeader;

typedef struct QueryPair
{
	char	   *key;			/* encoded */
	char	   *value;			/* encoded */
} QueryPair;

static char *canonical_value(const char *v);
static int	cmp_header(const void *a, const void *b);
static int	cmp_str(const void *a, const void *b);
static int	cmp_pair(const void *a, const void *b);
static bool canonical_uri(SpBuf *b, const char *path, int flags);
static bool encode_segment(SpBuf *b, const char *seg, size_t n, int flags);
static bool canonical_query(SpBuf *b, const char *query);
static bool add_header(CanonHeader *hs, int *n, const char *name,
					   const char *value);
static const char *find_header(CanonHeader *hs, int n, const char *name);

/*
 * Trim, and collapse runs of whitespace (including the CR/LF of folded
 * header lines) into one space.
 */
static char *
canonical_value(const char *v)
{
	size_t		n = strlen(v);
	char	   *out = malloc(n + 1);
	size_t		o = 0;
	bool		pending_space = false;
	size_t		i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++)
	{
		char		c = v[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		{
			pending_space = (o > 0);
			continue;
		}
		if (pending_space)
			out[o++] = ' ';
		pending_space = false;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static int
cmp_header(const void *a, const void *b)
{
	const CanonHeader *ha = a;
	const CanonHeader *hb = b;
	int			r = strcmp(ha->name, hb->name);

	if (r != 0)
		return r;
	return ha->order - hb->order;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
cmp_pair(const void *a, const void *b)
{
	const QueryPair *pa = a;
	const QueryPair *pb = b;
	int			r = strcmp(pa->key, pb->key);

	return r != 0 ? r : strcmp(pa->value, pb->value);
}

static bool
add_header(CanonHeader *hs, int *n, const char *name, const char *value)
{
	size_t		i;
	CanonHeader *h = &hs[*n];

	h->name = sp_strdup(name);
	h->value = canonical_value(value);
	h->order = *n;
	(*n)++;
	if (h->name == NULL || h->value == NULL)
		return false;
	for (i = 0; h->name[i]; i++)
		h->name[i] = (char) tolower((unsigned char) h->name[i]);
	return true;
}

static const char *
find_header(CanonHeader *hs, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(hs[i].name, name) == 0)
			return hs[i].value;
	return NULL;
}

/*
 * One path segment: decoded, then encoded with only unreserved characters
 * left as they are (single encoding, 2015 suite).  DOUBLE_ENCODE_PATH
 * encodes the segment as written instead (botocore's 2014 variant).
 */
static bool
encode_segment(SpBuf *b, const char *seg, size_t n, int flags)
{
	char	   *dec;
	size_t		dlen;
	bool		ok;

	if (flags & SP_SIGV4_DOUBLE_ENCODE_PATH)
		return sp_pct_encode(b, seg, n, NULL, false);
	dec = sp_pct_decode(seg, n, false, &dlen);
	if (dec == NULL)
		return false;
	ok = sp_pct_encode(b, dec, dlen, NULL, false);
	free(dec);
	return ok;
}

/*
 * Canonical URI: remove "." and ".." segments and empty segments (so "//"
 * collapses), keep a trailing slash, encode each segment.
 */
static bool
canonical_uri(SpBuf *b, const char *path, int flags)
{
	const char **segs;
	size_t	   *lens;
	int			nsegs = 0;
	size_t		plen;
	const char *p;
	int			i;
	bool		trailing;

	if (path == NULL || path[0] == '\0')
		return spbuf_appendc(b, '/');
	plen = strlen(path);
	if (flags & SP_SIGV4_NO_PATH_NORMALIZE)
	{
		/* S3 style: encode as is, keeping every slash */
		const char *start = path;

		for (p = path;; p++)
		{
			if (*p == '/' || *p == '\0')
			{
				encode_segment(b, start, (size_t) (p - start), flags);
				if (*p == '\0')
					break;
				spbuf_appendc(b, '/');
				start = p + 1;
			}
		}
		return !b->failed;
	}

	segs = malloc(sizeof(char *) * (plen + 1));
	lens = malloc(sizeof(size_t) * (plen + 1));
	if (segs == NULL || lens == NULL)
	{
		free(segs);
		free(lens);
		b->failed = true;
		return false;
	}
	p = path;
	while (*p)
	{
		const char *start;
		size_t		n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		n = (size_t) (p - start);
		if (n == 1 && start[0] == '.')
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.')
		{
			if (nsegs > 0)
				nsegs--;
			continue;
		}
		segs[nsegs] = start;
		lens[nsegs] = n;
		nsegs++;
	}
	trailing = path[plen - 1] == '/';

	spbuf_appendc(b, '/');
	for (i = 0; i < nsegs; i++)
	{
		if (i > 0)
			spbuf_appendc(b, '/');
		encode_segment(b, segs[i], lens[i], flags);
	}
	if (trailing && nsegs > 0)
		spbuf_appendc(b, '/');
	free(segs);
	free(lens);
	return !b->failed;
}

/*
 * Canonical query: split on '&', each at the first '=' (a missing '='
 * means an empty value), decode ('+' is a space), encode keys and values
 * with only unreserved characters kept, sort by key then value.
 */
static bool
canonical_query(SpBuf *b, const char *query)
{
	QueryPair  *pairs;
	int			npairs = 0;
	int			maxpairs = 1;
	const char *p;
	bool		ok = true;
	int			i;

	if (query == NULL || query[0] == '\0')
		return true;
	for (p = query; *p; p++)
		if (*p == '&')
			maxpairs++;
	pairs = calloc((size_t) maxpairs, sizeof(QueryPair));
	if (pairs == NULL)
	{
		b->failed = true;
		return false;
	}

	p = query;
	while (ok)
	{
		const char *end = p + strcspn(p, "&");
		const char *eq = memchr(p, '=', (size_t) (end - p));

		if (end > p)
		{
			const char *kend = eq ? eq : end;
			char	   *k;
			char	   *v;
			size_t		klen;
			size_t		vlen = 0;
			SpBuf		kb;
			SpBuf		vb;

			k = sp_pct_decode(p, (size_t) (kend - p), true, &klen);
			v = eq ? sp_pct_decode(eq + 1, (size_t) (end - eq - 1), true, &vlen)
				: sp_strdup("");
			spbuf_init(&kb);
			spbuf_init(&vb);
			if (k && v)
			{
				sp_pct_encode(&kb, k, klen, NULL, false);
				sp_pct_encode(&vb, v, vlen, NULL, false);
			}
			else
				kb.failed = true;
			free(k);
			free(v);
			pairs[npairs].key = spbuf_finish(&kb);
			pairs[npairs].value = spbuf_finish(&vb);
			if (pairs[npairs].key == NULL || pairs[npairs].value == NULL)
				ok = false;
			npairs++;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}

	if (ok)
	{
		qsort(pairs, (size_t) npairs, sizeof(QueryPair), cmp_pair);
		for (i = 0; i < npairs; i++)
		{
			if (i > 0)
				spbuf_appendc(b, '&');
			spbuf_appends(b, pairs[i].key);
			spbuf_appendc(b, '=');
			spbuf_appends(b, pairs[i].value);
		}
	}
	else
		b->failed = true;
	for (i = 0; i < npairs; i++)
	{
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
	return !b->failed;
}

/*
 * Sign a request.  Returns 0 and fills *out (free with
 * sp_sigv4_output_free), or -1 with *err set.
 */
int
sp_sigv4_sign(const SpSigv4Input *in, SpSigv4Output *out, SpAuthError *err)
{
	CanonHeader *hs = NULL;
	int			nh = 0;
	int			i;
	SpBuf		creq;
	SpBuf		sts;
	SpBuf		sh;
	SpBuf		ch;
	SpBuf		tmp;
	char		service_buf[64];
	const char *service;
	const char *amz_date_hdr;
	char		date_stamp[9];
	char		scope_buf[256];
	char		payload_hash[65];
	char		creq_hash[65];
	unsigned char k1[32];
	unsigned char k2[32];
	unsigned char sig[32];
	char	   *ksecret = NULL;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	spbuf_init(&creq);
	spbuf_init(&sts);
	spbuf_init(&sh);
	spbuf_init(&ch);
	spbuf_init(&tmp);

	if (in->method == NULL || in->host == NULL || in->region == NULL ||
		in->access_key_id == NULL || in->secret_access_key == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_INTERNAL,
				   "incomplete input for AWS request signing");
		return -1;
	}

	/* service: explicit, or the first DNS label of the host */
	if (in->service)
		service = in->service;
	else
	{
		size_t		n = strcspn(in->host, ".:");

		if (n == 0 || n >= sizeof(service_buf))
		{
			sp_err_set(err, SP_AUTH_ERR_CONFIG, "Invalid AWS service URL");
			return -1;
		}
		memcpy(service_buf, in->host, n);
		service_buf[n] = '\0';
		service = service_buf;
	}

	/* headers, plus room for host, x-amz-date and x-amz-security-token */
	hs = calloc((size_t) in->nheaders + 3, sizeof(CanonHeader));
	if (hs == NULL)
		goto oom;
	for (i = 0; i < in->nheaders; i++)
		if (!add_header(hs, &nh, in->headers[i].name, in->headers[i].value))
			goto oom;
	if (find_header(hs, nh, "host") == NULL &&
		!add_header(hs, &nh, "host", in->host))
		goto oom;

	amz_date_hdr = find_header(hs, nh, "x-amz-date");
	if (amz_date_hdr)
	{
		time_t		t;

		if (!sp_parse_amz_date(amz_date_hdr, &t))
		{
			sp_err_set(err, SP_AUTH_ERR_INTERNAL,
					   "invalid x-amz-date header \"%s\"", amz_date_hdr);
			goto done;
		}
		memcpy(out->amz_date, amz_date_hdr, 17);
	}
	else
	{
		sp_format_amz_date(in->now, out->amz_date);
		/* a literal "date" header replaces x-amz-date (Google libraries) */
		if (find_header(hs, nh, "date") == NULL)
		{
			if (!add_header(hs, &nh, "x-amz-date", out->amz_date))
				goto oom;
			out->add_amz_date = true;
		}
	}
	memcpy(date_stamp, out->amz_date, 8);
	date_stamp[8] = '\0';

	if (in->session_token && in->session_token[0] &&
		find_header(hs, nh, "x-amz-security-token") == NULL)
	{
		if (!add_header(hs, &nh, "x-amz-security-token", in->session_token))
			goto oom;
		out->add_security_token = true;
	}

	qsort(hs, (size_t) nh, sizeof(CanonHeader), cmp_header);

	/* canonical headers and signed headers; duplicates joined with ',' */
	for (i = 0; i < nh;)
	{
		int			j = i;
		int			k;

		while (j < nh && strcmp(hs[j].name, hs[i].name) == 0)
			j++;
		if (in->flags & SP_SIGV4_SORT_HEADER_VALUES)
		{
			char	  **vals = malloc(sizeof(char *) * (size_t) (j - i));

			if (vals == NULL)
				goto oom;
			for (k = i; k < j; k++)
				vals[k - i] = hs[k].value;
			qsort(vals, (size_t) (j - i), sizeof(char *), cmp_str);
			for (k = i; k < j; k++)
				hs[k].value = vals[k - i];
			free(vals);
		}
		if (sh.len > 0)
			spbuf_appendc(&sh, ';');
		spbuf_appends(&sh, hs[i].name);
		spbuf_appends(&ch, hs[i].name);
		spbuf_appendc(&ch, ':');
		for (k = i; k < j; k++)
		{
			if (k > i)
				spbuf_appendc(&ch, ',');
			spbuf_appends(&ch, hs[k].value);
		}
		spbuf_appendc(&ch, '\n');
		i = j;
	}

	if (!sp_sha256_hex(in->body ? in->body : "", in->body ? in->body_len : 0,
					   payload_hash))
		goto crypto;

	spbuf_appends(&creq, in->method);
	spbuf_appendc(&creq, '\n');
	canonical_uri(&creq, in->path, in->flags);
	spbuf_appendc(&creq, '\n');
	canonical_query(&creq, in->query);
	spbuf_appendc(&creq, '\n');
	if (ch.data)
		spbuf_append(&creq, ch.data, ch.len);
	spbuf_appendc(&creq, '\n');
	if (sh.data)
		spbuf_append(&creq, sh.data, sh.len);
	spbuf_appendc(&creq, '\n');
	spbuf_appends(&creq, payload_hash);
	if (creq.failed || sh.failed || ch.failed)
		goto oom;

	if (!sp_sha256_hex(creq.data, creq.len, creq_hash))
		goto crypto;
	snprintf(scope_buf, sizeof(scope_buf), "%s/%s/%s/aws4_request",
			 date_stamp, in->region, service);
	spbuf_appendf(&sts, "%s\n%s\n%s\n%s", AWS_ALGORITHM, out->amz_date,
				  scope_buf, creq_hash);
	if (sts.failed)
		goto oom;

	/* signing key */
	spbuf_appends(&tmp, "AWS4");
	spbuf_appends(&tmp, in->secret_access_key);
	ksecret = spbuf_finish(&tmp);
	if (ksecret == NULL)
		goto oom;
	if (!sp_hmac_sha256(ksecret, strlen(ksecret), date_stamp, 8, k1) ||
		!sp_hmac_sha256(k1, 32, in->region, strlen(in->region), k2) ||
		!sp_hmac_sha256(k2, 32, service, strlen(service), k1) ||
		!sp_hmac_sha256(k1, 32, "aws4_request", 12, k2) ||
		!sp_hmac_sha256(k2, 32, sts.data, sts.len, sig))
		goto crypto;
	sp_hex(sig, 32, out->signature);

	spbuf_appendf(&tmp, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
				  AWS_ALGORITHM, in->access_key_id, scope_buf, sh.data,
				  out->signature);
	out->authorization = spbuf_finish(&tmp);
	out->canonical_request = spbuf_finish(&creq);
	out->string_to_sign = spbuf_finish(&sts);
	out->signed_headers = spbuf_finish(&sh);
	if (!out->authorization || !out->canonical_request ||
		!out->string_to_sign || !out->signed_headers)
		goto oom;
	rc = 0;
	goto done;

oom:
	sp_err_oom(err);
	goto done;
crypto:
	sp_err_set(err, SP_AUTH_ERR_INTERNAL, "OpenSSL SHA-256/HMAC failed");
done:
	sp_wipe(k1, sizeof(k1));
	sp_wipe(k2, sizeof(k2));
	sp_free_secret(ksecret);
	if (hs)
	{
		for (i = 0; i < nh; i++)
		{
			free(hs[i].name);
			sp_free_secret(hs[i].value);
		}
		free(hs);
	}
	spbuf_free(&creq);
	spbuf_free(&sts);
	spbuf_free(&sh);
	spbuf_free(&ch);
	spbuf_free(&tmp);
	if (rc != 0)
		sp_sigv4_output_free(out);
	return rc;
}

void
sp_sigv4_output_free(SpSigv4Output *out)
{
	free(out->canonical_request);
	free(out->string_to_sign);
	free(out->signed_headers);
	free(out->authorization);
	out->canonical_request = NULL;
	out->string_to_sign = NULL;
	out->signed_headers = NULL;
	out->authorization = NULL;
}

void
sp_aws_credentials_free(SpAwsCredentials *c)
{
	if (c == NULL)
		return;
	sp_free_secret(c->access_key_id);
	sp_free_secret(c->secret_access_key);
	sp_free_secret(c->session_token);
	c->access_key_id = NULL;
	c->secret_access_key = NULL;
	c->session_token = NULL;
}

/*
 * Append s as a JSON string the way Go's encoding/json does: HTML-safe
 * (<, >, & as \u003c \u003e \u0026), U+2028/U+2029 escaped, invalid UTF-8
 * replaced by \ufffd, \b \f \n \r \t short escapes, other controls \u00xx.
 */
bool
sp_go_json_string(SpBuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *) s;

	spbuf_appendc(b, '"');
	while (*p)
	{
		unsigned char c = *p;

		if (c < 0x80)
		{
			switch (c)
			{
				case '"':
				case '\\':
					spbuf_appendc(b, '\\');
					spbuf_appendc(b, (char) c);
					break;
				case '\b':
					spbuf_appends(b, "\\b");
					break;
				case '\f':
					spbuf_appends(b, "\\f");
					break;
				case '\n':
					spbuf_appends(b, "\\n");
					break;
				case '\r':
					spbuf_appends(b, "\\r");
					break;
				case '\t':
					spbuf_appends(b, "\\t");
					break;
				default:
					if (c < 0x20 || c == '<' || c == '>' || c == '&')
					{
						char		e[7] = {'\\', 'u', '0', '0', 0, 0, 0};

						e[4] = hex[c >> 4];
						e[5] = hex[c & 0xf];
						spbuf_append(b, e, 6);
					}
					else
						spbuf_appendc(b, (char) c);
			}
			p++;
			continue;
		}
		else
		{
			/* validate one UTF-8 sequence */
			int			n;
			unsigned int cp;
			int			k;
			bool		valid = true;

			if (c >= 0xc2 && c <= 0xdf)
			{
				n = 2;
				cp = c & 0x1f;
			}
			else if (c >= 0xe0 && c <= 0xef)
			{
				n = 3;
				cp = c & 0x0f;
			}
			else if (c >= 0xf0 && c <= 0xf4)
			{
				n = 4;
				cp = c & 0x07;
			}
			else
			{
				n = 1;
				cp = 0;
				valid = false;
			}
			for (k = 1; valid && k < n; k++)
			{
				if ((p[k] & 0xc0) != 0x80)
					valid = false;
				else
					cp = (cp << 6) | (p[k] & 0x3f);
			}
			if (valid && ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
						  (n == 4 && (cp < 0x10000 || cp > 0x10ffff))))
				valid = false;
			if (!valid)
			{
				spbuf_appends(b, "\\ufffd");
				p++;
			}
			else if (cp == 0x2028 || cp == 0x2029)
			{
				spbuf_appends(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
				p += n;
			}
			else
			{
				spbuf_append(b, (const char *) p, (size_t) n);
				p += n;
			}
		}
	}
	spbuf_appendc(b, '"');
	return !b->failed;
}

/* Go's url.QueryEscape: unreserved kept, space as '+', rest %XX */
bool
sp_go_query_escape(SpBuf *b, const char *s)
{
	return sp_pct_encode(b, s, strlen(s), NULL, true);
}

/*
 * Build the serialized, signed GetCallerIdentity request (the AWS subject
 * token).  *token_out receives the URL-encoded JSON, *json_out (optional)
 * the JSON before encoding; both malloc'd, and both secret (they carry the
 * session token and a signature).
 */
int
sp_build_subject_token(const SpAwsCredentials *creds, const char *region,
					   const char *audience,
					   const char *verification_url_template, time_t now,
					   char **token_out, char **json_out, SpAuthError *err)
{
	SpBuf		ub;
	SpBuf		jb;
	SpBuf		tb;
	char	   *url = NULL;
	const char *p;
	SpUrl		u;
	char	   *hostport = NULL;
	SpHeader	extra;
	SpSigv4Input in;
	SpSigv4Output out;
	int			rc = -1;
	struct
	{
		const char *key;
		const char *value;
	}			hdr[5];
	int			nhdr = 0;
	int			i;

	*token_out = NULL;
	if (json_out)
		*json_out = NULL;
	memset(&u, 0, sizeof(u));
	memset(&out, 0, sizeof(out));
	spbuf_init(&ub);
	spbuf_init(&jb);
	spbuf_init(&tb);

	if (!sp_region_valid(region))
	{
		sp_err_set(err, SP_AUTH_ERR_AWS_REGION, "Invalid AWS region '%s'",
				   region ? region : "");
		return -1;
	}

	/* substitute every {region} (as Python and Java do) */
	for (p = verification_url_template; *p;)
	{
		if (strncmp(p, "{region}", 8) == 0)
		{
			spbuf_appends(&ub, region);
			p += 8;
		}
		else
			spbuf_appendc(&ub, *p++);
	}
	url = spbuf_finish(&ub);
	if (url == NULL)
		goto oom;
	if (!sp_url_parse(url, &u) || strcmp(u.scheme, "https") != 0)
	{
		sp_err_set(err, SP_AUTH_ERR_CONFIG, "Invalid AWS service URL");
		sp_err_detail(err, "regional_cred_verification_url gives \"%s\".",
					  url);
		goto done;
	}
	if (u.port)
	{
		size_t		n = strlen(u.host) + strlen(u.port) + 4;

		hostport = malloc(n);
		if (hostport == NULL)
			goto oom;
		snprintf(hostport, n, u.ipv6 ? "[%s]:%s" : "%s:%s", u.host, u.port);
	}

	extra.name = "x-goog-cloud-target-resource";
	extra.value = audience;
	memset(&in, 0, sizeof(in));
	in.method = "POST";
	in.host = hostport ? hostport : u.host;
	in.path = u.path;
	in.query = u.query;
	in.headers = &extra;
	in.nheaders = 1;
	in.body = "";
	in.body_len = 0;
	in.access_key_id = creds->access_key_id;
	in.secret_access_key = creds->secret_access_key;
	in.session_token = creds->session_token;
	in.region = region;
	in.now = now;
	if (sp_sigv4_sign(&in, &out, err) != 0)
		goto done;

	/* Go canonical MIME keys; this order is already sorted by key */
	hdr[nhdr].key = "Authorization";
	hdr[nhdr++].value = out.authorization;
	hdr[nhdr].key = "Host";
	hdr[nhdr++].value = in.host;
	hdr[nhdr].key = "X-Amz-Date";
	hdr[nhdr++].value = out.amz_date;
	if (out.add_security_token)
	{
		hdr[nhdr].key = "X-Amz-Security-Token";
		hdr[nhdr++].value = creds->session_token;
	}
	hdr[nhdr].key = "X-Goog-Cloud-Target-Resource";
	hdr[nhdr++].value = audience;

	spbuf_appends(&jb, "{\"url\":");
	sp_go_json_string(&jb, url);
	spbuf_appends(&jb, ",\"method\":\"POST\",\"headers\":[");
	for (i = 0; i < nhdr; i++)
	{
		if (i > 0)
			spbuf_appendc(&jb, ',');
		spbuf_appends(&jb, "{\"key\":");
		sp_go_json_string(&jb, hdr[i].key);
		spbuf_appends(&jb, ",\"value\":");
		sp_go_json_string(&jb, hdr[i].value);
		spbuf_appendc(&jb, '}');
	}
	spbuf_appends(&jb, "]}");
	if (jb.failed)
		goto oom;
	sp_go_query_escape(&tb, jb.data);
	*token_out = spbuf_finish(&tb);
	if (*token_out == NULL)
		goto oom;
	if (json_out)
	{
		*json_out = spbuf_finish(&jb);
		if (*json_out == NULL)
		{
			sp_free_secret(*token_out);
			*token_out = NULL;
			goto oom;
		}
	}
	rc = 0;
	goto done;

oom:
	sp_err_oom(err);
done:
	sp_sigv4_output_free(&out);
	sp_url_free(&u);
	free(hostport);
	free(url);
	spbuf_free(&ub);
	spbuf_free(&jb);
	spbuf_free(&tb);
	return rc;
}
