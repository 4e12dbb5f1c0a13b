/*
 * Multiboot (0.6.96) boot information, 3.3 "Boot information format": what
 * Keel builds for a multiboot guest.
 */
#ifndef KEEL_VM_MULTIBOOT1_H
#define KEEL_VM_MULTIBOOT1_H

#include "lib/types.h"

#define MB1_INFO_MEMORY		  BIT(0)
#define MB1_INFO_CMDLINE	  BIT(2)
#define MB1_INFO_MODS		  BIT(3)
#define MB1_INFO_MMAP		  BIT(6)
#define MB1_INFO_BOOT_LOADER_NAME BIT(9)

struct multiboot1_info {
	u32 flags;
	u32 mem_lower;
	u32 mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length;
	u32 mmap_addr;
	u32 drives_length;
	u32 drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info;
	u32 vbe_mode_info;
	u16 vbe_mode;
	u16 vbe_interface_seg;
	u16 vbe_interface_off;
	u16 vbe_interface_len;
} __packed;

struct multiboot1_mmap_entry {
	u32 size; /* of the rest of the entry: 20 */
	u64 base_addr;
	u64 length;
	u32 type; /* 1 = available RAM */
} __packed;

struct multiboot1_module {
	u32 mod_start;
	u32 mod_end;
	u32 string;
	u32 reserved;
} __packed;

_Static_assert(sizeof(struct multiboot1_info) == 88, "multiboot info is 88 bytes");
_Static_assert(sizeof(struct multiboot1_mmap_entry) == 24, "mmap entry is 24 bytes");
_Static_assert(sizeof(struct multiboot1_module) == 16, "module entry is 16 bytes");

#endif
