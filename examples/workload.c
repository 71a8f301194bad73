/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bundled workload of `make demo`: a process with timers at sparse IDs
 * that reports, once a second, how many timer signals and timerfd
 * expirations it has seen.
 *
 *   keeptime-workload run    set the timers up, then report
 *   keeptime-workload wait   no timers: wait to be restored into, report
 *
 * Both count the same signals, so a "wait" process into which keeptime
 * restored the timers of a "run" process shows them firing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <keeptime/keeptime.h>

#define TIMERFD_NUMBER 10

static volatile sig_atomic_t fast, slow, alarms, stop;

static void on_signal(int sig)
{
	if (sig == SIGRTMIN)
		fast++;
	else if (sig == SIGRTMIN + 1)
		slow++;
	else if (sig == SIGALRM)
		alarms++;
	else
		stop = 1;
}

static int setup_timers(void)
{
	struct kt_timer_spec specs[3] = {
		/* every 200 ms, counted */
		{.id = 7,
		 .clock = CLOCK_MONOTONIC,
		 .sev = {.sigev_notify = SIGEV_SIGNAL,
			 .sigev_signo = SIGRTMIN,
			 .sigev_value.sival_int = 7}},
		/* once, in an hour, on the wall clock */
		{.id = 1000000,
		 .clock = CLOCK_REALTIME,
		 .sev = {.sigev_notify = SIGEV_SIGNAL,
			 .sigev_signo = SIGRTMIN + 1,
			 .sigev_value.sival_int = 1000000}},
		/* polled, never signals */
		{.id = 2000000,
		 .clock = CLOCK_BOOTTIME,
		 .sev = {.sigev_notify = SIGEV_NONE}},
	};
	const struct itimerspec settings[3] = {
		{{0, 200000000}, {0, 200000000}},
		{{0, 0}, {3600, 0}},
		{{5, 0}, {5, 0}},
	};
	struct itimerspec tfd = {{0, 250000000}, {0, 250000000}};
	struct itimerval real = {{0, 0}, {3600, 0}};
	struct kt_create_report rep;
	KT_OPTS(kt_create_opts, opts, .report = &rep);
	char msg[256];
	int fd;

	if (kt_timers_create(specs, 3, &opts) < 0) {
		kt_create_report_format(&rep, msg, sizeof(msg));
		fprintf(stderr, "workload: %s\n", msg);
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (syscall(SYS_timer_settime, specs[i].id, 0, &settings[i],
			    NULL) < 0)
			return -1;
	if (setitimer(ITIMER_REAL, &real, NULL) < 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (fd < 0 || dup2(fd, TIMERFD_NUMBER) < 0)
		return -1;
	close(fd);
	return timerfd_settime(TIMERFD_NUMBER, 0, &tfd, NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	bool run = argc == 2 && strcmp(argv[1], "run") == 0;
	uint64_t expirations = 0;

	if (argc != 2 || (!run && strcmp(argv[1], "wait") != 0)) {
		fprintf(stderr, "usage: keeptime-workload run|wait\n");
		return 2;
	}
	/* Whatever the shell left open is not ours: the timerfd number
	 * included, which a restore must find free. */
	if (close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd); /* most are not open: ignore EBADF */
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (run && setup_timers() < 0) {
		fprintf(stderr, "workload: setting timers up: %s\n",
			strerror(errno));
		return 1;
	}
	printf("workload %d (%s) ready\n", (int)getpid(), argv[1]);
	fflush(stdout);
	while (!stop) {
		struct timespec second = {1, 0};
		uint64_t n;

		/* Sleep a second; signals cut it short, and it goes on. */
		while (nanosleep(&second, &second) < 0 && errno == EINTR &&
		       !stop)
			;
		if (read(TIMERFD_NUMBER, &n, sizeof(n)) == sizeof(n))
			expirations += n;
		printf("workload %d: timer 7 signals %d, timer 1000000 "
		       "signals %d, timerfd expirations %llu\n",
		       (int)getpid(), (int)fast, (int)slow,
		       (unsigned long long)expirations);
		fflush(stdout);
	}
	return 0;
}
