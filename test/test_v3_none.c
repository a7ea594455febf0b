/*
 * A library built without SNMPv3 (-Dsnmpv3=false, lib/v3_none.c): every
 * public v3 call returns USNMP_E_UNSUPPORTED, a target cannot be set to
 * version 3, the protocol names still parse, and v1/v2c requests work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_agent.h"
#include "test_util.h"
#include "usnmp.h"

static void test_v3_calls_unsupported(void **state) {
  uv_loop_t loop;
  usnmp_manager *m;
  usnmp_target *t;
  uint8_t engine[8] = {0x80, 0, 0, 0, 1, 2, 3, 4};
  int closed = 0;
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(usnmp_manager_init(&m, &loop, NULL), 0);
  assert_int_equal(usnmp_target_init(m, &t, "127.0.0.1:1161"), 0);
  assert_int_equal(usnmp_target_set_v3_user(t, "u", USNMP_AUTH_SHA, "password1",
                                            USNMP_PRIV_AES, "password2"),
                   USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_set_v3_level(t, USNMP_SEC_AUTHPRIV),
                   USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_set_v3_engine_id(t, engine, sizeof engine),
                   USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_v3_engine_id(t, engine, sizeof engine),
                   USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_v3_rediscover(t), USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_set_v3_context(t, NULL, 0, "c"),
                   USNMP_E_UNSUPPORTED);
  assert_int_equal(usnmp_target_set_version(t, USNMP_VERSION_3), USNMP_E_INVAL);
  usnmp_target_close(t);
  usnmp_manager_close(m, usnmp_test_set_flag, &closed);
  while (!closed)
    uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_names_parse(void **state) {
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
  usnmp_sec_level level;
  (void)state;
  assert_int_equal(usnmp_auth_proto_parse("SHA-256", &auth), 0);
  assert_int_equal(auth, USNMP_AUTH_SHA256);
  assert_int_equal(usnmp_priv_proto_parse("AES", &priv), 0);
  assert_int_equal(priv, USNMP_PRIV_AES);
  assert_int_equal(usnmp_sec_level_parse("authPriv", &level), 0);
  assert_int_equal(level, USNMP_SEC_AUTHPRIV);
  assert_string_equal(usnmp_auth_proto_name(USNMP_AUTH_MD5), "MD5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v3_calls_unsupported),
      cmocka_unit_test(test_names_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
