/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RLIMIT_SIGPENDING and the user's pending-signal count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "sigq.h"

static uint64_t rlim_value(rlim_t v)
{
	return v == RLIM_INFINITY ? SIGQ_UNLIMITED : (uint64_t)v;
}

/* "SigQ:\tCOUNT/LIMIT" from /proc/self/status. Returns 0 or -errno. */
static int read_status_sigq(uint64_t *count, uint64_t *limit)
{
	unsigned long long c, l;
	char line[256];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "SigQ:", 5) != 0)
			continue;
		if (sscanf(line + 5, "%llu/%llu", &c, &l) == 2) {
			*count = c;
			*limit = l;
			err = 0;
		} else {
			err = -EBADMSG;
		}
		break;
	}
	if (ferror(f) && err == -ENOENT)
		err = -EIO;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	return err;
}

int sigq_read(struct sigq_info *ret)
{
	struct sigq_info info = {0};
	struct rlimit rl;

	if (getrlimit(RLIMIT_SIGPENDING, &rl) < 0)
		return -errno;
	info.soft = rlim_value(rl.rlim_cur);
	info.hard = rlim_value(rl.rlim_max);
	info.have_count = read_status_sigq(&info.count, &info.limit) == 0;
	*ret = info;
	return 0;
}

uint64_t sigq_headroom(const struct sigq_info *info)
{
	uint64_t used = info->have_count ? info->count : 0;

	if (info->soft == SIGQ_UNLIMITED)
		return SIGQ_UNLIMITED;
	return info->soft > used ? info->soft - used : 0;
}
