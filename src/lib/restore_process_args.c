/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restorer's arguments (src/core/restorer.h) built from a process
 * image, the area they travel in, and what a failure of the restorer
 * means (restore_process.h).
 *
 * The arguments are one block: struct ktc_restorer_args, then its arrays
 * (mappings, runs of contents, pending signals, auxv, mapping names, the
 * descriptors to close, the timer plan), each found by its offset from
 * the start. The area is the parasite blob (which holds the restorer),
 * then the block, then a stack, placed where the image has no mapping so
 * that the restorer can unmap everything else and map the image around
 * itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "procfs_maps.h"
#include "procfs_read.h"
#include "procfs_stat.h"
#include "restore_process.h"
#include "snapshot.h"

extern const unsigned char kt_parasite_blob[] KT_HIDDEN;
extern const unsigned char kt_parasite_blob_end[] KT_HIDDEN;

#define PAGE	   4096ULL
#define STACK_LEN  (64 * 1024ULL)
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
/* Where mappings may go: above mmap_min_addr's usual 64 KiB (we keep
 * clear of the first MiB), below the top of a 4-level address space. */
#define LOW_LIMIT  (1ULL << 20)
#define USER_LIMIT ((1ULL << 47) - PAGE)

/* A growing block; offsets stay valid, pointers do not. */
struct block {
	unsigned char *p;
	size_t len, cap;
};

/* Room for n bytes aligned to align (zeroed): its offset, or SIZE_MAX. */
static size_t take(struct block *b, size_t n, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	if (off + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < off + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return SIZE_MAX;
		b->p = p;
		b->cap = cap;
	}
	memset(b->p + b->len, 0, off + n - b->len);
	b->len = off + n;
	return off;
}

static bool place_only(uint32_t kind)
{
	return kind == KT_VMA_VDSO || kind == KT_VMA_VVAR ||
	       kind == KT_VMA_VVAR_VCLOCK;
}

/* "[anon:NAME]" or "[anon_shmem:NAME]": NAME, else NULL. */
static const char *anon_name(const struct kt_pimg_vma *v, size_t *ret_len)
{
	static const char *const pre[] = {"[anon:", "[anon_shmem:"};
	const char *s = v->name.data;
	size_t len = v->name.len;

	for (size_t i = 0; s && i < 2; i++) {
		size_t n = strlen(pre[i]);

		if (len > n + 1 && strncmp(s, pre[i], n) == 0 &&
		    s[len - 1] == ']') {
			*ret_len = len - n - 1;
			return s + n;
		}
	}
	return NULL;
}

/* The madvise(2) advice of a mapping for the restorer. */
static uint32_t vma_advice(uint32_t flags)
{
	return (flags & KT_VMA_DONTFORK ? KTC_RST_ADV_DONTFORK : 0) |
	       (flags & KT_VMA_WIPEONFORK ? KTC_RST_ADV_WIPEONFORK : 0) |
	       (flags & KT_VMA_DONTDUMP ? KTC_RST_ADV_DONTDUMP : 0) |
	       (flags & KT_VMA_HUGEPAGE ? KTC_RST_ADV_HUGEPAGE : 0) |
	       (flags & KT_VMA_NOHUGEPAGE ? KTC_RST_ADV_NOHUGEPAGE : 0);
}

static int add_vmas(struct kt_rp *rp, struct block *b,
		    struct ktc_restorer_args *a)
{
	const struct kt_process_image *img = rp->img;
	size_t n = 0, off, runs;

