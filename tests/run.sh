#!/bin/sh
# Run every Criterion test binary of a build and summarise.
#
#   tests/run.sh BUILD_DIR
#
# Runs BUILD_DIR/tests/test_*, shows their output, and ends with one line
# "N passed, N failed, N skipped". Counts come from each binary's TAP
# report: "ok ... # SKIP" is a skip, "not ok" a failure. Also counted as
# failures: tests the plan announces that never reported, a binary that
# ends non-zero without a failing test (a crash of the runner), and a
# sanitizer report anywhere in a binary's output (LeakSanitizer runs when a
# test's worker process exits, after Criterion has counted the test as
# passed, and does not change any exit status). Exit status 1 if anything
# failed or no test ran, 2 on a usage error.
#
# Tests run one at a time (-j1): under ASan, Criterion 2.4's runner leaks a
# few 48-byte blocks of its own when it runs workers in parallel, which
# would read as a leak of ours. The suite is fast enough serially.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
dir=$1/tests
if [ ! -d "$dir" ]; then
	echo "$0: $dir: no such directory" >&2
	exit 2
fi

# The exec test runs this program (see tests/helper_exec.c).
KEEPTIME_TEST_HELPER_EXEC=$(cd "$dir" && pwd)/helper_exec
export KEEPTIME_TEST_HELPER_EXEC
# The path-selection tests set it themselves; a value inherited from the
# caller would turn every KT_PATH_AUTO test into a linear one.
unset KEEPTIME_FORCE_LINEAR

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
skipped=0
for bin in "$dir"/test_*; do
	case $bin in
	*.o | *.d) continue ;;
	esac
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=${bin##*/}
	tap=$tmp/$name.tap
	log=$tmp/$name.log
	echo "=== $name"
	{
		"$bin" -j1 --verbose --tap="$tap"
		echo $? >"$tmp/rc"
	} 2>&1 | tee "$log"
	rc=$(cat "$tmp/rc")

	if [ ! -s "$tap" ]; then
		echo "$name: exited with $rc and wrote no report" >&2
		failed=$((failed + 1))
		continue
	fi
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n 1)
	ok=$(grep -c '^ok ' "$tap")
	skip=$(grep -c '^ok .*# SKIP' "$tap")
	notok=$(grep -c '^not ok' "$tap")
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ -n "$plan" ] && [ $((ok + notok)) -lt "$plan" ]; then
		echo "$name: $((plan - ok - notok)) test(s) never reported" >&2
		failed=$((failed + plan - ok - notok))
	elif [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "$name: exited with $rc without a failing test" >&2
		failed=$((failed + 1))
	fi
	san=$(grep -c -E '^(==[0-9]+==ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer)|: runtime error: ' "$log")
	if [ "$san" -ne 0 ]; then
		echo "$name: sanitizer report(s) in the output" >&2
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ] || [ $((passed + skipped)) -eq 0 ]; then
	exit 1
fi
exit 0
