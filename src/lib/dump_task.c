/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process and its thread: mm layout (/proc/PID/stat, brk), comm, cwd,
 * exe, umask, credentials (status, then prctl in the process), auxv,
 * rlimits, and the thread's registers, extended state, signal mask and
 * rseq registration.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dump.h"
#include "procfs_read.h"
#include "procfs_stat.h"

/* PTRACE_GET_RSEQ_CONFIGURATION (Linux >= 5.13), for older headers. */
#define KT_PTRACE_GET_RSEQ_CONFIGURATION 0x420f

struct kt_rseq_configuration {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static int read_proc(struct kt_dump *d, const char *file, char **ret_text,
		     size_t *ret_len)
{
	char path[64];
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)d->pid, file);
	r = kt_read_text(path, ret_text, ret_len);
	if (r < 0)
		return KT_DUMP_FAIL(d, r == -ENOENT ? -ESRCH : r, "%s: %s",
				    path, strerror(-r));
	return 0;
}

/* readlink(/proc/PID/what) into a blob of the image. */
static int read_link(struct kt_dump *d, const char *what,
		     struct kt_img_blob *blob)
{
	char path[64], *buf;
	ssize_t n;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)d->pid, what);
	buf = malloc(KT_PIMG_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	n = readlink(path, buf, KT_PIMG_PATH_MAX);
	if (n < 0) {
		r = KT_DUMP_FAIL(d, -errno, "readlink %s: %s", path,
				 strerror(errno));
	} else if (n == KT_PIMG_PATH_MAX) {
		r = KT_DUMP_FAIL(d, -ENAMETOOLONG, "readlink %s: too long",
				 path);
	} else {
		r = kt_pimg_blob_dup(d->img, blob, buf, (size_t)n);
	}
	free(buf);
	return r;
}

static bool ends_with(const struct kt_img_blob *b, const char *suffix)
{
	size_t n = strlen(suffix);

	return b->len >= n &&
	       memcmp((const char *)b->data + b->len - n, suffix, n) == 0;
}

static int dump_stat(struct kt_dump *d)
{
	struct kt_pimg_mm *mm = &d->img->proc.mm;
	struct kt_parse_error perr;
	struct kt_proc_stat st;
	char *text;
	size_t len;
	int r;

	r = read_proc(d, "stat", &text, &len);
	if (r < 0)
		return r;
	r = kt_procfs_stat_parse(text, len, &st, &perr);
	free(text);
	if (r < 0)
		return KT_DUMP_FAIL(d, -EBADMSG, "/proc/%d/stat: %s",
				    (int)d->pid, perr.msg);
	mm->start_code = st.start_code;
	mm->end_code = st.end_code;
	mm->start_stack = st.start_stack;
	mm->start_data = st.start_data;
	mm->end_data = st.end_data;
	mm->start_brk = st.start_brk;
	mm->brk = st.start_brk; /* until brk(0) tells */
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;
	return 0;
}

static int dump_umask(struct kt_dump *d, const char *text, size_t len)
{
	struct kt_parse_error perr;
	unsigned umask;
	int r;

	r = kt_procfs_status_umask(text, len, &umask, &perr);
	if (r == -ENOENT)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "/proc/%d/status has no Umask line (Linux "
				    "< 4.7)",
				    (int)d->pid);
	if (r < 0)
		return KT_DUMP_FAIL(d, -EBADMSG, "/proc/%d/status: %s",
				    (int)d->pid, perr.msg);
	d->img->proc.umask = umask;
	return 0;
}

/* Uid, Gid, Groups, Cap*, NoNewPrivs, Seccomp of /proc/PID/status. A
 * process under seccomp is refused: its filters cannot be restored, and
 * restoring it without them would take it out of its sandbox. */
static int dump_creds(struct kt_dump *d, const char *text, size_t len)
{
	struct kt_pimg_creds *c = &d->img->creds;
	struct kt_parse_error perr;
	struct kt_proc_creds cr;
	int r;

	r = kt_procfs_status_creds(text, len, &cr, &perr);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "/proc/%d/status: %s (Linux < 4.10?)",
				    (int)d->pid, perr.msg);
	if (r < 0)
		return KT_DUMP_FAIL(d, -EBADMSG, "/proc/%d/status: %s",
				    (int)d->pid, perr.msg);
	if (cr.seccomp) {
		free(cr.groups);
		return KT_DUMP_FAIL(
			d, -EOPNOTSUPP,
			"process %d runs under seccomp (%s mode): its filters "
			"cannot be restored, and restoring it without them "
			"would take it out of its sandbox",
			(int)d->pid, cr.seccomp == 1 ? "strict" : "filter");
	}
	memcpy(c->uid, cr.uid, sizeof(c->uid));
	memcpy(c->gid, cr.gid, sizeof(c->gid));
	c->cap_inh = cr.cap_inh;
	c->cap_prm = cr.cap_prm;
	c->cap_eff = cr.cap_eff;
	c->cap_bnd = cr.cap_bnd;
	c->cap_amb = cr.cap_amb;
	c->no_new_privs = cr.no_new_privs;
	r = kt_pimg_blob_dup(d->img, &c->groups, cr.groups,
			     cr.n_groups * sizeof(uint32_t));
	free(cr.groups);
	d->img->has_creds = r == 0;
	return r;
}

