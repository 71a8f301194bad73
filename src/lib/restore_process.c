/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kt_restore_process(): a whole process back from its image directory
 * (docs/process-image.md). The order matters:
 *
 *   1. the image is loaded and checked whole (every file, checksums), the
 *      PID must be free, every file the process used is opened and
 *      checked, the rlimits and the vdso layout are checked, and the
 *      restorer's arguments (timer plan included) are built: nothing
 *      exists yet, a failure leaves nothing behind;
 *   2. the restorer's area is mapped here, in a gap of the image's map;
 *   3. the new process is created with the dumped PID (clone3 set_tid)
 *      and inherits the area and the descriptors. Running our code, it
 *      puts the descriptors at their numbers, closes the rest, takes the
 *      cwd and umask, leaves our rseq area, says so through a pipe and
 *      waits;
 *   4. it is seized (inject.h) and the restorer runs in it (restorer.h):
 *      memory, vdso, mm layout, signals, timers, rseq, rlimits, then the
 *      persona and the credentials;
 *   5. release is told to put back the image's registers, extended state
 *      and signal mask instead of ours; the area is unmapped; the process
 *      is let go and runs on from where it was dumped.
 *
 * From step 3 on, a failure kills the new process: it never ran as the
 * restored process, and nothing else was changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inject.h"
#include "restore_process.h"
#include "snapshot.h"

#ifndef ERESTART_RESTARTBLOCK
#define ERESTART_RESTARTBLOCK 516 /* the kernel's, never seen by users */
#endif
#define RSEQ_SIG_X86 0x53053053

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the new process says about its set-up (step 3). */
enum child_step {
	STEP_OK = 0,
	STEP_PARENT,
	STEP_SESSION,
	STEP_FD,
	STEP_CWD,
	STEP_CLOSE,
	STEP_AREA,
	STEP_RSEQ,
};

struct child_status {
	int32_t err; /* 0 or -errno */
	int32_t step;
	int32_t index;
};

static const char *const step_names[] = {
	[STEP_PARENT] = "watching its parent (PR_SET_PDEATHSIG)",
	[STEP_SESSION] = "starting its session (setsid)",
	[STEP_FD] = "putting a descriptor in place (dup3)",
	[STEP_CWD] = "entering the working directory (fchdir)",
	[STEP_CLOSE] = "closing the other descriptors",
	[STEP_AREA] = "making the restorer executable (mprotect)",
	[STEP_RSEQ] = "leaving our rseq area",
};

/* The descriptors the new process keeps, ascending (computed here: the
 * child must not allocate). */
static int keep_list(struct kt_rp *rp, int **ret, size_t *ret_n)
{
	const struct kt_process_image *img = rp->img;
	size_t n = 0;
	int *keep = malloc((img->n_fds + rp->n_files + 3) * sizeof(int));

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_fds; i++)
		keep[n++] = img->fds[i].fd; /* ascending, below fd_base */
	/* The working ones, all >= fd_base: sorted by insertion. */
	int work[] = {rp->pages_fd, rp->exe_fd, rp->status[1]};
	size_t first = n;

	for (size_t i = 0; i < 3; i++)
		keep[n++] = work[i];
	for (size_t i = 0; i < rp->n_files; i++)
		keep[n++] = rp->files[i];
	for (size_t i = first + 1; i < n; i++)
		for (size_t k = i; k > first && keep[k - 1] > keep[k]; k--) {
			int t = keep[k];

			keep[k] = keep[k - 1];
			keep[k - 1] = t;
		}
	*ret = keep;
	*ret_n = n;
	return 0;
}

static int close_range_sys(unsigned lo, unsigned hi)
{
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
		(void)close((int)fd);
	return 0;
}

/* Leave the rseq area glibc registered for us: the memory it lies in is
 * about to go. The kernel wants the length it was registered with:
 * __rseq_size, or 32 (glibc 2.35 and later register 32 bytes and may
 * report fewer). */
