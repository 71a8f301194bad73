/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running system calls and code in a seized process: the trampoline
 * "syscall; int3" at the start of its first executable mapping, registers
 * set, PTRACE_CONT, and a wait for the int3. "Did it run" (our return
 * value) is kept apart from "what did it return" (*ret_value).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject_internal.h"

/* How many times in a row a run may be stopped by something else. */
#define RUN_STOPS_MAX 64

#ifndef SI_KERNEL
#define SI_KERNEL 0x80
#endif

int kt_inj_wait_run_thread(struct kt_target *t, struct kt_thread **thp,
			   struct kt_stop *s)
{
	pid_t tid = (*thp)->tid;

	for (;;) {
		struct kt_thread *other;
		int r = kt_inj_wait_event(t, false, s);

		if (r < 0)
			return r;
		*thp = kt_inj_find_thread(t, tid);
		if (s->tid == tid) {
			if (s->kind != KT_STOP_EXITED)
				return 0;
			kt_log(KT_LOG_INFO,
			       "inject: thread %d of %d is gone (status %#x)",
			       tid, t->pid, s->status);
			kt_inj_set_state(t, *thp, KT_TH_DEAD);
			return -ESRCH;
		}
		other = kt_inj_find_thread(t, s->tid);
		if (other && s->kind == KT_STOP_EXITED)
			kt_inj_set_state(t, other, KT_TH_DEAD);
		else if (other)
			/* A new thread (a clone by our code) starts stopped. */
			kt_inj_set_state(t, other,
					 s->kind == KT_STOP_SIGNAL
						 ? KT_TH_SIGNAL
						 : KT_TH_EVENT);
	}
}

int kt_inj_thread_gone(struct kt_target *t, struct kt_thread *th)
{
	struct kt_stop s;
	int r;

	/* Only SIGKILL takes a thread out of a ptrace stop. */
	r = kt_inj_wait_run_thread(t, &th, &s);
	if (r < 0)
		return r; /* -ESRCH: gone, and marked so */
	/* It stopped again after all (should not happen): keep it. */
	kt_inj_set_state(t, th,
			 s.kind == KT_STOP_SIGNAL ? KT_TH_SIGNAL : KT_TH_EVENT);
	return -EAGAIN;
}

/*
 * A step failed: if it failed because the run thread was killed (its
 * /proc/PID/maps is empty then, its memory gone), say -ESRCH.
 */
static int gone_or(struct kt_target *t, struct kt_thread *th, int err)
{
	unsigned long msg;

	if (kt_inj_ptrace(PTRACE_GETEVENTMSG, th->tid, 0, (uintptr_t)&msg) ==
	    -ESRCH)
		return kt_inj_thread_gone(t, th);
	return err;
}

void kt_inj_hold_signal(struct kt_target *t, const siginfo_t *si)
{
	if (t->nextra == KT_EXTRA_SIGS_MAX) {
		kt_log(KT_LOG_ERROR,
		       "inject: %d: too many signals while running code: %s "
		       "is lost",
		       t->pid, strsignal(si->si_signo));
		t->lost++;
		return;
	}
	kt_log(KT_LOG_DEBUG, "inject: %d: %s (code %d) held for release",
	       t->pid, strsignal(si->si_signo), si->si_code);
	t->extra[t->nextra++] = *si;
}

/* A signal the kernel forced on the thread resets an ignored one. */
static void note_forced(struct kt_target *t, int sig)
{
	if (t->sig_ign & KT_SIGBIT(sig))
		t->forced_ign |= KT_SIGBIT(sig);
}

/*
 * The run thread stopped in a signal-delivery-stop: our int3 (1), a crash
 * of our code (-EFAULT), or someone's signal, held for release (0: go on).
 */
static int on_run_signal(struct kt_target *t, struct kt_thread *th,
			 uint64_t trap_ip, kt_regs_t *out)
{
	siginfo_t si;
	int r;

	r = kt_inj_get_siginfo(th->tid, &si);
	if (r == 0)
		r = kt_inj_get_regs(th->tid, out);
	if (r < 0)
		return r;
	if (si.si_signo == SIGTRAP && si.si_code == SI_KERNEL) {
		note_forced(t, SIGTRAP);
		if (trap_ip == 0 || out->rip == trap_ip)
			return 1;
		kt_log(KT_LOG_ERROR,
		       "inject: %d trapped at %#llx, not at %#" PRIx64, th->tid,
		       (unsigned long long)out->rip, trap_ip);
		return -EFAULT;
	}
	if ((KT_SIGBIT(si.si_signo) & KT_SYNC_SIGNALS) && si.si_code > 0) {
		/* Our code crashed. The signal is never delivered: the next
		 * resume or the detach drops it. */
		note_forced(t, si.si_signo);
		kt_log(KT_LOG_ERROR,
		       "inject: code run in %d crashed: %s (code %d, address "
		       "%p) at rip %#llx",
		       th->tid, strsignal(si.si_signo), si.si_code, si.si_addr,
		       (unsigned long long)out->rip);
		return -EFAULT;
	}
	kt_inj_hold_signal(t, &si);
	return 0;
}

