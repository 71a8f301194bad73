#!/usr/bin/env bash
# The conditions given to check are single-quoted on purpose: check
# evaluates them later, and the variables they use look unused.
# shellcheck disable=SC2016,SC2034
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Tests of the keeptime command:
#   tests/cli.sh PATH_TO_KEEPTIME
# Each check prints "ok - ...", "not ok - ..." or "ok - ... # SKIP reason";
# the last line is "N passed, N failed, N skipped". Exit status 1 if a check
# failed, 2 on a usage error. Checks of the explicit path are skipped on a
# kernel without PR_TIMER_CREATE_RESTORE_IDS (Linux < 6.15).
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_KEEPTIME" >&2
	exit 2
fi
KT=$1
if [ ! -x "$KT" ]; then
	echo "$0: $KT is not an executable" >&2
	exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
man_page=$top/docs/keeptime.1

# An inherited value would turn every automatic choice into the linear path.
unset KEEPTIME_FORCE_LINEAR

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 skipped=0
RC=0 OUT='' ERR=''

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok() {
	echo "not ok - $1"
	shift
	[ $# -eq 0 ] || printf '#   %s\n' "$@"
	failed=$((failed + 1))
}

skip() {
	echo "ok - $1 # SKIP $2"
	skipped=$((skipped + 1))
}

# Run a command; keep its exit status, stdout and stderr in RC, OUT, ERR.
run() {
	RC=0
	"$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# check NAME CONDITION: CONDITION is a shell test on RC, OUT and ERR,
# evaluated in a subshell (it may "exit 1").
check() {
	if (eval "$2"); then
		ok "$1"
	else
		not_ok "$1" "condition: $2" "exit status: $RC" \
			"stderr: $(head -c 400 "$T/err")" \
			"stdout: $(head -c 400 "$T/out")"
	fi
}

# stderr is exactly one line, "keeptime: ..."
one_error_line() {
	[ "$(wc -l <"$T/err")" -eq 1 ] && [[ $ERR == keeptime:\ * ]]
}

# The IDs in the /proc/self/timers listing after the creation, sorted.
ids_after() {
	sed -n '/^\/proc\/self\/timers after:/,$p' "$T/out" |
		sed -n 's/^  ID: //p' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

have_python() {
	command -v python3 >/dev/null 2>&1
}

# --- global options -------------------------------------------------------

run "$KT" --help
check "--help exits 0 and shows the usage" \
	'[ $RC -eq 0 ] && [[ $OUT == *"Usage: keeptime"* ]] && [ -z "$ERR" ]'
run "$KT" -h
check "-h exits 0 and lists the commands" \
	'[ $RC -eq 0 ] && [[ $OUT == *probe* && $OUT == *create* && $OUT == *bench* ]]'
run "$KT" --version
check "--version prints 'keeptime VERSION'" \
	'[ $RC -eq 0 ] && [[ $OUT =~ ^keeptime\ [0-9]+\.[0-9]+\.[0-9]+$ ]]'
run "$KT" -V
check "-V prints 'keeptime VERSION'" \
	'[ $RC -eq 0 ] && [[ $OUT =~ ^keeptime\ [0-9]+\.[0-9]+\.[0-9]+$ ]]'
run "$KT"
check "no command: exit 2 and one error line" '[ $RC -eq 2 ] && one_error_line'
run "$KT" frobnicate
check "unknown command: exit 2 and one error line naming it" \
	'[ $RC -eq 2 ] && one_error_line && [[ $ERR == *frobnicate* ]]'
run "$KT" --frobnicate probe
check "unknown global option: exit 2" '[ $RC -eq 2 ] && one_error_line'
if [ -w /dev/full ]; then
	RC=0
	"$KT" --help >/dev/full 2>"$T/err" || RC=$?
	ERR=$(cat "$T/err")
	check "a failed write to stdout: exit 1 and one error line" \
		'[ $RC -eq 1 ] && one_error_line'
else
	skip "a failed write to stdout" "no writable /dev/full"
fi

# --- help ------------------------------------------------------------------

for cmd in probe create bench help; do
	run "$KT" help "$cmd"
	help_out=$OUT
	check "help $cmd exits 0 and shows its usage" \
		'[ $RC -eq 0 ] && [[ $OUT == *"Usage: keeptime $cmd"* ]]'
	run "$KT" "$cmd" --help
	check "$cmd --help shows the same help as 'help $cmd'" \
		'[ $RC -eq 0 ] && [ "$OUT" = "$help_out" ]'
done
run "$KT" help create
check "create's help says the timers vanish when the command exits" \
	'[[ $OUT == *disarmed* && $OUT == *vanish* ]]'
run "$KT" help frobnicate
check "help of an unknown command: exit 2" '[ $RC -eq 2 ] && one_error_line'

# --- usage errors: exit 2, one line on stderr ------------------------------

usage_error() {
	local name=$1
	shift
	run "$KT" "$@"
	check "usage error, exit 2: $name" '[ $RC -eq 2 ] && one_error_line'
}
usage_error "create without an ID" create
usage_error "create with an unknown option" create --frobnicate 1
usage_error "create with an ID that is not a number" create 12abc
usage_error "create with an ID that does not fit 32 bits" create 3000000000
usage_error "create --max-steps not a number" create --max-steps lots 1
usage_error "create --max-steps negative" create --max-steps -5 1
usage_error "create --max-seconds zero" create --max-seconds 0 1
usage_error "create --max-seconds not a number" create --max-seconds soon 1
usage_error "create --clock unknown" create --clock sundial 1
usage_error "create --notify unknown" create --notify carrier-pigeon 1
usage_error "create --signal not a number" create --signal USR1 1
usage_error "create --clock without its argument" create --clock
usage_error "create --explicit with --linear" create --explicit --linear 1
usage_error "create with a negative-looking option" create -5
usage_error "probe with an argument" probe extra
usage_error "probe with an unknown option" probe --xml
usage_error "bench --runs 0" bench --runs 0
usage_error "bench --runs not a number" bench --runs many
usage_error "bench --sparse-n 0" bench --sparse-n 0
usage_error "bench --linear-runs too many" bench --linear-runs 100000
usage_error "bench --snapshot-n 0" bench --snapshot-n 0
usage_error "bench --snapshot-runs not a number" bench --snapshot-runs few
usage_error "bench --snapshot-runs negative" bench --snapshot-runs -1
usage_error "bench --snapshot-runs too many" bench --snapshot-runs 100000
usage_error "bench --show-n-small 0" bench --show-n-small 0
usage_error "bench --show-n-large 0" bench --show-n-large 0
usage_error "bench --show-n-large too many" bench --show-n-large 3000000
usage_error "bench --show-runs not a number" bench --show-runs some
usage_error "bench --show-runs too many" bench --show-runs 100000
usage_error "bench --process-runs not a number" bench --process-runs all
usage_error "bench --process-runs too many" bench --process-runs 100000
usage_error "bench with an argument" bench now

# --- probe -----------------------------------------------------------------

run "$KT" probe
check "probe exits 0 and shows the kernel and the automatic path" \
	'[ $RC -eq 0 ] && [[ $OUT == *"kernel:"*"$(uname -r)"* && $OUT == *"automatic path:"* ]]'
check "probe shows RLIMIT_SIGPENDING and SigQ" \
	'[[ $OUT == *RLIMIT_SIGPENDING:* && $OUT == *SigQ:* ]]'

run "$KT" probe --json
probe_json=$OUT
if have_python; then
	check "probe --json is one JSON object with the documented keys" \
		'[ $RC -eq 0 ] && python3 -c "
import json, sys
d = json.loads(sys.argv[1])
for k in (\"kernel\", \"explicit_supported\", \"restore_ids_flag\", \"auto_path\",
          \"auto_path_forced\", \"force_linear_env\", \"rlimit_sigpending\", \"sigq\"):
    assert k in d, k
assert d[\"auto_path\"] in (\"explicit\", \"linear\")
" "$OUT"'
else
	check "probe --json has the documented keys (grep)" \
		'[ $RC -eq 0 ] && [[ $OUT == *\"kernel\":* && $OUT == *\"explicit_supported\":* && $OUT == *\"auto_path\":* ]]'
fi

if [[ $probe_json == *'"explicit_supported": true'* ]]; then
	EXPLICIT=yes
elif [[ $probe_json == *'"explicit_supported": false'* ]]; then
	EXPLICIT=no
else
	EXPLICIT=unknown
	not_ok "probe --json says whether explicit IDs are granted"
fi
no_prctl="the kernel lacks PR_TIMER_CREATE_RESTORE_IDS (Linux < 6.15)"

RC=0
KEEPTIME_FORCE_LINEAR=1 "$KT" probe >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "KEEPTIME_FORCE_LINEAR=1: probe reports the linear path" \
	'[ $RC -eq 0 ] && [[ $OUT =~ automatic\ path:\ +linear ]]'
RC=0
KEEPTIME_FORCE_LINEAR=1 "$KT" probe --json >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "KEEPTIME_FORCE_LINEAR=1: probe --json says auto_path linear" \
	'[ $RC -eq 0 ] && [[ $OUT == *"\"auto_path\": \"linear\""* ]]'
if [ "$EXPLICIT" = yes ]; then
	check "probe --json says the linear path was forced" \
		'[[ $OUT == *"\"auto_path_forced\": true"* ]]'
	RC=0
	KEEPTIME_FORCE_LINEAR=0 "$KT" probe >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out") ERR=$(cat "$T/err")
	check "KEEPTIME_FORCE_LINEAR=0: probe reports the explicit path" \
		'[ $RC -eq 0 ] && [[ $OUT =~ automatic\ path:\ +explicit ]]'
else
	skip "probe --json says the linear path was forced" "$no_prctl"
	skip "KEEPTIME_FORCE_LINEAR=0: probe reports the explicit path" "$no_prctl"
fi

# --- create: the explicit path ---------------------------------------------

if [ "$EXPLICIT" = yes ]; then
	run "$KT" create --explicit 7 1000 1000000
	check "create --explicit 7 1000 1000000 exits 0 on the explicit path" \
		'[ $RC -eq 0 ] && [[ $OUT == *"path:          explicit"* ]] && [ -z "$ERR" ]'
	check "create --explicit: /proc/self/timers had no timers before" \
		'[[ $OUT == *"/proc/self/timers before:"$'\''\n'\''"  (no timers)"* ]]'
	check "create --explicit: /proc/self/timers shows exactly IDs 7 1000 1000000" \
		'[ "$(ids_after)" = "7 1000 1000000" ]'

	run "$KT" create 1000000 7 1000
	check "create (automatic) takes the explicit path, IDs in any order" \
		'[ $RC -eq 0 ] && [[ $OUT == *"path:          explicit"* ]] && [ "$(ids_after)" = "7 1000 1000000" ]'

	run "$KT" create --explicit 2147483647 0
	check "create --explicit reaches IDs 0 and 2147483647" \
		'[ $RC -eq 0 ] && [ "$(ids_after)" = "0 2147483647" ]'

	run "$KT" create --explicit --notify none --clock process-cpu 42
	check "create --notify none --clock process-cpu: /proc shows none and clock -6" \
		'[ $RC -eq 0 ] && [[ $OUT == *"notify: none/pid."* && $OUT == *"ClockID: -6"* ]]'
	run "$KT" create --explicit --notify thread-id --signal 10 43
	check "create --notify thread-id --signal 10: /proc shows the signal to a tid" \
		'[ $RC -eq 0 ] && [[ $OUT == *"signal: 10/"* && $OUT == *"notify: signal/tid."* ]]'
	run "$KT" create --explicit --quiet 44
	check "create --quiet does not show /proc/self/timers" \
		'[ $RC -eq 0 ] && [[ $OUT != *"/proc/self/timers"* && $OUT == *"path:"* ]]'

	run "$KT" create --explicit 5 5
	check "duplicate ID on the explicit path: exit 1, one line that says so" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"ID 5 appears more than once"* ]]'
	run "$KT" create --explicit --clock 4 9
	check "a clock without timers (MONOTONIC_RAW): exit 1, one line from the library" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *timer_create* ]]'
