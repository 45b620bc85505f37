/*
 * What the files of the generic VM layer (vmm/vm.c, vcpu.c, guest_ram.c,
 * vm_glue.c, exit_stats.c, vm_protected.c) share and nobody else needs.
 */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <hv/vm.h>

/* guest_ram.c: the loader seam's write, and freeing every chunk (vm_destroy). */
int vm_guest_mem_write(void *ctx, gpa_t gpa, const void *src, size_t len);
void vm_ram_release(struct vm *vm);

/* vm_glue.c: the console's "input queued" callback for vm->console. */
void vm_console_input_ready(void *ctx);

/*
 * vm_protected.c: create vm->tmod for a protected second stage in
 * cfg->ops->tdp_format, with cfg->tmod_inject applied (logged). 0,
 * HV_EINVAL or HV_ENOMEM (vm->tmod stays NULL).
 */
int vm_protected_create(struct vm *vm, const struct vm_config *cfg);
/*
 * vm_protected.c: after the MMU VM is gone (its mirror root emptied the
 * module's table through the hook), log what the teardown removed and
 * what the module still held, and destroy the module.
 */
void vm_protected_destroy(struct vm *vm);
/* vm_protected.c: the mirror hook's and the module's figures (vm->tmod set). */
void vm_protected_print_stats(struct vm *vm);

#endif /* VMM_VM_INTERNAL_H */
