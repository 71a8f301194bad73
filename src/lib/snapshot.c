/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots: building, checking, reading. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "snapshot.h"

/* Kernel ABI values glibc 2.36 may not name. */
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif
#define KT_TFD_TIMER_ABSTIME	   1
#define KT_TFD_TIMER_CANCEL_ON_SET 2
#define KT_TFD_CLOEXEC		   O_CLOEXEC
#define KT_TFD_NONBLOCK		   O_NONBLOCK
#define KT_SIGRTMAX		   64 /* the kernel's _NSIG on x86_64 */

const clockid_t kt_snap_clock_ids[KT_SNAP_NCLOCKS] = {
	[KT_SNAP_REALTIME] = CLOCK_REALTIME,
	[KT_SNAP_MONOTONIC] = CLOCK_MONOTONIC,
	[KT_SNAP_BOOTTIME] = CLOCK_BOOTTIME,
	[KT_SNAP_TAI] = CLOCK_TAI,
};

struct kt_snapshot *kt_snapshot_new(void)
{
	struct kt_snapshot *snap = calloc(1, sizeof(*snap));

	if (snap)
		snap->restore_ids_flag = -1;
	return snap;
}

void kt_snapshot_free(struct kt_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->timers);
	free(snap->timerfds);
	free(snap);
}

/* Grow *array (of *cap elements of size sz) to hold one more. */
static int grow(void **array, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = reallocarray(*array, ncap, sz);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = ncap;
	return 0;
}

int kt_snapshot_add_timer(struct kt_snapshot *snap,
			  const struct kt_posix_timer *t)
{
	int err = grow((void **)&snap->timers, &snap->cap_timers,
		       snap->n_timers, sizeof(*t));

	if (err < 0)
		return err;
	snap->timers[snap->n_timers++] = *t;
	return 0;
}

int kt_snapshot_add_timerfd(struct kt_snapshot *snap,
			    const struct kt_timerfd *tfd)
{
	int err = grow((void **)&snap->timerfds, &snap->cap_timerfds,
		       snap->n_timerfds, sizeof(*tfd));

	if (err < 0)
		return err;
	snap->timerfds[snap->n_timerfds++] = *tfd;
	return 0;
}

