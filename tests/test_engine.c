/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exact-ID engine through the public API: kt_timers_create() and
 * kt_timer_create_at() on the explicit and the linear path.
 *
 * Every creation runs in a freshly forked child (ktt_run_child), whose
 * timer ID counter starts at 0 and whose PR_TIMER_CREATE_RESTORE_IDS flag
 * is OFF. The child records in shared memory what the call returned, its
 * report, /proc/self/timers before and after, the flag afterwards and the
 * ID of the next raw timer_create; the test asserts on those.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <keeptime/keeptime.h>

#include "kt_test.h"

#define MAX_SPECS 512
#define MAX_CALLS 16
/* kt_progress_fn: "at most every 65536 steps" */
#define PROGRESS_STEPS 65536u

struct run;
typedef void (*run_hook)(struct run *r);

/* What GET says of a flag that is OFF: 0, or -EINVAL on kernels that have
 * no such prctl (before Linux 6.15). */
static int flag_off(void)
{
	return ktt_have_restore_ids() ? 0 : -EINVAL;
}

struct run {
	/* Set by the test before the child runs. */
	enum kt_id_path path;
	bool flag_on; /* turn the flag ON before the call */
	uint64_t max_steps;
	uint64_t max_ns;
	kt_progress_fn progress;
	run_hook setup; /* in the child, first */
	run_hook build; /* in the child, after setup: fill specs */
	size_t n;
	struct kt_timer_spec specs[MAX_SPECS];

	/* Filled by the child. */
	pid_t pid;
	int err;
	struct kt_create_report rep;
	int flag_before; /* GET just before the call */
	int flag_after;	 /* GET just after the call */
	int next_id;	 /* a raw create after the call (flag OFF) */
	bool isolated;	 /* setup_sigpending: runs under its own uid */
	unsigned long sigq_cur;
	int calls; /* progress callbacks */
	uint64_t done[MAX_CALLS];
	uint64_t total[MAX_CALLS];
	int results[8];	  /* for tests that make several calls */
	int intruder_id;  /* the timer the intruding callback created */
	int intruder_del; /* and its delete's result */
	char before[KTT_TEXT_MAX];
	char after[KTT_TEXT_MAX];
	char norm[KTT_TEXT_MAX]; /* after, normalised */
};

static struct run *run_new(enum kt_id_path path)
{
	struct run *r = ktt_shared_alloc(sizeof(*r));

	r->path = path;
	r->err = INT_MIN;
	r->flag_before = r->flag_after = r->next_id = INT_MIN;
	r->intruder_id = r->intruder_del = INT_MIN;
	return r;
}

static void run_free(struct run *r)
{
	ktt_shared_free(r, sizeof(*r));
}

/* A plain spec: CLOCK_MONOTONIC, SIGALRM carrying the ID. */
static struct kt_timer_spec plain_spec(int id)
{
	struct kt_timer_spec s = {.id = id, .clock = CLOCK_MONOTONIC};

	s.sev.sigev_notify = SIGEV_SIGNAL;
	s.sev.sigev_signo = SIGALRM;
	s.sev.sigev_value.sival_int = id;
	return s;
}

static void run_add(struct run *r, struct kt_timer_spec s)
{
	cr_assert_lt(r->n, MAX_SPECS);
	r->specs[r->n++] = s;
}

static void run_add_ids(struct run *r, const int *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_add(r, plain_spec(ids[i]));
}

static void child_snapshot(char *buf)
{
	ssize_t len = ktt_proc_timers(buf, KTT_TEXT_MAX);

	KTT_CHILD_ASSERT(len >= 0, "/proc/self/timers: %zd", len);
}

static int child_create(void *arg)
{
	struct run *r = arg;
	KT_OPTS(kt_create_opts, opts, .path = r->path,
		.max_steps = r->max_steps, .max_ns = r->max_ns,
		.progress = r->progress, .progress_ctx = r, .report = &r->rep);
	ssize_t len;

	r->pid = getpid();
	if (r->setup)
		r->setup(r);
	if (r->build)
		r->build(r);
	if (r->flag_on)
		KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	child_snapshot(r->before);
	r->flag_before = ktt_restore_ids_get();

	r->err = kt_timers_create(r->specs, r->n, &opts);

	r->flag_after = ktt_restore_ids_get();
	child_snapshot(r->after);
	if (r->flag_after == 1)
		KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
	r->next_id = ktt_timer_create_any();
	len = ktt_normalise_self(r->after, r->pid, r->norm, sizeof(r->norm));
	KTT_CHILD_ASSERT(len >= 0, "normalise: %zd", len);
	return 0;
}

/* Run r in a fresh child; the test fails if the child did. */
static void run_child(struct run *r)
{
	KTT_RUN_CHILD(child_create, r);
}

static void skip_unless_explicit(enum kt_id_path path)
{
	if (path == KT_PATH_EXPLICIT)
		ktt_require_restore_ids();
}

static const char *path_name(enum kt_id_path path)
{
	return path == KT_PATH_EXPLICIT ? "explicit"
	       : path == KT_PATH_LINEAR ? "linear"
					: "auto";
}

static int cmp_int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/*
 * The call succeeded, and /proc/self/timers holds exactly the wanted IDs
 * (newest, i.e. highest, first) followed by the timers from before; the
 * flag is as found; the kernel's next ID is max + 1.
 */
static void expect_created(const struct run *r)
{
	static int want[MAX_SPECS + 64], got[MAX_SPECS + 64];
	size_t npre, ngot, n = r->n;
	int max = -1;

	cr_assert_eq(r->err, 0, "%s path: kt_timers_create gave %d (%s)",
		     path_name(r->path), r->err, strerror(-r->err));
	if (r->path != KT_PATH_AUTO)
		cr_expect_eq(r->rep.path, r->path);
	cr_expect_eq(r->rep.reason, KT_REASON_OK);
	cr_expect_eq(r->rep.sys_err, 0);
	cr_expect_eq(r->rep.rollback_err, 0);
	cr_expect_eq(r->flag_after, r->flag_before, "flag %d -> %d",
		     r->flag_before, r->flag_after);

	for (size_t i = 0; i < n; i++) {
		want[i] = r->specs[i].id;
		if (want[i] > max)
			max = want[i];
	}
	qsort(want, n, sizeof(want[0]), cmp_int_desc);
	npre = ktt_parse_ids(r->before, want + n, MAX_SPECS + 64 - n);
	ngot = ktt_parse_ids(r->after, got, MAX_SPECS + 64);
	cr_assert_eq(ngot, n + npre, "%zu timers after, want %zu + %zu:\n%s",
		     ngot, n, npre, r->after);
	for (size_t i = 0; i < ngot; i++) {
		cr_expect_eq(got[i], want[i], "timer #%zu is %d, want %d", i,
			     got[i], want[i]);
		if (got[i] != want[i])
			break;
	}
	cr_expect_eq(r->next_id, (int)(((unsigned)max + 1) & INT_MAX),
		     "next raw ID %d after max %d", r->next_id, max);
}

