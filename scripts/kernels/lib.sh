# shellcheck shell=bash
# Shared by fetch.sh, initramfs.sh and run.sh (sourced, not run): the cache
# directory, the kernel list and error reporting. See docs/kernel-matrix.md.

KT_KERNELS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KT_PROG=${0##*/}

kt_die() {
	echo "$KT_PROG: error: $*" >&2
	exit 1
}

kt_note() {
	echo "$KT_PROG: $*" >&2
}

# Where extracted kernels (and the private apt state that found them) live.
kt_cache_dir() {
	if [ -n "${KEEPTIME_KERNEL_CACHE:-}" ]; then
		printf '%s\n' "$KEEPTIME_KERNEL_CACHE"
	elif [ -n "${XDG_CACHE_HOME:-}" ]; then
		printf '%s\n' "$XDG_CACHE_HOME/keeptime/kernels"
	elif [ -n "${HOME:-}" ]; then
		printf '%s\n' "$HOME/.cache/keeptime/kernels"
	else
		kt_die "no cache directory: set KEEPTIME_KERNEL_CACHE (or HOME)"
	fi
}

# The kernel list: "NAME SUITES PACKAGE" lines, comments and blank lines
# dropped, checked; restricted to $KEEPTIME_KERNELS (space-separated names)
# when that is set. Fails on a malformed line or an unknown name.
kt_kernel_list() {
	local file=${KEEPTIME_KERNEL_LIST:-$KT_KERNELS_DIR/kernels.list}
	local lines n=0 name suites pkg extra want found

	[ -r "$file" ] || kt_die "$file: cannot read the kernel list"
	lines=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$file") ||
		kt_die "$file: cannot read the kernel list"
	while read -r name suites pkg extra; do
		n=$((n + 1))
		if [ -z "$pkg" ] || [ -n "$extra" ] ||
			[[ ! $name =~ ^[A-Za-z0-9._-]+$ ]] ||
			[[ ! $suites =~ ^[a-z0-9-]+(,[a-z0-9-]+)*$ ]] ||
			[[ ! $pkg =~ ^[a-z0-9][a-z0-9.+-]+$ ]]; then
			kt_die "$file: entry $n is not 'NAME SUITE[,SUITE...] PACKAGE'"
		fi
	done <<<"$lines"
	[ "$n" -gt 0 ] || kt_die "$file: no kernels listed"

	if [ -z "${KEEPTIME_KERNELS:-}" ]; then
		printf '%s\n' "$lines" | awk '{ print $1, $2, $3 }'
		return 0
	fi
	for want in $KEEPTIME_KERNELS; do
		found=$(printf '%s\n' "$lines" |
			awk -v w="$want" '$1 == w { print $1, $2, $3; exit }')
		[ -n "$found" ] ||
			kt_die "KEEPTIME_KERNELS: '$want' is not in $file"
		printf '%s\n' "$found"
	done
}
