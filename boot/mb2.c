/*
 * Multiboot2 info parser (Multiboot2 spec 3.6 "Boot information format").
 * Pure: it reads only the bytes it is given and writes only *out and err, so
 * it is host-tested and can be fuzzed. Every size comes from the boot loader
 * and is checked before the bytes it covers are read:
 *
 *   info + 0        total_size, reserved
 *   info + 8        tag: type, size, payload[size - 8]   (8-byte aligned)
 *   ...             tag ...
 *   end tag         type 0, size 8
 *   info + total_size
 */
#include "boot/mb2.h"
#include "lib/format.h"
#include "lib/string.h"

/* Shared, write-once at boot: boot_info_load (boot/init.c); read-only after. */
struct boot_info boot_info;

/* The walk's position and where its error goes. */
struct walk {
	const u8 *base;
	u64 total;
	u64 info_pa;
	u32 seen; /* BIT(type) for the tags that may appear once */
	struct boot_info *out;
	char *err;
	size_t err_len;
};

/* One tag, bounds already checked: payload[0, size - 8) is readable. */
struct tag {
	u32 type;
	u32 size;
	u64 offset;
	const u8 *bytes;
};

static int fail(struct walk *w, const char *fmt, ...) __printf(2, 3);

static int fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->err_len)
		return -1;
	va_start(ap, fmt);
	fmt_vsnprintf(w->err, w->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int need_fixed(struct walk *w, const struct tag *t, u32 fixed)
{
	if (t->size >= fixed)
		return 0;
	return fail(
	    w, "multiboot2: tag %u at offset 0x%lx is too small (0x%x) for its fixed part (0x%x)",
	    t->type, t->offset, t->size, fixed);
}

/* Tags Keel keeps one of: a second one is malformed rather than ignored. */
static int need_first(struct walk *w, const struct tag *t)
{
	if (w->seen & BIT(t->type))
		return fail(w, "multiboot2: duplicate tag %u at offset 0x%lx", t->type, t->offset);
	w->seen |= (u32)BIT(t->type);
	return 0;
}

/* A string filling [at, tag end) must hold its NUL inside the tag. */
static const char *tag_string(const struct tag *t, u32 at)
{
	const char *s = (const char *)t->bytes + at;
	size_t room = t->size - at;

	return strnlen(s, room) < room ? s : NULL;
}

static int parse_string(struct walk *w, const struct tag *t, const char **dst)
{
	const char *s;

	if (need_fixed(w, t, sizeof(struct mb2_tag_string)) || need_first(w, t))
		return -1;
	s = tag_string(t, sizeof(struct mb2_tag_string));
	if (!s)
		return fail(w, "multiboot2: tag %u at offset 0x%lx: string is not NUL-terminated",
			    t->type, t->offset);
	*dst = s;
	return 0;
}

static int parse_module(struct walk *w, const struct tag *t)
{
	const struct mb2_tag_module *m = (const void *)t->bytes;
	struct boot_info *out = w->out;
	struct mb2_module *mod;

	if (need_fixed(w, t, sizeof(*m)))
		return -1;
	if (out->module_count == MB2_MAX_MODULES)
		return fail(w, "multiboot2: more than %u modules", MB2_MAX_MODULES);
	mod = &out->modules[out->module_count];
	mod->start = m->mod_start;
	mod->end = m->mod_end;
	mod->cmdline = tag_string(t, sizeof(*m));
	if (!mod->cmdline)
		return fail(w,
			    "multiboot2: module %u at offset 0x%lx: cmdline is not NUL-terminated",
			    out->module_count, t->offset);
	if (mod->start >= mod->end)
		return fail(w, "multiboot2: module %u [0x%lx-0x%lx) is empty or inverted",
			    out->module_count, mod->start, mod->end);
	out->module_count++;
	return 0;
}

static int add_region(struct walk *w, const struct mb2_mmap_entry *e)
{
	struct boot_info *out = w->out;
	struct mb2_region *r;

	if (out->region_count == MB2_MAX_REGIONS)
		return fail(w, "multiboot2: more than %u memory regions", MB2_MAX_REGIONS);
	if (e->length > UINT64_MAX - e->base_addr)
		return fail(w, "multiboot2: memory region %u at 0x%lx length 0x%lx wraps past 2^64",
			    out->region_count, e->base_addr, e->length);
	r = &out->regions[out->region_count++];
	r->base = e->base_addr;
	r->length = e->length;
	r->type = e->type;
	return 0;
}

/*
 * The entries are entry_size apart (a loader may append fields to each), so
 * entry_size must cover struct mb2_mmap_entry, keep them 8-byte aligned, and
 * divide the entries' bytes exactly.
 */
static int parse_mmap(struct walk *w, const struct tag *t)
{
	const struct mb2_tag_mmap *m = (const void *)t->bytes;
	u32 bytes, step;

	if (need_fixed(w, t, sizeof(*m)) || need_first(w, t))
		return -1;
	step = m->entry_size;
	if (step < sizeof(struct mb2_mmap_entry) || step % 8)
		return fail(w,
			    "multiboot2: mmap tag at offset 0x%lx has entry_size 0x%x (need >= "
			    "0x%zx and a multiple of 8)",
			    t->offset, step, sizeof(struct mb2_mmap_entry));
	bytes = t->size - (u32)sizeof(*m);
	if (bytes % step)
		return fail(w,
			    "multiboot2: mmap tag at offset 0x%lx: 0x%x bytes of entries is not a "
			    "multiple of entry_size 0x%x",
			    t->offset, bytes, step);
	for (u32 at = 0; at < bytes; at += step) {
		if (add_region(w, (const void *)(t->bytes + sizeof(*m) + at)))
			return -1;
	}
	return 0;
}

/* The RSDP must fit in the tag; tag 15 (RSDP v2) wins over tag 14. */
static int parse_acpi(struct walk *w, const struct tag *t)
{
	bool is_new = t->type == MB2_TAG_ACPI_NEW;
	u32 need = is_new ? MB2_RSDP_V2_SIZE : MB2_RSDP_V1_SIZE;
	u32 have = t->size - (u32)sizeof(struct mb2_tag_acpi);
	struct mb2_acpi *acpi = &w->out->acpi;

	if (need_first(w, t))
		return -1;
	if (have < need)
		return fail(w,
			    "multiboot2: ACPI tag %u at offset 0x%lx holds 0x%x bytes, less than "
			    "the 0x%x-byte RSDP",
			    t->type, t->offset, have, need);
	if (acpi->is_new)
		return 0;
	acpi->rsdp = t->bytes + sizeof(struct mb2_tag_acpi);
	acpi->length = have;
	acpi->is_new = is_new;
	return 0;
}

static int parse_framebuffer(struct walk *w, const struct tag *t)
{
	const struct mb2_tag_framebuffer *f = (const void *)t->bytes;
	struct mb2_framebuffer *fb = &w->out->framebuffer;

	if (need_fixed(w, t, sizeof(*f)) || need_first(w, t))
		return -1;
	fb->present = true;
	fb->addr = f->addr;
	fb->pitch = f->pitch;
	fb->width = f->width;
	fb->height = f->height;
	fb->bpp = f->bpp;
	fb->type = f->fb_type;
	/* The colour info is read only if the tag holds it; mb2_fb_check refuses RGB without. */
	if (f->fb_type == MB2_FB_TYPE_RGB && t->size >= sizeof(*f) + sizeof(fb->rgb)) {
		memcpy(&fb->rgb, t->bytes + sizeof(*f), sizeof(fb->rgb));
		fb->has_rgb = true;
	}
	return 0;
}

static int parse_tag(struct walk *w, const struct tag *t)
{
	switch (t->type) {
	case MB2_TAG_CMDLINE:
		return parse_string(w, t, &w->out->cmdline);
	case MB2_TAG_BOOT_LOADER_NAME:
		return parse_string(w, t, &w->out->loader_name);
	case MB2_TAG_MODULE:
		return parse_module(w, t);
	case MB2_TAG_MMAP:
		return parse_mmap(w, t);
	case MB2_TAG_FRAMEBUFFER:
		return parse_framebuffer(w, t);
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		return parse_acpi(w, t);
	default:
		return 0; /* not needed by Keel; its bounds were checked */
	}
}

/* Reads the tag header at offset and checks the whole tag lies in the info. */
static int read_tag(struct walk *w, u64 offset, struct tag *t)
{
	const struct mb2_tag *h = (const void *)(w->base + offset);

	if (offset + sizeof(*h) > w->total)
		return fail(
		    w, "multiboot2: no end tag: the walk reached offset 0x%lx of the info (0x%lx)",
		    offset, w->total);
	t->type = h->type;
	t->size = h->size;
	t->offset = offset;
	t->bytes = w->base + offset;
	if (t->size < sizeof(*h))
		return fail(w, "multiboot2: tag %u at offset 0x%lx has size 0x%x, less than 8",
			    t->type, offset, t->size);
	if (t->size > w->total - offset)
		return fail(w,
			    "multiboot2: tag %u at offset 0x%lx has size 0x%x past the end of the "
			    "info (0x%lx)",
			    t->type, offset, t->size, w->total);
	return 0;
}

/* Walks the tags from offset 8 to the end tag. */
static int walk_tags(struct walk *w)
{
	struct tag t;

	for (u64 offset = sizeof(struct mb2_info_header);;
	     offset += ALIGN_UP((u64)t.size, MB2_TAG_ALIGN)) {
		if (read_tag(w, offset, &t))
			return -1;
		if (t.type == MB2_TAG_END)
			return 0;
		if (parse_tag(w, &t))
			return -1;
	}
}

static bool ranges_overlap(u64 a_start, u64 a_end, u64 b_start, u64 b_end)
{
	return a_start < b_end && b_start < a_end;
}

/* Modules must not overlap each other or the info block (GRUB never does). */
static int check_modules(struct walk *w)
{
	const struct boot_info *out = w->out;

	for (u32 i = 0; i < out->module_count; i++) {
		const struct mb2_module *a = &out->modules[i];

		if (ranges_overlap(a->start, a->end, out->info_start, out->info_end))
			return fail(
			    w,
			    "multiboot2: module %u [0x%lx-0x%lx) overlaps the info [0x%lx-0x%lx)",
			    i, a->start, a->end, out->info_start, out->info_end);
		for (u32 j = i + 1; j < out->module_count; j++) {
			const struct mb2_module *b = &out->modules[j];

			if (ranges_overlap(a->start, a->end, b->start, b->end))
				return fail(w,
					    "multiboot2: module %u [0x%lx-0x%lx) overlaps module "
					    "%u [0x%lx-0x%lx)",
					    i, a->start, a->end, j, b->start, b->end);
		}
	}
	return 0;
}

/* Checks the fixed header: where the info is and how long it says it is. */
static int check_header(struct walk *w, size_t avail)
{
	const struct mb2_info_header *h = (const void *)w->base;

	if (!w->base)
		return fail(w, "multiboot2: no info block");
	if (w->info_pa % MB2_TAG_ALIGN)
		return fail(w, "multiboot2: info at 0x%lx is not 8-byte aligned", w->info_pa);
	if (avail < sizeof(*h))
		return fail(w, "multiboot2: only 0x%zx bytes readable, less than the 8-byte header",
			    avail);
	w->total = h->total_size;
	if (w->total < sizeof(*h))
		return fail(w, "multiboot2: total_size 0x%lx is less than the 8-byte header",
			    w->total);
	if (w->total > avail)
		return fail(w, "multiboot2: total_size 0x%lx is past the 0x%zx readable bytes",
			    w->total, avail);
	if (w->info_pa > UINT64_MAX - w->total)
		return fail(w, "multiboot2: info at 0x%lx wraps past 2^64", w->info_pa);
	return 0;
}

int mb2_parse(const void *info, size_t avail, u64 info_pa, struct boot_info *out, char *err,
	      size_t err_len)
{
	struct walk w = {
	    .base = info, .info_pa = info_pa, .out = out, .err = err, .err_len = err_len};

	memset(out, 0, sizeof(*out));
	if (err_len)
		err[0] = '\0';
	if (check_header(&w, avail))
		return -1;
	out->info_start = info_pa;
	out->info_end = info_pa + w.total;
	if (walk_tags(&w))
		return -1;
	if (!(w.seen & BIT(MB2_TAG_MMAP)))
		return fail(&w, "multiboot2: no memory map tag (type 6)");
	return check_modules(&w);
}

static bool why(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);

static bool why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		fmt_vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool fb_channel_ok(const char *name, u8 pos, u8 size, u8 bpp, char *buf, size_t len)
{
	if (size < 1 || size > 8 || pos + size > bpp)
		return why(buf, len, "its %s channel (%u bits at bit %u) is not 1-8 bits inside %u",
			   name, size, pos, bpp);
	return true;
}

/* The pixel format and size: what lib/fbcon.c can draw. */
static bool fb_format_ok(const struct mb2_framebuffer *fb, char *buf, size_t len)
{
	if (!fb->has_rgb)
		return why(buf, len, "its tag has no RGB colour info");
	if (fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32)
		return why(buf, len, "%u bits per pixel (Keel draws 16, 24 or 32)", fb->bpp);
	if (!fb_channel_ok("red", fb->rgb.red_pos, fb->rgb.red_size, fb->bpp, buf, len) ||
	    !fb_channel_ok("green", fb->rgb.green_pos, fb->rgb.green_size, fb->bpp, buf, len) ||
	    !fb_channel_ok("blue", fb->rgb.blue_pos, fb->rgb.blue_size, fb->bpp, buf, len))
		return false;
	if (!fb->width || !fb->height || fb->width > MB2_FB_MAX_DIM || fb->height > MB2_FB_MAX_DIM)
		return why(buf, len, "%ux%u pixels is not 1 to %u each way", fb->width, fb->height,
			   MB2_FB_MAX_DIM);
	if (fb->pitch < (u64)fb->width * (fb->bpp / 8))
		return why(buf, len, "pitch %u is less than a row of %u pixels", fb->pitch,
			   fb->width);
	if ((u64)fb->pitch * fb->height > MB2_FB_MAX_BYTES)
		return why(buf, len, "pitch %u x %u rows is more than %lu MiB", fb->pitch,
			   fb->height, (u64)(MB2_FB_MAX_BYTES / MiB));
	return true;
}

/* Where it lies: reachable, and clear of everything Keel or its guests use. */
static bool fb_place_ok(const struct boot_info *bi, u64 start, u64 end, u64 image_start,
			u64 image_end, char *buf, size_t len)
{
	if (start < 4096 || end > MB2_FB_REACH)
		return why(buf, len, "[0x%lx-0x%lx) is not within [0x1000, 0x%lx)", start, end,
			   (u64)MB2_FB_REACH);
	if (ranges_overlap(start, end, image_start, image_end))
		return why(buf, len, "[0x%lx-0x%lx) overlaps Keel's image [0x%lx-0x%lx)", start,
			   end, image_start, image_end);
	if (ranges_overlap(start, end, bi->info_start, bi->info_end))
		return why(buf, len, "[0x%lx-0x%lx) overlaps the multiboot2 info", start, end);
	for (u32 i = 0; i < bi->module_count; i++) {
		if (ranges_overlap(start, end, bi->modules[i].start, bi->modules[i].end))
			return why(buf, len, "[0x%lx-0x%lx) overlaps module %u", start, end, i);
	}
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mb2_region *r = &bi->regions[i];

		if (r->type == MB2_MEMORY_AVAILABLE &&
		    ranges_overlap(start, end, r->base, r->base + r->length))
			return why(buf, len, "[0x%lx-0x%lx) overlaps usable RAM [0x%lx-0x%lx)",
				   start, end, r->base, r->base + r->length);
	}
	return true;
}

