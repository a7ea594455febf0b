/*
 * usnmp: an SNMP manager library in C, built natively on libuv.
 *
 * This is the one public header.  Everything it declares carries the
 * usnmp_ prefix; every other symbol of the library is hidden.
 *
 * Layers (see README.md):
 *   - the codec (OIDs, values, messages, formatting) takes bytes and gives
 *     bytes, allocates nothing and knows nothing of libuv;
 *   - the async manager runs requests on the caller's uv_loop_t;
 *   - walks and tables are callback-driven iterators on the manager;
 *   - the blocking layer spins a private loop until a callback fires.
 *
 * Errors are negative integers.  Codes of usnmp's own are listed in
 * USNMP_ERRNO_MAP below; libuv's codes (UV_E*) pass through unchanged.
 * usnmp_strerror() and usnmp_err_name() describe both kinds.
 *
 * Thread rules: nothing in usnmp is global or mutable.  The codec functions
 * are reentrant and may be called from any thread.  A manager, its targets
 * and its requests belong to the thread that runs the manager's loop; use
 * one manager per loop and many loops for many threads.
 */
#ifndef USNMP_H
#define USNMP_H

#include <stddef.h>
#include <stdint.h>

/* From libuv this header needs only the uv_loop_t type, declared below so
 * that it compiles in strict ISO C (cc -std=c11 -pedantic, and C++),
 * where uv.h itself does not: uv/unix.h needs POSIX types such as
 * pthread_rwlock_t.  uv.h is still included wherever it can compile (any
 * POSIX or GNU feature macro, or a compiler not in strict mode), so
 * programs that call libuv and include only usnmp.h keep working (in
 * strict mode, uv.h needs _POSIX_C_SOURCE=200809L anyway). */
#if !defined(__STRICT_ANSI__) || defined(_POSIX_C_SOURCE) ||                   \
    defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE)
#include <uv.h>
#endif
#ifndef UV_H
typedef struct uv_loop_s uv_loop_t;
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(USNMP_BUILDING_LIBRARY)
#define USNMP_EXTERN __attribute__((visibility("default")))
#else
#define USNMP_EXTERN
#endif

#define USNMP_VERSION_MAJOR 0
#define USNMP_VERSION_MINOR 1
#define USNMP_VERSION_PATCH 0
#define USNMP_VERSION_STRING "0.1.0"

/* Returns USNMP_VERSION_STRING of the library actually linked. */
USNMP_EXTERN const char *usnmp_version_string(void);

/* ABI: a program built against one version of this header keeps working
 * with a newer library of the same soversion, because a newer library
 * never reads or writes past the end of a struct the caller allocated:
 *
 *   - option structs the library reads (usnmp_request_opts,
 *     usnmp_call_opts, usnmp_walk_opts, usnmp_host_opts) name in their flags
 * the fields that are set; a field added later is appended and read only when a
 *     new flag names it, so an older caller's struct (which never has that
 *     flag) is read no further than its own fields.  The library refuses
 *     a flag it does not know with USNMP_E_INVAL (a program built against
 *     a newer header, run with an older library, asked for something the
 *     library cannot do);
 *   - structs the library fills for the caller (usnmp_stats,
 *     usnmp_walk_result through usnmp_walk_result_get) are written through
 *     a function that takes the caller's sizeof; a macro of the usual name
 *     passes it.  Fields are only appended: a newer library writes what
 *     fits, an older one zeroes what it does not know;
 *   - structs the library hands to callbacks or returns pointers to
 *     (usnmp_response, usnmp_walk_result, usnmp_table_row, also from
 *     usnmp_rowlist_get, usnmp_table_result) belong to the library; fields
 *     are only appended;
 *   - value types that mirror the wire or the caller's memory (usnmp_oid,
 *     usnmp_value, usnmp_varbind, usnmp_msg, usnmp_allocator) and every
 *     enum value and error code never change; changing them takes a new
 *     soversion.
 */

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* One list generates the codes, usnmp_strerror() and usnmp_err_name().
 * The codes lie far below libuv's so the two never collide.  Each code's
 * value is written in the list and never changes: a new code is appended
 * with the next free value (one above the last), none is ever renumbered
 * or reused, so a program built against an older header reads the same
 * codes from a newer library. */
#define USNMP_ERRNO_MAP(XX)                                                    \
  XX(TRUNCATED, -29999,                                                        \
     "message truncated: a length runs past the end of its data")              \
  XX(BAD_TAG, -29998, "unexpected BER tag")                                    \
  XX(MULTIBYTE_TAG, -29997, "multi-byte BER tags are not allowed")             \
  XX(INDEFINITE_LENGTH, -29996, "indefinite BER lengths are not allowed")      \
  XX(BAD_LENGTH, -29995, "malformed BER length")                               \
  XX(INT_OVERFLOW, -29994, "integer too large for its type")                   \
  XX(INT_NONMINIMAL, -29993, "integer not minimally encoded")                  \
  XX(OID_TOO_LONG, -29992, "object identifier has too many sub-identifiers")   \
  XX(OID_SUBID_OVERFLOW, -29991,                                               \
     "object identifier sub-identifier exceeds 2^32-1")                        \
  XX(BAD_OID, -29990, "malformed object identifier")                           \
  XX(DEPTH, -29989, "BER nesting too deep")                                    \
  XX(TOO_MANY_VARBINDS, -29988, "too many variable bindings")                  \
  XX(MSG_TOO_BIG, -29987, "message larger than 65507 bytes")                   \
  XX(TRAILING, -29986, "trailing bytes after a complete element")              \
  XX(BAD_VERSION, -29985, "unsupported or unexpected SNMP version")            \
  XX(BAD_PDU_TYPE, -29984, "unsupported or unexpected PDU type")               \
  XX(BAD_VALUE, -29983, "malformed value for its type")                        \
  XX(NOBUFS, -29982, "output buffer too small")                                \
  XX(INVAL, -29981, "invalid argument")                                        \
  XX(NOMEM, -29980, "out of memory")                                           \
  XX(TIMEOUT, -29979, "no response before the timeout")                        \
  XX(CANCELLED, -29978, "request cancelled")                                   \
  XX(CLOSED, -29977, "manager closed")                                         \
  XX(RESOLVE, -29976, "could not resolve the agent's address")                 \
  XX(TOO_BIG, -29975, "response would be too big for one message")             \
  XX(SNMP_ERROR, -29974, "the agent answered with an error-status")            \
  XX(NOT_INCREASING, -29973, "walk: OID not increasing")                       \
  XX(IN_CALLBACK, -29972, "blocking call made from inside a callback")         \
  XX(BUSY, -29971, "resource busy")                                            \
  XX(UNSUPPORTED, -29970, "operation not supported")                           \
  XX(UNKNOWN_USER, -29969, "Unknown user name")                                \
  XX(UNKNOWN_ENGINE_ID, -29968, "Unknown engine ID")                           \
  XX(WRONG_DIGEST, -29967,                                                     \
     "Authentication failure (incorrect password, community or key)")          \
  XX(NOT_IN_TIME_WINDOW, -29966, "Not in time window")                         \
  XX(DECRYPTION_ERROR, -29965, "Decryption error")                             \
  XX(UNSUPPORTED_SEC_LEVEL, -29964, "Unsupported security level")              \
  XX(AUTH_FAILURE, -29963,                                                     \
     "reply failed authentication: wrong key or forged message")               \
  XX(UNKNOWN_REPORT, -29962, "Unknown Report message")                         \
  XX(ENGINE_MISMATCH, -29961,                                                  \
     "unknownEngineID report after discovery: agent replaced or forged "       \
     "report")                                                                 \
  XX(STALE, -29960, "stale request handle: its request already completed")     \
  XX(UNREADABLE_REPLY, -29959,                                                 \
     "the agent answered, but its answer could not be read")                   \
  XX(MIB_NAME, -29958, "MIB names are not supported; use numeric OIDs")        \
  XX(V3_USER_NAME, -29957, "SNMPv3 user name must be 1 to 32 bytes long")      \
  XX(V3_PASSPHRASE, -29956,                                                    \
     "passphrase chosen is below the length requirements of the USM (min=8)")  \
  XX(V3_PRIV_WITHOUT_AUTH, -29955,                                             \
     "SNMPv3 privacy needs authentication (no authPriv without an auth "       \
     "protocol)")                                                              \
  XX(V3_UNKNOWN_PROTOCOL, -29954, "unknown SNMPv3 protocol name")              \
  XX(V3_UNKNOWN_LEVEL, -29953, "unknown SNMPv3 security level name")

enum {
  USNMP_ERRNO_BASE_ = -30000, /* below every code, above none of libuv's */
#define USNMP_ERR_ENUM_(name, value, msg) USNMP_E_##name = (value),
  USNMP_ERRNO_MAP(USNMP_ERR_ENUM_)
#undef USNMP_ERR_ENUM_
      USNMP_ERRNO_END_ /* not a code */
};

/* Returns a static English description of err (a usnmp or libuv code, or
 * 0 for success).  Never returns NULL. */
USNMP_EXTERN const char *usnmp_strerror(int err);
/* Returns the symbolic name of err ("USNMP_E_TIMEOUT", "ECONNREFUSED", ...).
 * Never returns NULL. */
USNMP_EXTERN const char *usnmp_err_name(int err);

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

#define USNMP_OID_MAX_LEN 128    /* sub-identifiers in one OID */
#define USNMP_MAX_MSG_SIZE 65507 /* largest UDP payload over IPv4 */
#define USNMP_MAX_VARBINDS 2048  /* varbinds decoded from one message */
#define USNMP_MAX_DEPTH 16       /* BER nesting depth */

/* ------------------------------------------------------------------------
 * Object identifiers
 * ------------------------------------------------------------------------ */

/* An OID as an array of sub-identifiers.  A value type: build it on the
 * stack, copy it with assignment. */
typedef struct usnmp_oid {
  uint32_t len;
  uint32_t arcs[USNMP_OID_MAX_LEN];
} usnmp_oid;

/* Parses dotted text ("1.3.6.1.2.1.1.1.0" or ".1.3.6...") into *oid.  The
 * first arc may also be written with the name net-snmp knows without any
 * MIB module, as it prints OIDs by default: "iso.3.6.1..." and
 * ".iso.3.6.1..." (likewise "ccitt" for 0 and "joint-iso-ccitt" for 2).
 * Returns 0, USNMP_E_MIB_NAME for any other name ("sysDescr.0",
 * "IF-MIB::ifDescr.1": usnmp loads no MIB modules), USNMP_E_BAD_OID
 * (syntax, first-arc rules), USNMP_E_OID_TOO_LONG or
 * USNMP_E_OID_SUBID_OVERFLOW. */
USNMP_EXTERN int usnmp_oid_parse(usnmp_oid *oid, const char *text);

/* Writes ".1.3.6..." (net-snmp's -On form) into buf, always NUL-terminated
 * when size > 0.  Returns the length the full text needs, without the NUL
 * (snprintf's convention), or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_oid_format(char *buf, size_t size, const usnmp_oid *oid);

/* Returns <0, 0 or >0 as a sorts before, equal to or after b in SNMP
 * (lexicographic, arc by arc) order. */
USNMP_EXTERN int usnmp_oid_cmp(const usnmp_oid *a, const usnmp_oid *b);

/* Returns 1 if prefix is a prefix of (or equal to) oid, else 0. */
USNMP_EXTERN int usnmp_oid_is_prefix(const usnmp_oid *prefix,
                                     const usnmp_oid *oid);

/* Decodes the content octets of a BER OBJECT IDENTIFIER (as found in a
 * decoded varbind) into *oid.  Returns 0 or a negative code. */
USNMP_EXTERN int usnmp_oid_from_ber(usnmp_oid *oid, const uint8_t *ber,
                                    size_t len);

/* Encodes *oid as BER content octets (no tag or length) into buf.
 * Returns the number of bytes written, USNMP_E_NOBUFS, or USNMP_E_BAD_OID
 * (fewer than two arcs, first-arc rules). */
USNMP_EXTERN int usnmp_oid_to_ber(uint8_t *buf, size_t size,
                                  const usnmp_oid *oid);

/* ------------------------------------------------------------------------
 * Values and varbinds
 * ------------------------------------------------------------------------ */

/* SMI types as they appear on the wire: the value is the BER tag. */
typedef enum usnmp_type {
  USNMP_TYPE_INTEGER = 0x02,
  USNMP_TYPE_OCTET_STRING = 0x04,
  USNMP_TYPE_NULL = 0x05,
  USNMP_TYPE_OID = 0x06,
  USNMP_TYPE_IPADDRESS = 0x40,
  USNMP_TYPE_COUNTER32 = 0x41,
  USNMP_TYPE_GAUGE32 = 0x42,
  USNMP_TYPE_TIMETICKS = 0x43,
  USNMP_TYPE_OPAQUE = 0x44,
  USNMP_TYPE_COUNTER64 = 0x46,
  USNMP_TYPE_NOSUCHOBJECT = 0x80,
  USNMP_TYPE_NOSUCHINSTANCE = 0x81,
  USNMP_TYPE_ENDOFMIBVIEW = 0x82,
  /* Not a tag: a decoded value whose bytes have no single meaning for
   * their tag (an empty INTEGER, an INTEGER beyond 32 bits, a Counter32
   * above 2^32-1, an IpAddress not 4 octets long, a malformed OID value,
   * a tag SNMP does not define).  The reply is still delivered; this
   * value keeps what came (see usnmp_value_get_undecodable). */
  USNMP_TYPE_UNDECODABLE = 0x100
} usnmp_type;

/* A value.  Decoded values point into the datagram they came from
 * (zero-copy) and live as long as it does: during a callback, or while the
 * caller's buffer lives.  To build a value, use the usnmp_value_* helpers
 * below; bytes.data is then the caller's and must outlive the call that
 * uses it.
 *
 * type                      member used
 * INTEGER                   v.integer
 * Counter32, Gauge32,
 * TimeTicks                 v.u32
 * Counter64                 v.u64
 * OCTET STRING, Opaque,
 * IpAddress (4 bytes)       v.bytes
 * OBJECT IDENTIFIER         v.bytes: BER content octets (usnmp_oid_from_ber)
 * NULL and the exceptions   nothing
 * undecodable               v.bytes: the whole element as received, tag,
 *                           length and content (usnmp_value_get_undecodable)
 */
typedef struct usnmp_value {
  usnmp_type type;
  union {
    int32_t integer;
    uint32_t u32;
    uint64_t u64;
    struct {
      const uint8_t *data;
      size_t len;
    } bytes;
  } v;
} usnmp_value;

/* A variable binding.  The name is kept as BER content octets (zero-copy);
 * usnmp_oid_from_ber() turns it into arcs. */
typedef struct usnmp_varbind {
  const uint8_t *oid;
  size_t oid_len;
  usnmp_value value;
} usnmp_varbind;

/* Stores the name of vb as arcs in *oid (usnmp_oid_from_ber() on vb's
 * name).  Returns 0, USNMP_E_INVAL for NULL, or the OID error of a name
 * that does not decode (*oid is then empty). */
USNMP_EXTERN int usnmp_varbind_oid(const usnmp_varbind *vb, usnmp_oid *oid);

