/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dumping a whole process (kt_dump_process) and loading the image back
 * (kt_process_image_load): every recorded item equals what the process
 * reports about itself and what /proc says; the memory holds what it
 * wrote; the process goes on unchanged; what is not supported is refused
 * by name; a damaged image is refused naming the offset.
 *
 * The dumped processes are children of the test ("holders"): they set
 * their state up, report it through shared memory, and idle until told
 * to end, with no descriptor but /dev/null, a file and a timerfd.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keeptime/keeptime.h>

#include "../src/lib/crc32c.h"
#include "../src/lib/dump.h"
#include "../src/lib/process_image.h"
#include "../src/lib/process_image_fmt.h"
#include "../src/lib/procfs_smaps.h"
#include "../src/lib/snapshot.h"
#include "kt_test.h"

#define PAGE	   4096u
#define HEAP_LEN   (16 * PAGE)
#define ANON_LEN   (256 * PAGE)
#define SHARED_LEN (16 * PAGE)
#define FILE_POS   1234
#define FILE_FD	   17
#define NULL_FD	   20
#define TFD_FD	   30
#define SIGVAL	   4242
#define SIGBIT(s)  (1ULL << ((s)-1))

enum holder_kind {
	HOLDER_PLAIN,  /* the state the dump test checks */
	HOLDER_PIPE,   /* ... and a pipe at fd 5 */
	HOLDER_SOCKET, /* ... and a socket at fd 6 */
	HOLDER_THREAD, /* ... and a second thread */
	HOLDER_BIG,    /* ... and big_len bytes of anonymous memory */
};

/* What a holder reports about itself. */
struct shared {
	int ready; /* 1: set up; -N: set-up step N failed */
	int quit;
	pid_t parent;	       /* the test */
	unsigned long ticks;   /* loops of its idle loop */
	unsigned long signals; /* timer signals received */
	pid_t pid;
	char comm[16];
	char cwd[256];
	char file_path[256];
	unsigned umask;
	struct rlimit nofile;
	uint64_t brk;
	uint64_t heap, anon, shared, big; /* where the patterns are */
	size_t big_len;
	uint64_t sigmask;
	uint64_t usr1_handler, usr1_flags, usr1_mask;
	stack_t altstack;
	uint64_t rseq_ptr;
	unsigned rseq_len;
	uint64_t fs_base;
};

struct holder {
	pid_t pid;
	struct shared *sh;
};

/* The byte a holder writes at offset i of a region tagged t. */
static unsigned char pattern(unsigned tag, size_t i)
{
	return (unsigned char)(i * 31 + tag * 7 + (i >> 12));
}

static volatile sig_atomic_t timer_signals;

static void on_timer(int sig)
{
	(void)sig;
	timer_signals++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

#define STEP(n, cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			sh->ready = -(n);                                      \
			_exit(n);                                              \
		}                                                              \
	} while (0)

static void fill(void *p, size_t len, unsigned tag, size_t stride)
{
	for (size_t i = 0; i < len; i += stride)
		for (size_t k = i; k < i + PAGE && k < len; k++)
			((unsigned char *)p)[k] = pattern(tag, k);
}

/*
 * The test runner's shared arena (a deleted file in /dev/shm, which a dump
 * refuses) is of no use to a holder: it goes.
 */
static int drop_runner_arena(void)
{
	static char maps[1 << 20];
	char *line = maps;

	if (ktt_read_file("/proc/self/maps", maps, sizeof(maps)) < 0)
		return -1;
	while (*line) {
		char *eol = strchr(line, '\n');
		unsigned long long s, e;

		*eol = '\0';
		if (strstr(line, "/bxf_arena_") &&
		    (sscanf(line, "%llx-%llx", &s, &e) != 2 ||
		     munmap((void *)(uintptr_t)s, (size_t)(e - s)) < 0))
			return -1;
		line = eol + 1;
	}
	return 0;
}

