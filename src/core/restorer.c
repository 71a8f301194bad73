/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restorer's body (restorer.h). It runs in the new process on its own
 * stack, all signals blocked by the host, with nothing but its arguments:
 * no libc, no globals.
 */
#include "restorer.h"

#include <linux/errno.h>

#include "ktc.h"

#define PAGE_SIZE 4096ULL

#define PROT_WRITE		 0x2
#define MAP_FIXED_NOREPLACE	 0x100000
#define ARCH_MAP_VDSO_64	 0x2003
#define MADV_DONTFORK		 10
#define MADV_HUGEPAGE		 14
#define MADV_NOHUGEPAGE		 15
#define MADV_DONTDUMP		 16
#define MADV_WIPEONFORK		 18
#define PR_SET_NAME		 15
#define PR_SET_MM		 35
#define PR_SET_MM_MAP		 14
#define PR_SET_VMA		 0x53564d41
#define PR_SET_VMA_ANON_NAME	 0
#define SS_DISABLE		 2
#define PR_SET_PDEATHSIG	 1
#define PR_SET_DUMPABLE		 4
#define PR_SET_KEEPCAPS		 8
#define PR_SET_TIMERSLACK	 29
#define PR_CAPBSET_READ		 23
#define PR_CAPBSET_DROP		 24
#define PR_GET_SECUREBITS	 27
#define PR_SET_SECUREBITS	 28
#define PR_SET_CHILD_SUBREAPER	 36
#define PR_SET_NO_NEW_PRIVS	 38
#define PR_SET_THP_DISABLE	 41
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_RAISE	 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#define SECBIT_KEEP_CAPS	 0x10
#define CAPABILITY_VERSION_3	 0x20080522
#define SS_AUTODISARM		 (1U << 31)

/* The user address space ends at 2^47 - one page, or 2^56 - one page
 * with 5-level page tables. */
#define TASK_SIZE_4LEVEL ((1ULL << 47) - PAGE_SIZE)
#define TASK_SIZE_5LEVEL ((1ULL << 56) - PAGE_SIZE)

/* Run body(args) on the stack at stack_top, then trap with its result in
 * rax; the host takes over at the trap. */
__asm__(".pushsection .text\n"
	".type ktc_restorer_switch, @function\n"
	"ktc_restorer_switch:\n"
	"	mov %rsi, %rsp\n"
	"	call ktc_restorer_body\n"
	"	int3\n"
	"1:	jmp 1b\n"
	".size ktc_restorer_switch, . - ktc_restorer_switch\n"
	".popsection\n");

__attribute__((noreturn)) void
ktc_restorer_switch(struct ktc_restorer_args *args, uint64_t stack_top);
__attribute__((used, visibility("hidden"))) long
ktc_restorer_body(struct ktc_restorer_args *args);

static void *at(const struct ktc_restorer_args *a, uint64_t off)
{
	return (char *)a + off;
}

static long fail(struct ktc_restorer_args *a, int stage, uint64_t index,
		 long err)
{
	a->stage = stage;
	a->index = index;
	return err;
}

/* Everything but the restorer's own area. */
static long unmap_old(struct ktc_restorer_args *a)
{
	int r = ktc_munmap(0, a->area_start);

	if (r == 0) {
		r = ktc_munmap(a->area_end, TASK_SIZE_5LEVEL - a->area_end);
		if (r == -EINVAL)
			r = ktc_munmap(a->area_end,
				       TASK_SIZE_4LEVEL - a->area_end);
	}
	return r < 0 ? fail(a, KTC_RST_UNMAP, 0, r) : 0;
}

static long fill(struct ktc_restorer_args *a, uint64_t i)
{
	const struct ktc_rst_run *run =
		(const struct ktc_rst_run *)at(a, a->runs_off) + i;
	uint64_t done = 0;

	while (done < run->len) {
		long n = ktc_pread(a->pages_fd, (void *)(run->start + done),
				   run->len - done, run->off + done);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			return fail(a, KTC_RST_FILL, i, n < 0 ? n : -EIO);
		done += (uint64_t)n;
	}
	a->pages_bytes += done;
	return 0;
}

