/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "text.h"

int kt_text_fail(struct kt_parse_error *err, size_t line,
		 const char *line_start, const char *line_end, const char *what)
{
	int shown = (int)(line_end - line_start);
	char quoted[65];

	if (shown > 64)
		shown = 64;
	err->line = line;
	for (int i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)line_start[i];

		quoted[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	quoted[shown] = '\0';
	(void)snprintf(err->msg, sizeof(err->msg), "line %zu: %s: \"%s%s\"",
		       line, what, quoted,
		       line_end - line_start > 64 ? "..." : "");
	return -EINVAL;
}

bool kt_eat(struct kt_cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Decimal digits without a superfluous leading zero, up to max. */
static bool eat_decimal(struct kt_cursor *c, const char *p, uint64_t max,
			uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;

	if (p >= c->end || !is_digit(*p))
		return false;
	if (*p == '0' && p + 1 < c->end && is_digit(p[1]))
		return false;
	for (; p < c->end && is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	*ret_end = p;
	return true;
}

bool kt_eat_int(struct kt_cursor *c, int *ret)
{
	bool neg = c->p < c->end && *c->p == '-';
	const char *end;
	uint64_t v;

	if (!eat_decimal(c, c->p + neg, neg ? (uint64_t)INT_MAX + 1 : INT_MAX,
			 &v, &end))
		return false;
	if (neg && v == 0)
		return false; /* "-0" is not what %d prints */
	*ret = neg ? (int)(-(int64_t)v) : (int)v;
	c->p = end;
	return true;
}

bool kt_eat_i64(struct kt_cursor *c, int64_t *ret)
{
	bool neg = c->p < c->end && *c->p == '-';
	const char *end;
	uint64_t v;

	if (!eat_decimal(c, c->p + neg,
			 neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX,
			 &v, &end))
		return false;
	if (neg && v == 0)
		return false; /* "-0" is not what %lld prints */
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	c->p = end;
	return true;
}

bool kt_eat_u64(struct kt_cursor *c, uint64_t *ret)
{
	const char *end;

	if (!eat_decimal(c, c->p, UINT64_MAX, ret, &end))
		return false;
	c->p = end;
	return true;
}

bool kt_eat_octal(struct kt_cursor *c, unsigned *ret)
{
	const char *p = c->p;
	unsigned v = 0;

	if (p >= c->end || *p != '0')
		return false;
	for (p++; p < c->end && *p >= '0' && *p <= '7'; p++) {
		if (v > (UINT_MAX >> 3))
			return false;
		v = v << 3 | (unsigned)(*p - '0');
	}
	*ret = v;
	c->p = p;
	return true;
}

bool kt_eat_ptr(struct kt_cursor *c, uint64_t *ret)
{
	const char *p = c->p;
	uint64_t v = 0;
	int digits = 0;

	if (kt_eat(c, "(null)")) {
		*ret = 0;
		return true;
	}
	for (; p < c->end; p++, digits++) {
		int d;

		if (is_digit(*p))
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		if (digits == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (digits == 0)
		return false;
	c->p = p;
	*ret = v;
	return true;
}

int kt_text_check(const char *text, size_t len, struct kt_parse_error *err)
{
	const char *nul = memchr(text, '\0', len);

	err->line = 0;
	err->msg[0] = '\0';
	if (nul) {
		(void)snprintf(err->msg, sizeof(err->msg),
			       "NUL byte at offset %zu", (size_t)(nul - text));
		return -EINVAL;
	}
	if (len > 0 && text[len - 1] != '\n') {
		const char *last = text + len;
		size_t line = 1;

		while (last > text && last[-1] != '\n')
			last--;
		for (const char *q = text; q < last; q++)
			line += *q == '\n';
		return kt_text_fail(err, line, last, text + len,
				    "last line does not end with a newline");
	}
	return 0;
}
