/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Round trips: set timers up, capture, (save, load,) remove them, restore,
 * capture again, and compare every field the kernel reports.
 *
 * Remaining times: a timer captured at t1 with remaining r1 has its
 * deadline at t1 + r1; restored (armed) at ta with r1, its deadline is
 * ta + r1, so the second capture at t2 reads r2 = r1 - (t2 - ta). Hence
 *     0 <= r1 - r2 <= C(t2) - C(t1),
 * where C is the timer's own clock (wall or CPU time) read before the first
 * capture and after the second. That is the bound checked, with 1 us of
 * slack for itimers, which the kernel reports truncated to microseconds.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <keeptime/keeptime.h>

#include "../src/lib/snapshot.h"
#include "kt_test.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

#define SEC	     1000000000LL
#define CPU_TICK_MAX (10 * 1000000LL)

static int64_t ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * SEC + ts->tv_nsec;
}

static int64_t tv_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * SEC + (int64_t)tv->tv_usec * 1000;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(c, &ts), 0, "clock_gettime(%d): %s", c,
		     strerror(errno));
	return ns(&ts);
}

/* The clock that measures a timer's remaining time (the kernel's -6 and -2
 * are this process's and this thread's CPU clocks). */
static bool is_cpu_clock(clockid_t c)
{
	return c < 0 || c == CLOCK_PROCESS_CPUTIME_ID ||
	       c == CLOCK_THREAD_CPUTIME_ID;
}

static clockid_t measuring_clock(clockid_t c)
{
	if (c == -6)
		return CLOCK_PROCESS_CPUTIME_ID;
	if (c == -2)
		return CLOCK_THREAD_CPUTIME_ID;
	if (c == CLOCK_REALTIME_ALARM)
		return CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		return CLOCK_BOOTTIME;
	return c;
}

