/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files of a process being restored, opened and checked here before
 * the process exists (restore_process.h): its descriptors, the files it
 * mapped, its executable, its working directory, and pages.img. Each is
 * opened by its path, then checked by what the open gave (fstat of the
 * descriptor), so what is checked is what the process gets.
 *
 *   - a descriptor must lead to the same file (device, inode, type); its
 *     size and time may differ: the process may have been writing it;
 *   - a mapped file must be unchanged (device, inode, size, mtime, mode):
 *     its pages that the image does not hold come from it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restore_process.h"

/* What open(2) takes back of the flags fdinfo shows. */
#define REOPEN_FLAGS                                                           \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT |     \
	 O_NOATIME | O_LARGEFILE | O_DIRECTORY | O_PATH)

/* Move fd to the lowest free number >= rp->fd_base (close-on-exec: it
 * matters only to us; the new process has no exec before it is done). */
static int lift(struct kt_rp *rp, int fd, int *ret_fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, rp->fd_base);
	int err = -errno;

	(void)close(fd);
	if (hi < 0)
		return err;
	*ret_fd = hi;
	return 0;
}

static int open_lifted(struct kt_rp *rp, const char *path, int flags,
		       int *ret_fd, struct stat *st)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (st && fstat(fd, st) < 0) {
		int err = -errno;

		(void)close(fd);
		return err;
	}
	return lift(rp, fd, ret_fd);
}

/* A path of the image as a string (the loader checked it: 1..4095 bytes,
 * no NUL). */
static const char *path_of(const struct kt_img_blob *b,
			   char buf[KT_PIMG_PATH_MAX])
{
	memcpy(buf, b->data, b->len);
	buf[b->len] = '\0';
	return buf;
}

static bool same_file(const struct stat *st, const struct kt_pimg_file_id *id)
{
	return (uint64_t)st->st_dev == id->dev &&
	       (uint64_t)st->st_ino == id->ino &&
	       (st->st_mode & S_IFMT) == (id->mode & S_IFMT);
}

static int open_fds(struct kt_rp *rp)
{
	const struct kt_process_image *img = rp->img;

	for (size_t i = 0; i < img->n_fds; i++) {
		const struct kt_pimg_fd *f = &img->fds[i];
		char buf[KT_PIMG_PATH_MAX];
		const char *path = path_of(&f->path, buf);
		int flags = (int)(f->flags & REOPEN_FLAGS);
		struct stat st;
		int r;

		r = open_lifted(rp, path, flags, &rp->fd_work[i], &st);
		if (r < 0)
			return KT_RP_FAIL(rp, r, "fd %d: opening %s: %s", f->fd,
					  path, strerror(-r));
		if (!same_file(&st, &f->file) ||
		    (f->kind == KT_FD_CHR &&
		     (uint64_t)st.st_rdev != f->file.rdev))
			return KT_RP_FAIL(rp, -ESTALE,
					  "fd %d: %s is no longer the file the "
					  "process had open (device or inode "
					  "changed)",
					  f->fd, path);
		if ((f->kind == KT_FD_REG ||
		     (f->kind == KT_FD_DIR && f->pos)) &&
		    !(f->flags & O_PATH) &&
		    lseek(rp->fd_work[i], f->pos, SEEK_SET) != f->pos)
			return KT_RP_FAIL(rp, -errno,
					  "fd %d: %s: seeking to %lld: %s",
					  f->fd, path, (long long)f->pos,
					  strerror(errno));
	}
	return 0;
}

/* A file mapping needs write access to its file only when shared and
 * writable. */
static int vma_open_flags(const struct kt_pimg_vma *v)
{
	return (v->flags & KT_VMA_SHARED) && (v->prot & 2) ? O_RDWR : O_RDONLY;
}

