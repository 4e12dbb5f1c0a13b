/*
 * The parts of the ELF-64 object file format the shim reads (System V
 * gABI, "ELF Header" and "Program Header"; ELF-64 Object File Format 1.5).
 */
#ifndef KEEL_GUESTS_SHIM_ELF64_H
#define KEEL_GUESTS_SHIM_ELF64_H

#include "lib/types.h"

#define ELF64_MAG	"\177ELF"
#define ELF64_CLASS64	2 /* e_ident[EI_CLASS] */
#define ELF64_DATA2LSB	1 /* e_ident[EI_DATA] */
#define ELF64_ET_EXEC	2
#define ELF64_EM_X86_64 62
#define ELF64_PT_LOAD	1
#define ELF64_EI_CLASS	4
#define ELF64_EI_DATA	5

struct elf64_ehdr {
	u8 e_ident[16];
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
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF-64 header is 64 bytes");

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF-64 program header is 56 bytes");

#endif
