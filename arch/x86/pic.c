/*
 * Masking the 8259A PICs (Intel 8259A datasheet: the ICW1-ICW4
 * initialisation sequence, then OCW1 for the interrupt mask).
 */
#include "arch/x86/pic.h"
#include "arch/x86/io.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD	0xA0
#define PIC_SLAVE_DATA	0xA1

#define PIC_ICW1_INIT	  0x10
#define PIC_ICW1_ICW4	  0x01 /* an ICW4 follows */
#define PIC_ICW3_MASTER	  0x04 /* slave on IRQ2 */
#define PIC_ICW3_SLAVE	  0x02 /* slave's cascade identity */
#define PIC_ICW4_8086	  0x01
#define PIC_OCW1_MASK_ALL 0xFF
#define POST_CODE_PORT	  0x80 /* a write here is a short I/O delay */

static void pic_write(u16 port, u8 v)
{
	outb(port, v);
	outb(POST_CODE_PORT, 0);
}

void pic_disable(void)
{
	pic_write(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
	pic_write(PIC_SLAVE_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
	pic_write(PIC_MASTER_DATA, PIC_MASTER_VECTOR);
	pic_write(PIC_SLAVE_DATA, PIC_SLAVE_VECTOR);
	pic_write(PIC_MASTER_DATA, PIC_ICW3_MASTER);
	pic_write(PIC_SLAVE_DATA, PIC_ICW3_SLAVE);
	pic_write(PIC_MASTER_DATA, PIC_ICW4_8086);
	pic_write(PIC_SLAVE_DATA, PIC_ICW4_8086);
	pic_write(PIC_MASTER_DATA, PIC_OCW1_MASK_ALL);
	pic_write(PIC_SLAVE_DATA, PIC_OCW1_MASK_ALL);
}
