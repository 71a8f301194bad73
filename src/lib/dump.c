/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kt_dump_process(): the whole state of a process into an image directory
 * (docs/process-image.md). The order matters:
 *
 *   1. the directory is made ready (refused before the process is touched
 *      if it is not empty);
 *   2. the process is seized: every thread stopped, registers, extended
 *      state and signal mask saved (inject_seize.c);
 *   3. what can be read from outside is read while nothing has run in the
 *      process: /proc (mm layout, names, umask, auxv, rlimits,
 *      descriptors, the memory map), ptrace (rseq, pending signals) and
 *      the memory itself, into pages.img;
 *   4. code runs in the process for what only it can read: the timers
 *      (the parasite, capture_pid.c), brk(0), sigaltstack, rt_sigaction.
 *      It maps scratch memory and patches a code page, which is why the
 *      memory was read before;
 *   5. the process is let go as it was (kt_target_release());
 *   6. timers.img and process.img are written and everything moved into
 *      place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture_pid.h"
#include "dump.h"
#include "snapshot.h"

int kt_dump_call(struct kt_dump *d, const char *what, long nr, long args[6],
		 int buf_arg, const void *in, void *out, size_t len, long *ret)
{
	uint64_t addr = 0;
	int r;

	if (buf_arg >= 0) {
		r = kt_target_scratch(d->target, len, &addr);
		if (r < 0)
			return KT_DUMP_FAIL(d, r,
					    "mapping scratch memory in process "
					    "%d: %s",
					    (int)d->pid, strerror(-r));
		if (in && (r = kt_target_write(d->target, addr, in, len)) < 0)
			return KT_DUMP_FAIL(d, r,
					    "%s: writing its arguments: %s",
					    what, strerror(-r));
		args[buf_arg] = (long)addr;
	}
	r = kt_target_syscall(d->target, nr, args, ret);
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "running %s in process %d: %s", what,
				    (int)d->pid, strerror(-r));
	if (buf_arg >= 0 && out && *ret >= 0 &&
	    (r = kt_target_read(d->target, addr, out, len)) < 0)
		return KT_DUMP_FAIL(d, r, "%s: reading its results: %s", what,
				    strerror(-r));
	return 0;
}

/* The process must see the pids we see: same pid namespace as ours. */
static int same_pid_ns(struct kt_dump *d)
{
	struct stat ours, theirs;
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)d->pid);
	if (stat("/proc/self/ns/pid", &ours) < 0 || stat(path, &theirs) < 0)
		return KT_DUMP_FAIL(d, -errno, "%s: %s", path, strerror(errno));
	if (ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "process %d lives in another pid namespace "
				    "than keeptime: not supported",
				    (int)d->pid);
	return 0;
}

/* Steps 3 and 4, the process seized. */
static int dump_stopped(struct kt_dump *d)
{
	const pid_t *tids;
	size_t n = kt_target_threads(d->target, &tids);
	int r;

	if (n != 1)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "process %d has %zu threads: keeptime "
				    "dumps single-threaded processes only",
				    (int)d->pid, n);
	d->tid = tids[0];
	r = same_pid_ns(d);
	/* From outside, nothing run in the process yet. */
	if (!r)
		r = kt_dump_task(d);
	if (!r)
		r = kt_dump_pending(d);
	if (!r)
		r = kt_dump_fds(d);
	if (!r)
		r = kt_dump_mem(d);
	/* Code runs in the process from here on. */
	if (!r)
		r = kt_capture_target(d->target, &d->timers, d->err_buf,
				      d->err_len);
	if (!r)
		r = kt_dump_task_inject(d);
	if (!r)
		r = kt_dump_signals_inject(d);
	return r;
}

/* timers.img: its size and the checksum in its header. */
static int write_timers(struct kt_dump *d)
{
	unsigned char crc[4];
	off_t size = 0;
	int fd, r;

	r = kt_dump_dir_create(d, KT_PIMG_TIMERS, &fd);
	if (r < 0)
		return r;
	r = kt_snapshot_save(d->timers, fd);
	if (r == 0 &&
	    ((size = lseek(fd, 0, SEEK_END)) < 0 ||
	     pread(fd, crc, sizeof(crc), 24) != sizeof(crc) || fsync(fd) < 0))
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "%s/%s: %s", d->dir, KT_PIMG_TIMERS,
				    strerror(-r));
	d->img->files.timers_size = (uint64_t)size;
	d->img->files.timers_crc = (uint32_t)kt_img_get_le(crc, 4);
	return 0;
}

