/*
 * Tests of v1/v2c messages and bare PDUs (lib/pdu.c): real net-snmp
 * captures decoded and re-encoded byte for byte, every malformed class
 * reported with its own error, encoding into buffers of every size, and
 * no heap allocation in decode or encode.
 *
 * The allocation check links this test with -Wl,--wrap=malloc (and calloc,
 * realloc; see test/meson.build), so every allocation made by this file or
 * by the static libusnmp objects linked into it goes through the counting
 * wrappers below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "captures/captures.h"
#include "pdu.h"
#include "usnmp.h"

/* ------------------------------------------------------------------------
 * Allocation counting (see the file comment)
 * ------------------------------------------------------------------------ */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* A test may only count through a global: the linker routes plain malloc
 * calls here, with no way to pass context. */
static size_t allocations;

void *__wrap_malloc(size_t size) {
  allocations++;
  return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size) {
  allocations++;
  return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
  allocations++;
  return __real_realloc(p, size);
}

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static capture *load(const char *name) {
  capture *c = malloc(sizeof *c);
  assert_non_null(c);
  assert_int_equal(capture_load(c, name), 0);
  return c;
}

static void assert_name(const usnmp_varbind *vb, const char *text) {
  usnmp_oid want;
  usnmp_oid got;
  assert_int_equal(usnmp_oid_parse(&want, text), 0);
  assert_int_equal(usnmp_oid_from_ber(&got, vb->oid, vb->oid_len), 0);
  assert_int_equal(usnmp_oid_cmp(&want, &got), 0);
}

static void assert_oid_value(const usnmp_value *v, const char *text) {
  usnmp_oid want;
  usnmp_oid got;
  assert_int_equal(v->type, USNMP_TYPE_OID);
  assert_int_equal(usnmp_oid_parse(&want, text), 0);
  assert_int_equal(usnmp_value_get_oid(v, &got), 0);
  assert_int_equal(usnmp_oid_cmp(&want, &got), 0);
}

static void assert_string(const usnmp_value *v, const char *s) {
  assert_int_equal(v->type, USNMP_TYPE_OCTET_STRING);
  assert_int_equal(v->v.bytes.len, strlen(s));
  assert_memory_equal(v->v.bytes.data, s, strlen(s));
}

/* Decodes m, checks the generic header fields, re-encodes and requires the
 * same bytes. */
static void decode_roundtrip(const capture_msg *m, usnmp_msg *msg,
                             usnmp_varbind *vbs, size_t max, size_t *n,
                             usnmp_version version, usnmp_pdu_type type,
                             const char *community) {
  uint8_t out[CAPTURE_MAX];
  int len;
  assert_int_equal(usnmp_msg_decode(msg, vbs, max, n, m->bytes, m->len), 0);
  assert_int_equal(msg->version, version);
  assert_int_equal(msg->type, type);
  assert_int_equal(msg->community_len, strlen(community));
  assert_memory_equal(msg->community, community, strlen(community));
  len = usnmp_msg_encode(out, sizeof out, msg, vbs, *n);
  assert_int_equal(len, (int)m->len);
  assert_memory_equal(out, m->bytes, m->len);
}

/* Test-side BER building, forwards and independent of lib/ber.h, for
 * hand-made hostile messages. */

/* Inserts a tag and a minimal length before buf[0..len) (buf has room);
 * returns the new length. */
static size_t wrap(uint8_t *buf, size_t len, uint8_t tag) {
  uint8_t hdr[6];
  size_t h = 0;
  hdr[h++] = tag;
  if (len < 0x80) {
    hdr[h++] = (uint8_t)len;
  } else if (len <= 0xff) {
    hdr[h++] = 0x81;
    hdr[h++] = (uint8_t)len;
  } else if (len <= 0xffff) {
    hdr[h++] = 0x82;
    hdr[h++] = (uint8_t)(len >> 8);
    hdr[h++] = (uint8_t)len;
  } else {
    hdr[h++] = 0x83;
    hdr[h++] = (uint8_t)(len >> 16);
    hdr[h++] = (uint8_t)(len >> 8);
    hdr[h++] = (uint8_t)len;
  }
  memmove(buf + h, buf, len);
  memcpy(buf, hdr, h);
  return len + h;
}

/* Inserts the bytes of hex before buf[0..len); returns the new length. */
static size_t prepend_hex(uint8_t *buf, size_t len, const char *hex) {
  uint8_t tmp[256];
  size_t n = hex_decode(tmp, sizeof tmp, hex);
  assert_true(n != (size_t)-1);
  memmove(buf + n, buf, len);
  memcpy(buf, tmp, n);
  return len + n;
}

/* Wraps a variable-bindings content (buf[0..len)) into a whole message:
 * version, community "public", a PDU of tag with the given header fields. */
static size_t finish_msg(uint8_t *buf, size_t len, const char *version_hex,
                         uint8_t pdu_tag, const char *fields_hex) {
  len = wrap(buf, len, 0x30);
  len = prepend_hex(buf, len, fields_hex);
  len = wrap(buf, len, pdu_tag);
  len = prepend_hex(buf, len, "04 06 70 75 62 6c 69 63");
  len = prepend_hex(buf, len, version_hex);
  return wrap(buf, len, 0x30);
}

