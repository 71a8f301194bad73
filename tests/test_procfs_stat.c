/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parsers a dump adds: /proc/PID/stat, the Umask line of status, the
 * fdinfo of a plain file. Kernel text in, exact fields out; anything else
 * refused with the line named and the output untouched. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/lib/procfs_fdinfo.h"
#include "../src/lib/procfs_stat.h"
#include "kt_test.h"

/* A line of Linux 6.18 (cat's, comm changed to hold ") (" and a space). */
static const char stat_line[] =
	"24452 (c) (at x) R 24447 24447 18278 0 -1 4194304 100 0 0 0 0 0 0 0 "
	"20 0 1 0 453490 3133440 416 18446744073709551615 94564968382464 "
	"94564968402345 140730624061264 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
	"94564968418352 94564968419968 94565561528320 140730624063934 "
	"140730624063954 140730624063954 140730624065515 0\n";

Test(procfs_stat, fields_after_the_last_parenthesis, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_stat st;

	cr_assert_eq(
		kt_procfs_stat_parse(stat_line, strlen(stat_line), &st, &err),
		0, "%s", err.msg);
	cr_expect_eq(st.state, 'R');
	cr_expect_eq(st.start_code, 94564968382464ULL);
	cr_expect_eq(st.end_code, 94564968402345ULL);
	cr_expect_eq(st.start_stack, 140730624061264ULL);
	cr_expect_eq(st.start_data, 94564968418352ULL);
	cr_expect_eq(st.end_data, 94564968419968ULL);
	cr_expect_eq(st.start_brk, 94565561528320ULL);
	cr_expect_eq(st.arg_start, 140730624063934ULL);
	cr_expect_eq(st.arg_end, 140730624063954ULL);
	cr_expect_eq(st.env_start, 140730624063954ULL);
	cr_expect_eq(st.env_end, 140730624065515ULL);
}

Test(procfs_stat, our_own, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_stat st;
	char text[4096];
	ssize_t len = ktt_read_file("/proc/self/stat", text, sizeof(text));

	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_stat_parse(text, (size_t)len, &st, &err), 0,
		     "%s", err.msg);
	cr_expect_eq(st.state, 'R');
	cr_expect_lt(st.start_code, st.end_code);
	cr_expect_leq(st.arg_start, st.arg_end);
	cr_expect_eq(st.arg_end, st.env_start);
	cr_expect_geq((uintptr_t)sbrk(0), st.start_brk);
}

Test(procfs_stat, malformed_is_refused_and_output_untouched, .timeout = 10)
{
	static const char *const cases[] = {
		"",
		"24452 (cat) R 1 2 3\n", /* too few fields */
		"24452 (cat) R 1  2\n",
		"24452 (cat) 7 1 2\n",
		"24452 cat) R 1\n",
		"(cat) R 1\n",
		"24452 (cat) R 01\n",
		"24452 (cat) R +1\n",
		"24452 (cat) R 1 ",
		"24452 (cat) R -0\n",
		"24452 (cat) R 99999999999999999999\n",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_proc_stat st = {.state = '?'};
		struct kt_parse_error err;

		cr_expect_eq(kt_procfs_stat_parse(cases[i], strlen(cases[i]),
						  &st, &err),
			     -EINVAL, "case %zu accepted", i);
		cr_expect_neq(err.msg[0], '\0', "case %zu: no reason", i);
		cr_expect_eq(st.state, '?', "case %zu: output touched", i);
	}
}

Test(procfs_stat, umask_line, .timeout = 10)
{
	struct kt_parse_error err;
	unsigned mask = 1;
	char text[8192];
	ssize_t len;

	cr_assert_eq(kt_procfs_status_umask("Name:\tx\nUmask:\t0022\n", 20,
					    &mask, &err),
		     0, "%s", err.msg);
	cr_expect_eq(mask, 022);
	cr_assert_eq(kt_procfs_status_umask("Umask:\t0000\n", 12, &mask, &err),
		     0);
	cr_expect_eq(mask, 0);
	cr_expect_eq(kt_procfs_status_umask("Name:\tx\n", 8, &mask, &err),
		     -ENOENT);
	cr_expect_eq(kt_procfs_status_umask("Umask:\t022\n", 11, &mask, &err),
		     -EINVAL);
	cr_expect_eq(err.line, 1);
	cr_expect_eq(kt_procfs_status_umask("Umask:\t0028\n", 12, &mask, &err),
		     -EINVAL);
	cr_expect_eq(kt_procfs_status_umask("Umask:\t0022\nUmask:\t0022\n", 24,
					    &mask, &err),
		     -EINVAL);
	cr_expect_not_null(strstr(err.msg, "twice"), "%s", err.msg);
	cr_expect_eq(mask, 0, "untouched on failure");

	umask(027);
	len = ktt_read_file("/proc/self/status", text, sizeof(text));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_status_umask(text, (size_t)len, &mask, &err), 0,
		     "%s", err.msg);
	cr_expect_eq(mask, 027);
}

Test(procfs_stat, fdinfo_of_a_file, .timeout = 10)
{
	const char *text = "pos:\t1234\n"
			   "flags:\t0102002\n"
			   "mnt_id:\t25\n"
			   "ino:\t7\n"
			   "lock:\t1: POSIX  ADVISORY  WRITE 1 fe:00:7 0 EOF\n";
	struct kt_fdinfo_file f;
	struct kt_parse_error err;
	char path[64], buf[512];
	ssize_t len;
	int fd;

	cr_assert_eq(kt_procfs_fdinfo_file_parse(text, strlen(text), &f, &err),
		     0, "%s", err.msg);
	cr_expect_eq(f.pos, 1234);
	cr_expect_eq(f.flags, 0102002u);
	cr_expect_eq(f.mnt_id, 25);
	cr_expect_eq(f.ino, 7);
	cr_expect_eq(f.locks, 1);

	/* Ours, as the kernel writes it. */
	fd = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	len = ktt_read_file(path, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_fdinfo_file_parse(buf, (size_t)len, &f, &err), 0,
		     "%s", err.msg);
	cr_expect_eq(f.flags & (O_ACCMODE | O_APPEND | O_CLOEXEC),
		     O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_expect_eq(f.locks, 0);
	close(fd);
}

Test(procfs_stat, fdinfo_of_a_file_malformed, .timeout = 10)
{
	static const struct {
		const char *text;
		size_t line;
		const char *quote;
	} cases[] = {
		{"pos:\t0\nflags:\t02\neventfd-count: 0\n", 3, "eventfd"},
		{"pos:\t0\npos:\t0\nflags:\t02\n", 2, "twice"},
		{"pos:\t-0\nflags:\t02\n", 1, "pos"},
		{"pos:\t0\nflags:\t2\n", 2, "flags"},
		{"pos:\t0\n", 0, "pos and flags"},
		{"pos:\t0\nflags:\t02", 2, "newline"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_fdinfo_file f = {.pos = 99};
		struct kt_parse_error err;

		cr_expect_eq(kt_procfs_fdinfo_file_parse(cases[i].text,
							 strlen(cases[i].text),
							 &f, &err),
			     -EINVAL, "case %zu accepted", i);
		cr_expect_eq(err.line, cases[i].line, "case %zu: %s", i,
			     err.msg);
		cr_expect_not_null(strstr(err.msg, cases[i].quote),
				   "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
				   cases[i].quote);
		cr_expect_eq(f.pos, 99, "case %zu: output touched", i);
	}
}