/* The call failed and the process's timers are exactly as before. */
static void expect_failed(const struct run *r, int err, enum kt_reason reason)
{
	cr_assert_eq(r->err, err, "%s path: kt_timers_create gave %d (%s)",
		     path_name(r->path), r->err, strerror(-r->err));
	cr_expect_eq(r->rep.reason, reason, "reason %d (%s)", r->rep.reason,
		     kt_reason_str(r->rep.reason));
	cr_expect_eq(r->rep.path, r->path);
	cr_expect_eq(r->rep.rollback_err, 0);
	cr_expect_str_eq(r->after, r->before, "timers changed");
	cr_expect_eq(r->flag_after, r->flag_before, "flag %d -> %d",
		     r->flag_before, r->flag_after);
}

/* ------------------------------------------------------------------ */
/* Sets created on both paths                                          */
/* ------------------------------------------------------------------ */

static void ids_0_and_1(enum kt_id_path path)
{
	static const int ids[] = {0, 1};
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	run_add_ids(r, ids, 2);
	run_child(r);
	expect_created(r);
	cr_expect_eq(r->flag_after, flag_off(), "OFF stays OFF");
	if (path == KT_PATH_LINEAR) {
		cr_expect_eq(r->rep.steps_needed, 2);
		cr_expect_eq(r->rep.steps_done, 2);
	}
	run_free(r);
}

Test(engine, explicit_ids_0_and_1, .timeout = 10)
{
	ids_0_and_1(KT_PATH_EXPLICIT);
}

Test(engine, linear_ids_0_and_1, .timeout = 10)
{
	ids_0_and_1(KT_PATH_LINEAR);
}

static void sparse(enum kt_id_path path)
{
	static const int ids[] = {3, 1000, 50000};
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	run_add_ids(r, ids, 3);
	run_child(r);
	expect_created(r);
	if (path == KT_PATH_LINEAR) {
		/* From a fresh counter: one create per ID up to the last. */
		cr_expect_eq(r->rep.steps_needed, 50001);
		cr_expect_eq(r->rep.steps_done, 50001);
	} else {
		cr_expect_eq(r->rep.steps_done, 0);
	}
	run_free(r);
}

Test(engine, explicit_sparse_ids, .timeout = 10)
{
	sparse(KT_PATH_EXPLICIT);
}

Test(engine, linear_sparse_ids, .timeout = 30)
{
	sparse(KT_PATH_LINEAR);
}

/* A few hundred IDs i * 1000 + 7, in a scrambled order. */
static void many_unsorted(enum kt_id_path path)
{
	enum { N = 300 };
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	for (int i = 0; i < N; i++) {
		/* 7 is coprime with 300: a permutation of 0..299 */
		int k = (i * 7) % N;

		run_add(r, plain_spec(k * 1000 + 7));
	}
	run_child(r);
	expect_created(r);
	if (path == KT_PATH_LINEAR)
		cr_expect_eq(r->rep.steps_done, (N - 1) * 1000 + 7 + 1);
	run_free(r);
}

Test(engine, explicit_many_sparse_ids_unsorted, .timeout = 10)
{
	many_unsorted(KT_PATH_EXPLICIT);
}

Test(engine, linear_many_sparse_ids_unsorted, .timeout = 30)
{
	many_unsorted(KT_PATH_LINEAR);
}

static void small_unsorted(enum kt_id_path path)
{
	static const int ids[] = {50000, 3, 1000, 4};
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	run_add_ids(r, ids, 4);
	run_child(r);
	expect_created(r);
	run_free(r);
}

Test(engine, explicit_unsorted_input, .timeout = 10)
{
	small_unsorted(KT_PATH_EXPLICIT);
}

Test(engine, linear_unsorted_input, .timeout = 30)
{
	small_unsorted(KT_PATH_LINEAR);
}

/* ------------------------------------------------------------------ */
/* INT_MAX                                                              */
/* ------------------------------------------------------------------ */

static int child_create_at(void *arg)
{
	struct run *r = arg;
	KT_OPTS(kt_create_opts, opts, .path = r->path, .report = &r->rep);
	const struct kt_timer_spec *s = &r->specs[0];

	r->pid = getpid();
	if (r->setup)
		r->setup(r);
	child_snapshot(r->before);
	r->flag_before = ktt_restore_ids_get();
	/* r->n == 0 means: NULL sigevent */
	r->err = kt_timer_create_at(s->id, s->clock, r->n ? &s->sev : NULL,
				    &opts);
	r->flag_after = ktt_restore_ids_get();
	child_snapshot(r->after);
	if (r->flag_after == 1)
		KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
	r->next_id = ktt_timer_create_any();
	KTT_CHILD_ASSERT(ktt_normalise_self(r->after, r->pid, r->norm,
					    sizeof(r->norm)) >= 0,
			 "normalise");
	return 0;
}

Test(engine, explicit_int_max, .timeout = 10)
{
	struct run *r;

	ktt_require_restore_ids();
	r = run_new(KT_PATH_EXPLICIT);
	run_add(r, plain_spec(KT_TIMER_ID_MAX));
	KTT_RUN_CHILD(child_create_at, r);
	/* and the next raw ID wraps to 0 */
	expect_created(r);
	run_free(r);
}

