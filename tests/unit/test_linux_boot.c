/*
 * Host tests for vm/linux_boot.c: bzImage setup headers built in memory,
 * valid and broken in each way the parser must catch (one line naming the
 * reason each time), the guest-physical layout at and past its limits, the
 * zero page byte for byte, the e820 map, GDT, page tables and entry state.
 * The last test reads a real distribution kernel when one is present
 * (KEEL_TEST_BZIMAGE=path, else /boot/vmlinuz-*) and is skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/linux_boot.h"

#define MEM	  (256 * MiB)
#define SECTS	  2		      /* setup sectors after the boot sector */
#define CODE_OFF  ((SECTS + 1) * 512) /* 0x600 */
#define CODE_SIZE 0x400
#define IMG_LEN	  (CODE_OFF + CODE_SIZE)
#define PREF	  (16 * MiB)
#define INIT_SIZE (32 * MiB) /* the kernel takes [16 MiB, 48 MiB) */
#define KEND	  (PREF + INIT_SIZE)

static u8 img[0x4000];
static struct linux_kernel k;
static struct linux_layout l;
static char err[200];

static void put_le(u64 off, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (u8)(v >> (8 * i));
}

static u64 get_le(const u8 *p, u64 off, unsigned n)
{
	u64 v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (u64)p[off + i] << (8 * i);
	return v;
}

/*
 * A protocol 2.15 bzImage like a distribution kernel's, at the protocol's
 * literal offsets: relocatable, 2 MiB aligned, preferring 16 MiB, with a
 * 1 KiB protected-mode part and the sentinel byte set as header.S sets it.
 */
static void mk(void)
{
	memset(img, 0, sizeof(img));
	img[0x1EF] = 0xFF; /* sentinel: the loader must not copy it */
	img[0x1F1] = SECTS;
	put_le(0x1F4, CODE_SIZE / 16, 4); /* syssize */
	put_le(0x1FA, 0xFFFF, 2);	  /* vid_mode */
	put_le(0x1FE, 0xAA55, 2);
	img[0x200] = 0xEB;
	img[0x201] = 0x6A; /* header ends at 0x26C */
	memcpy(img + 0x202, "HdrS", 4);
	put_le(0x206, 0x020F, 2);
	put_le(0x20E, 0x1234, 2); /* kernel_version */
	img[0x211] = LOADED_HIGH | KASLR_FLAG | CAN_USE_HEAP;
	put_le(0x214, 0x100000, 4); /* code32_start */
	put_le(0x224, 0xDE00, 2);   /* heap_end_ptr */
	put_le(0x22C, 0x7FFFFFFF, 4);
	put_le(0x230, 2 * MiB, 4);
	img[0x234] = 1;
	img[0x235] = 21;
	put_le(0x236, 0x7F, 2);
	put_le(0x238, 2047, 4);
	put_le(0x248, 0x2CC, 4); /* payload_offset */
	put_le(0x24C, 0x100, 4);
	put_le(0x250, 0x5555000, 8); /* setup_data: the loader clears it */
	put_le(0x258, PREF, 8);
	put_le(0x260, INIT_SIZE, 4);
	put_le(0x264, 0x190, 4);
	put_le(0x268, 0x300, 4);
	img[0x26C] = 0x77; /* past the header: never copied */
	for (u64 i = CODE_OFF; i < IMG_LEN; i++)
		img[i] = (u8)(i * 7);
}

/* Parses the first len bytes from an exactly sized heap copy (ASan sees over-reads). */
static bool parse_mem(u64 len, u64 mem)
{
	u8 *copy = malloc(len ? len : 1);
	bool ok;

	memcpy(copy, img, len);
	memset(err, 0, sizeof(err));
	ok = linux_boot_parse(copy, len, mem, &k, err, sizeof(err));
	assert_memory_equal(copy, img, len);
	free(copy);
	return ok;
}

static void expect_reason(bool ok, const char *word)
{
	if (ok)
		fail_msg("accepted what should fail with '%s'", word);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, word))
		fail_msg("error is '%s', expected to mention '%s'", err, word);
}

static void reject_mem(u64 mem, const char *word)
{
	expect_reason(parse_mem(IMG_LEN, mem), word);
}

static void reject(const char *word)
{
	reject_mem(MEM, word);
}

