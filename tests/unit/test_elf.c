/*
 * Host tests for vm/elf.c: guest images (ELF64 x86-64, or ELF32 i386 with
 * a multiboot v1 header) built in memory, valid and broken in each way the
 * parser must catch, with a one-line reason for every rejection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vm/elf.h"

#define MEM	 (16 * MiB)
#define MIN_GPA	 (1 * MiB)
#define IMG_SIZE 0x4000

static u8 img[IMG_SIZE];
static struct elf_image out;
static char err[200];

/* An ELF64 x86-64 executable header with phnum program headers right after it. */
static struct elf64_ehdr *mk64(u64 entry, u16 phnum)
{
	struct elf64_ehdr *h = (struct elf64_ehdr *)img;

	memset(img, 0, sizeof(img));
	memcpy(h->e_ident,
	       "\x7f"
	       "ELF",
	       4);
	h->e_ident[4] = ELFCLASS64;
	h->e_ident[5] = ELFDATA2LSB;
	h->e_ident[6] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_phoff = sizeof(*h);
	h->e_ehsize = sizeof(*h);
	h->e_phentsize = sizeof(struct elf64_phdr);
	h->e_phnum = phnum;
	return h;
}

static struct elf64_phdr *ph64(unsigned i, u64 off, u64 paddr, u64 filesz, u64 memsz)
{
	struct elf64_phdr *p = (struct elf64_phdr *)(img + sizeof(struct elf64_ehdr)) + i;

	*p = (struct elf64_phdr){.p_type = PT_LOAD,
				 .p_offset = off,
				 .p_vaddr = paddr,
				 .p_paddr = paddr,
				 .p_filesz = filesz,
				 .p_memsz = memsz,
				 .p_align = 0x1000};
	return p;
}

static void put_mb1(u64 off, u32 flags)
{
	struct multiboot1_header mh = {0x1BADB002U, flags, -(0x1BADB002U + flags)};

	memcpy(img + off, &mh, sizeof(mh));
}

/* An ELF32 i386 executable with a multiboot header at mb_off (none if 0). */
static struct elf32_ehdr *mk32(u32 entry, u16 phnum, u64 mb_off, u32 mb_flags)
{
	struct elf32_ehdr *h = (struct elf32_ehdr *)img;

	memset(img, 0, sizeof(img));
	memcpy(h->e_ident,
	       "\x7f"
	       "ELF",
	       4);
	h->e_ident[4] = ELFCLASS32;
	h->e_ident[5] = ELFDATA2LSB;
	h->e_ident[6] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_386;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_phoff = sizeof(*h);
	h->e_ehsize = sizeof(*h);
	h->e_phentsize = sizeof(struct elf32_phdr);
	h->e_phnum = phnum;
	if (mb_off)
		put_mb1(mb_off, mb_flags);
	return h;
}

static struct elf32_phdr *ph32(unsigned i, u32 off, u32 paddr, u32 filesz, u32 memsz)
{
	struct elf32_phdr *p = (struct elf32_phdr *)(img + sizeof(struct elf32_ehdr)) + i;

	*p = (struct elf32_phdr){.p_type = PT_LOAD,
				 .p_offset = off,
				 .p_vaddr = paddr + 0xC0000000U,
				 .p_paddr = paddr,
				 .p_filesz = filesz,
				 .p_memsz = memsz};
	return p;
}

static bool parse_len(u64 len)
{
	memset(err, 0, sizeof(err));
	return elf_parse(img, len, MEM, MIN_GPA, &out, err, sizeof(err));
}

/* Rejected with one non-empty line mentioning `word`. */
static void expect_reject_len(u64 len, const char *word)
{
	if (parse_len(len))
		fail_msg("accepted an image that should fail with '%s'", word);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, word))
		fail_msg("error is '%s', expected to mention '%s'", err, word);
}

static void expect_reject(const char *word)
{
	expect_reject_len(IMG_SIZE, word);
}

static void test_valid64(void **state)
{
	mk64(0x100010, 3);
	ph64(0, 0x1000, 0x100000, 0x800, 0x1000);
	ph64(1, 0x2000, 0x200000, 0x1000, 0x5000); /* .bss tail */
	ph64(2, 0x3000, 0x300000, 0, 0);	   /* zero memsz: ignored */
	assert_true(parse_len(IMG_SIZE));
	assert_int_equal(out.kind, ELF_KIND_64);
	assert_int_equal(out.entry, 0x100010);
	assert_int_equal(out.seg_count, 2);
	assert_int_equal(out.seg[0].offset, 0x1000);
	assert_int_equal(out.seg[0].filesz, 0x800);
	assert_int_equal(out.seg[0].gpa, 0x100000);
	assert_int_equal(out.seg[0].memsz, 0x1000);
	assert_int_equal(out.seg[1].gpa, 0x200000);
	assert_int_equal(out.seg[1].memsz, 0x5000);
	assert_int_equal(out.load_end, 0x205000);
}

