/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-process restore (kt_restore_process) of restore_workload, a
 * program that checks itself (tests/restore_workload.c says what and how).
 *
 * Every test: start the workload (fork and exec, stdin /dev/null, stdout
 * and stderr into a log file, in a fresh directory of its own under /tmp),
 * wait until its status file shows it running, dump it with
 * kt_dump_process(KT_DUMP_KILL), reap it so that its PID is free, restore
 * it with kt_restore_process, check it has the same PID and goes on (every
 * counter of its status moves past where it was at the dump), create its
 * stop file and wait for it (the restored process is a child of the
 * caller): it must exit 0, which means that every check it made before
 * and after the restore, and its final checks, passed. A failure shows
 * the workload's log and status.
 *
 * The tests never assert on timing: deadlines are only there so that a
 * broken restore does not hang the suite, and are generous (slow machines,
 * QEMU). What the running kernel lacks is a skip with the reason.
 *
 * The workload_* tests need no restore: they check the workloads
 * themselves (they run, survive a dump, stop with 0).
 *
 * Timers at IDs up to 2000000 ("timers") are in the tests about timers;
 * the others use "timers-low" (IDs up to 2000): on a kernel without
 * explicit IDs every start and every restore walks the ID counter to the
 * highest one, which takes seconds (a minute or more under QEMU).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/personality.h>
#include <sys/syscall.h>

#include <keeptime/keeptime.h>

#include "kt_test.h"

#define WL_DYNAMIC "restore_workload"
#define WL_STATIC  "restore_workload_static"

/* What the workload does (tests/restore_workload.c). */
#define STATUS_SIZE  4096
#define COMM	     "kt-restore-wl"
#define NOFILE_CUR   321
#define RECORD_SIZE  32
#define RECORD_MAGIC 0x00434552575254ULL
#define SEQ_MUL	     0x9e3779b97f4a7c15ULL
#define TIMER_MAGIC  0x6b74726573746f72ULL

/* Deadlines (never assertions on time). The start of a "timers" workload
 * on a kernel without explicit IDs walks to ID 2000000: seconds on a host,
 * a minute or more under QEMU. */
#define START_MS    180000
#define PROGRESS_MS 30000
#define STOP_MS	    60000

#ifndef CAP_SYS_ADMIN
#define CAP_SYS_ADMIN 21
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

struct wl {
	pid_t pid;	   /* the original, then the restored process */
	bool running;	   /* pid is a child of ours, not reaped */
	char features[64]; /* its first argument */
	char base[64];	   /* the test's directory */
	char work[128];	   /* base/work: its directory (status, stop) */
	char log[128];	   /* base/log: its stdout and stderr */
	char image[128];   /* base/image: the dump */
	char prog[4096];   /* its executable */
	struct kt_dump_report dump_report; /* of the last dump */
};

struct status {
	char text[STATUS_SIZE + 1];
};

/* ---- clean-up: whatever a failed test left ---- */

#define MAX_WL 4
static struct wl *registry[MAX_WL];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

/* .fini of every test: kill the workloads that are still our children
 * (and only those: waitpid says so) and remove the directories. */
static void cleanup(void)
{
	for (size_t i = 0; i < MAX_WL; i++) {
		struct wl *w = registry[i];
		int status;

		if (!w)
			continue;
		if (w->running && w->pid > 0 &&
		    waitpid(w->pid, &status, WNOHANG) == 0) {
			(void)kill(w->pid, SIGKILL);
			(void)waitpid(w->pid, &status, 0);
		}
		if (w->base[0])
			(void)nftw(w->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		registry[i] = NULL;
	}
}

/* ---- small things ---- */

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 +
	       (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool has(const struct wl *w, const char *feature)
{
	return strstr(w->features, feature) != NULL;
}

static const char *describe_status(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof(buf), "wait status 0x%x", status);
	return buf;
}

/* The workload's log, for failure messages. */
static const char *wl_log(const struct wl *w)
{
	static char buf[16384];

	if (ktt_read_file(w->log, buf, sizeof(buf)) < 0 && !buf[0])
		snprintf(buf, sizeof(buf), "(no log)");
	return buf;
}

/* A live, unreaped process (or zombie) with this PID? */
static bool pid_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Skip unless dumping and restoring can work here at all. */
static void require_checkpoint(void)
{
	char scope[16];

	if (!ktt_have_cap(CAP_CHECKPOINT_RESTORE) &&
	    !ktt_have_cap(CAP_SYS_ADMIN))
		cr_skip_test("dump and restore need CAP_CHECKPOINT_RESTORE "
			     "(or CAP_SYS_ADMIN)");
	if (access("/proc/self/timers", R_OK) != 0)
		cr_skip_test(
			"/proc/PID/timers is missing: the kernel lacks "
			"CONFIG_CHECKPOINT_RESTORE or CONFIG_POSIX_TIMERS");
	if (ktt_read_file("/proc/sys/kernel/yama/ptrace_scope", scope,
			  sizeof(scope)) > 0 &&
	    scope[0] == '3')
		cr_skip_test("Yama's ptrace_scope is 3: no process may be "
			     "traced");
}

/* ---- the status file ---- */

/* A whole status (first and last lines of the same write). */
static bool status_read(const struct wl *w, struct status *st)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/status", w->work);
	for (int tries = 0; tries < 20; tries++) {
		ssize_t n = ktt_read_file(path, st->text, sizeof(st->text));
		unsigned long long seq, end;
		const char *e;

		if (n != STATUS_SIZE)
			return false;
		e = strstr(st->text, "\nend=");
		if (sscanf(st->text, "seq=%llu", &seq) == 1 && e &&
		    sscanf(e, "\nend=%llu", &end) == 1 && seq == end)
			return true;
		sleep_ms(1); /* a torn read: read again */
	}
	return false;
}

