/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process image: what kt_dump_process() writes into a directory
 * (docs/process-image.md) and what a restore reads back.
 *
 *   process.img  records in the codec of image_codec.h: the process, its
 *                threads (registers, extended state, signal mask,
 *                alternate stack, rseq), signal handlers, pending
 *                signals, rlimits, descriptors, mappings and where the
 *                contents of each lie in pages.img;
 *   pages.img    raw memory contents, page after page;
 *   timers.img   the timer image of docs/image-format.md.
 *
 * process.img names the size and CRC-32C of the other two, so that a
 * directory whose files come from different dumps is refused.
 */
#ifndef KT_LIB_PROCESS_IMAGE_H
#define KT_LIB_PROCESS_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "../arch/x86_64/inject_regs.h"
#include "image_codec.h"
#include "internal.h"

#define KT_PIMG_PROCESS "process.img"
#define KT_PIMG_PAGES	"pages.img"
#define KT_PIMG_TIMERS	"timers.img"

#define KT_PIMG_PAGE_SIZE 4096u
#define KT_PIMG_NSIG	  64 /* signals 1..64 */
#define KT_PIMG_NRLIMITS  16 /* RLIMIT_CPU .. RLIMIT_RTTIME */
#define KT_PIMG_PATH_MAX  4096
/* The largest process.img the loader reads. */
#define KT_PIMG_MAX_SIZE (64ULL << 20)

/* Where the mm's special addresses were (struct mm_struct). */
struct kt_pimg_mm {
	uint64_t start_code, end_code; /* /proc/PID/stat fields 26, 27 */
	uint64_t start_data, end_data; /* 45, 46 */
	uint64_t start_brk;	       /* 47 */
	uint64_t brk;		       /* brk(0) in the process */
	uint64_t start_stack;	       /* 28 */
	uint64_t arg_start, arg_end;   /* 48, 49 */
	uint64_t env_start, env_end;   /* 50, 51 */
};

/* Record "process": one. */
struct kt_pimg_proc {
	int32_t pid;
	uint32_t umask;
	uint32_t page_size;
	uint32_t reserved;
	struct kt_pimg_mm mm;
	struct kt_img_blob comm; /* /proc/PID/comm without its newline */
	struct kt_img_blob cwd;	 /* readlink(/proc/PID/cwd) */
	struct kt_img_blob exe;	 /* readlink(/proc/PID/exe) */
	struct kt_img_blob auxv; /* /proc/PID/auxv: u64 pairs to AT_NULL */
};

/* Record "files": one. What the other files of the directory hold. */
struct kt_pimg_files {
	uint64_t pages_size;
	uint32_t pages_crc;  /* CRC-32C of all of pages.img */
	uint32_t timers_crc; /* the checksum field of timers.img's header */
	uint64_t timers_size;
};

enum kt_pimg_rseq_state {
	KT_RSEQ_NONE = 0,	/* no rseq area registered */
	KT_RSEQ_REGISTERED = 1, /* the fields say where */
	KT_RSEQ_UNKNOWN = 2,	/* the kernel cannot tell (Linux < 5.13) */
};

/* Record "thread": one per thread. */
struct kt_pimg_thread {
	int32_t tid;
	uint32_t rseq_state; /* enum kt_pimg_rseq_state */
	uint64_t sigmask;    /* blocked: bit n-1 for signal n */
	/* sigaltstack(NULL, &ss) */
	uint64_t altstack_sp;
	int32_t altstack_flags; /* SS_ONSTACK, SS_DISABLE | SS_AUTODISARM */
	uint32_t reserved;
	uint64_t altstack_size;
	/* PTRACE_GET_RSEQ_CONFIGURATION */
	uint64_t rseq_ptr;
	uint32_t rseq_len;
	uint32_t rseq_sig;
	uint32_t rseq_flags;
	uint32_t xstate_type; /* NT_X86_XSTATE or NT_PRFPREG */
	struct kt_img_blob xstate;
	kt_regs_t regs; /* PTRACE_GETREGS */
};

/* Record "sigaction": one per signal 1..64 but SIGKILL and SIGSTOP. */
struct kt_pimg_sigaction {
	int32_t signo;
	uint32_t reserved;
	uint64_t handler; /* SIG_DFL 0, SIG_IGN 1, or an address */
	uint64_t flags;	  /* SA_* */
	uint64_t restorer;
	uint64_t mask;
};

/* Record "siginfo": a pending signal, in queue order. */
struct kt_pimg_siginfo {
	int32_t tid;   /* the thread's queue, or 0: the process's (shared) */
	int32_t signo; /* as in info */
	struct kt_img_blob info; /* the kernel's siginfo_t, 128 bytes */
};

/* Record "rlimit": one per resource. */
struct kt_pimg_rlimit {
	int32_t resource;
	uint32_t reserved;
	uint64_t cur, max; /* RLIM_INFINITY is all ones */
};

