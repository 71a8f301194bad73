/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel semantics keeptime relies on: PR_TIMER_CREATE_RESTORE_IDS
 * (Linux >= 6.15) and the per-process timer ID counter. These tests talk to
 * the kernel directly (raw system calls), not through libkeeptime, so that
 * a kernel that behaves otherwise fails here, by name, rather than somewhere
 * in the engine. Anything that depends on the ID counter runs in a fresh
 * child, whose counter is 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "kt_test.h"

/* Values a child reports; which slot means what is up to each test. */
struct vals {
	int v[32];
	char timers[KTT_TEXT_MAX];
};

static struct vals *vals_new(void)
{
	struct vals *r = ktt_shared_alloc(sizeof(*r));

	for (size_t i = 0; i < sizeof(r->v) / sizeof(r->v[0]); i++)
		r->v[i] = INT_MIN; /* "not reached" */
	return r;
}

static void vals_free(struct vals *r)
{
	ktt_shared_free(r, sizeof(*r));
}

/* In a child: the ID of an explicit create of "want" (flag ON), or -errno.
 */
static int create_explicit(int want)
{
	int id = want;
	int err = ktt_timer_create(CLOCK_MONOTONIC, NULL, &id);

	return err < 0 ? err : id;
}

/* ------------------------------------------------------------------ */

static int child_get(void *arg)
{
	struct vals *r = arg;

	r->v[0] = ktt_restore_ids_get();
	return 0;
}

Test(prctl, get_is_off_by_default, .timeout = 10)
{
	struct vals *r;

	ktt_require_restore_ids();
	/* The test process is a fork of the runner: flag not inherited. */
	cr_expect_eq(ktt_restore_ids_get(), 0);
	r = vals_new();
	KTT_RUN_CHILD(child_get, r);
	cr_expect_eq(r->v[0], 0, "GET in a fresh child: %d", r->v[0]);
	vals_free(r);
}

Test(prctl, on_off_get_and_on_is_idempotent, .timeout = 10)
{
	ktt_require_restore_ids();
	cr_assert_eq(ktt_restore_ids_get(), 0);
	cr_assert_eq(ktt_restore_ids_set(1), 0, "ON returns 0");
	cr_expect_eq(ktt_restore_ids_get(), 1, "GET after ON");
	cr_expect_eq(ktt_restore_ids_set(1), 0, "ON again returns 0");
	cr_expect_eq(ktt_restore_ids_get(), 1, "GET after ON twice");
	cr_assert_eq(ktt_restore_ids_set(0), 0, "OFF returns 0");
	cr_expect_eq(ktt_restore_ids_get(), 0, "GET after OFF");
	cr_expect_eq(ktt_restore_ids_set(0), 0, "OFF again returns 0");
	cr_expect_eq(ktt_restore_ids_get(), 0, "GET after OFF twice");
}

Test(prctl, invalid_arguments_are_einval_and_change_nothing, .timeout = 10)
{
	ktt_require_restore_ids();
	cr_expect_eq(ktt_restore_ids_prctl(3, 0, 0, 0), -EINVAL, "arg2 = 3");
	cr_expect_eq(ktt_restore_ids_prctl(ULONG_MAX, 0, 0, 0), -EINVAL,
		     "arg2 = -1");
	cr_expect_eq(ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_GET, 1, 0, 0),
		     -EINVAL, "GET with arg3");
	cr_expect_eq(ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_GET, 0, 1, 0),
		     -EINVAL, "GET with arg4");
	cr_expect_eq(ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_GET, 0, 0, 1),
		     -EINVAL, "GET with arg5");
	/* A refused ON leaves the flag OFF ... */
	cr_expect_eq(ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_ON, 1, 0, 0),
		     -EINVAL, "ON with arg3");
	cr_expect_eq(ktt_restore_ids_get(), 0, "flag after a refused ON");
	/* ... and a refused OFF leaves it ON. */
	cr_assert_eq(ktt_restore_ids_set(1), 0);
	cr_expect_eq(ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_OFF, 0, 1, 0),
		     -EINVAL, "OFF with arg4");
	cr_expect_eq(ktt_restore_ids_get(), 1, "flag after a refused OFF");
	cr_expect_eq(ktt_restore_ids_prctl(4, 0, 0, 0), -EINVAL, "arg2 = 4");
	cr_expect_eq(ktt_restore_ids_get(), 1, "flag after a refused arg2");
	cr_assert_eq(ktt_restore_ids_set(0), 0);
}

