/*
 * PDU encoding and decoding (internal).
 *
 * An SNMP PDU is one element tagged 0xA0..0xA8:
 *
 *   PDU ::= [tag] IMPLICIT SEQUENCE {
 *     request-id INTEGER, error-status INTEGER, error-index INTEGER,
 *     variable-bindings SEQUENCE OF SEQUENCE { name OID, value ANY } }
 *
 * (GetBulk carries non-repeaters and max-repetitions in the two middle
 * fields), except the v1 Trap-PDU (0xA4), which has enterprise OID,
 * agent-addr IpAddress, generic-trap INTEGER, specific-trap INTEGER and
 * time-stamp TimeTicks before its variable-bindings.
 *
 * The functions here encode and decode exactly that element, apart from
 * any message wrapper, so the v1/v2c message (lib/pdu.c's usnmp_msg_*) and
 * the v3 scopedPDU share one PDU codec.  The PDU header travels in a
 * usnmp_msg; only its PDU fields are used (type, request_id, error_status,
 * error_index, trap), version and community are neither read nor written.
 *
 * Decoding is zero-copy and allocates nothing: varbind names, string and
 * OID values point into the input, which must outlive them.  Every value is
 * checked against its type (see usnmp__pdu_decode()).  A PDU whose
 * encoding was minimal re-encodes to the same bytes; one that needed
 * tolerance re-encodes to the minimal bytes of the same PDU.
 */
#ifndef USNMP_PDU_H
#define USNMP_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "ber.h"
#include "usnmp.h"

/* Returns 1 when a PDU of type may travel in a message of version, else 0:
 * v1 carries Get, GetNext, Response, Set and Trap-PDU (0xA0..0xA4); v2c
 * and v3 carry all of 0xA0..0xA8 except the v1 Trap-PDU. */
int usnmp__pdu_type_allowed(usnmp_version version, int type);

/* Decodes the PDU element at the front of *in and advances *in past it.
 * Fills msg->type, request_id, error_status, error_index and msg->trap (all
 * zero unless the type is 0xA4), stores at most max_vbs varbinds in vbs and
 * their number in *n_vbs (max_vbs is also capped at USNMP_MAX_VARBINDS).
 * Does not check the type against a version (usnmp__pdu_type_allowed()).
 *
 * Returns 0, the USNMP__Q_* bits of what it tolerated (a value with no
 * single meaning becomes USNMP_TYPE_UNDECODABLE: USNMP__Q_UNDECODABLE;
 * with USNMP_DECODE_STRICT in flags its error is returned instead), or
 * the first violation:
 *   USNMP_E_BAD_PDU_TYPE   the element is not tagged 0xA0..0xA8;
 *   USNMP_E_TRUNCATED, USNMP_E_MULTIBYTE_TAG, USNMP_E_INDEFINITE_LENGTH,
 *   USNMP_E_BAD_LENGTH, USNMP_E_DEPTH   BER structure (ber.h);
 *   USNMP_E_BAD_TAG        a field of an unexpected tag, or a constructed
 *                          value (walked first, so deep nesting there
 *                          reports USNMP_E_DEPTH);
 *   USNMP_E_INT_OVERFLOW   request-id, error-status or error-index beyond
 *                          32 bits (trap fields likewise);
 *   USNMP_E_BAD_OID, USNMP_E_OID_TOO_LONG, USNMP_E_OID_SUBID_OVERFLOW
 *                          a name;
 *   USNMP_E_BAD_VALUE      an empty header integer, a trap's agent-addr
 *                          not 4 octets;
 *   USNMP_E_TOO_MANY_VARBINDS   more than max_vbs varbinds;
 *   USNMP_E_TRAILING       bytes after the last field of the PDU or of a
 *                          varbind.
 * On error the contents of *msg, vbs and *in are unspecified. */
int usnmp__pdu_decode(usnmp__slice *in, usnmp_msg *msg, usnmp_varbind *vbs,
                      size_t max_vbs, size_t *n_vbs, uint32_t flags);

/* Prepends the PDU element for msg (type, request_id, error_status,
 * error_index, and msg->trap for 0xA4) and the n_vbs varbinds to w.
 * Returns 0, USNMP_E_INVAL (type not 0xA0..0xA8, vbs NULL with n_vbs > 0,
 * n_vbs above USNMP_MAX_VARBINDS, a varbind name or value pointer NULL with
 * a non-zero length), USNMP_E_BAD_VALUE (unknown value type, IpAddress not
 * 4 octets), or an OID check error (usnmp__ber_oid_check()) for a name,
 * an OID value or the enterprise.  Running out of room is not returned
 * here: it stays in the writer for usnmp__writer_finish(). */
int usnmp__pdu_encode(usnmp__writer *w, const usnmp_msg *msg,
                      const usnmp_varbind *vbs, size_t n_vbs);

/* Returns 1 when a value of type points at bytes (v.bytes): those a copy
 * of the value must carry along. */
static inline int usnmp__value_has_bytes(usnmp_type type) {
  return type == USNMP_TYPE_OCTET_STRING || type == USNMP_TYPE_OPAQUE ||
         type == USNMP_TYPE_IPADDRESS || type == USNMP_TYPE_OID ||
         type == USNMP_TYPE_UNDECODABLE;
}

/* Splits an undecodable value's bytes (one BER element as received) into
 * its tag and content.  Returns 0 or USNMP_E_BAD_VALUE. */
int usnmp__undecodable_parts(const usnmp_value *v, uint8_t *tag,
                             const uint8_t **content, size_t *len);

/* The error the strict reader gives for a message that needed the
 * USNMP__Q_* tolerances in tolerated (0 when it needed none). */
int usnmp__strict_error(unsigned tolerated);

#endif /* USNMP_PDU_H */
