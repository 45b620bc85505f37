/*
 * Spinlocks and reader-writer locks built on compiler atomics, identical in
 * the hypervisor and in the host build (where ThreadSanitizer understands
 * them because they are plain C11-style atomics).
 *
 * Neither lock masks interrupts: the hypervisor takes them only in contexts
 * that do not take them again from an interrupt handler. The global lock order
 * is written once, in docs/architecture.md ("Lock order").
 *
 * spinlock_t is a ticket lock (FIFO fair). rwlock_t prefers writers: once a
 * writer waits, new readers wait too, so a stream of faults under the read
 * lock cannot starve a zap under the write lock.
 */
#ifndef HV_LOCK_H
#define HV_LOCK_H

#include <arch/cpu.h>
#include <hv/check.h>
#include <hv/types.h>

typedef struct {
	u32 next;  /* next ticket to hand out */
	u32 owner; /* ticket being served */
} spinlock_t;

#define SPINLOCK_INIT ((spinlock_t){ 0, 0 })

static inline void spin_lock_init(spinlock_t *l)
{
	*l = SPINLOCK_INIT;
}

static inline void spin_lock(spinlock_t *l)
{
	u32 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
	/*
	 * Acquire: the last holder's spin_unlock() released `owner`, not
	 * `next`. If the compare-exchange below succeeds, the value read here
	 * is the latest owner (next == owner means nobody took a ticket since),
	 * so this load is what orders the critical section after theirs.
	 */
	u32 owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	u32 expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, __atomic_load_n(&l->owner, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#define spin_assert_held(l) CHECK(spin_is_locked(l))

typedef struct {
	u32 state; /* RWLOCK_WRITER | RWLOCK_WAITING | reader count */
} rwlock_t;

#define RWLOCK_WRITER  0x80000000u
#define RWLOCK_WAITING 0x40000000u
#define RWLOCK_READERS 0x3fffffffu
#define RWLOCK_INIT    ((rwlock_t){ 0 })

static inline void rwlock_init(rwlock_t *l)
{
	*l = RWLOCK_INIT;
}

static inline void read_lock(rwlock_t *l)
{
	for (;;) {
		u32 s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

		if (!(s & (RWLOCK_WRITER | RWLOCK_WAITING)) &&
		    __atomic_compare_exchange_n(&l->state, &s, s + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		arch_cpu_relax();
	}
}

static inline void read_unlock(rwlock_t *l)
{
	__atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
}

static inline void write_lock(rwlock_t *l)
{
	for (;;) {
		u32 s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

		if (!(s & (RWLOCK_WRITER | RWLOCK_READERS))) {
			/* Free (perhaps with our own or another writer's WAITING bit). */
			if (__atomic_compare_exchange_n(&l->state, &s, RWLOCK_WRITER, true,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return;
		} else if (!(s & RWLOCK_WAITING)) {
			__atomic_compare_exchange_n(&l->state, &s, s | RWLOCK_WAITING, true,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		}
		arch_cpu_relax();
	}
}

static inline void write_unlock(rwlock_t *l)
{
	/* Keep a WAITING bit set by another writer so readers still yield to it. */
	__atomic_fetch_and(&l->state, ~RWLOCK_WRITER, __ATOMIC_RELEASE);
}

static inline bool rwlock_is_write_locked(rwlock_t *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED) & RWLOCK_WRITER;
}

static inline bool rwlock_is_locked(rwlock_t *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED) & (RWLOCK_WRITER | RWLOCK_READERS);
}

#define write_assert_held(l) CHECK(rwlock_is_write_locked(l))
/* Held for reading or writing (a reader cannot tell whose read hold it sees). */
#define read_assert_held(l) CHECK(rwlock_is_locked(l))

#endif /* HV_LOCK_H */
