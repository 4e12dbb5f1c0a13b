/*
 * Loading a guest image into guest RAM and building its boot state
 * (vm/guest_abi.h describes both protocols).
 */
#ifndef KEEL_VM_LOADER_H
#define KEEL_VM_LOADER_H

#include "lib/types.h"
#include "vmx/vcpu.h"

struct guest;

/* Loads g's image and modules; false with a one-line reason in err. */
bool loader_load(struct guest *g, struct vcpu_boot_state *bs, char *err, size_t err_len);

#endif
