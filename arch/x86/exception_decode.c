/*
 * Turning exception facts into words: vector names (Intel SDM Vol. 3A,
 * Table 6-1) and #PF error-code bits (4.7 "Page-Fault Exceptions", Figure
 * 4-12). Pure functions, host-tested (tests/unit/test_exception.c).
 */
#include "arch/x86/exception.h"
#include "lib/format.h"

/* #PF error code bits (Figure 4-12). */
#define PF_ERR_P    BIT(0) /* 0: not-present page; 1: protection violation */
#define PF_ERR_W    BIT(1) /* write access */
#define PF_ERR_U    BIT(2) /* user-mode access */
#define PF_ERR_RSVD BIT(3) /* reserved bit set in a paging-structure entry */
#define PF_ERR_I    BIT(4) /* instruction fetch */
#define PF_ERR_PK   BIT(5) /* protection-key violation */
#define PF_ERR_SS   BIT(6) /* shadow-stack access */
#define PF_ERR_SGX  BIT(15)

struct exception_name {
	const char *mnemonic; /* NULL for the vectors the SDM gives none */
	const char *name;
};

static const struct exception_name exception_names[EXC_FIRST_INTERRUPT] = {
    [EXC_DE] = {"#DE", "divide error"},
    [EXC_DB] = {"#DB", "debug"},
    [EXC_NMI] = {"NMI", "non-maskable interrupt"},
    [EXC_BP] = {"#BP", "breakpoint"},
    [EXC_OF] = {"#OF", "overflow"},
    [EXC_BR] = {"#BR", "BOUND range exceeded"},
    [EXC_UD] = {"#UD", "invalid opcode"},
    [EXC_NM] = {"#NM", "device not available"},
    [EXC_DF] = {"#DF", "double fault"},
    [9] = {NULL, "coprocessor segment overrun"},
    [EXC_TS] = {"#TS", "invalid TSS"},
    [EXC_NP] = {"#NP", "segment not present"},
    [EXC_SS] = {"#SS", "stack-segment fault"},
    [EXC_GP] = {"#GP", "general protection"},
    [EXC_PF] = {"#PF", "page fault"},
    [EXC_MF] = {"#MF", "x87 floating-point error"},
    [EXC_AC] = {"#AC", "alignment check"},
    [EXC_MC] = {"#MC", "machine check"},
    [EXC_XM] = {"#XM", "SIMD floating-point"},
    [EXC_VE] = {"#VE", "virtualization exception"},
    [EXC_CP] = {"#CP", "control protection"},
};

void exception_decode_name(u64 vector, char *buf, size_t len)
{
	const struct exception_name *e;

	if (vector >= EXC_FIRST_INTERRUPT) {
		fmt_snprintf(buf, len, "unexpected interrupt");
		return;
	}
	e = &exception_names[vector];
	if (!e->name)
		fmt_snprintf(buf, len, "reserved exception");
	else if (!e->mnemonic)
		fmt_snprintf(buf, len, "%s", e->name);
	else
		fmt_snprintf(buf, len, "%s %s", e->mnemonic, e->name);
}

void exception_decode_pf(u64 error_code, char *buf, size_t len)
{
	const char *access = "read from";

	if (error_code & PF_ERR_I)
		access = "fetch from";
	else if (error_code & PF_ERR_W)
		access = "write to";
	fmt_snprintf(buf, len, "%s a %s page, %s, %s%s%s%s%s", access,
		     error_code & PF_ERR_P ? "present" : "not-present",
		     error_code & PF_ERR_U ? "user" : "supervisor",
		     error_code & PF_ERR_I ? "instruction" : "data",
		     error_code & PF_ERR_RSVD ? ", reserved bit set" : "",
		     error_code & PF_ERR_PK ? ", protection key" : "",
		     error_code & PF_ERR_SS ? ", shadow stack" : "",
		     error_code & PF_ERR_SGX ? ", SGX" : "");
}
