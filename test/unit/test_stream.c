/*-------------------------------------------------------------------------
 *
 * test_stream.c
 *		  Unit tests (TAP) for the streaming reader and error decoding in
 *		  src/rest, without PostgreSQL and without a network.
 *
 * Usage: test_stream ACCEPTANCE_FILE
 *
 * ACCEPTANCE_FILE is in the format of Google's streaming-read acceptance
 * test (tests[].chunks + tests[].result.value).  Every case is replayed in
 * both wire framings and with several byte-split patterns.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_stream.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"
#include "test_auth_tap.h"

/* JSON equality where numbers compare by value (1 equals 1.0). */
static bool
json_same(json_object *a, json_object *b)
{
	json_type	ta = json_object_get_type(a),
				tb = json_object_get_type(b);

	if ((ta == json_type_int || ta == json_type_double) &&
		(tb == json_type_int || tb == json_type_double))
		return json_object_get_double(a) == json_object_get_double(b);
	if (ta != tb)
		return false;
	if (ta == json_type_array)
	{
		size_t		i,
					n = json_object_array_length(a);

		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!json_same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	return json_object_equal(a, b);
}

/* Append s to a malloc'd buffer. */
static void
append(char **buf, size_t *len, const char *s)
{
	size_t		n = strlen(s);

	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/*
 * Feed "text" to a reader in pieces of "step" bytes (0: all at once),
 * collect all rows into a JSON array.  Returns NULL and fills err on error.
 */
static json_object *
read_all(const char *text, size_t step, SpError *err)
{
	SpRowReader *rd = sp_reader_new(0);
	json_object *rows = json_object_new_array();
	size_t		len = strlen(text),
				off = 0;
	bool		failed = false;

	sp_error_clear(err);
	while (!failed)
	{
		json_object **vals;
		int			r;

		while ((r = sp_reader_next(rd, &vals, err)) == 1)
		{
			json_object *row = json_object_new_array();
			int			i;

			for (i = 0; i < sp_reader_ncols(rd); i++)
				json_object_array_add(row, json_object_get(vals[i]));
			json_object_array_add(rows, row);
		}
		if (r < 0)
		{
			failed = true;
			break;
		}
		if (sp_reader_finished(rd))
			break;
		if (off >= len)
		{
			if (!sp_reader_finish(rd, err))
				failed = true;
			continue;
		}
		{
			size_t		n = (step == 0 || off + step > len) ? len - off : step;

			if (!sp_reader_feed(rd, text + off, n, err))
				failed = true;
			off += n;
		}
	}
	sp_reader_free(rd);
	if (failed)
	{
		json_object_put(rows);
		return NULL;
	}
	return rows;
}

static char *
frame(json_object *chunks, bool array)
{
	char	   *buf = NULL;
	size_t		len = 0;
	size_t		i,
				n = json_object_array_length(chunks);

	append(&buf, &len, array ? "[" : "");
	for (i = 0; i < n; i++)
	{
		const char *c = json_object_get_string(json_object_array_get_idx(chunks, i));

		if (array)
		{
			if (i > 0)
				append(&buf, &len, ",\r\n");
			append(&buf, &len, c);
		}
		else
		{
			append(&buf, &len, "{\"result\":");
			append(&buf, &len, c);
			append(&buf, &len, "}\n");
		}
	}
	append(&buf, &len, array ? "]" : "");
	return buf;
}

static void
run_acceptance(const char *path)
{
	json_object *root = json_object_from_file(path);
	json_object *tests;
	size_t		t,
				nt;
	static const size_t steps[] = {0, 1, 7, 64};

	if (root == NULL || !json_object_object_get_ex(root, "tests", &tests))
	{
		tap_ok(0, "read acceptance file %s", path);
		json_object_put(root);
		return;
	}
	nt = json_object_array_length(tests);
	for (t = 0; t < nt; t++)
	{
		json_object *tc = json_object_array_get_idx(tests, t);
		json_object *chunks,
				   *result,
				   *expected,
				   *name;
		int			framing;

		json_object_object_get_ex(tc, "chunks", &chunks);
		json_object_object_get_ex(tc, "result", &result);
		json_object_object_get_ex(result, "value", &expected);
		json_object_object_get_ex(tc, "name", &name);

		for (framing = 0; framing < 2; framing++)
		{
			char	   *text = frame(chunks, framing == 0);
			bool		all_ok = true;
			size_t		s;
			char		label[300];

			for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
			{
				SpError		err;
				json_object *rows = read_all(text, steps[s], &err);

				if (rows == NULL || !json_same(rows, expected))
				{
					all_ok = false;
					fprintf(stderr, "# %s (step %zu): %s\n#   got: %s\n",
							json_object_get_string(name), steps[s],
							rows ? "mismatch" : err.message,
							rows ? json_object_to_json_string(rows) : "-");
				}
				json_object_put(rows);
			}
			snprintf(label, sizeof(label), "%s [%s framing]",
					 json_object_get_string(name),
					 framing == 0 ? "production array" : "emulator ndjson");
			tap_ok(all_ok, "acceptance: %s", label);
			free(text);
		}
	}
	json_object_put(root);
}

static void
test_negative_zero(void)
{
	SpError		err;
	const char *text =
	"{\"result\":{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"f\",\"type\":{\"code\":\"FLOAT64\"}},"
	"{\"name\":\"s\",\"type\":{\"code\":\"STRING\"}}]}},\"values\":[-0,\"-0\",-0.5,\"x\",-0,\"a-0\"]}}\n";
	size_t		step;
	bool		good = true;

	for (step = 0; step < 4; step++)
	{
		json_object *rows = read_all(text, step, &err);

		if (rows == NULL || json_object_array_length(rows) != 3)
		{
			good = false;
			json_object_put(rows);
			continue;
		}
		{
			json_object *r0 = json_object_array_get_idx(rows, 0);
			json_object *r2 = json_object_array_get_idx(rows, 2);
			json_object *f0 = json_object_array_get_idx(r0, 0);
			json_object *f2 = json_object_array_get_idx(r2, 0);

			if (!json_object_is_type(f0, json_type_double) ||
				!signbit(json_object_get_double(f0)) ||
				!json_object_is_type(f2, json_type_double) ||
				!signbit(json_object_get_double(f2)) ||
				strcmp(json_object_get_string(json_object_array_get_idx(r0, 1)), "-0") != 0 ||
				strcmp(json_object_get_string(json_object_array_get_idx(r2, 1)), "a-0") != 0)
				good = false;
		}
		json_object_put(rows);
	}
	tap_ok(good, "FLOAT64 -0 keeps its sign; strings containing -0 untouched");
}

static void
test_int64_split(void)
{
	SpError		err;
	const char *text =
	"[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"i\",\"type\":{\"code\":\"INT64\"}}]}},"
	"\"values\":[\"1\",\"314930000\"],\"chunkedValue\":true},"
	"{\"values\":[\"00000\",\"-9223372036854775808\"]}]";
	json_object *rows = read_all(text, 3, &err);
	json_object *exp = json_tokener_parse("[[\"1\"],[\"31493000000000\"],[\"-9223372036854775808\"]]");

	tap_ok(rows && json_object_equal(rows, exp), "INT64 string split across messages is merged");
	json_object_put(rows);
	json_object_put(exp);
}

static void
test_error_after_data(void)
{
	SpError		err;
	const char *text =
	"{\"result\":{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"i\",\"type\":{\"code\":\"INT64\"}}]}},"
	"\"values\":[\"1\",\"2\"]}}\n"
	"{\"error\":{\"code\":11,\"message\":\"division by zero\"}}\n";
	json_object *rows = read_all(text, 5, &err);

	tap_ok(rows == NULL && err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_OUT_OF_RANGE &&
		   strcmp(err.message, "division by zero") == 0 && err.after_data,
		   "an error element after rows is an error, not a short result");
	json_object_put(rows);

	text = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"i\",\"type\":{\"code\":\"INT64\"}}]}},\"values\":[\"1\"]},"
		"{\"error\":{\"code\":409,\"message\":\"aborted\",\"status\":\"ABORTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"0.035s\"}]}}]";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.grpc_code == SP_GRPC_ABORTED && err.retry_delay > 0.034 &&
		   err.retry_delay < 0.036, "production error element with status and RetryInfo");
	json_object_put(rows);
}

static void
test_truncated(void)
{
	SpError		err;
	const char *text =
	"[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"s\",\"type\":{\"code\":\"STRING\"}}]}},"
	"\"values\":[\"abc\",\"de";
	json_object *rows = read_all(text, 4, &err);

	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "stream cut inside a message is an error");
	json_object_put(rows);

	text = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"s\",\"type\":{\"code\":\"STRING\"}}]}},"
		"\"values\":[\"abc\",\"de\"],\"chunkedValue\":true}]";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "stream ending on a chunked value is an error");
	json_object_put(rows);

	text = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"a\",\"type\":{\"code\":\"STRING\"}},"
		"{\"name\":\"b\",\"type\":{\"code\":\"STRING\"}}]}},\"values\":[\"abc\"]}]";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "stream ending mid-row is an error");
	json_object_put(rows);

	text = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"a\",\"type\":{\"code\":\"STRING\"}}]}},\"values\":[\"x\"]}";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL,
		   "production stream cut cleanly between messages (no closing ]) is an error");
	json_object_put(rows);

	text = "[{\"metadata\":{\"rowType\":{\"fields\":[]}}}] garbage";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "garbage between messages is an error");
	json_object_put(rows);

	text = "{\"result\":{\"values\":[\"1\"]}}\n";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "first message without metadata is an error");
	json_object_put(rows);

	text = "";
	rows = read_all(text, 0, &err);
	tap_ok(rows == NULL && err.kind == SP_ERR_PROTOCOL, "empty stream is an error");
	json_object_put(rows);
}

