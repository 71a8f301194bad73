/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process for test_inject to seize, run code in and release: it keeps
 * timers firing, registers and memory under watch, and says on request
 * whether anything it watches was disturbed.
 *
 *   target_workload [-t N] [-m MODE] [-s] [-I] [-q]
 *     -t N     worker threads (default 2): they take the timer signals,
 *              run the register canary and verify a checksum of 1 MiB
 *     -m MODE  what the main thread does:
 *              spin        the register canary, over and over (default)
 *              sleep:MS    nanosleep(MS) in a loop; prints after each
 *                          "slept req_ms=MS got_us=US rc=RC"
 *              read        read(2) on a pipe the control thread feeds;
 *                          prints "main read N TEXT"
 *              sigsuspend  sigsuspend() waiting for SIGUSR2 (blocked
 *                          otherwise); prints "main woke usr2=N mask=HEX"
 *     -s       a spawner thread that keeps starting short-lived threads
 *     -I       SIGTRAP and SIGSEGV ignored (SIG_IGN)
 *     -q       a thread that queues SIGRTMIN+2 to the main thread (which
 *              counts them) as fast as they are taken, to catch signals in
 *              flight
 *
 * Timers: two periodic POSIX timers (raw timer_create, CLOCK_MONOTONIC,
 * SIGRTMIN every 2 ms and SIGRTMIN+1 every 3 ms) and ITIMER_REAL (SIGALRM
 * every 5 ms). The main and control threads block them, so only workers
 * take them. Every thread blocks SIGWINCH and SIGPWR, and the process
 * sends itself SIGWINCH (pending for the process) and the main thread
 * SIGPWR (pending for it): stable pending sets to compare.
 *
 * Commands on stdin, one a line, each answered with one line on stdout:
 *   r       "report KEY=VALUE ..." (see report())
 *   w TEXT  feed TEXT to the main thread's pipe (mode read); "wrote N"
 *   x       stop the -q sender; "stopped sent=N got=N"
 *   q       exit 0
 * At start, once everything runs: "ready pid=PID".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CSUM_BYTES   (1u << 20)
#define CANARY_ITERS 200000UL
#define MAX_WORKERS  16
#define SPAWN_LIVE   8

/* What the register canary loads into callee-saved and vector registers
 * before a long loop, and reads back after it. */
struct canary {
	uint64_t gp[5];	    /* rbx, r12, r13, r14, r15 */
	uint8_t vec[2][32]; /* ymm8, ymm15 (xmm halves without AVX) */
	uint32_t mxcsr;
};

static atomic_ulong n_rt1, n_rt2, n_alrm, n_usr2, n_rtq;
static atomic_ulong canary_runs, canary_bad, csum_runs, csum_bad, spawned;
static atomic_ulong queued_sent;
static atomic_int stop_queue;
static atomic_int live_spawned;
static atomic_ullong main_mask, main_pend;
static bool have_avx;
static uint8_t *csum_buf;
static uint64_t csum_want;
static int feed[2]; /* control thread -> main thread (mode read) */
static pid_t main_tid;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write: lines of different threads never mix */
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		_exit(3);
}

static void on_signal(int sig)
{
	if (sig == SIGRTMIN)
		n_rt1++;
	else if (sig == SIGRTMIN + 1)
		n_rt2++;
	else if (sig == SIGRTMIN + 2)
		n_rtq++;
	else if (sig == SIGALRM)
		n_alrm++;
	else if (sig == SIGUSR2)
		n_usr2++;
}

static void canary_sse(const struct canary *in, struct canary *out,
		       unsigned long iters)
{
	__asm__ volatile("mov 0(%[in]), %%rbx\n\t"
			 "mov 8(%[in]), %%r12\n\t"
			 "mov 16(%[in]), %%r13\n\t"
			 "mov 24(%[in]), %%r14\n\t"
			 "mov 32(%[in]), %%r15\n\t"
			 "movdqu 40(%[in]), %%xmm8\n\t"
			 "movdqu 72(%[in]), %%xmm15\n\t"
			 "ldmxcsr 104(%[in])\n\t"
			 "mov %[n], %%rcx\n"
			 "1:\n\t"
			 "imul $0x5bd1e995, %%rax, %%rax\n\t"
			 "add %%rcx, %%rax\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 "mov %%rbx, 0(%[out])\n\t"
			 "mov %%r12, 8(%[out])\n\t"
			 "mov %%r13, 16(%[out])\n\t"
			 "mov %%r14, 24(%[out])\n\t"
			 "mov %%r15, 32(%[out])\n\t"
			 "movdqu %%xmm8, 40(%[out])\n\t"
			 "movdqu %%xmm15, 72(%[out])\n\t"
			 "stmxcsr 104(%[out])\n\t"
			 :
			 : [in] "r"(in), [out] "r"(out), [n] "r"(iters)
			 : "rax", "rbx", "rcx", "r12", "r13", "r14", "r15",
			   "xmm8", "xmm15", "memory", "cc");
}

