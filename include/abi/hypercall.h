/*
 * The guest-visible hypercall ABI of hv, shared by the hypervisor and by guest
 * code on both architectures (docs/hypercall.md is the prose version).
 *
 * Calling convention:
 *   x86_64  VMMCALL  function in RAX, arguments in RBX, RCX, RDX, RSI;
 *                    result in RAX; VERSION also returns in RBX, RCX, RDX.
 *   arm64   HVC #0   function in x0, arguments in x1-x4;
 *                    result in x0; VERSION also returns in x1-x3.
 * Every other register is preserved. A call is valid from guest kernel mode
 * only (CPL 0 / EL1); the backends answer a call from user mode with
 * HC_EPERM without running it.
 *
 * Function numbers follow the Arm SMC Calling Convention (DEN0028) layout on
 * both architectures: fast call (bit 31), 64-bit convention (bit 30), owning
 * entity 6 "Vendor Specific Hypervisor Service" (bits 29:24), function number
 * in bits 15:0. On arm64 the HVC conduit is shared with PSCI (owner 4), which
 * the backend routes before this ABI sees a call; any number outside the hv
 * range returns HC_ENOSYS, which equals SMCCC's NOT_SUPPORTED (-1), so an
 * SMCCC-aware guest probing vendor services reads the answer correctly.
 *
 * This header is self-contained (only fixed-width integer types) so guests
 * can include it without the hypervisor's other headers.
 */
#ifndef ABI_HYPERCALL_H
#define ABI_HYPERCALL_H

#include <stdint.h>

/* ABI version: the major changes on an incompatible change, the minor on additions. */
#define HC_ABI_MAJOR                      1
#define HC_ABI_MINOR                      0
#define HC_ABI_VERSION_MAKE(major, minor) (((uint64_t)(major) << 16) | (uint64_t)(minor))
#define HC_ABI_VERSION                    HC_ABI_VERSION_MAKE(HC_ABI_MAJOR, HC_ABI_MINOR)
#define HC_ABI_VERSION_MAJOR(v)           (((v) >> 16) & 0xffff)
#define HC_ABI_VERSION_MINOR(v)           ((v)&0xffff)

/* SMCCC function identifier fields (Arm DEN0028, "Function Identifier"). */
#define HC_SMCCC_FAST_CALL        (UINT64_C(1) << 31)
#define HC_SMCCC_64BIT            (UINT64_C(1) << 30)
#define HC_SMCCC_OWNER_SHIFT      24
#define HC_SMCCC_OWNER_VENDOR_HYP UINT64_C(6)
#define HC_FN_NUMBER_MASK         UINT64_C(0xffff)

/* The base of hv's function numbers: 0xC6000000. */
#define HC_FN_BASE                                                                                 \
	(HC_SMCCC_FAST_CALL | HC_SMCCC_64BIT | (HC_SMCCC_OWNER_VENDOR_HYP << HC_SMCCC_OWNER_SHIFT))
#define HC_FN(n) (HC_FN_BASE | (uint64_t)(n))

/*
 * HC_VERSION: no arguments.
 *   returns HC_ABI_VERSION (major << 16 | minor), and the hypervisor's name as
 *   up to 24 ASCII bytes, NUL-padded, little-endian in RBX, RCX, RDX / x1-x3
 *   (byte 0 of the name is the low byte of RBX / x1).
 */
#define HC_VERSION HC_FN(0)

/*
 * HC_CONSOLE_WRITE: arg0 = guest-physical address of the bytes, arg1 = length.
 *   Writes the bytes to this VM's console stream (marked as this VM's output
 *   on the shared serial line). All or nothing: the buffer must be backed
 *   guest RAM in its entirety.
 *   returns the number of bytes written (= arg1), or
 *   HC_E2BIG (length > HC_CONSOLE_WRITE_MAX), HC_EFAULT (a byte not in guest
 *   RAM, or the range wraps around the address space).
 */
#define HC_CONSOLE_WRITE     HC_FN(1)
#define HC_CONSOLE_WRITE_MAX 1024u

/*
 * HC_TEST_RESULT: arg0 = test id (the guest's numbering), arg1 = status
 *   (HC_TEST_PASS, HC_TEST_FAIL or HC_TEST_SKIP), arg2 = detail (any value
 *   the test wants logged with the result: an expected/observed value, a line).
 *   returns 0, or HC_EINVAL for an unknown status.
 */
#define HC_TEST_RESULT HC_FN(2)
#define HC_TEST_PASS   0u
#define HC_TEST_FAIL   1u
#define HC_TEST_SKIP   2u

/*
 * HC_SHUTDOWN: arg0 = exit status (0 = success; the hypervisor reports it and,
 *   under an emulator with only this VM, uses it as its own exit status).
 *   The VM stops: the call does not return to the guest. (If the backend
 *   cannot stop it, the call returns 0.)
 */
#define HC_SHUTDOWN HC_FN(3)

/* HC_NOP: no arguments; returns 0. The cheapest round trip, for benchmarks. */
#define HC_NOP HC_FN(4)

/*
 * HC_TICKS: no arguments; returns the hypervisor's tick counter (the clock its
 * exit statistics use: TSC on x86, CNTPCT on arm64). Two calls bracket a
 * hypervisor-side cost; compare with the guest's own counter only if the
 * backend documents a zero offset.
 */
#define HC_TICKS HC_FN(5)

/* One past the highest function number defined. */
#define HC_FN_COUNT 6u

/*
 * Error results: negative values in RAX / x0. HC_ENOSYS and HC_EINVAL have
 * the values of SMCCC's NOT_SUPPORTED and INVALID_PARAMETER; -2 (SMCCC
 * NOT_REQUIRED) is never used.
 */
#define HC_OK     0
#define HC_ENOSYS (-1) /* unknown function number */
#define HC_EINVAL (-3) /* an argument has a value the function does not accept */
#define HC_EFAULT (-4) /* a guest-physical buffer is not (entirely) guest RAM */
#define HC_E2BIG  (-5) /* a length is above the function's limit */
#define HC_EPERM  (-6) /* not allowed from the caller's privilege level */

/*
 * The x86 hypervisor CPUID leaves (Intel SDM / AMD APM reserve 0x40000000-
 * 0x400000FF for hypervisor use; CPUID.1:ECX bit 31 says one is present).
 *   0x40000000: EAX = highest hypervisor leaf, EBX ECX EDX = signature
 *               "hv" NUL-padded to 12 bytes.
 *   0x40000001: EAX = HC_ABI_VERSION, EBX = bitmap of supported function
 *               numbers (bit n: HC_FN(n) exists), ECX = EDX = 0.
 */
#define HC_CPUID_LEAF_BASE    UINT32_C(0x40000000)
#define HC_CPUID_LEAF_VERSION UINT32_C(0x40000001)
#define HC_CPUID_LEAF_MAX     HC_CPUID_LEAF_VERSION
#define HC_CPUID_SIG_EBX      UINT32_C(0x00007668) /* "hv\0\0" little-endian */
#define HC_CPUID_SIG_ECX      UINT32_C(0x00000000)
#define HC_CPUID_SIG_EDX      UINT32_C(0x00000000)
#define HC_CPUID_FEATURES_EBX ((UINT32_C(1) << HC_FN_COUNT) - 1)

#endif /* ABI_HYPERCALL_H */
