/*
 * Catching an expected exception and carrying on.
 *
 * An instruction under test is written with TRAP_INSN(), which records its
 * address and the address after it in the .trap_table section. When an
 * exception hits an instruction listed there, trap_dispatch() records the
 * vector, error code and where it struck in trap_last and resumes after
 * the instruction. An exception anywhere else is unexpected: the guest
 * prints a FAIL line and ends.
 *
 *   trap_reset();
 *   __asm__ volatile(TRAP_INSN("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
 *   trap_expect("rdmsr 0x12345678", TRAP_GP, 0);
 *
 * The instruction text must not use the local labels 0: and 1:.
 */
#ifndef KEEL_GUESTS_TRAP_H
#define KEEL_GUESTS_TRAP_H

#include "lib/types.h"

/* Exception vectors (Intel SDM Vol. 3A, Table 6-1). */
#define TRAP_DE 0
#define TRAP_DB 1
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_NM 7
#define TRAP_DF 8
#define TRAP_TS 10
#define TRAP_NP 11
#define TRAP_SS 12
#define TRAP_GP 13
#define TRAP_PF 14
#define TRAP_AC 17

/* trap_expect()'s error-code argument when the error code is not checked. */
#define TRAP_ANY_ERROR 0xFFFFFFFFU

#ifdef __x86_64__
#define TRAP_PTR ".quad"
#else
#define TRAP_PTR ".long"
#endif

#define TRAP_INSN(insn)                                                                            \
	"0: " insn "\n1:\n"                                                                        \
	".pushsection .trap_table, \"a\"\n" TRAP_PTR " 0b, 1b\n"                                   \
	".popsection\n"

/* One .trap_table entry: an instruction that may fault and where to resume. */
struct trap_entry {
	uintptr_t insn;
	uintptr_t next;
};

/*
 * The registers trap stubs save, lowest address first: the stub's pushes in
 * reverse, then the vector and error code, then what the CPU pushed.
 */
#ifdef __x86_64__
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 ip, cs, flags, sp, ss;
};
#else
struct trap_frame {
	u32 edi, esi, ebp, esp_ignored, ebx, edx, ecx, eax; /* PUSHAD order */
	u32 vector, error_code;
	u32 ip, cs, flags; /* same privilege level: no SS:ESP */
};
#endif

/* What the last caught exception was. count is 0 when none was caught. */
struct trap_record {
	u32 count;
	u32 vector;
	u32 error_code;
	bool at_insn; /* IP pointed at the instruction (a fault), not after it */
	uintptr_t ip;
};

extern volatile struct trap_record trap_last;

/* Forgets the last caught exception. */
void trap_reset(void);

/*
 * Looks ip up in table[0..n): returns the entry whose insn or next is ip,
 * else NULL. Pure, for host tests.
 */
const struct trap_entry *trap_lookup(const struct trap_entry *table, size_t n, uintptr_t ip);

/*
 * Called by the stubs with interrupts off. A listed instruction: records the
 * exception and returns with the frame's IP moved past the instruction. Any
 * other exception: FAIL line and the guest ends.
 */
void trap_dispatch(struct trap_frame *f);

/*
 * After a TRAP_INSN: PASS "<what>" when exactly one exception with this
 * vector (and error code, unless TRAP_ANY_ERROR) hit the instruction itself
 * (a fault: not retired); otherwise FAIL with what happened. Returns the
 * outcome.
 */
bool trap_expect(const char *what, u32 vector, u32 error_code);
/* PASS "<what>" when no exception was caught since trap_reset(). */
bool trap_expect_none(const char *what);

/* The mnemonic of an exception vector ("#GP"), "#?" beyond 31. */
const char *trap_name(u32 vector);

/*
 * Interrupt (and NMI) handlers: a vector with a handler goes to it, frame
 * and all, instead of the trap table; the handler returns to resume the
 * interrupted code (IRET). A vector with no handler and no trap-table entry
 * ends the guest with a FAIL line.
 */
typedef void trap_handler_fn(struct trap_frame *f);

/*
 * RDMSR and WRMSR that may fault: trap_reset() first, so trap_last says
 * afterwards whether (and how) they did. EDX:EAX start as `init` for the
 * read: a faulting RDMSR leaves them so.
 */
static inline u64 trap_rdmsr(u32 msr, u64 init)
{
	u32 lo = (u32)init, hi = (u32)(init >> 32);

	trap_reset();
	__asm__ volatile(TRAP_INSN("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	return ((u64)hi << 32) | lo;
}

static inline void trap_wrmsr(u32 msr, u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("wrmsr")
			 :
			 : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}
void trap_set_handler(u32 vector, trap_handler_fn *fn);

#endif
