/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal helpers of the host library. */
#ifndef KT_LIB_INTERNAL_H
#define KT_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <keeptime/keeptime.h>

#define KT_HIDDEN __attribute__((visibility("hidden")))

/* Log a formatted line through the installed callback, if any. */
KT_HIDDEN void kt_log(enum kt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Report a failure: log it, write it to err_buf (if any, one line) and
 * return err (a negative errno).
 */
KT_HIDDEN int kt_fail_msg(char *err_buf, size_t err_len, int err,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The name of a system call a core report names (enum ktc_sys), or NULL. */
KT_HIDDEN const char *kt_sys_name(int sys);

/*
 * Options structures (libbpf's scheme): the caller's sz says how much of
 * the structure it knows. A larger sz is accepted only if the bytes this
 * library does not know are zero.
 */
KT_HIDDEN bool kt_opts_valid(const void *opts, size_t known_sz);

/* The field's value if the caller's structure has it, else the default. */
#define KT_OPT_HAS(opts, field)                                                \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +        \
					 sizeof((opts)->field))
#define KT_OPT_GET(opts, field, dflt)                                          \
	(KT_OPT_HAS(opts, field) ? (opts)->field : (dflt))

#endif /* KT_LIB_INTERNAL_H */
