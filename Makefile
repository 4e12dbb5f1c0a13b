# Keel build. `make` builds build/keel.elf and build/keel.iso; `make run`
# boots the default demo; `make test` runs every test; `make lint` checks
# style and static analysis. See docs/testing.md.

BUILD      := build
CC         := gcc
LD         := ld
PYTHON     := /usr/bin/python3
# The machine `make run` boots with its Linux guest (tests/harness/mkiso.py).
DEMO_LINUX_MIB := 512

KEEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-fno-omit-frame-pointer -fno-strict-aliasing -fno-asynchronous-unwind-tables \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -m64 -I.
KEEL_ASFLAGS := -D__ASSEMBLER__ -I. -m64 -g
KEEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments -T linker.ld

ifeq ($(DEBUG),0)
KEEL_CFLAGS += -DNDEBUG
endif

KEEL_DIRS := boot arch/x86 mm vmx vm dev lib
# vmx/asm_offsets.c is not linked: it becomes ASM_OFFSETS, below.
KEEL_SRCS := $(filter-out vmx/asm_offsets.c,\
	$(foreach d,$(KEEL_DIRS),$(wildcard $(d)/*.c) $(wildcard $(d)/*.S)))
KEEL_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(KEEL_SRCS))

.PHONY: all iso run test unit emu lint format deps clean bench fuzz test-nested
all: $(BUILD)/keel.elf $(BUILD)/keel.iso

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KEEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KEEL_ASFLAGS) -MMD -MP -c $< -o $@

# The structure offsets and constants vmx/entry.S reads: vmx/asm_offsets.c
# compiled to assembly, each "->NAME value" marker made a #define.
ASM_OFFSETS := $(BUILD)/gen/asm_offsets.h
$(ASM_OFFSETS): vmx/asm_offsets.c
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(CC) $(KEEL_CFLAGS) -MMD -MP -MT $@ -MF $@.d -S $< -o $@.s
	@sed -n 's/^.*->\([A-Za-z0-9_]*\) [$$]\{0,1\}\(-\{0,1\}[0-9][0-9]*\).*$$/#define \1 \2/p' \
		$@.s >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/vmx/entry.S.o: $(ASM_OFFSETS)
$(BUILD)/obj/vmx/entry.S.o: KEEL_ASFLAGS += -I$(BUILD)/gen
-include $(ASM_OFFSETS).d

$(BUILD)/keel.elf: $(KEEL_OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KEEL_LDFLAGS) -o $@ $(KEEL_OBJS)

-include $(KEEL_OBJS:.o=.d)

# The framebuffer console's font (lib/console_font.S links it in): a PSF from
# Debian's console-setup-linux, taken at build time and never committed. The
# installed file when the package is (make deps installs it), else the one in
# the package `apt-get download` fetches into build/font/.
FONT_PKG  := console-setup-linux
FONT_FILE := usr/share/consolefonts/Lat15-Fixed16.psf.gz
FONT_PSF  := $(BUILD)/font/console.psf
$(FONT_PSF):
	@mkdir -p $(BUILD)/font
	@echo "  FONT    $(FONT_FILE) from $(FONT_PKG)"
	@src=/$(FONT_FILE); \
	if [ ! -e $$src ]; then \
		src=$(BUILD)/font/pkg/$(FONT_FILE); rm -rf $(BUILD)/font/pkg $(BUILD)/font/*.deb; \
		(cd $(BUILD)/font && apt-get download $(FONT_PKG)) >$(BUILD)/font/fetch.log 2>&1 && \
		dpkg-deb -x $(BUILD)/font/$(FONT_PKG)_*.deb $(BUILD)/font/pkg 2>>$(BUILD)/font/fetch.log; \
	fi; \
	gunzip -c $$src >$@.tmp 2>/dev/null && mv $@.tmp $@ || { rm -f $@.tmp; \
		echo "make: no console font: install $(FONT_PKG) (make deps) or let 'apt-get download $(FONT_PKG)' reach a Debian mirror (log: $(BUILD)/font/fetch.log)"; \
		exit 1; }

$(BUILD)/obj/lib/console_font.S.o: $(FONT_PSF)

# Test guests and demo guests (tests/guests/guests.mk) define GUEST_ELFS.
include tests/guests/guests.mk

# The default demo ISO: Keel plus the demo guests.
$(BUILD)/keel.iso: $(BUILD)/keel.elf $(GUEST_ELFS) tests/harness/mkiso.py
	$(PYTHON) tests/harness/mkiso.py --out $@ --demo

iso: $(BUILD)/keel.iso

# `make run`: the demo guests, and first a Linux guest whose shell gets the
# keys, from Debian's kernel and busybox (fetched by linux_assets.py, which
# says what it needs when it cannot); without them, the demo alone. It boots
# them with tools/keel, the command for people (`tools/keel --help`), after
# making sure the packages are there (`make deps`).
run: deps all
	@if $(PYTHON) tests/harness/linux_assets.py --out $(BUILD)/linux >/dev/null; then \
		$(PYTHON) tools/keel run --demo --demo-linux $(BUILD)/linux \
			--mem $(DEMO_LINUX_MIB); \
	else \
		echo "make run: no Linux guest (see above); the demo guests alone"; \
		$(PYTHON) tools/keel run --demo; \
	fi

deps:
	@bash tests/harness/deps.sh

include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

# Emulator scenarios (pytest): each builds its own ISO and boots it.
# pytest exits non-zero on any failure, on a timeout and when it collected no
# test (5), so `make emu` can only pass by running scenarios.
emu: all
	$(PYTHON) -m pytest -q --durations=5 tests/emu $(PYTEST_ARGS)

# Keel as a guest hypervisor on KVM's nested VMX, inside Bochs (tests/nested): one
# boot of 2 to 5 minutes, outside `make test`; .ci/run runs it beside make
# bench-smoke (docs/testing.md).
test-nested: all
	$(PYTHON) -m pytest -q -s tests/nested $(PYTEST_ARGS)

# Benchmarks in TSC ticks under Bochs (tests/bench/run.py, docs/benchmarks.md):
# `make bench` prints the table and writes build/bench/results.json and
# bench.png; `make bench-smoke` runs one iteration of each (CI, timings not
# asserted). BENCH_ARGS passes options, e.g. BENCH_ARGS="--compare FILE".
.PHONY: bench-smoke release
bench: all release
	$(PYTHON) tests/bench/run.py $(BENCH_ARGS)

bench-smoke: all release
	$(PYTHON) tests/bench/run.py --smoke $(BENCH_ARGS)
	$(PYTHON) tests/bench/profile_run.py --all --smoke

# The same Keel built with DEBUG=0 (no debug checks), measured beside the default
# build by `make bench`: build/release/keel.elf.
release:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/release DEBUG=0 $(BUILD)/release/keel.elf

# `make profile OP=cpuid` (vmcall, io-in, io-out, io-pic, touch4k, switch): where Keel's
# ticks go on one path, function by function, from Bochs' instruction trace
# (tests/bench/profile_run.py, docs/benchmarks.md); OP=all profiles the five of
# the docs. PROFILE_ARGS passes options, e.g. PROFILE_ARGS="--k 50".
.PHONY: profile
OP ?= cpuid
profile: all
	$(PYTHON) tests/bench/profile_run.py $(if $(filter all,$(OP)),--all,$(OP)) $(PROFILE_ARGS)

# Unit tests, then emulator scenarios even if a unit test failed; the last line
# is pytest's summary.
test: deps
	@$(MAKE) --no-print-directory unit; unit=$$?; \
	$(MAKE) --no-print-directory emu; emu=$$?; \
	if [ $$unit -ne 0 ]; then echo "make test: unit tests FAILED"; fi; \
	exit $$((unit | emu))

# Lint covers every C, shell and Python file git knows or would add (tracked
# and untracked, minus .gitignore'd build output), so it checks the same set
# here as in CI's fresh clone once the files are committed. The globals check
# reads Keel's mutable globals from the image, so lint builds it first.
LINT_LS  = $(wildcard $(shell git ls-files --cached --others --exclude-standard $(1) 2>/dev/null))
LINT_C  := $(sort $(call LINT_LS,'*.c' '*.h'))
LINT_SH := $(sort .ci/run $(call LINT_LS,'*.sh'))
LINT_PY := $(call LINT_LS,'*.py') tools/keel
lint: $(BUILD)/keel.elf
	@test -n "$(LINT_C)" || { echo "lint: no C files listed (needs a git checkout)"; exit 1; }
	@echo "  FORMAT  clang-format --dry-run: $(words $(LINT_C)) files"
	@clang-format --dry-run --Werror $(LINT_C)
	@echo "  CHECK   cppcheck: $(words $(filter %.c,$(LINT_C))) files"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--std=c11 --inline-suppr -I. -D__x86_64__ \
		--suppress=missingIncludeSystem $(filter %.c,$(LINT_C))
	@echo "  CHECK   shellcheck: $(LINT_SH)"
	@shellcheck $(LINT_SH)
	@echo "  CHECK   python syntax: $(words $(LINT_PY)) files"
	@$(PYTHON) -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' $(LINT_PY)
	@echo "  CHECK   globals: each says Per-CPU or Shared at its definition"
	@$(PYTHON) tests/harness/globals_check.py --elf $(BUILD)/keel.elf
	@echo "  lint clean"

format:
	clang-format -i $(LINT_C)

clean:
	rm -rf $(BUILD)
