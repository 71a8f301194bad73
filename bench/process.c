/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process case: how long a dump and a restore of a whole process take,
 * and where the restore's time goes (issue 6: restore the bundled workload
 * faster than CRIU's 34 ms).
 *
 * This body runs in the measuring child (child.c). Untimed, it:
 *   - finds the workload, keeptime-workload in the directory of the
 *     keeptime binary (a build tree; an installed keeptime has none, and
 *     the case is skipped);
 *   - makes a log file and an image directory in $TMPDIR (or /tmp);
 *   - fork()s and exec()s `keeptime-workload run`, which asks for SIGKILL
 *     when the measurer dies (PR_SET_PDEATHSIG); its stdin is /dev/null,
 *     its stdout and stderr the log (O_APPEND: a restore opens the two
 *     apart), nothing else is open;
 *   - forks the guard (below);
 *   - waits until the log says the workload is ready and has counted once.
 * Then each run, the first an untimed warm-up: kt_dump_process() with
 * KT_DUMP_KILL into the directory, timed, and the stop its report gives;
 * the killed process reaped (here, or by the library already: its PID must
 * be free); kt_restore_process(), timed, and the parts its report gives.
 * The restored process must have the dumped PID and the workload's timers
 * (3 POSIX timers, 1 timerfd), or the run fails. It is the measurer's
 * child, and the next run dumps it. Each run is sent to the parent as it
 * ends (bench_report_run()). At the end the last restored process must
 * still be running; it is killed and reaped, and the files are removed.
 *
 * A restored process has no PR_SET_PDEATHSIG (the restore clears it) and
 * a session of its own: should the measurer die (killed at its timeout, a
 * ^C), nothing would end it. So the guard, a process in a session of its
 * own, waits on a socket from the measurer: at end of file it kills the
 * workload (if its PID still names one) and removes the files. The
 * measurer, once it has cleaned up itself, dismisses the guard with a
 * byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"

#define READY_TIMEOUT_NS 10000000000u /* start and first count line: 10 s */
#define READY_POLL_NS	 5000000      /* the log is read every 5 ms */
#define COMM_LEN	 16	      /* TASK_COMM_LEN */

struct proc {
	char exe[PATH_MAX];  /* the workload */
	char comm[COMM_LEN]; /* its name, as /proc/PID/comm says it */
	char log[PATH_MAX];  /* its stdout and stderr; "": none yet */
	char dir[PATH_MAX];  /* the image directory; "": none yet */
	int log_fd;	     /* the log, for reading; -1: closed */
	pid_t pid;	     /* the workload's PID, run after run */
	bool running;	     /* pid is our child, not reaped */
	pid_t guard;	     /* -1: none */
	int guard_fd;	     /* the measurer's end of the guard's socket */
};

/* ----------------------------------------------------------------------- */
/* Files                                                                   */
/* ----------------------------------------------------------------------- */

