/*
 * Tests of lib/format.c: the text forms of values and varbinds.
 *
 * The expected texts of netsnmp_cases and names_cases are what net-snmp
 * 5.9.3's own snmpget printed, byte for byte, for the same values.  They
 * were produced like this (throwaway tools, not part of the project):
 * a tiny fake agent on a loopback UDP port answered each GET for
 * .1.3.6.1.4.1.99999.N with crafted BER value N, and
 *
 *   MIBS= snmpget -On -v2c -c public -t1 -r0 127.0.0.1:PORT \
 *         .1.3.6.1.4.1.99999.N
 *
 * printed the line that the table holds (everything after "NAME = ", the
 * final newline removed).  So the wire, net-snmp's parser and its printer
 * all took part.  rejected_cases are values for which that snmpget printed
 * "Timeout: No Response": net-snmp drops the whole reply, so there is no
 * text to match, and the table holds usnmp's documented choice instead.
 *
 * The error-status texts are net-snmp 5.9.3's snmp_errstring(), printed
 * by a throwaway program linked with libnetsnmp for -2..20 and 1000.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "usnmp.h"

/* One value and the text net-snmp printed for it. */
typedef struct fmt_case {
  int n;             /* last arc of the name .1.3.6.1.4.1.99999.n */
  uint8_t type;      /* the BER tag */
  uint64_t num;      /* INTEGER (two's complement), u32 or u64 */
  size_t len;        /* length of bytes */
  const char *bytes; /* content octets of bytes types, else NULL */
  const char *text;  /* what snmpget printed after "NAME = " */
} fmt_case;

