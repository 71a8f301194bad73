/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seizing another process, running system calls and code in it, and
 * letting it go as it was (src/lib/inject.h), against target_workload: a
 * multi-threaded process with timers firing that watches its own
 * registers, vector registers, MXCSR and memory and says whether anything
 * was disturbed.
 *
 * The test process is the tracer (the library runs in it) and the
 * workload's parent. Each workload gets PR_SET_PDEATHSIG, so it dies with
 * the test even when an assertion ends the test early; every test kills
 * and reaps its workloads on the way out.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keeptime/keeptime.h>

#include "../src/lib/inject.h"
#include "kt_test.h"

#define LINE_MAX_ 1024
#define MAX_TASKS 256
/*
 * How long to wait for the workload to do something it must do (start,
 * answer, wake up, take a signal). Far above what it takes, so that a slow
 * machine (an emulated guest, a loaded host) only makes the test wait:
 * a wait that ends early costs nothing, one that times out is a failure.
 */
#define WAIT_MS 20000

/* ---- the library's log, kept for assertions ---- */

static char log_text[1 << 21];
static size_t log_len;

static void log_cb(enum kt_log_level level, const char *msg, void *ctx)
{
	size_t n = strlen(msg);

	(void)ctx;
	if (level >= KT_LOG_WARN)
		fprintf(stderr, "libkeeptime: %s\n", msg);
	if (log_len + n + 2 < sizeof(log_text)) {
		memcpy(log_text + log_len, msg, n);
		log_len += n;
		log_text[log_len++] = '\n';
		log_text[log_len] = '\0';
	}
}

static void log_start(void)
{
	log_len = 0;
	log_text[0] = '\0';
	kt_set_log(log_cb, KT_LOG_DEBUG, NULL);
}

