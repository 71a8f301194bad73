/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the fdinfo parsers (timerfd, plain file) on arbitrary
 * bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/lib/procfs_fdinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_fdinfo_timerfd t;
	struct kt_parse_error err;
	int r = kt_procfs_fdinfo_timerfd_parse((const char *)data, size, &t,
					       &err);

	if (r == 0 &&
	    (t.value.tv_nsec < 0 || t.value.tv_nsec >= 1000000000 ||
	     t.interval.tv_nsec < 0 || t.interval.tv_nsec >= 1000000000))
		abort();
	if (r < 0 && err.msg[0] == '\0')
		abort(); /* every refusal says why */

	struct kt_fdinfo_file f = {.locks = 12345};

	r = kt_procfs_fdinfo_file_parse((const char *)data, size, &f, &err);
	if (r < 0 && (err.msg[0] == '\0' || f.locks != 12345))
		abort(); /* says why, leaves the output alone */
	if (r == 0 && f.locks > size / 6)
		abort(); /* "lock:\t" lines are at least 7 bytes */
	return 0;
}
