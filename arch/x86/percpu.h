/*
 * Keel's per-CPU data. Each CPU Keel runs on has one struct cpu, found
 * through the GS base: IA32_GS_BASE holds the struct's address and its
 * first word points at itself, so this_cpu() is one load (%gs:0). The VMCS
 * host-state GS base is read from the MSR when a VMCS is set up on a CPU,
 * so a VM exit restores it.
 *
 * What belongs here is what one CPU alone reads and writes: its GDT and
 * TSS, its stacks, its VMX state. Sharing rules (CONTRIBUTING.md, Time
 * and shared state): a CPU writes only its own struct cpu, except `state`,
 * which the boot CPU and the starting CPU hand back and forth, and
 * `wake_req`, which the boot CPU bumps to hand it work (arch/x86/smp.c).
 */
#ifndef KEEL_ARCH_X86_PERCPU_H
#define KEEL_ARCH_X86_PERCPU_H

#include "arch/x86/gdt.h"
#include "arch/x86/tss.h"
#include "lib/types.h"

#define CPU_MAX		   64 /* CPUs Keel runs on at most; the MADT may list more */
#define CPU_STACK_SIZE	   (16 * KiB)
#define CPU_IST_STACK_SIZE (8 * KiB)
#define CPU_WHY_LEN	   96 /* a starting CPU's reason for staying out */
#define GDT_ENTRIES	   5  /* null, code, data, TSS (two slots) */

/* Where a CPU is in its bring-up (arch/x86/smp.c). */
enum cpu_state {
	CPU_ABSENT,   /* not started (or not listed) */
	CPU_STARTING, /* sent INIT-SIPI-SIPI; its trampoline may be running */
	CPU_UP,	      /* in long mode on its own tables and stack; running its entry */
	CPU_ONLINE,   /* its entry said yes: in VMX root operation, idle */
	CPU_REFUSED,  /* its entry said no (why[] says why); halted */
	CPU_SILENT,   /* did not answer in time; sent INIT again and left out */
};

struct cpu {
	struct cpu *self; /* %gs:0; must stay first */
	unsigned index;	  /* 0: the boot CPU; others in MADT order */
	u32 apic_id;
	u64 gdt[GDT_ENTRIES] __aligned(16);
	struct tss64 tss __aligned(16);
	uintptr_t stack_lo, stack_hi; /* the CPU's kernel stack, [lo, hi) */
	u8 *ist_stacks;		      /* GDT_IST_USED stacks of CPU_IST_STACK_SIZE */
	int state;		      /* enum cpu_state; written with release, read with acquire */
	char why[CPU_WHY_LEN];	      /* CPU_REFUSED: written by the CPU before its state */
	void (*work)(struct cpu *);   /* set by the boot CPU before it bumps wake_req */
	u32 wake_req;		      /* bumped by the boot CPU before a wake-up IPI (atomic) */
	u32 wake_ack;		      /* set to wake_req by the CPU once awake (atomic) */
	u64 wakes;		      /* wake-up IPIs this CPU took; its own */
	u64 halts;		      /* smp_halt_until's halts; its own */
	bool tsc_deadline;	      /* its APIC timer has TSC-deadline mode; its own */
	/*
	 * NMI kicks (smp_kick_by_nmi): set by the NMI handler when one comes
	 * outside a guest, cleared by whichever takes it first: the next VM
	 * entry (it exits at once: vmx/exit_fast.h, vmx_write_timer) or
	 * smp_halt_until (it does not halt). Its own, an NMI being this CPU's.
	 */
	bool kicked;
	u64 nmi_kicks; /* NMI kicks this CPU took, in a guest or not; its own */
};

_Static_assert(__builtin_offsetof(struct cpu, self) == 0, "this_cpu() reads %gs:0");

/*
 * The table of CPUs (arch/x86/gdt.c), per-CPU: entry 0 is the boot CPU's;
 * entry i > 0 is filled by the boot CPU before it starts CPU i and is then
 * that CPU's own (state excepted, above).
 */
extern struct cpu cpu_table[CPU_MAX];

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/* This CPU's `kicked`, in one compare (GS's base is its struct cpu) the caller branches on. */
static inline bool this_cpu_kicked(void)
{
	bool k;

	__asm__ volatile("cmpb $0, %%gs:%c1"
			 : "=@ccnz"(k)
			 : "i"(__builtin_offsetof(struct cpu, kicked)));
	return k;
}

/*
 * Makes `c` this CPU's: loads its GDT and TSS (IST stacks from
 * c->ist_stacks), reloads the segment registers and sets IA32_GS_BASE.
 */
void cpu_tables_load(struct cpu *c);

/* This CPU's token for lock owners (lib/spinlock.h): its index + 1, never 0. */
u32 cpu_lock_token(void);

static inline int cpu_state_get(const struct cpu *c)
{
	return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
}

static inline void cpu_state_set(struct cpu *c, enum cpu_state s)
{
	__atomic_store_n(&c->state, (int)s, __ATOMIC_RELEASE);
}

#endif
