/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a whole process (kt_restore_process(), restore_process.c):
 * what the parts share. One concern per file:
 *   restore_process.c        the order of things: load, check, create the
 *                            process, run the restorer in it, hand it its
 *                            registers, let it go;
 *   restore_process_files.c  the descriptors, mapped files, cwd, exe and
 *                            pages.img opened and checked on our side;
 *   restore_process_args.c   the restorer's arguments and its area.
 */
#ifndef KT_LIB_RESTORE_PROCESS_H
#define KT_LIB_RESTORE_PROCESS_H

#include <stdint.h>
#include <sys/types.h>

#include "../core/restorer.h"
#include "process_image.h"
#include "restore_plan.h"

struct kt_rp {
	const char *dir;
	struct kt_process_image *img;
	char *err_buf;
	size_t err_len;
	struct kt_restore_call rc; /* flags, path, linear bounds */

	/*
	 * Descriptors the new process inherits, every one numbered fd_base or
	 * higher, above every number the image uses (so that putting the
	 * image's descriptors in place cannot close one of them).
	 */
	int fd_base;
	int *fd_work; /* [n_fds]: the image's descriptor i, opened */
	int *vma_fd;  /* [n_vmas]: the file of a file mapping, or -1 */
	int *files;   /* the distinct files of vma_fd, to close */
	size_t n_files;
	int pages_fd;  /* pages.img */
	int exe_fd;    /* the executable, for PR_SET_MM_MAP */
	int cwd_fd;    /* O_PATH of the working directory */
	int status[2]; /* the new process says how its set-up went */

	/* The restorer's area: the blob, its arguments, its stack. */
	uint64_t area, area_len;
	uint64_t args_off;
	unsigned char *args; /* struct ktc_restorer_args and its arrays */
	size_t args_len;
	uint64_t plan_off; /* the timer plan, in args */
	uint64_t sig_ign;  /* signals the image ignores: bit n-1 */
};

#define KT_RP_FAIL(rp, err, ...)                                               \
	kt_fail_msg((rp)->err_buf, (rp)->err_len, err, __VA_ARGS__)

/* restore_process_files.c: open and check everything the process had
 * open or mapped; close it all again (never fails). */
KT_HIDDEN int kt_rp_open_files(struct kt_rp *rp);
KT_HIDDEN void kt_rp_close_files(struct kt_rp *rp);

/* restore_process_args.c: build the restorer's arguments (the timer plan
 * included) into rp->args. */
KT_HIDDEN int kt_rp_build_args(struct kt_rp *rp);
/* Map the area in our own process, in a gap of the image's memory map
 * that is also free here, and fill it: the new process inherits it. */
KT_HIDDEN int kt_rp_map_area(struct kt_rp *rp);
/* Why the restorer failed, from its returned arguments, into err_buf. */
KT_HIDDEN int kt_rp_explain(struct kt_rp *rp,
			    const struct ktc_restorer_args *out,
			    const struct ktc_restore_plan *plan);

#endif /* KT_LIB_RESTORE_PROCESS_H */
