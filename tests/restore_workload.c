/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore_workload: a process for test_restore to dump, kill and restore
 * (kt_dump_process with KT_DUMP_KILL, then kt_restore_process). It checks
 * itself, all the time: everything it set up before the checkpoint must be
 * as it left it after the restore, and it must go on from where it was.
 * It is built twice, dynamically (restore_workload) and statically
 * (restore_workload_static), and never sanitized.
 *
 *   restore_workload FEATURES DIR
 *
 * FEATURES is a comma-separated list of any of:
 *   compute  memory it keeps rewriting and verifies whole at every
 *            iteration: 4 MiB of [heap] (64 KiB mallocs), 2 MiB of static
 *            .bss, 64 KiB of .data (copy-on-write pages of the executable),
 *            3 MiB written of a 4 MiB private anonymous mmap whose last MiB
 *            is never written and must read as zeros, and a running sequence
 *            kept in three places; plus brk, which must not move
 *   shm      the same on a shared anonymous mapping (1 MiB, half written)
 *   timers   POSIX timers created at exact IDs (prctl
 *            PR_TIMER_CREATE_RESTORE_IDS, or the linear walk of the kernel's
 *            ID counter on kernels without it), all periodic:
 *              ID 0        CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN, 10 ms
 *              ID 1000000  CLOCK_REALTIME, SIGEV_NONE, 20 ms
 *              ID 1500000  CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL
 *                          SIGRTMIN+2, 5 ms of CPU time
 *              ID 2000000  CLOCK_BOOTTIME, SIGEV_THREAD_ID (itself)
 *                          SIGRTMIN+1, 25 ms
 *            with a sigev_value of TIMER_MAGIC ^ ID each; their timer_t
 *            values are kept in memory and used through glibc. Also
 *            ITIMER_REAL every 15 ms (SIGALRM counted) and a CLOCK_MONOTONIC
 *            timerfd every 10 ms (read at every iteration). Every signal's
 *            siginfo is checked (SI_TIMER, si_timerid, si_value); the
 *            SIGEV_NONE timer is read at every iteration (armed, its
 *            interval); some CPU time is burnt at every iteration
 *   timers-low  the same at IDs 0, 1000, 1500 and 2000: for tests about
 *            something else, so that kernels without explicit IDs (a
 *            linear walk to each wanted ID, at start and at every restore)
 *            do not spend seconds (minutes under QEMU) walking
 *   file     DIR/records, opened once O_WRONLY (not O_APPEND): record i
 *            written at offset i * 32 at iteration i, the position checked
 *            before every write
 *   signals  a SIGUSR1 handler (SA_SIGINFO | SA_RESTART | SA_ONSTACK, mask
 *            SIGTERM) on an alternate stack, SIGPIPE and SIGHUP ignored,
 *            SIGUSR2 and SIGRTMIN+5 blocked, SIGUSR2 pending on the thread
 *            (tgkill) and SIGRTMIN+5 on the process (sigqueue, value
 *            SIGQ_MAGIC); the pending set and the mask checked at every
 *            iteration, the rest at the end
 *   creds    its credentials and persona as it started with them (the
 *            test sets them before the exec): getresuid, getresgid,
 *            getgroups, capget, the ambient set, securebits, dumpable,
 *            no_new_privs, child subreaper, parent-death signal, timer
 *            slack, THP-disable and personality, checked at every
 *            iteration and at the end
 *   nodump   PR_SET_DUMPABLE 0 at the start (checked with creds)
 * and always: comm "kt-restore-wl", cwd DIR, umask 027, RLIMIT_NOFILE's
 * soft limit lowered to 321 (or the hard limit if lower), RLIMIT_CORE's to
 * 0, a thread-local canary (fs_base), MXCSR with round-toward-zero (the
 * extended state), a 4 KiB canary on the stack, and getpid() equal to the
 * pid it started with.
 *
 * Protocol. Descriptors are only regular files, directories, /dev/null
 * and a timerfd (what a dump accepts): 0 /dev/null, 1 and 2 the log (set
 * up by the test), a directory descriptor on DIR, DIR/status and, with
 * "file", DIR/records.
 *   - DIR/status: STATUS_SIZE (4096) bytes of text, rewritten whole with
 *     one pwrite at offset 0 after every iteration: "key=value" lines,
 *     padded with spaces. The first line is "seq=N" and the last "end=N"
 *     with the same N (a reader that sees them differ read a torn write
 *     and reads again). Keys, all always present (0 when not used):
 *       seq pid state code iter features comm cwd umask nofile_cur
 *       nofile_max core_cur verified chunk_writes shm_rounds sig_mono
 *       sig_tid sig_cpu sig_alrm tfd_exp none_checks records file_pos
 *       end
 *     state is setup, running, checking (stop seen, final checks under
 *     way), done or failed; code the exit code it fails with. umask is
 *     octal, and read only at start and by the final checks (reading it
 *     means setting it).
 *   - DIR/stop: created by the test; the workload sees it at the end of an
 *     iteration, runs its final checks (timers: every timer_t still
 *     answers timer_gettime, armed with the interval it was given, the
 *     itimer and the timerfd too, and every timer, the itimer and the
 *     timerfd deliver again within 10 s; file: the whole file read back;
 *     signals: handlers, alternate stack, the pending signals with their
 *     siginfo, a SIGUSR1 taken on the alternate stack) and exits.
 *   - It gives up by itself (exit 5 or 6) after 10 minutes, or when DIR is
 *     removed, so that a test that died does not leave it running.
 * Exit status: 0 when every check passed, else the code of the first
 * failed check (enum rc below), after a line "restore_workload[PID]:
 * FAILED (exit N): what" on stderr and state=failed in the status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Exit codes: one per check. */
