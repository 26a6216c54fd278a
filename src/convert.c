/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  Value conversion: JSON-encoded Spanner values to PostgreSQL
 *		  Datums (results), and Datums to JSON (query parameters).
 *
 * Each retrieved column gets a converter chosen once per scan from its
 * declared PostgreSQL type.  The common pairs have fast paths (INT64 ->
 * int8, FLOAT64 -> float8, STRING -> text, TIMESTAMP -> timestamptz, ...);
 * anything else whose Spanner value is a string goes through the declared
 * type's input function, so every compatible declared type works.
 *
 * Spanner TIMESTAMPs carry nanoseconds; PostgreSQL keeps microseconds.
 * Extra digits are truncated (toward the earlier instant); deparse.c sends
 * timestamp comparisons so that they agree with this.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/convert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "spanner_fdw.h"

struct SpannerColumnConv
{
	Oid			typid;			/* declared type */
	int32		typmod;
	Oid			elemtype;		/* element type if an array, else InvalidOid */
	FmgrInfo	infunc;			/* input function of typid or elemtype */
	Oid			ioparam;
	int32		elemtypmod;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
};

static Datum convert_scalar(Oid typid, int32 typmod, FmgrInfo *infunc, Oid ioparam,
							json_object *v, SpTypeCode code);

/*
 * spanner_make_converters
 *		Prepare converters for the columns in retrieved_attrs (attnums,
 *		1-based) of tupdesc.  Returns a palloc'd array in retrieved order.
 */
SpannerColumnConv *
spanner_make_converters(TupleDesc tupdesc, List *retrieved_attrs)
{
	SpannerColumnConv *convs;
	ListCell   *lc;
	int			i = 0;

	convs = palloc0(sizeof(SpannerColumnConv) * Max(list_length(retrieved_attrs), 1));
	foreach(lc, retrieved_attrs)
	{
		int			attnum = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
		SpannerColumnConv *c = &convs[i++];
		Oid			infuncid;

		c->typid = att->atttypid;
		c->typmod = att->atttypmod;
		c->elemtype = get_element_type(att->atttypid);
		if (OidIsValid(c->elemtype) && get_typlen(att->atttypid) == -1)
		{
			getTypeInputInfo(c->elemtype, &infuncid, &c->ioparam);
			get_typlenbyvalalign(c->elemtype, &c->elemlen, &c->elembyval, &c->elemalign);
			/* element typmod is the array's typmod */
			c->elemtypmod = att->atttypmod;
		}
		else
		{
			c->elemtype = InvalidOid;
			getTypeInputInfo(att->atttypid, &infuncid, &c->ioparam);
		}
		fmgr_info(infuncid, &c->infunc);
	}
	return convs;
}

/* A short printable rendering of a Spanner value for error messages. */
static char *
value_text(json_object *v)
{
	const char *s = json_object_get_string(v);

	if (s == NULL)
		return pstrdup("null");
	if (strlen(s) > 100)
		return psprintf("%.100s...", s);
	return pstrdup(s);
}

static void
wrong_type(Oid typid, SpTypeCode code, json_object *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot convert Spanner %s value \"%s\" to type %s",
					sp_type_code_name(code), value_text(v), format_type_be(typid)),
			 errhint("Declare the foreign table column with a type that matches the Spanner column.")));
}

/* Parse an int64 from a Spanner INT64 string, with a clear error. */
static int64
parse_int64(json_object *v, Oid typid)
{
	int64_t		r;

	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_string))
		wrong_type(typid, SP_TYPE_INT64, v);
	if (!sp_parse_int64(json_object_get_string(v), &r))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid Spanner INT64 value \"%s\"", value_text(v))));
	return (int64) r;
}

static double
json_to_double(json_object *v, SpTypeCode code, Oid typid)
{
	if (json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	if (json_object_is_type(v, json_type_int))
		return (double) json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string))
	{
		const char *s = json_object_get_string(v);

		if (strcmp(s, "NaN") == 0)
			return get_float8_nan();
		if (strcmp(s, "Infinity") == 0)
			return get_float8_infinity();
		if (strcmp(s, "-Infinity") == 0)
			return -get_float8_infinity();
		/* INT64 / NUMERIC text */
		return DatumGetFloat8(DirectFunctionCall1(float8in, CStringGetDatum(s)));
	}
	wrong_type(typid, code, v);
	return 0;					/* keep compiler quiet */
}

/*
 * A Spanner TIMESTAMP (RFC 3339 UTC, up to nanoseconds) as a TimestampTz;
 * digits beyond microseconds are truncated (see sp_values.c).
 */
