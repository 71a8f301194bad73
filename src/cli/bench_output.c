/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Presenting the benchmark's results: a table, or one JSON object. */
#include <math.h>

#include "bench_output.h"
#include "duration.h"
#include "json.h"

/* The process case's restore, median below this: CRIU's for the bundled
 * workload (issue 6). */
#define BENCH_TARGET_PROCESS_RESTORE_MS 34.0

/* The ratios and targets, worked out once for both presentations. */
struct verdict {
	double seed_explicit_us; /* NaN: not measured */
	double speedup;		 /* linear / explicit */
	double step_ratio;	 /* linear / raw loop */
	double ns_per_step;	 /* linear median / its steps */
	double sparse_ratio;	 /* explicit / raw */
	double bytes_per_timer;	 /* snapshot image / its POSIX timers */
	double per_timer_ns[BENCH_SNAP_STEPS]; /* snapshot step median / n */
	double show_small_ms; /* show medians, NaN: not measured */
	double show_large_ms;
	double show_per_timer_ns;	/* large median / its timers */
	double show_small_per_timer_ns; /* small median / its timers */
	double show_per_added_ns;    /* (large - small) / (n_large - n_small) */
	double show_ratio;	     /* large / small */
	double process_restore_ms;   /* restore median, NaN: not measured */
	double process_timers_us;    /* its timer part's median */
	double process_timers_share; /* timer part / restore, medians */
};

static double per_timer(const struct bench_series *s)
{
	return s->runs && s->count ? s->median_ns / (double)s->count : NAN;
}

static struct verdict verdict_of(const struct bench_results *r)
{
	struct verdict v = {
		.seed_explicit_us = r->seed_explicit.runs
					    ? r->seed_explicit.median_ns / 1e3
					    : NAN,
		.speedup = bench_ratio(&r->seed_linear, &r->seed_explicit),
		.step_ratio = bench_ratio(&r->seed_linear, &r->seed_raw_loop),
		.ns_per_step = NAN,
		.sparse_ratio =
			bench_ratio(&r->sparse_explicit, &r->sparse_raw),
	};

	if (r->seed_linear.runs && r->seed_linear.count)
		v.ns_per_step =
			r->seed_linear.median_ns / (double)r->seed_linear.count;
	v.bytes_per_timer = NAN;
	for (int i = 0; i < BENCH_SNAP_STEPS; i++) {
		const struct bench_series *s = &r->snapshot[i];

		v.per_timer_ns[i] = s->runs && s->count
					    ? s->median_ns / (double)s->count
					    : NAN;
	}
	if (r->snapshot_bytes && r->snapshot[0].count)
		v.bytes_per_timer = (double)r->snapshot_bytes /
				    (double)r->snapshot[0].count;
	v.show_small_ms =
		r->show_small.runs ? r->show_small.median_ns / 1e6 : NAN;
	v.show_large_ms =
		r->show_large.runs ? r->show_large.median_ns / 1e6 : NAN;
	v.show_per_timer_ns = per_timer(&r->show_large);
	v.show_small_per_timer_ns = per_timer(&r->show_small);
	v.show_per_added_ns = NAN;
	if (r->show_small.runs && r->show_large.runs &&
	    r->show_large.count != r->show_small.count)
		v.show_per_added_ns =
			(r->show_large.median_ns - r->show_small.median_ns) /
			((double)r->show_large.count -
			 (double)r->show_small.count);
	v.show_ratio = bench_ratio(&r->show_large, &r->show_small);
	v.process_restore_ms =
		r->process[BENCH_PROC_RESTORE].runs
			? r->process[BENCH_PROC_RESTORE].median_ns / 1e6
			: NAN;
	v.process_timers_us =
		r->process[BENCH_PROC_RESTORE_TIMERS].runs
			? r->process[BENCH_PROC_RESTORE_TIMERS].median_ns / 1e3
			: NAN;
	v.process_timers_share =
		bench_ratio(&r->process[BENCH_PROC_RESTORE_TIMERS],
			    &r->process[BENCH_PROC_RESTORE]);
	return v;
}

/* "met", "not met", or "n/a" for a value that was not measured. */
static const char *met_str(double value, double target, bool below)
{
	if (isnan(value))
		return "n/a";
	if (below ? value < target : value <= target)
		return "met";
	return "not met";
}

/* -------------------------------------------------------------------- */

