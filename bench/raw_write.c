/*
 * bench/raw_write.c -- the baseline for bench/run_writes.sh: a minimal
 * libcurl client that writes rows over REST the way spanner_fdw's
 * autocommit INSERT and COPY do, and nothing more.
 *
 *   raw_write ENDPOINT DATABASE TABLE COLUMNS ROWS_FILE ROWS_PER_MUTATION ROWS_PER_COMMIT [fresh] [readcb] [gap=US]
 *     ENDPOINT           e.g. http://127.0.0.1:9020
 *     DATABASE           projects/P/instances/I/databases/D
 *     TABLE              Spanner table
 *     COLUMNS            column names, comma-separated (id,s,f)
 *     ROWS_FILE          one row a line: a JSON array of its values, encoded
 *                        as Spanner's mutations take them (INT64 as strings...)
 *     ROWS_PER_MUTATION  rows in one "insert" mutation (spanner_fdw: batch_size)
 *     ROWS_PER_COMMIT    rows in one single-use commit (a multiple of
 *                        ROWS_PER_MUTATION, or 1)
 *     fresh              send every commit on a new TCP connection
 *                        (CURLOPT_FRESH_CONNECT), as spanner_fdw does so that
 *                        libcurl never re-sends a commit on a reused connection
 *                        that closed before answering (spanner_fdw did so for
 *                        a while)
 *     readcb             hand each commit's body to libcurl through a read
 *                        callback (CURLOPT_READFUNCTION) instead of
 *                        CURLOPT_POSTFIELDS, as spanner_fdw does so that
 *                        libcurl cannot quietly re-send it: libcurl then
 *                        writes the headers and the body separately
 *     gap=US             sleep US microseconds (nanosleep, so a little more)
 *                        before every commit but the first, inside the timed
 *                        region: a client that does some work of its own
 *                        between commits, as a PostgreSQL session running one
 *                        INSERT statement after another does
 *
 * The whole file is read into memory before the clock starts.  Then, timed,
 * over one easy handle (one keep-alive connection):
 *   1. POST /v1/DATABASE/sessions  {}            -> "name"
 *   2. for each ROWS_PER_COMMIT rows: POST /v1/SESSION:commit
 *        {"singleUseTransaction":{"readWrite":{}},"mutations":[
 *          {"insert":{"table":T,"columns":[..],"values":[ROWS_PER_MUTATION rows]}},
 *          ...]}
 *      A commit answered ABORTED (HTTP 409, code 10) is sent again (counted);
 *      any other error stops the program.
 *   3. DELETE /v1/SESSION  (after the clock stops)
 *
 * Prints one line on stdout:
 *   RAW total_s=... session_s=... commits=... aborted=... rows=... body_bytes=...
 *       commit_min_ms=... commit_median_ms=... commit_max_ms=... fresh=0|1 readcb=0|1 gap_us=...
 * total_s = session creation + every commit (CLOCK_MONOTONIC).
 * Exits non-zero on any HTTP or transport error.
 *
 * Build: gcc -O2 -o bench/raw_write bench/raw_write.c -lcurl
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

/* a growable string */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
buf_add(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 4096;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
		{
			fprintf(stderr, "raw_write: out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_str(Buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	buf_add((Buf *) arg, ptr, size * nmemb);
	return size * nmemb;
}

/* the body of a commit, handed out by read_body (the readcb mode) */
typedef struct Reader
{
	const char *data;
	size_t		len;
	size_t		pos;
} Reader;

static size_t
read_body(char *buffer, size_t size, size_t nitems, void *arg)
{
	Reader	   *r = arg;
	size_t		n = size * nitems;

	if (n > r->len - r->pos)
		n = r->len - r->pos;
	memcpy(buffer, r->data + r->pos, n);
	r->pos += n;
	return n;
}

static int	use_readcb = 0;

static long
request(CURL *h, const char *method, const char *url, const char *body, size_t body_len,
		Buf *resp)
{
	long		code = 0;
	CURLcode	rc;

	Reader		reader = {body, body_len, 0};

	resp->len = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 0L);
	if (body && use_readcb)
	{
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(h, CURLOPT_READDATA, &reader);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
	}
	else if (body)
	{
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
	}
	else
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
	{
		fprintf(stderr, "raw_write: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *endpoint,
			   *database,
			   *table,
			   *columns;
	int			fresh = 0,
				readcb = 0;
	long		gap_us = 0;
	long		per_mutation,
				per_commit,
				nrows = 0,
				cap = 0,
				ncommits,
				aborted = 0,
				i;
	char	  **rows = NULL,
			   *line = NULL,
				url[4096],
				session[1024],
			   *head;
	size_t		linecap = 0,
				body_bytes = 0;
	ssize_t		n;
	FILE	   *f;
	Buf			body = {0},
				resp = {0},
				cols = {0};
	struct curl_slist *hdrs = NULL;
	double		t0,
				t1,
				t2,
			   *lat;
	long		code;
	CURL	   *h;
	const char *p,
			   *e;

	for (i = 8; i < argc; i++)
	{
		if (strcmp(argv[i], "fresh") == 0)
			fresh = 1;
		else if (strcmp(argv[i], "readcb") == 0)
			readcb = 1;
		else if (strncmp(argv[i], "gap=", 4) == 0 && atol(argv[i] + 4) > 0)
			gap_us = atol(argv[i] + 4);
		else
			break;
	}
	if (argc < 8 || i < argc)
	{
		fprintf(stderr, "usage: %s ENDPOINT DATABASE TABLE COLUMNS ROWS_FILE ROWS_PER_MUTATION ROWS_PER_COMMIT [fresh] [readcb] [gap=US]\n",
				argv[0]);
		return 2;
	}
	endpoint = argv[1];
	database = argv[2];
	table = argv[3];
	columns = argv[4];
	per_mutation = atol(argv[6]);
	per_commit = atol(argv[7]);
	if (per_mutation < 1 || per_commit < 1)
	{
		fprintf(stderr, "raw_write: ROWS_PER_MUTATION and ROWS_PER_COMMIT must be at least 1\n");
		return 2;
	}

	/* the rows, in memory before the clock starts */
	f = fopen(argv[5], "r");
	if (f == NULL)
	{
		perror(argv[5]);
		return 1;
	}
	while ((n = getline(&line, &linecap, f)) > 0)
	{
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (nrows == cap)
		{
			cap = cap ? cap * 2 : 1024;
			rows = realloc(rows, sizeof(char *) * cap);
		}
		rows[nrows++] = strdup(line);
	}
	fclose(f);
	free(line);
	if (nrows == 0)
	{
		fprintf(stderr, "raw_write: no rows in %s\n", argv[5]);
		return 1;
	}

	/* {"insert":{"table":"T","columns":["a","b"],"values":[ */
	buf_str(&cols, "{\"insert\":{\"table\":\"");
	buf_str(&cols, table);
	buf_str(&cols, "\",\"columns\":[");
	for (p = columns; *p; p = *e ? e + 1 : e)
	{
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (p != columns)
			buf_str(&cols, ",");
		buf_str(&cols, "\"");
		buf_add(&cols, p, e - p);
		buf_str(&cols, "\"");
	}
	buf_str(&cols, "],\"values\":[");
	head = cols.data;

	curl_global_init(CURL_GLOBAL_ALL);
	h = curl_easy_init();
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	ncommits = (nrows + per_commit - 1) / per_commit;
	lat = calloc(ncommits, sizeof(double));

	t0 = now();
	snprintf(url, sizeof(url), "%s/v1/%s/sessions", endpoint, database);
	code = request(h, "POST", url, "{}", 2, &resp);
	if (code != 200 || resp.data == NULL)
	{
		fprintf(stderr, "raw_write: create session: HTTP %ld: %s\n", code, resp.data ? resp.data : "");
		return 1;
	}
	/* "name": "projects/.../sessions/ID" */
	p = strstr(resp.data, "\"name\"");
	p = p ? strchr(p + 6, '"') : NULL;
	e = p ? strchr(p + 1, '"') : NULL;
	if (p == NULL || e == NULL || (size_t) (e - p - 1) >= sizeof(session))
	{
		fprintf(stderr, "raw_write: no session name in: %s\n", resp.data);
		return 1;
	}
	memcpy(session, p + 1, e - p - 1);
	session[e - p - 1] = '\0';
	t1 = now();

	snprintf(url, sizeof(url), "%s/v1/%s:commit", endpoint, session);
	if (fresh)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	use_readcb = readcb;
	for (i = 0; i < nrows; i += per_commit)
	{
		long		end = i + per_commit < nrows ? i + per_commit : nrows,
					r;
		double		tc;

		if (gap_us > 0 && i > 0)
		{
			struct timespec gap = {gap_us / 1000000, (gap_us % 1000000) * 1000};

			nanosleep(&gap, NULL);
		}
		tc = now();
		body.len = 0;
		buf_str(&body, "{\"singleUseTransaction\":{\"readWrite\":{}},\"mutations\":[");
		for (r = i; r < end; r++)
		{
			if ((r - i) % per_mutation == 0)
			{
				if (r > i)
					buf_str(&body, "]}},");
				buf_str(&body, head);
			}
			else
				buf_str(&body, ",");
			buf_str(&body, rows[r]);
		}
		buf_str(&body, "]}}]}");
		for (;;)
		{
			code = request(h, "POST", url, body.data, body.len, &resp);
			if (code == 200)
				break;
			if (code == 409 && resp.data && strstr(resp.data, "\"code\":10") != NULL)
			{
				aborted++;
				continue;
			}
			fprintf(stderr, "raw_write: commit of rows %ld..%ld: HTTP %ld: %.500s\n",
					i + 1, end, code, resp.data ? resp.data : "");
			return 1;
		}
		body_bytes += body.len;
		lat[i / per_commit] = now() - tc;
	}
	t2 = now();

	/* clean up outside the timed region, as the FDW does at backend exit */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
	use_readcb = 0;
	snprintf(url, sizeof(url), "%s/v1/%s", endpoint, session);
	request(h, "DELETE", url, NULL, 0, &resp);

	qsort(lat, ncommits, sizeof(double), cmp_double);
	printf("RAW total_s=%.6f session_s=%.6f commits=%ld aborted=%ld rows=%ld body_bytes=%zu"
		   " commit_min_ms=%.3f commit_median_ms=%.3f commit_max_ms=%.3f fresh=%d readcb=%d gap_us=%ld\n",
		   t2 - t0, t1 - t0, ncommits, aborted, nrows, body_bytes,
		   lat[0] * 1000, lat[ncommits / 2] * 1000, lat[ncommits - 1] * 1000, fresh, readcb, gap_us);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
