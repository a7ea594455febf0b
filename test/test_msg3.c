/*
 * Tests of lib/msg3.c: SNMPv3 messages, against traffic captured between
 * net-snmp 5.9.3's snmpget and snmpd, and against our own encoder.
 *
 * The captured frames: snmpd ran on a loopback port with test/snmpd.conf
 * plus "engineID usnmp-capture" (so the engine ID is
 * 80 00 1f 88 04 "usnmp-capture"), snmpget asked for sysDescr.0 as the
 * users named below (authentication password authpass123, privacy
 * password privpass123), and tshark recorded the UDP payloads on lo.  The
 * last three frames come from snmpget with a wrong password, an unknown
 * user and an unsupported level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include "usm.h"

static const uint8_t capture_engine[] = {0x80, 0x00, 0x1f, 0x88, 0x04, 'u',
                                         's',  'n',  'm',  'p',  '-',  'c',
                                         'a',  'p',  't',  'u',  'r',  'e'};
static const char sys_descr[] = "usnmp test agent (net-snmp snmpd)";
/* 1.3.6.1.2.1.1.1.0 as BER content octets. */
static const uint8_t sys_descr_oid[] = {0x2b, 6, 1, 2, 1, 1, 1, 0};

static const struct frame {
  const char *user;
  usnmp_auth_proto auth;
  usnmp_priv_proto priv;
  const char *hex;
} frames[] = {
    /* frame 1: discovery probe */
    {"", USNMP_AUTH_NONE, USNMP_PRIV_NONE,
     "303e020103301102041288ba24020300ffe30401040201030410300e0400"
     "020100020100040004000400301404000400a00e0204460af08102010002"
     "01003000"},
    /* frame 2: unknownEngineID report */
    {"", USNMP_AUTH_NONE, USNMP_PRIV_NONE,
     "3073020103301102041288ba24020300ffe3040100020103042230200412"
     "80001f880475736e6d702d6361707475726502010102010c040004000400"
     "3037041280001f880475736e6d702d636170747572650400a81f0204460a"
     "f0810201000201003011300f060a2b060106030f01010400410101"},
    /* frame 3: noAuthNoPriv GET */
    {"noauth", USNMP_AUTH_NONE, USNMP_PRIV_NONE,
     "3076020103301102041288ba23020300ffe3040104020103042830260412"
     "80001f880475736e6d702d6361707475726502010102010c04066e6f6175"
     "7468040004003034041280001f880475736e6d702d636170747572650400"
     "a01c0204460af080020100020100300e300c06082b060102010101000500"},
    /* frame 4: noAuthNoPriv response */
    {"noauth", USNMP_AUTH_NONE, USNMP_PRIV_NONE,
     "308197020103301102041288ba23020300ffe30401000201030428302604"
     "1280001f880475736e6d702d6361707475726502010102010c04066e6f61"
     "757468040004003055041280001f880475736e6d702d6361707475726504"
     "00a23d0204460af080020100020100302f302d06082b0601020101010004"
     "2175736e6d702074657374206167656e7420286e65742d736e6d7020736e"
     "6d706429"},
    /* frame 7: authNoPriv GET */
    {"shanopriv", USNMP_AUTH_SHA, USNMP_PRIV_NONE,
     "308185020103301102047da2e58f020300ffe30401050201030437303504"
     "1280001f880475736e6d702d6361707475726502010102010c0409736861"
     "6e6f70726976040c67648935659e80bee436767a04003034041280001f88"
     "0475736e6d702d636170747572650400a01c02040cf0c236020100020100"
     "300e300c06082b060102010101000500"},
    /* frame 8: authNoPriv response */
    {"shanopriv", USNMP_AUTH_SHA, USNMP_PRIV_NONE,
     "3081a6020103301102047da2e58f020300ffe30401010201030437303504"
     "1280001f880475736e6d702d6361707475726502010102010c0409736861"
     "6e6f70726976040c8da8659d41b5a042c9a3e12404003055041280001f88"
     "0475736e6d702d636170747572650400a23d02040cf0c236020100020100"
     "302f302d06082b06010201010100042175736e6d70207465737420616765"
     "6e7420286e65742d736e6d7020736e6d706429"},
    /* frame 11: MD5/DES GET */
    {"md5des", USNMP_AUTH_MD5, USNMP_PRIV_DES,
     "30818e0201033011020451eabf04020300ffe3040107020103043c303a04"
     "1280001f880475736e6d702d6361707475726502010102010d04066d6435"
     "646573040ce490b737427c7c52e07ebc9b0408000000012dd48cc8043808"
     "f57d4ed36457658cf50d0ccf87239fdd55e7099111ae5f0a0aac69fcba43"
     "4729997398d8452031dcc62384a9167696edf31d07bf2bd8a3"},
    /* frame 12: MD5/DES response */
    {"md5des", USNMP_AUTH_MD5, USNMP_PRIV_DES,
     "3081ae0201033011020451eabf04020300ffe3040103020103043c303a04"
     "1280001f880475736e6d702d6361707475726502010102010d04066d6435"
     "646573040c0cdafa84ca17ef602983e33104080000000144111ee80458e4"
     "fa3a9879b3635ca00174584086b738c8615322c2ae8589552a26687b6704"
     "03db01df96ab0bf2d629f7980a78d7c2ccd211851cc7ffccd754c37750dc"
     "ed380a83c34daa8aed737d2ab532cff838dc57d5cc1c1492128bc9"},
    /* frame 15: SHA/AES GET */
    {"shaaes", USNMP_AUTH_SHA, USNMP_PRIV_AES,
     "30818c020103301102042ff80e0a020300ffe3040107020103043c303a04"
     "1280001f880475736e6d702d6361707475726502010102010d0406736861"
     "616573040c37df3d6a1f62a513a976b1720408783fc62673b6545f04369f"
     "60fef676ab816ac3fd126422a73e2ff6d6e472523ae5dfabc16be3069d6b"
     "f83a6aba9ca46f489a2df2e824d0d3a06a758eb51f478f"},
    /* frame 16: SHA/AES response */
    {"shaaes", USNMP_AUTH_SHA, USNMP_PRIV_AES,
     "3081ad020103301102042ff80e0a020300ffe3040103020103043c303a04"
     "1280001f880475736e6d702d6361707475726502010102010d0406736861"
     "616573040c02ee7926b725c4c15237e41c0408c3020246577c5da0045771"
     "0a7f13bc91c2beff39db78bf9f3808920e63a5e9f4f4fdaec3d7751905dc"
     "de439fb0a7e91aa7a8b49420f5467c47def0a81e588f2a8758a7bdeec618"
     "de9ad5e5e6298cfa872e4c4c9659cd67ddf0975e9e78fbdb8ae2"},
    /* frame 19: SHA-224/AES-256 GET */
    {"sha224aes256", USNMP_AUTH_SHA224, USNMP_PRIV_AES256,
     "3081960201033011020439af4549020300ffe30401070201030446304404"
     "1280001f880475736e6d702d6361707475726502010102010d040c736861"
     "3232346165733235360410e958ff7a7dd2208eb687cb270dd580e90408c0"
     "5ba067e71065d1043653e9a7fc838e36c2458fa3025cbc5449316288e531"
     "b8aeb004f27959ee95ace98e82bf66e19d12518b5d4393ad92786958cc92"
     "5247dd"},
    /* frame 20: SHA-224/AES-256 response */
    {"sha224aes256", USNMP_AUTH_SHA224, USNMP_PRIV_AES256,
     "3081b70201033011020439af4549020300ffe30401030201030446304404"
     "1280001f880475736e6d702d6361707475726502010102010d040c736861"
     "32323461657332353604109e57e024030976bd723005ca2d63cb700408c3"
     "020246577c5da10457fb08aeb4c1c2cef64578ed625029d5ec0a51be21e9"
     "46c339a3ced29f76076181cbda93a22ae6eb85388d28869dd4d5c07eeaca"
     "df5c02e628a38b3d4724bd03f78e2ec3f93cdf597b31d036bfd74eca6935"
     "0a1ddb171bad"},
    /* frame 23: MD5/AES-192 GET */
    {"md5aes192", USNMP_AUTH_MD5, USNMP_PRIV_AES192,
     "30818f0201033011020439ba10bf020300ffe3040107020103043f303d04"
     "1280001f880475736e6d702d6361707475726502010102010e04096d6435"
     "616573313932040ccc5751f3b2b1ffaf8f9f5b340408a4e20e0eb0b618c9"
     "0436cdd048977d833701c326e6a898fca34b8671c8005b808dfe584ae9dd"
     "f18c0c764c6cf9266376156a13311ae2eba66a6d4223daab69b2"},
    /* frame 24: MD5/AES-192 response */
    {"md5aes192", USNMP_AUTH_MD5, USNMP_PRIV_AES192,
     "3081b00201033011020439ba10bf020300ffe3040103020103043f303d04"
     "1280001f880475736e6d702d6361707475726502010102010e04096d6435"
     "616573313932040c48f3dbe97543735e086fe0ff0408c3020246577c5da2"
     "045793979b74b15d4a5a1ddcab96a211e49cfe7c7bd038928ca28e32faea"
     "05e20fa8a4e5ce8d112628385efa0408b14ed89b7ebf9361537a0ecc7a89"
     "4d187fd7a6c93d4ad73ac386270d08270fe5184ff6896891d7dd8bde25"},
    /* frame 27: SHA/AES-256-C GET */
    {"shaaes256c", USNMP_AUTH_SHA, USNMP_PRIV_AES256C,
     "308190020103301102047c06670b020300ffe30401070201030440303e04"
     "1280001f880475736e6d702d6361707475726502010102010e040a736861"
     "61657332353663040c3c0e5f32bc47e2c4a6e111030408a75e546ca998ed"
     "f104363de22377c165ebe902610d9e241a50fff191cdd54b6c42952851c4"
     "d6223a90c0232630680bce15e294ea68b2584d9e3372ebadf5213c"},
    /* frame 28: SHA/AES-256-C response */
    {"shaaes256c", USNMP_AUTH_SHA, USNMP_PRIV_AES256C,
     "3081b1020103301102047c06670b020300ffe30401030201030440303e04"
     "1280001f880475736e6d702d6361707475726502010102010e040a736861"
     "61657332353663040cfc7d3c7a49c8e4c853a1ebab0408c3020246577c5d"
     "a304573ada05f375c7353163425dd78e6c40fb3c379ceec09643d9720e77"
     "f6b1c48b6b94221814037e6ae40a189640771d2d807c3d3b9e9f8b479c40"
     "4613a5dc73499f15ca0cd88025f85a9467f61f4fcec6bec13579ca0ec8f2"},
    /* frame 31: SHA-512/AES-256-C GET */
    {"sha512aes256c", USNMP_AUTH_SHA512, USNMP_PRIV_AES256C,
     "3081b70201033011020423c0b29c020300ffe30401070201030467306504"
     "1280001f880475736e6d702d6361707475726502010102010e040d736861"
     "353132616573323536630430ffcfd989cd0489c40b5fb6aca30493dffc47"
     "4c3c6f14221f7298dc0ceec491452e5617b03e880ff5a3c7aec12a369264"
     "0408aa359501083e715e0436e33745050708297bd3241fadfe8b84c1eb02"
     "eb38e4120f439e762d714fcac74f7abe08fdc8828f0ead596e3ba2854fd5"
     "0452ca28583a"},
    /* frame 32: SHA-512/AES-256-C response */
    {"sha512aes256c", USNMP_AUTH_SHA512, USNMP_PRIV_AES256C,
     "3081d80201033011020423c0b29c020300ffe30401030201030467306504"
     "1280001f880475736e6d702d6361707475726502010102010e040d736861"
     "3531326165733235366304302bafd3e85da86b2aade6ffd4f47c5ef48775"
     "0c5a2d63b0e3d301ec0ec28b43e5cc9afaf600a6b4f710626777763df719"
     "0408c3020246577c5da404579980f270b01038f073a6fac16fdb1b93b187"
     "8e78ce27383cfb34b8561a2fe5ac5a69d9061286b17212cbfb977a3feec2"
     "d7df616ea3d010892c70de90a98d80bb08cc44ddf63ce6fb34b8541f4bec"
     "72e5614db66126e817"},
    /* frame 35: SHA-384 GET */
    {"sha384nopriv", USNMP_AUTH_SHA384, USNMP_PRIV_NONE,
     "30819c0201033011020410e9dda2020300ffe3040105020103044e304c04"
     "1280001f880475736e6d702d6361707475726502010102010f040c736861"
     "3338346e6f70726976042019c39324ac2ac6af704790adeac57bba67ea5e"
     "dc6ce8ee19f14b61afa656786304003034041280001f880475736e6d702d"
     "636170747572650400a01c02046f496dcd020100020100300e300c06082b"
     "060102010101000500"},
    /* frame 36: SHA-384 response */
    {"sha384nopriv", USNMP_AUTH_SHA384, USNMP_PRIV_NONE,
     "3081bd0201033011020410e9dda2020300ffe3040101020103044e304c04"
     "1280001f880475736e6d702d6361707475726502010102010f040c736861"
     "3338346e6f7072697604203e0fc6fab8ad1353745a099c87d1265962e457"
     "36530b3b6f92e7296a0982ccdb04003055041280001f880475736e6d702d"
     "636170747572650400a23d02046f496dcd020100020100302f302d06082b"
     "06010201010100042175736e6d702074657374206167656e7420286e6574"
     "2d736e6d7020736e6d706429"},
    /* frame 40: wrongDigest report */
    {"shanopriv", USNMP_AUTH_SHA, USNMP_PRIV_NONE,
     "307c02010330110204165d8ca4020300ffe3040100020103042b30290412"
     "80001f880475736e6d702d6361707475726502010102010f04097368616e"
     "6f70726976040004003037041280001f880475736e6d702d636170747572"
     "650400a81f0204124986d60201000201003011300f060a2b060106030f01"
     "010500410101"},
    /* frame 44: unknownUserName report */
    {"nosuchuser", USNMP_AUTH_SHA, USNMP_PRIV_NONE,
     "307d0201033011020476223bf1020300ffe3040100020103042c302a0412"
     "80001f880475736e6d702d6361707475726502010102010f040a6e6f7375"
     "636875736572040004003037041280001f880475736e6d702d6361707475"
     "72650400a81f020473a8fd320201000201003011300f060a2b060106030f"
     "01010300410101"},
    /* frame 51: unsupportedSecLevel report */
    {"shanopriv", USNMP_AUTH_SHA, USNMP_PRIV_NONE,
     "30790201033011020468fb38ea020300ffe3040100020103042b30290412"
     "80001f880475736e6d702d6361707475726502010102011204097368616e"
     "6f70726976040004003034041280001f880475736e6d702d636170747572"
     "650400a81c0201000201000201003011300f060a2b060106030f01010100"
     "410101"},
};

