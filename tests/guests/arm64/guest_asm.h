/*
 * Constants the test guests' assembly and C share: the exception frame
 * layout, the Image header, and the hypercall numbers assembly needs.
 */
#ifndef GUEST_ASM_H
#define GUEST_ASM_H

#define FRAME_X30          (30 * 8)
#define FRAME_ELR          (31 * 8)
#define FRAME_SPSR         (32 * 8)
#define FRAME_ESR          (33 * 8)
#define FRAME_FAR          (34 * 8)
#define FRAME_SIZE         (36 * 8) /* 16-byte multiple */

#define IMAGE_MAGIC        0x644d5241 /* "ARM\x64" */
#define IMAGE_FLAGS_LE_4K  (1 << 1)   /* little-endian, 4 KiB pages */

#define HC_FN_SHUTDOWN     0xc6000003
#define HC_FN_NOP          0xc6000004
#define SPSR_EL0T_DAIF_ASM 0x3c0
#define WRONG_PLACE_STATUS 99

/* Vector kinds: group (0 EL1t, 1 EL1h, 2 lower A64, 3 lower A32) * 4 + type. */
#define VEC_TYPE_SYNC 0
#define VEC_TYPE_IRQ  1

#endif
