/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's log messages, on stderr. */
#include <stdio.h>

#include "cli.h"

static const char *level_name(enum kt_log_level level)
{
	switch (level) {
	case KT_LOG_DEBUG:
		return "debug";
	case KT_LOG_INFO:
		return "info";
	case KT_LOG_WARN:
		return "warning";
	case KT_LOG_ERROR:
		return "error";
	}
	return "log";
}

static void log_to_stderr(enum kt_log_level level, const char *msg, void *ctx)
{
	const struct cli *cli = ctx;

	/* Warnings and errors always; everything with -v. */
	if (level < KT_LOG_WARN && !cli->verbose)
		return;
	if (level == KT_LOG_ERROR && cli->report_errors_itself)
		return;
	fprintf(stderr, "keeptime: %s: %s\n", level_name(level), msg);
}

void cli_install_log(struct cli *cli)
{
	/* Everything reaches the callback: -v is known only later. */
	kt_set_log(log_to_stderr, KT_LOG_DEBUG, cli);
}

int cli_timers_create(struct cli *cli, const struct kt_timer_spec *specs,
		      size_t n, const struct kt_create_opts *opts)
{
	int err;

	cli->report_errors_itself = true;
	err = kt_timers_create(specs, n, opts);
	cli->report_errors_itself = false;
	return err;
}
