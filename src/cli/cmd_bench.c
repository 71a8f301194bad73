/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime bench: the seed claim, measured (the work is in bench/). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "args.h"
#include "bench_output.h"
#include "sigq.h"

void cmd_bench_help(FILE *f)
{
	fputs("Usage: keeptime bench [--json] [--runs N] [--linear-runs N]\n"
	      "                      [--sparse-n N] [--sparse-runs N]\n"
	      "                      [--snapshot-n N] [--snapshot-runs N]\n"
	      "                      [--show-n-small N] [--show-n-large N]\n"
	      "                      [--show-runs N] [--process-runs N]\n"
	      "\n"
	      "Measure the claim of the kernel commit that added\n"
	      "PR_TIMER_CREATE_RESTORE_IDS: recreating two timers with IDs\n"
	      "1000000 and 2000000 takes 1.5 s by the create/delete walk and\n"
	      "3 us with the prctl; what a checkpoint and restore of many\n"
	      "timers costs; how long keeptime show stops its target; and how\n"
	      "long a dump and a restore of a whole process take.\n"
	      "Each measurement runs in a fresh fork()ed child.\n"
	      "In the seed and sparse cases only the creation is timed and all\n"
	      "timers are CLOCK_MONOTONIC with SIGEV_NONE.\n"
	      "\n"
	      "  seed      the two timers by the explicit path and by the\n"
	      "            linear walk (libkeeptime), and a bare loop of\n"
	      "            2000001 raw timer_create/timer_delete pairs (the\n"
	      "            walk's floor)\n"
	      "  sparse    N timers at IDs i*1000+7 by the explicit path, and N\n"
	      "            bare raw timer_create calls at the kernel's IDs (the\n"
	      "            floor), interleaved\n"
	      "  snapshot  N armed timers at IDs i*1000+7 (MONOTONIC, REALTIME,\n"
	      "            BOOTTIME; SIGEV_SIGNAL or SIGEV_NONE), 2 timerfds and\n"
	      "            ITIMER_REAL, in one process: kt_capture_self,\n"
	      "            kt_snapshot_save to a memfd, kt_snapshot_load, and,\n"
	      "            after every timer is deleted, kt_restore_self, each\n"
	      "            timed; a second capture checks the result. Reports\n"
	      "            each step and the image's bytes per timer\n"
	      "  show      the child forks a target holding N armed POSIX timers\n"
	      "            at IDs i*1000+7 (the snapshot case's mix), a timerfd\n"
	      "            and ITIMER_REAL, idle in read(2), and times one\n"
	      "            kt_capture_pid of it after an untimed warm-up: the\n"
	      "            target is stopped only inside that call, so its time\n"
	      "            bounds the stop of keeptime show PID. For a small and\n"
	      "            a large N, interleaved; reports per timer and the\n"
	      "            ratio large / small\n"
	      "  process   the child starts the bundled workload (keeptime-\n"
	      "            workload run, found next to the keeptime binary:\n"
	      "            POSIX timers at IDs 7, 1000000, 2000000, a timerfd,\n"
	      "            ITIMER_REAL), then, run after run, times\n"
	      "            kt_dump_process with KT_DUMP_KILL and\n"
	      "            kt_restore_process of it (same PID, a child of the\n"
	      "            child: the next run dumps it), after an untimed\n"
	      "            warm-up run. Reports the dump, how long it stopped the\n"
	      "            process, the restore and its memory, timer (in us)\n"
	      "            and other parts\n"
	      "\n"
	      "Targets: seed explicit median < 20 us; linear / raw loop <= 1.2;\n"
	      "sparse explicit / raw <= 1.3; show of 10 timers < 5 ms, of 10000\n"
	      "timers < 50 ms; process restore < 34 ms (CRIU's, issue 6).\n"
	      "Missing a target is reported, not an error.\n"
	      "Without the prctl (Linux < 6.15) the explicit measurements and\n"
	      "the snapshot and process cases are skipped (null in JSON), and\n"
	      "the show targets get their timers by the linear walk (slow to\n"
	      "set up). Where ptrace is not permitted the show case is skipped;\n"
	      "where the dump or restore is not (CAP_CHECKPOINT_RESTORE), or\n"
	      "there is no keeptime-workload, the process case is.\n"
	      "\n"
	      "Options:\n"
	      "  --json             print one JSON object\n"
	      "  --runs N           seed runs of the explicit path (default 51)\n"
	      "  --linear-runs N    seed runs of the linear path and of the raw\n"
	      "                     loop, about 2 s each (default 3)\n"
	      "  --sparse-n N       timers in the sparse case (default 10000);\n"
	      "                     each holds an RLIMIT_SIGPENDING slot\n"
	      "  --sparse-runs N    sparse runs of each side (default 5)\n"
	      "  --snapshot-n N     POSIX timers in the snapshot case (default\n"
	      "                     10000); each holds an RLIMIT_SIGPENDING slot\n"
	      "  --snapshot-runs N  snapshot runs (default 5; 0 skips the case)\n"
	      "  --show-n-small N   POSIX timers of the small show target\n"
	      "                     (default 10)\n"
	      "  --show-n-large N   POSIX timers of the large show target\n"
	      "                     (default 10000); each holds an\n"
	      "                     RLIMIT_SIGPENDING slot\n"
	      "  --show-runs N      show runs of each size (default 11; 0 skips\n"
	      "                     the case)\n"
	      "  --process-runs N   process runs, each a dump and a restore\n"
	      "                     (default 11; 0 skips the case)\n"
	      "  -v, --verbose      show progress and debug messages\n"
	      "  -h, --help         show this help\n",
	      f);
}