static TimestampTz
parse_timestamp(json_object *v)
{
	SpTimestamp ts;
	Timestamp	result;

	if (!json_object_is_type(v, json_type_string) ||
		!sp_parse_timestamp(json_object_get_string(v), &ts))
		goto bad;
	result = (Timestamp) (date2j(ts.year, ts.month, ts.day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) ts.hour * 3600 + ts.minute * 60 + ts.second) * USECS_PER_SEC + ts.usec;
	if (!IS_VALID_TIMESTAMP(result))
		goto bad;
	return result;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
			 errmsg("invalid Spanner TIMESTAMP value \"%s\"", value_text(v))));
	return 0;
}

static DateADT
parse_date(json_object *v)
{
	SpTimestamp ts;

	if (!json_object_is_type(v, json_type_string) ||
		!sp_parse_date(json_object_get_string(v), &ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid Spanner DATE value \"%s\"", value_text(v))));
	return date2j(ts.year, ts.month, ts.day) - POSTGRES_EPOCH_JDATE;
}

static Datum
decode_bytes(json_object *v)
{
	const char *s = json_object_get_string(v);
	int			len = json_object_get_string_len(v);
	int			maxlen = pg_b64_dec_len(len);
	bytea	   *result = palloc(VARHDRSZ + maxlen);
	int			n;

	n = pg_b64_decode(s, len, VARDATA(result), maxlen);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid base64 in a Spanner BYTES value")));
	SET_VARSIZE(result, VARHDRSZ + n);
	return PointerGetDatum(result);
}

static Datum
input_call(FmgrInfo *infunc, const char *s, Oid ioparam, int32 typmod)
{
	return InputFunctionCall(infunc, (char *) s, ioparam, typmod);
}

/*
 * A Spanner string value (UTF-8) in the database encoding.  A NUL (JSON
 * "\u0000") cannot be stored in PostgreSQL text: an error, never a
 * silently shortened value.
 */
static const char *
string_value(json_object *v, int *len)
{
	const char *s = json_object_get_string(v);
	int			n = json_object_get_string_len(v);

	if (memchr(s, '\0', n) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("Spanner string value contains a NUL character, which PostgreSQL cannot store")));
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		s = pg_any_to_server(s, n, PG_UTF8);
		n = strlen(s);
	}
	*len = n;
	return s;
}

/*
 * Convert one non-null scalar Spanner value to the declared type.
 */
