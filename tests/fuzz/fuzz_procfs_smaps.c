/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/PID/smaps parser on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/procfs_smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KNOWN                                                                  \
	(KT_SMAP_NORESERVE | KT_SMAP_DONTCOPY | KT_SMAP_WIPEONFORK |           \
	 KT_SMAP_DONTDUMP | KT_SMAP_HUGEPAGE | KT_SMAP_NOHUGEPAGE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_proc_smap *maps = NULL;
	struct kt_parse_error err;
	size_t n = 0;
	int r;

	r = kt_procfs_smaps_parse((const char *)data, size, &maps, &n, &err);
	if (r == 0) {
		/* Accepted text: one VmFlags line a mapping, ascending
		 * page-aligned ranges, only the flags the parser knows. */
		size_t vmflags = 0;

		for (size_t i = 0; i + 8 <= size; i++)
			vmflags += (i == 0 || data[i - 1] == '\n') &&
				   memcmp(data + i, "VmFlags:", 8) == 0;
		if (vmflags != n || (n == 0) != (maps == NULL))
			abort();
		for (size_t i = 0; i < n; i++) {
			if (maps[i].start >= maps[i].end ||
			    maps[i].start % 4096 || maps[i].end % 4096 ||
			    (i > 0 && maps[i].start < maps[i - 1].end) ||
			    (maps[i].flags & ~(unsigned)KNOWN))
				abort();
		}
		free(maps);
	} else if (r != -ENOMEM && err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	return 0;
}