static int write_process(struct kt_dump *d)
{
	unsigned char *buf;
	size_t len;
	int fd, r;

	d->img->files.pages_size = d->pages_size;
	d->img->files.pages_crc = d->pages_crc;
	r = kt_process_image_encode(d->img, &buf, &len);
	if (r < 0)
		return r;
	r = kt_dump_dir_create(d, KT_PIMG_PROCESS, &fd);
	if (r == 0) {
		r = kt_img_write_all(fd, buf, len);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r < 0)
			r = KT_DUMP_FAIL(d, r, "%s/%s: %s", d->dir,
					 KT_PIMG_PROCESS, strerror(-r));
	}
	free(buf);
	return r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int kt_dump_process(pid_t pid, const char *dir, const struct kt_dump_opts *opts)
{
	struct kt_dump d = {
		.pid = pid, .dir_fd = -1, .tmp_fd = -1, .pages_fd = -1};
	struct kt_dump_report *report;
	uint64_t t0 = now_ns(), t_seized, t_released = 0;
	char why[256];
	unsigned flags;
	int err, rel;

	if (!kt_opts_valid(opts, sizeof(*opts)) || pid <= 0 || !dir || !*dir)
		return -EINVAL;
	flags = KT_OPT_GET(opts, flags, 0u);
	if (flags & ~(unsigned)(KT_DUMP_FORCE | KT_DUMP_KILL))
		return -EINVAL;
	d.err_buf = KT_OPT_GET(opts, err_buf, NULL);
	d.err_len = KT_OPT_GET(opts, err_len, 0);
	report = KT_OPT_GET(opts, report, NULL);
	if (d.err_buf && d.err_len)
		d.err_buf[0] = '\0';
	d.img = kt_process_image_new();
	if (!d.img)
		return -ENOMEM;

	err = kt_dump_dir_open(&d, dir, flags & KT_DUMP_FORCE);
	if (err < 0)
		goto free_image;
	err = kt_target_seize(pid, &d.target, why, sizeof(why));
	if (err < 0) {
		err = KT_DUMP_FAIL(&d, err, "%s", why);
		goto abort;
	}
	t_seized = now_ns();
	err = dump_stopped(&d);
	if (!(flags & KT_DUMP_KILL) || err < 0) {
		rel = kt_target_release(d.target);
		d.target = NULL;
		t_released = now_ns();
		if (rel < 0 && err == 0)
			err = KT_DUMP_FAIL(&d, rel, "letting process %d go: %s",
					   (int)pid, strerror(-rel));
	}
	if (err == 0)
		err = write_timers(&d);
	if (err == 0)
		err = write_process(&d);
	if (err == 0)
		err = kt_dump_dir_commit(&d);
	if (d.target) {
		/* KT_DUMP_KILL: held until the image is in place, then killed
		 * (release reaps it); let go running if the image is not. */
		if (err == 0 && kill(pid, SIGKILL) < 0)
			err = KT_DUMP_FAIL(&d, -errno, "killing process %d: %s",
					   (int)pid, strerror(errno));
		(void)kt_target_release(d.target);
		t_released = now_ns();
	}
	if (err < 0)
		goto abort;
	kt_log(KT_LOG_INFO,
	       "dump: process %d: %zu mapping(s), %llu bytes of memory, %zu "
	       "descriptor(s), stopped %.3f ms",
	       (int)pid, d.img->n_vmas, (unsigned long long)d.pages_size,
	       d.img->n_fds, (double)(t_released - t_seized) / 1e6);
	if (report)
		*report = (struct kt_dump_report){
			.n_vmas = d.img->n_vmas,
			.pages_bytes = d.pages_size,
			.n_fds = d.img->n_fds,
			.n_timers = kt_snapshot_posix_timer_count(d.timers) +
				    kt_snapshot_timerfd_count(d.timers),
			.stopped_ns = t_released - t_seized,
			.elapsed_ns = now_ns() - t0,
		};
	goto free_image;

abort:
	kt_dump_dir_abort(&d);
free_image:
	kt_snapshot_free(d.timers);
	kt_process_image_free(d.img);
	return err;
}
