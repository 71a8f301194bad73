/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parasite: freestanding code the library copies into another process
 * and runs there in one round trip (kt_target_call), so that reading
 * 10,000 timers costs 10,000 system calls in the target, not 10,000 ptrace
 * round trips.
 *
 * The host writes a struct ktc_parasite_args followed by its arrays into
 * the target's scratch memory, calls ktc_parasite_main(args) there, and
 * reads the arrays back. Everything in this header crosses from the host
 * into freestanding code: fixed-size fields only, checked sizes.
 */
#ifndef KT_CORE_PARASITE_H
#define KT_CORE_PARASITE_H

#include <stdint.h>

#define KTC_PARASITE_MAGIC 0x4b54504152415349ULL /* "KTPARASI" */

enum ktc_parasite_op {
	/* Read the timers named in the arrays and the per-process state
	 * (struct ktc_parasite_args). */
	KTC_PARASITE_CAPTURE = 1,
	/* Carry out a restore plan (struct ktc_restore_plan, restore.h). */
	KTC_PARASITE_RESTORE = 2,
	/* Rebuild the whole process (struct ktc_restorer_args, restorer.h):
	 * never returns, traps when done. */
	KTC_PARASITE_RESTORE_PROCESS = 3,
};

/* How every argument block of the parasite starts. */
struct ktc_parasite_hdr {
	uint64_t magic; /* KTC_PARASITE_MAGIC, checked by the parasite */
	uint32_t op;	/* enum ktc_parasite_op */
};

struct ktc_timespec {
	int64_t sec;
	int64_t nsec;
};

struct ktc_itimerspec {
	struct ktc_timespec interval;
	struct ktc_timespec value;
};

struct ktc_timeval {
	int64_t sec;
	int64_t usec;
};

struct ktc_itimerval {
	struct ktc_timeval interval;
	struct ktc_timeval value;
};

/* One POSIX timer: id in; the rest out. */
struct ktc_parasite_timer {
	int32_t id;
	int32_t err; /* 0, or -errno of timer_gettime/timer_getoverrun */
	int32_t overrun;
	int32_t pad;
	struct ktc_itimerspec setting;
};
_Static_assert(sizeof(struct ktc_parasite_timer) == 48, "timer layout");

/* One timerfd: fd in; the rest out. */
struct ktc_parasite_timerfd {
	int32_t fd;
	int32_t err; /* 0, or -errno of timerfd_gettime */
	struct ktc_itimerspec setting;
};
_Static_assert(sizeof(struct ktc_parasite_timerfd) == 40, "timerfd layout");

struct ktc_parasite_args {
	uint64_t magic; /* KTC_PARASITE_MAGIC, checked by the parasite */
	uint32_t op;	/* enum ktc_parasite_op */
	uint32_t n_timers;
	uint32_t n_timerfds;
	int32_t restore_ids_flag; /* out: prctl GET, or -EINVAL */
	/* out: CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI as the target sees
	 * them (its time namespace included) */
	struct ktc_timespec clocks[4];
	int32_t clock_err[4];
	/* out: ITIMER_REAL, VIRTUAL, PROF */
	struct ktc_itimerval itimers[3];
	int32_t itimer_err[3];
	int32_t pad;
	/* Offsets from the start of this structure of the arrays. */
	uint64_t timers_off;   /* struct ktc_parasite_timer[n_timers] */
	uint64_t timerfds_off; /* struct ktc_parasite_timerfd[n_timerfds] */
};
_Static_assert(sizeof(struct ktc_parasite_args) == 232, "args layout");

/*
 * The parasite's entry point, placed first in the blob; arg starts with a
 * struct ktc_parasite_hdr. Returns -EINVAL for arguments it does not
 * recognise; else CAPTURE returns 0 (failures of single calls are reported
 * per element) and RESTORE the plan's result.
 */
long ktc_parasite_main(void *arg);

#endif /* KT_CORE_PARASITE_H */
