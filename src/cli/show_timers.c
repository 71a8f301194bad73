/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Showing /proc/self/timers: four lines per timer (ID, signal, notify,
 * ClockID), newest first, as the kernel writes them. Printed verbatim so
 * that what the user sees is the kernel's word, not ours.
 */
#include <errno.h>
#include <string.h>

#include "show_timers.h"

#define PROC_TIMERS "/proc/self/timers"

int show_proc_timers(FILE *out, const char *when)
{
	unsigned lines = 0;
	char line[512];
	int err = 0;
	FILE *f;

	fprintf(out, "%s %s:\n", PROC_TIMERS, when);
	f = fopen(PROC_TIMERS, "re");
	if (!f) {
		fprintf(out, "  (cannot be read: %s)\n", strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		fprintf(out, "  %s", line);
		if (!strchr(line, '\n'))
			fputc('\n', out);
		lines++;
	}
	if (ferror(f))
		err = -EIO;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	if (lines == 0 && err == 0)
		fputs("  (no timers)\n", out);
	return err;
}