static bool plan(u64 initrd, u64 cmdline, u64 acpi)
{
	memset(err, 0, sizeof(err));
	return linux_boot_plan(&k, initrd, cmdline, acpi, &l, err, sizeof(err));
}

static void parse_ok(u64 mem)
{
	if (!parse_mem(IMG_LEN, mem))
		fail_msg("rejected: %s", err);
}

static void test_valid(void **state)
{
	mk();
	parse_ok(MEM);
	assert_int_equal(k.version, 0x020F);
	assert_int_equal(k.hdr_end, 0x26C);
	assert_int_equal(k.code_offset, CODE_OFF);
	assert_int_equal(k.code_size, CODE_SIZE);
	assert_true(k.relocatable);
	assert_int_equal(k.kernel_alignment, 2 * MiB);
	assert_int_equal(k.pref_address, PREF);
	assert_int_equal(k.init_size, INIT_SIZE);
	assert_int_equal(k.cmdline_size, 2047);
	assert_int_equal(k.initrd_addr_max, 0x7FFFFFFF);
	assert_int_equal(k.xloadflags, 0x7F);
	assert_int_equal(k.handover_offset, 0x190);
	assert_int_equal(k.kernel_info_offset, 0x300);
	assert_int_equal(k.mem_size, MEM);
	assert_int_equal(k.load_gpa, PREF);
	assert_int_equal(k.entry_gpa, PREF + 0x200);
	assert_int_equal(k.kernel_end, KEND);
}

/* setup_sects 0 means 4; the code follows five sectors. */
static void test_setup_sects_zero(void **state)
{
	mk();
	img[0x1F1] = 0;
	expect_reason(parse_mem(IMG_LEN, MEM), "past the end of the file");
	assert_true(parse_mem(5 * 512 + CODE_SIZE, MEM));
	assert_int_equal(k.code_offset, 5 * 512);
}

/* Protocol 2.12 ends its header at 0x268; kernel_info_offset is not read. */
static void test_protocol_2_12(void **state)
{
	mk();
	put_le(0x206, 0x020C, 2);
	img[0x201] = 0x66;
	parse_ok(MEM);
	assert_int_equal(k.hdr_end, 0x268);
	assert_int_equal(k.kernel_info_offset, 0);
	put_le(0x206, 0x020F, 2);
	reject("ends at 0x268, before the protocol 2.15 fields end (0x26c)");
	put_le(0x206, 0x020C, 2);
	img[0x201] = 0x65;
	reject("before the protocol 2.12 fields");
}

static void test_bad_magic(void **state)
{
	mk();
	put_le(0x1FE, 0x55AA, 2);
	reject("0xAA55");
	mk();
	memcpy(img + 0x202, "HdrT", 4);
	reject("HdrS");
	mk();
	memset(img, 0, sizeof(img));
	reject("0xAA55");
}

/* What the loader takes for a bzImage (then parsed), and what it leaves to the ELF parser. */
static void test_is_bzimage(void **state)
{
	static const u8 elf[0x200] = {0x7F, 'E', 'L', 'F'};
	u8 elf_sig[0x200];

	mk();
	assert_true(linux_boot_is_bzimage(img, IMG_LEN));
	assert_true(linux_boot_is_bzimage(img, 0x200)); /* truncated: the parser names it */
	assert_false(linux_boot_is_bzimage(img, 0x1FF));
	assert_false(linux_boot_is_bzimage(img, 0));
	put_le(0x1FE, 0, 2);
	assert_false(linux_boot_is_bzimage(img, IMG_LEN));
	memcpy(elf_sig, elf, sizeof(elf));
	elf_sig[0x1FE] = 0x55;
	elf_sig[0x1FF] = 0xAA;
	assert_false(linux_boot_is_bzimage(elf_sig, sizeof(elf_sig))); /* an ELF stays ELF */
}

static void test_old_protocol(void **state)
{
	mk();
	put_le(0x206, 0x020B, 2);
	reject("protocol 2.11 is older than 2.12");
	put_le(0x206, 0x0204, 2);
	reject("protocol 2.04");
	put_le(0x206, 0x0100, 2);
	reject("protocol 1.00");
}

static void test_no_64bit_entry(void **state)
{
	mk();
	put_le(0x236, 0x7E, 2);
	reject("XLF_KERNEL_64");
	mk();
	img[0x211] = CAN_USE_HEAP;
	reject("LOADED_HIGH");
}

