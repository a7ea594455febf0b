/*
 * Sizes the caller gives the encoder: a value or community length near
 * SIZE_MAX must be refused before any size is added to it (the sums would
 * wrap into a small reservation and the copy would run far past it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include "usnmp.h"

static const size_t huge[] = {
    SIZE_MAX,     SIZE_MAX - 1,           SIZE_MAX - 5,
    SIZE_MAX / 2, (size_t)UINT32_MAX + 2, USNMP_MAX_MSG_SIZE + 1,
};

/* A GetRequest with one varbind whose value is v. */
static int encode_one(uint8_t *buf, size_t size, usnmp_value v) {
  static const uint8_t name[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
  usnmp_msg msg;
  usnmp_varbind vb;
  memset(&msg, 0, sizeof msg);
  msg.version = USNMP_VERSION_2C;
  msg.community = (const uint8_t *)"public";
  msg.community_len = 6;
  msg.type = USNMP_PDU_SET;
  msg.request_id = 1;
  vb.oid = name;
  vb.oid_len = sizeof name;
  vb.value = v;
  return usnmp_msg_encode(buf, size, &msg, &vb, 1);
}

static void huge_value_lengths_are_refused(void **state) {
  static const usnmp_type types[] = {USNMP_TYPE_OCTET_STRING,
                                     USNMP_TYPE_OPAQUE};
  static const uint8_t bytes[16] = "0123456789abcdef";
  uint8_t buf[512];
  (void)state;
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
      usnmp_value v;
      memset(buf, 0x55, sizeof buf);
      v.type = types[t];
      v.v.bytes.data = bytes;
      v.v.bytes.len = huge[i];
      assert_int_equal(encode_one(buf, sizeof buf, v), USNMP_E_MSG_TOO_BIG);
      /* Nothing was written: the buffer was never reserved. */
      for (size_t k = 0; k < sizeof buf; k++)
        assert_int_equal(buf[k], 0x55);
      /* Measuring (no buffer) says the same. */
      assert_int_equal(encode_one(NULL, 0, v), USNMP_E_MSG_TOO_BIG);
    }
  }
  /* The limit itself is a size like any other. */
  {
    usnmp_value v = usnmp_value_octets(bytes, sizeof bytes);
    assert_true(encode_one(buf, sizeof buf, v) > 0);
  }
}

static void huge_community_length_is_refused(void **state) {
  static const uint8_t name[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
  uint8_t buf[512];
  usnmp_msg msg;
  usnmp_varbind vb;
  (void)state;
  memset(&msg, 0, sizeof msg);
  msg.version = USNMP_VERSION_1;
  msg.community = (const uint8_t *)"public";
  msg.type = USNMP_PDU_GET;
  vb.oid = name;
  vb.oid_len = sizeof name;
  vb.value = usnmp_value_null();
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    msg.community_len = huge[i];
    assert_int_equal(usnmp_msg_encode(buf, sizeof buf, &msg, &vb, 1),
                     USNMP_E_MSG_TOO_BIG);
  }
}

/* Through the manager: a SET whose one value could never fit a datagram
 * fails at once with USNMP_E_TOO_BIG (nothing is sent, no callback). */
static void huge_set_value_is_toobig(void **state) {
  static const uint8_t bytes[16] = "0123456789abcdef";
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  usnmp_test_result res = {0};
  usnmp_oid oid = usnmp_test_oid("1.3.6.1.2.1.1.5.0");
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  assert_int_equal(usnmp_target_init(m, &t, "127.0.0.1:9"), 0);
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    usnmp_value v = usnmp_value_octets(bytes, huge[i]);
    assert_int_equal(
        usnmp_set(t, &oid, &v, 1, NULL, usnmp_test_on_response, &res, NULL),
        USNMP_E_TOO_BIG);
  }
  assert_int_equal(res.calls, 0);
  usnmp_manager_close(m, NULL, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(huge_value_lengths_are_refused),
      cmocka_unit_test(huge_community_length_is_refused),
      cmocka_unit_test(huge_set_value_is_toobig),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