static void row(FILE *f, const char *name, const struct bench_series *s,
		const char *why_not)
{
	char med[32], min[32], max[32];

	if (s->runs == 0) {
		fprintf(f, "  %-36s %s\n", name, why_not);
		return;
	}
	fprintf(f, "  %-36s %10s %10s %10s %5u\n", name,
		duration_str(s->median_ns, med, sizeof(med)),
		duration_str(s->min_ns, min, sizeof(min)),
		duration_str(s->max_ns, max, sizeof(max)), s->runs);
}

static void header(FILE *f)
{
	fprintf(f, "  %-36s %10s %10s %10s %5s\n", "measurement", "median",
		"min", "max", "runs");
}

static void ratio_line(FILE *f, const char *name, double v, const char *fmt)
{
	fprintf(f, "  %-36s ", name);
	if (isnan(v))
		fputs("n/a\n", f);
	else if (fmt[0] == 'x')
		fprintf(f, "%.0fx\n", v);
	else
		fprintf(f, "%.3f\n", v);
}

static const char *const step_rows[BENCH_SNAP_STEPS] = {
	[BENCH_SNAP_CAPTURE] = "capture (kt_capture_self)",
	[BENCH_SNAP_SAVE] = "save (kt_snapshot_save, memfd)",
	[BENCH_SNAP_LOAD] = "load (kt_snapshot_load)",
	[BENCH_SNAP_RESTORE] = "restore (kt_restore_self)",
};

static const char *const step_keys[BENCH_SNAP_STEPS] = {
	[BENCH_SNAP_CAPTURE] = "capture",
	[BENCH_SNAP_SAVE] = "save",
	[BENCH_SNAP_LOAD] = "load",
	[BENCH_SNAP_RESTORE] = "restore",
};

static const char *const process_rows[BENCH_PROC_PARTS] = {
	[BENCH_PROC_DUMP] = "dump (kt_dump_process)",
	[BENCH_PROC_DUMP_STOPPED] = "  process held stopped",
	[BENCH_PROC_RESTORE] = "restore (kt_restore_process)",
	[BENCH_PROC_RESTORE_MEMORY] = "  memory",
	[BENCH_PROC_RESTORE_TIMERS] = "  timers, at their IDs",
	[BENCH_PROC_RESTORE_REST] = "  the rest",
};

static const char *const process_keys[BENCH_PROC_PARTS] = {
	[BENCH_PROC_DUMP] = "dump",
	[BENCH_PROC_DUMP_STOPPED] = "dump_stopped",
	[BENCH_PROC_RESTORE] = "restore",
	[BENCH_PROC_RESTORE_MEMORY] = "restore_memory",
	[BENCH_PROC_RESTORE_TIMERS] = "restore_timers",
	[BENCH_PROC_RESTORE_REST] = "restore_rest",
};

/* The workload's POSIX timer IDs (examples/workload.c). */
static const int process_ids[BENCH_PROCESS_POSIX_TIMERS] = {7, 1000000,
							    2000000};

static void snapshot_text(FILE *f, const struct bench_view *v,
			  const struct verdict *d)
{
	const struct bench_results *r = v->res;
	const char *why_not =
		v->explicit_supported
			? "not measured (--snapshot-runs 0)"
			: "not measured: no PR_TIMER_CREATE_RESTORE_IDS";

	fprintf(f,
		"\nsnapshot: %u POSIX timers at IDs i*%d+%d, %d timerfds, "
		"ITIMER_REAL\n"
		"(MONOTONIC/REALTIME/BOOTTIME, SIGEV_SIGNAL/NONE, armed; "
		"restored once deleted)\n",
		v->cfg->snapshot_n, BENCH_SPARSE_STRIDE, BENCH_SPARSE_FIRST,
		BENCH_SNAPSHOT_TIMERFDS);
	header(f);
	for (int i = 0; i < BENCH_SNAP_STEPS; i++)
		row(f, step_rows[i], &r->snapshot[i], why_not);
	fprintf(f, "  %-12s", "image size:");
	if (isnan(d->bytes_per_timer))
		fputs("n/a\n", f);
	else
		fprintf(f, "%llu bytes, %.1f bytes per timer\n",
			(unsigned long long)r->snapshot_bytes,
			d->bytes_per_timer);
	fprintf(f, "  %-12s", "per timer:");
	if (isnan(d->per_timer_ns[0]))
		fputs("n/a\n", f);
	else
		fprintf(f,
			"capture %.3f us, save %.3f, load %.3f, restore %.3f\n",
			d->per_timer_ns[BENCH_SNAP_CAPTURE] / 1e3,
			d->per_timer_ns[BENCH_SNAP_SAVE] / 1e3,
			d->per_timer_ns[BENCH_SNAP_LOAD] / 1e3,
			d->per_timer_ns[BENCH_SNAP_RESTORE] / 1e3);
}

