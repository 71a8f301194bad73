/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parasite blob (src/core/parasite.c, linked by src/core/parasite.lds),
 * embedded as read-only data. PARASITE_BIN is its path in the build. */
	.section .rodata
	.balign 16
	.globl kt_parasite_blob
	.hidden kt_parasite_blob
	.type kt_parasite_blob, @object
kt_parasite_blob:
	.incbin PARASITE_BIN
	.globl kt_parasite_blob_end
	.hidden kt_parasite_blob_end
kt_parasite_blob_end:
	.section .note.GNU-stack,"",@progbits
