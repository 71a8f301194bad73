/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeptime: global options and subcommand dispatch. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
	{"probe", "show what this kernel offers for exact timer IDs",
	 cmd_probe_help, cmd_probe},
	{"create", "create POSIX timers at exact IDs in keeptime's own process",
	 cmd_create_help, cmd_create},
	{"bench", "measure explicit IDs against the linear walk",
	 cmd_bench_help, cmd_bench},
	{"show", "show the timers of a process or of an image file",
	 cmd_show_help, cmd_show},
	{"dump", "write the timers (-o) or the whole process (-D) to an image",
	 cmd_dump_help, cmd_dump},
	{"restore", "recreate an image's timers inside a held process",
	 cmd_restore_help, cmd_restore},
	{"help", "show the help of keeptime or of a command", cmd_help_help,
	 cmd_help},
	{NULL, NULL, NULL, NULL},
};

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keeptime: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_err(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("keeptime: ", stderr);
	if (cli->cmd)
		fprintf(stderr, "%s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli->cmd)
		fprintf(stderr, " (see 'keeptime %s --help')\n", cli->cmd);
	else
		fputs(" (see 'keeptime --help')\n", stderr);
	return CLI_EXIT_USAGE;
}

static void main_help(FILE *f)
{
	fputs("Usage: keeptime [-v] COMMAND [OPTIONS] [ARGS]\n"
	      "       keeptime --help | --version\n"
	      "\n"
	      "Checkpoint and restore the timers of Linux processes exactly:\n"
	      "POSIX timers at their exact IDs, itimers and timerfds, with\n"
	      "libkeeptime.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fputs("\n"
	      "Global options:\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "  -v, --verbose  show the library's debug messages on stderr\n"
	      "\n"
	      "Environment:\n"
	      "  KEEPTIME_FORCE_LINEAR=1  make the automatic choice take the "
	      "linear path\n"
	      "\n"
	      "Exit status: 0 success, 1 the operation failed, 2 usage error.\n"
	      "Run 'keeptime help COMMAND' for the options of a command, and\n"
	      "see keeptime(1).\n",
	      f);
}

void cmd_help_help(FILE *f)
{
	fputs("Usage: keeptime help [COMMAND]\n"
	      "\n"
	      "Show the help of keeptime, or of COMMAND (the same as\n"
	      "'keeptime COMMAND --help').\n",
	      f);
}

static bool is_help_opt(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *c;

	if (argc > 1 && is_help_opt(argv[1])) {
		cmd_help_help(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_err(cli, "too many arguments");
	if (argc < 2) {
		main_help(stdout);
		return CLI_EXIT_OK;
	}
	c = cli_find_command(argv[1]);
	if (!c)
		return cli_usage_err(cli, "unknown command '%s'", argv[1]);
	c->help(stdout);
	return CLI_EXIT_OK;
}

/* Flush stdout and report a failed write (a full disk, a closed pipe). */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("cannot write to standard output: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const struct cli_command *c;
	int i;

	cli_install_log(&cli);

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_help_opt(a)) {
			main_help(stdout);
			return finish(CLI_EXIT_OK);
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("keeptime %s\n", kt_version());
			return finish(CLI_EXIT_OK);
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli.verbose = true;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		return cli_usage_err(&cli, "unknown option '%s'", a);
	}
	if (i >= argc) {
		cli_err("no command given (see 'keeptime --help')");
		return CLI_EXIT_USAGE;
	}
	c = cli_find_command(argv[i]);
	if (!c)
		return cli_usage_err(&cli, "unknown command '%s'", argv[i]);
	cli.cmd = c->name;
	return finish(c->run(&cli, argc - i, argv + i));
}
