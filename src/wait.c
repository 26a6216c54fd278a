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
#include "utils/memutils.h"

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
 * The wait set of the socket waited on last, kept between waits so that a
 * request costs one epoll_wait rather than building and closing a set each
 * time.  It is rebuilt when the descriptor changes or the REST client has
 * opened or closed any socket since (the number may then name a new socket,
 * which the old set does not watch).
 */
static WaitEventSet *sock_set = NULL;
static int	sock_set_fd = -1;
static int	sock_set_pos = -1;
static uint32 sock_set_events = 0;
static unsigned long sock_set_epoch = 0;

static WaitEventSet *
socket_wait_set(int fd, uint32 events)
{
	unsigned long epoch = sp_socket_epoch();
	WaitEventSet *set;

	if (sock_set != NULL && fd == sock_set_fd && epoch == sock_set_epoch)
	{
		if (events != sock_set_events)
		{
			ModifyWaitEvent(sock_set, sock_set_pos, events, NULL);
			sock_set_events = events;
		}
		return sock_set;
	}

	if (sock_set != NULL)
	{
		FreeWaitEventSet(sock_set);
		sock_set = NULL;
	}
	set = CreateWaitEventSet(TopMemoryContext, 3);
	PG_TRY();
	{
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		if (IsUnderPostmaster)
			AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		sock_set_pos = AddWaitEventToSet(set, events, fd, NULL, NULL);
	}
	PG_CATCH();
	{
		FreeWaitEventSet(set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	sock_set = set;
	sock_set_fd = fd;
	sock_set_events = events;
	sock_set_epoch = epoch;
	return set;
}

/*
 * spanner_wait
 *		Sleep until the socket is ready as asked, the timeout passes or the
 *		latch is set; returns true if the request must be abandoned.
 */
bool
spanner_wait(void *arg, int fd, bool want_read, bool want_write, long timeout_ms)
{
	uint32		sock_events = 0;

	if (fd >= 0 && want_read)
		sock_events |= WL_SOCKET_READABLE;
	if (fd >= 0 && want_write)
		sock_events |= WL_SOCKET_WRITEABLE;

	if (sock_events != 0)
	{
		WaitEventSet *set = socket_wait_set(fd, sock_events);
		WaitEvent	ev;
		int			n;

		n = WaitEventSetWait(set, timeout_ms, &ev, 1, PG_WAIT_EXTENSION);
		if (n > 0 && (ev.events & WL_LATCH_SET))
			ResetLatch(MyLatch);
	}
	else
	{
		int			rc;

		/* nothing to watch but the latch: sleep for the timeout at most */
		if (timeout_ms < 0)
			timeout_ms = 100;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   timeout_ms, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
	}
	return spanner_interrupted(arg);
}
