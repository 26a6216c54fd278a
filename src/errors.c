/*-------------------------------------------------------------------------
 *
 * errors.c
 *		  The one funnel that turns a Spanner client error into a
 *		  PostgreSQL error report.
 *
 * The SQLSTATE comes from the kind of failure and, for errors Spanner
 * returned, from its canonical status code and error details - never from
 * the wording of its message, which is not an interface.  Spanner's message
 * goes in the DETAIL, the remote SQL in the CONTEXT.  A pending cancel wins
 * over the error it caused.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "miscadmin.h"

#include "spanner_fdw.h"

/* SQLSTATE and hint for a status Spanner returned */
static int
remote_sqlstate(const SpError *err, const char **hint)
{
	switch (err->grpc_code)
	{
		case SP_GRPC_INVALID_ARGUMENT:
			return ERRCODE_FDW_ERROR;
		case SP_GRPC_NOT_FOUND:
			if (err->session_gone)
				*hint = "The Spanner session, database or instance does not exist.";
			return ERRCODE_FDW_TABLE_NOT_FOUND;
		case SP_GRPC_ALREADY_EXISTS:
			return ERRCODE_UNIQUE_VIOLATION;
		case SP_GRPC_PERMISSION_DENIED:
			*hint = "Check the IAM roles of the service account, and the user mapping's \"database_role\".";
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case SP_GRPC_UNAUTHENTICATED:
			*hint = "Check the credentials in the user mapping.";
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case SP_GRPC_RESOURCE_EXHAUSTED:
			return ERRCODE_INSUFFICIENT_RESOURCES;
		case SP_GRPC_FAILED_PRECONDITION:
			return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
		case SP_GRPC_ABORTED:
			*hint = "Retry the transaction.";
			return ERRCODE_T_R_SERIALIZATION_FAILURE;
		case SP_GRPC_OUT_OF_RANGE:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case SP_GRPC_UNIMPLEMENTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case SP_GRPC_UNAVAILABLE:
			*hint = "Spanner is unavailable; retry later.";
			return ERRCODE_CONNECTION_FAILURE;
		case SP_GRPC_DEADLINE_EXCEEDED:
		case SP_GRPC_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

/*
 * A constraint Spanner enforced, told by its status and message (the
 * emulator's and production's wordings): the SQLSTATE PostgreSQL gives the
 * same violation, and a primary message in its style.  0 if none.
 */
static int
constraint_sqlstate(const SpError *err, const char **primary)
{
	const char *m = err->message;

	if (err->grpc_code == SP_GRPC_ALREADY_EXISTS)
	{
		*primary = "duplicate key value violates a primary key or unique index on Spanner";
		return ERRCODE_UNIQUE_VIOLATION;
	}
	if (err->grpc_code != SP_GRPC_FAILED_PRECONDITION &&
		err->grpc_code != SP_GRPC_OUT_OF_RANGE &&
		err->grpc_code != SP_GRPC_INVALID_ARGUMENT &&
		err->grpc_code != SP_GRPC_NOT_FOUND)
		return 0;
	if (strstr(m, "Cannot specify a null value for column") ||
		strstr(m, "must not be NULL"))
	{
		*primary = "null value violates a NOT NULL column on Spanner";
		return ERRCODE_NOT_NULL_VIOLATION;
	}
	if (strstr(m, "Foreign key") || strstr(m, "foreign key") ||
		strstr(m, "not found in parent table") || strstr(m, "Parent row"))
	{
		*primary = "write violates a foreign key or an interleaving on Spanner";
		return ERRCODE_FOREIGN_KEY_VIOLATION;
	}
	if (strstr(m, "Check constraint") || strstr(m, "check constraint"))
	{
		*primary = "new row violates a check constraint on Spanner";
		return ERRCODE_CHECK_VIOLATION;
	}
	if (strstr(m, "exceeds the maximum size limit"))
	{
		*primary = "value too long for a Spanner column";
		return ERRCODE_STRING_DATA_RIGHT_TRUNCATION;
	}
	return 0;
}

/*
 * spanner_report_error
 *		Report err at elevel (returns only if elevel is below ERROR).
 */
void
spanner_report_error(int elevel, SpError *err, const char *sql)
{
	spanner_report_error_note(elevel, err, sql, NULL);
}

/*
 * spanner_report_error_note
 *		spanner_report_error, with note (if not NULL) added to the DETAIL
 *		after Spanner's message: how often the request was made (retry.c).
 */
void
spanner_report_error_note(int elevel, SpError *err, const char *sql,
						  const char *note)
{
	int			sqlstate = ERRCODE_FDW_ERROR;
	const char *primary = NULL;
	const char *hint = NULL;
	const char *detail = err->message;

	if (elevel >= ERROR)
		CHECK_FOR_INTERRUPTS();

	switch (err->kind)
	{
		case SP_OK:
		case SP_ERR_USAGE:
			sqlstate = ERRCODE_INTERNAL_ERROR;
			primary = "Spanner client error";
			break;
		case SP_ERR_CANCELLED:
			sqlstate = ERRCODE_QUERY_CANCELED;
			primary = "canceling Spanner request due to user request";
			break;
		case SP_ERR_TRANSPORT:
			sqlstate = err->after_data ? ERRCODE_CONNECTION_FAILURE
				: ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			primary = err->after_data ? "connection to Spanner lost while reading a result"
				: "could not reach Spanner";
			hint = "Check the server's \"endpoint\" option and the network.";
			if (!err->after_data && err->conn_lost)
			{
				/* reached, then lost: the request may have been acted on */
				sqlstate = ERRCODE_CONNECTION_FAILURE;
				primary = "connection to Spanner lost before its answer arrived";
				hint = "The request may have reached Spanner; retry the transaction once Spanner answers again.";
			}
			break;
		case SP_ERR_PROTOCOL:
			sqlstate = ERRCODE_PROTOCOL_VIOLATION;
			primary = "invalid response from Spanner";
			break;
		case SP_ERR_TOO_LARGE:
			sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			primary = "response from Spanner is too large";
			break;
		case SP_ERR_NOMEM:
			sqlstate = ERRCODE_OUT_OF_MEMORY;
			primary = "out of memory in the Spanner client";
			break;
		case SP_ERR_REMOTE:
			break;
	}

	if (note)
		detail = psprintf("%s\n%s", err->message, note);
	if (err->kind == SP_ERR_REMOTE &&
		(sqlstate = constraint_sqlstate(err, &primary)) != 0)
		ereport(elevel,
				(errcode(sqlstate),
				 errmsg_internal("%s", primary),
				 errdetail_internal("%s", detail),
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
	else if (err->kind == SP_ERR_REMOTE)
	{
		sqlstate = remote_sqlstate(err, &hint);
		ereport(elevel,
				(errcode(sqlstate),
				 errmsg("Spanner request failed: %s", err->status),
				 errdetail_internal("%s", detail),
				 hint ? errhint("%s", hint) : 0,
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
	}
	else
		ereport(elevel,
				(errcode(sqlstate),
				 errmsg_internal("%s", primary),
				 err->kind != SP_ERR_CANCELLED ? errdetail_internal("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0,
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
}

/* Does s contain sub, in any case? */
static bool
contains_ci(const char *s, const char *sub)
{
	size_t		n = strlen(sub);

	for (; *s; s++)
		if (pg_strncasecmp(s, sub, n) == 0)
			return true;
	return false;
}

/*
 * spanner_report_commit_refused
 *		Spanner refused the commit of a read-write transaction on a
 *		multiplexed session (FAILED_PRECONDITION or INVALID_ARGUMENT, e.g.
 *		its precommit token is missing or not the latest): nothing was
 *		committed, and the commit is not repeated.  Returns without
 *		reporting for any other error (constraint violations included),
 *		which takes the usual way.
 */
void
spanner_report_commit_refused(SpError *err)
{
	const char *primary = NULL;
	const char *hint = NULL;
	int			sqlstate;
	bool		token;

	if (err->kind != SP_ERR_REMOTE ||
		(err->grpc_code != SP_GRPC_FAILED_PRECONDITION &&
		 err->grpc_code != SP_GRPC_INVALID_ARGUMENT) ||
		constraint_sqlstate(err, &primary) != 0)
		return;
	sqlstate = remote_sqlstate(err, &hint);
	/* the hint on the token only where Spanner's message names it */
	token = contains_ci(err->message, "precommit") ||
		contains_ci(err->message, "token");
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("Spanner refused to commit the transaction: %s", err->status),
			 errdetail_internal("%s", err->message),
			 token ? errhint("Nothing was committed.  On a multiplexed session Spanner refuses a commit whose precommit token is missing or not the latest the transaction received; retry the transaction.")
			 : errhint("Nothing was committed.")));
}

/*
 * spanner_report_xact_lost
 *		The read-write transaction went with its session (expired, deleted,
 *		or the server restarted): none of its writes can be committed.
 */
void
spanner_report_xact_lost(const char *sql)
{
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("the Spanner read-write transaction was lost with its session"),
			 errdetail("Spanner no longer has the session of this transaction (it expired, was deleted, or Spanner restarted), so none of the transaction's writes will be committed."),
			 errhint("Roll back the transaction and retry it."),
			 sql ? errcontext("remote SQL command: %s", sql) : 0));
}

/*
 * spanner_report_snapshot_lost
 *		The transaction's snapshot went with its session: the transaction
 *		cannot go on reading one consistent state.
 */
void
spanner_report_snapshot_lost(const char *sql)
{
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("the Spanner session of this transaction expired"),
			 errdetail("The transaction's read snapshot was lost with the session."),
			 errhint("Retry the transaction."),
			 sql ? errcontext("remote SQL command: %s", sql) : 0));
}
