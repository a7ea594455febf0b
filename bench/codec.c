/*
 * bench/codec: how fast usnmp encodes and decodes a typical response, and
 * how many heap allocations that costs, next to net-snmp's own codec on the
 * same message when libsnmp-dev is installed (HAVE_NETSNMP).
 *
 * The message is a v2c GetResponse with 10 varbinds of mixed types, as an
 * agent answers a poller: INTEGER, OCTET STRING, OBJECT IDENTIFIER,
 * IpAddress, Counter32, Gauge32, TimeTicks, Counter64, Opaque and
 * noSuchInstance.
 *
 * Each measurement runs for a bounded time (-t seconds, default 1) in
 * batches, and is repeated (-r rounds, default 3), the four measurements
 * taking turns; the best round of each is reported, because on a shared
 * machine noise only ever adds time.
 *
 * What is measured, per message:
 *   usnmp encode     usnmp_msg_encode() of the 10 prepared varbinds
 *   usnmp decode     usnmp_msg_decode() of the datagram into a caller array
 *   net-snmp encode  snmp_build() of a prepared netsnmp_pdu (what
 *                    snmp_send() does before sendto)
 *   net-snmp decode  snmp_parse() into a fresh netsnmp_pdu, then
 *                    snmp_free_pdu() (what net-snmp does with every datagram
 *                    it receives: _sess_process_packet)
 *
 * Usage: codec [-t SECONDS] [-r ROUNDS] [-n ITERATIONS]
 *
 * -n runs exactly ITERATIONS messages per round instead of a time: with
 * valgrind --tool=callgrind that gives instruction counts per message,
 * which stay the same however busy the machine is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "usnmp.h"

#ifdef HAVE_NETSNMP
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#endif

#define N_VBS 10

/* ------------------------------------------------------------------------
 * Counting heap allocations.
 *
 * The program defines malloc, calloc, realloc and free itself, forwarding
 * to glibc's allocator under its internal names; the dynamic linker then
 * sends every allocation of the process to them, net-snmp's included,
 * with no LD_PRELOAD.  (glibc documents this replacement.)  The counter is
 * the one mutable global of this program: the benchmark is single-threaded
 * and the allocator has no context argument to carry it.
 *
 * Under AddressSanitizer (the CI's sanitizer build compiles this file) the
 * sanitizer owns malloc, so counting is left out there.
 * ------------------------------------------------------------------------ */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
static unsigned long long alloc_count;

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

void *malloc(size_t size) {
  alloc_count++;
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  alloc_count++;
  return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size) {
  alloc_count++;
  return __libc_realloc(ptr, size);
}

void free(void *ptr) { __libc_free(ptr); }

static unsigned long long allocs_now(void) { return alloc_count; }
#else
static unsigned long long allocs_now(void) { return 0; }
#endif

/* ------------------------------------------------------------------------
 * The message.
 * ------------------------------------------------------------------------ */

static const char sys_descr[] =
    "Linux core-sw-01 5.10.0-21-amd64 #1 SMP Debian 5.10.162-1 x86_64";
static const uint8_t ip_addr[4] = {192, 168, 1, 1};
/* An Opaque-wrapped float (net-snmp's laLoadFloat): 9F 78 04 <float 1.0> */
static const uint8_t opaque_float[7] = {0x9F, 0x78, 0x04, 0x3F,
                                        0x80, 0x00, 0x00};

/* The names, in order: sysDescr.0 .. and one absent instance. */
static const char *const vb_names[N_VBS] = {
    "1.3.6.1.2.1.2.2.1.4.2",            /* ifMtu.2          INTEGER */
    "1.3.6.1.2.1.1.1.0",                /* sysDescr.0       OCTET STRING */
    "1.3.6.1.2.1.1.2.0",                /* sysObjectID.0    OID */
    "1.3.6.1.2.1.4.20.1.1.192.168.1.1", /* ipAdEntAddr      IpAddress */
    "1.3.6.1.2.1.2.2.1.10.2",           /* ifInOctets.2     Counter32 */
    "1.3.6.1.2.1.2.2.1.5.2",            /* ifSpeed.2        Gauge32 */
    "1.3.6.1.2.1.1.3.0",                /* sysUpTime.0      TimeTicks */
    "1.3.6.1.2.1.31.1.1.1.6.2",         /* ifHCInOctets.2   Counter64 */
    "1.3.6.1.4.1.2021.10.1.6.1",        /* laLoadFloat.1    Opaque */
    "1.3.6.1.2.1.1.9.1.2.99",           /* sysORID.99       noSuchInstance */
};

