/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "procfs_stat.h"

/* do_task_stat() writes 52 fields since Linux 3.5 (exit_code). */
#define STAT_FIELDS_MIN 52
#define STAT_FIELDS_MAX 64

static bool is_letter(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

int kt_procfs_stat_parse(const char *text, size_t len, struct kt_proc_stat *ret,
			 struct kt_parse_error *err)
{
	uint64_t f[STAT_FIELDS_MAX + 1] = {0};
	const char *close = NULL;
	struct kt_cursor c;
	char state;
	size_t nf = 3;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++)
		if (text[i] == ')')
			close = text + i;
	c = (struct kt_cursor){text, text + len};
	if (len == 0 || !kt_eat_u64(&c, &f[1]) || !kt_eat(&c, " (") || !close ||
	    close < c.p)
		return kt_text_fail(err, 1, text, text + len,
				    "expected \"PID (COMM) \"");
	c = (struct kt_cursor){close + 1, text + len - 1};
	if (!kt_eat(&c, " ") || kt_at_end(&c) || !is_letter(*c.p))
		return kt_text_fail(err, 1, close, text + len - 1,
				    "expected a state letter after \") \"");
	state = *c.p++;
	while (!kt_at_end(&c)) {
		/* seq_put_decimal_ll() or _ull(): signed or unsigned 64 */
		bool ok = nf < STAT_FIELDS_MAX && kt_eat(&c, " ");
		int64_t v = 0;

		if (ok && c.p < c.end && *c.p == '-') {
			ok = kt_eat_i64(&c, &v);
			f[nf + 1] = (uint64_t)v;
		} else if (ok) {
			ok = kt_eat_u64(&c, &f[nf + 1]);
		}
		if (!ok)
			return kt_text_fail(err, 1, close, text + len - 1,
					    "expected \" <decimal>\" fields "
					    "after the state");
		nf++;
	}
	if (nf < STAT_FIELDS_MIN)
		return kt_text_fail(err, 1, close, text + len - 1,
				    "fewer than 52 fields");
	ret->state = state;
	ret->start_code = f[26];
	ret->end_code = f[27];
	ret->start_stack = f[28];
	ret->start_data = f[45];
	ret->end_data = f[46];
	ret->start_brk = f[47];
	ret->arg_start = f[48];
	ret->arg_end = f[49];
	ret->env_start = f[50];
	ret->env_end = f[51];
	return 0;
}

int kt_procfs_status_umask(const char *text, size_t len, unsigned *ret_umask,
			   struct kt_parse_error *err)
{
	const char *p = text, *end = text + len;
	unsigned umask = 0;
	bool seen = false;
	size_t line = 0;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct kt_cursor c = {p, nl};

		line++;
		if (kt_eat(&c, "Umask:")) {
			/* "%#04o": "0" and three octal digits */
			unsigned v = 0;
			bool ok = kt_eat(&c, "\t0") && c.end - c.p == 3;

			for (int i = 0; ok && i < 3; i++) {
				ok = c.p[i] >= '0' && c.p[i] <= '7';
				v = v << 3 | (unsigned)(c.p[i] - '0');
			}
			if (!ok)
				return kt_text_fail(
					err, line, p, nl,
					"expected \"Umask:\\t0NNN\"");
			if (seen)
				return kt_text_fail(err, line, p, nl,
						    "line appears twice");
			seen = true;
			umask = v;
		}
		p = nl;
	}
	if (!seen)
		return -ENOENT;
	*ret_umask = umask;
	return 0;
}
