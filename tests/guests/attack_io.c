/*
 * Guest "attack_io": port I/O to every port (issue 8,
 * tests/emu/test_hostile.py). Nothing may reach a physical device unless a
 * device model claims it.
 *
 *   -- [from=0] [to=0x10000] [mode=scan|string-outside]
 *
 * mode=scan: for every port in [from, to) and each size 1, 2, 4: IN, then
 * OUT of 0xFE, 0xFEFE or 0xFEFEFEFE (values that would reset or power off
 * the machine at 0x64, 0xCF9 or an ACPI PM1 control port, were they
 * passed through; 0xFE leaves port 0x92's reset bit clear, and SLP_TYP 7
 * is no sleeping state Keel offers). An access wholly inside a model (the
 * UART at 0x3F8-0x3FF, the debug-exit port at 0xF4-0xF7, the legacy
 * platform's ports in io_platform) goes to the model: its reads are not
 * judged, and writes that would end or reset the guest itself are left
 * out: the debug-exit port, and the guest's own reset requests (0xFE to
 * the keyboard controller at 0x64, a byte with RST_CPU to the reset
 * control register at 0xCF9; tests/emu/test_power.py shows those restart
 * only the guest). Every other read must give all ones.
 * Then: Bochs' shutdown port 0x8900 gets "Shutdown", the PCI configuration address of
 * the host bridge (0x80000000 at 0xCF8) and a read of 0xCFC must give all
 * ones, and REP OUTSB / REP INSB of 64 KiB to an unclaimed port. It prints
 * `io: unclaimed reads R writes W` (its own count) for the emulator test to
 * compare with Keel's summary, re-initialises its UART (the scan wrote
 * garbage to LCR and MCR) and ends by debug-exit.
 *
 * mode=string-outside: REP INSB with RDI 16 bytes below the end of its RAM
 * and RCX 64: Keel's string emulation reaches a GPA outside RAM and must
 * end the guest (ept-violation), not fault itself.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/uart.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

#define IO_PORTS       0x10000U
#define IO_DEBUG_EXIT  KEEL_DEBUG_EXIT_PORT
#define IO_UART_MCR    4
#define IO_BOCHS_SHUT  0x8900
#define IO_PCI_ADDR    0xCF8
#define IO_PCI_DATA    0xCFC
#define IO_UNCLAIMED   0x2F0
#define IO_STRING_LEN  (64 * 1024)
#define IO_BAD_SHOWN   4
#define IO_STR_OUTSIDE 16
#define IO_STR_OUT_RCX 64

static struct {
	const char *args;
	u64 mem;
} env;

static u64 io_reads, io_writes, io_bad;
static u8 io_buf[IO_STRING_LEN];

/* [port, port+size) lies wholly inside [base, base+len). */
static bool io_inside(u32 port, u32 size, u32 base, u32 len)
{
	return port >= base && port + size <= base + len;
}

/* The legacy PC devices every guest has (docs/platform-legacy.md): port, width. */
static const u16 io_platform[][2] = {
    {0x20, 2},	{0x40, 4},	  {0x61, 1},	    {0x64, 1},	{0x70, 2},  {0x92, 1},	{0xA0, 2},
    {0x4D0, 2}, {IO_PCI_ADDR, 4}, {IO_PCI_DATA, 4}, {0x600, 4}, {0x604, 2}, {0x608, 4},
};

/* Writes that are the guest's own reset requests (docs/platform-legacy.md). */
static bool io_resets_me(u32 port, u32 size)
{
	return (port == 0x64 && size == 1) || (port == IO_PCI_ADDR + 1 && size == 1);
}

static bool io_claimed(u32 port, u32 size)
{
	for (u32 i = 0; i < ARRAY_SIZE(io_platform); i++)
		if (io_inside(port, size, io_platform[i][0], io_platform[i][1]))
			return true;
	return io_inside(port, size, UART_COM1, 8) || io_inside(port, size, IO_DEBUG_EXIT, 4);
}

