#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_msg3 into test/fuzz/corpus-v3/.

Each seed is a mode byte and a payload (see test/fuzz/msg3_check.h):
mode 0x00 is a raw datagram, here frames captured from net-snmp (the
frames of test/test_msg3.c); the signed modes carry plaintext scoped PDUs
taken from the clear-text captured frames, which the harness encrypts and
signs itself.  Malformed seeds are named bad-<ERROR>-<what>.bin, where
<ERROR> is the usnmp error the check must return (USNMP_E_<ERROR>);
test/test_fuzz_corpus.c checks both kinds.

    python3 test/fuzz/make_corpus_v3.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus-v3')

RAW = 0x00
AES_PLAIN = 0x01    # signed, SHA/AES, payload is the whole plaintext
DES_PLAIN = 0x03    # signed, MD5/DES, payload is the whole plaintext
NOPRIV_PLAIN = 0x05 # signed, SHA authNoPriv, payload is msgData
AES = 0x09          # signed, SHA/AES, payload inside the scoped SEQUENCE
DES = 0x0b
NOPRIV = 0x0d

FRAMES = {
    # discovery probe, unknownEngineID report (net-snmp 5.9.3)
    'probe': '303e020103301102041288ba24020300ffe30401040201030410300e0400'
             '020100020100040004000400301404000400a00e0204460af08102010002'
             '01003000',
    'report-engine':
        '3073020103301102041288ba24020300ffe3040100020103042230200412'
        '80001f880475736e6d702d6361707475726502010102010c040004000400'
        '3037041280001f880475736e6d702d636170747572650400a81f0204460a'
        'f0810201000201003011300f060a2b060106030f01010400410101',
    'noauth-get':
        '3076020103301102041288ba23020300ffe3040104020103042830260412'
        '80001f880475736e6d702d6361707475726502010102010c04066e6f6175'
        '7468040004003034041280001f880475736e6d702d636170747572650400'
        'a01c0204460af080020100020100300e300c06082b060102010101000500',
    'noauth-response':
        '308197020103301102041288ba23020300ffe30401000201030428302604'
        '1280001f880475736e6d702d6361707475726502010102010c04066e6f61'
        '757468040004003055041280001f880475736e6d702d6361707475726504'
        '00a23d0204460af080020100020100302f302d06082b0601020101010004'
        '2175736e6d702074657374206167656e7420286e65742d736e6d7020736e'
        '6d706429',
    'md5des-get':
        '30818e0201033011020451eabf04020300ffe3040107020103043c303a04'
        '1280001f880475736e6d702d6361707475726502010102010d04066d6435'
        '646573040ce490b737427c7c52e07ebc9b0408000000012dd48cc8043808'
        'f57d4ed36457658cf50d0ccf87239fdd55e7099111ae5f0a0aac69fcba43'
        '4729997398d8452031dcc62384a9167696edf31d07bf2bd8a3',
    'shaaes-get':
        '30818c020103301102042ff80e0a020300ffe3040107020103043c303a04'
        '1280001f880475736e6d702d6361707475726502010102010d0406736861'
        '616573040c37df3d6a1f62a513a976b1720408783fc62673b6545f04369f'
        '60fef676ab816ac3fd126422a73e2ff6d6e472523ae5dfabc16be3069d6b'
        'f83a6aba9ca46f489a2df2e824d0d3a06a758eb51f478f',
    'shaaes-response':
        '3081ad020103301102042ff80e0a020300ffe3040103020103043c303a04'
        '1280001f880475736e6d702d6361707475726502010102010d0406736861'
        '616573040c02ee7926b725c4c15237e41c0408c3020246577c5da0045771'
        '0a7f13bc91c2beff39db78bf9f3808920e63a5e9f4f4fdaec3d7751905dc'
        'de439fb0a7e91aa7a8b49420f5467c47def0a81e588f2a8758a7bdeec618'
        'de9ad5e5e6298cfa872e4c4c9659cd67ddf0975e9e78fbdb8ae2',
    'report-digest':
        '307c02010330110204165d8ca4020300ffe3040100020103042b30290412'
        '80001f880475736e6d702d6361707475726502010102010f04097368616e'
        '6f70726976040004003037041280001f880475736e6d702d636170747572'
        '650400a81f0204124986d60201000201003011300f060a2b060106030f01'
        '010500410101',
    'report-user':
        '307d0201033011020476223bf1020300ffe3040100020103042c302a0412'
        '80001f880475736e6d702d6361707475726502010102010f040a6e6f7375'
        '636875736572040004003037041280001f880475736e6d702d6361707475'
        '72650400a81f020473a8fd320201000201003011300f060a2b060106030f'
        '01010300410101',
    'report-level':
        '30790201033011020468fb38ea020300ffe3040100020103042b30290412'
        '80001f880475736e6d702d6361707475726502010102011204097368616e'
        '6f70726976040004003034041280001f880475736e6d702d636170747572'
        '650400a81c0201000201000201003011300f060a2b060106030f01010100'
        '410101',
}


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        hdr = bytes([tag, n])
    elif n <= 0xff:
        hdr = bytes([tag, 0x81, n])
    else:
        hdr = bytes([tag, 0x82, n >> 8, n & 0xff])
    return hdr + body


