/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "procfs_maps.h"

/* Pages of x86_64: mappings start and end on them. */
#define MAPS_PAGE 4096u
/* show_vma_header_prefix(): seq_setwidth(m, 25 + sizeof(void *) * 6 - 1);
 * a name starts after the padding to this column and one more space. */
#define MAPS_NAME_PAD 72u

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * seq_put_hex_ll(m, .., v, width): lowercase hex of at least width digits,
 * zero-padded, so more digits only when v needs them (no leading zero
 * then). At most 16 digits.
 */
static bool eat_hex(struct kt_cursor *c, unsigned width, uint64_t *ret)
{
	const char *p = c->p;
	uint64_t v = 0;
	unsigned n = 0;
	int d;

	while (p < c->end && (d = hex_digit(*p)) >= 0) {
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)d;
		n++;
		p++;
	}
	if (n < width || (n > width && *c->p == '0'))
		return false;
	c->p = p;
	*ret = v;
	return true;
}

static bool eat_perms(struct kt_cursor *c, unsigned *prot, bool *shared)
{
	static const char on[] = "rwx";
	unsigned v = 0;

	if (c->end - c->p < 4)
		return false;
	for (int i = 0; i < 3; i++) {
		if (c->p[i] == on[i])
			v |= 1u << i; /* r, w, x are PROT_READ, _WRITE, _EXEC */
		else if (c->p[i] != '-')
			return false;
	}
	if (c->p[3] != 's' && c->p[3] != 'p')
		return false;
	*shared = c->p[3] == 's';
	*prot = v;
	c->p += 4;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "[PREFIX...]" with something between the prefix and the ']'. */
static bool is_bracket_name(const char *s, size_t n, const char *prefix)
{
	return has_prefix(s, n, prefix) && n > strlen(prefix) + 1 &&
	       s[n - 1] == ']';
}

/* The kind a name says; 0 for a name the kernel does not write. */
static enum kt_map_kind kind_of(const char *s, size_t n)
{
	static const struct {
		const char *name;
		enum kt_map_kind kind;
	} special[] = {
		{"[heap]", KT_MAP_HEAP},
		{"[stack]", KT_MAP_STACK},
		{"[vdso]", KT_MAP_VDSO},
		{"[vvar]", KT_MAP_VVAR},
		{"[vvar_vclock]", KT_MAP_VVAR_VCLOCK},
		{"[vsyscall]", KT_MAP_VSYSCALL},
		{"[uprobes]", KT_MAP_UPROBES},
	};

	if (n == 0)
		return KT_MAP_ANON;
	if (s[0] == '/')
		return KT_MAP_FILE;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strlen(special[i].name) == n &&
		    memcmp(s, special[i].name, n) == 0)
			return special[i].kind;
	if (is_bracket_name(s, n, "[anon:"))
		return KT_MAP_ANON;
	if (is_bracket_name(s, n, "[anon_shmem:"))
		return KT_MAP_ANON_SHMEM;
	if (has_prefix(s, n, "anon_inode:") && n > strlen("anon_inode:"))
		return KT_MAP_ANON_INODE;
	return 0;
}

const char *kt_map_kind_name(enum kt_map_kind kind)
{
	switch (kind) {
	case KT_MAP_ANON:
		return "anonymous";
	case KT_MAP_FILE:
		return "file";
	case KT_MAP_HEAP:
		return "[heap]";
	case KT_MAP_STACK:
		return "[stack]";
	case KT_MAP_VDSO:
		return "[vdso]";
	case KT_MAP_VVAR:
		return "[vvar]";
	case KT_MAP_VVAR_VCLOCK:
		return "[vvar_vclock]";
	case KT_MAP_VSYSCALL:
		return "[vsyscall]";
	case KT_MAP_UPROBES:
		return "[uprobes]";
	case KT_MAP_ANON_SHMEM:
		return "anonymous shared (named)";
	case KT_MAP_ANON_INODE:
		return "anon_inode";
	}
	return "?";
}

/* Whether a mapping of this kind has no file: dev 00:00, inode 0, offset 0.
 */
static bool fileless(enum kt_map_kind kind)
{
	return kind != KT_MAP_FILE && kind != KT_MAP_ANON_SHMEM &&
	       kind != KT_MAP_ANON_INODE;
}