/* The holder's set-up: every item the dump records, then idle. */
static void holder_main(struct shared *sh, enum holder_kind kind)
{
	struct sigaction sa = {.sa_sigaction = on_usr1,
			       .sa_flags = SA_RESTART | SA_SIGINFO};
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGRTMIN + 2};
	struct itimerspec fast = {{0, 2000000}, {0, 2000000}};
	struct itimerspec slow = {{100, 0}, {100, 0}};
	struct sigaction tsa = {.sa_handler = on_timer, .sa_flags = SA_RESTART};
	static char altstack[64 * 1024];
	sigset_t block;
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	char tmpl[] = "/tmp/kt-dump-file-XXXXXX";
	unsigned char *heap;
	int fd, id;

	/* It dies with the test, whatever becomes of the test. */
	STEP(38,
	     prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == sh->parent);
	STEP(37, drop_runner_arena() == 0);
	/* Descriptors: /dev/null on 0, 1, 2 and NULL_FD, nothing else. */
	STEP(1, close_range(0, ~0U, 0) == 0);
	STEP(2, open("/dev/null", O_RDONLY) == 0);
	STEP(3, open("/dev/null", O_WRONLY) == 1 && dup(1) == 2);
	STEP(4, dup3(1, NULL_FD, O_CLOEXEC) == NULL_FD);
	fd = mkstemp(tmpl);
	STEP(5, fd >= 0 && write(fd, tmpl, sizeof(tmpl)) > 0);
	STEP(6, dup2(fd, FILE_FD) == FILE_FD && close(fd) == 0);
	STEP(7, lseek(FILE_FD, FILE_POS, SEEK_SET) == FILE_POS);
	snprintf(sh->file_path, sizeof(sh->file_path), "%s", tmpl);

	/* Names and limits. */
	STEP(8, prctl(PR_SET_NAME, "kt-holder") == 0);
	STEP(9, chdir("/tmp") == 0);
	umask(027);
	sh->umask = 027;
	STEP(10, getrlimit(RLIMIT_NOFILE, &sh->nofile) == 0);
	sh->nofile.rlim_cur = 777;
	STEP(11, setrlimit(RLIMIT_NOFILE, &sh->nofile) == 0);
	snprintf(sh->comm, sizeof(sh->comm), "kt-holder");
	STEP(12, getcwd(sh->cwd, sizeof(sh->cwd)) != NULL);

	/* Memory: patterns in [heap], in anonymous memory (every other
	 * page written, the rest never touched) and in shared memory. */
	heap = sbrk(HEAP_LEN);
	STEP(13, heap != (void *)-1);
	fill(heap, HEAP_LEN, 1, PAGE);
	sh->heap = (uintptr_t)heap;
	sh->brk = (uintptr_t)sbrk(0);
	sh->anon = (uintptr_t)mmap(NULL, ANON_LEN, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(14, sh->anon != (uintptr_t)MAP_FAILED);
	fill((void *)sh->anon, ANON_LEN, 2, 2 * PAGE);
	sh->shared = (uintptr_t)mmap(NULL, SHARED_LEN, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	STEP(15, sh->shared != (uintptr_t)MAP_FAILED);
	fill((void *)sh->shared, SHARED_LEN / 2, 3, PAGE);
	if (kind == HOLDER_BIG) {
		sh->big = (uintptr_t)mmap(NULL, sh->big_len,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		STEP(16, sh->big != (uintptr_t)MAP_FAILED);
		fill((void *)sh->big, sh->big_len, 4, PAGE);
	}

	/* Signals: a handler, ignored ones (SIGTRAP too: an injection
	 * forces it), a blocked mask, two pending signals (one on the
	 * thread, one with a value on the process), an alternate stack. */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGTERM);
	STEP(17, sigaction(SIGUSR1, &sa, NULL) == 0);
	STEP(18, signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	STEP(19, signal(SIGTRAP, SIG_IGN) != SIG_ERR);
	STEP(20, sigaction(SIGRTMIN + 2, &tsa, NULL) == 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGRTMIN + 5);
	STEP(21, sigprocmask(SIG_BLOCK, &block, NULL) == 0);
	STEP(22, raise(SIGUSR2) == 0);
	STEP(23, sigqueue(getpid(), SIGRTMIN + 5,
			  (union sigval){.sival_int = SIGVAL}) == 0);
	STEP(24, sigaltstack(&ss, NULL) == 0);
	STEP(25, sigaltstack(NULL, &sh->altstack) == 0);
	{
		sigset_t cur;
		struct sigaction old;

		STEP(26, sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
		memcpy(&sh->sigmask, &cur, 8);
		STEP(27, sigaction(SIGUSR1, NULL, &old) == 0);
		sh->usr1_handler = (uintptr_t)old.sa_sigaction;
		sh->usr1_flags = (uint64_t)(unsigned)old.sa_flags;
		memcpy(&sh->usr1_mask, &old.sa_mask, 8);
	}

	/* Timers: a 2 ms one it counts, a slow one, a timerfd. */
	STEP(28, syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) == 0);
	STEP(29, syscall(SYS_timer_settime, id, 0, &fast, NULL) == 0);
	sev.sigev_notify = SIGEV_NONE;
	STEP(30, syscall(SYS_timer_create, CLOCK_BOOTTIME, &sev, &id) == 0);
	STEP(31, syscall(SYS_timer_settime, id, 0, &slow, NULL) == 0);
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	STEP(32, fd >= 0 && dup2(fd, TFD_FD) == TFD_FD && close(fd) == 0);
	STEP(33, timerfd_settime(TFD_FD, 0, &slow, NULL) == 0);

	/* rseq as glibc registered it; the thread pointer. */
	sh->rseq_ptr = (uintptr_t)__builtin_thread_pointer() + __rseq_offset;
	sh->rseq_len = __rseq_size;
	sh->fs_base = (uintptr_t)__builtin_thread_pointer();
	sh->pid = getpid();

	if (kind == HOLDER_PIPE) {
		int p[2];

		STEP(34, pipe(p) == 0 && dup2(p[0], 5) == 5 &&
				 close(p[0]) == 0 && close(p[1]) == 0);
	} else if (kind == HOLDER_SOCKET) {
		int s[2];

		STEP(35, socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0 &&
				 dup2(s[0], 6) == 6 && close(s[0]) == 0 &&
				 close(s[1]) == 0);
	} else if (kind == HOLDER_THREAD) {
		pthread_t th;

		STEP(36, pthread_create(&th, NULL, idle_thread, NULL) == 0);
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->quit, __ATOMIC_SEQ_CST)) {
		struct timespec ms = {0, 1000000};

		sh->ticks++;
		sh->signals = timer_signals;
		nanosleep(&ms, NULL);
	}
	unlink(tmpl);
	_exit(0);
}

static struct holder start_holder(enum holder_kind kind, size_t big_len)
{
	struct holder h = {.sh = ktt_shared_alloc(sizeof(struct shared))};

	h.sh->big_len = big_len;
	h.sh->parent = getpid();
	h.pid = fork();
	cr_assert_geq(h.pid, 0);
	if (h.pid == 0)
		holder_main(h.sh, kind);
	for (int i = 0;
	     i < 5000 && !__atomic_load_n(&h.sh->ready, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	cr_assert_eq(h.sh->ready, 1, "the holder's set-up failed at step %d",
		     -h.sh->ready);
	return h;
}

static void stop_holder(struct holder *h)
{
	int status;

	__atomic_store_n(&h->sh->quit, 1, __ATOMIC_SEQ_CST);
	cr_assert_eq(waitpid(h->pid, &status, 0), h->pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "holder ended with status 0x%x", status);
	ktt_shared_free(h->sh, sizeof(*h->sh));
}

/* A fresh directory name in /tmp (not created). */
static void tmp_dir(char *buf, size_t len)
{
	char base[] = "/tmp/kt-dump-XXXXXX";

	cr_assert_not_null(mkdtemp(base));
	snprintf(buf, len, "%s/image", base);
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'",
		 (int)(strrchr(dir, '/') - dir), dir);
	cr_expect_eq(system(cmd), 0);
}

static void dump(pid_t pid, const char *dir, unsigned flags,
		 struct kt_dump_report *report)
{
	char msg[512] = "";
	KT_OPTS(kt_dump_opts, opts, .flags = flags, .err_buf = msg,
		.err_len = sizeof(msg), .report = report);

	cr_assert_eq(kt_dump_process(pid, dir, &opts), 0, "dump of %d: %s",
		     (int)pid, msg);
}

static struct kt_process_image *load(const char *dir)
{
	struct kt_process_image *img = NULL;
	char msg[512] = "";

	cr_assert_eq(kt_process_image_load(dir, &img, msg, sizeof(msg)), 0,
		     "load of %s: %s", dir, msg);
	return img;
}

static bool blob_is(const struct kt_img_blob *b, const char *s)
{
	return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

/* The stat fields of /proc/PID/stat, 1-based as in proc(5). */
static void proc_stat(pid_t pid, unsigned long long f[53])
{
	char path[64], text[4096], *p;
	int n = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	cr_assert_gt(ktt_read_file(path, text, sizeof(text)), 0);
	p = strrchr(text, ')') + 4; /* past ") S " */
	while (n < 52 && *p) {
		f[++n] = strtoull(p, &p, 10);
		p++;
	}
	cr_assert_eq(n, 52);
}

/* The 64-bit mask of a /proc/PID/status line ("SigPnd:" ...). */
static uint64_t status_mask(pid_t pid, const char *key)
{
	char path[64], text[8192], *line;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_gt(ktt_read_file(path, text, sizeof(text)), 0);
	line = strstr(text, key);
	cr_assert_not_null(line, "%s", key);
	return strtoull(line + strlen(key), NULL, 16);
}

static const struct kt_pimg_vma *vma_at(const struct kt_process_image *img,
					uint64_t addr)
{
	for (size_t i = 0; i < img->n_vmas; i++)
		if (img->vmas[i].start <= addr && addr < img->vmas[i].end)
			return &img->vmas[i];
	return NULL;
}

/*
 * The bytes of [addr, addr + len) as the image holds them: from pages.img
 * where a run covers them, else 0 (anonymous memory never written).
 * Returns how many bytes came from pages.img.
 */
static size_t image_bytes(const struct kt_process_image *img, int pages_fd,
			  uint64_t addr, unsigned char *out, size_t len)
{
	size_t from_file = 0;

	memset(out, 0, len);
	for (size_t i = 0; i < img->n_runs; i++) {
		const struct kt_pimg_run *r = &img->runs[i];
		uint64_t lo = r->start > addr ? r->start : addr;
		uint64_t hi = r->start + r->len < addr + len ? r->start + r->len
							     : addr + len;

		if (lo >= hi)
			continue;
		cr_assert_eq(pread(pages_fd, out + (lo - addr), hi - lo,
				   (off_t)(r->off + (lo - r->start))),
			     (ssize_t)(hi - lo));
		from_file += hi - lo;
	}
	return from_file;
}

static void expect_pattern(const struct kt_process_image *img, int pages_fd,
			   uint64_t addr, size_t len, unsigned tag,
			   size_t stride, const char *what)
{
	unsigned char *buf = malloc(len);
	size_t stored;

	cr_assert_not_null(buf);
	stored = image_bytes(img, pages_fd, addr, buf, len);
	for (size_t i = 0; i < len; i++) {
		bool written = (i / PAGE) % (stride / PAGE) == 0;
		unsigned char want = written ? pattern(tag, i) : 0;

		if (buf[i] != want) {
			cr_assert_fail("%s: byte %zu is %u, the process wrote "
				       "%u",
				       what, i, buf[i], want);
		}
	}
	/* Only what was written is stored. */
	cr_expect_eq(stored, len / (stride / PAGE), "%s: %zu bytes stored",
		     what, stored);
	free(buf);
}

static void expect_mode(const char *dir, const char *name, unsigned mode)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	cr_expect_eq(st.st_mode & 07777, mode, "%s has mode 0%o", path,
		     st.st_mode & 07777);
}

static void read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	cr_assert_geq(ktt_read_file(path, buf, len), 0, "%s", path);
}

/* The signal state that must not change (the 2 ms timer's bit apart). */
static void signal_state(pid_t pid, char *out, size_t len)
{
	static const char *const keys[] = {
		"SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:"};
	uint64_t timer_bit = SIGBIT(SIGRTMIN + 2);
	size_t used = 0;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		used += (size_t)snprintf(
			out + used, len - used, "%s %llx\n", keys[k],
			(unsigned long long)(status_mask(pid, keys[k]) &
					     ~timer_bit));
}

/* Whether the kernel tells a tracer about rseq (it answers EIO before
 * PTRACE_GET_RSEQ_CONFIGURATION existed). Seizes pid for a moment. */
static bool kernel_reports_rseq(pid_t pid)
{
	struct {
		uint64_t abi, len;
		uint32_t flags, sig;
	} conf;
	long r;
	int status;

	cr_assert_eq(ptrace(PTRACE_SEIZE, pid, 0, 0), 0, "%s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	cr_assert_eq(waitpid(pid, &status, __WALL), pid);
	r = ptrace(0x420f /* PTRACE_GET_RSEQ_CONFIGURATION */, pid,
		   sizeof(conf), &conf);
	cr_assert_eq(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	return r >= 0;
}

Test(dump, records_what_the_process_reports, .timeout = 60)
{
	struct holder h = start_holder(HOLDER_PLAIN, 0);
	static char maps0[1 << 20], maps1[1 << 20];
	char dir[512], path[600], link[512], sig0[512], sig1[512];
	const struct kt_pimg_thread *t;
	const struct kt_pimg_sigaction *sa;
	struct kt_process_image *img;
	struct kt_dump_report report;
	unsigned long long st[53] = {0};
	unsigned long ticks, signals;
	bool saw_usr2 = false, saw_rt = false, saw_heap = false;
	int pages_fd;
	ssize_t n;

	tmp_dir(dir, sizeof(dir));
	read_proc(h.pid, "maps", maps0, sizeof(maps0));
	signal_state(h.pid, sig0, sizeof(sig0));
	proc_stat(h.pid, st);
	dump(h.pid, dir, 0, &report);
	ticks = h.sh->ticks;
	signals = h.sh->signals;

	expect_mode(dir, "", 0700);
	expect_mode(dir, KT_PIMG_PROCESS, 0600);
	expect_mode(dir, KT_PIMG_PAGES, 0600);
	expect_mode(dir, KT_PIMG_TIMERS, 0600);
	img = load(dir);

	/* The process. */
	cr_expect_eq(img->proc.pid, h.pid);
	cr_expect(blob_is(&img->proc.comm, h.sh->comm));
	cr_expect(blob_is(&img->proc.cwd, h.sh->cwd));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)h.pid);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = '\0';
	cr_expect(blob_is(&img->proc.exe, link), "exe %s", link);
	cr_expect_eq(img->proc.umask, h.sh->umask);
	cr_expect_eq(img->rlimits[RLIMIT_NOFILE].cur, 777);
	cr_expect_eq(img->rlimits[RLIMIT_NOFILE].max, h.sh->nofile.rlim_max);
	cr_expect_eq(img->proc.mm.brk, h.sh->brk);
	cr_expect_eq(img->proc.mm.start_code, st[26]);
	cr_expect_eq(img->proc.mm.end_code, st[27]);
	cr_expect_eq(img->proc.mm.start_stack, st[28]);
	cr_expect_eq(img->proc.mm.start_data, st[45]);
	cr_expect_eq(img->proc.mm.end_data, st[46]);
	cr_expect_eq(img->proc.mm.start_brk, st[47]);
	cr_expect_eq(img->proc.mm.arg_start, st[48]);
	cr_expect_eq(img->proc.mm.env_end, st[51]);

	/* The thread. */
	cr_assert_eq(img->n_threads, 1);
	t = &img->threads[0];
	cr_expect_eq(t->tid, h.pid);
	cr_expect_eq(t->sigmask, h.sh->sigmask);
	cr_expect_eq(t->sigmask, status_mask(h.pid, "SigBlk:"));
	cr_expect_eq(t->altstack_sp, (uintptr_t)h.sh->altstack.ss_sp);
	cr_expect_eq(t->altstack_size, h.sh->altstack.ss_size);
	cr_expect_eq(t->altstack_flags, h.sh->altstack.ss_flags);
	if (!kernel_reports_rseq(h.pid)) {
		/* PTRACE_GET_RSEQ_CONFIGURATION came with Linux 5.13. */
		cr_expect_eq(t->rseq_state, KT_RSEQ_UNKNOWN);
	} else {
		cr_expect_eq(t->rseq_state, KT_RSEQ_REGISTERED);
		cr_expect_eq(t->rseq_ptr, h.sh->rseq_ptr);
		/* glibc registers 32 bytes; __rseq_size counts those it
		 * uses. */
		cr_expect_geq(t->rseq_len, h.sh->rseq_len);
		cr_expect_eq(t->rseq_len, 32);
		cr_expect_eq(t->rseq_sig, 0x53053053, "RSEQ_SIG of x86");
	}
	cr_expect_eq(t->regs.fs_base, h.sh->fs_base);
	cr_expect_not_null(vma_at(img, t->regs.rip), "rip in a mapping");
	cr_expect(vma_at(img, t->regs.rip) &&
			  (vma_at(img, t->regs.rip)->prot & PROT_EXEC),
		  "rip in executable memory");
	cr_expect_eq(t->xstate_type, NT_X86_XSTATE);
	cr_expect_geq(t->xstate.len, 576);

	/* Signals: handlers, pending. */
	sa = &img->sigactions[SIGUSR1 - 1];
	cr_expect_eq(sa->handler, h.sh->usr1_handler);
	cr_expect_eq(sa->flags, h.sh->usr1_flags);
	cr_expect(sa->flags & SA_RESTART && sa->flags & SA_SIGINFO);
	cr_expect_eq(sa->mask, h.sh->usr1_mask);
	cr_expect_eq(sa->mask, SIGBIT(SIGUSR2) | SIGBIT(SIGTERM));
	cr_expect_eq(img->sigactions[SIGPIPE - 1].handler, (uintptr_t)SIG_IGN);
	cr_expect_eq(img->sigactions[SIGTRAP - 1].handler, (uintptr_t)SIG_IGN,
		     "SIGTRAP is ignored (our int3 forced it)");
	cr_expect_eq(img->sigactions[SIGTERM - 1].handler, (uintptr_t)SIG_DFL);
	for (size_t i = 0; i < img->n_pending; i++) {
		const struct kt_pimg_siginfo *p = &img->pending[i];
		siginfo_t si;

		memcpy(&si, p->info.data, sizeof(si));
		if (p->signo == SIGUSR2 && p->tid == h.pid)
			saw_usr2 = true;
		if (p->signo == SIGRTMIN + 5 && p->tid == 0) {
			saw_rt = true;
			cr_expect_eq(si.si_value.sival_int, SIGVAL);
			cr_expect_eq(si.si_code, SI_QUEUE);
			cr_expect_eq(si.si_pid, h.pid);
		}
	}
	cr_expect(saw_usr2, "SIGUSR2 pending on the thread");
	cr_expect(saw_rt, "SIGRTMIN+5 pending on the process");
	cr_expect(status_mask(h.pid, "SigPnd:") & SIGBIT(SIGUSR2));
	cr_expect(status_mask(h.pid, "ShdPnd:") & SIGBIT(SIGRTMIN + 5));

	/* Descriptors: /dev/null four times, the file at its offset. */
	cr_assert_eq(img->n_fds, 5, "0, 1, 2, %d, %d (the timerfd apart)",
		     FILE_FD, NULL_FD);
	for (size_t i = 0; i < img->n_fds; i++) {
		const struct kt_pimg_fd *f = &img->fds[i];

		if (f->fd == FILE_FD) {
			cr_expect_eq(f->kind, KT_FD_REG);
			cr_expect(blob_is(&f->path, h.sh->file_path));
			cr_expect_eq(f->pos, FILE_POS);
			cr_expect_eq(f->flags & O_ACCMODE, O_RDWR);
		} else {
			cr_expect_eq(f->kind, KT_FD_CHR, "fd %d", f->fd);
			cr_expect(blob_is(&f->path, "/dev/null"));
			cr_expect_eq(f->file.rdev, makedev(1, 3));
			cr_expect_eq(!!(f->flags & O_CLOEXEC),
				     f->fd == NULL_FD);
		}
	}

	/* Mappings: those of /proc but [vsyscall], in order. */
	{
		size_t i = 0;

		for (char *line = maps0; *line;) {
			char *eol = strchr(line, '\n');
			unsigned long long s, e;
			char perms[5];

			*eol = '\0';
			cr_assert_eq(
				sscanf(line, "%llx-%llx %4s", &s, &e, perms),
				3);
			if (!strstr(line, "[vsyscall]")) {
				cr_assert_lt(i, img->n_vmas);
				cr_expect_eq(img->vmas[i].start, s);
				cr_expect_eq(img->vmas[i].end, e);
				cr_expect_eq(!!(img->vmas[i].prot & PROT_WRITE),
					     perms[1] == 'w');
				saw_heap |= img->vmas[i].kind == KT_VMA_HEAP;
				i++;
			}
			*eol = '\n';
			line = eol + 1;
		}
		cr_expect_eq(i, img->n_vmas);
	}
	cr_expect(saw_heap);
	cr_expect_eq(vma_at(img, h.sh->heap)->kind, KT_VMA_HEAP);
	cr_expect_eq(vma_at(img, h.sh->anon)->kind, KT_VMA_ANON);
	cr_expect_eq(vma_at(img, h.sh->shared)->kind, KT_VMA_SHMEM);
	cr_expect_eq(vma_at(img, t->regs.rsp)->kind, KT_VMA_STACK);
	for (size_t i = 0; i < img->n_vmas; i++)
		if (img->vmas[i].kind == KT_VMA_FILE)
			cr_expect_eq(img->vmas[i].name.data
					     ? ((const char *)img->vmas[i]
							.name.data)[0]
					     : 0,
				     '/');

	/* Memory: what the process wrote, and only that. */
	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PAGES);
	pages_fd = open(path, O_RDONLY);
	cr_assert_geq(pages_fd, 0);
	expect_pattern(img, pages_fd, h.sh->heap, HEAP_LEN, 1, PAGE, "[heap]");
	expect_pattern(img, pages_fd, h.sh->anon, ANON_LEN, 2, 2 * PAGE,
		       "anonymous");
	expect_pattern(img, pages_fd, h.sh->shared, SHARED_LEN / 2, 3, PAGE,
		       "shared");
	close(pages_fd);
	cr_expect_eq(report.pages_bytes, img->files.pages_size);
	cr_expect_eq(report.n_vmas, img->n_vmas);

	/* Timers. */
	cr_expect_eq(kt_snapshot_posix_timer_count(img->timers), 2);
	cr_assert_eq(kt_snapshot_timerfd_count(img->timers), 1);
	cr_expect_eq(kt_snapshot_timerfd(img->timers, 0)->fd, TFD_FD);
	cr_expect_eq(report.n_timers, 3);

	/* It goes on, as it was. */
	for (int i = 0; i < 5000 && (h.sh->ticks <= ticks + 2 ||
				     h.sh->signals <= signals + 2);
	     i++)
		usleep(1000);
	cr_expect_gt(h.sh->ticks, ticks + 2, "the process goes on");
	cr_expect_gt(h.sh->signals, signals + 2, "its timer goes on");
	read_proc(h.pid, "maps", maps1, sizeof(maps1));
	signal_state(h.pid, sig1, sizeof(sig1));
	cr_expect_str_eq(maps1, maps0, "the memory map changed");
	cr_expect_str_eq(sig1, sig0, "the signal state changed");

	kt_process_image_free(img);
	stop_holder(&h);
	rm_dir(dir);
}

