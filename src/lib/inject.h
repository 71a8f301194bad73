/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Working inside another process through ptrace: seize and stop every
 * thread, run system calls and code in the target's context, read and
 * write its memory, and put everything back before letting it go.
 *
 * A target is a guest: whatever happens (success, any error, the target
 * exiting under us), kt_target_release() leaves it running as it was, with
 * the registers (general and extended state), signal mask, pending signals,
 * memory map and code bytes it had, and never stopped, killed or traced by
 * us. (A target that was in a group-stop before stays in it.)
 *
 * "The injection failed" (a negative return of these functions) is kept
 * apart from "the injected system call returned an error" (a negative
 * value in *ret_value with a return of 0).
 */
#ifndef KT_LIB_INJECT_H
#define KT_LIB_INJECT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../arch/x86_64/inject_regs.h"
#include "internal.h"

struct kt_target;

/*
 * Seize and stop every thread of process pid (threads created meanwhile
 * included). Refuses, with a one-line reason in err: a pid that does not
 * exist (-ESRCH), ourselves (-EINVAL), a zombie (-ESRCH), a kernel thread
 * (-EPERM), a process already traced by another tracer (-EBUSY, naming the
 * tracer), one we may not trace (-EPERM, saying why: ptrace_scope, uid,
 * dumpable). Returns 0 and *ret_target, or the negative errno.
 */
KT_HIDDEN int kt_target_seize(pid_t pid, struct kt_target **ret_target,
			      char *err, size_t err_len);

/*
 * Put everything back and detach from every thread; frees target (NULL is
 * accepted). Returns 0, or the first error met while putting things back
 * (the work goes on past it: every thread is detached in any case).
 * A target killed while seized is reaped as its tracer must; if the caller
 * is also its parent, that consumes its exit status (waitpid then fails
 * with ECHILD). The page that held the trampoline stays a private copy of
 * the code (4 KiB more Private_Dirty in smaps), its bytes as they were.
 */
KT_HIDDEN int kt_target_release(struct kt_target *target);

KT_HIDDEN pid_t kt_target_pid(const struct kt_target *target);

/* The threads, stopped, in no particular order (tids as seen from our pid
 * namespace). */
KT_HIDDEN size_t kt_target_threads(const struct kt_target *target,
				   const pid_t **ret_tids);

/*
 * What seize found, for a dump: kept by the target until release, as it
 * was before any code ran (the registers a run changes are its own copy).
 */

/* The general registers of thread tid at seize. Returns 0, or -ESRCH if
 * tid is not a live thread of the target. */
KT_HIDDEN int kt_target_regs(const struct kt_target *target, pid_t tid,
			     kt_regs_t *ret_regs);

/*
 * The thread that runs injected code (the leader if it lives), whose
 * signal mask and extended state seize saved.
 */
KT_HIDDEN pid_t kt_target_run_tid(const struct kt_target *target);

/* The run thread's blocked signals at seize (PTRACE_GETSIGMASK): bit n-1
 * for signal n. */
KT_HIDDEN uint64_t kt_target_sigmask(const struct kt_target *target);

/* SigIgn of /proc/PID/status at seize: bit n-1 for signal n. */
KT_HIDDEN uint64_t kt_target_sig_ign(const struct kt_target *target);

/*
 * The run thread's extended state at seize (FPU, SSE, AVX, ...): its
 * length, with the bytes (owned by the target) in *ret_data and the regset
 * in *ret_type: NT_X86_XSTATE (the XSAVE layout), or NT_PRFPREG (the
 * 512-byte FXSAVE area) on CPUs without XSAVE.
 */
KT_HIDDEN size_t kt_target_xstate(const struct kt_target *target,
				  const void **ret_data, unsigned *ret_type);

/*
 * The signal thread tid was stopped delivering when it was seized: it is
 * out of the pending queues, held until release delivers it. Returns 1
 * with *ret_si, or 0 if there is none.
 */
KT_HIDDEN int kt_target_held_signal(const struct kt_target *target, pid_t tid,
				    siginfo_t *ret_si);

/*
 * Run one system call in the target's context (in its main thread).
 * Returns 0 with the call's raw result in *ret_value (>= 0, or -errno), or
 * a negative errno if the injection itself failed (-ESRCH: the target
 * died).
 */
KT_HIDDEN int kt_target_syscall(struct kt_target *target, long nr,
				const long args[6], long *ret_value);

/*
 * Scratch memory in the target, readable, writable and executable, mapped
 * by an injected mmap on first use (at least size bytes) and unmapped by
 * kt_target_release(). Returns 0 and its address in the target.
 */
