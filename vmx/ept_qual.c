/*
 * EPT-violation exit qualifications: what an access needs and its name in
 * reports (pure; host-tested). The decoding is inline in vmx/ept_qual.h.
 */
#include "vmx/ept_qual.h"
#include "mm/pt.h"

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
