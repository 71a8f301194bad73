/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Working inside another process through ptrace (inject.h): what every
 * part shares, the thread table, and memory access. Seizing and letting go
 * of the threads: inject_seize.c. Running system calls and code:
 * inject_run.c. Putting everything back: inject_release.c.
 *
 * The thread we run code in goes through these stops:
 *   seize:   PTRACE_EVENT_STOP (or the signal-delivery-stop it was in);
 *   run:     registers set, PTRACE_CONT, the int3 of the trampoline traps
 *            and the thread sits in a SIGTRAP signal-delivery-stop, which
 *            is never let through; the saved registers go back at once;
 *   release: trampoline bytes, registers, extended state and signal mask
 *            put back, then PTRACE_DETACH.
 * Every other thread stays in the stop where seize found it.
 *
 * Kernel behaviour this relies on (seen on 6.18; tests/test_inject.c):
 *   - PTRACE_DETACH's signal is delivered only from a signal-delivery-stop;
 *     from a PTRACE_EVENT_STOP it is dropped. So a thread caught in a
 *     signal-delivery-stop at seize is left in it (not continued to the
 *     interrupt stop) and its signal goes out with the detach.
 *   - A signal forced by the kernel (int3's SIGTRAP, a fault's SIGSEGV)
 *     while it is blocked or ignored resets its handler to SIG_DFL
 *     (force_sig_info_to_task(); CRIU issue 1429). So the synchronous
 *     signals are never blocked while we run code, and an ignored one is
 *     made ignored again at release by a call that does not end in int3.
 *   - PTRACE_GETSIGMASK of a thread interrupted in sigsuspend, ppoll,
 *     pselect or epoll_pwait returns the real mask (saved_sigmask), not the
 *     temporary one /proc shows as SigBlk; PTRACE_SETSIGMASK sets the mask
 *     and cancels the pending restore. The mask read at seize and set at
 *     release is thus the real one, and the restarted call takes its
 *     temporary mask again.
 *   - A SIGSTOPped process that is seized traps in PTRACE_EVENT_STOP with
 *     WSTOPSIG == SIGSTOP, and goes back into its group-stop when detached
 *     (after a moment in 'R'), also after PTRACE_CONT ran code in it.
 *   - A thread that clones between PTRACE_SEIZE and PTRACE_INTERRUPT
 *     reports PTRACE_EVENT_CLONE; the new thread is traced by inheritance
 *     and may report its first stop before its parent's clone event. A
 *     clone already under way at PTRACE_SEIZE is not traced (the kernel
 *     decides when clone() starts): the new thread is found by listing
 *     /proc/PID/task again.
 *   - The kernel reports a traced thread-group leader's exit only after
 *     the tracer has reaped every other thread: we never wait for one
 *     thread alone (kt_ptrace_wait()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "inject_internal.h"

unsigned kt_inject_seize_pause_us;

/* ---- ptrace, returning -errno ---- */

int kt_inj_ptrace(int req, pid_t tid, uintptr_t addr, uintptr_t data)
{
	if (ptrace((enum __ptrace_request)req, tid, (void *)addr,
		   (void *)data) < 0)
		return -errno;
	return 0;
}

int kt_inj_get_regs(pid_t tid, kt_regs_t *regs)
{
	return kt_inj_ptrace(PTRACE_GETREGS, tid, 0, (uintptr_t)regs);
}

int kt_inj_set_regs(pid_t tid, const kt_regs_t *regs)
{
	return kt_inj_ptrace(PTRACE_SETREGS, tid, 0, (uintptr_t)regs);
}

int kt_inj_get_siginfo(pid_t tid, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	return kt_inj_ptrace(PTRACE_GETSIGINFO, tid, 0, (uintptr_t)si);
}

int kt_inj_first_err(int err, int r)
{
	return err < 0 ? err : (r < 0 ? r : err);
}

/* ---- the thread table ---- */

struct kt_thread *kt_inj_find_thread(struct kt_target *t, pid_t tid)
{
	for (size_t i = 0; i < t->nth; i++)
		if (t->th[i].tid == tid)
			return &t->th[i];
	return NULL;
}

/* Rebuild the tid lists after a thread came or went. */
static void sync_tids(struct kt_target *t)
{
	t->ntids = t->nwait = 0;
	for (size_t i = 0; i < t->nth; i++) {
		if (t->th[i].state == KT_TH_DEAD)
			continue;
		t->wait_tids[t->nwait++] = t->th[i].tid;
		if (!t->th[i].foreign)
			t->tids[t->ntids++] = t->th[i].tid;
	}
}

int kt_inj_reserve_thread(struct kt_target *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 16;
	struct kt_thread *th;
	pid_t *a, *b;

	if (t->nth < t->cap)
		return 0;
	/* Each array grows on its own; cap moves once all three have. */
	th = realloc(t->th, ncap * sizeof(*th));
	if (!th)
		return -ENOMEM;
	t->th = th;
	a = realloc(t->tids, ncap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	t->tids = a;
	b = realloc(t->wait_tids, ncap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	t->wait_tids = b;
	t->cap = ncap;
	return 0;
}

struct kt_thread *kt_inj_add_thread(struct kt_target *t, pid_t tid,
				    bool foreign)
{
	struct kt_thread *th = &t->th[t->nth++];

	memset(th, 0, sizeof(*th));
	th->tid = tid;
	th->state = KT_TH_RUNNING;
	th->foreign = foreign;
	sync_tids(t);
	return th;
}

void kt_inj_set_state(struct kt_target *t, struct kt_thread *th,
		      enum kt_thread_state state)
{
	bool lists = (th->state == KT_TH_DEAD) != (state == KT_TH_DEAD);

	th->state = state;
	if (lists)
		sync_tids(t);
}

struct kt_thread *kt_inj_run_thread(struct kt_target *t)
{
	struct kt_thread *th = kt_inj_find_thread(t, t->run_tid);

	return th && th->state != KT_TH_DEAD ? th : NULL;
}

void kt_inj_target_free(struct kt_target *t)
{
	if (t->mem_fd >= 0)
		(void)close(t->mem_fd); /* of /proc: nothing to flush */
	free(t->xstate);
	free(t->th);
	free(t->tids);
	free(t->wait_tids);
	free(t);
}

/* ---- stops ---- */

int kt_inj_wait_event(struct kt_target *t, bool new_threads, struct kt_stop *s)
{
	int r = kt_ptrace_wait(t->pid, t->wait_tids, t->nwait, new_threads, s);

	return r == -ECHILD ? -ESRCH : r; /* none of them is left */
}

int kt_inj_resume_to_interrupt(struct kt_target *t, struct kt_thread *th)
{
	int r = kt_inj_ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);

	if (r == 0)
		r = kt_inj_ptrace(PTRACE_CONT, th->tid, 0, 0);
	if (r == 0)
		kt_inj_set_state(t, th, KT_TH_RUNNING);
	return r;
}

/* ---- the public getters, memory ---- */

pid_t kt_target_pid(const struct kt_target *target)
{
	return target->pid;
}

size_t kt_target_threads(const struct kt_target *target, const pid_t **ret_tids)
{
	*ret_tids = target->tids;
	return target->ntids;
}

int kt_target_regs(const struct kt_target *target, pid_t tid,
		   kt_regs_t *ret_regs)
{
	for (size_t i = 0; i < target->nth; i++) {
		const struct kt_thread *th = &target->th[i];

		if (th->tid == tid && th->state != KT_TH_DEAD && !th->foreign) {
			*ret_regs = th->regs;
			return 0;
		}
	}
	return -ESRCH;
}

pid_t kt_target_run_tid(const struct kt_target *target)
{
	return target->run_tid;
}

uint64_t kt_target_sigmask(const struct kt_target *target)
{
	return target->sigmask;
}

uint64_t kt_target_sig_ign(const struct kt_target *target)
{
	return target->sig_ign;
}

size_t kt_target_xstate(const struct kt_target *target, const void **ret_data,
			unsigned *ret_type)
{
	*ret_data = target->xstate;
	*ret_type = target->xstate_type;
	return target->xstate_len;
}

int kt_target_held_signal(const struct kt_target *target, pid_t tid,
			  siginfo_t *ret_si)
{
	for (size_t i = 0; i < target->nth; i++) {
		const struct kt_thread *th = &target->th[i];

		if (th->tid == tid && th->have_sig) {
			*ret_si = th->sig;
			return 1;
		}
	}
	return 0;
}

int kt_target_read(struct kt_target *target, uint64_t addr, void *buf,
		   size_t len)
{
	return kt_mem_rw(target->pid, target->mem_fd, addr, buf, len, false);
}

int kt_target_write(struct kt_target *target, uint64_t addr, const void *buf,
		    size_t len)
{
	/* kt_mem_rw() does not write to buf when it writes to the target. */
	return kt_mem_rw(target->pid, target->mem_fd, addr, (void *)buf, len,
			 true);
}

/*
 * Bring the run thread into an interrupt stop: from a signal-delivery-stop
 * (its signal is saved; resumed, the thread drops it and traps at once) or
 * after a run. A thread that dies meanwhile gives -ESRCH.
 */
int kt_inj_to_interrupt_stop(struct kt_target *t, struct kt_thread *th)
{
	int r = kt_inj_resume_to_interrupt(t, th);

	if (r == -ESRCH)
		return kt_inj_thread_gone(t, th);
	while (r == 0 && th->state == KT_TH_RUNNING) {
		struct kt_stop s;

		r = kt_inj_wait_run_thread(t, &th, &s);
		if (r < 0)
			break;
		kt_inj_set_state(t, th,
				 s.kind == KT_STOP_SIGNAL ? KT_TH_SIGNAL
							  : KT_TH_EVENT);
		if (s.kind != KT_STOP_EVENT)
			r = -EPROTO;
	}
	return r;
}
