/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading process.img: every record decoded by its table, every field
 * checked against docs/process-image.md before the image is returned. The
 * first failure names the byte offset and the field.
 */
#define _GNU_SOURCE /* O_DIRECT, O_NOATIME, O_PATH */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "process_image_fmt.h"

/* The top of user space with 5-level page tables (TASK_SIZE_MAX). */
#define USER_TOP  0x00fffffffffff000ULL
#define PAGE	  KT_PIMG_PAGE_SIZE
#define SIGBIT(s) (1ULL << ((s)-1))
#define KILL_STOP (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* SA_* the kernel keeps (UAPI_SA_FLAGS of x86_64, Linux >= 5.11). */
#define SA_KNOWN                                                               \
	(0x00000001ULL | 0x00000002ULL | 0x00000004ULL | 0x00000400ULL |       \
	 0x00000800ULL | 0x04000000ULL | 0x08000000ULL | 0x10000000ULL |       \
	 0x40000000ULL | 0x80000000ULL)
/* The kernel's O_LARGEFILE, which 64-bit kernels put in every f_flags
 * (glibc defines O_LARGEFILE as 0 there). */
#define KERNEL_O_LARGEFILE 0100000
/* What fdinfo's "flags:" can hold: f_flags (creation flags are cleared by
 * open) and O_CLOEXEC. */
#define FD_FLAGS_KNOWN                                                         \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_ASYNC | O_DIRECT |    \
	 KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |           \
	 O_CLOEXEC | O_SYNC | O_PATH)
#define SS_KNOWN (SS_ONSTACK | SS_DISABLE | (int)(1u << 31) /* AUTODISARM */)

/* x86_64 user segment selectors (__USER_CS, __USER_DS). */
#define USER_CS 0x33
#define USER_SS 0x2b

struct parse {
	struct kt_img_in in;
	struct kt_process_image *img;
	const struct kt_img_record *rec; /* the record being checked */
	size_t n_process, n_files, n_creds;
	bool seen_rlimit[KT_PIMG_NRLIMITS];
	unsigned last_type;
	unsigned minor;	      /* the header's: 1.0 knows only KT_VMA_SHARED, 1.2
				 brought creds */
	uint64_t pages_total; /* bytes of pages.img the runs so far cover */
};

/* A field of the current record is wrong: -EBADMSG naming it. */
static int bad(struct parse *p, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct parse *p, const char *field, const char *fmt, ...)
{
	const struct kt_img_layout *l = p->rec->layout;
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kt_img_bad(&p->in, -EBADMSG,
			  p->rec->payload + kt_img_field_offset(l, field),
			  "%s record, field %s: %s", l->name, field, why);
}

/* Bytes that must hold no NUL. */
static bool has_nul(const struct kt_img_blob *b)
{
	return b->len && memchr(b->data, '\0', b->len) != NULL;
}

/* An absolute path of 1..4095 bytes without NUL. */
static int check_path(struct parse *p, const char *field,
		      const struct kt_img_blob *b)
{
	if (b->len == 0 || b->len >= KT_PIMG_PATH_MAX)
		return bad(p, field, "a path of %u bytes (1..%d)", b->len,
			   KT_PIMG_PATH_MAX - 1);
	if (((const char *)b->data)[0] != '/' || has_nul(b))
		return bad(p, field, "not an absolute path without NUL bytes");
	return 0;
}