static size_t log_count(const char *needle)
{
	size_t n = 0;

	for (const char *p = log_text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- the workload ---- */

struct wl {
	pid_t pid;
	int to, from; /* its stdin, its stdout */
	char buf[1 << 16];
	size_t len;
	bool broken; /* it said "canary broken" or "checksum broken" */
};

static int workload_path(char *buf, size_t len)
{
	const char *env = getenv("KEEPTIME_TEST_TARGET_WORKLOAD");
	char self[4096];
	ssize_t n;

	if (env && *env)
		return snprintf(buf, len, "%s", env) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = '\0';
	return snprintf(buf, len, "%s/target_workload", dirname(self)) <
			       (int)len
		       ? 0
		       : -1;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	now(&b);
	return (b.tv_sec - a->tv_sec) * 1000 +
	       (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The next line of the workload that starts with prefix, into line;
 * other lines are dropped (noting the broken ones). Returns 0, or
 * -ETIMEDOUT, or -EPIPE if the workload closed its output.
 */
static int wl_line(struct wl *w, const char *prefix, char *line, size_t len,
		   int timeout_ms)
{
	struct timespec start;

	now(&start);
	for (;;) {
		char *nl;

		while ((nl = memchr(w->buf, '\n', w->len))) {
			size_t l = (size_t)(nl - w->buf);
			bool match =
				strncmp(w->buf, prefix, strlen(prefix)) == 0;

			*nl = '\0';
			if (strstr(w->buf, "broken"))
				w->broken = true;
			if (match && len > 0) {
				size_t c = l < len - 1 ? l : len - 1;

				memcpy(line, w->buf, c);
				line[c] = '\0';
			}
			memmove(w->buf, nl + 1, w->len - l - 1);
			w->len -= l + 1;
			if (match)
				return 0;
		}
		long left = timeout_ms - ms_since(&start);
		struct pollfd pfd = {w->from, POLLIN, 0};
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if (w->len == sizeof(w->buf))
			w->len = 0;
		n = read(w->from, w->buf + w->len, sizeof(w->buf) - w->len);
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			w->len += (size_t)n;
	}
}

static void wl_send(struct wl *w, const char *cmd)
{
	size_t l = strlen(cmd);

	cr_assert_eq(write(w->to, cmd, l), (ssize_t)l, "writing to workload");
}

/*
 * Signals a workload with the -q sender may have pending until it is ready.
 * The sender keeps up to 256 queued to the main thread, which takes them
 * one by one; on a slow machine it cannot take 256 within its share of the
 * CPU, the sender tops them up meanwhile, and the main thread, which has
 * yet to start a thread and say "ready", hardly moves on (emulated with
 * QEMU's "max" CPU: seconds, more than 20 at times). Until it is ready,
 * RLIMIT_SIGPENDING keeps the sender to this many (it waits on EAGAIN);
 * then the limit is put back and the sender keeps 256 in flight as before.
 * Beyond these, its own: two POSIX timers (counted from their creation),
 * and SIGWINCH, SIGPWR and SIGALRM pending at times.
 */
#define QUEUE_AT_START 32
#define QUEUE_OWN      5

/*
 * In the child, before exec: cap the pending signals. The count is per user
 * (per user namespace from Linux 5.14), so the child takes a user namespace
 * of its own when it can, where nothing else counts. Async-signal-safe
 * calls only: the test process has threads.
 */
static int limit_pending_signals(void)
{
	char text[4096];
	const char *p;
	struct rlimit rl;
	unsigned long cur;
	ssize_t n;
	int fd;

	(void)unshare(CLONE_NEWUSER); /* without one: counted with ours */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	p = strstr(text, "\nSigQ:");
	if (!p || getrlimit(RLIMIT_SIGPENDING, &rl) < 0)
		return -1;
	cur = strtoul(p + 6, NULL, 10);
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur <= cur + QUEUE_OWN + QUEUE_AT_START)
		return 0;
	rl.rlim_cur = cur + QUEUE_OWN + QUEUE_AT_START;
	return setrlimit(RLIMIT_SIGPENDING, &rl);
}

/* Start target_workload with the given arguments (NULL-terminated). */
static void wl_start(struct wl *w, ...)
{
	char path[4096], line[LINE_MAX_];
	const char *argv[16];
	int in[2], out[2], argc = 1;
	pid_t parent = getpid();
	struct rlimit pending;
	bool queue = false;
	va_list ap;

	memset(w, 0, sizeof(*w));
	cr_assert_eq(workload_path(path, sizeof(path)), 0);
	argv[0] = path;
	va_start(ap, w);
	while (argc < 15 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		queue |= strcmp(argv[i], "-q") == 0;
	cr_assert_eq(getrlimit(RLIMIT_SIGPENDING, &pending), 0);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	fflush(NULL);
	w->pid = fork();
	cr_assert_geq(w->pid, 0);
	if (w->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent ||
		    dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    (queue && limit_pending_signals() < 0))
			_exit(127);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->to = in[1];
	w->from = out[0];
	int err = wl_line(w, "ready", line, sizeof(line), WAIT_MS);
	int status = 0;

	if (err == -EPIPE && waitpid(w->pid, &status, 0) == w->pid)
		w->pid = 0;
	cr_assert_eq(err, 0, "workload %s did not start: %s (status 0x%x)",
		     path, strerror(-err), status);
	if (queue)
		cr_assert_eq(prlimit(w->pid, RLIMIT_SIGPENDING, &pending, NULL),
			     0, "prlimit: %s", strerror(errno));
}

static void wl_end(struct wl *w)
{
	int status;

	if (w->pid <= 0)
		return;
	(void)kill(w->pid, SIGKILL);
	(void)kill(w->pid, SIGCONT);
	/* ECHILD: the library reaped it as its tracer (see test killed) */
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(w->to);
	close(w->from);
	w->pid = 0;
}

/* Value of "key=" in a report line (hexadecimal for the masks). */
static unsigned long long field(const char *line, const char *key)
{
	char pat[64];
	const char *p;
	bool hex = strstr(key, "mask") || strstr(key, "pend");

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	cr_assert_not_null(p, "no %s in \"%s\"", key, line);
	return strtoull(p + strlen(pat), NULL, hex ? 16 : 10);
}

static void wl_report(struct wl *w, char *line, size_t len)
{
	wl_send(w, "r\n");
	cr_assert_eq(wl_line(w, "report ", line, len, WAIT_MS), 0,
		     "no report from the workload");
}

/* Wait until the workload has taken timer signals and run its canary. */
static void wl_warm(struct wl *w)
{
	char line[LINE_MAX_];
	struct timespec start;

	now(&start);
	for (;;) {
		wl_report(w, line, sizeof(line));
		if (field(line, "rt1") > 5 && field(line, "canary") > 5)
			return;
		if (ms_since(&start) > WAIT_MS)
			break;
		sleep_ms(10);
	}
	cr_assert_fail("the workload does not get going: %s", line);
}

/* Whether every counter of a report has gone up since another. */
static bool wl_went_on(const char *line, const char *before)
{
	static const char *const keys[] = {"rt1", "rt2", "alrm", "canary"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (field(line, keys[i]) <= field(before, keys[i]))
			return false;
	return true;
}

/*
 * After release: it still runs, its timers still fire, nothing broke. It
 * runs for 100 ms at least (a canary round caught by the seize ends and
 * checks its registers), and until every counter has gone up.
 */
static void wl_check_alive(struct wl *w, const char *before)
{
	char line[LINE_MAX_];
	struct timespec start;

	now(&start);
	sleep_ms(100);
	wl_report(w, line, sizeof(line));
	while (!wl_went_on(line, before) && ms_since(&start) < WAIT_MS) {
		sleep_ms(10);
		wl_report(w, line, sizeof(line));
	}
	cr_expect_gt(field(line, "rt1"), field(before, "rt1"),
		     "timer signals stopped: %s", line);
	cr_expect_gt(field(line, "rt2"), field(before, "rt2"));
	cr_expect_gt(field(line, "alrm"), field(before, "alrm"));
	cr_expect_gt(field(line, "canary"), field(before, "canary"));
	cr_expect_eq(field(line, "canary_bad"), 0, "registers changed: %s",
		     line);
	cr_expect_eq(field(line, "csum_bad"), 0, "memory changed: %s", line);
	cr_expect_eq(field(line, "bad"), 0);
	cr_expect_not(w->broken, "the workload saw something broken");
}

/* ---- /proc of the workload ---- */

static char proc_state(pid_t pid, pid_t tid)
{
	char path[64], text[1024];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (ktt_read_file(path, text, sizeof(text)) < 0)
		return '?';
	p = strrchr(text, ')');
	return p ? p[2] : '?';
}

/* A field of /proc/PID/task/TID/status; false if the thread is gone. */
static bool try_status_field(pid_t pid, pid_t tid, const char *key,
			     unsigned long long *ret)
{
	static char text[8192];
	char path[64], pat[32];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (ktt_read_file(path, text, sizeof(text)) < 0)
		return false;
	snprintf(pat, sizeof(pat), "\n%s:", key);
	p = strstr(text, pat);
	cr_assert_not_null(p, "%s in %s", key, path);
	*ret = strtoull(p + strlen(pat), NULL,
			strncmp(key, "Sig", 3) == 0 ||
					strncmp(key, "Shd", 3) == 0
				? 16
				: 10);
	return true;
}

static unsigned long long status_field(pid_t pid, pid_t tid, const char *key)
{
	unsigned long long v = 0;

	cr_assert(try_status_field(pid, tid, key, &v), "no thread %d of %d",
		  tid, pid);
	return v;
}

static size_t tasks(pid_t pid, pid_t *tids, size_t max)
{
	pid_t *all = NULL;
	size_t n = 0;

	cr_assert_eq(kt_proc_tasks(pid, &all, &n), 0);
	cr_assert_leq(n, max);
	memcpy(tids, all, n * sizeof(*tids));
	free(all);
	return n;
}

static char *read_maps(pid_t pid)
{
	static char text[2][1 << 18];
	static int which;
	char path[64];

	which ^= 1;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	cr_assert_gt(ktt_read_file(path, text[which], sizeof(text[0])), 0);
	return text[which];
}

/* The first line where two /proc/PID/maps texts differ, into buf. */
static const char *maps_diff(const char *a, const char *b, char *buf,
			     size_t len)
{
	while (*a && *a == *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		if (!ea || !eb || ea - a != eb - b || memcmp(a, b, ea - a))
			break;
		a = ea + 1;
		b = eb + 1;
	}
	snprintf(buf, len, "was \"%.*s\", is \"%.*s\"", (int)strcspn(a, "\n"),
		 a, (int)strcspn(b, "\n"), b);
	return buf;
}

static void read_code(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};

	cr_assert_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)len);
}

/* Timer signals come and go in the pending sets: leave them out. */
static unsigned long long no_timers(unsigned long long set)
{
	return set & ~((1ULL << (SIGRTMIN - 1)) | (1ULL << SIGRTMIN) |
		       (1ULL << (SIGALRM - 1)));
}

struct thread_sigs {
	pid_t tid;
	unsigned long long blk, pnd;
};

static size_t save_sigs(pid_t pid, struct thread_sigs *s, size_t max)
{
	pid_t tids[MAX_TASKS];
	size_t n = tasks(pid, tids, MAX_TASKS);

	cr_assert_leq(n, max);
	for (size_t i = 0; i < n; i++) {
		s[i].tid = tids[i];
		s[i].blk = status_field(pid, tids[i], "SigBlk");
		s[i].pnd = no_timers(status_field(pid, tids[i], "SigPnd"));
	}
	return n;
}

/*
 * The main thread (the one we run code in) keeps its mask; a worker in a
 * timer signal's handler has that signal blocked meanwhile, so theirs are
 * compared without the timer signals.
 */
static void expect_same_sigs(pid_t pid, const struct thread_sigs *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long blk = status_field(pid, s[i].tid, "SigBlk");

		if (s[i].tid == pid)
			cr_expect_eq(blk, s[i].blk,
				     "SigBlk of %d: %llx, was %llx", s[i].tid,
				     blk, s[i].blk);
		else
			cr_expect_eq(no_timers(blk), no_timers(s[i].blk),
				     "SigBlk of %d (worker): %llx, was %llx",
				     s[i].tid, blk, s[i].blk);
		cr_expect_eq(no_timers(status_field(pid, s[i].tid, "SigPnd")),
			     s[i].pnd, "SigPnd of %d", s[i].tid);
	}
}

/* Every thread of pid in a ptrace stop and traced by us (or by no one). */
static void expect_all_traced(pid_t pid, bool traced)
{
	pid_t tids[MAX_TASKS];
	size_t n = tasks(pid, tids, MAX_TASKS);

	/* Untraced threads may exit at any time (the spawner's do): one
	 * that is gone is not checked. */
	for (size_t i = 0; i < n; i++) {
		char st = proc_state(pid, tids[i]);
		unsigned long long tracer;

		if (!try_status_field(pid, tids[i], "TracerPid", &tracer) ||
		    st == '?')
			continue;
		if (traced) {
			cr_expect_eq(st, 't', "thread %d in state %c", tids[i],
				     st);
			cr_expect_eq(tracer, (unsigned long long)getpid());
		} else {
			cr_expect_neq(st, 't', "thread %d still stopped",
				      tids[i]);
			cr_expect_eq(tracer, 0, "thread %d still traced",
				     tids[i]);
		}
	}
}

static struct kt_target *seize(pid_t pid)
{
	struct kt_target *t = NULL;
	char err[512] = "";
	int r = kt_target_seize(pid, &t, err, sizeof(err));

	cr_assert_eq(r, 0, "seize %d: %d %s", pid, r, err);
	cr_assert_not_null(t);
	return t;
}

static long sys(struct kt_target *t, long nr, long a0, long a1)
{
	long args[6] = {a0, a1, 0, 0, 0, 0}, ret = 0;
	int r = kt_target_syscall(t, nr, args, &ret);

	cr_assert_eq(r, 0, "injecting syscall %ld: %d (%s)", nr, r,
		     strerror(-r));
	return ret;
}

/* ---- code to run in the target ---- */

/* mov %rdi,%rax; add $1,%rax; ret */
static const uint8_t code_add1[] = {0x48, 0x89, 0xf8, 0x48,
				    0x83, 0xc0, 0x01, 0xc3};
/* lea 2(%rdi),%rax; int3 */
static const uint8_t code_int3[] = {0x48, 0x8d, 0x47, 0x02, 0xcc};
/* mov 0x0,%rax; ret */
static const uint8_t code_crash[] = {0x48, 0x8b, 0x04, 0x25, 0x00,
				     0x00, 0x00, 0x00, 0xc3};
/* mov %rsp,%rax; ret */
static const uint8_t code_sp[] = {0x48, 0x89, 0xe0, 0xc3};
/* rbx, r12-r15 = -1; ymm8 = ymm15 = all ones; MXCSR = 0x3f80; return 7 */
static const uint8_t code_clobber[] = {
	0x48, 0xc7, 0xc3, 0xff, 0xff, 0xff, 0xff, 0x49, 0x89, 0xdc, 0x49, 0x89,
	0xdd, 0x49, 0x89, 0xde, 0x49, 0x89, 0xdf, 0xc4, 0x41, 0x3d, 0x76, 0xc0,
	0xc4, 0x41, 0x05, 0x76, 0xff, 0xc7, 0x44, 0x24, 0xf8, 0x80, 0x3f, 0x00,
	0x00, 0x0f, 0xae, 0x54, 0x24, 0xf8, 0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3};
/* the same with pcmpeqd on xmm8/xmm15, for CPUs without AVX */
static const uint8_t code_clobber_sse[] = {
	0x48, 0xc7, 0xc3, 0xff, 0xff, 0xff, 0xff, 0x49, 0x89, 0xdc, 0x49, 0x89,
	0xdd, 0x49, 0x89, 0xde, 0x49, 0x89, 0xdf, 0x66, 0x45, 0x0f, 0x76, 0xc0,
	0x66, 0x45, 0x0f, 0x76, 0xff, 0xc7, 0x44, 0x24, 0xf8, 0x80, 0x3f, 0x00,
	0x00, 0x0f, 0xae, 0x54, 0x24, 0xf8, 0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3};

static long call_code(struct kt_target *t, uint64_t at, const uint8_t *code,
		      size_t len, uint64_t arg, int *ret_err)
{
	long ret = -1;

	cr_assert_eq(kt_target_write(t, at, code, len), 0);
	*ret_err = kt_target_call(t, at, arg, &ret);
	return ret;
}

/* Registers of every thread, read by us as the tracer. */
static size_t get_all_regs(struct kt_target *t, struct user_regs_struct *regs,
			   size_t max)
{
	const pid_t *tids;
	size_t n = kt_target_threads(t, &tids);

	cr_assert_leq(n, max);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ptrace(PTRACE_GETREGS, tids[i], NULL, &regs[i]), 0,
			     "PTRACE_GETREGS %d: %s", tids[i], strerror(errno));
	return n;
}