/* Both ways of finding the written pages find the same ones. */
Test(dump, pagemap_read_equals_pagemap_scan, .timeout = 60)
{
	struct holder h = start_holder(HOLDER_PLAIN, 0);
	struct kt_process_image *a, *b;
	const struct kt_pimg_vma *va, *vb;
	char da[512], db[512];

	tmp_dir(da, sizeof(da));
	tmp_dir(db, sizeof(db));
	dump(h.pid, da, 0, NULL);
	kt_dump_force_pagemap_read = true;
	dump(h.pid, db, 0, NULL);
	kt_dump_force_pagemap_read = false;
	a = load(da);
	b = load(db);
	cr_assert_eq(a->n_vmas, b->n_vmas);
	for (uint64_t at = h.sh->anon; at;
	     at = at == h.sh->anon ? h.sh->heap : 0) {
		va = vma_at(a, at);
		vb = vma_at(b, at);
		cr_assert_eq(va->n_runs, vb->n_runs);
		for (size_t i = 0; i < va->n_runs; i++) {
			cr_expect_eq(a->runs[va->first_run + i].start,
				     b->runs[vb->first_run + i].start);
			cr_expect_eq(a->runs[va->first_run + i].len,
				     b->runs[vb->first_run + i].len);
		}
	}
	cr_expect_eq(vma_at(a, h.sh->anon)->n_runs, ANON_LEN / PAGE / 2,
		     "every other page, each on its own");
	kt_process_image_free(a);
	kt_process_image_free(b);
	stop_holder(&h);
	rm_dir(da);
	rm_dir(db);
}

