/*
 * Deliberate failures, chosen with `selftest=<name>` on the command line, so
 * the integration tests can check what the hypervisor reports when things go
 * wrong: the exception report (vector, error code, RIP, CR2, registers,
 * backtrace), W^X and NX enforcement, panic(), CHECK(), the heap's
 * double-free and foreign-pointer checks, the guard below the boot stack,
 * and the guard against faults inside the fault handler. docs/cmdline.md
 * lists the names and what each must print.
 *
 * All but "frames" and "bad-entry" end the boot with a failure status;
 * "bad-entry" makes the boot guest's first VM entry fail instead.
 */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include <hv/types.h>

/* Whether name is a selftest. */
bool selftest_is_known(const char *name);

/* The known names, space-separated (for error messages). */
const char *selftest_names(void);

/* Run the named selftest (after bring-up, with W^X in force). */
void selftest_run(const char *name);

/*
 * Set by selftest "nested": the arch's exception handler faults on purpose
 * while reporting, to show that a fault inside the handler stops cleanly.
 */
extern volatile bool selftest_fault_in_handler;

/*
 * Set by selftest "bad-entry": the virtualization backend breaks the guest
 * state of its first VM entry (x86 SVM: clears EFER.SVME in the VMCB), to
 * show that a failed entry stops only the VM and names the field and value.
 */
extern volatile bool selftest_bad_vm_entry;

#endif /* HV_SELFTEST_H */
