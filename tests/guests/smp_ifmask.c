/*
 * The smp guest's test=ifmask (smp.h): RFLAGS.IF masks an interrupt that is
 * pending while another CPU's IPI arrives (SDM Vol. 3A 6.8.1 "Masking
 * Maskable Hardware Interrupts"). Two vCPUs, `rounds` rounds:
 *
 *   vCPU 1   a self-IPI (IFMASK_PEND) held back by TPR, CLI, TPR lowered:
 *            the self-IPI is pending and only IF masks it; raises
 *            `masked` and says it is ready; spins with IF clear until
 *            vCPU 0's IPI is in its APIC's IRR and IFMASK_SPIN ticks more,
 *            lowers `masked`, STI: both interrupts must come now, not before
 *   vCPU 0   waits until vCPU 1 is ready, then sends it an IPI (IFMASK_KICK):
 *            Keel sets the interrupt pending for vCPU 1 and, vCPU 1 being
 *            in the guest on another CPU, interrupts that CPU
 *
 * Either handler taken with `masked` raised is an interrupt delivered with
 * IF clear: the failure this test exists for. It is what a Linux guest of
 * two vCPUs met in its scheduler (docs/testing.md, "Bochs workarounds").
 */
#include "lib/format.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/smp.h"

#define IFMASK_PEND 0x50      /* vCPU 1's self-IPI, pending while IF is clear */
#define IFMASK_KICK 0x51      /* vCPU 0's IPI to vCPU 1 */
#define IFMASK_SPIN 200000ULL /* ticks vCPU 1 stays masked after the kick is seen */
#define APIC_IRR    0x200     /* IRR bits 31:0 at 0x200, the next 32 at 0x210... */

static u32 go, ready, done;	 /* the round (1-based) started, masked, finished */
static u32 masked;		 /* vCPU 1 runs with IF clear */
static u32 taken_masked;	 /* handlers that ran while masked was raised */
static u32 pend_hits, kick_hits; /* handlers run, all rounds */
static u64 bad_rip;		 /* where the first such interrupt came in */
static u32 bad_vector;
static char err[128]; /* the first other failure */
static u32 errors;

static void note(const char *fmt, ...) __printf(1, 2);

static void note(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
}

static void handler(struct trap_frame *f)
{
	if (LOAD(masked) && INC(taken_masked) == 1) {
		bad_rip = f->ip;
		bad_vector = (u32)f->vector;
	}
	if (f->vector == IFMASK_PEND)
		INC(pend_hits);
	else
		INC(kick_hits);
	lapic_write(APIC_EOI, 0);
}

void ifmask_setup(void)
{
	trap_set_handler(IFMASK_PEND, handler);
	trap_set_handler(IFMASK_KICK, handler);
}

static bool irr_has(u32 vector)
{
	return lapic_read(APIC_IRR + (vector / 32) * 0x10) & BIT(vector % 32);
}

/* vCPU 1's round t. */
static bool masked_round(u32 t)
{
	u32 pend = LOAD(pend_hits), kick = LOAD(kick_hits);
	u64 t0;

	if (!wait_for(&go, t)) {
		note("round %u: vCPU 0 did not start it", t);
		return false;
	}
	/*
	 * The self-IPI is sent with IF set and TPR holding it back; the CLI
	 * comes after it, with no exit between (as a guest's CLI often follows
	 * its last exit), and only then does lowering TPR leave IF alone to
	 * mask it.
	 */
	lapic_write(APIC_TPR, 0xF0);
	lapic_send(1, ICR_ASSERT | ICR_FIXED | IFMASK_PEND);
	__asm__ volatile("cli" ::: "memory");
	lapic_write(APIC_TPR, 0);
	STORE(masked, 1);
	STORE(ready, t);
	t0 = x86_rdtsc();
	while (!irr_has(IFMASK_KICK) && x86_rdtsc() - t0 < WAIT_LONG)
		cpu_pause();
	if (!irr_has(IFMASK_KICK))
		note("round %u: vCPU 0's IPI not in the IRR within %llu ticks", t, WAIT_LONG);
	t0 = x86_rdtsc();
	while (x86_rdtsc() - t0 < IFMASK_SPIN)
		cpu_pause();
	STORE(masked, 0);
	__asm__ volatile("sti; nop" ::: "memory");
	t0 = x86_rdtsc();
	while ((LOAD(pend_hits) == pend || LOAD(kick_hits) == kick) && x86_rdtsc() - t0 < WAIT_LONG)
		cpu_pause();
	if (LOAD(pend_hits) == pend || LOAD(kick_hits) == kick)
		note("round %u: after STI, the self-IPI %s and vCPU 0's IPI %s", t,
		     LOAD(pend_hits) == pend ? "never came" : "came",
		     LOAD(kick_hits) == kick ? "never came" : "came");
	STORE(done, t);
	return true;
}

bool ifmask_run(u32 me)
{
	for (u32 t = 1; t <= rounds; t++) {
		if (me == 1 && !masked_round(t))
			return false;
		if (me != 0)
			continue;
		STORE(go, t);
		if (!wait_for(&ready, t)) {
			note("round %u: vCPU 1 did not get ready", t);
			return false;
		}
		lapic_send(1, ICR_ASSERT | ICR_FIXED | IFMASK_KICK);
		if (!wait_for(&done, t)) {
			note("round %u: vCPU 1 did not finish", t);
			return false;
		}
	}
	return true;
}

void ifmask_report(void)
{
	if (vcpu_count != 2)
		check_fail("ifmask: needs 2 vCPUs, has %u", vcpu_count);
	if (errors)
		check_fail("ifmask: %u failures, the first: %s", errors, err);
	if (taken_masked)
		check_fail("ifmask: %u interrupts taken with IF clear, the first vector 0x%x at "
			   "rip 0x%llx",
			   taken_masked, bad_vector, (unsigned long long)bad_rip);
	print("ifmask: %u rounds: self-IPIs taken %u, vCPU 0's IPIs taken %u\n", rounds, pend_hits,
	      kick_hits);
	if (!errors && !taken_masked && vcpu_count == 2)
		check_pass("ifmask: %u rounds, a self-IPI pending and another vCPU's IPI arriving "
			   "while IF was clear: neither taken before STI, both right after",
			   rounds);
}
