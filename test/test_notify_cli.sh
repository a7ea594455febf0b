#!/usr/bin/env bash
# test_notify_cli.sh: notifications between usnmp and net-snmp 5.9, both
# ways, with `usnmp trap`, `usnmp inform` and `usnmp trapd`.
#
#   test_notify_cli.sh USNMP SNMPTRAPD NETSNMP_BIN_DIR
#
#   1. net-snmp's snmptrap / snmpinform -> `usnmp trapd --json`: v1, v2c,
#      v2c inform, and v3 traps and informs for every authentication
#      protocol x privacy protocol at every security level; each
#      notification's varbinds are compared exactly with what was sent.
#   2. `usnmp trap` / `usnmp inform` -> net-snmp's snmptrapd (started here
#      on a free loopback port with its own configuration): the same
#      matrix, each notification's varbinds compared exactly in snmptrapd's
#      own output.
#   3. the command's behaviour: exit codes and net-snmp's words on an
#      unanswered inform, IPv6, SIGTERM stopping trapd cleanly with every
#      notification it received printed, --count.
# Each failed check prints what differed; the script exits 1 if any did.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 USNMP SNMPTRAPD NETSNMP_BIN_DIR" >&2
  exit 2
fi
usnmp=$1
snmptrapd=$2
bin=$3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/usnmp-test-notify-XXXXXX")
# shellcheck source=snmpd_agent.sh
. "$(dirname "$0")/snmpd_agent.sh"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export MIBS=
export MIBDIRS=/nonexistent
export SNMPCONFPATH="$tmp/persist"
export SNMP_PERSISTENT_DIR="$tmp/persist"
mkdir -p "$tmp/persist"

failed=0
checks=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
ok() { checks=$((checks + 1)); }

TRAP=.1.3.6.1.6.3.1.1.5.1
NAME=.1.3.6.1.2.1.1.5.0
UP=4242
OURID=8000000005aabbccdd01
THEIRID=8000000005aabbccdd02

auths="MD5 SHA SHA-224 SHA-256 SHA-384 SHA-512"
privs="DES AES AES-192 AES-256 AES-192-C AES-256-C"
# Every combination: name auth priv level.
combos=("n0 - - noAuthNoPriv")
for a in $auths; do
  combos+=("a${a//-/} $a - authNoPriv")
  for p in $privs; do
    combos+=("p${a//-/}${p//-/} $a $p authPriv")
  done
done

# The expected varbinds, as `usnmp trapd --json` and snmptrapd print them.
json_vbs() {
  echo "\"varbinds\":[{\"oid\":\".1.3.6.1.2.1.1.3.0\",\"type\":\"TimeTicks\",\"value\":$UP},{\"oid\":\".1.3.6.1.6.3.1.1.4.1.0\",\"type\":\"OBJECT IDENTIFIER\",\"value\":\"$TRAP\"},{\"oid\":\"$NAME\",\"type\":\"OCTET STRING\",\"value\":\"$1\"}]}"
}
netsnmp_vbs() {
  echo ".1.3.6.1.2.1.1.3.0 = Timeticks: ($UP) 0:00:42.42~.1.3.6.1.6.3.1.1.4.1.0 = OID: $TRAP~$NAME = STRING: \"$1\""
}
v3args() { # name auth priv level
  local args=(-v 3 -u "$1" -l "$4")
  [ "$2" != - ] && args+=(-a "$2" -A "auth-$1")
  [ "$3" != - ] && args+=(-x "$3" -X "priv-$1")
  echo "${args[@]}"
}

