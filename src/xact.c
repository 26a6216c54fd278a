/*-------------------------------------------------------------------------
 *
 * xact.c
 *		  The Spanner transaction of each connection within the current
 *		  PostgreSQL transaction, and the transaction callbacks.
 *
 * Reads: the first query of a PostgreSQL transaction on a connection
 * begins a strong read-only Spanner transaction inline (one round trip);
 * every later query of that transaction uses its id, so a statement - and a
 * transaction block - sees one snapshot.  Read-only transactions need no
 * commit: the id is forgotten when the PostgreSQL transaction ends.  Work
 * that must reach Spanner before PostgreSQL commits happens at PRE_COMMIT;
 * PREPARE TRANSACTION is refused, as Spanner has no two-phase commit.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/xact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/xact.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "connection.h"

bool		spanner_lazy_read_write = false;

/*
 * need_read_write
 *		Must a request that does not itself write run in the read-write
 *		transaction?  In a REPEATABLE READ or SERIALIZABLE block, from its
 *		first statement (Spanner then locks what the block reads), unless
 *		the server or the spanner_fdw.lazy_read_write setting defers the
 *		read-write transaction to the first write.
 */
static bool
need_read_write(SpannerConnection *conn)
{
	bool		lazy = conn->lazy_read_write >= 0 ? conn->lazy_read_write != 0
		: spanner_lazy_read_write;

	return IsTransactionBlock() && !XactReadOnly && IsolationUsesXactSnapshot() &&
		!lazy;
}

/*
 * spanner_xact_check_no_pending
 *		Refuse a statement that would run on the connection while rows an
 *		earlier statement of the same transaction buffered for the commit
 *		are not written yet (statements pipelined in one implicit
 *		transaction): it would not see them, or would be overtaken by them.
 */
void
spanner_xact_check_no_pending(SpannerConnection *conn)
{
	if (conn->xact.mutations.data != NULL &&
		conn->xact.mutations_stmt != GetCurrentStatementStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot run another statement on a Spanner server after an INSERT whose rows wait for the commit"),
				 errdetail("An INSERT or COPY outside a transaction block sends its rows with the commit, so a later statement of the same transaction would not see them."),
				 errhint("Send the statements in a transaction block (BEGIN ... COMMIT), or each in its own transaction.")));
}

/*
 * spanner_xact_selector
 *		The TransactionSelector (JSON) for the connection's next request:
 *		the transaction's id, or an inline begin (*begins set).  write: the
 *		request writes, or belongs to a statement that writes on this
 *		connection, or locks rows (FOR UPDATE/SHARE): it needs the read-write
 *		transaction.  A read-only snapshot taken before the first write is
 *		simply left behind (it needs no commit).  Valid until the next call.
 */
const char *
spanner_xact_selector(SpannerConnection *conn, bool write, bool *begins)
{
	static StringInfoData buf;

	if (buf.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&buf);
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(&buf);
	if (conn->xact.doomed)
		spanner_xact_report_doomed(conn, false);
	spanner_xact_check_no_pending(conn);
	if (!write && conn->xact.kind != SPANNER_XACT_READ_WRITE)
		write = need_read_write(conn);

	*begins = false;
	conn->xact.begin_rr = false;
	if (conn->xact.kind == SPANNER_XACT_READ_WRITE ||
		(conn->xact.kind == SPANNER_XACT_READ_ONLY && !write))
	{
		appendStringInfoString(&buf, "{\"id\":");
		escape_json(&buf, conn->xact.id);
		appendStringInfoChar(&buf, '}');
		return buf.data;
	}
	*begins = true;
	conn->xact.begin_rw = write;
	conn->xact.begin_rr = false;
	if (write && IsTransactionBlock() && XactIsoLevel == XACT_REPEATABLE_READ &&
		conn->rr_isolation != 0)
	{
		/*
		 * PostgreSQL's REPEATABLE READ exactly: snapshot reads without
		 * locks, write conflicts fail at commit.  Where Spanner does not
		 * take it, the attempt is repeated without (retry.c).
		 */
		conn->xact.rw_begun = true;
		conn->xact.begin_rr = true;
		appendStringInfoString(&buf, "{\"begin\":{\"readWrite\":{},\"isolationLevel\":\"REPEATABLE_READ\"}}");
	}
	else if (write)
	{
		conn->xact.rw_begun = true;
		appendStringInfoString(&buf, "{\"begin\":{\"readWrite\":{}}}");
	}
	else
		appendStringInfoString(&buf, "{\"begin\":{\"readOnly\":{\"strong\":true}}}");
	return buf.data;
}

/*
 * spanner_xact_begun
 *		Record the id of the transaction an inline begin started (of the
 *		kind the last selector asked for).
 */
void
spanner_xact_begun(SpannerConnection *conn, const char *id)
{
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = MemoryContextStrdup(conn->cxt, id);
	conn->xact.kind = conn->xact.begin_rw ? SPANNER_XACT_READ_WRITE
		: SPANNER_XACT_READ_ONLY;
	/* tokens belong to one transaction attempt */
	spanner_precommit_forget(conn);
	if (conn->xact.begin_rr)
		conn->rr_isolation = 1;
	conn->xact.begin_rr = false;
}