/* The value of key, or NULL. */
static const char *status_get(const struct status *st, const char *key,
			      char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\n%s=", key);
	p = strstr(st->text, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static long long status_num(const struct status *st, const char *key)
{
	char v[64];

	cr_assert_not_null(status_get(st, key, v, sizeof(v)),
			   "no %s in the status", key);
	return strtoll(v, NULL, 0);
}

static bool status_is(const struct status *st, const char *key,
		      const char *value)
{
	char v[4096];

	return status_get(st, key, v, sizeof(v)) && strcmp(v, value) == 0;
}

/* The status up to its last line, for messages. */
static const char *status_brief(const struct status *st)
{
	static char buf[STATUS_SIZE + 1];
	const char *e = strstr(st->text, "\nend=");
	size_t n = e ? (size_t)(e - st->text) + 1 + strcspn(e + 1, "\n")
		     : strlen(st->text);

	memcpy(buf, st->text, n);
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return buf;
}

/* A status where every counter is 0: the start. */
static const struct status zero_status = {
	"seq=0\niter=0\nverified=0\nshm_rounds=0\nrecords=0\nsig_mono=0\n"
	"sig_tid=0\nsig_cpu=0\nsig_alrm=0\ntfd_exp=0\nnone_checks=0\nend=0\n"};

/* ---- starting, waiting, stopping ---- */

struct goal {
	const char *key;
	long long above; /* reached when the value is greater */
};

/*
 * Poll the status until the workload is running and every goal is
 * reached. Fails the test if the workload ends first, or at the deadline.
 */
static void wl_wait(struct wl *w, struct status *st, const struct goal *g,
		    size_t n, long timeout_ms, const char *what)
{
	struct timespec t0;
	bool seen = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int status;
		pid_t r = waitpid(w->pid, &status, WNOHANG);

		cr_assert_geq(r, 0, "%s: waitpid(%d): %s (not our child?)",
			      what, (int)w->pid, strerror(errno));
		if (r == w->pid) {
			w->running = false;
			if (!status_read(w, st))
				st->text[0] = '\0';
			cr_assert_fail("%s: the workload ended with %s\n"
				       "status: %s\nlog:\n%s",
				       what, describe_status(status),
				       status_brief(st), wl_log(w));
		}
		if (status_read(w, st)) {
			bool done = status_is(st, "state", "running");

			seen = true;
			for (size_t i = 0; done && i < n; i++)
				done = status_num(st, g[i].key) > g[i].above;
			if (done)
				return;
		}
		if (ms_since(&t0) > timeout_ms) {
			char goals[512] = "";
			size_t used = 0;

			for (size_t i = 0; seen && i < n; i++) {
				long long v = status_num(st, g[i].key);

				if (v > g[i].above || used >= sizeof(goals))
					continue;
				used += (size_t)snprintf(
					goals + used, sizeof(goals) - used,
					" %s=%lld (want > %lld)", g[i].key, v,
					g[i].above);
			}
			cr_assert_fail(
				"%s: not reached in %ld ms:%s\n"
				"status: %s\nlog:\n%s",
				what, timeout_ms, seen ? goals : " no status",
				seen ? status_brief(st) : "(none)", wl_log(w));
		}
		sleep_ms(5);
	}
}

/*
 * Wait until every counter of the workload's features has moved past
 * where it was in since: it goes on, its timers deliver.
 */
static void wl_wait_progress(struct wl *w, const struct status *since,
			     struct status *st, const char *what)
{
	static const char *const timer_keys[] = {
		"sig_mono", "sig_tid", "sig_cpu", "sig_alrm", "tfd_exp"};
	struct goal g[12];
	size_t n = 0;

	g[n++] = (struct goal){"iter", status_num(since, "iter") + 5};
	if (has(w, "compute"))
		g[n++] = (struct goal){"verified",
				       status_num(since, "verified") + 3};
	if (has(w, "shm"))
		g[n++] = (struct goal){"shm_rounds",
				       status_num(since, "shm_rounds") + 3};
	if (has(w, "file"))
		g[n++] = (struct goal){"records",
				       status_num(since, "records") + 5};
	if (has(w, "timers")) {
		g[n++] = (struct goal){"none_checks",
				       status_num(since, "none_checks") + 3};
		for (size_t i = 0; i < 5; i++)
			g[n++] = (struct goal){
				timer_keys[i],
				status_num(since, timer_keys[i]) + 2};
	}
	wl_wait(w, st, g, n, PROGRESS_MS, what);
}

/* Copy w->prog into w->base (mode 0755) and run that copy instead. */
static void copy_program(struct wl *w)
{
	char copy[sizeof(w->prog)], buf[65536];
	int in = open(w->prog, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	cr_assert_geq(in, 0, "%s: %s", w->prog, strerror(errno));
	snprintf(copy, sizeof(copy), "%s/prog", w->base);
	out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert_geq(out, 0, "%s: %s", copy, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	cr_assert_eq(close(out), 0);
	(void)close(in);
	cr_assert_eq(chmod(copy, 0755), 0); /* whatever the umask */
	snprintf(w->prog, sizeof(w->prog), "%s", copy);
}

/*
 * Start the workload prog with these features and wait until it runs.
 * become, if not NULL, runs in the child before the exec (as root: it may
 * change the credentials; the workload's directories are then open to
 * uid and gid 65534).
 */
static void wl_start_as(struct wl *w, const char *prog, const char *features,
			void (*become)(void))
{
	char tmpl[] = "/tmp/kt-restore-XXXXXX";
	pid_t parent = getpid();
	struct status st;
	size_t slot;

	require_checkpoint();
	memset(w, 0, sizeof(*w));
	for (slot = 0; slot < MAX_WL && registry[slot]; slot++)
		;
	cr_assert_lt(slot, MAX_WL);
	registry[slot] = w;
	snprintf(w->features, sizeof(w->features), "%s", features);
	cr_assert_eq(
		ktt_test_program_path(prog, NULL, w->prog, sizeof(w->prog)), 0);
	cr_assert_eq(access(w->prog, X_OK), 0, "%s: %s", w->prog,
		     strerror(errno));
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(w->base, sizeof(w->base), "%s", tmpl);
	snprintf(w->work, sizeof(w->work), "%s/work", w->base);
	snprintf(w->log, sizeof(w->log), "%s/log", w->base);
	snprintf(w->image, sizeof(w->image), "%s/image", w->base);
	cr_assert_eq(mkdir(w->work, 0755), 0);
	if (become) {
		cr_assert_eq(chmod(w->base, 0711), 0);
		cr_assert_eq(chown(w->work, 65534, 65534), 0, "chown: %s",
			     strerror(errno));
		/* The build tree may lie where uid 65534 cannot go (a clone
		 * in a mkdtemp directory, mode 0700): run a copy from base. */
		copy_program(w);
	}

	fflush(NULL);
	w->pid = fork();
	cr_assert_geq(w->pid, 0);
	if (w->pid == 0) {
		char *argv[] = {w->prog, w->features, w->work, NULL};
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigset_t none;
		int fd;

		/* It dies with the test; it starts with a clean signal
		 * state and no descriptor but 0, 1 and 2. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		for (int s = 1; s < NSIG; s++)
			(void)sigaction(s, &dfl, NULL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(127);
		fd = open(w->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
			  0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    close_range(3, ~0U, 0) < 0)
			_exit(127);
		if (become)
			become();
		execv(w->prog, argv);
		_exit(127);
	}
	w->running = true;
	wl_wait(w, &st, (const struct goal[]){{"iter", 2}}, 1, START_MS,
		"start");
}

static void wl_start(struct wl *w, const char *prog, const char *features)
{
	wl_start_as(w, prog, features, NULL);
}

/* Create the stop file, wait for the workload to end: it must exit 0. */
static void wl_stop(struct wl *w, struct status *final)
{
	char stop[160];
	struct timespec t0;
	int status, fd;
	pid_t r;

	snprintf(stop, sizeof(stop), "%s/stop", w->work);
	fd = open(stop, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0, "%s: %s", stop, strerror(errno));
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((r = waitpid(w->pid, &status, WNOHANG)) == 0 &&
	       ms_since(&t0) < STOP_MS)
		sleep_ms(5);
	cr_assert_geq(r, 0, "waitpid(%d): %s (not our child?)", (int)w->pid,
		      strerror(errno));
	if (r == 0) {
		(void)kill(w->pid, SIGKILL);
		(void)waitpid(w->pid, &status, 0);
		w->running = false;
		cr_assert_fail("the workload did not stop in %d ms\nlog:\n%s",
			       STOP_MS, wl_log(w));
	}
	w->running = false;
	if (!status_read(w, final))
		final->text[0] = '\0';
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the workload ended with %s\nstatus: %s\nlog:\n%s",
		  describe_status(status), status_brief(final), wl_log(w));
	cr_assert(status_is(final, "state", "done"), "status: %s",
		  status_brief(final));
	cr_assert_eq(unlink(stop), 0);
}

static int wl_try_dump(struct wl *w, unsigned flags, char *msg, size_t len)
{
	KT_OPTS(kt_dump_opts, opts, .flags = flags, .err_buf = msg,
		.err_len = len, .report = &w->dump_report);

	msg[0] = '\0';
	return kt_dump_process(w->pid, w->image, &opts);
}

/* Dump it and leave it running. */
static void wl_dump(struct wl *w)
{
	char msg[512];
	int err = wl_try_dump(w, 0, msg, sizeof(msg));

	cr_assert_eq(err, 0, "dump of %d: %s (%s)\nlog:\n%s", (int)w->pid,
		     strerror(-err), msg, wl_log(w));
}

/*
 * Dump it with KT_DUMP_KILL, reap it, and return its last status. The
 * library, as its tracer, may have reaped it already (ECHILD); either way
 * its PID must be free afterwards.
 */
static void wl_dump_kill(struct wl *w, struct status *at_dump)
{
	char msg[512];
	int err = wl_try_dump(w, KT_DUMP_KILL, msg, sizeof(msg));
	int status;
	pid_t r;

	cr_assert_eq(err, 0, "dump (KT_DUMP_KILL) of %d: %s (%s)\nlog:\n%s",
		     (int)w->pid, strerror(-err), msg, wl_log(w));
	while ((r = waitpid(w->pid, &status, 0)) < 0 && errno == EINTR)
		;
	cr_assert(r == w->pid || (r < 0 && errno == ECHILD), "waitpid(%d): %s",
		  (int)w->pid, strerror(errno));
	if (r == w->pid)
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "the dumped process ended with %s, not SIGKILL\n"
			  "log:\n%s",
			  describe_status(status), wl_log(w));
	w->running = false;
	cr_assert_not(pid_exists(w->pid), "PID %d still exists after the dump",
		      (int)w->pid);
	cr_assert(status_read(w, at_dump), "no status at the dump");
	cr_assert(status_is(at_dump, "state", "running"), "%s",
		  status_brief(at_dump));
}

static int wl_try_restore(struct wl *w, const struct kt_create_opts *ids,
			  struct kt_restore_process_report *report, char *msg,
			  size_t len, pid_t *pid)
{
	KT_OPTS(kt_restore_process_opts, opts, .ids = ids, .err_buf = msg,
		.err_len = len, .report = report);

	msg[0] = '\0';
	*pid = -1;
	return kt_restore_process(w->image, &opts, pid);
}

/* Restore it: the same PID, a child of ours. */
static void wl_restore(struct wl *w, const struct kt_create_opts *ids,
		       struct kt_restore_process_report *report)
{
	char msg[1024];
	pid_t pid;
	int err = wl_try_restore(w, ids, report, msg, sizeof(msg), &pid);

	cr_assert_eq(err, 0, "restore of %s: %s (%s)\nlog:\n%s", w->image,
		     strerror(-err), msg, wl_log(w));
	cr_assert_eq(pid, w->pid, "restored as PID %d, not %d", (int)pid,
		     (int)w->pid);
	w->running = true;
}

/* The whole round trip: dump, kill, restore, it goes on, it stops. */
static void roundtrip(struct wl *w, const struct kt_create_opts *ids,
		      struct kt_restore_process_report *report,
		      struct status *final)
{
	struct status at_dump, st;

	wl_dump_kill(w, &at_dump);
	wl_restore(w, ids, report);
	wl_wait_progress(w, &at_dump, &st, "after the restore");
	wl_stop(w, final);
	cr_expect_gt(status_num(final, "iter"), status_num(&at_dump, "iter"));
}

/* The records file holds records 0..n-1, in order, and nothing else. */
static void expect_records(const struct wl *w, uint64_t n)
{
	char path[160];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/records", w->work);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq((uint64_t)st.st_size, n * RECORD_SIZE,
		     "records holds %lld bytes, not %llu records of %d",
		     (long long)st.st_size, (unsigned long long)n, RECORD_SIZE);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t rec[4];
		uint64_t want[4] = {RECORD_MAGIC, i, ~i, i * SEQ_MUL};

		cr_assert_eq(
			pread(fd, rec, sizeof(rec), (off_t)(i * RECORD_SIZE)),
			(ssize_t)sizeof(rec));
		cr_assert_arr_eq(rec, want, sizeof(rec),
				 "record %llu holds index %llu (magic 0x%llx)",
				 (unsigned long long)i,
				 (unsigned long long)rec[1],
				 (unsigned long long)rec[0]);
	}
	close(fd);
}

/* ---- timers, seen from outside ---- */

static enum kt_id_path auto_path(void)
{
	const char *env = getenv("KEEPTIME_FORCE_LINEAR");
	int explicit_ids = kt_explicit_ids_supported();

	cr_assert_geq(explicit_ids, 0, "kt_explicit_ids_supported: %s",
		      strerror(-explicit_ids));
	if (env && strcmp(env, "1") == 0)
		return KT_PATH_LINEAR;
	return explicit_ids ? KT_PATH_EXPLICIT : KT_PATH_LINEAR;
}

static struct kt_snapshot *capture(pid_t pid, const char *when)
{
	struct kt_snapshot *snap = NULL;
	char msg[512] = "";
	KT_OPTS(kt_capture_opts, opts, .err_buf = msg, .err_len = sizeof(msg));
	int err = kt_capture_pid(pid, &snap, &opts);

	cr_assert_eq(err, 0, "kt_capture_pid(%d) %s: %s (%s)", (int)pid, when,
		     strerror(-err), msg);
	return snap;
}

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The timers of a "timers" workload, as it created them. */
static void expect_workload_timers(const struct kt_snapshot *s, pid_t pid,
				   const char *when)
{
	static const struct {
		int id;
		clockid_t clock;
		int notify;
		int rt; /* signal: SIGRTMIN + rt */
		long long interval_ns;
	} want[] = {
		{0, CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 10000000},
		{1000000, CLOCK_REALTIME, SIGEV_NONE, 3, 20000000},
		{1500000, KTT_CLOCK_PROCESS_CPU, SIGEV_SIGNAL, 2, 5000000},
		{2000000, CLOCK_BOOTTIME, SIGEV_SIGNAL | SIGEV_THREAD_ID, 1,
		 25000000},
	};
	const struct kt_itimer *it;
	const struct kt_timerfd *tfd;

	cr_assert_eq(kt_snapshot_posix_timer_count(s), 4,
		     "%s: %zu POSIX timers, not 4", when,
		     kt_snapshot_posix_timer_count(s));
	for (size_t i = 0; i < 4; i++) {
		const struct kt_posix_timer *t = kt_snapshot_posix_timer(s, i);

		cr_assert_eq(t->id, want[i].id, "%s: timer %zu has ID %d", when,
			     i, t->id);
		cr_expect_eq(t->clock, want[i].clock,
			     "%s: ID %d has clock %d, not %d", when, t->id,
			     (int)t->clock, (int)want[i].clock);
		cr_expect_eq(t->notify, want[i].notify,
			     "%s: ID %d has notify %d", when, t->id, t->notify);
		cr_expect_eq(t->notify_tid,
			     want[i].notify & SIGEV_THREAD_ID ? pid : 0,
			     "%s: ID %d notifies thread %d", when, t->id,
			     (int)t->notify_tid);
		cr_expect_eq(t->signo, SIGRTMIN + want[i].rt,
			     "%s: ID %d has signal %d", when, t->id, t->signo);
		cr_expect_eq(t->sigval, TIMER_MAGIC ^ (uint64_t)want[i].id,
			     "%s: ID %d has sigval 0x%llx", when, t->id,
			     (unsigned long long)t->sigval);
		cr_expect_eq(ts_ns(&t->interval), want[i].interval_ns,
			     "%s: ID %d has interval %lld ns", when, t->id,
			     ts_ns(&t->interval));
		/* A CPU clock timer whose signal is pending may read 0
		 * (kernel-dependent): the workload checks it is armed. */
		if (t->clock != KTT_CLOCK_PROCESS_CPU)
			cr_expect_neq(ts_ns(&t->value), 0,
				      "%s: ID %d is disarmed", when, t->id);
	}
	it = kt_snapshot_itimer(s, ITIMER_REAL);
	cr_assert_not_null(it);
	cr_expect_eq(it->interval.tv_sec, 0);
	cr_expect_eq(it->interval.tv_usec, 15000,
		     "%s: ITIMER_REAL every %ld us", when,
		     (long)it->interval.tv_usec);
	/* Its value may read 0 (a SIGALRM pending: the kernel rearms it
	 * when the signal is taken), so only the interval tells. */
	cr_assert_eq(kt_snapshot_timerfd_count(s), 1, "%s: %zu timerfds", when,
		     kt_snapshot_timerfd_count(s));
	tfd = kt_snapshot_timerfd(s, 0);
	cr_expect_eq(tfd->clock, CLOCK_MONOTONIC);
	cr_expect_eq(tfd->fd_flags, TFD_NONBLOCK | TFD_CLOEXEC,
		     "%s: timerfd flags 0x%x", when, tfd->fd_flags);
	cr_expect_eq(ts_ns(&tfd->interval), 10000000,
		     "%s: the timerfd's interval is %lld ns", when,
		     ts_ns(&tfd->interval));
}

/* A "timers" workload dumped, restored through path, checked. */
static void timers_through(enum kt_id_path path)
{
	struct wl w;
	struct status at_dump, st, final;
	struct kt_restore_process_report rep;
	struct kt_snapshot *before, *after;
	int tfd_before;
	KT_OPTS(kt_create_opts, ids, .path = path);

	wl_start(&w, WL_DYNAMIC, "timers");
	wl_wait_progress(&w, &zero_status, &st,
			 "timers firing before the dump");
	before = capture(w.pid, "before the dump");
	expect_workload_timers(before, w.pid, "before the dump");
	tfd_before = kt_snapshot_timerfd(before, 0)->fd;
	kt_snapshot_free(before);

	wl_dump_kill(&w, &at_dump);
	memset(&rep, 0, sizeof(rep));
	wl_restore(&w, &ids, &rep);
	cr_expect_eq(rep.path, (uint32_t)path, "the timers took path %u",
		     rep.path);
	/* What the kernel holds first (a precise message), then what the
	 * workload sees. */
	after = capture(w.pid, "after the restore");
	expect_workload_timers(after, w.pid, "after the restore");
	cr_expect_eq(kt_snapshot_timerfd(after, 0)->fd, tfd_before,
		     "the timerfd moved from fd %d", tfd_before);
	kt_snapshot_free(after);
	wl_wait_progress(&w, &at_dump, &st,
			 "timers delivering after the restore");
	wl_stop(&w, &final);
}

/* ---- the workloads themselves, no restore ---- */

static void workload_survives_a_dump(const char *prog)
{
	struct wl w;
	struct status st, after, final;

	wl_start(&w, prog, "compute,shm,timers-low,file,signals");
	wl_wait_progress(&w, &zero_status, &st, "running before the dump");
	wl_dump(&w);
	cr_expect_gt(w.dump_report.n_timers, 0);
	cr_expect_gt(w.dump_report.pages_bytes, 0);
	cr_assert(status_read(&w, &st));
	wl_wait_progress(&w, &st, &after, "going on after the dump");
	wl_stop(&w, &final);
	expect_records(&w, (uint64_t)status_num(&final, "records"));
}

Test(restore, workload_dynamic_runs_survives_a_dump_and_stops, .timeout = 300,
     .fini = cleanup)
{
	workload_survives_a_dump(WL_DYNAMIC);
}

Test(restore, workload_static_runs_survives_a_dump_and_stops, .timeout = 300,
     .fini = cleanup)
{
	workload_survives_a_dump(WL_STATIC);
}

/* ---- restores ---- */

/* Start prog with features, then dump, kill, restore and stop it. */
static void start_and_roundtrip(const char *prog, const char *features)
{
	struct wl w;
	struct status final;

	wl_start(&w, prog, features);
	roundtrip(&w, NULL, NULL, &final);
}

Test(restore, compute_dynamic, .timeout = 120, .fini = cleanup)
{
	start_and_roundtrip(WL_DYNAMIC, "compute");
}

Test(restore, compute_static, .timeout = 120, .fini = cleanup)
{
	start_and_roundtrip(WL_STATIC, "compute");
}

Test(restore, shared_anonymous_memory, .timeout = 120, .fini = cleanup)
{
	start_and_roundtrip(WL_DYNAMIC, "shm");
}

Test(restore, timers_explicit_ids, .timeout = 300, .fini = cleanup)
{
	int explicit_ids = kt_explicit_ids_supported();

	cr_assert_geq(explicit_ids, 0, "kt_explicit_ids_supported: %s",
		      strerror(-explicit_ids));
	if (!explicit_ids)
		cr_skip_test("the kernel has no PR_TIMER_CREATE_RESTORE_IDS "
			     "(Linux >= 6.15): no explicit path");
	timers_through(KT_PATH_EXPLICIT);
}

Test(restore, timers_forced_linear, .timeout = 300, .fini = cleanup)
{
	timers_through(KT_PATH_LINEAR);
}

/* The records file goes on at the same offset: records 0..N, no gap, no
 * duplicate. */
Test(restore, file_offset, .timeout = 120, .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;
	char path[160];
	struct stat sb;
	uint64_t at_kill;

	wl_start(&w, WL_DYNAMIC, "file");
	wl_wait(&w, &st, (const struct goal[]){{"records", 20}}, 1, PROGRESS_MS,
		"records written");
	wl_dump_kill(&w, &at_dump);
	snprintf(path, sizeof(path), "%s/records", w.work);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_size % RECORD_SIZE, 0);
	at_kill = (uint64_t)sb.st_size / RECORD_SIZE;
	cr_assert_geq(at_kill, (uint64_t)status_num(&at_dump, "records"));
	expect_records(&w, at_kill);

	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "writing after the restore");
	wl_stop(&w, &final);
	cr_expect_gt((uint64_t)status_num(&final, "records"), at_kill);
	expect_records(&w, (uint64_t)status_num(&final, "records"));
}

