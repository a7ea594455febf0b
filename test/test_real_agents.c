/*
 * Real agents: replies with the encodings devices in the field send
 * (test/faulty_agent.h), read by the codec and by the manager, over v1 and
 * v2c; what stays refused; the strict option; the tolerance counters; the
 * status of a request whose agent answered unreadably; GETBULK answers
 * that repeat endOfMibView; SNMPv3 plaintext with zero padding.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faulty_agent.h"
#include "fuzz/msg3_check.h"
#include "test_util.h"
#include "usnmp.h"

/* ------------------------------------------------------------------------
 * What each case decodes to
 * ------------------------------------------------------------------------ */

typedef struct expect {
  int c;              /* the case */
  usnmp_type type;    /* decoded type */
  uint64_t number;    /* INTEGER (as int32), unsigned types */
  const char *text;   /* usnmp_varbind_format(): net-snmp's snmpget -On
                         line where net-snmp prints one */
  uint32_t tolerated; /* usnmp_msg_decode_ex()'s tolerated bits */
  int strict;         /* the error of USNMP_DECODE_STRICT */
} expect;

#define I(c) ".1.3.6.1.4.1.99999." #c ".0 = "

static const expect expects[] = {
    {FAULTY_CASE_LEN_LONG, USNMP_TYPE_OCTET_STRING, 0, I(1) "STRING: \"hello\"",
     USNMP_TOLERATED_LENGTH, USNMP_E_BAD_LENGTH},
    {FAULTY_CASE_LEN_OUTER82, USNMP_TYPE_INTEGER, 42, I(2) "INTEGER: 42",
     USNMP_TOLERATED_LENGTH, USNMP_E_BAD_LENGTH},
    {FAULTY_CASE_LEN_OUTER84, USNMP_TYPE_INTEGER, 42, I(3) "INTEGER: 42",
     USNMP_TOLERATED_LENGTH, USNMP_E_BAD_LENGTH},
    {FAULTY_CASE_INT_MIN5, USNMP_TYPE_INTEGER, (uint32_t)INT32_MIN,
     I(4) "INTEGER: -2147483648", USNMP_TOLERATED_INT_PADDING,
     USNMP_E_INT_NONMINIMAL},
    {FAULTY_CASE_INT_PAD, USNMP_TYPE_INTEGER, 5, I(5) "INTEGER: 5",
     USNMP_TOLERATED_INT_PADDING, USNMP_E_INT_NONMINIMAL},
    {FAULTY_CASE_INT_FIXED4, USNMP_TYPE_INTEGER, 1, I(6) "INTEGER: 1",
     USNMP_TOLERATED_INT_PADDING, USNMP_E_INT_NONMINIMAL},
    {FAULTY_CASE_REQID_PAD, USNMP_TYPE_INTEGER, 7, I(7) "INTEGER: 7",
     USNMP_TOLERATED_INT_PADDING, USNMP_E_INT_NONMINIMAL},
    {FAULTY_CASE_HEADER_PAD, USNMP_TYPE_INTEGER, 8, I(8) "INTEGER: 8",
     USNMP_TOLERATED_INT_PADDING, USNMP_E_INT_NONMINIMAL},
    {FAULTY_CASE_COUNTER32_NOPAD, USNMP_TYPE_COUNTER32, 3013189579u,
     I(9) "Counter32: 3013189579", USNMP_TOLERATED_UNSIGNED_SIGN,
     USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_COUNTER32_SHORT, USNMP_TYPE_COUNTER32, 65535,
     I(10) "Counter32: 65535", USNMP_TOLERATED_UNSIGNED_SIGN,
     USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_GAUGE32_NOPAD, USNMP_TYPE_GAUGE32, 2147483648u,
     I(11) "Gauge32: 2147483648", USNMP_TOLERATED_UNSIGNED_SIGN,
     USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_TIMETICKS_NOPAD, USNMP_TYPE_TIMETICKS, 4294967295u,
     I(12) "Timeticks: (4294967295) 497 days, 2:27:52.95",
     USNMP_TOLERATED_UNSIGNED_SIGN, USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_COUNTER64_NOPAD, USNMP_TYPE_COUNTER64, UINT64_MAX,
     I(13) "Counter64: 18446744073709551615", USNMP_TOLERATED_UNSIGNED_SIGN,
     USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_NAME_PAD, USNMP_TYPE_INTEGER, 14, I(14) "INTEGER: 14",
     USNMP_TOLERATED_OID_PADDING, USNMP_E_BAD_OID},
    {FAULTY_CASE_OID_VALUE_PAD, USNMP_TYPE_OID, 0, I(15) "OID: .1.3.6.1.4.1",
     USNMP_TOLERATED_OID_PADDING, USNMP_E_BAD_OID},
    {FAULTY_CASE_NULL_CONTENT, USNMP_TYPE_NULL, 0, I(16) "NULL",
     USNMP_TOLERATED_NULL_CONTENT, USNMP_E_BAD_VALUE},
    {FAULTY_CASE_TRAILING, USNMP_TYPE_INTEGER, 17, I(17) "INTEGER: 17",
     USNMP_TOLERATED_TRAILING, USNMP_E_TRAILING},
    /* No single meaning: net-snmp drops the reply (18, 21) or misreads it
     * (19 as 4294966297, 20 as 5); usnmp keeps the reply and says so. */
    {FAULTY_CASE_EMPTY_INTEGER, USNMP_TYPE_UNDECODABLE, 0x02,
     I(18) "Undecodable value (tag 0x02): ", USNMP_TOLERATED_UNDECODABLE,
     USNMP_E_BAD_VALUE},
    {FAULTY_CASE_INT_OVERFLOW, USNMP_TYPE_UNDECODABLE, 0x02,
     I(19) "Undecodable value (tag 0x02): 00 FF FF FC 19 ",
     USNMP_TOLERATED_UNDECODABLE, USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_COUNTER32_OVER, USNMP_TYPE_UNDECODABLE, 0x41,
     I(20) "Undecodable value (tag 0x41): 01 00 00 00 05 ",
     USNMP_TOLERATED_UNDECODABLE, USNMP_E_INT_OVERFLOW},
    {FAULTY_CASE_IPADDRESS_SHORT, USNMP_TYPE_UNDECODABLE, 0x40,
     I(21) "Undecodable value (tag 0x40): 7F 00 01 ",
     USNMP_TOLERATED_UNDECODABLE, USNMP_E_BAD_VALUE},
    {FAULTY_CASE_BULK_REPEAT_END, USNMP_TYPE_INTEGER, 22, I(22) "INTEGER: 22",
     0, 0},
};

