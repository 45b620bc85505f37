/*
 * What the files of the generic VM layer (vmm/vm.c, vcpu.c, guest_ram.c,
 * vm_glue.c, exit_stats.c) share and nobody else needs.
 */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <hv/vm.h>

/* guest_ram.c: the loader seam's write, and freeing every chunk (vm_destroy). */
int vm_guest_mem_write(void *ctx, gpa_t gpa, const void *src, size_t len);
void vm_ram_release(struct vm *vm);

/* vm_glue.c: the console's "input queued" callback for vm->console. */
void vm_console_input_ready(void *ctx);

#endif /* VMM_VM_INTERNAL_H */
