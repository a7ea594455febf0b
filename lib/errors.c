/* Library-wide basics: the version and the error texts generated from
 * the one list in usnmp.h. */
#include "usnmp.h"

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
