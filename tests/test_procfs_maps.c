/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/PID/maps parser: kernel text in, exact fields out; anything
 * else refused with the line named. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/lib/procfs_maps.h"
#include "kt_test.h"

static int parse(const char *text, struct kt_proc_map **m, size_t *n,
		 struct kt_parse_error *err)
{
	return kt_procfs_maps_parse(text, strlen(text), m, n, err);
}

/* Lines as Linux 6.18 wrote them (cat -A of real processes). */
static const char every_kind[] =
	"5628fb549000-5628fb54a000 r--p 00000000 fe:00 10953160                   /tmp/m\n"
	"5628fb54a000-5628fb54b000 r-xp 00001000 fe:00 10953160                   /tmp/m\n"
	"5628fb54d000-5628fb54e000 rw-p 00003000 fe:00 10953160                   /tmp/m\n"
	"5628fc41a000-5628fc43b000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f94b9738000-7f94b9739000 ---p 00000000 00:00 0 \n"
	"7f94b973a000-7f94b973b000 r--p 00000000 fe:00 10953303                   /tmp/del me\\012x (deleted)\n"
	"7f94b973b000-7f94b973c000 r--s 00000000 00:01 7408                       /memfd:my fd (deleted)\n"
	"7f94b973c000-7f94b973e000 rw-s 00000000 00:01 7407                       /dev/zero (deleted)\n"
	"7f94b973e000-7f94b9740000 rw-p 00000000 00:00 0                          [anon:my buffer]\n"
	"7f94b9740000-7f94b9744000 r--p 00000000 00:00 0                          [vvar]\n"
	"7f94b9744000-7f94b9746000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7f94b9746000-7f94b9748000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffd03aa0000-7ffd03ac1000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

