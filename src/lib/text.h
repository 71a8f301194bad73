/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict reading of kernel-written text (/proc files). Each reader takes
 * exactly what the kernel's printf format produces and nothing else: no
 * '+' signs, no spaces, no leading zeros where %d would print none.
 */
#ifndef KT_LIB_TEXT_H
#define KT_LIB_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* Where and why parsing failed. */
struct kt_parse_error {
	size_t line;   /* 1-based line number, 0 if not about a line */
	char msg[192]; /* one line, quoting the offending text */
};

/* A position within one line of text. */
struct kt_cursor {
	const char *p;	 /* current position */
	const char *end; /* end of the line (at its '\n' or the text's end) */
};

/*
 * Fill err with "line N: WHAT: "<the line>"" (the line cut at 64 bytes,
 * non-printable bytes shown as '?') and return -EINVAL.
 */
KT_HIDDEN int kt_text_fail(struct kt_parse_error *err, size_t line,
			   const char *line_start, const char *line_end,
			   const char *what);

/* Each kt_eat_* consumes on success and leaves the cursor alone otherwise. */
KT_HIDDEN bool kt_eat(struct kt_cursor *c, const char *literal);
/* %d */
KT_HIDDEN bool kt_eat_int(struct kt_cursor *c, int *ret);
/* %lld / %lli / %ld */
KT_HIDDEN bool kt_eat_i64(struct kt_cursor *c, int64_t *ret);
/* %llu / %lu */
KT_HIDDEN bool kt_eat_u64(struct kt_cursor *c, uint64_t *ret);
/* "0%o": a '0' followed by octal digits (or just "0") */
KT_HIDDEN bool kt_eat_octal(struct kt_cursor *c, unsigned *ret);
/* %px (16 hex digits) or an older %p (1..16 hex digits, or "(null)") */
KT_HIDDEN bool kt_eat_ptr(struct kt_cursor *c, uint64_t *ret);

static inline bool kt_at_end(const struct kt_cursor *c)
{
	return c->p == c->end;
}

/* Refuse NUL bytes and a last line without '\n'. Returns 0 or -EINVAL. */
KT_HIDDEN int kt_text_check(const char *text, size_t len,
			    struct kt_parse_error *err);

/* The lines of a text kt_text_check() accepted, one after the other. */
struct kt_lines {
	const char *p, *end;
	size_t n; /* lines taken: the 1-based number of the last one */
};

/* Take the next line into *line (up to its '\n'); false at the end. */
static inline bool kt_next_line(struct kt_lines *it, struct kt_cursor *line)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	if (!nl)
		nl = it->end; /* not after kt_text_check(); stay safe */
	line->p = it->p;
	line->end = nl;
	it->p = nl + 1;
	it->n++;
	return true;
}

#endif /* KT_LIB_TEXT_H */