static void expect_refused(pid_t pid, const char *dir, int err,
			   const char *what1, const char *what2)
{
	char msg[512] = "";
	KT_OPTS(kt_dump_opts, opts, .err_buf = msg, .err_len = sizeof(msg));

	cr_expect_eq(kt_dump_process(pid, dir, &opts), err, "%s", msg);
	cr_expect_not_null(strstr(msg, what1), "\"%s\" lacks \"%s\"", msg,
			   what1);
	cr_expect_not_null(strstr(msg, what2), "\"%s\" lacks \"%s\"", msg,
			   what2);
}

Test(dump, refuses_a_pipe_naming_the_fd, .timeout = 30)
{
	struct holder h = start_holder(HOLDER_PIPE, 0);
	char dir[512];

	tmp_dir(dir, sizeof(dir));
	expect_refused(h.pid, dir, -EOPNOTSUPP, "fd 5 ", "a pipe");
	cr_expect_neq(access(dir, F_OK), 0, "the directory it made is gone");
	stop_holder(&h);
	rm_dir(dir);
}

Test(dump, refuses_a_socket_naming_the_fd, .timeout = 30)
{
	struct holder h = start_holder(HOLDER_SOCKET, 0);
	char dir[512];

	tmp_dir(dir, sizeof(dir));
	expect_refused(h.pid, dir, -EOPNOTSUPP, "fd 6 ", "a socket");
	stop_holder(&h);
	rm_dir(dir);
}

Test(dump, refuses_a_multithreaded_process, .timeout = 30)
{
	struct holder h = start_holder(HOLDER_THREAD, 0);
	char dir[512];

	tmp_dir(dir, sizeof(dir));
	expect_refused(h.pid, dir, -EOPNOTSUPP, "2 threads", "single-threaded");
	stop_holder(&h);
	rm_dir(dir);
}

