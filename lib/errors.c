/* Library-wide basics: the version, error texts generated from the one
 * list in usnmp.h, and the default allocator. */
#include <stddef.h>
#include <stdlib.h>

#include "alloc.h"
#include "usnmp.h"

static void *default_malloc(size_t size, void *ctx) {
  (void)ctx;
  return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  return realloc(ptr, size);
}

static void default_free(void *ptr, void *ctx) {
  (void)ctx;
  free(ptr);
}

const usnmp_allocator usnmp__default_allocator = {
    default_malloc, default_realloc, default_free, NULL};

const char *usnmp_version_string(void) { return USNMP_VERSION_STRING; }

const char *usnmp_strerror(int err) {
  if (err == 0)
    return "success";
  switch (err) {
#define XX(name, value, msg)                                                   \
  case USNMP_E_##name:                                                         \
    return msg;
    USNMP_ERRNO_MAP(XX)
#undef XX
  default:
    break;
  }
  if (err < 0 && err > USNMP_ERRNO_BASE_)
    return uv_strerror(err);
  return "unknown error";
}

const char *usnmp_err_name(int err) {
  if (err == 0)
    return "OK";
  switch (err) {
#define XX(name, value, msg)                                                   \
  case USNMP_E_##name:                                                         \
    return "USNMP_E_" #name;
    USNMP_ERRNO_MAP(XX)
#undef XX
  default:
    break;
  }
  if (err < 0 && err > USNMP_ERRNO_BASE_)
    return uv_err_name(err);
  return "UNKNOWN";
}
