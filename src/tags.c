/*-------------------------------------------------------------------------
 *
 * tags.c
 *		  Request options of Spanner requests: request tags, transaction
 *		  tags and priority (RequestOptions of google.spanner.v1), which
 *		  Spanner's query, read, transaction and lock statistics group by.
 *
 * Where they go (spanner.proto: ExecuteSqlRequest, ReadRequest,
 * ExecuteBatchDmlRequest, CommitRequest and BeginTransactionRequest carry a
 * "requestOptions"; RollbackRequest and session requests do not):
 *	- requestTag: queries, reads and DML (executeSql, executeStreamingSql,
 *	  streamingRead, executeBatchDml); never on a commit, where Spanner
 *	  ignores it;
 *	- transactionTag: every request of a read-write (or partitioned DML)
 *	  transaction, the same value on each - the request that begins it,
 *	  the later ones and the commit, as Spanner asks; never on requests of
 *	  read-only or single-use read-only transactions, where Spanner ignores
 *	  it.  The value is fixed when the transaction begins (or when its
 *	  first mutation is buffered) and kept to its end;
 *	- priority: queries, reads, DML and commits; not on beginTransaction,
 *	  where Spanner ignores it.  A commit takes the priority fixed with the
 *	  transaction tag.
 *
 * Which value: the GUC (spanner_fdw.request_tag, .transaction_tag,
 * .priority) when set, else the foreign table's option, else the server's,
 * else the default: a tag "pg:<role>/<application_name>/<kind>" (see
 * spanner_default_tag), and Spanner's own default priority.  "none" as a
 * tag sends no tag.  A request about several foreign tables (a join) takes
 * a table option only when all of them give the same value.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/tags.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/xact.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "connection.h"

char	   *spanner_request_tag_guc = NULL;
char	   *spanner_transaction_tag_guc = NULL;
char	   *spanner_priority_guc = NULL;

static const char *const kind_names[] = {
	[SPANNER_STMT_SELECT] = "select",
	[SPANNER_STMT_INSERT] = "insert",
	[SPANNER_STMT_UPDATE] = "update",
	[SPANNER_STMT_DELETE] = "delete",
	[SPANNER_STMT_TRUNCATE] = "truncate",
	[SPANNER_STMT_ANALYZE] = "analyze",
	[SPANNER_STMT_IMPORT] = "import",
	[SPANNER_STMT_CATALOG] = "catalog"
};

/* GUC check hooks: "" (not set), "none", or a valid tag / priority */
bool
spanner_check_tag_guc(char **newval, void **extra, GucSource source)
{
	const char *why;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	why = spanner_tag_check(*newval);
	if (why)
	{
		GUC_check_errdetail("%s", why);
		GUC_check_errhint("Give at most 50 printable ASCII characters, \"none\" to send no tag, or an empty string for the default.");
		return false;
	}
	return true;
}

bool
spanner_check_priority_guc(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' ||
		spanner_priority_value(*newval) != NULL)
		return true;
	GUC_check_errdetail("Spanner request priorities are low, medium and high.");
	GUC_check_errhint("Give \"low\", \"medium\", \"high\", or an empty string for Spanner's default.");
	return false;
}

/* Append s with every character outside printable ASCII as '?', '/' as '_'. */
static void
append_clean(StringInfo buf, const char *s, int maxlen)
{
	int			n = 0;

	while (*s && n < maxlen)
	{
		int			len = pg_mblen(s);

		if (len == 1 && *s == '/')
			appendStringInfoChar(buf, '_');
		else if (len == 1 && (unsigned char) *s >= 32 && (unsigned char) *s <= 126)
			appendStringInfoChar(buf, *s);
		else
			appendStringInfoChar(buf, '?');
		n++;
		for (; len > 0 && *s; len--)
			s++;
	}
}

/* characters of s once cleaned: one per (multibyte) character */
static int
clean_length(const char *s)
{
	int			n = 0;

	while (*s)
	{
		int			len = pg_mblen(s);

		n++;
		for (; len > 0 && *s; len--)
			s++;
	}
	return n;
}