typedef struct message {
  usnmp_oid names[N_VBS];
  uint8_t name_ber[N_VBS][5 * USNMP_OID_MAX_LEN];
  usnmp_oid object_id; /* the value of sysObjectID.0 */
  uint8_t object_id_ber[5 * USNMP_OID_MAX_LEN];
  usnmp_varbind vbs[N_VBS];
  usnmp_msg msg;
} message;

static void die(const char *what, int err) {
  fprintf(stderr, "codec bench: %s: %s\n", what, usnmp_strerror(err));
  exit(1);
}

static void build_message(message *m) {
  memset(m, 0, sizeof *m);
  for (size_t i = 0; i < N_VBS; i++) {
    int rc = usnmp_oid_parse(&m->names[i], vb_names[i]);
    if (rc < 0)
      die(vb_names[i], rc);
    rc = usnmp_oid_to_ber(m->name_ber[i], sizeof m->name_ber[i], &m->names[i]);
    if (rc < 0)
      die(vb_names[i], rc);
    m->vbs[i].oid = m->name_ber[i];
    m->vbs[i].oid_len = (size_t)rc;
  }
  int rc = usnmp_oid_parse(&m->object_id, "1.3.6.1.4.1.8072.3.2.10");
  if (rc < 0)
    die("sysObjectID value", rc);
  m->vbs[0].value = usnmp_value_integer(1500);
  m->vbs[1].value = usnmp_value_string(sys_descr);
  rc = usnmp_value_oid(&m->vbs[2].value, m->object_id_ber,
                       sizeof m->object_id_ber, &m->object_id);
  if (rc < 0)
    die("usnmp_value_oid", rc);
  m->vbs[3].value = usnmp_value_ipaddress(ip_addr);
  m->vbs[4].value = usnmp_value_counter32(4000000000u);
  m->vbs[5].value = usnmp_value_gauge32(1000000000u);
  m->vbs[6].value = usnmp_value_timeticks(123456789u);
  m->vbs[7].value = usnmp_value_counter64(0x123456789ABCDEF0ull);
  m->vbs[8].value = usnmp_value_opaque(opaque_float, sizeof opaque_float);
  m->vbs[9].value.type = USNMP_TYPE_NOSUCHINSTANCE;

  m->msg.version = USNMP_VERSION_2C;
  m->msg.community = (const uint8_t *)"public";
  m->msg.community_len = 6;
  m->msg.type = USNMP_PDU_RESPONSE;
  m->msg.request_id = 0x1234567;
}

/* ------------------------------------------------------------------------
 * Timing.
 * ------------------------------------------------------------------------ */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One thing measured: op(ctx) is one message's work, and returns a value
 * folded into a sink so the compiler cannot drop the work. */
typedef unsigned (*bench_op)(void *ctx);

typedef struct bench_case {
  const char *name;
  bench_op op;
  void *ctx;
  double best_ns;            /* per message, best round so far */
  unsigned long long ops;    /* over all rounds */
  unsigned long long allocs; /* over all rounds */
} bench_case;

static volatile unsigned sink;

/* Runs one round of c: batches of calls for `seconds` (or exactly
 * `iterations` calls when that is not 0). */
static void run_round(bench_case *c, double seconds, unsigned long iterations) {
  unsigned long long ops = 0;
  unsigned acc = 0;
  unsigned long long a0 = allocs_now();
  double t0 = now_s(), t;
  do {
    unsigned long batch = 1000;
    if (iterations != 0 && iterations - ops < batch)
      batch = iterations - ops;
    for (unsigned long i = 0; i < batch; i++)
      acc += c->op(c->ctx);
    ops += batch;
    t = now_s();
  } while (iterations != 0 ? ops < iterations : t - t0 < seconds);
  c->allocs += allocs_now() - a0;
  c->ops += ops;
  sink += acc;
  double ns = (t - t0) * 1e9 / (double)ops;
  if (c->best_ns == 0 || ns < c->best_ns)
    c->best_ns = ns;
}

/* Runs every case once per round, rounds times, interleaved: when the
 * machine's load changes during the run, every case sees the change, and
 * the best round of each is compared. */
