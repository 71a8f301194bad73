#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run the test suite of a build under every kernel of kernels.list, each in
# its own QEMU guest (TCG, no KVM), and report per kernel. `make test-kernels`
# runs this; docs/kernel-matrix.md explains it.
#
#   scripts/kernels/run.sh BUILD_DIR
#
# For each kernel: fetch.sh has its vmlinuz (cached), initramfs.sh packs
# BUILD_DIR's keeptime and tests, the guest runs them (init.sh) and powers
# off. QEMU's exit status says nothing about the guest (it is 0 when /init
# crashes): the verdict comes from the lines init.sh writes to the second
# serial port, ending with the marker "KT END", and every boot is bounded by
# `timeout`. report.awk checks the counts and the engine's path.
#
# Ends with one line "N passed, N failed, N skipped" (all kernels; broken
# guarantees such as a missing marker or a wrong path count as failures).
# Exit status 1 if anything failed or no test passed, 2 on a usage error.
#
# Variables: KEEPTIME_KERNELS (names, default all), KEEPTIME_KERNEL_TIMEOUT
# (seconds per boot, default 600), KEEPTIME_KERNEL_BIN_TIMEOUT (seconds per
# test binary inside the guest, default 300), KEEPTIME_KERNEL_JOBS (guests
# at a time, default the number of CPUs), KEEPTIME_KERNEL_CPU (QEMU's -cpu),
# QEMU (default qemu-system-x86_64); fetch.sh's
# KEEPTIME_KERNEL_CACHE, KEEPTIME_KERNEL_LIST, KEEPTIME_KERNEL_REFRESH,
# KEEPTIME_KERNEL_MIRROR, KEEPTIME_KERNEL_SECURITY_MIRROR.
set -euo pipefail

# shellcheck source=scripts/kernels/lib.sh
. "$(dirname "$0")/lib.sh"

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
[ -d "$1/tests" ] || {
	echo "$0: $1/tests: no such directory" >&2
	exit 2
}
build=$(cd "$1" && pwd) || kt_die "$1: cannot enter"

