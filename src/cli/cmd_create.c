/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime create: POSIX timers at exact IDs, in keeptime's own process. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "duration.h"
#include "show_timers.h"

void cmd_create_help(FILE *f)
{
	fputs("Usage: keeptime create [OPTIONS] ID...\n"
	      "\n"
	      "Create POSIX timers with exactly the given IDs (0..2147483647)\n"
	      "in keeptime's own process, all or nothing, with one call to\n"
	      "libkeeptime. Shows /proc/self/timers before and after, the path\n"
	      "taken, the time it took and the linear walk's steps. The timers\n"
	      "are created disarmed and vanish when the command exits: this\n"
	      "shows what the library does, it restores nothing.\n"
	      "\n"
	      "Path (default: explicit if the kernel grants explicit IDs,\n"
	      "linear otherwise, or linear if KEEPTIME_FORCE_LINEAR=1):\n"
	      "  --explicit          prctl(PR_TIMER_CREATE_RESTORE_IDS); needs\n"
	      "                      Linux >= 6.15\n"
	      "  --linear            the create/delete walk (about 1 us a step)\n"
	      "  --max-steps N       refuse a linear walk of more than N\n"
	      "                      timer_create calls (0: the library default,\n"
	      "                      100000000; 'unbounded': no bound)\n"
	      "  --max-seconds S     refuse a linear walk estimated to take\n"
	      "                      longer than S seconds\n"
	      "  --progress          show the walk's progress on stderr even when\n"
	      "                      it is not a terminal\n"
	      "\n"
	      "Timers:\n"
	      "  --clock CLOCK       realtime, monotonic (default), boottime, tai,\n"
	      "                      process-cpu, or a clockid_t number\n"
	      "  --notify HOW        signal (default), none, or thread-id (the\n"
	      "                      signal goes to keeptime's main thread)\n"
	      "  --signal N          the signal number (default 14, SIGALRM);\n"
	      "                      the signal value is the timer's ID\n"
	      "\n"
	      "Output:\n"
	      "  -q, --quiet         do not show /proc/self/timers\n"
	      "  -v, --verbose       show the library's debug messages\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "Exit status: 0 created, 1 refused or failed (nothing is left\n"
	      "behind; the message says why), 2 usage error.\n",
	      f);
}

struct create_args {
	enum kt_id_path path;
	uint64_t max_steps;
	uint64_t max_ns;
	clockid_t clock;
	int notify;
	int signo;
	bool quiet;
	bool progress;
};

/* Progress of a long linear walk, on stderr. */
struct progress {
	bool tty;	  /* rewrite one line in place */
	bool shown;	  /* a line is on the screen */
	uint64_t last_ns; /* when a line was last written (not a tty) */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void show_progress(uint64_t done, uint64_t total, uint64_t eta_ns,
			  void *ctx)
{
	struct progress *p = ctx;
	uint64_t now = monotonic_ns();
	char eta[32];

	/* Not a terminal: a line a second at most. */
	if (!p->tty && p->shown && now - p->last_ns < 1000000000u)
		return;
	fprintf(stderr,
		"%skeeptime: create: linear walk: %" PRIu64 " of %" PRIu64
		" timer_create calls (%" PRIu64 "%%), %s left%s",
		p->tty ? "\r" : "", done, total, total ? done * 100 / total : 0,
		duration_str((double)eta_ns, eta, sizeof(eta)),
		p->tty ? "\033[K" : "\n");
	p->shown = true;
	p->last_ns = now;
}

static void end_progress(const struct progress *p)
{
	if (p->tty && p->shown)
		fputc('\n', stderr);
}

static int parse_options(struct cli *cli, int argc, char **argv,
			 struct create_args *a)
{
	enum {
		OPT_EXPLICIT = 256,
		OPT_LINEAR,
		OPT_MAX_STEPS,
		OPT_MAX_SECONDS,
		OPT_PROGRESS,
		OPT_CLOCK,
		OPT_NOTIFY,
		OPT_SIGNAL,
	};
	static const struct option longopts[] = {
		{"explicit", no_argument, NULL, OPT_EXPLICIT},
		{"linear", no_argument, NULL, OPT_LINEAR},
		{"max-steps", required_argument, NULL, OPT_MAX_STEPS},
		{"max-seconds", required_argument, NULL, OPT_MAX_SECONDS},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"clock", required_argument, NULL, OPT_CLOCK},
		{"notify", required_argument, NULL, OPT_NOTIFY},
		{"signal", required_argument, NULL, OPT_SIGNAL},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long v;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		err = 0;
		switch (c) {
		case OPT_EXPLICIT:
		case OPT_LINEAR: {
			enum kt_id_path want = c == OPT_EXPLICIT
						       ? KT_PATH_EXPLICIT
						       : KT_PATH_LINEAR;

			if (a->path != KT_PATH_AUTO && a->path != want)
				return cli_usage_err(cli,
						     "--explicit and --linear "
						     "exclude each other");
			a->path = want;
			break;
		}
		case OPT_MAX_STEPS:
			if (strcmp(optarg, "unbounded") == 0)
				a->max_steps = KT_LINEAR_UNBOUNDED;
			else
				err = args_uint(cli, "--max-steps", optarg, 0,
						UINT64_MAX, &a->max_steps);
			break;
		case OPT_MAX_SECONDS:
			err = args_seconds_ns(cli, "--max-seconds", optarg,
					      &a->max_ns);
			break;
		case OPT_PROGRESS:
			a->progress = true;
			break;
		case OPT_CLOCK:
			err = args_clock(cli, optarg, &a->clock);
			break;
		case OPT_NOTIFY:
			err = args_notify(cli, optarg, &a->notify);
			break;
		case OPT_SIGNAL:
			err = args_int(cli, "--signal", optarg, 0, INT32_MAX,
				       &v);
			a->signo = (int)v;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'h':
			cmd_create_help(stdout);
			return -1;
		default:
			return args_getopt_err(cli, c, argv);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * The specs of the IDs in argv: the sigevent the kernel would make for a
 * NULL one (the ID as signal value), with the clock and notification
 * asked for. Whether an ID is valid is the library's call; only numbers
 * that do not fit a timer_t are refused here.
 */
static int build_specs(struct cli *cli, const struct create_args *a, char **ids,
		       size_t n, struct kt_timer_spec *specs)
{
	pid_t tid = gettid();

	for (size_t i = 0; i < n; i++) {
		struct kt_timer_spec *s = &specs[i];
		int id;
		int err = args_timer_id(cli, ids[i], &id);

		if (err)
			return err;
		memset(s, 0, sizeof(*s));
		s->id = id;
		s->clock = a->clock;
		s->sev.sigev_notify = a->notify;
		s->sev.sigev_signo = a->signo;
		s->sev.sigev_value.sival_int = s->id;
		if (a->notify == SIGEV_THREAD_ID)
			KT_SIGEV_TID(&s->sev) = tid;
	}
	return 0;
}

static void print_summary(const struct kt_create_report *rep,
			  const struct kt_timer_spec *specs, size_t n)
{
	char buf[32];

	printf("path:          %s\n",
	       rep->path == KT_PATH_EXPLICIT ? "explicit" : "linear");
	printf("timers:        %zu at IDs", n);
	for (size_t i = 0; i < n; i++)
		printf(" %d", specs[i].id);
	fputc('\n', stdout);
	printf("elapsed:       %s\n",
	       duration_str((double)rep->elapsed_ns, buf, sizeof(buf)));
	printf("linear steps:  %" PRIu64, rep->steps_done);
	if (rep->path == KT_PATH_LINEAR && rep->steps_done > 0)
		printf(" timer_create calls (%s each)",
		       duration_str((double)rep->elapsed_ns /
					    (double)rep->steps_done,
				    buf, sizeof(buf)));
	else if (rep->path == KT_PATH_EXPLICIT)
		fputs(" (the explicit path walks nothing)", stdout);
	fputc('\n', stdout);
}

static void print_failure(int err, const struct kt_create_report *rep)
{
	char msg[512];

	if (rep->reason == KT_REASON_OK) {
		/* The library refused before filling the report. */
		cli_err("create: %s", strerror(-err));
		return;
	}
	(void)kt_create_report_format(rep, msg, sizeof(msg)); /* cut if long */
	if (rep->reason == KT_REASON_BOUND)
		cli_err("create: %s (--max-steps and --max-seconds set the "
			"bound)",
			msg);
	else
		cli_err("create: %s", msg);
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
	struct create_args a = {
		.path = KT_PATH_AUTO,
		.clock = CLOCK_MONOTONIC,
		.notify = SIGEV_SIGNAL,
		.signo = SIGALRM,
	};
	struct progress prog = {.tty = isatty(STDERR_FILENO) == 1};
	struct kt_create_report rep = {0};
	struct kt_timer_spec *specs;
	int status = CLI_EXIT_OK;
	size_t n;
	int err;

	err = parse_options(cli, argc, argv, &a);
	if (err < 0)
		return CLI_EXIT_OK; /* --help */
	if (err)
		return err;
	if (optind >= argc)
		return cli_usage_err(cli, "no timer ID given");
	n = (size_t)(argc - optind);
	specs = calloc(n, sizeof(*specs));
	if (!specs) {
		cli_err("create: out of memory");
		return CLI_EXIT_FAIL;
	}
	err = build_specs(cli, &a, argv + optind, n, specs);
	if (err) {
		status = err;
		goto free_specs;
	}

	if (!a.quiet && show_proc_timers(stdout, "before") < 0)
		status = CLI_EXIT_FAIL;
	/* Before the library writes to stderr, what we wrote goes out. */
	(void)fflush(stdout); /* a failure shows at exit, in main */

	{
		KT_OPTS(kt_create_opts, opts, .path = a.path,
			.max_steps = a.max_steps, .max_ns = a.max_ns,
			.progress =
				(prog.tty || a.progress) ? show_progress : NULL,
			.progress_ctx = &prog, .report = &rep);

		err = cli_timers_create(cli, specs, n, &opts);
	}
	end_progress(&prog);
	if (err < 0) {
		print_failure(err, &rep);
		status = CLI_EXIT_FAIL;
		goto free_specs;
	}

	print_summary(&rep, specs, n);
	if (!a.quiet && show_proc_timers(stdout, "after") < 0)
		status = CLI_EXIT_FAIL;
	if (status != CLI_EXIT_OK)
		cli_err("create: /proc/self/timers could not be read");

free_specs:
	free(specs);
	return status;
}
