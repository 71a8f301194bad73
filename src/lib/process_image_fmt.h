/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record layouts of process.img (docs/process-image.md), shared by
 * its writer (process_image.c) and its reader (process_image_parse.c). */
#ifndef KT_LIB_PROCESS_IMAGE_FMT_H
#define KT_LIB_PROCESS_IMAGE_FMT_H

#include "image_codec.h"
#include "process_image.h"

enum kt_pimg_record {
	KT_PREC_PROCESS = 1,
	KT_PREC_FILES = 2,
	KT_PREC_THREAD = 3,
	KT_PREC_SIGACTION = 4,
	KT_PREC_SIGINFO = 5,
	KT_PREC_RLIMIT = 6,
	KT_PREC_FD = 7,
	KT_PREC_VMA = 8,
	KT_PREC_PAGES = 9,
	KT_PREC_CREDS = 10, /* since 1.2 */
};

#define KT_PIMG_N_LAYOUTS 10

KT_HIDDEN extern const struct kt_img_format kt_pimg_format;
/* Indexed by record type - 1. */
KT_HIDDEN extern const struct kt_img_layout kt_pimg_layouts[KT_PIMG_N_LAYOUTS];

static inline const struct kt_img_layout *kt_pimg_layout(enum kt_pimg_record t)
{
	return &kt_pimg_layouts[t - 1];
}

#endif /* KT_LIB_PROCESS_IMAGE_FMT_H */