static void
test_metadata(void)
{
	SpError		err;
	SpRowReader *rd = sp_reader_new(0);
	const char *text =
	"{\"result\":{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"a\",\"type\":{\"code\":\"ARRAY\","
	"\"arrayElementType\":{\"code\":\"NUMERIC\",\"typeAnnotation\":\"PG_NUMERIC\"}}},{\"type\":{\"code\":\"INT64\"}}]},"
	"\"transaction\":{\"id\":\"MTIz\",\"readTimestamp\":\"2026-01-01T00:00:00Z\"}},\"resumeToken\":\"cnQ=\"}}\n";
	json_object **v;
	int			r;

	sp_error_clear(&err);
	sp_reader_feed(rd, text, strlen(text), &err);
	sp_reader_finish(rd, &err);
	r = sp_reader_next(rd, &v, &err);
	tap_ok(r == 0 && sp_reader_ncols(rd) == 2 &&
		   sp_reader_columns(rd)[0].code == SP_TYPE_ARRAY &&
		   sp_reader_columns(rd)[0].elem_code == SP_TYPE_NUMERIC &&
		   sp_reader_columns(rd)[0].pg_annotation &&
		   strcmp(sp_reader_columns(rd)[1].name, "") == 0 &&
		   sp_reader_columns(rd)[1].code == SP_TYPE_INT64 &&
		   sp_reader_transaction_id(rd) && strcmp(sp_reader_transaction_id(rd), "MTIz") == 0 &&
		   sp_reader_resume_token(rd) && strcmp(sp_reader_resume_token(rd), "cnQ=") == 0,
		   "metadata: types, annotations, unnamed fields, transaction id, resume token");
	sp_reader_free(rd);
}

