/*-------------------------------------------------------------------------
 *
 * spanner_fdw.h
 *		  Foreign-data wrapper for Google Cloud Spanner: declarations shared
 *		  by the PostgreSQL-facing files, grouped by the file that defines
 *		  them.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/spanner_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPANNER_FDW_H
#define SPANNER_FDW_H

#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/guc.h"
#include "utils/relcache.h"

#include "rest/sp_client.h"

#define SPANNER_DEFAULT_ENDPOINT "https://spanner.googleapis.com"

/* Authentication methods (user mapping option "auth") */
typedef enum SpannerAuthMethod
{
	SPANNER_AUTH_UNSET = 0,
	SPANNER_AUTH_NONE,
	SPANNER_AUTH_ACCESS_TOKEN,
	SPANNER_AUTH_EXTERNAL_ACCOUNT
} SpannerAuthMethod;

/*
 * Resolved options of a server and user mapping, so the rest of the code
 * never walks DefElem lists.  Allocated in the caller's memory context.
 */
typedef struct SpannerOptions
{
	/* server */
	char	   *project;
	char	   *instance;
	char	   *database;
	char	   *endpoint;
	char	   *ca_file;
	int			connect_timeout;	/* seconds */
	int			read_timeout;	/* seconds without data; 0: none */
	bool		keep_connections;
	int			lazy_read_write;	/* -1: not set (the GUC decides) */
	char	   *server_credentials_file;
	int			retry_timeout_ms;	/* time for repeating a request after
									 * transient failures; 0: none */

	/* user mapping */
	SpannerAuthMethod auth;
	char	   *access_token;
	char	   *credentials_file;
	char	   *credentials_json;
	char	   *aws_access_key_id;
	char	   *aws_secret_access_key;
	char	   *aws_session_token;
	char	   *aws_region;		/* region of the explicit keys, or NULL */
	char	   *database_role;
	bool		allow_ambient_credentials;
	bool		allow_custom_urls;
} SpannerOptions;

/*
 * Operators and functions with a Spanner twin computing the same value
 * (scalar.c recognises them, shippable.c decides, the dialect spells).
 */
typedef enum SpannerScalar
{
	SP_FN_NONE = 0,
	SP_FN_ADD,					/* bigint */
	SP_FN_SUB,
	SP_FN_MUL,					/* bigint */
	SP_FN_DIV,					/* bigint, truncating */
	SP_FN_MOD,
	SP_FN_NEG,
	SP_FN_DATE_DIFF,			/* date - date */
	SP_FN_CONCAT,				/* text || text */
	SP_FN_CHAR_LENGTH,
	SP_FN_BYTE_LENGTH,
	SP_FN_SUBSTR,
	SP_FN_BTRIM,				/* one argument: spaces only */
	SP_FN_LTRIM,
	SP_FN_RTRIM,
	SP_FN_REPLACE,
	SP_FN_STARTS_WITH,
	SP_FN_STRPOS,
	SP_FN_ABS,
	SP_FN_TRUNC,
	SP_FN_SAME,					/* a cast that changes nothing on Spanner */
	SP_FN_TO_NUMERIC,
	SP_FN_EXTRACT,				/* of a timestamptz, in the session's zone */
	SP_FN_EXTRACT_DATE
} SpannerScalar;

typedef struct SpannerScalarCall
{
	SpannerScalar fn;
	List	   *args;			/* spelt as %1, %2, ... */
	const char *field;			/* extract's field */
	bool		zone;			/* needs the session's time zone (%z) */
} SpannerScalarCall;

/*
 * The SQL dialect of a Spanner database: every spelling that differs
 * between dialects goes through these operations (dialect_googlesql.c).
 */
