/*-------------------------------------------------------------------------
 *
 * remote_types.c
 *		  The Spanner type of each column of a foreign table, known at plan
 *		  time.
 *
 * IMPORT FOREIGN SCHEMA records it as the column option spanner_type.  For
 * columns without it (hand-written foreign tables), the table's columns are
 * looked up once per backend in the database's INFORMATION_SCHEMA and
 * cached until the foreign table changes.  The planner then knows which
 * comparisons Spanner computes as PostgreSQL does, and a column whose
 * declared type cannot hold its Spanner type - or that Spanner does not
 * have - is an error before anything is sent.
 *
 * View columns whose type INFORMATION_SCHEMA does not tell (it reports
 * STRING(0) for them) are "unknown": conditions on them stay local.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/remote_types.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "access/sysattr.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "spanner_fdw.h"

typedef struct RemoteColumn
{
	char	   *name;			/* Spanner column name */
	SpTypeCode	code;
	SpTypeCode	elem;
} RemoteColumn;

typedef struct RemoteTable
{
	Oid			relid;			/* hash key: the foreign table */
	MemoryContext cxt;			/* holds columns */
	bool		exists;
	int			ncolumns;
	RemoteColumn *columns;
} RemoteTable;

static HTAB *RemoteTableHash = NULL;

static void
remote_types_inval(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS scan;
	RemoteTable *entry;

	hash_seq_init(&scan, RemoteTableHash);
	while ((entry = (RemoteTable *) hash_seq_search(&scan)))
	{
		if (OidIsValid(relid) && entry->relid != relid)
			continue;
		MemoryContextDelete(entry->cxt);
		(void) hash_search(RemoteTableHash, &entry->relid, HASH_REMOVE, NULL);
	}
}

static void
remote_types_server_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	remote_types_inval(arg, InvalidOid);
}

static char *
json_text(json_object *row, int i)
{
	json_object *v = json_object_array_get_idx(row, i);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return NULL;
	return pg_any_to_server(json_object_get_string(v), json_object_get_string_len(v), PG_UTF8);
}

/* Query INFORMATION_SCHEMA for the columns of a foreign table's table. */
static void
load_table(RemoteTable *entry, Oid relid, Oid serverid, Oid userid,
		   const SpannerDialect *dialect)
{
	UserMapping *user = GetUserMapping(userid, serverid);
	SpannerConnection *conn = spanner_get_connection(user);
	const char *schema = spanner_table_option(relid, "schema_name");
	const char *table = spanner_table_option(relid, "table_name");
	StringInfoData params;
	json_object *volatile resp = NULL;
	MemoryContext volatile old = CurrentMemoryContext;

	if (schema == NULL)
		schema = dialect->default_schema;
	if (table == NULL)
		table = get_rel_name(relid);
	initStringInfo(&params);
	appendStringInfoString(&params, "{\"schema\":");
	escape_json(&params, schema);
	appendStringInfoString(&params, ",\"table\":");
	escape_json(&params, table);
	appendStringInfoChar(&params, '}');

	PG_TRY();
	{
		json_object *rows = NULL;
		size_t		i,
					n = 0;

		resp = spanner_execute_unary(conn, spanner_req_info(SPANNER_STMT_CATALOG, relid),
									 dialect->columns_query,
									 spanner_to_utf8(params.data),
									 "{\"schema\":{\"code\":\"STRING\"},\"table\":{\"code\":\"STRING\"}}");
		if (json_object_object_get_ex(resp, "rows", &rows) &&
			json_object_is_type(rows, json_type_array))
			n = json_object_array_length(rows);

		MemoryContextSwitchTo(entry->cxt);
		entry->exists = (n > 0);
		entry->columns = palloc0(sizeof(RemoteColumn) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			json_object *row = json_object_array_get_idx(rows, i);
			char	   *ttype = json_text(row, 0);
			char	   *name = json_text(row, 1);
			char	   *sptype = json_text(row, 2);
			RemoteColumn *c;

			if (name == NULL || sptype == NULL)
				continue;
			c = &entry->columns[entry->ncolumns++];
			c->name = pstrdup(name);
			/* a view's column reported as STRING(0): type not known */
			if (ttype && strcmp(ttype, "VIEW") == 0 && strcmp(sptype, "STRING(0)") == 0)
				c->code = SP_TYPE_UNSPECIFIED;
			else
				c->code = spanner_type_from_name(sptype, &c->elem);
		}
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		json_object_put(resp);
	}
	PG_END_TRY();
	pfree(params.data);
}