/* /proc/PID/status, read once: the umask and the credentials. */
static int dump_status(struct kt_dump *d)
{
	char *text;
	size_t len;
	int r;

	r = read_proc(d, "status", &text, &len);
	if (r < 0)
		return r;
	r = dump_umask(d, text, len);
	if (r == 0)
		r = dump_creds(d, text, len);
	free(text);
	return r;
}

static int dump_names(struct kt_dump *d)
{
	struct kt_pimg_proc *p = &d->img->proc;
	char *text;
	size_t len;
	int r;

	r = read_proc(d, "comm", &text, &len);
	if (r < 0)
		return r;
	/* "%s\n" of a comm of at most 15 bytes */
	if (len == 0 || len > 16 || text[len - 1] != '\n')
		r = KT_DUMP_FAIL(d, -EBADMSG,
				 "/proc/%d/comm: %zu bytes, not a comm and a "
				 "newline",
				 (int)d->pid, len);
	else
		r = kt_pimg_blob_dup(d->img, &p->comm, text, len - 1);
	free(text);
	if (r < 0)
		return r;
	r = read_link(d, "cwd", &p->cwd);
	if (r < 0)
		return r;
	if (ends_with(&p->cwd, " (deleted)"))
		return KT_DUMP_FAIL(d, -EOPNOTSUPP,
				    "the working directory of process %d was "
				    "deleted: %.*s",
				    (int)d->pid, (int)p->cwd.len,
				    (const char *)p->cwd.data);
	r = read_link(d, "exe", &p->exe);
	if (r < 0)
		return r;

	r = read_proc(d, "auxv", &text, &len);
	if (r < 0)
		return r;
	if (len == 0 || len % 16)
		r = KT_DUMP_FAIL(d, -EBADMSG,
				 "/proc/%d/auxv: %zu bytes are not (type, "
				 "value) pairs",
				 (int)d->pid, len);
	else
		r = kt_pimg_blob_dup(d->img, &p->auxv, text, len);
	free(text);
	return r;
}

/* From outside; without the right (other uids, no CAP_SYS_RESOURCE) the
 * injected half reads them. */
static int dump_rlimits(struct kt_dump *d)
{
	for (int res = 0; res < KT_PIMG_NRLIMITS; res++) {
		struct rlimit rl;

		if (prlimit(d->pid, (__rlimit_resource_t)res, NULL, &rl) < 0) {
			if (errno == EPERM) {
				d->rlimits_need_injection = true;
				return 0;
			}
			return KT_DUMP_FAIL(d, -errno, "prlimit(%d, %d): %s",
					    (int)d->pid, res, strerror(errno));
		}
		d->img->rlimits[res] =
			(struct kt_pimg_rlimit){.resource = res,
						.cur = rl.rlim_cur,
						.max = rl.rlim_max};
	}
	return 0;
}

static int dump_thread(struct kt_dump *d)
{
	struct kt_rseq_configuration rseq = {0};
	struct kt_pimg_thread *t;
	const void *xstate;
	unsigned xtype;
	size_t xlen;
	int r;

	/* Seize saved the mask and extended state of the run thread only:
	 * with one thread, that one. */
	if (kt_target_run_tid(d->target) != d->tid)
		return KT_DUMP_FAIL(d, -EPROTO,
				    "thread %d is not the one seize saved the "
				    "state of (%d)",
				    (int)d->tid,
				    (int)kt_target_run_tid(d->target));
	t = kt_pimg_add_thread(d->img);
	if (!t)
		return -ENOMEM;
	t->tid = d->tid;
	t->sigmask = kt_target_sigmask(d->target);
	r = kt_target_regs(d->target, d->tid, &t->regs);
	if (r < 0)
		return KT_DUMP_FAIL(d, r, "thread %d is gone", (int)d->tid);
	xlen = kt_target_xstate(d->target, &xstate, &xtype);
	t->xstate_type = xtype;
	r = kt_pimg_blob_dup(d->img, &t->xstate, xstate, xlen);
	if (r < 0)
		return r;

	/* rseq: where glibc (>= 2.35) registered its area, if it did. */
	if (ptrace((enum __ptrace_request)KT_PTRACE_GET_RSEQ_CONFIGURATION,
		   d->tid, (void *)sizeof(rseq), &rseq) < 0) {
		if (errno != EIO)
			return KT_DUMP_FAIL(d, -errno,
					    "PTRACE_GET_RSEQ_CONFIGURATION of "
					    "%d: %s",
					    (int)d->tid, strerror(errno));
		/* Linux < 5.13: nobody can tell from outside. */
		kt_log(KT_LOG_WARN,
		       "dump: the kernel cannot tell whether thread %d "
		       "registered rseq (Linux < 5.13)",
		       (int)d->tid);
		t->rseq_state = KT_RSEQ_UNKNOWN;
	} else if (rseq.rseq_abi_pointer) {
		t->rseq_state = KT_RSEQ_REGISTERED;
		t->rseq_ptr = rseq.rseq_abi_pointer;
		t->rseq_len = rseq.rseq_abi_size;
		t->rseq_sig = rseq.signature;
		t->rseq_flags = rseq.flags;
	}
	return 0;
}

