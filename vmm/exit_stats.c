/*
 * Printing a vCPU's exit accounting (contract in hv/vcpu.h): the exit ring,
 * oldest first, and the per-kind statistics sorted by count. Recording is
 * inline in hv/vcpu.h; only the output lives here.
 */
#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

void vcpu_print_exit_ring(const struct vcpu *v)
{
	const struct vm *vm = v->vm;
	u64 n = MIN(v->exit_count, (u64)VCPU_EXIT_RING_SIZE);
	u64 first = v->exit_count - n;
	u64 last_ticks;

	if (!n) {
		log_info("%s: vcpu%u: no exits yet", vm->name, v->id);
		return;
	}
	last_ticks = v->ring[(v->exit_count - 1) & (VCPU_EXIT_RING_SIZE - 1)].ticks;
	log_info("%s: vcpu%u: last %llu of %llu exits, oldest first (ticks before the last):",
		 vm->name, v->id, (unsigned long long)n, (unsigned long long)v->exit_count);
	for (u64 i = first; i < v->exit_count; i++) {
		const struct vcpu_exit_record *r = &v->ring[i & (VCPU_EXIT_RING_SIZE - 1)];

		log_info("%s:   #%llu -%llu %#llx %-10s pc %#llx info %#llx %#llx", vm->name,
			 (unsigned long long)i, (unsigned long long)(last_ticks - r->ticks),
			 (unsigned long long)r->code, vm->ops->exit_code_name(r->code),
			 (unsigned long long)r->pc, (unsigned long long)r->info1,
			 (unsigned long long)r->info2);
	}
}

void vcpu_print_exit_stats(const struct vcpu *v)
{
	const struct vm *vm = v->vm;
	u32 kinds = vm->ops->exit_kind_count;
	u8 order[VCPU_EXIT_KINDS_MAX];
	u64 total = 0, total_ticks = 0;
	u32 n = 0;

	for (u32 k = 0; k < kinds; k++) {
		if (!v->stats[k].count)
			continue;
		total += v->stats[k].count;
		total_ticks += v->stats[k].ticks;
		/* Insertion by descending count; at most 64 kinds. */
		u32 at = n++;

		while (at && v->stats[order[at - 1]].count < v->stats[k].count) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = (u8)k;
	}
	log_info("%s: vcpu%u: %llu exits handled in %llu ticks%s", vm->name, v->id,
		 (unsigned long long)total, (unsigned long long)total_ticks,
		 n ? ", by reason:" : "");
	for (u32 i = 0; i < n; i++) {
		const struct vcpu_exit_stat *s = &v->stats[order[i]];

		log_info("%s:   %-14s %10llu exits %14llu ticks %8llu avg", vm->name,
			 vm->ops->exit_kind_names[order[i]], (unsigned long long)s->count,
			 (unsigned long long)s->ticks, (unsigned long long)(s->ticks / s->count));
	}
}