/* One image, two restores, one after the other. */
Test(restore, twice_from_one_image, .timeout = 180, .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;
	char path[160];
	char blank[STATUS_SIZE];
	int fd;

	wl_start(&w, WL_DYNAMIC, "compute,timers-low");
	wl_dump_kill(&w, &at_dump);

	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "first restore");
	wl_stop(&w, &final);
	cr_assert_not(pid_exists(w.pid));

	/* What the status says from now on comes from the second one. */
	snprintf(path, sizeof(path), "%s/status", w.work);
	memset(blank, ' ', sizeof(blank));
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, blank, sizeof(blank), 0),
		     (ssize_t)sizeof(blank));
	close(fd);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "second restore");
	wl_stop(&w, &final);
}

/* A restored process is dumped and restored again. */
Test(restore, restored_process_dumps_and_restores_again, .timeout = 300,
     .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;

	wl_start(&w, WL_DYNAMIC, "compute,timers-low,file");
	wl_dump_kill(&w, &at_dump);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "after the first restore");

	snprintf(w.image, sizeof(w.image), "%s/image2", w.base);
	wl_dump_kill(&w, &at_dump);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "after the second restore");
	wl_stop(&w, &final);
	expect_records(&w, (uint64_t)status_num(&final, "records"));
}

/* Everything at once, statically linked. */
Test(restore, static_all_features, .timeout = 300, .fini = cleanup)
{
	struct wl w;
	struct status final;

	wl_start(&w, WL_STATIC, "compute,shm,timers-low,file,signals");
	roundtrip(&w, NULL, NULL, &final);
	expect_records(&w, (uint64_t)status_num(&final, "records"));
}

