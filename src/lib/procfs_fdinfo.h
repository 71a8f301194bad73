/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser of /proc/PID/fdinfo/FD for a timerfd (fs/proc/fd.c seq_show and
 * fs/timerfd.c timerfd_show). The text is untrusted: every line must be one
 * the kernel writes, in a form it writes.
 */
#ifndef KT_LIB_PROCFS_FDINFO_H
#define KT_LIB_PROCFS_FDINFO_H

#include <time.h>

#include "text.h"

struct kt_fdinfo_timerfd {
	unsigned flags;		  /* "flags:\t0%o": f_flags, O_CLOEXEC added
				     when close-on-exec is set */
	int clock;		  /* "clockid: %d" */
	uint64_t ticks;		  /* "ticks: %llu" (stale for expired periodic
				     timers until timerfd_gettime or read) */
	unsigned settime_flags;	  /* "settime flags: 0%o" */
	struct timespec value;	  /* "it_value: (%llu, %llu)", stale likewise */
	struct timespec interval; /* "it_interval: (%llu, %llu)" */
};

/*
 * Parse the fdinfo text of a timerfd. Returns 0, or -EINVAL with err
 * naming the line (an unknown line, a malformed value, a missing line).
 * *ret is untouched on failure.
 */
KT_HIDDEN int kt_procfs_fdinfo_timerfd_parse(const char *text, size_t len,
					     struct kt_fdinfo_timerfd *ret,
					     struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_FDINFO_H */