/*
 * What madvise(2) had set on mapping i (<asm-generic/mman-common.h>).
 * (NO)HUGEPAGE is a hint a kernel without transparent huge pages refuses
 * with EINVAL: the mapping is as good without it.
 */
static long advise(struct ktc_restorer_args *a, uint64_t i,
		   const struct ktc_rst_vma *v)
{
	static const struct {
		uint32_t bit;
		int advice;
		int hint;
	} adv[] = {
		{KTC_RST_ADV_DONTFORK, MADV_DONTFORK, 0},
		{KTC_RST_ADV_WIPEONFORK, MADV_WIPEONFORK, 0},
		{KTC_RST_ADV_DONTDUMP, MADV_DONTDUMP, 0},
		{KTC_RST_ADV_HUGEPAGE, MADV_HUGEPAGE, 1},
		{KTC_RST_ADV_NOHUGEPAGE, MADV_NOHUGEPAGE, 1},
	};

	for (uint64_t k = 0; k < sizeof(adv) / sizeof(adv[0]); k++) {
		int r;

		if (!(v->advice & adv[k].bit))
			continue;
		r = ktc_madvise(v->start, v->end - v->start, adv[k].advice);
		if (r < 0 && !(r == -EINVAL && adv[k].hint))
			return fail(a, KTC_RST_ADVISE, i, r);
	}
	return 0;
}

static long map_vma(struct ktc_restorer_args *a, uint64_t i)
{
	const struct ktc_rst_vma *v =
		(const struct ktc_rst_vma *)at(a, a->vmas_off) + i;
	uint64_t len = v->end - v->start;
	int prot = v->prot | (v->n_runs ? PROT_WRITE : 0);
	long addr, r;

	addr = ktc_mmap(v->start, len, prot, v->flags | MAP_FIXED_NOREPLACE,
			v->fd, v->pgoff);
	if (addr < 0)
		return fail(a, KTC_RST_MAP, i, addr);
	if ((uint64_t)addr != v->start) {
		/* A kernel older than 4.17 took NOREPLACE for a hint. */
		(void)ktc_munmap((uint64_t)addr, len);
		return fail(a, KTC_RST_MAP, i, -EEXIST);
	}
	for (uint64_t k = 0; k < v->n_runs; k++)
		if ((r = fill(a, v->first_run + k)) < 0)
			return r;
	if (prot != v->prot && (r = ktc_mprotect(v->start, len, v->prot)) < 0)
		return fail(a, KTC_RST_PROTECT, i, r);
	if (v->advice && (r = advise(a, i, v)) < 0)
		return r;
	/* A name is for people reading maps: a kernel without
	 * CONFIG_ANON_VMA_NAME refuses it, and the process does not care. */
	if (v->name_len)
		(void)ktc_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, v->start, len,
				(uint64_t)(uintptr_t)at(a, v->name_off));
	return 0;
}

static long memory(struct ktc_restorer_args *a)
{
	long r = unmap_old(a);

	if (r < 0)
		return r;
	/*
	 * The mm layout first, exe included: the kernel refuses a new exe
	 * while the old one is mapped (-EBUSY), and the image may map the
	 * very file we ran (a program restoring a copy of itself). Nothing
	 * is mapped now; PR_SET_MM_MAP checks addresses, not mappings.
	 */
	if (a->mm.auxv_size)
		a->mm.auxv = (uint64_t)(uintptr_t)at(a, a->auxv_off);
	r = ktc_prctl(PR_SET_MM, PR_SET_MM_MAP, (uint64_t)(uintptr_t)&a->mm,
		      sizeof(a->mm), 0);
	if (r < 0)
		return fail(a, KTC_RST_MM, 0, r);
	for (uint64_t i = 0; r == 0 && i < a->n_vmas; i++)
		r = map_vma(a, i);
	if (r < 0)
		return r;
	/* It returns the vdso's size on success. */
	if (a->vdso_addr &&
	    (r = ktc_arch_prctl(ARCH_MAP_VDSO_64, a->vdso_addr)) < 0)
		return fail(a, KTC_RST_VDSO, 0, r);
	return 0;
}

