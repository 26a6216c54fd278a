/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  INSERT, UPDATE and DELETE row by row, and COPY FROM: planning and
 *		  execution.  (Statements Spanner runs whole are in direct.c.)
 *
 * Inserted rows are collected up to batch_size and then written:
 *	- as buffered mutations, sent with the commit, by an autocommit INSERT
 *	  or COPY without RETURNING (nothing in the transaction reads after
 *	  them): one round trip for the whole statement;
 *	- otherwise as DML in the read-write transaction (multi-row INSERT, as
 *	  many statements as the parameter limit needs, one executeBatchDml),
 *	  before the statement ends, so that later reads see them.
 * A row whose outcome the executor needs at once (RETURNING, ON CONFLICT
 * DO NOTHING without batching, row triggers) is written by itself.
 *
 * UPDATE and DELETE address each row by its primary key: the columns with
 * the option key (true, or the column's position in the key, as IMPORT
 * FOREIGN SCHEMA sets it), fetched by the scan as row identity columns.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/inherit.h"
#include "parser/parsetree.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "spanner_fdw.h"

/* The most parameters one DML statement gets (Spanner allows 950). */
#define SPANNER_MAX_PARAMS 900
/* The largest commit request (Spanner allows 100 MB) */
#define SPANNER_MAX_COMMIT_BYTES ((size_t) 90 * 1024 * 1024)
/* The default of the batch_size option */
#define SPANNER_DEFAULT_BATCH_SIZE 100

int			spanner_commit_mutation_limit = 80000;
bool		spanner_nonatomic_bulk_load = false;

/* Indexes of the items in ModifyTable->fdw_private */
enum FdwModifyPrivateIndex
{
	FdwModifyPrivateTargetAttrs,	/* columns written (integer List) */
	FdwModifyPrivateReturningAttrs, /* columns RETURNING needs (integer List) */
	FdwModifyPrivateOrIgnore	/* ON CONFLICT DO NOTHING (Integer) */
};

typedef struct SpannerModifyState
{
	Relation	rel;
	CmdType		operation;
	const SpannerReqInfo *req;	/* statement kind and table, for tags */
	SpannerConnection *conn;
	const SpannerDialect *dialect;

	List	   *target_attrs;	/* columns written */
	List	   *key_attrs;		/* primary-key columns */
	List	   *returning_attrs;	/* columns THEN RETURN gives */
	List	   *ts_attrs;		/* columns set to the commit timestamp */
	SpTypeCode *types;			/* Spanner type of each attnum */
	SpTypeCode *elems;
	AttrNumber *key_junk;		/* junk columns holding the key (UPDATE,
								 * DELETE) */
	bool		or_ignore;		/* ON CONFLICT DO NOTHING */
	SpannerInsertMode mode;
	bool		buffered;		/* rows are collected: no per-row result */
	bool		mutations;		/* ...and sent as mutations */
	int			batch_size;

	char	   *sql;			/* INSERT prefix, or the UPDATE/DELETE */
	char	   *mutation_head;	/* {"insert":{"table":..,"columns":[..],"values":[ */

	/* collected rows: each an array of JSON values, one per target attr */
	List	   *rows;
	MemoryContext batch_cxt;	/* holds rows; reset after each flush */
	MemoryContext temp_cxt;		/* per row */
	SpannerColumnConv *ret_convs;
} SpannerModifyState;

/* ---------------------------------------------------------------------
 * Planning
 * ---------------------------------------------------------------------
 */

static bool
column_is_key(Oid relid, AttrNumber attnum)
{
	return spanner_column_key_position(relid, attnum) >= 0;
}

/*
 * spanner_key_attrs
 *		The primary-key columns of a foreign table (option key true or a
 *		position), in column order.
 */
List *
spanner_key_attrs(Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *result = NIL;
	int			i;

	for (i = 1; i <= tupdesc->natts; i++)
		if (!TupleDescAttr(tupdesc, i - 1)->attisdropped &&
			column_is_key(RelationGetRelid(rel), i))
			result = lappend_int(result, i);
	return result;
}

/*
 * spanner_refuse_key_update
 *		Spanner cannot change a row's primary key.
 */
void
spanner_refuse_key_update(Relation rel, List *target_attrs)
{
	ListCell   *lc;

	foreach(lc, target_attrs)
		if (column_is_key(RelationGetRelid(rel), lfirst_int(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot update primary key column \"%s\" of foreign table \"%s\"",
							NameStr(TupleDescAttr(RelationGetDescr(rel), lfirst_int(lc) - 1)->attname),
							RelationGetRelationName(rel)),
					 errdetail("Spanner cannot change the key of a row."),
					 errhint("Delete the row and insert it with the new key.")));
}

/*
 * spanner_commit_ts_attrs
 *		Columns Spanner fills with the commit timestamp on this operation
 *		(column option commit_timestamp 'insert', 'update' or 'always').
 */