/*
 * Multiplexed sessions: the precommit token with the highest seqNum is
 * kept, whichever message brought it and in whatever order they came; a
 * malformed one is ignored.  Production framing (JSON array).
 */
static void
test_precommit_tokens(void)
{
	SpError		err;
	SpRowReader *rd = sp_reader_new(1024);
	const char *text =
	"[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"k\",\"type\":{\"code\":\"INT64\"}}]},"
	"\"transaction\":{\"id\":\"dHg=\",\"precommitToken\":{\"precommitToken\":\"dDE=\",\"seqNum\":1}}},"
	"\"values\":[\"1\"],\"resumeToken\":\"cjE=\"},\n"
	"{\"values\":[\"2\"],\"precommitToken\":{\"precommitToken\":\"dDM=\",\"seqNum\":3}},\n"
	"{\"values\":[\"3\"],\"precommitToken\":{\"precommitToken\":\"dDI=\",\"seqNum\":\"2\"}},\n"
	"{\"values\":[\"4\"],\"precommitToken\":{\"precommitToken\":\"\",\"seqNum\":9}},\n"
	"{\"values\":[\"5\"],\"precommitToken\":{\"precommitToken\":\"dDk=\",\"seqNum\":\"x\"}}]";
	json_object **v;
	json_object *msg;
	const char *tok = NULL;
	int32_t		seq = -1;
	int			rows = 0;
	bool		good;

	sp_error_clear(&err);
	good = sp_reader_feed(rd, text, strlen(text), &err) && sp_reader_finish(rd, &err);
	while (sp_reader_next(rd, &v, &err) == 1)
		rows++;
	tok = sp_reader_precommit_token(rd, &seq);
	tap_ok(good && rows == 5 && tok && strcmp(tok, "dDM=") == 0 && seq == 3,
		   "precommit tokens: the highest seqNum is kept (metadata, messages, quoted seqNum; empty or malformed ignored)");
	sp_reader_free(rd);

	msg = json_tokener_parse("{\"commitTimestamp\":\"2026-01-01T00:00:00Z\"}");
	good = !sp_precommit_token_of(msg, &tok, &seq);
	json_object_put(msg);
	msg = json_tokener_parse("{\"precommitToken\":{\"precommitToken\":\"YWJj\",\"seqNum\":7}}");
	good = good && sp_precommit_token_of(msg, &tok, &seq) && strcmp(tok, "YWJj") == 0 && seq == 7;
	json_object_put(msg);
	msg = json_tokener_parse("{\"precommitToken\":{\"precommitToken\":\"YWJj\"}}");
	good = good && sp_precommit_token_of(msg, &tok, &seq) && seq == 0;
	json_object_put(msg);
	msg = json_tokener_parse("{\"precommitToken\":{\"precommitToken\":\"YWJj\",\"seqNum\":4294967296}}");
	good = good && !sp_precommit_token_of(msg, &tok, &seq);
	json_object_put(msg);
	tap_ok(good, "CommitResponse precommit token: read, seqNum defaults to 0, out-of-range refused, absent is none");
}