else
	for name in "create --explicit 7 1000 1000000" \
		"create --explicit: /proc/self/timers before" \
		"create --explicit: /proc/self/timers shows the IDs" \
		"create (automatic) takes the explicit path" \
		"create --explicit reaches IDs 0 and 2147483647" \
		"create --notify none --clock process-cpu" \
		"create --notify thread-id --signal 10" \
		"create --quiet" \
		"duplicate ID on the explicit path" \
		"a clock without timers"; do
		skip "$name" "$no_prctl"
	done
	run "$KT" create --explicit 7
	check "create --explicit without the prctl: exit 1, one line that says so" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"does not grant explicit timer IDs"* ]]'
fi

# --- create: the linear path -----------------------------------------------

run "$KT" create --linear 7 1000 1000000
check "create --linear 7 1000 1000000 exits 0 on the linear path" \
	'[ $RC -eq 0 ] && [[ $OUT == *"path:          linear"* ]] && [ -z "$ERR" ]'
check "create --linear: the walk took 1000001 timer_create calls" \
	'[[ $OUT == *"linear steps:  1000001 timer_create calls"* ]]'
check "create --linear: /proc/self/timers shows exactly IDs 7 1000 1000000" \
	'[ "$(ids_after)" = "7 1000 1000000" ]'