/*
 * spanner_xact_next_seqno
 *		The sequence number of the next request in the transaction: strictly
 *		increasing within it, as Spanner requires of DML.
 */
int64
spanner_xact_next_seqno(SpannerConnection *conn)
{
	if (conn->xact.seqno < 1)
		conn->xact.seqno = 1;
	return conn->xact.seqno++;
}

/*
 * spanner_xact_wrote
 *		A write succeeded at the current (sub)transaction level: rolling
 *		back to a savepoint set before it cannot be honoured.
 */
void
spanner_xact_wrote(SpannerConnection *conn)
{
	int			level = GetCurrentTransactionNestLevel();

	if (level > conn->xact.write_level)
		conn->xact.write_level = level;
}

/*
 * spanner_xact_request_failed
 *		A request in the read-write transaction (begins: one that began it)
 *		failed.  A definite error from Spanner changed nothing.  Otherwise
 *		(connection lost, cancelled, a transient failure) it may have been
 *		applied: a later
 *		ROLLBACK TO SAVEPOINT cannot be honoured, and an inline begin whose
 *		answer was lost may have left a transaction on the session.
 */
void
spanner_xact_request_failed(SpannerConnection *conn, bool begins, const SpError *err)
{
	/* a transient remote error (UNAVAILABLE, a broken stream) is no answer */
	if (err->kind == SP_ERR_REMOTE && !sp_error_transient(err))
		return;
	spanner_xact_wrote(conn);
	if (begins && conn->xact.begin_rw)
		conn->xact.rw_orphan = true;
}

/*
 * spanner_xact_session_replaceable
 *		May a lost session be replaced by a new one without losing anything
 *		of the current transaction?  Only while no Spanner transaction was
 *		begun on it: outside a transaction block, or before its first read.
 */
bool
spanner_xact_session_replaceable(SpannerConnection *conn)
{
	return conn->xact.id == NULL && !conn->xact.snapshot_lost;
}

/*
 * spanner_xact_drop_orphan
 *		The last request began a read-write transaction inline and its
 *		answer was lost (rw_orphan): the session may hold a transaction we
 *		cannot name.  If nothing else of this transaction lives on the
 *		session, forget it (it is never reused; Spanner ends the idle
 *		transaction by itself) so that the request can be made again on a
 *		new one, and return true; else false.  A multiplexed session is
 *		kept.
 */
bool
spanner_xact_drop_orphan(SpannerConnection *conn)
{
	/*
	 * A multiplexed session carries any number of transactions: the one
	 * whose begin was lost stays idle until Spanner ends it, and the
	 * request can be made again on the same session.
	 */
	if (conn->multiplexed)
	{
		conn->xact.rw_orphan = false;
		return true;
	}
	if (!spanner_xact_session_replaceable(conn))
		return false;
	elog(DEBUG1, "spanner_fdw: session %s may hold a read-write transaction whose begin was lost; leaving it",
		 conn->session ? conn->session : "(none)");
	spanner_session_forget(conn);
	conn->xact.rw_orphan = false;
	return true;
}

/*
 * spanner_xact_lost
 *		The transaction went with its session: every later query of this
 *		PostgreSQL transaction fails (reads must not silently start a new
 *		snapshot), until it ends.
 */
void
spanner_xact_lost(SpannerConnection *conn)
{
	/* its writes went with it: nothing of this transaction may commit */
	if (conn->xact.kind == SPANNER_XACT_READ_WRITE || conn->xact.rw_begun)
	{
		conn->xact.rw_lost = true;
		if (conn->xact.doomed == NULL)
			conn->xact.doomed = MemoryContextStrdup(conn->cxt,
													"the Spanner read-write transaction was lost with its session");
	}
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	conn->xact.snapshot_lost = true;
}

/*
 * spanner_xact_report_lost
 *		Raise the error of a transaction lost with its session
 *		(spanner_xact_lost): a read-write transaction's writes, or a
 *		read-only transaction's snapshot.
 */
void
spanner_xact_report_lost(SpannerConnection *conn, const char *sql)
{
	if (conn->xact.rw_lost)
		spanner_report_xact_lost(sql);
	spanner_report_snapshot_lost(sql);
}

/*
 * spanner_xact_report_doomed
 *		Raise the error of a statement (committing: the commit) in a
 *		transaction that can no longer commit (xact.doomed says why).
 */
void
spanner_xact_report_doomed(SpannerConnection *conn, bool committing)
{
	const char *detail;

	if (conn->xact.rw_lost)
		detail = committing ?
			"Spanner no longer has the transaction, so none of its writes were committed." :
			"Spanner no longer has the transaction, so none of its writes will be committed.";
	else
		detail = committing ?
			"Spanner cannot undo part of a transaction, so none of its writes were committed." :
			"Spanner cannot undo part of a transaction, so none of its writes will be committed.";
	ereport(ERROR,
			(errcode(ERRCODE_IN_FAILED_SQL_TRANSACTION),
			 errmsg("%s", conn->xact.doomed),
			 errdetail("%s", detail),
			 committing ? 0 : errhint("End the transaction with ROLLBACK.")));
}

