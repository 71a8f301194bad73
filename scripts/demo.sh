#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A narrated walk-through of keeptime (make demo):
#   scripts/demo.sh PATH_TO_KEEPTIME
# Probes the kernel, creates timers at exact IDs on the explicit and on the
# linear path, shows two refusals, and runs the benchmark. Exits non-zero
# if a step that should succeed fails, or a step that should be refused
# is not.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_KEEPTIME" >&2
	exit 2
fi
KT=$1
if [ ! -x "$KT" ]; then
	echo "demo: $KT is not an executable" >&2
	exit 2
fi

# Narration: the first line after "==> ", the others indented under it.
say() {
	printf '\n==> %s\n' "$1"
	shift
	[ $# -eq 0 ] || printf '    %s\n' "$@"
}

# Show a command as the user would type it, then run it.
show() {
	local shown=("$@")
	local i
	for i in "${!shown[@]}"; do
		[ "${shown[$i]}" = "$KT" ] && shown[i]=keeptime
	done
	printf '$ %s\n' "${shown[*]}"
}

run() {
	show "$@"
	"$@"
}

# A step that must be refused with exit status 1 (and a message).
refused() {
	local rc=0
	show "$@"
	"$@" || rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "demo: expected a refusal (exit status 1), got $rc" >&2
		exit 1
	fi
	say "refused, as it should be (exit status 1)"
}

IDS=(7 1000 1000000)

say "keeptime $("$KT" --version | sed 's/^keeptime //'): what does this kernel offer?"
run "$KT" probe

explicit=no
probe_json=$("$KT" probe --json)
if [[ $probe_json == *'"explicit_supported": true'* ]]; then
	explicit=yes
fi

if [ "$explicit" = yes ]; then
	say "Explicit path: prctl(PR_TIMER_CREATE_RESTORE_IDS) makes timer_create" \
		"read the wanted ID: three timers at IDs ${IDS[*]}, one syscall each," \
		"in keeptime's own process; /proc/self/timers shows them."
	run "$KT" create --explicit "${IDS[@]}"
else
	say "This kernel lacks PR_TIMER_CREATE_RESTORE_IDS (Linux < 6.15):" \
		"skipping the explicit path; the linear walk below still works."
fi

say "Linear path, forced with KEEPTIME_FORCE_LINEAR=1 (what kernels < 6.15 get):" \
	"create and delete timers until the kernel's counter reaches each ID;" \
	"reaching ${IDS[-1]} takes about a million timer_create calls."
printf '$ KEEPTIME_FORCE_LINEAR=1 keeptime create %s\n' "${IDS[*]}"
KEEPTIME_FORCE_LINEAR=1 "$KT" create "${IDS[@]}"

say "The linear path refuses a walk to ID 2147483647 (INT_MAX) before it" \
	"starts: its first timer_create shows the counter at 0, so the walk" \
	"would take 2^31 steps, about forty minutes."
refused "$KT" create --quiet --linear 2147483647

say "A set that names the same ID twice is refused before anything is created."
refused "$KT" create --quiet 5 5

say "The benchmark: the seed commit's claim (\"1.5 seconds with the" \
	"create/delete method ... 3 microseconds with the prctl()\"), each" \
	"measurement in a fresh fork()ed child (about 20 seconds)."
run "$KT" bench

say "Done."