RC=0
KEEPTIME_FORCE_LINEAR=1 "$KT" create 3 1000 >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "KEEPTIME_FORCE_LINEAR=1: create takes the linear path (1001 steps)" \
	'[ $RC -eq 0 ] && [[ $OUT == *"path:          linear"* && $OUT == *"linear steps:  1001 "* ]] && [ "$(ids_after)" = "3 1000" ]'
if [ "$EXPLICIT" = yes ]; then
	RC=0
	KEEPTIME_FORCE_LINEAR=1 "$KT" create --explicit 3 >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out") ERR=$(cat "$T/err")
	check "--explicit wins over KEEPTIME_FORCE_LINEAR=1" \
		'[ $RC -eq 0 ] && [[ $OUT == *"path:          explicit"* ]]'
else
	skip "--explicit wins over KEEPTIME_FORCE_LINEAR=1" "$no_prctl"
fi

run "$KT" create --linear 2147483647
check "create --linear 2147483647: exit 1, one line with the step count" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"2147483648 timer_create calls"* && $ERR == *bound* ]]'
check "create --linear 2147483647: /proc/self/timers shows nothing after" \
	'[[ $OUT != *"/proc/self/timers after"* && $OUT != *"ID: "* ]]'
run "$KT" create --linear --quiet 5 5
check "duplicate ID on the linear path: exit 1, one line that says so" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"ID 5 appears more than once"* ]]'
run "$KT" create --linear --quiet --max-steps 100 1000
check "create --linear --max-steps 100 1000: refused, exit 1" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"1001 timer_create calls"* ]]'
run "$KT" create --linear --quiet --max-steps 1001 1000
check "create --linear --max-steps 1001 1000: exit 0" '[ $RC -eq 0 ]'
run "$KT" create --quiet -- -1
check "a negative ID: the library refuses it, exit 1" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"not a timer ID"* ]]'

run "$KT" -v create --linear --quiet 2
check "-v shows the library's debug messages" \
	'[ $RC -eq 0 ] && [[ $ERR == *"keeptime: debug: "* ]]'
run "$KT" create -v --linear --quiet 2
check "-v after the command works too" \
	'[ $RC -eq 0 ] && [[ $ERR == *"keeptime: debug: "* ]]'
run "$KT" -v create --quiet 6 6
check "-v: a failed creation is still reported once" \
	'[ $RC -eq 1 ] && [ "$(grep -c "appears more than once" "$T/err")" -eq 1 ]'

# --- bench -----------------------------------------------------------------

run "$KT" bench --json --runs 3 --linear-runs 1 --sparse-n 1000 \
	--snapshot-n 300 --snapshot-runs 2 --show-n-large 300 --show-runs 2 \
	--process-runs 2
bench_rc=$RC
check "bench --json --runs 3 --linear-runs 1 --sparse-n 1000 --snapshot-n 300 --snapshot-runs 2 --show-n-large 300 --show-runs 2 --process-runs 2 exits 0" \
	'[ $RC -eq 0 ]'
if have_python; then
	check "bench --json is one JSON object with every required key" \
		'python3 - "$T/out" "$EXPLICIT" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
explicit = sys.argv[2] == "yes"
num = (int, float)
assert isinstance(d["kernel"], str) and d["kernel"], "kernel"
assert d["explicit_supported"] is explicit, "explicit_supported"
seed, sparse = d["seed"], d["sparse"]
for k in ("explicit_us", "linear_us", "speedup", "raw_loop_us", "step_ratio", "runs"):
    assert k in seed, "seed." + k
for k in ("n", "explicit_us", "raw_us", "ratio", "runs"):
    assert k in sparse, "sparse." + k
for k in ("linear_us", "raw_loop_us", "step_ratio"):
    assert isinstance(seed[k], num) and seed[k] > 0, "seed." + k
assert isinstance(sparse["raw_us"], num) and sparse["raw_us"] > 0, "sparse.raw_us"
assert sparse["n"] == 1000, "sparse.n"
assert seed["runs"]["linear"] == 1 and seed["runs"]["raw_loop"] == 1, "seed.runs"
assert seed["linear_steps"] == 2000001, "seed.linear_steps"
for obj, k in ((seed, "explicit_us"), (seed, "speedup"),
               (sparse, "explicit_us"), (sparse, "ratio")):
    if explicit:
        assert isinstance(obj[k], num) and obj[k] > 0, k
    else:
        assert obj[k] is None, k + " must be null without the prctl"
