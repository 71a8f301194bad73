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

/* The fdinfo of a file without a show_fdinfo of its own (a regular file,
 * a directory, most character devices). */
struct kt_fdinfo_file {
	int64_t pos;	/* "pos:\t%lli" */
	unsigned flags; /* "flags:\t0%o", O_CLOEXEC added as for timerfds */
	int mnt_id;	/* "mnt_id:\t%i" (Linux >= 3.15), else -1 */
	uint64_t ino;	/* "ino:\t%lu" (Linux >= 5.14), else 0 */
	unsigned locks; /* "lock:\t..." lines (fs/locks.c show_fd_locks()) */
};

/*
 * Parse the fdinfo text of such a file: pos and flags once each, mnt_id
 * and ino at most once, lock lines, nothing else. Returns 0, or -EINVAL
 * with err naming the line. *ret is untouched on failure.
 */
KT_HIDDEN int kt_procfs_fdinfo_file_parse(const char *text, size_t len,
					  struct kt_fdinfo_file *ret,
					  struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_FDINFO_H */
