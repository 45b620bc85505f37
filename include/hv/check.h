/*
 * CHECK(cond): an always-on assertion for the hypervisor's own invariants.
 *
 * The error policy (docs/architecture.md, "Errors"): CHECK guards only what
 * our code guarantees. Anything a guest can influence (its page tables, VMCB,
 * hypercall arguments, device accesses) is validated and answered with an
 * error, a fault injected into the guest or, at worst, that VM stopped with
 * a logged reason. A failing CHECK is a hypervisor bug and panics.
 */
#ifndef HV_CHECK_H
#define HV_CHECK_H

#include <hv/log.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (unlikely(!(cond)))                                                             \
			panic("CHECK(%s) failed at %s:%d", #cond, __FILE__, __LINE__);             \
	} while (0)

/* A compile-time check with a message. */
#define STATIC_CHECK(cond, msg) _Static_assert(cond, msg)

#endif /* HV_CHECK_H */
