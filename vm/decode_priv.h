/*
 * What vm/decode.c shares with vm/decode_sse.c, the decoder of the vector
 * moves: the byte cursor, the prefixes read so far and the ModRM reader.
 * Not for use outside the decoder.
 */
#ifndef KEEL_VM_DECODE_PRIV_H
#define KEEL_VM_DECODE_PRIV_H

#include "vm/decode.h"

/* REX (SDM Vol. 2A 2.2.1, Table 2-4): 0100WRXB */
#define REX_W BIT(3)
#define REX_R BIT(2)
#define REX_X BIT(1)
#define REX_B BIT(0)

/* The VEX escapes (SDM Vol. 2A 2.3.5): C5 two-byte, C4 three-byte. */
#define VEX2 0xC5
#define VEX3 0xC4

struct prefixes {
	bool opsize, adsize, lock, rep, repne;
	int seg; /* -1: none */
	u8 rex;
};

struct cursor {
	const u8 *bytes;
	unsigned avail;
	unsigned pos;
};

/* The next byte, or DECODE_TOO_LONG past 15 bytes, DECODE_TRUNCATED past `avail`. */
int decode_next(struct cursor *c, u8 *b);
/* Reads ModRM and the memory operand it names into d->mem (d->addr_size and mode set). */
int decode_modrm(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 *modrm);

/* vm/decode_sse.c: is 0F opc one of the legacy SSE moves' opcodes? */
bool decode_sse_opcode(u8 opc);
/* The legacy SSE move 0F opc (its mandatory prefix from p), ModRM onwards. */
int decode_sse(struct cursor *c, struct decode_insn *d, const struct prefixes *p, u8 opc);
/* A VEX-encoded instruction: opc is C4 or C5, the bytes after it follow. */
int decode_vex(struct cursor *c, struct decode_insn *d, struct prefixes *p, u8 opc);

#endif