static void
test_errors(void)
{
	SpError		err;
	const char *b;

	sp_error_clear(&err);
	b = "{\"code\": 13, \"message\": \"failed to marshal error message\"}";
	sp_error_from_body(&err, 500, b, strlen(b));
	tap_ok(err.session_gone, "emulator 500 marshal error means the session is gone");

	sp_error_clear(&err);
	b = "{\"error\":{\"code\":404,\"message\":\"Session not found: projects/p/instances/i/databases/d/sessions/x\","
		"\"status\":\"NOT_FOUND\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ResourceInfo\","
		"\"resourceType\":\"type.googleapis.com/google.spanner.v1.Session\",\"resourceName\":\"x\"}]}}";
	sp_error_from_body(&err, 404, b, strlen(b));
	tap_ok(err.session_gone && err.grpc_code == SP_GRPC_NOT_FOUND && strcmp(err.status, "NOT_FOUND") == 0,
		   "production session-not-found body");

	sp_error_clear(&err);
	b = "{\"code\":3,\"message\":\"Syntax error: Unexpected identifier\"}";
	sp_error_from_body(&err, 400, b, strlen(b));
	tap_ok(!err.session_gone && err.grpc_code == SP_GRPC_INVALID_ARGUMENT &&
		   strcmp(err.message, "Syntax error: Unexpected identifier") == 0,
		   "emulator unary error body");

	sp_error_clear(&err);
	b = "<html>bad gateway</html>";
	sp_error_from_body(&err, 502, b, strlen(b));
	tap_ok(err.kind == SP_ERR_REMOTE && strstr(err.message, "HTTP status 502") != NULL,
		   "non-JSON error body");

	sp_error_clear(&err);
	b = "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}";
	sp_error_from_body(&err, 401, b, strlen(b));
	tap_ok(err.grpc_code == SP_GRPC_UNAUTHENTICATED, "production 401 UNAUTHENTICATED");
}

/*
 * sp_error_on_session, after sp_error_from_body, as for a request addressed
 * to a session: only a 404 without a body means the session is gone.
 */
static void
test_session_errors(void)
{
	SpError		err;
	const char *b;

	sp_error_clear(&err);
	sp_error_from_body(&err, 404, "", 0);
	sp_error_on_session(&err, 0);
	tap_ok(err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_NOT_FOUND && err.session_gone,
		   "session request: 404 with an empty body means the session is gone");

	sp_error_clear(&err);
	b = "{\"error\":{\"code\":404,\"message\":\"Database not found: projects/p/instances/i/databases/d\","
		"\"status\":\"NOT_FOUND\"}}";
	sp_error_from_body(&err, 404, b, strlen(b));
	sp_error_on_session(&err, strlen(b));
	tap_ok(err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_NOT_FOUND && !err.session_gone,
		   "session request: 404 with a JSON body about a database does not mark the session gone");

	sp_error_clear(&err);
	sp_error_from_body(&err, 500, "", 0);
	sp_error_on_session(&err, 0);
	tap_ok(err.kind == SP_ERR_REMOTE && err.http_status == 500 && !err.session_gone,
		   "session request: 500 with an empty body does not mark the session gone");

	sp_error_clear(&err);
	b = "{\"code\": 13, \"message\": \"internal error\"}";
	sp_error_from_body(&err, 500, b, strlen(b));
	sp_error_on_session(&err, strlen(b));
	tap_ok(err.kind == SP_ERR_REMOTE && err.grpc_code == SP_GRPC_INTERNAL && !err.session_gone,
		   "session request: 500 INTERNAL (not the emulator's marshal error) does not mark the session gone");
}

