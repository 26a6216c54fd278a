/*-------------------------------------------------------------------------
 *
 * connection.h
 *		  The state a cached connection carries, shared by the files of the
 *		  connection stack: connection.c (the cache and the REST handle),
 *		  session.c (the Spanner session), session_cache.c (multiplexed
 *		  sessions kept for reuse), xact.c (the Spanner transaction of the
 *		  current PostgreSQL transaction), stream.c (open queries),
 *		  precommit.c (the precommit tokens of a read-write transaction on
 *		  a multiplexed session), retry.c (one retry policy), query.c
 *		  (running a query) and tags.c (the request options of each
 *		  request).
 *
 * Call order, with no file calling back up the list:
 *		commit.c, query.c -> retry.c -> xact.c -> connection.c -> session.c,
 *		stream.c; commit.c, query.c, xact.c -> tags.c (request options);
 *		session.c, connection.c, commit.c -> session_cache.c; commit.c, query.c,
 *		xact.c, stream.c -> precommit.c
 * Everything else uses the functions declared in spanner_fdw.h.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/connection.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPANNER_CONNECTION_H
#define SPANNER_CONNECTION_H

#include "spanner_fdw.h"

/* An open stream, remembered so that an aborted transaction can close it. */
typedef struct SpannerOpenStream
{
	SpStream   *st;
	int			nest_level;		/* (sub)transaction level that owns it */
	uint64		id;				/* what the scan's SpannerStreamRef holds */
} SpannerOpenStream;

#define SPANNER_MAX_OPEN_STREAMS 64

/* The kind of Spanner transaction the current PostgreSQL transaction has. */
typedef enum SpannerXactKind
{
	SPANNER_XACT_NONE = 0,		/* none begun yet */
	SPANNER_XACT_READ_ONLY,		/* a strong read-only snapshot */
	SPANNER_XACT_READ_WRITE		/* a read-write transaction, committed at
								 * PRE_COMMIT */
} SpannerXactKind;

typedef struct SpannerXactState
{
	bool		in_use;			/* used in the current PostgreSQL transaction */
	SpannerXactKind kind;
	char	   *id;				/* Spanner transaction id, in the entry's cxt */
	int64		seqno;			/* sequence number of the next request */
	bool		snapshot_lost;	/* the snapshot went with its session: later
								 * reads must not start another */
	bool		rw_lost;		/* ... and it was a read-write transaction */
	bool		rw_begun;		/* a read-write begin was sent (its id may be
								 * unknown if that statement failed) */
	bool		begin_rw;		/* what the last inline begin asked for */
	bool		begin_rr;		/* ... with isolationLevel REPEATABLE_READ */
	bool		rw_orphan;		/* a read-write begin whose answer was lost:
								 * the session may hold a transaction we
								 * cannot name, so it is never reused */
	TimestampTz mutations_stmt; /* start of the statement that buffered the
								 * mutations */
	int			write_level;	/* deepest (sub)transaction nest level with a
								 * successful write; 0: none */
	char	   *doomed;			/* why this transaction can no longer commit,
								 * or NULL (in the entry's cxt) */
	char	   *precommit_token;	/* multiplexed session: the precommit
									 * token with the highest seqNum the
									 * read-write transaction received, or
									 * NULL (entry's cxt) */
	int32		precommit_seq;	/* its seqNum */
	StringInfoData mutations;	/* JSON mutations sent with the commit,
								 * comma-separated; data NULL if none */
	int64		mutation_cells; /* values in them (Spanner's mutation count) */
	bool		options_fixed;	/* txn_tag and txn_priority are decided */
	char	   *txn_tag;		/* transaction tag of the read-write
								 * transaction, NULL: none (entry's cxt) */
	const char *txn_priority;	/* its commit's priority ("PRIORITY_LOW"
								 * ...), NULL: Spanner's default */
} SpannerXactState;

struct SpannerConnection
{
	Oid			key;			/* hash key: user mapping OID; must be first */
	Oid			serverid;
	Oid			userid;
	MemoryContext cxt;			/* everything below lives here */
	SpConn	   *rest;			/* NULL if not connected */
	char	   *dbpath;			/* projects/P/instances/I/databases/D */
	char	   *session;		/* session resource name, or NULL */
	uint64		session_gen;	/* counts the sessions taken into use */
	bool		multiplexed;	/* Spanner confirmed the session multiplexed:
								 * every transaction runs on it, it is kept
								 * (session_cache.c) and never deleted */
	int64		session_created;	/* time() it was created (multiplexed) */
	bool		session_key_set;	/* session_key is known: multiplexed
									 * sessions may be shared */
	unsigned char session_key[32];	/* session_cache.c's key */
	bool		auth_identity_set;	/* external_account: the identity of the
									 * credentials when connected is known */
	unsigned char auth_identity[32];	/* ... and is this */
	char	   *session_create_time;	/* its createTime as Spanner gave
										 * it, or NULL */
	bool		session_unverified; /* the server may have restarted since the
									 * session was made: check that the name
									 * is still ours before using it */
	char	   *database_role;	/* creator role for sessions, or NULL */
	bool		keep_connections;
	int			lazy_read_write;	/* server option, -1 if not set */
	int			retry_timeout_ms;	/* server option retry_timeout (ms) */
	int			rr_isolation;	/* Spanner takes isolationLevel
								 * REPEATABLE_READ: -1 not known yet, 0 no
								 * (the emulator), 1 yes */
	bool		invalidated;	/* options changed: reconnect when idle */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	SpannerAuthState *auth;		/* external_account tokens, or NULL */

