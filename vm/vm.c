/*
 * Guests from modules: parse each module2 string (vm/guest_cmdline.c),
 * attach `for=NAME` modules to their guest, then for each guest: create
 * (EPT, devices, image, vCPU), run until it ends, report, destroy, and
 * check that every frame it held came back.
 */
#include "vm/vm.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vm/crash.h"
#include "vm/guest_abi.h"
#include "vm/guest_cmdline.h"
#include "vm/loader.h"
#include "vm/msr.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#define VM_MAX_GUESTS 32

/* Guests are large (device storage, stats): kept in .bss, not on the stack. */
static struct guest guests[VM_MAX_GUESTS];
static struct guest_config configs[VM_MAX_GUESTS];

static unsigned default_ept_level(void)
{
	return vmx_caps.ept_1g ? 3 : vmx_caps.ept_2m ? 2 : 1;
}

/* Builds the guest, loads it and creates its vCPU; false (guest ended) on failure. */
static bool guest_create(struct guest *g, const struct guest_config *c)
{
	struct vcpu_boot_state bs;
	char err[160];
	unsigned level = c->ept_level ? c->ept_level : default_ept_level();

	if (!gmem_init(&g->mem, c->mem_size, level)) {
		guest_end(g, GUEST_END_OOM, 0, "no memory for its EPT");
		return false;
	}
	if (!uart16550_attach(g, 0x3F8) || !debugexit_attach(g, KEEL_DEBUG_EXIT_PORT)) {
		guest_end(g, GUEST_END_ERROR, 0, "cannot attach its devices");
		return false;
	}
	if (!loader_load(g, &bs, err, sizeof(err))) {
		pr_err("guest %s: image rejected: %s", g->name, err);
		guest_end(g, GUEST_END_ERROR, 0, "image rejected: %s", err);
		return false;
	}
	if (!vcpu_create(&g->vcpu, g, &bs))
		return false;
	msr_load_guest(&g->vcpu);
	xcr0_load(&g->vcpu);
	return true;
}

static void guest_destroy(struct guest *g)
{
	uart16550_flush(g);
	vcpu_destroy(&g->vcpu);
	gmem_destroy(&g->mem);
}

static bool guest_ok(const struct guest *g, const struct guest_config *c)
{
	if (c->expect[0])
		return strcmp(c->expect, guest_end_name(g->end)) == 0;
	return (g->end == GUEST_END_DEBUG_EXIT || g->end == GUEST_END_HYPERCALL ||
		g->end == GUEST_END_HLT) &&
	       (g->status == 0 || g->status == 1);
}

/* One line: how it ended, its status and its exits by reason (non-zero counts). */
static void guest_summary(const struct guest *g)
{
	char buf[320];
	unsigned n = 0;

	for (unsigned r = 0; r < EXIT_REASON_COUNT && n < sizeof(buf) - 40; r++) {
		if (!g->stats.exit_count[r])
			continue;
		n += (unsigned)fmt_snprintf(buf + n, sizeof(buf) - n, "%s%s %lu", n ? ", " : "",
					    exit_reason_name(r), g->stats.exit_count[r]);
	}
	buf[MIN(n, sizeof(buf) - 1)] = '\0';
	pr_info("guest %s: ended by %s status=%d, exits %lu (%s)", g->name, guest_end_name(g->end),
		g->status, g->stats.exits, buf);
	pr_info("guest %s: %s", g->name, g->end_detail);
	pr_info("guest %s: ept: violations %lu, leaves 4k %lu 2m %lu 1g %lu, fallbacks %lu, "
		"spurious %lu, tables %lu, invept %lu; io unclaimed reads %lu writes %lu",
		g->name, g->mem.stats.violations, g->mem.stats.leaves[1], g->mem.stats.leaves[2],
		g->mem.stats.leaves[3], g->mem.stats.fallbacks, g->mem.stats.spurious,
		gmem_table_pages(&g->mem), gmem_invept_count(&g->mem), g->stats.io_unclaimed_reads,
		g->stats.io_unclaimed_writes);
}

static bool ended_abnormally(const struct guest *g)
{
	return g->end == GUEST_END_TRIPLE_FAULT || g->end == GUEST_END_UNHANDLED ||
	       g->end == GUEST_END_EPT || g->end == GUEST_END_ENTRY_FAILURE;
}

/* Runs one guest start to end; true if it ended as expected with no frame leaked. */
static bool guest_run_one(struct guest *g, const struct guest_config *c)
{
	u64 before = pmm_free_count(), after;
	bool ok;

	pr_info("guest %s: starting, mem=%lu MiB, ept leaves up to %s", g->name,
		(u64)(c->mem_size / MiB),
		(c->ept_level ? c->ept_level : default_ept_level()) == 3   ? "1G"
		: (c->ept_level ? c->ept_level : default_ept_level()) == 2 ? "2M"
									   : "4K");
	if (guest_create(g, c)) {
		vcpu_run(&g->vcpu);
		if (ended_abnormally(g))
			crash_report(&g->vcpu);
	}
	guest_summary(g);
	guest_destroy(g);
	after = pmm_free_count();
	ok = guest_ok(g, c);
	pr_info("guest %s: free frames before %lu after %lu%s", g->name, before, after,
		before == after ? "" : " LEAK");
	return ok && before == after;
}

int vm_run_all(const struct boot_info *bi)
{
	unsigned count = 0, ok = 0, failed = 0;

	if (!vmcs_bitmaps_init()) {
		pr_err("vm: no memory for the VMX bitmaps");
		return 1;
	}
	count = guest_cmdline_configs(bi, configs, VM_MAX_GUESTS, &failed);
	for (unsigned i = 0; i < count; i++) {
		struct guest *g = &guests[i];

		memset(g, 0, sizeof(*g));
		guest_config_apply(&configs[i], g, i);
		if (guest_run_one(g, &configs[i]))
			ok++;
		else
			failed++;
		guest_config_release(&configs[i]);
	}
	if (count == 0 && failed == 0)
		pr_info("no guests: nothing to run (give Keel module2 lines)");
	pr_info("guests ok=%u failed=%u", ok, failed);
	return failed ? 1 : 0;
}
