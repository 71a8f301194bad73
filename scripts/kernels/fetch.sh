#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Put the kernels of kernels.list into the cache and name them.
#
#   scripts/kernels/fetch.sh
#
# Prints "NAME VMLINUZ" for every kernel (stdout); progress goes to stderr.
# A kernel already in the cache is used as it is, without apt and without the
# network. A missing one is resolved with apt in a private configuration
# (its own sources list, state and cache under the cache directory; /etc/apt
# and /var/lib/apt are left alone): the meta package's versioned
# linux-image-* (or linux-binary-*) package is downloaded, not installed,
# and only its vmlinuz is kept. The mirrors are read from the system's apt
# sources at run time. docs/kernel-matrix.md has the details.
#
# Variables: KEEPTIME_KERNEL_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/keeptime/kernels), KEEPTIME_KERNEL_LIST,
# KEEPTIME_KERNELS (a subset of names), KEEPTIME_KERNEL_REFRESH=1 (resolve
# again even if cached), KEEPTIME_KERNEL_MIRROR and
# KEEPTIME_KERNEL_SECURITY_MIRROR (instead of the system's apt sources).
set -euo pipefail

# shellcheck source=scripts/kernels/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || {
	echo "usage: $0 (no arguments; see KEEPTIME_KERNELS)" >&2
	exit 2
}

list=$(kt_kernel_list)
cache=$(kt_cache_dir)
mkdir -p "$cache" || kt_die "$cache: cannot create the cache directory"

# One fetch at a time per cache (two `make test` in parallel, say).
exec 9>>"$cache/.lock" || kt_die "$cache/.lock: cannot open"
flock -w 1800 9 || kt_die "$cache/.lock: held by another fetch for 30 minutes"

tmp=$(mktemp -d) || kt_die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# ---- mirrors, from the system's apt configuration ----

main_mirror=
security_mirror=

# apt's own parser reads /etc/apt/sources.list and sources.list.d/*.{list,
# sources}; --no-release-info lists the entries even before `apt-get update`.
find_mirrors() {
	local codename targets

	[ -z "$main_mirror" ] || return 0
	main_mirror=${KEEPTIME_KERNEL_MIRROR:-}
	security_mirror=${KEEPTIME_KERNEL_SECURITY_MIRROR:-}
	if [ -z "$main_mirror" ] || [ -z "$security_mirror" ]; then
		codename=$( (
			# shellcheck disable=SC1091
			. /etc/os-release && printf '%s\n' "${VERSION_CODENAME:-}"
		)) || kt_die "/etc/os-release: cannot read it"
		[ -n "$codename" ] ||
			kt_die "/etc/os-release names no VERSION_CODENAME: set KEEPTIME_KERNEL_MIRROR and KEEPTIME_KERNEL_SECURITY_MIRROR"
		# shellcheck disable=SC2016 # apt's fields, not the shell's
		targets=$(apt-get indextargets --no-release-info \
			--format '$(TARGET_OF) $(RELEASE) $(REPO_URI)') ||
			kt_die "apt-get indextargets failed: cannot read the system's apt sources"
		[ -n "$main_mirror" ] || main_mirror=$(awk -v s="$codename" \
			'$1 == "deb" && $2 == s { print $3; exit }' <<<"$targets")
		[ -n "$security_mirror" ] || security_mirror=$(awk \
			-v s="$codename-security" \
			'$1 == "deb" && $2 == s { print $3; exit }' <<<"$targets")
	fi
	[ -n "$main_mirror" ] ||
		kt_die "the system's apt sources have no '$codename' suite: set KEEPTIME_KERNEL_MIRROR"
	[ -n "$security_mirror" ] ||
		kt_die "the system's apt sources have no '$codename-security' suite: set KEEPTIME_KERNEL_SECURITY_MIRROR"
	kt_note "mirrors (from the system's apt sources): $main_mirror, $security_mirror"
}

# ---- a private apt configuration per set of suites ----

apt_opts=()
declare -A updated=()

