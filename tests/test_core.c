/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freestanding core (src/core/) on its own: this binary links the core
 * objects, kt_test.c and Criterion, not libkeeptime. Kernel-facing tests
 * run in a fresh child (counter 0, flag OFF); see kt_test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../src/core/ktc.h"
#include "kt_test.h"

static struct ktc_timer_req req(int32_t id)
{
	struct ktc_timer_req r = {.id = id, .clock = CLOCK_MONOTONIC};

	r.sev.notify = SIGEV_SIGNAL;
	r.sev.signo = SIGALRM;
	r.sev.value = (uint64_t)id;
	return r;
}

/* A report full of garbage, to see that the core sets every field. */
static struct ktc_report dirty_report(void)
{
	struct ktc_report rep;

	memset(&rep, 0x5a, sizeof(rep));
	return rep;
}

static void expect_clean_report(const struct ktc_report *rep)
{
	cr_expect_eq(rep->reason, KTC_REASON_OK);
	cr_expect_eq(rep->id, -1);
	cr_expect_eq(rep->got_id, -1);
	cr_expect_null(rep->sys_call);
	cr_expect_eq(rep->sys_err, 0);
	cr_expect_eq(rep->rollback_err, 0);
}

/* ------------------------------------------------------------------ */
/* ktc_check_set: pure                                                 */
/* ------------------------------------------------------------------ */

Test(core, check_set_accepts_ascending_ids, .timeout = 10)
{
	struct ktc_timer_req r[] = {req(0), req(1), req(5), req(INT_MAX)};
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(r, 4, &rep), 0);
	expect_clean_report(&rep);
	cr_expect_eq(rep.steps_done, 0);
	cr_expect_eq(rep.steps_needed, 0);
}

Test(core, check_set_accepts_empty_sets, .timeout = 10)
{
	struct ktc_timer_req r[] = {req(3)};
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(NULL, 0, &rep), 0);
	expect_clean_report(&rep);
	rep = dirty_report();
	cr_expect_eq(ktc_check_set(r, 0, &rep), 0);
	expect_clean_report(&rep);
}

Test(core, check_set_refuses_null_with_entries, .timeout = 10)
{
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(NULL, 2, &rep), -EINVAL);
	cr_expect_eq(rep.reason, KTC_REASON_BAD_ID);
	cr_expect_eq(rep.index, 0);
}

Test(core, check_set_refuses_negative_ids, .timeout = 10)
{
	struct ktc_timer_req a[] = {req(1), req(-3)};
	struct ktc_timer_req b[] = {req(INT_MIN)};
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(a, 2, &rep), -EINVAL);
	cr_expect_eq(rep.reason, KTC_REASON_BAD_ID);
	cr_expect_eq(rep.index, 1);
	cr_expect_eq(rep.id, -3);
	rep = dirty_report();
	cr_expect_eq(ktc_check_set(b, 1, &rep), -EINVAL);
	cr_expect_eq(rep.reason, KTC_REASON_BAD_ID);
	cr_expect_eq(rep.index, 0);
	cr_expect_eq(rep.id, INT_MIN);
}

Test(core, check_set_refuses_duplicates, .timeout = 10)
{
	struct ktc_timer_req r[] = {req(1), req(4), req(4), req(9)};
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(r, 4, &rep), -EINVAL);
	cr_expect_eq(rep.reason, KTC_REASON_DUPLICATE_ID);
	cr_expect_eq(rep.index, 2);
	cr_expect_eq(rep.id, 4);
}

Test(core, check_set_refuses_unsorted_sets, .timeout = 10)
{
	struct ktc_timer_req r[] = {req(1), req(9), req(4)};
	struct ktc_report rep = dirty_report();

	cr_expect_eq(ktc_check_set(r, 3, &rep), -EINVAL);
	cr_expect_eq(rep.reason, KTC_REASON_UNSORTED);
	cr_expect_eq(rep.index, 2);
	cr_expect_eq(rep.id, 4);
}