static void canary_avx(const struct canary *in, struct canary *out,
		       unsigned long iters)
{
	__asm__ volatile("mov 0(%[in]), %%rbx\n\t"
			 "mov 8(%[in]), %%r12\n\t"
			 "mov 16(%[in]), %%r13\n\t"
			 "mov 24(%[in]), %%r14\n\t"
			 "mov 32(%[in]), %%r15\n\t"
			 "vmovdqu 40(%[in]), %%ymm8\n\t"
			 "vmovdqu 72(%[in]), %%ymm15\n\t"
			 "ldmxcsr 104(%[in])\n\t"
			 "mov %[n], %%rcx\n"
			 "1:\n\t"
			 "imul $0x5bd1e995, %%rax, %%rax\n\t"
			 "add %%rcx, %%rax\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 "mov %%rbx, 0(%[out])\n\t"
			 "mov %%r12, 8(%[out])\n\t"
			 "mov %%r13, 16(%[out])\n\t"
			 "mov %%r14, 24(%[out])\n\t"
			 "mov %%r15, 32(%[out])\n\t"
			 "vmovdqu %%ymm8, 40(%[out])\n\t"
			 "vmovdqu %%ymm15, 72(%[out])\n\t"
			 "stmxcsr 104(%[out])\n\t"
			 "vzeroupper\n\t"
			 :
			 : [in] "r"(in), [out] "r"(out), [n] "r"(iters)
			 : "rax", "rbx", "rcx", "r12", "r13", "r14", "r15",
			   "xmm8", "xmm15", "memory", "cc");
}

/* One canary round: load, loop, compare. Returns whether it held. */
static bool canary_round(uint64_t seed)
{
	struct canary in, out;
	static const uint32_t mxcsr_default = 0x1f80;
	bool ok;

	for (int i = 0; i < 5; i++)
		in.gp[i] = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i;
	for (int v = 0; v < 2; v++)
		for (int i = 0; i < 32; i++)
			in.vec[v][i] =
				(uint8_t)(seed >> (i % 8) ^ (v * 16 + i));
	in.mxcsr = 0x7f80; /* round toward zero: not the default */
	memset(&out, 0, sizeof(out));
	if (have_avx)
		canary_avx(&in, &out, CANARY_ITERS);
	else
		canary_sse(&in, &out, CANARY_ITERS);
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_default));
	ok = memcmp(in.gp, out.gp, sizeof(in.gp)) == 0 &&
	     memcmp(in.vec, out.vec, have_avx ? sizeof(in.vec) : 16) == 0 &&
	     memcmp(in.vec[1], out.vec[1], have_avx ? 32 : 16) == 0 &&
	     in.mxcsr == out.mxcsr;
	canary_runs++;
	if (!ok) {
		canary_bad++;
		say("canary broken: rbx %llx/%llx r15 %llx/%llx mxcsr %x/%x",
		    (unsigned long long)in.gp[0], (unsigned long long)out.gp[0],
		    (unsigned long long)in.gp[4], (unsigned long long)out.gp[4],
		    in.mxcsr, out.mxcsr);
	}
	return ok;
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 1099511628211ULL;
	}
	return h;
}

static void block(int how, const int *sigs)
{
	sigset_t set;

	sigemptyset(&set);
	for (; *sigs; sigs++)
		sigaddset(&set, *sigs);
	if (pthread_sigmask(how, &set, NULL))
		_exit(4);
}

static void record_main_mask(void)
{
	sigset_t m, p;
	unsigned long long mm = 0, pp = 0;

	if (pthread_sigmask(SIG_BLOCK, NULL, &m) || sigpending(&p))
		_exit(5);
	for (int s = 1; s <= 64; s++) {
		if (sigismember(&m, s) == 1)
			mm |= 1ULL << (s - 1);
		if (sigismember(&p, s) == 1)
			pp |= 1ULL << (s - 1);
	}
	main_mask = mm;
	main_pend = pp;
}

