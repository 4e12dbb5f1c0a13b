/*
 * Keel's reverse map (mm/rmap.h): its blocks, taken at boot.
 */
#include "mm/rmap.h"
#include "lib/console.h"
#include "mm/pmm.h"
#include "mm/zero.h"

/*
 * Shared, write-once at boot: the blocks; each slot then changes only with
 * its frame's owner's EPT (mm/rmap.h).
 */
struct rmap keel_rmap;

bool rmap_init(const struct boot_info *bi)
{
	bool want[RMAP_BLOCKS] = {false};
	unsigned blocks = 0;

	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mb2_region *reg = &bi->regions[i];
		u64 start = MAX(reg->base, (u64)PMM_LOW_LIMIT);
		u64 end = MIN(reg->base + reg->length, (u64)PMM_MAX_PHYS);

		if (reg->type != MB2_MEMORY_AVAILABLE || reg->base + reg->length < reg->base)
			continue;
		for (u64 b = start / RMAP_BLOCK_BYTES;
		     start < end && b <= (end - 1) / RMAP_BLOCK_BYTES; b++)
			want[b] = true;
	}
	for (unsigned b = 0; b < RMAP_BLOCKS; b++) {
		hpa_t run;

		if (!want[b])
			continue;
		if (!pmm_alloc_2m(&run)) {
			pr_err("rmap: no 2 MiB run for the reverse map of GiB %u", b);
			return false;
		}
		zero_frames(run, RMAP_BLOCK_SIZE);
		keel_rmap.block[b] = hpa_ptr(run);
		blocks++;
	}
	pr_info("rmap: reverse map of %u GiB in %u MiB", blocks,
		(unsigned)(blocks * RMAP_BLOCK_SIZE / MiB));
	return true;
}
