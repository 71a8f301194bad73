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
	fputs("Usage: keeptime show [--json] FILE\n"
	      "\n"
	      "Show the timers an image file holds (written by\n"
	      "kt_snapshot_save(), docs/image-format.md): each POSIX timer\n"
	      "with its ID, clock, notification, signal, value, remaining\n"
	      "time, interval and overrun; then the itimers and the timerfds.\n"
	      "FILE '-' reads standard input. The image is validated whole\n"
	      "first: a damaged one is refused with the byte offset and the\n"
	      "field that is wrong.\n"
	      "\n"
	      "  --json        print one JSON object (docs/json-schema.md)\n"
	      "  -h, --help    show this help\n"
	      "\n"
	      "Exit status: 0 shown, 1 not a valid image or unreadable,\n"
	      "2 usage error.\n",
	      f);
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
	if (json)
		snapshot_print_json(stdout, snap, source);
	else
		snapshot_print_table(stdout, snap, source);
	kt_snapshot_free(snap);
	return CLI_EXIT_OK;
}
