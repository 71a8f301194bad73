/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dumping a whole process (kt_dump_process(), dump.c): what the parts
 * share. One concern per file:
 *   dump_dir.c      the image directory: temporary files, all or nothing;
 *   dump_task.c     the process and its thread: mm layout, comm, cwd, exe,
 *                   umask, auxv, rlimits, registers, rseq;
 *   dump_signals.c  handlers, blocked and pending signals, the alternate
 *                   signal stack;
 *   dump_fds.c      the file descriptors;
 *   dump_mem.c      the mappings and their contents (pages.img).
 */
#ifndef KT_LIB_DUMP_H
#define KT_LIB_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "inject.h"
#include "process_image.h"

struct kt_dump {
	pid_t pid;
	pid_t tid; /* its one thread */
	struct kt_target *target;
	struct kt_process_image *img;
	struct kt_snapshot *timers;
	char *err_buf;
	size_t err_len;

	/* The directory (dump_dir.c). */
	const char *dir;
	int dir_fd;
	bool created_dir; /* by us: removed again on failure */
	char tmp_name[32];
	int tmp_fd;   /* the temporary directory inside dir */
	int pages_fd; /* pages.img, being written there */
	uint64_t pages_size;
	uint32_t pages_crc;

	/* Facts gathered from outside that injected calls complete. */
	bool rlimits_need_injection; /* prlimit() from outside: EPERM */
	struct kt_dump_report *report;
};

#define KT_DUMP_FAIL(d, err, ...)                                              \
	kt_fail_msg((d)->err_buf, (d)->err_len, err, __VA_ARGS__)

/*
 * Run system call nr in the target. If buf_arg >= 0, args[buf_arg] is
 * replaced by the address of len bytes of scratch memory, filled from
 * in (when not NULL) before the call and copied into out (when not NULL)
 * after it. Returns 0 with the call's raw result in *ret (>= 0 or
 * -errno), or the injection's negative errno with the reason in the
 * dump's err_buf. (dump.c)
 */
KT_HIDDEN int kt_dump_call(struct kt_dump *d, const char *what, long nr,
			   long args[6], int buf_arg, const void *in, void *out,
			   size_t len, long *ret);

/* dump_dir.c */
/* Open or create dir (0700); refuse a non-empty one unless force; make
 * the temporary directory and pages.img in it. */
KT_HIDDEN int kt_dump_dir_open(struct kt_dump *d, const char *dir, bool force);
/* Create name (0600) in the temporary directory: 0 and *ret_fd. */
KT_HIDDEN int kt_dump_dir_create(struct kt_dump *d, const char *name,
				 int *ret_fd);
/* Append to pages.img, keeping its size and CRC-32C. */
KT_HIDDEN int kt_dump_pages_write(struct kt_dump *d, const void *buf,
				  size_t len);
/* Flush every file, move them into dir (process.img last), remove the
 * temporary directory. */
KT_HIDDEN int kt_dump_dir_commit(struct kt_dump *d);
/* Remove what was written (and dir, if we created it). Never fails. */
KT_HIDDEN void kt_dump_dir_abort(struct kt_dump *d);

/* dump_task.c: from outside, while the process is stopped. */
KT_HIDDEN int kt_dump_task(struct kt_dump *d);
/* dump_task.c: what needs code run in the process (brk, rlimits without
 * the right to read them from outside). */
KT_HIDDEN int kt_dump_task_inject(struct kt_dump *d);

/* dump_signals.c: pending signals (from outside), then handlers and the
 * alternate stack (injected). */
KT_HIDDEN int kt_dump_pending(struct kt_dump *d);
KT_HIDDEN int kt_dump_signals_inject(struct kt_dump *d);

/* dump_fds.c */
KT_HIDDEN int kt_dump_fds(struct kt_dump *d);

/* dump_mem.c: the mappings and their pages, before any code runs in the
 * process (which would map scratch memory and patch code). */
KT_HIDDEN int kt_dump_mem(struct kt_dump *d);

/*
 * For tests: find the contents of private mappings by reading
 * /proc/PID/pagemap even where the kernel has PAGEMAP_SCAN (Linux >=
 * 6.7), so that the fallback is exercised. Not thread-safe.
 */
KT_HIDDEN extern bool kt_dump_force_pagemap_read;

#endif /* KT_LIB_DUMP_H */