/* Value builders.  Each returns the value by value; none allocates. */
USNMP_EXTERN usnmp_value usnmp_value_integer(int32_t v);
USNMP_EXTERN usnmp_value usnmp_value_counter32(uint32_t v);
USNMP_EXTERN usnmp_value usnmp_value_gauge32(uint32_t v);
USNMP_EXTERN usnmp_value usnmp_value_timeticks(uint32_t v);
USNMP_EXTERN usnmp_value usnmp_value_counter64(uint64_t v);
USNMP_EXTERN usnmp_value usnmp_value_null(void);
/* data must outlive the request that carries the value. */
USNMP_EXTERN usnmp_value usnmp_value_octets(const void *data, size_t len);
/* s is NUL-terminated; it must outlive the request. */
USNMP_EXTERN usnmp_value usnmp_value_string(const char *s);
USNMP_EXTERN usnmp_value usnmp_value_opaque(const void *data, size_t len);
/* addr is 4 bytes in network order; it must outlive the request. */
USNMP_EXTERN usnmp_value usnmp_value_ipaddress(const uint8_t addr[4]);
/* Encodes oid into storage (at least 5 * USNMP_OID_MAX_LEN bytes is always
 * enough) and points the value at it.  Returns 0, USNMP_E_NOBUFS or
 * USNMP_E_BAD_OID. */
USNMP_EXTERN int usnmp_value_oid(usnmp_value *value, uint8_t *storage,
                                 size_t size, const usnmp_oid *oid);

/* Native readers.  Each returns 0 and stores the value, or USNMP_E_INVAL
 * when the value is of another type (integers: INTEGER only for
 * usnmp_value_get_int; any unsigned type for usnmp_value_get_uint64). */
USNMP_EXTERN int usnmp_value_get_int(const usnmp_value *v, int32_t *out);
USNMP_EXTERN int usnmp_value_get_uint64(const usnmp_value *v, uint64_t *out);
USNMP_EXTERN int usnmp_value_get_bytes(const usnmp_value *v,
                                       const uint8_t **data, size_t *len);
USNMP_EXTERN int usnmp_value_get_oid(const usnmp_value *v, usnmp_oid *out);
USNMP_EXTERN int usnmp_value_get_ipaddress(const usnmp_value *v,
                                           uint8_t out[4]);

/* Reads an undecodable value (USNMP_TYPE_UNDECODABLE): stores the tag it
 * came with in *tag and its content octets in *content and *len (pointing
 * into the value's bytes).  Returns 0, USNMP_E_INVAL (NULL, or another
 * type) or USNMP_E_BAD_VALUE (bytes that are not one BER element). */
USNMP_EXTERN int usnmp_value_get_undecodable(const usnmp_value *v, uint8_t *tag,
                                             const uint8_t **content,
                                             size_t *len);
/* Copies an OCTET STRING or Opaque value into buf as a C string, in the
 * snprintf() convention: at most size - 1 octets and a terminating NUL
 * (nothing is written when size is 0, and buf may then be NULL).  The
 * octets are copied as they are, so binary data and embedded NULs reach
 * buf unchanged; a string that holds a NUL reads shorter through strlen()
 * than the return value says.  Returns the value's length in octets (the
 * string was truncated when that is >= size), or USNMP_E_INVAL for a
 * value of another type or a NULL value or buffer. */
USNMP_EXTERN int usnmp_value_get_string(const usnmp_value *v, char *buf,
                                        size_t size);

/* Returns 1 for noSuchObject, noSuchInstance and endOfMibView, else 0. */
USNMP_EXTERN int usnmp_value_is_exception(const usnmp_value *v);

/* ------------------------------------------------------------------------
 * Formatting, as net-snmp 5.9's tools print with -On and no MIBs loaded
 * ------------------------------------------------------------------------ */

/* All formatters follow snprintf: buf is always NUL-terminated when
 * size > 0 (buf may be NULL when size is 0, to measure), and the return
 * value is the length the full text needs (without the NUL).  None
 * allocates.  Errors leave "" in buf: USNMP_E_INVAL (NULL arguments, bytes
 * with data NULL and len > 0), USNMP_E_BAD_VALUE (a type not listed in
 * usnmp_type, an IpAddress not 4 bytes long), USNMP_E_BAD_OID,
 * USNMP_E_OID_SUBID_OVERFLOW or USNMP_E_OID_TOO_LONG (a malformed name or
 * OID value; other BER OIDs are read as net-snmp reads them, so 06 00
 * prints ".0"). */

/* "STRING: \"abc\"", "INTEGER: 5", "Timeticks: (123) 0:00:01.23", ...
 * Like net-snmp: an empty string is just "\"\"" (no "STRING: "); a string
 * with any byte outside 0x09-0x0D and 0x20-0x7E is "Hex-STRING: 41 00 "
 * (every octet followed by a space, a newline after each sixteenth that is
 * not the last); Opaque is "OPAQUE: 01 02 " or, for net-snmp's special
 * encodings, "Opaque: Float: 1.500000", "Opaque: Counter64: 5",
 * "Opaque: UInt64: 5" or "Opaque: Int64: -1".  An undecodable value
 * (net-snmp has no text for it: it drops the whole reply) is
 * "Undecodable value (tag 0x02): 00 FF FF FC 19 ", its content octets in
 * Hex-STRING's layout ("Undecodable value (tag 0x41): " when empty). */
USNMP_EXTERN int usnmp_value_format(char *buf, size_t size,
                                    const usnmp_value *v);
/* ".1.3.6.1.2.1.1.1.0 = STRING: \"abc\"", exactly a line of snmpget -On
 * (without the newline); exceptions have no type label
 * (".1.3.6.1.2.1.1.1.0 = No Such Object available on this agent at this
 * OID"). */
USNMP_EXTERN int usnmp_varbind_format(char *buf, size_t size,
                                      const usnmp_varbind *vb);
/* One JSON object, no spaces:
 *   {"oid":".1.3.6.1.2.1.1.1.0","type":"OCTET STRING","value":"abc"}
 * type: "INTEGER", "OCTET STRING", "NULL", "OBJECT IDENTIFIER",
 * "IpAddress", "Counter32", "Gauge32", "TimeTicks", "Opaque", "Counter64",
 * "noSuchObject", "noSuchInstance" or "endOfMibView".
 * value: INTEGER, Counter32, Gauge32, TimeTicks: a number; Counter64: a
 * number up to 2^53, above that a string of its digits ("18446744073709551615")
 * so no reader rounds it; OBJECT IDENTIFIER: ".1.3.6..."; IpAddress:
 * "10.1.2.3"; OCTET STRING: a JSON string when the bytes are valid UTF-8
 * (shortest form, no surrogates, no C1 controls) whose ASCII characters
 * are all net-snmp-printable (0x09-0x0D, 0x20-0x7E), escaped as \" \\ \t
 * \n \r \f and \u000b; otherwise {"hex":"0a0b"} (lowercase, two digits per
 * byte); Opaque: always {"hex":"..."}; NULL and the exceptions: null.
 * An undecodable value has type "undecodable", the tag it came with in
 * "tag" (a number) and its content octets as value {"hex":"..."}:
 *   {"oid":".1.3.6.1.4.1.1.0","type":"undecodable","tag":2,
 *    "value":{"hex":"00fffffc19"}} */
USNMP_EXTERN int usnmp_varbind_format_json(char *buf, size_t size,
                                           const usnmp_varbind *vb);

/* Flags of usnmp_value_format_flags(): net-snmp's -O output options that
 * change how a value prints (with no MIB modules loaded). */
#define USNMP_FORMAT_QUICK                                                     \
  0x01u /* -Oq: no type label ("5", "0.077637",                                \
           "1.2.3.4"); a hex string is quoted                                  \
           ("\"80 00 \""), an Opaque dump is not;                              \
           TimeTicks as "D:H:MM:SS.hh" */
#define USNMP_FORMAT_TIMETICKS_RAW                                             \
  0x02u /* -Ot: TimeTicks as the bare                                          \
           number, label or not */
#define USNMP_FORMAT_HEX_TEXT                                                  \
  0x04u /* -OT: each line of a hex dump (strings,                              \
           Opaque) followed by "  [" its octets as                             \
           text, '.' for unprintable, "]" */
#define USNMP_FORMAT_ASCII                                                     \
  0x08u /* -Oa: every non-empty string as text,                                \
           '.' for bytes outside 0x09-0x0D and                                 \
           0x20-0x7E */
#define USNMP_FORMAT_HEX                                                       \
  0x10u /* -Ox: every non-empty string in hex (the                             \
           later of -Oa and -Ox wins: pass one) */
#define USNMP_FORMAT_ALL 0x1fu

/* usnmp_value_format() with the flags above (0: the same text).  NULL,
 * an empty string ("\"\"") and the exceptions print the same under every
 * flag.  Returns as usnmp_value_format(), and USNMP_E_INVAL for a flag not
 * listed. */
USNMP_EXTERN int usnmp_value_format_flags(char *buf, size_t size,
                                          const usnmp_value *v, unsigned flags);

/* ------------------------------------------------------------------------
 * Messages (v1, v2c)
 * ------------------------------------------------------------------------ */

typedef enum usnmp_version {
  USNMP_VERSION_1 = 0,
  USNMP_VERSION_2C = 1,
  USNMP_VERSION_3 = 3
} usnmp_version;

typedef enum usnmp_pdu_type {
  USNMP_PDU_GET = 0xA0,
  USNMP_PDU_GETNEXT = 0xA1,
  USNMP_PDU_RESPONSE = 0xA2,
  USNMP_PDU_SET = 0xA3,
  USNMP_PDU_TRAP_V1 = 0xA4,
  USNMP_PDU_GETBULK = 0xA5,
  USNMP_PDU_INFORM = 0xA6,
  USNMP_PDU_TRAP_V2 = 0xA7,
  USNMP_PDU_REPORT = 0xA8
} usnmp_pdu_type;

/* error-status values of RFC 3416: an agent's answer, not a library code
 * (USNMP_E_*, all negative).  Fields and functions that carry one have
 * this type, so that gcc warns when a library code is stored in one
 * (-Wenum-conversion) or compared with one (-Wsign-compare), both in
 * -Wextra.  A value outside this list that an agent sent is kept as it
 * came, 32 bits wide: (int32_t)error_status gives the INTEGER back. */
typedef enum usnmp_error_status {
  USNMP_ERROR_STATUS_NOERROR = 0,
  USNMP_ERROR_STATUS_TOOBIG = 1,
  USNMP_ERROR_STATUS_NOSUCHNAME = 2,
  USNMP_ERROR_STATUS_BADVALUE = 3,
  USNMP_ERROR_STATUS_READONLY = 4,
  USNMP_ERROR_STATUS_GENERR = 5,
  USNMP_ERROR_STATUS_NOACCESS = 6,
  USNMP_ERROR_STATUS_WRONGTYPE = 7,
  USNMP_ERROR_STATUS_WRONGLENGTH = 8,
  USNMP_ERROR_STATUS_WRONGENCODING = 9,
  USNMP_ERROR_STATUS_WRONGVALUE = 10,
  USNMP_ERROR_STATUS_NOCREATION = 11,
  USNMP_ERROR_STATUS_INCONSISTENTVALUE = 12,
  USNMP_ERROR_STATUS_RESOURCEUNAVAILABLE = 13,
  USNMP_ERROR_STATUS_COMMITFAILED = 14,
  USNMP_ERROR_STATUS_UNDOFAILED = 15,
  USNMP_ERROR_STATUS_AUTHORIZATIONERROR = 16,
  USNMP_ERROR_STATUS_NOTWRITABLE = 17,
  USNMP_ERROR_STATUS_INCONSISTENTNAME = 18
} usnmp_error_status;

/* Returns net-snmp's text for an error-status ("(noSuchName) There is no
 * such variable name in this MIB."); never NULL. */
USNMP_EXTERN const char *
usnmp_error_status_text(usnmp_error_status error_status);
/* Returns the RFC 3416 name of an error-status, spelled as the RFC spells
 * it ("noError", "tooBig", "noAccess", "readOnly", "notWritable", ...),
 * or "unknown" for a value the RFC does not define; never NULL. */
USNMP_EXTERN const char *
usnmp_error_status_name(usnmp_error_status error_status);

/* A community-based message (v1 or v2c) and its PDU header.  Decoded
 * fields point into the message buffer. */
typedef struct usnmp_msg {
  usnmp_version version;
  const uint8_t *community;
  size_t community_len;
  usnmp_pdu_type type;
  int32_t request_id;
  /* GetBulk: non-repeaters and max-repetitions travel in these two. */
  int32_t error_status;
  int32_t error_index;
  /* v1 Trap-PDU only. */
  struct {
    const uint8_t *enterprise; /* BER content octets of the OID */
    size_t enterprise_len;
    uint8_t agent_addr[4];
    int32_t generic_trap;
    int32_t specific_trap;
    uint32_t time_stamp;
  } trap;
} usnmp_msg;

/* Decodes a whole v1/v2c message.  Varbinds are decoded into vbs (at most
 * max_vbs of them, never more than USNMP_MAX_VARBINDS) and their number
 * stored in *n_vbs.  Nothing is allocated; all pointers point into buf.
 * Returns 0 or a negative code naming the first violation (see the error
 * list): the message is then to be dropped.
 *
 * The reader takes every encoding with exactly one meaning (README "Real
 * agents"): long-form lengths longer than needed, redundant sign octets,
 * unsigned values without their 00 octet, OID sub-identifiers with
 * leading 0x80 octets (names and OID values keep them as received:
 * usnmp_oid_from_ber, the formatters and the encoder read them as the
 * same OID, and the encoder writes the minimal form), NULL and exceptions
 * with content, bytes after the message.  A value with no single meaning
 * becomes USNMP_TYPE_UNDECODABLE without sinking the message.  Still
 * refused: truncated, indefinite or oversized lengths, multi-byte tags,
 * nesting and size caps, malformed names, bytes left inside the message,
 * a PDU or a varbind. */
USNMP_EXTERN int usnmp_msg_decode(usnmp_msg *msg, usnmp_varbind *vbs,
                                  size_t max_vbs, size_t *n_vbs,
                                  const uint8_t *buf, size_t len);

/* What a decoder tolerated, one bit per kind (usnmp_msg_decode_ex). */
#define USNMP_TOLERATED_LENGTH 0x01u        /* length octets beyond need */
#define USNMP_TOLERATED_INT_PADDING 0x02u   /* redundant sign octets */
#define USNMP_TOLERATED_UNSIGNED_SIGN 0x04u /* unsigned without its 00 */
#define USNMP_TOLERATED_OID_PADDING 0x08u   /* 0x80 before a sub-id */
#define USNMP_TOLERATED_NULL_CONTENT 0x10u  /* NULL/exception with content */
#define USNMP_TOLERATED_TRAILING 0x20u      /* bytes after the message */
#define USNMP_TOLERATED_UNDECODABLE 0x40u   /* an undecodable value */
/* v3: padding after the scopedPDU beyond what the cipher needs */
#define USNMP_TOLERATED_PRIV_PADDING 0x80u

/* Decode flags. */
/* Refuse what usnmp_msg_decode tolerates, with the error earlier versions
 * gave: USNMP_E_BAD_LENGTH, USNMP_E_INT_NONMINIMAL, USNMP_E_INT_OVERFLOW
 * (an unsigned value without its 00), USNMP_E_BAD_OID, USNMP_E_TRAILING,
 * USNMP_E_BAD_VALUE (NULL content, an undecodable value). */