/* ------------------------------------------------------------------ */
/* System calls                                                        */
/* ------------------------------------------------------------------ */

Test(core, monotonic_ns_is_nonzero_and_non_decreasing, .timeout = 10)
{
	struct timespec a, b;
	uint64_t prev = 0;

	for (int i = 0; i < 1000; i++) {
		uint64_t lo, hi, now;

		cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &a), 0);
		now = ktc_monotonic_ns();
		cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &b), 0);
		lo = (uint64_t)a.tv_sec * 1000000000u + (uint64_t)a.tv_nsec;
		hi = (uint64_t)b.tv_sec * 1000000000u + (uint64_t)b.tv_nsec;
		cr_assert_neq(now, 0);
		/* The same clock: read between the two libc readings. */
		cr_assert_geq(now, lo, "call %d: %lu < %lu", i,
			      (unsigned long)now, (unsigned long)lo);
		cr_assert_leq(now, hi, "call %d: %lu > %lu", i,
			      (unsigned long)now, (unsigned long)hi);
		cr_assert_geq(now, prev, "call %d went backwards", i);
		prev = now;
	}
}

Test(core, restore_ids_get_and_set_match_the_prctl, .timeout = 10)
{
	int get = ktt_restore_ids_get();

	cr_expect_eq(ktc_restore_ids_get(), get);
	if (get == -EINVAL) {
		cr_expect_eq(ktc_restore_ids_set(1), -EINVAL);
		cr_skip_test("prctl(PR_TIMER_CREATE_RESTORE_IDS) is not "
			     "available: it needs Linux >= 6.15");
	}
	cr_assert_eq(get, 0);
	cr_expect_eq(ktc_restore_ids_set(1), 0);
	cr_expect_eq(ktt_restore_ids_get(), 1);
	cr_expect_eq(ktc_restore_ids_get(), 1);
	cr_expect_eq(ktc_restore_ids_set(0), 0);
	cr_expect_eq(ktt_restore_ids_get(), 0);
	cr_expect_eq(ktc_restore_ids_get(), 0);
}

struct vals {
	int v[16];
	struct ktc_report rep;
	char before[KTT_TEXT_MAX];
	char after[KTT_TEXT_MAX];
};

static struct vals *vals_new(void)
{
	struct vals *r = ktt_shared_alloc(sizeof(*r));

	for (int i = 0; i < 16; i++)
		r->v[i] = INT_MIN;
	r->rep = dirty_report();
	return r;
}

static void vals_free(struct vals *r)
{
	ktt_shared_free(r, sizeof(*r));
}

static void child_snapshot(char *buf)
{
	ssize_t len = ktt_proc_timers(buf, KTT_TEXT_MAX);

	KTT_CHILD_ASSERT(len >= 0, "/proc/self/timers: %zd", len);
}

static int child_syscalls(void *arg)
{
	struct vals *r = arg;
	struct ktc_sigevent sev = {.signo = SIGUSR1, .notify = SIGEV_NONE};
	int32_t id = -1; /* not read: the flag is OFF */

	r->v[0] = ktc_timer_create(CLOCK_MONOTONIC, &sev, &id);
	r->v[1] = id;
	r->v[2] = ktc_timer_exists(id);
	r->v[3] = ktt_timer_exists(id);
	r->v[4] = ktc_timer_exists(id + 1);
	r->v[5] = ktc_timer_delete(id);
	r->v[6] = ktc_timer_exists(id);
	r->v[7] = ktc_timer_delete(id);
	r->v[8] = ktc_timer_exists(-1);
	r->v[9] = ktc_timer_exists(INT_MAX);
	/* An unknown clock is refused before an ID is given. */
	id = 12345;
	r->v[10] = ktc_timer_create(1234, &sev, &id);
	r->v[11] = id;
	r->v[12] = ktt_timer_create_any();
	return 0;
}

