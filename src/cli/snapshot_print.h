/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Printing a snapshot for people (a table) and for programs (JSON, the
 * schema in docs/json-schema.md). Shared by every command that shows
 * timers.
 */
#ifndef KT_CLI_SNAPSHOT_PRINT_H
#define KT_CLI_SNAPSHOT_PRINT_H

#include <stdio.h>
#include <time.h>

#include <keeptime/keeptime.h>

/* A clock for people: "monotonic", "process-cpu (self)",
 * "thread-cpu tid 1234 (sched)", or its number. */
const char *snapshot_clock_name(clockid_t clock, char *buf, size_t len);

/* The table; source names where the snapshot came from. */
void snapshot_print_table(FILE *f, const struct kt_snapshot *snap,
			  const char *source);

/* One JSON object. */
void snapshot_print_json(FILE *f, const struct kt_snapshot *snap,
			 const char *source);

#endif /* KT_CLI_SNAPSHOT_PRINT_H */