enum {
  F_PROBE = 0,
  F_REPORT_ENGINE,
  F_NOAUTH_GET,
  F_NOAUTH_RESP,
  F_SHA_GET,
  F_SHA_RESP,
  F_MD5DES_GET,
  F_MD5DES_RESP,
  F_SHAAES_GET,
  F_SHAAES_RESP,
  F_LAST_PAIR_RESP = 19,
  F_REPORT_DIGEST = 20,
  F_REPORT_USER,
  F_REPORT_LEVEL,
  F_COUNT
};

/* A target for the frame's user at the capture engine. */
static void frame_target(usnmp__crypto *c, usnmp__usm_target *t,
                         const struct frame *f, const char *authpass,
                         const char *privpass) {
  assert_int_equal(usnmp__usm_target_init(c, t), 0);
  assert_int_equal(usnmp__usm_target_set_user(
                       c, t, f->user[0] ? f->user : "x", f->auth,
                       f->auth != USNMP_AUTH_NONE ? authpass : NULL, f->priv,
                       f->priv != USNMP_PRIV_NONE ? privpass : NULL),
                   0);
  assert_int_equal(usnmp__usm_target_set_engine(c, t, capture_engine,
                                                sizeof(capture_engine), 0),
                   0);
}

static void test_captured_frames(void **state) {
  usnmp__crypto *c = *state;
  size_t i;

  assert_int_equal(sizeof(frames) / sizeof(frames[0]), F_COUNT);
  for (i = 0; i < F_COUNT; i++) {
    const struct frame *f = &frames[i];
    uint8_t msg[512], scratch[512];
    usnmp_varbind vbs[4];
    usnmp__usm_target t;
    usnmp__msg3 m;
    size_t n_vbs = 0;
    size_t len = usnmp_test_unhex(msg, sizeof(msg), f->hex);
    int rc;

    frame_target(c, &t, f, "authpass123", "privpass123");
    rc = usnmp__msg3_decode(c, i < 2 ? NULL : &t, msg, len, scratch,
                            sizeof(scratch), &m, vbs, 4, &n_vbs);
    if (rc != 0)
      fail_msg("frame %zu: %s", i, usnmp_err_name(rc));
    assert_int_equal(m.authenticated, (m.flags & USNMP__MSG3_FLAG_AUTH) != 0);
    assert_int_equal(m.max_size, 65507);
    if (i == F_PROBE) {
      assert_int_equal(m.flags, USNMP__MSG3_FLAG_REPORTABLE);
      assert_int_equal(m.engine_id_len, 0);
      assert_int_equal(m.user_len, 0);
      assert_int_equal(m.pdu.type, USNMP_PDU_GET);
      assert_int_equal(n_vbs, 0);
      continue;
    }
    assert_int_equal(m.engine_id_len, sizeof(capture_engine));
    assert_memory_equal(m.engine_id, capture_engine, sizeof(capture_engine));
    assert_int_equal(m.boots, 1);
    if (i >= F_REPORT_DIGEST || i == F_REPORT_ENGINE) {
      static const int want[] = {USNMP_E_WRONG_DIGEST, USNMP_E_UNKNOWN_USER,
                                 USNMP_E_UNSUPPORTED_SEC_LEVEL};
      assert_int_equal(m.pdu.type, USNMP_PDU_REPORT);
      assert_false(m.authenticated);
      assert_int_equal(m.report, i == F_REPORT_ENGINE
                                     ? USNMP_E_UNKNOWN_ENGINE_ID
                                     : want[i - F_REPORT_DIGEST]);
      assert_int_equal(n_vbs, 1);
      assert_int_equal(vbs[0].value.type, USNMP_TYPE_COUNTER32);
      continue;
    }
    assert_int_equal(m.user_len, strlen(f->user));
    assert_memory_equal(m.user, f->user, m.user_len);
    assert_int_equal(m.context_engine_id_len, sizeof(capture_engine));
    assert_int_equal(m.context_name_len, 0);
    assert_int_equal(m.flags & USNMP__MSG3_FLAG_PRIV,
                     f->priv != USNMP_PRIV_NONE ? USNMP__MSG3_FLAG_PRIV : 0);
    assert_int_equal(n_vbs, 1);
    assert_int_equal(vbs[0].oid_len, sizeof(sys_descr_oid));
    assert_memory_equal(vbs[0].oid, sys_descr_oid, sizeof(sys_descr_oid));
    assert_int_equal(m.report, 0);
    if (i % 2 == 0) { /* the GET */
      assert_int_equal(m.pdu.type, USNMP_PDU_GET);
      assert_int_equal(vbs[0].value.type, USNMP_TYPE_NULL);
      assert_true(m.flags & USNMP__MSG3_FLAG_REPORTABLE);
    } else {
      assert_int_equal(m.pdu.type, USNMP_PDU_RESPONSE);
      assert_int_equal(vbs[0].value.type, USNMP_TYPE_OCTET_STRING);
      assert_int_equal(vbs[0].value.v.bytes.len, strlen(sys_descr));
      assert_memory_equal(vbs[0].value.v.bytes.data, sys_descr,
                          strlen(sys_descr));
      assert_false(m.flags & USNMP__MSG3_FLAG_REPORTABLE);
    }
    usnmp__usm_target_wipe(&t);
  }
}

