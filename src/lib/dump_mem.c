/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory of a dumped process: every mapping of /proc/PID/maps (strict
 * parser) and the pages that hold data, written to pages.img.
 *
 * Which pages hold data, per kind of mapping:
 *   private (anonymous, [heap], [stack], files): the pages that are
 *     present or swapped and not the file's own page-cache page nor the
 *     shared zero page, i.e. what the process wrote (copy-on-write pages
 *     of file mappings: relocations, RELRO, patched code). The rest is
 *     zero (anonymous) or the file's content (files): it never held
 *     anything else. PAGEMAP_SCAN (Linux >= 6.7) finds them without
 *     walking holes, which matters for processes that reserve terabytes
 *     (ASan's shadow); older kernels get /proc/PID/pagemap read entry by
 *     entry;
 *   shared anonymous: the data ranges of the shmem file behind it
 *     (SEEK_DATA through /proc/PID/map_files), read from that file, so that
 *     holes are neither read nor allocated;
 *   shared file mappings: none, the file holds them;
 *   [vdso], [vvar], [vvar_vclock]: their place only; [vsyscall] and
 *   [uprobes] are the kernel's and left out.
 * Files are identified through /proc/PID/map_files (the real file, whatever
 * its name shows), whose path must still lead to the same inode.
 *
 * /proc/PID/smaps, read right after maps, gives the VmFlags a restore
 * needs (MAP_NORESERVE, and what madvise(2) set: DONTFORK, WIPEONFORK,
 * DONTDUMP, HUGEPAGE, NOHUGEPAGE); its mappings must be exactly those of
 * maps. The process is stopped and nothing runs in it yet, so a
 * difference means something else changed its memory map (a process
 * sharing it, another tracer): the dump fails with -EAGAIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "procfs_maps.h"
#include "procfs_read.h"
#include "procfs_smaps.h"

bool kt_dump_force_pagemap_read;

/* <linux/fs.h> of Linux 6.7, for older headers. */
struct kt_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct kt_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define KT_PAGEMAP_SCAN	   _IOWR('f', 16, struct kt_pm_scan_arg)
#define KT_PAGE_IS_FILE	   (1 << 2)
#define KT_PAGE_IS_PRESENT (1 << 3)
#define KT_PAGE_IS_SWAPPED (1 << 4)
#define KT_PAGE_IS_PFNZERO (1 << 5)
/* /proc/PID/pagemap entries (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP	   (1ULL << 62)
#define PM_FILE	   (1ULL << 61) /* file page or shared anonymous */

#define PAGE	 KT_PIMG_PAGE_SIZE
#define COPY_BUF (1u << 20)
#define VEC_LEN	 256
#define PM_CHUNK 65536 /* pagemap entries read at once */

/* 1: PAGEMAP_SCAN works, 0: not known yet, -1: the kernel lacks it. */
static int scan_state;

struct mem {
	struct kt_dump *d;
	int pagemap_fd;
	unsigned char *buf; /* COPY_BUF bytes */
	struct kt_page_region vec[VEC_LEN];
	uint64_t pm[PM_CHUNK];
};

/*
 * Note [start, start + len) as a run of the mapping last added, its
 * contents to be written next at the end of pages.img (joined to the run
 * before when they touch).
 */
static int note_run(struct mem *m, uint64_t start, uint64_t len)
{
	struct kt_process_image *img = m->d->img;
	const struct kt_pimg_vma *v = &img->vmas[img->n_vmas - 1];
	struct kt_pimg_run *r = v->n_runs ? &img->runs[img->n_runs - 1] : NULL;

	if (r && r->start + r->len == start) {
		r->len += len;
		return 0;
	}
	r = kt_pimg_add_run(img);
	if (!r)
		return -ENOMEM;
	*r = (struct kt_pimg_run){start, len, m->d->pages_size};
	return 0;
}

/* A run read from the process's memory. */
static int add_run(struct mem *m, uint64_t start, uint64_t end)
{
	int r = note_run(m, start, end - start);

	for (uint64_t at = start; at < end && r == 0;) {
		size_t n = end - at < COPY_BUF ? (size_t)(end - at) : COPY_BUF;

		r = kt_target_read(m->d->target, at, m->buf, n);
		if (r < 0)
			return KT_DUMP_FAIL(m->d, r,
					    "reading 0x%" PRIx64 "-0x%" PRIx64
					    " of process %d: %s",
					    at, at + n, (int)m->d->pid,
					    strerror(-r));
		r = kt_dump_pages_write(m->d, m->buf, n);
		at += n;
	}
	return r;
}

/* The written pages of a private mapping, by PAGEMAP_SCAN. */
static int scan_ioctl(struct mem *m, uint64_t start, uint64_t end)
{
	while (start < end) {
		struct kt_pm_scan_arg a = {
			.size = sizeof(a),
			.start = start,
			.end = end,
			.vec = (uintptr_t)m->vec,
			.vec_len = VEC_LEN,
			/* neither the file's page nor the zero page ... */
			.category_inverted =
				KT_PAGE_IS_FILE | KT_PAGE_IS_PFNZERO,
			.category_mask = KT_PAGE_IS_FILE | KT_PAGE_IS_PFNZERO,
			/* ... but present or swapped out */
			.category_anyof_mask =
				KT_PAGE_IS_PRESENT | KT_PAGE_IS_SWAPPED,
		};
		long n = ioctl(m->pagemap_fd, KT_PAGEMAP_SCAN, &a);

		if (n < 0) {
			int e = -errno;

			/* The first call tells whether the kernel has it:
			 * ENOTTY, pagemap has no ioctl (Linux < 6.7). */
			if (scan_state == 0 && (e == -ENOTTY || e == -EINVAL))
				return e;
			return KT_DUMP_FAIL(m->d, e,
					    "PAGEMAP_SCAN of process %d: %s",
					    (int)m->d->pid, strerror(-e));
		}
		scan_state = 1;
		for (long i = 0; i < n; i++) {
			int r = add_run(m, m->vec[i].start, m->vec[i].end);

			if (r < 0)
				return r;
		}
		if (a.walk_end <= start || a.walk_end > end)
			return KT_DUMP_FAIL(m->d, -EPROTO,
					    "PAGEMAP_SCAN of process %d "
					    "stopped at 0x%" PRIx64,
					    (int)m->d->pid, a.walk_end);
		start = a.walk_end;
	}
	return 0;
}

/* The same, reading /proc/PID/pagemap (Linux < 6.7). */
static int scan_read(struct mem *m, uint64_t start, uint64_t end)
{
	uint64_t run = 0; /* start of the run being gathered, or 0 */

	for (uint64_t at = start; at < end;) {
		size_t n = (end - at) / PAGE;
		ssize_t got;

		if (n > PM_CHUNK)
			n = PM_CHUNK;
		got = pread(m->pagemap_fd, m->pm, n * 8,
			    (off_t)(at / PAGE * 8));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || got % 8)
			return KT_DUMP_FAIL(
				m->d, got < 0 ? -errno : -EIO,
				"/proc/%d/pagemap at 0x%" PRIx64 ": %s",
				(int)m->d->pid, at,
				got < 0 ? strerror(errno) : "short read");
		for (size_t i = 0; i < (size_t)got / 8; i++, at += PAGE) {
			uint64_t e = m->pm[i];
			bool data =
				(e & (PM_PRESENT | PM_SWAP)) && !(e & PM_FILE);
			int r;

			if (data && !run)
				run = at;
			if (!data && run) {
				r = add_run(m, run, at);
				if (r < 0)
					return r;
				run = 0;
			}
		}
	}
	return run ? add_run(m, run, end) : 0;
}

