/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a snapshot into the calling process, all or nothing.
 *
 * Order: check what can be checked without changing anything; create the
 * POSIX timers (exact IDs, disarmed) and the timerfds (at their numbers,
 * disarmed); then arm everything in one pass at the end, so that remaining
 * times start as late as possible; put the flag last. Any failure undoes
 * what was done, newest first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../core/ktc.h"
#include "snapshot.h"

/* TFD_IOC_SET_TICKS exists only with CONFIG_CHECKPOINT_RESTORE. */
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

#define NSEC_PER_SEC 1000000000LL

struct restore {
	const struct kt_snapshot *snap;
	unsigned flags;
	char *err_buf;
	size_t err_len;
	/* What was done, for the undo. */
	bool timers_created;
	size_t timerfds_created;
	bool itimers_saved;
	struct itimerval old_itimers[3];
	int old_flag; /* -1: not changed */
};

#define FAIL(r, err, ...)                                                      \
	kt_fail_msg((r)->err_buf, (r)->err_len, err, __VA_ARGS__)

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){(time_t)(ns / NSEC_PER_SEC),
				 (long)(ns % NSEC_PER_SEC)};
}

/* ------------------------------------------------------------------ */
/* Checks before anything changes                                      */

static int check_thread(struct restore *r, const struct kt_posix_timer *t)
{
	char path[64];

	if (!(t->notify & SIGEV_THREAD_ID))
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/self/task/%d",
		       (int)t->notify_tid);
	if (access(path, F_OK) == 0)
		return 0;
	return FAIL(r, -ESRCH,
		    "POSIX timer %d: its SIGEV_THREAD_ID target %d is not a "
		    "thread of this process",
		    t->id, (int)t->notify_tid);
}

static int check_fd_free(struct restore *r, int fd)
{
	if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
		return 0;
	return FAIL(r, -EBUSY,
		    "timerfd %d: descriptor %d is already in use in this "
		    "process",
		    fd, fd);
}

static int check(struct restore *r)
{
	const struct kt_snapshot *s = r->snap;
	int err = 0;

	for (size_t i = 0; i < s->n_timers && !err; i++)
		err = check_thread(r, &s->timers[i]);
	for (size_t i = 0; i < s->n_timerfds && !err; i++)
		err = check_fd_free(r, s->timerfds[i].fd);
	return err;
}

/* ------------------------------------------------------------------ */
/* Creating                                                             */

static int create_posix_timers(struct restore *r,
			       const struct kt_create_opts *ids)
{
	const struct kt_snapshot *s = r->snap;
	struct kt_create_report rep, *user_rep = KT_OPT_GET(ids, report, NULL);
	struct kt_create_opts opts = {.sz = sizeof(opts)};
	struct kt_timer_spec *specs;
	int err;

	if (s->n_timers == 0)
		return 0;
	if (ids) {
		if (!kt_opts_valid(ids, sizeof(*ids)))
			return FAIL(r, -EINVAL, "invalid kt_create_opts");
		memcpy(&opts, ids,
		       ids->sz < sizeof(opts) ? ids->sz : sizeof(opts));
		opts.sz = sizeof(opts);
	}
	opts.report = &rep;
	specs = calloc(s->n_timers, sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_timers; i++) {
		const struct kt_posix_timer *t = &s->timers[i];

		specs[i].id = t->id;
		specs[i].clock = t->clock;
		specs[i].sev.sigev_notify = t->notify;
		specs[i].sev.sigev_signo = t->signo;
		/* All 64 bits of the value, as the kernel keeps them. */
		memcpy(&specs[i].sev.sigev_value, &t->sigval,
		       sizeof(t->sigval));
		KT_SIGEV_TID(&specs[i].sev) = t->notify_tid;
	}
	err = kt_timers_create(specs, s->n_timers, &opts);
	free(specs);
	if (user_rep)
		*user_rep = rep;
	if (err < 0) {
		char msg[256];

		(void)kt_create_report_format(&rep, msg, sizeof(msg));
		return FAIL(r, err, "POSIX timers: %s", msg);
	}
	r->timers_created = true;
	return 0;
}

