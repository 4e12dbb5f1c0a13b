/*
 * The multiboot2 boot information, parsed. mb2_parse() is a pure function of
 * (bytes, length): it walks the tags GRUB left in memory, checks every size
 * against the bytes it was given, and fills struct boot_info, or returns one
 * line saying what is malformed. It never reads outside [info, info + avail).
 *
 * Strings and the RSDP in struct boot_info point into the info block itself,
 * which the frame allocator keeps reserved for as long as Keel runs.
 */
#ifndef KEEL_BOOT_MB2_H
#define KEEL_BOOT_MB2_H

#include "boot/multiboot2.h"
#include "lib/types.h"

/* Bounds on what Keel keeps; a boot with more is refused, never truncated. */
#define MB2_MAX_REGIONS 256
#define MB2_MAX_MODULES 64

/* ACPI 6.5, 5.2.5.3 "RSDP Structure": 20 bytes for revision 0, 36 after. */
#define MB2_RSDP_V1_SIZE 20
#define MB2_RSDP_V2_SIZE 36

/* One entry of the BIOS/UEFI memory map (type: MB2_MEMORY_*). */
struct mb2_region {
	u64 base;
	u64 length;
	u32 type;
};

/* One boot module: physical [start, end), and its GRUB command line. */
struct mb2_module {
	u64 start;
	u64 end;
	const char *cmdline; /* never NULL; "" when GRUB gave none */
};

struct mb2_acpi {
	const u8 *rsdp; /* NULL when the loader gave no ACPI tag */
	u32 length;	/* bytes available at rsdp (the tag's payload) */
	bool is_new;	/* from tag 15 (RSDP revision >= 2), else tag 14 */
};

struct mb2_framebuffer {
	bool present;
	u64 addr;
	u32 pitch;
	u32 width;
	u32 height;
	u8 bpp;
	u8 type;      /* MB2_FB_TYPE_* */
	bool has_rgb; /* the tag holds the RGB colour info (rgb is valid) */
	struct mb2_fb_rgb rgb;
};

struct boot_info {
	u64 info_start; /* the info block's own physical range */
	u64 info_end;
	const char *cmdline;	 /* NULL when there is no cmdline tag */
	const char *loader_name; /* NULL when there is no loader name tag */
	u32 region_count;
	struct mb2_region regions[MB2_MAX_REGIONS];
	u32 module_count;
	struct mb2_module modules[MB2_MAX_MODULES];
	struct mb2_acpi acpi;
	struct mb2_framebuffer framebuffer;
};

/* This boot's info, filled once by keel_main and read-only afterwards. */
extern struct boot_info boot_info;

/*
 * Parses the multiboot2 info at `info`, of which the caller can prove `avail`
 * bytes readable; info_pa is its physical address (for the info range and
 * the module overlap check). Returns 0 and fills *out, or returns -1 with one
 * line starting "multiboot2: " in err (always NUL-terminated when err_len>0).
 * Requires a memory map tag and an end tag; unknown tags are skipped.
 */
int mb2_parse(const void *info, size_t avail, u64 info_pa, struct boot_info *out, char *err,
	      size_t err_len);

/* What the loader's framebuffer tag offers Keel's console (mb2_fb_check). */
enum mb2_fb_kind {
	MB2_FB_NONE,	 /* no framebuffer tag */
	MB2_FB_TEXT,	 /* EGA text mode: the VGA text screen at 0xB8000 */
	MB2_FB_RGB,	 /* a linear RGB framebuffer Keel can draw on */
	MB2_FB_UNUSABLE, /* a framebuffer Keel cannot use; why says why in one line */
};

/* Framebuffers Keel draws on: what the console's drawing takes (lib/fbcon.h). */
#define MB2_FB_MAX_DIM	 16384
#define MB2_FB_MAX_BYTES (512 * MiB)
/* Keel reaches it through the identity map of [0, 4 GiB) (boot/entry.S, mm/paging.h). */
#define MB2_FB_REACH (4 * GiB)

/*
 * Whether bi's framebuffer is one Keel can draw on: RGB, 16, 24 or 32 bits
 * per pixel, channels of 1-8 bits inside the pixel, 1 to MB2_FB_MAX_DIM
 * pixels each way, a pitch that holds a row, at most MB2_FB_MAX_BYTES,
 * wholly below MB2_FB_REACH, and overlapping neither page 0, Keel's image
 * [image_start, image_end), RAM the memory map says is usable, the info
 * block nor a module. Pure. For MB2_FB_UNUSABLE, why gets one line (no
 * prefix) naming the first condition that fails.
 */
enum mb2_fb_kind mb2_fb_check(const struct boot_info *bi, u64 image_start, u64 image_end, char *why,
			      size_t why_len);

/*
 * Keel's options within the GRUB cmdline: some GRUB versions put the kernel's
 * path first ("/boot/keel.elf console=com1"); a leading token starting with
 * '/' is skipped. Returns NULL for NULL.
 */
const char *mb2_keel_options(const char *cmdline);

#endif