typedef struct SpannerDialect
{
	void		(*quote_identifier) (StringInfo buf, const char *ident);
	void		(*param_ref) (StringInfo buf, int n);	/* n-th parameter */
	char	   *(*type_json) (SpTypeCode code, SpTypeCode elem);	/* paramTypes */
	const char *ne_operator;	/* PostgreSQL's <> */
	const char *in_array_open;	/* col = ANY(param): col<open>param<close> */
	const char *in_array_close;
	const char *trunc_micros_open;	/* a timestamp cut to microseconds */
	const char *trunc_micros_close;
	const char *no_columns;		/* select list when no column is needed */
	const char *default_schema; /* name of the default schema */
	const char *returning;		/* RETURNING of DML */
	const char *commit_timestamp;	/* the commit timestamp, in DML */
	const char *insert_or_ignore;	/* INSERT ... ON CONFLICT DO NOTHING */
	const char *insert_or_update;	/* upsert keeping columns not named */
	const char *where_true;		/* a WHERE that matches every row */
	const char *is_nan_open;	/* true for NaN, false for other floats */
	const char *is_nan_close;
	const char *logical_and;	/* bool_and */
	const char *logical_or;		/* bool_or */
	const char *numeric_cast_open;	/* an INT64 as NUMERIC */
	const char *numeric_cast_close;
	const char *tablesample_open;	/* a sample of @p1 rows: FROM t<open>@p1<close> */
	const char *tablesample_close;
	/*
	 * The spelling of a scalar twin with nargs arguments (and the field of
	 * extract): %1, %2, ... stand for the arguments, %z
	 * for the time zone; NULL if the dialect has none.
	 */
	const char *(*scalar_template) (SpannerScalar fn, int nargs, const char *field);
	const char *import_query;	/* IMPORT: @schema, @views */
	const char *columns_query;	/* one table's column types: @schema, @table */
} SpannerDialect;

extern const SpannerDialect spanner_googlesql_dialect;

/*
 * Planner information about a foreign relation, kept in
 * RelOptInfo->fdw_private (planner.c); deparse.c and shippable.c read it.
 * Made for base relations today; join and upper relations get one too.
 */
typedef struct SpannerRelInfo
{
	const SpannerDialect *dialect;	/* of the relation's server */
	Oid			serverid;
	Oid			relid;			/* foreign table, for a base relation */
	List	   *remote_conds;	/* RestrictInfos Spanner evaluates */
	List	   *local_conds;	/* RestrictInfos evaluated locally */
	Bitmapset  *attrs_used;		/* columns needed by the query */
	Selectivity local_selectivity;
	SpTypeCode *remote_types;	/* Spanner type of each attnum (1-based
								 * index), SP_TYPE_UNSPECIFIED if unknown */
	SpTypeCode *remote_elems;	/* element type of ARRAY columns */
	int			natts;
	Cost		fdw_startup_cost;	/* options fdw_startup_cost, fdw_tuple_cost */
	Cost		fdw_tuple_cost;
	/* a join: its two tables and the join's own conditions; a grouping:
	 * its input relation (outerrel) */
	RelOptInfo *outerrel;
	RelOptInfo *innerrel;
	JoinType	jointype;		/* inner, left, right or full */
	List	   *join_conds;		/* of ON: RestrictInfos or clauses */
} SpannerRelInfo;

/*
 * A read by key (the Read API) reads at most this many keys; a longer IN
 * list or array is sent as SQL.
 */
#define SPANNER_READ_MAX_KEYS 2000

/*
 * One key column of a read by key (shippable.c), in Spanner's key order:
 * "column = value", or "column = ANY(value)" (in_list) where value is an
 * ArrayExpr of values, an array constant or an array parameter; or, for a
 * boolean column, the column itself or NOT the column as the condition
 * (value NULL, bool_value: PostgreSQL folds "col = true" into "col").
 */
typedef struct SpannerKeyPart
{
	AttrNumber	attnum;
	SpTypeCode	code;			/* the column's Spanner type */
	Node	   *value;			/* RelabelType stripped */
	bool		in_list;
	bool		bool_value;		/* value NULL: the key is this */
} SpannerKeyPart;

/*
 * One cached connection: a REST connection, its Spanner session and the
 * state of the current PostgreSQL transaction on it (connection.h).
 */
typedef struct SpannerConnection SpannerConnection;

/*
 * A scan's handle on its stream.  The connection may close the stream itself
 * (e.g. at ROLLBACK TO SAVEPOINT); spanner_ref_stream() then returns NULL and
 * sets lost.  The connection never writes into the scan's memory.
 */
typedef struct SpannerStreamRef
{
	SpStream   *stream;			/* valid only while id is registered */
	uint64		id;				/* 0: none */
	bool		lost;
	int			resumes_logged; /* the stream's resumes reported at DEBUG1 */
} SpannerStreamRef;

/* The insert_mode option */
typedef enum SpannerInsertMode
{
	SPANNER_INSERT = 0,			/* a row that exists is an error (23505) */
	SPANNER_INSERT_OR_UPDATE,	/* upsert: columns not named keep their value */
	SPANNER_REPLACE				/* upsert: columns not named get their default */
} SpannerInsertMode;