if explicit:
    assert seed["runs"]["explicit"] == 3, "seed.runs.explicit"
PY'
	check "bench --json has the snapshot object, with sensible values" \
		'python3 - "$T/out" "$EXPLICIT" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
explicit = sys.argv[2] == "yes"
num = (int, float)
snap = d["snapshot"]
steps = ("capture", "save", "load", "restore")
assert snap["n"] == 300, "snapshot.n"
assert snap["timerfds"] == 2 and snap["itimer"] == "ITIMER_REAL", "snapshot set-up"
keys = [s + x for s in steps for x in ("_us", "_min_us", "_max_us")]
if explicit:
    assert snap["runs"] == 2, "snapshot.runs"
    for s in steps:
        lo, med, hi = snap[s + "_min_us"], snap[s + "_us"], snap[s + "_max_us"]
        assert all(isinstance(x, num) and x > 0 for x in (lo, med, hi)), s
        assert lo <= med <= hi, s + ": min <= median <= max"
        assert len(snap["samples_us"][s]) == 2, "samples_us." + s
        assert isinstance(snap["per_timer_us"][s], num), "per_timer_us." + s
    assert isinstance(snap["image_bytes"], int) and snap["image_bytes"] > 0, "image_bytes"
    assert 50 <= snap["bytes_per_timer"] <= 200, "bytes_per_timer %r" % snap["bytes_per_timer"]
    assert abs(snap["bytes_per_timer"] * 300 - snap["image_bytes"]) < 1, "bytes_per_timer * n"
else:
    assert snap["runs"] == 0, "snapshot.runs without the prctl"
    for k in keys + ["image_bytes", "bytes_per_timer"]:
        assert snap[k] is None, k + " must be null without the prctl"
PY'
	check "bench --json has the show object, with sensible values" \
		'python3 - "$T/out" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
num = (int, float)
show, targets = d["show"], d["targets"]
assert show["n_small"] == 10 and show["n_large"] == 300, "show.n_small, n_large"
assert show["timerfds"] == 1 and show["itimer"] == "ITIMER_REAL", "show set-up"
assert show["target_idles_in"] == "read", "show.target_idles_in"
for k in ("show_small_ms_below", "show_large_ms_below", "show_small_met",
          "show_large_met"):
    assert k in targets, "targets." + k
assert targets["show_small_ms_below"] == 5 and targets["show_large_ms_below"] == 50
sizes = ("small", "large")
keys = [s + x for s in sizes for x in ("_us", "_min_us", "_max_us")]
keys += ["per_timer_us", "small_per_timer_us", "per_added_timer_us", "ratio"]
if show["skipped"] is None:
    assert show["runs"] == 2, "show.runs"
    for s in sizes:
        lo, med, hi = show[s + "_min_us"], show[s + "_us"], show[s + "_max_us"]
        assert all(isinstance(x, num) and x > 0 for x in (lo, med, hi)), s
        assert lo <= med <= hi, s + ": min <= median <= max"
        assert len(show["samples_us"][s]) == 2, "samples_us." + s
    # The JSON carries 3 decimals: compare to 0.5 %.
    close = lambda a, b: abs(a - b) <= 0.005 * b
    assert close(show["per_timer_us"] * 300, show["large_us"]), "per_timer_us"
    assert close(show["ratio"] * show["small_us"], show["large_us"]), "ratio"
    assert isinstance(show["per_added_timer_us"], num), "per_added_timer_us"
    assert isinstance(targets["show_small_met"], bool), "show_small_met"
    assert isinstance(targets["show_large_met"], bool), "show_large_met"
else:
    # ptrace is not permitted here: the case says why and is null.
    assert "ptrace" in show["skipped"], show["skipped"]
    assert show["runs"] == 0, "show.runs when skipped"
    for k in keys:
        assert show[k] is None, k + " must be null when skipped"
    assert targets["show_small_met"] is None and targets["show_large_met"] is None
PY'
	check "bench --json has the process object, with sensible values" \
		'python3 - "$T/out" "$EXPLICIT" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
explicit = sys.argv[2] == "yes"
num = (int, float)
proc, targets = d["process"], d["targets"]
assert proc["workload"] == "keeptime-workload run", "process.workload"
assert proc["ids"] == [7, 1000000, 2000000], "process.ids"
assert proc["timerfds"] == 1 and proc["itimer"] == "ITIMER_REAL", "process set-up"
assert proc["timed"] == ["kt_dump_process", "kt_restore_process"], "process.timed"
assert targets["process_restore_ms_below"] == 34, "process_restore_ms_below"
parts = ("dump", "dump_stopped", "restore", "restore_memory",
         "restore_timers", "restore_rest")
keys = [s + x for s in parts for x in ("_us", "_min_us", "_max_us")]
keys += ["restore_timers_share", "n_timers", "n_vmas", "pages_bytes"]
for k in keys + ["runs", "skipped", "samples_us"]:
    assert k in proc, "process." + k
if proc["runs"]:
    assert explicit, "process measured without the prctl"
    assert proc["runs"] == 2 and proc["skipped"] is None, "process.runs"
    for s in parts:
        lo, med, hi = proc[s + "_min_us"], proc[s + "_us"], proc[s + "_max_us"]
        assert all(isinstance(x, num) and x >= 0 for x in (lo, med, hi)), s
        assert lo <= med <= hi, s + ": min <= median <= max"
        assert len(proc["samples_us"][s]) == 2, "samples_us." + s
    for s in ("dump", "dump_stopped", "restore", "restore_timers"):
        assert proc[s + "_us"] > 0, s
    assert proc["dump_stopped_us"] <= proc["dump_us"] * 1.001, "stop within the dump"
    # The parts of each run add up to its restore (3 decimals each).
    for i in range(2):
        got = sum(proc["samples_us"][s][i] for s in parts[3:])
        assert abs(got - proc["samples_us"]["restore"][i]) < 0.01, "parts"
    assert 0 < proc["restore_timers_share"] < 1, "restore_timers_share"
    assert proc["n_timers"] == 4, "process.n_timers (3 POSIX timers, 1 timerfd)"
    assert proc["n_vmas"] > 0 and proc["pages_bytes"] > 0, "n_vmas, pages_bytes"
    assert isinstance(targets["process_restore_met"], bool), "process_restore_met"
