/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image format (docs/image-format.md): a 32-byte header, then records
 * of type, flags, length and a little-endian payload. Each record's layout
 * is a table below; the same table drives writing, reading and the error
 * messages that name a field's byte offset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "snapshot.h"

#define IMAGE_MAGIC	   "KEEPTIME"
#define IMAGE_MAJOR	   1
#define IMAGE_MINOR	   0
#define HEADER_SIZE	   32
#define RECORD_HEADER_SIZE 8
/* A record a reader must understand or refuse the image. */
#define RECORD_MANDATORY 0x1

enum record_type {
	REC_PROCESS = 1,
	REC_POSIX_TIMER = 2,
	REC_ITIMER = 3,
	REC_TIMERFD = 4,
};

_Static_assert(sizeof(int) == 4 && sizeof(pid_t) == 4 && sizeof(clockid_t) == 4,
	       "32-bit ints");
_Static_assert(sizeof(time_t) == 8 && sizeof(long) == 8 &&
		       sizeof(suseconds_t) == 8,
	       "64-bit time fields (x86_64)");

enum field_type { F_I32, F_U32, F_I64, F_U64 };

struct field {
	const char *name;
	unsigned short off;    /* in the record's payload */
	unsigned char type;    /* enum field_type */
	unsigned short member; /* offset in the C structure */
};

/* The C structures the process and itimer records decode into. */
struct process_rec {
	int restore_ids_flag;
	unsigned reserved;
	struct timespec clocks[KT_SNAP_NCLOCKS];
};

struct itimer_rec {
	int which;
	unsigned reserved;
	struct kt_itimer it;
};

#define TS(name, off, type, member)                                            \
	{name ".sec", off, F_I64, offsetof(type, member.tv_sec)},              \
	{                                                                      \
		name ".nsec", off + 8, F_I64, offsetof(type, member.tv_nsec)   \
	}
#define TV(name, off, type, member)                                            \
	{name ".sec", off, F_I64, offsetof(type, member.tv_sec)},              \
	{                                                                      \
		name ".usec", off + 8, F_I64, offsetof(type, member.tv_usec)   \
	}

static const struct field process_fields[] = {
	{"restore_ids_flag", 0, F_I32,
	 offsetof(struct process_rec, restore_ids_flag)},
	{"reserved", 4, F_U32, offsetof(struct process_rec, reserved)},
	TS("realtime", 8, struct process_rec, clocks[KT_SNAP_REALTIME]),
	TS("monotonic", 24, struct process_rec, clocks[KT_SNAP_MONOTONIC]),
	TS("boottime", 40, struct process_rec, clocks[KT_SNAP_BOOTTIME]),
	TS("tai", 56, struct process_rec, clocks[KT_SNAP_TAI]),
};

static const struct field timer_fields[] = {
	{"id", 0, F_I32, offsetof(struct kt_posix_timer, id)},
	{"clock", 4, F_I32, offsetof(struct kt_posix_timer, clock)},
	{"notify", 8, F_I32, offsetof(struct kt_posix_timer, notify)},
	{"notify_tid", 12, F_I32, offsetof(struct kt_posix_timer, notify_tid)},
	{"signo", 16, F_I32, offsetof(struct kt_posix_timer, signo)},
	{"overrun", 20, F_I32, offsetof(struct kt_posix_timer, overrun)},
	{"sigval", 24, F_U64, offsetof(struct kt_posix_timer, sigval)},
	TS("value", 32, struct kt_posix_timer, value),
	TS("interval", 48, struct kt_posix_timer, interval),
};

static const struct field itimer_fields[] = {
	{"which", 0, F_I32, offsetof(struct itimer_rec, which)},
	{"reserved", 4, F_U32, offsetof(struct itimer_rec, reserved)},
	TV("value", 8, struct itimer_rec, it.value),
	TV("interval", 24, struct itimer_rec, it.interval),
};

static const struct field timerfd_fields[] = {
	{"fd", 0, F_I32, offsetof(struct kt_timerfd, fd)},
	{"clock", 4, F_I32, offsetof(struct kt_timerfd, clock)},
	{"fd_flags", 8, F_I32, offsetof(struct kt_timerfd, fd_flags)},
	{"settime_flags", 12, F_I32,
	 offsetof(struct kt_timerfd, settime_flags)},
	TS("value", 16, struct kt_timerfd, value),
	TS("interval", 32, struct kt_timerfd, interval),
	{"ticks", 48, F_U64, offsetof(struct kt_timerfd, ticks)},
};

