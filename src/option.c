/*-------------------------------------------------------------------------
 *
 * option.c
 *		  FDW option handling for spanner_fdw: the validator, and option
 *		  lookup (SpannerOptions for a server and user mapping, single table
 *		  and column options, the server's SQL dialect).
 *
 * Options that decide where a credential or token is sent (a non-Google
 * endpoint, ca_file, credentials_file) and the switches that widen what a
 * user mapping may use (allow_ambient_credentials, allow_custom_urls) can be
 * set only by a superuser: otherwise the owner of a server could point it
 * at a host of theirs and receive a token minted from the host's ambient
 * credentials.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/option.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "pg_jsonc.h"

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

#include "spanner_fdw.h"
#include "auth/sp_auth.h"

/*
 * Describes the valid options for objects that use this wrapper.
 */
typedef struct SpannerFdwOption
{
	const char *keyword;
	Oid			optcontext;		/* OID of catalog in which option may appear */
	bool		superuser_only; /* only a superuser may set it */
} SpannerFdwOption;

static const SpannerFdwOption valid_options[] = {
	/* server */
	{"project", ForeignServerRelationId, false},
	{"instance", ForeignServerRelationId, false},
	{"database", ForeignServerRelationId, false},
	{"endpoint", ForeignServerRelationId, false},	/* checked below */
	{"ca_file", ForeignServerRelationId, true},
	{"connect_timeout", ForeignServerRelationId, false},
	{"read_timeout", ForeignServerRelationId, false},
	{"keep_connections", ForeignServerRelationId, false},
	{"updatable", ForeignServerRelationId, false},
	{"truncatable", ForeignServerRelationId, false},
	{"batch_size", ForeignServerRelationId, false},
	{"insert_mode", ForeignServerRelationId, false},
	{"lazy_read_write", ForeignServerRelationId, false},
	{"credentials_file", ForeignServerRelationId, true},
	{"fdw_startup_cost", ForeignServerRelationId, false},
	{"fdw_tuple_cost", ForeignServerRelationId, false},
	{"request_tag", ForeignServerRelationId, false},
	{"transaction_tag", ForeignServerRelationId, false},
	{"priority", ForeignServerRelationId, false},
	{"retry_timeout", ForeignServerRelationId, false},

	/* user mapping */
	{"auth", UserMappingRelationId, false},
	{"access_token", UserMappingRelationId, false},
	{"credentials_file", UserMappingRelationId, true},
	{"credentials_json", UserMappingRelationId, false},
	{"aws_access_key_id", UserMappingRelationId, false},
	{"aws_secret_access_key", UserMappingRelationId, false},
	{"aws_session_token", UserMappingRelationId, false},
	{"aws_region", UserMappingRelationId, false},
	{"database_role", UserMappingRelationId, false},
	{"allow_ambient_credentials", UserMappingRelationId, true},
	{"allow_custom_urls", UserMappingRelationId, true},

	/* foreign table */
	{"table_name", ForeignTableRelationId, false},
	{"schema_name", ForeignTableRelationId, false},
	{"updatable", ForeignTableRelationId, false},
	{"truncatable", ForeignTableRelationId, false},
	{"batch_size", ForeignTableRelationId, false},
	{"insert_mode", ForeignTableRelationId, false},
	{"fdw_startup_cost", ForeignTableRelationId, false},
	{"fdw_tuple_cost", ForeignTableRelationId, false},
	{"request_tag", ForeignTableRelationId, false},
	{"transaction_tag", ForeignTableRelationId, false},
	{"priority", ForeignTableRelationId, false},

	/* column */
	{"column_name", AttributeRelationId, false},
	{"key", AttributeRelationId, false},
	{"spanner_type", AttributeRelationId, false},
	{"commit_timestamp", AttributeRelationId, false},

	{NULL, InvalidOid, false}
};

PG_FUNCTION_INFO_V1(spanner_fdw_validator);

static bool is_valid_option(const char *keyword, Oid context);
static void report_invalid_option(const char *keyword, Oid context);
static void check_resource_id(DefElem *def, int minlen, int maxlen, const char *what);
static int	key_position(const char *value);

