/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeptime command: what its files share. The command is a thin client
 * of libkeeptime: it parses arguments, calls the library and talks to
 * people; every decision about timer IDs is the library's.
 */
#ifndef KT_CLI_CLI_H
#define KT_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <keeptime/keeptime.h>

/* Exit status of the command (documented in docs/keeptime.1). */
enum cli_exit {
	CLI_EXIT_OK = 0,    /* success */
	CLI_EXIT_FAIL = 1,  /* the operation failed */
	CLI_EXIT_USAGE = 2, /* unknown command or option, malformed argument */
};

/* State of one run of the command, handed to every subcommand. */
struct cli {
	const char *cmd; /* the subcommand being run, for messages */
	bool verbose;	 /* -v: library debug messages too */
	/*
	 * Set while the command calls kt_timers_create() and will print the
	 * failure itself from the report: the library's error line would say
	 * the same thing twice.
	 */
	bool report_errors_itself;
};

/* A subcommand: name, one-line summary, help text, entry point. */
struct cli_command {
	const char *name;
	const char *summary;
	void (*help)(FILE *f);
	/* argv[0] is the subcommand's name. Returns an enum cli_exit. */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* The table of subcommands (main.c), ended by a NULL name. */
extern const struct cli_command cli_commands[];
const struct cli_command *cli_find_command(const char *name);

/* Subcommands (cmd_*.c). */
void cmd_probe_help(FILE *f);
int cmd_probe(struct cli *cli, int argc, char **argv);
void cmd_create_help(FILE *f);
int cmd_create(struct cli *cli, int argc, char **argv);
void cmd_bench_help(FILE *f);
int cmd_bench(struct cli *cli, int argc, char **argv);
void cmd_show_help(FILE *f);
int cmd_show(struct cli *cli, int argc, char **argv);
void cmd_dump_help(FILE *f);
int cmd_dump(struct cli *cli, int argc, char **argv);
void cmd_restore_help(FILE *f);
int cmd_restore(struct cli *cli, int argc, char **argv);
void cmd_help_help(FILE *f);
int cmd_help(struct cli *cli, int argc, char **argv);

/* Print "keeptime: MESSAGE" on stderr, as one line. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Report a usage error of the current subcommand as one line on stderr
 * and return CLI_EXIT_USAGE.
 */
int cli_usage_err(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Route the library's log messages to stderr (lib_log.c). */
void cli_install_log(struct cli *cli);

/*
 * kt_timers_create() for a command that prints the failure itself from
 * opts->report: the library's own error line is held back meanwhile.
 */
int cli_timers_create(struct cli *cli, const struct kt_timer_spec *specs,
		      size_t n, const struct kt_create_opts *opts);

#endif /* KT_CLI_CLI_H */
