/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handing a rebuilt process over to release (inject.h): after a
 * whole-process restore the state to put back is the image's, not what
 * seize found in the process that was turned into it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inject_internal.h"

void kt_target_set_sig_ign(struct kt_target *target, uint64_t sig_ign)
{
	target->sig_ign = sig_ign;
}

int kt_target_adopt(struct kt_target *t, const kt_regs_t *regs,
		    const void *xstate, size_t len, unsigned type,
		    uint64_t sigmask, uint64_t skip_start, uint64_t skip_end)
{
	static const uint8_t tramp[KT_TRAMPOLINE_LEN] = KT_TRAMPOLINE_BYTES;
	struct kt_thread *th = kt_inj_run_thread(t);
	uint8_t orig[KT_TRAMPOLINE_LEN];
	uint64_t addr;
	void *copy;
	int r;

	if (!th)
		return -ESRCH;
	if (!t->prepared || len == 0 || len > KT_XSTATE_MAX)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, xstate, len);
	r = kt_proc_exec_addr_outside(t->pid, skip_start, skip_end, &addr);
	if (r == 0)
		r = kt_target_read(t, addr, orig, sizeof(orig));
	if (r == 0)
		r = kt_target_write(t, addr, tramp, sizeof(tramp));
	if (r < 0) {
		kt_log(KT_LOG_ERROR,
		       "inject: no place for the trampoline in %d: %s", t->pid,
		       strerror(-r));
		free(copy);
		return r;
	}
	/* The old trampoline went with the old memory: nothing to put back
	 * there. */
	t->tramp = addr;
	memcpy(t->tramp_orig, orig, sizeof(orig));
	free(t->xstate);
	t->xstate = copy;
	t->xstate_len = len;
	t->xstate_type = type;
	th->regs = *regs;
	t->sigmask = sigmask;
	t->ran = true;
	return 0;
}
