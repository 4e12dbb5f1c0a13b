/* Which instruction raises a software event (vmx/sw_event.h). */
#include "vmx/sw_event.h"
#include "vmx/vmcs_fields.h"

#define OP_INT3 0xCC
#define OP_INTN 0xCD
#define OP_INTO 0xCE
#define OP_INT1 0xF1

/*
 * SDM Vol. 2A 2.1.1: the legacy prefixes (groups 1-4) but LOCK, which
 * makes these instructions raise #UD instead (Vol. 2A "LOCK").
 */
static bool legacy_prefix(u8 b)
{
	switch (b) {
	case 0xF2:
	case 0xF3: /* group 1 */
	case 0x26:
	case 0x2E:
	case 0x36:
	case 0x3E:
	case 0x64:
	case 0x65: /* group 2 */
	case 0x66: /* group 3 */
	case 0x67: /* group 4 */
		return true;
	default:
		return false;
	}
}

bool sw_event_raised_by(const u8 *bytes, unsigned len, bool code64, unsigned type, unsigned vector)
{
	unsigned i = 0;
	u8 op;

	/* In 64-bit code a REX may come anywhere among them: one not just before the opcode is
	 * ignored. */
	while (i < len && (legacy_prefix(bytes[i]) || (code64 && (bytes[i] & 0xF0) == 0x40)))
		i++;
	if (i >= len)
		return false;
	op = bytes[i];
	switch (type) {
	case VMCS_INTR_TYPE_SW_INTERRUPT:
		return op == OP_INTN && i + 2 == len && bytes[i + 1] == vector;
	case VMCS_INTR_TYPE_SW_EXCEPTION:
		if (i + 1 != len)
			return false;
		return (op == OP_INT3 && vector == 3) || (op == OP_INTO && vector == 4 && !code64);
	case VMCS_INTR_TYPE_PRIV_SW_EXCEPTION:
		return op == OP_INT1 && vector == 1 && i + 1 == len;
	default:
		return false;
	}
}
