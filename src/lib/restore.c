/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a snapshot, the host side: decide every setting (remaining
 * times, KT_RESTORE_KEEP_ABSOLUTE), check what only the host can check,
 * and hand a plan to the core (src/core/restore.c), which carries it out
 * all or nothing, here or, through the parasite, in another process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../core/restore.h"
#include "engine.h"
#include "restore_plan.h"
#include "snapshot.h"

#define NSEC_PER_SEC 1000000000LL

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct ktc_timespec ns_kts(int64_t ns)
{
	return (struct ktc_timespec){ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
}

static struct ktc_timespec kts(const struct timespec *ts)
{
	return (struct ktc_timespec){ts->tv_sec, ts->tv_nsec};
}

static bool keeps_absolute(unsigned flags, clockid_t clock)
{
	return (flags & KT_RESTORE_KEEP_ABSOLUTE) &&
	       (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM ||
		clock == CLOCK_TAI);
}

/*
 * The remaining time to arm with. By default the captured one. With
 * KT_RESTORE_KEEP_ABSOLUTE on a wall clock, the captured deadline: the time
 * the clock moved since capture is taken off; a deadline passed fires now
 * (1 ns), or for a periodic timer at its next period still ahead.
 */
static struct ktc_timespec remaining(const struct kt_snapshot *snap,
				     unsigned flags, const char *what, int id,
				     clockid_t clock,
				     const struct timespec *value,
				     const struct timespec *interval)
{
	enum kt_snap_clock base =
		clock == CLOCK_TAI ? KT_SNAP_TAI : KT_SNAP_REALTIME;
	int64_t left, missed, period = ts_ns(interval);
	struct timespec now;

	if (!keeps_absolute(flags, clock) || ts_ns(value) == 0)
		return kts(value);
	/* REALTIME and TAI cannot fail (and are not namespaced). */
	(void)clock_gettime(kt_snap_clock_ids[base], &now);
	left = ts_ns(value) - (ts_ns(&now) - ts_ns(&snap->clocks[base]));
	if (left > 0)
		return ns_kts(left);
	if (period == 0) {
		kt_log(KT_LOG_INFO,
		       "%s %d: its deadline passed %lld ns ago: fires at once",
		       what, id, (long long)-left);
		return ns_kts(1);
	}
	missed = -left / period + 1;
	kt_log(KT_LOG_WARN,
	       "%s %d: %lld period(s) passed while away: they are not counted "
	       "as overruns",
	       what, id, (long long)missed);
	return ns_kts(left + missed * period);
}

/*
 * A timerfd due now (1 ns: caught due again, or a deadline passed while
 * away) would expire between timerfd_settime and TFD_IOC_SET_TICKS, and
 * the ioctl would overwrite the tick it adds. Count that expiry as a tick
 * instead, and arm the next one a period away (or leave a one-shot
 * disarmed, as an expired one is).
 */
static void due_now_as_tick(struct ktc_restore_timerfd *t)
{
	struct ktc_itimerspec *s = &t->setting;

	if (s->value.sec != 0 || s->value.nsec != 1)
		return;
	if (t->ticks < UINT64_MAX)
		t->ticks++;
	s->value = s->interval;
}

static void note_inexact(const struct kt_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_timers; i++) {
		const struct kt_posix_timer *t = &snap->timers[i];

		if (t->clock == -2) /* THREAD_CLOCK: "the creating thread" */
			kt_log(KT_LOG_INFO,
			       "POSIX timer %d: thread CPU clock of the thread "
			       "that restores it (the kernel does not tell "
			       "which thread created it)",
			       t->id);
		if (t->overrun > 0)
			kt_log(KT_LOG_INFO,
			       "POSIX timer %d: overrun %d of its last signal "
			       "cannot be restored (the kernel resets it)",
			       t->id, t->overrun);
	}
	if (snap->restore_ids_flag == 1 && ktc_restore_ids_get() == -EINVAL)
		kt_log(KT_LOG_WARN,
		       "PR_TIMER_CREATE_RESTORE_IDS was ON at capture; this "
		       "kernel has no such flag");
}

int kt_restore_plan_build(const struct kt_snapshot *snap, unsigned flags,
			  enum kt_id_path path,
			  const struct ktc_linear_opts *lin,
			  struct ktc_restore_plan **ret_plan, size_t *ret_size)
{
	size_t n = snap->n_timers, nf = snap->n_timerfds;
	size_t reqs_off = sizeof(struct ktc_restore_plan);
	size_t settings_off = reqs_off + n * sizeof(struct ktc_timer_req);
	size_t tfds_off = settings_off + n * sizeof(struct ktc_itimerspec);
	size_t size = tfds_off + nf * sizeof(struct ktc_restore_timerfd);
	struct ktc_restore_plan *plan = calloc(1, size);
	struct ktc_timer_req *reqs;
	struct ktc_itimerspec *settings;
	struct ktc_restore_timerfd *tfds;

