#!/bin/sh
# test_error_status_type.sh CC INCLUDE_DIR SOURCE: SOURCE compiles without
# a warning, and with -DMIX (a library code stored in a usnmp_error_status)
# CC warns -Wenum-conversion.  gcc (10 and later) warns in C for that;
# clang does not (in C an enumeration constant is an int): skipped there.
set -u
cc=$1
inc=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$cc" --version 2>/dev/null | grep -qi 'gcc\|free software'; then
  echo "SKIP: $cc is not gcc"
  exit 77
fi
if ! "$cc" -std=c11 -Wall -Wextra -Werror -I"$inc" -c "$src" \
    -o "$tmp/ok.o"; then
  echo "FAIL: $src does not compile cleanly with new names only"
  exit 1
fi
if "$cc" -std=c11 -Wall -Wextra -Werror=enum-conversion -I"$inc" -DMIX \
    -c "$src" -o "$tmp/mix.o" > "$tmp/out" 2>&1; then
  echo "FAIL: a library code stored in a usnmp_error_status: no warning"
  exit 1
fi
if ! grep -q 'enum-conversion' "$tmp/out"; then
  echo "FAIL: -DMIX failed for another reason:"
  cat "$tmp/out"
  exit 1
fi
echo "ok: error-status and library codes are distinct types"
