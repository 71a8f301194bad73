/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What /proc says about a process we are about to trace. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inject.h"
#include "procfs_read.h"

int kt_proc_stat_parse(const char *text, char *ret_state,
		       unsigned long *ret_flags)
{
	const char *p = strrchr(text, ')');
	unsigned long flags;
	char state;
	int n = 0;

	/* After "pid (comm)": state ppid pgrp session tty_nr tpgid flags */
	if (!p ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu%n", &state, &flags,
		   &n) != 2 ||
	    n == 0)
		return -EBADMSG;
	*ret_state = state;
	*ret_flags = flags;
	return 0;
}

/* The value after "\nName:" (or at the start), or NULL. */
static const char *status_field(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == ':')
			return p + len + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int kt_proc_status_parse(const char *text, struct kt_proc_info *info)
{
	const char *tgid = status_field(text, "Tgid");
	const char *tracer = status_field(text, "TracerPid");
	const char *uid = status_field(text, "Uid");
	const char *ign = status_field(text, "SigIgn");

	if (!tgid || !tracer || !uid || !ign)
		return -EBADMSG;
	if (sscanf(tgid, " %d", &info->tgid) != 1 ||
	    sscanf(tracer, " %d", &info->tracer) != 1 ||
	    sscanf(uid, " %u %u %u %u", &info->uid[0], &info->uid[1],
		   &info->uid[2], &info->uid[3]) != 4 ||
	    sscanf(ign, " %" SCNx64, &info->sig_ign) != 1)
		return -EBADMSG;
	return 0;
}

static int proc_path(char *buf, size_t len, pid_t pid, pid_t tid,
		     const char *file)
{
	int w;

	if (tid)
		w = snprintf(buf, len, "/proc/%d/task/%d/%s", pid, tid, file);
	else
		w = snprintf(buf, len, "/proc/%d/%s", pid, file);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int kt_proc_info_read(pid_t pid, pid_t tid, struct kt_proc_info *ret_info)
{
	struct kt_proc_info info;
	char path[64], *text;
	size_t len;
	int err;

	memset(&info, 0, sizeof(info));
	err = proc_path(path, sizeof(path), pid, tid, "stat");
	if (err < 0)
		return err;
	err = kt_read_text(path, &text, &len);
	if (err == -ENOENT)
		return -ESRCH;
	if (err < 0)
		return err;
	err = kt_proc_stat_parse(text, &info.state, &info.flags);
	free(text);
	if (err < 0)
		return err;

	err = proc_path(path, sizeof(path), pid, tid, "status");
	if (err < 0)
		return err;
	err = kt_read_text(path, &text, &len);
	if (err == -ENOENT)
		return -ESRCH;
	if (err < 0)
		return err;
	err = kt_proc_status_parse(text, &info);
	free(text);
	if (err < 0)
		return err;
	*ret_info = info;
	return 0;
}

int kt_proc_tasks(pid_t pid, pid_t **ret_tids, size_t *ret_n)
{
	size_t n = 0, cap = 0;
	pid_t *tids = NULL;
	struct dirent *de;
	char path[64];
	DIR *dir;
	int err;

	err = proc_path(path, sizeof(path), pid, 0, "task");
	if (err < 0)
		return err;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		char *end;
		long tid;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			err = -errno; /* 0 at the end */
			break;
		}
		tid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || tid <= 0)
			continue; /* "." and ".." */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pid_t *p = realloc(tids, ncap * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			tids = p;
			cap = ncap;
		}
		tids[n++] = (pid_t)tid;
	}
	(void)closedir(dir); /* read-only: nothing to lose */
	if (err < 0) {
		free(tids);
		return err;
	}
	*ret_tids = tids;
	*ret_n = n;
	return 0;
}