static void show_text(FILE *f, const struct bench_view *v,
		      const struct verdict *d)
{
	const struct bench_results *r = v->res;
	const struct bench_config *c = v->cfg;
	const char *why_not = r->show_skipped[0]
				      ? "not measured: ptrace not permitted"
				      : "not measured (--show-runs 0)";
	char name[64], buf[32], buf2[32];

	fprintf(f,
		"\nshow: one kt_capture_pid of a target holding N POSIX timers "
		"at IDs i*%d+%d,\n"
		"%d timerfd and ITIMER_REAL (the snapshot case's mix, armed), "
		"idle in read(2);\n"
		"timed after an untimed warm-up: a bound of how long the target "
		"is stopped\n",
		BENCH_SPARSE_STRIDE, BENCH_SPARSE_FIRST, BENCH_SHOW_TIMERFDS);
	header(f);
	(void)snprintf(name, sizeof(name), "%u timers", c->show_n_small);
	row(f, name, &r->show_small, why_not);
	(void)snprintf(name, sizeof(name), "%u timers", c->show_n_large);
	row(f, name, &r->show_large, why_not);
	if (r->show_skipped[0])
		fprintf(f, "  (%s)\n", r->show_skipped);
	(void)snprintf(name, sizeof(name),
		       "per timer, %u timers:", c->show_n_large);
	fprintf(f, "  %-36s %s", name,
		duration_str(d->show_per_timer_ns, buf, sizeof(buf)));
	if (!isnan(d->show_small_per_timer_ns))
		fprintf(f, " (%u timers: %s)", c->show_n_small,
			duration_str(d->show_small_per_timer_ns, buf2,
				     sizeof(buf2)));
	fputc('\n', f);
	fprintf(f, "  %-36s %s\n", "per added timer (large - small):",
		duration_str(d->show_per_added_ns, buf, sizeof(buf)));
	(void)snprintf(name, sizeof(name),
		       "ratio, %u / %u timers:", c->show_n_large,
		       c->show_n_small);
	fprintf(f, "  %-36s ", name);
	if (isnan(d->show_ratio))
		fputs("n/a\n", f);
	else
		fprintf(f, "%.1f (for %.1fx the timers)\n", d->show_ratio,
			(double)c->show_n_large / (double)c->show_n_small);
}

static void process_text(FILE *f, const struct bench_view *v,
			 const struct verdict *d)
{
	const struct bench_results *r = v->res;
	const struct bench_series *restore = &r->process[BENCH_PROC_RESTORE];
	const char *why_not =
		r->process_skipped[0] ? "not measured: skipped"
		: !v->explicit_supported
			? "not measured: no PR_TIMER_CREATE_RESTORE_IDS"
			: "not measured (--process-runs 0)";

	fprintf(f,
		"\nprocess: the bundled workload (%s run: POSIX timers at IDs\n"
		"%d, %d and %d, %d timerfd, ITIMER_REAL) dumped with "
		"KT_DUMP_KILL and\n"
		"restored with its PID, each restored process the next run's "
		"to dump;\n"
		"timed after an untimed warm-up run\n",
		BENCH_PROCESS_WORKLOAD, process_ids[0], process_ids[1],
		process_ids[2], BENCH_PROCESS_TIMERFDS);
	header(f);
	for (int i = 0; i < BENCH_PROC_PARTS; i++)
		row(f, process_rows[i], &r->process[i], why_not);
	if (r->process_skipped[0])
		fprintf(f, "  (%s)\n", r->process_skipped);
	fprintf(f, "  %-36s ", "timer part of the restore:");
	if (isnan(d->process_timers_us))
		fputs("n/a\n", f);
	else
		fprintf(f, "%.1f us (%.2f %% of it)\n", d->process_timers_us,
			d->process_timers_share * 100);
	fprintf(f, "  %-36s ", "restored:");
	if (restore->runs == 0)
		fputs("n/a\n", f);
	else
		fprintf(f, "%llu mappings, %.0f KiB of memory, %llu timers\n",
			(unsigned long long)r->process_vmas,
			(double)r->process_bytes / 1024,
			(unsigned long long)restore->count);
}

