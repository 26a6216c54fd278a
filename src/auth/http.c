/*-------------------------------------------------------------------------
 *
 * http.c
 *		  HTTP requests of the auth client (STS, IAM Credentials, AWS
 *		  metadata), made with the REST client's transport (src/rest).
 *
 * One transport for everything the extension sends: the same libcurl
 * settings (TLS peer and host always verified, optional CA file, http and
 * https only, no redirects), the same wait loop, so a token exchange sleeps
 * in the caller's wait callback (WaitLatchOrSocket in a backend) and a
 * cancel interrupts it at once.  Each request gets a short-lived
 * connection; link-local metadata services get shorter timeouts and never
 * go through a proxy.  Bodies may hold tokens: they are wiped when freed.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/http.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"
#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define DEFAULT_CONNECT_TIMEOUT_MS	10000L
#define DEFAULT_TIMEOUT_MS			30000L
#define METADATA_CONNECT_TIMEOUT_MS 2000L
#define METADATA_TIMEOUT_MS			5000L

static long
min_positive(long a, long b)
{
	if (a <= 0)
		return b;
	return a < b ? a : b;
}

/* The REST client's interrupt callback, from ours. */
static bool
interrupted(void *arg)
{
	const SpAuthConfig *cfg = arg;

	return cfg->interrupt_fn && cfg->interrupt_fn(cfg->interrupt_arg);
}

static bool
wait_cb(void *arg, int fd, bool want_read, bool want_write, long timeout_ms)
{
	const SpAuthConfig *cfg = arg;

	return cfg->wait_fn(cfg->wait_arg, fd, want_read, want_write, timeout_ms);
}

/*
 * Perform one request.  Returns 0 when an HTTP response arrived (any
 * status: the caller interprets it) with *resp filled (free with
 * sp_http_response_free), or -1 with *err set for transport failures,
 * cancellation and oversized responses.
 */
int
sp_http_perform(const SpAuthConfig *cfg, const SpHttpRequest *req,
				SpHttpResponse *resp, SpAuthError *err)
{
	SpConnConfig cc;
	SpConn	   *conn;
	SpHttpCall	call;
	SpHttpReply reply;
	SpError		e;
	long		connect_ms;
	long		total_ms;

	memset(resp, 0, sizeof(*resp));
	if (interrupted((void *) cfg))
	{
		sp_err_set(err, SP_AUTH_ERR_CANCELLED,
				   "request to %s was cancelled", req->service);
		return -1;
	}

	connect_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
		: DEFAULT_CONNECT_TIMEOUT_MS;
	total_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (req->metadata)
	{
		connect_ms = min_positive(connect_ms, METADATA_CONNECT_TIMEOUT_MS);
		total_ms = min_positive(total_ms, METADATA_TIMEOUT_MS);
	}

	memset(&cc, 0, sizeof(cc));
	cc.endpoint = req->url;
	cc.ca_file = cfg->ca_file;
	cc.connect_timeout_ms = connect_ms;
	cc.max_response = SP_MAX_RESPONSE_BYTES;
	cc.wait = cfg->wait_fn ? wait_cb : NULL;
	cc.wait_arg = (void *) cfg;
	cc.interrupted = interrupted;
	conn = sp_conn_new(&cc, &e);
	if (conn == NULL)
	{
		sp_err_oom(err);
		return -1;
	}

	memset(&call, 0, sizeof(call));
	call.method = req->method;
	call.url = req->url;
	call.headers = req->headers;
	call.body = req->body;
	call.body_len = req->body ? req->body_len : 0;
	call.no_proxy = req->metadata;
	call.timeout_ms = total_ms;
	call.max_response = SP_MAX_RESPONSE_BYTES;

	if (!sp_conn_fetch(conn, &call, &reply, &e))
	{
		sp_conn_free(conn);
		switch (e.kind)
		{
			case SP_ERR_CANCELLED:
				sp_err_set(err, SP_AUTH_ERR_CANCELLED,
						   "request to %s was cancelled", req->service);
				break;
			case SP_ERR_TOO_LARGE:
				sp_err_set(err, SP_AUTH_ERR_HTTP,
						   "response from %s is larger than %d bytes",
						   req->service, SP_MAX_RESPONSE_BYTES);
				sp_err_detail(err, "URL: %s", req->url);
				break;
			case SP_ERR_NOMEM:
				sp_err_oom(err);
				break;
			case SP_ERR_USAGE:
				sp_err_set(err, SP_AUTH_ERR_INTERNAL,
						   "could not configure libcurl for %s", req->service);
				break;
			default:
				sp_err_set(err, req->fail_kind,
						   "could not reach %s at %s: %s", req->service, req->url,
						   e.message);
				if (e.timed_out)
					sp_err_hint(err, "The request took longer than the timeout (%ld ms to connect, %ld ms in all).",
								connect_ms, total_ms);
				else if (req->metadata)
					sp_err_hint(err, "AWS metadata services are reachable only on EC2, ECS or EKS; elsewhere set AWS_REGION or give explicit AWS keys in the user mapping.");
				break;
		}
		return -1;
	}
	sp_conn_free(conn);
	resp->status = reply.status;
	resp->body = reply.body;
	resp->len = reply.len;
	return 0;
}

void
sp_http_response_free(SpHttpResponse *resp)
{
	if (resp->body)
	{
		sp_wipe(resp->body, resp->len);
		free(resp->body);
	}
	resp->body = NULL;
	resp->len = 0;
}