/*
 * spanner_default_tag
 *		"pg:<role>/<application_name>/<kind>": the session user (the role
 *		that logged in), application_name (may be empty) and the kind.
 *		Characters outside printable ASCII become '?', '/' becomes '_'.  The
 *		whole is at most 50 characters: when role and application name do
 *		not both fit, the longer one is cut; when both are long, each keeps
 *		half of the room.
 */
char *
spanner_default_tag(const char *kind)
{
	const char *role = GetUserNameFromId(GetSessionUserId(), true);
	const char *app = application_name ? application_name : "";
	int			room = SPANNER_TAG_MAX - (int) strlen("pg:") - 2 - (int) strlen(kind);
	int			rlen,
				alen;
	StringInfoData buf;

	if (role == NULL)
		role = "";
	rlen = clean_length(role);
	alen = clean_length(app);
	if (rlen + alen > room)
	{
		int			half = room / 2;

		if (rlen <= half)
			alen = room - rlen;
		else if (alen <= room - half)
			rlen = room - alen;
		else
		{
			rlen = half;
			alen = room - half;
		}
	}
	initStringInfo(&buf);
	appendStringInfoString(&buf, "pg:");
	append_clean(&buf, role, rlen);
	appendStringInfoChar(&buf, '/');
	append_clean(&buf, app, alen);
	appendStringInfo(&buf, "/%s", kind);
	return buf.data;
}