KT_HIDDEN int kt_target_scratch(struct kt_target *target, size_t size,
				uint64_t *ret_addr);

/* Copy to and from the target's memory (any mapping, whatever its
 * protection). Returns 0 or a negative errno. */
KT_HIDDEN int kt_target_write(struct kt_target *target, uint64_t addr,
			      const void *buf, size_t len);
KT_HIDDEN int kt_target_read(struct kt_target *target, uint64_t addr, void *buf,
			     size_t len);

/*
 * Run code already placed in the target: call entry(arg) in the main
 * thread, on the target's own stack below its red zone, until the code
 * executes int3 (entry must end so). All signals stay blocked meanwhile.
 * Returns 0 with the value of rax at the trap in *ret_value, or a negative
 * errno if the run failed (-ESRCH: the target died; -EFAULT: the code
 * crashed, with the signal named in the log).
 * "All signals" means all but the synchronous ones (SIGTRAP, SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE, SIGSYS): the kernel forces those on a fault, and
 * forcing a blocked signal resets its handler to SIG_DFL. Another thread's
 * or process's signal that stops the thread meanwhile is held and queued
 * again at release.
 */
KT_HIDDEN int kt_target_call(struct kt_target *target, uint64_t entry,
			     uint64_t arg, long *ret_value);

/*
 * For a whole-process restore (restore_process.c), whose restorer ran as
 * code in the new process and replaced its memory.
 *
 * kt_target_set_sig_ign(): the signals to count as ignored from now on
 * (the process's handlers are being replaced): those the kernel resets
 * to SIG_DFL by forcing them are made ignored again at release.
 *
 * kt_target_adopt(): make release put back the given state rather than
 * what seize found: the run thread's registers, its extended state (a
 * regset of type NT_X86_XSTATE or NT_PRFPREG, len bytes, copied) and its
 * signal mask. The trampoline moves into the first executable mapping of
 * the process outside [skip_start, skip_end) (its old place is gone).
 * Code must have run before. Returns 0, or a negative errno (nothing
 * changed).
 */
KT_HIDDEN void kt_target_set_sig_ign(struct kt_target *target,
				     uint64_t sig_ign);
KT_HIDDEN int kt_target_adopt(struct kt_target *target, const kt_regs_t *regs,
			      const void *xstate, size_t len, unsigned type,
			      uint64_t sigmask, uint64_t skip_start,
			      uint64_t skip_end);

/*
 * For tests only: a pause, in microseconds, between PTRACE_SEIZE and
 * PTRACE_INTERRUPT of each thread (default 0: none). It widens the window
 * in which a seized thread still runs, so that a test can make it start a
 * thread (reported by PTRACE_EVENT_CLONE, the new thread traced by
 * inheritance) or take a signal during the seize. Not thread-safe: set it
 * before seizing.
 */
KT_HIDDEN extern unsigned kt_inject_seize_pause_us;

/* --------------------------------------------------------------------- */
/* Building blocks of the above, one concern per file (inject_*.c)        */
/* --------------------------------------------------------------------- */

/* What /proc says about a process or thread (inject_proc.c). */
struct kt_proc_info {
	char state;	     /* /proc/PID/stat state: 'R', 'S', 'T', 'Z', ... */
	unsigned long flags; /* task flags (PF_*) from /proc/PID/stat */
	pid_t tgid;	     /* Tgid: */
	pid_t tracer;	     /* TracerPid: (0: not traced) */
	unsigned uid[4];     /* Uid: real, effective, saved, filesystem */
	uint64_t sig_ign;    /* SigIgn: bit n-1 for signal n */
};

/* The kernel's PF_KTHREAD task flag. */
#define KT_PF_KTHREAD 0x00200000UL

/*
 * Parse the text of /proc/PID/stat: the state and flags fields, read after
 * the last ')' (comm may hold spaces and parentheses). Returns 0 or
 * -EBADMSG.
 */
KT_HIDDEN int kt_proc_stat_parse(const char *text, char *ret_state,
				 unsigned long *ret_flags);

/*
 * Parse the fields of struct kt_proc_info that /proc/PID/status holds
 * (Tgid, TracerPid, Uid, SigIgn) into info. Returns 0 or -EBADMSG.
 */
KT_HIDDEN int kt_proc_status_parse(const char *text, struct kt_proc_info *info);

