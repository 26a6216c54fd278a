/*-------------------------------------------------------------------------
 *
 * sp_stream.c
 *		  Incremental parser for executeStreamingSql responses, and the row
 *		  assembler that merges chunked values.
 *
 * Bytes arrive in arbitrary pieces.  Between top-level JSON values we skip
 * whitespace and the '[' ',' ']' of production's JSON-array framing; each
 * top-level object is handed to a json-c tokener until it is complete.  An
 * object with "error" is a stream error, one with "result" is the
 * emulator's (grpc-gateway) wrapper, anything else is a PartialResultSet.
 *
 * json-c 0.16 reads the number -0 as the integer 0, losing the sign of a
 * FLOAT64 negative zero; a small pre-filter that tracks string state turns
 * a bare -0 into -0.0 before the tokener sees it.
 *
 * The assembler keeps the current PartialResultSet and a carried partial
 * value.  Values are merged by the rules of result_set.proto: strings
 * concatenate, lists concatenate with their boundary elements merged when
 * the first list's last element is a string, list or object, objects merge
 * field by field.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/rest/sp_stream.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"

#ifdef POSTGRES_H
#error "src/rest must not include postgres.h"
#endif

struct SpRowReader
{
	json_tokener *tok;
	bool		in_value;		/* tokener is inside a top-level value */
	bool		array_open;		/* production framing: saw '[', not yet ']' */
	bool		array_closed;	/* saw the closing ']' */
	bool		seen_any;		/* any non-blank byte seen */
	bool		finished;		/* sp_reader_finish called */
	bool		failed;

	/* -0 pre-filter state */
	bool		in_string;
	bool		escape;
	char		held[3];		/* "-" or "-0" held back across pieces */
	int			nheld;
	char	   *fbuf;			/* filtered bytes */
	size_t		fbuf_size;

	/* parsed PartialResultSets not yet consumed */
	json_object **queue;		/* ring buffer of qcap entries */
	int			qcap;
	int			qhead;
	int			qlen;
	/*
	 * Messages after the last resume token are held here until the next
	 * token (or the end); a break can then be resumed without duplicating
	 * or losing rows.  Past resume_cap bytes they are released and the
	 * stream is no longer resumable.
	 */
	json_object **pending;
	int			npending;
	int			pending_cap;
	size_t		pending_bytes;
	bool		resumable;
	size_t		obj_bytes;		/* bytes of the top-level value being parsed */
	char	   *safe_token;		/* token up to which everything is released */
	SpError		stream_error;	/* an {"error":..} element, if seen */
	bool		have_stream_error;

	/* metadata */
	bool		have_metadata;
	int			ncols;
	SpColumn   *cols;
	char	   *txn_id;
	char	   *resume_token;
	char	   *precommit_token;	/* highest-seqNum precommit token seen */
	int32_t		precommit_seq;

	/* assembly */
	json_object *cur;			/* current PRS's values array (ref held) */
	size_t		cur_idx;
	size_t		cur_len;
	bool		cur_chunked;
	json_object *carry;			/* incomplete value (ref held) */
	json_object **row;			/* ncols refs, for the row being built */
	int			row_filled;
	bool		row_returned;	/* row holds the row last returned */
	long		rows;
	size_t		resume_cap;

	/* limits (sp_reader_set_limits) */
	size_t		max_message;	/* bytes of one message's JSON text */
	size_t		max_value;		/* bytes of one value, chunks merged */
	size_t		carry_bytes;	/* bytes of the value being merged */
	size_t		carry_values;	/* JSON values in it */
	SpJsonScan	scan;			/* JSON values of the message being parsed */
};

static bool hold_or_release(SpRowReader *rd, json_object *obj, SpError *err);

SpTypeCode
sp_type_code_from_name(const char *name)
{
	static const struct
	{
		const char *name;
		SpTypeCode	code;
	}			map[] = {
		{"BOOL", SP_TYPE_BOOL}, {"INT64", SP_TYPE_INT64},
		{"FLOAT64", SP_TYPE_FLOAT64}, {"FLOAT32", SP_TYPE_FLOAT32},
		{"TIMESTAMP", SP_TYPE_TIMESTAMP}, {"DATE", SP_TYPE_DATE},
		{"STRING", SP_TYPE_STRING}, {"BYTES", SP_TYPE_BYTES},
		{"ARRAY", SP_TYPE_ARRAY}, {"STRUCT", SP_TYPE_STRUCT},
		{"NUMERIC", SP_TYPE_NUMERIC}, {"JSON", SP_TYPE_JSON},
		{"PROTO", SP_TYPE_PROTO}, {"ENUM", SP_TYPE_ENUM},
		{"INTERVAL", SP_TYPE_INTERVAL}, {"UUID", SP_TYPE_UUID},
	};
	size_t		i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return map[i].code;
	return SP_TYPE_UNSPECIFIED;
}