static u32 io_in(u16 port, u32 size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void io_out(u16 port, u32 size)
{
	if (size == 1)
		outb(port, 0xFE);
	else if (size == 2)
		outw(port, 0xFEFE);
	else
		outl(port, 0xFEFEFEFE);
}

static void io_one(u32 port, u32 size)
{
	u32 ones = size == 4 ? 0xFFFFFFFFU : (1U << (size * 8)) - 1;
	u32 got = io_in((u16)port, size);
	bool claimed = io_claimed(port, size);

	if (!claimed) {
		io_reads++;
		if (got != ones && io_bad++ < IO_BAD_SHOWN)
			check_fail("in%c 0x%x read 0x%x, want all ones", "bw?l"[size - 1], port,
				   got);
	}
	if (io_inside(port, size, IO_DEBUG_EXIT, 4) || io_resets_me(port, size))
		return;
	io_out((u16)port, size);
	io_writes += !claimed;
}

static void io_scan(u32 from, u32 to)
{
	print("io: IN and OUT of sizes 1, 2, 4 at ports [0x%x, 0x%x)\n", from, to);
	for (u32 port = from; port < to; port++)
		for (u32 size = 1; size <= 4; size *= 2)
			io_one(port, size);
}

static void io_specials(void)
{
	static const char shutdown[] = "Shutdown";

	for (u32 i = 0; i < sizeof(shutdown) - 1; i++)
		outb(IO_BOCHS_SHUT, (u8)shutdown[i]);
	/* 0xCF8/0xCFC belong to Keel's empty PCI configuration space (claimed). */
	outl(IO_PCI_ADDR, 0x80000000U);
	check_eq("PCI config 00:00.0 register 0 reads all ones, not the host bridge",
		 inl(IO_PCI_DATA), 0xFFFFFFFFU);
	io_writes += sizeof(shutdown) - 1;
}

static void io_strings(void)
{
	const u8 *src = io_buf;
	u8 *dst = io_buf;
	u64 n = IO_STRING_LEN, bad = 0;

	memset(io_buf, 0x5A, sizeof(io_buf));
	__asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"(IO_UNCLAIMED) : "memory");
	check_eq("rep outsb 64 KiB to an unclaimed port: RCX counts down to 0", n, 0);
	n = IO_STRING_LEN;
	__asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(n) : "d"(IO_UNCLAIMED) : "memory");
	for (u32 i = 0; i < IO_STRING_LEN; i++)
		bad += io_buf[i] != 0xFF;
	check_eq("rep insb 64 KiB from an unclaimed port reads all ones (bytes differing)", bad, 0);
	io_reads += IO_STRING_LEN;
	io_writes += IO_STRING_LEN;
}

/* The scan left LCR with DLAB and MCR with loopback: set the UART up again. */
static void io_uart_reset(void)
{
	outb(UART_COM1 + IO_UART_MCR, 0);
	uart_init();
	print("\n");
}

static u64 io_arg(const char *key, u64 dflt)
{
	u64 v;

	return bootargs_size(env.args, key, &v) ? v : dflt;
}

static void io_string_outside(void)
{
	u8 *dst = (u8 *)(uintptr_t)(env.mem - IO_STR_OUTSIDE);
	u64 n = IO_STR_OUT_RCX;

	print("io: rep insb of %u bytes at gpa 0x%llx, %u below the end of RAM\n", IO_STR_OUT_RCX,
	      (unsigned long long)(uintptr_t)dst, IO_STR_OUTSIDE);
	__asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(n) : "d"(IO_UNCLAIMED) : "memory");
	check_fail("rep insb past the end of RAM returned (rcx %llu)", (unsigned long long)n);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;
	u64 from, to;

	idt_init();
	env.args = bootargs_keel(info, magic);
	env.mem = *env.args ? bi->mem_size : 0;
	if (bootargs_has(env.args, "mode", "string-outside")) {
		io_string_outside();
		return;
	}
	from = io_arg("from", 0);
	to = io_arg("to", IO_PORTS);
	if (from >= to || to > IO_PORTS) {
		check_fail("want 0 <= from < to <= 0x10000");
		return;
	}
	io_scan((u32)from, (u32)to);
	io_uart_reset();
	if (io_bad == 0)
		check_pass("io scan: every unclaimed read gave all ones");
	io_specials();
	io_strings();
	print("io: unclaimed reads %llu writes %llu\n", (unsigned long long)io_reads,
	      (unsigned long long)io_writes);
}
