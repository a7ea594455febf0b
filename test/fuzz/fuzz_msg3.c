/*
 * libFuzzer harness for the SNMPv3 message path (lib/msg3.c, lib/usm.c).
 *
 * The first input byte picks the mode (msg3_check.h): raw datagrams
 * decoded for an authPriv target, or plaintext scoped PDUs that the
 * harness encrypts and signs with the target's keys so they reach the
 * scoped-PDU and PDU decoders.  Whatever decodes is re-encoded, decoded
 * again and compared; any mismatch aborts, and the sanitizers catch the
 * rest.
 *
 * Build and run (clang 14 and libclang-rt-14-dev on Debian 12):
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true
 *   ninja -C build-fuzz test/fuzz/fuzz_msg3
 *   mkdir -p /tmp/fuzz-corpus-v3
 *   ./build-fuzz/test/fuzz/fuzz_msg3 -max_total_time=120 -max_len=4096 \
 *       /tmp/fuzz-corpus-v3 test/fuzz/corpus-v3
 *
 * The seeds in test/fuzz/corpus-v3 come from python3
 * test/fuzz/make_corpus_v3.py; test/test_fuzz_corpus.c runs them
 * through the same check in the ordinary test suite.
 */
#include <stdint.h>
#include <stdlib.h>

#include "msg3_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Created once: the password-to-key hashing is far too slow to run per
 * input.  A static pointer, so the leak checker sees it as reachable, and
 * freed at exit. */
static msg3_check_state *state;

static void free_state(void) {
  if (state != NULL) {
    msg3_check_free(state);
    free(state);
    state = NULL;
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  state = calloc(1, sizeof(*state));
  if (state == NULL || msg3_check_init(state) != 0)
    abort();
  atexit(free_state);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (msg3_check(state, data, size) == MSG3_CHECK_MISMATCH)
    abort();
  return 0;
}
