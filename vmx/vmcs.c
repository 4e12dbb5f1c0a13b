/*
 * Building a VMCS (Intel SDM Vol. 3C, chapter 25 "Virtual Machine Control
 * Structures" and 27.2/27.3 "Checks on VMX Controls/Host State"). Every
 * control value is computed from the capability MSRs by vmx_ctl(): the bits
 * the CPU requires, plus the bits Keel wants and the CPU permits; a bit Keel
 * cannot run without and the CPU lacks is reported by name.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/cr.h"
#include "arch/x86/gdt.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/vmcs.h"
#include "boot/options.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"
#include "vmx/vmx_insn.h"

extern char vmx_exit[], vmx_exit_floor[];

/* Computes one control field; false (with a line naming the bits) if required bits are missing. */
static bool set_ctl(enum vmcs_field f, const char *what, u64 cap, u32 wanted, u32 required)
{
	u32 missing;
	u32 v = vmx_ctl(cap, wanted, required, &missing);

	if (missing) {
		pr_err("vmx: %s controls lack required bits 0x%x", what, missing);
		return false;
	}
	vmcs_write(f, v);
	return true;
}

static bool cpuid_has(u32 leaf, u32 sub, int reg, unsigned bit)
{
	struct cpuid_regs r = cpuid(leaf, sub);
	u32 v = reg == 'b' ? r.ebx : reg == 'c' ? r.ecx : r.edx;

	return v & BIT(bit);
}

/* True if the CPU allows control bit `bit` to be 1 (allowed-1 settings, SDM A.3). */
static bool ctl_allowed(u64 cap, u32 bit)
{
	return (cap >> 32) & bit;
}

static bool setup_controls(struct vcpu *v, bool long_mode)
{
	const struct vmx_caps *c = &vmx_caps;
	u32 proc2 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_WBINVD_EXITING;
	u32 pin = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING;
	u32 proc = PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
		   PROC_USE_TSC_OFFSETTING | PROC_RDPMC_EXITING;
	bool ok;

	if (v->vpid)
		proc2 |= PROC2_ENABLE_VPID;
	/* Without these enables RDTSCP/INVPCID raise #UD in the guest: expose what the CPU has. */
	if (cpuid_has(0x80000001, 0, 'd', 27))
		proc2 |= PROC2_ENABLE_RDTSCP;
	if (cpuid_has(7, 0, 'b', 10))
		proc2 |= PROC2_ENABLE_INVPCID;
	if (c->preemption_timer)
		pin |= PIN_PREEMPTION_TIMER;
	/* Virtual NMIs: NMI blocking follows the guest's IRET, NMI-window exits work. */
	v->virtual_nmis = ctl_allowed(c->pin, PIN_VIRTUAL_NMIS);
	if (v->virtual_nmis)
		pin |= PIN_VIRTUAL_NMIS;
	/* CR8 is the APIC's TPR: through the TPR shadow, or by exits to vm/vlapic.c. */
	v->tpr_shadow = ctl_allowed(c->proc, PROC_USE_TPR_SHADOW);
	proc |=
	    v->tpr_shadow ? PROC_USE_TPR_SHADOW : PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
	if (v->lapic.apicv)
		proc2 |= PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION |
			 PROC2_VIRTUAL_INTERRUPT_DELIVERY;

	ok = set_ctl(VMCS_PIN_BASED_CTLS, "pin-based", c->pin, pin, 0) &&
	     set_ctl(VMCS_PROC_BASED_CTLS, "processor-based", c->proc, proc,
		     PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
			 PROC_ACTIVATE_SECONDARY_CONTROLS) &&
	     set_ctl(VMCS_PROC_BASED_CTLS2, "secondary processor-based", c->proc2, proc2,
		     PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST |
			 (v->vpid ? PROC2_ENABLE_VPID : 0) |
			 (v->lapic.apicv ? PROC2_VIRTUALIZE_APIC_ACCESSES |
					       PROC2_APIC_REGISTER_VIRTUALIZATION |
					       PROC2_VIRTUAL_INTERRUPT_DELIVERY
					 : 0)) &&
	     set_ctl(VMCS_EXIT_CTLS, "VM-exit", c->exit,
		     EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT |
			 EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER | EXIT_ACK_INTERRUPT_ON_EXIT,
		     EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER) &&
	     set_ctl(VMCS_ENTRY_CTLS, "VM-entry", c->entry,
		     ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_PAT |
			 (long_mode ? ENTRY_IA32E_MODE_GUEST : 0),
		     ENTRY_LOAD_IA32_EFER);
	if (ok)
		v->proc_ctls = (u32)vmcs_read(VMCS_PROC_BASED_CTLS);
	return ok;
}

