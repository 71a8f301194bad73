/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw system calls of the core: the only place that knows their numbers. */
#include "ktc.h"

#include <linux/errno.h>

#include "../arch/x86_64/syscall.h"

#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2

#define CLOCK_MONOTONIC 1

struct ktc_timespec {
	long tv_sec;
	long tv_nsec;
};

struct ktc_itimerspec {
	struct ktc_timespec it_interval;
	struct ktc_timespec it_value;
};

int ktc_restore_ids_get(void)
{
	return (int)ktc_syscall5(__NR_prctl, PR_TIMER_CREATE_RESTORE_IDS,
				 PR_TIMER_CREATE_RESTORE_IDS_GET, 0, 0, 0);
}

int ktc_restore_ids_set(int on)
{
	long arg = on ? PR_TIMER_CREATE_RESTORE_IDS_ON
		      : PR_TIMER_CREATE_RESTORE_IDS_OFF;

	return (int)ktc_syscall5(__NR_prctl, PR_TIMER_CREATE_RESTORE_IDS, arg,
				 0, 0, 0);
}

int ktc_timer_create(int32_t clock, const struct ktc_sigevent *sev, int32_t *id)
{
	return (int)ktc_syscall3(__NR_timer_create, clock, (long)sev, (long)id);
}

int ktc_timer_delete(int32_t id)
{
	return (int)ktc_syscall2(__NR_timer_delete, id, 0);
}

int ktc_timer_exists(int32_t id)
{
	struct ktc_itimerspec cur;
	int err = (int)ktc_syscall2(__NR_timer_gettime, id, (long)&cur);

	if (err == 0)
		return 1;
	/* The kernel answers EINVAL for an ID no live timer of ours holds. */
	return err == -EINVAL ? 0 : err;
}

uint64_t ktc_monotonic_ns(void)
{
	struct ktc_timespec ts;

	if (ktc_syscall2(__NR_clock_gettime, CLOCK_MONOTONIC, (long)&ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