	for (size_t i = 0; i < img->n_vmas; i++)
		n += !place_only(img->vmas[i].kind);
	off = take(b, n * sizeof(struct ktc_rst_vma), 16);
	runs = take(b, img->n_runs * sizeof(struct ktc_rst_run), 16);
	if (off == SIZE_MAX || runs == SIZE_MAX)
		return -ENOMEM;
	a->vmas_off = off;
	a->runs_off = runs;
	a->n_runs = (uint32_t)img->n_runs;
	for (size_t i = 0; i < img->n_runs; i++) {
		struct ktc_rst_run *r = (struct ktc_rst_run *)(b->p + runs) + i;

		r->start = img->runs[i].start;
		r->len = img->runs[i].len;
		r->off = img->runs[i].off;
	}
	for (size_t i = 0; i < img->n_vmas; i++) {
		const struct kt_pimg_vma *v = &img->vmas[i];
		struct ktc_rst_vma rv = {
			.start = v->start,
			.end = v->end,
			.prot = (int32_t)v->prot,
			.fd = -1,
			.first_run = v->first_run,
			.n_runs = v->n_runs,
			.advice = vma_advice(v->flags),
		};
		const char *name;
		size_t name_len = 0, name_off;

		if (place_only(v->kind))
			continue;
		switch (v->kind) {
		case KT_VMA_FILE:
			rv.flags = v->flags & KT_VMA_SHARED ? MAP_SHARED
							    : MAP_PRIVATE;
			rv.fd = rp->vma_fd[i];
			rv.pgoff = v->pgoff;
			break;
		case KT_VMA_SHMEM:
			rv.flags = MAP_SHARED | MAP_ANONYMOUS;
			break;
		case KT_VMA_STACK:
			rv.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN;
			break;
		default: /* KT_VMA_ANON, KT_VMA_HEAP */
			rv.flags = MAP_PRIVATE | MAP_ANONYMOUS;
			break;
		}
		/* Without it, a reservation larger than what may be
		 * committed (ASan's 16 TiB shadow) is refused: ENOMEM. */
		if (v->flags & KT_VMA_NORESERVE)
			rv.flags |= MAP_NORESERVE;
		name = v->kind != KT_VMA_FILE ? anon_name(v, &name_len) : NULL;
		if (name) {
			name_off = take(b, name_len + 1, 1);
			if (name_off == SIZE_MAX)
				return -ENOMEM;
			memcpy(b->p + name_off, name, name_len);
			rv.name_off = name_off;
			rv.name_len = (uint32_t)name_len;
		}
		memcpy(b->p + off + a->n_vmas * sizeof(rv), &rv, sizeof(rv));
		a->n_vmas++;
	}
	return 0;
}

/* The kernel's vdso and vvar pages in one process's map: their kinds and
 * sizes, in order, relative to the first. */
struct vdso_layout {
	uint64_t start;
	size_t n;
	uint32_t kind[4];
	uint64_t off[4], len[4];
};

static void layout_add(struct vdso_layout *l, uint32_t kind, uint64_t start,
		       uint64_t end)
{
	if (l->n == 0)
		l->start = start;
	if (l->n < 4) {
		l->kind[l->n] = kind;
		l->off[l->n] = start - l->start;
		l->len[l->n] = end - start;
	}
	l->n++;
}

static int own_vdso_layout(struct kt_rp *rp, struct vdso_layout *l)
{
	static const uint32_t kinds[] = {
		[KT_MAP_VDSO] = KT_VMA_VDSO,
		[KT_MAP_VVAR] = KT_VMA_VVAR,
		[KT_MAP_VVAR_VCLOCK] = KT_VMA_VVAR_VCLOCK,
	};
	struct kt_parse_error perr = {0};
	struct kt_proc_map *maps = NULL;
	size_t len, n = 0;
	char *text;
	int r;

	r = kt_read_text("/proc/self/maps", &text, &len);
	if (r == 0)
		r = kt_procfs_maps_parse(text, len, &maps, &n, &perr);
	free(text);
	if (r < 0)
		return KT_RP_FAIL(rp, r, "reading our own /proc/self/maps: %s",
				  strerror(-r));
	for (size_t i = 0; i < n; i++)
		if (maps[i].kind == KT_MAP_VDSO ||
		    maps[i].kind == KT_MAP_VVAR ||
		    maps[i].kind == KT_MAP_VVAR_VCLOCK)
			layout_add(l, kinds[maps[i].kind], maps[i].start,
				   maps[i].end);
	free(maps);
	return 0;
}