Test(procfs_maps, every_kind_of_line, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_map *m = NULL;
	size_t n = 0;

	cr_assert_eq(parse(every_kind, &m, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 14);
	cr_expect_eq(m[0].start, 0x5628fb549000ULL);
	cr_expect_eq(m[0].end, 0x5628fb54a000ULL);
	cr_expect_eq(m[0].prot, KT_MAP_PROT_READ);
	cr_expect_not(m[0].shared);
	cr_expect_eq(m[0].dev_major, 0xfe);
	cr_expect_eq(m[0].dev_minor, 0);
	cr_expect_eq(m[0].inode, 10953160);
	cr_expect_eq(m[0].kind, KT_MAP_FILE);
	cr_expect_str_eq(m[0].name, "/tmp/m");
	cr_expect_not(m[0].deleted);
	cr_expect_eq(m[1].prot, KT_MAP_PROT_READ | KT_MAP_PROT_EXEC);
	cr_expect_eq(m[1].offset, 0x1000);
	cr_expect_eq(m[2].prot, KT_MAP_PROT_READ | KT_MAP_PROT_WRITE);
	cr_expect_eq(m[3].kind, KT_MAP_HEAP);
	cr_expect_str_eq(m[3].name, "[heap]");
	cr_expect_eq(m[4].kind, KT_MAP_ANON);
	cr_expect_eq(m[4].prot, 0);
	cr_expect_null(m[4].name);
	cr_expect_eq(m[5].kind, KT_MAP_FILE);
	cr_expect(m[5].deleted);
	cr_expect_str_eq(m[5].name, "/tmp/del me\\012x (deleted)");
	cr_expect(m[6].shared);
	cr_expect(m[6].deleted);
	cr_expect_eq(m[6].dev_minor, 1);
	cr_expect_str_eq(m[7].name, "/dev/zero (deleted)");
	cr_expect_eq(m[7].prot, KT_MAP_PROT_READ | KT_MAP_PROT_WRITE);
	cr_expect_eq(m[8].kind, KT_MAP_ANON);
	cr_expect_str_eq(m[8].name, "[anon:my buffer]");
	cr_expect_eq(m[9].kind, KT_MAP_VVAR);
	cr_expect_eq(m[10].kind, KT_MAP_VVAR_VCLOCK);
	cr_expect_eq(m[11].kind, KT_MAP_VDSO);
	cr_expect_eq(m[12].kind, KT_MAP_STACK);
	cr_expect_eq(m[13].kind, KT_MAP_VSYSCALL);
	cr_expect_eq(m[13].start, 0xffffffffff600000ULL);
	cr_expect_eq(m[13].prot, KT_MAP_PROT_EXEC);
	free(m);
}

Test(procfs_maps, empty_text_is_no_mappings, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_map *m = (void *)1;
	size_t n = 99;

	cr_assert_eq(parse("", &m, &n, &err), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(m);
}

/* A header longer than the padding column: the name after two spaces. */
Test(procfs_maps, long_header_has_no_padding, .timeout = 10)
{
	const char *text = "7f94b9738000-7f94b9739000 r--p 123456789abcd000 "
			   "fff:fffff 18446744073709551615  /a b\n";
	struct kt_parse_error err;
	struct kt_proc_map *m = NULL;
	size_t n = 0;

	cr_assert_eq(parse(text, &m, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 1);
	cr_expect_eq(m[0].offset, 0x123456789abcd000ULL);
	cr_expect_eq(m[0].dev_major, 0xfff);
	cr_expect_eq(m[0].dev_minor, 0xfffff);
	cr_expect_eq(m[0].inode, UINT64_MAX);
	cr_expect_str_eq(m[0].name, "/a b");
	free(m);
}

struct bad_case {
	const char *text;
	size_t line;
	const char *quote; /* expected in the message */
};

/* 33 spaces: after "INODE " of a 40-byte header, up to column 73 */
#define PAD  "                                 "
#define GOOD "00400000-00401000 r-xp 00000000 fe:00 5 " PAD "/bin/x\n"

Test(procfs_maps, malformed_text_names_the_line, .timeout = 10)
{
	static const struct bad_case cases[] = {
		/* no newline at the end */
		{"00400000-00401000 r-xp 00000000 fe:00 5", 1, "newline"},
		/* fewer than 8 digits, upper case, a superfluous zero */
		{"0400000-00401000 r-xp 00000000 fe:00 5 \n", 1, "0400000"},
		{"00400000-00401000 r-xp 00000000 FE:00 5 \n", 1, "FE:00"},
		{"000400000-00401000 r-xp 00000000 fe:00 5 \n", 1, "000400000"},
		{"00400000-00401000 r-xp 00000000 fe:0 5 \n", 1, "fe:0 "},
		{"00400000-00401000 r-xp 00000000 fe:00 05 \n", 1, " 05 "},
		/* permissions */
		{"00400000-00401000 rwxx 00000000 fe:00 5 \n", 1, "rwxx"},
		{"00400000-00401000 xr-p 00000000 fe:00 5 \n", 1, "xr-p"},
		/* no trailing space after the inode */
		{"00400000-00401000 r-xp 00000000 00:00 0\n", 1, "INODE"},
		/* two spaces between fields */
		{"00400000-00401000  r-xp 00000000 00:00 0 \n", 1, "  r-xp"},
		/* ranges */
		{"00401000-00400000 r-xp 00000000 00:00 0 \n", 1, "start <"},
		{"00400000-00400800 r-xp 00000000 00:00 0 \n", 1, "page"},
		{"00400000-00401000 r-xp 00000800 fe:00 5 \n", 1, "page"},
		{GOOD "00400000-00402000 r--p 00000000 00:00 0 \n", 2,
		 "overlaps"},
		{"00500000-00501000 r--p 00000000 00:00 0 \n" GOOD, 2,
		 "overlaps"},
		/* the name: column, kind */
		{"00400000-00401000 r-xp 00000000 fe:00 5 /bin/x\n", 1,
		 "column 74"},
		{"00400000-00401000 r-xp 00000000 fe:00 5  " PAD "/bin/x\n", 1,
		 "spaces before"},
		{"00400000-00401000 r-xp 00000000 fe:00 5" PAD "x /bin/x\n", 1,
		 "spaces before"},
		{"00400000-00401000 r-xp 00000000 fe:00 5 " PAD "bin/x\n", 1,
		 "name"},
		{"00400000-00401000 r-xp 00000000 00:00 0 " PAD "[hep]\n", 1,
		 "name"},
		{"00400000-00401000 r-xp 00000000 00:00 0 " PAD "[anon:]\n", 1,
		 "name"},
		/* a mapping without a file with a device or inode */
		{"00400000-00401000 r-xp 00000000 00:00 7 \n", 1, "without"},
		{"00400000-00401000 r-xp 00000000 00:00 0 " PAD "[heap]\n"
		 "00500000-00501000 r-xp 00001000 00:00 0 " PAD "[vdso]\n",
		 2, "without"},
		/* device numbers out of range */
		{"00400000-00401000 r-xp 00000000 1000:00 5 " PAD "/x\n", 1,
		 "device"},
		{"00400000-00401000 r-xp 00000000 00:100000 5 " PAD "/x\n", 1,
		 "device"},
		/* more than 16 hex digits */
		{"10000000000000000-10000000000001000 r-xp 00000000 00:00 0 \n",
		 1, "expected"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_parse_error err;
		struct kt_proc_map *m = (void *)1;
		size_t n = 99;

		cr_expect_eq(parse(cases[i].text, &m, &n, &err), -EINVAL,
			     "case %zu accepted", i);
		cr_expect_eq(err.line, cases[i].line, "case %zu: line %zu: %s",
			     i, err.line, err.msg);
		cr_expect_not_null(strstr(err.msg, cases[i].quote),
				   "case %zu: message \"%s\" lacks \"%s\"", i,
				   err.msg, cases[i].quote);
		cr_expect_eq(n, 99, "case %zu: output touched", i);
		cr_expect_eq(m, (void *)1, "case %zu: output touched", i);
	}
}

Test(procfs_maps, nul_byte_is_refused, .timeout = 10)
{
	const char text[] = "00400000-00401000 r-xp 00000000 00:00 0 \0\n";
	struct kt_parse_error err;
	struct kt_proc_map *m;
	size_t n;

	cr_assert_eq(kt_procfs_maps_parse(text, sizeof(text) - 1, &m, &n, &err),
		     -EINVAL);
	cr_expect_not_null(strstr(err.msg, "NUL byte at offset 40"), "%s",
			   err.msg);
}

/* The real thing: the maps of every process we can read parse, and our
 * own has the mappings we know we have. */
static void maps_parse(const char *path, const char *text, size_t len)
{
	struct kt_parse_error err;
	struct kt_proc_map *m = NULL;
	size_t n = 0;

	cr_expect_eq(kt_procfs_maps_parse(text, len, &m, &n, &err), 0, "%s: %s",
		     path, err.msg);
	free(m);
}

Test(procfs_maps, every_process_on_this_machine, .timeout = 30)
{
	static char text[1 << 20];

	cr_expect_gt(
		ktt_each_process_file("maps", text, sizeof(text), maps_parse),
		0);
}

Test(procfs_maps, our_own_mappings, .timeout = 10)
{
	static char text[1 << 20];
	struct kt_parse_error err;
	struct kt_proc_map *m = NULL;
	bool seen_anon = false, seen_shared = false, seen_vdso = false,
	     seen_stack = false;
	size_t n = 0;
	char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ssize_t len;

	cr_assert_neq(anon, MAP_FAILED);
	cr_assert_neq(shared, MAP_FAILED);
	/* the middle page on its own: a mapping of one page */
	cr_assert_eq(mprotect(anon + 4096, 4096, PROT_READ), 0);
	len = ktt_read_file("/proc/self/maps", text, sizeof(text));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_maps_parse(text, (size_t)len, &m, &n, &err), 0,
		     "%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		if (m[i].start == (uintptr_t)anon + 4096) {
			seen_anon = true;
			cr_expect_eq(m[i].end, (uintptr_t)anon + 8192);
			cr_expect_eq(m[i].prot, KT_MAP_PROT_READ);
			cr_expect_eq(m[i].kind, KT_MAP_ANON);
		}
		if (m[i].start == (uintptr_t)shared) {
			seen_shared = true;
			cr_expect(m[i].shared);
			cr_expect_eq(m[i].kind, KT_MAP_FILE);
			cr_expect_str_eq(m[i].name, "/dev/zero (deleted)");
		}
		seen_vdso |= m[i].kind == KT_MAP_VDSO;
		seen_stack |= m[i].kind == KT_MAP_STACK;
	}
	cr_expect(seen_anon && seen_shared && seen_vdso && seen_stack);
	free(m);
	munmap(anon, 3 * 4096);
	munmap(shared, 4096);
}
