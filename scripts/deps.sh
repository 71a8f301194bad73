#!/usr/bin/env bash
# Install the Debian packages keeptime needs to build, test and run its demo.
# Does nothing when they are all present; installs the missing ones when run
# as root; otherwise names them and fails.
set -euo pipefail

packages=(
	gcc make binutils pkg-config # build
	libcriterion-dev             # test framework
	clang-format                 # format check (make check-format)
	clang libclang-rt-14-dev     # fuzzing (libFuzzer)
	groff-base                   # man page check
	qemu-system-x86              # make test-kernels: the guests,
	busybox-static cpio          # and their initramfs
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "keeptime needs these Debian packages: ${missing[*]}" >&2
	echo "install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