/* The identity of a file at dump time: a restore checks it is unchanged. */
struct kt_pimg_file_id {
	uint64_t dev; /* st_dev */
	uint64_t ino;
	uint64_t rdev; /* st_rdev: character devices */
	int64_t size;
	struct timespec mtime;
	uint32_t mode; /* st_mode: type and permissions */
	uint32_t reserved;
};

enum kt_pimg_fd_kind {
	KT_FD_REG = 1, /* a regular file */
	KT_FD_DIR = 2, /* a directory */
	KT_FD_CHR = 3, /* a character device (not a terminal) */
};

/* Record "fd": one per descriptor, ascending (timerfds are in
 * timers.img). */
struct kt_pimg_fd {
	int32_t fd;
	uint32_t kind;	/* enum kt_pimg_fd_kind */
	uint32_t flags; /* fdinfo "flags:": O_* with O_CLOEXEC */
	int32_t mnt_id; /* fdinfo "mnt_id:", -1 if not shown */
	int64_t pos;
	struct kt_pimg_file_id file;
	struct kt_img_blob path; /* readlink(/proc/PID/fd/N) */
};

enum kt_pimg_vma_kind {
	KT_VMA_ANON = 1,	/* private anonymous, "[anon:NAME]" too */
	KT_VMA_HEAP = 2,	/* [heap] */
	KT_VMA_STACK = 3,	/* [stack] */
	KT_VMA_FILE = 4,	/* a regular file, private or shared */
	KT_VMA_SHMEM = 5,	/* MAP_SHARED | MAP_ANONYMOUS */
	KT_VMA_VDSO = 6,	/* [vdso]: its place only */
	KT_VMA_VVAR = 7,	/* [vvar]: its place only */
	KT_VMA_VVAR_VCLOCK = 8, /* [vvar_vclock]: its place only */
};

/* The vma record's flags. */
#define KT_VMA_SHARED 0x01 /* 's' in maps (VM_MAYSHARE) */
/* Since version 1.1, from the VmFlags of /proc/PID/smaps: */
#define KT_VMA_NORESERVE  0x02 /* "nr": VM_NORESERVE (MAP_NORESERVE) */
#define KT_VMA_DONTFORK	  0x04 /* "dc": VM_DONTCOPY (MADV_DONTFORK) */
#define KT_VMA_WIPEONFORK 0x08 /* "wf": VM_WIPEONFORK (MADV_WIPEONFORK) */
#define KT_VMA_DONTDUMP	  0x10 /* "dd": VM_DONTDUMP (MADV_DONTDUMP) */
#define KT_VMA_HUGEPAGE	  0x20 /* "hg": VM_HUGEPAGE (MADV_HUGEPAGE) */
#define KT_VMA_NOHUGEPAGE 0x40 /* "nh": VM_NOHUGEPAGE (MADV_NOHUGEPAGE) */
/* Every flag of version 1.0, and of 1.1. */
#define KT_VMA_FLAGS_1_0 KT_VMA_SHARED
#define KT_VMA_FLAGS_1_1                                                       \
	(KT_VMA_SHARED | KT_VMA_NORESERVE | KT_VMA_DONTFORK |                  \
	 KT_VMA_WIPEONFORK | KT_VMA_DONTDUMP | KT_VMA_HUGEPAGE |               \
	 KT_VMA_NOHUGEPAGE)

/* Record "vma": one per mapping, ascending, each followed by its pages
 * records. */
struct kt_pimg_vma {
	uint64_t start, end;
	uint64_t pgoff; /* offset in the file, bytes */
	uint32_t prot;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
	uint32_t flags; /* KT_VMA_SHARED, KT_VMA_NORESERVE, ... */
	uint32_t kind;	/* enum kt_pimg_vma_kind */
	uint32_t reserved;
	struct kt_pimg_file_id file; /* KT_VMA_FILE */
	struct kt_img_blob name;     /* KT_VMA_FILE: the path; else the name
					maps shows, maybe empty */
	/* Not in the record: its pages records, runs[first_run..+n_runs). */
	size_t first_run, n_runs;
};

/*
 * Record "pages": memory contents of the mapping before it, at
 * [start, start + len), stored at offset off of pages.img. Pages of a
 * mapping no record covers are zero (anonymous) or the file's (file
 * mappings): they never held anything else.
 */
struct kt_pimg_run {
	uint64_t start;
	uint64_t len; /* bytes, whole pages */
	uint64_t off; /* bytes into pages.img: each run right after the last */
};

/* The most supplementary groups a creds record holds (NGROUPS_MAX). */
#define KT_PIMG_NGROUPS_MAX 65536

/* Record "creds": one, since version 1.2. /proc/PID/status, and what
 * prctl(2) and personality(2) answer in the process. */
