/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Executing foreign scans: send the planned query with its typed
 *		  parameters, turn each streamed row into a tuple, restart, end, and
 *		  show the remote query in EXPLAIN.
 *
 * The query is sent at the first row fetch, with the values of its
 * parameters at that moment (a rescan sends it again).  A parameter value
 * Spanner cannot represent (a date or timestamp outside years 1..9999,
 * e.g. 'infinity') switches the scan to its fallback query, which has no
 * condition: the conditions are then checked here, so the answer is still
 * PostgreSQL's.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "spanner_fdw.h"
#include "scan_private.h"

#if PG_VERSION_NUM >= 160000
#define SPANNER_CHECK_AS_USER(fsplan, rte) ((fsplan)->checkAsUser)
#else
#define SPANNER_CHECK_AS_USER(fsplan, rte) ((rte)->checkAsUser)
#endif

/*
 * Execution state of a foreign scan.
 */
typedef struct SpannerScanState
{
	Relation	rel;			/* the foreign table; NULL for a join */
	SpannerReqInfo req;			/* statement kind and tables, for tags */
	TupleDesc	tupdesc;		/* of the scan tuple (fdw_scan_tlist's for a
								 * join or upper relation) */
	const SpannerDialect *dialect;

	char	   *query;			/* SQL sent */
	List	   *retrieved_attrs;	/* attnums of its select list */
	SpannerColumnConv *convs;

	char	   *fallback_query; /* without conditions, or NULL */
	List	   *fallback_attrs;
	SpannerColumnConv *fallback_convs;

	bool		use_fallback;	/* this run uses the fallback; the conditions
								 * are then node->fdw_recheck_quals */

	SpannerConnection *conn;
	bool		write;			/* runs in the read-write transaction: its
								 * statement writes on this server, or it
								 * locks rows (FOR UPDATE/SHARE) */
	SpannerStreamRef sref;		/* open query (sref.stream), or none */
	bool		eof;

	List	   *param_exprs;	/* ExprStates of the parameters */
	List	   *param_types;	/* their type OIDs */
	List	   *plus_one;		/* 1-based parameters sent 1us later; -n:
								 * parameter n is the session's time zone */
	const char *read_fields;	/* a read by key: ReadRequest members, or NULL */
	const char *read_description;
	List	   *read_keys;		/* its key columns (scan_private.h) */
	bool		reading;		/* this run reads by key (not the SELECT) */
	int			limit_param;	/* 1-based LIMIT parameter, or 0 */
	int			offset_param;	/* 1-based OFFSET parameter, or 0 */

	MemoryContext temp_cxt;		/* reset per row */

	int			cur_col;		/* column being converted, for errors */
	json_object *cur_value;
} SpannerScanState;

static void conversion_error_callback(void *arg);

/*
 * Must this scan read inside the read-write transaction?  When its
 * statement modifies a foreign table of the same server (the rows it reads
 * are then locked and stay consistent with what is written), or when it
 * locks the rows it reads (SELECT ... FOR UPDATE/SHARE).
 */
static bool
scan_needs_read_write(ForeignScan *fsplan, EState *estate, Oid serverid)
{
	PlannedStmt *stmt = estate->es_plannedstmt;
	ListCell   *lc;

	foreach(lc, stmt->rowMarks)
	{
		PlanRowMark *rc = (PlanRowMark *) lfirst(lc);

		if (rc->strength != LCS_NONE &&
			bms_is_member(rc->rti, fsplan->fs_relids))
			return true;
	}
	if (stmt->commandType == CMD_SELECT && !stmt->hasModifyingCTE)
		return false;
	foreach(lc, stmt->resultRelations)
	{
		RangeTblEntry *rte = exec_rt_fetch(lfirst_int(lc), estate);

		if (rte->relkind == RELKIND_FOREIGN_TABLE &&
			GetForeignServerIdByRelId(rte->relid) == serverid)
			return true;
	}
	return false;
}

/*
 * spanner_begin_scan
 *		Set up the scan; the query is sent at the first row fetch.
 */
