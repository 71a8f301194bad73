/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the process.img parser on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/process_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_process_image *img = NULL;
	char msg[256] = "";
	uint64_t covered = 0;
	int r = kt_process_image_parse(data, size, &img, msg, sizeof(msg));

	if (r < 0) {
		/* a refusal leaves no image and says where */
		if (img || (r != -ENOMEM && strncmp(msg, "offset ", 7) != 0))
			abort();
		return 0;
	}
	/* Whatever was accepted: mappings ascending, runs inside their
	 * mapping, pages.img covered exactly once, in order. */
	for (size_t i = 0; i < img->n_vmas; i++) {
		const struct kt_pimg_vma *v = &img->vmas[i];

		if (v->start >= v->end ||
		    (i && v->start < img->vmas[i - 1].end))
			abort();
		for (size_t k = 0; k < v->n_runs; k++) {
			const struct kt_pimg_run *run =
				&img->runs[v->first_run + k];

			if (run->start < v->start ||
			    run->start + run->len > v->end ||
			    run->off != covered)
				abort();
			covered += run->len;
		}
	}
	if (covered != img->files.pages_size || img->n_threads == 0)
		abort();
	kt_process_image_free(img);
	return 0;
}
