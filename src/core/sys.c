/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw system calls of the core: the only place that knows their numbers. */
#include "ktc.h"
#include "parasite.h"

#include <linux/errno.h>

#include "../arch/x86_64/syscall.h"

#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2

#define CLOCK_MONOTONIC 1

int ktc_restore_ids_get(void)
{
	return (int)ktc_syscall5(__NR_prctl, PR_TIMER_CREATE_RESTORE_IDS,
				 PR_TIMER_CREATE_RESTORE_IDS_GET, 0, 0, 0);
}

int ktc_restore_ids_set(int on)
{
	long arg = on ? PR_TIMER_CREATE_RESTORE_IDS_ON
		      : PR_TIMER_CREATE_RESTORE_IDS_OFF;

	return (int)ktc_syscall5(__NR_prctl, PR_TIMER_CREATE_RESTORE_IDS, arg,
				 0, 0, 0);
}

int ktc_timer_create(int32_t clock, const struct ktc_sigevent *sev, int32_t *id)
{
	return (int)ktc_syscall3(__NR_timer_create, clock, (long)sev, (long)id);
}

int ktc_timer_delete(int32_t id)
{
	return (int)ktc_syscall2(__NR_timer_delete, id, 0);
}

int ktc_timer_exists(int32_t id)
{
	struct ktc_itimerspec cur;
	int err = ktc_timer_gettime(id, &cur);

	if (err == 0)
		return 1;
	/* The kernel answers EINVAL for an ID no live timer of ours holds. */
	return err == -EINVAL ? 0 : err;
}

uint64_t ktc_monotonic_ns(void)
{
	struct ktc_timespec ts;

	if (ktc_clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}

int ktc_clock_gettime(int32_t clock, struct ktc_timespec *ts)
{
	return (int)ktc_syscall2(__NR_clock_gettime, clock, (long)ts);
}

int ktc_timer_gettime(int32_t id, struct ktc_itimerspec *its)
{
	return (int)ktc_syscall2(__NR_timer_gettime, id, (long)its);
}

int ktc_timer_getoverrun(int32_t id)
{
	return (int)ktc_syscall2(__NR_timer_getoverrun, id, 0);
}

int ktc_getitimer(int which, struct ktc_itimerval *itv)
{
	return (int)ktc_syscall2(__NR_getitimer, which, (long)itv);
}

int ktc_timerfd_gettime(int fd, struct ktc_itimerspec *its)
{
	return (int)ktc_syscall2(__NR_timerfd_gettime, fd, (long)its);
}

int ktc_timer_settime(int32_t id, const struct ktc_itimerspec *its)
{
	return (int)ktc_syscall5(__NR_timer_settime, id, 0, (long)its, 0, 0);
}

int ktc_setitimer(int which, const struct ktc_itimerval *itv)
{
	return (int)ktc_syscall3(__NR_setitimer, which, (long)itv, 0);
}

int ktc_timerfd_create(int32_t clock, int flags)
{
	return (int)ktc_syscall2(__NR_timerfd_create, clock, flags);
}

int ktc_timerfd_settime(int fd, int flags, const struct ktc_itimerspec *its)
{
	return (int)ktc_syscall5(__NR_timerfd_settime, fd, flags, (long)its, 0,
				 0);
}

/* TFD_IOC_SET_TICKS = _IOW('T', 0, __u64); CONFIG_CHECKPOINT_RESTORE only. */
#define TFD_IOC_SET_TICKS 0x40085400

int ktc_timerfd_set_ticks(int fd, const uint64_t *ticks)
{
	return (int)ktc_syscall3(__NR_ioctl, fd, TFD_IOC_SET_TICKS,
				 (long)ticks);
}

int ktc_dup3(int oldfd, int newfd, int flags)
{
	return (int)ktc_syscall3(__NR_dup3, oldfd, newfd, flags);
}

int ktc_close(int fd)
{
	return (int)ktc_syscall2(__NR_close, fd, 0);
}

#define F_GETFD 1

int ktc_fd_flags(int fd)
{
	return (int)ktc_syscall2(__NR_fcntl, fd, F_GETFD);
}

/* Memory, signals and process attributes: what the restorer needs. */

long ktc_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
	      uint64_t off)
{
	return ktc_syscall6(__NR_mmap, (long)addr, (long)len, prot, flags, fd,
			    (long)off);
}

int ktc_munmap(uint64_t addr, uint64_t len)
{
	return (int)ktc_syscall2(__NR_munmap, (long)addr, (long)len);
}

int ktc_mprotect(uint64_t addr, uint64_t len, int prot)
{
	return (int)ktc_syscall3(__NR_mprotect, (long)addr, (long)len, prot);
}

int ktc_madvise(uint64_t addr, uint64_t len, int advice)
{
	return (int)ktc_syscall3(__NR_madvise, (long)addr, (long)len, advice);
}

long ktc_pread(int fd, void *buf, uint64_t len, uint64_t off)
{
	return ktc_syscall4(__NR_pread64, fd, (long)buf, (long)len, (long)off);
}

int ktc_arch_prctl(int code, uint64_t addr)
{
	return (int)ktc_syscall2(__NR_arch_prctl, code, (long)addr);
}

int ktc_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	return (int)ktc_syscall5(__NR_prctl, option, (long)a2, (long)a3,
				 (long)a4, (long)a5);
}

int ktc_rt_sigaction(int sig, const void *act, void *old)
{
	return (int)ktc_syscall4(__NR_rt_sigaction, sig, (long)act, (long)old,
				 8);
}

int ktc_sigaltstack(const void *ss, void *old)
{
	return (int)ktc_syscall2(__NR_sigaltstack, (long)ss, (long)old);
}

int ktc_rt_sigqueueinfo(int pid, int sig, const void *info)
{
	return (int)ktc_syscall3(__NR_rt_sigqueueinfo, pid, sig, (long)info);
}

int ktc_rt_tgsigqueueinfo(int pid, int tid, int sig, const void *info)
{
	return (int)ktc_syscall4(__NR_rt_tgsigqueueinfo, pid, tid, sig,
				 (long)info);
}

int ktc_rseq(uint64_t area, uint32_t len, int flags, uint32_t sig)
{
	return (int)ktc_syscall4(__NR_rseq, (long)area, len, flags, sig);
}

int ktc_prlimit(int pid, int resource, const void *new_limit, void *old_limit)
{
	return (int)ktc_syscall4(__NR_prlimit64, pid, resource, (long)new_limit,
				 (long)old_limit);
}

/* Credentials and persona. */

int ktc_setgroups(uint32_t n, const uint32_t *groups)
{
	return (int)ktc_syscall2(__NR_setgroups, (long)n, (long)groups);
}

int ktc_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	return (int)ktc_syscall3(__NR_setresuid, (long)r, (long)e, (long)s);
}

int ktc_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	return (int)ktc_syscall3(__NR_setresgid, (long)r, (long)e, (long)s);
}

int ktc_setfsuid(uint32_t fsuid)
{
	return (int)ktc_syscall2(__NR_setfsuid, (long)fsuid, 0);
}

int ktc_setfsgid(uint32_t fsgid)
{
	return (int)ktc_syscall2(__NR_setfsgid, (long)fsgid, 0);
}

int ktc_capset(const void *hdr, const void *data)
{
	return (int)ktc_syscall2(__NR_capset, (long)hdr, (long)data);
}

long ktc_personality(uint32_t persona)
{
	return ktc_syscall2(__NR_personality, (long)persona, 0);
}