/*
 * spanner_fdw_validator
 *		Validate the generic options given to a FOREIGN DATA WRAPPER, SERVER,
 *		USER MAPPING or FOREIGN TABLE that uses spanner_fdw.
 *
 * Raise an ERROR if the option or its value is considered invalid, or if a
 * non-superuser sets an option reserved to superusers.
 */
Datum
spanner_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options_list = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *cell;

	foreach(cell, options_list)
	{
		DefElem    *def = (DefElem *) lfirst(cell);
		const SpannerFdwOption *opt;
		bool		su_only = false;

		if (!is_valid_option(def->defname, catalog))
			report_invalid_option(def->defname, catalog);

		for (opt = valid_options; opt->keyword; opt++)
			if (opt->optcontext == catalog && strcmp(opt->keyword, def->defname) == 0)
				su_only = opt->superuser_only;
		if (su_only && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set option \"%s\"", def->defname),
					 errdetail("Only superusers may set \"%s\".", def->defname)));

		if (strcmp(def->defname, "project") == 0)
			check_resource_id(def, 1, 128, "project");
		else if (strcmp(def->defname, "instance") == 0)
			check_resource_id(def, 2, 64, "instance");
		else if (strcmp(def->defname, "database") == 0)
			check_resource_id(def, 2, 30, "database");
		else if (strcmp(def->defname, "endpoint") == 0)
		{
			char	   *url = defGetString(def);
			SpUrlInfo	info;

			if (!sp_url_info(url, &info))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"endpoint\": \"%s\"", url),
						 errhint("Use a URL such as \"https://spanner.googleapis.com\".")));
			if (!info.https && !info.loopback)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("endpoint \"%s\" must use https", url),
						 errdetail("Plain http is accepted only for loopback hosts, such as the Spanner emulator.")));
			if (!superuser() && !(info.https && info.googleapis))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"endpoint\" to \"%s\"", url),
						 errdetail("Only superusers may point a server at an endpoint outside googleapis.com, because access tokens are sent to it.")));
		}
		else if (strcmp(def->defname, "spanner_type") == 0)
		{
			char	   *value = defGetString(def);
			SpTypeCode	elem;

			if (spanner_type_from_name(value, &elem) == SP_TYPE_UNSPECIFIED)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"spanner_type\": \"%s\"", value),
						 errhint("Use the column's type as Spanner names it, such as INT64, STRING(MAX), TIMESTAMP or ARRAY<INT64>.")));
		}
		else if (strcmp(def->defname, "connect_timeout") == 0 ||
				 strcmp(def->defname, "read_timeout") == 0)
		{
			char	   *value = defGetString(def);
			int			ival;
			int			min = strcmp(def->defname, "read_timeout") == 0 ? 0 : 1;

			if (!parse_int(value, &ival, 0, NULL) || ival < min)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for integer option \"%s\": %s",
								def->defname, value),
						 errhint("Give a whole number of seconds, at least %d.", min)));
		}
		else if (strcmp(def->defname, "retry_timeout") == 0)
		{
			char	   *value = defGetString(def);

			if (spanner_retry_timeout_ms(value) < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"retry_timeout\": \"%s\"", value),
						 errhint("Give a number of seconds from 0 to %d (fractions allowed); 0 turns retries off.",
								 SPANNER_RETRY_TIMEOUT_MAX)));
		}
		else if (strcmp(def->defname, "batch_size") == 0)
		{
			char	   *value = defGetString(def);
			int			ival;

			if (!parse_int(value, &ival, 0, NULL) || ival < 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for integer option \"%s\": %s",
								def->defname, value),
						 errhint("Give a whole number of rows, at least 1.")));
		}
		else if (strcmp(def->defname, "fdw_startup_cost") == 0 ||
				 strcmp(def->defname, "fdw_tuple_cost") == 0)
		{
			char	   *value = defGetString(def);
			double		real;

			if (!parse_real(value, &real, 0, NULL) || real < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for floating point option \"%s\": %s",
								def->defname, value),
						 errhint("Give a number, at least 0.")));
		}
		else if (strcmp(def->defname, "insert_mode") == 0)
		{
			char	   *value = defGetString(def);

			if (spanner_insert_mode_from_name(value) < 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"insert_mode\": \"%s\"", value),
						 errhint("Valid values are \"insert\", \"insert_or_update\" and \"replace\".")));
		}
		else if (strcmp(def->defname, "commit_timestamp") == 0)
		{
			char	   *value = defGetString(def);

			if (strcmp(value, "insert") != 0 && strcmp(value, "update") != 0 &&
				strcmp(value, "always") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"commit_timestamp\": \"%s\"", value),
						 errhint("Valid values are \"insert\", \"update\" and \"always\".")));
		}
		else if (strcmp(def->defname, "keep_connections") == 0 ||
				 strcmp(def->defname, "updatable") == 0 ||
				 strcmp(def->defname, "truncatable") == 0 ||
				 strcmp(def->defname, "lazy_read_write") == 0 ||
				 strcmp(def->defname, "allow_ambient_credentials") == 0 ||
				 strcmp(def->defname, "allow_custom_urls") == 0)
		{
			/* these accept only boolean values */
			(void) defGetBoolean(def);
		}
		else if (strcmp(def->defname, "key") == 0)
		{
			/* a boolean, or the column's position in the primary key */
			if (key_position(defGetString(def)) == -2)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"key\": \"%s\"", defGetString(def)),
						 errhint("Valid values are a boolean or the column's position in the primary key (1, 2, ...).")));
		}
		else if (strcmp(def->defname, "auth") == 0)
		{
			char	   *value = defGetString(def);

			if (strcmp(value, "none") != 0 &&
				strcmp(value, "access_token") != 0 &&
				strcmp(value, "external_account") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"auth\": \"%s\"", value),
						 errhint("Valid values are \"none\", \"access_token\" and \"external_account\".")));
		}
		else if (strcmp(def->defname, "request_tag") == 0 ||
				 strcmp(def->defname, "transaction_tag") == 0)
		{
			char	   *value = defGetString(def);
			const char *why = value[0] ? spanner_tag_check(value)
				: "An empty tag is not a tag.";

			if (why)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, value),
						 errdetail("%s", why),
						 errhint("Give at most 50 printable ASCII characters, not starting with \"_\", or \"none\" to send no tag; drop the option for the default tag.")));
		}
		else if (strcmp(def->defname, "priority") == 0)
		{
			char	   *value = defGetString(def);

			if (spanner_priority_value(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"priority\": \"%s\"", value),
						 errhint("Valid values are \"low\", \"medium\" and \"high\"; drop the option for Spanner's default.")));
		}
		else if (strcmp(def->defname, "aws_region") == 0)
		{
			char	   *value = defGetString(def);
			ListCell   *lc2;
			bool		has_key = false;

			if (!sp_auth_region_valid(value))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"aws_region\": \"%s\"", value),
						 errhint("Give an AWS region name, such as \"us-east-1\" or \"eu-central-2\".")));
			foreach(lc2, options_list)
			{
				DefElem    *other = (DefElem *) lfirst(lc2);

				if (strcmp(other->defname, "aws_access_key_id") == 0)
					has_key = true;
			}
			if (!has_key)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
						 errmsg("option \"aws_region\" needs \"aws_access_key_id\" and \"aws_secret_access_key\" in the same user mapping"),
						 errdetail("The region is the one the user mapping's own AWS keys are used in; ambient credentials take theirs from the server's environment or the credential configuration."),
						 errhint("Add the keys, or drop \"aws_region\".")));
		}
		else if (strcmp(def->defname, "table_name") == 0 ||
				 strcmp(def->defname, "column_name") == 0 ||
				 strcmp(def->defname, "database_role") == 0 ||
				 strcmp(def->defname, "access_token") == 0)
		{
			if (defGetString(def)[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", def->defname)));
		}
	}

	PG_RETURN_VOID();
}