/* ---- parsers ---- */

Test(inject, stat_parse_after_last_paren, .timeout = 10)
{
	unsigned long flags;
	char state;

	cr_assert_eq(kt_proc_stat_parse("2 (kthreadd) S 0 0 0 0 -1 2129984 0 "
					"0",
					&state, &flags),
		     0);
	cr_expect_eq(state, 'S');
	cr_expect(flags & KT_PF_KTHREAD);
	cr_assert_eq(kt_proc_stat_parse("77 (a) b) (c) Z 1 77 77 0 -1 4194560 "
					"5",
					&state, &flags),
		     0);
	cr_expect_eq(state, 'Z');
	cr_expect_eq(flags, 4194560);
	cr_expect_eq(kt_proc_stat_parse("12 (x) R", &state, &flags), -EBADMSG);
	cr_expect_eq(kt_proc_stat_parse("no paren", &state, &flags), -EBADMSG);
}

Test(inject, status_parse, .timeout = 10)
{
	struct kt_proc_info info;
	const char *text = "Name:\tx\nTgid:\t41\nPid:\t42\nTracerPid:\t7\n"
			   "Uid:\t1\t2\t3\t4\nSigIgn:\t0000000000001010\n";

	memset(&info, 0, sizeof(info));
	cr_assert_eq(kt_proc_status_parse(text, &info), 0);
	cr_expect_eq(info.tgid, 41);
	cr_expect_eq(info.tracer, 7);
	cr_expect_eq(info.uid[1], 2);
	cr_expect_eq(info.uid[3], 4);
	cr_expect_eq(info.sig_ign, 0x1010);
	cr_expect_eq(kt_proc_status_parse("Tgid:\t1\n", &info), -EBADMSG);
}

/* ---- (a) seize and release ---- */

