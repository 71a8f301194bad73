/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime probe: what this kernel offers for exact timer IDs. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "args.h"
#include "json.h"
#include "sigq.h"

void cmd_probe_help(FILE *f)
{
	fputs("Usage: keeptime probe [--json]\n"
	      "\n"
	      "Show what this kernel offers for exact POSIX timer IDs: its\n"
	      "release, whether it grants explicit IDs through\n"
	      "prctl(PR_TIMER_CREATE_RESTORE_IDS) (Linux >= 6.15), the current\n"
	      "value of that flag in this process, the path the automatic\n"
	      "choice takes (explicit, or linear when the kernel lacks the\n"
	      "prctl or KEEPTIME_FORCE_LINEAR=1 is set), and RLIMIT_SIGPENDING\n"
	      "with this user's pending-signal count (every POSIX timer holds\n"
	      "one slot).\n"
	      "\n"
	      "Options:\n"
	      "  --json      print one JSON object\n"
	      "  -v, --verbose  show the library's debug messages\n"
	      "  -h, --help  show this help\n",
	      f);
}

struct probe {
	struct utsname uts;
	int supported; /* kt_explicit_ids_supported() */
	int flag;      /* kt_restore_ids_flag() */
	int path_err;  /* 0, or why the automatic path is unknown */
	bool forced;   /* linear although explicit IDs are granted */
	enum kt_id_path path;
	const char *env; /* KEEPTIME_FORCE_LINEAR, or NULL */
	int sigq_err;
	struct sigq_info sigq;
};

/*
 * The path KT_PATH_AUTO takes, asked of the library itself: an empty set
 * creates nothing, and its report names the path chosen, with
 * KEEPTIME_FORCE_LINEAR taken into account exactly as for a real set.
 */
static int auto_path(struct cli *cli, enum kt_id_path *ret)
{
	struct kt_create_report rep = {0};
	KT_OPTS(kt_create_opts, opts, .path = KT_PATH_AUTO, .report = &rep);
	int err = cli_timers_create(cli, NULL, 0, &opts);

	if (err < 0)
		return err;
	*ret = rep.path;
	return 0;
}

static int probe_collect(struct cli *cli, struct probe *p)
{
	if (uname(&p->uts) < 0) {
		int err = -errno;

		cli_err("probe: uname: %s", strerror(-err));
		return err;
	}
	p->supported = kt_explicit_ids_supported();
	p->flag = kt_restore_ids_flag();
	p->path_err = auto_path(cli, &p->path);
	p->forced = p->path_err == 0 && p->path == KT_PATH_LINEAR &&
		    p->supported == 1;
	p->env = getenv("KEEPTIME_FORCE_LINEAR");
	p->sigq_err = sigq_read(&p->sigq);
	return 0;
}

static const char *path_name(enum kt_id_path path)
{
	return path == KT_PATH_EXPLICIT ? "explicit" : "linear";
}

static void print_limit(FILE *f, uint64_t v)
{
	if (v == SIGQ_UNLIMITED)
		fputs("unlimited", f);
	else
		fprintf(f, "%" PRIu64, v);
}

static void probe_print_text(const struct probe *p)
{
	printf("kernel:                %s\n", p->uts.release);

	fputs("explicit timer IDs:    ", stdout);
	if (p->supported == 1)
		puts("granted (prctl PR_TIMER_CREATE_RESTORE_IDS)");
	else if (p->supported == 0)
		puts("not granted (PR_TIMER_CREATE_RESTORE_IDS needs Linux "
		     ">= 6.15): only the linear walk reaches exact IDs");
	else
		printf("unknown (%s)\n", strerror(-p->supported));

	fputs("restore-IDs flag:      ", stdout);
	if (p->flag >= 0)
		puts(p->flag ? "on" : "off");
	else if (p->flag == -EOPNOTSUPP)
		puts("not available");
	else
		printf("unknown (%s)\n", strerror(-p->flag));

	fputs("automatic path:        ", stdout);
	if (p->path_err < 0)
		printf("unknown (%s)\n", strerror(-p->path_err));
	else
		printf("%s%s\n", path_name(p->path),
		       p->forced ? " (forced by KEEPTIME_FORCE_LINEAR)" : "");
	printf("KEEPTIME_FORCE_LINEAR: %s\n", p->env ? p->env : "(unset)");

	fputs("RLIMIT_SIGPENDING:     ", stdout);
	if (p->sigq_err < 0) {
		printf("unknown (%s)\n", strerror(-p->sigq_err));
	} else {
		fputs("soft ", stdout);
		print_limit(stdout, p->sigq.soft);
		fputs(", hard ", stdout);
		print_limit(stdout, p->sigq.hard);
		fputc('\n', stdout);
	}
	fputs("SigQ:                  ", stdout);
	if (p->sigq_err == 0 && p->sigq.have_count)
		printf("%" PRIu64 " of %" PRIu64
		       " pending-signal slots in use by this user\n",
		       p->sigq.count, p->sigq.limit);
	else
		puts("unknown (no SigQ: line in /proc/self/status)");
}

static void json_limit(struct json *j, const char *key, uint64_t v)
{
	if (v == SIGQ_UNLIMITED)
		json_null(j, key);
	else
		json_uint(j, key, v);
}

static void probe_print_json(const struct probe *p)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "kernel", p->uts.release);
	if (p->supported >= 0)
		json_bool(&j, "explicit_supported", p->supported == 1);
	else
		json_null(&j, "explicit_supported");
	if (p->flag >= 0)
		json_int(&j, "restore_ids_flag", p->flag);
	else
		json_null(&j, "restore_ids_flag");
	json_string(&j, "auto_path",
		    p->path_err < 0 ? NULL : path_name(p->path));
	json_bool(&j, "auto_path_forced", p->forced);
	json_string(&j, "force_linear_env", p->env);
	if (p->sigq_err < 0) {
		json_null(&j, "rlimit_sigpending");
	} else {
		json_begin_object(&j, "rlimit_sigpending");
		json_limit(&j, "soft", p->sigq.soft);
		json_limit(&j, "hard", p->sigq.hard);
		json_end_object(&j);
	}
	if (p->sigq_err < 0 || !p->sigq.have_count) {
		json_null(&j, "sigq");
	} else {
		json_begin_object(&j, "sigq");
		json_uint(&j, "count", p->sigq.count);
		json_uint(&j, "limit", p->sigq.limit);
		json_end_object(&j);
	}
	json_end_object(&j);
}

int cmd_probe(struct cli *cli, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct probe p = {0};
	bool json = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'h':
			cmd_probe_help(stdout);
			return CLI_EXIT_OK;
		default:
			return args_getopt_err(cli, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_err(cli, "unexpected argument '%s'",
				     argv[optind]);

	if (probe_collect(cli, &p) < 0)
		return CLI_EXIT_FAIL;
	if (json)
		probe_print_json(&p);
	else
		probe_print_text(&p);

	/* Whatever could not be found out has been shown; now say it. */
	if (p.supported < 0 || (p.flag < 0 && p.flag != -EOPNOTSUPP) ||
	    p.path_err < 0 || p.sigq_err < 0) {
		cli_err("probe: some kernel features could not be probed");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