void
spanner_begin_scan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	SpannerScanState *fsstate;
	RangeTblEntry *rte;
	Oid			userid;
	ForeignTable *table;
	UserMapping *user;
	Node	   *fallback;
	ListCell   *lc;

	/* Do nothing in EXPLAIN (no ANALYZE) case */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	fsstate = palloc0(sizeof(SpannerScanState));
	node->fdw_state = fsstate;

	/*
	 * The user whose mapping is used: a join or upper relation (scanrelid
	 * 0) has all its base relations on one server and user mapping, so any
	 * of them tells.
	 */
	rte = exec_rt_fetch(fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid
						: (Index) bms_next_member(fsplan->fs_relids, -1), estate);
	userid = OidIsValid(SPANNER_CHECK_AS_USER(fsplan, rte)) ?
		SPANNER_CHECK_AS_USER(fsplan, rte) : GetUserId();
	table = GetForeignTable(rte->relid);
	user = GetUserMapping(userid, table->serverid);
	fsstate->conn = spanner_get_connection(user);
	fsstate->dialect = spanner_server_dialect(table->serverid);
	fsstate->write = scan_needs_read_write(fsplan, estate, table->serverid);
	fsstate->req.kind = spanner_stmt_kind(estate->es_plannedstmt->commandType);
	if (fsplan->scan.scanrelid > 0)
		fsstate->req.relids = list_make1_oid(rte->relid);
	else
	{
		int			rti = -1;

		while ((rti = bms_next_member(fsplan->fs_relids, rti)) >= 0)
		{
			RangeTblEntry *r = exec_rt_fetch(rti, estate);

			if (r->rtekind == RTE_RELATION && r->relkind == RELKIND_FOREIGN_TABLE)
				fsstate->req.relids = list_append_unique_oid(fsstate->req.relids, r->relid);
		}
	}

	fsstate->rel = node->ss.ss_currentRelation;
	fsstate->tupdesc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	fsstate->query = strVal(list_nth(fsplan->fdw_private, FdwScanPrivateSelectSql));
	fsstate->retrieved_attrs = (List *) list_nth(fsplan->fdw_private,
												 FdwScanPrivateRetrievedAttrs);
	fsstate->convs = spanner_make_converters(fsstate->tupdesc, fsstate->retrieved_attrs);
	fallback = (Node *) list_nth(fsplan->fdw_private, FdwScanPrivateFallbackSql);
	if (fallback != NULL)
	{
		fsstate->fallback_query = strVal(fallback);
		fsstate->fallback_attrs = (List *) list_nth(fsplan->fdw_private,
													FdwScanPrivateFallbackAttrs);
		fsstate->fallback_convs = spanner_make_converters(fsstate->tupdesc,
														  fsstate->fallback_attrs);
	}
	fsstate->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
											  "spanner_fdw temporary data",
											  ALLOCSET_SMALL_SIZES);

	fsstate->plus_one = (List *) list_nth(fsplan->fdw_private, FdwScanPrivatePlusOneParams);
	if (list_length(fsplan->fdw_private) > FdwScanPrivateRead &&
		list_nth(fsplan->fdw_private, FdwScanPrivateRead) != NIL)
	{
		List	   *read = (List *) list_nth(fsplan->fdw_private, FdwScanPrivateRead);

		fsstate->read_fields = strVal(linitial(read));
		fsstate->read_description = strVal(lsecond(read));
		fsstate->read_keys = (List *) lthird(read);
	}
	{
		List	   *limit_params = (List *) list_nth(fsplan->fdw_private,
													 FdwScanPrivateLimitParams);

		if (limit_params != NIL)
		{
			fsstate->limit_param = linitial_int(limit_params);
			fsstate->offset_param = lsecond_int(limit_params);
		}
	}
	fsstate->param_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	foreach(lc, fsplan->fdw_exprs)
		fsstate->param_types = lappend_oid(fsstate->param_types,
										   exprType((Node *) lfirst(lc)));
}

/*
 * Evaluate the parameters into params/types (JSON objects).  Returns false
 * if a value cannot be represented on Spanner.
 */