static void test_discovery_matches_netsnmp(void **state) {
  /* Our probe, with snmpget's msgID and request-id, is its probe. */
  uint8_t want[128], buf[128];
  size_t n = usnmp_test_unhex(want, sizeof(want), frames[F_PROBE].hex);
  int len;

  (void)state;
  len = usnmp__msg3_encode_discovery(buf, sizeof(buf), 0x1288ba24, 0x460af081,
                                     65507);
  assert_int_equal(len, n);
  assert_memory_equal(buf, want, n);
  /* With one-byte msgID and request-id the probe takes 58 bytes. */
  assert_int_equal(usnmp__msg3_encode_discovery(buf, 57, 1, 1, 65507),
                   USNMP_E_NOBUFS);
  assert_int_equal(usnmp__msg3_encode_discovery(buf, sizeof(buf), -1, 1, 65507),
                   USNMP_E_INVAL);
  assert_int_equal(usnmp__msg3_encode_discovery(buf, sizeof(buf), 1, 1, 483),
                   USNMP_E_INVAL);
}

static void test_reencode_matches_netsnmp(void **state) {
  /* Every captured GET, re-encoded by us with snmpget's msgID,
   * request-id, boots, time and salt, is byte for byte snmpget's message:
   * same layout, same IV construction, same padding, same ciphertext,
   * same digest in the same place. */
  usnmp__crypto *c = *state;
  size_t i;

  for (i = F_NOAUTH_GET; i < F_REPORT_DIGEST; i += 2) {
    const struct frame *f = &frames[i];
    uint8_t msg[512], scratch[512], out[512];
    usnmp_varbind vbs[4];
    usnmp__usm_target t;
    usnmp__msg3 m;
    size_t n_vbs, len = usnmp_test_unhex(msg, sizeof(msg), f->hex);
    int rc;

    frame_target(c, &t, f, "authpass123", "privpass123");
    assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch,
                                        sizeof(scratch), &m, vbs, 4, &n_vbs),
                     0);
    usnmp__usm_target_resync(&t, m.boots, m.time, 1000, 1);
    if (f->priv != USNMP_PRIV_NONE) {
      /* The salt is what the privacy parameters carry: all 64 bits for
       * AES; for DES the counter after the 4 bytes of boots. */
      const uint8_t *pp = m.priv_params;
      size_t k;
      assert_int_equal(m.priv_params_len, 8);
      t.salt = 0;
      for (k = 0; k < 8; k++)
        t.salt = t.salt << 8 | pp[k];
      if (f->priv == USNMP_PRIV_DES)
        t.salt &= 0xffffffffu;
    }
    rc = usnmp__msg3_encode(c, &t, 1000, m.msg_id, m.max_size, &m.pdu, vbs,
                            n_vbs, out, sizeof(out));
    if (rc != (int)len || memcmp(out, msg, len) != 0)
      fail_msg("frame %zu (%s): re-encoding differs (len %d vs %zu)", i,
               f->user, rc, len);
    usnmp__usm_target_wipe(&t);
  }
}

