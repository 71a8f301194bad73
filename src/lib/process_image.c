/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process image in memory, and writing process.img. */
#include <errno.h>
#include <stdlib.h>

#include "process_image_fmt.h"
#include "snapshot.h"

struct kt_process_image *kt_process_image_new(void)
{
	struct kt_process_image *img = calloc(1, sizeof(*img));

	if (!img)
		return NULL;
	for (int r = 0; r < KT_PIMG_NRLIMITS; r++)
		img->rlimits[r].resource = -1; /* not filled */
	return img;
}

void kt_process_image_free(struct kt_process_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n_owned; i++)
		free(img->owned[i]);
	free(img->owned);
	free(img->threads);
	free(img->pending);
	free(img->fds);
	free(img->vmas);
	free(img->runs);
	kt_snapshot_free(img->timers);
	free(img);
}

/* Make room for one more element of *array: 0 or -ENOMEM. */
static int grow(void **array, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = reallocarray(*array, ncap, sz);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = ncap;
	return 0;
}

/* Keep p (malloc'd) to free with the image; frees it on failure. */
static int keep(struct kt_process_image *img, void *p)
{
	if (grow((void **)&img->owned, &img->cap_owned, img->n_owned,
		 sizeof(void *)) < 0) {
		free(p);
		return -ENOMEM;
	}
	img->owned[img->n_owned++] = p;
	return 0;
}

int kt_pimg_blob_dup(struct kt_process_image *img, struct kt_img_blob *blob,
		     const void *data, size_t len)
{
	void *p;

	if (len > UINT32_MAX)
		return -EFBIG;
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, data, len);
	if (keep(img, p) < 0)
		return -ENOMEM;
	blob->data = p;
	blob->len = (uint32_t)len;
	return 0;
}

#define ADD(img, array, n, cap)                                                \
	(grow((void **)&(img)->array, &(img)->cap, (img)->n,                   \
	      sizeof(*(img)->array)) < 0                                       \
		 ? NULL                                                        \
		 : memset(&(img)->array[(img)->n++], 0,                        \
			  sizeof(*(img)->array)))

struct kt_pimg_thread *kt_pimg_add_thread(struct kt_process_image *img)
{
	return ADD(img, threads, n_threads, cap_threads);
}

struct kt_pimg_siginfo *kt_pimg_add_pending(struct kt_process_image *img)
{
	return ADD(img, pending, n_pending, cap_pending);
}

struct kt_pimg_fd *kt_pimg_add_fd(struct kt_process_image *img)
{
	return ADD(img, fds, n_fds, cap_fds);
}

struct kt_pimg_vma *kt_pimg_add_vma(struct kt_process_image *img)
{
	struct kt_pimg_vma *v = ADD(img, vmas, n_vmas, cap_vmas);

	if (v)
		v->first_run = img->n_runs;
	return v;
}

struct kt_pimg_run *kt_pimg_add_run(struct kt_process_image *img)
{
	struct kt_pimg_run *r;

	if (img->n_vmas == 0)
		return NULL;
	r = ADD(img, runs, n_runs, cap_runs);
	if (r)
		img->vmas[img->n_vmas - 1].n_runs++;
	return r;
}

/* Call fn(layout, element) for every record, in the order of the file. */
static void each_record(const struct kt_process_image *img,
			void (*fn)(const struct kt_img_layout *, const void *,
				   void *),
			void *ctx)
{
	fn(kt_pimg_layout(KT_PREC_PROCESS), &img->proc, ctx);
	fn(kt_pimg_layout(KT_PREC_FILES), &img->files, ctx);
	if (img->has_creds)
		fn(kt_pimg_layout(KT_PREC_CREDS), &img->creds, ctx);
	for (size_t i = 0; i < img->n_threads; i++)
		fn(kt_pimg_layout(KT_PREC_THREAD), &img->threads[i], ctx);
	for (int s = 0; s < KT_PIMG_NSIG; s++)
		if (img->sigactions[s].signo)
			fn(kt_pimg_layout(KT_PREC_SIGACTION),
			   &img->sigactions[s], ctx);
	for (size_t i = 0; i < img->n_pending; i++)
		fn(kt_pimg_layout(KT_PREC_SIGINFO), &img->pending[i], ctx);
	for (int r = 0; r < KT_PIMG_NRLIMITS; r++)
		if (img->rlimits[r].resource >= 0)
			fn(kt_pimg_layout(KT_PREC_RLIMIT), &img->rlimits[r],
			   ctx);
	for (size_t i = 0; i < img->n_fds; i++)
		fn(kt_pimg_layout(KT_PREC_FD), &img->fds[i], ctx);
	for (size_t i = 0; i < img->n_vmas; i++) {
		const struct kt_pimg_vma *v = &img->vmas[i];

		fn(kt_pimg_layout(KT_PREC_VMA), v, ctx);
		for (size_t k = 0; k < v->n_runs; k++)
			fn(kt_pimg_layout(KT_PREC_PAGES),
			   &img->runs[v->first_run + k], ctx);
	}
}

static void add_size(const struct kt_img_layout *l, const void *src, void *ctx)
{
	*(size_t *)ctx += kt_img_record_size(l, src);
}

static void emit(const struct kt_img_layout *l, const void *src, void *ctx)
{
	kt_img_emit(ctx, l, src);
}

int kt_process_image_encode(const struct kt_process_image *img,
			    unsigned char **ret_buf, size_t *ret_len)
{
	struct kt_img_out o = {0};
	size_t size = KT_IMG_HEADER_SIZE;

	each_record(img, add_size, &size);
	o.buf = calloc(1, size);
	if (!o.buf)
		return -ENOMEM;
	kt_img_begin(&o, &kt_pimg_format, size);
	each_record(img, emit, &o);
	(void)kt_img_seal(&o); /* the file's own checksum */
	*ret_buf = o.buf;
	*ret_len = o.len;
	return 0;
}