enum rc {
	RC_OK = 0,
	RC_USAGE = 2,	 /* bad command line */
	RC_SETUP = 3,	 /* a set-up step failed */
	RC_STATUS = 4,	 /* the status file could not be written */
	RC_LIFETIME = 5, /* ran longer than MAX_LIFETIME_S */
	RC_ORPHANED = 6, /* DIR was removed */
	RC_PID = 10,	 /* getpid() changed */
	RC_COMM = 11,
	RC_CWD = 12,
	RC_UMASK = 13,
	RC_RLIMIT = 14,
	RC_TLS = 15,   /* thread-local canary (fs_base) */
	RC_MXCSR = 16, /* extended state */
	RC_STACK = 17, /* stack canary */
	RC_HEAP = 20,  /* compute: a [heap] chunk holds the wrong words */
	RC_BSS = 21,
	RC_DATA = 22,
	RC_MMAP = 23,
	RC_ZERO = 24, /* never written memory is not zero */
	RC_SEQ = 25,  /* the three copies of the sequence disagree */
	RC_BRK = 26,
	RC_SHM = 30,
	RC_SIGINFO = 40,	/* a timer signal with the wrong siginfo */
	RC_TIMER_GET = 41,	/* timer_gettime failed on a saved timer_t */
	RC_TIMER_INTERVAL = 42, /* a timer's interval changed */
	RC_TIMER_DISARMED = 43, /* a timer is not armed */
	RC_ITIMER = 44,		/* ITIMER_REAL not as set */
	RC_TIMERFD = 45,	/* timerfd read or gettime failed, or changed */
	RC_TIMER_SILENT = 46,	/* a timer stopped delivering */
	RC_FILE_POS = 50,	/* the records file is not at i * 32 */
	RC_FILE_WRITE = 51,	/* a record write failed or was short */
	RC_FILE_CONTENT = 52,	/* the file read back is not records 0..N-1 */
	RC_SIG_PENDING = 60,	/* a pending signal is gone */
	RC_SIG_MASK = 61,	/* the blocked mask changed */
	RC_SIG_ACTION = 62,	/* a sigaction changed */
	RC_SIG_INFO = 63,	/* a pending signal's siginfo changed */
	RC_SIG_HANDLER = 64,	/* SIGUSR1 not taken as set up */
	RC_ALTSTACK = 65,	/* sigaltstack changed */
	RC_CREDS = 70,		/* creds: credentials or persona changed */
};

#define STATUS_SIZE    4096
#define MAX_LIFETIME_S 600
#define COMM	       "kt-restore-wl"
#define UMASK	       027
#define NOFILE_CUR     321

#define CHUNK	      (64u * 1024)
#define CHUNK_WORDS   (CHUNK / 8)
#define HEAP_CHUNKS   64 /* 4 MiB */
#define BSS_CHUNKS    32 /* 2 MiB */
#define MMAP_LEN      (4u << 20)
#define MMAP_CHUNKS   48 /* 3 MiB written, 1 MiB never */
#define SHM_LEN	      (1u << 20)
#define SHM_CHUNKS    8 /* half */
#define MAX_CHUNKS    (HEAP_CHUNKS + BSS_CHUNKS + 1 + MMAP_CHUNKS + SHM_CHUNKS)
#define STACK_WORDS   512
#define SEQ_MUL	      0x9e3779b97f4a7c15ULL
#define TLS_SEED      0x746c7363616e6172ULL
#define TIMER_MAGIC   0x6b74726573746f72ULL
#define SIGQ_MAGIC    0x5349475155455545ULL
#define USR1_MAGIC    0x7573723176616c75ULL
#define RECORD_MAGIC  0x00434552575254ULL /* "TRWREC" in its bytes */
#define RECORD_SIZE   32
#define MXCSR_RC_MASK 0x6000u /* rounding control: 11 toward zero */

enum feature {
	F_COMPUTE = 1 << 0,
	F_SHM = 1 << 1,
	F_TIMERS = 1 << 2,
	F_FILE = 1 << 3,
	F_SIGNALS = 1 << 4,
	F_TIMERS_LOW = 1 << 5,
	F_CREDS = 1 << 6,
	F_NODUMP = 1 << 7,
};

enum region { R_HEAP, R_BSS, R_DATA, R_MMAP, R_SHM };

static const int region_rc[] = {RC_HEAP, RC_BSS, RC_DATA, RC_MMAP, RC_SHM};
static const char *const region_name[] = {"[heap]", ".bss", ".data",
					  "private anonymous mmap",
					  "shared anonymous mmap"};

struct chunk {
	uint64_t *p;
	uint32_t gen;
	uint8_t region;
};

/* The timers, by index: what they were created with. */
#define N_TIMERS 4
static const int timer_ids_far[N_TIMERS] = {0, 1000000, 1500000, 2000000};
static int timer_ids[N_TIMERS]; /* timer_ids_far, or a thousandth of them */
static const long timer_interval_ns[N_TIMERS] = {10000000, 20000000, 5000000,
						 25000000};
#define ITIMER_US   15000
#define TIMERFD_NS  10000000L
#define CPU_BURN_NS 300000L

/* ---- everything the workload knows lives here, in its memory ---- */

static unsigned features;
static const char *features_arg = "";
static pid_t my_pid;
static int dir_fd = -1, status_fd = -1, records_fd = -1, tfd = -1;
static char cwd0[4096];
static struct rlimit nofile0, core0;
static struct timespec started;
static uint64_t iter, status_seq;
static unsigned umask_seen = UMASK;
static __thread uint64_t tls_canary;

/* compute, shm */
static struct chunk chunks[MAX_CHUNKS];
static size_t n_chunks, chunk_cursor;
static uint64_t chunk_writes, verified, shm_rounds;
static uint64_t bss_area[BSS_CHUNKS * CHUNK_WORDS];
static uint64_t data_area[CHUNK_WORDS] = {1, 2, 3}; /* .data, not .bss */
static unsigned char *mmap_area, *shm_area;
static uint64_t seq_data = 0x5e9; /* .data */
static uint64_t *seq_heap, *seq_mmap;
static void *brk0;

/* timers */
static timer_t timers[N_TIMERS];
static int sig_mono, sig_tid, sig_cpu; /* SIGRTMIN, +1, +2 */
static volatile sig_atomic_t n_sig[N_TIMERS], n_alrm, n_bad;
static volatile int bad_signo, bad_code, bad_timerid;
static volatile uint64_t bad_value;
static uint64_t tfd_exp, none_checks;
static struct timespec cpu_mark;

/* file */
static uint64_t records;

/* signals */
static int sig_q; /* SIGRTMIN+5 */
static sigset_t mask0;
static char altstack[64 * 1024];
static volatile sig_atomic_t usr1_runs, usr1_on_altstack, usr1_bad;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---- status and failure ---- */

