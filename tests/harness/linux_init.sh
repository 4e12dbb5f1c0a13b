#!/bin/sh
# /init of the busybox initramfs Keel's Linux guests boot (tests/harness/linux_assets.py).
# First prints the TSC at its start (/bin/keel-tsc, tests/harness/linux_tsc.c:
# `keel-linux: tsc N`, what `make bench` reads), then mounts what a shell
# needs and says it is up. With keel.auto=poweroff on the kernel command line
# it powers off at once; otherwise busybox init (/etc/inittab) keeps a shell
# on the serial console, and `poweroff` and `reboot` work as on any Linux.
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
echo "keel-linux: a shell on ttyS0: 'poweroff' ends this guest, 'reboot' restarts it"
exec /sbin/init
