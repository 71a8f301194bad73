/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The measurements, each run in its own child (child.c). Every timer is
 * CLOCK_MONOTONIC with SIGEV_NONE, on both sides of every comparison. Only
 * the creation is timed, with clock_gettime(CLOCK_MONOTONIC); set-up
 * before it and the checks after it are not. The bare side uses the raw
 * system call, never glibc's timer_create (which would pass its own
 * uninitialised buffer and, with the restore flag on, ask for a random
 * ID); the timers die with the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"

void bench_msg(struct bench_sample *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->msg, sizeof(out->msg), fmt, ap); /* may cut */
	va_end(ap);
}

static struct sigevent bench_sigevent(void)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	return sev;
}

int bench_now_ns(uint64_t *ret)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	*ret = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}

/* The two clock readings around a timed section, checked. */
static int elapsed(uint64_t start, struct bench_sample *out)
{
	uint64_t end = 0;
	int err = bench_now_ns(&end);

	if (err < 0) {
		bench_msg(out, "clock_gettime: %s", strerror(-err));
		return err;
	}
	out->ns = end - start;
	return 0;
}

static int start_clock(uint64_t *start, struct bench_sample *out)
{
	int err = bench_now_ns(start);

	if (err < 0)
		bench_msg(out, "clock_gettime: %s", strerror(-err));
	return err;
}

static void set_specs(struct kt_timer_spec *specs, size_t n, int first,
		      int stride)
{
	for (size_t i = 0; i < n; i++) {
		specs[i] = (struct kt_timer_spec){
			.id = first + (int)i * stride,
			.clock = CLOCK_MONOTONIC,
			.sev = bench_sigevent(),
		};
	}
}

/*
 * Warm up what the timed call will touch, so that a fresh child's first
 * page faults and lazy set-up are not counted: the memory (prefault.c),
 * the vDSO clock,
 * the probe (cached), and the library's creation path with an empty set
 * (on the explicit path that also turns the flag on and off once).
 */
int bench_warm_up(enum kt_id_path path, struct bench_sample *out)
{
	KT_OPTS(kt_create_opts, opts, .path = path);
	uint64_t t;
	int err;

	bench_prefault();
	err = start_clock(&t, out);
	if (err < 0)
		return err;
	err = kt_explicit_ids_supported();
	if (err < 0) {
		bench_msg(out, "probing explicit IDs: %s", strerror(-err));
		return err;
	}
	err = kt_timers_create(NULL, 0, &opts);
	if (err < 0)
		bench_msg(out, "warm-up with an empty set: %s", strerror(-err));
	return err;
}

/* Exactness: every ID asked for is a live timer of this process now. */
static int check_ids(const struct kt_timer_spec *specs, size_t n,
		     struct bench_sample *out)
{
	struct itimerspec cur;

	for (size_t i = 0; i < n; i++) {
		if (syscall(SYS_timer_gettime, specs[i].id, &cur) < 0) {
			int err = -errno;

			bench_msg(out,
				  "timer %d is not there after creation "
				  "(timer_gettime: %s)",
				  specs[i].id, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* kt_timers_create() with the set, timed, and its failure in words. */
static int timed_create(const struct kt_timer_spec *specs, size_t n,
			enum kt_id_path path, struct bench_sample *out)
{
	struct kt_create_report rep = {0};
	KT_OPTS(kt_create_opts, opts, .path = path, .report = &rep);
	uint64_t start = 0;
	int err;

	err = start_clock(&start, out);
	if (err < 0)
		return err;
	err = kt_timers_create(specs, n, &opts);
	if (err < 0) {
		char msg[sizeof(out->msg)];

		(void)kt_create_report_format(&rep, msg, sizeof(msg));
		bench_msg(out, "%s", msg);
		return err;
	}
	err = elapsed(start, out);
	if (err < 0)
		return err;
	out->count = path == KT_PATH_LINEAR ? rep.steps_done : n;
	return check_ids(specs, n, out);
}

int bench_seed_create(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	struct kt_timer_spec specs[2];
	int err;

	set_specs(specs, 2, BENCH_SEED_ID_LOW,
		  BENCH_SEED_ID_HIGH - BENCH_SEED_ID_LOW);
	err = bench_warm_up(c->path, out);
	if (err < 0)
		return err;
	return timed_create(specs, 2, c->path, out);
}

int bench_seed_raw_loop(const void *arg, struct bench_sample *out)
{
	const uint64_t pairs = (uint64_t)BENCH_SEED_ID_HIGH + 1;
	struct sigevent sev = bench_sigevent();
	uint64_t start = 0;
	int err;

	(void)arg;
	bench_prefault(); /* as the linear side's warm-up does */
	err = start_clock(&start, out);
	if (err < 0)
		return err;
	for (uint64_t i = 0; i < pairs; i++) {
		int id; /* the kernel's timer_t is 32 bits */

		if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) < 0) {
			err = -errno;
			bench_msg(out, "timer_create, pair %llu: %s",
				  (unsigned long long)i, strerror(-err));
			return err;
		}
		if (syscall(SYS_timer_delete, id) < 0) {
			err = -errno;
			bench_msg(out, "timer_delete(%d): %s", id,
				  strerror(-err));
			return err;
		}
	}
	err = elapsed(start, out);
	out->count = pairs;
	return err;
}

int bench_sparse_explicit(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	struct kt_timer_spec *specs;
	int err;

	specs = calloc(c->n, sizeof(*specs));
	if (!specs) {
		bench_msg(out, "out of memory for %u timer specs", c->n);
		return -ENOMEM;
	}
	set_specs(specs, c->n, BENCH_SPARSE_FIRST, BENCH_SPARSE_STRIDE);
	err = bench_warm_up(KT_PATH_EXPLICIT, out);
	if (err >= 0)
		err = timed_create(specs, c->n, KT_PATH_EXPLICIT, out);
	free(specs);
	return err;
}

int bench_sparse_raw(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	struct sigevent sev = bench_sigevent();
	uint64_t start = 0;
	int err;

	/* The same memory and clock warm-up as the explicit side. */
	bench_prefault();
	err = start_clock(&start, out);
	if (err < 0)
		return err;
	err = start_clock(&start, out);
	if (err < 0)
		return err;
	for (unsigned i = 0; i < c->n; i++) {
		int id;

		if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) < 0) {
			err = -errno;
			bench_msg(out, "timer_create #%u: %s%s", i,
				  strerror(-err),
				  err == -EAGAIN ? " (RLIMIT_SIGPENDING)" : "");
			return err;
		}
	}
	err = elapsed(start, out);
	out->count = c->n;
	return err;
}

int bench_block_signals(int signo, struct bench_sample *out)
{
	sigset_t set;
	int err;

	if (sigemptyset(&set) < 0 || sigaddset(&set, signo) < 0 ||
	    sigaddset(&set, SIGALRM) < 0) {
		err = -errno;
		bench_msg(out, "sigaddset(%d): %s", signo, strerror(-err));
		return err;
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		err = -errno;
		bench_msg(out, "sigprocmask: %s", strerror(-err));
		return err;
	}
	return 0;
}