qemu=${QEMU:-qemu-system-x86_64}
boot_timeout=${KEEPTIME_KERNEL_TIMEOUT:-600}
bin_timeout=${KEEPTIME_KERNEL_BIN_TIMEOUT:-300}
jobs=${KEEPTIME_KERNEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
# QEMU's baseline qemu64 plus XSAVE (x87 and SSE state, 576 bytes), which
# every x86-64 CPU since 2011 has and the NT_X86_XSTATE regset of the ptrace
# injection needs; CPUID level 13 enumerates it. Models with AVX2 (max,
# Haswell) made the guests 1.5-2 times slower under TCG.
cpu=${KEEPTIME_KERNEL_CPU:-qemu64,+xsave,+xsaveopt,level=13}
for v in boot_timeout bin_timeout jobs; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || kt_die "$v: '${!v}' is not a positive number"
done
for tool in "$qemu" timeout awk tr; do
	command -v "$tool" >/dev/null ||
		kt_die "$tool: not found (scripts/deps.sh installs it)"
done

logs=$build/kernels
# Kernel parameters init.sh gets as variables: the time a test binary may
# take, and the host's RLIMIT_SIGPENDING (the kernel sizes the default by
# the RAM: 512 MB give about 1800, less than the 10000 timers
# capture_pid::ten_thousand_timers holds; a host has tens of thousands).
guest_env="kt_timeout=$bin_timeout kt_sigpending=$(ulimit -Si)"
mkdir -p "$logs" || kt_die "$logs: cannot create"
t_start=$EPOCHREALTIME

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local pid
	# Only the boots of this script still running, by their process ids.
	for pid in $(jobs -p); do
		kill "$pid" 2>/dev/null || :
	done
	rm -f "$logs"/*.raw
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kernels=$("$KT_KERNELS_DIR/fetch.sh") || kt_die "the kernels could not be fetched"
initrd=$logs/initramfs.cpio.gz
nbins=$("$KT_KERNELS_DIR/initramfs.sh" "$build" "$initrd") ||
	kt_die "the initramfs could not be built"

# seconds between two $EPOCHREALTIME values, to a tenth
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# Boot one kernel; never fails: what happened goes to $logs/NAME.boot.
boot() {
	local name=$1 vmlinuz=$2 rc=0 t0 con res tpid
	con=$logs/$name.console.raw
	res=$logs/$name.results.raw
	t0=$EPOCHREALTIME
	rm -f "$con" "$res" "$logs/$name.boot"
	# Commas are QEMU's option separators: doubled, they stand for one.
	timeout -k 10 "$boot_timeout" "$qemu" -accel tcg -cpu "$cpu" -m 512 -smp 1 \
		-display none -nodefaults -no-user-config -no-reboot \
		-serial "file:${con//,/,,}" -serial "file:${res//,/,,}" \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet $guest_env" \
		</dev/null >"$logs/$name.qemu.log" 2>&1 &
	tpid=$!
	# timeout runs in a process group of its own: when run.sh is stopped,
	# pass the signal on to it (it passes it on to QEMU).
	# shellcheck disable=SC2064 # tpid is known now
	trap "kill $tpid 2>/dev/null; exit 143" TERM
	wait "$tpid" || rc=$?
	{ tr -d '\r' <"$con" >"$logs/$name.console.log"; } 2>/dev/null || :
	{ tr -d '\r' <"$res" >"$logs/$name.results.log"; } 2>/dev/null ||
		: >"$logs/$name.results.log"
	rm -f "$con" "$res"
	echo "$rc $(elapsed "$t0" "$EPOCHREALTIME")" >"$logs/$name.boot"
}

names=()
while read -r name vmlinuz; do
	names+=("$name")
	# At most $jobs boots at a time: past that, one ends before one starts.
	if [ "${#names[@]}" -gt "$jobs" ]; then
		wait -n || :
	fi
	echo "kernel-matrix: booting $name ($(sed -n 's/^package=//p' "${vmlinuz%/*}/info"))"
	boot "$name" "$vmlinuz" &
done <<<"$kernels"
wait || :

total_passed=0 total_failed=0 total_skipped=0
table=()
for name in "${names[@]}"; do
	info=$(kt_cache_dir)/$name/info
	read -r rc secs <"$logs/$name.boot" || kt_die "$logs/$name.boot: missing"
	case $rc in
	0) status=ok ;;
	124 | 137) status="timed out after $boot_timeout s (KEEPTIME_KERNEL_TIMEOUT)" ;;
	*) status="ended with QEMU's exit status $rc: $(tail -n 1 "$logs/$name.qemu.log")" ;;
	esac
	echo
	echo "=== $name: $(sed -n 's/^package=//p' "$info") $(sed -n 's/^version=//p' "$info") ($(sed -n 's/^suites=//p' "$info")), $secs s"
	awk -v bins="$nbins" -v boot="$status" -v summary="$logs/$name.summary" \
		-f "$KT_KERNELS_DIR/report.awk" "$logs/$name.results.log" ||
		kt_die "report.awk failed on $logs/$name.results.log"
	read -r p f s uname path <"$logs/$name.summary" ||
		kt_die "$logs/$name.summary: missing"
	if [ "$f" -ne 0 ]; then
		echo "  logs: $logs/$name.console.log (console), $name.results.log, $name.qemu.log"
	fi
	echo "  $name: $p passed, $f failed, $s skipped"
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	total_skipped=$((total_skipped + s))
	table+=("$(printf '  %-10s %-30s %-9s %6d %6d %7d %7s s' "$name" "$uname" \
		"$path" "$p" "$f" "$s" "$secs")")
done

echo
echo "kernel matrix ($(elapsed "$t_start" "$EPOCHREALTIME") s in all, logs in $logs):"
printf '  %-10s %-30s %-9s %6s %6s %7s %9s\n' kernel Linux path passed \
	failed skipped time
printf '%s\n' "${table[@]}"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
if [ "$total_failed" -ne 0 ] || [ "$total_passed" -eq 0 ]; then
	exit 1
fi
exit 0