#define USNMP_DECODE_STRICT 0x01u

/* usnmp_msg_decode with flags (0 or USNMP_DECODE_STRICT) and, when
 * tolerated is not NULL, the USNMP_TOLERATED_* bits of what the message
 * needed (0 for a minimal encoding; set only on success).  Returns as
 * usnmp_msg_decode, and USNMP_E_INVAL for unknown flags. */
USNMP_EXTERN int usnmp_msg_decode_ex(usnmp_msg *msg, usnmp_varbind *vbs,
                                     size_t max_vbs, size_t *n_vbs,
                                     const uint8_t *buf, size_t len,
                                     uint32_t flags, uint32_t *tolerated);

/* Encodes a v1/v2c message into buf.  Returns the message length (the
 * message starts at buf[0]), USNMP_E_NOBUFS, USNMP_E_MSG_TOO_BIG (over
 * USNMP_MAX_MSG_SIZE, whatever the buffer), or for a malformed input
 * USNMP_E_INVAL (version, PDU type for the version, NULL pointers),
 * USNMP_E_BAD_VALUE (value type, IpAddress length) or an OID error
 * (USNMP_E_BAD_OID, USNMP_E_OID_TOO_LONG, USNMP_E_OID_SUBID_OVERFLOW) for
 * a name, an OID value or the v1 trap enterprise. */
USNMP_EXTERN int usnmp_msg_encode(uint8_t *buf, size_t size,
                                  const usnmp_msg *msg,
                                  const usnmp_varbind *vbs, size_t n_vbs);

/* ------------------------------------------------------------------------
 * The async manager
 *
 * A manager runs on the caller's uv_loop_t.  It owns one UDP handle per
 * address family (opened on first use), whatever the number of targets,
 * and a libuv timer per request for resend and timeout.
 *
 * Every request's callback fires exactly once: with a response, or with a
 * status saying why there is none.  It never fires from inside the call
 * that started the request (errors there are returned instead and no
 * callback fires), except from usnmp_cancel(), usnmp_target_close() and
 * usnmp_manager_close(), which complete requests synchronously.
 *
 * Timing: a request is sent when it leaves the queues (see flow control
 * below); the same bytes are sent again every resend interval, the
 * interval being multiplied by the backoff factor after each resend, up to
 * `retries` resends (< 0: no limit).  The request times out one interval
 * after its last resend, or when the overall timeout (if not 0) runs out,
 * whichever comes first.  The overall timeout counts from the call that
 * started the request, time spent waiting in the queues included, and
 * holds for all its datagrams (split parts, tooBig halves, SNMPv3 resends
 * after discovery or re-synchronisation): a request still queued when it
 * runs out completes with USNMP_E_TIMEOUT unsent.  Example: resend
 * 1000 ms, 5 retries, backoff 1, no timeout: sends at 0, 1, 2, 3, 4, 5 s
 * and times out at 6 s, like net-snmp's -t 1 -r 5.  A failed first send
 * ends the request with the libuv error; a failed resend is counted in
 * send_errors and the schedule goes on.
 *
 * Replies: a datagram completes a request only if it decodes (tolerantly,
 * as usnmp_msg_decode; strictly after usnmp_manager_set_strict), comes
 * from the target's address and port, carries a pending request-id (31
 * random bits from a CSPRNG), the request's version and community, and a
 * Response PDU that answers the request (RFC 3416 section 4.2): to a GET
 * or a SET the same names in the same order, to a GETNEXT as many
 * varbinds as asked; with an error-status, the varbinds may be absent
 * (tooBig) and the error-index is 0 or names one of the request's
 * varbinds.  Anything else is dropped and counted (usnmp_stats), and the
 * request keeps waiting for a good answer; so no layer above (walks, the
 * blocking layer's cache) ever sees it.  A request that would time out
 * although datagrams from its target's address and port arrived
 * meanwhile that could not be decoded (or, for v3, whose authenticated
 * content could not be parsed) ends with USNMP_E_UNREADABLE_REPLY instead
 * of USNMP_E_TIMEOUT; such a datagram never ends a request earlier than
 * its timeout.
 *
 * Flow control: requests wait in order for a slot of their target
 * (usnmp_target_set_max_inflight) and then of the manager
 * (usnmp_manager_set_max_inflight), and while the target's name resolves
 * (or an SNMPv3 agent's engine is discovered); without an overall timeout
 * a waiting request's resend schedule starts when it is sent.
 *
 * Split and tooBig: a GET, GETNEXT or SET with more OIDs than the target's
 * max_oids is sent as several requests whose answers are merged in the
 * caller's order (a split SET is several SETs, so not atomic as a whole:
 * raise max_oids where that matters); error_index is given in the
 * caller's numbering and, when several parts report an error, the one with
 * the lowest index wins.  A tooBig answer to a request of several
 * varbinds is retried in two halves (recursively).  A single varbind
 * answered with tooBig completes with status 0 and error_status
 * USNMP_ERROR_STATUS_TOOBIG, as the agent said; a single varbind that cannot be
 * encoded in one datagram at all makes the starting call return
 * USNMP_E_TOO_BIG.  GETBULK is never split nor retried.  When a part fails
 * (timeout...), the whole request completes with that status.  The merged
 * answer holds at most 4 MiB (names, values and varbind structs): an agent
 * whose parts answer more makes the request complete with
 * USNMP_E_TOO_BIG.
 * ------------------------------------------------------------------------ */

typedef struct usnmp_manager usnmp_manager;
typedef struct usnmp_target usnmp_target;
typedef struct usnmp_request usnmp_request;

/* A handle on a started request, as the starting call stores it in *out:
 * a value, to copy and keep freely.  Requests are recycled, so a handle
 * carries the generation of its slot: usnmp_cancel() acts on the request
 * only until that request completes (its callback starts); after that it
 * returns USNMP_E_STALE and touches no request, whatever the manager
 * started since.  A handle is usable until its manager is closed; a
 * zero-initialised one is never valid. */
typedef struct usnmp_request_ref {
  usnmp_manager *manager;
  uint32_t slot;
  uint32_t generation;
} usnmp_request_ref;

/* Allocation hook: every allocation of a manager and of what it owns goes
 * through these (tests use them to fail the Nth allocation). */
typedef struct usnmp_allocator {
  void *(*malloc)(size_t size, void *ctx);
  void *(*realloc)(void *ptr, size_t size, void *ctx);
  void (*free)(void *ptr, void *ctx);
  void *ctx;
} usnmp_allocator;

/* What a request's callback receives.  Everything it points to lives only
 * during the callback; copy what you keep. */
typedef struct usnmp_response {
  /* 0 when the agent answered (error_status may still be non-zero, e.g.
   * USNMP_ERROR_STATUS_TOOBIG for a single varbind that does not fit the
   * agent's answer), else USNMP_E_TIMEOUT, USNMP_E_CANCELLED (usnmp_cancel,
   * usnmp_target_close), USNMP_E_CLOSED, USNMP_E_RESOLVE, USNMP_E_NOMEM (a
   * split or tooBig retry could not allocate) or a libuv error of the
   * first send, USNMP_E_UNREADABLE_REPLY (a timeout while datagrams came
   * from the target that could not be read: see "Replies" above);
   * SNMPv3 adds the statuses of the agent's reports,
   * USNMP_E_ENGINE_MISMATCH and USNMP_E_AUTH_FAILURE (see "SNMPv3"
   * below), and USNMP_E_TOO_BIG for a request that became larger than the
   * agent's msgMaxSize or a split request whose merged answer would pass
   * 4 MiB. */
  int status;
  usnmp_error_status error_status; /* RFC 3416, USNMP_ERROR_STATUS_* */
  int32_t error_index; /* 1-based, relative to the caller's varbinds */
  const usnmp_varbind *varbinds;
  size_t varbind_count;
  usnmp_target *target;
  usnmp_request *request;
  uint64_t rtt_ns; /* from the last send to the answer */
} usnmp_response;

typedef void (*usnmp_response_cb)(const usnmp_response *resp, void *arg);

/* Per-request overrides of the target's defaults.  Zero-initialise, set
 * the fields you want and name them in flags: a field whose flag is not
 * set is never read.  Fields may be appended in later versions, always
 * guarded by a new flag; a flag this library does not know makes the
 * request fail with USNMP_E_INVAL (see "ABI" at the top). */
#define USNMP_REQUEST_TIMEOUT 0x01u
#define USNMP_REQUEST_RESEND 0x02u
#define USNMP_REQUEST_RETRIES 0x04u
#define USNMP_REQUEST_BACKOFF 0x08u
#define USNMP_REQUEST_COMMUNITY 0x10u
#define USNMP_REQUEST_CONTEXT 0x20u
typedef struct usnmp_request_opts {
  uint32_t flags;
  uint32_t timeout_ms; /* overall; 0 = bounded by retries only */
  uint32_t resend_ms;  /* interval before the first resend */
  int32_t retries;     /* resends; < 0 = unlimited (bounded by timeout) */
  double backoff;      /* interval multiplier after each resend, >= 1 */
  const char *community;
  /* SNMPv3 (USNMP_REQUEST_CONTEXT): this request's contextEngineID (NULL or
   * length 0: the target's) and contextName (NULL: the target's; "" is
   * the default context), copied when the request starts.  A walk or a
   * table passes them to each of its requests: they must then stay valid
   * until the walk ends.  Ignored by v1/v2c targets. */
  const uint8_t *context_engine_id;
  size_t context_engine_id_len;
  const char *context_name;
} usnmp_request_opts;

/* Counters of a manager since it was created. */
typedef struct usnmp_stats {
  uint64_t requests;             /* requests started */
  uint64_t sent;                 /* datagrams sent, resends included */
  uint64_t resent;               /* of which resends */
  uint64_t received;             /* datagrams received */
  uint64_t accepted;             /* replies that completed a request */
  uint64_t timeouts;             /* requests that timed out */
  uint64_t dropped_malformed;    /* did not decode */
  uint64_t dropped_unknown_id;   /* no pending request with that id (late,
                                    duplicate or forged) */
  uint64_t dropped_wrong_source; /* wrong address or port */
  uint64_t dropped_wrong_version;
  uint64_t dropped_wrong_community;
  uint64_t dropped_wrong_pdu; /* not a Response (or Report for v3) */
  uint64_t send_errors;
  uint64_t inflight;         /* now */
  uint64_t queued;           /* now: waiting for an in-flight slot */
  uint64_t dropped_auth;     /* v3: failed authentication or decryption,
                                or outside the time window (a replay) */
  uint64_t dropped_mismatch; /* a Response that does not answer the
                                request: other names or another number
                                of varbinds, an error-index out of range
                                (see "Replies" above) */
  /* Replies accepted although their encoding needed tolerance, by kind
   * (a reply counts once in each kind it needed; README "Real agents"). */
  uint64_t tolerated_length;        /* length octets beyond need */
  uint64_t tolerated_int_padding;   /* redundant sign octets */
  uint64_t tolerated_unsigned_sign; /* unsigned without its 00 octet */
  uint64_t tolerated_oid_padding;   /* 0x80 before a sub-identifier */
  uint64_t tolerated_null_content;  /* NULL or an exception with content */
  uint64_t tolerated_trailing;      /* bytes after the message */
  uint64_t tolerated_priv_padding;  /* v3: extra padding after the PDU */
  uint64_t undecodable_values;      /* undecodable values delivered */
  /* Replies refused because the manager is strict
   * (usnmp_manager_set_strict); also counted in dropped_malformed. */
  uint64_t dropped_strict;
  /* Requests that ended with USNMP_E_UNREADABLE_REPLY. */
  uint64_t unreadable;
  /* The decoder's error for the last datagram counted in
   * dropped_malformed (a negative usnmp code, 0 before any). */
  int64_t last_malformed_error;
} usnmp_stats;

/* Creates a manager on loop.  alloc may be NULL (malloc/realloc/free).
 * Returns 0 and stores the manager in *out, or USNMP_E_NOMEM / a libuv
 * code.  Sockets are opened lazily, on the first request per family. */
USNMP_EXTERN int usnmp_manager_init(usnmp_manager **out, uv_loop_t *loop,
                                    const usnmp_allocator *alloc);

/* Closes the manager: every pending or queued request completes with
 * USNMP_E_CLOSED (synchronously, before this returns), every target is
 * freed, the handles are closed, and memory is released from the last
 * close callback, after which close_cb (may be NULL) runs.  Safe to call
 * from inside a callback.  After the loop runs the close callbacks,
 * uv_loop_close() returns 0. */
USNMP_EXTERN void usnmp_manager_close(usnmp_manager *m,
                                      void (*close_cb)(void *arg), void *arg);

/* Caps the number of requests in flight for the whole manager (0 = no
 * cap; default 4096).  Requests beyond it wait, in order.  Returns 0. */
USNMP_EXTERN int usnmp_manager_set_max_inflight(usnmp_manager *m, uint32_t max);

/* Sets the receive (and send) socket buffer size in bytes for sockets
 * opened afterwards (default 4 MiB; the system's limit, Linux's
 * net.core.rmem_max and wmem_max, clamps it).  Returns 0 or
 * USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_manager_set_socket_buffer(usnmp_manager *m, int bytes);
/* With force non-zero, sockets opened afterwards ask for that size with
 * Linux's SO_RCVBUFFORCE and SO_SNDBUFFORCE first, which pass the system's
 * limit for a process with CAP_NET_ADMIN (root); without the capability
 * they fall back to the clamped size.  Off by default: the library never
 * uses a privilege the caller did not ask it to.  Returns 0,
 * USNMP_E_INVAL (NULL) or USNMP_E_UNSUPPORTED (force on a platform
 * without these options). */
USNMP_EXTERN int usnmp_manager_set_socket_buffer_force(usnmp_manager *m,
                                                       int force);

/* strict 1: refuse every reply that usnmp_msg_decode only tolerates (as
 * USNMP_DECODE_STRICT; counted in dropped_strict and dropped_malformed),
 * for testing agents against the standard.  0 (the default) tolerates
 * what has one meaning.  Returns 0, or USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_manager_set_strict(usnmp_manager *m, int strict);

/* Copies the counters into *stats, which is size bytes long: the caller's
 * sizeof(usnmp_stats), which the macro usnmp_manager_stats(m, stats)
 * passes.  Counters are only ever appended, so a library newer than the
 * caller's header fills the counters the caller knows and writes nothing
 * past size; an older library zeroes the counters it does not have.
 * Returns 0, or USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_manager_stats_ex(const usnmp_manager *m,
                                        usnmp_stats *stats, size_t size);
#define usnmp_manager_stats(m, stats)                                          \
  usnmp_manager_stats_ex((m), (stats), sizeof(usnmp_stats))

/* One datagram as usnmp_manager_set_trace() shows it.  Everything it
 * points to lives only during the callback. */
typedef struct usnmp_packet {
  int sent;            /* 1: sent (resends too), 0: received */
  const uint8_t *data; /* the whole datagram */
  size_t len;
  const struct sockaddr *peer;  /* the agent it went to or came from */
  const struct sockaddr *local; /* the manager's socket (port 0 if unknown) */
} usnmp_packet;

typedef void (*usnmp_trace_cb)(const usnmp_packet *packet, void *arg);