/* ------------------------------------------------------------------ */

static int child_fresh_ids(void *arg)
{
	struct vals *r = arg;
	ssize_t len;

	r->v[0] = ktt_timer_create_any();
	r->v[1] = ktt_timer_create_any();
	r->v[2] = ktt_timer_create_any();
	KTT_CHILD_ASSERT(r->v[1] >= 0, "second create: %d", r->v[1]);
	r->v[3] = ktt_timer_delete(r->v[1]);
	r->v[4] = ktt_timer_create_any();
	len = ktt_proc_timers(r->timers, sizeof(r->timers));
	KTT_CHILD_ASSERT(len >= 0, "/proc/self/timers: %zd", len);
	return 0;
}

Test(prctl, fresh_process_ids_start_at_0_and_freed_ids_are_not_reused,
     .timeout = 10)
{
	struct vals *r = vals_new();
	int ids[8];
	size_t n;

	KTT_RUN_CHILD(child_fresh_ids, r);
	cr_expect_eq(r->v[0], 0, "first ID of a fresh process");
	cr_expect_eq(r->v[1], 1, "second ID");
	cr_expect_eq(r->v[2], 2, "third ID");
	cr_expect_eq(r->v[3], 0, "delete of ID 1");
	cr_expect_eq(r->v[4], 3, "after deleting 1, the next ID is 3, not 1");
	/* /proc/PID/timers lists the newest first. */
	n = ktt_parse_ids(r->timers, ids, 8);
	cr_assert_eq(n, 3, "timers: %s", r->timers);
	cr_expect_eq(ids[0], 3);
	cr_expect_eq(ids[1], 2);
	cr_expect_eq(ids[2], 0);
	vals_free(r);
}

/* ------------------------------------------------------------------ */

/*
 * Steps of explicit creates (flag ON), each followed by one normal create
 * (flag OFF), which must get the ID after the last explicit one, or the
 * first free ID after that.
 */
static const struct {
	int req[2]; /* explicit IDs, in this order */
	size_t n;   /* how many of req */
	int next;   /* the normal create's ID */
	const char *why;
} counter_steps[] = {
	{{8}, 1, 9, "explicit 8: counter 9"},
	{{2000000}, 1, 2000001, "explicit 2000000: counter 2000001"},
	{{10}, 1, 11, "explicit 10 below the counter: it moves back to 11"},
	{{13, 12}, 2, 14, "explicit 13 then 12: counter 13, busy, so 14"},
};
#define N_COUNTER_STEPS (sizeof(counter_steps) / sizeof(counter_steps[0]))

static int child_counter(void *arg)
{
	struct vals *r = arg;
	int k = 0;

	for (size_t i = 0; i < N_COUNTER_STEPS; i++) {
		KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
		for (size_t j = 0; j < counter_steps[i].n; j++)
			r->v[k++] = create_explicit(counter_steps[i].req[j]);
		KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
		r->v[k++] = ktt_timer_create_any();
	}
	return 0;
}

Test(prctl, explicit_id_is_granted_and_moves_the_counter_to_req_plus_1,
     .timeout = 10)
{
	struct vals *r;
	int k = 0;

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_counter, r);
	for (size_t i = 0; i < N_COUNTER_STEPS; i++) {
		for (size_t j = 0; j < counter_steps[i].n; j++, k++)
			cr_expect_eq(r->v[k], counter_steps[i].req[j],
				     "%s: explicit %d gave %d",
				     counter_steps[i].why,
				     counter_steps[i].req[j], r->v[k]);
		cr_expect_eq(r->v[k], counter_steps[i].next,
			     "%s: the normal create gave %d",
			     counter_steps[i].why, r->v[k]);
		k++;
	}
	vals_free(r);
}