static bool
is_valid_option(const char *keyword, Oid context)
{
	const SpannerFdwOption *opt;

	for (opt = valid_options; opt->keyword; opt++)
	{
		if (context == opt->optcontext && strcmp(opt->keyword, keyword) == 0)
			return true;
	}
	return false;
}

/*
 * Complain about an unknown option, with the closest valid name as a hint
 * (or the list of valid names when nothing is close).
 */
static void
report_invalid_option(const char *keyword, Oid context)
{
	const SpannerFdwOption *opt;
	StringInfoData buf;
	const char *best = NULL;
	int			best_dist = INT_MAX;

	initStringInfo(&buf);
	for (opt = valid_options; opt->keyword; opt++)
	{
		if (context != opt->optcontext)
			continue;
		appendStringInfo(&buf, "%s%s", (buf.len > 0) ? ", " : "", opt->keyword);
		{
			int			d = varstr_levenshtein(keyword, strlen(keyword),
											   opt->keyword, strlen(opt->keyword),
											   1, 1, 1, false);

			if (d < best_dist)
			{
				best_dist = d;
				best = opt->keyword;
			}
		}
	}

	if (best && best_dist <= (int) Max(2, strlen(keyword) / 3))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", keyword),
				 errhint("Perhaps you meant the option \"%s\".", best)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", keyword),
			 buf.len > 0
			 ? errhint("Valid options in this context are: %s", buf.data)
			 : errhint("There are no valid options in this context.")));
}

