/*
 * Replays the seed corpus of the notification receiver's fuzzer
 * (test/fuzz/corpus-notify, made by test/fuzz/make_corpus_notify.sh)
 * through its check (test/fuzz/notify_check.h), in order: the counters
 * must add up after every seed, deliver-* seeds must be delivered and
 * drop-* seeds dropped (so the seeds reach past the digest and the
 * decryption), and a second pass (every seed again, as a replay flood)
 * must deliver nothing twice that a receiver keeps out: authenticated v3
 * traps are caught as replays, informs as duplicates (a noAuthNoPriv
 * trap carries nothing that could tell a replay).
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

#include "fuzz/notify_check.h"

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  uint8_t *data;
  long n;
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  assert_true(n > 0);
  rewind(f);
  data = malloc((size_t)n);
  assert_non_null(data);
  assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return data;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static void test_corpus_notify(void **state) {
  notify_check_state *st = calloc(1, sizeof(*st));
  struct dirent **names;
  int n, i, pass, delivered = 0, dropped = 0;
  (void)state;
  assert_non_null(st);
  assert_int_equal(notify_check_init(st), 0);
  n = scandir("fuzz/corpus-notify", &names, NULL, by_name);
  assert_true(n > 0);
  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < n; i++) {
      const char *name = names[i]->d_name;
      char path[512];
      uint64_t before = st->nc.stats.delivered;
      size_t size;
      uint8_t *data;
      if (name[0] == '.')
        continue;
      snprintf(path, sizeof(path), "fuzz/corpus-notify/%s", name);
      data = read_file(path, &size);
      assert_int_equal(notify_check(st, data, size), 0);
      if (pass == 0 && strncmp(name, "deliver-", 8) == 0) {
        if (st->nc.stats.delivered != before + 1)
          fail_msg("%s was not delivered", name);
        delivered++;
      } else if (strncmp(name, "drop-", 5) == 0 ||
                 (pass == 1 && strstr(name, "-v3-") != NULL &&
                  strstr(name, "noauth") == NULL) ||
                 (pass == 1 && strstr(name, "inform") != NULL)) {
        if (st->nc.stats.delivered != before)
          fail_msg("%s was delivered (pass %d)", name, pass + 1);
        dropped++;
      }
      free(data);
    }
  }
  assert_true(delivered >= 10);
  assert_true(dropped >= 7);
  print_message("%d delivered, %d dropped as they should\n", delivered,
                dropped);
  for (i = 0; i < n; i++)
    free(names[i]);
  free(names);
  notify_check_free(st);
  free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus_notify),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