Test(dump, refuses_a_directory_not_empty_unless_forced, .timeout = 30)
{
	struct holder h = start_holder(HOLDER_PLAIN, 0);
	char dir[512], other[600];
	struct kt_process_image *img;
	int fd;

	tmp_dir(dir, sizeof(dir));
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(other, sizeof(other), "%s/other", dir);
	fd = open(other, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	expect_refused(h.pid, dir, -EEXIST, dir, "not empty");
	dump(h.pid, dir, KT_DUMP_FORCE, NULL);
	dump(h.pid, dir, KT_DUMP_FORCE, NULL); /* over a dump */
	img = load(dir);
	kt_process_image_free(img);
	cr_expect_eq(access(other, F_OK), 0, "other files are left alone");
	expect_refused(h.pid, other, -ENOTDIR, other, "");
	stop_holder(&h);
	rm_dir(dir);
}

/* ---- damaged images ---- */

static unsigned char *read_all(const char *path, size_t *len)
{
	static unsigned char buf[1 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s", path);
	n = read(fd, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_lt((size_t)n, sizeof(buf));
	close(fd);
	*len = (size_t)n;
	return buf;
}

static void write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int parse(const unsigned char *buf, size_t len, char *msg,
		 size_t msg_len)
{
	struct kt_process_image *img = NULL;
	int r = kt_process_image_parse(buf, len, &img, msg, msg_len);

	kt_process_image_free(img);
	return r;
}

/* Put the checksum right after a change, so that the fields are read. */
static void reseal(unsigned char *buf, size_t len)
{
	uint32_t crc;

	memset(buf + 24, 0, 4);
	crc = kt_crc32c(0, buf, len);
	memcpy(buf + 24, &crc, 4);
}

/* The offset of the first record of a type, and of its payload. */
static size_t find_record(const unsigned char *buf, size_t len, unsigned type,
			  unsigned nth)
{
	for (size_t off = 32; off + 8 <= len;) {
		unsigned t = buf[off] | buf[off + 1] << 8;
		size_t n = buf[off + 4] | buf[off + 5] << 8 |
			   (size_t)buf[off + 6] << 16;

		if (t == type && nth-- == 0)
			return off + 8;
		off += 8 + n;
	}
	cr_assert_fail("no record of type %u", type);
	return 0;
}

Test(dump, damaged_images_are_refused_naming_the_offset, .timeout = 120)
{
	struct holder h = start_holder(HOLDER_PLAIN, 0);
	char dir[512], path[600], msg[512];
	struct kt_process_image *img;
	unsigned char *orig, *buf;
	size_t len;

	tmp_dir(dir, sizeof(dir));
	dump(h.pid, dir, 0, NULL);
	stop_holder(&h);
	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PROCESS);
	orig = read_all(path, &len);
	buf = malloc(len);
	cr_assert_not_null(buf);
	cr_assert_eq(parse(orig, len, msg, sizeof(msg)), 0, "%s", msg);
	/* What was loaded encodes to the very same bytes. */
	{
		struct kt_process_image *again = NULL;
		unsigned char *enc;
		size_t enc_len;

		cr_assert_eq(kt_process_image_parse(orig, len, &again, msg,
						    sizeof(msg)),
			     0);
		cr_assert_eq(kt_process_image_encode(again, &enc, &enc_len), 0);
		cr_expect_eq(enc_len, len);
		cr_expect_eq(memcmp(enc, orig, len), 0);
		free(enc);
		kt_process_image_free(again);
	}

	/* Cut at every length. */
	for (size_t cut = 0; cut < len; cut++) {
		cr_assert_eq(parse(orig, cut, msg, sizeof(msg)), -EBADMSG,
			     "cut %zu accepted", cut);
		cr_assert_eq(strncmp(msg, "offset ", 7), 0, "cut %zu: %s", cut,
			     msg);
	}
	/* Flip one bit of every byte (a different bit each time). */
	for (size_t i = 0; i < len; i++) {
		int r;

		memcpy(buf, orig, len);
		buf[i] ^= (unsigned char)(1u << (i % 8));
		r = parse(buf, len, msg, sizeof(msg));
		cr_assert(r == -EBADMSG || r == -EPROTONOSUPPORT,
			  "flip at %zu accepted (%d)", i, r);
		cr_assert_eq(strncmp(msg, "offset ", 7), 0, "flip %zu: %s", i,
			     msg);
	}

	/* Fields checked one by one behind a good checksum. */
	{
		static const struct {
			unsigned type, nth, off, width;
			uint64_t value;
			unsigned report_off;
			const char *expect;
		} cases[] = {
			{4, 0, 0, 4, 9, 0, "sigaction record, field signo"},
			{4, 3, 16, 4, 0x100, 16,
			 "sigaction record, field flags"},
			{3, 0, 72 + 136, 8, 0x23, 72 + 136,
			 "thread record, field regs.cs"},
			{3, 0, 60, 4, 7, 60,
			 "thread record, field xstate_type"},
			{6, 2, 16, 8, 5, 8, "rlimit record, field cur"},
			{7, 0, 4, 4, 9, 4, "fd record, field kind"},
			{8, 1, 0, 8, 0, 0, "vma record, field start"},
			{8, 0, 32, 4, 42, 32, "vma record, field kind"},
			{8, 0, 28, 4, 0x80, 28, "vma record, field flags"},
			{9, 0, 16, 8, 4096, 16, "pages record, field off"},
			{1, 0, 8, 4, 8192, 8,
			 "process record, field page_size"},
		};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			size_t payload = find_record(orig, len, cases[c].type,
						     cases[c].nth);
			char want[32];

			memcpy(buf, orig, len);
			memcpy(buf + payload + cases[c].off, &cases[c].value,
			       cases[c].width);
			reseal(buf, len);
			cr_expect_eq(parse(buf, len, msg, sizeof(msg)),
				     -EBADMSG, "case %zu accepted", c);
			snprintf(want, sizeof(want),
				 "offset %zu:", payload + cases[c].report_off);
			cr_expect_not_null(strstr(msg, want),
					   "case %zu: \"%s\" lacks \"%s\"", c,
					   msg, want);
			cr_expect_not_null(strstr(msg, cases[c].expect),
					   "case %zu: \"%s\" lacks \"%s\"", c,
					   msg, cases[c].expect);
		}
	}

	/* In the directory: a truncated process.img, then pages.img and
	 * timers.img that are not those of the dump. */
	write_all(path, orig, len - 100);
	cr_expect_eq(kt_process_image_load(dir, &img, msg, sizeof(msg)),
		     -EBADMSG);
	cr_expect_not_null(strstr(msg, "process.img: offset 16"), "%s", msg);
	cr_expect_not_null(strstr(msg, "truncated"), "%s", msg);
	write_all(path, orig, len);
	img = load(dir);
	kt_process_image_free(img);
	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PAGES);
	{
		struct stat st;

		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(truncate(path, st.st_size - PAGE), 0);
	}
	cr_expect_eq(kt_process_image_load(dir, &img, msg, sizeof(msg)),
		     -EBADMSG);
	cr_expect_not_null(strstr(msg, "pages.img:"), "%s", msg);
	free(buf);
	rm_dir(dir);
}

/* Every layout's fields tile its fixed part exactly, as the tables of
 * docs/process-image.md say. */
Test(dump, process_image_layouts_tile_their_records, .timeout = 10)
{
	for (size_t i = 0; i < KT_PIMG_N_LAYOUTS; i++) {
		const struct kt_img_layout *l = &kt_pimg_layouts[i];
		unsigned char used[512] = {0};

		cr_assert_eq(l->type, i + 1);
		cr_assert_leq(l->size, sizeof(used));
		for (size_t f = 0; f < l->n_fields; f++) {
			const struct kt_img_field *fd = &l->fields[f];
			size_t size =
				fd->type == KT_F_I32 || fd->type == KT_F_U32
					? 4
					: 8;

			cr_assert_leq(fd->off + size, l->size, "%s.%s", l->name,
				      fd->name);
			for (size_t b = fd->off; b < fd->off + size; b++) {
				cr_assert_eq(used[b], 0, "%s.%s overlaps",
					     l->name, fd->name);
				used[b] = 1;
			}
		}
		for (size_t b = 0; b < l->size; b++)
			cr_assert_eq(used[b], 1, "%s: byte %zu in no field",
				     l->name, b);
	}
}

