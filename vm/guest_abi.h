/*
 * The guest-visible ABI of Keel: what a guest finds at entry, the hypercall
 * interface and the CPUID signature. Shared by Keel and by the guests under
 * tests/guests, so it uses only fixed-width types. docs/guests.md describes
 * the same contract in prose.
 *
 * Guest-physical layout at entry of an ELF64 image (Keel's own protocol;
 * a multiboot image's information goes where its segments are not, see
 * below):
 *
 *   0x00000000 +-------------------------------+
 *              | free                          |
 *   0x00001000 | boot info: struct             |  struct keel_boot_info, modules,
 *              | keel_boot_info + strings      |  command line and module strings
 *   0x00004000 | GDT                           |
 *   0x00005000 | page tables                   |  PML4, PDPT, 4 PDs: identity map of
 *              |                               |  0-4 GiB with 2 MiB pages
 *   0x0000B000 | free                          |
 *   0x00080000 | <- initial RSP                |  stack grows down from here
 *   0x000E0000 | ACPI tables at the top of     |  RSDP, XSDT/RSDT, FADT, DSDT, MADT
 *              | [0xE0000, 1 MiB)              |  (a local APIC per vCPU)
 *   0x00100000 | ... up to mem=                |
 *              +-------------------------------+
 *
 * Image segments (PT_LOAD) load at their physical addresses anywhere in
 * [0, mem=); an ELF64 segment that meets the boot info, GDT, page tables
 * or ACPI tables is refused (the stack's area is the guest's). A multiboot
 * image's information (struct multiboot_info, its memory map, module list
 * and strings) goes on the lowest free page at or above
 * KEEL_GUEST_BOOT_INFO_GPA that meets no segment and no module (0x1000 for
 * an image above 1 MiB), and EBX says where. Modules (`for=NAME` lines)
 * are copied page aligned above the highest segment and at or above
 * KEEL_GUEST_IMAGE_MIN.
 */
#ifndef KEEL_VM_GUEST_ABI_H
#define KEEL_VM_GUEST_ABI_H

#include <stdint.h>

#define KEEL_GUEST_BOOT_INFO_GPA 0x1000ULL
#define KEEL_GUEST_BOOT_INFO_END 0x4000ULL
#define KEEL_GUEST_GDT_GPA	 0x4000ULL
#define KEEL_GUEST_PT_GPA	 0x5000ULL
#define KEEL_GUEST_PT_END	 0xB000ULL /* 6 pages: PML4, PDPT, 4 PDs */
#define KEEL_GUEST_STACK_TOP	 0x80000ULL
#define KEEL_GUEST_IMAGE_MIN	 0x100000ULL /* modules load at or above 1 MiB */
#define KEEL_GUEST_ACPI_MIN	 0xE0000ULL  /* ELF64: the ACPI tables lie in [this, END) */
#define KEEL_GUEST_ACPI_END	 0x100000ULL

/* ELF64 entry state: 64-bit mode, CS=KEEL_GUEST_CS64, DS/ES/SS=KEEL_GUEST_DS,
 * RFLAGS=0x2 (IF=0), RDI=KEEL_GUEST_BOOT_INFO_GPA, RSI=KEEL_BOOT_MAGIC,
 * RSP=KEEL_GUEST_STACK_TOP, CR0=PE|MP|ET|NE|WP|PG, CR4=PAE, EFER=LME|LMA. */
#define KEEL_GUEST_CS64	  0x08
#define KEEL_GUEST_DS	  0x10
#define KEEL_BOOT_MAGIC	  0x4C45454BU /* "KEEL" little-endian */
#define KEEL_BOOT_VERSION 1

struct keel_boot_module {
	uint64_t start;	  /* GPA of the first byte */
	uint64_t end;	  /* GPA one past the last byte */
	uint64_t cmdline; /* GPA of a NUL-terminated string */
};

struct keel_boot_info {
	uint32_t magic;	      /* KEEL_BOOT_MAGIC */
	uint32_t version;     /* KEEL_BOOT_VERSION */
	uint64_t mem_size;    /* bytes of RAM from GPA 0 */
	uint64_t cmdline;     /* GPA of "NAME ARGS...", NUL-terminated */
	uint32_t cmdline_len; /* without the NUL */
	uint32_t module_count;
	uint64_t modules; /* GPA of struct keel_boot_module[module_count] */
};

/* Multiboot (v1) entry: EAX=0x2BADB002, EBX=the multiboot information (above), 32-bit
 * protected mode, paging off, flat 4 GiB CS (0x08) and data (0x10) segments,
 * IF=0; as the Multiboot 0.6.96 specification, 3.2 "Machine state". */
#define MULTIBOOT1_HEADER_MAGIC	    0x1BADB002U
#define MULTIBOOT1_BOOTLOADER_MAGIC 0x2BADB002U