/* A v2c Response with one varbind 1.3.6.1 = <value_hex>. */
static size_t msg_with_value(uint8_t *buf, const char *value_hex) {
  size_t len = prepend_hex(buf, 0, value_hex);
  len = prepend_hex(buf, len, "06 03 2b 06 01");
  len = wrap(buf, len, 0x30);
  return finish_msg(buf, len, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
}

/* A v2c Response whose only varbind has content <vb_hex>. */
static size_t msg_with_varbind(uint8_t *buf, const char *vb_hex) {
  size_t len = prepend_hex(buf, 0, vb_hex);
  len = wrap(buf, len, 0x30);
  return finish_msg(buf, len, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
}

/* Decodes strictly, as usnmp did before it tolerated what real agents
 * send: the error tables below are the strict reader's (test_real_agents.c
 * checks the tolerant one). */
static int decode_buf(const uint8_t *buf, size_t len) {
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  return usnmp_msg_decode_ex(&msg, vbs, 8, &n, buf, len, USNMP_DECODE_STRICT,
                             NULL);
}

static int decode_value(const char *value_hex) {
  uint8_t buf[512];
  return decode_buf(buf, msg_with_value(buf, value_hex));
}

/* ------------------------------------------------------------------------
 * Captured messages
 * ------------------------------------------------------------------------ */

static void test_capture_get_v2c(void **state) {
  capture *c = load("get_v2c");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  assert_int_equal(c->n, 2);
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_GET, "public");
  assert_int_equal(msg.request_id, 0x15566fb8);
  assert_int_equal(msg.error_status, 0);
  assert_int_equal(msg.error_index, 0);
  assert_int_equal(n, 2);
  assert_name(&vbs[0], ".1.3.6.1.2.1.1.1.0");
  assert_name(&vbs[1], ".1.3.6.1.2.1.1.3.0");
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_NULL);
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_NULL);

  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(msg.request_id, 0x15566fb8);
  assert_int_equal(n, 2);
  assert_string(&vbs[0].value, "usnmp codec capture agent");
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_TIMETICKS);
  assert_int_equal(vbs[1].value.v.u32, 25128);
  /* Zero-copy: the string points into the datagram. */
  assert_ptr_equal(vbs[0].value.v.bytes.data, c->msgs[1].bytes + 43);
  free(c);
}

static void test_capture_get_v1(void **state) {
  capture *c = load("get_v1");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_GET, "public");
  assert_int_equal(msg.request_id, 0x394231d1);
  assert_int_equal(n, 2);
  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(n, 2);
  assert_string(&vbs[0].value, "usnmp codec capture agent");
  assert_name(&vbs[1], ".1.3.6.1.2.1.1.2.0");
  assert_oid_value(&vbs[1].value, ".1.3.6.1.4.1.8072.3.2.10");
  free(c);
}

static void test_capture_v1_nosuchname(void **state) {
  capture *c = load("get_v1_nosuchname");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(msg.error_status, USNMP_ERROR_STATUS_NOSUCHNAME);
  assert_int_equal(msg.error_index, 1);
  assert_int_equal(n, 1);
  assert_name(&vbs[0], ".1.3.6.1.2.1.1.99.0");
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_NULL);
  free(c);
}

static void test_capture_types(void **state) {
  capture *c = load("get_v2c_types");
  usnmp_msg msg;
  usnmp_varbind vbs[16];
  size_t n;
  uint8_t ip[4];
  static const uint8_t opaque[] = {0x9f, 0x78, 0x04, 0x3f, 0xb7, 0xc0, 0x00};
  (void)state;
  /* Both have 81 xx lengths: the request 0x9e, the response 0xc2. */
  decode_roundtrip(&c->msgs[0], &msg, vbs, 16, &n, USNMP_VERSION_2C,
                   USNMP_PDU_GET, "public");
  assert_int_equal(n, 8);
  decode_roundtrip(&c->msgs[1], &msg, vbs, 16, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(n, 8);
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_COUNTER32);
  assert_int_equal(vbs[0].value.v.u32, 0x297ed0c7u);
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_COUNTER64);
  assert_int_equal(vbs[1].value.v.u64, 0x297ed0c7u);
  assert_int_equal(vbs[2].value.type, USNMP_TYPE_GAUGE32);
  assert_int_equal(vbs[2].value.v.u32, 10000000);
  assert_name(&vbs[3], ".1.3.6.1.2.1.4.20.1.1.127.0.0.1");
  assert_int_equal(usnmp_value_get_ipaddress(&vbs[3].value, ip), 0);
  assert_memory_equal(ip, "\x7f\x00\x00\x01", 4);
  assert_oid_value(&vbs[4].value, ".1.3.6.1.4.1.8072.3.2.10");
  assert_int_equal(vbs[5].value.type, USNMP_TYPE_TIMETICKS);
  assert_int_equal(vbs[5].value.v.u32, 0x643a);
  assert_int_equal(vbs[6].value.type, USNMP_TYPE_OPAQUE);
  assert_int_equal(vbs[6].value.v.bytes.len, sizeof opaque);
  assert_memory_equal(vbs[6].value.v.bytes.data, opaque, sizeof opaque);
  assert_int_equal(vbs[7].value.type, USNMP_TYPE_INTEGER);
  assert_int_equal(vbs[7].value.v.integer, 1);
  free(c);
}

static void test_capture_exceptions(void **state) {
  capture *c = load("get_v2c_exceptions");
  capture *e = load("getnext_v2c_end");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(n, 2);
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_NOSUCHOBJECT);
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_NOSUCHINSTANCE);
  assert_true(usnmp_value_is_exception(&vbs[0].value));
  decode_roundtrip(&e->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_GETNEXT, "public");
  decode_roundtrip(&e->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(n, 1);
  assert_name(&vbs[0], ".1.3.6.1.6.3.20");
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_ENDOFMIBVIEW);
  free(c);
  free(e);
}

static void test_capture_getnext(void **state) {
  capture *c = load("getnext_v2c");
  capture *c1 = load("getnext_v1");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_GETNEXT, "public");
  assert_int_equal(n, 2);
  assert_name(&vbs[0], ".1.3.6.1.2.1.1");
  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_name(&vbs[1], ".1.3.6.1.2.1.2.2.1.1.1");
  assert_int_equal(vbs[1].value.v.integer, 1);
  decode_roundtrip(&c1->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_GETNEXT, "public");
  decode_roundtrip(&c1->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_RESPONSE, "public");
  assert_name(&vbs[0], ".1.3.6.1.2.1.1.3.0");
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_TIMETICKS);
  free(c);
  free(c1);
}

