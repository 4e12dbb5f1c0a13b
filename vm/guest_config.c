/*
 * Guest configurations from the multiboot2 modules (kernel side of
 * vm/guest_cmdline.h): guests first, then `for=` modules attached in order.
 */
#include "arch/x86/percpu.h"
#include "boot/options.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vm/guest_cmdline.h"
#include "vmx/vmx.h"

/* cpus= bits name Keel's CPU indices (vm/guest_cmdline.h). */
_Static_assert(GUEST_CPUS_MAX == CPU_MAX, "cpus= indices are CPU indices");
_Static_assert(GUEST_CPUS_MAX <= 64, "cpus= is a u64 mask");
/* A config's name and "NAME ARGS" fit the guest's own copies (guest_config_apply). */
_Static_assert(GUEST_NAME_MAX == GUEST_CONFIG_NAME_MAX, "guest names");
_Static_assert(GUEST_CMDLINE_MAX >= GUEST_CONFIG_NAME_MAX + GUEST_CONFIG_ARGS_MAX,
	       "NAME, a blank, ARGS and the NUL");

/* Keel's lines quote at most this much of a refused module string. */
#define QUOTE_MAX 96

/* mem= upper bound: what the EPT can address, capped at 512 GiB. */
static u64 max_guest_mem(void)
{
	return MIN(BIT(MIN(vmx_caps.maxphyaddr, 48u)), 512 * GiB);
}

static bool ept_level_ok(const struct guest_config *c)
{
	if (c->ept_level == 3 && !vmx_caps.ept_1g) {
		pr_err("guest %s: ept=1g: this CPU has no 1 GiB EPT pages", c->name);
		return false;
	}
	if (c->ept_level == 2 && !vmx_caps.ept_2m) {
		pr_err("guest %s: ept=2m: this CPU has no 2 MiB EPT pages", c->name);
		return false;
	}
	return true;
}

static struct guest_config *find(struct guest_config *configs, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(configs[i].name, name) == 0)
			return &configs[i];
	return NULL;
}

static void attach_for_modules(const struct boot_info *bi, struct guest_config *configs, unsigned n,
			       unsigned *failed)
{
	char name[GUEST_CONFIG_NAME_MAX], err[80];

	for (u32 i = 0; i < bi->module_count; i++) {
		const struct mb2_module *m = &bi->modules[i];
		struct guest_config *c;

		if (!guest_cmdline_for(m->cmdline, name, sizeof(name)))
			continue;
		c = name[0] ? find(configs, n, name) : NULL;
		if (!guest_cmdline_length_ok(m->cmdline, err, sizeof(err))) {
			pr_err("module %u: for=%s: %s", i, name[0] ? name : "(bad name)", err);
			(*failed)++;
		} else if (!c) {
			pr_err("module %u: for=%s names no guest", i,
			       name[0] ? name : "(bad name)");
			(*failed)++;
		} else if (c->module_count == GUEST_CONFIG_MODULES) {
			pr_err("guest %s: more than %d modules", c->name, GUEST_CONFIG_MODULES);
			(*failed)++;
		} else {
			c->modules[c->module_count++] = m;
		}
	}
}

unsigned guest_cmdline_configs(const struct boot_info *bi, struct guest_config *configs,
			       unsigned max, unsigned *failed)
{
	unsigned n = 0;
	char err[160];
	char name[GUEST_CONFIG_NAME_MAX];

	for (u32 i = 0; i < bi->module_count; i++) {
		const struct mb2_module *m = &bi->modules[i];
		struct guest_config *c = &configs[n];

		if (guest_cmdline_for(m->cmdline, name, sizeof(name)))
			continue;
		if (n == max) {
			pr_err("module %u: more than %u guests", i, max);
			(*failed)++;
			continue;
		}
		if (!guest_cmdline_parse(m->cmdline, i, max_guest_mem(), c, err, sizeof(err))) {
			bool cut = strlen(m->cmdline) > QUOTE_MAX;

			pr_err("guest %u ('%.*s%s'): %s", i, QUOTE_MAX, m->cmdline,
			       cut ? "..." : "", err);
			(*failed)++;
			continue;
		}
		if (c->failalloc && !keel_opts.testhc) {
			pr_err("guest %s: failalloc= is test-only: Keel's testhc=on enables it",
			       c->name);
			(*failed)++;
			continue;
		}
		if (!ept_level_ok(c) || find(configs, n, c->name)) {
			if (find(configs, n, c->name))
				pr_err("guest %s: a guest of that name exists already", c->name);
			(*failed)++;
			continue;
		}
		c->image = m;
		n++;
	}
	attach_for_modules(bi, configs, n, failed);
	return n;
}

void guest_config_apply(const struct guest_config *c, struct guest *g, unsigned id)
{
	g->id = id;
	memcpy(g->name, c->name, sizeof(g->name));
	fmt_snprintf(g->cmdline, sizeof(g->cmdline), c->args[0] ? "%s %s" : "%s", c->name, c->args);
	g->image_start = c->image->start;
	g->image_end = c->image->end;
	g->module_count = c->module_count;
	for (unsigned i = 0; i < c->module_count; i++)
		g->modules[i] = (struct guest_module){c->modules[i]->start, c->modules[i]->end,
						      c->modules[i]->cmdline};
	g->timeout = c->timeout;
	g->onreboot = c->onreboot_end ? GUEST_ONREBOOT_END : GUEST_ONREBOOT_RESTART;
	g->triple_resets = c->triple_resets;
	g->vcpu_count = c->vcpus;
}

static void release(const struct mb2_module *m)
{
	u64 start = ALIGN_DOWN(m->start, PAGE_SIZE);

	pmm_release(hpa(start), ALIGN_UP(m->end, PAGE_SIZE) - start);
}

void guest_config_release(const struct guest_config *c)
{
	release(c->image);
	for (unsigned i = 0; i < c->module_count; i++)
		release(c->modules[i]);
}
