/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restore plans (src/core/restore.h), built from a snapshot on the host and
 * carried out by the core here or in another process. */
#ifndef KT_LIB_RESTORE_PLAN_H
#define KT_LIB_RESTORE_PLAN_H

#include "../core/restore.h"
#include "internal.h"

/*
 * The plan for a snapshot (sorted, validated): settings decided (remaining
 * times, KT_RESTORE_KEEP_ABSOLUTE), the path and linear bounds given.
 * Returns 0 with a malloc'd plan of *ret_size bytes, or -ENOMEM.
 */
KT_HIDDEN int kt_restore_plan_build(const struct kt_snapshot *snap,
				    unsigned flags, enum kt_id_path path,
				    const struct ktc_linear_opts *lin,
				    struct ktc_restore_plan **ret_plan,
				    size_t *ret_size);

/* One line saying where and why a carried-out plan failed. */
KT_HIDDEN int kt_restore_plan_explain(const struct kt_snapshot *snap,
				      const struct ktc_restore_plan *plan,
				      enum kt_id_path path, char *buf,
				      size_t len);

/* What a restore call was asked, shared by kt_restore_self() and
 * kt_restore_pid(). */
struct kt_restore_call {
	char *err_buf;
	size_t err_len;
	unsigned flags;
	struct kt_create_report *user_rep;
	enum kt_id_path path;
	struct ktc_linear_opts lin;
};

/* Read and check the options. Returns 0, or -EINVAL (the reason in
 * err_buf when it could be read) or the probe's error. */
KT_HIDDEN int kt_restore_call_init(struct kt_restore_call *rc,
				   const struct kt_restore_opts *opts);

/*
 * After the plan ran (err: the run's own failure, or 0): fill the caller's
 * report and, if the plan failed, explain where. Returns the call's result.
 */
KT_HIDDEN int kt_restore_call_finish(struct kt_restore_call *rc,
				     const struct kt_snapshot *snap,
				     const struct ktc_restore_plan *plan,
				     int err, const char *prefix);

#endif /* KT_LIB_RESTORE_PLAN_H */