static bool
build_params(ForeignScanState *node, StringInfo params, StringInfo types)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ListCell   *lc1,
			   *lc2;
	int			i = 0;
	bool		ok = true;
	MemoryContext oldcxt;

	if (fsstate->param_exprs == NIL)
		return true;
	oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	appendStringInfoChar(params, '{');
	appendStringInfoChar(types, '{');
	forboth(lc1, fsstate->param_exprs, lc2, fsstate->param_types)
	{
		ExprState  *expr = (ExprState *) lfirst(lc1);
		Oid			type = lfirst_oid(lc2);
		bool		isnull;
		Datum		value = ExecEvalExpr(expr, econtext, &isnull);

		i++;
		if (i > 1)
		{
			appendStringInfoChar(params, ',');
			appendStringInfoChar(types, ',');
		}
		appendStringInfo(params, "\"p%d\":", i);
		if (list_member_int(fsstate->plus_one, -i))
		{
			/* the session's time zone, for functions computed in it */
			const char *zone = spanner_session_zone();

			if (zone == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("time zone \"%s\" cannot be sent to Spanner",
								pg_get_timezone_name(session_timezone)),
						 errdetail("This plan computes dates and times on Spanner in the session's time zone, and Spanner reads only region names of the tz database as PostgreSQL does."),
						 errhint("Set TimeZone to a region name such as 'Europe/Paris' or 'UTC', or set spanner_fdw.pushdown to off.")));
			value = CStringGetTextDatum(zone);
			isnull = false;
		}
		else if (!isnull && list_member_int(fsstate->plus_one, i))
		{
			TimestampTz t = DatumGetTimestampTz(value);

			/* the end of PostgreSQL's range is past Spanner's anyway */
			if (TIMESTAMP_NOT_FINITE(t) || t >= PG_INT64_MAX - 1)
				ok = false;
			else
				value = TimestampTzGetDatum(t + 1);
		}
		/* as nodeLimit.c: NULL means no limit, or no offset */
		if (i == fsstate->limit_param || i == fsstate->offset_param)
		{
			bool		is_limit = (i == fsstate->limit_param);

			if (isnull)
				value = Int64GetDatum(is_limit ? PG_INT64_MAX : 0);
			else if (DatumGetInt64(value) < 0)
				ereport(ERROR,
						(errcode(is_limit ? ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE
								 : ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
						 errmsg(is_limit ? "LIMIT must not be negative"
								: "OFFSET must not be negative")));
			isnull = false;
		}
		if (!spanner_append_param_value(params, type, value, isnull))
			ok = false;
		appendStringInfo(types, "\"p%d\":%s", i,
						 spanner_param_type_json(fsstate->dialect, type));
	}
	appendStringInfoChar(params, '}');
	appendStringInfoChar(types, '}');
	MemoryContextSwitchTo(oldcxt);
	return ok;
}

/*
 * The values of one key column of a read (scan_private.h): *nvalues of
 * them, with their types and NULL flags.  A NULL array has no value.
 * Returns false if an array parameter holds more values than a read takes.
 */
static bool
key_values(ForeignScanState *node, List *key, Datum **values, bool **nulls,
		   Oid **types, int *nvalues)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ListCell   *lc;
	int			i;

	if (lsecond_int(key) == SPANNER_KEY_ARRAY)
	{
		int			n = list_nth_int(key, SPANNER_KEY_PARAMS);
		bool		isnull;
		Datum		value = ExecEvalExpr((ExprState *) list_nth(fsstate->param_exprs, n - 1),
										 econtext, &isnull);
		ArrayType  *a;
		Oid			elemtype;
		int16		elen;
		bool		ebyval;
		char		ealign;

		*nvalues = 0;
		if (isnull)
			return true;
		a = DatumGetArrayTypeP(value);
		if (ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) > SPANNER_READ_MAX_KEYS)
			return false;
		elemtype = ARR_ELEMTYPE(a);
		get_typlenbyvalalign(elemtype, &elen, &ebyval, &ealign);
		deconstruct_array(a, elemtype, elen, ebyval, ealign, values, nulls, nvalues);
		*types = palloc(sizeof(Oid) * Max(*nvalues, 1));
		for (i = 0; i < *nvalues; i++)
			(*types)[i] = elemtype;
		return true;
	}

	if (lsecond_int(key) == SPANNER_KEY_BOOL)
	{
		*nvalues = 1;
		*values = palloc(sizeof(Datum));
		*nulls = palloc0(sizeof(bool));
		*types = palloc(sizeof(Oid));
		(*values)[0] = BoolGetDatum(list_nth_int(key, SPANNER_KEY_PARAMS) != 0);
		(*types)[0] = BOOLOID;
		return true;
	}

	/* one parameter per value */
	*nvalues = list_length(key) - SPANNER_KEY_PARAMS;
	*values = palloc(sizeof(Datum) * *nvalues);
	*nulls = palloc(sizeof(bool) * *nvalues);
	*types = palloc(sizeof(Oid) * *nvalues);
	i = 0;
	for_each_from(lc, key, SPANNER_KEY_PARAMS)
	{
		int			n = lfirst_int(lc);

		(*values)[i] = ExecEvalExpr((ExprState *) list_nth(fsstate->param_exprs, n - 1),
									econtext, &(*nulls)[i]);
		(*types)[i] = list_nth_oid(fsstate->param_types, n - 1);
		i++;
	}
	return true;
}