/* Dump time of a process with about 10 MB of anonymous memory. */
Test(dump, ten_megabytes, .timeout = 120)
{
	size_t big = 10u << 20;
	struct holder h = start_holder(HOLDER_BIG, big);
	struct kt_dump_report report;
	struct kt_process_image *img;
	struct timespec a, b;
	char dir[512], path[600];
	int pages_fd;

	tmp_dir(dir, sizeof(dir));
	clock_gettime(CLOCK_MONOTONIC, &a);
	dump(h.pid, dir, 0, &report);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_log_info("kt_dump_process of %zu MiB of anonymous memory: %.1f ms "
		    "wall, process stopped %.1f ms, %llu bytes of pages, %llu "
		    "mappings",
		    big >> 20,
		    (double)((b.tv_sec - a.tv_sec) * 1000000000LL +
			     (b.tv_nsec - a.tv_nsec)) /
			    1e6,
		    (double)report.stopped_ns / 1e6,
		    (unsigned long long)report.pages_bytes,
		    (unsigned long long)report.n_vmas);
	cr_expect_geq(report.pages_bytes, big);
	img = load(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PAGES);
	pages_fd = open(path, O_RDONLY);
	cr_assert_geq(pages_fd, 0);
	expect_pattern(img, pages_fd, h.sh->big, big, 4, PAGE, "10 MiB");
	close(pages_fd);
	kt_process_image_free(img);
	stop_holder(&h);
	rm_dir(dir);
}

/* ---- VmFlags: MAP_NORESERVE and madvise advice (version 1.1) ---- */

/* The advice a flagged process gives, one page each, and its flag. */
static const struct {
	int advice;
	uint32_t flag;
	unsigned smap; /* as /proc/PID/smaps shows it */
	bool hint;     /* refused with EINVAL without transparent huge pages */
} advices[] = {
	{MADV_DONTFORK, KT_VMA_DONTFORK, KT_SMAP_DONTCOPY, false},
	{MADV_WIPEONFORK, KT_VMA_WIPEONFORK, KT_SMAP_WIPEONFORK, false},
	{MADV_DONTDUMP, KT_VMA_DONTDUMP, KT_SMAP_DONTDUMP, false},
	{MADV_HUGEPAGE, KT_VMA_HUGEPAGE, KT_SMAP_HUGEPAGE, true},
	{MADV_NOHUGEPAGE, KT_VMA_NOHUGEPAGE, KT_SMAP_NOHUGEPAGE, true},
};
#define N_ADVICE (sizeof(advices) / sizeof(advices[0]))

/* The environment variable that makes this program a flagged process
 * (its value: the size of the MAP_NORESERVE mapping), and the descriptor
 * it reports on. */
#define FLAGGED_ENV "KT_TEST_FLAGGED_PROCESS"
#define FLAGGED_FD  3

/* What a flagged process reports about itself, once. */
struct flagged_report {
	int step;	/* 0: set up; N: set-up step N failed */
	uint64_t big;	/* MAP_NORESERVE, big_len bytes, a page written */
	size_t big_len; /* mid-way */
	uint64_t adv[N_ADVICE];	      /* one page each, written */
	uint32_t adv_flags[N_ADVICE]; /* its flag, 0 if madvise refused */
	uint64_t ticks_addr;	      /* its counter */
};

struct flagged {
	pid_t pid;
	struct flagged_report rep;
	char exe[64]; /* its executable: a copy of this one */
};

static volatile unsigned long flagged_ticks;

#define FSTEP(n, cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			rep.step = (n);                                        \
			goto report;                                           \
		}                                                              \
	} while (0)

/*
 * A flagged process: this program run again (a copy of it, see
 * start_flagged()) with FLAGGED_ENV set, which never reaches Criterion's
 * main. No descriptor but /dev/null, more memory reserved with
 * MAP_NORESERVE than may be committed, a page of each advice; it reports
 * on FLAGGED_FD, closes it and counts until killed.
 */