static struct kt_snapshot *capture(void)
{
	struct kt_snapshot *snap = NULL;
	char msg[256];
	KT_OPTS(kt_capture_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	cr_assert_eq(kt_capture_self(&snap, &opts), 0, "capture: %s", msg);
	return snap;
}

static void restore(const struct kt_snapshot *snap)
{
	char msg[256];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	cr_assert_eq(kt_restore_self(snap, &opts), 0, "restore: %s", msg);
}

/* Through an image in memory, as a restore from a file would. */
static struct kt_snapshot *save_load(const struct kt_snapshot *snap)
{
	struct kt_snapshot *out = NULL;
	char msg[256];
	KT_OPTS(kt_load_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	int fd = memfd_create("image", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(kt_snapshot_save(snap, fd), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(kt_snapshot_load(fd, &out, &opts), 0, "load: %s", msg);
	close(fd);
	return out;
}

/* Remove what a snapshot holds from this process. */
static void clear(const struct kt_snapshot *snap)
{
	struct itimerval zero = {0};

	for (size_t i = 0; i < kt_snapshot_posix_timer_count(snap); i++)
		cr_assert_eq(
			ktt_timer_delete(kt_snapshot_posix_timer(snap, i)->id),
			0);
	for (size_t i = 0; i < kt_snapshot_timerfd_count(snap); i++)
		cr_assert_eq(close(kt_snapshot_timerfd(snap, i)->fd), 0);
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++)
		cr_assert_eq(setitimer(w, &zero, NULL), 0);
}

/* Clock readings bracketing a round trip, per clock a timer uses. */
struct window {
	clockid_t clocks[16];
	int64_t start[16];
	int n;
};

static void window_add(struct window *w, clockid_t c);

/* The clocks every comparison needs (itimers): monotonic, process CPU. */
static void window_start(struct window *w)
{
	w->n = 0;
	window_add(w, CLOCK_MONOTONIC);
	window_add(w, CLOCK_PROCESS_CPUTIME_ID);
}

static void window_add(struct window *w, clockid_t c)
{
	c = measuring_clock(c);
	for (int i = 0; i < w->n; i++)
		if (w->clocks[i] == c)
			return;
	cr_assert_lt(w->n, 16);
	w->clocks[w->n] = c;
	w->start[w->n++] = clock_ns(c);
}

static int64_t window_len(const struct window *w, clockid_t c)
{
	c = measuring_clock(c);
	for (int i = 0; i < w->n; i++)
		if (w->clocks[i] == c)
			return clock_ns(c) - w->start[i];
	cr_assert_fail("clock %d not measured", c);
	return 0;
}

static void expect_remaining(const char *what, int id, int64_t before,
			     int64_t after, int64_t window, int64_t slack)
{
	if (before == 0) {
		cr_expect_eq(after, 0, "%s %d: was disarmed, now %lld ns", what,
			     id, (long long)after);
		return;
	}
	cr_expect(before - after >= -slack && before - after <= window + slack,
		  "%s %d: remaining %lld ns before, %lld ns after: outside "
		  "[0, %lld] ns",
		  what, id, (long long)before, (long long)after,
		  (long long)window);
}

/* Every field equal; remaining times within the window of their clock. */
static void expect_same(const struct kt_snapshot *a,
			const struct kt_snapshot *b, const struct window *w)
{
	cr_assert_eq(kt_snapshot_posix_timer_count(a),
		     kt_snapshot_posix_timer_count(b));
	for (size_t i = 0; i < kt_snapshot_posix_timer_count(a); i++) {
		const struct kt_posix_timer *x = kt_snapshot_posix_timer(a, i);
		const struct kt_posix_timer *y = kt_snapshot_posix_timer(b, i);

		cr_expect_eq(x->id, y->id);
		cr_expect_eq(x->clock, y->clock, "timer %d clock", x->id);
		cr_expect_eq(x->notify, y->notify, "timer %d notify", x->id);
		cr_expect_eq(x->notify_tid, y->notify_tid, "timer %d tid",
			     x->id);
		cr_expect_eq(x->signo, y->signo, "timer %d signo", x->id);
		cr_expect_eq(x->sigval, y->sigval, "timer %d sigval", x->id);
		cr_expect_eq(x->overrun, y->overrun, "timer %d overrun", x->id);
		cr_expect_eq(ns(&x->interval), ns(&y->interval),
			     "timer %d interval", x->id);
		expect_remaining("POSIX timer", x->id, ns(&x->value),
				 ns(&y->value), window_len(w, x->clock),
				 is_cpu_clock(x->clock) ? CPU_TICK_MAX : 0);
	}
	for (int it = ITIMER_REAL; it <= ITIMER_PROF; it++) {
		const struct kt_itimer *x = kt_snapshot_itimer(a, it);
		const struct kt_itimer *y = kt_snapshot_itimer(b, it);
		clockid_t c = it == ITIMER_REAL ? CLOCK_MONOTONIC
						: CLOCK_PROCESS_CPUTIME_ID;

		cr_expect_eq(tv_ns(&x->interval), tv_ns(&y->interval),
			     "itimer %d interval", it);
		expect_remaining("itimer", it, tv_ns(&x->value),
				 tv_ns(&y->value), window_len(w, c),
				 it == ITIMER_REAL ? 1000
						   : CPU_TICK_MAX + 1000);
	}
	cr_assert_eq(kt_snapshot_timerfd_count(a),
		     kt_snapshot_timerfd_count(b));
	for (size_t i = 0; i < kt_snapshot_timerfd_count(a); i++) {
		const struct kt_timerfd *x = kt_snapshot_timerfd(a, i);
		const struct kt_timerfd *y = kt_snapshot_timerfd(b, i);

		cr_expect_eq(x->fd, y->fd);
		cr_expect_eq(x->clock, y->clock, "timerfd %d clock", x->fd);
		cr_expect_eq(x->fd_flags, y->fd_flags, "timerfd %d fd flags",
			     x->fd);
		cr_expect_eq(x->settime_flags, y->settime_flags,
			     "timerfd %d settime flags", x->fd);
		cr_expect_eq(x->ticks, y->ticks, "timerfd %d ticks", x->fd);
		cr_expect_eq(ns(&x->interval), ns(&y->interval),
			     "timerfd %d interval", x->fd);
		expect_remaining("timerfd", x->fd, ns(&x->value), ns(&y->value),
				 window_len(w, x->clock), 0);
	}
	cr_expect_eq(kt_snapshot_restore_ids_flag(a),
		     kt_snapshot_restore_ids_flag(b));
}

/* A thread that only waits, as a SIGEV_THREAD_ID target; it ends with the
 * test process. */
struct worker {
	pthread_t thread;
	pid_t tid;
	pthread_barrier_t started;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid = gettid();
	pthread_barrier_wait(&w->started);
	for (;;)
		pause();
	return NULL;
}

static void worker_start(struct worker *w)
{
	cr_assert_eq(pthread_barrier_init(&w->started, NULL, 2), 0);
	cr_assert_eq(pthread_create(&w->thread, NULL, worker_main, w), 0);
	pthread_barrier_wait(&w->started);
}

static void arm(int id, int64_t value, int64_t interval)
{
	struct itimerspec its = {
		.it_value = {(time_t)(value / SEC), (long)(value % SEC)},
		.it_interval = {(time_t)(interval / SEC),
				(long)(interval % SEC)},
	};

	cr_assert_eq(syscall(SYS_timer_settime, id, 0, &its, NULL), 0,
		     "timer_settime(%d): %s", id, strerror(errno));
}

static void create_at(int id, clockid_t clock, int notify, int signo,
		      uint64_t value, pid_t tid)
{
	struct sigevent sev = {.sigev_notify = notify, .sigev_signo = signo};
	struct kt_create_report rep;
	char msg[256];
	KT_OPTS(kt_create_opts, opts, .report = &rep);

	memcpy(&sev.sigev_value, &value, sizeof(value));
	KT_SIGEV_TID(&sev) = tid;
	if (kt_timer_create_at(id, clock, &sev, &opts) < 0) {
		kt_create_report_format(&rep, msg, sizeof(msg));
		cr_assert_fail("create %d: %s", id, msg);
	}
}

Test(roundtrip, posix_timers_every_clock_and_notify, .timeout = 30)
{
	static const clockid_t clocks[] = {
		CLOCK_REALTIME,		  CLOCK_MONOTONIC,
		CLOCK_BOOTTIME,		  CLOCK_TAI,
		CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
	};
	struct kt_snapshot *before, *image, *after;
	struct worker worker;
	struct window w = {0};
	clockid_t parent_cpu, worker_cpu;
	int id = 7;

	ktt_require_restore_ids();
	worker_start(&worker);
	cr_assert_eq(clock_getcpuclockid(getppid(), &parent_cpu), 0);
	cr_assert_eq(pthread_getcpuclockid(worker.thread, &worker_cpu), 0);

	const clockid_t extra[] = {parent_cpu, worker_cpu};
	for (size_t c = 0; c < 8; c++) {
		clockid_t clock = c < 6 ? clocks[c] : extra[c - 6];
		/* notify kinds: signal, none (odd signo), raw thread, thread
		 * ID to this thread and to the worker */
		const int notify[] = {SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD,
				      SIGEV_SIGNAL | SIGEV_THREAD_ID,
				      SIGEV_SIGNAL | SIGEV_THREAD_ID};
		for (int k = 0; k < 5; k++, id += 1000) {
			pid_t tid = k == 3 ? gettid() : k == 4 ? worker.tid : 0;
			int signo = k == 1 ? 12345 : SIGRTMIN + k;

			create_at(id, clock, notify[k], signo,
				  0xfeedface00000000ULL | (uint64_t)id, tid);
			/* one-shot, periodic with interval > value, disarmed */
			if (k % 3 == 0)
				arm(id, 100 * SEC + id, 0);
			else if (k % 3 == 1)
				arm(id, 50 * SEC, 200 * SEC + 3);
		}
	}
	/* Signals of the armed timers must not end the test. */
	sigset_t all;
	sigfillset(&all);
	cr_assert_eq(pthread_sigmask(SIG_BLOCK, &all, NULL), 0);

	window_start(&w);
	for (size_t c = 0; c < 6; c++)
		window_add(&w, clocks[c]);
	window_add(&w, parent_cpu);
	window_add(&w, worker_cpu);
	before = capture();
	cr_assert_eq(kt_snapshot_posix_timer_count(before), 40);
	/* What the kernel holds: CPU clocks of self rewritten to -6 / -2. */
	cr_expect_eq(kt_snapshot_posix_timer(before, 4 * 5)->clock, -6);
	cr_expect_eq(kt_snapshot_posix_timer(before, 5 * 5)->clock, -2);
	cr_expect_eq(kt_snapshot_posix_timer(before, 6 * 5)->clock, parent_cpu);
	cr_expect_eq(kt_snapshot_posix_timer(before, 1)->signo, 12345);
	cr_expect_eq(kt_snapshot_posix_timer(before, 4)->notify_tid,
		     worker.tid);

	image = save_load(before);
	clear(before);
	after = capture();
	cr_assert_eq(kt_snapshot_posix_timer_count(after), 0);
	kt_snapshot_free(after);
	restore(image);
	after = capture();
	expect_same(before, after, &w);
	kt_snapshot_free(before);
	kt_snapshot_free(image);
	kt_snapshot_free(after);
}

/*
 * The capture reads each itimer as the kernel holds it at that moment: no
 * more than getitimer() gave just before the capture, no less than it gives
 * just after (none of these expires during the test, and an itimer only
 * runs down). That it is the itimer set: no more than the value set (plus
 * the tick Linux adds to CPU itimers), no less than the value set minus the
 * time gone by since. CPU time is charged to the process a whole tick at a
 * time, on each CPU it runs on, so the CPU itimers may lose up to the wall
 * time gone by on each CPU, and a tick more; a fixed expectation ("still
 * 40 s") would fail on a machine that charges a few ticks meanwhile.
 */
Test(roundtrip, itimers, .timeout = 30)
{
	const struct itimerval set[3] = {
		[ITIMER_REAL] = {{7, 250000}, {30, 0}},
		[ITIMER_VIRTUAL] = {{0, 0}, {40, 500}},
		[ITIMER_PROF] = {{1, 0}, {60, 1}},
	};
	struct itimerval hi[3], lo[3];
	struct kt_snapshot *before, *image, *after;
	struct window w = {0};
	int64_t ncpu = sysconf(_SC_NPROCESSORS_ONLN), t_set, t_read;
	sigset_t all;

	cr_assert_geq(ncpu, 1);
	sigfillset(&all);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &all, NULL), 0);
	t_set = clock_ns(CLOCK_MONOTONIC);
	for (int it = ITIMER_REAL; it <= ITIMER_PROF; it++)
		cr_assert_eq(setitimer(it, &set[it], NULL), 0);
	window_start(&w);
	for (int it = ITIMER_REAL; it <= ITIMER_PROF; it++)
		cr_assert_eq(getitimer(it, &hi[it]), 0);
	before = capture();
	for (int it = ITIMER_REAL; it <= ITIMER_PROF; it++)
		cr_assert_eq(getitimer(it, &lo[it]), 0);
	t_read = clock_ns(CLOCK_MONOTONIC);
	for (int it = ITIMER_REAL; it <= ITIMER_PROF; it++) {
		const struct kt_itimer *k = kt_snapshot_itimer(before, it);
		int64_t v = tv_ns(&k->value), want = tv_ns(&set[it].it_value);
		int64_t tick = it == ITIMER_REAL ? 0 : CPU_TICK_MAX;
		/* REAL: wall time, and 1 us of truncation to microseconds */
		int64_t lost = it == ITIMER_REAL
				       ? t_read - t_set + 1000
				       : ncpu * (t_read - t_set + tick);

		cr_expect_eq(tv_ns(&k->interval), tv_ns(&set[it].it_interval),
			     "itimer %d interval", it);
		cr_expect(v <= tv_ns(&hi[it].it_value) &&
				  v >= tv_ns(&lo[it].it_value),
			  "itimer %d: captured %lld ns, getitimer gave %lld ns "
			  "before the capture and %lld ns after",
			  it, (long long)v, (long long)tv_ns(&hi[it].it_value),
			  (long long)tv_ns(&lo[it].it_value));
		cr_expect(v <= want + tick && v >= want - lost,
			  "itimer %d: captured %lld ns, set to %lld ns %lld ns "
			  "before",
			  it, (long long)v, (long long)want,
			  (long long)(t_read - t_set));
	}
	clear(before);
	image = save_load(before);
	restore(image);
	after = capture();
	expect_same(before, after, &w);
	kt_snapshot_free(before);
	kt_snapshot_free(image);
	kt_snapshot_free(after);
}

/*
 * Linux adds a tick to each CPU itimer value set; keeptime takes it off, so
 * that restoring the same snapshot again and again does not push the
 * expiry later each time. Within 2 us (microsecond truncation, twice).
 */
Test(roundtrip, cpu_itimers_gain_no_tick_per_restore, .timeout = 30)
{
	struct itimerval prof = {{0, 0}, {30, 0}}, virt = prof;
	struct kt_snapshot *snap = NULL;
	sigset_t all;

	sigfillset(&all);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &all, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_PROF, &prof, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_VIRTUAL, &virt, NULL), 0);
	for (int round = 0; round < 5; round++) {
		struct kt_snapshot *next;

		snap = capture();
		restore(snap);
		next = capture();
		for (int w = ITIMER_VIRTUAL; w <= ITIMER_PROF; w++) {
			int64_t a = tv_ns(&kt_snapshot_itimer(snap, w)->value);
			int64_t b = tv_ns(&kt_snapshot_itimer(next, w)->value);

			cr_expect_leq(b - a, 2000,
				      "round %d, itimer %d: %lld ns before, "
				      "%lld ns after",
				      round, w, (long long)a, (long long)b);
		}
		kt_snapshot_free(snap);
		kt_snapshot_free(next);
	}
}

