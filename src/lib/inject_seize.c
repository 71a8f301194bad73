/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seizing and stopping every thread of a process, and letting them go. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject_internal.h"

static int check_target(pid_t pid, struct kt_proc_info *info, char *err,
			size_t err_len)
{
	char comm[64];
	int r;

	if (pid <= 0)
		return kt_fail_msg(err, err_len, -ESRCH,
				   "seize: %d is not a process id", pid);
	if (pid == getpid())
		return kt_fail_msg(err, err_len, -EINVAL,
				   "seize: %d is ourselves", pid);
	r = kt_proc_info_read(pid, 0, info);
	if (r == -ESRCH)
		return kt_fail_msg(err, err_len, -ESRCH, "seize: no process %d",
				   pid);
	if (r < 0)
		return kt_fail_msg(err, err_len, r,
				   "seize: reading /proc/%d: %s", pid,
				   strerror(-r));
	if (info->tgid != pid)
		return kt_fail_msg(err, err_len, -EINVAL,
				   "seize: %d is a thread of process %d%s", pid,
				   info->tgid,
				   info->tgid == getpid() ? " (ourselves)"
							  : "");
	if (info->flags & KT_PF_KTHREAD)
		return kt_fail_msg(err, err_len, -EPERM,
				   "seize: %d is a kernel thread", pid);
	if (info->state == 'Z' || info->state == 'X')
		return kt_fail_msg(err, err_len, -ESRCH,
				   "seize: process %d is a zombie", pid);
	if (info->tracer != 0) {
		kt_proc_comm(info->tracer, comm, sizeof(comm));
		return kt_fail_msg(err, err_len, -EBUSY,
				   "seize: process %d is already traced by %d "
				   "(%s)",
				   pid, info->tracer, comm);
	}
	return 0;
}

/* PTRACE_SEIZE said EPERM: find out why. */
static int seize_refused(struct kt_target *t, pid_t tid, char *err,
			 size_t err_len)
{
	struct kt_proc_info info;
	char why[256], comm[64];
	int r;

	r = kt_proc_info_read(t->pid, tid, &info);
	if (r == -ESRCH || (r == 0 && (info.state == 'Z' || info.state == 'X')))
		return 0; /* exiting */
	if (r == 0 && info.tracer == getpid()) {
		/* A clone of a thread we trace, not reported yet. */
		kt_inj_add_thread(t, tid, false);
		return 1;
	}
	if (r == 0 && info.tracer != 0) {
		kt_proc_comm(info.tracer, comm, sizeof(comm));
		return kt_fail_msg(err, err_len, -EBUSY,
				   "seize: thread %d of %d is already traced "
				   "by %d (%s)",
				   tid, t->pid, info.tracer, comm);
	}
	kt_proc_eperm_reason(t->pid, why, sizeof(why));
	return kt_fail_msg(err, err_len, -EPERM,
			   "seize: ptrace(PTRACE_SEIZE, %d) of process %d: "
			   "not permitted (%s)",
			   tid, t->pid, why);
}

/*
 * Seize one thread and ask it to stop. Returns 1 if it is now ours, 0 if
 * it is gone, or a negative errno.
 */
static int seize_thread(struct kt_target *t, pid_t tid, char *err,
			size_t err_len)
{
	int r;

	/* Room first: a seized thread must be in the table to be let go. */
	r = kt_inj_reserve_thread(t);
	if (r < 0)
		return kt_fail_msg(err, err_len, r, "seize: no memory");
	r = kt_inj_ptrace(PTRACE_SEIZE, tid, 0, KT_SEIZE_OPTIONS);
	if (r == -ESRCH)
		return 0; /* exited since the listing */
	if (r == -EPERM)
		return seize_refused(t, tid, err, err_len);
	if (r < 0)
		return kt_fail_msg(err, err_len, r,
				   "seize: ptrace(PTRACE_SEIZE, %d): %s", tid,
				   strerror(-r));
	kt_inj_add_thread(t, tid, false);
	if (kt_inject_seize_pause_us)
		(void)usleep(kt_inject_seize_pause_us); /* tests only */
	r = kt_inj_ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	/* ESRCH: killed meanwhile; its exit will be reported */
	if (r < 0 && r != -ESRCH)
		return kt_fail_msg(err, err_len, r,
				   "seize: ptrace(PTRACE_INTERRUPT, %d): %s",
				   tid, strerror(-r));
	return 1;
}

