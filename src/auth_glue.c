/*-------------------------------------------------------------------------
 *
 * auth_glue.c
 *		  Bearer tokens for user mappings with auth 'external_account'.
 *
 * Bridges the plain-C federation client in src/auth to a connection.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth_glue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "spanner_fdw.h"

struct SpannerAuthState
{
	int			unused;
};

SpannerAuthState *
spanner_auth_state_new(SpannerOptions *opts, const char *servername)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("auth 'external_account' is not available yet"),
			 errhint("Use auth 'access_token' or, for the emulator, auth 'none'.")));
	return NULL;
}

void
spanner_auth_apply(SpannerAuthState *st, SpConn *rest, bool force)
{
}

void
spanner_auth_state_free(SpannerAuthState *st)
{
	if (st)
		pfree(st);
}
