/*
 * Booting a Linux bzImage through the 64-bit boot protocol (the kernel's
 * boot.rst, "64-bit Boot Protocol"): pure functions, host-tested and
 * fuzzed, that a loader calls in this order:
 *
 *   linux_boot_parse        check the bzImage's setup header, choose where
 *                           its protected-mode code loads for mem=
 *   linux_boot_plan         choose where the zero page, command line, initrd,
 *                           GDT, page tables and ACPI tables go
 *   linux_boot_params       build the zero page (struct boot_params)
 *   linux_boot_gdt          the GDT with __BOOT_CS and __BOOT_DS
 *   linux_boot_page_tables  identity page tables for 0-4 GiB
 *   linux_boot_entry        the register state at the 64-bit entry
 *
 * The loader then copies: the protected-mode code (file bytes [code_offset,
 * +code_size)) to load_gpa, the command line and its NUL to cmdline, the
 * initrd to initrd, the three built blocks to their GPAs, and enters the
 * guest in 64-bit mode (CR0.PE|PG, CR4.PAE, EFER.LME|LMA) with the entry
 * state. None of these functions touches guest memory or Keel's globals.
 *
 * Guest-physical layout (docs/linux-boot.md):
 *
 *   0x00000000 +------------------------------+  e820 RAM
 *              | IVT, BIOS data area (zero)   |
 *   0x00001000 | zero page (boot_params)      |  RSI at entry
 *   0x00002000 | GDT                          |
 *   0x00003000 | PML4, PDPT, 4 PDs            |  CR3: 0-4 GiB, 2 MiB pages
 *   0x00009000 | entry stack (grows down)     |
 *   0x00010000 | command line (+ NUL)         |  at most 64 KiB
 *   0x00020000 | free low RAM: the kernel     |
 *              | puts its trampolines here    |
 *   0x0009FC00 +------------------------------+  e820 reserved (EBDA)
 *   0x000A0000 | VGA/BIOS hole                |  e820 reserved
 *   0x000E0000 | ACPI tables at the top, RSDP |  (the legacy RSDP scan finds it)
 *   0x00100000 +------------------------------+  e820 RAM up to mem=
 *              | initrd, if it does not fit   |
 *              | above the kernel             |
 *   load_gpa   | kernel: code, then room up   |  pref_address (16 MiB for
 *              | to init_size                 |  distribution kernels)
 *   kernel_end | initrd: highest fit below    |
 *              | initrd_addr_max + 1 and mem= |
 *   mem=       +------------------------------+  at most 0xFEC00000
 */
#ifndef KEEL_VM_LINUX_BOOT_H
#define KEEL_VM_LINUX_BOOT_H

#include "lib/types.h"
#include "mm/addr.h"
#include "vm/linux_bootparam.h"

/* Fixed guest-physical addresses of the layout above. */
#define LINUX_ZERO_PAGE_GPA  0x1000ULL
#define LINUX_GDT_GPA	     0x2000ULL
#define LINUX_PT_GPA	     0x3000ULL
#define LINUX_PT_PAGES	     6 /* PML4, PDPT, 4 PDs */
#define LINUX_STACK_BOTTOM   0x9000ULL
#define LINUX_STACK_TOP	     0x10000ULL
#define LINUX_CMDLINE_GPA    0x10000ULL
#define LINUX_CMDLINE_AREA   0x10000ULL /* bytes, the NUL included */
#define LINUX_LOW_RAM_END    0x9FC00ULL /* e820 RAM [0, here); the EBDA follows */
#define LINUX_BIOS_HOLE	     0xA0000ULL /* VGA and BIOS: e820 reserved up to 1 MiB */
#define LINUX_ACPI_AREA_MIN  0xE0000ULL /* the ACPI area lies in [this, 1 MiB) */
#define LINUX_ACPI_AREA_MAX  (0x100000ULL - LINUX_ACPI_AREA_MIN) /* bytes */
#define LINUX_HIGH_START     0x100000ULL   /* 1 MiB: e820 RAM from here to mem= */
#define LINUX_MEM_MAX	     0xFEC00000ULL /* the I/O APIC and local APIC pages start here */
#define LINUX_IDENTITY_LIMIT (4 * GiB)	   /* the entry page tables map [0, this) */
#define LINUX_GDT_ENTRIES    4		   /* null, unused, __BOOT_CS, __BOOT_DS */
#define LINUX_E820_ENTRIES   4
#define LINUX_BOOT_CS	     0x10 /* __BOOT_CS */
#define LINUX_BOOT_DS	     0x18 /* __BOOT_DS */

