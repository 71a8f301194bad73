/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/PID/smaps parser: each mapping's range and the VmFlags a
 * restore needs out of kernel text; anything else refused with the line
 * named. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/lib/procfs_maps.h"
#include "../src/lib/procfs_smaps.h"
#include "kt_test.h"

static int parse(const char *text, struct kt_proc_smap **m, size_t *n,
		 struct kt_parse_error *err)
{
	return kt_procfs_smaps_parse(text, strlen(text), m, n, err);
}

/* A mapping as Linux 6.18 shows it: its header, the fields, VmFlags. */
static size_t add_mapping(char *buf, size_t used, size_t len,
			  const char *header, uint64_t size_kb,
			  const char *extra, const char *flags)
{
	static const char *const zero_fields[] = {
		"Pss",		 "Pss_Dirty",	   "Shared_Clean",
		"Shared_Dirty",	 "Private_Clean",  "Private_Dirty",
		"Referenced",	 "Anonymous",	   "KSM",
		"LazyFree",	 "AnonHugePages",  "ShmemPmdMapped",
		"FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
		"Swap",		 "SwapPss",	   "Locked",
	};

	used += (size_t)snprintf(buf + used, len - used,
				 "%s\n"
				 "Size:           %8llu kB\n"
				 "KernelPageSize:        4 kB\n"
				 "MMUPageSize:           4 kB\n"
				 "Rss:                   4 kB\n",
				 header, (unsigned long long)size_kb);
	for (size_t i = 0; i < sizeof(zero_fields) / sizeof(zero_fields[0]);
	     i++)
		used += (size_t)snprintf(
			buf + used, len - used, "%s:%*s0 kB\n", zero_fields[i],
			(int)(22 - strlen(zero_fields[i])), "");
	used += (size_t)snprintf(buf + used, len - used,
				 "THPeligible:           0\n%sVmFlags: %s\n",
				 extra, flags);
	cr_assert_lt(used, len);
	return used;
}

/*
 * Mappings as Linux 6.18 showed them: a file, an ASan process's shadow
 * (MAP_NORESERVE, MADV_DONTDUMP, MADV_NOHUGEPAGE), each other madvise
 * advice, flags the parser does not know, a mapping without any flag,
 * and a ProtectionKey line as kernels with pkeys add.
 */
