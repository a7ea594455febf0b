#!/bin/sh
# A pass script for test/test_fixture.c: answers GET of
# .1.3.6.1.4.1.99998.1.0 with a string, and nothing else (net-snmp's `pass`
# protocol: -g OID for GET, -n OID for GETNEXT; print OID, type, value, or
# nothing for "no such object").
if [ "$1" = "-g" ] && [ "$2" = ".1.3.6.1.4.1.99998.1.0" ]; then
  echo ".1.3.6.1.4.1.99998.1.0"
  echo "string"
  echo "from pass"
fi
