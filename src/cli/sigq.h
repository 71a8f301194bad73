/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RLIMIT_SIGPENDING and its use: every POSIX timer holds one pending-signal
 * slot of its user for its whole life, counted per user over all of the
 * user's processes, root included ("SigQ:" in /proc/PID/status).
 */
#ifndef KT_CLI_SIGQ_H
#define KT_CLI_SIGQ_H

#include <stdbool.h>
#include <stdint.h>

/* A limit that is RLIM_INFINITY. */
#define SIGQ_UNLIMITED UINT64_MAX

struct sigq_info {
	uint64_t soft, hard; /* RLIMIT_SIGPENDING; SIGQ_UNLIMITED if none */
	bool have_count;     /* whether SigQ: could be read */
	uint64_t count;	     /* SigQ: slots in use by this user */
	uint64_t limit;	     /* SigQ: the limit the kernel applies */
};

/*
 * Read the limit and the user's count. Returns 0, or -errno if
 * getrlimit() failed; a missing SigQ: line only clears have_count.
 */
int sigq_read(struct sigq_info *ret) __attribute__((warn_unused_result));

/* Free slots under the soft limit (SIGQ_UNLIMITED if there is none). */
uint64_t sigq_headroom(const struct sigq_info *info);

#endif /* KT_CLI_SIGQ_H */