/*
 * Hypercalls: VMCALL with the function in RAX (EAX), arguments in RDI, RSI,
 * RDX (EDI, ESI, EDX), result in RAX; negative results are errors. Any
 * function number Keel does not know returns KEEL_HC_ENOSYS (never #UD).
 */
enum keel_hypercall {
	KEEL_HC_VERSION = 0,	       /* returns KEEL_HC_ABI_VERSION */
	KEEL_HC_NOP = 1,	       /* returns 0: the cheapest round trip */
	KEEL_HC_EXIT = 2,	       /* ends the guest with status RDI */
	KEEL_HC_STATS = 3,	       /* copies struct keel_guest_stats to GPA RDI, length RSI */
	KEEL_HC_TEST_BASE = 0x1000,    /* test-only functions: ENOSYS unless Keel has testhc=on */
	KEEL_HC_TEST_UNMAP = 0x1000,   /* unmap guest-physical [RDI, RDI+RSI) (4 KiB aligned) */
	KEEL_HC_TEST_PROTECT = 0x1001, /* set [RDI, RDI+RSI) to permissions RDX (KEEL_PERM_*) */
	/*
	 * Take the host frame behind guest-physical RDI out of the guest by
	 * the frame alone, through Keel's reverse map (docs/ept.md); returns
	 * the level of the leaf that mapped it (1: 4 KiB, 2: 2 MiB, 3: 1 GiB).
	 */
	KEEL_HC_TEST_UNMAP_FRAME = 0x1002,
	/*
	 * The dirty log of a guest with one vCPU: RDI 0 starts it (returns 1
	 * when the CPU logs, PML; 2 when Keel write-protects); 1 copies the
	 * addresses of the 4 KiB pages written since (ascending, u64 each, at
	 * most RDX) to GPA RSI, returns how many and starts afresh (a 2 MiB
	 * page counts once, by the first page written in it); 2 stops it.
	 */
	KEEL_HC_TEST_DIRTY_LOG = 0x1003,
};

/* Permissions for KEEL_HC_TEST_PROTECT. */
#define KEEL_PERM_R 1
#define KEEL_PERM_W 2
#define KEEL_PERM_X 4

#define KEEL_HC_ABI_VERSION 0x00010000

/* KEEL_HC_STATS copies this (or its first RSI bytes); returns bytes copied. */
struct keel_guest_stats {
	uint64_t exits;		 /* VM exits so far */
	uint64_t ept_violations; /* EPT-violation exits handled as RAM faults */
	uint64_t leaves_4k;	 /* EPT leaves installed, by size */
	uint64_t leaves_2m;
	uint64_t leaves_1g;
	uint64_t fallbacks;   /* large page wanted, no aligned host run: 4 KiB used */
	uint64_t spurious;    /* faults whose mapping already allowed the access */
	uint64_t ept_tables;  /* EPT table pages held */
	uint64_t invept;      /* INVEPTs issued for this guest */
	uint64_t data_frames; /* 4 KiB frames of guest RAM held */
	uint64_t restores;    /* permission faults answered by restoring full access */
	uint64_t switches;    /* times the scheduler switched away from this guest */
	uint64_t vpid;	      /* this vCPU's VPID (0: VPIDs off) */
	/* Fields added later: a shorter buffer gets the fields above only. */
	uint64_t fill_resumes; /* EPT violations that found their large page still being zeroed */
	uint64_t keel_ticks;   /* TSC ticks Keel spent on this guest's behalf so far */
	uint64_t guest_ticks;  /* TSC ticks it ran in VMX non-root operation so far */
	uint64_t restarts;     /* times Keel restarted it after a reset request */
	uint64_t zero_maps;    /* 4 KiB pages mapping the shared zero frame now (zeropage=on) */
	uint64_t zero_faults;  /* reads of never-written pages answered by the zero frame */
	uint64_t cow;	       /* writes that gave a zero-mapped page a frame of its own */
	uint64_t promotions;   /* 2 MiB regions of zero mappings given a 2 MiB leaf at a write */
	uint64_t reclaimed;    /* frames of zeros Keel took back while it was idle (reclaim=on) */
	uint64_t ws_samples;   /* working-set samples taken (workingset=on) */
	uint64_t ws_last;      /* 4 KiB pages accessed in the last sampled interval */
};
#define KEEL_HC_ENOSYS (-1)
#define KEEL_HC_EINVAL (-2)
#define KEEL_HC_EFAULT (-3)
#define KEEL_HC_EPERM  (-4)

/* CPUID leaf 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = signature. */
#define KEEL_CPUID_BASE	     0x40000000U
#define KEEL_CPUID_MAX	     0x40000001U
#define KEEL_CPUID_SIGNATURE "KeelKeelKeel"
/* Leaf 0x40000001: EAX = KEEL_HC_ABI_VERSION. */

/* Debug-exit port (QEMU isa-debug-exit semantics): writing v ends the guest
 * with status (v << 1) | 1. Status 1 (v = 0) is success by convention. */
#define KEEL_DEBUG_EXIT_PORT 0xF4

#endif
