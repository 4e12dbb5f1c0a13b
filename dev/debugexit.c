/*
 * The debug-exit port (QEMU's isa-debug-exit semantics): an 8-, 16- or
 * 32-bit write of v ends the guest with status (v << 1) | 1. Reads return
 * all ones, as from an absent device.
 */
#include "dev/dev.h"
#include "vm/guest.h"

static u64 debugexit_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return ~0ULL;
}

static void debugexit_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	guest_end(g, GUEST_END_DEBUG_EXIT, (int)(((u32)val << 1) | 1), "wrote 0x%lx to port 0x%x",
		  val, (unsigned)(0xF4 + offset));
}

static const struct dev_ops debugexit_ops = {
    .name = "debug-exit",
    .read = debugexit_read,
    .write = debugexit_write,
};

bool debugexit_attach(struct guest *g, u16 port)
{
	/* 4 ports wide so a 32-bit write at the base is claimed whole. */
	return dev_register(g, DEV_PIO, port, 4, &debugexit_ops, NULL);
}
