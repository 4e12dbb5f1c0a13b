/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2) with no device behind it: CONFIG_ADDRESS at 0xCF8 is a 32-bit
 * register that reads back what was written (bit 31 enable, bus, device,
 * function, register; the reserved bits 30-24 and 1-0 read 0), and every
 * read of CONFIG_DATA at 0xCFC-0xCFF returns all ones, the answer of an
 * empty slot, so a guest's bus scan finds nothing. Writes to CONFIG_DATA
 * are dropped. Byte and word accesses to 0xCF8-0xCFB are not
 * configuration accesses: they read all ones and are dropped, except a
 * byte at 0xCF9, the chipset's reset control register (as on Intel's PIIX
 * and ICH, and the guest's FADT RESET_REG): bits 1 (SYS_RST) and 3
 * (FULL_RST) read back as written, and a write with bit 2 (RST_CPU) set
 * resets the guest.
 */
#include "dev/dev.h"
#include "dev/platform.h"
#include "vm/guest.h"

#define PCI_CFG_ADDRESS	     0xCF8
#define PCI_CFG_DATA	     0xCFC
#define PCI_CFG_ADDRESS_MASK 0x80FFFFFCU /* enable, bus, device, function, register */
#define RST_CNT_OFFSET	     1		 /* 0xCF9 */
#define RST_CNT_SYS_RST	     BIT(1)
#define RST_CNT_RST_CPU	     BIT(2)
#define RST_CNT_FULL_RST     BIT(3)

struct pci_cfg {
	u32 address;
	u8 rst_cnt; /* SYS_RST and FULL_RST as written */
};

static bool is_rst_cnt(u64 offset, unsigned size)
{
	return offset == RST_CNT_OFFSET && size == 1;
}

static u64 pci_cfg_address_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	const struct pci_cfg *p = state;

	if (is_rst_cnt(offset, size))
		return p->rst_cnt;
	if (offset != 0 || size != 4)
		return ~0ULL;
	return p->address;
}

static void pci_cfg_address_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct pci_cfg *p = state;

	if (is_rst_cnt(offset, size)) {
		p->rst_cnt = (u8)val & (RST_CNT_SYS_RST | RST_CNT_FULL_RST);
		if (val & RST_CNT_RST_CPU)
			guest_reset(g, "reset control register (0x%x to port 0xCF9)",
				    (unsigned)(u8)val);
		return;
	}
	if (offset == 0 && size == 4)
		p->address = (u32)val & PCI_CFG_ADDRESS_MASK;
}

static u64 pci_cfg_data_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return ~0ULL; /* no function on any bus */
}

static void pci_cfg_data_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
}

static const struct dev_ops pci_cfg_address_ops = {
    .name = "pci-config-address",
    .read = pci_cfg_address_read,
    .write = pci_cfg_address_write,
};

static const struct dev_ops pci_cfg_data_ops = {
    .name = "pci-config-data",
    .read = pci_cfg_data_read,
    .write = pci_cfg_data_write,
};

bool pci_cfg_attach(struct guest *g)
{
	struct pci_cfg *p = guest_dev_alloc(g, sizeof(*p));

	return p && dev_register(g, DEV_PIO, PCI_CFG_ADDRESS, 4, &pci_cfg_address_ops, p) &&
	       dev_register(g, DEV_PIO, PCI_CFG_DATA, 4, &pci_cfg_data_ops, p);
}
