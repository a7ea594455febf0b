#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_msg into test/fuzz/corpus/.

Valid seeds are the net-snmp messages of test/captures/ (one file per
message), and tolerated-<what>.ber: encodings real agents send that have
one meaning and that the decoder reads (non-minimal lengths and integers,
padded OIDs, undecodable values, trailing bytes).  Malformed seeds are
named bad-<ERROR>-<what>.ber, where <ERROR> is the usnmp error the decoder
must return (USNMP_E_<ERROR>); test/test_fuzz_corpus.c checks both kinds.

    python3 test/fuzz/make_corpus.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(HERE, '..', 'captures')
CORPUS = os.path.join(HERE, 'corpus')


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        hdr = bytes([tag, n])
    elif n <= 0xff:
        hdr = bytes([tag, 0x81, n])
    elif n <= 0xffff:
        hdr = bytes([tag, 0x82, n >> 8, n & 0xff])
    else:
        hdr = bytes([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff])
    return hdr + body


def message(varbinds, version=1, pdu_tag=0xa2,
            fields=bytes.fromhex('020101020100020100')):
    vbl = tlv(0x30, b''.join(varbinds))
    pdu = tlv(pdu_tag, fields + vbl)
    return tlv(0x30, tlv(0x02, bytes([version])) + tlv(0x04, b'public') + pdu)


def varbind(value, name=bytes.fromhex('2b0601')):
    return tlv(0x30, tlv(0x06, name) + value)


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for old in os.listdir(CORPUS):
        os.remove(os.path.join(CORPUS, old))
    seeds = {}
    for fname in sorted(os.listdir(CAPTURES)):
        if not fname.endswith('.txt'):
            continue
        count = {}
        for line in open(os.path.join(CAPTURES, fname)):
            if line.startswith('#') or not line.strip():
                continue
            kind, hexdata = line.split()
            count[kind] = count.get(kind, 0) + 1
            suffix = '' if count[kind] == 1 else str(count[kind])
            seeds['%s-%s%s.ber' % (fname[:-4], kind, suffix)] = \
                bytes.fromhex(hexdata)

    good = seeds['get_v2c-response.ber']
    nested = tlv(0x05, b'')
    for _ in range(20):
        nested = tlv(0x30, nested)
    bad = {
        'TRAILING-in-varbind':
            message([tlv(0x30, tlv(0x06, b'\x2b') + b'\x05\x00\x05\x00')]),
        'BAD_LENGTH-nine-octets': message([varbind(b'\x04\x89' + b'\x00' * 9)]),
        'BAD_OID-unterminated':
            message([varbind(b'\x05\x00', bytes.fromhex('2b8080'))]),
        'TRUNCATED-half': good[:len(good) // 2],
        'INDEFINITE_LENGTH-outer': b'\x30\x80' + good[2:] + b'\x00\x00',
        'MULTIBYTE_TAG-value': message([varbind(b'\x1f\x01\x00')]),
        'DEPTH-value': message([varbind(nested)]),
        'OID_SUBID_OVERFLOW-name':
            message([varbind(b'\x05\x00', bytes.fromhex('2b9080808000'))]),
        'OID_TOO_LONG-name':
            message([varbind(b'\x05\x00', b'\x2b' + b'\x01' * 127)]),
        'BAD_VERSION-3': message([varbind(b'\x05\x00')], version=3),
        'BAD_PDU_TYPE-a9': message([varbind(b'\x05\x00')], pdu_tag=0xa9),
        'BAD_PDU_TYPE-v1-getbulk':
            message([varbind(b'\x05\x00')], version=0, pdu_tag=0xa5),
        'BAD_TAG-outer': b'\x31' + good[1:],
        'TOO_MANY_VARBINDS-2049':
            message([varbind(b'\x05\x00')] * 2049),
    }
    # Encodings with one meaning that real agents send: read, not refused.
    tolerated = {
        'length-81': message([varbind(b'\x04\x81\x01\x41')]),
        'length-outer-84': b'\x30\x84\x00\x00\x00' + good[1:2] + good[2:],
        'trailing-zero': good + b'\x00',
        'trailing-15': good + bytes(range(15)),
        'integer-padded': message([varbind(tlv(0x02, b'\x00\x01'))]),
        'integer-min-5': message([varbind(tlv(0x02, b'\xff\x80\x00\x00\x00'))]),
        'request-id-padded': message(
            [varbind(b'\x05\x00')],
            fields=bytes.fromhex('0205fffb6a6517020100020100')),
        'counter32-no-pad': message([varbind(tlv(0x41, b'\xb3\x99\x9f\xcb'))]),
        'counter64-no-pad': message([varbind(tlv(0x46, b'\xff' * 8))]),
        'oid-name-padded':
            message([varbind(b'\x05\x00', bytes.fromhex('2b8001'))]),
        'oid-value-padded': message([varbind(tlv(0x06, bytes.fromhex('2b80800601')))]),
        'null-content': message([varbind(b'\x05\x01\x00')]),
        'undecodable-empty-integer': message([varbind(b'\x02\x00')]),
        'undecodable-counter64':
            message([varbind(tlv(0x46, b'\x01' + b'\x00' * 9))]),
        'undecodable-integer':
            message([varbind(tlv(0x02, b'\x01\x00\x00\x00\x00'))]),
        'undecodable-ipaddress': message([varbind(tlv(0x40, b'\x7f\x00\x01'))]),
        'undecodable-unknown-tag': message([varbind(b'\x47\x02\x01\x02')]),
    }
    for name, data in tolerated.items():
        seeds['tolerated-%s.ber' % name] = data
    for name, data in bad.items():
        seeds['bad-%s.ber' % name] = data
    for name, data in seeds.items():
        with open(os.path.join(CORPUS, name), 'wb') as f:
            f.write(data)
    print('%d seeds' % len(seeds))


if __name__ == '__main__':
    main()
