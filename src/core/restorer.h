/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restorer: the freestanding part of a whole-process restore
 * (kt_restore_process(), src/lib/restore_process.c). It runs in the new
 * process, from a private area (code, these arguments, a stack) that the
 * host placed in a gap of the dumped memory map, and turns the process
 * into the dumped one:
 *
 *   1. every mapping but its own area is unmapped (the old program, its
 *      stack, its vdso);
 *   2. each dumped mapping is made at its address, from its file or
 *      anonymous, and filled from pages.img; then its protection is set
 *      and what madvise(2) had set on it (DONTFORK, WIPEONFORK, DONTDUMP,
 *      HUGEPAGE, NOHUGEPAGE) set again;
 *   3. the vdso is mapped where it was (ARCH_MAP_VDSO_64), and the mm
 *      layout (code, data, brk, stack, arguments, environment, auxv, exe)
 *      is set with PR_SET_MM_MAP;
 *   4. signal handlers and the alternate stack;
 *   5. the timers: a restore plan (restore.h), exact IDs included;
 *   6. pending signals queued again, rseq registered, comm, the working
 *      descriptors closed, the rlimits;
 *   7. the persona (personality, timer slack, THP-disable, child
 *      subreaper, parent-death signal) and the credentials, last:
 *      bounding set, groups, gids, uids, capabilities, ambient set,
 *      securebits, no_new_privs, dumpable.
 *
 * It ends with int3 (the host holds the process under ptrace), which
 * then puts the registers, extended state and signal mask back, unmaps
 * the area and lets the process go. With no way back once the old memory
 * is gone, a failure only says where it happened (stage, index, result):
 * the host kills the process.
 *
 * Everything here crosses from the host into freestanding code: fixed-size
 * fields, offsets from the start of struct ktc_restorer_args.
 */
#ifndef KT_CORE_RESTORER_H
#define KT_CORE_RESTORER_H

#include <stdint.h>

#include "parasite.h"
#include "restore.h"

/* What madvise(2) set on a mapping, applied once it is filled and
 * protected (struct ktc_rst_vma's advice). */
#define KTC_RST_ADV_DONTFORK   0x01 /* MADV_DONTFORK */
#define KTC_RST_ADV_WIPEONFORK 0x02 /* MADV_WIPEONFORK */
#define KTC_RST_ADV_DONTDUMP   0x04 /* MADV_DONTDUMP */
#define KTC_RST_ADV_HUGEPAGE   0x08 /* MADV_HUGEPAGE: EINVAL is no failure */
#define KTC_RST_ADV_NOHUGEPAGE 0x10 /* MADV_NOHUGEPAGE: likewise */
#define KTC_RST_ADV_ALL	       0x1f