static int leave_rseq(void)
{
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	unsigned lens[2] = {__rseq_size, 32};

	if (__rseq_size == 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if (syscall(SYS_rseq, area, lens[i], RSEQ_FLAG_UNREGISTER,
			    RSEQ_SIG_X86) == 0)
			return 0;
	return -errno;
}

/* Step 3, in the new process: raw system calls only, no allocation. */
__attribute__((noreturn)) static void child(struct kt_rp *rp, pid_t parent,
					    const int *keep, size_t n_keep)
{
	const struct kt_process_image *img = rp->img;
	struct child_status st = {0, STEP_OK, 0};
	unsigned next = 0;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) {
		st = (struct child_status){-ESRCH, STEP_PARENT, 0};
		goto out;
	}
	if (setsid() < 0) {
		st = (struct child_status){-errno, STEP_SESSION, 0};
		goto out;
	}
	for (size_t i = 0; i < img->n_fds; i++) {
		int cloexec = img->fds[i].flags & O_CLOEXEC ? O_CLOEXEC : 0;

		if (dup3(rp->fd_work[i], img->fds[i].fd, cloexec) < 0) {
			st = (struct child_status){-errno, STEP_FD,
						   img->fds[i].fd};
			goto out;
		}
	}
	if (fchdir(rp->cwd_fd) < 0) {
		st = (struct child_status){-errno, STEP_CWD, 0};
		goto out;
	}
	umask((mode_t)img->proc.umask);
	for (size_t i = 0; i <= n_keep; i++) {
		unsigned hi = i < n_keep ? (unsigned)keep[i] : ~0U;
		int r = 0;

		if (hi > next)
			r = close_range_sys(next, hi - 1);
		if (r < 0) {
			st = (struct child_status){r, STEP_CLOSE, (int)next};
			goto out;
		}
		next = hi + 1;
	}
	if (mprotect((void *)rp->area, rp->args_off, PROT_READ | PROT_EXEC) <
	    0) {
		st = (struct child_status){-errno, STEP_AREA, 0};
		goto out;
	}
	st.err = leave_rseq();
	if (st.err < 0)
		st.step = STEP_RSEQ;
out:
	/* The restorer closes the pipe: we may be seized right after the
	 * write, before any close of ours. */
	if (write(rp->status[1], &st, sizeof(st)) != sizeof(st) || st.err < 0)
		_exit(127);
	for (;;)
		pause(); /* until seized: the restorer takes over */
}

/* Steps 2 and 3: the process, set up and waiting. Returns its pid. */
static int spawn(struct kt_rp *rp, pid_t *ret_pid)
{
	pid_t want = rp->img->proc.pid, parent = getpid(), pid;
	struct clone_args ca = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&want,
		.set_tid_size = 1,
	};
	struct child_status st;
	size_t n_keep;
	ssize_t got;
	int *keep, r;

	r = keep_list(rp, &keep, &n_keep);
	if (r < 0)
		return KT_RP_FAIL(rp, r, "out of memory");
	r = kt_rp_map_area(rp);
	if (r < 0) {
		free(keep);
		return r;
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child(rp, parent, keep, n_keep);
	r = -errno;
	free(keep);
	(void)munmap((void *)rp->area, rp->area_len); /* ours: the child has
							 its copy */
	if (pid < 0) {
		if (r == -EEXIST)
			return KT_RP_FAIL(rp, r,
					  "PID %d is taken: another process "
					  "has it now",
					  (int)want);
		if (r == -EPERM)
			return KT_RP_FAIL(rp, r,
					  "creating process %d with its PID "
					  "(clone3 set_tid) needs "
					  "CAP_CHECKPOINT_RESTORE",
					  (int)want);
		if (r == -ENOSYS || r == -E2BIG)
			r = -EOPNOTSUPP;
		return KT_RP_FAIL(rp, r, "clone3 with set_tid %d: %s",
				  (int)want, strerror(-r));
	}
	*ret_pid = pid;
	(void)close(rp->status[1]);
	rp->status[1] = -1;
	do
		got = read(rp->status[0], &st, sizeof(st));
	while (got < 0 && errno == EINTR);
	if (got == sizeof(st) && st.err == 0)
		return 0;
	if (got != sizeof(st))
		st = (struct child_status){-ECHILD, STEP_OK, 0};
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	if (st.step == STEP_OK)
		return KT_RP_FAIL(rp, -ECHILD,
				  "the new process %d died while it was being "
				  "set up",
				  (int)pid);
	if (st.step == STEP_FD)
		return KT_RP_FAIL(rp, st.err, "new process %d: %s %d: %s",
				  (int)pid, step_names[st.step], st.index,
				  strerror(-st.err));
	return KT_RP_FAIL(
		rp, st.err, "new process %d: %s: %s", (int)pid,
		st.step > 0 && st.step <= STEP_RSEQ ? step_names[st.step] : "?",
		strerror(-st.err));
}