static void measure(bench_case *cases, size_t n, double seconds, int rounds,
                    unsigned long iterations) {
  for (int round = 0; round < rounds; round++)
    for (size_t i = 0; i < n; i++)
      run_round(&cases[i], seconds, iterations);
}

/* ------------------------------------------------------------------------
 * usnmp.
 * ------------------------------------------------------------------------ */

typedef struct usnmp_ctx {
  const message *m;
  uint8_t out[1500];
  const uint8_t *wire;
  size_t wire_len;
  usnmp_msg decoded;
  usnmp_varbind vbs[16];
} usnmp_ctx;

static unsigned usnmp_encode_op(void *arg) {
  usnmp_ctx *c = arg;
  int n = usnmp_msg_encode(c->out, sizeof c->out, &c->m->msg, c->m->vbs, N_VBS);
  if (n < 0)
    die("usnmp_msg_encode", n);
  return (unsigned)n + c->out[n - 1];
}

static unsigned usnmp_decode_op(void *arg) {
  usnmp_ctx *c = arg;
  size_t n_vbs;
  int rc =
      usnmp_msg_decode(&c->decoded, c->vbs, 16, &n_vbs, c->wire, c->wire_len);
  if (rc < 0)
    die("usnmp_msg_decode", rc);
  return (unsigned)n_vbs + c->vbs[4].value.v.u32;
}

/* Checks that what usnmp decodes is what was encoded, and that it
 * re-encodes to the same bytes. */
static void check_usnmp(usnmp_ctx *c) {
  size_t n_vbs;
  uint8_t again[1500];
  int rc =
      usnmp_msg_decode(&c->decoded, c->vbs, 16, &n_vbs, c->wire, c->wire_len);
  if (rc < 0)
    die("usnmp_msg_decode", rc);
  if (n_vbs != N_VBS || c->decoded.request_id != c->m->msg.request_id) {
    fprintf(stderr, "codec bench: decoded %zu varbinds\n", n_vbs);
    exit(1);
  }
  for (size_t i = 0; i < N_VBS; i++)
    if (c->vbs[i].value.type != c->m->vbs[i].value.type ||
        c->vbs[i].oid_len != c->m->vbs[i].oid_len ||
        memcmp(c->vbs[i].oid, c->m->vbs[i].oid, c->vbs[i].oid_len) != 0) {
      fprintf(stderr, "codec bench: varbind %zu differs after decoding\n", i);
      exit(1);
    }
  int n = usnmp_msg_encode(again, sizeof again, &c->decoded, c->vbs, n_vbs);
  if (n < 0 || (size_t)n != c->wire_len || memcmp(again, c->wire, c->wire_len))
    die("re-encoding the decoded message", n < 0 ? n : USNMP_E_BAD_VALUE);
}

/* ------------------------------------------------------------------------
 * net-snmp.
 * ------------------------------------------------------------------------ */

#ifdef HAVE_NETSNMP
typedef struct netsnmp_ctx {
  netsnmp_session session;
  netsnmp_pdu *pdu; /* the message to encode */
  u_char *pkt;      /* snmp_build's buffer (it may grow it) */
  size_t pkt_size;
  const uint8_t *wire;
  size_t wire_len;
  u_char wire_copy[1500]; /* snmp_parse takes a non-const buffer */
  const u_char *built;    /* where the last snmp_build put its bytes */
  size_t built_len;
} netsnmp_ctx;