List *
spanner_commit_ts_attrs(Relation rel, CmdType operation)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *result = NIL;
	int			i;

	for (i = 1; i <= tupdesc->natts; i++)
	{
		char	   *v;

		if (TupleDescAttr(tupdesc, i - 1)->attisdropped)
			continue;
		v = spanner_column_option(RelationGetRelid(rel), i, "commit_timestamp");
		if (v == NULL)
			continue;
		if (strcmp(v, "always") == 0 ||
			(strcmp(v, "insert") == 0 && operation == CMD_INSERT) ||
			(strcmp(v, "update") == 0 && operation == CMD_UPDATE))
			result = lappend_int(result, i);
	}
	return result;
}

/*
 * spanner_add_update_targets
 *		UPDATE and DELETE address rows by their key: the scan fetches the key
 *		columns as row identity columns.
 */
void
spanner_add_update_targets(PlannerInfo *root, Index rtindex,
						   RangeTblEntry *target_rte, Relation target_relation)
{
	ListCell   *lc;

	foreach(lc, spanner_key_attrs(target_relation))
	{
		AttrNumber	attno = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(target_relation), attno - 1);
		Var		   *var = makeVar(rtindex, attno, att->atttypid, att->atttypmod,
								  att->attcollation, 0);

		add_row_identity_var(root, var, rtindex,
							 psprintf("spanner_key_%s", NameStr(att->attname)));
	}
}

/* Columns a list of expressions reference (0 in the list: all). */
static List *
referenced_attrs(Relation rel, Index rtindex, List *exprs)
{
	Bitmapset  *attrs = NULL;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		all;
	List	   *result = NIL;
	int			i;

	pull_varattnos((Node *) exprs, rtindex, &attrs);
	all = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	for (i = 1; i <= tupdesc->natts; i++)
		if (!TupleDescAttr(tupdesc, i - 1)->attisdropped &&
			(all || bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs)))
			result = lappend_int(result, i);
	return result;
}

/*
 * spanner_plan_modify
 *		PlanForeignModify: the columns written and returned.
 */
List *
spanner_plan_modify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
					int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *target_attrs = NIL;
	List	   *returning_attrs = NIL;
	bool		or_ignore = false;
	int			i;

	if (operation == CMD_INSERT)
	{
		for (i = 1; i <= tupdesc->natts; i++)
		{
			Form_pg_attribute attr = TupleDescAttr(tupdesc, i - 1);

			if (!attr->attisdropped && !attr->attgenerated)
				target_attrs = lappend_int(target_attrs, i);
		}
	}
	else if (operation == CMD_UPDATE)
	{
		RelOptInfo *baserel = find_base_rel(root, resultRelation);
		Bitmapset  *cols = get_rel_all_updated_cols(root, baserel);
		int			col = -1;

		while ((col = bms_next_member(cols, col)) >= 0)
		{
			AttrNumber	attno = col + FirstLowInvalidHeapAttributeNumber;

			if (attno <= InvalidAttrNumber)
				elog(ERROR, "system-column update is not supported");
			if (!TupleDescAttr(tupdesc, attno - 1)->attgenerated)
				target_attrs = lappend_int(target_attrs, attno);
		}
		spanner_refuse_key_update(rel, target_attrs);
	}
	if (operation != CMD_INSERT && spanner_key_attrs(rel) == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_NO_SCHEMAS),
				 errmsg("foreign table \"%s\" has no key columns", RelationGetRelationName(rel)),
				 errdetail("This %s cannot run whole on Spanner, so its rows are addressed by their primary key.",
						   operation == CMD_UPDATE ? "UPDATE" : "DELETE"),
				 errhint("Mark the primary key columns with OPTIONS (key 'true'), as IMPORT FOREIGN SCHEMA does, or write the statement so that every condition and new value can be sent to Spanner.")));

	if (plan->returningLists)
		returning_attrs = referenced_attrs(rel, resultRelation,
										   (List *) list_nth(plan->returningLists, subplan_index));

	if (plan->onConflictAction == ONCONFLICT_NOTHING)
		or_ignore = true;
	else if (plan->onConflictAction != ONCONFLICT_NONE)
		elog(ERROR, "unexpected ON CONFLICT specification: %d",
			 (int) plan->onConflictAction);

	table_close(rel, NoLock);
	return list_make3(target_attrs, returning_attrs, makeInteger(or_ignore ? 1 : 0));
}

/*
 * spanner_is_updatable
 *		IsForeignRelUpdatable: the updatable option (the table's, else the
 *		server's; default true).
 */
int
spanner_is_updatable(Relation rel)
{
	return spanner_rel_bool_option(RelationGetRelid(rel), "updatable", true) ?
		(1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE) : 0;
}

/* ---------------------------------------------------------------------
 * Execution
 * ---------------------------------------------------------------------
 */

/* JSON string of the Spanner name of the table (mutations) */
static void
append_table_json(StringInfo buf, Oid relid)
{
	const char *nspname = spanner_table_option(relid, "schema_name");
	const char *relname = spanner_table_option(relid, "table_name");

	if (relname == NULL)
		relname = get_rel_name(relid);
	if (nspname && nspname[0])
		escape_json(buf, psprintf("%s.%s", nspname, relname));
	else
		escape_json(buf, relname);
}

/*
 * Is this statement the whole transaction's only statement, at top level
 * (not inside a function or trigger)?  Only then can nothing read after
 * its mutations before they are committed.
 */