/*
 * Run the run thread with regs until it executes an int3 (the one before
 * trap_ip, unless trap_ip is 0). Returns 0 with rax at the trap in
 * *ret_rax, or a negative errno: -EFAULT if the code crashed, -ESRCH if
 * the thread died. Its saved registers are put back in every case but
 * death.
 */
static int run(struct kt_target *t, const kt_regs_t *regs, uint64_t trap_ip,
	       long *ret_rax)
{
	struct kt_thread *th = kt_inj_run_thread(t);
	unsigned stops = 0;
	kt_regs_t out;
	int err, r;

	if (!th)
		return -ESRCH;
	t->ran = true;
	err = kt_inj_set_regs(th->tid, regs);
	while (err == 0) {
		struct kt_stop s;

		err = kt_inj_ptrace(PTRACE_CONT, th->tid, 0, 0);
		if (err < 0)
			break;
		err = kt_inj_wait_run_thread(t, &th, &s);
		if (err < 0)
			return err;
		if (s.kind == KT_STOP_SIGNAL) {
			kt_inj_set_state(t, th, KT_TH_SIGNAL);
			err = on_run_signal(t, th, trap_ip, &out);
			if (err == 1) {
				*ret_rax = kt_regs_retval(&out);
				err = 0;
				break;
			}
			continue;
		}
		kt_inj_set_state(t, th, KT_TH_EVENT);
		if (s.kind == KT_STOP_EVENT && ++stops < RUN_STOPS_MAX)
			continue; /* e.g. a group-stop noticed on the way */
		kt_log(KT_LOG_ERROR,
		       "inject: %d: unexpected stop %#x while running code",
		       th->tid, s.status);
		if (s.kind == KT_STOP_CLONE)
			(void)kt_inj_on_clone(t, th); /* let go at release */
		err = s.kind == KT_STOP_EVENT ? -EAGAIN : -EPROTO;
	}
	if (err == -ESRCH)
		return kt_inj_thread_gone(t, th);
	r = kt_inj_set_regs(th->tid, &th->regs);
	if (r == -ESRCH)
		return kt_inj_thread_gone(t, th);
	if (r < 0)
		kt_log(KT_LOG_ERROR, "inject: putting back registers of %d: %s",
		       th->tid, strerror(-r));
	return kt_inj_first_err(err, r);
}

/* Make ready for running code: the trampoline in place, signals blocked,
 * the thread in its interrupt stop. */
static int prepare(struct kt_target *t)
{
	static const uint8_t tramp[KT_TRAMPOLINE_LEN] = KT_TRAMPOLINE_BYTES;
	uint64_t block = ~(uint64_t)KT_SYNC_SIGNALS;
	struct kt_thread *th = kt_inj_run_thread(t);
	int r;

	if (!th)
		return -ESRCH;
	if (t->prepared)
		return 0;
	r = kt_proc_exec_addr(t->pid, &t->tramp);
	if (r < 0 && (r = gone_or(t, th, r)) != -ESRCH)
		kt_log(KT_LOG_ERROR,
		       "inject: no executable mapping in %d for the "
		       "trampoline: %s",
		       t->pid, strerror(-r));
	if (r < 0)
		return r;
	r = kt_target_read(t, t->tramp, t->tramp_orig, sizeof(t->tramp_orig));
	if (r < 0)
		return gone_or(t, th, r);
	r = kt_target_write(t, t->tramp, tramp, sizeof(tramp));
	if (r < 0)
		return gone_or(t, th, r); /* nothing written */
	r = kt_inj_ptrace(PTRACE_SETSIGMASK, th->tid, sizeof(block),
			  (uintptr_t)&block);
	if (r < 0) {
		kt_log(KT_LOG_ERROR, "inject: PTRACE_SETSIGMASK of %d: %s",
		       th->tid, strerror(-r));
		goto put_code_back;
	}
	if (th->state == KT_TH_SIGNAL) {
		r = kt_inj_to_interrupt_stop(t, th);
		th = kt_inj_run_thread(t); /* the table may have moved */
		if (!th)
			return -ESRCH;
		if (r < 0)
			goto put_mask_back;
	}
	t->mask_blocked = true;
	t->prepared = true;
	return 0;

put_mask_back:
	if (r != -ESRCH &&
	    kt_inj_ptrace(PTRACE_SETSIGMASK, th->tid, sizeof(t->sigmask),
			  (uintptr_t)&t->sigmask) < 0)
		kt_log(KT_LOG_ERROR,
		       "inject: putting back the mask of %d failed", th->tid);
put_code_back:
	if (r != -ESRCH && kt_target_write(t, t->tramp, t->tramp_orig,
					   sizeof(t->tramp_orig)) < 0)
		kt_log(KT_LOG_ERROR, "inject: putting back code of %d failed",
		       t->pid);
	return r == -ESRCH ? r : gone_or(t, th, r);
}