	if (!plan)
		return -ENOMEM;
	plan->magic = KTC_PARASITE_MAGIC;
	plan->op = KTC_PARASITE_RESTORE;
	plan->n_timers = (uint32_t)n;
	plan->n_timerfds = (uint32_t)nf;
	plan->linear = path == KT_PATH_LINEAR;
	plan->want_flag = snap->restore_ids_flag;
	plan->lin = *lin;
	plan->reqs_off = reqs_off;
	plan->settings_off = settings_off;
	plan->timerfds_off = tfds_off;
	reqs = (void *)((char *)plan + reqs_off);
	settings = (void *)((char *)plan + settings_off);
	tfds = (void *)((char *)plan + tfds_off);

	for (size_t i = 0; i < n; i++) {
		const struct kt_posix_timer *t = &snap->timers[i];

		reqs[i].id = t->id;
		reqs[i].clock = t->clock;
		reqs[i].sev.value = t->sigval;
		reqs[i].sev.signo = t->signo;
		reqs[i].sev.notify = t->notify;
		reqs[i].sev.tid = t->notify_tid;
		settings[i].interval = kts(&t->interval);
		settings[i].value =
			remaining(snap, flags, "POSIX timer", t->id, t->clock,
				  &t->value, &t->interval);
	}
	for (size_t i = 0; i < nf; i++) {
		const struct kt_timerfd *t = &snap->timerfds[i];

		tfds[i] = (struct ktc_restore_timerfd){
			.fd = t->fd,
			.clock = t->clock,
			.fd_flags = t->fd_flags,
			.settime_flags = t->settime_flags,
			.setting = {.interval = kts(&t->interval),
				    .value = remaining(
					    snap, flags, "timerfd", t->fd,
					    t->clock, &t->value, &t->interval)},
			.ticks = t->ticks,
		};
		due_now_as_tick(&tfds[i]);
	}
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		const struct kt_itimer *it = &snap->itimers[w];

		plan->itimers[w] = (struct ktc_itimerval){
			.interval = {it->interval.tv_sec, it->interval.tv_usec},
			.value = {it->value.tv_sec, it->value.tv_usec},
		};
		/*
		 * A periodic ITIMER_REAL reads 0 between its expiry and the
		 * moment its SIGALRM is dequeued: the kernel re-arms it only
		 * then. Set as read it would be disarmed for good; it is due
		 * now (1 us): its SIGALRM again, which the pending one, if
		 * the image holds it, absorbs (a standard signal is pending
		 * once), and the next period from its dequeue on.
		 */
		if (w == ITIMER_REAL && it->value.tv_sec == 0 &&
		    it->value.tv_usec == 0 &&
		    (it->interval.tv_sec || it->interval.tv_usec))
			plan->itimers[w].value.usec = 1;
	}
	note_inexact(snap);
	*ret_plan = plan;
	*ret_size = size;
	return 0;
}

int kt_restore_plan_explain(const struct kt_snapshot *snap,
			    const struct ktc_restore_plan *plan,
			    enum kt_id_path path, char *buf, size_t len)
{
	const struct ktc_restore_timerfd *tfds =
		(const void *)((const char *)plan + plan->timerfds_off);
	const char *err = strerrordesc_np(-plan->result);
	int fd = plan->index < plan->n_timerfds ? tfds[plan->index].fd : -1;
	int id = plan->index < plan->n_timers ? snap->timers[plan->index].id
					      : -1;
	struct kt_create_report rep = {.path = path};

	switch (plan->stage) {
	case KTC_STAGE_CHECK_FD:
		return snprintf(buf, len,
				"timerfd %d: descriptor %d is already in use",
				fd, fd);
	case KTC_STAGE_CREATE_TIMERS:
		kt_engine_report(&rep, &plan->report, NULL);
		(void)kt_create_report_format(&rep, buf, len);
		return (int)strlen(buf);
	case KTC_STAGE_CREATE_TIMERFD:
		return snprintf(buf, len,
				"timerfd %d: timerfd_create or dup3: %s", fd,
				err);
	case KTC_STAGE_ARM_TIMER:
		return snprintf(buf, len, "POSIX timer %d: timer_settime: %s",
				id, err);
	case KTC_STAGE_ARM_TIMERFD:
		return snprintf(buf, len, "timerfd %d: timerfd_settime: %s", fd,
				err);
	case KTC_STAGE_SET_TICKS:
		return snprintf(buf, len, "timerfd %d: TFD_IOC_SET_TICKS: %s%s",
				fd, err,
				plan->result == -ENOTTY
					? " (the kernel needs "
					  "CONFIG_CHECKPOINT_RESTORE)"
					: "");
	case KTC_STAGE_ITIMER:
		return snprintf(buf, len, "itimer %u: setitimer: %s",
				plan->index, err);
	case KTC_STAGE_FLAG:
		return snprintf(buf, len,
				"prctl(PR_TIMER_CREATE_RESTORE_IDS): %s", err);
	}
	return snprintf(buf, len, "%s", err);
}