/* The vdso goes where it was: possible only if this kernel's has the
 * layout the dumped one had (same kernel, or one alike). */
static int vdso_addr(struct kt_rp *rp, uint64_t *ret_addr)
{
	struct vdso_layout ours = {0}, theirs = {0};
	int r;

	for (size_t i = 0; i < rp->img->n_vmas; i++) {
		const struct kt_pimg_vma *v = &rp->img->vmas[i];

		if (place_only(v->kind))
			layout_add(&theirs, v->kind, v->start, v->end);
	}
	*ret_addr = 0;
	if (theirs.n == 0)
		return 0; /* the process had none: it gets none */
	r = own_vdso_layout(rp, &ours);
	if (r < 0)
		return r;
	if (ours.n != theirs.n || ours.n > 4 ||
	    memcmp(ours.kind, theirs.kind, sizeof(ours.kind)) ||
	    memcmp(ours.off, theirs.off, sizeof(ours.off)) ||
	    memcmp(ours.len, theirs.len, sizeof(ours.len)))
		return KT_RP_FAIL(
			rp, -EOPNOTSUPP,
			"the image's vdso and vvar pages (%zu "
			"mappings, %llu bytes) are not laid out as "
			"this kernel's (%zu, %llu bytes): dumped "
			"under another kernel?",
			theirs.n,
			(unsigned long long)(theirs.off[theirs.n - 1] +
					     theirs.len[theirs.n - 1]),
			ours.n,
			ours.n ? (unsigned long long)(ours.off[ours.n - 1] +
						      ours.len[ours.n - 1])
			       : 0ULL);
	*ret_addr = theirs.start;
	return 0;
}

static int check_rlimits(struct kt_rp *rp, struct ktc_restorer_args *a)
{
	for (int res = 0; res < KTC_RST_NRLIMITS; res++) {
		const struct kt_pimg_rlimit *l = &rp->img->rlimits[res];
		struct rlimit ours;

		if (getrlimit(res, &ours) < 0)
			return KT_RP_FAIL(rp, -errno, "getrlimit(%d): %s", res,
					  strerror(errno));
		/* The new process starts with ours: raising a hard limit
		 * needs CAP_SYS_RESOURCE, which restores seldom have. */
		if (l->max > (uint64_t)ours.rlim_max)
			return KT_RP_FAIL(rp, -EOPNOTSUPP,
					  "rlimit %d: the image's hard limit "
					  "%llu is above ours (%llu): raise "
					  "ours first",
					  res, (unsigned long long)l->max,
					  (unsigned long long)ours.rlim_max);
		a->rlimits[res].cur = l->cur;
		a->rlimits[res].max = l->max;
	}
	return 0;
}

#define CAP_SETGID	 6
#define CAP_SETUID	 7
#define CAP_SETPCAP	 8
#define SECBIT_KEEP_CAPS 0x10u
#define CAP(n)		 (1ULL << (n))

static bool same_groups(const uint32_t *a, size_t na, const gid_t *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i] != (uint32_t)b[i])
			return false;
	return true;
}

/*
 * The image's credentials and persona for the restorer, checked against
 * ours (the new process starts with them): we cannot grant capabilities
 * we do not have, nor change ids or the bounding set without the
 * capabilities that takes.
 */
static int add_creds(struct kt_rp *rp, struct block *b,
		     struct ktc_restorer_args *a)
{
	const struct kt_pimg_creds *c = &rp->img->creds;
	struct ktc_rst_creds *rc = &a->creds;
	struct kt_parse_error perr = {0};
	struct kt_proc_creds ours;
	uid_t ru, eu, su;
	gid_t rg, eg, sg, *groups;
	uint64_t want;
	size_t n = c->groups.len / 4, off, len;
	char *text;
	int ng, r, secbits;