/* The value of a server option, or NULL. */
static char *
server_option(Oid serverid, const char *name)
{
	ForeignServer *server = GetForeignServer(serverid);
	ListCell   *lc;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * The GUC's value if set, else the tables' option when they all give the
 * same, else the server's option, else NULL.
 */
static const char *
resolve(const char *guc, const char *name, const SpannerReqInfo *ri, Oid serverid)
{
	ListCell   *lc;
	const char *common = NULL;
	bool		first = true;

	if (guc && guc[0])
		return guc;
	if (ri)
	{
		foreach(lc, ri->relids)
		{
			const char *v = spanner_table_option(lfirst_oid(lc), name);

			if (first)
				common = v;
			else if (common == NULL || v == NULL || strcmp(common, v) != 0)
				common = NULL;
			first = false;
			if (common == NULL)
				break;
		}
		if (common)
			return common;
	}
	return server_option(serverid, name);
}

static const char *
kind_name(const SpannerReqInfo *ri)
{
	return kind_names[ri ? ri->kind : SPANNER_STMT_CATALOG];
}

/* A tag to send, or NULL for none. */
static const char *
tag_value(const char *v, const char *kind)
{
	if (v == NULL)
		return spanner_default_tag(kind);
	if (strcmp(v, SPANNER_TAG_NONE) == 0)
		return NULL;
	return v;
}

static const char *
request_tag(const SpannerReqInfo *ri, Oid serverid)
{
	return tag_value(resolve(spanner_request_tag_guc, "request_tag", ri, serverid),
					 kind_name(ri));
}

static const char *
priority(const SpannerReqInfo *ri, Oid serverid)
{
	const char *v = resolve(spanner_priority_guc, "priority", ri, serverid);

	return v ? spanner_priority_value(v) : NULL;
}

/*
 * spanner_transaction_tag
 *		The transaction tag of a transaction begun now by a request of ri:
 *		its kind in the default tag is "block" in a transaction block, else
 *		the statement's.  NULL: none.
 */
const char *
spanner_transaction_tag(const SpannerReqInfo *ri, Oid serverid)
{
	return tag_value(resolve(spanner_transaction_tag_guc, "transaction_tag", ri, serverid),
					 IsTransactionBlock() ? "block" : kind_name(ri));
}

/*
 * spanner_append_request_options
 *		Append ,"requestOptions":{...} to a request body (nothing if every
 *		part is NULL).
 */
void
spanner_append_request_options(StringInfo buf, const char *req_tag,
							   const char *txn_tag, const char *prio)
{
	bool		any = false;

	if (req_tag == NULL && txn_tag == NULL && prio == NULL)
		return;
	appendStringInfoString(buf, ",\"requestOptions\":{");
	if (prio)
	{
		appendStringInfo(buf, "\"priority\":\"%s\"", prio);
		any = true;
	}
	if (req_tag)
	{
		appendStringInfoString(buf, any ? ",\"requestTag\":" : "\"requestTag\":");
		escape_json(buf, req_tag);
		any = true;
	}
	if (txn_tag)
	{
		appendStringInfoString(buf, any ? ",\"transactionTag\":" : "\"transactionTag\":");
		escape_json(buf, txn_tag);
	}
	appendStringInfoChar(buf, '}');
}

/*
 * spanner_xact_fix_options
 *		Fix the transaction tag and the commit's priority of the
 *		connection's read-write transaction, once: at the request that
 *		begins it, or at its first buffered mutation.
 */
void
spanner_xact_fix_options(SpannerConnection *conn, const SpannerReqInfo *ri)
{
	const char *tag;

	if (conn->xact.options_fixed)
		return;
	tag = spanner_transaction_tag(ri, conn->serverid);
	conn->xact.txn_tag = tag ? MemoryContextStrdup(conn->cxt, tag) : NULL;
	conn->xact.txn_priority = priority(ri, conn->serverid);
	conn->xact.options_fixed = true;
}

/*
 * spanner_xact_request_options
 *		The requestOptions of a request in the connection's transaction,
 *		called just after spanner_xact_selector (begins: what it said), as
 *		",\"requestOptions\":{...}" or "" (palloc'd).  A request of the
 *		read-write transaction carries its transaction tag.
 */
char *
spanner_xact_request_options(SpannerConnection *conn, const SpannerReqInfo *ri,
							 bool begins)
{
	bool		rw = begins ? conn->xact.begin_rw
		: conn->xact.kind == SPANNER_XACT_READ_WRITE;
	StringInfoData buf;

	if (rw)
		spanner_xact_fix_options(conn, ri);
	initStringInfo(&buf);
	spanner_append_request_options(&buf, request_tag(ri, conn->serverid),
								   rw ? conn->xact.txn_tag : NULL,
								   priority(ri, conn->serverid));
	return buf.data;
}

/*
 * spanner_single_request_options
 *		The same for a request outside the connection's transaction: a
 *		single-use read-only query (no transaction tag), or a request of a
 *		partitioned DML transaction (txn_tag: its tag, or NULL).
 */
char *
spanner_single_request_options(SpannerConnection *conn, const SpannerReqInfo *ri,
							   const char *txn_tag)
{
	StringInfoData buf;

	initStringInfo(&buf);
	spanner_append_request_options(&buf, request_tag(ri, conn->serverid), txn_tag,
								   priority(ri, conn->serverid));
	return buf.data;
}

/*
 * spanner_commit_request_options
 *		A commit's: the transaction tag and priority fixed with the
 *		transaction (no request tag: Spanner ignores it on commits).
 */
char *
spanner_commit_request_options(SpannerConnection *conn)
{
	StringInfoData buf;

	if (!conn->xact.options_fixed)
		spanner_xact_fix_options(conn, NULL);
	initStringInfo(&buf);
	spanner_append_request_options(&buf, NULL, conn->xact.txn_tag,
								   conn->xact.txn_priority);
	return buf.data;
}

/*
 * spanner_req_info
 *		What a request is for: the kind of its statement and the foreign
 *		table it reads or writes (InvalidOid: none, the server's options).
 */
SpannerReqInfo *
spanner_req_info(SpannerStmtKind kind, Oid relid)
{
	SpannerReqInfo *ri = palloc0(sizeof(SpannerReqInfo));

	ri->kind = kind;
	if (OidIsValid(relid))
		ri->relids = list_make1_oid(relid);
	return ri;
}

/* The statement kind of an executor command. */
SpannerStmtKind
spanner_stmt_kind(CmdType cmd)
{
	switch (cmd)
	{
		case CMD_INSERT:
			return SPANNER_STMT_INSERT;
		case CMD_UPDATE:
			return SPANNER_STMT_UPDATE;
		case CMD_DELETE:
			return SPANNER_STMT_DELETE;
		default:
			return SPANNER_STMT_SELECT;
	}
}
