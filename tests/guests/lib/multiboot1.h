/*
 * Multiboot (version 1) header and boot information, as the Multiboot
 * Specification 0.6.96 defines them: 3.1.1 "The layout of Multiboot
 * header", 3.3 "Boot information format". The header constants are shared
 * with crt32.S.
 */
#ifndef KEEL_GUESTS_MULTIBOOT1_H
#define KEEL_GUESTS_MULTIBOOT1_H

/* 3.1.1: header magic and flags; 3.2: EAX at entry (also in vm/guest_abi.h). */
#define MB1_HEADER_MAGIC      0x1BADB002
#define MB1_HEADER_PAGE_ALIGN 0x00000001 /* bit 0: modules page aligned */
#define MB1_HEADER_MEMORY     0x00000002 /* bit 1: mem_* and mmap_* wanted */
#define MB1_BOOTLOADER_MAGIC  0x2BADB002

/* 3.3: which fields of struct mb1_info are valid */
#define MB1_INFO_MEMORY		  0x00000001 /* bit 0: mem_lower, mem_upper */
#define MB1_INFO_BOOTDEV	  0x00000002
#define MB1_INFO_CMDLINE	  0x00000004 /* bit 2 */
#define MB1_INFO_MODS		  0x00000008 /* bit 3 */
#define MB1_INFO_AOUT_SYMS	  0x00000010
#define MB1_INFO_ELF_SHDR	  0x00000020
#define MB1_INFO_MEM_MAP	  0x00000040 /* bit 6: mmap_length, mmap_addr */
#define MB1_INFO_DRIVE_INFO	  0x00000080
#define MB1_INFO_CONFIG_TABLE	  0x00000100
#define MB1_INFO_BOOT_LOADER_NAME 0x00000200 /* bit 9 */

/* 3.3: memory map entry types */
#define MB1_MEMORY_AVAILABLE 1
#define MB1_MEMORY_RESERVED  2

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* 3.3 "Boot information format": the fixed part, up to the VBE fields. */
struct mb1_info {
	u32 flags;
	u32 mem_lower; /* KiB of RAM from 0, at most 640 */
	u32 mem_upper; /* KiB of RAM from 1 MiB to the first hole */
	u32 boot_device;
	u32 cmdline; /* physical address of a NUL-terminated string */
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length; /* bytes */
	u32 mmap_addr;
	u32 drives_length;
	u32 drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
};
_Static_assert(sizeof(struct mb1_info) == 72, "Multiboot 0.6.96 3.3: boot info through apm_table");

/*
 * 3.3: one memory map entry. size counts the bytes after itself, so the
 * next entry starts size + 4 bytes on; it is at least 20.
 */
struct mb1_mmap_entry {
	u32 size;
	u64 base_addr;
	u64 length;
	u32 type;
} __packed;
_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "Multiboot 0.6.96 3.3: mmap entry");

/* 3.3: one module */
struct mb1_module {
	u32 mod_start;
	u32 mod_end;
	u32 string;
	u32 reserved;
};
_Static_assert(sizeof(struct mb1_module) == 16, "Multiboot 0.6.96 3.3: module entry");

#endif
#endif