int kt_procfs_maps_parse_line(const char *line, const char *eol, size_t lineno,
			      uint64_t prev_end, struct kt_proc_map *m,
			      char **names, struct kt_parse_error *err)
{
	struct kt_cursor c = {line, eol};
	uint64_t major, minor;
	const char *name;
	size_t h, col, n;

	memset(m, 0, sizeof(*m));
	if (!eat_hex(&c, 8, &m->start) || !kt_eat(&c, "-") ||
	    !eat_hex(&c, 8, &m->end) || !kt_eat(&c, " ") ||
	    !eat_perms(&c, &m->prot, &m->shared) || !kt_eat(&c, " ") ||
	    !eat_hex(&c, 8, &m->offset) || !kt_eat(&c, " ") ||
	    !eat_hex(&c, 2, &major) || !kt_eat(&c, ":") ||
	    !eat_hex(&c, 2, &minor) || !kt_eat(&c, " ") ||
	    !kt_eat_u64(&c, &m->inode) || !kt_eat(&c, " "))
		return kt_text_fail(err, lineno, line, eol,
				    "expected \"START-END PERMS OFFSET "
				    "MAJOR:MINOR INODE \"");
	if (major >= 4096 || minor >= (1u << 20))
		return kt_text_fail(err, lineno, line, eol,
				    "device number out of range");
	m->dev_major = (unsigned)major;
	m->dev_minor = (unsigned)minor;
	if (m->start >= m->end || m->start % MAPS_PAGE || m->end % MAPS_PAGE ||
	    m->offset % MAPS_PAGE)
		return kt_text_fail(err, lineno, line, eol,
				    "not a page-aligned range with start < "
				    "end");
	if (m->start < prev_end)
		return kt_text_fail(err, lineno, line, eol,
				    "overlaps or precedes the line before");

	/* The name: after spaces up to column MAPS_NAME_PAD, then one. */
	h = (size_t)(c.p - line);
	name = c.p;
	if (!kt_at_end(&c)) {
		col = (h > MAPS_NAME_PAD ? h : MAPS_NAME_PAD) + 1;
		if ((size_t)(eol - line) <= col)
			return kt_text_fail(err, lineno, line, eol,
					    "a name must start at column 74 "
					    "(or after two spaces)");
		for (const char *p = c.p; p < line + col; p++)
			if (*p != ' ')
				return kt_text_fail(err, lineno, line, eol,
						    "expected spaces before "
						    "the name");
		name = line + col;
		if (*name == ' ')
			return kt_text_fail(err, lineno, line, eol,
					    "too many spaces before the name");
	}
	n = (size_t)(eol - name);
	m->kind = kind_of(name, n);
	if (m->kind == 0)
		return kt_text_fail(err, lineno, line, eol,
				    "not a mapping name the kernel writes");
	if (fileless(m->kind) &&
	    (m->dev_major || m->dev_minor || m->inode || m->offset))
		return kt_text_fail(err, lineno, line, eol,
				    "a mapping without a file has device "
				    "00:00, inode 0 and offset 0");
	m->deleted =
		m->kind == KT_MAP_FILE && has_suffix(name, n, " (deleted)");
	if (n > 0 && names) {
		memcpy(*names, name, n);
		(*names)[n] = '\0';
		m->name = *names;
		*names += n + 1;
	}
	return 0;
}

int kt_procfs_maps_parse(const char *text, size_t len,
			 struct kt_proc_map **ret_maps, size_t *ret_n,
			 struct kt_parse_error *err)
{
	const char *p = text, *end = text + len;
	struct kt_proc_map *maps;
	size_t lines = 0, n = 0;
	uint64_t prev_end = 0;
	char *names;
	int r;

	r = kt_text_check(text, len, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines == 0) {
		*ret_maps = NULL;
		*ret_n = 0;
		return 0;
	}
	/* One block: the array, then every name (at most the text). */
	if (lines > (SIZE_MAX - len - lines) / sizeof(*maps))
		return -ENOMEM;
	maps = malloc(lines * sizeof(*maps) + len + lines);
	if (!maps)
		return -ENOMEM;
	names = (char *)(maps + lines);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		r = kt_procfs_maps_parse_line(p, nl, n + 1, prev_end, &maps[n],
					      &names, err);
		if (r < 0) {
			free(maps);
			return r;
		}
		prev_end = maps[n].end;
		n++;
		p = nl + 1;
	}
	*ret_maps = maps;
	*ret_n = n;
	return 0;
}