static void test_header_jump(void **state)
{
	mk();
	img[0x200] = 0xE9;
	reject("short jump");
	mk();
	img[0x201] = 0x8E; /* ends at 0x290: the room's end */
	parse_ok(MEM);
	assert_int_equal(k.hdr_end, 0x290);
	img[0x201] = 0x8F;
	reject("past its room");
	img[0x201] = 0xFF;
	reject("past its room");
}

/* setup_sects and syssize: the code must lie inside the file and hold the entry. */
static void test_code_outside_file(void **state)
{
	mk();
	img[0x1F1] = 0xFF; /* code at 0x20000 */
	reject("past the end of the file");
	mk();
	put_le(0x1F4, CODE_SIZE / 16 + 1, 4);
	reject("outside the file");
	put_le(0x1F4, 0xFFFFFFFF, 4); /* 64 GiB */
	reject("outside the file");
	put_le(0x1F4, 0, 4);
	reject("before its 64-bit entry");
	put_le(0x1F4, 0x20, 4); /* 0x200 bytes: the entry is the first byte past it */
	reject("before its 64-bit entry");
	put_le(0x1F4, 0x21, 4);
	parse_ok(MEM);
	/* The rest of the file (a signature, say) is not part of the code. */
	put_le(0x1F4, 0x30, 4);
	parse_ok(MEM);
	assert_int_equal(k.code_size, 0x300);
}

static void test_init_size(void **state)
{
	mk();
	put_le(0x260, CODE_SIZE - 1, 4);
	reject("init_size 0x3ff is smaller");
	put_le(0x260, 0, 4);
	reject("init_size 0x0");
	put_le(0x260, CODE_SIZE, 4);
	parse_ok(MEM);
	assert_int_equal(k.kernel_end, PREF + PAGE_SIZE);
	put_le(0x260, 0xFFFFFFFF, 4);
	reject("beyond mem=256 MiB");
	parse_ok(0x101000000ULL); /* 16 MiB + 4 GiB - 1, page aligned up */
	assert_int_equal(k.kernel_end, PREF + 4 * GiB);
}

