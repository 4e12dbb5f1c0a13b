/*
 * Multiboot v1 memory-map walking and checks (mmap.h). Entries are read
 * with memcpy: the format packs 64-bit fields at 4-byte offsets.
 */
#include "tests/guests/lib/mmap.h"
#include "tests/guests/lib/multiboot1.h"
#include "lib/string.h"

/* Multiboot 0.6.96 3.3: size covers base_addr, length and type at least. */
#define MMAP_MIN_SIZE 20

enum mmap_status mmap_walk(const void *buf, u32 len, struct mmap_range *out, u32 max, u32 *count)
{
	const u8 *p = buf;
	u32 off = 0, n = 0;
	struct mb1_mmap_entry e;

	while (off < len) {
		if (len - off < 4)
			return MMAP_PAST_END;
		memcpy(&e.size, p + off, 4);
		if (e.size < MMAP_MIN_SIZE)
			return MMAP_SHORT_ENTRY;
		if (e.size > len - off - 4)
			return MMAP_PAST_END;
		memcpy(&e, p + off, sizeof(e));
		if (e.base_addr + e.length < e.base_addr)
			return MMAP_WRAPS;
		if (n == max)
			return MMAP_TOO_MANY;
		out[n++] =
		    (struct mmap_range){.base = e.base_addr, .length = e.length, .type = e.type};
		off += e.size + 4;
	}
	*count = n;
	return MMAP_OK;
}

const char *mmap_status_name(enum mmap_status s)
{
	switch (s) {
	case MMAP_OK:
		return "ok";
	case MMAP_SHORT_ENTRY:
		return "entry size below 20";
	case MMAP_PAST_END:
		return "entry runs past mmap_length";
	case MMAP_WRAPS:
		return "base + length wraps";
	case MMAP_TOO_MANY:
		return "too many entries";
	}
	return "?";
}

void mmap_sort(struct mmap_range *r, u32 n)
{
	for (u32 i = 1; i < n; i++) {
		struct mmap_range x = r[i];
		u32 j = i;

		for (; j > 0 && r[j - 1].base > x.base; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

bool mmap_overlaps(const struct mmap_range *r, u32 n)
{
	u64 end = 0;
	bool any = false;

	for (u32 i = 0; i < n; i++) {
		if (r[i].length == 0)
			continue;
		if (any && r[i].base < end)
			return true;
		end = MAX(end, r[i].base + r[i].length);
		any = true;
	}
	return false;
}

/*
 * From entry *i of a sorted map, finds the next maximal run of contiguous
 * entries of the given type (zero-length entries are skipped): returns
 * false when there is none, else its bounds [*start, *end).
 */
static bool mmap_next_run(const struct mmap_range *r, u32 n, u32 type, u32 *i, u64 *start, u64 *end)
{
	while (*i < n && (r[*i].type != type || r[*i].length == 0))
		++*i;
	if (*i == n)
		return false;
	*start = r[*i].base;
	*end = *start + r[*i].length;
	for (++*i; *i < n; ++*i) {
		if (r[*i].length == 0)
			continue;
		if (r[*i].type != type || r[*i].base != *end)
			break;
		*end += r[*i].length;
	}
	return true;
}

bool mmap_equals(const struct mmap_range *r, u32 n, u32 type, u64 lo, u64 hi)
{
	u32 i = 0;
	u64 start, end, s2, e2;

	if (!mmap_next_run(r, n, type, &i, &start, &end))
		return false;
	if (mmap_next_run(r, n, type, &i, &s2, &e2))
		return false;
	return start == lo && end == hi;
}

bool mmap_covers(const struct mmap_range *r, u32 n, u32 type, u64 lo, u64 hi)
{
	u32 i = 0;
	u64 start, end;

	while (mmap_next_run(r, n, type, &i, &start, &end))
		if (start <= lo && hi <= end)
			return true;
	return false;
}
