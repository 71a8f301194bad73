/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeptime dump: the timers of a running process into an image file (-o),
 * or the whole process into an image directory (-D).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "args.h"

void cmd_dump_help(FILE *f)
{
	fputs("Usage: keeptime dump PID -o FILE [--force]\n"
	      "       keeptime dump PID -D DIR [--force] [--kill]\n"
	      "\n"
	      "With -o, capture the timers of process PID (its POSIX timers,\n"
	      "itimers and timerfds, its PR_TIMER_CREATE_RESTORE_IDS flag and\n"
	      "clocks) and write them as an image file\n"
	      "(docs/image-format.md).\n"
	      "\n"
	      "With -D, dump the whole process into the image directory DIR\n"
	      "(docs/process-image.md): registers, memory map and contents,\n"
	      "signal state, rseq, cwd, umask, rlimits, comm, file\n"
	      "descriptors and timers. Single-threaded processes only;\n"
	      "pipes, sockets, terminals and other descriptors that are not\n"
	      "files, directories or character devices are refused, naming\n"
	      "the descriptor. DIR is created (mode 0700) if missing and must\n"
	      "be empty unless --force.\n"
	      "\n"
	      "Files are created with mode 0600 and written whole or not at\n"
	      "all. The process is stopped with ptrace for the moment of the\n"
	      "dump and let go exactly as it was (it goes on running), unless\n"
	      "--kill; it needs the right to trace it.\n"
	      "\n"
	      "  -o, --output FILE  the timer image to write\n"
	      "  -D, --dir DIR      the directory of a whole-process dump\n"
	      "  -f, --force        replace FILE if it exists; write into DIR\n"
	      "                     if it is not empty (the image's files are\n"
	      "                     replaced, others left alone)\n"
	      "  -k, --kill         with -D: kill the process once the image\n"
	      "                     is written, without letting it run on in\n"
	      "                     between (for a restore that replaces it);\n"
	      "                     if the dump fails it goes on running\n"
	      "  -h, --help         show this help\n"
	      "\n"
	      "Exit status: 0 written, 1 the capture or the write failed,\n"
	      "2 usage error.\n",
	      f);
}

/* -D DIR: the whole process. */
static int dump_dir(struct cli *cli, long long pid, const char *dir,
		    unsigned flags)
{
	struct kt_dump_report report;
	char err[512];
	KT_OPTS(kt_dump_opts, opts, .flags = flags, .err_buf = err,
		.err_len = sizeof(err), .report = &report);
	int r;

	cli->report_errors_itself = true;
	r = kt_dump_process((pid_t)pid, dir, &opts);
	cli->report_errors_itself = false;
	if (r < 0) {
		cli_err("dump: process %lld: %s%s", pid,
			err[0] ? err : strerror(-r),
			r == -EEXIST ? " (use --force)" : "");
		return CLI_EXIT_FAIL;
	}
	printf("process %lld: %llu mapping(s), %llu bytes of memory, %llu "
	       "descriptor(s), %llu timer(s) written to %s (stopped %.1f ms%s)\n",
	       pid, (unsigned long long)report.n_vmas,
	       (unsigned long long)report.pages_bytes,
	       (unsigned long long)report.n_fds,
	       (unsigned long long)report.n_timers, dir,
	       (double)report.stopped_ns / 1e6,
	       flags & KT_DUMP_KILL ? ", then killed" : "");
	return CLI_EXIT_OK;
}

int cmd_dump(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"dir", required_argument, NULL, 'D'},
		{"force", no_argument, NULL, 'f'},
		{"kill", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kt_snapshot *snap = NULL;
	char err[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = err, .err_len = sizeof(err));
	const char *out = NULL, *dir = NULL;
	bool force = false, kill = false;
	long long pid;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:D:fkh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'k':
			kill = true;
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
	if (!out && !dir)
		return cli_usage_err(cli, "no output file (-o FILE) or "
					  "directory (-D DIR)");
	if (out && dir)
		return cli_usage_err(cli, "-o FILE and -D DIR exclude each "
					  "other");
	r = args_int(cli, "PID", argv[optind], 1, 4194304, &pid);
	if (r)
		return r;
	if (kill && !dir)
		return cli_usage_err(cli, "--kill goes with -D DIR");
	if (dir)
		return dump_dir(cli, pid, dir,
				(force ? KT_DUMP_FORCE : 0) |
					(kill ? KT_DUMP_KILL : 0));

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
