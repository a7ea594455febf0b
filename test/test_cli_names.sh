#!/usr/bin/env bash
# test_cli_names.sh: what a new user types first (issue 13).
#
#   test_cli_names.sh USNMP SNMPD NETSNMP_BIN_DIR SNMPD_CONF
#
# Starts a private snmpd (test/snmpd_agent.sh) and checks that:
#   - the iso forms net-snmp prints and accepts without MIB modules
#     (iso.3.6.1..., .iso.3.6.1...) give the same output as net-snmp's
#     tools, and as the numeric OID;
#   - a MIB name (sysDescr.0, IF-MIB::ifDescr.1), with or without -m, fails
#     with exit 1 and the one message "MIB names are not supported; use
#     numeric OIDs";
#   - SNMPv3 setup errors each have their own message (short pass phrase,
#     long user name, unknown protocol or level);
#   - `usnmp --help` says OIDs are numeric and gives an example.
set -u

if [ $# -ne 4 ]; then
  echo "usage: $0 USNMP SNMPD NETSNMP_BIN_DIR SNMPD_CONF" >&2
  exit 2
fi
usnmp=$1
bin=$3
agent_snmpd=$2
agent_snmpget=$bin/snmpget
agent_conf=$4
# shellcheck source=snmpd_agent.sh
. "$(dirname "$0")/snmpd_agent.sh"
usnmp_test_begin cli-names

usnmp_agent_start || exit 1
A="127.0.0.1:$port"

# same CMD TOOL ARGS...: usnmp CMD ARGS and net-snmp's TOOL ARGS print the
# same and exit alike.
same() {
  local cmd=$1 tool=$2
  shift 2
  checks=$((checks + 1))
  "$usnmp" "$cmd" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  local urc=$?
  "$bin/$tool" "$@" >"$tmp/n.out" 2>"$tmp/n.err"
  local nrc=$?
  if [ "$urc" != "$nrc" ] || ! cmp -s "$tmp/u.out" "$tmp/n.out"; then
    usnmp_test_fail "usnmp $cmd $* differs from $tool $* (exit $urc vs $nrc)"
    diff "$tmp/n.out" "$tmp/u.out" | sed 's/^/    /'
    sed 's/^/    usnmp: /' "$tmp/u.err"
  fi
}

# fails_with MESSAGE CMD ARGS...: usnmp CMD ARGS exits 1, prints nothing on
# stdout and one line on stderr that contains MESSAGE.
fails_with() {
  local msg=$1
  shift
  checks=$((checks + 1))
  "$usnmp" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  local urc=$?
  if [ "$urc" != 1 ] || [ -s "$tmp/u.out" ] ||
    [ "$(wc -l <"$tmp/u.err")" != 1 ] ||
    ! grep -qF -- "$msg" "$tmp/u.err"; then
    usnmp_test_fail "usnmp $* (exit $urc): expected one line with '$msg'"
    sed 's/^/    /' "$tmp/u.err"
  fi
}

# ------------------------------------------------ numeric names (iso)
for form in iso.3.6.1.2.1.1.1.0 .iso.3.6.1.2.1.1.1.0 .1.3.6.1.2.1.1.1.0; do
  same get snmpget -v2c -c public -On "$A" "$form"
  same get snmpget -v2c -c public "$A" "$form"
done
same getnext snmpgetnext -v2c -c public "$A" iso.3.6.1.2.1.1.1.0
same walk snmpwalk -v2c -c public -On "$A" .iso.3.6.1.2.1.1.9.1.2
# What usnmp prints by default (iso.3.6...) is what it reads back.
checks=$((checks + 1))
first=$("$usnmp" getnext -v2c -c public "$A" .1.3.6.1.2.1.1 | cut -d' ' -f1)
case "$first" in
iso.3.6.1.2.1.1.*)
  if ! "$usnmp" get -v2c -c public "$A" "$first" >/dev/null 2>"$tmp/u.err"
  then
    usnmp_test_fail "usnmp get $first (printed by usnmp getnext) fails"
    sed 's/^/    /' "$tmp/u.err"
  fi
  ;;
