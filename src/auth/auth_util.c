/*-------------------------------------------------------------------------
 *
 * auth_util.c
 *		  Strings, errors, hashing, encoding, URL and time helpers for src/auth
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/auth_util.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

static void vformat_into(char *dst, size_t size, const char *fmt, va_list ap)
			SP_PRINTF(3, 0);
static void scrub_field(char *field, size_t size, const char *secret);
static int	hexval(int c);

/* ---------------------------------------------------------------------
 * SpBuf
 * ---------------------------------------------------------------------
 */
void
spbuf_init(SpBuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

static bool
spbuf_reserve(SpBuf *b, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *p;

	if (b->failed)
		return false;
	if (extra > SIZE_MAX / 2 - b->len)
	{
		b->failed = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	newcap = b->cap ? b->cap : 64;
	while (newcap < need)
		newcap *= 2;

	/*
	 * Grow by copying so the old block can be wiped: buffers may hold
	 * secrets (signing input, tokens).
	 */
	p = malloc(newcap);
	if (p == NULL)
	{
		b->failed = true;
		return false;
	}
	if (b->data)
	{
		memcpy(p, b->data, b->len + 1);
		sp_wipe(b->data, b->cap);
		free(b->data);
	}
	else
		p[0] = '\0';
	b->data = p;
	b->cap = newcap;
	return true;
}

bool
spbuf_append(SpBuf *b, const char *s, size_t n)
{
	if (!spbuf_reserve(b, n))
		return false;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool
spbuf_appends(SpBuf *b, const char *s)
{
	return spbuf_append(b, s, strlen(s));
}

bool
spbuf_appendc(SpBuf *b, char c)
{
	return spbuf_append(b, &c, 1);
}

bool
spbuf_appendf(SpBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (b->failed)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !spbuf_reserve(b, (size_t) n))
	{
		b->failed = true;
		return false;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
	return true;
}

/*
 * Hand the string over to the caller (who frees it), or NULL if an
 * allocation failed along the way.  The SpBuf is left empty.
 */
char *
spbuf_finish(SpBuf *b)
{
	char	   *result;

	if (b->failed)
	{
		spbuf_free(b);
		return NULL;
	}
	if (b->data == NULL && !spbuf_reserve(b, 0))
	{
		spbuf_free(b);
		return NULL;
	}
	result = b->data;
	spbuf_init(b);
	return result;
}

void
spbuf_free(SpBuf *b)
{
	if (b->data)
	{
		sp_wipe(b->data, b->cap);
		free(b->data);
	}
	spbuf_init(b);
}

char *
sp_strdup(const char *s)
{
	return s ? sp_strndup(s, strlen(s)) : NULL;
}

char *
sp_strndup(const char *s, size_t n)
{
	char	   *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
sp_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

/* Wipe and free a NUL-terminated string that may hold a secret. */
void
sp_free_secret(char *s)
{
	if (s == NULL)
		return;
	sp_wipe(s, strlen(s));
	free(s);
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */
static void
vformat_into(char *dst, size_t size, const char *fmt, va_list ap)
{
	int			n = vsnprintf(dst, size, fmt, ap);

	if (n < 0)
		dst[0] = '\0';
	else if ((size_t) n >= size && size > 4)
		memcpy(dst + size - 4, "...", 4);	/* mark truncation */
}

void
sp_err_clear(SpAuthError *err)
{
	if (err == NULL)
		return;
	err->kind = SP_AUTH_OK;
	err->http_status = 0;
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
}

void
sp_err_set(SpAuthError *err, SpAuthErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	sp_err_clear(err);
	err->kind = kind;
	va_start(ap, fmt);
	vformat_into(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void
sp_err_detail(SpAuthError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vformat_into(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
sp_err_hint(SpAuthError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vformat_into(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void
sp_err_oom(SpAuthError *err)
{
	sp_err_set(err, SP_AUTH_ERR_INTERNAL, "out of memory");
}

/*
 * Put "prefix" + a printable excerpt of a remote response body into detail:
 * control characters become spaces and long bodies are cut.
 */
void
sp_err_detail_remote(SpAuthError *err, const char *prefix,
					 const char *body, size_t len)
{
	size_t		pos;
	size_t		max;
	size_t		i;
	size_t		shown = len > 400 ? 400 : len;

	if (err == NULL)
		return;
	snprintf(err->detail, sizeof(err->detail), "%s", prefix ? prefix : "");
	pos = strlen(err->detail);
	if (body == NULL || len == 0)
	{
		snprintf(err->detail + pos, sizeof(err->detail) - pos,
				 "(empty response body)");
		return;
	}
	max = sizeof(err->detail) - 4;
	for (i = 0; i < shown && pos < max; i++)
	{
		unsigned char c = (unsigned char) body[i];

		err->detail[pos++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	if (i < len)
	{
		memcpy(err->detail + pos, "...", 3);
		pos += 3;
	}
	err->detail[pos] = '\0';
}

/* "<who> answered HTTP <status>: <excerpt of body>" */
void
sp_err_detail_http(SpAuthError *err, const char *who, long status,
				   const char *body, size_t len)
{
	char		prefix[256];

	snprintf(prefix, sizeof(prefix), "%s answered HTTP %ld: ", who, status);
	sp_err_detail_remote(err, prefix, body, len);
}

/*
 * Replace every occurrence of the secret, and a truncated prefix of it at
 * the very end of the field (from "..." cutting), with "[redacted]".
 */
static void
scrub_field(char *field, size_t size, const char *secret)
{
	static const char repl[] = "[redacted]";
	size_t		slen = strlen(secret);
	char	   *out;
	size_t		o = 0;
	const char *p;
	size_t		flen;
	size_t		k;

	if (slen < 6 || size == 0)
		return;
	if (strstr(field, secret) != NULL)
	{
		out = malloc(size);
		if (out == NULL)
		{
			/* cannot rewrite: blank the field rather than leak */
			field[0] = '\0';
			return;
		}
		for (p = field; *p && o + 1 < size;)
		{
			if (strncmp(p, secret, slen) == 0)
			{
				size_t		n = sizeof(repl) - 1;

				if (o + n + 1 > size)
					n = size - 1 - o;
				memcpy(out + o, repl, n);
				o += n;
				p += slen;
			}
			else
				out[o++] = *p++;
		}
		out[o] = '\0';
		memcpy(field, out, o + 1);
		sp_wipe(out, size);
		free(out);
	}

	/* a cut-off prefix of the secret at the end (before "...") */
	flen = strlen(field);
	for (k = slen - 1; k >= 6; k--)
	{
		size_t		endpos = flen;

		if (flen >= 3 && strcmp(field + flen - 3, "...") == 0)
			endpos = flen - 3;
		if (endpos >= k && strncmp(field + endpos - k, secret, k) == 0)
		{
			char	   *start = field + endpos - k;

			snprintf(start, size - (size_t) (start - field), "%s...", repl);
			break;
		}
	}
}

void
sp_err_scrub(SpAuthError *err, const char *const *secrets, int nsecrets)
{
	int			i;

	if (err == NULL)
		return;
	for (i = 0; i < nsecrets; i++)
	{
		if (secrets[i] == NULL)
			continue;
		scrub_field(err->message, sizeof(err->message), secrets[i]);
		scrub_field(err->detail, sizeof(err->detail), secrets[i]);
		scrub_field(err->hint, sizeof(err->hint), secrets[i]);
	}
}

/* ---------------------------------------------------------------------
 * Hashing (OpenSSL 3 EVP interfaces; no deprecated HMAC())
 * ---------------------------------------------------------------------
 */
bool
sp_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int outlen = 0;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1)
		return false;
	return outlen == 32;
}

void
sp_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

bool
sp_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	if (!sp_sha256(data, len, md))
		return false;
	sp_hex(md, 32, out);
	return true;
}

bool
sp_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
			   unsigned char out[32])
{
	size_t		outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
				  msg, msglen, out, 32, &outlen) == NULL)
		return false;
	return outlen == 32;
}

char *
sp_base64(const void *data, size_t len)
{
	char	   *out;

	if (len > INT_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *) out, data, (int) len);
	return out;
}

/* ---------------------------------------------------------------------
 * Percent-encoding
 * ---------------------------------------------------------------------
 */
bool
sp_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		c == '~';
}

/*
 * RFC 3986 encoding: unreserved characters and those in "keep" stay,
 * everything else becomes %XX (upper-case hex); space becomes '+' when
 * space_as_plus (form / Go QueryEscape style).
 */
bool
sp_pct_encode(SpBuf *b, const char *s, size_t n, const char *keep,
			  bool space_as_plus)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (sp_is_unreserved(c) || (c != '\0' && keep && strchr(keep, c)))
			spbuf_appendc(b, (char) c);
		else if (c == ' ' && space_as_plus)
			spbuf_appendc(b, '+');
		else
		{
			char		enc[3];

			enc[0] = '%';
			enc[1] = digits[c >> 4];
			enc[2] = digits[c & 0x0f];
			spbuf_append(b, enc, 3);
		}
	}
	return !b->failed;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode %XX escapes (an invalid escape is kept literally, as Python's
 * unquote does); '+' becomes a space when plus_as_space.  Returns a
 * malloc'd string; *outlen (if not NULL) gets its length.
 */
char *
sp_pct_decode(const char *s, size_t n, bool plus_as_space, size_t *outlen)
{
	char	   *out = malloc(n + 1);
	size_t		i;
	size_t		o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++)
	{
		if (s[i] == '%' && i + 2 < n &&
			hexval((unsigned char) s[i + 1]) >= 0 &&
			hexval((unsigned char) s[i + 2]) >= 0)
		{
			out[o++] = (char) (hexval((unsigned char) s[i + 1]) * 16 +
							   hexval((unsigned char) s[i + 2]));
			i += 2;
		}
		else if (s[i] == '+' && plus_as_space)
			out[o++] = ' ';
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* ---------------------------------------------------------------------
 * URLs
 * ---------------------------------------------------------------------
 */

/*
 * Split an absolute URL "scheme://host[:port][/path][?query][#frag]".
 * Refuses: no scheme or "//", empty host, userinfo ('@'), whitespace or
 * control characters anywhere, a backslash in the authority, a bad port.
 */
bool
sp_url_parse(const char *url, SpUrl *out)
{
	const char *p;
	const char *auth;
	const char *auth_end;
	const char *host_start;
	const char *host_end;
	const char *port_start = NULL;
	const char *q;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (url == NULL)
		return false;
	for (p = url; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c <= 0x20 || c == 0x7f)
			return false;
	}

	/* scheme */
	p = url;
	if (!isalpha((unsigned char) *p))
		return false;
	while (isalnum((unsigned char) *p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	out->scheme = sp_strndup(url, (size_t) (p - url));
	if (out->scheme == NULL)
		goto fail;
	for (i = 0; out->scheme[i]; i++)
		out->scheme[i] = (char) tolower((unsigned char) out->scheme[i]);

	/* authority */
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?#");
	for (p = auth; p < auth_end; p++)
		if (*p == '@' || *p == '\\')
			goto fail;
	if (*auth == '[')
	{
		host_start = auth + 1;
		host_end = memchr(host_start, ']', (size_t) (auth_end - host_start));
		if (host_end == NULL || host_end == host_start)
			goto fail;
		out->ipv6 = true;
		if (host_end + 1 < auth_end)
		{
			if (host_end[1] != ':')
				goto fail;
			port_start = host_end + 2;
		}
		for (p = host_start; p < host_end; p++)
			if (!(isxdigit((unsigned char) *p) || *p == ':' || *p == '.'))
				goto fail;
	}
	else
	{
		host_start = auth;
		host_end = memchr(auth, ':', (size_t) (auth_end - auth));
		if (host_end)
			port_start = host_end + 1;
		else
			host_end = auth_end;
		if (host_end == host_start)
			goto fail;
	}
	if (port_start)
	{
		long		port = 0;

		if (port_start == auth_end)
			goto fail;
		for (p = port_start; p < auth_end; p++)
		{
			if (!isdigit((unsigned char) *p))
				goto fail;
			port = port * 10 + (*p - '0');
			if (port > 65535)
				goto fail;
		}
		out->port = sp_strndup(port_start, (size_t) (auth_end - port_start));
		if (out->port == NULL)
			goto fail;
	}
	out->host = sp_strndup(host_start, (size_t) (host_end - host_start));
	if (out->host == NULL)
		goto fail;

	/* path, query */
	p = auth_end;
	q = p + strcspn(p, "?#");
	out->path = sp_strndup(p, (size_t) (q - p));
	if (out->path == NULL)
		goto fail;
	if (*q == '?')
	{
		const char *qe = q + 1 + strcspn(q + 1, "#");

		out->query = sp_strndup(q + 1, (size_t) (qe - q - 1));
		if (out->query == NULL)
			goto fail;
	}
	return true;

fail:
	sp_url_free(out);
	return false;
}

void
sp_url_free(SpUrl *u)
{
	free(u->scheme);
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->query);
	memset(u, 0, sizeof(*u));
}

/* ---------------------------------------------------------------------
 * Time
 * ---------------------------------------------------------------------
 */

/* Days-from-civil (proleptic Gregorian); no dependency on timegm(). */
time_t
sp_timegm(int year, int mon, int mday, int hour, int min, int sec)
{
	long long	y = year - (mon <= 2);
	long long	era = (y >= 0 ? y : y - 399) / 400;
	long long	yoe = y - era * 400;
	long long	m = mon;
	long long	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
	long long	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long	days = era * 146097 + doe - 719468;

	return (time_t) (days * 86400 + hour * 3600 + min * 60 + sec);
}

/* YYYYMMDD'T'HHMMSS'Z' in UTC */
void
sp_format_amz_date(time_t t, char out[17])
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
		strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		strcpy(out, "19700101T000000Z");
}

static bool
parse_digits(const char *s, int n, int *val)
{
	int			i;

	*val = 0;
	for (i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return false;
		*val = *val * 10 + (s[i] - '0');
	}
	return true;
}

static bool
civil_ok(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
		h <= 23 && mi <= 59 && s <= 60;
}

bool
sp_parse_amz_date(const char *s, time_t *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se;

	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
		!parse_digits(s, 4, &y) || !parse_digits(s + 4, 2, &mo) ||
		!parse_digits(s + 6, 2, &d) || !parse_digits(s + 9, 2, &h) ||
		!parse_digits(s + 11, 2, &mi) || !parse_digits(s + 13, 2, &se) ||
		!civil_ok(y, mo, d, h, mi, se))
		return false;
	*out = sp_timegm(y, mo, d, h, mi, se);
	return true;
}

/*
 * RFC 3339 / google-datetime: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
 * Fractional seconds are dropped.
 */
bool
sp_parse_rfc3339(const char *s, time_t *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se;
	const char *p;
	long		offset = 0;

	if (s == NULL || strlen(s) < 20 ||
		!parse_digits(s, 4, &y) || s[4] != '-' ||
		!parse_digits(s + 5, 2, &mo) || s[7] != '-' ||
		!parse_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
		!parse_digits(s + 11, 2, &h) || s[13] != ':' ||
		!parse_digits(s + 14, 2, &mi) || s[16] != ':' ||
		!parse_digits(s + 17, 2, &se) || !civil_ok(y, mo, d, h, mi, se))
		return false;
	p = s + 19;
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		int			oh,
					om;

		if (!parse_digits(p + 1, 2, &oh) || p[3] != ':' ||
			!parse_digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		offset = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
		p += 6;
	}
	else
		return false;
	if (*p != '\0')
		return false;
	*out = sp_timegm(y, mo, d, h, mi, se) - offset;
	return true;
}

/* ---------------------------------------------------------------------
 * Environment and JSON
 * ---------------------------------------------------------------------
 */
const char *
sp_env(const SpAuthConfig *cfg, const char *name)
{
	if (cfg->getenv_fn)
		return cfg->getenv_fn(name, cfg->getenv_arg);
	return getenv(name);
}

/* As sp_env, but an empty value counts as unset (Go, Node behaviour). */
const char *
sp_env_nonempty(const SpAuthConfig *cfg, const char *name)
{
	const char *v = sp_env(cfg, name);

	return (v && v[0]) ? v : NULL;
}

/*
 * Parse a complete JSON text with the nesting limit.  Returns NULL on any
 * syntax error, excess nesting or trailing garbage.
 */
struct json_object *
sp_json_parse(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *obj;
	size_t		used;

	if (len > INT_MAX)
		return NULL;
	tok = json_tokener_new_ex(SP_JSON_MAX_DEPTH);
	if (tok == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int) len);
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		if (obj)
			json_object_put(obj);
		json_tokener_free(tok);
		return NULL;
	}
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; used < len; used++)
	{
		if (!isspace((unsigned char) text[used]))
		{
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

/* malloc'd copy of a string member, or NULL if absent / not a string */
char *
sp_json_get_string(struct json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return sp_strndup(json_object_get_string(v),
					  (size_t) json_object_get_string_len(v));
}
