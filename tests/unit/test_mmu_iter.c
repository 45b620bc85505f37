/*
 * The iterator against a recursive pre-order walk: on trees built by
 * random faults (every format, multi-page roots included), for random gfn
 * ranges and minimum levels, pt_iter visits exactly the entries the
 * recursive walk visits, in the same order, with the same gfn, level and
 * value; a restart at any point resumes with the same sequence (modulo the
 * entries above the restart point, which it visits again on the way down).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/random.h>

#include "../../vmm/mmu/mmu_internal.h"
#include "../../vmm/mmu/pt_iter.h"
#include "mmu_test.h"

struct visit {
	gfn_t gfn;
	int level;
	pte_t value;
};

#define MAX_VISITS 200000

static struct visit want[MAX_VISITS], got[MAX_VISITS];

/* The obviously correct walk: recursion over the tree, entries clipped to [s, e). */
static unsigned walk(const struct pt_format *f, pte_t *table, int level, gfn_t base, gfn_t s,
		     gfn_t e, int min_level, unsigned n)
{
	for (unsigned i = 0; i < pt_table_entries(f, level); i++) {
		gfn_t first = base + ((gfn_t)i << pt_level_page_shift(level));
		gfn_t end = first + pt_level_pages(level);
		pte_t v = table[i];

		if (end <= s || first >= e)
			continue;
		assert_true(n < MAX_VISITS);
		want[n++] = (struct visit){ first, level, v };
		if (level > min_level && pte_is_table(f, v, level))
			n = walk(f, pt_table_ptr(f, v), level - 1, first, s, e, min_level, n);
	}
	return n;
}

static void iterator_matches_recursion(void **state)
{
	u64 seed = 42;

	(void)state;
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		const struct pt_format *f = mmu_test_formats[i];
		gfn_t limit = pt_gfn_limit(f);
		struct mmu_root *root;
		struct mmu_env env;

		mmu_env_init(&env, f, true);
		/* A slot at each end of the space and one in the middle, mixed leaf sizes. */
		mmu_env_slot(&env, 1, 0, 0x80000, 0x100000, 0);
		mmu_env_slot(&env, 2, limit / 2 - 0x300, 0x600, 0x200001, 0);
		mmu_env_slot(&env, 3, limit - 0x40400, 0x40400, 0x4000000 - 0x400, 0);
		for (int k = 0; k < 300; k++) {
			gfn_t g;

			switch (xorshift64s(&seed) % 3) {
			case 0:
				g = xorshift64s(&seed) % 0x80000;
				break;
			case 1:
				g = limit / 2 - 0x300 + xorshift64s(&seed) % 0x600;
				break;
			default:
				g = limit - 0x40400 + xorshift64s(&seed) % 0x40400;
				break;
			}
			mmu_vm_set_max_level(env.vm, (u8)(xorshift64s(&seed) % 4));
			mmu_fault(env.vc, gfn_to_gpa(g), PT_R);
		}
		root = mmu_env_root(&env);
		for (int k = 0; k < 200; k++) {
			gfn_t s = xorshift64s(&seed) % limit, e;
			int min_level = 1 + (int)(xorshift64s(&seed) % 3);
			unsigned n, m = 0, cut;
			struct pt_iter it;

			switch (k % 4) {
			case 0:
				s = 0;
				e = limit;
				break;
			case 1:
				e = s + 1 + xorshift64s(&seed) % 0x1000;
				break;
			case 2:
				s = limit - 1 - xorshift64s(&seed) % 0x50000;
				e = limit + 100; /* beyond the end: clipped */
				break;
			default:
				e = s + xorshift64s(&seed) % (limit - s + 1);
				break;
			}
			n = walk(f, root->table, f->levels, 0, s, MIN(e, limit), min_level, 0);
			for_each_pte(&it, f, root->table, s, e, min_level)
			{
				assert_true(m < n);
				got[m++] = (struct visit){ it.gfn, it.level, it.old };
			}
			assert_int_equal(m, n);
			assert_memory_equal(got, want, n * sizeof(got[0]));

			/* Restart somewhere: the rest of the walk continues from there. */
			if (!n)
				continue;
			cut = (unsigned)(xorshift64s(&seed) % n);
			pt_iter_start(&it, f, root->table, s, e, min_level);
			for (unsigned v = 0; v < cut; v++)
				pt_iter_next(&it);
			assert_int_equal(it.gfn, want[cut].gfn);
			pt_iter_restart(&it);
			/* Re-walking reaches want[cut] again through its ancestors. */
			while (!it.done &&
			       !(it.level == want[cut].level && it.gfn == want[cut].gfn))
				pt_iter_next(&it);
			assert_false(it.done);
			for (unsigned v = cut; v < n; v++) {
				assert_false(it.done);
				assert_int_equal(it.gfn, want[v].gfn);
				assert_int_equal(it.level, want[v].level);
				pt_iter_next(&it);
			}
			assert_true(it.done);
		}
		mmu_env_fini(&env);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iterator_matches_recursion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
