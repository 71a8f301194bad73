/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRC-32C two ways, chosen once: the SSE4.2 crc32 instruction (which
 * computes exactly this CRC, 8 bytes at a time: a dump's pages.img of
 * 10 MiB in about a millisecond) where the CPU has it, a table otherwise.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c.h"

bool kt_crc32c_force_table;

static uint32_t table[256];
static bool have_sse42;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[i] = c;
	}
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

/* Both take and return the CRC register (pre- and post-inverted by the
 * caller). */
static uint32_t crc_table(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t kt_crc32c(uint32_t crc, const void *data, size_t len)
{
	(void)pthread_once(&init_once, init); /* cannot fail here */
#if defined(__x86_64__)
	if (have_sse42 && !kt_crc32c_force_table)
		return ~crc_sse42(~crc, data, len);
#endif
	return ~crc_table(~crc, data, len);
}