/* ------------------------------------------------------------------ */

static int child_ebusy(void *arg)
{
	struct vals *r = arg;
	ssize_t len;

	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	r->v[0] = create_explicit(10);
	r->v[1] = create_explicit(5); /* counter now 6 */
	r->v[2] = create_explicit(10);
	r->v[3] = ktt_restore_ids_get();
	KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
	r->v[4] = ktt_timer_create_any();
	len = ktt_proc_timers(r->timers, sizeof(r->timers));
	KTT_CHILD_ASSERT(len >= 0, "/proc/self/timers: %zd", len);
	return 0;
}

Test(prctl, explicit_id_in_use_is_ebusy_and_does_not_move_the_counter,
     .timeout = 10)
{
	struct vals *r;
	int ids[8];

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_ebusy, r);
	cr_expect_eq(r->v[0], 10);
	cr_expect_eq(r->v[1], 5);
	cr_expect_eq(r->v[2], -EBUSY, "explicit 10 again: %d", r->v[2]);
	cr_expect_eq(r->v[3], 1, "flag still ON after EBUSY");
	/* Had EBUSY moved the counter to 11, this would be 11. */
	cr_expect_eq(r->v[4], 6, "normal create after EBUSY: %d", r->v[4]);
	cr_expect_eq(ktt_parse_ids(r->timers, ids, 8), 3, "%s", r->timers);
	vals_free(r);
}

/* ------------------------------------------------------------------ */

static int child_negative(void *arg)
{
	struct vals *r = arg;

	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	/*
	 * Once only: Linux 6.15 .. 6.17.8 leaks a timer (and a
	 * RLIMIT_SIGPENDING unit) on every such call.
	 */
	r->v[0] = create_explicit(-5);
	r->v[1] = ktt_restore_ids_get();
	KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
	r->v[2] = ktt_timer_create_any();
	return 0;
}

Test(prctl, negative_explicit_id_is_einval_and_consumes_nothing, .timeout = 10)
{
	struct vals *r;

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_negative, r);
	cr_expect_eq(r->v[0], -EINVAL, "explicit -5: %d", r->v[0]);
	cr_expect_eq(r->v[1], 1, "flag still ON");
	cr_expect_eq(r->v[2], 0, "first normal ID of the fresh child: %d",
		     r->v[2]);
	vals_free(r);
}

/* ------------------------------------------------------------------ */

static int child_zero_and_wrap(void *arg)
{
	struct vals *r = arg;

	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	r->v[0] = create_explicit(0);
	r->v[1] = create_explicit(INT_MAX - 1);
	KTT_CHILD_ASSERT(ktt_restore_ids_set(0) == 0, "OFF");
	r->v[2] = ktt_timer_create_any();
	r->v[3] = ktt_timer_create_any();
	return 0;
}

Test(prctl, explicit_0_and_int_max_minus_1_then_the_counter_wraps,
     .timeout = 10)
{
	struct vals *r;

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_zero_and_wrap, r);
	cr_expect_eq(r->v[0], 0, "explicit 0");
	cr_expect_eq(r->v[1], INT_MAX - 1, "explicit INT_MAX - 1");
	cr_expect_eq(r->v[2], INT_MAX, "normal after INT_MAX - 1");
	cr_expect_eq(r->v[3], 1, "normal after INT_MAX wraps; 0 is busy");
	vals_free(r);
}

/* ------------------------------------------------------------------ */

static void *thread_main(void *arg)
{
	struct vals *r = arg;

	r->v[1] = ktt_restore_ids_get();
	r->v[2] = create_explicit(77);
	r->v[3] = ktt_restore_ids_set(0);
	return NULL;
}

static int child_thread(void *arg)
{
	struct vals *r = arg;
	pthread_t t;

	r->v[0] = ktt_restore_ids_set(1);
	KTT_CHILD_ASSERT(pthread_create(&t, NULL, thread_main, r) == 0,
			 "pthread_create");
	KTT_CHILD_ASSERT(pthread_join(t, NULL) == 0, "pthread_join");
	r->v[4] = ktt_restore_ids_get();
	r->v[5] = ktt_timer_exists(77);
	return 0;
}

