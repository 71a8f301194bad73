#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the test guest (busybox sh; initramfs.sh puts it there).
#
# Runs keeptime's probe, a small create, and every test binary of
# /kt/tests, then powers the machine off. The console (ttyS0) gets the
# tests' own output; the results port (ttyS1) gets one line per fact, each
# starting with "KT ", which run.sh parses:
#
#   KT BEGIN                      the guest's userspace started
#   KT UNAME <release>
#   KT PROBE <rc> <json on one line>      keeptime probe --json
#   KT CREATE <rc> <line>         keeptime create 7 1000 100000, line by line
#   KT BIN <name>                 a test binary starts
#   KT TAP <name> <line>          its TAP report, line by line
#   KT OUT <name> <line>          the end of its output, when it wrote no TAP
#   KT RC <name> <rc> <seconds>   its exit status (137: killed by the
#                                 timeout) and how long it ran
#   KT END <binaries> <uptime>    the result marker: everything ran
#
# A missing "KT END" means the guest died or hung; run.sh counts that as a
# failure. Kernel parameters reach this script as environment variables:
# kt_timeout (seconds per test binary), kt_sigpending (RLIMIT_SIGPENDING
# for the tests, the host's; see run.sh).
PATH=/bin
export PATH

/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname keeptime-guest

results=/dev/ttyS1
if ! stty -F "$results" raw -echo 2>/dev/null; then
	echo "init: $results is missing: results go to the console"
	results=/dev/console
fi
exec 3>"$results"
say() {
	echo "KT $*" >&3
}

say BEGIN
say UNAME "$(uname -r)"
# shellcheck disable=SC3045 # busybox ash has ulimit -i
if [ -n "${kt_sigpending:-}" ] && ! ulimit -i "$kt_sigpending"; then
	echo "init: cannot set RLIMIT_SIGPENDING to $kt_sigpending"
fi

KEEPTIME_TEST_HELPER_EXEC=/kt/tests/helper_exec
KEEPTIME_TEST_TARGET_WORKLOAD=/kt/tests/target_workload
TMPDIR=/tmp
HOME=/tmp
export KEEPTIME_TEST_HELPER_EXEC KEEPTIME_TEST_TARGET_WORKLOAD TMPDIR HOME
unset KEEPTIME_FORCE_LINEAR

echo "=== keeptime probe --json"
/kt/keeptime probe --json >/tmp/probe.out 2>&1
rc=$?
cat /tmp/probe.out
say PROBE "$rc" "$(tr '\n' ' ' </tmp/probe.out)"

echo "=== keeptime create 7 1000 100000"
/kt/keeptime create 7 1000 100000 >/tmp/create.out 2>&1
rc=$?
cat /tmp/create.out
while IFS= read -r line; do
	say CREATE "$rc" "$line"
done </tmp/create.out

timeout=${kt_timeout:-600}
n=0
for bin in /kt/tests/test_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
	name=${bin##*/}
	n=$((n + 1))
	say BIN "$name"
	echo "=== $name"
	rm -f /tmp/tap
	read -r t0 _ </proc/uptime
	# Into a file, not a pipe: a worker left behind by a killed runner
	# would hold a pipe open.
	timeout -s KILL "$timeout" "$bin" -j1 --verbose --tap=/tmp/tap \
		>/tmp/out 2>&1
	rc=$?
	read -r t1 _ </proc/uptime
	cat /tmp/out
	if [ -s /tmp/tap ]; then
		while IFS= read -r line; do
			say TAP "$name" "$line"
		done </tmp/tap
	else
		tail -n 20 /tmp/out | while IFS= read -r line; do
			say OUT "$name" "$line"
		done
	fi
	say RC "$name" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
done

read -r up _ </proc/uptime
say END "$n" "$up"
exec 3>&-
# Let the serial ports drain, then power off; if that fails, init exits, the
# kernel panics and reboots, and QEMU (-no-reboot) stops.
sync
sleep 1
poweroff -f
