#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole suite, as `make test` runs it: format, the Criterion suite in a
# normal and an ASan+UBSan build, the command's tests against both builds,
# the install test, and a bounded fuzzing run. Ends with one line adding up
# every stage's counts; exits non-zero if any stage failed.
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
stage make -s fuzz

# Each stage closes with "N passed, N failed[, N skipped]"; fuzz targets
# print "ok - fuzz ...". Add them up.
read -r passed failed skipped < <(awk '
	/^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
		p += $1; f += $3; if (NF >= 6) s += $5
	}
	/^ok - fuzz / { p++ }
	/^format: ok/ { p++ }
	END { print p + 0, f + 0, s + 0 }' "$log")
[ "$status" -eq 0 ] || failed=$((failed > 0 ? failed : 1))
echo "total: $passed passed, $failed failed, $skipped skipped"
exit "$status"
