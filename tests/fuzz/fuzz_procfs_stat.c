/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/PID/stat, status Umask and status
 * credentials parsers on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/lib/procfs_stat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_proc_stat st = {.state = '?'};
	struct kt_parse_error err;
	unsigned umask = 99999;
	int r;

	r = kt_procfs_stat_parse((const char *)data, size, &st, &err);
	if (r < 0 && (err.msg[0] == '\0' || st.state != '?'))
		abort(); /* says why, leaves the output alone */
	if (r == 0 && !((st.state >= 'A' && st.state <= 'Z') ||
			(st.state >= 'a' && st.state <= 'z')))
		abort();
	r = kt_procfs_status_umask((const char *)data, size, &umask, &err);
	if (r == 0 && umask > 0777)
		abort();
	if (r < 0 && r != -ENOENT && err.msg[0] == '\0')
		abort();

	struct kt_proc_creds cr = {.n_groups = 12345};

	err.msg[0] = '\0';
	r = kt_procfs_status_creds((const char *)data, size, &cr, &err);
	if (r < 0 &&
	    (cr.n_groups != 12345 || (r != -ENOMEM && err.msg[0] == '\0')))
		abort(); /* says why, leaves the output alone */
	if (r == 0 &&
	    (cr.n_groups > KT_PROC_NGROUPS_MAX || (cr.n_groups && !cr.groups) ||
	     cr.no_new_privs > 1 || cr.seccomp > 2))
		abort();
	if (r == 0)
		free(cr.groups);
	return 0;
}