static void put(char *buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(char *buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= STATUS_SIZE)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, STATUS_SIZE - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

static int write_status(const char *state, int code)
{
	char buf[STATUS_SIZE + 1], comm[17] = "";
	struct rlimit nofile = {0, 0}, core = {0, 0};
	char cwd[1024];
	size_t len = 0;

	if (status_fd < 0)
		return 0;
	status_seq++;
	(void)prctl(PR_GET_NAME, comm, 0, 0, 0);
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "?");
	(void)getrlimit(RLIMIT_NOFILE, &nofile);
	(void)getrlimit(RLIMIT_CORE, &core);
	put(buf, &len, "seq=%llu\n", (unsigned long long)status_seq);
	put(buf, &len, "pid=%d\nstate=%s\ncode=%d\n", (int)my_pid, state, code);
	put(buf, &len, "iter=%llu\nfeatures=%s\n", (unsigned long long)iter,
	    features_arg);
	put(buf, &len, "comm=%s\ncwd=%s\numask=%03o\n", comm, cwd, umask_seen);
	put(buf, &len, "nofile_cur=%llu\nnofile_max=%llu\ncore_cur=%llu\n",
	    (unsigned long long)nofile.rlim_cur,
	    (unsigned long long)nofile.rlim_max,
	    (unsigned long long)core.rlim_cur);
	put(buf, &len, "verified=%llu\nchunk_writes=%llu\nshm_rounds=%llu\n",
	    (unsigned long long)verified, (unsigned long long)chunk_writes,
	    (unsigned long long)shm_rounds);
	put(buf, &len, "sig_mono=%ld\nsig_tid=%ld\nsig_cpu=%ld\n",
	    (long)n_sig[0], (long)n_sig[3], (long)n_sig[2]);
	put(buf, &len, "sig_alrm=%ld\ntfd_exp=%llu\nnone_checks=%llu\n",
	    (long)n_alrm, (unsigned long long)tfd_exp,
	    (unsigned long long)none_checks);
	put(buf, &len, "records=%llu\nfile_pos=%llu\n",
	    (unsigned long long)records,
	    (unsigned long long)(records * RECORD_SIZE));
	put(buf, &len, "end=%llu\n", (unsigned long long)status_seq);
	if (len >= STATUS_SIZE)
		return -1;
	memset(buf + len, ' ', STATUS_SIZE - 1 - len);
	buf[STATUS_SIZE - 1] = '\n';
	for (;;) {
		ssize_t n = pwrite(status_fd, buf, STATUS_SIZE, 0);

		if (n == STATUS_SIZE)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, p;

	p = snprintf(line, sizeof(line), "restore_workload[%d]: ", (int)my_pid);
	va_start(ap, fmt);
	n = vsnprintf(line + p, sizeof(line) - (size_t)p - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += p;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write, unbuffered: nothing is lost when it exits */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

static void fail(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void fail(int code, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	say("FAILED (exit %d) at iteration %llu: %s", code,
	    (unsigned long long)iter, what);
	(void)write_status("failed", code);
	_exit(code);
}

#define CHECK(cond, code, ...)                                                 \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(code, __VA_ARGS__);                               \
	} while (0)

static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL +
	       (b->tv_nsec - a->tv_nsec);
}

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns};

	/* Interrupted by timer signals, and maybe by the restore ("sleeps
	 * that restart through restart_syscall(2) return EINTR"): fine. */
	(void)nanosleep(&ts, NULL);
}

/* ---- always: identity, attributes, registers ---- */

static uint32_t get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint64_t tls_want(void)
{
	return mix64(TLS_SEED ^ (uint64_t)(uintptr_t)&tls_canary);
}

static void setup_common(const char *dir)
{
	struct rlimit rl;

	CHECK(chdir(dir) == 0, RC_SETUP, "chdir %s: %s", dir, strerror(errno));
	CHECK(getcwd(cwd0, sizeof(cwd0)) != NULL, RC_SETUP, "getcwd: %s",
	      strerror(errno));
	umask(UMASK);
	dir_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir_fd >= 0, RC_SETUP, "open %s: %s", dir, strerror(errno));
	status_fd =
		open("status", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(status_fd >= 0, RC_SETUP, "open status: %s", strerror(errno));
	CHECK(prctl(PR_SET_NAME, COMM, 0, 0, 0) == 0, RC_SETUP,
	      "PR_SET_NAME: %s", strerror(errno));
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, RC_SETUP, "getrlimit");
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= NOFILE_CUR)
		rl.rlim_cur = NOFILE_CUR;
	else
		rl.rlim_cur = rl.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, RC_SETUP,
	      "setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	nofile0 = rl;
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0, RC_SETUP, "getrlimit");
	rl.rlim_cur = 0;
	CHECK(setrlimit(RLIMIT_CORE, &rl) == 0, RC_SETUP,
	      "setrlimit(RLIMIT_CORE): %s", strerror(errno));
	core0 = rl;
	tls_canary = tls_want();
	set_mxcsr((get_mxcsr() & ~MXCSR_RC_MASK) | MXCSR_RC_MASK);
	CHECK(write_status("setup", 0) == 0, RC_STATUS, "status: %s",
	      strerror(errno));
}

static void check_common(void)
{
	char comm[17] = "", cwd[4096];
	struct rlimit rl;
	pid_t pid = getpid();

	CHECK(pid == my_pid, RC_PID, "getpid() is %d, it was %d", (int)pid,
	      (int)my_pid);
	CHECK(prctl(PR_GET_NAME, comm, 0, 0, 0) == 0 && strcmp(comm, COMM) == 0,
	      RC_COMM, "comm is \"%s\", not \"%s\"", comm, COMM);
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, cwd0) == 0, RC_CWD,
	      "cwd is %s, not %s", cwd, cwd0);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		      rl.rlim_cur == nofile0.rlim_cur &&
		      rl.rlim_max == nofile0.rlim_max,
	      RC_RLIMIT, "RLIMIT_NOFILE is %llu/%llu, not %llu/%llu",
	      (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
	      (unsigned long long)nofile0.rlim_cur,
	      (unsigned long long)nofile0.rlim_max);
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
		      rl.rlim_max == core0.rlim_max,
	      RC_RLIMIT, "RLIMIT_CORE is %llu/%llu, not 0/%llu",
	      (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
	      (unsigned long long)core0.rlim_max);
	CHECK(tls_canary == tls_want(), RC_TLS,
	      "thread-local canary 0x%llx, want 0x%llx (fs_base?)",
	      (unsigned long long)tls_canary, (unsigned long long)tls_want());
	CHECK((get_mxcsr() & MXCSR_RC_MASK) == MXCSR_RC_MASK, RC_MXCSR,
	      "MXCSR is 0x%x: rounding control lost", get_mxcsr());
}

/* Reading the umask means setting it: only at the end. */
static void check_umask(void)
{
	mode_t m = umask(UMASK);

	umask_seen = (unsigned)m;
	CHECK(m == UMASK, RC_UMASK, "umask is %03o, not %03o", (unsigned)m,
	      UMASK);
}

static void check_lifetime(void)
{
	struct timespec now;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &now);
	CHECK(ns_between(&started, &now) < MAX_LIFETIME_S * 1000000000LL,
	      RC_LIFETIME, "ran for more than %d s: given up", MAX_LIFETIME_S);
	CHECK(fstat(dir_fd, &st) == 0 && st.st_nlink > 0, RC_ORPHANED,
	      "its directory is gone: given up");
}

/* ---- compute, shm ---- */

static uint64_t word_want(size_t c, size_t w)
{
	return mix64((uint64_t)c << 48 ^ (uint64_t)chunks[c].gen << 16 ^ w);
}

static void chunk_write(size_t c)
{
	uint64_t *p = chunks[c].p;

	chunks[c].gen++;
	for (size_t w = 0; w < CHUNK_WORDS; w++)
		p[w] = word_want(c, w);
}

