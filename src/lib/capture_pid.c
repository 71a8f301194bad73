/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capturing another process's timers. What /proc shows (the timer list,
 * timerfd fdinfo) is read from outside; what only the process itself can
 * read (remaining times, overruns, itimers, the prctl flag, clocks in its
 * time namespace) is read by the parasite, run inside it in one round trip
 * while every thread is stopped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../core/parasite.h"
#include "capture_pid.h"
#include "procfs_fdinfo.h"
#include "procfs_read.h"
#include "procfs_timers.h"
#include "snapshot.h"

extern const unsigned char kt_parasite_blob[] KT_HIDDEN;
extern const unsigned char kt_parasite_blob_end[] KT_HIDDEN;

struct pcap {
	pid_t pid;
	struct kt_target *target;
	struct kt_snapshot *snap;
	char *err_buf;
	size_t err_len;
	/* From /proc. */
	struct kt_proc_timer *ptimers;
	size_t n_ptimers;
	int *tfds;
	size_t n_tfds;
	/* The parasite's memory in the target. */
	uint64_t scratch;
	uint64_t args_addr;
	size_t args_size;
	struct ktc_parasite_args *args; /* our copy */
};

#define FAIL(c, err, ...)                                                      \
	kt_fail_msg((c)->err_buf, (c)->err_len, err, __VA_ARGS__)

static int read_proc_timers(struct pcap *c)
{
	struct kt_parse_error perr;
	char path[64], *text;
	size_t len;
	int err;

	(void)snprintf(path, sizeof(path), "/proc/%d/timers", (int)c->pid);
	err = kt_read_text(path, &text, &len);
	if (err < 0)
		return FAIL(c, err, "%s: %s%s", path, strerrordesc_np(-err),
			    err == -ENOENT ? " (the kernel needs "
					     "CONFIG_CHECKPOINT_RESTORE)"
					   : "");
	err = kt_procfs_timers_parse(text, len, &c->ptimers, &c->n_ptimers,
				     &perr);
	free(text);
	if (err == -EINVAL)
		return FAIL(c, -EBADMSG, "%s: %s", path, perr.msg);
	if (err < 0)
		return FAIL(c, err, "%s: %s", path, strerrordesc_np(-err));
	return 0;
}

static bool is_timerfd(pid_t pid, int fd)
{
	char path[64], link[64];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[timerfd]") == 0;
}

static int find_timerfds(struct pcap *c)
{
	size_t cap = 0;
	struct dirent *de;
	char path[64];
	DIR *dir;
	int err = 0;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd", (int)c->pid);
	dir = opendir(path);
	if (!dir)
		return FAIL(c, -errno, "%s: %s", path, strerrordesc_np(errno));
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 0 || fd > INT32_MAX ||
		    !is_timerfd(c->pid, (int)fd))
			continue;
		if (c->n_tfds == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int *p = reallocarray(c->tfds, ncap, sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			c->tfds = p;
			cap = ncap;
		}
		c->tfds[c->n_tfds++] = (int)fd;
	}
	(void)closedir(dir); /* a directory: nothing to flush */
	return err;
}

/*
 * The thread IDs /proc shows are in the pid namespace of the /proc mount
 * (ours); the snapshot records them as the target sees them: the last
 * "NSpid:" field of the thread's status.
 */
static int target_tid(struct pcap *c, pid_t tid, pid_t *ret)
{
	char path[64], *text, *line;
	size_t len;
	int err;

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/status",
		       (int)c->pid, (int)tid);
	err = kt_read_text(path, &text, &len);
	if (err == -ENOENT)
		return FAIL(c, -ESRCH,
			    "a SIGEV_THREAD_ID timer targets thread %d, which "
			    "is not (or no longer) a thread of process %d",
			    (int)tid, (int)c->pid);
	if (err < 0)
		return FAIL(c, err, "%s: %s", path, strerrordesc_np(-err));
	line = strstr(text, "\nNSpid:");
	if (!line) {
		*ret = tid; /* kernels before 4.1: no nested namespaces shown */
	} else {
		char *eol = strchr(line + 1, '\n'), *last = NULL, *p;

		if (eol)
			*eol = '\0';
		for (p = line + 7; (p = strpbrk(p, "0123456789"));) {
			last = p;
			p += strspn(p, "0123456789");
		}
		*ret = last ? (pid_t)strtol(last, NULL, 10) : tid;
	}
	free(text);
	return 0;
}

