/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Durations for people. */
#include <math.h>
#include <stdio.h>

#include "duration.h"

const char *duration_str(double ns, char *buf, size_t len)
{
	static const struct {
		double scale;
		const char *unit;
	} units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
	size_t i = 0;
	double v;

	if (!isfinite(ns)) {
		(void)snprintf(buf, len, "-"); /* fits any useful buffer */
		return buf;
	}
	while (i + 1 < sizeof(units) / sizeof(units[0]) &&
	       fabs(ns) < units[i].scale)
		i++;
	v = ns / units[i].scale;
	/* Three significant digits: 1.23, 12.3, 123. */
	(void)snprintf(buf, len, "%.*f %s",
		       fabs(v) >= 100 ? 0 : (fabs(v) >= 10 ? 1 : 2), v,
		       units[i].unit);
	return buf;
}
