/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser of /proc/PID/smaps (fs/proc/task_mmu.c show_smap()): for each
 * mapping, its range and the VM_* flags of its "VmFlags:" line that a
 * restore needs. The text is untrusted and must be what the kernel
 * writes: each mapping is
 *
 *	START-END PERMS OFFSET MAJOR:MINOR INODE [PADDING NAME]
 *	Key:            VALUE kB
 *	...
 *	VmFlags: xx yy zz
 *
 * the first line exactly a line of /proc/PID/maps (the same parser,
 * procfs_maps.h), then lines of a key (a capital letter, then letters,
 * digits and '_'), ':', spaces and a decimal value, maybe followed by
 * " kB" ("THPeligible:" and "ProtectionKey:" have none), and exactly one
 * "VmFlags:" line: two-letter flags (lowercase letters and digits), each
 * followed by one space. "Size:", when there, must be the range's size.
 * Flags and keys this parser does not know are accepted and ignored
 * (kernels add them). Anything else is an error that names the line.
 */
#ifndef KT_LIB_PROCFS_SMAPS_H
#define KT_LIB_PROCFS_SMAPS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "text.h"

/* VmFlags a restore needs (show_smap_vma_flags() mnemonics). */
#define KT_SMAP_NORESERVE  0x01 /* "nr": VM_NORESERVE (MAP_NORESERVE) */
#define KT_SMAP_DONTCOPY   0x02 /* "dc": VM_DONTCOPY (MADV_DONTFORK) */
#define KT_SMAP_WIPEONFORK 0x04 /* "wf": VM_WIPEONFORK */
#define KT_SMAP_DONTDUMP   0x08 /* "dd": VM_DONTDUMP */
#define KT_SMAP_HUGEPAGE   0x10 /* "hg": VM_HUGEPAGE */
#define KT_SMAP_NOHUGEPAGE 0x20 /* "nh": VM_NOHUGEPAGE */

/* One mapping of /proc/PID/smaps. */
struct kt_proc_smap {
	uint64_t start; /* page aligned, < end */
	uint64_t end;	/* exclusive, page aligned */
	unsigned flags; /* KT_SMAP_* */
};

/*
 * Parse len bytes of /proc/PID/smaps text. On success *ret_maps is a
 * malloc'd array (free it with free()) of *ret_n mappings in the order of
 * the file, which must be ascending and without overlap; NULL when there
 * are none. Returns 0, -EINVAL for text that is not what the kernel
 * writes (err filled, naming the line), -ENOMEM.
 */
KT_HIDDEN int kt_procfs_smaps_parse(const char *text, size_t len,
				    struct kt_proc_smap **ret_maps,
				    size_t *ret_n, struct kt_parse_error *err);

#endif /* KT_LIB_PROCFS_SMAPS_H */
