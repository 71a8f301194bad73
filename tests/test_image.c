/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image codec: exact round trips, and every damaged or hostile image
 * refused with the offset and field named. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/lib/crc32c.h"
#include "../src/lib/snapshot.h"

static struct kt_snapshot *sample(size_t n_timers)
{
	struct kt_snapshot *snap = kt_snapshot_new();
	struct kt_snap_error serr;

	cr_assert_not_null(snap);
	snap->restore_ids_flag = 1;
	for (int i = 0; i < KT_SNAP_NCLOCKS; i++)
		snap->clocks[i] = (struct timespec){1000 + i, 999999999 - i};
	for (size_t i = 0; i < n_timers; i++) {
		struct kt_posix_timer t = {
			.id = (int)(n_timers - i) * 1000 + 7, /* unsorted */
			.clock = i % 2 ? CLOCK_MONOTONIC : -6,
			.notify = i % 3 == 0 ? SIGEV_NONE : SIGEV_SIGNAL,
			.signo = i % 3 == 0 ? 12345 : 34,
			.sigval = 0xdeadbeefcafe0000ULL + i,
			.value = {(time_t)i, 5},
			.interval = {0, (long)i * 1000},
			.overrun = (int)i,
		};

		if (i == 1) {
			t.notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
			t.notify_tid = 4242;
		}
		cr_assert_eq(kt_snapshot_add_timer(snap, &t), 0);
	}
	snap->itimers[ITIMER_REAL] = (struct kt_itimer){{3, 500000}, {1, 0}};
	snap->itimers[ITIMER_PROF] = (struct kt_itimer){{0, 1}, {0, 0}};
	struct kt_timerfd tfd = {.fd = 9,
				 .clock = CLOCK_BOOTTIME,
				 .fd_flags = O_NONBLOCK | O_CLOEXEC,
				 .settime_flags = 3,
				 .value = {4, 4},
				 .interval = {0, 1000000},
				 .ticks = UINT64_MAX};
	cr_assert_eq(kt_snapshot_add_timerfd(snap, &tfd), 0);
	tfd.fd = 3;
	tfd.ticks = 0;
	cr_assert_eq(kt_snapshot_add_timerfd(snap, &tfd), 0);
	cr_assert_eq(kt_snapshot_finish(snap, &serr), 0, "%s", serr.fe.why);
	return snap;
}

/* Save into memory; returns the bytes (malloc'd) and their count. */
static unsigned char *save(const struct kt_snapshot *snap, size_t *len)
{
	int fd = memfd_create("image", 0);
	unsigned char *buf;
	off_t size;

	cr_assert_geq(fd, 0);
	cr_assert_eq(kt_snapshot_save(snap, fd), 0);
	size = lseek(fd, 0, SEEK_END);
	cr_assert_gt(size, 0);
	buf = malloc((size_t)size);
	cr_assert_eq(pread(fd, buf, (size_t)size, 0), size);
	close(fd);
	*len = (size_t)size;
	return buf;
}

static int parse(const unsigned char *buf, size_t len,
		 struct kt_snapshot **snap, char *msg, size_t msg_len)
{
	return kt_image_parse(buf, len, snap, msg, msg_len);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Recompute the checksum after a deliberate edit (a hostile image). */
static void reseal(unsigned char *buf, size_t len)
{
	put32(buf + 24, 0);
	put32(buf + 24, kt_crc32c(0, buf, len));
}

Test(image, crc32c_check_value, .timeout = 10)
{
	cr_assert_eq(kt_crc32c(0, "123456789", 9), 0xE3069283u);
	cr_assert_eq(kt_crc32c(kt_crc32c(0, "1234", 4), "56789", 5),
		     0xE3069283u);
}

/* The SSE4.2 instruction and the table give the same CRC, at every
 * length and alignment. */
Test(image, crc32c_both_ways, .timeout = 10)
{
	static unsigned char buf[4096 + 64];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 7));
	for (size_t off = 0; off < 16; off++) {
		for (size_t len = 0; len < 300; len += 1 + len / 8) {
			uint32_t hw, sw;

			kt_crc32c_force_table = false;
			hw = kt_crc32c(0x1234 + (uint32_t)len, buf + off, len);
			kt_crc32c_force_table = true;
			sw = kt_crc32c(0x1234 + (uint32_t)len, buf + off, len);
			kt_crc32c_force_table = false;
			cr_assert_eq(hw, sw, "offset %zu, length %zu", off,
				     len);
		}
	}
	kt_crc32c_force_table = true;
	cr_assert_eq(kt_crc32c(0, "123456789", 9), 0xE3069283u);
	kt_crc32c_force_table = false;
}