Test(inject, seize_release_leaves_it_as_it_was, .timeout = 60)
{
	struct user_regs_struct regs0[MAX_TASKS], regs1[MAX_TASKS];
	struct thread_sigs sigs[MAX_TASKS];
	char before[LINE_MAX_], *maps0, *maps1, diff[512];
	uint8_t code0[64], code1[64];
	unsigned long long shd0;
	struct kt_target *t;
	uint64_t exec_addr, scratch;
	size_t nsigs, nregs;
	struct wl w;
	int err;

	log_start();
	wl_start(&w, "-t", "3", NULL);
	wl_warm(&w);
	cr_assert_eq(kt_proc_exec_addr(w.pid, &exec_addr), 0);

	for (int round = 0; round < 2; round++) {
		/* round 0: seize and release; round 1: with code run */
		wl_report(&w, before, sizeof(before));
		maps0 = read_maps(w.pid);
		read_code(w.pid, exec_addr, code0, sizeof(code0));
		nsigs = save_sigs(w.pid, sigs, MAX_TASKS);
		shd0 = no_timers(status_field(w.pid, w.pid, "ShdPnd"));

		t = seize(w.pid);
		cr_expect_eq(kt_target_pid(t), w.pid);
		expect_all_traced(w.pid, true);
		nregs = get_all_regs(t, regs0, MAX_TASKS);
		cr_expect_eq(nregs, nsigs, "threads seized");
		if (round == 1) {
			cr_assert_eq(kt_target_scratch(t, 4096, &scratch), 0);
			cr_expect_eq(call_code(t, scratch, code_add1,
					       sizeof(code_add1), 41, &err),
				     42);
			cr_expect_eq(err, 0);
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
			/* every thread's registers as found, while seized */
			cr_assert_eq(get_all_regs(t, regs1, MAX_TASKS), nregs);
			for (size_t i = 0; i < nregs; i++)
				cr_expect_eq(memcmp(&regs0[i], &regs1[i],
						    sizeof(regs0[i])),
					     0, "registers of thread %zu", i);
		}
		cr_assert_eq(kt_target_release(t), 0);

		expect_all_traced(w.pid, false);
		maps1 = read_maps(w.pid);
		cr_expect_str_eq(maps1, maps0, "memory map changed: %s",
				 maps_diff(maps0, maps1, diff, sizeof(diff)));
		read_code(w.pid, exec_addr, code1, sizeof(code1));
		cr_expect_eq(memcmp(code0, code1, sizeof(code0)), 0,
			     "code bytes at %#" PRIx64 " changed", exec_addr);
		expect_same_sigs(w.pid, sigs, nsigs);
		cr_expect_eq(no_timers(status_field(w.pid, w.pid, "ShdPnd")),
			     shd0);
		cr_expect_neq(shd0 & (1ULL << (SIGWINCH - 1)), 0);
		cr_expect_neq(sigs[0].pnd & (1ULL << (SIGPWR - 1)), 0);
		wl_check_alive(&w, before);
	}
	wl_end(&w);
}

/* ---- (b) system calls ---- */

