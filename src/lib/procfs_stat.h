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

/* The most groups the Groups line may list (NGROUPS_MAX). */
#define KT_PROC_NGROUPS_MAX 65536

/* The credentials and security state of /proc/PID/status. */
struct kt_proc_creds {
	uint32_t uid[4];  /* Uid: real, effective, saved, filesystem */
	uint32_t gid[4];  /* Gid: likewise */
	uint32_t *groups; /* Groups: malloc'd (NULL if none), the caller
			     frees it */
	size_t n_groups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	unsigned no_new_privs; /* 0 or 1 */
	unsigned seccomp;      /* 0, 1 (strict), 2 (filter); 0 if no line */
};

/*
 * The lines "Uid:" and "Gid:" (four "\t%u"), "Groups:" ("\t", then
 * "%u" separated by single spaces, and a trailing space as Linux >= 4.5
 * writes it, or none), "CapInh:" .. "CapAmb:" ("\t%016llx"),
 * "NoNewPrivs:" ("\t0" or "\t1") and "Seccomp:" ("\t0" .. "\t2"; a
 * kernel without CONFIG_SECCOMP has none: 0) of /proc/PID/status. Each
 * but Seccomp must appear, and none twice. Returns 0 and *ret (free
 * ret->groups), -ENOENT with err naming a missing line (Linux < 4.10 has
 * no NoNewPrivs), -EINVAL with err quoting a malformed or repeated line,
 * or -ENOMEM; *ret is untouched on failure.
 */
KT_HIDDEN int kt_procfs_status_creds(const char *text, size_t len,
				     struct kt_proc_creds *ret,
				     struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_STAT_H */
