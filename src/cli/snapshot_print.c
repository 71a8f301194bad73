/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timerfd.h>

#include "json.h"
#include "snapshot_print.h"

static const struct {
	clockid_t clock;
	const char *name;
} clock_names[] = {
	{CLOCK_REALTIME, "realtime"},
	{CLOCK_MONOTONIC, "monotonic"},
	{CLOCK_PROCESS_CPUTIME_ID, "process-cpu"},
	{CLOCK_THREAD_CPUTIME_ID, "thread-cpu"},
	{CLOCK_BOOTTIME, "boottime"},
	{CLOCK_REALTIME_ALARM, "realtime-alarm"},
	{CLOCK_BOOTTIME_ALARM, "boottime-alarm"},
	{11, "tai"},
};

const char *snapshot_clock_name(clockid_t clock, char *buf, size_t len)
{
	static const char *const which[] = {"prof", "virt", "sched", "fd"};

	for (size_t i = 0; i < sizeof(clock_names) / sizeof(clock_names[0]);
	     i++)
		if (clock_names[i].clock == clock)
			return clock_names[i].name;
	if (clock < 0) {
		/* CPU clocks: (~pid << 3) | which, | 4 for a thread. */
		int pid = ~(clock >> 3);
		bool thread = clock & 4;

		if (pid == 0)
			(void)snprintf(buf, len, "%s (self, %s)",
				       thread ? "thread-cpu" : "process-cpu",
				       which[clock & 3]);
		else
			(void)snprintf(buf, len, "%s %s %d (%s)",
				       thread ? "thread-cpu" : "process-cpu",
				       thread ? "tid" : "pid", pid,
				       which[clock & 3]);
		return buf;
	}
	(void)snprintf(buf, len, "%d", (int)clock);
	return buf;
}

static const char *notify_name(int notify)
{
	switch (notify) {
	case SIGEV_SIGNAL:
		return "signal";
	case SIGEV_NONE:
		return "none";
	case SIGEV_THREAD:
		return "thread";
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		return "thread-id";
	}
	return "?";
}

static bool ts_zero(const struct timespec *ts)
{
	return ts->tv_sec == 0 && ts->tv_nsec == 0;
}

static const char *ts_str(const struct timespec *ts, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%lld.%09ld", (long long)ts->tv_sec,
		       ts->tv_nsec);
	return buf;
}

static const char *tv_str(const struct timeval *tv, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%lld.%06ld", (long long)tv->tv_sec,
		       (long)tv->tv_usec);
	return buf;
}

static void print_timers(FILE *f, const struct kt_snapshot *snap)
{
	size_t n = kt_snapshot_posix_timer_count(snap);

	fprintf(f, "POSIX timers: %zu\n", n);
	if (n == 0)
		return;
	fprintf(f, "  %10s  %-24s %-16s %6s  %-18s  %-20s  %-20s  %s\n", "ID",
		"CLOCK", "NOTIFY", "SIGNAL", "VALUE", "REMAINING", "INTERVAL",
		"OVERRUN");
	for (size_t i = 0; i < n; i++) {
		const struct kt_posix_timer *t =
			kt_snapshot_posix_timer(snap, i);
		char clock[48], notify[32], rem[32], iv[32];

		if (t->notify & SIGEV_THREAD_ID)
			(void)snprintf(notify, sizeof(notify), "thread-id %d",
				       (int)t->notify_tid);
		else
			(void)snprintf(notify, sizeof(notify), "%s",
				       notify_name(t->notify));
		fprintf(f,
			"  %10d  %-24s %-16s %6d  0x%016" PRIx64
			"  %-20s  %-20s  %d\n",
			t->id,
			snapshot_clock_name(t->clock, clock, sizeof(clock)),
			notify, t->signo, t->sigval,
			ts_zero(&t->value)
				? "disarmed"
				: ts_str(&t->value, rem, sizeof(rem)),
			ts_str(&t->interval, iv, sizeof(iv)), t->overrun);
	}
}