/* close_range(2), or one close(2) at a time before Linux 5.9. */
static void close_fds(unsigned lo, unsigned hi)
{
	if (lo > hi || syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	for (unsigned fd = lo; fd <= hi && fd < 1024; fd++)
		(void)close((int)fd); /* most are not open: EBADF */
}

static int find_workload(struct proc *p, struct bench_sample *out)
{
	const char *name = BENCH_PROCESS_WORKLOAD;
	size_t name_len = strlen(name);
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int err;

	if (k < 0) {
		err = -errno;
		bench_msg(out, "readlink /proc/self/exe: %s", strerror(-err));
		return err;
	}
	self[k] = '\0';
	slash = strrchr(self, '/');
	if (!slash) {
		bench_msg(out, "/proc/self/exe is '%s', not a path", self);
		return -EINVAL;
	}
	*slash = '\0';
	if (snprintf(p->exe, sizeof(p->exe), "%s/%s", self, name) >=
	    (int)sizeof(p->exe)) {
		bench_msg(out, "%s/%s: path too long", self, name);
		return -ENAMETOOLONG;
	}
	if (access(p->exe, X_OK) < 0) {
		err = -errno;
		out->skip = err == -ENOENT;
		if (out->skip)
			bench_msg(out,
				  "no %s next to keeptime in %s: it comes "
				  "with a build, not an installation",
				  name, self);
		else
			bench_msg(out, "%s: %s", p->exe, strerror(-err));
		return err;
	}
	/* exec names the process after the file, cut to 15 bytes. */
	if (name_len > COMM_LEN - 1)
		name_len = COMM_LEN - 1;
	memcpy(p->comm, name, name_len);
	p->comm[name_len] = '\0';
	return 0;
}

static int make_files(struct proc *p, struct bench_sample *out)
{
	const char *tmp = getenv("TMPDIR");
	int err;

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	if (snprintf(p->log, sizeof(p->log), "%s/keeptime-bench-XXXXXX", tmp) >=
		    (int)sizeof(p->log) ||
	    snprintf(p->dir, sizeof(p->dir), "%s/keeptime-bench-XXXXXX", tmp) >=
		    (int)sizeof(p->dir)) {
		p->log[0] = p->dir[0] = '\0';
		bench_msg(out, "TMPDIR is too long");
		return -ENAMETOOLONG;
	}
	p->log_fd = mkostemp(p->log, O_CLOEXEC);
	if (p->log_fd < 0) {
		err = -errno;
		bench_msg(out, "mkstemp in %s: %s", tmp, strerror(-err));
		p->log[0] = p->dir[0] = '\0';
		return err;
	}
	if (!mkdtemp(p->dir)) {
		err = -errno;
		bench_msg(out, "mkdtemp in %s: %s", tmp, strerror(-err));
		p->dir[0] = '\0';
		return err;
	}
	return 0;
}

/* The first failure of the removal below (one walk at a time: a child). */
static int remove_err;

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0 && remove_err == 0)
		remove_err = -errno;
	return 0; /* remove the rest all the same */
}

/* Remove the log and the image directory, whatever is in it. 0 or the
 * first -errno. */
static int remove_files(struct proc *p)
{
	int err = 0;

	if (p->log_fd >= 0)
		(void)close(p->log_fd); /* read only: nothing to lose */
	p->log_fd = -1;
	if (p->log[0] && unlink(p->log) < 0)
		err = -errno;
	p->log[0] = '\0';
	if (p->dir[0]) {
		remove_err = 0;
		if (nftw(p->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) < 0 &&
		    remove_err == 0)
			remove_err = -errno;
		if (err == 0)
			err = remove_err;
	}
	p->dir[0] = '\0';
	return err;
}

/* The log from its start, NUL-terminated (cut to len - 1). 0 or -errno. */
static int read_log(const struct proc *p, char *buf, size_t len)
{
	ssize_t k;

	do
		k = pread(p->log_fd, buf, len - 1, 0);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	buf[k] = '\0';
	return 0;
}

/* The first line of a log read by read_log(), for a message. */
static const char *first_line(char *buf)
{
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? buf : "nothing";
}

/* ----------------------------------------------------------------------- */
/* The workload and the guard                                              */
/* ----------------------------------------------------------------------- */

static void __attribute__((noreturn))
workload_main(const struct proc *p, pid_t measurer)
{
	char *const argv[] = {BENCH_PROCESS_WORKLOAD, "run", NULL};
	sigset_t none;
	int in, log;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != measurer)
		_exit(127);
	in = open("/dev/null", O_RDONLY);
	log = open(p->log, O_WRONLY | O_APPEND);
	if (in < 0 || log < 0 || dup2(in, STDIN_FILENO) < 0 ||
	    dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
		_exit(127);
	close_fds(3, ~0U);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL); /* cannot fail */
	execv(p->exe, argv);
	dprintf(STDERR_FILENO, "exec %s: %s\n", p->exe, strerror(errno));
	_exit(127);
}