const char *
sp_type_code_name(SpTypeCode code)
{
	static const char *const names[] = {
		"TYPE_CODE_UNSPECIFIED", "BOOL", "INT64", "FLOAT64", "FLOAT32",
		"TIMESTAMP", "DATE", "STRING", "BYTES", "ARRAY", "STRUCT", "NUMERIC",
		"JSON", "PROTO", "ENUM", "INTERVAL", "UUID"
	};

	if ((int) code >= 0 && (size_t) code < sizeof(names) / sizeof(names[0]))
		return names[code];
	return "TYPE_CODE_UNSPECIFIED";
}

void
sp_parse_type(json_object *type, SpColumn *col)
{
	json_object *v;

	col->code = SP_TYPE_UNSPECIFIED;
	col->elem_code = SP_TYPE_UNSPECIFIED;
	col->pg_annotation = false;
	if (type == NULL || !json_object_is_type(type, json_type_object))
		return;
	if (json_object_object_get_ex(type, "code", &v) &&
		json_object_is_type(v, json_type_string))
		col->code = sp_type_code_from_name(json_object_get_string(v));
	if (json_object_object_get_ex(type, "typeAnnotation", &v) &&
		json_object_is_type(v, json_type_string))
		col->pg_annotation = strncmp(json_object_get_string(v), "PG_", 3) == 0;
	if (col->code == SP_TYPE_ARRAY &&
		json_object_object_get_ex(type, "arrayElementType", &v))
	{
		json_object *c;

		if (json_object_object_get_ex(v, "code", &c) &&
			json_object_is_type(c, json_type_string))
			col->elem_code = sp_type_code_from_name(json_object_get_string(c));
		if (json_object_object_get_ex(v, "typeAnnotation", &c) &&
			json_object_is_type(c, json_type_string))
			col->pg_annotation = strncmp(json_object_get_string(c), "PG_", 3) == 0;
	}
}

SpRowReader *
sp_reader_new(size_t resume_buffer_cap)
{
	SpRowReader *rd = calloc(1, sizeof(SpRowReader));

	if (rd == NULL)
		return NULL;
	rd->tok = json_tokener_new_ex(SP_MAX_JSON_DEPTH);
	if (rd->tok == NULL)
	{
		free(rd);
		return NULL;
	}
	rd->resume_cap = resume_buffer_cap;
	rd->resumable = resume_buffer_cap > 0;
	rd->max_message = SP_MAX_MESSAGE_BYTES;
	rd->max_value = SP_MAX_VALUE_BYTES;
	return rd;
}

void
sp_reader_set_limits(SpRowReader *rd, size_t max_message, size_t max_value)
{
	rd->max_message = max_message ? max_message : SP_MAX_MESSAGE_BYTES;
	rd->max_value = max_value ? max_value : SP_MAX_VALUE_BYTES;
}

/*
 * sp_json_scan: see sp_client.h.  Strings are skipped a run at a time.
 */
void
sp_json_scan(SpJsonScan *sc, const char *text, size_t len)
{
	const char *p = text;
	const char *end = text + len;

	while (p < end)
	{
		if (sc->in_string)
		{
			if (sc->escape)
			{
				sc->escape = false;
				p++;
				continue;
			}
			while (p < end && *p != '"' && *p != '\\')
				p++;
			if (p == end)
				break;
			if (*p == '\\')
				sc->escape = true;
			else
				sc->in_string = false;
			p++;
			continue;
		}
		switch (*p)
		{
			case '"':
				sc->in_string = true;
				break;
			case '[':
			case '{':
			case ',':
				sc->values++;
				break;
			default:
				break;
		}
		p++;
	}
}

/*
 * sp_json_parse_body: see sp_client.h.
 */
bool
sp_json_parse_body(const char *text, size_t len, size_t max_bytes,
				   json_object **obj, SpError *err)
{
	SpJsonScan	sc;
	json_tokener *tok;
	enum json_tokener_error jerr;

	*obj = NULL;
	if (len > max_bytes || len > 0x3fffffff)
	{
		sp_error_set(err, SP_ERR_TOO_LARGE, "the response is larger than %zu bytes",
					 max_bytes);
		return false;
	}
	memset(&sc, 0, sizeof(sc));
	sp_json_scan(&sc, text, len);
	if (sc.values > max_bytes / SP_JSON_VALUE_COST)
	{
		sp_error_set(err, SP_ERR_TOO_LARGE, "the response holds more than %zu JSON values",
					 max_bytes / SP_JSON_VALUE_COST);
		return false;
	}
	tok = json_tokener_new_ex(SP_MAX_JSON_DEPTH);
	if (tok == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return false;
	}
	*obj = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || *obj == NULL)
	{
		json_object_put(*obj);
		*obj = NULL;
		sp_error_set(err, SP_ERR_PROTOCOL, "malformed JSON in response: %s",
					 jerr == json_tokener_success ? "null" :
					 jerr == json_tokener_continue ? "it ends in the middle of a value" :
					 json_tokener_error_desc(jerr));
		return false;
	}
	return true;
}

