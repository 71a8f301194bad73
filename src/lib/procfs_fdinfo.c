/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "procfs_fdinfo.h"

enum {
	SEEN_POS = 1 << 0,
	SEEN_FLAGS = 1 << 1,
	SEEN_MNT_ID = 1 << 2,
	SEEN_INO = 1 << 3,
	SEEN_CLOCKID = 1 << 4,
	SEEN_TICKS = 1 << 5,
	SEEN_SETTIME = 1 << 6,
	SEEN_VALUE = 1 << 7,
	SEEN_INTERVAL = 1 << 8,
};

/* The timerfd lines, each of which must appear once. */
#define TIMERFD_LINES                                                          \
	(SEEN_FLAGS | SEEN_CLOCKID | SEEN_TICKS | SEEN_SETTIME | SEEN_VALUE |  \
	 SEEN_INTERVAL)

/* "(%llu, %llu)" of a ktime split into seconds and nanoseconds. */
static bool eat_pair(struct kt_cursor *c, struct timespec *ts)
{
	uint64_t sec, nsec;

	if (!kt_eat(c, "(") || !kt_eat_u64(c, &sec) || !kt_eat(c, ", ") ||
	    !kt_eat_u64(c, &nsec) || !kt_eat(c, ")"))
		return false;
	if (sec > INT64_MAX || nsec >= 1000000000u)
		return false;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return true;
}

int kt_procfs_fdinfo_timerfd_parse(const char *text, size_t len,
				   struct kt_fdinfo_timerfd *ret,
				   struct kt_parse_error *err)
{
	struct kt_fdinfo_timerfd out = {0};
	const char *p = text, *end = text + len;
	unsigned seen = 0;
	size_t line = 0;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct kt_cursor c = {p, nl};
		unsigned bit, u;
		uint64_t v;
		int clock;
		bool ok;

		line++;
		if (kt_eat(&c, "pos:\t")) {
			bit = SEEN_POS;
			ok = kt_eat_u64(&c, &v);
		} else if (kt_eat(&c, "flags:\t")) {
			bit = SEEN_FLAGS;
			ok = kt_eat_octal(&c, &out.flags);
		} else if (kt_eat(&c, "mnt_id:\t")) {
			bit = SEEN_MNT_ID;
			ok = kt_eat_int(&c, &clock);
		} else if (kt_eat(&c, "ino:\t")) {
			bit = SEEN_INO;
			ok = kt_eat_u64(&c, &v);
		} else if (kt_eat(&c, "clockid: ")) {
			bit = SEEN_CLOCKID;
			ok = kt_eat_int(&c, &out.clock);
		} else if (kt_eat(&c, "ticks: ")) {
			bit = SEEN_TICKS;
			ok = kt_eat_u64(&c, &out.ticks);
		} else if (kt_eat(&c, "settime flags: ")) {
			bit = SEEN_SETTIME;
			ok = kt_eat_octal(&c, &u);
			out.settime_flags = u;
		} else if (kt_eat(&c, "it_value: ")) {
			bit = SEEN_VALUE;
			ok = eat_pair(&c, &out.value);
		} else if (kt_eat(&c, "it_interval: ")) {
			bit = SEEN_INTERVAL;
			ok = eat_pair(&c, &out.interval);
		} else {
			return kt_text_fail(err, line, p, nl,
					    "not a line of a timerfd's fdinfo");
		}
		if (!ok || !kt_at_end(&c))
			return kt_text_fail(err, line, p, nl,
					    "malformed value");
		if (seen & bit)
			return kt_text_fail(err, line, p, nl,
					    "line appears twice");
		seen |= bit;
		p = nl + 1;
	}
	if ((seen & TIMERFD_LINES) != TIMERFD_LINES) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "not a timerfd's fdinfo: lines missing "
			       "(clockid, ticks, settime flags, it_value, "
			       "it_interval and flags are needed)");
		return -EINVAL;
	}
	*ret = out;
	return 0;
}

int kt_procfs_fdinfo_file_parse(const char *text, size_t len,
				struct kt_fdinfo_file *ret,
				struct kt_parse_error *err)
{
	struct kt_fdinfo_file out = {.mnt_id = -1};
	const char *p = text, *end = text + len;
	unsigned seen = 0;
	size_t line = 0;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct kt_cursor c = {p, nl};
		unsigned bit = 0;
		bool ok;

		line++;
		if (kt_eat(&c, "pos:\t")) {
			bit = SEEN_POS;
			ok = kt_eat_i64(&c, &out.pos);
		} else if (kt_eat(&c, "flags:\t")) {
			bit = SEEN_FLAGS;
			ok = kt_eat_octal(&c, &out.flags);
		} else if (kt_eat(&c, "mnt_id:\t")) {
			bit = SEEN_MNT_ID;
			ok = kt_eat_int(&c, &out.mnt_id);
		} else if (kt_eat(&c, "ino:\t")) {
			bit = SEEN_INO;
			ok = kt_eat_u64(&c, &out.ino);
		} else if (kt_eat(&c, "lock:\t")) {
			/* The lock's own text is fs/locks.c's; we count. */
			out.locks++;
			c.p = c.end;
			ok = true;
		} else {
			return kt_text_fail(err, line, p, nl,
					    "not a line of a file's fdinfo");
		}
		if (!ok || !kt_at_end(&c))
			return kt_text_fail(err, line, p, nl,
					    "malformed value");
		if (seen & bit)
			return kt_text_fail(err, line, p, nl,
					    "line appears twice");
		seen |= bit;
		p = nl + 1;
	}
	if ((seen & (SEEN_POS | SEEN_FLAGS)) != (SEEN_POS | SEEN_FLAGS)) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "not a file's fdinfo: the pos and flags lines "
			       "are needed");
		return -EINVAL;
	}
	*ret = out;
	return 0;
}
