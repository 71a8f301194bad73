/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading and writing the memory of a traced process. */
#define _GNU_SOURCE /* process_vm_readv, process_vm_writev */
#include <errno.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject.h"

/*
 * One pread/pwrite on /proc/PID/mem: unlike process_vm_*, it goes through
 * FOLL_FORCE, so a tracer may write to read-only mappings (code) too. The
 * kernel makes the page a private copy, as for a breakpoint.
 */
static ssize_t mem_file_rw(int mem_fd, uint64_t addr, void *buf, size_t len,
			   bool write)
{
	ssize_t n;

	if (mem_fd < 0)
		return -EFAULT;
	do {
		n = write ? pwrite(mem_fd, buf, len, (off_t)addr)
			  : pread(mem_fd, buf, len, (off_t)addr);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		/* EIO: nothing mapped there */
		return errno == EIO ? -EFAULT : -errno;
	if (n == 0)
		return -EFAULT;
	return n;
}

int kt_mem_rw(pid_t pid, int mem_fd, uint64_t addr, void *buf, size_t len,
	      bool write)
{
	size_t done = 0;

	/* Offsets into /proc/PID/mem are off_t: stay below 2^63. */
	if (addr > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - addr)
		return -EFAULT;
	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(uintptr_t)(addr + done),
				       len - done};
		ssize_t n;

		n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		/*
		 * EFAULT: a page without the permission (or unmapped);
		 * ENOSYS: a kernel without CONFIG_CROSS_MEMORY_ATTACH. A
		 * short transfer stops at the first such page, which the next
		 * round reports with EFAULT.
		 */
		if (n < 0 && errno != EFAULT && errno != ENOSYS)
			return -errno;
		n = mem_file_rw(mem_fd, addr + done, (char *)buf + done,
				len - done, write);
		if (n < 0)
			return (int)n;
		done += (size_t)n;
	}
	return 0;
}
