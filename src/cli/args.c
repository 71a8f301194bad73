/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the command's arguments: numbers, clocks, notifications. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int args_int(const struct cli *cli, const char *what, const char *s,
	     long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end)
		return cli_usage_err(cli, "%s: '%s' is not a decimal integer",
				     what, s);
	if (errno == ERANGE || v < min || v > max)
		return cli_usage_err(cli, "%s: %s is out of range (%lld..%lld)",
				     what, s, min, max);
	*ret = v;
	return 0;
}

int args_uint(const struct cli *cli, const char *what, const char *s,
	      uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	/* strtoull accepts "-1" as a huge number: require a digit first. */
	if (!isdigit((unsigned char)*s))
		return cli_usage_err(
			cli, "%s: '%s' is not a non-negative decimal integer",
			what, s);
	v = strtoull(s, &end, 10);
	if (*end)
		return cli_usage_err(
			cli, "%s: '%s' is not a non-negative decimal integer",
			what, s);
	if (errno == ERANGE || v < min || v > max)
		return cli_usage_err(cli, "%s: %s is out of range (%llu..%llu)",
				     what, s, (unsigned long long)min,
				     (unsigned long long)max);
	*ret = v;
	return 0;
}

int args_seconds_ns(const struct cli *cli, const char *what, const char *s,
		    uint64_t *ret_ns)
{
	/* Beyond this the nanoseconds would not fit comfortably: 31 years. */
	const double max_s = 1e9;
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || isspace((unsigned char)*s) || *end || errno == ERANGE ||
	    !isfinite(v))
		return cli_usage_err(cli, "%s: '%s' is not a number of seconds",
				     what, s);
	if (v <= 0 || v > max_s)
		return cli_usage_err(
			cli, "%s: %s is out of range (0 < seconds <= %.0f)",
			what, s, max_s);
	*ret_ns = (uint64_t)(v * 1e9);
	if (*ret_ns == 0)
		*ret_ns = 1;
	return 0;
}

int args_timer_id(const struct cli *cli, const char *s, int *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end)
		return cli_usage_err(cli,
				     "'%s' is not a timer ID (a decimal "
				     "integer)",
				     s);
	/* The kernel's timer_t is 32 bits; the range is the library's. */
	if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
		return cli_usage_err(cli,
				     "'%s' is not a timer ID (it does not fit "
				     "in 32 bits)",
				     s);
	*ret = (int)v;
	return 0;
}

static const struct {
	const char *name;
	clockid_t clock;
} clocks[] = {
	{"realtime", CLOCK_REALTIME},
	{"monotonic", CLOCK_MONOTONIC},
	{"boottime", CLOCK_BOOTTIME},
	{"tai", CLOCK_TAI},
	/* The kernel records it as the encoded PROCESS_CLOCK, -6. */
	{"process-cpu", CLOCK_PROCESS_CPUTIME_ID},
};

int args_clock(const struct cli *cli, const char *s, clockid_t *ret)
{
	long long v;
	int err;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (strcmp(s, clocks[i].name) == 0) {
			*ret = clocks[i].clock;
			return 0;
		}
	}
	if (!isdigit((unsigned char)*s) && *s != '-')
		return cli_usage_err(
			cli,
			"--clock: unknown clock '%s' (realtime, monotonic, "
			"boottime, tai, process-cpu or a number)",
			s);
	err = args_int(cli, "--clock", s, INT32_MIN, INT32_MAX, &v);
	if (err)
		return err;
	*ret = (clockid_t)v;
	return 0;
}

const char *args_clock_name(clockid_t clock, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		if (clocks[i].clock == clock)
			return clocks[i].name;
	(void)snprintf(buf, len, "%d", (int)clock); /* a short number fits */
	return buf;
}

int args_notify(const struct cli *cli, const char *s, int *ret)
{
	if (strcmp(s, "signal") == 0)
		*ret = SIGEV_SIGNAL;
	else if (strcmp(s, "none") == 0)
		*ret = SIGEV_NONE;
	else if (strcmp(s, "thread-id") == 0)
		*ret = SIGEV_THREAD_ID;
	else
		return cli_usage_err(
			cli,
			"--notify: unknown notification '%s' (signal, none or "
			"thread-id)",
			s);
	return 0;
}

int args_getopt_err(const struct cli *cli, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	bool long_opt = strncmp(arg, "--", 2) == 0;

	if (c == ':')
		return cli_usage_err(cli, "option '%s' needs an argument", arg);
	if (long_opt && strchr(arg, '='))
		return cli_usage_err(cli,
				     "unknown option, or option without "
				     "an argument given one: '%s'",
				     arg);
	/*
	 * A short option may sit inside a bundle ("-qx") and optind may not
	 * have moved past it yet: name the character getopt stopped at.
	 */
	if (!long_opt && optopt > 0 && optopt < 128 &&
	    isprint((unsigned char)optopt))
		return cli_usage_err(cli, "unknown option '-%c'", optopt);
	return cli_usage_err(cli, "unknown option '%s'", arg);
}

bool args_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}
