/*
 * A software walk of a guest's own page tables: guest-linear to
 * guest-physical, as the CPU would translate (Intel SDM Vol. 3A, 4.3
 * "32-Bit Paging", 4.4 "PAE Paging", 4.5 "4-Level Paging"), with large
 * pages and the permission checks of a data access. Used to emulate string
 * I/O and MMIO, and to show a crashed guest's code and stack. Pure: guest
 * memory is read through a callback, so host tests run it on synthetic
 * tables. It never sets accessed/dirty bits.
 */
#ifndef KEEL_VM_GPT_H
#define KEEL_VM_GPT_H

#include "lib/types.h"

enum gpt_mode {
	GPT_MODE_NONE,	 /* paging off: linear = physical */
	GPT_MODE_32BIT,	 /* CR4.PAE=0 */
	GPT_MODE_PAE,	 /* CR4.PAE=1, EFER.LMA=0 */
	GPT_MODE_4LEVEL, /* EFER.LMA=1 */
};

/* Access being checked; combine. */
#define GPT_ACCESS_WRITE BIT(0)
#define GPT_ACCESS_USER	 BIT(1)
#define GPT_ACCESS_FETCH BIT(2)

/* Page-fault error code bits (SDM 4.7) */
#define PF_ERR_P    BIT(0)
#define PF_ERR_W    BIT(1)
#define PF_ERR_U    BIT(2)
#define PF_ERR_RSVD BIT(3)
#define PF_ERR_I    BIT(4)

enum gpt_status {
	GPT_OK = 0,
	GPT_FAULT = -1,	     /* the guest would take #PF: see pf_error */
	GPT_BAD_MEMORY = -2, /* a table entry could not be read (not RAM) */
};

struct gpt_env {
	/* Reads `size` (4 or 8) bytes at a guest-physical address; false if not RAM. */
	bool (*read)(void *ctx, u64 gpa, unsigned size, u64 *val);
	void *ctx;
	unsigned maxphyaddr; /* bits above it in an entry are reserved */
	bool nxe;	     /* EFER.NXE */
	bool wp;	     /* CR0.WP */
};

struct gpt_result {
	u64 gpa;
	unsigned level; /* where the leaf was: 1 = 4 KiB, 2 = 2/4 MiB, 3 = 1 GiB */
	u32 pf_error;	/* for GPT_FAULT */
	u64 bad_gpa;	/* for GPT_BAD_MEMORY */
};

/* Translates gva for `access`; returns a gpt_status. */
int gpt_walk(const struct gpt_env *env, enum gpt_mode mode, u64 cr3, u64 gva, unsigned access,
	     struct gpt_result *out);

#endif