Test(roundtrip, timerfds_with_flags_and_ticks, .timeout = 30)
{
	struct kt_snapshot *before, *after;
	struct window w = {0};
	struct itimerspec its;
	struct timespec now;
	struct kt_snapshot *image;
	uint64_t ticks = 1234;
	int fd;

	/* Relative, periodic, non-blocking, at a high number. */
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 40), 40);
	close(fd);
	its = (struct itimerspec){{100, 0}, {50, 7}};
	cr_assert_eq(timerfd_settime(40, 0, &its, NULL), 0);
	/* Absolute on REALTIME with CANCEL_ON_SET, close-on-exec. */
	fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	cr_assert_eq(dup2(fd, 41), 41);
	cr_assert_eq(fcntl(41, F_SETFD, FD_CLOEXEC), 0);
	close(fd);
	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &now), 0);
	its = (struct itimerspec){{0, 0}, {now.tv_sec + 90, 0}};
	cr_assert_eq(
		timerfd_settime(41, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
				&its, NULL),
		0);
	/* Disarmed with unread expirations. */
	fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	cr_assert_eq(dup2(fd, 42), 42);
	cr_assert_eq(fcntl(42, F_SETFD, FD_CLOEXEC), 0);
	close(fd);
	cr_assert_eq(ioctl(42, TFD_IOC_SET_TICKS, &ticks), 0, "%s",
		     strerror(errno));
	/* An expired one-shot, one unread tick. */
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	cr_assert_eq(dup2(fd, 43), 43);
	close(fd);
	its = (struct itimerspec){{0, 0}, {0, 1000}};
	cr_assert_eq(timerfd_settime(43, 0, &its, NULL), 0);
	usleep(2000);

	window_start(&w);
	window_add(&w, CLOCK_REALTIME);
	window_add(&w, CLOCK_BOOTTIME);
	before = capture();
	cr_assert_eq(kt_snapshot_timerfd_count(before), 4);
	cr_expect_eq(kt_snapshot_timerfd(before, 1)->settime_flags, 3);
	cr_expect_eq(kt_snapshot_timerfd(before, 1)->fd_flags, TFD_CLOEXEC);
	cr_expect_eq(kt_snapshot_timerfd(before, 2)->ticks, 1234);
	cr_expect_eq(kt_snapshot_timerfd(before, 3)->ticks, 1);
	clear(before);
	image = save_load(before);
	restore(image);
	after = capture();
	expect_same(before, after, &w);
	/* The unread expirations are really there to read. */
	uint64_t got = 0;
	cr_expect_eq(read(42, &got, sizeof(got)), (ssize_t)sizeof(got));
	cr_expect_eq(got, 1234);
	cr_expect_eq(read(43, &got, sizeof(got)), (ssize_t)sizeof(got));
	cr_expect_eq(got, 1);
	kt_snapshot_free(before);
	kt_snapshot_free(image);
	kt_snapshot_free(after);
}

