/*
 * Guest image parsing (pure; host-tested and fuzzed). Every size and
 * offset in the image is untrusted: each is checked against the file's
 * length and the guest's RAM with overflow-safe arithmetic before use.
 */
#include "vm/elf.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vm/guest_abi.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		return false;                                                                      \
	} while (0)

/* [off, off+size) lies inside a file of len bytes. */
static bool in_file(u64 off, u64 size, u64 len)
{
	return off <= len && size <= len - off;
}

/* Finds a valid multiboot header in the first 8 KiB; NULL if none. */
static const struct multiboot1_header *find_mb1(const u8 *img, u64 len)
{
	u64 limit = MIN(len, (u64)MULTIBOOT1_SEARCH_LIMIT);

	for (u64 off = 0; off + sizeof(struct multiboot1_header) <= limit; off += 4) {
		struct multiboot1_header h;

		memcpy(&h, img + off, sizeof(h));
		if (h.magic == MULTIBOOT1_HEADER_MAGIC && h.magic + h.flags + h.checksum == 0)
			return (const struct multiboot1_header *)(img + off);
	}
	return NULL;
}

static bool add_segment(struct elf_image *out, u64 off, u64 filesz, u64 paddr, u64 memsz, u64 len,
			u64 mem_size, u64 min_gpa, char *err, size_t err_len)
{
	unsigned n = out->seg_count;

	if (memsz == 0)
		return true;
	if (filesz > memsz)
		FAIL("segment %u: file size 0x%lx exceeds memory size 0x%lx", n, filesz, memsz);
	if (!in_file(off, filesz, len))
		FAIL("segment %u: bytes [0x%lx, +0x%lx) lie outside the file (0x%lx bytes)", n, off,
		     filesz, len);
	if (paddr < min_gpa)
		FAIL("segment %u: loads at 0x%lx, below 0x%lx", n, paddr, min_gpa);
	if (paddr > mem_size || memsz > mem_size - paddr)
		FAIL("segment %u: [0x%lx, +0x%lx) does not fit mem=0x%lx", n, paddr, memsz,
		     mem_size);
	for (unsigned i = 0; i < n; i++)
		if (paddr < out->seg[i].gpa + out->seg[i].memsz && out->seg[i].gpa < paddr + memsz)
			FAIL("segments %u and %u overlap at 0x%lx", i, n,
			     MAX(paddr, out->seg[i].gpa));
	if (n == ELF_MAX_SEGMENTS)
		FAIL("more than %d loadable segments", ELF_MAX_SEGMENTS);
	out->seg[n] = (struct elf_segment){off, filesz, paddr, memsz};
	out->seg_count = n + 1;
	out->load_end = MAX(out->load_end, paddr + memsz);
	return true;
}

/* The program header table: sane entry size and count, wholly inside the file. */
static bool phdr_table_ok(u64 phoff, u16 entsize, u16 count, size_t min_entsize, u64 len, char *err,
			  size_t err_len)
{
	if (entsize < min_entsize || count == 0 || count > ELF_MAX_PHDRS)
		FAIL("bad program header table (entry size %u, count %u)", entsize, count);
	if (!in_file(phoff, (u64)entsize * count, len))
		FAIL("program headers lie outside the file");
	return true;
}

static bool check_ident(const u8 *img, char *err, size_t err_len)
{
	if (img[5] != ELFDATA2LSB || img[6] != EV_CURRENT)
		FAIL("not a little-endian ELF version 1 image");
	return true;
}

static bool entry_inside(const struct elf_image *out, u64 entry)
{
	for (unsigned i = 0; i < out->seg_count; i++)
		if (entry >= out->seg[i].gpa && entry - out->seg[i].gpa < out->seg[i].memsz)
			return true;
	return false;
}

static bool parse64(const u8 *img, u64 len, u64 mem_size, u64 min_gpa, struct elf_image *out,
		    char *err, size_t err_len)
{
	struct elf64_ehdr eh;

	if (len < sizeof(eh))
		FAIL("truncated ELF64 header (%lu bytes)", len);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		FAIL("ELF64 image for machine %u, not x86-64", eh.e_machine);
	if (!phdr_table_ok(eh.e_phoff, eh.e_phentsize, eh.e_phnum, sizeof(struct elf64_phdr), len,
			   err, err_len))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, img + eh.e_phoff + (u64)i * eh.e_phentsize, sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr != ph.p_paddr)
			FAIL("segment at vaddr 0x%lx paddr 0x%lx: Keel's 64-bit boot maps "
			     "identity, so they must be equal",
			     ph.p_vaddr, ph.p_paddr);
		if (!add_segment(out, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz, len,
				 mem_size, min_gpa, err, err_len))
			return false;
	}
	out->kind = ELF_KIND_64;
	out->entry = eh.e_entry;
	return true;
}

static bool parse32(const u8 *img, u64 len, u64 mem_size, u64 min_gpa, struct elf_image *out,
		    char *err, size_t err_len)
{
	const struct multiboot1_header *mh = find_mb1(img, len);
	struct elf32_ehdr eh;
	u32 flags;

	if (len < sizeof(eh))
		FAIL("truncated ELF32 header (%lu bytes)", len);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_machine != EM_386)
		FAIL("ELF32 image for machine %u, not i386", eh.e_machine);
	if (!mh)
		FAIL("ELF32 image without a multiboot header in its first 8 KiB");
	memcpy(&flags, &mh->flags, sizeof(flags));
	if (flags & MULTIBOOT1_FLAG_VIDEO_MODE)
		FAIL("multiboot header requires a video mode (flag 2), which Keel does not set");
	if (flags & MULTIBOOT1_FLAG_AOUT_KLUDGE)
		FAIL("multiboot header uses the a.out kludge (flag 16); Keel loads ELF segments "
		     "only");
	if (flags & 0xFFF8)
		FAIL("multiboot header requires unknown features (flags 0x%x)", flags & 0xFFFF);
	if (!phdr_table_ok(eh.e_phoff, eh.e_phentsize, eh.e_phnum, sizeof(struct elf32_phdr), len,
			   err, err_len))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf32_phdr ph;

		memcpy(&ph, img + eh.e_phoff + (u64)i * eh.e_phentsize, sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (!add_segment(out, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz, len,
				 mem_size, min_gpa, err, err_len))
			return false;
	}
	out->kind = ELF_KIND_MB32;
	out->entry = eh.e_entry;
	return true;
}

bool elf_parse(const u8 *img, u64 len, u64 mem_size, u64 min_gpa, struct elf_image *out, char *err,
	       size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (len < EI_NIDENT || img[0] != ELFMAG0 || img[1] != 'E' || img[2] != 'L' || img[3] != 'F')
		FAIL("not an ELF image (no ELF magic)");
	if (!check_ident(img, err, err_len))
		return false;
	if (img[4] == ELFCLASS64) {
		if (!parse64(img, len, mem_size, min_gpa, out, err, err_len))
			return false;
	} else if (img[4] == ELFCLASS32) {
		if (!parse32(img, len, mem_size, min_gpa, out, err, err_len))
			return false;
	} else {
		FAIL("unknown ELF class %u", img[4]);
	}
	if (out->seg_count == 0)
		FAIL("no loadable segment");
	if (!entry_inside(out, out->entry))
		FAIL("entry point 0x%lx is not inside a loaded segment", out->entry);
	return true;
}
