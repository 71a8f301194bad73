/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"

bool kt_opts_valid(const void *opts, size_t known_sz)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return true;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t))
		return false;
	for (size_t i = known_sz; i < sz; i++)
		if (p[i])
			return false;
	return true;
}
