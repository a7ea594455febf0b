/*
 * test_header_c11: usnmp.h under strict ISO C (issue 13 item 8).
 *
 * test/meson.build compiles this file with -std=c11 -pedantic -Werror
 * (and, where a C++ compiler exists, as C++11 with -pedantic -Werror), so
 * a header that pulls in uv/unix.h (pthread_rwlock_t) or uses extensions
 * breaks the build.  The program uses the blocking API and the codec, which
 * need nothing from libuv, and runs: it parses an OID, formats it and
 * opens and closes a blocking session.
 */
#include <string.h>

#include <usnmp.h>

int main(void) {
  usnmp_oid oid;
  char text[64];
  usnmp_sync *s = NULL;
  uv_loop_t *loop = NULL; /* the type is declared even without uv.h */
  if (usnmp_oid_parse(&oid, "iso.3.6.1.2.1.1.1.0") != 0)
    return 1;
  if (usnmp_oid_format(text, sizeof text, &oid) < 0 ||
      strcmp(text, ".1.3.6.1.2.1.1.1.0") != 0)
    return 2;
  if (usnmp_sync_init(&s) != 0 || usnmp_sync_close(s) != 0)
    return 3;
  (void)loop;
  return strcmp(usnmp_version_string(), USNMP_VERSION_STRING) == 0 ? 0 : 4;
}