*) usnmp_test_fail "usnmp getnext printed '$first', not iso.3.6.1.2.1.1.*" ;;
esac

# ------------------------------------------------ MIB names
mib="MIB names are not supported; use numeric OIDs"
fails_with "sysDescr.0: Unknown Object Identifier ($mib)" \
  get -v2c -c public "$A" sysDescr.0
fails_with "IF-MIB::ifDescr.1: Unknown Object Identifier ($mib)" \
  get -v2c -c public "$A" IF-MIB::ifDescr.1
# -m and -M change nothing: the same words, from the same code path.
fails_with "sysDescr.0: Unknown Object Identifier ($mib)" \
  get -m ALL -v2c -c public "$A" sysDescr.0
fails_with "ifTable: Unknown Object Identifier ($mib)" \
  walk -M /usr/share/snmp/mibs -v2c -c public "$A" ifTable
fails_with "system: Unknown Object Identifier ($mib)" \
  table -v2c -c public "$A" system
# A typo is not a name.
fails_with "1.3.6.1x: Unknown Object Identifier (malformed object identifier)" \
  get -v2c -c public "$A" 1.3.6.1x

# ------------------------------------------------ SNMPv3 setup errors
pass="passphrase chosen is below the length requirements of the USM (min=8)"
fails_with "authentication pass phrase ($pass)" \
  get -v3 -l authNoPriv -u shaaes -a SHA -A short "$A" .1.3.6.1.2.1.1.1.0
fails_with "privacy pass phrase ($pass)" \
  get -v3 -l authPriv -u shaaes -a SHA -A authpass123 -x AES -X 1234567 \
  "$A" .1.3.6.1.2.1.1.1.0
fails_with "SNMPv3 user name must be 1 to 32 bytes long" \
  get -v3 -u 123456789012345678901234567890123 "$A" .1.3.6.1.2.1.1.1.0
fails_with "No securityName specified" get -v3 "$A" .1.3.6.1.2.1.1.1.0
# net-snmp's words (its usage text apart, which follows on its stderr).
for flag in a x l; do
  checks=$((checks + 1))
  "$bin/snmpget" -v3 -u shaaes -$flag FOO "$A" .1.3.6.1.2.1.1.1.0 \
    >/dev/null 2>"$tmp/n.err"
  want=$(head -1 "$tmp/n.err")
  fails_with "$want" get -v3 -u shaaes -$flag FOO "$A" .1.3.6.1.2.1.1.1.0
done

# ------------------------------------------------ --help
checks=$((checks + 1))
"$usnmp" --help >"$tmp/help" 2>&1
if [ $? != 0 ] || ! grep -qi "OIDs are numeric" "$tmp/help" ||
  ! grep -q "^ *usnmp get -v2c -c public .*1\.3\.6\.1\.2\.1\.1\.1\.0" \
    "$tmp/help"; then
  usnmp_test_fail "usnmp --help: no example or no word that OIDs are numeric"
  sed 's/^/    /' "$tmp/help"
fi
# The example in the help runs as written (against our agent's port).
checks=$((checks + 1))
example=$(grep -m1 "^ *usnmp get -v2c" "$tmp/help" |
  sed -e 's/^ *usnmp //' -e "s/ [^ ]*:161 / $A /" -e "s/ 192\.0\.2\.1 / $A /")
# shellcheck disable=SC2086
if ! "$usnmp" $example >"$tmp/u.out" 2>"$tmp/u.err" ||
  ! grep -q "STRING" "$tmp/u.out"; then
  usnmp_test_fail "the --help example (usnmp $example) does not run"
  sed 's/^/    /' "$tmp/u.out" "$tmp/u.err"
fi

usnmp_test_end test_cli_names