Test(engine, linear_int_max_is_refused_after_one_probe_step, .timeout = 10)
{
	struct run *r = run_new(KT_PATH_LINEAR);

	run_add(r, plain_spec(KT_TIMER_ID_MAX));
	KTT_RUN_CHILD(child_create_at, r);
	expect_failed(r, -E2BIG, KT_REASON_BOUND);
	/* From a fresh counter: IDs 0 .. INT_MAX, 2^31 creates. */
	cr_expect_eq(r->rep.steps_needed, 2147483648ULL);
	cr_expect_eq(r->rep.steps_done, 1, "walked %" PRIu64 " steps",
		     r->rep.steps_done);
	cr_expect_eq(r->rep.id, KT_TIMER_ID_MAX);
	cr_expect_eq(r->rep.got_id, 0, "the probe step's ID");
	cr_expect_eq(r->rep.index, 0);
	cr_expect_eq(r->next_id, 1, "only the probe's ID 0 was consumed");
	run_free(r);
}

/* ------------------------------------------------------------------ */
/* Rejected sets: nothing created, nothing consumed                     */
/* ------------------------------------------------------------------ */

/* One live raw timer (ID 0) so that "unchanged" is not "empty". */
static void setup_one_raw(struct run *r)
{
	int id = ktt_timer_create_any();

	(void)r;
	KTT_CHILD_ASSERT(id == 0, "raw create in a fresh child: %d", id);
}

static void duplicates(enum kt_id_path path, const int *ids, size_t n, int dup)
{
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	r->setup = setup_one_raw;
	run_add_ids(r, ids, n);
	run_child(r);
	expect_failed(r, -EINVAL, KT_REASON_DUPLICATE_ID);
	cr_expect_eq(r->rep.id, dup);
	cr_assert_lt(r->rep.index, n);
	/* The later occurrence of the duplicate is named. */
	cr_expect_eq(ids[r->rep.index], dup, "index %zu", r->rep.index);
	for (size_t i = r->rep.index + 1; i < n; i++)
		cr_expect_neq(ids[i], dup, "a later copy at %zu", i);
	cr_expect_eq(r->rep.steps_done, 0);
	cr_expect_eq(r->next_id, 1, "the counter did not move");
	cr_expect_eq(r->flag_after, flag_off());
	run_free(r);
}

Test(engine, explicit_duplicate_ids_are_rejected_before_creating, .timeout = 10)
{
	static const int unsorted[] = {5, 9, 5};
	static const int sorted[] = {1, 2, 2};

	duplicates(KT_PATH_EXPLICIT, unsorted, 3, 5);
	duplicates(KT_PATH_EXPLICIT, sorted, 3, 2);
}

Test(engine, linear_duplicate_ids_are_rejected_before_creating, .timeout = 10)
{
	static const int unsorted[] = {5, 9, 5};
	static const int sorted[] = {1, 2, 2};

	duplicates(KT_PATH_LINEAR, unsorted, 3, 5);
	duplicates(KT_PATH_LINEAR, sorted, 3, 2);
}

static void bad_id(enum kt_id_path path)
{
	static const int ids[] = {4, -1};
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	r->setup = setup_one_raw;
	run_add_ids(r, ids, 2);
	run_child(r);
	expect_failed(r, -EINVAL, KT_REASON_BAD_ID);
	cr_expect_eq(r->rep.index, 1);
	cr_expect_eq(r->rep.id, -1);
	cr_expect_eq(r->next_id, 1, "the counter did not move");
	run_free(r);
}

Test(engine, explicit_negative_id_is_rejected, .timeout = 10)
{
	bad_id(KT_PATH_EXPLICIT);
}

Test(engine, linear_negative_id_is_rejected, .timeout = 10)
{
	bad_id(KT_PATH_LINEAR);
}

Test(engine, null_specs_and_empty_sets, .timeout = 10)
{
	struct kt_create_report rep;
	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_LINEAR, .report = &rep);

	memset(&rep, 0xff, sizeof(rep));
	cr_expect_eq(kt_timers_create(NULL, 1, &opts), -EINVAL);
	cr_expect_eq(rep.reason, KT_REASON_BAD_ID);
	/* An empty set is created at once, on either path. */
	cr_expect_eq(kt_timers_create(NULL, 0, &opts), 0);
	cr_expect_eq(rep.reason, KT_REASON_OK);
	cr_expect_eq(rep.steps_done, 0);
	if (ktt_have_restore_ids()) {
		opts.path = KT_PATH_EXPLICIT;
		cr_expect_eq(kt_timers_create(NULL, 0, &opts), 0);
		cr_expect_eq(rep.path, KT_PATH_EXPLICIT);
		cr_expect_eq(ktt_restore_ids_get(), 0);
	}
}

/* ------------------------------------------------------------------ */
/* IDs held by live timers                                              */
/* ------------------------------------------------------------------ */

/* Live raw timers 0, 1, 2; the counter at 3. */
static void setup_three_raw(struct run *r)
{
	(void)r;
	for (int i = 0; i < 3; i++) {
		int id = ktt_timer_create_any();

		KTT_CHILD_ASSERT(id == i, "raw create %d gave %d", i, id);
	}
}

static void id_taken(enum kt_id_path path)
{
	static const int ids[] = {50, 1};
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	r->setup = setup_three_raw;
	run_add_ids(r, ids, 2);
	run_child(r);
	expect_failed(r, -EBUSY, KT_REASON_ID_TAKEN);
	cr_expect_eq(r->rep.index, 1, "the caller's index of ID 1");
	cr_expect_eq(r->rep.id, 1);
	/* Nothing was created before ID 1 (the lowest): counter untouched. */
	cr_expect_eq(r->next_id, 3, "next raw ID %d", r->next_id);
	run_free(r);
}

Test(engine, explicit_id_held_by_a_live_timer_is_ebusy, .timeout = 10)
{
	id_taken(KT_PATH_EXPLICIT);
}

Test(engine, linear_id_held_by_a_live_timer_is_ebusy, .timeout = 10)
{
	id_taken(KT_PATH_LINEAR);
}

/* A live timer at 500 above the counter (at 11): needs the prctl. */
static void setup_live_500(struct run *r)
{
	int id;

	(void)r;
	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	id = 500;
	KTT_CHILD_ASSERT(ktt_timer_create(CLOCK_MONOTONIC, NULL, &id) == 0 &&
				 id == 500,
			 "explicit 500: %d", id);
	id = 10;
	KTT_CHILD_ASSERT(ktt_timer_create(CLOCK_MONOTONIC, NULL, &id) == 0 &&
				 id == 10,
			 "explicit 10: %d", id);
	KTT_CHILD_ASSERT(ktt_timer_delete(10) == 0, "delete 10");
	KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
}