int kt_target_syscall(struct kt_target *target, long nr, const long args[6],
		      long *ret_value)
{
	static const long no_args[6];
	struct kt_thread *th;
	kt_regs_t regs;
	long rax = 0;
	int r;

	r = prepare(target);
	if (r < 0)
		return r;
	th = kt_inj_run_thread(target);
	regs = th->regs;
	kt_regs_set_syscall(&regs, target->tramp, nr, args ? args : no_args);
	r = run(target, &regs,
		KT_IP_AFTER_INT3(target->tramp + KT_TRAMPOLINE_INT3), &rax);
	if (r < 0)
		return r;
	*ret_value = rax;
	return 0;
}

int kt_inj_put_xstate(struct kt_target *t, struct kt_thread *th)
{
	struct iovec iov = {t->xstate, t->xstate_len};
	int r;

	r = kt_inj_ptrace(PTRACE_SETREGSET, th->tid, t->xstate_type,
			  (uintptr_t)&iov);
	if (r < 0)
		kt_log(KT_LOG_ERROR, "inject: PTRACE_SETREGSET of %d: %s",
		       th->tid, strerror(-r));
	return r;
}

int kt_target_call(struct kt_target *target, uint64_t entry, uint64_t arg,
		   long *ret_value)
{
	struct kt_thread *th;
	uint64_t sp, ret_addr;
	kt_regs_t regs;
	long rax = 0;
	int r;

	r = prepare(target);
	if (r < 0)
		return r;
	th = kt_inj_run_thread(target);
	/* A `ret` from entry lands on the trampoline's int3. */
	ret_addr = target->tramp + KT_TRAMPOLINE_INT3;
	sp = kt_call_sp(kt_regs_sp(&th->regs));
	r = kt_target_write(target, sp, &ret_addr, sizeof(ret_addr));
	if (r < 0)
		return gone_or(target, th, r);
	regs = th->regs;
	kt_regs_set_call(&regs, entry, arg, sp);
	r = run(target, &regs, 0, &rax);
	/* The code may have changed any FPU, SSE or AVX register. */
	th = kt_inj_run_thread(target);
	if (th && r != -ESRCH)
		r = kt_inj_first_err(r, kt_inj_put_xstate(target, th));
	if (r < 0)
		return r;
	*ret_value = rax;
	return 0;
}

/* munmap in the target: 0 or a negative errno (of either kind). */
static int unmap(struct kt_target *t, uint64_t addr, size_t len)
{
	long args[6] = {(long)addr, (long)len, 0, 0, 0, 0}, rv = 0;
	int r = kt_target_syscall(t, __NR_munmap, args, &rv);

	return r < 0 ? r : (int)rv;
}

int kt_target_scratch(struct kt_target *target, size_t size, uint64_t *ret_addr)
{
	long page = sysconf(_SC_PAGESIZE), args[6], addr = 0;
	size_t len;
	int r;

	if (size == 0)
		size = 1;
	if (target->scratch && target->scratch_len >= size) {
		*ret_addr = target->scratch;
		return 0;
	}
	if (page <= 0 || size > SIZE_MAX - (size_t)page)
		return -EINVAL;
	len = (size + (size_t)page - 1) & ~((size_t)page - 1);
	args[0] = 0;
	args[1] = (long)len;
	args[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	args[4] = -1;
	args[5] = 0;
	r = kt_target_syscall(target, __NR_mmap, args, &addr);
	if (r < 0)
		return r;
	if (addr < 0 && addr >= -4095) {
		kt_log(KT_LOG_ERROR, "inject: mmap of %zu bytes in %d: %s", len,
		       target->pid, strerror((int)-addr));
		return (int)addr;
	}
	if (target->scratch) {
		/* Grown: the new one replaces the old one. */
		r = unmap(target, target->scratch, target->scratch_len);
		if (r < 0) {
			kt_log(KT_LOG_ERROR,
			       "inject: munmap of the old scratch in %d: %s",
			       target->pid, strerror(-r));
			if (unmap(target, (uint64_t)addr, len) < 0)
				kt_log(KT_LOG_ERROR,
				       "inject: scratch at %#lx left in %d",
				       addr, target->pid);
			return r;
		}
	}
	target->scratch = (uint64_t)addr;
	target->scratch_len = len;
	*ret_addr = target->scratch;
	return 0;
}