/* Aggregates Spanner computes exactly as PostgreSQL (shippable.c) */
typedef enum SpannerAggKind
{
	SPANNER_AGG_NONE = 0,		/* not shippable */
	SPANNER_AGG_COUNT_STAR,		/* count(*) */
	SPANNER_AGG_COUNT,			/* count(x) */
	SPANNER_AGG_COUNT_DISTINCT, /* count(DISTINCT x) */
	SPANNER_AGG_MIN,
	SPANNER_AGG_MAX,
	SPANNER_AGG_SUM,			/* sum(int2/int4): bigint either way */
	SPANNER_AGG_SUM_NUMERIC,	/* sum(int8): numeric, so summed as NUMERIC */
	SPANNER_AGG_BOOL_AND,
	SPANNER_AGG_BOOL_OR,
	SPANNER_AGG_AVG				/* avg(integer): numeric, so Spanner sends
								 * the NUMERIC sum and the count, and the
								 * scan divides as PostgreSQL does */
} SpannerAggKind;

/*
 * The kind of PostgreSQL statement a Spanner request serves: in the default
 * request and transaction tags (tags.c).
 */
typedef enum SpannerStmtKind
{
	SPANNER_STMT_SELECT = 0,
	SPANNER_STMT_INSERT,
	SPANNER_STMT_UPDATE,
	SPANNER_STMT_DELETE,
	SPANNER_STMT_TRUNCATE,
	SPANNER_STMT_ANALYZE,
	SPANNER_STMT_IMPORT,
	SPANNER_STMT_CATALOG		/* column type lookups while planning */
} SpannerStmtKind;

/*
 * What a request is for: its statement's kind and the foreign tables it
 * reads or writes, whose request_tag / transaction_tag / priority options
 * apply (NIL: the server's).  NULL stands for a catalog lookup.
 */
typedef struct SpannerReqInfo
{
	SpannerStmtKind kind;
	List	   *relids;			/* OIDs of foreign tables */
} SpannerReqInfo;

/* Tags are at most this long (Spanner's limit); "none" sends no tag. */
#define SPANNER_TAG_MAX 50
#define SPANNER_TAG_NONE "none"

/* option.c */
extern char *spanner_rel_option(Oid relid, const char *name);
extern double spanner_rel_real_option(Oid relid, const char *name, double dflt);
extern bool spanner_rel_bool_option(Oid relid, const char *name, bool dflt);
extern int	spanner_insert_mode_from_name(const char *name);
extern const char *spanner_tag_check(const char *value);
extern const char *spanner_priority_value(const char *name);
extern void spanner_get_options(Oid serverid, Oid userid, SpannerOptions *opts);
/* retry_timeout: seconds, default and upper bound */
#define SPANNER_RETRY_TIMEOUT_DEFAULT 60
#define SPANNER_RETRY_TIMEOUT_MAX 3600
extern int	spanner_retry_timeout_ms(const char *value);
extern bool spanner_is_loopback_url(const char *url);
extern char *spanner_column_option(Oid relid, AttrNumber attnum, const char *name);
extern char *spanner_table_option(Oid relid, const char *name);
extern int	spanner_column_key_position(Oid relid, AttrNumber attnum);
extern char *spanner_column_name(Oid relid, AttrNumber attnum);
extern const SpannerDialect *spanner_server_dialect(Oid serverid);

/* connection.c */
extern SpannerConnection *spanner_get_connection(UserMapping *user);

/* query.c */
extern int	spanner_resume_buffer_kb;
extern SpStream *spanner_open_query(SpannerConnection *conn, bool write,
									const SpannerReqInfo *ri, const char *sql,
									const char *params_json,
									const char *param_types_json,
									SpannerStreamRef *ref);
extern SpStream *spanner_open_read(SpannerConnection *conn, bool write,
								   const SpannerReqInfo *ri, const char *read_fields, const char *description,
								   SpannerStreamRef *ref);
extern int	spanner_fetch_row(SpannerConnection *conn, SpannerStreamRef *ref,
							  json_object ***values, const char *sql);
extern json_object *spanner_execute_unary(SpannerConnection *conn,
										  const SpannerReqInfo *ri, const char *sql,
										  const char *params_json,
										  const char *param_types_json);
