/*
 * The community message processing model (SNMPv1 and v2c, RFC 1157 and
 * RFC 1901): encode a request with its community, read a reply's
 * request-id, and accept a reply whose version and community are the
 * request's.  The manager installs it for versions 1 and 2c
 * (manager_int.h, usnmp__msgproc).
 */
#include <string.h>

#include "ber.h"
#include "manager_int.h"

static int community_encode(usnmp_request *r, const usnmp__pdu *pdu,
                            uint8_t *buf, size_t size) {
  usnmp_msg msg;
  usnmp__slice in, body;
  int32_t version;
  const uint8_t *comm;
  size_t comm_len;
  int len, rc;

  usnmp__pdu_to_msg(&msg, pdu, (usnmp_version)r->version);
  len = usnmp_msg_encode(buf, size, &msg, pdu->vbs, pdu->n_vbs);
  if (len < 0)
    return len;
  /* Remember where the community sits, to compare replies with it. */
  usnmp__slice_init(&in, buf, (size_t)len);
  rc = usnmp__ber_get_asn1(&in, &body, USNMP__TAG_SEQUENCE);
  if (rc >= 0)
    rc = usnmp__ber_get_int32(&body, USNMP_TYPE_INTEGER, &version);
  if (rc >= 0)
    rc =
        usnmp__ber_get_octets(&body, USNMP_TYPE_OCTET_STRING, &comm, &comm_len);
  if (rc < 0)
    return rc;
  r->comm_off = (uint16_t)(comm - buf);
  r->comm_len = (uint16_t)comm_len;
  return len;
}

static int community_decode(usnmp_manager *m, usnmp__inbound *in) {
  uint32_t tolerated;
  int rc = usnmp_msg_decode_ex(&in->msg, in->vbs, USNMP_MAX_VARBINDS,
                               &in->n_vbs, in->data, in->len, 0, &tolerated);
  (void)m;
  if (rc < 0)
    return rc;
  in->tolerated = tolerated;
  in->key = in->msg.request_id;
  return 0;
}

static int community_accept(usnmp_request *r, usnmp__inbound *in) {
  if ((int)in->msg.version != (int)r->version)
    return USNMP__DROP_VERSION;
  if (in->msg.community_len != r->comm_len ||
      memcmp(in->msg.community, r->msg + r->comm_off, r->comm_len) != 0)
    return USNMP__DROP_COMMUNITY;
  if (in->msg.type != USNMP_PDU_RESPONSE)
    return USNMP__DROP_PDU;
  return USNMP__ACCEPT;
}

/* The community model keeps no state beyond r->comm_off: no hooks. */
const usnmp__msgproc usnmp__community_proc = {
    .encode = community_encode,
    .decode = community_decode,
    .accept = community_accept,
};
