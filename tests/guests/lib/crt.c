/*
 * The C side of guest start-up: what runs between the entry code and
 * guest_main(), and the check that the entry code's offsets match
 * struct crt_entry.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/uart.h"

_Static_assert(offsetof(struct crt_entry, info) == CRT_ENTRY_INFO, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, magic) == CRT_ENTRY_MAGIC, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, sp) == CRT_ENTRY_SP, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, flags) == CRT_ENTRY_FLAGS, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, cs) == CRT_ENTRY_CS, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, ds) == CRT_ENTRY_DS, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, es) == CRT_ENTRY_ES, "crt.h offsets");
_Static_assert(offsetof(struct crt_entry, ss) == CRT_ENTRY_SS, "crt.h offsets");
_Static_assert(sizeof(struct crt_entry) == CRT_ENTRY_SIZE, "crt.h offsets");

void crt_start(uintptr_t info, uintptr_t magic)
{
	uart_init();
	guest_main(info, magic);
	check_finish();
}