	/* Without them the process would get ours: root's, most of the
	 * time, whoever it ran as. */
	if (!rp->img->has_creds)
		return KT_RP_FAIL(rp, -EPROTONOSUPPORT,
				  "the image (version 1.0 or 1.1) records no "
				  "credentials, and the process would get "
				  "ours: dump it again with this version");
	r = kt_read_text("/proc/self/status", &text, &len);
	if (r == 0)
		r = kt_procfs_status_creds(text, len, &ours, &perr);
	free(text);
	if (r < 0)
		return KT_RP_FAIL(rp, r,
				  "reading our own /proc/self/status: %s",
				  perr.msg[0] ? perr.msg : strerror(-r));
	free(ours.groups);
	/* Every capability the image holds must be one we hold. */
	want = c->cap_prm | c->cap_eff | c->cap_amb;
	if ((want & ~ours.cap_prm) ||
	    (c->cap_inh & ~(ours.cap_prm | ours.cap_inh)) ||
	    (c->cap_bnd & ~ours.cap_bnd))
		return KT_RP_FAIL(
			rp, -EPERM,
			"the image's capabilities (permitted 0x%llx, "
			"inheritable 0x%llx, bounding 0x%llx) are not a subset "
			"of ours (permitted 0x%llx, inheritable 0x%llx, "
			"bounding 0x%llx): we cannot grant what we do not "
			"have",
			(unsigned long long)want,
			(unsigned long long)c->cap_inh,
			(unsigned long long)c->cap_bnd,
			(unsigned long long)ours.cap_prm,
			(unsigned long long)ours.cap_inh,
			(unsigned long long)ours.cap_bnd);
	if ((ours.cap_bnd & ~c->cap_bnd) && !(ours.cap_eff & CAP(CAP_SETPCAP)))
		return KT_RP_FAIL(rp, -EPERM,
				  "the image's bounding set 0x%llx is smaller "
				  "than ours: dropping ours needs "
				  "CAP_SETPCAP",
				  (unsigned long long)c->cap_bnd);
	secbits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (secbits < 0)
		return KT_RP_FAIL(rp, -errno, "PR_GET_SECUREBITS: %s",
				  strerror(errno));
	if ((((uint32_t)secbits ^ c->securebits) & ~SECBIT_KEEP_CAPS) &&
	    !(c->cap_eff & CAP(CAP_SETPCAP)))
		return KT_RP_FAIL(rp, -EPERM,
				  "the image's securebits 0x%x differ from "
				  "ours (0x%x), and setting them needs "
				  "CAP_SETPCAP, which the image lacks",
				  c->securebits, (unsigned)secbits);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 && !c->no_new_privs)
		kt_log(KT_LOG_WARN,
		       "restore: we run with no_new_privs, the image does "
		       "not: the process inherits ours");
	if (ours.seccomp)
		kt_log(KT_LOG_WARN,
		       "restore: we run under seccomp: the process inherits "
		       "our filters");

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    (ng = getgroups(0, NULL)) < 0)
		return KT_RP_FAIL(rp, -errno, "our credentials: %s",
				  strerror(errno));
	groups = malloc(((size_t)ng + 1) * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	ng = getgroups(ng, groups);
	if (ng < 0) {
		r = -errno;
		free(groups);
		return KT_RP_FAIL(rp, r, "getgroups: %s", strerror(-r));
	}
	rc->set = KTC_RST_SET_CREDS;
	if (!same_groups(c->groups.data, n, groups, (size_t)ng))
		rc->set |= KTC_RST_SET_GROUPS;
	free(groups);
	if (c->gid[0] != rg || c->gid[1] != eg || c->gid[2] != sg)
		rc->set |= KTC_RST_SET_GIDS;
	if (c->uid[0] != ru || c->uid[1] != eu || c->uid[2] != su)
		rc->set |= KTC_RST_SET_UIDS;
	if ((rc->set & (KTC_RST_SET_GROUPS | KTC_RST_SET_GIDS) ||
	     c->gid[3] != c->gid[1]) &&
	    !(ours.cap_eff & CAP(CAP_SETGID)))
		return KT_RP_FAIL(rp, -EPERM,
				  "the image's groups or gids (%u %u %u %u) "
				  "are not ours: changing them needs "
				  "CAP_SETGID",
				  c->gid[0], c->gid[1], c->gid[2], c->gid[3]);
	if ((rc->set & KTC_RST_SET_UIDS || c->uid[3] != c->uid[1]) &&
	    !(ours.cap_eff & CAP(CAP_SETUID)))
		return KT_RP_FAIL(rp, -EPERM,
				  "the image's uids (%u %u %u %u) are not "
				  "ours: changing them needs CAP_SETUID",
				  c->uid[0], c->uid[1], c->uid[2], c->uid[3]);

	off = take(b, c->groups.len, 16);
	if (off == SIZE_MAX)
		return -ENOMEM;
	if (c->groups.len)
		memcpy(b->p + off, c->groups.data, c->groups.len);
	rc->groups_off = off;
	rc->n_groups = (uint32_t)n;
	memcpy(rc->uid, c->uid, sizeof(rc->uid));
	memcpy(rc->gid, c->gid, sizeof(rc->gid));
	rc->cap_inh = c->cap_inh;
	rc->cap_prm = c->cap_prm;
	rc->cap_eff = c->cap_eff;
	rc->cap_bnd = c->cap_bnd;
	rc->cap_amb = c->cap_amb;
	rc->timerslack = c->timerslack;
	rc->securebits = c->securebits;
	rc->no_new_privs = c->no_new_privs;
	/* 2 (SUID_DUMP_ROOT) cannot be set: 0 is the nearest, a process
	 * neither traceable nor dumped as its user. */
	rc->dumpable = c->dumpable == 1;
	rc->child_subreaper = c->child_subreaper;
	rc->pdeathsig = c->pdeathsig;
	rc->thp_disable = c->thp_disable;
	rc->personality = c->personality;
	return 0;
}

