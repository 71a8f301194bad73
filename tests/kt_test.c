/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the test binaries; see kt_test.h. */
#define _GNU_SOURCE
#include "kt_test.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

int ktt_timer_create(clockid_t clock, const struct sigevent *sev, int *id)
{
	/* The kernel's timer_t is an int: pass a 32-bit buffer. */
	int32_t buf = *id;

	if (syscall(SYS_timer_create, clock, sev, &buf) < 0)
		return -errno;
	*id = buf;
	return 0;
}

int ktt_timer_create_any(void)
{
	int id = -1;
	int err = ktt_timer_create(CLOCK_MONOTONIC, NULL, &id);

	return err < 0 ? err : id;
}

int ktt_timer_delete(int id)
{
	return syscall(SYS_timer_delete, id) < 0 ? -errno : 0;
}

int ktt_timer_exists(int id)
{
	struct itimerspec cur;

	if (syscall(SYS_timer_gettime, id, &cur) == 0)
		return 1;
	return errno == EINVAL ? 0 : -errno;
}

int ktt_restore_ids_prctl(unsigned long arg2, unsigned long arg3,
			  unsigned long arg4, unsigned long arg5)
{
	int ret = prctl(KTT_PR_RESTORE_IDS, arg2, arg3, arg4, arg5);

	return ret < 0 ? -errno : ret;
}

int ktt_restore_ids_get(void)
{
	return ktt_restore_ids_prctl(KTT_PR_RESTORE_IDS_GET, 0, 0, 0);
}

int ktt_restore_ids_set(int on)
{
	return ktt_restore_ids_prctl(
		on ? KTT_PR_RESTORE_IDS_ON : KTT_PR_RESTORE_IDS_OFF, 0, 0, 0);
}

bool ktt_have_restore_ids(void)
{
	return ktt_restore_ids_get() != -EINVAL;
}

void ktt_require_restore_ids(void)
{
	int v = ktt_restore_ids_get();

	if (v == -EINVAL)
		cr_skip_test("prctl(PR_TIMER_CREATE_RESTORE_IDS) is not "
			     "available: it needs Linux >= 6.15");
	cr_assert(v == 0 || v == 1,
		  "prctl(PR_TIMER_CREATE_RESTORE_IDS, GET) gave %d", v);
}

ssize_t ktt_read_file(const char *path, char *buf, size_t len)
{
	size_t pos = 0;
	int fd, err = 0;

	if (len == 0)
		return -EFBIG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + pos, len - 1 - pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		pos += (size_t)n;
		if (pos == len - 1) {
			char c;

			/* Full: it fits only if nothing is left. */
			n = read(fd, &c, 1);
			if (n != 0)
				err = n < 0 ? -errno : -EFBIG;
			break;
		}
	}
	(void)close(fd); /* read-only: nothing to lose */
	buf[pos] = '\0';
	return err < 0 ? err : (ssize_t)pos;
}

ssize_t ktt_proc_timers(char *buf, size_t len)
{
	return ktt_read_file("/proc/self/timers", buf, len);
}

ssize_t ktt_normalise_self(const char *text, pid_t self, char *out, size_t len)
{
	char num[32];
	size_t pos = 0, numlen;

	(void)snprintf(num, sizeof(num), "%d", (int)self);
	numlen = strlen(num);
	while (*text) {
		const char *copy = text;
		size_t copylen = 1;

		if ((strncmp(text, "pid.", 4) == 0 ||
		     strncmp(text, "tid.", 4) == 0) &&
		    strncmp(text + 4, num, numlen) == 0 &&
		    !isdigit((unsigned char)text[4 + numlen])) {
			copy = text[0] == 'p' ? "pid.SELF" : "tid.SELF";
			copylen = strlen(copy);
			text += 4 + numlen;
		} else {
			text++;
		}
		if (pos + copylen >= len)
			return -EFBIG;
		memcpy(out + pos, copy, copylen);
		pos += copylen;
	}
	if (len == 0)
		return -EFBIG;
	out[pos] = '\0';
	return (ssize_t)pos;
}

