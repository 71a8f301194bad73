/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host side of the exact-ID engine shares with the restore. */
#ifndef KT_LIB_ENGINE_H
#define KT_LIB_ENGINE_H

#include "../core/ktc.h"
#include "internal.h"

/*
 * From the caller's options (NULL: defaults): the path to take (AUTO
 * resolved, KEEPTIME_FORCE_LINEAR honoured) and the linear walk's bounds.
 * Returns 0, -EINVAL for invalid options, or the probe's error.
 */
KT_HIDDEN int kt_engine_settings(const struct kt_create_opts *opts,
				 enum kt_id_path *ret_path,
				 struct ktc_linear_opts *ret_lin);

/* Fill a public report from the core's; order maps the core's index back
 * to the caller's (NULL: the same). */
KT_HIDDEN void kt_engine_report(struct kt_create_report *rep,
				const struct ktc_report *core,
				const size_t *order);

/* One creation or restore at a time per process: the prctl flag is
 * process-wide. Returns 0 or -errno. */
KT_HIDDEN int kt_engine_lock(void);
KT_HIDDEN void kt_engine_unlock(void);

#endif /* KT_LIB_ENGINE_H */
