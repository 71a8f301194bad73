/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeptime restore: a whole process from its image directory (-D), or an
 * image's timers into a process held for it (--pid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"

void cmd_restore_help(FILE *f)
{
	fputs("Usage: keeptime restore -D DIR [--wait] [OPTIONS]\n"
	      "       keeptime restore --pid PID [OPTIONS] FILE\n"
	      "\n"
	      "With -D, bring back the process dumped into DIR by `keeptime\n"
	      "dump PID -D DIR` (docs/process-image.md): with the same PID,\n"
	      "credentials, descriptors, memory, signal state and registers,\n"
	      "and every timer at its exact ID. It runs on from where it was\n"
	      "dumped, in a session of its own; keeptime exits (or waits for\n"
	      "it with --wait). The whole image and every file the process\n"
	      "used are checked first; the PID must be free. On any failure\n"
	      "nothing is left running.\n"
	      "\n"
	      "With --pid, recreate the timers of an image file inside process PID: its\n"
	      "POSIX timers with their exact IDs, armed with their remaining\n"
	      "times and intervals; its itimers; its timerfds at their\n"
	      "descriptor numbers with their flags and unread expirations;\n"
	      "its PR_TIMER_CREATE_RESTORE_IDS flag. All or nothing: on any\n"
	      "failure the process is left as it was. PID is stopped with\n"
	      "ptrace for the moment of the restore (a restore tool holds the\n"
	      "process it rebuilt: this is that step) and must not hold the\n"
	      "IDs or descriptor numbers already.\n"
	      "\n"
	      "  -D, --dir DIR       the image directory of a whole process\n"
	      "  -w, --wait          with -D: wait for the restored process\n"
	      "                      and exit with its status\n"
	      "  -p, --pid PID       the process to restore timers into\n"
	      "  --explicit          exact IDs through\n"
	      "                      PR_TIMER_CREATE_RESTORE_IDS (Linux >= 6.15)\n"
	      "  --linear            the create/delete walk: PID's ID counter\n"
	      "                      must be below the wanted IDs (a process\n"
	      "                      fresh from fork)\n"
	      "  --max-steps N       refuse a linear walk of more than N steps\n"
	      "  --keep-absolute     wall-clock timers keep their deadlines\n"
	      "                      (docs/exactness.md); default: every timer\n"
	      "                      goes on where it left off\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "Exit status: 0 restored, 1 refused or failed (nothing changed),\n"
	      "2 usage error; with --wait, the restored process's exit status\n"
	      "(128 + N if killed by signal N).\n",
	      f);
}

static const char *path_name(unsigned path)
{
	return path == KT_PATH_LINEAR ? "linear" : "explicit";
}

