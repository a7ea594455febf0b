/*
 * Runs the fuzzer's seed corpus (test/fuzz/corpus/) through the fuzzer's
 * own round-trip check (test/fuzz/roundtrip.h) as an ordinary test: every
 * valid seed decodes, re-encodes byte-identical and decodes to the same
 * fields; every malformed seed, named bad-<ERROR>-<what>.ber, fails with
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

#include "fuzz/roundtrip.h"

#define CORPUS_DIR "fuzz/corpus"

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

static void test_corpus(void **state) {
  roundtrip_state *st = malloc(sizeof *st);
  DIR *dir = opendir(CORPUS_DIR);
  struct dirent *e;
  size_t good = 0;
  size_t bad = 0;
  (void)state;
  assert_non_null(st);
  assert_non_null(dir);
  while ((e = readdir(dir)) != NULL) {
    char path[512];
    size_t size;
    uint8_t *data;
    int rc;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, e->d_name);
    data = read_file(path, &size);
    rc = roundtrip_check(st, data, size);
    print_message("%-45s %s\n", e->d_name, usnmp_err_name(rc));
    if (strncmp(e->d_name, "bad-", 4) == 0) {
      /* bad-<ERROR>-...: error names have no '-', so the first one after
       * "bad-" ends the name. */
      char want[64];
      const char *end = strchr(e->d_name + 4, '-');
      assert_non_null(end);
      assert_true(end > e->d_name + 4);
      snprintf(want, sizeof want, "USNMP_E_%.*s", (int)(end - e->d_name - 4),
               e->d_name + 4);
      assert_string_equal(usnmp_err_name(rc), want);
      bad++;
    } else {
      assert_int_equal(rc, 0);
      good++;
    }
    free(data);
  }
  closedir(dir);
  free(st);
  /* The corpus is there: a dozen real messages and the malformed classes. */
  assert_true(good >= 12);
  assert_true(bad >= 12);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
