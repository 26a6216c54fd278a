/*-------------------------------------------------------------------------
 *
 * sp_client.h
 *		  Plain-C client for Cloud Spanner's REST API v1 (libcurl + json-c).
 *
 * This is the only interface between the PostgreSQL-facing code and the
 * HTTP client.  Nothing in src/rest includes a PostgreSQL header: memory is
 * malloc'd and owned by this library, errors are returned in an SpError
 * that the caller turns into an ereport, and the caller's "wait" callback
 * is how a backend sleeps on the socket (WaitLatchOrSocket) and learns of
 * a pending cancel.  No function here longjmps or prints.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/rest/sp_client.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SP_CLIENT_H
#define SP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Kinds of failure; see SpError. */
typedef enum SpErrKind
{
	SP_OK = 0,
	SP_ERR_TRANSPORT,			/* connect/TLS/read failure (curl) */
	SP_ERR_REMOTE,				/* Spanner returned an error status */
	SP_ERR_PROTOCOL,			/* malformed or unexpected response */
	SP_ERR_CANCELLED,			/* the caller's wait callback asked to stop */
	SP_ERR_TOO_LARGE,			/* response or value over a configured cap */
	SP_ERR_NOMEM,				/* out of memory */
	SP_ERR_USAGE				/* bad argument from the caller */
} SpErrKind;

/* Canonical gRPC status codes (google.rpc.Code). */
typedef enum SpGrpcCode
{
	SP_GRPC_OK = 0,
	SP_GRPC_CANCELLED = 1,
	SP_GRPC_UNKNOWN = 2,
	SP_GRPC_INVALID_ARGUMENT = 3,
	SP_GRPC_DEADLINE_EXCEEDED = 4,
	SP_GRPC_NOT_FOUND = 5,
	SP_GRPC_ALREADY_EXISTS = 6,
	SP_GRPC_PERMISSION_DENIED = 7,
	SP_GRPC_RESOURCE_EXHAUSTED = 8,
	SP_GRPC_FAILED_PRECONDITION = 9,
	SP_GRPC_ABORTED = 10,
	SP_GRPC_OUT_OF_RANGE = 11,
	SP_GRPC_UNIMPLEMENTED = 12,
	SP_GRPC_INTERNAL = 13,
	SP_GRPC_UNAVAILABLE = 14,
	SP_GRPC_DATA_LOSS = 15,
	SP_GRPC_UNAUTHENTICATED = 16
} SpGrpcCode;

#define SP_ERRMSG_LEN 1024

typedef struct SpError
{
	SpErrKind	kind;
	long		http_status;	/* 0 if no HTTP response was received */
	int			grpc_code;		/* SpGrpcCode, for SP_ERR_REMOTE */
	char		status[40];		/* "NOT_FOUND" etc., "" if unknown */
	bool		session_gone;	/* the session no longer exists */
	bool		txn_not_found;	/* session_gone only because the session did
								 * not know a transaction it was named */
	bool		after_data;		/* error arrived after rows were returned */
	bool		timed_out;		/* a transport error: a timeout expired */
	double		retry_delay;	/* RetryInfo.retryDelay in seconds, or 0 */
	bool		conn_lost;		/* a transport error: the connection broke
								 * after it was made (reset, closed, HTTP/2
								 * stream error, short body, or libcurl's
								 * own re-send after that could not
								 * connect); not a first connect failure or
								 * a timeout.  The request may have reached
								 * Spanner */
	bool		foreign_body;	/* an HTTP error whose body is no Spanner
								 * status (a proxy's or balancer's page) */
	char		message[SP_ERRMSG_LEN]; /* remote or transport message */
} SpError;

