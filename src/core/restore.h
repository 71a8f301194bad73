/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring timers, freestanding: the one implementation behind
 * kt_restore_self() (called directly) and the restore into a held process
 * (run there by the parasite). The host prepares a plan: the timers sorted
 * by ID with their settings already decided (remaining times adjusted,
 * itimer values), and the core carries it out all or nothing.
 *
 * The plan crosses from the host into freestanding code: fixed-size
 * fields, sizes checked.
 */
#ifndef KT_CORE_RESTORE_H
#define KT_CORE_RESTORE_H

#include <stdint.h>

#include "ktc.h"
#include "parasite.h"

struct ktc_restore_timerfd {
	int32_t fd;
	int32_t clock;
	int32_t fd_flags;      /* TFD_NONBLOCK | TFD_CLOEXEC */
	int32_t settime_flags; /* TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET */
	struct ktc_itimerspec setting; /* value relative, also for ABSTIME */
	uint64_t ticks;
};
_Static_assert(sizeof(struct ktc_restore_timerfd) == 56, "timerfd layout");

/* Where a restore failed. */
enum ktc_restore_stage {
	KTC_STAGE_NONE = 0,
	KTC_STAGE_CHECK_FD,	  /* a timerfd's number is taken */
	KTC_STAGE_CREATE_TIMERS,  /* see report */
	KTC_STAGE_CREATE_TIMERFD, /* timerfd_create / dup3 */
	KTC_STAGE_ARM_TIMER,	  /* timer_settime */
	KTC_STAGE_ARM_TIMERFD,	  /* clock_gettime / timerfd_settime */
	KTC_STAGE_SET_TICKS,	  /* TFD_IOC_SET_TICKS */
	KTC_STAGE_ITIMER,	  /* getitimer / setitimer */
	KTC_STAGE_FLAG,		  /* prctl */
};

struct ktc_restore_plan {
	uint64_t magic; /* struct ktc_parasite_hdr: KTC_PARASITE_MAGIC, */
	uint32_t op;	/* KTC_PARASITE_RESTORE (when run by the parasite) */
	uint32_t n_timers;
	uint32_t n_timerfds;
	uint32_t linear;	    /* 0: explicit path, 1: linear */
	int32_t want_flag;	    /* PR_TIMER_CREATE_RESTORE_IDS: -1 keep */
	struct ktc_linear_opts lin; /* progress must be NULL in a parasite */
	/* ITIMER_REAL, VIRTUAL, PROF as captured. The VIRTUAL and PROF
	 * values hold the tick the kernel added when they were set; the core
	 * measures the tick and takes it off (cpu_tick_ns out). */
	struct ktc_itimerval itimers[3];
	/* Offsets from the plan of its arrays. */
	uint64_t reqs_off; /* ktc_timer_req[n_timers]: ID, clock, sigevent */
	uint64_t settings_off; /* ktc_itimerspec[n_timers]: relative, value 0
				  for disarmed */
	uint64_t timerfds_off; /* ktc_restore_timerfd[n_timerfds] */
	/* Out. */
	int32_t result;		  /* 0 or -errno */
	int32_t stage;		  /* enum ktc_restore_stage */
	uint32_t index;		  /* of the failing timer or timerfd */
	int32_t undo_err;	  /* first error while undoing, or 0 */
	int64_t cpu_tick_ns;	  /* the CPU itimer tick measured, or -1 */
	struct ktc_report report; /* of the timer creation */
};

/*
 * Carry out the plan. Returns plan->result: 0, or -errno with stage and
 * index saying where; everything done is undone (undo_err says if undoing
 * failed). With n_timers > 0 the timer IDs must be sorted and unique.
 */
int ktc_restore(struct ktc_restore_plan *plan);

#endif /* KT_CORE_RESTORE_H */