/* clang-format off */
static const fmt_case netsnmp_cases[] = {
    /* 1: str b'abc' */
    {1, 0x04, 0, 3,
     "abc",
     "STRING: \"abc\""},
    /* 2: str b'' */
    {2, 0x04, 0, 0,
     "",
     "\"\""},
    /* 3: str b'a"b\\c' */
    {3, 0x04, 0, 5,
     "a\"b\\c",
     "STRING: \"a\\\"b\\\\c\""},
    /* 4: str b'line1\r\nline2\ttab' */
    {4, 0x04, 0, 16,
     "line1\r\nline2\ttab",
     "STRING: \"line1\r\nline2\ttab\""},
    /* 5: str b'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx */
    {5, 0x04, 0, 300,
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "STRING: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""},
    /* 6: str b'ab\x00' */
    {6, 0x04, 0, 3,
     "ab\000",
     "Hex-STRING: 61 62 00 "},
    /* 7: str b'\x00' */
    {7, 0x04, 0, 1,
     "\000",
     "Hex-STRING: 00 "},
    /* 8: str b'a\x00b' */
    {8, 0x04, 0, 3,
     "a\000b",
     "Hex-STRING: 61 00 62 "},
    /* 9: str b'\x7f' */
    {9, 0x04, 0, 1,
     "\177",
     "Hex-STRING: 7F "},
    /* 10: str b'caf\xc3\xa9' */
    {10, 0x04, 0, 5,
     "caf\303\251",
     "Hex-STRING: 63 61 66 C3 A9 "},
    /* 11: str b'\x80' */
    {11, 0x04, 0, 1,
     "\200",
     "Hex-STRING: 80 "},
    /* 12: str b'\xff' */
    {12, 0x04, 0, 1,
     "\377",
     "Hex-STRING: FF "},
    /* 13: str b'\x0b\x0c' */
    {13, 0x04, 0, 2,
     "\013\014",
     "STRING: \"\013\014\""},
    /* 14: str b'\x01' */
    {14, 0x04, 0, 1,
     "\001",
     "Hex-STRING: 01 "},
    /* 15: str b'AAAAAAAAAAAAAAA\x01' */
    {15, 0x04, 0, 16,
     "AAAAAAAAAAAAAAA\001",
     "Hex-STRING: 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 01 "},
    /* 16: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {16, 0x04, 0, 16,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F "},
    /* 17: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {17, 0x04, 0, 17,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10"
     " "},
    /* 18: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {18, 0x04, 0, 32,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020"
     "\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10"
     " 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F "},
    /* 19: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {19, 0x04, 0, 33,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020"
     "\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037 ",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10"
     " 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F \n20 "},
    /* 20: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {20, 0x04, 0, 48,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020"
     "\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037 !\""
     "#$%&'()*+,-./",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10"
     " 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F \n20 21 22 23 24 2"
     "5 26 27 28 29 2A 2B 2C 2D 2E 2F "},
    /* 21: str b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t */
    {21, 0x04, 0, 256,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020"
     "\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037 !\""
     "#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`a"
     "bcdefghijklmnopqrstuvwxyz{|}~\177\200\201\202\203\204\205\206"
     "\207\210\211\212\213\214\215\216\217\220\221\222\223\224\225\226"
     "\227\230\231\232\233\234\235\236\237\240\241\242\243\244\245\246"
     "\247\250\251\252\253\254\255\256\257\260\261\262\263\264\265\266"
     "\267\270\271\272\273\274\275\276\277\300\301\302\303\304\305\306"
     "\307\310\311\312\313\314\315\316\317\320\321\322\323\324\325\326"
     "\327\330\331\332\333\334\335\336\337\340\341\342\343\344\345\346"
     "\347\350\351\352\353\354\355\356\357\360\361\362\363\364\365\366"
     "\367\370\371\372\373\374\375\376\377",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10"
     " 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F \n20 21 22 23 24 2"
     "5 26 27 28 29 2A 2B 2C 2D 2E 2F \n30 31 32 33 34 35 36 37 38 39 "
     "3A 3B 3C 3D 3E 3F \n40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E"
     " 4F \n50 51 52 53 54 55 56 57 58 59 5A 5B 5C 5D 5E 5F \n60 61 62"
     " 63 64 65 66 67 68 69 6A 6B 6C 6D 6E 6F \n70 71 72 73 74 75 76 7"
     "7 78 79 7A 7B 7C 7D 7E 7F \n80 81 82 83 84 85 86 87 88 89 8A 8B "
     "8C 8D 8E 8F \n90 91 92 93 94 95 96 97 98 99 9A 9B 9C 9D 9E 9F \n"
     "A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB AC AD AE AF \nB0 B1 B2 B3 B4"
     " B5 B6 B7 B8 B9 BA BB BC BD BE BF \nC0 C1 C2 C3 C4 C5 C6 C7 C8 C"
     "9 CA CB CC CD CE CF \nD0 D1 D2 D3 D4 D5 D6 D7 D8 D9 DA DB DC DD "
     "DE DF \nE0 E1 E2 E3 E4 E5 E6 E7 E8 E9 EA EB EC ED EE EF \nF0 F1 "
     "F2 F3 F4 F5 F6 F7 F8 F9 FA FB FC FD FE FF "},
    /* 22: str b' ' */
    {22, 0x04, 0, 1,
     " ",
     "STRING: \" \""},
    /* 23: str b'\n' */
    {23, 0x04, 0, 1,
     "\n",
     "STRING: \"\n\""},
    /* 24: str b"'" */
    {24, 0x04, 0, 1,
     "'",
     "STRING: \"'\""},
    /* 25: str b'ab\x00\x00' */
    {25, 0x04, 0, 4,
     "ab\000\000",
     "Hex-STRING: 61 62 00 00 "},
    /* 26: str b'\x1b[0m' */
    {26, 0x04, 0, 4,
     "\033[0m",
     "Hex-STRING: 1B 5B 30 6D "},
    /* 27: str b'%s%n' */
    {27, 0x04, 0, 4,
     "%s%n",
     "STRING: \"%s%n\""},
    /* 28: str b'abc\x00' */
    {28, 0x04, 0, 4,
     "abc\000",
     "Hex-STRING: 61 62 63 00 "},
    /* 29: str b'{}"\\/' */
    {29, 0x04, 0, 5,
     "{}\"\\/",
     "STRING: \"{}\\\"\\\\/\""},
    /* 30: str b'\x00\x00\x00\x00' */
    {30, 0x04, 0, 4,
     "\000\000\000\000",
     "Hex-STRING: 00 00 00 00 "},
    /* 31: int 0 */
    {31, 0x02, 0, 0,
     "UL",
     "INTEGER: 0"},
    /* 32: int -5 */
    {32, 0x02, -5, 0,
     "UL",
     "INTEGER: -5"},
    /* 33: int 5 */
    {33, 0x02, 5, 0,
     "UL",
     "INTEGER: 5"},
    /* 34: int 127 */
    {34, 0x02, 127, 0,
     "UL",
     "INTEGER: 127"},
    /* 35: int 128 */
    {35, 0x02, 128, 0,
     "UL",
     "INTEGER: 128"},
    /* 36: int -128 */
    {36, 0x02, -128, 0,
     "UL",
     "INTEGER: -128"},
    /* 37: int -129 */
    {37, 0x02, -129, 0,
     "UL",
     "INTEGER: -129"},
    /* 38: int 2147483647 */
    {38, 0x02, 2147483647, 0,
     "UL",
     "INTEGER: 2147483647"},
    /* 39: int -2147483648 */
    {39, 0x02, -2147483648, 0,
     "UL",
     "INTEGER: -2147483648"},
    /* 40: c32 0 */
    {40, 0x41, UINT64_C(0), 0,
     "UL",
     "Counter32: 0"},
    /* 41: c32 5 */
    {41, 0x41, UINT64_C(5), 0,
     "UL",
     "Counter32: 5"},
    /* 42: c32 4294967295 */
    {42, 0x41, UINT64_C(4294967295), 0,
     "UL",
     "Counter32: 4294967295"},
    /* 43: c32 2147483648 */
    {43, 0x41, UINT64_C(2147483648), 0,
     "UL",
     "Counter32: 2147483648"},
    /* 44: g32 0 */
    {44, 0x42, UINT64_C(0), 0,
     "UL",
     "Gauge32: 0"},
    /* 45: g32 5 */
    {45, 0x42, UINT64_C(5), 0,
     "UL",
     "Gauge32: 5"},
    /* 46: g32 4294967295 */
    {46, 0x42, UINT64_C(4294967295), 0,
     "UL",
     "Gauge32: 4294967295"},
    /* 47: g32 2147483648 */
    {47, 0x42, UINT64_C(2147483648), 0,
     "UL",
     "Gauge32: 2147483648"},
    /* 48: tt 0 */
    {48, 0x43, UINT64_C(0), 0,
     "UL",
     "Timeticks: (0) 0:00:00.00"},
    /* 49: tt 5 */
    {49, 0x43, UINT64_C(5), 0,
     "UL",
     "Timeticks: (5) 0:00:00.05"},
    /* 50: tt 4294967295 */
    {50, 0x43, UINT64_C(4294967295), 0,
     "UL",
     "Timeticks: (4294967295) 497 days, 2:27:52.95"},
    /* 51: tt 2147483648 */
    {51, 0x43, UINT64_C(2147483648), 0,
     "UL",
     "Timeticks: (2147483648) 248 days, 13:13:56.48"},
    /* 52: tt 12345 */
    {52, 0x43, UINT64_C(12345), 0,
     "UL",
     "Timeticks: (12345) 0:02:03.45"},
    /* 53: tt 8640000 */
    {53, 0x43, UINT64_C(8640000), 0,
     "UL",
     "Timeticks: (8640000) 1 day, 0:00:00.00"},
    /* 54: tt 8640001 */
    {54, 0x43, UINT64_C(8640001), 0,
     "UL",
     "Timeticks: (8640001) 1 day, 0:00:00.01"},
    /* 55: tt 17280000 */
    {55, 0x43, UINT64_C(17280000), 0,
     "UL",
     "Timeticks: (17280000) 2 days, 0:00:00.00"},
    /* 56: tt 17280099 */
    {56, 0x43, UINT64_C(17280099), 0,
     "UL",
     "Timeticks: (17280099) 2 days, 0:00:00.99"},
    /* 57: tt 99 */
    {57, 0x43, UINT64_C(99), 0,
     "UL",
     "Timeticks: (99) 0:00:00.99"},
    /* 58: tt 100 */
    {58, 0x43, UINT64_C(100), 0,
     "UL",
     "Timeticks: (100) 0:00:01.00"},
    /* 59: tt 6000 */
    {59, 0x43, UINT64_C(6000), 0,
     "UL",
     "Timeticks: (6000) 0:01:00.00"},
    /* 60: tt 360000 */
    {60, 0x43, UINT64_C(360000), 0,
     "UL",
     "Timeticks: (360000) 1:00:00.00"},
    /* 61: tt 8639999 */
    {61, 0x43, UINT64_C(8639999), 0,
     "UL",
     "Timeticks: (8639999) 23:59:59.99"},
    /* 62: tt 259200000 */
    {62, 0x43, UINT64_C(259200000), 0,
     "UL",
     "Timeticks: (259200000) 30 days, 0:00:00.00"},
    /* 63: c64 0 */
    {63, 0x46, UINT64_C(0), 0,
     "UL",
     "Counter64: 0"},
    /* 64: c64 1 */
    {64, 0x46, UINT64_C(1), 0,
     "UL",
     "Counter64: 1"},
    /* 65: c64 18446744073709551615 */
    {65, 0x46, UINT64_C(18446744073709551615), 0,
     "UL",
     "Counter64: 18446744073709551615"},
    /* 66: c64 9007199254740992 */
    {66, 0x46, UINT64_C(9007199254740992), 0,
     "UL",
     "Counter64: 9007199254740992"},
    /* 67: c64 9007199254740993 */
    {67, 0x46, UINT64_C(9007199254740993), 0,
     "UL",
     "Counter64: 9007199254740993"},
    /* 68: c64 4294967296 */
    {68, 0x46, UINT64_C(4294967296), 0,
     "UL",
     "Counter64: 4294967296"},
    /* 69: oid 1.3.6.1.2.1.1.1.0 */
    {69, 0x06, 0, 8,
     "+\006\001\002\001\001\001\000",
     "OID: .1.3.6.1.2.1.1.1.0"},
    /* 70: oid 0.0 */
    {70, 0x06, 0, 1,
     "\000",
     "OID: .0.0"},
    /* 71: oid 2.999.1 */
    {71, 0x06, 0, 3,
     "\2107\001",
     "OID: .2.999.1"},
    /* 72: oid 1.3.4294967295 */
    {72, 0x06, 0, 6,
     "+\217\377\377\377\177",
     "OID: .1.3.4294967295"},
    /* 73: oid 0.39 */
    {73, 0x06, 0, 1,
     "'",
     "OID: .0.39"},
    /* 74: oid 1.0 */
    {74, 0x06, 0, 1,
     "(",
     "OID: .1.0"},
    /* 75: oid 2.0 */
    {75, 0x06, 0, 1,
     "P",
     "OID: .2.0"},
    /* 76: oid empty */
    {76, 0x06, 0, 0,
     "",
     "OID: .0"},
    /* 77: ip 10.1.2.3 */
    {77, 0x40, 0, 4,
     "\n\001\002\003",
     "IpAddress: 10.1.2.3"},
    /* 78: ip 255.255.255.0 */
    {78, 0x40, 0, 4,
     "\377\377\377\000",
     "IpAddress: 255.255.255.0"},
    /* 79: ip 0.0.0.0 */
    {79, 0x40, 0, 4,
     "\000\000\000\000",
     "IpAddress: 0.0.0.0"},
    /* 80: opaque 01 02 */
    {80, 0x44, 0, 2,
     "\001\002",
     "OPAQUE: 01 02 "},
    /* 81: opaque empty */
    {81, 0x44, 0, 0,
     "",
     "OPAQUE: "},
    /* 82: opaque 20 bytes */
    {82, 0x44, 0, 20,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017\020"
     "\021\022\023",
     "OPAQUE: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10 11 "
     "12 13 "},
    /* 83: opaque float 1.5 */
    {83, 0x44, 0, 7,
     "\237x\004?\300\000\000",
     "Opaque: Float: 1.500000"},
    /* 84: opaque double 2.25 */
    {84, 0x44, 0, 11,
     "\237y\010@\002\000\000\000\000\000\000",
     "Opaque: Float: 2.250000"},
    /* 85: opaque counter64 */
    {85, 0x44, 0, 5,
     "\237v\002\001\000",
     "Opaque: Counter64: 256"},
    /* 86: opaque i64 */
    {86, 0x44, 0, 4,
     "\237z\001\377",
     "Opaque: Int64: -1"},
    /* 87: opaque u64 */
    {87, 0x44, 0, 4,
     "\237{\001\005",
     "Opaque: UInt64: 5"},
    /* 88: null */
    {88, 0x05, 0, 0,
     "UL",
     "NULL"},
    /* 89: nosuchobject */
    {89, 0x80, 0, 0,
     "UL",
     "No Such Object available on this agent at this OID"},
    /* 90: nosuchinstance */
    {90, 0x81, 0, 0,
     "UL",
     "No Such Instance currently exists at this OID"},
    /* 91: endofmibview */
    {91, 0x82, 0, 0,
     "UL",
     "No more variables left in this MIB View (It is past the end of t"
     "he MIB tree)"},
    /* 94: opaque 16 */
    {94, 0x44, 0, 16,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016\017",
     "OPAQUE: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F "},
    /* 95: str 15 bin */
    {95, 0x04, 0, 15,
     "\000\001\002\003\004\005\006\007\010\t\n\013\014\r\016",
     "Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E "},
    /* 96: str uint8 0xc0 */
    {96, 0x04, 0, 2,
     "\300\240",
     "Hex-STRING: C0 A0 "},
    /* 101: float nan */
    {101, 0x44, 0, 7,
     "\237x\004\177\300\000\000",
     "Opaque: Float: nan"},
    /* 102: float inf */
    {102, 0x44, 0, 7,
     "\237x\004\177\200\000\000",
     "Opaque: Float: inf"},
    /* 103: float -inf */
    {103, 0x44, 0, 7,
     "\237x\004\377\200\000\000",
     "Opaque: Float: -inf"},
    /* 104: float -0.0 */
    {104, 0x44, 0, 7,
     "\237x\004\200\000\000\000",
     "Opaque: Float: -0.000000"},
    /* 105: float 1e+30 */
    {105, 0x44, 0, 7,
     "\237x\004qI\362\312",
     "Opaque: Float: 1000000015047466219876688855040.000000"},
    /* 106: float 0.1 */
    {106, 0x44, 0, 7,
     "\237x\004=\314\314\315",
     "Opaque: Float: 0.100000"},
    /* 107: float 1e-10 */
    {107, 0x44, 0, 7,
     "\237x\004.\333\346\377",
     "Opaque: Float: 0.000000"},
    /* 108: float -1.5 */
    {108, 0x44, 0, 7,
     "\237x\004\277\300\000\000",
     "Opaque: Float: -1.500000"},
    /* 109: float 3.4028234663852886e+38 */
    {109, 0x44, 0, 7,
     "\237x\004\177\177\377\377",
     "Opaque: Float: 340282346638528859811704183484516925440.000000"},
    /* 110: float 123456.789 */
    {110, 0x44, 0, 7,
     "\237x\004G\361 e",
     "Opaque: Float: 123456.789062"},
    /* 111: double 1e+300 */
    {111, 0x44, 0, 11,
     "\237y\010~7\344<\210\000u\234",
     "Opaque: Float: 1000000000000000052504760255204420248704468581108"
     "1591549158541155118024579889081957863713750804478640437044438328"
     "83878176942523"},
    /* 112: double nan */
    {112, 0x44, 0, 11,
     "\237y\010\177\370\000\000\000\000\000\000",
     "Opaque: Float: nan"},
    /* 113: double -0.0 */
    {113, 0x44, 0, 11,
     "\237y\010\200\000\000\000\000\000\000\000",
     "Opaque: Float: -0.000000"},
    /* 114: double 0.1 */
    {114, 0x44, 0, 11,
     "\237y\010?\271\231\231\231\231\231\232",
     "Opaque: Float: 0.100000"},
    /* 115: double 1e-07 */
    {115, 0x44, 0, 11,
     "\237y\010>z\327\362\232\274\257H",
     "Opaque: Float: 0.000000"},
    /* 116: double 5e-07 */
    {116, 0x44, 0, 11,
     "\237y\010>\240\306\367\240\265\355\215",
     "Opaque: Float: 0.000000"},
    /* 117: double 2.5e-07 */
    {117, 0x44, 0, 11,
     "\237y\010>\220\306\367\240\265\355\215",
     "Opaque: Float: 0.000000"},
    /* 118: c64 inner len0 */
    {118, 0x44, 0, 3,
     "\237v\000",
     "Opaque: Counter64: 0"},
    /* 119: c64 inner ff */
    {119, 0x44, 0, 4,
     "\237v\001\377",
     "Opaque: Counter64: 255"},
    /* 120: c64 inner 9 max */
    {120, 0x44, 0, 12,
     "\237v\t\000\377\377\377\377\377\377\377\377",
     "Opaque: Counter64: 18446744073709551615"},
    /* 122: c64 inner 8 ff */
    {122, 0x44, 0, 11,
     "\237v\010\377\377\377\377\377\377\377\377",
     "Opaque: Counter64: 18446744073709551615"},
    /* 123: u64 lead zero */
    {123, 0x44, 0, 5,
     "\237{\002\000\005",
     "Opaque: UInt64: 5"},
    /* 124: i64 80 */
    {124, 0x44, 0, 4,
     "\237z\001\200",
     "Opaque: Int64: -128"},
    /* 125: i64 min */
    {125, 0x44, 0, 11,
     "\237z\010\200\000\000\000\000\000\000\000",
     "Opaque: Int64: -9223372036854775808"},
    /* 126: i64 9 bytes 00 ff*8 */
    {126, 0x44, 0, 12,
     "\237z\t\000\377\377\377\377\377\377\377\377",
     "Opaque: Int64: -1"},
    /* 127: i64 len0 */
    {127, 0x44, 0, 3,
     "\237z\000",
     "Opaque: Int64: 0"},
    /* 130: unknown subtype 77 */
    {130, 0x44, 0, 4,
     "\237w\001\005",
     "OPAQUE: 9F 77 01 05 "},
    /* 131: 9f alone */
    {131, 0x44, 0, 1,
     "\237",
     "OPAQUE: 9F "},
    /* 133: c64 long-form inner len */
    {133, 0x44, 0, 5,
     "\237v\201\001\005",
     "Opaque: Counter64: 5"},
    /* 135: 9f 30 */
    {135, 0x44, 0, 3,
     "\2370\000",
     "OPAQUE: 9F 30 00 "},
    /* 137: c64 7f */
    {137, 0x44, 0, 5,
     "\237v\002\177\377",
     "Opaque: Counter64: 32767"},
    /* 139: oid nonminimal */
    {139, 0x06, 0, 3,
     "+\200\001",
     "OID: .1.3.1"},
    /* 140: oid first subid max */
    {140, 0x06, 0, 5,
     "\217\377\377\377\177",
     "OID: .2.4294967215"},
    /* 143: oid 128 arcs */
    {143, 0x06, 0, 127,
     "+\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001",
     "OID: .1.3.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
     "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
     "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
     "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
     "1.1.1"},
    /* 145: oid first 0x80 0x28 */
    {145, 0x06, 0, 3,
     "\200(\001",
     "OID: .1.0.1"},
};
/* clang-format on */

/* A value net-snmp refuses: err is the code usnmp returns, or 0 and the
 * text usnmp prints instead (Opaque falls back to its hex dump). */
typedef struct rejected_case {
  uint8_t type;
  size_t len;
  const char *bytes;
  int err;
  const char *text;
} rejected_case;

/* clang-format off */
static const rejected_case rejected_cases[] = {
    /* 92: ip 3 bytes */
    {0x40, 3,
     "\001\002\003",
     USNMP_E_BAD_VALUE, NULL},
    /* 93: ip 5 bytes */
    {0x40, 5,
     "\001\002\003\004\005",
     USNMP_E_BAD_VALUE, NULL},
    /* 121: c64 inner 9 bad */
    {0x44, 12,
     "\237v\t\001\377\377\377\377\377\377\377\377",
     0, "OPAQUE: 9F 76 09 01 FF FF FF FF FF FF FF FF "},
    /* 128: float outer 8 */
    {0x44, 8,
     "\237x\004\000\000\000\000\000",
     0, "OPAQUE: 9F 78 04 00 00 00 00 00 "},
    /* 129: float inner 3 */
    {0x44, 6,
     "\237x\003\000\000\000",
     0, "OPAQUE: 9F 78 03 00 00 00 "},
    /* 132: c64 trailing */
    {0x44, 5,
     "\237v\001\005\377",
     0, "OPAQUE: 9F 76 01 05 FF "},
    /* 134: c64 inner 2 with outer 4 */
    {0x44, 4,
     "\237v\002\005",
     0, "OPAQUE: 9F 76 02 05 "},
    /* 136: i64 outer 13 */
    {0x44, 13,
     "\237z\t\000\377\377\377\377\377\377\377\377\000",
     0, "OPAQUE: 9F 7A 09 00 FF FF FF FF FF FF FF FF 00 "},
    /* 138: double inner 4 */
    {0x44, 7,
     "\237y\004\000\000\000\000",
     0, "OPAQUE: 9F 79 04 00 00 00 00 "},
    /* 141: oid subid 2^32 */
    {0x06, 6,
     "+\220\200\200\200\000",
     USNMP_E_OID_SUBID_OVERFLOW, NULL},
    /* 142: oid truncated */
    {0x06, 2,
     "+\201",
     USNMP_E_BAD_OID, NULL},
    /* 144: oid 129 arcs */
    {0x06, 128,
     "+\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
     "\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001",
     USNMP_E_OID_TOO_LONG, NULL},
};
/* clang-format on */

/* Builds the BER content octets of .1.3.6.1.4.1.99999.n into name[] and
 * returns their length. */
static size_t case_name(uint8_t name[16], uint32_t n) {
  static const uint8_t prefix[] = {0x2b, 0x06, 0x01, 0x04,
                                   0x01, 0x86, 0x8d, 0x1f};
  uint8_t tmp[5];
  size_t k = 0, len = sizeof(prefix);
  memcpy(name, prefix, sizeof(prefix));
  do {
    tmp[k++] = (uint8_t)(n & 0x7f);
    n >>= 7;
  } while (n != 0);
  while (k > 0) {
    k--;
    name[len++] = (uint8_t)(tmp[k] | (k > 0 ? 0x80 : 0));
  }
  return len;
}

static usnmp_value make_value(uint8_t type, uint64_t num, const char *bytes,
                              size_t len) {
  usnmp_value v;
  memset(&v, 0, sizeof(v));
  v.type = (usnmp_type)type;
  switch (type) {
  case USNMP_TYPE_INTEGER:
    v.v.integer = (int32_t)(int64_t)num;
    break;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    v.v.u32 = (uint32_t)num;
    break;
  case USNMP_TYPE_COUNTER64:
    v.v.u64 = num;
    break;
  case USNMP_TYPE_OCTET_STRING:
  case USNMP_TYPE_OID:
  case USNMP_TYPE_IPADDRESS:
  case USNMP_TYPE_OPAQUE:
    v.v.bytes.data = (const uint8_t *)bytes;
    v.v.bytes.len = len;
    break;
  default:
    break;
  }
  return v;
}

/* A formatter under test, behind one signature. */
typedef int (*format_fn)(char *buf, size_t size, const void *arg);

static int call_value_format(char *buf, size_t size, const void *arg) {
  return usnmp_value_format(buf, size, arg);
}
static int call_varbind_format(char *buf, size_t size, const void *arg) {
  return usnmp_varbind_format(buf, size, arg);
}
static int call_json_format(char *buf, size_t size, const void *arg) {
  return usnmp_varbind_format_json(buf, size, arg);
}

/* Formats with every buffer size from 0 to the full length + 2 and checks
 * snprintf's rules each time: the same return value, a NUL-terminated
 * prefix of the full text, and nothing written past size. */
static void check_all_sizes(format_fn fn, const void *arg,
                            const char *expected) {
  size_t len = strlen(expected);
  size_t cap = len + 3;
  char *buf = malloc(cap + 8);
  assert_non_null(buf);
  /* Measuring with no buffer at all. */
  assert_int_equal(fn(NULL, 0, arg), (int)len);
  for (size_t size = 0; size <= len + 2; size++) {
    memset(buf, 0x5a, cap + 8);
    assert_int_equal(fn(buf, size, arg), (int)len);
    if (size > 0) {
      size_t kept = len < size - 1 ? len : size - 1;
      assert_memory_equal(buf, expected, kept);
      assert_int_equal(buf[kept], '\0');
    }
    for (size_t i = size; i < cap + 8; i++)
      assert_int_equal((unsigned char)buf[i], 0x5a);
  }
  free(buf);
}

static void test_netsnmp_values(void **state) {
  (void)state;
  char line[4096];
  char expected[4096];
  for (size_t i = 0; i < sizeof(netsnmp_cases) / sizeof(netsnmp_cases[0]);
       i++) {
    const fmt_case *c = &netsnmp_cases[i];
    usnmp_varbind vb;
    uint8_t name[16];
    int n;
    vb.oid = name;
    vb.oid_len = case_name(name, (uint32_t)c->n);
    vb.value = make_value(c->type, c->num, c->bytes, c->len);

    n = usnmp_value_format(line, sizeof(line), &vb.value);
    if (n < 0 || strcmp(line, c->text) != 0)
      fail_msg("case %d: got %d \"%s\", want \"%s\"", c->n, n, line, c->text);
    assert_int_equal(n, (int)strlen(c->text));

    snprintf(expected, sizeof(expected), ".1.3.6.1.4.1.99999.%d = %s", c->n,
             c->text);
    n = usnmp_varbind_format(line, sizeof(line), &vb);
    if (n < 0 || strcmp(line, expected) != 0)
      fail_msg("case %d: got \"%s\", want \"%s\"", c->n, line, expected);
    assert_int_equal(n, (int)strlen(expected));
  }
}

static void test_truncation_every_size(void **state) {
  (void)state;
  char expected[4096];
  for (size_t i = 0; i < sizeof(netsnmp_cases) / sizeof(netsnmp_cases[0]);
       i++) {
    const fmt_case *c = &netsnmp_cases[i];
    usnmp_varbind vb;
    uint8_t name[16];
    vb.oid = name;
    vb.oid_len = case_name(name, (uint32_t)c->n);
    vb.value = make_value(c->type, c->num, c->bytes, c->len);
    check_all_sizes(call_value_format, &vb.value, c->text);
    snprintf(expected, sizeof(expected), ".1.3.6.1.4.1.99999.%d = %s", c->n,
             c->text);
    check_all_sizes(call_varbind_format, &vb, expected);
    assert_true(usnmp_varbind_format_json(expected, sizeof(expected), &vb) > 0);
    check_all_sizes(call_json_format, &vb, expected);
  }
}

static void test_rejected_values(void **state) {
  (void)state;
  char line[512];
  for (size_t i = 0; i < sizeof(rejected_cases) / sizeof(rejected_cases[0]);
       i++) {
    const rejected_case *c = &rejected_cases[i];
    usnmp_value v = make_value(c->type, 0, c->bytes, c->len);
    int n = usnmp_value_format(line, sizeof(line), &v);
    if (c->err != 0) {
      assert_int_equal(n, c->err);
      assert_string_equal(line, ""); /* no half text is left behind */
      assert_int_equal(usnmp_value_format(NULL, 0, &v), c->err);
    } else {
      assert_string_equal(line, c->text);
      assert_int_equal(n, (int)strlen(c->text));
    }
  }
}

/* Names net-snmp prints oddly, from the same fake agent (the reply's name
 * replaced): 06 00, 06 01 00 and 06 03 88 37 01. */
static void test_names(void **state) {
  (void)state;
  static const uint8_t two_999_1[] = {0x88, 0x37, 0x01};
  static const uint8_t zero_zero[] = {0x00};
  char line[128];
  usnmp_varbind vb;

  memset(&vb, 0, sizeof(vb));
  vb.value.type = USNMP_TYPE_NULL;
  vb.oid = NULL;
  vb.oid_len = 0;
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), &vb), 9);
  assert_string_equal(line, ".0 = NULL");
  vb.oid = zero_zero;
  vb.oid_len = sizeof(zero_zero);
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), &vb), 11);
  assert_string_equal(line, ".0.0 = NULL");
  vb.oid = two_999_1;
  vb.oid_len = sizeof(two_999_1);
  vb.value.type = USNMP_TYPE_INTEGER;
  vb.value.v.integer = 65536;
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), &vb), 25);
  assert_string_equal(line, ".2.999.1 = INTEGER: 65536");

  /* A malformed name is an error, and the value is not printed. */
  static const uint8_t truncated[] = {0x2b, 0x86};
  vb.oid = truncated;
  vb.oid_len = sizeof(truncated);
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), &vb),
                   USNMP_E_BAD_OID);
  assert_string_equal(line, "");
  assert_int_equal(usnmp_varbind_format_json(line, sizeof(line), &vb),
                   USNMP_E_BAD_OID);
  assert_string_equal(line, "");
}

