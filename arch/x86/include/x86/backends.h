/*
 * The x86 virtualization backends, as ops tables for the generic VM layer
 * (hv/vm.h). Exactly one is chosen at boot, by CPU vendor
 * (arch/x86/guest/x86_boot_guest.c).
 */
#ifndef X86_BACKENDS_H
#define X86_BACKENDS_H

#include <hv/vm.h>

/* AMD SVM with nested paging (arch/x86/svm/). */
extern const struct vm_backend_ops svm_backend_ops;

#endif /* X86_BACKENDS_H */
