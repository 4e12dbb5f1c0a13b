/*
 * A virtual CPU: its VMCS, the registers the VMCS does not hold, and the
 * guest-visible state Keel emulates (CR shadows live in the VMCS).
 */
#ifndef KEEL_VMX_VCPU_H
#define KEEL_VMX_VCPU_H

#include "arch/x86/uart.h"
#include "lib/types.h"
#include "mm/addr.h"
#include "vmx/invalidate.h"
#include "vmx/vcpu_regs.h"
#include "vmx/vmx_insn.h"
#include "vm/msr_core.h"
#include "vm/vlapic.h"

struct guest;

/* Where a guest starts: filled by the loader (vm/loader.c). */
enum vcpu_mode {
	VCPU_MODE_LONG64, /* IA-32e 64-bit mode, paging on */
	VCPU_MODE_PROT32, /* 32-bit protected mode, paging off (multiboot) */
};

struct vcpu_boot_state {
	enum vcpu_mode mode;
	u64 rip, rsp;
	u64 rax, rbx, rsi, rdi;
	u64 cr3;
	u64 gdt_base;
	u16 gdt_limit;
	u16 cs, ds; /* selectors (DS also for ES, SS, FS, GS); 0: Keel's own 0x08 and 0x10 */
};

/* MSRs that the VMCS does not switch and Keel keeps per vCPU. */
struct vcpu_msrs {
	u64 kernel_gs_base, star, lstar, cstar, fmask, tsc_aux;
	u64 xcr0;
	/* Emulated by vm/msr.c, set to their reset values by the first vcpu_load. */
	bool reset_done;
	u64 misc_enable, mtrr_def_type, spec_ctrl;
	bool cpuid_custom; /* misc_enable differs from reset in a bit CPUID reflects */
	u64 mcg_status, mcg_ctl;
	u64 mc_bank[2][4];	/* IA32_MCi_CTL/STATUS/ADDR/MISC, i < MSR_MC_BANKS (vm/msr.h) */
	struct msr_gp_count gp; /* the #GPs injected for RDMSR/WRMSR, per MSR */
};

struct vcpu {
	struct vcpu_regs regs;
	struct guest *guest;
	unsigned index; /* in its guest: 0 the BSP, its APIC ID */
	hpa_t vmcs;
	bool launched;
	u16 vpid; /* 0: VPID off */
	struct vcpu_msrs msrs;
	u64 cr0_mask, cr4_mask; /* bits the guest/host masks give Keel */
	u32 owner;		/* token owning vpid: guest id + 1 */
	int cpu;		/* the CPU its VMCS is active on; VCPU_NO_CPU: released */
	int last_cpu;		/* the CPU it was last loaded on (flushed again elsewhere) */
	int home_cpu;		/* the CPU whose scheduler runs it (set before it is handed over) */
	bool polls_console;	/* its CPU polls Keel's console (vcpu_deadline) */
	struct inv_stats inv;	/* INVVPIDs for this vCPU, by type */
	bool blocked;		/* waits: HLT with interrupts enabled, or a device (below) */
	const void *blocked_on; /* with blocked: the device it waits for; NULL: HLT */
	bool halted_if_clear; /* with blocked on HLT: RFLAGS.IF was 0 (only NMI, INIT, SIPI wake) */
	u64 halt_rip;	      /* with blocked on HLT: the guest RIP after the HLT (the monitor) */
	u64 timer_rip, timer_rflags; /* at its last VMX-preemption-timer exit (the monitor) */
	u32 last_exit;		     /* the last full-path exit's reason (reports) */
	u32 last_idt;		     /* its IDT-vectoring information, as read and as fixed */
	u32 last_idt_fixed;
	bool wait_sipi; /* in wait-for-SIPI (blocked too): an AP not started, or after INIT */
	u32 signals;	/* VCPU_SIG_*: INIT and SIPI not yet taken (atomic, any CPU) */
	u8 sipi_vector; /* with VCPU_SIG_SIPI: the last STARTUP IPI's vector */
	bool parked;	/* its guest ended: released by its CPU, never run again (atomic) */
	u64 run_until;	/* TSC at which vcpu_run hands the CPU back to the scheduler */
	u64 entry_tsc;	/* TSC just before the last VM entry */
	/*
	 * Per-CPU (its CPU's): the fast exit (vmx_exit_fast) may handle this
	 * vCPU's exits until the TSC reaches it; 0: it may not. Set before
	 * each entry the full path prepares (prepare_entry).
	 */
	u64 fast_until;
	u64 idle_ticks; /* TSC ticks spent halted waiting for its own timers */