static bool
statement_is_whole_transaction(EState *estate)
{
	PlannedStmt *top;

	if (IsTransactionBlock() || ActivePortal == NULL ||
		list_length(ActivePortal->stmts) != 1)
		return false;
	top = linitial_node(PlannedStmt, ActivePortal->stmts);
	if (estate->es_plannedstmt != NULL)
		return top == estate->es_plannedstmt;
	/* COPY FROM runs without a plan */
	return top->commandType == CMD_UTILITY && top->utilityStmt != NULL &&
		IsA(top->utilityStmt, CopyStmt);
}

static int
option_batch_size(Oid relid)
{
	char	   *v = spanner_rel_option(relid, "batch_size");
	int			n;

	if (v == NULL || !parse_int(v, &n, 0, NULL) || n < 1)
		return SPANNER_DEFAULT_BATCH_SIZE;
	return n;
}

static bool
has_row_triggers(ResultRelInfo *rinfo, CmdType operation)
{
	TriggerDesc *td = rinfo->ri_TrigDesc;

	if (td == NULL)
		return false;
	if (operation == CMD_INSERT)
		return td->trig_insert_before_row || td->trig_insert_after_row;
	return true;
}

/* Would a trigger of the statement read the table after its rows? */
static bool
has_after_statement_triggers(ResultRelInfo *rinfo)
{
	return rinfo->ri_TrigDesc != NULL && rinfo->ri_TrigDesc->trig_insert_after_statement;
}

/* The user whose mapping writes to the table */
static Oid
modify_userid(EState *estate, ResultRelInfo *rinfo)
{
	if (rinfo->ri_RangeTableIndex > 0)
	{
		RangeTblEntry *rte = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate);

		if (OidIsValid(rte->checkAsUser))
			return rte->checkAsUser;
	}
	return GetUserId();
}

static SpannerModifyState *
create_modify_state(EState *estate, ResultRelInfo *rinfo, CmdType operation,
					List *target_attrs, List *returning_attrs, bool or_ignore,
					List *subplan_tlist)
{
	SpannerModifyState *fmstate = palloc0(sizeof(SpannerModifyState));
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	ForeignTable *table = GetForeignTable(relid);
	UserMapping *user = GetUserMapping(modify_userid(estate, rinfo), table->serverid);
	SpannerRelInfo fpinfo;
	Bitmapset  *needed = NULL;
	ListCell   *lc;
	StringInfoData buf;
	char	   *mode;

	fmstate->rel = rel;
	fmstate->operation = operation;
	fmstate->req = spanner_req_info(spanner_stmt_kind(operation), RelationGetRelid(rel));
	fmstate->dialect = spanner_server_dialect(table->serverid);
	fmstate->target_attrs = target_attrs;
	fmstate->returning_attrs = returning_attrs;
	fmstate->or_ignore = or_ignore;
	fmstate->ts_attrs = spanner_commit_ts_attrs(rel, operation);
	fmstate->batch_size = option_batch_size(relid);
	mode = spanner_rel_option(relid, "insert_mode");
	fmstate->mode = mode ? spanner_insert_mode_from_name(mode) : SPANNER_INSERT;
	if (operation != CMD_INSERT)
		fmstate->key_attrs = spanner_key_attrs(rel);

	/* the Spanner type of every column written or used as key */
	memset(&fpinfo, 0, sizeof(fpinfo));
	fpinfo.relid = relid;
	fpinfo.serverid = table->serverid;
	fpinfo.dialect = fmstate->dialect;
	foreach(lc, list_concat_copy(target_attrs, fmstate->key_attrs))
		needed = bms_add_member(needed, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	spanner_remote_types(&fpinfo, needed, modify_userid(estate, rinfo));
	fmstate->types = fpinfo.remote_types;
	fmstate->elems = fpinfo.remote_elems;

	if (operation == CMD_INSERT && fmstate->mode == SPANNER_REPLACE && !or_ignore)
	{
		/* DML has no REPLACE: delete by key, then insert */
		fmstate->key_attrs = spanner_key_attrs(rel);
	}

	fmstate->buffered = (operation == CMD_INSERT && returning_attrs == NIL &&
						 !has_row_triggers(rinfo, operation) &&
						 rinfo->ri_WithCheckOptions == NIL);
	fmstate->mutations = fmstate->buffered && !or_ignore &&
		!has_after_statement_triggers(rinfo) &&
		statement_is_whole_transaction(estate);
	if (operation == CMD_INSERT && !fmstate->mutations &&
		fmstate->mode == SPANNER_REPLACE && fmstate->key_attrs == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_NO_SCHEMAS),
				 errmsg("foreign table \"%s\" has no key columns", RelationGetRelationName(rel)),
				 errdetail("insert_mode 'replace' inside a transaction deletes each row by its key before inserting it."),
				 errhint("Mark the primary key columns with OPTIONS (key 'true'), as IMPORT FOREIGN SCHEMA does.")));

	initStringInfo(&buf);
	if (operation == CMD_INSERT)
	{
		spanner_deparse_insert(&buf, fmstate->dialect, relid, target_attrs,
							   or_ignore, fmstate->mode == SPANNER_INSERT_OR_UPDATE);
		fmstate->sql = buf.data;

		initStringInfo(&buf);
		appendStringInfo(&buf, "{\"%s\":{\"table\":",
						 fmstate->mode == SPANNER_INSERT_OR_UPDATE ? "insertOrUpdate"
						 : fmstate->mode == SPANNER_REPLACE ? "replace" : "insert");
		append_table_json(&buf, relid);
		appendStringInfoString(&buf, ",\"columns\":[");
		foreach(lc, target_attrs)
		{
			if (foreach_current_index(lc) > 0)
				appendStringInfoChar(&buf, ',');
			escape_json(&buf, spanner_column_name(relid, lfirst_int(lc)));
		}
		appendStringInfoString(&buf, "],\"values\":[");
		fmstate->mutation_head = buf.data;
	}
	else if (operation == CMD_UPDATE)
	{
		spanner_deparse_update(&buf, fmstate->dialect, relid, target_attrs,
							   fmstate->ts_attrs, fmstate->key_attrs, returning_attrs);
		fmstate->sql = buf.data;
	}
	else
	{
		spanner_deparse_delete(&buf, fmstate->dialect, relid, fmstate->key_attrs,
							   returning_attrs);
		fmstate->sql = buf.data;
	}

	if (operation != CMD_INSERT)
	{
		int			i = 0;

		fmstate->key_junk = palloc(sizeof(AttrNumber) * list_length(fmstate->key_attrs));
		foreach(lc, fmstate->key_attrs)
		{
			char	   *name = psprintf("spanner_key_%s",
										NameStr(TupleDescAttr(RelationGetDescr(rel),
															  lfirst_int(lc) - 1)->attname));

			fmstate->key_junk[i] = ExecFindJunkAttributeInTlist(subplan_tlist, name);
			if (!AttributeNumberIsValid(fmstate->key_junk[i]))
				elog(ERROR, "could not find junk %s column", name);
			i++;
		}
	}

	if (returning_attrs)
		fmstate->ret_convs = spanner_make_converters(RelationGetDescr(rel), returning_attrs);
	fmstate->batch_cxt = AllocSetContextCreate(estate->es_query_cxt,
											   "spanner_fdw batch", ALLOCSET_DEFAULT_SIZES);
	fmstate->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
											  "spanner_fdw modify row", ALLOCSET_SMALL_SIZES);

	/* last: the connection is marked in use by this transaction */
	fmstate->conn = spanner_get_connection(user);
	return fmstate;
}