/*
 * Read /proc/PID/stat and status (tid 0), or /proc/PID/task/TID/... Returns
 * 0, -ESRCH if the process or thread does not exist, -EBADMSG, or the
 * negative errno of the read.
 */
KT_HIDDEN int kt_proc_info_read(pid_t pid, pid_t tid,
				struct kt_proc_info *ret_info);

/*
 * The thread ids in /proc/PID/task, in directory order, in a malloc'd
 * array. Returns 0, -ESRCH, -ENOMEM, or the negative errno of opendir.
 */
KT_HIDDEN int kt_proc_tasks(pid_t pid, pid_t **ret_tids, size_t *ret_n);

/*
 * The start of the first "r-xp" mapping of /proc/PID/maps that is not
 * [vdso], [vsyscall] or [uprobes]: a place for a trampoline. Returns 0,
 * -ENOENT if there is none, -EBADMSG, or the errors of kt_read_text().
 */
KT_HIDDEN int kt_proc_exec_addr(pid_t pid, uint64_t *ret_addr);
/* The same, among the mappings outside [skip_start, skip_end). */
KT_HIDDEN int kt_proc_exec_addr_outside(pid_t pid, uint64_t skip_start,
					uint64_t skip_end, uint64_t *ret_addr);

/* The comm of a process ("?" if it cannot be read) into buf. */
KT_HIDDEN void kt_proc_comm(pid_t pid, char *buf, size_t len);

/*
 * Explain why PTRACE_SEIZE of pid may have failed with EPERM, in one line
 * into buf: Yama's ptrace_scope, our uids and CAP_SYS_PTRACE, the target's
 * uids and whether it is dumpable (its /proc directory belongs to root when
 * it is not).
 */
KT_HIDDEN void kt_proc_eperm_reason(pid_t pid, char *buf, size_t len);

/*
 * Copy len bytes between buf and address addr of process pid
 * (inject_mem.c): process_vm_readv/writev, and pread/pwrite on mem_fd (an
 * open /proc/PID/mem, or -1) for what those refuse (pages without the
 * permission, EFAULT). Returns 0, -EFAULT if a part is not mapped, or the
 * negative errno of the transfer (-ESRCH: the process is gone).
 */
KT_HIDDEN int kt_mem_rw(pid_t pid, int mem_fd, uint64_t addr, void *buf,
			size_t len, bool write);

/* What a ptrace stop reported by waitpid is (inject_wait.c). */
enum kt_stop_kind {
	KT_STOP_EXITED,	 /* the thread is gone: exited or killed */
	KT_STOP_EVENT,	 /* PTRACE_EVENT_STOP: an interrupt, a group-stop
			    (sig is the stop signal) or a new thread's start */
	KT_STOP_CLONE,	 /* PTRACE_EVENT_CLONE, _FORK or _VFORK */
	KT_STOP_SIGNAL,	 /* signal-delivery-stop of sig */
	KT_STOP_SYSCALL, /* syscall-enter or -exit stop (TRACESYSGOOD) */
	KT_STOP_OTHER,	 /* another PTRACE_EVENT_* */
};

struct kt_stop {
	pid_t tid;
	int status; /* as waitpid returned it */
	enum kt_stop_kind kind;
	int sig; /* the signal of a stop; the exit status or killing
		    signal's number of an exit */
};

/* Decode a waitpid status of thread tid. */
KT_HIDDEN void kt_stop_decode(pid_t tid, int status, struct kt_stop *ret_stop);

/*
 * Wait for the next ptrace stop or exit of one of the threads tids[0..n)
 * of process pid, or (new_threads) of a thread of pid not yet in the list
 * (a new clone is traced automatically), and consume it. Blocks. Events of the
 * caller's other children are never consumed: while one is waiting (a
 * zombie child, an untraced stop), the wait falls back to polling the
 * listed threads. Waiting for all threads at once, rather than for one,
 * is what keeps a dying thread-group leader from blocking us: the kernel
 * reports the leader's exit only after the tracer has reaped every other
 * thread. Returns 0, or the negative errno of waitid (-ECHILD: none of
 * them is left to wait for).
 */
KT_HIDDEN int kt_ptrace_wait(pid_t pid, const pid_t *tids, size_t n,
			     bool new_threads, struct kt_stop *ret_stop);

/* --------------------------------------------------------------------- */
/* Internals shared by inject.c, inject_seize.c, inject_run.c and         */
/* inject_release.c only: they define KT_INJECT_INTERNALS before          */
/* including this header. Everybody else sees struct kt_target as opaque. */

#endif /* KT_LIB_INJECT_H */
