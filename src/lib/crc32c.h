/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KT_LIB_CRC32C_H
#define KT_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
 * ext4 and btrfs. Continue a running CRC by passing the previous result;
 * start with 0. crc32c("123456789") == 0xE3069283.
 */
KT_HIDDEN uint32_t kt_crc32c(uint32_t crc, const void *data, size_t len);

/* For tests: use the table even where the CPU has the SSE4.2 instruction,
 * so that both ways are checked. Not thread-safe. */
KT_HIDDEN extern bool kt_crc32c_force_table;

#endif /* KT_LIB_CRC32C_H */
