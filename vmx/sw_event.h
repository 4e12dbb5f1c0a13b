/*
 * Which instruction raises a software event: INT n, INT3, INTO and INT1
 * (SDM Vol. 2A "INT n/INTO/INT3/INT1"; the event types are those of the
 * interruption-information format, Vol. 3C 25.8.3). Pure, so the host
 * tests cover it.
 */
#ifndef KEEL_VMX_SW_EVENT_H
#define KEEL_VMX_SW_EVENT_H

#include "lib/types.h"

/*
 * True if bytes[0..len) are exactly one instruction that raises the event
 * of interruption type `type` (VMCS_INTR_TYPE_SW_INTERRUPT, _SW_EXCEPTION
 * or _PRIV_SW_EXCEPTION) and vector `vector`: CD ib for a software
 * interrupt with that vector, CC for #BP (3), CE for #OF (4) outside
 * 64-bit code, F1 for #DB (1). Legacy prefixes may precede the opcode (the
 * CPU ignores them there, and counts them in the instruction length), and
 * in 64-bit code REX prefixes among them (one that is not the last prefix
 * is ignored, SDM Vol. 2A 2.2.1). False for any other type.
 */
bool sw_event_raised_by(const u8 *bytes, unsigned len, bool code64, unsigned type, unsigned vector);

#endif
