/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The show case: how long `keeptime show PID` keeps its target stopped.
 *
 * This body runs in the measuring child (child.c), which forks the target,
 * a grandchild of the keeptime command. The target, untimed:
 *   - asks for SIGKILL when the measurer dies (PR_SET_PDEATHSIG), so that
 *     no path leaves it behind;
 *   - creates n POSIX timers at IDs i * 1000 + 7 with kt_timers_create() on
 *     the automatic path (explicit IDs, or the linear walk with a bound of
 *     twice the steps it needs), in turn CLOCK_MONOTONIC, CLOCK_REALTIME
 *     and CLOCK_BOOTTIME, notifying by SIGEV_SIGNAL with a blocked
 *     real-time signal or by SIGEV_NONE, and arms them 100 to 200 s ahead
 *     (most periodic) with the raw timer_settime, so that nothing fires;
 *   - arms one timerfd and ITIMER_REAL as far ahead;
 *   - says it is ready through a pipe and idles blocked in read(2) on
 *     another pipe, as an idle real process does.
 * The measurer then captures it once, untimed (the first capture faults
 * the library's pages in), and times a second kt_capture_pid(): the target
 * is stopped only inside that call, so its wall time bounds the stop. The
 * snapshot must hold the n POSIX timers, the timerfd and ITIMER_REAL, or
 * the sample fails. On every path the target is killed and reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"

#define SHOW_VALUE_S	100 /* POSIX timers: 100 s to 200 s ahead */
#define SHOW_INTERVAL_S 50  /* the period of the periodic ones */
#define SHOW_TFD_S	150 /* the timerfd, 30 s period */
#define SHOW_TFD_INT	30
#define SHOW_ITIMER_S	300 /* ITIMER_REAL, 60 s period */
#define SHOW_ITIMER_INT 60

static const clockid_t show_clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					CLOCK_BOOTTIME};

/* ----------------------------------------------------------------------- */
/* The target                                                              */
/* ----------------------------------------------------------------------- */

static int show_id(unsigned i)
{
	return BENCH_SPARSE_FIRST + (int)i * BENCH_SPARSE_STRIDE;
}

static void set_specs(struct kt_timer_spec *specs, unsigned n, int signo)
{
	for (unsigned i = 0; i < n; i++) {
		struct kt_timer_spec *s = &specs[i];

		memset(s, 0, sizeof(*s));
		s->id = show_id(i);
		s->clock = show_clocks[i % 3];
		s->sev.sigev_notify = i % 2 ? SIGEV_NONE : SIGEV_SIGNAL;
		s->sev.sigev_signo = signo;
		s->sev.sigev_value.sival_int = s->id;
	}
}

