/*
 * Differential test of lib/format.c against net-snmp's own library.
 *
 * Built only when meson finds libnetsnmp.  Random varbinds of every type
 * are encoded into a v2c Response; net-snmp parses the message with
 * snmp_parse() and prints each varbind with snprint_variable() set up as
 * `snmpget -On` with no MIBs (nothing loads a MIB: the tree stays empty),
 * while usnmp decodes the same bytes with usnmp_msg_decode() and prints
 * them with usnmp_varbind_format().  The two lines must be identical.
 *
 * A few known lines of snmpget's own output are checked first, to show
 * that this set-up of the library prints what the tool prints.  The
 * messages captured from net-snmp's snmpd and tools (test/captures/) are
 * compared the same way, varbind by varbind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "usnmp.h"

/* A deterministic generator, so a failure can be replayed. */
typedef struct rng {
  uint64_t state;
} rng;

static uint64_t rnd(rng *r) {
  /* splitmix64 */
  uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n) { return rnd(r) % n; }

/* A growing BER buffer, written forwards (the messages here are small). */
typedef struct ber_buf {
  uint8_t data[4096];
  size_t len;
} ber_buf;

static void put_bytes(ber_buf *b, const void *p, size_t n) {
  if (n == 0)
    return; /* p may be NULL then */
  assert_true(b->len + n <= sizeof(b->data));
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_tlv(ber_buf *b, uint8_t tag, const uint8_t *content, size_t n) {
  uint8_t hdr[4];
  size_t h = 0;
  hdr[h++] = tag;
  if (n < 0x80) {
    hdr[h++] = (uint8_t)n;
  } else if (n < 0x100) {
    hdr[h++] = 0x81;
    hdr[h++] = (uint8_t)n;
  } else {
    hdr[h++] = 0x82;
    hdr[h++] = (uint8_t)(n >> 8);
    hdr[h++] = (uint8_t)n;
  }
  put_bytes(b, hdr, h);
  put_bytes(b, content, n);
}

/* Minimal two's complement content of v. */
static size_t int_content(uint8_t out[9], int64_t v) {
  uint8_t tmp[8];
  size_t n = 8, start = 0;
  for (int i = 7; i >= 0; i--) {
    tmp[i] = (uint8_t)v;
    v >>= 8; /* arithmetic on the targets we build for (gcc, clang) */
  }
  while (start < n - 1 && ((tmp[start] == 0x00 && !(tmp[start + 1] & 0x80)) ||
                           (tmp[start] == 0xff && (tmp[start + 1] & 0x80))))
    start++;
  memcpy(out, tmp + start, n - start);
  return n - start;
}

/* Minimal content of an unsigned value (a leading zero when needed). */
static size_t uint_content(uint8_t out[9], uint64_t v) {
  uint8_t tmp[9];
  size_t start = 0;
  tmp[0] = 0;
  for (int i = 8; i >= 1; i--) {
    tmp[i] = (uint8_t)v;
    v >>= 8;
  }
  while (start < 8 && tmp[start] == 0 && !(tmp[start + 1] & 0x80))
    start++;
  memcpy(out, tmp + start, 9 - start);
  return 9 - start;
}

/* Appends one base-128 sub-identifier. */
static void put_subid(ber_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (uint8_t)(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (n > 0) {
    n--;
    uint8_t c = (uint8_t)(tmp[n] | (n > 0 ? 0x80 : 0));
    put_bytes(b, &c, 1);
  }
}

static uint32_t random_u32(rng *r) {
  static const uint32_t edges[] = {0,         1,           99,        100,
                                   5999,      6000,        359999,    360000,
                                   8639999,   8640000,     8640001,   17280000,
                                   INT32_MAX, 0x80000000u, UINT32_MAX};
  if (below(r, 3) == 0)
    return edges[below(r, sizeof(edges) / sizeof(edges[0]))];
  return (uint32_t)(rnd(r) >> below(r, 32));
}

static uint64_t random_u64(rng *r) {
  if (below(r, 8) == 0)
    return below(r, 2) ? UINT64_MAX : (UINT64_C(1) << 53) + below(r, 3) - 1;
  return rnd(r) >> below(r, 64);
}

/* Random bytes for a string: mostly text, sometimes one odd byte, or all
 * random. */
static size_t random_string(rng *r, uint8_t *out, size_t cap) {
  size_t len = below(r, 8) == 0 ? below(r, cap) : below(r, 40);
  int mode = (int)below(r, 4);
  static const char texty[] = "ab \"\\\t\r\n\v\f~{}%";
  for (size_t i = 0; i < len; i++) {
    if (mode == 0)
      out[i] = (uint8_t)rnd(r);
    else if (below(r, 4) == 0)
      out[i] = (uint8_t)texty[below(r, sizeof(texty) - 1)];
    else
      out[i] = (uint8_t)(0x20 + below(r, 95));
  }
  if (mode == 1 && len > 0)
    out[below(r, len)] = (uint8_t)rnd(r);
  return len;
}

/* Opaque content: raw bytes, or one of net-snmp's special encodings, valid
 * or slightly off. */
static size_t random_opaque(rng *r, uint8_t *out) {
  static const uint8_t subtypes[] = {0x76, 0x78, 0x79, 0x7a, 0x7b, 0x77};
  size_t n = 0, vlen;
  if (below(r, 4) == 0) {
    n = below(r, 40);
    for (size_t i = 0; i < n; i++)
      out[i] = (uint8_t)rnd(r);
    return n;
  }
  out[n++] = 0x9f;
  out[n++] = subtypes[below(r, sizeof(subtypes))];
  if (out[1] == 0x78)
    vlen = 4;
  else if (out[1] == 0x79)
    vlen = 8;
  else
    vlen = below(r, 10);
  if (below(r, 10) == 0)
    vlen = below(r, 12); /* often a length net-snmp refuses */
  out[n++] = (uint8_t)vlen;
  for (size_t i = 0; i < vlen; i++)
    out[n++] = (uint8_t)rnd(r);
  if (vlen == 9 && below(r, 2))
    out[3] = 0;
  if (below(r, 10) == 0)
    out[n++] = (uint8_t)rnd(r); /* a trailing byte */
  return n;
}

/* Appends one random varbind (name and value) to vb. */
static void random_varbind(rng *r, ber_buf *vb) {
  ber_buf name = {.len = 0}, value = {.len = 0};
  uint8_t content[600];
  size_t n;
  size_t arcs = 2 + below(r, 14);

  /* The name: .1.3.6.1.4.1.<random arcs>. */
  put_bytes(&name, "\x2b\x06\x01\x04\x01", 5);
  for (size_t i = 0; i < arcs; i++)
    put_subid(&name, i == 0 ? below(r, 100000) : random_u32(r));
  put_tlv(vb, 0x06, name.data, name.len);

  switch (below(r, 13)) {
  case 0:
    n = int_content(content, (int32_t)random_u32(r));
    put_tlv(vb, 0x02, content, n);
    break;
  case 1:
  case 2:
    n = random_string(r, content, sizeof(content));
    put_tlv(vb, 0x04, content, n);
    break;
  case 3:
    put_tlv(vb, 0x05, NULL, 0);
    break;
  case 4: {
    uint32_t first = (uint32_t)below(r, 3);
    uint64_t second = first < 2 ? below(r, 40) : random_u32(r) % 1000000;
    put_subid(&value, first * 40 + second);
    for (size_t i = below(r, 20); i > 0; i--)
      put_subid(&value, random_u32(r));
    put_tlv(vb, 0x06, value.data, value.len);
    break;
  }
  case 5:
    for (int i = 0; i < 4; i++)
      content[i] = (uint8_t)rnd(r);
    put_tlv(vb, 0x40, content, 4);
    break;
  case 6:
  case 7:
  case 8: {
    static const uint8_t tags[] = {0x41, 0x42, 0x43};
    n = uint_content(content, random_u32(r));
    put_tlv(vb, tags[below(r, 3)], content, n);
    break;
  }
  case 9:
    n = random_opaque(r, content);
    put_tlv(vb, 0x44, content, n);
    break;
  case 10:
    n = uint_content(content, random_u64(r));
    put_tlv(vb, 0x46, content, n);
    break;
  case 11:
    put_tlv(vb, (uint8_t)(0x80 + below(r, 3)), NULL, 0);
    break;
  default:
    /* Long binary strings: the Hex-STRING line breaks. */
    n = 1 + below(r, 70);
    for (size_t i = 0; i < n; i++)
      content[i] = (uint8_t)rnd(r);
    put_tlv(vb, 0x04, content, n);
    break;
  }
}

/* Wraps varbinds into a v2c Response message. */
static void wrap_response(ber_buf *msg, const ber_buf *vbl) {
  ber_buf pdu = {.len = 0}, body = {.len = 0};
  put_tlv(&pdu, 0x02, (const uint8_t *)"\x01", 1);
  put_tlv(&pdu, 0x02, (const uint8_t *)"\x00", 1);
  put_tlv(&pdu, 0x02, (const uint8_t *)"\x00", 1);
  put_tlv(&pdu, 0x30, vbl->data, vbl->len);
  put_tlv(&body, 0x02, (const uint8_t *)"\x01", 1);
  put_tlv(&body, 0x04, (const uint8_t *)"public", 6);
  put_tlv(&body, 0xa2, pdu.data, pdu.len);
  msg->len = 0;
  put_tlv(msg, 0x30, body.data, body.len);
}

/* Parses msg with net-snmp; returns the PDU (snmp_free_pdu() it) or NULL
 * if net-snmp refuses the message. */
static netsnmp_pdu *netsnmp_parse(const uint8_t *data, size_t len,
                                  long version) {
  netsnmp_session session;
  netsnmp_pdu *pdu;
  snmp_sess_init(&session);
  session.version = version;
  pdu = snmp_pdu_create(0);
  assert_non_null(pdu);
  if (snmp_parse(NULL, &session, pdu, (u_char *)data, len) != 0) {
    snmp_free_pdu(pdu);
    return NULL;
  }
  return pdu;
}

/* Prints the first varbind of msg the way snmpget -On does; returns 0 if
 * net-snmp refuses the message. */
static int netsnmp_line(const ber_buf *msg, char *out, size_t cap) {
  netsnmp_pdu *pdu = netsnmp_parse(msg->data, msg->len, SNMP_VERSION_2c);
  int ok = 0;
  if (pdu == NULL)
    return 0;
  if (pdu->variables != NULL) {
    snprint_variable(out, cap, pdu->variables->name,
                     pdu->variables->name_length, pdu->variables);
    ok = 1;
  }
  snmp_free_pdu(pdu);
  return ok;
}

static int setup(void **state) {
  (void)state;
  netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OID_OUTPUT_FORMAT,
                     NETSNMP_OID_OUTPUT_NUMERIC);
  return 0;
}

/* Lines snmpget itself printed for the same bytes (see test_format.c). */
static void test_oracle_matches_snmpget(void **state) {
  (void)state;
  static const struct {
    uint8_t tag;
    size_t len;
    const char *content;
    const char *line;
  } known[] = {
      {0x04, 0, "", ".1.3.6.1.4.1.99999.1 = \"\""},
      {0x04, 17,
       "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10",
       ".1.3.6.1.4.1.99999.1 = Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A "
       "0B 0C 0D 0E 0F \n10 "},
      {0x44, 7, "\x9f\x78\x04\x3f\xc0\x00\x00",
       ".1.3.6.1.4.1.99999.1 = Opaque: Float: 1.500000"},
      {0x43, 4, "\x00\x83\xd6\x00",
       ".1.3.6.1.4.1.99999.1 = Timeticks: (8640000) 1 day, 0:00:00.00"},
  };
  char line[512];
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    ber_buf vb = {.len = 0}, vbl = {.len = 0}, msg;
    put_tlv(&vb, 0x06, (const uint8_t *)"\x2b\x06\x01\x04\x01\x86\x8d\x1f\x01",
            9);
    put_tlv(&vb, known[i].tag, (const uint8_t *)known[i].content, known[i].len);
    put_tlv(&vbl, 0x30, vb.data, vb.len);
    wrap_response(&msg, &vbl);
    assert_true(netsnmp_line(&msg, line, sizeof(line)));
    assert_string_equal(line, known[i].line);
  }
}