#define N_EXPECTS (sizeof expects / sizeof expects[0])

/* Hex with spaces between the octets, into out; returns the length. */
static size_t unhex(uint8_t *out, size_t size, const char *hex) {
  size_t n = 0;
  unsigned v;
  int used;
  while (sscanf(hex, " %2x%n", &v, &used) == 1) {
    assert_true(n < size);
    out[n++] = (uint8_t)v;
    hex += used;
  }
  return n;
}

static usnmp_oid instance_of(int c) {
  char text[64];
  snprintf(text, sizeof text, FAULTY_AGENT_BASE ".%d.0", c);
  return usnmp_test_oid(text);
}

/* Checks one decoded varbind against e. */
static void check_varbind(const expect *e, const usnmp_varbind *vb) {
  usnmp_oid name;
  usnmp_oid want = instance_of(e->c);
  char text[256];
  assert_int_equal(usnmp_oid_from_ber(&name, vb->oid, vb->oid_len), 0);
  assert_int_equal(usnmp_oid_cmp(&name, &want), 0);
  assert_int_equal(vb->value.type, e->type);
  switch (e->type) {
  case USNMP_TYPE_INTEGER:
    assert_int_equal(vb->value.v.integer, (int32_t)(uint32_t)e->number);
    break;
  case USNMP_TYPE_COUNTER32:
  case USNMP_TYPE_GAUGE32:
  case USNMP_TYPE_TIMETICKS:
    assert_int_equal(vb->value.v.u32, (uint32_t)e->number);
    break;
  case USNMP_TYPE_COUNTER64:
    assert_true(vb->value.v.u64 == e->number);
    break;
  case USNMP_TYPE_UNDECODABLE: {
    uint8_t tag = 0;
    const uint8_t *content;
    size_t len;
    assert_int_equal(
        usnmp_value_get_undecodable(&vb->value, &tag, &content, &len), 0);
    assert_int_equal(tag, (uint8_t)e->number);
    break;
  }
  default:
    break;
  }
  assert_true(usnmp_varbind_format(text, sizeof text, vb) > 0);
  assert_string_equal(text, e->text);
}

/* A GET of case c's instance as a v1/v2c datagram. */
static size_t get_request(uint8_t *buf, size_t size, usnmp_version version,
                          int c, int32_t id) {
  uint8_t name[64];
  usnmp_oid oid = instance_of(c);
  usnmp_msg msg;
  usnmp_varbind vb;
  int n = usnmp_oid_to_ber(name, sizeof name, &oid);
  int len;
  assert_true(n > 0);
  memset(&msg, 0, sizeof msg);
  msg.version = version;
  msg.community = (const uint8_t *)"public";
  msg.community_len = 6;
  msg.type = USNMP_PDU_GET;
  msg.request_id = id;
  memset(&vb, 0, sizeof vb);
  vb.oid = name;
  vb.oid_len = (size_t)n;
  vb.value = usnmp_value_null();
  len = usnmp_msg_encode(buf, size, &msg, &vb, 1);
  assert_true(len > 0);
  return (size_t)len;
}

/* ------------------------------------------------------------------------
 * The codec
 * ------------------------------------------------------------------------ */

/* Every case's reply decodes, over v1 and v2c, to its value, with the
 * request-id we sent; it says what it tolerated; strict decoding refuses
 * it with the error earlier versions gave; and it re-encodes to minimal
 * bytes that decode, strictly where no undecodable value is left, to the
 * same varbind. */
static void test_codec_reads_every_case(void **state) {
  (void)state;
  for (int v = 0; v < 2; v++) {
    usnmp_version version = v ? USNMP_VERSION_2C : USNMP_VERSION_1;
    for (size_t i = 0; i < N_EXPECTS; i++) {
      const expect *e = &expects[i];
      uint8_t req[256], reply[1500], again[1500];
      usnmp_msg msg, msg2;
      usnmp_varbind vbs[4], vbs2[4];
      size_t n = 0, n2 = 0;
      uint32_t tolerated = 99, tolerated2 = 99;
      int32_t id = 0x5b6a6517 - (int32_t)i;
      size_t len = faulty_agent_reply(
          req, get_request(req, sizeof req, version, e->c, id), reply,
          sizeof reply);
      int enc;
      assert_true(len > 0);
      assert_int_equal(
          usnmp_msg_decode_ex(&msg, vbs, 4, &n, reply, len, 0, &tolerated), 0);
      assert_int_equal(msg.version, version);
      assert_int_equal(msg.request_id, id);
      assert_int_equal(msg.error_status, 0);
      assert_int_equal(n, 1);
      assert_int_equal(tolerated, e->tolerated);
      check_varbind(e, &vbs[0]);
      assert_int_equal(usnmp_msg_decode_ex(&msg2, vbs2, 4, &n2, reply, len,
                                           USNMP_DECODE_STRICT, NULL),
                       e->tolerated ? e->strict : 0);
      /* The encoder writes the minimal form of what was read. */
      enc = usnmp_msg_encode(again, sizeof again, &msg, vbs, n);
      assert_true(enc > 0);
      assert_int_equal(usnmp_msg_decode_ex(&msg2, vbs2, 4, &n2, again,
                                           (size_t)enc, 0, &tolerated2),
                       0);
      assert_int_equal(tolerated2, e->tolerated & USNMP_TOLERATED_UNDECODABLE);
      assert_int_equal(msg2.request_id, id);
      check_varbind(e, &vbs2[0]);
    }
  }
}