/* Decodes frame i into msg (returns its length). */
static size_t load(uint8_t *msg, size_t size, size_t i) {
  return usnmp_test_unhex(msg, size, frames[i].hex);
}

static void test_truncations_and_flips(void **state) {
  /* Every prefix of every frame is an error, never a crash (ASan and
   * valgrind watch the reads); every single-bit change anywhere in an
   * authenticated frame is an error too, since the digest covers every
   * byte: a change in the structure fails the BER reader, a change in the
   * content fails the digest. */
  usnmp__crypto *c = *state;
  size_t i;

  for (i = 0; i < F_COUNT; i++) {
    const struct frame *f = &frames[i];
    uint8_t msg[512], scratch[512];
    usnmp_varbind vbs[4];
    usnmp__usm_target t;
    usnmp__msg3 m;
    size_t n_vbs, len = load(msg, sizeof(msg), i), cut, k;

    frame_target(c, &t, f, "authpass123", "privpass123");
    for (cut = 0; cut < len; cut++) {
      /* A copy of exactly cut bytes on the heap, so that any read past
       * its end is caught. */
      uint8_t *copy = malloc(cut ? cut : 1);
      assert_non_null(copy);
      memcpy(copy, msg, cut);
      assert_int_not_equal(usnmp__msg3_decode(c, &t, copy, cut, scratch,
                                              sizeof(scratch), &m, vbs, 4,
                                              &n_vbs),
                           0);
      free(copy);
    }
    if (f->auth == USNMP_AUTH_NONE || i >= F_REPORT_DIGEST)
      continue;
    for (k = 0; k < len; k++) {
      int bit;
      for (bit = 0; bit < 8; bit += 3) {
        int rc;
        msg[k] ^= (uint8_t)(1u << bit);
        rc = usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch), &m,
                                vbs, 4, &n_vbs);
        if (rc == 0)
          fail_msg("frame %zu: flipping bit %d of byte %zu went unnoticed", i,
                   bit, k);
        msg[k] ^= (uint8_t)(1u << bit);
      }
    }
    usnmp__usm_target_wipe(&t);
  }
}

