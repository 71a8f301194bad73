/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record layouts of process.img: each table drives the writer, the
 * reader and the error messages (docs/process-image.md lists the same
 * offsets).
 */
#include "process_image_fmt.h"

const struct kt_img_format kt_pimg_format = {
	.magic = "KTPROCES",
	.major = 1,
	.minor = 2, /* 1.1: the vma flags of smaps; 1.2: creds */
	.noun = "keeptime process image",
	.log_prefix = "process image",
};

#define U32(name, off, type, member)                                           \
	{                                                                      \
		name, off, KT_F_U32, offsetof(type, member)                    \
	}
#define I32(name, off, type, member)                                           \
	{                                                                      \
		name, off, KT_F_I32, offsetof(type, member)                    \
	}
#define U64(name, off, type, member)                                           \
	{                                                                      \
		name, off, KT_F_U64, offsetof(type, member)                    \
	}
#define I64(name, off, type, member)                                           \
	{                                                                      \
		name, off, KT_F_I64, offsetof(type, member)                    \
	}
#define BLOB(name, off, type, member)                                          \
	{                                                                      \
		name, off, KT_F_BLOB, offsetof(type, member)                   \
	}
/* struct kt_pimg_file_id at off: 56 bytes. */
#define FILE_ID(off, type, m)                                                  \
	U64("file.dev", off, type, m.dev),                                     \
		U64("file.ino", off + 8, type, m.ino),                         \
		U64("file.rdev", off + 16, type, m.rdev),                      \
		I64("file.size", off + 24, type, m.size),                      \
		I64("file.mtime.sec", off + 32, type, m.mtime.tv_sec),         \
		I64("file.mtime.nsec", off + 40, type, m.mtime.tv_nsec),       \
		U32("file.mode", off + 48, type, m.mode),                      \
		U32("file.reserved", off + 52, type, m.reserved)

/* One field a line, in payload order (clang-format would pack them). */
/* clang-format off */
#define P struct kt_pimg_proc
static const struct kt_img_field proc_fields[] = {
	I32("pid", 0, P, pid),
	U32("umask", 4, P, umask),
	U32("page_size", 8, P, page_size),
	U32("reserved", 12, P, reserved),
	U64("start_code", 16, P, mm.start_code),
	U64("end_code", 24, P, mm.end_code),
	U64("start_data", 32, P, mm.start_data),
	U64("end_data", 40, P, mm.end_data),
	U64("start_brk", 48, P, mm.start_brk),
	U64("brk", 56, P, mm.brk),
	U64("start_stack", 64, P, mm.start_stack),
	U64("arg_start", 72, P, mm.arg_start),
	U64("arg_end", 80, P, mm.arg_end),
	U64("env_start", 88, P, mm.env_start),
	U64("env_end", 96, P, mm.env_end),
	BLOB("comm", 104, P, comm),
	BLOB("cwd", 112, P, cwd),
	BLOB("exe", 120, P, exe),
	BLOB("auxv", 128, P, auxv),
};
#undef P

#define F struct kt_pimg_files
static const struct kt_img_field files_fields[] = {
	U64("pages_size", 0, F, pages_size),
	U32("pages_crc", 8, F, pages_crc),
	U32("timers_crc", 12, F, timers_crc),
	U64("timers_size", 16, F, timers_size),
};
#undef F

#define T	       struct kt_pimg_thread
#define REG(name, off) U64("regs." #name, 72 + off, T, regs.name)
static const struct kt_img_field thread_fields[] = {
	I32("tid", 0, T, tid),
	U32("rseq_state", 4, T, rseq_state),
	U64("sigmask", 8, T, sigmask),
	U64("altstack_sp", 16, T, altstack_sp),
	I32("altstack_flags", 24, T, altstack_flags),
	U32("reserved", 28, T, reserved),
	U64("altstack_size", 32, T, altstack_size),
	U64("rseq_ptr", 40, T, rseq_ptr),
	U32("rseq_len", 48, T, rseq_len),
	U32("rseq_sig", 52, T, rseq_sig),
	U32("rseq_flags", 56, T, rseq_flags),
	U32("xstate_type", 60, T, xstate_type),
	BLOB("xstate", 64, T, xstate),
	/* struct user_regs_struct, in its order */
	REG(r15, 0),
	REG(r14, 8),
	REG(r13, 16),
	REG(r12, 24),
	REG(rbp, 32),
	REG(rbx, 40),
	REG(r11, 48),
	REG(r10, 56),
	REG(r9, 64),
	REG(r8, 72),
	REG(rax, 80),
	REG(rcx, 88),
	REG(rdx, 96),
	REG(rsi, 104),
	REG(rdi, 112),
	REG(orig_rax, 120),
	REG(rip, 128),
	REG(cs, 136),
	REG(eflags, 144),
	REG(rsp, 152),
	REG(ss, 160),
	REG(fs_base, 168),
	REG(gs_base, 176),
	REG(ds, 184),
	REG(es, 192),
	REG(fs, 200),
	REG(gs, 208),
};
#undef REG
#undef T

