/*
 * Guest "io": port I/O as Keel emulates it. IN/OUT of each width to the
 * UART model (wide accesses lie wholly inside the UART's ports and only the
 * byte at the addressed register is judged: what the other bytes touch is
 * the neighbours' business), all-ones
 * reads and dropped writes on an unclaimed port, what IN and OUT leave of
 * the registers (io_check_registers), and the string forms
 * (OUTS/INS, single and REP, DF=0 and DF=1, across a page boundary), checking
 * the memory written and the final RSI/RDI/RCX. The argument uart_wide=0
 * skips the word/dword UART accesses (QEMU's own 16550 asserts on them,
 * which matters only when trying the guest on QEMU without Keel). Two REP
 * OUTSB lines go to
 * the UART and are judged by the emulator test:
 *   "[io] rep outsb: string I/O reaches the UART"
 *   "[io] rep outsb backwards"
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/regkeep.h"
#include "tests/guests/lib/uart.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

#define IO_UART	    UART_COM1
#define IO_FREE	    0x2F0 /* unclaimed: no device in Keel's guests (and none on a PC) */
#define IO_BUF_SIZE 8192
#define IO_GUARD    0x00
#define IO_ONES	    0xFF
#define IO_LSR_IDLE (UART_LSR_THRE | UART_LSR_TEMT) /* no input, no errors */

static u8 io_buf[IO_BUF_SIZE] __aligned(4096);

static void io_check_uart(void)
{
	u8 lcr;

	outb(IO_UART + UART_SCR, 0x5A);
	check_eq("outb/inb SCR 0x5a", inb(IO_UART + UART_SCR), 0x5A);
	outb(IO_UART + UART_SCR, 0xA5);
	check_eq("outb/inb SCR 0xa5", inb(IO_UART + UART_SCR), 0xA5);
	/* TEMT: nothing of ours waits in Keel's console; a line just printed does. */
	print(
	    "io: a line to keep the transmitter busy for a while ..............................\n");
	check_eq("inb LSR right after a line: THRE without TEMT", inb(IO_UART + UART_LSR),
		 UART_LSR_THRE);
	uart_wait_idle();
	check_eq("inb LSR is THRE|TEMT", inb(IO_UART + UART_LSR), IO_LSR_IDLE);
	/*
	 * Polling for TEMT, as Linux's console does after each message, waits
	 * in Keel (about 1 ms a read at most) rather than spinning through
	 * thousands of exits while the line goes out.
	 */
	print("io: another line for the transmitter ......................................\n");
	{
		u32 polls = 0;

		while (!(inb(IO_UART + UART_LSR) & UART_LSR_TEMT) && polls < 1000000)
			polls++;
		print("io: TEMT after %u LSR reads\n", polls);
		check_true(polls < 200, "a TEMT poll waits in Keel, not in exits");
	}
	outb(IO_UART + UART_IER, 0x05);
	check_eq("outb/inb IER", inb(IO_UART + UART_IER), 0x05);
	outb(IO_UART + UART_IER, 0x00);
	/* DLAB set: no printing until LCR is back to 8N1. */
	outb(IO_UART + UART_LCR, UART_LCR_DLAB | UART_LCR_8N1);
	outb(IO_UART + UART_DLL, 0x0C);
	outb(IO_UART + UART_DLM, 0x00);
	u8 dll = inb(IO_UART + UART_DLL), dlm = inb(IO_UART + UART_DLM);
	lcr = inb(IO_UART + UART_LCR);
	outb(IO_UART + UART_DLL, 0x01);
	outb(IO_UART + UART_LCR, UART_LCR_8N1);
	check_eq("LCR reads back with DLAB", lcr, UART_LCR_DLAB | UART_LCR_8N1);
	check_eq("DLL reads back under DLAB", dll, 0x0C);
	check_eq("DLM reads back under DLAB", dlm, 0x00);
	check_eq("LCR restored to 8N1", inb(IO_UART + UART_LCR), UART_LCR_8N1);
}