static void print_itimers(FILE *f, const struct kt_snapshot *snap)
{
	static const char *const names[] = {"REAL", "VIRTUAL", "PROF"};

	fprintf(f, "itimers:\n");
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		const struct kt_itimer *it = kt_snapshot_itimer(snap, w);
		char v[32], iv[32];
		bool off = it->value.tv_sec == 0 && it->value.tv_usec == 0;
		bool periodic = it->interval.tv_sec || it->interval.tv_usec;
		/* ITIMER_REAL reads 0 from its expiry until its SIGALRM is
		 * taken, when the kernel re-arms it. */
		const char *none = w == ITIMER_REAL && periodic
					   ? "due (SIGALRM pending)"
					   : "disarmed";

		fprintf(f, "  %-8s remaining %-18s interval %s\n", names[w],
			off ? none : tv_str(&it->value, v, sizeof(v)),
			tv_str(&it->interval, iv, sizeof(iv)));
	}
}

static void print_timerfds(FILE *f, const struct kt_snapshot *snap)
{
	size_t n = kt_snapshot_timerfd_count(snap);

	fprintf(f, "timerfds: %zu\n", n);
	if (n == 0)
		return;
	fprintf(f, "  %6s  %-16s %-18s %-22s %-20s  %-20s  %s\n", "FD", "CLOCK",
		"FLAGS", "SETTIME", "REMAINING", "INTERVAL", "TICKS");
	for (size_t i = 0; i < n; i++) {
		const struct kt_timerfd *t = kt_snapshot_timerfd(snap, i);
		char clock[48], flags[32], st[32], rem[32], iv[32];

		(void)snprintf(flags, sizeof(flags), "%s%s%s",
			       t->fd_flags & TFD_NONBLOCK ? "nonblock" : "",
			       (t->fd_flags & TFD_NONBLOCK) &&
					       (t->fd_flags & TFD_CLOEXEC)
				       ? ","
				       : "",
			       t->fd_flags & TFD_CLOEXEC ? "cloexec" : "");
		(void)snprintf(st, sizeof(st), "%s%s%s",
			       t->settime_flags & TFD_TIMER_ABSTIME ? "abstime"
								    : "",
			       t->settime_flags == 3 ? "," : "",
			       t->settime_flags & TFD_TIMER_CANCEL_ON_SET
				       ? "cancel-on-set"
				       : "");
		fprintf(f,
			"  %6d  %-16s %-18s %-22s %-20s  %-20s  %" PRIu64 "\n",
			t->fd,
			snapshot_clock_name(t->clock, clock, sizeof(clock)),
			flags[0] ? flags : "-", st[0] ? st : "-",
			ts_zero(&t->value)
				? "disarmed"
				: ts_str(&t->value, rem, sizeof(rem)),
			ts_str(&t->interval, iv, sizeof(iv)), t->ticks);
	}
}

static const clockid_t snap_clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
					CLOCK_BOOTTIME, 11};
static const char *const snap_clock_keys[] = {"realtime", "monotonic",
					      "boottime", "tai"};

void snapshot_print_table(FILE *f, const struct kt_snapshot *snap,
			  const char *source)
{
	int flag = kt_snapshot_restore_ids_flag(snap);

	fprintf(f, "%s\n", source);
	fprintf(f, "PR_TIMER_CREATE_RESTORE_IDS at capture: %s\n",
		flag < 0 ? "not supported by that kernel"
		: flag	 ? "on"
			 : "off");
	fprintf(f, "clocks at capture:");
	for (size_t i = 0; i < 4; i++) {
		struct timespec ts;
		char buf[32];

		if (kt_snapshot_clock(snap, snap_clocks[i], &ts) == 0)
			fprintf(f, " %s %s", snap_clock_keys[i],
				ts_str(&ts, buf, sizeof(buf)));
	}
	fputc('\n', f);
	print_timers(f, snap);
	print_itimers(f, snap);
	print_timerfds(f, snap);
}

static void json_ts(struct json *j, const char *key, const struct timespec *ts)
{
	json_begin_object(j, key);
	json_int(j, "sec", ts->tv_sec);
	json_int(j, "nsec", ts->tv_nsec);
	json_end_object(j);
}