static int check_thread(char *err_buf, size_t err_len,
			const struct kt_posix_timer *t)
{
	char path[64];

	if (!(t->notify & SIGEV_THREAD_ID))
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/self/task/%d",
		       (int)t->notify_tid);
	if (access(path, F_OK) == 0)
		return 0;
	return kt_fail_msg(err_buf, err_len, -ESRCH,
			   "POSIX timer %d: its SIGEV_THREAD_ID target %d is "
			   "not a thread of this process",
			   t->id, (int)t->notify_tid);
}

int kt_restore_call_init(struct kt_restore_call *rc,
			 const struct kt_restore_opts *opts)
{
	const struct kt_create_opts *ids;
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	ids = KT_OPT_GET(opts, ids, NULL);
	*rc = (struct kt_restore_call){
		.err_buf = KT_OPT_GET(opts, err_buf, NULL),
		.err_len = KT_OPT_GET(opts, err_len, 0),
		.flags = KT_OPT_GET(opts, flags, 0),
		.user_rep = KT_OPT_GET(ids, report, NULL),
	};
	if (rc->err_buf && rc->err_len)
		rc->err_buf[0] = '\0';
	if (rc->flags & ~(unsigned)KT_RESTORE_KEEP_ABSOLUTE)
		return kt_fail_msg(rc->err_buf, rc->err_len, -EINVAL,
				   "unknown restore flags 0x%x", rc->flags);
	err = kt_engine_settings(ids, &rc->path, &rc->lin);
	if (err < 0)
		return kt_fail_msg(
			rc->err_buf, rc->err_len, err,
			"invalid kt_create_opts or probe failure: %s",
			strerrordesc_np(-err));
	return 0;
}

int kt_restore_call_finish(struct kt_restore_call *rc,
			   const struct kt_snapshot *snap,
			   const struct ktc_restore_plan *plan, int err,
			   const char *prefix)
{
	char msg[256];

	if (plan && rc->user_rep) {
		*rc->user_rep = (struct kt_create_report){.path = rc->path};
		kt_engine_report(rc->user_rep, &plan->report, NULL);
	}
	if (err < 0 || !plan || plan->result == 0)
		return err;
	(void)kt_restore_plan_explain(snap, plan, rc->path, msg, sizeof(msg));
	return kt_fail_msg(
		rc->err_buf, rc->err_len,
		plan->stage == KTC_STAGE_CHECK_FD ? -EBUSY : plan->result,
		"%s%s%s%s", prefix, msg,
		plan->undo_err ? "; undoing also failed: " : "",
		plan->undo_err ? strerrordesc_np(-plan->undo_err) : "");
}

int kt_restore_self(const struct kt_snapshot *snap,
		    const struct kt_restore_opts *opts)
{
	struct ktc_restore_plan *plan;
	struct kt_restore_call rc;
	size_t size;
	int err;

	if (!snap)
		return -EINVAL;
	err = kt_restore_call_init(&rc, opts);
	if (err < 0)
		return err;
	for (size_t i = 0; i < snap->n_timers; i++) {
		err = check_thread(rc.err_buf, rc.err_len, &snap->timers[i]);
		if (err < 0)
			return err;
	}
	err = kt_restore_plan_build(snap, rc.flags, rc.path, &rc.lin, &plan,
				    &size);
	if (err < 0)
		return err;
	err = kt_engine_lock();
	if (err == 0) {
		(void)ktc_restore(plan); /* its result is in the plan */
		kt_engine_unlock();
	}
	err = kt_restore_call_finish(&rc, snap, plan, err, "");
	if (err == 0)
		kt_log(KT_LOG_DEBUG,
		       "restored %zu POSIX timer(s), %zu timerfd(s) on the %s "
		       "path",
		       snap->n_timers, snap->n_timerfds,
		       rc.path == KT_PATH_LINEAR ? "linear" : "explicit");
	free(plan);
	return err;
}
