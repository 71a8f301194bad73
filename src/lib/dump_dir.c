/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image directory of a dump: every file is written in a temporary
 * directory inside it (".keeptime-dump-XXXXXX", mode 0700), flushed, then
 * renamed into place with process.img last. process.img names the size
 * and checksum of the others, so that a directory holding files of two
 * dumps (a crash between two renames) is refused by the loader rather
 * than restored wrongly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "dump.h"

static const char *const files[] = {KT_PIMG_PAGES, KT_PIMG_TIMERS,
				    KT_PIMG_PROCESS};

/* Whether the directory holds anything: 1, 0, or a negative errno. */
static int not_empty(int dir_fd)
{
	struct dirent *de;
	int fd, r = 0;
	DIR *dir;

	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		(void)close(fd); /* a directory: nothing to flush */
		return r;
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			r = 1;
			break;
		}
	(void)closedir(dir); /* likewise */
	return r;
}

int kt_dump_dir_open(struct kt_dump *d, const char *dir, bool force)
{
	char *tmpl = NULL;
	int r;

	d->dir = dir;
	if (mkdir(dir, 0700) == 0) {
		d->created_dir = true;
		/* exactly 0700, whatever the umask */
		if (chmod(dir, 0700) < 0) {
			r = -errno;
			goto fail;
		}
	} else if (errno != EEXIST) {
		return KT_DUMP_FAIL(d, -errno, "%s: cannot create it: %s", dir,
				    strerror(errno));
	}
	d->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dir_fd < 0) {
		r = KT_DUMP_FAIL(d, -errno, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!d->created_dir) {
		r = not_empty(d->dir_fd);
		if (r < 0) {
			r = KT_DUMP_FAIL(d, r, "%s: cannot list it: %s", dir,
					 strerror(-r));
			goto fail;
		}
		if (r > 0 && !force) {
			r = KT_DUMP_FAIL(d, -EEXIST,
					 "%s is not empty: a dump writes into "
					 "an empty directory unless forced",
					 dir);
			goto fail;
		}
	}
	if (asprintf(&tmpl, "%s/.keeptime-dump-XXXXXX", dir) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if (!mkdtemp(tmpl)) {
		r = KT_DUMP_FAIL(d, -errno,
				 "%s: cannot create a directory in "
				 "it: %s",
				 dir, strerror(errno));
		free(tmpl);
		goto fail;
	}
	(void)snprintf(d->tmp_name, sizeof(d->tmp_name), "%s",
		       strrchr(tmpl, '/') + 1);
	free(tmpl);
	d->tmp_fd = openat(d->dir_fd, d->tmp_name,
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->tmp_fd < 0) {
		r = KT_DUMP_FAIL(d, -errno, "%s/%s: %s", dir, d->tmp_name,
				 strerror(errno));
		goto fail;
	}
	r = kt_dump_dir_create(d, KT_PIMG_PAGES, &d->pages_fd);
	if (r < 0)
		goto fail;
	return 0;

fail:
	kt_dump_dir_abort(d);
	return r;
}

int kt_dump_dir_create(struct kt_dump *d, const char *name, int *ret_fd)
{
	int fd = openat(d->tmp_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			0600);

	if (fd < 0)
		return KT_DUMP_FAIL(d, -errno, "%s/%s/%s: %s", d->dir,
				    d->tmp_name, name, strerror(errno));
	/* exactly 0600, whatever the umask: the image reveals the memory */
	if (fchmod(fd, 0600) < 0) {
		int r = -errno;

		(void)close(fd); /* empty: nothing to lose */
		return KT_DUMP_FAIL(d, r, "%s: chmod: %s", name, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

int kt_dump_pages_write(struct kt_dump *d, const void *buf, size_t len)
{
	int r = kt_img_write_all(d->pages_fd, buf, len);

	if (r < 0)
		return KT_DUMP_FAIL(d, r, "%s/%s: writing: %s", d->dir,
				    KT_PIMG_PAGES, strerror(-r));
	d->pages_crc = kt_crc32c(d->pages_crc, buf, len);
	d->pages_size += len;
	return 0;
}

int kt_dump_dir_commit(struct kt_dump *d)
{
	int r;

	if (fsync(d->pages_fd) < 0)
		return KT_DUMP_FAIL(d, -errno, "%s/%s: fsync: %s", d->dir,
				    KT_PIMG_PAGES, strerror(errno));
	r = close(d->pages_fd);
	d->pages_fd = -1;
	if (r < 0)
		return KT_DUMP_FAIL(d, -errno, "%s/%s: close: %s", d->dir,
				    KT_PIMG_PAGES, strerror(errno));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (renameat(d->tmp_fd, files[i], d->dir_fd, files[i]) < 0)
			return KT_DUMP_FAIL(d, -errno, "%s/%s: rename: %s",
					    d->dir, files[i], strerror(errno));
	if (fsync(d->dir_fd) < 0)
		return KT_DUMP_FAIL(d, -errno, "%s: fsync: %s", d->dir,
				    strerror(errno));
	/* Empty now; a failure leaves an empty directory, logged. */
	if (unlinkat(d->dir_fd, d->tmp_name, AT_REMOVEDIR) < 0)
		kt_log(KT_LOG_WARN, "dump: %s/%s: rmdir: %s", d->dir,
		       d->tmp_name, strerror(errno));
	d->tmp_name[0] = '\0';
	(void)close(d->tmp_fd); /* directories: nothing to flush */
	(void)close(d->dir_fd);
	d->tmp_fd = d->dir_fd = -1;
	d->created_dir = false; /* it holds the image now */
	return 0;
}

void kt_dump_dir_abort(struct kt_dump *d)
{
	if (d->pages_fd >= 0)
		(void)close(d->pages_fd); /* about to be removed */
	d->pages_fd = -1;
	if (d->tmp_fd >= 0) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			/* ENOENT: not written yet */
			(void)unlinkat(d->tmp_fd, files[i], 0);
		(void)close(d->tmp_fd); /* a directory: nothing to flush */
		d->tmp_fd = -1;
	}
	if (d->dir_fd >= 0) {
		if (d->tmp_name[0] &&
		    unlinkat(d->dir_fd, d->tmp_name, AT_REMOVEDIR) < 0)
			kt_log(KT_LOG_WARN, "dump: %s/%s: rmdir: %s", d->dir,
			       d->tmp_name, strerror(errno));
		d->tmp_name[0] = '\0';
		(void)close(d->dir_fd); /* likewise */
		d->dir_fd = -1;
	}
	if (d->created_dir && rmdir(d->dir) < 0)
		kt_log(KT_LOG_WARN, "dump: %s: rmdir: %s", d->dir,
		       strerror(errno));
	d->created_dir = false;
}
