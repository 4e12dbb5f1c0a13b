/*
 * The state machine of a PC's 8259A pair (Intel 8259A data sheet): a
 * master and a slave cascaded on the master's IR2, each with its request
 * (IRR), in-service (ISR) and mask (IMR) registers, the ICW1-ICW4
 * initialisation sequence, OCW1-OCW3, priority resolution and the INTA
 * cycle; plus the two edge/level control registers (ELCR) of PC chipsets.
 * Pure: no guest, no I/O; dev/pic8259.c connects it to a guest's ports
 * and interrupt line. Host-tested in tests/unit/test_pic8259.c.
 */
#ifndef KEEL_DEV_PIC8259_CORE_H
#define KEEL_DEV_PIC8259_CORE_H

#include "lib/types.h"

/* ICW1 (A0 = 0, D4 = 1). */
#define PIC8259_ICW1_IC4  BIT(0) /* an ICW4 follows */
#define PIC8259_ICW1_SNGL BIT(1) /* single 8259: no ICW3 */
#define PIC8259_ICW1_LTIM BIT(3) /* level-triggered inputs */
#define PIC8259_ICW1_INIT BIT(4)
/* ICW4. */
#define PIC8259_ICW4_UPM  BIT(0) /* 8086 mode */
#define PIC8259_ICW4_AEOI BIT(1)
#define PIC8259_ICW4_SFNM BIT(4) /* special fully nested mode */
/* OCW2 (A0 = 0, D4 = D3 = 0): R SL EOI 0 0 L2 L1 L0. */
#define PIC8259_OCW2_L_MASK 7
#define PIC8259_OCW2_EOI    BIT(5)
#define PIC8259_OCW2_SL	    BIT(6)
#define PIC8259_OCW2_R	    BIT(7)
/* OCW3 (A0 = 0, D4 = 0, D3 = 1): 0 ESMM SMM 0 1 P RR RIS. */
#define PIC8259_OCW3	  BIT(3)
#define PIC8259_OCW3_RIS  BIT(0) /* read ISR (with RR), else IRR */
#define PIC8259_OCW3_RR	  BIT(1)
#define PIC8259_OCW3_P	  BIT(2) /* poll: the next read acknowledges */
#define PIC8259_OCW3_SMM  BIT(5)
#define PIC8259_OCW3_ESMM BIT(6)
/* The poll word: I - - - - W2 W1 W0. */
#define PIC8259_POLL_INT BIT(7)

#define PIC8259_MASTER	 0
#define PIC8259_SLAVE	 1
#define PIC8259_CASCADE	 2 /* the master's input the slave drives (PC wiring) */
#define PIC8259_IRQS	 16
#define PIC8259_SPURIOUS 7 /* the IR whose vector an INTA with nothing pending gives */

/* ELCR bits that are edge-only on PC chipsets: IRQ 0, 1, 2, 8 and 13. */
#define PIC8259_ELCR_MASTER_MASK 0xF8
#define PIC8259_ELCR_SLAVE_MASK	 0xDE

/* Where a chip is in its initialisation sequence: the ICW it expects next. */
enum pic8259_init {
	PIC8259_READY = 0,
	PIC8259_WANT_ICW2,
	PIC8259_WANT_ICW3,
	PIC8259_WANT_ICW4,
};

struct pic8259_chip {
	u8 irr, isr, imr;
	u8 lines;	/* the input lines' levels, for edge detection */
	u8 elcr;	/* level-triggered inputs (chipset ELCR) */
	u8 vector_base; /* ICW2 & 0xF8 */
	u8 icw1, icw3, icw4;
	u8 lowest; /* the IR with the lowest priority (7 after ICW1; rotation moves it) */
	enum pic8259_init init;
	bool read_isr;	   /* OCW3 RR/RIS: reads at A0 = 0 give ISR, else IRR */
	bool poll;	   /* OCW3 P: the next read at A0 = 0 is the poll word */
	bool special_mask; /* OCW3 SMM */
	bool rotate_aeoi;  /* OCW2 "rotate in automatic EOI mode" */
};

struct pic8259_core {
	struct pic8259_chip chip[2]; /* PIC8259_MASTER, PIC8259_SLAVE */
};

/*
 * The state a PC BIOS leaves: both chips initialised (edge triggered,
 * cascaded, 8086 mode, normal EOI) with the master's IRQ 0-7 at vectors
 * 0x08-0x0F, the slave's IRQ 8-15 at 0x70-0x77, every line masked.
 */
void pic8259_core_init(struct pic8259_core *p);
/* A write of val to chip (MASTER/SLAVE) at address line a0 (0 or 1). */
void pic8259_core_write(struct pic8259_core *p, unsigned chip, unsigned a0, u8 val);
/* A read from chip at a0: IMR (a0 = 1), else the poll word, ISR or IRR as OCW3 selected. */
u8 pic8259_core_read(struct pic8259_core *p, unsigned chip, unsigned a0);
/*
 * True if that read returns the IMR: a register only the guest writes, so
 * the read changes nothing and depends on no input (no poll is pending).
 */
static inline bool pic8259_core_reads_imr(const struct pic8259_core *p, unsigned chip, unsigned a0)
{
	return (a0 & 1) && !p->chip[chip & 1].poll;
}
/* The IMR of chip, as that read returns it. */
static inline u8 pic8259_core_imr(const struct pic8259_core *p, unsigned chip)
{
	return p->chip[chip & 1].imr;
}
/* Input irq (0-15; others ignored) is now at level: a rising edge, or a high level on a
 * level-triggered input, requests an interrupt. */
void pic8259_core_set_irq(struct pic8259_core *p, unsigned irq, bool level);
/* The master's INTR output: a request that is unmasked and above every in-service level. */
bool pic8259_core_intr(const struct pic8259_core *p);
/*
 * The INTA cycle: the vector the CPU receives. The request goes in service
 * (not with AEOI) and leaves the IRR if edge triggered; a cascaded request
 * asks the slave too. Nothing pending gives the spurious IR7 vector of the
 * chip answering (IRQ 7, or IRQ 15 with the master's IR2 in service) and
 * sets no in-service bit on that chip.
 */
u8 pic8259_core_inta(struct pic8259_core *p);
/* The ELCR of chip (port 0x4D0 + chip); IRQ 0, 1, 2, 8, 13 stay edge triggered. */
u8 pic8259_core_elcr_read(const struct pic8259_core *p, unsigned chip);
void pic8259_core_elcr_write(struct pic8259_core *p, unsigned chip, u8 val);

#endif