static void test_capture_bulk(void **state) {
  capture *c = load("bulkget_v2c");
  usnmp_msg msg;
  usnmp_varbind vbs[32];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[0], &msg, vbs, 32, &n, USNMP_VERSION_2C,
                   USNMP_PDU_GETBULK, "public");
  assert_int_equal(msg.request_id, 0x41b0b06f);
  assert_int_equal(msg.error_status, 1); /* non-repeaters */
  assert_int_equal(msg.error_index, 12); /* max-repetitions */
  assert_int_equal(n, 2);
  /* The response is 327 bytes: 82 01 43 outer length. */
  assert_int_equal(c->msgs[1].len, 327);
  decode_roundtrip(&c->msgs[1], &msg, vbs, 32, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(n, 13);
  assert_name(&vbs[0], ".1.3.6.1.2.1.1.3.0");
  assert_name(&vbs[12], ".1.3.6.1.2.1.1.9.1.2.5");
  assert_oid_value(&vbs[12].value, ".1.3.6.1.6.3.16.2.2.1");
  free(c);
}

static void test_capture_set(void **state) {
  capture *c = load("set_v2c");
  capture *w = load("set_v2c_wrongtype");
  capture *t = load("set_v2c_types");
  capture *r = load("set_v2c_readonly");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_SET, "private");
  assert_string(&vbs[0].value, "usnmp-capture");
  decode_roundtrip(&c->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "private");

  /* net-snmp encodes -129 as 02 02 FF 7F and 128 as 02 02 00 80. */
  decode_roundtrip(&w->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_SET, "private");
  assert_int_equal(vbs[0].value.v.integer, -129);
  assert_int_equal(vbs[1].value.v.integer, 128);
  decode_roundtrip(&w->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "private");
  assert_int_equal(msg.error_status, USNMP_ERROR_STATUS_WRONGTYPE);
  assert_int_equal(msg.error_index, 1);

  decode_roundtrip(&t->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_SET, "private");
  assert_int_equal(n, 5);
  assert_int_equal(vbs[0].value.type, USNMP_TYPE_IPADDRESS);
  assert_memory_equal(vbs[0].value.v.bytes.data, "\x0a\x01\x02\x03", 4);
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_GAUGE32);
  assert_int_equal(vbs[1].value.v.u32, 4294967295u);
  assert_int_equal(vbs[2].value.type, USNMP_TYPE_TIMETICKS);
  assert_int_equal(vbs[2].value.v.u32, 0);
  assert_oid_value(&vbs[3].value, "2.999.1");
  assert_int_equal(vbs[4].value.v.bytes.len, 3);
  assert_memory_equal(vbs[4].value.v.bytes.data, "\x00\xff\x80", 3);
  decode_roundtrip(&t->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "private");

  decode_roundtrip(&r->msgs[1], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_RESPONSE, "public");
  assert_int_equal(msg.error_status, USNMP_ERROR_STATUS_NOACCESS);
  free(c);
  free(w);
  free(t);
  free(r);
}

static void test_capture_trap_v1(void **state) {
  capture *c = load("trap_v1");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  usnmp_oid ent;
  usnmp_oid want;
  (void)state;
  assert_int_equal(c->n, 1);
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_1,
                   USNMP_PDU_TRAP_V1, "public");
  assert_int_equal(
      usnmp_oid_from_ber(&ent, msg.trap.enterprise, msg.trap.enterprise_len),
      0);
  assert_int_equal(usnmp_oid_parse(&want, ".1.3.6.1.4.1.8072.2.3"), 0);
  assert_int_equal(usnmp_oid_cmp(&ent, &want), 0);
  assert_memory_equal(msg.trap.agent_addr, "\x7f\x00\x00\x01", 4);
  assert_int_equal(msg.trap.generic_trap, 6);
  assert_int_equal(msg.trap.specific_trap, 17);
  assert_int_equal(msg.trap.time_stamp, 12345);
  assert_int_equal(n, 2);
  assert_string(&vbs[0].value, "hello");
  assert_int_equal(vbs[1].value.type, USNMP_TYPE_COUNTER32);
  assert_int_equal(vbs[1].value.v.u32, 4294967295u);
  free(c);
}

static void test_capture_trap_v2c_inform(void **state) {
  capture *c = load("trap_v2c");
  capture *i = load("inform_v2c");
  usnmp_msg msg;
  usnmp_varbind vbs[8];
  size_t n;
  (void)state;
  decode_roundtrip(&c->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_TRAP_V2, "public");
  assert_int_equal(msg.request_id, 0x378c7a2f);
  assert_int_equal(n, 5);
  assert_name(&vbs[0], ".1.3.6.1.2.1.1.3.0");
  assert_int_equal(vbs[0].value.v.u32, 4321);
  assert_name(&vbs[1], ".1.3.6.1.6.3.1.1.4.1.0");
  assert_oid_value(&vbs[1].value, ".1.3.6.1.6.3.1.1.5.1");
  assert_string(&vbs[2].value, "hello");
  assert_int_equal(vbs[3].value.v.u32, 99);
  assert_int_equal(vbs[4].value.v.integer, INT32_MIN);
  decode_roundtrip(&i->msgs[0], &msg, vbs, 8, &n, USNMP_VERSION_2C,
                   USNMP_PDU_INFORM, "public");
  assert_int_equal(n, 3);
  assert_int_equal(vbs[0].value.v.u32, 777);
  free(c);
  free(i);
}

/* ------------------------------------------------------------------------
 * Malformed input
 * ------------------------------------------------------------------------ */

/* Every proper prefix of every capture is truncated; and with the outer
 * length patched to fit the prefix, the cut still never decodes. */