else:
    # Skipped: no prctl (skipped says nothing then), not permitted or no
    # workload (skipped says why); every number null.
    assert proc["skipped"] is not None or not explicit, "process.skipped"
    for k in keys:
        assert proc[k] is None, k + " must be null when not measured"
    assert targets["process_restore_met"] is None, "process_restore_met"
PY'
else
	check "bench --json has every required key (grep, no python3)" \
		'for k in kernel explicit_supported seed explicit_us linear_us speedup raw_loop_us step_ratio runs sparse n raw_us ratio snapshot capture_us save_us load_us restore_us image_bytes bytes_per_timer show n_small n_large small_us small_min_us small_max_us large_us large_min_us large_max_us per_timer_us process dump_us dump_stopped_us restore_memory_us restore_timers_us restore_rest_us n_timers process_restore_met; do grep -q "\"$k\":" "$T/out" || exit 1; done'
fi
check "bench --json prints nothing but the object on stdout" \
	'[ $bench_rc -ne 0 ] || { [ "$(head -c1 "$T/out")" = "{" ] && [ "$(tail -n1 "$T/out")" = "}" ]; }'

run "$KT" bench --runs 3 --linear-runs 1 --sparse-n 100 --sparse-runs 1 \
	--snapshot-n 100 --snapshot-runs 1 --show-n-large 100 --show-runs 1 \
	--process-runs 1
check "bench (table) exits 0 and shows the medians, ratios and targets" \
	'[ $RC -eq 0 ] && [[ $OUT == *median* && $OUT == *"step ratio"* && $OUT == *targets:* && $OUT == *"sparse, ratio <= 1.3"* ]]'
check "bench (table) shows the snapshot section after sparse" \
	'[[ $OUT == *"sparse: "*"snapshot: 100 POSIX timers at IDs i*1000+7, 2 timerfds, ITIMER_REAL"*"targets:"* ]]'
if [ "$EXPLICIT" = yes ]; then
	check "bench (table) times capture, save, load and restore, and the image size" \
		'for w in capture save load restore; do grep -Eq "^  $w \(.* 1$" "$T/out" || exit 1; done && grep -Eq "^  image size: +[1-9][0-9]* bytes, [0-9.]+ bytes per timer$" "$T/out" && grep -q "^  per timer: \+capture " "$T/out"'
else
	check "bench (table) says the snapshot case was not measured" \
		'[[ $OUT == *"capture (kt_capture_self)"*"not measured: no PR_TIMER_CREATE_RESTORE_IDS"* ]]'
fi
check "bench (table) shows the show section after snapshot, and its targets" \
	'[[ $OUT == *"snapshot: "*"show: one kt_capture_pid of a target holding N POSIX timers"*"targets:"* ]] && grep -Eq "^  show, 10 timers < 5 ms +[^ ].* (met|not met)$" "$T/out" && grep -Eq "^  show, 100 timers < 50 ms +[^ ].* (met|not met)$" "$T/out"'
if [[ $ERR == *"show case skipped"* ]]; then
	check "bench (table) says why the show case was skipped" \
		'[[ $ERR == *"ptrace not permitted"* && $OUT == *"100 timers"*"not measured: ptrace not permitted"* ]]'
else
	check "bench (table) times the show captures of 10 and 100 timers, per timer and ratio" \
		'grep -Eq "^  10 timers .* 1$" "$T/out" && grep -Eq "^  100 timers .* 1$" "$T/out" && grep -Eq "^  per timer, 100 timers: +[0-9.]+ [nmu]?s \(10 timers: " "$T/out" && grep -Eq "^  ratio, 100 / 10 timers: +[0-9.]+ \(for 10.0x the timers\)$" "$T/out"'
fi
check "bench (table) shows the process section after show, and its target" \
	'[[ $OUT == *"show: "*"process: the bundled workload (keeptime-workload run: "*"targets:"* ]] && grep -Eq "^  process, restore < 34 ms \(CRIU\) +[^ ].* (met|not met|n/a)$" "$T/out"'
if [[ $ERR == *"process case skipped"* ]]; then
	check "bench (table) says why the process case was skipped" \
		'[[ $ERR == *"process case skipped: "* && $OUT == *"restore (kt_restore_process)"*"not measured: skipped"* ]]'
elif [ "$EXPLICIT" = yes ]; then
	check "bench (table) times the dump, the restore and its parts, the timer part in us" \
		'for w in "dump \(kt_dump_process\)" "  process held stopped" "restore \(kt_restore_process\)" "  memory" "  timers, at their IDs" "  the rest"; do grep -Eq "^  $w .* 1$" "$T/out" || exit 1; done && grep -Eq "^  timer part of the restore: +[0-9.]+ us \([0-9.]+ % of it\)$" "$T/out" && grep -Eq "^  restored: +[1-9][0-9]* mappings, [1-9][0-9]* KiB of memory, 4 timers$" "$T/out"'
else
	check "bench (table) says the process case was not measured" \
		'[[ $OUT == *"restore (kt_restore_process)"*"not measured: no PR_TIMER_CREATE_RESTORE_IDS"* ]]'
fi

run "$KT" bench --json --runs 1 --linear-runs 1 --sparse-n 10 --sparse-runs 1 \
	--snapshot-runs 0 --show-runs 0 --process-runs 0
if have_python; then
	check "bench --json --show-runs 0: the show fields are null" \
		'[ $RC -eq 0 ] && python3 - "$T/out" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
