/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signals: the pending queues (PTRACE_PEEKSIGINFO, from outside), the
 * handlers and the alternate signal stack (rt_sigaction and sigaltstack
 * injected into the process: only it can read them). The blocked mask is
 * the one seize saved (kt_target_sigmask()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>

#include "dump.h"

#define SIGBIT(s) (1ULL << ((s)-1))

/* The kernel's struct sigaction of rt_sigaction(2), 8-byte mask. */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* The kernel's stack_t. */
struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

_Static_assert(sizeof(siginfo_t) == 128, "the kernel's siginfo is 128 bytes");

static int add_pending(struct kt_dump *d, pid_t tid, const siginfo_t *si)
{
	struct kt_pimg_siginfo *p = kt_pimg_add_pending(d->img);

	if (!p)
		return -ENOMEM;
	p->tid = tid;
	p->signo = si->si_signo;
	return kt_pimg_blob_dup(d->img, &p->info, si, sizeof(*si));
}

/* One queue, in order: the thread's, or (shared) the process's. */
static int peek_queue(struct kt_dump *d, bool shared)
{
	siginfo_t buf[32];
	uint64_t off = 0;

	for (;;) {
		struct __ptrace_peeksiginfo_args a = {
			.off = off,
			.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
			.nr = (int32_t)(sizeof(buf) / sizeof(buf[0])),
		};
		long n = ptrace(PTRACE_PEEKSIGINFO, d->tid, &a, buf);

		if (n < 0)
			return KT_DUMP_FAIL(d, -errno,
					    "PTRACE_PEEKSIGINFO of %d: %s",
					    (int)d->tid, strerror(errno));
		if (n == 0)
			return 0;
		for (long i = 0; i < n; i++) {
			int r = add_pending(d, shared ? 0 : d->tid, &buf[i]);

			if (r < 0)
				return r;
		}
		off += (uint64_t)n;
	}
}

int kt_dump_pending(struct kt_dump *d)
{
	siginfo_t held;
	int r;

	/*
	 * A signal the thread was stopped delivering at seize is out of the
	 * queues (the kernel dequeued it): it comes first in the thread's.
	 */
	if (kt_target_held_signal(d->target, d->tid, &held)) {
		r = add_pending(d, d->tid, &held);
		if (r < 0)
			return r;
	}
	r = peek_queue(d, false);
	if (!r)
		r = peek_queue(d, true);
	return r;
}

static int dump_sigactions(struct kt_dump *d)
{
	uint64_t ign = kt_target_sig_ign(d->target);

	for (int sig = 1; sig <= KT_PIMG_NSIG; sig++) {
		long args[6] = {sig, 0, 0, sizeof(uint64_t), 0, 0}, ret = 0;
		struct k_sigaction act;
		int r;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		r = kt_dump_call(d, "rt_sigaction", __NR_rt_sigaction, args, 2,
				 NULL, &act, sizeof(act), &ret);
		if (r < 0)
			return r;
		if (ret < 0)
			return KT_DUMP_FAIL(d, (int)ret,
					    "rt_sigaction(%d) in process %d: "
					    "%s",
					    sig, (int)d->pid,
					    strerror((int)-ret));
		/*
		 * The int3 our injected code ends with forces SIGTRAP, and
		 * forcing an ignored signal resets it to SIG_DFL (release
		 * makes it ignored again): what it was is SigIgn at seize.
		 */
		if ((ign & SIGBIT(sig)) && act.handler == (uintptr_t)SIG_DFL)
			act.handler = (uintptr_t)SIG_IGN;
		d->img->sigactions[sig - 1] = (struct kt_pimg_sigaction){
			.signo = sig,
			.handler = act.handler,
			.flags = act.flags,
			.restorer = act.restorer,
			.mask = act.mask,
		};
	}
	return 0;
}

int kt_dump_signals_inject(struct kt_dump *d)
{
	struct kt_pimg_thread *t = &d->img->threads[0];
	long args[6] = {0}, ret = 0;
	struct k_stack ss;
	int r;

	/* sigaltstack(NULL, &old): SS_ONSTACK says whether the thread is
	 * on it, from its own stack pointer (our calls keep it). */
	r = kt_dump_call(d, "sigaltstack", __NR_sigaltstack, args, 1, NULL, &ss,
			 sizeof(ss), &ret);
	if (r < 0)
		return r;
	if (ret < 0)
		return KT_DUMP_FAIL(d, (int)ret,
				    "sigaltstack in process %d: %s",
				    (int)d->pid, strerror((int)-ret));
	t->altstack_sp = ss.sp;
	t->altstack_flags = ss.flags;
	t->altstack_size = ss.size;
	return dump_sigactions(d);
}
