/*-------------------------------------------------------------------------
 *
 * sp_error.c
 *		  Decoding of Cloud Spanner error bodies into SpError.
 *
 * Three shapes reach us: the emulator's unary {"code":<grpc>,"message":..},
 * the emulator's streaming {"error":{"code":<grpc>,"message":..}} and
 * Google's {"error":{"code":<http>,"message":..,"status":"NOT_FOUND",
 * "details":[..]}}.  When "status" is present it wins; otherwise "code" is
 * a gRPC code.  The HTTP status is the last resort.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/rest/sp_error.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"

#ifdef POSTGRES_H
#error "src/rest must not include postgres.h"
#endif

static const char *const grpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"
};

void
sp_error_clear(SpError *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void
sp_error_set(SpError *err, SpErrKind kind, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

const char *
sp_grpc_code_name(int code)
{
	if (code >= 0 && code < (int) (sizeof(grpc_names) / sizeof(grpc_names[0])))
		return grpc_names[code];
	return "UNKNOWN";
}

int
sp_grpc_code_from_name(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(grpc_names) / sizeof(grpc_names[0]); i++)
		if (strcmp(grpc_names[i], name) == 0)
			return (int) i;
	return SP_GRPC_UNKNOWN;
}

/* The mapping of google.rpc.Code to HTTP, inverted. */
int
sp_grpc_code_from_http(long http_status)
{
	switch (http_status)
	{
		case 200:
			return SP_GRPC_OK;
		case 400:
			return SP_GRPC_INVALID_ARGUMENT;
		case 401:
			return SP_GRPC_UNAUTHENTICATED;
		case 403:
			return SP_GRPC_PERMISSION_DENIED;
		case 404:
			return SP_GRPC_NOT_FOUND;
		case 409:
			return SP_GRPC_ABORTED;
		case 429:
			return SP_GRPC_RESOURCE_EXHAUSTED;
		case 499:
			return SP_GRPC_CANCELLED;
		case 501:
			return SP_GRPC_UNIMPLEMENTED;
		case 503:
			return SP_GRPC_UNAVAILABLE;
		case 504:
			return SP_GRPC_DEADLINE_EXCEEDED;
		default:
			return SP_GRPC_UNKNOWN;
	}
}

/* Parse a proto-JSON Duration such as "0.035s"; 0 if malformed. */
static double
parse_duration(const char *s)
{
	char	   *end;
	double		d = strtod(s, &end);

	if (end == s || strcmp(end, "s") != 0 || d < 0)
		return 0;
	return d;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s),
				lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