/* Every length short of the whole image fails, without reading past it. */
static void test_truncated_every_length(void **state)
{
	mk();
	for (u64 len = 0; len < IMG_LEN; len++) {
		if (parse_mem(len, MEM))
			fail_msg("accepted a file cut at %lu bytes", len);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	assert_true(parse_mem(IMG_LEN, MEM));
	expect_reason(parse_mem(0x205, MEM), "truncated");
	expect_reason(parse_mem(0x26B, MEM), "truncated Linux setup header");
	expect_reason(parse_mem(0x1FF, MEM), "shorter than a boot sector");
}

static void test_placement(void **state)
{
	mk();
	put_le(0x258, 0, 8); /* no preference: 1 MiB, aligned up to 2 MiB */
	parse_ok(MEM);
	assert_int_equal(k.load_gpa, 2 * MiB);
	put_le(0x258, PREF + 0x1000, 8);
	parse_ok(MEM);
	assert_int_equal(k.load_gpa, PREF + 2 * MiB);
	put_le(0x230, 0x10, 4); /* a tiny alignment still loads page aligned */
	parse_ok(MEM);
	assert_int_equal(k.load_gpa, PREF + 0x1000);
	put_le(0x230, 3 * MiB, 4);
	reject("kernel_alignment 0x300000 is not a power of two");
	put_le(0x230, 0, 4);
	reject("not a power of two");
	/* Not relocatable: pref_address exactly, 1 MiB when 0. */
	mk();
	img[0x234] = 0;
	put_le(0x258, 0x3000000, 8);
	parse_ok(MEM);
	assert_int_equal(k.load_gpa, 0x3000000);
	put_le(0x258, 0, 8);
	parse_ok(MEM);
	assert_int_equal(k.load_gpa, 1 * MiB);
	put_le(0x258, 0x80000, 8);
	reject("below 1 MiB");
	put_le(0x258, 0x1000800, 8);
	reject("not page aligned");
}

/* Sizes and addresses chosen to wrap 64-bit arithmetic are refused. */
static void test_overflow(void **state)
{
	mk();
	put_le(0x258, 0xFFFFFFFFFFFFF000ULL, 8);
	reject("lies above mem=256 MiB");
	reject_mem(~0ULL, "cannot be aligned");
	img[0x234] = 0;
	reject_mem(~0ULL, "beyond mem");
	put_le(0x258, 0xFFFFFFFFFFE00000ULL, 8);
	reject_mem(~0ULL, "beyond mem");
	mk();
	put_le(0x230, 0x80000000U, 4);
	put_le(0x258, 0xFFFFFFFF80000001ULL, 8);
	reject_mem(~0ULL, "cannot be aligned");
}

static void test_mem_too_small(void **state)
{
	mk();
	reject_mem(KEND - PAGE_SIZE, "needs [0x1000000, +0x2000000)");
	parse_ok(KEND);
	parse_ok(KEND + 0x800); /* mem= is taken page aligned down */
	assert_int_equal(k.mem_size, KEND);
	reject_mem(PREF, "beyond mem=16 MiB");
	reject_mem(PREF - PAGE_SIZE, "pref_address 0x1000000 lies above mem=15 MiB");
}

static void test_plan_fixed(void **state)
{
	mk();
	parse_ok(MEM);
	assert_true(plan(0, 0, 0));
	assert_int_equal(l.mem_size, MEM);
	assert_int_equal(l.zero_page, 0x1000);
	assert_int_equal(l.gdt, 0x2000);
	assert_int_equal(l.page_tables, 0x3000);
	assert_int_equal(l.stack_top, 0x10000);
	assert_int_equal(l.cmdline, 0x10000);
	assert_int_equal(l.cmdline_len, 0);
	assert_int_equal(l.acpi, 0);
	assert_int_equal(l.acpi_size, 0);
	assert_int_equal(l.kernel, PREF);
	assert_int_equal(l.kernel_end, KEND);
	assert_int_equal(l.initrd, 0);
	assert_int_equal(l.initrd_size, 0);
}

/* Highest fit below mem= and initrd_addr_max + 1, above the kernel. */
static void test_plan_initrd_high(void **state)
{
	mk();
	parse_ok(MEM);
	assert_true(plan(32 * MiB, 10, 0));
	assert_int_equal(l.initrd, MEM - 32 * MiB);
	assert_int_equal(l.initrd_size, 32 * MiB);
	assert_true(plan(1, 0, 0));
	assert_int_equal(l.initrd, MEM - PAGE_SIZE);
	assert_true(plan(PAGE_SIZE + 1, 0, 0));
	assert_int_equal(l.initrd, MEM - 2 * PAGE_SIZE);
	/* initrd_addr_max below the end of RAM bounds the initrd's last byte. */
	put_le(0x22C, 128 * MiB - 1, 4);
	parse_ok(MEM);
	assert_true(plan(32 * MiB, 0, 0));
	assert_int_equal(l.initrd, 96 * MiB);
	/* boot.rst's example: 131072 bytes below 0x37FFFFFF start at 0x37FE0000. */
	put_le(0x22C, 0x37FFFFFF, 4);
	parse_ok(1 * GiB);
	assert_true(plan(131072, 0, 0));
	assert_int_equal(l.initrd, 0x37FE0000);
	/* An unaligned limit: the start goes down to a page boundary. */
	put_le(0x22C, 0x37FFF7FF, 4);
	parse_ok(1 * GiB);
	assert_true(plan(0x800, 0, 0));
	assert_int_equal(l.initrd, 0x37FFF000);
}

/* Exactly what fits between the kernel and mem=; one page more does not. */
static void test_plan_initrd_exact(void **state)
{
	mk();
	parse_ok(KEND + 20 * MiB);
	assert_true(plan(20 * MiB, 0, 0));
	assert_int_equal(l.initrd, KEND);
	expect_reason(plan(20 * MiB + PAGE_SIZE, 0, 0), "initrd (20484 KiB) does not fit");
	assert_true(plan(20 * MiB - 1, 0, 0));
	assert_int_equal(l.initrd, KEND);
	/* initrd_addr_max + 1 at the kernel's end leaves only the room below it. */
	put_le(0x22C, KEND - 1, 4);
	parse_ok(MEM);
	expect_reason(plan(20 * MiB, 0, 0), "below 0x3000000");
}

/* Below the kernel, between 1 MiB and load_gpa, when nothing fits above. */
static void test_plan_initrd_low(void **state)
{
	mk();
	parse_ok(KEND);
	assert_true(plan(8 * MiB, 0, 0));
	assert_int_equal(l.initrd, 8 * MiB);
	assert_true(plan(15 * MiB, 0, 0));
	assert_int_equal(l.initrd, 1 * MiB);
	expect_reason(plan(15 * MiB + PAGE_SIZE, 0, 0), "beside the kernel [0x1000000, 0x3000000)");
	/* initrd_addr_max below the kernel: the low room, capped by it. */
	put_le(0x22C, 4 * MiB - 1, 4);
	parse_ok(MEM);
	assert_true(plan(3 * MiB, 0, 0));
	assert_int_equal(l.initrd, 1 * MiB);
	expect_reason(plan(3 * MiB + 1, 0, 0), "below 0x400000");
	put_le(0x22C, 0, 4);
	parse_ok(MEM);
	expect_reason(plan(1, 0, 0), "initrd (0 KiB) does not fit below 0x1");
	assert_true(plan(0, 0, 0));
}

static void test_plan_cmdline(void **state)
{
	mk();
	parse_ok(MEM);
	assert_true(plan(0, 2047, 0));
	assert_int_equal(l.cmdline_len, 2047);
	expect_reason(plan(0, 2048, 0), "2048 bytes, the kernel takes at most 2047");
	put_le(0x238, 0, 4);
	parse_ok(MEM);
	assert_true(plan(0, 0, 0));
	expect_reason(plan(0, 1, 0), "cmdline_size");
	put_le(0x238, 0xFFFFFFFF, 4);
	parse_ok(MEM);
	assert_true(plan(0, 0xFFFF, 0));
	expect_reason(plan(0, 0x10000, 0), "Keel's area holds 65536");
	expect_reason(plan(0, ~0ULL, 0), "cmdline_size");
}

static void test_plan_acpi_and_mem(void **state)
{
	mk();
	parse_ok(MEM);
	assert_true(plan(0, 0, 1));
	assert_int_equal(l.acpi, 0xFF000);
	assert_int_equal(l.acpi_size, 0x1000);
	assert_true(plan(0, 0, 0x20000));
	assert_int_equal(l.acpi, 0xE0000);
	assert_int_equal(l.acpi_size, 0x20000);
	expect_reason(plan(0, 0, 0x20001), "BIOS area 0xE0000-0xFFFFF");
	expect_reason(plan(0, 0, ~0ULL), "BIOS area");
	parse_ok(LINUX_MEM_MAX);
	assert_true(plan(64 * MiB, 0, 0));
	assert_int_equal(l.initrd, 0x80000000 - 64 * MiB); /* initrd_addr_max */
	parse_ok(LINUX_MEM_MAX + PAGE_SIZE);
	expect_reason(plan(0, 0, 0), "0xFEC00000");
	parse_ok(8 * GiB);
	expect_reason(plan(0, 0, 0), "at most 4076 MiB");
}

/* The e820 map for mem=256M, entry by entry. */
static void test_e820(void **state)
{
	struct linux_e820_entry e[LINUX_E820_ENTRIES];

	mk();
	parse_ok(MEM);
	assert_true(plan(0, 0, 0x3000));
	linux_boot_e820(&l, e);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9FC00);
	assert_int_equal(e[0].type, 1);
	assert_int_equal(e[1].addr, 0x9FC00);
	assert_int_equal(e[1].size, 0x400);
	assert_int_equal(e[1].type, 2);
	assert_int_equal(e[2].addr, 0xA0000);
	assert_int_equal(e[2].size, 0x60000);
	assert_int_equal(e[2].type, 2);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, MEM - 0x100000);
	assert_int_equal(e[3].type, 1);
}

