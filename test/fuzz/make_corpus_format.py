#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_format into test/fuzz/corpus-format/.

Each seed is one varbind in the layout of format_check.h: the value's type
(its BER tag), the length of the name, the name (BER content octets) and
the value (octets, or a little-endian number).  Seeds the formatters must
refuse are named bad-<ERROR>-<what>.bin, where <ERROR> is the usnmp error
usnmp_varbind_format() returns (USNMP_E_<ERROR>); test/test_fuzz_corpus.c
checks both kinds.

    python3 test/fuzz/make_corpus_format.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus-format')

SYS_DESCR = bytes([0x2b, 6, 1, 2, 1, 1, 1, 0])       # .1.3.6.1.2.1.1.1.0
IF_DESCR = bytes([0x2b, 6, 1, 2, 1, 2, 2, 1, 2, 0x81, 0x80, 0x01])
BIG_ARC = bytes([0x2b, 6, 1, 4, 1, 0x8f, 0xff, 0xff, 0xff, 0x7f])  # 2^32-1

INTEGER, OCTETS, NULL, OID = 0x02, 0x04, 0x05, 0x06
IPADDRESS, COUNTER32, GAUGE32, TIMETICKS = 0x40, 0x41, 0x42, 0x43
OPAQUE, COUNTER64 = 0x44, 0x46
NOSUCHOBJECT, NOSUCHINSTANCE, ENDOFMIBVIEW = 0x80, 0x81, 0x82


def seed(tag, value, name=SYS_DESCR):
    return bytes([tag, len(name)]) + name + value


def le32(x):
    return struct.pack('<I', x & 0xffffffff)


def le64(x):
    return struct.pack('<Q', x)


GOOD = {
    'integer-5': seed(INTEGER, le32(5)),
    'integer-min': seed(INTEGER, le32(-2**31)),
    'integer-short': seed(INTEGER, b'\x07'),
    'counter32-max': seed(COUNTER32, le32(2**32 - 1)),
    'gauge32': seed(GAUGE32, le32(1000000000)),
    'timeticks': seed(TIMETICKS, le32(8640000123)),
    'timeticks-zero': seed(TIMETICKS, b''),
    'counter64-small': seed(COUNTER64, le64(2**53)),
    'counter64-big': seed(COUNTER64, le64(2**53 + 1)),
    'counter64-max': seed(COUNTER64, le64(2**64 - 1)),
    'string': seed(OCTETS, b'usnmp test agent'),
    'string-empty': seed(OCTETS, b''),
    'string-controls': seed(OCTETS, b'tab\there\nnew\rline\x0b\x0c"q"\\'),
    'string-binary': seed(OCTETS, bytes(range(0, 40))),
    'string-hex-lines': seed(OCTETS, bytes(range(0x80, 0xa2))),
    'string-utf8': seed(OCTETS, 'déjà vu € 𝄞'.encode('utf-8')),
    'string-utf8-overlong': seed(OCTETS, b'\xc0\xaf'),
    'string-utf8-surrogate': seed(OCTETS, b'\xed\xa0\x80'),
    'string-utf8-c1': seed(OCTETS, b'\xc2\x85'),
    'string-utf8-cut': seed(OCTETS, b'abc\xe2\x82'),
    'string-del': seed(OCTETS, b'a\x7fb'),
    'null': seed(NULL, b''),
    'oid': seed(OID, IF_DESCR),
    'oid-big-arc': seed(OID, BIG_ARC),
    'oid-zero': seed(OID, b'\x00'),
    'ipaddress': seed(IPADDRESS, bytes([10, 1, 2, 255])),
    'opaque': seed(OPAQUE, b'\x01\x02\x03'),
    'opaque-empty': seed(OPAQUE, b''),
    'opaque-float': seed(OPAQUE, b'\x9f\x78\x04' + struct.pack('>f', 1.5)),
    'opaque-float-nan': seed(OPAQUE, b'\x9f\x78\x04\x7f\xc0\x00\x00'),
    'opaque-float-huge': seed(OPAQUE, b'\x9f\x78\x04' + struct.pack('>f', 3e38)),
    'opaque-double': seed(OPAQUE, b'\x9f\x79\x08' + struct.pack('>d', -1e300)),
    'opaque-counter64': seed(OPAQUE, b'\x9f\x76\x02\x01\x00'),
    'opaque-int64': seed(OPAQUE, b'\x9f\x7a\x01\xff'),
    'opaque-uint64': seed(OPAQUE, b'\x9f\x7b\x09\x00' + b'\xff' * 8),
    'opaque-float-short': seed(OPAQUE, b'\x9f\x78\x03\x00\x00\x00'),
    'nosuchobject': seed(NOSUCHOBJECT, b''),
    'nosuchinstance': seed(NOSUCHINSTANCE, b''),
    'endofmibview': seed(ENDOFMIBVIEW, b''),
    'name-long-arcs': seed(INTEGER, le32(1), IF_DESCR),
    'name-max-len': seed(INTEGER, le32(1), b'\x2b' + b'\x01' * 126),
    'name-empty': seed(INTEGER, le32(1), b''),
    'name-padding': seed(INTEGER, le32(1), b'\x2b\x80\x01'),
}

BAD = {
    'BAD_VALUE-type-30': seed(0x30, b'\x01'),
    'BAD_VALUE-type-45': seed(0x45, b''),
    'BAD_VALUE-ipaddress-3': seed(IPADDRESS, b'\x01\x02\x03'),
    'BAD_VALUE-ipaddress-5': seed(IPADDRESS, b'\x01\x02\x03\x04\x05'),
    'BAD_OID-name-unterminated': seed(INTEGER, le32(1), b'\x2b\x86'),
    'OID_SUBID_OVERFLOW-name': seed(INTEGER, le32(1),
                                    b'\x2b\x90\x80\x80\x80\x00'),
    'OID_TOO_LONG-name': seed(INTEGER, le32(1), b'\x2b' + b'\x01' * 127),
    'BAD_OID-value-unterminated': seed(OID, b'\x2b\x06\x81'),
    'OID_SUBID_OVERFLOW-value': seed(OID, b'\x2b\x90\x80\x80\x80\x00'),
}


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for old in os.listdir(CORPUS):
        os.remove(os.path.join(CORPUS, old))
    for name, data in GOOD.items():
        with open(os.path.join(CORPUS, name + '.bin'), 'wb') as f:
            f.write(data)
    for name, data in BAD.items():
        with open(os.path.join(CORPUS, 'bad-' + name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