static void test_wrong_keys_and_levels(void **state) {
  usnmp__crypto *c = *state;
  uint8_t msg[512], scratch[512];
  usnmp_varbind vbs[4];
  usnmp__usm_target t;
  usnmp__msg3 m;
  size_t n_vbs, len;
  struct frame f;

  /* Wrong authentication password. */
  len = load(msg, sizeof(msg), F_SHA_RESP);
  frame_target(c, &t, &frames[F_SHA_RESP], "wrongpass123", NULL);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  /* Right password, other protocol. */
  f = frames[F_SHA_RESP];
  f.auth = USNMP_AUTH_MD5;
  frame_target(c, &t, &f, "authpass123", NULL);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  /* Another user, another engine, no target at all. */
  f = frames[F_SHA_RESP];
  f.user = "shanopriv2";
  frame_target(c, &t, &f, "authpass123", NULL);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  frame_target(c, &t, &frames[F_SHA_RESP], "authpass123", NULL);
  assert_int_equal(usnmp__usm_target_set_engine(c, &t, capture_engine, 17, 0),
                   0);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  assert_int_equal(usnmp__msg3_decode(c, NULL, msg, len, scratch,
                                      sizeof(scratch), &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  /* An authPriv target refuses a response that was only authenticated. */
  f = frames[F_SHA_RESP];
  f.priv = USNMP_PRIV_AES;
  frame_target(c, &t, &f, "authpass123", "privpass123");
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  /* An authNoPriv target refuses an unauthenticated response, but takes
   * an unauthenticated report. */
  len = load(msg, sizeof(msg), F_NOAUTH_RESP);
  frame_target(c, &t, &frames[F_SHA_RESP], "authpass123", NULL);
  assert_int_equal(usnmp__usm_target_set_user(c, &t, "noauth", USNMP_AUTH_SHA,
                                              "authpass123", USNMP_PRIV_NONE,
                                              NULL),
                   0);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_AUTH_FAILURE);
  len = load(msg, sizeof(msg), F_REPORT_USER);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_int_equal(m.report, USNMP_E_UNKNOWN_USER);

  /* Wrong privacy password: the digest is right, the plaintext noise. */
  len = load(msg, sizeof(msg), F_SHAAES_RESP);
  frame_target(c, &t, &frames[F_SHAAES_RESP], "authpass123", "privpass124");
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_DECRYPTION_ERROR);
  len = load(msg, sizeof(msg), F_MD5DES_RESP);
  frame_target(c, &t, &frames[F_MD5DES_RESP], "authpass123", "privpass124");
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   USNMP_E_DECRYPTION_ERROR);
  /* The right keys, but no room to decrypt. */
  frame_target(c, &t, &frames[F_MD5DES_RESP], "authpass123", "privpass123");
  assert_int_equal(
      usnmp__msg3_decode(c, &t, msg, len, scratch, 40, &m, vbs, 4, &n_vbs),
      USNMP_E_NOBUFS);
  assert_int_equal(
      usnmp__msg3_decode(c, &t, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_NOBUFS);
  /* Too many varbinds for the caller's array. */
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 0, &n_vbs),
                   USNMP_E_TOO_MANY_VARBINDS);
  usnmp__usm_target_wipe(&t);
}

/* Builds a message by hand around the given pieces: a minimal v3 message
 * with a plaintext scoped PDU (GET, no varbinds). */
static size_t build(uint8_t *out, int version, int32_t max_size,
                    const uint8_t *flags, size_t flags_len, int model) {
  uint8_t body[256];
  size_t n = 0, m = 0;
  static const uint8_t sp[] = {0x04, 0x10, 0x30, 0x0e, 0x04, 0x00,
                               0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
                               0x04, 0x00, 0x04, 0x00, 0x04, 0x00};
  static const uint8_t scoped[] = {0x30, 0x11, 0x04, 0x00, 0x04, 0x00, 0xa0,
                                   0x0b, 0x02, 0x01, 0x07, 0x02, 0x01, 0x00,
                                   0x02, 0x01, 0x00, 0x30, 0x00};
  uint8_t global[32];

  global[m++] = 0x02;
  global[m++] = 1;
  global[m++] = 5; /* msgID */
  global[m++] = 0x02;
  global[m++] = 2;
  global[m++] = (uint8_t)(max_size >> 8);
  global[m++] = (uint8_t)max_size;
  global[m++] = 0x04;
  global[m++] = (uint8_t)flags_len;
  memcpy(global + m, flags, flags_len);
  m += flags_len;
  global[m++] = 0x02;
  global[m++] = 1;
  global[m++] = (uint8_t)model;

  body[n++] = 0x02;
  body[n++] = 1;
  body[n++] = (uint8_t)version;
  body[n++] = 0x30;
  body[n++] = (uint8_t)m;
  memcpy(body + n, global, m);
  n += m;
  memcpy(body + n, sp, sizeof(sp));
  n += sizeof(sp);
  memcpy(body + n, scoped, sizeof(scoped));
  n += sizeof(scoped);
  out[0] = 0x30;
  out[1] = (uint8_t)n;
  memcpy(out + 2, body, n);
  return n + 2;
}

static void test_header_checks(void **state) {
  uint8_t msg[256];
  usnmp_varbind vbs[4];
  usnmp__msg3 m;
  size_t n_vbs, len;
  int32_t id;

  (void)state;
  /* The hand-built message itself is fine. */
  len = build(msg, 3, 1500, (const uint8_t *)"\x04", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs), 0);
  assert_int_equal(m.msg_id, 5);
  assert_int_equal(m.pdu.request_id, 7);
  assert_int_equal(usnmp__msg3_peek_msg_id(msg, len, &id), 0);
  assert_int_equal(id, 5);
  /* Version, security model, flags length, msgMaxSize. */
  len = build(msg, 1, 1500, (const uint8_t *)"\x04", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_BAD_VERSION);
  assert_int_equal(usnmp__msg3_peek_msg_id(msg, len, &id), USNMP_E_BAD_VERSION);
  len = build(msg, 3, 1500, (const uint8_t *)"\x04", 1, 2);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_BAD_VERSION);
  len = build(msg, 3, 1500, (const uint8_t *)"\x04\x00", 2, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_BAD_VALUE);
  len = build(msg, 3, 483, (const uint8_t *)"\x04", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_BAD_VALUE);
  /* Privacy without authentication is an invalid level. */
  len = build(msg, 3, 1500, (const uint8_t *)"\x02", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_UNSUPPORTED_SEC_LEVEL);
  /* Authentication claimed, and no key to check it. */
  len = build(msg, 3, 1500, (const uint8_t *)"\x01", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs),
      USNMP_E_AUTH_FAILURE);
  /* Bytes after the message change nothing it says: read, and counted. */
  len = build(msg, 3, 1500, (const uint8_t *)"\x04", 1, 3);
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len, NULL, 0, &m, vbs, 4, &n_vbs), 0);
  assert_int_equal(m.tolerated, 0);
  msg[len] = 0;
  assert_int_equal(
      usnmp__msg3_decode(NULL, NULL, msg, len + 1, NULL, 0, &m, vbs, 4, &n_vbs),
      0);
  assert_int_equal(m.tolerated, USNMP_TOLERATED_TRAILING);
}

static void test_report_oids(void **state) {
  static const uint8_t base[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 0, 0};
  static const int want[] = {0,
                             USNMP_E_UNSUPPORTED_SEC_LEVEL,
                             USNMP_E_NOT_IN_TIME_WINDOW,
                             USNMP_E_UNKNOWN_USER,
                             USNMP_E_UNKNOWN_ENGINE_ID,
                             USNMP_E_WRONG_DIGEST,
                             USNMP_E_DECRYPTION_ERROR};
  uint8_t oid[sizeof(base)];
  int k;

  (void)state;
  memcpy(oid, base, sizeof(oid));
  for (k = 1; k <= 6; k++) {
    oid[8] = (uint8_t)k;
    assert_int_equal(usnmp__msg3_report_error(oid, sizeof(oid)), want[k]);
  }
  oid[8] = 7;
  assert_int_equal(usnmp__msg3_report_error(oid, sizeof(oid)),
                   USNMP_E_UNKNOWN_REPORT);
  oid[8] = 0;
  assert_int_equal(usnmp__msg3_report_error(oid, sizeof(oid)),
                   USNMP_E_UNKNOWN_REPORT);
  oid[8] = 1;
  oid[9] = 1; /* .1.1 instead of .1.0 */
  assert_int_equal(usnmp__msg3_report_error(oid, sizeof(oid)),
                   USNMP_E_UNKNOWN_REPORT);
  assert_int_equal(usnmp__msg3_report_error(oid, 9), USNMP_E_UNKNOWN_REPORT);
  /* snmpUnknownContexts.0, 1.3.6.1.6.3.12.1.5.0: a report, but not USM's. */
  {
    static const uint8_t ctx[] = {0x2b, 6, 1, 6, 3, 12, 1, 5, 0};
    assert_int_equal(usnmp__msg3_report_error(ctx, sizeof(ctx)),
                     USNMP_E_UNKNOWN_REPORT);
  }
}

