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

/*
 * Read one line into out: set *bit to the line's SEEN_* bit (0 for lines
 * that may repeat) and return whether its value was well formed; -1 if
 * the line is not one of this kind of fdinfo.
 */
typedef int (*line_fn)(struct kt_cursor *c, void *out, unsigned *bit);

/* The lines of every fdinfo (fs/proc/fd.c seq_show). */
static int generic_line(struct kt_cursor *c, unsigned *flags, int64_t *pos,
			int *mnt_id, uint64_t *ino, unsigned *bit)
{
	if (kt_eat(c, "pos:\t")) {
		*bit = SEEN_POS;
		return kt_eat_i64(c, pos);
	}
	if (kt_eat(c, "flags:\t")) {
		*bit = SEEN_FLAGS;
		return kt_eat_octal(c, flags);
	}
	if (kt_eat(c, "mnt_id:\t")) {
		*bit = SEEN_MNT_ID;
		return kt_eat_int(c, mnt_id);
	}
	if (kt_eat(c, "ino:\t")) {
		*bit = SEEN_INO;
		return kt_eat_u64(c, ino);
	}
	return -1;
}

/*
 * Every line read by read_line, each known line at most once, all of the
 * needed ones present. Returns 0, or -EINVAL with err naming the line.
 */
static int parse_lines(const char *text, size_t len, line_fn read_line,
		       void *out, const char *kind, unsigned needed,
		       const char *needed_text, struct kt_parse_error *err)
{
	const char *p = text, *end = text + len;
	unsigned seen = 0;
	size_t line = 0;
	char what[64];
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	(void)snprintf(what, sizeof(what), "not a line of a %s's fdinfo", kind);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct kt_cursor c = {p, nl};
		unsigned bit = 0;

		line++;
		r = read_line(&c, out, &bit);
		if (r < 0)
			return kt_text_fail(err, line, p, nl, what);
		if (!r || !kt_at_end(&c))
			return kt_text_fail(err, line, p, nl,
					    "malformed value");
		if (seen & bit)
			return kt_text_fail(err, line, p, nl,
					    "line appears twice");
		seen |= bit;
		p = nl + 1;
	}
	if ((seen & needed) != needed) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "not a %s's fdinfo: lines missing (%s are "
			       "needed)",
			       kind, needed_text);
		return -EINVAL;
	}
	return 0;
}

static int timerfd_line(struct kt_cursor *c, void *arg, unsigned *bit)
{
	struct kt_fdinfo_timerfd *out = arg;
	int64_t pos;
	uint64_t ino;
	int mnt_id;
	int r = generic_line(c, &out->flags, &pos, &mnt_id, &ino, bit);

	if (r >= 0)
		return r;
	if (kt_eat(c, "clockid: ")) {
		*bit = SEEN_CLOCKID;
		return kt_eat_int(c, &out->clock);
	}
	if (kt_eat(c, "ticks: ")) {
		*bit = SEEN_TICKS;
		return kt_eat_u64(c, &out->ticks);
	}
	if (kt_eat(c, "settime flags: ")) {
		*bit = SEEN_SETTIME;
		return kt_eat_octal(c, &out->settime_flags);
	}
	if (kt_eat(c, "it_value: ")) {
		*bit = SEEN_VALUE;
		return eat_pair(c, &out->value);
	}
	if (kt_eat(c, "it_interval: ")) {
		*bit = SEEN_INTERVAL;
		return eat_pair(c, &out->interval);
	}
	return -1;
}

int kt_procfs_fdinfo_timerfd_parse(const char *text, size_t len,
				   struct kt_fdinfo_timerfd *ret,
				   struct kt_parse_error *err)
{
	struct kt_fdinfo_timerfd out = {0};
	int r = parse_lines(text, len, timerfd_line, &out, "timerfd",
			    TIMERFD_LINES,
			    "clockid, ticks, settime flags, it_value, "
			    "it_interval and flags",
			    err);

	if (r == 0)
		*ret = out;
	return r;
}

static int file_line(struct kt_cursor *c, void *arg, unsigned *bit)
{
	struct kt_fdinfo_file *out = arg;
	int r = generic_line(c, &out->flags, &out->pos, &out->mnt_id, &out->ino,
			     bit);

	if (r >= 0)
		return r;
	if (kt_eat(c, "lock:\t")) {
		/* The lock's own text is fs/locks.c's; we count. */
		out->locks++;
		c->p = c->end;
		return 1;
	}
	return -1;
}

int kt_procfs_fdinfo_file_parse(const char *text, size_t len,
				struct kt_fdinfo_file *ret,
				struct kt_parse_error *err)
{
	struct kt_fdinfo_file out = {.mnt_id = -1};
	int r = parse_lines(text, len, file_line, &out, "file",
			    SEEN_POS | SEEN_FLAGS, "pos and flags", err);

	if (r == 0)
		*ret = out;
	return r;
}