	/* Events (vm/intr.c) and the local APIC (vm/vlapic.c). */
	struct vlapic lapic;
	bool intr_dirty; /* an event source changed: evaluate before the next entry */
	bool nmi_pending;
	bool virtual_nmis; /* pin control on: NMI blocking tracked, NMI-window exits */
	/*
	 * With virtual NMIs, Keel's own record of the guest's virtual-NMI
	 * blocking (vcpu_interruptibility): set when Keel queues an NMI for an
	 * entry or sets blocking by NMI itself, the only ways it can begin;
	 * cleared once the guest's interruptibility state shows none.
	 */
	bool nmi_blocked;
	/* Blocking by NMI the CPU recorded where the guest had none, dropped (Bochs). */
	u64 nmi_blocking_dropped;
	bool tpr_shadow;   /* CR8 reaches the APIC's TPR without exits */
	u32 proc_ctls;	   /* primary processor-based controls as last written */
	u32 tpr_threshold; /* as last written */
	u64 nmis_injected, irqs_injected;
	hpa_t xstate;	  /* x87/SSE/AVX save area (vmx/xstate.c) */
	u64 dr[5];	  /* DR0-DR3, DR6 while another vCPU is loaded */
	u32 queued_event; /* VM-entry interruption information Keel wrote since the last exit */

	/*
	 * Time, all in TSC ticks. used_ticks is every tick the scheduler gave
	 * this vCPU, Keel's work on its behalf included (exits, emulation,
	 * zeroing, the entries and exits themselves); guest_ticks is the part
	 * spent in VMX non-root operation, from each entry to the next exit.
	 */
	u64 used_ticks;
	u64 guest_ticks;
	u64 run_start_tsc; /* TSC when the current (or last) vcpu_run began */
	u64 run_entry_tsc; /* TSC just before the first VM entry of the last vcpu_run */
	u64 last_exit_tsc; /* TSC when the last vcpu_run returned */
};

#define VCPU_NO_CPU (-1)

/* vcpu.signals: what INIT and STARTUP IPIs left for the vCPU's own CPU to do. */
#define VCPU_SIG_INIT BIT(0)
#define VCPU_SIG_SIPI BIT(1)

/* Frames a vCPU holds for its life (VMCS, register save area): charged as devices. */
#define VCPU_FRAMES 2

/*
 * Allocates and initialises the VMCS (controls from the capability MSRs,
 * host state, the guest's boot state) and leaves it current. False with a
 * report on failure (no memory, a required control missing).
 */
bool vcpu_create(struct vcpu *v, struct guest *g, const struct vcpu_boot_state *bs);
/* Clears and frees the VMCS. */
void vcpu_destroy(struct vcpu *v);
/*
 * Runs the vCPU (its VMCS current) until the TSC reaches `until`, the vCPU
 * blocks (HLT with interrupts enabled) or its guest ends, or Keel's console
 * has output waiting for a poll (uart_poll_due: the scheduler polls it and
 * lets the vCPU go on). The clock is read before every VM entry and the
 * VMX-preemption timer is armed for what is left, so Keel's own time in
 * exits counts: the run ends within one exit's work of its deadline
 * whatever the guest does. Without a preemption timer a guest that makes
 * no exit cannot be stopped.
 */
void vcpu_run(struct vcpu *v, u64 until);
/* The TSC at which the current run ends: its `until`, or sooner for the console. */
static inline u64 vcpu_deadline(const struct vcpu *v)
{
	u64 due = v->polls_console ? uart_poll_due : 0;

	return due && due < v->run_until ? due : v->run_until;
}
/*
 * True once the run's time is up: long work in one exit (a REP string
 * instruction, zeroing) checks this and stops, to be resumed next time.
 */
static inline bool vcpu_time_up(const struct vcpu *v)
{
	return __builtin_ia32_rdtsc() >= vcpu_deadline(v);
}
/* used_ticks including the vcpu_run in progress (from an exit handler). */
static inline u64 vcpu_used_now(const struct vcpu *v)
{
	return v->used_ticks + (__builtin_ia32_rdtsc() - v->run_start_tsc);
}
/*
 * Makes v's VMCS current and loads the state the VMCS does not switch. A
 * vCPU loaded on another CPU than last time takes this CPU's host fields
 * and has its VPID and EPTP flushed here first: translations this CPU kept
 * from before (its own, or a previous owner's of the VPID or of the EPT
 * root) may be stale, since invalidations reach only the CPU that issues
 * them. Its VMCS must have been released on the CPU it was active on.
 */
void vcpu_load(struct vcpu *v);
/*
 * VMCLEAR on this CPU, where v's VMCS is active: it may then be loaded on
 * any CPU (SDM Vol. 3C 25.1, 25.11.1), and is launched anew there.
 */
void vcpu_release(struct vcpu *v);
/*
 * Tells v's CPU that v has an event (a key for its UART): an IPI if that
 * is another CPU, which may be halted waiting for one. Any CPU may call it.
 */
