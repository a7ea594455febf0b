# Shell functions that run a private net-snmp snmpd on a free loopback
# port, for examples/demo.sh and test/test_cli.sh (the C tests use
# test/snmpd_fixture.c).  Source this file, then set:
#
#   agent_snmpd   path of snmpd
#   agent_snmpget path of net-snmp's snmpget (the readiness probe)
#   agent_conf    the configuration snmpd reads
#   agent_dir     a private directory for its pid file and log
#
# usnmp_agent_start sets agent_pid and port (the same UDP port on 127.0.0.1
# and ::1) and returns once the agent answers; usnmp_agent_stop stops it.
# Both work with and without `set -e`.

agent_pid=
port=

# Prints a UDP port nothing listens on, on 127.0.0.1 or ::1.
usnmp_free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Hlun "sport = :$p" | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  echo "no free UDP port found" >&2
  return 1
}

usnmp_agent_stop() {
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$agent_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  agent_pid=
}

usnmp_agent_start() {
  for _ in 1 2 3; do
    port=$(usnmp_free_port) || return 1
    # -f: stay in the foreground (our child); -Lo: log to stdout (the log
    # file); -C -c: read only our config; -I -smux: no SMUX listener on
    # TCP port 199, which only one agent per machine could have.
    "$agent_snmpd" -f -Lo -C -c "$agent_conf" -p "$agent_dir/snmpd.pid" \
      -I -smux "udp:127.0.0.1:$port,udp6:[::1]:$port" \
      >"$agent_dir/snmpd.log" 2>&1 &
    agent_pid=$!
    for _ in $(seq 50); do
      # Exited: the port was taken after all; try another.
      kill -0 "$agent_pid" 2>/dev/null || break
      if "$agent_snmpget" -v2c -c public -r 0 -t 0.2 "127.0.0.1:$port" \
        1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; then
        return 0
      fi
    done
    usnmp_agent_stop
  done
  echo "snmpd did not start; its log:" >&2
  cat "$agent_dir/snmpd.log" >&2
  return 1
}

# For test scripts: usnmp_test_begin NAME makes a private temporary
# directory, $tmp (also agent_dir), removed at exit with the agent
# stopped; runs net-snmp's tools with no MIB modules and no configuration
# but the test's own; and zeroes the counters that usnmp_test_fail counts
# in and usnmp_test_end reports (exit status 0 when nothing failed).
usnmp_test_begin() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/usnmp-test-$1-XXXXXX") || exit 1
  agent_dir=$tmp
  trap 'usnmp_agent_stop; rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM
  export MIBS=
  export SNMPCONFPATH="$tmp/persist"
  export SNMP_PERSISTENT_DIR="$tmp/persist"
  mkdir -p "$tmp/persist"
  checks=0
  failures=0
}

usnmp_test_fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

usnmp_test_end() {
  echo "$1: $checks checks, $failures failed"
  [ "$failures" = 0 ]
}