/*
 * Resource ids go into URL paths: allow only the characters Spanner allows
 * (letters, digits, '-', '_', and for domain-scoped projects '.' and ':').
 */
static void
check_resource_id(DefElem *def, int minlen, int maxlen, const char *what)
{
	char	   *value = defGetString(def);
	int			len = strlen(value);
	const char *p;

	for (p = value; *p; p++)
	{
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  *p == '-' || *p == '_' ||
			  (strcmp(what, "project") == 0 && (*p == '.' || *p == ':'))))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, value),
					 errdetail("A Spanner %s id may contain only lower-case letters, digits, hyphens and underscores.", what)));
	}
	if (len < minlen || len > maxlen)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, value),
				 errdetail("A Spanner %s id must be %d to %d characters long.", what, minlen, maxlen)));
}

/*
 * spanner_tag_check
 *		NULL if value may be a tag, else why not.  Spanner takes printable
 *		ASCII (32-126), at most 50 characters, and silently truncates
 *		longer values and strips leading underscores: both are refused here
 *		so that the statistics show what was set.
 */
const char *
spanner_tag_check(const char *value)
{
	const unsigned char *p;

	if (strlen(value) > SPANNER_TAG_MAX)
		return "A tag is at most 50 characters long.";
	for (p = (const unsigned char *) value; *p; p++)
		if (*p < 32 || *p > 126)
			return "A tag may contain only printable ASCII characters (space to \"~\").";
	if (value[0] == '_')
		return "Spanner removes leading underscores from a tag.";
	return NULL;
}

/*
 * spanner_priority_value
 *		"PRIORITY_LOW" etc. for "low", "medium", "high" (any case), NULL for
 *		anything else.
 */
const char *
spanner_priority_value(const char *name)
{
	if (pg_strcasecmp(name, "low") == 0)
		return "PRIORITY_LOW";
	if (pg_strcasecmp(name, "medium") == 0)
		return "PRIORITY_MEDIUM";
	if (pg_strcasecmp(name, "high") == 0)
		return "PRIORITY_HIGH";
	return NULL;
}

/*
 * spanner_retry_timeout_ms
 *		The retry_timeout option's value (seconds, fractions allowed, 0 to
 *		SPANNER_RETRY_TIMEOUT_MAX) in milliseconds, rounded up; -1 if not
 *		valid.
 */
int
spanner_retry_timeout_ms(const char *value)
{
	double		secs;

	if (!parse_real(value, &secs, 0, NULL) || isnan(secs) || secs < 0 ||
		secs > SPANNER_RETRY_TIMEOUT_MAX)
		return -1;
	return (int) ceil(secs * 1000.0);
}

/*
 * spanner_is_loopback_url
 *		True if the URL's host is a loopback name or address.
 */
bool
spanner_is_loopback_url(const char *url)
{
	SpUrlInfo	info;

	return sp_url_info(url, &info) && info.loopback;
}

