/*
 * ESR_EL2 for the EL2 code: the layout and syndrome encodings live in the
 * shared header (hv/arm64/esr.h) so the host-tested decoders in vmm/arm64
 * use the very same constants.
 */
#ifndef ARM64_ESR_H
#define ARM64_ESR_H

#include <hv/arm64/esr.h>

#endif /* ARM64_ESR_H */
