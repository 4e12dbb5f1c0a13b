/*
 * Host tests for boot/mb2.c: the multiboot2 info parser on hand-built info
 * blocks, good and malformed. Blocks that must be rejected are also parsed
 * from an exactly-sized heap copy, so ASan catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/mb2.h"

#define INFO_PA 0x10000ULL

/* A multiboot2 info block under construction. */
struct builder {
	u8 buf[16384] __aligned(8);
	u32 len;
};

static struct builder b;
static struct boot_info bi;
static char err[256];

static void b_init(void)
{
	memset(&b, 0, sizeof(b));
	b.len = sizeof(struct mb2_info_header);
}

static void b_set_total(u32 total)
{
	memcpy(b.buf, &total, sizeof(total));
}

/* Appends a tag header of the given size at the next 8-byte boundary. */
static u8 *b_tag(u32 type, u32 size)
{
	struct mb2_tag h = {type, size};
	u8 *t;

	b.len = ALIGN_UP(b.len, 8);
	t = b.buf + b.len;
	assert_true(b.len + ALIGN_UP(size, 8) <= sizeof(b.buf));
	memcpy(t, &h, sizeof(h));
	b.len += size;
	return t;
}

static void b_end(void)
{
	b_tag(MB2_TAG_END, 8);
	b_set_total(b.len);
}

static u8 *b_string(u32 type, const char *s)
{
	u32 n = (u32)strlen(s) + 1;
	u8 *t = b_tag(type, 8 + n);

	memcpy(t + 8, s, n);
	return t;
}

static u8 *b_module(u32 start, u32 end, const char *cmdline)
{
	u32 n = (u32)strlen(cmdline) + 1;
	u8 *t = b_tag(MB2_TAG_MODULE, 16 + n);

	memcpy(t + 8, &start, 4);
	memcpy(t + 12, &end, 4);
	memcpy(t + 16, cmdline, n);
	return t;
}

static u8 *b_mmap(const struct mb2_mmap_entry *e, u32 count, u32 entry_size)
{
	u8 *t = b_tag(MB2_TAG_MMAP, 16 + count * entry_size);
	u32 version = 0;

	memcpy(t + 8, &entry_size, 4);
	memcpy(t + 12, &version, 4);
	for (u32 i = 0; i < count; i++)
		memcpy(t + 16 + i * entry_size, &e[i], sizeof(*e));
	return t;
}

static const struct mb2_mmap_entry pc_map[] = {
    {0x0, 0x9fc00, MB2_MEMORY_AVAILABLE, 0},
    {0xf0000, 0x10000, MB2_MEMORY_RESERVED, 0},
    {0x100000, 0xfef0000, MB2_MEMORY_AVAILABLE, 0},
    {0xfffc0000, 0x40000, MB2_MEMORY_RESERVED, 0},
};

static u8 *b_acpi(u32 type, u32 rsdp_len, u8 fill)
{
	u8 *t = b_tag(type, 8 + rsdp_len);

	memset(t + 8, fill, rsdp_len);
	return t;
}

/* A block with one memory map: the smallest good info. */
static void b_minimal(void)
{
	b_init();
	b_mmap(pc_map, ARRAY_SIZE(pc_map), sizeof(struct mb2_mmap_entry));
}

static int parse_buf(u64 avail)
{
	return mb2_parse(b.buf, avail, INFO_PA, &bi, err, sizeof(err));
}

/* Parses a heap copy of exactly total_size bytes (ASan-checked bounds). */
static int parse_exact(void)
{
	u32 total;
	u8 *copy;
	int r;

	memcpy(&total, b.buf, 4);
	copy = malloc(total ? total : 1);
	memcpy(copy, b.buf, total);
	r = mb2_parse(copy, total, INFO_PA, &bi, err, sizeof(err));
	free(copy);
	return r;
}

