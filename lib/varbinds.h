/*
 * Deep copies of values and varbinds (varbinds.c): a decoded varbind
 * points into a datagram that lives only for a callback; these copy it,
 * with the bytes it points to, into memory the caller owns.
 */
#ifndef USNMP_VARBINDS_H
#define USNMP_VARBINDS_H

#include <stddef.h>
#include <stdint.h>

#include "usnmp.h"

/* Returns the number of bytes v points to (the types of
 * usnmp__value_has_bytes: strings, Opaque, IpAddress, OID and undecodable
 * values), 0 for the other types. */
size_t usnmp__value_bytes(const usnmp_value *v);

/* Copies src to *dst, its bytes to *cursor (which advances past them). */
void usnmp__value_copy(usnmp_value *dst, const usnmp_value *src,
                       uint8_t **cursor);

/* Returns the bytes n varbinds point to (names and values). */
size_t usnmp__varbinds_bytes(const usnmp_varbind *vbs, size_t n);

/* Copies n varbinds to dst[] and the bytes they point to to *cursor
 * (usnmp__varbinds_bytes() of them; it advances past them). */
void usnmp__varbinds_copy(usnmp_varbind *dst, const usnmp_varbind *src,
                          size_t n, uint8_t **cursor);

#endif /* USNMP_VARBINDS_H */
