#!/usr/bin/env bash
# test_cli.sh: the usnmp command against net-snmp's own tools.
#
#   test_cli.sh USNMP SNMPD NETSNMP_BIN_DIR SNMPD_CONF JSON_CHECK UDP_SINK \
#               CLI_AGENT
#
# Starts a private net-snmp snmpd on a free loopback port (IPv4 and IPv6)
# with test/snmpd.conf, runs each case with `usnmp CMD ARGS` and with
# net-snmp's tool (snmpget, snmpgetnext, snmpbulkget, snmpset, snmpwalk,
# snmpbulkwalk) with the same ARGS, and requires stdout, stderr and the exit
# code to be byte-identical.  Bad input must fail with net-snmp's exit code
# and one line on stderr.  `usnmp table` (which net-snmp cannot do without
# MIB modules) is checked against snmpwalk's view of the same table, and
# --json documents are validated and checked with test/json_check.c.
# The requests themselves (every set TYPE, bulk parameters) are compared
# with net-snmp's byte for byte through test/udp_sink.c.  Every -O output
# flag, alone and combined, is compared on values of every type served by
# the project's own test agent (test/cli_agent.c) as well as by snmpd.
# Each failed case prints a diff; the script exits 1 if any failed.
set -u

if [ $# -ne 7 ]; then
  echo "usage: $0 USNMP SNMPD NETSNMP_BIN_DIR SNMPD_CONF JSON_CHECK UDP_SINK" \
    "CLI_AGENT" >&2
  exit 2
fi
usnmp=$1
snmpd=$2
bin=$3
conf=$4
json_check=$5
udp_sink=$6
cli_agent=$7
cli_agent_pid=

tmp=$(mktemp -d "${TMPDIR:-/tmp}/usnmp-test-cli-XXXXXX")
agent_snmpd=$snmpd
agent_snmpget=$bin/snmpget
agent_conf=$conf
agent_dir=$tmp
# shellcheck source=snmpd_agent.sh
. "$(dirname "$0")/snmpd_agent.sh"

cleanup() {
  usnmp_agent_stop
  if [ -n "$cli_agent_pid" ]; then
    kill -TERM "$cli_agent_pid" 2>/dev/null
    wait "$cli_agent_pid" 2>/dev/null
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

usnmp_agent_start || exit 1
A="127.0.0.1:$port"
# The project's test agent: it prints its port once it listens.
"$cli_agent" >"$tmp/cli_agent.port" 2>"$tmp/cli_agent.err" &
cli_agent_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/cli_agent.port" ] && break
  sleep 0.02
done
if [ ! -s "$tmp/cli_agent.port" ]; then
  echo "cli_agent did not start: $(cat "$tmp/cli_agent.err")" >&2
  exit 1
fi
T="127.0.0.1:$(cat "$tmp/cli_agent.port")"
TV=.1.3.6.1.4.1.99999.2 # its values of every type (test/cli_agent.c)
A6="udp6:[::1]:$port"
dead=$(usnmp_free_port) || exit 1
while [ "$dead" = "$port" ]; do dead=$(usnmp_free_port) || exit 1; done
D="127.0.0.1:$dead"
# A host name that never resolves and never reaches a DNS server: its
# empty label cannot be put in a DNS query, so the resolver (ours and
# net-snmp's) fails it before sending anything; a plain ".invalid" name
# would be sent to the configured nameserver.
NOHOST=no-such-host..invalid

# shellcheck source=cli_compare.sh
. "$(dirname "$0")/cli_compare.sh"

# same CMD ARGS...: byte-identical stdout, stderr and exit code.
same() {
  checks=$((checks + 1))
  run_both "$@"
  if ! identical; then
    fail "usnmp $* differs from $(tool_of "$1")"
    show_diff
  fi
}

# same_volatile CMD ARGS...: as same, for values that may change between
# the two runs (load averages): up to three tries.
same_volatile() {
  checks=$((checks + 1))
  for _ in 1 2 3; do
    run_both "$@"
    identical && return 0
  done
  fail "usnmp $* differs from $(tool_of "$1") (three tries)"
  show_diff
}

# bad CMD ARGS...: both fail with the same exit code; usnmp prints one line
# on stderr and nothing on stdout.
bad() {
  checks=$((checks + 1))
  run_both "$@"
  if [ "$urc" = 0 ] || [ "$urc" != "$nrc" ] || [ -s "$tmp/u.out" ] ||
    [ "$(wc -l <"$tmp/u.err")" != 1 ]; then
    fail "usnmp $* on bad input"
    show_diff
  fi
}

# expect_json NAME PATTERN...: the last usnmp output is valid JSON and its
# flattened form (json_check) has a line matching each grep pattern.
expect_json() {
  local name=$1
  shift
  checks=$((checks + 1))
  if ! "$json_check" <"$tmp/u.out" >"$tmp/u.flat" 2>"$tmp/u.jerr"; then
    fail "$name: not valid JSON: $(cat "$tmp/u.jerr")"
    head -c 600 "$tmp/u.out" | sed 's/^/    /'
    return
  fi
  for pat in "$@"; do
    if ! grep -qx -- "$pat" "$tmp/u.flat"; then
      fail "$name: no line matching '$pat' in:"
      head -30 "$tmp/u.flat" | sed 's/^/    /'
    fi
  done
}

# json CMD ARGS...: runs usnmp --json CMD ARGS (the exit code in urc).
json() {
  local cmd=$1
  shift
  "$usnmp" "$cmd" --json "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  urc=$?
}

sys=.1.3.6.1.2.1.1
SYSDESCR=$sys.1.0
SYSOBJECTID=$sys.2.0
SYSLOCATION=$sys.6.0
ORTABLE=$sys.9
ORID=$sys.9.1.2
ORUPTIME1=$sys.9.1.4.1          # TimeTicks that never change
ENGINEID=.1.3.6.1.6.3.10.2.1.1.0 # Hex-STRING
USMSTAT=.1.3.6.1.6.3.15.1.1.3.0  # Counter32 (0 with no v3 traffic)
IFSPEED1=.1.3.6.1.2.1.2.2.1.5.1  # Gauge32
IFPHYS1=.1.3.6.1.2.1.2.2.1.6.1   # empty string (loopback)
IFMCAST1=.1.3.6.1.2.1.31.1.1.1.8.1 # Counter64 (0 on loopback)
IPADDR=.1.3.6.1.2.1.4.20.1.1.127.0.0.1 # IpAddress
IPFWD=.1.3.6.1.2.1.4.1.0        # INTEGER
LOAD15=.1.3.6.1.4.1.2021.10.1.6.3 # Opaque Float
VACM=.1.3.6.1.6.3.16            # a large stable subtree
LAST=.1.3.6.1.6.3.16.1.5.2.1.6.6.95.110.111.110.101.95.1.2 # last OID

# ------------------------------------------------------------------ get
for v in 1 2c; do
  same get -On -v$v -c public $A $SYSDESCR $SYSOBJECTID $ORUPTIME1 $ENGINEID \
    $USMSTAT $IFSPEED1 $IFPHYS1 $IPADDR $IPFWD
done
same get -On -v2c -c public $A $IFMCAST1
same_volatile get -On -v2c -c public $A $LOAD15
# Exceptions (v2c) and noSuchName (v1: the failed OID is dropped and the
# rest asked again, unless -Cf).
same get -On -v2c -c public $A $sys.99.0 $sys.1 $SYSDESCR
same get -On -v1 -c public $A $sys.99.0 $SYSDESCR $sys.98.0 $IPFWD
same get -On -v1 -c public $A $sys.99.0
same get -On -v1 -c public -Cf $A $sys.99.0 $SYSDESCR
# Output styles, options anywhere, agent forms.
same get -v2c -c public $A $SYSOBJECTID $sys.99.0 .0.1 .2.1
same get -Of -v2c -c public $A $SYSOBJECTID .0.1 .2.1
same get -Ou -v2c -c public $A $SYSOBJECTID
same get -Os -v2c -c public $A $SYSOBJECTID
same get -OS -v2c -c public $A $SYSOBJECTID
same get -Ov -v2c -c public $A $SYSOBJECTID $SYSDESCR $sys.99.0
same get -Ovn -v2c -c public $A $SYSOBJECTID
same get -Oe -Ob -OU -OE -OX -On -v2c -c public $A $SYSOBJECTID
same get -v 2c -c public $A $SYSDESCR -On
same get -v2c -cpublic -t1 -r1 $A -On $SYSDESCR
same get -On -v2c -c public "udp:$A" $SYSDESCR
same get -On -v2c -c public "$A6" $SYSDESCR
same get -On -v2c -c public "[::1]:$port" $SYSDESCR
same get -On -v1 -c public "udp6:[::1]:$port" $SYSDESCR 1.3.6.1.2.1.1.5.0
same get -On -v2c -c public "localhost:$port" $SYSDESCR

# ----------------------------------------------------- -O output flags
# Every flag of net-snmp's snmpcmd(1) alone, and the combinations scripts
# use, on every type: snmpd's values (exceptions included) and the test
# agent's (binary strings, long dumps, quotes, every Opaque kind, TimeTicks
# of days).  q Q v t T are toggles in net-snmp (-Oqq is no -Oq), a/x and
# the OID styles are last-wins: both are compared too.
TYPES="$SYSDESCR $SYSOBJECTID $ORUPTIME1 $ENGINEID $USMSTAT $IFSPEED1 $IFPHYS1
  $IPADDR $IPFWD $IFMCAST1 $sys.99.0 $sys.1"
for f in a b e E f n q Q s S t T u U v x X qv Qv vq qn Qn nq tq qt xn \
  Tq Tx Txq aq Ta qT Qt vT vx va fq uT Sx qQ Qq qq QQ vv tt TT ax xa nqv \
  Qfn tvq; do
  # shellcheck disable=SC2086 # TYPES is a list
  same get "-O$f" -v2c -c public $A $TYPES
  same walk "-O$f" -v2c -c public $T $TV
done
same_volatile get -Oq -v2c -c public $A $LOAD15
same_volatile get -OQv -v2c -c public $A $LOAD15
for f in q Qv qn t T x a; do
  same bulkwalk "-O$f" -v2c -c public $T $TV
  same getnext "-O$f" -v1 -c public $T $TV.7 $TV.15 $TV.23 $TV.29
  same bulkget "-O$f" -v2c -c public -Cn1 -Cr3 $T $TV.5 $TV.16 $TV.29
  same walk "-O$f" -v1 -c public $T $TV.2
done
# Separate -O options add up; errors name the failed OID in the style.
same get -Oq -Ov -v2c -c public $A $SYSDESCR $SYSOBJECTID
same get -Oq -On -v2c -c public $A $SYSDESCR
same get -Oq -Oq -v2c -c public $A $ORUPTIME1
same get -Oqn -v1 -c public $A $sys.99.0 $SYSDESCR
same get -OQf -v1 -c public $A $SYSDESCR $sys.99.0
same walk -Oqv -v2c -c public -Cp $A $ORTABLE
same set -Oqv -v2c -c private $A $SYSLOCATION s "quick value"
same set -OQ -v2c -c private $A $SYSLOCATION x "00 41"
same set -Oqn -v2c -c private $A $ORUPTIME1 t 5

# -Op PRECISION (Opaque floats with "%" PRECISION "f") and -O0 (DISPLAY-HINT
# zeros: nothing without MIBs).
same get -Op .2 -v2c -c public $T $TV.24 $TV.25
same get -Op.3e -O0 -v2c -c public $T $TV.24 $TV.25 $TV.1
same get -Oqp 10.1 -Ov -v2c -c public $T $TV.24 $TV.25
same walk -Op 4 -v2c -c public $T $TV

# ----------------------------------------------------- -d packet dumps
# net-snmp's -d dump (header, xdump rows, empty line) compared after
# masking what differs between any two runs: the request-id's octets and
# the local port.  A request-id shorter than four octets (about 1 in 256)
# changes the lengths too, and on a loaded machine either tool may resend
# (an extra packet in its dump): up to six tries.
cat >"$tmp/mask.awk" <<'AWK'
# Masks the request-id of each v1/v2c message in net-snmp's -d dumps
# (its hex cells become XX and its text column x) and the local port of
# the header lines, the two things that differ between two runs.
BEGIN {
  for (i = 0; i < 256; i++) hexval[sprintf("%02X", i)] = i
  n = 0
}
function flush_packet(   k, i, len, nlen, j, id_start, id_len, r, col, line, pos) {
  if (n == 0) return
  k = 0
  for (r = 0; r < n; r++)
    for (col = 0; col < 16; col++) {
      pos = 7 + col * 3 + int(col / 4)
      if (substr(rows[r], pos, 2) ~ /^[0-9A-F][0-9A-F]$/)
        bytes[k++] = hexval[substr(rows[r], pos, 2)]
    }
  # SEQUENCE, version, community, PDU header, then request-id.
  i = 0; id_start = -1
  for (j = 0; j < 4 && i < k; j++) {
    i++                                  # tag
    len = bytes[i++]
    if (len >= 128) { nlen = len - 128; len = 0
      while (nlen-- > 0) len = len * 256 + bytes[i++] }
    if (j == 1 || j == 2) i += len       # skip version, community
  }
  if (i < k && bytes[i] == 2) { id_len = bytes[i + 1]; id_start = i + 2 }
  for (r = 0; r < n; r++) {
    line = rows[r]
    for (j = id_start; id_start >= 0 && j < id_start + id_len; j++) {
      if (int(j / 16) != r) continue
      col = j % 16
      pos = 7 + col * 3 + int(col / 4)
      line = substr(line, 1, pos - 1) "XX" substr(line, pos + 2)
      pos = 61 + col
      line = substr(line, 1, pos - 1) "x" substr(line, pos + 1)
    }
    print line
  }
  n = 0
}
/^[0-9][0-9][0-9][0-9]+: / { rows[n++] = $0; next }
{ flush_packet(); sub(/->\[0\.0\.0\.0\]:[0-9]+/, "->[0.0.0.0]:PORT"); print }
END { flush_packet() }
AWK
same_dump() {
  checks=$((checks + 1))
  local f
  for _ in 1 2 3 4 5 6; do
    run_both "$@"
    for f in u.out n.out u.err n.err; do
      awk -f "$tmp/mask.awk" "$tmp/$f" >"$tmp/$f.m"
      mv "$tmp/$f.m" "$tmp/$f"
    done
    identical && return 0
  done
  fail "usnmp $* differs from $(tool_of "$1") (packet dump, six tries)"
  show_diff
}
same_dump get -d -v2c -c public $A $SYSDESCR $IPFWD
same_dump get -d -v1 -c public $A $sys.99.0 $SYSDESCR
same_dump getnext -d -v2c -c public $A $SYSDESCR $ORID
same_dump bulkget -d -v2c -c public -Cn1 -Cr3 $A $SYSDESCR $ORID
same_dump set -d -v2c -c private $A $SYSLOCATION s dumped
same_dump walk -d -v2c -c public $A $ORTABLE
same_dump walk -d -v1 -c public $T $TV
same_dump bulkwalk -d -v2c -c public $A $VACM
same_dump get -d -v2c -c public -t 0.2 -r 1 $D $SYSDESCR
same_dump get -d -v2c -c public "$A6" $SYSDESCR
same_dump get -d -Oqv -v2c -c public $T $TV.8 $TV.29

# ------------------------------------------- -L logging, -D, -I, -m, -M, -P
# -L moves what net-snmp logs (dumps, -D lines, an agent's v3 report, an
# unknown host) and not the tools' own messages (Timeout, Error in packet).
# (Messages of the v3 reports: at the end of the SNMPv3 cases below.)
LOGS="-Le -Lo -Ln -LE3 -LE7 -LO7 -LN7 -LEe -LOd-a"
for L in $LOGS "-Le -Lo"; do
  # shellcheck disable=SC2086 # L may be two options
  same_dump get -d $L -v2c -c public $A $SYSDESCR
done
same get -Lo -v2c -c public -t 0.2 -r 0 $D $SYSDESCR
same get -Lo -v1 -c public $A $sys.99.0
same get -Ln -v2c -c public $NOHOST $SYSDESCR
bad get -Lx -v2c -c public $A $SYSDESCR
bad get -LEz -v2c -c public $A $SYSDESCR
checks=$((checks + 1))
"$usnmp" get -d -LF 7 "$tmp/u.log" -v2c -c public $A $SYSDESCR >/dev/null 2>&1
if ! grep -q "^Received [0-9]* byte packet from UDP: \[127.0.0.1\]:$port->" \
  "$tmp/u.log"; then
  fail "usnmp get -d -LF 7 FILE: no dump in the file"
fi
# -D: net-snmp's token lines (at once, to the log as set up so far).
same get -Dfoo,-bar,baz -v2c -c public $A $SYSDESCR
same get -Lo -Dfoo -Le -v2c -c public $A $SYSDESCR
same get -Dfoo -Lo -v2c -c public $A $SYSDESCR
same get -D foo -v2c -c public $A $SYSDESCR
# -I: r and h change nothing without MIBs; s, S and u rewrite numeric OIDs
# as net-snmp does; b and R find no OID at all.
same get -Ir -Ih -Irh -v2c -c public $A $SYSDESCR
same get -Is .0 -v2c -c public $A $sys.1 $sys.5
same get -Is.0 -IS .1.3.6.1.2 -v2c -c public $A .1.1.1 .1.1.5
same get -IS1.3.6.1.2.1 -v2c -c public $A .1.1.0
same get -Iu -v2c -c public $A 1.1.0 $SYSDESCR
same get -Iuu -v2c -c public $A $SYSDESCR
same walk -Is .9 -v2c -c public $A $sys
bad get -Ib -v2c -c public $A $SYSDESCR
bad get -IR -v2c -c public $A $SYSDESCR
bad get -Ix -v2c -c public $A $SYSDESCR
# -m, -M, -P: MIB modules and their parser; OIDs stay numeric.
same get -m ALL -M /nonexistent -Pu -v2c -c public $A $SYSDESCR
same get -mALL -MALL -PcdewWR -v2c -c public $A $SYSDESCR
bad get -Pz -v2c -c public $A $SYSDESCR
checks=$((checks + 1))
"$usnmp" get -m ALL -v2c -c public $A sysDescr.0 >"$tmp/u.out" 2>"$tmp/u.err"
if [ $? != 1 ] || ! grep -q "^usnmp get: sysDescr.0: .*use numeric OIDs" \
  "$tmp/u.err"; then
  fail "usnmp get sysDescr.0: no clear numeric-only error"
  sed 's/^/    /' "$tmp/u.err"
fi

# ------------------------------------------------------------- getnext
for v in 1 2c; do
  same getnext -On -v$v -c public $A $sys.9.1.2.10 $LAST $SYSDESCR $ORTABLE
done
same getnext -On -v1 -c public -Cf $A $LAST $SYSDESCR
same getnext -v2c -c public $A $sys.1

# ------------------------------------------------------------- bulkget
same bulkget -On -v2c -c public $A $ORID
same bulkget -On -v2c -c public -Cn1 -Cr3 $A $SYSDESCR $ORID $sys.9.1.3
same bulkget -On -v2c -c public -Cn2 -Cr0 $A $SYSDESCR $ORID
same bulkget -On -v2c -c public -Cr5 $A $LAST
same bulkget -v2c -c public -Cr2 $A $ORID

# ----------------------------------------------------------------- set
# sysLocation is writable through `private`.  Every type letter: the agent
# takes the string forms and rejects the others with wrongType.
same set -On -v2c -c private $A $SYSLOCATION s "usnmp test"
same get -On -v2c -c public $A $SYSLOCATION
same set -On -v2c -c private $A $SYSLOCATION x "41 42 43"
same set -On -v2c -c private $A $SYSLOCATION x 0x4142
same set -On -v2c -c private $A $SYSLOCATION x ""
same set -On -v2c -c private $A $SYSLOCATION d "65.66.67"
same set -On -v2c -c private $A $SYSLOCATION d "65 66"
same set -On -v2c -c private $A $SYSLOCATION b "1,2"
same set -On -v2c -c private $A $SYSLOCATION b "0 9"
same set -On -v2c -c private $A $SYSLOCATION s "-On"
same set -On -v2c -c private $A $SYSLOCATION s ""
for t in "i 5" "i -5" "u 5" "t 5" "a 10.1.2.3" "o .1.3.6.1" "U 5" "I -5" \
  "F 1.5" "D 2.5" "n x"; do
  # shellcheck disable=SC2086 # split "TYPE VALUE"
  same set -On -v2c -c private $A $SYSLOCATION $t
done
same set -On -v1 -c private $A $SYSLOCATION i 5
same set -On -v2c -c private -Cq $A $SYSLOCATION s quiet
same get -On -v2c -c public $A $SYSLOCATION
same set -On -v2c -c private $A $SYSLOCATION s two $sys.5.0 s vm-name
same set -On -v2c -c private $A $SYSLOCATION s two $ORUPTIME1 t 5
same set -On -v2c -c private $A $ORUPTIME1 t 5
same set -On -v2c -c public $A $SYSLOCATION s x
same set -On -v1 -c public $A $SYSLOCATION s x
same set -On -v1 -c private $A $ORUPTIME1 t 5
same set -v2c -c private $A $ORUPTIME1 t 5

# -------------------------------------------------------- walk, bulkwalk
for cmd in walk bulkwalk; do
  same $cmd -On -v2c -c public $A $ORTABLE
  same $cmd -On -v2c -c public $A $VACM
  same $cmd -On -v2c -c public $A "$SYSDESCR"            # a scalar
  same $cmd -On -v2c -c public $A $sys.99                # empty subtree
  same $cmd -On -v2c -c public $A .1.3.6.1.9             # past the end
  same $cmd -On -v2c -c public $A $VACM.1.5              # ends on endOfMibView
  same $cmd -On -v2c -c public $A $LAST                  # last instance
  same $cmd -On -v2c -c public -Cp $A $ORID
  same $cmd -On -v2c -c public -Cp $A $sys.99
  same $cmd -On -v2c -c public -Ci $A $sys.1
  same $cmd -On -v2c -c public -Ci $A $SYSDESCR
  same $cmd -On -v2c -c public -Cc $A $ORTABLE
  same $cmd -v2c -c public $A $ORID
  same $cmd -Ov -v2c -c public $A $ORID
  same $cmd -On -v2c -c public "$A6" $ORID
done
same walk -On -v1 -c public $A $ORTABLE
same walk -On -v1 -c public $A $VACM.1.5
same walk -On -v1 -c public $A .1.3.6.1.9
same walk -On -v1 -c public $A $sys.99
same walk -On -v1 -c public $A $LAST
same walk -On -v2c -c public -CI $A $SYSDESCR
same walk -On -v2c -c public -CI $A $sys.99
same walk -On -v2c -c public -CE $sys.9.1.3 $A $ORTABLE
# -CE goes past the root's subtree up to the end OID; when nothing lies
# before it, snmpwalk GETs the root (unless -CI).
same walk -v2c -c public -CE $sys.3 $A $sys.1
same walk -v2c -c public -CE $SYSDESCR $A $sys
same walk -v2c -c public -CE $SYSDESCR -CI $A $sys
same walk -v1 -c public -CE .1.3.6.1.2.1.2 -Cp $A $sys.9
same walk -v2c -c public -CE $ORID.3 -Ci $A $ORID.1
# -Ct: "Total traversal time = S seconds" on stderr, S masked.
same_timed() {
  checks=$((checks + 1))
  run_both "$@"
  sed -i -E 's/^(Total traversal time = )[0-9.]+( seconds)$/\1S\2/' \
    "$tmp/u.err" "$tmp/n.err"
  if ! identical || ! grep -q "^Total traversal time = S seconds$" \
    "$tmp/u.err"; then
    fail "usnmp $* differs from $(tool_of "$1")"
    show_diff
  fi
}
same_timed walk -Ct -v2c -c public $A $ORID
same_timed walk -Ct -Cp -v2c -c public $A $sys.99
same_timed walk -Ct -v1 -c public $A $LAST
same_timed walk -Ct -v2c -c public -t 0.1 -r 0 $D $ORID
same bulkwalk -On -v2c -c public -Cr3 $A $ORTABLE
same bulkwalk -On -v2c -c public -Cr1 $A $ORID
same bulkwalk -On -v2c -c public -Cr50 -Cn0 $A $VACM
same bulkwalk -On -v2c -c public -Cr3n0p $A $ORID
same bulkwalk -v2c -c public -Cn1 $A $ORID
same bulkwalk -v2c -c public -Cn2 -Cr2 $A $ORID
same bulkwalk -v2c -c public -Cc -Ci -Cp -Cr2 $A $ORID
same bulkwalk -v2c -c public -Cpi $A $SYSDESCR
same walk -v2c -c public -CiIp $A $SYSDESCR
same walk -v2c -c public -CI -Ci $A $SYSDESCR
same bulkget -v2c -c public -Cn0 -Cr0 $A $SYSDESCR
same bulkget -v2c -c public -Cr100 $A $VACM
same bulkget -v2c -c public -Cn1r3 $A $SYSDESCR $ORTABLE
same getnext -v1 -c public -Cf $A $SYSDESCR $LAST

# ----------------------------------------------------- timeouts, no answer
for cmd in get getnext bulkget walk bulkwalk; do
  same $cmd -On -v2c -c public -t 0.2 -r 0 $D $SYSDESCR
done
same set -On -v2c -c private -t 0.2 -r 0 $D $SYSLOCATION s x
same get -On -v1 -c public -t 0.1 -r 2 $D $SYSDESCR
same get -On -v2c -c public -t 0.2 -r 0 "udp:$D" $SYSDESCR
same get -On -v2c -c public -t 0.2 -r 0 "udp6:[::1]:$dead" $SYSDESCR
same walk -On -v2c -c public -t 0.2 -r 0 "[::1]:$dead" $ORID
same get -On -v2c -c public -t 0.2 -r 0 "localhost:$dead" $SYSDESCR
same get -On -v2c -c wrong -t 0.2 -r 0 $A $SYSDESCR   # wrong community
same walk -On -v1 -c wrong -t 0.2 -r 0 $A $ORID

# ----------------------------------------------------------- bad input
bad get -On -v2c -c public $A 1.3.6.x
bad get -On -v2c -c public $A $SYSDESCR foo
bad get -On -v2c -c public $A
bad get -On -v2c -c public
bad get -On -v5 -c public $A $SYSDESCR
bad get -On -v2 -c public $A $SYSDESCR
bad get -On -y -v2c -c public $A $SYSDESCR
bad get -On -v2c -c public -t abc $A $SYSDESCR
bad get -On -v2c -c public -t -1 $A $SYSDESCR
bad get -On -v2c -c public -r abc $A $SYSDESCR
bad get -On -v2c -c public -r -1 $A $SYSDESCR
bad get -On -v2c $A $SYSDESCR
bad get -On -v2c -c public -Cx $A $SYSDESCR
bad get -Oz -v2c -c public $A $SYSDESCR
bad get -On -v2c -c public $NOHOST $SYSDESCR
bad get -On -v2c -c public "$A:abc" $SYSDESCR
bad get -On -v2c -c public 127.0.0.1:99999 $SYSDESCR
bad getnext -On -v2c -c public $A 1..3
bad bulkget -On -v1 -c public $A $ORID
bad bulkget -On -v2c -c public -Cn5 $A $ORID
bad bulkwalk -On -v1 -c public $A $ORID
bad bulkwalk -On -v2c -c public -Cx $A $ORID
bad walk -On -v2c -c public -Cx $A $ORID
bad walk -On -v2c -c public $A x.y
bad set -On -v2c -c private $A $SYSLOCATION
bad set -On -v2c -c private $A $SYSLOCATION s
bad set -On -v2c -c private $A $SYSLOCATION c 1
bad set -On -v2c -c private $A $SYSLOCATION q 1
bad set -On -v2c -c private $A $SYSLOCATION = 1
bad set -On -v2c -c private $A $SYSLOCATION i x
bad set -On -v2c -c private $A $SYSLOCATION i ""
bad set -On -v2c -c private $A $SYSLOCATION x zz
bad set -On -v2c -c private $A $SYSLOCATION x 414
bad set -On -v2c -c private $A $SYSLOCATION d 300
bad set -On -v2c -c private $A $SYSLOCATION b x
bad set -On -v2c -c private $A $SYSLOCATION o foo
bad set -On -v2c -c private -Cx $A $SYSLOCATION s x

# usnmp's own rules (no net-snmp twin): one line on stderr, exit 1.
own_bad() {
  checks=$((checks + 1))
  "$usnmp" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  urc=$?
  if [ "$urc" != 1 ] || [ -s "$tmp/u.out" ] ||
    [ "$(wc -l <"$tmp/u.err")" != 1 ]; then
    fail "usnmp $*: expected one line on stderr and exit 1, got $urc"
    sed 's/^/    /' "$tmp/u.err"
  fi
}
own_bad frobnicate -v2c -c public $A $SYSDESCR
own_bad get --frob -v2c -c public $A $SYSDESCR
own_bad get -v2c -c public "tcp:$A" $SYSDESCR
own_bad bulkwalk -v2c -c public -Cr0 $A $ORID
own_bad walk -v2c -c public $A $ORID $SYSDESCR
own_bad table -v2c -c public $A
own_bad get -Op %n -v2c -c public $T $TV.24
own_bad get -Op 1l -v2c -c public $T $TV.24
own_bad table -v2c -c public $A $ORTABLE $ORID
own_bad table -v2c -c public -Cx $A $ORTABLE
own_bad table -v2c -c public -Cw 0 $A $ORTABLE
own_bad set -v2c -c private $A $SYSLOCATION i 2147483648
own_bad set -v2c -c private $A $SYSLOCATION u -1
own_bad set -v2c -c private $A $SYSLOCATION a 1.2.3

checks=$((checks + 1))
if ! "$usnmp" --help | grep -q "^usage: usnmp COMMAND"; then
  fail "usnmp --help"
fi
# --help names every net-snmp option usnmp takes.
for o in -v -c -l -u -a -A -x -X -e -E -n -t -r -O -I -d -L -D -m -M -P -C; do
  checks=$((checks + 1))
  "$usnmp" --help | grep -q -- "^  $o \|, $o " ||
    fail "usnmp --help does not list $o"
done
checks=$((checks + 1))
if [ "$("$usnmp" --version)" != "usnmp version: $("$usnmp" -V | sed 's/.*: //')" ]; then
  fail "usnmp --version"
fi

# --------------------------------------------------------------- table
# net-snmp's snmptable cannot print a table without MIB modules, so usnmp's
# table is checked against snmpwalk's view of the same objects.
table_check() {
  local name=$1 v=$2 table=$3
  shift 3
  checks=$((checks + 1))
  "$usnmp" table -On "-v$v" -c public "$@" $A "$table" >"$tmp/t.out" \
    2>"$tmp/t.err"
  local rc=$?
  # Expected rows: index|cell|cell... from a walk of the entry, the cells
  # as snmptable prints them (-Oqv, line breaks as spaces).
  "$bin/snmpwalk" -On -v2c -c public $A "$table.1" >"$tmp/w.out"
  # A hex string of more than 16 octets continues on the next lines.
  awk '/^\./ { if (rec != "") print rec; rec = $0; next }
       { rec = rec " " $0 }
       END { if (rec != "") print rec }' "$tmp/w.out" >"$tmp/w.joined"
  awk -v prefix="$table.1." '
    {
      name = $1; sub("^" prefix, "", name)
      col = name; sub("\\..*", "", col)
      idx = name; sub("^[0-9]+\\.", "", idx)
      val = $0; sub("^[^=]*= ", "", val)
      if (val ~ /^Timeticks: /) {
        t = val; sub("^Timeticks: \\(", "", t); sub("\\).*", "", t)
        val = sprintf("%d:%d:%02d:%02d.%02d", int(t / 8640000),
                      int(t / 360000) % 24, int(t / 6000) % 60,
                      int(t / 100) % 60, t % 100)
      } else if (val ~ /^Hex-STRING: /) {
        sub("^Hex-STRING: ", "", val)
        val = "\"" val "\""
      } else if (val !~ /^"/) {
        sub("^[A-Za-z0-9-]+: ", "", val)
      }
      sub(" +$", "", val)
      if (!(col in seen)) { seen[col] = 1; cols[++ncols] = col }
      if (!(idx in seenrow)) { seenrow[idx] = 1; rows[++nrows] = idx }
      cell[idx, col] = val
    }
    END {
      for (r = 1; r <= nrows; r++) {
        line = rows[r]
        for (c = 1; c <= ncols; c++)
          line = line "|" ((rows[r], cols[c]) in cell ? cell[rows[r], cols[c]] : "?")
        print line
      }
    }' "$tmp/w.joined" >"$tmp/t.expected"
  "$usnmp" table -On "-v$v" -c public -Ci -CH -Cf "|" "$@" $A "$table" \
    >"$tmp/t.sep" 2>&1
  if [ "$rc" != 0 ] || [ -s "$tmp/t.err" ] ||
    ! cmp -s "$tmp/t.sep" "$tmp/t.expected"; then
    fail "table $name ($table, -v$v $*): rows differ from snmpwalk's"
    diff "$tmp/t.sep" "$tmp/t.expected" | head -10 | sed 's/^/    /'
    sed 's/^/    /' "$tmp/t.err"
    return
  fi
  # The default layout: title, empty line, then header and rows all of one
  # width (every column right-aligned to its widest cell).
  if [ "$(sed -n 1p "$tmp/t.out")" != "SNMP table: $table" ] ||
    [ -n "$(sed -n 2p "$tmp/t.out")" ] ||
    [ "$(tail -n +3 "$tmp/t.out" | awk '{ print length($0) }' | sort -u |
      wc -l)" != 1 ] ||
    [ "$(wc -l <"$tmp/t.out")" != $(($(wc -l <"$tmp/t.expected") + 3)) ]; then
    fail "table $name: layout"
    sed 's/^/    /' "$tmp/t.out" | head -20
  fi
}
table_check sysORTable 2c $ORTABLE
table_check sysORTable 1 $ORTABLE
table_check vacmSecurityToGroupTable 2c .1.3.6.1.6.3.16.1.2
table_check vacmSecurityToGroupTable 2c .1.3.6.1.6.3.16.1.2 -Cr 2
table_check usmUserTable 2c .1.3.6.1.6.3.15.1.2.2
table_check usmUserTable 1 .1.3.6.1.6.3.15.1.2.2
table_check ipAddrTable 2c .1.3.6.1.2.1.4.20
table_check vacmAccessTable 2c .1.3.6.1.6.3.16.1.4 -CB

checks=$((checks + 1))
"$usnmp" table -On -v2c -c public $A $ORTABLE >"$tmp/t1" 2>&1
"$usnmp" table -On -v1 -c public $A $ORTABLE >"$tmp/t2" 2>&1
"$usnmp" table -On -v2c -c public -CB -Cr 1 $A $ORTABLE >"$tmp/t3" 2>&1
if ! cmp -s "$tmp/t1" "$tmp/t2" || ! cmp -s "$tmp/t1" "$tmp/t3"; then
  fail "table: GETBULK, v1 GETNEXT and -CB outputs differ"
  diff "$tmp/t1" "$tmp/t2" | head
fi

checks=$((checks + 1))
"$usnmp" table -v2c -c public -Ci -Cl $A $ORTABLE >"$tmp/t.out" 2>&1
if [ "$(sed -n 1p "$tmp/t.out")" != "SNMP table: iso.3.6.1.2.1.1.9" ] ||
  ! sed -n 3p "$tmp/t.out" | grep -q '^index *2 *3 *4 *$' ||
  ! sed -n 4p "$tmp/t.out" | grep -q '^1 *iso\.3\.6\.1\.6\.3\.10\.3\.1\.1 *"'; then
  fail "table: default OID style, -Ci and -Cl"
  sed 's/^/    /' "$tmp/t.out" | head
fi

checks=$((checks + 1))
"$usnmp" table -On -v2c -c public -Cw 40 $A $ORTABLE >"$tmp/t.out" 2>&1
if ! grep -qx "SNMP table .1.3.6.1.2.1.1.9, part 2" "$tmp/t.out"; then
  fail "table: -Cw splits a wide table into parts"
  sed 's/^/    /' "$tmp/t.out" | head
fi

checks=$((checks + 1))
out=$("$usnmp" table -On -v2c -c public -Ch $A $ORTABLE 2>&1)
if [ "$out" != " 2 3 4
$ORTABLE: No entries" ]; then
  fail "table -Ch: '$out'"
fi

checks=$((checks + 1))
"$usnmp" table -On -v2c -c public -Cc 12 -Ci $A $ORTABLE >"$tmp/t.out" 2>&1
if [ "$(sed -n 3p "$tmp/t.out")" != "           2           3           4" ] ||
  [ "$(sed -n 5p "$tmp/t.out")" != "index: 1" ] ||
  [ "$(sed -n 6p "$tmp/t.out")" != " .1.3.6.1.6. \"The SNMP M 0:0:00:00.0" ]; then
  fail "table -Cc 12 -Ci"
  sed 's/^/    /' "$tmp/t.out" | head
fi

checks=$((checks + 1))
out=$("$usnmp" table -On -v2c -c public $A $sys.99 2>&1)
rc=$?
if [ "$out" != "$sys.99: No entries" ] || [ $rc != 0 ]; then
  fail "table of nothing: '$out' ($rc)"
fi

checks=$((checks + 1))
"$usnmp" table -On -v2c -c public -t 0.2 -r 0 $D $ORTABLE >"$tmp/t.out" \
  2>"$tmp/t.err"
rc=$?
if [ $rc != 1 ] || [ -s "$tmp/t.out" ] ||
  [ "$(cat "$tmp/t.err")" != "Timeout: No Response from $D" ]; then
  fail "table timeout: $rc, $(cat "$tmp/t.err")"
fi

# snmptable itself, with test/USNMP-CLI-TABLE-MIB.txt describing the test
# agent's table (column names b c d f, one letter like usnmp's column
# numbers 2 3 4 6, so the layouts match once the names are turned into
# numbers and the table's name into its OID).
same_table() {
  checks=$((checks + 1))
  "$usnmp" table "$@" $T .1.3.6.1.4.1.99999.3 >"$tmp/u.out" 2>"$tmp/u.err"
  urc=$?
  "$bin/snmptable" -m USNMP-CLI-TABLE-MIB -M "$(dirname "$0")" "$@" $T \
    USNMP-CLI-TABLE-MIB::t >"$tmp/n.raw" 2>"$tmp/n.err"
  nrc=$?
  perl -pe 's/USNMP-CLI-TABLE-MIB::t\b/iso.3.6.1.4.1.99999.3/g;
    if (/^[ bcdfinex|:;,]*$/ && /[bcdf]/) {
      s/(?<![a-z])b(?![a-z])/2/g; s/(?<![a-z])c(?![a-z])/3/g;
      s/(?<![a-z])d(?![a-z])/4/g; s/(?<![a-z])f(?![a-z])/6/g }' \
    "$tmp/n.raw" >"$tmp/n.out"
  if ! identical; then
    fail "usnmp table $* differs from snmptable"
    show_diff
  fi
}
for o in "" -Ci -Cb -CB -Ch -CH -Cl "-Cw 30" "-Cf |" "-Cr 1" "-Cc 8" \
  "-Ci -Cl" "-Ci -Cf :" "-Ci -Cc 10" "-Ci -Cw 40" "-CH -Cf ," "-Ch -Ci" \
  "-Cb -Ci -Cw 25" "-Cc 6 -Cl" "-Cl -Cf ;" -Ox -Oa -OT -Ot "-Ox -Ci -Cf |" \
  "-CB -Ci"; do
  # shellcheck disable=SC2086 # o holds several options
  same_table -v2c -c public $o
done
same_table -v1 -c public -Ci
same_table -v2c -c public -t 0.2 -r 0 -Cr 3

# ------------------------------------------------------------ requests
# same_request VERSION CMD ARGS...: usnmp and net-snmp send the same
# request (all but the request-id) for `CMD -vVERSION -c private AGENT
# ARGS`; the agent is udp_sink, which answers nothing.
same_request() {
  local v=$1 cmd=$2 who sink_port spid
  shift 2
  checks=$((checks + 1))
  for who in usnmp netsnmp; do
    sink_port=$(usnmp_free_port) || return 1
    rm -f "$tmp/sink.ready"
    "$udp_sink" 127.0.0.1 "$sink_port" 3000 >"$tmp/sink.$who" \
      2>"$tmp/sink.ready" &
    spid=$!
    for _ in $(seq 100); do
      grep -q ready "$tmp/sink.ready" 2>/dev/null && break
      sleep 0.02
    done
    if [ $who = usnmp ]; then
      "$usnmp" "$cmd" "-v$v" -c private -t 0.1 -r 0 "127.0.0.1:$sink_port" \
        "$@" >/dev/null 2>&1
    else
      "$bin/$(tool_of "$cmd")" "-v$v" -c private -t 0.1 -r 0 \
        "127.0.0.1:$sink_port" "$@" >/dev/null 2>&1
    fi
    wait "$spid"
  done
  if [ ! -s "$tmp/sink.usnmp" ] ||
    ! cmp -s "$tmp/sink.usnmp" "$tmp/sink.netsnmp"; then
    fail "usnmp $cmd -v$v $* sends another request than $(tool_of "$cmd")"
    echo "    usnmp:    $(cat "$tmp/sink.usnmp")"
    echo "    net-snmp: $(cat "$tmp/sink.netsnmp")"
  fi
}
for t in "i -129" "i 2147483647" "i -2147483648" "u 4294967295" "u 0" \
  "t 100" "a 10.1.2.3" "o .1.3.6.1.4294967295" "o 2.999.1" "s abc" \
  "x 010203" "d 1.2.255" "b 0,15" "b 7,8" "n x" "U 5" \
  "U 18446744073709551615" "U 128" "I -5" "I -9223372036854775808" \
  "I 9223372036854775807" "F 1.5" "F -0.1" "D 2.5" "D -1e300"; do
  # shellcheck disable=SC2086 # split "TYPE VALUE"
  same_request 2c set $SYSLOCATION $t
done
same_request 1 set $SYSLOCATION s v1 $SYSDESCR i 7
same_request 1 get $SYSDESCR $SYSOBJECTID
same_request 2c getnext $SYSDESCR $ORID
same_request 2c bulkget -Cn1 -Cr7 $SYSDESCR $ORID $sys.9.1.3
same_request 2c bulkget $ORID

# ---------------------------------------------------------------- JSON
json get -v2c -c public $A $SYSDESCR $SYSOBJECTID $ORUPTIME1 $USMSTAT \
  $IFSPEED1 $IFPHYS1 $IPADDR $IPFWD $ENGINEID $IFMCAST1 $sys.99.0 $sys.1
expect_json "get --json" \
  '.command="get"' ".agent=\"$A\"" \
  ".varbinds\\[0\\].oid=\"$SYSDESCR\"" \
  '.varbinds\[0\].type="OCTET STRING"' \
  '.varbinds\[0\].value="usnmp test agent (net-snmp snmpd)"' \
  '.varbinds\[1\].type="OBJECT IDENTIFIER"' \
  '.varbinds\[1\].value=".1.3.6.1.4.1.8072.3.2.10"' \
  '.varbinds\[2\].type="TimeTicks"' '.varbinds\[2\].value=[0-9][0-9]*' \
  '.varbinds\[3\].type="Counter32"' '.varbinds\[3\].value=0' \
  '.varbinds\[4\].type="Gauge32"' '.varbinds\[4\].value=10000000' \
  '.varbinds\[5\].value=""' \
  '.varbinds\[6\].type="IpAddress"' '.varbinds\[6\].value="127.0.0.1"' \
  '.varbinds\[7\].type="INTEGER"' \
  '.varbinds\[8\].value.hex="[0-9a-f]*"' \
  '.varbinds\[9\].type="Counter64"' '.varbinds\[9\].value=0' \
  '.varbinds\[10\].type="noSuchObject"' '.varbinds\[10\].value=null' \
  '.varbinds\[11\].type="noSuchInstance"' '.errors=\[\]'
[ "$urc" = 0 ] || fail "get --json: exit $urc"

json get -v1 -c public $A $SYSDESCR $sys.99.0
expect_json "get --json noSuchName" '.varbinds\[0\].oid="'$SYSDESCR'"' \
  '.errors\[0\].type="error-status"' '.errors\[0\].status=2' \
  '.errors\[0\].name="noSuchName"' '.errors\[0\].index=2' \
  ".errors\\[0\\].oid=\"$sys.99.0\""
[ "$urc" = 2 ] || fail "get --json noSuchName: exit $urc"
[ -s "$tmp/u.err" ] && fail "get --json noSuchName: stderr not empty"

json set -v2c -c private $A $ORUPTIME1 t 5
expect_json "set --json notWritable" '.command="set"' '.varbinds=\[\]' \
  '.errors\[0\].name="notWritable"' '.errors\[0\].status=17'
[ "$urc" = 2 ] || fail "set --json notWritable: exit $urc"

json set -v2c -c private $A $SYSLOCATION s 'quote " and \ backslash'
expect_json "set --json" '.varbinds\[0\].value="quote \\" and \\\\ backslash"'

json walk -v2c -c public -t 0.2 -r 0 $D $ORID
expect_json "walk --json timeout" '.varbinds=\[\]' \
  '.errors\[0\].type="timeout"' \
  ".errors\\[0\\].message=\"Timeout: No Response from $D\""
[ "$urc" = 1 ] || fail "walk --json timeout: exit $urc"

for cmd in walk bulkwalk; do
  json $cmd -v2c -c public $A $VACM
  expect_json "$cmd --json" ".command=\"$cmd\"" '.errors=\[\]'
  checks=$((checks + 1))
  n_json=$(grep -c '^\.varbinds\[[0-9]*\]\.oid=' "$tmp/u.flat")
  n_text=$("$bin/snmp$cmd" -On -v2c -c public $A $VACM | wc -l)
  [ "$n_json" = "$n_text" ] ||
    fail "$cmd --json: $n_json varbinds, snmp$cmd printed $n_text"
done

json bulkget -v2c -c public -Cn1 -Cr2 $A $SYSDESCR $ORID
expect_json "bulkget --json" ".varbinds\\[0\\].oid=\"$sys.2.0\"" \
  ".varbinds\\[2\\].oid=\"$ORID.2\""

json table -v2c -c public $A $ORTABLE
expect_json "table --json" '.command="table"' ".table=\"$ORTABLE\"" \
  ".columns\\[0\\]=\"$ORID\"" '.rows\[0\].index="1"' \
  ".rows\\[0\\].values\\[0\\].oid=\"$ORID.1\"" \
  '.rows\[0\].values\[0\].type="OBJECT IDENTIFIER"' \
  '.rows\[0\].values\[2\].type="TimeTicks"' '.errors=\[\]'

json get -v2c -c public -t 0.2 -r 0 $NOHOST $SYSDESCR
expect_json "get --json unknown host" '.errors\[0\].type="unknown-host"'
[ "$urc" = 1 ] || fail "get --json unknown host: exit $urc"

# -------------------------------------------------------------- SNMPv3
# (Last: the v3 traffic below moves usmStats counters that cases above
# read.)  Every user of test/snmpd.conf gets and getnexts (IPv4, IPv6);
# a representative set (every authentication and every privacy protocol
# at least once, both AES key extensions) also walks, bulk-walks and sets
# over both families: the full matrix of walks would double the runtime
# and exercises no more code.
v3_args() { # v3_args USER: net-snmp's options for a user of snmpd.conf
  local u=$1 auth priv
  case $u in
  noauth) echo "-v3 -l noAuthNoPriv -u $u"; return ;;
  md5*) auth=MD5 ;; sha224*) auth=SHA-224 ;; sha256*) auth=SHA-256 ;;
  sha384*) auth=SHA-384 ;; sha512*) auth=SHA-512 ;; *) auth=SHA ;;
  esac
  case $u in
  *nopriv) echo "-v3 -l authNoPriv -u $u -a $auth -A authpass123"
    return ;;
  *des) priv=DES ;; *aes192c) priv=AES-192-C ;; *aes256c) priv=AES-256-C ;;
  *aes192) priv=AES-192 ;; *aes256) priv=AES-256 ;; *) priv=AES ;;
  esac
  echo "-v3 -l authPriv -u $u -a $auth -A authpass123 -x $priv -X privpass123"
}
v3_users=$(sed -n 's/^createUser \([a-z0-9]*\).*/\1/p' "$conf")
for u in $v3_users; do
  # shellcheck disable=SC2046 # v3_args is split on purpose
  same get -On $(v3_args "$u") $A $SYSDESCR $ORUPTIME1
  # shellcheck disable=SC2046
  same getnext $(v3_args "$u") "$A6" $SYSDESCR
