/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record codec every keeptime image file shares (docs/image-format.md,
 * docs/process-image.md): a 32-byte header (magic, version, sizes, CRC-32C
 * of the whole file), then records of type, flags, length and a
 * little-endian payload. Each record's layout is a table of fields; the
 * same table drives writing, reading and the error messages that name a
 * field's byte offset.
 *
 * image.c (the timer image) and process_image.c (the process image) each
 * hold their own tables and checks; this file holds what they share.
 */
#ifndef KT_LIB_IMAGE_CODEC_H
#define KT_LIB_IMAGE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define KT_IMG_HEADER_SIZE	  32
#define KT_IMG_RECORD_HEADER_SIZE 8
/* A record a reader must understand or refuse the image. */
#define KT_IMG_RECORD_MANDATORY 0x1

enum kt_img_field_type {
	KT_F_I32,
	KT_F_U32,
	KT_F_I64,
	KT_F_U64,
	/*
	 * Bytes of variable length (a path, a register area): in the fixed
	 * part a u32 offset from the start of the payload and a u32 length;
	 * the bytes lie past the fixed part of the layout. In the C
	 * structure a struct kt_img_blob.
	 */
	KT_F_BLOB,
};

/* What a KT_F_BLOB field holds in the C structure. Decoding points data
 * into the buffer being read: it lives as long as that buffer. */
struct kt_img_blob {
	const void *data;
	uint32_t len;
};

struct kt_img_field {
	const char *name;
	unsigned short off;    /* in the record's payload */
	unsigned char type;    /* enum kt_img_field_type */
	unsigned short member; /* offset in the C structure */
};

struct kt_img_layout {
	const char *name; /* "POSIX timer": for messages */
	unsigned type;	  /* the record type */
	const struct kt_img_field *fields;
	size_t n_fields;
	size_t size; /* fixed payload bytes this version writes and needs */
};

#define KT_IMG_LAYOUT(name, type, fields, size)                                \
	{                                                                      \
		name, type, fields, sizeof(fields) / sizeof(fields[0]), size   \
	}

/* Two s64 fields "NAME.sec" and "NAME.nsec" of a struct timespec. */
#define KT_IMG_TS(name, off, type, member)                                     \
	{name ".sec", off, KT_F_I64, offsetof(type, member.tv_sec)},           \
	{                                                                      \
		name ".nsec", off + 8, KT_F_I64,                               \
			offsetof(type, member.tv_nsec)                         \
	}

/* What identifies a file format: magic, version, and a noun for messages
 * ("keeptime image"). */
struct kt_img_format {
	const char magic[9];
	unsigned major;
	unsigned minor;
	const char *noun;
	const char *log_prefix; /* "image" */
};

static inline void kt_img_put_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t kt_img_get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- writing ---- */

/* The bytes a record of layout l takes for src (header included). */
KT_HIDDEN size_t kt_img_record_size(const struct kt_img_layout *l,
				    const void *src);

struct kt_img_out {
	unsigned char *buf; /* room for the whole file */
	size_t len;	    /* bytes written so far */
};

/* Write the header (the checksum comes with kt_img_seal()) for a file of
 * size bytes; o->len moves past it. */
KT_HIDDEN void kt_img_begin(struct kt_img_out *o, const struct kt_img_format *f,
			    size_t size);
/* Append one mandatory record of layout l encoding the C structure src. */
KT_HIDDEN void kt_img_emit(struct kt_img_out *o, const struct kt_img_layout *l,
			   const void *src);
/* Put the CRC-32C of the whole file into its header; returns it. */
KT_HIDDEN uint32_t kt_img_seal(struct kt_img_out *o);

/* write(2) all of it, through EINTR and short writes: 0 or -errno. */
KT_HIDDEN int kt_img_write_all(int fd, const void *p, size_t len);

/* ---- reading ---- */

struct kt_img_in {
	const struct kt_img_format *format;
	const unsigned char *buf;
	size_t len;
	char *err_buf;
	size_t err_len;
};

/* Log "PREFIX: offset OFF: WHY", write "offset OFF: WHY" to err_buf, and
 * return err. */
KT_HIDDEN int kt_img_bad(struct kt_img_in *in, int err, size_t off,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Check the header: size, magic, major version, header size, body size
 * against the file size, checksum (skipped in fuzzing builds). Returns 0
 * and the offset of the first record, or -EBADMSG / -EPROTONOSUPPORT.
 */
KT_HIDDEN int kt_img_load_header(struct kt_img_in *in, size_t *ret_body);

/* One record as found in the body. */
struct kt_img_record {
	const struct kt_img_layout *layout;
	size_t off;	/* of its header */
	size_t payload; /* of its payload */
	size_t len;	/* of its payload */
	size_t index;	/* 0-based, among all records */
};

/*
 * The next record at *off of a known type (one of layouts[0..n)):
 * records of unknown types are skipped unless marked mandatory. Returns 1
 * and *rec with *off moved past it, 0 at the end of the body, or -EBADMSG
 * (a header past the end, a length past the end, an unknown mandatory
 * type, a payload shorter than its layout).
 */
KT_HIDDEN int kt_img_next(struct kt_img_in *in,
			  const struct kt_img_layout *layouts, size_t n,
			  size_t *off, size_t *index,
			  struct kt_img_record *rec);

/*
 * Decode the payload of rec into the C structure at dst. Blob fields are
 * checked to lie in the payload past the fixed part: -EBADMSG naming the
 * field otherwise.
 */
KT_HIDDEN int kt_img_decode(struct kt_img_in *in,
			    const struct kt_img_record *rec, void *dst);

/* Offset in the payload of a named field (or of the first of "name.*"). */
KT_HIDDEN size_t kt_img_field_offset(const struct kt_img_layout *l,
				     const char *name);

/* Read a whole file (fd, to its end) of at most max bytes into a malloc'd
 * buffer. Returns 0, -EFBIG, -ENOMEM, or the negative errno of read. */
KT_HIDDEN int kt_img_read_all(int fd, uint64_t max, unsigned char **ret_buf,
			      size_t *ret_len);

#endif /* KT_LIB_IMAGE_CODEC_H */
