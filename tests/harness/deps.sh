#!/usr/bin/env bash
# Checks for every tool Keel's build, tests and lint need, naming the Debian
# package that provides each one that is missing.
#
#   deps.sh          check; as root (or with CI set) apt-get update and
#                    install what is missing; otherwise print the exact
#                    `sudo apt-get install ...` line and exit 1
#   deps.sh --list   print every package Keel needs, one per line (.ci/run
#                    installs these unconditionally)
#
# Each check is "package|kind|what": kind `cmd` (on PATH), `file` (exists),
# or `py` (a module Debian's /usr/bin/python3 can import: the Makefile runs
# that Python, not whatever python3 is first on PATH).
set -euo pipefail

CHECKS=(
	"gcc|cmd|gcc"
	"libc6-dev|file|/usr/include/stdio.h"
	"make|cmd|make"
	"binutils|cmd|ld"
	"binutils|cmd|nm"
	"git|cmd|git"
	"bochs|cmd|bochs-bin"
	"bochsbios|file|/usr/share/bochs/BIOS-bochs-latest"
	"vgabios|file|/usr/share/vgabios/vgabios.bin"
	"bochs-sdl|file|/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_sdl2_gui.so"
	"grub-common|cmd|grub-mkrescue"
	"grub-pc-bin|file|/usr/lib/grub/i386-pc/modinfo.sh"
	"grub-efi-amd64-bin|file|/usr/lib/grub/x86_64-efi/modinfo.sh"
	"xorriso|cmd|xorriso"
	"mtools|cmd|mformat"
	"qemu-system-x86|cmd|qemu-system-x86_64"
	"ovmf|file|/usr/share/OVMF/OVMF_CODE_4M.fd"
	"ovmf|file|/usr/share/ovmf/OVMF.fd"
	"console-setup-linux|file|/usr/share/consolefonts/Lat15-Fixed16.psf.gz"
	"python3-pytest|py|pytest"
	"libcmocka-dev|file|/usr/include/cmocka.h"
	"clang|cmd|clang"
	"libclang-rt-14-dev|file|/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
	"libzydis-dev|file|/usr/include/Zydis/Zydis.h"
	"clang-format|cmd|clang-format"
	"cppcheck|cmd|cppcheck"
	"acpica-tools|cmd|iasl"
	"cpio|cmd|cpio"
	"shellcheck|cmd|shellcheck"
	"gnuplot-nox|cmd|gnuplot"
)

packages() {
	local check
	for check in "${CHECKS[@]}"; do
		echo "${check%%|*}"
	done | sort -u
}

present() {
	local kind=$1 what=$2
	case $kind in
	cmd) command -v "$what" >/dev/null 2>&1 ;;
	file) [ -e "$what" ] ;;
	py) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $what" >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

missing() {
	local check pkg rest kind what
	for check in "${CHECKS[@]}"; do
		pkg=${check%%|*}
		rest=${check#*|}
		kind=${rest%%|*}
		what=${rest#*|}
		if ! present "$kind" "$what"; then
			echo "deps: missing $what ($kind) from package $pkg" >&2
			echo "$pkg"
		fi
	done | sort -u
}

install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -o Acquire::Retries=3
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -o Acquire::Retries=3 "$@"
}

if [ "${1:-}" = "--list" ]; then
	packages
	exit 0
fi

mapfile -t need < <(missing)
if [ ${#need[@]} -eq 0 ]; then
	echo "deps: all tools present"
	exit 0
fi
if [ "$(id -u)" -eq 0 ] || [ -n "${CI:-}" ]; then
	echo "deps: installing ${need[*]}"
	install "${need[@]}"
	mapfile -t need < <(missing)
	if [ ${#need[@]} -ne 0 ]; then
		echo "deps: still missing after apt-get install: ${need[*]}" >&2
		exit 1
	fi
	echo "deps: all tools present"
	exit 0
fi
echo "deps: run this, then try again:" >&2
echo "  sudo apt-get install ${need[*]}" >&2
exit 1
