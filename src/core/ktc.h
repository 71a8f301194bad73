/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freestanding core of keeptime: the exact-ID POSIX timer engine.
 *
 * Code under src/core/ uses no libc, no errno and no allocation: only
 * compiler-provided headers, kernel uapi headers and raw system calls that
 * return -errno. It is built with its own flags (see the Makefile) and the
 * build fails if its objects reference any undefined symbol, so the same
 * code can run inside a restorer blob as well as in libkeeptime.
 *
 * Every function returns >= 0 on success and -errno on failure.
 */
#ifndef KT_CORE_KTC_H
#define KT_CORE_KTC_H

#include <stddef.h>
#include <stdint.h>

/* Kernel ABI: struct sigevent as the kernel reads it (64 bytes). */
struct ktc_sigevent {
	uint64_t value; /* sigev_value (sival_ptr / sival_int) */
	int32_t signo;	/* sigev_signo */
	int32_t notify; /* sigev_notify: SIGEV_SIGNAL 0, NONE 1, THREAD 2,
			   THREAD_ID 4 */
	int32_t tid;	/* sigev_notify_thread_id for SIGEV_THREAD_ID */
	int32_t pad[11];
};
_Static_assert(sizeof(struct ktc_sigevent) == 64,
	       "kernel sigevent is 64 bytes");

/* One timer to create: the wanted ID, the clock and the sigevent. */
struct ktc_timer_req {
	int32_t id;
	int32_t clock;
	struct ktc_sigevent sev;
};

/* Values equal to enum kt_reason in <keeptime/keeptime.h> (checked there). */
enum ktc_reason {
	KTC_REASON_OK = 0,
	KTC_REASON_BAD_ID,
	KTC_REASON_DUPLICATE_ID,
	KTC_REASON_ID_TAKEN,
	KTC_REASON_UNSUPPORTED,
	KTC_REASON_ID_MISMATCH,
	KTC_REASON_ID_PASSED,
	KTC_REASON_BOUND,
	KTC_REASON_SYSCALL,
	KTC_REASON_FLAG_RESTORE,
	/* Core only: the set is not in ascending order (callers sort it). */
	KTC_REASON_UNSORTED = 100,
};

/* System calls a report can name (no pointers: a report may come back
 * from a parasite in another process). */
enum ktc_sys {
	KTC_SYS_NONE = 0,
	KTC_SYS_TIMER_CREATE,
	KTC_SYS_TIMER_DELETE,
	KTC_SYS_TIMER_GETTIME,
	KTC_SYS_PRCTL,
};

/* What a creation did; see struct kt_create_report for the meaning. */
struct ktc_report {
	int reason;
	size_t index;	     /* index into the request array */
	int32_t id;	     /* wanted ID at failure, or -1 */
	int32_t got_id;	     /* ID the kernel returned at failure, or -1 */
	int32_t expected_id; /* linear path: the ID due next, or -1 */
	int32_t sys_call;    /* failing system call: enum ktc_sys, or 0 */
	int sys_err;	     /* its -errno, or 0 */
	uint64_t steps_done;
	uint64_t steps_needed;
	uint64_t estimated_ns;
	int rollback_err;
};

typedef void (*ktc_progress_fn)(uint64_t done, uint64_t total, uint64_t eta_ns,
				void *ctx);

struct ktc_linear_opts {
	uint64_t max_steps; /* refuse walks of more timer_create calls */
	uint64_t max_ns;    /* 0: no time bound */
	ktc_progress_fn progress;
	void *progress_ctx;
};

/* Steps after which the linear walk estimates its total time. */
#define KTC_LINEAR_CALIBRATION_STEPS 1024u
/* Steps between progress reports and checks of the time bound. */
#define KTC_LINEAR_PROGRESS_STEPS 65536u

/* prctl(PR_TIMER_CREATE_RESTORE_IDS, GET): 0 or 1, -EINVAL before 6.15. */
int ktc_restore_ids_get(void);
/* prctl(PR_TIMER_CREATE_RESTORE_IDS, on ? ON : OFF). */
int ktc_restore_ids_set(int on);

/*
 * Raw timer_create(2). *id is the buffer the kernel reads (explicit mode)
 * and writes (always): 32 bits, as the kernel's timer_t is an int.
 */
int ktc_timer_create(int32_t clock, const struct ktc_sigevent *sev,
		     int32_t *id);