/* Encode a value for column attnum; out of range is an error. */
static char *
encode_value(SpannerModifyState *fmstate, AttrNumber attnum, Datum value, bool isnull)
{
	StringInfoData buf;
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(fmstate->rel), attnum - 1);

	initStringInfo(&buf);
	if (!spanner_append_column_value(&buf, att->atttypid, value, isnull,
									 fmstate->types[attnum], fmstate->elems[attnum]))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("value of column \"%s\" is out of Spanner's range",
						NameStr(att->attname)),
				 errdetail("Spanner dates and timestamps lie in years 1 to 9999.")));
	return buf.data;
}

/* Collect one row to insert (its values in batch_cxt). */
static void
collect_row(SpannerModifyState *fmstate, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(fmstate->batch_cxt);
	char	  **values = palloc(sizeof(char *) * Max(1, list_length(fmstate->target_attrs)));
	ListCell   *lc;

	slot_getallattrs(slot);
	foreach(lc, fmstate->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		int			i = foreach_current_index(lc);

		if (list_member_int(fmstate->ts_attrs, attnum))
			values[i] = NULL;	/* the commit timestamp */
		else
			values[i] = encode_value(fmstate, attnum, slot->tts_values[attnum - 1],
									 slot->tts_isnull[attnum - 1]);
	}
	fmstate->rows = lappend(fmstate->rows, values);
	MemoryContextSwitchTo(old);
}

/* Add the collected rows to the commit's mutations. */
static void
flush_as_mutations(SpannerModifyState *fmstate)
{
	StringInfoData buf;
	ListCell   *lc;
	int			ncols = list_length(fmstate->target_attrs);
	int64		cells = (int64) list_length(fmstate->rows) * Max(ncols, 1);
	int64		pending;
	size_t		bytes;

	initStringInfo(&buf);
	appendStringInfoString(&buf, fmstate->mutation_head);
	foreach(lc, fmstate->rows)
	{
		char	  **values = (char **) lfirst(lc);
		int			i;

		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '[');
		for (i = 0; i < ncols; i++)
		{
			if (i > 0)
				appendStringInfoChar(&buf, ',');
			appendStringInfoString(&buf, values[i] ? values[i]
								   : "\"spanner.commit_timestamp()\"");
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}}");

	pending = spanner_pending_mutations(fmstate->conn, &bytes);
	if (pending + cells > spanner_commit_mutation_limit ||
		bytes + buf.len > SPANNER_MAX_COMMIT_BYTES)
	{
		if (!spanner_nonatomic_bulk_load || spanner_in_read_write(fmstate->conn))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the statement writes more than one Spanner commit can hold"),
					 errdetail("A commit holds at most %d values (spanner_fdw.commit_mutation_limit) and 100 MB; this statement has written " INT64_FORMAT " so far.",
							   spanner_commit_mutation_limit, pending + cells),
					 errhint("Split the statement into smaller ones, or SET spanner_fdw.nonatomic_bulk_load = on to commit it in several transactions (not atomic).")));
		/* commit what is pending; a batch alone larger than a commit is sent as it is */
		if (pending > 0)
			spanner_commit_connection(fmstate->conn);
	}
	spanner_add_mutation(fmstate->conn, fmstate->req, buf.data, cells);
	pfree(buf.data);
}