/*
 * Read the rows of the keys through the Read API.  A key with a NULL part
 * matches nothing (as key = NULL), nor does a value Spanner cannot hold (a
 * date outside its range), so it is left out; with no key left there is no
 * request and the scan is at its end.  Duplicate keys are read once, as
 * "= ANY" returns each row once.  Returns false, having sent nothing, if
 * an array parameter has more values than a read takes: the scan then
 * runs its SELECT.
 */
static bool
start_read(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	int			nparts = list_length(fsstate->read_keys);
	Datum	  **values = palloc(sizeof(Datum *) * nparts);
	bool	  **nulls = palloc(sizeof(bool *) * nparts);
	Oid		  **types = palloc(sizeof(Oid *) * nparts);
	int		   *counts = palloc(sizeof(int) * nparts);
	int			multi = -1;		/* the key column with a list, if any */
	int			nkeys = 1;
	int			sent = 0;
	int			p,
				k;
	StringInfoData fields;
	StringInfoData key;
	int			ncols;

	fsstate->use_fallback = false;
	fsstate->eof = false;
	for (p = 0; p < nparts; p++)
	{
		List	   *part = (List *) list_nth(fsstate->read_keys, p);

		if (!key_values(node, part, &values[p], &nulls[p], &types[p], &counts[p]))
		{
			MemoryContextSwitchTo(oldcxt);
			return false;
		}
		if (lsecond_int(part) == SPANNER_KEY_VALUES ||
			lsecond_int(part) == SPANNER_KEY_ARRAY)
		{
			Assert(multi < 0);
			multi = p;
			nkeys = counts[p];
		}
	}

	initStringInfo(&fields);
	initStringInfo(&key);
	appendStringInfo(&fields, "%s,\"keySet\":{\"keys\":[", fsstate->read_fields);
	for (k = 0; k < nkeys; k++)
	{
		bool		ok = true;

		resetStringInfo(&key);
		appendStringInfoChar(&key, '[');
		for (p = 0; p < nparts && ok; p++)
		{
			int			i = (p == multi) ? k : 0;
			SpTypeCode	code = (SpTypeCode) lthird_int((List *) list_nth(fsstate->read_keys, p));

			if (p > 0)
				appendStringInfoChar(&key, ',');
			ok = !nulls[p][i] &&
				spanner_append_column_value(&key, types[p][i], values[p][i], false,
											code, SP_TYPE_UNSPECIFIED);
		}
		if (!ok)
			continue;
		appendStringInfoChar(&key, ']');
		if (sent++ > 0)
			appendStringInfoChar(&fields, ',');
		appendBinaryStringInfo(&fields, key.data, key.len);
	}
	appendStringInfoString(&fields, "]}");
	MemoryContextSwitchTo(oldcxt);

	fsstate->reading = true;
	if (sent == 0)
	{
		fsstate->eof = true;
		return true;
	}
	(void) spanner_open_read(fsstate->conn, fsstate->write, &fsstate->req, fields.data,
							 fsstate->read_description, &fsstate->sref);
	ncols = sp_stream_ncols(fsstate->sref.stream);
	if (ncols != Max(list_length(fsstate->retrieved_attrs), 1))
	{
		spanner_close_query(fsstate->conn, &fsstate->sref);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Spanner returned %d columns where %d were expected", ncols,
						Max(list_length(fsstate->retrieved_attrs), 1)),
				 errcontext("remote SQL command: %s", fsstate->read_description)));
	}
	return true;
}