static void args_layout(struct pcap *c, size_t blob_size)
{
	size_t off = (blob_size + 63) & ~(size_t)63;

	c->args_addr = c->scratch + off;
	c->args_size = sizeof(struct ktc_parasite_args) +
		       c->n_ptimers * sizeof(struct ktc_parasite_timer) +
		       c->n_tfds * sizeof(struct ktc_parasite_timerfd);
}

static int run_parasite(struct pcap *c)
{
	long ret;
	int err;

	err = kt_target_write(c->target, c->args_addr, c->args, c->args_size);
	if (err < 0)
		return FAIL(c, err, "writing the parasite's arguments: %s",
			    strerrordesc_np(-err));
	err = kt_target_call(c->target, c->scratch, c->args_addr, &ret);
	if (err < 0)
		return FAIL(c, err, "running the parasite in process %d: %s",
			    (int)c->pid, strerrordesc_np(-err));
	if (ret < 0)
		return FAIL(c, (int)ret, "the parasite refused its arguments");
	err = kt_target_read(c->target, c->args_addr, c->args, c->args_size);
	if (err < 0)
		return FAIL(c, err, "reading the parasite's results: %s",
			    strerrordesc_np(-err));
	return 0;
}

static int start_parasite(struct pcap *c)
{
	size_t blob_size = (size_t)(kt_parasite_blob_end - kt_parasite_blob);
	struct ktc_parasite_timer *t;
	struct ktc_parasite_timerfd *f;
	int err;

	args_layout(c, blob_size);
	err = kt_target_scratch(
		c->target, (size_t)(c->args_addr - c->scratch) + c->args_size,
		&c->scratch);
	if (err < 0)
		return FAIL(c, err, "mapping scratch memory in process %d: %s",
			    (int)c->pid, strerrordesc_np(-err));
	args_layout(c, blob_size); /* now at the real address */
	err = kt_target_write(c->target, c->scratch, kt_parasite_blob,
			      blob_size);
	if (err < 0)
		return FAIL(c, err, "copying the parasite: %s",
			    strerrordesc_np(-err));
	c->args = calloc(1, c->args_size);
	if (!c->args)
		return -ENOMEM;
	c->args->magic = KTC_PARASITE_MAGIC;
	c->args->op = KTC_PARASITE_CAPTURE;
	c->args->n_timers = (uint32_t)c->n_ptimers;
	c->args->n_timerfds = (uint32_t)c->n_tfds;
	c->args->timers_off = sizeof(*c->args);
	c->args->timerfds_off =
		c->args->timers_off +
		c->n_ptimers * sizeof(struct ktc_parasite_timer);
	t = (void *)((char *)c->args + c->args->timers_off);
	f = (void *)((char *)c->args + c->args->timerfds_off);
	for (size_t i = 0; i < c->n_ptimers; i++)
		t[i].id = c->ptimers[i].id;
	for (size_t i = 0; i < c->n_tfds; i++)
		f[i].fd = c->tfds[i];
	return 0;
}

static struct timespec ts_of(const struct ktc_timespec *k)
{
	return (struct timespec){(time_t)k->sec, (long)k->nsec};
}

static int64_t ns_of(const struct ktc_timespec *k)
{
	return k->sec * 1000000000 + k->nsec;
}

static int collect_timers(struct pcap *c)
{
	const struct ktc_parasite_timer *t =
		(void *)((char *)c->args + c->args->timers_off);

	for (size_t i = 0; i < c->n_ptimers; i++) {
		const struct kt_proc_timer *p = &c->ptimers[i];
		struct kt_posix_timer k = {
			.id = p->id,
			.clock = p->clock,
			.notify = p->notify,
			.signo = p->signo,
			.sigval = p->sival,
			.value = ts_of(&t[i].setting.value),
			.interval = ts_of(&t[i].setting.interval),
			.overrun = t[i].overrun,
		};
		int err;

		if (t[i].err < 0)
			return FAIL(c, t[i].err == -EINVAL ? -EAGAIN : t[i].err,
				    "POSIX timer %d of process %d: %s", p->id,
				    (int)c->pid, strerrordesc_np(-t[i].err));
		if (p->notify & SIGEV_THREAD_ID) {
			err = target_tid(c, p->notify_pid, &k.notify_tid);
			if (err < 0)
				return err;
		}
		err = kt_snapshot_add_timer(c->snap, &k);
		if (err < 0)
			return err;
	}
	return 0;
}