extern json_object *spanner_execute_dml(SpannerConnection *conn,
										const SpannerReqInfo *ri, const char *sql,
										const char *params_json,
										const char *param_types_json,
										int64 *rows);
extern int64 spanner_execute_partitioned_dml(SpannerConnection *conn,
											 const SpannerReqInfo *ri,
											 const char *sql,
											 const char *params_json,
											 const char *param_types_json);
extern void spanner_execute_batch_dml(SpannerConnection *conn,
									  const SpannerReqInfo *ri,
									  const char *statements, int nstatements,
									  const char *first_sql, int64 *counts);

/* stream.c */
extern SpStream *spanner_ref_stream(SpannerConnection *conn, SpannerStreamRef *ref);
extern void spanner_close_query(SpannerConnection *conn, SpannerStreamRef *ref);

/* commit.c */
extern void spanner_commit_register_callbacks(void);
extern void spanner_commit_connection(SpannerConnection *conn);

/* xact.c */
extern bool spanner_lazy_read_write;
extern void spanner_add_mutation(SpannerConnection *conn,
								 const SpannerReqInfo *ri, const char *json,
								 int64 cells);
extern int64 spanner_pending_mutations(SpannerConnection *conn, size_t *bytes);
extern bool spanner_in_read_write(SpannerConnection *conn);
extern void spanner_xact_check_usable(SpannerConnection *conn, const char *sql);

/* errors.c */
extern void spanner_report_error(int elevel, SpError *err, const char *sql);
extern void spanner_report_error_note(int elevel, SpError *err, const char *sql,
									  const char *note);
extern void spanner_report_commit_refused(SpError *err);
extern void spanner_report_snapshot_lost(const char *sql) pg_attribute_noreturn();
extern void spanner_report_xact_lost(const char *sql) pg_attribute_noreturn();

/* planner.c */
extern bool spanner_pushdown;
extern void spanner_get_rel_size(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
extern void spanner_get_paths(PlannerInfo *root, RelOptInfo *baserel,
							  Oid foreigntableid);
extern void spanner_get_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
								   RelOptInfo *outerrel, RelOptInfo *innerrel,
								   JoinType jointype, JoinPathExtraData *extra);
extern void spanner_get_upper_paths(PlannerInfo *root, UpperRelationKind stage,
									RelOptInfo *input_rel, RelOptInfo *output_rel,
									void *extra);
extern ForeignScan *spanner_get_plan(PlannerInfo *root, RelOptInfo *baserel,
									 Oid foreigntableid, ForeignPath *best_path,
									 List *tlist, List *scan_clauses,
									 Plan *outer_plan);

/* analyze.c */
extern bool spanner_analyze_table(Relation rel, AcquireSampleRowsFunc *func,
								  BlockNumber *totalpages);

/* scan.c */
extern void spanner_begin_scan(ForeignScanState *node, int eflags);
extern TupleTableSlot *spanner_iterate_scan(ForeignScanState *node);
extern void spanner_rescan(ForeignScanState *node);
extern void spanner_end_scan(ForeignScanState *node);
extern void spanner_explain_scan(ForeignScanState *node, ExplainState *es);

/* remote_types.c */
extern void spanner_remote_types(SpannerRelInfo *fpinfo, Bitmapset *needed,
								 Oid userid);

/* typemap.c */
extern SpTypeCode spanner_type_from_name(const char *name, SpTypeCode *elem);
extern char *spanner_import_type(const char *name);
extern bool spanner_type_holds(Oid pgtype, SpTypeCode code, SpTypeCode elem);
extern bool spanner_type_comparable(Oid pgtype, SpTypeCode code);
extern const char *spanner_type_name(SpTypeCode code, SpTypeCode elem);
extern const char *spanner_type_declaration(SpTypeCode code, SpTypeCode elem);
extern SpTypeCode spanner_param_type(Oid pgtype, SpTypeCode *elem);
extern bool spanner_date_in_range(int32 date);
extern bool spanner_timestamp_in_range(int64 ts);

/* scalar.c */
extern bool spanner_scalar_call(Node *node, SpannerScalarCall *call);
extern bool spanner_zone_name_ok(const char *name);
extern bool spanner_scalar_may_fail(SpannerScalar fn);
extern const char *spanner_session_zone(void);

