/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for, and telling apart, the ptrace stops of a traced process. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inject.h"

/* How long the polling fallback sleeps between rounds. */
#define POLL_NS 100000L

void kt_stop_decode(pid_t tid, int status, struct kt_stop *ret_stop)
{
	struct kt_stop s = {.tid = tid, .status = status};
	int event = (unsigned)status >> 16;

	if (WIFEXITED(status)) {
		s.kind = KT_STOP_EXITED;
		s.sig = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		s.kind = KT_STOP_EXITED;
		s.sig = WTERMSIG(status);
	} else if (!WIFSTOPPED(status)) {
		s.kind = KT_STOP_OTHER; /* WIFCONTINUED: not asked for */
	} else if (event == PTRACE_EVENT_STOP) {
		s.kind = KT_STOP_EVENT;
		s.sig = WSTOPSIG(status);
	} else if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
		   event == PTRACE_EVENT_VFORK) {
		s.kind = KT_STOP_CLONE;
		s.sig = WSTOPSIG(status);
	} else if (event != 0) {
		s.kind = KT_STOP_OTHER;
		s.sig = WSTOPSIG(status);
	} else if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
		s.kind = KT_STOP_SYSCALL;
		s.sig = SIGTRAP;
	} else {
		s.kind = KT_STOP_SIGNAL;
		s.sig = WSTOPSIG(status);
	}
	*ret_stop = s;
}

/*
 * Whether tid is listed, or (new_threads) is a thread of pid that we do not
 * know yet.
 */
static bool is_ours(pid_t pid, const pid_t *tids, size_t n, bool new_threads,
		    pid_t tid)
{
	char path[64];
	struct stat st;

	for (size_t i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	if (!new_threads)
		return false;
	if (snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid) >=
	    (int)sizeof(path))
		return false;
	return stat(path, &st) == 0;
}

/*
 * Consume the pending event of tid, if there is one. Returns 1 with
 * *ret_stop, 0 if there was none, or a negative errno (-ECHILD: tid is not
 * ours to wait for).
 */
static int reap_one(pid_t tid, struct kt_stop *ret_stop)
{
	int status;
	pid_t r;

	do {
		r = waitpid(tid, &status, __WALL | WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	kt_stop_decode(tid, status, ret_stop);
	return 1;
}

/*
 * Poll the listed threads and the threads /proc shows, sleeping between
 * rounds, until one of them has an event.
 */
static int poll_ours(pid_t pid, const pid_t *tids, size_t n, bool new_threads,
		     struct kt_stop *ret_stop)
{
	const struct timespec pause = {0, POLL_NS};

	for (;;) {
		size_t live = 0, ntask = 0;
		pid_t *task = NULL;
		int r;

		for (size_t i = 0; i < n; i++) {
			r = reap_one(tids[i], ret_stop);
			if (r > 0)
				return 0;
			if (r == 0)
				live++;
		}
		if (new_threads && kt_proc_tasks(pid, &task, &ntask) == 0) {
			for (size_t i = 0; i < ntask; i++) {
				r = reap_one(task[i], ret_stop);
				if (r > 0) {
					free(task);
					return 0;
				}
			}
			free(task);
		}
		if (live == 0 && ntask == 0)
			return -ECHILD;
		(void)nanosleep(&pause, NULL); /* EINTR: just poll again */
	}
}

int kt_ptrace_wait(pid_t pid, const pid_t *tids, size_t n, bool new_threads,
		   struct kt_stop *ret_stop)
{
	for (;;) {
		siginfo_t si;
		int r;

		/*
		 * Look at the next event of any child or tracee without
		 * consuming it, then consume it only if it is ours.
		 */
		memset(&si, 0, sizeof(si));
		r = waitid(P_ALL, 0, &si,
			   WEXITED | WSTOPPED | __WALL | WNOWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (si.si_pid == 0)
			continue;
		if (!is_ours(pid, tids, n, new_threads, si.si_pid))
			return poll_ours(pid, tids, n, new_threads, ret_stop);
		r = reap_one(si.si_pid, ret_stop);
		if (r > 0)
			return 0;
		if (r < 0 && r != -ECHILD)
			return r;
		/* Seen but not ours to consume after all: do not spin. */
		return poll_ours(pid, tids, n, new_threads, ret_stop);
	}
}