size_t ktt_parse_ids(const char *text, int *ids, size_t max)
{
	size_t n = 0;

	for (const char *line = text; line && *line;) {
		int id;

		if (sscanf(line, "ID: %d", &id) == 1 &&
		    strncmp(line, "ID: ", 4) == 0) {
			if (n < max)
				ids[n] = id;
			n++;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

int ktt_sigq(unsigned long *ret_cur, unsigned long *ret_limit)
{
	static char status[16384];
	ssize_t len =
		ktt_read_file("/proc/self/status", status, sizeof(status));
	const char *p;
	unsigned long cur, limit;

	if (len < 0)
		return (int)len;
	p = strstr(status, "\nSigQ:");
	if (!p || sscanf(p + 6, "%lu/%lu", &cur, &limit) != 2)
		return -ENODATA;
	*ret_cur = cur;
	*ret_limit = limit;
	return 0;
}

void *ktt_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert(p != MAP_FAILED, "mmap of %zu shared bytes: %s", size,
		  strerror(errno));
	return p;
}

void ktt_shared_free(void *p, size_t size)
{
	if (p)
		(void)munmap(p, size); /* test teardown: nothing to do */
}

static void child_start(int pipe_w, pid_t parent)
{
	/* Do not outlive the test (e.g. when Criterion's timeout kills it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != parent)
		_exit(KTT_CHILD_FAILED);
	if (dup2(pipe_w, STDOUT_FILENO) < 0 || dup2(pipe_w, STDERR_FILENO) < 0)
		_exit(KTT_CHILD_FAILED);
	if (pipe_w != STDOUT_FILENO && pipe_w != STDERR_FILENO)
		(void)close(pipe_w); /* it lives on as fd 1 and 2 */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int ktt_run_child(ktt_child_fn fn, void *arg, char *out, size_t len)
{
	pid_t parent = getpid(), pid;
	size_t pos = 0;
	int fds[2], status;

	if (len > 0)
		out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1000;
	(void)fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1000;
	}
	if (pid == 0) {
		int rc;

		(void)close(fds[0]);
		child_start(fds[1], parent);
		rc = fn(arg);
		(void)fflush(NULL);
		_exit(rc & 0xff);
	}
	(void)close(fds[1]);
	for (;;) {
		char chunk[512];
		ssize_t n = read(fds[0], chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (pos + 1 < len)
				out[pos++] = chunk[i];
	}
	if (len > 0)
		out[pos] = '\0';
	(void)close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1000;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return -1000;
}

void ktt_child_fail(const char *file, int line, const char *cond,
		    const char *fmt, ...)
{
	va_list ap;

	printf("%s:%d: check failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	(void)fflush(NULL);
	_exit(KTT_CHILD_FAILED);
}

int ktt_helper_exec_path(char *buf, size_t len)
{
	return ktt_test_program_path("helper_exec", "KEEPTIME_TEST_HELPER_EXEC",
				     buf, len);
}

int ktt_test_program_path(const char *name, const char *env, char *buf,
			  size_t len)
{
	const char *set = env ? getenv(env) : NULL;
	char self[4096];
	ssize_t n;
	int w;

	if (set && *set) {
		w = snprintf(buf, len, "%s", set);
		return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(self) - 1)
		return -ENAMETOOLONG;
	self[n] = '\0';
	w = snprintf(buf, len, "%s/%s", dirname(self), name);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

bool ktt_have_cap(int cap)
{
	static char status[16384];
	const char *p;

	if (cap < 0 || cap > 63 ||
	    ktt_read_file("/proc/self/status", status, sizeof(status)) < 0)
		return false;
	p = strstr(status, "\nCapEff:");
	return p && (strtoull(p + 8, NULL, 16) >> cap & 1);
}

size_t ktt_each_process_file(const char *file, char *buf, size_t cap,
			     void (*check)(const char *path, const char *text,
					   size_t len))
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t read = 0;

	cr_assert_not_null(dir);
	while ((de = readdir(dir))) {
		char path[300];
		ssize_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/%s", de->d_name, file);
		len = ktt_read_file(path, buf, cap);
		if (len < 0)
			continue; /* gone meanwhile, or too big */
		check(path, buf, (size_t)len);
		read++;
	}
	closedir(dir);
	return read;
}
