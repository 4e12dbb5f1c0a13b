#!/bin/sh
# /init of the nested-KVM initramfs (tests/harness/nested_assets.py): Debian's
# Linux, itself booted in Bochs, loads KVM with nested VMX and runs QEMU with
# KVM on Keel's ISO, whose serial console is this one. Each step prints one
# `nested: ` line, which the test (tests/nested/test_nested_kvm.py) reads as the
# stage reached; a step that fails says why and powers off at once.
# The last line is always `nested: end ...`.
# poweroff -f stops at once: a second first lets the UART send the last lines.
end() {
	echo "nested: end status=$1"
	sleep 1
	poweroff -f
}
fail() {
	echo "nested: FAILED: $*"
	end 1
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "nested: init up, kernel $(uname -r)"
# The modules in dependency order (/lib/modules/order, written by nested_assets.py).
while read -r ko args; do
	# shellcheck disable=SC2086 # $args: none, or words such as nested=1
	insmod "/lib/modules/$ko" $args || fail "insmod $ko $args"
done </lib/modules/order
nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null)
echo "nested: kvm_intel loaded, nested=$nested"
[ "$nested" = Y ] || fail "kvm_intel has no nested VMX (nested=$nested)"
[ -c /dev/kvm ] || fail "no /dev/kvm"
echo "nested: /dev/kvm ready"
echo "nested: qemu starting: $(cat /etc/qemu-cmdline)"
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu HOME=/root
eval "set -- $(cat /etc/qemu-cmdline)"
"$@" </dev/null
status=$?
echo
echo "nested: qemu exited with status $status"
end 0
