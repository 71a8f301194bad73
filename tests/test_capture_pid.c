/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capture from outside and restore into a held process: the snapshot of
 * another process equals the one it takes of itself, and a snapshot
 * restored into a fresh process is what that process then finds.
 *
 * The processes are children of the test: a "holder" sets timers up,
 * reports through shared memory, and waits for commands on a pipe.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keeptime/keeptime.h>

#include "kt_test.h"

#define SEC	  1000000000LL
#define IMAGE_MAX (2u << 20)

/* Shared between the test and a holder child. */
struct shared {
	int ready;	  /* set up done */
	int signals;	  /* timer signals the holder received */
	int self_err;	  /* kt_capture_self result */
	size_t image_len; /* its own snapshot, as an image */
	unsigned char image[IMAGE_MAX];
};

struct holder {
	pid_t pid;
	int cmd; /* write end: a byte asks for a self capture */
	struct shared *sh;
};

static int64_t ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * SEC + ts->tv_nsec;
}

static volatile sig_atomic_t got_signals;

static void on_signal(int sig)
{
	(void)sig;
	got_signals++;
}

static void self_capture(struct shared *sh)
{
	struct kt_snapshot *snap = NULL;
	int fd = memfd_create("image", 0);

	sh->self_err = kt_capture_self(&snap, NULL);
	if (sh->self_err == 0 && fd >= 0 && kt_snapshot_save(snap, fd) == 0) {
		off_t len = lseek(fd, 0, SEEK_END);

		if (len > 0 && (size_t)len <= IMAGE_MAX &&
		    pread(fd, sh->image, (size_t)len, 0) == len)
			sh->image_len = (size_t)len;
	}
	kt_snapshot_free(snap);
	if (fd >= 0)
		close(fd);
}

enum setup { SETUP_NONE, SETUP_MIXED, SETUP_MANY };

/* The holder: set up, then serve commands until the pipe closes. */
static void holder_main(enum setup setup, unsigned n, struct shared *sh,
			int cmd)
{
	struct sigaction sa = {.sa_handler = on_signal};
	char c;

	sigaction(SIGRTMIN + 2, &sa, NULL);
	if (setup == SETUP_MIXED) {
		struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
				       .sigev_signo = SIGRTMIN + 2};
		struct itimerspec fast = {{0, 2000000}, {0, 2000000}};
		struct itimerspec slow = {{7, 0}, {100, 0}};
		struct itimerval iv = {{0, 0}, {50, 0}};
		int id, fd;

		/* IDs 0, 1, 2 from a fresh counter; a fast periodic signal
		 * the holder counts, a slow one, a SIGEV_NONE one. */
		sev.sigev_value.sival_int = 77;
		syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id);
		syscall(SYS_timer_settime, id, 0, &fast, NULL);
		sev.sigev_notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
		KT_SIGEV_TID(&sev) = gettid();
		syscall(SYS_timer_create, CLOCK_REALTIME, &sev, &id);
		syscall(SYS_timer_settime, id, 0, &slow, NULL);
		sev.sigev_notify = SIGEV_NONE;
		sev.sigev_signo = 4242;
		syscall(SYS_timer_create, CLOCK_BOOTTIME, &sev, &id);
		setitimer(ITIMER_REAL, &iv, NULL);
		fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
		dup2(fd, 30);
		close(fd);
		timerfd_settime(30, 0, &slow, NULL);
		signal(SIGALRM, SIG_IGN);
	} else if (setup == SETUP_MANY) {
		struct kt_timer_spec *specs = calloc(n, sizeof(*specs));
		struct itimerspec slow = {{1, 0}, {100, 0}};

		for (unsigned i = 0; i < n; i++) {
			specs[i].id = (int)i * 1000 + 7;
			specs[i].clock = CLOCK_MONOTONIC;
			specs[i].sev.sigev_notify = SIGEV_NONE;
		}
		if (kt_timers_create(specs, n, NULL) < 0)
			_exit(3);
		for (unsigned i = 0; i < n; i++)
			syscall(SYS_timer_settime, specs[i].id, 0, &slow, NULL);
		free(specs);
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		ssize_t r = read(cmd, &c, 1);

		sh->signals = got_signals;
		if (r == 0)
			_exit(0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			_exit(4);
		if (c == 'c')
			self_capture(sh);
		__atomic_store_n(&sh->ready, 2, __ATOMIC_SEQ_CST);
	}
}

static struct holder start_holder(enum setup setup, unsigned n)
{
	struct holder h = {.sh = ktt_shared_alloc(sizeof(struct shared))};
	int p[2];