/* The JSON form of an undecodable value names its tag and keeps its
 * content in hex. */
static void test_undecodable_json(void **state) {
  uint8_t req[256], reply[1500];
  usnmp_msg msg;
  usnmp_varbind vbs[4];
  size_t n;
  char json[256];
  size_t len;
  (void)state;
  len = faulty_agent_reply(req,
                           get_request(req, sizeof req, USNMP_VERSION_2C,
                                       FAULTY_CASE_INT_OVERFLOW, 1),
                           reply, sizeof reply);
  assert_int_equal(usnmp_msg_decode(&msg, vbs, 4, &n, reply, len), 0);
  assert_true(usnmp_varbind_format_json(json, sizeof json, &vbs[0]) > 0);
  assert_string_equal(json, "{\"oid\":\".1.3.6.1.4.1.99999.19.0\","
                            "\"type\":\"undecodable\",\"tag\":2,"
                            "\"value\":{\"hex\":\"00fffffc19\"}}");
  /* Not a value of another type. */
  {
    int32_t i32;
    uint64_t u64;
    assert_int_equal(usnmp_value_get_int(&vbs[0].value, &i32), USNMP_E_INVAL);
    assert_int_equal(usnmp_value_get_uint64(&vbs[0].value, &u64),
                     USNMP_E_INVAL);
    assert_int_equal(usnmp_value_is_exception(&vbs[0].value), 0);
  }
  /* Bytes that are not one element, or no bytes: errors, "" in buf. */
  {
    usnmp_value v;
    v.type = USNMP_TYPE_UNDECODABLE;
    v.v.bytes.data = (const uint8_t *)"\x02\x05\x00";
    v.v.bytes.len = 3;
    assert_int_equal(usnmp_value_format(json, sizeof json, &v),
                     USNMP_E_BAD_VALUE);
    assert_string_equal(json, "");
    v.v.bytes.data = NULL;
    assert_int_equal(usnmp_value_format(json, sizeof json, &v), USNMP_E_INVAL);
  }
  /* And another type is not undecodable. */
  {
    usnmp_value v = usnmp_value_integer(5);
    uint8_t tag;
    const uint8_t *content;
    size_t clen;
    assert_int_equal(usnmp_value_get_undecodable(&v, &tag, &content, &clen),
                     USNMP_E_INVAL);
  }
}

/* What has no single meaning in the message itself, or breaks its
 * structure, still sinks it: the tolerance is for values and encodings,
 * never for the frame. */
static void test_codec_still_refuses(void **state) {
  static const struct {
    const char *hex;
    int err;
  } cases[] = {
      /* request-id beyond 32 bits */
      {"30 1c 02 01 01 04 06 70 75 62 6c 69 63 a2 0f 02 05 01 00 00 00 01 02"
       " 01 00 02 01 00 30 00",
       USNMP_E_INT_OVERFLOW},
      /* an empty error-status */
      {"30 17 02 01 01 04 06 70 75 62 6c 69 63 a2 0a 02 01 01 02 00 02 01 00"
       " 30 00",
       USNMP_E_BAD_VALUE},
      /* an indefinite length */
      {"30 80 02 01 01 04 06 70 75 62 6c 69 63 a2 0b 02 01 01 02 01 00 02 01"
       " 00 30 00 00 00",
       USNMP_E_INDEFINITE_LENGTH},
      /* nine length octets */
      {"30 89 00 00 00 00 00 00 00 00 19", USNMP_E_BAD_LENGTH},
      /* a length past the datagram, however it is written */
      {"30 84 00 00 01 00 02 01 01", USNMP_E_TRUNCATED},
      /* a name that does not terminate */
      {"30 1f 02 01 01 04 06 70 75 62 6c 69 63 a2 12 02 01 01 02 01 00 02 01"
       " 00 30 07 30 05 06 01 80 05 00",
       USNMP_E_BAD_OID},
      /* bytes left inside the message after the PDU */
      {"30 1a 02 01 01 04 06 70 75 62 6c 69 63 a2 0b 02 01 01 02 01 00 02 01"
       " 00 30 00 05 00",
       USNMP_E_TRAILING},
      /* a wrong version stays a wrong version */
      {"30 18 02 01 02 04 06 70 75 62 6c 69 63 a2 0b 02 01 01 02 01 00 02 01"
       " 00 30 00",
       USNMP_E_BAD_VERSION},
      /* a constructed value is no SMI value */
      {"30 21 02 01 01 04 06 70 75 62 6c 69 63 a2 14 02 01 01 02 01 00 02 01"
       " 00 30 09 30 07 06 01 2b 30 02 05 00",
       USNMP_E_BAD_TAG},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[128];
    usnmp_msg msg;
    usnmp_varbind vbs[4];
    size_t n = 7;
    size_t len = unhex(buf, sizeof buf, cases[i].hex);
    print_message("case %zu\n", i);
    assert_int_equal(usnmp_msg_decode(&msg, vbs, 4, &n, buf, len),
                     cases[i].err);
    assert_int_equal(usnmp_msg_decode_ex(&msg, vbs, 4, &n, buf, len,
                                         USNMP_DECODE_STRICT, NULL),
                     cases[i].err);
  }
  /* Unknown flags. */
  {
    usnmp_msg msg;
    size_t n;
    assert_int_equal(usnmp_msg_decode_ex(&msg, NULL, 0, &n, (const uint8_t *)"",
                                         0, 0x80, NULL),
                     USNMP_E_INVAL);
  }
}

