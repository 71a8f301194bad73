/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/PID/maps parser on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/procfs_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_proc_map *maps = NULL;
	struct kt_parse_error err;
	size_t n = 0;
	int r;

	r = kt_procfs_maps_parse((const char *)data, size, &maps, &n, &err);
	if (r == 0) {
		/* Accepted text: a line a mapping, ascending page-aligned
		 * ranges, names inside the text's bytes. */
		size_t lines = 0;

		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (lines != n)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (maps[i].start >= maps[i].end ||
			    maps[i].start % 4096 || maps[i].end % 4096 ||
			    (i > 0 && maps[i].start < maps[i - 1].end))
				abort();
			if (maps[i].name &&
			    (!*maps[i].name || strlen(maps[i].name) >= size))
				abort();
			if (maps[i].kind < KT_MAP_ANON ||
			    maps[i].kind > KT_MAP_ANON_INODE)
				abort();
		}
		free(maps);
	} else if (r != -ENOMEM && err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	return 0;
}