int kt_proc_exec_addr_outside(pid_t pid, uint64_t skip_start, uint64_t skip_end,
			      uint64_t *ret_addr)
{
	char path[64], *text, *line;
	int err = -ENOENT;
	size_t len;

	if (proc_path(path, sizeof(path), pid, 0, "maps") < 0)
		return -ENAMETOOLONG;
	err = kt_read_text(path, &text, &len);
	if (err == -ENOENT)
		return -ESRCH;
	if (err < 0)
		return err;
	err = -ENOENT;
	for (line = text; line && *line;) {
		char *next = strchr(line, '\n');
		uint64_t start, end;
		char perms[5];
		int name = 0;

		if (next)
			*next++ = '\0';
		/* start-end perms offset dev inode [name] */
		if (sscanf(line,
			   "%" SCNx64 "-%" SCNx64 " %4s %*x %*x:%*x %*u %n",
			   &start, &end, perms, &name) < 3) {
			err = -EBADMSG;
			break;
		}
		if (strcmp(perms, "r-xp") == 0 && end > start &&
		    (end <= skip_start || start >= skip_end) &&
		    (name == 0 || (strcmp(line + name, "[vdso]") != 0 &&
				   strcmp(line + name, "[vsyscall]") != 0 &&
				   strcmp(line + name, "[uprobes]") != 0))) {
			*ret_addr = start;
			err = 0;
			break;
		}
		line = next;
	}
	free(text);
	return err;
}

int kt_proc_exec_addr(pid_t pid, uint64_t *ret_addr)
{
	return kt_proc_exec_addr_outside(pid, 0, 0, ret_addr);
}

void kt_proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64], *text = NULL;
	size_t n;

	if (len == 0)
		return;
	if (proc_path(path, sizeof(path), pid, 0, "comm") < 0 ||
	    kt_read_text(path, &text, &n) < 0) {
		(void)snprintf(buf, len, "?");
		return;
	}
	text[strcspn(text, "\n")] = '\0';
	(void)snprintf(buf, len, "%s", text);
	free(text);
}

/* Whether CapEff of the calling process holds CAP_SYS_PTRACE (19). */
static const char *have_cap_sys_ptrace(void)
{
	char *text = NULL;
	const char *eff;
	uint64_t caps;
	size_t len;
	const char *answer = "unknown";

	if (kt_read_text("/proc/self/status", &text, &len) < 0)
		return answer;
	eff = status_field(text, "CapEff");
	if (eff && sscanf(eff, " %" SCNx64, &caps) == 1)
		answer = caps & (1ULL << 19) ? "yes" : "no";
	free(text);
	return answer;
}

void kt_proc_eperm_reason(pid_t pid, char *buf, size_t len)
{
	char scope[32] = "absent (no Yama)", path[64], dumpable[48];
	struct kt_proc_info info;
	char *text = NULL;
	struct stat st;
	size_t n;

	if (kt_read_text("/proc/sys/kernel/yama/ptrace_scope", &text, &n) ==
	    0) {
		text[strcspn(text, "\n")] = '\0';
		(void)snprintf(scope, sizeof(scope), "%s", text);
		free(text);
	}
	if (kt_proc_info_read(pid, 0, &info) < 0)
		memset(&info, 0xff, sizeof(info));
	/*
	 * A process that is not dumpable (setuid, PR_SET_DUMPABLE 0) has its
	 * /proc files owned by root whatever its uid.
	 */
	(void)snprintf(dumpable, sizeof(dumpable), "unknown");
	if (proc_path(path, sizeof(path), pid, 0, "") == 0 &&
	    stat(path, &st) == 0)
		(void)snprintf(dumpable, sizeof(dumpable),
			       "%s (/proc/%d uid %u)",
			       st.st_uid == info.uid[1] ? "yes" : "no", pid,
			       (unsigned)st.st_uid);
	(void)snprintf(buf, len,
		       "yama ptrace_scope=%s; our uid=%u euid=%u "
		       "CAP_SYS_PTRACE=%s; target uids=%u/%u/%u/%u; dumpable: "
		       "%s",
		       scope, (unsigned)getuid(), (unsigned)geteuid(),
		       have_cap_sys_ptrace(), info.uid[0], info.uid[1],
		       info.uid[2], info.uid[3], dumpable);
}
