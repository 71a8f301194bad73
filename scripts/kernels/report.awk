# SPDX-License-Identifier: LGPL-2.1-or-later
# The report of one guest, from the "KT ..." lines init.sh wrote to its
# results port (carriage returns already removed). run.sh runs it as
#
#   awk -v bins=N -v boot=STATUS -v summary=FILE -f report.awk RESULTS
#
# bins    how many test_* binaries the initramfs holds
# boot    "ok", or why the boot did not end normally ("timed out after N s")
# summary a file that gets one line: "PASSED FAILED SKIPPED UNAME PATH"
#
# Counts follow tests/run.sh: "ok ... # SKIP" is a skip, "not ok" a
# failure; so are tests the plan announces that never reported, a binary
# that ends non-zero without a failing test, and a binary that wrote no
# report. On top of that, each broken guarantee below is one failure:
# - the result marker "KT END" must be there, after every binary;
# - the engine must take the path the kernel calls for: explicit on Linux
#   >= 6.15 (PR_TIMER_CREATE_RESTORE_IDS), linear before. The expectation
#   comes from the version the guest reports; the engine itself asks the
#   kernel (keeptime probe), and the tests' skips must agree: before 6.15
#   explicit-path tests skip for want of the prctl and linear-path tests
#   pass; from 6.15 on no test skips for want of it and both kinds pass.

function problem(msg) {
	problems[++nproblems] = msg
}

# A broken guarantee: named, and counted as one failure.
function broken(msg) {
	problem(msg)
	failed++
}

# The line after the "KT TYPE BIN " prefix, leading spaces kept.
function rest(nprefix,    s, i) {
	s = $0
	for (i = 0; i < nprefix; i++)
		sub(/^[^ ]* /, "", s)
	return s
}

function tap_name(line,    f) {
	split(line, f, " ")
	return f[1] == "not" ? f[4] : f[3]
}

function binary_done(b,    missing) {
	if (!(b in rc)) {
		problem(b ": started but never finished (the guest stopped in it)")
		failed++
		bin_failed[b]++
		return
	}
	if (!(b in has_tap)) {
		text = out[b]
		sub(/\n$/, "", text)
		problem(b ": exited with " rc[b] \
			(rc[b] == 137 ? " (killed after KEEPTIME_KERNEL_BIN_TIMEOUT)" : "") \
			" and wrote no report" (text != "" ? ":\n" text : ""))
		failed++
		bin_failed[b]++
		return
	}
	if (plan[b] != "" && bin_seen[b] < plan[b] + 0) {
		missing = plan[b] - bin_seen[b]
		problem(b ": " missing " test(s) never reported")
		failed += missing
		bin_failed[b] += missing
	} else if (rc[b] != 0 && bin_failed[b] == 0) {
		problem(b ": exited with " rc[b] " without a failing test" \
			(rc[b] == 137 ? " (killed after KEEPTIME_KERNEL_BIN_TIMEOUT)" : ""))
		failed++
		bin_failed[b]++
	}
}

# The engine's path against the one the kernel calls for (want).
function check_path(    n, i, ids, created) {
	if (probe_rc != 0 || explicit_supported == "" || auto_path == "") {
		npath++
		broken("keeptime probe --json failed (exit " probe_rc "): " probe)
	} else if (auto_path != want || explicit_supported != (want == "explicit" ? "true" : "false")) {
		npath++
		broken("keeptime probe: explicit_supported=" explicit_supported \
			", auto_path=" auto_path "; Linux " uname " calls for the " want " path")
	}
	# The three timers, in whatever order /proc lists them.
	n = split(create_ids, ids, " ")
	for (i = 1; i <= n; i++)
		created[ids[i]] = 1
	if (create_rc != 0 || create_path != want || n != 3 ||
	    !(7 in created) || !(1000 in created) || !(100000 in created)) {
		npath++
		broken("keeptime create 7 1000 100000: exit " create_rc ", path " \
			create_path ", IDs after: " create_ids "; wanted exit 0, path " \
			want ", IDs 7 1000 100000")
	}
	if (want == "linear") {
		if (prctl_skips == 0) {
			npath++
			broken("no test skipped for want of the prctl on Linux " uname)
		}
		if (kpass["linear"] + 0 == 0) {
			npath++
			broken("no linear-path test passed")
		}
	} else {
		if (prctl_skips != 0) {
			npath++
			broken(prctl_skips " test(s) skipped for want of the prctl on Linux " uname)
		}
		if (kpass["explicit"] + 0 == 0 || kpass["linear"] + 0 == 0) {
			npath++
			broken("explicit-path tests passed: " kpass["explicit"] + 0 \
				", linear-path tests passed: " kpass["linear"] + 0 "; wanted both")
		}
	}
}