Test(core, raw_timer_create_delete_and_exists, .timeout = 10)
{
	struct vals *r = vals_new();

	KTT_RUN_CHILD(child_syscalls, r);
	cr_expect_eq(r->v[0], 0, "create: %d", r->v[0]);
	cr_expect_eq(r->v[1], 0, "first ID of a fresh child");
	cr_expect_eq(r->v[2], 1, "exists after create");
	cr_expect_eq(r->v[3], 1, "the kernel agrees");
	cr_expect_eq(r->v[4], 0, "no timer at the next ID");
	cr_expect_eq(r->v[5], 0, "delete");
	cr_expect_eq(r->v[6], 0, "exists after delete");
	cr_expect_eq(r->v[7], -EINVAL, "second delete");
	cr_expect_eq(r->v[8], 0, "exists(-1)");
	cr_expect_eq(r->v[9], 0, "exists(INT_MAX)");
	cr_expect_eq(r->v[10], -EINVAL, "clock 1234");
	cr_expect_eq(r->v[11], 12345, "buffer untouched on failure");
	cr_expect_eq(r->v[12], 1, "the failed create consumed no ID");
	vals_free(r);
}

/* ------------------------------------------------------------------ */
/* ktc_create_explicit and ktc_create_linear, directly                 */
/* ------------------------------------------------------------------ */

static const int32_t set_ids[] = {0, 7, 3000};
#define N_SET (sizeof(set_ids) / sizeof(set_ids[0]))

enum { EXPLICIT, LINEAR };

static int child_create(void *arg)
{
	struct vals *r = arg;
	struct ktc_timer_req reqs[N_SET];
	struct ktc_linear_opts lin = {.max_steps = 1000000};

	for (size_t i = 0; i < N_SET; i++)
		reqs[i] = req(set_ids[i]);
	child_snapshot(r->before);
	if (r->v[15] == EXPLICIT)
		r->v[0] = ktc_create_explicit(reqs, N_SET, &r->rep);
	else
		r->v[0] = ktc_create_linear(reqs, N_SET, &lin, &r->rep);
	r->v[1] = ktt_restore_ids_get();
	child_snapshot(r->after);
	r->v[2] = ktt_timer_create_any();
	return 0;
}

static void create_set(int how)
{
	struct vals *r = vals_new();
	int ids[8];

	r->v[15] = how;
	KTT_RUN_CHILD(child_create, r);
	cr_assert_eq(r->v[0], 0, "create: %d", r->v[0]);
	expect_clean_report(&r->rep);
	/* OFF as found, or no prctl at all */
	cr_expect_eq(r->v[1], ktt_have_restore_ids() ? 0 : -EINVAL);
	cr_expect_str_eq(r->before, "");
	cr_assert_eq(ktt_parse_ids(r->after, ids, 8), N_SET, "%s", r->after);
	for (size_t i = 0; i < N_SET; i++)
		cr_expect_eq(ids[i], set_ids[N_SET - 1 - i]);
	cr_expect_eq(r->v[2], set_ids[N_SET - 1] + 1, "next ID");
	if (how == LINEAR) {
		/* From a fresh counter, IDs 0 .. 3000: one create each. */
		cr_expect_eq(r->rep.steps_needed,
			     (uint64_t)set_ids[N_SET - 1] + 1);
		cr_expect_eq(r->rep.steps_done,
			     (uint64_t)set_ids[N_SET - 1] + 1);
	}
	vals_free(r);
}

Test(core, create_explicit_gives_the_exact_ids, .timeout = 10)
{
	ktt_require_restore_ids();
	create_set(EXPLICIT);
}

Test(core, create_linear_gives_the_exact_ids, .timeout = 10)
{
	create_set(LINEAR);
}

static int child_unsorted(void *arg)
{
	struct vals *r = arg;
	struct ktc_timer_req reqs[] = {req(7), req(3)};
	struct ktc_linear_opts lin = {.max_steps = 1000000};

	r->v[0] = r->v[15] == EXPLICIT
			  ? ktc_create_explicit(reqs, 2, &r->rep)
			  : ktc_create_linear(reqs, 2, &lin, &r->rep);
	r->v[1] = ktt_restore_ids_get();
	child_snapshot(r->after);
	r->v[2] = ktt_timer_create_any();
	return 0;
}

