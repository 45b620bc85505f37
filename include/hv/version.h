/*
 * The hypervisor's name and version, as printed in the banner and reported to
 * guests through the hypervisor CPUID leaf / hypercall ABI.
 */
#ifndef HV_VERSION_H
#define HV_VERSION_H

#define HV_NAME           "hv"
#define HV_VERSION_MAJOR  0
#define HV_VERSION_MINOR  1
#define HV_VERSION_STRING "0.1"

#if defined(__x86_64__)
#define HV_ARCH_NAME "x86_64"
#elif defined(__aarch64__)
#define HV_ARCH_NAME "arm64"
#else
#define HV_ARCH_NAME "host"
#endif

#endif /* HV_VERSION_H */
