/*
 * The faulty agent's reply builder (see faulty_agent.h).  Replies are
 * written front to back by hand, so that every length and integer can take
 * the form a case asks for.
 */
#include <stdlib.h>
#include <string.h>

#include "faulty_agent.h"
#include "usnmp.h"

/* Message-wide encodings of a case. */
#define F_LEN_LONG 0x01u   /* every length one octet longer than needed */
#define F_OUTER82 0x02u    /* the message's length as 82 00 xx */
#define F_OUTER84 0x04u    /* the message's length as 84 00 00 00 xx */
#define F_REQID_PAD 0x08u  /* request-id in five octets, 00 first */
#define F_HEADER_PAD 0x10u /* version, error-status, error-index padded */
#define F_NAME_PAD 0x20u   /* 0x80 before two sub-identifiers of the name */
#define F_TRAILING 0x40u   /* 15 bytes after the message */

typedef struct faulty_case {
  const char *value; /* the value element, in hex */
  unsigned flags;
} faulty_case;

static const faulty_case cases[FAULTY_CASE_COUNT] = {
    [FAULTY_CASE_LEN_LONG] = {"04 81 05 68 65 6c 6c 6f", F_LEN_LONG},
    [FAULTY_CASE_LEN_OUTER82] = {"02 01 2a", F_OUTER82},
    [FAULTY_CASE_LEN_OUTER84] = {"02 01 2a", F_OUTER84},
    [FAULTY_CASE_INT_MIN5] = {"02 05 ff 80 00 00 00", 0},
    [FAULTY_CASE_INT_PAD] = {"02 02 00 05", 0},
    [FAULTY_CASE_INT_FIXED4] = {"02 04 00 00 00 01", 0},
    [FAULTY_CASE_REQID_PAD] = {"02 01 07", F_REQID_PAD},
    [FAULTY_CASE_HEADER_PAD] = {"02 01 08", F_HEADER_PAD},
    [FAULTY_CASE_COUNTER32_NOPAD] = {"41 04 b3 99 9f cb", 0},
    [FAULTY_CASE_COUNTER32_SHORT] = {"41 02 ff ff", 0},
    [FAULTY_CASE_GAUGE32_NOPAD] = {"42 04 80 00 00 00", 0},
    [FAULTY_CASE_TIMETICKS_NOPAD] = {"43 04 ff ff ff ff", 0},
    [FAULTY_CASE_COUNTER64_NOPAD] = {"46 08 ff ff ff ff ff ff ff ff", 0},
    [FAULTY_CASE_NAME_PAD] = {"02 01 0e", F_NAME_PAD},
    [FAULTY_CASE_OID_VALUE_PAD] = {"06 06 2b 06 01 80 04 01", 0},
    [FAULTY_CASE_NULL_CONTENT] = {"05 01 00", 0},
    [FAULTY_CASE_TRAILING] = {"02 01 11", F_TRAILING},
    [FAULTY_CASE_EMPTY_INTEGER] = {"02 00", 0},
    [FAULTY_CASE_INT_OVERFLOW] = {"02 05 00 ff ff fc 19", 0},
    [FAULTY_CASE_COUNTER32_OVER] = {"41 05 01 00 00 00 05", 0},
    [FAULTY_CASE_IPADDRESS_SHORT] = {"40 03 7f 00 01", 0},
    [FAULTY_CASE_BULK_REPEAT_END] = {"02 01 16", 0},
};

#define MAX_REPLY 1400

/* A reply being written front to back; a failed write marks it. */
typedef struct out {
  uint8_t b[MAX_REPLY];
  size_t n;
  int full;
} out;

static void put(out *o, const void *data, size_t n) {
  if (o->full || n > sizeof o->b - o->n) {
    o->full = 1;
    return;
  }
  if (n > 0)
    memcpy(o->b + o->n, data, n);
  o->n += n;
}

static void put_byte(out *o, uint8_t b) { put(o, &b, 1); }

static void put_hex(out *o, const char *hex) {
  while (*hex) {
    char *end;
    unsigned long v;
    while (*hex == ' ')
      hex++;
    if (!*hex)
      break;
    v = strtoul(hex, &end, 16);
    put_byte(o, (uint8_t)v);
    hex = end;
  }
}

/* Appends an element: tag, the length of n content octets in `octets`
 * long-form octets (0: the minimal form, short when it fits), content. */
