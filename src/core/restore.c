/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carrying out a restore plan (restore.h), all or nothing.
 *
 * Order: check that the timerfd numbers are free; create the POSIX timers
 * at their exact IDs (disarmed) and the timerfds at their numbers; then
 * arm everything in one pass, as late as possible; the itimers; the flag
 * last. A failure undoes what was done, newest first.
 */
#include "restore.h"

#include <linux/errno.h>

#include "ids_internal.h"

#define NSEC_PER_SEC	     1000000000LL
#define TFD_TIMER_ABSTIME    1
#define O_CLOEXEC	     02000000
#define CLOCK_REALTIME	     0
#define CLOCK_BOOTTIME	     7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define ITIMER_REAL	     0
#define ITIMER_PROF	     2

struct progress {
	struct ktc_restore_plan *plan;
	struct ktc_timer_req *reqs;
	struct ktc_itimerspec *settings;
	struct ktc_restore_timerfd *tfds;
	int timers_created;
	uint32_t tfds_created;
	int itimers_saved;
	struct ktc_itimerval old_itimers[3];
	int old_flag; /* -1: not changed */
};

static int fail(struct progress *pr, int stage, uint32_t index, int err)
{
	pr->plan->stage = stage;
	pr->plan->index = index;
	return err;
}

static void note_undo(struct progress *pr, int err)
{
	if (err < 0 && pr->plan->undo_err == 0)
		pr->plan->undo_err = err;
}

static void undo(struct progress *pr)
{
	if (pr->old_flag >= 0)
		note_undo(pr, ktc_restore_ids_set(pr->old_flag));
	if (pr->itimers_saved)
		for (int w = ITIMER_PROF; w >= ITIMER_REAL; w--)
			note_undo(pr, ktc_setitimer(w, &pr->old_itimers[w]));
	while (pr->tfds_created > 0)
		note_undo(pr, ktc_close(pr->tfds[--pr->tfds_created].fd));
	if (pr->timers_created)
		for (uint32_t i = pr->plan->n_timers; i-- > 0;)
			note_undo(pr, ktc_timer_delete(pr->reqs[i].id));
}

static int check_fds(struct progress *pr)
{
	for (uint32_t i = 0; i < pr->plan->n_timerfds; i++) {
		int err = ktc_fd_flags(pr->tfds[i].fd);

		if (err != -EBADF)
			return fail(pr, KTC_STAGE_CHECK_FD, i,
				    err < 0 ? err : -EBUSY);
	}
	return 0;
}

static int create_timers(struct progress *pr)
{
	struct ktc_restore_plan *plan = pr->plan;
	int err;

	if (plan->n_timers == 0)
		return 0;
	err = plan->linear ? ktc_create_linear(pr->reqs, plan->n_timers,
					       &plan->lin, &plan->report)
			   : ktc_create_explicit(pr->reqs, plan->n_timers,
						 &plan->report);
	if (err < 0)
		return fail(pr, KTC_STAGE_CREATE_TIMERS,
			    (uint32_t)plan->report.index, err);
	pr->timers_created = 1;
	return 0;
}

static int create_timerfds(struct progress *pr)
{
	for (uint32_t i = 0; i < pr->plan->n_timerfds; i++) {
		const struct ktc_restore_timerfd *t = &pr->tfds[i];
		int fd = ktc_timerfd_create(t->clock, t->fd_flags);

		if (fd < 0)
			return fail(pr, KTC_STAGE_CREATE_TIMERFD, i, fd);
		if (fd != t->fd) {
			int err = ktc_dup3(fd, t->fd, t->fd_flags & O_CLOEXEC);

			/* A fresh timerfd of ours: nothing to lose. */
			(void)ktc_close(fd);
			if (err < 0)
				return fail(pr, KTC_STAGE_CREATE_TIMERFD, i,
					    err);
		}
		pr->tfds_created = i + 1;
	}
	return 0;
}

static int arm_timers(struct progress *pr)
{
	for (uint32_t i = 0; i < pr->plan->n_timers; i++) {
		/* Also when disarmed: kernels before 6.13 keep (and report)
		 * the interval of a disarmed timer. */
		int err = ktc_timer_settime(pr->reqs[i].id, &pr->settings[i]);

		if (err < 0)
			return fail(pr, KTC_STAGE_ARM_TIMER, i, err);
	}
	return 0;
}

static int64_t ts_ns(const struct ktc_timespec *ts)
{
	return ts->sec * NSEC_PER_SEC + ts->nsec;
}