static void unsorted(int how)
{
	struct vals *r = vals_new();

	r->v[15] = how;
	KTT_RUN_CHILD(child_unsorted, r);
	cr_expect_eq(r->v[0], -EINVAL);
	cr_expect_eq(r->rep.reason, KTC_REASON_UNSORTED);
	cr_expect_eq(r->rep.index, 1);
	cr_expect_eq(r->rep.id, 3);
	cr_expect_eq(r->rep.steps_done, 0);
	cr_expect_str_eq(r->after, "", "nothing created");
	cr_expect_eq(r->v[2], 0, "no ID consumed");
	vals_free(r);
}

Test(core, create_explicit_refuses_an_unsorted_set, .timeout = 10)
{
	ktt_require_restore_ids();
	unsorted(EXPLICIT);
}

Test(core, create_linear_refuses_an_unsorted_set, .timeout = 10)
{
	unsorted(LINEAR);
}

static int child_explicit_unsupported(void *arg)
{
	struct vals *r = arg;
	struct ktc_timer_req reqs[] = {req(5)};

	r->v[0] = ktc_create_explicit(reqs, 1, &r->rep);
	child_snapshot(r->after);
	return 0;
}

Test(core, create_explicit_without_the_prctl_is_eopnotsupp, .timeout = 10)
{
	struct vals *r;

	if (ktt_have_restore_ids())
		cr_skip_test("this kernel has PR_TIMER_CREATE_RESTORE_IDS");
	r = vals_new();
	KTT_RUN_CHILD(child_explicit_unsupported, r);
	cr_expect_eq(r->v[0], -EOPNOTSUPP);
	cr_expect_eq(r->rep.reason, KTC_REASON_UNSUPPORTED);
	cr_expect_str_eq(r->after, "");
	vals_free(r);
}

/* Linear from a counter that is not 0, with live timers in the way. */
static int child_linear_live(void *arg)
{
	struct vals *r = arg;
	struct ktc_timer_req reqs[] = {req(4), req(9)};
	struct ktc_linear_opts lin = {.max_steps = 100};

	/* Live 0, 1, 2; counter 3. */
	for (int i = 0; i < 3; i++)
		KTT_CHILD_ASSERT(ktt_timer_create_any() == i, "raw %d", i);
	child_snapshot(r->before);
	r->v[0] = ktc_create_linear(reqs, 2, &lin, &r->rep);
	r->v[4] = (int)r->rep.steps_done;
	child_snapshot(r->after);
	r->v[1] = ktt_timer_create_any();
	/* Again: now 4 and 9 are taken; nothing is walked. */
	r->v[2] = ktc_create_linear(&reqs[1], 1, &lin, &r->rep);
	r->v[3] = ktt_timer_create_any();
	return 0;
}

Test(core, create_linear_from_a_used_counter, .timeout = 10)
{
	struct vals *r = vals_new();
	int ids[8];

	KTT_RUN_CHILD(child_linear_live, r);
	cr_assert_eq(r->v[0], 0, "create: %d", r->v[0]);
	cr_assert_eq(ktt_parse_ids(r->after, ids, 8), 5, "%s", r->after);
	cr_expect_eq(ids[0], 9);
	cr_expect_eq(ids[1], 4);
	cr_expect_eq(ids[2], 2);
	cr_expect_eq(ids[3], 1);
	cr_expect_eq(ids[4], 0);
	/* Counter 3 .. 9: seven creates. */
	cr_expect_eq(r->v[4], 7);
	cr_expect_eq(r->v[1], 10);
	cr_expect_eq(r->v[2], -EBUSY);
	cr_expect_eq(r->rep.reason, KTC_REASON_ID_TAKEN);
	cr_expect_eq(r->rep.id, 9);
	cr_expect_eq(r->rep.steps_done, 0);
	cr_expect_eq(r->v[3], 11, "the refused walk consumed no ID");
	vals_free(r);
}
