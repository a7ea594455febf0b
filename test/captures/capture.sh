#!/bin/sh
# Re-captures the net-snmp messages in this directory (run as root: tshark
# listens on lo).  It starts a private snmpd on a free loopback port with a
# throwaway config, runs net-snmp's tools against it and against a trap port
# where nothing answers, and writes one <name>.txt per command: the command,
# then one "request|response|notification <hex>" line per UDP payload.
#
#   sh test/captures/capture.sh [agent-port] [trap-port]
#
# Timestamps, request-ids and counters differ between runs, so the tests
# that assert decoded fields must be updated with the files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-47161}
tport=${2:-47162}
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/snmpd.conf" <<CONF
sysDescr usnmp codec capture agent
sysObjectID .1.3.6.1.4.1.8072.3.2.10
rocommunity public 127.0.0.1
rwcommunity private 127.0.0.1
dontLogTCPWrappersConnects yes
CONF
SNMP_PERSISTENT_DIR=$dir snmpd -f -Lo -C -c "$dir/snmpd.conf" -p "$dir/pid" \
  "udp:127.0.0.1:$port" > "$dir/snmpd.log" 2>&1 &
sleep 1.5
A=127.0.0.1:$port
T=127.0.0.1:$tport

run() {
  name=$1
  shift
  tshark -q -i lo -f "udp port $port or udp port $tport" -w "$dir/$name.pcap" \
    > /dev/null 2>&1 &
  tp=$!
  # Wait (at most 10 s) until tshark has written the capture file's header,
  # which it does once it listens; a fixed delay loses packets under load.
  i=0
  while [ ! -s "$dir/$name.pcap" ] && [ "$i" -lt 50 ]; do
    sleep 0.2
    i=$((i + 1))
  done
  sleep 0.3
  "$@" > /dev/null 2>&1 || true
  sleep 0.5
  kill "$tp"
  wait "$tp" 2> /dev/null || true
  {
    echo "# Captured on loopback from net-snmp 5.9.3 (test/captures/capture.sh):"
    echo "#   $*" | sed "s/$A/AGENT/; s/$T/TRAPRECEIVER/"
    tshark -r "$dir/$name.pcap" -T fields -e udp.srcport -e udp.dstport \
      -e udp.payload 2> /dev/null | awk -v p="$port" '{
        kind = ($1 == p) ? "response" : (($2 == p) ? "request" : "notification");
        print kind, $3 }'
  } > "$here/$name.txt"
}

run get_v2c snmpget -v2c -c public -On $A .1.3.6.1.2.1.1.1.0 .1.3.6.1.2.1.1.3.0
run get_v1 snmpget -v1 -c public -On $A .1.3.6.1.2.1.1.1.0 .1.3.6.1.2.1.1.2.0
run get_v1_nosuchname snmpget -v1 -c public -On -Cf $A .1.3.6.1.2.1.1.99.0
run get_v2c_types snmpget -v2c -c public -On $A .1.3.6.1.2.1.2.2.1.10.1 .1.3.6.1.2.1.31.1.1.1.6.1 .1.3.6.1.2.1.2.2.1.5.1 .1.3.6.1.2.1.4.20.1.1.127.0.0.1 .1.3.6.1.2.1.1.2.0 .1.3.6.1.2.1.1.3.0 .1.3.6.1.4.1.2021.10.1.6.1 .1.3.6.1.2.1.2.2.1.7.1
run get_v2c_exceptions snmpget -v2c -c public -On $A .1.3.6.1.2.1.1.99.0 .1.3.6.1.2.1.1.1.99
run getnext_v2c snmpgetnext -v2c -c public -On $A .1.3.6.1.2.1.1 .1.3.6.1.2.1.2.2.1.1
run getnext_v2c_end snmpgetnext -v2c -c public -On $A .1.3.6.1.6.3.20
run getnext_v1 snmpgetnext -v1 -c public -On $A .1.3.6.1.2.1.1.3
run bulkget_v2c snmpbulkget -v2c -c public -On -Cn1 -Cr12 $A .1.3.6.1.2.1.1.3 .1.3.6.1.2.1.1
run set_v2c snmpset -v2c -c private -On $A .1.3.6.1.2.1.1.5.0 s usnmp-capture
run set_v2c_wrongtype snmpset -v2c -c private -On $A .1.3.6.1.2.1.1.4.0 i -129 .1.3.6.1.2.1.1.6.0 i 128
run set_v2c_types snmpset -v2c -c private -On $A .1.3.6.1.2.1.1.4.0 a 10.1.2.3 .1.3.6.1.2.1.1.6.0 u 4294967295 .1.3.6.1.2.1.1.5.0 t 0 .1.3.6.1.2.1.1.4.0 o 2.999.1 .1.3.6.1.2.1.1.6.0 x 00FF80
run set_v2c_readonly snmpset -v2c -c public -On $A .1.3.6.1.2.1.1.5.0 s nope
run trap_v1 snmptrap -v1 -c public $T .1.3.6.1.4.1.8072.2.3 127.0.0.1 6 17 12345 .1.3.6.1.2.1.1.1.0 s hello .1.3.6.1.2.1.2.2.1.10.1 c 4294967295
run trap_v2c snmptrap -v2c -c public $T 4321 .1.3.6.1.6.3.1.1.5.1 .1.3.6.1.2.1.1.1.0 s hello .1.3.6.1.2.1.1.3.0 t 99 .1.3.6.1.2.1.2.2.1.1.1 i -2147483648
run inform_v2c snmpinform -v2c -c public -r 0 -t 1 $T 777 .1.3.6.1.6.3.1.1.5.3 .1.3.6.1.2.1.2.2.1.1.1 i 1
