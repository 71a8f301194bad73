/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the image loader on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_snapshot *snap = NULL;
	char msg[256];
	int r = kt_image_parse(data, size, &snap, msg, sizeof(msg));

	if (r == 0) {
		/* Whatever was accepted is sorted and unique. */
		for (size_t i = 1; i < kt_snapshot_posix_timer_count(snap); i++)
			if (kt_snapshot_posix_timer(snap, i - 1)->id >=
			    kt_snapshot_posix_timer(snap, i)->id)
				abort();
		for (size_t i = 1; i < kt_snapshot_timerfd_count(snap); i++)
			if (kt_snapshot_timerfd(snap, i - 1)->fd >=
			    kt_snapshot_timerfd(snap, i)->fd)
				abort();
		kt_snapshot_free(snap);
	} else if (snap || (r != -ENOMEM && strncmp(msg, "offset ", 7) != 0)) {
		abort(); /* a refusal leaves no snapshot and says where */
	}
	return 0;
}