/* shippable.c */
extern bool spanner_value_sendable(Oid type, Datum value);
extern const char *spanner_comparison_name(Oid opno);
extern const char *spanner_like_name(Oid opno);
extern bool spanner_params_may_be_out_of_range(List *params_list);
extern bool spanner_is_foreign_expr(PlannerInfo *root, RelOptInfo *baserel,
									Expr *expr);
extern bool spanner_may_fail(Node *node);
extern void spanner_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
										List *input_conds, List **remote_conds,
										List **local_conds);
extern Var *spanner_pathkey_column(PlannerInfo *root, RelOptInfo *baserel,
								   PathKey *pk, bool *is_float);
extern bool spanner_pathkeys_shippable(PlannerInfo *root, RelOptInfo *baserel,
									   List *pathkeys);
extern bool spanner_limit_expr_ok(Node *expr);
extern TargetEntry *spanner_grouped_sort_key(PlannerInfo *root, RelOptInfo *input_rel,
											 List *tlist, PathKey *pk, bool *nullable);
extern bool spanner_grouped_pathkeys_ok(PlannerInfo *root, RelOptInfo *input_rel,
										List *tlist, List *pathkeys);
extern List *spanner_key_read_parts(PlannerInfo *root, RelOptInfo *baserel,
									List *conds);
extern SpannerAggKind spanner_agg_kind(PlannerInfo *root, RelOptInfo *rel, Aggref *agg,
									   Var **arg);
extern bool spanner_group_key_ok(PlannerInfo *root, RelOptInfo *rel, Node *expr);

/* deparse.c */
extern const char *spanner_join_type_name(JoinType jointype);
extern void spanner_deparse_select(StringInfo buf, PlannerInfo *root,
								   RelOptInfo *baserel, List *remote_conds,
								   Bitmapset *attrs_used, List *pathkeys,
								   List *limit, List **retrieved_attrs,
								   List **params_list, List **plus_one,
								   List **limit_params);
extern void spanner_deparse_grouped_select(StringInfo buf, PlannerInfo *root,
										   RelOptInfo *rel, List *tlist, bool distinct,
										   List *pathkeys, List *limit,
										   List **params_list, List **plus_one,
										   List **limit_params);
extern void spanner_deparse_join_select(StringInfo buf, PlannerInfo *root,
										RelOptInfo *joinrel, List *tlist,
										List *pathkeys, List *limit,
										List **params_list, List **plus_one,
										List **limit_params);
extern void spanner_deparse_count(StringInfo buf, Oid relid);
extern void spanner_deparse_read(StringInfo fields, StringInfo description,
								 const SpannerDialect *dialect, Oid relid,
								 List *retrieved_attrs, List *keys);
extern void spanner_deparse_sample(StringInfo buf, Oid relid, List **retrieved_attrs);
extern void spanner_deparse_table_name(StringInfo buf, const SpannerDialect *dialect,
									   Oid relid);
extern char *spanner_param_type_json(const SpannerDialect *dialect, Oid pgtype);
extern void spanner_deparse_insert(StringInfo buf, const SpannerDialect *dialect,
								   Oid relid, List *target_attrs, bool or_ignore,
								   bool or_update);
extern void spanner_deparse_returning(StringInfo buf, const SpannerDialect *dialect,
									  Oid relid, List *attrs);
extern void spanner_deparse_update(StringInfo buf, const SpannerDialect *dialect,
								   Oid relid, List *target_attrs, List *ts_attrs,
								   List *key_attrs, List *returning_attrs);
extern void spanner_deparse_delete(StringInfo buf, const SpannerDialect *dialect,
								   Oid relid, List *key_attrs,
								   List *returning_attrs);
extern void spanner_deparse_direct_modify(StringInfo buf, PlannerInfo *root,
										  RelOptInfo *baserel, CmdType operation,
										  List *target_attrs, List *target_exprs,
										  List *ts_attrs, List *remote_conds,
										  List **params_list, List **plus_one);

/* convert.c */
typedef struct SpannerColumnConv SpannerColumnConv;
extern SpannerColumnConv *spanner_make_converters(TupleDesc tupdesc,
												  List *retrieved_attrs);
extern Datum spanner_value_to_datum(SpannerColumnConv *convs, int idx,
									json_object *value, SpColumn *spcol,
									bool *isnull);
extern bool spanner_append_param_value(StringInfo buf, Oid type, Datum value,
									   bool isnull);