void vcpu_kick(const struct vcpu *v);
/* True if v's home is this CPU: its scheduler runs here. */
bool vcpu_here(const struct vcpu *v);
/*
 * An INIT for v (SDM Vol. 3A 8.4, 11.6.1): its own CPU takes it before the
 * next entry (vcpu_take_signals). An AP goes to wait-for-SIPI with its
 * APIC reset; vCPU 0, the BSP, would run firmware Keel does not have: the
 * guest is reset (guest_reset).
 */
void vcpu_signal_init(struct vcpu *v);
/* A STARTUP IPI for v: starts it in real mode at vector * 4 KiB if it waits for one. */
void vcpu_signal_sipi(struct vcpu *v, unsigned vector);
/* True if v has an INIT or a SIPI it would take (a SIPI only in wait-for-SIPI). */
bool vcpu_signal_wakes(const struct vcpu *v);
/* Takes them, v's VMCS current and its guest locked; false if v cannot run now. */
bool vcpu_take_signals(struct vcpu *v);
/* v (an AP) waits for a SIPI: blocked until one comes. */
void vcpu_wait_for_sipi(struct vcpu *v);

/* Saves what vcpu_load loads and only the CPU holds (CR2) before another vCPU runs. */
void vcpu_put(struct vcpu *v);

/*
 * Completes an instruction Keel emulated, with rip the next one: what the
 * CPU does as any instruction retires (STI/MOV SS blocking ends, RF
 * clears, a TF single-step #DB becomes pending).
 */
void vcpu_retire_instruction(struct vcpu *v, u64 rip);
/*
 * True if the instruction at rip, len bytes long, retires plainly, by a
 * write of RIP alone: its next RIP (rip + len) needs no wrap (the add
 * carries nothing out of bit 31: outside 64-bit mode RIP is below 4 GiB,
 * so only a carry may need vcpu_retire_instruction's wrap), no STI or
 * MOV SS blocking, RF and TF clear. Inline, on every exit path; in an
 * exit after its reason was read (vmcs_read_current).
 */
static inline bool vcpu_retires_plainly(u64 rip, u64 len)
{
	u32 low;

	return !__builtin_add_overflow((u32)rip, (u32)len, &low) &&
	       !(vmcs_read_current(VMCS_GUEST_INTERRUPTIBILITY) &
		 (VMCS_INTR_BLOCKING_STI | VMCS_INTR_BLOCKING_MOV_SS)) &&
	       !(vmcs_read_current(VMCS_GUEST_RFLAGS) & (BIT(8) | BIT(16))); /* TF, RF */
}

/* Advances guest RIP past the instruction that caused the current exit, retiring it. */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	u64 rip = vmcs_read_current(VMCS_GUEST_RIP),
	    len = vmcs_read_current(VMCS_EXIT_INSTRUCTION_LEN);

	if (__builtin_expect(!vcpu_retires_plainly(rip, len), 0))
		vcpu_retire_instruction(v, rip + len);
	else
		vmcs_write_current(VMCS_GUEST_RIP, rip + len);
}
/*
 * After an instruction Keel emulated (and retired) met data or I/O
 * breakpoints: hits (B3:B0) become a #DB trap after it.
 */
void vcpu_pend_breakpoints(struct vcpu *v, u32 hits);
/* Queues an event (VM-entry interruption-information format) for the next VM entry. */
void vcpu_queue_event(struct vcpu *v, u32 info);
/*
 * The guest's interruptibility state, v's VMCS current, with a blocking by
 * NMI that cannot be the guest's taken out of it (and out of the VMCS).
 */
u64 vcpu_interruptibility(struct vcpu *v);
/* Queues a hardware exception for the next VM entry. */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, u32 error);
#define vcpu_inject_gp(v) vcpu_inject_exception((v), 13, true, 0)
#define vcpu_inject_ud(v) vcpu_inject_exception((v), 6, false, 0)
/*
 * The guest's current privilege level (SS.DPL), in an exit after its
 * reason was read (vmcs_read_current). Inline: the fast VMCALL asks it.
 */
static inline unsigned vcpu_cpl(void)
{
	return (vmcs_read_current(VMCS_GUEST_SS_AR) >> 5) & 3;
}

/*
 * A device makes the vCPU wait in the middle of an access (a UART's LSR
 * polled for an idle transmitter): the vCPU blocks, and the instruction is
 * not completed (vm/io.c), so it runs again when the vCPU wakes: when
 * `dev` wakes it (vcpu_wake_from), or when an event for it arrives, as
 * from HLT (the scheduler's housekeeping).
 */
static inline void vcpu_block_on(struct vcpu *v, const void *dev)
{
	v->blocked = true;
	v->blocked_on = dev;
}

static inline void vcpu_wake_from(struct vcpu *v, const void *dev)
{
	if (v->blocked && v->blocked_on == dev)
		v->blocked = false;
}

#endif
