#!/usr/bin/env bash
# Makes the seed corpus of fuzz_notify (test/fuzz/corpus-notify) from
# net-snmp's snmptrap and snmpinform, captured on a loopback port.  Each
# seed is the mode byte of notify_check.h and a datagram (mode 0) or a
# v1/v2c message to sign (mode 1: 01 trap, 03 inform).  Seeds named
# deliver-* are delivered by the check's receiver, drop-* are not
# (test/test_notify_corpus.c holds them to that).
#
#   test/fuzz/make_corpus_notify.sh [OUT-DIR]
set -eu
out=${1:-$(dirname "$0")/corpus-notify}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MIBS= MIBDIRS=/nonexistent SNMP_PERSISTENT_DIR="$tmp" SNMPCONFPATH="$tmp"
port=$((20000 + RANDOM % 40000))
ours=8000000005aabbccdd01
T=.1.3.6.1.6.3.1.1.5.1
N=.1.3.6.1.2.1.1.5.0

# capture NAME MODE-BYTE COMMAND...: the first datagram COMMAND sends.
capture() {
  local name=$1 mode=$2
  shift 2
  python3 - "$port" "$out/$name" "$mode" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
data, _ = s.recvfrom(65536)
open(sys.argv[2], "wb").write(bytes([int(sys.argv[3], 16)]) + data)
PY
  sleep 0.3
  local cmd=$1
  shift
  "$cmd" -t 0.2 -r 0 "$@" >/dev/null 2>&1 || true
  wait
}
A=127.0.0.1:$port
capture deliver-v1-trap 00 snmptrap -v 1 -c public "$A" .1.3.6.1.4.1.8072.9 192.0.2.7 6 17 55 $N s x $N i 5
capture deliver-v1-generic 00 snmptrap -v 1 -c public "$A" .1.3.6.1.4.1.8072 192.0.2.7 2 0 55
capture deliver-v2c-trap 00 snmptrap -v 2c -c public "$A" 55 $T $N s hello $N x 00ff $N o .1.3.6 $N a 10.0.0.1 $N c 7 $N u 8 $N t 9
capture deliver-v2c-inform 00 snmpinform -v 2c -c public "$A" 55 $T $N s hello
capture drop-v2c-community 00 snmptrap -v 2c -c private "$A" 55 $T
capture deliver-v3-authpriv-trap 00 snmptrap -v 3 -u ops -l authPriv -a SHA -A fuzz-pass-1 -x AES -X fuzz-pass-1 "$A" 55 $T $N s v3
capture deliver-v3-authnopriv-trap-second-pass 00 snmptrap -v 3 -u ops -l authNoPriv -a MD5 -A fuzz-pass-2 "$A" 55 $T $N s v3
capture deliver-v3-noauth-trap 00 snmptrap -v 3 -u n0 -l noAuthNoPriv "$A" 55 $T
capture drop-v3-wrong-pass 00 snmptrap -v 3 -u ops -l authPriv -a SHA -A wrong-pass-9 -x AES -X wrong-pass-9 "$A" 55 $T
capture drop-v3-unknown-user 00 snmptrap -v 3 -u nobody -l authNoPriv -a SHA -A fuzz-pass-1 "$A" 55 $T
capture drop-v3-inform-discovery 00 snmpinform -v 3 -u ops -l authPriv -a SHA -A fuzz-pass-1 -x AES -X fuzz-pass-1 "$A" 55 $T
capture deliver-v3-inform 00 snmpinform -v 3 -u ops -l authPriv -a SHA -A fuzz-pass-1 -x AES -X fuzz-pass-1 -e $ours "$A" 55 $T $N s v3i
capture deliver-v3-inform-authnopriv 00 snmpinform -v 3 -u ops -l authNoPriv -a SHA -A fuzz-pass-1 -e $ours "$A" 55 $T
capture deliver-signed-trap 01 snmptrap -v 2c -c public "$A" 55 $T $N s signed
capture deliver-signed-inform 03 snmpinform -v 2c -c public "$A" 55 $T $N s signed
printf '\x00\x30\x03\x02\x01\x07' >"$out/drop-version-7"
printf '\x00\x30\x80\x02\x01\x01\x00\x00' >"$out/drop-indefinite"
ls "$out"