/* Whether the process at p->pid is (still) a workload, by its name. */
static bool is_workload(const struct proc *p)
{
	char path[64], comm[COMM_LEN + 1];
	ssize_t k;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%d/comm", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	k = read(fd, comm, sizeof(comm) - 1);
	(void)close(fd); /* read only */
	if (k <= 0)
		return false;
	comm[k] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, p->comm) == 0;
}

static void __attribute__((noreturn)) guard_main(struct proc *p, int fd)
{
	ssize_t k;
	char c;

	/* Out of the terminal's process group: a ^C is not for the guard.
	 * Nothing of the measurer's kept open: its parent waits for the end
	 * of file of the sample pipe. */
	(void)setsid();
	if (fd > 0)
		close_fds(0, (unsigned)fd - 1);
	close_fds((unsigned)fd + 1, ~0U);
	p->log_fd = -1;
	do
		k = read(fd, &c, 1);
	while (k < 0 && errno == EINTR);
	if (k != 1) {
		/* The measurer is gone without cleaning up. */
		if (is_workload(p))
			(void)kill(p->pid, SIGKILL);
		(void)remove_files(p); /* no one to tell */
	}
	_exit(0);
}

/* Start the workload, then its guard. */
static int start(struct proc *p, struct bench_sample *out)
{
	pid_t measurer = getpid();
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		bench_msg(out, "socketpair: %s", strerror(-err));
		return err;
	}
	p->pid = fork();
	if (p->pid < 0) {
		err = -errno;
		bench_msg(out, "fork of the workload: %s", strerror(-err));
		goto close_both;
	}
	if (p->pid == 0)
		workload_main(p, measurer);
	p->running = true;
	p->guard = fork();
	if (p->guard < 0) {
		err = -errno;
		bench_msg(out, "fork of the guard: %s", strerror(-err));
		goto close_both;
	}
	if (p->guard == 0) {
		(void)close(sv[0]);
		guard_main(p, sv[1]);
	}
	(void)close(sv[1]);
	p->guard_fd = sv[0];
	return 0;

close_both:
	(void)close(sv[0]);
	(void)close(sv[1]);
	return err;
}

/* Until the log says the workload is ready and has counted once. */
static int wait_ready(struct proc *p, struct bench_sample *out)
{
	const struct timespec poll_ts = {0, READY_POLL_NS};
	uint64_t start = 0, now = 0;
	char buf[1024];
	int err, status;

	err = bench_now_ns(&start);
	while (err == 0) {
		const char *ready;
		pid_t w;

		err = read_log(p, buf, sizeof(buf));
		if (err < 0) {
			bench_msg(out, "reading %s: %s", p->log,
				  strerror(-err));
			return err;
		}
		ready = strstr(buf, " ready\n");
		if (ready && strchr(ready + 7, '\n'))
			return 0;
		w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid) {
			p->running = false;
			bench_msg(out,
				  "the workload ended (status 0x%x) before it "
				  "counted; its log: %s",
				  (unsigned)status, first_line(buf));
			return -ECHILD;
		}
		if (w < 0 && errno != EINTR) {
			err = -errno;
			bench_msg(out, "waitpid of the workload: %s",
				  strerror(-err));
			return err;
		}
		err = bench_now_ns(&now);
		if (err == 0 && now - start > READY_TIMEOUT_NS) {
			bench_msg(out,
				  "the workload %d has not counted within "
				  "%u s; its log: %s",
				  (int)p->pid,
				  (unsigned)(READY_TIMEOUT_NS / 1000000000u),
				  first_line(buf));
			return -ETIMEDOUT;
		}
		(void)nanosleep(&poll_ts, NULL); /* EINTR: read again sooner */
	}
	bench_msg(out, "clock_gettime: %s", strerror(-err));
	return err;
}

/* ----------------------------------------------------------------------- */
/* The runs                                                                */
/* ----------------------------------------------------------------------- */

