/*
 * Keel's own command line (the multiboot2 cmdline tag), parsed once at boot.
 * docs/cmdline.md is the reference for every option.
 */
#ifndef KEEL_BOOT_OPTIONS_H
#define KEEL_BOOT_OPTIONS_H

#include "lib/console.h"
#include "lib/types.h"

enum onexit {
	ONEXIT_HALT,
	ONEXIT_SHUTDOWN,
	ONEXIT_REBOOT,
};

/* Debug actions selected by test= (exercised by tests/emu). */
enum test_action {
	TEST_NONE,
	TEST_FAULT_UD,
	TEST_FAULT_PF,
	TEST_FAULT_GP,
	TEST_FAULT_DE,
	TEST_FAULT_STACK,
	TEST_FAULT_WX,
	TEST_SKIP_INVEPT,    /* deliberately omit INVEPT after an EPT removal (vm/gmem.c) */
	TEST_SKIP_SHOOTDOWN, /* deliberately omit the other CPUs' part of it (vm/gmem.c) */
	TEST_SKIP_INVVPID,   /* deliberately omit the INVVPID of a new VPID (vmx/vpid.c) */
	TEST_SMP_SILENT,     /* the last CPU to start halts in its trampoline (boot/cpus.c) */
	TEST_SMP_MISMATCH,   /* the last CPU to start sees other VMX capabilities (boot/cpus.c) */
	TEST_SMP_CONSOLE,    /* every CPU prints lines at once (boot/cpus.c) */
};

struct keel_options {
	unsigned console; /* CONSOLE_* sinks */
	enum log_level loglevel;
	enum onexit onexit;
	enum test_action test;
	unsigned
	    testhc;    /* 1: the test-only hypercalls (KEEL_HC_TEST_*) answer, failalloc= counts */
	unsigned vpid; /* 1: use VPIDs where the CPU has them (vpid=on|off) */
	u64 slice;     /* scheduler time slice in TSC ticks */
	unsigned hidecap;     /* HIDECAP_* bits: capabilities to treat as absent (tests) */
	unsigned testmmio;    /* 1: every guest gets the test MMIO device (dev/testreg.c) */
	unsigned floor;	      /* 1: CPUID/VMCALL take the shortest path (make bench's floor) */
	unsigned apicv;	      /* 1: APIC virtualization where the CPU has it (apicv=on|off) */
	unsigned cpus;	      /* cpus=N: use at most N CPUs, the boot CPU included; 0: all */
	unsigned zeropool;    /* 1: idle CPUs zero frames ahead of first touches (mm/zpool.h) */
	unsigned faultaround; /* 1: sequential first touches of ept=4k guests map pages ahead */
	unsigned zeropage;    /* 1: never-written guest pages read the shared zero frame */
	unsigned reclaim;     /* 1: idle CPUs give back guest frames of zeros (zeropage too) */
	unsigned workingset;  /* 1: sample each guest's accessed pages (EPT A/D flags) */
	unsigned dirtylog;    /* 1: EPT A/D flags where the CPU has them (the dirty log: PML) */
	unsigned errors;      /* malformed or unknown options seen */
};

/* hidecap=: VMX capabilities Keel pretends the CPU lacks, to test fallbacks. */
#define HIDECAP_INVEPT_SINGLE	 BIT(0)
#define HIDECAP_INVVPID_ADDR	 BIT(1)
#define HIDECAP_INVVPID_SINGLE	 BIT(2)
#define HIDECAP_INVVPID_RETAIN	 BIT(3)
#define HIDECAP_VPID		 BIT(4)
#define HIDECAP_EPT_1G		 BIT(5)
#define HIDECAP_EPT_2M		 BIT(6)
#define HIDECAP_PREEMPTION_TIMER BIT(7)

#define KEEL_DEFAULT_SLICE (1ULL << 20)

extern struct keel_options keel_opts;

/* Parses cmdline (may be NULL) into keel_opts, reporting each bad option. */
void options_parse(const char *cmdline);

#endif