/* Non-LOAD headers are skipped, whatever they contain. */
static void test_non_load_skipped(void **state)
{
	mk64(0x100000, 2);
	ph64(0, 0x1000, 0x100000, 0x100, 0x100);
	*ph64(1, ~0ULL, 0, ~0ULL, 1) =
	    (struct elf64_phdr){.p_type = 4, .p_offset = ~0ULL, .p_filesz = ~0ULL, .p_memsz = 1};
	assert_true(parse_len(IMG_SIZE));
	assert_int_equal(out.seg_count, 1);
}

/* A segment that ends exactly at the end of RAM and of the file fits. */
static void test_exact_fit(void **state)
{
	mk64(MEM - 1, 1);
	ph64(0, IMG_SIZE - 0x100, MEM - 0x1000, 0x100, 0x1000);
	assert_true(parse_len(IMG_SIZE));
	assert_int_equal(out.load_end, MEM);
	mk64(MIN_GPA, 1);
	ph64(0, 0x1000, MIN_GPA, 0x100, 0x100);
	assert_true(parse_len(IMG_SIZE));
}

static void test_valid_multiboot32(void **state)
{
	mk32(0x100020, 2, 0x1000, MULTIBOOT1_FLAG_PAGE_ALIGN | MULTIBOOT1_FLAG_MEMORY_INFO);
	ph32(0, 0x1000, 0x100000, 0x1000, 0x1000);
	ph32(1, 0x2000, 0x101000, 0x800, 0x3000);
	assert_true(parse_len(IMG_SIZE));
	assert_int_equal(out.kind, ELF_KIND_MB32);
	assert_int_equal(out.entry, 0x100020);
	assert_int_equal(out.seg_count, 2);
	assert_int_equal(out.seg[1].gpa, 0x101000);
	assert_int_equal(out.load_end, 0x104000);
	/* The header may sit at 8 KiB - 12. */
	mk32(0x100020, 1, MULTIBOOT1_SEARCH_LIMIT - 12, MULTIBOOT1_FLAG_PAGE_ALIGN);
	ph32(0, 0x1000, 0x100000, 0x1000, 0x1000);
	assert_true(parse_len(IMG_SIZE));
	/* The a.out kludge (flag 16) is refused: Keel loads ELF segments only. */
	mk32(0x100020, 1, 0x1000, MULTIBOOT1_FLAG_AOUT_KLUDGE);
	ph32(0, 0x1000, 0x100000, 0x1000, 0x1000);
	expect_reject("a.out kludge");
}

static void test_not_elf(void **state)
{
	memset(img, 0, sizeof(img));
	expect_reject("not an ELF");
	mk64(0x100000, 1);
	img[1] = 'e';
	expect_reject("not an ELF");
	mk64(0x100000, 1);
	expect_reject_len(EI_NIDENT - 1, "not an ELF");
	expect_reject_len(0, "not an ELF");
}

static void test_bad_ident(void **state)
{
	mk64(0x100000, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x10);
	img[5] = 2; /* big-endian */
	expect_reject("little-endian");
	img[5] = ELFDATA2LSB;
	img[6] = 0;
	expect_reject("version");
	img[6] = EV_CURRENT;
	img[4] = 3;
	expect_reject("class 3");
	img[4] = 0;
	expect_reject("class 0");
}

static void test_truncated_header(void **state)
{
	mk64(0x100000, 1);
	expect_reject_len(sizeof(struct elf64_ehdr) - 1, "truncated ELF64");
	expect_reject_len(EI_NIDENT, "truncated ELF64");
	mk32(0x100000, 1, 0, 0);
	put_mb1(16, 0); /* a multiboot header inside the short file */
	expect_reject_len(sizeof(struct elf32_ehdr) - 1, "truncated ELF32");
}

static void test_wrong_machine_or_class(void **state)
{
	struct elf64_ehdr *h64 = mk64(0x100000, 1);

	ph64(0, 0x1000, 0x100000, 0x10, 0x10);
	h64->e_machine = EM_386;
	expect_reject("not x86-64");

	struct elf32_ehdr *h32 = mk32(0x100000, 1, 0x1000, 0);

	ph32(0, 0x1000, 0x100000, 0x10, 0x10);
	h32->e_machine = EM_X86_64;
	expect_reject("not i386");
	/* An ELF64 header labelled class 32 reads as a (broken) ELF32 image. */
	mk64(0x100000, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x10);
	img[4] = ELFCLASS32;
	assert_false(parse_len(IMG_SIZE));
	assert_true(strlen(err) > 0);
}