static u64 read_idtr_base(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	return idtr.base;
}

static u16 read_selector_cs(void)
{
	u16 s;

	__asm__ volatile("mov %%cs, %0" : "=r"(s));
	return s;
}

/*
 * The host fields that differ between CPUs: each CPU has its own GDT, TSS
 * and per-CPU data (GS base), so a VMCS that moves to another CPU takes
 * that CPU's values (vcpu_load).
 */
void vmcs_host_cpu_state(void)
{
	vmcs_write(VMCS_HOST_FS_BASE, rdmsr(IA32_FS_BASE));
	vmcs_write(VMCS_HOST_GS_BASE, rdmsr(IA32_GS_BASE));
	vmcs_write(VMCS_HOST_TR_BASE, gdt_tss_base());
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt_base());
	vmcs_write(VMCS_HOST_IDTR_BASE, read_idtr_base());
}

/* Host state: Keel as it runs now (SDM 25.5 "Host-State Area"). */
static void setup_host_state(void)
{
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SELECTOR, read_selector_cs());
	vmcs_write(VMCS_HOST_SS_SELECTOR, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_DS_SELECTOR, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_ES_SELECTOR, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_TR_SELECTOR, GDT_SEL_TSS);
	vmcs_host_cpu_state();
	vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(IA32_EFER));
	vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (u64)(uintptr_t)(keel_opts.floor ? vmx_exit_floor : vmx_exit));
	/* HOST_RSP is written by vmx_enter on every entry. */
}

static void set_segment(enum vmcs_field sel, u16 selector, u64 base, u32 limit, u32 ar)
{
	/* Selector, base, limit and AR fields are at fixed distances (Appendix B). */
	unsigned idx = (sel - VMCS_GUEST_ES_SELECTOR) / 2;

	vmcs_write(sel, selector);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * idx, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * idx, limit);
	vmcs_write(VMCS_GUEST_ES_AR + 2 * idx, ar);
}

#define AR_CODE (VMCS_AR_TYPE(0xB) | VMCS_AR_S | VMCS_AR_P | VMCS_AR_G)
#define AR_DATA (VMCS_AR_TYPE(0x3) | VMCS_AR_S | VMCS_AR_P | VMCS_AR_DB | VMCS_AR_G)

/*
 * Guest state at entry (SDM 25.4 "Guest-State Area"): flat segments with
 * DPL/RPL 0 (docs/testing.md, "Bochs workarounds": why RPL 0 matters on
 * Bochs 2.7), at the selectors the boot protocol names.
 */
static void setup_guest_state(struct vcpu *v, const struct vcpu_boot_state *bs)
{
	bool lm = bs->mode == VCPU_MODE_LONG64;
	u64 cr0 = CR0_PE | CR0_ET | CR0_NE | (lm ? CR0_PG | CR0_WP | CR0_MP : 0);
	u64 cr4 = lm ? CR4_PAE : 0;

	set_segment(VMCS_GUEST_CS_SELECTOR, bs->cs ? bs->cs : 0x08, 0, 0xFFFFFFFF,
		    AR_CODE | (lm ? VMCS_AR_L : VMCS_AR_DB));
	for (enum vmcs_field f = VMCS_GUEST_ES_SELECTOR; f <= VMCS_GUEST_GS_SELECTOR; f += 2)
		if (f != VMCS_GUEST_CS_SELECTOR)
			set_segment(f, bs->ds ? bs->ds : 0x10, 0, 0xFFFFFFFF, AR_DATA);
	set_segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, VMCS_AR_UNUSABLE);
	set_segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0x67, VMCS_AR_TYPE(0xB) | VMCS_AR_P);
	vmcs_write(VMCS_GUEST_GDTR_BASE, bs->gdt_base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, bs->gdt_limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);

	v->cr0_mask = cr0_owned_bits();
	v->cr4_mask = cr4_owned_bits();
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, v->cr0_mask);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, v->cr4_mask);
	vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
	vmcs_write(VMCS_CR4_READ_SHADOW, cr4);
	vmcs_write(VMCS_GUEST_CR0, cr0_actual(cr0));
	vmcs_write(VMCS_GUEST_CR4, cr4_actual(cr4));
	vmcs_write(VMCS_GUEST_CR3, bs->cr3);
	vmcs_write(VMCS_GUEST_IA32_EFER, lm ? EFER_LME | EFER_LMA : 0);
	vmcs_write(VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL); /* the reset value */
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_RSP, bs->rsp);
	vmcs_write(VMCS_GUEST_RIP, bs->rip);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, VMCS_ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);

	v->regs.gpr[GPR_RAX] = bs->rax;
	v->regs.gpr[GPR_RBX] = bs->rbx;
	v->regs.gpr[GPR_RSI] = bs->rsi;
	v->regs.gpr[GPR_RDI] = bs->rdi;
	v->msrs.xcr0 = 1; /* x87 only, the reset value */
}

