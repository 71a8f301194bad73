/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The timer image (docs/image-format.md): the tables of its records and
 * their checks. The header and record codec it shares with the process
 * image is image_codec.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_codec.h"
#include "snapshot.h"

static const struct kt_img_format image_format = {
	.magic = "KEEPTIME",
	.major = 1,
	.minor = 0,
	.noun = "keeptime image",
	.log_prefix = "image",
};

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

#define TS KT_IMG_TS
#define TV(name, off, type, member)                                            \
	{name ".sec", off, KT_F_I64, offsetof(type, member.tv_sec)},           \
	{                                                                      \
		name ".usec", off + 8, KT_F_I64,                               \
			offsetof(type, member.tv_usec)                         \
	}

static const struct kt_img_field process_fields[] = {
	{"restore_ids_flag", 0, KT_F_I32,
	 offsetof(struct process_rec, restore_ids_flag)},
	{"reserved", 4, KT_F_U32, offsetof(struct process_rec, reserved)},
	TS("realtime", 8, struct process_rec, clocks[KT_SNAP_REALTIME]),
	TS("monotonic", 24, struct process_rec, clocks[KT_SNAP_MONOTONIC]),
	TS("boottime", 40, struct process_rec, clocks[KT_SNAP_BOOTTIME]),
	TS("tai", 56, struct process_rec, clocks[KT_SNAP_TAI]),
};

static const struct kt_img_field timer_fields[] = {
	{"id", 0, KT_F_I32, offsetof(struct kt_posix_timer, id)},
	{"clock", 4, KT_F_I32, offsetof(struct kt_posix_timer, clock)},
	{"notify", 8, KT_F_I32, offsetof(struct kt_posix_timer, notify)},
	{"notify_tid", 12, KT_F_I32,
	 offsetof(struct kt_posix_timer, notify_tid)},
	{"signo", 16, KT_F_I32, offsetof(struct kt_posix_timer, signo)},
	{"overrun", 20, KT_F_I32, offsetof(struct kt_posix_timer, overrun)},
	{"sigval", 24, KT_F_U64, offsetof(struct kt_posix_timer, sigval)},
	TS("value", 32, struct kt_posix_timer, value),
	TS("interval", 48, struct kt_posix_timer, interval),
};

static const struct kt_img_field itimer_fields[] = {
	{"which", 0, KT_F_I32, offsetof(struct itimer_rec, which)},
	{"reserved", 4, KT_F_U32, offsetof(struct itimer_rec, reserved)},
	TV("value", 8, struct itimer_rec, it.value),
	TV("interval", 24, struct itimer_rec, it.interval),
};

static const struct kt_img_field timerfd_fields[] = {
	{"fd", 0, KT_F_I32, offsetof(struct kt_timerfd, fd)},
	{"clock", 4, KT_F_I32, offsetof(struct kt_timerfd, clock)},
	{"fd_flags", 8, KT_F_I32, offsetof(struct kt_timerfd, fd_flags)},
	{"settime_flags", 12, KT_F_I32,
	 offsetof(struct kt_timerfd, settime_flags)},
	TS("value", 16, struct kt_timerfd, value),
	TS("interval", 32, struct kt_timerfd, interval),
	{"ticks", 48, KT_F_U64, offsetof(struct kt_timerfd, ticks)},
};

#define N_LAYOUTS 4

static const struct kt_img_layout layouts[N_LAYOUTS] = {
	KT_IMG_LAYOUT("process", REC_PROCESS, process_fields, 72),
	KT_IMG_LAYOUT("POSIX timer", REC_POSIX_TIMER, timer_fields, 64),
	KT_IMG_LAYOUT("itimer", REC_ITIMER, itimer_fields, 40),
	KT_IMG_LAYOUT("timerfd", REC_TIMERFD, timerfd_fields, 56),
};

