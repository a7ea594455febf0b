/*
 * A faulty SNMP agent for usnmp's "real agents" tests: it answers v1 and
 * v2c requests with the encodings devices in the field send, each one
 * valid BER with a single meaning or a value with none, built byte by
 * byte here (usnmp's encoder never writes them).
 *
 * Every case is one scalar, .1.3.6.1.4.1.99999.C.0 (FAULTY_AGENT_BASE, C
 * the case number below): a GET of it, a GETNEXT or a GETBULK from
 * .1.3.6.1.4.1.99999.C (or anything before .C.0 in it) answers that
 * instance with the case's value and encoding.  Each case is a MIB of its
 * own: after its instance comes the end of the MIB (endOfMibView on v2c,
 * noSuchName on v1), so that a walk of one case never meets another's
 * encoding (net-snmp drops a whole reply for one value it cannot read).
 * A GETBULK stops after the
 * first endOfMibView, as net-snmp's snmpd does, except one that starts in
 * case FAULTY_CASE_BULK_REPEAT_END: its answer repeats endOfMibView in
 * every remaining repetition.  A GET of any other name: noSuchObject
 * (v2c) or noSuchName (v1).  The message-wide encodings (lengths, the
 * header integers, trailing bytes) are those of the case of the first
 * varbind answered.
 * The request's version, community and request-id are echoed (the
 * request-id re-encoded as the case says).
 *
 * The reply builder is the whole agent: test/faulty_agent_main.c serves it
 * on a UDP port for the command-line comparisons with net-snmp's tools
 * (test/test_cli_real_agents.sh), and test/test_real_agents.c serves it
 * from the test's own loop.
 */
#ifndef USNMP_TEST_FAULTY_AGENT_H
#define USNMP_TEST_FAULTY_AGENT_H

#include <stddef.h>
#include <stdint.h>

#define FAULTY_AGENT_BASE ".1.3.6.1.4.1.99999"

/* The cases (arc C under FAULTY_AGENT_BASE). */
enum {
  FAULTY_CASE_LEN_LONG = 1,    /* every length one octet longer */
  FAULTY_CASE_LEN_OUTER82,     /* message length 82 00 xx */
  FAULTY_CASE_LEN_OUTER84,     /* message length 84 00 00 00 xx */
  FAULTY_CASE_INT_MIN5,        /* 02 05 FF 80 00 00 00 */
  FAULTY_CASE_INT_PAD,         /* 02 02 00 05 */
  FAULTY_CASE_INT_FIXED4,      /* 02 04 00 00 00 01 */
  FAULTY_CASE_REQID_PAD,       /* request-id in five octets, 00 first */
  FAULTY_CASE_HEADER_PAD,      /* version, error-status, -index padded */
  FAULTY_CASE_COUNTER32_NOPAD, /* 41 04 B3 99 9F CB */
  FAULTY_CASE_COUNTER32_SHORT, /* 41 02 FF FF */
  FAULTY_CASE_GAUGE32_NOPAD,   /* 42 04 80 00 00 00 */
  FAULTY_CASE_TIMETICKS_NOPAD, /* 43 04 FF FF FF FF */
  FAULTY_CASE_COUNTER64_NOPAD, /* 46 08 FF FF FF FF FF FF FF FF */
  FAULTY_CASE_NAME_PAD,        /* the name with 0x80 padding octets */
  FAULTY_CASE_OID_VALUE_PAD,   /* 06 06 2B 06 01 80 04 01 */
  FAULTY_CASE_NULL_CONTENT,    /* 05 01 00 */
  FAULTY_CASE_TRAILING,        /* 15 bytes after the message */
  FAULTY_CASE_EMPTY_INTEGER,   /* 02 00: no single meaning */
  FAULTY_CASE_INT_OVERFLOW,    /* 02 05 00 FF FF FC 19: beyond 32 bits */
  FAULTY_CASE_COUNTER32_OVER,  /* 41 05 01 00 00 00 05: beyond 2^32-1 */
  FAULTY_CASE_IPADDRESS_SHORT, /* 40 03 7F 00 01: no single meaning */
  FAULTY_CASE_BULK_REPEAT_END, /* the last: a GETBULK that reaches the end
                                  of the MIB from it repeats endOfMibView
                                  in every remaining repetition */
  FAULTY_CASE_COUNT            /* one past the last */
};

/* Builds the reply to the request datagram req[0..len) into out[0..size)
 * and returns its length, or 0 when the request gets no answer (it does
 * not decode, or is not a v1/v2c Get, GetNext or GetBulk). */
size_t faulty_agent_reply(const uint8_t *req, size_t len, uint8_t *out,
                          size_t size);

#endif /* USNMP_TEST_FAULTY_AGENT_H */
