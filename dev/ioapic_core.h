/*
 * An Intel 82093AA I/O APIC: its register interface and its input pins,
 * after the 82093AA data sheet, sending the interrupt messages the Intel
 * SDM Vol. 3A chapter 11 describes ("Advanced Programmable Interrupt
 * Controller (APIC)").
 *
 *   MMIO +0x00  IOREGSEL  bits 7:0 select a register (bits 31:8 read 0)
 *   MMIO +0x10  IOWIN     the selected register, 32 bits
 *
 *   register 0x00     ID   bits 27:24, read/write
 *   register 0x01     VER  version 0x11, max redirection entry 23: read-only
 *   register 0x02     ARB  bits 27:24, read-only, loaded when ID is written
 *   registers 0x10-   the redirection table: entry n is registers
 *   0x3F              0x10 + 2n (bits 31:0) and 0x11 + 2n (bits 63:32)
 *
 * Both MMIO registers are 32 bits wide. A read of any size returns the
 * bytes it covers (IOWIN's are the selected register's; every other byte of
 * the page reads 0); a write takes effect only when it is 32 bits wide at
 * +0x00 or +0x10, any other write is ignored. Registers that do not exist
 * read 0 and ignore writes, as do reserved and read-only bits.
 *
 * Pure: no guest, no I/O. The glue (dev/ioapic.c) passes a callback that
 * takes each interrupt message to the local APICs. Host-tested in
 * tests/unit/test_ioapic.c.
 */
#ifndef KEEL_DEV_IOAPIC_CORE_H
#define KEEL_DEV_IOAPIC_CORE_H

#include "lib/types.h"

#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x11 /* the 82093AA: no EOI register, no pin assertion register */

/* The memory-mapped registers (offsets in the I/O APIC's page). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN	0x10

/* The registers IOREGSEL selects. */
#define IOAPIC_REG_ID	  0x00
#define IOAPIC_REG_VER	  0x01
#define IOAPIC_REG_ARB	  0x02
#define IOAPIC_REG_REDTBL 0x10 /* entry n: 0x10 + 2n low dword, 0x11 + 2n high dword */
#define IOAPIC_REG_LAST	  (IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS - 1)

/* ID and ARB: a 4-bit ID in bits 27:24. VER: version 7:0, max redirection entry 23:16. */
#define IOAPIC_ID_SHIFT		  24
#define IOAPIC_ID_MASK		  0xFU
#define IOAPIC_VER_MAXREDIR_SHIFT 16
#define IOAPIC_VER_VALUE	  (IOAPIC_VERSION | (IOAPIC_PINS - 1) << IOAPIC_VER_MAXREDIR_SHIFT)

/* A redirection table entry: one 64-bit word, fields by mask. */
#define IOAPIC_RTE_VECTOR     0xFFULL
#define IOAPIC_RTE_DM_SHIFT   8
#define IOAPIC_RTE_DM_MASK    (7ULL << IOAPIC_RTE_DM_SHIFT) /* delivery mode */
#define IOAPIC_RTE_LOGICAL    BIT(11)			    /* destination mode */
#define IOAPIC_RTE_DELIVS     BIT(12) /* delivery status: read-only, 0 (idle) here */
#define IOAPIC_RTE_POLARITY   BIT(13) /* input pin polarity: 1 = active low */
#define IOAPIC_RTE_REMOTE_IRR BIT(14) /* read-only */
#define IOAPIC_RTE_LEVEL      BIT(15) /* trigger mode: 1 = level */
#define IOAPIC_RTE_MASKED     BIT(16)
#define IOAPIC_RTE_DEST_SHIFT 56
#define IOAPIC_RTE_DEST_MASK  (0xFFULL << IOAPIC_RTE_DEST_SHIFT)
/* The bits software writes; 55:17 are reserved, 12 and 14 read-only. */
#define IOAPIC_RTE_WRITABLE                                                                        \
	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DM_MASK | IOAPIC_RTE_LOGICAL | IOAPIC_RTE_POLARITY |       \
	 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | IOAPIC_RTE_DEST_MASK)

/* Delivery modes (bits 10:8; 3 and 6 are reserved). */
#define IOAPIC_DM_FIXED	 0
#define IOAPIC_DM_LOWEST 1
#define IOAPIC_DM_SMI	 2
#define IOAPIC_DM_NMI	 4
#define IOAPIC_DM_INIT	 5
#define IOAPIC_DM_EXTINT 7

/* An interrupt message, as an entry sends it. */
struct ioapic_msg {
	u8 vector;
	u8 delivery_mode; /* IOAPIC_DM_* (reserved modes are passed on as written) */
	u8 dest;	  /* bits 63:56 of the entry */
	bool logical;	  /* destination mode */
	bool level;	  /* sent as level-triggered: its EOI must come back (ioapic_core_eoi) */
};

/*
 * Takes m to the local APICs it names; true if one accepted it. Only a
 * level-triggered message's answer matters: an accepted one sets remote IRR.
 */
typedef bool ioapic_deliver_fn(void *ctx, const struct ioapic_msg *m);

struct ioapic_core {
	u64 rte[IOAPIC_PINS]; /* reserved and read-only bits kept as they read */
	u32 lines;	      /* a bit per input pin: asserted */
	u8 regsel;	      /* IOREGSEL bits 7:0 */
	u8 id, arb;	      /* 4-bit IDs */
	ioapic_deliver_fn *deliver;
	void *ctx;
};

/*
 * The state after reset with the ID a firmware gave it (id & 0xF, ARB the
 * same): every entry masked with its other bits 0, no input asserted,
 * IOREGSEL 0. Messages go to deliver(ctx, ...).
 */
void ioapic_core_init(struct ioapic_core *c, u8 id, ioapic_deliver_fn *deliver, void *ctx);

/* An MMIO access at offset (0-0xFFF) in the I/O APIC's page, size 1, 2, 4 or 8. */
u64 ioapic_core_read(const struct ioapic_core *c, u64 offset, unsigned size);
void ioapic_core_write(struct ioapic_core *c, u64 offset, unsigned size, u64 val);

/* Register reg through IOWIN: its value, and a write of val (which may send a message). */
u32 ioapic_core_read_reg(const struct ioapic_core *c, u8 reg);
void ioapic_core_write_reg(struct ioapic_core *c, u8 reg, u32 val);

/*
 * Input pin (0-23; others ignored) is now asserted (level true) or not.
 * An unmasked edge-triggered entry sends its message on the rising edge
 * (an edge while masked is lost). An unmasked level-triggered entry sends
 * it while the pin is asserted and remote IRR is clear, and sets remote
 * IRR when a local APIC accepts it. The polarity bit does not change what
 * counts as asserted: Keel's lines carry "asserted", not a voltage.
 */
void ioapic_core_set_irq(struct ioapic_core *c, unsigned pin, bool level);

/*
 * The EOI message for vector (a local APIC ended a level-triggered
 * interrupt): clears remote IRR of every entry with that vector, which
 * sends again if its pin is still asserted and it is unmasked.
 */
void ioapic_core_eoi(struct ioapic_core *c, unsigned vector);

#endif