static void add_chunk(void *p, enum region r)
{
	chunks[n_chunks].p = p;
	chunks[n_chunks].region = (uint8_t)r;
	chunk_write(n_chunks);
	n_chunks++;
}

static void check_zero(const unsigned char *p, size_t len, int code,
		       const char *what)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < len / 8; i++)
		CHECK(w[i] == 0, code,
		      "%s: byte %zu of the never written part is not 0", what,
		      i * 8);
}

static void setup_memory(void)
{
	if (features & F_COMPUTE) {
		for (int i = 0; i < HEAP_CHUNKS; i++) {
			void *p = malloc(CHUNK);

			CHECK(p != NULL, RC_SETUP, "malloc");
			add_chunk(p, R_HEAP);
		}
		for (int i = 0; i < BSS_CHUNKS; i++)
			add_chunk(bss_area + (size_t)i * CHUNK_WORDS, R_BSS);
		add_chunk(data_area, R_DATA);
		mmap_area = mmap(NULL, MMAP_LEN, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(mmap_area != MAP_FAILED, RC_SETUP, "mmap: %s",
		      strerror(errno));
		for (int i = 0; i < MMAP_CHUNKS; i++)
			add_chunk(mmap_area + (size_t)i * CHUNK, R_MMAP);
		seq_heap = malloc(sizeof(*seq_heap));
		CHECK(seq_heap != NULL, RC_SETUP, "malloc");
		/* The last word of the mapping (the never written MiB's
		 * zeros are checked up to it). */
		seq_mmap = (uint64_t *)(void *)(mmap_area + MMAP_LEN) - 1;
		*seq_heap = seq_data;
		*seq_mmap = seq_data * SEQ_MUL;
		brk0 = sbrk(0);
	}
	if (features & F_SHM) {
		shm_area = mmap(NULL, SHM_LEN, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(shm_area != MAP_FAILED, RC_SETUP, "mmap shared: %s",
		      strerror(errno));
		for (int i = 0; i < SHM_CHUNKS; i++)
			add_chunk(shm_area + (size_t)i * CHUNK, R_SHM);
	}
}

static void step_memory(void)
{
	if (!n_chunks)
		return;
	chunk_write(chunk_cursor);
	chunk_cursor = (chunk_cursor + 1) % n_chunks;
	chunk_writes++;
	for (size_t c = 0; c < n_chunks; c++) {
		const uint64_t *p = chunks[c].p;

		for (size_t w = 0; w < CHUNK_WORDS; w++) {
			uint64_t want = word_want(c, w);

			CHECK(p[w] == want, region_rc[chunks[c].region],
			      "%s: chunk %zu (generation %u) at %p, word %zu is "
			      "0x%llx, want 0x%llx",
			      region_name[chunks[c].region], c, chunks[c].gen,
			      (const void *)p, w, (unsigned long long)p[w],
			      (unsigned long long)want);
		}
	}
	if (features & F_COMPUTE) {
		/* The last 8 bytes hold seq_mmap. */
		check_zero(mmap_area + MMAP_CHUNKS * CHUNK,
			   MMAP_LEN - MMAP_CHUNKS * CHUNK - 8, RC_ZERO,
			   "private anonymous mmap");
		CHECK(*seq_heap == seq_data && *seq_mmap == seq_data * SEQ_MUL,
		      RC_SEQ,
		      "sequence: .data %llu, [heap] %llu, mmap 0x%llx (want "
		      "0x%llx)",
		      (unsigned long long)seq_data,
		      (unsigned long long)*seq_heap,
		      (unsigned long long)*seq_mmap,
		      (unsigned long long)(seq_data * SEQ_MUL));
		seq_data++;
		*seq_heap = seq_data;
		*seq_mmap = seq_data * SEQ_MUL;
		CHECK(sbrk(0) == brk0, RC_BRK, "brk is %p, it was %p", sbrk(0),
		      brk0);
	}
	if (features & F_SHM) {
		check_zero(shm_area + SHM_CHUNKS * CHUNK,
			   SHM_LEN - SHM_CHUNKS * CHUNK, RC_ZERO,
			   "shared anonymous mmap");
		shm_rounds++;
	}
	verified++;
}

/* ---- timers ---- */

#ifdef sigev_notify_thread_id
#define SIGEV_TID(sevp) ((sevp)->sigev_notify_thread_id)
#else
#define SIGEV_TID(sevp) ((sevp)->_sigev_un._tid)
#endif

#define PR_RESTORE_IDS	   77
#define PR_RESTORE_IDS_OFF 0
#define PR_RESTORE_IDS_ON  1
#define PR_RESTORE_IDS_GET 2

static int raw_timer_create(clockid_t clock, struct sigevent *sev, int *id)
{
	int32_t buf = *id; /* the kernel's timer_t is an int */

	if (syscall(SYS_timer_create, clock, sev, &buf) < 0)
		return -errno;
	*id = buf;
	return 0;
}

/*
 * Create a timer with exactly the ID wanted: explicitly when the kernel
 * has the prctl, else by walking the kernel's per-process ID counter
 * (created in ascending order in a process with no other timer, each ID
 * the kernel hands out is the one after the last).
 */
static void create_at(int want, clockid_t clock, struct sigevent *sev)
{
	bool explicit_ids =
		prctl(PR_RESTORE_IDS, PR_RESTORE_IDS_GET, 0, 0, 0) >= 0;
	int id, err;

	if (explicit_ids) {
		CHECK(prctl(PR_RESTORE_IDS, PR_RESTORE_IDS_ON, 0, 0, 0) == 0,
		      RC_SETUP, "PR_TIMER_CREATE_RESTORE_IDS ON: %s",
		      strerror(errno));
		id = want;
		err = raw_timer_create(clock, sev, &id);
		CHECK(prctl(PR_RESTORE_IDS, PR_RESTORE_IDS_OFF, 0, 0, 0) == 0,
		      RC_SETUP, "PR_TIMER_CREATE_RESTORE_IDS OFF: %s",
		      strerror(errno));
		CHECK(err == 0 && id == want, RC_SETUP,
		      "timer_create at ID %d: %s, got %d", want, strerror(-err),
		      id);
		return;
	}
	for (;;) {
		id = -1;
		err = raw_timer_create(clock, sev, &id);
		CHECK(err == 0, RC_SETUP, "timer_create: %s", strerror(-err));
		if (id == want)
			return;
		CHECK(id < want, RC_SETUP,
		      "linear walk to ID %d: the kernel handed out %d", want,
		      id);
		CHECK(syscall(SYS_timer_delete, id) == 0, RC_SETUP,
		      "timer_delete %d: %s", id, strerror(errno));
	}
}

static int timer_index(int signo)
{
	if (signo == sig_mono)
		return 0;
	if (signo == sig_cpu)
		return 2;
	if (signo == sig_tid)
		return 3;
	return -1;
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	int k = timer_index(sig);

	(void)uc;
	if (k < 0 || si->si_code != SI_TIMER ||
	    si->si_timerid != timer_ids[k] ||
	    (uint64_t)(uintptr_t)si->si_value.sival_ptr !=
		    (TIMER_MAGIC ^ (uint64_t)timer_ids[k])) {
		if (!n_bad) {
			bad_signo = sig;
			bad_code = si->si_code;
			bad_timerid = si->si_timerid;
			bad_value = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
		}
		n_bad++;
		return;
	}
	n_sig[k]++;
}

static void on_alrm(int sig)
{
	(void)sig;
	n_alrm++;
}

static void setup_timers(void)
{
	static const clockid_t clocks[N_TIMERS] = {
		CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_BOOTTIME};
	struct sigaction sa = {.sa_sigaction = on_timer,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	struct sigaction alrm = {.sa_handler = on_alrm, .sa_flags = SA_RESTART};
	struct itimerval itv = {{0, ITIMER_US}, {0, ITIMER_US}};
	struct itimerspec tfd_its = {{0, TIMERFD_NS}, {0, TIMERFD_NS}};

	for (int k = 0; k < N_TIMERS; k++)
		timer_ids[k] = features & F_TIMERS_LOW ? timer_ids_far[k] / 1000
						       : timer_ids_far[k];
	sig_mono = SIGRTMIN;
	sig_tid = SIGRTMIN + 1;
	sig_cpu = SIGRTMIN + 2;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&alrm.sa_mask);
	CHECK(sigaction(sig_mono, &sa, NULL) == 0 &&
		      sigaction(sig_tid, &sa, NULL) == 0 &&
		      sigaction(sig_cpu, &sa, NULL) == 0 &&
		      sigaction(SIGALRM, &alrm, NULL) == 0,
	      RC_SETUP, "sigaction: %s", strerror(errno));

	for (int k = 0; k < N_TIMERS; k++) {
		struct sigevent sev;
		struct itimerspec its = {{timer_interval_ns[k] / 1000000000L,
					  timer_interval_ns[k] % 1000000000L},
					 {timer_interval_ns[k] / 1000000000L,
					  timer_interval_ns[k] % 1000000000L}};
		struct itimerspec cur;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_value.sival_ptr =
			(void *)(uintptr_t)(TIMER_MAGIC ^
					    (uint64_t)timer_ids[k]);
		switch (k) {
		case 0:
			sev.sigev_notify = SIGEV_SIGNAL;
			sev.sigev_signo = sig_mono;
			break;
		case 1:
			sev.sigev_notify = SIGEV_NONE;
			sev.sigev_signo = SIGRTMIN + 3;
			break;
		case 2:
			sev.sigev_notify = SIGEV_SIGNAL;
			sev.sigev_signo = sig_cpu;
			break;
		default:
			sev.sigev_notify = SIGEV_THREAD_ID;
			sev.sigev_signo = sig_tid;
			SIGEV_TID(&sev) = (pid_t)syscall(SYS_gettid);
			break;
		}
		create_at(timer_ids[k], clocks[k], &sev);
		/* glibc's timer_t of a kernel timer is its ID (not so for
		 * its SIGEV_THREAD emulation, which is not used here) */
		timers[k] = (timer_t)(intptr_t)timer_ids[k];
		CHECK(timer_settime(timers[k], 0, &its, NULL) == 0, RC_SETUP,
		      "timer_settime ID %d: %s", timer_ids[k], strerror(errno));
		CHECK(timer_gettime(timers[k], &cur) == 0 &&
			      cur.it_interval.tv_nsec ==
				      its.it_interval.tv_nsec,
		      RC_SETUP, "timer_gettime ID %d through glibc: %s",
		      timer_ids[k], strerror(errno));
	}
	CHECK(setitimer(ITIMER_REAL, &itv, NULL) == 0, RC_SETUP,
	      "setitimer: %s", strerror(errno));
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK(tfd >= 0, RC_SETUP, "timerfd_create: %s", strerror(errno));
	CHECK(timerfd_settime(tfd, 0, &tfd_its, NULL) == 0, RC_SETUP,
	      "timerfd_settime: %s", strerror(errno));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_mark);
}

static void read_timerfd(void)
{
	uint64_t n;
	ssize_t r = read(tfd, &n, sizeof(n));

	if (r == (ssize_t)sizeof(n)) {
		tfd_exp += n;
		return;
	}
	CHECK(r < 0 && (errno == EAGAIN || errno == EINTR), RC_TIMERFD,
	      "read of the timerfd: %zd, %s", r,
	      r < 0 ? strerror(errno) : "short");
}

/* Some CPU time, for the CPU clock timer. A restored process has a CPU
 * clock of its own, which starts again near 0: a reading below the mark
 * moves the mark. */
static void burn_cpu(void)
{
	struct timespec now;
	volatile uint64_t x = 1;

	for (;;) {
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
		if (ns_between(&cpu_mark, &now) < 0)
			cpu_mark = now;
		else if (ns_between(&cpu_mark, &now) >= CPU_BURN_NS)
			break;
	}
	cpu_mark = now;
}

static void check_bad_siginfo(void)
{
	CHECK(n_bad == 0, RC_SIGINFO,
	      "%d timer signal(s) with a wrong siginfo, the first: signal %d, "
	      "si_code %d, si_timerid %d, si_value 0x%llx",
	      (int)n_bad, bad_signo, bad_code, bad_timerid,
	      (unsigned long long)bad_value);
}

/*
 * A saved timer_t still works, with its interval, armed. A value of 0 is
 * read again a few times: some kernels show a CPU clock timer whose signal
 * is pending as disarmed until the signal is taken, which happens on the
 * way out of the call.
 */
static void check_timer(int k)
{
	struct itimerspec cur;
	long iv = timer_interval_ns[k];

	for (int tries = 0; tries < 5; tries++) {
		CHECK(timer_gettime(timers[k], &cur) == 0, RC_TIMER_GET,
		      "timer_gettime of timer_t %p (ID %d): %s", timers[k],
		      timer_ids[k], strerror(errno));
		CHECK(cur.it_interval.tv_sec == iv / 1000000000L &&
			      cur.it_interval.tv_nsec == iv % 1000000000L,
		      RC_TIMER_INTERVAL,
		      "ID %d has interval %lld.%09ld s, not %ld ns",
		      timer_ids[k], (long long)cur.it_interval.tv_sec,
		      cur.it_interval.tv_nsec, iv);
		if (cur.it_value.tv_sec != 0 || cur.it_value.tv_nsec != 0)
			return;
		sleep_ns(1000000);
	}
	fail(RC_TIMER_DISARMED, "ID %d is disarmed", timer_ids[k]);
}

static void step_timers(void)
{
	read_timerfd();
	check_timer(1);
	none_checks++;
	check_bad_siginfo();
	burn_cpu();
}

static void final_timers(void)
{
	struct itimerval itv;
	struct itimerspec its;
	long base[N_TIMERS];
	long alrm0 = n_alrm;
	uint64_t tfd0 = tfd_exp;
	struct timespec t0, now;
	bool quiet;

	for (int k = 0; k < N_TIMERS; k++)
		check_timer(k);
	/* A value of 0 with a SIGALRM pending until it is taken: again. */
	for (int tries = 0; tries < 5; tries++) {
		CHECK(getitimer(ITIMER_REAL, &itv) == 0, RC_ITIMER,
		      "getitimer: %s", strerror(errno));
		if (itv.it_value.tv_sec || itv.it_value.tv_usec)
			break;
		sleep_ns(1000000);
	}
	CHECK(itv.it_interval.tv_sec == 0 &&
		      itv.it_interval.tv_usec == ITIMER_US,
	      RC_ITIMER, "ITIMER_REAL has interval %lld.%06ld s, not %d us",
	      (long long)itv.it_interval.tv_sec, (long)itv.it_interval.tv_usec,
	      ITIMER_US);
	CHECK(itv.it_value.tv_sec != 0 || itv.it_value.tv_usec != 0, RC_ITIMER,
	      "ITIMER_REAL is disarmed");
	/* A periodic timerfd reads 0 for a moment at each expiry: again. */
	for (int tries = 0; tries < 5; tries++) {
		CHECK(timerfd_gettime(tfd, &its) == 0, RC_TIMERFD,
		      "timerfd_gettime: %s", strerror(errno));
		if (its.it_value.tv_sec || its.it_value.tv_nsec)
			break;
		sleep_ns(1000000);
	}
	CHECK(its.it_interval.tv_sec == 0 &&
		      its.it_interval.tv_nsec == TIMERFD_NS,
	      RC_TIMERFD, "the timerfd has interval %lld.%09ld s, not %ld ns",
	      (long long)its.it_interval.tv_sec, its.it_interval.tv_nsec,
	      TIMERFD_NS);
	CHECK(its.it_value.tv_sec != 0 || its.it_value.tv_nsec != 0, RC_TIMERFD,
	      "the timerfd is disarmed");

	/* Everything delivers again (a generous deadline: no timing). */
	for (int k = 0; k < N_TIMERS; k++)
		base[k] = n_sig[k];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		read_timerfd();
		burn_cpu();
		check_bad_siginfo();
		quiet = n_sig[0] == base[0] || n_sig[2] == base[2] ||
			n_sig[3] == base[3] || n_alrm == alrm0 ||
			tfd_exp == tfd0;
		if (!quiet)
			return;
		sleep_ns(2000000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (ns_between(&t0, &now) < 10000000000LL);
	fail(RC_TIMER_SILENT, "no delivery in 10 s from:%s%s%s%s%s",
	     n_sig[0] == base[0] ? " ID 0" : "",
	     n_sig[2] == base[2] ? " ID 1500000" : "",
	     n_sig[3] == base[3] ? " ID 2000000" : "",
	     n_alrm == alrm0 ? " ITIMER_REAL" : "",
	     tfd_exp == tfd0 ? " the timerfd" : "");
}

/* ---- file ---- */

static void record_make(uint64_t i, uint64_t rec[4])
{
	rec[0] = RECORD_MAGIC;
	rec[1] = i;
	rec[2] = ~i;
	rec[3] = i * SEQ_MUL;
}

static void setup_file(void)
{
	records_fd =
		open("records", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(records_fd >= 0, RC_SETUP, "open records: %s", strerror(errno));
}

static void check_file_pos(void)
{
	off_t pos = lseek(records_fd, 0, SEEK_CUR);

	CHECK(pos == (off_t)(records * RECORD_SIZE), RC_FILE_POS,
	      "records is at offset %lld, not %llu (record %llu)",
	      (long long)pos, (unsigned long long)(records * RECORD_SIZE),
	      (unsigned long long)records);
}

static void step_file(void)
{
	uint64_t rec[4];
	ssize_t n;

	check_file_pos();
	record_make(records, rec);
	do
		n = write(records_fd, rec, sizeof(rec));
	while (n < 0 && errno == EINTR);
	CHECK(n == (ssize_t)sizeof(rec), RC_FILE_WRITE,
	      "write of record %llu: %zd, %s", (unsigned long long)records, n,
	      n < 0 ? strerror(errno) : "short");
	records++;
}

static void final_file(void)
{
	uint64_t rec[4], want[4];
	struct stat st;
	int fd;

	check_file_pos();
	fd = open("records", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, RC_FILE_CONTENT, "open records: %s", strerror(errno));
	CHECK(fstat(fd, &st) == 0 &&
		      st.st_size == (off_t)(records * RECORD_SIZE),
	      RC_FILE_CONTENT, "records holds %lld bytes, not %llu",
	      (long long)st.st_size,
	      (unsigned long long)(records * RECORD_SIZE));
	for (uint64_t i = 0; i < records; i++) {
		ssize_t n =
			pread(fd, rec, sizeof(rec), (off_t)(i * RECORD_SIZE));

		record_make(i, want);
		CHECK(n == (ssize_t)sizeof(rec) &&
			      memcmp(rec, want, sizeof(rec)) == 0,
		      RC_FILE_CONTENT,
		      "record %llu reads as index %llu (magic 0x%llx)",
		      (unsigned long long)i, (unsigned long long)rec[1],
		      (unsigned long long)rec[0]);
	}
	close(fd);
}

/* ---- signals ---- */

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)sig;
	(void)uc;
	usr1_runs++;
	usr1_on_altstack =
		&here >= altstack && &here < altstack + sizeof(altstack);
	if (si->si_code != SI_QUEUE ||
	    (uint64_t)(uintptr_t)si->si_value.sival_ptr != USR1_MAGIC)
		usr1_bad++;
}

static void setup_signals(void)
{
	struct sigaction sa = {.sa_sigaction = on_usr1,
			       .sa_flags =
				       SA_SIGINFO | SA_RESTART | SA_ONSTACK};
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	sigset_t block;

	sig_q = SIGRTMIN + 5;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	CHECK(sigaltstack(&ss, NULL) == 0, RC_SETUP, "sigaltstack: %s",
	      strerror(errno));
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0 &&
		      signal(SIGPIPE, SIG_IGN) != SIG_ERR &&
		      signal(SIGHUP, SIG_IGN) != SIG_ERR,
	      RC_SETUP, "sigaction: %s", strerror(errno));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, sig_q);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0, RC_SETUP,
	      "sigprocmask: %s", strerror(errno));
	CHECK(sigprocmask(SIG_BLOCK, NULL, &mask0) == 0, RC_SETUP,
	      "sigprocmask: %s", strerror(errno));
	CHECK(syscall(SYS_tgkill, my_pid, (pid_t)syscall(SYS_gettid),
		      SIGUSR2) == 0,
	      RC_SETUP, "tgkill: %s", strerror(errno));
	CHECK(sigqueue(my_pid, sig_q,
		       (union sigval){.sival_ptr =
					      (void *)(uintptr_t)SIGQ_MAGIC}) ==
		      0,
	      RC_SETUP, "sigqueue: %s", strerror(errno));
}