/* Sleep until CLOCK_MONOTONIC reads at least t. */
static void sleep_until(int64_t t)
{
	struct timespec ts = {(time_t)(t / SEC), (long)(t % SEC)};
	int err;

	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				      NULL)) == EINTR)
		;
	cr_assert_eq(err, 0, "clock_nanosleep: %s", strerror(err));
}

/*
 * How many times a periodic timer with this period expires in an interval
 * that starts its first period between a and b and ends between c and d:
 * its expiries are at s + k * period (k >= 1) for some s in [a, b], counted
 * up to some end in [c, d]. Gives the least and the most.
 */
static void expiries(int64_t a, int64_t b, int64_t c, int64_t d, int64_t period,
		     int64_t *least, int64_t *most)
{
	*least = c - b >= 0 ? (c - b) / period : 0;
	*most = d - a >= 0 ? (d - a) / period : 0;
}

/*
 * A periodic timerfd that expired many times unread: its fdinfo says one
 * tick and nothing remaining until timerfd_gettime forwards it. The capture
 * forwards it: every tick, and the time to the next expiry. Restored, it
 * keeps those ticks and goes on expiring with its period.
 *
 * The period (50 ms) is long against what the capture does between reading
 * the timer and its fdinfo, and each capture is made half a period after
 * an expiry, so that scheduling on a slow machine does not put an expiry
 * within it; every count is checked against clock readings taken around
 * the step that made it, not against a fixed sleep.
 */
#define TFD_PERIOD (50 * 1000000LL)