/* Append "(@pN, ...)" for a row whose values become parameters of params. */
static void
append_values_row(SpannerModifyState *fmstate, StringInfo sql, StringInfo params,
				  StringInfo types, char **values, int *nparams)
{
	ListCell   *lc;

	appendStringInfoChar(sql, '(');
	foreach(lc, fmstate->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		int			i = foreach_current_index(lc);

		if (i > 0)
			appendStringInfoString(sql, ", ");
		if (values[i] == NULL)
		{
			appendStringInfoString(sql, fmstate->dialect->commit_timestamp);
			continue;
		}
		(*nparams)++;
		fmstate->dialect->param_ref(sql, *nparams);
		appendStringInfo(params, "%s\"p%d\":%s", *nparams > 1 ? "," : "", *nparams, values[i]);
		appendStringInfo(types, "%s\"p%d\":%s", *nparams > 1 ? "," : "", *nparams,
						 fmstate->dialect->type_json(fmstate->types[attnum], fmstate->elems[attnum]));
	}
	appendStringInfoChar(sql, ')');
}

/* Append {"sql":..,"params":{..},"paramTypes":{..}} to a statement list. */
static void
append_statement(StringInfo list, const char *sql, StringInfo params, StringInfo types)
{
	if (list->len > 1)
		appendStringInfoChar(list, ',');
	appendStringInfoString(list, "{\"sql\":");
	escape_json(list, sql);
	appendStringInfo(list, ",\"params\":{%s},\"paramTypes\":{%s}}", params->data, types->data);
}

/* DELETE ... WHERE (k = @p1 AND ...) OR (...) for the rows' keys */
static void
append_replace_deletes(SpannerModifyState *fmstate, StringInfo list, int *nstatements,
					   char **first_sql)
{
	Oid			relid = RelationGetRelid(fmstate->rel);
	int			nkeys = list_length(fmstate->key_attrs);
	int			per_stmt = Max(1, SPANNER_MAX_PARAMS / Max(nkeys, 1));
	ListCell   *lc;
	StringInfoData sql,
				params,
				types;
	int			nparams = 0;
	int			nrows = 0;

	initStringInfo(&sql);
	initStringInfo(&params);
	initStringInfo(&types);
	foreach(lc, fmstate->rows)
	{
		char	  **values = (char **) lfirst(lc);
		ListCell   *kc;

		if (nrows == 0)
		{
			appendStringInfoString(&sql, "DELETE FROM ");
			spanner_deparse_table_name(&sql, fmstate->dialect, relid);
			appendStringInfoString(&sql, " WHERE ");
		}
		else
			appendStringInfoString(&sql, " OR ");
		appendStringInfoChar(&sql, '(');
		foreach(kc, fmstate->key_attrs)
		{
			AttrNumber	attnum = lfirst_int(kc);
			int			pos = -1;
			ListCell   *tc;

			foreach(tc, fmstate->target_attrs)
				if (lfirst_int(tc) == attnum)
					pos = foreach_current_index(tc);

			if (pos < 0 || values[pos] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("insert_mode 'replace' needs the value of every key column")));
			if (foreach_current_index(kc) > 0)
				appendStringInfoString(&sql, " AND ");
			fmstate->dialect->quote_identifier(&sql, spanner_column_name(relid, attnum));
			appendStringInfoString(&sql, " = ");
			nparams++;
			fmstate->dialect->param_ref(&sql, nparams);
			appendStringInfo(&params, "%s\"p%d\":%s", nparams > 1 ? "," : "", nparams, values[pos]);
			appendStringInfo(&types, "%s\"p%d\":%s", nparams > 1 ? "," : "", nparams,
							 fmstate->dialect->type_json(fmstate->types[attnum], fmstate->elems[attnum]));
		}
		appendStringInfoChar(&sql, ')');
		if (++nrows == per_stmt || lnext(fmstate->rows, lc) == NULL)
		{
			append_statement(list, sql.data, &params, &types);
			if (*first_sql == NULL)
				*first_sql = pstrdup(sql.data);
			(*nstatements)++;
			resetStringInfo(&sql);
			resetStringInfo(&params);
			resetStringInfo(&types);
			nparams = 0;
			nrows = 0;
		}
	}
}

/*
 * Write the collected rows with DML; returns the rows inserted.  ret:
 * THEN RETURN a single row's columns into *resp.
 */
