/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeptime's benchmark: the claim of the kernel commit that added
 * PR_TIMER_CREATE_RESTORE_IDS ("Recreating two timers with IDs 1000000 and
 * 2000000 takes 1.5 seconds with the create/delete method. With the prctl()
 * it takes 3 microseconds."), measured through libkeeptime, next to the
 * bare system calls that bound it.
 *
 * Every measurement runs in a fresh fork()ed child: POSIX timers and the
 * kernel's next-ID counter belong to a process, so each run starts from a
 * counter of 0 and no timers. The child reports its time through a pipe.
 *
 * This part measures; the keeptime command (src/cli/cmd_bench.c) checks
 * the preconditions and presents the results.
 */
#ifndef KT_BENCH_BENCH_H
#define KT_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

/* The seed case: two timers at these IDs. */
#define BENCH_SEED_ID_LOW  1000000
#define BENCH_SEED_ID_HIGH 2000000
/* The sparse case: timers at IDs i * STRIDE + FIRST, i = 0..n-1. */
#define BENCH_SPARSE_STRIDE 1000
#define BENCH_SPARSE_FIRST  7
/* The largest sparse set whose IDs are timer IDs. */
#define BENCH_SPARSE_MAX_N                                                     \
	((2147483647 - BENCH_SPARSE_FIRST) / BENCH_SPARSE_STRIDE + 1)

#define BENCH_MAX_RUNS 1000
/* Why a case was skipped: the size of the reason. */
#define BENCH_SKIPPED_LEN 256

#define BENCH_DEFAULT_EXPLICIT_RUNS 51
#define BENCH_DEFAULT_LINEAR_RUNS   3
#define BENCH_DEFAULT_SPARSE_RUNS   5
#define BENCH_DEFAULT_SPARSE_N	    10000
#define BENCH_DEFAULT_SNAPSHOT_RUNS 5
#define BENCH_DEFAULT_SNAPSHOT_N    BENCH_DEFAULT_SPARSE_N
#define BENCH_DEFAULT_SHOW_RUNS	    11
#define BENCH_DEFAULT_SHOW_N_SMALL  10
#define BENCH_DEFAULT_SHOW_N_LARGE  10000
#define BENCH_DEFAULT_PROCESS_RUNS  11

/*
 * The snapshot case: snapshot_n POSIX timers at the sparse IDs, plus
 * BENCH_SNAPSHOT_TIMERFDS timerfds and ITIMER_REAL, captured, saved,
 * loaded and restored in one process. The steps, each timed on its own:
 */
enum bench_snapshot_step {
	BENCH_SNAP_CAPTURE, /* kt_capture_self */
	BENCH_SNAP_SAVE,    /* kt_snapshot_save to a memfd */
	BENCH_SNAP_LOAD,    /* kt_snapshot_load from it */
	BENCH_SNAP_RESTORE, /* kt_restore_self, the originals deleted */
	BENCH_SNAP_STEPS,
};
#define BENCH_SNAPSHOT_TIMERFDS 2

/*
 * The show case: how long `keeptime show PID` holds its target stopped.
 * A target process holds n POSIX timers at the sparse IDs (the snapshot
 * case's mix of clocks and notifications, armed 100 s and more ahead),
 * BENCH_SHOW_TIMERFDS timerfd and ITIMER_REAL, and idles blocked in
 * read(2); one kt_capture_pid() of it is timed, after an untimed warm-up
 * capture. The target is stopped only inside the call: its wall time is an
 * upper bound of the stop. Measured for a small and a large n, interleaved.
 */
#define BENCH_SHOW_TIMERFDS 1

/*
 * The process case: the bundled workload (examples/workload.c, built as
 * keeptime-workload next to the keeptime binary) dumped whole with
 * kt_dump_process(KT_DUMP_KILL) and restored with kt_restore_process(),
 * run after run: each restored process, a child of the measurer with the
 * same PID, is the next run's to dump. `keeptime-workload run` holds POSIX
 * timers at IDs 7, 1000000 and 2000000, a timerfd and ITIMER_REAL; a
 * restore must report the POSIX timers and the timerfd. The parts of each
 * run, timed on their own:
 */
enum bench_process_part {
	BENCH_PROC_DUMP,	 /* kt_dump_process, the call's wall time */
	BENCH_PROC_DUMP_STOPPED, /* of which the process was held stopped */
	BENCH_PROC_RESTORE,	 /* kt_restore_process, the call's wall time */
	BENCH_PROC_RESTORE_MEMORY, /* of which its memory (the report's) */
	BENCH_PROC_RESTORE_TIMERS, /* its timers at their exact IDs (same) */
	BENCH_PROC_RESTORE_REST,   /* the rest: restore - memory - timers */
	BENCH_PROC_PARTS,
};
#define BENCH_PROCESS_WORKLOAD	   "keeptime-workload"
#define BENCH_PROCESS_POSIX_TIMERS 3
#define BENCH_PROCESS_TIMERFDS	   1

struct bench_config {
	unsigned explicit_runs; /* seed, explicit path */
	unsigned linear_runs;	/* seed, linear path and bare raw loop each */
	unsigned sparse_runs;	/* sparse, explicit and raw each */
	unsigned sparse_n;	/* timers in the sparse case */
	unsigned snapshot_runs; /* snapshot case; 0: not measured */
	unsigned snapshot_n;	/* POSIX timers in the snapshot case */
	unsigned show_runs;	/* show case, each size; 0: not measured */
	unsigned show_n_small;	/* POSIX timers of the small show target */
	unsigned show_n_large;	/* and of the large one */
	unsigned process_runs;	/* process case; 0: not measured */
	/* Whether to measure the explicit path (the kernel grants it). */
	bool explicit_supported;
	/* Optional: called before each measurement. */
	void (*progress)(const char *what, unsigned run, unsigned runs,
			 void *ctx);
	void *progress_ctx;
};

/* The samples of one measurement. */
struct bench_series {
	unsigned runs;		     /* samples taken; 0: not measured */
	uint64_t ns[BENCH_MAX_RUNS]; /* the timed sections, in run order */
	uint64_t count;		     /* linear steps, syscall pairs or timers
					of one run */
	double median_ns, min_ns, max_ns; /* NaN when not measured */
};

struct bench_results {
	/* Two timers at IDs 1000000 and 2000000, CLOCK_MONOTONIC, SIGEV_NONE.
	 */
	struct bench_series seed_explicit; /* kt_timers_create, explicit */
	struct bench_series seed_linear;   /* kt_timers_create, linear */
	struct bench_series
		seed_raw_loop; /* 2000001 bare create/delete pairs */
	/* sparse_n timers at IDs i * 1000 + 7. */
	struct bench_series sparse_explicit; /* kt_timers_create, explicit */
	struct bench_series sparse_raw;	     /* sparse_n bare creates */
	/* snapshot_n timers at the sparse IDs, 2 timerfds, ITIMER_REAL:
	 * one series per step, all from the same children (count: the
	 * POSIX timers), and the image's size, the same in every run. */
	struct bench_series snapshot[BENCH_SNAP_STEPS];
	uint64_t snapshot_bytes; /* 0: not measured */
	/* One kt_capture_pid() of a target holding show_n_small, and
	 * show_n_large, POSIX timers (count: the POSIX timers). */
	struct bench_series show_small;
	struct bench_series show_large;
	/* Why the show case was skipped although asked for ("ptrace not
	 * permitted: ..."), or "". Not an error: the rest is measured. */
	char show_skipped[BENCH_SKIPPED_LEN];
	/* The workload dumped and restored, run after run: one series per
	 * part, all from the same child (count: the timers the restore
	 * reported), and what the last restore rebuilt. */
	struct bench_series process[BENCH_PROC_PARTS];
	uint64_t process_vmas;	/* mappings made */
	uint64_t process_bytes; /* memory filled from the image */
	/* Why the process case was skipped although asked for (not
	 * permitted, no workload next to keeptime), or "". Not an error. */
	char process_skipped[BENCH_SKIPPED_LEN];
	char error[320]; /* what failed, when bench_run() fails */
};

/*
 * Run the benchmark. Returns 0, or a negative errno with res->error saying
 * which measurement failed and how. Each series is measured only if its
 * run count is not 0 (and, for explicit ones and the snapshot case, which
 * restores at exact IDs, explicit_supported). The show case's target gets
 * its timers on the automatic path (the linear walk without the prctl);
 * when ptrace is not permitted the case is skipped, with res->show_skipped
 * saying why, and the call still succeeds. The process case needs
 * explicit_supported too (each restore would walk to ID 2000000 without
 * it); it is skipped the same way, with res->process_skipped saying why,
 * when the dump or restore is not permitted or the workload is not there.
 */
int bench_run(const struct bench_config *cfg, struct bench_results *res)
	__attribute__((warn_unused_result));

/* The ratio of two medians, NaN unless both were measured. */
double bench_ratio(const struct bench_series *num,
		   const struct bench_series *den);

#endif /* KT_BENCH_BENCH_H */