static RemoteTable *
remote_table(Oid relid, Oid serverid, Oid userid, const SpannerDialect *dialect)
{
	RemoteTable *entry;
	RemoteTable loaded;
	bool		found;

	if (RemoteTableHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(RemoteTable);
		RemoteTableHash = hash_create("spanner_fdw remote column types", 16, &ctl,
									  HASH_ELEM | HASH_BLOBS);
		CacheRegisterRelcacheCallback(remote_types_inval, (Datum) 0);
		/* a server pointed elsewhere: forget everything */
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, remote_types_server_inval, (Datum) 0);
	}
	entry = hash_search(RemoteTableHash, &relid, HASH_FIND, NULL);
	if (entry)
		return entry;

	/*
	 * Load first, enter after: the lookup reads catalogs and may process
	 * invalidations, which must not find a half-filled entry.
	 */
	memset(&loaded, 0, sizeof(loaded));
	loaded.cxt = AllocSetContextCreate(CacheMemoryContext, "spanner_fdw remote table",
									   ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		load_table(&loaded, relid, serverid, userid, dialect);
	}
	PG_CATCH();
	{
		MemoryContextDelete(loaded.cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* a missing table is not cached: it may be created, or be visible to another role */
	if (!loaded.exists)
	{
		entry = palloc0(sizeof(RemoteTable));
		*entry = loaded;
		entry->columns = NULL;
		MemoryContextDelete(loaded.cxt);
		entry->cxt = NULL;
		return entry;
	}
	entry = hash_search(RemoteTableHash, &relid, HASH_ENTER, &found);
	if (found)
		MemoryContextDelete(entry->cxt);
	entry->cxt = loaded.cxt;
	entry->exists = loaded.exists;
	entry->ncolumns = loaded.ncolumns;
	entry->columns = loaded.columns;
	return entry;
}

/*
 * The Spanner type of one column: its spanner_type option, or what
 * INFORMATION_SCHEMA says (looked up once per table and backend).
 */
static void
column_type(SpannerRelInfo *fpinfo, Relation rel, Form_pg_attribute att,
			Oid userid, RemoteTable **table, SpTypeCode *code, SpTypeCode *elem)
{
	Oid			relid = RelationGetRelid(rel);
	char	   *opt = spanner_column_option(relid, att->attnum, "spanner_type");
	char	   *name;
	int			i;

	if (opt != NULL)
	{
		*code = spanner_type_from_name(opt, elem);
		return;
	}
	/*
	 * A user who may not read the foreign table learns nothing about the
	 * Spanner side: the type stays unknown (conditions local), and the
	 * executor reports the missing privilege.
	 */
	if (*table == NULL &&
		pg_class_aclcheck(relid, userid, ACL_SELECT) != ACLCHECK_OK)
	{
		*code = SP_TYPE_UNSPECIFIED;
		*elem = SP_TYPE_UNSPECIFIED;
		return;
	}
	if (*table == NULL)
	{
		/*
		 * A copy in the planner's memory: the cache entry may go with an
		 * invalidation processed while later columns are looked at.
		 */
		RemoteTable *cached = remote_table(relid, fpinfo->serverid, userid,
										   fpinfo->dialect);
		RemoteTable *copy = palloc0(sizeof(RemoteTable));

		copy->relid = cached->relid;
		copy->exists = cached->exists;
		copy->ncolumns = cached->ncolumns;
		copy->columns = palloc0(sizeof(RemoteColumn) * Max(cached->ncolumns, 1));
		for (i = 0; i < cached->ncolumns; i++)
		{
			copy->columns[i] = cached->columns[i];
			copy->columns[i].name = pstrdup(cached->columns[i].name);
		}
		*table = copy;
	}
	if (!(*table)->exists)
	{
		StringInfoData name;

		initStringInfo(&name);
		spanner_deparse_table_name(&name, fpinfo->dialect, relid);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
				 errmsg("Spanner table %s of foreign table \"%s\" does not exist",
						name.data, RelationGetRelationName(rel)),
				 errhint("Check the foreign table's options \"table_name\" and \"schema_name\".")));
	}
	name = spanner_column_name(relid, att->attnum);
	for (i = 0; i < (*table)->ncolumns; i++)
	{
		/* Spanner names are case-insensitive */
		if (pg_strcasecmp((*table)->columns[i].name, name) == 0)
		{
			*code = (*table)->columns[i].code;
			*elem = (*table)->columns[i].elem;
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
			 errmsg("column \"%s\" of foreign table \"%s\" does not exist on Spanner",
					NameStr(att->attname), RelationGetRelationName(rel)),
			 errdetail("The Spanner table has no column named \"%s\".", name),
			 errhint("Set the column option \"column_name\" to the Spanner column's name.")));
}

/*
 * spanner_remote_types
 *		Fill fpinfo->remote_types for the columns in needed (attnums offset
 *		by FirstLowInvalidHeapAttributeNumber; the whole row means all), and
 *		refuse a declared type that cannot hold its column's Spanner type.
 */
void
spanner_remote_types(SpannerRelInfo *fpinfo, Bitmapset *needed, Oid userid)
{
	Relation	rel = RelationIdGetRelation(fpinfo->relid);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, needed);
	RemoteTable *table = NULL;
	int			i;

	fpinfo->natts = tupdesc->natts;
	fpinfo->remote_types = palloc0(sizeof(SpTypeCode) * (tupdesc->natts + 1));
	fpinfo->remote_elems = palloc0(sizeof(SpTypeCode) * (tupdesc->natts + 1));
	for (i = 1; i <= tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i - 1);
		SpTypeCode	code = SP_TYPE_UNSPECIFIED;
		SpTypeCode	elem = SP_TYPE_UNSPECIFIED;

		if (att->attisdropped ||
			!(wholerow || bms_is_member(i - FirstLowInvalidHeapAttributeNumber, needed)))
			continue;
		column_type(fpinfo, rel, att, userid, &table, &code, &elem);
		if (!spanner_type_holds(att->atttypid, code, elem))
		{
			const char *decl = spanner_type_declaration(code, elem);

			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("column \"%s\" of foreign table \"%s\" is %s on Spanner, which type %s cannot hold",
							NameStr(att->attname), RelationGetRelationName(rel),
							spanner_type_name(code, elem), format_type_be(att->atttypid)),
					 decl ? errhint("Declare the column as %s, the type IMPORT FOREIGN SCHEMA chooses.", decl) : 0));
		}
		fpinfo->remote_types[i] = code;
		fpinfo->remote_elems[i] = elem;
	}
	RelationClose(rel);
}
