/*
 * libFuzzer target for vm/elf.c: elf_parse() on arbitrary guest images.
 * Input: 1 byte choosing the guest's RAM size, 1 byte choosing min_gpa,
 * then the image, copied to an exactly-sized heap buffer so ASan flags any
 * read past it. On success each run checks elf.h's contract: 1..16
 * segments, each non-empty with filesz <= memsz, its bytes inside the file,
 * its memory inside [min_gpa, mem_size), no two overlapping, load_end their
 * highest end, the entry inside one of them and the kind matching the class.
 */
#include "tests/fuzz/fuzz_check.h"

#include "vm/elf.h"

static struct elf_image ei;

/* 0xFF: no RAM bound at all (overflow paths); else (b + 1) * 256 KiB. */
static u64 mem_size_of(u8 b)
{
	return b == 0xFF ? UINT64_MAX : (b + 1ULL) * 256 * KiB;
}

/* 0xFF: above any RAM; else b * 64 KiB (16 is Keel's 1 MiB). */
static u64 min_gpa_of(u8 b)
{
	return b == 0xFF ? BIT(63) : b * 64 * KiB;
}

static void check_segment(const struct elf_segment *s, const u8 *img, u64 len, u64 mem_size,
			  u64 min_gpa)
{
	volatile u8 sink = 0;

	FUZZ_CHECK(s->memsz > 0 && s->filesz <= s->memsz);
	FUZZ_CHECK(s->offset <= len && s->filesz <= len - s->offset);
	FUZZ_CHECK(s->gpa >= min_gpa && s->gpa <= mem_size && s->memsz <= mem_size - s->gpa);
	for (u64 i = 0; i < s->filesz; i += 512) /* the loader copies these bytes */
		sink ^= img[s->offset + i];
	if (s->filesz)
		sink ^= img[s->offset + s->filesz - 1];
	(void)sink;
}

static void check_ok(const struct elf_image *e, const u8 *img, u64 len, u64 mem_size, u64 min_gpa)
{
	bool entry_in = false;
	u64 end = 0;

	FUZZ_CHECK(e->seg_count >= 1 && e->seg_count <= ELF_MAX_SEGMENTS);
	FUZZ_CHECK(e->kind == (img[4] == ELFCLASS64 ? ELF_KIND_64 : ELF_KIND_MB32));
	for (unsigned i = 0; i < e->seg_count; i++) {
		const struct elf_segment *s = &e->seg[i];

		check_segment(s, img, len, mem_size, min_gpa);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(s->gpa + s->memsz <= e->seg[j].gpa ||
				   e->seg[j].gpa + e->seg[j].memsz <= s->gpa);
		entry_in |= e->entry >= s->gpa && e->entry - s->gpa < s->memsz;
		end = MAX(end, s->gpa + s->memsz);
	}
	FUZZ_CHECK(entry_in);
	FUZZ_CHECK(e->load_end == end);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 mem_size = mem_size_of((u8)fuzz_take(&data, &size, 1));
	u64 min_gpa = min_gpa_of((u8)fuzz_take(&data, &size, 1));
	u8 *img = malloc(size ? size : 1);
	char err[160];
	bool ok;

	memcpy(img, data, size);
	err[0] = '\0';
	ok = elf_parse(img, size, mem_size, min_gpa, &ei, err, sizeof(err));
	fuzz_check_err(err, sizeof(err), !ok);
	if (ok)
		check_ok(&ei, img, size, mem_size, min_gpa);
	FUZZ_CHECK(!memcmp(img, data, size)); /* the parser never writes the image */
	free(img);
	return 0;
}