_Static_assert(LINUX_PT_GPA + LINUX_PT_PAGES * PAGE_SIZE <= LINUX_STACK_BOTTOM, "tables, stack");
_Static_assert(LINUX_CMDLINE_GPA + LINUX_CMDLINE_AREA <= LINUX_LOW_RAM_END, "command line");
_Static_assert(LINUX_GDT_ENTRIES * 8 <= PAGE_SIZE && BP_SIZE == PAGE_SIZE, "one page each");
_Static_assert(LINUX_MEM_MAX <= LINUX_IDENTITY_LIMIT, "the page tables map all RAM");

/* What the loader needs from a checked bzImage (linux_boot_parse). */
struct linux_kernel {
	u16 version;	 /* boot protocol, (major << 8) | minor: 0x020F is 2.15 */
	u8 loadflags;	 /* as in the file */
	u16 xloadflags;	 /* XLF_* */
	u64 hdr_end;	 /* the setup header is file bytes [0x1F1, hdr_end) */
	u64 code_offset; /* protected-mode code: file bytes [code_offset, +code_size) */
	u64 code_size;	 /* syssize * 16; the rest of the file (a signature) is not loaded */
	bool relocatable;
	u32 kernel_alignment;
	u64 pref_address;
	u32 init_size;	     /* bytes the kernel needs from load_gpa before it reads e820 */
	u32 cmdline_size;    /* longest command line, without its NUL */
	u32 initrd_addr_max; /* highest address an initrd byte may occupy */
	u32 handover_offset;
	u32 kernel_info_offset; /* 2.15+: from code_offset; 0 before */
	/* Placement for mem_size: */
	u64 mem_size;	/* guest RAM [0, mem_size), page aligned down */
	u64 load_gpa;	/* where the protected-mode code goes (page aligned, >= 1 MiB) */
	u64 entry_gpa;	/* load_gpa + 0x200: the 64-bit entry point */
	u64 kernel_end; /* page-aligned end of [load_gpa, + max(init_size, code_size)) */
};

/* Where everything goes (linux_boot_plan). Sizes are 0 for what is absent. */
struct linux_layout {
	u64 mem_size;
	u64 zero_page;		 /* LINUX_ZERO_PAGE_GPA, BP_SIZE bytes */
	u64 gdt;		 /* LINUX_GDT_GPA, LINUX_GDT_ENTRIES descriptors */
	u64 page_tables;	 /* LINUX_PT_GPA, LINUX_PT_PAGES pages */
	u64 stack_top;		 /* LINUX_STACK_TOP */
	u64 cmdline;		 /* LINUX_CMDLINE_GPA: cmdline_len bytes, then a NUL */
	u64 cmdline_len;	 /* without the NUL */
	u64 acpi, acpi_size;	 /* [acpi, 1 MiB), page aligned; acpi_size 0: none */
	u64 kernel, kernel_end;	 /* [load_gpa, kernel_end) */
	u64 initrd, initrd_size; /* page-aligned start; size 0: no initrd */
};

/* One e820 range as the zero page holds it. */
struct linux_e820_entry {
	u64 addr;
	u64 size;
	u32 type; /* E820_TYPE_* */
};

