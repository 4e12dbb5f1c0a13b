# libFuzzer targets for Keel's pure parsers and decoders (docs/fuzzing.md),
# built for the host with Debian's clang, ASan and UBSan. Each target
# tests/fuzz/fuzz_NAME.c links the Keel sources in FUZZ_SRCS_NAME and
# starts from the seeds in tests/fuzz/corpus/NAME/; what it finds goes to
# build/fuzz/corpus/NAME/ (kept between runs), crashes to build/fuzz/NAME-*.
#
#   make fuzz          each target for FUZZ_SECONDS (default 300) seconds
#   make fuzz-smoke    each target for 10 seconds (CI)
# FUZZ_JOBS targets at a time (default: one per core).
#   make fuzz-build    build only
#
# Each target runs as one libFuzzer process; its output is in
# build/fuzz/NAME.log, and one summary line per target is printed:
#   fuzz: NAME: S s, N executions, C crashes
# The run fails if any target crashed or ended early.

FUZZ_CC     := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wmissing-prototypes -Wshadow -I. -DKEEL_HOST_TEST \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_JOBS          ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_ARGS          ?=

FUZZ_SRCS_mb2      := boot/mb2.c lib/format.c
FUZZ_SRCS_elf      := vm/elf.c lib/format.c
FUZZ_SRCS_cmdline  := lib/cmdline.c vm/guest_cmdline.c lib/format.c
FUZZ_SRCS_ept_qual := vmx/ept_qual.c vm/mmio_cause.c
FUZZ_SRCS_gpt      := vm/gpt.c
FUZZ_SRCS_linux_boot := vm/linux_boot.c lib/format.c
FUZZ_SRCS_term_line  := lib/term_line.c
FUZZ_SRCS_madt_cpus  := arch/x86/madt_cpus.c arch/x86/acpi_tables.c lib/format.c
FUZZ_SRCS_decode_ref := vm/decode.c vm/decode_sse.c vmx/sw_event.c
FUZZ_SRCS_emulate    := vm/emulate.c vm/emulate_alu.c vm/emulate_sse.c vm/emulate_seg.c vm/emulate_wide.c \
	vm/emulate_locate.c vm/decode.c vm/decode_sse.c
FUZZ_SRCS_psf        := lib/psf.c lib/format.c

# Libraries a target links besides its Keel sources: decode_ref checks
# vm/decode.c against Zydis (package libzydis-dev, tests/harness/deps.sh).
FUZZ_LIBS_decode_ref := -lZydis

FUZZ_NAMES := mb2 elf cmdline ept_qual gpt linux_boot term_line madt_cpus decode_ref emulate psf
FUZZ_BINS  := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))

# Longest input each target is given: the mb2, ELF and bzImage parsers read
# headers spread over a few KiB; a 4 KiB MADT holds over 500 processor
# structures, past MADT_CPUS_MAX; an instruction is at most 15 bytes
# (decode_ref's 24 leave room for a run of prefixes past that); emulate's
# 226 are its parameters, a 15-byte instruction, the registers and the
# vector state byte; a PSF console font is 4-10 KiB with its Unicode table;
# the others need little.
FUZZ_MAXLEN_mb2      := 8192
FUZZ_MAXLEN_elf      := 12288
FUZZ_MAXLEN_cmdline  := 8192
FUZZ_MAXLEN_ept_qual := 16
FUZZ_MAXLEN_gpt      := 16384
FUZZ_MAXLEN_linux_boot := 8192
FUZZ_MAXLEN_term_line  := 1024
FUZZ_MAXLEN_madt_cpus := 4096
FUZZ_MAXLEN_decode_ref := 24
FUZZ_MAXLEN_emulate    := 226
FUZZ_MAXLEN_psf        := 12288

.PHONY: fuzz-build fuzz-smoke fuzz-zydis
.SECONDEXPANSION:
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_check.h $$(FUZZ_SRCS_$$*) \
		$$(wildcard lib/*.h arch/x86/*.h mm/*.h boot/*.h vmx/*.h vm/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

# decode_ref needs Zydis's headers and library: name the package rather
# than fail in the compiler.
$(BUILD)/fuzz/fuzz_decode_ref: | fuzz-zydis
fuzz-zydis:
	@test -e /usr/include/Zydis/Zydis.h || { \
		echo "fuzz: decode_ref needs Zydis: run make deps (package libzydis-dev)"; exit 1; }

fuzz-build: $(FUZZ_BINS)

# $(call fuzz_run,SECONDS): runs every target for SECONDS, FUZZ_JOBS at a
# time (tests/fuzz/run.sh), then fails if any crashed. libFuzzer's exit
# status says whether it found a crash; its final stats give the execution
# count.
define fuzz_run
	@FUZZ_ARGS="$(FUZZ_ARGS)" bash tests/fuzz/run.sh $(BUILD) $(1) $(FUZZ_JOBS) \
		$(foreach t,$(FUZZ_NAMES),$(t):$(FUZZ_MAXLEN_$(t)))
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))
