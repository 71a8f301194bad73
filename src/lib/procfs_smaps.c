/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "procfs_maps.h"
#include "procfs_smaps.h"

static const struct {
	char name[3];
	unsigned flag;
} known_flags[] = {
	{"nr", KT_SMAP_NORESERVE},  {"dc", KT_SMAP_DONTCOPY},
	{"wf", KT_SMAP_WIPEONFORK}, {"dd", KT_SMAP_DONTDUMP},
	{"hg", KT_SMAP_HUGEPAGE},   {"nh", KT_SMAP_NOHUGEPAGE},
};

/* The mapping being read: its header line, what its lines said so far. */
struct cur {
	const char *line, *eol; /* the header, for messages */
	size_t lineno;
	bool seen_size, seen_flags;
};

static bool is_flag_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* "VmFlags: " then "xx " per flag set (show_smap_vma_flags()). */
static int parse_vmflags(struct kt_cursor *c, const char *line, size_t lineno,
			 struct kt_proc_smap *m, struct kt_parse_error *err)
{
	while (!kt_at_end(c)) {
		const char *f = c->p;

		if (c->end - f < 3 || !is_flag_char(f[0]) ||
		    !is_flag_char(f[1]) || f[2] != ' ')
			return kt_text_fail(err, lineno, line, c->end,
					    "expected \"VmFlags: \" and "
					    "two-letter flags, each followed "
					    "by a space");
		for (size_t i = 0;
		     i < sizeof(known_flags) / sizeof(known_flags[0]); i++)
			if (f[0] == known_flags[i].name[0] &&
			    f[1] == known_flags[i].name[1])
				m->flags |= known_flags[i].flag;
		c->p += 3;
	}
	return 0;
}

/* "Key:", spaces, a decimal value, maybe " kB"; or the VmFlags line. */
static int parse_field(const char *line, const char *eol, size_t lineno,
		       struct kt_proc_smap *m, struct cur *cur,
		       struct kt_parse_error *err)
{
	struct kt_cursor c = {line, eol};
	const char *key = line;
	uint64_t v;
	size_t key_len;
	bool kb;

	if (kt_eat(&c, "VmFlags:")) {
		if (cur->seen_flags)
			return kt_text_fail(err, lineno, line, eol,
					    "a second VmFlags line for the "
					    "mapping");
		cur->seen_flags = true;
		if (!kt_eat(&c, " "))
			return kt_text_fail(err, lineno, line, eol,
					    "expected \"VmFlags: \"");
		return parse_vmflags(&c, line, lineno, m, err);
	}
	while (c.p < c.end && is_key_char(*c.p))
		c.p++;
	key_len = (size_t)(c.p - key);
	if (!kt_eat(&c, ":") || !kt_eat(&c, " "))
		return kt_text_fail(err, lineno, line, eol,
				    "expected \"Key: VALUE kB\"");
	while (kt_eat(&c, " "))
		;
	if (!kt_eat_u64(&c, &v))
		return kt_text_fail(err, lineno, line, eol,
				    "expected a decimal value after the key");
	kb = kt_eat(&c, " kB");
	if (!kt_at_end(&c))
		return kt_text_fail(err, lineno, line, eol,
				    "expected the end of the line after the "
				    "value (and \" kB\")");
	if (key_len == 4 && memcmp(key, "Size", 4) == 0) {
		if (cur->seen_size)
			return kt_text_fail(err, lineno, line, eol,
					    "a second Size line for the "
					    "mapping");
		cur->seen_size = true;
		if (!kb || v != (m->end - m->start) >> 10)
			return kt_text_fail(err, lineno, line, eol,
					    "Size is not the size of the "
					    "mapping in kB");
	}
	return 0;
}

static int no_vmflags(const struct cur *cur, struct kt_parse_error *err)
{
	return kt_text_fail(err, cur->lineno, cur->line, cur->eol,
			    "the mapping has no VmFlags line");
}

int kt_procfs_smaps_parse(const char *text, size_t len,
			  struct kt_proc_smap **ret_maps, size_t *ret_n,
			  struct kt_parse_error *err)
{
	const char *p = text, *end = text + len;
	struct kt_proc_smap *maps;
	struct cur cur = {0};
	size_t headers = 0, n = 0, lineno = 0;
	uint64_t prev_end = 0;
	int r = 0;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	/* Every line that is not a field (a capital letter first) heads a
	 * mapping, or is an error. */
	for (size_t i = 0; i < len; i++)
		headers += (i == 0 || text[i - 1] == '\n') &&
			   !(text[i] >= 'A' && text[i] <= 'Z');
	if (len == 0) {
		*ret_maps = NULL;
		*ret_n = 0;
		return 0;
	}
	if (headers == 0)
		return kt_text_fail(err, 1, text, memchr(text, '\n', len),
				    "a field line before the first mapping");
	maps = calloc(headers, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		lineno++;
		if (*p >= 'A' && *p <= 'Z') {
			if (n == 0)
				r = kt_text_fail(err, lineno, p, nl,
						 "a field line before the "
						 "first mapping");
			else
				r = parse_field(p, nl, lineno, &maps[n - 1],
						&cur, err);
		} else {
			struct kt_proc_map m;

			r = kt_procfs_maps_parse_line(p, nl, lineno, prev_end,
						      &m, NULL, err);
			if (r == 0 && n > 0 && !cur.seen_flags)
				r = no_vmflags(&cur, err);
			if (r == 0) {
				maps[n++] = (struct kt_proc_smap){
					.start = m.start, .end = m.end};
				prev_end = m.end;
				cur = (struct cur){p, nl, lineno, false, false};
			}
		}
		p = nl + 1;
	}
	if (r == 0 && !cur.seen_flags)
		r = no_vmflags(&cur, err);
	if (r < 0) {
		free(maps);
		return r;
	}
	*ret_maps = maps;
	*ret_n = n;
	return 0;
}