done
for u in noauth sha256nopriv md5des shaaes sha224aes192 sha256aes256 \
  sha384aes192c sha512aes256c; do
  for agent in $A "$A6"; do
    # shellcheck disable=SC2046
    same walk -On $(v3_args "$u") "$agent" $ORTABLE
    # shellcheck disable=SC2046
    same bulkwalk -On $(v3_args "$u") "$agent" $VACM
    # shellcheck disable=SC2046
    same set -On $(v3_args "$u") "$agent" $SYSLOCATION s "set by $u"
  done
done
same bulkget -On $(v3_args shaaes) -Cn1 -Cr3 $A $SYSDESCR $ORID
same set -On $(v3_args readonly) $A $SYSLOCATION s denied
# net-snmp's defaults: -l noAuthNoPriv, -a MD5, -x DES.
same get -On -v3 -u shaaes $A $SYSDESCR
same get -On -v3 -l authNoPriv -u md5nopriv -A authpass123 $A $SYSDESCR
same get -On -v3 -l authPriv -u md5des -A authpass123 -X privpass123 \
  $A $SYSDESCR
# Wrong passwords, unknown users, levels the user lacks.
for cmd in get walk; do
  same $cmd -On -v3 -l authPriv -u shaaes -a SHA -A wrongpass123 -x AES \
    -X privpass123 $A $SYSDESCR