Test(roundtrip, expired_periodic_timerfd_keeps_its_ticks, .timeout = 30)
{
	struct itimerspec its = {{0, TFD_PERIOD}, {0, TFD_PERIOD}};
	struct kt_snapshot *before, *after;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int64_t s0, s1, c0, c1, r0, r1, d0, d1, least, most;

	cr_assert_geq(fd, 0);
	s0 = clock_ns(CLOCK_MONOTONIC);
	cr_assert_eq(timerfd_settime(fd, 0, &its, NULL), 0);
	s1 = clock_ns(CLOCK_MONOTONIC);
	sleep_until(s1 + 5 * TFD_PERIOD + TFD_PERIOD / 2);
	c0 = clock_ns(CLOCK_MONOTONIC);
	before = capture();
	c1 = clock_ns(CLOCK_MONOTONIC);
	const struct kt_timerfd *x = kt_snapshot_timerfd(before, 0);
	uint64_t t1 = x->ticks;
	int64_t v1 = ns(&x->value);

	/* fdinfo alone would say 1 tick and 0 remaining: the capture has
	 * forwarded it, every expiry counted, the next one ahead. */
	expiries(s0, s1, c0, c1, TFD_PERIOD, &least, &most);
	cr_assert_geq(least, 5);
	cr_expect((int64_t)t1 >= least && (int64_t)t1 <= most,
		  "%llu ticks captured, between %lld and %lld expected "
		  "(captured %lld-%lld ns after it was set)",
		  (unsigned long long)t1, (long long)least, (long long)most,
		  (long long)(c0 - s1), (long long)(c1 - s0));
	cr_assert(v1 > 0 && v1 <= TFD_PERIOD,
		  "%lld ns remaining captured, period %lld ns", (long long)v1,
		  TFD_PERIOD);
	cr_expect_eq(ns(&x->interval), TFD_PERIOD);

	clear(before);
	r0 = clock_ns(CLOCK_MONOTONIC);
	restore(before);
	r1 = clock_ns(CLOCK_MONOTONIC);
	/* Restored between r0 and r1 with v1 to go: expiries at
	 * r + v1 + k * period (k >= 0). Three of them at least. */
	sleep_until(r1 + v1 + 2 * TFD_PERIOD + TFD_PERIOD / 2);
	d0 = clock_ns(CLOCK_MONOTONIC);
	after = capture();
	d1 = clock_ns(CLOCK_MONOTONIC);
	expiries(r0 + v1 - TFD_PERIOD, r1 + v1 - TFD_PERIOD, d0, d1, TFD_PERIOD,
		 &least, &most);
	cr_assert_geq(least, 3);
	uint64_t t2 = kt_snapshot_timerfd(after, 0)->ticks;
	int64_t v2 = ns(&kt_snapshot_timerfd(after, 0)->value);

	/* The ticks are kept, and the timer goes on with its period. */
	cr_expect((int64_t)(t2 - t1) >= least && (int64_t)(t2 - t1) <= most,
		  "%llu ticks captured, restored, %llu captured again: %lld "
		  "more, between %lld and %lld expected (%lld ns remaining "
		  "restored %lld-%lld ns before)",
		  (unsigned long long)t1, (unsigned long long)t2,
		  (long long)(t2 - t1), (long long)least, (long long)most,
		  (long long)v1, (long long)(d0 - r1), (long long)(d1 - r0));
	cr_expect(v2 > 0 && v2 <= TFD_PERIOD, "%lld ns remaining",
		  (long long)v2);
	cr_expect_eq(ns(&kt_snapshot_timerfd(after, 0)->interval), TFD_PERIOD);
	kt_snapshot_free(before);
	kt_snapshot_free(after);
}

static int fired;

static void on_thread_timer(union sigval v)
{
	__atomic_store_n(&fired, v.sival_int, __ATOMIC_SEQ_CST);
}

Test(roundtrip, glibc_sigev_thread_timer_fires_after_restore, .timeout = 30)
{
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = on_thread_timer,
			       .sigev_value.sival_int = 4242};
	struct itimerspec its = {{0, 0}, {0, 50000000}};
	struct kt_snapshot *before, *after;
	timer_t t;

	ktt_require_restore_ids();
	/* glibc's own timer_create: the flag is OFF. */
	cr_assert_eq(timer_create(CLOCK_MONOTONIC, &sev, &t), 0);
	cr_assert_eq(timer_settime(t, 0, &its, NULL), 0);
	before = capture();
	cr_assert_eq(kt_snapshot_posix_timer_count(before), 1);
	const struct kt_posix_timer *k = kt_snapshot_posix_timer(before, 0);
	/* The kernel holds a SIGEV_THREAD_ID timer aimed at glibc's helper. */
	cr_expect_eq(k->notify, SIGEV_SIGNAL | SIGEV_THREAD_ID);
	cr_expect_neq(k->notify_tid, gettid());
	clear(before);
	restore(before);
	after = capture();
	cr_expect_eq(kt_snapshot_posix_timer(after, 0)->notify_tid,
		     k->notify_tid);
	cr_expect_eq(kt_snapshot_posix_timer(after, 0)->sigval, k->sigval);
	/* glibc's timer_t still names it, and the helper still runs it (due
	 * 50 ms after it was set; given 10 s to start a thread for it). */
	for (int64_t end = clock_ns(CLOCK_MONOTONIC) + 10 * SEC;
	     !__atomic_load_n(&fired, __ATOMIC_SEQ_CST) &&
	     clock_ns(CLOCK_MONOTONIC) < end;)
		usleep(5000);
	cr_expect_eq(fired, 4242,
		     "the restored SIGEV_THREAD timer did not fire");
	cr_expect_eq(timer_delete(t), 0);
	kt_snapshot_free(before);
	kt_snapshot_free(after);
}

struct child_restore {
	size_t image_len;
	unsigned char image[4096];
};

