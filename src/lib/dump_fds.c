/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File descriptors: /proc/PID/fd (the path, and stat through it) and
 * /proc/PID/fdinfo (position, flags). Regular files, directories and
 * character devices that are not terminals are recorded by path, with
 * what identifies the file; timerfds are left to timers.img; anything
 * else is refused with a message naming the descriptor and its kind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dump.h"
#include "procfs_fdinfo.h"
#include "procfs_read.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The descriptors, ascending, in a malloc'd array. */
static int list_fds(struct kt_dump *d, int **ret_fds, size_t *ret_n)
{
	size_t n = 0, cap = 0;
	struct dirent *de;
	int *fds = NULL, r = 0;
	char path[64];
	DIR *dir;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
	dir = opendir(path);
	if (!dir)
		return KT_DUMP_FAIL(d, -errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 0 || fd > INT32_MAX)
			continue; /* "." and ".." */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int *p = reallocarray(fds, ncap, sizeof(*p));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			fds = p;
			cap = ncap;
		}
		fds[n++] = (int)fd;
	}
	(void)closedir(dir); /* a directory: nothing to flush */
	if (r < 0) {
		free(fds);
		return r;
	}
	qsort(fds, n, sizeof(*fds), cmp_int);
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

/* The character devices of terminals (Documentation/admin-guide/
 * devices.txt): legacy and Unix98 ptys, ttys and consoles, serial. */
static bool is_terminal(dev_t rdev)
{
	unsigned m = major(rdev);

	return m == 2 || m == 3 || m == 4 || m == 5 || (m >= 128 && m <= 143) ||
	       m == 188 || m == 204 || m == 229;
}

/* The kind of what a descriptor refers to, for a refusal. */
static const char *kind_name(const struct stat *st, const char *link)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFIFO:
		return strncmp(link, "pipe:", 5) == 0 ? "a pipe" : "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFBLK:
		return "a block device";
	case S_IFCHR:
		return "a terminal";
	case S_IFREG:
	case S_IFDIR:
		return "a deleted file";
	}
	return "an anonymous inode";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int read_fdinfo(struct kt_dump *d, int fd, struct kt_fdinfo_file *info)
{
	struct kt_parse_error perr;
	char path[64], *text;
	size_t len;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)d->pid,
		       fd);
	r = kt_read_text(path, &text, &len);
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "%s: %s", path, strerror(-r));
	r = kt_procfs_fdinfo_file_parse(text, len, info, &perr);
	free(text);
	if (r < 0)
		return KT_DUMP_FAIL(d, -EBADMSG, "%s: %s", path, perr.msg);
	return 0;
}

static int dump_fd(struct kt_dump *d, int fd)
{
	char path[64], link[KT_PIMG_PATH_MAX];
	struct kt_fdinfo_file info;
	struct stat st, by_path;
	struct kt_pimg_fd *f;
	unsigned kind;
	ssize_t n;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)d->pid, fd);
	n = readlink(path, link, sizeof(link));
	if (n < 0 || stat(path, &st) < 0)
		return KT_DUMP_FAIL(d, errno == ENOENT ? -EAGAIN : -errno,
				    "%s: %s", path, strerror(errno));
	if (n == (ssize_t)sizeof(link))
		return KT_DUMP_FAIL(d, -ENAMETOOLONG, "%s: path too long",
				    path);
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[timerfd]") == 0)
		return 0; /* timers.img holds it */

	if (S_ISREG(st.st_mode))
		kind = KT_FD_REG;
	else if (S_ISDIR(st.st_mode))
		kind = KT_FD_DIR;
	else if (S_ISCHR(st.st_mode) && !is_terminal(st.st_rdev))
		kind = KT_FD_CHR;
	else
		kind = 0;
	/* The path must still name this very file for a restore to open. */
	if (kind && (link[0] != '/' || ends_with(link, " (deleted)") ||
		     stat(link, &by_path) < 0 || by_path.st_dev != st.st_dev ||
		     by_path.st_ino != st.st_ino)) {
		if (!ends_with(link, " (deleted)"))
			return KT_DUMP_FAIL(d, -EOPNOTSUPP,
					    "fd %d of process %d: %s is not "
					    "reachable by its path (renamed, "
					    "or in another mount namespace): "
					    "not supported",
					    fd, (int)d->pid, link);
		kind = 0;
	}
	if (!kind)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "fd %d of process %d is %s (%s): not "
				    "supported",
				    fd, (int)d->pid, kind_name(&st, link),
				    link);

	r = read_fdinfo(d, fd, &info);
	if (r < 0)
		return r;
	if (info.locks)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "fd %d of process %d (%s) holds %u file "
				    "lock(s): not supported",
				    fd, (int)d->pid, link, info.locks);
	f = kt_pimg_add_fd(d->img);
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->kind = kind;
	f->flags = info.flags;
	f->mnt_id = info.mnt_id;
	f->pos = info.pos;
	f->file = kt_pimg_file_id_of(&st);
	return kt_pimg_blob_dup(d->img, &f->path, link, (size_t)n);
}

int kt_dump_fds(struct kt_dump *d)
{
	size_t n = 0;
	int *fds = NULL, r = 0;

	r = list_fds(d, &fds, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = dump_fd(d, fds[i]);
	free(fds);
	return r;
}
