/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Presenting the benchmark's results: a table, or one JSON object. */
#ifndef KT_CLI_BENCH_OUTPUT_H
#define KT_CLI_BENCH_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "../../bench/bench.h"

/* The targets the results are held against. */
#define BENCH_TARGET_SEED_EXPLICIT_US 20.0 /* median below this */
#define BENCH_TARGET_STEP_RATIO	      1.2  /* linear / raw loop, at most */
#define BENCH_TARGET_SPARSE_RATIO     1.3  /* explicit / raw, at most */
/* keeptime show: the stop (one kt_capture_pid), median below this. */
#define BENCH_TARGET_SHOW_SMALL_MS 5.0	/* 10 timers */
#define BENCH_TARGET_SHOW_LARGE_MS 50.0 /* 10000 timers */

struct bench_view {
	const char *kernel; /* uname release */
	bool explicit_supported;
	const struct bench_config *cfg;
	const struct bench_results *res;
};

void bench_output_text(FILE *f, const struct bench_view *v);
void bench_output_json(FILE *f, const struct bench_view *v);

#endif /* KT_CLI_BENCH_OUTPUT_H */