int kt_dump_task(struct kt_dump *d)
{
	int r;

	d->img->proc.pid = d->pid;
	d->img->proc.page_size = KT_PIMG_PAGE_SIZE;
	r = dump_stat(d);
	if (!r)
		r = dump_status(d);
	if (!r)
		r = dump_names(d);
	if (!r)
		r = dump_rlimits(d);
	if (!r)
		r = dump_thread(d);
	return r;
}

/* One prctl in the process: its answer (>= 0), or through *out (an int
 * the call writes) when out is not NULL. */
static int dump_prctl(struct kt_dump *d, const char *what, int option, int *out,
		      long *ret)
{
	long args[6] = {option, 0, 0, 0, 0, 0};
	int r;

	r = kt_dump_call(d, what, __NR_prctl, args, out ? 1 : -1, NULL, out,
			 out ? sizeof(*out) : 0, ret);
	if (r < 0)
		return r;
	if (*ret < 0)
		return KT_DUMP_FAIL(d, (int)*ret, "%s in process %d: %s", what,
				    (int)d->pid, strerror((int)-*ret));
	return 0;
}

/* What only the process can tell of itself: prctl state, persona. */
static int dump_persona(struct kt_dump *d)
{
	struct kt_pimg_creds *c = &d->img->creds;
	long args[6] = {0xffffffffL, 0, 0, 0, 0, 0}, ret = 0;
	int subreaper = 0, pdeathsig = 0;
	int r;

	r = dump_prctl(d, "prctl(PR_GET_DUMPABLE)", PR_GET_DUMPABLE, NULL,
		       &ret);
	c->dumpable = (uint32_t)ret;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_KEEPCAPS)", PR_GET_KEEPCAPS,
			       NULL, &ret);
	c->keepcaps = (uint32_t)ret;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_SECUREBITS)", PR_GET_SECUREBITS,
			       NULL, &ret);
	c->securebits = (uint32_t)ret;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_CHILD_SUBREAPER)",
			       PR_GET_CHILD_SUBREAPER, &subreaper, &ret);
	c->child_subreaper = (uint32_t)subreaper;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_PDEATHSIG)", PR_GET_PDEATHSIG,
			       &pdeathsig, &ret);
	c->pdeathsig = (uint32_t)pdeathsig;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_TIMERSLACK)", PR_GET_TIMERSLACK,
			       NULL, &ret);
	c->timerslack = (uint64_t)ret;
	if (!r)
		r = dump_prctl(d, "prctl(PR_GET_THP_DISABLE)",
			       PR_GET_THP_DISABLE, NULL, &ret);
	c->thp_disable = ret != 0;
	if (r < 0)
		return r;
	r = kt_dump_call(d, "personality(0xffffffff)", __NR_personality, args,
			 -1, NULL, NULL, 0, &ret);
	if (r < 0)
		return r;
	if (ret < 0)
		return KT_DUMP_FAIL(d, (int)ret,
				    "personality(0xffffffff) in process %d: %s",
				    (int)d->pid, strerror((int)-ret));
	c->personality = (uint32_t)ret;
	return 0;
}

int kt_dump_task_inject(struct kt_dump *d)
{
	long args[6] = {0}, ret = 0;
	int r;

	/* brk(0) changes nothing and answers mm->brk exactly, where the
	 * [heap] mapping only shows it rounded up to a page. */
	r = kt_dump_call(d, "brk", __NR_brk, args, -1, NULL, NULL, 0, &ret);
	if (r < 0)
		return r;
	if (ret < 0 || (uint64_t)ret < d->img->proc.mm.start_brk)
		return KT_DUMP_FAIL(
			d, -EPROTO,
			"brk(0) in process %d gave %ld, below "
			"start_brk 0x%llx",
			(int)d->pid, ret,
			(unsigned long long)d->img->proc.mm.start_brk);
	d->img->proc.mm.brk = (uint64_t)ret;

	for (int res = 0; d->rlimits_need_injection && res < KT_PIMG_NRLIMITS;
	     res++) {
		uint64_t rl[2]; /* struct rlimit64 */
		long a[6] = {0, res, 0, 0, 0, 0};

		r = kt_dump_call(d, "prlimit64", __NR_prlimit64, a, 3, NULL, rl,
				 sizeof(rl), &ret);
		if (r < 0)
			return r;
		if (ret < 0)
			return KT_DUMP_FAIL(d, (int)ret,
					    "prlimit64(0, %d) in process %d: "
					    "%s",
					    res, (int)d->pid,
					    strerror((int)-ret));
		d->img->rlimits[res] = (struct kt_pimg_rlimit){
			.resource = res, .cur = rl[0], .max = rl[1]};
	}
	return dump_persona(d);
}
