/*-------------------------------------------------------------------------
 *
 * sp_http.c
 *		  libcurl transport for the Spanner REST client: a connection (one
 *		  multi handle, a small pool of keep-alive easy handles), unary
 *		  calls and pull-driven streaming queries.
 *
 * All transfers run on one curl multi handle per connection, so the easy
 * handles share its connection cache: a second stream opened while the
 * first is still being read gets its own TCP connection (HTTP/1.1) and
 * later requests reuse whichever is idle.  We never block inside libcurl:
 * the loop in drive() asks libcurl what to wait for and calls the caller's
 * wait callback, which in a backend sleeps on the socket and the latch and reports a
 * pending cancel.  libcurl callbacks never longjmp; they return an abort
 * value and the error is raised by the caller after the transfer is gone.
 *
 * Streams pause their transfer (CURL_WRITEFUNC_PAUSE) while two parsed
 * PartialResultSets are waiting, which bounds memory whatever the size of
 * the result.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/rest/sp_http.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "rest/sp_client.h"

#ifdef POSTGRES_H
#error "src/rest must not include postgres.h"
#endif

#define SP_POOL_MAX			8
#define SP_DEFAULT_MAX_RESPONSE (64 * 1024 * 1024)
#define SP_STREAM_QUEUE_HIGH 2
#define SP_USER_AGENT		"spanner_fdw/1.0"

/* One transfer in flight on the multi handle. */
typedef struct SpXfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	bool		in_multi;
	bool		done;
	CURLcode	result;
	char		errbuf[CURL_ERROR_SIZE];
} SpXfer;

/* A socket libcurl opened for a connection, watched for the server's close. */
typedef struct SpSocket
{
	int			fd;
	bool		reported;		/* its close was reported already */
} SpSocket;

#define SP_MAX_SOCKETS		32

struct SpConn
{
	char	   *endpoint;
	char	   *ca_file;
	long		connect_timeout_ms;
	long		request_timeout_ms;
	long		read_timeout_ms;
	size_t		max_response;
	sp_wait_fn	wait;
	void	   *wait_arg;
	bool		(*interrupted) (void *arg);
	char	   *auth_header;	/* "Authorization: Bearer ..." or NULL */
	CURLM	   *multi;
	struct SpUnary *unary;		/* the unary call in progress, if any */
	CURL	   *idle[SP_POOL_MAX];	/* idle easy handles */
	int			nidle;
	SpSocket	socks[SP_MAX_SOCKETS];	/* sockets libcurl opened for it */
	int			nsocks;
	bool		broken;			/* a transfer failed at the transport level
								 * since sp_conn_server_lost() last looked */
};

/* Growable byte buffer for unary responses and error bodies. */
typedef struct SpBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	size_t		limit;
	bool		overflow;
	bool		nomem;
} SpBuf;

/*
 * A unary call's state lives on the heap, owned by the connection, so that
 * if the caller's wait callback longjmps out (it should not, but a backend
 * can fail inside WaitLatchOrSocket) nothing registered with libcurl points
 * into a dead stack frame: the next call on the connection cleans it up.
 */
/*
 * The body of a request that must never be sent twice, handed to libcurl
 * through a read callback that cannot rewind: libcurl then cannot quietly
 * re-send it on a new connection when a reused one closes before the
 * answer (it does so for POSTFIELDS bodies), and the transfer fails.
 */
typedef struct SpOnceBody
{
	const char *data;
	size_t		len;
	size_t		pos;
	bool		resend;			/* libcurl tried to send it again */
} SpOnceBody;

typedef struct SpUnary
{
	SpXfer		x;
	SpBuf		b;
	char	   *url;
	SpOnceBody	once;
} SpUnary;

struct SpStream
{
	SpConn	   *conn;
	SpXfer		xfer;
	SpRowReader *rd;
	char	   *url;
	char	   *body;
	bool		started;
	bool		paused;
	bool		failed;
	long		http_status;
	SpBuf		errbody;		/* body of a non-200 response */
	SpError		parse_error;	/* error raised inside the write callback */
	bool		have_parse_error;
	long		rows;
	int			resumes;		/* times the stream was resumed */
	char		resume_cause[200];	/* why it was last resumed */
};

#define SP_MAX_RESUMES 3

struct SpUnary;
static void unary_free(SpConn *conn, struct SpUnary *u, bool reusable);
static bool call_json(SpConn *conn, const char *method, const char *path,
					  const char *body, bool once, json_object **resp,
					  SpError *err);