/* ---- refusals: nothing is started ---- */

enum damage { FLIP_MIDDLE_BYTE, TRUNCATE_TO_HALF };

/*
 * Damage one file of the image: the restore must fail with -EBADMSG
 * naming the file, and leave no process behind. Then undo the damage:
 * the same image restores (so the refusal was the damage's doing).
 */
static void damaged_image_refused(const char *file, enum damage how)
{
	struct wl w;
	struct status at_dump, st, final;
	char path[160], msg[1024];
	unsigned char *saved = NULL;
	struct stat sb;
	pid_t pid;
	int fd, err, status;

	wl_start(&w, WL_DYNAMIC, "compute");
	wl_dump_kill(&w, &at_dump);
	snprintf(path, sizeof(path), "%s/%s", w.image, file);
	fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &sb), 0);
	cr_assert_gt(sb.st_size, 1, "%s is empty", path);
	if (how == FLIP_MIDDLE_BYTE) {
		unsigned char c;
		off_t at = sb.st_size / 2;

		cr_assert_eq(pread(fd, &c, 1, at), 1);
		c ^= 0xff;
		cr_assert_eq(pwrite(fd, &c, 1, at), 1);
	} else {
		saved = malloc((size_t)sb.st_size);
		cr_assert_not_null(saved);
		cr_assert_eq(pread(fd, saved, (size_t)sb.st_size, 0),
			     sb.st_size);
		cr_assert_eq(ftruncate(fd, sb.st_size / 2), 0);
	}

	err = wl_try_restore(&w, NULL, NULL, msg, sizeof(msg), &pid);
	cr_expect_eq(err, -EBADMSG, "restore of a damaged %s gave %d (%s): %s",
		     file, err, strerror(-err), msg);
	cr_expect_neq(msg[0], '\0', "no reason given");
	cr_expect_not_null(strstr(msg, file), "\"%s\" does not name %s", msg,
			   file);
	cr_expect_not(pid_exists(w.pid), "PID %d exists after the refusal",
		      (int)w.pid);
	cr_expect(waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD,
		  "a child is left after the refusal");
	if (err == 0 && pid == w.pid)
		w.running = true; /* for the clean-up */
	cr_assert_neq(err, 0);

	if (how == FLIP_MIDDLE_BYTE) {
		unsigned char c;
		off_t at = sb.st_size / 2;

		cr_assert_eq(pread(fd, &c, 1, at), 1);
		c ^= 0xff;
		cr_assert_eq(pwrite(fd, &c, 1, at), 1);
	} else {
		cr_assert_eq(pwrite(fd, saved, (size_t)sb.st_size, 0),
			     sb.st_size);
		free(saved);
	}
	close(fd);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "restore of the repaired image");
	wl_stop(&w, &final);
}

