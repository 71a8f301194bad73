/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Creating POSIX timers at exact IDs: the host side. It validates the
 * options, picks the path, sorts the set, and hands it to the freestanding
 * core (src/core/), where the explicit and linear logic lives once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "engine.h"

/* struct sigevent crosses into the core as struct ktc_sigevent. */
_Static_assert(sizeof(struct sigevent) == sizeof(struct ktc_sigevent),
	       "sigevent size");
_Static_assert(offsetof(struct sigevent, sigev_value) ==
		       offsetof(struct ktc_sigevent, value),
	       "sigev_value offset");
_Static_assert(offsetof(struct sigevent, sigev_signo) ==
		       offsetof(struct ktc_sigevent, signo),
	       "sigev_signo offset");
_Static_assert(offsetof(struct sigevent, sigev_notify) ==
		       offsetof(struct ktc_sigevent, notify),
	       "sigev_notify offset");
#ifdef sigev_notify_thread_id
#define SIGEV_TID_OFFSET offsetof(struct sigevent, sigev_notify_thread_id)
#else
#define SIGEV_TID_OFFSET offsetof(struct sigevent, _sigev_un._tid)
#endif
_Static_assert(SIGEV_TID_OFFSET == offsetof(struct ktc_sigevent, tid),
	       "sigev_notify_thread_id offset");
_Static_assert(sizeof(clockid_t) == sizeof(int32_t), "clockid_t is 32 bits");

#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
SAME(KT_REASON_OK, KTC_REASON_OK);
SAME(KT_REASON_BAD_ID, KTC_REASON_BAD_ID);
SAME(KT_REASON_DUPLICATE_ID, KTC_REASON_DUPLICATE_ID);
SAME(KT_REASON_ID_TAKEN, KTC_REASON_ID_TAKEN);
SAME(KT_REASON_UNSUPPORTED, KTC_REASON_UNSUPPORTED);
SAME(KT_REASON_ID_MISMATCH, KTC_REASON_ID_MISMATCH);
SAME(KT_REASON_ID_PASSED, KTC_REASON_ID_PASSED);
SAME(KT_REASON_BOUND, KTC_REASON_BOUND);
SAME(KT_REASON_SYSCALL, KTC_REASON_SYSCALL);
SAME(KT_REASON_FLAG_RESTORE, KTC_REASON_FLAG_RESTORE);
#undef SAME

/* One creation at a time per process: the prctl flag is process-wide. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

int kt_engine_lock(void)
{
	return -pthread_mutex_lock(&create_lock);
}

void kt_engine_unlock(void)
{
	(void)pthread_mutex_unlock(&create_lock); /* held: cannot fail */
}

static bool linear_forced_by_env(void)
{
	const char *v = secure_getenv("KEEPTIME_FORCE_LINEAR");

	return v && *v && strcmp(v, "0") != 0;
}

static int resolve_path(enum kt_id_path want, enum kt_id_path *ret_path)
{
	int supported;

	switch (want) {
	case KT_PATH_EXPLICIT:
	case KT_PATH_LINEAR:
		*ret_path = want;
		return 0;
	case KT_PATH_AUTO:
		if (linear_forced_by_env()) {
			kt_log(KT_LOG_INFO,
			       "KEEPTIME_FORCE_LINEAR is set: linear path");
			*ret_path = KT_PATH_LINEAR;
			return 0;
		}
		supported = kt_explicit_ids_supported();
		if (supported < 0)
			return supported;
		*ret_path = supported ? KT_PATH_EXPLICIT : KT_PATH_LINEAR;
		return 0;
	}
	return -EINVAL;
}

struct order {
	int id;
	size_t index;
};

/* By ID, then by index: a duplicate is always reported at its later copy. */
static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * The set as the core wants it: ascending IDs. *ret_order maps a position
 * in the sorted set back to the caller's index; NULL if already sorted.
 */
static int sorted_requests(const struct kt_timer_spec *specs, size_t n,
			   struct ktc_timer_req **ret_reqs, size_t **ret_order)
{
	struct order *sorted = NULL;
	struct ktc_timer_req *reqs;
	size_t *order = NULL;
	bool in_order = true;