static void step_signals(void)
{
	sigset_t pend, cur;

	CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2) == 1 &&
		      sigismember(&pend, sig_q) == 1,
	      RC_SIG_PENDING, "pending: SIGUSR2 %d, SIGRTMIN+5 %d",
	      sigismember(&pend, SIGUSR2), sigismember(&pend, sig_q));
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0, RC_SIG_MASK,
	      "sigprocmask: %s", strerror(errno));
	for (int s = 1; s < NSIG; s++)
		CHECK(sigismember(&cur, s) == sigismember(&mask0, s),
		      RC_SIG_MASK, "signal %d is %sblocked now", s,
		      sigismember(&cur, s) ? "" : "no longer ");
}

static void final_signals(void)
{
	struct sigaction old;
	struct timespec zero = {0, 0};
	siginfo_t si;
	stack_t ss;

	step_signals();
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0, RC_SIG_ACTION,
	      "sigaction: %s", strerror(errno));
	CHECK(old.sa_sigaction == on_usr1, RC_SIG_ACTION,
	      "SIGUSR1 handler %p, not %p", (void *)(uintptr_t)old.sa_sigaction,
	      (void *)(uintptr_t)on_usr1);
	CHECK((old.sa_flags & (SA_SIGINFO | SA_RESTART | SA_ONSTACK)) ==
		      (SA_SIGINFO | SA_RESTART | SA_ONSTACK),
	      RC_SIG_ACTION, "SIGUSR1 flags 0x%x", (unsigned)old.sa_flags);
	CHECK(sigismember(&old.sa_mask, SIGTERM) == 1 &&
		      sigismember(&old.sa_mask, SIGINT) == 0,
	      RC_SIG_ACTION, "SIGUSR1's sa_mask changed");
	CHECK(sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_IGN,
	      RC_SIG_ACTION, "SIGPIPE is no longer ignored");
	CHECK(sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler == SIG_IGN,
	      RC_SIG_ACTION, "SIGHUP is no longer ignored");
	CHECK(sigaction(SIGTERM, NULL, &old) == 0 && old.sa_handler == SIG_DFL,
	      RC_SIG_ACTION, "SIGTERM is no longer SIG_DFL");
	CHECK(sigaltstack(NULL, &ss) == 0 && ss.ss_sp == altstack &&
		      ss.ss_size == sizeof(altstack) && ss.ss_flags == 0,
	      RC_ALTSTACK, "alternate stack %p size %zu flags %d, not %p %zu",
	      ss.ss_sp, ss.ss_size, ss.ss_flags, (void *)altstack,
	      sizeof(altstack));

	/* The pending signals, with what they were sent with. */
	{
		sigset_t one;
		int got;

		sigemptyset(&one);
		sigaddset(&one, sig_q);
		memset(&si, 0, sizeof(si));
		got = sigtimedwait(&one, &si, &zero);
		CHECK(got == sig_q, RC_SIG_INFO,
		      "sigtimedwait(SIGRTMIN+5): %d, %s", got, strerror(errno));
		CHECK(si.si_code == SI_QUEUE && si.si_pid == my_pid &&
			      (uint64_t)(uintptr_t)si.si_value.sival_ptr ==
				      SIGQ_MAGIC,
		      RC_SIG_INFO,
		      "SIGRTMIN+5: si_code %d, si_pid %d, si_value 0x%llx",
		      si.si_code, (int)si.si_pid,
		      (unsigned long long)(uintptr_t)si.si_value.sival_ptr);
		sigemptyset(&one);
		sigaddset(&one, SIGUSR2);
		memset(&si, 0, sizeof(si));
		got = sigtimedwait(&one, &si, &zero);
		CHECK(got == SIGUSR2, RC_SIG_INFO,
		      "sigtimedwait(SIGUSR2): %d, %s", got, strerror(errno));
		/* tgkill's si_code is SI_TKILL, or SI_USER on Linux 6.18 */
		CHECK((si.si_code == SI_TKILL || si.si_code == SI_USER) &&
			      si.si_pid == my_pid,
		      RC_SIG_INFO, "SIGUSR2: si_code %d, si_pid %d", si.si_code,
		      (int)si.si_pid);
	}

	/* A SIGUSR1 runs the handler on the alternate stack. */
	CHECK(sigqueue(my_pid, SIGUSR1,
		       (union sigval){.sival_ptr =
					      (void *)(uintptr_t)USR1_MAGIC}) ==
		      0,
	      RC_SIG_HANDLER, "sigqueue: %s", strerror(errno));
	/* Delivered on the way out of sigqueue; at the latest here. */
	for (int i = 0; i < 1000 && !usr1_runs; i++)
		sleep_ns(1000000);
	CHECK(usr1_runs == 1 && usr1_bad == 0 && usr1_on_altstack,
	      RC_SIG_HANDLER,
	      "SIGUSR1: runs %d, bad siginfo %d, on the "
	      "alternate stack %d",
	      (int)usr1_runs, (int)usr1_bad, (int)usr1_on_altstack);
}