static long signals(struct ktc_restorer_args *a)
{
	struct {
		uint64_t sp;
		int32_t flags;
		int32_t pad;
		uint64_t size;
	} ss = {0, SS_DISABLE, 0, 0};
	long r;

	for (int sig = 1; sig <= KTC_RST_NSIG; sig++) {
		if (!(a->sigaction_set & (1ULL << (sig - 1))))
			continue;
		r = ktc_rt_sigaction(sig, &a->sigactions[sig - 1], 0);
		if (r < 0)
			return fail(a, KTC_RST_SIGACTION, (uint64_t)sig, r);
	}
	if (!(a->altstack_flags & SS_DISABLE)) {
		/* SS_ONSTACK says where the thread was, it cannot be set. */
		ss.sp = a->altstack_sp;
		ss.flags =
			(int32_t)((uint32_t)a->altstack_flags & SS_AUTODISARM);
		ss.size = a->altstack_size;
	}
	r = ktc_sigaltstack(&ss, 0);
	return r < 0 ? fail(a, KTC_RST_ALTSTACK, 0, r) : 0;
}

/* personality, timer slack, THP-disable, child subreaper, pdeathsig. */
static long persona(struct ktc_restorer_args *a)
{
	const struct ktc_rst_creds *c = &a->creds;
	long r;

	r = ktc_personality(c->personality);
	if (r < 0)
		return fail(a, KTC_RST_PERSONALITY, 0, r);
	r = ktc_prctl(PR_SET_TIMERSLACK, c->timerslack, 0, 0, 0);
	if (r < 0)
		return fail(a, KTC_RST_TIMERSLACK, 0, r);
	r = ktc_prctl(PR_SET_THP_DISABLE, c->thp_disable, 0, 0, 0);
	if (r < 0)
		return fail(a, KTC_RST_THP, 0, r);
	r = ktc_prctl(PR_SET_CHILD_SUBREAPER, c->child_subreaper, 0, 0, 0);
	if (r < 0)
		return fail(a, KTC_RST_SUBREAPER, 0, r);
	/* A change of credentials clears it: the host sets it again. */
	r = ktc_prctl(PR_SET_PDEATHSIG, c->pdeathsig, 0, 0, 0);
	return r < 0 ? fail(a, KTC_RST_PDEATHSIG, 0, r) : 0;
}

/* setfsuid/setfsgid answer the previous id, never an error: a second
 * call tells whether the first took. */
static long set_fs(struct ktc_restorer_args *a, int stage, int (*fn)(uint32_t),
		   uint32_t id)
{
	(void)fn(id);
	return (uint32_t)fn(id) == id ? 0 : fail(a, stage, id, -EPERM);
}

/*
 * The credentials, in the order the kernel allows: the bounding set while
 * we hold CAP_SETPCAP, then the ids (keepcaps on, so that the permitted
 * set survives the uid change), then the capabilities, the ambient set,
 * the securebits (keepcaps with them), no_new_privs, and dumpable last (a
 * change of credentials resets it).
 */