/* Fail if the message being parsed is over the limits. */
static bool
message_size_ok(SpRowReader *rd, SpError *err)
{
	if (rd->obj_bytes > rd->max_message)
		sp_error_set(err, SP_ERR_TOO_LARGE,
					 "a message of the streaming response is larger than %zu bytes",
					 rd->max_message);
	else if (rd->scan.values > rd->max_message / SP_JSON_VALUE_COST)
		sp_error_set(err, SP_ERR_TOO_LARGE,
					 "a message of the streaming response holds more than %zu JSON values",
					 rd->max_message / SP_JSON_VALUE_COST);
	else
		return true;
	return false;
}

/*
 * The size a value takes as text: string bytes, plus one for every
 * element, member and scalar, which *values counts.  Linear in the value;
 * used on each piece of a chunked value, each of which came in one
 * message.
 */
static size_t
value_bytes(json_object *v, size_t *values)
{
	size_t		n = 1;

	(*values)++;
	switch (json_object_get_type(v))
	{
		case json_type_string:
			return (size_t) json_object_get_string_len(v) + 1;
		case json_type_array:
			{
				size_t		i,
							len = json_object_array_length(v);

				for (i = 0; i < len; i++)
					n += value_bytes(json_object_array_get_idx(v, i), values);
				return n;
			}
		case json_type_object:
			{
				json_object_object_foreach(v, k, m)
					n += strlen(k) + value_bytes(m, values);
				return n;
			}
		default:
			return n;
	}
}

/* Fail if the value being merged is over the limit. */
static bool
value_size_ok(SpRowReader *rd, SpError *err)
{
	if (rd->carry_bytes > rd->max_value)
		sp_error_set(err, SP_ERR_TOO_LARGE,
					 "a value in the streaming response is larger than %zu bytes",
					 rd->max_value);
	else if (rd->carry_values > rd->max_value / SP_JSON_VALUE_COST)
		sp_error_set(err, SP_ERR_TOO_LARGE,
					 "a value in the streaming response holds more than %zu JSON values",
					 rd->max_value / SP_JSON_VALUE_COST);
	else
		return true;
	rd->failed = true;
	return false;
}

static void
release_row(SpRowReader *rd)
{
	int			i;

	if (rd->row == NULL)
		return;
	rd->row_returned = false;
	for (i = 0; i < rd->row_filled; i++)
	{
		json_object_put(rd->row[i]);
		rd->row[i] = NULL;
	}
	rd->row_filled = 0;
}

void
sp_reader_free(SpRowReader *rd)
{
	int			i;

	if (rd == NULL)
		return;
	release_row(rd);
	free(rd->row);
	for (i = 0; i < rd->qlen; i++)
		json_object_put(rd->queue[(rd->qhead + i) % rd->qcap]);
	free(rd->queue);
	for (i = 0; i < rd->npending; i++)
		json_object_put(rd->pending[i]);
	free(rd->pending);
	free(rd->safe_token);
	json_object_put(rd->cur);
	json_object_put(rd->carry);
	if (rd->cols)
	{
		for (i = 0; i < rd->ncols; i++)
			free(rd->cols[i].name);
		free(rd->cols);
	}
	free(rd->txn_id);
	free(rd->resume_token);
	free(rd->precommit_token);
	free(rd->fbuf);
	json_tokener_free(rd->tok);
	free(rd);
}

/* Append a message to the queue the row assembler reads. */
static bool
release_one(SpRowReader *rd, json_object *obj, SpError *err)
{
	if (rd->qlen >= rd->qcap)
	{
		int			ncap = rd->qcap ? rd->qcap * 2 : 8;
		json_object **nq = malloc(sizeof(json_object *) * ncap);
		int			i;

		if (nq == NULL)
		{
			json_object_put(obj);
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return false;
		}
		for (i = 0; i < rd->qlen; i++)
			nq[i] = rd->queue[(rd->qhead + i) % rd->qcap];
		free(rd->queue);
		rd->queue = nq;
		rd->qcap = ncap;
		rd->qhead = 0;
	}
	rd->queue[(rd->qhead + rd->qlen) % rd->qcap] = obj;
	rd->qlen++;
	return true;
}