/*
 * spanner_get_options
 *		Resolve the options of a server (and, if userid is valid, the user
 *		mapping of that user) into opts.
 */
void
spanner_get_options(Oid serverid, Oid userid, SpannerOptions *opts)
{
	ForeignServer *server = GetForeignServer(serverid);
	List	   *options = server->options;
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->endpoint = SPANNER_DEFAULT_ENDPOINT;
	opts->connect_timeout = 10;
	opts->read_timeout = 600;
	opts->keep_connections = true;
	opts->lazy_read_write = -1;
	opts->retry_timeout_ms = SPANNER_RETRY_TIMEOUT_DEFAULT * 1000;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "project") == 0)
			opts->project = defGetString(def);
		else if (strcmp(def->defname, "instance") == 0)
			opts->instance = defGetString(def);
		else if (strcmp(def->defname, "database") == 0)
			opts->database = defGetString(def);
		else if (strcmp(def->defname, "endpoint") == 0)
			opts->endpoint = defGetString(def);
		else if (strcmp(def->defname, "ca_file") == 0)
			opts->ca_file = defGetString(def);
		else if (strcmp(def->defname, "connect_timeout") == 0)
			(void) parse_int(defGetString(def), &opts->connect_timeout, 0, NULL);
		else if (strcmp(def->defname, "read_timeout") == 0)
			(void) parse_int(defGetString(def), &opts->read_timeout, 0, NULL);
		else if (strcmp(def->defname, "keep_connections") == 0)
			opts->keep_connections = defGetBoolean(def);
		else if (strcmp(def->defname, "lazy_read_write") == 0)
			opts->lazy_read_write = defGetBoolean(def) ? 1 : 0;
		else if (strcmp(def->defname, "credentials_file") == 0)
			opts->server_credentials_file = defGetString(def);
		else if (strcmp(def->defname, "retry_timeout") == 0)
			opts->retry_timeout_ms = Max(0, spanner_retry_timeout_ms(defGetString(def)));
	}

	if (OidIsValid(userid))
	{
		UserMapping *um = GetUserMapping(userid, serverid);

		foreach(lc, um->options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "auth") == 0)
			{
				char	   *v = defGetString(def);

				if (strcmp(v, "none") == 0)
					opts->auth = SPANNER_AUTH_NONE;
				else if (strcmp(v, "access_token") == 0)
					opts->auth = SPANNER_AUTH_ACCESS_TOKEN;
				else
					opts->auth = SPANNER_AUTH_EXTERNAL_ACCOUNT;
			}
			else if (strcmp(def->defname, "access_token") == 0)
				opts->access_token = defGetString(def);
			else if (strcmp(def->defname, "credentials_file") == 0)
				opts->credentials_file = defGetString(def);
			else if (strcmp(def->defname, "credentials_json") == 0)
				opts->credentials_json = defGetString(def);
			else if (strcmp(def->defname, "aws_access_key_id") == 0)
				opts->aws_access_key_id = defGetString(def);
			else if (strcmp(def->defname, "aws_secret_access_key") == 0)
				opts->aws_secret_access_key = defGetString(def);
			else if (strcmp(def->defname, "aws_session_token") == 0)
				opts->aws_session_token = defGetString(def);
			else if (strcmp(def->defname, "aws_region") == 0)
				opts->aws_region = defGetString(def);
			else if (strcmp(def->defname, "database_role") == 0)
				opts->database_role = defGetString(def);
			else if (strcmp(def->defname, "allow_ambient_credentials") == 0)
				opts->allow_ambient_credentials = defGetBoolean(def);
			else if (strcmp(def->defname, "allow_custom_urls") == 0)
				opts->allow_custom_urls = defGetBoolean(def);
		}
		if (opts->credentials_file == NULL)
			opts->credentials_file = opts->server_credentials_file;

		/* infer the method when "auth" is not given */
		if (opts->auth == SPANNER_AUTH_UNSET)
		{
			if (opts->access_token)
				opts->auth = SPANNER_AUTH_ACCESS_TOKEN;
			else if (opts->credentials_file || opts->credentials_json)
				opts->auth = SPANNER_AUTH_EXTERNAL_ACCOUNT;
		}
	}

	if (opts->project == NULL || opts->instance == NULL || opts->database == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" lacks a required option", server->servername),
				 errdetail("The options \"project\", \"instance\" and \"database\" are required."),
				 errhint("Use ALTER SERVER %s OPTIONS (ADD ...) to set them.",
						 quote_identifier(server->servername))));
}

