/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/PID/timers parser: kernel text in, exact fields out; anything
 * else refused with the line named. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/procfs_fdinfo.h"
#include "../src/lib/procfs_timers.h"

static int parse(const char *text, struct kt_proc_timer **t, size_t *n,
		 struct kt_parse_error *err)
{
	return kt_procfs_timers_parse(text, strlen(text), t, n, err);
}

Test(procfs, every_notify_kind, .timeout = 10)
{
	const char *text = "ID: 5\n"
			   "signal: 10/0000000000000000\n"
			   "notify: signal/pid.4369\n"
			   "ClockID: -14\n"
			   "ID: 4\n"
			   "signal: 10/0000deadbeefcafe\n"
			   "notify: signal/tid.4370\n"
			   "ClockID: -6\n"
			   "ID: 3\n"
			   "signal: 10/ffffffffffffffff\n"
			   "notify: thread/pid.1\n"
			   "ClockID: 11\n"
			   "ID: 2147483647\n"
			   "signal: 12345/(null)\n"
			   "notify: none/pid.0\n"
			   "ClockID: 7\n";
	struct kt_parse_error err;
	struct kt_proc_timer *t = NULL;
	size_t n = 0;

	cr_assert_eq(parse(text, &t, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 4);
	cr_expect_eq(t[0].id, 5);
	cr_expect_eq(t[0].signo, 10);
	cr_expect_eq(t[0].sival, 0);
	cr_expect_eq(t[0].notify, SIGEV_SIGNAL);
	cr_expect_eq(t[0].notify_pid, 4369);
	cr_expect_eq(t[0].clock, -14);
	cr_expect_eq(t[1].notify, SIGEV_SIGNAL | SIGEV_THREAD_ID);
	cr_expect_eq(t[1].notify_pid, 4370);
	cr_expect_eq(t[1].sival, 0xdeadbeefcafeULL);
	cr_expect_eq(t[2].notify, SIGEV_THREAD);
	cr_expect_eq(t[2].sival, UINT64_MAX);
	cr_expect_eq(t[2].clock, 11);
	cr_expect_eq(t[3].id, 2147483647);
	cr_expect_eq(t[3].signo, 12345);
	cr_expect_eq(t[3].notify, SIGEV_NONE);
	cr_expect_eq(t[3].sival, 0);
	free(t);
}

Test(procfs, empty_text_is_no_timers, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_timer *t = (void *)1;
	size_t n = 99;

	cr_assert_eq(parse("", &t, &n, &err), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(t);
}

struct bad_case {
	const char *text;
	size_t line;
	const char *quote; /* expected in the message */
};

Test(procfs, malformed_text_names_the_line, .timeout = 10)
{
	static const struct bad_case cases[] = {
		{"ID: 1\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1", 4,
		 "ClockID: 1"},
		{"ID: -1\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n", 1,
		 "ID: -1"},
		{"ID: 01\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n", 1,
		 "ID: 01"},
		{"ID: 2147483648\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n",
		 1, "2147483648"},
		{"ID:  1\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n", 1,
		 "ID:  1"},
		{"ID: 1\nsignal: 14/00000000000000000\nnotify: signal/pid.1\nClockID: 1\n",
		 2, "signal: 14/"},
		{"ID: 1\nsignal: 14/\nnotify: signal/pid.1\nClockID: 1\n", 2,
		 "signal: 14/"},
		{"ID: 1\nsignal: +14/0\nnotify: signal/pid.1\nClockID: 1\n", 2,
		 "+14"},
		{"ID: 1\nsignal: 14/0\nnotify: none/tid.1\nClockID: 1\n", 3,
		 "none/tid.1"},
		{"ID: 1\nsignal: 14/0\nnotify: bogus/pid.1\nClockID: 1\n", 3,
		 "bogus"},
		{"ID: 1\nsignal: 14/0\nnotify: signal/pid.-3\nClockID: 1\n", 3,
		 "pid.-3"},
		{"ID: 1\nsignal: 14/0\nnotify: signal/pid.1 \nClockID: 1\n", 3,
		 "pid.1 "},
		{"ID: 1\nsignal: 14/0\nnotify: signal/pid.1\nClock: 1\n", 4,
		 "Clock: 1"},
		{"ID: 1\nsignal: 14/0\n", 3, "truncated"},
		{"ID: 1\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n"
		 "ID: 1\nsignal: 14/0\nnotify: signal/pid.1\nClockID: 1\n",
		 1, "listed more than once"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_parse_error err;
		struct kt_proc_timer *t = (void *)1;
		size_t n = 99;

		cr_expect_eq(parse(cases[i].text, &t, &n, &err), -EINVAL,
			     "case %zu accepted", i);
		cr_expect_eq(err.line, cases[i].line, "case %zu: line %zu: %s",
			     i, err.line, err.msg);
		cr_expect_not_null(strstr(err.msg, cases[i].quote),
				   "case %zu: message \"%s\" lacks \"%s\"", i,
				   err.msg, cases[i].quote);
		cr_expect_eq(n, 99, "case %zu: output touched", i);
		cr_expect_eq(t, (void *)1, "case %zu: output touched", i);
	}
}

Test(procfs, nul_byte_is_refused, .timeout = 10)
{
	const char text[] =
		"ID: 1\nsignal: 14/0\nnotify: signal/pid.1\0\nClockID: 1\n";
	struct kt_parse_error err;
	struct kt_proc_timer *t;
	size_t n;

	cr_assert_eq(
		kt_procfs_timers_parse(text, sizeof(text) - 1, &t, &n, &err),
		-EINVAL);
	cr_expect_not_null(strstr(err.msg, "NUL byte at offset 39"), "%s",
			   err.msg);
}

static int parse_fdinfo(const char *text, struct kt_fdinfo_timerfd *out,
			struct kt_parse_error *err)
{
	return kt_procfs_fdinfo_timerfd_parse(text, strlen(text), out, err);
}

Test(fdinfo, timerfd_as_the_kernel_writes_it, .timeout = 10)
{
	const char *text = "pos:\t0\n"
			   "flags:\t02004002\n"
			   "mnt_id:\t17\n"
			   "ino:\t1039\n"
			   "clockid: 7\n"
			   "ticks: 18446744073709551615\n"
			   "settime flags: 03\n"
			   "it_value: (4, 545408171)\n"
			   "it_interval: (0, 1000000)\n";
	struct kt_fdinfo_timerfd t;
	struct kt_parse_error err;

	cr_assert_eq(parse_fdinfo(text, &t, &err), 0, "%s", err.msg);
	cr_expect_eq(t.flags, 02004002u);
	cr_expect_eq(t.clock, 7);
	cr_expect_eq(t.ticks, UINT64_MAX);
	cr_expect_eq(t.settime_flags, 3u);
	cr_expect_eq(t.value.tv_sec, 4);
	cr_expect_eq(t.value.tv_nsec, 545408171);
	cr_expect_eq(t.interval.tv_sec, 0);
	cr_expect_eq(t.interval.tv_nsec, 1000000);
}

Test(fdinfo, malformed_or_foreign_text_is_refused, .timeout = 10)
{
	static const struct bad_case cases[] = {
		/* an eventfd, not a timerfd */
		{"pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1\neventfd-count:"
		 " 0\n",
		 5, "eventfd-count"},
		{"flags:\t2\nclockid: 1\n", 1, "flags:"}, /* not 0%o */
		{"flags:\t02\nclockid: 1\nticks: 0\nsettime flags: 00\n"
		 "it_value: (0, 1000000000)\nit_interval: (0, 0)\n",
		 5, "1000000000"},
		{"flags:\t02\nclockid: 1\nticks: -1\n", 3, "ticks: -1"},
		{"flags:\t02\nclockid: 1\nclockid: 1\n", 3, "twice"},
		{"flags:\t02\nclockid: 1\nticks: 0\nsettime flags: 08\n", 4,
		 "settime flags: 08"},
		{"flags:\t02\nclockid: 1\nticks: 0\nsettime flags: 00\n"
		 "it_value: (0,0)\nit_interval: (0, 0)\n",
		 5, "(0,0)"},
		{"flags:\t02\nclockid: 1\nticks: 0\n", 0, "lines missing"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_fdinfo_timerfd t = {.clock = 99};
		struct kt_parse_error err;

		cr_expect_eq(parse_fdinfo(cases[i].text, &t, &err), -EINVAL,
			     "case %zu accepted", i);
		cr_expect_eq(err.line, cases[i].line, "case %zu: %s", i,
			     err.msg);
		cr_expect_not_null(strstr(err.msg, cases[i].quote),
				   "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
				   cases[i].quote);
		cr_expect_eq(t.clock, 99, "case %zu: output touched", i);
	}
}
