/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parasite's body (see parasite.h). It runs in another process, on
 * that process's stack, with all signals blocked: no libc, no globals, no
 * floating point, nothing but the arguments it is given.
 */
#include "parasite.h"

#include <linux/errno.h>

#include "ktc.h"
#include "restore.h"
#include "restorer.h"

#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME	7
#define CLOCK_TAI	11

static void capture(struct ktc_parasite_args *a)
{
	const int32_t clocks[4] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
				   CLOCK_BOOTTIME, CLOCK_TAI};
	struct ktc_parasite_timer *t = (void *)((char *)a + a->timers_off);
	struct ktc_parasite_timerfd *f = (void *)((char *)a + a->timerfds_off);

	a->restore_ids_flag = ktc_restore_ids_get();
	for (int i = 0; i < 4; i++)
		a->clock_err[i] = ktc_clock_gettime(clocks[i], &a->clocks[i]);
	for (int i = 0; i < 3; i++)
		a->itimer_err[i] = ktc_getitimer(i, &a->itimers[i]);
	for (uint32_t i = 0; i < a->n_timers; i++) {
		int ov;

		t[i].err = ktc_timer_gettime(t[i].id, &t[i].setting);
		if (t[i].err < 0)
			continue;
		ov = ktc_timer_getoverrun(t[i].id);
		if (ov < 0)
			t[i].err = ov;
		else
			t[i].overrun = ov;
	}
	for (uint32_t i = 0; i < a->n_timerfds; i++)
		f[i].err = ktc_timerfd_gettime(f[i].fd, &f[i].setting);
}

__attribute__((section(".text.entry"))) long ktc_parasite_main(void *arg)
{
	const struct ktc_parasite_hdr *h = arg;

	if (h->magic != KTC_PARASITE_MAGIC)
		return -EINVAL;
	switch (h->op) {
	case KTC_PARASITE_CAPTURE:
		capture(arg);
		return 0;
	case KTC_PARASITE_RESTORE:
		return ktc_restore(arg);
	case KTC_PARASITE_RESTORE_PROCESS:
		ktc_restorer_run(arg);
	}
	return -EINVAL;
}