static long creds(struct ktc_restorer_args *a)
{
	const struct ktc_rst_creds *c = &a->creds;
	struct {
		uint32_t version;
		int32_t pid;
	} hdr = {CAPABILITY_VERSION_3, 0};
	struct {
		uint32_t eff, prm, inh;
	} data[2] = {
		{(uint32_t)c->cap_eff, (uint32_t)c->cap_prm,
		 (uint32_t)c->cap_inh},
		{(uint32_t)(c->cap_eff >> 32), (uint32_t)(c->cap_prm >> 32),
		 (uint32_t)(c->cap_inh >> 32)},
	};
	long r;

	for (int cap = 0; cap < 64; cap++) {
		if (c->cap_bnd & (1ULL << cap))
			continue;
		r = ktc_prctl(PR_CAPBSET_READ, (uint64_t)cap, 0, 0, 0);
		if (r == -EINVAL)
			break; /* past the kernel's last capability */
		if (r > 0)
			r = ktc_prctl(PR_CAPBSET_DROP, (uint64_t)cap, 0, 0, 0);
		if (r < 0)
			return fail(a, KTC_RST_CAPBSET, (uint64_t)cap, r);
	}
	if ((c->set & KTC_RST_SET_UIDS) &&
	    (r = ktc_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) < 0)
		return fail(a, KTC_RST_KEEPCAPS, 0, r);
	if ((c->set & KTC_RST_SET_GROUPS) &&
	    (r = ktc_setgroups(c->n_groups, at(a, c->groups_off))) < 0)
		return fail(a, KTC_RST_GROUPS, 0, r);
	if ((c->set & KTC_RST_SET_GIDS) &&
	    (r = ktc_setresgid(c->gid[0], c->gid[1], c->gid[2])) < 0)
		return fail(a, KTC_RST_GID, 0, r);
	/* setresgid made fsgid the egid; setresuid leaves it alone. */
	if (c->gid[3] != c->gid[1] &&
	    (r = set_fs(a, KTC_RST_FSGID, ktc_setfsgid, c->gid[3])) < 0)
		return r;
	if ((c->set & KTC_RST_SET_UIDS) &&
	    (r = ktc_setresuid(c->uid[0], c->uid[1], c->uid[2])) < 0)
		return fail(a, KTC_RST_UID, 0, r);
	if (c->uid[3] != c->uid[1] &&
	    (r = set_fs(a, KTC_RST_FSUID, ktc_setfsuid, c->uid[3])) < 0)
		return r;
	r = ktc_capset(&hdr, data);
	if (r < 0)
		return fail(a, KTC_RST_CAPSET, 0, r);
	/* Ambient capabilities are inherited: ours go first. */
	r = ktc_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (r < 0)
		return fail(a, KTC_RST_AMBIENT, 0, r);
	for (int cap = 0; cap < 64; cap++)
		if ((c->cap_amb & (1ULL << cap)) &&
		    (r = ktc_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
				   (uint64_t)cap, 0, 0)) < 0)
			return fail(a, KTC_RST_AMBIENT, (uint64_t)cap, r);
	/* keepcaps alone needs no privilege; other bits need CAP_SETPCAP,
	 * which the host checked the image holds if they differ. */
	r = ktc_prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (r >= 0 && (uint32_t)r != c->securebits)
		r = ((uint32_t)r ^ c->securebits) == SECBIT_KEEP_CAPS
			    ? ktc_prctl(PR_SET_KEEPCAPS,
					!!(c->securebits & SECBIT_KEEP_CAPS), 0,
					0, 0)
			    : ktc_prctl(PR_SET_SECUREBITS, c->securebits, 0, 0,
					0);
	if (r < 0)
		return fail(a, KTC_RST_SECUREBITS, 0, r);
	if (c->no_new_privs &&
	    (r = ktc_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0)
		return fail(a, KTC_RST_NO_NEW_PRIVS, 0, r);
	r = ktc_prctl(PR_SET_DUMPABLE, c->dumpable, 0, 0, 0);
	return r < 0 ? fail(a, KTC_RST_DUMPABLE, 0, r) : 0;
}

/* Pending signals, rseq, comm, working descriptors, rlimits, then the
 * persona and credentials. */
