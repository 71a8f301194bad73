/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeptime: checkpoint and restore the timers of Linux processes exactly.
 *
 * This is the installed public API of libkeeptime. Every symbol is prefixed
 * kt_ (types, functions) or KT_ (macros, enum constants).
 *
 * Error convention, for every function that can fail: the return value is
 * >= 0 on success and a negative errno value (-EINVAL, -EBUSY, ...) on
 * failure. errno is not used to report errors. Output parameters are left
 * untouched on failure unless the function says otherwise. The library never
 * prints; it reports through return values, the optional report structures
 * below and the log callback installed with kt_set_log().
 *
 * Options structures start with their own size (field "sz") so that they can
 * grow without breaking callers built against an older header. Declare them
 * with KT_OPTS(), which zeroes the rest and sets sz:
 *
 *	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_LINEAR);
 *	err = kt_timers_create(specs, n, &opts);
 */
#ifndef KEEPTIME_KEEPTIME_H
#define KEEPTIME_KEEPTIME_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

/* clockid_t and struct sigevent are POSIX.1b, not ISO C. */
#if defined(__GLIBC__) && !defined(__USE_POSIX199309)
#error "<keeptime/keeptime.h> needs POSIX.1b declarations: define _POSIX_C_SOURCE to 199309L or later (or _DEFAULT_SOURCE) before the first #include"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define KT_VERSION_MAJOR 0
#define KT_VERSION_MINOR 1
#define KT_VERSION_PATCH 0

#if defined(__GNUC__)
#define KT_API	      __attribute__((visibility("default")))
#define KT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define KT_API
#define KT_MUST_CHECK
#endif

/* Declare and initialise an options structure of type "struct TYPE". */
#define KT_OPTS(TYPE, NAME, ...)                                               \
	struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/*
 * The prctl that makes timer_create(2) take the wanted ID from the timer_t
 * buffer (Linux >= 6.15). Defined here because C libraries built against
 * older kernel headers do not have it.
 */
#define KT_PR_TIMER_CREATE_RESTORE_IDS	   77
#define KT_PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define KT_PR_TIMER_CREATE_RESTORE_IDS_ON  1
#define KT_PR_TIMER_CREATE_RESTORE_IDS_GET 2

/*
 * The SIGEV_THREAD_ID target of a struct sigevent, as an lvalue: glibc
 * before 2.41 does not name the field sigev_notify_thread_id.
 */
#ifdef sigev_notify_thread_id
#define KT_SIGEV_TID(sevp) ((sevp)->sigev_notify_thread_id)
#else
#define KT_SIGEV_TID(sevp) ((sevp)->_sigev_un._tid)
#endif

/* The highest POSIX timer ID the kernel hands out; IDs are 0..KT_TIMER_ID_MAX.
 */
#define KT_TIMER_ID_MAX 2147483647

/* --------------------------------------------------------------------- */
/* Library information and logging                                        */
/* --------------------------------------------------------------------- */

/* The library's version as "MAJOR.MINOR.PATCH". Never fails. */
KT_API const char *kt_version(void);

enum kt_log_level {
	KT_LOG_DEBUG = 0,
	KT_LOG_INFO = 1,
	KT_LOG_WARN = 2,
	KT_LOG_ERROR = 3,
};

/*
 * Receives every message the library logs: one complete line without a
 * trailing newline. It may be called from any thread that calls into the
 * library, and must not call back into the library.
 */
typedef void (*kt_log_fn)(enum kt_log_level level, const char *msg, void *ctx);

/*
 * Install the log callback (NULL: discard messages, the default) and the
 * lowest level passed to it. Never fails. Not thread-safe with respect to
 * concurrent calls into the library: install it once, at start-up.
 */
KT_API void kt_set_log(kt_log_fn fn, enum kt_log_level min_level, void *ctx);

/* --------------------------------------------------------------------- */
/* Kernel feature probes                                                   */
/* --------------------------------------------------------------------- */

/*
 * Whether this kernel grants explicit POSIX timer IDs through
 * prctl(PR_TIMER_CREATE_RESTORE_IDS) (Linux >= 6.15). The answer comes from
 * prctl(..., GET), never from the kernel version, and is probed once per
 * process and cached (thread-safe).
 *
 * Returns 1 if supported, 0 if not (the prctl failed with EINVAL), or a
 * negative errno if the probe failed in an unexpected way (not cached).
 */