static const struct kt_img_layout *layout_of(unsigned type)
{
	for (size_t i = 0; i < N_LAYOUTS; i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

int kt_snapshot_save(const struct kt_snapshot *snap, int fd)
{
	const struct kt_img_layout *lp = layout_of(REC_PROCESS),
				   *lt = layout_of(REC_POSIX_TIMER),
				   *li = layout_of(REC_ITIMER),
				   *lf = layout_of(REC_TIMERFD);
	struct process_rec proc = {.restore_ids_flag = 0};
	struct kt_img_out o = {0};
	size_t size;
	int err;

	if (!snap || fd < 0)
		return -EINVAL;
	size = KT_IMG_HEADER_SIZE + KT_IMG_RECORD_HEADER_SIZE + lp->size +
	       snap->n_timers * (KT_IMG_RECORD_HEADER_SIZE + lt->size) +
	       3 * (KT_IMG_RECORD_HEADER_SIZE + li->size) +
	       snap->n_timerfds * (KT_IMG_RECORD_HEADER_SIZE + lf->size);
	o.buf = calloc(1, size);
	if (!o.buf)
		return -ENOMEM;

	kt_img_begin(&o, &image_format, size);
	proc.restore_ids_flag = snap->restore_ids_flag;
	memcpy(proc.clocks, snap->clocks, sizeof(proc.clocks));
	kt_img_emit(&o, lp, &proc);
	for (size_t i = 0; i < snap->n_timers; i++)
		kt_img_emit(&o, lt, &snap->timers[i]);
	for (int w = 0; w < 3; w++) {
		struct itimer_rec rec = {.which = w, .it = snap->itimers[w]};

		kt_img_emit(&o, li, &rec);
	}
	for (size_t i = 0; i < snap->n_timerfds; i++)
		kt_img_emit(&o, lf, &snap->timerfds[i]);
	(void)kt_img_seal(&o);
	err = kt_img_write_all(fd, o.buf, size);
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

/* Offset of the record that holds the part's index-th element. */
struct rec_pos {
	size_t *timer;
	size_t *timerfd;
	size_t itimer[3];
	size_t process;
};

static int bad_field(struct kt_img_in *in, const struct kt_img_record *rec,
		     const struct kt_field_error *fe)
{
	const struct kt_img_layout *l = rec->layout;

	return kt_img_bad(
		in, -EBADMSG, rec->payload + kt_img_field_offset(l, fe->field),
		"%s record, field %s: %s", l->name, fe->field, fe->why);
}

static int load_record(struct kt_img_in *in, const struct kt_img_record *rec,
		       struct kt_snapshot *snap, struct rec_pos *pos,
		       size_t *n_process, bool seen_itimer[3])
{
	struct kt_field_error fe;
	int err;

	switch (rec->layout->type) {
	case REC_PROCESS: {
		struct process_rec p;

		if ((*n_process)++)
			return kt_img_bad(in, -EBADMSG, rec->off,
					  "a second process record");
		err = kt_img_decode(in, rec, &p);
		if (err < 0)
			return err;
		snap->restore_ids_flag = p.restore_ids_flag;
		memcpy(snap->clocks, p.clocks, sizeof(p.clocks));
		pos->process = rec->payload;
		return 0;
	}
	case REC_POSIX_TIMER: {
		struct kt_posix_timer t = {0};

		err = kt_img_decode(in, rec, &t);
		if (err < 0)
			return err;
		if (kt_check_posix_timer(&t, &fe) < 0)
			return bad_field(in, rec, &fe);
		return kt_snapshot_add_timer(snap, &t);
	}
	case REC_ITIMER: {
		struct itimer_rec it;

		err = kt_img_decode(in, rec, &it);
		if (err < 0)
			return err;
		if (it.which < 0 || it.which > 2) {
			(void)snprintf(fe.field, sizeof(fe.field), "which");
			(void)snprintf(fe.why, sizeof(fe.why),
				       "%d is not ITIMER_REAL, ITIMER_VIRTUAL "
				       "or ITIMER_PROF",
				       it.which);
			return bad_field(in, rec, &fe);
		}
		if (seen_itimer[it.which]) {
			(void)snprintf(fe.field, sizeof(fe.field), "which");
			(void)snprintf(fe.why, sizeof(fe.why),
				       "itimer %d appears twice", it.which);
			return bad_field(in, rec, &fe);
		}
		if (kt_check_itimer(&it.it, &fe) < 0)
			return bad_field(in, rec, &fe);
		seen_itimer[it.which] = true;
		snap->itimers[it.which] = it.it;
		pos->itimer[it.which] = rec->payload;
		return 0;
	}
	case REC_TIMERFD: {
		struct kt_timerfd t = {0};

		err = kt_img_decode(in, rec, &t);
		if (err < 0)
			return err;
		if (kt_check_timerfd(&t, &fe) < 0)
			return bad_field(in, rec, &fe);
		return kt_snapshot_add_timerfd(snap, &t);
	}
	}
	return 0;
}

static int load_records(struct kt_img_in *in, size_t off,
			struct kt_snapshot *snap, struct rec_pos *pos)
{
	size_t n_process = 0, index = 0;
	bool seen_itimer[3] = {false};
	struct kt_img_record rec;
	int r;

	while ((r = kt_img_next(in, layouts, N_LAYOUTS, &off, &index, &rec)) >
	       0) {
		r = load_record(in, &rec, snap, pos, &n_process, seen_itimer);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (n_process != 1)
		return kt_img_bad(in, -EBADMSG, in->len,
				  "the image has no process record");
	return 0;
}

/* Where each record of the snapshot started, for error messages. */
static int record_positions(struct kt_img_in *in, size_t off,
			    struct rec_pos *pos, size_t n_timers,
			    size_t n_timerfds)
{
	size_t it = 0, ifd = 0;

	pos->timer = calloc(n_timers ? n_timers : 1, sizeof(size_t));
	pos->timerfd = calloc(n_timerfds ? n_timerfds : 1, sizeof(size_t));
	if (!pos->timer || !pos->timerfd)
		return -ENOMEM;
	while (off + KT_IMG_RECORD_HEADER_SIZE <= in->len) {
		unsigned type = (unsigned)kt_img_get_le(in->buf + off, 2);
		size_t len = (size_t)kt_img_get_le(in->buf + off + 4, 4);

		if (type == REC_POSIX_TIMER && it < n_timers)
			pos->timer[it++] = off + KT_IMG_RECORD_HEADER_SIZE;
		else if (type == REC_TIMERFD && ifd < n_timerfds)
			pos->timerfd[ifd++] = off + KT_IMG_RECORD_HEADER_SIZE;
		off += KT_IMG_RECORD_HEADER_SIZE + len;
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
	struct kt_img_in in = {.format = &image_format,
			       .buf = data,
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
	err = kt_img_load_header(&in, &off);
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
		const struct kt_img_layout *l =
			layout_of(part_record[serr.part]);
		size_t at = record_of(&pos, &serr);

		err = kt_img_bad(&in, err,
				 at + kt_img_field_offset(l, serr.fe.field),
				 "%s record, field %s: %s", l->name,
				 serr.fe.field, serr.fe.why);
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
	struct kt_img_in in = {.format = &image_format};
	unsigned char *buf = NULL;
	int err;

	if (!kt_opts_valid(opts, sizeof(*opts)) || !ret_snap || fd < 0)
		return -EINVAL;
	in.err_buf = KT_OPT_GET(opts, err_buf, NULL);
	in.err_len = KT_OPT_GET(opts, err_len, 0);
	if (in.err_buf && in.err_len)
		in.err_buf[0] = '\0';

	err = kt_img_read_all(fd, KT_IMAGE_MAX_SIZE, &buf, &in.len);
	if (err == -EFBIG)
		return kt_img_bad(&in, err, KT_IMAGE_MAX_SIZE,
				  "the image is larger than %llu bytes",
				  (unsigned long long)KT_IMAGE_MAX_SIZE);
	if (err < 0)
		return kt_img_bad(&in, err, 0, "cannot read the image: %s",
				  strerrordesc_np(-err));
	err = kt_image_parse(buf, in.len, ret_snap, in.err_buf, in.err_len);
	free(buf);
	return err;
}