/* Encodes a GET (or any PDU) from t and decodes it back as t. */
static void round_trip(usnmp__crypto *c, usnmp__usm_target *t,
                       usnmp_pdu_type type, size_t n) {
  static const uint8_t oid[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
  usnmp_varbind in[8], out[8];
  usnmp__msg3 m;
  usnmp_msg pdu;
  uint8_t buf[1024], scratch[1024];
  size_t i, n_out;
  int len;

  memset(&pdu, 0, sizeof(pdu));
  pdu.type = type;
  pdu.request_id = 0x1234567;
  for (i = 0; i < n; i++) {
    in[i].oid = oid;
    in[i].oid_len = sizeof(oid);
    in[i].value = type == USNMP_PDU_SET ? usnmp_value_string("a new name")
                                        : usnmp_value_null();
  }
  len = usnmp__msg3_encode(c, t, 5000, 42, 1500, &pdu, in, n, buf, sizeof(buf));
  assert_true(len > 0);
  assert_int_equal(usnmp__msg3_decode(c, t, buf, (size_t)len, scratch,
                                      sizeof(scratch), &m, out, 8, &n_out),
                   0);
  assert_int_equal(m.msg_id, 42);
  assert_int_equal(m.max_size, 1500);
  assert_int_equal(m.pdu.type, type);
  assert_int_equal(m.pdu.request_id, 0x1234567);
  assert_int_equal(m.authenticated, t->level >= USNMP_SEC_AUTHNOPRIV);
  assert_int_equal(!!(m.flags & USNMP__MSG3_FLAG_PRIV),
                   t->level == USNMP_SEC_AUTHPRIV);
  assert_int_equal(!!(m.flags & USNMP__MSG3_FLAG_REPORTABLE),
                   type != USNMP_PDU_RESPONSE && type != USNMP_PDU_REPORT &&
                       type != USNMP_PDU_TRAP_V2);
  assert_int_equal(m.user_len, t->user_len);
  assert_int_equal(m.context_name_len, t->context_name_len);
  assert_int_equal(n_out, n);
  for (i = 0; i < n; i++) {
    assert_memory_equal(out[i].oid, oid, sizeof(oid));
    assert_int_equal(out[i].value.type, in[i].value.type);
  }
}

static void test_round_trips(void **state) {
  /* Every auth x priv pair, each level it allows, several PDU types. */
  usnmp__crypto *c = *state;
  usnmp_auth_proto a;
  usnmp_priv_proto p;

  for (a = USNMP_AUTH_NONE; a <= USNMP_AUTH_SHA512; a++) {
    for (p = USNMP_PRIV_NONE; p <= USNMP_PRIV_AES256C; p++) {
      usnmp__usm_target t;
      usnmp_sec_level level;
      if (a == USNMP_AUTH_NONE && p != USNMP_PRIV_NONE)
        continue;
      assert_int_equal(usnmp__usm_target_init(c, &t), 0);
      assert_int_equal(usnmp__usm_target_set_user(c, &t, "someone", a,
                                                  a ? "authpass123" : NULL, p,
                                                  p ? "privpass123" : NULL),
                       0);
      assert_int_equal(usnmp__usm_target_set_engine(c, &t, capture_engine,
                                                    sizeof(capture_engine), 0),
                       0);
      assert_int_equal(usnmp__usm_target_set_context(&t, NULL, 0, "vlan-12"),
                       0);
      usnmp__usm_target_resync(&t, 7, 1000, 0, 1);
      for (level = USNMP_SEC_NOAUTHNOPRIV; level <= t.level; level++) {
        usnmp__usm_target u = t;
        uint64_t salt = u.salt;
        assert_int_equal(usnmp__usm_target_set_level(&u, level), 0);
        round_trip(c, &u, USNMP_PDU_GET, 1);
        round_trip(c, &u, USNMP_PDU_GETBULK, 3);
        round_trip(c, &u, USNMP_PDU_SET, 2);
        round_trip(c, &u, USNMP_PDU_RESPONSE, 0);
        /* Each encrypted message takes a fresh salt. */
        assert_int_equal(u.salt - salt, level == USNMP_SEC_AUTHPRIV ? 4 : 0);
        usnmp__usm_target_wipe(&u);
      }
      usnmp__usm_target_wipe(&t);
    }
  }
}

static void test_encode_errors(void **state) {
  usnmp__crypto *c = *state;
  usnmp__usm_target t;
  usnmp_msg pdu;
  uint8_t buf[2048];
  static const uint8_t oid[] = {0x2b, 6, 1, 2, 1, 1, 5, 0};
  static uint8_t big[70000];
  usnmp_varbind vb;
  size_t size;
  int full;

  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_SET;
  vb.oid = oid;
  vb.oid_len = sizeof(oid);
  vb.value = usnmp_value_octets(big, 1000);
  assert_int_equal(usnmp__usm_target_init(c, &t), 0);
  assert_int_equal(usnmp__usm_target_set_user(c, &t, "u", USNMP_AUTH_SHA256,
                                              "authpass123", USNMP_PRIV_DES,
                                              "privpass123"),
                   0);
  /* Not discovered yet. */
  assert_int_equal(
      usnmp__msg3_encode(c, &t, 0, 1, 1500, &pdu, &vb, 1, buf, sizeof(buf)),
      USNMP_E_INVAL);
  assert_int_equal(usnmp__usm_target_set_engine(c, &t, capture_engine,
                                                sizeof(capture_engine), 0),
                   0);
  assert_int_equal(
      usnmp__msg3_encode(c, &t, 0, -1, 1500, &pdu, &vb, 1, buf, sizeof(buf)),
      USNMP_E_INVAL);
  full = usnmp__msg3_encode(c, &t, 0, 1, 1500, &pdu, &vb, 1, buf, sizeof(buf));
  assert_true(full > 1000);
  /* Every buffer too small by any amount: NOBUFS, and the salt still
   * moves on (an IV is never reused, even for a message never sent). */
  for (size = 0; size < (size_t)full; size += 7) {
    uint64_t salt = t.salt;
    assert_int_equal(
        usnmp__msg3_encode(c, &t, 0, 1, 1500, &pdu, &vb, 1, buf, size),
        USNMP_E_NOBUFS);
    assert_int_equal(t.salt, salt + 1);
  }
  vb.value = usnmp_value_octets(big, sizeof(big));
  assert_int_equal(
      usnmp__msg3_encode(c, &t, 0, 1, 1500, &pdu, &vb, 1, buf, sizeof(buf)),
      USNMP_E_MSG_TOO_BIG);
  usnmp__usm_target_wipe(&t);
}

static void test_reply_actions(void **state) {
  usnmp__crypto *c = *state;
  uint8_t msg[512], scratch[512], buf[512];
  usnmp_varbind vbs[4];
  usnmp__usm_target t, agent;
  usnmp__msg3 m;
  size_t n_vbs, len;
  int status, rc;

  /* Discovery: the unknownEngineID report teaches the engine ID, boots
   * and time (as a hint), and asks for the request to be sent again. */
  assert_int_equal(usnmp__usm_target_init(c, &t), 0);
  assert_int_equal(usnmp__usm_target_set_user(c, &t, "shanopriv",
                                              USNMP_AUTH_SHA, "authpass123",
                                              USNMP_PRIV_NONE, NULL),
                   0);
  assert_false(usnmp__usm_target_ready(&t));
  len = load(msg, sizeof(msg), F_REPORT_ENGINE);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 1000, 1, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_UNKNOWN_ENGINE_ID);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 1000, 0, &status),
                   USNMP__V3_RETRY);
  assert_true(usnmp__usm_target_ready(&t));
  assert_int_equal(t.engine_id_len, sizeof(capture_engine));
  assert_int_equal(t.boots, 1);
  assert_int_equal(t.time, 12);
  assert_false(t.time_authentic);
  assert_int_equal(t.agent_max_size, 65507);

  /* The authenticated response sets the clock for good. */
  len = load(msg, sizeof(msg), F_SHA_RESP);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 2000, 0, &status),
                   USNMP__V3_DELIVER);
  assert_true(t.time_authentic);
  /* Replayed much later (more than 150 s by our clock): dropped. */
  assert_int_equal(
      usnmp__msg3_reply_action(c, &t, &m, 2000 + 200000, 0, &status),
      USNMP__V3_DROP);

  /* Reports that end the request. */
  len = load(msg, sizeof(msg), F_REPORT_DIGEST);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 2000, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_WRONG_DIGEST);

  /* notInTimeWindow, as an agent sends it: authenticated, with its real
   * boots and time (here after a reboot: boots 9).  Built with our own
   * encoder from the agent's side, which shares the user's keys. */
  agent = t;
  usnmp__usm_target_resync(&agent, 9, 33, 0, 1);
  {
    static const uint8_t oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 2, 0};
    usnmp_varbind vb;
    usnmp_msg pdu;
    memset(&pdu, 0, sizeof(pdu));
    pdu.type = USNMP_PDU_REPORT;
    pdu.request_id = 77;
    vb.oid = oid;
    vb.oid_len = sizeof(oid);
    vb.value = usnmp_value_counter32(3);
    rc = usnmp__msg3_encode(c, &agent, 0, 99, 65507, &pdu, &vb, 1, buf,
                            sizeof(buf));
    assert_true(rc > 0);
    len = (size_t)rc;
  }
  assert_int_equal(usnmp__msg3_decode(c, &t, buf, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_true(m.authenticated);
  assert_int_equal(m.report, USNMP_E_NOT_IN_TIME_WINDOW);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 5000, 1, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_NOT_IN_TIME_WINDOW);
  assert_int_equal(t.boots, 1);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 5000, 0, &status),
                   USNMP__V3_RETRY);
  assert_int_equal(t.boots, 9);
  assert_int_equal(usnmp__usm_target_time(&t, 7000), 35);
  /* The same report without authentication changes nothing. */
  m.authenticated = 0;
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 9000, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_NOT_IN_TIME_WINDOW);
  assert_int_equal(t.boots, 9);

  /* A fixed engine ID is not replaced by a report naming another. */
  assert_int_equal(usnmp__usm_target_set_engine(c, &t, capture_engine, 9, 1),
                   0);
  len = load(msg, sizeof(msg), F_REPORT_ENGINE);
  assert_int_equal(usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch),
                                      &m, vbs, 4, &n_vbs),
                   0);
  assert_int_equal(usnmp__msg3_reply_action(c, &t, &m, 1000, 0, &status),
                   USNMP__V3_FAIL);
  assert_int_equal(status, USNMP_E_UNKNOWN_ENGINE_ID);
  assert_int_equal(t.engine_id_len, 9);
  usnmp__usm_target_wipe(&t);
  usnmp__usm_target_wipe(&agent);
}

