/*
 * EPT-violation exit-qualification decoding (pure; host-tested).
 */
#include "vmx/ept_qual.h"
#include "mm/pt.h"

struct ept_qual ept_qual_decode(u64 q)
{
	struct ept_qual d = {
	    .read = q & EPT_QUAL_READ,
	    .write = q & EPT_QUAL_WRITE,
	    .fetch = q & EPT_QUAL_FETCH,
	    .readable = q & EPT_QUAL_READABLE,
	    .writable = q & EPT_QUAL_WRITABLE,
	    .executable = q & EPT_QUAL_EXECUTABLE,
	    .linear_valid = q & EPT_QUAL_LINEAR_VALID,
	    .nmi_unblocking = q & EPT_QUAL_NMI_UNBLOCKING,
	    .async = q & EPT_QUAL_ASYNC,
	};

	d.translated = d.linear_valid && (q & EPT_QUAL_TRANSLATED);
	d.present = d.readable || d.writable || d.executable;
	return d;
}

bool ept_qual_satisfied(const struct ept_qual *d, unsigned perms)
{
	return (!d->read || (perms & PT_PERM_R)) && (!d->write || (perms & PT_PERM_W)) &&
	       (!d->fetch || (perms & PT_PERM_X));
}

const char *ept_qual_access_name(const struct ept_qual *d)
{
	static const char *const names[8] = {
	    "none",  "read",	   "write",	  "read+write",
	    "fetch", "read+fetch", "write+fetch", "read+write+fetch",
	};

	return names[(d->read ? 1 : 0) | (d->write ? 2 : 0) | (d->fetch ? 4 : 0)];
}
