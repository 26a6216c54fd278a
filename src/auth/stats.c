/*-------------------------------------------------------------------------
 *
 * stats.c
 *		  Counters of the auth client: calls to each service and token
 *		  cache hits and misses, for tests and diagnostics.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/auth/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "sp_auth_int.h"

#ifdef POSTGRES_H
#error "src/auth must not include postgres.h"
#endif

static SpAuthStats stats;

void
sp_auth_count_call(SpCallKind kind)
{
	switch (kind)
	{
		case SP_CALL_STS:
			stats.sts_calls++;
			break;
		case SP_CALL_IAM:
			stats.iam_calls++;
			break;
		case SP_CALL_METADATA:
			stats.metadata_calls++;
			break;
	}
}

void
sp_auth_count_cache(bool hit, bool shared)
{
	if (!hit)
		stats.cache_misses++;
	else
	{
		stats.cache_hits++;
		if (shared)
			stats.shared_hits++;
	}
}

void
sp_auth_stats(SpAuthStats *out)
{
	*out = stats;
}

void
sp_auth_stats_reset(void)
{
	memset(&stats, 0, sizeof(stats));
}
