/*
 * libFuzzer target for boot/mb2.c: mb2_parse() on arbitrary info blocks.
 * Input: 1 byte err_len, 8 bytes info_pa (little-endian; kept 8-byte
 * aligned unless its low 3 bits are all set, so the misaligned refusal is
 * reached too), then the info block itself, copied to an exactly-sized heap
 * buffer so ASan flags any read past it. Beyond "no crash", each run checks
 * mb2.h's contract: every pointer in struct boot_info lies inside one tag
 * of the info and its string ends inside that tag, the RSDP fills its tag,
 * counts stay within their arrays, modules are non-empty and disjoint,
 * regions do not wrap, and the error is one line. The framebuffer check
 * (mb2_fb_check, with Keel's image at [2 MiB, 8 MiB)) is run on every
 * parsed info: a framebuffer it accepts is one Keel can draw on safely.
 */
#include "tests/fuzz/fuzz_check.h"

#include "boot/mb2.h"

static struct boot_info bi;

/*
 * The end of the tag holding p, found by walking the tags again (after a
 * successful parse they are all well-formed); NULL if p is in no tag.
 */
static const u8 *tag_end_of(const void *p, const u8 *info, u64 total)
{
	u64 off = sizeof(struct mb2_info_header);

	while (off + sizeof(struct mb2_tag) <= total) {
		struct mb2_tag t;

		memcpy(&t, info + off, sizeof(t));
		if (t.size < sizeof(t) || t.size > total - off)
			return NULL;
		if ((const u8 *)p >= info + off && (const u8 *)p < info + off + t.size)
			return info + off + t.size;
		off += ALIGN_UP((u64)t.size, MB2_TAG_ALIGN);
	}
	return NULL;
}

/* s is a NUL-terminated string wholly inside one tag of the info. */
static void check_string(const char *s, const u8 *info, u64 total)
{
	const u8 *end = tag_end_of(s, info, total);

	FUZZ_CHECK(end && fuzz_inside(s, 1, info, total));
	FUZZ_CHECK(memchr(s, '\0', (size_t)(end - (const u8 *)s)));
}

static void check_modules(const struct boot_info *b, const u8 *info, u64 total)
{
	FUZZ_CHECK(b->module_count <= MB2_MAX_MODULES);
	for (u32 i = 0; i < b->module_count; i++) {
		const struct mb2_module *m = &b->modules[i];

		FUZZ_CHECK(m->start < m->end);
		FUZZ_CHECK(m->end <= b->info_start || m->start >= b->info_end);
		check_string(m->cmdline, info, total);
		for (u32 j = 0; j < i; j++)
			FUZZ_CHECK(m->end <= b->modules[j].start || m->start >= b->modules[j].end);
	}
}

/* The whole contract of a successful parse. */
static void check_ok(const struct boot_info *b, const u8 *info, size_t avail, u64 info_pa)
{
	u64 total = b->info_end - b->info_start;
	u32 size;

	memcpy(&size, info, sizeof(size));
	FUZZ_CHECK(info_pa % MB2_TAG_ALIGN == 0);
	FUZZ_CHECK(b->info_start == info_pa && b->info_end >= info_pa);
	FUZZ_CHECK(total == size && total <= avail && total >= sizeof(struct mb2_info_header));
	if (b->cmdline) {
		const char *opts = mb2_keel_options(b->cmdline);

		check_string(b->cmdline, info, total);
		FUZZ_CHECK(opts >= b->cmdline && opts <= b->cmdline + strlen(b->cmdline));
	}
	if (b->loader_name)
		check_string(b->loader_name, info, total);
	FUZZ_CHECK(b->region_count <= MB2_MAX_REGIONS);
	for (u32 i = 0; i < b->region_count; i++)
		FUZZ_CHECK(b->regions[i].length <= UINT64_MAX - b->regions[i].base);
	check_modules(b, info, total);
	if (b->acpi.rsdp) {
		FUZZ_CHECK(fuzz_inside(b->acpi.rsdp, b->acpi.length, info, total));
		FUZZ_CHECK(b->acpi.rsdp + b->acpi.length == tag_end_of(b->acpi.rsdp, info, total));
		FUZZ_CHECK(b->acpi.length >=
			   (b->acpi.is_new ? MB2_RSDP_V2_SIZE : MB2_RSDP_V1_SIZE));
	}
}

