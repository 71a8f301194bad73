/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ids_internal.h"

#include <linux/errno.h>

void ktc_report_reset(struct ktc_report *rep)
{
	rep->reason = KTC_REASON_OK;
	rep->index = 0;
	rep->id = -1;
	rep->got_id = -1;
	rep->expected_id = -1;
	rep->sys_call = KTC_SYS_NONE;
	rep->sys_err = 0;
	rep->steps_done = 0;
	rep->steps_needed = 0;
	rep->estimated_ns = 0;
	rep->rollback_err = 0;
}

int ktc_fail(struct ktc_report *rep, int reason, int err, size_t index,
	     int32_t id, int32_t got_id)
{
	rep->reason = reason;
	rep->index = index;
	rep->id = id;
	rep->got_id = got_id;
	return err;
}

int ktc_fail_sys(struct ktc_report *rep, int sys_call, int err, size_t index,
		 int32_t id)
{
	rep->sys_call = sys_call;
	rep->sys_err = err;
	return ktc_fail(rep, KTC_REASON_SYSCALL, err, index, id, -1);
}

void ktc_delete_created(const struct ktc_timer_req *reqs, size_t created,
			struct ktc_report *rep)
{
	while (created > 0) {
		int err = ktc_timer_delete(reqs[--created].id);

		if (err < 0 && rep->rollback_err == 0)
			rep->rollback_err = err;
	}
}

int ktc_flag_put(int want)
{
	int err = ktc_restore_ids_set(want);

	if (err < 0)
		return err;
	err = ktc_restore_ids_get();
	if (err < 0)
		return err;
	return err == want ? 0 : -EPROTO;
}

int ktc_check_set(const struct ktc_timer_req *reqs, size_t n,
		  struct ktc_report *rep)
{
	ktc_report_reset(rep);
	if (n > 0 && !reqs)
		return ktc_fail(rep, KTC_REASON_BAD_ID, -EINVAL, 0, -1, -1);
	for (size_t i = 0; i < n; i++) {
		int32_t id = reqs[i].id;

		if (id < 0)
			return ktc_fail(rep, KTC_REASON_BAD_ID, -EINVAL, i, id,
					-1);
		if (i == 0 || id > reqs[i - 1].id)
			continue;
		return ktc_fail(rep,
				id == reqs[i - 1].id ? KTC_REASON_DUPLICATE_ID
						     : KTC_REASON_UNSORTED,
				-EINVAL, i, id, -1);
	}
	return 0;
}