/* ---- main loop ---- */

static bool stop_requested(void)
{
	return faccessat(dir_fd, "stop", F_OK, 0) == 0;
}

static uint64_t stack_want(const volatile uint64_t *canary, size_t i)
{
	return mix64(0x737461636bULL ^ (uint64_t)(uintptr_t)&canary[i]);
}

/* ---- creds ---- */

struct creds_state {
	uid_t uid[3];
	gid_t gid[3];
	int n_groups;
	gid_t groups[64];
	uint32_t caps[6]; /* capget v3: eff, prm, inh of each half */
	uint64_t ambient;
	int securebits, dumpable, no_new_privs, subreaper, pdeathsig, thp;
	long slack;
	int persona;
};
static struct creds_state creds0;

static void read_creds(struct creds_state *c)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0};

	memset(c, 0, sizeof(*c));
	CHECK(getresuid(&c->uid[0], &c->uid[1], &c->uid[2]) == 0 &&
		      getresgid(&c->gid[0], &c->gid[1], &c->gid[2]) == 0,
	      RC_CREDS, "getresuid/getresgid: %s", strerror(errno));
	c->n_groups = getgroups(64, c->groups);
	CHECK(c->n_groups >= 0, RC_CREDS, "getgroups: %s", strerror(errno));
	CHECK(syscall(SYS_capget, &hdr, c->caps) == 0, RC_CREDS, "capget: %s",
	      strerror(errno));
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) ==
		    1)
			c->ambient |= 1ULL << cap;
	c->securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	c->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	c->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &c->subreaper, 0, 0, 0) == 0 &&
		      prctl(PR_GET_PDEATHSIG, &c->pdeathsig, 0, 0, 0) == 0,
	      RC_CREDS, "prctl: %s", strerror(errno));
	c->thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	c->slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	c->persona = (int)syscall(SYS_personality, 0xffffffffUL);
}