static void test_error_status_text(void **state) {
  (void)state;
  static const char *const want[] = {
      "(noError) No Error",
      "(tooBig) Response message would have been too large.",
      "(noSuchName) There is no such variable name in this MIB.",
      "(badValue) The value given has the wrong type or length.",
      "(readOnly) The two parties used do not have access to use the "
      "specified SNMP PDU.",
      "(genError) A general failure occured",
      "noAccess",
      "wrongType (The set datatype does not match the data type the agent "
      "expects)",
      "wrongLength (The set value has an illegal length from what the agent "
      "expects)",
      "wrongEncoding",
      "wrongValue (The set value is illegal or unsupported in some way)",
      "noCreation (That table does not support row creation or that object "
      "can not ever be created)",
      "inconsistentValue (The set value is illegal or unsupported in some "
      "way)",
      "resourceUnavailable (This is likely a out-of-memory failure within "
      "the agent)",
      "commitFailed",
      "undoFailed",
      "authorizationError (access denied to that object)",
      "notWritable (That object does not support modification)",
      "inconsistentName (That object can not currently be created)",
  };
  for (int32_t i = 0; i <= 18; i++)
    assert_string_equal(usnmp_error_status_text(i), want[i]);
  assert_string_equal(usnmp_error_status_text(USNMP_ERROR_STATUS_NOSUCHNAME),
                      "(noSuchName) There is no such variable name in this "
                      "MIB.");
  static const int32_t unknown[] = {-2, -1, 19, 20, 1000, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
    assert_string_equal(usnmp_error_status_text(unknown[i]), "Unknown Error");
}

/* RFC 3416's short names, one per error-status, and "unknown" beyond. */
static void test_error_status_name(void **state) {
  (void)state;
  static const char *const want[] = {"noError",
                                     "tooBig",
                                     "noSuchName",
                                     "badValue",
                                     "readOnly",
                                     "genErr",
                                     "noAccess",
                                     "wrongType",
                                     "wrongLength",
                                     "wrongEncoding",
                                     "wrongValue",
                                     "noCreation",
                                     "inconsistentValue",
                                     "resourceUnavailable",
                                     "commitFailed",
                                     "undoFailed",
                                     "authorizationError",
                                     "notWritable",
                                     "inconsistentName"};
  for (int32_t i = 0; i <= 18; i++)
    assert_string_equal(usnmp_error_status_name(i), want[i]);
  assert_string_equal(usnmp_error_status_name(USNMP_ERROR_STATUS_NOACCESS),
                      "noAccess");
  static const int32_t unknown[] = {-1, 19, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
    assert_string_equal(usnmp_error_status_name(unknown[i]), "unknown");
}

static void test_bad_arguments(void **state) {
  (void)state;
  char line[64];
  usnmp_value v = make_value(USNMP_TYPE_INTEGER, 5, NULL, 0);
  usnmp_varbind vb;
  static const uint8_t name[] = {0x2b, 0x06};

  vb.oid = name;
  vb.oid_len = sizeof(name);
  vb.value = v;
  assert_int_equal(usnmp_value_format(NULL, 1, &v), USNMP_E_INVAL);
  assert_int_equal(usnmp_value_format(line, sizeof(line), NULL), USNMP_E_INVAL);
  assert_int_equal(usnmp_varbind_format(NULL, 5, &vb), USNMP_E_INVAL);
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), NULL),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_varbind_format_json(NULL, 5, &vb), USNMP_E_INVAL);
  assert_int_equal(usnmp_varbind_format_json(line, sizeof(line), NULL),
                   USNMP_E_INVAL);

  /* A type that is not an SMI type of the wire. */
  memcpy(line, "junk", 5);
  v.type = (usnmp_type)0x47;
  assert_int_equal(usnmp_value_format(line, sizeof(line), &v),
                   USNMP_E_BAD_VALUE);
  assert_string_equal(line, "");
  vb.value = v;
  assert_int_equal(usnmp_varbind_format(line, sizeof(line), &vb),
                   USNMP_E_BAD_VALUE);
  assert_int_equal(usnmp_varbind_format_json(line, sizeof(line), &vb),
                   USNMP_E_BAD_VALUE);
  assert_string_equal(line, "");

  /* Bytes types with no data but a length. */
  static const uint8_t types[] = {USNMP_TYPE_OCTET_STRING, USNMP_TYPE_OID,
                                  USNMP_TYPE_OPAQUE};
  for (size_t i = 0; i < sizeof(types); i++) {
    v = make_value(types[i], 0, NULL, 3);
    vb.value = v;
    assert_int_equal(usnmp_value_format(line, sizeof(line), &v), USNMP_E_INVAL);
    assert_int_equal(usnmp_varbind_format_json(line, sizeof(line), &vb),
                     USNMP_E_INVAL);
    /* Empty with no data is a fine empty value. */
    v = make_value(types[i], 0, NULL, 0);
    vb.value = v;
    assert_true(usnmp_value_format(line, sizeof(line), &v) > 0);
    assert_true(usnmp_varbind_format_json(line, sizeof(line), &vb) > 0);
  }
  v = make_value(USNMP_TYPE_IPADDRESS, 0, NULL, 4);
  assert_int_equal(usnmp_value_format(line, sizeof(line), &v),
                   USNMP_E_BAD_VALUE);
  vb.value = make_value(USNMP_TYPE_IPADDRESS, 0, "\1\2\3", 3);
  assert_int_equal(usnmp_varbind_format_json(line, sizeof(line), &vb),
                   USNMP_E_BAD_VALUE);
}

