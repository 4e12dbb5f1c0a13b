# Host unit tests: pure C logic built natively with ASan and UBSan and run
# under cmocka. Each tests/unit/test_NAME.c has a fragment tests/unit/NAME.mk
# that sets UNIT_SRCS_NAME to the Keel sources it exercises.

UNIT_CC     := gcc
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-DKEEL_HOST_TEST -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
UNIT_LIBS   := -lcmocka

include $(wildcard tests/unit/*.mk.d) $(filter-out tests/unit/unit.mk,$(wildcard tests/unit/*.mk))

UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_NAMES))

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c $$(UNIT_SRCS_$$*) $$(wildcard tests/unit/*.h) \
		$$(wildcard lib/*.h mm/*.h boot/*.h vmx/*.h vm/*.h dev/*.h arch/x86/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_SRCS_$*) $(UNIT_LIBS)

unit-build: $(UNIT_BINS)

# Runs every unit test binary; cmocka prints each group's summary.
unit: unit-build
	@failed=0; for t in $(UNIT_BINS); do \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || failed=1; \
	done; exit $$failed
