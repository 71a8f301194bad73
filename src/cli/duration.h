/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Durations for people. */
#ifndef KT_CLI_DURATION_H
#define KT_CLI_DURATION_H

#include <stddef.h>

/*
 * Write ns as "812 ns", "3.21 us", "12.3 ms" or "1.52 s" (three significant
 * digits) into buf and return buf. A NaN gives "-".
 */
const char *duration_str(double ns, char *buf, size_t len);

#endif /* KT_CLI_DURATION_H */