	for (size_t i = 1; i < n && in_order; i++)
		in_order = specs[i].id > specs[i - 1].id;
	reqs = calloc(n ? n : 1, sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	if (!in_order) {
		sorted = calloc(n, sizeof(*sorted));
		order = calloc(n, sizeof(*order));
		if (!sorted || !order) {
			free(sorted);
			free(order);
			free(reqs);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			sorted[i] = (struct order){specs[i].id, i};
		qsort(sorted, n, sizeof(*sorted), order_cmp);
		for (size_t i = 0; i < n; i++)
			order[i] = sorted[i].index;
		free(sorted);
	}
	for (size_t i = 0; i < n; i++) {
		const struct kt_timer_spec *s = &specs[order ? order[i] : i];

		reqs[i].id = s->id;
		reqs[i].clock = s->clock;
		memcpy(&reqs[i].sev, &s->sev, sizeof(reqs[i].sev));
	}
	*ret_reqs = reqs;
	*ret_order = order;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC,
			    &ts); /* cannot fail for MONOTONIC */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *kt_sys_name(int sys)
{
	switch (sys) {
	case KTC_SYS_TIMER_CREATE:
		return "timer_create";
	case KTC_SYS_TIMER_DELETE:
		return "timer_delete";
	case KTC_SYS_TIMER_GETTIME:
		return "timer_gettime";
	case KTC_SYS_PRCTL:
		return "prctl";
	}
	return NULL;
}

void kt_engine_report(struct kt_create_report *rep, const struct ktc_report *c,
		      const size_t *order)
{
	rep->reason = c->reason == KTC_REASON_UNSORTED
			      ? KT_REASON_DUPLICATE_ID
			      : (enum kt_reason)c->reason;
	rep->index = order ? order[c->index] : c->index;
	rep->id = c->id;
	rep->got_id = c->got_id;
	rep->expected_id = c->expected_id;
	rep->sys_call = kt_sys_name(c->sys_call);
	rep->sys_err = c->sys_err;
	rep->steps_done = c->steps_done;
	rep->steps_needed = c->steps_needed;
	rep->estimated_ns = c->estimated_ns;
	rep->rollback_err = c->rollback_err;
}

int kt_engine_settings(const struct kt_create_opts *opts,
		       enum kt_id_path *ret_path,
		       struct ktc_linear_opts *ret_lin)
{
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	err = resolve_path(KT_OPT_GET(opts, path, KT_PATH_AUTO), ret_path);
	if (err < 0)
		return err;
	*ret_lin = (struct ktc_linear_opts){
		.max_steps = KT_OPT_GET(opts, max_steps, 0),
		.max_ns = KT_OPT_GET(opts, max_ns, 0),
		.progress = KT_OPT_GET(opts, progress, NULL),
		.progress_ctx = KT_OPT_GET(opts, progress_ctx, NULL),
	};
	if (ret_lin->max_steps == 0)
		ret_lin->max_steps = KT_LINEAR_DEFAULT_MAX_STEPS;
	return 0;
}

int kt_timers_create(const struct kt_timer_spec *specs, size_t n,
		     const struct kt_create_opts *opts)
{
	struct kt_create_report rep = {
		.id = -1, .got_id = -1, .expected_id = -1};
	struct ktc_timer_req *reqs = NULL;
	size_t *order = NULL;
	struct ktc_report crep;
	struct ktc_linear_opts lin;
	uint64_t start = now_ns();
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	if (n > 0 && !specs) {
		rep.reason = KT_REASON_BAD_ID;
		err = -EINVAL;
		goto out;
	}
	err = kt_engine_settings(opts, &rep.path, &lin);
	if (err < 0)
		goto out;

	err = sorted_requests(specs, n, &reqs, &order);
	if (err < 0)
		goto out;

	err = kt_engine_lock();
	if (err < 0)
		goto free_reqs;
	if (rep.path == KT_PATH_EXPLICIT)
		err = ktc_create_explicit(reqs, n, &crep);
	else
		err = ktc_create_linear(reqs, n, &lin, &crep);
	kt_engine_unlock();
	kt_engine_report(&rep, &crep, order);

free_reqs:
	free(order);
	free(reqs);
out:
	rep.elapsed_ns = now_ns() - start;
	if (err < 0) {
		char msg[256];

		if (rep.reason == KT_REASON_OK) {
			rep.reason = KT_REASON_SYSCALL;
			rep.sys_err = err;
		}
		(void)kt_create_report_format(&rep, msg, sizeof(msg));
		kt_log(KT_LOG_ERROR, "%s", msg);
	} else {
		kt_log(KT_LOG_DEBUG,
		       "created %zu timer(s) at exact IDs on the %s path in %llu ns",
		       n, rep.path == KT_PATH_EXPLICIT ? "explicit" : "linear",
		       (unsigned long long)rep.elapsed_ns);
	}
	if (KT_OPT_HAS(opts, report) && opts->report)
		*opts->report = rep;
	return err < 0 ? err : 0;
}

int kt_timer_create_at(int id, clockid_t clock, const struct sigevent *sev,
		       const struct kt_create_opts *opts)
{
	struct kt_timer_spec spec = {.id = id, .clock = clock};

	if (sev) {
		spec.sev = *sev;
	} else {
		/* What the kernel does for a NULL sigevent (and says in
		 * /proc/PID/timers): SIGALRM carrying the timer's ID. */
		spec.sev.sigev_notify = SIGEV_SIGNAL;
		spec.sev.sigev_signo = SIGALRM;
		spec.sev.sigev_value.sival_int = id;
	}
	return kt_timers_create(&spec, 1, opts);
}