static void id_taken_last(enum kt_id_path path)
{
	static const int ids[] = {100, 200, 500};
	struct run *r;

	ktt_require_restore_ids(); /* for the set-up */
	r = run_new(path);
	r->setup = setup_live_500;
	run_add_ids(r, ids, 3);
	run_child(r);
	/* Explicit: 100 and 200 were created, then undone. */
	expect_failed(r, -EBUSY, KT_REASON_ID_TAKEN);
	cr_expect_eq(r->rep.index, 2);
	cr_expect_eq(r->rep.id, 500);
	if (path == KT_PATH_LINEAR)
		cr_expect_eq(r->next_id, 11, "linear checks before walking");
	run_free(r);
}

Test(engine, explicit_late_id_held_by_a_live_timer_rolls_back, .timeout = 10)
{
	id_taken_last(KT_PATH_EXPLICIT);
}

Test(engine, linear_late_id_held_by_a_live_timer_is_refused_first,
     .timeout = 10)
{
	id_taken_last(KT_PATH_LINEAR);
}

/* ------------------------------------------------------------------ */
/* Linear path: counter, bounds, live timers, concurrency, progress     */
/* ------------------------------------------------------------------ */

/* Live raw timer 0, IDs 1..4 consumed: the counter at 5. */
static void setup_counter_at_5(struct run *r)
{
	(void)r;
	for (int i = 0; i < 5; i++)
		KTT_CHILD_ASSERT(ktt_timer_create_any() == i, "raw create %d",
				 i);
	for (int i = 1; i < 5; i++)
		KTT_CHILD_ASSERT(ktt_timer_delete(i) == 0, "delete %d", i);
}

Test(engine, linear_id_below_the_counter_is_erange, .timeout = 10)
{
	static const int ids[] = {10, 3};
	struct run *r = run_new(KT_PATH_LINEAR);

	r->setup = setup_counter_at_5;
	run_add_ids(r, ids, 2);
	run_child(r);
	expect_failed(r, -ERANGE, KT_REASON_ID_PASSED);
	cr_expect_eq(r->rep.index, 1, "the caller's index of ID 3");
	cr_expect_eq(r->rep.id, 3);
	cr_expect_eq(r->rep.got_id, 5, "the counter's ID");
	cr_expect_eq(r->rep.steps_done, 1);
	cr_expect_eq(r->next_id, 6, "the probe consumed ID 5 only");
	run_free(r);
}

static void step_bound(uint64_t max_steps)
{
	static const int ids[] = {40, 1000};
	struct run *r = run_new(KT_PATH_LINEAR);

	r->max_steps = max_steps;
	run_add_ids(r, ids, 2);
	run_child(r);
	if (max_steps >= 1001) {
		expect_created(r);
		cr_expect_eq(r->rep.steps_done, 1001);
	} else {
		expect_failed(r, -E2BIG, KT_REASON_BOUND);
		cr_expect_eq(r->rep.index, 1, "the farthest ID is named");
		cr_expect_eq(r->rep.id, 1000);
		cr_expect_eq(r->rep.got_id, 0);
		cr_expect_eq(r->next_id, 1, "only the probe step was made");
		cr_expect_eq(r->rep.steps_done, 1);
	}
	/* IDs 0 .. 1000 from a fresh counter. */
	cr_expect_eq(r->rep.steps_needed, 1001);
	run_free(r);
}

Test(engine, linear_step_bound_is_exact, .timeout = 10)
{
	step_bound(100);
	step_bound(1000);
	step_bound(1001);
}

Test(engine, linear_time_bound_stops_the_walk, .timeout = 10)
{
	static const int ids[] = {100, 5000};
	struct run *r = run_new(KT_PATH_LINEAR);

	r->max_ns = 1;
	run_add_ids(r, ids, 2);
	run_child(r);
	/* 100 was created on the way, and is undone. */
	expect_failed(r, -E2BIG, KT_REASON_BOUND);
	cr_expect_eq(r->rep.index, 1);
	cr_expect_eq(r->rep.id, 5000);
	cr_expect_eq(r->rep.steps_needed, 5001);
	/* The estimate is made after the first 1024 steps. */
	cr_expect_eq(r->rep.steps_done, 1024, "walked %" PRIu64,
		     r->rep.steps_done);
	cr_expect_eq(r->next_id, 1024);
	run_free(r);
}

/* Live timers 50, 51, 52 above the counter (at 11): needs the prctl. */
static void setup_live_50_to_52(struct run *r)
{
	int id;

	(void)r;
	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	for (int want = 50; want <= 52; want++) {
		id = want;
		KTT_CHILD_ASSERT(ktt_timer_create(CLOCK_MONOTONIC, NULL, &id) ==
						 0 &&
					 id == want,
				 "explicit %d: %d", want, id);
	}
	id = 10;
	KTT_CHILD_ASSERT(ktt_timer_create(CLOCK_MONOTONIC, NULL, &id) == 0 &&
				 id == 10,
			 "explicit 10: %d", id);
	KTT_CHILD_ASSERT(ktt_timer_delete(10) == 0, "delete 10");
	KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
}

Test(engine, linear_walk_skips_live_timers_on_the_way, .timeout = 10)
{
	static const int ids[] = {53, 60};
	struct run *r;

	ktt_require_restore_ids(); /* for the set-up */
	r = run_new(KT_PATH_LINEAR);
	r->setup = setup_live_50_to_52;
	run_add_ids(r, ids, 2);
	run_child(r);
	expect_created(r);
	/* Counter 11 .. 60, less the three IDs the kernel skips. */
	cr_expect_eq(r->rep.steps_done, (60 - 11 + 1) - 3, "steps %" PRIu64,
		     r->rep.steps_done);
	run_free(r);
}

/* Plays another thread: at the first report, create and delete a timer. */
static void progress_intruder(uint64_t done, uint64_t total, uint64_t eta_ns,
			      void *ctx)
{
	struct run *r = ctx;

	(void)eta_ns;
	if (r->calls < MAX_CALLS) {
		r->done[r->calls] = done;
		r->total[r->calls] = total;
	}
	if (r->calls++ == 0) {
		r->intruder_id = ktt_timer_create_any();
		r->intruder_del = ktt_timer_delete(r->intruder_id);
	}
}

