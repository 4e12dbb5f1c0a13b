/*
 * The device-region table of a guest, and port I/O dispatch.
 */
#include "dev/dev.h"
#include "dev/pio.h"
#include "lib/string.h"
#include "vm/guest.h"

/* Enters devs[i], a port region, in pio_index. */
static void index_pio(struct guest *g, unsigned i)
{
	const struct dev_region *r = &g->devs[i];

	for (u64 grp = r->base / DEV_PIO_GROUP;
	     grp <= (r->base + r->size - 1) / DEV_PIO_GROUP && grp < DEV_PIO_GROUPS; grp++)
		g->pio_index[grp] =
		    g->pio_index[grp] == DEV_PIO_NONE ? (u8)(i + 1) : DEV_PIO_SEVERAL;
}

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
	g->devs[g->dev_count++] = (struct dev_region){space, base, size, ops, state, NULL};
	if (space == DEV_PIO)
		index_pio(g, g->dev_count - 1);
	return true;
}

bool dev_publish(struct guest *g, u16 base, const struct dev_pio_published *p)
{
	for (unsigned i = 0; i < g->dev_count; i++) {
		struct dev_region *r = &g->devs[i];

		if (r->space == DEV_PIO && r->base == base) {
			r->published = p;
			return true;
		}
	}
	return false;
}

const struct dev_region *dev_scan(const struct guest *g, enum dev_space space, u64 addr,
				  unsigned size)
{
	for (unsigned i = 0; i < g->dev_count; i++) {
		const struct dev_region *r = &g->devs[i];

		if (r->space == space && addr >= r->base && addr + size <= r->base + r->size)
			return r;
	}
	return NULL;
}

const struct dev_region *dev_find(const struct guest *g, enum dev_space space, u64 addr,
				  unsigned size)
{
	/* Ports: most are nobody's, most others one region's (pio_index), without a scan. */
	if (space == DEV_PIO && addr < DEV_PIO_GROUP * DEV_PIO_GROUPS)
		return dev_pio_find(g, (u16)addr, size);
	return dev_scan(g, space, addr, size);
}

bool dev_rebase(struct guest *g, const void *state, u64 base, bool over)
{
	unsigned i = 0, last = g->dev_count - 1;
	struct dev_region r;

	while (i < g->dev_count && g->devs[i].state != state)
		i++;
	if (i == g->dev_count || base + g->devs[i].size < base)
		return false;
	/* dev_find takes the first region that covers an address: move r to the front or back. */
	r = g->devs[i];
	r.base = base;
	if (over) {
		for (; i > 0; i--)
			g->devs[i] = g->devs[i - 1];
		g->devs[0] = r;
	} else {
		for (; i < last; i++)
			g->devs[i] = g->devs[i + 1];
		g->devs[last] = r;
	}
	/* The indices moved: pio_index again. */
	memset(g->pio_index, DEV_PIO_NONE, sizeof(g->pio_index));
	for (i = 0; i < g->dev_count; i++)
		if (g->devs[i].space == DEV_PIO)
			index_pio(g, i);
	return true;
}
