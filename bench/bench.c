/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark's plan: which measurement runs when, and how often.
 *
 * Measurements that are compared run interleaved (linear, raw, linear,
 * raw, ...) so that a noisy neighbour slows both sides alike; each series
 * is summarised by its median.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_internal.h"

/* Seconds a child may take before it is killed. */
#define TIMEOUT_SHORT_S 60  /* the explicit seed: microseconds */
#define TIMEOUT_LONG_S	600 /* two million steps, or ten thousand timers */

struct step {
	const char *what;
	bench_body_fn body;
	const void *arg;
	int timeout_s;
	struct bench_series *series; /* takes the sample's ns */
	/* Optional: series[0..BENCH_SNAP_STEPS) take the sample's step_ns
	 * instead, and *bytes its image size, which must not change. */
	uint64_t *bytes;
};

static int measure(const struct bench_config *cfg, struct bench_results *res,
		   const struct step *st, unsigned run, unsigned runs)
{
	struct bench_sample s = {0};
	int err;

	if (cfg->progress)
		cfg->progress(st->what, run + 1, runs, cfg->progress_ctx);
	err = bench_in_child(st->body, st->arg, st->timeout_s, &s);
	if (err < 0) {
		(void)snprintf(res->error, sizeof(res->error),
			       "%s, run %u of %u: %s", st->what, run + 1, runs,
			       s.msg[0] ? s.msg : strerror(-err));
		return err;
	}
	if (!st->bytes) {
		st->series->ns[st->series->runs++] = s.ns;
		st->series->count = s.count;
		return 0;
	}
	if (*st->bytes && *st->bytes != s.bytes) {
		(void)snprintf(res->error, sizeof(res->error),
			       "%s, run %u of %u: the image has %llu bytes, "
			       "the runs before %llu",
			       st->what, run + 1, runs,
			       (unsigned long long)s.bytes,
			       (unsigned long long)*st->bytes);
		return -EPROTO;
	}
	*st->bytes = s.bytes;
	for (int i = 0; i < BENCH_SNAP_STEPS; i++) {
		st->series[i].ns[st->series[i].runs++] = s.step_ns[i];
		st->series[i].count = s.count;
	}
	return 0;
}

/* Run the steps of a group interleaved, runs times each. */
static int measure_interleaved(const struct bench_config *cfg,
			       struct bench_results *res,
			       const struct step *steps, size_t nsteps,
			       unsigned runs)
{
	for (unsigned run = 0; run < runs; run++) {
		for (size_t i = 0; i < nsteps; i++) {
			int err = measure(cfg, res, &steps[i], run, runs);

			if (err < 0)
				return err;
		}
	}
	return 0;
}

static bool config_valid(const struct bench_config *cfg)
{
	return cfg->explicit_runs <= BENCH_MAX_RUNS &&
	       cfg->linear_runs <= BENCH_MAX_RUNS &&
	       cfg->sparse_runs <= BENCH_MAX_RUNS && cfg->sparse_n >= 1 &&
	       cfg->sparse_n <= BENCH_SPARSE_MAX_N &&
	       cfg->snapshot_runs <= BENCH_MAX_RUNS && cfg->snapshot_n >= 1 &&
	       cfg->snapshot_n <= BENCH_SPARSE_MAX_N;
}

int bench_run(const struct bench_config *cfg, struct bench_results *res)
{
	const struct bench_case explicit_case = {.path = KT_PATH_EXPLICIT};
	const struct bench_case linear_case = {.path = KT_PATH_LINEAR};
	const struct bench_case sparse_case = {.n = cfg->sparse_n};
	const struct bench_case snapshot_case = {.n = cfg->snapshot_n};
	const struct step seed_explicit = {
		"seed, explicit path", bench_seed_create,   &explicit_case,
		TIMEOUT_SHORT_S,       &res->seed_explicit, NULL};
	const struct step seed_walk[] = {
		{"seed, linear path", bench_seed_create, &linear_case,
		 TIMEOUT_LONG_S, &res->seed_linear, NULL},
		{"seed, bare raw loop", bench_seed_raw_loop, NULL,
		 TIMEOUT_LONG_S, &res->seed_raw_loop, NULL},
	};
	const struct step sparse[] = {
		{"sparse, explicit path", bench_sparse_explicit, &sparse_case,
		 TIMEOUT_LONG_S, &res->sparse_explicit, NULL},
		{"sparse, bare raw creates", bench_sparse_raw, &sparse_case,
		 TIMEOUT_LONG_S, &res->sparse_raw, NULL},
	};
	const struct step snapshot = {
		.what = "snapshot, capture/save/load/restore",
		.body = bench_snapshot,
		.arg = &snapshot_case,
		.timeout_s = TIMEOUT_LONG_S,
		.series = res->snapshot,
		.bytes = &res->snapshot_bytes,
	};
	/* Without explicit IDs only the raw side of the sparse pair runs. */
	const struct step *sparse_steps =
		cfg->explicit_supported ? sparse : sparse + 1;
	size_t sparse_nsteps = cfg->explicit_supported ? 2 : 1;
	int err;

	memset(res, 0, sizeof(*res));
	if (!config_valid(cfg)) {
		(void)snprintf(res->error, sizeof(res->error),
			       "invalid configuration");
		return -EINVAL;
	}

	if (cfg->explicit_supported) {
		err = measure_interleaved(cfg, res, &seed_explicit, 1,
					  cfg->explicit_runs);
		if (err < 0)
			return err;
	}
	err = measure_interleaved(cfg, res, seed_walk, 2, cfg->linear_runs);
	if (err < 0)
		return err;
	err = measure_interleaved(cfg, res, sparse_steps, sparse_nsteps,
				  cfg->sparse_runs);
	if (err < 0)
		return err;
	/* The restore needs explicit IDs in the same process. */
	if (cfg->explicit_supported) {
		err = measure_interleaved(cfg, res, &snapshot, 1,
					  cfg->snapshot_runs);
		if (err < 0)
			return err;
	}

	bench_series_stats(&res->seed_explicit);
	bench_series_stats(&res->seed_linear);
	bench_series_stats(&res->seed_raw_loop);
	bench_series_stats(&res->sparse_explicit);
	bench_series_stats(&res->sparse_raw);
	for (int i = 0; i < BENCH_SNAP_STEPS; i++)
		bench_series_stats(&res->snapshot[i]);
	return 0;
}