/* Release every held message. */
static bool
release_pending(SpRowReader *rd, SpError *err)
{
	int			i;
	bool		ok = true;

	for (i = 0; i < rd->npending; i++)
	{
		if (ok)
			ok = release_one(rd, rd->pending[i], err);
		else
			json_object_put(rd->pending[i]);
		rd->pending[i] = NULL;
	}
	rd->npending = 0;
	rd->pending_bytes = 0;
	return ok;
}

/*
 * A complete PartialResultSet arrived: hold it while the stream is
 * resumable, release everything up to a resume token.
 */
static bool
hold_or_release(SpRowReader *rd, json_object *obj, SpError *err)
{
	json_object *tok;

	if (!rd->resumable)
		return release_one(rd, obj, err);
	if (rd->npending >= rd->pending_cap)
	{
		int			ncap = rd->pending_cap ? rd->pending_cap * 2 : 8;
		json_object **np = realloc(rd->pending, sizeof(json_object *) * ncap);

		if (np == NULL)
		{
			json_object_put(obj);
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return false;
		}
		rd->pending = np;
		rd->pending_cap = ncap;
	}
	rd->pending[rd->npending++] = obj;
	rd->pending_bytes += rd->obj_bytes;
	if (json_object_object_get_ex(obj, "resumeToken", &tok) &&
		json_object_is_type(tok, json_type_string) &&
		json_object_get_string_len(tok) > 0)
	{
		char	   *t = strdup(json_object_get_string(tok));

		if (t == NULL)
		{
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return false;
		}
		free(rd->safe_token);
		rd->safe_token = t;
		return release_pending(rd, err);
	}
	if (rd->pending_bytes > rd->resume_cap)
	{
		/* too much to hold: give up resumability, as client libraries do */
		rd->resumable = false;
		return release_pending(rd, err);
	}
	return true;
}

/*
 * Keep msg's precommit token (multiplexed sessions) if its seqNum is the
 * highest so far: it is noted when the message arrives, so a token is
 * never missed because the rows before it were not read yet.
 */
static bool
note_precommit_token(SpRowReader *rd, json_object *msg, SpError *err)
{
	const char *token;
	int32_t		seq;
	json_object *md,
			   *tx;
	char	   *copy;

	if (!sp_precommit_token_of(msg, &token, &seq) &&
		!(json_object_object_get_ex(msg, "metadata", &md) &&
		  json_object_object_get_ex(md, "transaction", &tx) &&
		  sp_precommit_token_of(tx, &token, &seq)))
		return true;
	if (rd->precommit_token && seq <= rd->precommit_seq)
		return true;
	copy = strdup(token);
	if (copy == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return false;
	}
	free(rd->precommit_token);
	rd->precommit_token = copy;
	rd->precommit_seq = seq;
	return true;
}

/*
 * Take one complete top-level object off the tokener.  Returns false on a
 * protocol error.  Consumes the reference to obj.
 */
static bool
handle_top_object(SpRowReader *rd, json_object *obj, SpError *err)
{
	json_object *inner;

	if (!json_object_is_type(obj, json_type_object))
	{
		json_object_put(obj);
		sp_error_set(err, SP_ERR_PROTOCOL,
					 "unexpected JSON value in a streaming response");
		return false;
	}
	if (json_object_object_get_ex(obj, "error", &inner))
	{
		sp_error_clear(&rd->stream_error);
		sp_error_from_json(&rd->stream_error, 200, obj);
		rd->stream_error.after_data = rd->rows > 0;
		rd->have_stream_error = true;
		json_object_put(obj);
		return true;
	}
	if (json_object_object_get_ex(obj, "result", &inner))
	{
		json_object_get(inner);
		json_object_put(obj);
		obj = inner;
		if (!json_object_is_type(obj, json_type_object))
		{
			json_object_put(obj);
			sp_error_set(err, SP_ERR_PROTOCOL,
						 "\"result\" is not an object in a streaming response");
			return false;
		}
	}
	if (!note_precommit_token(rd, obj, err))
	{
		json_object_put(obj);
		return false;
	}
	return hold_or_release(rd, obj, err);
}

