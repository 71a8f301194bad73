/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run by test_prctl through execv(): prints what exec left of the timer
 * state, "flag=F first_id=I", where F is prctl(PR_TIMER_CREATE_RESTORE_IDS,
 * GET) (or -errno) and I the ID of one raw timer_create(2) (or -errno).
 * Exit status 0 if both calls worked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	/*
	 * -1: should the flag wrongly have survived exec, the kernel reads
	 * this buffer and refuses it (EINVAL) instead of granting some ID.
	 */
	int32_t id = -1;
	int flag, first;

	flag = prctl(77, 2, 0, 0, 0);
	if (flag < 0)
		flag = -errno;
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id) < 0)
		first = -errno;
	else
		first = id;
	printf("flag=%d first_id=%d\n", flag, first);
	return flag >= 0 && first >= 0 && fflush(stdout) == 0 ? 0 : 1;
}