Test(engine, linear_walk_detects_a_counter_moved_under_it, .timeout = 30)
{
	static const int ids[] = {100000, 10};
	struct run *r = run_new(KT_PATH_LINEAR);

	r->progress = progress_intruder;
	run_add_ids(r, ids, 2);
	run_child(r);
	cr_assert_eq(r->calls, 1, "progress calls: %d", r->calls);
	cr_expect_eq(r->done[0] % PROGRESS_STEPS, 0);
	/* After "done" steps from 0 the counter is at "done". */
	cr_expect_eq((uint64_t)r->intruder_id, r->done[0]);
	cr_expect_eq(r->intruder_del, 0);
	/* 10 was created before the intrusion, and is undone. */
	expect_failed(r, -EPROTO, KT_REASON_ID_MISMATCH);
	cr_expect_eq(r->rep.index, 0, "the caller's index of 100000");
	cr_expect_eq(r->rep.id, 100000, "the wanted ID");
	cr_expect_eq(r->rep.expected_id, r->intruder_id, "the ID that was due");
	cr_expect_eq(r->rep.got_id, r->intruder_id + 1);
	cr_expect_eq(r->rep.steps_done, r->done[0] + 1);
	run_free(r);
}

static void progress_record(uint64_t done, uint64_t total, uint64_t eta_ns,
			    void *ctx)
{
	struct run *r = ctx;

	(void)eta_ns;
	if (r->calls < MAX_CALLS) {
		r->done[r->calls] = done;
		r->total[r->calls] = total;
	}
	r->calls++;
}

Test(engine, linear_progress_is_reported_every_65536_steps, .timeout = 30)
{
	static const int ids[] = {200000};
	struct run *r = run_new(KT_PATH_LINEAR);

	r->progress = progress_record;
	run_add_ids(r, ids, 1);
	run_child(r);
	expect_created(r);
	cr_expect_eq(r->rep.steps_needed, 200001);
	cr_expect_eq(r->rep.steps_done, 200001);
	/* A report after every 65536th step but the last (which keeps). */
	cr_assert_eq(r->calls, (int)((r->rep.steps_done - 1) / PROGRESS_STEPS),
		     "progress calls: %d", r->calls);
	for (int i = 0; i < r->calls && i < MAX_CALLS; i++) {
		cr_expect_eq(r->done[i], (uint64_t)(i + 1) * PROGRESS_STEPS,
			     "call %d: done %" PRIu64, i, r->done[i]);
		cr_expect_eq(r->total[i], r->rep.steps_needed,
			     "call %d: total %" PRIu64, i, r->total[i]);
	}
	run_free(r);
}

/* ------------------------------------------------------------------ */
/* Rollback after a late failure, and the flag as found                 */
/* ------------------------------------------------------------------ */

/* Live raw timers 0 and 1 (before the flag may be turned ON). */
static void setup_two_raw(struct run *r)
{
	(void)r;
	KTT_CHILD_ASSERT(ktt_timer_create_any() == 0, "raw create 0");
	KTT_CHILD_ASSERT(ktt_timer_create_any() == 1, "raw create 1");
}

enum late_failure { BAD_CLOCK, BAD_TID };

static void late_failure(enum kt_id_path path, bool flag_on,
			 enum late_failure what)
{
	struct run *r;
	struct kt_timer_spec bad = plain_spec(20);

	if (path == KT_PATH_EXPLICIT || flag_on)
		ktt_require_restore_ids();
	r = run_new(path);
	r->setup = setup_two_raw;
	r->flag_on = flag_on;
	if (what == BAD_CLOCK) {
		bad.clock = 1234; /* no such clock: EINVAL */
	} else {
		/* Not a thread of the process: EINVAL from the kernel. */
		bad.sev.sigev_notify = SIGEV_THREAD_ID;
		KT_SIGEV_TID(&bad.sev) = KTT_TID_NONEXISTENT;
	}
	/* The highest ID, so it is created last, but first in the array. */
	run_add(r, bad);
	run_add(r, plain_spec(5));
	run_add(r, plain_spec(9));
	run_child(r);
	cr_expect_eq(r->flag_before, flag_on ? 1 : flag_off());
	expect_failed(r, -EINVAL, KT_REASON_SYSCALL);
	cr_expect_eq(r->rep.index, 0);
	cr_expect_eq(r->rep.id, 20);
	cr_expect_eq(r->rep.sys_err, -EINVAL);
	cr_assert_not_null(r->rep.sys_call);
	cr_expect_str_eq(r->rep.sys_call, "timer_create");
	run_free(r);
}

Test(engine, explicit_late_failure_rolls_back_flag_off, .timeout = 10)
{
	late_failure(KT_PATH_EXPLICIT, false, BAD_CLOCK);
	late_failure(KT_PATH_EXPLICIT, false, BAD_TID);
}

Test(engine, explicit_late_failure_rolls_back_flag_on, .timeout = 10)
{
	late_failure(KT_PATH_EXPLICIT, true, BAD_CLOCK);
	late_failure(KT_PATH_EXPLICIT, true, BAD_TID);
}

Test(engine, linear_late_failure_rolls_back_flag_off, .timeout = 10)
{
	late_failure(KT_PATH_LINEAR, false, BAD_CLOCK);
	late_failure(KT_PATH_LINEAR, false, BAD_TID);
}

Test(engine, linear_late_failure_rolls_back_flag_on, .timeout = 10)
{
	late_failure(KT_PATH_LINEAR, true, BAD_CLOCK);
	late_failure(KT_PATH_LINEAR, true, BAD_TID);
}

static void flag_on_kept(enum kt_id_path path)
{
	static const int ids[] = {2, 700};
	struct run *r;

	ktt_require_restore_ids();
	r = run_new(path);
	r->flag_on = true;
	run_add_ids(r, ids, 2);
	run_child(r);
	cr_expect_eq(r->flag_before, 1);
	expect_created(r); /* flag_after == flag_before */
	run_free(r);
}

Test(engine, explicit_flag_on_at_entry_is_on_afterwards, .timeout = 10)
{
	flag_on_kept(KT_PATH_EXPLICIT);
}