/* A mapping to make. */
struct ktc_rst_vma {
	uint64_t start, end; /* page aligned */
	uint64_t pgoff;	     /* file offset, bytes */
	int32_t prot;	     /* PROT_* */
	int32_t flags;	     /* mmap flags: MAP_PRIVATE or MAP_SHARED, with
				MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE */
	int32_t fd;	     /* the file, or -1 */
	uint32_t name_len;   /* "[anon:NAME]": NAME's length, or 0 */
	uint64_t name_off;   /* NAME, NUL-terminated */
	uint64_t first_run, n_runs; /* contents: runs[first_run..+n_runs) */
	uint32_t advice;	    /* KTC_RST_ADV_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct ktc_rst_vma) == 72, "vma layout");

/* Contents: len bytes at address start, from offset off of pages.img. */
struct ktc_rst_run {
	uint64_t start, len, off;
};

/* The kernel's struct sigaction for rt_sigaction(2). */
struct ktc_rst_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* A pending signal to queue again. */
struct ktc_rst_siginfo {
	int32_t tid; /* the thread's queue, or 0: the process's */
	int32_t signo;
	uint8_t info[128]; /* the kernel's siginfo */
};

struct ktc_rst_rlimit {
	uint64_t cur, max;
};

/* struct prctl_mm_map of <linux/prctl.h>, for PR_SET_MM_MAP. */
struct ktc_mm_map {
	uint64_t start_code, end_code;
	uint64_t start_data, end_data;
	uint64_t start_brk, brk;
	uint64_t start_stack;
	uint64_t arg_start, arg_end;
	uint64_t env_start, env_end;
	uint64_t auxv; /* address: the restorer sets it */
	uint32_t auxv_size;
	uint32_t exe_fd;
};
_Static_assert(sizeof(struct ktc_mm_map) == 104, "prctl_mm_map layout");

/* What to change of the credentials (struct ktc_rst_creds's set). */
#define KTC_RST_SET_CREDS  0x01 /* the image records them: do it all */
#define KTC_RST_SET_GROUPS 0x02 /* setgroups: the list differs from ours */
#define KTC_RST_SET_GIDS   0x04 /* setresgid: they differ from ours */
#define KTC_RST_SET_UIDS   0x08 /* setresuid: likewise */

/* The persona and credentials of the image (the "creds" record). */
struct ktc_rst_creds {
	uint32_t set;	 /* KTC_RST_SET_* */
	uint32_t uid[4]; /* real, effective, saved, filesystem */
	uint32_t gid[4];
	uint32_t n_groups;
	uint64_t groups_off; /* uint32_t[n_groups] */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint64_t timerslack;
	uint32_t securebits;
	uint32_t no_new_privs;
	uint32_t dumpable; /* 0 or 1 */
	uint32_t child_subreaper;
	uint32_t pdeathsig;
	uint32_t thp_disable;
	uint32_t personality;
	uint32_t pad;
};

/* Where the restorer stopped (the failing element in index). */
enum ktc_rst_stage {
	KTC_RST_NONE = 0,
	KTC_RST_ARGS,	   /* the arguments are inconsistent */
	KTC_RST_UNMAP,	   /* munmap of the old memory */
	KTC_RST_MAP,	   /* mmap of vma index */
	KTC_RST_FILL,	   /* pread of run index */
	KTC_RST_PROTECT,   /* mprotect of vma index */
	KTC_RST_VDSO,	   /* ARCH_MAP_VDSO_64 */
	KTC_RST_MM,	   /* PR_SET_MM_MAP */
	KTC_RST_SIGACTION, /* rt_sigaction of signal index */
	KTC_RST_ALTSTACK,  /* sigaltstack */
	KTC_RST_TIMERS,	   /* the plan; its own stage and index say more */
	KTC_RST_PENDING,   /* queueing pending signal index */
	KTC_RST_RSEQ,	   /* rseq registration */
	KTC_RST_COMM,	   /* PR_SET_NAME */
	KTC_RST_CLOSE,	   /* closing working descriptor index */
	KTC_RST_RLIMIT,	   /* prlimit of resource index */
	KTC_RST_ADVISE,	   /* madvise of vma index (its advice) */
	/* The persona and credentials, last (struct ktc_rst_creds). */
	KTC_RST_PERSONALITY,  /* personality */
	KTC_RST_TIMERSLACK,   /* PR_SET_TIMERSLACK */
	KTC_RST_THP,	      /* PR_SET_THP_DISABLE */
	KTC_RST_SUBREAPER,    /* PR_SET_CHILD_SUBREAPER */
	KTC_RST_PDEATHSIG,    /* PR_SET_PDEATHSIG */
	KTC_RST_CAPBSET,      /* PR_CAPBSET_DROP of capability index */
	KTC_RST_KEEPCAPS,     /* PR_SET_KEEPCAPS 1 */
	KTC_RST_GROUPS,	      /* setgroups */
	KTC_RST_GID,	      /* setresgid */
	KTC_RST_FSGID,	      /* setfsgid */
	KTC_RST_UID,	      /* setresuid */
	KTC_RST_FSUID,	      /* setfsuid */
	KTC_RST_CAPSET,	      /* capset */
	KTC_RST_AMBIENT,      /* PR_CAP_AMBIENT_RAISE of capability index */
	KTC_RST_SECUREBITS,   /* PR_SET_SECUREBITS (or PR_SET_KEEPCAPS) */
	KTC_RST_NO_NEW_PRIVS, /* PR_SET_NO_NEW_PRIVS */
	KTC_RST_DUMPABLE,     /* PR_SET_DUMPABLE */
};
#define KTC_RST_LAST_STAGE KTC_RST_DUMPABLE

#define KTC_RST_NSIG	 64
#define KTC_RST_NRLIMITS 16

struct ktc_restorer_args {
	uint64_t magic; /* struct ktc_parasite_hdr: KTC_PARASITE_MAGIC, */
	uint32_t op;	/* KTC_PARASITE_RESTORE_PROCESS */
	int32_t pid;	/* the process, and its one thread */
	/* The restorer's own area, left mapped; its stack's top. */
	uint64_t area_start, area_end, stack_top;
	uint64_t size; /* of these arguments with their arrays */

	int32_t pages_fd; /* pages.img */
	uint32_t n_vmas;
	uint32_t n_runs;
	uint32_t n_pending;
	uint64_t vmas_off;    /* struct ktc_rst_vma[n_vmas], ascending */
	uint64_t runs_off;    /* struct ktc_rst_run[n_runs] */
	uint64_t pending_off; /* struct ktc_rst_siginfo[n_pending] */
	uint64_t vdso_addr;   /* where [vvar] began (0: no vdso) */

	struct ktc_mm_map mm;
	uint64_t auxv_off; /* mm.auxv_size bytes */

	/* rt_sigaction for every signal whose bit (n - 1) is set */
	uint64_t sigaction_set;
	struct ktc_rst_sigaction sigactions[KTC_RST_NSIG]; /* [signo - 1] */
	/* stack_t */
	uint64_t altstack_sp;
	int32_t altstack_flags;
	int32_t pad0;
	uint64_t altstack_size;

	uint64_t rseq_ptr; /* 0: none registered */
	uint32_t rseq_len, rseq_sig;

	struct ktc_rst_rlimit rlimits[KTC_RST_NRLIMITS];
	char comm[16];		    /* NUL-terminated */
	struct ktc_rst_creds creds; /* set last */

	uint64_t plan_off; /* struct ktc_restore_plan with its arrays */
	uint32_t n_close;  /* working descriptors to close at the end */
	uint32_t pad1;
	uint64_t close_off; /* int32_t[n_close] */

	/* Out. */
	int32_t result; /* 0 or -errno */
	int32_t stage;	/* enum ktc_rst_stage */
	uint64_t index;
	uint64_t pages_bytes; /* filled from pages.img */
	/* CLOCK_MONOTONIC at the start and at the end of each part */
	uint64_t t_start, t_memory, t_signals, t_timers, t_end;
};

/*
 * Rebuild the process from args (the parasite's entry calls it for
 * KTC_PARASITE_RESTORE_PROCESS). It moves to the stack at args->stack_top
 * and never returns: it ends with int3, args->result in rax.
 */
__attribute__((noreturn)) void ktc_restorer_run(struct ktc_restorer_args *args);

#endif /* KT_CORE_RESTORER_H */
