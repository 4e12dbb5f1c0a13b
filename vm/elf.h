/*
 * ELF file headers as the loader reads them (System V ABI, "ELF Header" and
 * "Program Header"; ELF-64 Object File Format 1.5), and the pure parser
 * that turns a guest image into a checked list of segments.
 */
#ifndef KEEL_VM_ELF_H
#define KEEL_VM_ELF_H

#include "lib/types.h"

#define EI_NIDENT   16
#define ELFMAG0	    0x7F
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC	    2
#define EM_386	    3
#define EM_X86_64   62
#define PT_LOAD	    1

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
} __packed;

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
} __packed;

struct elf32_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u32 e_entry;
	u32 e_phoff;
	u32 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
} __packed;

struct elf32_phdr {
	u32 p_type;
	u32 p_offset;
	u32 p_vaddr;
	u32 p_paddr;
	u32 p_filesz;
	u32 p_memsz;
	u32 p_flags;
	u32 p_align;
} __packed;

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");
_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");

/* Multiboot (0.6.96) header, 3.1.1 "The layout of Multiboot header" */
struct multiboot1_header {
	u32 magic;
	u32 flags;
	u32 checksum;
} __packed;
#define MULTIBOOT1_SEARCH_LIMIT	    8192
#define MULTIBOOT1_FLAG_PAGE_ALIGN  BIT(0)
#define MULTIBOOT1_FLAG_MEMORY_INFO BIT(1)
#define MULTIBOOT1_FLAG_VIDEO_MODE  BIT(2)
#define MULTIBOOT1_FLAG_AOUT_KLUDGE BIT(16)

#define ELF_MAX_SEGMENTS 16
#define ELF_MAX_PHDRS	 64

enum elf_kind {
	ELF_KIND_64,   /* ELF64 x86-64: Keel's 64-bit boot protocol */
	ELF_KIND_MB32, /* ELF32 i386 with a multiboot header */
};

struct elf_segment {
	u64 offset; /* in the file */
	u64 filesz;
	u64 gpa; /* where it loads (p_paddr) */
	u64 memsz;
};

struct elf_image {
	enum elf_kind kind;
	u64 entry; /* guest-physical (identity for ELF64) */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	unsigned seg_count;
	u64 load_end; /* highest gpa + memsz over all segments */
};

/*
 * Checks an image of len bytes for a guest with mem_size bytes of RAM and
 * fills *out. Segments must lie in [min_gpa, mem_size), inside the file,
 * and not overlap. Returns true, or false with a one-line reason in err.
 */
bool elf_parse(const u8 *img, u64 len, u64 mem_size, u64 min_gpa, struct elf_image *out, char *err,
	       size_t err_len);

#endif