/* Evaluate the parameters and send the query (or the fallback). */
static void
start_query(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	StringInfoData params;
	StringInfoData types;
	const char *sql = fsstate->query;
	int			ncols;
	int			expected;

	initStringInfo(&params);
	initStringInfo(&types);
	fsstate->use_fallback = false;
	fsstate->reading = false;
	if (!build_params(node, &params, &types))
	{
		if (fsstate->fallback_query == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("a parameter of the Spanner query is outside the range Spanner can represent"),
					 errcontext("remote SQL command: %s", sql)));
		fsstate->use_fallback = true;
		sql = fsstate->fallback_query;
		resetStringInfo(&params);
		resetStringInfo(&types);
	}

	(void) spanner_open_query(fsstate->conn, fsstate->write, &fsstate->req, sql,
							  params.data, types.data, &fsstate->sref);
	fsstate->eof = false;
	pfree(params.data);
	pfree(types.data);

	ncols = sp_stream_ncols(fsstate->sref.stream);
	expected = Max(list_length(fsstate->use_fallback ? fsstate->fallback_attrs
							   : fsstate->retrieved_attrs), 1);
	if (ncols != expected)
	{
		spanner_close_query(fsstate->conn, &fsstate->sref);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Spanner returned %d columns where %d were expected", ncols, expected),
				 errcontext("remote SQL command: %s", sql)));
	}
}

/* Convert the row's values into the slot. */
static void
store_row(SpannerScanState *fsstate, TupleTableSlot *slot, json_object **values)
{
	const SpColumn *cols = sp_stream_columns(fsstate->sref.stream);
	List	   *attrs = fsstate->use_fallback ? fsstate->fallback_attrs
		: fsstate->retrieved_attrs;
	SpannerColumnConv *convs = fsstate->use_fallback ? fsstate->fallback_convs
		: fsstate->convs;
	ErrorContextCallback errcallback;
	MemoryContext oldcxt;
	int			i = 0;

	memset(slot->tts_isnull, true, sizeof(bool) * fsstate->tupdesc->natts);

	errcallback.callback = conversion_error_callback;
	errcallback.arg = (void *) fsstate;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	oldcxt = MemoryContextSwitchTo(fsstate->temp_cxt);
	for (int k = 0; k < list_length(attrs); k++)
	{
		int			attnum = list_nth_int(attrs, k);

		fsstate->cur_col = attnum;
		fsstate->cur_value = values[i];
		slot->tts_values[attnum - 1] =
			spanner_value_to_datum(convs, i, values[i], (SpColumn *) &cols[i],
								   &slot->tts_isnull[attnum - 1]);
		i++;

		/*
		 * The same attnum again: an average sent as its exact sum and its
		 * count, divided as PostgreSQL's avg of integers divides them
		 * (numeric_div of the two as numerics).  No rows: NULL.
		 */
		if (k + 1 < list_length(attrs) && list_nth_int(attrs, k + 1) == attnum)
		{
			bool		count_null;
			Datum		count;

			k++;
			fsstate->cur_value = values[i];
			count = spanner_value_to_datum(convs, i, values[i], (SpColumn *) &cols[i],
										   &count_null);
			i++;
			if (slot->tts_isnull[attnum - 1] || count_null ||
				DatumGetBool(DirectFunctionCall2(numeric_eq, count,
												 NumericGetDatum(int64_to_numeric(0)))))
				slot->tts_isnull[attnum - 1] = true;
			else
				slot->tts_values[attnum - 1] =
					DirectFunctionCall2(numeric_div, slot->tts_values[attnum - 1], count);
		}
	}
	MemoryContextSwitchTo(oldcxt);
	fsstate->cur_col = 0;
	error_context_stack = errcallback.previous;
	ExecStoreVirtualTuple(slot);
	/* a plan on an upper relation does not set tableoid for us */
	if (fsstate->rel)
		slot->tts_tableOid = RelationGetRelid(fsstate->rel);
}