Test(image, round_trip_is_exact, .timeout = 10)
{
	struct kt_snapshot *a = sample(50), *b = NULL;
	char msg[256];
	size_t len;
	unsigned char *buf = save(a, &len);

	cr_assert_eq(parse(buf, len, &b, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(kt_snapshot_posix_timer_count(b), 50);
	for (size_t i = 0; i < 50; i++) {
		const struct kt_posix_timer *x = kt_snapshot_posix_timer(a, i);
		const struct kt_posix_timer *y = kt_snapshot_posix_timer(b, i);

		cr_assert_eq(memcmp(x, y, sizeof(*x)), 0, "timer %zu", i);
		if (i > 0)
			cr_expect_lt(kt_snapshot_posix_timer(b, i - 1)->id,
				     y->id);
	}
	cr_expect_null(kt_snapshot_posix_timer(b, 50));
	for (int w = ITIMER_REAL; w <= ITIMER_PROF; w++)
		cr_expect_eq(memcmp(kt_snapshot_itimer(a, w),
				    kt_snapshot_itimer(b, w),
				    sizeof(struct kt_itimer)),
			     0, "itimer %d", w);
	cr_assert_eq(kt_snapshot_timerfd_count(b), 2);
	cr_expect_eq(kt_snapshot_timerfd(b, 0)->fd, 3);
	cr_expect_eq(kt_snapshot_timerfd(b, 1)->ticks, UINT64_MAX);
	cr_expect_eq(memcmp(kt_snapshot_timerfd(a, 1),
			    kt_snapshot_timerfd(b, 1),
			    sizeof(struct kt_timerfd)),
		     0);
	cr_expect_eq(kt_snapshot_restore_ids_flag(b), 1);
	for (int i = 0; i < KT_SNAP_NCLOCKS; i++) {
		struct timespec ts;

		cr_assert_eq(kt_snapshot_clock(b, kt_snap_clock_ids[i], &ts),
			     0);
		cr_expect_eq(ts.tv_sec, 1000 + i);
		cr_expect_eq(ts.tv_nsec, 999999999 - i);
	}
	struct timespec ts;
	cr_expect_eq(kt_snapshot_clock(b, CLOCK_PROCESS_CPUTIME_ID, &ts),
		     -EINVAL);
	/* Saving what was loaded gives the same bytes. */
	size_t len2;
	unsigned char *buf2 = save(b, &len2);
	cr_expect_eq(len2, len);
	cr_expect_eq(memcmp(buf, buf2, len), 0);
	free(buf2);
	free(buf);
	kt_snapshot_free(a);
	kt_snapshot_free(b);
}

Test(image, load_from_fd_and_errors_through_opts, .timeout = 10)
{
	struct kt_snapshot *a = sample(3), *b = NULL;
	char msg[256];
	KT_OPTS(kt_load_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	size_t len;
	unsigned char *buf = save(a, &len);
	int fd = memfd_create("image", 0);

	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(kt_snapshot_load(fd, &b, &opts), 0, "%s", msg);
	cr_expect_eq(kt_snapshot_posix_timer_count(b), 3);
	kt_snapshot_free(b);

	/* Truncated by one byte, through the fd. */
	cr_assert_eq(ftruncate(fd, (off_t)len - 1), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	b = (void *)1;
	cr_expect_eq(kt_snapshot_load(fd, &b, &opts), -EBADMSG);
	cr_expect_eq(b, (void *)1, "output touched on failure");
	cr_expect_not_null(strstr(msg, "offset 16: body_size"), "%s", msg);
	cr_expect_not_null(strstr(msg, "truncated"), "%s", msg);

	/* Larger than the limit: refused before reading. */
	cr_assert_eq(ftruncate(fd, (off_t)KT_IMAGE_MAX_SIZE + 1), 0);
	cr_expect_eq(kt_snapshot_load(fd, &b, &opts), -EFBIG);
	cr_expect_not_null(strstr(msg, "larger than"), "%s", msg);
	close(fd);
	free(buf);
	kt_snapshot_free(a);
}

Test(image, every_truncation_is_refused, .timeout = 60)
{
	struct kt_snapshot *a = sample(4);
	char msg[256];
	size_t len;
	unsigned char *buf = save(a, &len);

	for (size_t cut = 0; cut < len; cut++) {
		struct kt_snapshot *b = NULL;
		int r = parse(buf, cut, &b, msg, sizeof(msg));

		cr_assert_eq(r, -EBADMSG, "cut at %zu accepted", cut);
		cr_assert_null(b);
		cr_assert_eq(strncmp(msg, "offset ", 7), 0, "cut %zu: %s", cut,
			     msg);
	}
	free(buf);
	kt_snapshot_free(a);
}

Test(image, every_bit_flip_is_refused, .timeout = 120)
{
	struct kt_snapshot *a = sample(4);
	char msg[256];
	size_t len;
	unsigned char *buf = save(a, &len);

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct kt_snapshot *b = NULL;
			int r;

			buf[i] ^= (unsigned char)(1u << bit);
			r = parse(buf, len, &b, msg, sizeof(msg));
			buf[i] ^= (unsigned char)(1u << bit);
			cr_assert_lt(r, 0, "flip of byte %zu bit %d accepted",
				     i, bit);
			cr_assert_null(b);
			cr_assert_eq(strncmp(msg, "offset ", 7), 0, "%s", msg);
		}
	}
	free(buf);
	kt_snapshot_free(a);
}

Test(image, not_an_image, .timeout = 10)
{
	char msg[256];
	struct kt_snapshot *b = NULL;
	unsigned char junk[64] = "#!/bin/sh\necho hello\n";

	cr_expect_eq(parse(junk, sizeof(junk), &b, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "offset 0: magic"), "%s", msg);
	cr_expect_eq(parse(junk, 5, &b, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "shorter than the 32-byte header"), "%s",
			   msg);
}

Test(image, unknown_major_version, .timeout = 10)
{
	struct kt_snapshot *a = sample(1), *b = NULL;
	char msg[256];
	size_t len;
	unsigned char *buf = save(a, &len);

	buf[8] = 2;
	reseal(buf, len);
	cr_expect_eq(parse(buf, len, &b, msg, sizeof(msg)), -EPROTONOSUPPORT);
	cr_expect_not_null(strstr(msg, "offset 8: major version 2"), "%s", msg);
	free(buf);
	kt_snapshot_free(a);
}

/* Layout of the sample: header 32, process record 8+72, then timers. */
#define FIRST_TIMER_PAYLOAD (32 + 8 + 72 + 8)

Test(image, hostile_fields_name_offset_and_field, .timeout = 10)
{
	static const struct {
		size_t off; /* within the first timer's payload */
		uint32_t value;
		const char *expect;
	} cases[] = {
		{0, 0x80000000u, "field id"},
		{4, 1234, "field clock"},
		{4, (uint32_t)-5, "field clock"}, /* CLOCKFD */
		{8, 7, "field notify"},
		{16, 65, "field signo"},
		{20, (uint32_t)-1, "field overrun"},
		{40, 1000000000u, "field value.nsec"},
		{52, 0x80000000u, "field interval.sec"},
	};
	struct kt_snapshot *a = sample(2);
	size_t len;
	unsigned char *orig = save(a, &len);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *buf = malloc(len);
		struct kt_snapshot *b = NULL;
		char msg[256], want[64];

		memcpy(buf, orig, len);
		put32(buf + FIRST_TIMER_PAYLOAD + cases[i].off, cases[i].value);
		reseal(buf, len);
		cr_expect_eq(parse(buf, len, &b, msg, sizeof(msg)), -EBADMSG,
			     "case %zu", i);
		snprintf(want, sizeof(want), "offset %zu: POSIX timer record",
			 FIRST_TIMER_PAYLOAD + cases[i].off -
				 (cases[i].off == 52 ? 4 : 0));
		cr_expect_not_null(strstr(msg, want), "case %zu: %s", i, msg);
		cr_expect_not_null(strstr(msg, cases[i].expect), "case %zu: %s",
				   i, msg);
		free(buf);
	}
	free(orig);
	kt_snapshot_free(a);
}

Test(image, duplicate_timer_id_is_refused, .timeout = 10)
{
	struct kt_snapshot *a = sample(2), *b = NULL;
	char msg[256];
	size_t len;
	unsigned char *buf = save(a, &len);
	size_t second = FIRST_TIMER_PAYLOAD + 64 + 8;

	/* Give the second timer the first one's ID. */
	memcpy(buf + second, buf + FIRST_TIMER_PAYLOAD, 4);
	reseal(buf, len);
	cr_expect_eq(parse(buf, len, &b, msg, sizeof(msg)), -EBADMSG);
	char want[64];
	snprintf(want, sizeof(want), "offset %zu:", second);
	cr_expect_not_null(strstr(msg, want), "%s", msg);
	cr_expect_not_null(strstr(msg, "appears twice"), "%s", msg);
	free(buf);
	kt_snapshot_free(a);
}

/* Append a record to a copy of an image, fixing the sizes and checksum. */
static unsigned char *append_record(const unsigned char *img, size_t len,
				    uint16_t type, uint16_t flags,
				    uint32_t payload_len, size_t *ret_len)
{
	size_t n = len + 8 + payload_len;
	unsigned char *buf = calloc(1, n);

	memcpy(buf, img, len);
	buf[len] = (unsigned char)type;
	buf[len + 1] = (unsigned char)(type >> 8);
	buf[len + 2] = (unsigned char)flags;
	buf[len + 3] = (unsigned char)(flags >> 8);
	put32(buf + len + 4, payload_len);
	for (int i = 0; i < 8; i++)
		buf[16 + i] = (unsigned char)((uint64_t)(n - 32) >> (8 * i));
	reseal(buf, n);
	*ret_len = n;
	return buf;
}

Test(image, unknown_records_skipped_unless_mandatory, .timeout = 10)
{
	struct kt_snapshot *a = sample(2), *b = NULL;
	char msg[256];
	size_t len, len2;
	unsigned char *buf = save(a, &len), *ext;

	ext = append_record(buf, len, 77, 0, 24, &len2);
	cr_expect_eq(parse(ext, len2, &b, msg, sizeof(msg)), 0, "%s", msg);
	cr_expect_eq(kt_snapshot_posix_timer_count(b), 2);
	kt_snapshot_free(b);
	b = NULL;
	free(ext);

	ext = append_record(buf, len, 77, 1, 24, &len2);
	cr_expect_eq(parse(ext, len2, &b, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "type 77 is unknown"), "%s", msg);
	cr_expect_null(b);
	free(ext);

	/* A known record shorter than its layout. */
	ext = append_record(buf, len, 2, 1, 16, &len2);
	cr_expect_eq(parse(ext, len2, &b, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "at least 64 expected"), "%s", msg);
	free(ext);

	/* A record whose length runs past the end. */
	ext = append_record(buf, len, 2, 1, 0, &len2);
	put32(ext + len + 4, 0xffffffffu);
	reseal(ext, len2);
	cr_expect_eq(parse(ext, len2, &b, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "runs past the end"), "%s", msg);
	free(ext);
	free(buf);
	kt_snapshot_free(a);
}

Test(image, longer_records_from_newer_minor_versions, .timeout = 10)
{
	/* A timer record 16 bytes longer than this version's: the extra
	 * fields are skipped, the known ones read. */
	struct kt_snapshot *a = kt_snapshot_new(), *b = NULL;
	struct kt_snap_error serr;
	char msg[256];
	size_t len, len2;

	cr_assert_eq(kt_snapshot_finish(a, &serr), 0);
	unsigned char *buf = save(a, &len);
	unsigned char *ext = append_record(buf, len, 2, 1, 64 + 16, &len2);
	put32(ext + len + 8 + 0, 77);	   /* id */
	put32(ext + len + 8 + 4, 1);	   /* CLOCK_MONOTONIC */
	put32(ext + len + 8 + 8, 1);	   /* SIGEV_NONE */
	put32(ext + len + 8 + 64, 0xabcd); /* unknown */
	ext[11] = 3;			   /* minor 3 */
	reseal(ext, len2);
	cr_expect_eq(parse(ext, len2, &b, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(kt_snapshot_posix_timer_count(b), 1);
	cr_expect_eq(kt_snapshot_posix_timer(b, 0)->id, 77);
	kt_snapshot_free(b);
	free(ext);
	free(buf);
	kt_snapshot_free(a);
}

Test(image, save_file_is_private_and_atomic, .timeout = 10)
{
	struct kt_snapshot *a = sample(3), *b = NULL;
	char dir[] = "/tmp/kt-image-XXXXXX", path[64], other[64];
	struct stat st;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.img", dir);
	umask(0);
	cr_assert_eq(kt_snapshot_save_file(a, path, 0), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	fd = open(path, O_RDONLY);
	cr_assert_eq(kt_snapshot_load(fd, &b, NULL), 0);
	close(fd);
	cr_expect_eq(kt_snapshot_posix_timer_count(b), 3);
	/* excl refuses an existing file and leaves it alone. */
	cr_expect_eq(kt_snapshot_save_file(a, path, 1), -EEXIST);
	/* Replacing is allowed without excl. */
	cr_expect_eq(kt_snapshot_save_file(b, path, 0), 0);
	/* A directory that does not exist: an error, nothing created. */
	snprintf(other, sizeof(other), "%s/no/such.img", dir);
	cr_expect_eq(kt_snapshot_save_file(a, other, 0), -ENOENT);
	/* No temporary file is left behind in any case. */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	cr_expect_eq(system(cmd), 0, "files left in %s", dir);
	unlink(path);
	rmdir(dir);
	kt_snapshot_free(a);
	kt_snapshot_free(b);
}