/* ------------------------------------------------------------------------
 * The manager against the faulty agent on the test's loop
 * ------------------------------------------------------------------------ */

/* How the in-process agent answers. */
enum { SERVE_FAULTY, SERVE_GARBAGE, SERVE_GARBAGE_OTHER_PORT };

typedef struct env {
  uv_loop_t loop;
  uv_udp_t agent;
  uv_udp_t other; /* a second socket, for answers from the wrong port */
  uint8_t buf[2048];
  int mode;
  uint64_t received;
  usnmp_manager *m;
  usnmp_target *t;
  char address[64];
  struct v3_agent *v3; /* test_manager_v3_zero_padding's agent */
} env;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  env *e = h->data;
  (void)suggested;
  *buf = uv_buf_init((char *)e->buf, sizeof e->buf);
}

static void on_agent_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags) {
  env *e = h->data;
  uint8_t out[1500];
  size_t len;
  uv_buf_t b;
  (void)flags;
  if (nread <= 0 || from == NULL)
    return;
  e->received++;
  if (e->mode == SERVE_FAULTY) {
    len = faulty_agent_reply((const uint8_t *)buf->base, (size_t)nread, out,
                             sizeof out);
  } else {
    /* A message cut short: nothing in it can be read. */
    len = unhex(out, sizeof out, "30 20 02 01 01 04 06 70 75");
  }
  if (len == 0)
    return;
  b = uv_buf_init((char *)out, (unsigned)len);
  uv_udp_try_send(e->mode == SERVE_GARBAGE_OTHER_PORT ? &e->other : h, &b, 1,
                  from);
}

static int env_setup(void **state) {
  env *e = calloc(1, sizeof *e);
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  assert_non_null(e);
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(uv_udp_init(&e->loop, &e->agent), 0);
  assert_int_equal(uv_udp_init(&e->loop, &e->other), 0);
  e->agent.data = e;
  e->other.data = e;
  assert_int_equal(uv_udp_bind(&e->agent, (const struct sockaddr *)&addr, 0),
                   0);
  assert_int_equal(uv_udp_bind(&e->other, (const struct sockaddr *)&addr, 0),
                   0);
  assert_int_equal(
      uv_udp_getsockname(&e->agent, (struct sockaddr *)&bound, &len), 0);
  assert_int_equal(uv_udp_recv_start(&e->agent, on_alloc, on_agent_recv), 0);
  snprintf(e->address, sizeof e->address, "127.0.0.1:%u",
           ntohs(((struct sockaddr_in *)&bound)->sin_port));
  assert_int_equal(usnmp_manager_init(&e->m, &e->loop, NULL), 0);
  assert_int_equal(usnmp_target_init(e->m, &e->t, e->address), 0);
  /* Quick to give up: 4 sends 100 ms apart, a timeout at 400 ms. */
  assert_int_equal(usnmp_target_set_resend(e->t, 100), 0);
  assert_int_equal(usnmp_target_set_retries(e->t, 3), 0);
  *state = e;
  return 0;
}

static void on_closed(uv_handle_t *h) { (void)h; }

static int env_teardown(void **state) {
  env *e = *state;
  usnmp_manager_close(e->m, NULL, NULL);
  uv_close((uv_handle_t *)&e->agent, on_closed);
  uv_close((uv_handle_t *)&e->other, on_closed);
  for (int i = 0; i < 1000 && uv_run(&e->loop, UV_RUN_NOWAIT) != 0; i++)
    ;
  assert_int_equal(uv_loop_close(&e->loop), 0);
  free(e);
  return 0;
}

/* A response kept for the checks: the first varbind copied with its
 * name, and the status. */
typedef struct got {
  int calls;
  int status;
  uint64_t done_ms;
  uint8_t storage[512];
  usnmp_varbind vb;
  size_t n;
} got;

static void on_got(const usnmp_response *resp, void *arg) {
  got *g = arg;
  g->calls++;
  g->status = resp->status;
  g->n = resp->varbind_count;
  g->done_ms = uv_now(usnmp_manager_loop(usnmp_target_manager(resp->target)));
  if (resp->varbind_count > 0) {
    const usnmp_varbind *vb = &resp->varbinds[0];
    size_t at = 0;
    g->vb = *vb;
    /* Names and byte values live in the datagram: copy them. */
    assert_true(vb->oid_len <= 128);
    memcpy(g->storage, vb->oid, vb->oid_len);
    g->vb.oid = g->storage;
    at = vb->oid_len;
    if (vb->value.type == USNMP_TYPE_OCTET_STRING ||
        vb->value.type == USNMP_TYPE_OID ||
        vb->value.type == USNMP_TYPE_UNDECODABLE) {
      assert_true(vb->value.v.bytes.len <= sizeof g->storage - at);
      memcpy(g->storage + at, vb->value.v.bytes.data, vb->value.v.bytes.len);
      g->vb.value.v.bytes.data = g->storage + at;
    }
  }
}

static void run_get(env *e, int c, got *g) {
  usnmp_oid oid = instance_of(c);
  memset(g, 0, sizeof *g);
  assert_int_equal(usnmp_get(e->t, &oid, 1, NULL, on_got, g, NULL), 0);
  {
    const int *calls[1] = {&g->calls};
    usnmp_test_run_until_all(&e->loop, calls, 1);
  }
  assert_int_equal(g->calls, 1);
}

/* Every case answers a GET through the manager, v1 and v2c, with the
 * value the codec reads (a padded name arrives in its minimal form), and
 * each tolerated kind is counted. */