#define IMAGE_START 0x200000ULL
#define IMAGE_END   0x800000ULL

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/* mb2_fb_check's verdict holds: an RGB framebuffer is drawable and clear of everything. */
static void check_fb(const struct boot_info *b, size_t why_len)
{
	const struct mb2_framebuffer *fb = &b->framebuffer;
	char *why = malloc(why_len ? why_len : 1);
	enum mb2_fb_kind kind = mb2_fb_check(b, IMAGE_START, IMAGE_END, why, why_len);
	u64 end = fb->addr + (u64)fb->pitch * fb->height;

	fuzz_check_err(why, why_len, kind == MB2_FB_UNUSABLE);
	FUZZ_CHECK((kind == MB2_FB_NONE) == !fb->present);
	FUZZ_CHECK(kind != MB2_FB_TEXT || fb->type == MB2_FB_TYPE_EGA_TEXT);
	free(why);
	if (kind != MB2_FB_RGB)
		return;
	FUZZ_CHECK(fb->type == MB2_FB_TYPE_RGB && fb->has_rgb);
	FUZZ_CHECK(fb->bpp == 16 || fb->bpp == 24 || fb->bpp == 32);
	FUZZ_CHECK(fb->rgb.red_pos + fb->rgb.red_size <= fb->bpp && fb->rgb.red_size <= 8);
	FUZZ_CHECK(fb->rgb.green_pos + fb->rgb.green_size <= fb->bpp && fb->rgb.green_size <= 8);
	FUZZ_CHECK(fb->rgb.blue_pos + fb->rgb.blue_size <= fb->bpp && fb->rgb.blue_size <= 8);
	FUZZ_CHECK(fb->width && fb->height && fb->pitch >= (u64)fb->width * (fb->bpp / 8));
	FUZZ_CHECK((u64)fb->pitch * fb->height <= MB2_FB_MAX_BYTES);
	FUZZ_CHECK(fb->addr >= 4096 && end > fb->addr && end <= MB2_FB_REACH);
	FUZZ_CHECK(!overlaps(fb->addr, end, IMAGE_START, IMAGE_END));
	FUZZ_CHECK(!overlaps(fb->addr, end, b->info_start, b->info_end));
	for (u32 i = 0; i < b->module_count; i++)
		FUZZ_CHECK(!overlaps(fb->addr, end, b->modules[i].start, b->modules[i].end));
	for (u32 i = 0; i < b->region_count; i++) {
		const struct mb2_region *r = &b->regions[i];

		FUZZ_CHECK(r->type != MB2_MEMORY_AVAILABLE ||
			   !overlaps(fb->addr, end, r->base, r->base + r->length));
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	size_t err_len = (size_t)fuzz_take(&data, &size, 1);
	u64 info_pa = fuzz_take(&data, &size, 8);
	u8 *info = malloc(size ? size : 1);
	char *err = malloc(err_len ? err_len : 1);
	int r;

	if ((info_pa & 7) != 7)
		info_pa &= ~7ULL;
	memcpy(info, data, size);
	r = mb2_parse(info, size, info_pa, &bi, err, err_len);
	FUZZ_CHECK(r == 0 || r == -1);
	fuzz_check_err(err, err_len, r != 0);
	if (r == 0) {
		check_ok(&bi, info, size, info_pa);
		check_fb(&bi, err_len);
	} else if (err_len > 12)
		FUZZ_CHECK(!strncmp(err, "multiboot2: ", 12));
	FUZZ_CHECK(!memcmp(info, data, size)); /* the parser never writes the info */
	free(err);
	free(info);
	return 0;
}