void
sp_error_from_json(SpError *err, long http_status, json_object *obj)
{
	json_object *e = NULL,
			   *v;
	const char *msg = NULL;
	int			code = -1;
	bool		have_status = false;

	err->kind = SP_ERR_REMOTE;
	err->http_status = http_status;
	err->status[0] = '\0';

	if (obj && json_object_is_type(obj, json_type_object))
	{
		if (json_object_object_get_ex(obj, "error", &e) &&
			json_object_is_type(e, json_type_object))
			obj = e;
		if (json_object_object_get_ex(obj, "message", &v) &&
			json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
		if (json_object_object_get_ex(obj, "status", &v) &&
			json_object_is_type(v, json_type_string))
		{
			snprintf(err->status, sizeof(err->status), "%s",
					 json_object_get_string(v));
			have_status = true;
		}
		if (json_object_object_get_ex(obj, "code", &v) &&
			json_object_is_type(v, json_type_int))
			code = json_object_get_int(v);
		if (json_object_object_get_ex(obj, "details", &v) &&
			json_object_is_type(v, json_type_array))
		{
			size_t		i,
						n = json_object_array_length(v);

			for (i = 0; i < n; i++)
			{
				json_object *d = json_object_array_get_idx(v, i);
				json_object *t;

				if (!json_object_is_type(d, json_type_object) ||
					!json_object_object_get_ex(d, "@type", &t))
					continue;
				if (ends_with(json_object_get_string(t), "google.rpc.RetryInfo"))
				{
					json_object *rd;

					if (json_object_object_get_ex(d, "retryDelay", &rd) &&
						json_object_is_type(rd, json_type_string))
						err->retry_delay = parse_duration(json_object_get_string(rd));
				}
				else if (ends_with(json_object_get_string(t), "google.rpc.ResourceInfo"))
				{
					json_object *rt;

					if (json_object_object_get_ex(d, "resourceType", &rt) &&
						ends_with(json_object_get_string(rt), "google.spanner.v1.Session"))
						err->session_gone = true;
				}
			}
		}
	}

	if (have_status)
		err->grpc_code = sp_grpc_code_from_name(err->status);
	else if (code >= 0 && code <= 16)
		err->grpc_code = code;	/* emulator: a gRPC code, wrapped or not */
	else if (code >= 100)
		err->grpc_code = sp_grpc_code_from_http(code);
	else
		err->grpc_code = sp_grpc_code_from_http(http_status);

	if (!have_status)
		snprintf(err->status, sizeof(err->status), "%s",
				 sp_grpc_code_name(err->grpc_code));

	if (msg)
		snprintf(err->message, sizeof(err->message), "%s", msg);
	else
		snprintf(err->message, sizeof(err->message),
				 "HTTP status %ld with no error message", http_status);

	/* Production: 404 NOT_FOUND "Session not found: ..." */
	if (err->grpc_code == SP_GRPC_NOT_FOUND && msg &&
		strncmp(msg, "Session not found", 17) == 0)
		err->session_gone = true;
	/*
	 * Emulator: NOT_FOUND "Transaction not found: N" for a transaction id
	 * the session does not hold.  A client names only transactions it began
	 * on its session, so this session is not the one they were begun on: a
	 * restarted emulator numbers sessions from 0 again, and the name now
	 * belongs to a new session.  (Production answers ABORTED.)
	 */
	if (err->grpc_code == SP_GRPC_NOT_FOUND && msg &&
		strncmp(msg, "Transaction not found", 21) == 0 && !err->session_gone)
		err->session_gone = err->txn_not_found = true;
	/* Emulator: NOT_FOUND with details cannot be marshalled (HTTP 500) */
	if (http_status == 500 && code == 13 && msg &&
		strcmp(msg, "failed to marshal error message") == 0)
		err->session_gone = true;
}

void
sp_error_from_body(SpError *err, long http_status, const char *body, size_t len)
{
	json_tokener *tok;
	json_object *obj = NULL;

	/* a longer body is no error body of Spanner's: its start is shown */
	tok = len <= SP_MAX_ERROR_BODY ? json_tokener_new_ex(32) : NULL;
	if (tok && body && len > 0)
	{
		obj = json_tokener_parse_ex(tok, body, (int) len);
		if (json_tokener_get_error(tok) != json_tokener_success)
		{
			json_object_put(obj);
			obj = NULL;
		}
	}
	if (tok)
		json_tokener_free(tok);

	if (obj)
		sp_error_from_json(err, http_status, obj);
	else
	{
		int			n = (int) (len > 300 ? 300 : len);
		int			i;

		err->kind = SP_ERR_REMOTE;
		err->http_status = http_status;
		err->foreign_body = true;
		err->grpc_code = sp_grpc_code_from_http(http_status);
		snprintf(err->status, sizeof(err->status), "%s",
				 sp_grpc_code_name(err->grpc_code));
		snprintf(err->message, sizeof(err->message),
				 "HTTP status %ld, body: %.*s", http_status, n, body ? body : "");
		/* keep the message printable */
		for (i = 0; err->message[i]; i++)
			if ((unsigned char) err->message[i] < 0x20)
				err->message[i] = ' ';
	}
	json_object_put(obj);
}

/*
 * sp_error_on_session: a request addressed to a session (a query, a
 * commit, a session GET) was answered NOT_FOUND with an empty body.  The
 * emulator's streaming gateway answers so for a session that is gone;
 * nothing else on a session path is "not found" without a message.
 */
void
sp_error_on_session(SpError *err, size_t body_len)
{
	if (err->kind == SP_ERR_REMOTE && err->http_status == 404 && body_len == 0)
		err->session_gone = true;
}

/*
 * sp_error_broken_stream: an INTERNAL error that only reports an HTTP/2
 * stream broken on the way (the wordings Google's client libraries retry),
 * not a failure of the request itself.
 */
bool
sp_error_broken_stream(const SpError *err)
{
	static const char *const markers[] = {
		"RST_STREAM",
		"Received Rst Stream",
		"Received unexpected EOS on DATA frame from server",
		"HTTP/2 error code: INTERNAL_ERROR",
		"Connection closed with unknown cause",
	};
	size_t		i;

	if (err->kind != SP_ERR_REMOTE || err->grpc_code != SP_GRPC_INTERNAL)
		return false;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strstr(err->message, markers[i]) != NULL)
			return true;
	return false;
}

/*
 * sp_error_transient: see sp_client.h.  A lost session is not transient:
 * it needs a new session, which is the caller's business.
 */
bool
sp_error_transient(const SpError *err)
{
	switch (err->kind)
	{
		case SP_ERR_TRANSPORT:
			return err->conn_lost;
		case SP_ERR_REMOTE:
			if (err->session_gone)
				return false;
			if (err->grpc_code == SP_GRPC_UNAVAILABLE ||
				err->grpc_code == SP_GRPC_RESOURCE_EXHAUSTED)
				return true;
			/*
			 * A proxy or load balancer in front of Spanner; Spanner's own
			 * DEADLINE_EXCEEDED (also 504) is not repeated: it was the
			 * request's whole time.
			 */
			if (err->http_status == 502 || err->http_status == 503 ||
				(err->http_status == 504 && err->foreign_body))
				return true;
			return sp_error_broken_stream(err);
		default:
			return false;
	}
}