static void expect_error(const char *needle)
{
	assert_int_equal(parse_buf(sizeof(b.buf)), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
	assert_int_equal(strncmp(err, "multiboot2: ", 12), 0);
	assert_null(strchr(err, '\n'));
	assert_int_equal(parse_exact(), -1);
}

static void test_good(void **state)
{
	b_init();
	b_string(MB2_TAG_CMDLINE, "console=com1 loglevel=debug");
	b_string(MB2_TAG_BOOT_LOADER_NAME, "GRUB 2.06");
	b_module(0x400000, 0x401234, "guest mem=64M");
	b_tag(MB2_TAG_LOAD_BASE_ADDR, 12); /* unknown to Keel: skipped */
	b_module(0x500000, 0x600000, "");
	b_mmap(pc_map, ARRAY_SIZE(pc_map), sizeof(struct mb2_mmap_entry));
	b_acpi(MB2_TAG_ACPI_NEW, 36, 0xbb);
	b_acpi(MB2_TAG_ACPI_OLD, 20, 0xaa); /* the new one wins */
	u8 *fb = b_tag(MB2_TAG_FRAMEBUFFER, 32);
	u64 fb_addr = 0xfd000000;
	u32 dims[3] = {4096, 1024, 768};
	memcpy(fb + 8, &fb_addr, 8);
	memcpy(fb + 16, dims, 12);
	fb[28] = 32;
	fb[29] = 1;
	b_end();

	assert_int_equal(parse_buf(b.len), 0);
	assert_string_equal(err, "");
	assert_int_equal(bi.info_start, INFO_PA);
	assert_int_equal(bi.info_end, INFO_PA + b.len);
	assert_string_equal(bi.cmdline, "console=com1 loglevel=debug");
	assert_string_equal(bi.loader_name, "GRUB 2.06");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x400000);
	assert_int_equal(bi.modules[0].end, 0x401234);
	assert_string_equal(bi.modules[0].cmdline, "guest mem=64M");
	assert_string_equal(bi.modules[1].cmdline, "");
	assert_int_equal(bi.region_count, 4);
	assert_int_equal(bi.regions[2].base, 0x100000);
	assert_int_equal(bi.regions[2].length, 0xfef0000);
	assert_int_equal(bi.regions[2].type, MB2_MEMORY_AVAILABLE);
	assert_int_equal(bi.regions[3].type, MB2_MEMORY_RESERVED);
	assert_non_null(bi.acpi.rsdp);
	assert_true(bi.acpi.is_new);
	assert_int_equal(bi.acpi.length, 36);
	assert_int_equal(bi.acpi.rsdp[0], 0xbb);
	assert_true(bi.framebuffer.present);
	assert_int_equal(bi.framebuffer.addr, 0xfd000000);
	assert_int_equal(bi.framebuffer.pitch, 4096);
	assert_int_equal(bi.framebuffer.width, 1024);
	assert_int_equal(bi.framebuffer.height, 768);
	assert_int_equal(bi.framebuffer.bpp, 32);
	assert_int_equal(bi.framebuffer.type, 1);
	assert_int_equal(parse_exact(), 0);
}

static void test_minimal_and_optional_absent(void **state)
{
	b_minimal();
	b_acpi(MB2_TAG_ACPI_OLD, 20, 0xaa);
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(parse_buf(b.len), 0); /* bi points into b.buf now */
	assert_null(bi.cmdline);
	assert_null(bi.loader_name);
	assert_int_equal(bi.module_count, 0);
	assert_false(bi.framebuffer.present);
	assert_false(bi.acpi.is_new);
	assert_int_equal(bi.acpi.length, 20);
	assert_int_equal(bi.acpi.rsdp[19], 0xaa);
}

/* A wider entry_size (a loader appending fields) is followed correctly. */
static void test_mmap_wide_entries(void **state)
{
	b_init();
	b_mmap(pc_map, ARRAY_SIZE(pc_map), 32);
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(bi.region_count, 4);
	assert_int_equal(bi.regions[3].base, 0xfffc0000);
	assert_int_equal(bi.regions[3].type, MB2_MEMORY_RESERVED);
}