int ktc_timer_delete(int32_t id);
/* 1 if a timer with this ID exists in the calling process, 0 if not. */
int ktc_timer_exists(int32_t id);
/* CLOCK_MONOTONIC in nanoseconds (0 if the clock cannot be read). */
uint64_t ktc_monotonic_ns(void);

/* Raw reads of timer state (layouts in parasite.h). */
struct ktc_timespec;
struct ktc_itimerspec;
struct ktc_itimerval;
int ktc_clock_gettime(int32_t clock, struct ktc_timespec *ts);
int ktc_timer_gettime(int32_t id, struct ktc_itimerspec *its);
int ktc_timer_getoverrun(int32_t id);
int ktc_getitimer(int which, struct ktc_itimerval *itv);
int ktc_timerfd_gettime(int fd, struct ktc_itimerspec *its);
int ktc_timer_settime(int32_t id, const struct ktc_itimerspec *its);
int ktc_setitimer(int which, const struct ktc_itimerval *itv);
int ktc_timerfd_create(int32_t clock, int flags);
int ktc_timerfd_settime(int fd, int flags, const struct ktc_itimerspec *its);
int ktc_timerfd_set_ticks(int fd, const uint64_t *ticks);
int ktc_dup3(int oldfd, int newfd, int flags);
int ktc_close(int fd);
/* fcntl(fd, F_GETFD): >= 0 if fd is open, -EBADF if not. */
int ktc_fd_flags(int fd);

/*
 * Check a request set: every ID in 0..INT_MAX, strictly ascending (which
 * also rules out duplicates). Creates nothing.
 */
int ktc_check_set(const struct ktc_timer_req *reqs, size_t n,
		  struct ktc_report *rep);

/*
 * Create reqs[0..n) (checked with ktc_check_set) at their exact IDs through
 * PR_TIMER_CREATE_RESTORE_IDS. All or nothing: on failure every timer
 * created is deleted and the flag is put back as found. Returns 0.
 */
int ktc_create_explicit(const struct ktc_timer_req *reqs, size_t n,
			struct ktc_report *rep);

/*
 * Create reqs[0..n) at their exact IDs by the create/delete walk.
 * All or nothing, like ktc_create_explicit (the counter advance excepted).
 */
int ktc_create_linear(const struct ktc_timer_req *reqs, size_t n,
		      const struct ktc_linear_opts *opts,
		      struct ktc_report *rep);

/*
 * Memory, signals and attributes of the calling process: what the
 * restorer (restorer.h) needs. Raw calls: >= 0 or -errno; ktc_mmap returns
 * the address or -errno.
 */
long ktc_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
	      uint64_t off);
int ktc_munmap(uint64_t addr, uint64_t len);
int ktc_mprotect(uint64_t addr, uint64_t len, int prot);
int ktc_madvise(uint64_t addr, uint64_t len, int advice);
long ktc_pread(int fd, void *buf, uint64_t len, uint64_t off);
int ktc_arch_prctl(int code, uint64_t addr);
int ktc_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
/* The kernel's struct sigaction (handler, flags, restorer, 8-byte mask). */
int ktc_rt_sigaction(int sig, const void *act, void *old);
int ktc_sigaltstack(const void *ss, void *old);
int ktc_rt_sigqueueinfo(int pid, int sig, const void *info);
int ktc_rt_tgsigqueueinfo(int pid, int tid, int sig, const void *info);
int ktc_rseq(uint64_t area, uint32_t len, int flags, uint32_t sig);
int ktc_prlimit(int pid, int resource, const void *new_limit, void *old_limit);

/* Credentials and persona of the calling process (the restorer's last
 * steps). setfsuid/setfsgid return the previous id, never an error. */
int ktc_setgroups(uint32_t n, const uint32_t *groups);
int ktc_setresuid(uint32_t r, uint32_t e, uint32_t s);
int ktc_setresgid(uint32_t r, uint32_t e, uint32_t s);
int ktc_setfsuid(uint32_t fsuid);
int ktc_setfsgid(uint32_t fsgid);
/* capset(2), version 3: hdr {version, pid}, data[2] {eff, prm, inh}. */
int ktc_capset(const void *hdr, const void *data);
/* personality(2): the previous persona, or -errno. */
long ktc_personality(uint32_t persona);

#endif /* KT_CORE_KTC_H */