show = d["show"]
assert show["runs"] == 0, "runs"
assert show["n_small"] == 10 and show["n_large"] == 10000, "default sizes"
for s in ("small", "large"):
    for x in ("_us", "_min_us", "_max_us"):
        assert show[s + x] is None, s + x
    assert show["samples_us"][s] == [], "samples_us." + s
for k in ("per_timer_us", "small_per_timer_us", "per_added_timer_us", "ratio",
          "skipped"):
    assert show[k] is None, k
assert d["targets"]["show_small_met"] is None, "show_small_met"
assert d["targets"]["show_large_met"] is None, "show_large_met"
PY'
	check "bench --json --snapshot-runs 0: the snapshot fields are null" \
		'[ $RC -eq 0 ] && python3 - "$T/out" <<'\''PY'\''
import json, sys
snap = json.load(open(sys.argv[1]))["snapshot"]
assert snap["runs"] == 0, "runs"
for s in ("capture", "save", "load", "restore"):
    for x in ("_us", "_min_us", "_max_us"):
        assert snap[s + x] is None, s + x
    assert snap["per_timer_us"][s] is None, "per_timer_us." + s
    assert snap["samples_us"][s] == [], "samples_us." + s
assert snap["image_bytes"] is None and snap["bytes_per_timer"] is None, "image"
PY'
	check "bench --json --process-runs 0: the process fields are null" \
		'[ $RC -eq 0 ] && python3 - "$T/out" <<'\''PY'\''
import json, sys
d = json.load(open(sys.argv[1]))
proc = d["process"]
assert proc["runs"] == 0 and proc["skipped"] is None, "runs, skipped"
for s in ("dump", "dump_stopped", "restore", "restore_memory",
          "restore_timers", "restore_rest"):
    for x in ("_us", "_min_us", "_max_us"):
        assert proc[s + x] is None, s + x
    assert proc["samples_us"][s] == [], "samples_us." + s
for k in ("restore_timers_share", "n_timers", "n_vmas", "pages_bytes"):
    assert proc[k] is None, k
assert d["targets"]["process_restore_met"] is None, "process_restore_met"
PY'
else
	check "bench --json --snapshot-runs 0: the snapshot fields are null (grep)" \
		'[ $RC -eq 0 ] && grep -q "\"image_bytes\": null" "$T/out" && grep -q "\"capture_us\": null" "$T/out"'
fi

RC=0
(ulimit -S -i 20 && exec "$KT" bench --sparse-n 1000 --snapshot-runs 0 \
	--show-runs 0) >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "bench refuses up front when RLIMIT_SIGPENDING cannot hold the sparse set" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *RLIMIT_SIGPENDING* && $ERR == *"sparse case needs 1000"* ]] && [ -z "$OUT" ]'
if [ "$EXPLICIT" = yes ]; then
	RC=0
	(ulimit -S -i 20 && exec "$KT" bench --sparse-n 1 --snapshot-n 1000 \
		--show-runs 0) >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out") ERR=$(cat "$T/err")
	check "bench refuses up front when RLIMIT_SIGPENDING cannot hold the snapshot set" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"snapshot case needs 1000"* && $ERR == *--snapshot-n* ]] && [ -z "$OUT" ]'
else
	skip "bench refuses up front when RLIMIT_SIGPENDING cannot hold the snapshot set" "$no_prctl"
fi
RC=0
(ulimit -S -i 20 && exec "$KT" bench --sparse-n 1 --snapshot-runs 0 \
	--show-n-large 1000) >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "bench refuses up front when RLIMIT_SIGPENDING cannot hold the show target" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"show case needs 100"[01]\ * && $ERR == *--show-n-large* ]] && [ -z "$OUT" ]'

# --- show: image files ------------------------------------------------------

image=$top/tests/fuzz/corpus/image/sample.img
run "$KT" show "$image"
check "show FILE exits 0 and lists the image's timers, itimers and timerfds" \
	'[ $RC -eq 0 ] && [[ $OUT == *"POSIX timers: 2"* && $OUT == *1000007* && $OUT == *"thread-id 99"* && $OUT == *itimers:* && $OUT == *"timerfds: 1"* ]]'
check "show FILE prints the 64-bit signal value and the remaining time" \
	'[[ $OUT == *0x0000000000000007* && $OUT == *1.000000002* ]]'
run "$KT" show - <"$image"
check "show - reads the image from standard input" \
	'[ $RC -eq 0 ] && [[ $OUT == *1000007* ]]'
run "$KT" show --json "$image"
if have_python; then
	printf '%s\n' "$OUT" >"$T/show.json"
	check "show --json prints one JSON object with the documented keys" \
		'[ $RC -eq 0 ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"schema\"] == \"keeptime-snapshot\" and d[\"schema_version\"] == 1