KT_API KT_MUST_CHECK int kt_explicit_ids_supported(void);

/*
 * The calling process's current PR_TIMER_CREATE_RESTORE_IDS flag.
 * Returns 0 (OFF) or 1 (ON); -EOPNOTSUPP if the kernel lacks the prctl;
 * another negative errno if the prctl failed otherwise.
 */
KT_API KT_MUST_CHECK int kt_restore_ids_flag(void);

/* --------------------------------------------------------------------- */
/* Creating POSIX timers at exact IDs                                      */
/* --------------------------------------------------------------------- */

/*
 * One POSIX timer to create: the ID it must have, its clock and its
 * sigevent. The sigevent goes to the kernel verbatim, with the kernel's
 * meaning of sigev_notify: SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD (which the
 * kernel treats like SIGEV_SIGNAL; glibc's thread emulation is not applied)
 * and SIGEV_THREAD_ID with the target in KT_SIGEV_TID(&sev) (a tid of the
 * calling process). Timers are created disarmed.
 */
struct kt_timer_spec {
	int id;		     /* 0..KT_TIMER_ID_MAX */
	clockid_t clock;     /* as for timer_create(2), CPU clocks included */
	struct sigevent sev; /* passed to the kernel as is */
};

/* How the exact IDs are obtained. */
enum kt_id_path {
	/*
	 * Explicit IDs when the kernel has them, the linear walk otherwise.
	 * The environment variable KEEPTIME_FORCE_LINEAR=1 turns AUTO into
	 * LINEAR, so that the fallback can be exercised on new kernels.
	 */
	KT_PATH_AUTO = 0,
	/* prctl(PR_TIMER_CREATE_RESTORE_IDS) and raw timer_create; fails with
	 * -EOPNOTSUPP on kernels without it. */
	KT_PATH_EXPLICIT = 1,
	/* Create and delete timers until the kernel's per-process counter
	 * reaches each wanted ID (works on Linux >= 3.10). */
	KT_PATH_LINEAR = 2,
};

/* Why a creation failed; KT_REASON_OK when it did not. */
enum kt_reason {
	KT_REASON_OK = 0,
	/* An ID outside 0..KT_TIMER_ID_MAX, or a NULL spec array. -EINVAL */
	KT_REASON_BAD_ID,
	/* The same ID appears twice in the set. -EINVAL */
	KT_REASON_DUPLICATE_ID,
	/* The wanted ID is held by a live timer of this process. -EBUSY */
	KT_REASON_ID_TAKEN,
	/* KT_PATH_EXPLICIT on a kernel without the prctl. -EOPNOTSUPP */
	KT_REASON_UNSUPPORTED,
	/* The kernel returned an ID other than the one asked for (explicit
	 * path) or other than the next one expected (linear path: the
	 * counter is not where it should be, e.g. another thread created a
	 * timer). -EPROTO */
	KT_REASON_ID_MISMATCH,
	/* Linear path: the kernel's counter is already past the wanted ID;
	 * reaching it would mean wrapping through KT_TIMER_ID_MAX. -ERANGE */
	KT_REASON_ID_PASSED,
	/* Linear path: the walk would exceed the step or time bound. -E2BIG */
	KT_REASON_BOUND,
	/* A system call failed; sys_call and the return value say which and
	 * how (EAGAIN: RLIMIT_SIGPENDING is exhausted). */
	KT_REASON_SYSCALL,
	/* The PR_TIMER_CREATE_RESTORE_IDS flag could not be put back as it
	 * was found. -EPROTO or the prctl's error. */
	KT_REASON_FLAG_RESTORE,
};

/* A short, static, English description of a reason. Never NULL. */
KT_API const char *kt_reason_str(enum kt_reason reason);

/*
 * What a call to kt_timers_create() did, for callers that want more than
 * the errno: which path it took, and on failure which timer, why, and how
 * far it got. Filled on success and on failure when opts->report is set.
 * The caller allocates it, so its size is part of the ABI: it never grows
 * (a later version adds a new structure instead).
 */