/* The protocol's entry state (the rest is Keel's usual 64-bit mode). */
struct linux_entry {
	u64 rip;       /* entry_gpa */
	u64 rsi;       /* the zero page's GPA */
	u64 rsp;       /* a small stack below 1 MiB; the kernel sets up its own first */
	u64 rflags;    /* 0x2: interrupts off */
	u64 cr3;       /* the identity page tables */
	u64 gdt_base;  /* LINUX_GDT_GPA */
	u16 gdt_limit; /* LINUX_GDT_ENTRIES * 8 - 1 */
	u16 cs;	       /* LINUX_BOOT_CS: 64-bit code */
	u16 ds;	       /* LINUX_BOOT_DS: flat data, for DS, ES, SS (and FS, GS) */
};

/*
 * True if img looks like a PC boot image meant for this protocol: the boot
 * sector signature 0xAA55 at 0x1FE, and not an ELF file. linux_boot_parse
 * then says precisely what is wrong with it, if anything.
 */
bool linux_boot_is_bzimage(const u8 *img, u64 len);

/*
 * Checks the bzImage img (len bytes, untrusted) and chooses where its
 * protected-mode code loads in a guest with mem_size bytes of RAM: at
 * pref_address (at least 1 MiB, aligned to kernel_alignment when
 * relocatable), with its init_size bytes inside RAM. Refuses protocols
 * before 2.12, kernels without XLF_KERNEL_64 or LOADED_HIGH, and any header
 * whose sizes or offsets leave the file. Returns true with *k filled, or
 * false with one line in err. Never reads outside [img, img + len).
 */
bool linux_boot_parse(const u8 *img, u64 len, u64 mem_size, struct linux_kernel *k, char *err,
		      size_t err_len);

/*
 * Chooses the layout for kernel k (from linux_boot_parse), an initrd of
 * initrd_size bytes (0: none), a command line of cmdline_len bytes without
 * its NUL, and acpi_size bytes of ACPI tables (0: none) at the top of the
 * BIOS area. The initrd goes as high as it fits below initrd_addr_max + 1
 * and mem= above the kernel, else below the kernel, never under 1 MiB.
 * Returns true with *l filled (no two regions overlap, all inside RAM), or
 * false with one line in err naming what does not fit.
 */
bool linux_boot_plan(const struct linux_kernel *k, u64 initrd_size, u64 cmdline_len, u64 acpi_size,
		     struct linux_layout *l, char *err, size_t err_len);

/* The guest's memory map for layout l: LINUX_E820_ENTRIES ranges in address order. */
void linux_boot_e820(const struct linux_layout *l, struct linux_e820_entry e[LINUX_E820_ENTRIES]);

/*
 * Builds the zero page in bp (BP_SIZE bytes): all zero but the setup header
 * copied from img (the same bytes linux_boot_parse accepted for k), the
 * fields a loader writes (type_of_loader, loadflags, code32_start,
 * ramdisk_image/size, cmd_line_ptr and their ext_ high halves), the e820
 * table and acpi_rsdp_addr = rsdp (0: the kernel scans for the RSDP).
 */
void linux_boot_params(const u8 *img, const struct linux_kernel *k, const struct linux_layout *l,
		       u64 rsdp, u8 bp[BP_SIZE]);

/* The GDT at l->gdt: null, null, __BOOT_CS (64-bit code), __BOOT_DS (flat data). */
void linux_boot_gdt(u64 gdt[LINUX_GDT_ENTRIES]);

/*
 * Identity page tables for [0, 4 GiB) with 2 MiB pages, to be copied to
 * guest-physical `base` (page aligned): buf holds LINUX_PT_PAGES pages,
 * PML4 first; CR3 = base.
 */
void linux_boot_page_tables(u64 base, u8 buf[LINUX_PT_PAGES * PAGE_SIZE]);

/* The register state at the 64-bit entry for kernel k laid out as l. */
void linux_boot_entry(const struct linux_kernel *k, const struct linux_layout *l,
		      struct linux_entry *e);

#endif