/* Calls cb (NULL: stop) with every datagram the manager hands to its
 * sockets, each resend included, and with every datagram it receives,
 * before any check (so also those it then drops), in the order they go
 * and come.  For debugging tools (usnmp -d); when off it costs one test
 * per datagram.  cb must not start, cancel or close anything: it runs in
 * the middle of sending and receiving. */
USNMP_EXTERN void usnmp_manager_set_trace(usnmp_manager *m, usnmp_trace_cb cb,
                                          void *arg);

/* Returns the loop the manager runs on. */
USNMP_EXTERN uv_loop_t *usnmp_manager_loop(const usnmp_manager *m);

/* Creates a target for agent: "host", "host:port", "udp:host:port",
 * "udp6:host:port", "udp6:[addr]:port", "[addr]:port" or a bare IPv6
 * literal; port 161 by default.  An IPv6 literal may carry a zone, an
 * interface name or number ("[fe80::1%eth0]:161", "fe80::1%2"), kept as
 * the address's scope: a reply from a link-local address is then accepted
 * only from that interface (an unknown interface is USNMP_E_INVAL).  A
 * hostname is resolved with getaddrinfo on libuv's thread pool (the loop
 * never blocks); requests wait meanwhile and complete with
 * USNMP_E_RESOLVE if it fails.  Defaults: version 2c,
 * community "public", resend 1000 ms, 5 retries, no overall timeout (so
 * net-snmp's 1 s x (1 + 5 retries)), backoff 1, 10 OIDs per request,
 * 64 requests in flight.  A name that failed to resolve is tried again
 * by the next request.  Returns 0, USNMP_E_INVAL (syntax), USNMP_E_NOMEM,
 * USNMP_E_CLOSED (the manager is closing) or a uv_queue_work() error. */
USNMP_EXTERN int usnmp_target_init(usnmp_manager *m, usnmp_target **out,
                                   const char *agent);

/* Closes a target and frees it; its pending and queued requests complete
 * with USNMP_E_CANCELLED first.  Safe from inside a callback. */
USNMP_EXTERN void usnmp_target_close(usnmp_target *t);

/* Setters of the target's defaults.  Each returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_target_set_version(usnmp_target *t, usnmp_version v);
USNMP_EXTERN int usnmp_target_set_community(usnmp_target *t,
                                            const char *community);
/* Community for SET requests; defaults to the community. */
USNMP_EXTERN int usnmp_target_set_write_community(usnmp_target *t,
                                                  const char *community);
USNMP_EXTERN int usnmp_target_set_timeout(usnmp_target *t, uint32_t timeout_ms);
USNMP_EXTERN int usnmp_target_set_resend(usnmp_target *t, uint32_t resend_ms);
USNMP_EXTERN int usnmp_target_set_retries(usnmp_target *t, int32_t retries);
USNMP_EXTERN int usnmp_target_set_backoff(usnmp_target *t, double factor);
/* Most OIDs in one GET/GETNEXT/SET; larger requests are split and their
 * answers merged in order (1..USNMP_MAX_VARBINDS). */
USNMP_EXTERN int usnmp_target_set_max_oids(usnmp_target *t, uint32_t max);
/* Requests in flight to this target at once (0 = no cap). */
USNMP_EXTERN int usnmp_target_set_max_inflight(usnmp_target *t, uint32_t max);

/* The order in which a target's requests go (lib/order.c). */
typedef enum usnmp_ordering {
  /* As they are made (the default). */
  USNMP_ORDER_NONE = 0,
  /* Writer-preferred: a SET waits until no read (GET, GETNEXT, GETBULK,
   * walks and tables included) of the target is in flight, and goes
   * alone; a read made while a SET is in flight or waiting waits until
   * none is.  A waiting request has sent nothing; its timeout counts
   * from when it goes.  usnmp_cancel() and usnmp_target_close() end it
   * like any other. */
  USNMP_ORDER_WRITER_PREFERRED = 1
} usnmp_ordering;
/* Sets how t orders its requests.  New requests follow the new mode at
 * once; requests already held still go by the old one.  Returns 0 or
 * USNMP_E_INVAL (NULL, an unknown mode). */
USNMP_EXTERN int usnmp_target_set_ordering(usnmp_target *t,
                                           usnmp_ordering mode);

/* Returns the user pointer of the target (NULL until set). */
USNMP_EXTERN void *usnmp_target_data(const usnmp_target *t);
USNMP_EXTERN void usnmp_target_set_data(usnmp_target *t, void *data);
/* Returns the agent string the target was created with. */
USNMP_EXTERN const char *usnmp_target_agent(const usnmp_target *t);
/* Returns the manager the target belongs to. */
USNMP_EXTERN usnmp_manager *usnmp_target_manager(const usnmp_target *t);

/* Starts a request.  opts may be NULL; out (may be NULL) receives a handle
 * for usnmp_cancel() (see usnmp_request_ref).  Returns 0 (cb will fire exactly
 * once) or, with no callback, USNMP_E_INVAL (bad arguments, n == 0, more than
 * USNMP_MAX_VARBINDS OIDs, a malformed OID, a resend interval of 0, a
 * backoff outside 1..100, unlimited retries without a timeout, a
 * community over 255 bytes, a target being closed, a flag of opts this
 * library does not know), USNMP_E_TOO_BIG (one
 * varbind larger than a datagram), USNMP_E_NOMEM, USNMP_E_CLOSED. */
USNMP_EXTERN int usnmp_get(usnmp_target *t, const usnmp_oid *oids, size_t n,
                           const usnmp_request_opts *opts, usnmp_response_cb cb,
                           void *arg, usnmp_request_ref *out);
USNMP_EXTERN int usnmp_getnext(usnmp_target *t, const usnmp_oid *oids, size_t n,
                               const usnmp_request_opts *opts,
                               usnmp_response_cb cb, void *arg,
                               usnmp_request_ref *out);
/* GETBULK (v2c and v3 only: USNMP_E_BAD_VERSION on a v1 target).  An
 * answer may hold up to min(non_repeaters, n) + (n - min(non_repeaters, n))
 * x max_repetitions varbinds; when that is more than USNMP_MAX_VARBINDS
 * (which a reply is decoded into) the call returns
 * USNMP_E_TOO_MANY_VARBINDS: ask for fewer repetitions. */
USNMP_EXTERN int usnmp_getbulk(usnmp_target *t, const usnmp_oid *oids, size_t n,
                               uint32_t non_repeaters, uint32_t max_repetitions,
                               const usnmp_request_opts *opts,
                               usnmp_response_cb cb, void *arg,
                               usnmp_request_ref *out);
/* SET of n varbinds: oids[i] gets values[i].  Uses the write community. */
USNMP_EXTERN int usnmp_set(usnmp_target *t, const usnmp_oid *oids,
                           const usnmp_value *values, size_t n,
                           const usnmp_request_opts *opts, usnmp_response_cb cb,
                           void *arg, usnmp_request_ref *out);

/* Cancels the request ref names: its callback fires now with
 * USNMP_E_CANCELLED.  Returns 0, USNMP_E_INVAL (NULL, a zeroed or
 * malformed handle), or USNMP_E_STALE when that request already
 * completed (also from inside its own callback): nothing is cancelled
 * then, even though its memory may serve another request by now. */
USNMP_EXTERN int usnmp_cancel(const usnmp_request_ref *ref);

/* ------------------------------------------------------------------------
 * Walks and tables
 *
 * A walk fetches the variables of a subtree with one GETNEXT or GETBULK
 * request at a time on the async manager, each request starting where the
 * previous answer stopped, and hands them over in the agent's order:
 * through a callback per varbind (usnmp_walk_start) or, for the blocking
 * layer, one varbind per call (usnmp_walk_init, usnmp_walk_next).
 *
 * A walk stays strictly inside its subtree, compared arc by arc (walking
 * .1.3.6.1.2.1.2.2.1.1 never yields .1.3.6.1.2.1.2.2.1.10.1), and ends at
 * the first OID outside it, on endOfMibView (or noSuchObject /
 * noSuchInstance), or on a noSuchName error-status (SNMPv1's end of the
 * MIB).  Nothing after that point of a GETBULK answer is delivered, except
 * with USNMP_WALK_DELIVER_EXCEPTIONS: an answer that repeats the exception
 * in its remaining repetitions (some agents fill every repetition with
 * endOfMibView, which RFC 3416 allows) has each repeat inside the subtree
 * delivered too, as snmpbulkwalk prints them.  An OID
 * that is not greater than the one before it ends the walk with
 * USNMP_E_NOT_INCREASING unless USNMP_WALK_ALLOW_NOT_INCREASING is set;
 * even then a walk never runs forever: a repeating cycle of answers ends it
 * with USNMP_E_NOT_INCREASING, and max_varbinds bounds it.  When the walk
 * delivered nothing, it GETs the root itself, as net-snmp's snmpwalk does,
 * so walking a scalar instance yields that instance (the GET's own failure
 * changes nothing in the walk's outcome).
 *
 * GETBULK walks adapt: after a tooBig answer max-repetitions is halved and
 * the request sent again; after an answer the agent cut short (fewer
 * repetitions than asked and no end in sight) later requests ask for what
 * fitted; an answer with no varbinds at all is retried with fewer
 * repetitions, and at one repetition with a GETNEXT.
 *
 * Any number of walks may run at once on one manager, on one target or
 * many; each has one request in flight at a time, within the manager's
 * and the targets' in-flight caps.
 * ------------------------------------------------------------------------ */

typedef struct usnmp_walk usnmp_walk;

typedef enum usnmp_walk_method {
  USNMP_WALK_AUTO = 0, /* GETBULK, or GETNEXT on a v1 target */
  USNMP_WALK_GETNEXT,
  USNMP_WALK_GETBULK
} usnmp_walk_method;

/* Behaviour flags for usnmp_walk_opts.flags. */
/* net-snmp's -Cc: an OID not greater than the previous one does not stop
 * the walk (cycles and max_varbinds still do). */
#define USNMP_WALK_ALLOW_NOT_INCREASING 0x01u
/* net-snmp's -Ci: GET the root before walking and deliver its answer. */
#define USNMP_WALK_INCLUDE_ROOT 0x02u
/* net-snmp's -CI: no GET of the root when the walk delivered nothing. */
#define USNMP_WALK_NO_ROOT_GET 0x04u
/* Deliver, as varbinds, the exceptions net-snmp's walks print: an
 * endOfMibView, noSuchObject or noSuchInstance inside the subtree that
 * ends the walk, and those answering the GET of the root.  Without it the
 * callback only ever sees real values (the exception is still reported in
 * usnmp_walk_result.end_varbind). */
#define USNMP_WALK_DELIVER_EXCEPTIONS 0x08u
/* Never lower max-repetitions (tooBig then ends the walk). */
#define USNMP_WALK_FIXED_REPETITIONS 0x10u
/* usnmp_walk_opts.end is set (net-snmp's -CE); the field is read only
 * with this flag, since it was appended after the others. */
#define USNMP_WALK_END_OID 0x20u

/* Default max-repetitions: net-snmp's snmpbulkwalk and snmptable use 10. */
#define USNMP_WALK_DEFAULT_REPETITIONS 10
/* Default max_varbinds with USNMP_WALK_ALLOW_NOT_INCREASING. */
#define USNMP_WALK_DEFAULT_LOOP_LIMIT 1000000

/* Options of a walk or a table.  Zero-initialise: zero in any field means
 * its default.  Fields appended in later versions are read only when a new
 * flag in flags names them, so an older caller's struct is never read
 * past its end; a flag this library does not know makes the start fail
 * with USNMP_E_INVAL (see "ABI" at the top).  The walk copies what it needs
 * (the fields of *request its flags name, request->community included)
 * before usnmp_walk_start returns. */
typedef struct usnmp_walk_opts {
  uint32_t flags;           /* USNMP_WALK_* behaviour flags */
  usnmp_walk_method method; /* AUTO */
  uint32_t max_repetitions; /* GETBULK; 0 = USNMP_WALK_DEFAULT_REPETITIONS */
  /* Most varbinds to deliver, then the walk ends (USNMP_WALK_END_LIMIT);
   * 0 = no limit, or USNMP_WALK_DEFAULT_LOOP_LIMIT with
   * USNMP_WALK_ALLOW_NOT_INCREASING.  Tables count rows. */
  uint64_t max_varbinds;
  const usnmp_request_opts *request; /* for every request; may be NULL */
  /* With USNMP_WALK_END_OID (net-snmp's -CE): when not NULL, the walk
   * goes on past its subtree and ends at the first OID not less than this
   * one (of at least two arcs: usnmp_walk_start returns USNMP_E_INVAL
   * otherwise).  Tables ignore it. */
  const usnmp_oid *end;
} usnmp_walk_opts;

/* Why a walk ended. */
typedef enum usnmp_walk_end {
  USNMP_WALK_END_ERROR = 0,    /* status < 0 says why */
  USNMP_WALK_END_SUBTREE,      /* the next OID lies outside the subtree */
  USNMP_WALK_END_OF_MIB_VIEW,  /* endOfMibView */
  USNMP_WALK_END_NO_SUCH_NAME, /* error-status noSuchName (v1) */
  USNMP_WALK_END_EXCEPTION,    /* noSuchObject or noSuchInstance */
  USNMP_WALK_END_STOPPED,      /* the varbind callback returned non-zero */
  USNMP_WALK_END_LIMIT         /* max_varbinds delivered */
} usnmp_walk_end;

/* How a walk ended.  Everything it points to lives until the done callback
 * returns (callback form) or until usnmp_walk_close (pull form). */
typedef struct usnmp_walk_result {
  /* 0 when the walk ended normally (see end), else USNMP_E_TIMEOUT,
   * USNMP_E_SNMP_ERROR (error_status, error_index), USNMP_E_NOT_INCREASING
   * (end_varbind is the offending answer), USNMP_E_CANCELLED,
   * USNMP_E_CLOSED, USNMP_E_RESOLVE, USNMP_E_NOMEM, or another status of
   * usnmp_response. */
  int status;
  usnmp_walk_end end;
  usnmp_error_status error_status; /* of the answer that ended the walk */
  int32_t error_index;
  uint64_t count;           /* varbinds delivered */
  uint64_t requests;        /* requests answered */
  uint32_t max_repetitions; /* in use at the end, after any lowering */
  int root_get;             /* 1 if the root was fetched with a GET */
  /* The last OID delivered: how far the walk got (len 0: nothing yet). */
  usnmp_oid last_oid;
  /* The varbind that ended the walk (outside the subtree, an exception,
   * or not increasing), or NULL. */
  const usnmp_varbind *end_varbind;
} usnmp_walk_result;

/* Called for each varbind of the walk, in order.  vb and name (its OID as
 * arcs) live only during the call.  Return 0 to go on, non-zero to end the
 * walk (USNMP_WALK_END_STOPPED); the done callback follows. */
typedef int (*usnmp_walk_varbind_cb)(usnmp_walk *w, const usnmp_varbind *vb,
                                     const usnmp_oid *name, void *arg);
/* Called exactly once when the walk ends; w is freed when it returns. */
typedef void (*usnmp_walk_done_cb)(usnmp_walk *w,
                                   const usnmp_walk_result *result, void *arg);