static void put_tlv(out *o, uint8_t tag, const uint8_t *content, size_t n,
                    int octets) {
  put_byte(o, tag);
  if (octets == 0) {
    if (n < 0x80) {
      put_byte(o, (uint8_t)n);
    } else {
      octets = n <= 0xff ? 1 : 2;
    }
  }
  if (octets > 0) {
    put_byte(o, (uint8_t)(0x80 | octets));
    for (int i = octets - 1; i >= 0; i--)
      put_byte(o, i >= (int)sizeof(size_t) ? 0 : (uint8_t)(n >> (8 * i)));
  }
  put(o, content, n);
}

/* The long-form octets of a length one octet longer than its minimal
 * form, or 0 (minimal) without F_LEN_LONG. */
static int len_form(unsigned flags, size_t n) {
  if (!(flags & F_LEN_LONG))
    return 0;
  return n < 0x80 ? 1 : n <= 0xff ? 2 : 3;
}

/* An INTEGER element in minimal form, or padded with one redundant sign
 * octet. */
static void put_int(out *o, int32_t v, int pad, unsigned flags) {
  uint8_t c[5];
  size_t n = 4;
  uint32_t u = (uint32_t)v;
  size_t at = 0;
  while (n > 1) {
    uint32_t top9 = (u >> (8 * n - 9)) & 0x1ff;
    if (top9 != 0 && top9 != 0x1ff)
      break;
    n--;
  }
  if (pad)
    c[at++] = v < 0 ? 0xff : 0x00;
  for (size_t i = 0; i < n; i++)
    c[at++] = (uint8_t)(u >> (8 * (n - 1 - i)));
  put_tlv(o, 0x02, c, at, len_form(flags, at));
}

/* Writes the BER name of oid, padded when asked: 0x80 before the
 * sub-identifier 99999 and before the last one. */
static void put_name(out *o, const usnmp_oid *oid, unsigned flags) {
  uint8_t ber[5 * USNMP_OID_MAX_LEN];
  uint8_t padded[5 * USNMP_OID_MAX_LEN + 2];
  int n = usnmp_oid_to_ber(ber, sizeof ber, oid);
  size_t len;
  if (n < 0) {
    o->full = 1;
    return;
  }
  len = (size_t)n;
  if ((flags & F_NAME_PAD) && len >= 8) {
    /* 2b 06 01 04 01 | 86 8d 1f | C | 00 */
    memcpy(padded, ber, 5);
    padded[5] = 0x80;
    memcpy(padded + 6, ber + 5, len - 6);
    padded[len] = 0x80;
    padded[len + 1] = ber[len - 1];
    put_tlv(o, 0x06, padded, len + 2, len_form(flags, len + 2));
    return;
  }
  put_tlv(o, 0x06, ber, len, len_form(flags, len));
}

/* The instance of case c: FAULTY_AGENT_BASE.c.0. */
static void instance(usnmp_oid *oid, int c) {
  usnmp_oid_parse(oid, FAULTY_AGENT_BASE);
  oid->arcs[oid->len++] = (uint32_t)c;
  oid->arcs[oid->len++] = 0;
}

/* The case whose instance is name (GET) or follows name (GETNEXT), or 0
 * (no such object / end of the MIB).  Each case is a MIB of its own: what
 * follows its instance is the end, so a walk of one case never reaches
 * another's value. */
static int lookup(const usnmp_oid *name, int next) {
  usnmp_oid base;
  usnmp_oid inst;
  int c;
  usnmp_oid_parse(&base, FAULTY_AGENT_BASE);
  if (!next) {
    for (c = 1; c < FAULTY_CASE_COUNT; c++) {
      instance(&inst, c);
      if (usnmp_oid_cmp(name, &inst) == 0)
        return c;
    }
    return 0;
  }
  if (!usnmp_oid_is_prefix(&base, name) || name->len <= base.len ||
      name->arcs[base.len] < 1 || name->arcs[base.len] >= FAULTY_CASE_COUNT)
    return 0;
  c = (int)name->arcs[base.len];
  instance(&inst, c);
  return usnmp_oid_cmp(name, &inst) < 0 ? c : 0;
}

/* One answer of a reply: the case (0 for an exception) and its name. */
typedef struct answer {
  int c;
  uint8_t exception; /* 0x80..0x82 when c is 0 */
  usnmp_oid name;
} answer;

static void put_varbind(out *o, const answer *a, unsigned flags) {
  out vb = {.n = 0, .full = 0};
  put_name(&vb, &a->name,
           a->c ? cases[a->c].flags | (flags & F_LEN_LONG)
                : flags & F_LEN_LONG);
  if (a->c)
    put_hex(&vb, cases[a->c].value);
  else
    put_tlv(&vb, a->exception, NULL, 0, len_form(flags, 0));
  if (vb.full)
    o->full = 1;
  put_tlv(o, 0x30, vb.b, vb.n, len_form(flags, vb.n));
}