/* A system call interrupted by the dump that would restart through
 * restart_syscall(2) needs the kernel's restart block, which the new
 * process does not have: it returns EINTR instead. */
static void fix_restart(kt_regs_t *regs)
{
	if ((long)regs->orig_rax >= 0 &&
	    (long)regs->rax == -ERESTART_RESTARTBLOCK)
		regs->rax = (uint64_t)-EINTR;
}

/* One injected call whose failure, of either kind, is one error. */
static int call(struct kt_target *t, long nr, long a0, long a1)
{
	long args[6] = {a0, a1, 0, 0, 0, 0}, rv = 0;
	int r = kt_target_syscall(t, nr, args, &rv);

	return r < 0 ? r : (int)(rv < 0 ? rv : 0);
}

/* Steps 4 and 5. out receives the restorer's arguments as it left them. */
static int run(struct kt_rp *rp, struct kt_target *t,
	       struct ktc_restorer_args *out, struct ktc_restore_plan *plan)
{
	const struct kt_pimg_thread *th = &rp->img->threads[0];
	uint64_t args = rp->area + rp->args_off;
	kt_regs_t regs = th->regs;
	long ret = 0;
	int r;

	kt_target_set_sig_ign(t, rp->sig_ign);
	r = kt_target_call(t, rp->area, args, &ret);
	if (r < 0)
		return KT_RP_FAIL(rp, r,
				  "running the restorer in process %d: %s",
				  (int)rp->img->proc.pid,
				  r == -EFAULT ? "it crashed (the log says "
						 "where)"
					       : strerror(-r));
	r = kt_target_read(t, args, out, sizeof(*out));
	if (r == 0)
		r = kt_target_read(t, args + rp->plan_off, plan, sizeof(*plan));
	if (r < 0)
		return KT_RP_FAIL(rp, r, "reading the restorer's result: %s",
				  strerror(-r));
	if (out->result != 0 || ret != out->result)
		return kt_rp_explain(rp, out, plan);

	fix_restart(&regs);
	r = kt_target_adopt(t, &regs, th->xstate.data, th->xstate.len,
			    th->xstate_type, th->sigmask, rp->area,
			    rp->area + rp->area_len);
	if (r < 0)
		return KT_RP_FAIL(rp, r, "handing process %d its registers: %s",
				  (int)rp->img->proc.pid, strerror(-r));
	r = call(t, __NR_munmap, (long)rp->area, (long)rp->area_len);
	/* Ours (SIGKILL should we die) gives way to the image's: a change
	 * of credentials in the restorer may have cleared it. */
	if (r == 0)
		r = call(t, __NR_prctl, PR_SET_PDEATHSIG,
			 rp->img->has_creds ? (long)rp->img->creds.pdeathsig
					    : 0);
	if (r < 0)
		return KT_RP_FAIL(rp, r,
				  "removing the restorer from process %d: %s",
				  (int)rp->img->proc.pid, strerror(-r));
	return 0;
}

/* Step 1 checks that need no process: one thread, the PID free. */
static int check_image(struct kt_rp *rp)
{
	pid_t pid = rp->img->proc.pid;

	if (rp->img->n_threads != 1)
		return KT_RP_FAIL(rp, -EOPNOTSUPP,
				  "the image holds %zu threads: keeptime "
				  "restores single-threaded processes only",
				  rp->img->n_threads);
	if (kill(pid, 0) == 0 || errno == EPERM)
		return KT_RP_FAIL(rp, -EEXIST,
				  "PID %d is taken: another process has it "
				  "now",
				  (int)pid);
	return 0;
}

