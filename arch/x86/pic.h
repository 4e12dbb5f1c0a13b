/*
 * The legacy 8259A interrupt controllers (a master and a slave cascaded on
 * IRQ2, as in every PC). Keel does not use them: it moves their vectors off
 * the exception range and masks every line.
 */
#ifndef KEEL_ARCH_X86_PIC_H
#define KEEL_ARCH_X86_PIC_H

#include "lib/types.h"

/* First vector of the master's and of the slave's eight IRQs after pic_disable(). */
#define PIC_MASTER_VECTOR 0x20
#define PIC_SLAVE_VECTOR  0x28

/*
 * Reinitialises both 8259s with IRQ 0-15 at vectors 0x20-0x2F (not the BIOS'
 * 0x08-0x0F, which are exception vectors) and masks all sixteen lines.
 */
void pic_disable(void);

#endif