Test(inject, syscalls_and_their_errors, .timeout = 30)
{
	long args[6] = {0}, ret;
	struct kt_target *t;
	uint64_t scratch;
	char before[LINE_MAX_];
	const pid_t *tids;
	bool leader = false;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	t = seize(w.pid);
	for (size_t i = 0, n = kt_target_threads(t, &tids); i < n; i++)
		leader |= tids[i] == w.pid;
	cr_expect(leader);

	cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
	/* we run in the thread-group leader */
	cr_expect_eq(sys(t, __NR_gettid, 0, 0), w.pid);
	/* the system call failed; the injection did not */
	ret = 0;
	cr_expect_eq(kt_target_syscall(t, 1000, args, &ret), 0);
	cr_expect_eq(ret, -ENOSYS);
	cr_assert_eq(kt_target_scratch(t, 64, &scratch), 0);
	cr_expect_eq(sys(t, __NR_timer_gettime, 0x7ffffff0, (long)scratch),
		     -EINVAL);
	cr_expect_eq(sys(t, __NR_getppid, 0, 0), getpid());
	/* NULL args: all zero */
	cr_expect_eq(kt_target_syscall(t, __NR_getpid, NULL, &ret), 0);
	cr_expect_eq(ret, w.pid);
	cr_assert_eq(kt_target_release(t), 0);
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- (c) scratch memory and calls ---- */

Test(inject, scratch_memory_and_calls, .timeout = 30)
{
	struct user_regs_struct regs0[MAX_TASKS], regs1[MAX_TASKS];
	uint8_t pattern[8192], back[8192], code[16], code2[16];
	uint64_t scratch, scratch2, exec_addr;
	char before[LINE_MAX_];
	struct kt_target *t;
	size_t nregs;
	long rsp;
	int err;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "2", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	t = seize(w.pid);
	nregs = get_all_regs(t, regs0, MAX_TASKS);

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	cr_assert_eq(kt_target_scratch(t, 100, &scratch), 0);
	cr_expect_eq(scratch % 4096, 0);
	cr_assert_eq(kt_target_write(t, scratch, pattern, 4096), 0);
	cr_assert_eq(kt_target_read(t, scratch, back, 4096), 0);
	cr_expect_eq(memcmp(pattern, back, 4096), 0);
	/* the same size again: the same scratch */
	cr_assert_eq(kt_target_scratch(t, 4096, &scratch2), 0);
	cr_expect_eq(scratch2, scratch);
	/* larger: a new mapping */
	cr_assert_eq(kt_target_scratch(t, 8192, &scratch2), 0);
	cr_assert_eq(kt_target_write(t, scratch2, pattern, 8192), 0);
	cr_assert_eq(kt_target_read(t, scratch2, back, 8192), 0);
	cr_expect_eq(memcmp(pattern, back, 8192), 0);
	scratch = scratch2;

	/* read-only code: written through /proc/PID/mem, then put back */
	cr_assert_eq(kt_proc_exec_addr(w.pid, &exec_addr), 0);
	cr_assert_eq(kt_target_read(t, exec_addr + 64, code, sizeof(code)), 0);
	memset(code2, 0x90, sizeof(code2));
	cr_assert_eq(kt_target_write(t, exec_addr + 64, code2, sizeof(code2)),
		     0);
	cr_assert_eq(kt_target_read(t, exec_addr + 64, back, sizeof(code2)), 0);
	cr_expect_eq(memcmp(back, code2, sizeof(code2)), 0);
	cr_assert_eq(kt_target_write(t, exec_addr + 64, code, sizeof(code)), 0);
	cr_expect_eq(kt_target_read(t, 0, back, 8), -EFAULT);

	cr_expect_eq(
		call_code(t, scratch, code_add1, sizeof(code_add1), 41, &err),
		42);
	cr_expect_eq(err, 0);
	cr_expect_eq(
		call_code(t, scratch, code_int3, sizeof(code_int3), 40, &err),
		42);
	cr_expect_eq(err, 0);
	/* the ABI's alignment at entry, below the red zone */
	rsp = call_code(t, scratch, code_sp, sizeof(code_sp), 0, &err);
	cr_expect_eq(err, 0);
	cr_expect_eq(rsp % 16, 8, "rsp at entry %#lx", rsp);
	cr_expect_leq((unsigned long long)rsp, regs0[0].rsp - 128 - 8);
	/* a crash is a failed call, and the target lives on */
	call_code(t, scratch, code_crash, sizeof(code_crash), 0, &err);
	cr_expect_eq(err, -EFAULT);
	cr_expect_eq(log_count("crashed: Segmentation fault"), 1, "%s",
		     log_text);
	cr_expect_eq(
		call_code(t, scratch, code_add1, sizeof(code_add1), 1, &err),
		2);
	cr_expect_eq(err, 0);
	/* code that clobbers callee-saved, vector registers and MXCSR */
	if (__builtin_cpu_supports("avx2")) /* vpcmpeqd on ymm */
		cr_expect_eq(call_code(t, scratch, code_clobber,
				       sizeof(code_clobber), 0, &err),
			     7);
	else
		cr_expect_eq(call_code(t, scratch, code_clobber_sse,
				       sizeof(code_clobber_sse), 0, &err),
			     7);
	cr_expect_eq(err, 0);
	cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);

	cr_assert_eq(get_all_regs(t, regs1, MAX_TASKS), nregs);
	for (size_t i = 0; i < nregs; i++)
		cr_expect_eq(memcmp(&regs0[i], &regs1[i], sizeof(regs0[i])), 0,
			     "registers of thread %zu", i);
	cr_assert_eq(kt_target_release(t), 0);
	/* the scratch mapping is gone */
	cr_expect_null(strstr(read_maps(w.pid), "rwxp"));
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- (d) a process in group-stop ---- */

static bool all_in_state(pid_t pid, char want)
{
	pid_t tids[MAX_TASKS];
	size_t n = tasks(pid, tids, MAX_TASKS);

	for (size_t i = 0; i < n; i++)
		if (proc_state(pid, tids[i]) != want)
			return false;
	return true;
}

static bool wait_state(pid_t pid, char want, long timeout_ms)
{
	struct timespec start;

	now(&start);
	while (!all_in_state(pid, want)) {
		if (ms_since(&start) > timeout_ms)
			return false;
		sleep_ms(1);
	}
	return true;
}

static bool wait_thread_state(pid_t pid, pid_t tid, char want, long timeout_ms)
{
	struct timespec start;

	now(&start);
	while (proc_state(pid, tid) != want) {
		if (ms_since(&start) > timeout_ms)
			return false;
		sleep_ms(1);
	}
	return true;
}

Test(inject, stopped_process_stays_stopped, .timeout = 30)
{
	char before[LINE_MAX_], line[LINE_MAX_];
	struct kt_target *t;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "2", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	cr_assert_eq(kill(w.pid, SIGSTOP), 0);
	cr_assert(wait_state(w.pid, 'T', WAIT_MS), "SIGSTOP did not stop it");

	for (int inject = 0; inject < 2; inject++) {
		t = seize(w.pid);
		expect_all_traced(w.pid, true);
		if (inject)
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
		cr_assert_eq(kt_target_release(t), 0);
		/* Detached, it goes back into its group-stop (briefly 'R'
		 * on the way), and stays there. */
		cr_expect(wait_state(w.pid, 'T', WAIT_MS),
			  "not stopped after release");
		sleep_ms(200);
		cr_expect(all_in_state(w.pid, 'T'),
			  "ran on after release (inject=%d)", inject);
		expect_all_traced(w.pid, false);
		/* it does not answer while stopped */
		wl_send(&w, "r\n");
		cr_expect_eq(wl_line(&w, "report ", line, sizeof(line), 100),
			     -ETIMEDOUT);
		cr_assert_eq(wl_line(&w, "never", line, sizeof(line), 10),
			     -ETIMEDOUT);
	}
	cr_assert_eq(kill(w.pid, SIGCONT), 0);
	cr_expect_eq(wl_line(&w, "report ", line, sizeof(line), WAIT_MS), 0);
	cr_expect_eq(wl_line(&w, "report ", line, sizeof(line), WAIT_MS), 0);
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- (e) refusals ---- */

static int seize_fails(pid_t pid, char *err, size_t len)
{
	struct kt_target *t = (struct kt_target *)0x1;
	int r = kt_target_seize(pid, &t, err, len);

	cr_expect_eq(t, (struct kt_target *)0x1, "output set on failure");
	return r;
}

Test(inject, refusals, .timeout = 30)
{
	char err[512], path[64], text[512], ok;
	int p[2], status;
	pid_t zombie, tracer;
	pid_t tids[MAX_TASKS];
	size_t n;
	struct wl w;

	log_start();
	cr_expect_eq(seize_fails(KTT_TID_NONEXISTENT, err, sizeof(err)),
		     -ESRCH);
	cr_expect_eq(seize_fails(0, err, sizeof(err)), -ESRCH);
	cr_expect_eq(seize_fails(getpid(), err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "ourselves"), "%s", err);

	zombie = fork();
	cr_assert_geq(zombie, 0);
	if (zombie == 0)
		_exit(0);
	cr_assert(wait_thread_state(zombie, zombie, 'Z', WAIT_MS),
		  "the child did not become a zombie");
	cr_expect_eq(seize_fails(zombie, err, sizeof(err)), -ESRCH);
	cr_expect(strstr(err, "zombie"), "%s", err);
	cr_assert_eq(waitpid(zombie, &status, 0), zombie);

	/* pid 2 is kthreadd, unless we are in a pid namespace */
	if (ktt_read_file("/proc/2/stat", text, sizeof(text)) > 0 &&
	    strstr(text, "(kthreadd)")) {
		cr_expect_eq(seize_fails(2, err, sizeof(err)), -EPERM);
		cr_expect(strstr(err, "kernel thread"), "%s", err);
	} else {
		cr_log_warn("no kthreadd at pid 2: kernel thread not tried");
	}

	wl_start(&w, "-t", "2", NULL);
	/* a thread id is not a process id */
	n = tasks(w.pid, tids, MAX_TASKS);
	for (size_t i = 0; i < n; i++)
		if (tids[i] != w.pid) {
			cr_expect_eq(seize_fails(tids[i], err, sizeof(err)),
				     -EINVAL);
			break;
		}

	/* another tracer: a child that seizes the workload and waits */
	cr_assert_eq(pipe(p), 0);
	tracer = fork();
	cr_assert_geq(tracer, 0);
	if (tracer == 0) {
		char c = ptrace(PTRACE_SEIZE, w.pid, 0, 0) == 0 ? 'y' : 'n';

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(p[0], &ok, 1), 1);
	cr_assert_eq(ok, 'y', "the other tracer could not seize");
	cr_expect_eq(seize_fails(w.pid, err, sizeof(err)), -EBUSY);
	snprintf(path, sizeof(path), "traced by %d", tracer);
	cr_expect(strstr(err, path), "message \"%s\" does not name %d", err,
		  tracer);
	cr_assert_eq(kill(tracer, SIGKILL), 0);
	cr_assert_eq(waitpid(tracer, &status, 0), tracer);
	close(p[0]);
	close(p[1]);
	/* the other tracer is gone: now it can be seized */
	cr_expect_eq(kt_target_release(seize(w.pid)), 0);
	wl_end(&w);
}

/* EPERM says why: an unprivileged child tries to seize a root process. */
Test(inject, not_permitted_says_why, .timeout = 30)
{
	char msg[512] = "";
	int p[2], status;
	ssize_t n;
	pid_t child;
	struct wl w;

	if (geteuid() != 0)
		cr_skip_test("needs root to drop to another uid");
	wl_start(&w, "-t", "1", NULL);
	cr_assert_eq(pipe(p), 0);
	fflush(NULL);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct kt_target *t = NULL;
		char err[400] = "";
		int r;

		close(p[0]);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		r = kt_target_seize(w.pid, &t, err, sizeof(err));
		dprintf(p[1], "%d %s", r, err);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(status, 0);
	cr_assert_gt(n, 0);
	msg[n] = '\0';
	cr_expect_eq(atoi(msg), -EPERM, "%s", msg);
	cr_expect(strstr(msg, "not permitted"), "%s", msg);
	cr_expect(strstr(msg, "euid=65534"), "%s", msg);
	cr_expect(strstr(msg, "CAP_SYS_PTRACE=no"), "%s", msg);
	cr_expect(strstr(msg, "target uids=0/0/0/0"), "%s", msg);
	cr_log_info("%s", msg);
	/* it was left alone */
	cr_expect_eq(status_field(w.pid, w.pid, "TracerPid"), 0);
	wl_end(&w);
}

/* ---- (f) killed while seized ---- */

Test(inject, killed_while_seized, .timeout = 30)
{
	for (int variant = 0; variant < 3; variant++) {
		struct kt_target *t;
		long args[6] = {0}, ret = 0;
		uint64_t scratch;
		int status;
		char path[64];
		struct wl w;

		log_start();
		wl_start(&w, "-t", "3", NULL);
		wl_warm(&w);
		t = seize(w.pid);
		if (variant >= 1) {
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
			cr_assert_eq(kt_target_scratch(t, 4096, &scratch), 0);
		}
		cr_assert_eq(kill(w.pid, SIGKILL), 0);
		if (variant < 2) {
			cr_expect_eq(
				kt_target_syscall(t, __NR_getpid, args, &ret),
				-ESRCH);
			cr_expect_eq(
				kt_target_syscall(t, __NR_getpid, args, &ret),
				-ESRCH);
		}
		cr_expect_eq(kt_target_release(t), 0, "%s", log_text);
		/* Gone entirely, its threads reaped: as its tracer the
		 * library may have reaped the process too (ECHILD). */
		if (waitpid(w.pid, &status, 0) == w.pid)
			cr_expect(WIFSIGNALED(status) &&
				  WTERMSIG(status) == SIGKILL);
		else
			cr_expect_eq(errno, ECHILD);
		snprintf(path, sizeof(path), "/proc/%d", w.pid);
		cr_expect_neq(access(path, F_OK), 0, "%s still there", path);
		w.pid = 0;
		close(w.to);
		close(w.from);
	}
}

/* ---- (g) threads created while seizing ---- */

Test(inject, threads_started_while_seizing, .timeout = 60)
{
	char before[LINE_MAX_], line[LINE_MAX_];
	unsigned long long spawned0;
	size_t most = 0, clones = 0;
	int round;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-s", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	spawned0 = field(before, "spawned");
	/*
	 * A thread that clones between PTRACE_SEIZE and PTRACE_INTERRUPT
	 * (a microsecond apart) reports PTRACE_EVENT_CLONE, and the new
	 * thread is traced by inheritance. Rare by itself (the kernel decides
	 * at the start of clone() whether to trace it): after 30 plain rounds
	 * the library's test knob holds that window open for 3 ms.
	 */
	for (round = 0; round < 60; round++) {
		pid_t tids[MAX_TASKS];
		const pid_t *ours;
		struct kt_target *t;
		size_t n, m;

		kt_inject_seize_pause_us = round < 30 ? 0 : 3000;
		t = seize(w.pid);
		kt_inject_seize_pause_us = 0;
		n = tasks(w.pid, tids, MAX_TASKS);
		m = kt_target_threads(t, &ours);

		/* every thread /proc shows is ours and stopped */
		cr_expect_eq(n, m, "round %d: %zu threads, %zu seized", round,
			     n, m);
		for (size_t i = 0; i < n; i++) {
			bool found = false;

			for (size_t j = 0; j < m; j++)
				found |= ours[j] == tids[i];
			cr_expect(found, "thread %d not seized", tids[i]);
			cr_expect_eq(proc_state(w.pid, tids[i]), 't',
				     "thread %d not stopped", tids[i]);
		}
		most = n > most ? n : most;
		if (round % 3 == 0)
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
		cr_assert_eq(kt_target_release(t), 0);
		expect_all_traced(w.pid, false);
		clones += log_count("cloned thread");
		log_start();
	}
	wl_report(&w, line, sizeof(line));
	cr_expect_gt(field(line, "spawned"), spawned0);
	cr_log_info("%d seizes, up to %zu threads at one; %zu new threads "
		    "reported by PTRACE_EVENT_CLONE",
		    round, most, clones);
	cr_expect_gt(clones, 0, "no seize saw a clone in progress");
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- (h) threads stopped inside blocking system calls ---- */

/* Whether the workload wrote anything we have not read. */
static bool wl_pending(struct wl *w)
{
	struct pollfd pfd = {w->from, POLLIN, 0};

	return w->len > 0 || poll(&pfd, 1, 0) > 0;
}

/* The kernel's "restart with the restart block" (not in errno.h). */
#define KERNEL_ERESTART_RESTARTBLOCK 516
#define SLEEP_MS		     500
#define HOLD_MS			     100

/*
 * The system call a thread is blocked in, from /proc (-1: none), or
 * -ETXTBSY while it runs, -ENOENT if it cannot be read.
 */
static long blocked_in(pid_t pid, pid_t tid)
{
	char path[64], text[256];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (ktt_read_file(path, text, sizeof(text)) <= 0)
		return -ENOENT;
	if (strncmp(text, "running", 7) == 0)
		return -ETXTBSY;
	return strtol(text, NULL, 10);
}

/*
 * A thread seized in nanosleep, made to run a system call and released
 * goes on with the sleep it was in, to its deadline, instead of starting
 * it over: the kernel resumes it with restart_syscall(2), which sleeps to
 * the deadline the thread's restart block keeps; started over, it would
 * run clock_nanosleep again, for the whole time. Which of the two it
 * sleeps in after the release, /proc/PID/syscall says: no wake-up delay or
 * clock reading comes into it (a bound on when the sleep ends did, and a
 * loaded machine woke the thread 1.8 s late). It then ends with 0, having
 * slept all of the time asked for.
 *
 * The sleep seized must be the one seen starting: the thread's registers
 * say it was stopped inside nanosleep, and it has printed nothing since
 * (it prints after every sleep); the sleep seen after the release must
 * be its rest: it has printed nothing since either. On a machine slow
 * enough to miss either, the next sleep is tried.
 */
Test(inject, nanosleep_interrupted_by_seize, .timeout = 60)
{
	struct user_regs_struct regs;
	struct timespec start, r0;
	char line[LINE_MAX_];
	struct kt_target *t;
	long after = -1;
	int tries = 0;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-m", "sleep:500", NULL);
	now(&start);
	while (after < 0 && ms_since(&start) < WAIT_MS) {
		bool caught;

		tries++;
		/* the end of one sleep is the start of the next */
		cr_assert_eq(wl_line(&w, "slept", line, sizeof(line), WAIT_MS),
			     0);
		cr_assert(wait_thread_state(w.pid, w.pid, 'S', WAIT_MS));
		t = seize(w.pid);
		cr_assert_eq(ptrace(PTRACE_GETREGS, w.pid, NULL, &regs), 0);
		caught = (regs.orig_rax == __NR_clock_nanosleep ||
			  regs.orig_rax == __NR_nanosleep) &&
			 (long long)regs.rax == -KERNEL_ERESTART_RESTARTBLOCK &&
			 !wl_pending(&w);
		if (caught) {
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
			sleep_ms(HOLD_MS);
		}
		cr_assert_eq(kt_target_release(t), 0);
		/* asleep again, and still in the sleep seized */
		now(&r0);
		while (caught && ms_since(&r0) < WAIT_MS) {
			long nr = blocked_in(w.pid, w.pid);

			if (wl_pending(&w))
				break;
			if (nr >= 0) {
				after = nr;
				break;
			}
			sleep_ms(1);
		}
	}
	cr_assert_geq(after, 0,
		      "%d tries: the thread was never seen asleep again in "
		      "the nanosleep seized",
		      tries);
	cr_expect_eq(after, __NR_restart_syscall,
		     "after the release, the thread sleeps in system call %ld, "
		     "not restart_syscall (%d): %s",
		     after, __NR_restart_syscall,
		     after == __NR_clock_nanosleep || after == __NR_nanosleep
			     ? "the sleep started over"
			     : "?");
	cr_assert_eq(wl_line(&w, "slept", line, sizeof(line), WAIT_MS), 0);
	cr_expect(strstr(line, " rc=0"), "%s", line);
	cr_expect_geq(field(line, "got_us"), SLEEP_MS * 1000ULL, "%s", line);
	cr_log_info("nanosleep(%d ms) seized for %d ms (try %d): %s", SLEEP_MS,
		    HOLD_MS, tries, line);
	wl_end(&w);
}

Test(inject, read_interrupted_by_seize, .timeout = 30)
{
	char line[LINE_MAX_];
	struct kt_target *t;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-m", "read", NULL);
	cr_expect(wait_thread_state(w.pid, w.pid, 'S', WAIT_MS));
	t = seize(w.pid);
	cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
	cr_assert_eq(kt_target_release(t), 0);
	cr_expect(wait_thread_state(w.pid, w.pid, 'S', WAIT_MS),
		  "read did not resume");
	wl_send(&w, "w hello\n");
	cr_assert_eq(wl_line(&w, "main read", line, sizeof(line), WAIT_MS), 0);
	cr_expect_str_eq(line, "main read 5 hello");
	wl_end(&w);
}

/* Wait until a thread's blocked set is this one. */
static bool wait_sigblk(pid_t pid, unsigned long long want, long timeout_ms)
{
	struct timespec start;

	now(&start);
	while (status_field(pid, pid, "SigBlk") != want) {
		if (ms_since(&start) > timeout_ms)
			return false;
		sleep_ms(1);
	}
	return true;
}

/*
 * sigsuspend runs with a temporary mask and the kernel puts the real one
 * back on the way out (TIF_RESTORE_SIGMASK). PTRACE_SETSIGMASK cancels
 * that: had we set our mask before the first run, the thread would keep
 * the temporary mask (SIGUSR2 unblocked) after sigsuspend returns.
 */
Test(inject, sigsuspend_keeps_its_mask, .timeout = 60)
{
	char before[LINE_MAX_], line[LINE_MAX_];
	unsigned long long mask;
	struct timespec start;
	struct kt_target *t;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-m", "sigsuspend", NULL);
	/* the main thread records its mask (SIGUSR2 blocked), then waits */
	now(&start);
	for (;;) {
		wl_report(&w, before, sizeof(before));
		mask = field(before, "main_mask");
		if ((mask & (1ULL << (SIGUSR2 - 1))) ||
		    ms_since(&start) > WAIT_MS)
			break;
		sleep_ms(10);
	}
	cr_assert_neq(mask & (1ULL << (SIGUSR2 - 1)), 0, "%s", before);
	for (int round = 1; round <= 3; round++) {
		/* seized in sigsuspend, with its temporary mask */
		cr_assert(wait_sigblk(w.pid, mask & ~(1ULL << (SIGUSR2 - 1)),
				      WAIT_MS),
			  "round %d: not in sigsuspend", round);
		t = seize(w.pid);
		for (int i = 0; i < round; i++)
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
		cr_assert_eq(kt_target_release(t), 0);
		/* back in sigsuspend, with its temporary mask */
		now(&start);
		while (status_field(w.pid, w.pid, "SigBlk") == mask &&
		       ms_since(&start) < WAIT_MS)
			sleep_ms(1);
		cr_expect_eq(status_field(w.pid, w.pid, "SigBlk"),
			     mask & ~(1ULL << (SIGUSR2 - 1)),
			     "not back in sigsuspend");
		cr_assert_eq(syscall(SYS_tgkill, w.pid, w.pid, SIGUSR2), 0);
		cr_assert_eq(
			wl_line(&w, "main woke", line, sizeof(line), WAIT_MS),
			0);
		cr_expect_eq(field(line, "usr2"), (unsigned long long)round,
			     "%s", line);
		cr_expect_eq(field(line, "mask"), mask,
			     "mask after sigsuspend: %s", line);
	}
	wl_end(&w);
}

/* ---- more: dispositions, signals in flight ---- */

/*
 * int3's SIGTRAP and a crash's SIGSEGV are forced by the kernel, which
 * resets an ignored signal to SIG_DFL: release makes them ignored again.
 */
Test(inject, ignored_signals_stay_ignored, .timeout = 30)
{
	unsigned long long ign, cgt;
	char before[LINE_MAX_];
	struct kt_target *t;
	uint64_t scratch;
	int err;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-I", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	ign = status_field(w.pid, w.pid, "SigIgn");
	cgt = status_field(w.pid, w.pid, "SigCgt");
	cr_assert_neq(ign & (1ULL << (SIGTRAP - 1)), 0);
	t = seize(w.pid);
	cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
	cr_assert_eq(kt_target_scratch(t, 4096, &scratch), 0);
	call_code(t, scratch, code_crash, sizeof(code_crash), 0, &err);
	cr_expect_eq(err, -EFAULT);
	/* the kernel has reset them meanwhile */
	cr_expect_eq(
		status_field(w.pid, w.pid, "SigIgn") &
			((1ULL << (SIGTRAP - 1)) | (1ULL << (SIGSEGV - 1))),
		0);
	cr_assert_eq(kt_target_release(t), 0, "%s", log_text);
	cr_expect_eq(status_field(w.pid, w.pid, "SigIgn"), ign);
	cr_expect_eq(status_field(w.pid, w.pid, "SigCgt"), cgt);
	wl_check_alive(&w, before);
	wl_end(&w);
}

/*
 * A thread caught while a signal is being delivered keeps it, and gets it
 * with its siginfo at release: queued real-time signals are counted, none
 * may be lost or doubled over many seize/run/release rounds.
 */
Test(inject, signals_in_flight_are_not_lost, .timeout = 120)
{
	char line[LINE_MAX_], before[LINE_MAX_];
	struct kt_target *t;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "1", "-q", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	for (int round = 0; round < 200; round++) {
		uint64_t scratch;

		t = seize(w.pid);
		if (round % 2)
			cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
		/* then the signal caught at seize is queued again at
		 * release, instead of going out with the detach */
		if (round % 4 == 3)
			cr_assert_eq(kt_target_scratch(t, 1, &scratch), 0);
		cr_assert_eq(kt_target_release(t), 0, "%s", log_text);
		if (round % 7 == 0)
			sleep_ms(1);
	}
	/*
	 * Stop the sender: every signal it queued is taken, none twice. "x"
	 * answers 100 ms after it stops the sender; a slow machine may not
	 * have delivered them all by then, so it is asked again until the
	 * count sent stays the same and as many were taken (or more: that
	 * cannot change any more), for WAIT_MS at most.
	 */
	unsigned long long sent = ~0ULL, got = 0, prev;
	struct timespec start;

	now(&start);
	do {
		prev = sent;
		wl_send(&w, "x\n");
		cr_assert_eq(
			wl_line(&w, "stopped", line, sizeof(line), WAIT_MS), 0);
		sent = field(line, "sent");
		got = field(line, "got");
	} while ((sent != prev || got < sent) && ms_since(&start) < WAIT_MS);
	cr_expect_eq(sent, got, "%s", line);
	cr_log_info("200 rounds: %s; caught at seize %zu, queued again %zu",
		    line, log_count("held until release"),
		    log_count("queued again"));
	wl_check_alive(&w, before);
	wl_end(&w);
}

/*
 * Says it runs, then waits for a word to be set, and returns 5 (6 if no one
 * set it in 2^31 rounds, seconds at the least):
 * movq $1,8(%rdi); movabs $0x80000000,%rcx; 1: cmpq $0,(%rdi); jne 2f;
 * pause; dec %rcx; jnz 1b; mov $6,%eax; ret; 2: mov $5,%eax; ret
 */
static const uint8_t code_wait_word[] = {
	0x48, 0xc7, 0x47, 0x08, 0x01, 0x00, 0x00, 0x00, 0x48, 0xb9, 0x00,
	0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0x3f, 0x00,
	0x75, 0x0d, 0xf3, 0x90, 0x48, 0xff, 0xc9, 0x75, 0xf3, 0xb8, 0x06,
	0x00, 0x00, 0x00, 0xc3, 0xb8, 0x05, 0x00, 0x00, 0x00, 0xc3};

/*
 * A SIGSTOP sent while our code runs cannot be blocked: the run thread
 * stops delivering it, we hold it, and it takes effect after release.
 * "While": the code says it started and then waits; another process sees
 * that, sends the SIGSTOP, and only then lets the code return. (A fixed
 * delay and a fixed-length run missed each other on a loaded machine.)
 */
Test(inject, signal_during_run_is_held, .timeout = 30)
{
	char before[LINE_MAX_];
	struct kt_target *t;
	uint64_t scratch;
	pid_t sender;
	int err, status;
	struct wl w;

	log_start();
	wl_start(&w, "-t", "2", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	t = seize(w.pid);
	cr_assert_eq(kt_target_scratch(t, 4096, &scratch), 0);
	/* the word the code waits for, and the one it sets when it runs */
	uint64_t words[2] = {0, 0}, word = scratch + 2048;

	cr_assert_eq(kt_target_write(t, word, words, sizeof(words)), 0);
	fflush(NULL);
	sender = fork();
	cr_assert_geq(sender, 0);
	if (sender == 0) {
		struct iovec l = {&words[1], 8},
			     r = {(void *)(uintptr_t)(word + 8), 8};
		uint64_t one = 1;
		struct timespec start;

		now(&start);
		while (process_vm_readv(w.pid, &l, 1, &r, 1, 0) == 8 &&
		       words[1] == 0) {
			if (ms_since(&start) > WAIT_MS)
				_exit(2);
			sleep_ms(1);
		}
		if (words[1] != 1)
			_exit(3);
		if (kill(w.pid, SIGSTOP) < 0)
			_exit(4);
		l = (struct iovec){&one, 8};
		r = (struct iovec){(void *)(uintptr_t)word, 8};
		_exit(process_vm_writev(w.pid, &l, 1, &r, 1, 0) == 8 ? 0 : 5);
	}
	cr_expect_eq(call_code(t, scratch, code_wait_word,
			       sizeof(code_wait_word), word, &err),
		     5);
	cr_expect_eq(err, 0);
	cr_assert_eq(waitpid(sender, &status, 0), sender);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the sender ended with status 0x%x (2: the code did not "
		  "start, 3: could not be read, 4: kill, 5: could not be "
		  "written)",
		  status);
	cr_expect_eq(log_count("held for release"), 1, "%s", log_text);
	cr_expect_eq(sys(t, __NR_getpid, 0, 0), w.pid);
	cr_assert_eq(kt_target_release(t), 0, "%s", log_text);
	cr_expect_eq(log_count("Stopped (signal) (code 0) queued again"), 1,
		     "%s", log_text);
	cr_expect(wait_state(w.pid, 'T', WAIT_MS), "SIGSTOP was lost");
	sleep_ms(100);
	cr_expect(all_in_state(w.pid, 'T'));
	cr_assert_eq(kill(w.pid, SIGCONT), 0);
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- 7. how long the target stands still ---- */

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

Test(inject, stop_time, .timeout = 60)
{
	enum { ROUNDS = 50, CALLS = 10 };
	long us[2][ROUNDS];
	char before[LINE_MAX_];
	struct wl w;

	wl_start(&w, "-t", "3", NULL);
	wl_warm(&w);
	wl_report(&w, before, sizeof(before));
	for (int calls = 0; calls < 2; calls++) {
		for (int i = 0; i < ROUNDS; i++) {
			struct timespec a, b;
			struct kt_target *t;

			now(&a);
			t = seize(w.pid);
			for (int c = 0; c < (calls ? CALLS : 0); c++)
				sys(t, __NR_getpid, 0, 0);
			cr_assert_eq(kt_target_release(t), 0);
			now(&b);
			us[calls][i] = (b.tv_sec - a.tv_sec) * 1000000L +
				       (b.tv_nsec - a.tv_nsec) / 1000;
		}
		qsort(us[calls], ROUNDS, sizeof(long), cmp_long);
	}
	fprintf(stderr,
		"stop time of a 5-thread target (us, %d rounds): "
		"seize+release min %ld median %ld max %ld; "
		"seize+%d syscalls+release min %ld median %ld max %ld\n",
		ROUNDS, us[0][0], us[0][ROUNDS / 2], us[0][ROUNDS - 1], CALLS,
		us[1][0], us[1][ROUNDS / 2], us[1][ROUNDS - 1]);
	wl_check_alive(&w, before);
	wl_end(&w);
}

/* ---- the parasite, through the library's capture ---- */

/*
 * kt_capture_pid runs the parasite in the workload: afterwards its
 * registers (callee-saved and vector canaries), memory checksum and code
 * bytes are as they were, and its timers fire on; the snapshot holds its
 * two POSIX timers and ITIMER_REAL.
 */
Test(inject, capture_pid_leaves_it_as_it_was, .timeout = 60)
{
	char before[LINE_MAX_];
	uint8_t code0[64], code1[64];
	struct kt_snapshot *snap = NULL;
	uint64_t exec_addr;
	char msg[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	struct wl w;

	log_start();
	wl_start(&w, "-t", "3", NULL);
	wl_warm(&w);
	cr_assert_eq(kt_proc_exec_addr(w.pid, &exec_addr), 0);
	wl_report(&w, before, sizeof(before));
	read_code(w.pid, exec_addr, code0, sizeof(code0));

	for (int i = 0; i < 5; i++) {
		cr_assert_eq(kt_capture_pid(w.pid, &snap, &opts), 0, "%s", msg);
		cr_expect_eq(kt_snapshot_posix_timer_count(snap), 2);
		cr_expect_gt(
			kt_snapshot_itimer(snap, ITIMER_REAL)->interval.tv_usec,
			0);
		kt_snapshot_free(snap);
		snap = NULL;
	}

	/* The memory map and signal state are compared by
	 * capture_pid::leaves_maps_signals_and_timers_as_they_were on a
	 * quiet holder: this workload's threads change theirs on their own
	 * (handlers running, allocator growth under ASan). */
	read_code(w.pid, exec_addr, code1, sizeof(code1));
	cr_expect_eq(memcmp(code0, code1, sizeof(code0)), 0,
		     "code bytes changed");
	wl_check_alive(&w, before);
	wl_end(&w);
}