struct kt_create_report {
	/* the path taken (never AUTO) */
	enum kt_id_path path;
	/* KT_REASON_OK on success */
	enum kt_reason reason;
	/* index into the caller's array of the failing spec */
	size_t index;
	/* the wanted ID at failure, or -1 */
	int id;
	/* the ID the kernel returned at failure, or -1 */
	int got_id;
	/* linear path, ID mismatch: the ID that was due, or -1 */
	int expected_id;
	/* name of the failing system call, or NULL */
	const char *sys_call;
	/* its negative errno, or 0 */
	int sys_err;
	/* linear path: timer_create calls made */
	uint64_t steps_done;
	/* linear path: timer_create calls the walk needs, from the counter
	 * found by its first create to the highest wanted ID (an upper bound
	 * when live timers lie in the way: the kernel skips them) */
	uint64_t steps_needed;
	/* time spent in the call */
	uint64_t elapsed_ns;
	/* linear path: estimated time of the whole walk */
	uint64_t estimated_ns;
	/* 0, or the first error met while undoing */
	int rollback_err;
};

/*
 * Progress of a long linear walk: done and total are timer_create calls,
 * eta_ns the estimated time left. Called from the creating thread, at most
 * every 65536 steps; it must not create or delete POSIX timers.
 */
typedef void (*kt_progress_fn)(uint64_t done, uint64_t total, uint64_t eta_ns,
			       void *ctx);

/* The linear walk's step bound when kt_create_opts.max_steps is 0: about
 * two minutes of walking at 1 us a step. */
#define KT_LINEAR_DEFAULT_MAX_STEPS 100000000ULL
/* kt_create_opts.max_steps value that removes the step bound. */
#define KT_LINEAR_UNBOUNDED UINT64_MAX

struct kt_create_opts {
	size_t sz;	      /* sizeof(struct kt_create_opts) */
	enum kt_id_path path; /* default KT_PATH_AUTO */
	/* Linear path: refuse, before walking, a walk of more timer_create
	 * calls than this. 0 means KT_LINEAR_DEFAULT_MAX_STEPS. */
	uint64_t max_steps;
	/* Linear path: refuse a walk estimated to take longer than this
	 * (0: no time bound). The estimate comes from the first 1024 steps
	 * of the walk itself; the walk also stops if it overruns. */
	uint64_t max_ns;
	kt_progress_fn progress; /* optional */
	void *progress_ctx;
	struct kt_create_report *report; /* optional output */
};

/*
 * Create the POSIX timers of specs[0..n) in the calling process, each with
 * exactly its ID, all or nothing.
 *
 * The set is created in ascending ID order whatever the order of the
 * array; afterwards the kernel's next-ID counter is max(ID) + 1 on both
 * paths. Before anything is created the set is checked: IDs in range and
 * unique. On any failure every timer this call created is deleted and the
 * PR_TIMER_CREATE_RESTORE_IDS flag is put back as it was found (and checked
 * with GET), so the process's timers are exactly as before the call. The
 * linear path cannot undo the counter advance of its walk: no kernel
 * without the prctl lets anyone move it back.
 *
 * Explicit path: prctl ON, one raw timer_create(2) per timer with the
 * wanted ID in a 32-bit buffer (glibc's timer_create is never used: it
 * passes its own uninitialised buffer), a check of the returned ID, prctl
 * back as found.
 *
 * Linear path: first checks that no wanted ID is held by a live timer; then
 * for each wanted ID creates a timer with its clock and sigevent, keeps it
 * when the kernel returned the wanted ID and deletes it otherwise. Every
 * returned ID must be exactly the next one expected (IDs held by live
 * timers are skipped by the kernel and accounted for); the first surprise
 * stops the walk. The first create tells where the counter is and so how
 * many steps the walk needs; a walk over the bound is refused before it
 * starts.
 *
 * The caller must make sure that no other thread of the process creates
 * POSIX timers during the call (explicit mode is process-wide). Concurrent
 * calls into this function are serialised.
 *
 * opts may be NULL (all defaults).
 *
 * Returns 0 on success, or:
 *   -EINVAL      an ID out of range, a duplicate ID, specs NULL with n > 0,
 *                or invalid opts; nothing was created;
 *   -EBUSY       a wanted ID is held by a live timer;
 *   -EOPNOTSUPP  KT_PATH_EXPLICIT on a kernel without the prctl;
 *   -EPROTO      the kernel returned an unexpected ID, or the prctl flag
 *                could not be put back;
 *   -ERANGE      linear path: the counter is already past a wanted ID;
 *   -E2BIG       linear path: the walk exceeds max_steps or max_ns;
 *   -ENOMEM      out of memory;
 *   the negative errno of a failing system call (e.g. -EAGAIN when
 *   RLIMIT_SIGPENDING is exhausted, -EINVAL for an invalid clock or
 *   sigevent, -EOPNOTSUPP for an alarm clock without an RTC).
 * opts->report, when set, tells which timer and why.
 */
