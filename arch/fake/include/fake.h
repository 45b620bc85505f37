/*
 * Controls that only the host build has, for tests.
 */
#ifndef ARCH_FAKE_H
#define ARCH_FAKE_H

#include <hv/types.h>

/*
 * Make the (n+1)-th next page_alloc()/hv_zalloc() call fail (n = 0: the next
 * one), then succeed again. n < 0 disables failure injection.
 */
void page_alloc_fail_after(s64 n);

#endif
