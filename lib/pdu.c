/*
 * PDUs and v1/v2c messages: decoding on bounded slices, zero-copy and
 * without allocation; encoding backwards with one writer (ber.h).
 *
 *   Message ::= SEQUENCE { version INTEGER, community OCTET STRING, PDU }
 *
 * The value codec lives here rather than in value.c because it runs once
 * per varbind in the hot loops below and must inline into them.
 */
#include <string.h>

#include "ber.h"
#include "pdu.h"

int usnmp__pdu_type_allowed(usnmp_version version, int type) {
  switch (version) {
  case USNMP_VERSION_1:
    return type >= USNMP_PDU_GET && type <= USNMP_PDU_TRAP_V1;
  case USNMP_VERSION_2C:
  case USNMP_VERSION_3:
    return type >= USNMP_PDU_GET && type <= USNMP_PDU_REPORT &&
           type != USNMP_PDU_TRAP_V1;
  default:
    return 0;
  }
}

/* ------------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------------ */

/* Decodes a varbind value of tag with content *body into *value.  Returns
 * 0, the USNMP__Q_* bits of what it tolerated, or the reason the content
 * has no single meaning for its tag (the caller then keeps the value as
 * undecodable), or for a constructed value an error of its structure. */
static inline int decode_value(uint8_t tag, const usnmp__slice *body,
                               usnmp_value *value) {
  uint64_t u;
  int rc;
  value->type = (usnmp_type)tag;
  switch (tag) {
  case USNMP_TYPE_INTEGER:
    return usnmp__ber_int32(body->data, body->len, &value->v.integer);
  case USNMP_TYPE_OID:
    /* An OID value is kept as its content octets, once checked. */
    value->v.bytes.data = body->data;
    value->v.bytes.len = body->len;
    return usnmp__ber_oid_check(body->data, body->len);
  case USNMP_TYPE_OCTET_STRING:
  case USNMP_TYPE_OPAQUE:
    value->v.bytes.data = body->data;
    value->v.bytes.len = body->len;
    return 0;
  case USNMP_TYPE_IPADDRESS:
    if (body->len != 4)
      return USNMP_E_BAD_VALUE;
    value->v.bytes.data = body->data;
    value->v.bytes.len = 4;
    return 0;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    rc = usnmp__ber_uint(body->data, body->len, 4, &u);
    if (rc < 0)
      return rc;
    value->v.u32 = (uint32_t)u;
    return rc;
  case USNMP_TYPE_COUNTER64:
    return usnmp__ber_uint(body->data, body->len, 8, &value->v.u64);
  case USNMP_TYPE_NULL:
  case USNMP_TYPE_NOSUCHOBJECT:
  case USNMP_TYPE_NOSUCHINSTANCE:
  case USNMP_TYPE_ENDOFMIBVIEW:
    memset(&value->v, 0, sizeof value->v);
    /* These carry no value, so content octets cannot change what they
     * say; net-snmp skips them too. */
    return body->len == 0 ? 0 : USNMP__Q_NULL_CONTENT;
  default:
    /* No SMI value is constructed; walking one anyway reports hostile
     * nesting as such before the tag is refused. */
    if (tag & USNMP__TAG_CONSTRUCTED) {
      rc = usnmp__ber_walk(body);
      if (rc < 0)
        return rc;
    }
    return USNMP_E_BAD_TAG;
  }
}

/* Adds the positive USNMP__Q_* bits of rc to *quirks and returns 0, or
 * returns rc when it is an error. */
static inline int keep_quirks(unsigned *quirks, int rc) {
  /* One test on the common path: rc is 0 there. */
  if (__builtin_expect(rc != 0, 0) && rc > 0) {
    *quirks |= (unsigned)rc;
    return 0;
  }
  return rc;
}