static Datum
convert_scalar(Oid typid, int32 typmod, FmgrInfo *infunc, Oid ioparam,
			   json_object *v, SpTypeCode code)
{
	json_type	jt = json_object_get_type(v);

	if (jt == json_type_array || jt == json_type_object)
		wrong_type(typid, code, v);

	switch (typid)
	{
		case BOOLOID:
			if (jt == json_type_boolean)
				return BoolGetDatum(json_object_get_boolean(v));
			break;
		case INT8OID:
			if (code == SP_TYPE_INT64 || code == SP_TYPE_ENUM)
				return Int64GetDatum(parse_int64(v, typid));
			break;
		case INT4OID:
		case INT2OID:
			if (code == SP_TYPE_INT64 || code == SP_TYPE_ENUM)
			{
				int64		i = parse_int64(v, typid);

				if ((typid == INT4OID && (i < PG_INT32_MIN || i > PG_INT32_MAX)) ||
					(typid == INT2OID && (i < PG_INT16_MIN || i > PG_INT16_MAX)))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value \"%s\" is out of range for type %s",
									value_text(v), format_type_be(typid))));
				return typid == INT4OID ? Int32GetDatum((int32) i) : Int16GetDatum((int16) i);
			}
			break;
		case FLOAT8OID:
			if (code == SP_TYPE_FLOAT64 || code == SP_TYPE_FLOAT32 ||
				code == SP_TYPE_NUMERIC || code == SP_TYPE_INT64)
				return Float8GetDatum(json_to_double(v, code, typid));
			break;
		case FLOAT4OID:
			if (code == SP_TYPE_FLOAT32 || code == SP_TYPE_FLOAT64 ||
				code == SP_TYPE_NUMERIC || code == SP_TYPE_INT64)
			{
				double		d = json_to_double(v, code, typid);

				if (code == SP_TYPE_FLOAT32)
					return Float4GetDatum((float4) d);
				/* checks overflow and underflow, as float8::float4 does */
				return DirectFunctionCall1(dtof, Float8GetDatum(d));
			}
			break;
		case NUMERICOID:
			if (code == SP_TYPE_NUMERIC || code == SP_TYPE_INT64)
			{
				if (jt != json_type_string)
					wrong_type(typid, code, v);
				return input_call(infunc, json_object_get_string(v), ioparam, typmod);
			}
			if (code == SP_TYPE_FLOAT64 || code == SP_TYPE_FLOAT32)
			{
				Datum		d = DirectFunctionCall1(float8_numeric,
													Float8GetDatum(json_to_double(v, code, typid)));

				if (typmod >= 0)
					d = DirectFunctionCall2(numeric, d, Int32GetDatum(typmod));
				return d;
			}
			break;
		case TEXTOID:
			if (code == SP_TYPE_BYTES || code == SP_TYPE_PROTO)
				break;			/* no implicit bytes-to-text: declare bytea */
			if (jt == json_type_string)
			{
				int			n;
				const char *str = string_value(v, &n);

				return PointerGetDatum(cstring_to_text_with_len(str, n));
			}
			if (jt == json_type_boolean)
				return PointerGetDatum(cstring_to_text(json_object_get_boolean(v) ? "true" : "false"));
			if (jt == json_type_double || jt == json_type_int)
			{
				double		d = json_to_double(v, code, typid);

				return PointerGetDatum(cstring_to_text(
													   DatumGetCString(DirectFunctionCall1(code == SP_TYPE_FLOAT32 ? float4out : float8out,
																						   code == SP_TYPE_FLOAT32 ? Float4GetDatum((float4) d) : Float8GetDatum(d)))));
			}
			break;
		case BYTEAOID:
			if (jt == json_type_string &&
				(code == SP_TYPE_BYTES || code == SP_TYPE_PROTO))
				return decode_bytes(v);
			if (jt == json_type_string && code == SP_TYPE_STRING)
			{
				/* STRING into bytea: its UTF-8 bytes */
				return PointerGetDatum(cstring_to_text_with_len(json_object_get_string(v),
																json_object_get_string_len(v)));
			}
			break;
		case DATEOID:
			if (code == SP_TYPE_DATE)
				return DateADTGetDatum(parse_date(v));
			if (code == SP_TYPE_TIMESTAMP)
				return DirectFunctionCall1(timestamptz_date,
										   TimestampTzGetDatum(parse_timestamp(v)));
			break;
		case TIMESTAMPTZOID:
			if (code == SP_TYPE_TIMESTAMP)
			{
				Datum		d = TimestampTzGetDatum(parse_timestamp(v));

				if (typmod >= 0)
					d = DirectFunctionCall2(timestamptz_scale, d, Int32GetDatum(typmod));
				return d;
			}
			if (code == SP_TYPE_DATE)
				return DirectFunctionCall1(date_timestamptz, DateADTGetDatum(parse_date(v)));
			break;
		case TIMESTAMPOID:
			if (code == SP_TYPE_TIMESTAMP)
			{
				/* the instant, seen in the session's time zone */
				Datum		d = DirectFunctionCall1(timestamptz_timestamp,
													TimestampTzGetDatum(parse_timestamp(v)));

				if (typmod >= 0)
					d = DirectFunctionCall2(timestamp_scale, d, Int32GetDatum(typmod));
				return d;
			}
			if (code == SP_TYPE_DATE)
				return DirectFunctionCall1(date_timestamp, DateADTGetDatum(parse_date(v)));
			break;
		default:
			break;
	}

	/* generic path: the declared type's input function */
	if (jt == json_type_string)
	{
		int			n;

		if (code == SP_TYPE_BYTES && typid != BYTEAOID)
			wrong_type(typid, code, v);
		return input_call(infunc, string_value(v, &n), ioparam, typmod);
	}
	if (jt == json_type_boolean)
		return input_call(infunc, json_object_get_boolean(v) ? "true" : "false", ioparam, typmod);
	if ((jt == json_type_double || jt == json_type_int) &&
		(typid == NUMERICOID || typid == INT8OID || typid == INT4OID || typid == INT2OID))
	{
		const char *s = json_object_get_string(v);

		return input_call(infunc, s, ioparam, typmod);
	}
	wrong_type(typid, code, v);
	return (Datum) 0;			/* keep compiler quiet */
}

/*
 * spanner_value_to_datum
 *		Convert the Spanner value (NULL for SQL NULL) of retrieved column idx
 *		to its declared type.  Errors name the value; the caller's error
 *		context names the column and table.
 */