KT_API KT_MUST_CHECK int kt_timers_create(const struct kt_timer_spec *specs,
					  size_t n,
					  const struct kt_create_opts *opts);

/*
 * Create one POSIX timer with exactly the given ID: kt_timers_create() with
 * a set of one. A NULL sev means what it means to the kernel: SIGEV_SIGNAL
 * with SIGALRM and sival_int = id. Returns 0 on success, the errors of
 * kt_timers_create() otherwise.
 */
KT_API KT_MUST_CHECK int kt_timer_create_at(int id, clockid_t clock,
					    const struct sigevent *sev,
					    const struct kt_create_opts *opts);

/*
 * Write a one-line English explanation of a failed creation (no trailing
 * newline) into buf, truncated to len bytes including the NUL. Returns the
 * length the full message has (like snprintf), or -EINVAL for a NULL report.
 */
KT_API int kt_create_report_format(const struct kt_create_report *report,
				   char *buf, size_t len);

/* --------------------------------------------------------------------- */
/* The state model: a snapshot of a process's timers                      */
/* --------------------------------------------------------------------- */

/*
 * A snapshot holds everything the kernel lets a process read about its
 * timers. It is opaque; its records are read through the getters below.
 * Records are owned by the snapshot and may grow at their end in later
 * versions: read them through the returned pointers, never copy them into
 * arrays of your own.
 */
struct kt_snapshot;

/* A POSIX timer (timer_create(2)). */
struct kt_posix_timer {
	int id;
	/* The clock as the kernel holds it: CLOCK_REALTIME, MONOTONIC,
	 * BOOTTIME, TAI, the alarm clocks, or a CPU clock. The kernel rewrites
	 * CLOCK_PROCESS_CPUTIME_ID to -6 and CLOCK_THREAD_CPUTIME_ID to -2
	 * ("self"); clocks of other processes or threads encode their pid as
	 * in clock_getcpuclockid(3): (~pid << 3) | which [| 4 for a thread]. */
	clockid_t clock;
	/* sigev_notify as the kernel holds it: SIGEV_SIGNAL, SIGEV_NONE,
	 * SIGEV_THREAD (treated by the kernel like SIGEV_SIGNAL), or
	 * SIGEV_SIGNAL | SIGEV_THREAD_ID. glibc's SIGEV_THREAD timers reach
	 * the kernel as SIGEV_THREAD_ID aimed at a glibc helper thread. */
	int notify;
	pid_t notify_tid;	  /* SIGEV_THREAD_ID target, else 0 */
	int signo;		  /* kept even for SIGEV_NONE (any value) */
	uint64_t sigval;	  /* sigev_value, all 64 bits */
	struct timespec value;	  /* time to the next expiry; 0: disarmed */
	struct timespec interval; /* period; 0: one-shot */
	int overrun;		  /* timer_getoverrun(2) at capture */
};

/* An interval timer (setitimer(2)); the index is ITIMER_REAL, ITIMER_VIRTUAL
 * or ITIMER_PROF. */
struct kt_itimer {
	struct timeval value;
	struct timeval interval;
};

/* A timerfd (timerfd_create(2)). */
struct kt_timerfd {
	int fd; /* its descriptor number in the process */
	clockid_t clock;
	int fd_flags;	       /* TFD_NONBLOCK | TFD_CLOEXEC */
	int settime_flags;     /* TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET */
	struct timespec value; /* time to the next expiry (relative, also for
				  ABSTIME timers); 0: disarmed */
	struct timespec interval;
	uint64_t ticks; /* expirations not yet read */
};

/* Free a snapshot; NULL is accepted. */
KT_API void kt_snapshot_free(struct kt_snapshot *snap);

/* POSIX timers, sorted by ID. The getter returns NULL for i >= count. */
KT_API size_t kt_snapshot_posix_timer_count(const struct kt_snapshot *snap);
KT_API const struct kt_posix_timer *
kt_snapshot_posix_timer(const struct kt_snapshot *snap, size_t i);

/* The itimer ITIMER_REAL, ITIMER_VIRTUAL or ITIMER_PROF; NULL otherwise. */
KT_API const struct kt_itimer *
kt_snapshot_itimer(const struct kt_snapshot *snap, int which);

