/*
 * Crash reports for guests. Everything read here is guest-controlled: the
 * guest's page tables may be absent, self-referencing or point outside
 * RAM. The walker (vm/gpt.c) is bounded by the paging mode's level count,
 * and reads go through gmem_peek, which never allocates, so a report
 * cannot change the guest or run Keel out of memory.
 */
#include "vm/crash.h"
#include "arch/x86/cr.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "lib/format.h"
#include "vm/gaccess.h"
#include "vm/gpt.h"
#include "vm/guest.h"
#include "vmx/cr.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"

#define CRASH_CODE_BYTES  16
#define CRASH_STACK_WORDS 8

static bool peek_table(void *ctx, u64 g, unsigned size, u64 *val)
{
	*val = 0;
	return gmem_peek(ctx, gpa(g), val, size);
}

/* Reads len bytes at guest-linear gva without populating; false if unreadable. */
static bool peek_linear(struct vcpu *v, u64 gva, void *dst, unsigned len, const char **why)
{
	struct gpt_env env = {
	    .read = peek_table,
	    .ctx = &v->guest->mem,
	    .maxphyaddr = vmx_caps.maxphyaddr,
	    .nxe = vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_NXE,
	    .wp = cr_guest_cr0() & CR0_WP,
	};
	u8 *d = dst;

	while (len) {
		unsigned n = (unsigned)MIN((u64)len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		struct gpt_result r;
		int s = gpt_walk(&env, gaccess_mode(), vmcs_read(VMCS_GUEST_CR3), gva, 0, &r);

		if (s != GPT_OK) {
			*why = s == GPT_FAULT ? "not mapped by the guest's page tables"
					      : "the guest's page tables leave its RAM";
			return false;
		}
		if (!gmem_peek(&v->guest->mem, gpa(r.gpa), d, n)) {
			*why = "not populated guest RAM";
			return false;
		}
		gva += n;
		d += n;
		len -= n;
	}
	return true;
}

static void report_code(struct vcpu *v)
{
	u64 rip = vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	u8 code[CRASH_CODE_BYTES];
	char buf[CRASH_CODE_BYTES * 3 + 1];
	const char *why = "";
	unsigned n = 0;

	if (!peek_linear(v, rip, code, sizeof(code), &why)) {
		pr_err("guest %s: code at 0x%lx: unreadable (%s)", v->guest->name, rip, why);
		return;
	}
	for (unsigned i = 0; i < sizeof(code); i++)
		n += (unsigned)fmt_snprintf(buf + n, sizeof(buf) - n, "%s%02x", i ? " " : "",
					    code[i]);
	pr_err("guest %s: code at 0x%lx: %s", v->guest->name, rip, buf);
}

static void report_stack(struct vcpu *v)
{
	u64 rsp = vmcs_read(VMCS_GUEST_SS_BASE) + vmcs_read(VMCS_GUEST_RSP);
	u64 w[CRASH_STACK_WORDS];
	const char *why = "";

	if (!peek_linear(v, rsp, w, sizeof(w), &why)) {
		pr_err("guest %s: stack at 0x%lx: unreadable (%s)", v->guest->name, rsp, why);
		return;
	}
	pr_err("guest %s: stack at 0x%lx: %lx %lx %lx %lx %lx %lx %lx %lx", v->guest->name, rsp,
	       w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
}

void crash_report(struct vcpu *v)
{
	report_code(v);
	report_stack(v);
}