Test(engine, linear_flag_on_at_entry_is_on_afterwards, .timeout = 10)
{
	flag_on_kept(KT_PATH_LINEAR);
}

/* ------------------------------------------------------------------ */
/* Both paths build the same timers, exactly as specified               */
/* ------------------------------------------------------------------ */

/* Set in the child: the SIGEV_THREAD_ID target is the child itself. */
static void build_mixed(struct run *r)
{
	static const struct {
		int id;
		clockid_t clock;
		int notify;
		int signo;
		uint64_t value;
	} m[] = {
		{1000, CLOCK_MONOTONIC, SIGEV_THREAD, SIGUSR2, 42},
		{0, CLOCK_REALTIME, SIGEV_SIGNAL, SIGALRM, 0},
		{70000, CLOCK_BOOTTIME, SIGEV_SIGNAL, 37, 0x123456789abcdef0},
		{1, CLOCK_MONOTONIC, SIGEV_NONE, 12345, 0xdeadbeefcafe},
		{9, CLOCK_TAI, SIGEV_THREAD_ID, 64, UINT64_MAX},
		{100, KTT_CLOCK_PROCESS_CPU, SIGEV_SIGNAL, SIGUSR1, 1},
		{4, CLOCK_BOOTTIME, SIGEV_THREAD_ID, 35, 0x80000000},
		{1001, CLOCK_REALTIME, SIGEV_NONE, 0, 7},
		{2, CLOCK_TAI, SIGEV_SIGNAL, SIGTERM, 0xffffffff},
	};

	r->n = 0;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct kt_timer_spec s = {.id = m[i].id, .clock = m[i].clock};

		s.sev.sigev_notify = m[i].notify;
		s.sev.sigev_signo = m[i].signo;
		s.sev.sigev_value.sival_ptr = (void *)(uintptr_t)m[i].value;
		if (m[i].notify == SIGEV_THREAD_ID)
			KT_SIGEV_TID(&s.sev) = gettid();
		r->specs[r->n++] = s;
	}
}

static int cmp_spec_desc(const void *a, const void *b)
{
	const struct kt_timer_spec *x = a, *y = b;

	return (x->id < y->id) - (x->id > y->id);
}

/*
 * What /proc/PID/timers must show for r's specs alone, normalised: newest
 * (highest ID, as sets are created in ascending order) first.
 */
static void model_timers(const struct run *r, char *out, size_t len)
{
	static const char *const kinds[] = {"signal", "none", "thread"};
	static struct kt_timer_spec s[MAX_SPECS];
	size_t pos = 0;

	memcpy(s, r->specs, r->n * sizeof(s[0]));
	qsort(s, r->n, sizeof(s[0]), cmp_spec_desc);
	out[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		int notify = s[i].sev.sigev_notify;
		int w = snprintf(out + pos, len - pos,
				 "ID: %d\nsignal: %d/%016" PRIxPTR
				 "\nnotify: %s/%s.SELF\nClockID: %d\n",
				 s[i].id, s[i].sev.sigev_signo,
				 (uintptr_t)s[i].sev.sigev_value.sival_ptr,
				 kinds[notify & ~SIGEV_THREAD_ID],
				 notify & SIGEV_THREAD_ID ? "tid" : "pid",
				 (int)s[i].clock);

		cr_assert(w > 0 && (size_t)w < len - pos, "model too long");
		pos += (size_t)w;
	}
}

static struct run *mixed_run(enum kt_id_path path)
{
	static char model[KTT_TEXT_MAX];
	struct run *r = run_new(path);

	r->build = build_mixed;
	run_child(r);
	expect_created(r);
	model_timers(r, model, sizeof(model));
	cr_expect_str_eq(r->norm, model, "%s path", path_name(path));
	return r;
}

Test(engine, linear_timers_are_exactly_as_specified, .timeout = 30)
{
	run_free(mixed_run(KT_PATH_LINEAR));
}

Test(engine, both_paths_build_identical_timers, .timeout = 30)
{
	struct run *x, *l;

	ktt_require_restore_ids();
	x = mixed_run(KT_PATH_EXPLICIT);
	l = mixed_run(KT_PATH_LINEAR);
	cr_expect_str_eq(x->norm, l->norm);
	run_free(x);
	run_free(l);
}

/* The kernel's own rendering of a NULL sigevent at ID 7. */
static int child_raw_null_sev_7(void *arg)
{
	struct run *r = arg;

	r->pid = getpid();
	for (int i = 0; i <= 7; i++)
		KTT_CHILD_ASSERT(ktt_timer_create_any() == i, "raw %d", i);
	for (int i = 0; i < 7; i++)
		KTT_CHILD_ASSERT(ktt_timer_delete(i) == 0, "delete %d", i);
	child_snapshot(r->after);
	KTT_CHILD_ASSERT(ktt_normalise_self(r->after, r->pid, r->norm,
					    sizeof(r->norm)) >= 0,
			 "normalise");
	return 0;
}

static void null_sev(enum kt_id_path path)
{
	struct run *kernel, *r;
	struct kt_timer_spec s = {.id = 7, .clock = CLOCK_MONOTONIC};

	skip_unless_explicit(path);
	kernel = run_new(path);
	KTT_RUN_CHILD(child_raw_null_sev_7, kernel);
	r = run_new(path);
	r->specs[0] = s; /* r->n == 0: kt_timer_create_at(..., NULL, ...) */
	KTT_RUN_CHILD(child_create_at, r);
	cr_assert_eq(r->err, 0, "kt_timer_create_at: %d", r->err);
	cr_expect_str_eq(r->norm, kernel->norm);
	cr_expect_eq(r->next_id, 8);
	run_free(kernel);
	run_free(r);
}

Test(engine, explicit_null_sigevent_means_what_the_kernel_means, .timeout = 10)
{
	null_sev(KT_PATH_EXPLICIT);
}

Test(engine, linear_null_sigevent_means_what_the_kernel_means, .timeout = 10)
{
	null_sev(KT_PATH_LINEAR);
}

/* ------------------------------------------------------------------ */
/* Path selection                                                       */
/* ------------------------------------------------------------------ */

static struct run *auto_run(void)
{
	struct run *r = run_new(KT_PATH_AUTO);

