/*-------------------------------------------------------------------------
 *
 * precommit.c
 *		  The precommit tokens of a read-write transaction on a multiplexed
 *		  session.
 *
 * On a multiplexed session Spanner hands a read-write transaction a
 * MultiplexedSessionPrecommitToken {precommitToken, seqNum} with the
 * answers of its requests (google/spanner/v1: Transaction.precommit_token,
 * ResultSet.precommit_token, PartialResultSet.precommit_token,
 * ExecuteBatchDmlResponse.precommit_token); its commit must carry the one
 * with the highest seqNum received in this transaction attempt, or Spanner
 * refuses it with FAILED_PRECONDITION (CommitRequest.precommit_token).  A
 * commit may be answered with a newer token instead of a commit timestamp
 * (CommitResponse.MultiplexedSessionRetry): commit.c then commits again
 * with it.  Regular sessions never carry tokens, so nothing here changes
 * what is sent on them.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/precommit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "utils/json.h"
#include "utils/memutils.h"

#include "connection.h"

/*
 * spanner_precommit_set
 *		Hold this token for the commit, whatever its seqNum: the one a
 *		commit answer asks for (commit.c).
 */
void
spanner_precommit_set(SpannerConnection *conn, const char *token, int32 seq)
{
	char	   *copy = MemoryContextStrdup(conn->cxt, token);

	/* copied first: on out of memory the held token stays valid */
	if (conn->xact.precommit_token)
		pfree(conn->xact.precommit_token);
	conn->xact.precommit_token = copy;
	conn->xact.precommit_seq = seq;
}

/*
 * spanner_precommit_note
 *		A precommit token arrived for the connection's read-write
 *		transaction: keep it if its seqNum is the highest so far.
 */
void
spanner_precommit_note(SpannerConnection *conn, const char *token, int32 seq)
{
	if (token == NULL || token[0] == '\0')
		return;
	if (conn->xact.precommit_token && seq <= conn->xact.precommit_seq)
		return;
	spanner_precommit_set(conn, token, seq);
}

/*
 * spanner_precommit_note_of
 *		Note the token of a response message (a ResultSet, Transaction,
 *		ExecuteBatchDmlResponse, ...), or of the transaction in its
 *		metadata (an inline begin), if it has one.
 */
void
spanner_precommit_note_of(SpannerConnection *conn, json_object *msg)
{
	const char *token;
	int32_t		seq;
	json_object *md,
			   *tx;

	if (msg == NULL)
		return;
	if (sp_precommit_token_of(msg, &token, &seq))
		spanner_precommit_note(conn, token, seq);
	if (json_object_object_get_ex(msg, "metadata", &md) &&
		json_object_object_get_ex(md, "transaction", &tx) &&
		sp_precommit_token_of(tx, &token, &seq))
		spanner_precommit_note(conn, token, seq);
}

/*
 * spanner_precommit_forget
 *		The transaction ended (or a new one begins): its tokens are void.
 */
void
spanner_precommit_forget(SpannerConnection *conn)
{
	if (conn->xact.precommit_token)
		pfree(conn->xact.precommit_token);
	conn->xact.precommit_token = NULL;
	conn->xact.precommit_seq = 0;
}

/*
 * spanner_precommit_append
 *		Add the member "precommitToken" of a CommitRequest to body (JSON
 *		object members so far, no closing brace), if a token is held.
 */
void
spanner_precommit_append(SpannerConnection *conn, StringInfo body)
{
	if (conn->xact.precommit_token == NULL)
		return;
	appendStringInfoString(body, ",\"precommitToken\":{\"precommitToken\":");
	escape_json(body, conn->xact.precommit_token);
	appendStringInfo(body, ",\"seqNum\":%d}", (int) conn->xact.precommit_seq);
}
