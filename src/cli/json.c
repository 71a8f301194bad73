/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small JSON writer. Nesting deeper than JSON_MAX_DEPTH is a bug. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	*j = (struct json){.f = f};
}

static void write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The separator, indentation and key before a value. */
static void begin_value(struct json *j, const char *key)
{
	bool inline_array = j->depth > 0 && j->in_array[j->depth - 1];

	if (j->depth > 0) {
		bool first = !j->has_items[j->depth - 1];

		if (!first)
			fputc(',', j->f);
		j->has_items[j->depth - 1] = true;
		if (inline_array) {
			if (!first)
				fputc(' ', j->f);
		} else {
			fputc('\n', j->f);
			for (int i = 0; i < j->depth; i++)
				fputs("  ", j->f);
		}
	}
	if (key && !inline_array) {
		write_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_level(struct json *j, const char *key, char c, bool array)
{
	begin_value(j, key);
	fputc(c, j->f);
	assert(j->depth < JSON_MAX_DEPTH);
	j->has_items[j->depth] = false;
	j->in_array[j->depth] = array;
	j->depth++;
}

static void close_level(struct json *j, char c)
{
	assert(j->depth > 0);
	j->depth--;
	if (j->has_items[j->depth] && !j->in_array[j->depth]) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_begin_object(struct json *j, const char *key)
{
	open_level(j, key, '{', false);
}

void json_end_object(struct json *j)
{
	close_level(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
	open_level(j, key, '[', true);
}

void json_end_array(struct json *j)
{
	close_level(j, ']');
}

void json_string(struct json *j, const char *key, const char *v)
{
	begin_value(j, key);
	if (v)
		write_string(j->f, v);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	begin_value(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	begin_value(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_double(struct json *j, const char *key, double v)
{
	begin_value(j, key);
	/* Fixed point reads best for the durations and ratios we print. */
	if (isfinite(v) && (v == 0 || fabs(v) >= 0.01))
		fprintf(j->f, "%.3f", v);
	else if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void json_null(struct json *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->f);
}
