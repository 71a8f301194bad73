/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the command's arguments: numbers, clocks, notifications. */
#ifndef KT_CLI_ARGS_H
#define KT_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cli.h"

/*
 * Each parser returns 0 and stores the value, or returns CLI_EXIT_USAGE
 * after printing one line naming the option ("what") and the bad text.
 */

/* A decimal integer in [min, max]. */
int args_int(const struct cli *cli, const char *what, const char *s,
	     long long min, long long max, long long *ret);

/* A decimal unsigned integer in [min, max]. */
int args_uint(const struct cli *cli, const char *what, const char *s,
	      uint64_t min, uint64_t max, uint64_t *ret);

/*
 * A timer ID as the kernel's 32-bit timer_t holds it. Whether it is a
 * valid ID (0..KT_TIMER_ID_MAX) is for the library to say.
 */
int args_timer_id(const struct cli *cli, const char *s, int *ret);

/* A positive, finite number of seconds, as nanoseconds. */
int args_seconds_ns(const struct cli *cli, const char *what, const char *s,
		    uint64_t *ret_ns);

/*
 * A clock: realtime, monotonic, boottime, tai, process-cpu, or a number
 * (clockid_t, e.g. a CPU clock from clock_getcpuclockid(3)). The kernel
 * decides whether it can carry a timer.
 */
int args_clock(const struct cli *cli, const char *s, clockid_t *ret);

/* The name of a clock for people: "monotonic", or its number. */
const char *args_clock_name(clockid_t clock, char *buf, size_t len);

/* How a timer notifies: signal, none, thread-id (SIGEV_* values). */
int args_notify(const struct cli *cli, const char *s, int *ret);

/*
 * Report what getopt_long() refused (it returned '?' or ':'): the text of
 * the offending argument is argv[optind - 1]. Returns CLI_EXIT_USAGE.
 */
int args_getopt_err(const struct cli *cli, int c, char **argv);

/* Whether this option of a command asks for its help. */
bool args_is_help(const char *arg);

#endif /* KT_CLI_ARGS_H */
