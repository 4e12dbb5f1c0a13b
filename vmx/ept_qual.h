/*
 * Exit qualification for EPT violations (Intel SDM Vol. 3C, 28.2.1,
 * Table 28-7), decoded by a pure function so host tests can cover it.
 */
#ifndef KEEL_VMX_EPT_QUAL_H
#define KEEL_VMX_EPT_QUAL_H

#include "lib/types.h"

#define EPT_QUAL_READ		 BIT(0)
#define EPT_QUAL_WRITE		 BIT(1)
#define EPT_QUAL_FETCH		 BIT(2)
#define EPT_QUAL_READABLE	 BIT(3)
#define EPT_QUAL_WRITABLE	 BIT(4)
#define EPT_QUAL_EXECUTABLE	 BIT(5)
#define EPT_QUAL_USER_EXECUTABLE BIT(6)
#define EPT_QUAL_LINEAR_VALID	 BIT(7)
#define EPT_QUAL_TRANSLATED	 BIT(8) /* valid only with LINEAR_VALID */
#define EPT_QUAL_NMI_UNBLOCKING	 BIT(12)
#define EPT_QUAL_ASYNC		 BIT(16) /* asynchronous to instruction execution */

struct ept_qual {
	bool read, write, fetch;	     /* the access that faulted (may be several) */
	bool readable, writable, executable; /* what the entry allowed */
	bool linear_valid;		     /* guest-linear address field is valid */
	bool translated;     /* access to the translated address, not a table walk */
	bool nmi_unblocking; /* IRET unblocked NMIs before the fault */
	bool async;	     /* not made by an instruction nor by event delivery */
	bool present;	     /* the entry allowed anything: a permission fault */
};

/* Inline: a fault path that reads two fields pays for two. */
static inline struct ept_qual ept_qual_decode(u64 q)
{
	struct ept_qual d = {
	    .read = q & EPT_QUAL_READ,
	    .write = q & EPT_QUAL_WRITE,
	    .fetch = q & EPT_QUAL_FETCH,
	    .readable = q & EPT_QUAL_READABLE,
	    .writable = q & EPT_QUAL_WRITABLE,
	    .executable = q & EPT_QUAL_EXECUTABLE,
	    .linear_valid = q & EPT_QUAL_LINEAR_VALID,
	    .translated = (q & EPT_QUAL_LINEAR_VALID) && (q & EPT_QUAL_TRANSLATED),
	    .nmi_unblocking = q & EPT_QUAL_NMI_UNBLOCKING,
	    .async = q & EPT_QUAL_ASYNC,
	    .present = q & (EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_EXECUTABLE),
	};

	return d;
}
/* True if an entry with these permissions (PT_PERM_*) satisfies the access. */
bool ept_qual_satisfied(const struct ept_qual *d, unsigned perms);
/* "read", "write", "fetch" or a combination, for reports. */
const char *ept_qual_access_name(const struct ept_qual *d);

#endif
