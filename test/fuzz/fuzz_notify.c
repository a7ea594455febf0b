/*
 * libFuzzer harness for the notification receiver's decode path
 * (lib/notify_recv.c over the codec, USM and v3 message code): see
 * notify_check.h for the modes and what is checked.
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true
 *   ninja -C build-fuzz test/fuzz/fuzz_notify
 *   mkdir -p /tmp/fuzz-corpus-notify
 *   ./build-fuzz/test/fuzz/fuzz_notify -max_total_time=120 -max_len=4096 \
 *       /tmp/fuzz-corpus-notify test/fuzz/corpus-notify
 *
 * The seeds in test/fuzz/corpus-notify come from
 * test/fuzz/make_corpus_notify.sh (net-snmp's snmptrap and snmpinform,
 * captured); test/test_notify_corpus.c replays them in the test suite.
 */
#include <stdint.h>
#include <stdlib.h>

#include "notify_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One receiver for the whole run, as a daemon under a flood; freed at
 * exit so the leak checker is satisfied. */
static notify_check_state *state;

static void free_state(void) {
  if (state != NULL) {
    notify_check_free(state);
    free(state);
    state = NULL;
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  state = calloc(1, sizeof(*state));
  if (state == NULL || notify_check_init(state) != 0)
    abort();
  atexit(free_state);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (notify_check(state, data, size) == NOTIFY_CHECK_MISMATCH)
    abort();
  return 0;
}
