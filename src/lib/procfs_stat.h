/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of what a dump reads from /proc/PID/stat (fs/proc/array.c
 * do_task_stat()) and the Umask line of /proc/PID/status. The text is
 * untrusted: it must be exactly what the kernel writes.
 */
#ifndef KT_LIB_PROCFS_STAT_H
#define KT_LIB_PROCFS_STAT_H

#include <stdint.h>

#include "text.h"

/* The memory layout fields of /proc/PID/stat (proc(5) numbering). */
struct kt_proc_stat {
	char state;	      /* 3 */
	uint64_t start_code;  /* 26 */
	uint64_t end_code;    /* 27 */
	uint64_t start_stack; /* 28 */
	uint64_t start_data;  /* 45 */
	uint64_t end_data;    /* 46 */
	uint64_t start_brk;   /* 47 */
	uint64_t arg_start;   /* 48 */
	uint64_t arg_end;     /* 49 */
	uint64_t env_start;   /* 50 */
	uint64_t env_end;     /* 51 */
};

/*
 * Parse /proc/PID/stat: "PID (COMM) S" and at least 49 more decimal
 * fields (Linux >= 3.5 writes 52 in all), each after one space, the last
 * followed by the only newline. COMM may hold anything: the fields start
 * after the last ')'. Returns 0, or -EINVAL with err quoting the text;
 * *ret is untouched on failure.
 */
KT_HIDDEN int kt_procfs_stat_parse(const char *text, size_t len,
				   struct kt_proc_stat *ret,
				   struct kt_parse_error *err);

/*
 * The "Umask:\t%#04o" line of /proc/PID/status (Linux >= 4.7): 0 and
 * *ret_umask (0..0777), -ENOENT if there is no such line, -EINVAL with err
 * naming the line if it is malformed or repeated.
 */
KT_HIDDEN int kt_procfs_status_umask(const char *text, size_t len,
				     unsigned *ret_umask,
				     struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_STAT_H */