static int create_timers(const struct kt_timer_spec *specs, unsigned n,
			 struct bench_sample *out)
{
	struct kt_create_report rep = {0};
	/* A fresh process's counter is 0: the walk needs max(ID) + 1 steps. */
	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_AUTO,
		.max_steps = 2 * ((uint64_t)specs[n - 1].id + 1),
		.report = &rep);
	int err = kt_timers_create(specs, n, &opts);

	if (err < 0) {
		char msg[sizeof(out->msg) - 32];

		(void)kt_create_report_format(&rep, msg, sizeof(msg));
		bench_msg(out, "setting up the timers: %s", msg);
		return err;
	}
	for (unsigned i = 0; i < n; i++) {
		struct itimerspec its = {
			.it_value = {SHOW_VALUE_S + (time_t)(i % 100),
				     (long)(i % 1000) * 1000},
			/* Every fifth timer is a one-shot. */
			.it_interval = {i % 5 == 4 ? 0 : SHOW_INTERVAL_S, 0},
		};

		if (syscall(SYS_timer_settime, specs[i].id, 0, &its, NULL) <
		    0) {
			err = -errno;
			bench_msg(out, "timer_settime(%d): %s", specs[i].id,
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

static int arm_others(struct bench_sample *out)
{
	const struct itimerspec tits = {.it_value = {SHOW_TFD_S, 0},
					.it_interval = {SHOW_TFD_INT, 0}};
	const struct itimerval iv = {.it_value = {SHOW_ITIMER_S, 0},
				     .it_interval = {SHOW_ITIMER_INT, 0}};
	int fd, err;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		bench_msg(out, "timerfd_create: %s", strerror(-err));
		return err;
	}
	/* The descriptor stays open for the target's life. */
	if (timerfd_settime(fd, 0, &tits, NULL) < 0) {
		err = -errno;
		bench_msg(out, "timerfd_settime(%d): %s", fd, strerror(-err));
		return err;
	}
	if (setitimer(ITIMER_REAL, &iv, NULL) < 0) {
		err = -errno;
		bench_msg(out, "setitimer(ITIMER_REAL): %s", strerror(-err));
		return err;
	}
	return 0;
}

static int target_set_up(unsigned n, pid_t measurer, struct bench_sample *out)
{
	int signo = SIGRTMIN + 1;
	struct kt_timer_spec *specs;
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		err = -errno;
		bench_msg(out, "prctl(PR_SET_PDEATHSIG): %s", strerror(-err));
		return err;
	}
	/* The measurer may have died before the prctl took effect. */
	if (getppid() != measurer) {
		bench_msg(out, "the measurer is gone");
		return -ESRCH;
	}
	if (signo > SIGRTMAX) {
		bench_msg(out, "no real-time signal free for the timers");
		return -ENOSYS;
	}
	err = bench_block_signals(signo, out);
	if (err < 0)
		return err;
	specs = calloc(n, sizeof(*specs));
	if (!specs) {
		bench_msg(out, "out of memory for %u timer specs", n);
		return -ENOMEM;
	}
	set_specs(specs, n, signo);
	err = create_timers(specs, n, out);
	free(specs);
	if (err < 0)
		return err;
	return arm_others(out);
}

static void __attribute__((noreturn))
target_main(unsigned n, pid_t measurer, int ready_fd, int idle_fd)
{
	struct bench_sample s = {0};
	char c;

	s.err = target_set_up(n, measurer, &s);
	if (bench_write_all(ready_fd, &s, sizeof(s)) < 0 || s.err < 0)
		_exit(1);
	/*
	 * Idle, blocked in read(2), until killed; nothing is ever written.
	 * End of file means the measurer is gone: leave too.
	 */
	for (;;) {
		ssize_t k = read(idle_fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		_exit(k < 0 ? 1 : 0);
	}
}

/* ----------------------------------------------------------------------- */
/* The measurer                                                            */
/* ----------------------------------------------------------------------- */

/* The target's report that it is set up, or why it is not. */
static int wait_ready(int fd, struct bench_sample *out)
{
	struct bench_sample s = {0};
	char *p = (char *)&s;
	size_t got = 0;

	while (got < sizeof(s)) {
		ssize_t k = read(fd, p + got, sizeof(s) - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = -errno;

			bench_msg(out, "reading from the target: %s",
				  strerror(-err));
			return err;
		}
		if (k == 0) {
			bench_msg(out, "the target exited before it was set "
				       "up");
			return -EPIPE;
		}
		got += (size_t)k;
	}
	if (s.err < 0) {
		s.msg[sizeof(s.msg) - 1] = '\0';
		bench_msg(out, "target: %s", s.msg);
		return s.err;
	}
	return 0;
}

static int capture(pid_t pid, const char *what, struct kt_snapshot **ret,
		   struct bench_sample *out)
{
	char why[200] = "";
	KT_OPTS(kt_capture_opts, opts, .err_buf = why, .err_len = sizeof(why));
	int err = kt_capture_pid(pid, ret, &opts);

	if (err == -EPERM) {
		out->skip = true;
		bench_msg(out, "ptrace not permitted: %s",
			  why[0] ? why : strerror(-err));
	} else if (err < 0) {
		bench_msg(out, "%s of process %d: %s", what, (int)pid,
			  why[0] ? why : strerror(-err));
	}
	return err;
}

/* What the timed capture found: exactly what the target set up. */
static int check_snapshot(const struct kt_snapshot *snap, unsigned n,
			  struct bench_sample *out)
{
	size_t count = kt_snapshot_posix_timer_count(snap);
	const struct kt_itimer *it = kt_snapshot_itimer(snap, ITIMER_REAL);

	if (count != n) {
		bench_msg(out, "the capture holds %zu POSIX timers, not %u",
			  count, n);
		return -EPROTO;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct kt_posix_timer *t =
			kt_snapshot_posix_timer(snap, i);

		if (t->id != show_id(i) || t->clock != show_clocks[i % 3] ||
		    (t->value.tv_sec == 0 && t->value.tv_nsec == 0)) {
			bench_msg(out,
				  "the capture's POSIX timer #%u (ID %d) is "
				  "not the one set up",
				  i, t->id);
			return -EPROTO;
		}
	}
	count = kt_snapshot_timerfd_count(snap);
	if (count != BENCH_SHOW_TIMERFDS) {
		bench_msg(out, "the capture holds %zu timerfds, not %d", count,
			  BENCH_SHOW_TIMERFDS);
		return -EPROTO;
	}
	if (!it || it->interval.tv_sec != SHOW_ITIMER_INT) {
		bench_msg(out, "the capture's ITIMER_REAL is not as set");
		return -EPROTO;
	}
	return 0;
}

/* The warm-up capture, then the timed one, checked. */
static int measure(pid_t pid, unsigned n, struct bench_sample *out)
{
	struct kt_snapshot *snap = NULL;
	uint64_t start = 0, end = 0;
	int err;

	err = capture(pid, "warm-up capture", &snap, out);
	if (err < 0)
		return err;
	kt_snapshot_free(snap);
	snap = NULL;

	err = bench_now_ns(&start);
	if (err < 0) {
		bench_msg(out, "clock_gettime: %s", strerror(-err));
		return err;
	}
	err = capture(pid, "timed capture", &snap, out);
	if (err < 0)
		return err;
	err = bench_now_ns(&end);
	if (err < 0) {
		bench_msg(out, "clock_gettime: %s", strerror(-err));
	} else {
		out->ns = end - start;
		out->count = n;
		err = check_snapshot(snap, n, out);
	}
	kt_snapshot_free(snap);
	return err;
}

/*
 * Kill and reap the target. A target that ended on its own after a good
 * capture was disturbed by it: that fails the sample (prior_err >= 0).
 */
static int end_target(pid_t pid, int prior_err, struct bench_sample *out)
{
	int status, err;

	if (kill(pid, SIGKILL) < 0) {
		/* Not reaped, so it exists: cannot happen. PDEATHSIG ends
		 * it when this process exits; do not wait for it. */
		err = -errno;
		if (prior_err >= 0)
			bench_msg(out, "kill of the target %d: %s", (int)pid,
				  strerror(-err));
		return err;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			if (prior_err >= 0)
				bench_msg(out, "waitpid of the target: %s",
					  strerror(-err));
			return err;
		}
	}
	if (prior_err >= 0 &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		bench_msg(out,
			  "the target ended by itself after the capture "
			  "(status 0x%x)",
			  (unsigned)status);
		return -ECHILD;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd); /* a pipe end: nothing to flush */
	*fd = -1;
}

int bench_show(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	int ready[2] = {-1, -1}, idle[2] = {-1, -1};
	pid_t measurer = getpid(), pid;
	int err, end_err;

	bench_prefault();
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(idle, O_CLOEXEC) < 0) {
		err = -errno;
		bench_msg(out, "pipe: %s", strerror(-err));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		bench_msg(out, "fork of the target: %s", strerror(-err));
		goto out;
	}
	if (pid == 0) {
		close_fd(&ready[0]);
		close_fd(&idle[1]);
		target_main(c->n, measurer, ready[1], idle[0]);
	}
	close_fd(&ready[1]); /* so that a dead target reads as EOF */
	close_fd(&idle[0]);

	err = wait_ready(ready[0], out);
	if (err >= 0)
		err = measure(pid, c->n, out);
	end_err = end_target(pid, err, out);
	if (err >= 0)
		err = end_err;
out:
	close_fd(&ready[0]);
	close_fd(&ready[1]);
	close_fd(&idle[0]);
	close_fd(&idle[1]);
	return err;
}
