/*
 * Access to a guest's memory by guest-linear address, as the guest's own
 * instruction would make it: translated by the guest's page tables (vm/gpt.c),
 * then through its EPT (vm/gmem.c).
 */
#ifndef KEEL_VM_GACCESS_H
#define KEEL_VM_GACCESS_H

#include "lib/types.h"
#include "vm/gpt.h"

struct vcpu;

enum gaccess_status {
	GACCESS_OK = 0,
	GACCESS_PAGE_FAULT = -1, /* inject #PF: error code and address given */
	GACCESS_NOT_RAM = -2,	 /* the translation leads outside guest RAM */
	GACCESS_NOMEM = -3,	 /* host frames ran out populating the page */
};

struct gaccess_fault {
	u64 gva;
	u32 pf_error;
	u64 gpa;
};

/* The paging mode the guest is in now, from its CR0/CR4/EFER. */
enum gpt_mode gaccess_mode(void);
/* Translates one guest-linear address for an access (GPT_ACCESS_* flags). */
int gaccess_translate(struct vcpu *v, u64 gva, unsigned access, u64 *gpa, struct gaccess_fault *f);
/* Copies len bytes at guest-linear gva (may cross pages) from or to Keel. */
int gaccess_read(struct vcpu *v, u64 gva, void *dst, u64 len, struct gaccess_fault *f);
int gaccess_write(struct vcpu *v, u64 gva, const void *src, u64 len, struct gaccess_fault *f);
/* Injects the #PF a failed access describes (CR2 = the address). */
void gaccess_inject_pf(struct vcpu *v, const struct gaccess_fault *f);

#endif