Test(prctl, flag_is_per_process_and_seen_by_other_threads, .timeout = 10)
{
	struct vals *r;

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_thread, r);
	cr_expect_eq(r->v[0], 0, "ON in the main thread");
	cr_expect_eq(r->v[1], 1, "GET in another thread");
	cr_expect_eq(r->v[2], 77, "explicit create in another thread: %d",
		     r->v[2]);
	cr_expect_eq(r->v[3], 0, "OFF in the other thread");
	cr_expect_eq(r->v[4], 0, "the main thread sees the other's OFF");
	cr_expect_eq(r->v[5], 1, "the timer 77 is the process's");
	vals_free(r);
}

/* ------------------------------------------------------------------ */

static int child_fork(void *arg)
{
	struct vals *r = arg;
	pid_t pid;
	int status;

	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	r->v[0] = create_explicit(500);
	pid = fork();
	KTT_CHILD_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int id = 555; /* read only if the flag were inherited */

		r->v[1] = ktt_restore_ids_get();
		r->v[2] = ktt_timer_create(CLOCK_MONOTONIC, NULL, &id);
		r->v[3] = id;
		_exit(0);
	}
	KTT_CHILD_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	KTT_CHILD_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "grandchild status %d", status);
	r->v[4] = ktt_restore_ids_get();
	return 0;
}

Test(prctl, flag_is_not_inherited_by_fork, .timeout = 10)
{
	struct vals *r;

	ktt_require_restore_ids();
	r = vals_new();
	KTT_RUN_CHILD(child_fork, r);
	cr_expect_eq(r->v[0], 500, "explicit 500 in the parent");
	cr_expect_eq(r->v[1], 0, "GET in the fork child");
	cr_expect_eq(r->v[2], 0, "create in the fork child");
	cr_expect_eq(r->v[3], 0,
		     "fork child's first ID: buffer ignored, "
		     "fresh counter (got %d)",
		     r->v[3]);
	cr_expect_eq(r->v[4], 1, "the parent's flag is still ON");
	vals_free(r);
}

/* ------------------------------------------------------------------ */

struct exec_arg {
	char path[4096];
	int pre_exec_id; /* explicit ID created and deleted before exec */
};

static int child_exec(void *arg)
{
	const struct exec_arg *a = arg;
	char *argv[] = {(char *)a->path, NULL};
	int id;

	KTT_CHILD_ASSERT(ktt_restore_ids_set(1) == 0, "ON");
	id = create_explicit(a->pre_exec_id);
	KTT_CHILD_ASSERT(id == a->pre_exec_id, "explicit create: %d", id);
	KTT_CHILD_ASSERT(ktt_timer_delete(id) == 0, "delete");
	/* Counter at pre_exec_id + 1, flag ON, no timers: exec. */
	KTT_CHILD_ASSERT(ktt_restore_ids_get() == 1, "GET before exec");
	execv(a->path, argv);
	printf("execv %s: %s\n", a->path, strerror(errno));
	return 1;
}

Test(prctl, flag_is_cleared_by_exec_but_the_counter_is_kept, .timeout = 10)
{
	struct exec_arg *a;
	char out[KTT_OUT_MAX], want[64];
	int st;

	ktt_require_restore_ids();
	a = ktt_shared_alloc(sizeof(*a));
	cr_assert_eq(ktt_helper_exec_path(a->path, sizeof(a->path)), 0);
	cr_assert_eq(access(a->path, X_OK), 0, "helper %s: %s", a->path,
		     strerror(errno));
	a->pre_exec_id = 41;
	st = ktt_run_child(child_exec, a, out, sizeof(out));
	cr_assert_eq(st, 0, "child ended with %d: %s", st, out);
	(void)snprintf(want, sizeof(want), "flag=0 first_id=%d\n",
		       a->pre_exec_id + 1);
	cr_expect_str_eq(out, want);
	ktt_shared_free(a, sizeof(*a));
}