static void *worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg;
	int timers[] = {SIGRTMIN, SIGRTMIN + 1, SIGALRM, 0};

	block(SIG_UNBLOCK, timers);
	for (;;) {
		canary_round(seed++);
		csum_runs++;
		if (checksum(csum_buf, CSUM_BYTES) != csum_want) {
			csum_bad++;
			say("checksum broken");
		}
	}
	return NULL;
}

static void *short_lived(void *arg)
{
	/* some live a little, most end at once: the spawner keeps cloning */
	if ((uintptr_t)arg % 8 == 0)
		canary_round((uintptr_t)arg);
	live_spawned--;
	return NULL;
}

static void *spawner(void *arg)
{
	pthread_attr_t attr;
	uint64_t n = 0;

	(void)arg;
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED))
		_exit(6);
	for (;;) {
		pthread_t t;

		if (live_spawned >= SPAWN_LIVE) {
			sched_yield();
			continue;
		}
		live_spawned++;
		if (pthread_create(&t, &attr, short_lived,
				   (void *)(uintptr_t)n++)) {
			live_spawned--;
			usleep(1000);
			continue;
		}
		spawned++;
	}
	return NULL;
}

/* Queue SIGRTMIN+2 to the main thread, keeping many in flight. */
static void *queuer(void *arg)
{
	siginfo_t si;

	(void)arg;
	while (!stop_queue) {
		if (queued_sent - n_rtq >= 256) {
			sched_yield();
			continue;
		}
		memset(&si, 0, sizeof(si));
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_value.sival_int = (int)queued_sent;
		if (syscall(SYS_rt_tgsigqueueinfo, getpid(), main_tid,
			    SIGRTMIN + 2, &si) < 0) {
			if (errno == EAGAIN) {
				sched_yield();
				continue;
			}
			_exit(7);
		}
		queued_sent++;
	}
	return NULL;
}

static void report(void)
{
	sigset_t m, p;
	unsigned long long cm = 0, cp = 0;
	bool bad = canary_bad || csum_bad;

	if (pthread_sigmask(SIG_BLOCK, NULL, &m) || sigpending(&p))
		_exit(5);
	for (int s = 1; s <= 64; s++) {
		if (sigismember(&m, s) == 1)
			cm |= 1ULL << (s - 1);
		if (sigismember(&p, s) == 1)
			cp |= 1ULL << (s - 1);
	}
	say("report rt1=%lu rt2=%lu alrm=%lu usr2=%lu rtq=%lu canary=%lu "
	    "canary_bad=%lu csum=%lu csum_bad=%lu spawned=%lu "
	    "main_mask=%llx main_pend=%llx ctl_mask=%llx ctl_pend=%llx "
	    "bad=%d",
	    (unsigned long)n_rt1, (unsigned long)n_rt2, (unsigned long)n_alrm,
	    (unsigned long)n_usr2, (unsigned long)n_rtq,
	    (unsigned long)canary_runs, (unsigned long)canary_bad,
	    (unsigned long)csum_runs, (unsigned long)csum_bad,
	    (unsigned long)spawned, (unsigned long long)main_mask,
	    (unsigned long long)main_pend, cm, cp, bad);
}

static void *control(void *arg)
{
	char line[512];
	size_t len = 0;

	(void)arg;
	for (;;) {
		ssize_t n =
			read(STDIN_FILENO, line + len, sizeof(line) - len - 1);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the test went away */
		len += (size_t)n;
		line[len] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (line[0] == 'r') {
				report();
			} else if (line[0] == 'w' && line[1] == ' ') {
				size_t l = strlen(line + 2);

				if (write(feed[1], line + 2, l) != (ssize_t)l)
					_exit(8);
				say("wrote %zu", l);
			} else if (line[0] == 'x') {
				stop_queue = 1;
				usleep(100000);
				say("stopped sent=%lu got=%lu",
				    (unsigned long)queued_sent,
				    (unsigned long)n_rtq);
			} else if (line[0] == 'q') {
				_exit(0);
			}
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len + 1);
		}
		if (len == sizeof(line) - 1)
			len = 0; /* an overlong line: drop it */
	}
	return NULL;
}

static void start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg))
		_exit(9);
}

static void make_timers(void)
{
	int sigs[2] = {SIGRTMIN, SIGRTMIN + 1};
	long periods_ns[2] = {2000000, 3000000};
	struct itimerval itv = {{0, 5000}, {0, 5000}};

	for (int i = 0; i < 2; i++) {
		struct sigevent sev;
		struct itimerspec its;
		int id = -1;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = sigs[i];
		if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) < 0)
			_exit(10);
		its.it_interval.tv_sec = 0;
		its.it_interval.tv_nsec = periods_ns[i];
		its.it_value = its.it_interval;
		if (syscall(SYS_timer_settime, id, 0, &its, NULL) < 0)
			_exit(11);
	}
	if (setitimer(ITIMER_REAL, &itv, NULL))
		_exit(12);
}