static int create_timerfd(struct restore *r, const struct kt_timerfd *t)
{
	int fd = timerfd_create(t->clock, t->fd_flags);

	if (fd < 0)
		return FAIL(r, -errno,
			    "timerfd %d: timerfd_create(clock %d): %s", t->fd,
			    t->clock, strerrordesc_np(errno));
	if (fd != t->fd) {
		/* The number was checked free; dup3 takes it. */
		int got = dup3(fd, t->fd, t->fd_flags & TFD_CLOEXEC);
		int saved = errno;

		(void)close(fd); /* a fresh timerfd: nothing to lose */
		if (got < 0)
			return FAIL(r, -saved, "timerfd %d: dup3: %s", t->fd,
				    strerrordesc_np(saved));
	}
	return 0;
}

static int create_timerfds(struct restore *r)
{
	for (size_t i = 0; i < r->snap->n_timerfds; i++) {
		int err = create_timerfd(r, &r->snap->timerfds[i]);

		if (err < 0)
			return err;
		r->timerfds_created = i + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Arming                                                               */

static bool keeps_absolute(const struct restore *r, clockid_t clock)
{
	return (r->flags & KT_RESTORE_KEEP_ABSOLUTE) &&
	       (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM ||
		clock == CLOCK_TAI);
}

/*
 * The remaining time to arm with. By default the captured one. With
 * KT_RESTORE_KEEP_ABSOLUTE on a wall clock, the captured deadline: the time
 * the clock moved since capture is taken off; a deadline passed fires now
 * (1 ns), or for a periodic timer at its next period still ahead.
 */
static struct timespec remaining(struct restore *r, const char *what, int id,
				 clockid_t clock, const struct timespec *value,
				 const struct timespec *interval)
{
	enum kt_snap_clock base =
		clock == CLOCK_TAI ? KT_SNAP_TAI : KT_SNAP_REALTIME;
	struct timespec now;
	int64_t left, period = ts_ns(interval);

	if (!keeps_absolute(r, clock) || ts_ns(value) == 0)
		return *value;
	/* REALTIME and TAI cannot fail */
	(void)clock_gettime(kt_snap_clock_ids[base], &now);
	left = ts_ns(value) - (ts_ns(&now) - ts_ns(&r->snap->clocks[base]));
	if (left > 0)
		return ns_ts(left);
	if (period == 0) {
		kt_log(KT_LOG_INFO,
		       "%s %d: its deadline passed %lld ns ago: fires at once",
		       what, id, (long long)-left);
		return ns_ts(1);
	}
	int64_t missed = -left / period + 1;

	kt_log(KT_LOG_WARN,
	       "%s %d: %lld period(s) passed while away: they are not counted "
	       "as overruns",
	       what, id, (long long)missed);
	return ns_ts(left + missed * period);
}

static int arm_posix_timers(struct restore *r)
{
	for (size_t i = 0; i < r->snap->n_timers; i++) {
		const struct kt_posix_timer *t = &r->snap->timers[i];
		struct itimerspec its = {
			.it_interval = t->interval,
			.it_value = remaining(r, "POSIX timer", t->id, t->clock,
					      &t->value, &t->interval),
		};

		/* Also when disarmed: kernels before 6.13 keep (and report)
		 * the interval of a disarmed timer. */
		if (syscall(SYS_timer_settime, t->id, 0, &its, NULL) < 0)
			return FAIL(r, -errno,
				    "POSIX timer %d: timer_settime: %s", t->id,
				    strerrordesc_np(errno));
		if (t->clock == -2) /* THREAD_CLOCK: "the creating thread" */
			kt_log(KT_LOG_INFO,
			       "POSIX timer %d: thread CPU clock of the thread "
			       "that restored it (the kernel does not tell "
			       "which thread created it)",
			       t->id);
		if (t->overrun > 0)
			kt_log(KT_LOG_INFO,
			       "POSIX timer %d: overrun %d of its last signal "
			       "cannot be restored (the kernel resets it)",
			       t->id, t->overrun);
	}
	return 0;
}

static int arm_timerfds(struct restore *r)
{
	for (size_t i = 0; i < r->snap->n_timerfds; i++) {
		const struct kt_timerfd *t = &r->snap->timerfds[i];
		struct itimerspec its = {
			.it_interval = t->interval,
			.it_value = remaining(r, "timerfd", t->fd, t->clock,
					      &t->value, &t->interval),
		};

		if ((t->settime_flags & TFD_TIMER_ABSTIME) &&
		    ts_ns(&its.it_value) != 0) {
			/* The kernel wants a deadline on the timer's clock. */
			struct timespec now;
			clockid_t base = t->clock == CLOCK_REALTIME_ALARM
						 ? CLOCK_REALTIME
					 : t->clock == CLOCK_BOOTTIME_ALARM
						 ? CLOCK_BOOTTIME
						 : t->clock;

			if (clock_gettime(base, &now) < 0)
				return FAIL(r, -errno,
					    "timerfd %d: clock_gettime: %s",
					    t->fd, strerrordesc_np(errno));
			its.it_value =
				ns_ts(ts_ns(&now) + ts_ns(&its.it_value));
		}
		if (timerfd_settime(t->fd, t->settime_flags, &its, NULL) < 0)
			return FAIL(r, -errno,
				    "timerfd %d: timerfd_settime: %s", t->fd,
				    strerrordesc_np(errno));
		/* After settime, which clears them; 0 is refused (EINVAL). */
		if (t->ticks > 0 &&
		    ioctl(t->fd, TFD_IOC_SET_TICKS, &t->ticks) < 0)
			return FAIL(r, -errno,
				    "timerfd %d: TFD_IOC_SET_TICKS %llu: %s%s",
				    t->fd, (unsigned long long)t->ticks,
				    strerrordesc_np(errno),
				    errno == ENOTTY
					    ? " (the kernel needs "
					      "CONFIG_CHECKPOINT_RESTORE)"
					    : "");
	}
	return 0;
}

/*
 * Linux adds one tick to every ITIMER_VIRTUAL and ITIMER_PROF value it is
 * given (kernel/time/itimer.c, set_cpu_itimer: "nval += TICK_NSEC"), so
 * that a tiny value does not expire at once. A captured value already
 * holds that tick: set again, it would gain another at every restore.
 * Userspace cannot read HZ, so measure the tick: set 1 s, read it back.
 * (The reading is truncated to microseconds: the tick found is at most
 * 1 us short.)
 */
static int cpu_itimer_tick(struct restore *r, int64_t *ret_tick)
{
	struct itimerval probe = {.it_value = {1, 0}}, got;

	if (setitimer(ITIMER_PROF, &probe, NULL) < 0 ||
	    getitimer(ITIMER_PROF, &got) < 0)
		return FAIL(r, -errno, "measuring the CPU itimer tick: %s",
			    strerrordesc_np(errno));
	*ret_tick = (int64_t)got.it_value.tv_sec * NSEC_PER_SEC +
		    (int64_t)got.it_value.tv_usec * 1000 - NSEC_PER_SEC;
	if (*ret_tick < 0)
		*ret_tick = 0;
	return 0;
}

static int arm_itimers(struct restore *r)
{
	int64_t tick = -1;

	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		if (getitimer(w, &r->old_itimers[w]) < 0)
			return FAIL(r, -errno, "getitimer(%d): %s", w,
				    strerrordesc_np(errno));
	}
	r->itimers_saved = true;
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		const struct kt_itimer *it = &r->snap->itimers[w];
		struct itimerval v = {.it_interval = it->interval,
				      .it_value = it->value};
		int64_t value = (int64_t)it->value.tv_sec * NSEC_PER_SEC +
				(int64_t)it->value.tv_usec * 1000;

		if (w != ITIMER_REAL && value > 0) {
			if (tick < 0) {
				int err = cpu_itimer_tick(r, &tick);

				if (err < 0)
					return err;
			}
			if (value - tick < 1000) {
				kt_log(KT_LOG_INFO,
				       "itimer %d: %lld ns left, less than the "
				       "kernel's minimum of one tick (%lld "
				       "ns): it expires that much later",
				       w, (long long)value, (long long)tick);
				value = 1000;
			} else {
				value -= tick;
			}
			v.it_value.tv_sec = (time_t)(value / NSEC_PER_SEC);
			v.it_value.tv_usec =
				(suseconds_t)(value % NSEC_PER_SEC / 1000);
		}
		if (setitimer(w, &v, NULL) < 0)
			return FAIL(r, -errno, "setitimer(%d): %s", w,
				    strerrordesc_np(errno));
	}
	return 0;
}

