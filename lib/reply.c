/*
 * Judging a reply: the cold parts (see reply.h), what a reply needed the
 * tolerant reader for, and which datagrams that could not be read came
 * from a request's agent (so that a timeout can say so).
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ber.h"
#include "manager_int.h"
#include "pdu.h"
#include "reply.h"

/* A datagram from `from` could not be read (rc says why): count it and
 * remember its source for requests that time out. */
void usnmp__unreadable_note(usnmp_manager *m, const struct sockaddr *from,
                            int rc) {
  uint32_t seq = ++m->unreadable_seq;
  size_t size = from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  m->stats.dropped_malformed++;
  m->stats.last_malformed_error = rc;
  memcpy(&m->unreadable[seq % USNMP__UNREADABLE_RING].from, from, size);
  m->unreadable[seq % USNMP__UNREADABLE_RING].seq = seq;
}

/* Returns 1 when a datagram from r's target could not be read since r was
 * sent first. */
int usnmp__unreadable_since(const usnmp_request *r) {
  const usnmp_manager *m = r->m;
  uint32_t since = m->unreadable_seq - r->unreadable_mark;
  size_t i;
  if (since == 0)
    return 0;
  for (i = 0; i < USNMP__UNREADABLE_RING; i++) {
    /* Sequence numbers wrap: compare by distance from the newest. */
    if (m->unreadable_seq - m->unreadable[i].seq < since &&
        usnmp__sockaddr_equal((const struct sockaddr *)&m->unreadable[i].from,
                              (const struct sockaddr *)&r->t->addr))
      return 1;
  }
  return 0;
}

/* Puts the names and OID values of a reply whose OIDs came padded in
 * their minimal form: they lie in the manager's own buffers (the receive
 * buffer, or the v3 plaintext), so the answer check and every layer above
 * compare and re-send canonical bytes. */
void usnmp__reply_canon_oids(usnmp__inbound *in) {
  size_t i;
  for (i = 0; i < in->n_vbs; i++) {
    usnmp_varbind *vb = &in->vbs[i];
    vb->oid_len = usnmp__ber_oid_canon((uint8_t *)(uintptr_t)vb->oid, vb->oid,
                                       vb->oid_len);
    if (vb->value.type == USNMP_TYPE_OID)
      vb->value.v.bytes.len =
          usnmp__ber_oid_canon((uint8_t *)(uintptr_t)vb->value.v.bytes.data,
                               vb->value.v.bytes.data, vb->value.v.bytes.len);
  }
}

/* Counts what an accepted reply needed, by kind. */
void usnmp__reply_note_tolerated(usnmp_manager *m, const usnmp__inbound *in) {
  unsigned q = in->tolerated;
  size_t i;
  m->stats.tolerated_length += (q & USNMP__Q_LENGTH) != 0;
  m->stats.tolerated_int_padding += (q & USNMP__Q_INT_PAD) != 0;
  m->stats.tolerated_unsigned_sign += (q & USNMP__Q_UINT_SIGN) != 0;
  m->stats.tolerated_oid_padding += (q & USNMP__Q_OID_PAD) != 0;
  m->stats.tolerated_null_content += (q & USNMP__Q_NULL_CONTENT) != 0;
  m->stats.tolerated_trailing += (q & USNMP__Q_TRAILING) != 0;
  m->stats.tolerated_priv_padding += (q & USNMP__Q_PRIV_PAD) != 0;
  for (i = 0; i < in->n_vbs; i++)
    if (in->vbs[i].value.type == USNMP_TYPE_UNDECODABLE)
      m->stats.undecodable_values++;
}
