/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86_64 register layout for running code in a ptrace-stopped thread
 * (src/lib/inject*.c): where the system call number, arguments and result
 * live, the instruction bytes of the syscall trampoline, and the stack
 * set-up of an injected function call.
 *
 * Header only: the build compiles src/lib/ and src/core/, not src/arch/.
 */
#ifndef KT_ARCH_X86_64_INJECT_REGS_H
#define KT_ARCH_X86_64_INJECT_REGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/user.h>

/* The kernel's own syscall number table (linux-libc-dev), not libc's. */
#include <asm/unistd_64.h>

/* General registers as PTRACE_GETREGS / PTRACE_SETREGS move them. */
typedef struct user_regs_struct kt_regs_t;

/*
 * The trampoline written into the target: "syscall; int3". After the trap
 * the instruction pointer is one past the int3. A `ret` from injected code
 * returns to the int3 as well.
 */
#define KT_TRAMPOLINE_BYTES                                                    \
	{                                                                      \
		0x0f, 0x05, 0xcc                                               \
	}
#define KT_TRAMPOLINE_LEN 3
/* Offset of the int3 in the trampoline. */
#define KT_TRAMPOLINE_INT3 2
/* Where the instruction pointer is after the int3 at address a traps. */
#define KT_IP_AFTER_INT3(a) ((a) + 1)

/* The ABI's red zone: 128 bytes below rsp that leaf code may use. */
#define KT_RED_ZONE 128

/*
 * Size of the buffer for PTRACE_GETREGSET NT_X86_XSTATE: the kernel cuts
 * the transfer to the real size (a few KiB; ~11 KiB with AMX) and says so
 * in iov_len.
 */
#define KT_XSTATE_MAX (64u * 1024)

_Static_assert(sizeof(kt_regs_t) == 27 * 8,
	       "user_regs_struct is 27 64-bit registers on x86_64");

static inline uint64_t kt_regs_ip(const kt_regs_t *r)
{
	return r->rip;
}

static inline uint64_t kt_regs_sp(const kt_regs_t *r)
{
	return r->rsp;
}

/* The raw result of a system call: >= 0, or -errno. */
static inline long kt_regs_retval(const kt_regs_t *r)
{
	return (long)r->rax;
}

/*
 * Make r run system call nr(args) at ip (the trampoline's syscall
 * instruction). orig_rax = -1 tells the kernel that the thread is not in a
 * system call: when the thread was stopped inside an interrupted one (rax
 * holding -ERESTARTSYS and the like), the signal code on the way back to
 * user mode would otherwise "restart" it by rewinding rip by 2 and putting
 * orig_rax back into rax, i.e. run something else than what we asked for.
 */
static inline void kt_regs_set_syscall(kt_regs_t *r, uint64_t ip, long nr,
				       const long args[6])
{
	r->rax = (uint64_t)nr;
	r->rdi = (uint64_t)args[0];
	r->rsi = (uint64_t)args[1];
	r->rdx = (uint64_t)args[2];
	r->r10 = (uint64_t)args[3];
	r->r8 = (uint64_t)args[4];
	r->r9 = (uint64_t)args[5];
	r->rip = ip;
	r->orig_rax = (uint64_t)-1;
}

/*
 * The stack pointer for an injected call on the thread's own stack: below
 * its red zone, aligned as the ABI wants it at a function's entry (16 after
 * the return address is pushed, i.e. 16n - 8).
 */
static inline uint64_t kt_call_sp(uint64_t sp)
{
	return ((sp - KT_RED_ZONE) & ~(uint64_t)15) - 8;
}

/*
 * Make r call entry(arg) with the stack pointer sp (from kt_call_sp(), the
 * return address already written at sp). rax is 0 and the direction flag
 * clear, as the ABI promises a function at its entry.
 */
static inline void kt_regs_set_call(kt_regs_t *r, uint64_t entry, uint64_t arg,
				    uint64_t sp)
{
	r->rip = entry;
	r->rdi = arg;
	r->rsp = sp;
	r->rax = 0;
	r->orig_rax = (uint64_t)-1;
	r->eflags &= ~(uint64_t)0x400; /* DF */
}

#endif /* KT_ARCH_X86_64_INJECT_REGS_H */