	cr_assert_eq(pipe(p), 0);
	h.pid = fork();
	cr_assert_geq(h.pid, 0);
	if (h.pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			_exit(5);
		/* Keep only our end of our pipe: a write end of another
		 * holder's pipe kept open here would keep it from ending. */
		if (dup2(p[0], 100) < 0 || close_range(3, 99, 0) < 0 ||
		    close_range(101, ~0U, 0) < 0)
			_exit(5);
		holder_main(setup, n, h.sh, 100);
	}
	close(p[0]);
	h.cmd = p[1];
	for (int i = 0;
	     i < 5000 && !__atomic_load_n(&h.sh->ready, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	cr_assert_eq(h.sh->ready, 1, "the holder did not get ready");
	return h;
}

/* Ask the holder to capture itself; returns its snapshot. */
static struct kt_snapshot *holder_self(struct holder *h)
{
	struct kt_snapshot *snap = NULL;
	int fd;

	h->sh->ready = 1;
	cr_assert_eq(write(h->cmd, "c", 1), 1);
	for (int i = 0;
	     i < 5000 && __atomic_load_n(&h->sh->ready, __ATOMIC_SEQ_CST) != 2;
	     i++)
		usleep(1000);
	cr_assert_eq(h->sh->ready, 2, "the holder did not answer");
	cr_assert_eq(h->sh->self_err, 0);
	fd = memfd_create("image", 0);
	cr_assert_eq(write(fd, h->sh->image, h->sh->image_len),
		     (ssize_t)h->sh->image_len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(kt_snapshot_load(fd, &snap, NULL), 0);
	close(fd);
	return snap;
}

static void stop_holder(struct holder *h)
{
	int status;

	close(h->cmd);
	cr_assert_eq(waitpid(h->pid, &status, 0), h->pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "holder ended with status 0x%x", status);
	ktt_shared_free(h->sh, sizeof(*h->sh));
}

static struct kt_snapshot *capture_pid(pid_t pid)
{
	struct kt_snapshot *snap = NULL;
	char msg[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	cr_assert_eq(kt_capture_pid(pid, &snap, &opts), 0, "capture %d: %s",
		     (int)pid, msg);
	return snap;
}

/* Same fields; remaining times a taken later reads no more than b's. */
static void expect_same_timers(const struct kt_snapshot *earlier,
			       const struct kt_snapshot *later)
{
	cr_assert_eq(kt_snapshot_posix_timer_count(earlier),
		     kt_snapshot_posix_timer_count(later));
	for (size_t i = 0; i < kt_snapshot_posix_timer_count(earlier); i++) {
		const struct kt_posix_timer *a =
			kt_snapshot_posix_timer(earlier, i);
		const struct kt_posix_timer *b =
			kt_snapshot_posix_timer(later, i);

		cr_expect_eq(a->id, b->id);
		cr_expect_eq(a->clock, b->clock, "timer %d", a->id);
		cr_expect_eq(a->notify, b->notify, "timer %d", a->id);
		cr_expect_eq(a->notify_tid, b->notify_tid, "timer %d", a->id);
		cr_expect_eq(a->signo, b->signo, "timer %d", a->id);
		cr_expect_eq(a->sigval, b->sigval, "timer %d", a->id);
		cr_expect_eq(ns(&a->interval), ns(&b->interval), "timer %d",
			     a->id);
		cr_expect_eq(ns(&a->value) == 0, ns(&b->value) == 0,
			     "timer %d armed state", a->id);
	}
	cr_assert_eq(kt_snapshot_timerfd_count(earlier),
		     kt_snapshot_timerfd_count(later));
	for (size_t i = 0; i < kt_snapshot_timerfd_count(earlier); i++) {
		const struct kt_timerfd *a = kt_snapshot_timerfd(earlier, i);
		const struct kt_timerfd *b = kt_snapshot_timerfd(later, i);

		cr_expect_eq(a->fd, b->fd);
		cr_expect_eq(a->clock, b->clock);
		cr_expect_eq(a->fd_flags, b->fd_flags);
		cr_expect_eq(a->settime_flags, b->settime_flags);
		cr_expect_eq(ns(&a->interval), ns(&b->interval));
	}
	cr_expect_eq(kt_snapshot_restore_ids_flag(earlier),
		     kt_snapshot_restore_ids_flag(later));
}

Test(capture_pid, equals_the_process_own_capture, .timeout = 30)
{
	struct holder h = start_holder(SETUP_MIXED, 0);
	struct kt_snapshot *outside, *inside;
	int signals;

	usleep(20000);
	signals = h.sh->signals;
	outside = capture_pid(h.pid);
	inside = holder_self(&h);
	expect_same_timers(outside, inside);
	cr_expect_eq(kt_snapshot_posix_timer_count(outside), 3);
	cr_expect_eq(kt_snapshot_posix_timer(outside, 1)->notify_tid, h.pid,
		     "the thread ID as the process sees it");
	cr_expect_eq(kt_snapshot_posix_timer(outside, 2)->signo, 4242);
	cr_expect_eq(kt_snapshot_itimer(outside, ITIMER_REAL)->interval.tv_sec,
		     0);
	cr_expect_geq(kt_snapshot_itimer(outside, ITIMER_REAL)->value.tv_sec,
		      49);
	cr_expect_eq(kt_snapshot_timerfd(outside, 0)->fd, 30);
	/* The holder goes on: its 2 ms timer keeps signalling. */
	usleep(30000);
	kt_snapshot_free(holder_self(&h));
	cr_expect_gt(h.sh->signals, signals, "no timer signals after capture");
	stop_holder(&h);
	kt_snapshot_free(outside);
	kt_snapshot_free(inside);
}

Test(capture_pid, restore_into_a_held_process, .timeout = 30)
{
	struct holder src = start_holder(SETUP_MIXED, 0);
	struct holder dst = start_holder(SETUP_NONE, 0);
	struct kt_snapshot *snap, *got;
	char msg[512];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	snap = capture_pid(src.pid);
	stop_holder(&src);
	/* The thread ID target was the source's main thread: aim it at the
	 * destination's, as a whole-process restore recreating the thread
	 * with its TID would. */
	((struct kt_posix_timer *)kt_snapshot_posix_timer(snap, 1))
		->notify_tid = dst.pid;
	cr_assert_eq(kt_restore_pid(dst.pid, snap, &opts), 0, "restore: %s",
		     msg);
	got = holder_self(&dst);
	expect_same_timers(snap, got);
	/* The restored 2 ms timer signals the destination. */
	usleep(30000);
	kt_snapshot_free(holder_self(&dst));
	cr_expect_gt(dst.sh->signals, 0);
	stop_holder(&dst);
	kt_snapshot_free(snap);
	kt_snapshot_free(got);
}

Test(capture_pid, restore_refuses_taken_ids_and_changes_nothing, .timeout = 30)
{
	struct holder h = start_holder(SETUP_MIXED, 0);
	struct kt_snapshot *snap, *after;
	char msg[512];
	KT_OPTS(kt_restore_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	snap = capture_pid(h.pid);
	cr_expect_eq(kt_restore_pid(h.pid, snap, &opts), -EBUSY);
	cr_expect_not_null(strstr(msg, "already"), "%s", msg);
	after = capture_pid(h.pid);
	expect_same_timers(snap, after);
	stop_holder(&h);
	kt_snapshot_free(snap);
	kt_snapshot_free(after);
}

Test(capture_pid, refusals, .timeout = 30)
{
	struct kt_snapshot *snap = NULL;
	char msg[512];
	KT_OPTS(kt_capture_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	pid_t zombie = fork();
	siginfo_t si;

	cr_assert_geq(zombie, 0);
	if (zombie == 0)
		_exit(0);
	/* A zombie for sure (a sleep is not, on a loaded machine): wait
	 * for its exit without reaping it. */
	cr_assert_eq(waitid(P_PID, (id_t)zombie, &si, WEXITED | WNOWAIT), 0);
	cr_expect_eq(kt_capture_pid(zombie, &snap, &opts), -ESRCH, "%s", msg);
	waitpid(zombie, NULL, 0);
	cr_expect_eq(kt_capture_pid(zombie, &snap, &opts), -ESRCH, "%s", msg);
	cr_expect_eq(kt_capture_pid(getpid(), &snap, &opts), -EINVAL, "%s",
		     msg);
	cr_expect_eq(kt_capture_pid(2, &snap, &opts), -EPERM, "%s", msg);
	cr_expect_null(snap);
}

Test(capture_pid, ten_thousand_timers, .timeout = 60)
{
	struct kt_snapshot *snap;
	struct timespec a, b;
	struct holder h;

	/* IDs up to 9999007: without the prctl, a 10-million-step walk. */
	ktt_require_restore_ids();
	h = start_holder(SETUP_MANY, 10000);

	clock_gettime(CLOCK_MONOTONIC, &a);
	snap = capture_pid(h.pid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_log_info("kt_capture_pid of 10000 timers: %.2f ms (upper bound of "
		    "the stop)",
		    (double)(ns(&b) - ns(&a)) / 1e6);
	cr_assert_eq(kt_snapshot_posix_timer_count(snap), 10000);
	for (size_t i = 0; i < 10000; i++) {
		const struct kt_posix_timer *t =
			kt_snapshot_posix_timer(snap, i);

		cr_assert_eq(t->id, (int)i * 1000 + 7);
		cr_assert_eq(t->interval.tv_sec, 1);
		cr_assert_gt(ns(&t->value), 90 * SEC);
	}
	stop_holder(&h);
	kt_snapshot_free(snap);
}

/*
 * The signal state of /proc/PID/status that must not change. The holder's
 * own 2 ms timer signal comes and goes (pending, or blocked while its
 * handler runs): that one bit is left out of the masks.
 */
static void signal_state(pid_t pid, char *out, size_t len)
{
	static const char *const keys[] = {"SigPnd:", "ShdPnd:", "SigBlk:",
					   "SigIgn:", "SigCgt:", "Threads:"};
	unsigned long long timer_bit = 1ULL << (SIGRTMIN + 2 - 1);
	char path[64], text[8192], *line;
	size_t used = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_geq(ktt_read_file(path, text, sizeof(text)), 0);
	out[0] = '\0';
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t n = strlen(keys[k]);
			unsigned long long v;

			if (strncmp(line, keys[k], n) != 0)
				continue;
			v = strtoull(line + n, NULL, k < 5 ? 16 : 10);
			if (k < 3)
				v &= ~timer_bit;
			used += (size_t)snprintf(out + used, len - used,
						 "%s %llx\n", keys[k], v);
		}
	}
}

Test(capture_pid, leaves_maps_signals_and_timers_as_they_were, .timeout = 30)
{
	struct holder h = start_holder(SETUP_MIXED, 0);
	static char maps0[65536], maps1[65536], timers0[8192], timers1[8192];
	char sig0[1024], sig1[1024], path[64];
	struct kt_snapshot *snap;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)h.pid);
	cr_assert_geq(ktt_read_file(path, maps0, sizeof(maps0)), 0);
	snprintf(path, sizeof(path), "/proc/%d/timers", (int)h.pid);
	cr_assert_geq(ktt_read_file(path, timers0, sizeof(timers0)), 0);
	signal_state(h.pid, sig0, sizeof(sig0));
	for (int i = 0; i < 3; i++) {
		snap = capture_pid(h.pid);
		kt_snapshot_free(snap);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)h.pid);
	cr_assert_geq(ktt_read_file(path, maps1, sizeof(maps1)), 0);
	snprintf(path, sizeof(path), "/proc/%d/timers", (int)h.pid);
	cr_assert_geq(ktt_read_file(path, timers1, sizeof(timers1)), 0);
	signal_state(h.pid, sig1, sizeof(sig1));
	cr_expect_str_eq(maps1, maps0, "the memory map changed");
	cr_expect_str_eq(timers1, timers0, "the timers changed");
	cr_expect_str_eq(sig1, sig0, "the signal state changed");
	stop_holder(&h);
}

/*
 * A process in its own pid namespace: /proc (ours) shows its
 * SIGEV_THREAD_ID target with our number for it; the snapshot records the
 * number the process itself knows (1, as the namespace's first process).
 */
static int in_pidns(void *arg)
{
	struct shared *sh = arg;
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL | SIGEV_THREAD_ID,
			       .sigev_signo = SIGRTMIN + 2};
	struct itimerspec slow = {{0, 0}, {100, 0}};
	int id;

	KT_SIGEV_TID(&sev) = gettid(); /* 1 */
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) < 0 ||
	    syscall(SYS_timer_settime, id, 0, &slow, NULL) < 0)
		return 3;
	sh->signals = (int)gettid();
	__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return 0;
}

Test(capture_pid, thread_ids_as_the_process_sees_them, .timeout = 30)
{
	struct shared *sh = ktt_shared_alloc(sizeof(*sh));
	static char stack[1 << 16];
	struct kt_snapshot *snap;
	pid_t pid;

	pid = clone(in_pidns, stack + sizeof(stack), CLONE_NEWPID | SIGCHLD,
		    sh);
	if (pid < 0 && (errno == EPERM || errno == EINVAL))
		cr_skip_test("no new pid namespace here: %s", strerror(errno));
	cr_assert_gt(pid, 0, "clone: %s", strerror(errno));
	for (int i = 0;
	     i < 5000 && !__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	cr_assert_eq(sh->ready, 1);
	cr_assert_eq(sh->signals, 1, "its own tid");
	snap = capture_pid(pid);
	cr_assert_eq(kt_snapshot_posix_timer_count(snap), 1);
	cr_expect_eq(kt_snapshot_posix_timer(snap, 0)->notify_tid, 1,
		     "tid %d recorded, the process knows itself as 1",
		     (int)kt_snapshot_posix_timer(snap, 0)->notify_tid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	kt_snapshot_free(snap);
	ktt_shared_free(sh, sizeof(*sh));
}