static int add_signals(struct kt_rp *rp, struct block *b,
		       struct ktc_restorer_args *a)
{
	const struct kt_process_image *img = rp->img;
	const struct kt_pimg_thread *th = &img->threads[0];
	size_t off;

	for (int sig = 1; sig <= KTC_RST_NSIG; sig++) {
		const struct kt_pimg_sigaction *s = &img->sigactions[sig - 1];

		if (s->signo != sig)
			continue; /* SIGKILL, SIGSTOP */
		a->sigaction_set |= 1ULL << (sig - 1);
		a->sigactions[sig - 1] = (struct ktc_rst_sigaction){
			s->handler, s->flags, s->restorer, s->mask};
		if (s->handler == (uint64_t)(uintptr_t)SIG_IGN)
			rp->sig_ign |= 1ULL << (sig - 1);
	}
	a->altstack_sp = th->altstack_sp;
	a->altstack_flags = th->altstack_flags;
	a->altstack_size = th->altstack_size;

	off = take(b, img->n_pending * sizeof(struct ktc_rst_siginfo), 16);
	if (off == SIZE_MAX)
		return -ENOMEM;
	a->pending_off = off;
	a->n_pending = (uint32_t)img->n_pending;
	for (size_t i = 0; i < img->n_pending; i++) {
		struct ktc_rst_siginfo *p =
			(struct ktc_rst_siginfo *)(b->p + off) + i;
		const struct kt_pimg_siginfo *s = &img->pending[i];

		/* One thread: its queue is the process's one thread's. */
		p->tid = s->tid ? img->proc.pid : 0;
		p->signo = s->signo;
		memcpy(p->info, s->info.data,
		       s->info.len < sizeof(p->info) ? s->info.len
						     : sizeof(p->info));
	}
	return 0;
}