static void test_truncated_every_offset(void **state) {
  (void)state;
  for (size_t f = 0; f < CAPTURE_COUNT; f++) {
    capture *c = load(capture_names[f]);
    for (size_t m = 0; m < c->n; m++) {
      const capture_msg *msg = &c->msgs[m];
      for (size_t k = 0; k < msg->len; k++) {
        uint8_t buf[CAPTURE_MAX + 8];
        size_t hdr = msg->bytes[1] < 0x80 ? 2 : 2 + (msg->bytes[1] & 0x7f);
        size_t len;
        assert_int_equal(decode_buf(msg->bytes, k), USNMP_E_TRUNCATED);
        if (k < hdr)
          continue;
        /* Re-wrap the cut body so only inner lengths run past the end. */
        memcpy(buf, msg->bytes + hdr, k - hdr);
        len = wrap(buf, k - hdr, 0x30);
        assert_true(decode_buf(buf, len) < 0);
      }
    }
    free(c);
  }
}

static void test_lengths_past_end(void **state) {
  capture *c = load("get_v2c");
  uint8_t buf[CAPTURE_MAX];
  const capture_msg *m = &c->msgs[1];
  (void)state;
  /* PDU length (offset 14) one too long. */
  memcpy(buf, m->bytes, m->len);
  buf[14]++;
  assert_int_equal(decode_buf(buf, m->len), USNMP_E_TRUNCATED);
  /* Community length past the PDU. */
  memcpy(buf, m->bytes, m->len);
  buf[6] = 0x7f;
  assert_int_equal(decode_buf(buf, m->len), USNMP_E_TRUNCATED);
  /* A long-form length of four octets, far beyond. */
  assert_int_equal(decode_value("04 84 01 00 00 00"), USNMP_E_TRUNCATED);
  /* The length octets themselves cut off. */
  assert_int_equal(decode_buf((const uint8_t *)"\x30\x82\x01", 3),
                   USNMP_E_TRUNCATED);
  free(c);
}

static void test_bad_lengths(void **state) {
  (void)state;
  assert_int_equal(decode_buf((const uint8_t *)"\x30\x80\x00\x00", 4),
                   USNMP_E_INDEFINITE_LENGTH);
  assert_int_equal(decode_value("04 80 00 00"), USNMP_E_INDEFINITE_LENGTH);
  /* Five length octets, and the reserved 0xff. */
  assert_int_equal(decode_value("04 85 00 00 00 00 01 41"), USNMP_E_BAD_LENGTH);
  assert_int_equal(decode_value("04 ff 00"), USNMP_E_BAD_LENGTH);
  /* Non-minimal long forms, which net-snmp 5.9 never sends. */
  assert_int_equal(decode_value("04 81 01 41"), USNMP_E_BAD_LENGTH);
  assert_int_equal(decode_value("04 82 00 01 41"), USNMP_E_BAD_LENGTH);
}

static void test_wrong_tags(void **state) {
  capture *c = load("get_v2c");
  const capture_msg *m = &c->msgs[1];
  uint8_t buf[CAPTURE_MAX];
  /* offset: replacement tag: expected error */
  static const struct {
    size_t at;
    uint8_t tag;
    int err;
  } cases[] = {
      {0, 0x31, USNMP_E_BAD_TAG},       /* message not a SEQUENCE */
      {2, 0x04, USNMP_E_BAD_TAG},       /* version not an INTEGER */
      {5, 0x02, USNMP_E_BAD_TAG},       /* community not an OCTET STRING */
      {13, 0xa9, USNMP_E_BAD_PDU_TYPE}, /* unknown context tag */
      {13, 0x30, USNMP_E_BAD_PDU_TYPE}, /* a SEQUENCE where the PDU goes */
      {13, 0xbf, USNMP_E_MULTIBYTE_TAG},
      {15, 0x04, USNMP_E_BAD_TAG}, /* request-id */
      {21, 0x41, USNMP_E_BAD_TAG}, /* error-status */
      {24, 0x05, USNMP_E_BAD_TAG}, /* error-index */
      {27, 0x31, USNMP_E_BAD_TAG}, /* variable-bindings */
      {29, 0xa0, USNMP_E_BAD_TAG}, /* varbind */
      {31, 0x04, USNMP_E_BAD_TAG}, /* name */
      {41, 0x45, USNMP_E_BAD_TAG}, /* value: unknown application tag */
      {41, 0x1f, USNMP_E_MULTIBYTE_TAG},
      {41, 0x5f, USNMP_E_MULTIBYTE_TAG},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memcpy(buf, m->bytes, m->len);
    buf[cases[i].at] = cases[i].tag;
    assert_int_equal(decode_buf(buf, m->len), cases[i].err);
  }
  /* Constructed and shallow: walked, then refused for its tag. */
  assert_int_equal(decode_value("30 03 02 01 05"), USNMP_E_BAD_TAG);
  assert_int_equal(decode_value("64 00"), USNMP_E_BAD_TAG);
  assert_int_equal(decode_value("a2 00"), USNMP_E_BAD_TAG);
  /* Other context tags are not values. */
  assert_int_equal(decode_value("83 00"), USNMP_E_BAD_TAG);
  free(c);
}