done
same get -On -v3 -l authNoPriv -u shanopriv -A authpass123 "$A6" $SYSDESCR
same get -On -v3 -l authPriv -u shaaes -a SHA -A authpass123 -x AES \
  -X wrongpriv123 -t 0.3 -r 0 $A $SYSDESCR
for cmd in get getnext bulkwalk set; do
  set -- $SYSDESCR
  [ $cmd = set ] && set -- $SYSLOCATION s x
  same $cmd -On -v3 -l authPriv -u nobody -a SHA -A authpass123 -x AES \
    -X privpass123 $A "$@"
done
same get -On -v3 -u someone "$A6" $SYSDESCR
same get -On -v3 -l authPriv -u md5nopriv -a MD5 -A authpass123 -x DES \
  -X privpass123 $A $SYSDESCR
same walk -On -v3 -l authNoPriv -u noauth -A authpass123 $A $ORTABLE
# Engine and context IDs given: the agent's own, and a wrong one.
engine=$("$bin/snmpget" -v3 -u noauth -Ovq $A $ENGINEID | tr -d ' "\n')
same get -On $(v3_args sha512aes256c) -e "0x$engine" $A $SYSDESCR
same get -On $(v3_args shaaes) -e "$engine" -E "0x$engine" -n "" "$A6" \
  $SYSDESCR
