/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime dump: the timers of a running process, into an image file. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "args.h"

void cmd_dump_help(FILE *f)
{
	fputs("Usage: keeptime dump PID -o FILE [--force]\n"
	      "\n"
	      "Capture the timers of process PID (its POSIX timers, itimers\n"
	      "and timerfds, its PR_TIMER_CREATE_RESTORE_IDS flag and clocks)\n"
	      "and write them as an image file (docs/image-format.md), created\n"
	      "with mode 0600. The process is stopped with ptrace for the\n"
	      "moment of the capture and let go exactly as it was (it goes on\n"
	      "running); it needs the right to trace it. The file is written\n"
	      "whole or not at all.\n"
	      "\n"
	      "  -o, --output FILE  the image to write (required)\n"
	      "  -f, --force        replace FILE if it exists\n"
	      "  -h, --help         show this help\n"
	      "\n"
	      "Exit status: 0 written, 1 the capture or the write failed,\n"
	      "2 usage error.\n",
	      f);
}

int cmd_dump(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kt_snapshot *snap = NULL;
	char err[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = err, .err_len = sizeof(err));
	const char *out = NULL;
	bool force = false;
	long long pid;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			cmd_dump_help(stdout);
			return CLI_EXIT_OK;
		default:
			return args_getopt_err(cli, c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_err(cli, optind >= argc ? "no PID given"
							 : "one PID only");
	if (!out)
		return cli_usage_err(cli, "no output file (-o FILE)");
	r = args_int(cli, "PID", argv[optind], 1, 4194304, &pid);
	if (r)
		return r;

	cli->report_errors_itself = true;
	r = kt_capture_pid((pid_t)pid, &snap, &opts);
	cli->report_errors_itself = false;
	if (r < 0) {
		cli_err("dump: process %lld: %s", pid,
			err[0] ? err : strerror(-r));
		return CLI_EXIT_FAIL;
	}
	r = kt_snapshot_save_file(snap, out, !force);
	if (r < 0) {
		cli_err("dump: %s: %s%s", out, strerror(-r),
			r == -EEXIST ? " (use --force to replace it)" : "");
		kt_snapshot_free(snap);
		return CLI_EXIT_FAIL;
	}
	printf("process %lld: %zu POSIX timer(s), %zu timerfd(s) written to "
	       "%s\n",
	       pid, kt_snapshot_posix_timer_count(snap),
	       kt_snapshot_timerfd_count(snap), out);
	kt_snapshot_free(snap);
	return CLI_EXIT_OK;
}