BEGIN {
	prctl_skip = "Linux >= 6.15"	# ktt_require_restore_ids() in tests/kt_test.c
	nproblems = 0
	nbins = 0
	in_yaml = ""
}

$1 != "KT" { next }

$2 == "BEGIN" { begun = 1 }
$2 == "UNAME" { uname = $3 }
$2 == "PROBE" {
	probe_rc = $3
	probe = rest(3)
	if (match(probe, /"explicit_supported": *(true|false)/)) {
		s = substr(probe, RSTART, RLENGTH)
		sub(/.*: */, "", s)
		explicit_supported = s
	}
	if (match(probe, /"auto_path": *"[a-z]+"/)) {
		s = substr(probe, RSTART, RLENGTH)
		sub(/.*: *"/, "", s)
		sub(/"$/, "", s)
		auto_path = s
	}
}
$2 == "CREATE" {
	create_rc = $3
	line = rest(3)
	if (line ~ /^path: /) {
		create_path = line
		sub(/^path: */, "", create_path)
	}
	if (line ~ /^linear steps: /) {
		create_steps = line
		sub(/^linear steps: */, "", create_steps)
		sub(/ .*/, "", create_steps)
	}
	if (line ~ /timers after:/)
		create_after = 1
	if (create_after && line ~ /^ *ID: [0-9]+$/) {
		sub(/^ *ID: /, "", line)
		create_ids = create_ids (create_ids == "" ? "" : " ") line
	}
}
$2 == "BIN" {
	bin = $3
	bins_order[++nbins] = bin
	bin_seen[bin] = 0
	bin_passed[bin] = bin_failed[bin] = bin_skipped[bin] = 0
	plan[bin] = ""
}
$2 == "TAP" {
	b = $3
	line = rest(3)
	has_tap[b] = 1
	if (in_yaml != "") {
		if (line ~ /^  \.\.\.$/) {
			in_yaml = ""
		} else if (line ~ /^  - .*: \|\+?$/) {
			# "  - tests/test_x.c:12: |+", the message on the next lines
			where = line
			sub(/^  - /, "", where)
			sub(/ \|\+?$/, "", where)
		} else if (line !~ /^  (---|assertions:|failures:)/) {
			sub(/^ +/, "", line)
			failure_text[in_yaml] = failure_text[in_yaml] "\n      " \
				where (where == "" ? "" : " ") line
			where = ""
		}
		next
	}
	if (plan[b] == "" && line ~ /^1\.\.[0-9]+/) {
		plan[b] = line
		sub(/^1\.\./, "", plan[b])
		sub(/[^0-9].*/, "", plan[b])
	} else if (line ~ /^ok /) {
		bin_seen[b]++
		t = tap_name(line)
		if (line ~ /# SKIP/) {
			reason = line
			sub(/.*# SKIP */, "", reason)
			skipped++
			bin_skipped[b]++
			if (!(reason in skip_count))
				reasons[++nreasons] = reason
			skip_count[reason]++
			skip_tests[reason] = skip_tests[reason] \
				(skip_tests[reason] == "" ? "" : ", ") t
			test_state[t] = index(reason, prctl_skip) ? "skip-prctl" : "skip"
		} else {
			passed++
			bin_passed[b]++
			test_state[t] = "pass"
		}
		tests[++ntests] = t
	} else if (line ~ /^not ok /) {
		bin_seen[b]++
		t = tap_name(line)
		failed++
		bin_failed[b]++
		test_state[t] = "fail"
		tests[++ntests] = t
		failures[++nfailures] = t
		in_yaml = t
		where = ""
	}
}
$2 == "OUT" {
	out[$3] = out[$3] "      " rest(3) "\n"
}
$2 == "RC" { rc[$3] = $4; secs[$3] = $5 }
$2 == "END" { ended = 1; end_count = $3; uptime = $4 }

END {
	for (i = 1; i <= nbins; i++)
		binary_done(bins_order[i])

	# The guest's end.
	if (boot != "ok")
		broken("the boot " boot)
	if (!begun)
		broken("the guest's /init never started (see the console log)")
	else if (!ended)
		broken("no result marker (KT END): the guest stopped early" \
			(nbins ? ", in " bins_order[nbins] : ""))
	else if (end_count != bins || nbins != bins)
		broken("the guest ran " nbins " test binaries of " bins)

	# The path, and the proof that it was the right one.
	v = uname
	major = v; sub(/\..*/, "", major)
	minor = v; sub(/^[0-9]+\./, "", minor); sub(/[^0-9].*/, "", minor)
	want = (major + 0 > 6 || (major + 0 == 6 && minor + 0 >= 15)) ? "explicit" : "linear"
	for (i = 1; i <= ntests; i++) {
		t = tests[i]
		kind = t ~ /::(.*_)?explicit/ || t ~ /^prctl::/ ? "explicit" \
			: t ~ /::(.*_)?linear/ ? "linear" : ""
		if (kind == "")
			continue
		st = test_state[t]
		if (st == "pass") kpass[kind]++
		else if (st == "fail") kfail[kind]++
		else if (st == "skip-prctl") kskip_prctl[kind]++
		else kskip[kind]++
	}
	prctl_skips = 0
	for (r = 1; r <= nreasons; r++)
		if (index(reasons[r], prctl_skip))
			prctl_skips += skip_count[reasons[r]]
	npath = 0
	if (!begun) {
		npath++	# nothing ran: "never started" says it all
	} else if (uname == "") {
		npath++
		broken("the guest did not say which kernel it runs")
	} else {
		check_path()
	}
	path_right = npath == 0 && kfail["explicit"] + kfail["linear"] == 0

	# The report.
	if (ended)
		printf "  guest:        Linux %s, up %s s at the marker\n", uname, uptime
	printf "  engine path:  %s (keeptime probe: explicit_supported=%s, auto_path=%s)\n",
		auto_path == "" ? "unknown" : auto_path,
		explicit_supported == "" ? "?" : explicit_supported,
		auto_path == "" ? "?" : auto_path
	printf "  create:       keeptime create 7 1000 100000: path %s, %s linear steps, IDs in /proc: %s\n",
		create_path == "" ? "?" : create_path,
		create_steps == "" ? "?" : create_steps,
		create_ids == "" ? "none" : create_ids
	if (uname == "")
		printf "  expected:     unknown: the guest did not say which kernel it runs\n"
	else
		printf "  expected:     %s path (Linux %s is %s 6.15): %s\n", want,
			uname, want == "explicit" ? ">=" : "<",
			path_right ? "right" : (npath ? "WRONG" : "right, but path tests failed")
	printf "  by path:      explicit-path tests %d passed, %d failed, %d skipped for want of the prctl, %d skipped otherwise\n",
		kpass["explicit"], kfail["explicit"], kskip_prctl["explicit"], kskip["explicit"]
	printf "                linear-path tests %d passed, %d failed, %d skipped for want of the prctl, %d skipped otherwise\n",
		kpass["linear"], kfail["linear"], kskip_prctl["linear"], kskip["linear"]
	for (i = 1; i <= nbins; i++) {
		b = bins_order[i]
		printf "  %-18s %3d passed, %d failed, %2d skipped, %5s s%s\n",
			b ":", bin_passed[b], bin_failed[b], bin_skipped[b],
			secs[b] == "" ? "?" : secs[b],
			rc[b] != "" && rc[b] != 0 ? " (exit " rc[b] ")" : ""
	}
	for (r = 1; r <= nreasons; r++) {
		printf "  skipped %d: %s\n", skip_count[reasons[r]], reasons[r]
		n = split(skip_tests[reasons[r]], names, ", ")
		s = "   "
		for (j = 1; j <= n; j++) {
			if (length(s) + length(names[j]) > 100) {
				print s
				s = "   "
			}
			s = s " " names[j] (j < n ? "," : "")
		}
		print s
	}
	for (i = 1; i <= nfailures; i++)
		printf "  FAILED %s%s\n", failures[i], failure_text[failures[i]]
	for (i = 1; i <= nproblems; i++)
		printf "  FAILED %s\n", problems[i]

	printf "%d %d %d %s %s\n", passed, failed, skipped,
		uname == "" ? "?" : uname, auto_path == "" ? "?" : auto_path > summary
}
