/*
 * bench/timeit.c -- run a command and report its wall time on a monotonic
 * clock plus the CPU time and peak RSS of the command's process tree.
 *
 *   timeit OUTFILE CMD [ARGS...]
 *
 * Writes one line to OUTFILE:
 *   wall_s=... user_s=... sys_s=... maxrss_kb=... status=...
 * (user/sys/maxrss come from wait4() on the child, so they cover the client
 * process only -- psql, not the PostgreSQL backend.)  The command's stdout and
 * stderr are passed through; the exit status is the command's.
 *
 * Build: gcc -O2 -o bench/timeit bench/timeit.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double		t0,
				t1;
	pid_t		pid;
	int			status = 0;
	struct rusage ru;
	FILE	   *out;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s OUTFILE CMD [ARGS...]\n", argv[0]);
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0)
	{
		perror("fork");
		return 2;
	}
	if (pid == 0)
	{
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
	{
		perror("wait4");
		return 2;
	}
	t1 = now();
	out = fopen(argv[1], "w");
	if (out == NULL)
	{
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kb=%ld status=%d\n",
			t1 - t0,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
			ru.ru_maxrss,
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
