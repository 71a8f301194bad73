/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KT_LIB_PROCFS_READ_H
#define KT_LIB_PROCFS_READ_H

#include <stddef.h>

#include "internal.h"

/* The most keeptime reads of one /proc file (10^6 timers' worth). */
#define KT_PROC_TEXT_MAX (128u << 20)

/*
 * Read a whole /proc text file (whose size stat(2) does not tell) into a
 * malloc'd, NUL-terminated buffer. Returns 0, -EFBIG past
 * KT_PROC_TEXT_MAX, -ENOMEM, or the negative errno of open/read.
 */
KT_HIDDEN int kt_read_text(const char *path, char **ret_text, size_t *ret_len);

#endif /* KT_LIB_PROCFS_READ_H */
