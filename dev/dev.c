/*
 * The device-region table of a guest, and port I/O dispatch.
 */
#include "dev/dev.h"
#include "vm/guest.h"

bool dev_register(struct guest *g, enum dev_space space, u64 base, u64 size,
		  const struct dev_ops *ops, void *state)
{
	if (g->dev_count == GUEST_MAX_DEV_REGIONS || size == 0 || base + size < base)
		return false;
	for (unsigned i = 0; i < g->dev_count; i++) {
		const struct dev_region *r = &g->devs[i];

		if (r->space == space && base < r->base + r->size && r->base < base + size)
			return false;
	}
	g->devs[g->dev_count++] = (struct dev_region){space, base, size, ops, state};
	if (space == DEV_PIO)
		for (u64 grp = base / DEV_PIO_GROUP;
		     grp <= (base + size - 1) / DEV_PIO_GROUP && grp < DEV_PIO_GROUPS; grp++)
			g->pio_groups[grp / 64] |= BIT(grp % 64);
	return true;
}

const struct dev_region *dev_find(const struct guest *g, enum dev_space space, u64 addr,
				  unsigned size)
{
	/* Most ports are nobody's: one bit per 16 ports says so without a scan. */
	if (space == DEV_PIO && addr < DEV_PIO_GROUP * DEV_PIO_GROUPS &&
	    !(g->pio_groups[addr / DEV_PIO_GROUP / 64] & BIT(addr / DEV_PIO_GROUP % 64)))
		return NULL;
	for (unsigned i = 0; i < g->dev_count; i++) {
		const struct dev_region *r = &g->devs[i];

		if (r->space == space && addr >= r->base && addr + size <= r->base + r->size)
			return r;
	}
	return NULL;
}

static u32 size_mask(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

u32 dev_pio_read(struct guest *g, u16 port, unsigned size)
{
	const struct dev_region *r = dev_find(g, DEV_PIO, port, size);

	if (!r) {
		g->stats.io_unclaimed_reads++;
		return size_mask(size);
	}
	return (u32)r->ops->read(g, r->state, port - r->base, size) & size_mask(size);
}

void dev_pio_write(struct guest *g, u16 port, unsigned size, u32 val)
{
	const struct dev_region *r = dev_find(g, DEV_PIO, port, size);

	if (!r) {
		g->stats.io_unclaimed_writes++;
		return;
	}
	r->ops->write(g, r->state, port - r->base, size, val & size_mask(size));
}

bool dev_rebase(struct guest *g, const void *state, u64 base)
{
	for (unsigned i = 0; i < g->dev_count; i++) {
		struct dev_region *r = &g->devs[i];

		if (r->state != state)
			continue;
		if (base + r->size < base)
			return false;
		for (unsigned k = 0; k < g->dev_count; k++) {
			const struct dev_region *o = &g->devs[k];

			if (k != i && o->space == r->space && base < o->base + o->size &&
			    o->base < base + r->size)
				return false;
		}
		r->base = base;
		return true;
	}
	return false;
}
