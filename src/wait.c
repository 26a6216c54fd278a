/*-------------------------------------------------------------------------
 *
 * wait.c
 *		  How a backend waits for the network: the wait and interrupt
 *		  callbacks given to the REST client (queries) and the auth client
 *		  (token exchanges).
 *
 * The clients never block inside libcurl; they ask these callbacks to sleep
 * on a socket and the process latch, so a query cancel, statement_timeout
 * or termination request interrupts any request at once.  The callbacks
 * only report the interrupt (they never ereport: they run inside libcurl's
 * loop); the caller raises it once the transfer is gone.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  src/wait.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_jsonc.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"

#include "spanner_fdw.h"

/*
 * spanner_interrupted
 *		Is a cancel or exit pending that the backend will act on?
 */
bool
spanner_interrupted(void *arg)
{
	return (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

/*
 * spanner_wait
 *		Sleep until the socket is ready as asked, the timeout passes or the
 *		latch is set; returns true if the request must be abandoned.
 */
bool
spanner_wait(void *arg, int fd, bool want_read, bool want_write, long timeout_ms)
{
	int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
	int			rc;

	if (fd >= 0 && want_read)
		events |= WL_SOCKET_READABLE;
	if (fd >= 0 && want_write)
		events |= WL_SOCKET_WRITEABLE;
	if (timeout_ms >= 0)
		events |= WL_TIMEOUT;
	if (!(events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE | WL_TIMEOUT)))
	{
		events |= WL_TIMEOUT;
		timeout_ms = 100;
	}
	rc = WaitLatchOrSocket(MyLatch, events,
						   (events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE)) ? fd : PGINVALID_SOCKET,
						   timeout_ms, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	return spanner_interrupted(arg);
}
