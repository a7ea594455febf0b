/*
 * Tests of usnmp_value_format_flags(): net-snmp's -O output flags q, t,
 * T, a and x (lib/format.c).
 *
 * The expected texts are what net-snmp 5.9.3's snmpget printed, byte for
 * byte, for the values of test/typed_values.h served by test/cli_agent.c:
 *
 *   MIBS= snmpget -On -Ov -OFLAGS -v2c -c public 127.0.0.1:PORT \
 *         .1.3.6.1.4.1.99999.2.N
 *
 * (the final newline removed), for FLAGS q t T a x qT qx qa qt xT.  Only
 * the texts that differ from the flagless one are listed; every other
 * pair is checked to print as usnmp_value_format() does.  test/test_cli.sh
 * compares the same outputs with net-snmp's tools live.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "typed_values.h"
#include "usnmp.h"

typedef struct flag_case {
  int n; /* value N of test/typed_values.h */
  unsigned flags;
  const char *text;
} flag_case;

/* clang-format off */
static const flag_case cases[] = {
    {1, USNMP_FORMAT_QUICK,
     "\"plain text\""},
    {1, USNMP_FORMAT_HEX,
     "Hex-STRING: 70 6C 61 69 6E 20 74 65 78 74 "},
    {1, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"plain text\""},
    {1, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"70 6C 61 69 6E 20 74 65 78 74 \""},
    {1, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"plain text\""},
    {1, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"plain text\""},
    {1, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 70 6C 61 69 6E 20 74 65 78 74   [plain text]"},
    {2, USNMP_FORMAT_QUICK,
     "\"a \\\"quoted\\\" \\\\ back\""},
    {2, USNMP_FORMAT_HEX,
     "Hex-STRING: 61 20 22 71 75 6F 74 65 64 22 20 5C 20 62 61 63 \n6B "},
    {2, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"a \\\"quoted\\\" \\\\ back\""},
    {2, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"61 20 22 71 75 6F 74 65 64 22 20 5C 20 62 61 63 \n6B \""},
    {2, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"a \\\"quoted\\\" \\\\ back\""},
    {2, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"a \\\"quoted\\\" \\\\ back\""},
    {2, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 61 20 22 71 75 6F 74 65 64 22 20 5C 20 62 61 63   [a \"quoted\" \\ bac]\n6B   [k]"},
    {3, USNMP_FORMAT_QUICK,
     "\"line1\r\nline2\ttab\""},
    {3, USNMP_FORMAT_HEX,
     "Hex-STRING: 6C 69 6E 65 31 0D 0A 6C 69 6E 65 32 09 74 61 62 "},
    {3, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"line1\r\nline2\ttab\""},
    {3, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"6C 69 6E 65 31 0D 0A 6C 69 6E 65 32 09 74 61 62 \""},
    {3, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"line1\r\nline2\ttab\""},
    {3, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"line1\r\nline2\ttab\""},
    {3, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 6C 69 6E 65 31 0D 0A 6C 69 6E 65 32 09 74 61 62   [line1\r\nline2\ttab]"},
    {5, USNMP_FORMAT_QUICK,
     "\"00 01 FF 7F \""},
    {5, USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 00 01 FF 7F   [....]"},
    {5, USNMP_FORMAT_ASCII,
     "STRING: \"....\""},
    {5, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"00 01 FF 7F   [....]\""},
    {5, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"00 01 FF 7F \""},
    {5, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"....\""},
    {5, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"00 01 FF 7F \""},
    {5, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 00 01 FF 7F   [....]"},
    {6, USNMP_FORMAT_QUICK,
     "\"80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C \""},
    {6, USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C   [....abcdefghijkl]"},
    {6, USNMP_FORMAT_ASCII,
     "STRING: \"....abcdefghijkl\""},
    {6, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C   [....abcdefghijkl]\""},
    {6, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C \""},
    {6, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"....abcdefghijkl\""},
    {6, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C \""},
    {6, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 80 00 1F 88 61 62 63 64 65 66 67 68 69 6A 6B 6C   [....abcdefghijkl]"},
    {7, USNMP_FORMAT_QUICK,
     "\"62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71 \n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20 \n74 68 61 6E 20 31 36 20 6F 63 74 65 74 \""},
    {7, USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71   [binary . with \"q]\n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20   [uotes\" and more ]\n74 68 61 6E 20 31 36 20 6F 63 74 65 74   [than 16 octet]"},
    {7, USNMP_FORMAT_ASCII,
     "STRING: \"binary . with \\\"quotes\\\" and more than 16 octet\""},
    {7, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71   [binary . with \"q]\n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20   [uotes\" and more ]\n74 68 61 6E 20 31 36 20 6F 63 74 65 74   [than 16 octet]\""},
    {7, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71 \n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20 \n74 68 61 6E 20 31 36 20 6F 63 74 65 74 \""},
    {7, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"binary . with \\\"quotes\\\" and more than 16 octet\""},
    {7, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71 \n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20 \n74 68 61 6E 20 31 36 20 6F 63 74 65 74 \""},
    {7, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 62 69 6E 61 72 79 20 01 20 77 69 74 68 20 22 71   [binary . with \"q]\n75 6F 74 65 73 22 20 61 6E 64 20 6D 6F 72 65 20   [uotes\" and more ]\n74 68 61 6E 20 31 36 20 6F 63 74 65 74   [than 16 octet]"},
    {8, USNMP_FORMAT_QUICK,
     "\"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n42 \""},
    {8, USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n42   [B]"},
    {8, USNMP_FORMAT_ASCII,
     "STRING: \"..\\\"3DUfw..........\\\"3DUfw........B\""},
    {8, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n42   [B]\""},
    {8, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n42 \""},
    {8, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"..\\\"3DUfw..........\\\"3DUfw........B\""},
    {8, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF \n42 \""},
    {8, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF   [..\"3DUfw........]\n42   [B]"},
    {9, USNMP_FORMAT_QUICK,
     "\"63 61 66 C3 A9 \""},
    {9, USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 63 61 66 C3 A9   [caf..]"},
    {9, USNMP_FORMAT_ASCII,
     "STRING: \"caf..\""},
    {9, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "\"63 61 66 C3 A9   [caf..]\""},
    {9, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "\"63 61 66 C3 A9 \""},
    {9, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "\"caf..\""},
    {9, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "\"63 61 66 C3 A9 \""},
    {9, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "Hex-STRING: 63 61 66 C3 A9   [caf..]"},
    {10, USNMP_FORMAT_QUICK,
     "0"},
    {10, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "0"},
    {10, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "0"},
    {10, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "0"},
    {10, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "0"},
    {11, USNMP_FORMAT_QUICK,
     "-2147483648"},
    {11, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "-2147483648"},
    {11, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "-2147483648"},
    {11, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "-2147483648"},
    {11, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "-2147483648"},
    {12, USNMP_FORMAT_QUICK,
     "2147483647"},
    {12, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "2147483647"},
    {12, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "2147483647"},
    {12, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "2147483647"},
    {12, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "2147483647"},
    {13, USNMP_FORMAT_QUICK,
     "4294967295"},
    {13, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "4294967295"},
    {13, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "4294967295"},
    {13, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "4294967295"},
    {13, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "4294967295"},
    {14, USNMP_FORMAT_QUICK,
     "42"},
    {14, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "42"},
    {14, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "42"},
    {14, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "42"},
    {14, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "42"},
    {15, USNMP_FORMAT_QUICK,
     "18446744073709551615"},
    {15, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "18446744073709551615"},
    {15, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "18446744073709551615"},
    {15, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "18446744073709551615"},
    {15, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "18446744073709551615"},
    {16, USNMP_FORMAT_QUICK,
     "0:0:00:01.23"},
    {16, USNMP_FORMAT_TIMETICKS_RAW,
     "123"},
    {16, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "0:0:00:01.23"},
    {16, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "0:0:00:01.23"},
    {16, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "0:0:00:01.23"},
    {16, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "123"},
    {17, USNMP_FORMAT_QUICK,
     "1:3:04:05.05"},
    {17, USNMP_FORMAT_TIMETICKS_RAW,
     "9744505"},
    {17, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "1:3:04:05.05"},
    {17, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "1:3:04:05.05"},
    {17, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "1:3:04:05.05"},
    {17, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "9744505"},
    {18, USNMP_FORMAT_QUICK,
     "497:2:27:52.95"},
    {18, USNMP_FORMAT_TIMETICKS_RAW,
     "4294967295"},
    {18, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "497:2:27:52.95"},
    {18, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "497:2:27:52.95"},
    {18, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "497:2:27:52.95"},
    {18, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "4294967295"},
    {19, USNMP_FORMAT_QUICK,
     "10.1.2.254"},
    {19, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "10.1.2.254"},
    {19, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "10.1.2.254"},
    {19, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "10.1.2.254"},
    {19, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "10.1.2.254"},
    {20, USNMP_FORMAT_QUICK,
     ".1.3.6.1.4.1.8072.3.2.10"},
    {20, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     ".1.3.6.1.4.1.8072.3.2.10"},
    {20, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     ".1.3.6.1.4.1.8072.3.2.10"},
    {20, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     ".1.3.6.1.4.1.8072.3.2.10"},
    {20, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     ".1.3.6.1.4.1.8072.3.2.10"},
    {21, USNMP_FORMAT_QUICK,
     ".0.0"},
    {21, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     ".0.0"},
    {21, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     ".0.0"},
    {21, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     ".0.0"},
    {21, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     ".0.0"},
    {23, USNMP_FORMAT_QUICK,
     "01 02 41 42 "},
    {23, USNMP_FORMAT_HEX_TEXT,
     "OPAQUE: 01 02 41 42   [..AB]"},
    {23, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "01 02 41 42   [..AB]"},
    {23, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "01 02 41 42 "},
    {23, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "01 02 41 42 "},
    {23, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "01 02 41 42 "},
    {23, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "OPAQUE: 01 02 41 42   [..AB]"},
    {24, USNMP_FORMAT_QUICK,
     "1.500000"},
    {24, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "1.500000"},
    {24, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "1.500000"},
    {24, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "1.500000"},
    {24, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "1.500000"},
    {25, USNMP_FORMAT_QUICK,
     "-2.500000"},
    {25, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "-2.500000"},
    {25, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "-2.500000"},
    {25, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "-2.500000"},
    {25, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "-2.500000"},
    {26, USNMP_FORMAT_QUICK,
     "256"},
    {26, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "256"},
    {26, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "256"},
    {26, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "256"},
    {26, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "256"},
    {27, USNMP_FORMAT_QUICK,
     "-5"},
    {27, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "-5"},
    {27, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "-5"},
    {27, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "-5"},
    {27, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "-5"},
    {28, USNMP_FORMAT_QUICK,
     "18446744073709551615"},
    {28, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "18446744073709551615"},
    {28, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "18446744073709551615"},
    {28, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "18446744073709551615"},
    {28, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "18446744073709551615"},
    {29, USNMP_FORMAT_QUICK,
     "6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E \n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E "},
    {29, USNMP_FORMAT_HEX_TEXT,
     "OPAQUE: 6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E   [opaque bytes lon]\n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E   [ger than sixteen]"},
    {29, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
     "6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E   [opaque bytes lon]\n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E   [ger than sixteen]"},
    {29, USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
     "6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E \n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E "},
    {29, USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
     "6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E \n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E "},
    {29, USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
     "6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E \n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E "},
    {29, USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
     "OPAQUE: 6F 70 61 71 75 65 20 62 79 74 65 73 20 6C 6F 6E   [opaque bytes lon]\n67 65 72 20 74 68 61 6E 20 73 69 78 74 65 65 6E   [ger than sixteen]"},
};
/* clang-format on */

static const unsigned all_flags[] = {
    USNMP_FORMAT_QUICK,
    USNMP_FORMAT_TIMETICKS_RAW,
    USNMP_FORMAT_HEX_TEXT,
    USNMP_FORMAT_ASCII,
    USNMP_FORMAT_HEX,
    USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT,
    USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX,
    USNMP_FORMAT_QUICK | USNMP_FORMAT_ASCII,
    USNMP_FORMAT_QUICK | USNMP_FORMAT_TIMETICKS_RAW,
    USNMP_FORMAT_HEX | USNMP_FORMAT_HEX_TEXT,
};

static usnmp_value value_of(int n, uint8_t *oid_buf, size_t size) {
  usnmp_value v;
  assert_true(n >= 1 && (size_t)n <= USNMP_TEST_TYPED_VALUES);
  assert_int_equal(
      usnmp_test_typed_value_make((size_t)n - 1, &v, oid_buf, size), 0);
  return v;
}

static const char *expected(int n, unsigned flags) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (cases[i].n == n && cases[i].flags == flags)
      return cases[i].text;
  return NULL;
}

/* Every value under every flag set: net-snmp's text, or the flagless one
 * where net-snmp printed that. */
static void test_net_snmp_texts(void **state) {
  (void)state;
  for (int n = 1; (size_t)n <= USNMP_TEST_TYPED_VALUES; n++) {
    uint8_t oid_buf[64];
    usnmp_value v = value_of(n, oid_buf, sizeof oid_buf);
    char plain[1024], text[1024];
    assert_true(usnmp_value_format(plain, sizeof plain, &v) > 0);
    assert_int_equal(usnmp_value_format_flags(text, sizeof text, &v, 0),
                     (int)strlen(plain));
    assert_string_equal(text, plain);
    for (size_t f = 0; f < sizeof all_flags / sizeof all_flags[0]; f++) {
      const char *want = expected(n, all_flags[f]);
      int len = usnmp_value_format_flags(text, sizeof text, &v, all_flags[f]);
      if (want == NULL)
        want = plain;
      if (strcmp(text, want) != 0)
        fail_msg("value %d, flags 0x%x: \"%s\", net-snmp \"%s\"", n,
                 all_flags[f], text, want);
      assert_int_equal(len, (int)strlen(want));
    }
  }
}

/* snprintf's rule: the length needed, whatever the buffer, and a text cut
 * at the buffer's end. */
static void test_truncation(void **state) {
  uint8_t oid_buf[64];
  usnmp_value v = value_of(8, oid_buf, sizeof oid_buf);
  unsigned flags = USNMP_FORMAT_QUICK | USNMP_FORMAT_HEX_TEXT;
  const char *want = expected(8, flags);
  char buf[256];
  (void)state;
  assert_non_null(want);
  assert_int_equal(usnmp_value_format_flags(NULL, 0, &v, flags),
                   (int)strlen(want));
  for (size_t size = 1; size <= strlen(want) + 1; size++) {
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(usnmp_value_format_flags(buf, size, &v, flags),
                     (int)strlen(want));
    assert_int_equal(strlen(buf), size - 1);
    assert_memory_equal(buf, want, size - 1);
  }
}

static void test_bad_arguments(void **state) {
  uint8_t oid_buf[64];
  usnmp_value v = value_of(1, oid_buf, sizeof oid_buf);
  char buf[64];
  (void)state;
  assert_int_equal(usnmp_value_format_flags(buf, sizeof buf, NULL, 0),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_value_format_flags(NULL, 4, &v, 0), USNMP_E_INVAL);
  assert_int_equal(
      usnmp_value_format_flags(buf, sizeof buf, &v, USNMP_FORMAT_ALL + 1),
      USNMP_E_INVAL);
  /* A malformed IpAddress is refused under -Oq as without it. */
  v = usnmp_value_octets("abc", 3);
  v.type = USNMP_TYPE_IPADDRESS;
  assert_int_equal(
      usnmp_value_format_flags(buf, sizeof buf, &v, USNMP_FORMAT_QUICK),
      USNMP_E_BAD_VALUE);
  assert_string_equal(buf, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_net_snmp_texts),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