	run_add(r, plain_spec(5));
	run_child(r);
	expect_created(r);
	return r;
}

Test(engine, force_linear_env_turns_auto_into_linear, .timeout = 10)
{
	struct run *r;

	cr_assert_eq(setenv("KEEPTIME_FORCE_LINEAR", "1", 1), 0);
	r = auto_run();
	cr_expect_eq(r->rep.path, KT_PATH_LINEAR, "path %s",
		     path_name(r->rep.path));
	cr_expect_eq(r->rep.steps_done, 6, "IDs 0..5 walked");
	run_free(r);
}

Test(engine, force_linear_env_0_or_unset_leaves_auto_explicit, .timeout = 10)
{
	struct run *r;

	ktt_require_restore_ids(); /* else AUTO is linear anyway */
	cr_assert_eq(setenv("KEEPTIME_FORCE_LINEAR", "0", 1), 0);
	r = auto_run();
	cr_expect_eq(r->rep.path, KT_PATH_EXPLICIT, "with \"0\": %s",
		     path_name(r->rep.path));
	cr_expect_eq(r->rep.steps_done, 0);
	run_free(r);
	cr_assert_eq(unsetenv("KEEPTIME_FORCE_LINEAR"), 0);
	r = auto_run();
	cr_expect_eq(r->rep.path, KT_PATH_EXPLICIT, "unset: %s",
		     path_name(r->rep.path));
	run_free(r);
}

Test(engine, explicit_path_without_the_prctl_is_eopnotsupp, .timeout = 10)
{
	struct run *r;

	if (ktt_have_restore_ids())
		cr_skip_test("this kernel has PR_TIMER_CREATE_RESTORE_IDS");
	r = run_new(KT_PATH_EXPLICIT);
	run_add(r, plain_spec(5));
	run_child(r);
	expect_failed(r, -EOPNOTSUPP, KT_REASON_UNSUPPORTED);
	run_free(r);
}

Test(engine, feature_probe_agrees_with_the_prctl, .timeout = 10)
{
	int get = ktt_restore_ids_get();

	cr_assert(get == 0 || get == 1 || get == -EINVAL, "GET gave %d", get);
	cr_expect_eq(kt_explicit_ids_supported(), get != -EINVAL);
	/* cached: the same answer again */
	cr_expect_eq(kt_explicit_ids_supported(), get != -EINVAL);
	if (get == -EINVAL) {
		cr_expect_eq(kt_restore_ids_flag(), -EOPNOTSUPP);
		return;
	}
	cr_expect_eq(kt_restore_ids_flag(), 0);
	cr_assert_eq(ktt_restore_ids_set(1), 0);
	cr_expect_eq(kt_restore_ids_flag(), 1);
	cr_assert_eq(ktt_restore_ids_set(0), 0);
	cr_expect_eq(kt_restore_ids_flag(), 0);
}

/* ------------------------------------------------------------------ */
/* RLIMIT_SIGPENDING                                                    */
/* ------------------------------------------------------------------ */

/*
 * Leave room for exactly two more timers. The count is per user and
 * shared with every process of that user, so when the child can, it moves
 * to a uid of its own (unique per process) where nobody else charges it.
 */
static void setup_sigpending(struct run *r)
{
	uid_t uid = 2000000000u + (uid_t)getpid();
	struct rlimit rl;
	unsigned long limit;

	if (setresuid(uid, uid, uid) == 0) {
		r->isolated = true;
		/* /proc/self/timers needs a dumpable process */
		KTT_CHILD_ASSERT(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0,
				 "PR_SET_DUMPABLE");
	}
	KTT_CHILD_ASSERT(ktt_sigq(&r->sigq_cur, &limit) == 0, "SigQ");
	KTT_CHILD_ASSERT(getrlimit(RLIMIT_SIGPENDING, &rl) == 0, "getrlimit");
	rl.rlim_cur = r->sigq_cur + 2;
	KTT_CHILD_ASSERT(setrlimit(RLIMIT_SIGPENDING, &rl) == 0,
			 "setrlimit(RLIMIT_SIGPENDING, %lu)", r->sigq_cur + 2);
}

static void sigpending_exhausted(enum kt_id_path path)
{
	struct run *r;

	skip_unless_explicit(path);
	r = run_new(path);
	r->setup = setup_sigpending;
	/* 0, 2, 4, ...: the linear walk also needs a slot for its steps. */
	for (int i = 0; i < 20; i++)
		run_add(r, plain_spec(2 * i));
	run_child(r);
	expect_failed(r, -EAGAIN, KT_REASON_SYSCALL);
	cr_expect_eq(r->rep.sys_err, -EAGAIN);
	cr_assert_not_null(r->rep.sys_call);
	cr_expect_str_eq(r->rep.sys_call, "timer_create");
	if (r->isolated) {
		/* Nobody else shares the count: two timers fit, not three. */
		cr_expect_eq(r->sigq_cur, 0);
		cr_expect_eq(r->rep.index, 2, "failed at #%zu", r->rep.index);
		cr_expect_eq(r->rep.id, 4);
	}
	run_free(r);
}

Test(engine, explicit_rlimit_sigpending_exhausted_is_eagain, .timeout = 10)
{
	sigpending_exhausted(KT_PATH_EXPLICIT);
}

Test(engine, linear_rlimit_sigpending_exhausted_is_eagain, .timeout = 10)
{
	sigpending_exhausted(KT_PATH_LINEAR);
}

/* ------------------------------------------------------------------ */
/* Reports and options                                                  */
/* ------------------------------------------------------------------ */

enum { REP_DUP, REP_TAKEN, REP_PASSED, REP_BOUND, REP_SYSCALL, N_REPS };

struct reports {
	int err[N_REPS];
	struct kt_create_report rep[N_REPS];
	int id[N_REPS]; /* the ID the message must name */
};

