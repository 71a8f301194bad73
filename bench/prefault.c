/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page faults out of the timed section. A fork()ed child shares its
 * parent's memory copy-on-write: the first write to each page of stack or
 * heap costs a page fault and a copy. Measured on the 6.18 test machine,
 * one or two such faults (the library's calloc() and free() landing on a
 * heap page the child had not written yet, a stack page below the
 * warm-up's) took the seed's explicit creation from about 2.4 us to 5-7 us.
 * A restorer pays such faults once at start-up, not per timer, so they are
 * taken here, before the clock starts, like real-time programs prefault
 * their stacks. Nothing here changes the kernel's timer state.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_internal.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Write to the stack below the caller's frame. */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char buf[32 * 1024];

	for (size_t i = 0; i < sizeof(buf); i += 512)
		buf[i] = 0;
}

/*
 * Break copy-on-write on the whole [heap] without changing a byte:
 * MADV_POPULATE_WRITE faults every page in writable. Skipped quietly when
 * the kernel lacks it (< 5.14) or /proc is not there: the timing is then
 * only a little worse, not wrong.
 */
static void prefault_heap(void)
{
	unsigned long start = 0, end = 0;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[heap]") &&
		    sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
		start = end = 0;
	}
	(void)fclose(f); /* read only: nothing to lose */
	if (end > start)
		(void)madvise((void *)start, end - start,
			      MADV_POPULATE_WRITE); /* best effort, see above */
}

void bench_prefault(void)
{
	prefault_stack();
	prefault_heap();
}