static int read_fdinfo(struct pcap *c, int fd, struct kt_fdinfo_timerfd *info)
{
	struct kt_parse_error perr;
	char path[64], *text;
	size_t len;
	int err;

	(void)snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)c->pid,
		       fd);
	err = kt_read_text(path, &text, &len);
	if (err < 0)
		return FAIL(c, err == -ENOENT ? -EAGAIN : err, "%s: %s", path,
			    strerrordesc_np(-err));
	err = kt_procfs_fdinfo_timerfd_parse(text, len, info, &perr);
	free(text);
	if (err < 0)
		return FAIL(c, -EBADMSG, "%s: %s", path, perr.msg);
	return 0;
}

/*
 * Timerfds: the parasite's timerfd_gettime brought each up to date (and
 * gave its remaining time); the fdinfo read next gives the ticks; a second
 * run of the parasite checks that no expiry came in between (see
 * capture.c), else the pair is read again.
 */
static int collect_timerfds(struct pcap *c)
{
	struct ktc_parasite_timerfd *f =
		(void *)((char *)c->args + c->args->timerfds_off);
	struct kt_fdinfo_timerfd *info;
	struct ktc_itimerspec *first;
	int err = 0;

	if (c->n_tfds == 0)
		return 0;
	info = calloc(c->n_tfds, sizeof(*info));
	first = calloc(c->n_tfds, sizeof(*first));
	if (!info || !first) {
		err = -ENOMEM;
		goto out;
	}
	c->args->n_timers = 0; /* later runs: timerfds only */
	c->args->timerfds_off = c->args->timers_off;
	memmove((char *)c->args + c->args->timerfds_off, f,
		c->n_tfds * sizeof(*f));
	f = (void *)((char *)c->args + c->args->timerfds_off);
	c->args_size = sizeof(*c->args) + c->n_tfds * sizeof(*f);
	for (int attempt = 0;; attempt++) {
		/* CLOCK_MONOTONIC as the last run read it, before its
		 * timerfds */
		int64_t first_at = ns_of(&c->args->clocks[1]);
		bool consistent = true;

		for (size_t i = 0; i < c->n_tfds; i++)
			first[i] = f[i].setting;
		for (size_t i = 0; i < c->n_tfds && !err; i++)
			err = read_fdinfo(c, c->tfds[i], &info[i]);
		if (!err)
			err = run_parasite(c);
		if (err)
			goto out;
		for (size_t i = 0; i < c->n_tfds; i++) {
			int64_t a = ns_of(&first[i].value);
			int64_t b = ns_of(&f[i].setting.value);

			if (f[i].err < 0) {
				err = FAIL(c,
					   f[i].err == -EBADF ? -EAGAIN
							      : f[i].err,
					   "timerfd %d of process %d: %s",
					   c->tfds[i], (int)c->pid,
					   strerrordesc_np(-f[i].err));
				goto out;
			}
			if (kt_timerfd_expired_between(
				    a, b, ns_of(&c->args->clocks[1]) - first_at,
				    ns_of(&first[i].interval)))
				consistent = false;
			/* A periodic timer reads 0 only when it is due again
			 * right after being forwarded: due now (1 ns), not
			 * disarmed. */
			if (a == 0 && ns_of(&first[i].interval) > 0)
				first[i].value.nsec = 1;
		}
		if (consistent)
			break;
		if (attempt == 15) {
			err = FAIL(c, -EAGAIN,
				   "timerfds of process %d expire too often to "
				   "be read consistently",
				   (int)c->pid);
			goto out;
		}
	}
	for (size_t i = 0; i < c->n_tfds && !err; i++) {
		struct kt_timerfd t = {
			.fd = c->tfds[i],
			.clock = info[i].clock,
			.fd_flags =
				(int)(info[i].flags & (O_NONBLOCK | O_CLOEXEC)),
			.settime_flags = (int)info[i].settime_flags,
			.value = ts_of(&first[i].value),
			.interval = ts_of(&first[i].interval),
			.ticks = info[i].ticks,
		};

		err = kt_snapshot_add_timerfd(c->snap, &t);
	}
out:
	free(info);
	free(first);
	return err;
}

