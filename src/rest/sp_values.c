/*-------------------------------------------------------------------------
 *
 * sp_values.c
 *		  Parsing of Spanner's JSON value encodings that need more than
 *		  json-c: INT64 strings, DATE and RFC 3339 TIMESTAMP text, and the
 *		  precommit tokens of multiplexed sessions.
 *
 * Kept apart from src/convert.c (which builds PostgreSQL Datums) so that the
 * rules are unit-tested without a backend.  Timestamps: Spanner sends UTC
 * with a 'Z' and 0 to 9 fraction digits; digits beyond microseconds are
 * truncated, i.e. the instant is rounded toward the past, which is also what
 * TIMESTAMP_TRUNC(ts, MICROSECOND) computes on the Spanner side.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/rest/sp_values.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"

#ifdef POSTGRES_H
#error "src/rest must not include postgres.h"
#endif

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Read exactly n digits. */
static bool
digits(const char **p, int n, int *out)
{
	int			v = 0;

	while (n-- > 0)
	{
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

bool
sp_parse_int64(const char *s, int64_t *out)
{
	char	   *end;
	long long	v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return false;
	*out = (int64_t) v;
	return true;
}

static bool
parse_date_part(const char **p, SpTimestamp *ts)
{
	if (!digits(p, 4, &ts->year) || *(*p)++ != '-' ||
		!digits(p, 2, &ts->month) || *(*p)++ != '-' ||
		!digits(p, 2, &ts->day))
		return false;
	if (ts->year < 1 || ts->month < 1 || ts->month > 12 ||
		ts->day < 1 || ts->day > days_in_month(ts->year, ts->month))
		return false;
	return true;
}

bool
sp_parse_date(const char *s, SpTimestamp *ts)
{
	const char *p = s;

	memset(ts, 0, sizeof(*ts));
	if (s == NULL || !parse_date_part(&p, ts))
		return false;
	return *p == '\0';
}

bool
sp_parse_timestamp(const char *s, SpTimestamp *ts)
{
	const char *p = s;
	int			n = 0;

	memset(ts, 0, sizeof(*ts));
	if (s == NULL || !parse_date_part(&p, ts) || *p++ != 'T' ||
		!digits(&p, 2, &ts->hour) || *p++ != ':' ||
		!digits(&p, 2, &ts->minute) || *p++ != ':' ||
		!digits(&p, 2, &ts->second))
		return false;
	if (ts->hour > 23 || ts->minute > 59 || ts->second > 59)
		return false;
	if (*p == '.')
	{
		p++;
		while (*p >= '0' && *p <= '9')
		{
			if (n < 6)
				ts->usec = ts->usec * 10 + (*p - '0');
			else if (*p != '0')
				ts->truncated = true;
			n++;
			p++;
		}
		if (n == 0 || n > 9)
			return false;
		for (; n < 6; n++)
			ts->usec *= 10;
	}
	return strcmp(p, "Z") == 0;
}

/*
 * sp_precommit_token_of
 *		msg's "precommitToken" member, a MultiplexedSessionPrecommitToken.
 *		proto3 JSON writes the bytes as base64 text (kept as it is: it is
 *		sent back unchanged) and the int32 seqNum as a number; a quoted
 *		number is taken too.  A missing seqNum is 0 (proto3 default).
 */
bool
sp_precommit_token_of(json_object *msg, const char **token, int32_t *seq)
{
	json_object *pt,
			   *tok,
			   *sn;
	int64_t		v = 0;

	if (msg == NULL || !json_object_is_type(msg, json_type_object) ||
		!json_object_object_get_ex(msg, "precommitToken", &pt) ||
		!json_object_is_type(pt, json_type_object) ||
		!json_object_object_get_ex(pt, "precommitToken", &tok) ||
		!json_object_is_type(tok, json_type_string) ||
		json_object_get_string_len(tok) == 0)
		return false;
	if (json_object_object_get_ex(pt, "seqNum", &sn))
	{
		if (json_object_is_type(sn, json_type_int))
			v = json_object_get_int64(sn);
		else if (!json_object_is_type(sn, json_type_string) ||
				 !sp_parse_int64(json_object_get_string(sn), &v))
			return false;
		if (v < INT_MIN || v > INT_MAX)
			return false;
	}
	*token = json_object_get_string(tok);
	*seq = (int32_t) v;
	return true;
}