/*
 * Word and dword accesses that lie wholly inside the UART's eight ports,
 * judged on the byte at the addressed register (LCR at 0x3FB, LSR at 0x3FD);
 * values differ from the register's previous one so a dropped access shows.
 */
static void io_check_uart_wide(void)
{
	outw(IO_UART + UART_LCR, 0x0007); /* LCR 8N2; MCR 0 */
	check_eq("outw LCR: low byte lands in LCR", inb(IO_UART + UART_LCR), 0x07);
	outl(IO_UART + UART_LCR, 0x0000001B); /* LCR 8E1; MCR 0; LSR, MSR read-only */
	check_eq("outl LCR: low byte lands in LCR", inb(IO_UART + UART_LCR), 0x1B);
	check_eq("inw LCR: low byte is LCR", inw(IO_UART + UART_LCR) & 0xFF, 0x1B);
	check_eq("inl LCR: low byte is LCR", inl(IO_UART + UART_LCR) & 0xFF, 0x1B);
	outb(IO_UART + UART_LCR, UART_LCR_8N1);
	uart_wait_idle();
	check_eq("inw LSR: low byte is THRE|TEMT", inw(IO_UART + UART_LSR) & 0xFF, IO_LSR_IDLE);
}

static void io_check_unclaimed(void)
{
	check_eq("inb unclaimed port is 0xff", inb(IO_FREE), 0xFF);
	check_eq("inw unclaimed port is 0xffff", inw(IO_FREE + 2), 0xFFFF);
	check_eq("inl unclaimed port is 0xffffffff", inl(IO_FREE + 4), 0xFFFFFFFF);
	outb(IO_FREE, 0x12);
	outw(IO_FREE + 2, 0x3456);
	outl(IO_FREE + 4, 0x789ABCDE);
	check_eq("outb to unclaimed port dropped", inb(IO_FREE), 0xFF);
	check_eq("outw to unclaimed port dropped", inw(IO_FREE + 2), 0xFFFF);
	check_eq("outl to unclaimed port dropped", inl(IO_FREE + 4), 0xFFFFFFFF);
}

/*
 * What IN and OUT leave of the registers (SDM Vol. 2A, IN: to AL or AX
 * the rest of RAX stays, to EAX it is zero-extended; OUT changes none),
 * on the ports Keel's register-only exit answers (vmx/entry.S, tier_io):
 * unclaimed ones, the UART's LSR while idle, the PIC's IMR. Each case runs
 * IO_REG_RUNS times with junk in every upper half; the results are judged
 * only after the last run, so no line written between makes LSR busy.
 */
#define IO_REG_RUNS 4
#define IO_REG_RAX  0x1122334455667788ULL
#define IO_PIC_IMR  0x21

struct io_reg_case {
	const char *what;
	u16 port;
	u8 kind; /* 0: IN AL, 1: IN AX, 2: IN EAX, 3: OUT AL, 4: OUT EAX, 5: IN AL, imm8 0x21 */
	u64 rax; /* what RAX must be after */
};

static u32 io_reg_run(u8 kind, u16 port, u64 *rax)
{
	u64 rbx = 0xB0B0B0B0B0B0B0B0ULL, rcx = 0xC0C0C0C0C0C0C0C0ULL;
	u64 rdx = 0xD0D0D0D0D0D00000ULL | port;
	u32 changed = 0;

	*rax = IO_REG_RAX;
	switch (kind) {
	case 0:
		changed = REGKEEP_RUN("inb %%dx, %%al", *rax, rbx, rcx, rdx);
		break;
	case 1:
		changed = REGKEEP_RUN("inw %%dx, %%ax", *rax, rbx, rcx, rdx);
		break;
	case 2:
		changed = REGKEEP_RUN("inl %%dx, %%eax", *rax, rbx, rcx, rdx);
		break;
	case 3:
		changed = REGKEEP_RUN("outb %%al, %%dx", *rax, rbx, rcx, rdx);
		break;
	case 4:
		changed = REGKEEP_RUN("outl %%eax, %%dx", *rax, rbx, rcx, rdx);
		break;
	default:
		changed = REGKEEP_RUN("inb $0x21, %%al", *rax, rbx, rcx, rdx);
		break;
	}
	return changed + (rbx != 0xB0B0B0B0B0B0B0B0ULL) + (rcx != 0xC0C0C0C0C0C0C0C0ULL) +
	       (rdx != (0xD0D0D0D0D0D00000ULL | port));
}

