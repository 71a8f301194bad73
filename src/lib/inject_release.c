/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Putting back everything that running code changed, and letting go. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ptrace.h>

#include "inject_internal.h"

/*
 * One system call that ends in syscall stops instead of an int3, so that
 * no signal is forced on the thread (which would make an ignored SIGTRAP
 * SIG_DFL, and would let a requeued signal be taken at once). Every call
 * at release is made so. The thread ends in an interrupt stop, with its
 * saved registers, which there mean what they meant at seize.
 */
static int quiet_syscall(struct kt_target *t, long nr, const long args[6],
			 long *ret_value)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	kt_regs_t regs, out;
	int stage = 0, err, r;

	if (!th)
		return -ESRCH;
	regs = th->regs;
	kt_regs_set_syscall(&regs, t->tramp, nr, args);
	t->ran = true;
	err = kt_inj_set_regs(th->tid, &regs);
	while (err == 0 && stage < 2) { /* syscall-enter, syscall-exit */
		struct kt_stop s;
		siginfo_t si;

		err = kt_inj_ptrace(PTRACE_SYSCALL, th->tid, 0, 0);
		if (err < 0)
			break;
		err = kt_inj_wait_run_thread(t, &th, &s);
		if (err < 0)
			return err;
		kt_inj_set_state(t, th,
				 s.kind == KT_STOP_SIGNAL ? KT_TH_SIGNAL
							  : KT_TH_EVENT);
		if (s.kind == KT_STOP_SYSCALL) {
			stage++;
		} else if (s.kind == KT_STOP_SIGNAL) {
			/* Only SIGSTOP gets past our mask: keep it. */
			err = kt_inj_get_siginfo(th->tid, &si);
			if (err == 0)
				kt_inj_hold_signal(t, &si);
		} else if (s.kind != KT_STOP_EVENT) {
			err = -EPROTO;
		}
	}
	if (err == 0)
		err = kt_inj_get_regs(th->tid, &out);
	if (err == 0)
		*ret_value = kt_regs_retval(&out);
	if (err == -ESRCH)
		return kt_inj_thread_gone(t, th);
	r = kt_inj_set_regs(th->tid, &th->regs);
	if (r == -ESRCH)
		return kt_inj_thread_gone(t, th);
	if (r < 0)
		return kt_inj_first_err(err, r);
	return kt_inj_first_err(err, kt_inj_to_interrupt_stop(t, th));
}

/* A quiet call whose failure, of either kind, is one error. */
static int quiet_call(struct kt_target *t, long nr, long a0, long a1, long a2,
		      long a3)
{
	long args[6] = {a0, a1, a2, a3, 0, 0}, rv = 0;
	int r = quiet_syscall(t, nr, args, &rv);

	return r < 0 ? r : (rv < 0 ? (int)rv : 0);
}

/* Where release-time calls keep their data: below the red zone. */
static uint64_t stack_area(const struct kt_thread *th, size_t len)
{
	return (kt_call_sp(kt_regs_sp(&th->regs)) - len) & ~(uint64_t)15;
}

/* Queue a signal on the run thread again, from inside it (only a thread
 * may send itself a signal with a kernel si_code). */
static int requeue(struct kt_target *t, const siginfo_t *si)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	uint64_t at;
	int r;

	if (!th)
		return -ESRCH;
	at = stack_area(th, sizeof(*si));
	r = kt_target_write(t, at, si, sizeof(*si));
	if (r == 0)
		r = quiet_call(t, __NR_rt_tgsigqueueinfo, t->pid, th->tid,
			       si->si_signo, (long)at);
	if (r < 0 && r != -ESRCH)
		kt_log(KT_LOG_ERROR, "inject: queueing %s again in %d: %s",
		       strsignal(si->si_signo), th->tid, strerror(-r));
	else if (r == 0)
		kt_log(KT_LOG_DEBUG, "inject: %s (code %d) queued again in %d",
		       strsignal(si->si_signo), si->si_code, th->tid);
	return r;
}

/*
 * Queue again, while every signal is blocked, the signals the run thread
 * was stopped delivering: the one caught at seize (if it does not go out
 * with the detach) and those caught while code ran. SIGSTOP cannot be
 * blocked: it is queued last, once (stop signals do not queue anyway).
 */
static int requeue_all(struct kt_target *t, bool seize_sig)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	const siginfo_t *stop = NULL;
	siginfo_t stop_si;
	int err = 0;

	if (th && seize_sig) {
		if (th->sig.si_signo == SIGSTOP)
			stop = &th->sig;
		else
			err = requeue(t, &th->sig);
		th = kt_inj_run_thread(t);
		if (th)
			th->have_sig = false;
	}
	for (size_t i = 0; i < t->nextra; i++) { /* it may grow meanwhile */
		if (t->extra[i].si_signo == SIGSTOP)
			stop = stop ? stop : &t->extra[i];
		else
			err = kt_inj_first_err(err, requeue(t, &t->extra[i]));
	}
	if (stop) {
		stop_si = *stop;
		err = kt_inj_first_err(err, requeue(t, &stop_si));
	}
	t->nextra = 0;
	return err;
}

/* The kernel's struct sigaction (rt_sigaction(2) with an 8-byte mask). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* Make ignored again the signals the kernel reset to SIG_DFL when it
 * forced them (int3 traps, crashes of our code). */