static int64
flush_as_dml(SpannerModifyState *fmstate, json_object **resp)
{
	int			ncols = list_length(fmstate->target_attrs);
	int			per_stmt = Max(1, SPANNER_MAX_PARAMS / Max(ncols, 1));
	StringInfoData list,
				sql,
				params,
				types;
	ListCell   *lc;
	int			nparams = 0;
	int			nrows = 0;
	int			nstatements = 0;
	int			ninserts = 0;
	char	   *first_sql = NULL;
	int64		total = 0;
	int64	   *counts;
	int			i;
	bool		replace = (fmstate->mode == SPANNER_REPLACE && !fmstate->or_ignore);

	initStringInfo(&list);
	appendStringInfoChar(&list, '[');
	if (replace)
		append_replace_deletes(fmstate, &list, &nstatements, &first_sql);

	initStringInfo(&sql);
	initStringInfo(&params);
	initStringInfo(&types);
	foreach(lc, fmstate->rows)
	{
		if (nrows == 0)
			appendStringInfoString(&sql, fmstate->sql);
		else
			appendStringInfoString(&sql, ", ");
		append_values_row(fmstate, &sql, &params, &types, (char **) lfirst(lc), &nparams);
		if (++nrows == per_stmt || lnext(fmstate->rows, lc) == NULL)
		{
			spanner_deparse_returning(&sql, fmstate->dialect, RelationGetRelid(fmstate->rel),
									  fmstate->returning_attrs);
			/* a single statement needs no batch (and can return rows) */
			if (nstatements == 0 && lnext(fmstate->rows, lc) == NULL)
			{
				json_object *rs;

				rs = spanner_execute_dml(fmstate->conn, fmstate->req, sql.data,
										 nparams > 0 ? psprintf("{%s}", params.data) : NULL,
										 psprintf("{%s}", types.data), &total);
				if (resp)
					*resp = rs;
				else
					json_object_put(rs);
				return total;
			}
			append_statement(&list, sql.data, &params, &types);
			if (first_sql == NULL)
				first_sql = pstrdup(sql.data);
			nstatements++;
			ninserts++;
			resetStringInfo(&sql);
			resetStringInfo(&params);
			resetStringInfo(&types);
			nparams = 0;
			nrows = 0;
		}
	}
	appendStringInfoChar(&list, ']');
	counts = palloc0(sizeof(int64) * nstatements);
	spanner_execute_batch_dml(fmstate->conn, fmstate->req, list.data, nstatements,
							  first_sql, counts);
	/* the inserts are the last ninserts statements */
	for (i = nstatements - ninserts; i < nstatements; i++)
		total += counts[i];
	return total;
}

/* Write what was collected; returns the rows written. */
static int64
flush_rows(SpannerModifyState *fmstate, json_object **resp)
{
	int64		n = list_length(fmstate->rows);

	MemoryContext old;

	if (n == 0)
		return 0;
	/* what the flush builds is freed with the rows */
	old = MemoryContextSwitchTo(fmstate->batch_cxt);
	if (fmstate->mutations)
		flush_as_mutations(fmstate);
	else
		n = flush_as_dml(fmstate, resp);
	MemoryContextSwitchTo(old);
	fmstate->rows = NIL;
	MemoryContextReset(fmstate->batch_cxt);
	return n;
}

static void store_returning_guts(SpannerModifyState *fmstate, json_object *rs,
								 TupleTableSlot *slot, bool keep_others);

/*
 * Put the THEN RETURN row of rs into slot (other columns kept or NULL); rs
 * is released, also when the row cannot be converted.
 */
static void
store_returning(SpannerModifyState *fmstate, json_object *volatile rs,
				TupleTableSlot *slot, bool keep_others)
{
	PG_TRY();
	{
		store_returning_guts(fmstate, rs, slot, keep_others);
	}
	PG_CATCH();
	{
		json_object_put(rs);
		PG_RE_THROW();
	}
	PG_END_TRY();
	json_object_put(rs);
}

static void
store_returning_guts(SpannerModifyState *fmstate, json_object *rs, TupleTableSlot *slot,
				bool keep_others)
{
	json_object *rows,
			   *row,
			   *md,
			   *rt,
			   *fields;
	TupleDesc	tupdesc = slot->tts_tupleDescriptor;
	Datum	   *values;
	bool	   *nulls;
	ListCell   *lc;
	MemoryContext old;

	if (!(json_object_object_get_ex(rs, "rows", &rows) &&
		  json_object_is_type(rows, json_type_array) &&
		  json_object_array_length(rows) == 1 &&
		  json_object_object_get_ex(rs, "metadata", &md) &&
		  json_object_object_get_ex(md, "rowType", &rt) &&
		  json_object_object_get_ex(rt, "fields", &fields)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Spanner returned no row for THEN RETURN")));
	row = json_object_array_get_idx(rows, 0);
	if ((int) json_object_array_length(row) != list_length(fmstate->returning_attrs) ||
		(int) json_object_array_length(fields) != list_length(fmstate->returning_attrs))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Spanner returned %d columns for THEN RETURN, expected %d",
						(int) json_object_array_length(row),
						list_length(fmstate->returning_attrs))));

	old = MemoryContextSwitchTo(fmstate->temp_cxt);
	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	if (keep_others)
	{
		slot_getallattrs(slot);
		memcpy(values, slot->tts_values, sizeof(Datum) * tupdesc->natts);
		memcpy(nulls, slot->tts_isnull, sizeof(bool) * tupdesc->natts);
	}
	else
		memset(nulls, true, sizeof(bool) * tupdesc->natts);
	foreach(lc, fmstate->returning_attrs)
	{
		int			i = foreach_current_index(lc);
		AttrNumber	attnum = lfirst_int(lc);
		SpColumn	col;
		json_object *f = json_object_array_get_idx(fields, i);
		json_object *t;

		memset(&col, 0, sizeof(col));
		if (json_object_object_get_ex(f, "type", &t))
			sp_parse_type(t, &col);
		values[attnum - 1] = spanner_value_to_datum(fmstate->ret_convs, i,
													json_object_array_get_idx(row, i),
													&col, &nulls[attnum - 1]);
	}
	/* formed (values copied) before the slot lets go of its old data */
	MemoryContextSwitchTo(old);
	ExecForceStoreHeapTuple(heap_form_tuple(tupdesc, values, nulls), slot, true);
	MemoryContextReset(fmstate->temp_cxt);
}