static void io_check_registers(void)
{
	static const u8 imr = 0xA5;
	const struct io_reg_case cases[] = {
	    {"inb unclaimed", IO_FREE, 0, 0x11223344556677FFULL},
	    {"inw unclaimed", IO_FREE, 1, 0x112233445566FFFFULL},
	    {"inl unclaimed", IO_FREE, 2, 0x00000000FFFFFFFFULL},
	    {"outb unclaimed", IO_FREE, 3, IO_REG_RAX},
	    {"outl unclaimed", IO_FREE, 4, IO_REG_RAX},
	    {"inb LSR, idle", IO_UART + UART_LSR, 0, 0x1122334455667700ULL | IO_LSR_IDLE},
	    {"inb PIC IMR", IO_PIC_IMR, 0, 0x1122334455667700ULL | imr},
	    {"inb $0x21 PIC IMR", IO_PIC_IMR, 5, 0x1122334455667700ULL | imr},
	};
	u64 got[ARRAY_SIZE(cases)][IO_REG_RUNS];
	u32 changed[ARRAY_SIZE(cases)][IO_REG_RUNS];
	u8 saved = inb(IO_PIC_IMR);

	outb(IO_PIC_IMR, imr);
	uart_wait_idle();
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++)
		for (u32 r = 0; r < IO_REG_RUNS; r++)
			changed[i][r] = io_reg_run(cases[i].kind, cases[i].port, &got[i][r]);
	outb(IO_PIC_IMR, saved);
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 bad = IO_REG_RUNS;

		for (u32 r = 0; r < IO_REG_RUNS && bad == IO_REG_RUNS; r++)
			if (got[i][r] != cases[i].rax || changed[i][r])
				bad = r;
		if (bad == IO_REG_RUNS)
			check_pass("%s: RAX as the SDM says, the other registers kept (x%u)",
				   cases[i].what, IO_REG_RUNS);
		else
			check_fail("%s, run %u: RAX 0x%llx (expected 0x%llx), %u other registers "
				   "changed",
				   cases[i].what, bad, (unsigned long long)got[i][bad],
				   (unsigned long long)cases[i].rax, changed[i][bad]);
	}
}

/* Sets DF for the one instruction when back, clears it after. */
#define IO_STR_ASM(insn, ptr_reg, ptr)                                                             \
	__asm__ volatile("cmpb $0, %[back]\n\tje 2f\n\tstd\n2:\t" insn "\n\tcld"                   \
			 : ptr_reg(ptr), "+c"(cx)                                                  \
			 : "d"(port), [back] "rm"((u8)back)                                        \
			 : "memory", "cc")

/* One INS (rep: REP INS) of width size from port; *di and *cx as the CPU leaves them. */
static void io_ins(u32 size, bool rep, bool back, u16 port, uintptr_t *di, uintptr_t *cx_io)
{
	uintptr_t d = *di, cx = *cx_io;

	switch (size * 2 + rep) {
	case 2:
		IO_STR_ASM("insb", "+D", d);
		break;
	case 3:
		IO_STR_ASM("rep insb", "+D", d);
		break;
	case 4:
		IO_STR_ASM("insw", "+D", d);
		break;
	case 5:
		IO_STR_ASM("rep insw", "+D", d);
		break;
	case 8:
		IO_STR_ASM("insl", "+D", d);
		break;
	default:
		IO_STR_ASM("rep insl", "+D", d);
		break;
	}
	*di = d;
	*cx_io = cx;
}

