/*
 * The guest C runtime's entry contract, shared by the entry code (crt64.S,
 * crt32.S) and C. The entry code records the machine state it was handed in
 * struct crt_entry before touching anything, loads its own stack, zeroes
 * .bss and calls crt_start(), which never returns.
 *
 * The offsets below are used by the assembly; crt.c checks them against the
 * C structure with _Static_assert.
 */
#ifndef KEEL_GUESTS_CRT_H
#define KEEL_GUESTS_CRT_H

#ifdef __x86_64__
#define CRT_WORD 8
#else
#define CRT_WORD 4
#endif

#define CRT_ENTRY_INFO	(0 * CRT_WORD)
#define CRT_ENTRY_MAGIC (1 * CRT_WORD)
#define CRT_ENTRY_SP	(2 * CRT_WORD)
#define CRT_ENTRY_FLAGS (3 * CRT_WORD)
#define CRT_ENTRY_CS	(4 * CRT_WORD + 0)
#define CRT_ENTRY_DS	(4 * CRT_WORD + 2)
#define CRT_ENTRY_ES	(4 * CRT_WORD + 4)
#define CRT_ENTRY_SS	(4 * CRT_WORD + 6)
#define CRT_ENTRY_SIZE	(4 * CRT_WORD + 8)

#define CRT_STACK_SIZE 16384

#ifndef __ASSEMBLER__
#include "lib/types.h"

/*
 * The registers at the image's entry point. ELF64 (Keel's ABI): info = RDI,
 * magic = RSI. Multiboot v1: info = EBX, magic = EAX.
 */
struct crt_entry {
	uintptr_t info;
	uintptr_t magic;
	uintptr_t sp;
	uintptr_t flags;
	u16 cs;
	u16 ds;
	u16 es;
	u16 ss;
};

extern struct crt_entry crt_entry;

/* Called by the entry code on the runtime's own stack: starts the UART, runs
 * guest_main(info, magic) and, if it returns, ends through check_finish(). */
__noreturn void crt_start(uintptr_t info, uintptr_t magic);

#endif
#endif
