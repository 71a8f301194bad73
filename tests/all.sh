#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole suite, as `make test` runs it: format, the Criterion suite in a
# normal and an ASan+UBSan build, the command's tests against both builds,
# the install test, the suite under other kernels in QEMU (the kernel
# matrix, docs/kernel-matrix.md), and a bounded fuzzing run. Ends with one
# line adding up every stage's counts; exits non-zero if any stage failed.
#
# KEEPTIME_SKIP_KERNELS=1 leaves the kernel matrix out (it needs QEMU and,
# the first time, the Debian archive; it takes a few minutes). That is said
# where the stage would have run and on the total line, which counts it as
# one skip: a run without it is not a full pass.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

stage() {
	echo "==> $*"
	"$@" 2>&1 | tee -a "$log"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "==> FAILED (exit $rc): $*"
		status=1
	fi
}

stage make -s check-format
stage make -s check
stage make -s SAN=1 check
stage tests/cli.sh build/keeptime
stage tests/cli.sh build-san/keeptime
stage tests/install.sh
kernels_skipped=0
if [ "${KEEPTIME_SKIP_KERNELS:-}" = 1 ]; then
	echo "==> SKIPPED: make -s test-kernels: the kernel matrix did not run (KEEPTIME_SKIP_KERNELS=1)"
	kernels_skipped=1
else
	stage make -s test-kernels
fi
stage make -s fuzz

# Each stage closes with "N passed, N failed[, N skipped]"; fuzz targets
# print "ok - fuzz ...". Add them up. The kernel matrix closes with one such
# line for all its kernels; its per-kernel and per-binary lines are indented
# ("  6.1: 111 passed, ..."), so they are not counted again.
read -r passed failed skipped < <(awk '
	/^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
		p += $1; f += $3; if (NF >= 6) s += $5
	}
	/^ok - fuzz / { p++ }
	/^format: ok/ { p++ }
	END { print p + 0, f + 0, s + 0 }' "$log")
[ "$status" -eq 0 ] || failed=$((failed > 0 ? failed : 1))
if [ "$kernels_skipped" -eq 1 ]; then
	skipped=$((skipped + 1))
	echo "total: $passed passed, $failed failed, $skipped skipped (the kernel matrix among them: KEEPTIME_SKIP_KERNELS=1)"
else
	echo "total: $passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