def read_tlv(buf, at):
    """Returns (tag, start of content, end of content) of the TLV at at."""
    tag = buf[at]
    n = buf[at + 1]
    at += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[at:at + k], 'big')
        at += k
    return tag, at, at + n


def scoped_pdu(frame):
    """The plaintext ScopedPDU TLV of a clear-text frame: msgData, the
    last element of the message."""
    msg = bytes.fromhex(FRAMES[frame])
    _, at, end = read_tlv(msg, 0)
    last = at
    while at < end:
        last = at
        _, _, at = read_tlv(msg, at)
    return msg[last:end]


def contents(tlv_bytes):
    _, at, end = read_tlv(tlv_bytes, 0)
    return tlv_bytes[at:end]


def main():
    os.makedirs(CORPUS, exist_ok=True)
    seeds = {}
    for name in ('report-engine', 'shaaes-get', 'shaaes-response',
                 'report-digest', 'report-user', 'report-level'):
        seeds['raw-' + name] = bytes([RAW]) + bytes.fromhex(FRAMES[name])
    # Not this target's user, and a GET below its level.
    seeds['bad-AUTH_FAILURE-raw-md5des-get'] = (
        bytes([RAW]) + bytes.fromhex(FRAMES['md5des-get']))
    seeds['bad-AUTH_FAILURE-raw-noauth-get'] = (
        bytes([RAW]) + bytes.fromhex(FRAMES['noauth-get']))
    seeds['bad-AUTH_FAILURE-raw-probe'] = (
        bytes([RAW]) + bytes.fromhex(FRAMES['probe']))
    # A v2c message (a seed of fuzz_msg) is not v3.
    with open(os.path.join(HERE, 'corpus', 'get_v2c-request.ber'), 'rb') as f:
        seeds['bad-BAD_VERSION-raw-v2c'] = bytes([RAW]) + f.read()

    get = scoped_pdu('noauth-get')
    resp = scoped_pdu('noauth-response')
    report = scoped_pdu('report-engine')
    # The same report naming usmStatsNotInTimeWindows (.2) instead.
    report_time = report.replace(bytes.fromhex('2b060106030f0101040041'),
                                 bytes.fromhex('2b060106030f0101020041'))
    assert report_time != report
    seeds['aes-get'] = bytes([AES]) + contents(get)
    seeds['aes-response'] = bytes([AES]) + contents(resp)
    seeds['aes-plain-response'] = bytes([AES_PLAIN]) + resp
    seeds['aes-report-engine'] = bytes([AES]) + contents(report)
    seeds['aes-report-time'] = bytes([AES]) + contents(report_time)
    seeds['des-get'] = bytes([DES]) + contents(get)
    # DES plaintext is whole blocks: up to 7 bytes may follow the scoped
    # PDU (the harness pads only what is not a whole block yet).
    pad = -len(resp) % 8 or 8
    seeds['des-plain-response-padded'] = (
        bytes([DES_PLAIN]) + resp + bytes([pad]) * pad)
    seeds['nopriv-response'] = bytes([NOPRIV]) + contents(resp)
    seeds['nopriv-plain-get'] = bytes([NOPRIV_PLAIN]) + get

    # Malformed plaintexts behind a valid digest.
    # pysnmp-based agents pad the plaintext with zeros, which the reader
    # ignores after the scoped PDU, as net-snmp does.
    seeds['aes-plain-response-zero-padded'] = (
        bytes([AES_PLAIN]) + resp + b'\x00')
    seeds['des-plain-response-padding-8'] = (
        bytes([DES_PLAIN]) + resp + bytes([pad + 8]) * (pad + 8))
    seeds['bad-TRAILING-aes-after-pdu'] = (
        bytes([AES]) + contents(get) + b'\x05\x00')
    pdu_at = contents(get).index(b'\xa0')
    seeds['bad-BAD_PDU_TYPE-aes-a9'] = bytes([AES]) + (
        contents(get)[:pdu_at] + b'\xa9' + contents(get)[pdu_at + 1:])
    seeds['bad-BAD_VALUE-aes-long-context'] = bytes([AES]) + (
        tlv(0x04, b'') + tlv(0x04, b'c' * 256) + contents(get)[pdu_at:])
    # Without privacy msgData is a ScopedPDU, not an OCTET STRING.
    seeds['bad-BAD_TAG-nopriv-octets'] = (
        bytes([NOPRIV_PLAIN]) + tlv(0x04, contents(get)))

    for name, data in seeds.items():
        with open(os.path.join(CORPUS, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
