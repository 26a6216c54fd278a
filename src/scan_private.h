/*-------------------------------------------------------------------------
 *
 * scan_private.h
 *		  What planner.c hands to scan.c through ForeignScan->fdw_private.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/scan_private.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPANNER_SCAN_PRIVATE_H
#define SPANNER_SCAN_PRIVATE_H

/*
 * Indexes of the items in ForeignScan->fdw_private:
 *		sql = strVal(list_nth(fdw_private, FdwScanPrivateSelectSql));
 */
enum FdwScanPrivateIndex
{
	/* the SELECT sent to Spanner (String) */
	FdwScanPrivateSelectSql,
	/* attnums retrieved, in select-list order (integer List) */
	FdwScanPrivateRetrievedAttrs,
	/*
	 * the same SELECT without conditions (String), or NULL: used when a
	 * run-time parameter cannot be sent; every condition is then checked
	 * locally (fdw_recheck_quals)
	 */
	FdwScanPrivateFallbackSql,
	/* attnums the fallback retrieves (integer List) */
	FdwScanPrivateFallbackAttrs,
	/* 1-based parameters sent one microsecond after their value (integer List) */
	FdwScanPrivatePlusOneParams,
	/*
	 * NIL, or the 1-based numbers of the LIMIT and OFFSET parameters
	 * (integer List of two, 0 for none)
	 */
	FdwScanPrivateLimitParams,
	/*
	 * what a scan of no single relation (scanrelid 0) computes, for EXPLAIN:
	 * "Aggregate on (schema.table)" (String), or NULL
	 */
	FdwScanPrivateRelations,
	/*
	 * NIL, or a read by key through the Read API instead of the SELECT:
	 * (String: the ReadRequest's table and columns members, String: its
	 * description, List: one integer List per key column in Spanner's key
	 * order, see below).  The SELECT stays the plan's answer when an array
	 * parameter turns out longer than SPANNER_READ_MAX_KEYS.
	 */
	FdwScanPrivateRead
};

/*
 * A key column of a read: (attnum, SpannerKeyKind, Spanner type code,
 * 1-based parameter numbers...) - the parameters are the SELECT's.
 */
enum SpannerKeyItem
{
	SPANNER_KEY_ATTNUM,
	SPANNER_KEY_KIND,
	SPANNER_KEY_CODE,
	SPANNER_KEY_PARAMS			/* first parameter number */
};

typedef enum SpannerKeyKind
{
	SPANNER_KEY_VALUE,			/* column = one parameter */
	SPANNER_KEY_VALUES,			/* column IN (parameters) */
	SPANNER_KEY_ARRAY,			/* column = ANY(one array parameter) */
	SPANNER_KEY_BOOL			/* a boolean column: (NOT) column; the
								 * "parameter" is the value, 0 or 1 */
} SpannerKeyKind;

#endif							/* SPANNER_SCAN_PRIVATE_H */
