/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Median, minimum and maximum of a series of samples. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_internal.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void bench_series_stats(struct bench_series *s)
{
	uint64_t sorted[BENCH_MAX_RUNS];
	unsigned n = s->runs;

	if (n == 0) {
		s->median_ns = s->min_ns = s->max_ns = NAN;
		return;
	}
	memcpy(sorted, s->ns, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);
	s->min_ns = (double)sorted[0];
	s->max_ns = (double)sorted[n - 1];
	/* An even count takes the mean of the two middle samples. */
	s->median_ns =
		n % 2 ? (double)sorted[n / 2]
		      : ((double)sorted[n / 2 - 1] + (double)sorted[n / 2]) / 2;
}

double bench_ratio(const struct bench_series *num,
		   const struct bench_series *den)
{
	if (num->runs == 0 || den->runs == 0 || !(den->median_ns > 0))
		return NAN;
	return num->median_ns / den->median_ns;
}