Test(procfs_smaps, every_flag_it_needs, .timeout = 10)
{
	static const struct {
		const char *header;
		uint64_t size_kb;
		const char *extra, *flags;
	} in[] = {
		{"00400000-00401000 r--p 00000000 fe:00 10994960                "
		 "           /tmp/smapsx/pstatic",
		 4, "ProtectionKey:         0\n", "rd mr mw me "},
		{"7fff7000-8fff7000 rw-p 00000000 00:00 0 ", 262144, "",
		 "rd wr mr mw me nr dd nh "},
		{"2008fff7000-10007fff8000 rw-p 00000000 00:00 0 ",
		 15032123396ULL, "", "rd wr mr mw me nr dd nh "},
		{"7f49aac00000-7f49ab000000 rw-p 00000000 00:00 0 ", 4096, "",
		 "rd wr mr mw me ac hg "},
		{"7f49ab000000-7f49ab400000 rw-p 00000000 00:00 0 ", 4096, "",
		 "rd wr mr mw me ac wf "},
		{"7f49ab400000-7f49ab800000 rw-p 00000000 00:00 0 ", 4096, "",
		 "rd wr mr mw me dc ac zz 9q "},
		{"7f49ab800000-7f49ab801000 ---p 00000000 00:00 0 ", 4, "", ""},
	};
	static char text[16384];
	struct kt_parse_error err;
	struct kt_proc_smap *m = NULL;
	size_t n = 0, used = 0;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		used = add_mapping(text, used, sizeof(text), in[i].header,
				   in[i].size_kb, in[i].extra, in[i].flags);
	cr_assert_eq(parse(text, &m, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 7);
	cr_expect_eq(m[0].start, 0x400000);
	cr_expect_eq(m[0].end, 0x401000);
	cr_expect_eq(m[0].flags, 0);
	cr_expect_eq(m[1].start, 0x7fff7000);
	cr_expect_eq(m[1].flags,
		     KT_SMAP_NORESERVE | KT_SMAP_DONTDUMP | KT_SMAP_NOHUGEPAGE);
	cr_expect_eq(m[2].start, 0x2008fff7000ULL);
	cr_expect_eq(m[2].end, 0x10007fff8000ULL);
	cr_expect_eq(m[2].flags,
		     KT_SMAP_NORESERVE | KT_SMAP_DONTDUMP | KT_SMAP_NOHUGEPAGE);
	cr_expect_eq(m[3].flags, KT_SMAP_HUGEPAGE);
	cr_expect_eq(m[4].flags, KT_SMAP_WIPEONFORK);
	cr_expect_eq(m[5].flags, KT_SMAP_DONTCOPY);
	cr_expect_eq(m[6].flags, 0);
	free(m);
}

Test(procfs_smaps, empty_text_is_no_mappings, .timeout = 10)
{
	struct kt_parse_error err;
	struct kt_proc_smap *m = (void *)1;
	size_t n = 99;

	cr_assert_eq(parse("", &m, &n, &err), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(m);
}

/* Fields the parser does not know, VmFlags anywhere after the header, no
 * Size line: accepted (kernels add and move things). */
Test(procfs_smaps, unknown_fields_and_order, .timeout = 10)
{
	const char *text = "00400000-00402000 rw-p 00000000 00:00 0 \n"
			   "VmFlags: dc \n"
			   "Future_Field:          7 kB\n"
			   "AnotherOne9:  123\n"
			   "00402000-00403000 rw-p 00000000 00:00 0 \n"
			   "VmFlags: nr \n";
	struct kt_parse_error err;
	struct kt_proc_smap *m = NULL;
	size_t n = 0;

	cr_assert_eq(parse(text, &m, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_expect_eq(m[0].flags, KT_SMAP_DONTCOPY);
	cr_expect_eq(m[1].start, 0x402000);
	cr_expect_eq(m[1].flags, KT_SMAP_NORESERVE);
	free(m);
}

struct bad_case {
	const char *text;
	size_t line;
	const char *quote; /* expected in the message */
};

#define HDR   "00400000-00401000 rw-p 00000000 00:00 0 \n"
#define HDR2  "00401000-00402000 rw-p 00000000 00:00 0 \n"
#define SIZE  "Size:                  4 kB\n"
#define FLAGS "VmFlags: rd wr \n"

Test(procfs_smaps, malformed_text_names_the_line, .timeout = 10)
{
	static const struct bad_case cases[] = {
		/* no newline at the end */
		{HDR SIZE "VmFlags: rd wr ", 3, "newline"},
		/* a field before any mapping */
		{SIZE HDR FLAGS, 1, "before the first mapping"},
		{"Size:                  4 kB\n", 1, "before the first"},
		/* the header is a maps line, strictly */
		{"0400000-00401000 rw-p 00000000 00:00 0 \n" FLAGS, 1,
		 "0400000"},
		{HDR FLAGS "00400000-00402000 rw-p 00000000 00:00 0 \n" FLAGS,
		 3, "overlaps"},
		{"00400000-00401000 rw-p 00000000 00:00 0 [heap]\n" FLAGS, 1,
		 "column 74"},
		{" 00400000-00401000 rw-p 00000000 00:00 0 \n" FLAGS, 1,
		 "expected \"START-END"},
		{HDR "size:                  4 kB\n" FLAGS, 2, "START-END"},
		/* VmFlags: none, two, or not as the kernel writes them */
		{HDR SIZE, 1, "no VmFlags line"},
		{HDR SIZE HDR2 FLAGS, 1, "no VmFlags line"},
		{HDR FLAGS HDR2 SIZE, 3, "no VmFlags line"},
		{HDR FLAGS FLAGS, 3, "a second VmFlags"},
		{HDR "VmFlags: rd wr\n", 2, "two-letter flags"},
		{HDR "VmFlags:  rd \n", 2, "two-letter flags"},
		{HDR "VmFlags: rd  wr \n", 2, "two-letter flags"},
		{HDR "VmFlags: RD \n", 2, "two-letter flags"},
		{HDR "VmFlags: r- \n", 2, "two-letter flags"},
		{HDR "VmFlags: rdw \n", 2, "two-letter flags"},
		{HDR "VmFlags:rd \n", 2, "expected \"VmFlags: \""},
		{HDR "VmFlags:\n", 2, "expected \"VmFlags: \""},
		/* fields: "Key:", spaces, a decimal, maybe " kB" */
		{HDR "Rss:\n" FLAGS, 2, "Key: VALUE kB"},
		{HDR "Rss:8 kB\n" FLAGS, 2, "Key: VALUE kB"},
		{HDR "Rss 8 kB\n" FLAGS, 2, "Key: VALUE kB"},
		{HDR "Rs-s:   8 kB\n" FLAGS, 2, "Key: VALUE kB"},
		{HDR "Rss:    \n" FLAGS, 2, "decimal value"},
		{HDR "Rss:   -8 kB\n" FLAGS, 2, "decimal value"},
		{HDR "Rss:   08 kB\n" FLAGS, 2, "decimal value"},
		{HDR "Rss:    8kB\n" FLAGS, 2, "end of the line"},
		{HDR "Rss:    8 kB \n" FLAGS, 2, "end of the line"},
		{HDR "Rss:    8 MB\n" FLAGS, 2, "end of the line"},
		{HDR "Rss:    18446744073709551616 kB\n" FLAGS, 2,
		 "decimal value"},
		{HDR "Rss:\t8 kB\n" FLAGS, 2, "Key: VALUE kB"},
		/* Size is the range's, once */
		{HDR "Size:                  8 kB\n" FLAGS, 2, "Size is not"},
		{HDR "Size:                  4\n" FLAGS, 2, "Size is not"},
		{HDR SIZE SIZE FLAGS, 3, "a second Size"},
		/* an empty line */
		{HDR FLAGS "\n", 3, "START-END"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_parse_error err;
		struct kt_proc_smap *m = (void *)1;
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

Test(procfs_smaps, nul_byte_is_refused, .timeout = 10)
{
	const char text[] = HDR "VmFlags: rd \0\n";
	struct kt_parse_error err;
	struct kt_proc_smap *m;
	size_t n;

	cr_assert_eq(
		kt_procfs_smaps_parse(text, sizeof(text) - 1, &m, &n, &err),
		-EINVAL);
	cr_expect_not_null(strstr(err.msg, "NUL byte at offset 53"), "%s",
			   err.msg);
}

/* The real thing: the smaps of every process we can read parse. */
static void smaps_parse(const char *path, const char *text, size_t len)
{
	struct kt_parse_error err;
	struct kt_proc_smap *m = NULL;
	size_t n = 0;

	cr_expect_eq(kt_procfs_smaps_parse(text, len, &m, &n, &err), 0,
		     "%s: %s", path, err.msg);
	free(m);
}

Test(procfs_smaps, every_process_on_this_machine, .timeout = 60)
{
	static char text[8 << 20];

	cr_expect_gt(
		ktt_each_process_file("smaps", text, sizeof(text), smaps_parse),
		0);
}

/* Our own mappings with each flag set, and the same ranges as maps. */
Test(procfs_smaps, our_own_flags, .timeout = 10)
{
	static char text[8 << 20], maps_text[1 << 20];
	static const struct {
		int advice;
		unsigned flag;
	} adv[] = {
		{MADV_DONTFORK, KT_SMAP_DONTCOPY},
		{MADV_WIPEONFORK, KT_SMAP_WIPEONFORK},
		{MADV_DONTDUMP, KT_SMAP_DONTDUMP},
		{MADV_HUGEPAGE, KT_SMAP_HUGEPAGE},
		{MADV_NOHUGEPAGE, KT_SMAP_NOHUGEPAGE},
	};
	enum { N = sizeof(adv) / sizeof(adv[0]) };
	struct kt_parse_error err;
	struct kt_proc_smap *m = NULL;
	struct kt_proc_map *maps = NULL;
	size_t n = 0, n_maps = 0;
	char *p[N + 1];
	unsigned want[N + 1];
	bool seen[N + 1] = {false};
	ssize_t len;

	/* One page of guard between them, so that none merges. */
	char *area = mmap(NULL, (2 * N + 2) * 4096, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(area, MAP_FAILED);
	for (size_t i = 0; i < N; i++) {
		p[i] = area + (2 * i + 1) * 4096;
		cr_assert_eq(mprotect(p[i], 4096, PROT_READ | PROT_WRITE), 0);
		want[i] = adv[i].flag;
		if (madvise(p[i], 4096, adv[i].advice) < 0) {
			/* No transparent huge pages here: EINVAL. */
			cr_assert_eq(errno, EINVAL);
			cr_assert(adv[i].advice == MADV_HUGEPAGE ||
				  adv[i].advice == MADV_NOHUGEPAGE);
			want[i] = 0;
		}
	}
	p[N] = mmap(NULL, 1ULL << 40, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(p[N], MAP_FAILED);
	p[N][0] = 1;
	want[N] = KT_SMAP_NORESERVE;

	len = ktt_read_file("/proc/self/smaps", text, sizeof(text));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_smaps_parse(text, (size_t)len, &m, &n, &err), 0,
		     "%s", err.msg);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k <= N; k++)
			if (m[i].start == (uintptr_t)p[k]) {
				seen[k] = true;
				cr_expect_eq(m[i].flags, want[k],
					     "mapping %zu: 0x%x, not 0x%x", k,
					     m[i].flags, want[k]);
			}
	for (size_t k = 0; k <= N; k++)
		cr_expect(seen[k], "mapping %zu not in smaps", k);

	/* maps right after: the same ranges (nothing maps meanwhile). */
	len = ktt_read_file("/proc/self/maps", maps_text, sizeof(maps_text));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_maps_parse(maps_text, (size_t)len, &maps,
					  &n_maps, &err),
		     0, "%s", err.msg);
	cr_expect_eq(n_maps, n);
	for (size_t i = 0; i < n && i < n_maps; i++)
		cr_expect(maps[i].start == m[i].start &&
				  maps[i].end == m[i].end,
			  "mapping %zu differs", i);
	free(maps);
	free(m);
	munmap(area, (2 * N + 2) * 4096);
	munmap(p[N], 1ULL << 40);
}
