/*
 * Multiboot2 header and boot-information formats (The Multiboot2
 * Specification, version 2.0: 3.1 "OS image format" and 3.6 "Boot
 * information format"). Shared by boot/entry.S (header constants) and the
 * C parser (tag layouts).
 */
#ifndef KEEL_BOOT_MULTIBOOT2_H
#define KEEL_BOOT_MULTIBOOT2_H

/* 3.1.1 The layout of Multiboot2 header */
#define MB2_HEADER_MAGIC	       0xE85250D6
#define MB2_ARCH_I386		       0
#define MB2_HEADER_TAG_END	       0
#define MB2_HEADER_TAG_INFO_REQUEST    1
#define MB2_HEADER_TAG_CONSOLE_FLAGS   4
#define MB2_HEADER_TAG_FRAMEBUFFER     5
#define MB2_HEADER_TAG_MODULE_ALIGN    6
#define MB2_HEADER_TAG_OPTIONAL	       1 /* flags bit 0: the loader may ignore the tag */
#define MB2_CONSOLE_EGA_TEXT_SUPPORTED 2 /* console flags bit 1: the image draws on EGA text */

/* 3.3 I386 machine state: EAX on entry */
#define MB2_BOOTLOADER_MAGIC 0x36D76289

/* 3.6 Boot information tag types */
#define MB2_TAG_END		 0
#define MB2_TAG_CMDLINE		 1
#define MB2_TAG_BOOT_LOADER_NAME 2
#define MB2_TAG_MODULE		 3
#define MB2_TAG_BASIC_MEMINFO	 4
#define MB2_TAG_BOOTDEV		 5
#define MB2_TAG_MMAP		 6
#define MB2_TAG_VBE		 7
#define MB2_TAG_FRAMEBUFFER	 8
#define MB2_TAG_ELF_SECTIONS	 9
#define MB2_TAG_APM		 10
#define MB2_TAG_EFI32		 11
#define MB2_TAG_EFI64		 12
#define MB2_TAG_SMBIOS		 13
#define MB2_TAG_ACPI_OLD	 14
#define MB2_TAG_ACPI_NEW	 15
#define MB2_TAG_NETWORK		 16
#define MB2_TAG_EFI_MMAP	 17
#define MB2_TAG_EFI_BS		 18
#define MB2_TAG_EFI32_IH	 19
#define MB2_TAG_EFI64_IH	 20
#define MB2_TAG_LOAD_BASE_ADDR	 21

/* 3.6.8 Memory map: entry types */
#define MB2_MEMORY_AVAILABLE	    1
#define MB2_MEMORY_RESERVED	    2
#define MB2_MEMORY_ACPI_RECLAIMABLE 3
#define MB2_MEMORY_NVS		    4
#define MB2_MEMORY_BADRAM	    5

/* 3.6.12 Framebuffer info: framebuffer_type */
#define MB2_FB_TYPE_INDEXED  0
#define MB2_FB_TYPE_RGB	     1
#define MB2_FB_TYPE_EGA_TEXT 2

#define MB2_TAG_ALIGN 8

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* 3.6.1 Basic tags structure: the fixed part at the start of the info */
struct mb2_info_header {
	u32 total_size;
	u32 reserved;
} __packed;

struct mb2_tag {
	u32 type;
	u32 size;
} __packed;

struct mb2_tag_string { /* cmdline, boot loader name */
	u32 type;
	u32 size;
	char string[];
} __packed;

struct mb2_tag_module {
	u32 type;
	u32 size;
	u32 mod_start;
	u32 mod_end;
	char cmdline[];
} __packed;

struct mb2_tag_basic_meminfo {
	u32 type;
	u32 size;
	u32 mem_lower;
	u32 mem_upper;
} __packed;

struct mb2_mmap_entry {
	u64 base_addr;
	u64 length;
	u32 type;
	u32 reserved;
} __packed;

struct mb2_tag_mmap {
	u32 type;
	u32 size;
	u32 entry_size;
	u32 entry_version;
	struct mb2_mmap_entry entries[];
} __packed;

struct mb2_tag_framebuffer {
	u32 type;
	u32 size;
	u64 addr;
	u32 pitch;
	u32 width;
	u32 height;
	u8 bpp;
	u8 fb_type;
	u16 reserved;
} __packed;

/* 3.6.12: the colour_info that follows the common part when fb_type is RGB. */
struct mb2_fb_rgb {
	u8 red_pos;
	u8 red_size;
	u8 green_pos;
	u8 green_size;
	u8 blue_pos;
	u8 blue_size;
} __packed;

struct mb2_tag_acpi { /* old (RSDP v1) and new (RSDP v2+) */
	u32 type;
	u32 size;
	u8 rsdp[];
} __packed;

_Static_assert(sizeof(struct mb2_info_header) == 8, "multiboot2 info header is 8 bytes");
_Static_assert(sizeof(struct mb2_tag) == 8, "multiboot2 tag header is 8 bytes");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "module tag fixed part is 16 bytes");
_Static_assert(sizeof(struct mb2_tag_string) == 8, "string tag fixed part is 8 bytes");
_Static_assert(sizeof(struct mb2_tag_acpi) == 8, "ACPI tag fixed part is 8 bytes");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "mmap entry is 24 bytes");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "mmap tag fixed part is 16 bytes");
_Static_assert(sizeof(struct mb2_tag_framebuffer) == 32, "framebuffer tag common part is 32 bytes");
_Static_assert(sizeof(struct mb2_fb_rgb) == 6, "framebuffer RGB colour info is 6 bytes");
#endif

#endif