void bench_output_text(FILE *f, const struct bench_view *v)
{
	const struct bench_results *r = v->res;
	const char *no_prctl = "not measured: no PR_TIMER_CREATE_RESTORE_IDS";
	struct verdict d = verdict_of(r);
	char name[64], buf[32];

	fprintf(f, "keeptime bench: kernel %s, explicit timer IDs %s\n",
		v->kernel,
		v->explicit_supported
			? "granted"
			: "NOT granted (needs Linux >= 6.15): explicit "
			  "measurements skipped");
	fputs("Each run in a fresh fork()ed child (the process case's in "
	      "one); seed and sparse\ntime only the creation, snapshot each "
	      "of its steps, show one capture of another\nprocess, process "
	      "a dump and a restore of another.\n\n",
	      f);

	fprintf(f,
		"seed: two timers at IDs %d and %d (CLOCK_MONOTONIC, "
		"SIGEV_NONE)\n",
		BENCH_SEED_ID_LOW, BENCH_SEED_ID_HIGH);
	header(f);
	row(f, "explicit path (kt_timers_create)", &r->seed_explicit, no_prctl);
	(void)snprintf(name, sizeof(name), "linear path (%llu steps)",
		       (unsigned long long)r->seed_linear.count);
	row(f, name, &r->seed_linear, "not measured");
	(void)snprintf(name, sizeof(name), "bare raw loop (%llu pairs)",
		       (unsigned long long)r->seed_raw_loop.count);
	row(f, name, &r->seed_raw_loop, "not measured");
	ratio_line(f, "speedup, linear / explicit:", d.speedup, "x");
	ratio_line(f, "step ratio, linear / raw loop:", d.step_ratio, "");
	fprintf(f, "  %-36s %s\n", "linear walk, per step:",
		duration_str(d.ns_per_step, buf, sizeof(buf)));

	fprintf(f,
		"\nsparse: %u timers at IDs i*%d+%d (CLOCK_MONOTONIC, "
		"SIGEV_NONE)\n",
		v->cfg->sparse_n, BENCH_SPARSE_STRIDE, BENCH_SPARSE_FIRST);
	header(f);
	row(f, "explicit path (kt_timers_create)", &r->sparse_explicit,
	    no_prctl);
	row(f, "bare raw creates (kernel's IDs)", &r->sparse_raw,
	    "not measured");
	ratio_line(f, "ratio, explicit / raw:", d.sparse_ratio, "");

	snapshot_text(f, v, &d);
	show_text(f, v, &d);
	process_text(f, v, &d);

	fputs("\ntargets:\n", f);
	fprintf(f, "  %-36s %10s  %s\n", "seed, explicit path < 20 us",
		duration_str(d.seed_explicit_us * 1e3, buf, sizeof(buf)),
		met_str(d.seed_explicit_us, BENCH_TARGET_SEED_EXPLICIT_US,
			true));
	(void)snprintf(buf, sizeof(buf), "%.3f", d.step_ratio);
	fprintf(f, "  %-36s %10s  %s\n", "seed, step ratio <= 1.2",
		isnan(d.step_ratio) ? "-" : buf,
		met_str(d.step_ratio, BENCH_TARGET_STEP_RATIO, false));
	(void)snprintf(buf, sizeof(buf), "%.3f", d.sparse_ratio);
	fprintf(f, "  %-36s %10s  %s\n", "sparse, ratio <= 1.3",
		isnan(d.sparse_ratio) ? "-" : buf,
		met_str(d.sparse_ratio, BENCH_TARGET_SPARSE_RATIO, false));
	(void)snprintf(name, sizeof(name), "show, %u timers < %g ms",
		       v->cfg->show_n_small, BENCH_TARGET_SHOW_SMALL_MS);
	fprintf(f, "  %-36s %10s  %s\n", name,
		duration_str(d.show_small_ms * 1e6, buf, sizeof(buf)),
		met_str(d.show_small_ms, BENCH_TARGET_SHOW_SMALL_MS, true));
	(void)snprintf(name, sizeof(name), "show, %u timers < %g ms",
		       v->cfg->show_n_large, BENCH_TARGET_SHOW_LARGE_MS);
	fprintf(f, "  %-36s %10s  %s\n", name,
		duration_str(d.show_large_ms * 1e6, buf, sizeof(buf)),
		met_str(d.show_large_ms, BENCH_TARGET_SHOW_LARGE_MS, true));
	(void)snprintf(name, sizeof(name), "process, restore < %g ms (CRIU)",
		       BENCH_TARGET_PROCESS_RESTORE_MS);
	fprintf(f, "  %-36s %10s  %s\n", name,
		duration_str(d.process_restore_ms * 1e6, buf, sizeof(buf)),
		met_str(d.process_restore_ms, BENCH_TARGET_PROCESS_RESTORE_MS,
			true));
}

