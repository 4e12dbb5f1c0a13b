/*
 * keel-tsc: the first program the busybox initramfs's /init runs
 * (tests/harness/linux_init.sh), so `make bench` can tell when /init starts
 * in TSC ticks (docs/benchmarks.md, the Linux row).
 *
 * Reads the TSC, then writes one line
 *
 *     keel-linux: tsc N
 *
 * to the kernel log (/dev/kmsg, made here if the initramfs has none) and to
 * stdout, and exits 0. The kernel log reaches the serial console at once,
 * by the console driver's polled writes; stdout goes through the tty layer,
 * whose 16550 driver sends by THRE interrupts, which Keel's UART model does
 * not raise yet (so under Keel that copy stays queued). Both copies carry
 * the same N. Under Keel a guest's TSC is the host's (no TSC offset unless
 * the guest writes IA32_TSC), so N is on the same clock as Keel's own.
 *
 * A static x86-64 Linux program with no libc: tests/harness/linux_assets.py
 * builds it with `gcc -static -nostdlib`; its system calls are issued here.
 */
#define SYS_WRITE 1
#define SYS_OPEN  2
#define SYS_CLOSE 3
#define SYS_EXIT  60
#define SYS_MKNOD 133
#define O_WRONLY  1
#define S_IFCHR	  0020000
#define KMSG_DEV  ((1 << 8) | 11) /* char 1:11, old encoding (major < 4096, minor < 256) */
#define ENOENT	  2
#define STDOUT	  1

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The TSC, read after every earlier instruction has completed (LFENCE). */
static unsigned long read_tsc(void)
{
	unsigned int lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}

/* Appends v in decimal at p; returns the end. */
static char *put_decimal(char *p, unsigned long v)
{
	char digits[20]; /* 2^64 - 1 has 20 */
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

void _start(void) __attribute__((noreturn));

void _start(void)
{
	static const char prefix[] = "keel-linux: tsc ";
	unsigned long tsc = read_tsc(); /* first: everything after is not measured */
	char line[sizeof(prefix) + 21];
	char *p = line;
	unsigned long i;
	long kmsg;

	for (i = 0; i < sizeof(prefix) - 1; i++)
		*p++ = prefix[i];
	p = put_decimal(p, tsc);
	*p++ = '\n';
	kmsg = syscall3(SYS_OPEN, (long)"/dev/kmsg", O_WRONLY, 0);
	if (kmsg == -ENOENT &&
	    syscall3(SYS_MKNOD, (long)"/dev/kmsg", S_IFCHR | 0600, KMSG_DEV) == 0)
		kmsg = syscall3(SYS_OPEN, (long)"/dev/kmsg", O_WRONLY, 0);
	if (kmsg >= 0) {
		syscall3(SYS_WRITE, kmsg, (long)line, p - line);
		syscall3(SYS_CLOSE, kmsg, 0, 0);
	}
	syscall3(SYS_WRITE, STDOUT, (long)line, p - line);
	syscall3(SYS_EXIT, 0, 0, 0);
	for (;;)
		;
}