/* ------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

/* A strict reader for exactly the JSON that usnmp_varbind_format_json()
 * promises: {"oid":STRING,"type":STRING,"value":VALUE}, where VALUE is a
 * number, a string, null or {"hex":STRING}.  It refuses what a JSON
 * parser must refuse in strings (raw control characters, bad escapes),
 * so a pass proves the output is valid JSON as well as right. */
typedef struct json_vb {
  char oid[1024];
  char type[32];
  enum { JV_NUMBER, JV_STRING, JV_NULL, JV_HEX } kind;
  char number[32];
  uint8_t bytes[2048]; /* decoded string or hex */
  size_t len;
} json_vb;

static int lit(const char **p, const char *s) {
  size_t n = strlen(s);
  if (strncmp(*p, s, n) != 0)
    return 0;
  *p += n;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int put_utf8(uint8_t *out, size_t cap, size_t *len, uint32_t cp) {
  uint8_t tmp[4];
  size_t n;
  if (cp < 0x80) {
    tmp[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    tmp[0] = (uint8_t)(0xc0 | cp >> 6);
    tmp[1] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    tmp[0] = (uint8_t)(0xe0 | cp >> 12);
    tmp[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    tmp[2] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    tmp[0] = (uint8_t)(0xf0 | cp >> 18);
    tmp[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    tmp[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    tmp[3] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 4;
  }
  if (*len + n > cap)
    return 0;
  memcpy(out + *len, tmp, n);
  *len += n;
  return 1;
}

static int read_u4(const char **p, uint32_t *cp) {
  *cp = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval((*p)[i]);
    if (h < 0)
      return 0;
    *cp = *cp << 4 | (uint32_t)h;
  }
  *p += 4;
  return 1;
}

/* Reads a JSON string into out; returns 1 or 0. */
static int read_string(const char **p, uint8_t *out, size_t cap, size_t *len) {
  const char *s = *p;
  *len = 0;
  if (*s++ != '"')
    return 0;
  while (*s != '"') {
    uint8_t c = (uint8_t)*s;
    if (c == '\0' || c < 0x20)
      return 0;
    if (c != '\\') {
      if (*len >= cap)
        return 0;
      out[(*len)++] = c;
      s++;
      continue;
    }
    s++;
    uint32_t cp;
    switch (*s++) {
    case '"':
      cp = '"';
      break;
    case '\\':
      cp = '\\';
      break;
    case '/':
      cp = '/';
      break;
    case 'b':
      cp = '\b';
      break;
    case 'f':
      cp = '\f';
      break;
    case 'n':
      cp = '\n';
      break;
    case 'r':
      cp = '\r';
      break;
    case 't':
      cp = '\t';
      break;
    case 'u':
      if (!read_u4(&s, &cp))
        return 0;
      if (cp >= 0xd800 && cp < 0xdc00) {
        uint32_t lo;
        if (s[0] != '\\' || s[1] != 'u')
          return 0;
        s += 2;
        if (!read_u4(&s, &lo) || lo < 0xdc00 || lo > 0xdfff)
          return 0;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      } else if (cp >= 0xdc00 && cp < 0xe000) {
        return 0;
      }
      break;
    default:
      return 0;
    }
    if (!put_utf8(out, cap, len, cp))
      return 0;
  }
  *p = s + 1;
  return 1;
}

static int parse_json_vb(const char *text, json_vb *j) {
  const char *p = text;
  size_t n;
  memset(j, 0, sizeof(*j));
  if (!lit(&p, "{\"oid\":") ||
      !read_string(&p, (uint8_t *)j->oid, sizeof(j->oid) - 1, &n))
    return 0;
  if (!lit(&p, ",\"type\":") ||
      !read_string(&p, (uint8_t *)j->type, sizeof(j->type) - 1, &n))
    return 0;
  if (!lit(&p, ",\"value\":"))
    return 0;
  if (lit(&p, "null")) {
    j->kind = JV_NULL;
  } else if (*p == '"') {
    j->kind = JV_STRING;
    if (!read_string(&p, j->bytes, sizeof(j->bytes), &j->len))
      return 0;
  } else if (lit(&p, "{\"hex\":\"")) {
    j->kind = JV_HEX;
    while (*p != '"') {
      int hi = hexval(p[0]), lo = hexval(p[1]);
      /* Lowercase digits only, as promised. */
      if (hi < 0 || lo < 0 || (p[0] >= 'A' && p[0] <= 'F') ||
          (p[1] >= 'A' && p[1] <= 'F') || j->len >= sizeof(j->bytes))
        return 0;
      j->bytes[j->len++] = (uint8_t)(hi << 4 | lo);
      p += 2;
    }
    if (!lit(&p, "\"}"))
      return 0;
  } else {
    /* -?digits, no leading zero, no fraction: integers only. */
    size_t k = 0;
    j->kind = JV_NUMBER;
    if (*p == '-')
      j->number[k++] = *p++;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
      return 0;
    while (*p >= '0' && *p <= '9' && k < sizeof(j->number) - 1)
      j->number[k++] = *p++;
  }
  return lit(&p, "}") && *p == '\0';
}

/* A varbind, its JSON text, and for round trips the value it must give
 * back. */
typedef struct json_case {
  uint8_t type;
  uint64_t num;
  size_t len;
  const char *bytes;
  const char *json_value; /* the text after "value": */
} json_case;

#define S(lit) sizeof(lit) - 1, lit

static const json_case json_cases[] = {
    {USNMP_TYPE_INTEGER, (uint64_t)-5, 0, NULL, "-5"},
    {USNMP_TYPE_INTEGER, (uint64_t)(int64_t)INT32_MIN, 0, NULL, "-2147483648"},
    {USNMP_TYPE_INTEGER, INT32_MAX, 0, NULL, "2147483647"},
    {USNMP_TYPE_COUNTER32, UINT32_MAX, 0, NULL, "4294967295"},
    {USNMP_TYPE_GAUGE32, 0, 0, NULL, "0"},
    {USNMP_TYPE_TIMETICKS, 12345, 0, NULL, "12345"},
    {USNMP_TYPE_COUNTER64, 0, 0, NULL, "0"},
    {USNMP_TYPE_COUNTER64, UINT64_C(9007199254740992), 0, NULL,
     "9007199254740992"},
    {USNMP_TYPE_COUNTER64, UINT64_C(9007199254740993), 0, NULL,
     "\"9007199254740993\""},
    {USNMP_TYPE_COUNTER64, UINT64_MAX, 0, NULL, "\"18446744073709551615\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("abc"), "\"abc\""},
    {USNMP_TYPE_OCTET_STRING, 0, S(""), "\"\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("a\"b\\c/"), "\"a\\\"b\\\\c/\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("l1\r\nl2\t\v\f"),
     "\"l1\\r\\nl2\\t\\u000b\\f\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("caf\xc3\xa9"), "\"caf\xc3\xa9\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xc2\xa0\xe2\x80\xa8\xf0\x9f\x98\x80"),
     "\"\xc2\xa0\xe2\x80\xa8\xf0\x9f\x98\x80\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xef\xbf\xbf\xf4\x8f\xbf\xbf"),
     "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("</script>%s"), "\"</script>%s\""},
    {USNMP_TYPE_OCTET_STRING, 0, S("ab\0"), "{\"hex\":\"616200\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\x7f"), "{\"hex\":\"7f\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\x1b[0m"), "{\"hex\":\"1b5b306d\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\x80"), "{\"hex\":\"80\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xc0\xaf"), "{\"hex\":\"c0af\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xe0\x9f\xbf"), "{\"hex\":\"e09fbf\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xed\xa0\x80"), "{\"hex\":\"eda080\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xf0\x8f\xbf\xbf"),
     "{\"hex\":\"f08fbfbf\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xf4\x90\x80\x80"),
     "{\"hex\":\"f4908080\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xf5\x80\x80\x80"),
     "{\"hex\":\"f5808080\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xc2\x85"), "{\"hex\":\"c285\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("x\xe2\x82"), "{\"hex\":\"78e282\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xe2\x28\xa1"), "{\"hex\":\"e228a1\"}"},
    {USNMP_TYPE_OCTET_STRING, 0, S("\xff\xfe"), "{\"hex\":\"fffe\"}"},
    {USNMP_TYPE_OID, 0, S("\x2b\x06\x01\x02\x01\x01\x01\x00"),
     "\".1.3.6.1.2.1.1.1.0\""},
    {USNMP_TYPE_OID, 0, S("\x88\x37\x01"), "\".2.999.1\""},
    {USNMP_TYPE_IPADDRESS, 0, S("\x0a\x01\x02\x03"), "\"10.1.2.3\""},
    {USNMP_TYPE_OPAQUE, 0, S("\x9f\x78\x04\x3f\xc0\x00\x00"),
     "{\"hex\":\"9f78043fc00000\"}"},
    {USNMP_TYPE_OPAQUE, 0, S(""), "{\"hex\":\"\"}"},
    {USNMP_TYPE_NULL, 0, 0, NULL, "null"},
    {USNMP_TYPE_NOSUCHOBJECT, 0, 0, NULL, "null"},
    {USNMP_TYPE_NOSUCHINSTANCE, 0, 0, NULL, "null"},
    {USNMP_TYPE_ENDOFMIBVIEW, 0, 0, NULL, "null"},
};

