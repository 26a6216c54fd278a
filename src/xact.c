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

static void spanner_xact_callback(XactEvent event, void *arg);
static void spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									 SubTransactionId parentSubid, void *arg);

/*
 * spanner_xact_register_callbacks
 *		Called once, at module load.
 */
void
spanner_xact_register_callbacks(void)
{
	RegisterXactCallback(spanner_xact_callback, NULL);
	RegisterSubXactCallback(spanner_subxact_callback, NULL);
}

/*
 * spanner_xact_selector
 *		The TransactionSelector (JSON) for the connection's next query:
 *		the transaction's id, or an inline begin (*begins set) if the
 *		PostgreSQL transaction has none yet.  Valid until the next call.
 */
const char *
spanner_xact_selector(SpannerConnection *conn, bool *begins)
{
	static StringInfoData buf;

	if (buf.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&buf);
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(&buf);
	*begins = (conn->xact.id == NULL);
	if (*begins)
		appendStringInfoString(&buf, "{\"begin\":{\"readOnly\":{\"strong\":true}}}");
	else
	{
		appendStringInfoString(&buf, "{\"id\":");
		escape_json(&buf, conn->xact.id);
		appendStringInfoChar(&buf, '}');
	}
	return buf.data;
}

/*
 * spanner_xact_begun
 *		Record the id of the transaction an inline begin started.
 */
void
spanner_xact_begun(SpannerConnection *conn, const char *id)
{
	conn->xact.id = MemoryContextStrdup(conn->cxt, id);
	conn->xact.kind = SPANNER_XACT_READ_ONLY;
	conn->xact.seqno = 1;
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
 * spanner_xact_lost
 *		The transaction went with its session: every later query of this
 *		PostgreSQL transaction fails (reads must not silently start a new
 *		snapshot), until it ends.
 */
void
spanner_xact_lost(SpannerConnection *conn)
{
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	conn->xact.snapshot_lost = true;
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
		spanner_report_snapshot_lost(sql);
}

static void
refuse_prepare(SpannerConnection *conn, void *arg)
{
	if (conn->xact.in_use)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that has operated on spanner_fdw foreign tables"),
				 errdetail("Spanner has no two-phase commit.")));
}

static void
end_of_xact(SpannerConnection *conn, void *arg)
{
	spanner_streams_close(conn, 0);
	/* read-only transactions are not committed: just forget it */
	if (conn->xact.id)
		pfree(conn->xact.id);
	conn->xact.id = NULL;
	conn->xact.kind = SPANNER_XACT_NONE;
	conn->xact.seqno = 0;
	conn->xact.snapshot_lost = false;
	conn->xact.in_use = false;
	if (!conn->keep_connections || conn->invalidated)
		spanner_disconnect(conn);
}

static void
spanner_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			/* read-only transactions have nothing to commit */
			break;
		case XACT_EVENT_PRE_PREPARE:
			spanner_connection_foreach(refuse_prepare, NULL);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			spanner_connection_foreach(end_of_xact, NULL);
			break;
	}
}

typedef struct SubxactArg
{
	bool		abort;
	int			level;
} SubxactArg;

static void
end_of_subxact(SpannerConnection *conn, void *arg)
{
	SubxactArg *a = (SubxactArg *) arg;

	if (!conn->xact.in_use)
		return;
	if (a->abort)
		spanner_streams_close(conn, a->level);
	else
		spanner_streams_reparent(conn, a->level);
}

static void
spanner_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	SubxactArg	a;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	a.abort = (event == SUBXACT_EVENT_ABORT_SUB);
	a.level = GetCurrentTransactionNestLevel();
	spanner_connection_foreach(end_of_subxact, &a);
}