/*
 * sp_error_transient: what a retry may repeat (retry.c), from production
 * error bodies and transport failures.
 */
static void
test_transient(void)
{
	SpError		err;
	const char *b;
	bool		good = true;

	sp_error_clear(&err);
	b = "{\"error\":{\"code\":503,\"message\":\"The service is currently unavailable.\",\"status\":\"UNAVAILABLE\"}}";
	sp_error_from_body(&err, 503, b, strlen(b));
	good = good && sp_error_transient(&err);
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":429,\"message\":\"Quota\",\"status\":\"RESOURCE_EXHAUSTED\","
		"\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"0.3s\"}]}}";
	sp_error_from_body(&err, 429, b, strlen(b));
	good = good && sp_error_transient(&err) && err.retry_delay > 0.29 && err.retry_delay < 0.31;
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":500,\"message\":\"Received unexpected EOS on DATA frame from server\",\"status\":\"INTERNAL\"}}";
	sp_error_from_body(&err, 500, b, strlen(b));
	good = good && sp_error_transient(&err) && sp_error_broken_stream(&err);
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":13,\"message\":\"stream terminated by RST_STREAM with error code: INTERNAL_ERROR\"}}";
	sp_error_from_body(&err, 200, b, strlen(b));
	good = good && sp_error_transient(&err);
	sp_error_clear(&err);
	b = "<html>Bad gateway</html>";
	sp_error_from_body(&err, 502, b, strlen(b));
	good = good && sp_error_transient(&err);
	sp_error_clear(&err);
	sp_error_from_body(&err, 504, b, strlen(b));
	good = good && sp_error_transient(&err);
	tap_ok(good, "transient: UNAVAILABLE, RESOURCE_EXHAUSTED, broken-stream INTERNAL, 502/504 pages");

	good = true;
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":504,\"message\":\"Deadline exceeded\",\"status\":\"DEADLINE_EXCEEDED\"}}";
	sp_error_from_body(&err, 504, b, strlen(b));
	good = good && !sp_error_transient(&err);
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":500,\"message\":\"internal error\",\"status\":\"INTERNAL\"}}";
	sp_error_from_body(&err, 500, b, strlen(b));
	good = good && !sp_error_transient(&err);
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":404,\"message\":\"Session not found: s\",\"status\":\"NOT_FOUND\"}}";
	sp_error_from_body(&err, 404, b, strlen(b));
	good = good && !sp_error_transient(&err);
	sp_error_clear(&err);
	b = "{\"error\":{\"code\":401,\"message\":\"x\",\"status\":\"UNAUTHENTICATED\"}}";
	sp_error_from_body(&err, 401, b, strlen(b));
	good = good && !sp_error_transient(&err);
	sp_error_clear(&err);
	sp_error_set(&err, SP_ERR_TRANSPORT, "Failed to connect");
	good = good && !sp_error_transient(&err);
	err.conn_lost = true;
	good = good && sp_error_transient(&err);
	sp_error_clear(&err);
	sp_error_set(&err, SP_ERR_PROTOCOL, "malformed JSON");
	good = good && !sp_error_transient(&err);
	tap_ok(good, "not transient: Spanner's DEADLINE_EXCEEDED, other INTERNAL, lost session, 401, connect failure, garbage");
}

/* Count rows available now; -1 on error. */
static int
drain(SpRowReader *rd, long long *sum)
{
	json_object **v;
	SpError		err;
	int			n = 0,
				r;

	while ((r = sp_reader_next(rd, &v, &err)) == 1)
	{
		n++;
		*sum += atoll(json_object_get_string(v[0]));
	}
	return r < 0 ? -1 : n;
}

