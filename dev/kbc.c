/*
 * The keyboard controller's reset line, and nothing else of the 8042: the
 * guest's FADT says there is no 8042 (IAPC_BOOT_ARCH), so no keyboard or
 * mouse is offered, but an OS that resets the PC the classic way writes
 * the "pulse output line 0" command 0xFE to port 0x64 (after waiting for
 * the controller's input buffer to be empty). The status register at 0x64
 * reads 0: input and output buffers empty. Any other command is dropped;
 * port 0x60 stays unclaimed.
 */
#include "dev/dev.h"
#include "dev/platform.h"
#include "vm/guest.h"

#define KBC_STATUS_PORT	    0x64
#define KBC_CMD_PULSE_RESET 0xFE

static u64 kbc_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return 0;
}

static void kbc_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	if ((u8)val == KBC_CMD_PULSE_RESET)
		guest_reset(g, "the keyboard controller's reset pulse (0xFE to port 0x64)");
}

static const struct dev_ops kbc_ops = {.name = "kbc-reset", .read = kbc_read, .write = kbc_write};

bool kbc_attach(struct guest *g)
{
	return dev_register(g, DEV_PIO, KBC_STATUS_PORT, 1, &kbc_ops, NULL);
}