# Point apt_opts at the private configuration of these suites and bring its
# package lists up to date once per run.
use_suites() {
	local suites=$1 dir keyring='' suite base

	find_mirrors
	dir=$cache/apt/${suites//,/+}
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" \
		"$dir/preferences.d" "$dir/sources.list.d" ||
		kt_die "$dir: cannot create the private apt directories"
	[ -e "$dir/status" ] || : >"$dir/status" ||
		kt_die "$dir/status: cannot create"
	if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		keyring=" signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
	fi
	{
		echo "# Written by scripts/kernels/fetch.sh; mirrors from the system's apt sources."
		for suite in ${suites//,/ }; do
			base=$main_mirror
			[[ $suite != *-security ]] || base=$security_mirror
			echo "deb [arch=amd64$keyring] $base $suite main"
		done
	} >"$dir/sources.list" || kt_die "$dir/sources.list: cannot write"

	apt_opts=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=$dir/sources.list.d"
		-o "Dir::Etc::Preferences=$dir/preferences"
		-o "Dir::Etc::PreferencesParts=$dir/preferences.d"
		-o "Dir::State=$dir"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o "Dir::Cache::archives=$dir/cache/archives"
		-o "APT::Architecture=amd64"
		-o "Acquire::Languages=none"
		-o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
	)
	# As root apt would hand downloads to _apt, who cannot write our
	# directories; as anyone else it runs as the caller anyway.
	[ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")

	[ -z "${updated[$suites]:-}" ] || return 0
	kt_note "apt-get update ($suites, private configuration in $dir)"
	if ! apt-get "${apt_opts[@]}" -q update </dev/null >"$tmp/update.log" 2>&1 ||
		grep -q '^\(W\|E\): ' "$tmp/update.log"; then
		sed 's/^/  /' "$tmp/update.log" >&2
		kt_die "apt-get update of $suites failed (is the Debian mirror reachable?)"
	fi
	updated[$suites]=1
}

# The versioned kernel packages PKG depends on (linux-image-N..., or
# linux-binary-N... since 7.x), in apt's order.
kernel_deps() {
	local out

	out=$(apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances "$1" </dev/null 2>&1) ||
		kt_die "apt-cache depends $1: $out"
	awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 ~ /^linux-(image|binary)-[0-9]/ {
		print $2 }' <<<"$out"
}

# Resolve, download and extract one kernel into $cache/NAME.
fetch_kernel() {
	local name=$1 suites=$2 meta=$3
	local pkg=$meta next deb member='' level info

	use_suites "$suites"
	for level in 1 2 3; do
		next=$(kernel_deps "$pkg" | head -n 1)
		[ -n "$next" ] ||
			kt_die "$name: $pkg ($suites) depends on no linux-image-*/linux-binary-* package"
		rm -rf "$tmp/dl" || kt_die "$tmp/dl: cannot remove"
		mkdir "$tmp/dl" || kt_die "$tmp/dl: cannot create"
		kt_note "$name: apt-get download $next ($suites, level $level)"
		(cd "$tmp/dl" && apt-get "${apt_opts[@]}" -qq download "$next") \
			</dev/null >"$tmp/download.log" 2>&1 || {
			sed 's/^/  /' "$tmp/download.log" >&2
			kt_die "$name: apt-get download $next failed"
		}
		deb=$(find "$tmp/dl" -name '*.deb' | head -n 1)
		[ -n "$deb" ] || kt_die "$name: apt-get download $next left no .deb"
		# The image: ./boot/vmlinuz-VERSION, or since 7.x
		# ./usr/lib/modules/VERSION/vmlinuz in linux-binary-*.
		member=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | awk '
			/^\.\/boot\/vmlinuz-/ || /^\.\/usr\/lib\/modules\/[^\/]+\/vmlinuz$/ {
				if (!m) m = $0 }
			END { print m }') ||
			kt_die "$name: cannot list $deb"
		[ -z "$member" ] || break
		pkg=$next
	done
	[ -n "$member" ] ||
		kt_die "$name: no vmlinuz in $meta's dependencies (3 levels deep)"

	dpkg-deb --fsys-tarfile "$deb" | tar -x -O -f - "$member" \
		>"$tmp/vmlinuz" || kt_die "$name: cannot extract $member from $deb"
	# Every x86 boot image has "HdrS" at offset 0x202.
	[ "$(head -c 518 "$tmp/vmlinuz" | tail -c 4)" = "HdrS" ] ||
		kt_die "$name: $member of $deb is not an x86 boot image"
	info=$(dpkg-deb -f "$deb" Package Version) ||
		kt_die "$name: cannot read the control fields of $deb"

	rm -rf "${cache:?}/$name.new" || kt_die "$cache/$name.new: cannot remove"
	mkdir "$cache/$name.new" || kt_die "$cache/$name.new: cannot create"
	mv "$tmp/vmlinuz" "$cache/$name.new/vmlinuz" ||
		kt_die "$cache/$name.new: cannot write"
	{
		printf '%s\n' "$info" | sed 's/^Package: /package=/; s/^Version: /version=/'
		echo "member=$member"
		echo "meta=$meta"
		echo "suites=$suites"
		echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$cache/$name.new/info" || kt_die "$cache/$name.new/info: cannot write"
	rm -rf "${cache:?}/$name" || kt_die "$cache/$name: cannot remove"
	mv "$cache/$name.new" "$cache/$name" || kt_die "$cache/$name: cannot replace"
	kt_note "$name: cached $(sed -n 's/^package=//p' "$cache/$name/info") $(sed -n 's/^version=//p' "$cache/$name/info")"
}

# Whether the cache holds this kernel as the list describes it now.
cached() {
	local name=$1 suites=$2 meta=$3

	[ -s "$cache/$name/vmlinuz" ] && [ -s "$cache/$name/info" ] &&
		grep -qx "meta=$meta" "$cache/$name/info" &&
		grep -qx "suites=$suites" "$cache/$name/info"
}

while read -r name suites meta; do
	if [ "${KEEPTIME_KERNEL_REFRESH:-0}" = 1 ] ||
		! cached "$name" "$suites" "$meta"; then
		fetch_kernel "$name" "$suites" "$meta"
	fi
	printf '%s %s\n' "$name" "$cache/$name/vmlinuz"
done <<<"$list"