static const char *json_type(uint8_t type) {
  switch (type) {
  case USNMP_TYPE_INTEGER:
    return "INTEGER";
  case USNMP_TYPE_OCTET_STRING:
    return "OCTET STRING";
  case USNMP_TYPE_NULL:
    return "NULL";
  case USNMP_TYPE_OID:
    return "OBJECT IDENTIFIER";
  case USNMP_TYPE_IPADDRESS:
    return "IpAddress";
  case USNMP_TYPE_COUNTER32:
    return "Counter32";
  case USNMP_TYPE_GAUGE32:
    return "Gauge32";
  case USNMP_TYPE_TIMETICKS:
    return "TimeTicks";
  case USNMP_TYPE_OPAQUE:
    return "Opaque";
  case USNMP_TYPE_COUNTER64:
    return "Counter64";
  case USNMP_TYPE_NOSUCHOBJECT:
    return "noSuchObject";
  case USNMP_TYPE_NOSUCHINSTANCE:
    return "noSuchInstance";
  case USNMP_TYPE_ENDOFMIBVIEW:
    return "endOfMibView";
  }
  return "?";
}

/* Checks that j, parsed from usnmp's JSON, gives back the value v. */
static void check_round_trip(const json_vb *j, const usnmp_value *v) {
  char num[32];
  switch (v->type) {
  case USNMP_TYPE_INTEGER:
    assert_int_equal(j->kind, JV_NUMBER);
    assert_int_equal(strtoll(j->number, NULL, 10), v->v.integer);
    break;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    assert_int_equal(j->kind, JV_NUMBER);
    assert_int_equal(strtoull(j->number, NULL, 10), v->v.u32);
    break;
  case USNMP_TYPE_COUNTER64:
    snprintf(num, sizeof(num), "%llu", (unsigned long long)v->v.u64);
    if (j->kind == JV_NUMBER) {
      assert_true(v->v.u64 <= (UINT64_C(1) << 53));
      /* The number survives a double, as a JSON reader would hold it. */
      assert_true((uint64_t)strtod(j->number, NULL) == v->v.u64);
      assert_string_equal(j->number, num);
    } else {
      assert_int_equal(j->kind, JV_STRING);
      assert_true(v->v.u64 > (UINT64_C(1) << 53));
      assert_int_equal(j->len, strlen(num));
      assert_memory_equal(j->bytes, num, j->len);
    }
    break;
  case USNMP_TYPE_OCTET_STRING:
  case USNMP_TYPE_OPAQUE:
    assert_true(j->kind == JV_STRING || j->kind == JV_HEX);
    if (v->type == USNMP_TYPE_OPAQUE)
      assert_int_equal(j->kind, JV_HEX);
    assert_int_equal(j->len, v->v.bytes.len);
    if (j->len > 0)
      assert_memory_equal(j->bytes, v->v.bytes.data, j->len);
    break;
  case USNMP_TYPE_OID:
  case USNMP_TYPE_IPADDRESS:
    assert_int_equal(j->kind, JV_STRING);
    break;
  default:
    assert_int_equal(j->kind, JV_NULL);
    break;
  }
}