struct layout {
	const char *name;
	enum record_type type;
	const struct field *fields;
	size_t n_fields;
	size_t size; /* payload bytes this version writes and needs */
};

#define LAYOUT(name, type, fields, size)                                       \
	{                                                                      \
		name, type, fields, sizeof(fields) / sizeof(fields[0]), size   \
	}

static const struct layout layouts[] = {
	LAYOUT("process", REC_PROCESS, process_fields, 72),
	LAYOUT("POSIX timer", REC_POSIX_TIMER, timer_fields, 64),
	LAYOUT("itimer", REC_ITIMER, itimer_fields, 40),
	LAYOUT("timerfd", REC_TIMERFD, timerfd_fields, 56),
};

static const struct layout *layout_of(unsigned type)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

static size_t field_size(unsigned char type)
{
	return type == F_I32 || type == F_U32 ? 4 : 8;
}

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Encode the C structure at src into a payload per the layout. */
static void encode(const struct layout *l, const void *src, unsigned char *out)
{
	const unsigned char *s = src;

	memset(out, 0, l->size);
	for (size_t i = 0; i < l->n_fields; i++) {
		const struct field *f = &l->fields[i];
		uint64_t v;

		switch (f->type) {
		case F_I32: {
			int32_t x;

			memcpy(&x, s + f->member, 4);
			v = (uint32_t)x;
			break;
		}
		case F_U32: {
			uint32_t x;

			memcpy(&x, s + f->member, 4);
			v = x;
			break;
		}
		default:
			memcpy(&v, s + f->member, 8);
			break;
		}
		put_le(out + f->off, v, field_size(f->type));
	}
}