int kt_inj_on_clone(struct kt_target *t, struct kt_thread *parent)
{
	unsigned long msg = 0;
	char path[64];
	bool thread;
	int r;

	r = kt_inj_ptrace(PTRACE_GETEVENTMSG, parent->tid, 0, (uintptr_t)&msg);
	if (r < 0)
		return r;
	(void)snprintf(path, sizeof(path), "/proc/%d/task/%lu", t->pid, msg);
	thread = access(path, F_OK) == 0;
	kt_log(KT_LOG_DEBUG, "inject: %d cloned %s %lu", parent->tid,
	       thread ? "thread" : "process", msg);
	if (kt_inj_find_thread(t, (pid_t)msg))
		return 0; /* its first stop came first */
	r = kt_inj_reserve_thread(t);
	if (r < 0)
		return r;
	kt_inj_add_thread(t, (pid_t)msg, !thread);
	return 0;
}

/* A signal-delivery-stop while stopping the threads. */
static int on_signal_stop(struct kt_target *t, struct kt_thread *th, int sig)
{
	int r;

	if (th->foreign) {
		r = kt_inj_ptrace(PTRACE_DETACH, th->tid, 0, (uintptr_t)sig);
		kt_inj_set_state(t, th, KT_TH_DEAD);
		return r == -ESRCH ? 0 : r;
	}
	if (th->have_sig)
		/* Cannot happen: a thread left in its signal-delivery-stop is
		 * not resumed before release. */
		return -EPROTO;
	r = kt_inj_get_siginfo(th->tid, &th->sig);
	if (r == -ESRCH)
		return 0; /* killed meanwhile: its exit will come */
	if (r < 0)
		return r;
	/* Left in this stop: the detach delivers the signal as it was. */
	th->have_sig = true;
	kt_inj_set_state(t, th, KT_TH_SIGNAL);
	kt_log(KT_LOG_DEBUG,
	       "inject: thread %d stopped delivering %s (code %d); held "
	       "until release",
	       th->tid, strsignal(sig), th->sig.si_code);
	return 0;
}

/* Act on one event while threads are being stopped (seize, release). */
static int on_stop(struct kt_target *t, const struct kt_stop *s)
{
	struct kt_thread *th = kt_inj_find_thread(t, s->tid);
	int r;

	kt_log(KT_LOG_DEBUG, "inject: seize: stop of %d: %#x", s->tid,
	       s->status);
	if (!th) {
		/* A clone we were not told about yet: its first stop. */
		r = kt_inj_reserve_thread(t);
		if (r < 0)
			return r;
		th = kt_inj_add_thread(t, s->tid, false);
	}
	switch (s->kind) {
	case KT_STOP_EXITED:
		kt_log(KT_LOG_DEBUG, "inject: thread %d is gone", s->tid);
		kt_inj_set_state(t, th, KT_TH_DEAD);
		return 0;
	case KT_STOP_EVENT:
		kt_inj_set_state(t, th, KT_TH_EVENT);
		if (th->foreign) {
			r = kt_inj_ptrace(PTRACE_DETACH, th->tid, 0, 0);
			kt_inj_set_state(t, th, KT_TH_DEAD);
			return r == -ESRCH ? 0 : r;
		}
		if (s->sig != SIGTRAP)
			kt_log(KT_LOG_DEBUG,
			       "inject: thread %d is in a group-stop (%s)",
			       th->tid, strsignal(s->sig));
		return 0;
	case KT_STOP_CLONE:
		r = kt_inj_on_clone(t, th);
		if (r < 0)
			return r;
		th = kt_inj_find_thread(t, s->tid); /* the table may move */
		return kt_inj_resume_to_interrupt(t, th);
	case KT_STOP_SIGNAL:
		return on_signal_stop(t, th, s->sig);
	case KT_STOP_SYSCALL:
	case KT_STOP_OTHER:
		kt_log(KT_LOG_DEBUG, "inject: thread %d: unexpected stop %#x",
		       th->tid, s->status);
		return kt_inj_resume_to_interrupt(t, th);
	}
	return -EPROTO;
}