/* -------------------------------------------------------------------- */

static void json_us(struct json *j, const char *key, double ns)
{
	json_double(j, key, ns / 1e3); /* NaN stays NaN: null */
}

static void json_samples(struct json *j, const char *key,
			 const struct bench_series *s)
{
	json_begin_array(j, key);
	for (unsigned i = 0; i < s->runs; i++)
		json_double(j, NULL, (double)s->ns[i] / 1e3);
	json_end_array(j);
}

static void json_target(struct json *j, const char *key, double value,
			double target, bool below)
{
	const char *m = met_str(value, target, below);

	if (isnan(value))
		json_null(j, key);
	else
		json_bool(j, key, m[0] == 'm');
}

/* The timers of the snapshot and show cases: IDs, clocks, notifications. */
static void timer_mix_json(struct json *j, unsigned timerfds)
{
	json_int(j, "first_id", BENCH_SPARSE_FIRST);
	json_int(j, "stride", BENCH_SPARSE_STRIDE);
	json_begin_array(j, "clocks");
	json_string(j, NULL, "CLOCK_MONOTONIC");
	json_string(j, NULL, "CLOCK_REALTIME");
	json_string(j, NULL, "CLOCK_BOOTTIME");
	json_end_array(j);
	json_begin_array(j, "notify");
	json_string(j, NULL, "SIGEV_SIGNAL");
	json_string(j, NULL, "SIGEV_NONE");
	json_end_array(j);
	json_uint(j, "timerfds", timerfds);
	json_string(j, "itimer", "ITIMER_REAL");
}

static void snapshot_json(struct json *j, const struct bench_view *v,
			  const struct verdict *d)
{
	const struct bench_results *r = v->res;
	char key[32];

	json_begin_object(j, "snapshot");
	json_uint(j, "n", v->cfg->snapshot_n);
	timer_mix_json(j, BENCH_SNAPSHOT_TIMERFDS);
	for (int i = 0; i < BENCH_SNAP_STEPS; i++) {
		const struct bench_series *s = &r->snapshot[i];

		(void)snprintf(key, sizeof(key), "%s_us", step_keys[i]);
		json_us(j, key, s->median_ns);
		(void)snprintf(key, sizeof(key), "%s_min_us", step_keys[i]);
		json_us(j, key, s->min_ns);
		(void)snprintf(key, sizeof(key), "%s_max_us", step_keys[i]);
		json_us(j, key, s->max_ns);
	}
	if (r->snapshot_bytes)
		json_uint(j, "image_bytes", r->snapshot_bytes);
	else
		json_null(j, "image_bytes");
	json_double(j, "bytes_per_timer", d->bytes_per_timer);
	json_begin_object(j, "per_timer_us");
	for (int i = 0; i < BENCH_SNAP_STEPS; i++)
		json_us(j, step_keys[i], d->per_timer_ns[i]);
	json_end_object(j);
	json_uint(j, "runs", r->snapshot[0].runs);
	json_begin_object(j, "samples_us");
	for (int i = 0; i < BENCH_SNAP_STEPS; i++)
		json_samples(j, step_keys[i], &r->snapshot[i]);
	json_end_object(j);
	json_end_object(j);
}