static void test_random_varbinds(void **state) {
  (void)state;
  rng r = {UINT64_C(20261125)};
  char theirs[8192], ours[8192];
  int compared = 0, refused = 0;

  for (int iter = 0; iter < 20000; iter++) {
    ber_buf vb = {.len = 0}, vbl = {.len = 0}, msg;
    usnmp_msg m;
    usnmp_varbind vbs[1];
    size_t n_vbs = 0;
    int rc, len;

    random_varbind(&r, &vb);
    put_tlv(&vbl, 0x30, vb.data, vb.len);
    wrap_response(&msg, &vbl);

    if (!netsnmp_line(&msg, theirs, sizeof(theirs))) {
      /* net-snmp drops the reply (an Opaque it cannot decode); the plain
       * test covers usnmp's choice for those. */
      refused++;
      continue;
    }
    rc = usnmp_msg_decode(&m, vbs, 1, &n_vbs, msg.data, msg.len);
    if (rc != 0 || n_vbs != 1)
      fail_msg("iteration %d: usnmp_msg_decode = %d on a message net-snmp "
               "takes; net-snmp printed: %s",
               iter, rc, theirs);
    len = usnmp_varbind_format(ours, sizeof(ours), &vbs[0]);
    if (len < 0 || strcmp(ours, theirs) != 0)
      fail_msg("iteration %d:\n  net-snmp: [%s]\n  usnmp:    [%s] (%d)", iter,
               theirs, ours, len);
    assert_int_equal(len, (int)strlen(theirs));
    compared++;
  }
  /* Most messages were compared, and some refused (so the odd Opaques
   * were generated). */
  assert_true(compared > 18000);
  assert_true(refused > 0);
}