static int field_fail(struct kt_field_error *fe, const char *field,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int field_fail(struct kt_field_error *fe, const char *field,
		      const char *fmt, ...)
{
	va_list ap;

	(void)snprintf(fe->field, sizeof(fe->field), "%s", field);
	va_start(ap, fmt);
	(void)vsnprintf(fe->why, sizeof(fe->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

int kt_check_timespec(const struct timespec *ts, const char *field,
		      struct kt_field_error *fe)
{
	char name[32];

	if (ts->tv_sec < 0) {
		(void)snprintf(name, sizeof(name), "%s.sec", field);
		return field_fail(fe, name, "negative seconds %lld",
				  (long long)ts->tv_sec);
	}
	if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
		(void)snprintf(name, sizeof(name), "%s.nsec", field);
		return field_fail(fe, name,
				  "nanoseconds %ld outside 0..999999999",
				  (long)ts->tv_nsec);
	}
	return 0;
}

/* A clock timer_create(2) accepts (the kernel's posix_clocks[] and CPU
 * clocks; CLOCKFD dynamic clocks have no timers). */
static bool timer_clock_valid(clockid_t clock)
{
	if (clock < 0)
		return (clock & 3) != 3;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return true;
	}
	return false;
}

int kt_check_posix_timer(const struct kt_posix_timer *t,
			 struct kt_field_error *fe)
{
	int err;

	if (t->id < 0)
		return field_fail(fe, "id", "%d is not a timer ID (0..%d)",
				  t->id, INT_MAX);
	if (!timer_clock_valid(t->clock))
		return field_fail(fe, "clock", "%d is not a clock with timers",
				  t->clock);
	switch (t->notify) {
	case SIGEV_SIGNAL:
	case SIGEV_NONE:
	case SIGEV_THREAD:
		if (t->notify_tid != 0)
			return field_fail(fe, "notify_tid",
					  "%d set without SIGEV_THREAD_ID",
					  t->notify_tid);
		break;
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		if (t->notify_tid <= 0)
			return field_fail(fe, "notify_tid",
					  "%d is not a thread ID",
					  t->notify_tid);
		break;
	default:
		return field_fail(
			fe, "notify",
			"%d is not SIGEV_SIGNAL, SIGEV_NONE, "
			"SIGEV_THREAD or SIGEV_SIGNAL|SIGEV_THREAD_ID",
			t->notify);
	}
	/* The kernel checks the signal unless nothing is to be sent. */
	if (t->notify != SIGEV_NONE && (t->signo < 1 || t->signo > KT_SIGRTMAX))
		return field_fail(fe, "signo", "%d is not a signal (1..%d)",
				  t->signo, KT_SIGRTMAX);
	if (t->overrun < 0)
		return field_fail(fe, "overrun", "negative (%d)", t->overrun);
	err = kt_check_timespec(&t->value, "value", fe);
	if (err < 0)
		return err;
	return kt_check_timespec(&t->interval, "interval", fe);
}

static int check_timeval(const struct timeval *tv, const char *field,
			 struct kt_field_error *fe)
{
	char name[32];

	if (tv->tv_sec < 0) {
		(void)snprintf(name, sizeof(name), "%s.sec", field);
		return field_fail(fe, name, "negative seconds %lld",
				  (long long)tv->tv_sec);
	}
	if (tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
		(void)snprintf(name, sizeof(name), "%s.usec", field);
		return field_fail(fe, name,
				  "microseconds %ld outside 0..999999",
				  (long)tv->tv_usec);
	}
	return 0;
}

int kt_check_itimer(const struct kt_itimer *it, struct kt_field_error *fe)
{
	int err = check_timeval(&it->value, "value", fe);

	return err < 0 ? err : check_timeval(&it->interval, "interval", fe);
}

int kt_check_timerfd(const struct kt_timerfd *tfd, struct kt_field_error *fe)
{
	int err;

	if (tfd->fd < 0)
		return field_fail(fe, "fd", "negative descriptor %d", tfd->fd);
	switch (tfd->clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		break;
	default:
		return field_fail(fe, "clock", "%d is not a timerfd clock",
				  tfd->clock);
	}
	if (tfd->fd_flags & ~(KT_TFD_NONBLOCK | KT_TFD_CLOEXEC))
		return field_fail(fe, "fd_flags",
				  "0%o has bits other than TFD_NONBLOCK and "
				  "TFD_CLOEXEC",
				  (unsigned)tfd->fd_flags);
	if (tfd->settime_flags &
	    ~(KT_TFD_TIMER_ABSTIME | KT_TFD_TIMER_CANCEL_ON_SET))
		return field_fail(fe, "settime_flags",
				  "0%o has bits other than TFD_TIMER_ABSTIME "
				  "and TFD_TIMER_CANCEL_ON_SET",
				  (unsigned)tfd->settime_flags);
	err = kt_check_timespec(&tfd->value, "value", fe);
	if (err < 0)
		return err;
	return kt_check_timespec(&tfd->interval, "interval", fe);
}

struct sort_key {
	int key;
	size_t index;
};

static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Sort n records of size sz in place by their int key at key_off, refusing
 * duplicate keys: *ret_dup gets the later one's index.
 */
static int sort_unique(void *records, size_t n, size_t sz, size_t key_off,
		       size_t *ret_dup)
{
	struct sort_key *keys;
	unsigned char *copy;
	int err = 0;

	if (n < 2)
		return 0;
	keys = calloc(n, sizeof(*keys));
	copy = malloc(n * sz);
	if (!keys || !copy) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&keys[i].key,
		       (unsigned char *)records + i * sz + key_off,
		       sizeof(int));
		keys[i].index = i;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (size_t i = 1; i < n; i++) {
		if (keys[i].key == keys[i - 1].key) {
			*ret_dup = keys[i].index;
			err = -EEXIST;
			goto out;
		}
	}
	memcpy(copy, records, n * sz);
	for (size_t i = 0; i < n; i++)
		memcpy((unsigned char *)records + i * sz,
		       copy + keys[i].index * sz, sz);
out:
	free(copy);
	free(keys);
	return err;
}

static int snap_fail(struct kt_snap_error *err, enum kt_snap_part part,
		     size_t index)
{
	err->part = part;
	err->index = index;
	return -EBADMSG;
}

int kt_snapshot_finish(struct kt_snapshot *snap, struct kt_snap_error *err)
{
	size_t dup = 0;
	int r;

	if (snap->restore_ids_flag < -1 || snap->restore_ids_flag > 1) {
		(void)field_fail(&err->fe, "restore_ids_flag",
				 "%d is not -1, 0 or 1",
				 snap->restore_ids_flag);
		return snap_fail(err, KT_PART_PROCESS, 0);
	}
	for (int i = 0; i < KT_SNAP_NCLOCKS; i++) {
		static const char *const names[KT_SNAP_NCLOCKS] = {
			"realtime", "monotonic", "boottime", "tai"};

		if (kt_check_timespec(&snap->clocks[i], names[i], &err->fe) < 0)
			return snap_fail(err, KT_PART_PROCESS, 0);
	}
	for (size_t i = 0; i < snap->n_timers; i++)
		if (kt_check_posix_timer(&snap->timers[i], &err->fe) < 0)
			return snap_fail(err, KT_PART_TIMER, i);
	for (int i = 0; i < 3; i++)
		if (kt_check_itimer(&snap->itimers[i], &err->fe) < 0)
			return snap_fail(err, KT_PART_ITIMER, (size_t)i);
	for (size_t i = 0; i < snap->n_timerfds; i++)
		if (kt_check_timerfd(&snap->timerfds[i], &err->fe) < 0)
			return snap_fail(err, KT_PART_TIMERFD, i);

	r = sort_unique(snap->timers, snap->n_timers, sizeof(*snap->timers),
			offsetof(struct kt_posix_timer, id), &dup);
	if (r == -EEXIST) {
		(void)field_fail(&err->fe, "id", "timer ID %d appears twice",
				 snap->timers[dup].id);
		return snap_fail(err, KT_PART_TIMER, dup);
	}
	if (r < 0)
		return r;
	r = sort_unique(snap->timerfds, snap->n_timerfds,
			sizeof(*snap->timerfds),
			offsetof(struct kt_timerfd, fd), &dup);
	if (r == -EEXIST) {
		(void)field_fail(&err->fe, "fd", "descriptor %d appears twice",
				 snap->timerfds[dup].fd);
		return snap_fail(err, KT_PART_TIMERFD, dup);
	}
	return r;
}

int kt_snapshot_seal(struct kt_snapshot *snap, const char *who, char *err_buf,
		     size_t err_len)
{
	struct kt_snap_error serr;
	char msg[256];
	int err = kt_snapshot_finish(snap, &serr);

	if (err != -EBADMSG)
		return err;
	kt_snap_error_format(&serr, msg, sizeof(msg));
	return kt_fail_msg(err_buf, err_len, err, "%s: the kernel reported %s",
			   who, msg);
}

void kt_snap_error_format(const struct kt_snap_error *err, char *buf,
			  size_t len)
{
	static const char *const parts[] = {
		[KT_PART_PROCESS] = "process",
		[KT_PART_TIMER] = "POSIX timer",
		[KT_PART_ITIMER] = "itimer",
		[KT_PART_TIMERFD] = "timerfd",
	};

	(void)snprintf(buf, len, "%s #%zu: field %s: %s", parts[err->part],
		       err->index, err->fe.field, err->fe.why);
}

size_t kt_snapshot_posix_timer_count(const struct kt_snapshot *snap)
{
	return snap ? snap->n_timers : 0;
}

const struct kt_posix_timer *
kt_snapshot_posix_timer(const struct kt_snapshot *snap, size_t i)
{
	return snap && i < snap->n_timers ? &snap->timers[i] : NULL;
}

const struct kt_itimer *kt_snapshot_itimer(const struct kt_snapshot *snap,
					   int which)
{
	if (!snap || which < ITIMER_REAL || which > ITIMER_PROF)
		return NULL;
	return &snap->itimers[which];
}

size_t kt_snapshot_timerfd_count(const struct kt_snapshot *snap)
{
	return snap ? snap->n_timerfds : 0;
}

const struct kt_timerfd *kt_snapshot_timerfd(const struct kt_snapshot *snap,
					     size_t i)
{
	return snap && i < snap->n_timerfds ? &snap->timerfds[i] : NULL;
}

int kt_snapshot_restore_ids_flag(const struct kt_snapshot *snap)
{
	return snap ? snap->restore_ids_flag : -1;
}

int kt_snapshot_clock(const struct kt_snapshot *snap, clockid_t clock,
		      struct timespec *ret_time)
{
	if (!snap || !ret_time)
		return -EINVAL;
	for (int i = 0; i < KT_SNAP_NCLOCKS; i++) {
		if (kt_snap_clock_ids[i] == clock) {
			*ret_time = snap->clocks[i];
			return 0;
		}
	}
	return -EINVAL;
}