same get -On $(v3_args shaaes) -e 0x8000000001020304 -t 0.3 -r 0 $A \
  $SYSDESCR
same get -On $(v3_args shaaes) -n nosuchcontext -t 0.3 -r 0 $A $SYSDESCR
# v3 options are ignored by v1 and v2c, as net-snmp ignores them.
same get -On -v2c -c public -l authPriv -u x $A $SYSDESCR
# A table over v3 prints what it prints over v2c (net-snmp has no twin).
for u in shaaes sha256aes192c; do
  checks=$((checks + 1))
  # shellcheck disable=SC2046
  "$usnmp" table -On $(v3_args $u) "$A6" $ORTABLE >"$tmp/t3.out" 2>&1
  "$usnmp" table -On -v2c -c public "$A6" $ORTABLE >"$tmp/t2.out" 2>&1
  if ! cmp -s "$tmp/t3.out" "$tmp/t2.out" || [ ! -s "$tmp/t2.out" ]; then
    fail "usnmp table over v3 ($u) differs from v2c"
    diff "$tmp/t3.out" "$tmp/t2.out" | head -10 | sed 's/^/    /'
  fi
done
# Bad v3 input.
bad get -On -v3 -l foo -u shaaes $A $SYSDESCR
bad get -On -v3 -l authNoPriv -u shaaes -a FOO -A authpass123 $A $SYSDESCR
bad get -On -v3 -l authPriv -u shaaes -a SHA -A authpass123 -x FOO \
  -X privpass123 $A $SYSDESCR