/* -D DIR: the whole process. */
static int restore_dir(struct cli *cli, const char *dir,
		       const struct kt_create_opts *ids, unsigned flags,
		       bool wait)
{
	struct kt_restore_process_report rep;
	char err[512];
	KT_OPTS(kt_restore_process_opts, opts, .ids = ids, .flags = flags,
		.err_buf = err, .err_len = sizeof(err), .report = &rep);
	pid_t pid;
	int r, status;

	cli->report_errors_itself = true;
	r = kt_restore_process(dir, &opts, &pid);
	cli->report_errors_itself = false;
	if (r < 0) {
		cli_err("restore: %s: %s", dir, err[0] ? err : strerror(-r));
		return CLI_EXIT_FAIL;
	}
	printf("process %d restored from %s: %llu mapping(s), %llu bytes of "
	       "memory, %llu timer(s) on the %s path, in %.2f ms (timers "
	       "%.0f us)\n",
	       (int)pid, dir, (unsigned long long)rep.n_vmas,
	       (unsigned long long)rep.pages_bytes,
	       (unsigned long long)rep.n_timers, path_name(rep.path),
	       (double)rep.elapsed_ns / 1e6, (double)rep.timers_ns / 1e3);
	if (!wait)
		return CLI_EXIT_OK;
	(void)fflush(stdout);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cli_err("restore: waiting for process %d: %s", (int)pid,
				strerror(errno));
			return CLI_EXIT_FAIL;
		}
	}
	if (WIFSIGNALED(status)) {
		printf("process %d killed by %s\n", (int)pid,
		       strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	printf("process %d exited with status %d\n", (int)pid,
	       WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	enum { OPT_EXPLICIT = 256, OPT_LINEAR, OPT_MAX_STEPS, OPT_ABSOLUTE };
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"dir", required_argument, NULL, 'D'},
		{"wait", no_argument, NULL, 'w'},
		{"explicit", no_argument, NULL, OPT_EXPLICIT},
		{"linear", no_argument, NULL, OPT_LINEAR},
		{"max-steps", required_argument, NULL, OPT_MAX_STEPS},
		{"keep-absolute", no_argument, NULL, OPT_ABSOLUTE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kt_create_report rep;
	KT_OPTS(kt_create_opts, ids, .report = &rep);
	char err[512];
	KT_OPTS(kt_restore_opts, opts, .ids = &ids, .err_buf = err,
		.err_len = sizeof(err));
	KT_OPTS(kt_load_opts, lopts, .err_buf = err, .err_len = sizeof(err));
	struct kt_snapshot *snap = NULL;
	long long pid = 0;
	const char *path, *dir = NULL;
	bool wait = false;
	int c, fd, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:D:wh", longopts, NULL)) != -1) {
		r = 0;
		switch (c) {
		case 'p':
			r = args_int(cli, "--pid", optarg, 1, 4194304, &pid);
			break;
		case 'D':
			dir = optarg;
			break;
		case 'w':
			wait = true;
			break;
		case OPT_EXPLICIT:
		case OPT_LINEAR: {
			enum kt_id_path want = c == OPT_EXPLICIT
						       ? KT_PATH_EXPLICIT
						       : KT_PATH_LINEAR;

			if (ids.path != KT_PATH_AUTO && ids.path != want)
				return cli_usage_err(cli,
						     "--explicit and --linear "
						     "exclude each other");
			ids.path = want;
			break;
		}
		case OPT_MAX_STEPS:
			r = args_uint(cli, "--max-steps", optarg, 1, UINT64_MAX,
				      &ids.max_steps);
			break;
		case OPT_ABSOLUTE:
			opts.flags |= KT_RESTORE_KEEP_ABSOLUTE;
			break;
		case 'h':
			cmd_restore_help(stdout);
			return CLI_EXIT_OK;
		default:
			return args_getopt_err(cli, c, argv);
		}
		if (r)
			return r;
	}
	if (dir && pid)
		return cli_usage_err(cli, "-D DIR and --pid PID exclude each "
					  "other");
	if (wait && !dir)
		return cli_usage_err(cli, "--wait goes with -D DIR");
	if (dir) {
		if (optind != argc)
			return cli_usage_err(cli, "-D DIR takes no FILE");
		return restore_dir(cli, dir, &ids, opts.flags, wait);
	}
	if (optind != argc - 1)
		return cli_usage_err(cli, optind >= argc ? "no FILE given"
							 : "one FILE only");
	if (!pid)
		return cli_usage_err(cli, "no process given (-D DIR or --pid "
					  "PID)");
	path = argv[optind];
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO
				    : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_err("restore: %s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	cli->report_errors_itself = true;
	r = kt_snapshot_load(fd, &snap, &lopts);
	if (fd != STDIN_FILENO)
		(void)close(fd); /* read-only */
	if (r < 0) {
		cli->report_errors_itself = false;
		cli_err("restore: %s: %s", path, err[0] ? err : strerror(-r));
		return CLI_EXIT_FAIL;
	}
	r = kt_restore_pid((pid_t)pid, snap, &opts);
	cli->report_errors_itself = false;
	if (r < 0) {
		cli_err("restore: %s", err[0] ? err : strerror(-r));
		kt_snapshot_free(snap);
		return CLI_EXIT_FAIL;
	}
	printf("process %lld: %zu POSIX timer(s) restored at their IDs on the "
	       "%s path, %zu timerfd(s), itimers\n",
	       pid, kt_snapshot_posix_timer_count(snap), path_name(rep.path),
	       kt_snapshot_timerfd_count(snap));
	kt_snapshot_free(snap);
	return CLI_EXIT_OK;
}