static int put_flag(struct restore *r)
{
	int want = r->snap->restore_ids_flag, cur = ktc_restore_ids_get();

	if (cur == -EINVAL) {
		if (want == 1)
			kt_log(KT_LOG_WARN,
			       "PR_TIMER_CREATE_RESTORE_IDS was ON at capture; "
			       "this kernel has no such flag");
		return 0;
	}
	if (cur < 0)
		return FAIL(r, cur, "prctl(PR_TIMER_CREATE_RESTORE_IDS): %s",
			    strerrordesc_np(-cur));
	if (want < 0 || want == cur)
		return 0;
	r->old_flag = cur;
	cur = ktc_restore_ids_set(want);
	if (cur < 0)
		return FAIL(r, cur,
			    "prctl(PR_TIMER_CREATE_RESTORE_IDS, %d): %s", want,
			    strerrordesc_np(-cur));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Undo                                                                 */

static void undo(struct restore *r)
{
	const struct kt_snapshot *s = r->snap;

	if (r->old_flag >= 0 && ktc_restore_ids_set(r->old_flag) < 0)
		kt_log(KT_LOG_ERROR, "undo: cannot put the prctl flag back");
	if (r->itimers_saved) {
		for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++)
			if (setitimer(w, &r->old_itimers[w], NULL) < 0)
				kt_log(KT_LOG_ERROR, "undo: setitimer(%d): %s",
				       w, strerrordesc_np(errno));
	}
	while (r->timerfds_created > 0) {
		int fd = s->timerfds[--r->timerfds_created].fd;

		if (close(fd) < 0)
			kt_log(KT_LOG_ERROR, "undo: close(%d): %s", fd,
			       strerrordesc_np(errno));
	}
	if (r->timers_created) {
		for (size_t i = s->n_timers; i-- > 0;)
			if (syscall(SYS_timer_delete, s->timers[i].id) < 0)
				kt_log(KT_LOG_ERROR,
				       "undo: timer_delete(%d): %s",
				       s->timers[i].id, strerrordesc_np(errno));
	}
}

