/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The snapshot case: capture, save, load and restore of many POSIX timers
 * at sparse IDs in one process, each step timed on its own.
 *
 * Set up, untimed: n POSIX timers at IDs i * 1000 + 7 (kt_timers_create,
 * explicit path) in a realistic mix: CLOCK_MONOTONIC, CLOCK_REALTIME and
 * CLOCK_BOOTTIME in turn, SIGEV_SIGNAL with a blocked real-time signal or
 * SIGEV_NONE, a distinct 64-bit value each, all armed 100 to 200 s ahead
 * (most periodic), so that nothing fires during the run; two timerfds and
 * ITIMER_REAL, armed as far ahead.
 *
 * Timed: (1) kt_capture_self, (2) kt_snapshot_save to a memfd, (3)
 * kt_snapshot_load from it. Untimed: every POSIX timer deleted, the
 * timerfds closed, ITIMER_REAL disarmed. Timed: (4) kt_restore_self of the
 * loaded snapshot, on the explicit path. Untimed at the end: a second
 * capture must find exactly what was set up, or the sample fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"

#define SNAP_VALUE_S	100 /* POSIX timers: 100 s to 200 s ahead */
#define SNAP_INTERVAL_S 50  /* the period of the periodic ones */
#define SNAP_ITIMER_S	300 /* ITIMER_REAL, 60 s period */
#define SNAP_ITIMER_INT 60

static const clockid_t snap_clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					CLOCK_BOOTTIME};

/* The two timerfds: clock, creation flags, settime flags, value, period. */
static const struct {
	clockid_t clock;
	int fd_flags;
	int settime_flags;
	time_t value_s, interval_s;
} snap_tfds[BENCH_SNAPSHOT_TIMERFDS] = {
	{CLOCK_MONOTONIC, TFD_CLOEXEC, 0, 150, 30},
	{CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC, TFD_TIMER_ABSTIME, 250, 0},
};

/* What the child holds; everything untimed works on it. */
struct snap_run {
	unsigned n;
	int signo;			  /* SIGRTMIN + 1, blocked */
	struct kt_timer_spec *specs;	  /* in ID order */
	int tfd[BENCH_SNAPSHOT_TIMERFDS]; /* descriptors, in creation order */
};

static uint64_t snap_sigval(unsigned i, int id)
{
	/* All 64 bits used, distinct for every timer. */
	return (uint64_t)(i + 1) << 32 | (uint32_t)id;
}

static struct timespec snap_value(unsigned i)
{
	return (struct timespec){SNAP_VALUE_S + (time_t)(i % 100),
				 (long)(i % 1000) * 1000};
}

static struct timespec snap_interval(unsigned i)
{
	/* Every fifth timer is a one-shot. */
	return (struct timespec){i % 5 == 4 ? 0 : SNAP_INTERVAL_S, 0};
}

static void set_specs(struct snap_run *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		struct kt_timer_spec *s = &r->specs[i];
		int id = BENCH_SPARSE_FIRST + (int)i * BENCH_SPARSE_STRIDE;

		memset(s, 0, sizeof(*s));
		s->id = id;
		s->clock = snap_clocks[i % 3];
		s->sev.sigev_notify = i % 2 ? SIGEV_NONE : SIGEV_SIGNAL;
		s->sev.sigev_signo = r->signo;
		s->sev.sigev_value.sival_ptr =
			(void *)(uintptr_t)snap_sigval(i, id);
	}
}