Datum
spanner_value_to_datum(SpannerColumnConv *convs, int idx, json_object *value,
					   SpColumn *spcol, bool *isnull)
{
	SpannerColumnConv *c = &convs[idx];

	*isnull = (value == NULL);
	if (value == NULL)
		return (Datum) 0;

	if (OidIsValid(c->elemtype))
	{
		size_t		i,
					n;
		Datum	   *elems;
		bool	   *nulls;
		int			dims[1];
		int			lbs[1] = {1};

		if (spcol->code != SP_TYPE_ARRAY || !json_object_is_type(value, json_type_array))
			wrong_type(c->typid, spcol->code, value);
		if (spcol->elem_code == SP_TYPE_STRUCT)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Spanner ARRAY<STRUCT> values cannot be converted to %s",
							format_type_be(c->typid))));
		n = json_object_array_length(value);
		elems = palloc(sizeof(Datum) * Max(n, 1));
		nulls = palloc(sizeof(bool) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			json_object *e = json_object_array_get_idx(value, i);

			nulls[i] = (e == NULL || json_object_is_type(e, json_type_null));
			elems[i] = nulls[i] ? (Datum) 0 :
				convert_scalar(c->elemtype, c->elemtypmod, &c->infunc, c->ioparam,
							   e, spcol->elem_code);
		}
		dims[0] = (int) n;
		if (n == 0)
			return PointerGetDatum(construct_empty_array(c->elemtype));
		return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
												  c->elemtype, c->elemlen,
												  c->elembyval, c->elemalign));
	}

	if (spcol->code == SP_TYPE_ARRAY || spcol->code == SP_TYPE_STRUCT)
	{
		/* an array into a scalar column: only text-like targets, as JSON */
		if (c->typid == TEXTOID || c->typid == JSONOID || c->typid == JSONBOID)
			return input_call(&c->infunc, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN),
							  c->ioparam, c->typmod);
		wrong_type(c->typid, spcol->code, value);
	}
	return convert_scalar(c->typid, c->typmod, &c->infunc, c->ioparam, value, spcol->code);
}

/* ---------------------------------------------------------------------
 * Query parameters
 * ---------------------------------------------------------------------
 */