/* A dump or a restore failed: not permitted here skips the case. */
static int call_failed(int err, const char *label, const char *what,
		       const char *why, struct bench_sample *out)
{
	if (!why[0])
		why = strerror(-err);
	out->skip = err == -EPERM;
	if (out->skip)
		bench_msg(out, "%s not permitted: %s", what, why);
	else
		bench_msg(out, "%s: %s: %s", label, what, why);
	return err;
}

/* The dumped process, killed by the dump: reaped here if the library has
 * not, so that its PID is free for the restore. */
static int reap_dumped(struct proc *p, const char *label,
		       struct bench_sample *out)
{
	int status, err;
	pid_t w;

	do
		w = waitpid(p->pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno != ECHILD) {
		err = -errno;
		bench_msg(out, "%s: waitpid of the dumped process %d: %s",
			  label, (int)p->pid, strerror(-err));
		return err;
	}
	p->running = false;
	if (w == p->pid &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		bench_msg(out,
			  "%s: the dumped process %d ended by itself (status "
			  "0x%x), not by the dump's kill",
			  label, (int)p->pid, (unsigned)status);
		return -EPROTO;
	}
	return 0;
}

static int clock_read(uint64_t *t, struct bench_sample *out)
{
	int err = bench_now_ns(t);

	if (err < 0)
		bench_msg(out, "clock_gettime: %s", strerror(-err));
	return err;
}

/*
 * One run: dump (the process killed), reap, restore, check. s receives
 * the parts, the timers, the mappings and the bytes restored; out the
 * reason of a failure.
 */
static int run_once(struct proc *p, const char *label, struct bench_sample *s,
		    struct bench_sample *out)
{
	const uint64_t timers =
		BENCH_PROCESS_POSIX_TIMERS + BENCH_PROCESS_TIMERFDS;
	struct kt_dump_report drep = {0};
	struct kt_restore_process_report rrep = {0};
	char why[200] = "";
	KT_OPTS(kt_dump_opts, dopts, .flags = KT_DUMP_KILL | KT_DUMP_FORCE,
		.err_buf = why, .err_len = sizeof(why), .report = &drep);
	KT_OPTS(kt_restore_process_opts, ropts, .err_buf = why,
		.err_len = sizeof(why), .report = &rrep);
	uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, parts;
	pid_t pid = -1;
	int err;

	err = clock_read(&t0, out);
	if (err < 0)
		return err;
	err = kt_dump_process(p->pid, p->dir, &dopts);
	if (err < 0)
		return call_failed(err, label, "dump", why, out);
	err = clock_read(&t1, out);
	if (err == 0)
		err = reap_dumped(p, label, out);
	if (err == 0)
		err = clock_read(&t2, out);
	if (err < 0)
		return err;
	err = kt_restore_process(p->dir, &ropts, &pid);
	if (err < 0)
		return call_failed(err, label, "restore", why, out);
	err = clock_read(&t3, out);
	if (pid != p->pid) {
		/* Our child all the same: kill it where cleaning up. */
		bench_msg(out, "%s: process %d restored as %d", label,
			  (int)p->pid, (int)pid);
		p->pid = pid;
		err = -EPROTO;
	}
	p->running = true;
	if (err < 0)
		return err;
	if (drep.n_timers != timers || rrep.n_timers != timers) {
		bench_msg(out,
			  "%s: %llu timers dumped and %llu restored, not %llu",
			  label, (unsigned long long)drep.n_timers,
			  (unsigned long long)rrep.n_timers,
			  (unsigned long long)timers);
		return -EPROTO;
	}
	s->part_ns[BENCH_PROC_DUMP] = t1 - t0;
	s->part_ns[BENCH_PROC_DUMP_STOPPED] = drep.stopped_ns;
	s->part_ns[BENCH_PROC_RESTORE] = t3 - t2;
	s->part_ns[BENCH_PROC_RESTORE_MEMORY] = rrep.memory_ns;
	s->part_ns[BENCH_PROC_RESTORE_TIMERS] = rrep.timers_ns;
	parts = rrep.memory_ns + rrep.timers_ns;
	s->part_ns[BENCH_PROC_RESTORE_REST] =
		t3 - t2 > parts ? t3 - t2 - parts : 0;
	s->count = rrep.n_timers;
	s->vmas = rrep.n_vmas;
	s->bytes = rrep.pages_bytes;
	return 0;
}

