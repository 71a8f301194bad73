/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel feature probes: asked of the kernel, never read off its version. */
#include <errno.h>
#include <stdatomic.h>

#include "../core/ktc.h"
#include "internal.h"

int kt_explicit_ids_supported(void)
{
	/* -1: not probed yet. Racing first callers probe alike. */
	static atomic_int cached = -1;
	int v = atomic_load_explicit(&cached, memory_order_relaxed);

	if (v >= 0)
		return v;
	v = ktc_restore_ids_get();
	if (v == -EINVAL)
		v = 0; /* Linux < 6.15 or CONFIG_POSIX_TIMERS=n */
	else if (v >= 0)
		v = 1;
	else
		return v;
	atomic_store_explicit(&cached, v, memory_order_relaxed);
	kt_log(KT_LOG_DEBUG, "explicit timer IDs %s by this kernel",
	       v ? "are granted" : "are not granted");
	return v;
}

int kt_restore_ids_flag(void)
{
	int v = ktc_restore_ids_get();

	return v == -EINVAL ? -EOPNOTSUPP : v;
}
