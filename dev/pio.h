/*
 * Port I/O dispatch, inline on the I/O exit's path (vm/io.c): a guest's
 * pio_index names the one region claiming each group of 16 ports, so an
 * access reaches its model's read or write with one table look and no
 * call of its own; a group several regions share is scanned (dev_find).
 * Accesses no region claims read as all ones and drop writes (counted).
 */
#ifndef KEEL_DEV_PIO_H
#define KEEL_DEV_PIO_H

#include "dev/dev.h"
#include "vm/guest.h"

/* The port region covering [port, port+size), or NULL; dev_find for ports. */
static inline const struct dev_region *dev_pio_find(const struct guest *g, u16 port, unsigned size)
{
	u8 at = g->pio_index[port / DEV_PIO_GROUP];
	const struct dev_region *r;

	if (at == DEV_PIO_NONE)
		return NULL;
	if (__builtin_expect(at == DEV_PIO_SEVERAL, 0))
		return dev_scan(g, DEV_PIO, port, size);
	r = &g->devs[at - 1];
	return port >= r->base && port + size <= r->base + r->size ? r : NULL;
}

/* The bits of an access of size bytes, 1 to 8 (vm/io.c, IO_QUAL_SIZE): one table look. */
static inline u32 dev_pio_size_mask(unsigned size)
{
	static const u32 mask[9] = {0,		0xFF,	    0xFFFF,	0xFFFFFF,  0xFFFFFFFF,
				    0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};

	return mask[size];
}

/* Port I/O from the guest: dispatch to a model or the unclaimed default. */
static inline u32 dev_pio_read(struct guest *g, u16 port, unsigned size)
{
	const struct dev_region *r = dev_pio_find(g, port, size);

	if (!r) {
		g->stats.io_unclaimed_reads++;
		return dev_pio_size_mask(size);
	}
	return (u32)r->ops->read(g, r->state, port - r->base, size) & dev_pio_size_mask(size);
}

static inline void dev_pio_write(struct guest *g, u16 port, unsigned size, u32 val)
{
	const struct dev_region *r = dev_pio_find(g, port, size);

	if (!r) {
		g->stats.io_unclaimed_writes++;
		return;
	}
	r->ops->write(g, r->state, port - r->base, size, val & dev_pio_size_mask(size));
}

#endif
