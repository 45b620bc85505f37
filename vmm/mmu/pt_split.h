/*
 * Splitting a huge leaf into a table that maps the same frames with the same
 * attributes: the building block of fault-time, protect-time, tracking-time
 * and eager splits. The new subtree is built completely (prepare) before one
 * entry change links it (commit); if the link loses a race or memory runs
 * out, nothing is left behind.
 */
#ifndef VMM_MMU_PT_SPLIT_H
#define VMM_MMU_PT_SPLIT_H

#include "pt_change.h"

/*
 * Replace the huge leaf at the iterator (it->old) by a table one level down
 * (several levels when the format has no leaf of the next size, e.g. the fake
 * format's 1 GiB -> 4 KiB). Returns 0 (it->old now points to the table),
 * HV_EAGAIN (the entry changed; it->old refreshed) or HV_ENOMEM; on a mirror
 * root also the hook's error (the leaf stays, it->old refreshed). On any
 * failure the new subtree is freed unseen.
 */
int pt_split_leaf(struct pt_ctx *ctx, struct pt_iter *it);

#endif /* VMM_MMU_PT_SPLIT_H */