enum mb2_fb_kind mb2_fb_check(const struct boot_info *bi, u64 image_start, u64 image_end, char *buf,
			      size_t len)
{
	const struct mb2_framebuffer *fb = &bi->framebuffer;

	if (len)
		buf[0] = '\0';
	if (!fb->present)
		return MB2_FB_NONE;
	if (fb->type == MB2_FB_TYPE_EGA_TEXT)
		return MB2_FB_TEXT;
	if (fb->type != MB2_FB_TYPE_RGB) {
		why(buf, len, "type %u (Keel draws on RGB, type 1)", fb->type);
		return MB2_FB_UNUSABLE;
	}
	if (!fb_format_ok(fb, buf, len))
		return MB2_FB_UNUSABLE;
	/* fb_format_ok bounds the size: no wrap below 2^64 unless addr is near it. */
	if (fb->addr > UINT64_MAX - MB2_FB_MAX_BYTES) {
		why(buf, len, "address 0x%lx wraps past 2^64", fb->addr);
		return MB2_FB_UNUSABLE;
	}
	if (!fb_place_ok(bi, fb->addr, fb->addr + (u64)fb->pitch * fb->height, image_start,
			 image_end, buf, len))
		return MB2_FB_UNUSABLE;
	return MB2_FB_RGB;
}

const char *mb2_keel_options(const char *cmdline)
{
	const char *s = cmdline;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '/')
		return cmdline;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	return s;
}
