/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the test binaries. They use libc and Criterion only,
 * never libkeeptime: test_core links the freestanding core without the
 * library.
 *
 * Conventions: functions return >= 0 on success and -errno on failure,
 * like the code under test. Kernel state that a test depends on (the
 * per-process timer ID counter, the PR_TIMER_CREATE_RESTORE_IDS flag) is
 * set up in a freshly forked child (ktt_run_child), whose counter is 0 and
 * whose flag is OFF; the child reports what it saw through memory shared
 * with the test (ktt_shared_alloc) and through its output, and the test
 * asserts on that with Criterion. Criterion's assertions are never used
 * inside such a child: it would report to the test runner in the name of
 * the test process.
 */
#ifndef KT_TESTS_KT_TEST_H
#define KT_TESTS_KT_TEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Room for /proc/self/timers of the biggest set a test creates. */
#define KTT_TEXT_MAX (256 * 1024)
/* Room for what a child prints. */
#define KTT_OUT_MAX 8192

/* The prctl, for headers that predate it (Linux 6.15). */
#define KTT_PR_RESTORE_IDS     77
#define KTT_PR_RESTORE_IDS_OFF 0
#define KTT_PR_RESTORE_IDS_ON  1
#define KTT_PR_RESTORE_IDS_GET 2

/* The kernel's clock id of the calling process's CPU clock (PROCESS_CLOCK:
 * make_process_cpuclock(0, CPUCLOCK_SCHED)), which is also what
 * /proc/PID/timers shows for CLOCK_PROCESS_CPUTIME_ID timers. */
#define KTT_CLOCK_PROCESS_CPU (-6)

/* A tid that cannot exist: above PID_MAX_LIMIT (4M). */
#define KTT_TID_NONEXISTENT 2147483647

/* Exit status of a child whose KTT_CHILD_ASSERT failed. */
#define KTT_CHILD_FAILED 90

/* ---- raw system calls (never glibc's timer_create) ---- */

/*
 * Raw timer_create(2). *id is the kernel's 32-bit timer_t buffer: read as
 * the wanted ID while PR_TIMER_CREATE_RESTORE_IDS is ON, written with the
 * new ID on success. sev may be NULL (the kernel's default: SIGALRM with
 * sival_int = ID). Returns 0 or -errno.
 */
int ktt_timer_create(clockid_t clock, const struct sigevent *sev, int *id);
/*
 * A raw CLOCK_MONOTONIC timer with a NULL sigevent, for use while the flag
 * is OFF. Returns its ID or -errno. The buffer holds -1, so that a flag
 * left ON by mistake shows up as -EINVAL rather than as a plausible ID.
 */
int ktt_timer_create_any(void);
/* Raw timer_delete(2): 0 or -errno. */
int ktt_timer_delete(int id);
/* 1 if this process has a timer with this ID, 0 if not, or -errno. */
int ktt_timer_exists(int id);

/* prctl(PR_TIMER_CREATE_RESTORE_IDS, arg2, arg3, arg4, arg5): its return
 * value, or -errno. */
int ktt_restore_ids_prctl(unsigned long arg2, unsigned long arg3,
			  unsigned long arg4, unsigned long arg5);
/* GET: 0 or 1, or -errno (-EINVAL before Linux 6.15). */
int ktt_restore_ids_get(void);
/* ON (on != 0) or OFF: 0 or -errno. */
int ktt_restore_ids_set(int on);
/* Whether the kernel has the prctl (GET does not fail with EINVAL). */
bool ktt_have_restore_ids(void);
/*
 * Skip the calling test unless the kernel has the prctl; fail it if GET
 * fails with anything but EINVAL. Call from the test process only.
 */
void ktt_require_restore_ids(void);

/* ---- /proc ---- */

/*
 * Read a whole file into buf (NUL-terminated). Returns its length, or
 * -errno; -EFBIG if it does not fit.
 */
ssize_t ktt_read_file(const char *path, char *buf, size_t len);
/*
 * Read /proc/PID/FILE of every process into buf (cap bytes; processes gone
 * meanwhile and texts too big are passed over) and hand each to check.
 * Returns how many were read.
 */
size_t ktt_each_process_file(const char *file, char *buf, size_t cap,
			     void (*check)(const char *path, const char *text,
					   size_t len));
/* /proc/self/timers into buf; as ktt_read_file. */
ssize_t ktt_proc_timers(char *buf, size_t len);
/*
 * Copy text to out, replacing "pid.SELF"/"tid.SELF" for every "pid.N" and
 * "tid.N" where N is self, so that the timers of two processes compare.
 * Returns the length written, or -EFBIG if out is too small.
 */
ssize_t ktt_normalise_self(const char *text, pid_t self, char *out, size_t len);
/*
 * The IDs of the "ID: N" lines of a /proc/PID/timers text, in the order
 * they appear (newest first). Returns how many there are (also when more
 * than max, of which only max are stored).
 */
size_t ktt_parse_ids(const char *text, int *ids, size_t max);
/* "SigQ: cur/limit" of /proc/self/status: 0 or -errno. */
int ktt_sigq(unsigned long *ret_cur, unsigned long *ret_limit);

/* ---- children ---- */

typedef int (*ktt_child_fn)(void *arg);

/*
 * Memory shared with children forked later (MAP_SHARED, zeroed). Fails the
 * test if it cannot be had.
 */
void *ktt_shared_alloc(size_t size);
void ktt_shared_free(void *p, size_t size);

/*
 * Run fn(arg) in a freshly forked child and wait for it. The child's
 * stdout and stderr go through a pipe into out (NUL-terminated, cut at
 * len); it dies with the test process; it ends with _exit(fn's return
 * value). Returns the child's exit status (0..255), or minus the signal
 * that killed it, or -1000 if it could not be run.
 */
int ktt_run_child(ktt_child_fn fn, void *arg, char *out, size_t len);

/* In the test process: run fn(arg) in a child and assert that it ended
 * with status 0, showing what it printed otherwise. */
#define KTT_RUN_CHILD(fn, arg)                                                 \
	do {                                                                   \
		static char ktt_out_[KTT_OUT_MAX];                             \
		int ktt_st_ = ktt_run_child((fn), (arg), ktt_out_,             \
					    sizeof(ktt_out_));                 \
		cr_assert_eq(ktt_st_, 0, "child %s ended with %d: %s", #fn,    \
			     ktt_st_, ktt_out_);                               \
	} while (0)

/* In a child: print where and why, and end it with KTT_CHILD_FAILED. */
__attribute__((noreturn, format(printf, 4, 5))) void
ktt_child_fail(const char *file, int line, const char *cond, const char *fmt,
	       ...);

#define KTT_CHILD_ASSERT(cond, ...)                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			ktt_child_fail(__FILE__, __LINE__, #cond,              \
				       __VA_ARGS__);                           \
	} while (0)

/*
 * The path of the helper_exec program: $KEEPTIME_TEST_HELPER_EXEC if set
 * (tests/run.sh sets it), else helper_exec next to the running test
 * binary. Returns 0 or -errno.
 */
int ktt_helper_exec_path(char *buf, size_t len);

/*
 * The path of the program name built next to the test binaries: $env when
 * env names a variable that is set, else name in the directory of the
 * running test binary. Returns 0 or -errno.
 */
int ktt_test_program_path(const char *name, const char *env, char *buf,
			  size_t len);

/* Whether capability cap is in the calling process's effective set
 * (CapEff of /proc/self/status). */
bool ktt_have_cap(int cap);

#endif /* KT_TESTS_KT_TEST_H */