static void test_json(void **state) {
  (void)state;
  char line[2048];
  char expected[2048];
  for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
    const json_case *c = &json_cases[i];
    usnmp_varbind vb;
    uint8_t name[16];
    json_vb j;
    int n;
    vb.oid = name;
    vb.oid_len = case_name(name, (uint32_t)i);
    vb.value = make_value(c->type, c->num, c->bytes, c->len);
    snprintf(expected, sizeof(expected),
             "{\"oid\":\".1.3.6.1.4.1.99999.%zu\",\"type\":\"%s\","
             "\"value\":%s}",
             i, json_type(c->type), c->json_value);
    n = usnmp_varbind_format_json(line, sizeof(line), &vb);
    if (n < 0 || strcmp(line, expected) != 0)
      fail_msg("json case %zu: got %d %s, want %s", i, n, line, expected);
    assert_int_equal(n, (int)strlen(expected));
    check_all_sizes(call_json_format, &vb, expected);
    if (!parse_json_vb(line, &j))
      fail_msg("json case %zu: not the promised JSON: %s", i, line);
    snprintf(expected, sizeof(expected), ".1.3.6.1.4.1.99999.%zu", i);
    assert_string_equal(j.oid, expected);
    assert_string_equal(j.type, json_type(c->type));
    check_round_trip(&j, &vb.value);
  }
}