static int arm_timerfds(struct progress *pr)
{
	for (uint32_t i = 0; i < pr->plan->n_timerfds; i++) {
		const struct ktc_restore_timerfd *t = &pr->tfds[i];
		struct ktc_itimerspec its = t->setting;
		int err;

		if ((t->settime_flags & TFD_TIMER_ABSTIME) &&
		    ts_ns(&its.value) != 0) {
			/* The kernel wants a deadline on the timer's clock. */
			int32_t base = t->clock == CLOCK_REALTIME_ALARM
					       ? CLOCK_REALTIME
				       : t->clock == CLOCK_BOOTTIME_ALARM
					       ? CLOCK_BOOTTIME
					       : t->clock;
			struct ktc_timespec now;
			int64_t at;

			err = ktc_clock_gettime(base, &now);
			if (err < 0)
				return fail(pr, KTC_STAGE_ARM_TIMERFD, i, err);
			at = ts_ns(&now) + ts_ns(&its.value);
			its.value.sec = at / NSEC_PER_SEC;
			its.value.nsec = at % NSEC_PER_SEC;
		}
		err = ktc_timerfd_settime(t->fd, t->settime_flags, &its);
		if (err < 0)
			return fail(pr, KTC_STAGE_ARM_TIMERFD, i, err);
		/* After settime, which clears them; 0 is refused (EINVAL). */
		if (t->ticks > 0) {
			err = ktc_timerfd_set_ticks(t->fd, &t->ticks);
			if (err < 0)
				return fail(pr, KTC_STAGE_SET_TICKS, i, err);
		}
	}
	return 0;
}

/*
 * Linux adds one tick to every ITIMER_VIRTUAL and ITIMER_PROF value it is
 * given (kernel/time/itimer.c, set_cpu_itimer: "nval += TICK_NSEC"), so
 * that a tiny value does not expire at once. A captured value already
 * holds that tick: set again, it would gain another at every restore.
 * HZ is not readable: measure the tick by setting 1 s and reading it back
 * (truncated to microseconds: at most 1 us short).
 */
static int cpu_tick(struct progress *pr, int64_t *ret)
{
	*ret = 0;
	/* CPU time accounted between the set and the get makes a reading
	 * short (never long): keep the largest of a few. */
	for (int i = 0; i < 3; i++) {
		struct ktc_itimerval probe = {.value = {1, 0}}, got;
		int64_t tick;
		int err = ktc_setitimer(ITIMER_PROF, &probe);

		if (err == 0)
			err = ktc_getitimer(ITIMER_PROF, &got);
		if (err < 0)
			return fail(pr, KTC_STAGE_ITIMER, ITIMER_PROF, err);
		tick = got.value.sec * NSEC_PER_SEC + got.value.usec * 1000 -
		       NSEC_PER_SEC;
		if (tick > *ret)
			*ret = tick;
	}
	return 0;
}

static int set_itimers(struct progress *pr)
{
	struct ktc_restore_plan *plan = pr->plan;
	int err;

	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		err = ktc_getitimer(w, &pr->old_itimers[w]);
		if (err < 0)
			return fail(pr, KTC_STAGE_ITIMER, (uint32_t)w, err);
	}
	pr->itimers_saved = 1;
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		struct ktc_itimerval v = plan->itimers[w];
		int64_t value =
			v.value.sec * NSEC_PER_SEC + v.value.usec * 1000;

		if (w != ITIMER_REAL && value > 0) {
			if (plan->cpu_tick_ns < 0) {
				err = cpu_tick(pr, &plan->cpu_tick_ns);
				if (err < 0)
					return err;
			}
			/* Below the kernel's one-tick minimum it cannot be
			 * set exactly: 1 us plus the tick. */
			value = value - plan->cpu_tick_ns >= 1000
					? value - plan->cpu_tick_ns
					: 1000;
			v.value.sec = value / NSEC_PER_SEC;
			v.value.usec = value % NSEC_PER_SEC / 1000;
		}
		err = ktc_setitimer(w, &v);
		if (err < 0)
			return fail(pr, KTC_STAGE_ITIMER, (uint32_t)w, err);
	}
	return 0;
}

static int put_flag(struct progress *pr)
{
	int want = pr->plan->want_flag, cur;

	if (want < 0)
		return 0;
	cur = ktc_restore_ids_get();
	if (cur == -EINVAL)
		return 0; /* no such flag here: the host says so */
	if (cur < 0)
		return fail(pr, KTC_STAGE_FLAG, 0, cur);
	if (cur == want)
		return 0;
	pr->old_flag = cur;
	cur = ktc_restore_ids_set(want);
	return cur < 0 ? fail(pr, KTC_STAGE_FLAG, 0, cur) : 0;
}

int ktc_restore(struct ktc_restore_plan *plan)
{
	struct progress pr = {
		.plan = plan,
		.reqs = (void *)((char *)plan + plan->reqs_off),
		.settings = (void *)((char *)plan + plan->settings_off),
		.tfds = (void *)((char *)plan + plan->timerfds_off),
		.old_flag = -1,
	};
	int err;

	plan->stage = KTC_STAGE_NONE;
	plan->index = 0;
	plan->undo_err = 0;
	plan->cpu_tick_ns = -1;
	ktc_report_reset(&plan->report);

	err = check_fds(&pr);
	if (!err)
		err = create_timers(&pr);
	if (!err)
		err = create_timerfds(&pr);
	if (!err)
		err = arm_timers(&pr);
	if (!err)
		err = arm_timerfds(&pr);
	if (!err)
		err = set_itimers(&pr);
	if (!err)
		err = put_flag(&pr);
	if (err < 0)
		undo(&pr);
	plan->result = err;
	return err;
}
