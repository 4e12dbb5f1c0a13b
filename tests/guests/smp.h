/*
 * What the smp guest's two files share: smp.c (the MADT, starting the APs
 * through smp_boot.c, the barrier, the IPIs) and smp_mem.c (the EPT tests
 * `test=unmap` and `test=stress`, which run on vCPUs smp.c started).
 *
 * Every vCPU runs a test's `run(me)` between two barriers; only the BSP
 * judges and prints, after its own run returned and a barrier was met.
 */
#ifndef KEEL_GUESTS_SMP_H
#define KEEL_GUESTS_SMP_H

#include "lib/types.h"
#include "tests/guests/smp_boot.h" /* LOAD, STORE, INC, WAIT_LONG, cpu_pause */

#define PAGE_BYTES 4096U

/* Written by the BSP before the first SIPI, read-only afterwards. */
extern u32 vcpu_count;	/* N, from the MADT */
extern u32 rounds;	/* `rounds=` */
extern u64 area_base;	/* fresh RAM: the first 2 MiB boundary above the image */
extern u64 mem_size;	/* the guest's RAM, from Keel's boot info */
extern u64 stress_size; /* `size=`: test=stress's region */

/* Set by the BSP when the others should give up waiting. */
extern u32 smp_abort;

/* All vcpu_count vCPUs meet; false after WAIT_LONG or once smp_abort is set. */
bool barrier(void);

/* Waits (spinning: no exit) until *p == want; false after WAIT_LONG or an abort. */
bool wait_for(u32 *p, u32 want);

/*
 * test=unmap (smp_mem.c): vCPU 1 fills a page, every AP reads it in a
 * tight loop, vCPU 0 unmaps it with KEEL_HC_TEST_UNMAP and raises a flag;
 * no read after the flag may return the old contents. test=stress: every
 * vCPU faults in its pages of `stress_size` at once, vCPU 0 unmaps it all
 * between rounds. run: every vCPU; report: the BSP, after a barrier.
 */
bool unmap_run(u32 me);
void unmap_report(void);
bool stress_run(u32 me);
void stress_report(void);

/*
 * test=ifmask (smp_ifmask.c): with IF clear on vCPU 1, its self-IPI pending
 * and vCPU 0's IPI arriving, neither is taken before its STI. setup: the
 * BSP, before the APs start.
 */
void ifmask_setup(void);
bool ifmask_run(u32 me);
void ifmask_report(void);

#endif
