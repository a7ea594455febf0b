# Shared by the scripts that compare the usnmp command with net-snmp's
# tools (test_cli.sh, test_cli_real_agents.sh); sourced, not run.  The
# sourcing script sets usnmp (the command), bin (net-snmp's tools) and tmp
# (a scratch directory), and counts with checks and failures.

checks=0
failures=0

# fail MESSAGE: counts and prints one failed check.
fail() {
  failures=$((failures + 1))
  echo "FAIL: $*"
}

# tool_of CMD: net-snmp's tool for the usnmp subcommand CMD.
tool_of() {
  case $1 in
  get) echo snmpget ;;
  getnext) echo snmpgetnext ;;
  bulkget) echo snmpbulkget ;;
  set) echo snmpset ;;
  walk) echo snmpwalk ;;
  bulkwalk) echo snmpbulkwalk ;;
  esac
}

# run_both CMD ARGS...: usnmp CMD ARGS and net-snmp's tool with ARGS.
run_both() {
  local cmd=$1
  shift
  "$usnmp" "$cmd" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  urc=$?
  "$bin/$(tool_of "$cmd")" "$@" >"$tmp/n.out" 2>"$tmp/n.err"
  nrc=$?
}

# identical: the last run_both gave the same stdout, stderr and exit code.
identical() {
  cmp -s "$tmp/u.out" "$tmp/n.out" && cmp -s "$tmp/u.err" "$tmp/n.err" &&
    [ "$urc" = "$nrc" ]
}

show_diff() {
  echo "  exit codes: usnmp $urc, net-snmp $nrc"
  echo "  stdout (usnmp <, net-snmp >):"
  diff "$tmp/u.out" "$tmp/n.out" | head -20 | sed 's/^/    /'
  echo "  stderr (usnmp <, net-snmp >):"
  diff "$tmp/u.err" "$tmp/n.err" | head -20 | sed 's/^/    /'
}