static void setup_creds(void)
{
	if (features & F_NODUMP)
		CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, RC_SETUP,
		      "PR_SET_DUMPABLE: %s", strerror(errno));
	read_creds(&creds0);
}

static void check_creds(void)
{
	struct creds_state c;

	read_creds(&c);
	CHECK(memcmp(c.uid, creds0.uid, sizeof(c.uid)) == 0 &&
		      memcmp(c.gid, creds0.gid, sizeof(c.gid)) == 0,
	      RC_CREDS, "uids %u %u %u gids %u %u %u, were %u %u %u, %u %u %u",
	      c.uid[0], c.uid[1], c.uid[2], c.gid[0], c.gid[1], c.gid[2],
	      creds0.uid[0], creds0.uid[1], creds0.uid[2], creds0.gid[0],
	      creds0.gid[1], creds0.gid[2]);
	CHECK(c.n_groups == creds0.n_groups &&
		      memcmp(c.groups, creds0.groups, sizeof(c.groups)) == 0,
	      RC_CREDS, "%d groups, were %d (or others)", c.n_groups,
	      creds0.n_groups);
	CHECK(memcmp(c.caps, creds0.caps, sizeof(c.caps)) == 0 &&
		      c.ambient == creds0.ambient,
	      RC_CREDS,
	      "capabilities eff 0x%x prm 0x%x inh 0x%x amb 0x%llx, "
	      "were 0x%x 0x%x 0x%x 0x%llx",
	      c.caps[0], c.caps[1], c.caps[2], (unsigned long long)c.ambient,
	      creds0.caps[0], creds0.caps[1], creds0.caps[2],
	      (unsigned long long)creds0.ambient);
	CHECK(c.securebits == creds0.securebits &&
		      c.dumpable == creds0.dumpable &&
		      c.no_new_privs == creds0.no_new_privs,
	      RC_CREDS,
	      "securebits 0x%x dumpable %d no_new_privs %d, were "
	      "0x%x %d %d",
	      c.securebits, c.dumpable, c.no_new_privs, creds0.securebits,
	      creds0.dumpable, creds0.no_new_privs);
	CHECK(c.subreaper == creds0.subreaper &&
		      c.pdeathsig == creds0.pdeathsig && c.thp == creds0.thp &&
		      c.slack == creds0.slack && c.persona == creds0.persona,
	      RC_CREDS,
	      "subreaper %d pdeathsig %d thp %d slack %ld persona "
	      "0x%x, were %d %d %d %ld 0x%x",
	      c.subreaper, c.pdeathsig, c.thp, c.slack, c.persona,
	      creds0.subreaper, creds0.pdeathsig, creds0.thp, creds0.slack,
	      creds0.persona);
}