#define S struct kt_pimg_sigaction
static const struct kt_img_field sigaction_fields[] = {
	I32("signo", 0, S, signo),
	U32("reserved", 4, S, reserved),
	U64("handler", 8, S, handler),
	U64("flags", 16, S, flags),
	U64("restorer", 24, S, restorer),
	U64("mask", 32, S, mask),
};
#undef S

#define S struct kt_pimg_siginfo
static const struct kt_img_field siginfo_fields[] = {
	I32("tid", 0, S, tid),
	I32("signo", 4, S, signo),
	BLOB("info", 8, S, info),
};
#undef S

#define R struct kt_pimg_rlimit
static const struct kt_img_field rlimit_fields[] = {
	I32("resource", 0, R, resource),
	U32("reserved", 4, R, reserved),
	U64("cur", 8, R, cur),
	U64("max", 16, R, max),
};
#undef R

#define D struct kt_pimg_fd
static const struct kt_img_field fd_fields[] = {
	I32("fd", 0, D, fd),
	U32("kind", 4, D, kind),
	U32("flags", 8, D, flags),
	I32("mnt_id", 12, D, mnt_id),
	I64("pos", 16, D, pos),
	FILE_ID(24, D, file),
	BLOB("path", 80, D, path),
};
#undef D

#define V struct kt_pimg_vma
static const struct kt_img_field vma_fields[] = {
	U64("start", 0, V, start),
	U64("end", 8, V, end),
	U64("pgoff", 16, V, pgoff),
	U32("prot", 24, V, prot),
	U32("flags", 28, V, flags),
	U32("kind", 32, V, kind),
	U32("reserved", 36, V, reserved),
	FILE_ID(40, V, file),
	BLOB("name", 96, V, name),
};
#undef V

#define R struct kt_pimg_run
static const struct kt_img_field pages_fields[] = {
	U64("start", 0, R, start),
	U64("len", 8, R, len),
	U64("off", 16, R, off),
};
#undef R

#define C struct kt_pimg_creds
static const struct kt_img_field creds_fields[] = {
	U32("uid", 0, C, uid[0]),
	U32("euid", 4, C, uid[1]),
	U32("suid", 8, C, uid[2]),
	U32("fsuid", 12, C, uid[3]),
	U32("gid", 16, C, gid[0]),
	U32("egid", 20, C, gid[1]),
	U32("sgid", 24, C, gid[2]),
	U32("fsgid", 28, C, gid[3]),
	U64("cap_inh", 32, C, cap_inh),
	U64("cap_prm", 40, C, cap_prm),
	U64("cap_eff", 48, C, cap_eff),
	U64("cap_bnd", 56, C, cap_bnd),
	U64("cap_amb", 64, C, cap_amb),
	U32("securebits", 72, C, securebits),
	U32("no_new_privs", 76, C, no_new_privs),
	U32("seccomp", 80, C, seccomp),
	U32("dumpable", 84, C, dumpable),
	U32("keepcaps", 88, C, keepcaps),
	U32("child_subreaper", 92, C, child_subreaper),
	U32("pdeathsig", 96, C, pdeathsig),
	U32("thp_disable", 100, C, thp_disable),
	U32("personality", 104, C, personality),
	U32("reserved", 108, C, reserved),
	U64("timerslack", 112, C, timerslack),
	BLOB("groups", 120, C, groups),
};
#undef C

/* clang-format on */

const struct kt_img_layout kt_pimg_layouts[KT_PIMG_N_LAYOUTS] = {
	KT_IMG_LAYOUT("process", KT_PREC_PROCESS, proc_fields, 136),
	KT_IMG_LAYOUT("files", KT_PREC_FILES, files_fields, 24),
	KT_IMG_LAYOUT("thread", KT_PREC_THREAD, thread_fields, 288),
	KT_IMG_LAYOUT("sigaction", KT_PREC_SIGACTION, sigaction_fields, 40),
	KT_IMG_LAYOUT("siginfo", KT_PREC_SIGINFO, siginfo_fields, 16),
	KT_IMG_LAYOUT("rlimit", KT_PREC_RLIMIT, rlimit_fields, 24),
	KT_IMG_LAYOUT("fd", KT_PREC_FD, fd_fields, 88),
	KT_IMG_LAYOUT("vma", KT_PREC_VMA, vma_fields, 104),
	KT_IMG_LAYOUT("pages", KT_PREC_PAGES, pages_fields, 24),
	KT_IMG_LAYOUT("creds", KT_PREC_CREDS, creds_fields, 128),
};
