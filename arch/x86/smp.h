/*
 * Starting the other CPUs (Intel SDM Vol. 3A 9.4 "Multiple-Processor (MP)
 * Initialization"): the boot CPU sends each an INIT IPI, waits 10 ms,
 * sends a STARTUP IPI, waits 200 us and sends a second one (9.4.4.1), then
 * waits, bounded, for the CPU to say it is up. The CPU runs the trampoline
 * (arch/x86/ap_start.S) into long mode on Keel's tables, loads its own
 * GDT, TSS and the IDT, takes the boot CPU's control registers, and calls
 * the entry the caller gave, which must not return: it decides whether the
 * CPU is ONLINE or REFUSED (with a reason) and keeps the CPU.
 *
 * One CPU starts at a time and the boot CPU only watches its state while
 * it does, so bring-up shares nothing but the trampoline page and each
 * CPU's struct cpu (arch/x86/percpu.h).
 */
#ifndef KEEL_ARCH_X86_SMP_H
#define KEEL_ARCH_X86_SMP_H

#include "arch/x86/percpu.h"
#include "lib/types.h"

struct smp_params {
	u64 trampoline;		     /* AP_START_PAGES free pages below 0xA0000, page aligned */
	void (*entry)(struct cpu *); /* runs on each started CPU; never returns */
	u64 answer_ms;		     /* how long a CPU may take to say it is up or not */
};

/*
 * Copies the trampoline and builds its temporary map. Needs Keel's own
 * tables (CR3) and the boot CPU's GDT, IDT and control registers final.
 */
void smp_prepare(const struct smp_params *p);

/*
 * The guard page below the stack of CPU `index` (1..CPU_MAX-1): the caller
 * unmaps it before the CPU starts.
 */
void *smp_stack_guard(unsigned index);

/*
 * Starts CPU c (c->index and c->apic_id filled) and waits for its entry
 * to decide: returns CPU_ONLINE, CPU_REFUSED (c->why says why) or
 * CPU_SILENT (it did not answer in time, or the local APIC did not send;
 * the CPU is sent INIT again, which parks it). `silent`: the CPU is told
 * to halt at once (test=smp-silent).
 */
enum cpu_state smp_start_cpu(struct cpu *c, bool silent);

/* The vectors of Keel's own interrupts on the other CPUs. */
#define SMP_VECTOR_WAKE	    0xF0
#define SMP_VECTOR_SPURIOUS 0xFF

/*
 * The idle loop of a started CPU, for its entry to end in: the local APIC
 * enabled, then HLT with interrupts on until a wake-up IPI, acknowledging
 * each request (wake_ack = wake_req) when it wakes. No polling: between
 * requests the CPU is halted.
 */
__noreturn void smp_idle(struct cpu *c);

/*
 * Hands idle CPU c `work` (NULL: none) and wakes it with an IPI: the CPU
 * runs work(c) and then acknowledges. Returns the request to wait for, or
 * 0 if the CPU has not acknowledged its previous request (a CPU has one
 * piece of work at a time) or the IPI could not be sent.
 */
u32 smp_wake_start(struct cpu *c, void (*work)(struct cpu *), u64 timeout);

/* Waits at most `timeout` ticks for c to acknowledge request `req`; false if it did not. */
bool smp_wake_done(struct cpu *c, u32 req, u64 timeout);

/*
 * Wakes idle CPU c with no work and waits at most `timeout` ticks for its
 * acknowledgement; the round trip in TSC ticks, or 0 if it did not answer.
 */
u64 smp_wake(struct cpu *c, u64 timeout);

/*
 * Sends CPU c a wake-up IPI with no work: if it is halted in
 * smp_halt_until, it returns and looks again at what it waits for; if it
 * runs a guest, the guest exits. The IPI is SMP_VECTOR_WAKE, or an NMI
 * after smp_kick_by_nmi.
 */
void smp_kick(struct cpu *c);

/*
 * From now on smp_kick sends NMIs: for a CPU that mishandles an external
 * interrupt arriving while a guest runs (Bochs 2.7: docs/testing.md,
 * "Bochs workarounds"). An NMI is not masked by the guest's RFLAGS.IF and
 * makes it exit (the "NMI exiting" control). Outside a guest the NMI
 * handler sets the CPU's `kicked`, for the next VM entry to take, and
 * calls on_root (the VMX layer's: it makes an entry already prepared exit
 * at once). Called once at boot, before any CPU but the boot CPU starts.
 */
void smp_kick_by_nmi(void (*on_root)(void));

/* True once smp_kick_by_nmi has been called. */
bool smp_kicks_by_nmi(void);

/*
 * Called by the NMI entry with the interrupted RIP: true if the NMI was
 * taken as a kick (then it is handled, and *rip may have moved past a HLT
 * that must not begin: arch/x86/halt.S).
 */
bool smp_nmi(u64 *rip);

/*
 * From another CPU, once the others have been started: kicks the boot CPU
 * (out of a guest it runs, with a VM exit), which polls Keel's console.
 * Nothing on the boot CPU itself or before smp_prepare.
 */
void smp_kick_boot_cpu(void);

/*
 * On the boot CPU, once its local APIC is known (lapic_init): software-
 * enables it, so that it takes kicks, and lets it halt in smp_halt_until.
 */
void smp_boot_cpu_ready(void);

/*
 * Halts this CPU until an IPI or until the TSC reaches `until`, with the
 * local APIC's TSC-deadline timer; interrupts are off again on return.
 * False, at once, if this CPU cannot halt so (no TSC-deadline timer, or the
 * boot CPU before smp_boot_cpu_ready): the caller polls instead.
 */
bool smp_halt_until(u64 until);

/*
 * Called by the interrupt entry for vectors from 32 up; true if the vector
 * is one of Keel's (then it has been handled and the interrupted code
 * resumes).
 */
bool smp_interrupt(unsigned vector);

#endif