/* In a fresh child: load and restore on the linear path, then check. */
static int restore_linear_child(void *arg)
{
	struct child_restore *cr = arg;
	struct kt_snapshot *snap = NULL, *got = NULL;
	struct kt_create_report rep;
	char msg[256];
	KT_OPTS(kt_create_opts, ids, .path = KT_PATH_LINEAR, .report = &rep);
	KT_OPTS(kt_restore_opts, opts, .ids = &ids, .err_buf = msg,
		.err_len = sizeof(msg));
	KT_OPTS(kt_capture_opts, copts, .err_buf = msg, .err_len = sizeof(msg));
	int fd = memfd_create("image", 0);

	KTT_CHILD_ASSERT(fd >= 0, "memfd");
	KTT_CHILD_ASSERT(write(fd, cr->image, cr->image_len) ==
				 (ssize_t)cr->image_len,
			 "write");
	KTT_CHILD_ASSERT(lseek(fd, 0, SEEK_SET) == 0, "seek");
	KTT_CHILD_ASSERT(kt_snapshot_load(fd, &snap, NULL) == 0, "load");
	KTT_CHILD_ASSERT(kt_restore_self(snap, &opts) == 0, "restore: %s", msg);
	KTT_CHILD_ASSERT(rep.path == KT_PATH_LINEAR, "path %d", rep.path);
	KTT_CHILD_ASSERT(kt_capture_self(&got, &copts) == 0, "capture: %s",
			 msg);
	KTT_CHILD_ASSERT(kt_snapshot_posix_timer_count(got) == 3, "count");
	for (size_t i = 0; i < 3; i++) {
		const struct kt_posix_timer *x =
			kt_snapshot_posix_timer(snap, i);
		const struct kt_posix_timer *y =
			kt_snapshot_posix_timer(got, i);

		KTT_CHILD_ASSERT(x->id == y->id && x->clock == y->clock &&
					 x->notify == y->notify &&
					 x->signo == y->signo &&
					 x->sigval == y->sigval &&
					 ns(&x->interval) == ns(&y->interval),
				 "timer %zu differs", i);
		KTT_CHILD_ASSERT(ns(&y->value) <= ns(&x->value) &&
					 (ns(&x->value) == 0) ==
						 (ns(&y->value) == 0),
				 "timer %zu remaining", i);
	}
	return 0;
}

Test(roundtrip, linear_path_in_a_fresh_process, .timeout = 30)
{
	struct child_restore *cr = ktt_shared_alloc(sizeof(*cr));
	struct kt_snapshot *snap;
	int fd;

	/* Timers at IDs a fresh counter can reach: 3, 50, 20000. */
	create_at(3, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN, 3, 0);
	create_at(50, CLOCK_REALTIME, SIGEV_NONE, 0, 50, 0);
	create_at(20000, CLOCK_BOOTTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 7, 0);
	arm(3, 100 * SEC, SEC);
	arm(20000, 200 * SEC, 0);
	snap = capture();
	fd = memfd_create("image", 0);
	cr_assert_eq(kt_snapshot_save(snap, fd), 0);
	cr->image_len = (size_t)lseek(fd, 0, SEEK_END);
	cr_assert_leq(cr->image_len, sizeof(cr->image));
	cr_assert_eq(pread(fd, cr->image, cr->image_len, 0),
		     (ssize_t)cr->image_len);
	close(fd);
	kt_snapshot_free(snap);
	KTT_RUN_CHILD(restore_linear_child, cr);
	ktt_shared_free(cr, sizeof(*cr));
}

Test(restore, over_an_existing_timer_changes_nothing, .timeout = 30)
{
	char before[KTT_TEXT_MAX], after[KTT_TEXT_MAX], msg[256];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	struct itimerval iv = {{0, 0}, {90, 0}}, iv2;
	struct kt_snapshot *snap;
	sigset_t all;

	sigfillset(&all);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &all, NULL), 0);
	create_at(11, CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	create_at(12, CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &iv, NULL), 0);
	snap = capture();
	/* Timer 12 is still there: the restore must refuse, and touch
	 * nothing (not even timer 11, which it could have created). */
	cr_assert_eq(ktt_timer_delete(11), 0);
	cr_assert_geq(ktt_proc_timers(before, sizeof(before)), 0);
	iv.it_value.tv_sec = 50;
	cr_assert_eq(setitimer(ITIMER_REAL, &iv, NULL), 0);

	cr_expect_eq(kt_restore_self(snap, &opts), -EBUSY);
	cr_expect_not_null(strstr(msg, "ID 12"), "%s", msg);
	cr_assert_geq(ktt_proc_timers(after, sizeof(after)), 0);
	cr_expect_str_eq(after, before);
	cr_assert_eq(getitimer(ITIMER_REAL, &iv2), 0);
	cr_expect_leq(iv2.it_value.tv_sec, 50, "itimer changed");
	kt_snapshot_free(snap);
}

Test(restore, late_failure_undoes_everything, .timeout = 30)
{
	char before[KTT_TEXT_MAX], after[KTT_TEXT_MAX], msg[256];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	struct kt_snapshot *snap = kt_snapshot_new();
	struct kt_snap_error serr;
	struct itimerval iv;

	ktt_require_restore_ids();
	/* Two POSIX timers, an itimer, a good timerfd and one whose descriptor
	 * dup3 cannot take (beyond RLIMIT_NOFILE): the failure comes after
	 * the timers and the first timerfd were created. */
	for (int i = 0; i < 2; i++) {
		struct kt_posix_timer t = {.id = 100 + i,
					   .clock = CLOCK_MONOTONIC,
					   .notify = SIGEV_NONE,
					   .value = {5, 0}};
		cr_assert_eq(kt_snapshot_add_timer(snap, &t), 0);
	}
	snap->itimers[ITIMER_REAL].value.tv_sec = 77;
	struct kt_timerfd good = {.fd = 60, .clock = CLOCK_MONOTONIC};
	struct kt_timerfd bad = {.fd = 1 << 30, .clock = CLOCK_MONOTONIC};
	cr_assert_eq(kt_snapshot_add_timerfd(snap, &good), 0);
	cr_assert_eq(kt_snapshot_add_timerfd(snap, &bad), 0);
	cr_assert_eq(kt_snapshot_finish(snap, &serr), 0);

	create_at(5, CLOCK_REALTIME, SIGEV_NONE, 0, 0, 0);
	cr_assert_geq(ktt_proc_timers(before, sizeof(before)), 0);
	cr_expect_lt(kt_restore_self(snap, &opts), 0);
	cr_expect_not_null(strstr(msg, "timerfd 1073741824"), "%s", msg);
	cr_assert_geq(ktt_proc_timers(after, sizeof(after)), 0);
	cr_expect_str_eq(after, before);
	cr_expect_eq(fcntl(60, F_GETFD), -1, "timerfd 60 left open");
	cr_assert_eq(getitimer(ITIMER_REAL, &iv), 0);
	cr_expect_eq(iv.it_value.tv_sec, 0, "itimer left set");
	kt_snapshot_free(snap);
}

