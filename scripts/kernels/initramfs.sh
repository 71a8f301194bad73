#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the initramfs the test guests boot.
#
#   scripts/kernels/initramfs.sh BUILD_DIR OUTPUT
#
# OUTPUT (a gzip'd newc cpio) holds:
#   /init                    scripts/kernels/init.sh
#   /bin/busybox, /bin/sh    a static busybox (busybox-static); init links
#                            its other applets at boot
#   /kt/keeptime             BUILD_DIR/keeptime
#   /kt/tests/               every executable of BUILD_DIR/tests: the test_*
#                            binaries and their helpers (helper_exec, ...)
#   /lib*/...                the shared libraries they need, found with ldd
#                            (Criterion and its dependencies, libc, ld.so)
#   /dev/console, /proc, /sys, /tmp (a tmpfs at boot), /dev/shm
#
# Prints the number of test_* binaries it holds (run.sh checks that the
# guest ran them all).
set -euo pipefail

# shellcheck source=scripts/kernels/lib.sh
. "$(dirname "$0")/lib.sh"

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR OUTPUT" >&2
	exit 2
fi
build=$1
out=$2

[ -x "$build/keeptime" ] || kt_die "$build/keeptime: missing (run make first)"
[ -d "$build/tests" ] || kt_die "$build/tests: missing (run make check first)"
for tool in busybox cpio gzip ldd; do
	command -v "$tool" >/dev/null ||
		kt_die "$tool: not found (scripts/deps.sh installs it)"
done

stage=$(mktemp -d) || kt_die "mktemp failed"
trap 'rm -rf "$stage" "$out.tmp"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$stage/bin" "$stage/dev/shm" "$stage/proc" "$stage/sys" \
	"$stage/tmp" "$stage/kt/tests" || kt_die "$stage: cannot create"
install -m 0755 "$KT_KERNELS_DIR/init.sh" "$stage/init" ||
	kt_die "cannot copy init.sh"
install -m 0755 "$(command -v busybox)" "$stage/bin/busybox" ||
	kt_die "cannot copy busybox"
# /init's interpreter; init.sh links the other applets.
ln -s busybox "$stage/bin/sh" || kt_die "cannot link $stage/bin/sh"
install -m 0755 "$build/keeptime" "$stage/kt/keeptime" ||
	kt_die "cannot copy $build/keeptime"

ntests=0
for f in "$build"/tests/*; do
	case $f in
	*.o | *.d) continue ;;
	esac
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
	install -m 0755 "$f" "$stage/kt/tests/" || kt_die "cannot copy $f"
	case ${f##*/} in
	test_*) ntests=$((ntests + 1)) ;;
	esac
done
[ "$ntests" -gt 0 ] || kt_die "$build/tests: no test_* binary (run make check first)"

# The shared libraries of every program, at the paths ldd names (ld.so
# included), so that the programs run unchanged in the guest.
for f in "$stage"/bin/busybox "$stage"/kt/keeptime "$stage"/kt/tests/*; do
	if ! deps=$(ldd "$f" 2>&1); then
		# A static program: nothing to copy.
		grep -q 'not a dynamic executable' <<<"$deps" ||
			kt_die "ldd $f: $deps"
		continue
	fi
	if grep -q 'not found' <<<"$deps"; then
		kt_die "ldd $f: a library is missing: $(grep 'not found' <<<"$deps" | head -n 1)"
	fi
	while read -r lib; do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage${lib%/*}" || kt_die "$stage${lib%/*}: cannot create"
		cp -L "$lib" "$stage$lib" || kt_die "cannot copy $lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' <<<"$deps")
done

# The kernel opens /dev/console for /init before anything is mounted; only
# root can make the node. Without it init.sh still finds the console on the
# devtmpfs it mounts, but messages before that are lost.
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 0600 "$stage/dev/console" c 5 1 ||
		kt_die "mknod $stage/dev/console failed"
fi

(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --owner=0:0 --quiet) |
	gzip -1 >"$out.tmp" || kt_die "cannot write $out.tmp"
mv "$out.tmp" "$out" || kt_die "cannot write $out"
echo "$ntests"
