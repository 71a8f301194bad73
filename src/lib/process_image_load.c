/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading an image directory: process.img parsed and checked, then the
 * other two files checked against what it says of them (size, CRC-32C),
 * so that files of two different dumps are never taken for one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "process_image.h"
#include "snapshot.h"

#define READ_CHUNK (1u << 20)

static int fail(char *err_buf, size_t err_len, int err, const char *file,
		const char *why)
{
	return kt_fail_msg(err_buf, err_len, err, "%s: %s", file, why);
}

static int open_in(int dir_fd, const char *name, char *err_buf, size_t err_len)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(err_buf, err_len, -errno, name, strerror(errno));
	return fd;
}

static int load_process(int dir_fd, struct kt_process_image **ret_img,
			char *err_buf, size_t err_len)
{
	unsigned char *buf = NULL;
	char why[256] = "";
	size_t len;
	int fd, r;

	fd = open_in(dir_fd, KT_PIMG_PROCESS, err_buf, err_len);
	if (fd < 0)
		return fd;
	r = kt_img_read_all(fd, KT_PIMG_MAX_SIZE, &buf, &len);
	(void)close(fd); /* read-only */
	if (r < 0)
		return fail(err_buf, err_len, r, KT_PIMG_PROCESS,
			    r == -EFBIG ? "larger than the 64 MiB a process "
					  "image may have"
					: strerror(-r));
	r = kt_process_image_parse(buf, len, ret_img, why, sizeof(why));
	free(buf);
	if (r < 0)
		return fail(err_buf, err_len, r, KT_PIMG_PROCESS,
			    why[0] ? why : strerror(-r));
	return 0;
}

static int check_pages(int dir_fd, const struct kt_pimg_files *files,
		       char *err_buf, size_t err_len)
{
	uint64_t size = 0;
	uint32_t crc = 0;
	char why[160];
	unsigned char *buf;
	int fd, r = 0;

	fd = open_in(dir_fd, KT_PIMG_PAGES, err_buf, err_len);
	if (fd < 0)
		return fd;
	buf = malloc(READ_CHUNK);
	if (!buf) {
		(void)close(fd); /* read-only */
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fail(err_buf, err_len, -errno, KT_PIMG_PAGES,
				 strerror(errno));
			break;
		}
		if (n == 0)
			break;
		crc = kt_crc32c(crc, buf, (size_t)n);
		size += (uint64_t)n;
	}
	free(buf);
	(void)close(fd); /* read-only */
	if (r < 0)
		return r;
	if (size != files->pages_size || crc != files->pages_crc) {
		(void)snprintf(why, sizeof(why),
			       "%llu bytes of CRC-32C 0x%08x, process.img "
			       "says %llu bytes of 0x%08x: damaged, or of "
			       "another dump",
			       (unsigned long long)size, crc,
			       (unsigned long long)files->pages_size,
			       files->pages_crc);
		return fail(err_buf, err_len, -EBADMSG, KT_PIMG_PAGES, why);
	}
	return 0;
}

static int load_timers(int dir_fd, struct kt_process_image *img, char *err_buf,
		       size_t err_len)
{
	char why[256] = "";
	KT_OPTS(kt_load_opts, opts, .err_buf = why, .err_len = sizeof(why));
	unsigned char crc[4];
	struct stat st;
	int fd, r;

	fd = open_in(dir_fd, KT_PIMG_TIMERS, err_buf, err_len);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || pread(fd, crc, sizeof(crc), 24) < 0) {
		r = fail(err_buf, err_len, -errno, KT_PIMG_TIMERS,
			 strerror(errno));
		(void)close(fd); /* read-only */
		return r;
	}
	r = kt_snapshot_load(fd, &img->timers, &opts);
	(void)close(fd); /* read-only */
	if (r < 0)
		return fail(err_buf, err_len, r, KT_PIMG_TIMERS,
			    why[0] ? why : strerror(-r));
	if ((uint64_t)st.st_size != img->files.timers_size ||
	    kt_img_get_le(crc, 4) != img->files.timers_crc) {
		(void)snprintf(why, sizeof(why),
			       "%lld bytes of checksum 0x%08x, process.img "
			       "says %llu bytes of 0x%08x: of another dump",
			       (long long)st.st_size,
			       (unsigned)kt_img_get_le(crc, 4),
			       (unsigned long long)img->files.timers_size,
			       img->files.timers_crc);
		return fail(err_buf, err_len, -EBADMSG, KT_PIMG_TIMERS, why);
	}
	return 0;
}

int kt_process_image_load(const char *dir, struct kt_process_image **ret_img,
			  char *err_buf, size_t err_len)
{
	struct kt_process_image *img = NULL;
	int dir_fd, r;

	if (err_buf && err_len)
		err_buf[0] = '\0';
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return fail(err_buf, err_len, -errno, dir, strerror(errno));
	r = load_process(dir_fd, &img, err_buf, err_len);
	if (r == 0)
		r = check_pages(dir_fd, &img->files, err_buf, err_len);
	if (r == 0)
		r = load_timers(dir_fd, img, err_buf, err_len);
	(void)close(dir_fd); /* a directory: nothing to flush */
	if (r < 0) {
		kt_process_image_free(img);
		return r;
	}
	*ret_img = img;
	return 0;
}