Test(restore, thread_id_target_that_is_gone, .timeout = 30)
{
	struct kt_snapshot *snap = kt_snapshot_new();
	struct kt_snap_error serr;
	char msg[256];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	struct kt_posix_timer t = {.id = 9,
				   .clock = CLOCK_MONOTONIC,
				   .notify = SIGEV_SIGNAL | SIGEV_THREAD_ID,
				   .notify_tid = KTT_TID_NONEXISTENT,
				   .signo = SIGRTMIN};

	cr_assert_eq(kt_snapshot_add_timer(snap, &t), 0);
	cr_assert_eq(kt_snapshot_finish(snap, &serr), 0);
	cr_expect_eq(kt_restore_self(snap, &opts), -ESRCH);
	cr_expect_not_null(strstr(msg, "not a thread of this process"), "%s",
			   msg);
	cr_expect_eq(ktt_timer_exists(9), 0);
	kt_snapshot_free(snap);
}

Test(restore, pending_periodic_signal_keeps_behaviour, .timeout = 30)
{
	int sig = SIGRTMIN + 3;
	struct kt_snapshot *snap;
	siginfo_t si;
	sigset_t set;
	struct timespec wait = {1, 0};

	ktt_require_restore_ids();
	sigemptyset(&set);
	sigaddset(&set, sig);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	create_at(21, CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0xabc, 0);
	arm(21, 10000000, 10000000);
	usleep(35000); /* expired three times: one signal pending */
	snap = capture();
	const struct kt_posix_timer *t = kt_snapshot_posix_timer(snap, 0);
	cr_expect_gt(ns(&t->value), 0);
	cr_expect_leq(ns(&t->value), 10000000);
	cr_expect_eq(ns(&t->interval), 10000000);
	clear(snap); /* 6.13+: the pending signal is dropped with the timer */
	restore(snap);
	/* The restored timer signals again within one period, as itself. */
	cr_assert_eq(sigtimedwait(&set, &si, &wait), sig, "no signal: %s",
		     strerror(errno));
	cr_expect_eq(si.si_code, SI_TIMER);
	cr_expect_eq(si.si_timerid, 21);
	cr_expect_eq((uint64_t)(uintptr_t)si.si_value.sival_ptr, 0xabc);
	/* and keeps its period */
	cr_assert_eq(sigtimedwait(&set, &si, &wait), sig);
	cr_expect_eq(si.si_timerid, 21);
	kt_snapshot_free(snap);
}

Test(restore, keep_absolute_wall_clock_deadlines, .timeout = 30)
{
	struct kt_snapshot *snap = kt_snapshot_new(), *got;
	struct kt_snap_error serr;
	char msg[256];
	KT_OPTS(kt_restore_opts, opts, .flags = KT_RESTORE_KEEP_ABSOLUTE,
		.err_buf = msg, .err_len = sizeof(msg));
	struct kt_posix_timer rt = {.id = 1,
				    .clock = CLOCK_REALTIME,
				    .notify = SIGEV_NONE,
				    .value = {10, 0}};
	struct kt_posix_timer mono = rt, passed = rt;
	int64_t now;

	ktt_require_restore_ids();
	mono.id = 2;
	mono.clock = CLOCK_MONOTONIC;
	/* periodic, 3 s period, deadline 4 s ago at restore */
	passed.id = 3;
	passed.value = (struct timespec){2, 0};
	passed.interval = (struct timespec){3, 0};
	cr_assert_eq(kt_snapshot_add_timer(snap, &rt), 0);
	cr_assert_eq(kt_snapshot_add_timer(snap, &mono), 0);
	cr_assert_eq(kt_snapshot_add_timer(snap, &passed), 0);
	/* Captured "6 s ago" on the wall clock. */
	now = clock_ns(CLOCK_REALTIME);
	snap->clocks[KT_SNAP_REALTIME].tv_sec = (time_t)(now / SEC) - 6;
	snap->clocks[KT_SNAP_REALTIME].tv_nsec = (long)(now % SEC);
	cr_assert_eq(kt_snapshot_finish(snap, &serr), 0);
	cr_assert_eq(kt_restore_self(snap, &opts), 0, "%s", msg);
	got = capture();
	int64_t r1 = ns(&kt_snapshot_posix_timer(got, 0)->value);
	int64_t r2 = ns(&kt_snapshot_posix_timer(got, 1)->value);
	int64_t r3 = ns(&kt_snapshot_posix_timer(got, 2)->value);
	/* 10 s - 6 s away = about 4 s; the monotonic one keeps its 10 s;
	 * the periodic one: deadline 4 s ago, next period 3 s - 1 s = 2 s. */
	cr_expect(r1 > 3 * SEC && r1 <= 4 * SEC, "realtime: %lld",
		  (long long)r1);
	cr_expect(r2 > 9 * SEC && r2 <= 10 * SEC, "monotonic: %lld",
		  (long long)r2);
	cr_expect(r3 > 1 * SEC && r3 <= 2 * SEC, "periodic: %lld",
		  (long long)r3);
	kt_snapshot_free(snap);
	kt_snapshot_free(got);
}

