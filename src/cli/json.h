/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small JSON writer for the command's --json output: objects print one
 * member a line, arrays of scalars on one line. Members take a key; values
 * inside arrays (and the top-level value) take NULL.
 */
#ifndef KT_CLI_JSON_H
#define KT_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* a comma is due before the next */
	bool in_array[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
/* A NULL string is written as null. */
void json_string(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
/* A NaN or infinite value is written as null. */
void json_double(struct json *j, const char *key, double v);
void json_null(struct json *j, const char *key);

#endif /* KT_CLI_JSON_H */
