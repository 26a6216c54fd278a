/*-------------------------------------------------------------------------
 *
 * stream.c
 *		  The open queries of a connection, by id.
 *
 * Every stream a scan opens is registered here with the (sub)transaction
 * level that opened it, so that an aborted (sub)transaction can close it.
 * The scan holds only an id (SpannerStreamRef): its memory may be freed
 * before the abort callbacks run, so the connection never writes into it,
 * and a scan that outlives its stream (a cursor declared before a rolled
 * back savepoint) finds its id gone and reports the loss.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/stream.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/xact.h"

#include "connection.h"

static uint64 next_stream_id = 1;

/*
 * spanner_stream_register
 *		Remember a newly opened stream and give the scan its id.  With too
 *		many open, the stream is closed and an error raised.
 */
void
spanner_stream_register(SpannerConnection *conn, SpStream *st, SpannerStreamRef *ref)
{
	uint64		id = next_stream_id++;

	if (conn->nstreams >= SPANNER_MAX_OPEN_STREAMS)
	{
		sp_stream_close(st);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many concurrent Spanner scans in one query"),
				 errdetail("At most %d scans of one server can be open at a time.",
						   SPANNER_MAX_OPEN_STREAMS)));
	}
	conn->streams[conn->nstreams].st = st;
	conn->streams[conn->nstreams].nest_level = GetCurrentTransactionNestLevel();
	conn->streams[conn->nstreams].id = id;
	conn->nstreams++;
	ref->stream = st;
	ref->id = id;
	ref->lost = false;
	ref->resumes_logged = 0;
}

/* Index of a registered stream id, or -1. */
static int
find_stream(SpannerConnection *conn, uint64 id)
{
	int			i;

	if (id == 0)
		return -1;
	for (i = 0; i < conn->nstreams; i++)
		if (conn->streams[i].id == id)
			return i;
	return -1;
}

/* Keep the precommit token the stream received, before it is closed. */
static void
note_precommit(SpannerConnection *conn, SpStream *st)
{
	int32_t		seq;
	const char *token = sp_stream_precommit_token(st, &seq);

	if (token)
		spanner_precommit_note(conn, token, seq);
}

/*
 * spanner_streams_note_precommit
 *		Keep the precommit tokens the open streams received (before a
 *		commit: a cursor may still be open).
 */
void
spanner_streams_note_precommit(SpannerConnection *conn)
{
	int			i;

	for (i = 0; i < conn->nstreams; i++)
		note_precommit(conn, conn->streams[i].st);
}

static void
unregister_at(SpannerConnection *conn, int i)
{
	conn->streams[i] = conn->streams[conn->nstreams - 1];
	conn->nstreams--;
}

/*
 * spanner_ref_stream
 *		The scan's open stream, or NULL.  If the connection closed it behind
 *		the scan's back (a rolled back subtransaction), ref->lost is set.
 */
SpStream *
spanner_ref_stream(SpannerConnection *conn, SpannerStreamRef *ref)
{
	if (ref->id == 0)
		return NULL;
	if (find_stream(conn, ref->id) < 0)
	{
		ref->stream = NULL;
		ref->id = 0;
		ref->lost = true;
		return NULL;
	}
	return ref->stream;
}

/*
 * spanner_close_query
 *		Close the scan's stream if it is still open; safe to repeat.
 */
void
spanner_close_query(SpannerConnection *conn, SpannerStreamRef *ref)
{
	int			i = find_stream(conn, ref->id);

	if (i >= 0)
	{
		SpStream   *st = conn->streams[i].st;

		unregister_at(conn, i);
		note_precommit(conn, st);
		sp_stream_close(st);
	}
	ref->stream = NULL;
	ref->id = 0;
}

/*
 * spanner_streams_close
 *		Close the streams opened at (sub)transaction level min_level or
 *		deeper; 0 closes all.
 */
void
spanner_streams_close(SpannerConnection *conn, int min_level)
{
	int			i = 0;

	while (i < conn->nstreams)
	{
		if (conn->streams[i].nest_level >= min_level)
		{
			note_precommit(conn, conn->streams[i].st);
			sp_stream_close(conn->streams[i].st);
			unregister_at(conn, i);
		}
		else
			i++;
	}
}

/*
 * spanner_streams_reparent
 *		Streams of a committed subtransaction at this level now belong to
 *		its parent.
 */
void
spanner_streams_reparent(SpannerConnection *conn, int level)
{
	int			i;

	for (i = 0; i < conn->nstreams; i++)
		if (conn->streams[i].nest_level >= level)
			conn->streams[i].nest_level = level - 1;
}