static void netsnmp_build_pdu(netsnmp_ctx *c, const message *m) {
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
  if (pdu == NULL) {
    fprintf(stderr, "codec bench: snmp_pdu_create failed\n");
    exit(1);
  }
  pdu->version = SNMP_VERSION_2c;
  pdu->reqid = m->msg.request_id;
  pdu->community = (u_char *)strdup("public");
  pdu->community_len = 6;
  for (size_t i = 0; i < N_VBS; i++) {
    oid name[USNMP_OID_MAX_LEN];
    for (uint32_t k = 0; k < m->names[i].len; k++)
      name[k] = m->names[i].arcs[k];
    const usnmp_value *v = &m->vbs[i].value;
    long integer;
    u_long u;
    struct counter64 c64;
    oid object_id[USNMP_OID_MAX_LEN];
    const void *value = NULL;
    size_t len = 0;
    u_char type = (u_char)v->type;
    switch (v->type) {
    case USNMP_TYPE_INTEGER:
      integer = v->v.integer;
      value = &integer;
      len = sizeof integer;
      break;
    case USNMP_TYPE_COUNTER32:
    case USNMP_TYPE_GAUGE32:
    case USNMP_TYPE_TIMETICKS:
      u = v->v.u32;
      value = &u;
      len = sizeof u;
      break;
    case USNMP_TYPE_COUNTER64:
      c64.high = (u_long)(v->v.u64 >> 32);
      c64.low = (u_long)(v->v.u64 & 0xFFFFFFFFu);
      value = &c64;
      len = sizeof c64;
      break;
    case USNMP_TYPE_OID:
      for (uint32_t k = 0; k < m->object_id.len; k++)
        object_id[k] = m->object_id.arcs[k];
      value = object_id;
      len = m->object_id.len * sizeof(oid);
      break;
    case USNMP_TYPE_OCTET_STRING:
    case USNMP_TYPE_OPAQUE:
    case USNMP_TYPE_IPADDRESS:
      value = v->v.bytes.data;
      len = v->v.bytes.len;
      break;
    default: /* NULL and the exceptions carry no value */
      break;
    }
    if (snmp_pdu_add_variable(pdu, name, m->names[i].len, type, value, len) ==
        NULL) {
      fprintf(stderr, "codec bench: snmp_pdu_add_variable failed\n");
      exit(1);
    }
  }
  c->pdu = pdu;
}

static void netsnmp_setup(netsnmp_ctx *c, const message *m) {
  /* No config files, no MIB modules: only the codec is measured. */
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  snmp_sess_init(&c->session);
  c->session.version = SNMP_VERSION_2c;
  c->session.community = (u_char *)"public";
  c->session.community_len = 6;
  netsnmp_build_pdu(c, m);
  c->pkt_size = 2048;
  c->pkt = malloc(c->pkt_size);
  if (c->pkt == NULL) {
    fprintf(stderr, "codec bench: out of memory\n");
    exit(1);
  }
}

static unsigned netsnmp_encode_op(void *arg) {
  netsnmp_ctx *c = arg;
  size_t offset = 0;
  if (snmp_build(&c->pkt, &c->pkt_size, &offset, &c->session, c->pdu) != 0) {
    fprintf(stderr, "codec bench: snmp_build failed\n");
    exit(1);
  }
  /* Reverse encoding: the message ends at the end of the buffer. */
  c->built = c->pkt + c->pkt_size - offset;
  c->built_len = offset;
  return (unsigned)offset + c->built[0];
}

static unsigned netsnmp_decode_op(void *arg) {
  netsnmp_ctx *c = arg;
  netsnmp_pdu *pdu = calloc(1, sizeof *pdu);
  if (pdu == NULL) {
    fprintf(stderr, "codec bench: out of memory\n");
    exit(1);
  }
  if (snmp_parse(NULL, &c->session, pdu, c->wire_copy, c->wire_len) != 0) {
    fprintf(stderr, "codec bench: snmp_parse failed\n");
    exit(1);
  }
  unsigned r = (unsigned)pdu->reqid;
  snmp_free_pdu(pdu);
  return r;
}

/* Checks that net-snmp reads our bytes as the same 10 varbinds. */
static void check_netsnmp(netsnmp_ctx *c) {
  netsnmp_pdu *pdu = calloc(1, sizeof *pdu);
  if (pdu == NULL ||
      snmp_parse(NULL, &c->session, pdu, c->wire_copy, c->wire_len) != 0) {
    fprintf(stderr, "codec bench: net-snmp cannot parse usnmp's message\n");
    exit(1);
  }
  size_t n = 0;
  const netsnmp_variable_list *v = pdu->variables;
  for (; v != NULL; v = v->next_variable)
    n++;
  v = pdu->variables;
  if (n != N_VBS || pdu->command != SNMP_MSG_RESPONSE ||
      v->type != ASN_INTEGER || *v->val.integer != 1500) {
    fprintf(stderr, "codec bench: net-snmp read %zu varbinds\n", n);
    exit(1);
  }
  snmp_free_pdu(pdu);
}
#endif

