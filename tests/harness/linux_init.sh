#!/bin/sh
# /init of the busybox initramfs Keel's Linux guests boot (tests/harness/linux_assets.py).
# First prints the TSC at its start (/bin/keel-tsc, tests/harness/linux_tsc.c:
# `keel-linux: tsc N`, what `make bench` reads), then mounts what a shell
# needs, says it is up and runs a shell on the serial console; when the shell
# ends the guest powers off.
/bin/keel-tsc
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "keel-linux: init up, kernel $(uname -r)"
if grep -q 'keel.auto=poweroff' /proc/cmdline; then
	echo "keel-linux: powering off (keel.auto=poweroff)"
	poweroff -f
fi
while true; do
	setsid cttyhack sh -l
	echo "keel-linux: shell ended; powering off"
	poweroff -f
done