/* Run filtered bytes through the framing state machine and the tokener. */
static bool
parse_filtered(SpRowReader *rd, const char *buf, size_t len, SpError *err)
{
	size_t		off = 0;

	while (off < len)
	{
		if (rd->have_stream_error)
		{
			/* ignore anything after an error element, except whitespace */
			return true;
		}
		if (!rd->in_value)
		{
			char		c = buf[off];

			if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',')
			{
				off++;
				continue;
			}
			if (c == '[' && !rd->seen_any)
			{
				rd->array_open = true;
				rd->seen_any = true;
				off++;
				continue;
			}
			if (c == ']' && rd->array_open && !rd->array_closed)
			{
				rd->array_closed = true;
				off++;
				continue;
			}
			if (rd->array_closed)
			{
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "malformed streaming response: data after the closing ]");
				return false;
			}
			rd->seen_any = true;
			if (c != '{')
			{
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "malformed streaming response: unexpected character 0x%02x between messages",
							 (unsigned char) c);
				return false;
			}
			rd->in_value = true;
			rd->obj_bytes = 0;
			memset(&rd->scan, 0, sizeof(rd->scan));
		}
		{
			json_object *obj;
			enum json_tokener_error jerr;
			size_t		chunk = len - off;

			if (chunk > 0x3fffffff)
				chunk = 0x3fffffff;
			obj = json_tokener_parse_ex(rd->tok, buf + off, (int) chunk);
			jerr = json_tokener_get_error(rd->tok);
			if (jerr == json_tokener_continue)
			{
				sp_json_scan(&rd->scan, buf + off, chunk);
				rd->obj_bytes += chunk;
				off += chunk;
				if (!message_size_ok(rd, err))
					return false;
				continue;
			}
			if (jerr != json_tokener_success || obj == NULL)
			{
				json_object_put(obj);
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "malformed JSON in streaming response: %s",
							 json_tokener_error_desc(jerr));
				return false;
			}
			sp_json_scan(&rd->scan, buf + off, json_tokener_get_parse_end(rd->tok));
			rd->obj_bytes += json_tokener_get_parse_end(rd->tok);
			off += json_tokener_get_parse_end(rd->tok);
			if (!message_size_ok(rd, err))
			{
				json_object_put(obj);
				return false;
			}
			json_tokener_reset(rd->tok);
			rd->in_value = false;
			if (!handle_top_object(rd, obj, err))
				return false;
		}
	}
	return true;
}

static bool
fbuf_reserve(SpRowReader *rd, size_t need)
{
	if (rd->fbuf_size < need)
	{
		size_t		nsize = rd->fbuf_size ? rd->fbuf_size : 16384;
		char	   *n;

		while (nsize < need)
			nsize *= 2;
		n = realloc(rd->fbuf, nsize);
		if (n == NULL)
			return false;
		rd->fbuf = n;
		rd->fbuf_size = nsize;
	}
	return true;
}

static bool
is_delim(char c)
{
	return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' ||
		c == '\r' || c == '\t';
}

bool
sp_reader_feed(SpRowReader *rd, const char *data, size_t len, SpError *err)
{
	size_t		i,
				o = 0;
	char	   *out;

	if (rd->failed)
	{
		sp_error_set(err, SP_ERR_PROTOCOL, "stream already failed");
		return false;
	}
	if (len == 0)
		return true;
	/* worst case: every byte plus held bytes, with ".0" added per -0 */
	if (!fbuf_reserve(rd, len * 2 + 8))
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		rd->failed = true;
		return false;
	}
	out = rd->fbuf;

	for (i = 0; i < len; i++)
	{
		char		c = data[i];

		if (rd->nheld > 0)
		{
			/* we hold "-" or "-0" outside a string */
			if (rd->nheld == 1)
			{
				if (c == '0')
				{
					rd->held[rd->nheld++] = c;
					continue;
				}
				out[o++] = '-';
				rd->nheld = 0;
				/* fall through to handle c normally */
			}
			else
			{
				out[o++] = '-';
				out[o++] = '0';
				if (is_delim(c))
				{
					out[o++] = '.';
					out[o++] = '0';
				}
				rd->nheld = 0;
			}
		}
		if (rd->in_string)
		{
			if (rd->escape)
				rd->escape = false;
			else if (c == '\\')
				rd->escape = true;
			else if (c == '"')
				rd->in_string = false;
			else
			{
				/* fast path: copy the run up to the next quote or backslash */
				const char *start = data + i;
				const char *end = data + len;
				const char *q = memchr(start, '"', end - start);
				const char *b = memchr(start, '\\', (q ? q : end) - start);
				const char *stop = b ? b : (q ? q : end);
				size_t		run = stop - start;

				memcpy(out + o, start, run);
				o += run;
				i += run - 1;
				continue;
			}
			out[o++] = c;
			continue;
		}
		if (c == '"')
			rd->in_string = true;
		else if (c == '-')
		{
			/* could be the start of -0; hold it */
			rd->held[0] = c;
			rd->nheld = 1;
			continue;
		}
		out[o++] = c;
	}

	if (!parse_filtered(rd, out, o, err))
	{
		rd->failed = true;
		return false;
	}
	return true;
}

