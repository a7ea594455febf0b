/*
 * An agent's error-status and a library code are two types (CHANGELOG.md,
 * renames before 1.0): compiled by test_error_status_type.sh once as is,
 * which must compile without a warning, and once with -DMIX, where gcc
 * must warn that a library code (USNMP_E_*) goes into a usnmp_error_status.
 */
#include "usnmp.h"

int error_status_is_too_big(const usnmp_response *resp);
int error_status_is_too_big(const usnmp_response *resp) {
  return resp->status == 0 && resp->error_status == USNMP_ERROR_STATUS_TOOBIG;
}

usnmp_error_status error_status_of(const usnmp_response *resp);
usnmp_error_status error_status_of(const usnmp_response *resp) {
#ifdef MIX
  if (resp->status != 0)
    return USNMP_E_TOO_BIG;
#endif
  return resp->error_status;
}
