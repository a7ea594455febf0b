#!/usr/bin/env bash
# test_first_ten_minutes.sh: README.md's "The first ten minutes", done as a
# new user does it (issue 13 item 3).
#
#   test_first_ten_minutes.sh BUILD_DIR PREFIX LIBDIR BINDIR README SNMPD \
#                             NETSNMP_BIN_DIR SNMPD_CONF CC [CFLAG...]
#
#   1. `meson install --destdir` the build into a temporary directory, so
#      the prefix PREFIX lives under it (nothing outside it is written);
#   2. checks that usnmp.pc is where the README says (PREFIX/LIBDIR/
#      pkgconfig) and that the installed usnmp command runs with no
#      LD_LIBRARY_PATH, loading the installed libusnmp (its rpath);
#   3. pulls every C block marked `<!-- readme-test NAME.c ARGS... -->` out
#      of README, builds it with CC, the installed usnmp.pc and the rpath
#      the README gives (CFLAGs after CC are added: the sanitizer flags of
#      the build), and runs it with ARGS (AGENT is a private snmpd's
#      address), requiring exit 0 and the output each one promises.
set -u

if [ $# -lt 9 ]; then
  echo "usage: $0 BUILD_DIR PREFIX LIBDIR BINDIR README SNMPD" \
    "NETSNMP_BIN_DIR SNMPD_CONF CC [CFLAG...]" >&2
  exit 2
fi
build=$1
prefix=$2
libdir=$3
bindir=$4
readme=$5
agent_snmpd=$6
agent_snmpget=$7/snmpget
agent_conf=$8
cc=$9
shift 9
extra_cflags=("$@")

case "$libdir" in /*) ;; *) libdir=$prefix/$libdir ;; esac
case "$bindir" in /*) ;; *) bindir=$prefix/$bindir ;; esac

# shellcheck source=snmpd_agent.sh
. "$(dirname "$0")/snmpd_agent.sh"
usnmp_test_begin first

# ------------------------------------------------------------ 1. install
dest=$tmp/dest
if ! meson install -C "$build" --no-rebuild --destdir "$dest" \
  >"$tmp/install.log" 2>&1; then
  echo "meson install failed:"
  sed 's/^/    /' "$tmp/install.log"
  exit 1
fi
root=$dest$prefix
pcdir=$dest$libdir/pkgconfig

# ------------------------------------------- 2. the .pc file and the rpath
checks=$((checks + 1))
[ -f "$pcdir/usnmp.pc" ] ||
  usnmp_test_fail "usnmp.pc is not in $libdir/pkgconfig"
# The tests run with the build directory in LD_LIBRARY_PATH: without it,
# only the installed command's rpath can find the installed library.
unset LD_LIBRARY_PATH
checks=$((checks + 1))
if ! "$dest$bindir/usnmp" --version >"$tmp/v.out" 2>&1; then
  usnmp_test_fail "the installed usnmp does not run without LD_LIBRARY_PATH"
  sed 's/^/    /' "$tmp/v.out"
fi
checks=$((checks + 1))
loaded=$(ldd "$dest$bindir/usnmp" | awk '$1 == "libusnmp.so.0" { print $3 }')
if [ -z "$loaded" ] ||
  [ "$(dirname "$(readlink -f "$loaded")")" != "$(readlink -f "$dest$libdir")" ]
then
  usnmp_test_fail "the installed usnmp does not load the installed libusnmp:"
  ldd "$dest$bindir/usnmp" | sed 's/^/    /'
fi

usnmp_agent_start || exit 1
A="127.0.0.1:$port"
checks=$((checks + 1))
if ! "$dest$bindir/usnmp" get -v2c -c public "$A" iso.3.6.1.2.1.1.5.0 \
  >"$tmp/get.out" 2>&1 || ! grep -q "STRING" "$tmp/get.out"; then
  usnmp_test_fail "the installed usnmp get does not work"
  sed 's/^/    /' "$tmp/get.out"
fi

# ------------------------------------- 3. the README's programs, as written
# The README's commands, with the prefix under the destdir: pkg-config
# relocates the .pc file's paths through its prefix variable.
pc() {
  PKG_CONFIG_PATH=$pcdir pkg-config --define-variable=prefix="$root" "$@"
}
blocks=$tmp/blocks
mkdir -p "$blocks"
# Each marker line names the file and its arguments; the ```c block that
# follows it is the file.
awk -v dir="$blocks" '
  /^<!-- readme-test / { name = $3; args = ""
    for (i = 4; i < NF; i++) args = args (args == "" ? "" : " ") $i
    print name " " args > (dir "/list"); want = 1; next }
  want && /^```c$/ { file = dir "/" name; inblock = 1; want = 0; next }
  inblock && /^```$/ { inblock = 0; close(file); next }
  inblock { print > file }
' "$readme"
checks=$((checks + 1))
if [ "$(wc -l <"$blocks/list" 2>/dev/null || echo 0)" -lt 3 ]; then
  usnmp_test_fail "fewer than three readme-test blocks in $readme"
fi

# What each program must print (a grep pattern on its stdout).
expect() {
  case "$1" in
  get.c) echo '^\.1\.3\.6\.1\.2\.1\.1\.1\.0 = STRING: "usnmp test agent' ;;
  iftable.c) echo '^\.1  STRING: "lo"  INTEGER: 1  STRING: "lo"  Counter64: ' ;;
  v3get.c) echo '^\.1\.3\.6\.1\.2\.1\.1\.5\.0 = STRING: ' ;;
  *) echo . ;;
  esac
}

while read -r name args; do
  checks=$((checks + 1))
  exe=$blocks/${name%.c}
  # shellcheck disable=SC2046
  if ! "$cc" "${extra_cflags[@]}" -Wall -Wextra -Werror -o "$exe" \
    "$blocks/$name" $(pc --cflags --libs usnmp) \
    -Wl,-rpath,"$(pc --variable=libdir usnmp)" >"$tmp/cc.out" 2>&1; then
    usnmp_test_fail "README's $name does not build"
    sed 's/^/    /' "$tmp/cc.out"
    continue
  fi
  # shellcheck disable=SC2086
  set -- ${args//AGENT/$A}
  if ! "$exe" "$@" >"$tmp/run.out" 2>&1 ||
    ! grep -q "$(expect "$name")" "$tmp/run.out"; then
    usnmp_test_fail "README's $name $* does not run as promised"
    sed 's/^/    /' "$tmp/run.out"
  fi
done <"$blocks/list"

usnmp_test_end test_first_ten_minutes