/*
 * Kill and reap the workload if it is there. After good runs the last
 * restored process must still be running: one that ended by itself fails
 * the sample (prior_err >= 0).
 */
static int end_workload(struct proc *p, int prior_err, struct bench_sample *out)
{
	char buf[1024] = "";
	int status, err;

	if (!p->running)
		return 0;
	if (kill(p->pid, SIGKILL) < 0) {
		/* Our child, not reaped: cannot happen. */
		err = -errno;
		if (prior_err >= 0)
			bench_msg(out, "kill of the workload %d: %s",
				  (int)p->pid, strerror(-err));
		return err;
	}
	while (waitpid(p->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			if (prior_err >= 0)
				bench_msg(out, "waitpid of the workload: %s",
					  strerror(-err));
			return err;
		}
	}
	p->running = false;
	if (prior_err >= 0 &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		if (p->log_fd >= 0)
			(void)read_log(p, buf, sizeof(buf)); /* for the msg */
		bench_msg(out,
			  "the restored workload %d ended by itself (status "
			  "0x%x); its log: %s",
			  (int)p->pid, (unsigned)status, first_line(buf));
		return -ECHILD;
	}
	return 0;
}

/* Clean up after the workload, then dismiss the guard. */
static int finish(struct proc *p, int prior_err, struct bench_sample *out)
{
	char dir[PATH_MAX];
	int err = end_workload(p, prior_err, out);
	int rm;

	memcpy(dir, p->dir, sizeof(dir));
	rm = remove_files(p);
	if (rm < 0 && err >= 0 && prior_err >= 0) {
		bench_msg(out, "removing the log or %s: %s", dir,
			  strerror(-rm));
		err = rm;
	}
	if (p->guard_fd >= 0) {
		/* Should this fail, the guard finds nothing left to do. */
		(void)send(p->guard_fd, "", 1, MSG_NOSIGNAL);
		(void)close(p->guard_fd); /* a socket: nothing to flush */
		p->guard_fd = -1;
	}
	if (p->guard > 0)
		while (waitpid(p->guard, NULL, 0) < 0 && errno == EINTR)
			;
	return err;
}

int bench_process(const void *arg, struct bench_sample *out)
{
	const struct bench_case *c = arg;
	struct proc p = {.log_fd = -1, .pid = -1, .guard = -1, .guard_fd = -1};
	struct bench_sample s = {0};
	char label[32];
	int err, end_err;

	bench_prefault();
	err = find_workload(&p, out);
	if (err == 0)
		err = make_files(&p, out);
	if (err == 0)
		err = start(&p, out);
	if (err == 0)
		err = wait_ready(&p, out);
	/* The first dump is of the exec()ed process, and the first calls
	 * fault the library's pages in: not timed. */
	if (err == 0)
		err = run_once(&p, "warm-up run", &s, out);
	for (unsigned run = 0; err == 0 && run < c->n; run++) {
		(void)snprintf(label, sizeof(label), "run %u of %u", run + 1,
			       c->n);
		s = (struct bench_sample){0};
		err = run_once(&p, label, &s, out);
		if (err == 0) {
			err = bench_report_run(&s);
			if (err < 0)
				bench_msg(out, "%s: reporting it: %s", label,
					  strerror(-err));
		}
	}
	end_err = finish(&p, err, out);
	if (err == 0)
		err = end_err;
	if (err == 0)
		out->count = c->n;
	return err;
}