static void test_manager_reads_every_case(void **state) {
  env *e = *state;
  usnmp_stats st;
  for (int v = 0; v < 2; v++) {
    assert_int_equal(
        usnmp_target_set_version(e->t, v ? USNMP_VERSION_2C : USNMP_VERSION_1),
        0);
    for (size_t i = 0; i < N_EXPECTS; i++) {
      got g;
      uint8_t minimal[64];
      usnmp_oid want = instance_of(expects[i].c);
      int n = usnmp_oid_to_ber(minimal, sizeof minimal, &want);
      print_message("v%d case %d\n", v ? 2 : 1, expects[i].c);
      run_get(e, expects[i].c, &g);
      assert_int_equal(g.status, 0);
      assert_int_equal(g.n, 1);
      check_varbind(&expects[i], &g.vb);
      assert_int_equal(g.vb.oid_len, (size_t)n);
      assert_memory_equal(g.vb.oid, minimal, (size_t)n);
    }
  }
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.accepted, 2 * N_EXPECTS);
  assert_int_equal(st.dropped_malformed, 0);
  /* Per reply and kind, over both versions. */
  assert_int_equal(st.tolerated_length, 2 * 3);
  assert_int_equal(st.tolerated_int_padding, 2 * 5);
  assert_int_equal(st.tolerated_unsigned_sign, 2 * 5);
  assert_int_equal(st.tolerated_oid_padding, 2 * 2);
  assert_int_equal(st.tolerated_null_content, 2 * 1);
  assert_int_equal(st.tolerated_trailing, 2 * 1);
  assert_int_equal(st.undecodable_values, 2 * 4);
  assert_int_equal(st.tolerated_priv_padding, 0);
  assert_int_equal(st.dropped_strict, 0);
  assert_int_equal(st.unreadable, 0);
}

/* A strict manager refuses what needs tolerance (the request then ends,
 * at its timeout, as unreadable) and still takes minimal replies. */
static void test_manager_strict(void **state) {
  env *e = *state;
  usnmp_stats st;
  got g;
  assert_int_equal(usnmp_manager_set_strict(NULL, 1), USNMP_E_INVAL);
  assert_int_equal(usnmp_manager_set_strict(e->m, 1), 0);
  run_get(e, FAULTY_CASE_INT_PAD, &g);
  assert_int_equal(g.status, USNMP_E_UNREADABLE_REPLY);
  run_get(e, FAULTY_CASE_EMPTY_INTEGER, &g);
  assert_int_equal(g.status, USNMP_E_UNREADABLE_REPLY);
  run_get(e, FAULTY_CASE_BULK_REPEAT_END, &g);
  assert_int_equal(g.status, 0);
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.dropped_strict, 8); /* four sends of each */
  assert_int_equal(st.dropped_malformed, 8);
  assert_int_equal(st.last_malformed_error, USNMP_E_BAD_VALUE);
  assert_int_equal(st.unreadable, 2);
  assert_int_equal(st.accepted, 1);
  /* Back to tolerant. */
  assert_int_equal(usnmp_manager_set_strict(e->m, 0), 0);
  run_get(e, FAULTY_CASE_INT_PAD, &g);
  assert_int_equal(g.status, 0);
}

/* An agent whose every answer is unreadable: the request ends when it
 * would time out, not earlier, with its own status; the stats say why.
 * The same bytes from another port are not the target's: plain timeout. */
static void test_manager_unreadable(void **state) {
  env *e = *state;
  usnmp_stats st;
  uint64_t start;
  got g;
  char text[128];
  e->mode = SERVE_GARBAGE;
  start = uv_now(&e->loop);
  run_get(e, FAULTY_CASE_INT_PAD, &g);
  assert_int_equal(g.status, USNMP_E_UNREADABLE_REPLY);
  /* Sends at 0, 100, 200 and 300 ms, the timeout at 400 ms: the first
   * unreadable answer (at about 0 ms) did not end it. */
  assert_true(g.done_ms - start >= 390);
  assert_int_equal(e->received, 4);
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.unreadable, 1);
  assert_int_equal(st.timeouts, 1);
  assert_int_equal(st.dropped_malformed, 4);
  assert_int_equal(st.last_malformed_error, USNMP_E_TRUNCATED);
  snprintf(text, sizeof text, "%s", usnmp_strerror(USNMP_E_UNREADABLE_REPLY));
  assert_string_equal(text,
                      "the agent answered, but its answer could not be read");
  assert_string_equal(usnmp_err_name(USNMP_E_UNREADABLE_REPLY),
                      "USNMP_E_UNREADABLE_REPLY");

  e->mode = SERVE_GARBAGE_OTHER_PORT;
  run_get(e, FAULTY_CASE_INT_PAD, &g);
  assert_int_equal(g.status, USNMP_E_TIMEOUT);

  /* And a readable answer after unreadable ones is simply the answer. */
  e->mode = SERVE_FAULTY;
  run_get(e, FAULTY_CASE_INT_PAD, &g);
  assert_int_equal(g.status, 0);
}

/* Undecodable values keep their bytes where the library copies answers:
 * a request split in parts (merged from copies) and a pull walk. */
static void test_undecodable_copies(void **state) {
  env *e = *state;
  usnmp_oid oids[2] = {instance_of(FAULTY_CASE_INT_OVERFLOW),
                       instance_of(FAULTY_CASE_COUNTER32_OVER)};
  usnmp_test_result res;
  usnmp_walk *w;
  const usnmp_varbind *vb;
  usnmp_oid root = usnmp_test_oid(FAULTY_AGENT_BASE ".21");
  char text[256];
  int rc;
  assert_int_equal(usnmp_target_set_max_oids(e->t, 1), 0);
  memset(&res, 0, sizeof res);
  assert_int_equal(
      usnmp_get(e->t, oids, 2, NULL, usnmp_test_on_response, &res, NULL), 0);
  usnmp_test_wait_for(&e->loop, &res);
  assert_int_equal(res.status, 0);
  assert_int_equal(res.n, 2);
  assert_string_equal(res.text[0], expects[FAULTY_CASE_INT_OVERFLOW - 1].text);
  assert_string_equal(res.text[1],
                      expects[FAULTY_CASE_COUNTER32_OVER - 1].text);

  assert_int_equal(usnmp_walk_init(e->t, &root, NULL, &w), 0);
  while ((rc = usnmp_walk_next(w, &vb)) == UV_EAGAIN)
    assert_true(uv_run(&e->loop, UV_RUN_ONCE) >= 0);
  assert_int_equal(rc, 1);
  /* Other answers reuse the receive buffer: the copy stays. */
  for (int c = 1; c <= 3; c++) {
    got g;
    run_get(e, c, &g);
    assert_int_equal(g.status, 0);
  }
  assert_true(usnmp_varbind_format(text, sizeof text, vb) > 0);
  assert_string_equal(text, expects[FAULTY_CASE_IPADDRESS_SHORT - 1].text);
  usnmp_walk_close(w);
}

