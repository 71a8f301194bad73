/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Turning a creation report into words. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

const char *kt_reason_str(enum kt_reason reason)
{
	switch (reason) {
	case KT_REASON_OK:
		return "success";
	case KT_REASON_BAD_ID:
		return "invalid timer ID";
	case KT_REASON_DUPLICATE_ID:
		return "duplicate timer ID in the set";
	case KT_REASON_ID_TAKEN:
		return "timer ID already held by a live timer";
	case KT_REASON_UNSUPPORTED:
		return "kernel does not grant explicit timer IDs";
	case KT_REASON_ID_MISMATCH:
		return "kernel returned an unexpected timer ID";
	case KT_REASON_ID_PASSED:
		return "kernel ID counter already past the wanted ID";
	case KT_REASON_BOUND:
		return "linear walk exceeds its bound";
	case KT_REASON_SYSCALL:
		return "system call failed";
	case KT_REASON_FLAG_RESTORE:
		return "PR_TIMER_CREATE_RESTORE_IDS flag not restored";
	}
	return "unknown reason";
}

static const char *errname(int err)
{
	const char *s = strerrordesc_np(err < 0 ? -err : err);

	return s ? s : "unknown error";
}

/* snprintf that appends at *pos and keeps counting past the end. */
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < len ? buf + *pos : NULL,
		      *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

int kt_create_report_format(const struct kt_create_report *r, char *buf,
			    size_t len)
{
	const char *path =
		r && r->path == KT_PATH_LINEAR ? "linear" : "explicit";
	size_t pos = 0;

	if (!r)
		return -EINVAL;
	if (len > 0)
		buf[0] = '\0';

	switch (r->reason) {
	case KT_REASON_OK:
		append(buf, len, &pos,
		       "created at the exact IDs on the %s path", path);
		break;
	case KT_REASON_BAD_ID:
		append(buf, len, &pos,
		       "timer #%zu: ID %d is not a timer ID (0..%d); nothing created",
		       r->index, r->id, KT_TIMER_ID_MAX);
		break;
	case KT_REASON_DUPLICATE_ID:
		append(buf, len, &pos,
		       "timer #%zu: ID %d appears more than once; nothing created",
		       r->index, r->id);
		break;
	case KT_REASON_ID_TAKEN:
		append(buf, len, &pos,
		       "timer #%zu: ID %d is already held by a live timer of this process",
		       r->index, r->id);
		break;
	case KT_REASON_UNSUPPORTED:
		append(buf, len, &pos,
		       "this kernel does not grant explicit timer IDs "
		       "(PR_TIMER_CREATE_RESTORE_IDS needs Linux >= 6.15); "
		       "the linear path can still reach them");
		break;
	case KT_REASON_ID_MISMATCH:
		if (r->path == KT_PATH_LINEAR)
			append(buf, len, &pos,
			       "timer #%zu (ID %d): linear walk: the kernel gave "
			       "ID %d where %d was due: its counter is not where "
			       "it should be (another thread creating timers?)",
			       r->index, r->id, r->got_id, r->expected_id);
		else
			append(buf, len, &pos,
			       "timer #%zu: asked the kernel for ID %d and got %d",
			       r->index, r->id, r->got_id);
		break;
	case KT_REASON_ID_PASSED:
		append(buf, len, &pos,
		       "timer #%zu: linear walk: the kernel gave ID %d, past the "
		       "wanted ID %d: this process's ID counter has already gone "
		       "by it (it only grows, until it wraps after %d); a process "
		       "with a lower counter, such as a fresh one, is needed",
		       r->index, r->got_id, r->id, KT_TIMER_ID_MAX);
		break;
	case KT_REASON_BOUND:
		append(buf, len, &pos,
		       "timer #%zu: the linear walk to ID %d needs %llu "
		       "timer_create calls",
		       r->index, r->id, (unsigned long long)r->steps_needed);
		if (r->got_id >= 0)
			append(buf, len, &pos,
			       " (the kernel's counter is at %d)", r->got_id);
		if (r->estimated_ns)
			append(buf, len, &pos, " (about %.1f s)",
			       (double)r->estimated_ns / 1e9);
		append(buf, len, &pos, ", over its bound; nothing kept");
		break;
	case KT_REASON_SYSCALL:
		if (r->sys_call)
			append(buf, len, &pos, "timer #%zu (ID %d): %s: %s",
			       r->index, r->id, r->sys_call,
			       errname(r->sys_err));
		else
			append(buf, len, &pos, "%s", errname(r->sys_err));
		if (r->sys_err == -EAGAIN && r->sys_call)
			append(buf, len, &pos,
			       " (RLIMIT_SIGPENDING exhausted: every POSIX "
			       "timer holds one pending-signal slot of its user)");
		break;
	case KT_REASON_FLAG_RESTORE:
		append(buf, len, &pos,
		       "the PR_TIMER_CREATE_RESTORE_IDS flag could not be set "
		       "and read back as expected");
		break;
	}
	if (r->rollback_err)
		append(buf, len, &pos, "; undoing also failed: %s",
		       errname(r->rollback_err));
	return pos > INT32_MAX ? INT32_MAX : (int)pos;
}
