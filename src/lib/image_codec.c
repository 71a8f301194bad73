/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record codec shared by keeptime's image files (image_codec.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "image_codec.h"

static size_t field_size(unsigned char type)
{
	return type == KT_F_I32 || type == KT_F_U32 ? 4 : 8;
}

size_t kt_img_record_size(const struct kt_img_layout *l, const void *src)
{
	const unsigned char *s = src;
	size_t size = KT_IMG_RECORD_HEADER_SIZE + l->size;

	for (size_t i = 0; i < l->n_fields; i++) {
		struct kt_img_blob b;

		if (l->fields[i].type != KT_F_BLOB)
			continue;
		memcpy(&b, s + l->fields[i].member, sizeof(b));
		size += b.len;
	}
	return size;
}

/* Encode the C structure at src into a payload per the layout; blobs go
 * after the fixed part, in the order of the table. Returns its length. */
static size_t encode(const struct kt_img_layout *l, const void *src,
		     unsigned char *out)
{
	const unsigned char *s = src;
	size_t tail = l->size;

	memset(out, 0, l->size);
	for (size_t i = 0; i < l->n_fields; i++) {
		const struct kt_img_field *f = &l->fields[i];
		uint64_t v;

		switch (f->type) {
		case KT_F_I32: {
			int32_t x;

			memcpy(&x, s + f->member, 4);
			v = (uint32_t)x;
			break;
		}
		case KT_F_U32: {
			uint32_t x;

			memcpy(&x, s + f->member, 4);
			v = x;
			break;
		}
		case KT_F_BLOB: {
			struct kt_img_blob b;

			memcpy(&b, s + f->member, sizeof(b));
			if (b.len)
				memcpy(out + tail, b.data, b.len);
			kt_img_put_le(out + f->off, tail, 4);
			kt_img_put_le(out + f->off + 4, b.len, 4);
			tail += b.len;
			continue;
		}
		default:
			memcpy(&v, s + f->member, 8);
			break;
		}
		kt_img_put_le(out + f->off, v, field_size(f->type));
	}
	return tail;
}

void kt_img_begin(struct kt_img_out *o, const struct kt_img_format *f,
		  size_t size)
{
	memset(o->buf, 0, KT_IMG_HEADER_SIZE);
	memcpy(o->buf, f->magic, 8);
	kt_img_put_le(o->buf + 8, f->major, 2);
	kt_img_put_le(o->buf + 10, f->minor, 2);
	kt_img_put_le(o->buf + 12, KT_IMG_HEADER_SIZE, 4);
	kt_img_put_le(o->buf + 16, size - KT_IMG_HEADER_SIZE, 8);
	o->len = KT_IMG_HEADER_SIZE;
}

void kt_img_emit(struct kt_img_out *o, const struct kt_img_layout *l,
		 const void *src)
{
	unsigned char *p = o->buf + o->len;
	size_t len = encode(l, src, p + KT_IMG_RECORD_HEADER_SIZE);

	kt_img_put_le(p, l->type, 2);
	kt_img_put_le(p + 2, KT_IMG_RECORD_MANDATORY, 2);
	kt_img_put_le(p + 4, len, 4);
	o->len += KT_IMG_RECORD_HEADER_SIZE + len;
}

uint32_t kt_img_seal(struct kt_img_out *o)
{
	uint32_t crc;

	/* The checksum covers the whole file, its own field taken as 0. */
	kt_img_put_le(o->buf + 24, 0, 4);
	crc = kt_crc32c(0, o->buf, o->len);
	kt_img_put_le(o->buf + 24, crc, 4);
	return crc;
}

int kt_img_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kt_img_bad(struct kt_img_in *in, int err, size_t off, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	kt_log(KT_LOG_ERROR, "%s: offset %zu: %s", in->format->log_prefix, off,
	       why);
	if (in->err_buf && in->err_len)
		(void)snprintf(in->err_buf, in->err_len, "offset %zu: %s", off,
			       why);
	return err;
}

int kt_img_load_header(struct kt_img_in *in, size_t *ret_body)
{
	const struct kt_img_format *f = in->format;
	const unsigned char *b = in->buf;
	unsigned major, minor;
	uint64_t hsize, bsize;
	uint32_t crc, want;
	unsigned char zero[4] = {0};

	if (in->len < KT_IMG_HEADER_SIZE)
		return kt_img_bad(in, -EBADMSG, 0,
				  "file of %zu bytes is shorter than the "
				  "%d-byte header: not a %s",
				  in->len, KT_IMG_HEADER_SIZE, f->noun);
	if (memcmp(b, f->magic, 8) != 0)
		return kt_img_bad(in, -EBADMSG, 0,
				  "magic is not \"%s\": not a %s", f->magic,
				  f->noun);
	major = (unsigned)kt_img_get_le(b + 8, 2);
	minor = (unsigned)kt_img_get_le(b + 10, 2);
	if (major != f->major)
		return kt_img_bad(in, -EPROTONOSUPPORT, 8,
				  "major version %u: this library reads "
				  "version %u images (minor %u and later "
				  "minors)",
				  major, f->major, f->minor);
	hsize = kt_img_get_le(b + 12, 4);
	if (hsize < KT_IMG_HEADER_SIZE || hsize > in->len)
		return kt_img_bad(in, -EBADMSG, 12,
				  "header_size %llu outside %d..%zu (file "
				  "size)",
				  (unsigned long long)hsize, KT_IMG_HEADER_SIZE,
				  in->len);
	bsize = kt_img_get_le(b + 16, 8);
	if (bsize != in->len - hsize)
		return kt_img_bad(in, -EBADMSG, 16,
				  "body_size %llu, but %llu bytes follow the "
				  "header: the image is %s",
				  (unsigned long long)bsize,
				  (unsigned long long)(in->len - hsize),
				  bsize > in->len - hsize
					  ? "truncated"
					  : "followed by extra bytes");
	want = (uint32_t)kt_img_get_le(b + 24, 4);
	crc = kt_crc32c(0, b, 24);
	crc = kt_crc32c(crc, zero, 4);
	crc = kt_crc32c(crc, b + 28, in->len - 28);
	/* Fuzzing builds skip the checksum so that the fuzzer reaches the
	 * records behind it (the libFuzzer convention). */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (crc != want)
		return kt_img_bad(in, -EBADMSG, 24,
				  "checksum 0x%08x does not match the content "
				  "(0x%08x): the image is corrupt",
				  want, crc);
#endif
	(void)minor; /* later minors only add what we may skip */
	*ret_body = (size_t)hsize;
	return 0;
}