/* ------------------------------------------------------------------------
 * GETBULK answers that repeat endOfMibView
 * ------------------------------------------------------------------------ */

typedef struct walk_seen {
  int done;
  uint64_t count;
  int ends; /* endOfMibView varbinds delivered */
  usnmp_walk_result result;
} walk_seen;

static int on_walk_vb(usnmp_walk *w, const usnmp_varbind *vb,
                      const usnmp_oid *name, void *arg) {
  walk_seen *s = arg;
  (void)w;
  (void)name;
  s->count++;
  s->ends += vb->value.type == USNMP_TYPE_ENDOFMIBVIEW;
  return 0;
}

static void on_walk_done(usnmp_walk *w, const usnmp_walk_result *r, void *arg) {
  walk_seen *s = arg;
  (void)w;
  s->done = 1;
  s->result = *r;
}

static void run_walk(env *e, int c, uint32_t flags, walk_seen *s) {
  char text[64];
  usnmp_oid root;
  usnmp_walk_opts opts;
  snprintf(text, sizeof text, FAULTY_AGENT_BASE ".%d", c);
  root = usnmp_test_oid(text);
  memset(&opts, 0, sizeof opts);
  opts.flags = flags;
  opts.method = USNMP_WALK_GETBULK;
  memset(s, 0, sizeof *s);
  assert_int_equal(
      usnmp_walk_start(e->t, &root, &opts, on_walk_vb, on_walk_done, s, NULL),
      0);
  {
    const int *done[1] = {&s->done};
    usnmp_test_run_until_all(&e->loop, done, 1);
  }
}

/* The agent answers the first GETBULK with the instance and endOfMibView
 * in the nine remaining repetitions.  The walk ends there; with
 * DELIVER_EXCEPTIONS every repeat is delivered (snmpbulkwalk prints ten
 * lines), without it only the value.  An agent that stops after one
 * endOfMibView gets one end line. */