struct bench_args {
	bool json;
	struct bench_config cfg;
};

static int parse_options(struct cli *cli, int argc, char **argv,
			 struct bench_args *a)
{
	enum {
		OPT_JSON = 256,
		OPT_RUNS,
		OPT_LINEAR_RUNS,
		OPT_SPARSE_N,
		OPT_SPARSE_RUNS,
		OPT_SNAPSHOT_N,
		OPT_SNAPSHOT_RUNS,
		OPT_SHOW_N_SMALL,
		OPT_SHOW_N_LARGE,
		OPT_SHOW_RUNS,
		OPT_PROCESS_RUNS,
	};
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"runs", required_argument, NULL, OPT_RUNS},
		{"linear-runs", required_argument, NULL, OPT_LINEAR_RUNS},
		{"sparse-n", required_argument, NULL, OPT_SPARSE_N},
		{"sparse-runs", required_argument, NULL, OPT_SPARSE_RUNS},
		{"snapshot-n", required_argument, NULL, OPT_SNAPSHOT_N},
		{"snapshot-runs", required_argument, NULL, OPT_SNAPSHOT_RUNS},
		{"show-n-small", required_argument, NULL, OPT_SHOW_N_SMALL},
		{"show-n-large", required_argument, NULL, OPT_SHOW_N_LARGE},
		{"show-runs", required_argument, NULL, OPT_SHOW_RUNS},
		{"process-runs", required_argument, NULL, OPT_PROCESS_RUNS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		err = 0;
		switch (c) {
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_RUNS:
			err = args_uint(cli, "--runs", optarg, 1,
					BENCH_MAX_RUNS, &v);
			a->cfg.explicit_runs = (unsigned)v;
			break;
		case OPT_LINEAR_RUNS:
			err = args_uint(cli, "--linear-runs", optarg, 1,
					BENCH_MAX_RUNS, &v);
			a->cfg.linear_runs = (unsigned)v;
			break;
		case OPT_SPARSE_N:
			err = args_uint(cli, "--sparse-n", optarg, 1,
					BENCH_SPARSE_MAX_N, &v);
			a->cfg.sparse_n = (unsigned)v;
			break;
		case OPT_SPARSE_RUNS:
			err = args_uint(cli, "--sparse-runs", optarg, 1,
					BENCH_MAX_RUNS, &v);
			a->cfg.sparse_runs = (unsigned)v;
			break;
		case OPT_SNAPSHOT_N:
			err = args_uint(cli, "--snapshot-n", optarg, 1,
					BENCH_SPARSE_MAX_N, &v);
			a->cfg.snapshot_n = (unsigned)v;
			break;
		case OPT_SNAPSHOT_RUNS:
			err = args_uint(cli, "--snapshot-runs", optarg, 0,
					BENCH_MAX_RUNS, &v);
			a->cfg.snapshot_runs = (unsigned)v;
			break;
		case OPT_SHOW_N_SMALL:
			err = args_uint(cli, "--show-n-small", optarg, 1,
					BENCH_SPARSE_MAX_N, &v);
			a->cfg.show_n_small = (unsigned)v;
			break;
		case OPT_SHOW_N_LARGE:
			err = args_uint(cli, "--show-n-large", optarg, 1,
					BENCH_SPARSE_MAX_N, &v);
			a->cfg.show_n_large = (unsigned)v;
			break;
		case OPT_SHOW_RUNS:
			err = args_uint(cli, "--show-runs", optarg, 0,
					BENCH_MAX_RUNS, &v);
			a->cfg.show_runs = (unsigned)v;
			break;
		case OPT_PROCESS_RUNS:
			err = args_uint(cli, "--process-runs", optarg, 0,
					BENCH_MAX_RUNS, &v);
			a->cfg.process_runs = (unsigned)v;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'h':
			cmd_bench_help(stdout);
			return -1;
		default:
			return args_getopt_err(cli, c, argv);
		}
		if (err)
			return err;
	}
	if (optind < argc)
		return cli_usage_err(cli, "unexpected argument '%s'",
				     argv[optind]);
	return 0;
}