static void
test_resume_buffer(void)
{
	SpError		err;
	SpRowReader *rd = sp_reader_new(1 << 20);
	const char *m1 = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"i\",\"type\":{\"code\":\"INT64\"}}]}},\"values\":[\"1\",\"2\"]},";
	const char *m2 = "{\"values\":[\"3\"],\"resumeToken\":\"dDE=\"},";
	const char *m3 = "{\"values\":[\"4\",\"5\"]},";
	const char *m3b = "[{\"values\":[\"4\",\"5\"],\"resumeToken\":\"dDI=\"},{\"values\":[\"6\"]}]";
	const char *token = NULL;
	long long	sum = 0;
	int			a,
				b,
				c,
				d;
	bool		resumed;

	sp_error_clear(&err);
	sp_reader_feed(rd, m1, strlen(m1), &err);
	a = drain(rd, &sum);		/* held: no token yet */
	sp_reader_feed(rd, m2, strlen(m2), &err);
	b = drain(rd, &sum);		/* released through the token */
	sp_reader_feed(rd, m3, strlen(m3), &err);
	sp_reader_feed(rd, "{\"val", 5, &err);	/* cut inside a message */
	c = drain(rd, &sum);		/* held */
	resumed = sp_reader_prepare_resume(rd, &token);
	tap_ok(a == 0 && b == 3 && c == 0 && resumed && token && strcmp(token, "dDE=") == 0,
		   "rows after the last resume token are held; resume restarts from it");
	sp_reader_feed(rd, m3b, strlen(m3b), &err);
	d = drain(rd, &sum);
	sp_reader_finish(rd, &err);
	d += drain(rd, &sum);
	tap_ok(d == 3 && sum == 21, "resumed stream yields each row exactly once");
	sp_reader_free(rd);

	rd = sp_reader_new(10);
	sum = 0;
	sp_reader_feed(rd, m1, strlen(m1), &err);
	a = drain(rd, &sum);
	tap_ok(a == 2 && !sp_reader_prepare_resume(rd, &token),
		   "past the resume buffer cap rows are released and the stream is not resumable");
	sp_reader_free(rd);
}

static void
test_values(void)
{
	SpTimestamp ts;
	int64_t		i;
	bool		good;

	good = sp_parse_int64("-9223372036854775808", &i) && i == INT64_MIN &&
		sp_parse_int64("9223372036854775807", &i) && i == INT64_MAX &&
		sp_parse_int64("0", &i) && i == 0 &&
		!sp_parse_int64("9223372036854775808", &i) &&
		!sp_parse_int64("", &i) && !sp_parse_int64("1.5", &i) &&
		!sp_parse_int64(" 1", &i) && !sp_parse_int64("+1", &i) &&
		!sp_parse_int64("12a", &i);
	tap_ok(good, "INT64 strings: full range, overflow and junk rejected");

	good = sp_parse_timestamp("2024-02-29T12:34:56.123456789Z", &ts) &&
		ts.year == 2024 && ts.month == 2 && ts.day == 29 && ts.hour == 12 &&
		ts.minute == 34 && ts.second == 56 && ts.usec == 123456 && ts.truncated;
	tap_ok(good, "TIMESTAMP: nanoseconds truncated to microseconds");
	good = sp_parse_timestamp("1969-12-28T23:59:59.5Z", &ts) && ts.usec == 500000 && !ts.truncated &&
		sp_parse_timestamp("0001-01-01T00:00:00Z", &ts) && ts.usec == 0 &&
		sp_parse_timestamp("9999-12-31T23:59:59.999999999Z", &ts) && ts.usec == 999999 &&
		sp_parse_timestamp("2024-01-01T00:00:00.100000000Z", &ts) && ts.usec == 100000 && !ts.truncated;
	tap_ok(good, "TIMESTAMP: 0 to 9 fraction digits, edges of the range");
	good = !sp_parse_timestamp("2024-01-01 00:00:00Z", &ts) &&
		!sp_parse_timestamp("2024-01-01T00:00:00+01:00", &ts) &&
		!sp_parse_timestamp("2024-01-01T00:00:00z", &ts) &&
		!sp_parse_timestamp("2024-01-01T00:00:00.Z", &ts) &&
		!sp_parse_timestamp("2024-01-01T00:00:00.1234567890Z", &ts) &&
		!sp_parse_timestamp("2023-02-29T00:00:00Z", &ts) &&
		!sp_parse_timestamp("2024-01-01T24:00:00Z", &ts) &&
		!sp_parse_timestamp("0000-01-01T00:00:00Z", &ts);
	tap_ok(good, "TIMESTAMP: malformed or impossible values rejected");
	good = sp_parse_date("2000-02-29", &ts) && ts.year == 2000 && ts.month == 2 && ts.day == 29 &&
		sp_parse_date("0001-01-01", &ts) && sp_parse_date("9999-12-31", &ts) &&
		!sp_parse_date("1900-02-29", &ts) && !sp_parse_date("2024-04-31", &ts) &&
		!sp_parse_date("2024-1-01", &ts) && !sp_parse_date("2024-01-01x", &ts);
	tap_ok(good, "DATE: calendar checked, leap years");
}

