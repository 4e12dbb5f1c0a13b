/*
 * The Linux/x86 boot protocol's data layout (the kernel's boot.rst, "The
 * Real-Mode Kernel Header" and "Details of Harder Fields", and zero-page.rst),
 * named as the kernel names it. Two structures:
 *
 *   - the setup header, in the bzImage's first sectors at file offset 0x1F1,
 *     written by the kernel's build and read by the boot loader;
 *   - struct boot_params, the "zero page": one 4 KiB page the loader fills
 *     and hands to the kernel in RSI. The setup header is copied into it at
 *     the same offset, 0x1F1.
 *
 * Both are read by the guest, so they are described as byte offsets, not as
 * C structs: every SH_* offset below is the same in the file and in
 * boot_params. The _Static_asserts check that each field follows the
 * previous one with no gap, as the protocol's tables list them.
 *
 *   boot_params (4096 bytes)
 *   0x000 +-------------------------+
 *         | screen_info ... ist_info|  zero: no video, no APM
 *   0x070 | acpi_rsdp_addr (u64)    |  GPA of the RSDP (0: legacy scan)
 *   0x0C0 | ext_ramdisk_image/size, |  high 32 bits of the 32-bit
 *         | ext_cmd_line_ptr (u32)  |  header fields
 *   0x1E8 | e820_entries (u8)       |
 *   0x1EF | sentinel (u8)           |  must stay 0: nonzero tells the kernel
 *   0x1F1 +-------------------------+  the loader copied too much
 *         | setup header            |  0x1F1 .. 0x202 + byte at 0x201
 *   0x290 +-------------------------+  (at most 0x290)
 *         | edd_mbr_sig_buffer      |
 *   0x2D0 | e820_table[128]         |  20-byte entries {addr, size, type}
 *   0xCD0 +-------------------------+
 *   0xD00 | eddbuf                  |
 *   0x1000+-------------------------+
 */
#ifndef KEEL_VM_LINUX_BOOTPARAM_H
#define KEEL_VM_LINUX_BOOTPARAM_H

#include "lib/types.h"

/* Setup header fields: offset in the file and in boot_params (size in the comment). */
#define SH_SETUP_SECTS		 0x1F1 /* u8: setup sectors after the boot sector; 0 means 4 */
#define SH_ROOT_FLAGS		 0x1F2 /* u16 */
#define SH_SYSSIZE		 0x1F4 /* u32: protected-mode code size in 16-byte paragraphs */
#define SH_RAM_SIZE		 0x1F8 /* u16, obsolete */
#define SH_VID_MODE		 0x1FA /* u16 */
#define SH_ROOT_DEV		 0x1FC /* u16 */
#define SH_BOOT_FLAG		 0x1FE /* u16: 0xAA55 */
#define SH_JUMP			 0x200 /* u16: 0xEB, then the header's length past 0x202 */
#define SH_HEADER		 0x202 /* u32: "HdrS" */
#define SH_VERSION		 0x206 /* u16: (major << 8) | minor */
#define SH_REALMODE_SWTCH	 0x208 /* u32 */
#define SH_START_SYS_SEG	 0x20C /* u16, obsolete */
#define SH_KERNEL_VERSION	 0x20E /* u16 */
#define SH_TYPE_OF_LOADER	 0x210 /* u8, written by the loader */
#define SH_LOADFLAGS		 0x211 /* u8 */
#define SH_SETUP_MOVE_SIZE	 0x212 /* u16 */
#define SH_CODE32_START		 0x214 /* u32 */
#define SH_RAMDISK_IMAGE	 0x218 /* u32, written by the loader */
#define SH_RAMDISK_SIZE		 0x21C /* u32, written by the loader */
#define SH_BOOTSECT_KLUDGE	 0x220 /* u32, obsolete */
#define SH_HEAP_END_PTR		 0x224 /* u16 */
#define SH_EXT_LOADER_VER	 0x226 /* u8 */
#define SH_EXT_LOADER_TYPE	 0x227 /* u8 */
#define SH_CMD_LINE_PTR		 0x228 /* u32, written by the loader */
#define SH_INITRD_ADDR_MAX	 0x22C /* u32: highest byte address the initrd may occupy */
#define SH_KERNEL_ALIGNMENT	 0x230 /* u32 */
#define SH_RELOCATABLE_KERNEL	 0x234 /* u8 */
#define SH_MIN_ALIGNMENT	 0x235 /* u8: log2 */
#define SH_XLOADFLAGS		 0x236 /* u16, protocol 2.12+ */
#define SH_CMDLINE_SIZE		 0x238 /* u32: longest command line without its NUL */
#define SH_HARDWARE_SUBARCH	 0x23C /* u32 */
#define SH_HARDWARE_SUBARCH_DATA 0x240 /* u64 */
#define SH_PAYLOAD_OFFSET	 0x248 /* u32 */
#define SH_PAYLOAD_LENGTH	 0x24C /* u32 */
#define SH_SETUP_DATA		 0x250 /* u64: GPA of a setup_data list, 0 = none */
#define SH_PREF_ADDRESS		 0x258 /* u64 */
#define SH_INIT_SIZE		 0x260 /* u32: memory the kernel needs from its start address */
#define SH_HANDOVER_OFFSET	 0x264 /* u32: EFI handover entry */
#define SH_KERNEL_INFO_OFFSET	 0x268 /* u32, protocol 2.15+ */
#define SH_END_2_12		 0x268 /* the header of protocol 2.12-2.14 ends here */
#define SH_END_2_15		 0x26C /* ... and of 2.15 */