static int add_mm(struct kt_rp *rp, struct block *b,
		  struct ktc_restorer_args *a)
{
	const struct kt_pimg_proc *p = &rp->img->proc;
	const struct kt_pimg_thread *th = &rp->img->threads[0];
	size_t off = take(b, p->auxv.len, 16);

	if (off == SIZE_MAX)
		return -ENOMEM;
	memcpy(b->p + off, p->auxv.data, p->auxv.len);
	a->auxv_off = off;
	a->mm = (struct ktc_mm_map){
		.start_code = p->mm.start_code,
		.end_code = p->mm.end_code,
		.start_data = p->mm.start_data,
		.end_data = p->mm.end_data,
		.start_brk = p->mm.start_brk,
		.brk = p->mm.brk,
		.start_stack = p->mm.start_stack,
		.arg_start = p->mm.arg_start,
		.arg_end = p->mm.arg_end,
		.env_start = p->mm.env_start,
		.env_end = p->mm.env_end,
		.auxv_size = p->auxv.len,
		.exe_fd = (uint32_t)rp->exe_fd,
	};
	if (th->rseq_state == KT_RSEQ_REGISTERED) {
		a->rseq_ptr = th->rseq_ptr;
		a->rseq_len = th->rseq_len;
		a->rseq_sig = th->rseq_sig;
	} else if (th->rseq_state == KT_RSEQ_UNKNOWN) {
		kt_log(KT_LOG_WARN,
		       "restore: the dump could not tell whether the process "
		       "had an rseq area (Linux < 5.13): none is registered");
	}
	(void)snprintf(a->comm, sizeof(a->comm), "%.*s", (int)p->comm.len,
		       (const char *)p->comm.data);
	return 0;
}

static int add_timers_and_fds(struct kt_rp *rp, struct block *b,
			      struct ktc_restorer_args *a)
{
	struct ktc_restore_plan *plan = NULL;
	size_t size = 0, off, closes;
	int32_t *fds;
	int r;

	r = kt_restore_plan_build(rp->img->timers, rp->rc.flags, rp->rc.path,
				  &rp->rc.lin, &plan, &size);
	if (r < 0)
		return r;
	off = take(b, size, 64);
	if (off != SIZE_MAX)
		memcpy(b->p + off, plan, size);
	free(plan);
	closes = take(b, (rp->n_files + 3) * sizeof(int32_t), 16);
	if (off == SIZE_MAX || closes == SIZE_MAX)
		return -ENOMEM;
	a->plan_off = off;
	rp->plan_off = off;
	a->close_off = closes;
	fds = (int32_t *)(b->p + closes);
	fds[a->n_close++] = rp->pages_fd;
	fds[a->n_close++] = rp->exe_fd;
	fds[a->n_close++] = rp->status[1]; /* the new process's end */
	for (size_t i = 0; i < rp->n_files; i++)
		fds[a->n_close++] = rp->files[i];
	return 0;
}

int kt_rp_build_args(struct kt_rp *rp)
{
	struct ktc_restorer_args a = {
		.magic = KTC_PARASITE_MAGIC,
		.op = KTC_PARASITE_RESTORE_PROCESS,
		.pid = rp->img->proc.pid,
	};
	struct block b = {0};
	int r;

	if (take(&b, sizeof(a), 64) == SIZE_MAX)
		return -ENOMEM;
	a.pages_fd = rp->pages_fd;
	r = vdso_addr(rp, &a.vdso_addr);
	if (!r)
		r = check_rlimits(rp, &a);
	if (!r)
		r = add_vmas(rp, &b, &a);
	if (!r)
		r = add_signals(rp, &b, &a);
	if (!r)
		r = add_mm(rp, &b, &a);
	if (!r)
		r = add_timers_and_fds(rp, &b, &a);
	if (!r)
		r = add_creds(rp, &b, &a);
	if (r < 0) {
		free(b.p);
		return r == -ENOMEM ? KT_RP_FAIL(rp, r, "out of memory") : r;
	}
	a.size = b.len;
	memcpy(b.p, &a, sizeof(a));
	rp->args = b.p;
	rp->args_len = b.len;
	return 0;
}