static int create_timers(struct snap_run *r, struct bench_sample *out)
{
	struct kt_create_report rep = {0};
	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_EXPLICIT, .report = &rep);
	int err = kt_timers_create(r->specs, r->n, &opts);

	if (err < 0) {
		char msg[sizeof(out->msg) - 32];

		(void)kt_create_report_format(&rep, msg, sizeof(msg));
		bench_msg(out, "setting up the timers: %s", msg);
		return err;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct itimerspec its = {.it_value = snap_value(i),
					 .it_interval = snap_interval(i)};

		if (syscall(SYS_timer_settime, r->specs[i].id, 0, &its, NULL) <
		    0) {
			err = -errno;
			bench_msg(out, "timer_settime(%d): %s", r->specs[i].id,
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

static int create_timerfds(struct snap_run *r, struct bench_sample *out)
{
	for (int i = 0; i < BENCH_SNAPSHOT_TIMERFDS; i++) {
		struct itimerspec its = {
			.it_value = {snap_tfds[i].value_s, 0},
			.it_interval = {snap_tfds[i].interval_s, 0},
		};
		int err;

		if (snap_tfds[i].settime_flags & TFD_TIMER_ABSTIME) {
			struct timespec now;

			if (clock_gettime(snap_tfds[i].clock, &now) < 0) {
				err = -errno;
				bench_msg(out, "clock_gettime: %s",
					  strerror(-err));
				return err;
			}
			its.it_value.tv_sec += now.tv_sec;
			its.it_value.tv_nsec = now.tv_nsec;
		}
		r->tfd[i] = timerfd_create(snap_tfds[i].clock,
					   snap_tfds[i].fd_flags);
		if (r->tfd[i] < 0) {
			err = -errno;
			bench_msg(out, "timerfd_create: %s", strerror(-err));
			return err;
		}
		if (timerfd_settime(r->tfd[i], snap_tfds[i].settime_flags, &its,
				    NULL) < 0) {
			err = -errno;
			bench_msg(out, "timerfd_settime(%d): %s", r->tfd[i],
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

static int set_itimer(bool arm, struct bench_sample *out)
{
	struct itimerval v = {{0, 0}, {0, 0}};
	int err;

	if (arm)
		v = (struct itimerval){.it_value = {SNAP_ITIMER_S, 0},
				       .it_interval = {SNAP_ITIMER_INT, 0}};
	if (setitimer(ITIMER_REAL, &v, NULL) < 0) {
		err = -errno;
		bench_msg(out, "setitimer(ITIMER_REAL): %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Between load and restore: the process loses every timer it had. */
static int tear_down(struct snap_run *r, struct bench_sample *out)
{
	int err;

	for (unsigned i = 0; i < r->n; i++) {
		if (syscall(SYS_timer_delete, r->specs[i].id) < 0) {
			err = -errno;
			bench_msg(out, "timer_delete(%d): %s", r->specs[i].id,
				  strerror(-err));
			return err;
		}
	}
	for (int i = 0; i < BENCH_SNAPSHOT_TIMERFDS; i++) {
		int fd = r->tfd[i];

		if (close(fd) < 0) {
			err = -errno;
			bench_msg(out, "close(%d): %s", fd, strerror(-err));
			return err;
		}
	}
	return set_itimer(false, out);
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool ts_zero(const struct timespec *a)
{
	return a->tv_sec == 0 && a->tv_nsec == 0;
}

/* The restored POSIX timers: exactly the set-up ones, as set up. */
static int check_posix_timers(const struct snap_run *r,
			      const struct kt_snapshot *snap,
			      struct bench_sample *out)
{
	size_t count = kt_snapshot_posix_timer_count(snap);

	if (count != r->n) {
		bench_msg(out,
			  "after the restore the process has %zu POSIX "
			  "timers, not %u",
			  count, r->n);
		return -EPROTO;
	}
	for (unsigned i = 0; i < r->n; i++) {
		const struct kt_posix_timer *t =
			kt_snapshot_posix_timer(snap, i);
		const struct kt_timer_spec *s = &r->specs[i];
		struct timespec iv = snap_interval(i);
		const char *what = NULL;

		if (t->id != s->id) {
			bench_msg(out,
				  "after the restore, POSIX timer #%u has ID "
				  "%d, not %d",
				  i, t->id, s->id);
			return -EPROTO;
		}
		if (t->clock != s->clock)
			what = "clock";
		else if (t->notify != s->sev.sigev_notify)
			what = "notify";
		else if (t->notify == SIGEV_SIGNAL && t->signo != r->signo)
			what = "signal";
		else if (t->sigval !=
			 (uint64_t)(uintptr_t)s->sev.sigev_value.sival_ptr)
			what = "signal value";
		else if (ts_zero(&t->value))
			what = "remaining time (disarmed)";
		else if (!ts_eq(&t->interval, &iv))
			what = "interval";
		if (what) {
			bench_msg(out,
				  "after the restore, POSIX timer %d has the "
				  "wrong %s",
				  t->id, what);
			return -EPROTO;
		}
	}
	return 0;
}

static int check_others(const struct snap_run *r,
			const struct kt_snapshot *snap,
			struct bench_sample *out)
{
	const struct kt_itimer *it = kt_snapshot_itimer(snap, ITIMER_REAL);
	size_t count = kt_snapshot_timerfd_count(snap);

	if (count != BENCH_SNAPSHOT_TIMERFDS) {
		bench_msg(out,
			  "after the restore the process has %zu timerfds, "
			  "not %d",
			  count, BENCH_SNAPSHOT_TIMERFDS);
		return -EPROTO;
	}
	for (size_t i = 0; i < count; i++) {
		const struct kt_timerfd *t = kt_snapshot_timerfd(snap, i);
		bool ours = false;

		for (int k = 0; k < BENCH_SNAPSHOT_TIMERFDS; k++)
			ours = ours || (t->fd == r->tfd[k] &&
					t->clock == snap_tfds[k].clock);
		if (!ours) {
			bench_msg(out,
				  "after the restore timerfd %d (clock %d) is "
				  "not one of those set up",
				  t->fd, (int)t->clock);
			return -EPROTO;
		}
		if (ts_zero(&t->value)) {
			bench_msg(out,
				  "after the restore timerfd %d is "
				  "disarmed",
				  t->fd);
			return -EPROTO;
		}
	}
	if (!it || it->value.tv_sec == 0 ||
	    it->interval.tv_sec != SNAP_ITIMER_INT) {
		bench_msg(out, "after the restore ITIMER_REAL is not as set");
		return -EPROTO;
	}
	return 0;
}

/* Untimed: capture again and compare with what was set up. */
static int verify(const struct snap_run *r, struct bench_sample *out)
{
	char why[160] = "";
	KT_OPTS(kt_capture_opts, opts, .err_buf = why, .err_len = sizeof(why));
	struct kt_snapshot *snap = NULL;
	int err = kt_capture_self(&snap, &opts);

	if (err < 0) {
		bench_msg(out, "capture after the restore: %s",
			  why[0] ? why : strerror(-err));
		return err;
	}
	err = check_posix_timers(r, snap, out);
	if (err >= 0)
		err = check_others(r, snap, out);
	kt_snapshot_free(snap);
	return err;
}

/* The time since *start into *ret, and the clock restarted. */
static int lap(uint64_t *start, uint64_t *ret, struct bench_sample *out)
{
	uint64_t end = 0;
	int err = bench_now_ns(&end);

	if (err < 0) {
		bench_msg(out, "clock_gettime: %s", strerror(-err));
		return err;
	}
	*ret = end - *start;
	*start = end;
	return 0;
}

static int start(uint64_t *t, struct bench_sample *out)
{
	int err = bench_now_ns(t);

	if (err < 0)
		bench_msg(out, "clock_gettime: %s", strerror(-err));
	return err;
}

/* Steps 1 to 3: capture, save, load. *ret_loaded on success. */
static int capture_save_load(struct bench_sample *out,
			     struct kt_snapshot **ret_loaded)
{
	char why[200] = "";
	KT_OPTS(kt_capture_opts, copts, .err_buf = why, .err_len = sizeof(why));
	KT_OPTS(kt_load_opts, lopts, .err_buf = why, .err_len = sizeof(why));
	struct kt_snapshot *snap = NULL;
	uint64_t t = 0;
	off_t size;
	int fd, err;

	fd = memfd_create("keeptime-bench-image", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		bench_msg(out, "memfd_create: %s", strerror(-err));
		return err;
	}

	err = start(&t, out);
	if (err < 0)
		goto out_close;
	err = kt_capture_self(&snap, &copts);
	if (err < 0) {
		bench_msg(out, "kt_capture_self: %s",
			  why[0] ? why : strerror(-err));
		goto out_close;
	}
	err = lap(&t, &out->step_ns[BENCH_SNAP_CAPTURE], out);
	if (err < 0)
		goto out_free;

	err = kt_snapshot_save(snap, fd);
	if (err < 0) {
		bench_msg(out, "kt_snapshot_save to a memfd: %s",
			  strerror(-err));
		goto out_free;
	}
	err = lap(&t, &out->step_ns[BENCH_SNAP_SAVE], out);
	if (err < 0)
		goto out_free;

	size = lseek(fd, 0, SEEK_CUR);
	if (size <= 0 || lseek(fd, 0, SEEK_SET) < 0) {
		err = size == 0 ? -ENODATA : -errno;
		bench_msg(out, "lseek on the image: %s",
			  size == 0 ? "the image is empty" : strerror(-err));
		goto out_free;
	}
	out->bytes = (uint64_t)size;

	err = start(&t, out);
	if (err < 0)
		goto out_free;
	err = kt_snapshot_load(fd, ret_loaded, &lopts);
	if (err < 0) {
		bench_msg(out, "kt_snapshot_load: %s",
			  why[0] ? why : strerror(-err));
		goto out_free;
	}
	err = lap(&t, &out->step_ns[BENCH_SNAP_LOAD], out);
	if (err < 0) {
		kt_snapshot_free(*ret_loaded);
		*ret_loaded = NULL;
	}

out_free:
	kt_snapshot_free(snap);
out_close:
	if (close(fd) < 0 && err >= 0) {
		err = -errno;
		bench_msg(out, "close of the memfd: %s", strerror(-err));
		kt_snapshot_free(*ret_loaded);
		*ret_loaded = NULL;
	}
	return err;
}

/* Step 4: restore, at exact IDs, what was loaded. */
static int restore(const struct kt_snapshot *snap, struct bench_sample *out)
{
	char why[200] = "";
	KT_OPTS(kt_create_opts, ids, .path = KT_PATH_EXPLICIT);
	KT_OPTS(kt_restore_opts, opts, .ids = &ids, .err_buf = why,
		.err_len = sizeof(why));
	uint64_t t = 0;
	int err;

	err = start(&t, out);
	if (err < 0)
		return err;
	err = kt_restore_self(snap, &opts);
	if (err < 0) {
		bench_msg(out, "kt_restore_self: %s",
			  why[0] ? why : strerror(-err));
		return err;
	}
	return lap(&t, &out->step_ns[BENCH_SNAP_RESTORE], out);
}

static int run(struct snap_run *r, struct bench_sample *out)
{
	struct kt_snapshot *loaded = NULL;
	int err;

	err = bench_warm_up(KT_PATH_EXPLICIT, out);
	if (err >= 0)
		err = bench_block_signals(r->signo, out);
	if (err >= 0)
		err = create_timers(r, out);
	if (err >= 0)
		err = create_timerfds(r, out);
	if (err >= 0)
		err = set_itimer(true, out);
	if (err < 0)
		return err;

	err = capture_save_load(out, &loaded);
	if (err < 0)
		return err;
	if (kt_snapshot_posix_timer_count(loaded) != r->n) {
		bench_msg(out,
			  "the loaded image holds %zu POSIX timers, not %u",
			  kt_snapshot_posix_timer_count(loaded), r->n);
		err = -EPROTO;
	}
	if (err >= 0)
		err = tear_down(r, out);
	if (err >= 0)
		err = restore(loaded, out);
	kt_snapshot_free(loaded);
	if (err < 0)
		return err;

	err = verify(r, out);
	if (err < 0)
		return err;
	out->count = r->n;
	out->ns = 0;
	for (int i = 0; i < BENCH_SNAP_STEPS; i++)
		out->ns += out->step_ns[i];
	return 0;
}

int bench_snapshot(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	struct snap_run r = {.n = c->n, .signo = SIGRTMIN + 1};
	int err;

	if (r.signo > SIGRTMAX) {
		bench_msg(out, "no real-time signal free for the timers");
		return -ENOSYS;
	}
	r.specs = calloc(r.n, sizeof(*r.specs));
	if (!r.specs) {
		bench_msg(out, "out of memory for %u timer specs", r.n);
		return -ENOMEM;
	}
	set_specs(&r);
	err = run(&r, out);
	/* The child exits next: its timers and descriptors die with it. */
	free(r.specs);
	return err;
}
