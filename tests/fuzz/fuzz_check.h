/*
 * Shared by the libFuzzer targets in tests/fuzz/ (docs/fuzzing.md): the
 * entry point's prototype, a contract check that stops the run with the
 * failing condition (libFuzzer saves the input as a crash), and helpers
 * for the checks every target makes on its inputs and error messages.
 */
#ifndef KEEL_TESTS_FUZZ_CHECK_H
#define KEEL_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/types.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* A contract of the function under test does not hold: abort the run. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: contract violated: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Reads a little-endian value of n <= 8 bytes from *data, consuming it; 0 past the end. */
static inline u64 fuzz_take(const u8 **data, size_t *size, unsigned n)
{
	u64 v = 0;

	for (unsigned i = 0; i < n && *size; i++, (*data)++, (*size)--)
		v |= (u64) * *data << (8 * i);
	return v;
}

/* [p, p + n) lies inside [base, base + len). */
static inline bool fuzz_inside(const void *p, size_t n, const void *base, size_t len)
{
	const u8 *b = base, *q = p;

	return q >= b && q <= b + len && n <= (size_t)(b + len - q);
}

/*
 * An error message as Keel prints it: NUL-terminated inside its err_len
 * buffer, one line, and non-empty when the call failed and had room.
 */
static inline void fuzz_check_err(const char *err, size_t err_len, bool failed)
{
	size_t n;

	if (!err_len)
		return;
	n = strnlen(err, err_len);
	FUZZ_CHECK(n < err_len);
	FUZZ_CHECK(!memchr(err, '\n', n));
	FUZZ_CHECK(!failed || err_len < 2 || n > 0);
}

#endif