static int child_reports(void *arg)
{
	struct reports *p = arg;
	struct kt_timer_spec s[2];

	for (int i = 0; i < N_REPS; i++) {
		KT_OPTS(kt_create_opts, opts, .path = KT_PATH_LINEAR,
			.report = &p->rep[i]);
		size_t n = 1;
		int err;

		switch (i) {
		case REP_DUP:
			s[0] = s[1] = plain_spec(p->id[i]);
			n = 2;
			break;
		case REP_TAKEN:
			/* counter 0 .. 4243: then 4243 is live */
			s[0] = plain_spec(p->id[i]);
			err = kt_timers_create(s, 1, &opts);
			KTT_CHILD_ASSERT(err == 0, "create %d: %d", s[0].id,
					 err);
			break;
		case REP_PASSED: /* counter past 4243 */
		case REP_BOUND:
			s[0] = plain_spec(p->id[i]);
			opts.max_steps = 10;
			break;
		case REP_SYSCALL:
			s[0] = plain_spec(p->id[i]);
			s[0].clock = 1234;
			break;
		}
		p->err[i] = kt_timers_create(s, n, &opts);
	}
	return 0;
}

static void expect_names(const struct kt_create_report *rep, int id,
			 const char *also)
{
	char msg[512], small[12], want[32];
	int len = kt_create_report_format(rep, msg, sizeof(msg));

	cr_assert_gt(len, 0);
	cr_expect_eq((size_t)len, strlen(msg), "%s", msg);
	(void)snprintf(want, sizeof(want), "ID %d", id);
	cr_expect_not_null(strstr(msg, want), "\"%s\" does not name %s", msg,
			   want);
	if (also)
		cr_expect_not_null(strstr(msg, also), "\"%s\" lacks \"%s\"",
				   msg, also);
	/* Truncated like snprintf: same length returned, NUL-terminated. */
	cr_expect_eq(kt_create_report_format(rep, small, sizeof(small)), len);
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect_eq(strncmp(small, msg, sizeof(small) - 1), 0);
}

Test(engine, report_format_names_the_failing_id, .timeout = 10)
{
	struct reports *p = ktt_shared_alloc(sizeof(*p));
	char steps[32];

	p->id[REP_DUP] = 4242;
	p->id[REP_TAKEN] = 4243;
	p->id[REP_PASSED] = 100;
	p->id[REP_BOUND] = 1000000;
	p->id[REP_SYSCALL] = 4245;
	KTT_RUN_CHILD(child_reports, p);

	cr_assert_eq(p->err[REP_DUP], -EINVAL);
	cr_assert_eq(p->rep[REP_DUP].reason, KT_REASON_DUPLICATE_ID);
	expect_names(&p->rep[REP_DUP], 4242, NULL);

	cr_assert_eq(p->err[REP_TAKEN], -EBUSY);
	cr_assert_eq(p->rep[REP_TAKEN].reason, KT_REASON_ID_TAKEN);
	expect_names(&p->rep[REP_TAKEN], 4243, NULL);

	cr_assert_eq(p->err[REP_PASSED], -ERANGE);
	cr_assert_eq(p->rep[REP_PASSED].reason, KT_REASON_ID_PASSED);
	expect_names(&p->rep[REP_PASSED], 100, NULL);
	/* and the ID the counter was at */
	expect_names(&p->rep[REP_PASSED], p->rep[REP_PASSED].got_id, NULL);

	cr_assert_eq(p->err[REP_BOUND], -E2BIG);
	cr_assert_eq(p->rep[REP_BOUND].reason, KT_REASON_BOUND);
	(void)snprintf(steps, sizeof(steps), "%" PRIu64,
		       p->rep[REP_BOUND].steps_needed);
	expect_names(&p->rep[REP_BOUND], 1000000, steps);

	cr_assert_eq(p->err[REP_SYSCALL], -EINVAL);
	cr_assert_eq(p->rep[REP_SYSCALL].reason, KT_REASON_SYSCALL);
	expect_names(&p->rep[REP_SYSCALL], 4245, "timer_create");

	cr_expect_eq(kt_create_report_format(NULL, NULL, 0), -EINVAL);
	ktt_shared_free(p, sizeof(*p));
}

Test(engine, reason_strings_are_distinct, .timeout = 10)
{
	for (int i = KT_REASON_OK; i <= KT_REASON_FLAG_RESTORE; i++) {
		cr_assert_not_null(kt_reason_str((enum kt_reason)i));
		for (int j = KT_REASON_OK; j < i; j++)
			cr_expect_str_neq(kt_reason_str((enum kt_reason)i),
					  kt_reason_str((enum kt_reason)j));
	}
}

/* kt_create_opts followed by bytes this library does not know. */
struct opts_from_the_future {
	struct kt_create_opts o;
	unsigned char tail[16];
};

static int child_opts(void *arg)
{
	struct run *r = arg;
	struct kt_timer_spec s = plain_spec(3);
	struct opts_from_the_future f;
	int k = 0;

	child_snapshot(r->before);
	memset(&f, 0, sizeof(f));
	f.o.path = KT_PATH_LINEAR;
	f.o.sz = 0;
	r->results[k++] = kt_timers_create(&s, 1, &f.o);
	f.o.sz = sizeof(size_t) - 1;
	r->results[k++] = kt_timers_create(&s, 1, &f.o);
	f.o.sz = sizeof(f);
	f.tail[5] = 1;
	r->results[k++] = kt_timers_create(&s, 1, &f.o);
	f.tail[5] = 0;
	f.o.path = (enum kt_id_path)7;
	r->results[k++] = kt_timers_create(&s, 1, &f.o);
	child_snapshot(r->after);
	/* A bigger structure whose unknown bytes are zero is fine. */
	f.o.path = KT_PATH_LINEAR;
	r->err = kt_timers_create(&s, 1, &f.o);
	r->next_id = ktt_timer_create_any();
	return 0;
}

Test(engine, invalid_options_are_einval, .timeout = 10)
{
	struct run *r = run_new(KT_PATH_LINEAR);

	KTT_RUN_CHILD(child_opts, r);
	cr_expect_eq(r->results[0], -EINVAL, "sz 0");
	cr_expect_eq(r->results[1], -EINVAL, "sz < sizeof(size_t)");
	cr_expect_eq(r->results[2], -EINVAL, "nonzero unknown tail");
	cr_expect_eq(r->results[3], -EINVAL, "path 7");
	cr_expect_str_eq(r->after, r->before, "nothing created");
	cr_expect_eq(r->err, 0, "zero tail: %d", r->err);
	/* The refused calls consumed no ID: the walk to 3 took 0..3. */
	cr_expect_eq(r->next_id, 4);
	run_free(r);
}