/*
 * spanner_table_option
 *		The value of a foreign table option, or NULL.
 */
char *
spanner_table_option(Oid relid, const char *name)
{
	ForeignTable *table = GetForeignTable(relid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * spanner_rel_option
 *		A foreign table option, or the same option of its server, or NULL.
 */
char *
spanner_rel_option(Oid relid, const char *name)
{
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server;
	ListCell   *lc;
	char	   *v = spanner_table_option(relid, name);

	if (v)
		return v;
	server = GetForeignServer(table->serverid);
	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * spanner_rel_bool_option
 *		A boolean table-or-server option (see spanner_rel_option), or dflt.
 */
bool
spanner_rel_bool_option(Oid relid, const char *name, bool dflt)
{
	char	   *v = spanner_rel_option(relid, name);
	bool		result;

	if (v == NULL)
		return dflt;
	if (!parse_bool(v, &result))
		return dflt;
	return result;
}

/*
 * spanner_rel_real_option
 *		A numeric table-or-server option (see spanner_rel_option), or dflt.
 */
double
spanner_rel_real_option(Oid relid, const char *name, double dflt)
{
	char	   *v = spanner_rel_option(relid, name);
	double		result;

	if (v == NULL || !parse_real(v, &result, 0, NULL))
		return dflt;
	return result;
}

/*
 * spanner_insert_mode_from_name
 *		The insert_mode option's value, -1 if not valid.
 */
int
spanner_insert_mode_from_name(const char *name)
{
	if (strcmp(name, "insert") == 0)
		return SPANNER_INSERT;
	if (strcmp(name, "insert_or_update") == 0)
		return SPANNER_INSERT_OR_UPDATE;
	if (strcmp(name, "replace") == 0)
		return SPANNER_REPLACE;
	return -1;
}

/*
 * spanner_column_option
 *		The value of a column option of a foreign table, or NULL.
 */
char *
spanner_column_option(Oid relid, AttrNumber attnum, const char *name)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * The value of a key option: the position it gives (1, 2, ...), 0 for a
 * key column without a position (true), -1 for no key column (false), -2
 * for a value that is neither.  Digits are a position ("1" is position 1,
 * "0" false, as a boolean would read them).
 */
static int
key_position(const char *value)
{
	bool		result;

	if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value))
	{
		long		n = strlen(value) <= 4 ? atol(value) : -1;

		if (n == 0)
			return -1;
		return (n > 0 && n <= MaxHeapAttributeNumber) ? (int) n : -2;
	}
	if (!parse_bool(value, &result))
		return -2;
	return result ? 0 : -1;
}

/*
 * spanner_column_key_position
 *		Is the column part of the primary key (option key), and where: its
 *		1-based position in Spanner's key order when the option gives it
 *		(IMPORT does), 0 when it is just true, -1 when not a key column.
 */
int
spanner_column_key_position(Oid relid, AttrNumber attnum)
{
	char	   *v = spanner_column_option(relid, attnum, "key");
	int			pos;

	if (v == NULL)
		return -1;
	pos = key_position(v);
	return pos == -2 ? -1 : pos;
}

/*
 * spanner_column_name
 *		The Spanner name of a column: its column_name option or its name.
 */
char *
spanner_column_name(Oid relid, AttrNumber attnum)
{
	char	   *name = spanner_column_option(relid, attnum, "column_name");

	return name ? name : get_attname(relid, attnum, false);
}

/*
 * spanner_server_dialect
 *		The SQL dialect of the server's database.  GoogleSQL is the only
 *		one so far; the PostgreSQL dialect plugs in here.
 */
const SpannerDialect *
spanner_server_dialect(Oid serverid)
{
	return &spanner_googlesql_dialect;
}
