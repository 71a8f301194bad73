/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct kt_lines it = {text, text + len, 0};
	struct kt_cursor c;
	unsigned umask = 0;
	bool seen = false;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	while (kt_next_line(&it, &c)) {
		const char *p = c.p, *nl = c.end;

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
					err, it.n, p, nl,
					"expected \"Umask:\\t0NNN\"");
			if (seen)
				return kt_text_fail(err, it.n, p, nl,
						    "line appears twice");
			seen = true;
			umask = v;
		}
	}
	if (!seen)
		return -ENOENT;
	*ret_umask = umask;
	return 0;
}

/* "%016llx": exactly 16 lowercase hex digits. */
static bool eat_hex16(struct kt_cursor *c, uint64_t *ret)
{
	uint64_t v = 0;

	if (c->end - c->p < 16)
		return false;
	for (int i = 0; i < 16; i++) {
		char ch = c->p[i];

		if (ch >= '0' && ch <= '9')
			v = v << 4 | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v << 4 | (uint64_t)(ch - 'a' + 10);
		else
			return false;
	}
	c->p += 16;
	*ret = v;
	return true;
}

/* "%u" of a 32-bit id. */
static bool eat_u32(struct kt_cursor *c, uint32_t *ret)
{
	struct kt_cursor save = *c;
	uint64_t v;

	if (!kt_eat_u64(c, &v) || v > UINT32_MAX) {
		*c = save;
		return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* "\t%u\t%u\t%u\t%u" to the end of the line. */
static bool eat_ids(struct kt_cursor *c, uint32_t ids[4])
{
	for (int i = 0; i < 4; i++)
		if (!kt_eat(c, "\t") || !eat_u32(c, &ids[i]))
			return false;
	return kt_at_end(c);
}

/* "\t", ids separated by one space, maybe a trailing space. The list is
 * counted first, then filled (n and groups NULL: count only). */
static bool eat_groups(struct kt_cursor c, uint32_t *groups, size_t *n)
{
	size_t k = 0;

	if (!kt_eat(&c, "\t"))
		return false;
	if (kt_eat(&c, " ")) { /* Linux >= 4.5, no groups: "\t " */
		*n = 0;
		return kt_at_end(&c);
	}
	while (!kt_at_end(&c)) {
		uint32_t g;

		if (!eat_u32(&c, &g) || k >= KT_PROC_NGROUPS_MAX)
			return false;
		if (groups)
			groups[k] = g;
		k++;
		if (!kt_eat(&c, " ") && !kt_at_end(&c))
			return false;
	}
	*n = k;
	return true;
}

/* "\t" and one digit 0..max, the whole rest of the line. */
static bool eat_flag(struct kt_cursor *c, unsigned max, unsigned *ret)
{
	if (!kt_eat(c, "\t") || c->end - c->p != 1 || c->p[0] < '0' ||
	    (unsigned)(c->p[0] - '0') > max)
		return false;
	*ret = (unsigned)(c->p[0] - '0');
	c->p++;
	return true;
}

int kt_procfs_status_creds(const char *text, size_t len,
			   struct kt_proc_creds *ret,
			   struct kt_parse_error *err)
{
	enum { UID, GID, GROUPS, INH, PRM, EFF, BND, AMB, NNP, SECCOMP, N };
	static const char *const keys[N] = {
		"Uid:",	   "Gid:",    "Groups:", "CapInh:",	"CapPrm:",
		"CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
	struct kt_proc_creds cr = {0};
	struct kt_cursor groups_at = {0}, c;
	struct kt_lines it = {text, text + len, 0};
	bool seen[N] = {false};
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	while (kt_next_line(&it, &c)) {
		const char *p = c.p, *nl = c.end;
		uint64_t *caps[] = {&cr.cap_inh, &cr.cap_prm, &cr.cap_eff,
				    &cr.cap_bnd, &cr.cap_amb};
		bool ok = true;
		int k;

		for (k = 0; k < N && !kt_eat(&c, keys[k]); k++)
			;
		if (k < N && seen[k])
			return kt_text_fail(err, it.n, p, nl,
					    "line appears twice");
		switch (k) {
		case UID:
			ok = eat_ids(&c, cr.uid);
			break;
		case GID:
			ok = eat_ids(&c, cr.gid);
			break;
		case GROUPS:
			groups_at = c;
			ok = eat_groups(c, NULL, &cr.n_groups);
			break;
		case NNP:
			ok = eat_flag(&c, 1, &cr.no_new_privs);
			break;
		case SECCOMP:
			ok = eat_flag(&c, 2, &cr.seccomp);
			break;
		case N:
			break;
		default: /* CapInh .. CapAmb */
			ok = kt_eat(&c, "\t") && eat_hex16(&c, caps[k - INH]) &&
			     kt_at_end(&c);
			break;
		}
		if (!ok)
			return kt_text_fail(err, it.n, p, nl,
					    k == GROUPS
						    ? "expected \"Groups:\" "
						      "and ids separated "
						      "by spaces"
					    : k >= INH && k <= AMB
						    ? "expected 16 hex digits"
						    : "malformed");
		if (k < N)
			seen[k] = true;
	}
	for (int k = 0; k < SECCOMP; k++)
		if (!seen[k]) {
			if (err) {
				err->line = 0;
				(void)snprintf(err->msg, sizeof(err->msg),
					       "no \"%s\" line", keys[k]);
			}
			return -ENOENT;
		}
	if (cr.n_groups) {
		cr.groups = malloc(cr.n_groups * sizeof(*cr.groups));
		if (!cr.groups)
			return -ENOMEM;
		(void)eat_groups(groups_at, cr.groups, &cr.n_groups);
	}
	*ret = cr;
	return 0;
}