static void test_phdr_table(void **state)
{
	struct elf64_ehdr *h = mk64(0x100000, 1);

	ph64(0, 0x1000, 0x100000, 0x10, 0x10);
	h->e_phoff = IMG_SIZE - sizeof(struct elf64_phdr) + 1;
	expect_reject("program headers lie outside");
	h->e_phoff = ~0ULL - 8; /* offset + size wraps */
	expect_reject("program headers lie outside");
	h->e_phoff = sizeof(*h);
	expect_reject_len(sizeof(*h) + sizeof(struct elf64_phdr) - 1,
			  "program headers lie outside");
	h->e_phentsize = sizeof(struct elf64_phdr) - 1;
	expect_reject("entry size 55");
	h->e_phentsize = 0;
	expect_reject("bad program header table");
	h->e_phentsize = sizeof(struct elf64_phdr);
	h->e_phnum = 0;
	expect_reject("count 0");
	h->e_phnum = ELF_MAX_PHDRS + 1;
	expect_reject("count 65");
	h->e_phnum = 0xFFFF;
	expect_reject("count 65535");
	h->e_phnum = 0xFFFF;
	h->e_phentsize = 0xFFFF;
	expect_reject("bad program header table");
}

/* A larger e_phentsize is honoured as the stride between entries. */
static void test_phentsize_stride(void **state)
{
	struct elf64_ehdr *h = mk64(0x200000, 2);

	h->e_phentsize = 64;
	ph64(0, 0x1000, 0x100000, 0x10, 0x10);
	memset(img + 64 + 56, 0xEE, 8); /* padding of entry 0 */
	*(struct elf64_phdr *)(img + 64 + 64) = (struct elf64_phdr){.p_type = PT_LOAD,
								    .p_offset = 0x2000,
								    .p_vaddr = 0x200000,
								    .p_paddr = 0x200000,
								    .p_filesz = 0x10,
								    .p_memsz = 0x10};
	assert_true(parse_len(IMG_SIZE));
	assert_int_equal(out.seg_count, 2);
	assert_int_equal(out.seg[1].gpa, 0x200000);
}

static void test_segment_file_bytes(void **state)
{
	mk64(0x100000, 1);
	ph64(0, IMG_SIZE - 0x10, 0x100000, 0x11, 0x100);
	expect_reject("outside the file");
	ph64(0, IMG_SIZE + 1, 0x100000, 0, 0x100); /* empty but past the end */
	expect_reject("outside the file");
	ph64(0, ~0ULL - 0xF, 0x100000, 0x20, 0x100); /* offset + size wraps */
	expect_reject("outside the file");
	ph64(0, IMG_SIZE, 0x100000, 0, 0x100); /* empty at the very end: fine */
	assert_true(parse_len(IMG_SIZE));
}

static void test_filesz_over_memsz(void **state)
{
	mk64(0x100000, 1);
	ph64(0, 0x1000, 0x100000, 0x101, 0x100);
	expect_reject("exceeds memory size");
}

static void test_segment_placement(void **state)
{
	mk64(0x100000, 1);
	ph64(0, 0x1000, MIN_GPA - 0x1000, 0x10, 0x2000);
	expect_reject("below");
	ph64(0, 0x1000, MEM - 0x1000, 0x10, 0x1001);
	expect_reject("does not fit");
	ph64(0, 0x1000, MEM, 0x10, 0x10);
	expect_reject("does not fit");
	ph64(0, 0x1000, ~0ULL - 0xFFF, 0x10, 0x2000); /* paddr + memsz wraps to a small value */
	expect_reject("does not fit");
	ph64(0, 0x1000, MIN_GPA, 0x10, ~0ULL); /* huge memsz wraps */
	expect_reject("does not fit");
}

static void test_overlap(void **state)
{
	mk64(0x100000, 3);
	ph64(0, 0x1000, 0x100000, 0x10, 0x2000);
	ph64(1, 0x1000, 0x200000, 0x10, 0x1000);
	ph64(2, 0x1000, 0x101FFF, 0x10, 0x10);
	expect_reject("overlap");
	ph64(2, 0x1000, 0x100000, 0x10, 0x10000); /* covers segment 0 entirely */
	expect_reject("overlap");
	ph64(2, 0x1000, 0x1FF000, 0x10, 0x1001);
	expect_reject("segments 1 and 2 overlap");
	ph64(2, 0x1000, 0x102000, 0x10, 0x10); /* adjacent: fine */
	assert_true(parse_len(IMG_SIZE));
}