Test(restore, refuses_a_flipped_byte_in_process_img, .timeout = 120,
     .fini = cleanup)
{
	damaged_image_refused("process.img", FLIP_MIDDLE_BYTE);
}

Test(restore, refuses_a_flipped_byte_in_pages_img, .timeout = 120,
     .fini = cleanup)
{
	damaged_image_refused("pages.img", FLIP_MIDDLE_BYTE);
}

Test(restore, refuses_a_truncated_timers_img, .timeout = 120, .fini = cleanup)
{
	damaged_image_refused("timers.img", TRUNCATE_TO_HALF);
}

/* The PID is taken by the dumped process itself, still running. */
Test(restore, refuses_a_pid_in_use, .timeout = 120, .fini = cleanup)
{
	struct wl w;
	struct status st, after, final;
	char msg[1024], pidstr[16];
	pid_t pid;
	int err, status = 0;

	wl_start(&w, WL_DYNAMIC, "compute");
	wl_dump(&w);
	err = wl_try_restore(&w, NULL, NULL, msg, sizeof(msg), &pid);
	cr_expect_eq(err, -EEXIST, "restore over a live PID gave %d (%s): %s",
		     err, strerror(-err), msg);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)w.pid);
	cr_expect_not_null(strstr(msg, pidstr), "\"%s\" does not name PID %s",
			   msg, pidstr);
	cr_assert_neq(err, 0);
	/* The process holding it is untouched and goes on. */
	cr_assert_eq(waitpid(w.pid, &status, WNOHANG), 0,
		     "the running process ended: %s", describe_status(status));
	cr_assert(status_read(&w, &st));
	wl_wait_progress(&w, &st, &after, "the original after the refusal");
	wl_stop(&w, &final);
}

