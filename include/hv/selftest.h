/*
 * Deliberate failures, chosen with `selftest=<name>` on the command line, so
 * the integration tests can check what the hypervisor reports when things go
 * wrong: the exception report (vector, error code, RIP, CR2, registers,
 * backtrace), W^X and NX enforcement, panic(), CHECK(), the heap's
 * double-free and foreign-pointer checks, the guard below the boot stack,
 * and the guard against faults inside the fault handler. docs/cmdline.md
 * lists the names and what each must print.
 *
 * All but "frames" end the boot with a failure status.
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

#endif /* HV_SELFTEST_H */