/* Decodes the fields of a v1 Trap-PDU before its variable-bindings. */
static int decode_trap_header(usnmp__slice *pdu, usnmp_msg *msg,
                              unsigned *quirks) {
  const uint8_t *addr;
  size_t addr_len;
  int rc = keep_quirks(
      quirks, usnmp__ber_get_octets(pdu, USNMP_TYPE_OID, &msg->trap.enterprise,
                                    &msg->trap.enterprise_len));
  if (rc < 0)
    return rc;
  rc = keep_quirks(quirks, usnmp__ber_oid_check(msg->trap.enterprise,
                                                msg->trap.enterprise_len));
  if (rc < 0)
    return rc;
  rc = keep_quirks(quirks, usnmp__ber_get_octets(pdu, USNMP_TYPE_IPADDRESS,
                                                 &addr, &addr_len));
  if (rc < 0)
    return rc;
  if (addr_len != 4)
    return USNMP_E_BAD_VALUE;
  memcpy(msg->trap.agent_addr, addr, 4);
  rc = keep_quirks(quirks, usnmp__ber_get_int32(pdu, USNMP_TYPE_INTEGER,
                                                &msg->trap.generic_trap));
  if (rc < 0)
    return rc;
  rc = keep_quirks(quirks, usnmp__ber_get_int32(pdu, USNMP_TYPE_INTEGER,
                                                &msg->trap.specific_trap));
  if (rc < 0)
    return rc;
  return keep_quirks(quirks, usnmp__ber_get_uint32(pdu, USNMP_TYPE_TIMETICKS,
                                                   &msg->trap.time_stamp));
}

int usnmp__pdu_decode(usnmp__slice *in, usnmp_msg *msg, usnmp_varbind *vbs,
                      size_t max_vbs, size_t *n_vbs, uint32_t flags) {
  usnmp__slice pdu;
  usnmp__slice list;
  uint8_t tag;
  size_t n = 0;
  unsigned quirks = 0;
  int rc;

  *n_vbs = 0;
  if (max_vbs > USNMP_MAX_VARBINDS)
    max_vbs = USNMP_MAX_VARBINDS;
  rc = keep_quirks(&quirks, usnmp__ber_get_any(in, &tag, &pdu));
  if (rc < 0)
    return rc;
  if (tag < USNMP_PDU_GET || tag > USNMP_PDU_REPORT)
    return USNMP_E_BAD_PDU_TYPE;
  msg->type = (usnmp_pdu_type)tag;
  memset(&msg->trap, 0, sizeof msg->trap);
  if (tag == USNMP_PDU_TRAP_V1) {
    msg->request_id = 0;
    msg->error_status = 0;
    msg->error_index = 0;
    rc = decode_trap_header(&pdu, msg, &quirks);
  } else {
    rc = keep_quirks(&quirks, usnmp__ber_get_int32(&pdu, USNMP_TYPE_INTEGER,
                                                   &msg->request_id));
    if (rc == 0)
      rc = keep_quirks(&quirks, usnmp__ber_get_int32(&pdu, USNMP_TYPE_INTEGER,
                                                     &msg->error_status));
    if (rc == 0)
      rc = keep_quirks(&quirks, usnmp__ber_get_int32(&pdu, USNMP_TYPE_INTEGER,
                                                     &msg->error_index));
  }
  if (rc < 0)
    return rc;
  rc = keep_quirks(&quirks,
                   usnmp__ber_get_asn1(&pdu, &list, USNMP__TAG_SEQUENCE));
  if (rc < 0)
    return rc;
  if (pdu.len)
    return USNMP_E_TRAILING;

  while (list.len) {
    usnmp__slice vb;
    usnmp__slice name;
    usnmp__slice body;
    const uint8_t *element;
    uint8_t value_tag;
    if (n == max_vbs)
      return USNMP_E_TOO_MANY_VARBINDS;
    rc = keep_quirks(&quirks,
                     usnmp__ber_get_asn1(&list, &vb, USNMP__TAG_SEQUENCE));
    if (rc < 0)
      return rc;
    rc = keep_quirks(&quirks, usnmp__ber_get_asn1(&vb, &name, USNMP_TYPE_OID));
    if (rc < 0)
      return rc;
    rc = keep_quirks(&quirks, usnmp__ber_oid_check(name.data, name.len));
    if (rc < 0)
      return rc;
    element = vb.data;
    rc = keep_quirks(&quirks, usnmp__ber_get_any(&vb, &value_tag, &body));
    if (rc < 0)
      return rc;
    if (vb.len)
      return USNMP_E_TRAILING;
    rc = keep_quirks(&quirks, decode_value(value_tag, &body, &vbs[n].value));
    if (rc < 0) {
      /* A primitive value with no single meaning for its tag sinks only
       * itself: it is kept, tag and bytes, as undecodable.  A constructed
       * one is no SMI value at all. */
      if ((value_tag & USNMP__TAG_CONSTRUCTED) || (flags & USNMP_DECODE_STRICT))
        return rc;
      vbs[n].value.type = USNMP_TYPE_UNDECODABLE;
      vbs[n].value.v.bytes.data = element;
      vbs[n].value.v.bytes.len = (size_t)(body.data + body.len - element);
      quirks |= USNMP__Q_UNDECODABLE;
    }
    vbs[n].oid = name.data;
    vbs[n].oid_len = name.len;
    n++;
  }
  *n_vbs = n;
  return (int)quirks;
}
int usnmp__strict_error(unsigned tolerated) {
  /* The errors the strict reader of earlier versions gave for each. */
  if (tolerated & USNMP__Q_LENGTH)
    return USNMP_E_BAD_LENGTH;
  if (tolerated & USNMP__Q_INT_PAD)
    return USNMP_E_INT_NONMINIMAL;
  if (tolerated & USNMP__Q_UINT_SIGN)
    return USNMP_E_INT_OVERFLOW;
  if (tolerated & USNMP__Q_OID_PAD)
    return USNMP_E_BAD_OID;
  if (tolerated & USNMP__Q_TRAILING)
    return USNMP_E_TRAILING;
  if (tolerated & USNMP__Q_PRIV_PAD)
    return USNMP_E_DECRYPTION_ERROR;
  return tolerated ? USNMP_E_BAD_VALUE : 0;
}