/* ------------------------------------------------------------------------
 * Main.
 * ------------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr, "usage: codec [-t SECONDS] [-r ROUNDS] [-n ITERATIONS]\n");
  exit(2);
}

int main(int argc, char **argv) {
  double seconds = 1.0;
  int rounds = 3;
  unsigned long iterations = 0;
  int opt;
  while ((opt = getopt(argc, argv, "t:r:n:h")) != -1) {
    switch (opt) {
    case 't':
      seconds = strtod(optarg, NULL);
      break;
    case 'r':
      rounds = atoi(optarg);
      break;
    case 'n':
      iterations = strtoul(optarg, NULL, 10);
      if (iterations == 0 || iterations > 100000000ul)
        usage();
      break;
    default:
      usage();
    }
  }
  /* Bounded: at most 10 s per round and 10 rounds per measurement. */
  if (optind != argc || !(seconds > 0 && seconds <= 10) || rounds < 1 ||
      rounds > 10)
    usage();

  message *m = malloc(sizeof *m);
  usnmp_ctx *uc = malloc(sizeof *uc);
  if (m == NULL || uc == NULL) {
    fprintf(stderr, "codec bench: out of memory\n");
    return 1;
  }
  build_message(m);
  memset(uc, 0, sizeof *uc);
  uc->m = m;
  int len = usnmp_msg_encode(uc->out, sizeof uc->out, &m->msg, m->vbs, N_VBS);
  if (len < 0)
    die("usnmp_msg_encode", len);
  uint8_t wire[1500];
  memcpy(wire, uc->out, (size_t)len);
  uc->wire = wire;
  uc->wire_len = (size_t)len;
  check_usnmp(uc);

  printf("usnmp %s codec benchmark: v2c GetResponse, %d varbinds, %d bytes\n",
         usnmp_version_string(), N_VBS, len);
  printf("types: INTEGER, OCTET STRING (%zu bytes), OID, IpAddress, "
         "Counter32, Gauge32,\n       TimeTicks, Counter64, Opaque, "
         "noSuchInstance\n",
         strlen(sys_descr));
  if (iterations != 0)
    printf("best of %d rounds of %lu messages each", rounds, iterations);
  else
    printf("best of %d rounds of %.2f s each", rounds, seconds);
  printf("%s\n\n",
         COUNT_ALLOCS ? "" : " (allocation counting off: sanitizer build)");
  bench_case cases[4] = {
      {"usnmp encode (usnmp_msg_encode)", usnmp_encode_op, uc, 0, 0, 0},
      {"usnmp decode (usnmp_msg_decode)", usnmp_decode_op, uc, 0, 0, 0},
  };
  size_t n_cases = 2;

#ifdef HAVE_NETSNMP
  netsnmp_ctx *nc = calloc(1, sizeof *nc);
  if (nc == NULL) {
    fprintf(stderr, "codec bench: out of memory\n");
    return 1;
  }
  netsnmp_setup(nc, m);
  nc->wire = wire;
  nc->wire_len = (size_t)len;
  memcpy(nc->wire_copy, wire, (size_t)len);
  check_netsnmp(nc);
  netsnmp_encode_op(nc);
  int same =
      nc->built_len == (size_t)len && memcmp(nc->built, wire, (size_t)len) == 0;
  cases[n_cases++] = (bench_case){
      "net-snmp encode (snmp_build)", netsnmp_encode_op, nc, 0, 0, 0};
  cases[n_cases++] = (bench_case){
      "net-snmp decode (snmp_parse+free)", netsnmp_decode_op, nc, 0, 0, 0};
#endif

  measure(cases, n_cases, seconds, rounds, iterations);

  printf("%-34s %10s %12s %12s\n", "", "ns/msg", "ns/varbind", "allocs/msg");
  for (size_t i = 0; i < n_cases; i++)
    printf("%-34s %10.1f %12.1f %12.2f\n", cases[i].name, cases[i].best_ns,
           cases[i].best_ns / N_VBS,
           (double)cases[i].allocs / (double)cases[i].ops);

#ifdef HAVE_NETSNMP
  printf("\nnet-snmp %s encodes the same message to %s bytes\n",
         netsnmp_get_version(), same ? "the same" : "different");
  printf("decode: usnmp is %.1fx faster than net-snmp (target >= 10x)\n",
         cases[3].best_ns / cases[1].best_ns);
  printf("encode: usnmp is %.1fx faster than net-snmp (target >= 5x)\n",
         cases[2].best_ns / cases[0].best_ns);
  snmp_free_pdu(nc->pdu);
  free(nc->pkt);
  free(nc);
#else
  printf("\nnet-snmp not found at build time: no comparison\n");
#endif
  printf("allocations per decoded message: %.2f (target 0)\n",
         (double)cases[1].allocs / (double)cases[1].ops);
  free(uc);
  free(m);
  return 0;
}