extern char *spanner_to_utf8(char *s);
extern bool spanner_append_column_value(StringInfo buf, Oid type, Datum value,
										bool isnull, SpTypeCode code,
										SpTypeCode elem);

/* wait.c */
extern bool spanner_wait(void *arg, int fd, bool want_read, bool want_write,
						 long timeout_ms);
extern bool spanner_interrupted(void *arg);

/* tags.c */
extern char *spanner_request_tag_guc;
extern char *spanner_transaction_tag_guc;
extern char *spanner_priority_guc;
extern bool spanner_check_tag_guc(char **newval, void **extra, GucSource source);
extern bool spanner_check_priority_guc(char **newval, void **extra, GucSource source);
extern char *spanner_default_tag(const char *kind);
extern const char *spanner_transaction_tag(const SpannerReqInfo *ri, Oid serverid);
extern void spanner_append_request_options(StringInfo buf, const char *req_tag,
										   const char *txn_tag, const char *prio);
extern SpannerReqInfo *spanner_req_info(SpannerStmtKind kind, Oid relid);
extern SpannerStmtKind spanner_stmt_kind(CmdType cmd);

/* auth_token.c: external_account tokens for a connection */
typedef struct SpannerAuthState SpannerAuthState;
extern SpannerAuthState *spanner_auth_state_new(SpannerOptions *opts,
												const char *servername,
												MemoryContext cxt);
extern void spanner_auth_apply(SpannerAuthState *st, SpConn *rest, bool force);
extern bool spanner_auth_identity_moved(SpannerAuthState *st,
										const unsigned char *identity);
extern void spanner_auth_state_free(SpannerAuthState *st);
extern bool spanner_auth_identity(SpannerAuthState *st, unsigned char key[32]);

/* token_cache.c */
struct SpAuthSharedCache;
extern const struct SpAuthSharedCache *spanner_token_cache_hooks(void);
extern void spanner_token_cache_release_claim(void);
extern void spanner_token_cache_shmem_request(void);
extern void spanner_token_cache_shmem_startup(void);

/* session_cache.c */
extern void spanner_session_cache_release_claim(void);
extern void spanner_session_cache_shmem_request(void);
extern void spanner_session_cache_shmem_startup(void);

/* modify.c */
extern int	spanner_commit_mutation_limit;
extern bool spanner_nonatomic_bulk_load;
extern List *spanner_key_attrs(Relation rel);
extern void spanner_refuse_key_update(Relation rel, List *target_attrs);
extern List *spanner_commit_ts_attrs(Relation rel, CmdType operation);
extern void spanner_add_update_targets(PlannerInfo *root, Index rtindex,
									   RangeTblEntry *target_rte,
									   Relation target_relation);
extern List *spanner_plan_modify(PlannerInfo *root, ModifyTable *plan,
								 Index resultRelation, int subplan_index);
extern int	spanner_is_updatable(Relation rel);
extern void spanner_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
								 List *fdw_private, int subplan_index, int eflags);
extern TupleTableSlot *spanner_exec_insert(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern TupleTableSlot **spanner_exec_batch_insert(EState *estate,
												  ResultRelInfo *rinfo,
												  TupleTableSlot **slots,
												  TupleTableSlot **planSlots,
												  int *numSlots);
extern int	spanner_modify_batch_size(ResultRelInfo *rinfo);
extern TupleTableSlot *spanner_exec_update(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern TupleTableSlot *spanner_exec_delete(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern void spanner_end_modify(EState *estate, ResultRelInfo *rinfo);
extern void spanner_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void spanner_end_insert(EState *estate, ResultRelInfo *rinfo);
extern void spanner_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
								   List *fdw_private, int subplan_index,
								   ExplainState *es);

/* direct.c */
extern bool spanner_partitioned_dml;
extern bool spanner_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
									   Index resultRelation, int subplan_index);
extern void spanner_begin_direct_modify(ForeignScanState *node, int eflags);
extern TupleTableSlot *spanner_iterate_direct_modify(ForeignScanState *node);
extern void spanner_end_direct_modify(ForeignScanState *node);
extern void spanner_explain_direct_modify(ForeignScanState *node, ExplainState *es);
extern void spanner_exec_truncate(List *rels, DropBehavior behavior,
								  bool restart_seqs);

/* import.c */
extern List *spanner_import_foreign_schema(ImportForeignSchemaStmt *stmt,
										   Oid serverOid);

#endif							/* SPANNER_FDW_H */