/* Starts walking the subtree under root on t.  opts may be NULL; out (may
 * be NULL) receives a handle valid until on_done returns.  on_varbind may
 * be NULL (count only); on_done is required.  The first request is sent
 * now; no callback fires inside this call.  Closing t or the manager
 * is safe at any time, even from a callback of the walk, in every
 * phase (the GET of the root first or last, the walk, on_done itself) and
 * whether or not a request is in flight, or from any other callback: the
 * walk never touches t afterwards, on_done still fires exactly once, and
 * a walk that still had a request to make ends with USNMP_E_CANCELLED
 * (t closed) or USNMP_E_CLOSED (manager closed); one that had nothing left
 * to ask ends as it would have.  Returns 0 (on_done will fire
 * exactly once), or with no callback USNMP_E_INVAL (NULL argument, empty
 * root, a flag unknown to this library in opts or opts->request; GETBULK
 * forced on a v1 target: USNMP_E_BAD_VERSION), USNMP_E_NOMEM,
 * USNMP_E_CLOSED or USNMP_E_CANCELLED (t is being closed: a callback closed
 * it). */
USNMP_EXTERN int usnmp_walk_start(usnmp_target *t, const usnmp_oid *root,
                                  const usnmp_walk_opts *opts,
                                  usnmp_walk_varbind_cb on_varbind,
                                  usnmp_walk_done_cb on_done, void *arg,
                                  usnmp_walk **out);

/* Ends a walk of either form now.  A callback walk's on_done fires with
 * USNMP_E_CANCELLED before this returns, also when called from inside the
 * walk's own varbind callback (no varbind follows; w stays valid until
 * that callback returns).  A pull walk's usnmp_walk_next() then returns
 * what is buffered, then USNMP_E_CANCELLED.  Cancelling a walk that
 * already ended does nothing.  Returns 0, or USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_walk_cancel(usnmp_walk *w);

/* Pull form, for the blocking layer.  Creates a walk that sends nothing
 * until the first usnmp_walk_next().  The caller owns it and must
 * usnmp_walk_close() it.  t and its manager must stay alive while the walk
 * may still send, that is until usnmp_walk_next() has returned something
 * other than 1 or UV_EAGAIN; usnmp_walk_close() is safe at any time, even
 * after the manager is gone.  Returns 0, USNMP_E_INVAL, USNMP_E_NOMEM,
 * USNMP_E_CLOSED or a libuv code (the manager's wake handle, made by the
 * first pull walk, could not be made). */
USNMP_EXTERN int usnmp_walk_init(usnmp_target *t, const usnmp_oid *root,
                                 const usnmp_walk_opts *opts, usnmp_walk **out);

/* Returns the next varbind of a pull walk: 1 with *vb pointing at a copy
 * the walk owns, valid until the next usnmp_walk_next() or
 * usnmp_walk_close() on w (running the loop in between does not touch it);
 * UV_EAGAIN when none has arrived yet: run the loop (uv_run with
 * UV_RUN_ONCE) and call again; 0 once the walk ended normally and every
 * varbind was returned; or the walk's negative status once it ended with an
 * error (after every varbind that came before the error was returned).  A
 * walk buffers at most one answer ahead of the caller.  The walk never
 * stops the loop (uv_stop), which may be shared: each answer it takes
 * wakes the loop instead (through an unreferenced uv_async_t of the
 * manager), so that a uv_run(UV_RUN_ONCE) in progress returns even when
 * the answer was an error due before that run began, and a
 * uv_run(UV_RUN_DEFAULT) of other code just goes on.  Pull with
 * uv_run(UV_RUN_ONCE) between calls, or from any callback of a loop run
 * otherwise.  USNMP_E_INVAL for a callback walk. */
USNMP_EXTERN int usnmp_walk_next(usnmp_walk *w, const usnmp_varbind **vb);

/* Copies how a pull walk ended into *result (pointers valid until
 * usnmp_walk_close), which is size bytes long: the caller's
 * sizeof(usnmp_walk_result), which the macro usnmp_walk_result_get(w,
 * result) passes (fields are only ever appended; see "ABI" above).
 * Returns 0, UV_EAGAIN while it runs, or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_walk_result_get_ex(const usnmp_walk *w,
                                          usnmp_walk_result *result,
                                          size_t size);
#define usnmp_walk_result_get(w, result)                                       \
  usnmp_walk_result_get_ex((w), (result), sizeof(usnmp_walk_result))

/* Closes a pull walk: cancels its request in flight and frees it.  NULL is
 * fine. */
USNMP_EXTERN void usnmp_walk_close(usnmp_walk *w);

/* Tables.  Given the columns of a table (or its entry OID, whose columns
 * are then found by probing with GETNEXT), fetches every row with GETBULK
 * over the columns together (GETNEXT on v1), like net-snmp's snmptable,
 * and delivers the rows in index order as they complete.  Sparse tables
 * are fine: a row missing in some columns carries holes there.  Columns
 * of different tables with the same index (ifTable and ifXTable) may be
 * fetched together. */
typedef struct usnmp_table usnmp_table;

/* One row: index is the OID suffix after the column OID; values has one
 * entry per column, in column order, a hole being a value of type
 * USNMP_TYPE_NOSUCHINSTANCE.  All of it lives during the row callback. */
typedef struct usnmp_table_row {
  const usnmp_oid *index;
  const usnmp_value *values;
  size_t n_columns;
  const usnmp_oid *columns;
} usnmp_table_row;

/* How a table fetch ended: status as for walks (0, USNMP_E_TIMEOUT,
 * USNMP_E_SNMP_ERROR, USNMP_E_NOT_INCREASING, USNMP_E_CANCELLED, ...);
 * end is USNMP_WALK_END_SUBTREE when every column ran out (NO_SUCH_NAME
 * when, over SNMPv1, a column ran off the end of the agent's MIB: the
 * table is its last object, and snmptable says "End of MIB"), STOPPED or
 * LIMIT.  columns lives until the done callback returns. */
typedef struct usnmp_table_result {
  int status;
  usnmp_walk_end end;
  usnmp_error_status error_status;
  int32_t error_index;
  uint64_t rows;        /* rows delivered */
  uint64_t requests;    /* requests answered */
  usnmp_oid last_index; /* index of the last row delivered (len 0: none) */
  const usnmp_oid *columns;
  size_t n_columns;
} usnmp_table_result;

/* Called for each row in index order; return non-zero to stop. */
typedef int (*usnmp_table_row_cb)(usnmp_table *tb, const usnmp_table_row *row,
                                  void *arg);
/* Called exactly once at the end; tb is freed when it returns. */
typedef void (*usnmp_table_done_cb)(usnmp_table *tb,
                                    const usnmp_table_result *result,
                                    void *arg);

/* Starts fetching a table from t.  Either columns (n_columns OIDs, each a
 * column such as ifDescr .1.3.6.1.2.1.2.2.1.2; entry may then be NULL) or,
 * with n_columns 0, entry (such as ifEntry .1.3.6.1.2.1.2.2.1), whose
 * columns are those the agent has values in.  opts as for walks
 * (ALLOW_NOT_INCREASING, INCLUDE_ROOT, NO_ROOT_GET and DELIVER_EXCEPTIONS
 * do not apply).  out (may be NULL) receives a handle valid until on_done
 * returns.  Closing t or the manager is safe at any time, as for
 * walks: from a row callback, on_done or any other callback, during
 * discovery or fetching, with or without a request in flight; a fetch
 * that still had a request to make ends with USNMP_E_CANCELLED or
 * USNMP_E_CLOSED.  Returns 0 (on_done will fire exactly once), or with no
 * callback USNMP_E_INVAL (NULL or empty OIDs, more than
 * USNMP_MAX_VARBINDS columns, a flag unknown to this library in opts or
 * opts->request), USNMP_E_BAD_VERSION, USNMP_E_NOMEM, USNMP_E_CLOSED or
 * USNMP_E_CANCELLED (t is being closed). */
USNMP_EXTERN int usnmp_table_start(usnmp_target *t, const usnmp_oid *entry,
                                   const usnmp_oid *columns, size_t n_columns,
                                   const usnmp_walk_opts *opts,
                                   usnmp_table_row_cb on_row,
                                   usnmp_table_done_cb on_done, void *arg,
                                   usnmp_table **out);

/* Ends a table fetch now: on_done fires with USNMP_E_CANCELLED before this
 * returns, also from inside the row callback (no row follows; tb stays
 * valid until that callback returns).  Returns 0, or USNMP_E_INVAL for
 * NULL. */
USNMP_EXTERN int usnmp_table_cancel(usnmp_table *tb);

/* ------------------------------------------------------------------------
 * The value cache (lib/cache.c)
 *
 * A usnmp_cache keeps the answers of GET, GETNEXT and SET requests per
 * (target, kind, OID), in front of a manager's targets.  The blocking API
 * below keeps one per usnmp_sync; an async program may use its own.
 *
 * usnmp_cache_start() sends requests only for the OIDs that have neither
 * a value nor a request in flight (a second start of an OID in flight
 * shares that request), then usnmp_cache_collect() with the same OIDs
 * returns UV_EAGAIN until every one is answered, and then the answers (or
 * the first failure).  The notify callback runs after each request the
 * cache started completes: a good moment to collect.
 *
 * Rules: values are cached, failures never: a failed request (timeout,
 * error-status, ...) is handed to the first collect that asks for one of
 * its OIDs, and then forgotten, so the next start asks again.  A SET
 * stores the values the agent answered as the GET values of its OIDs and
 * drops the target's GETNEXT answers; GETNEXT answers are kept apart from
 * GET answers.  USNMP_CACHE_REFRESH asks again for values already known
 * (an OID already in flight still shares its request).  The bound
 * (usnmp_cache_set_limit) drops the oldest values first, never one whose
 * request is in flight.  The time-to-live (usnmp_cache_set_ttl) makes a
 * start ask again for a value older than it.  Neither ever drops a value
 * no collect has handed out yet, so an answer a start asked for waits for
 * its collect even with caching off.  A cache belongs to its manager's
 * loop and thread.
 * ------------------------------------------------------------------------ */

/* Named values for the cache's bound and time-to-live (cache and blocking
 * API alike): USNMP_CACHE_OFF keeps nothing (a bound of 0 keeps no value
 * once collected; a time-to-live of 0 makes every start ask again), and
 * USNMP_CACHE_UNLIMITED sets no bound (any bound at least this large is
 * the same) or a value that never ages. */
#define USNMP_CACHE_OFF 0u
#define USNMP_CACHE_UNLIMITED UINT32_MAX

typedef struct usnmp_cache usnmp_cache;

typedef enum usnmp_cache_kind {
  USNMP_CACHE_GET = 0,
  USNMP_CACHE_GETNEXT = 1,
  USNMP_CACHE_SET = 2
} usnmp_cache_kind;

#define USNMP_CACHE_REFRESH 0x01u /* ask again for values already cached */

/* What usnmp_cache_collect() fills.  The caller points varbinds at room
 * for n varbinds; on success they point into the cache, valid until the
 * next call that changes it (start, clear, forget, trim, set_limit,
 * set_ttl, close).
 * error_status and error_index (1-based, in the collected OIDs, 0 when
 * none of them was named) are set with USNMP_E_SNMP_ERROR. */
typedef struct usnmp_cache_result {
  usnmp_varbind *varbinds;
  usnmp_error_status error_status;
  int32_t error_index;
} usnmp_cache_result;

typedef void (*usnmp_cache_notify_cb)(usnmp_cache *c, void *arg);

/* Creates an empty cache for targets of manager m, with no bound and no
 * time-to-live (both USNMP_CACHE_UNLIMITED); alloc (NULL:
 * malloc) serves every allocation of the cache.  Returns 0,
 * USNMP_E_INVAL or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_cache_init(usnmp_manager *m,
                                  const usnmp_allocator *alloc,
                                  usnmp_cache **out);
/* Closes c and frees it.  Its requests in flight are cancelled; their
 * answers go nowhere.  Call it before closing the manager, or after the
 * manager's close callback.  Returns 0, or USNMP_E_IN_CALLBACK from the notify
 * callback (c is not closed). */
USNMP_EXTERN int usnmp_cache_close(usnmp_cache *c);
/* Calls cb(c, arg) after each request c started completes (NULL: none).
 * From cb, every function of c may run except usnmp_cache_close(). */
USNMP_EXTERN void usnmp_cache_set_notify(usnmp_cache *c,
                                         usnmp_cache_notify_cb cb, void *arg);
/* Starts what n OIDs of target t (a target of c's manager) need: a GET,
 * GETNEXT or SET (values[i] for oids[i]) of the OIDs neither cached nor in
 * flight, with the request options ropts (may be NULL).  flags: 0 or
 * USNMP_CACHE_REFRESH.  Applies the bound first.  A request that cannot start
 * fails its OIDs as one that failed on the wire would (collected later).
 * Returns 0, USNMP_E_INVAL, USNMP_E_NOMEM or an OID error (nothing started). */
USNMP_EXTERN int usnmp_cache_start(usnmp_cache *c, usnmp_target *t,
                                   usnmp_cache_kind kind, const usnmp_oid *oids,
                                   const usnmp_value *values, size_t n,
                                   unsigned flags,
                                   const usnmp_request_opts *ropts);
/* Collects the answers for n OIDs of t of that kind (a SET's are GET
 * values).  Returns 0 (result->varbinds filled), UV_EAGAIN while one is in
 * flight (nothing changes), UV_ENOENT when one was never started (or was
 * dropped since), the first failure of their requests (USNMP_E_TIMEOUT,
 * USNMP_E_SNMP_ERROR with result's error fields, ...: consumed, so the
 * failed OIDs leave the cache), USNMP_E_INVAL or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_cache_collect(usnmp_cache *c, usnmp_target *t,
                                     usnmp_cache_kind kind,
                                     const usnmp_oid *oids, size_t n,
                                     usnmp_cache_result *result);
/* Bounds c to max values and applies the bound now: USNMP_CACHE_OFF (0)
 * keeps none once collected, USNMP_CACHE_UNLIMITED (the default) sets no
 * bound.  Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_cache_set_limit(usnmp_cache *c, size_t max);
/* Sets how long a value stays fresh after its answer came, in ms: a start
 * asks again for an older one (and collected ones that aged are dropped).
 * USNMP_CACHE_OFF (0): every start asks again; USNMP_CACHE_UNLIMITED (the
 * default): values never age.  Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_cache_set_ttl(usnmp_cache *c, uint32_t ttl_ms);
/* Applies the bound now (start does it too).  Returns 0 or
 * USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_cache_trim(usnmp_cache *c);
/* Empties c (requests in flight go on; their answers are not kept).
 * Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_cache_clear(usnmp_cache *c);
/* Drops every entry of target t: call it before usnmp_target_close(t),
 * since entries are keyed by the target.  Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_cache_forget(usnmp_cache *c, const usnmp_target *t);
/* Returns the number of values in c (entries answered, not in flight). */
USNMP_EXTERN size_t usnmp_cache_size(const usnmp_cache *c);