static void test_nesting_too_deep(void **state) {
  uint8_t value[64];
  size_t len;
  char hex[200];
  (void)state;
  /* A constructed value nested 20 deep: USNMP_E_DEPTH, not a stack
   * overflow nor a plain tag error. */
  len = prepend_hex(value, 0, "05 00");
  for (int i = 0; i < 20; i++)
    len = wrap(value, len, 0x30);
  for (size_t i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", value[i]);
  assert_int_equal(decode_value(hex), USNMP_E_DEPTH);
  /* Just under the cap (the value sits at depth 5): walked, then refused. */
  len = prepend_hex(value, 0, "05 00");
  for (int i = 0; i < USNMP_MAX_DEPTH - 5; i++)
    len = wrap(value, len, 0x30);
  for (size_t i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", value[i]);
  assert_int_equal(decode_value(hex), USNMP_E_BAD_TAG);
  /* One more level reaches the cap. */
  len = wrap(value, len, 0x30);
  for (size_t i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", value[i]);
  assert_int_equal(decode_value(hex), USNMP_E_DEPTH);
}

static void test_integers(void **state) {
  static const struct {
    const char *hex;
    int err;
  } cases[] = {
      {"02 04 7f ff ff ff", 0},
      {"02 04 80 00 00 00", 0},
      {"02 05 00 80 00 00 00", USNMP_E_INT_OVERFLOW},
      {"02 05 ff 7f ff ff ff", USNMP_E_INT_OVERFLOW},
      {"02 02 00 01", USNMP_E_INT_NONMINIMAL},
      {"02 02 ff 80", USNMP_E_INT_NONMINIMAL},
      {"02 00", USNMP_E_BAD_VALUE},
      {"41 05 00 ff ff ff ff", 0},
      {"41 05 01 00 00 00 00", USNMP_E_INT_OVERFLOW},
      {"41 06 00 80 00 00 00 00", USNMP_E_INT_OVERFLOW},
      {"41 01 ff", USNMP_E_INT_OVERFLOW}, /* negative */
      {"41 04 80 00 00 00", USNMP_E_INT_OVERFLOW},
      /* Some agents send 2^32-1 without the 00: as two's complement that
       * is negative. */
      {"41 04 ff ff ff ff", USNMP_E_INT_OVERFLOW},
      {"41 02 00 7f", USNMP_E_INT_NONMINIMAL},
      {"42 00", USNMP_E_BAD_VALUE},
      {"43 05 00 80 00 00 00", 0},
      {"46 09 00 ff ff ff ff ff ff ff ff", 0},
      {"46 09 01 00 00 00 00 00 00 00 00", USNMP_E_INT_OVERFLOW},
      {"46 0a 00 80 00 00 00 00 00 00 00 00", USNMP_E_INT_OVERFLOW},
      {"46 08 80 00 00 00 00 00 00 00", USNMP_E_INT_OVERFLOW},
      {"46 03 00 00 80", USNMP_E_INT_NONMINIMAL},
  };
  capture *c = load("get_v2c");
  uint8_t buf[CAPTURE_MAX];
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(decode_value(cases[i].hex), cases[i].err);
  /* Header integers too: a five-octet request-id, a non-minimal version. */
  memcpy(buf, c->msgs[1].bytes, c->msgs[1].len);
  buf[17] = 0x00; /* request-id 02 04 00 56 6f b8: a 00 before 0x56 */
  assert_int_equal(decode_buf(buf, c->msgs[1].len), USNMP_E_INT_NONMINIMAL);
  free(c);
}

static void test_oids_in_messages(void **state) {
  uint8_t buf[1024];
  char vb[1024];
  size_t at;
  (void)state;
  assert_int_equal(decode_buf(buf, msg_with_varbind(buf, "06 00 05 00")),
                   USNMP_E_BAD_OID);
  assert_int_equal(
      decode_buf(buf, msg_with_varbind(buf, "06 03 2b 80 01 05 00")),
      USNMP_E_BAD_OID);
  assert_int_equal(decode_buf(buf, msg_with_varbind(buf, "06 02 2b 86 05 00")),
                   USNMP_E_BAD_OID);
  assert_int_equal(
      decode_buf(buf, msg_with_varbind(buf, "06 06 2b 90 80 80 80 00 05 00")),
      USNMP_E_OID_SUBID_OVERFLOW);
  assert_int_equal(
      decode_buf(buf, msg_with_varbind(buf, "06 06 2b 8f ff ff ff 7f 05 00")),
      0);
  assert_int_equal(decode_value("06 03 2b 80 01"), USNMP_E_BAD_OID);
  assert_int_equal(decode_value("06 05 90 80 80 80 00"),
                   USNMP_E_OID_SUBID_OVERFLOW);
  /* 128 arcs decode; 129 do not. */
  at = (size_t)snprintf(vb, sizeof vb, "06 7f 2b");
  for (int i = 0; i < 126; i++)
    at += (size_t)snprintf(vb + at, sizeof vb - at, " 01");
  snprintf(vb + at, sizeof vb - at, " 05 00");
  assert_int_equal(decode_buf(buf, msg_with_varbind(buf, vb)), 0);
  at = (size_t)snprintf(vb, sizeof vb, "06 81 80 2b");
  for (int i = 0; i < 127; i++)
    at += (size_t)snprintf(vb + at, sizeof vb - at, " 01");
  snprintf(vb + at, sizeof vb - at, " 05 00");
  assert_int_equal(decode_buf(buf, msg_with_varbind(buf, vb)),
                   USNMP_E_OID_TOO_LONG);
}

static void test_bad_values(void **state) {
  (void)state;
  assert_int_equal(decode_value("40 03 7f 00 01"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("40 05 7f 00 00 01 00"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("05 01 00"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("80 01 00"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("81 01 00"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("82 01 00"), USNMP_E_BAD_VALUE);
  assert_int_equal(decode_value("40 04 7f 00 00 01"), 0);
}

static void test_trailing(void **state) {
  capture *c = load("get_v2c");
  uint8_t buf[CAPTURE_MAX];
  size_t len;
  (void)state;
  memcpy(buf, c->msgs[1].bytes, c->msgs[1].len);
  buf[c->msgs[1].len] = 0;
  assert_int_equal(decode_buf(buf, c->msgs[1].len + 1), USNMP_E_TRAILING);
  /* A third element inside a varbind. */
  assert_int_equal(
      decode_buf(buf, msg_with_varbind(buf, "06 01 2b 05 00 05 00")),
      USNMP_E_TRAILING);
  /* A varbind with no value. */
  assert_int_equal(decode_buf(buf, msg_with_varbind(buf, "06 01 2b")),
                   USNMP_E_TRUNCATED);
  /* An element after the variable-bindings inside the PDU. */
  len = finish_msg(buf, 0, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(decode_buf(buf, len), 0);
  buf[len] = 0x05;
  buf[len + 1] = 0x00;
  len += 2;
  buf[1] += 2;
  buf[14] += 2;
  assert_int_equal(decode_buf(buf, len), USNMP_E_TRAILING);
  /* An element after the PDU inside the message. */
  len = finish_msg(buf, 0, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
  buf[len] = 0x05;
  buf[len + 1] = 0x00;
  len += 2;
  buf[1] += 2;
  assert_int_equal(decode_buf(buf, len), USNMP_E_TRAILING);
  free(c);
}

static void test_versions_and_types(void **state) {
  uint8_t buf[256];
  size_t len;
  (void)state;
  len = finish_msg(buf, 0, "02 01 03", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_VERSION);
  len = finish_msg(buf, 0, "02 01 02", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_VERSION);
  len = finish_msg(buf, 0, "02 01 ff", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_VERSION);
  /* GetBulk, Inform, SNMPv2-Trap and Report do not exist in v1. */
  for (uint8_t t = 0xa5; t <= 0xa8; t++) {
    len = finish_msg(buf, 0, "02 01 00", t, "02 01 01 02 01 00 02 01 00");
    assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_PDU_TYPE);
    len = finish_msg(buf, 0, "02 01 01", t, "02 01 01 02 01 00 02 01 00");
    assert_int_equal(decode_buf(buf, len), 0);
  }
  /* The v1 Trap-PDU does not exist in v2c. */
  len = finish_msg(buf, 0, "02 01 01", 0xa4,
                   "06 01 2b 40 04 7f 00 00 01 02 01 00 02 01 00 43 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_PDU_TYPE);
  len = finish_msg(buf, 0, "02 01 00", 0xa4,
                   "06 01 2b 40 04 7f 00 00 01 02 01 00 02 01 00 43 01 00");
  assert_int_equal(decode_buf(buf, len), 0);
  /* Trap-PDU fields: agent-addr of 5 octets, time-stamp as INTEGER. */
  len = finish_msg(buf, 0, "02 01 00", 0xa4,
                   "06 01 2b 40 05 7f 00 00 01 00 02 01 00 02 01 00 43 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_VALUE);
  len = finish_msg(buf, 0, "02 01 00", 0xa4,
                   "06 01 2b 40 04 7f 00 00 01 02 01 00 02 01 00 02 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_TAG);
  len = finish_msg(buf, 0, "02 01 00", 0xa4,
                   "06 01 80 40 04 7f 00 00 01 02 01 00 02 01 00 43 01 00");
  assert_int_equal(decode_buf(buf, len), USNMP_E_BAD_OID);
}

static void test_too_many_varbinds(void **state) {
  capture *c = load("bulkget_v2c");
  usnmp_msg msg;
  usnmp_varbind vbs[16];
  size_t n = 99;
  uint8_t *buf;
  size_t len = 0;
  usnmp_varbind *many;
  (void)state;
  assert_int_equal(
      usnmp_msg_decode(&msg, vbs, 12, &n, c->msgs[1].bytes, c->msgs[1].len),
      USNMP_E_TOO_MANY_VARBINDS);
  assert_int_equal(
      usnmp_msg_decode(&msg, vbs, 13, &n, c->msgs[1].bytes, c->msgs[1].len), 0);
  assert_int_equal(n, 13);
  assert_int_equal(
      usnmp_msg_decode(&msg, NULL, 0, &n, c->msgs[1].bytes, c->msgs[1].len),
      USNMP_E_TOO_MANY_VARBINDS);
  /* USNMP_MAX_VARBINDS caps a larger max_vbs. */
  buf = malloc(32768);
  many = malloc((USNMP_MAX_VARBINDS + 8) * sizeof *many);
  assert_non_null(buf);
  assert_non_null(many);
  for (int i = 0; i <= USNMP_MAX_VARBINDS; i++)
    len = prepend_hex(buf, len, "30 05 06 01 2b 05 00");
  len = finish_msg(buf, len, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(
      usnmp_msg_decode(&msg, many, USNMP_MAX_VARBINDS + 8, &n, buf, len),
      USNMP_E_TOO_MANY_VARBINDS);
  /* One varbind fewer fits exactly. */
  len = 0;
  for (int i = 0; i < USNMP_MAX_VARBINDS; i++)
    len = prepend_hex(buf, len, "30 05 06 01 2b 05 00");
  len = finish_msg(buf, len, "02 01 01", 0xa2, "02 01 01 02 01 00 02 01 00");
  assert_int_equal(
      usnmp_msg_decode(&msg, many, USNMP_MAX_VARBINDS + 8, &n, buf, len), 0);
  assert_int_equal(n, USNMP_MAX_VARBINDS);
  free(buf);
  free(many);
  free(c);
}

static void test_message_too_big(void **state) {
  uint8_t *buf = malloc(USNMP_MAX_MSG_SIZE + 16);
  static const uint8_t name[] = {0x2b, 0x06, 0x01};
  usnmp_msg msg = {.version = USNMP_VERSION_2C,
                   .community = (const uint8_t *)"public",
                   .community_len = 6,
                   .type = USNMP_PDU_SET};
  usnmp_varbind vb = {.oid = name, .oid_len = sizeof name};
  int len;
  (void)state;
  assert_non_null(buf);
  memset(buf, 0, USNMP_MAX_MSG_SIZE + 16);
  assert_int_equal(decode_buf(buf, USNMP_MAX_MSG_SIZE + 1),
                   USNMP_E_MSG_TOO_BIG);
  {
    /* Encoding: whatever the buffer, a message over the limit is too big. */
    uint8_t *out = malloc(USNMP_MAX_MSG_SIZE + 16);
    assert_non_null(out);
    vb.value = usnmp_value_octets(buf, USNMP_MAX_MSG_SIZE);
    assert_int_equal(
        usnmp_msg_encode(out, USNMP_MAX_MSG_SIZE + 16, &msg, &vb, 1),
        USNMP_E_MSG_TOO_BIG);
    assert_int_equal(usnmp_msg_encode(out, 10, &msg, &vb, 1),
                     USNMP_E_MSG_TOO_BIG);
    /* The largest message allowed is 65507 bytes: with a string of L bytes
     * (82 xx xx lengths throughout) the message takes L + 45. */
    vb.value = usnmp_value_octets(buf, USNMP_MAX_MSG_SIZE - 45);
    len = usnmp_msg_encode(out, USNMP_MAX_MSG_SIZE, &msg, &vb, 1);
    assert_int_equal(len, USNMP_MAX_MSG_SIZE);
    assert_int_equal(decode_buf(out, (size_t)len), 0);
    /* A smaller buffer is just too small, not a message too big. */
    assert_int_equal(
        usnmp_msg_encode(out, USNMP_MAX_MSG_SIZE - 1, &msg, &vb, 1),
        USNMP_E_NOBUFS);
    vb.value = usnmp_value_octets(buf, USNMP_MAX_MSG_SIZE - 44);
    assert_int_equal(
        usnmp_msg_encode(out, USNMP_MAX_MSG_SIZE + 1, &msg, &vb, 1),
        USNMP_E_MSG_TOO_BIG);
    free(out);
  }
  free(buf);
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

/* Every capture, encoded into every buffer size below its length, gives
 * NOBUFS and writes nothing outside the buffer. */
static void test_encode_nobufs_every_size(void **state) {
  static usnmp_varbind vbs[32];
  (void)state;
  for (size_t f = 0; f < CAPTURE_COUNT; f++) {
    capture *c = load(capture_names[f]);
    for (size_t m = 0; m < c->n; m++) {
      usnmp_msg msg;
      size_t n;
      uint8_t out[CAPTURE_MAX + 16];
      size_t len = c->msgs[m].len;
      assert_int_equal(
          usnmp_msg_decode(&msg, vbs, 32, &n, c->msgs[m].bytes, len), 0);
      for (size_t size = 0; size < len; size++) {
        memset(out, 0xa5, sizeof out);
        assert_int_equal(usnmp_msg_encode(out, size, &msg, vbs, n),
                         USNMP_E_NOBUFS);
        for (size_t k = size; k < sizeof out; k++)
          assert_int_equal(out[k], 0xa5);
      }
      assert_int_equal(usnmp_msg_encode(out, len, &msg, vbs, n), (int)len);
      assert_memory_equal(out, c->msgs[m].bytes, len);
    }
    free(c);
  }
}

static void test_encode_invalid(void **state) {
  static const uint8_t name[] = {0x2b, 0x06, 0x01};
  static const uint8_t bad_name[] = {0x2b, 0x86};
  uint8_t out[256];
  usnmp_msg msg = {.version = USNMP_VERSION_2C,
                   .community = (const uint8_t *)"public",
                   .community_len = 6,
                   .type = USNMP_PDU_GET};
  usnmp_varbind vb = {.oid = name, .oid_len = sizeof name};
  (void)state;
  vb.value = usnmp_value_null();
  assert_true(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1) > 0);
  assert_int_equal(usnmp_msg_encode(out, sizeof out, NULL, &vb, 1),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, NULL, 1),
                   USNMP_E_INVAL);
  msg.version = USNMP_VERSION_3;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_INVAL);
  msg.version = USNMP_VERSION_1;
  msg.type = USNMP_PDU_GETBULK;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_INVAL);
  msg.version = USNMP_VERSION_2C;
  msg.type = (usnmp_pdu_type)0xa9;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_INVAL);
  msg.type = USNMP_PDU_SET;
  vb.value.type = (usnmp_type)0x45;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_BAD_VALUE);
  vb.value = usnmp_value_ipaddress((const uint8_t *)"\x01\x02\x03\x04");
  vb.value.v.bytes.len = 3;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_BAD_VALUE);
  vb.value = usnmp_value_null();
  vb.oid = bad_name;
  vb.oid_len = sizeof bad_name;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_BAD_OID);
  vb.oid = name;
  vb.oid_len = sizeof name;
  vb.value.type = USNMP_TYPE_OID;
  vb.value.v.bytes.data = bad_name;
  vb.value.v.bytes.len = sizeof bad_name;
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_BAD_OID);
  vb.value = usnmp_value_octets(NULL, 3);
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   USNMP_E_INVAL);
  vb.value = usnmp_value_octets(NULL, 0);
  assert_true(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1) > 0);
  /* No varbinds at all is a valid (empty) list. */
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, NULL, 0), 26);
  assert_memory_equal(out,
                      "\x30\x18\x02\x01\x01\x04\x06public\xa3\x0b\x02\x01\x00"
                      "\x02\x01\x00\x02\x01\x00\x30\x00",
                      26);
}

/* A message built from scratch, checked against bytes written by hand. */
static void test_encode_known(void **state) {
  static const uint8_t name[] = {0x2b, 0x06, 0x01, 0x02, 0x01,
                                 0x01, 0x05, 0x00}; /* 1.3.6.1.2.1.1.5.0 */
  static const uint8_t want[] = {
      0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x07, 'p',  'r',  'i',  'v',
      'a',  't',  'e',  0xa3, 0x1b, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01,
      0x00, 0x02, 0x01, 0x00, 0x30, 0x0f, 0x30, 0x0d, 0x06, 0x08, 0x2b,
      0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00, 0x02, 0x01, 0x05};
  uint8_t out[128];
  usnmp_msg msg = {.version = USNMP_VERSION_2C,
                   .community = (const uint8_t *)"private",
                   .community_len = 7,
                   .type = USNMP_PDU_SET,
                   .request_id = 128};
  usnmp_varbind vb = {.oid = name, .oid_len = sizeof name};
  (void)state;
  vb.value = usnmp_value_integer(5);
  assert_int_equal(usnmp_msg_encode(out, sizeof out, &msg, &vb, 1),
                   (int)sizeof want);
  assert_memory_equal(out, want, sizeof want);
}

/* The bare PDU API, as SNMPv3 uses it: a PDU inside a wrapper of the
 * caller's own (here a scopedPDU-like SEQUENCE { OCTET STRING, PDU }). */
static void test_bare_pdu(void **state) {
  capture *c = load("trap_v2c");
  usnmp_msg msg;
  usnmp_msg pdu_msg;
  usnmp_varbind vbs[8];
  usnmp_varbind vbs2[8];
  size_t n;
  size_t n2;
  uint8_t out[CAPTURE_MAX];
  usnmp__writer w;
  usnmp__slice in;
  usnmp__slice scoped;
  const uint8_t *ctx;
  size_t ctx_len;
  size_t mark;
  int len;
  (void)state;
  assert_int_equal(
      usnmp_msg_decode(&msg, vbs, 8, &n, c->msgs[0].bytes, c->msgs[0].len), 0);
  usnmp__writer_init(&w, out, sizeof out);
  mark = usnmp__writer_len(&w);
  assert_int_equal(usnmp__pdu_encode(&w, &msg, vbs, n), 0);
  usnmp__ber_put_octets(&w, USNMP_TYPE_OCTET_STRING, "ctx", 3);
  usnmp__ber_put_wrap(&w, 0x30, mark);
  len = usnmp__writer_finish(&w);
  /* The PDU bytes are those of the captured message after its header. */
  assert_int_equal(len, (int)(c->msgs[0].len - 13 + 5 + 2));
  assert_memory_equal(out + 7, c->msgs[0].bytes + 13, c->msgs[0].len - 13);

  usnmp__slice_init(&in, out, (size_t)len);
  assert_int_equal(usnmp__ber_get_asn1(&in, &scoped, 0x30), 0);
  assert_int_equal(in.len, 0);
  assert_int_equal(
      usnmp__ber_get_octets(&scoped, USNMP_TYPE_OCTET_STRING, &ctx, &ctx_len),
      0);
  assert_int_equal(ctx_len, 3);
  assert_int_equal(usnmp__pdu_decode(&scoped, &pdu_msg, vbs2, 8, &n2, 0), 0);
  assert_int_equal(scoped.len, 0);
  assert_int_equal(pdu_msg.type, USNMP_PDU_TRAP_V2);
  assert_int_equal(pdu_msg.request_id, msg.request_id);
  assert_int_equal(n2, n);
  assert_memory_equal(vbs2[4].oid, vbs[4].oid, vbs[4].oid_len);
  assert_true(usnmp__pdu_type_allowed(USNMP_VERSION_3, USNMP_PDU_REPORT));
  assert_false(usnmp__pdu_type_allowed(USNMP_VERSION_3, USNMP_PDU_TRAP_V1));
  assert_false(usnmp__pdu_type_allowed(USNMP_VERSION_1, USNMP_PDU_GETBULK));
  assert_false(usnmp__pdu_type_allowed((usnmp_version)2, USNMP_PDU_GET));
  free(c);
}

/* ------------------------------------------------------------------------
 * No allocation
 * ------------------------------------------------------------------------ */

static void test_no_allocation(void **state) {
  capture *caps[CAPTURE_COUNT];
  static usnmp_varbind vbs[32];
  uint8_t out[CAPTURE_MAX];
  size_t before;
  void *p;
  /* Called through a volatile pointer so the compiler cannot elide the
   * malloc/free pair. */
  void *(*volatile alloc)(size_t) = malloc;
  (void)state;
  for (size_t f = 0; f < CAPTURE_COUNT; f++)
    caps[f] = load(capture_names[f]);
  /* The hook counts: an allocation made here is seen. */
  before = allocations;
  p = alloc(16);
  assert_int_equal(allocations, before + 1);
  free(p);

  before = allocations;
  for (int round = 0; round < 100; round++) {
    for (size_t f = 0; f < CAPTURE_COUNT; f++) {
      for (size_t m = 0; m < caps[f]->n; m++) {
        usnmp_msg msg;
        size_t n;
        int len;
        const capture_msg *cm = &caps[f]->msgs[m];
        assert_int_equal(
            usnmp_msg_decode(&msg, vbs, 32, &n, cm->bytes, cm->len), 0);
        len = usnmp_msg_encode(out, sizeof out, &msg, vbs, n);
        assert_int_equal(len, (int)cm->len);
        /* Failing paths allocate nothing either. */
        assert_int_equal(usnmp_msg_encode(out, cm->len - 1, &msg, vbs, n),
                         USNMP_E_NOBUFS);
        assert_int_equal(
            usnmp_msg_decode(&msg, vbs, 32, &n, cm->bytes, cm->len - 1),
            USNMP_E_TRUNCATED);
      }
    }
  }
  assert_int_equal(allocations, before);
  for (size_t f = 0; f < CAPTURE_COUNT; f++)
    free(caps[f]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_capture_get_v2c),
      cmocka_unit_test(test_capture_get_v1),
      cmocka_unit_test(test_capture_v1_nosuchname),
      cmocka_unit_test(test_capture_types),
      cmocka_unit_test(test_capture_exceptions),
      cmocka_unit_test(test_capture_getnext),
      cmocka_unit_test(test_capture_bulk),
      cmocka_unit_test(test_capture_set),
      cmocka_unit_test(test_capture_trap_v1),
      cmocka_unit_test(test_capture_trap_v2c_inform),
      cmocka_unit_test(test_truncated_every_offset),
      cmocka_unit_test(test_lengths_past_end),
      cmocka_unit_test(test_bad_lengths),
      cmocka_unit_test(test_wrong_tags),
      cmocka_unit_test(test_nesting_too_deep),
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_oids_in_messages),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_trailing),
      cmocka_unit_test(test_versions_and_types),
      cmocka_unit_test(test_too_many_varbinds),
      cmocka_unit_test(test_message_too_big),
      cmocka_unit_test(test_encode_nobufs_every_size),
      cmocka_unit_test(test_encode_invalid),
      cmocka_unit_test(test_encode_known),
      cmocka_unit_test(test_bare_pdu),
      cmocka_unit_test(test_no_allocation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
