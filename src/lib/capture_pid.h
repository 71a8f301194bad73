/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capturing the timers of a process already seized (capture_pid.c). */
#ifndef KT_LIB_CAPTURE_PID_H
#define KT_LIB_CAPTURE_PID_H

#include "inject.h"

/*
 * kt_capture_pid()'s work on a target the caller has seized and will
 * release: the timers /proc lists, read in the target by the parasite.
 * Returns 0 and *ret_snap (sealed), or kt_capture_pid()'s errors with the
 * reason in err_buf. The target stays seized either way; code has run in
 * it (kt_target_release() puts everything back).
 */
KT_HIDDEN int kt_capture_target(struct kt_target *target,
				struct kt_snapshot **ret_snap, char *err_buf,
				size_t err_len);

#endif /* KT_LIB_CAPTURE_PID_H */
