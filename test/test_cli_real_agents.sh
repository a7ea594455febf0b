#!/usr/bin/env bash
# test_cli_real_agents.sh: the usnmp command against net-snmp's tools on an
# agent that answers with the encodings real devices send.
#
#   test_cli_real_agents.sh USNMP FAULTY_AGENT NETSNMP_BIN_DIR
#
# Starts test/faulty_agent (test/faulty_agent.h lists its cases) on a free
# loopback port and, for every case net-snmp reads, requires `usnmp get`,
# `getnext`, `walk` and `bulkwalk` (with and without -Cp) to print what
# snmpget, snmpgetnext, snmpwalk and snmpbulkwalk print, byte for byte,
# with the same exit code, over v1 and v2c (bulkwalk: v2c).  For the
# values with no single meaning, which net-snmp drops (a timeout) or
# misreads, usnmp must print its documented "Undecodable value" line and
# succeed.  Each failed case prints a diff; the script exits 1 if any
# failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 USNMP FAULTY_AGENT NETSNMP_BIN_DIR" >&2
  exit 2
fi
usnmp=$1
faulty_agent=$2
bin=$3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/usnmp-test-cli-real-XXXXXX")
agent_pid=
cleanup() {
  if [ -n "$agent_pid" ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# net-snmp's tools with no MIB modules and no configuration but ours.
export MIBS=
export SNMPCONFPATH="$tmp/persist"
export SNMP_PERSISTENT_DIR="$tmp/persist"
mkdir -p "$tmp/persist"

"$faulty_agent" 127.0.0.1 "$tmp/port" &
agent_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/port" ] && break
  sleep 0.05
done
if ! [ -s "$tmp/port" ]; then
  echo "FAIL: the faulty agent did not start"
  exit 1
fi
A="127.0.0.1:$(cat "$tmp/port")"
# net-snmp's first run creates its persistent directory and says so.
"$bin/snmpget" -v 2c -c public -r 0 -t 1 "$A" .1.3.6.1.4.1.99999.1.0 \
  >/dev/null 2>&1
BASE=.1.3.6.1.4.1.99999
# A reply comes at once; a lost one is retried.
T=(-r 2 -t 1)

# shellcheck source=cli_compare.sh
. "$(dirname "$0")/cli_compare.sh"

# same CMD ARGS...: byte-identical stdout, stderr and exit code, and some
# output (an empty pair would prove nothing).
same() {
  checks=$((checks + 1))
  run_both "$@"
  if ! cmp -s "$tmp/u.out" "$tmp/n.out" || ! cmp -s "$tmp/u.err" "$tmp/n.err" ||
    [ "$urc" != "$nrc" ] || ! [ -s "$tmp/u.out" ]; then
    fail "usnmp $* differs from $(tool_of "$1")"
    show_diff
  fi
}

# undecodable CMD WANT ARGS...: usnmp prints exactly the line WANT and
# succeeds, whatever net-snmp makes of the reply.
undecodable() {
  local cmd=$1 want=$2
  shift 2
  checks=$((checks + 1))
  "$usnmp" "$cmd" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  urc=$?
  printf '%s\n' "$want" >"$tmp/want"
  if [ "$urc" != 0 ] || ! cmp -s "$tmp/u.out" "$tmp/want" ||
    [ -s "$tmp/u.err" ]; then
    fail "usnmp $cmd $*: expected \"$want\", exit 0"
    echo "  exit code $urc; stdout:"
    sed 's/^/    /' "$tmp/u.out"
    sed 's/^/    stderr: /' "$tmp/u.err"
  fi
}

# Cases net-snmp reads (test/faulty_agent.h): 1-17 and 22.
for c in $(seq 1 17) 22; do
  for v in 1 2c; do
    same get -v "$v" -c public -On "${T[@]}" "$A" "$BASE.$c.0"
    same getnext -v "$v" -c public -On "${T[@]}" "$A" "$BASE.$c"
    same walk -v "$v" -c public -On "${T[@]}" "$A" "$BASE.$c"
  done
  same bulkwalk -v 2c -c public -On "${T[@]}" "$A" "$BASE.$c"
  same bulkwalk -v 2c -c public -On -Cp "${T[@]}" "$A" "$BASE.$c"
done
# The bulkwalk whose answer repeats endOfMibView prints every repeat, as
# snmpbulkwalk does (ten lines with -Cr10, eleven with -Cp's count).
same bulkwalk -v 2c -c public -On -Cr5 "${T[@]}" "$A" "$BASE.22"
checks=$((checks + 1))
"$usnmp" bulkwalk -v 2c -c public -On -Cp "${T[@]}" "$A" "$BASE.22" \
  >"$tmp/u.out" 2>&1
if [ "$(grep -c 'No more variables left' "$tmp/u.out")" != 9 ] ||
  ! grep -qx 'Variables found: 10' "$tmp/u.out"; then
  fail "bulkwalk of the repeating agent: expected 9 endOfMibView lines"
  sed 's/^/    /' "$tmp/u.out"
fi

# Values with no single meaning: net-snmp drops the reply (18: 02 00,
# 21: an IpAddress of 3 octets) or misreads it (19: 02 05 00 FF FF FC 19
# as 4294966297, 20: 41 05 01 00 00 00 05 as 5).
U="Undecodable value"
for v in 1 2c; do
  undecodable get "$BASE.18.0 = $U (tag 0x02): " -v "$v" -c public -On \
    "${T[@]}" "$A" "$BASE.18.0"
  undecodable get "$BASE.19.0 = $U (tag 0x02): 00 FF FF FC 19 " -v "$v" \
    -c public -On "${T[@]}" "$A" "$BASE.19.0"
  undecodable getnext "$BASE.20.0 = $U (tag 0x41): 01 00 00 00 05 " -v "$v" \
    -c public -On "${T[@]}" "$A" "$BASE.20"
  undecodable get "$BASE.21.0 = $U (tag 0x40): 7F 00 01 " -v "$v" -c public \
    -On "${T[@]}" "$A" "$BASE.21.0"
done
END="No more variables left in this MIB View (It is past the end of the MIB tree)"
undecodable bulkwalk "$BASE.19.0 = $U (tag 0x02): 00 FF FF FC 19 
$BASE.19.0 = $END" -v 2c -c public -On "${T[@]}" "$A" "$BASE.19"
# --json names the tag and keeps the content.
checks=$((checks + 1))
"$usnmp" get --json -v 2c -c public "${T[@]}" "$A" "$BASE.19.0" \
  >"$tmp/u.out" 2>"$tmp/u.err"
urc=$?
if [ "$urc" != 0 ] || ! grep -qF \
  '{"oid":".1.3.6.1.4.1.99999.19.0","type":"undecodable","tag":2,"value":{"hex":"00fffffc19"}}' \
  "$tmp/u.out"; then
  fail "usnmp get --json of an undecodable value"
  sed 's/^/    /' "$tmp/u.out" "$tmp/u.err"
fi

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