/*
 * The zero page, byte for byte, against a page built here from the
 * protocol's literal offsets: all zero but the setup header copied from
 * 0x1F1 to 0x26C and the fields a loader writes.
 */
static void test_boot_params(void **state)
{
	static u8 bp[BP_SIZE], want[BP_SIZE];
	static const u8 e820[4][20] = {
	    {0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xFC, 0x09, 0, 0, 0, 0, 0, 1, 0, 0, 0},
	    {0x00, 0xFC, 0x09, 0, 0, 0, 0, 0, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0},
	    {0, 0, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 2, 0, 0, 0},
	    {0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x0F, 0, 0, 0, 0, 1, 0, 0, 0},
	};

	mk();
	parse_ok(MEM);
	assert_true(plan(0x123456, 100, 0x2000));
	memset(bp, 0xAB, sizeof(bp));
	linux_boot_params(img, &k, &l, 0xFE000, bp);

	memset(want, 0, sizeof(want));
	memcpy(want + 0x1F1, img + 0x1F1, 0x26C - 0x1F1);
	want[0x210] = 0xFF;				     /* type_of_loader */
	want[0x211] = 0x01;				     /* loadflags: LOADED_HIGH only */
	memcpy(want + 0x214, "\x00\x00\x00\x01", 4);	     /* code32_start 16 MiB */
	memcpy(want + 0x218, "\x00\xc0\xed\x0f", 4);	     /* ramdisk_image */
	memcpy(want + 0x21C, "\x56\x34\x12\x00", 4);	     /* ramdisk_size */
	memcpy(want + 0x228, "\x00\x00\x01\x00", 4);	     /* cmd_line_ptr */
	memset(want + 0x250, 0, 8);			     /* setup_data */
	memcpy(want + 0x070, "\x00\xe0\x0f\x00\0\0\0\0", 8); /* acpi_rsdp_addr */
	want[0x1E8] = 4;				     /* e820_entries */
	memcpy(want + 0x2D0, e820, sizeof(e820));
	assert_int_equal(l.initrd, 0x0FEDC000); /* 256 MiB - 0x124000 */
	for (unsigned i = 0; i < BP_SIZE; i++)
		if (bp[i] != want[i])
			fail_msg("boot_params byte 0x%x is 0x%02x, expected 0x%02x", i, bp[i],
				 want[i]);
	/* The header's other bytes are the image's, the sentinel and 0x26C are not. */
	assert_int_equal(bp[0x1EF], 0);
	assert_int_equal(bp[0x26C], 0);
	assert_int_equal(get_le(bp, 0x224, 2), 0xDE00); /* heap_end_ptr, as in the file */
	assert_int_equal(get_le(bp, 0x258, 8), PREF);
}