static bool
append_timestamp(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (!spanner_timestamp_in_range(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		return false;
	appendStringInfo(buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"",
					 tm.tm_year, tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	return true;
}

/* Append a value; false if Spanner cannot represent it. */
static bool
append_scalar(StringInfo buf, Oid type, Datum value)
{
	switch (type)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			break;
		case INT2OID:
			appendStringInfo(buf, "\"%d\"", (int) DatumGetInt16(value));
			break;
		case INT4OID:
			appendStringInfo(buf, "\"%d\"", DatumGetInt32(value));
			break;
		case INT8OID:
			appendStringInfo(buf, "\"" INT64_FORMAT "\"", DatumGetInt64(value));
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			{
				double		d = (type == FLOAT4OID) ? (double) DatumGetFloat4(value)
				: DatumGetFloat8(value);

				if (isnan(d))
					appendStringInfoString(buf, "\"NaN\"");
				else if (isinf(d))
					appendStringInfoString(buf, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
				else
					appendStringInfo(buf, "%.17g", d);
			}
			break;
		case NUMERICOID:
			escape_json(buf, DatumGetCString(DirectFunctionCall1(numeric_out, value)));
			break;
		case TEXTOID:
		case VARCHAROID:
			escape_json(buf, TextDatumGetCString(value));
			break;
		case BYTEAOID:
			{
				bytea	   *b = DatumGetByteaPP(value);
				int			len = VARSIZE_ANY_EXHDR(b);
				int			elen = pg_b64_enc_len(len);
				char	   *out = palloc(elen + 1);
				int			n = pg_b64_encode(VARDATA_ANY(b), len, out, elen);

				if (n < 0)
					elog(ERROR, "could not encode bytes as base64");
				out[n] = '\0';
				appendStringInfo(buf, "\"%s\"", out);
				pfree(out);
			}
			break;
		case DATEOID:
			{
				DateADT		d = DatumGetDateADT(value);
				int			y,
							m,
							dd;

				if (!spanner_date_in_range(d))
					return false;
				j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
				appendStringInfo(buf, "\"%04d-%02d-%02d\"", y, m, dd);
			}
			break;
		case TIMESTAMPTZOID:
			return append_timestamp(buf, DatumGetTimestampTz(value));
		default:
			elog(ERROR, "type %u cannot be sent to Spanner as a parameter", type);
	}
	return true;
}

/*
 * spanner_append_param_value
 *		Append the JSON encoding Spanner expects for a parameter value.
 *		Returns false (having appended something) if Spanner cannot
 *		represent the value: a date or timestamp outside years 1..9999.
 */
bool
spanner_append_param_value(StringInfo buf, Oid type, Datum value, bool isnull)
{
	SpTypeCode	elem;
	SpTypeCode	code = spanner_param_type(type, &elem);

	if (code == SP_TYPE_UNSPECIFIED)
		elog(ERROR, "type %u cannot be sent to Spanner as a parameter", type);
	/* a parameter has the Spanner type of its own PostgreSQL type */
	return spanner_append_column_value(buf, type, value, isnull, code, elem);
}

/*
 * spanner_to_utf8
 *		A request body in UTF-8, whatever the database encoding (s itself
 *		when no conversion is needed).
 */
char *
spanner_to_utf8(char *s)
{
	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		return s;
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* A value in its type's text form, as a JSON string. */
static void
append_as_text(StringInfo buf, Oid type, Datum value)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	escape_json(buf, OidOutputFunctionCall(outfunc, value));
}

/* One non-null value of PostgreSQL type "type" as Spanner type "code". */
static bool
append_as(StringInfo buf, Oid type, Datum value, SpTypeCode code)
{
	switch (code)
	{
		case SP_TYPE_BOOL:
			if (type == BOOLOID)
				return append_scalar(buf, type, value);
			break;
		case SP_TYPE_INT64:
			if (type == INT2OID || type == INT4OID || type == INT8OID)
				return append_scalar(buf, type, value);
			break;
		case SP_TYPE_FLOAT64:
		case SP_TYPE_FLOAT32:
			if (type == FLOAT4OID || type == FLOAT8OID)
				return append_scalar(buf, type, value);
			if (type == INT2OID || type == INT4OID || type == INT8OID ||
				type == NUMERICOID)
			{
				/* a JSON number; NaN and the infinities as Spanner spells them */
				Oid			outfunc;
				bool		isvarlena;
				char	   *s;

				getTypeOutputInfo(type, &outfunc, &isvarlena);
				s = OidOutputFunctionCall(outfunc, value);
				if (isdigit((unsigned char) s[s[0] == '-' ? 1 : 0]))
					appendStringInfoString(buf, s);
				else
					appendStringInfo(buf, "\"%s\"", s);
				return true;
			}
			break;
		case SP_TYPE_BYTES:
			if (type == BYTEAOID)
				return append_scalar(buf, type, value);
			break;
		case SP_TYPE_DATE:
			if (type == DATEOID)
				return append_scalar(buf, type, value);
			break;
		case SP_TYPE_TIMESTAMP:
			if (type == TIMESTAMPTZOID)
				return append_scalar(buf, type, value);
			if (type == TIMESTAMPOID)
				/* a timestamp without time zone is taken as UTC */
				return append_timestamp(buf, DatumGetTimestamp(value));
			break;
		default:
			break;
	}
	append_as_text(buf, type, value);
	return true;
}

/*
 * spanner_append_column_value
 *		Append a value to be written to a Spanner column of type code (elem
 *		for arrays), in the JSON encoding Spanner expects for that type
 *		(mutations and DML parameters alike).  Types that Spanner sends as
 *		strings (STRING, JSON, NUMERIC, ...) get the value's text form.
 *		Returns false if Spanner cannot represent the value (a date or
 *		timestamp outside years 1..9999).
 */
bool
spanner_append_column_value(StringInfo buf, Oid type, Datum value, bool isnull,
							SpTypeCode code, SpTypeCode elem)
{
	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return true;
	}
	if (code == SP_TYPE_ARRAY)
	{
		Oid			elemtype = get_element_type(type);
		ArrayType  *arr;
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					i;
		int16		elen;
		bool		ebyval;
		char		ealign;
		bool		ok = true;

		if (!OidIsValid(elemtype))
		{
			append_as_text(buf, type, value);
			return true;
		}
		arr = DatumGetArrayTypeP(value);
		get_typlenbyvalalign(elemtype, &elen, &ebyval, &ealign);
		deconstruct_array(arr, elemtype, elen, ebyval, ealign, &elems, &nulls, &n);
		appendStringInfoChar(buf, '[');
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoChar(buf, ',');
			if (nulls[i])
				appendStringInfoString(buf, "null");
			else if (!append_as(buf, elemtype, elems[i], elem))
				ok = false;
		}
		appendStringInfoChar(buf, ']');
		return ok;
	}
	return append_as(buf, type, value, code);
}
