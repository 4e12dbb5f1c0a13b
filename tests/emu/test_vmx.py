"""Issue 3 scenarios around the VMX layer itself.

- A Bochs CPU model without a feature Keel needs: Keel names each missing
  requirement on its own line and ends the run cleanly (status 1).
- The fallback model without 1 GiB EPT pages still runs guests.
- Guests that Keel must refuse or end (a bad image, a bad command line, an
  exit Keel has no handler for): each gets its named report and the next
  guest still runs.
"""
import os

from keeltest import EMU_BUILD, Scenario, assert_markers, guest, run

HELLO_OK = ("[hello] Goodbye: leaving by the debug-exit port with v=0",
            "keel: guest hello: ended by debug-exit status=1,")


def test_model_without_unrestricted_guest():
    r = run(Scenario("vmx-lynnfield", model="corei5_lynnfield_750",
                     modules=((guest("hello"), "name=hello"),)))
    assert_markers(r, passes=[
        "keel: VMX: missing unrestricted guest (IA32_VMX_PROCBASED_CTLS2 bit 39)",
    ], fails=["PANIC", "FAULT in Keel", "VMX root operation entered", "[hello]"], end_status=1)


def test_model_without_ept():
    r = run(Scenario("vmx-penryn", model="core2_penryn_t9600",
                     modules=((guest("hello"), "name=hello"),)))
    assert_markers(r, passes=[
        "keel: VMX: missing EPT with a 4-level walk",
        "keel: VMX: missing unrestricted guest",
    ], fails=["PANIC", "FAULT in Keel", "VMX root operation entered", "[hello]"], end_status=1)


def test_model_without_1g_ept_pages():
    """Sandy Bridge lacks 1 GiB EPT pages and EPT A/D: guests use 2 MiB leaves."""
    r = run(Scenario("vmx-sandybridge", model="corei7_sandy_bridge_2600k",
                     modules=((guest("hello"), "name=hello"), (guest("cpuid"), "name=cpuid"))))
    assert_markers(r, passes=[
        "keel: guest hello: starting, mem=32 MiB, ept leaves up to 2M",
        *HELLO_OK,
        "[cpuid] RESULT pass",
        "keel: guests ok=2 failed=0",
    ], end_status=0)


def _blob(name, data):
    os.makedirs(EMU_BUILD, exist_ok=True)
    path = os.path.join(EMU_BUILD, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_refused_guests_do_not_stop_the_others():
    text = _blob("not-elf.bin", b"this is not an ELF image\n" * 8)
    with open(guest("hello"), "rb") as f:
        truncated = _blob("truncated.elf", f.read()[:100])
    r = run(Scenario("vmx-refused", modules=(
        (text, "name=text"),
        (guest("hello"), "name=badopt bogus=1"),
        (guest("hello"), "name=zero mem=0"),
        (truncated, "name=trunc"),
        (guest("hello"), "name=tiny mem=2M ept=4k"),
        (guest("hello"), "name=hello"),
    )))
    assert_markers(r, passes=[
        "keel: guest text: image rejected: not an ELF image (no ELF magic)",
        "keel: guest 1 ('name=badopt bogus=1'): unknown option 'bogus'",
        "keel: guest 2 ('name=zero mem=0'): mem=0 is outside",
        "keel: guest trunc: image rejected: program headers lie outside the file",
        *HELLO_OK,
        "keel: guests ok=2 failed=4",
    ], end_status=1)


def test_forbidden_actions_end_only_that_guest():
    """Task switch (no handler), VMXON without an IDT (#UD -> triple fault)."""
    r = run(Scenario("vmx-forbidden", modules=(
        (guest("taskswitch"), "name=ts expect=unhandled-exit"),
        (guest("vmxon"), "name=vmxon expect=triple-fault"),
        (guest("hello"), "name=hello"),
    )))
    assert_markers(r, passes=[
        "[ts] PASS before task switch",
        "keel: guest ts: no handler: exit task switch (9), qualification",
        "keel: guest ts: ended by unhandled-exit status=0,",
        "keel: guest vmxon: ended by triple-fault status=0,",
        *HELLO_OK,
        "keel: guests ok=3 failed=0",
    ], fails=["PANIC", "FAULT in Keel", "[ts] FAIL"], end_status=0)