/* A GPA above 4 GiB for the command line or initrd goes to the ext_ fields. */
static void test_boot_params_ext(void **state)
{
	static u8 bp[BP_SIZE];

	mk();
	parse_ok(MEM);
	assert_true(plan(0, 0, 0));
	l.cmdline = 0x123456789ULL;
	l.initrd = 0x2ABCDE000ULL;
	l.initrd_size = 0x300000001ULL;
	linux_boot_params(img, &k, &l, 0, bp);
	assert_int_equal(get_le(bp, 0x228, 4), 0x23456789);
	assert_int_equal(get_le(bp, 0x0C8, 4), 1);
	assert_int_equal(get_le(bp, 0x218, 4), 0xABCDE000);
	assert_int_equal(get_le(bp, 0x0C0, 4), 2);
	assert_int_equal(get_le(bp, 0x21C, 4), 1);
	assert_int_equal(get_le(bp, 0x0C4, 4), 3);
	assert_int_equal(get_le(bp, 0x070, 8), 0);
}

static void test_gdt_and_entry(void **state)
{
	u64 gdt[LINUX_GDT_ENTRIES];
	struct linux_entry e;

	linux_boot_gdt(gdt);
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[1], 0);
	assert_int_equal(gdt[2], 0x00AF9B000000FFFFULL); /* 0x10: 64-bit code, L=1 D=0 */
	assert_int_equal(gdt[3], 0x00CF93000000FFFFULL); /* 0x18: flat data */
	mk();
	parse_ok(MEM);
	assert_true(plan(0, 0, 0));
	linux_boot_entry(&k, &l, &e);
	assert_int_equal(e.rip, PREF + 0x200);
	assert_int_equal(e.rsi, 0x1000);
	assert_int_equal(e.rsp, 0x10000);
	assert_int_equal(e.rflags, 0x2);
	assert_int_equal(e.cr3, 0x3000);
	assert_int_equal(e.gdt_base, 0x2000);
	assert_int_equal(e.gdt_limit, 31);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
}

/* Walks the built tables as the CPU would: every 2 MiB page maps to itself. */
static void test_page_tables(void **state)
{
	static u8 pt[LINUX_PT_PAGES * PAGE_SIZE];
	const u64 base = 0x3000;

	memset(pt, 0xCC, sizeof(pt));
	linux_boot_page_tables(base, pt);
	assert_int_equal(get_le(pt, 0, 8), 0x4003);
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(get_le(pt, i * 8, 8), 0);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(get_le(pt, 0x1000 + i * 8, 8), i < 4 ? 0x5003 + i * 0x1000 : 0);
	for (u64 va = 0; va < 4 * GiB; va += 2 * MiB) {
		u64 pdpte = get_le(pt, 0x1000 + (va >> 30) * 8, 8);
		u64 pde = get_le(pt, (pdpte & ~0xFFFULL) - base + ((va >> 21) & 511) * 8, 8);

		assert_int_equal(pde, va | 0x83);
	}
}