# Waits until a UDP port is bound (the daemon started), at most 5 s.
wait_bound() {
  for _ in $(seq 100); do
    ss -Hlun "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

# ---- 1. net-snmp -> usnmp trapd ------------------------------------------
port=$(usnmp_free_port) || exit 1
{
  echo "authCommunity log,execute public"
  for c in "${combos[@]}"; do
    set -- $c
    line="createUser $1"
    [ "$2" != - ] && line="$line $2 auth-$1"
    [ "$3" != - ] && line="$line $3 priv-$1"
    echo "$line"
  done
} >"$tmp/usnmp-trapd.conf"
expected=$((3 + 2 * ${#combos[@]}))
"$usnmp" trapd -C "$tmp/usnmp-trapd.conf" --json --count "$expected" \
  -e "$OURID" "udp:127.0.0.1:$port" >"$tmp/trapd.out" 2>"$tmp/trapd.err" &
trapd=$!
pids+=("$trapd")
wait_bound "$port" || fail "usnmp trapd did not start: $(cat "$tmp/trapd.err")"

"$bin/snmptrap" -v 1 -c public "127.0.0.1:$port" .1.3.6.1.4.1.8072.9 \
  192.0.2.7 6 17 "$UP" $NAME s v1trap || fail "snmptrap -v 1"
"$bin/snmptrap" -v 2c -c public "127.0.0.1:$port" "$UP" $TRAP \
  $NAME s v2trap || fail "snmptrap -v 2c"
"$bin/snmpinform" -v 2c -c public -t 2 "127.0.0.1:$port" "$UP" $TRAP \
  $NAME s v2inform >/dev/null || fail "snmpinform -v 2c"
# A community not accepted: dropped (the count above does not include it).
"$bin/snmptrap" -v 2c -c wrong "127.0.0.1:$port" "$UP" $TRAP $NAME s wrong
for c in "${combos[@]}"; do
  set -- $c
  # shellcheck disable=SC2046
  "$bin/snmptrap" $(v3args "$@") "127.0.0.1:$port" "$UP" $TRAP \
    $NAME s "trap-$1" || fail "snmptrap $c"
  # shellcheck disable=SC2046
  "$bin/snmpinform" $(v3args "$@") -t 2 "127.0.0.1:$port" "$UP" $TRAP \
    $NAME s "inform-$1" >/dev/null || fail "snmpinform $c (not acknowledged)"
done
for _ in $(seq 100); do
  kill -0 "$trapd" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$trapd" 2>/dev/null; then
  fail "usnmp trapd did not exit after --count $expected"
  kill -TERM "$trapd"
fi
wait "$trapd" || fail "usnmp trapd exit status"

grep -qF "\"version\":\"1\",\"pdu\":\"trap-v1\"" "$tmp/trapd.out" &&
  grep -qF "\"community\":\"public\",\"enterprise\":\".1.3.6.1.4.1.8072.9\",\"agent_addr\":\"192.0.2.7\",\"generic\":6,\"specific\":17,\"timestamp\":$UP,\"varbinds\":[{\"oid\":\"$NAME\",\"type\":\"OCTET STRING\",\"value\":\"v1trap\"}]}" "$tmp/trapd.out" &&
  ok || fail "v1 trap: $(grep trap-v1 "$tmp/trapd.out")"
for what in v2trap v2inform; do
  pdu=trap
  [ $what = v2inform ] && pdu=inform
  grep -qF "\"version\":\"2c\",\"pdu\":\"$pdu\"" "$tmp/trapd.out" &&
    grep -qF "\"community\":\"public\",$(json_vbs $what)" "$tmp/trapd.out" &&
    ok || fail "$what not received exactly"
done
grep -q '"value":"wrong"' "$tmp/trapd.out" && fail "wrong community delivered"
for c in "${combos[@]}"; do
  set -- $c
  for kind in trap inform; do
    line=$(grep -F "\"user\":\"$1\"" "$tmp/trapd.out" | grep -F "\"pdu\":\"$kind\"")
    case "$line" in
    *"\"security_level\":\"$4\",$(json_vbs "$kind-$1")") ok ;;
    *) fail "net-snmp $kind $c -> usnmp trapd: got '$line'" ;;
    esac
  done
  # Informs name our engine ID, traps the sender's.
  grep -F "\"user\":\"$1\"" "$tmp/trapd.out" | grep -F '"pdu":"inform"' |
    grep -qF "\"engine_id\":\"$OURID\"" && ok ||
    fail "inform $c: not our engine ID"
done
n=$(wc -l <"$tmp/trapd.out")
[ "$n" -eq "$expected" ] && ok || fail "usnmp trapd printed $n lines, not $expected"

# ---- 2. usnmp trap / inform -> net-snmp's snmptrapd -----------------------
port=$(usnmp_free_port) || exit 1
{
  echo "authCommunity log public"
  for c in "${combos[@]}"; do
    set -- $c
    args="$1"
    [ "$2" != - ] && args="$args $2 auth-$1"
    [ "$3" != - ] && args="$args $3 priv-$1"
    # Traps: the sender's (our) engine ID; informs: snmptrapd's own.
    echo "createUser -e 0x$THEIRID $args"
    echo "createUser $args"
    lvl=priv
    [ "$4" = authNoPriv ] && lvl=auth
    [ "$4" = noAuthNoPriv ] && lvl=noauth
    echo "authUser log $1 $lvl"
  done
} >"$tmp/snmptrapd.conf"
"$snmptrapd" -f -Lo -C -c "$tmp/snmptrapd.conf" -On -n -F '%V~%v\n' \
  -p "$tmp/snmptrapd.pid" "udp:127.0.0.1:$port" >"$tmp/snmptrapd.out" 2>&1 &
pids+=("$!")
wait_bound "$port" || fail "snmptrapd did not start"

"$usnmp" trap -v 1 -c public "127.0.0.1:$port" .1.3.6.1.4.1.8072.9 \
  192.0.2.7 6 17 "$UP" $NAME s v1trap || fail "usnmp trap -v 1"
"$usnmp" trap -v 2c -c public "127.0.0.1:$port" "$UP" $TRAP $NAME s v2trap ||
  fail "usnmp trap -v 2c"
"$usnmp" inform -v 2c -c public "127.0.0.1:$port" "$UP" $TRAP \
  $NAME s v2inform || fail "usnmp inform -v 2c (not acknowledged)"
for c in "${combos[@]}"; do
  set -- $c
  # shellcheck disable=SC2046
  "$usnmp" trap $(v3args "$@") -e "$THEIRID" "127.0.0.1:$port" "$UP" \
    $TRAP $NAME s "trap-$1" || fail "usnmp trap $c"
  # shellcheck disable=SC2046
  "$usnmp" inform $(v3args "$@") "127.0.0.1:$port" "$UP" $TRAP \
    $NAME s "inform-$1" || fail "usnmp inform $c (not acknowledged)"
done
sleep 0.5
grep -qxF "$NAME = STRING: \"v1trap\"" "$tmp/snmptrapd.out" && ok ||
  fail "snmptrapd did not get the v1 trap"
for what in v2trap v2inform; do
  grep -qxF "$(netsnmp_vbs $what)" "$tmp/snmptrapd.out" && ok ||
    fail "snmptrapd did not get $what exactly"
done
for c in "${combos[@]}"; do
  set -- $c
  for kind in trap inform; do
    grep -qxF "$(netsnmp_vbs "$kind-$1")" "$tmp/snmptrapd.out" && ok ||
      fail "usnmp $kind $c -> snmptrapd: not received exactly"
  done
done

# ---- 3. the command's behaviour --------------------------------------------
dead=$(usnmp_free_port) || exit 1
out_ours=$("$usnmp" inform -v 2c -c public -t 0.2 -r 1 "127.0.0.1:$dead" \
  "$UP" $TRAP 2>&1)
rc_ours=$?
out_theirs=$("$bin/snmpinform" -v 2c -c public -t 0.2 -r 1 \
  "127.0.0.1:$dead" "$UP" $TRAP 2>&1)
rc_theirs=$?
[ "$out_ours" = "$out_theirs" ] && [ $rc_ours = $rc_theirs ] && ok ||
  fail "unanswered inform: '$out_ours' ($rc_ours) vs '$out_theirs' ($rc_theirs)"
[ "$rc_ours" = 1 ] && ok || fail "unanswered inform exits $rc_ours"

# IPv6, several listen addresses, SIGTERM: everything received is printed
# and trapd exits 0.
port=$(usnmp_free_port) || exit 1
port2=$(usnmp_free_port) || exit 1
"$usnmp" trapd -c public -On "udp6:[::1]:$port" "udp:127.0.0.1:$port2" \
  >"$tmp/trapd6.out" 2>&1 &
trapd=$!
pids+=("$trapd")
wait_bound "$port" && wait_bound "$port2" || fail "trapd (IPv6) did not start"
for i in 1 2 3; do
  "$bin/snmptrap" -v 2c -c public "udp6:[::1]:$port" "$UP" $TRAP $NAME s "six$i"
done
"$usnmp" trap -v 2c -c public "127.0.0.1:$port2" "$UP" $TRAP $NAME s four
# A host name: the trap waits for its resolution.
"$usnmp" trap -v 2c -c public "localhost:$port2" "$UP" $TRAP $NAME s five ||
  fail "usnmp trap to localhost"
for _ in $(seq 50); do
  [ "$(grep -c 'STRING' "$tmp/trapd6.out")" -ge 5 ] && break
  sleep 0.05
done
kill -TERM "$trapd"
wait "$trapd" && ok || fail "trapd did not exit 0 on SIGTERM"
for s in six1 six2 six3 four five; do
  grep -qF "$NAME = STRING: \"$s\"" "$tmp/trapd6.out" && ok ||
    fail "trapd (IPv6 / two addresses) lost $s"
done
grep -qF "[UDP: [::1]:" "$tmp/trapd6.out" && ok || fail "no IPv6 source shown"
out=$("$usnmp" trap -v 2c -c public no-such-host..invalid "$UP" $TRAP 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$out" = "snmptrap: Unknown host (no-such-host..invalid)" ] &&
  ok || fail "unknown host: '$out' ($rc)"

echo "$checks checks passed, $failed failed"
[ "$failed" -eq 0 ]
