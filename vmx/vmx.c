/*
 * VMX enablement (Intel SDM Vol. 3C, 24.6 "Discovering Support for VMX",
 * 24.7 "Enabling and Entering VMX Operation", 24.8 "Restrictions on VMX
 * Operation", Appendix A "VMX Capability Reporting Facility").
 *
 * Keel requires EPT with a 4-level walk and write-back paging structures,
 * unrestricted guest, and INVEPT; VPID is used when present (see vmx/vpid.c).
 */
#include "vmx/vmx.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "boot/options.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

/* Shared, write-once at boot: vmx_init, before any other CPU starts (they compare theirs). */
struct vmx_caps vmx_caps;
/* Per-CPU: entry i is CPU i's (arch/x86/percpu.h), its region allocated by the boot CPU. */
static struct vmx_cpu vmx_cpus[CPU_MAX];

u32 vmx_ctl(u64 cap, u32 wanted, u32 required, u32 *missing)
{
	u32 allowed0 = (u32)cap, allowed1 = (u32)(cap >> 32);

	if (missing)
		*missing = required & ~allowed1;
	return (allowed0 | wanted | required) & allowed1;
}

static bool cpu_has_vmx(void)
{
	if (!(cpuid(1, 0).ecx & BIT(5))) {
		pr_err("VT-x unavailable: CPUID.1:ECX.VMX=0");
		return false;
	}
	return true;
}

/* IA32_FEATURE_CONTROL: lock it with VMXON outside SMX if the firmware left it open. */
static bool feature_control_ok(void)
{
	u64 fc = rdmsr(IA32_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
		wrmsr(IA32_FEATURE_CONTROL, fc);
		fc = rdmsr(IA32_FEATURE_CONTROL);
	}
	if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		pr_err("VT-x disabled by firmware (IA32_FEATURE_CONTROL=0x%lx: locked without "
		       "VMX outside SMX)",
		       fc);
		return false;
	}
	return true;
}