void
spanner_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					 List *fdw_private, int subplan_index, int eflags)
{
	Plan	   *subplan;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	subplan = outerPlanState(mtstate)->plan;
	rinfo->ri_FdwState =
		create_modify_state(mtstate->ps.state, rinfo, mtstate->operation,
							(List *) list_nth(fdw_private, FdwModifyPrivateTargetAttrs),
							(List *) list_nth(fdw_private, FdwModifyPrivateReturningAttrs),
							intVal(list_nth(fdw_private, FdwModifyPrivateOrIgnore)) != 0,
							subplan->targetlist);
}

TupleTableSlot *
spanner_exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;
	json_object *rs = NULL;
	int64		n;

	collect_row(fmstate, slot);
	if (fmstate->buffered)
	{
		if (list_length(fmstate->rows) >= fmstate->batch_size)
			(void) flush_rows(fmstate, NULL);
		return slot;
	}
	n = flush_rows(fmstate, fmstate->returning_attrs ? &rs : NULL);
	if (n > 0 && rs)
		store_returning(fmstate, rs, slot, true);
	else
		json_object_put(rs);
	return n > 0 ? slot : NULL;
}

TupleTableSlot **
spanner_exec_batch_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
						  TupleTableSlot **planSlots, int *numSlots)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;
	int			i;
	int64		n;

	/* rows collected one by one before are written first */
	for (i = 0; i < *numSlots; i++)
		collect_row(fmstate, slots[i]);
	if (fmstate->mutations && list_length(fmstate->rows) < fmstate->batch_size)
		return slots;
	n = flush_rows(fmstate, NULL);
	if (!fmstate->mutations)
		*numSlots = (int) Min(n, *numSlots);
	return slots;
}

int
spanner_modify_batch_size(ResultRelInfo *rinfo)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;

	if (rinfo->ri_projectReturning != NULL ||
		(rinfo->ri_TrigDesc && (rinfo->ri_TrigDesc->trig_insert_before_row ||
								rinfo->ri_TrigDesc->trig_insert_after_row)))
		return 1;
	if (fmstate)
		return fmstate->batch_size;
	return option_batch_size(RelationGetRelid(rinfo->ri_RelationDesc));
}

/* The key of the row to change, as parameters from "first" on. */
static void
append_key_params(SpannerModifyState *fmstate, TupleTableSlot *planSlot,
				  StringInfo params, StringInfo types, int first)
{
	ListCell   *lc;

	foreach(lc, fmstate->key_attrs)
	{
		int			i = foreach_current_index(lc);
		AttrNumber	attnum = lfirst_int(lc);
		bool		isnull;
		Datum		value = ExecGetJunkAttribute(planSlot, fmstate->key_junk[i], &isnull);
		int			n = first + i;

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("key column \"%s\" of the row to change is NULL",
							get_attname(RelationGetRelid(fmstate->rel), attnum, false))));
		appendStringInfo(params, "%s\"p%d\":%s", n > 1 ? "," : "", n,
						 encode_value(fmstate, attnum, value, false));
		appendStringInfo(types, "%s\"p%d\":%s", n > 1 ? "," : "", n,
						 fmstate->dialect->type_json(fmstate->types[attnum], fmstate->elems[attnum]));
	}
}

static TupleTableSlot *
run_row_dml(SpannerModifyState *fmstate, TupleTableSlot *slot, StringInfo params,
			StringInfo types, bool keep_others)
{
	json_object *rs;
	int64		n;
	MemoryContext old = MemoryContextSwitchTo(fmstate->batch_cxt);
	char	   *p = psprintf("{%s}", params->data);
	char	   *t = psprintf("{%s}", types->data);

	MemoryContextSwitchTo(old);
	rs = spanner_execute_dml(fmstate->conn, fmstate->req, fmstate->sql, p, t, &n);
	if (n > 0 && fmstate->returning_attrs)
		store_returning(fmstate, rs, slot, keep_others);
	else
		json_object_put(rs);
	return n > 0 ? slot : NULL;
}