static void show_json(struct json *j, const struct bench_view *v,
		      const struct verdict *d)
{
	const struct bench_results *r = v->res;

	json_begin_object(j, "show");
	json_uint(j, "n_small", v->cfg->show_n_small);
	json_uint(j, "n_large", v->cfg->show_n_large);
	timer_mix_json(j, BENCH_SHOW_TIMERFDS);
	json_string(j, "target_idles_in", "read");
	json_string(j, "timed", "kt_capture_pid");
	json_us(j, "small_us", r->show_small.median_ns);
	json_us(j, "small_min_us", r->show_small.min_ns);
	json_us(j, "small_max_us", r->show_small.max_ns);
	json_us(j, "large_us", r->show_large.median_ns);
	json_us(j, "large_min_us", r->show_large.min_ns);
	json_us(j, "large_max_us", r->show_large.max_ns);
	json_us(j, "per_timer_us", d->show_per_timer_ns);
	json_us(j, "small_per_timer_us", d->show_small_per_timer_ns);
	json_us(j, "per_added_timer_us", d->show_per_added_ns);
	json_double(j, "ratio", d->show_ratio);
	json_uint(j, "runs", r->show_small.runs);
	json_string(j, "skipped", r->show_skipped[0] ? r->show_skipped : NULL);
	json_begin_object(j, "samples_us");
	json_samples(j, "small", &r->show_small);
	json_samples(j, "large", &r->show_large);
	json_end_object(j);
	json_end_object(j);
}

static void process_json(struct json *j, const struct bench_view *v,
			 const struct verdict *d)
{
	const struct bench_results *r = v->res;
	const struct bench_series *restore = &r->process[BENCH_PROC_RESTORE];
	char key[32];

	json_begin_object(j, "process");
	json_string(j, "workload", BENCH_PROCESS_WORKLOAD " run");
	json_begin_array(j, "ids");
	for (int i = 0; i < BENCH_PROCESS_POSIX_TIMERS; i++)
		json_int(j, NULL, process_ids[i]);
	json_end_array(j);
	json_uint(j, "timerfds", BENCH_PROCESS_TIMERFDS);
	json_string(j, "itimer", "ITIMER_REAL");
	json_begin_array(j, "timed");
	json_string(j, NULL, "kt_dump_process");
	json_string(j, NULL, "kt_restore_process");
	json_end_array(j);
	for (int i = 0; i < BENCH_PROC_PARTS; i++) {
		const struct bench_series *s = &r->process[i];

		(void)snprintf(key, sizeof(key), "%s_us", process_keys[i]);
		json_us(j, key, s->median_ns);
		(void)snprintf(key, sizeof(key), "%s_min_us", process_keys[i]);
		json_us(j, key, s->min_ns);
		(void)snprintf(key, sizeof(key), "%s_max_us", process_keys[i]);
		json_us(j, key, s->max_ns);
	}
	json_double(j, "restore_timers_share", d->process_timers_share);
	if (restore->runs) {
		json_uint(j, "n_timers", restore->count);
		json_uint(j, "n_vmas", r->process_vmas);
		json_uint(j, "pages_bytes", r->process_bytes);
	} else {
		json_null(j, "n_timers");
		json_null(j, "n_vmas");
		json_null(j, "pages_bytes");
	}
	json_uint(j, "runs", restore->runs);
	json_string(j, "skipped",
		    r->process_skipped[0] ? r->process_skipped : NULL);
	json_begin_object(j, "samples_us");
	for (int i = 0; i < BENCH_PROC_PARTS; i++)
		json_samples(j, process_keys[i], &r->process[i]);
	json_end_object(j);
	json_end_object(j);
}