t = d[\"posix_timers\"]
assert [x[\"id\"] for x in t] == [7, 1000007], t
assert t[1][\"notify\"] == \"thread-id\" and t[1][\"notify_tid\"] == 99
assert t[0][\"sigval\"] == \"0x0000000000000007\"
assert t[0][\"remaining\"] == {\"sec\": 1, \"nsec\": 2} and t[0][\"armed\"] is True
assert set(d[\"itimers\"]) == {\"real\", \"virtual\", \"prof\"}
f = d[\"timerfds\"][0]
assert f[\"fd\"] == 5 and f[\"ticks\"] == 3 and f[\"abstime\"] and f[\"cloexec\"]
assert d[\"restore_ids_flag\"] is False
" "$T/show.json"'
else
	skip "show --json prints one JSON object with the documented keys" "python3 is not installed"
fi
printf 'this is not an image\n' >"$T/junk"
run "$KT" show "$T/junk"
check "show of a file that is not an image: exit 1, one line with the offset" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"offset 0"* && $ERR == *"not a keeptime image"* ]]'
head -c 100 "$image" >"$T/cut.img"
run "$KT" show "$T/cut.img"
check "show of a truncated image: exit 1, one line saying truncated" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *truncated* ]]'
run "$KT" show "$T/does-not-exist"
check "show of a missing file: exit 1, one error line" '[ $RC -eq 1 ] && one_error_line'
run "$KT" show
check "show without FILE: exit 2" '[ $RC -eq 2 ] && one_error_line'

# --- another process: show PID, dump, restore --------------------------------

workload=$(dirname "$KT")/keeptime-workload
if [ -x "$workload" ]; then
	"$workload" run >"$T/run.log" 2>&1 &
	src=$!
	"$workload" wait >"$T/wait.log" 2>&1 &
	dst=$!
	for _ in $(seq 100); do
		grep -q ready "$T/run.log" && grep -q ready "$T/wait.log" && break
		sleep 0.05
	done
	run "$KT" show "$src"
	check "show PID lists the process's timers with remaining times" \
		'[ $RC -eq 0 ] && [[ $OUT == *"process $src"* && $OUT == *1000000* && $OUT == *2000000* && $OUT == *"timerfds: 1"* ]]'
	run "$KT" show --json "$src"
	check "show --json PID names the process as its source" \
		'[ $RC -eq 0 ] && [[ $OUT == *"\"source\": \"process $src\""* ]]'
	check "the process goes on after show (state not stopped)" \
		'grep -q "^State:.*[RS]" /proc/$src/status'
	run "$KT" dump "$src" -o "$T/app.img"
	check "dump PID -o FILE writes an image" \
		'[ $RC -eq 0 ] && [ -s "$T/app.img" ]'
	check "the image has mode 0600" '[ "$(stat -c %a "$T/app.img")" = 600 ]'
	run "$KT" dump "$src" -o "$T/app.img"
	check "dump refuses to replace a file without --force" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *--force* ]]'
	run "$KT" dump --force "$src" -o "$T/app.img"
	check "dump --force replaces it" '[ $RC -eq 0 ]'
	run "$KT" dump "$src" -D "$T/app.d"
	check "dump PID -D DIR writes the image directory" \
		'[ $RC -eq 0 ] && [ -s "$T/app.d/process.img" ] && [ -s "$T/app.d/pages.img" ] && [ -s "$T/app.d/timers.img" ] && [[ $OUT == *"written to $T/app.d"* ]]'
	check "the directory has mode 0700, its files 0600" \
		'[ "$(stat -c %a "$T/app.d")" = 700 ] && [ "$(stat -c %a "$T/app.d"/* | sort -u)" = 600 ]'
	check "the process goes on after dump -D (state not stopped)" \
		'grep -q "^State:.*[RS]" /proc/$src/status'
	run "$KT" show "$T/app.d/timers.img"
	check "timers.img of the directory is a timer image" \
		'[ $RC -eq 0 ] && [[ $OUT == *1000000* && $OUT == *"timerfds: 1"* ]]'
	run "$KT" dump "$src" -D "$T/app.d"
	check "dump -D refuses a directory that is not empty without --force" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"not empty"* && $ERR == *--force* ]]'
	run "$KT" dump --force "$src" -D "$T/app.d"
	check "dump -D --force writes into it" '[ $RC -eq 0 ]'
	run "$KT" restore --pid "$dst" "$T/app.img"
	check "restore --pid PID FILE recreates the timers there" \
		'[ $RC -eq 0 ] && [[ $OUT == *"3 POSIX timer(s) restored"* ]]'
	run "$KT" show --json "$dst"
	check "the restored process holds the IDs 7 1000000 2000000" \
		'[ $RC -eq 0 ] && [ "$(printf "%s\n" "$OUT" | sed -n "s/^ *\"id\": \([0-9]*\),$/\1/p" | tr "\n" " ")" = "7 1000000 2000000 " ]'
	run "$KT" restore --pid "$dst" "$T/app.img"
	check "a second restore into the same process is refused (IDs taken)" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"already"* ]]'
	sleep 1.3
	check "the restored timers fire in the restored process" \
		'tail -n 1 "$T/wait.log" | grep -q "timer 7 signals [1-9]"'
	kill "$src" "$dst" 2>/dev/null
	wait "$src" "$dst" 2>/dev/null
else
	for what in "show PID" "dump" "restore"; do
		skip "$what" "$workload was not built"
	done
fi
run "$KT" show 999999
check "show of a PID that does not exist: exit 1, one error line" \
	'[ $RC -eq 1 ] && one_error_line'
run "$KT" show "$$"
check "show of a process we may trace but that is the shell: exit 0" \
	'[ $RC -eq 0 ]'
run "$KT" dump 1
check "dump without -o: exit 2" '[ $RC -eq 2 ] && one_error_line'
run "$KT" restore "$T/app.img"
check "restore without --pid: exit 2" '[ $RC -eq 2 ] && one_error_line'
run "$KT" dump 2 -o "$T/kthread.img"
check "dump of a kernel thread: exit 1, says kernel thread" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"kernel thread"* ]] && [ ! -e "$T/kthread.img" ]'
run "$KT" dump 2 -D "$T/kthread.d"
check "dump -D of a kernel thread: exit 1, no directory left behind" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"kernel thread"* ]] && [ ! -e "$T/kthread.d" ]'
run "$KT" dump 1 -o "$T/x.img" -D "$T/x.d"
check "dump with both -o and -D: exit 2" '[ $RC -eq 2 ] && one_error_line'
sleep 30 </dev/null 2>/dev/null > >(cat >/dev/null) &
piped=$!
run "$KT" dump "$piped" -D "$T/piped.d"
check "dump -D of a process writing to a pipe: exit 1, names fd 1" \
	'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"fd 1 "*"a pipe"* ]] && [ ! -e "$T/piped.d" ]'
kill "$piped" 2>/dev/null
wait "$piped" 2>/dev/null

# --- a whole process: dump -D --kill, restore -D ---------------------------

# The number after "timer 7 signals" in the last line of a workload log.
count_of() {
	tail -n 1 "$1" | sed -n 's/.*timer 7 signals \([0-9]*\),.*/\1/p'
}