static long finish(struct ktc_restorer_args *a)
{
	const struct ktc_rst_siginfo *p = at(a, a->pending_off);
	const int32_t *fds = at(a, a->close_off);
	long r;

	for (uint32_t i = 0; i < a->n_pending; i++) {
		r = p[i].tid ? ktc_rt_tgsigqueueinfo(a->pid, p[i].tid,
						     p[i].signo, p[i].info)
			     : ktc_rt_sigqueueinfo(a->pid, p[i].signo,
						   p[i].info);
		if (r < 0)
			return fail(a, KTC_RST_PENDING, i, r);
	}
	if (a->rseq_ptr &&
	    (r = ktc_rseq(a->rseq_ptr, a->rseq_len, 0, a->rseq_sig)) < 0)
		return fail(a, KTC_RST_RSEQ, 0, r);
	r = ktc_prctl(PR_SET_NAME, (uint64_t)(uintptr_t)a->comm, 0, 0, 0);
	if (r < 0)
		return fail(a, KTC_RST_COMM, 0, r);
	for (uint32_t i = 0; i < a->n_close; i++)
		if ((r = ktc_close(fds[i])) < 0)
			return fail(a, KTC_RST_CLOSE, i, r);
	for (int res = 0; res < KTC_RST_NRLIMITS; res++)
		if ((r = ktc_prlimit(0, res, &a->rlimits[res], 0)) < 0)
			return fail(a, KTC_RST_RLIMIT, (uint64_t)res, r);
	/* Last: the host's ptrace release needs only its own privileges. */
	if (!(a->creds.set & KTC_RST_SET_CREDS))
		return 0;
	r = persona(a);
	return r < 0 ? r : creds(a);
}

/* An array of n elements of size sz at off lies within the arguments. */
static int within(const struct ktc_restorer_args *a, uint64_t off, uint64_t n,
		  uint64_t sz)
{
	return off <= a->size && n <= (a->size - off) / sz;
}

/* Checked before anything is undone: the host built them, but a mistake
 * found here costs nothing, and one found after the unmap everything. */
static long check_args(struct ktc_restorer_args *a)
{
	const struct ktc_rst_vma *v = at(a, a->vmas_off);

	if (!within(a, a->vmas_off, a->n_vmas, sizeof(*v)) ||
	    !within(a, a->runs_off, a->n_runs, sizeof(struct ktc_rst_run)) ||
	    !within(a, a->pending_off, a->n_pending,
		    sizeof(struct ktc_rst_siginfo)) ||
	    !within(a, a->close_off, a->n_close, sizeof(int32_t)) ||
	    !within(a, a->auxv_off, a->mm.auxv_size, 1) ||
	    !within(a, a->plan_off, 1, sizeof(struct ktc_restore_plan)) ||
	    !within(a, a->creds.groups_off, a->creds.n_groups,
		    sizeof(uint32_t)) ||
	    a->creds.dumpable > 1 || a->comm[sizeof(a->comm) - 1] != '\0')
		return fail(a, KTC_RST_ARGS, 0, -EINVAL);
	for (uint64_t i = 0; i < a->n_vmas; i++) {
		if (v[i].n_runs > a->n_runs ||
		    v[i].first_run > a->n_runs - v[i].n_runs ||
		    v[i].start >= v[i].end ||
		    (v[i].advice & ~KTC_RST_ADV_ALL) ||
		    (v[i].start < a->area_end && a->area_start < v[i].end) ||
		    (v[i].name_len &&
		     !within(a, v[i].name_off, v[i].name_len + 1ULL, 1)))
			return fail(a, KTC_RST_ARGS, i, -EINVAL);
	}
	return 0;
}

long ktc_restorer_body(struct ktc_restorer_args *a)
{
	long r;

	a->t_start = ktc_monotonic_ns();
	r = check_args(a);
	if (r == 0)
		r = memory(a);
	a->t_memory = ktc_monotonic_ns();
	if (r == 0)
		r = signals(a);
	a->t_signals = ktc_monotonic_ns();
	if (r == 0) {
		r = ktc_restore(at(a, a->plan_off));
		if (r < 0)
			r = fail(a, KTC_RST_TIMERS, 0, r);
	}
	a->t_timers = ktc_monotonic_ns();
	if (r == 0)
		r = finish(a);
	a->t_end = ktc_monotonic_ns();
	a->result = (int32_t)r;
	return r;
}

void ktc_restorer_run(struct ktc_restorer_args *args)
{
	ktc_restorer_switch(args, args->stack_top);
}
