/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser of /proc/PID/maps (fs/proc/task_mmu.c show_map_vma(), the format
 * of Linux >= 4.5). The text is untrusted: every line must be exactly what
 * the kernel writes,
 *
 *	START-END PERMS OFFSET MAJOR:MINOR INODE [PADDING NAME]
 *
 * START, END and OFFSET in lowercase hex of at least 8 digits
 * (seq_put_hex_ll(.., 8)), MAJOR and MINOR of at least 2, INODE in
 * decimal, one space after it, and, when the mapping has a name, spaces up
 * to column 73 (at least one) before the name. Anything else is an error
 * that names the line and quotes it.
 */
#ifndef KT_LIB_PROCFS_MAPS_H
#define KT_LIB_PROCFS_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "text.h"

/* What a mapping is, as its name tells. */
enum kt_map_kind {
	KT_MAP_ANON = 1,    /* no name, or "[anon:NAME]" */
	KT_MAP_FILE,	    /* "/path", maybe " (deleted)" */
	KT_MAP_HEAP,	    /* "[heap]" */
	KT_MAP_STACK,	    /* "[stack]" */
	KT_MAP_VDSO,	    /* "[vdso]" */
	KT_MAP_VVAR,	    /* "[vvar]" */
	KT_MAP_VVAR_VCLOCK, /* "[vvar_vclock]" (Linux >= 6.13) */
	KT_MAP_VSYSCALL,    /* "[vsyscall]" */
	KT_MAP_UPROBES,	    /* "[uprobes]" */
	KT_MAP_ANON_SHMEM,  /* "[anon_shmem:NAME]" */
	KT_MAP_ANON_INODE,  /* "anon_inode:[KIND]" (a mapped anon inode) */
};

#define KT_MAP_PROT_READ  0x1 /* 'r', as PROT_READ */
#define KT_MAP_PROT_WRITE 0x2 /* 'w', as PROT_WRITE */
#define KT_MAP_PROT_EXEC  0x4 /* 'x', as PROT_EXEC */

/* One line of /proc/PID/maps. */
struct kt_proc_map {
	uint64_t start;	    /* page aligned, < end */
	uint64_t end;	    /* exclusive, page aligned */
	uint64_t offset;    /* in the file, page aligned (0 for anonymous) */
	unsigned prot;	    /* KT_MAP_PROT_* */
	bool shared;	    /* 's' (VM_MAYSHARE) rather than 'p' */
	bool deleted;	    /* KT_MAP_FILE whose name ends in " (deleted)" */
	unsigned dev_major; /* < 4096 */
	unsigned dev_minor; /* < 2^20 */
	uint64_t inode;
	enum kt_map_kind kind;
	/*
	 * The name as the kernel shows it, NUL-terminated, or NULL when there
	 * is none. Paths are seq_path()'s: a newline in a file name shows as
	 * "\012" and nothing else is escaped (so the text is ambiguous; the
	 * real path is readlink(/proc/PID/map_files/START-END)). " (deleted)"
	 * is kept.
	 */
	const char *name;
};

/*
 * Parse len bytes of /proc/PID/maps text. On success *ret_maps is one
 * malloc'd block (free it with free()) holding *ret_n mappings in the order
 * of the file, which must be ascending and without overlap, and their
 * names; NULL when there are none. Returns 0, -EINVAL for text that is not
 * what the kernel writes (err filled, naming the line), -ENOMEM.
 */
KT_HIDDEN int kt_procfs_maps_parse(const char *text, size_t len,
				   struct kt_proc_map **ret_maps, size_t *ret_n,
				   struct kt_parse_error *err);

/*
 * Parse one line of maps text, [line, eol) without its '\n', numbered
 * lineno for messages, into *m: what kt_procfs_maps_parse() does for each
 * line, the rule that it starts at or after prev_end included. The name is
 * copied to *names (NUL-terminated, *names moved past it), or not kept at
 * all when names is NULL (m->name is NULL then; m->kind still says what
 * the name was). /proc/PID/smaps heads each mapping with the same line
 * (procfs_smaps.c). Returns 0 or -EINVAL with err filled.
 */
KT_HIDDEN int kt_procfs_maps_parse_line(const char *line, const char *eol,
					size_t lineno, uint64_t prev_end,
					struct kt_proc_map *m, char **names,
					struct kt_parse_error *err);

/* The name of a kind for messages: "anonymous", "[heap]", "file", ... */
KT_HIDDEN const char *kt_map_kind_name(enum kt_map_kind kind);

#endif /* KT_LIB_PROCFS_MAPS_H */