__attribute__((constructor)) static void flagged_main(void)
{
	const char *env = getenv(FLAGGED_ENV);
	struct flagged_report rep = {0};
	char *area, *big;

	if (!env)
		return;
	rep.big_len = (size_t)strtoull(env, NULL, 10);
	FSTEP(1, prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() > 1);
	FSTEP(2, close_range(FLAGGED_FD + 1, ~0U, 0) == 0);
	FSTEP(3, close(0) == 0 && close(1) == 0 && close(2) == 0 &&
			 open("/dev/null", O_RDONLY) == 0 &&
			 open("/dev/null", O_WRONLY) == 1 && dup(1) == 2);
	/* Each page between PROT_NONE guards, so that none merges. */
	area = mmap(NULL, (2 * N_ADVICE + 1) * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FSTEP(4, area != MAP_FAILED);
	for (size_t i = 0; i < N_ADVICE; i++) {
		char *p = area + (2 * i + 1) * PAGE;

		FSTEP(5, mprotect(p, PAGE, PROT_READ | PROT_WRITE) == 0);
		if (madvise(p, PAGE, advices[i].advice) == 0)
			rep.adv_flags[i] = advices[i].flag;
		else
			FSTEP(6, errno == EINVAL && advices[i].hint);
		fill(p, PAGE, 10 + (unsigned)i, PAGE);
		rep.adv[i] = (uintptr_t)p;
	}
	big = mmap(NULL, rep.big_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	FSTEP(7, big != MAP_FAILED);
	fill(big + rep.big_len / 2, PAGE, 9, PAGE);
	rep.big = (uintptr_t)big;
	rep.ticks_addr = (uintptr_t)&flagged_ticks;
report:
	if (write(FLAGGED_FD, &rep, sizeof(rep)) != (ssize_t)sizeof(rep) ||
	    close(FLAGGED_FD) < 0 || rep.step)
		_exit(1);
	for (;;) {
		struct timespec ms = {0, 1000000};

		flagged_ticks++;
		nanosleep(&ms, NULL);
	}
}

/*
 * Twice what this machine may commit (RAM and swap): a mapping that only
 * MAP_NORESERVE lets exist under the default overcommit heuristic, yet
 * no bigger than it needs to be (kernels without PAGEMAP_SCAN read eight
 * bytes of pagemap per page of it).
 */
static size_t beyond_commit(void)
{
	struct sysinfo si;
	uint64_t total;

	cr_assert_eq(sysinfo(&si), 0);
	total = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit * 2;
	return (size_t)((total + (1ULL << 30)) & ~((1ULL << 30) - 1));
}

/*
 * Start a flagged process. It runs a copy of this program: a restore
 * cannot give a process the restoring program's executable while that is
 * mapped (PR_SET_MM_MAP answers EBUSY), and a restore maps every file the
 * dumped process had mapped, its executable too.
 */
static struct flagged start_flagged(void)
{
	static char exe[16 << 20];
	struct flagged f = {0};
	char mode[16] = "", len_env[32];
	ssize_t n, got = 0;
	int fd, p[2];

	if (ktt_read_file("/proc/sys/vm/overcommit_memory", mode,
			  sizeof(mode)) > 0 &&
	    mode[0] == '2')
		cr_skip_test("vm.overcommit_memory is 2: MAP_NORESERVE is "
			     "ignored");
	n = ktt_read_file("/proc/self/exe", exe, sizeof(exe));
	cr_assert_gt(n, 0);
	cr_assert_lt((size_t)n, sizeof(exe));
	snprintf(f.exe, sizeof(f.exe), "/tmp/kt-flagged-XXXXXX");
	fd = mkostemp(f.exe, O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, exe, (size_t)n), n);
	cr_assert_eq(fchmod(fd, 0700), 0);
	cr_assert_eq(close(fd), 0);
	snprintf(len_env, sizeof(len_env), "%zu", beyond_commit());
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	f.pid = fork();
	cr_assert_geq(f.pid, 0);
	if (f.pid == 0) {
		char *argv[] = {f.exe, NULL};

		if (dup2(p[1], FLAGGED_FD) == FLAGGED_FD &&
		    setenv(FLAGGED_ENV, len_env, 1) == 0)
			execv(f.exe, argv);
		_exit(127);
	}
	close(p[1]);
	while (got < (ssize_t)sizeof(f.rep) &&
	       ((n = read(p[0], (char *)&f.rep + got,
			  sizeof(f.rep) - (size_t)got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	/* Then end of file: it closed its end, nothing but /dev/null is
	 * left. */
	cr_assert_eq(got, (ssize_t)sizeof(f.rep),
		     "no report from the flagged "
		     "process");
	cr_assert_eq(read(p[0], &n, 1), 0);
	close(p[0]);
	cr_assert_eq(f.rep.step, 0,
		     "the flagged process's set-up failed at "
		     "step %d",
		     f.rep.step);
	return f;
}

/* Read len bytes of another process's memory. */
static bool peek(pid_t pid, uint64_t addr, void *out, size_t len)
{
	char path[64];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = pread(fd, out, len, (off_t)addr) == (ssize_t)len;
	close(fd);
	return ok;
}

/* Its counter moves on. */
static void expect_flagged_runs(const struct flagged *f, const char *what)
{
	unsigned long t0 = 0, t1 = 0;

	cr_assert(peek(f->pid, f->rep.ticks_addr, &t0, sizeof(t0)));
	for (int i = 0; i < 5000 && t1 <= t0 + 2; i++) {
		usleep(1000);
		cr_assert(peek(f->pid, f->rep.ticks_addr, &t1, sizeof(t1)));
	}
	cr_expect_gt(t1, t0 + 2, "%s runs on", what);
}

static void stop_flagged(struct flagged *f)
{
	int status;

	if (f->pid > 0) {
		cr_assert_eq(kill(f->pid, SIGKILL), 0);
		cr_assert_eq(waitpid(f->pid, &status, 0), f->pid);
		cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "ended with status 0x%x", status);
	}
	unlink(f->exe);
}

Test(dump, records_noreserve_and_madvise_flags, .timeout = 60)
{
	struct flagged f = start_flagged();
	struct kt_process_image *img;
	const struct kt_pimg_vma *v;
	char dir[512];

	tmp_dir(dir, sizeof(dir));
	dump(f.pid, dir, 0, NULL);
	img = load(dir);
	v = vma_at(img, f.rep.big);
	cr_assert_not_null(v);
	cr_expect_eq(v->start, f.rep.big);
	cr_expect_eq(v->end, f.rep.big + f.rep.big_len);
	cr_expect_eq(v->kind, KT_VMA_ANON);
	cr_expect_eq(v->flags, KT_VMA_NORESERVE, "flags 0x%x", v->flags);
	for (size_t i = 0; i < N_ADVICE; i++) {
		v = vma_at(img, f.rep.adv[i]);
		cr_assert_not_null(v);
		cr_expect(v->start == f.rep.adv[i] &&
				  v->end == f.rep.adv[i] + PAGE,
			  "advice %zu: the page is a mapping of its own", i);
		cr_expect_eq(v->flags, f.rep.adv_flags[i],
			     "advice %zu: flags 0x%x, not 0x%x", i, v->flags,
			     f.rep.adv_flags[i]);
	}
	for (size_t i = 0; i < img->n_vmas; i++) {
		cr_expect_eq(img->vmas[i].flags & ~KT_VMA_FLAGS_1_1, 0);
		if (img->vmas[i].kind >= KT_VMA_VDSO)
			cr_expect_eq(img->vmas[i].flags, 0,
				     "the vdso's flags are the kernel's");
	}
	kt_process_image_free(img);
	expect_flagged_runs(&f, "the dumped process");
	stop_flagged(&f);
	rm_dir(dir);
}

/* The payload offsets of every vma record of a process.img. */
static size_t vma_records(const unsigned char *buf, size_t len, size_t *out,
			  size_t max)
{
	size_t n = 0;

	for (size_t off = 32; off + 8 <= len;) {
		unsigned t = buf[off] | buf[off + 1] << 8;
		size_t plen = buf[off + 4] | buf[off + 5] << 8 |
			      (size_t)buf[off + 6] << 16;

		if (t == 8 && n < max)
			out[n++] = off + 8;
		off += 8 + plen;
	}
	return n;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Take the creds record (type 10) out of buf (header sizes fixed, not
 * the checksum): an image as version 1.0 or 1.1 wrote it. */
static size_t strip_creds(unsigned char *buf, size_t len)
{
	size_t payload = find_record(buf, len, 10, 0), at = payload - 8;
	size_t n = 8 +
		   (buf[at + 4] | buf[at + 5] << 8 | (size_t)buf[at + 6] << 16);
	uint64_t body;

	memmove(buf + at, buf + at + n, len - at - n);
	len -= n;
	body = len - 32;
	memcpy(buf + 16, &body, 8);
	return len;
}

/* Version 1.1 writes the new flags; a 1.0 image is read as before, and
 * neither may hold a flag its version does not know, nor one that cannot
 * be restored. */
Test(dump, vma_flags_by_minor_version, .timeout = 60)
{
	static size_t vmas[4096];
	static unsigned char buf[1 << 20];
	struct flagged f = start_flagged();
	char dir[512], path[600], msg[512];
	unsigned char *orig;
	size_t len, n, big = 0, file = 0, vdso = 0;

	tmp_dir(dir, sizeof(dir));
	dump(f.pid, dir, 0, NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PROCESS);
	orig = read_all(path, &len);
	cr_expect_eq(orig[10] | orig[11] << 8, 2, "minor version 2 written");
	len = strip_creds(orig, len); /* as 1.1 and 1.0 wrote it */
	n = vma_records(orig, len, vmas, 4096);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t start;
		uint32_t kind = get32(orig + vmas[i] + 32);

		memcpy(&start, orig + vmas[i], 8);
		if (start == f.rep.big)
			big = vmas[i];
		if (kind == KT_VMA_FILE && !file)
			file = vmas[i];
		if (kind == KT_VMA_VDSO)
			vdso = vmas[i];
	}
	cr_assert(big && file && vdso);
	cr_assert_eq(get32(orig + big + 28), KT_VMA_NORESERVE);

	/* Minor 0: the new flags are refused ... */
	memcpy(buf, orig, len);
	buf[10] = 0;
	reseal(buf, len);
	cr_expect_eq(parse(buf, len, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "vma record, field flags"), "%s", msg);
	cr_expect_not_null(strstr(msg, "version 1.0"), "%s", msg);
	/* ... and without them it is read. */
	for (size_t i = 0; i < n; i++)
		put32(buf + vmas[i] + 28,
		      get32(buf + vmas[i] + 28) & KT_VMA_SHARED);
	reseal(buf, len);
	cr_expect_eq(parse(buf, len, msg, sizeof(msg)), 0, "%s", msg);

	/* Minor 1: a bit it does not know, wipe-on-fork on a file, flags on
	 * the vdso. */
	orig[10] = 1;
	{
		const struct {
			size_t rec;
			uint32_t flags;
			const char *expect;
		} cases[] = {
			{big, KT_VMA_NORESERVE | 0x80, "unknown to version"},
			{file, KT_VMA_WIPEONFORK, "wipe-on-fork"},
			{vdso, KT_VMA_DONTDUMP, "on a mapping of kind 6"},
		};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			memcpy(buf, orig, len);
			put32(buf + cases[c].rec + 28,
			      get32(buf + cases[c].rec + 28) | cases[c].flags);
			reseal(buf, len);
			cr_expect_eq(parse(buf, len, msg, sizeof(msg)),
				     -EBADMSG, "case %zu accepted", c);
			cr_expect_not_null(strstr(msg, "field flags"),
					   "case %zu: %s", c, msg);
			cr_expect_not_null(strstr(msg, cases[c].expect),
					   "case %zu: %s", c, msg);
		}
	}
	stop_flagged(&f);
	rm_dir(dir);
}

/*
 * The whole way: dumped with KT_DUMP_KILL, restored (a MAP_NORESERVE
 * mapping beyond what may be committed is refused with ENOMEM unless the
 * restore maps it so), and the restored process has every flag again, its
 * memory, and runs on.
 */
Test(dump, restore_maps_noreserve_and_gives_the_advice_again, .timeout = 120)
{
	static char text[4 << 20];
	struct flagged f;
	struct kt_proc_smap *sm = NULL;
	struct kt_parse_error perr;
	unsigned char page[PAGE];
	char dir[512], path[64], msg[1024] = "";
	bool seen_big = false;
	size_t n = 0;
	ssize_t len;
	pid_t pid = -1, r;
	int status, err;
	KT_OPTS(kt_restore_process_opts, opts, .err_buf = msg,
		.err_len = sizeof(msg));

	if (!ktt_have_cap(40 /* CAP_CHECKPOINT_RESTORE */) &&
	    !ktt_have_cap(21 /* CAP_SYS_ADMIN */))
		cr_skip_test("a restore needs CAP_CHECKPOINT_RESTORE");
	f = start_flagged();
	tmp_dir(dir, sizeof(dir));
	dump(f.pid, dir, KT_DUMP_KILL, NULL);
	while ((r = waitpid(f.pid, &status, 0)) < 0 && errno == EINTR)
		;
	cr_assert(r == f.pid || (r < 0 && errno == ECHILD));

	err = kt_restore_process(dir, &opts, &pid);
	cr_assert_eq(err, 0, "restore: %s (%s)", strerror(-err), msg);
	cr_assert_eq(pid, f.pid);

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	len = ktt_read_file(path, text, sizeof(text));
	cr_assert_gt(len, 0);
	cr_assert_eq(kt_procfs_smaps_parse(text, (size_t)len, &sm, &n, &perr),
		     0, "%s", perr.msg);
	for (size_t i = 0; i < n; i++) {
		if (sm[i].start == f.rep.big) {
			seen_big = true;
			cr_expect_eq(sm[i].end, f.rep.big + f.rep.big_len);
			cr_expect(sm[i].flags & KT_SMAP_NORESERVE,
				  "restored without MAP_NORESERVE");
		}
		for (size_t k = 0; k < N_ADVICE; k++)
			if (sm[i].start == f.rep.adv[k])
				cr_expect_eq(!!(sm[i].flags & advices[k].smap),
					     !!f.rep.adv_flags[k],
					     "advice %zu: VmFlags 0x%x", k,
					     sm[i].flags);
	}
	cr_expect(seen_big, "no mapping at 0x%llx",
		  (unsigned long long)f.rep.big);
	free(sm);

	/* Its memory, and it runs on. */
	cr_assert(peek(pid, f.rep.big + f.rep.big_len / 2, page, PAGE));
	for (size_t i = 0; i < PAGE; i++)
		cr_assert_eq(page[i], pattern(9, i), "byte %zu", i);
	for (size_t k = 0; k < N_ADVICE; k++) {
		cr_assert(peek(pid, f.rep.adv[k], page, PAGE));
		for (size_t i = 0; i < PAGE; i++)
			cr_assert_eq(page[i], pattern(10 + (unsigned)k, i),
				     "advice %zu: byte %zu", k, i);
	}
	expect_flagged_runs(&f, "the restored process");
	stop_flagged(&f);
	rm_dir(dir);
}

/* The creds record (1.2): what the dump records, and what the loader
 * refuses: bad fields, none in a 1.2 image, one in a 1.1 image. */
Test(dump, creds_record_by_minor_version, .timeout = 60)
{
	static unsigned char buf[1 << 20];
	struct holder h = start_holder(HOLDER_PLAIN, 0);
	struct kt_process_image *img;
	char dir[512], path[600], msg[512];
	unsigned char *orig;
	size_t len, payload, n;
	uint32_t groups_len;
	gid_t ours[64];
	int ng;

	tmp_dir(dir, sizeof(dir));
	dump(h.pid, dir, 0, NULL);
	stop_holder(&h);
	img = load(dir);
	cr_assert(img->has_creds);
	/* A fork of ours: our credentials and persona. */
	cr_expect_eq(img->creds.uid[1], geteuid());
	cr_expect_eq(img->creds.gid[1], getegid());
	ng = getgroups(64, ours);
	cr_expect_eq(img->creds.groups.len, (uint32_t)ng * 4);
	cr_expect_eq(img->creds.timerslack,
		     (uint64_t)prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	cr_expect_eq(img->creds.personality, (uint32_t)personality(0xffffffff));
	cr_expect_eq(img->creds.dumpable, 1u);
	cr_expect_eq(img->creds.seccomp, 0u);
	kt_process_image_free(img);

	snprintf(path, sizeof(path), "%s/%s", dir, KT_PIMG_PROCESS);
	orig = read_all(path, &len);
	cr_assert_eq(orig[10] | orig[11] << 8, 2, "minor version 2 written");
	payload = find_record(orig, len, 10, 0);
	memcpy(&groups_len, orig + payload + 124, 4);
	{
		static const struct {
			unsigned off, width;
			uint64_t value;
			const char *expect;
		} cases[] = {
			{0, 4, 0xffffffff, "creds record, field uid"},
			{28, 4, 0xffffffff, "creds record, field fsgid"},
			{48, 8, ~0ULL, "creds record, field cap_eff"},
			{64, 8, ~0ULL, "creds record, field cap_amb"},
			{72, 4, 0x1000, "creds record, field securebits"},
			{76, 4, 2, "creds record, field no_new_privs"},
			{80, 4, 2, "creds record, field seccomp"},
			{84, 4, 3, "creds record, field dumpable"},
			{88, 4, 1, "creds record, field keepcaps"},
			{92, 4, 2, "creds record, field child_subreaper"},
			{96, 4, 65, "creds record, field pdeathsig"},
			{100, 4, 2, "creds record, field thp_disable"},
			{104, 4, 0xffffffff, "creds record, field personality"},
			{108, 4, 1, "creds record, field reserved"},
			{124, 4, 0, "creds record, field groups"}, /* below */
		};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			uint64_t v = cases[c].value;
			char want[32];

			/* groups: a length that is not whole u32s */
			if (cases[c].off == 124) {
				if (groups_len == 0)
					continue;
				v = groups_len - 1;
			}
			memcpy(buf, orig, len);
			memcpy(buf + payload + cases[c].off, &v,
			       cases[c].width);
			reseal(buf, len);
			cr_expect_eq(parse(buf, len, msg, sizeof(msg)),
				     -EBADMSG, "case %zu accepted", c);
			snprintf(want, sizeof(want), "offset %zu:",
				 payload + (cases[c].off == 124
						    ? 120
						    : cases[c].off));
			cr_expect_not_null(strstr(msg, want),
					   "case %zu: \"%s\" lacks \"%s\"", c,
					   msg, want);
			cr_expect_not_null(strstr(msg, cases[c].expect),
					   "case %zu: \"%s\" lacks \"%s\"", c,
					   msg, cases[c].expect);
		}
	}
	/* 1.2 without it: refused. */
	memcpy(buf, orig, len);
	n = strip_creds(buf, len);
	reseal(buf, n);
	cr_expect_eq(parse(buf, n, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "no creds record"), "%s", msg);
	/* 1.1 without it: read (the process gets the restorer's). */
	buf[10] = 1;
	reseal(buf, n);
	cr_expect_eq(parse(buf, n, msg, sizeof(msg)), 0, "%s", msg);
	/* 1.1 with it: refused. */
	memcpy(buf, orig, len);
	buf[10] = 1;
	reseal(buf, len);
	cr_expect_eq(parse(buf, len, msg, sizeof(msg)), -EBADMSG);
	cr_expect_not_null(strstr(msg, "creds record in a version 1.1"), "%s",
			   msg);
	rm_dir(dir);
}
