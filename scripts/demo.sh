#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A narrated walk-through of keeptime (make demo):
#   scripts/demo.sh PATH_TO_KEEPTIME PATH_TO_WORKLOAD
# Probes the kernel, creates timers at exact IDs on the explicit and on the
# linear path, shows two refusals; then the main job on the bundled
# workload: show its timers from outside, dump them, restore them into a
# fresh process, and watch them fire there; then checkpoint the whole
# workload, kill it, restore it with its PID and watch it go on counting;
# last, the benchmark. Exits
# non-zero if a step that should succeed fails, or a step that should be
# refused is not.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 PATH_TO_KEEPTIME PATH_TO_WORKLOAD" >&2
	exit 2
fi
KT=$1
WL=$2
for x in "$KT" "$WL"; do
	if [ ! -x "$x" ]; then
		echo "demo: $x is not an executable" >&2
		exit 2
	fi
done
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

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
		[ "${shown[$i]}" = "$WL" ] && shown[i]=keeptime-workload
		[[ ${shown[$i]} == "$T"/* ]] && shown[i]=${shown[$i]#"$T"/}
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

# Start a workload in the background; its output goes to a log, its
# input is /dev/null, and it inherits no other descriptor (a whole-process
# dump takes files and character devices only, not the pipes a make or a
# terminal session may pass down).
start_workload() {
	local mode=$1 log=$T/$1.log
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done 2>/dev/null
		exec "$WL" "$mode" </dev/null >"$log" 2>&1
	) &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q ready "$log" && return 0
		sleep 0.05
	done
	echo "demo: the workload did not start" >&2
	exit 1
}

# The timer IDs a process holds, from keeptime show --json.
ids_of() {
	"$KT" show --json "$1" | sed -n 's/^ *"id": \([0-9]*\),$/\1/p' | tr '\n' ' '
}

say "The main job. The bundled workload sets up POSIX timers at IDs 7," \
	"1000000 and 2000000 (different clocks and notifications), an itimer" \
	"and a timerfd, and counts the signals it gets."
start_workload run
src=${pids[-1]}
sleep 1.2
tail -n 1 "$T/run.log" | sed 's/^/    /'

say "keeptime show: the timers of a running process, remaining times" \
	"included, read from outside (the process is stopped for a moment and" \
	"let go as it was)."
run "$KT" show "$src"

say "keeptime dump: the same, into an image file (mode 0600)."
run "$KT" dump "$src" -o "$T/app.img"
run "$KT" show "$T/app.img"

say "A fresh workload with no timers, waiting to be restored into," \
	"and the restore: exact IDs, armed with their remaining times."
start_workload wait
dst=${pids[-1]}
run "$KT" restore --pid "$dst" "$T/app.img"
run "$KT" show "$dst"

want=$(ids_of "$src") got=$(ids_of "$dst")
say "Timer IDs in the original: $want" "Timer IDs in the restored:  $got"
if [ "$want" != "$got" ] || [ -z "$want" ]; then
	echo "demo: the restored IDs differ" >&2
	exit 1
fi

say "The restored process's timers fire: its counts go up."
sleep 2.2
tail -n 2 "$T/wait.log" | sed 's/^/    /'
if ! tail -n 1 "$T/wait.log" | grep -q 'timer 7 signals [1-9]'; then
	echo "demo: no timer signals in the restored process" >&2
	exit 1
fi

# The last signal count of timer 7 a workload log shows.
count_of() {
	tail -n 1 "$1" | sed -n 's/.*timer 7 signals \([0-9]*\),.*/\1/p'
}

say "Whole-process checkpoint/restore. keeptime dump -D writes the whole" \
	"workload (registers, memory, descriptors, signal state, timers) into" \
	"an image directory; --kill ends it once the image is written."
before=$(count_of "$T/run.log")
run "$KT" dump "$src" -D "$T/image" --kill
{ wait "$src" || true; } 2>/dev/null
if kill -0 "$src" 2>/dev/null; then
	echo "demo: process $src still exists after dump --kill" >&2
	exit 1
fi
say "Process $src is gone (timer 7 had fired $before times). The image:"
show ls -l "$T/image"
ls -l "$T/image" | sed 's/^/    /'

say "keeptime restore -D: the process comes back with the same PID, its" \
	"memory (the counts included), descriptors (its log, at the same" \
	"offset), handlers and timers at their exact IDs, and runs on from" \
	"where it was."
run "$KT" restore -D "$T/image"
pids+=("$src")
run "$KT" show "$src"
got=$(ids_of "$src")
say "Timer IDs in the restored process: $got"
if [ "$got" != "$want" ]; then
	echo "demo: the restored process has timer IDs '$got', not '$want'" >&2
	exit 1
fi
sleep 2.2
after=$(count_of "$T/run.log")
say "Its timer 7 goes on counting from $before: now $after."
tail -n 2 "$T/run.log" | sed 's/^/    /'
if [ -z "$after" ] || [ -z "$before" ] || [ "$after" -le "$before" ]; then
	echo "demo: the restored process does not count on ($before -> $after)" >&2
	exit 1
fi

say "The benchmark: the seed commit's claim (\"1.5 seconds with the" \
	"create/delete method ... 3 microseconds with the prctl()\"), each" \
	"measurement in a fresh fork()ed child (about 20 seconds)."
run "$KT" bench

say "Done."