# Wait until FILE contains TEXT (5 s at most).
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

if [ -x "$workload" ]; then
	"$workload" run </dev/null >"$T/whole.log" 2>&1 &
	whole=$!
	wait_for "$T/whole.log" ready
	wait_for "$T/whole.log" "timer 7 signals"
	run "$KT" dump "$whole" -D "$T/whole.d" --kill
	before=$(count_of "$T/whole.log")
	check "dump -D --kill writes the image, then ends the process" \
		'[ $RC -eq 0 ] && [[ $OUT == *"then killed"* ]] && [ -s "$T/whole.d/process.img" ]'
	{ wait "$whole"; } 2>/dev/null
	check "the dumped process is gone" '! kill -0 "$whole" 2>/dev/null'

	"$KT" restore -D "$T/whole.d" --wait >"$T/r1.out" 2>"$T/r1.err" &
	keeper=$!
	wait_for "$T/r1.out" restored
	OUT=$(cat "$T/r1.out") ERR=$(cat "$T/r1.err")
	check "restore -D brings the process back with its PID" \
		'[[ $OUT == *"process $whole restored from $T/whole.d"* ]] && kill -0 "$whole"'
	check "the restored process has the dumped comm, cwd and descriptors" \
		'[ "$(cat /proc/$whole/comm)" = keeptime-worklo ] && [ "$(readlink /proc/$whole/cwd)" = "$(pwd -P)" ] && [ "$(readlink /proc/$whole/fd/1)" = "$T/whole.log" ]'
	run "$KT" show --json "$whole"
	check "the restored process holds the IDs 7 1000000 2000000" \
		'[ $RC -eq 0 ] && [ "$(printf "%s\n" "$OUT" | sed -n "s/^ *\"id\": \([0-9]*\),$/\1/p" | tr "\n" " ")" = "7 1000000 2000000 " ]'
	sleep 1.3
	after=$(count_of "$T/whole.log")
	check "its timer 7 counts on from where it was ($before -> $after)" \
		'[ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]'
	run "$KT" restore -D "$T/whole.d"
	check "a restore while the PID is taken: exit 1, one line naming the PID" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *"PID $whole is taken"* ]]'
	kill -TERM "$whole"
	RC=0
	wait "$keeper" || RC=$?
	OUT=$(cat "$T/r1.out")
	check "restore --wait: its handler ends it on SIGTERM, exit status 0" \
		'[ $RC -eq 0 ] && [[ $OUT == *"process $whole exited with status 0"* ]]'

	"$KT" restore -D "$T/whole.d" --wait >"$T/r2.out" 2>&1 &
	keeper=$!
	wait_for "$T/r2.out" restored
	check "a second restore from the same image" \
		'grep -q "process $whole restored" "$T/r2.out" && kill -0 "$whole"'
	kill -KILL "$whole"
	RC=0
	wait "$keeper" || RC=$?
	check "restore --wait: killed by SIGKILL, exit status 137" \
		'[ $RC -eq 137 ] && grep -q "killed by Killed" "$T/r2.out"'

	cp -r "$T/whole.d" "$T/bad.d"
	printf 'X' | dd of="$T/bad.d/pages.img" bs=1 seek=100 conv=notrunc 2>/dev/null
	run "$KT" restore -D "$T/bad.d"
	check "a damaged pages.img: exit 1, one line naming it, nothing started" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *pages.img* ]] && ! kill -0 "$whole" 2>/dev/null'
	rm -rf "$T/bad.d"
	cp -r "$T/whole.d" "$T/bad.d"
	rm -f "$T/bad.d/timers.img"
	run "$KT" restore -D "$T/bad.d"
	check "a missing timers.img: exit 1, one line naming it" \
		'[ $RC -eq 1 ] && one_error_line && [[ $ERR == *timers.img* ]]'
else
	skip "dump -D --kill and restore -D" "$workload was not built"
fi
run "$KT" restore -D "$T/nowhere.d"
check "restore -D of a missing directory: exit 1, one error line" \
	'[ $RC -eq 1 ] && one_error_line'
run "$KT" restore -D "$T/whole.d" --pid 1
check "restore with both -D and --pid: exit 2" '[ $RC -eq 2 ] && one_error_line'
run "$KT" restore --wait --pid 1 "$T/app.img"
check "restore --wait without -D: exit 2" '[ $RC -eq 2 ] && one_error_line'
run "$KT" restore -D "$T/whole.d" "$T/app.img"
check "restore -D with a FILE too: exit 2" '[ $RC -eq 2 ] && one_error_line'
run "$KT" dump --kill 1 -o "$T/x.img"
check "dump --kill without -D: exit 2" '[ $RC -eq 2 ] && one_error_line'

# --- the man page ----------------------------------------------------------

if command -v groff >/dev/null 2>&1; then
	run groff -man -ww -z "$man_page"
	check "the man page renders without warnings (groff -man -ww)" \
		'[ $RC -eq 0 ] && [ -z "$ERR" ]'
	RC=0
	groff -man -Tascii -P-cbou "$man_page" >"$T/man.txt" 2>"$T/err" || RC=$?
	check "the man page documents every command and option" \
		'[ $RC -eq 0 ] && for w in "keeptime probe" "keeptime create" "keeptime bench" "keeptime show" "keeptime dump" "keeptime restore" --pid --force --dir --kill --wait --keep-absolute "keeptime help" --json --explicit --linear --max-steps --max-seconds --progress --clock --notify --signal --quiet --runs --linear-runs --sparse-n --sparse-runs --snapshot-n --snapshot-runs --show-n-small --show-n-large --show-runs --process-runs --verbose --version --help KEEPTIME_FORCE_LINEAR "EXIT STATUS" EXAMPLES; do
			grep -q -e "$w" "$T/man.txt" || { echo "missing: $w"; exit 1; }
		done'
else
	skip "the man page renders without warnings" "groff is not installed"
	skip "the man page documents every command and option" "groff is not installed"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