/* The most POSIX timers a child of the run holds at once, and whose. */
struct sigpending_need {
	unsigned timers;
	const char *what;   /* "the sparse case" */
	const char *option; /* the option that lowers it */
};

/*
 * Every timer holds one RLIMIT_SIGPENDING slot of its user for its whole
 * life: the sparse child holds all of its timers at once, and so does the
 * snapshot child (its restore recreates them only after deleting the
 * originals, so never twice as many). A show target holds its N, one at a
 * time (each is killed and reaped before the next is forked), plus one
 * while the linear walk sets them up. The seed children hold at most 3,
 * and so does the process case's workload (one at a time: each is dumped
 * and killed before its restore).
 */
static struct sigpending_need sigpending_need(const struct bench_config *cfg,
					      bool explicit_supported,
					      bool auto_linear)
{
	struct sigpending_need need = {cfg->sparse_n, "the sparse case",
				       "--sparse-n"};
	unsigned show_n = cfg->show_n_small > cfg->show_n_large
				  ? cfg->show_n_small
				  : cfg->show_n_large;

	if (explicit_supported && cfg->snapshot_runs > 0 &&
	    cfg->snapshot_n > need.timers)
		need = (struct sigpending_need){
			cfg->snapshot_n, "the snapshot case", "--snapshot-n"};
	if (cfg->show_runs > 0 && show_n + auto_linear > need.timers)
		need = (struct sigpending_need){
			show_n + auto_linear, "the show case",
			cfg->show_n_small > cfg->show_n_large
				? "--show-n-small"
				: "--show-n-large"};
	if (need.timers < 3)
		need = (struct sigpending_need){3, "the seed case", NULL};
	return need;
}

/*
 * Refuse up front, in words, rather than fail with EAGAIN in the middle of
 * the run.
 */
static int check_sigpending(const struct sigpending_need *need)
{
	struct sigq_info q;
	uint64_t free_slots;
	int err = sigq_read(&q);

	if (err < 0) {
		cli_err("bench: RLIMIT_SIGPENDING: %s", strerror(-err));
		return err;
	}
	free_slots = sigq_headroom(&q);
	if (!q.have_count)
		cli_err("warning: bench: this user's pending-signal count "
			"(SigQ) is unknown; assuming none in use");
	if (free_slots >= need->timers)
		return 0;
	cli_err("bench: %s needs %u POSIX timers, one RLIMIT_SIGPENDING "
		"slot each, but only %" PRIu64 " of this user's %" PRIu64
		" are free (SigQ %" PRIu64 " in use): raise the limit "
		"(ulimit -i)%s%s",
		need->what, need->timers, free_slots, q.soft,
		q.have_count ? q.count : 0, need->option ? " or lower " : "",
		need->option ? need->option : "");
	return -EAGAIN;
}

/*
 * Whether the automatic path, which the show case's targets take, is the
 * linear walk: asked of the library with an empty set, which creates
 * nothing and names the path (KEEPTIME_FORCE_LINEAR included).
 */