static void io_outs(u32 size, bool rep, bool back, u16 port, uintptr_t *si, uintptr_t *cx_io)
{
	uintptr_t s = *si, cx = *cx_io;

	switch (size * 2 + rep) {
	case 2:
		IO_STR_ASM("outsb", "+S", s);
		break;
	case 3:
		IO_STR_ASM("rep outsb", "+S", s);
		break;
	case 4:
		IO_STR_ASM("outsw", "+S", s);
		break;
	case 5:
		IO_STR_ASM("rep outsw", "+S", s);
		break;
	case 8:
		IO_STR_ASM("outsl", "+S", s);
		break;
	default:
		IO_STR_ASM("rep outsl", "+S", s);
		break;
	}
	*si = s;
	*cx_io = cx;
}

struct io_ins_case {
	const char *what;
	u32 size;
	bool rep;
	bool back;
	u32 count;  /* RCX (1 for the single forms) */
	u32 offset; /* where RDI starts in io_buf */
};

static const struct io_ins_case io_ins_cases[] = {
    {"insb", 1, false, false, 1, 16},
    {"insw", 2, false, false, 1, 16},
    {"insl", 4, false, false, 1, 16},
    {"rep insb x7", 1, true, false, 7, 16},
    {"rep insw x5", 2, true, false, 5, 16},
    {"rep insl x3", 4, true, false, 3, 16},
    {"rep insb with rcx=0", 1, true, false, 0, 16},
    {"std; rep insb x4", 1, true, true, 4, 64},
    {"std; rep insw x3", 2, true, true, 3, 64},
    {"std; rep insl x2", 4, true, true, 2, 64},
    {"rep insb x10 across a page boundary", 1, true, false, 10, 4096 - 5},
    {"rep insl x3 across a page boundary, unaligned", 4, true, false, 3, 4096 - 6},
    {"std; rep insw x4 across a page boundary", 2, true, true, 4, 4096 + 2},
};

/* The bytes a case should have written: [*lo, *hi) of io_buf. */
static void io_ins_span(const struct io_ins_case *c, u32 *lo, u32 *hi)
{
	u32 bytes = c->size * c->count;

	*lo = c->back ? c->offset + c->size - bytes : c->offset;
	*hi = *lo + bytes;
}

/* Returns the first io_buf offset whose byte is wrong, or IO_BUF_SIZE. */
static u32 io_buf_mismatch(u32 lo, u32 hi)
{
	for (u32 i = 0; i < IO_BUF_SIZE; i++)
		if (io_buf[i] != (i >= lo && i < hi ? IO_ONES : IO_GUARD))
			return i;
	return IO_BUF_SIZE;
}

static void io_check_ins_case(const struct io_ins_case *c)
{
	uintptr_t base = (uintptr_t)io_buf, di = base + c->offset, cx = c->count;
	uintptr_t want_di = c->back ? di - c->size * c->count : di + c->size * c->count;
	uintptr_t want_cx = c->rep ? 0 : c->count;
	u32 lo, hi, bad;

	memset(io_buf, IO_GUARD, sizeof(io_buf));
	io_ins(c->size, c->rep, c->back, IO_FREE, &di, &cx);
	io_ins_span(c, &lo, &hi);
	bad = io_buf_mismatch(lo, hi);
	if (bad != IO_BUF_SIZE)
		check_fail("%s: buffer byte %u is 0x%02x (want ones in [%u, %u), guard elsewhere)",
			   c->what, bad, io_buf[bad], lo, hi);
	else if (di != want_di || cx != want_cx)
		check_fail("%s: rdi moved by %lld (want %lld), rcx %llu (want %llu)", c->what,
			   (long long)(di - base) - c->offset,
			   (long long)(want_di - base) - c->offset, (unsigned long long)cx,
			   (unsigned long long)want_cx);
	else
		check_pass("%s", c->what);
}