static int run(void)
{
	volatile uint64_t canary[STACK_WORDS];

	for (size_t i = 0; i < STACK_WORDS; i++)
		canary[i] = stack_want(canary, i);
	CHECK(write_status("running", 0) == 0, RC_STATUS, "status: %s",
	      strerror(errno));
	say("running: features %s, pid %d", features_arg, (int)my_pid);
	for (;;) {
		iter++;
		check_common();
		if (features & (F_CREDS | F_NODUMP))
			check_creds();
		for (size_t i = 0; i < STACK_WORDS; i++)
			CHECK(canary[i] == stack_want(canary, i), RC_STACK,
			      "stack canary word %zu at %p is 0x%llx", i,
			      (const void *)&canary[i],
			      (unsigned long long)canary[i]);
		step_memory();
		if (features & F_TIMERS)
			step_timers();
		if (features & F_FILE)
			step_file();
		if (features & F_SIGNALS)
			step_signals();
		CHECK(write_status("running", 0) == 0, RC_STATUS, "status: %s",
		      strerror(errno));
		if (stop_requested())
			break;
		check_lifetime();
		sleep_ns(1000000);
	}

	say("stop seen at iteration %llu: final checks",
	    (unsigned long long)iter);
	check_umask();
	CHECK(write_status("checking", 0) == 0, RC_STATUS, "status: %s",
	      strerror(errno));
	check_common();
	if (features & (F_CREDS | F_NODUMP))
		check_creds();
	step_memory();
	if (features & F_TIMERS)
		final_timers();
	if (features & F_FILE)
		final_file();
	if (features & F_SIGNALS)
		final_signals();
	CHECK(write_status("done", 0) == 0, RC_STATUS, "status: %s",
	      strerror(errno));
	say("all checks passed after %llu iterations",
	    (unsigned long long)iter);
	return RC_OK;
}

static unsigned parse_features(const char *arg)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"compute", F_COMPUTE}, {"shm", F_SHM},
		{"timers", F_TIMERS},	{"file", F_FILE},
		{"signals", F_SIGNALS}, {"timers-low", F_TIMERS | F_TIMERS_LOW},
		{"creds", F_CREDS},	{"nodump", F_NODUMP}};
	unsigned f = 0;

	while (*arg) {
		size_t len = strcspn(arg, ",");
		bool known = false;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len &&
			    strncmp(arg, names[i].name, len) == 0) {
				f |= names[i].bit;
				known = true;
			}
		if (!known)
			return 0;
		arg += len;
		if (*arg == ',')
			arg++;
	}
	return f;
}

int main(int argc, char **argv)
{
	sigset_t none;

	my_pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &started);
	if (argc != 3 || !(features = parse_features(argv[1]))) {
		say("usage: restore_workload "
		    "compute|shm|timers|timers-low|file|signals|creds|nodump"
		    "[,...] DIR");
		return RC_USAGE;
	}
	features_arg = argv[1];
	sigemptyset(&none);
	CHECK(sigprocmask(SIG_SETMASK, &none, NULL) == 0, RC_SETUP,
	      "sigprocmask: %s", strerror(errno));
	setup_common(argv[2]);
	setup_memory();
	if (features & F_TIMERS)
		setup_timers();
	if (features & F_FILE)
		setup_file();
	if (features & F_SIGNALS)
		setup_signals();
	if (features & (F_CREDS | F_NODUMP))
		setup_creds();
	return run();
}