static int collect_process(struct pcap *c)
{
	const struct ktc_parasite_args *a = c->args;

	for (int i = 0; i < 4; i++) {
		if (a->clock_err[i] < 0)
			return FAIL(c, a->clock_err[i],
				    "clock_gettime in process %d: %s",
				    (int)c->pid,
				    strerrordesc_np(-a->clock_err[i]));
		c->snap->clocks[i] = ts_of(&a->clocks[i]);
	}
	for (int i = 0; i < 3; i++) {
		if (a->itimer_err[i] < 0)
			return FAIL(c, a->itimer_err[i],
				    "getitimer in process %d: %s", (int)c->pid,
				    strerrordesc_np(-a->itimer_err[i]));
		c->snap->itimers[i].value =
			(struct timeval){(time_t)a->itimers[i].value.sec,
					 (suseconds_t)a->itimers[i].value.usec};
		c->snap->itimers[i].interval = (struct timeval){
			(time_t)a->itimers[i].interval.sec,
			(suseconds_t)a->itimers[i].interval.usec};
	}
	if (a->restore_ids_flag == -EINVAL)
		c->snap->restore_ids_flag = -1;
	else if (a->restore_ids_flag < 0)
		return FAIL(c, a->restore_ids_flag,
			    "prctl(PR_TIMER_CREATE_RESTORE_IDS) in process %d: "
			    "%s",
			    (int)c->pid, strerrordesc_np(-a->restore_ids_flag));
	else
		c->snap->restore_ids_flag = a->restore_ids_flag;
	return 0;
}

static int capture_stopped(struct pcap *c)
{
	int err;

	err = read_proc_timers(c);
	if (!err)
		err = find_timerfds(c);
	if (!err)
		err = start_parasite(c);
	if (!err)
		err = run_parasite(c);
	if (!err)
		err = collect_process(c);
	if (!err)
		err = collect_timers(c);
	if (!err)
		err = collect_timerfds(c);
	return err;
}

int kt_capture_target(struct kt_target *target, struct kt_snapshot **ret_snap,
		      char *err_buf, size_t err_len)
{
	struct pcap c = {.pid = kt_target_pid(target),
			 .target = target,
			 .err_buf = err_buf,
			 .err_len = err_len};
	char who[64];
	int err;

	c.snap = kt_snapshot_new();
	if (!c.snap)
		return -ENOMEM;
	err = capture_stopped(&c);
	if (err == 0) {
		(void)snprintf(who, sizeof(who), "process %d", (int)c.pid);
		err = kt_snapshot_seal(c.snap, who, c.err_buf, c.err_len);
	}
	free(c.args);
	free(c.ptimers);
	free(c.tfds);
	if (err < 0) {
		kt_snapshot_free(c.snap);
		return err;
	}
	*ret_snap = c.snap;
	return 0;
}

int kt_capture_pid(pid_t pid, struct kt_snapshot **ret_snap,
		   const struct kt_capture_opts *opts)
{
	struct kt_snapshot *snap = NULL;
	struct kt_target *target;
	char why[256], *err_buf;
	size_t err_len;
	int err, rel;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !ret_snap || pid <= 0)
		return -EINVAL;
	err_buf = KT_OPT_GET(opts, err_buf, NULL);
	err_len = KT_OPT_GET(opts, err_len, 0);
	if (err_buf && err_len)
		err_buf[0] = '\0';

	err = kt_target_seize(pid, &target, why, sizeof(why));
	if (err < 0)
		return kt_fail_msg(err_buf, err_len, err, "%s", why);
	err = kt_capture_target(target, &snap, err_buf, err_len);
	rel = kt_target_release(target);
	if (rel < 0 && err == 0)
		err = kt_fail_msg(err_buf, err_len, rel,
				  "letting process %d go: %s", (int)pid,
				  strerrordesc_np(-rel));
	if (err < 0) {
		kt_snapshot_free(snap);
		return err;
	}
	*ret_snap = snap;
	return 0;
}
