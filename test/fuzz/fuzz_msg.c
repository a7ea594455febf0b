/*
 * libFuzzer harness for the v1/v2c message codec.
 *
 * Each input is decoded; when it decodes, what was decoded is re-encoded
 * (minimal BER: the very same bytes when the input needed no tolerance),
 * decoded again, and every field and varbind compared by meaning
 * (roundtrip.h: what decodes re-encodes to bytes that decode to the same
 * message).  Any mismatch aborts, and the sanitizers catch the rest.
 *
 * Build and run (clang 14 and libclang-rt-14-dev on Debian 12):
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true
 *   ninja -C build-fuzz test/fuzz/fuzz_msg
 *   mkdir -p /tmp/fuzz-corpus
 *   ./build-fuzz/test/fuzz/fuzz_msg -max_total_time=120 -max_len=4096 \
 *       /tmp/fuzz-corpus test/fuzz/corpus
 *
 * New inputs go to the first directory; the seeds in test/fuzz/corpus stay
 * as they are (python3 test/fuzz/make_corpus.py rewrites them).  A crash is
 * saved as crash-<sha1> in the current directory; replay it with
 * ./build-fuzz/test/fuzz/fuzz_msg crash-<sha1>.  test/test_fuzz_corpus.c
 * runs the seeds through the same check in the ordinary test suite.
 */
#include <stdint.h>
#include <stdlib.h>

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* One input at a time: the working memory is reused across calls. */
  static roundtrip_state state;
  if (roundtrip_check(&state, data, size) == ROUNDTRIP_MISMATCH)
    abort();
  return 0;
}
