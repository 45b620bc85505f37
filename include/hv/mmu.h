/*
 * The MMU engine's whole public interface: entry formats, memslots and write
 * tracking, the TDP MMU (VMs, vCPUs, roots, faults, range operations), the
 * mirror role's hook, statistics and dumps. See docs/mmu.md for the design.
 */
#ifndef HV_MMU_H
#define HV_MMU_H

#include <hv/mmu/dump.h>
#include <hv/mmu/format.h>
#include <hv/mmu/memslot.h>
#include <hv/mmu/mirror.h>
#include <hv/mmu/role.h>
#include <hv/mmu/stats.h>
#include <hv/mmu/tdp.h>

#endif /* HV_MMU_H */