/* Timerfds, sorted by descriptor. The getter returns NULL for i >= count. */
KT_API size_t kt_snapshot_timerfd_count(const struct kt_snapshot *snap);
KT_API const struct kt_timerfd *
kt_snapshot_timerfd(const struct kt_snapshot *snap, size_t i);

/*
 * The PR_TIMER_CREATE_RESTORE_IDS flag at capture: 0 or 1, or -1 when the
 * kernel had no such prctl.
 */
KT_API int kt_snapshot_restore_ids_flag(const struct kt_snapshot *snap);

/*
 * The reading of CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME or
 * CLOCK_TAI taken at capture, so that a restore knows how long the process
 * was away. Returns 0, or -EINVAL for another clock.
 */
KT_API KT_MUST_CHECK int kt_snapshot_clock(const struct kt_snapshot *snap,
					   clockid_t clock,
					   struct timespec *ret_time);

/* --------------------------------------------------------------------- */
/* Image files                                                            */
/* --------------------------------------------------------------------- */

/*
 * Write a snapshot as an image (docs/image-format.md) to fd, at its current
 * position. Returns 0, -EINVAL for a NULL snapshot, or the negative errno
 * of write(2) (a partial image may then be on fd: write to a fresh file
 * and discard it on error).
 */
KT_API KT_MUST_CHECK int kt_snapshot_save(const struct kt_snapshot *snap,
					  int fd);

/*
 * Write a snapshot as an image file at path, created with mode 0600 (the
 * image reveals the process's timers and signal values). The image is
 * written to a temporary file in the same directory, flushed to disk and
 * renamed over path, so that path never holds a partial image: on failure
 * nothing is left behind. An existing file at path is replaced unless
 * excl is true (then -EEXIST).
 * Returns 0, -EINVAL, -EEXIST, or the negative errno of the failing call.
 */
KT_API KT_MUST_CHECK int kt_snapshot_save_file(const struct kt_snapshot *snap,
					       const char *path, int excl);

struct kt_load_opts {
	size_t sz;     /* sizeof(struct kt_load_opts) */
	char *err_buf; /* optional: receives a one-line reason on failure */
	size_t err_len;
};

/*
 * Read an image from fd (to its end) and validate every field before
 * building the snapshot. Returns 0 and *ret_snap, or:
 *   -EBADMSG   not a keeptime image, or corrupt, truncated, hostile: the
 *              reason in opts->err_buf names the byte offset and the field;
 *   -EPROTONOSUPPORT  an image of a major version this library cannot read;
 *   -EFBIG     larger than KT_IMAGE_MAX_SIZE;
 *   -ENOMEM, or the negative errno of read(2).
 * *ret_snap is untouched on failure.
 */
KT_API KT_MUST_CHECK int kt_snapshot_load(int fd, struct kt_snapshot **ret_snap,
					  const struct kt_load_opts *opts);

/* The largest image kt_snapshot_load() accepts. */
#define KT_IMAGE_MAX_SIZE (256ULL << 20)

/* --------------------------------------------------------------------- */
/* In-process capture and restore                                         */
/* --------------------------------------------------------------------- */

struct kt_capture_opts {
	size_t sz;     /* sizeof(struct kt_capture_opts) */
	char *err_buf; /* optional: receives a one-line reason on failure */
	size_t err_len;
};

/*
 * Capture the calling process's timers: every POSIX timer listed in
 * /proc/self/timers (read with a strict parser) with timer_gettime(2) and
 * timer_getoverrun(2), the three itimers, every timerfd (found through
 * /proc/self/fd, with timerfd_gettime(2), which also brings the fdinfo's
 * tick count up to date, then /proc/self/fdinfo), the
 * PR_TIMER_CREATE_RESTORE_IDS flag and the clock readings.
 *
 * The caller keeps other threads from creating, deleting or arming timers
 * meanwhile. Reading timers has one side effect the process can see:
 * timer_gettime and timerfd_gettime bring expired periodic timers up to
 * date, as the next read of them would.
 *
 * Returns 0 and *ret_snap (free it with kt_snapshot_free()), or:
 *   -ENOENT   /proc/self/timers does not exist (kernel without
 *             CONFIG_CHECKPOINT_RESTORE or CONFIG_POSIX_TIMERS, or no /proc);
 *   -EBADMSG  /proc text keeptime does not understand (the reason quotes it);
 *   -EAGAIN   a timer or timerfd vanished during the capture;
 *   -EXDEV    a SIGEV_THREAD_ID target cannot be translated because /proc
 *             belongs to another pid namespace;
 *   -ENOMEM, or the negative errno of a failing system call.
 */
