/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "procfs_read.h"

int kt_read_text(const char *path, char **ret_text, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || cap - len < 2) {
			char *p;

			if (buf)
				cap *= 2;
			if (cap > KT_PROC_TEXT_MAX + 1) {
				err = -EFBIG;
				break;
			}
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd); /* read-only: nothing to lose */
	if (err < 0) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*ret_text = buf;
	*ret_len = len;
	return 0;
}