static void io_check_outs_unclaimed(void)
{
	static const u8 data[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const char *const what[] = {"", "rep outsb x4 to an unclaimed port",
					   "rep outsw x4 to an unclaimed port", "",
					   "rep outsl x4 to an unclaimed port"};

	for (u32 size = 1; size <= 4; size *= 2) {
		uintptr_t si = (uintptr_t)data, cx = 4;

		io_outs(size, true, false, IO_FREE, &si, &cx);
		if (si == (uintptr_t)data + 4 * size && cx == 0)
			check_pass("%s", what[size]);
		else
			check_fail("%s: rsi moved by %lld (want %u), rcx %llu (want 0)", what[size],
				   (long long)(si - (uintptr_t)data), 4 * size,
				   (unsigned long long)cx);
	}
	check_eq("inb unclaimed port still 0xff after OUTS", inb(IO_FREE), 0xFF);
}

/* One check of where RSI and RCX ended after an OUTS to the UART. */
static void io_check_si(const char *what, uintptr_t si, uintptr_t want_si, uintptr_t cx)
{
	if (si == want_si && cx == 0)
		check_pass("%s", what);
	else
		check_fail("%s: rsi off by %lld, rcx %llu (want 0)", what,
			   (long long)(si - want_si), (unsigned long long)cx);
}

static void io_check_outs_uart(void)
{
	static const char line[] = "rep outsb: string I/O reaches the UART\n";
	static const char rev[] = "\nsdrawkcab bstuo per"; /* "rep outsb backwards\n" reversed */
	static const char single[] = "K";
	uintptr_t si = (uintptr_t)line, cx = sizeof(line) - 1;

	io_outs(1, true, false, IO_UART, &si, &cx);
	io_check_si("rep outsb to the UART: rsi, rcx", si, (uintptr_t)line + sizeof(line) - 1, cx);
	si = (uintptr_t)&rev[sizeof(rev) - 2];
	cx = sizeof(rev) - 1;
	io_outs(1, true, true, IO_UART, &si, &cx);
	io_check_si("std; rep outsb to the UART: rsi, rcx", si, (uintptr_t)rev - 1, cx);
	print("outsb single: ");
	si = (uintptr_t)single;
	cx = 0;
	io_outs(1, false, false, IO_UART, &si, &cx);
	print("\n");
	io_check_si("outsb to the UART: rsi", si, (uintptr_t)single + 1, cx);
}

static void io_check_ins_uart(void)
{
	uintptr_t di = (uintptr_t)io_buf, cx = 2;

	memset(io_buf, IO_GUARD, sizeof(io_buf));
	uart_wait_idle();
	io_ins(1, true, false, IO_UART + UART_LSR, &di, &cx);
	if (io_buf[0] == IO_LSR_IDLE && io_buf[1] == IO_LSR_IDLE && io_buf[2] == IO_GUARD &&
	    di == (uintptr_t)io_buf + 2 && cx == 0)
		check_pass("rep insb x2 from LSR reads THRE|TEMT");
	else
		check_fail(
		    "rep insb x2 from LSR: bytes %02x %02x %02x, rdi moved by %lld, rcx %llu",
		    io_buf[0], io_buf[1], io_buf[2], (long long)(di - (uintptr_t)io_buf),
		    (unsigned long long)cx);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("io: port I/O emulation\n");
	io_check_uart();
	if (!bootargs_has(bootargs_keel(info, magic), "uart_wide", "0"))
		io_check_uart_wide();
	io_check_unclaimed();
	io_check_registers();
	for (u32 i = 0; i < ARRAY_SIZE(io_ins_cases); i++)
		io_check_ins_case(&io_ins_cases[i]);
	io_check_ins_uart();
	io_check_outs_unclaimed();
	io_check_outs_uart();
	check_eq("DF is clear again", x86_read_flags() & X86_RFLAGS_DF, 0);
}