static void json_tv(struct json *j, const char *key, const struct timeval *tv)
{
	json_begin_object(j, key);
	json_int(j, "sec", tv->tv_sec);
	json_int(j, "usec", tv->tv_usec);
	json_end_object(j);
}

void snapshot_print_json(FILE *f, const struct kt_snapshot *snap,
			 const char *source)
{
	static const char *const itimer_keys[] = {"real", "virtual", "prof"};
	int flag = kt_snapshot_restore_ids_flag(snap);
	struct json j;

	json_init(&j, f);
	json_begin_object(&j, NULL);
	json_string(&j, "schema", "keeptime-snapshot");
	json_int(&j, "schema_version", 1);
	json_string(&j, "source", source);
	if (flag < 0)
		json_null(&j, "restore_ids_flag");
	else
		json_bool(&j, "restore_ids_flag", flag);
	json_begin_object(&j, "clocks");
	for (size_t i = 0; i < 4; i++) {
		struct timespec ts;

		if (kt_snapshot_clock(snap, snap_clocks[i], &ts) == 0)
			json_ts(&j, snap_clock_keys[i], &ts);
	}
	json_end_object(&j);

	json_begin_array(&j, "posix_timers");
	for (size_t i = 0; i < kt_snapshot_posix_timer_count(snap); i++) {
		const struct kt_posix_timer *t =
			kt_snapshot_posix_timer(snap, i);
		char buf[48];

		json_begin_object(&j, NULL);
		json_int(&j, "id", t->id);
		json_int(&j, "clock", t->clock);
		json_string(&j, "clock_name",
			    snapshot_clock_name(t->clock, buf, sizeof(buf)));
		json_string(&j, "notify", notify_name(t->notify));
		if (t->notify & SIGEV_THREAD_ID)
			json_int(&j, "notify_tid", t->notify_tid);
		else
			json_null(&j, "notify_tid");
		json_int(&j, "signo", t->signo);
		(void)snprintf(buf, sizeof(buf), "0x%016" PRIx64, t->sigval);
		json_string(&j, "sigval", buf);
		json_bool(&j, "armed", !ts_zero(&t->value));
		json_ts(&j, "remaining", &t->value);
		json_ts(&j, "interval", &t->interval);
		json_int(&j, "overrun", t->overrun);
		json_end_object(&j);
	}
	json_end_array(&j);

	json_begin_object(&j, "itimers");
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		const struct kt_itimer *it = kt_snapshot_itimer(snap, w);

		json_begin_object(&j, itimer_keys[w]);
		json_bool(&j, "armed",
			  it->value.tv_sec != 0 || it->value.tv_usec != 0);
		json_tv(&j, "remaining", &it->value);
		json_tv(&j, "interval", &it->interval);
		json_end_object(&j);
	}
	json_end_object(&j);

	json_begin_array(&j, "timerfds");
	for (size_t i = 0; i < kt_snapshot_timerfd_count(snap); i++) {
		const struct kt_timerfd *t = kt_snapshot_timerfd(snap, i);
		char buf[48];

		json_begin_object(&j, NULL);
		json_int(&j, "fd", t->fd);
		json_int(&j, "clock", t->clock);
		json_string(&j, "clock_name",
			    snapshot_clock_name(t->clock, buf, sizeof(buf)));
		json_bool(&j, "nonblock", t->fd_flags & TFD_NONBLOCK);
		json_bool(&j, "cloexec", t->fd_flags & TFD_CLOEXEC);
		json_bool(&j, "abstime", t->settime_flags & TFD_TIMER_ABSTIME);
		json_bool(&j, "cancel_on_set",
			  t->settime_flags & TFD_TIMER_CANCEL_ON_SET);
		json_bool(&j, "armed", !ts_zero(&t->value));
		json_ts(&j, "remaining", &t->value);
		json_ts(&j, "interval", &t->interval);
		json_uint(&j, "ticks", t->ticks);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	fputc('\n', f);
}