int kt_img_next(struct kt_img_in *in, const struct kt_img_layout *layouts,
		size_t n, size_t *off, size_t *index, struct kt_img_record *rec)
{
	while (*off < in->len) {
		const unsigned char *p = in->buf + *off;
		const struct kt_img_layout *l = NULL;
		size_t len, payload = *off + KT_IMG_RECORD_HEADER_SIZE;
		unsigned type, flags;

		if (in->len - *off < KT_IMG_RECORD_HEADER_SIZE)
			return kt_img_bad(in, -EBADMSG, *off,
					  "record #%zu: %zu bytes left, a "
					  "record header needs %d",
					  *index, in->len - *off,
					  KT_IMG_RECORD_HEADER_SIZE);
		type = (unsigned)kt_img_get_le(p, 2);
		flags = (unsigned)kt_img_get_le(p + 2, 2);
		len = (size_t)kt_img_get_le(p + 4, 4);
		if (len > in->len - payload)
			return kt_img_bad(in, -EBADMSG, *off + 4,
					  "record #%zu: length %zu runs past "
					  "the end of the image",
					  *index, len);
		for (size_t i = 0; i < n && !l; i++)
			if (layouts[i].type == type)
				l = &layouts[i];
		if (!l) {
			if (flags & KT_IMG_RECORD_MANDATORY)
				return kt_img_bad(in, -EBADMSG, *off,
						  "record #%zu: type %u is "
						  "unknown to this library "
						  "and marked mandatory",
						  *index, type);
			kt_log(KT_LOG_DEBUG,
			       "%s: offset %zu: skipping record type %u",
			       in->format->log_prefix, *off, type);
			*off = payload + len;
			(*index)++;
			continue;
		}
		if (len < l->size)
			return kt_img_bad(in, -EBADMSG, *off + 4,
					  "%s record: length %zu, at least "
					  "%zu expected",
					  l->name, len, l->size);
		*rec = (struct kt_img_record){.layout = l,
					      .off = *off,
					      .payload = payload,
					      .len = len,
					      .index = *index};
		*off = payload + len;
		(*index)++;
		return 1;
	}
	return 0;
}

int kt_img_decode(struct kt_img_in *in, const struct kt_img_record *rec,
		  void *dst)
{
	const struct kt_img_layout *l = rec->layout;
	const unsigned char *in_p = in->buf + rec->payload;
	unsigned char *d = dst;

	for (size_t i = 0; i < l->n_fields; i++) {
		const struct kt_img_field *f = &l->fields[i];

		if (f->type == KT_F_BLOB) {
			uint64_t at = kt_img_get_le(in_p + f->off, 4);
			uint64_t len = kt_img_get_le(in_p + f->off + 4, 4);
			struct kt_img_blob b = {in_p + at, (uint32_t)len};

			/* Past the fixed fields we know, within the record. */
			if (at < l->size || at > rec->len ||
			    len > rec->len - at)
				return kt_img_bad(
					in, -EBADMSG, rec->payload + f->off,
					"%s record, field %s: %llu bytes at "
					"%llu do not lie in the %zu bytes of "
					"the payload past its %zu fixed bytes",
					l->name, f->name,
					(unsigned long long)len,
					(unsigned long long)at, rec->len,
					l->size);
			memcpy(d + f->member, &b, sizeof(b));
			continue;
		}
		uint64_t v = kt_img_get_le(in_p + f->off, field_size(f->type));

		if (field_size(f->type) == 4) {
			uint32_t x = (uint32_t)v;

			memcpy(d + f->member, &x, 4);
		} else {
			memcpy(d + f->member, &v, 8);
		}
	}
	return 0;
}

size_t kt_img_field_offset(const struct kt_img_layout *l, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < l->n_fields; i++) {
		const char *f = l->fields[i].name;

		if (strncmp(f, name, n) == 0 && (f[n] == '\0' || f[n] == '.'))
			return l->fields[i].off;
	}
	return 0;
}

int kt_img_read_all(int fd, uint64_t max, unsigned char **ret_buf,
		    size_t *ret_len)
{
	size_t cap = 64 << 10, len = 0;
	unsigned char *buf = NULL;
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > max)
			return -EFBIG;
		cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		ssize_t n;

		if (len == cap || !buf) {
			unsigned char *p;

			if (buf)
				cap *= 2;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}