extern void sp_error_clear(SpError *err);
extern void sp_error_set(SpError *err, SpErrKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern const char *sp_grpc_code_name(int code);
extern int	sp_grpc_code_from_name(const char *name);
extern int	sp_grpc_code_from_http(long http_status);

/*
 * Decode an error body (emulator {"code":..}, Google {"error":{...}} or a
 * non-JSON text) received with the given HTTP status into err.
 */
extern void sp_error_from_body(SpError *err, long http_status,
							   const char *body, size_t len);
extern void sp_error_from_json(SpError *err, long http_status,
							   json_object *obj);
/* After decoding the error of a request addressed to a session. */
extern void sp_error_on_session(SpError *err, size_t body_len);

/*
 * Transient failures (retries): true for an error that may go away if the
 * same request is made again - UNAVAILABLE, RESOURCE_EXHAUSTED, INTERNAL
 * naming a broken HTTP/2 stream, HTTP 502/503/504, a connection broken
 * after it was made.  Whether the request may be repeated is the caller's
 * decision.
 */
extern bool sp_error_transient(const SpError *err);
/* The INTERNAL errors of a broken stream ("RST_STREAM", "unexpected EOS"). */
extern bool sp_error_broken_stream(const SpError *err);

/*
 * Wait callback: block until the socket fd is ready as asked, or timeout_ms
 * passes (-1: no timeout; fd may be -1: wait for the timeout only).
 * Return true if the operation must be abandoned (query cancel, backend
 * exit).  It must not longjmp.
 */
typedef bool (*sp_wait_fn) (void *arg, int fd, bool want_read,
							bool want_write, long timeout_ms);

/*
 * Counts the sockets this library has closed, in every connection of the
 * process.  A wait callback that keeps a descriptor registered between
 * calls must register it again when this changed: the number it was given
 * may now name another socket.
 */
extern unsigned long sp_socket_epoch(void);

typedef struct SpConnConfig
{
	const char *endpoint;		/* e.g. "https://spanner.googleapis.com" */
	const char *ca_file;		/* CA bundle, NULL for the system default */
	long		connect_timeout_ms; /* 0: libcurl default */
	long		request_timeout_ms; /* unary calls; 0: none */
	long		read_timeout_ms;	/* abort a transfer that receives nothing
									 * for this long while not paused; 0: none */
	size_t		max_response;	/* unary body cap in bytes; 0: 64 MiB */
	sp_wait_fn	wait;			/* NULL: poll in this library */
	void	   *wait_arg;
	/* polled by libcurl's progress callback; true aborts the transfer */
	bool		(*interrupted) (void *arg);
} SpConnConfig;

/* A connection: an endpoint, a bearer token, a pool of keep-alive handles */
typedef struct SpConn SpConn;

extern SpConn *sp_conn_new(const SpConnConfig *cfg, SpError *err);
extern void sp_conn_free(SpConn *conn);

/* The token is copied; NULL or "" sends no Authorization header. */
extern bool sp_conn_set_token(SpConn *conn, const char *token);

/* Overall time limit of later unary calls (0: none). */
extern void sp_conn_set_request_timeout(SpConn *conn, long ms);

/*
 * Has anything suggested, since the last call, that the server may have
 * gone away or restarted: a transfer that failed at the transport level,
 * or a socket of the connection that the server closed (an idle keep-alive
 * connection at end of file or reset)?  Each such socket is reported once.
 * Cheap: no request is sent.
 */
extern bool sp_conn_server_lost(SpConn *conn);


/*
 * Unary request: method "GET"/"POST"/"DELETE", path below the endpoint
 * (starting with "/v1/"), body JSON text or NULL.  On success returns true
 * and *resp is the parsed JSON (caller json_object_put()s it; may be NULL
 * for an empty body).  On failure returns false, *resp is NULL, err set.
 */
extern bool sp_conn_call(SpConn *conn, const char *method, const char *path,
						 const char *body, json_object **resp, SpError *err);

/*
 * sp_conn_call for a request that must never be sent twice (a commit):
 * libcurl silently sends a request again on a new connection when a reused
 * keep-alive connection closes before any answer - after the server may
 * have acted on it.  Here the body cannot be rewound, so that re-send
 * fails, and the failure is reported (SP_ERR_TRANSPORT), never repeated.
 */
extern bool sp_conn_call_once(SpConn *conn, const char *method, const char *path,
							  const char *body, json_object **resp, SpError *err);

/*
 * A request outside the Spanner API (token exchanges, metadata services)
 * made with a connection's transport: its CA file, connect timeout, wait
 * and interrupt callbacks - so it is cancellable like any query - but not
 * its endpoint or token.  Any HTTP status counts as success; the reply body
 * is malloc'd and NUL-terminated (the caller wipes and frees it).
 */
typedef struct SpHttpCall
{
	const char *method;			/* "GET", "POST" or "PUT" */
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated, or NULL */
	const char *body;
	size_t		body_len;
	bool		no_proxy;		/* never through a proxy (link-local hosts) */
	long		timeout_ms;		/* whole transfer; 0: none */
	size_t		max_response;	/* 0: the connection's cap */
	bool		send_once;		/* never sent twice (see sp_conn_call_once) */
} SpHttpCall;

typedef struct SpHttpReply
{
	long		status;
	char	   *body;
	size_t		len;
} SpHttpReply;

extern bool sp_conn_fetch(SpConn *conn, const SpHttpCall *call,
						  SpHttpReply *reply, SpError *err);

/*
 * Spanner types as reported in rowType.
 */
typedef enum SpTypeCode
{
	SP_TYPE_UNSPECIFIED = 0,
	SP_TYPE_BOOL,
	SP_TYPE_INT64,
	SP_TYPE_FLOAT64,
	SP_TYPE_FLOAT32,
	SP_TYPE_TIMESTAMP,
	SP_TYPE_DATE,
	SP_TYPE_STRING,
	SP_TYPE_BYTES,
	SP_TYPE_ARRAY,
	SP_TYPE_STRUCT,
	SP_TYPE_NUMERIC,
	SP_TYPE_JSON,
	SP_TYPE_PROTO,
	SP_TYPE_ENUM,
	SP_TYPE_INTERVAL,
	SP_TYPE_UUID
} SpTypeCode;

extern SpTypeCode sp_type_code_from_name(const char *name);
extern const char *sp_type_code_name(SpTypeCode code);

typedef struct SpColumn
{
	char	   *name;			/* field name, "" if unnamed */
	SpTypeCode	code;
	SpTypeCode	elem_code;		/* for ARRAY */
	bool		pg_annotation;	/* PG_NUMERIC / PG_JSONB / PG_OID */
} SpColumn;

/*
 * A streaming query (executeStreamingSql) or read (streamingRead).  Rows are
 * pulled one at a time;
 * the transfer is paused while the caller has enough buffered, so memory is
 * bounded by a couple of PartialResultSets plus the resume buffer, whatever
 * the size of the result.
 */
typedef struct SpStream SpStream;

/*
 * Start rpc ("executeStreamingSql" or "streamingRead") on "session" (a full
 * resource name) with the given request body (JSON text of an
 * ExecuteSqlRequest or a ReadRequest: both answer PartialResultSets and
 * take a resumeToken).  Returns NULL
 * with err set on failure to start.  Nothing is sent until the first
 * sp_stream_next() / sp_stream_wait_metadata().  resume_cap: bytes of
 * messages held after the last resume token so that a broken stream can be
 * resumed (0: never resume).
 */
extern SpStream *sp_stream_open(SpConn *conn, const char *session,
							   const char *rpc, const char *body,
							   size_t resume_cap, SpError *err);

/*
 * Block until the first PartialResultSet (with metadata) has arrived.
 * Returns false on error.
 */
extern bool sp_stream_wait_metadata(SpStream *st, SpError *err);

/*
 * Fetch the next row.  Returns 1 and sets *values to an array of ncols
 * json_object pointers (NULL for SQL NULL) owned by the stream and valid
 * until the next call; 0 at the end of the result; -1 on error.
 */
extern int	sp_stream_next(SpStream *st, json_object ***values, SpError *err);

extern int	sp_stream_ncols(SpStream *st);
extern const SpColumn *sp_stream_columns(SpStream *st);
/* How often the stream was resumed after a break, and why the last time */
extern int	sp_stream_resumes(SpStream *st, const char **cause);
/* metadata.transaction.id, or NULL */
extern const char *sp_stream_transaction_id(SpStream *st);
/*
 * The precommit token with the highest seqNum the stream has received so
 * far (a PartialResultSet's "precommitToken", or its metadata
 * transaction's), or NULL; *seq gets its seqNum.  Valid until the stream
 * is closed.
 */
extern const char *sp_stream_precommit_token(SpStream *st, int32_t *seq);

/*
 * Abandon or finish the stream.  An unfinished transfer is aborted and its
 * handle's connection dropped.  Safe with NULL.
 */
extern void sp_stream_close(SpStream *st);

/*
 * The PartialResultSet parser and row assembler, usable without HTTP (the
 * unit tests feed it bytes).  Accepts both production's JSON array framing
 * and the emulator's newline-delimited {"result":{...}} objects.
 */
typedef struct SpRowReader SpRowReader;

/*
 * Limits on what a stream may send: one message (a PartialResultSet as
 * JSON text) and one value (its chunks merged).  Spanner's own cells are at
 * most 10 MiB (about 13.4 MiB as base64), so these are far above anything
 * Spanner sends; beyond them the stream fails with SP_ERR_TOO_LARGE rather
 * than the backend running out of memory.  JSON nesting deeper than
 * SP_MAX_JSON_DEPTH is a protocol error.
 */
#define SP_MAX_MESSAGE_BYTES	((size_t) 64 * 1024 * 1024)
#define SP_MAX_VALUE_BYTES		((size_t) 64 * 1024 * 1024)
#define SP_MAX_JSON_DEPTH		64

/*
 * Parsed JSON costs memory per value as well as per byte: json-c spends
 * about 70 bytes on a one-digit number in an array, 35 times its text.  So
 * a message, a value or a unary answer may also hold at most one JSON
 * value (a scalar, array or object, or an element or member after a comma)
 * per SP_JSON_VALUE_COST bytes of its limit: 2 Mi values in 64 MiB, about
 * 150 MB once parsed.  Spanner's densest messages hold about 0.5 Mi.
 */
#define SP_JSON_VALUE_COST		32

/* Error bodies longer than this are not parsed (Spanner's are a few KiB). */
#define SP_MAX_ERROR_BODY		((size_t) 64 * 1024)

/*
 * Counting the JSON values in text that may come in pieces: the state
 * carries over from piece to piece.  Start with all zeroes.
 */
typedef struct SpJsonScan
{
	size_t		values;			/* '[', '{' and ',' outside strings */
	bool		in_string;
	bool		escape;
} SpJsonScan;

extern void sp_json_scan(SpJsonScan *sc, const char *text, size_t len);

/*
 * Parse a complete JSON answer of len bytes (not NUL-terminated) into
 * *obj, refusing one that holds more JSON values than max_bytes allows
 * (SP_ERR_TOO_LARGE) or that is malformed or nested deeper than
 * SP_MAX_JSON_DEPTH (SP_ERR_PROTOCOL).
 */
extern bool sp_json_parse_body(const char *text, size_t len, size_t max_bytes,
							   json_object **obj, SpError *err);

extern SpRowReader *sp_reader_new(size_t resume_buffer_cap);
extern void sp_reader_free(SpRowReader *rd);
/* Lower limits (0: the default), for tests; call before feeding. */
extern void sp_reader_set_limits(SpRowReader *rd, size_t max_message,
								 size_t max_value);
/* Feed bytes; returns false on a malformed stream (err set). */
extern bool sp_reader_feed(SpRowReader *rd, const char *data, size_t len,
						   SpError *err);
/* End of input; false if the input ended inside a value. */
extern bool sp_reader_finish(SpRowReader *rd, SpError *err);
/* Number of PartialResultSets parsed and not yet consumed */
extern int	sp_reader_queued(SpRowReader *rd);
/*
 * Next row from what has been fed: 1 row, 0 need more input (or end, if
 * finished), -1 error.
 */
extern int	sp_reader_next(SpRowReader *rd, json_object ***values,
						   SpError *err);
extern bool sp_reader_has_metadata(SpRowReader *rd);
extern bool sp_reader_finished(SpRowReader *rd);
extern int	sp_reader_ncols(SpRowReader *rd);
extern const SpColumn *sp_reader_columns(SpRowReader *rd);
extern const char *sp_reader_transaction_id(SpRowReader *rd);
extern const char *sp_reader_precommit_token(SpRowReader *rd, int32_t *seq);
extern const char *sp_reader_resume_token(SpRowReader *rd);

extern bool sp_reader_prepare_resume(SpRowReader *rd, const char **token);
extern const SpError *sp_reader_stream_error(SpRowReader *rd);
extern bool sp_reader_incomplete(SpRowReader *rd);

/* Parse a Spanner Type JSON object into code/elem_code. */
extern void sp_parse_type(json_object *type, SpColumn *col);

/*
 * Value encodings (sp_values.c).
 */
typedef struct SpTimestamp
{
	int			year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int			usec;			/* microseconds; nanoseconds are truncated */
	bool		truncated;		/* non-zero digits beyond microseconds */
} SpTimestamp;

/* "-9223372036854775808" .. "9223372036854775807"; false if malformed */
extern bool sp_parse_int64(const char *s, int64_t *out);
/* "YYYY-MM-DD", a real calendar date in years 1..9999 */
extern bool sp_parse_date(const char *s, SpTimestamp *ts);
/* "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" */
extern bool sp_parse_timestamp(const char *s, SpTimestamp *ts);

/*
 * Multiplexed sessions (google/spanner/v1 transaction.proto,
 * MultiplexedSessionPrecommitToken): a read-write transaction on a
 * multiplexed session receives {"precommitToken": <base64 bytes>,
 * "seqNum": <int32>} as the member "precommitToken" of a Transaction,
 * ResultSet, PartialResultSet, ExecuteBatchDmlResponse or CommitResponse;
 * its commit carries the one with the highest seqNum.  If msg (a JSON
 * object) has a well-formed one, sets *token (valid while msg lives) and
 * *seq and returns true.
 */
extern bool sp_precommit_token_of(json_object *msg, const char **token,
								  int32_t *seq);

#endif							/* SP_CLIENT_H */