KT_API KT_MUST_CHECK int kt_capture_self(struct kt_snapshot **ret_snap,
					 const struct kt_capture_opts *opts);

/*
 * Capture the timers of another process, the same snapshot as
 * kt_capture_self() gives for itself. Every thread of pid is stopped with
 * ptrace for the whole capture and let go as it was (registers, signal
 * mask, pending signals, memory map and contents); a process that was
 * stopped stays stopped. What /proc shows is read from outside; the rest
 * by a small freestanding payload keeptime runs inside the process in one
 * round trip. SIGEV_THREAD_ID targets are recorded as the process sees
 * them (its pid namespace).
 *
 * Needs the right to ptrace pid. Returns 0 and *ret_snap, or:
 *   -ESRCH    no such process, a zombie, or it exited during the capture;
 *   -EPERM    not allowed to trace it, or a kernel thread (the reason says);
 *   -EBUSY    another tracer is attached (named in the reason);
 *   -EINVAL   pid is keeptime's own process (use kt_capture_self), or
 *             invalid arguments;
 *   the errors of kt_capture_self().
 */
KT_API KT_MUST_CHECK int kt_capture_pid(pid_t pid,
					struct kt_snapshot **ret_snap,
					const struct kt_capture_opts *opts);

enum kt_restore_flags {
	/*
	 * Keep absolute deadlines of CLOCK_REALTIME and CLOCK_TAI timers
	 * (POSIX timers, timerfds, and their alarm variants): the time that
	 * passed on that clock since the capture is taken off their remaining
	 * time. A deadline already past fires at once; for a periodic timer,
	 * the next period still in the future is kept and the missed
	 * expirations are lost (logged). Without this flag every timer
	 * continues where it left off: its remaining time is what it was at
	 * capture.
	 */
	KT_RESTORE_KEEP_ABSOLUTE = 1 << 0,
};

struct kt_restore_opts {
	size_t sz;			  /* sizeof(struct kt_restore_opts) */
	const struct kt_create_opts *ids; /* exact-ID path and bounds; NULL:
					     defaults (its report is filled) */
	unsigned flags;			  /* enum kt_restore_flags */
	char *err_buf;			  /* optional one-line reason */
	size_t err_len;
};

/*
 * Recreate a snapshot's timers in the calling process, all or nothing:
 * POSIX timers at their exact IDs (kt_timers_create()), each timerfd at its
 * descriptor number with its flags, and then, as late as possible, every
 * timer armed with its remaining time and interval (also when disarmed, so
 * the interval the kernel reports is kept), each timerfd's unread
 * expirations set with TFD_IOC_SET_TICKS, the itimers set, and the
 * PR_TIMER_CREATE_RESTORE_IDS flag put as captured. Every result is checked.
 * On failure every timer and descriptor it created is removed and the
 * itimers and the flag are put back as found.
 *
 * What cannot be restored exactly (docs/exactness.md), each logged:
 * overrun counts, and a flag of 1 on a kernel without the prctl.
 *
 * The caller keeps other threads from creating timers or opening
 * descriptors meanwhile.
 *
 * Returns 0, or:
 *   -EBUSY    a timer ID or a timerfd's descriptor number is in use;
 *   -ESRCH    a SIGEV_THREAD_ID target is not a thread of this process;
 *   -EINVAL   NULL snapshot or invalid opts;
 *   the errors of kt_timers_create(), and the negative errno of a failing
 *   system call (the reason names the timer and the call).
 */
KT_API KT_MUST_CHECK int kt_restore_self(const struct kt_snapshot *snap,
					 const struct kt_restore_opts *opts);

/*
 * Restore a snapshot into another process, held stopped with ptrace for
 * the time it takes (the step of a restore tool that holds the process it
 * rebuilt). The same plan as kt_restore_self() is carried out inside pid
 * by keeptime's freestanding payload, all or nothing, in one round trip;
 * the process is let go as it was, its new timers excepted. Timer IDs are
 * obtained on the path opts->ids asks for (the probe is made here, so the
 * target must run on this kernel: it does); a linear walk needs a process
 * whose ID counter is below the wanted IDs, such as one fresh from fork.
 * SIGEV_THREAD_ID targets must be threads of pid (same pid namespace).
 *
 * Returns 0, or the errors of kt_restore_self() and kt_capture_pid()
 * (-EBUSY also when an ID or a descriptor number is taken in pid).
 */
