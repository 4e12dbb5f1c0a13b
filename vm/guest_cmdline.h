/*
 * The guest command line: the string on a module2 line (docs/cmdline.md).
 *   name=NAME   the guest's name (default guestN): 1 to 63 letters, digits, - _ .
 *   mem=SIZE    guest RAM, e.g. 64M (default 32M; at least 2M)
 *   ept=4k|2m|1g  largest EPT leaf (default: the largest the CPU has)
 *   expect=END  the way this guest is expected to end (tests), e.g. triple-fault
 *   timeout=N   end the guest once it has run N TSC ticks (K/M/G suffixes)
 *   maxmem=SIZE the most memory Keel may hold for the guest (default: what
 *               mem= needs with its EPT tables and devices); below that, mem=
 *               is overcommitted
 *   onreboot=restart|end  what a reset request does (default restart)
 *   ontriple=end|reset    a triple fault ends the guest (default) or resets it
 *   cpus=LIST   the CPUs the guest's vCPUs may run on: comma-separated
 *               indices and inclusive ranges, e.g. 1 or 0,2-3 (Keel's CPU
 *               indices: 0 the boot CPU, others in MADT order; each below
 *               GUEST_CPUS_MAX); overlaps are a union. Default: anywhere
 *   vcpus=N     the guest's vCPUs, 1 to GUEST_VCPUS_MAX (default 1): vCPU 0
 *               starts at the image's entry, the others wait for INIT-SIPI
 *   failalloc=N test-only (honoured with Keel's testhc=on): the guest's Nth
 *               frame allocation, counted over its life, fails (N >= 1)
 *   -- ARGS     everything after is passed to the guest
 * A module2 line starting with for=NAME is not a guest: it becomes a module
 * of guest NAME, in order. A module string (a guest's or a for= line) is at
 * most GUEST_CMDLINE_STRING_MAX - 1 bytes: 4 KiB with its NUL.
 */
#ifndef KEEL_VM_GUEST_CMDLINE_H
#define KEEL_VM_GUEST_CMDLINE_H

#include "boot/mb2.h"
#include "lib/types.h"

#define GUEST_CONFIG_NAME_MAX	 64   /* a name is 1 to 63 characters */
#define GUEST_CMDLINE_STRING_MAX 4096 /* a whole module string, its NUL included */
#define GUEST_CONFIG_ARGS_MAX	 4096 /* the arguments after "--", their NUL included */
#define GUEST_CONFIG_MODULES	 8
#define GUEST_DEFAULT_MEM	 (32 * MiB)
#define GUEST_MIN_MEM		 (2 * MiB)
/*
 * cpus= indices are below this: CPU_MAX of arch/x86/percpu.h, which this
 * pure parser does not include (vm/guest_config.c asserts they agree).
 * One bit per CPU in a u64.
 */
#define GUEST_CPUS_MAX 64
/* vcpus= is at most this. */
#define GUEST_VCPUS_MAX 8

struct guest;

struct guest_config {
	char name[GUEST_CONFIG_NAME_MAX];
	u64 mem_size;
	unsigned ept_level; /* 0: default */
	char expect[24];
	u64 timeout;	    /* TSC ticks, 0 = none */
	u64 maxmem;	    /* bytes, 0 = derived from mem_size */
	bool onreboot_end;  /* onreboot=end: a reset request ends the guest */
	bool triple_resets; /* ontriple=reset: a triple fault is a reset request */
	u64 cpus;	    /* bit i: may run on CPU i; 0: anywhere (Keel places it) */
	unsigned vcpus;	    /* vcpus=, 1..GUEST_VCPUS_MAX */
	u64 failalloc;	    /* failalloc=: the allocation that fails; 0 = none */
	char args[GUEST_CONFIG_ARGS_MAX];
	const struct mb2_module *image;
	const struct mb2_module *modules[GUEST_CONFIG_MODULES];
	unsigned module_count;
};

/*
 * Parses one guest module string (pure). max_mem bounds mem=. Returns
 * false with a one-line reason in err (a string of GUEST_CMDLINE_STRING_MAX
 * bytes or more is refused first, see guest_cmdline_length_ok).
 */
bool guest_cmdline_parse(const char *s, unsigned index, u64 max_mem, struct guest_config *c,
			 char *err, size_t err_len);
/*
 * A module string shorter than GUEST_CMDLINE_STRING_MAX: true, or false
 * with "module string is N bytes, at most M" in err.
 */
bool guest_cmdline_length_ok(const char *s, char *err, size_t err_len);
/* If s is a for=NAME line, copies NAME and returns true. */
bool guest_cmdline_for(const char *s, char *name, size_t name_len);

/*
 * Builds configs from all modules; rejected lines are reported (one line
 * each, naming the guest) and counted in *failed. Returns the count.
 */
unsigned guest_cmdline_configs(const struct boot_info *bi, struct guest_config *configs,
			       unsigned max, unsigned *failed);
/* Fills a fresh guest from its config. */
void guest_config_apply(const struct guest_config *c, struct guest *g, unsigned id);
/* Gives the config's module memory back to the frame allocator. */
void guest_config_release(const struct guest_config *c);

#endif
