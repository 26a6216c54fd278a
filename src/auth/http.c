/*-------------------------------------------------------------------------
 *
 * http.c
 *		  One-shot HTTP requests over libcurl for the auth client
 *
 * Every request gets a fresh easy handle that is cleaned up before
 * returning, on every path.  Settings: CURLOPT_NOSIGNAL, an error buffer,
 * http/https only (redirects are not followed), TLS peer and host always
 * verified (optional CA file), caller's connect / total timeouts (shorter
 * ones for link-local metadata services, which also bypass any proxy), a
 * response size limit, and a progress callback that asks the caller's
 * interrupt function whether to abort.
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

#include <curl/curl.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

#define DEFAULT_CONNECT_TIMEOUT_MS	10000L
#define DEFAULT_TIMEOUT_MS			30000L
#define METADATA_CONNECT_TIMEOUT_MS 2000L
#define METADATA_TIMEOUT_MS			5000L

typedef struct TransferState
{
	const SpAuthConfig *cfg;
	SpBuf		body;
	bool		too_large;
	bool		cancelled;
} TransferState;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static int	progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
						curl_off_t ultotal, curl_off_t ulnow);
static void free_header_list(struct curl_slist *list);

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	TransferState *st = userdata;
	size_t		n = size * nmemb;

	if (st->body.len + n > SP_MAX_RESPONSE_BYTES)
	{
		st->too_large = true;
		return 0;				/* makes libcurl fail with a write error */
	}
	if (!spbuf_append(&st->body, ptr, n))
		return 0;
	return n;
}

static int
progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	TransferState *st = clientp;

	if (st->cfg->interrupt_fn && st->cfg->interrupt_fn(st->cfg->interrupt_arg))
	{
		st->cancelled = true;
		return 1;
	}
	return 0;
}

/* Header lines may carry secrets (bearer tokens): wipe them first. */
static void
free_header_list(struct curl_slist *list)
{
	struct curl_slist *p;

	for (p = list; p; p = p->next)
		sp_wipe(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static long
min_positive(long a, long b)
{
	if (a <= 0)
		return b;
	return a < b ? a : b;
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
	CURL	   *curl = NULL;
	struct curl_slist *headers = NULL;
	struct curl_slist *tmp;
	TransferState st;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	rc;
	long		connect_ms;
	long		total_ms;
	int			result = -1;
	const char *const *h;
	bool		has_body;

	memset(resp, 0, sizeof(*resp));
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	spbuf_init(&st.body);
	errbuf[0] = '\0';

	if (cfg->interrupt_fn && cfg->interrupt_fn(cfg->interrupt_arg))
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

	curl = curl_easy_init();
	if (curl == NULL)
	{
		sp_err_set(err, SP_AUTH_ERR_INTERNAL, "could not create a libcurl handle");
		return -1;
	}

	for (h = req->headers; h && *h; h++)
	{
		tmp = curl_slist_append(headers, *h);
		if (tmp == NULL)
			goto oom;
		headers = tmp;
	}
	has_body = strcmp(req->method, "GET") != 0;
	if (has_body)
	{
		/* no "Expect: 100-continue" round trip */
		tmp = curl_slist_append(headers, "Expect:");
		if (tmp == NULL)
			goto oom;
		headers = tmp;
	}

#define SETOPT(opt, val) \
	do { if (curl_easy_setopt(curl, opt, val) != CURLE_OK) goto setopt_failed; } while (0)

	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file && cfg->ca_file[0])
		SETOPT(CURLOPT_CAINFO, cfg->ca_file);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, total_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) SP_MAX_RESPONSE_BYTES);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, &st);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_XFERINFOFUNCTION, progress_cb);
	SETOPT(CURLOPT_XFERINFODATA, &st);
	SETOPT(CURLOPT_USERAGENT, "spanner_fdw-auth/1.0");
	if (req->metadata)
		SETOPT(CURLOPT_PROXY, "");	/* never proxy link-local metadata */
	if (headers)
		SETOPT(CURLOPT_HTTPHEADER, headers);
	if (has_body)
	{
		SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE,
			   (curl_off_t) (req->body ? req->body_len : 0));
		if (strcmp(req->method, "POST") != 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SETOPT

	rc = curl_easy_perform(curl);
	if (st.cancelled)
	{
		sp_err_set(err, SP_AUTH_ERR_CANCELLED,
				   "request to %s was cancelled", req->service);
		goto done;
	}
	if (st.too_large || rc == CURLE_FILESIZE_EXCEEDED)
	{
		sp_err_set(err, SP_AUTH_ERR_HTTP,
				   "response from %s is larger than %d bytes",
				   req->service, SP_MAX_RESPONSE_BYTES);
		sp_err_detail(err, "URL: %s", req->url);
		goto done;
	}
	if (rc != CURLE_OK)
	{
		if (st.body.failed)
		{
			sp_err_oom(err);
			goto done;
		}
		sp_err_set(err, req->fail_kind,
				   "could not reach %s at %s: %s", req->service, req->url,
				   errbuf[0] ? errbuf : curl_easy_strerror(rc));
		if (rc == CURLE_OPERATION_TIMEDOUT)
			sp_err_hint(err, "The request took longer than the timeout (%ld ms to connect, %ld ms in all).",
						connect_ms, total_ms);
		else if (req->metadata)
			sp_err_hint(err, "AWS metadata services are reachable only on EC2, ECS or EKS; elsewhere set AWS_REGION or give explicit AWS keys in the user mapping.");
		goto done;
	}
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK)
	{
		sp_err_set(err, SP_AUTH_ERR_INTERNAL, "libcurl did not report an HTTP status");
		goto done;
	}
	resp->len = st.body.len;
	resp->body = spbuf_finish(&st.body);
	if (resp->body == NULL)
		goto oom;
	result = 0;
	goto done;

setopt_failed:
	sp_err_set(err, SP_AUTH_ERR_INTERNAL,
			   "could not configure libcurl for %s", req->service);
	goto done;
oom:
	sp_err_oom(err);
done:
	curl_easy_cleanup(curl);
	free_header_list(headers);
	spbuf_free(&st.body);
	if (result != 0)
		sp_http_response_free(resp);
	return result;
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
