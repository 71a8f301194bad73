/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The linear path, for kernels without PR_TIMER_CREATE_RESTORE_IDS
 * (3.10 .. 6.14): each process has a counter, and timer_create(2) hands out
 * the first ID >= counter that no live timer holds, then sets the counter
 * past it. Creating and deleting timers therefore walks the counter up to
 * any wanted ID, provided that
 *   - the counter is not already past it (it wraps only after INT_MAX),
 *   - no live timer holds it (the kernel would skip it forever),
 *   - nothing else creates timers meanwhile.
 * The walk checks every ID it is given against the one it expects and
 * stops at the first surprise instead of looping past the target.
 */
#include "ids_internal.h"

#include <linux/errno.h>

struct walk {
	const struct ktc_linear_opts *opts;
	struct ktc_report *rep;
	uint64_t start_ns;
	uint64_t steps;
	uint64_t total;
};

/*
 * The kernel returned "got" where "expected" was due. That is no surprise
 * when every ID in between is held by a live timer: the kernel skips those.
 * Returns 1 if explained, 0 if not, or -errno.
 */
static int skip_explained(int64_t expected, int32_t got)
{
	if (got < expected)
		return 0;
	for (int64_t id = expected; id < got; id++) {
		int live = ktc_timer_exists((int32_t)id);

		if (live <= 0)
			return live;
	}
	return 1;
}

/*
 * Every 1024 steps: estimate the walk's time once calibrated, check the
 * time bound and report progress. Returns 0 or -E2BIG.
 */
static int walk_checkpoint(struct walk *w)
{
	const struct ktc_linear_opts *o = w->opts;
	uint64_t elapsed = ktc_monotonic_ns() - w->start_ns;
	uint64_t estimate = elapsed / w->steps * w->total +
			    elapsed % w->steps * w->total / w->steps;

	w->rep->estimated_ns = estimate;
	if (o->max_ns) {
		if (w->steps == KTC_LINEAR_CALIBRATION_STEPS &&
		    estimate > o->max_ns)
			return -E2BIG;
		if (elapsed > o->max_ns)
			return -E2BIG;
	}
	if (o->progress && w->steps % KTC_LINEAR_PROGRESS_STEPS == 0)
		o->progress(w->steps, w->total,
			    estimate > elapsed ? estimate - elapsed : 0,
			    o->progress_ctx);
	return 0;
}

int ktc_create_linear(const struct ktc_timer_req *reqs, size_t n,
		      const struct ktc_linear_opts *opts,
		      struct ktc_report *rep)
{
	struct walk w = {.opts = opts, .rep = rep};
	int64_t expected =
		-1;	    /* the ID the kernel must give next; -1: unknown */
	int32_t stray = -1; /* a timer just created that is not to be kept */
	size_t created = 0;
	int found, err;

	err = ktc_check_set(reqs, n, rep);
	if (err < 0 || n == 0)
		return err;

	/* A wanted ID held by a live timer would be skipped forever. */
	for (size_t i = 0; i < n; i++) {
		int live = ktc_timer_exists(reqs[i].id);

		if (live < 0)
			return ktc_fail_sys(rep, KTC_SYS_TIMER_GETTIME, live, i,
					    reqs[i].id);
		if (live)
			return ktc_fail(rep, KTC_REASON_ID_TAKEN, -EBUSY, i,
					reqs[i].id, -1);
	}

	/* With the flag ON (left so by someone) creates would read our buffer.
	 */
	found = ktc_restore_ids_get();
	if (found < 0 && found != -EINVAL)
		return ktc_fail_sys(rep, KTC_SYS_PRCTL, found, 0, -1);
	if (found == 1) {
		err = ktc_flag_put(0);
		if (err < 0) {
			err = ktc_fail(rep, KTC_REASON_FLAG_RESTORE, err, 0, -1,
				       -1);
			goto put_flag;
		}
	}

	w.start_ns = ktc_monotonic_ns();
	while (created < n) {
		const struct ktc_timer_req *r = &reqs[created];
		int32_t id = 0;

		err = ktc_timer_create(r->clock, &r->sev, &id);
		if (err < 0) {
			err = ktc_fail_sys(rep, KTC_SYS_TIMER_CREATE, err,
					   created, r->id);
			goto delete_created;
		}
		w.steps++;
		stray = id;

		if (expected < 0) {
			/* The first create tells where the counter was. */
			if (id <= reqs[n - 1].id)
				w.total = (uint64_t)(reqs[n - 1].id - id) + 1;
			rep->steps_needed = w.total;
			if (w.total > opts->max_steps) {
				/* Name the farthest ID: the walk must reach it.
				 */
				err = ktc_fail(rep, KTC_REASON_BOUND, -E2BIG,
					       n - 1, reqs[n - 1].id, id);
				goto delete_this;
			}
		} else if (id != expected) {
			int ok = skip_explained(expected, id);

			if (ok <= 0) {
				rep->expected_id = (int32_t)expected;
				err = ktc_fail(rep, KTC_REASON_ID_MISMATCH,
					       ok < 0 ? ok : -EPROTO, created,
					       r->id, id);
				goto delete_this;
			}
		}

		if (id > r->id) {
			err = ktc_fail(rep, KTC_REASON_ID_PASSED, -ERANGE,
				       created, r->id, id);
			goto delete_this;
		}
		expected = (int64_t)id + 1;
		if (id == r->id) {
			created++;
		} else {
			err = ktc_timer_delete(id);
			if (err < 0) {
				err = ktc_fail_sys(rep, KTC_SYS_TIMER_DELETE,
						   err, created, r->id);
				goto delete_created;
			}
		}
		if (created < n &&
		    w.steps % KTC_LINEAR_CALIBRATION_STEPS == 0) {
			err = walk_checkpoint(&w);
			if (err < 0) {
				err = ktc_fail(rep, KTC_REASON_BOUND, err,
					       created, reqs[created].id, -1);
				goto delete_created;
			}
		}
	}
	rep->steps_done = w.steps;

	if (found == 1) {
		err = ktc_flag_put(1);
		if (err < 0) {
			err = ktc_fail(rep, KTC_REASON_FLAG_RESTORE, err, 0, -1,
				       -1);
			goto delete_created;
		}
	}
	return 0;

delete_this : {
	/* The timer just created is not one of ours to keep. */
	int del = ktc_timer_delete(stray);

	if (del < 0 && rep->rollback_err == 0)
		rep->rollback_err = del;
}
delete_created:
	rep->steps_done = w.steps;
	ktc_delete_created(reqs, created, rep);
put_flag:
	if (found == 1) {
		int put = ktc_flag_put(1);

		if (put < 0 && rep->rollback_err == 0)
			rep->rollback_err = put;
	}
	return err;
}
