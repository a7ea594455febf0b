#!/usr/bin/env bash
# usnmp's demo: `bash examples/demo.sh` from anywhere in a clone, as root on
# a fresh Debian 12 (or as any user once .ci/install-deps has nothing left
# to install).
#
# It installs what is missing, builds usnmp into build-demo/, starts a real
# net-snmp agent (snmpd) on a free loopback port with test/snmpd.conf, runs
# the demos against it, printing each command before its output, and stops
# the agent again, whatever happens.
#
# To add a demo: write a demo_* function that calls run_demo for each
# command, and call it from main at the bottom.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="build-demo"

# ---------------------------------------------------------------- building
sh .ci/install-deps
if [ -d "$build/meson-private" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi
nice ninja -C "$build" >/dev/null
echo "built usnmp in $build/"

# ------------------------------------------------------------------- agent
# The agent runs in the foreground as our child, with its config, pid file,
# log and persistent state in a private temporary directory, so it never
# touches the system's snmpd or /var/lib/snmp.
agent_dir=$(mktemp -d "${TMPDIR:-/tmp}/usnmp-demo-XXXXXX")
agent_snmpd=/usr/sbin/snmpd
agent_snmpget=snmpget
agent_conf="$agent_dir/agent.conf"
# shellcheck source=../test/snmpd_agent.sh
. test/snmpd_agent.sh

stop_agent() {
  usnmp_agent_stop
  rm -rf "$agent_dir"
}
trap stop_agent EXIT
trap 'exit 130' INT TERM

# net-snmp's agent and tools with no MIB modules and no system config:
# numeric OIDs in and out, state in the private directory.  (usnmp reads
# none of these variables.)
export MIBS=
export SNMPCONFPATH="$agent_dir/persist"
export SNMP_PERSISTENT_DIR="$agent_dir/persist"

start_agent() {
  mkdir -p "$agent_dir/persist"
  cp test/snmpd.conf "$agent_conf"
  usnmp_agent_start
  echo "net-snmp snmpd (pid $agent_pid) answers on 127.0.0.1:$port" \
    "and [::1]:$port"
}

# -------------------------------------------------------------------- demos
# Prints a command as a shell prompt line, then runs it.
run_demo() {
  printf '\n$ %s\n' "$*"
  "$@"
}

# First what a new user writes first: a GET with the library, then a SET,
# a walk, a timeout and an SNMP error, one blocking call each
# (examples/blocking-script.c).
demo_first() {
  local dead
  dead=$(usnmp_free_port)
  echo
  echo "== a GET, a SET, a walk, a timeout and an SNMP error with the" \
    "blocking API (examples/blocking-script.c)"
  run_demo "$build/examples/blocking-script" "127.0.0.1:$port" \
    "127.0.0.1:$dead"
}

# The codec alone: encode a GET, send it over a plain UDP socket, decode
# and print the answer (examples/codec-demo.c).
demo_codec() {
  echo
  echo "== usnmp's codec against a real agent (examples/codec-demo.c)"
  run_demo "$build/examples/codec-demo" 127.0.0.1 "$port"
  run_demo "$build/examples/codec-demo" ::1 "$port"
  echo
  echo "== the same objects, as net-snmp's snmpget prints them"
  run_demo snmpget -v2c -c public -On "127.0.0.1:$port" \
    1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.1.5.0
}

# The usnmp command: net-snmp's options, net-snmp's output (examples/usnmp.c).
demo_cli() {
  local usnmp="$build/examples/usnmp"
  echo
  echo "== the usnmp command (net-snmp's options and output)"
  run_demo "$usnmp" get -v2c -c public -On "127.0.0.1:$port" \
    1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.1.99.0
  run_demo "$usnmp" walk -v2c -c public -On "127.0.0.1:$port" 1.3.6.1.2.1.1.9.1.2
  run_demo "$usnmp" bulkwalk -v2c -c public -On -Cr5 "udp6:[::1]:$port" \
    1.3.6.1.2.1.1.9.1.3
  run_demo "$usnmp" table -v2c -c public -On -Ci "127.0.0.1:$port" \
    1.3.6.1.2.1.1.9
  run_demo "$usnmp" get --json -v2c -c public "127.0.0.1:$port" \
    1.3.6.1.2.1.1.5.0
  echo
  echo "== the same walk with net-snmp's snmpwalk, for comparison"
  run_demo snmpwalk -v2c -c public -On "127.0.0.1:$port" 1.3.6.1.2.1.1.9.1.2
}

# The async API polling several agents at once (examples/poll-many.c), and
# the blocking API with the minimal Python manager's example: every host
# started without blocking, then collected (examples/blocking.c).
demo_api() {
  echo
  echo "== the async API: poll-many (one manager, every agent at once)"
  run_demo "$build/examples/poll-many" -c public \
    1.3.6.1.2.1.1.3.0,1.3.6.1.2.1.1.5.0 "127.0.0.1:$port" "[::1]:$port" \
    "localhost:$port"
  echo
  echo "== a libuv poller of ifTable joined with ifXTable on three agents," \
    "every second (examples/poll-tables.c)"
  run_demo "$build/examples/poll-tables" -p 1 -n 2 "127.0.0.1:$port" \
    "[::1]:$port" "localhost:$port"
  echo
  echo "== the blocking API: start every host, then collect"
  run_demo "$build/examples/blocking" "127.0.0.1:$port" "[::1]:$port"
  echo
  echo "== SNMPv3 authPriv (SHA-256 / AES-128) with the async API" \
    "(examples/v3-get.c)"
  run_demo "$build/examples/v3-get" -a SHA-256 -x AES "127.0.0.1:$port" \
    sha256aes authpass123 privpass123
  echo
  echo "== SNMPv3 authPriv (SHA-256 / AES-128) with the usnmp command"
  run_demo "$build/examples/usnmp" get -v3 -l authPriv -u sha256aes \
    -a SHA-256 -A authpass123 -x AES -X privpass123 -On "127.0.0.1:$port" \
    1.3.6.1.2.1.1.5.0
}

main() {
  start_agent
  demo_first
  demo_api
  demo_cli
  demo_codec
  echo
  echo "demo finished; stopping the agent"
}

main "$@"