static void main_loop(const char *mode)
{
	if (strcmp(mode, "spin") == 0) {
		for (uint64_t seed = 1;; seed++) {
			canary_round(seed);
			record_main_mask();
		}
	} else if (strncmp(mode, "sleep:", 6) == 0) {
		long ms = atol(mode + 6);

		record_main_mask();
		for (;;) {
			struct timespec a, b,
				req = {ms / 1000, (ms % 1000) * 1000000L};
			int rc;

			clock_gettime(CLOCK_MONOTONIC, &a);
			rc = nanosleep(&req, NULL);
			clock_gettime(CLOCK_MONOTONIC, &b);
			say("slept req_ms=%ld got_us=%lld rc=%d", ms,
			    (long long)(b.tv_sec - a.tv_sec) * 1000000LL +
				    (b.tv_nsec - a.tv_nsec) / 1000,
			    rc < 0 ? -errno : rc);
		}
	} else if (strcmp(mode, "read") == 0) {
		record_main_mask();
		for (;;) {
			char buf[256];
			ssize_t n = read(feed[0], buf, sizeof(buf) - 1);

			if (n < 0) {
				say("main read error %d", errno);
				continue;
			}
			buf[n] = '\0';
			say("main read %zd %s", n, buf);
		}
	} else if (strcmp(mode, "sigsuspend") == 0) {
		int usr2[] = {SIGUSR2, 0};
		sigset_t wait_mask;

		block(SIG_BLOCK, usr2);
		record_main_mask();
		if (pthread_sigmask(SIG_BLOCK, NULL, &wait_mask))
			_exit(5);
		sigdelset(&wait_mask, SIGUSR2);
		for (;;) {
			(void)sigsuspend(&wait_mask); /* always -1 EINTR */
			record_main_mask();
			say("main woke usr2=%lu mask=%llx",
			    (unsigned long)n_usr2,
			    (unsigned long long)main_mask);
		}
	}
	say("unknown mode %s", mode);
	_exit(2);
}

int main(int argc, char **argv)
{
	int quiet_sigs[] = {SIGRTMIN, SIGRTMIN + 1, SIGALRM,
			    SIGWINCH, SIGPWR,	    0};
	const char *mode = "spin";
	int workers = 2, opt;
	bool spawn = false, ignore = false, queue = false;
	struct sigaction sa;

	while ((opt = getopt(argc, argv, "t:m:sIq")) != -1) {
		switch (opt) {
		case 't':
			workers = atoi(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 's':
			spawn = true;
			break;
		case 'I':
			ignore = true;
			break;
		case 'q':
			queue = true;
			break;
		default:
			return 2;
		}
	}
	if (workers < 1 || workers > MAX_WORKERS)
		return 2;
	main_tid = (pid_t)syscall(SYS_gettid);
	have_avx = __builtin_cpu_supports("avx");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) ||
	    sigaction(SIGRTMIN + 1, &sa, NULL) ||
	    sigaction(SIGRTMIN + 2, &sa, NULL) ||
	    sigaction(SIGALRM, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL))
		return 3;
	if (ignore && (signal(SIGTRAP, SIG_IGN) == SIG_ERR ||
		       signal(SIGSEGV, SIG_IGN) == SIG_ERR))
		return 3;

	csum_buf = malloc(CSUM_BYTES);
	if (!csum_buf || pipe(feed))
		return 3;
	for (size_t i = 0; i < CSUM_BYTES; i++)
		csum_buf[i] = (uint8_t)(i * 131 + (i >> 9));
	csum_want = checksum(csum_buf, CSUM_BYTES);

	/* Inherited by every thread; workers unblock the timer signals. */
	block(SIG_BLOCK, quiet_sigs);
	if (kill(getpid(), SIGWINCH) ||
	    syscall(SYS_tgkill, getpid(), main_tid, SIGPWR) < 0)
		return 3;
	make_timers();
	for (int i = 0; i < workers; i++)
		start_thread(worker, (void *)(uintptr_t)(1000 * (i + 1)));
	if (spawn)
		start_thread(spawner, NULL);
	if (queue)
		start_thread(queuer, NULL);
	start_thread(control, NULL);
	say("ready pid=%d", getpid());
	main_loop(mode);
	return 0;
}
