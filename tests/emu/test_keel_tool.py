"""`tools/keel`, run as a user would (docs/guests.md, "Booting your own guests"):
`keel check` says what the machine can run, `keel run` boots guests with the serial
console on the terminal (here no terminal: it runs until Keel's end line), `keel iso`
writes an ISO that boots from a disk (a USB stick) on BIOS and on UEFI, and what a
module line leaves out is filled in or refused in one line."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from keeltest import EMU_BUILD, ROOT, guest

KEEL = os.path.join(ROOT, "tools", "keel")
NO_VTX_LINE = "keel: VT-x unavailable: CPUID.1:ECX.VMX=0"
OVMF = (("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
        ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"))


def keel(*args, timeout=300):
    """Runs tools/keel with no terminal on stdin; (status, stdout, stderr)."""
    r = subprocess.run([sys.executable, KEEL, *args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout, check=False)
    return r.returncode, r.stdout, r.stderr


def _explain(status, out, err):
    return f"status {status}\n--- stdout:\n{out[-3000:]}\n--- stderr:\n{err[-3000:]}"


def test_help_names_every_command_and_option():
    status, out, _ = keel("--help")
    assert status == 0 and all(c in out for c in ("check", "run", "iso")), out
    for cmd, options in (("run", ("--initrd", "--keel-cmdline", "--keel", "--demo", "--mem",
                                  "--cpus", "--model", "--emulator", "--timeout")),
                         ("iso", ("--initrd", "--keel-cmdline", "--output")),
                         ("check", ())):
        status, out, _ = keel(cmd, "--help")
        assert status == 0, out
        missing = [o for o in options if o not in out]
        assert not missing, f"keel {cmd} --help does not name {missing}:\n{out}"


def test_check_says_what_runs_here():
    status, out, err = keel("check")
    rows = ("VT-x on this CPU", "KVM (/dev/kvm)", "nested VT-x in KVM", "Bochs (emulated VT-x)",
            "QEMU", "OVMF (UEFI for QEMU)", "ISO tools")
    problems = [f"no row {r!r}" for r in rows if not re.search(rf"^  {re.escape(r)} +\S",
                                                                 out, re.MULTILINE)]
    # make test installed Bochs and the ISO tools, so something can boot Keel here.
    if status != 0 or not re.search(r"^keel run will boot Keel in (Bochs|QEMU with KVM)$", out,
                                    re.MULTILINE):
        problems.append("no runner named, or a failing status")
    assert not problems, "; ".join(problems) + "\n" + _explain(status, out, err)


def test_run_boots_the_guests_given():
    status, out, err = keel("run", guest("hello"), f"{guest('hello32')}=mem=16M",
                            "--cpus", "2", "--emulator", "bochs", "--timeout", "240")
    problems = []
    for want in (r"^keel: module \S+hello\.elf name=hello$",
                 r"^keel: module \S+hello32\.elf name=hello32 mem=16M$"):
        if not re.search(want, err, re.MULTILINE):
            problems.append(f"no line {want} on stderr")
    for want in ("[hello] Goodbye", "[hello32] ", "keel: guest hello32: ended by",
                 "keel: vm: 2 guest(s) ran on 2 CPU(s)", "keel: guests ok=2 failed=0",
                 "keel: end status=0"):
        if want not in out:
            problems.append(f"no {want!r} in the console output")
    if status != 0:
        problems.append("a failing status")
    assert not problems, "; ".join(problems) + "\n" + _explain(status, out, err)


def _fake_bzimage(path):
    """Enough of a bzImage for keel to take it for one: "HdrS" at 0x202."""
    data = bytearray(4096)
    data[0x202:0x206] = b"HdrS"
    with open(path, "wb") as f:
        f.write(data)


def test_module_lines_filled_in_and_refused(tmp_path):
    kernel, rd, text = tmp_path / "vmlinuz-test", tmp_path / "rd.cpio", tmp_path / "notes.txt"
    _fake_bzimage(kernel)
    rd.write_bytes(b"070701")
    text.write_text("not a kernel\n")
    iso = str(tmp_path / "k.iso")
    status, out, err = keel("iso", str(kernel), "--initrd", str(rd),
                            f"{guest('hello')}=name=h mem=8M", "-o", iso)
    assert status == 0 and os.path.getsize(iso) > 0, _explain(status, out, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("keel: module ")]
    want = [r"vmlinuz-test name=vmlinuz-test mem=256M -- console=ttyS0$",
            r"rd\.cpio for=vmlinuz-test$", r"hello\.elf name=h mem=8M$"]
    assert len(lines) == 3 and all(re.search(w, ln) for w, ln in zip(want, lines)), err
    # Two images without a name: the second gets one of its own.
    status, out, err = keel("iso", guest("hello"), guest("hello"), "-o", iso)
    assert status == 0 and re.search(r"hello\.elf name=hello-2$", err, re.MULTILINE), \
        _explain(status, out, err)
    for args, named in (([str(text)], "not an ELF, a multiboot image or a Linux bzImage"),
                        ([str(kernel), "--initrd", str(rd), "--initrd", str(rd)],
                         "2 --initrd for 1 Linux kernel(s)"),
                        ([f"{guest('hello')}=name=x", f"{guest('hello32')}=name=x"],
                         "the name x is taken"),
                        ([f"{guest('hello')}=name=a/b"], "bad name 'a/b'"),
                        ([f"{guest('hello')}=mem=lots"], "mem=lots is not a size"),
                        ([], "no guests")):
        status, out, err = keel("iso", *args, "-o", iso)
        assert status == 2 and len(err.strip().splitlines()) == 1 and named in err, \
            f"keel iso {args}: wanted one line with {named!r}\n" + _explain(status, out, err)


def _ovmf(tmp_path):
    for code, vars_ in OVMF:
        if os.path.exists(code) and os.path.exists(vars_):
            copy = str(tmp_path / "vars.fd")
            shutil.copyfile(vars_, copy)
            return ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={copy}"]
    pytest.fail("no OVMF firmware: make deps installs ovmf", pytrace=False)


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_iso_boots_from_a_disk(tmp_path, firmware):
    """The ISO written to a disk, as on a USB stick, boots GRUB and Keel on SeaBIOS and on
    OVMF (QEMU TCG: no VT-x, so Keel's run is its one line saying so)."""
    os.makedirs(EMU_BUILD, exist_ok=True)
    iso, serial = str(tmp_path / "usb.iso"), str(tmp_path / "serial.log")
    status, out, err = keel("iso", guest("hello"), "--keel-cmdline",
                            "console=com1 onexit=shutdown", "-o", iso)
    assert status == 0, _explain(status, out, err)
    cmd = ["qemu-system-x86_64", "-m", "256", "-cpu", "max", "-display", "none",
           "-no-reboot", "-monitor", "none", "-serial", f"file:{serial}",
           "-drive", f"file={iso},format=raw,if=ide,media=disk"]
    if firmware == "uefi":
        cmd += _ovmf(tmp_path)
    try:
        subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=180,
                       check=False)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    with open(serial, "rb") as f:
        log = f.read().decode("latin-1")
    with open(os.path.join(EMU_BUILD, f"keel-tool-usb-{firmware}.log"), "w") as f:
        f.write(log)
    assert NO_VTX_LINE in log and "keel: end status=1" in log and not timed_out, \
        f"{firmware}: {'timed out; ' if timed_out else ''}serial log:\n{log[-3000:]}"