/* ------------------------------------------------------------------------
 * The blocking API
 *
 * A usnmp_sync is a manager with a private uv loop, for programs that want
 * one call per question.  Each blocking call starts async requests and
 * runs the private loop until their callbacks have stored the answer.  It
 * keeps the minimal Python manager's semantics: a default community and an
 * optional read-write community for SET, a default port, a resend interval,
 * a per-call timeout (10 s by default) and community override; calls that
 * start without blocking and are collected later; a per-host value cache
 * with refresh (a usnmp_cache, above: GET, GETNEXT and SET answers are
 * CACHED by default and served to later calls without asking the agent;
 * usnmp_sync_set_cache_ttl() gives them a time-to-live, USNMP_CACHE_OFF
 * turns caching off); and writer-preferred ordering of
 * GETs and SETs per host (each host's target uses
 * USNMP_ORDER_WRITER_PREFERRED, so its walks take part in the order).
 *
 * Thread rules: a usnmp_sync belongs to the thread that uses it.
 *
 * Re-entrance: while a function of s runs, the application is called back
 * only from inside it: callbacks of requests started on
 * usnmp_sync_manager(s) (they run in the private loop, during a blocking
 * call) and the allocation hook of usnmp_sync_init_ex().  From there, every
 * function of s except the getters (usnmp_sync_cache_size,
 * usnmp_sync_error_status, usnmp_sync_error_index, usnmp_sync_manager)
 * returns USNMP_E_IN_CALLBACK and does nothing: the calls, the setters,
 * usnmp_sync_cache_clear, usnmp_sync_set_cache_limit, the walk functions
 * and usnmp_sync_close alike.  So the running call's cache entries, hosts
 * and walks never change under it, and the private loop never runs inside
 * itself.
 *
 * Hosts: an agent string goes through the same parser as
 * usnmp_target_init(), with the default port of s (usnmp_sync_set_port)
 * where it names none, so "udp6:::1" is ::1 on that port.  A host is its
 * address and port: "h", "h:161", "udp:h:161" and another name of the
 * same address share one cache and one GET/SET order.  A host name is
 * resolved by the first call that uses it (within that call's timeout;
 * USNMP_E_RESOLVE if it does not resolve); the string is then remembered.
 * ------------------------------------------------------------------------ */

typedef struct usnmp_sync usnmp_sync;

/* A list of varbinds the caller owns: names and values are copies, valid
 * until usnmp_vblist_free(). */
typedef struct usnmp_vblist usnmp_vblist;

/* Returns the number of varbinds in l (0 for NULL). */
USNMP_EXTERN size_t usnmp_vblist_count(const usnmp_vblist *l);
/* Returns the i-th varbind, or NULL when i is out of range. */
USNMP_EXTERN const usnmp_varbind *usnmp_vblist_get(const usnmp_vblist *l,
                                                   size_t i);
/* Frees l (NULL is fine). */
USNMP_EXTERN void usnmp_vblist_free(usnmp_vblist *l);

/* Per-call options; zero-initialise and name what you set in flags (a
 * field whose flag is not set is never read; fields appended later get
 * new flags; a flag this library does not know makes the call fail with
 * USNMP_E_INVAL, see "ABI" at the top). */
#define USNMP_CALL_TIMEOUT 0x01u   /* timeout_ms is set */
#define USNMP_CALL_COMMUNITY 0x02u /* community is set */
#define USNMP_CALL_NONBLOCK 0x04u  /* start and return at once */
#define USNMP_CALL_REFRESH 0x08u   /* ignore cached values */
typedef struct usnmp_call_opts {
  uint32_t flags;
  uint32_t timeout_ms;
  const char *community;
} usnmp_call_opts;

/* Creates a blocking manager with its own loop.  Defaults: version 2c,
 * community "public" (also used for SET until a write community is set),
 * port 161, resend every 1000 ms, call timeout 10000 ms, a cache with no
 * bound and no time-to-live (both USNMP_CACHE_UNLIMITED).
 * Returns 0, USNMP_E_NOMEM or a libuv code. */
USNMP_EXTERN int usnmp_sync_init(usnmp_sync **out);
/* The same with an allocation hook: every allocation of the sync object,
 * of its manager and of the lists it returns goes through alloc (NULL:
 * malloc/realloc/free); usnmp_vblist_free() frees with it too.  Returns
 * 0, USNMP_E_INVAL (alloc without malloc or free), USNMP_E_NOMEM or a
 * libuv code. */
USNMP_EXTERN int usnmp_sync_init_ex(usnmp_sync **out,
                                    const usnmp_allocator *alloc);

/* Closes s: requests still in flight are abandoned (their late answers
 * are never delivered), every handle is closed and all memory freed.
 * Walks of s still open are detached: usnmp_sync_walk_next() on them
 * returns USNMP_E_CLOSED, and the caller still closes each with
 * usnmp_sync_walk_close().  Never blocks longer than it takes the loop to
 * run its close callbacks: a name lookup already running on libuv's
 * thread pool (it cannot be cancelled, and the system's resolver may take
 * seconds) is not waited for.  The private loop and the last of s are
 * then freed by a detached helper thread once the lookup returns, through
 * the allocation hook, which must therefore be callable from another
 * thread in that case (if no thread can be created, close waits for the
 * lookup instead).  Returns 0 (NULL is fine), or USNMP_E_IN_CALLBACK from
 * inside a call of s (nothing is closed). */
USNMP_EXTERN int usnmp_sync_close(usnmp_sync *s);

/* Setters of the object's settings.  Each applies at once to every host,
 * those already contacted included (a new default port makes "h" name
 * h on that port from the next call on), except to the settings a host
 * has of its own (usnmp_sync_set_host); none is ever ignored.  Each
 * returns 0, USNMP_E_INVAL, USNMP_E_IN_CALLBACK, or USNMP_E_NOMEM when a
 * host's target could not take the setting (every other host has it). */
USNMP_EXTERN int usnmp_sync_set_version(usnmp_sync *s, usnmp_version v);
USNMP_EXTERN int usnmp_sync_set_community(usnmp_sync *s, const char *c);
/* NULL goes back to using the community for SET. */
USNMP_EXTERN int usnmp_sync_set_write_community(usnmp_sync *s, const char *c);
USNMP_EXTERN int usnmp_sync_set_port(usnmp_sync *s, uint16_t port);
USNMP_EXTERN int usnmp_sync_set_resend(usnmp_sync *s, uint32_t resend_ms);
/* Default timeout of calls that do not give one.  Why it differs from an
 * async target's (resend 1000 ms, 5 retries, no overall timeout: about
 * 6 s): a blocking call needs one deadline that bounds it whole, name
 * resolution included, so the blocking layer resends every resend
 * interval without a retry count until the call's timeout (10 s). */
USNMP_EXTERN int usnmp_sync_set_timeout(usnmp_sync *s, uint32_t timeout_ms);

/* Bounds the cache to max values, the oldest going first:
 * USNMP_CACHE_OFF (0) keeps none once a call has returned it,
 * USNMP_CACHE_UNLIMITED (the default) sets no bound.  Returns 0,
 * USNMP_E_INVAL or USNMP_E_IN_CALLBACK. */
USNMP_EXTERN int usnmp_sync_set_cache_limit(usnmp_sync *s, size_t max);
/* Sets how long a cached value answers later calls, in ms after the agent
 * sent it; an older one is asked for again.  USNMP_CACHE_OFF (0): no
 * caching, every call asks the agent; USNMP_CACHE_UNLIMITED (the
 * default): a value answers until refreshed, set, cleared or dropped by
 * the bound.  Returns 0, USNMP_E_INVAL or USNMP_E_IN_CALLBACK. */
USNMP_EXTERN int usnmp_sync_set_cache_ttl(usnmp_sync *s, uint32_t ttl_ms);
/* Empties the cache.  Returns 0, USNMP_E_INVAL for NULL, or
 * USNMP_E_IN_CALLBACK from inside a call of s (nothing is removed). */
USNMP_EXTERN int usnmp_sync_cache_clear(usnmp_sync *s);
/* Returns the number of values in the cache. */
USNMP_EXTERN size_t usnmp_sync_cache_size(const usnmp_sync *s);

/* Returns the async manager behind s (on its private loop), for advanced
 * use; callbacks of requests started on it run only while a blocking call
 * of s runs. */
USNMP_EXTERN usnmp_manager *usnmp_sync_manager(usnmp_sync *s);

/* GET of n OIDs from host ("host", "host:port", "[v6]:port", hostname;
 * the default port applies when none is given).  CACHED: an OID this host
 * already answered is served from the cache without asking the agent
 * again (so three calls a second apart see one sysUpTime), until the
 * cache's time-to-live passes (usnmp_sync_set_cache_ttl; unlimited by
 * default, USNMP_CACHE_OFF turns caching off) or the call passes
 * USNMP_CALL_REFRESH.  On success returns 0 and
 * stores a list whose i-th varbind answers oids[i] (exceptions such as
 * noSuchObject are values, not errors).  With USNMP_CALL_NONBLOCK, sends
 * what is not cached, returns 0 at once and stores NULL in *result; a later
 * call for the same host and OIDs collects the answer.
 * Returns USNMP_E_TIMEOUT, USNMP_E_SNMP_ERROR (see
 * usnmp_sync_error_status()), USNMP_E_RESOLVE, USNMP_E_INVAL,
 * USNMP_E_NOMEM, USNMP_E_IN_CALLBACK. */
USNMP_EXTERN int usnmp_sync_get(usnmp_sync *s, const char *host,
                                const usnmp_oid *oids, size_t n,
                                const usnmp_call_opts *opts,
                                usnmp_vblist **result);
/* GETNEXT: the i-th varbind is the successor of oids[i].  CACHED like
 * usnmp_sync_get() (same time-to-live and refresh), apart from GET
 * answers; a SET to the host drops its GETNEXT answers. */
USNMP_EXTERN int usnmp_sync_getnext(usnmp_sync *s, const char *host,
                                    const usnmp_oid *oids, size_t n,
                                    const usnmp_call_opts *opts,
                                    usnmp_vblist **result);
/* SET of one varbind; uses the write community.  Always sent, never
 * answered from the cache.  Waits for the host's outstanding GETs first;
 * later GETs of the host wait for it.  On success the cache holds the
 * value the agent returned (later GETs of the OID are served from it, see
 * usnmp_sync_get()).  result may be NULL.
 * Same returns as usnmp_sync_get(). */
USNMP_EXTERN int usnmp_sync_set(usnmp_sync *s, const char *host,
                                const usnmp_oid *oid, const usnmp_value *value,
                                const usnmp_call_opts *opts,
                                usnmp_vblist **result);
/* SET of n varbinds in one request. */
USNMP_EXTERN int usnmp_sync_set_many(usnmp_sync *s, const char *host,
                                     const usnmp_oid *oids,
                                     const usnmp_value *values, size_t n,
                                     const usnmp_call_opts *opts,
                                     usnmp_vblist **result);

/* GETBULK (v2c and v3): the first non_repeaters OIDs get one successor
 * each, the others up to max_repetitions successors each, interleaved as
 * RFC 3416 orders them; the list holds the varbinds as the agent sent them
 * (endOfMibView included).  Not cached: always asks the agent.  Returns 0,
 * USNMP_E_BAD_VERSION on a v1 host, USNMP_E_INVAL (also for
 * USNMP_CALL_NONBLOCK, which a call that is not cached cannot collect
 * later), and the other returns of usnmp_sync_get(). */
USNMP_EXTERN int
usnmp_sync_getbulk(usnmp_sync *s, const char *host, const usnmp_oid *oids,
                   size_t n, uint32_t non_repeaters, uint32_t max_repetitions,
                   const usnmp_call_opts *opts, usnmp_vblist **result);

/* The rows of a table, owned by the caller until usnmp_rowlist_free(). */
typedef struct usnmp_rowlist usnmp_rowlist;

/* Fetches a whole table from host (usnmp_table_start() on the host's
 * target, run to its end): columns (n_columns OIDs, entry may be NULL),
 * or with n_columns 0 the columns the agent has under entry.  Columns of
 * tables that share an index (ifTable and ifXTable) come in one fetch.
 * On success stores the rows in index order: each a usnmp_table_row whose
 * index is the OID suffix after the column and whose values hold one value
 * per column, a hole being USNMP_TYPE_NOSUCHINSTANCE.  Not cached; each
 * request of the fetch carries the call's timeout.  Returns 0,
 * USNMP_E_INVAL (also for USNMP_CALL_NONBLOCK), USNMP_E_TIMEOUT,
 * USNMP_E_SNMP_ERROR (usnmp_sync_error_status()), USNMP_E_NOT_INCREASING,
 * USNMP_E_RESOLVE, USNMP_E_NOMEM or USNMP_E_IN_CALLBACK; no rows on
 * failure. */
USNMP_EXTERN int usnmp_sync_table(usnmp_sync *s, const char *host,
                                  const usnmp_oid *entry,
                                  const usnmp_oid *columns, size_t n_columns,
                                  const usnmp_call_opts *opts,
                                  usnmp_rowlist **out);
/* Returns the number of rows in l (0 for NULL). */
USNMP_EXTERN size_t usnmp_rowlist_count(const usnmp_rowlist *l);
/* Returns the i-th row (valid until usnmp_rowlist_free), or NULL when i is
 * out of range. */
USNMP_EXTERN const usnmp_table_row *usnmp_rowlist_get(const usnmp_rowlist *l,
                                                      size_t i);
/* Frees l and every row (NULL is fine). */
USNMP_EXTERN void usnmp_rowlist_free(usnmp_rowlist *l);

/* error-status and error-index (1-based) of the last call that returned
 * USNMP_E_SNMP_ERROR; 0 after any other outcome. */
USNMP_EXTERN usnmp_error_status usnmp_sync_error_status(const usnmp_sync *s);
USNMP_EXTERN int32_t usnmp_sync_error_index(const usnmp_sync *s);

/* A walk as a pull iterator. */
typedef struct usnmp_sync_walk usnmp_sync_walk;

/* Starts walking the subtree under root on host (GETBULK on v2c, GETNEXT
 * on v1).  Not cached: a walk always asks the agent.  Nothing is sent until the
 * first usnmp_sync_walk_next() (a host name new to s is resolved now, see
 * "Hosts" above).  Returns 0, USNMP_E_INVAL, USNMP_E_RESOLVE, USNMP_E_TIMEOUT
 * (the name did not resolve in time), USNMP_E_NOMEM or USNMP_E_IN_CALLBACK. */
USNMP_EXTERN int usnmp_sync_walk_init(usnmp_sync *s, const char *host,
                                      const usnmp_oid *root,
                                      const usnmp_call_opts *opts,
                                      usnmp_sync_walk **out);
/* Returns 1 and points *vb at the next varbind (valid until the next call
 * on w), 0 at the end of the subtree, or a negative code (USNMP_E_TIMEOUT,
 * USNMP_E_SNMP_ERROR, USNMP_E_NOT_INCREASING...) and the walk is over;
 * USNMP_E_CLOSED once its usnmp_sync was closed, USNMP_E_IN_CALLBACK from
 * inside a call of its usnmp_sync.  usnmp_varbind_oid(*vb, &oid) gives the
 * varbind's name as arcs, usnmp_value_get_string() a string value. */
USNMP_EXTERN int usnmp_sync_walk_next(usnmp_sync_walk *w,
                                      const usnmp_varbind **vb);
/* Closes w and frees it, abandoning what is in flight; also after
 * usnmp_sync_close().  Returns 0 (NULL is fine), or USNMP_E_IN_CALLBACK from
 * inside a call of its usnmp_sync (w is not closed). */
USNMP_EXTERN int usnmp_sync_walk_close(usnmp_sync_walk *w);