static void test_contexts(void **state) {
  /* The target's context, a per-request override, and the default: the
   * agent's engine ID and "". */
  usnmp__crypto *c = *state;
  static const uint8_t other_engine[] = {0x80, 0, 0, 9, 3, 1, 2, 3, 4, 5};
  usnmp__usm_target t;
  usnmp__msg3_context ctx;
  usnmp_varbind vbs[2];
  usnmp__msg3 m;
  usnmp_msg pdu;
  uint8_t buf[512], scratch[512];
  size_t n;
  int len;

  memset(&pdu, 0, sizeof(pdu));
  pdu.type = USNMP_PDU_GETNEXT;
  assert_int_equal(usnmp__usm_target_init(c, &t), 0);
  assert_int_equal(usnmp__usm_target_set_user(c, &t, "ctxuser", USNMP_AUTH_SHA,
                                              "authpass123", USNMP_PRIV_AES,
                                              "privpass123"),
                   0);
  assert_int_equal(usnmp__usm_target_set_engine(c, &t, capture_engine,
                                                sizeof(capture_engine), 0),
                   0);
  len = usnmp__msg3_encode(c, &t, 0, 1, 1500, &pdu, NULL, 0, buf, sizeof(buf));
  assert_true(len > 0);
  assert_int_equal(usnmp__msg3_decode(c, &t, buf, (size_t)len, scratch,
                                      sizeof(scratch), &m, vbs, 2, &n),
                   0);
  assert_int_equal(m.context_engine_id_len, sizeof(capture_engine));
  assert_memory_equal(m.context_engine_id, capture_engine,
                      sizeof(capture_engine));
  assert_int_equal(m.context_name_len, 0);

  assert_int_equal(usnmp__usm_target_set_context(
                       &t, other_engine, sizeof(other_engine), "bridge1"),
                   0);
  len = usnmp__msg3_encode(c, &t, 0, 2, 1500, &pdu, NULL, 0, buf, sizeof(buf));
  assert_int_equal(usnmp__msg3_decode(c, &t, buf, (size_t)len, scratch,
                                      sizeof(scratch), &m, vbs, 2, &n),
                   0);
  assert_int_equal(m.context_engine_id_len, sizeof(other_engine));
  assert_memory_equal(m.context_name, "bridge1", 7);

  /* Per request: the name "" overrides "bridge1", the engine stays. */
  memset(&ctx, 0, sizeof(ctx));
  ctx.name = (const uint8_t *)"";
  len = usnmp__msg3_encode_ctx(c, &t, 0, 3, 1500, &ctx, &pdu, NULL, 0, buf,
                               sizeof(buf));
  assert_int_equal(usnmp__msg3_decode(c, &t, buf, (size_t)len, scratch,
                                      sizeof(scratch), &m, vbs, 2, &n),
                   0);
  assert_int_equal(m.context_engine_id_len, sizeof(other_engine));
  assert_int_equal(m.context_name_len, 0);
  ctx.engine_id = capture_engine;
  ctx.engine_id_len = 5;
  ctx.name = (const uint8_t *)"vlan-7";
  ctx.name_len = 6;
  len = usnmp__msg3_encode_ctx(c, &t, 0, 4, 1500, &ctx, &pdu, NULL, 0, buf,
                               sizeof(buf));
  assert_int_equal(usnmp__msg3_decode(c, &t, buf, (size_t)len, scratch,
                                      sizeof(scratch), &m, vbs, 2, &n),
                   0);
  assert_int_equal(m.context_engine_id_len, 5);
  assert_memory_equal(m.context_name, "vlan-7", 6);
  ctx.engine_id_len = 33;
  assert_int_equal(usnmp__msg3_encode_ctx(c, &t, 0, 5, 1500, &ctx, &pdu, NULL,
                                          0, buf, sizeof(buf)),
                   USNMP_E_INVAL);
  usnmp__usm_target_wipe(&t);
}