/* A zombie holds its PID too, until it is reaped. */
Test(restore, refuses_the_pid_of_an_unreaped_zombie, .timeout = 120,
     .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;
	char msg[1024];
	siginfo_t si;
	pid_t pid;
	int err, status;

	wl_start(&w, WL_DYNAMIC, "compute");
	wl_dump(&w);
	cr_assert_eq(kill(w.pid, SIGKILL), 0);
	memset(&si, 0, sizeof(si));
	cr_assert_eq(waitid(P_PID, (id_t)w.pid, &si, WEXITED | WNOWAIT), 0);
	cr_assert(status_read(&w, &at_dump));
	err = wl_try_restore(&w, NULL, NULL, msg, sizeof(msg), &pid);
	cr_expect_eq(err, -EEXIST, "restore over a zombie gave %d (%s): %s",
		     err, strerror(-err), msg);
	cr_assert_neq(err, 0);
	cr_assert_eq(waitpid(w.pid, &status, 0), w.pid);
	w.running = false;
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "after the zombie was reaped");
	wl_stop(&w, &final);
}

/* ---- what the restore reports ---- */

Test(restore, report_is_sane, .timeout = 120, .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;
	struct kt_restore_process_report rep;
	char path[160];
	struct stat pages;
	uint64_t parts;

	wl_start(&w, WL_DYNAMIC, "timers-low");
	wl_dump_kill(&w, &at_dump);
	snprintf(path, sizeof(path), "%s/pages.img", w.image);
	cr_assert_eq(stat(path, &pages), 0);
	memset(&rep, 0xa5, sizeof(rep));
	wl_restore(&w, NULL, &rep);

	cr_expect_eq(rep.pid, w.pid);
	cr_expect_eq(rep.path, (uint32_t)auto_path(), "path %u", rep.path);
	cr_expect_eq(rep.n_timers, w.dump_report.n_timers,
		     "%llu timers restored, %llu dumped",
		     (unsigned long long)rep.n_timers,
		     (unsigned long long)w.dump_report.n_timers);
	cr_expect_eq(rep.n_timers, 5, "4 POSIX timers and a timerfd");
	cr_expect_eq(rep.pages_bytes, (uint64_t)pages.st_size,
		     "%llu bytes of pages filled, pages.img has %lld",
		     (unsigned long long)rep.pages_bytes,
		     (long long)pages.st_size);
	cr_expect_eq(rep.pages_bytes, w.dump_report.pages_bytes);
	cr_expect_gt(rep.n_vmas, 0);
	cr_expect_leq(rep.n_vmas, w.dump_report.n_vmas,
		      "%llu mappings made, %llu dumped",
		      (unsigned long long)rep.n_vmas,
		      (unsigned long long)w.dump_report.n_vmas);
	cr_expect_gt(rep.elapsed_ns, 0);
	cr_expect_leq(rep.load_ns, rep.elapsed_ns);
	cr_expect_leq(rep.create_ns, rep.elapsed_ns);
	cr_expect_leq(rep.memory_ns, rep.elapsed_ns);
	cr_expect_leq(rep.signals_ns, rep.elapsed_ns);
	cr_expect_leq(rep.timers_ns, rep.elapsed_ns);
	cr_expect_leq(rep.finish_ns, rep.elapsed_ns);
	parts = rep.load_ns + rep.create_ns + rep.memory_ns + rep.signals_ns +
		rep.timers_ns + rep.finish_ns;
	cr_expect_leq(parts, rep.elapsed_ns,
		      "the parts add up to %llu ns, the whole is %llu",
		      (unsigned long long)parts,
		      (unsigned long long)rep.elapsed_ns);
	cr_log_info("kt_restore_process: %llu mappings, %llu bytes of pages, "
		    "%llu timers; load %.3f ms, create %.3f, memory %.3f, "
		    "signals %.3f, timers %.3f, finish %.3f, total %.3f",
		    (unsigned long long)rep.n_vmas,
		    (unsigned long long)rep.pages_bytes,
		    (unsigned long long)rep.n_timers, (double)rep.load_ns / 1e6,
		    (double)rep.create_ns / 1e6, (double)rep.memory_ns / 1e6,
		    (double)rep.signals_ns / 1e6, (double)rep.timers_ns / 1e6,
		    (double)rep.finish_ns / 1e6, (double)rep.elapsed_ns / 1e6);

	wl_wait_progress(&w, &at_dump, &st, "after the restore");
	wl_stop(&w, &final);
}

/* ---- attributes, seen from outside ---- */

/* What /proc shows of a process that a restore must give back. */
struct outside {
	char comm[32];
	char cwd[4096];
	char exe[4096];
	char status[1024]; /* Umask, SigQ apart: SigPnd ShdPnd SigBlk SigIgn
			      SigCgt */
	char fds[8192];	   /* "N -> target flags: F [pos: P]" lines */
	struct rlimit nofile, core;
};

static void read_link(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	n = readlink(path, buf, len - 1);
	cr_assert_geq(n, 0, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
}

static void fdinfo_field(pid_t pid, int fd, const char *key, char *out,
			 size_t len)
{
	char path[128], text[4096], pat[32];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	cr_assert_geq(ktt_read_file(path, text, sizeof(text)), 0, "%s", path);
	snprintf(pat, sizeof(pat), "%s:", key);
	p = strstr(text, pat);
	cr_assert_not_null(p, "%s: no %s", path, key);
	p += strlen(pat);
	p += strspn(p, " \t");
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
}

static void look_from_outside(const struct wl *w, struct outside *o)
{
	static const char *const keys[] = {"Umask:",  "SigPnd:", "ShdPnd:",
					   "SigBlk:", "SigIgn:", "SigCgt:"};
	char path[128], text[8192];
	size_t used = 0;

	memset(o, 0, sizeof(*o));
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)w->pid);
	cr_assert_gt(ktt_read_file(path, o->comm, sizeof(o->comm)), 0);
	read_link(w->pid, "cwd", o->cwd, sizeof(o->cwd));
	read_link(w->pid, "exe", o->exe, sizeof(o->exe));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)w->pid);
	cr_assert_gt(ktt_read_file(path, text, sizeof(text)), 0);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *p = strstr(text, keys[k]);

		cr_assert_not_null(p, "no %s in %s", keys[k], path);
		used += (size_t)snprintf(o->status + used,
					 sizeof(o->status) - used, "%.*s\n",
					 (int)strcspn(p, "\n"), p);
	}
	cr_assert_eq(prlimit(w->pid, RLIMIT_NOFILE, NULL, &o->nofile), 0);
	cr_assert_eq(prlimit(w->pid, RLIMIT_CORE, NULL, &o->core), 0);

	used = 0;
	for (int fd = 0; fd < 64; fd++) {
		char link[32], target[4096], flags[32], pos[32];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)w->pid, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		fdinfo_field(w->pid, fd, "flags", flags, sizeof(flags));
		fdinfo_field(w->pid, fd, "pos", pos, sizeof(pos));
		/* The log grows: its position is not compared. */
		used += (size_t)snprintf(
			o->fds + used, sizeof(o->fds) - used,
			"%d -> %s flags: %s pos: %s\n", fd, target, flags,
			strcmp(target, w->log) == 0 ? "-" : pos);
		cr_assert_lt(used, sizeof(o->fds));
	}
}