static int open_vma_files(struct kt_rp *rp)
{
	const struct kt_process_image *img = rp->img;

	for (size_t i = 0; i < img->n_vmas; i++) {
		const struct kt_pimg_vma *v = &img->vmas[i];
		const struct kt_pimg_file_id *id = &v->file;
		char buf[KT_PIMG_PATH_MAX];
		const char *path = path_of(&v->name, buf);
		struct stat st;
		int r;

		rp->vma_fd[i] = -1;
		if (v->kind != KT_VMA_FILE)
			continue;
		/* One descriptor per file and access. */
		for (size_t k = 0; k < i && rp->vma_fd[i] < 0; k++)
			if (rp->vma_fd[k] >= 0 &&
			    img->vmas[k].file.dev == id->dev &&
			    img->vmas[k].file.ino == id->ino &&
			    vma_open_flags(&img->vmas[k]) == vma_open_flags(v))
				rp->vma_fd[i] = rp->vma_fd[k];
		if (rp->vma_fd[i] >= 0)
			continue;
		r = open_lifted(rp, path, vma_open_flags(v), &rp->vma_fd[i],
				&st);
		if (r < 0)
			return KT_RP_FAIL(rp, r,
					  "mapping 0x%llx-0x%llx: opening %s: "
					  "%s",
					  (unsigned long long)v->start,
					  (unsigned long long)v->end, path,
					  strerror(-r));
		rp->files[rp->n_files++] = rp->vma_fd[i];
		if (!same_file(&st, id) || (int64_t)st.st_size != id->size ||
		    st.st_mtim.tv_sec != id->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != id->mtime.tv_nsec ||
		    (uint32_t)st.st_mode != id->mode)
			return KT_RP_FAIL(
				rp, -ESTALE,
				"%s has changed since the dump (the "
				"process mapped it at 0x%llx): "
				"size %lld, was %lld; mtime %lld.%09ld, "
				"was %lld.%09ld",
				path, (unsigned long long)v->start,
				(long long)st.st_size, (long long)id->size,
				(long long)st.st_mtim.tv_sec,
				st.st_mtim.tv_nsec, (long long)id->mtime.tv_sec,
				(long)id->mtime.tv_nsec);
	}
	return 0;
}

int kt_rp_open_files(struct kt_rp *rp)
{
	const struct kt_process_image *img = rp->img;
	const struct kt_snapshot *timers = img->timers;
	char path[PATH_MAX], buf[KT_PIMG_PATH_MAX];
	struct stat st;
	int top = 2, r;

	/* Above every number the image uses, its timerfds included. */
	for (size_t i = 0; i < img->n_fds; i++)
		top = img->fds[i].fd > top ? img->fds[i].fd : top;
	for (size_t i = 0; i < kt_snapshot_timerfd_count(timers); i++) {
		const struct kt_timerfd *t = kt_snapshot_timerfd(timers, i);

		top = t->fd > top ? t->fd : top;
	}
	rp->fd_base = top + 1;

	rp->fd_work = malloc((img->n_fds + 1) * sizeof(int));
	rp->vma_fd = malloc((img->n_vmas + 1) * sizeof(int));
	rp->files = malloc((img->n_vmas + 1) * sizeof(int));
	if (!rp->fd_work || !rp->vma_fd || !rp->files)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_fds; i++)
		rp->fd_work[i] = -1;
	for (size_t i = 0; i < img->n_vmas; i++)
		rp->vma_fd[i] = -1;

	r = open_fds(rp);
	if (!r)
		r = open_vma_files(rp);
	if (r < 0)
		return r;

	r = open_lifted(rp, path_of(&img->proc.exe, buf), O_RDONLY, &rp->exe_fd,
			&st);
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EACCES;
	if (r < 0)
		return KT_RP_FAIL(rp, r, "the executable %s: %s", buf,
				  strerror(-r));
	r = open_lifted(rp, path_of(&img->proc.cwd, buf), O_PATH | O_DIRECTORY,
			&rp->cwd_fd, NULL);
	if (r < 0)
		return KT_RP_FAIL(rp, r, "the working directory %s: %s", buf,
				  strerror(-r));
	(void)snprintf(path, sizeof(path), "%s/%s", rp->dir, KT_PIMG_PAGES);
	r = open_lifted(rp, path, O_RDONLY, &rp->pages_fd, &st);
	if (r == 0 && (uint64_t)st.st_size != img->files.pages_size)
		r = -EBADMSG; /* changed since the loader checked it */
	if (r < 0)
		return KT_RP_FAIL(rp, r, "%s: %s", path, strerror(-r));
	if (pipe2(rp->status, O_CLOEXEC) < 0)
		return KT_RP_FAIL(rp, -errno, "pipe: %s", strerror(errno));
	r = lift(rp, rp->status[0], &rp->status[0]);
	if (r == 0)
		r = lift(rp, rp->status[1], &rp->status[1]);
	if (r < 0)
		return KT_RP_FAIL(rp, r, "pipe: %s", strerror(-r));
	return 0;
}

static void close_one(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

void kt_rp_close_files(struct kt_rp *rp)
{
	if (rp->fd_work)
		for (size_t i = 0; i < rp->img->n_fds; i++)
			close_one(&rp->fd_work[i]);
	for (size_t i = 0; i < rp->n_files; i++)
		close_one(&rp->files[i]);
	close_one(&rp->pages_fd);
	close_one(&rp->exe_fd);
	close_one(&rp->cwd_fd);
	close_one(&rp->status[0]);
	close_one(&rp->status[1]);
	free(rp->fd_work);
	free(rp->vma_fd);
	free(rp->files);
	rp->fd_work = rp->vma_fd = rp->files = NULL;
	rp->n_files = 0;
}
