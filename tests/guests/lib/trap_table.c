/*
 * Looking an exception's IP up in the .trap_table (trap.h). Pure, so it is
 * host-tested apart from the dispatch glue in trap.c.
 */
#include "tests/guests/lib/trap.h"

const struct trap_entry *trap_lookup(const struct trap_entry *table, size_t n, uintptr_t ip)
{
	/* A fault reports the instruction, a trap the one after it; where one
	 * entry's next is another's insn, the fault reading wins. */
	for (size_t i = 0; i < n; i++)
		if (table[i].insn == ip)
			return &table[i];
	for (size_t i = 0; i < n; i++)
		if (table[i].next == ip)
			return &table[i];
	return NULL;
}