TupleTableSlot *
spanner_exec_update(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;
	StringInfoData params,
				types;
	ListCell   *lc;
	int			n = 0;
	MemoryContext old = MemoryContextSwitchTo(fmstate->batch_cxt);
	TupleTableSlot *result;

	initStringInfo(&params);
	initStringInfo(&types);
	slot_getallattrs(slot);
	foreach(lc, fmstate->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);

		n++;
		appendStringInfo(&params, "%s\"p%d\":%s", n > 1 ? "," : "", n,
						 encode_value(fmstate, attnum, slot->tts_values[attnum - 1],
									  slot->tts_isnull[attnum - 1]));
		appendStringInfo(&types, "%s\"p%d\":%s", n > 1 ? "," : "", n,
						 fmstate->dialect->type_json(fmstate->types[attnum], fmstate->elems[attnum]));
	}
	append_key_params(fmstate, planSlot, &params, &types, n + 1);
	MemoryContextSwitchTo(old);
	result = run_row_dml(fmstate, slot, &params, &types, true);
	MemoryContextReset(fmstate->batch_cxt);
	return result;
}

TupleTableSlot *
spanner_exec_delete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;
	StringInfoData params,
				types;
	MemoryContext old = MemoryContextSwitchTo(fmstate->batch_cxt);
	TupleTableSlot *result;

	initStringInfo(&params);
	initStringInfo(&types);
	append_key_params(fmstate, planSlot, &params, &types, 1);
	MemoryContextSwitchTo(old);
	result = run_row_dml(fmstate, slot, &params, &types, false);
	MemoryContextReset(fmstate->batch_cxt);
	return result;
}

void
spanner_end_modify(EState *estate, ResultRelInfo *rinfo)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;

	if (fmstate == NULL)
		return;
	(void) flush_rows(fmstate, NULL);
}

/*
 * spanner_begin_insert
 *		BeginForeignInsert: COPY FROM, or rows routed to a foreign
 *		partition.
 */
void
spanner_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	EState	   *estate;
	Relation	rel = rinfo->ri_RelationDesc;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *target_attrs = NIL;
	List	   *returning_attrs = NIL;
	bool		or_ignore = false;
	int			i;

	if (mtstate == NULL)
		elog(ERROR, "spanner_fdw: an insert without a ModifyTableState is not supported");
	estate = mtstate->ps.state;
	if (mtstate->operation == CMD_UPDATE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot route tuples into foreign table \"%s\" by UPDATE",
						RelationGetRelationName(rel))));
	for (i = 1; i <= tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i - 1);

		if (!attr->attisdropped && !attr->attgenerated)
			target_attrs = lappend_int(target_attrs, i);
	}
	if (rinfo->ri_returningList)
		returning_attrs = referenced_attrs(rel, rinfo->ri_RangeTableIndex > 0 ?
										   rinfo->ri_RangeTableIndex : 1,
										   rinfo->ri_returningList);
	if (mtstate->ps.plan && ((ModifyTable *) mtstate->ps.plan)->onConflictAction == ONCONFLICT_NOTHING)
		or_ignore = true;
	rinfo->ri_FdwState = create_modify_state(estate, rinfo, CMD_INSERT, target_attrs,
											 returning_attrs, or_ignore, NIL);
}

void
spanner_end_insert(EState *estate, ResultRelInfo *rinfo)
{
	spanner_end_modify(estate, rinfo);
}

void
spanner_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					   List *fdw_private, int subplan_index, ExplainState *es)
{
	SpannerModifyState *fmstate = (SpannerModifyState *) rinfo->ri_FdwState;
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	const SpannerDialect *dialect = spanner_server_dialect(GetForeignTable(relid)->serverid);
	List	   *target_attrs = (List *) list_nth(fdw_private, FdwModifyPrivateTargetAttrs);
	List	   *returning_attrs = (List *) list_nth(fdw_private, FdwModifyPrivateReturningAttrs);
	StringInfoData sql;

	if (!es->verbose)
		return;
	/* the statement as it is sent (rows are parameters) */
	initStringInfo(&sql);
	if (mtstate->operation == CMD_INSERT)
	{
		char	   *mode = spanner_rel_option(relid, "insert_mode");

		spanner_deparse_insert(&sql, dialect, relid, target_attrs,
							   intVal(list_nth(fdw_private, FdwModifyPrivateOrIgnore)) != 0,
							   mode && spanner_insert_mode_from_name(mode) == SPANNER_INSERT_OR_UPDATE);
		appendStringInfoString(&sql, "(...)");
		spanner_deparse_returning(&sql, dialect, relid, returning_attrs);
	}
	else if (mtstate->operation == CMD_UPDATE)
		spanner_deparse_update(&sql, dialect, relid, target_attrs,
							   spanner_commit_ts_attrs(rel, CMD_UPDATE),
							   spanner_key_attrs(rel), returning_attrs);
	else
		spanner_deparse_delete(&sql, dialect, relid, spanner_key_attrs(rel), returning_attrs);
	ExplainPropertyText("Remote SQL", sql.data, es);
	if (mtstate->operation == CMD_INSERT && rinfo->ri_BatchSize > 1)
		ExplainPropertyInteger("Batch Size", NULL, rinfo->ri_BatchSize, es);
	if (mtstate->operation == CMD_INSERT && fmstate && es->analyze)
		ExplainPropertyText("Spanner Write",
							fmstate->mutations ? "mutations sent with the commit" : "DML", es);
}