bad get -On -v3 -l authNoPriv -u shaaes -a SHA -A short $A $SYSDESCR
bad get -On -v3 -l authNoPriv -a SHA -A authpass123 $A $SYSDESCR
bad get -On -v3 -u noauth -e zz $A $SYSDESCR
bad get -On -v3 -u noauth -e 0x80 $A $SYSDESCR
# -L and the agent's reports, which net-snmp logs (unknown user here).
for L in $LOGS "-Le -Lo" -Lsd -LS6d "-LO 7"; do
  # shellcheck disable=SC2086 # L may be two options
  same get $L -v3 -l noAuthNoPriv -u nobody $A $SYSDESCR
done
# -Lf FILE: the file gets what stderr would have had (truncated first).
checks=$((checks + 1))
echo old >"$tmp/u.log"
echo old >"$tmp/n.log"
"$usnmp" get -Lf "$tmp/u.log" -v3 -l noAuthNoPriv -u nobody $A $SYSDESCR \
  >"$tmp/u.out" 2>"$tmp/u.err"
urc=$?
"$bin/snmpget" -Lf "$tmp/n.log" -v3 -l noAuthNoPriv -u nobody $A $SYSDESCR \
  >"$tmp/n.out" 2>"$tmp/n.err"
nrc=$?
if ! identical || ! cmp -s "$tmp/u.log" "$tmp/n.log" || [ ! -s "$tmp/u.log" ]
then
  fail "usnmp get -Lf FILE differs from snmpget"
  show_diff
  diff "$tmp/u.log" "$tmp/n.log" | head -5 | sed 's/^/    /'
fi
json get $(v3_args sha256aes256c) $A $SYSDESCR
expect_json "get --json v3" '.varbinds\[0\].type="OCTET STRING"' \
  '.errors=\[\]'
json get -v3 -l authNoPriv -u nobody -a SHA -A authpass123 $A $SYSDESCR
expect_json "get --json v3 unknown user" \
  '.errors\[0\].name="USNMP_E_UNKNOWN_USER"'
[ "$urc" = 1 ] || fail "get --json v3 unknown user: exit $urc"

# ---------------------------------------------------------------- done
echo "test_cli: $checks checks, $failures failed"
[ "$failures" = 0 ]
