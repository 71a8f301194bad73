/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/PID/timers parser on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/lib/procfs_timers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_proc_timer *timers = NULL;
	struct kt_parse_error err;
	size_t n = 0;
	int r;

	r = kt_procfs_timers_parse((const char *)data, size, &timers, &n, &err);
	if (r == 0) {
		/* Accepted text: four lines a timer, valid IDs. */
		size_t lines = 0;

		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (lines != 4 * n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (timers[i].id < 0 || timers[i].notify_pid < 0)
				abort();
		free(timers);
	} else if (r != -ENOMEM && err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	return 0;
}