void bench_output_json(FILE *f, const struct bench_view *v)
{
	const struct bench_results *r = v->res;
	struct verdict d = verdict_of(r);
	struct json j;

	json_init(&j, f);
	json_begin_object(&j, NULL);
	json_string(&j, "kernel", v->kernel);
	json_bool(&j, "explicit_supported", v->explicit_supported);

	json_begin_object(&j, "seed");
	json_begin_array(&j, "ids");
	json_int(&j, NULL, BENCH_SEED_ID_LOW);
	json_int(&j, NULL, BENCH_SEED_ID_HIGH);
	json_end_array(&j);
	json_string(&j, "clock", "CLOCK_MONOTONIC");
	json_string(&j, "notify", "SIGEV_NONE");
	json_us(&j, "explicit_us", r->seed_explicit.median_ns);
	json_us(&j, "explicit_min_us", r->seed_explicit.min_ns);
	json_us(&j, "explicit_max_us", r->seed_explicit.max_ns);
	json_us(&j, "linear_us", r->seed_linear.median_ns);
	json_us(&j, "linear_min_us", r->seed_linear.min_ns);
	json_us(&j, "linear_max_us", r->seed_linear.max_ns);
	json_uint(&j, "linear_steps", r->seed_linear.count);
	json_double(&j, "linear_ns_per_step", d.ns_per_step);
	json_us(&j, "raw_loop_us", r->seed_raw_loop.median_ns);
	json_us(&j, "raw_loop_min_us", r->seed_raw_loop.min_ns);
	json_us(&j, "raw_loop_max_us", r->seed_raw_loop.max_ns);
	json_uint(&j, "raw_loop_pairs", r->seed_raw_loop.count);
	json_double(&j, "speedup", d.speedup);
	json_double(&j, "step_ratio", d.step_ratio);
	json_begin_object(&j, "runs");
	json_uint(&j, "explicit", r->seed_explicit.runs);
	json_uint(&j, "linear", r->seed_linear.runs);
	json_uint(&j, "raw_loop", r->seed_raw_loop.runs);
	json_end_object(&j);
	json_begin_object(&j, "samples_us");
	json_samples(&j, "explicit", &r->seed_explicit);
	json_samples(&j, "linear", &r->seed_linear);
	json_samples(&j, "raw_loop", &r->seed_raw_loop);
	json_end_object(&j);
	json_end_object(&j);

	json_begin_object(&j, "sparse");
	json_uint(&j, "n", v->cfg->sparse_n);
	json_int(&j, "first_id", BENCH_SPARSE_FIRST);
	json_int(&j, "stride", BENCH_SPARSE_STRIDE);
	json_string(&j, "clock", "CLOCK_MONOTONIC");
	json_string(&j, "notify", "SIGEV_NONE");
	json_us(&j, "explicit_us", r->sparse_explicit.median_ns);
	json_us(&j, "explicit_min_us", r->sparse_explicit.min_ns);
	json_us(&j, "explicit_max_us", r->sparse_explicit.max_ns);
	json_us(&j, "raw_us", r->sparse_raw.median_ns);
	json_us(&j, "raw_min_us", r->sparse_raw.min_ns);
	json_us(&j, "raw_max_us", r->sparse_raw.max_ns);
	json_double(&j, "ratio", d.sparse_ratio);
	json_begin_object(&j, "runs");
	json_uint(&j, "explicit", r->sparse_explicit.runs);
	json_uint(&j, "raw", r->sparse_raw.runs);
	json_end_object(&j);
	json_begin_object(&j, "samples_us");
	json_samples(&j, "explicit", &r->sparse_explicit);
	json_samples(&j, "raw", &r->sparse_raw);
	json_end_object(&j);
	json_end_object(&j);

	snapshot_json(&j, v, &d);
	show_json(&j, v, &d);
	process_json(&j, v, &d);

	json_begin_object(&j, "targets");
	json_double(&j, "seed_explicit_us_below",
		    BENCH_TARGET_SEED_EXPLICIT_US);
	json_double(&j, "step_ratio_at_most", BENCH_TARGET_STEP_RATIO);
	json_double(&j, "sparse_ratio_at_most", BENCH_TARGET_SPARSE_RATIO);
	json_double(&j, "show_small_ms_below", BENCH_TARGET_SHOW_SMALL_MS);
	json_double(&j, "show_large_ms_below", BENCH_TARGET_SHOW_LARGE_MS);
	json_double(&j, "process_restore_ms_below",
		    BENCH_TARGET_PROCESS_RESTORE_MS);
	json_target(&j, "seed_explicit_met", d.seed_explicit_us,
		    BENCH_TARGET_SEED_EXPLICIT_US, true);
	json_target(&j, "step_ratio_met", d.step_ratio, BENCH_TARGET_STEP_RATIO,
		    false);
	json_target(&j, "sparse_ratio_met", d.sparse_ratio,
		    BENCH_TARGET_SPARSE_RATIO, false);
	json_target(&j, "show_small_met", d.show_small_ms,
		    BENCH_TARGET_SHOW_SMALL_MS, true);
	json_target(&j, "show_large_met", d.show_large_ms,
		    BENCH_TARGET_SHOW_LARGE_MS, true);
	json_target(&j, "process_restore_met", d.process_restore_ms,
		    BENCH_TARGET_PROCESS_RESTORE_MS, true);
	json_end_object(&j);

	json_end_object(&j);
}
