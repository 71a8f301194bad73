/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser of /proc/PID/timers (fs/proc/base.c show_timer, Linux >= 3.10).
 * The text is untrusted: anything that is not exactly what the kernel
 * writes is an error that names the line and quotes it.
 */
#ifndef KT_LIB_PROCFS_TIMERS_H
#define KT_LIB_PROCFS_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "text.h"

/* One timer as /proc/PID/timers shows it. */
struct kt_proc_timer {
	int id;		/* "ID: %d", 0..INT_MAX */
	int signo;	/* "signal: %d/...": any int (SIGEV_NONE keeps any) */
	uint64_t sival; /* ".../%px" (or "(null)" from older kernels' %p) */
	int notify;	/* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, or
			   SIGEV_SIGNAL | SIGEV_THREAD_ID ("signal/tid") */
	int notify_pid; /* the pid or tid, in the pid namespace of the /proc
			   mount; 0 if not visible there */
	int clock;	/* "ClockID: %d", raw (CPU clocks encode a pid) */
};

/*
 * Parse len bytes of /proc/PID/timers text. On success *ret_timers is a
 * malloc'd array of *ret_n timers in the order of the file (newest first:
 * callers sort), NULL when there are none. Returns 0, -EINVAL for text
 * that is not what the kernel writes (err filled), -ENOMEM.
 */
KT_HIDDEN int kt_procfs_timers_parse(const char *text, size_t len,
				     struct kt_proc_timer **ret_timers,
				     size_t *ret_n, struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_TIMERS_H */