static int reignore(struct kt_target *t)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	struct k_sigaction act;
	int err = 0, r;
	uint64_t at;

	if (!th)
		return -ESRCH;
	at = stack_area(th, sizeof(act));
	for (int sig = 1; sig <= 64; sig++) {
		if (!(t->forced_ign & KT_SIGBIT(sig)))
			continue;
		/* flags, restorer and mask are as they were: only the
		 * handler was reset */
		r = quiet_call(t, __NR_rt_sigaction, sig, 0, (long)at,
			       sizeof(uint64_t));
		if (r == 0)
			r = kt_target_read(t, at, &act, sizeof(act));
		if (r == 0) {
			act.handler = (uint64_t)(uintptr_t)SIG_IGN;
			r = kt_target_write(t, at, &act, sizeof(act));
		}
		if (r == 0)
			r = quiet_call(t, __NR_rt_sigaction, sig, (long)at, 0,
				       sizeof(uint64_t));
		if (r == 0)
			kt_log(KT_LOG_DEBUG,
			       "inject: %s ignored again in %d (the kernel "
			       "reset it when it forced it)",
			       strsignal(sig), t->pid);
		else if (r != -ESRCH)
			kt_log(KT_LOG_ERROR,
			       "inject: making %s ignored again in %d: %s",
			       strsignal(sig), t->pid, strerror(-r));
		err = kt_inj_first_err(err, r);
	}
	t->forced_ign = 0;
	return err;
}

/* Undo what running code did to the process, in reverse order. */
static int undo_run(struct kt_target *t)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	uint64_t all = ~(uint64_t)0;
	bool seize_sig, calls;
	int err = 0, r;

	if (!th)
		goto gone;
	/*
	 * The signal caught at seize goes out with the detach if the thread
	 * ends in a signal-delivery-stop (our int3's): only if no release
	 * call is needed. Otherwise it is queued again.
	 */
	seize_sig = th->have_sig;
	calls = t->scratch || t->forced_ign || t->nextra ||
		(seize_sig && th->state != KT_TH_SIGNAL);
	if (calls) {
		/* Nothing may be taken while signals are queued again. */
		err = kt_inj_ptrace(PTRACE_SETSIGMASK, th->tid, sizeof(all),
				    (uintptr_t)&all);
		if (err == -ESRCH)
			err = kt_inj_thread_gone(t, th);
		if (t->scratch && err == 0) {
			r = quiet_call(t, __NR_munmap, (long)t->scratch,
				       (long)t->scratch_len, 0, 0);
			if (r < 0 && r != -ESRCH)
				kt_log(KT_LOG_ERROR,
				       "inject: munmap of scratch: %s",
				       strerror(-r));
			err = kt_inj_first_err(err, r);
			t->scratch = 0;
		}
		if (t->forced_ign && err != -ESRCH)
			err = kt_inj_first_err(err, reignore(t));
		if (err != -ESRCH)
			err = kt_inj_first_err(err, requeue_all(t, seize_sig));
	}
	th = kt_inj_run_thread(t);
	if (!th)
		goto gone;

	r = kt_target_write(t, t->tramp, t->tramp_orig, sizeof(t->tramp_orig));
	if (r < 0)
		kt_log(KT_LOG_ERROR,
		       "inject: putting back code at %#" PRIx64 " in %d: %s",
		       t->tramp, t->pid, strerror(-r));
	err = kt_inj_first_err(err, r);
	if (t->ran) {
		r = kt_inj_set_regs(th->tid, &th->regs);
		if (r == -ESRCH)
			goto reap;
		if (r < 0)
			kt_log(KT_LOG_ERROR, "inject: PTRACE_SETREGS of %d: %s",
			       th->tid, strerror(-r));
		err = kt_inj_first_err(err, r);
		err = kt_inj_first_err(err, kt_inj_put_xstate(t, th));
	}
	if (t->mask_blocked) {
		r = kt_inj_ptrace(PTRACE_SETSIGMASK, th->tid,
				  sizeof(t->sigmask), (uintptr_t)&t->sigmask);
		if (r == -ESRCH)
			goto reap;
		if (r < 0)
			kt_log(KT_LOG_ERROR,
			       "inject: PTRACE_SETSIGMASK of %d: %s", th->tid,
			       strerror(-r));
		err = kt_inj_first_err(err, r);
	}
	if (t->lost)
		err = kt_inj_first_err(err, -EOVERFLOW);
	if (!kt_inj_run_thread(t))
		goto gone;
	return err;

reap:
	(void)kt_inj_thread_gone(t, th); /* -ESRCH: it is */
gone:
	/* Killed under us: nothing is left to put back. */
	kt_log(KT_LOG_INFO, "inject: %d is gone; nothing to put back", t->pid);
	return 0;
}

int kt_target_release(struct kt_target *target)
{
	int err = 0;

	if (!target)
		return 0;
	if (target->prepared)
		err = undo_run(target);
	err = kt_inj_first_err(err, kt_inj_detach_all(target));
	kt_log(KT_LOG_DEBUG, "inject: released %d%s", target->pid,
	       err ? " with errors" : "");
	kt_inj_target_free(target);
	return err;
}