/* ------------------------------------------------------------------------
 * SNMPv3 (RFC 3412 message processing, RFC 3414 user-based security)
 *
 * A v3 target names a user, a security level and the user's protocols and
 * passwords.  The agent's engine ID is discovered once, by the first
 * request that leaves the target (or given with
 * usnmp_target_set_v3_engine_id); the target's other requests wait for
 * discovery, and if it fails (timeout, a report, a send error) they all
 * complete with its status.  Discovery is the only time an
 * unauthenticated report is believed: once a target has an engine ID, no
 * report changes it nor the engine's msgMaxSize (only a response at the
 * target's level does), and no unauthenticated message changes the
 * engine's boots and time.  An unknownEngineID report then fails the
 * request it answers with USNMP_E_ENGINE_MISMATCH
 * (USNMP_E_UNKNOWN_ENGINE_ID when the engine ID was given), and nothing
 * is ever sent authenticated for the engine it names: an on-path attacker
 * cannot have requests re-keyed for another device that shares the
 * user's password.  After a real
 * change of agent, usnmp_target_v3_rediscover() starts over;
 * usnmp_target_v3_engine_id() reads the engine ID, to pin it next time.
 * Engine boots and time are kept per target, moved forward by
 * authenticated messages and re-synchronised from authenticated
 * notInTimeWindow reports.
 * Reports from the agent complete a request with USNMP_E_UNKNOWN_USER,
 * USNMP_E_UNKNOWN_ENGINE_ID, USNMP_E_WRONG_DIGEST, USNMP_E_NOT_IN_TIME_WINDOW,
 * USNMP_E_DECRYPTION_ERROR, USNMP_E_UNSUPPORTED_SEC_LEVEL or
 * USNMP_E_UNKNOWN_REPORT; a reply that fails our own authentication check
 * is dropped and counted, and a request whose every reply failed it ends
 * with USNMP_E_AUTH_FAILURE instead of a timeout.
 *
 * A library built without SNMPv3 (meson option -Dsnmpv3=false: no
 * OpenSSL) keeps every declaration below: the usnmp_target_*v3* calls
 * then return USNMP_E_UNSUPPORTED (and so does a blocking call to a host
 * set up with usnmp_sync_set_v3_user()), and
 * usnmp_target_set_version(t, USNMP_VERSION_3) returns USNMP_E_INVAL; the
 * protocol and level names still parse and print.
 * ------------------------------------------------------------------------ */

/* Authentication protocols: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), the
 * HMAC-SHA-2 family of RFC 7860. */
typedef enum usnmp_auth_proto {
  USNMP_AUTH_NONE = 0,
  USNMP_AUTH_MD5,
  USNMP_AUTH_SHA,
  USNMP_AUTH_SHA224,
  USNMP_AUTH_SHA256,
  USNMP_AUTH_SHA384,
  USNMP_AUTH_SHA512
} usnmp_auth_proto;

/* Privacy protocols: CBC-DES (RFC 3414), CFB128-AES-128 (RFC 3826), and
 * CFB128-AES-192/256 with the two key extensions in use: Blumenthal
 * (draft-blumenthal-aes-usm-04, net-snmp's AES-192 and AES-256) and Reeder
 * (draft-reeder-snmpv3-usm-3desede, "Cisco", net-snmp's AES-192-C and
 * AES-256-C). */
typedef enum usnmp_priv_proto {
  USNMP_PRIV_NONE = 0,
  USNMP_PRIV_DES,
  USNMP_PRIV_AES,
  USNMP_PRIV_AES192,
  USNMP_PRIV_AES256,
  USNMP_PRIV_AES192C,
  USNMP_PRIV_AES256C
} usnmp_priv_proto;

/* Security levels; the values are those of RFC 3411's SecurityLevel. */
typedef enum usnmp_sec_level {
  USNMP_SEC_NOAUTHNOPRIV = 1,
  USNMP_SEC_AUTHNOPRIV = 2,
  USNMP_SEC_AUTHPRIV = 3
} usnmp_sec_level;

/* Parse net-snmp's protocol names, case-insensitively: "MD5", "SHA"
 * ("SHA1"), "SHA-224" ("SHA224"), "SHA-256", "SHA-384", "SHA-512"; "DES",
 * "AES" ("AES128", "AES-128"), "AES-192", "AES-256", "AES-192-C",
 * "AES-256-C" (and the forms without dashes).  Each returns 0 and stores
 * the protocol, USNMP_E_V3_UNKNOWN_PROTOCOL for an unknown name, or
 * USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_auth_proto_parse(const char *name,
                                        usnmp_auth_proto *out);
USNMP_EXTERN int usnmp_priv_proto_parse(const char *name,
                                        usnmp_priv_proto *out);
/* Parses net-snmp's -l argument: "noAuthNoPriv", "authNoPriv", "authPriv"
 * (case-insensitive; also "1", "2", "3", "noauth", "auth", "priv").
 * Returns 0, USNMP_E_V3_UNKNOWN_LEVEL for an unknown name, or
 * USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_sec_level_parse(const char *name, usnmp_sec_level *out);
/* Return net-snmp's canonical name of a protocol ("SHA-256", "AES-256-C",
 * "NOAUTH" and "NOPRIV" for NONE, which the parsers also accept), or NULL
 * for a value outside the enum. */
USNMP_EXTERN const char *usnmp_auth_proto_name(usnmp_auth_proto p);
USNMP_EXTERN const char *usnmp_priv_proto_name(usnmp_priv_proto p);

/* Makes t a v3 target (its version becomes USNMP_VERSION_3; the first v3
 * setter on a manager's targets also sets up its OpenSSL context) for
 * user (1 to 32 bytes) with the given protocols;
 * authpass and privpass may be NULL when the protocol is NONE and must be
 * at least 8 characters otherwise (RFC 3414's minimum, as net-snmp
 * enforces).  The passwords are turned into keys now (a cache on the
 * manager makes this cheap for many targets with the same password) and
 * are not kept.  The security level becomes the highest the protocols
 * allow; lower it with usnmp_target_set_v3_level.  Returns 0,
 * USNMP_E_V3_USER_NAME (user NULL, empty or over 32 bytes),
 * USNMP_E_V3_PASSPHRASE (a password missing or under 8 characters; over
 * 1024 is refused too), USNMP_E_V3_PRIV_WITHOUT_AUTH (a privacy protocol
 * with USNMP_AUTH_NONE), USNMP_E_V3_UNKNOWN_PROTOCOL (a value outside the
 * enums), USNMP_E_INVAL (t NULL), USNMP_E_UNSUPPORTED (DES without
 * OpenSSL's legacy provider) or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_target_set_v3_user(usnmp_target *t, const char *user,
                                          usnmp_auth_proto auth,
                                          const char *authpass,
                                          usnmp_priv_proto priv,
                                          const char *privpass);
/* Sets the security level of the target's requests.  Returns 0, or
 * USNMP_E_INVAL when the user's protocols cannot provide it. */
USNMP_EXTERN int usnmp_target_set_v3_level(usnmp_target *t,
                                           usnmp_sec_level level);
/* Gives the agent's (authoritative) engine ID, 5 to 32 bytes, so that no
 * discovery is needed (net-snmp's -e); before or after the user.  An agent
 * that reports another engine ID fails the request with
 * USNMP_E_UNKNOWN_ENGINE_ID.  Returns 0, USNMP_E_INVAL, USNMP_E_NOMEM or
 * USNMP_E_CLOSED. */
USNMP_EXTERN int usnmp_target_set_v3_engine_id(usnmp_target *t,
                                               const uint8_t *engine_id,
                                               size_t len);
/* The longest engine ID (RFC 3411 SnmpEngineID). */
#define USNMP_ENGINE_ID_MAX 32
/* Copies the agent's engine ID (given, or learnt by discovery) into buf
 * (USNMP_ENGINE_ID_MAX bytes always suffice) and returns its length; 0
 * while none is known (not a v3 target, discovery not done yet).  Returns
 * USNMP_E_INVAL for t NULL or buf NULL with size > 0, USNMP_E_NOBUFS when
 * size is smaller than the engine ID. */
USNMP_EXTERN int usnmp_target_v3_engine_id(const usnmp_target *t, uint8_t *buf,
                                           size_t size);
/* Forgets the agent's engine ID (given or discovered), the keys localised
 * to it, its boots, time and msgMaxSize, so that the next request that
 * leaves the target discovers the engine again: for an agent known to
 * have been replaced.  Requests already in flight were sent for the old
 * engine: an unknownEngineID report to one of them is taken as
 * discovery's answer (and the request is sent again), while answers of
 * the old engine can no longer be authenticated.  Returns 0, or
 * USNMP_E_INVAL for a target that is not v3. */
USNMP_EXTERN int usnmp_target_v3_rediscover(usnmp_target *t);
/* Sets the context of the target's requests (net-snmp's -E and -n).
 * context_engine_id may be NULL (len 0) for "the agent's engine ID";
 * context_name may be NULL for the default context "".  Requests may
 * override it (USNMP_REQUEST_CONTEXT).  Returns 0, USNMP_E_INVAL (engine ID
 * over 32 bytes, name over 255 bytes), USNMP_E_NOMEM or USNMP_E_CLOSED. */
USNMP_EXTERN int usnmp_target_set_v3_context(usnmp_target *t,
                                             const uint8_t *context_engine_id,
                                             size_t len,
                                             const char *context_name);

/* SNMPv3 in the blocking layer.  Makes s speak SNMPv3 to every host, those
 * already used and those to come, as user with the given protocols and
 * passwords (as usnmp_target_set_v3_user; the passwords are kept in s,
 * since each new host localises its keys to its own agent, and wiped at
 * usnmp_sync_close).  The version of s becomes 3; discovery happens on
 * each host's first call.  Returns 0, the codes of
 * usnmp_target_set_v3_user() for a bad name, password or combination
 * (USNMP_E_V3_USER_NAME, USNMP_E_V3_PASSPHRASE,
 * USNMP_E_V3_PRIV_WITHOUT_AUTH, USNMP_E_V3_UNKNOWN_PROTOCOL),
 * USNMP_E_INVAL (s NULL), USNMP_E_IN_CALLBACK, USNMP_E_UNSUPPORTED (a
 * protocol OpenSSL lacks, found when a host is set up: later calls then
 * fail with it) or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_sync_set_v3_user(usnmp_sync *s, const char *user,
                                        usnmp_auth_proto auth,
                                        const char *authpass,
                                        usnmp_priv_proto priv,
                                        const char *privpass);
/* Lowers the security level of s's requests (net-snmp's -l).  Returns 0,
 * or USNMP_E_INVAL without a v3 user or when its protocols cannot provide
 * the level. */
USNMP_EXTERN int usnmp_sync_set_v3_level(usnmp_sync *s, usnmp_sec_level level);
/* Sets the contextName of s's v3 requests (net-snmp's -n; NULL or "" for
 * the default context).  Returns 0, USNMP_E_INVAL (over 255 bytes) or
 * USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_sync_set_v3_context(usnmp_sync *s,
                                           const char *context_name);

/* Per-host settings: zero-initialise, set what the host should have of
 * its own and name it in flags (a field whose flag is not set is never
 * read; a flag this library does not know makes usnmp_sync_set_host fail
 * with USNMP_E_INVAL, see "ABI" at the top).  A setting the host has of
 * its own is no longer changed by the object's setters. */
#define USNMP_HOST_VERSION 0x01u         /* version */
#define USNMP_HOST_COMMUNITY 0x02u       /* community (also for SET) */
#define USNMP_HOST_WRITE_COMMUNITY 0x04u /* write_community; NULL: none */
#define USNMP_HOST_RESEND 0x08u          /* resend_ms */
#define USNMP_HOST_TIMEOUT 0x10u         /* timeout_ms, of calls to it */
/* v3_user, v3_auth, v3_authpass, v3_priv, v3_privpass: the host's own
 * SNMPv3 user, as usnmp_sync_set_v3_user() takes it (copied; the host
 * then speaks v3 unless USNMP_HOST_VERSION says otherwise, at the highest
 * level the protocols allow, in the object's context). */
#define USNMP_HOST_V3_USER 0x20u
typedef struct usnmp_host_opts {
  uint32_t flags;
  /* 3 only with USNMP_HOST_V3_USER or once usnmp_sync_set_v3_user() ran */
  usnmp_version version;
  const char *community;
  const char *write_community;
  uint32_t resend_ms;
  uint32_t timeout_ms;
  const char *v3_user;
  usnmp_auth_proto v3_auth;
  const char *v3_authpass;
  usnmp_priv_proto v3_priv;
  const char *v3_privpass;
} usnmp_host_opts;

/* Gives host (an agent string, as the calls take it; a host name is
 * resolved now, within the object's timeout) the settings of opts,
 * replacing what it had of its own: a setting opts does not name goes
 * back to following the object.  The port is part of the agent string
 * ("h:1161").  Per-call options (usnmp_call_opts) still override both.
 * Returns 0, USNMP_E_INVAL (NULL, an unknown flag, a zero resend or
 * timeout, a NULL community, version 3 without a v3 user), the v3 user
 * errors of usnmp_sync_set_v3_user() (USNMP_E_V3_PASSPHRASE, ...),
 * USNMP_E_RESOLVE, USNMP_E_TIMEOUT, USNMP_E_NOMEM or
 * USNMP_E_IN_CALLBACK. */
USNMP_EXTERN int usnmp_sync_set_host(usnmp_sync *s, const char *host,
                                     const usnmp_host_opts *opts);

