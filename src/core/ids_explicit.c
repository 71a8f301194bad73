/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The explicit path (Linux >= 6.15, commit ec2d0c04624b): while
 * PR_TIMER_CREATE_RESTORE_IDS is ON, timer_create(2) reads the wanted ID
 * from its timer_t buffer. The flag is process-wide, so nothing else in the
 * process may create timers meanwhile; glibc's timer_create would pass an
 * uninitialised buffer and get a random ID.
 */
#include "ids_internal.h"

#include <linux/errno.h>

int ktc_create_explicit(const struct ktc_timer_req *reqs, size_t n,
			struct ktc_report *rep)
{
	size_t created = 0;
	int found, err;

	err = ktc_check_set(reqs, n, rep);
	if (err < 0)
		return err;

	found = ktc_restore_ids_get();
	if (found == -EINVAL)
		return ktc_fail(rep, KTC_REASON_UNSUPPORTED, -EOPNOTSUPP, 0,
				n ? reqs[0].id : -1, -1);
	if (found < 0)
		return ktc_fail_sys(rep, KTC_SYS_PRCTL, found, 0, -1);
	if (found == 0) {
		err = ktc_flag_put(1);
		if (err < 0) {
			err = ktc_fail(rep, KTC_REASON_FLAG_RESTORE, err, 0, -1,
				       -1);
			goto put_flag;
		}
	}

	for (; created < n; created++) {
		const struct ktc_timer_req *r = &reqs[created];
		/* The kernel reads 32 bits, whatever the libc's timer_t. */
		int32_t id = r->id;

		err = ktc_timer_create(r->clock, &r->sev, &id);
		if (err == -EBUSY) {
			err = ktc_fail(rep, KTC_REASON_ID_TAKEN, err, created,
				       r->id, -1);
			goto delete_created;
		}
		if (err < 0) {
			err = ktc_fail_sys(rep, KTC_SYS_TIMER_CREATE, err,
					   created, r->id);
			goto delete_created;
		}
		if (id != r->id) {
			/* Not ours to keep: the kernel did not honour the ID.
			 */
			err = ktc_timer_delete(id);
			if (err < 0)
				rep->rollback_err = err;
			err = ktc_fail(rep, KTC_REASON_ID_MISMATCH, -EPROTO,
				       created, r->id, id);
			goto delete_created;
		}
	}

	if (found == 0) {
		err = ktc_flag_put(0);
		if (err < 0) {
			err = ktc_fail(rep, KTC_REASON_FLAG_RESTORE, err, 0, -1,
				       -1);
			goto delete_created;
		}
	}
	return 0;

delete_created:
	ktc_delete_created(reqs, created, rep);
put_flag:
	if (found == 0) {
		int put = ktc_flag_put(0);

		if (put < 0 && rep->rollback_err == 0)
			rep->rollback_err = put;
	}
	return err;
}