/* Finds a distribution bzImage to read; NULL when the host has none. */
static char *real_kernel_path(void)
{
	const char *env = getenv("KEEL_TEST_BZIMAGE");
	glob_t g;
	char *path = NULL;

	if (env && *env)
		return strdup(env);
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) == 0 && g.gl_pathc > 0)
		path = strdup(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

static u8 *read_file(const char *path, u64 *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (u64)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len ? *len : 1);
	if (fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * A real kernel (Debian 12's 6.1 bzImage, protocol 2.15) parses, plans with
 * a 40 MiB initrd at mem=1G and gives a zero page whose header is the
 * file's. Skipped when no kernel is at hand.
 */
static void test_real_kernel(void **state)
{
	static u8 bp[BP_SIZE];
	char *path = real_kernel_path();
	u64 len = 0;
	u8 *buf = path ? read_file(path, &len) : NULL;

	if (!buf) {
		free(path);
		skip();
		return; /* skip() does not return; this tells static analysis so */
	}
	if (!linux_boot_parse(buf, len, 1 * GiB, &k, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	printf("[ INFO     ] %s: protocol %u.%02u, pref_address 0x%lx, kernel_alignment 0x%x, "
	       "init_size 0x%x, xloadflags 0x%x, code 0x%lx bytes at 0x%lx\n",
	       path, (unsigned)(k.version >> 8), (unsigned)(k.version & 0xFF), k.pref_address,
	       k.kernel_alignment, k.init_size, k.xloadflags, k.code_size, k.code_offset);
	assert_true(k.version >= 0x020F);
	assert_true(k.xloadflags & XLF_KERNEL_64);
	assert_true(k.relocatable);
	assert_true(k.code_offset + k.code_size <= len);
	assert_int_equal(k.load_gpa, ALIGN_UP(k.pref_address, k.kernel_alignment));
	assert_int_equal(k.entry_gpa, k.load_gpa + 0x200);
	if (!linux_boot_plan(&k, 40 * MiB, 200, 0x2000, &l, err, sizeof(err)))
		fail_msg("plan: %s", err);
	assert_true(l.initrd >= l.kernel_end || l.initrd + 40 * MiB <= l.kernel);
	linux_boot_params(buf, &k, &l, 0xFF000, bp);
	assert_memory_equal(bp + 0x1F1, buf + 0x1F1, 0x210 - 0x1F1);
	assert_memory_equal(bp + 0x22C, buf + 0x22C, 0x250 - 0x22C);
	assert_memory_equal(bp + 0x258, buf + 0x258, k.hdr_end - 0x258);
	assert_int_equal(bp[0x1EF], 0);
	free(buf);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_is_bzimage),
	    cmocka_unit_test(test_setup_sects_zero),
	    cmocka_unit_test(test_protocol_2_12),
	    cmocka_unit_test(test_bad_magic),
	    cmocka_unit_test(test_old_protocol),
	    cmocka_unit_test(test_no_64bit_entry),
	    cmocka_unit_test(test_header_jump),
	    cmocka_unit_test(test_code_outside_file),
	    cmocka_unit_test(test_init_size),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_placement),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_mem_too_small),
	    cmocka_unit_test(test_plan_fixed),
	    cmocka_unit_test(test_plan_initrd_high),
	    cmocka_unit_test(test_plan_initrd_exact),
	    cmocka_unit_test(test_plan_initrd_low),
	    cmocka_unit_test(test_plan_cmdline),
	    cmocka_unit_test(test_plan_acpi_and_mem),
	    cmocka_unit_test(test_e820),
	    cmocka_unit_test(test_boot_params),
	    cmocka_unit_test(test_boot_params_ext),
	    cmocka_unit_test(test_gdt_and_entry),
	    cmocka_unit_test(test_page_tables),
	    cmocka_unit_test(test_real_kernel),
	};

	return cmocka_run_group_tests_name("linux_boot", tests, NULL, NULL);
}