/* ------------------------------------------------------------------------
 * Notifications: receiving and sending traps and informs (RFC 3416,
 * RFC 3584 for v1, RFC 3414 for v3)
 *
 * A receiver runs on the caller's loop, next to managers, bound to one or
 * more UDP addresses (IPv4 and IPv6, port 162 by default).  It reads
 * datagrams in batches (recvmmsg), decodes each strictly and delivers
 * every accepted notification through one callback; everything else is
 * dropped and counted by reason (usnmp_receiver_stats).
 *
 * v1 and v2c: the community must be on the accept list
 * (usnmp_receiver_add_community) or pass the community callback; with
 * neither configured every community is refused.  A v1 Trap-PDU is
 * delivered with its raw fields and also translated to the SNMPv2 form of
 * RFC 3584 3.1: sysUpTime.0 (the time-stamp), snmpTrapOID.0 (snmpTraps.N
 * for a generic trap N-1 below 6, else enterprise.0.specific), the trap's
 * varbinds, then snmpTrapAddress.0, snmpTrapCommunity.0 and
 * snmpTrapEnterprise.0.
 *
 * Informs (v2c and v3) are answered with a Response carrying the same
 * request-id and varbinds, sent from the socket the inform arrived on:
 * bind one address per local address (not the wildcard) on multihomed
 * hosts, and each answer leaves from the address the sender used.  An
 * inform seen again from the same source with the same request-id (v3:
 * and the same user) within the dedupe window (default 30 s) is
 * answered again but delivered once.  The window is kept in a bounded
 * table (8192 entries, replaced on collision), so memory stays fixed
 * whatever the rate.
 *
 * SNMPv3 traps: the sender is authoritative.  Users are configured by
 * name, protocols and pass phrases (usnmp_receiver_add_v3_user); keys are
 * localized to each sender's engine ID the first time that engine is seen
 * with that user, and kept in a bounded cache (usnmp_receiver_set_cache_limit,
 * default 16384 engine/user pairs, about 700 bytes each, the oldest
 * evicted first), so any
 * number of senders need no per-sender configuration.  Several users with
 * the same name (different pass phrases or protocols) are tried in the
 * order they were added until one authenticates; the match is remembered
 * for that engine.  The first authenticated message from an engine not in
 * the cache is accepted and sets the engine's boots and time (RFC 3414
 * 3.2.7 b: a receiver has no earlier notion); after that a message with
 * lower boots, or the same boots and a time more than 150 s behind the
 * latest seen, is dropped as outside the time window, and an exact
 * replay inside the window (same engine, msgID, boots and time) is
 * dropped by the dedupe table.  An engine evicted from the cache is new
 * again when it next sends.  usnmp_receiver_allow_engine_id limits v3
 * senders to a list; a user added with an engine ID (net-snmp's
 * createUser -e) applies to that engine only.
 *
 * SNMPv3 informs: the receiver is authoritative, with its own engine ID
 * (usnmp_receiver_set_engine_id; by default a random RFC 3411 format 5
 * ID: 80 00 00 00 05 followed by 8 random bytes, changing at every start,
 * so set it to keep senders' discovery valid across restarts), boots (0
 * by default; the application persists it: read it at start, add one,
 * store it, then pass it to usnmp_receiver_set_engine_boots) and time
 * (seconds since usnmp_receiver_init).  A reportable message for another
 * or an empty engine ID is answered with a usmStatsUnknownEngineIDs
 * Report (discovery), an unknown user with usmStatsUnknownUserNames, and
 * an authenticated inform outside the time window with an authenticated
 * usmStatsNotInTimeWindows Report carrying our boots and time.
 *
 * Without SNMPv3 (a library built with -Dsnmpv3=false) notifications are
 * v1 and v2c only: the receiver drops v3 messages (dropped_version), and
 * usnmp_receiver_add_v3_user, usnmp_receiver_allow_engine_id,
 * usnmp_receiver_set_engine_id, usnmp_receiver_engine_id,
 * usnmp_receiver_set_engine_boots, usnmp_manager_set_v3_engine and
 * usnmp_manager_v3_engine_id return USNMP_E_UNSUPPORTED.
 * ------------------------------------------------------------------------ */

typedef struct usnmp_receiver usnmp_receiver;

/* One notification, as the receiver's callback sees it.  Everything it
 * points to lives only during the callback. */
typedef struct usnmp_notification {
  usnmp_version version;
  usnmp_pdu_type pdu;            /* USNMP_PDU_TRAP_V1, _TRAP_V2 or _INFORM */
  const struct sockaddr *source; /* the sender's address and port */
  /* The bound address it arrived on (for a wildcard bind, the wildcard:
   * bind each local address to know it). */
  const struct sockaddr *local;
  /* v1 and v2c. */
  const uint8_t *community;
  size_t community_len;
  /* v3: user, level, msgAuthoritativeEngineID (the sender's for a trap,
   * ours for an inform), and the scoped PDU's context. */
  const uint8_t *user;
  size_t user_len;
  usnmp_sec_level security_level;
  const uint8_t *engine_id;
  size_t engine_id_len;
  const uint8_t *context_engine_id;
  size_t context_engine_id_len;
  const uint8_t *context_name;
  size_t context_name_len;
  int32_t request_id;
  /* The varbinds in SNMPv2 form: sysUpTime.0 and snmpTrapOID.0 first
   * when the sender followed RFC 3416 (v1 traps: the RFC 3584
   * translation). */
  const usnmp_varbind *varbinds;
  size_t varbind_count;
  /* v1 Trap-PDU only (NULL otherwise): the raw header (enterprise,
   * agent-addr, generic, specific, time-stamp in v1->trap) and the raw
   * varbinds. */
  const usnmp_msg *v1;
  const usnmp_varbind *v1_varbinds;
  size_t v1_varbind_count;
} usnmp_notification;

typedef void (*usnmp_notification_cb)(usnmp_receiver *rx,
                                      const usnmp_notification *n, void *arg);
/* Returns non-zero to accept a v1/v2c community from source. */
typedef int (*usnmp_community_cb)(const uint8_t *community, size_t len,
                                  const struct sockaddr *source, void *arg);

/* Counters of a receiver (fields may be appended; usnmp_receiver_stats
 * copies as many as the caller's struct holds). */
typedef struct usnmp_notify_stats {
  uint64_t received;          /* datagrams read */
  uint64_t delivered;         /* notifications given to the callback */
  uint64_t informs_answered;  /* Responses sent, repeats included */
  uint64_t duplicates;        /* informs answered but not delivered again */
  uint64_t reports_sent;      /* v3 Reports sent */
  uint64_t send_errors;       /* Responses or Reports that failed to go */
  uint64_t dropped_malformed; /* did not decode */
  uint64_t dropped_version;   /* a version not accepted */
  uint64_t dropped_pdu;       /* not a notification */
  uint64_t dropped_community; /* community refused */
  uint64_t dropped_unknown_user;
  uint64_t dropped_unknown_engine; /* v3 inform for another engine, or a
                                      trap from an engine not allowed */
  uint64_t dropped_auth;           /* wrong digest, or a level the user lacks */
  uint64_t dropped_decrypt;        /* decryption failed */
  uint64_t dropped_time_window;    /* outside the 150 s window */
  uint64_t dropped_replay;         /* an exact v3 trap replay */
  uint64_t key_cache_entries;      /* now */
  uint64_t key_cache_evictions;
} usnmp_notify_stats;

/* Creates a receiver on loop (alloc may be NULL).  Returns 0,
 * USNMP_E_INVAL, USNMP_E_NOMEM or USNMP_E_UNSUPPORTED (OpenSSL could not
 * provide the v3 algorithms). */
USNMP_EXTERN int usnmp_receiver_init(usnmp_receiver **out, uv_loop_t *loop,
                                     const usnmp_allocator *alloc);
/* Adds a listening address in the agent syntax ("127.0.0.1",
 * "udp:0.0.0.0:162", "udp6:[::1]:16200", "[::]:162"); port 162 by
 * default; numeric addresses only.  The socket is bound now (so a busy
 * port fails here).  Returns 0, USNMP_E_INVAL (syntax, a host name, more
 * than 16 addresses), USNMP_E_NOMEM or a libuv code (UV_EADDRINUSE,
 * UV_EACCES...). */
USNMP_EXTERN int usnmp_receiver_bind(usnmp_receiver *rx, const char *address);
/* Returns the port the i-th bound address listens on (after binding port
 * 0), or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_port(const usnmp_receiver *rx, size_t i);
/* SO_RCVBUF (and SO_SNDBUF) of sockets bound afterwards; default 4 MiB
 * (the system's limit, net.core.rmem_max, clamps it).  Returns 0 or
 * USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_set_socket_buffer(usnmp_receiver *rx,
                                                  int bytes);
/* As usnmp_manager_set_socket_buffer_force: force non-zero asks with
 * SO_RCVBUFFORCE / SO_SNDBUFFORCE first (past the system's limit with
 * CAP_NET_ADMIN), for sockets bound afterwards; off by default.  Returns
 * 0, USNMP_E_INVAL or USNMP_E_UNSUPPORTED. */
USNMP_EXTERN int usnmp_receiver_set_socket_buffer_force(usnmp_receiver *rx,
                                                        int force);
/* Accepts v1/v2c notifications with this community (1 to 255 bytes).
 * Returns 0, USNMP_E_INVAL or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_receiver_add_community(usnmp_receiver *rx,
                                              const char *community);
/* Asks cb about every community not on the list (NULL: none).  Returns
 * 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_set_community_cb(usnmp_receiver *rx,
                                                 usnmp_community_cb cb,
                                                 void *arg);
/* Adds a v3 user (as usnmp_target_set_v3_user: passwords of at least 8
 * characters, NULL for NONE).  engine_id (5 to 32 bytes) pins it to one
 * sender; NULL (len 0) accepts it from any engine.  The same name may be
 * added several times with other pass phrases or protocols.  Returns 0,
 * the errors of usnmp_target_set_v3_user (USNMP_E_V3_USER_NAME,
 * USNMP_E_V3_PASSPHRASE, USNMP_E_V3_PRIV_WITHOUT_AUTH,
 * USNMP_E_V3_UNKNOWN_PROTOCOL, USNMP_E_UNSUPPORTED), USNMP_E_INVAL (rx
 * NULL, an engine ID outside 5 to 32 bytes) or USNMP_E_NOMEM. */
USNMP_EXTERN int
usnmp_receiver_add_v3_user(usnmp_receiver *rx, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass,
                           const uint8_t *engine_id, size_t engine_id_len);
/* Adds an engine ID (5 to 32 bytes) to the v3 allow list; once the list
 * has one, v3 traps from other engines are dropped
 * (dropped_unknown_engine).  Returns 0, USNMP_E_INVAL or USNMP_E_NOMEM. */
USNMP_EXTERN int usnmp_receiver_allow_engine_id(usnmp_receiver *rx,
                                                const uint8_t *engine_id,
                                                size_t len);
/* Sets the receiver's own engine ID (5 to 32 bytes), for v3 informs.
 * Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_set_engine_id(usnmp_receiver *rx,
                                              const uint8_t *engine_id,
                                              size_t len);
/* Copies the receiver's engine ID into buf and returns its length, or
 * USNMP_E_INVAL / USNMP_E_NOBUFS. */
USNMP_EXTERN int usnmp_receiver_engine_id(const usnmp_receiver *rx,
                                          uint8_t *buf, size_t size);
/* Sets snmpEngineBoots (0 to 2^31-2) and restarts snmpEngineTime at 0.
 * Returns 0 or USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_set_engine_boots(usnmp_receiver *rx,
                                                 uint32_t boots);
/* Caps the v3 key cache (engine/user pairs, at least 1).  Returns 0 or
 * USNMP_E_INVAL. */
USNMP_EXTERN int usnmp_receiver_set_cache_limit(usnmp_receiver *rx,
                                                size_t entries);
/* Sets the inform dedupe window in ms (0: no dedupe).  Returns 0. */
USNMP_EXTERN int usnmp_receiver_set_dedupe_window(usnmp_receiver *rx,
                                                  uint32_t ms);
/* Starts delivering notifications to cb.  The sockets keep the loop
 * alive until usnmp_receiver_stop or _close.  Returns 0, USNMP_E_INVAL
 * (no callback, nothing bound) or a libuv code. */
USNMP_EXTERN int usnmp_receiver_start(usnmp_receiver *rx,
                                      usnmp_notification_cb cb, void *arg);
/* Stops reading (datagrams wait in the socket buffers).  Returns 0. */
USNMP_EXTERN int usnmp_receiver_stop(usnmp_receiver *rx);
/* Closes the sockets and frees rx once their close callbacks ran; then
 * close_cb (may be NULL).  Safe from inside the notification callback
 * (nothing more is delivered).  Keys are wiped. */
USNMP_EXTERN void usnmp_receiver_close(usnmp_receiver *rx,
                                       void (*close_cb)(void *arg), void *arg);
/* Copies the counters into *stats, which is size bytes long: the
 * caller's sizeof(usnmp_notify_stats), which the macro
 * usnmp_receiver_stats(rx, stats) passes.  As usnmp_manager_stats_ex:
 * counters are only appended, a newer library writes nothing past size
 * and an older one zeroes the counters it does not have.  Returns 0, or
 * USNMP_E_INVAL for NULL. */
USNMP_EXTERN int usnmp_receiver_stats_ex(const usnmp_receiver *rx,
                                         usnmp_notify_stats *stats,
                                         size_t size);
#define usnmp_receiver_stats(rx, stats)                                        \
  usnmp_receiver_stats_ex((rx), (stats), sizeof(usnmp_notify_stats))

/* Sending.  Traps and informs go to a target of a manager, with the
 * target's version, community or v3 user.  The varbinds of a v2c or v3
 * notification are sysUpTime.0 (uptime, in hundredths of a second),
 * snmpTrapOID.0 (trap_oid), then vbs. */

/* The v1 Trap-PDU's own fields. */
typedef struct usnmp_trap_v1 {
  usnmp_oid enterprise;
  uint8_t agent_addr[4];
  int32_t generic_trap; /* 0..6 */
  int32_t specific_trap;
  uint32_t time_stamp; /* TimeTicks */
} usnmp_trap_v1;

/* Sends a trap now (an unconfirmed notification: no answer, no
 * callback).  v1 targets use v1 (required) and vbs; v2c and v3 targets
 * use uptime and trap_oid (required).  A v3 trap is sent with the
 * manager's own engine ID, boots and time (usnmp_manager_set_v3_engine),
 * the sender being authoritative.  The target's address must be known (a
 * numeric address, or a name already resolved).  Returns 0, USNMP_E_INVAL
 * (arguments; a v3 target without a user), UV_EAGAIN (the target's name
 * is still resolving: try again later), USNMP_E_RESOLVE (it failed to
 * resolve), USNMP_E_MSG_TOO_BIG, an encoding error (USNMP_E_BAD_OID,
 * USNMP_E_BAD_VALUE...), USNMP_E_NOMEM, USNMP_E_CLOSED or the send's
 * libuv error. */
USNMP_EXTERN int usnmp_trap_send(usnmp_target *t, const usnmp_trap_v1 *v1,
                                 uint32_t uptime, const usnmp_oid *trap_oid,
                                 const usnmp_varbind *vbs, size_t n);
/* Sends an inform (v2c or v3 target) like a request: resent and timed
 * out as the target and opts say; a v3 inform discovers the receiver's
 * engine first.  cb fires exactly once: status 0 with the receiver's
 * Response (its varbinds), or the statuses of usnmp_response.  Returns 0
 * or, with no callback, USNMP_E_INVAL, USNMP_E_BAD_VERSION (v1),
 * USNMP_E_TOO_BIG, USNMP_E_NOMEM or USNMP_E_CLOSED. */
USNMP_EXTERN int usnmp_inform_send(usnmp_target *t, uint32_t uptime,
                                   const usnmp_oid *trap_oid,
                                   const usnmp_varbind *vbs, size_t n,
                                   const usnmp_request_opts *opts,
                                   usnmp_response_cb cb, void *arg,
                                   usnmp_request **out);
/* Sets the manager's own SNMPv3 engine (authoritative for the traps it
 * sends): engine ID (5 to 32 bytes; NULL: a random RFC 3411 format 5 ID,
 * the default) and boots (the time restarts at 0).  Returns 0,
 * USNMP_E_INVAL, USNMP_E_NOMEM or USNMP_E_UNSUPPORTED (a build without
 * SNMPv3). */
USNMP_EXTERN int usnmp_manager_set_v3_engine(usnmp_manager *m,
                                             const uint8_t *engine_id,
                                             size_t len, uint32_t boots);
/* Copies the manager's own engine ID into buf (made on first use) and
 * returns its length, or USNMP_E_INVAL / USNMP_E_NOBUFS / USNMP_E_NOMEM /
 * USNMP_E_UNSUPPORTED (a build without SNMPv3). */
USNMP_EXTERN int usnmp_manager_v3_engine_id(usnmp_manager *m, uint8_t *buf,
                                            size_t size);

#ifdef __cplusplus
}
#endif
#endif /* USNMP_H */
