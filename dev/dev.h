/*
 * Device models: one registration interface for port I/O and MMIO. A guest
 * holds a table of regions; an I/O or MMIO exit finds the region covering
 * the access and calls its model with the offset inside the region.
 * Accesses no region claims read as all ones and drop writes (counted).
 */
#ifndef KEEL_DEV_DEV_H
#define KEEL_DEV_DEV_H

#include "lib/types.h"

struct guest;

enum dev_space {
	DEV_PIO,
	DEV_MMIO,
};

struct dev_ops {
	const char *name;
	/* size is 1, 2, 4 (or 8 for MMIO); *val is zero-extended. */
	u64 (*read)(struct guest *g, void *state, u64 offset, unsigned size);
	void (*write)(struct guest *g, void *state, u64 offset, unsigned size, u64 val);
};

struct dev_region {
	enum dev_space space;
	u64 base;
	u64 size;
	const struct dev_ops *ops;
	void *state;
	const struct dev_pio_published *published; /* NULL: every read calls the model */
};

#define GUEST_MAX_DEV_REGIONS 32

/*
 * struct guest's pio_index: per 16 ports, which region claims them, so
 * that a port access finds its model without a scan: DEV_PIO_NONE, the
 * region's index in devs[] plus one when it is the only one there, or
 * DEV_PIO_SEVERAL (then dev_find scans).
 */
#define DEV_PIO_GROUP	16
#define DEV_PIO_GROUPS	(65536 / DEV_PIO_GROUP)
#define DEV_PIO_NONE	0
#define DEV_PIO_SEVERAL 0xFF
_Static_assert(GUEST_MAX_DEV_REGIONS < DEV_PIO_SEVERAL, "pio_index holds an index plus one");

/*
 * Port reads a model publishes for the register-only I/O exit
 * (vmx/entry.S): a one-byte IN at offset off (below DEV_PIO_GROUP) of its
 * region, with bit off of `ready` set, has no side effect and reads
 * value[off], so that exit answers it without calling the model. The model
 * rewrites both whenever the register, or whether reading it acts, may
 * have changed. Only a guest of one vCPU takes that exit, on the CPU that
 * runs its models.
 */
struct dev_pio_published {
	u16 ready;
	u8 value[DEV_PIO_GROUP];
};

/* Claims [base, base+size) in a space for a model; false if full or overlapping. */
bool dev_register(struct guest *g, enum dev_space space, u64 base, u64 size,
		  const struct dev_ops *ops, void *state);
/* The port region at base publishes reads in *p (above); false if no port region starts there. */
bool dev_publish(struct guest *g, u16 base, const struct dev_pio_published *p);
/*
 * Moves the region whose state is `state` to base (a relocated local APIC,
 * SDM Vol. 3A 11.4.5). It may come to overlap other regions of its space:
 * with `over` it answers before them where they overlap (an enabled local
 * APIC takes its page from any device there), else after them (a disabled
 * one hands the page back). False if no region has that state or the range
 * would wrap.
 */
bool dev_rebase(struct guest *g, const void *state, u64 base, bool over);
/* The region covering [addr, addr+size), or NULL; where regions overlap, the first. */
const struct dev_region *dev_find(const struct guest *g, enum dev_space space, u64 addr,
				  unsigned size);
/* dev_find's scan of every region, without pio_index (dev/pio.h: a group several share). */
const struct dev_region *dev_scan(const struct guest *g, enum dev_space space, u64 addr,
				  unsigned size);
/* Port I/O from the guest: dev/pio.h, inline. */

/* The models every guest gets (one file each under dev/). */
bool uart16550_attach(struct guest *g, u16 base);
bool debugexit_attach(struct guest *g, u16 port);
/* The legacy PC devices: PIC, PIT, ports 0x61/0x92, RTC/CMOS, PCI config (dev/platform.c). */
bool platform_attach(struct guest *g);
/* The test MMIO device (testmmio=on): 4 KiB of scratch registers. */
#define TESTREG_GPA 0xFEB00000ULL
bool testreg_attach(struct guest *g, u64 gpa_base);
/* COM1 (dev/uart16550.c). Flushes a partial output line at guest end. */
void uart16550_flush(struct guest *g);
/* Lines the guest wrote while its UART read busy (Keel's console backed up): dropped. */
u64 uart16550_dropped(struct guest *g);
/*
 * A key for the guest: queued (256 bytes) and moved into the receive FIFO
 * as it has room, so a full FIFO loses nothing. False, and counted, when
 * the queue is full too (the guest does not read its keys).
 */
bool uart16550_receive(struct guest *g, u8 byte);
u64 uart16550_keys_dropped(struct guest *g);
/* Housekeeping: THR empties again once Keel's console has drained (the THRE interrupt). */
void uart16550_poll(struct guest *g);
/*
 * The guest's unfinished output line (a prompt), for the focused guest:
 * shown once the guest is halted, or has run since the last call without
 * writing a byte while its THR was empty, and brought up to date as it
 * grows (lib/console.h).
 */
void uart16550_show_open(struct guest *g);
/*
 * True if COM1 could raise its interrupt without the guest doing anything:
 * receive interrupts enabled and keys may come (`keys`, or some already
 * queued), or the THRE interrupt enabled while THR waits for the console.
 * A guest halted on that is not stuck.
 */
bool uart16550_may_interrupt(struct guest *g, bool keys);

#endif
