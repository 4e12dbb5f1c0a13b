# Test guests and demo guests (see tests/guests/README.md). Each guest is
# tests/guests/NAME.c linked with the guest runtime (tests/guests/lib) into
# build/guests/NAME.elf: ELF64 images entered as Keel's ABI says, or ELF32
# Multiboot v1 images. GUEST_ELFS lists them all; the top Makefile builds
# them with `all` (the demo ISO depends on them).

GUEST_OUT := $(BUILD)/guests

GUESTS_64 := cpuid io msr vmxud hlt triple vmxon args hypercall hello ept
# Issue 5: TLBs and scheduling (tests/emu/test_sched.py).
GUESTS_64 += isolate invlpg spin
# Issue 6: make bench (tests/bench/run.py).
GUESTS_64 += bench
# Issue 8: hostile guests and their witness (tests/emu/test_hostile.py).
GUESTS_64 += witness attack_scan attack_cpu attack_io attack_hc attack_fault attack_pt
# Issue 7: MMIO emulation against testmmio=on's device (tests/emu/test_mmio.py).
GUESTS_64 += mmio intr
# Issue 7: local APIC and interrupt delivery (tests/emu/test_apic.py).
GUESTS_64 += apic
# Issue 7: the virtual platform (tests/emu/test_platform.py).
GUESTS_64 += legacy
# Issue 13: the I/O APIC (tests/emu/test_ioapic.py).
GUESTS_64 += ioapic
# Register state not in the VMCS stays each guest's own (tests/emu/test_hostile.py).
GUESTS_64 += xstate attack_apic
# Issue 13: ACPI power management, resets and restarts (tests/emu/test_power.py).
GUESTS_64 += power
GUESTS_32 := mb1 hello32 taskswitch
# Issue 7: CPU state exact to the SDM (tests/emu/test_cpu.py).
GUESTS_64 += cpustate
GUESTS_32 += lmode
# Issue 12: fairness, a bystander measuring its share beside exit storms.
GUESTS_64 += bystander storm
GUESTS_32 += storm32
# Issue 15: device accesses not made by the instruction at EIP (tests/emu/test_hostile.py).
GUESTS_32 += attack_mmio
# Issue 13: console input, an interrupt-driven COM1 (tests/emu/test_console_input.py).
GUESTS_64 += echo
# Several vCPUs (`vcpus=N`): APs started by INIT-SIPI-SIPI, shared memory, IPIs
# (tests/emu/test_vcpus.py). The AP trampoline and the start-up code
# (smp_boot.c) are objects of their own, linked into every guest that starts
# APs: smp, and bench for its run=vcpus. smp's EPT tests (smp_mem.c) and
# bench's run=vcpus (bench_vcpus.c) are further objects of each.
GUESTS_64 += smp
GUEST_SMP_OBJS := $(GUEST_OUT)/obj64/tests/guests/smp_tramp.S.o \
	$(GUEST_OUT)/obj64/tests/guests/smp_boot.c.o
$(GUEST_OUT)/smp.elf $(GUEST_OUT)/bench.elf: $(GUEST_SMP_OBJS)
$(GUEST_OUT)/smp.elf: $(GUEST_OUT)/obj64/tests/guests/smp_mem.c.o \
	$(GUEST_OUT)/obj64/tests/guests/smp_ifmask.c.o
$(GUEST_OUT)/bench.elf: $(GUEST_OUT)/obj64/tests/guests/bench_vcpus.c.o \
	$(GUEST_OUT)/obj64/tests/guests/bench_idle.c.o

GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-fno-omit-frame-pointer -fno-strict-aliasing -fno-asynchronous-unwind-tables \
	-mno-red-zone -mgeneral-regs-only -nostdlib -static -I.
GUEST_CFLAGS_64 := $(GUEST_CFLAGS) -m64 -mcmodel=small
GUEST_CFLAGS_32 := $(GUEST_CFLAGS) -m32 -march=i686
GUEST_LDFLAGS_BASE := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments
GUEST_LDFLAGS := $(GUEST_LDFLAGS_BASE) -T tests/guests/lib/guest.ld

# The runtime: shared C, Keel's pure lib code, and per-width entry and stubs.
GUEST_RT_C := $(addprefix tests/guests/lib/,crt.c uart.c print.c check.c debug_exit.c idt.c \
	trap.c trap_table.c bootargs.c mmap.c) lib/format.c lib/cmdline.c lib/string.c
GUEST_RT_64 := $(GUEST_RT_C) tests/guests/lib/crt64.S tests/guests/lib/idt64.S \
	tests/guests/lib/paging.c
