/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Showing /proc/self/timers as the kernel writes it. */
#ifndef KT_CLI_SHOW_TIMERS_H
#define KT_CLI_SHOW_TIMERS_H

#include <stdio.h>

/*
 * Copy /proc/self/timers to out under the heading "/proc/self/timers
 * WHEN:", each line indented, or say why it cannot be read (the file needs
 * CONFIG_CHECKPOINT_RESTORE). Returns 0 or -errno of a failed read; a
 * missing file is reported in the output and is not an error.
 */
int show_proc_timers(FILE *out, const char *when)
	__attribute__((warn_unused_result));

#endif /* KT_CLI_SHOW_TIMERS_H */