/*
 * spanner_iterate_scan
 *		Fetch one row from Spanner and convert it into the slot.
 */
TupleTableSlot *
spanner_iterate_scan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		json_object **values;

		ExecClearTuple(slot);
		if (fsstate->eof)
			return slot;
		(void) spanner_ref_stream(fsstate->conn, &fsstate->sref);
		if (fsstate->sref.lost)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("the Spanner query of this scan was abandoned by a rolled back subtransaction"),
					 errdetail("Rows already returned cannot be continued without restarting the query."),
					 errhint("Close and reopen the cursor."),
					 errcontext("remote SQL command: %s", fsstate->query)));
		if (fsstate->sref.stream == NULL)
		{
			if (fsstate->read_fields && start_read(node))
			{
				if (fsstate->eof)
					return slot;
			}
			else
				start_query(node);
		}

		MemoryContextReset(fsstate->temp_cxt);
		if (spanner_fetch_row(fsstate->conn, &fsstate->sref, &values,
							  fsstate->reading ? fsstate->read_description :
							  fsstate->use_fallback ? fsstate->fallback_query
							  : fsstate->query) == 0)
		{
			/* end of result: release the transfer now */
			spanner_close_query(fsstate->conn, &fsstate->sref);
			fsstate->eof = true;
			return slot;
		}
		store_row(fsstate, slot, values);
		if (!fsstate->use_fallback)
			return slot;

		/* fallback: the conditions Spanner did not check */
		econtext->ecxt_scantuple = slot;
		ResetExprContext(econtext);
		if (ExecQual(node->fdw_recheck_quals, econtext))
			return slot;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * spanner_rescan
 *		Restart the scan: the query is sent again (with the current
 *		parameter values) at the next fetch.
 */
void
spanner_rescan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;

	spanner_close_query(fsstate->conn, &fsstate->sref);
	fsstate->sref.lost = false;
	fsstate->eof = false;
}

/*
 * spanner_end_scan
 *		Finish the scan; the connection stays cached.
 */
void
spanner_end_scan(ForeignScanState *node)
{
	SpannerScanState *fsstate = (SpannerScanState *) node->fdw_state;

	if (fsstate == NULL)
		return;
	spanner_close_query(fsstate->conn, &fsstate->sref);
}

/*
 * spanner_explain_scan
 *		Show the SQL sent to Spanner.
 */
void
spanner_explain_scan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *fdw_private = plan->fdw_private;
	Node	   *relations = list_length(fdw_private) > FdwScanPrivateRelations ?
		list_nth(fdw_private, FdwScanPrivateRelations) : NULL;

	Node	   *read = list_length(fdw_private) > FdwScanPrivateRead ?
		list_nth(fdw_private, FdwScanPrivateRead) : NULL;

	if (relations != NULL)
		ExplainPropertyText("Relations", strVal(relations), es);
	if (es->verbose && read != NULL)
		ExplainPropertyText("Remote Read", strVal(lsecond((List *) read)), es);
	else if (es->verbose)
		ExplainPropertyText("Remote SQL",
							strVal(list_nth(fdw_private, FdwScanPrivateSelectSql)),
							es);
}

/*
 * Name the column, the foreign table and the value in conversion errors.
 */
static void
conversion_error_callback(void *arg)
{
	SpannerScanState *fsstate = (SpannerScanState *) arg;

	if (fsstate->cur_col > 0)
	{
		Form_pg_attribute attr = TupleDescAttr(fsstate->tupdesc, fsstate->cur_col - 1);
		const char *v = fsstate->cur_value ? json_object_get_string(fsstate->cur_value) : "null";

		if (fsstate->rel)
			errcontext("column \"%s\" of foreign table \"%s\", Spanner value: %.100s%s",
					   NameStr(attr->attname), RelationGetRelationName(fsstate->rel),
					   v, strlen(v) > 100 ? "..." : "");
		else
			errcontext("column %d of a remote aggregate, Spanner value: %.100s%s",
					   fsstate->cur_col, v, strlen(v) > 100 ? "..." : "");
	}
}
