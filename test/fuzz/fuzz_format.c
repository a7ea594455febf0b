/*
 * libFuzzer harness for the formatters: usnmp_value_format(),
 * usnmp_varbind_format() and usnmp_varbind_format_json() print
 * agent-controlled names and values.  Each input is a varbind (layout in
 * format_check.h); every formatter must keep snprintf's promises at every
 * output size, and the JSON must be valid.  Any broken promise aborts, and
 * the sanitizers catch the rest.
 *
 * Build and run (clang 14 and libclang-rt-14-dev on Debian 12):
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true
 *   ninja -C build-fuzz test/fuzz/fuzz_format
 *   mkdir -p /tmp/fuzz-format
 *   ./build-fuzz/test/fuzz/fuzz_format -max_total_time=120 -max_len=4096 \
 *       /tmp/fuzz-format test/fuzz/corpus-format
 *
 * The seeds in test/fuzz/corpus-format are written by
 * python3 test/fuzz/make_corpus_format.py; test/test_fuzz_corpus.c runs
 * them through the same check in the ordinary test suite.
 */
#include <stdint.h>
#include <stdlib.h>

#include "format_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (format_check(data, size) == FORMAT_CHECK_MISMATCH)
    abort();
  return 0;
}