int kt_restore_process(const char *dir,
		       const struct kt_restore_process_opts *opts,
		       pid_t *ret_pid)
{
	struct kt_rp rp = {.dir = dir,
			   .pages_fd = -1,
			   .exe_fd = -1,
			   .cwd_fd = -1,
			   .status = {-1, -1}};
	struct kt_restore_process_report *report;
	struct ktc_restore_plan plan = {0};
	struct ktc_restorer_args out = {0};
	struct kt_restore_opts ropts;
	struct kt_target *target = NULL;
	uint64_t t0 = now_ns(), t_loaded = 0;
	pid_t pid = -1;
	char why[256];
	int err, rel;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !dir || !*dir || !ret_pid)
		return -EINVAL;
	ropts = (struct kt_restore_opts){
		.sz = sizeof(ropts),
		.ids = KT_OPT_GET(opts, ids, NULL),
		.flags = KT_OPT_GET(opts, flags, 0u),
		.err_buf = KT_OPT_GET(opts, err_buf, NULL),
		.err_len = KT_OPT_GET(opts, err_len, 0),
	};
	report = KT_OPT_GET(opts, report, NULL);
	rp.err_buf = ropts.err_buf;
	rp.err_len = ropts.err_len;
	err = kt_restore_call_init(&rp.rc, &ropts);
	if (err < 0)
		return err;
	rp.rc.lin.progress = NULL; /* no calls into us from the restorer */
	rp.rc.lin.progress_ctx = NULL;

	err = kt_process_image_load(dir, &rp.img, rp.err_buf, rp.err_len);
	if (err < 0)
		return err;
	err = check_image(&rp);
	if (!err)
		err = kt_rp_open_files(&rp);
	if (!err)
		err = kt_rp_build_args(&rp);
	if (err < 0)
		goto out;
	t_loaded = now_ns();

	err = spawn(&rp, &pid);
	if (err < 0)
		goto out;
	err = kt_target_seize(pid, &target, why, sizeof(why));
	if (err < 0) {
		err = KT_RP_FAIL(&rp, err, "holding the new process: %s", why);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		goto out;
	}
	err = run(&rp, target, &out, &plan);
	if (err < 0)
		(void)kill(pid, SIGKILL); /* release reaps it */
	rel = kt_target_release(target);
	if (err == 0 && rel < 0) {
		err = KT_RP_FAIL(&rp, rel, "letting process %d go: %s",
				 (int)pid, strerror(-rel));
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	if (err < 0)
		goto out;

	*ret_pid = pid;
	kt_log(KT_LOG_INFO,
	       "restore: process %d from %s: %zu mapping(s), %llu bytes of "
	       "memory, %zu timer(s), in %.3f ms",
	       (int)pid, dir, rp.img->n_vmas,
	       (unsigned long long)out.pages_bytes,
	       kt_snapshot_posix_timer_count(rp.img->timers) +
		       kt_snapshot_timerfd_count(rp.img->timers),
	       (double)(now_ns() - t0) / 1e6);
	if (report) {
		uint64_t t_end = now_ns();

		*report = (struct kt_restore_process_report){
			.pid = pid,
			.path = (uint32_t)rp.rc.path,
			.n_vmas = ((struct ktc_restorer_args *)rp.args)->n_vmas,
			.pages_bytes = out.pages_bytes,
			.n_timers =
				kt_snapshot_posix_timer_count(rp.img->timers) +
				kt_snapshot_timerfd_count(rp.img->timers),
			.load_ns = t_loaded - t0,
			.create_ns = out.t_start - t_loaded,
			.memory_ns = out.t_memory - out.t_start,
			.signals_ns = out.t_signals - out.t_memory,
			.timers_ns = out.t_timers - out.t_signals,
			.finish_ns = t_end - out.t_timers,
			.elapsed_ns = t_end - t0,
		};
	}
out:
	kt_rp_close_files(&rp);
	free(rp.args);
	kt_process_image_free(rp.img);
	return err;
}