bool
sp_reader_finish(SpRowReader *rd, SpError *err)
{
	if (rd->nheld > 0)
	{
		char		tail[4];
		size_t		n = 0;

		tail[n++] = '-';
		if (rd->nheld == 2)
		{
			tail[n++] = '0';
			tail[n++] = '.';
			tail[n++] = '0';
		}
		rd->nheld = 0;
		if (!parse_filtered(rd, tail, n, err))
		{
			rd->failed = true;
			return false;
		}
	}
	rd->finished = true;
	if (!release_pending(rd, err))
	{
		rd->failed = true;
		return false;
	}
	if (rd->in_value && !rd->have_stream_error)
	{
		sp_error_set(err, SP_ERR_PROTOCOL,
					 "streaming response ended in the middle of a message");
		rd->failed = true;
		return false;
	}
	if (rd->array_open && !rd->array_closed && !rd->have_stream_error)
	{
		sp_error_set(err, SP_ERR_PROTOCOL,
					 "streaming response ended before its closing ]");
		rd->failed = true;
		return false;
	}
	return true;
}

int
sp_reader_queued(SpRowReader *rd)
{
	return rd->qlen;
}

static char *
dup_string(json_object *o)
{
	const char *s = json_object_get_string(o);

	return strdup(s ? s : "");
}

/* Read metadata from the first PartialResultSet. */
static bool
take_metadata(SpRowReader *rd, json_object *md, SpError *err)
{
	json_object *rt,
			   *fields,
			   *tx,
			   *v;
	int			i,
				n;

	if (!json_object_object_get_ex(md, "rowType", &rt) ||
		!json_object_is_type(rt, json_type_object))
	{
		sp_error_set(err, SP_ERR_PROTOCOL, "streaming response metadata has no rowType");
		return false;
	}
	if (!json_object_object_get_ex(rt, "fields", &fields))
		n = 0;					/* DML: rowType {} */
	else if (!json_object_is_type(fields, json_type_array))
	{
		sp_error_set(err, SP_ERR_PROTOCOL, "rowType.fields is not a list");
		return false;
	}
	else
		n = (int) json_object_array_length(fields);

	rd->cols = calloc(n > 0 ? n : 1, sizeof(SpColumn));
	rd->row = calloc(n > 0 ? n : 1, sizeof(json_object *));
	if (rd->cols == NULL || rd->row == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return false;
	}
	rd->ncols = n;
	for (i = 0; i < n; i++)
	{
		json_object *f = json_object_array_get_idx(fields, i);
		json_object *name = NULL,
				   *type = NULL;

		if (json_object_is_type(f, json_type_object))
		{
			json_object_object_get_ex(f, "name", &name);
			json_object_object_get_ex(f, "type", &type);
		}
		rd->cols[i].name = name ? dup_string(name) : strdup("");
		if (rd->cols[i].name == NULL)
		{
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return false;
		}
		sp_parse_type(type, &rd->cols[i]);
	}
	if (json_object_object_get_ex(md, "transaction", &tx) &&
		json_object_is_type(tx, json_type_object) &&
		json_object_object_get_ex(tx, "id", &v))
		rd->txn_id = dup_string(v);
	rd->have_metadata = true;
	return true;
}

/*
 * Merge two pieces of a chunked value.  Returns a new reference, or NULL
 * with err set.
 */
