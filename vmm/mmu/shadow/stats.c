/*
 * Shadow MMU statistics: counters for every policy decision (updated under
 * the write lock) and gauges, read under the read lock so a reading thread
 * sees a consistent set.
 */
#include <hv/log.h>

#include "shadow_internal.h"

static const char *const stat_names[SHADOW_STAT_COUNT] = {
#define SHADOW_STAT_NAME(name, text) #name,
	SHADOW_STAT_LIST(SHADOW_STAT_NAME)
#undef SHADOW_STAT_NAME
};

static const char *const stat_texts[SHADOW_STAT_COUNT] = {
#define SHADOW_STAT_TEXT(name, text) text,
	SHADOW_STAT_LIST(SHADOW_STAT_TEXT)
#undef SHADOW_STAT_TEXT
};

const char *shadow_stat_name(enum shadow_stat s)
{
	return (unsigned)s < SHADOW_STAT_COUNT ? stat_names[s] : "?";
}

void shadow_stats_read(struct shadow_mmu *sm, struct shadow_stats *out)
{
	read_lock(&sm->vm->mmu_lock);
	for (int i = 0; i < SHADOW_STAT_COUNT; i++)
		out->count[i] = sm->stat[i];
	out->pages = sm->pages;
	out->pages_direct = sm->pages_direct;
	out->unsync = sm->unsync_count;
	out->roots_in_use = sm->roots_in_use;
	out->obsolete = sm->obsolete_count;
	out->rmap_entries = sm->rmap_entries;
	out->longest_chain = shadow_longest_chain(sm);
	out->max_pages = sm->max_pages;
	read_unlock(&sm->vm->mmu_lock);
}

void shadow_stats_print(struct shadow_mmu *sm)
{
	struct shadow_stats st;

	shadow_stats_read(sm, &st);
	hv_printf("shadow %s: %llu pages (%llu direct, %llu unsync, %llu roots in use, %llu "
		  "obsolete), quota %u, %llu rmap entries, longest hash chain %u\n",
		  sm->vm->name, (unsigned long long)st.pages, (unsigned long long)st.pages_direct,
		  (unsigned long long)st.unsync, (unsigned long long)st.roots_in_use,
		  (unsigned long long)st.obsolete, st.max_pages,
		  (unsigned long long)st.rmap_entries, st.longest_chain);
	for (int i = 0; i < SHADOW_STAT_COUNT; i++)
		if (st.count[i])
			hv_printf("  %-22s %12llu  %s\n", stat_names[i],
				  (unsigned long long)st.count[i], stat_texts[i]);
}
