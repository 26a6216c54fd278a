/*-------------------------------------------------------------------------
 *
 * test_auth_tap.h
 *		  Minimal TAP output, vector-file helpers and an injected environment
 *		  for the unit-test drivers (src/auth and src/rest)
 *
 * Header-only (static inline functions): each driver is one translation
 * unit and uses what it needs of them.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_auth_tap.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEST_AUTH_TAP_H
#define TEST_AUTH_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static int	tap_count = 0;
static int	tap_failures = 0;

static inline void tap_vok(bool cond, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));
static inline bool tap_ok(bool cond, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
static inline bool tap_is_str(const char *got, const char *want, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static inline void
tap_vok(bool cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failures++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline bool
tap_ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* print s as a TAP diagnostic, one "# " line per line of s */
static inline void
tap_diag_str(const char *label, const char *s)
{
	const char *p;

	printf("#   %s: ", label);
	if (s == NULL)
	{
		printf("(null)\n");
		return;
	}
	for (p = s; *p; p++)
	{
		if (*p == '\n')
			printf("\\n\n#     ");
		else
			putchar(*p);
	}
	printf("\n");
}

static inline bool
tap_is_str(const char *got, const char *want, const char *fmt,...)
{
	va_list		ap;
	bool		cond = got && want && strcmp(got, want) == 0;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
	{
		tap_diag_str("got", got);
		tap_diag_str("expected", want);
	}
	return cond;
}

static inline void
tap_diag(const char *fmt,...)
			__attribute__((format(printf, 1, 2)));

static inline void
tap_diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failures)
		printf("# %d of %d tests failed\n", tap_failures, tap_count);
	fflush(stdout);
	return tap_failures ? 1 : 0;
}

/* Whole-file JSON load (vector files are trusted test data) */
static inline json_object *
tap_load_json(const char *path)
{
	FILE	   *fp = fopen(path, "rb");
	char	   *buf;
	long		n;
	json_object *obj;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, fp) != (size_t) n)
	{
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[n] = '\0';
	fclose(fp);
	obj = json_tokener_parse(buf);
	free(buf);
	return obj;
}

/* Borrowed string at a path of object keys (NULL if absent / not string) */
static inline const char *
jstr(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static inline json_object *
jget(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* ------------------------------------------------------------------
 * Injected environment: a getenv replacement reading a fixed list
 * ------------------------------------------------------------------
 */
typedef struct FakeEnv
{
	const char *names[16];
	const char *values[16];
	int			n;
} FakeEnv;

static inline const char *
fake_getenv(const char *name, void *arg)
{
	FakeEnv    *env = arg;
	int			i;

	for (i = 0; env && i < env->n; i++)
		if (strcmp(env->names[i], name) == 0)
			return env->values[i];
	return NULL;
}

static inline void
env_set(FakeEnv *env, const char *name, const char *value)
{
	env->names[env->n] = name;
	env->values[env->n] = value;
	env->n++;
}

#endif							/* TEST_AUTH_TAP_H */
