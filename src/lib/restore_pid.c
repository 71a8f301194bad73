/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a snapshot into another process held under ptrace (the step
 * of a restore tool that holds the process it rebuilt): the plan is built
 * here and carried out there by the parasite, all or nothing, in one round
 * trip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../core/restore.h"
#include "engine.h"
#include "inject.h"
#include "restore_plan.h"
#include "snapshot.h"

extern const unsigned char kt_parasite_blob[] KT_HIDDEN;
extern const unsigned char kt_parasite_blob_end[] KT_HIDDEN;

/* SIGEV_THREAD_ID targets are tids of the process as it sees them; here
 * they are looked up in our /proc, which assumes the same pid namespace. */
static int check_threads(pid_t pid, const struct kt_snapshot *snap,
			 char *err_buf, size_t err_len)
{
	for (size_t i = 0; i < snap->n_timers; i++) {
		const struct kt_posix_timer *t = &snap->timers[i];
		char path[64];

		if (!(t->notify & SIGEV_THREAD_ID))
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid,
			       (int)t->notify_tid);
		if (access(path, F_OK) < 0)
			return kt_fail_msg(
				err_buf, err_len, -ESRCH,
				"POSIX timer %d: its SIGEV_THREAD_ID "
				"target %d is not a thread of "
				"process %d",
				t->id, (int)t->notify_tid, (int)pid);
	}
	return 0;
}

/* Copy the parasite and the plan in, run it, read the plan back. */
static int run_plan(struct kt_target *target, struct ktc_restore_plan *plan,
		    size_t size, char *err_buf, size_t err_len)
{
	size_t blob_size = (size_t)(kt_parasite_blob_end - kt_parasite_blob);
	size_t plan_off = (blob_size + 63) & ~(size_t)63;
	uint64_t scratch;
	long ret;
	int err;

	err = kt_target_scratch(target, plan_off + size, &scratch);
	if (!err)
		err = kt_target_write(target, scratch, kt_parasite_blob,
				      blob_size);
	if (!err)
		err = kt_target_write(target, scratch + plan_off, plan, size);
	if (err < 0)
		return kt_fail_msg(err_buf, err_len, err,
				   "placing the restore in process %d: %s",
				   (int)kt_target_pid(target),
				   strerrordesc_np(-err));
	err = kt_target_call(target, scratch, scratch + plan_off, &ret);
	if (err < 0)
		return kt_fail_msg(err_buf, err_len, err,
				   "running the restore in process %d: %s",
				   (int)kt_target_pid(target),
				   strerrordesc_np(-err));
	/* Only the fixed part changed (results): read it back. */
	err = kt_target_read(target, scratch + plan_off, plan, sizeof(*plan));
	if (err < 0)
		return kt_fail_msg(err_buf, err_len, err,
				   "reading the restore's result: %s",
				   strerrordesc_np(-err));
	return ret == plan->result ? 0 : -EPROTO;
}

int kt_restore_pid(pid_t pid, const struct kt_snapshot *snap,
		   const struct kt_restore_opts *opts)
{
	struct ktc_restore_plan *plan = NULL;
	struct kt_target *target = NULL;
	struct kt_restore_call rc;
	char why[256];
	size_t size;
	int err, rel;

	if (!snap || pid <= 0)
		return -EINVAL;
	err = kt_restore_call_init(&rc, opts);
	if (err < 0)
		return err;
	rc.lin.progress = NULL; /* no calls into us from inside the target */
	rc.lin.progress_ctx = NULL;

	err = kt_target_seize(pid, &target, why, sizeof(why));
	if (err < 0)
		return kt_fail_msg(rc.err_buf, rc.err_len, err, "%s", why);
	err = check_threads(pid, snap, rc.err_buf, rc.err_len);
	if (!err)
		err = kt_restore_plan_build(snap, rc.flags, rc.path, &rc.lin,
					    &plan, &size);
	if (!err)
		err = run_plan(target, plan, size, rc.err_buf, rc.err_len);
	rel = kt_target_release(target);
	(void)snprintf(why, sizeof(why), "process %d: ", (int)pid);
	err = kt_restore_call_finish(&rc, snap, plan, err, why);
	if (err == 0 && rel < 0)
		err = kt_fail_msg(rc.err_buf, rc.err_len, rel,
				  "letting process %d go: %s", (int)pid,
				  strerrordesc_np(-rel));
	free(plan);
	return err;
}
