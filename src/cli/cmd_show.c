/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime show: what an image file holds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "snapshot_print.h"

void cmd_show_help(FILE *f)
{
	fputs("Usage: keeptime show [--json] PID\n"
	      "       keeptime show [--json] FILE\n"
	      "\n"
	      "Show the timers of a running process, or of an image file:\n"
	      "each POSIX timer with its ID, clock, notification, signal,\n"
	      "value, remaining time, interval and overrun; then the itimers\n"
	      "and the timerfds.\n"
	      "\n"
	      "PID (digits only): the process is stopped with ptrace for the\n"
	      "moment of the capture and let go exactly as it was; it needs\n"
	      "the right to trace it. A file named by digits only is written\n"
	      "./NAME.\n"
	      "FILE: an image written by 'keeptime dump' or\n"
	      "kt_snapshot_save() (docs/image-format.md); '-' reads standard\n"
	      "input. It is validated whole first: a damaged one is refused\n"
	      "with the byte offset and the field that is wrong.\n"
	      "\n"
	      "  --json        print one JSON object (docs/json-schema.md)\n"
	      "  -h, --help    show this help\n"
	      "\n"
	      "Exit status: 0 shown, 1 the process or file could not be read,\n"
	      "2 usage error.\n",
	      f);
}

/* Digits only: a PID. */
static bool is_pid(const char *s, pid_t *ret)
{
	long long v = 0;

	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
		if (v > 4194304) /* PID_MAX_LIMIT */
			return false;
	}
	*ret = (pid_t)v;
	return v > 0;
}

static int load_pid(struct cli *cli, pid_t pid, struct kt_snapshot **snap)
{
	char err[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = err, .err_len = sizeof(err));
	int r;

	cli->report_errors_itself = true;
	r = kt_capture_pid(pid, snap, &opts);
	cli->report_errors_itself = false;
	if (r < 0) {
		cli_err("%s: process %d: %s", cli->cmd, (int)pid,
			err[0] ? err : strerror(-r));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kt_snapshot *snap = NULL;
	char err[256], source[4096 + 16];
	KT_OPTS(kt_load_opts, opts, .err_buf = err, .err_len = sizeof(err));
	bool json = false;
	const char *path;
	pid_t pid;
	int c, fd, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			cmd_show_help(stdout);
			return CLI_EXIT_OK;
		default:
			return args_getopt_err(cli, c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_err(cli, optind >= argc ? "no FILE given"
							 : "one FILE only");
	path = argv[optind];
	if (is_pid(path, &pid)) {
		r = load_pid(cli, pid, &snap);
		if (r != CLI_EXIT_OK)
			return r;
		(void)snprintf(source, sizeof(source), "process %d", (int)pid);
		goto print;
	}
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_err("show: %s: %s", path, strerror(errno));
			return CLI_EXIT_FAIL;
		}
	}
	err[0] = '\0';
	cli->report_errors_itself = true; /* the reason is printed below */
	r = kt_snapshot_load(fd, &snap, &opts);
	cli->report_errors_itself = false;
	if (fd != STDIN_FILENO)
		(void)close(fd); /* read-only */
	if (r < 0) {
		cli_err("show: %s: %s", path, err[0] ? err : strerror(-r));
		return CLI_EXIT_FAIL;
	}
	(void)snprintf(source, sizeof(source), "image %s", path);
print:
	if (json)
		snapshot_print_json(stdout, snap, source);
	else
		snapshot_print_table(stdout, snap, source);
	kt_snapshot_free(snap);
	return CLI_EXIT_OK;
}
