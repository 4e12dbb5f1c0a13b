UNIT_SRCS_acpi_gen := dev/acpi_gen.c arch/x86/acpi_tables.c lib/format.c

# The same tables through ACPICA's iasl (tests/unit/acpi_gen_iasl.py):
# acpi_gen_dump writes every table of a few configurations, the script
# disassembles each and compiles it back. Part of `make unit`.
$(BUILD)/unit/acpi_gen_dump: tests/unit/acpi_gen_dump.c $(UNIT_SRCS_acpi_gen) \
		$(wildcard lib/*.h dev/*.h arch/x86/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_SRCS_acpi_gen)

.PHONY: unit-acpi-iasl
unit-acpi-iasl: $(BUILD)/unit/acpi_gen_dump
	@$(PYTHON) tests/unit/acpi_gen_iasl.py $< $(BUILD)/unit/acpi_gen_iasl

unit: unit-acpi-iasl