static json_object *
merge_values(json_object *a, json_object *b, SpError *err)
{
	json_type	ta = json_object_get_type(a);
	json_type	tb = json_object_get_type(b);

	if (ta == json_type_string && tb == json_type_string)
	{
		int			la = json_object_get_string_len(a);
		int			lb = json_object_get_string_len(b);
		char	   *buf = malloc((size_t) la + lb + 1);
		json_object *r;

		if (buf == NULL)
		{
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return NULL;
		}
		memcpy(buf, json_object_get_string(a), la);
		memcpy(buf + la, json_object_get_string(b), lb);
		buf[la + lb] = '\0';
		r = json_object_new_string_len(buf, la + lb);
		free(buf);
		if (r == NULL)
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return r;
	}
	if (ta == json_type_array && tb == json_type_array)
	{
		size_t		na = json_object_array_length(a);
		size_t		nb = json_object_array_length(b);
		size_t		i,
					start = 0;
		json_object *r = json_object_new_array_ext((int) (na + nb));

		if (r == NULL)
		{
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return NULL;
		}
		for (i = 0; i < na; i++)
		{
			json_object *e = json_object_array_get_idx(a, i);

			if (i == na - 1 && nb > 0)
			{
				json_type	te = json_object_get_type(e);
				json_type	tf = json_object_get_type(json_object_array_get_idx(b, 0));

				/*
				 * A trailing string, list or object continues in the next
				 * list's first element; if that element is of another type
				 * (e.g. null) the lists simply concatenate, as the client
				 * libraries' acceptance test requires.
				 */
				if (te == tf && (te == json_type_string || te == json_type_array ||
								 te == json_type_object))
				{
					json_object *m = merge_values(e, json_object_array_get_idx(b, 0), err);

					if (m == NULL)
					{
						json_object_put(r);
						return NULL;
					}
					json_object_array_add(r, m);
					start = 1;
					continue;
				}
			}
			json_object_array_add(r, json_object_get(e));
		}
		for (i = start; i < nb; i++)
			json_object_array_add(r, json_object_get(json_object_array_get_idx(b, i)));
		return r;
	}
	if (ta == json_type_object && tb == json_type_object)
	{
		json_object *r = json_object_new_object();

		if (r == NULL)
		{
			sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			return NULL;
		}
		{
			json_object_object_foreach(a, ka, va)
				json_object_object_add(r, ka, json_object_get(va));
		}
		{
			json_object_object_foreach(b, kb, vb)
			{
				json_object *prev;

				if (json_object_object_get_ex(r, kb, &prev))
				{
					json_object *m = merge_values(prev, vb, err);

					if (m == NULL)
					{
						json_object_put(r);
						return NULL;
					}
					json_object_object_add(r, kb, m);
				}
				else
					json_object_object_add(r, kb, json_object_get(vb));
			}
		}
		return r;
	}
	sp_error_set(err, SP_ERR_PROTOCOL,
				 "cannot merge chunked values of JSON types %s and %s",
				 json_type_to_name(ta), json_type_to_name(tb));
	return NULL;
}

/* Make the next queued PRS current.  Returns 1, 0 (none queued), -1. */
static int
advance_prs(SpRowReader *rd, SpError *err)
{
	json_object *prs,
			   *v,
			   *values = NULL;

	if (rd->qlen == 0)
		return 0;
	prs = rd->queue[rd->qhead];
	rd->queue[rd->qhead] = NULL;
	rd->qhead = (rd->qhead + 1) % rd->qcap;
	rd->qlen--;

	if (!rd->have_metadata)
	{
		if (!json_object_object_get_ex(prs, "metadata", &v) ||
			!take_metadata(rd, v, err))
		{
			if (err->kind == SP_OK)
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "the first message of a streaming response has no metadata");
			json_object_put(prs);
			return -1;
		}
	}
	if (json_object_object_get_ex(prs, "resumeToken", &v) &&
		json_object_is_type(v, json_type_string))
	{
		free(rd->resume_token);
		rd->resume_token = dup_string(v);
	}
	json_object_object_get_ex(prs, "values", &values);
	if (values && !json_object_is_type(values, json_type_array))
	{
		json_object_put(prs);
		sp_error_set(err, SP_ERR_PROTOCOL, "\"values\" is not a list");
		return -1;
	}
	json_object_put(rd->cur);
	rd->cur = values ? json_object_get(values) : NULL;
	rd->cur_idx = 0;
	rd->cur_len = values ? json_object_array_length(values) : 0;
	rd->cur_chunked = json_object_object_get_ex(prs, "chunkedValue", &v) &&
		json_object_get_boolean(v);
	if (rd->cur_chunked && rd->cur_len == 0)
	{
		json_object_put(prs);
		sp_error_set(err, SP_ERR_PROTOCOL, "chunkedValue set on an empty values list");
		return -1;
	}
	json_object_put(prs);
	return 1;
}

