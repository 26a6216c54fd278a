/*
 * bench/raw_scan.c -- the baseline for bench/run.sh: a minimal libcurl client
 * that does what a scan must do over REST and nothing more.
 *
 *   raw_scan ENDPOINT DATABASE [SQL [lookups=N:ROWS | reads=N:ROWS]]
 *     ENDPOINT  e.g. http://127.0.0.1:9020
 *     DATABASE  projects/P/instances/I/databases/D
 *     SQL       default "SELECT id, s, f, n, ts, arr, b FROM t"
 *     lookups=N:ROWS
 *               send the query N times, its parameter @k (INT64) set to
 *               1 + (i * 7919) % ROWS for the i-th (key lookups, as the FDW
 *               sends them: one executeStreamingSql each); query_s is the
 *               time of all N
 *     reads=N:ROWS
 *               the same through the Read API: SQL is then the ReadRequest's
 *               "table" and "columns" members (JSON, without braces) and N
 *               streamingRead calls are sent with keySet {"keys":[["k"]]}
 *
 * One easy handle (one keep-alive connection):
 *   1. POST /v1/DATABASE/sessions  {}            -> "name"
 *   2. POST /v1/SESSION:executeStreamingSql {"sql":SQL}  (single-use read-only)
 *      The body is read to the end and discarded; bytes and newline-delimited
 *      messages are counted.  Nothing is parsed.
 *   3. DELETE /v1/SESSION  (after the clock stops)
 *
 * Prints one line on stdout:
 *   RAW total_s=... session_s=... query_s=... ttfb_s=... bytes=... messages=...
 * total_s = session creation + the whole streaming query (CLOCK_MONOTONIC);
 * ttfb_s  = from sending the query to its first response byte.
 * Exits non-zero on any HTTP or transport error.
 *
 * Build: gcc -O2 -o bench/raw_scan bench/raw_scan.c -lcurl
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct Sink
{
	int			keep;			/* keep the body (small unary responses) */
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		bytes;
	long		newlines;
	double		first_byte;		/* monotonic time of the first byte, 0 if none */
} Sink;

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	Sink	   *s = arg;
	size_t		n = size * nmemb;

	if (n == 0)
		return 0;
	if (s->first_byte == 0)
		s->first_byte = now();
	s->bytes += n;
	for (const char *p = ptr; (p = memchr(p, '\n', ptr + n - p)) != NULL; p++)
		s->newlines++;
	if (s->keep)
	{
		if (s->len + n + 1 > s->cap)
		{
			size_t		cap = (s->len + n + 1) * 2;
			char	   *b = realloc(s->buf, cap);

			if (b == NULL)
				return 0;
			s->buf = b;
			s->cap = cap;
		}
		memcpy(s->buf + s->len, ptr, n);
		s->len += n;
		s->buf[s->len] = '\0';
	}
	return n;
}

static long
request(CURL *h, const char *method, const char *url, const char *body, Sink *sink)
{
	long		code = 0;
	CURLcode	rc;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
	{
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
	}
	else
	{
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
	{
		fprintf(stderr, "raw_scan: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* JSON-escape s into a malloc'd string (quotes included). */
static char *
json_string(const char *s)
{
	size_t		n = strlen(s);
	char	   *out = malloc(n * 6 + 3),
			   *o = out;

	*o++ = '"';
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			*o++ = '\\';
			*o++ = c;
		}
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = c;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

int
main(int argc, char **argv)
{
	const char *endpoint,
			   *database,
			   *sql = "SELECT id, s, f, n, ts, arr, b FROM t";
	char		url[4096],
				session[1024],
			   *body,
			   *q;
	const char *p,
			   *e;
	struct curl_slist *hdrs = NULL;
	Sink		s1 = {.keep = 1},
				s2 = {.keep = 0},
				s3 = {.keep = 1};
	double		t0,
				t1,
				tq,
				t2;
	long		code;
	long		nlookups = 0,
				nrows = 1;
	int			use_read = 0;
	CURL	   *h;

	if (argc == 5 && strncmp(argv[4], "reads=", 6) == 0)
		use_read = 1;
	if (argc < 3 || argc > 5 ||
		(argc == 5 && sscanf(argv[4] + (use_read ? 6 : 8), "%ld:%ld", &nlookups, &nrows) != 2) ||
		(argc == 5 && !use_read && strncmp(argv[4], "lookups=", 8) != 0) ||
		nlookups < 0 || nrows < 1)
	{
		fprintf(stderr, "usage: %s ENDPOINT projects/P/instances/I/databases/D [SQL [lookups=N:ROWS]]\n", argv[0]);
		return 2;
	}
	endpoint = argv[1];
	database = argv[2];
	if (argc >= 4)
		sql = argv[3];

	curl_global_init(CURL_GLOBAL_ALL);
	h = curl_easy_init();
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);

	t0 = now();
	snprintf(url, sizeof(url), "%s/v1/%s/sessions", endpoint, database);
	code = request(h, "POST", url, "{}", &s1);
	if (code != 200 || s1.buf == NULL)
	{
		fprintf(stderr, "raw_scan: create session: HTTP %ld: %s\n", code, s1.buf ? s1.buf : "");
		return 1;
	}
	/* "name": "projects/.../sessions/ID" */
	p = strstr(s1.buf, "\"name\"");
	p = p ? strchr(p + 6, '"') : NULL;
	e = p ? strchr(p + 1, '"') : NULL;
	if (p == NULL || e == NULL || (size_t) (e - p - 1) >= sizeof(session))
	{
		fprintf(stderr, "raw_scan: no session name in: %s\n", s1.buf);
		return 1;
	}
	memcpy(session, p + 1, e - p - 1);
	session[e - p - 1] = '\0';
	t1 = now();

	q = json_string(sql);
	body = malloc(strlen(q) + 128);
	sprintf(body, "{\"sql\":%s}", q);
	snprintf(url, sizeof(url), "%s/v1/%s:%s", endpoint, session,
			 use_read ? "streamingRead" : "executeStreamingSql");
	if (use_read)
	{
		free(body);
		body = malloc(strlen(sql) + 128);
	}
	tq = now();
	if (nlookups == 0)
		code = request(h, "POST", url, body, &s2);
	else
	{
		code = 200;
		for (long i = 0; i < nlookups && code == 200; i++)
		{
			if (use_read)
				sprintf(body, "{%s,\"keySet\":{\"keys\":[[\"%ld\"]]}}",
						sql, 1 + (i * 7919) % nrows);
			else
				sprintf(body, "{\"sql\":%s,\"params\":{\"k\":\"%ld\"},"
						"\"paramTypes\":{\"k\":{\"code\":\"INT64\"}}}",
						q, 1 + (i * 7919) % nrows);
			code = request(h, "POST", url, body, &s2);
		}
	}
	t2 = now();
	if (code != 200)
	{
		fprintf(stderr, "raw_scan: executeStreamingSql: HTTP %ld (%zu bytes)\n", code, s2.bytes);
		return 1;
	}

	/* clean up outside the timed region, as the FDW does at backend exit */
	snprintf(url, sizeof(url), "%s/v1/%s", endpoint, session);
	request(h, "DELETE", url, NULL, &s3);

	printf("RAW total_s=%.6f session_s=%.6f query_s=%.6f ttfb_s=%.6f bytes=%zu messages=%ld\n",
		   t2 - t0, t1 - t0, t2 - tq, s2.first_byte ? s2.first_byte - tq : -1.0,
		   s2.bytes, s2.newlines);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	free(body);
	free(q);
	free(s1.buf);
	free(s3.buf);
	return 0;
}