/* A small deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1dull;
}

static void test_mutations_resigned(void **state) {
  /* Random mutations of every captured frame: byte changes, insertions,
   * deletions and length tweaks.  The digest would stop almost all of
   * them at the door, so each mutant that still frames its
   * msgAuthenticationParameters is re-signed with the right key before
   * the real decode: that drives the hostile bytes through decryption
   * and the scoped-PDU decoder.  Whatever happens must be 0 or an error
   * code, with every decoded pointer inside the buffers (ASan and
   * valgrind check the reads). */
  usnmp__crypto *c = *state;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  size_t deep = 0, decoded = 0;
  size_t i;

  for (i = 0; i < F_COUNT; i++) {
    const struct frame *f = &frames[i];
    uint8_t orig[512];
    usnmp__usm_target t;
    size_t orig_len = load(orig, sizeof(orig), i);
    int round;

    frame_target(c, &t, f, "authpass123", "privpass123");
    for (round = 0; round < 400; round++) {
      uint8_t msg[600], scratch[600];
      usnmp_varbind vbs[4];
      usnmp__msg3 m;
      size_t len = orig_len, n_vbs, k;
      int edits = 1 + (int)(rng_next(&seed) % 4), e, rc;

      memcpy(msg, orig, len);
      for (e = 0; e < edits; e++) {
        size_t at = (size_t)(rng_next(&seed) % len);
        switch (rng_next(&seed) % 4) {
        case 0: /* change a byte */
          msg[at] = (uint8_t)rng_next(&seed);
          break;
        case 1: /* insert a byte */
          if (len < sizeof(msg) - 1) {
            memmove(msg + at + 1, msg + at, len - at);
            msg[at] = (uint8_t)rng_next(&seed);
            len++;
          }
          break;
        case 2: /* delete a byte */
          if (len > 1) {
            memmove(msg + at, msg + at + 1, len - at - 1);
            len--;
          }
          break;
        default: /* nudge a byte that may be a length */
          msg[at] = (uint8_t)(msg[at] + (rng_next(&seed) % 2 ? 1 : -1));
          break;
        }
      }
      rc = usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch), &m,
                              vbs, 4, &n_vbs);
      if (rc == USNMP_E_AUTH_FAILURE && m.auth_params != NULL &&
          f->auth != USNMP_AUTH_NONE &&
          m.auth_params_len == usnmp__usm_auth_mac_len(f->auth)) {
        uint8_t mac[USNMP__USM_MAC_MAX];
        size_t hole = (size_t)(m.auth_params - msg);
        assert_int_equal(
            usnmp__usm_hmac_msg(c, f->auth, t.auth_key, msg, len, hole, mac),
            0);
        memcpy(msg + hole, mac, m.auth_params_len);
        rc = usnmp__msg3_decode(c, &t, msg, len, scratch, sizeof(scratch), &m,
                                vbs, 4, &n_vbs);
        if (rc != USNMP_E_AUTH_FAILURE)
          deep++;
      }
      assert_true(rc <= 0);
      if (rc == 0)
        decoded++;
      if (rc < 0)
        continue;
      assert_true(n_vbs <= 4);
      for (k = 0; k < n_vbs; k++) {
        const uint8_t *p = vbs[k].oid;
        int in_msg = p >= msg && p + vbs[k].oid_len <= msg + len;
        int in_scratch =
            p >= scratch && p + vbs[k].oid_len <= scratch + sizeof(scratch);
        assert_true(in_msg || in_scratch);
      }
    }
    usnmp__usm_target_wipe(&t);
  }
  /* The sweep did reach past authentication, and some mutants (in string
   * contents, say) are still valid messages. */
  print_message("re-signed mutants past the digest: %zu, decoded: %zu\n", deep,
                decoded);
  assert_true(deep > 500);
  assert_true(decoded > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      USNMP_TEST_CRYPTO_TEST(test_captured_frames),
      cmocka_unit_test(test_discovery_matches_netsnmp),
      USNMP_TEST_CRYPTO_TEST(test_reencode_matches_netsnmp),
      USNMP_TEST_CRYPTO_TEST(test_truncations_and_flips),
      USNMP_TEST_CRYPTO_TEST(test_wrong_keys_and_levels),
      cmocka_unit_test(test_header_checks),
      cmocka_unit_test(test_report_oids),
      USNMP_TEST_CRYPTO_TEST(test_round_trips),
      USNMP_TEST_CRYPTO_TEST(test_encode_errors),
      USNMP_TEST_CRYPTO_TEST(test_reply_actions),
      USNMP_TEST_CRYPTO_TEST(test_mutations_resigned),
      USNMP_TEST_CRYPTO_TEST(test_contexts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
