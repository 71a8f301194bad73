/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the inject_*.c files share; not for the rest of the library. */
#ifndef KT_LIB_INJECT_INTERNAL_H
#define KT_LIB_INJECT_INTERNAL_H

#include "inject.h"

#include <signal.h>

#include "../arch/x86_64/inject_regs.h"

/* Options of every seized thread: never PTRACE_O_EXITKILL (the target
 * must outlive us). */
#define KT_SEIZE_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD)

#define KT_SIGBIT(sig) (1ULL << ((sig)-1))
/*
 * Signals left unblocked while we run code: the kernel forces them (int3,
 * faults), and forcing a blocked one resets its handler to SIG_DFL.
 */
#define KT_SYNC_SIGNALS                                                        \
	(KT_SIGBIT(SIGTRAP) | KT_SIGBIT(SIGSEGV) | KT_SIGBIT(SIGBUS) |         \
	 KT_SIGBIT(SIGILL) | KT_SIGBIT(SIGFPE) | KT_SIGBIT(SIGSYS))

/* How many signals runs may catch (and hold for release) in our thread. */
#define KT_EXTRA_SIGS_MAX 8

enum kt_thread_state {
	KT_TH_RUNNING, /* seized (or traced by inheritance), no stop seen */
	KT_TH_EVENT,   /* in a PTRACE_EVENT_STOP: interrupt or group-stop,
			  or (after a quiet call) a syscall stop left for one */
	KT_TH_SIGNAL,  /* in a signal-delivery-stop */
	KT_TH_DEAD,    /* exited and reaped, or detached */
};

struct kt_thread {
	pid_t tid;
	enum kt_thread_state state;
	bool foreign;  /* a new process traced by inheritance: let go */
	bool have_sig; /* caught at seize in a signal-delivery-stop: the
			  signal goes out with the detach */
	siginfo_t sig;
	kt_regs_t regs; /* as found at seize */
};

struct kt_target {
	pid_t pid;
	int mem_fd;	  /* /proc/PID/mem, for pages process_vm_* refuses */
	uint64_t sig_ign; /* SigIgn at seize */

	struct kt_thread *th;
	size_t nth, cap;
	/* live threads of the process (kt_target_threads), and every thread
	 * we still have to wait for (foreign ones included) */
	pid_t *tids, *wait_tids;
	size_t ntids, nwait;

	/* The thread we run code in, and what it had before. */
	pid_t run_tid;
	uint64_t sigmask;
	void *xstate;
	size_t xstate_len;
	unsigned xstate_type; /* NT_X86_XSTATE or NT_PRFPREG */

	bool prepared;	   /* trampoline written, signals blocked */
	bool mask_blocked; /* our mask is set: put sigmask back */
	bool ran;	   /* code ran: registers, xstate to put back */
	uint64_t tramp;	   /* where the trampoline is */
	uint8_t tramp_orig[KT_TRAMPOLINE_LEN];
	uint64_t scratch;
	size_t scratch_len;
	/* ignored signals the kernel reset to SIG_DFL by forcing them */
	uint64_t forced_ign;
	/* signals caught while running code, to queue again at release */
	siginfo_t extra[KT_EXTRA_SIGS_MAX];
	size_t nextra;
	size_t lost;
};

/* ptrace(req, tid, addr, data): 0 or -errno (inject.c). */
KT_HIDDEN int kt_inj_ptrace(int req, pid_t tid, uintptr_t addr, uintptr_t data);
KT_HIDDEN int kt_inj_get_regs(pid_t tid, kt_regs_t *regs);
KT_HIDDEN int kt_inj_set_regs(pid_t tid, const kt_regs_t *regs);
KT_HIDDEN int kt_inj_get_siginfo(pid_t tid, siginfo_t *si);
/* err if it is an error already, else r if that is one, else err. */
KT_HIDDEN int kt_inj_first_err(int err, int r);

/* The thread table (inject.c). Pointers into it stay valid until the next
 * kt_inj_add_thread(). */
KT_HIDDEN struct kt_thread *kt_inj_find_thread(struct kt_target *t, pid_t tid);
/* Make room for one more thread, so that adding it cannot fail. */
KT_HIDDEN int kt_inj_reserve_thread(struct kt_target *t);
/* Add a thread in state KT_TH_RUNNING; room must have been reserved. */
KT_HIDDEN struct kt_thread *kt_inj_add_thread(struct kt_target *t, pid_t tid,
					      bool foreign);
KT_HIDDEN void kt_inj_set_state(struct kt_target *t, struct kt_thread *th,
				enum kt_thread_state state);
/* The thread we run code in, or NULL if it is gone. */
KT_HIDDEN struct kt_thread *kt_inj_run_thread(struct kt_target *t);
KT_HIDDEN void kt_inj_target_free(struct kt_target *t);

/* Wait for the next event of one of our threads; -ESRCH if none is left
 * (inject.c). new_threads: as for kt_ptrace_wait(). */
KT_HIDDEN int kt_inj_wait_event(struct kt_target *t, bool new_threads,
				struct kt_stop *s);
/* Send a stopped thread on into an interrupt stop (a trap clears a pending
 * PTRACE_INTERRUPT, so ask again); it is KT_TH_RUNNING until that stop. */
/* Resume the run thread and wait until it is in an interrupt stop again
 * (from a signal-delivery-stop, or after a run); -ESRCH if it died. */
KT_HIDDEN int kt_inj_to_interrupt_stop(struct kt_target *t,
				       struct kt_thread *th);
KT_HIDDEN int kt_inj_resume_to_interrupt(struct kt_target *t,
					 struct kt_thread *th);
/* Note the new thread or process that thread parent's clone event
 * reports (inject_seize.c). */
KT_HIDDEN int kt_inj_on_clone(struct kt_target *t, struct kt_thread *parent);
/* Let every thread go; signals held at seize go out with the detach; the
 * threads that died are reaped (inject_seize.c). */
KT_HIDDEN int kt_inj_detach_all(struct kt_target *t);

/*
 * Wait for the next event of the run thread (*thp; the table may move)
 * while noting the exits of others. -ESRCH if the run thread is gone
 * (inject_run.c).
 */
KT_HIDDEN int kt_inj_wait_run_thread(struct kt_target *t,
				     struct kt_thread **thp, struct kt_stop *s);
/* ptrace said ESRCH about the stopped run thread: reap it; -ESRCH. */
KT_HIDDEN int kt_inj_thread_gone(struct kt_target *t, struct kt_thread *th);
/* Someone else's signal stopped the run thread while our code ran: keep
 * it, to queue it again at release. */
KT_HIDDEN void kt_inj_hold_signal(struct kt_target *t, const siginfo_t *si);
/* Put the extended state saved at seize back into the run thread. */
KT_HIDDEN int kt_inj_put_xstate(struct kt_target *t, struct kt_thread *th);

#endif /* KT_LIB_INJECT_INTERNAL_H */
