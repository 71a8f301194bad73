/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One measurement in a fresh fork()ed child. After fork() the child has no
 * POSIX timers and its next-ID counter is 0 (copy_signal() starts a new
 * signal_struct; the PR_TIMER_CREATE_RESTORE_IDS flag is not inherited
 * either), so every run starts from the same kernel state. The child writes
 * one struct bench_sample to a pipe and leaves with _exit(): no atexit
 * handlers, no stdio buffers of the parent flushed twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"

int bench_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* In a child: the pipe to the parent, for bench_report_run(). */
static int child_fd = -1;

int bench_report_run(struct bench_sample *s)
{
	s->run = true;
	return bench_write_all(child_fd, s, sizeof(*s));
}

static void __attribute__((noreturn))
child_main(int fd, bench_body_fn body, const void *arg)
{
	struct bench_sample s = {0};

	/*
	 * The library's log callback belongs to the parent's terminal; here a
	 * failure travels in the sample, and nothing may print while timing.
	 */
	kt_set_log(NULL, KT_LOG_ERROR, NULL);
	child_fd = fd;
	s.err = body(arg, &s);
	s.run = false; /* the final sample, whatever the body left */
	if (s.err < 0 && !s.msg[0])
		(void)snprintf(s.msg, sizeof(s.msg), "%s", strerror(-s.err));
	_exit(bench_write_all(fd, &s, sizeof(s)) < 0 ? 2 : 0);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one sample, waiting at most until deadline_ms. 0 or -errno. */
static int read_sample(int fd, int64_t deadline_ms, struct bench_sample *out)
{
	char *p = (char *)out;
	size_t got = 0;

	while (got < sizeof(*out)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline_ms - monotonic_ms();
		ssize_t k;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the deadline is checked above */
		k = read(fd, p + got, sizeof(*out) - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EPIPE; /* the child left without a word */
		got += (size_t)k;
	}
	return 0;
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Read the samples of the runs, handing each to take(), then the final
 * one, all by deadline_ms. *got counts the runs. 0, -ETIMEDOUT, -EPROTO
 * for a run too many, or -errno.
 */
static int read_samples(int fd, int64_t deadline_ms,
			const struct bench_runs *runs, unsigned *got,
			struct bench_sample *out)
{
	for (;;) {
		int err = read_sample(fd, deadline_ms, out);

		if (err < 0 || !out->run)
			return err;
		if (!runs || *got == runs->runs)
			return -EPROTO;
		runs->take(out, (*got)++, runs->ctx);
	}
}

int bench_in_child(bench_body_fn body, const void *arg, int timeout_s,
		   struct bench_sample *out)
{
	return bench_in_child_runs(body, arg, timeout_s, NULL, out);
}

int bench_in_child_runs(bench_body_fn body, const void *arg, int timeout_s,
			const struct bench_runs *runs, struct bench_sample *out)
{
	unsigned want = runs ? runs->runs : 0, got = 0;
	struct bench_sample s = {0};
	int fds[2], status, err, werr;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		(void)snprintf(out->msg, sizeof(out->msg), "pipe: %s",
			       strerror(-err));
		return err;
	}
	/* Whatever the parent has buffered must not be written twice. */
	(void)fflush(NULL); /* a failure shows when the parent writes again */
	pid = fork();
	if (pid < 0) {
		err = -errno;
		(void)snprintf(out->msg, sizeof(out->msg), "fork: %s",
			       strerror(-err));
		goto close_pipe;
	}
	if (pid == 0) {
		(void)close(fds[0]); /* the child's copy; nothing to lose */
		child_main(fds[1], body, arg);
	}
	(void)close(fds[1]); /* so that a dead child reads as EOF */
	fds[1] = -1;

	err = read_samples(fds[0], monotonic_ms() + (int64_t)timeout_s * 1000,
			   runs, &got, &s);
	if ((err == -ETIMEDOUT || err == -EPROTO) && kill(pid, SIGKILL) < 0 &&
	    errno != ESRCH) {
		/* Unkillable: waiting for it would hang too. */
		err = -errno;
		(void)snprintf(out->msg, sizeof(out->msg),
			       "kill of the child %d: %s", (int)pid,
			       strerror(-err));
		goto close_pipe;
	}
	werr = wait_child(pid, &status);
	if (werr < 0) {
		(void)snprintf(out->msg, sizeof(out->msg), "waitpid: %s",
			       strerror(-werr));
		err = werr;
		goto close_pipe;
	}

	if (err == -ETIMEDOUT) {
		(void)snprintf(out->msg, sizeof(out->msg),
			       "no result within %d s: child killed",
			       timeout_s);
	} else if (err == -EPROTO) {
		(void)snprintf(out->msg, sizeof(out->msg),
			       "the child reported more than %u runs: child "
			       "killed",
			       want);
	} else if (WIFSIGNALED(status)) {
		err = -ECHILD;
		(void)snprintf(out->msg, sizeof(out->msg),
			       "the child was killed by signal %d (%s)",
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (err < 0 || WEXITSTATUS(status) != 0) {
		(void)snprintf(out->msg, sizeof(out->msg),
			       "the child exited with status %d without a "
			       "result (%s)",
			       WEXITSTATUS(status),
			       err < 0 ? strerror(-err) : "bad exit");
		err = err < 0 ? err : -ECHILD;
	} else if (s.err == 0 && got != want) {
		err = -EPROTO;
		(void)snprintf(out->msg, sizeof(out->msg),
			       "the child reported %u of %u runs", got, want);
	} else {
		*out = s;
		err = s.err;
	}

close_pipe:
	(void)close(fds[0]); /* read side, done with */
	if (fds[1] >= 0)
		(void)close(fds[1]);
	return err;
}
