/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"

const char *kt_version(void)
{
#define KT_STR_(x) #x
#define KT_STR(x)  KT_STR_(x)
	return KT_STR(KT_VERSION_MAJOR) "." KT_STR(KT_VERSION_MINOR) "." KT_STR(
		KT_VERSION_PATCH);
}
