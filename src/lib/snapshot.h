/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot's insides, shared by capture, restore and the image codec. */
#ifndef KT_LIB_SNAPSHOT_H
#define KT_LIB_SNAPSHOT_H

#include "internal.h"

/* Index of each clock reading in struct kt_snapshot.clocks. */
enum kt_snap_clock {
	KT_SNAP_REALTIME,
	KT_SNAP_MONOTONIC,
	KT_SNAP_BOOTTIME,
	KT_SNAP_TAI,
	KT_SNAP_NCLOCKS,
};

struct kt_snapshot {
	struct kt_posix_timer *timers; /* sorted by ID */
	size_t n_timers;
	size_t cap_timers;
	struct kt_itimer itimers[3]; /* ITIMER_REAL, VIRTUAL, PROF */
	struct kt_timerfd *timerfds; /* sorted by fd */
	size_t n_timerfds;
	size_t cap_timerfds;
	int restore_ids_flag; /* 0, 1, or -1: no such prctl */
	struct timespec clocks[KT_SNAP_NCLOCKS];
};

/* The clockid_t of each KT_SNAP_* reading. */
KT_HIDDEN extern const clockid_t kt_snap_clock_ids[KT_SNAP_NCLOCKS];

/*
 * Whether a timerfd that read a ns remaining, then b ns remaining elapsed
 * ns later (CLOCK_MONOTONIC), expired in between: a one-shot went to 0;
 * a periodic one, which without an expiry would read a - elapsed, reads
 * a period more per expiry. (Comparing b with a alone misses an expiry
 * when the readings are a period or more apart.)
 */
static inline bool kt_timerfd_expired_between(int64_t a, int64_t b,
					      int64_t elapsed, int64_t period)
{
	if (period == 0)
		return a > 0 && b == 0;
	return b - (a - elapsed) > period / 2;
}

KT_HIDDEN struct kt_snapshot *kt_snapshot_new(void);
/* Append a copy; -ENOMEM. Sorting and validation come with _finish(). */
KT_HIDDEN int kt_snapshot_add_timer(struct kt_snapshot *snap,
				    const struct kt_posix_timer *t);
KT_HIDDEN int kt_snapshot_add_timerfd(struct kt_snapshot *snap,
				      const struct kt_timerfd *tfd);

/* A field that failed its check: its name (as in docs/image-format.md)
 * and why. */
struct kt_field_error {
	char field[32];
	char why[128];
};

/* Field checks: 0, or -EBADMSG with fe filled. */
KT_HIDDEN int kt_check_posix_timer(const struct kt_posix_timer *t,
				   struct kt_field_error *fe);
KT_HIDDEN int kt_check_itimer(const struct kt_itimer *it,
			      struct kt_field_error *fe);
KT_HIDDEN int kt_check_timerfd(const struct kt_timerfd *tfd,
			       struct kt_field_error *fe);
KT_HIDDEN int kt_check_timespec(const struct timespec *ts, const char *field,
				struct kt_field_error *fe);

/* Which record a snapshot check failed on. */
enum kt_snap_part {
	KT_PART_PROCESS,
	KT_PART_TIMER,
	KT_PART_ITIMER,
	KT_PART_TIMERFD,
};

struct kt_snap_error {
	enum kt_snap_part part;
	size_t index; /* in the order the records were added; the itimer's which
		       */
	struct kt_field_error fe;
};

/*
 * Check every field and the uniqueness of timer IDs and timerfd numbers,
 * then sort timers by ID and timerfds by descriptor. Returns 0, or
 * -EBADMSG with err filled, or -ENOMEM.
 */
KT_HIDDEN int kt_snapshot_finish(struct kt_snapshot *snap,
				 struct kt_snap_error *err);

/*
 * kt_snapshot_finish() for a snapshot read from the kernel: a field that
 * fails its check is the kernel's text we do not understand. Returns 0, or
 * -EBADMSG with "WHO: the kernel reported ..." logged and in err_buf.
 */
KT_HIDDEN int kt_snapshot_seal(struct kt_snapshot *snap, const char *who,
			       char *err_buf, size_t err_len);

/* One line describing err (without an image offset). */
KT_HIDDEN void kt_snap_error_format(const struct kt_snap_error *err, char *buf,
				    size_t len);

/*
 * Parse an image held in memory (what kt_snapshot_load() does after reading
 * the file). Returns 0 and *ret_snap, or kt_snapshot_load()'s errors with
 * the reason in err_buf.
 */
KT_HIDDEN int kt_image_parse(const void *data, size_t len,
			     struct kt_snapshot **ret_snap, char *err_buf,
			     size_t err_len);

#endif /* KT_LIB_SNAPSHOT_H */