size_t faulty_agent_reply(const uint8_t *req, size_t len, uint8_t *dst,
                          size_t size) {
  usnmp_msg msg;
  usnmp_varbind vbs[16];
  answer answers[64];
  size_t n_vbs = 0;
  size_t n_answers = 0;
  int32_t error_status = 0;
  int32_t error_index = 0;
  unsigned flags = 0;
  out list = {.n = 0, .full = 0};
  out pdu = {.n = 0, .full = 0};
  out msg_out = {.n = 0, .full = 0};
  out whole = {.n = 0, .full = 0};
  int first_case = 0;

  if (usnmp_msg_decode(&msg, vbs, 16, &n_vbs, req, len) < 0 ||
      (msg.type != USNMP_PDU_GET && msg.type != USNMP_PDU_GETNEXT &&
       msg.type != USNMP_PDU_GETBULK))
    return 0;

  for (size_t i = 0; i < n_vbs && n_answers < 64; i++) {
    usnmp_oid name;
    int reps = 1;
    if (usnmp_oid_from_ber(&name, vbs[i].oid, vbs[i].oid_len) < 0)
      return 0;
    if (msg.type == USNMP_PDU_GETBULK && (int32_t)i >= msg.error_status)
      reps = msg.error_index < 1 ? 0 : msg.error_index;
    for (int r = 0; r < reps && n_answers < 64; r++) {
      answer *a = &answers[n_answers];
      int c = lookup(&name, msg.type != USNMP_PDU_GET);
      memset(a, 0, sizeof *a);
      if (c) {
        a->c = c;
        instance(&a->name, c);
        if (!first_case)
          first_case = c;
        name = a->name;
        n_answers++;
        continue;
      }
      if (msg.version == USNMP_VERSION_1) {
        error_status = 2; /* noSuchName */
        error_index = (int32_t)i + 1;
        break;
      }
      a->name = name;
      a->exception = msg.type == USNMP_PDU_GET ? 0x80 : 0x82;
      n_answers++;
      if (msg.type != USNMP_PDU_GETBULK)
        break;
      /* The end of the MIB: snmpd stops at the first endOfMibView; a
       * bulk from the last case fills every remaining repetition. */
      if (first_case != FAULTY_CASE_BULK_REPEAT_END)
        break;
      while (++r < reps && n_answers < 64)
        answers[n_answers++] = *a;
      break;
    }
    if (error_status)
      break;
  }
  if (first_case)
    flags = cases[first_case].flags;

  if (error_status) {
    /* v1: the request's varbinds come back with the error. */
    for (size_t i = 0; i < n_vbs; i++) {
      out vb = {.n = 0, .full = 0};
      put_tlv(&vb, 0x06, vbs[i].oid, vbs[i].oid_len, 0);
      put_hex(&vb, "05 00");
      put_tlv(&list, 0x30, vb.b, vb.n, 0);
    }
  } else {
    for (size_t i = 0; i < n_answers; i++)
      put_varbind(&list, &answers[i], flags);
  }

  /* request-id: minimal, or with a redundant 00 in five octets. */
  if (flags & F_REQID_PAD) {
    uint8_t id[5] = {0, (uint8_t)(msg.request_id >> 24),
                     (uint8_t)(msg.request_id >> 16),
                     (uint8_t)(msg.request_id >> 8), (uint8_t)msg.request_id};
    put_tlv(&pdu, 0x02, id, 5, 0);
  } else {
    put_int(&pdu, msg.request_id, 0, flags);
  }
  put_int(&pdu, error_status, (flags & F_HEADER_PAD) != 0, flags);
  put_int(&pdu, error_index, (flags & F_HEADER_PAD) != 0, flags);
  put_tlv(&pdu, 0x30, list.b, list.n, len_form(flags, list.n));

  put_int(&msg_out, (int32_t)msg.version, (flags & F_HEADER_PAD) != 0, flags);
  put_tlv(&msg_out, 0x04, msg.community, msg.community_len,
          len_form(flags, msg.community_len));
  put_tlv(&msg_out, USNMP_PDU_RESPONSE, pdu.b, pdu.n, len_form(flags, pdu.n));

  put_tlv(&whole, 0x30, msg_out.b, msg_out.n,
          (flags & F_OUTER84)   ? 4
          : (flags & F_OUTER82) ? 2
                                : len_form(flags, msg_out.n));
  if (flags & F_TRAILING)
    put_hex(&whole, "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e");
  if (list.full || pdu.full || msg_out.full || whole.full || whole.n > size)
    return 0;
  memcpy(dst, whole.b, whole.n);
  return whole.n;
}
