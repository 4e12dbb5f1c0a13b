/*
 * A test MMIO device (Keel's testmmio=on): 4 KiB of scratch registers at
 * guest-physical 0xFEB00000. Reads return what was written (initially 0),
 * at any size 1/2/4/8 and any offset inside the page. It exists so tests
 * can exercise the MMIO instruction emulator (vm/mmio.c) form by form.
 */
#include "dev/dev.h"
#include "lib/string.h"
#include "vm/guest.h"

#define TESTREG_SIZE 4096

struct testreg {
	u8 bytes[TESTREG_SIZE];
};

static u64 testreg_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	struct testreg *t = state;
	u64 v = 0;

	memcpy(&v, t->bytes + offset, size);
	return v;
}

static void testreg_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct testreg *t = state;

	memcpy(t->bytes + offset, &val, size);
}

static const struct dev_ops testreg_ops = {
    .name = "testreg",
    .read = testreg_read,
    .write = testreg_write,
};

bool testreg_attach(struct guest *g, u64 gpa_base)
{
	struct testreg *t = guest_dev_alloc(g, sizeof(*t));

	return t && dev_register(g, DEV_MMIO, gpa_base, TESTREG_SIZE, &testreg_ops, t);
}