/* Every byte string of length 1 and 2, and many random short strings of
 * bytes picked to hit UTF-8 edges, must give JSON that parses and gives
 * the bytes back. */
static void test_json_round_trip_many(void **state) {
  (void)state;
  static const uint8_t interesting[] = {
      0x00, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x22,
      0x2f, 0x41, 0x5c, 0x7e, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
      0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
      0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xfe, 0xff};
  uint8_t name[16];
  uint8_t data[8];
  char line[256];
  usnmp_varbind vb;
  json_vb j;
  uint32_t seed = 12345;
  int text = 0, hex = 0;

  vb.oid = name;
  vb.oid_len = case_name(name, 1);
  for (uint32_t k = 0; k < 65536 + 256 + 20000; k++) {
    size_t len;
    if (k < 256) {
      data[0] = (uint8_t)k;
      len = 1;
    } else if (k < 256 + 65536) {
      data[0] = (uint8_t)((k - 256) >> 8);
      data[1] = (uint8_t)(k - 256);
      len = 2;
    } else {
      seed = seed * 1103515245u + 12345u;
      len = 1 + (seed >> 16) % sizeof(data);
      for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = interesting[(seed >> 16) % sizeof(interesting)];
      }
    }
    vb.value = make_value(USNMP_TYPE_OCTET_STRING, 0, (const char *)data, len);
    int n = usnmp_varbind_format_json(line, sizeof(line), &vb);
    assert_true(n > 0 && (size_t)n < sizeof(line));
    if (!parse_json_vb(line, &j))
      fail_msg("not JSON: %s", line);
    check_round_trip(&j, &vb.value);
    if (j.kind == JV_STRING)
      text++;
    else
      hex++;
  }
  /* Both forms were exercised. */
  assert_true(text > 1000);
  assert_true(hex > 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_netsnmp_values),
      cmocka_unit_test(test_rejected_values),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_truncation_every_size),
      cmocka_unit_test(test_error_status_text),
      cmocka_unit_test(test_error_status_name),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_json_round_trip_many),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