/*
 * spanner_xact_check_usable
 *		Refuse to query on a connection whose transaction was lost, or
 *		whose connection was closed under the transaction.
 */
void
spanner_xact_check_usable(SpannerConnection *conn, const char *sql)
{
	if (conn->rest == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("the Spanner connection of this transaction was closed")));
	if (conn->xact.snapshot_lost)
		spanner_xact_report_lost(conn, sql);
}

/*
 * spanner_xact_reset
 *		Forget everything of the current transaction on the connection (its
 *		read-write transaction, if any, was committed or rolled back).
 */
void
spanner_xact_reset(SpannerConnection *conn)
{
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	conn->xact.seqno = 0;
	conn->xact.snapshot_lost = false;
	conn->xact.rw_lost = false;
	conn->xact.rw_begun = false;
	conn->xact.begin_rw = false;
	conn->xact.begin_rr = false;
	conn->xact.rw_orphan = false;
	conn->xact.write_level = 0;
	if (conn->xact.doomed)
		pfree(conn->xact.doomed);
	conn->xact.doomed = NULL;
	if (conn->xact.mutations.data)
		pfree(conn->xact.mutations.data);
	conn->xact.mutations.data = NULL;
	conn->xact.mutation_cells = 0;
	if (conn->xact.txn_tag)
		pfree(conn->xact.txn_tag);
	conn->xact.txn_tag = NULL;
	conn->xact.txn_priority = NULL;
	conn->xact.options_fixed = false;
	spanner_precommit_forget(conn);
}

/*
 * spanner_xact_end
 *		The PostgreSQL transaction ended: close its queries, roll back a
 *		read-write transaction still open (an abort), forget its state, and
 *		disconnect if the connection is not kept.
 */
void
spanner_xact_end(SpannerConnection *conn)
{
	spanner_streams_close(conn, 0);
	if (conn->xact.kind == SPANNER_XACT_READ_WRITE)
		spanner_session_release_xact(conn);
	/* a multiplexed session runs any number of transactions: keep it */
	if (conn->xact.rw_orphan && !conn->multiplexed)
		spanner_session_forget(conn);
	spanner_xact_reset(conn);
	conn->xact.in_use = false;
	if (!conn->keep_connections || conn->invalidated)
		spanner_disconnect(conn);
}

/*
 * spanner_xact_subxact_end
 *		A subtransaction at nest level "level" ended.  Its queries are closed
 *		(abort) or handed to the parent (commit).  Rolling back to a
 *		savepoint after a Spanner write since it was set dooms the
 *		transaction: Spanner cannot undo part of one.
 */
void
spanner_xact_subxact_end(SpannerConnection *conn, bool abort, int level)
{
	if (!conn->xact.in_use)
		return;
	if (!abort)
	{
		spanner_streams_reparent(conn, level);
		if (conn->xact.write_level >= level)
			conn->xact.write_level = level - 1;
		return;
	}
	spanner_streams_close(conn, level);
	if (conn->xact.write_level >= level && conn->xact.doomed == NULL)
		conn->xact.doomed = MemoryContextStrdup(conn->cxt,
												"the transaction was rolled back to a savepoint after a write to Spanner");
}

/*
 * spanner_add_mutation
 *		Buffer a mutation (JSON) to be sent with the connection's commit;
 *		cells: the values it writes; ri: what for (the first mutation of a
 *		transaction fixes its transaction tag, if nothing began it).
 */
void
spanner_add_mutation(SpannerConnection *conn, const SpannerReqInfo *ri,
					 const char *json, int64 cells)
{
	spanner_xact_fix_options(conn, ri);
	if (conn->xact.mutations.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(conn->cxt);

		initStringInfo(&conn->xact.mutations);
		MemoryContextSwitchTo(old);
	}
	else
		appendStringInfoChar(&conn->xact.mutations, ',');
	conn->xact.mutations_stmt = GetCurrentStatementStartTimestamp();
	appendStringInfoString(&conn->xact.mutations, json);
	conn->xact.mutation_cells += cells;
}

/*
 * spanner_pending_mutations
 *		Values and bytes of the mutations waiting for the commit.
 */
int64
spanner_pending_mutations(SpannerConnection *conn, size_t *bytes)
{
	*bytes = conn->xact.mutations.data ? (size_t) conn->xact.mutations.len : 0;
	return conn->xact.mutation_cells;
}

/*
 * spanner_in_read_write
 *		Has the connection a read-write transaction (begun, or being begun)?
 */
bool
spanner_in_read_write(SpannerConnection *conn)
{
	return conn->xact.kind == SPANNER_XACT_READ_WRITE || conn->xact.rw_begun;
}