/* Feed text in pieces of n bytes; returns the first error kind or SP_OK */
static SpErrKind
feed_pieces(SpRowReader *rd, const char *text, size_t n, SpError *err)
{
	size_t		off,
				len = strlen(text);
	json_object **v;

	for (off = 0; off < len; off += n)
	{
		if (!sp_reader_feed(rd, text + off, len - off < n ? len - off : n, err))
			return err->kind;
		while (sp_reader_next(rd, &v, err) == 1)
			;
		if (err->kind != SP_OK)
			return err->kind;
	}
	if (!sp_reader_finish(rd, err))
		return err->kind;
	while (sp_reader_next(rd, &v, err) == 1)
		;
	return err->kind;
}

static void
test_limits(void)
{
	const char *md = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"s\",\"type\":{\"code\":\"STRING\"}}]}},";
	char		b300[1001],
				b100[101];
	char	   *text;
	SpRowReader *rd;
	SpError		err;
	int			i;
	size_t		len;

	/* one message of about 1100 bytes (few values) against a 640-byte limit */
	memset(b300, 'x', 1000);
	b300[1000] = '\0';
	len = strlen(md) + 1300;
	text = malloc(len);
	snprintf(text, len, "%s\"values\":[\"%s\"]}]", md, b300);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 640, 0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 7, &err) == SP_ERR_TOO_LARGE &&
		   strstr(err.message, "larger than 640 bytes") != NULL,
		   "a message over the message limit fails as too large, fed in pieces: %s", err.message);
	sp_reader_free(rd);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 640, 0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, strlen(text), &err) == SP_ERR_TOO_LARGE &&
		   strstr(err.message, "larger than 640 bytes") != NULL,
		   "... and fed at once: %s", err.message);
	sp_reader_free(rd);
	rd = sp_reader_new(0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 7, &err) == SP_OK,
		   "the same message passes under the default limits");
	sp_reader_free(rd);
	free(text);

	/* a value chunked over 10 messages of 100 bytes each: 1000 bytes */
	memset(b100, 'y', 100);
	b100[100] = '\0';
	len = strlen(md) + 10 * 160 + 16;
	text = malloc(len);
	snprintf(text, len, "%s\"values\":[\"%s\"],\"chunkedValue\":true}", md, b100);
	for (i = 1; i < 10; i++)
		snprintf(text + strlen(text), len - strlen(text), ",{\"values\":[\"%s\"]%s}",
				 b100, i < 9 ? ",\"chunkedValue\":true" : "");
	strcat(text, "]");
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 0, 500);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 13, &err) == SP_ERR_TOO_LARGE,
		   "a chunked value over the value limit fails as too large: %s", err.message);
	sp_reader_free(rd);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 0, 2000);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 13, &err) == SP_OK,
		   "the same value passes a limit above its size");
	sp_reader_free(rd);
	free(text);

	/* nesting: 100 nested arrays in a value */
	len = strlen(md) + 256;
	text = malloc(len);
	snprintf(text, len, "%s\"values\":[", md);
	for (i = 0; i < 100; i++)
		strcat(text, "[");
	for (i = 0; i < 100; i++)
		strcat(text, "]");
	strcat(text, "]}]");
	rd = sp_reader_new(0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 5, &err) == SP_ERR_PROTOCOL && strstr(err.message, "nesting") != NULL,
		   "JSON nested deeper than the limit is a protocol error: %s", err.message);
	sp_reader_free(rd);
	free(text);
}

/* "[v,v,...]" with n copies of v, malloc'd */
static char *
json_list(const char *v, int n)
{
	size_t		len = 3 + (strlen(v) + 1) * (size_t) n;
	char	   *t = malloc(len);
	char	   *p = t;
	int			i;

	*p++ = '[';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", v);
	*p++ = ']';
	*p = '\0';
	return t;
}

/*
 * Parsed JSON costs memory per value: past one value per
 * SP_JSON_VALUE_COST bytes of a limit, a message, a merged value or a
 * unary answer is too large, however few bytes it has.
 */
