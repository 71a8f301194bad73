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

/* measure(): the body may not run here; skip the rest of its case. */
#define CASE_SKIPPED 1

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
	/* Optional: where to say why the case is skipped when the body
	 * cannot run here (a sample with skip set; BENCH_SKIPPED_LEN bytes);
	 * without it that fails the run. */
	char *skipped;
};

/* Say why a case is skipped, in a buffer of struct bench_results. */
static void say_skipped(char *skipped, const struct bench_sample *s)
{
	(void)snprintf(skipped, BENCH_SKIPPED_LEN, "%s", s->msg);
}

static int measure(const struct bench_config *cfg, struct bench_results *res,
		   const struct step *st, unsigned run, unsigned runs)
{
	struct bench_sample s = {0};
	int err;

	if (cfg->progress)
		cfg->progress(st->what, run + 1, runs, cfg->progress_ctx);
	err = bench_in_child(st->body, st->arg, st->timeout_s, &s);
	if (err < 0 && s.skip && st->skipped) {
		/* Not allowed here (ptrace): skip the case, do not fail. */
		say_skipped(st->skipped, &s);
		return CASE_SKIPPED;
	}
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

/* The process case's runs, taken as its child reports them. */
struct process_take {
	const struct bench_config *cfg;
	struct bench_results *res;
	const char *what;
};

static void take_process_run(const struct bench_sample *s, unsigned run,
			     void *ctx)
{
	const struct process_take *t = ctx;
	const struct bench_config *cfg = t->cfg;

	for (int i = 0; i < BENCH_PROC_PARTS; i++) {
		t->res->process[i].ns[run] = s->part_ns[i];
		t->res->process[i].runs = run + 1;
		t->res->process[i].count = s->count;
	}
	t->res->process_vmas = s->vmas;
	t->res->process_bytes = s->bytes;
	if (cfg->progress && run + 1 < cfg->process_runs)
		cfg->progress(t->what, run + 2, cfg->process_runs,
			      cfg->progress_ctx);
}

/*
 * The process case: one child for all its runs, since each run dumps the
 * process the run before restored. Returns 0 (measured or skipped, with
 * res->process_skipped saying why) or a negative errno.
 */
static int measure_process(const struct bench_config *cfg,
			   struct bench_results *res)
{
	const struct bench_case c = {.n = cfg->process_runs};
	struct process_take take = {cfg, res, "process, dump and restore"};
	const struct bench_runs runs = {cfg->process_runs, take_process_run,
					&take};
	struct bench_sample s = {0};
	int err;

	if (cfg->process_runs == 0)
		return 0;
	if (cfg->progress)
		cfg->progress(take.what, 1, cfg->process_runs,
			      cfg->progress_ctx);
	err = bench_in_child_runs(bench_process, &c, TIMEOUT_LONG_S, &runs, &s);
	if (err < 0 && s.skip) {
		say_skipped(res->process_skipped, &s);
		for (int i = 0; i < BENCH_PROC_PARTS; i++)
			res->process[i].runs = 0;
		return 0;
	}
	if (err < 0)
		(void)snprintf(res->error, sizeof(res->error), "%s: %s",
			       take.what, s.msg[0] ? s.msg : strerror(-err));
	return err;
}

/* Run the steps of a group interleaved, runs times each. Returns 0,
 * CASE_SKIPPED or a negative errno. */
static int measure_interleaved(const struct bench_config *cfg,
			       struct bench_results *res,
			       const struct step *steps, size_t nsteps,
			       unsigned runs)
{
	for (unsigned run = 0; run < runs; run++) {
		for (size_t i = 0; i < nsteps; i++) {
			int err = measure(cfg, res, &steps[i], run, runs);

			if (err != 0)
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
	       cfg->snapshot_n <= BENCH_SPARSE_MAX_N &&
	       cfg->show_runs <= BENCH_MAX_RUNS && cfg->show_n_small >= 1 &&
	       cfg->show_n_small <= BENCH_SPARSE_MAX_N &&
	       cfg->show_n_large >= 1 &&
	       cfg->show_n_large <= BENCH_SPARSE_MAX_N &&
	       cfg->process_runs <= BENCH_MAX_RUNS;
}

int bench_run(const struct bench_config *cfg, struct bench_results *res)
{
	const struct bench_case explicit_case = {.path = KT_PATH_EXPLICIT};
	const struct bench_case linear_case = {.path = KT_PATH_LINEAR};
	const struct bench_case sparse_case = {.n = cfg->sparse_n};
	const struct bench_case snapshot_case = {.n = cfg->snapshot_n};
	const struct bench_case show_small = {.n = cfg->show_n_small};
	const struct bench_case show_large = {.n = cfg->show_n_large};
	char show_small_what[64], show_large_what[64];
	const struct step seed_explicit = {
		.what = "seed, explicit path",
		.body = bench_seed_create,
		.arg = &explicit_case,
		.timeout_s = TIMEOUT_SHORT_S,
		.series = &res->seed_explicit,
	};
	const struct step seed_walk[] = {
		{"seed, linear path", bench_seed_create, &linear_case,
		 TIMEOUT_LONG_S, &res->seed_linear, NULL, NULL},
		{"seed, bare raw loop", bench_seed_raw_loop, NULL,
		 TIMEOUT_LONG_S, &res->seed_raw_loop, NULL, NULL},
	};
	const struct step sparse[] = {
		{"sparse, explicit path", bench_sparse_explicit, &sparse_case,
		 TIMEOUT_LONG_S, &res->sparse_explicit, NULL, NULL},
		{"sparse, bare raw creates", bench_sparse_raw, &sparse_case,
		 TIMEOUT_LONG_S, &res->sparse_raw, NULL, NULL},
	};
	const struct step snapshot = {
		.what = "snapshot, capture/save/load/restore",
		.body = bench_snapshot,
		.arg = &snapshot_case,
		.timeout_s = TIMEOUT_LONG_S,
		.series = res->snapshot,
		.bytes = &res->snapshot_bytes,
	};
	const struct step show[] = {
		{.what = show_small_what,
		 .body = bench_show,
		 .arg = &show_small,
		 .timeout_s = TIMEOUT_LONG_S,
		 .series = &res->show_small,
		 .skipped = res->show_skipped},
		{.what = show_large_what,
		 .body = bench_show,
		 .arg = &show_large,
		 .timeout_s = TIMEOUT_LONG_S,
		 .series = &res->show_large,
		 .skipped = res->show_skipped},
	};
	/* Without explicit IDs only the raw side of the sparse pair runs. */
	const struct step *sparse_steps =
		cfg->explicit_supported ? sparse : sparse + 1;
	size_t sparse_nsteps = cfg->explicit_supported ? 2 : 1;
	int err;

	memset(res, 0, sizeof(*res));
	(void)snprintf(show_small_what, sizeof(show_small_what),
		       "show, kt_capture_pid of %u timers", cfg->show_n_small);
	(void)snprintf(show_large_what, sizeof(show_large_what),
		       "show, kt_capture_pid of %u timers", cfg->show_n_large);
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
	/* The target's timers come by the automatic path: always runs. */
	err = measure_interleaved(cfg, res, show, 2, cfg->show_runs);
	if (err < 0)
		return err;
	if (err == CASE_SKIPPED)
		res->show_small.runs = res->show_large.runs = 0;
	/* Each restore makes the workload's timers at their IDs again: on
	 * the linear walk that would be seconds a run. */
	if (cfg->explicit_supported) {
		err = measure_process(cfg, res);
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
	bench_series_stats(&res->show_small);
	bench_series_stats(&res->show_large);
	for (int i = 0; i < BENCH_PROC_PARTS; i++)
		bench_series_stats(&res->process[i]);
	return 0;
}