static void read_caps(struct vmx_caps *c)
{
	c->basic = rdmsr(IA32_VMX_BASIC);
	c->true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = rdmsr(c->true_ctls ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(c->true_ctls ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(c->true_ctls ? IA32_VMX_TRUE_EXIT_CTLS : IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(c->true_ctls ? IA32_VMX_TRUE_ENTRY_CTLS : IA32_VMX_ENTRY_CTLS);
	c->misc = rdmsr(IA32_VMX_MISC);
	c->cr0_fixed0 = rdmsr(IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(IA32_VMX_CR4_FIXED1);
	/* Secondary controls and EPT/VPID caps exist only if the primary control can be 1. */
	if (c->proc & ((u64)PROC_ACTIVATE_SECONDARY_CONTROLS << 32))
		c->proc2 = rdmsr(IA32_VMX_PROCBASED_CTLS2);
	if (c->proc2 & ((u64)(PROC2_ENABLE_EPT | PROC2_ENABLE_VPID) << 32))
		c->ept_vpid = rdmsr(IA32_VMX_EPT_VPID_CAP);

	u32 p2 = (u32)(c->proc2 >> 32);
	u64 ev = c->ept_vpid;

	c->ept =
	    (p2 & PROC2_ENABLE_EPT) && (ev & EPT_CAP_WALK_LENGTH_4) && (ev & EPT_CAP_MEMTYPE_WB);
	c->ept_2m = ev & EPT_CAP_PDE_2MB;
	c->ept_1g = ev & EPT_CAP_PDPTE_1GB;
	c->ept_ad = ev & EPT_CAP_AD_FLAGS;
	c->pml = c->ept_ad && (p2 & PROC2_ENABLE_PML);
	c->execute_only = ev & EPT_CAP_EXECUTE_ONLY;
	c->unrestricted_guest = p2 & PROC2_UNRESTRICTED_GUEST;
	c->vpid = (p2 & PROC2_ENABLE_VPID) && (ev & VPID_CAP_INVVPID);
	c->invept_single = (ev & EPT_CAP_INVEPT) && (ev & EPT_CAP_INVEPT_SINGLE_CONTEXT);
	c->invept_all = (ev & EPT_CAP_INVEPT) && (ev & EPT_CAP_INVEPT_ALL_CONTEXT);
	c->invvpid_addr = c->vpid && (ev & VPID_CAP_INVVPID_INDIVIDUAL_ADDR);
	c->invvpid_single = c->vpid && (ev & VPID_CAP_INVVPID_SINGLE_CONTEXT);
	c->invvpid_all = c->vpid && (ev & VPID_CAP_INVVPID_ALL_CONTEXT);
	c->invvpid_retain_globals =
	    c->vpid && (ev & VPID_CAP_INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS);
	c->preemption_timer = c->pin & ((u64)PIN_PREEMPTION_TIMER << 32);
	c->preemption_timer_shift = VMX_MISC_PREEMPTION_TIMER_RATE(c->misc);
	c->activity_hlt = c->misc & VMX_MISC_ACTIVITY_HLT;
	c->xsave = cpuid(1, 0).ecx & BIT(26);
	c->maxphyaddr =
	    cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xFF : 36;
}

/* hidecap=: treat capabilities as absent, so tests reach the fallbacks. */
static void hide_caps(struct vmx_caps *c, unsigned h)
{
	if (h & HIDECAP_INVEPT_SINGLE)
		c->invept_single = false;
	if (h & HIDECAP_INVVPID_ADDR)
		c->invvpid_addr = false;
	if (h & HIDECAP_INVVPID_SINGLE)
		c->invvpid_single = false;
	if (h & HIDECAP_INVVPID_RETAIN)
		c->invvpid_retain_globals = false;
	if (h & HIDECAP_VPID)
		c->vpid = false;
	if (h & HIDECAP_EPT_1G)
		c->ept_1g = false;
	if (h & HIDECAP_EPT_2M)
		c->ept_2m = c->ept_1g = false;
	if (h & HIDECAP_PREEMPTION_TIMER)
		c->preemption_timer = false;
	/* INVVPID with no usable type at all: run without VPIDs. */
	if (c->vpid && !c->invvpid_single && !c->invvpid_all)
		c->vpid = false;
	if (h)
		pr_info("vmx: hidecap=0x%x: treating those capabilities as absent", h);
}

/* One line per missing requirement; returns true if all are there. */
static bool caps_sufficient(const struct vmx_caps *c)
{
	u32 p1 = (u32)(c->proc >> 32);
	bool ok = true;

	if (VMX_BASIC_REGION_SIZE(c->basic) > PAGE_SIZE) {
		pr_err("VMX: VMCS region size %lu exceeds a page", VMX_BASIC_REGION_SIZE(c->basic));
		ok = false;
	}
	if (VMX_BASIC_MEMTYPE(c->basic) != VMX_BASIC_MEMTYPE_WB) {
		pr_err("VMX: VMCS memory type is not write-back (IA32_VMX_BASIC[53:50]=%lu)",
		       VMX_BASIC_MEMTYPE(c->basic));
		ok = false;
	}
	if (!(p1 & PROC_ACTIVATE_SECONDARY_CONTROLS)) {
		pr_err("VMX: missing secondary processor-based controls "
		       "(IA32_VMX_PROCBASED_CTLS bit 63)");
		return false;
	}
	if (!c->ept) {
		pr_err("VMX: missing EPT with a 4-level walk and write-back tables "
		       "(IA32_VMX_PROCBASED_CTLS2 bit 33, IA32_VMX_EPT_VPID_CAP bits 6, 14)");
		ok = false;
	}
	if (!c->unrestricted_guest) {
		pr_err("VMX: missing unrestricted guest (IA32_VMX_PROCBASED_CTLS2 bit 39)");
		ok = false;
	}
	if (c->ept && !c->invept_single && !c->invept_all) {
		pr_err("VMX: missing INVEPT (IA32_VMX_EPT_VPID_CAP bits 20, 25, 26)");
		ok = false;
	}
	if (!(p1 & PROC_USE_MSR_BITMAPS) || !(p1 & PROC_USE_IO_BITMAPS)) {
		pr_err("VMX: missing MSR or I/O bitmaps (IA32_VMX_PROCBASED_CTLS bits 60, 57)");
		ok = false;
	}
	return ok;
}

static void print_caps(const struct vmx_caps *c)
{
	pr_info(
	    "vmx: revision 0x%x, EPT %s%s%s%s, VPID %s, "
	    "INVEPT%s%s%s, INVVPID%s%s%s%s%s, preemption timer %s (TSC/%u), unrestricted guest %s",
	    VMX_BASIC_REVISION(c->basic), c->ept ? "4-level WB" : "no", c->ept_2m ? " 2M" : "",
	    c->ept_1g ? " 1G" : "", c->ept_ad ? " A/D" : "", c->vpid ? "yes" : "no",
	    c->invept_single || c->invept_all ? "" : " none", c->invept_single ? " single" : "",
	    c->invept_all ? " all" : "", c->vpid ? "" : " none", c->invvpid_addr ? " addr" : "",
	    c->invvpid_single ? " single" : "", c->invvpid_all ? " all" : "",
	    c->invvpid_retain_globals ? " retain-globals" : "", c->preemption_timer ? "yes" : "no",
	    1u << c->preemption_timer_shift, c->unrestricted_guest ? "yes" : "no");
}

/*
 * The CR0/CR4 values VMX operation accepts (SDM 24.8), from this CPU's
 * current ones; false if CR4.VMXE cannot be set.
 */
static bool vmx_control_registers(const struct vmx_caps *c, u64 *cr0_out, u64 *cr4_out)
{
	u64 cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;

	/* Firmware may leave caching disabled (Bochs' BIOS does): Keel runs with it on. */
	cr0 &= ~(CR0_CD | CR0_NW);
	cr0 = (cr0 | c->cr0_fixed0) & c->cr0_fixed1;
	cr4 = (cr4 | c->cr4_fixed0) & c->cr4_fixed1;
	if (!(cr4 & CR4_VMXE))
		return false;
	if (c->xsave)
		cr4 |= CR4_OSXSAVE; /* lets Keel load each guest's XCR0 */
	cr4 |= CR4_OSFXSR;	    /* FXSAVE/FXRSTOR switch guests' XMM registers too */
	*cr0_out = cr0;
	*cr4_out = cr4;
	return true;
}

/* Sets CR0/CR4 to values VMX operation accepts. */
static bool fix_control_registers(const struct vmx_caps *c)
{
	u64 cr0, cr4;

	if (!vmx_control_registers(c, &cr0, &cr4)) {
		pr_err("VMX: CR4.VMXE cannot be set (IA32_VMX_CR4_FIXED1=0x%lx)", c->cr4_fixed1);
		return false;
	}
	write_cr0(cr0);
	write_cr4(cr4);
	return true;
}

bool vmx_cpu_prepare(unsigned index)
{
	struct vmx_cpu *cpu = &vmx_cpus[index];

	CHECK(index < CPU_MAX && !cpu->in_root);
	if (!cpu->vmxon_region_ok) {
		if (!pmm_alloc_frame(&cpu->vmxon_region))
			return false;
		cpu->vmxon_region_ok = true;
	}
	memset(hpa_ptr(cpu->vmxon_region), 0, PAGE_SIZE);
	*(u32 *)hpa_ptr(cpu->vmxon_region) = VMX_BASIC_REVISION(vmx_caps.basic);
	return true;
}

static bool vmxon_cpu(struct vmx_cpu *cpu)
{
	enum vmx_status s;

	if (!vmx_cpu_prepare(0)) {
		pr_err("VMX: no memory for the VMXON region");
		return false;
	}
	s = vmx_on(cpu->vmxon_region);
	if (s != VMX_SUCCEED) {
		pr_err("VMX: VMXON failed: %s", vmx_status_name(s));
		pmm_free_frame(cpu->vmxon_region);
		cpu->vmxon_region_ok = false;
		return false;
	}
	cpu->in_root = true;
	return true;
}

/*
 * Kicks by NMI (Bochs 2.7 only, docs/testing.md "Bochs workarounds").
 * Bochs' interrupt acknowledge, reached for a host interrupt that arrives
 * while a guest runs, delivers the guest's pending virtual interrupt
 * instead of exiting, without asking whether the guest's RFLAGS.IF masks
 * it: a guest with IF clear takes an interrupt (a Linux guest of two vCPUs
 * deadlocked in its scheduler). NMIs take another path there, to the exit
 * the SDM describes, so Keel's kicks between CPUs are NMIs on Bochs.
 *
 * An NMI kick on a CPU outside a guest is not left pending as an
 * interrupt would be (Keel runs with interrupts off), so it must not be
 * lost between the entry's last look at the vCPU's events and VMRESUME:
 * the NMI handler sets the CPU's `kicked` and writes 0 into the current
 * VMCS's preemption timer (vmx_kick_in_root); each entry writes the timer
 * and then looks at `kicked` (vmx_write_timer). Either way the entry exits
 * at once, with the events looked at again. An NMI that causes a VM exit
 * blocks later NMIs once the exit completes, until an IRET (SDM Vol. 3C
 * 28.1 "Architectural State before a VM Exit"): vmx_nmi_exit ends with one.
 */
static void vmx_kick_in_root(void)
{
	enum vmx_status s;

	if (!vmx_cpus[this_cpu()->index].in_root)
		return;
	/* No VMCS current, or a VMCS not entered next: fails, or costs one early exit. */
	s = vmx_write(VMCS_PREEMPTION_TIMER_VALUE, 0);
	(void)s;
}

void vmx_kick_taken(void)
{
	__atomic_store_n(&this_cpu()->kicked, false, __ATOMIC_RELAXED);
	vmcs_write(VMCS_PREEMPTION_TIMER_VALUE, 0);
}

bool vmx_nmi_exit(void)
{
	if (!smp_kicks_by_nmi())
		return false;
	this_cpu()->nmi_kicks++;
	cpu_iret_to_self();
	return true;
}

bool vmx_init(const struct vmx_platform *p)
{
	if (!cpu_has_vmx() || !feature_control_ok())
		return false;
	read_caps(&vmx_caps);
	vmx_caps.bochs_vectoring = p->bochs;
	if (p->bochs)
		pr_info(
		    "vmx: running on Bochs: its stale IDT-vectoring information is worked around");
	hide_caps(&vmx_caps, keel_opts.hidecap);
	print_caps(&vmx_caps);
	if (p->bochs && vmx_caps.preemption_timer) {
		smp_kick_by_nmi(vmx_kick_in_root);
		pr_info("vmx: running on Bochs: kicks between CPUs are NMIs (its interrupt "
			"acknowledge ignores a guest's IF)");
	}
	pr_debug("vmx: CR0 fixed0 0x%lx fixed1 0x%lx, CR4 fixed0 0x%lx fixed1 0x%lx",
		 vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1, vmx_caps.cr4_fixed0,
		 vmx_caps.cr4_fixed1);
	pr_debug("vmx: pin 0x%lx proc 0x%lx proc2 0x%lx exit 0x%lx entry 0x%lx ept/vpid 0x%lx",
		 vmx_caps.pin, vmx_caps.proc, vmx_caps.proc2, vmx_caps.exit, vmx_caps.entry,
		 vmx_caps.ept_vpid);
	if (!caps_sufficient(&vmx_caps) || !fix_control_registers(&vmx_caps))
		return false;
	if (!vmxon_cpu(&vmx_cpus[0]))
		return false;
	pr_info("vmx: VMX root operation entered");
	return true;
}

/* The capability MSRs a CPU must share with the boot CPU, named for the message. */
static const char *vmx_caps_differ(const struct vmx_caps *a, const struct vmx_caps *b, u64 *va,
				   u64 *vb)
{
	const struct {
		const char *name;
		u64 x, y;
	} f[] = {
	    {"IA32_VMX_BASIC", a->basic, b->basic},
	    {"IA32_VMX_PINBASED_CTLS", a->pin, b->pin},
	    {"IA32_VMX_PROCBASED_CTLS", a->proc, b->proc},
	    {"IA32_VMX_PROCBASED_CTLS2", a->proc2, b->proc2},
	    {"IA32_VMX_EXIT_CTLS", a->exit, b->exit},
	    {"IA32_VMX_ENTRY_CTLS", a->entry, b->entry},
	    {"IA32_VMX_MISC", a->misc, b->misc},
	    {"IA32_VMX_EPT_VPID_CAP", a->ept_vpid, b->ept_vpid},
	    {"IA32_VMX_CR0_FIXED0", a->cr0_fixed0, b->cr0_fixed0},
	    {"IA32_VMX_CR0_FIXED1", a->cr0_fixed1, b->cr0_fixed1},
	    {"IA32_VMX_CR4_FIXED0", a->cr4_fixed0, b->cr4_fixed0},
	    {"IA32_VMX_CR4_FIXED1", a->cr4_fixed1, b->cr4_fixed1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (f[i].x != f[i].y) {
			*va = f[i].x;
			*vb = f[i].y;
			return f[i].name;
		}
	}
	return NULL;
}

bool vmx_cpu_enter(unsigned index, bool fake_mismatch, char *why, size_t len)
{
	struct vmx_cpu *cpu = &vmx_cpus[index];
	struct vmx_caps mine = {0};
	const char *differs;
	u64 fc, mv, bv, cr0, cr4;
	enum vmx_status s;

	CHECK(index > 0 && index < CPU_MAX && cpu->vmxon_region_ok && !cpu->in_root);
	if (!(cpuid(1, 0).ecx & BIT(5))) {
		fmt_snprintf(why, len, "VT-x unavailable: CPUID.1:ECX.VMX=0");
		return false;
	}
	fc = rdmsr(IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		wrmsr(IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK);
		fc = rdmsr(IA32_FEATURE_CONTROL);
	}
	if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		fmt_snprintf(why, len, "VT-x disabled by firmware (IA32_FEATURE_CONTROL=0x%lx)",
			     fc);
		return false;
	}
	read_caps(&mine);
	if (fake_mismatch)
		mine.proc2 ^= (u64)PROC2_ENABLE_VPID << 32; /* test=smp-mismatch */
	differs = vmx_caps_differ(&mine, &vmx_caps, &mv, &bv);
	if (differs) {
		fmt_snprintf(why, len, "%s is 0x%lx, the boot CPU's 0x%lx", differs, mv, bv);
		return false;
	}
	if (!vmx_control_registers(&mine, &cr0, &cr4)) {
		fmt_snprintf(why, len, "CR4.VMXE cannot be set (IA32_VMX_CR4_FIXED1=0x%lx)",
			     mine.cr4_fixed1);
		return false;
	}
	write_cr0(cr0);
	write_cr4(cr4);
	s = vmx_on(cpu->vmxon_region);
	if (s != VMX_SUCCEED) {
		fmt_snprintf(why, len, "VMXON failed: %s", vmx_status_name(s));
		return false;
	}
	cpu->in_root = true;
	return true;
}