static void
test_value_counts(void)
{
	const char *md = "[{\"metadata\":{\"rowType\":{\"fields\":[{\"name\":\"a\",\"type\":{\"code\":\"ARRAY\","
	"\"arrayElementType\":{\"code\":\"FLOAT64\"}}}]}},";
	char	   *l200 = json_list("1", 200),
			   *l60 = json_list("1", 60),
			   *text;
	size_t		len = strlen(md) + 2 * strlen(l200) + 200;
	SpRowReader *rd;
	SpError		err;
	SpJsonScan	sc;
	json_object *obj;
	const char *q = "\"a\\\",b\\\\\",[";
	size_t		i;

	/* one message of 200 numbers, under 600 bytes, against 3200 bytes: 100 values */
	text = malloc(len);
	snprintf(text, len, "%s\"values\":[%s]}]", md, l200);
	tap_ok(strlen(text) < 3200 / 4, "the message is %zu bytes", strlen(text));
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 3200, 0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 11, &err) == SP_ERR_TOO_LARGE &&
		   strstr(err.message, "more than 100 JSON values") != NULL,
		   "a message of more values than its limit allows fails as too large: %s", err.message);
	sp_reader_free(rd);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 3200 * 4, 0);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 11, &err) == SP_OK,
		   "the same message passes a limit of 400 values: %s", err.message);
	sp_reader_free(rd);

	/* a value chunked over two messages of 60 numbers each: 120 values */
	snprintf(text, len, "%s\"values\":[%s],\"chunkedValue\":true},{\"values\":[%s]}]",
			 md, l60, l60);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 0, 3200);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 13, &err) == SP_ERR_TOO_LARGE &&
		   strstr(err.message, "value") != NULL && strstr(err.message, "more than 100 JSON values") != NULL,
		   "a merged value of more values than the value limit allows fails as too large: %s", err.message);
	sp_reader_free(rd);
	rd = sp_reader_new(0);
	sp_reader_set_limits(rd, 0, 3200 * 2);
	sp_error_clear(&err);
	tap_ok(feed_pieces(rd, text, 13, &err) == SP_OK,
		   "the same value passes a limit of 200 values: %s", err.message);
	sp_reader_free(rd);
	free(text);

	/* counting in pieces: strings with escaped quotes and commas count nothing */
	memset(&sc, 0, sizeof(sc));
	for (i = 0; i < strlen(q); i++)
		sp_json_scan(&sc, q + i, 1);
	tap_ok(sc.values == 2 && !sc.in_string,
		   "JSON values counted a byte at a time, past escapes in strings: %zu", sc.values);

	/* unary answers */
	sp_error_clear(&err);
	tap_ok(!sp_json_parse_body(l200, strlen(l200), 3200, &obj, &err) &&
		   err.kind == SP_ERR_TOO_LARGE && obj == NULL,
		   "an answer of 200 values against a limit of 100 fails as too large: %s", err.message);
	sp_error_clear(&err);
	tap_ok(sp_json_parse_body(l200, strlen(l200), 3200 * 4, &obj, &err) &&
		   json_object_array_length(obj) == 200,
		   "the same answer parses under a limit of 400 values");
	json_object_put(obj);
	sp_error_clear(&err);
	tap_ok(!sp_json_parse_body(l200, strlen(l200), 100, &obj, &err) &&
		   err.kind == SP_ERR_TOO_LARGE && strstr(err.message, "larger than 100 bytes") != NULL,
		   "an answer over the byte limit fails as too large: %s", err.message);
	sp_error_clear(&err);
	tap_ok(!sp_json_parse_body("{\"a\":", 5, 3200, &obj, &err) &&
		   err.kind == SP_ERR_PROTOCOL && obj == NULL,
		   "a cut answer is malformed: %s", err.message);
	sp_error_clear(&err);
	tap_ok(!sp_json_parse_body("null", 4, 3200, &obj, &err) &&
		   err.kind == SP_ERR_PROTOCOL && obj == NULL,
		   "a null answer is malformed: %s", err.message);
	free(l200);
	free(l60);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		fprintf(stderr, "usage: %s ACCEPTANCE_FILE\n", argv[0]);
		return 2;
	}
	run_acceptance(argv[1]);
	test_negative_zero();
	test_int64_split();
	test_error_after_data();
	test_truncated();
	test_metadata();
	test_precommit_tokens();
	test_errors();
	test_session_errors();
	test_transient();
	test_resume_buffer();
	test_values();
	test_limits();
	test_value_counts();
	return tap_done();
}