static void test_segment_limit(void **state)
{
	mk64(0x100000, ELF_MAX_SEGMENTS + 1);
	for (unsigned i = 0; i < ELF_MAX_SEGMENTS; i++)
		ph64(i, 0x1000, 0x100000 + i * 0x1000, 0x10, 0x1000);
	assert_true(parse_len(IMG_SIZE)); /* 17th header is all zero: type 0, skipped */
	assert_int_equal(out.seg_count, ELF_MAX_SEGMENTS);
	ph64(ELF_MAX_SEGMENTS, 0x1000, 0x100000 + ELF_MAX_SEGMENTS * 0x1000, 0x10, 0x1000);
	expect_reject("more than 16");
}

static void test_vaddr_paddr(void **state)
{
	mk64(0x100000, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x10)->p_vaddr = 0xFFFFFFFF80100000ULL;
	expect_reject("vaddr");
}

static void test_entry(void **state)
{
	mk64(0x100000 + 0x1000, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("entry point 0x101000");
	mk64(0xFFFFF, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("entry point");
	mk64(0x100FFF, 1);
	ph64(0, 0x1000, 0x100000, 0x10, 0x1000);
	assert_true(parse_len(IMG_SIZE));
	/* No segment with memory at all. */
	mk64(0x100000, 1);
	ph64(0, 0x1000, 0x100000, 0, 0);
	expect_reject("no loadable segment");
	/* An ELF32 entry is checked against physical addresses. */
	mk32(0xC0100000U, 1, 0x1000, 0);
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("entry point");
}

static void test_multiboot_header(void **state)
{
	mk32(0x100000, 1, 0, 0);
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("without a multiboot header");
	put_mb1(0x1000, 0);
	((u32 *)(img + 0x1000))[2] += 1; /* bad checksum */
	expect_reject("without a multiboot header");
	mk32(0x100000, 1, 0x1002, 0); /* misaligned: not found */
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("without a multiboot header");
	mk32(0x100000, 1, MULTIBOOT1_SEARCH_LIMIT - 8, 0); /* straddles 8 KiB */
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("without a multiboot header");
	/* A header in a file shorter than its own 12 bytes is not read past the end. */
	mk32(0x100000, 1, 0, 0);
	put_mb1(IMG_SIZE - 12, 0);
	expect_reject_len(IMG_SIZE - 4, "multiboot");
}

static void test_multiboot_flags(void **state)
{
	mk32(0x100000, 1, 0x1000, MULTIBOOT1_FLAG_VIDEO_MODE);
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	expect_reject("video mode");
	for (unsigned bit = 3; bit <= 15; bit++) {
		mk32(0x100000, 1, 0x1000, BIT(bit));
		ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
		expect_reject("unknown features");
	}
}

static void test_multiboot32_segments(void **state)
{
	struct elf32_ehdr *h = mk32(0x100000, 1, 0x1000, 0);

	ph32(0, 0x1000, 0x100000, 0x2000, 0x1000);
	expect_reject("exceeds memory size");
	ph32(0, 0xFFFFFFF0U, 0x100000, 0x20, 0x1000);
	expect_reject("outside the file");
	ph32(0, 0x1000, 0xFFFFF000U, 0x10, 0x2000);
	expect_reject("does not fit");
	ph32(0, 0x1000, 0x100000, 0x10, 0x1000);
	h->e_phentsize = sizeof(struct elf32_phdr) - 1;
	expect_reject("entry size 31");
	h->e_phentsize = sizeof(struct elf32_phdr);
	h->e_phnum = 0;
	expect_reject("count 0");
	h->e_phnum = 1;
	h->e_phoff = IMG_SIZE - 16;
	expect_reject("program headers lie outside");
}

/* A tiny error buffer still gets a terminated (truncated) line. */
static void test_small_err_buffer(void **state)
{
	char small[8];

	memset(img, 0, sizeof(img));
	memset(small, 'x', sizeof(small));
	assert_false(elf_parse(img, IMG_SIZE, MEM, MIN_GPA, &out, small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid64),
	    cmocka_unit_test(test_non_load_skipped),
	    cmocka_unit_test(test_exact_fit),
	    cmocka_unit_test(test_valid_multiboot32),
	    cmocka_unit_test(test_not_elf),
	    cmocka_unit_test(test_bad_ident),
	    cmocka_unit_test(test_truncated_header),
	    cmocka_unit_test(test_wrong_machine_or_class),
	    cmocka_unit_test(test_phdr_table),
	    cmocka_unit_test(test_phentsize_stride),
	    cmocka_unit_test(test_segment_file_bytes),
	    cmocka_unit_test(test_filesz_over_memsz),
	    cmocka_unit_test(test_segment_placement),
	    cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_segment_limit),
	    cmocka_unit_test(test_vaddr_paddr),
	    cmocka_unit_test(test_entry),
	    cmocka_unit_test(test_multiboot_header),
	    cmocka_unit_test(test_multiboot_flags),
	    cmocka_unit_test(test_multiboot32_segments),
	    cmocka_unit_test(test_small_err_buffer),
	};

	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