static bool mask_has(const char *status, const char *key, int sig)
{
	const char *p = strstr(status, key);

	cr_assert_not_null(p, "no %s", key);
	return strtoull(p + strlen(key), NULL, 16) >> (sig - 1) & 1;
}

/* comm, cwd, exe, umask, rlimits, signal state, descriptors. */
Test(restore, attributes_signals_and_descriptors, .timeout = 120,
     .fini = cleanup)
{
	struct wl w;
	struct status at_dump, st, final;
	struct outside before, after;
	struct rlimit hard;

	wl_start(&w, WL_DYNAMIC, "signals");
	look_from_outside(&w, &before);

	/* As the workload set them up. */
	cr_expect_str_eq(before.comm, COMM "\n");
	cr_expect_str_eq(before.cwd, w.work);
	cr_expect_not_null(strstr(before.status, "Umask:\t0027"), "%s",
			   before.status);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &hard), 0);
	cr_expect_eq(before.nofile.rlim_cur,
		     hard.rlim_max >= NOFILE_CUR ? NOFILE_CUR : hard.rlim_max);
	cr_expect_eq(before.core.rlim_cur, 0);
	cr_expect(mask_has(before.status, "SigBlk:", SIGUSR2));
	cr_expect(mask_has(before.status, "SigBlk:", SIGRTMIN + 5));
	cr_expect(mask_has(before.status, "SigPnd:", SIGUSR2));
	cr_expect(mask_has(before.status, "ShdPnd:", SIGRTMIN + 5));
	cr_expect(mask_has(before.status, "SigIgn:", SIGPIPE));
	cr_expect(mask_has(before.status, "SigIgn:", SIGHUP));
	cr_expect(mask_has(before.status, "SigCgt:", SIGUSR1));

	wl_dump_kill(&w, &at_dump);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "after the restore");
	look_from_outside(&w, &after);
	cr_expect_str_eq(after.comm, before.comm);
	cr_expect_str_eq(after.cwd, before.cwd);
	cr_expect_str_eq(after.exe, before.exe);
	cr_expect_str_eq(after.status, before.status);
	cr_expect_str_eq(after.fds, before.fds);
	cr_expect_eq(after.nofile.rlim_cur, before.nofile.rlim_cur);
	cr_expect_eq(after.nofile.rlim_max, before.nofile.rlim_max);
	cr_expect_eq(after.core.rlim_cur, before.core.rlim_cur);
	cr_expect_eq(after.core.rlim_max, before.core.rlim_max);
	/* And as the workload sees them. */
	cr_expect(status_is(&st, "comm", COMM), "%s", status_brief(&st));
	cr_expect(status_is(&st, "cwd", w.work), "%s", status_brief(&st));
	cr_expect_eq(status_num(&st, "nofile_cur"),
		     status_num(&at_dump, "nofile_cur"));
	cr_expect_eq(status_num(&st, "core_cur"), 0);

	wl_stop(&w, &final);
	cr_expect(status_is(&final, "umask", "027"), "%s",
		  status_brief(&final));
}

/* ---- a copy of the restoring program ---- */

/*
 * The child of copy_of_the_restoring_program: a fork of this test, so its
 * executable is the very file that restores it. It counts in a file until
 * "stop" appears, and exits 0 if the count only ever went up.
 */
__attribute__((noreturn)) static void counter_child(const char *dir)
{
	char path[512], stop[512];
	uint64_t n = 0, seen;
	int fd;

	/* Criterion's pipes and its deleted shared arena are not dumpable:
	 * a fork of the test leaves them. */
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[600];

	while (maps && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;

		if (strstr(line, " (deleted)") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			(void)munmap((void *)lo, hi - lo);
	}
	(void)close_range(0, ~0U, 0);
	(void)snprintf(path, sizeof(path), "%s/count", dir);
	(void)snprintf(stop, sizeof(stop), "%s/stop", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(10);
	while (access(stop, F_OK) != 0) {
		if (pread(fd, &seen, sizeof(seen), 0) == sizeof(seen) &&
		    seen != n)
			_exit(11); /* the file and the memory disagree */
		n++;
		if (pwrite(fd, &n, sizeof(n), 0) != sizeof(n))
			_exit(12);
		usleep(2000);
	}
	_exit(0);
}

static uint64_t count_of(const char *dir)
{
	char path[512];
	uint64_t n = 0;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/count", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &n, sizeof(n), 0) != sizeof(n))
			n = 0;
		(void)close(fd);
	}
	return n;
}

static uint64_t count_above(const char *dir, uint64_t floor)
{
	struct timespec t0;
	uint64_t n;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = count_of(dir)) <= floor && ms_since(&t0) < PROGRESS_MS)
		sleep_ms(5);
	return n;
}

/*
 * The kernel refuses to change a process's exe while the old one is
 * mapped (PR_SET_MM_MAP: -EBUSY). The new process starts as a copy of the
 * restoring program, and here the image maps that same file: the restorer
 * must set the exe before it maps the image.
 */
Test(restore, copy_of_the_restoring_program, .timeout = 120)
{
	char dir[] = "/tmp/kt-restore-self-XXXXXX", img[600], stop[600],
	     msg[512] = "";
	KT_OPTS(kt_dump_opts, dopts, .flags = KT_DUMP_KILL, .err_buf = msg,
		.err_len = sizeof(msg));
	KT_OPTS(kt_restore_process_opts, ropts, .err_buf = msg,
		.err_len = sizeof(msg));
	pid_t pid, got = -1;
	uint64_t before;
	int status, r;

	require_checkpoint();
	cr_assert_not_null(mkdtemp(dir));
	(void)snprintf(img, sizeof(img), "%s/img", dir);
	(void)snprintf(stop, sizeof(stop), "%s/stop", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		counter_child(dir);
	before = count_above(dir, 0);
	cr_assert_gt(before, 0, "the child does not count");
	r = kt_dump_process(pid, img, &dopts);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	cr_assert_eq(r, 0, "dump: %s", msg);
	(void)waitpid(pid, NULL, 0); /* ECHILD: the dump reaped it */
	before = count_of(dir);
	r = kt_restore_process(img, &ropts, &got);
	cr_assert_eq(r, 0, "restore: %s", msg);
	cr_assert_eq(got, pid);
	cr_expect_gt(count_above(dir, before + 10), before + 10,
		     "the restored copy does not count on");
	cr_assert_eq(close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)),
		     0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the restored copy ended with status %#x", status);
	(void)nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- credentials and persona ---- */

#define NOBODY	     65534
#define CAP_BIT(n)   (1ULL << (n))
#define NET_BIND     10 /* CAP_NET_BIND_SERVICE */
#define SLACK_NS     123456
#define PER_UNAME26  0x0020000
#define CAP_VERSION3 0x20080522

static bool child_no_new_privs;

/*
 * In the child, before the exec: uid and gid 65534 with two more groups,
 * CAP_NET_BIND_SERVICE permitted, effective, inheritable and ambient (the
 * ambient set survives the exec), CAP_SYS_MODULE and CAP_SYS_RAWIO out of
 * the bounding set, a timer slack, THP disabled, a child subreaper, the
 * parent-death signal again (a uid change clears it), UNAME26, and
 * no_new_privs if child_no_new_privs. An exit code says what failed.
 */
static void become_nobody(void)
{
	gid_t groups[] = {NOBODY, 100, 1234};
	struct {
		uint32_t version;
		int pid;
	} hdr = {CAP_VERSION3, 0};
	struct {
		uint32_t eff, prm, inh;
	} data[2] = {{1u << NET_BIND, 1u << NET_BIND, 1u << NET_BIND},
		     {0, 0, 0}};

	if (prctl(PR_CAPBSET_DROP, 16, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, 17, 0, 0, 0))
		_exit(120);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(3, groups) ||
	    setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(121);
	if (syscall(SYS_capset, &hdr, data) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NET_BIND, 0, 0) ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		_exit(122);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) ||
	    prctl(PR_SET_TIMERSLACK, SLACK_NS, 0, 0, 0) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) ||
	    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) ||
	    personality(PER_UNAME26) < 0)
		_exit(123);
	if (child_no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(124);
}

