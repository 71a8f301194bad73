/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's parts: measuring in a child, the cases, statistics. */
#ifndef KT_BENCH_INTERNAL_H
#define KT_BENCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <keeptime/keeptime.h>

#include "bench.h"

/* What a child reports to the parent through the pipe. */
struct bench_sample {
	int err;	/* 0, or the negative errno of the failure */
	uint64_t ns;	/* the timed section */
	uint64_t count; /* linear steps, syscall pairs or timers created */
	/* The snapshot case: each step's time, and the image's size. */
	uint64_t step_ns[BENCH_SNAP_STEPS];
	uint64_t bytes;
	/* The process case: each part's time (bytes: the memory restored,
	 * count: the timers), and the mappings restored. */
	uint64_t part_ns[BENCH_PROC_PARTS];
	uint64_t vmas;
	/* err < 0 because the case cannot run here (ptrace or
	 * CAP_CHECKPOINT_RESTORE not permitted, no workload): msg says why,
	 * and the case is skipped rather than the run failed. */
	bool skip;
	/* One run of a child that reports each (bench_report_run()); its
	 * final sample follows. */
	bool run;
	char msg[240]; /* what failed, when err != 0 */
};
/* One write of at most PIPE_BUF bytes is atomic: no partial samples. */
_Static_assert(sizeof(struct bench_sample) <= 512, "sample fits PIPE_BUF");

/*
 * The body of a measurement, run in the child: set up, time the section,
 * check the result. Returns 0, or a negative errno with out->msg set.
 */
typedef int (*bench_body_fn)(const void *arg, struct bench_sample *out);

/*
 * Run body in a fresh fork()ed child and collect its sample. The child is
 * killed if it has not reported within timeout_s seconds. Returns 0 with
 * out filled, or a negative errno with out->msg saying what went wrong
 * (the body's failure, or the child's).
 */
int bench_in_child(bench_body_fn body, const void *arg, int timeout_s,
		   struct bench_sample *out)
	__attribute__((warn_unused_result));

/*
 * A child whose body reports each of its runs with bench_report_run()
 * before it returns: take() gets each run's sample as it comes, in order;
 * exactly runs of them must come before a final sample without error.
 */
struct bench_runs {
	unsigned runs;
	void (*take)(const struct bench_sample *s, unsigned run, void *ctx);
	void *ctx;
};
int bench_in_child_runs(bench_body_fn body, const void *arg, int timeout_s,
			const struct bench_runs *runs, struct bench_sample *out)
	__attribute__((warn_unused_result));
/* In the child: send s to the parent as one run. 0 or -errno. */
int bench_report_run(struct bench_sample *s)
	__attribute__((warn_unused_result));

/* write(2) all of buf, through EINTR and short writes: 0 or -errno. */
int bench_write_all(int fd, const void *buf, size_t len);

/* The measurements (cases.c). */
struct bench_case {
	enum kt_id_path path; /* seed: explicit or linear */
	unsigned n;	      /* sparse, snapshot, show: the number of timers;
				 process: the number of runs */
};
int bench_seed_create(const void *arg, struct bench_sample *out);
int bench_seed_raw_loop(const void *arg, struct bench_sample *out);
int bench_sparse_explicit(const void *arg, struct bench_sample *out);
int bench_sparse_raw(const void *arg, struct bench_sample *out);
int bench_snapshot(const void *arg, struct bench_sample *out); /* snapshot.c */
int bench_show(const void *arg, struct bench_sample *out);     /* show.c */
int bench_process(const void *arg, struct bench_sample *out);  /* process.c */

/* Shared by the measurements (cases.c). */
/* Set out->msg (cut to fit). */
void bench_msg(struct bench_sample *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Block signo and SIGALRM, so that a late expiry of the timers stays
 * pending. 0, or -errno with out->msg set. */
int bench_block_signals(int signo, struct bench_sample *out)
	__attribute__((warn_unused_result));
/* CLOCK_MONOTONIC in ns. 0 or -errno. */
int bench_now_ns(uint64_t *ret) __attribute__((warn_unused_result));
/*
 * Warm up what a timed call will touch: memory (bench_prefault), the
 * vDSO clock, the probe, the library's creation path with an empty set.
 * 0, or -errno with out->msg set.
 */
int bench_warm_up(enum kt_id_path path, struct bench_sample *out)
	__attribute__((warn_unused_result));

/*
 * Make the child's stack and heap its own before timing (prefault.c).
 * Best effort: it only moves page faults out of the timed section.
 */
void bench_prefault(void);

/* Fill median, min and max of a series (NaN if it has no runs). */
void bench_series_stats(struct bench_series *s);

#endif /* KT_BENCH_INTERNAL_H */