KT_API KT_MUST_CHECK int kt_restore_pid(pid_t pid,
					const struct kt_snapshot *snap,
					const struct kt_restore_opts *opts);

/* --------------------------------------------------------------------- */
/* Dumping a whole process                                                */
/* --------------------------------------------------------------------- */

enum kt_dump_flags {
	/* Write into a directory that is not empty: the image's own files
	 * are replaced, other files are left alone. */
	KT_DUMP_FORCE = 1 << 0,
	/* Kill the process once the image is written, before it runs on
	 * (it is never let go in between, so the image is its last state:
	 * what a checkpoint before a migration or a restart wants). On
	 * failure it is let go, running, as always. */
	KT_DUMP_KILL = 1 << 1,
};

/*
 * What a call to kt_dump_process() did, filled on success when
 * opts->report is set. The caller allocates it, so its size is part of
 * the ABI: it never grows (a later version adds a new structure instead).
 */
struct kt_dump_report {
	uint64_t n_vmas;      /* mappings recorded */
	uint64_t pages_bytes; /* memory contents written (pages.img) */
	uint64_t n_fds;	      /* descriptors recorded (timerfds apart) */
	uint64_t n_timers;    /* POSIX timers and timerfds (timers.img) */
	uint64_t stopped_ns;  /* how long the process was held stopped */
	uint64_t elapsed_ns;  /* the whole call, files written */
};

struct kt_dump_opts {
	size_t sz;	/* sizeof(struct kt_dump_opts) */
	unsigned flags; /* enum kt_dump_flags */
	char *err_buf;	/* optional: receives a one-line reason on failure */
	size_t err_len;
	struct kt_dump_report *report; /* optional output */
};

/*
 * Dump the whole state of process pid into the image directory dir
 * (docs/process-image.md): its registers (general and extended state),
 * memory map and contents, brk and mm layout, vdso and vvar positions,
 * signal handlers, blocked mask, pending signals, alternate signal stack,
 * rseq registration, cwd, umask, rlimits, comm, credentials (uids, gids,
 * groups, capabilities, securebits, no_new_privs, dumpable), persona
 * (personality, timer slack, THP-disable, child subreaper, parent-death
 * signal), file descriptors and all its timers (timers.img, the image of
 * kt_snapshot_save()).
 *
 * The process is stopped with ptrace for the time it takes and always
 * left running as it was found (a stopped process stays stopped); this
 * version has no option to keep it stopped. Memory is read before any
 * code runs in the process. What needs the process itself (signal
 * handlers, the alternate stack, brk, timers) is read by system calls
 * injected into it, which changes nothing it can see.
 *
 * dir is created with mode 0700 if it does not exist. Each file is created
 * with mode 0600 and written whole in a temporary directory inside dir,
 * then moved into place, process.img last; process.img holds the size and
 * CRC-32C of the other files, so a directory mixing files of two dumps is
 * refused by the loader. On failure nothing is left behind (and dir is
 * removed if this call created it).
 *
 * Supported: one thread, in keeptime's pid namespace; private and shared
 * anonymous memory; mappings of regular files reachable by their path;
 * descriptors of regular files, directories and character devices other
 * than terminals. The rest is refused with a reason that names it.
 *
 * Needs the right to ptrace pid, and CAP_CHECKPOINT_RESTORE (or
 * CAP_SYS_ADMIN) to read /proc/PID/map_files. opts may be NULL.
 *
 * Returns 0, or:
 *   -EEXIST     dir is not empty and KT_DUMP_FORCE is not set;
 *   -ENOTDIR    dir exists and is not a directory;
 *   -EOPNOTSUPP a process with more than one thread, or a descriptor
 *               (pipe, socket, terminal, eventfd...) or mapping (deleted
 *               file, memfd, SysV shared memory, device) this version
 *               does not dump: the reason names the descriptor or the
 *               mapping and its kind; a process under seccomp (strict
 *               or filter: its filters cannot be restored);
 *   -ESRCH, -EPERM, -EBUSY, -EINVAL  as kt_capture_pid();
 *   -EBADMSG    /proc text keeptime does not understand (quoted);
 *   -EAGAIN     the process changed while it was read (a timer vanished);
 *   -ENOMEM, or the negative errno of a failing system call (e.g.
 *   -ENOSPC while writing the files).
 */
