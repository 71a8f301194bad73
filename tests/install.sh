#!/usr/bin/env bash
# Install into a staging directory and build a client against the installed
# header, pkg-config file and both libraries, the way a user would.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >"$stage/out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/#   /' "$stage/out"; fi; }

make -s -C "$top" install PREFIX=/opt/keeptime DESTDIR="$stage/root" >/dev/null

for f in opt/keeptime/bin/keeptime opt/keeptime/include/keeptime/keeptime.h opt/keeptime/lib/libkeeptime.a \
	opt/keeptime/lib/libkeeptime.so opt/keeptime/lib/libkeeptime.so.0 opt/keeptime/lib/pkgconfig/keeptime.pc \
	opt/keeptime/share/man/man1/keeptime.1; do
	check "installed $f" test -e "$stage/root/$f"
done

cat >"$stage/client.c" <<'C'
#include <keeptime/keeptime.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	int s = kt_explicit_ids_supported();
	printf("%s %d\n", kt_version(), s);
	return strcmp(kt_version(), "0.1.0") != 0 || s < 0;
}
C
export PKG_CONFIG_SYSROOT_DIR="$stage/root" PKG_CONFIG_LIBDIR="$stage/root/opt/keeptime/lib/pkgconfig"
cflags=$(pkg-config --cflags keeptime)
libs=$(pkg-config --libs keeptime)
check "client builds against the shared library" \
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $cflags "$stage/client.c" -o "$stage/client" $libs
check "client runs with the shared library" \
	env LD_LIBRARY_PATH="$stage/root/opt/keeptime/lib" "$stage/client"
check "client builds against the static library" \
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $cflags "$stage/client.c" -o "$stage/client-static" \
	"$stage/root/opt/keeptime/lib/libkeeptime.a" -lpthread
check "static client runs" "$stage/client-static"

# Strict ISO C without POSIX: a clear error, not a cascade.
check "the header says what it needs under strict ISO C" \
	bash -c "! cc -std=c11 $cflags -c '$stage/client.c' -o /dev/null 2>'$stage/err' && grep -q 'needs POSIX.1b' '$stage/err'"

exported=$(nm -D --defined-only "$stage/root/opt/keeptime/lib/libkeeptime.so" | awk '{print $3}' | sed 's/@.*//' | sort -u)
bad=$(echo "$exported" | grep -v '^kt_' | grep -v '^LIBKEEPTIME_' || true)
check "the shared library exports only kt_ symbols" test -z "$bad"
check "soname is libkeeptime.so.0" \
	bash -c "readelf -d '$stage/root/opt/keeptime/lib/libkeeptime.so' | grep -q 'SONAME.*libkeeptime.so.0'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