	SpannerXactState xact;

	SpannerOpenStream streams[SPANNER_MAX_OPEN_STREAMS];
	int			nstreams;
};

/* connection.c */
typedef void (*SpannerConnectionFn) (SpannerConnection *conn, void *arg);
extern void spanner_connection_foreach(SpannerConnectionFn fn, void *arg);
extern void spanner_disconnect(SpannerConnection *conn);

/* session.c */
extern bool spanner_session_ensure(SpannerConnection *conn, SpError *err);
extern void spanner_session_forget(SpannerConnection *conn);
extern void spanner_session_gone(SpannerConnection *conn, const SpError *err);
extern void spanner_session_delete(SpannerConnection *conn);
extern void spanner_session_release_xact(SpannerConnection *conn);
extern bool spanner_session_rollback(SpannerConnection *conn, SpError *err);
extern void spanner_session_xact_released(SpannerConnection *conn, bool ok,
										  const SpError *err);

/* session_cache.c */
extern char *spanner_session_cache_get(const unsigned char key[32], int64 *created);
extern void spanner_session_cache_put(const unsigned char key[32], const char *name,
									  int64 created);
extern void spanner_session_cache_drop(const unsigned char key[32], const char *name);
extern bool spanner_session_cache_shared(void);
extern void spanner_session_cache_key(const char *endpoint, const char *dbpath,
									  const char *database_role,
									  const char *auth_kind,
									  const unsigned char *identity,
									  unsigned char key[32]);
extern void spanner_session_cache_hash(const char *secret, unsigned char out[32]);

/* precommit.c */
extern void spanner_precommit_note(SpannerConnection *conn, const char *token,
								   int32 seq);
extern void spanner_precommit_set(SpannerConnection *conn, const char *token,
								  int32 seq);
extern void spanner_precommit_note_of(SpannerConnection *conn, json_object *msg);
extern void spanner_precommit_forget(SpannerConnection *conn);
extern void spanner_precommit_append(SpannerConnection *conn, StringInfo body);

/* stream.c */
extern void spanner_stream_register(SpannerConnection *conn, SpStream *st,
									SpannerStreamRef *ref);
extern void spanner_streams_note_precommit(SpannerConnection *conn);
extern void spanner_streams_close(SpannerConnection *conn, int min_level);
extern void spanner_streams_reparent(SpannerConnection *conn, int level);

/* xact.c */
extern const char *spanner_xact_selector(SpannerConnection *conn, bool write,
										 bool *begins);
extern void spanner_xact_begun(SpannerConnection *conn, const char *id);
extern int64 spanner_xact_next_seqno(SpannerConnection *conn);
extern void spanner_xact_wrote(SpannerConnection *conn);
extern void spanner_xact_check_no_pending(SpannerConnection *conn);
extern void spanner_xact_request_failed(SpannerConnection *conn, bool begins,
										const SpError *err);
extern bool spanner_xact_session_replaceable(SpannerConnection *conn);
extern bool spanner_xact_drop_orphan(SpannerConnection *conn);
extern void spanner_xact_lost(SpannerConnection *conn);
extern void spanner_xact_report_lost(SpannerConnection *conn,
									 const char *sql) pg_attribute_noreturn();
extern void spanner_xact_report_doomed(SpannerConnection *conn,
									   bool committing) pg_attribute_noreturn();
extern void spanner_xact_reset(SpannerConnection *conn);
extern void spanner_xact_end(SpannerConnection *conn);
extern void spanner_xact_subxact_end(SpannerConnection *conn, bool abort,
									 int level);

/* tags.c */
extern void spanner_xact_fix_options(SpannerConnection *conn, const SpannerReqInfo *ri);
extern char *spanner_xact_request_options(SpannerConnection *conn,
										  const SpannerReqInfo *ri, bool begins);
extern char *spanner_single_request_options(SpannerConnection *conn,
											const SpannerReqInfo *ri,
											const char *txn_tag);
extern char *spanner_commit_request_options(SpannerConnection *conn);

/* retry.c */
typedef bool (*SpannerAttemptFn) (SpannerConnection *conn, void *arg,
								  SpError *err);
extern void spanner_run(SpannerConnection *conn, SpannerAttemptFn attempt,
						void *arg, const char *sql);
extern void spanner_run_retrying_aborts(SpannerConnection *conn,
										SpannerAttemptFn attempt, void *arg,
										const char *sql);
extern void spanner_run_idempotent(SpannerConnection *conn,
								   SpannerAttemptFn attempt, void *arg,
								   const char *sql);
extern bool spanner_run_quiet(SpannerConnection *conn, SpannerAttemptFn attempt,
							  void *arg, long budget_ms, SpError *err);

#endif							/* SPANNER_CONNECTION_H */