/* The body of usnmp_msg_decode_ex(), inlined into both exports so the
 * common call costs no extra call. */
static inline int msg_decode(usnmp_msg *msg, usnmp_varbind *vbs, size_t max_vbs,
                             size_t *n_vbs, const uint8_t *buf, size_t len,
                             uint32_t flags, uint32_t *tolerated) {
  usnmp__slice in;
  usnmp__slice body;
  int32_t version;
  unsigned quirks = 0;
  int rc;

  if (tolerated != NULL)
    *tolerated = 0;
  if (msg == NULL || n_vbs == NULL || (buf == NULL && len) ||
      (vbs == NULL && max_vbs) || (flags & ~USNMP_DECODE_STRICT))
    return USNMP_E_INVAL;
  *n_vbs = 0;
  if (len > USNMP_MAX_MSG_SIZE)
    return USNMP_E_MSG_TOO_BIG;
  usnmp__slice_init(&in, buf, len);
  rc = keep_quirks(&quirks,
                   usnmp__ber_get_asn1(&in, &body, USNMP__TAG_SEQUENCE));
  if (rc < 0)
    return rc;
  rc = keep_quirks(&quirks,
                   usnmp__ber_get_int32(&body, USNMP_TYPE_INTEGER, &version));
  if (rc < 0)
    return rc;
  if (version != USNMP_VERSION_1 && version != USNMP_VERSION_2C)
    return USNMP_E_BAD_VERSION;
  msg->version = (usnmp_version)version;
  rc = keep_quirks(&quirks,
                   usnmp__ber_get_octets(&body, USNMP_TYPE_OCTET_STRING,
                                         &msg->community, &msg->community_len));
  if (rc < 0)
    return rc;
  rc = keep_quirks(&quirks,
                   usnmp__pdu_decode(&body, msg, vbs, max_vbs, n_vbs, flags));
  if (rc < 0)
    return rc;
  if (!usnmp__pdu_type_allowed(msg->version, msg->type))
    return USNMP_E_BAD_PDU_TYPE;
  if (body.len)
    return USNMP_E_TRAILING;
  /* Bytes after the message cannot change what it says (a device seen in
   * the field appends 15). */
  if (in.len)
    quirks |= USNMP__Q_TRAILING;
  if (quirks && (flags & USNMP_DECODE_STRICT)) {
    *n_vbs = 0;
    return usnmp__strict_error(quirks);
  }
  if (tolerated != NULL)
    *tolerated = quirks;
  return 0;
}

int usnmp_msg_decode_ex(usnmp_msg *msg, usnmp_varbind *vbs, size_t max_vbs,
                        size_t *n_vbs, const uint8_t *buf, size_t len,
                        uint32_t flags, uint32_t *tolerated) {
  return msg_decode(msg, vbs, max_vbs, n_vbs, buf, len, flags, tolerated);
}