static int check_range(struct parse *p, const char *field, uint64_t lo,
		       uint64_t hi)
{
	if (lo > hi || hi > USER_TOP)
		return bad(p, field,
			   "0x%llx..0x%llx is not an ascending range of user "
			   "addresses",
			   (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

static int check_process(struct parse *p, const struct kt_pimg_proc *pr)
{
	const struct kt_pimg_mm *mm = &pr->mm;
	const unsigned char *a = pr->auxv.data;
	int r = 0;

	if (p->last_type != 0)
		return kt_img_bad(&p->in, -EBADMSG, p->rec->off,
				  "the process record is record #%zu: it "
				  "must come first",
				  p->rec->index);
	if (pr->pid <= 0 || pr->pid > 4194304)
		return bad(p, "pid", "%d is not a pid (1..4194304)", pr->pid);
	if (pr->umask > 0777)
		return bad(p, "umask", "0%o is not a umask (0..0777)",
			   pr->umask);
	if (pr->page_size != PAGE)
		return bad(p, "page_size",
			   "%u: this library knows %u-byte "
			   "pages only",
			   pr->page_size, PAGE);
	if (!r)
		r = check_range(p, "start_code", mm->start_code, mm->end_code);
	if (!r)
		r = check_range(p, "start_data", mm->start_data, mm->end_data);
	if (!r)
		r = check_range(p, "start_brk", mm->start_brk, mm->brk);
	if (!r)
		r = check_range(p, "start_stack", 0, mm->start_stack);
	if (!r)
		r = check_range(p, "arg_start", mm->arg_start, mm->arg_end);
	if (!r)
		r = check_range(p, "env_start", mm->env_start, mm->env_end);
	if (r)
		return r;
	if (pr->comm.len > 15 || has_nul(&pr->comm))
		return bad(p, "comm",
			   "%u bytes: a comm is at most 15, without NUL",
			   pr->comm.len);
	r = check_path(p, "cwd", &pr->cwd);
	if (!r)
		r = check_path(p, "exe", &pr->exe);
	if (r)
		return r;
	/* (type, value) pairs of u64, the last one AT_NULL */
	if (pr->auxv.len == 0 || pr->auxv.len % 16 || pr->auxv.len > 4096 ||
	    kt_img_get_le(a + pr->auxv.len - 16, 8) != AT_NULL)
		return bad(p, "auxv",
			   "%u bytes are not (type, value) pairs of 64 bits "
			   "ending with AT_NULL (at most 4096 bytes)",
			   pr->auxv.len);
	return 0;
}

static int check_files(struct parse *p, const struct kt_pimg_files *f)
{
	if (p->n_files++)
		return kt_img_bad(&p->in, -EBADMSG, p->rec->off,
				  "a second files record");
	if (f->pages_size % PAGE)
		return bad(p, "pages_size", "%llu is not a multiple of %u",
			   (unsigned long long)f->pages_size, PAGE);
	if (f->timers_size < KT_IMG_HEADER_SIZE)
		return bad(p, "timers_size",
			   "%llu bytes cannot be a timer image",
			   (unsigned long long)f->timers_size);
	return 0;
}

/* Securebits the kernel knows (SECBIT_NOROOT .. EXEC_DENY_INTERACTIVE
 * and their locks). */
#define SECUREBITS_KNOWN 0xfffu
#define SECBIT_KEEP_CAPS 0x10u

static int check_creds(struct parse *p, const struct kt_pimg_creds *c)
{
	static const char *const ids[8] = {"uid", "euid", "suid", "fsuid",
					   "gid", "egid", "sgid", "fsgid"};

	if (p->minor < 2)
		return kt_img_bad(&p->in, -EBADMSG, p->rec->off,
				  "a creds record in a version 1.%u image "
				  "(creds came with 1.2)",
				  p->minor);
	if (p->n_creds++)
		return kt_img_bad(&p->in, -EBADMSG, p->rec->off,
				  "a second creds record");
	for (int i = 0; i < 8; i++)
		if ((i < 4 ? c->uid[i] : c->gid[i - 4]) == UINT32_MAX)
			return bad(p, ids[i], "-1 is not an id");
	if (c->cap_eff & ~c->cap_prm)
		return bad(p, "cap_eff",
			   "0x%llx is not within the permitted set 0x%llx",
			   (unsigned long long)c->cap_eff,
			   (unsigned long long)c->cap_prm);
	if (c->cap_amb & ~(c->cap_prm & c->cap_inh))
		return bad(p, "cap_amb",
			   "0x%llx is not within the permitted and inheritable "
			   "sets",
			   (unsigned long long)c->cap_amb);
	if (c->securebits & ~SECUREBITS_KNOWN)
		return bad(p, "securebits", "0x%x holds unknown bits",
			   c->securebits);
	if (c->no_new_privs > 1)
		return bad(p, "no_new_privs", "%u is not 0 or 1",
			   c->no_new_privs);
	if (c->seccomp != 0)
		return bad(p, "seccomp",
			   "mode %u: seccomp filters cannot be restored",
			   c->seccomp);
	if (c->dumpable > 2)
		return bad(p, "dumpable", "%u is not 0, 1 or 2", c->dumpable);
	if (c->keepcaps != !!(c->securebits & SECBIT_KEEP_CAPS))
		return bad(p, "keepcaps", "%u disagrees with securebits 0x%x",
			   c->keepcaps, c->securebits);
	if (c->child_subreaper > 1)
		return bad(p, "child_subreaper", "%u is not 0 or 1",
			   c->child_subreaper);
	if (c->pdeathsig > KT_PIMG_NSIG)
		return bad(p, "pdeathsig", "%u is not a signal 0..64",
			   c->pdeathsig);
	if (c->thp_disable > 1)
		return bad(p, "thp_disable", "%u is not 0 or 1",
			   c->thp_disable);
	if (c->personality == UINT32_MAX)
		return bad(p, "personality", "0xffffffff is not a persona");
	if (c->reserved)
		return bad(p, "reserved", "0x%x is not 0", c->reserved);
	if (c->groups.len % 4 || c->groups.len / 4 > KT_PIMG_NGROUPS_MAX)
		return bad(p, "groups",
			   "%u bytes are not at most %d groups of 4 bytes",
			   c->groups.len, KT_PIMG_NGROUPS_MAX);
	for (uint32_t i = 0; i < c->groups.len / 4; i++)
		if (kt_img_get_le((const unsigned char *)c->groups.data + 4 * i,
				  4) == UINT32_MAX)
			return bad(p, "groups", "group %u is -1", i);
	return 0;
}

static const struct kt_pimg_thread *find_thread(const struct parse *p,
						int32_t tid)
{
	for (size_t i = 0; i < p->img->n_threads; i++)
		if (p->img->threads[i].tid == tid)
			return &p->img->threads[i];
	return NULL;
}

static int check_regs(struct parse *p, const kt_regs_t *r)
{
	if (r->cs != USER_CS)
		return bad(p, "regs.cs",
			   "0x%llx is not the 64-bit user code segment 0x%x",
			   (unsigned long long)r->cs, USER_CS);
	if (r->ss != USER_SS)
		return bad(p, "regs.ss",
			   "0x%llx is not the user data segment 0x%x",
			   (unsigned long long)r->ss, USER_SS);
	if (r->eflags > 0xffffffffULL)
		return bad(p, "regs.eflags", "0x%llx has reserved bits set",
			   (unsigned long long)r->eflags);
	if (r->fs_base > USER_TOP)
		return bad(p, "regs.fs_base", "0x%llx is not a user address",
			   (unsigned long long)r->fs_base);
	if (r->gs_base > USER_TOP)
		return bad(p, "regs.gs_base", "0x%llx is not a user address",
			   (unsigned long long)r->gs_base);
	if ((r->ds | r->es | r->fs | r->gs) > 0xffff)
		return bad(p, "regs.ds",
			   "segment selectors are 16 bits (ds, es, fs, gs)");
	return 0;
}

static int check_thread(struct parse *p, const struct kt_pimg_thread *t)
{
	if (t->tid <= 0 || t->tid > 4194304)
		return bad(p, "tid", "%d is not a thread id", t->tid);
	if (find_thread(p, t->tid))
		return bad(p, "tid", "thread %d appears twice", t->tid);
	if (t->sigmask & KILL_STOP)
		return bad(p, "sigmask",
			   "0x%llx blocks SIGKILL or SIGSTOP, which the kernel "
			   "never does",
			   (unsigned long long)t->sigmask);
	if ((t->altstack_flags & ~SS_KNOWN) ||
	    ((t->altstack_flags & SS_ONSTACK) &&
	     (t->altstack_flags & SS_DISABLE)))
		return bad(p, "altstack_flags",
			   "0x%x is not SS_ONSTACK or SS_DISABLE, with or "
			   "without SS_AUTODISARM",
			   (unsigned)t->altstack_flags);
	if (t->rseq_state > KT_RSEQ_UNKNOWN)
		return bad(p, "rseq_state", "%u is not 0, 1 or 2",
			   t->rseq_state);
	if (t->rseq_state == KT_RSEQ_REGISTERED &&
	    (t->rseq_ptr == 0 || t->rseq_ptr % 32 || t->rseq_ptr > USER_TOP ||
	     t->rseq_len < 32))
		return bad(p, "rseq_ptr",
			   "an rseq area of %u bytes at 0x%llx: the kernel "
			   "takes 32 or more, 32-byte aligned",
			   t->rseq_len, (unsigned long long)t->rseq_ptr);
	if (t->rseq_state != KT_RSEQ_REGISTERED && (t->rseq_ptr || t->rseq_len))
		return bad(p, "rseq_ptr",
			   "an rseq area, but rseq_state says none");
	if (!(t->xstate_type == NT_PRFPREG && t->xstate.len == 512) &&
	    !(t->xstate_type == NT_X86_XSTATE && t->xstate.len >= 576 &&
	      t->xstate.len <= KT_XSTATE_MAX))
		return bad(p, "xstate_type",
			   "%u with %u bytes: NT_PRFPREG (2) has 512, "
			   "NT_X86_XSTATE (0x202) 576..%u",
			   t->xstate_type, t->xstate.len, KT_XSTATE_MAX);
	return check_regs(p, &t->regs);
}

static int check_sigaction(struct parse *p, const struct kt_pimg_sigaction *s)
{
	if (s->signo < 1 || s->signo > KT_PIMG_NSIG || s->signo == SIGKILL ||
	    s->signo == SIGSTOP)
		return bad(p, "signo",
			   "%d is not a signal 1..64 other than SIGKILL and "
			   "SIGSTOP",
			   s->signo);
	if (p->img->sigactions[s->signo - 1].signo)
		return bad(p, "signo", "signal %d appears twice", s->signo);
	if (s->flags & ~SA_KNOWN)
		return bad(p, "flags", "0x%llx holds bits the kernel clears",
			   (unsigned long long)s->flags);
	if (s->mask & KILL_STOP)
		return bad(p, "mask",
			   "0x%llx holds SIGKILL or SIGSTOP, which the kernel "
			   "takes out",
			   (unsigned long long)s->mask);
	return 0;
}

static int check_siginfo(struct parse *p, const struct kt_pimg_siginfo *s)
{
	if (s->tid != 0 && !find_thread(p, s->tid))
		return bad(p, "tid",
			   "%d is not a thread of an earlier thread record "
			   "(0: the process)",
			   s->tid);
	if (s->signo < 1 || s->signo > KT_PIMG_NSIG)
		return bad(p, "signo", "%d is not a signal 1..64", s->signo);
	if (s->info.len != 128)
		return bad(p, "info", "%u bytes: a siginfo_t has 128",
			   s->info.len);
	if ((int32_t)kt_img_get_le(s->info.data, 4) != s->signo)
		return bad(p, "info", "its si_signo is not %d", s->signo);
	return 0;
}

static int check_rlimit(struct parse *p, const struct kt_pimg_rlimit *r)
{
	if (r->resource < 0 || r->resource >= KT_PIMG_NRLIMITS)
		return bad(p, "resource", "%d is not a resource 0..15",
			   r->resource);
	if (p->seen_rlimit[r->resource])
		return bad(p, "resource", "resource %d appears twice",
			   r->resource);
	if (r->cur > r->max)
		return bad(p, "cur", "%llu is above max %llu",
			   (unsigned long long)r->cur,
			   (unsigned long long)r->max);
	p->seen_rlimit[r->resource] = true;
	return 0;
}

static int check_file_id(struct parse *p, const struct kt_pimg_file_id *f,
			 unsigned type)
{
	if ((f->mode & S_IFMT) != type)
		return bad(p, "file.mode", "0%o is not the file type 0%o",
			   f->mode, type);
	if (f->size < 0)
		return bad(p, "file.size", "%lld is negative",
			   (long long)f->size);
	if (f->mtime.tv_nsec < 0 || f->mtime.tv_nsec > 999999999)
		return bad(p, "file.mtime.nsec", "%lld is not 0..999999999",
			   (long long)f->mtime.tv_nsec);
	return 0;
}

static int check_fd(struct parse *p, const struct kt_pimg_fd *d)
{
	static const unsigned types[] = {[KT_FD_REG] = S_IFREG,
					 [KT_FD_DIR] = S_IFDIR,
					 [KT_FD_CHR] = S_IFCHR};
	int r;

	if (d->fd < 0)
		return bad(p, "fd", "%d is negative", d->fd);
	if (p->img->n_fds && d->fd <= p->img->fds[p->img->n_fds - 1].fd)
		return bad(p, "fd", "%d does not ascend from fd %d", d->fd,
			   p->img->fds[p->img->n_fds - 1].fd);
	if (d->kind < KT_FD_REG || d->kind > KT_FD_CHR)
		return bad(p, "kind",
			   "%u is not 1 (file), 2 (directory) or 3 "
			   "(character device)",
			   d->kind);
	if ((d->flags & ~(uint32_t)FD_FLAGS_KNOWN) ||
	    (d->flags & O_ACCMODE) == O_ACCMODE)
		return bad(p, "flags", "0%o is not what an open file holds",
			   d->flags);
	if (d->pos < 0)
		return bad(p, "pos", "%lld is negative", (long long)d->pos);
	r = check_file_id(p, &d->file, types[d->kind]);
	if (!r)
		r = check_path(p, "path", &d->path);
	return r;
}

static bool place_only(uint32_t kind)
{
	return kind == KT_VMA_VDSO || kind == KT_VMA_VVAR ||
	       kind == KT_VMA_VVAR_VCLOCK;
}

static int check_vma(struct parse *p, const struct kt_pimg_vma *v)
{
	const struct kt_process_image *img = p->img;
	bool shared = v->flags & KT_VMA_SHARED;

	if (v->start >= v->end || v->start % PAGE || v->end % PAGE ||
	    v->end > USER_TOP)
		return bad(p, "start",
			   "0x%llx-0x%llx is not a page-aligned range of user "
			   "addresses",
			   (unsigned long long)v->start,
			   (unsigned long long)v->end);
	if (img->n_vmas && v->start < img->vmas[img->n_vmas - 1].end)
		return bad(p, "start",
			   "0x%llx overlaps or precedes the mapping before",
			   (unsigned long long)v->start);
	if (v->pgoff % PAGE)
		return bad(p, "pgoff", "0x%llx is not page aligned",
			   (unsigned long long)v->pgoff);
	if (v->prot & ~7u)
		return bad(p, "prot", "0x%x is not PROT_READ, _WRITE, _EXEC",
			   v->prot);
	/* Version 1.0 knew only "shared"; later minors may know more, but
	 * a bit we cannot restore is an image we cannot restore. */
	if (p->minor == 0 && (v->flags & ~(uint32_t)KT_VMA_FLAGS_1_0))
		return bad(p, "flags",
			   "0x%x: a version 1.0 image knows only 0x1 (shared)",
			   v->flags);
	if (v->flags & ~(uint32_t)KT_VMA_FLAGS_1_1)
		return bad(p, "flags", "0x%x holds bits unknown to version 1.1",
			   v->flags);
	if (v->kind < KT_VMA_ANON || v->kind > KT_VMA_VVAR_VCLOCK)
		return bad(p, "kind", "%u is not a kind of mapping 1..8",
			   v->kind);
	/* Files may be mapped either way; the rest one way only. */
	if (v->kind != KT_VMA_FILE && shared != (v->kind == KT_VMA_SHMEM))
		return bad(p, "flags", "a mapping of kind %u is %s", v->kind,
			   shared ? "never shared" : "always shared");
	/* The vdso's and vvar's flags are the kernel's; the rest as
	 * madvise(2) allows them: MADV_WIPEONFORK on private anonymous
	 * memory only. */
	if (place_only(v->kind) && (v->flags & ~(uint32_t)KT_VMA_SHARED))
		return bad(p, "flags", "0x%x on a mapping of kind %u", v->flags,
			   v->kind);
	if ((v->flags & KT_VMA_WIPEONFORK) &&
	    (v->kind == KT_VMA_FILE || v->kind == KT_VMA_SHMEM))
		return bad(p, "flags",
			   "0x%x: wipe-on-fork on a mapping of kind %u, not "
			   "private anonymous",
			   v->flags, v->kind);
	if (v->name.len >= KT_PIMG_PATH_MAX || has_nul(&v->name))
		return bad(p, "name", "%u bytes, or a NUL byte", v->name.len);
	if (v->kind == KT_VMA_FILE) {
		int r = check_path(p, "name", &v->name);

		return r ? r : check_file_id(p, &v->file, S_IFREG);
	}
	return 0;
}

static int check_run(struct parse *p, const struct kt_pimg_run *r)
{
	const struct kt_process_image *img = p->img;
	const struct kt_pimg_vma *v;
	uint64_t from;

	if (p->last_type != KT_PREC_VMA && p->last_type != KT_PREC_PAGES)
		return kt_img_bad(&p->in, -EBADMSG, p->rec->off,
				  "a pages record that does not follow a vma "
				  "record or another pages record");
	v = &img->vmas[img->n_vmas - 1];
	from = v->n_runs ? img->runs[img->n_runs - 1].start +
				   img->runs[img->n_runs - 1].len
			 : v->start;
	if (place_only(v->kind))
		return bad(p, "start",
			   "a mapping of kind %u has no contents in the image",
			   v->kind);
	if (r->start % PAGE || r->start < from || r->start >= v->end)
		return bad(p, "start",
			   "0x%llx: not page aligned in 0x%llx-0x%llx, after "
			   "the pages before",
			   (unsigned long long)r->start,
			   (unsigned long long)from,
			   (unsigned long long)v->end);
	if (r->len == 0 || r->len % PAGE || r->len > v->end - r->start)
		return bad(p, "len",
			   "%llu bytes: whole pages, within the mapping",
			   (unsigned long long)r->len);
	if (r->off != p->pages_total)
		return bad(p, "off",
			   "%llu: the pages of each record follow those of "
			   "the last (%llu)",
			   (unsigned long long)r->off,
			   (unsigned long long)p->pages_total);
	p->pages_total += r->len;
	return 0;
}

/* Decode the current record, check it, add it to the image. */
static int take_record(struct parse *p, const struct kt_img_record *rec)
{
	struct kt_process_image *img = p->img;
	union {
		struct kt_pimg_proc proc;
		struct kt_pimg_files files;
		struct kt_pimg_thread thread;
		struct kt_pimg_sigaction sa;
		struct kt_pimg_siginfo si;
		struct kt_pimg_rlimit rl;
		struct kt_pimg_fd fd;
		struct kt_pimg_vma vma;
		struct kt_pimg_run run;
		struct kt_pimg_creds creds;
	} u;
	void *slot;
	int r;

	memset(&u, 0, sizeof(u));
	p->rec = rec;
	r = kt_img_decode(&p->in, rec, &u);
	if (r < 0)
		return r;
	switch (rec->layout->type) {
	case KT_PREC_PROCESS:
		if (p->n_process++)
			return kt_img_bad(&p->in, -EBADMSG, rec->off,
					  "a second process record");
		r = check_process(p, &u.proc);
		if (!r)
			img->proc = u.proc;
		return r;
	case KT_PREC_FILES:
		r = check_files(p, &u.files);
		if (!r)
			img->files = u.files;
		return r;
	case KT_PREC_CREDS:
		r = check_creds(p, &u.creds);
		if (!r) {
			img->creds = u.creds;
			img->has_creds = true;
		}
		return r;
	case KT_PREC_THREAD:
		r = check_thread(p, &u.thread);
		slot = r ? NULL : kt_pimg_add_thread(img);
		break;
	case KT_PREC_SIGACTION:
		r = check_sigaction(p, &u.sa);
		if (!r)
			img->sigactions[u.sa.signo - 1] = u.sa;
		return r;
	case KT_PREC_SIGINFO:
		r = check_siginfo(p, &u.si);
		slot = r ? NULL : kt_pimg_add_pending(img);
		break;
	case KT_PREC_RLIMIT:
		r = check_rlimit(p, &u.rl);
		if (!r)
			img->rlimits[u.rl.resource] = u.rl;
		return r;
	case KT_PREC_FD:
		r = check_fd(p, &u.fd);
		slot = r ? NULL : kt_pimg_add_fd(img);
		break;
	case KT_PREC_VMA:
		r = check_vma(p, &u.vma);
		if (!r) {
			u.vma.first_run = img->n_runs;
			u.vma.n_runs = 0;
		}
		slot = r ? NULL : kt_pimg_add_vma(img);
		break;
	case KT_PREC_PAGES:
		r = check_run(p, &u.run);
		slot = r ? NULL : kt_pimg_add_run(img);
		break;
	default:
		return -EPROTO; /* kt_img_next() knows only our types */
	}
	if (r)
		return r;
	if (!slot)
		return -ENOMEM;
	/* The element was zeroed (and, for a run, counted): fill it. */
	switch (rec->layout->type) {
	case KT_PREC_THREAD:
		*(struct kt_pimg_thread *)slot = u.thread;
		break;
	case KT_PREC_SIGINFO:
		*(struct kt_pimg_siginfo *)slot = u.si;
		break;
	case KT_PREC_FD:
		*(struct kt_pimg_fd *)slot = u.fd;
		break;
	case KT_PREC_VMA:
		*(struct kt_pimg_vma *)slot = u.vma;
		break;
	default:
		*(struct kt_pimg_run *)slot = u.run;
		break;
	}
	return 0;
}

/* What must be there once every record was read. */
static int check_complete(struct parse *p)
{
	const struct kt_process_image *img = p->img;
	size_t end = p->in.len;

	if (p->n_process != 1)
		return kt_img_bad(&p->in, -EBADMSG, end,
				  "the image has no process record");
	if (p->n_files != 1)
		return kt_img_bad(&p->in, -EBADMSG, end,
				  "the image has no files record");
	if (p->minor >= 2 && p->n_creds != 1)
		return kt_img_bad(&p->in, -EBADMSG, end,
				  "the image has no creds record (version "
				  "1.%u)",
				  p->minor);
	if (!find_thread(p, img->proc.pid))
		return kt_img_bad(&p->in, -EBADMSG, end,
				  "no thread record for thread %d, the "
				  "process's main thread",
				  img->proc.pid);
	for (int s = 1; s <= KT_PIMG_NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP &&
		    !img->sigactions[s - 1].signo)
			return kt_img_bad(&p->in, -EBADMSG, end,
					  "no sigaction record for signal %d",
					  s);
	for (int r = 0; r < KT_PIMG_NRLIMITS; r++)
		if (!p->seen_rlimit[r])
			return kt_img_bad(&p->in, -EBADMSG, end,
					  "no rlimit record for resource %d",
					  r);
	if (p->pages_total != img->files.pages_size)
		return kt_img_bad(&p->in, -EBADMSG, end,
				  "the pages records cover %llu bytes, the "
				  "files record says pages.img has %llu",
				  (unsigned long long)p->pages_total,
				  (unsigned long long)img->files.pages_size);
	return 0;
}

int kt_process_image_parse(const void *data, size_t len,
			   struct kt_process_image **ret_img, char *err_buf,
			   size_t err_len)
{
	struct parse p = {.in = {.format = &kt_pimg_format,
				 .len = len,
				 .err_buf = err_buf,
				 .err_len = err_len}};
	struct kt_img_record rec;
	size_t off = 0, index = 0;
	unsigned char *copy;
	int r;

	if (err_buf && err_len)
		err_buf[0] = '\0';
	p.img = kt_process_image_new();
	if (!p.img)
		return -ENOMEM;
	/* The blobs point into a copy the image owns. */
	copy = malloc(len ? len : 1);
	if (!copy || (p.img->owned = malloc(sizeof(void *))) == NULL) {
		free(copy);
		kt_process_image_free(p.img);
		return -ENOMEM;
	}
	memcpy(copy, data, len);
	p.img->owned[0] = copy;
	p.img->n_owned = p.img->cap_owned = 1;
	p.in.buf = copy;

	r = kt_img_load_header(&p.in, &off);
	if (r == 0)
		p.minor = (unsigned)kt_img_get_le(p.in.buf + 10, 2);
	while (r == 0 &&
	       (r = kt_img_next(&p.in, kt_pimg_layouts, KT_PIMG_N_LAYOUTS, &off,
				&index, &rec)) > 0) {
		r = take_record(&p, &rec);
		p.last_type = rec.layout->type;
	}
	if (r == 0)
		r = check_complete(&p);
	if (r < 0) {
		kt_process_image_free(p.img);
		return r;
	}
	*ret_img = p.img;
	return 0;
}