int kt_restore_self(const struct kt_snapshot *snap,
		    const struct kt_restore_opts *opts)
{
	struct restore r = {.snap = snap, .old_flag = -1};
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !snap)
		return -EINVAL;
	r.flags = KT_OPT_GET(opts, flags, 0);
	r.err_buf = KT_OPT_GET(opts, err_buf, NULL);
	r.err_len = KT_OPT_GET(opts, err_len, 0);
	if (r.err_buf && r.err_len)
		r.err_buf[0] = '\0';
	if (r.flags & ~(unsigned)KT_RESTORE_KEEP_ABSOLUTE)
		return FAIL(&r, -EINVAL, "unknown restore flags 0x%x", r.flags);

	err = check(&r);
	if (err < 0)
		return err;
	err = create_posix_timers(&r, KT_OPT_GET(opts, ids, NULL));
	if (!err)
		err = create_timerfds(&r);
	if (!err)
		err = arm_posix_timers(&r);
	if (!err)
		err = arm_timerfds(&r);
	if (!err)
		err = arm_itimers(&r);
	if (!err)
		err = put_flag(&r);
	if (err < 0) {
		undo(&r);
		return err;
	}
	kt_log(KT_LOG_DEBUG, "restored %zu POSIX timer(s), %zu timerfd(s)",
	       snap->n_timers, snap->n_timerfds);
	return 0;
}
