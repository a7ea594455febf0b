/*
 * Runs the fuzzers' seed corpora through the fuzzers' own checks as
 * ordinary tests:
 *   - test/fuzz/corpus/ through the v1/v2c round trip (fuzz/roundtrip.h):
 *     every valid seed decodes, re-encodes byte-identical and decodes to
 *     the same fields;
 *   - test/fuzz/corpus-v3/ through the SNMPv3 check (fuzz/msg3_check.h):
 *     every valid seed decodes and survives the re-encoding comparisons;
 *   - test/fuzz/corpus-format/ through the formatters' check
 *     (fuzz/format_check.h): every valid seed formats, keeping snprintf's
 *     promises at every output size, as valid JSON too.
 * In both, every malformed seed, named bad-<ERROR>-<what>, fails with
 * exactly USNMP_E_<ERROR>.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/format_check.h"
#include "fuzz/msg3_check.h"
#include "fuzz/roundtrip.h"

/* Reads a whole file into a new buffer; returns it and stores its size. */
static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long len;
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  len = ftell(f);
  assert_true(len >= 0);
  assert_int_equal(fseek(f, 0, SEEK_SET), 0);
  buf = malloc((size_t)len + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *size = (size_t)len;
  return buf;
}

/* One fuzzer's check: 0 for a seed that passes, else its error. */
typedef int (*check_fn)(void *state, const uint8_t *data, size_t size);

typedef struct replay_counts {
  size_t good;
  size_t bad;
  size_t good_signed; /* corpus-v3: valid seeds whose mode byte is odd */
} replay_counts;

/* Replays every file of dir through check: bad-<ERROR>-* must fail with
 * USNMP_E_<ERROR>, every other seed must pass. */
static replay_counts replay(const char *dir_name, check_fn check, void *state) {
  replay_counts n = {0, 0, 0};
  DIR *dir = opendir(dir_name);
  struct dirent *e;
  assert_non_null(dir);
  while ((e = readdir(dir)) != NULL) {
    char path[512];
    size_t size;
    uint8_t *data;
    int rc;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir_name, e->d_name);
    data = read_file(path, &size);
    assert_true(size > 0);
    rc = check(state, data, size);
    print_message("%-45s %s\n", e->d_name,
                  rc == MSG3_CHECK_MISMATCH ? "MISMATCH" : usnmp_err_name(rc));
    if (strncmp(e->d_name, "bad-", 4) == 0) {
      /* bad-<ERROR>-...: error names have no '-', so the first one after
       * "bad-" ends the name. */
      char want[64];
      const char *end = strchr(e->d_name + 4, '-');
      assert_non_null(end);
      assert_true(end > e->d_name + 4);
      snprintf(want, sizeof want, "USNMP_E_%.*s", (int)(end - e->d_name - 4),
               e->d_name + 4);
      assert_true(rc < 0);
      assert_string_equal(usnmp_err_name(rc), want);
      n.bad++;
    } else {
      assert_int_equal(rc, 0);
      n.good++;
      n.good_signed += data[0] & 1;
    }
    free(data);
  }
  closedir(dir);
  return n;
}

static int check_v1_v2c(void *state, const uint8_t *data, size_t size) {
  return roundtrip_check(state, data, size);
}

static int check_v3(void *state, const uint8_t *data, size_t size) {
  return msg3_check(state, data, size);
}

static int check_format(void *state, const uint8_t *data, size_t size) {
  (void)state;
  return format_check(data, size);
}

static void test_corpus(void **state) {
  roundtrip_state *st = malloc(sizeof *st);
  replay_counts n;
  (void)state;
  assert_non_null(st);
  n = replay("fuzz/corpus", check_v1_v2c, st);
  free(st);
  /* The corpus is there: a dozen real messages and the malformed classes. */
  assert_true(n.good >= 12);
  assert_true(n.bad >= 12);
}

static void test_corpus_v3(void **state) {
  msg3_check_state *st = calloc(1, sizeof(*st));
  replay_counts n;
  (void)state;
  assert_non_null(st);
  assert_int_equal(msg3_check_init(st), 0);
  n = replay("fuzz/corpus-v3", check_v3, st);
  msg3_check_free(st);
  free(st);
  /* The corpus is there: raw captured frames and signed plaintexts that
   * decode, and malformed ones of several classes. */
  assert_true(n.good >= 12);
  assert_true(n.good_signed >= 6);
  assert_true(n.bad >= 8);
}

static void test_corpus_format(void **state) {
  replay_counts n;
  (void)state;
  n = replay("fuzz/corpus-format", check_format, NULL);
  /* Every type, and the errors a name or a value can cause. */
  assert_true(n.good >= 30);
  assert_true(n.bad >= 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus),
      cmocka_unit_test(test_corpus_v3),
      cmocka_unit_test(test_corpus_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