static size_t count_running(const struct kt_target *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nth; i++)
		n += t->th[i].state == KT_TH_RUNNING;
	return n;
}

/* Wait until no thread we trace is running. */
static int wait_all_stopped(struct kt_target *t, bool new_threads)
{
	while (count_running(t) > 0) {
		struct kt_stop s;
		int r = kt_inj_wait_event(t, new_threads, &s);

		if (r < 0)
			return r;
		r = on_stop(t, &s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int seize_all(struct kt_target *t, char *err, size_t err_len)
{
	for (;;) {
		size_t n = 0, added = 0;
		pid_t *tids = NULL;
		int r;

		r = kt_proc_tasks(t->pid, &tids, &n);
		if (r < 0)
			return kt_fail_msg(err, err_len, r,
					   "seize: listing /proc/%d/task: %s",
					   t->pid, strerror(-r));
		for (size_t i = 0; i < n && r >= 0; i++) {
			if (kt_inj_find_thread(t, tids[i]))
				continue;
			r = seize_thread(t, tids[i], err, err_len);
			added += r > 0;
		}
		free(tids);
		if (r < 0)
			return r;
		r = wait_all_stopped(t, true);
		if (r < 0)
			return kt_fail_msg(err, err_len, r,
					   "seize: stopping the threads of %d: "
					   "%s",
					   t->pid, strerror(-r));
		/* Every thread is stopped: none can start another. One more
		 * listing finds any started before we got to its parent. */
		if (added == 0)
			break;
	}
	if (t->ntids == 0)
		return kt_fail_msg(err, err_len, -ESRCH,
				   "seize: process %d exited", t->pid);
	return 0;
}

/* The extended state (FPU, SSE, AVX...) of the run thread. */
static int save_xstate(struct kt_target *t, pid_t tid)
{
	struct iovec iov;
	void *p;
	int r;

	t->xstate = malloc(KT_XSTATE_MAX);
	if (!t->xstate)
		return -ENOMEM;
	iov.iov_base = t->xstate;
	iov.iov_len = KT_XSTATE_MAX;
	t->xstate_type = NT_X86_XSTATE;
	r = kt_inj_ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE,
			  (uintptr_t)&iov);
	if (r == -EINVAL || r == -ENODEV || r == -EIO) {
		/* No XSAVE: the legacy FXSAVE area. */
		iov.iov_len = KT_XSTATE_MAX;
		t->xstate_type = NT_PRFPREG;
		r = kt_inj_ptrace(PTRACE_GETREGSET, tid, NT_PRFPREG,
				  (uintptr_t)&iov);
	}
	if (r < 0)
		return r;
	t->xstate_len = iov.iov_len;
	p = realloc(t->xstate, t->xstate_len);
	if (p)
		t->xstate = p; /* else the larger block serves as well */
	return 0;
}

/* Save what release puts back: registers of every thread, and the signal
 * mask and extended state of the thread we will run code in. */
static int save_state(struct kt_target *t, char *err, size_t err_len)
{
	struct kt_thread *run;
	int r;

	for (size_t i = 0; i < t->nth; i++) {
		struct kt_thread *th = &t->th[i];

		if (th->state == KT_TH_DEAD)
			continue;
		r = kt_inj_get_regs(th->tid, &th->regs);
		if (r < 0)
			return kt_fail_msg(err, err_len, r,
					   "seize: PTRACE_GETREGS of %d: %s",
					   th->tid, strerror(-r));
	}
	/* Run code in the leader if we have it, else in the first thread. */
	run = kt_inj_find_thread(t, t->pid);
	if (!run || run->state == KT_TH_DEAD)
		run = kt_inj_find_thread(t, t->tids[0]);
	t->run_tid = run->tid;

	r = kt_inj_ptrace(PTRACE_GETSIGMASK, run->tid, sizeof(t->sigmask),
			  (uintptr_t)&t->sigmask);
	if (r < 0)
		return kt_fail_msg(err, err_len, r,
				   "seize: PTRACE_GETSIGMASK of %d: %s",
				   run->tid, strerror(-r));
	r = save_xstate(t, run->tid);
	if (r < 0)
		return kt_fail_msg(err, err_len, r,
				   "seize: PTRACE_GETREGSET of %d: %s",
				   run->tid, strerror(-r));
	return 0;
}

int kt_target_seize(pid_t pid, struct kt_target **ret_target, char *err,
		    size_t err_len)
{
	struct kt_proc_info info;
	struct kt_target *t;
	char path[64];
	int r;

	r = check_target(pid, &info, err, err_len);
	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return kt_fail_msg(err, err_len, -ENOMEM, "seize: no memory");
	t->pid = pid;
	t->mem_fd = -1;
	t->sig_ign = info.sig_ign;

	r = seize_all(t, err, err_len);
	if (r < 0)
		goto detach;
	r = save_state(t, err, err_len);
	if (r < 0)
		goto detach;
	(void)snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	t->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->mem_fd < 0) {
		r = kt_fail_msg(err, err_len, -errno, "seize: open %s: %s",
				path, strerror(errno));
		goto detach;
	}
	kt_log(KT_LOG_DEBUG, "inject: seized %d: %zu thread(s)", pid, t->ntids);
	*ret_target = t;
	return 0;

detach:
	(void)kt_inj_detach_all(t); /* logs its errors; ours is the news */
	kt_inj_target_free(t);
	return r;
}

/* Detach one stopped thread, with the signal it was stopped delivering. */
static int detach_thread(struct kt_target *t, struct kt_thread *th)
{
	int sig = 0, err = 0, r;

	if (th->have_sig && th->state == KT_TH_SIGNAL) {
		sig = th->sig.si_signo;
		r = kt_inj_ptrace(PTRACE_SETSIGINFO, th->tid, 0,
				  (uintptr_t)&th->sig);
		if (r < 0 && r != -ESRCH) {
			kt_log(KT_LOG_ERROR,
			       "inject: PTRACE_SETSIGINFO of %d: %s", th->tid,
			       strerror(-r));
			err = r;
		}
	} else if (th->have_sig) {
		kt_log(KT_LOG_ERROR,
		       "inject: thread %d: %s caught at seize is lost", th->tid,
		       strsignal(th->sig.si_signo));
		err = -EPROTO;
	}
	r = kt_inj_ptrace(PTRACE_DETACH, th->tid, 0, (uintptr_t)sig);
	if (r == -ESRCH) {
		/* Not stopped any more: killed. Its exit is ours to reap. */
		kt_inj_set_state(t, th, KT_TH_RUNNING);
		return err;
	}
	if (r < 0)
		kt_log(KT_LOG_ERROR, "inject: PTRACE_DETACH of %d: %s", th->tid,
		       strerror(-r));
	kt_inj_set_state(t, th, KT_TH_DEAD);
	return kt_inj_first_err(err, r);
}

int kt_inj_detach_all(struct kt_target *t)
{
	int err, r;

	/* A thread can be detached only when stopped. */
	err = wait_all_stopped(t, false);
	if (err < 0)
		kt_log(KT_LOG_ERROR, "inject: stopping the threads of %d: %s",
		       t->pid, strerror(-err));
	for (size_t i = 0; i < t->nth; i++) {
		struct kt_thread *th = &t->th[i];

		if (th->state == KT_TH_EVENT || th->state == KT_TH_SIGNAL)
			err = kt_inj_first_err(err, detach_thread(t, th));
	}
	/* Reap the threads that died under us. */
	while (count_running(t) > 0) {
		struct kt_thread *th;
		struct kt_stop s;

		if (kt_inj_wait_event(t, false, &s) < 0)
			break; /* nothing left to wait for */
		r = on_stop(t, &s);
		err = kt_inj_first_err(err, r);
		th = kt_inj_find_thread(t, s.tid);
		/* Stopped after all: now it can go. */
		if (r == 0 && th &&
		    (th->state == KT_TH_EVENT || th->state == KT_TH_SIGNAL))
			err = kt_inj_first_err(err, detach_thread(t, th));
	}
	return err;
}
