/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capturing the calling process's timers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../core/ktc.h"
#include "procfs_fdinfo.h"
#include "procfs_read.h"
#include "procfs_timers.h"
#include "snapshot.h"

struct capture {
	struct kt_snapshot *snap;
	char *err_buf;
	size_t err_len;
};

#define FAIL(cap, err, ...)                                                    \
	kt_fail_msg((cap)->err_buf, (cap)->err_len, err, __VA_ARGS__)

static int capture_clocks(struct capture *cap)
{
	for (int i = 0; i < KT_SNAP_NCLOCKS; i++)
		if (clock_gettime(kt_snap_clock_ids[i], &cap->snap->clocks[i]) <
		    0)
			return FAIL(cap, -errno, "clock_gettime(%d): %s",
				    kt_snap_clock_ids[i],
				    strerrordesc_np(errno));
	return 0;
}

static int capture_flag(struct capture *cap)
{
	int v = ktc_restore_ids_get();

	if (v == -EINVAL)
		v = -1; /* no such prctl */
	else if (v < 0)
		return FAIL(cap, v,
			    "prctl(PR_TIMER_CREATE_RESTORE_IDS, GET): %s",
			    strerrordesc_np(-v));
	cap->snap->restore_ids_flag = v;
	return 0;
}

/* SIGEV_THREAD_ID targets appear in /proc in the pid namespace of the /proc
 * mount; keeptime records them as the process sees them, so both must be
 * the same namespace. */
static int check_proc_pidns(struct capture *cap)
{
	char link[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
	char expect[32];

	if (n < 0)
		return FAIL(cap, -errno, "readlink /proc/self: %s",
			    strerrordesc_np(errno));
	link[n] = '\0';
	(void)snprintf(expect, sizeof(expect), "%d", (int)getpid());
	if (strcmp(link, expect) != 0)
		return FAIL(cap, -EXDEV,
			    "/proc belongs to another pid namespace (it calls "
			    "this process %s, the process is %s): the target "
			    "threads of SIGEV_THREAD_ID timers cannot be "
			    "translated",
			    link, expect);
	return 0;
}

static int capture_posix_timers(struct capture *cap)
{
	struct kt_proc_timer *pt = NULL;
	struct kt_parse_error perr;
	bool checked_ns = false;
	size_t len, n = 0;
	char *text;
	int err;

	err = kt_read_text("/proc/self/timers", &text, &len);
	if (err == -ENOENT)
		return FAIL(cap, err,
			    "/proc/self/timers does not exist: the kernel "
			    "needs CONFIG_CHECKPOINT_RESTORE and "
			    "CONFIG_POSIX_TIMERS, and /proc must be mounted");
	if (err < 0)
		return FAIL(cap, err, "/proc/self/timers: %s",
			    strerrordesc_np(-err));
	err = kt_procfs_timers_parse(text, len, &pt, &n, &perr);
	free(text);
	if (err == -EINVAL)
		return FAIL(cap, -EBADMSG, "/proc/self/timers: %s", perr.msg);
	if (err < 0)
		return FAIL(cap, err, "/proc/self/timers: %s",
			    strerrordesc_np(-err));

	for (size_t i = 0; i < n && err == 0; i++) {
		struct kt_posix_timer t = {
			.id = pt[i].id,
			.clock = pt[i].clock,
			.notify = pt[i].notify,
			.signo = pt[i].signo,
			.sigval = pt[i].sival,
		};
		struct itimerspec its;
		long ov;

		if (t.notify & SIGEV_THREAD_ID) {
			if (!checked_ns) {
				err = check_proc_pidns(cap);
				if (err < 0)
					break;
				checked_ns = true;
			}
			t.notify_tid = pt[i].notify_pid;
		}
		/* Raw calls: the kernel's ID, not a glibc timer_t. */
		if (syscall(SYS_timer_gettime, t.id, &its) < 0 ||
		    (ov = syscall(SYS_timer_getoverrun, t.id)) < 0) {
			err = errno == EINVAL ? -EAGAIN : -errno;
			(void)FAIL(cap, err, "POSIX timer %d: %s", t.id,
				   errno == EINVAL
					   ? "vanished during the capture"
					   : strerrordesc_np(errno));
			break;
		}
		t.value = its.it_value;
		t.interval = its.it_interval;
		t.overrun = (int)ov;
		err = kt_snapshot_add_timer(cap->snap, &t);
	}
	free(pt);
	return err;
}

/*
 * A timer signal still pending cannot be read in-process without consuming
 * it, so the snapshot does not carry it: say so for each timer whose signal
 * is pending now (docs/exactness.md).
 */
static void note_pending_signals(const struct kt_snapshot *snap)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return;
	for (size_t i = 0; i < snap->n_timers; i++) {
		const struct kt_posix_timer *t = &snap->timers[i];

		if (t->notify != SIGEV_NONE && t->signo > 0 &&
		    t->signo < NSIG && sigismember(&pending, t->signo) == 1)
			kt_log(KT_LOG_INFO,
			       "POSIX timer %d: signal %d is pending at capture; "
			       "an in-process restore does not carry pending "
			       "signals",
			       t->id, t->signo);
	}
}