static void test_walk_repeated_end_of_mib(void **state) {
  env *e = *state;
  walk_seen s;
  run_walk(e, FAULTY_CASE_BULK_REPEAT_END, USNMP_WALK_DELIVER_EXCEPTIONS, &s);
  assert_int_equal(s.result.status, 0);
  assert_int_equal(s.result.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(s.count, 10);
  assert_int_equal(s.ends, 9);
  assert_int_equal(s.result.count, 10);
  assert_int_equal(s.result.requests, 1);
  run_walk(e, FAULTY_CASE_BULK_REPEAT_END, 0, &s);
  assert_int_equal(s.result.status, 0);
  assert_int_equal(s.result.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(s.count, 1);
  assert_int_equal(s.ends, 0);
  /* Another case's agent stops after one endOfMibView, like snmpd. */
  run_walk(e, FAULTY_CASE_IPADDRESS_SHORT, USNMP_WALK_DELIVER_EXCEPTIONS, &s);
  assert_int_equal(s.result.status, 0);
  assert_int_equal(s.result.end, USNMP_WALK_END_OF_MIB_VIEW);
  assert_int_equal(s.count, 2);
  assert_int_equal(s.ends, 1);
}

/* ------------------------------------------------------------------------
 * SNMPv3: zero padding after the scoped PDU
 * ------------------------------------------------------------------------ */

/* pysnmp-based agents pad the plaintext with 1 to 16 zero octets (AES)
 * or 1 to 8 (DES) up to a whole block.  Every padding length decodes to
 * the same scoped PDU; what exceeds the cipher's own need (all of AES's,
 * DES's eighth octet) is counted. */
static void test_v3_zero_padding(void **state) {
  msg3_check_state *st = calloc(1, sizeof *st);
  (void)state;
  assert_non_null(st);
  assert_int_equal(msg3_check_init(st), 0);
  for (int des = 0; des < 2; des++) {
    const usnmp__usm_target *t = des ? &st->des : &st->aes;
    size_t block = t->priv == USNMP_PRIV_DES ? 8 : 16;
    if (des && t->priv != USNMP_PRIV_DES) {
      print_message("no DES in this OpenSSL: DES padding not tested\n");
      continue;
    }
    /* contextName lengths 0..15 give every plaintext length mod 16. */
    for (size_t name_len = 0; name_len < 16; name_len++) {
      usnmp_msg pdu;
      usnmp_varbind vb;
      usnmp__writer w;
      usnmp__msg3 m;
      usnmp_oid oid = instance_of(5);
      uint8_t name[64];
      size_t n_vbs = 0;
      size_t plen, pad;
      int rc;
      memset(&pdu, 0, sizeof pdu);
      pdu.type = USNMP_PDU_RESPONSE;
      pdu.request_id = 4660;
      memset(&vb, 0, sizeof vb);
      vb.oid = name;
      vb.oid_len = (size_t)usnmp_oid_to_ber(name, sizeof name, &oid);
      vb.value = usnmp_value_integer(5);
      usnmp__writer_init(&w, st->plain, sizeof st->plain);
      assert_int_equal(usnmp__pdu_encode(&w, &pdu, &vb, 1), 0);
      usnmp__ber_put_octets(&w, 0x04, "abcdefghijklmnop", name_len);
      usnmp__ber_put_octets(&w, 0x04, msg3_check_engine,
                            sizeof msg3_check_engine);
      usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
      rc = usnmp__writer_finish(&w);
      assert_true(rc > 0);
      plen = (size_t)rc;
      pad = block - plen % block; /* 1..block */
      memset(st->plain + plen, 0, pad);
      rc = msg3_check_sign(st, t, plen + pad);
      assert_true(rc > 0);
      assert_int_equal(usnmp__msg3_decode(st->crypto, t, st->msg, (size_t)rc,
                                          st->scratch1, sizeof st->scratch1, &m,
                                          st->vbs1, USNMP_MAX_VARBINDS, &n_vbs),
                       0);
      assert_true(m.authenticated);
      assert_int_equal(m.pdu.request_id, 4660);
      assert_int_equal(m.context_name_len, name_len);
      assert_int_equal(n_vbs, 1);
      assert_int_equal(st->vbs1[0].value.v.integer, 5);
      assert_int_equal(m.tolerated,
                       (des && pad <= 7) ? 0u : USNMP_TOLERATED_PRIV_PADDING);
      /* Bytes after an authenticated message: the digest covers the
       * message, so it still authenticates. */
      memset(st->msg + rc, 0xee, 15);
      assert_int_equal(usnmp__msg3_decode(st->crypto, t, st->msg,
                                          (size_t)rc + 15, st->scratch1,
                                          sizeof st->scratch1, &m, st->vbs1,
                                          USNMP_MAX_VARBINDS, &n_vbs),
                       0);
      assert_true(m.authenticated);
      assert_true(m.tolerated & USNMP_TOLERATED_TRAILING);
    }
  }
  msg3_check_free(st);
  free(st);
}

/* The same through the manager: an in-process v3 agent (discovery
 * Report, then authPriv responses from test/fuzz/msg3_check.h's users
 * and keys) pads every response's plaintext with zeros up to a whole
 * cipher block, 1 to 16 octets for AES and 1 to 8 for DES, as pysnmp
 * does; a value of 0 to 15 octets gives every padding length.  Each GET
 * gets its answer, and the padding beyond the cipher's need is counted.
 * An authentic answer that cannot be parsed ends its request, at the
 * timeout, with USNMP_E_UNREADABLE_REPLY. */
typedef struct v3_agent {
  msg3_check_state *st;
  usnmp__usm_target anon; /* the agent's engine, for the Report */
  uv_loop_t *loop;
  size_t value_len; /* the OCTET STRING value's length */
  size_t pad;       /* zeros after the scoped PDU of the last answer */
  int garbage;      /* answer with an unknown PDU tag instead */
} v3_agent;

static const uint8_t oid_unknown_engine[] = {0x2b, 0x06, 0x01, 0x06, 0x03,
                                             0x0f, 0x01, 0x01, 0x04, 0x00};

static size_t v3_answer(v3_agent *a, const uint8_t *in, size_t len,
                        uint8_t *out, size_t size) {
  msg3_check_state *st = a->st;
  const usnmp__usm_target *t;
  usnmp_varbind vbs[8];
  usnmp__msg3 m;
  usnmp__writer w;
  usnmp_msg pdu;
  size_t n = 0, plen, block;
  int rc = usnmp__msg3_decode(st->crypto, NULL, in, len, st->scratch1,
                              sizeof st->scratch1, &m, vbs, 8, &n);
  memset(&pdu, 0, sizeof pdu);
  pdu.version = USNMP_VERSION_3;
  if (rc == 0) {
    /* Discovery: our engine ID, boots and time. */
    usnmp_varbind vb;
    pdu.type = USNMP_PDU_REPORT;
    pdu.request_id = m.pdu.request_id;
    vb.oid = oid_unknown_engine;
    vb.oid_len = sizeof oid_unknown_engine;
    vb.value = usnmp_value_counter32(1);
    rc = usnmp__msg3_encode(st->crypto, &a->anon, uv_now(a->loop), m.msg_id,
                            USNMP__MSG3_MAX_SIZE_DEFAULT, &pdu, &vb, 1, out,
                            size);
    return rc > 0 ? (size_t)rc : 0;
  }
  if (rc != USNMP_E_AUTH_FAILURE)
    return 0;
  t = m.user_len == 6 && memcmp(m.user, "md5des", 6) == 0 ? &st->des : &st->aes;
  rc = usnmp__msg3_decode(st->crypto, t, in, len, st->scratch1,
                          sizeof st->scratch1, &m, vbs, 8, &n);
  if (rc < 0 || n != 1)
    return 0;
  /* The answer's plaintext, then the zeros, then encryption. */
  pdu.type = USNMP_PDU_RESPONSE;
  pdu.request_id = m.pdu.request_id;
  vbs[0].value = usnmp_value_octets("abcdefghijklmnop", a->value_len);
  usnmp__writer_init(&w, st->plain, sizeof st->plain);
  if (a->garbage)
    usnmp__ber_put_octets(&w, 0xa9, NULL, 0); /* authentic, unreadable */
  else
    assert_int_equal(usnmp__pdu_encode(&w, &pdu, vbs, 1), 0);
  usnmp__ber_put_octets(&w, 0x04, m.context_name, m.context_name_len);
  usnmp__ber_put_octets(&w, 0x04, msg3_check_engine, sizeof msg3_check_engine);
  usnmp__ber_put_wrap(&w, USNMP__TAG_SEQUENCE, 0);
  rc = usnmp__writer_finish(&w);
  assert_true(rc > 0);
  plen = (size_t)rc;
  block = t->priv == USNMP_PRIV_DES ? 8 : 16;
  a->pad = block - plen % block;
  memset(st->plain + plen, 0, a->pad);
  st->msg_id = m.msg_id;
  rc = msg3_check_sign(st, t, plen + a->pad);
  if (rc <= 0 || (size_t)rc > size)
    return 0;
  memcpy(out, st->msg, (size_t)rc);
  return (size_t)rc;
}

static void on_v3_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                       const struct sockaddr *from, unsigned flags) {
  env *e = h->data;
  uint8_t out[1500];
  size_t len;
  (void)flags;
  if (nread <= 0 || from == NULL)
    return;
  len = v3_answer(e->v3, (const uint8_t *)buf->base, (size_t)nread, out,
                  sizeof out);
  if (len > 0) {
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
    uv_udp_try_send(h, &b, 1, from);
  }
}

static void test_manager_v3_zero_padding(void **state) {
  env *e = *state;
  v3_agent a;
  usnmp_stats st;
  uint64_t answers = 0, beyond = 0;
  memset(&a, 0, sizeof a);
  a.loop = &e->loop;
  a.st = calloc(1, sizeof *a.st);
  assert_non_null(a.st);
  assert_int_equal(msg3_check_init(a.st), 0);
  assert_int_equal(usnmp__usm_target_init(a.st->crypto, &a.anon), 0);
  assert_int_equal(usnmp__usm_target_set_engine(a.st->crypto, &a.anon,
                                                msg3_check_engine,
                                                sizeof msg3_check_engine, 1),
                   0);
  usnmp__usm_target_resync(&a.anon, MSG3_CHECK_BOOTS, MSG3_CHECK_TIME,
                           uv_now(&e->loop), 1);
  e->v3 = &a;
  assert_int_equal(uv_udp_recv_stop(&e->agent), 0);
  assert_int_equal(uv_udp_recv_start(&e->agent, on_alloc, on_v3_recv), 0);
  for (int des = 0; des < 2; des++) {
    usnmp_target *t;
    if (des && a.st->des.priv != USNMP_PRIV_DES) {
      print_message("no DES in this OpenSSL: DES padding not tested\n");
      continue;
    }
    assert_int_equal(usnmp_target_init(e->m, &t, e->address), 0);
    assert_int_equal(usnmp_target_set_resend(t, 200), 0);
    assert_int_equal(usnmp_target_set_retries(t, 2), 0);
    assert_int_equal(des ? usnmp_target_set_v3_user(
                               t, "md5des", USNMP_AUTH_MD5, "authpass123",
                               USNMP_PRIV_DES, "privpass123")
                         : usnmp_target_set_v3_user(
                               t, "shaaes", USNMP_AUTH_SHA, "authpass123",
                               USNMP_PRIV_AES, "privpass123"),
                     0);
    for (size_t l = 0; l < 16; l++) {
      usnmp_test_result res;
      usnmp_oid oid = instance_of(5);
      char want[128];
      memset(&res, 0, sizeof res);
      a.value_len = l;
      assert_int_equal(
          usnmp_get(t, &oid, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
      usnmp_test_wait_for(&e->loop, &res);
      print_message("%s value %zu octets, padding %zu\n", des ? "DES" : "AES",
                    l, a.pad);
      assert_int_equal(res.status, 0);
      assert_int_equal(res.n, 1);
      snprintf(want, sizeof want, "%sSTRING: \"%.*s\"", I(5), (int)l,
               "abcdefghijklmnop");
      if (l == 0)
        snprintf(want, sizeof want, "%s\"\"", I(5));
      assert_string_equal(res.text[0], want);
      answers++;
      beyond += des ? a.pad == 8 : 1;
    }
    if (!des) {
      /* An authentic answer whose content cannot be read: the request
       * ends at its timeout (sends at 0, 200, 400 ms, timeout at 600) as
       * unreadable, not earlier and not as a timeout. */
      usnmp_test_result res;
      usnmp_oid oid = instance_of(5);
      uint64_t start = uv_now(&e->loop);
      memset(&res, 0, sizeof res);
      a.garbage = 1;
      assert_int_equal(
          usnmp_get(t, &oid, 1, NULL, usnmp_test_on_response, &res, NULL), 0);
      usnmp_test_wait_for(&e->loop, &res);
      assert_int_equal(res.status, USNMP_E_UNREADABLE_REPLY);
      assert_true(uv_now(&e->loop) - start >= 590);
      a.garbage = 0;
    }
    usnmp_target_close(t);
  }
  usnmp_manager_stats(e->m, &st);
  assert_int_equal(st.tolerated_priv_padding, beyond);
  assert_int_equal(st.dropped_auth, 0);
  assert_int_equal(st.dropped_malformed, 3);
  assert_int_equal(st.last_malformed_error, USNMP_E_BAD_PDU_TYPE);
  assert_int_equal(st.unreadable, 1);
  assert_true(answers >= 16);
  usnmp__usm_target_wipe(&a.anon);
  msg3_check_free(a.st);
  free(a.st);
  e->v3 = NULL;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_reads_every_case),
      cmocka_unit_test(test_undecodable_json),
      cmocka_unit_test(test_codec_still_refuses),
      cmocka_unit_test_setup_teardown(test_manager_reads_every_case, env_setup,
                                      env_teardown),
      cmocka_unit_test_setup_teardown(test_manager_strict, env_setup,
                                      env_teardown),
      cmocka_unit_test_setup_teardown(test_manager_unreadable, env_setup,
                                      env_teardown),
      cmocka_unit_test_setup_teardown(test_undecodable_copies, env_setup,
                                      env_teardown),
      cmocka_unit_test_setup_teardown(test_walk_repeated_end_of_mib, env_setup,
                                      env_teardown),
      cmocka_unit_test(test_v3_zero_padding),
      cmocka_unit_test_setup_teardown(test_manager_v3_zero_padding, env_setup,
                                      env_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