static int auto_path_linear(bool *ret)
{
	struct kt_create_report rep = {0};
	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_AUTO, .report = &rep);
	int err = kt_timers_create(NULL, 0, &opts);

	if (err < 0) {
		cli_err("bench: the automatic path: %s", strerror(-err));
		return err;
	}
	*ret = rep.path == KT_PATH_LINEAR;
	return 0;
}

/* Which run is going on, on stderr, for whoever watches. */
struct bench_progress {
	bool tty;
	bool verbose;
	bool shown;
};

static void show_progress(const char *what, unsigned run, unsigned runs,
			  void *ctx)
{
	struct bench_progress *p = ctx;

	if (p->tty) {
		fprintf(stderr, "\rkeeptime: bench: %s, run %u of %u\033[K",
			what, run, runs);
		p->shown = true;
	} else if (p->verbose) {
		fprintf(stderr, "keeptime: bench: %s, run %u of %u\n", what,
			run, runs);
	}
}

static void end_progress(const struct bench_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
}

int cmd_bench(struct cli *cli, int argc, char **argv)
{
	struct bench_args a = {
		.cfg =
			{
				.explicit_runs = BENCH_DEFAULT_EXPLICIT_RUNS,
				.linear_runs = BENCH_DEFAULT_LINEAR_RUNS,
				.sparse_runs = BENCH_DEFAULT_SPARSE_RUNS,
				.sparse_n = BENCH_DEFAULT_SPARSE_N,
				.snapshot_runs = BENCH_DEFAULT_SNAPSHOT_RUNS,
				.snapshot_n = BENCH_DEFAULT_SNAPSHOT_N,
				.show_runs = BENCH_DEFAULT_SHOW_RUNS,
				.show_n_small = BENCH_DEFAULT_SHOW_N_SMALL,
				.show_n_large = BENCH_DEFAULT_SHOW_N_LARGE,
				.process_runs = BENCH_DEFAULT_PROCESS_RUNS,
			},
	};
	struct bench_progress prog = {.tty = isatty(STDERR_FILENO) == 1};
	struct bench_results *res;
	struct sigpending_need need;
	struct bench_view view;
	struct utsname uts;
	bool auto_linear = false;
	int supported, err;

	err = parse_options(cli, argc, argv, &a);
	if (err < 0)
		return CLI_EXIT_OK; /* --help */
	if (err)
		return err;
	prog.verbose = cli->verbose;

	if (uname(&uts) < 0) {
		cli_err("bench: uname: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	supported = kt_explicit_ids_supported();
	if (supported < 0) {
		cli_err("bench: probing explicit timer IDs: %s",
			strerror(-supported));
		return CLI_EXIT_FAIL;
	}
	if (auto_path_linear(&auto_linear) < 0)
		return CLI_EXIT_FAIL;
	/* Before any child runs. */
	need = sigpending_need(&a.cfg, supported == 1, auto_linear);
	if (check_sigpending(&need) < 0)
		return CLI_EXIT_FAIL;
	if (!supported)
		cli_err("bench: this kernel does not grant explicit timer IDs "
			"(PR_TIMER_CREATE_RESTORE_IDS needs Linux >= 6.15): "
			"measuring the linear walk and the raw calls only, "
			"skipping the snapshot and process cases");

	res = calloc(1, sizeof(*res));
	if (!res) {
		cli_err("bench: out of memory");
		return CLI_EXIT_FAIL;
	}
	a.cfg.explicit_supported = supported == 1;
	a.cfg.progress = show_progress;
	a.cfg.progress_ctx = &prog;
	err = bench_run(&a.cfg, res);
	end_progress(&prog);
	if (err < 0) {
		cli_err("bench: %s", res->error);
		free(res);
		return CLI_EXIT_FAIL;
	}
	if (res->show_skipped[0])
		cli_err("warning: bench: show case skipped: %s",
			res->show_skipped);
	if (res->process_skipped[0])
		cli_err("warning: bench: process case skipped: %s",
			res->process_skipped);

	view = (struct bench_view){
		.kernel = uts.release,
		.explicit_supported = a.cfg.explicit_supported,
		.cfg = &a.cfg,
		.res = res,
	};
	if (a.json)
		bench_output_json(stdout, &view);
	else
		bench_output_text(stdout, &view);
	free(res);
	return CLI_EXIT_OK;
}