static int capture_itimers(struct capture *cap)
{
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++) {
		struct itimerval v;

		if (getitimer(w, &v) < 0)
			return FAIL(cap, -errno, "getitimer(%d): %s", w,
				    strerrordesc_np(errno));
		cap->snap->itimers[w].value = v.it_value;
		cap->snap->itimers[w].interval = v.it_interval;
	}
	return 0;
}

static bool is_timerfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[timerfd]") == 0;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/*
 * One timerfd. Its value and interval come from timerfd_gettime(2), which
 * also forwards an expired periodic timer and so brings the fdinfo's tick
 * count up to date; the ticks come from the fdinfo read right after. An
 * expiry between the two would make them disagree by one, so a second
 * timerfd_gettime checks that none happened, and the reading is retried.
 */
static int capture_timerfd(struct capture *cap, int fd)
{
	struct kt_fdinfo_timerfd info;
	struct kt_parse_error perr;
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	for (int attempt = 0; attempt < 16; attempt++) {
		struct itimerspec a, b;
		struct timespec ta, tb;
		size_t len;
		char *text;
		int err;

		(void)clock_gettime(CLOCK_MONOTONIC, &ta); /* cannot fail */
		if (timerfd_gettime(fd, &a) < 0)
			return FAIL(cap, errno == EBADF ? -EAGAIN : -errno,
				    "timerfd %d: timerfd_gettime: %s", fd,
				    strerrordesc_np(errno));
		err = kt_read_text(path, &text, &len);
		if (err < 0)
			return FAIL(cap, err == -ENOENT ? -EAGAIN : err,
				    "%s: %s", path, strerrordesc_np(-err));
		err = kt_procfs_fdinfo_timerfd_parse(text, len, &info, &perr);
		free(text);
		if (err < 0)
			return FAIL(cap, -EBADMSG, "%s: %s", path, perr.msg);
		if (timerfd_gettime(fd, &b) < 0)
			return FAIL(cap, -errno,
				    "timerfd %d: timerfd_gettime: %s", fd,
				    strerrordesc_np(errno));
		(void)clock_gettime(CLOCK_MONOTONIC, &tb);
		if (kt_timerfd_expired_between(
			    ts_ns(&a.it_value), ts_ns(&b.it_value),
			    ts_ns(&tb) - ts_ns(&ta), ts_ns(&a.it_interval)))
			continue;
		/* A periodic timer reads 0 only when it is due again right
		 * after being forwarded: it is due now (1 ns), not disarmed. */
		if (ts_ns(&a.it_interval) > 0 && ts_ns(&a.it_value) == 0)
			a.it_value.tv_nsec = 1;

		struct kt_timerfd t = {
			.fd = fd,
			.clock = info.clock,
			.fd_flags = (int)(info.flags &
					  (TFD_NONBLOCK | TFD_CLOEXEC)),
			.settime_flags = (int)info.settime_flags,
			.value = a.it_value,
			.interval = a.it_interval,
			.ticks = info.ticks,
		};
		return kt_snapshot_add_timerfd(cap->snap, &t);
	}
	return FAIL(cap, -EAGAIN,
		    "timerfd %d expires too often to be read consistently", fd);
}

static int capture_timerfds(struct capture *cap)
{
	int *fds = NULL;
	size_t n = 0, cap_fds = 0;
	struct dirent *de;
	DIR *dir;
	int err = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return FAIL(cap, -errno, "/proc/self/fd: %s",
			    strerrordesc_np(errno));
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd == dirfd(dir) || fd < 0 ||
		    !is_timerfd((int)fd))
			continue;
		if (n == cap_fds) {
			size_t ncap = cap_fds ? cap_fds * 2 : 8;
			int *p = reallocarray(fds, ncap, sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			fds = p;
			cap_fds = ncap;
		}
		fds[n++] = (int)fd;
	}
	(void)closedir(dir); /* a directory: nothing to flush */
	for (size_t i = 0; i < n && err == 0; i++)
		err = capture_timerfd(cap, fds[i]);
	free(fds);
	return err;
}

int kt_capture_self(struct kt_snapshot **ret_snap,
		    const struct kt_capture_opts *opts)
{
	struct capture cap = {0};
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !ret_snap)
		return -EINVAL;
	cap.err_buf = KT_OPT_GET(opts, err_buf, NULL);
	cap.err_len = KT_OPT_GET(opts, err_len, 0);
	if (cap.err_buf && cap.err_len)
		cap.err_buf[0] = '\0';
	cap.snap = kt_snapshot_new();
	if (!cap.snap)
		return -ENOMEM;

	err = capture_clocks(&cap);
	if (!err)
		err = capture_flag(&cap);
	if (!err)
		err = capture_posix_timers(&cap);
	if (!err) {
		note_pending_signals(cap.snap);
		err = capture_itimers(&cap);
	}
	if (!err)
		err = capture_timerfds(&cap);
	if (!err)
		err = kt_snapshot_seal(cap.snap, "this process", cap.err_buf,
				       cap.err_len);
	if (err < 0) {
		kt_snapshot_free(cap.snap);
		return err;
	}
	kt_log(KT_LOG_DEBUG,
	       "captured %zu POSIX timer(s), %zu timerfd(s) of this process",
	       cap.snap->n_timers, cap.snap->n_timerfds);
	*ret_snap = cap.snap;
	return 0;
}