/* Try to map len bytes at addr here: 0, or -EEXIST if something is there. */
static int try_map(uint64_t addr, uint64_t len)
{
	void *p =
		mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if ((uint64_t)(uintptr_t)p != addr) { /* NOREPLACE unknown: a hint */
		(void)munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

int kt_rp_map_area(struct kt_rp *rp)
{
	const struct kt_process_image *img = rp->img;
	size_t blob_len = (size_t)(kt_parasite_blob_end - kt_parasite_blob);
	struct ktc_restorer_args *a;
	uint64_t len;

	rp->args_off = PAGE_UP(blob_len);
	len = rp->args_off + PAGE_UP(rp->args_len) + STACK_LEN;
	/* From the top of the address space down: each gap of the image's
	 * map, a page of room on each side, at its top and then its
	 * bottom. */
	for (size_t i = img->n_vmas + 1; i-- > 0;) {
		uint64_t lo = i ? img->vmas[i - 1].end : LOW_LIMIT;
		uint64_t hi = i < img->n_vmas ? img->vmas[i].start : USER_LIMIT;
		uint64_t at[2];

		if (hi <= lo || hi - lo < len + 2 * PAGE || lo < LOW_LIMIT)
			continue;
		at[0] = hi - PAGE - len;
		at[1] = lo + PAGE;
		for (int k = 0; k < 2; k++) {
			int r = try_map(at[k], len);

			if (r == -EEXIST)
				continue;
			if (r < 0)
				return KT_RP_FAIL(rp, r,
						  "mapping the restorer: %s",
						  strerror(-r));
			rp->area = at[k];
			rp->area_len = len;
			goto found;
		}
	}
	return KT_RP_FAIL(rp, -ENOMEM,
			  "no room for the restorer (%llu bytes) in a gap of "
			  "the image's memory map that is also free here",
			  (unsigned long long)len);
found:
	a = (struct ktc_restorer_args *)rp->args;
	a->area_start = rp->area;
	a->area_end = rp->area + rp->area_len;
	a->stack_top = rp->area + rp->area_len;
	memcpy((void *)rp->area, kt_parasite_blob, blob_len);
	memcpy((void *)(rp->area + rp->args_off), rp->args, rp->args_len);
	return 0;
}

static const char *const stage_names[] = {
	[KTC_RST_ARGS] = "checking its arguments",
	[KTC_RST_UNMAP] = "unmapping the old memory",
	[KTC_RST_MAP] = "mapping",
	[KTC_RST_FILL] = "filling memory from pages.img",
	[KTC_RST_PROTECT] = "protecting",
	[KTC_RST_VDSO] = "mapping the vdso (ARCH_MAP_VDSO_64)",
	[KTC_RST_MM] = "setting the mm layout (PR_SET_MM_MAP)",
	[KTC_RST_SIGACTION] = "setting the handler of signal",
	[KTC_RST_ALTSTACK] = "setting the alternate signal stack",
	[KTC_RST_TIMERS] = "restoring the timers",
	[KTC_RST_PENDING] = "queueing pending signal",
	[KTC_RST_RSEQ] = "registering rseq",
	[KTC_RST_COMM] = "setting comm",
	[KTC_RST_CLOSE] = "closing working descriptor",
	[KTC_RST_RLIMIT] = "setting rlimit",
	[KTC_RST_ADVISE] = "advising (madvise)",
	[KTC_RST_PERSONALITY] = "setting the personality",
	[KTC_RST_TIMERSLACK] = "setting the timer slack (PR_SET_TIMERSLACK)",
	[KTC_RST_THP] = "setting THP-disable (PR_SET_THP_DISABLE)",
	[KTC_RST_SUBREAPER] = "setting the child subreaper "
			      "(PR_SET_CHILD_SUBREAPER)",
	[KTC_RST_PDEATHSIG] = "setting the parent-death signal "
			      "(PR_SET_PDEATHSIG)",
	[KTC_RST_CAPBSET] = "dropping from the bounding set (PR_CAPBSET_DROP) "
			    "capability",
	[KTC_RST_KEEPCAPS] = "keeping capabilities (PR_SET_KEEPCAPS)",
	[KTC_RST_GROUPS] = "setting the supplementary groups (setgroups)",
	[KTC_RST_GID] = "setting the gids (setresgid)",
	[KTC_RST_FSGID] = "setting the filesystem gid (setfsgid)",
	[KTC_RST_UID] = "setting the uids (setresuid)",
	[KTC_RST_FSUID] = "setting the filesystem uid (setfsuid)",
	[KTC_RST_CAPSET] = "setting the capabilities (capset)",
	[KTC_RST_AMBIENT] = "raising the ambient capability "
			    "(PR_CAP_AMBIENT_RAISE)",
	[KTC_RST_SECUREBITS] = "setting the securebits (PR_SET_SECUREBITS)",
	[KTC_RST_NO_NEW_PRIVS] = "setting no_new_privs (PR_SET_NO_NEW_PRIVS)",
	[KTC_RST_DUMPABLE] = "setting dumpable (PR_SET_DUMPABLE)",
};

/* " (DONTFORK DONTDUMP)": the advice a failing madvise had to give. */
static void advice_names(uint32_t advice, char *buf, size_t len)
{
	static const char *const names[] = {
		"DONTFORK", "WIPEONFORK", "DONTDUMP", "HUGEPAGE", "NOHUGEPAGE"};
	size_t used = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (advice & (1u << i) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? " " : " (", names[i]);
	if (used && used < len)
		(void)snprintf(buf + used, len - used, ")");
}

int kt_rp_explain(struct kt_rp *rp, const struct ktc_restorer_args *out,
		  const struct ktc_restore_plan *plan)
{
	const struct ktc_restorer_args *args =
		(const struct ktc_restorer_args *)rp->args;
	const char *what = "?";
	char where[96] = "";
	int err = out->result < 0 ? out->result : -EPROTO;

	if (out->stage > 0 && out->stage <= KTC_RST_LAST_STAGE &&
	    stage_names[out->stage])
		what = stage_names[out->stage];
	if (out->stage == KTC_RST_TIMERS)
		return kt_restore_call_finish(&rp->rc, rp->img->timers, plan, 0,
					      "restorer: ");
	if ((out->stage == KTC_RST_MAP || out->stage == KTC_RST_PROTECT ||
	     out->stage == KTC_RST_ADVISE) &&
	    out->index < args->n_vmas) {
		const struct ktc_rst_vma *v =
			(const struct ktc_rst_vma *)(rp->args +
						     args->vmas_off) +
			out->index;

		(void)snprintf(where, sizeof(where), " 0x%llx-0x%llx",
			       (unsigned long long)v->start,
			       (unsigned long long)v->end);
		if (out->stage == KTC_RST_ADVISE)
			advice_names(v->advice, where + strlen(where),
				     sizeof(where) - strlen(where));
	} else if (out->stage == KTC_RST_SIGACTION ||
		   out->stage == KTC_RST_PENDING ||
		   out->stage == KTC_RST_CLOSE ||
		   out->stage == KTC_RST_RLIMIT ||
		   out->stage == KTC_RST_CAPBSET ||
		   out->stage == KTC_RST_AMBIENT ||
		   out->stage == KTC_RST_FSUID || out->stage == KTC_RST_FSGID) {
		(void)snprintf(where, sizeof(where), " %llu",
			       (unsigned long long)out->index);
	}
	return KT_RP_FAIL(rp, err, "restorer in process %d: %s%s: %s",
			  (int)rp->img->proc.pid, what, where,
			  strerrordesc_np(-err));
}