int
sp_reader_next(SpRowReader *rd, json_object ***values, SpError *err)
{
	if (rd->failed)
	{
		sp_error_set(err, SP_ERR_PROTOCOL, "stream already failed");
		return -1;
	}
	if (rd->row_returned)
		release_row(rd);

	for (;;)
	{
		json_object *v;

		if (rd->cur == NULL || rd->cur_idx >= rd->cur_len)
		{
			int			r = advance_prs(rd, err);

			if (r < 0)
			{
				rd->failed = true;
				return -1;
			}
			if (r == 0)
			{
				/*
				 * An error element ends the stream once the transfer is over
				 * (the transport may still resume it, e.g. UNAVAILABLE).
				 */
				if (rd->have_stream_error && rd->finished)
				{
					*err = rd->stream_error;
					err->after_data = rd->rows > 0;
					rd->failed = true;
					return -1;
				}
				if (!rd->finished)
					return 0;	/* need more input */
				if (!rd->have_metadata)
				{
					sp_error_set(err, SP_ERR_PROTOCOL,
								 "streaming response ended without any message");
					rd->failed = true;
					return -1;
				}
				if (rd->row_filled > 0 || rd->carry)
				{
					sp_error_set(err, SP_ERR_PROTOCOL,
								 "streaming response ended in the middle of a row");
					rd->failed = true;
					return -1;
				}
				return 0;
			}
			continue;
		}

		v = json_object_array_get_idx(rd->cur, rd->cur_idx);
		json_object_get(v);
		rd->cur_idx++;

		if (rd->carry)
		{
			json_object *m;

			rd->carry_bytes += value_bytes(v, &rd->carry_values);
			if (!value_size_ok(rd, err))
			{
				json_object_put(v);
				return -1;
			}
			m = merge_values(rd->carry, v, err);

			json_object_put(v);
			json_object_put(rd->carry);
			rd->carry = NULL;
			if (m == NULL)
			{
				rd->failed = true;
				return -1;
			}
			v = m;
		}
		if (rd->cur_idx == rd->cur_len && rd->cur_chunked)
		{
			json_type	t = json_object_get_type(v);

			if (t != json_type_string && t != json_type_array &&
				t != json_type_object)
			{
				json_object_put(v);
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "chunked value of JSON type %s cannot be continued",
							 json_type_to_name(t));
				rd->failed = true;
				return -1;
			}
			if (rd->carry_bytes == 0)
				rd->carry_bytes = value_bytes(v, &rd->carry_values);
			rd->carry = v;
			continue;
		}
		rd->carry_bytes = 0;
		rd->carry_values = 0;
		if (rd->ncols == 0)
		{
			json_object_put(v);
			sp_error_set(err, SP_ERR_PROTOCOL, "values received for a result with no columns");
			rd->failed = true;
			return -1;
		}
		rd->row[rd->row_filled++] = v;
		if (rd->row_filled == rd->ncols)
		{
			int			i;

			/* JSON null is NULL; json-c already gives NULL for it */
			for (i = 0; i < rd->ncols; i++)
				if (json_object_get_type(rd->row[i]) == json_type_null)
				{
					json_object_put(rd->row[i]);
					rd->row[i] = NULL;
				}
			rd->rows++;
			rd->row_returned = true;
			*values = rd->row;
			return 1;
		}
	}
}

bool
sp_reader_has_metadata(SpRowReader *rd)
{
	if (!rd->have_metadata && (rd->qlen > 0 || rd->npending > 0))
	{
		json_object *first = rd->qlen > 0 ? rd->queue[rd->qhead] : rd->pending[0];
		json_object *v;
		SpError		err;

		sp_error_clear(&err);
		if (json_object_object_get_ex(first, "metadata", &v) &&
			take_metadata(rd, v, &err))
			return true;
	}
	return rd->have_metadata;
}

bool
sp_reader_finished(SpRowReader *rd)
{
	return rd->finished;
}

int
sp_reader_ncols(SpRowReader *rd)
{
	return rd->ncols;
}

const SpColumn *
sp_reader_columns(SpRowReader *rd)
{
	return rd->cols;
}

const char *
sp_reader_transaction_id(SpRowReader *rd)
{
	return rd->txn_id;
}


const char *
sp_reader_precommit_token(SpRowReader *rd, int32_t *seq)
{
	*seq = rd->precommit_seq;
	return rd->precommit_token;
}

const char *
sp_reader_resume_token(SpRowReader *rd)
{
	return rd->resume_token;
}

/*
 * sp_reader_prepare_resume
 *		After a broken stream: drop what was held since the last resume
 *		token and reset the parser.  Returns false if the stream cannot be
 *		resumed (too much was released without a token).  *token is the
 *		token to resume from, or NULL to restart from the beginning.
 */
bool
sp_reader_prepare_resume(SpRowReader *rd, const char **token)
{
	int			i;

	if (!rd->resumable || rd->failed)
		return false;
	for (i = 0; i < rd->npending; i++)
	{
		json_object_put(rd->pending[i]);
		rd->pending[i] = NULL;
	}
	rd->npending = 0;
	rd->pending_bytes = 0;
	json_tokener_reset(rd->tok);
	rd->in_value = false;
	rd->in_string = false;
	rd->escape = false;
	rd->nheld = 0;
	rd->have_stream_error = false;
	rd->finished = false;
	rd->array_open = false;
	rd->array_closed = false;
	rd->seen_any = false;
	*token = rd->safe_token;
	return true;
}

/* The error element that ended the stream, if any (else NULL). */
const SpError *
sp_reader_stream_error(SpRowReader *rd)
{
	return rd->have_stream_error ? &rd->stream_error : NULL;
}

/* Did the input stop short of a complete response (cut between messages)? */
bool
sp_reader_incomplete(SpRowReader *rd)
{
	return rd->in_value || (rd->array_open && !rd->array_closed);
}
