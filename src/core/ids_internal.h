/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the explicit and the linear ID paths. */
#ifndef KT_CORE_IDS_INTERNAL_H
#define KT_CORE_IDS_INTERNAL_H

#include "ktc.h"

void ktc_report_reset(struct ktc_report *rep);

/* Record a failure in rep and return err. */
int ktc_fail(struct ktc_report *rep, int reason, int err, size_t index,
	     int32_t id, int32_t got_id);

/* Record a failed system call in rep and return err. */
int ktc_fail_sys(struct ktc_report *rep, int sys_call, int err, size_t index,
		 int32_t id);

/*
 * Delete reqs[0..created) in reverse order of creation. Deletion goes on
 * past an error; the first one is kept in rep->rollback_err.
 */
void ktc_delete_created(const struct ktc_timer_req *reqs, size_t created,
			struct ktc_report *rep);

/*
 * Put the PR_TIMER_CREATE_RESTORE_IDS flag to "want" and read it back.
 * Returns 0, or -EPROTO if GET disagrees, or the prctl's error.
 */
int ktc_flag_put(int want);

#endif /* KT_CORE_IDS_INTERNAL_H */