# Sample summaries for the bench guest (64-bit only).
GUEST_RT_64 += tests/guests/lib/sample.c
GUEST_RT_32 := $(GUEST_RT_C) tests/guests/lib/crt32.S tests/guests/lib/idt32.S \
	tests/guests/lib/udiv64.c
GUEST_RT_OBJS_64 := $(patsubst %,$(GUEST_OUT)/obj64/%.o,$(GUEST_RT_64))
GUEST_RT_OBJS_32 := $(patsubst %,$(GUEST_OUT)/obj32/%.o,$(GUEST_RT_32))

GUEST_ELFS_64 := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUESTS_64))
GUEST_ELFS_32 := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUESTS_32))
# A Multiboot v1 image below 1 MiB with its own link map (mb1low.ld) and its
# real-mode round trip (tests/emu/test_guests.py).
GUEST_MB1LOW := $(GUEST_OUT)/mb1low.elf
GUEST_MB1LOW_OBJS := $(GUEST_OUT)/obj32/tests/guests/mb1low.c.o \
	$(GUEST_OUT)/obj32/tests/guests/mb1low_rm.S.o $(GUEST_RT_OBJS_32)
GUEST_ELFS := $(GUEST_ELFS_64) $(GUEST_ELFS_32) $(GUEST_MB1LOW)

# Not a guest: a Multiboot v1 loader that runs an ELF64 guest under GRUB
# without Keel (tests/guests/bare.py), linked at 8 MiB above the guests.
GUEST_SHIM := $(GUEST_OUT)/tools/shim.elf
GUEST_SHIM_BASE := 0x800000

$(GUEST_OUT)/obj64/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC64    $<"
	@$(CC) $(GUEST_CFLAGS_64) -MMD -MP -c $< -o $@

$(GUEST_OUT)/obj64/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS64    $<"
	@$(CC) $(GUEST_CFLAGS_64) -D__ASSEMBLER__ -MMD -MP -c $< -o $@

$(GUEST_OUT)/obj32/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS_32) -MMD -MP -c $< -o $@

$(GUEST_OUT)/obj32/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS32    $<"
	@$(CC) $(GUEST_CFLAGS_32) -D__ASSEMBLER__ -MMD -MP -c $< -o $@

$(GUEST_ELFS_64): $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj64/tests/guests/%.c.o $(GUEST_RT_OBJS_64) \
		tests/guests/lib/guest.ld
	@echo "  LD64    $@"
	@$(LD) -m elf_x86_64 $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

$(GUEST_ELFS_32): $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj32/tests/guests/%.c.o $(GUEST_RT_OBJS_32) \
		tests/guests/lib/guest.ld
	@echo "  LD32    $@"
	@$(LD) -m elf_i386 $(GUEST_LDFLAGS) -o $@ $< $(GUEST_RT_OBJS_32)

$(GUEST_MB1LOW): $(GUEST_MB1LOW_OBJS) tests/guests/mb1low.ld
	@echo "  LD32    $@"
	@$(LD) -m elf_i386 $(GUEST_LDFLAGS_BASE) -T tests/guests/mb1low.ld -o $@ $(GUEST_MB1LOW_OBJS)

GUEST_SHIM_OBJS := $(GUEST_OUT)/obj32/tests/guests/shim/shim.c.o \
	$(GUEST_OUT)/obj32/tests/guests/shim/shim_enter.S.o $(GUEST_RT_OBJS_32)

$(GUEST_SHIM): $(GUEST_SHIM_OBJS) tests/guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "  LD32    $@"
	@$(LD) -m elf_i386 $(GUEST_LDFLAGS) -Ttext-segment=$(GUEST_SHIM_BASE) -o $@ \
		$(GUEST_SHIM_OBJS)

.PHONY: guests
guests: $(GUEST_ELFS) $(GUEST_SHIM)
all: $(GUEST_SHIM)

GUEST_DEPS := $(GUEST_RT_OBJS_64) $(GUEST_RT_OBJS_32) $(GUEST_SHIM_OBJS) \
	$(patsubst %,$(GUEST_OUT)/obj64/tests/guests/%.c.o,$(GUESTS_64)) \
	$(GUEST_SMP_OBJS) $(GUEST_OUT)/obj64/tests/guests/smp_mem.c.o \
	$(GUEST_OUT)/obj64/tests/guests/smp_ifmask.c.o \
	$(GUEST_OUT)/obj64/tests/guests/bench_vcpus.c.o \
	$(GUEST_OUT)/obj64/tests/guests/bench_idle.c.o \
	$(patsubst %,$(GUEST_OUT)/obj32/tests/guests/%.c.o,$(GUESTS_32)) $(GUEST_MB1LOW_OBJS)
-include $(sort $(GUEST_DEPS:.o=.d))
