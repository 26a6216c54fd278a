/*-------------------------------------------------------------------------
 *
 * spanner_fdw.h
 *		  Foreign-data wrapper for Google Cloud Spanner: declarations shared
 *		  by the PostgreSQL-facing files.
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

#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"

#include "rest/sp_client.h"

/*
 * PostgreSQL-version-specific API, kept behind small macros.
 */
#if PG_VERSION_NUM >= 160000
#define SPANNER_CHECK_AS_USER(fsplan, rte) ((fsplan)->checkAsUser)
#else
#define SPANNER_CHECK_AS_USER(fsplan, rte) ((rte)->checkAsUser)
#endif

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
	bool		updatable;
	char	   *server_credentials_file;

	/* user mapping */
	SpannerAuthMethod auth;
	char	   *access_token;
	char	   *credentials_file;
	char	   *credentials_json;
	char	   *aws_access_key_id;
	char	   *aws_secret_access_key;
	char	   *aws_session_token;
	char	   *database_role;
	bool		allow_ambient_credentials;
	bool		allow_custom_urls;
} SpannerOptions;

/*
 * One cached connection: a REST connection, its Spanner session and the
 * state of the current PostgreSQL transaction on it.
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
} SpannerStreamRef;

/* in option.c */
extern void spanner_get_options(Oid serverid, Oid userid, SpannerOptions *opts);
extern bool spanner_is_loopback_url(const char *url);
extern int	spanner_resume_buffer_kb;

/* in connection.c */
extern SpannerConnection *spanner_get_connection(UserMapping *user);
extern SpStream *spanner_open_query(SpannerConnection *conn, const char *sql,
									const char *params_json,
									const char *param_types_json,
									SpannerStreamRef *ref);
extern SpStream *spanner_ref_stream(SpannerConnection *conn, SpannerStreamRef *ref);
extern void spanner_close_query(SpannerConnection *conn, SpannerStreamRef *ref);
extern int	spanner_fetch_row(SpannerConnection *conn, SpannerStreamRef *ref,
							  json_object ***values, const char *sql);
extern json_object *spanner_execute_unary(SpannerConnection *conn, const char *sql,
										  const char *params_json,
										  const char *param_types_json);
extern void spanner_report_error(int elevel, SpError *err, const char *sql)
			pg_attribute_noreturn();

/* in deparse.c */
extern bool spanner_is_foreign_expr(PlannerInfo *root, RelOptInfo *baserel,
									Expr *expr);
extern void spanner_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
										List *input_conds, List **remote_conds,
										List **local_conds);
extern void spanner_deparse_select(StringInfo buf, PlannerInfo *root,
								   RelOptInfo *baserel, List *remote_conds,
								   Bitmapset *attrs_used, List **retrieved_attrs,
								   List **params_list, List **pushed_attrs);
extern void spanner_quote_identifier(StringInfo buf, const char *ident);
extern void spanner_deparse_table_name(StringInfo buf, Relation rel);
extern const char *spanner_param_type_json(Oid pgtype);

/* in types.c */
typedef struct SpannerColumnConv SpannerColumnConv;
extern SpannerColumnConv *spanner_make_converters(TupleDesc tupdesc,
												  List *retrieved_attrs);
extern Datum spanner_value_to_datum(SpannerColumnConv *convs, int idx,
									json_object *value, SpColumn *spcol,
									bool *isnull);
extern void spanner_append_param_value(StringInfo buf, Oid type, Datum value,
									   bool isnull);
extern const char *spanner_comparable_spanner_type(Oid pgtype);

/* in auth_glue.c: external_account tokens for a connection */
typedef struct SpannerAuthState SpannerAuthState;
extern SpannerAuthState *spanner_auth_state_new(SpannerOptions *opts,
												const char *servername);
extern void spanner_auth_apply(SpannerAuthState *st, SpConn *rest, bool force);
extern void spanner_auth_state_free(SpannerAuthState *st);
extern void spanner_auth_shmem_request(void);
extern void spanner_auth_shmem_startup(void);

/* in import.c */
extern List *spanner_import_foreign_schema(ImportForeignSchemaStmt *stmt,
										   Oid serverOid);

#endif							/* SPANNER_FDW_H */