/* What /proc shows of the credentials and persona of pid. */
struct creds_outside {
	char status[1024]; /* the lines of keys[] below */
	char slack[32];	   /* timerslack_ns */
	char persona[32];  /* personality */
	uid_t owner;	   /* of /proc/PID/status: root when not dumpable (the
			      directory /proc/PID always shows the euid) */
};

static void creds_from_outside(pid_t pid, struct creds_outside *o)
{
	static const char *const keys[] = {
		"\nUid:",	 "\nGid:",     "\nGroups:",	"\nCapInh:",
		"\nCapPrm:",	 "\nCapEff:",  "\nCapBnd:",	"\nCapAmb:",
		"\nNoNewPrivs:", "\nSeccomp:", "\nTHP_enabled:"};
	char path[128], text[8192];
	struct stat st;
	size_t used = 0;

	memset(o, 0, sizeof(*o));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_gt(ktt_read_file(path, text, sizeof(text)), 0);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *p = strstr(text, keys[k]);

		if (!p && k == sizeof(keys) / sizeof(keys[0]) - 1)
			continue; /* THP_enabled: Linux >= 5.0 */
		cr_assert_not_null(p, "no %s in %s", keys[k] + 1, path);
		p++;
		used += (size_t)snprintf(o->status + used,
					 sizeof(o->status) - used, "%.*s\n",
					 (int)strcspn(p, "\n"), p);
	}
	snprintf(path, sizeof(path), "/proc/%d/timerslack_ns", (int)pid);
	cr_assert_gt(ktt_read_file(path, o->slack, sizeof(o->slack)), 0, "%s",
		     path);
	snprintf(path, sizeof(path), "/proc/%d/personality", (int)pid);
	cr_assert_gt(ktt_read_file(path, o->persona, sizeof(o->persona)), 0,
		     "%s", path);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_eq(stat(path, &st), 0);
	o->owner = st.st_uid;
}

static bool line_is(const char *status, const char *line)
{
	return strstr(status, line) != NULL;
}

/*
 * A workload of uid and gid 65534, with capabilities, a persona, and
 * (locked) no_new_privs and not dumpable: dumped, restored by root, it
 * comes back with the same credentials and persona (seen from /proc, and
 * by itself at every iteration: "creds"), not with ours.
 */
static void creds_roundtrip(bool locked)
{
	struct wl w;
	struct status at_dump, st, final;
	struct creds_outside before, after;

	if (geteuid() != 0 || !ktt_have_cap(CAP_SYS_ADMIN))
		cr_skip_test("changing credentials needs root");
	child_no_new_privs = locked;
	wl_start_as(&w, WL_DYNAMIC,
		    locked ? "compute,creds,nodump" : "compute,creds",
		    become_nobody);
	creds_from_outside(w.pid, &before);
	cr_expect(line_is(before.status, "Uid:\t65534\t65534\t65534\t65534\n"),
		  "%s", before.status);
	cr_expect(line_is(before.status, "Groups:\t100 1234 65534 \n"), "%s",
		  before.status);
	cr_expect(line_is(before.status, "CapAmb:\t0000000000000400\n"), "%s",
		  before.status);
	cr_expect(line_is(before.status,
			  locked ? "NoNewPrivs:\t1\n" : "NoNewPrivs:\t0\n"),
		  "%s", before.status);
	cr_expect_eq(atol(before.slack), SLACK_NS, "timer slack %s",
		     before.slack);
	cr_expect_eq(strtol(before.persona, NULL, 16), PER_UNAME26,
		     "personality %s", before.persona);
	cr_expect_eq(before.owner, locked ? 0u : (uid_t)NOBODY,
		     "/proc/%d/status belongs to %u", (int)w.pid,
		     (unsigned)before.owner);

	wl_dump_kill(&w, &at_dump);
	wl_restore(&w, NULL, NULL);
	wl_wait_progress(&w, &at_dump, &st, "after the restore");
	creds_from_outside(w.pid, &after);
	cr_expect_str_eq(after.status, before.status);
	cr_expect_str_eq(after.slack, before.slack);
	cr_expect_str_eq(after.persona, before.persona);
	cr_expect_eq(after.owner, before.owner,
		     "/proc/%d belongs to %u, not %u", (int)w.pid,
		     (unsigned)after.owner, (unsigned)before.owner);
	wl_stop(&w, &final);
}

Test(restore, credentials_capabilities_and_persona, .timeout = 120,
     .fini = cleanup)
{
	creds_roundtrip(false);
}

Test(restore, not_dumpable_and_no_new_privs, .timeout = 120, .fini = cleanup)
{
	creds_roundtrip(true);
}

/* A process under a seccomp filter is refused at the dump, running on. */
Test(restore, dump_refuses_a_seccomp_filter, .timeout = 60)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {1, &allow};
	char dir[] = "/tmp/kt-restore-seccomp-XXXXXX", img[600], path[64],
	     text[8192], msg[512] = "";
	KT_OPTS(kt_dump_opts, dopts, .flags = KT_DUMP_KILL, .err_buf = msg,
		.err_len = sizeof(msg));
	struct timespec t0;
	int status, r;
	pid_t pid;

	require_checkpoint();
	cr_assert_not_null(mkdtemp(dir));
	(void)snprintf(img, sizeof(img), "%s/img", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
			_exit(1);
		for (;;)
			pause();
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(ktt_read_file(path, text, sizeof(text)) > 0 &&
		 strstr(text, "\nSeccomp:\t2\n")) &&
	       ms_since(&t0) < PROGRESS_MS)
		sleep_ms(5);
	cr_assert_not_null(strstr(text, "\nSeccomp:\t2\n"), "%s", text);
	r = kt_dump_process(pid, img, &dopts);
	cr_expect_eq(r, -EOPNOTSUPP, "dump gave %d (%s): %s", r, strerror(-r),
		     msg);
	cr_expect_not_null(strstr(msg, "seccomp"), "\"%s\"", msg);
	cr_expect_eq(waitpid(pid, &status, WNOHANG), 0,
		     "the refused process ended");
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	(void)nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}