void vmcs_start_at_sipi(struct vcpu *v, u8 vector)
{
	/* Real-mode segments: limit 64 KiB, present, accessed; CS a code segment (25.4.1). */
	const u32 ar_code = VMCS_AR_TYPE(0xB) | VMCS_AR_S | VMCS_AR_P;
	const u32 ar_data = VMCS_AR_TYPE(0x3) | VMCS_AR_S | VMCS_AR_P;
	const u64 cr0 = CR0_CD | CR0_NW | CR0_ET; /* 0x60000010 */

	set_segment(VMCS_GUEST_CS_SELECTOR, (u16)(vector << 8), (u64)vector << 12, 0xFFFF, ar_code);
	for (enum vmcs_field f = VMCS_GUEST_ES_SELECTOR; f <= VMCS_GUEST_GS_SELECTOR; f += 2)
		if (f != VMCS_GUEST_CS_SELECTOR)
			set_segment(f, 0, 0, 0xFFFF, ar_data);
	set_segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0xFFFF, VMCS_AR_TYPE(0x2) | VMCS_AR_P);
	set_segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0xFFFF, VMCS_AR_TYPE(0xB) | VMCS_AR_P);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);
	vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	vmcs_write(VMCS_GUEST_CR0, cr0_actual(cr0));
	vmcs_write(VMCS_GUEST_CR4, cr4_actual(0));
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_IA32_EFER, 0);
	vmcs_write(VMCS_ENTRY_CTLS, vmcs_read(VMCS_ENTRY_CTLS) & ~(u64)ENTRY_IA32E_MODE_GUEST);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, VMCS_ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	memset(v->regs.gpr, 0, sizeof(v->regs.gpr));
	v->regs.gpr[GPR_RDX] = cpuid(1, 0).eax; /* family, model, stepping (Table 10-1) */
	v->regs.cr2 = 0;
	write_cr2(0);
}

bool vmcs_setup(struct vcpu *v, const struct vcpu_boot_state *bs)
{
	struct guest *g = v->guest;

	if (!setup_controls(v, bs->mode == VCPU_MODE_LONG64))
		return false;
	vmcs_write(VMCS_EXCEPTION_BITMAP, 0); /* the guest's exceptions stay with the guest */
	vmcs_write(VMCS_PF_ERROR_CODE_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_IO_BITMAP_A, hpa_addr(vmcs_io_bitmap(0)));
	vmcs_write(VMCS_IO_BITMAP_B, hpa_addr(vmcs_io_bitmap(1)));
	vmcs_write(VMCS_MSR_BITMAP, hpa_addr(vmcs_msr_bitmap()));
	vmcs_write(VMCS_EPT_POINTER, g->mem.eptp);
	if (v->vpid)
		vmcs_write(VMCS_VPID, v->vpid);
	if (v->tpr_shadow)
		vlapic_vmcs_setup(&v->lapic);
	setup_host_state();
	setup_guest_state(v, bs);
	return true;
}

/* Shared, write-once at boot: vmcs_bitmaps_init, before the first guest; read-only after. */
static hpa_t io_bitmaps[2], msr_bitmap;

/* Clears the read and write intercepts of an MSR (SDM 25.6.9 "MSR-Bitmap Address"). */
static void msr_bitmap_pass(u8 *bm, u32 msr)
{
	unsigned base = msr >= 0xC0000000 ? 1024 : 0;
	u32 idx = msr & 0x1FFF;

	bm[base + idx / 8] &= (u8) ~(1u << (idx % 8));	      /* read */
	bm[2048 + base + idx / 8] &= (u8) ~(1u << (idx % 8)); /* write */
}