struct kt_pimg_creds {
	uint32_t uid[4]; /* Uid: real, effective, saved, filesystem */
	uint32_t gid[4]; /* Gid: likewise */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb; /* Cap* */
	uint32_t securebits;	  /* PR_GET_SECUREBITS */
	uint32_t no_new_privs;	  /* NoNewPrivs: 0 or 1 */
	uint32_t seccomp;	  /* Seccomp: always 0 (1, 2 are refused) */
	uint32_t dumpable;	  /* PR_GET_DUMPABLE: 0, 1 or 2 */
	uint32_t keepcaps;	  /* PR_GET_KEEPCAPS: securebits' KEEP_CAPS */
	uint32_t child_subreaper; /* PR_GET_CHILD_SUBREAPER: 0 or 1 */
	uint32_t pdeathsig;	  /* PR_GET_PDEATHSIG: 0 (none) or 1..64 */
	uint32_t thp_disable;	  /* PR_GET_THP_DISABLE: 0 or 1 */
	uint32_t personality;	  /* personality(0xffffffff) */
	uint32_t reserved;
	uint64_t timerslack;	   /* PR_GET_TIMERSLACK, ns */
	struct kt_img_blob groups; /* Groups: u32 each, at most 65536 */
};

/* A whole process image. Every pointer is owned by it. */
struct kt_process_image {
	struct kt_pimg_proc proc;
	struct kt_pimg_files files;
	struct kt_pimg_creds creds;
	bool has_creds; /* version 1.2 and later: always */
	struct kt_pimg_thread *threads;
	size_t n_threads;
	struct kt_pimg_sigaction sigactions[KT_PIMG_NSIG]; /* [signo - 1] */
	struct kt_pimg_siginfo *pending;
	size_t n_pending;
	struct kt_pimg_rlimit rlimits[KT_PIMG_NRLIMITS];
	struct kt_pimg_fd *fds;
	size_t n_fds;
	struct kt_pimg_vma *vmas;
	size_t n_vmas;
	struct kt_pimg_run *runs;
	size_t n_runs;
	/* kt_process_image_load() only: the timers of timers.img */
	struct kt_snapshot *timers;

	/* Memory the blobs point into, freed with the image. */
	void **owned;
	size_t n_owned, cap_owned;
	/* Capacities of the arrays above. */
	size_t cap_threads, cap_pending, cap_fds, cap_vmas, cap_runs;
};

KT_HIDDEN struct kt_process_image *kt_process_image_new(void);
/* NULL is accepted. */
KT_HIDDEN void kt_process_image_free(struct kt_process_image *img);

/* Copy len bytes into memory the image owns and point *blob at it:
 * 0 or -ENOMEM. */
/* The identity of a file as stat(2) gives it. */
static inline struct kt_pimg_file_id kt_pimg_file_id_of(const struct stat *st)
{
	return (struct kt_pimg_file_id){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.rdev = st->st_rdev,
		.size = st->st_size,
		.mtime = st->st_mtim,
		.mode = st->st_mode,
	};
}

KT_HIDDEN int kt_pimg_blob_dup(struct kt_process_image *img,
			       struct kt_img_blob *blob, const void *data,
			       size_t len);

/* Append a zeroed element and return it (NULL: no memory). */
KT_HIDDEN struct kt_pimg_thread *
kt_pimg_add_thread(struct kt_process_image *img);
KT_HIDDEN struct kt_pimg_siginfo *
kt_pimg_add_pending(struct kt_process_image *img);
KT_HIDDEN struct kt_pimg_fd *kt_pimg_add_fd(struct kt_process_image *img);
KT_HIDDEN struct kt_pimg_vma *kt_pimg_add_vma(struct kt_process_image *img);
/* A run of the last mapping added. */
KT_HIDDEN struct kt_pimg_run *kt_pimg_add_run(struct kt_process_image *img);

/*
 * Encode process.img into a malloc'd buffer. Sigactions with signo 0 and
 * rlimits with resource -1 are left out (the loader then refuses the
 * image: a dump fills them all). Returns 0 or -ENOMEM.
 */
KT_HIDDEN int kt_process_image_encode(const struct kt_process_image *img,
				      unsigned char **ret_buf, size_t *ret_len);

/*
 * Parse and validate the bytes of a process.img: header, checksum, every
 * record and field, the order of the records, the pages records against
 * their mappings. pages.img and timers.img are not read. Returns 0 and
 * *ret_img (blobs point into a copy it owns), or -EBADMSG,
 * -EPROTONOSUPPORT, -ENOMEM with a reason naming the byte offset in
 * err_buf.
 */
KT_HIDDEN int kt_process_image_parse(const void *data, size_t len,
				     struct kt_process_image **ret_img,
				     char *err_buf, size_t err_len);

/*
 * Load the image directory dir: process.img as kt_process_image_parse()
 * does, then pages.img (its size and CRC-32C must be those process.img
 * names) and timers.img (kt_snapshot_load(), and its size and checksum
 * must be those process.img names). Returns 0 and *ret_img, or
 * -EBADMSG (a file damaged, or files of different dumps), -ENOENT (a file
 * missing), -EPROTONOSUPPORT, -ENOMEM, or the negative errno of a read;
 * err_buf names the file and, for a damaged file, the byte offset.
 */
KT_HIDDEN int kt_process_image_load(const char *dir,
				    struct kt_process_image **ret_img,
				    char *err_buf, size_t err_len);

#endif /* KT_LIB_PROCESS_IMAGE_H */