/* Decode a payload into the C structure at dst. */
static void decode(const struct layout *l, const unsigned char *in, void *dst)
{
	unsigned char *d = dst;

	for (size_t i = 0; i < l->n_fields; i++) {
		const struct field *f = &l->fields[i];
		uint64_t v = get_le(in + f->off, field_size(f->type));

		if (field_size(f->type) == 4) {
			uint32_t x = (uint32_t)v;

			memcpy(d + f->member, &x, 4);
		} else {
			memcpy(d + f->member, &v, 8);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

struct out {
	unsigned char *buf;
	size_t len;
};

static void emit(struct out *o, const struct layout *l, const void *src)
{
	unsigned char *p = o->buf + o->len;

	put_le(p, l->type, 2);
	put_le(p + 2, RECORD_MANDATORY, 2);
	put_le(p + 4, l->size, 4);
	encode(l, src, p + RECORD_HEADER_SIZE);
	o->len += RECORD_HEADER_SIZE + l->size;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
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

int kt_snapshot_save(const struct kt_snapshot *snap, int fd)
{
	const struct layout *lp = layout_of(REC_PROCESS),
			    *lt = layout_of(REC_POSIX_TIMER),
			    *li = layout_of(REC_ITIMER),
			    *lf = layout_of(REC_TIMERFD);
	struct process_rec proc = {.restore_ids_flag = 0};
	struct out o = {0};
	size_t size;
	uint32_t crc;
	int err;

	if (!snap || fd < 0)
		return -EINVAL;
	size = HEADER_SIZE + RECORD_HEADER_SIZE + lp->size +
	       snap->n_timers * (RECORD_HEADER_SIZE + lt->size) +
	       3 * (RECORD_HEADER_SIZE + li->size) +
	       snap->n_timerfds * (RECORD_HEADER_SIZE + lf->size);
	o.buf = calloc(1, size);
	if (!o.buf)
		return -ENOMEM;

	memcpy(o.buf, IMAGE_MAGIC, 8);
	put_le(o.buf + 8, IMAGE_MAJOR, 2);
	put_le(o.buf + 10, IMAGE_MINOR, 2);
	put_le(o.buf + 12, HEADER_SIZE, 4);
	put_le(o.buf + 16, size - HEADER_SIZE, 8);
	o.len = HEADER_SIZE;

	proc.restore_ids_flag = snap->restore_ids_flag;
	memcpy(proc.clocks, snap->clocks, sizeof(proc.clocks));
	emit(&o, lp, &proc);
	for (size_t i = 0; i < snap->n_timers; i++)
		emit(&o, lt, &snap->timers[i]);
	for (int w = 0; w < 3; w++) {
		struct itimer_rec rec = {.which = w, .it = snap->itimers[w]};

		emit(&o, li, &rec);
	}
	for (size_t i = 0; i < snap->n_timerfds; i++)
		emit(&o, lf, &snap->timerfds[i]);

	/* The checksum covers the whole file, its own field taken as 0. */
	crc = kt_crc32c(0, o.buf, size);
	put_le(o.buf + 24, crc, 4);
	err = write_all(fd, o.buf, size);
	free(o.buf);
	return err;
}

int kt_snapshot_save_file(const struct kt_snapshot *snap, const char *path,
			  int excl)
{
	char *tmp;
	int fd, err;

	if (!snap || !path || !*path)
		return -EINVAL;
	if (excl && access(path, F_OK) == 0)
		return -EEXIST;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	/* mkostemp creates the file with mode 0600, whatever the umask. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = kt_snapshot_save(snap, fd);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0) {
		/* excl: link() fails if path appeared meanwhile. */
		if (excl) {
			if (link(tmp, path) < 0)
				err = -errno;
		} else if (rename(tmp, path) < 0) {
			err = -errno;
		}
	}
	if (err < 0 || excl)
		(void)unlink(tmp); /* the temporary file is ours alone */
	free(tmp);
	return err;
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

struct in {
	const unsigned char *buf;
	size_t len;
	char *err_buf;
	size_t err_len;
};

static int bad(struct in *in, int err, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct in *in, int err, size_t off, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	kt_log(KT_LOG_ERROR, "image: offset %zu: %s", off, why);
	if (in->err_buf && in->err_len)
		(void)snprintf(in->err_buf, in->err_len, "offset %zu: %s", off,
			       why);
	return err;
}

/* Offset of a named field (or the first of "name.*") in a layout. */
static size_t field_offset(const struct layout *l, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < l->n_fields; i++) {
		const char *f = l->fields[i].name;

		if (strncmp(f, name, n) == 0 && (f[n] == '\0' || f[n] == '.'))
			return l->fields[i].off;
	}
	return 0;
}

static int read_all(int fd, unsigned char **ret_buf, size_t *ret_len)
{
	size_t cap = 64 << 10, len = 0;
	unsigned char *buf = NULL;
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > KT_IMAGE_MAX_SIZE)
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
		if (len > KT_IMAGE_MAX_SIZE) {
			free(buf);
			return -EFBIG;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static int load_header(struct in *in, size_t *ret_body)
{
	const unsigned char *b = in->buf;
	unsigned major, minor;
	uint64_t hsize, bsize;
	uint32_t crc, want;
	unsigned char zero[4] = {0};

	if (in->len < HEADER_SIZE)
		return bad(in, -EBADMSG, 0,
			   "file of %zu bytes is shorter than the %d-byte "
			   "header: not a keeptime image",
			   in->len, HEADER_SIZE);
	if (memcmp(b, IMAGE_MAGIC, 8) != 0)
		return bad(in, -EBADMSG, 0,
			   "magic is not \"" IMAGE_MAGIC
			   "\": not a keeptime image");
	major = (unsigned)get_le(b + 8, 2);
	minor = (unsigned)get_le(b + 10, 2);
	if (major != IMAGE_MAJOR)
		return bad(in, -EPROTONOSUPPORT, 8,
			   "major version %u: this library reads version %d "
			   "images (minor %d and later minors)",
			   major, IMAGE_MAJOR, IMAGE_MINOR);
	hsize = get_le(b + 12, 4);
	if (hsize < HEADER_SIZE || hsize > in->len)
		return bad(in, -EBADMSG, 12,
			   "header_size %llu outside %d..%zu (file size)",
			   (unsigned long long)hsize, HEADER_SIZE, in->len);
	bsize = get_le(b + 16, 8);
	if (bsize != in->len - hsize)
		return bad(in, -EBADMSG, 16,
			   "body_size %llu, but %llu bytes follow the header: "
			   "the image is %s",
			   (unsigned long long)bsize,
			   (unsigned long long)(in->len - hsize),
			   bsize > in->len - hsize ? "truncated"
						   : "followed by extra bytes");
	want = (uint32_t)get_le(b + 24, 4);
	crc = kt_crc32c(0, b, 24);
	crc = kt_crc32c(crc, zero, 4);
	crc = kt_crc32c(crc, b + 28, in->len - 28);
	/* Fuzzing builds skip the checksum so that the fuzzer reaches the
	 * records behind it (the libFuzzer convention). */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (crc != want)
		return bad(in, -EBADMSG, 24,
			   "checksum 0x%08x does not match the content "
			   "(0x%08x): the image is corrupt",
			   want, crc);
#endif
	(void)minor; /* later minors only add what we may skip */
	*ret_body = (size_t)hsize;
	return 0;
}

/* Offset of the record that holds the part's index-th element. */
struct rec_pos {
	size_t *timer;
	size_t *timerfd;
	size_t itimer[3];
	size_t process;
};

static int load_records(struct in *in, size_t off, struct kt_snapshot *snap,
			struct rec_pos *pos)
{
	size_t n_process = 0, n_records = 0;
	bool seen_itimer[3] = {false};

	while (off < in->len) {
		const unsigned char *p = in->buf + off;
		const struct layout *l;
		unsigned type, flags;
		size_t len, payload = off + RECORD_HEADER_SIZE;
		struct kt_field_error fe;
		int err = 0;

		if (in->len - off < RECORD_HEADER_SIZE)
			return bad(in, -EBADMSG, off,
				   "record #%zu: %zu bytes left, a record "
				   "header needs %d",
				   n_records, in->len - off,
				   RECORD_HEADER_SIZE);
		type = (unsigned)get_le(p, 2);
		flags = (unsigned)get_le(p + 2, 2);
		len = (size_t)get_le(p + 4, 4);
		if (len > in->len - payload)
			return bad(in, -EBADMSG, off + 4,
				   "record #%zu: length %zu runs past the end "
				   "of the image",
				   n_records, len);
		l = layout_of(type);
		if (!l) {
			if (flags & RECORD_MANDATORY)
				return bad(in, -EBADMSG, off,
					   "record #%zu: type %u is unknown to "
					   "this library and marked mandatory",
					   n_records, type);
			kt_log(KT_LOG_DEBUG,
			       "image: offset %zu: skipping record type %u",
			       off, type);
			goto next;
		}
		if (len < l->size)
			return bad(
				in, -EBADMSG, off + 4,
				"%s record: length %zu, at least %zu expected",
				l->name, len, l->size);
		p = in->buf + payload;

		switch (type) {
		case REC_PROCESS: {
			struct process_rec rec;

			if (n_process++)
				return bad(in, -EBADMSG, off,
					   "a second process record");
			decode(l, p, &rec);
			snap->restore_ids_flag = rec.restore_ids_flag;
			memcpy(snap->clocks, rec.clocks, sizeof(rec.clocks));
			pos->process = payload;
			break;
		}
		case REC_POSIX_TIMER: {
			struct kt_posix_timer t = {0};

			decode(l, p, &t);
			if (kt_check_posix_timer(&t, &fe) < 0)
				goto bad_field;
			err = kt_snapshot_add_timer(snap, &t);
			if (err < 0)
				return err;
			break;
		}
		case REC_ITIMER: {
			struct itimer_rec rec;

			decode(l, p, &rec);
			if (rec.which < 0 || rec.which > 2) {
				(void)snprintf(fe.field, sizeof(fe.field),
					       "which");
				(void)snprintf(fe.why, sizeof(fe.why),
					       "%d is not ITIMER_REAL, "
					       "ITIMER_VIRTUAL or ITIMER_PROF",
					       rec.which);
				goto bad_field;
			}
			if (seen_itimer[rec.which]) {
				(void)snprintf(fe.field, sizeof(fe.field),
					       "which");
				(void)snprintf(fe.why, sizeof(fe.why),
					       "itimer %d appears twice",
					       rec.which);
				goto bad_field;
			}
			if (kt_check_itimer(&rec.it, &fe) < 0)
				goto bad_field;
			seen_itimer[rec.which] = true;
			snap->itimers[rec.which] = rec.it;
			pos->itimer[rec.which] = payload;
			break;
		}
		case REC_TIMERFD: {
			struct kt_timerfd t = {0};

			decode(l, p, &t);
			if (kt_check_timerfd(&t, &fe) < 0)
				goto bad_field;
			err = kt_snapshot_add_timerfd(snap, &t);
			if (err < 0)
				return err;
			break;
		}
		}
	next:
		off = payload + len;
		n_records++;
		continue;
	bad_field:
		return bad(in, -EBADMSG, payload + field_offset(l, fe.field),
			   "%s record, field %s: %s", l->name, fe.field,
			   fe.why);
	}
	if (n_process != 1)
		return bad(in, -EBADMSG, in->len,
			   "the image has no process record");
	return 0;
}

/* Where each record of the snapshot started, for error messages. */
static int record_positions(struct in *in, size_t off, struct rec_pos *pos,
			    size_t n_timers, size_t n_timerfds)
{
	size_t it = 0, ifd = 0;

	pos->timer = calloc(n_timers ? n_timers : 1, sizeof(size_t));
	pos->timerfd = calloc(n_timerfds ? n_timerfds : 1, sizeof(size_t));
	if (!pos->timer || !pos->timerfd)
		return -ENOMEM;
	while (off + RECORD_HEADER_SIZE <= in->len) {
		unsigned type = (unsigned)get_le(in->buf + off, 2);
		size_t len = (size_t)get_le(in->buf + off + 4, 4);

		if (type == REC_POSIX_TIMER && it < n_timers)
			pos->timer[it++] = off + RECORD_HEADER_SIZE;
		else if (type == REC_TIMERFD && ifd < n_timerfds)
			pos->timerfd[ifd++] = off + RECORD_HEADER_SIZE;
		off += RECORD_HEADER_SIZE + len;
	}
	return 0;
}

static const enum record_type part_record[] = {
	[KT_PART_PROCESS] = REC_PROCESS,
	[KT_PART_TIMER] = REC_POSIX_TIMER,
	[KT_PART_ITIMER] = REC_ITIMER,
	[KT_PART_TIMERFD] = REC_TIMERFD,
};

static size_t record_of(const struct rec_pos *pos,
			const struct kt_snap_error *serr)
{
	switch (serr->part) {
	case KT_PART_TIMER:
		return pos->timer[serr->index];
	case KT_PART_TIMERFD:
		return pos->timerfd[serr->index];
	case KT_PART_ITIMER:
		return pos->itimer[serr->index];
	case KT_PART_PROCESS:
		break;
	}
	return pos->process;
}

int kt_image_parse(const void *data, size_t len, struct kt_snapshot **ret_snap,
		   char *err_buf, size_t err_len)
{
	struct in in = {.buf = data,
			.len = len,
			.err_buf = err_buf,
			.err_len = err_len};
	struct rec_pos pos = {0};
	struct kt_snapshot *snap = NULL;
	struct kt_snap_error serr;
	size_t off = 0;
	int err;

	if (err_buf && err_len)
		err_buf[0] = '\0';
	err = load_header(&in, &off);
	if (err < 0)
		return err;
	snap = kt_snapshot_new();
	if (!snap)
		return -ENOMEM;
	err = load_records(&in, off, snap, &pos);
	if (err < 0)
		goto out;
	err = record_positions(&in, off, &pos, snap->n_timers,
			       snap->n_timerfds);
	if (err < 0)
		goto out;
	err = kt_snapshot_finish(snap, &serr);
	if (err == -EBADMSG) {
		const struct layout *l = layout_of(part_record[serr.part]);
		size_t at = record_of(&pos, &serr);

		err = bad(&in, err, at + field_offset(l, serr.fe.field),
			  "%s record, field %s: %s", l->name, serr.fe.field,
			  serr.fe.why);
	}
	if (err < 0)
		goto out;
	*ret_snap = snap;
	snap = NULL;
out:
	kt_snapshot_free(snap);
	free(pos.timer);
	free(pos.timerfd);
	return err;
}

int kt_snapshot_load(int fd, struct kt_snapshot **ret_snap,
		     const struct kt_load_opts *opts)
{
	struct in in = {0};
	unsigned char *buf = NULL;
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !ret_snap || fd < 0)
		return -EINVAL;
	in.err_buf = KT_OPT_GET(opts, err_buf, NULL);
	in.err_len = KT_OPT_GET(opts, err_len, 0);
	if (in.err_buf && in.err_len)
		in.err_buf[0] = '\0';

	err = read_all(fd, &buf, &in.len);
	if (err == -EFBIG)
		return bad(&in, err, KT_IMAGE_MAX_SIZE,
			   "the image is larger than %llu bytes",
			   (unsigned long long)KT_IMAGE_MAX_SIZE);
	if (err < 0)
		return bad(&in, err, 0, "cannot read the image: %s",
			   strerrordesc_np(-err));
	err = kt_image_parse(buf, in.len, ret_snap, in.err_buf, in.err_len);
	free(buf);
	return err;
}