static void
buf_free(SpBuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static bool
buf_append(SpBuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->limit)
	{
		b->overflow = true;
		return false;
	}
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap : 4096;
		char	   *nd;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		/* not realloc: the old bytes may hold a token, wipe them first */
		nd = malloc(ncap);
		if (nd == NULL)
		{
			b->nomem = true;
			return false;
		}
		if (b->data)
		{
			memcpy(nd, b->data, b->len);
			memset(b->data, 0, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

SpConn *
sp_conn_new(const SpConnConfig *cfg, SpError *err)
{
	SpConn	   *conn;
	size_t		elen;

	sp_error_clear(err);
	if (cfg->endpoint == NULL || cfg->endpoint[0] == '\0')
	{
		sp_error_set(err, SP_ERR_USAGE, "no endpoint given");
		return NULL;
	}
	conn = calloc(1, sizeof(SpConn));
	if (conn == NULL)
		goto nomem;
	conn->endpoint = strdup(cfg->endpoint);
	if (conn->endpoint == NULL)
		goto nomem;
	/* no trailing slash */
	elen = strlen(conn->endpoint);
	while (elen > 0 && conn->endpoint[elen - 1] == '/')
		conn->endpoint[--elen] = '\0';
	if (cfg->ca_file && cfg->ca_file[0])
	{
		conn->ca_file = strdup(cfg->ca_file);
		if (conn->ca_file == NULL)
			goto nomem;
	}
	conn->connect_timeout_ms = cfg->connect_timeout_ms;
	conn->request_timeout_ms = cfg->request_timeout_ms;
	conn->max_response = cfg->max_response ? cfg->max_response : SP_DEFAULT_MAX_RESPONSE;
	conn->wait = cfg->wait;
	conn->wait_arg = cfg->wait_arg;
	conn->interrupted = cfg->interrupted;
	conn->read_timeout_ms = cfg->read_timeout_ms;
	conn->multi = curl_multi_init();
	if (conn->multi == NULL)
		goto nomem;
	return conn;

nomem:
	sp_conn_free(conn);
	sp_error_set(err, SP_ERR_NOMEM, "out of memory creating a Spanner connection");
	return NULL;
}

void
sp_conn_free(SpConn *conn)
{
	int			i;

	if (conn == NULL)
		return;
	if (conn->unary)
		unary_free(conn, conn->unary, false);
	for (i = 0; i < conn->nidle; i++)
		curl_easy_cleanup(conn->idle[i]);
	if (conn->multi)
		curl_multi_cleanup(conn->multi);
	free(conn->endpoint);
	free(conn->ca_file);
	if (conn->auth_header)
	{
		/* do not leave the token in freed memory */
		memset(conn->auth_header, 0, strlen(conn->auth_header));
		free(conn->auth_header);
	}
	free(conn);
}

bool
sp_conn_set_token(SpConn *conn, const char *token)
{
	char	   *h = NULL;

	if (token && token[0])
	{
		size_t		n = strlen(token) + 32;

		h = malloc(n);
		if (h == NULL)
			return false;
		snprintf(h, n, "Authorization: Bearer %s", token);
	}
	if (conn->auth_header)
	{
		memset(conn->auth_header, 0, strlen(conn->auth_header));
		free(conn->auth_header);
	}
	conn->auth_header = h;
	return true;
}

void
sp_conn_set_request_timeout(SpConn *conn, long ms)
{
	conn->request_timeout_ms = ms;
}


static CURL *
get_handle(SpConn *conn)
{
	if (conn->nidle > 0)
	{
		CURL	   *e = conn->idle[--conn->nidle];

		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void
put_handle(SpConn *conn, CURL *easy)
{
	if (easy == NULL)
		return;
	if (conn->nidle < SP_POOL_MAX)
		conn->idle[conn->nidle++] = easy;
	else
		curl_easy_cleanup(easy);
}

/*
 * Progress callback: libcurl calls it about once a second and while data
 * flows.  It only asks the caller whether to give up; never longjmps.
 */
static int
progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	SpConn	   *conn = (SpConn *) clientp;

	return (conn->interrupted && conn->interrupted(conn->wait_arg)) ? 1 : 0;
}

static void xfer_detach(SpConn *conn, SpXfer *x);
static bool setup_request_ex(SpConn *conn, SpXfer *x, const char *method,
							 const char *url, const char *body, size_t body_len,
							 const char *const *headers, bool raw, SpError *err);

#define SETOPT(h, opt, val) \
	do { if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) goto setopt_failed; } while (0)

/*
 * Every socket libcurl opens or closes for a connection goes through
 * open_socket_cb / close_socket_cb, which count them.  A caller that keeps
 * state about a socket descriptor between waits (a backend's wait set)
 * compares sp_socket_epoch() to tell whether the descriptor it saw may
 * since name another socket.  (Opens count too: libcurl closes some
 * descriptors it shows, such as its resolver's, without the callback.)
 */
static unsigned long socket_epoch = 0;

unsigned long
sp_socket_epoch(void)
{
	return socket_epoch;
}

static bool peer_closed(int fd);

static int
close_socket_cb(void *clientp, curl_socket_t item)
{
	SpConn	   *conn = (SpConn *) clientp;
	int			i;

	socket_epoch++;
	for (i = 0; conn && i < conn->nsocks; i++)
		if (conn->socks[i].fd == item)
		{
			/* libcurl drops a connection it found dead: that is a sign too */
			if (!conn->socks[i].reported && peer_closed(item))
				conn->broken = true;
			conn->socks[i] = conn->socks[--conn->nsocks];
			break;
		}
	return close(item);
}

static curl_socket_t
open_socket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	SpConn	   *conn = (SpConn *) clientp;
	curl_socket_t s;

	socket_epoch++;
	s = socket(address->family, address->socktype, address->protocol);
	/* (past SP_MAX_SOCKETS a socket is simply not watched) */
	if (s != CURL_SOCKET_BAD && conn && conn->nsocks < SP_MAX_SOCKETS)
	{
		conn->socks[conn->nsocks].fd = s;
		conn->socks[conn->nsocks].reported = false;
		conn->nsocks++;
	}
	return s;
}

/*
 * Has the server closed socket fd?  A socket with something to read is
 * peeked at: end of file or a reset means it was closed (data is a paused
 * stream's, and fine).  Never blocks.
 */
static bool
peer_closed(int fd)
{
	struct pollfd pfd;
	char		c;
	ssize_t		n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 1 || (pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return false;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE ||
								errno == ETIMEDOUT || errno == ECONNABORTED));
}

/* sp_conn_server_lost: see sp_client.h. */
bool
sp_conn_server_lost(SpConn *conn)
{
	bool		lost = conn->broken;
	int			i;

	conn->broken = false;
	for (i = 0; i < conn->nsocks; i++)
		if (!conn->socks[i].reported && peer_closed(conn->socks[i].fd))
		{
			conn->socks[i].reported = true;
			lost = true;
		}
	return lost;
}

/*
 * Common setup of an easy handle for a request.  Returns false with err set.
 */
static bool
setup_request(SpConn *conn, SpXfer *x, const char *method, const char *url,
			  const char *body, SpError *err)
{
	return setup_request_ex(conn, x, method, url, body, body ? strlen(body) : 0,
							NULL, false, err);
}

/*
 * Set up an easy handle.  headers: extra "Name: value" lines; raw: a
 * request outside the Spanner API (no JSON content type, no bearer token,
 * HTTP/1.1).
 */
static bool
setup_request_ex(SpConn *conn, SpXfer *x, const char *method, const char *url,
				 const char *body, size_t body_len, const char *const *headers,
				 bool raw, SpError *err)
{
	CURL	   *e = x->easy;
	struct curl_slist *h = NULL,
			   *n;

	x->errbuf[0] = '\0';
	SETOPT(e, CURLOPT_URL, url);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
	SETOPT(e, CURLOPT_CLOSESOCKETDATA, (void *) conn);
	SETOPT(e, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
	SETOPT(e, CURLOPT_OPENSOCKETDATA, (void *) conn);
	SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (conn->ca_file)
		SETOPT(e, CURLOPT_CAINFO, conn->ca_file);
	if (!raw)
		SETOPT(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(e, CURLOPT_TCP_NODELAY, 1L);
	SETOPT(e, CURLOPT_USERAGENT, SP_USER_AGENT);
	SETOPT(e, CURLOPT_PRIVATE, (void *) x);
	if (conn->connect_timeout_ms > 0)
		SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, conn->connect_timeout_ms);
	if (conn->read_timeout_ms > 0)
	{
		/* less than 1 byte/s for that long: the peer is gone */
		SETOPT(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		SETOPT(e, CURLOPT_LOW_SPEED_TIME, (conn->read_timeout_ms + 999) / 1000);
	}
	if (conn->interrupted)
	{
		SETOPT(e, CURLOPT_NOPROGRESS, 0L);
		SETOPT(e, CURLOPT_XFERINFOFUNCTION, progress_cb);
		SETOPT(e, CURLOPT_XFERINFODATA, (void *) conn);
	}

	if (strcmp(method, "GET") == 0)
		SETOPT(e, CURLOPT_HTTPGET, 1L);
	else
	{
		SETOPT(e, CURLOPT_POST, 1L);
		SETOPT(e, CURLOPT_POSTFIELDSIZE, (long) (body ? body_len : 0));
		/*
		 * Raw requests (token exchanges) carry secrets in the body: let
		 * libcurl read the caller's buffer, which outlives the synchronous
		 * call, rather than keep a copy of its own.
		 */
		if (raw)
			SETOPT(e, CURLOPT_POSTFIELDS, body ? body : "");
		else
			SETOPT(e, CURLOPT_COPYPOSTFIELDS, body ? body : "");
		if (strcmp(method, "POST") != 0)
			SETOPT(e, CURLOPT_CUSTOMREQUEST, method);
	}

	if (!raw)
	{
		n = curl_slist_append(h, "Content-Type: application/json");
		if (n == NULL)
			goto nomem;
		h = n;
	}
	for (; headers && *headers; headers++)
	{
		n = curl_slist_append(h, *headers);
		if (n == NULL)
			goto nomem;
		h = n;
	}
	n = curl_slist_append(h, "Expect:");
	if (n == NULL)
		goto nomem;
	h = n;
	if (conn->auth_header && !raw)
	{
		n = curl_slist_append(h, conn->auth_header);
		if (n == NULL)
			goto nomem;
		h = n;
	}
	x->headers = h;
	SETOPT(e, CURLOPT_HTTPHEADER, h);
	return true;

setopt_failed:
	x->headers = h;
	xfer_detach(conn, x);
	sp_error_set(err, SP_ERR_USAGE, "could not set a libcurl option (libcurl too old?)");
	return false;
nomem:
	x->headers = h;
	xfer_detach(conn, x);
	sp_error_set(err, SP_ERR_NOMEM, "out of memory");
	return false;
}

static void
xfer_detach(SpConn *conn, SpXfer *x)
{
	if (x->in_multi)
	{
		curl_multi_remove_handle(conn->multi, x->easy);
		x->in_multi = false;
	}
	if (x->headers)
	{
		/*
		 * The header list holds the bearer token; wipe the copy before it is
		 * freed.
		 */
		struct curl_slist *h;

		for (h = x->headers; h; h = h->next)
			memset(h->data, 0, strlen(h->data));
		curl_slist_free_all(x->headers);
		x->headers = NULL;
	}
}

/* Collect completion messages for every transfer of the connection. */
static void
collect_done(SpConn *conn)
{
	CURLMsg    *m;
	int			left;

	while ((m = curl_multi_info_read(conn->multi, &left)) != NULL)
	{
		if (m->msg == CURLMSG_DONE)
		{
			SpXfer	   *x = NULL;

			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &x);
			if (x)
			{
				x->done = true;
				x->result = m->data.result;
			}
		}
	}
}

/*
 * Drive the connection's transfers until cond(arg) holds or x is done.
 * Returns false with err set if the caller's wait callback asked to stop or
 * libcurl's multi interface failed.
 */
typedef bool (*drive_cond) (void *arg);

static bool
drive(SpConn *conn, SpXfer *x, drive_cond cond, void *arg, SpError *err)
{
	for (;;)
	{
		int			running;
		CURLMcode	mc;

		mc = curl_multi_perform(conn->multi, &running);
		if (mc != CURLM_OK)
		{
			sp_error_set(err, SP_ERR_TRANSPORT, "libcurl multi error: %s",
						 curl_multi_strerror(mc));
			return false;
		}
		collect_done(conn);
		if (x->done || (cond && cond(arg)))
			return true;

		if (conn->wait)
		{
			fd_set		rfds,
						wfds,
						efds;
			int			maxfd = -1;
			long		timeout = -1;
			int			fd = -1;
			bool		want_r = false,
						want_w = false;

			FD_ZERO(&rfds);
			FD_ZERO(&wfds);
			FD_ZERO(&efds);
			curl_multi_fdset(conn->multi, &rfds, &wfds, &efds, &maxfd);
			curl_multi_timeout(conn->multi, &timeout);
			if (timeout < 0 || timeout > 1000)
				timeout = 1000;
			if (maxfd >= 0)
			{
				int			i,
							count = 0;

				for (i = 0; i <= maxfd; i++)
				{
					bool		r = FD_ISSET(i, &rfds),
								w = FD_ISSET(i, &wfds);

					if (r || w)
					{
						count++;
						fd = i;
						want_r = r;
						want_w = w;
					}
				}
				if (count > 1)
				{
					/* several sockets: poll briefly */
					fd = -1;
					if (timeout > 10)
						timeout = 10;
				}
			}
			else if (running > 0 && timeout > 10)
			{
				/*
				 * A transfer with no socket to show: name resolution, or a
				 * descriptor above FD_SETSIZE that curl_multi_fdset cannot
				 * report.  Poll briefly rather than sleep blind.
				 */
				timeout = 10;
			}
			if (timeout == 0)
			{
				if (conn->interrupted && conn->interrupted(conn->wait_arg))
				{
					sp_error_set(err, SP_ERR_CANCELLED, "request cancelled");
					return false;
				}
				continue;
			}
			if (conn->wait(conn->wait_arg, fd, want_r, want_w, timeout))
			{
				sp_error_set(err, SP_ERR_CANCELLED, "request cancelled");
				return false;
			}
		}
		else
		{
			int			numfds;

			mc = curl_multi_poll(conn->multi, NULL, 0, 1000, &numfds);
			if (mc != CURLM_OK)
			{
				sp_error_set(err, SP_ERR_TRANSPORT, "libcurl multi error: %s",
							 curl_multi_strerror(mc));
				return false;
			}
		}
	}
}

static void
transport_error(SpConn *conn, SpError *err, SpXfer *x, CURLcode rc)
{
	err->kind = (rc == CURLE_ABORTED_BY_CALLBACK) ? SP_ERR_CANCELLED : SP_ERR_TRANSPORT;
	err->timed_out = (rc == CURLE_OPERATION_TIMEDOUT);
	/* the connection was up: it broke while the request was in flight */
	err->conn_lost = (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
					  rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
					  rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM);
	/*
	 * A request sent on a kept-alive connection that then broke is sent
	 * again by libcurl on a new one; if that cannot connect (the server is
	 * gone), the result is a connect failure, but the error buffer keeps
	 * the first failure of the transfer: the request may have reached the
	 * server all the same.
	 */
	if (rc == CURLE_COULDNT_CONNECT &&
		(strncmp(x->errbuf, "Recv failure", 12) == 0 ||
		 strncmp(x->errbuf, "Send failure", 12) == 0))
		err->conn_lost = true;
	if (err->kind == SP_ERR_TRANSPORT)
		conn->broken = true;
	snprintf(err->message, sizeof(err->message), "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
}

static size_t
unary_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	SpBuf	   *b = (SpBuf *) userdata;
	size_t		n = size * nmemb;

	if (!buf_append(b, ptr, n))
		return 0;				/* abort the transfer */
	return n;
}

static void
unary_free(SpConn *conn, SpUnary *u, bool reusable)
{
	if (u == NULL)
		return;
	if (u->x.easy)
	{
		bool		failed_midway = u->x.in_multi && !u->x.done;

		xfer_detach(conn, &u->x);
		if (failed_midway || !reusable)
			curl_easy_cleanup(u->x.easy);	/* do not reuse its state */
		else
			put_handle(conn, u->x.easy);
	}
	buf_free(&u->b);
	free(u->url);
	free(u);
	if (conn->unary == u)
		conn->unary = NULL;
}

/*
 * Start a unary transfer: a previous one abandoned by a longjmp is cleaned
 * up first.  NULL (err set) when out of memory.
 */
static SpUnary *
unary_begin(SpConn *conn, size_t limit, SpError *err)
{
	SpUnary    *u;

	if (conn->unary)
		unary_free(conn, conn->unary, false);
	u = calloc(1, sizeof(SpUnary));
	if (u == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	conn->unary = u;
	u->b.limit = limit;
	return u;
}

static size_t
once_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	SpOnceBody *ob = (SpOnceBody *) arg;
	size_t		n = size * nitems;

	if (n > ob->len - ob->pos)
		n = ob->len - ob->pos;
	memcpy(buf, ob->data + ob->pos, n);
	ob->pos += n;
	return n;
}

static int
once_seek_cb(void *arg, curl_off_t offset, int origin)
{
	SpOnceBody *ob = (SpOnceBody *) arg;

	/* the only rewind of a fresh request is libcurl's re-send */
	if (offset == 0 && origin == SEEK_SET && ob->pos == 0)
		return CURL_SEEKFUNC_OK;
	ob->resend = true;
	return CURL_SEEKFUNC_FAIL;
}

/*
 * Run a unary transfer to completion; *status gets the HTTP status and u->b
 * the body.  raw: a request outside the Spanner API (see setup_request_ex).
 */
static bool
unary_run(SpConn *conn, SpUnary *u, const SpHttpCall *call, bool raw,
		  long *status, SpError *err)
{
	long		timeout = raw ? call->timeout_ms : conn->request_timeout_ms;

	u->x.easy = get_handle(conn);
	if (u->x.easy == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return false;
	}
	if (!setup_request_ex(conn, &u->x, call->method, call->url, call->body,
						  call->body_len, call->headers, raw, err))
		return false;
	if (curl_easy_setopt(u->x.easy, CURLOPT_WRITEFUNCTION, unary_write_cb) != CURLE_OK ||
		curl_easy_setopt(u->x.easy, CURLOPT_WRITEDATA, (void *) &u->b) != CURLE_OK ||
		(timeout > 0 &&
		 curl_easy_setopt(u->x.easy, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK) ||
		(call->no_proxy &&
		 curl_easy_setopt(u->x.easy, CURLOPT_PROXY, "") != CURLE_OK))
	{
		sp_error_set(err, SP_ERR_USAGE, "could not set a libcurl option");
		return false;
	}
	memset(&u->once, 0, sizeof(u->once));
	if (call->send_once && call->body)
	{
		u->once.data = call->body;
		u->once.len = call->body_len;
		if (curl_easy_setopt(u->x.easy, CURLOPT_POSTFIELDS, NULL) != CURLE_OK ||
			curl_easy_setopt(u->x.easy, CURLOPT_READFUNCTION, once_read_cb) != CURLE_OK ||
			curl_easy_setopt(u->x.easy, CURLOPT_READDATA, (void *) &u->once) != CURLE_OK ||
			curl_easy_setopt(u->x.easy, CURLOPT_SEEKFUNCTION, once_seek_cb) != CURLE_OK ||
			curl_easy_setopt(u->x.easy, CURLOPT_SEEKDATA, (void *) &u->once) != CURLE_OK)
		{
			sp_error_set(err, SP_ERR_USAGE, "could not set a libcurl option");
			return false;
		}
	}
	else if (curl_easy_setopt(u->x.easy, CURLOPT_READFUNCTION, NULL) != CURLE_OK ||
			 curl_easy_setopt(u->x.easy, CURLOPT_READDATA, NULL) != CURLE_OK ||
			 curl_easy_setopt(u->x.easy, CURLOPT_SEEKFUNCTION, NULL) != CURLE_OK ||
			 curl_easy_setopt(u->x.easy, CURLOPT_SEEKDATA, NULL) != CURLE_OK)
	{
		sp_error_set(err, SP_ERR_USAGE, "could not set a libcurl option");
		return false;
	}
	if (curl_multi_add_handle(conn->multi, u->x.easy) != CURLM_OK)
	{
		sp_error_set(err, SP_ERR_TRANSPORT, "could not start an HTTP request");
		return false;
	}
	u->x.in_multi = true;
	if (!drive(conn, &u->x, NULL, NULL, err))
		return false;
	if (u->x.result != CURLE_OK)
	{
		if (u->b.overflow)
			sp_error_set(err, SP_ERR_TOO_LARGE, "response larger than %zu bytes",
						 u->b.limit);
		else if (u->b.nomem)
			sp_error_set(err, SP_ERR_NOMEM, "out of memory reading a response");
		else
			transport_error(conn, err, &u->x, u->x.result);
		if (u->once.resend)
		{
			snprintf(err->message, sizeof(err->message),
					 "the connection closed before Spanner answered; the request was not sent again");
			err->conn_lost = true;
		}
		return false;
	}
	curl_easy_getinfo(u->x.easy, CURLINFO_RESPONSE_CODE, status);
	return true;
}

bool
sp_conn_call(SpConn *conn, const char *method, const char *path,
			 const char *body, json_object **resp, SpError *err)
{
	return call_json(conn, method, path, body, false, resp, err);
}

bool
sp_conn_call_once(SpConn *conn, const char *method, const char *path,
				  const char *body, json_object **resp, SpError *err)
{
	return call_json(conn, method, path, body, true, resp, err);
}

static bool
call_json(SpConn *conn, const char *method, const char *path, const char *body,
		  bool once, json_object **resp, SpError *err)
{
	SpUnary    *u;
	SpHttpCall	call;
	bool		ok = false;
	long		status = 0;
	size_t		ulen;

	*resp = NULL;
	sp_error_clear(err);
	u = unary_begin(conn, conn->max_response, err);
	if (u == NULL)
		return false;
	ulen = strlen(conn->endpoint) + strlen(path) + 1;
	u->url = malloc(ulen);
	if (u->url == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		goto done;
	}
	snprintf(u->url, ulen, "%s%s", conn->endpoint, path);
	memset(&call, 0, sizeof(call));
	call.method = method;
	call.url = u->url;
	call.body = body;
	call.body_len = body ? strlen(body) : 0;
	call.send_once = once;
	if (!unary_run(conn, u, &call, false, &status, err))
		goto done;
	if (status != 200)
	{
		sp_error_from_body(err, status, u->b.data, u->b.len);
		if (strstr(path, "/sessions/") != NULL)
			sp_error_on_session(err, u->b.len);
		goto done;
	}
	if (u->b.len > 0 &&
		!sp_json_parse_body(u->b.data, u->b.len, conn->max_response, resp, err))
		goto done;
	ok = true;

done:
	if (!ok && err->kind == SP_OK)
		sp_error_set(err, SP_ERR_TRANSPORT, "request failed");
	unary_free(conn, u, true);
	return ok;
}

/*
 * sp_conn_fetch: see sp_client.h.
 */
bool
sp_conn_fetch(SpConn *conn, const SpHttpCall *call, SpHttpReply *reply, SpError *err)
{
	SpUnary    *u;
	bool		ok = false;

	memset(reply, 0, sizeof(*reply));
	sp_error_clear(err);
	u = unary_begin(conn, call->max_response ? call->max_response : conn->max_response,
					err);
	if (u == NULL)
		return false;
	if (!unary_run(conn, u, call, true, &reply->status, err))
		goto done;
	reply->body = malloc(u->b.len + 1);
	if (reply->body == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (u->b.len > 0)
		memcpy(reply->body, u->b.data, u->b.len);
	reply->body[u->b.len] = '\0';
	reply->len = u->b.len;
	ok = true;

done:
	if (!ok && err->kind == SP_OK)
		sp_error_set(err, SP_ERR_TRANSPORT, "request failed");
	/* the body may hold a token: wipe the transfer buffer */
	if (u->b.data)
		memset(u->b.data, 0, u->b.cap);
	unary_free(conn, u, true);
	return ok;
}

/* ---------------------------------------------------------------------
 * Streaming queries
 * ---------------------------------------------------------------------
 */

static size_t
stream_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	SpStream   *st = (SpStream *) userdata;
	size_t		n = size * nmemb;

	if (st->http_status == 0)
		curl_easy_getinfo(st->xfer.easy, CURLINFO_RESPONSE_CODE, &st->http_status);
	if (st->http_status != 200)
	{
		/* keep (a bounded prefix of) the error body */
		if (!buf_append(&st->errbody, ptr, n) && st->errbody.nomem)
			return 0;
		return n;
	}
	if (sp_reader_queued(st->rd) >= SP_STREAM_QUEUE_HIGH)
	{
		st->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (!sp_reader_feed(st->rd, ptr, n, &st->parse_error))
	{
		st->have_parse_error = true;
		return 0;
	}
	return n;
}

SpStream *
sp_stream_open(SpConn *conn, const char *session, const char *rpc,
			   const char *body, size_t resume_cap, SpError *err)
{
	SpStream   *st;
	size_t		ulen;

	sp_error_clear(err);
	st = calloc(1, sizeof(SpStream));
	if (st == NULL)
		goto nomem;
	st->conn = conn;
	st->errbody.limit = SP_MAX_ERROR_BODY;
	st->rd = sp_reader_new(resume_cap);
	ulen = strlen(conn->endpoint) + strlen(session) + strlen(rpc) + 16;
	st->url = malloc(ulen);
	st->body = strdup(body);
	if (st->rd == NULL || st->url == NULL || st->body == NULL)
		goto nomem;
	snprintf(st->url, ulen, "%s/v1/%s:%s", conn->endpoint, session, rpc);
	return st;

nomem:
	sp_stream_close(st);
	sp_error_set(err, SP_ERR_NOMEM, "out of memory");
	return NULL;
}

static bool
stream_start(SpStream *st, SpError *err)
{
	SpConn	   *conn = st->conn;

	st->xfer.easy = get_handle(conn);
	if (st->xfer.easy == NULL)
	{
		sp_error_set(err, SP_ERR_NOMEM, "out of memory");
		return false;
	}
	if (!setup_request(conn, &st->xfer, "POST", st->url, st->body, err))
		return false;
	if (curl_easy_setopt(st->xfer.easy, CURLOPT_WRITEFUNCTION, stream_write_cb) != CURLE_OK ||
		curl_easy_setopt(st->xfer.easy, CURLOPT_WRITEDATA, (void *) st) != CURLE_OK)
	{
		sp_error_set(err, SP_ERR_USAGE, "could not set a libcurl option");
		return false;
	}
	if (curl_multi_add_handle(conn->multi, st->xfer.easy) != CURLM_OK)
	{
		sp_error_set(err, SP_ERR_TRANSPORT, "could not start an HTTP request");
		return false;
	}
	st->xfer.in_multi = true;
	st->started = true;
	return true;
}

static bool
stream_has_data(void *arg)
{
	SpStream   *st = (SpStream *) arg;

	return sp_reader_queued(st->rd) > 0 || st->paused || st->have_parse_error;
}

/*
 * Re-send the request after a break, from the last resume token (or from
 * the start if nothing was released yet).  An inline "begin" becomes the
 * transaction id it returned, so the resumed read sees the same snapshot.
 * Returns false if the stream cannot be resumed.
 */
static bool
stream_resume(SpStream *st)
{
	const char *token = NULL;
	const char *txn;
	json_object *req = NULL;
	json_object *tx;
	const char *nb;
	char	   *newbody;

	/*
	 * The first message may have arrived with the break, not yet read by
	 * anyone: take its metadata now, so that the request resumes in the
	 * transaction it began rather than beginning another (which would read
	 * another snapshot, and end the first on the session).
	 */
	(void) sp_reader_has_metadata(st->rd);
	if (st->resumes >= SP_MAX_RESUMES || !sp_reader_prepare_resume(st->rd, &token))
		return false;
	req = json_tokener_parse(st->body);
	if (req == NULL || !json_object_is_type(req, json_type_object))
	{
		json_object_put(req);
		return false;
	}
	if (token)
		json_object_object_add(req, "resumeToken", json_object_new_string(token));
	txn = sp_reader_transaction_id(st->rd);
	if (txn && json_object_object_get_ex(req, "transaction", &tx) &&
		json_object_object_get_ex(tx, "begin", NULL))
	{
		json_object *sel = json_object_new_object();

		json_object_object_add(sel, "id", json_object_new_string(txn));
		json_object_object_add(req, "transaction", sel);
	}
	nb = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	newbody = nb ? strdup(nb) : NULL;
	json_object_put(req);
	if (newbody == NULL)
		return false;
	free(st->body);
	st->body = newbody;

	/* drop the broken transfer and start another */
	xfer_detach(st->conn, &st->xfer);
	curl_easy_cleanup(st->xfer.easy);
	memset(&st->xfer, 0, sizeof(st->xfer));
	buf_free(&st->errbody);
	st->errbody.overflow = st->errbody.nomem = false;
	st->http_status = 0;
	st->paused = false;
	st->started = false;
	st->resumes++;
	return true;
}

/*
 * Move the transfer forward until at least one PartialResultSet is queued
 * or the transfer ended.  On transfer end, checks its outcome.
 */
static bool
stream_pump(SpStream *st, SpError *err)
{
	if (st->failed)
	{
		sp_error_set(err, SP_ERR_PROTOCOL, "stream already failed");
		return false;
	}
	if (!st->started && !stream_start(st, err))
		goto fail;
	if (st->xfer.done && sp_reader_finished(st->rd))
		return true;
	if (!st->xfer.done)
	{
		if (st->paused)
		{
			st->paused = false;
			curl_easy_pause(st->xfer.easy, CURLPAUSE_CONT);
			if (stream_has_data(st))
				return true;
		}
		/* (the transfer may also complete while another stream is driven) */
		if (!drive(st->conn, &st->xfer, stream_has_data, st, err))
			goto fail;
	}
	if (st->have_parse_error)
	{
		*err = st->parse_error;
		goto fail;
	}
	if (st->xfer.done)
	{
		const SpError *se;
		bool		broke,
					cut,
					failed;
		char		cause[sizeof(st->resume_cause)];

		if (st->http_status == 0)
			curl_easy_getinfo(st->xfer.easy, CURLINFO_RESPONSE_CODE, &st->http_status);
		se = sp_reader_stream_error(st->rd);

		/*
		 * A break after a good start, or an UNAVAILABLE or broken-stream
		 * INTERNAL error element: resume
		 */
		broke = (st->xfer.result != CURLE_OK && st->xfer.result != CURLE_WRITE_ERROR &&
				 st->xfer.result != CURLE_ABORTED_BY_CALLBACK && st->http_status == 200);
		cut = (st->xfer.result == CURLE_OK && st->http_status == 200 && !se &&
			   sp_reader_incomplete(st->rd));
		failed = (st->xfer.result == CURLE_OK && st->http_status == 200 && se &&
				  (se->grpc_code == SP_GRPC_UNAVAILABLE || sp_error_broken_stream(se)));
		if (broke)
			snprintf(cause, sizeof(cause), "%.150s",
					 st->xfer.errbuf[0] ? st->xfer.errbuf
					 : curl_easy_strerror(st->xfer.result));
		else if (cut)
			snprintf(cause, sizeof(cause), "the answer ended before its last message");
		else if (failed)
			snprintf(cause, sizeof(cause), "%.39s: %.150s",
					 se->status[0] ? se->status : "error", se->message);
		if ((broke || cut || failed) && stream_resume(st))
		{
			memcpy(st->resume_cause, cause, sizeof(cause));
			if (!stream_start(st, err))
				goto fail;
			return true;
		}
		if (st->xfer.result != CURLE_OK)
		{
			if (st->errbody.nomem)
				sp_error_set(err, SP_ERR_NOMEM, "out of memory");
			else
			{
				transport_error(st->conn, err, &st->xfer, st->xfer.result);
				err->after_data = st->rows > 0;
			}
			goto fail;
		}
		if (st->http_status != 200)
		{
			sp_error_from_body(err, st->http_status, st->errbody.data, st->errbody.len);
			sp_error_on_session(err, st->errbody.len);
			goto fail;
		}
		if (!sp_reader_finish(st->rd, err))
			goto fail;
	}
	return true;

fail:
	st->failed = true;
	return false;
}

bool
sp_stream_wait_metadata(SpStream *st, SpError *err)
{
	sp_error_clear(err);
	while (!sp_reader_has_metadata(st->rd))
	{
		if (st->xfer.done)
		{
			/* the reader reports what is wrong */
			json_object **v;

			if (sp_reader_next(st->rd, &v, err) < 0)
				return false;
			if (!sp_reader_has_metadata(st->rd))
			{
				sp_error_set(err, SP_ERR_PROTOCOL,
							 "streaming response ended without metadata");
				return false;
			}
			return true;
		}
		if (!stream_pump(st, err))
			return false;
	}
	return true;
}

int
sp_stream_next(SpStream *st, json_object ***values, SpError *err)
{
	sp_error_clear(err);
	for (;;)
	{
		int			r = sp_reader_next(st->rd, values, err);

		if (r != 0)
		{
			if (r > 0)
				st->rows++;
			else
				st->failed = true;
			return r;
		}
		if (st->xfer.done && sp_reader_finished(st->rd))
			return 0;
		if (!stream_pump(st, err))
			return -1;
	}
}

int
sp_stream_ncols(SpStream *st)
{
	return sp_reader_ncols(st->rd);
}

const SpColumn *
sp_stream_columns(SpStream *st)
{
	return sp_reader_columns(st->rd);
}

int
sp_stream_resumes(SpStream *st, const char **cause)
{
	*cause = st->resume_cause;
	return st->resumes;
}

const char *
sp_stream_transaction_id(SpStream *st)
{
	return sp_reader_transaction_id(st->rd);
}

const char *
sp_stream_precommit_token(SpStream *st, int32_t *seq)
{
	return sp_reader_precommit_token(st->rd, seq);
}



void
sp_stream_close(SpStream *st)
{
	if (st == NULL)
		return;
	if (st->xfer.easy)
	{
		bool		unfinished = st->xfer.in_multi && !st->xfer.done;

		xfer_detach(st->conn, &st->xfer);
		if (unfinished)
			curl_easy_cleanup(st->xfer.easy);
		else
			put_handle(st->conn, st->xfer.easy);
	}
	sp_reader_free(st->rd);
	buf_free(&st->errbody);
	free(st->url);
	free(st->body);
	free(st);
}