/* The messages of one capture file: "kind hex" lines, '#' comments (see
 * test/captures/capture.sh). */
typedef struct capture_file {
  struct {
    uint8_t bytes[2048];
    size_t len;
  } msgs[4];
  size_t n;
} capture_file;

static int hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static void load_capture(capture_file *c, const char *name) {
  char path[128];
  char line[8192];
  FILE *f;
  snprintf(path, sizeof(path), "captures/%s.txt", name);
  f = fopen(path, "r");
  if (f == NULL)
    fail_msg("cannot open %s", path);
  c->n = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    const char *hex = strchr(line, ' ');
    size_t len = 0;
    if (line[0] == '#' || hex == NULL)
      continue;
    assert_true(c->n < sizeof(c->msgs) / sizeof(c->msgs[0]));
    for (hex++; hex_digit(hex[0]) >= 0 && hex_digit(hex[1]) >= 0; hex += 2) {
      assert_true(len < sizeof(c->msgs[0].bytes));
      c->msgs[c->n].bytes[len++] =
          (uint8_t)(hex_digit(hex[0]) << 4 | hex_digit(hex[1]));
    }
    c->msgs[c->n++].len = len;
  }
  fclose(f);
  assert_true(c->n > 0);
}

/* Every varbind of every captured v1/v2c message prints the same. */
static void test_captured_messages(void **state) {
  (void)state;
  static const char *const names[] = {
      "get_v2c",
      "get_v1",
      "get_v1_nosuchname",
      "get_v2c_types",
      "get_v2c_exceptions",
      "getnext_v2c",
      "getnext_v2c_end",
      "getnext_v1",
      "bulkget_v2c",
      "set_v2c",
      "set_v2c_wrongtype",
      "set_v2c_types",
      "set_v2c_readonly",
      "trap_v1",
      "trap_v2c",
      "inform_v2c",
  };
  capture_file c;
  char theirs[4096], ours[4096];
  size_t compared = 0;

  for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
    load_capture(&c, names[f]);
    for (size_t i = 0; i < c.n; i++) {
      usnmp_msg m;
      usnmp_varbind vbs[64];
      size_t n_vbs = 0, k = 0;
      netsnmp_pdu *pdu;
      int rc =
          usnmp_msg_decode(&m, vbs, 64, &n_vbs, c.msgs[i].bytes, c.msgs[i].len);
      if (rc != 0)
        fail_msg("%s #%zu: usnmp_msg_decode = %d", names[f], i, rc);
      /* usnmp's version numbers are the wire's, as are net-snmp's. */
      pdu = netsnmp_parse(c.msgs[i].bytes, c.msgs[i].len, (long)m.version);
      if (pdu == NULL)
        fail_msg("%s #%zu: net-snmp refuses it", names[f], i);
      for (netsnmp_variable_list *v = pdu->variables; v != NULL;
           v = v->next_variable, k++) {
        assert_true(k < n_vbs);
        snprint_variable(theirs, sizeof(theirs), v->name, v->name_length, v);
        int len = usnmp_varbind_format(ours, sizeof(ours), &vbs[k]);
        if (len < 0 || strcmp(ours, theirs) != 0)
          fail_msg("%s #%zu varbind %zu:\n  net-snmp: [%s]\n  usnmp:    "
                   "[%s]",
                   names[f], i, k, theirs, ours);
        compared++;
      }
      assert_int_equal(k, n_vbs);
      snmp_free_pdu(pdu);
    }
  }
  assert_true(compared > 50);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oracle_matches_snmpget),
      cmocka_unit_test(test_random_varbinds),
      cmocka_unit_test(test_captured_messages),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