bool vmcs_bitmaps_init(void)
{
	for (int i = 0; i < 2; i++) {
		if (!pmm_alloc_frame(&io_bitmaps[i]))
			return false;
		memset(hpa_ptr(io_bitmaps[i]), 0xFF, PAGE_SIZE); /* every port exits */
	}
	if (!pmm_alloc_frame(&msr_bitmap))
		return false;
	memset(hpa_ptr(msr_bitmap), 0xFF, PAGE_SIZE);
	/* FS/GS base are guest-state fields the VMCS switches: no exit needed. */
	msr_bitmap_pass(hpa_ptr(msr_bitmap), IA32_FS_BASE);
	msr_bitmap_pass(hpa_ptr(msr_bitmap), IA32_GS_BASE);
	return true;
}

hpa_t vmcs_io_bitmap(unsigned which)
{
	return io_bitmaps[which];
}

hpa_t vmcs_msr_bitmap(void)
{
	return msr_bitmap;
}

static void dump_segment(const char *name, enum vmcs_field sel)
{
	unsigned idx = (sel - VMCS_GUEST_ES_SELECTOR) / 2;

	pr_err("  %-4s sel 0x%04lx base 0x%016lx limit 0x%08lx ar 0x%05lx", name, vmcs_read(sel),
	       vmcs_read(VMCS_GUEST_ES_BASE + 2 * idx), vmcs_read(VMCS_GUEST_ES_LIMIT + 2 * idx),
	       vmcs_read(VMCS_GUEST_ES_AR + 2 * idx));
}

void vmcs_dump_guest_state(void)
{
	static const char *const seg_names[] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};

	pr_err("  cr0 0x%lx (shadow 0x%lx) cr3 0x%lx cr4 0x%lx (shadow 0x%lx)",
	       vmcs_read(VMCS_GUEST_CR0), vmcs_read(VMCS_CR0_READ_SHADOW),
	       vmcs_read(VMCS_GUEST_CR3), vmcs_read(VMCS_GUEST_CR4),
	       vmcs_read(VMCS_CR4_READ_SHADOW));
	pr_err("  efer 0x%lx pat 0x%lx dr7 0x%lx debugctl 0x%lx", vmcs_read(VMCS_GUEST_IA32_EFER),
	       vmcs_read(VMCS_GUEST_IA32_PAT), vmcs_read(VMCS_GUEST_DR7),
	       vmcs_read(VMCS_GUEST_IA32_DEBUGCTL));
	pr_err("  rip 0x%lx rsp 0x%lx rflags 0x%lx", vmcs_read(VMCS_GUEST_RIP),
	       vmcs_read(VMCS_GUEST_RSP), vmcs_read(VMCS_GUEST_RFLAGS));
	for (unsigned i = 0; i < ARRAY_SIZE(seg_names); i++)
		dump_segment(seg_names[i], VMCS_GUEST_ES_SELECTOR + 2 * i);
	pr_err("  gdtr 0x%lx/0x%lx idtr 0x%lx/0x%lx", vmcs_read(VMCS_GUEST_GDTR_BASE),
	       vmcs_read(VMCS_GUEST_GDTR_LIMIT), vmcs_read(VMCS_GUEST_IDTR_BASE),
	       vmcs_read(VMCS_GUEST_IDTR_LIMIT));
	pr_err("  interruptibility 0x%lx activity %lu pending-dbg 0x%lx link 0x%lx",
	       vmcs_read(VMCS_GUEST_INTERRUPTIBILITY), vmcs_read(VMCS_GUEST_ACTIVITY_STATE),
	       vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS), vmcs_read(VMCS_LINK_POINTER));
	pr_err("  controls: pin 0x%lx proc 0x%lx proc2 0x%lx exit 0x%lx entry 0x%lx eptp 0x%lx",
	       vmcs_read(VMCS_PIN_BASED_CTLS), vmcs_read(VMCS_PROC_BASED_CTLS),
	       vmcs_read(VMCS_PROC_BASED_CTLS2), vmcs_read(VMCS_EXIT_CTLS),
	       vmcs_read(VMCS_ENTRY_CTLS), vmcs_read(VMCS_EPT_POINTER));
}