int usnmp_msg_decode(usnmp_msg *msg, usnmp_varbind *vbs, size_t max_vbs,
                     size_t *n_vbs, const uint8_t *buf, size_t len) {
  return msg_decode(msg, vbs, max_vbs, n_vbs, buf, len, 0, NULL);
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

/* Prepends one varbind, SEQUENCE { name, value }, in a single
 * reservation: the sizes of the value and the name are worked out first,
 * then the varbind is filled front to back inside its room. */
/* Copies the n content octets of a checked OID to p: as they are, or
 * without their padding octets when the check found some (padded != 0). */
static inline void fill_oid(uint8_t *p, const uint8_t *oid, size_t n,
                            int padded) {
  if (padded)
    usnmp__ber_oid_canon(p, oid, n);
  else if (n)
    usnmp__ber_copy(p, oid, n);
}

static inline int encode_varbind(usnmp__writer *w, const usnmp_varbind *vb) {
  const usnmp_value *value = &vb->value;
  const uint8_t *data = NULL;
  uint64_t number = 0;
  uint8_t tag = (uint8_t)value->type;
  size_t value_len;
  size_t name_len = vb->oid_len;
  size_t content;
  int name_padded, value_padded = 0;
  uint8_t *p;
  int rc;

  if (vb->oid == NULL && vb->oid_len)
    return USNMP_E_INVAL;
  /* A name or OID value as a tolerant decoder kept it may carry padding
   * octets; what we send is always the minimal encoding. */
  name_padded = usnmp__ber_oid_check(vb->oid, vb->oid_len);
  if (name_padded < 0)
    return name_padded;
  if (name_padded)
    name_len = usnmp__ber_oid_canon(NULL, vb->oid, vb->oid_len);
  switch (value->type) {
  case USNMP_TYPE_INTEGER:
    number = (uint32_t)value->v.integer;
    value_len = usnmp__ber_int32_size(value->v.integer);
    break;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    number = value->v.u32;
    value_len = usnmp__ber_uint64_size(number);
    break;
  case USNMP_TYPE_COUNTER64:
    number = value->v.u64;
    value_len = usnmp__ber_uint64_size(number);
    break;
  case USNMP_TYPE_NULL:
  case USNMP_TYPE_NOSUCHOBJECT:
  case USNMP_TYPE_NOSUCHINSTANCE:
  case USNMP_TYPE_ENDOFMIBVIEW:
    value_len = 0;
    break;
  case USNMP_TYPE_IPADDRESS:
  case USNMP_TYPE_OID:
  case USNMP_TYPE_OCTET_STRING:
  case USNMP_TYPE_OPAQUE:
    data = value->v.bytes.data;
    value_len = value->v.bytes.len;
    if (data == NULL && value_len)
      return USNMP_E_INVAL;
    /* The caller's length, refused before any size is added to it: a
     * length near SIZE_MAX would wrap the sums below into a small
     * reservation and the copy would run past the buffer. */
    if (value_len > USNMP_MAX_MSG_SIZE)
      return USNMP_E_MSG_TOO_BIG;
    if (value->type == USNMP_TYPE_IPADDRESS && value_len != 4)
      return USNMP_E_BAD_VALUE;
    if (value->type == USNMP_TYPE_OID) {
      value_padded = usnmp__ber_oid_check(data, value_len);
      if (value_padded < 0)
        return value_padded;
      if (value_padded)
        value_len = usnmp__ber_oid_canon(NULL, data, value_len);
    }
    break;
  case USNMP_TYPE_UNDECODABLE:
    /* Sent back as it came, tag and content, under a minimal header. */
    rc = usnmp__undecodable_parts(value, &tag, &data, &value_len);
    if (rc < 0)
      return rc;
    break;
  default:
    return USNMP_E_BAD_VALUE;
  }

  content = usnmp__ber_header_size(name_len) + name_len +
            usnmp__ber_header_size(value_len) + value_len;
  p = usnmp__writer_reserve(w, usnmp__ber_header_size(content) + content);
  if (p == NULL)
    return 0; /* counted; the writer reports NOBUFS or MSG_TOO_BIG */
  p = usnmp__ber_fill_header(p, USNMP__TAG_SEQUENCE, content);
  p = usnmp__ber_fill_header(p, USNMP_TYPE_OID, name_len);
  fill_oid(p, vb->oid, vb->oid_len, name_padded);
  p += name_len;
  p = usnmp__ber_fill_header(p, tag, value_len);
  if (data != NULL) {
    fill_oid(p, data, value_padded ? value->v.bytes.len : value_len,
             value_padded);
  } else if (value_len == 9) {
    /* A Counter64 of 2^63 or more: the 00, then all eight octets. */
    p[0] = 0;
    usnmp__ber_fill_be(p + 1, number, 8);
  } else {
    usnmp__ber_fill_be(p, number, value_len);
  }
  return 0;
}

static inline int encode_pdu(usnmp__writer *w, const usnmp_msg *msg,
                             const usnmp_varbind *vbs, size_t n_vbs) {
  size_t pdu_mark = usnmp__writer_len(w);
  size_t list_mark;
  size_t i;
  int rc;

  if (msg->type < USNMP_PDU_GET || msg->type > USNMP_PDU_REPORT ||
      (vbs == NULL && n_vbs) || n_vbs > USNMP_MAX_VARBINDS)
    return USNMP_E_INVAL;

  /* Backwards: the last varbind first, the PDU header last. */
  list_mark = usnmp__writer_len(w);
  for (i = n_vbs; i-- > 0;) {
    rc = encode_varbind(w, &vbs[i]);
    if (rc < 0)
      return rc;
  }
  usnmp__ber_put_wrap(w, USNMP__TAG_SEQUENCE, list_mark);

  if (msg->type == USNMP_PDU_TRAP_V1) {
    if (msg->trap.enterprise == NULL && msg->trap.enterprise_len)
      return USNMP_E_INVAL;
    rc = usnmp__ber_oid_check(msg->trap.enterprise, msg->trap.enterprise_len);
    if (rc < 0)
      return rc;
    usnmp__ber_put_uint64(w, USNMP_TYPE_TIMETICKS, msg->trap.time_stamp);
    usnmp__ber_put_int32(w, USNMP_TYPE_INTEGER, msg->trap.specific_trap);
    usnmp__ber_put_int32(w, USNMP_TYPE_INTEGER, msg->trap.generic_trap);
    usnmp__ber_put_octets(w, USNMP_TYPE_IPADDRESS, msg->trap.agent_addr, 4);
    if (rc > 0) {
      /* A padded enterprise: send its minimal encoding. */
      size_t n = usnmp__ber_oid_canon(NULL, msg->trap.enterprise,
                                      msg->trap.enterprise_len);
      uint8_t *p = usnmp__writer_reserve(w, usnmp__ber_header_size(n) + n);
      if (p != NULL)
        fill_oid(usnmp__ber_fill_header(p, USNMP_TYPE_OID, n),
                 msg->trap.enterprise, msg->trap.enterprise_len, 1);
    } else {
      usnmp__ber_put_octets(w, USNMP_TYPE_OID, msg->trap.enterprise,
                            msg->trap.enterprise_len);
    }
  } else {
    usnmp__ber_put_int32(w, USNMP_TYPE_INTEGER, msg->error_index);
    usnmp__ber_put_int32(w, USNMP_TYPE_INTEGER, msg->error_status);
    usnmp__ber_put_int32(w, USNMP_TYPE_INTEGER, msg->request_id);
  }
  usnmp__ber_put_wrap(w, (uint8_t)msg->type, pdu_mark);
  return 0;
}

int usnmp__pdu_encode(usnmp__writer *w, const usnmp_msg *msg,
                      const usnmp_varbind *vbs, size_t n_vbs) {
  /* The writer works on a local copy: stores through its uint8_t pointer
   * could alias the caller's writer, which would force the compiler to
   * reload the writer from memory after every byte written. */
  usnmp__writer local = *w;
  int rc = encode_pdu(&local, msg, vbs, n_vbs);
  *w = local;
  return rc;
}

int usnmp_msg_encode(uint8_t *buf, size_t size, const usnmp_msg *msg,
                     const usnmp_varbind *vbs, size_t n_vbs) {
  usnmp__writer w;
  int rc;

  if (msg == NULL || (buf == NULL && size) ||
      (msg->community == NULL && msg->community_len) ||
      (msg->version != USNMP_VERSION_1 && msg->version != USNMP_VERSION_2C) ||
      !usnmp__pdu_type_allowed(msg->version, msg->type))
    return USNMP_E_INVAL;
  if (msg->community_len > USNMP_MAX_MSG_SIZE)
    return USNMP_E_MSG_TOO_BIG; /* before its size is added to anything */
  usnmp__writer_init(&w, buf, size);
  rc = usnmp__pdu_encode(&w, msg, vbs, n_vbs);
  if (rc < 0)
    return rc;
  usnmp__ber_put_octets(&w, USNMP_TYPE_OCTET_STRING, msg->community,
                        msg->community_len);
  usnmp__ber_put_int32(&w, USNMP_TYPE_INTEGER, (int32_t)msg->version);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
  return usnmp__writer_finish(&w);
}
