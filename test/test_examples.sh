#!/usr/bin/env bash
# test_examples.sh: the trial programs of issue 13 against a private snmpd.
#
#   test_examples.sh POLL_TABLES BLOCKING_SCRIPT V3_GET SNMPD \
#                    NETSNMP_BIN_DIR SNMPD_CONF
#
#   - poll-tables polls ifTable+ifXTable on three agents (one snmpd on
#     127.0.0.1, ::1 and localhost) and a dead one, twice, 1 s apart: every
#     live agent's rows come in each poll, the dead one times out within the
#     period (its knobs), and the whole run stays near two periods;
#   - blocking-script does its get, set, walk, timeout and SNMP error;
#   - v3-get does an authPriv GET, and reports a wrong pass phrase, a short
#     one and an unknown protocol name each in its own words.
set -u

if [ $# -ne 6 ]; then
  echo "usage: $0 POLL_TABLES BLOCKING_SCRIPT V3_GET SNMPD NETSNMP_BIN_DIR" \
    "SNMPD_CONF" >&2
  exit 2
fi
poll_tables=$1
blocking_script=$2
v3_get=$3
agent_snmpd=$4
agent_snmpget=$5/snmpget
agent_conf=$6

# shellcheck source=snmpd_agent.sh
. "$(dirname "$0")/snmpd_agent.sh"
usnmp_test_begin examples

usnmp_agent_start || exit 1
A="127.0.0.1:$port"
dead=$(usnmp_free_port) || exit 1
while [ "$dead" = "$port" ]; do dead=$(usnmp_free_port) || exit 1; done
D="127.0.0.1:$dead"

# has FILE PATTERN...: FILE has a line matching each grep pattern.
has() {
  local f=$1
  shift
  for pat in "$@"; do
    checks=$((checks + 1))
    grep -q -- "$pat" "$f" || usnmp_test_fail "no line matching '$pat' in $f"
  done
}

# ------------------------------------------------------------ poll-tables
start=$(date +%s%N)
"$poll_tables" -p 1 -n 2 "$A" "[::1]:$port" "localhost:$port" "$D" \
  >"$tmp/poll.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
checks=$((checks + 1))
[ "$rc" = 1 ] || usnmp_test_fail "poll-tables exit $rc, not 1 (the dead agent)"
lo='\.1 STRING: "lo" | INTEGER: 1 | STRING: "lo"'
hc='Counter64: [0-9]*'
for poll in 1 2; do
  for agent in "$A" "\[::1\]:$port" "localhost:$port"; do
    has "$tmp/poll.out" \
      "^poll $poll $agent $lo | $hc | $hc$" \
      "^poll $poll $agent: [1-9][0-9]* rows in "
  done
  has "$tmp/poll.out" \
    "^poll $poll $D: no response before the timeout (after [0-9]*\.[0-9] ms)"
done
# Two polls 1 s apart, the dead agent's fetch capped at half a period:
# about 1.5 s; 6 s (the defaults) would mean the knobs did nothing.
checks=$((checks + 1))
if [ "$ms" -gt 3500 ]; then
  usnmp_test_fail "poll-tables took $ms ms for two 1 s polls"
fi
if grep -q "skipped" "$tmp/poll.out"; then
  usnmp_test_fail "poll-tables skipped a poll: a fetch outlasted the period"
fi
[ "$failures" = 0 ] || sed 's/^/    /' "$tmp/poll.out"

# -------------------------------------------------------- blocking-script
"$blocking_script" "$A" "$D" >"$tmp/script.out" 2>&1
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || usnmp_test_fail "blocking-script exit $rc"
has "$tmp/script.out" \
  '^get: \.1\.3\.6\.1\.2\.1\.1\.1\.0 = STRING: "usnmp test agent' \
  '^get: \.1\.3\.6\.1\.2\.1\.1\.3\.0 = Timeticks: ' \
  '^set: \.1\.3\.6\.1\.2\.1\.1\.6\.0 = STRING: "rack 7, row 2"$' \
  '^walk: \.1\.3\.6\.1\.2\.1\.1\.9\.1\.2\.1 = OID: ' \
  '^walk: [1-9][0-9]* varbinds$' \
  '^timeout: no response before the timeout (after 0\.[5-9] s)$' \
  '^snmp error: error-status 17, notWritable (.*), at varbind 1$'
[ "$failures" = 0 ] || sed 's/^/    /' "$tmp/script.out"

# ----------------------------------------------------------------- v3-get
"$v3_get" -a SHA-256 -x AES "$A" sha256aes authpass123 privpass123 \
  >"$tmp/v3.out" 2>&1
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || usnmp_test_fail "v3-get exit $rc"
has "$tmp/v3.out" \
  '^\.1\.3\.6\.1\.2\.1\.1\.1\.0 = STRING: "usnmp test agent' \
  '^\.1\.3\.6\.1\.2\.1\.1\.5\.0 = STRING: '
# v3-get CODE PATTERN ARGS...: exits CODE and prints PATTERN.
v3_fails() {
  local code=$1 pat=$2
  shift 2
  "$v3_get" "$@" >"$tmp/v3.out" 2>&1
  local rc=$?
  checks=$((checks + 1))
  if [ "$rc" != "$code" ] || ! grep -q -- "$pat" "$tmp/v3.out"; then
    usnmp_test_fail "v3-get $* (exit $rc): expected exit $code and '$pat'"
    sed 's/^/    /' "$tmp/v3.out"
  fi
}
v3_fails 1 "(USNMP_E_WRONG_DIGEST)$" \
  -a SHA-256 "$A" sha256aes wrongpass123 privpass123
v3_fails 2 "the USM (min=8) (USNMP_E_V3_PASSPHRASE)$" \
  "$A" shaaes short privpass123
v3_fails 2 "^v3-get: privacy protocol AES-512: unknown SNMPv3 protocol name\
 (USNMP_E_V3_UNKNOWN_PROTOCOL)$" \
  -x AES-512 "$A" shaaes authpass123 privpass123
v3_fails 2 "(USNMP_E_V3_USER_NAME)$" \
  "$A" 123456789012345678901234567890123 authpass123 privpass123

usnmp_test_end test_examples