KT_API KT_MUST_CHECK int kt_dump_process(pid_t pid, const char *dir,
					 const struct kt_dump_opts *opts);

/*
 * What a call to kt_restore_process() did, filled on success when
 * opts->report is set. Its size is part of the ABI: it never grows.
 * The times are wall-clock (CLOCK_MONOTONIC) intervals of the call, in
 * order; they add up to about elapsed_ns.
 */
struct kt_restore_process_report {
	pid_t pid;	      /* the restored process */
	uint32_t path;	      /* enum kt_id_path the timers took */
	uint64_t n_vmas;      /* mappings made */
	uint64_t pages_bytes; /* memory filled from pages.img */
	uint64_t n_timers;    /* POSIX timers and timerfds */
	uint64_t load_ns;     /* reading and checking the image */
	uint64_t create_ns;   /* the new process, its descriptors and
				 attributes, until it is held */
	uint64_t memory_ns;   /* restorer: old memory unmapped, the
				 image's mapped and filled, vdso, mm */
	uint64_t signals_ns;  /* restorer: handlers, alternate stack */
	uint64_t timers_ns;   /* restorer: every timer, exact IDs */
	uint64_t finish_ns;   /* restorer's rest (pending signals, rseq,
				 rlimits), registers, letting it go */
	uint64_t elapsed_ns;  /* the whole call */
};

struct kt_restore_process_opts {
	size_t sz; /* sizeof(struct kt_restore_process_opts) */
	const struct kt_create_opts *ids; /* exact-ID path and bounds of the
					     timers; NULL: defaults (its
					     progress callback is not used) */
	unsigned flags;			  /* enum kt_restore_flags */
	char *err_buf;			  /* optional one-line reason */
	size_t err_len;
	struct kt_restore_process_report *report; /* optional output */
};

/*
 * Restore the process dumped into the image directory dir by
 * kt_dump_process(): a new process with the dumped PID, its descriptors
 * (each at its number, with its flags and position), cwd, umask,
 * rlimits and comm, its memory map and contents, brk and the mm layout
 * (auxv, exe), vdso, signal handlers, alternate stack, pending signals,
 * rseq registration, every timer at its exact ID (kt_restore_self()'s
 * rules, through the path opts->ids asks for), its persona and, last, its
 * credentials (not the caller's: a process of uid 1000 restored by root
 * is uid 1000 again, with its own capabilities), and its registers,
 * extended state and blocked signals. It then runs on from where it was
 * dumped, a child of the caller (who reaps it) in a session of its own.
 *
 * Everything that can be checked is checked before the process is
 * created: the whole image (every file, checksums), that the PID is
 * free, that every file the process had open or mapped is still there and
 * (for mappings) unchanged, that the kernel's vdso has the dumped layout,
 * that no rlimit would have to be raised, that the image's capabilities
 * are ours or fewer (we cannot grant what we do not have). The memory is
 * rebuilt by a freestanding restorer placed in a gap of the dumped map; a
 * failure from there on kills the new process: nothing is left behind either
 * way.
 *
 * A system call the process was stopped in is restarted as the kernel's
 * signal code would (one interrupted by a handler returns EINTR; sleeps
 * that restart through restart_syscall(2) return EINTR too).
 *
 * Needs CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN) for the PID and the
 * exe, and the right to ptrace the new process. opts may be NULL.
 *
 * Returns 0 and *ret_pid, or:
 *   -EEXIST      the PID is taken by another process;
 *   -ENOENT      an image file, or a file the process used, is missing;
 *   -EBADMSG     a damaged image, or files of two dumps;
 *   -ESTALE      a file the process mapped has changed since the dump;
 *   -EOPNOTSUPP  the image needs what this kernel or version cannot do
 *                (another vdso layout, a hard rlimit above ours);
 *   -EPERM       not allowed (CAP_CHECKPOINT_RESTORE missing), or the
 *                image's capabilities are not a subset of ours, or its
 *                ids differ from ours without CAP_SETUID/CAP_SETGID;
 *   -EINVAL      invalid arguments;
 *   the errors of kt_restore_self() for the timers, or the negative
 *   errno of a failing system call; err_buf says which step and why.
 */
KT_API KT_MUST_CHECK int
kt_restore_process(const char *dir, const struct kt_restore_process_opts *opts,
		   pid_t *ret_pid);

#ifdef __cplusplus
}
#endif

#endif /* KEEPTIME_KEEPTIME_H */
