#!/bin/sh
# A sparse three-column table for net-snmp's `pass` directive, used by
# test/test_table.c and test/test_walk.c:
#
#   pass .1.3.6.1.4.1.99999 /bin/sh test/walk_pass.sh
#
# Entry .1.3.6.1.4.1.99999.1.1; columns 1 (INTEGER), 2 (STRING) and
# 3 (Gauge32); rows indexed 1, 2, 3, 5, 10 and 10.1 (so that index order
# and text order differ: 2 < 10 by arcs).  Holes: column 2 has rows 2 and
# 10 only, column 3 rows 1, 5 and 10.1 only.
#
# snmpd runs `walk_pass.sh -g OID` (GET) or `walk_pass.sh -n OID` (GETNEXT)
# and reads three lines (OID, type, value), or nothing for "no such".

table() {
  cat <<'ROWS'
.1.3.6.1.4.1.99999.1.1.1.1 integer 101
.1.3.6.1.4.1.99999.1.1.1.2 integer 102
.1.3.6.1.4.1.99999.1.1.1.3 integer 103
.1.3.6.1.4.1.99999.1.1.1.5 integer 105
.1.3.6.1.4.1.99999.1.1.1.10 integer 110
.1.3.6.1.4.1.99999.1.1.1.10.1 integer 111
.1.3.6.1.4.1.99999.1.1.2.2 string two
.1.3.6.1.4.1.99999.1.1.2.10 string ten
.1.3.6.1.4.1.99999.1.1.3.1 gauge 301
.1.3.6.1.4.1.99999.1.1.3.5 gauge 305
.1.3.6.1.4.1.99999.1.1.3.10.1 gauge 311
ROWS
}

# The rows above are in OID order (arc by arc); awk compares arcs as
# numbers to find the entry equal to (-g) or just after (-n) the request.
table | awk -v mode="$1" -v req="$2" '
function cmp(a, b,   x, y, n, m, i) {
  n = split(a, x, "."); m = split(b, y, ".")
  for (i = 2; i <= n && i <= m; i++) {
    if (x[i] + 0 < y[i] + 0) return -1
    if (x[i] + 0 > y[i] + 0) return 1
  }
  return n < m ? -1 : (n > m ? 1 : 0)
}
{
  c = cmp($1, req)
  if ((mode == "-g" && c == 0) || (mode == "-n" && c > 0)) {
    print $1; print $2; print $3; exit
  }
}'