Test(restore, restore_ids_flag_is_put_as_captured, .timeout = 30)
{
	struct kt_snapshot *snap;

	ktt_require_restore_ids();
	cr_assert_eq(ktt_restore_ids_set(1), 0);
	snap = capture();
	cr_expect_eq(kt_snapshot_restore_ids_flag(snap), 1);
	cr_assert_eq(ktt_restore_ids_set(0), 0);
	restore(snap);
	cr_expect_eq(ktt_restore_ids_get(), 1);
	cr_assert_eq(ktt_restore_ids_set(0), 0);
	kt_snapshot_free(snap);
}

Test(capture, alarm_clock_timers, .timeout = 30)
{
	int id = 0;
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	int err = ktt_timer_create(CLOCK_REALTIME_ALARM, &sev, &id);

	if (err == -EOPNOTSUPP || err == -EPERM)
		cr_skip_test("alarm timers need an RTC and CAP_WAKE_ALARM: "
			     "timer_create(CLOCK_REALTIME_ALARM) gave %s",
			     strerror(-err));
	cr_assert_eq(err, 0);
	arm(id, 100 * SEC, 0);
	struct kt_snapshot *snap = capture();
	cr_expect_eq(kt_snapshot_posix_timer(snap, 0)->clock,
		     CLOCK_REALTIME_ALARM);
	kt_snapshot_free(snap);
}

Test(capture, nothing_to_capture, .timeout = 30)
{
	struct kt_snapshot *snap = capture();

	cr_expect_eq(kt_snapshot_posix_timer_count(snap), 0);
	cr_expect_eq(kt_snapshot_timerfd_count(snap), 0);
	cr_expect_eq(kt_snapshot_itimer(snap, ITIMER_REAL)->value.tv_sec, 0);
	kt_snapshot_free(snap);
}

/*
 * A timerfd recorded as due now (1 ns) keeps the expiry it is due for:
 * restored naively it would expire between timerfd_settime and
 * TFD_IOC_SET_TICKS, and the ioctl would overwrite the tick. Its ticks are
 * read back well within one period of the restore, so exactly one more
 * than recorded is right, and the next expiry is a period away.
 */
Test(restore, timerfd_due_now_keeps_its_expiry, .timeout = 30)
{
	enum { FD = 61, TICKS = 5 };
	const int64_t period = 200000000; /* 200 ms */
	struct kt_snapshot *snap = kt_snapshot_new();
	struct kt_timerfd t = {.fd = FD,
			       .clock = CLOCK_MONOTONIC,
			       .fd_flags = TFD_NONBLOCK,
			       .value = {0, 1},
			       .interval = {0, period},
			       .ticks = TICKS};
	struct kt_snap_error serr;
	struct itimerspec cur;
	int64_t t0, t1;
	uint64_t n = 0;

	cr_assert_not_null(snap);
	cr_assert_eq(kt_snapshot_add_timerfd(snap, &t), 0);
	cr_assert_eq(kt_snapshot_finish(snap, &serr), 0);
	t0 = clock_ns(CLOCK_MONOTONIC);
	cr_assert_eq(kt_restore_self(snap, NULL), 0);
	cr_assert_eq(read(FD, &n, sizeof(n)), (ssize_t)sizeof(n));
	cr_assert_eq(timerfd_gettime(FD, &cur), 0);
	t1 = clock_ns(CLOCK_MONOTONIC);
	if (t1 - t0 < period)
		cr_expect_eq(n, TICKS + 1,
			     "%llu ticks read after the restore, %d recorded "
			     "and one due",
			     (unsigned long long)n, TICKS);
	else
		cr_expect_geq(n, TICKS + 1);
	cr_expect(ns(&cur.it_value) > 0 && ns(&cur.it_value) <= period,
		  "next expiry %lld ns away, period %lld",
		  (long long)ns(&cur.it_value), (long long)period);
	close(FD);
	kt_snapshot_free(snap);
}

/* The consistency rule of a timerfd's two readings around its fdinfo. */
Test(capture, timerfd_expiry_between_two_readings, .timeout = 10)
{
	const int64_t ms = 1000000;

	/* No expiry: a periodic one reads what it read, minus the time. */
	cr_expect(
		!kt_timerfd_expired_between(10 * ms, 5 * ms, 5 * ms, 50 * ms));
	cr_expect(!kt_timerfd_expired_between(10 * ms, 10 * ms, 0, 50 * ms));
	/* One expiry, the readings close: the time went up. */
	cr_expect(kt_timerfd_expired_between(1 * ms, 49 * ms, 2 * ms, 50 * ms));
	/* One expiry, the readings more than a period apart: the time went
	 * down, which comparing the two alone took for no expiry. */
	cr_expect(
		kt_timerfd_expired_between(10 * ms, 5 * ms, 55 * ms, 50 * ms));
	/* Due again at the first reading, forwarded by the second. */
	cr_expect(kt_timerfd_expired_between(0, 49 * ms, 1 * ms, 50 * ms));
	/* A one-shot: expired when it went to 0, else not. */
	cr_expect(kt_timerfd_expired_between(10 * ms, 0, 10 * ms, 0));
	cr_expect(!kt_timerfd_expired_between(10 * ms, 3 * ms, 7 * ms, 0));
	cr_expect(!kt_timerfd_expired_between(0, 0, 7 * ms, 0));
}