static int scan_private(struct mem *m, const struct kt_proc_map *map)
{
	int r;

	if (scan_state >= 0 && !kt_dump_force_pagemap_read) {
		r = scan_ioctl(m, map->start, map->end);
		if (scan_state == 1 || (r != -ENOTTY && r != -EINVAL))
			return r;
		kt_log(KT_LOG_DEBUG,
		       "dump: no PAGEMAP_SCAN (%s): reading pagemap",
		       strerror(-r));
		scan_state = -1;
	}
	return scan_read(m, map->start, map->end);
}

static int open_map_file(struct mem *m, const struct kt_proc_map *map,
			 char *path, size_t len)
{
	int fd;

	(void)snprintf(path, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		       (int)m->d->pid, map->start, map->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KT_DUMP_FAIL(m->d, -errno, "%s: %s%s", path,
				    strerror(errno),
				    errno == EPERM ? " (needs "
						     "CAP_CHECKPOINT_RESTORE)"
						   : "");
	return fd;
}

/* Shared anonymous memory: the data ranges of its shmem file. */
static int dump_shmem(struct mem *m, const struct kt_proc_map *map)
{
	uint64_t first = map->offset,
		 last = map->offset + (map->end - map->start);
	char path[96];
	off_t at = (off_t)first;
	int fd, r = 0;

	fd = open_map_file(m, map, path, sizeof(path));
	if (fd < 0)
		return fd;
	while ((uint64_t)at < last && r == 0) {
		off_t data = lseek(fd, at, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* no data past at */
		hole = data < 0 ? -1 : lseek(fd, data, SEEK_HOLE);
		if (data < 0 || hole < 0) {
			r = KT_DUMP_FAIL(m->d, -errno, "%s: lseek: %s", path,
					 strerror(errno));
			break;
		}
		data &= ~(off_t)(PAGE - 1);
		if ((uint64_t)data >= last)
			break;
		if ((uint64_t)hole > last)
			hole = (off_t)last;
		/* Read from the file rather than the process: holes stay
		 * holes. */
		for (off_t p = data; p < hole && r == 0;) {
			size_t n = (size_t)(hole - p) < COPY_BUF
					   ? (size_t)(hole - p)
					   : COPY_BUF;
			ssize_t got = pread(fd, m->buf, n, p);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				r = KT_DUMP_FAIL(m->d, got < 0 ? -errno : -EIO,
						 "%s: read: %s", path,
						 got < 0 ? strerror(errno)
							 : "end of file");
				break;
			}
			n = ((size_t)got + PAGE - 1) & ~(size_t)(PAGE - 1);
			memset(m->buf + got, 0, n - (size_t)got);
			r = note_run(m, map->start + ((uint64_t)p - first), n);
			if (r == 0)
				r = kt_dump_pages_write(m->d, m->buf, n);
			p += (off_t)n;
		}
		at = hole;
	}
	(void)close(fd); /* read-only */
	return r;
}

/* A file mapping: the file, which its path must still lead to. */
static int identify_file(struct mem *m, const struct kt_proc_map *map,
			 struct kt_pimg_vma *v)
{
	char path[96], link[KT_PIMG_PATH_MAX];
	struct stat st, by_path;
	ssize_t n;

	(void)snprintf(path, sizeof(path),
		       "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		       (int)m->d->pid, map->start, map->end);
	n = readlink(path, link, sizeof(link));
	if (n < 0 || stat(path, &st) < 0)
		return KT_DUMP_FAIL(m->d, -errno, "%s: %s%s", path,
				    strerror(errno),
				    errno == EPERM ? " (needs "
						     "CAP_CHECKPOINT_RESTORE)"
						   : "");
	if (n == (ssize_t)sizeof(link))
		return KT_DUMP_FAIL(m->d, -ENAMETOOLONG, "%s: too long", path);
	link[n] = '\0';
	if (!S_ISREG(st.st_mode))
		return KT_DUMP_FAIL(m->d, -EOPNOTSUPP,
				    "mapping 0x%" PRIx64 "-0x%" PRIx64
				    " of process %d maps %s, not a regular "
				    "file: not supported",
				    map->start, map->end, (int)m->d->pid, link);
	if (link[0] != '/' || stat(link, &by_path) < 0 ||
	    by_path.st_dev != st.st_dev || by_path.st_ino != st.st_ino)
		return KT_DUMP_FAIL(m->d, -EOPNOTSUPP,
				    "mapping 0x%" PRIx64 "-0x%" PRIx64
				    " of process %d: %s is not reachable by "
				    "its path (replaced, or in another mount "
				    "namespace): not supported",
				    map->start, map->end, (int)m->d->pid, link);
	v->file = kt_pimg_file_id_of(&st);
	return kt_pimg_blob_dup(m->d->img, &v->name, link, (size_t)n);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What a mapping is in the image; 0 to leave it out; < 0 to refuse it. */
static int vma_kind(struct mem *m, const struct kt_proc_map *map)
{
	const char *what;

	switch (map->kind) {
	case KT_MAP_ANON:
		return KT_VMA_ANON;
	case KT_MAP_HEAP:
		return KT_VMA_HEAP;
	case KT_MAP_STACK:
		return KT_VMA_STACK;
	case KT_MAP_VDSO:
		return KT_VMA_VDSO;
	case KT_MAP_VVAR:
		return KT_VMA_VVAR;
	case KT_MAP_VVAR_VCLOCK:
		return KT_VMA_VVAR_VCLOCK;
	case KT_MAP_VSYSCALL:
	case KT_MAP_UPROBES:
		return 0; /* the kernel's, at a place of its own */
	case KT_MAP_ANON_SHMEM:
		return KT_VMA_SHMEM;
	case KT_MAP_FILE:
		if (!map->deleted)
			return KT_VMA_FILE;
		/* MAP_SHARED | MAP_ANONYMOUS: shmem_zero_setup()'s file */
		if (map->shared && map->dev_major == 0 &&
		    strcmp(map->name, "/dev/zero (deleted)") == 0)
			return KT_VMA_SHMEM;
		what = has_prefix(map->name, "/memfd:") ? "a memfd"
		       : has_prefix(map->name, "/SYSV") ? "SysV shared memory"
							: "a deleted file";
		break;
	case KT_MAP_ANON_INODE:
	default:
		what = "an anonymous inode";
		break;
	}
	return KT_DUMP_FAIL(m->d, -EOPNOTSUPP,
			    "mapping 0x%" PRIx64 "-0x%" PRIx64
			    " of process %d is %s (%s): not supported",
			    map->start, map->end, (int)m->d->pid, what,
			    map->name ? map->name : "");
}

/* The vma flags of the image for the VmFlags of smaps. */
static uint32_t vma_flags(unsigned smap_flags)
{
	static const struct {
		unsigned smap;
		uint32_t vma;
	} bits[] = {
		{KT_SMAP_NORESERVE, KT_VMA_NORESERVE},
		{KT_SMAP_DONTCOPY, KT_VMA_DONTFORK},
		{KT_SMAP_WIPEONFORK, KT_VMA_WIPEONFORK},
		{KT_SMAP_DONTDUMP, KT_VMA_DONTDUMP},
		{KT_SMAP_HUGEPAGE, KT_VMA_HUGEPAGE},
		{KT_SMAP_NOHUGEPAGE, KT_VMA_NOHUGEPAGE},
	};
	uint32_t v = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (smap_flags & bits[i].smap)
			v |= bits[i].vma;
	return v;
}

static int dump_map(struct mem *m, const struct kt_proc_map *map,
		    unsigned smap_flags)
{
	struct kt_pimg_vma *v;
	int kind = vma_kind(m, map), r = 0;

	if (kind <= 0)
		return kind;
	v = kt_pimg_add_vma(m->d->img);
	if (!v)
		return -ENOMEM;
	v->start = map->start;
	v->end = map->end;
	v->pgoff =
		kind == KT_VMA_FILE || kind == KT_VMA_SHMEM ? map->offset : 0;
	v->prot = map->prot;
	v->flags = map->shared ? KT_VMA_SHARED : 0;
	v->kind = (uint32_t)kind;
	/* The vdso's and vvar's flags are the kernel's ("dd", "io"...). */
	if (kind != KT_VMA_VDSO && kind != KT_VMA_VVAR &&
	    kind != KT_VMA_VVAR_VCLOCK)
		v->flags |= vma_flags(smap_flags);
	if (kind == KT_VMA_FILE)
		r = identify_file(m, map, v);
	else if (map->name)
		r = kt_pimg_blob_dup(m->d->img, &v->name, map->name,
				     strlen(map->name));
	if (r < 0)
		return r;
	switch (kind) {
	case KT_VMA_VDSO:
	case KT_VMA_VVAR:
	case KT_VMA_VVAR_VCLOCK:
		return 0; /* the kernel's pages */
	case KT_VMA_SHMEM:
		return dump_shmem(m, map);
	default:
		return map->shared ? 0 : scan_private(m, map);
	}
}

static int read_maps(struct kt_dump *d, struct kt_proc_map **ret_maps,
		     size_t *ret_n)
{
	struct kt_parse_error perr;
	char path[64], *text;
	size_t len;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/maps", (int)d->pid);
	r = kt_read_text(path, &text, &len);
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "%s: %s", path, strerror(-r));
	r = kt_procfs_maps_parse(text, len, ret_maps, ret_n, &perr);
	free(text);
	if (r == -EINVAL)
		return KT_DUMP_FAIL(d, -EBADMSG, "%s: %s", path, perr.msg);
	return r;
}

/*
 * The VmFlags of each of the n mappings of maps, from /proc/PID/smaps
 * read after it: *ret_smaps[i] is maps[i]'s. The two must list the same
 * mappings.
 */
static int read_smaps(struct kt_dump *d, const struct kt_proc_map *maps,
		      size_t n, struct kt_proc_smap **ret_smaps)
{
	struct kt_proc_smap *sm = NULL;
	struct kt_parse_error perr;
	char path[64], *text;
	size_t len, n_sm = 0;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/smaps", (int)d->pid);
	r = kt_read_text(path, &text, &len);
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "%s: %s", path, strerror(-r));
	r = kt_procfs_smaps_parse(text, len, &sm, &n_sm, &perr);
	free(text);
	if (r == -EINVAL)
		return KT_DUMP_FAIL(d, -EBADMSG, "%s: %s", path, perr.msg);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n || i < n_sm; i++) {
		char in_maps[48] = "nothing", in_smaps[48] = "nothing";

		if (i < n && i < n_sm && sm[i].start == maps[i].start &&
		    sm[i].end == maps[i].end)
			continue;
		if (i < n)
			(void)snprintf(in_maps, sizeof(in_maps),
				       "0x%" PRIx64 "-0x%" PRIx64,
				       maps[i].start, maps[i].end);
		if (i < n_sm)
			(void)snprintf(in_smaps, sizeof(in_smaps),
				       "0x%" PRIx64 "-0x%" PRIx64, sm[i].start,
				       sm[i].end);
		free(sm);
		return KT_DUMP_FAIL(d, -EAGAIN,
				    "the memory map of process %d changed "
				    "while it was read: mapping %zu is %s in "
				    "maps, %s in smaps",
				    (int)d->pid, i + 1, in_maps, in_smaps);
	}
	*ret_smaps = sm;
	return 0;
}

int kt_dump_mem(struct kt_dump *d)
{
	struct kt_proc_map *maps = NULL;
	struct kt_proc_smap *smaps = NULL;
	struct mem *m;
	char path[64];
	size_t n = 0;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->d = d;
	m->buf = malloc(COPY_BUF);
	(void)snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)d->pid);
	m->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->pagemap_fd < 0)
		r = KT_DUMP_FAIL(d, -errno, "%s: %s", path, strerror(errno));
	else
		r = m->buf ? read_maps(d, &maps, &n) : -ENOMEM;
	if (r == 0)
		r = read_smaps(d, maps, n, &smaps);
	for (size_t i = 0; i < n && r == 0; i++)
		r = dump_map(m, &maps[i], smaps[i].flags);
	if (m->pagemap_fd >= 0)
		(void)close(m->pagemap_fd); /* read-only */
	free(maps);
	free(smaps);
	free(m->buf);
	free(m);
	return r;
}
