/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "procfs_timers.h"
#include "text.h"

static int parse_record(const char **lines, const char **ends, size_t first,
			struct kt_proc_timer *t, struct kt_parse_error *err)
{
	struct kt_cursor c;
	int v;

	c = (struct kt_cursor){lines[0], ends[0]};
	if (!kt_eat(&c, "ID: ") || !kt_eat_int(&c, &t->id) || !kt_at_end(&c) ||
	    t->id < 0)
		return kt_text_fail(err, first, lines[0], ends[0],
				    "expected \"ID: <0..2147483647>\"");

	c = (struct kt_cursor){lines[1], ends[1]};
	if (!kt_eat(&c, "signal: ") || !kt_eat_int(&c, &t->signo) ||
	    !kt_eat(&c, "/") || !kt_eat_ptr(&c, &t->sival) || !kt_at_end(&c))
		return kt_text_fail(err, first + 1, lines[1], ends[1],
				    "expected \"signal: <signo>/<hex value>\"");

	c = (struct kt_cursor){lines[2], ends[2]};
	if (!kt_eat(&c, "notify: "))
		goto bad_notify;
	if (kt_eat(&c, "signal/"))
		v = SIGEV_SIGNAL;
	else if (kt_eat(&c, "none/"))
		v = SIGEV_NONE;
	else if (kt_eat(&c, "thread/"))
		v = SIGEV_THREAD;
	else
		goto bad_notify;
	if (kt_eat(&c, "tid.")) {
		/* The kernel accepts SIGEV_THREAD_ID only with SIGEV_SIGNAL. */
		if (v != SIGEV_SIGNAL)
			goto bad_notify;
		v |= SIGEV_THREAD_ID;
	} else if (!kt_eat(&c, "pid.")) {
		goto bad_notify;
	}
	if (!kt_eat_int(&c, &t->notify_pid) || t->notify_pid < 0 ||
	    !kt_at_end(&c))
		goto bad_notify;
	t->notify = v;

	c = (struct kt_cursor){lines[3], ends[3]};
	if (!kt_eat(&c, "ClockID: ") || !kt_eat_int(&c, &t->clock) ||
	    !kt_at_end(&c))
		return kt_text_fail(err, first + 3, lines[3], ends[3],
				    "expected \"ClockID: <clock id>\"");
	return 0;

bad_notify:
	return kt_text_fail(
		err, first + 2, lines[2], ends[2],
		"expected \"notify: signal|none|thread/pid.<n>\" or "
		"\"notify: signal/tid.<n>\"");
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The kernel lists each timer once; a repeated ID is not its text. */
static int check_unique(const struct kt_proc_timer *timers, size_t n,
			struct kt_parse_error *err)
{
	int *ids;
	int r = 0;

	if (n < 2)
		return 0;
	ids = malloc(n * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ids[i] = timers[i].id;
	qsort(ids, n, sizeof(*ids), cmp_int);
	for (size_t i = 1; i < n; i++) {
		if (ids[i] != ids[i - 1])
			continue;
		for (size_t j = 0; j < n; j++) {
			if (timers[j].id == ids[i]) {
				err->line = 4 * j + 1;
				break;
			}
		}
		(void)snprintf(err->msg, sizeof(err->msg),
			       "line %zu: timer ID %d is listed more than once",
			       err->line, ids[i]);
		r = -EINVAL;
		break;
	}
	free(ids);
	return r;
}

int kt_procfs_timers_parse(const char *text, size_t len,
			   struct kt_proc_timer **ret_timers, size_t *ret_n,
			   struct kt_parse_error *err)
{
	struct kt_proc_timer *timers = NULL;
	const char *p = text, *end = text + len;
	size_t n = 0, cap = 0, line = 1;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;

	while (p < end) {
		const char *lines[4], *ends[4];

		for (int i = 0; i < 4; i++) {
			const char *nl;

			if (p >= end) {
				r = kt_text_fail(
					err, line + i, end, end,
					"truncated record: the kernel writes 4 lines per timer");
				goto out_free;
			}
			nl = memchr(p, '\n', (size_t)(end - p));
			lines[i] = p;
			ends[i] = nl;
			p = nl + 1;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct kt_proc_timer *t =
				reallocarray(timers, ncap, sizeof(*t));

			if (!t) {
				r = -ENOMEM;
				goto out_free;
			}
			timers = t;
			cap = ncap;
		}
		r = parse_record(lines, ends, line, &timers[n], err);
		if (r < 0)
			goto out_free;
		n++;
		line += 4;
	}
	r = check_unique(timers, n, err);
	if (r < 0)
		goto out_free;
	*ret_timers = timers;
	*ret_n = n;
	return 0;

out_free:
	free(timers);
	return r;
}