#define SH_FOLLOWS(field, prev, prev_size)                                                         \
	_Static_assert(field == prev + prev_size, #field " follows " #prev)
SH_FOLLOWS(SH_ROOT_FLAGS, SH_SETUP_SECTS, 1);
SH_FOLLOWS(SH_SYSSIZE, SH_ROOT_FLAGS, 2);
SH_FOLLOWS(SH_RAM_SIZE, SH_SYSSIZE, 4);
SH_FOLLOWS(SH_VID_MODE, SH_RAM_SIZE, 2);
SH_FOLLOWS(SH_ROOT_DEV, SH_VID_MODE, 2);
SH_FOLLOWS(SH_BOOT_FLAG, SH_ROOT_DEV, 2);
SH_FOLLOWS(SH_JUMP, SH_BOOT_FLAG, 2);
SH_FOLLOWS(SH_HEADER, SH_JUMP, 2);
SH_FOLLOWS(SH_VERSION, SH_HEADER, 4);
SH_FOLLOWS(SH_REALMODE_SWTCH, SH_VERSION, 2);
SH_FOLLOWS(SH_START_SYS_SEG, SH_REALMODE_SWTCH, 4);
SH_FOLLOWS(SH_KERNEL_VERSION, SH_START_SYS_SEG, 2);
SH_FOLLOWS(SH_TYPE_OF_LOADER, SH_KERNEL_VERSION, 2);
SH_FOLLOWS(SH_LOADFLAGS, SH_TYPE_OF_LOADER, 1);
SH_FOLLOWS(SH_SETUP_MOVE_SIZE, SH_LOADFLAGS, 1);
SH_FOLLOWS(SH_CODE32_START, SH_SETUP_MOVE_SIZE, 2);
SH_FOLLOWS(SH_RAMDISK_IMAGE, SH_CODE32_START, 4);
SH_FOLLOWS(SH_RAMDISK_SIZE, SH_RAMDISK_IMAGE, 4);
SH_FOLLOWS(SH_BOOTSECT_KLUDGE, SH_RAMDISK_SIZE, 4);
SH_FOLLOWS(SH_HEAP_END_PTR, SH_BOOTSECT_KLUDGE, 4);
SH_FOLLOWS(SH_EXT_LOADER_VER, SH_HEAP_END_PTR, 2);
SH_FOLLOWS(SH_EXT_LOADER_TYPE, SH_EXT_LOADER_VER, 1);
SH_FOLLOWS(SH_CMD_LINE_PTR, SH_EXT_LOADER_TYPE, 1);
SH_FOLLOWS(SH_INITRD_ADDR_MAX, SH_CMD_LINE_PTR, 4);
SH_FOLLOWS(SH_KERNEL_ALIGNMENT, SH_INITRD_ADDR_MAX, 4);
SH_FOLLOWS(SH_RELOCATABLE_KERNEL, SH_KERNEL_ALIGNMENT, 4);
SH_FOLLOWS(SH_MIN_ALIGNMENT, SH_RELOCATABLE_KERNEL, 1);
SH_FOLLOWS(SH_XLOADFLAGS, SH_MIN_ALIGNMENT, 1);
SH_FOLLOWS(SH_CMDLINE_SIZE, SH_XLOADFLAGS, 2);
SH_FOLLOWS(SH_HARDWARE_SUBARCH, SH_CMDLINE_SIZE, 4);
SH_FOLLOWS(SH_HARDWARE_SUBARCH_DATA, SH_HARDWARE_SUBARCH, 4);
SH_FOLLOWS(SH_PAYLOAD_OFFSET, SH_HARDWARE_SUBARCH_DATA, 8);
SH_FOLLOWS(SH_PAYLOAD_LENGTH, SH_PAYLOAD_OFFSET, 4);
SH_FOLLOWS(SH_SETUP_DATA, SH_PAYLOAD_LENGTH, 4);
SH_FOLLOWS(SH_PREF_ADDRESS, SH_SETUP_DATA, 8);
SH_FOLLOWS(SH_INIT_SIZE, SH_PREF_ADDRESS, 8);
SH_FOLLOWS(SH_HANDOVER_OFFSET, SH_INIT_SIZE, 4);
SH_FOLLOWS(SH_END_2_12, SH_HANDOVER_OFFSET, 4);
SH_FOLLOWS(SH_KERNEL_INFO_OFFSET, SH_HANDOVER_OFFSET, 4);
SH_FOLLOWS(SH_END_2_15, SH_KERNEL_INFO_OFFSET, 4);

/* Values in the setup header. */
#define SH_BOOT_FLAG_MAGIC 0xAA55
#define SH_HEADER_MAGIC	   0x53726448U /* "HdrS" */
#define SH_JUMP_OPCODE	   0xEB	       /* JMP rel8: its offset byte sizes the header */
#define SH_SECTOR_SIZE	   512
#define SH_SETUP_SECTS_DEF 4	/* what setup_sects 0 means */
#define SH_TYPE_UNDEFINED  0xFF /* type_of_loader of a loader without an assigned ID */

/* Protocol versions ((major << 8) | minor). */
#define LINUX_PROTOCOL_2_12 0x020C /* xloadflags, the 64-bit entry flag */
#define LINUX_PROTOCOL_2_15 0x020F /* kernel_info */

/* loadflags */
#define LOADED_HIGH  BIT(0) /* protected-mode code loads at 0x100000: a bzImage */
#define KASLR_FLAG   BIT(1) /* kernel internal */
#define QUIET_FLAG   BIT(5)
#define CAN_USE_HEAP BIT(7) /* heap_end_ptr is valid (the 16-bit setup code's heap) */

/* xloadflags */
#define XLF_KERNEL_64		   BIT(0) /* the 64-bit entry point at load address + 0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G BIT(1)
#define XLF_EFI_HANDOVER_32	   BIT(2)
#define XLF_EFI_HANDOVER_64	   BIT(3)
#define XLF_EFI_KEXEC		   BIT(4)
#define XLF_5LEVEL		   BIT(5)
#define XLF_5LEVEL_ENABLED	   BIT(6)

/* The 64-bit entry point's offset from the protected-mode code's start. */
#define LINUX_ENTRY64_OFFSET 0x200

/* struct boot_params ("zero page") fields outside the setup header. */
#define BP_SIZE		      4096
#define BP_ACPI_RSDP_ADDR     0x070 /* u64 */
#define BP_EXT_RAMDISK_IMAGE  0x0C0 /* u32: ramdisk_image bits 63:32 */
#define BP_EXT_RAMDISK_SIZE   0x0C4 /* u32: ramdisk_size bits 63:32 */
#define BP_EXT_CMD_LINE_PTR   0x0C8 /* u32: cmd_line_ptr bits 63:32 */
#define BP_E820_ENTRIES	      0x1E8 /* u8 */
#define BP_SENTINEL	      0x1EF /* u8: must be 0 */
#define BP_HDR		      0x1F1 /* the setup header */
#define BP_HDR_END_MAX	      0x290 /* the header's room ends at edd_mbr_sig_buffer */
#define BP_EDD_MBR_SIG_BUFFER 0x290 /* u32[16] */
#define BP_E820_TABLE	      0x2D0 /* struct boot_e820_entry[128] */
#define BP_E820_MAX_ENTRIES   128
#define BP_EDDBUF	      0xD00
#define BOOT_E820_ENTRY_SIZE  20 /* {u64 addr, u64 size, u32 type}, packed */
#define BOOT_E820_ADDR	      0
#define BOOT_E820_SIZE	      8
#define BOOT_E820_TYPE	      16

_Static_assert(BP_HDR == SH_SETUP_SECTS, "the setup header sits at the same offset");
_Static_assert(BP_SENTINEL < BP_HDR, "the sentinel lies outside the copied header");
_Static_assert(SH_END_2_15 <= BP_HDR_END_MAX, "the header fits its room");
_Static_assert(BP_EDD_MBR_SIG_BUFFER + 16 * 4 == BP_E820_TABLE, "e820_table follows");
_Static_assert(BP_E820_TABLE + BP_E820_MAX_ENTRIES * BOOT_E820_ENTRY_SIZE <= BP_EDDBUF,
	       "e820_table ends before eddbuf");
_Static_assert(BOOT_E820_TYPE + 4 == BOOT_E820_ENTRY_SIZE, "e820 entry layout");
_Static_assert(BP_EDDBUF < BP_SIZE, "boot_params is one page");

/* e820 types (struct boot_e820_entry.type) */
#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2
#define E820_TYPE_ACPI	   3
#define E820_TYPE_NVS	   4

#endif
