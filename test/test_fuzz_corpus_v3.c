/*
 * Runs fuzz_msg3's seed corpus (test/fuzz/corpus-v3/) through the
 * harness's own check (test/fuzz/msg3_check.h) as an ordinary test: every
 * valid seed decodes and survives the re-encoding comparisons; every
 * malformed seed, named bad-<ERROR>-<what>.bin, fails with exactly
 * USNMP_E_<ERROR>.
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

#include "fuzz/msg3_check.h"

#define CORPUS_DIR "fuzz/corpus-v3"

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

static void test_corpus_v3(void **state) {
  msg3_check_state *st = calloc(1, sizeof(*st));
  DIR *dir;
  struct dirent *e;
  size_t good = 0;
  size_t bad = 0;
  size_t signed_good = 0;
  (void)state;
  assert_non_null(st);
  assert_int_equal(msg3_check_init(st), 0);
  dir = opendir(CORPUS_DIR);
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
    assert_true(size > 0);
    rc = msg3_check(st, data, size);
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
      bad++;
    } else {
      assert_int_equal(rc, 0);
      good++;
      if (data[0] & 1)
        signed_good++;
    }
    free(data);
  }
  closedir(dir);
  msg3_check_free(st);
  free(st);
  /* The corpus is there: raw captured frames and signed plaintexts that
   * decode, and malformed ones of several classes. */
  assert_true(good >= 12);
  assert_true(signed_good >= 6);
  assert_true(bad >= 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus_v3),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