static void test_header_errors(void **state)
{
	b_minimal();
	b_end();
	/* total_size past the bytes the caller can read */
	assert_int_equal(parse_buf(b.len - 1), -1);
	assert_non_null(strstr(err, "is past the"));
	assert_int_equal(parse_buf(7), -1);
	assert_non_null(strstr(err, "less than the 8-byte header"));
	assert_int_equal(mb2_parse(NULL, 64, INFO_PA, &bi, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no info block"));
	assert_int_equal(mb2_parse(b.buf, b.len, INFO_PA + 4, &bi, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not 8-byte aligned"));
	assert_int_equal(mb2_parse(b.buf, b.len, UINT64_MAX - 7, &bi, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wraps"));
	b_set_total(4);
	expect_error("total_size 0x4 is less than the 8-byte header");
}

static void test_tag_size_past_end(void **state)
{
	b_minimal();
	u8 *t = b_string(MB2_TAG_CMDLINE, "x");
	b_end();
	u32 big = 0x2000, off = (u32)(t - b.buf);
	memcpy(t + 4, &big, 4);
	char want[128];
	snprintf(want, sizeof(want),
		 "multiboot2: tag 1 at offset 0x%x has size 0x2000 past the end of the info (0x%x)",
		 off, b.len);
	assert_int_equal(parse_buf(sizeof(b.buf)), -1);
	assert_string_equal(err, want);
	assert_int_equal(parse_exact(), -1);
}

static void test_tag_size_too_small(void **state)
{
	b_minimal();
	u8 *t = b_tag(MB2_TAG_BOOTDEV, 20);
	b_end();
	u32 four = 4;
	memcpy(t + 4, &four, 4);
	expect_error("has size 0x4, less than 8");
}

static void test_missing_end_tag(void **state)
{
	b_minimal();
	b_set_total(b.len); /* ends right after the mmap tag */
	expect_error("no end tag");
}

/* Every truncation of a good block is refused, and read within bounds. */
static void test_every_truncation(void **state)
{
	b_init();
	b_string(MB2_TAG_CMDLINE, "console=com1");
	b_module(0x400000, 0x401000, "g");
	b_mmap(pc_map, ARRAY_SIZE(pc_map), sizeof(struct mb2_mmap_entry));
	b_acpi(MB2_TAG_ACPI_OLD, 20, 1);
	b_end();
	u32 full = b.len;
	for (u32 n = 0; n < full; n++) {
		u8 *copy = malloc(n ? n : 1);

		b_set_total(n);
		memcpy(copy, b.buf, n);
		assert_int_equal(mb2_parse(copy, n, INFO_PA, &bi, err, sizeof(err)), -1);
		assert_true(strlen(err) > 12);
		free(copy);
	}
	b_set_total(full);
	assert_int_equal(parse_exact(), 0);
}

static void test_unterminated_strings(void **state)
{
	b_minimal();
	u8 *t = b_string(MB2_TAG_CMDLINE, "abc");
	b_end();
	t[8 + 3] = 'd'; /* overwrite the NUL */
	expect_error("tag 1 at offset");
	assert_non_null(strstr(err, "not NUL-terminated"));

	b_minimal();
	t = b_module(0x400000, 0x401000, "xy");
	b_end();
	t[16 + 2] = 'z';
	expect_error("module 0 at offset");

	b_minimal();
	b_tag(MB2_TAG_CMDLINE, 8); /* no room for even the NUL */
	b_end();
	expect_error("not NUL-terminated");
}

static void test_mmap_entry_size(void **state)
{
	b_init();
	b_mmap(pc_map, 2, 0);
	b_end();
	expect_error("entry_size 0x0");

	b_init();
	b_mmap(pc_map, 2, 28);
	b_end();
	expect_error("entry_size 0x1c");

	b_init();
	b_mmap(pc_map, 2, 16);
	b_end();
	expect_error("entry_size 0x10");

	/* entries that do not fill the tag exactly */
	b_init();
	u8 *t = b_mmap(pc_map, 2, 24);
	u32 odd = 16 + 2 * 24 + 8;
	memcpy(t + 4, &odd, 4);
	b.len = (u32)(t - b.buf) + odd;
	b_end();
	expect_error("not a multiple of entry_size 0x18");

	/* the fixed part does not fit */
	b_init();
	b_tag(MB2_TAG_MMAP, 12);
	b_end();
	expect_error("too small (0xc) for its fixed part (0x10)");
}

static void test_region_limits(void **state)
{
	static struct mb2_mmap_entry many[MB2_MAX_REGIONS + 1];

	for (u32 i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct mb2_mmap_entry){i * 0x1000ULL, 0x1000, 1, 0};
	b_init();
	b_mmap(many, MB2_MAX_REGIONS, 24);
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(bi.region_count, MB2_MAX_REGIONS);

	b_init();
	b_mmap(many, MB2_MAX_REGIONS + 1, 24);
	b_end();
	expect_error("more than 256 memory regions");

	struct mb2_mmap_entry wrap = {0xfffffffffffff000ULL, 0x2000, 1, 0};
	b_init();
	b_mmap(&wrap, 1, 24);
	b_end();
	expect_error("wraps past 2^64");
}

static void test_modules(void **state)
{
	b_minimal();
	b_module(0x400000, 0x500000, "a");
	b_module(0x4ff000, 0x600000, "b");
	b_end();
	expect_error("module 0 [0x400000-0x500000) overlaps module 1 [0x4ff000-0x600000)");

	/* touching is not overlapping */
	b_minimal();
	b_module(0x400000, 0x500000, "a");
	b_module(0x500000, 0x600000, "b");
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(bi.module_count, 2);

	b_minimal();
	b_module(0x400000, 0x400000, "");
	b_end();
	expect_error("module 0 [0x400000-0x400000) is empty or inverted");

	b_minimal();
	b_module(0x500000, 0x400000, "");
	b_end();
	expect_error("is empty or inverted");

	b_minimal();
	b_module(INFO_PA - 0x1000, INFO_PA + 8, "");
	b_end();
	expect_error("overlaps the info");

	b_minimal();
	b_tag(MB2_TAG_MODULE, 12);
	b_end();
	expect_error("too small (0xc) for its fixed part (0x10)");
}

static void test_too_many_modules(void **state)
{
	b_minimal();
	for (u32 i = 0; i < MB2_MAX_MODULES; i++)
		b_module(0x1000000 + i * 0x1000, 0x1001000 + i * 0x1000, "m");
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(bi.module_count, MB2_MAX_MODULES);

	b_minimal();
	for (u32 i = 0; i <= MB2_MAX_MODULES; i++)
		b_module(0x1000000 + i * 0x1000, 0x1001000 + i * 0x1000, "m");
	b_end();
	expect_error("more than 64 modules");
}

static void test_duplicates_and_missing(void **state)
{
	b_minimal();
	b_mmap(pc_map, 1, 24);
	b_end();
	expect_error("duplicate tag 6");

	b_minimal();
	b_string(MB2_TAG_CMDLINE, "a");
	b_string(MB2_TAG_CMDLINE, "b");
	b_end();
	expect_error("duplicate tag 1");

	b_init();
	b_string(MB2_TAG_CMDLINE, "a");
	b_end();
	expect_error("no memory map tag");
}

static void test_acpi_and_framebuffer_sizes(void **state)
{
	b_minimal();
	b_acpi(MB2_TAG_ACPI_OLD, 19, 0);
	b_end();
	expect_error("ACPI tag 14 at offset 0x");
	assert_non_null(strstr(err, "holds 0x13 bytes, less than the 0x14-byte RSDP"));

	/* tag 15 wins whichever comes first */
	b_minimal();
	b_acpi(MB2_TAG_ACPI_OLD, 20, 0xaa);
	b_acpi(MB2_TAG_ACPI_NEW, 40, 0xbb);
	b_end();
	assert_int_equal(parse_buf(b.len), 0);
	assert_true(bi.acpi.is_new);
	assert_int_equal(bi.acpi.length, 40);
	assert_int_equal(bi.acpi.rsdp[0], 0xbb);

	b_minimal();
	b_acpi(MB2_TAG_ACPI_NEW, 20, 0);
	b_end();
	expect_error("less than the 0x24-byte RSDP");

	b_minimal();
	b_tag(MB2_TAG_FRAMEBUFFER, 24);
	b_end();
	expect_error("tag 8 at offset");
}

/* A framebuffer tag: RGB 8:8:8 at 16/8/0 unless bpp or type say otherwise. */
static void b_fb(u64 addr, u32 pitch, u32 width, u32 height, u8 bpp, u8 type, u32 size)
{
	u8 *t = b_tag(MB2_TAG_FRAMEBUFFER, size);
	struct mb2_fb_rgb rgb = {16, 8, 8, 8, 0, 8};
	u32 dims[3] = {pitch, width, height};

	memcpy(t + 8, &addr, 8);
	memcpy(t + 16, dims, 12);
	t[28] = bpp;
	t[29] = type;
	if (size >= 38)
		memcpy(t + 32, &rgb, sizeof(rgb));
}

#define IMAGE_START 0x200000ULL
#define IMAGE_END   0x800000ULL

static enum mb2_fb_kind fb_kind(void)
{
	b_end();
	assert_int_equal(parse_exact(), 0);
	assert_int_equal(parse_buf(b.len), 0);
	return mb2_fb_check(&bi, IMAGE_START, IMAGE_END, err, sizeof(err));
}

static void expect_fb_unusable(const char *needle)
{
	assert_int_equal(fb_kind(), MB2_FB_UNUSABLE);
	if (!strstr(err, needle))
		fail_msg("reason '%s' does not contain '%s'", err, needle);
	assert_null(strchr(err, '\n'));
}

static void test_framebuffer_check(void **state)
{
	b_minimal();
	assert_int_equal(fb_kind(), MB2_FB_NONE);

	b_minimal();
	b_fb(0xb8000, 160, 80, 25, 16, MB2_FB_TYPE_EGA_TEXT, 32);
	assert_int_equal(fb_kind(), MB2_FB_TEXT);

	/* QEMU's OVMF (800x600x24) and SeaBIOS VBE (1280x800x32) modes, 16 bpp */
	b_minimal();
	b_fb(0x80000000, 2400, 800, 600, 24, MB2_FB_TYPE_RGB, 38);
	assert_int_equal(fb_kind(), MB2_FB_RGB);
	assert_string_equal(err, "");
	assert_int_equal(bi.framebuffer.rgb.red_pos, 16);
	assert_int_equal(bi.framebuffer.rgb.blue_size, 8);
	b_minimal();
	b_fb(0xfd000000, 5120, 1280, 800, 32, MB2_FB_TYPE_RGB, 40);
	assert_int_equal(fb_kind(), MB2_FB_RGB);
	b_minimal();
	b_fb(0xfd000000, 1280, 640, 480, 16, MB2_FB_TYPE_RGB, 38);
	assert_int_equal(fb_kind(), MB2_FB_UNUSABLE); /* 8-bit channels at 16 do not fit 16 */
	assert_non_null(strstr(err, "red channel (8 bits at bit 16) is not 1-8 bits inside 16"));

	b_minimal();
	b_fb(0xfd000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 32);
	expect_fb_unusable("no RGB colour info");
	b_minimal();
	b_fb(0xfd000000, 1024, 1024, 768, 8, MB2_FB_TYPE_INDEXED, 40);
	expect_fb_unusable("type 0 (Keel draws on RGB, type 1)");
	b_minimal();
	b_fb(0xfd000000, 1024, 1024, 768, 8, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("8 bits per pixel (Keel draws 16, 24 or 32)");
	b_minimal();
	b_fb(0xfd000000, 4096, 0, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("0x768 pixels is not 1 to 16384 each way");
	b_minimal();
	b_fb(0xfd000000, 4096, 16385, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("16385x768 pixels");
	b_minimal();
	b_fb(0xfd000000, 4095, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("pitch 4095 is less than a row of 1024 pixels");
	b_minimal();
	b_fb(0x1000, 65536, 16384, 16384, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("is more than 512 MiB");
}

static void test_framebuffer_place(void **state)
{
	b_minimal();
	b_fb(0x100000000ULL, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("[0x100000000-0x100300000) is not within [0x1000, 0x100000000)");
	b_minimal();
	b_fb(0xfff00000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38); /* crosses 4 GiB */
	expect_fb_unusable("is not within");
	b_minimal();
	b_fb(0, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("is not within");
	b_minimal();
	b_fb(0xffffffffffff0000ULL, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("wraps past 2^64");
	b_minimal();
	b_fb(0x7ff000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("overlaps Keel's image [0x200000-0x800000)");
	b_minimal();
	b_fb(0x20000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	b_module(0x20100000, 0x20101000, "g");
	expect_fb_unusable("overlaps module 0");
	b_minimal();
	b_fb(INFO_PA - 4096, 4096, 1024, 2, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("overlaps the multiboot2 info");
	/* pc_map's RAM from 1 MiB to 0xfff0000: a framebuffer there would be handed out */
	b_minimal();
	b_fb(0xa000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	expect_fb_unusable("overlaps usable RAM [0x100000-0xfff0000)");
	/* in the reserved gap at the top of 4 GiB it is fine */
	b_minimal();
	b_fb(0xfffc0000, 1024, 256, 256, 32, MB2_FB_TYPE_RGB, 38);
	assert_int_equal(fb_kind(), MB2_FB_RGB);
	/* no room for the reason: the verdict stands */
	b_minimal();
	b_fb(0, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB, 38);
	b_end();
	assert_int_equal(parse_buf(b.len), 0);
	assert_int_equal(mb2_fb_check(&bi, IMAGE_START, IMAGE_END, NULL, 0), MB2_FB_UNUSABLE);
}

static void test_error_buffer(void **state)
{
	char small[16];

	b_init();
	b_end();
	assert_int_equal(mb2_parse(b.buf, b.len, INFO_PA, &bi, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(mb2_parse(b.buf, b.len, INFO_PA, &bi, NULL, 0), -1);
}

/* Corrupted blocks: whatever the verdict, no read outside the bytes. */
static void test_random_corruption(void **state)
{
	u64 seed = 12345;

	for (int round = 0; round < 3000; round++) {
		b_init();
		b_string(MB2_TAG_CMDLINE, "console=com1");
		b_module(0x400000, 0x401000, "g");
		b_mmap(pc_map, ARRAY_SIZE(pc_map), 24);
		b_acpi(MB2_TAG_ACPI_NEW, 36, 1);
		b_end();
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			b.buf[4 + (seed >> 33) % (b.len - 4)] = (u8)(seed >> 17);
		}
		parse_exact();
	}
}

static void test_keel_options(void **state)
{
	assert_null(mb2_keel_options(NULL));
	assert_string_equal(mb2_keel_options("console=com1"), "console=com1");
	assert_string_equal(mb2_keel_options("/boot/keel.elf console=com1"), " console=com1");
	assert_string_equal(mb2_keel_options("  /boot/keel.elf"), "");
	assert_string_equal(mb2_keel_options(""), "");
	assert_string_equal(mb2_keel_options("x=/y"), "x=/y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_minimal_and_optional_absent),
	    cmocka_unit_test(test_mmap_wide_entries),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_tag_size_past_end),
	    cmocka_unit_test(test_tag_size_too_small),
	    cmocka_unit_test(test_missing_end_tag),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_unterminated_strings),
	    cmocka_unit_test(test_mmap_entry_size),
	    cmocka_unit_test(test_region_limits),
	    cmocka_unit_test(test_modules),
	    cmocka_unit_test(test_too_many_modules),
	    cmocka_unit_test(test_duplicates_and_missing),
	    cmocka_unit_test(test_acpi_and_framebuffer_sizes),
	    cmocka_unit_test(test_framebuffer_check),
	    cmocka_unit_test(test_framebuffer_place),
	    cmocka_unit_test(test_error_buffer),
	    cmocka_unit_test(test_random_corruption),
	    cmocka_unit_test(test_keel_options),
	};

	return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
