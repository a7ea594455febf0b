/*
 * The async manager's internals, shared by lib/manager.c, lib/transport.c
 * and the layers built on the manager (walks, the blocking layer, SNMPv3).
 *
 * Objects and who owns what:
 *
 *   usnmp_manager   one per uv loop.  Owns the UDP handles (one per address
 *                   family, opened on first use), the request-id table, the
 *                   receive buffer and the encode/decode scratch, the free
 *                   list of requests and the list of targets.
 *   usnmp_target    an agent address plus defaults.  Owns its agent string,
 *                   communities and the list of its top-level requests.
 *   usnmp_request   one request: a libuv timer (resend and timeout), the
 *                   encoded message (inline when small), and its place in
 *                   the table and queues.  A request larger than the
 *                   target's max_oids, or one retried after tooBig, becomes
 *                   a *parent* whose children carry the datagrams; the
 *                   parent merges their answers in order.
 *
 * Life of a request (states, usnmp__req_state):
 *
 *   WAIT_TARGET  queued on its target: the address is being resolved,
 *                the target's in-flight cap is reached, or (SNMPv3) the
 *                engine is being discovered;
 *   WAIT_MANAGER holds a target slot, waits for the manager's cap
 *                (in both, a request with an overall timeout has its timer
 *                armed at its deadline, counted from its start);
 *   INFLIGHT     sent, in the id table, its timer armed;
 *   PARENT       waits for its children;
 *   DEFERRED     finished with a status before it could be answered (a send
 *                error, a failed resolution known at start): the status is
 *                delivered from a zero timer so that no callback ever runs
 *                inside the call that started the request.
 *
 * Every way out goes through usnmp__request_complete(), which takes the
 * request out of every structure *before* the callback runs, so callbacks
 * may cancel, free targets or close the manager.
 *
 * Message processing is per version through usnmp__msgproc: the v1/v2c
 * community model lives in manager.c; an SNMPv3 model plugs in with
 * usnmp__manager_set_msgproc(m, USNMP_VERSION_3, &model) and provides its
 * own encode / decode / accept.  The manager draws one id per datagram
 * request (r->id, unique among pending requests, the key of the id table)
 * and hands it to encode() as pdu->request_id; a v3 model uses it as the
 * msgID as well (or as the msgID only), and its decode() stores in
 * in->key the id a reply carries in clear, so the reply is matched to its
 * request before any cryptography runs.  Per-request security state that
 * accept() needs is recorded by encode() in the request (the community
 * model records where its community sits in r->msg).
 *
 * The SNMPv3 model (manager_v3.c, installed by the first v3 setter) needs
 * three more things of the manager, each behind a test that costs v1/v2c
 * one compare: a gate in pump() (while a target's engine is unknown, its
 * requests wait for the one that probes), a step in launch() (the v3
 * datagram is built at send time from the request kept in clear,
 * r->plain), and accept() results beyond drop/accept: USNMP__RETRY (send
 * again with a new id after discovery or re-synchronisation), USNMP__FAIL
 * (a report) and USNMP__DROP_AUTH.
 *
 * Memory: a request costs sizeof(usnmp_request) (560 bytes on x86-64,
 * with its timer and up to USNMP__INLINE_MSG bytes of message) plus two
 * table slots; a larger message is one more allocation of its exact size,
 * and a v3 request one more for its PDU in clear.
 */
#ifndef USNMP_MANAGER_INT_H
#define USNMP_MANAGER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "usnmp.h"
#include "usm.h"

/* Receive buffer: recvmmsg reads one datagram per 64 KiB chunk (libuv
 * 1.44's UV__UDP_DGRAM_MAXSIZE), at most 20 per system call; the portable
 * transport reads one datagram into one chunk (see transport.c). */
#define USNMP__RECV_CHUNK (64 * 1024)
#define USNMP__RECV_CHUNKS 16
/* Messages up to this size are kept inside the request struct. */
#define USNMP__INLINE_MSG 208
/* Datagrams gathered before one sendmmsg() (see usnmp__transport_queue). */
#define USNMP__TXQ 64
/* Number of request-ids drawn from the CSPRNG at a time. */
#define USNMP__ID_POOL 256
/* Most bytes the merged answer of a split request may hold (see
 * child_done in manager.c): 4 MiB. */
#define USNMP__MERGE_MAX ((size_t)4 * 1024 * 1024)
/* Unreadable datagrams remembered by source (usnmp_manager.unreadable). */
#define USNMP__UNREADABLE_RING 16
/* Default socket buffer sizes (SO_RCVBUF / SO_SNDBUF). */
#define USNMP__DEFAULT_SOCKBUF (4 * 1024 * 1024)

/* ------------------------------------------------------------------------
 * Intrusive circular doubly-linked lists
 * ------------------------------------------------------------------------ */

typedef struct usnmp__link {
  struct usnmp__link *prev, *next;
} usnmp__link;

static inline void usnmp__list_init(usnmp__link *h) { h->prev = h->next = h; }
static inline int usnmp__list_empty(const usnmp__link *h) {
  return h->next == h;
}
static inline void usnmp__list_push(usnmp__link *h, usnmp__link *l) {
  l->prev = h->prev;
  l->next = h;
  h->prev->next = l;
  h->prev = l;
}
/* Unlinks l and makes it a list of its own, so unlinking twice is harmless. */
static inline void usnmp__list_del(usnmp__link *l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  l->prev = l->next = l;
}
#define USNMP__CONTAINER(ptr, type, member)                                    \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ------------------------------------------------------------------------
 * Message processing models
 * ------------------------------------------------------------------------ */

/* What a request asks, before encoding. */
typedef struct usnmp__pdu {
  usnmp_pdu_type type;
  int32_t request_id;
  int32_t error_status; /* GetBulk: non-repeaters */
  int32_t error_index;  /* GetBulk: max-repetitions */
  const usnmp_varbind *vbs;
  size_t n_vbs;
  /* The community chosen for this request (v1/v2c): the per-request
   * override, else the write community for SET, else the community. */
  const uint8_t *community;
  size_t community_len;
  /* SNMPv3: the request's own context (USNMP_OPT_CONTEXT), or NULL for
   * the target's. */
  const usnmp__msg3_context *context;
} usnmp__pdu;

/* Fills msg's PDU header (type, request-id, error fields) and community
 * from pdu, and the version; every other field zero. */
static inline void usnmp__pdu_to_msg(usnmp_msg *msg, const usnmp__pdu *pdu,
                                     usnmp_version version) {
  memset(msg, 0, sizeof(*msg));
  msg->version = version;
  msg->community = pdu->community;
  msg->community_len = pdu->community_len;
  msg->type = pdu->type;
  msg->request_id = pdu->request_id;
  msg->error_status = pdu->error_status;
  msg->error_index = pdu->error_index;
}

/* A datagram as the receive path sees it before and after it is matched
 * to a request. */
typedef struct usnmp__inbound {
  const uint8_t *data;
  size_t len;
  const struct sockaddr *from;
  int32_t version; /* wire version: 0, 1 or 3 */
  int32_t key;     /* lookup key: request-id (v1/v2c) or msgID (v3) */
  usnmp_msg msg;   /* header of the decoded PDU (error-status etc.) */
  usnmp_varbind *vbs;
  size_t n_vbs;
  int status; /* the request's status after USNMP__FAIL */
  /* USNMP__Q_* bits of what decoding tolerated (lib/ber.h). */
  unsigned tolerated;
} usnmp__inbound;

/* Drop reasons an accept function returns (each has a stats counter). */
enum {
  USNMP__ACCEPT = 0,
  USNMP__DROP_MALFORMED = 1,
  USNMP__DROP_VERSION,
  USNMP__DROP_COMMUNITY,
  USNMP__DROP_PDU,
  /* SNMPv3: the reply failed authentication, decryption or the time
   * window (counted in dropped_auth; the request keeps waiting). */
  USNMP__DROP_AUTH,
  /* SNMPv3: the security state of the target changed (engine discovered,
   * clock re-synchronised): encode the request again with a new id and
   * send it (usnmp__v3_launch builds the new message). */
  USNMP__RETRY,
  /* SNMPv3: an authoritative Report ends the request with in->status. */
  USNMP__FAIL,
  /* The reply needed tolerance and the manager is strict (counted in
   * dropped_strict and dropped_malformed). */
  USNMP__DROP_STRICT
};

typedef struct usnmp__msgproc {
  /* Encodes the request's message into buf[0..size) and records in r what
   * accept() will need (v1/v2c: where the community sits in the message).
   * Returns the message length or a negative code (USNMP_E_MSG_TOO_BIG
   * when it can never fit in a datagram). */
  int (*encode)(usnmp_request *r, const usnmp__pdu *pdu, uint8_t *buf,
                size_t size);
  /* Decodes a datagram of in->version far enough to find in->key, into
   * the manager's scratch (in->vbs has USNMP_MAX_VARBINDS entries).
   * Returns 0 or a negative code (the datagram is counted malformed). */
  int (*decode)(usnmp_manager *m, usnmp__inbound *in);
  /* Called once the datagram's key matched the in-flight request r and
   * its source is r's target.  Returns USNMP__ACCEPT (in->msg and in->vbs
   * then hold the answer) or a USNMP__DROP_* reason. */
  int (*accept)(usnmp_request *r, usnmp__inbound *in);
} usnmp__msgproc;

/* Installs the message processing model for a wire version (0, 1 or 3);
 * NULL removes it.  Returns 0 or USNMP_E_INVAL. */
int usnmp__manager_set_msgproc(usnmp_manager *m, usnmp_version v,
                               const usnmp__msgproc *proc);

/* ------------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------------ */

typedef enum usnmp__req_state {
  USNMP__RS_FREE = 0,
  USNMP__RS_WAIT_TARGET,
  USNMP__RS_WAIT_MANAGER,
  USNMP__RS_INFLIGHT,
  USNMP__RS_PARENT,
  USNMP__RS_DEFERRED,
  USNMP__RS_WAIT_ORDER, /* held by the target's GET/SET ordering (order.c) */
  USNMP__RS_DONE /* completing: out of every structure, callback running */
} usnmp__req_state;

/* Merge state of a parent request (allocated with it). */
typedef struct usnmp__merge_slot {
  usnmp_varbind *vbs; /* the child's answer, copied (owned: block) */
  size_t n_vbs;
  void *block;
  size_t block_size;
  uint32_t offset; /* caller's index of the child's first varbind */
} usnmp__merge_slot;

typedef struct usnmp__merge {
  uint32_t n_slots;
  uint32_t pending; /* children not yet answered */
  int32_t error_status;
  int32_t error_index;
  uint32_t error_slot; /* slot of the error kept (lowest wins) */
  uint64_t rtt_ns;
  size_t bytes; /* held by the slots' copies, at most USNMP__MERGE_MAX */
  usnmp_varbind *out; /* the concatenated answer, while delivered */
  usnmp__merge_slot slots[];
} usnmp__merge;

struct usnmp_request {
  uv_timer_t timer; /* resend/timeout; a zero timer for DEFERRED */
  usnmp_manager *m;
  usnmp_target *t;
  usnmp_request *parent;
  /* In the target's list of top-level requests, or in the parent's list of
   * children. */
  usnmp__link tlink;
  /* In a wait queue, or in the manager's free list. */
  usnmp__link qlink;
  usnmp__link children; /* a parent's children (their tlink) */
  usnmp_response_cb cb;
  void *arg;
  usnmp__merge *merge; /* parents only */
  uint8_t *msg;        /* inline_msg or a heap copy */
  uint64_t sent_ns;    /* uv_hrtime() of the last send */
  uint64_t deadline;   /* uv_now() ms of the overall timeout, 0 = none */
  double interval;     /* ms until the next resend */
  double backoff;
  uint32_t resend_ms;   /* first interval, kept for sub-requests */
  uint32_t timeout_ms;  /* overall timeout, 0 = none */
  int32_t retries;      /* resends allowed, kept for sub-requests */
  int32_t id;           /* request-id (the table key); 0 = not in table */
  int32_t retries_left; /* < 0: unlimited */
  int32_t deferred_status;
  uint32_t msg_len;
  uint32_t n_vbs;       /* varbinds the request carries */
  uint32_t slot;        /* index in the parent's merge slots */
  uint16_t comm_off, comm_len; /* community inside msg (v1/v2c) */
  uint8_t state;        /* usnmp__req_state */
  uint8_t type;         /* usnmp_pdu_type (low byte) */
  uint8_t version;      /* usnmp_version */
  uint8_t holds_target_slot;
  uint8_t holds_manager_slot;
  uint8_t txq_slot;     /* 1 + index in the manager's send batch, 0 = none */
  uint8_t sends;        /* datagrams sent so far (saturates at 255) */
  uint8_t v3;           /* SNMPv3 state bits, USNMP__V3R_* */
  uint8_t ordered;      /* order.c: 0 unknown to it, 1 let go, 2 held */
  /* SNMPv3: the request in clear (context header and a v2c-encoded PDU,
   * see manager_v3.c), from which every wire message of the request is
   * encoded (after discovery, re-synchronisation or a tooBig split). */
  uint8_t *plain;
  uint32_t plain_len;
  uint32_t handle; /* 1 + its slot in m->handles while handed out, or 0 */
  /* m->unreadable_seq when the request was sent first: unreadable
   * datagrams from its target after that turn its timeout into
   * USNMP_E_UNREADABLE_REPLY. */
  uint32_t unreadable_mark;
  uint8_t inline_msg[USNMP__INLINE_MSG];
};

/* A slot of the manager's handle table (usnmp_request_ref): the request
 * it names, or none; gen counts the requests it named, so a handle of an
 * earlier one no longer matches.  Free slots chain through next_free. */
typedef struct usnmp__handle_slot {
  usnmp_request *r;
  uint32_t gen;
  uint32_t next_free;
} usnmp__handle_slot;

typedef struct usnmp__resolve usnmp__resolve;

struct addrinfo;
/* A name resolver with getaddrinfo()'s contract (returns 0 or an EAI_*
 * code; *res is freed with freeaddrinfo()).  It runs on libuv's thread
 * pool.  The manager uses usnmp__default_resolver (getaddrinfo) unless
 * tests install another with usnmp__manager_set_resolver. */
typedef int (*usnmp__resolver_fn)(const char *host,
                                  const struct addrinfo *hints,
                                  struct addrinfo **res, void *arg);
int usnmp__default_resolver(const char *host, const struct addrinfo *hints,
                            struct addrinfo **res, void *arg);

struct usnmp_target {
  usnmp_manager *m;
  usnmp__link mlink;    /* manager's targets */
  usnmp__link requests; /* top-level requests not yet completed */
  usnmp__link queue;    /* WAIT_TARGET requests, FIFO */
  char *agent;
  char *community;
  char *write_community; /* NULL: the community */
  void *data;
  usnmp__resolve *resolving; /* pending lookup, or NULL */
  struct sockaddr_storage addr;
  int resolve_status;        /* 0 resolved, 1 resolving, < 0 failed */
  /* 0 live; 1 usnmp_target_free() runs; 2 to be destroyed once busy is 0.
   * busy counts loops over the target that run callbacks. */
  int freeing;
  uint32_t busy;
  usnmp_version version;
  uint32_t timeout_ms;
  uint32_t resend_ms;
  int32_t retries;
  double backoff;
  uint32_t max_oids;
  uint32_t max_inflight;
  uint32_t inflight; /* slots held (WAIT_MANAGER + INFLIGHT) */
  /* SNMPv3: the security state (user, keys, the agent's engine), NULL
   * until a v3 setter runs; and the request whose message is the engine
   * discovery probe while the engine is unknown (the target's other
   * requests wait for it), or NULL. */
  usnmp__usm_target *usm;
  usnmp_request *probe;
  /* Notifications (notify_send.c): the user's keys localised to the
   * manager's own engine, for v3 traps (the sender is authoritative);
   * NULL until the first v3 trap. */
  usnmp__usm_target *trap_usm;
  uint16_t default_port; /* for an agent string without a port */
  /* GET/SET ordering (order.c): the mode, the requests it let go and
   * that have not completed, and those it holds (their qlink), FIFO. */
  uint8_t ordering;        /* usnmp_ordering */
  uint8_t order_write_active;
  uint32_t order_reads;
  usnmp__link order_writes;
  usnmp__link order_held_reads;
};

/* One UDP handle of the manager. */
typedef struct usnmp__udp {
  uv_udp_t handle;
  /* 0 not opened, 1 open, 2 closed with the manager, 3 closing after a
   * failed open. */
  int state;
} usnmp__udp;

struct usnmp_manager {
  uv_loop_t *loop;
  usnmp_allocator alloc;
  usnmp__udp udp4, udp6;
  uv_timer_t sentinel; /* guarantees one close callback at close */
  /* The send batch: datagrams queued during one loop iteration go out
   * together with sendmmsg() from the prepare (before polling) or check
   * (after the I/O callbacks) phase.  Both handles are unreferenced. */
  uv_prepare_t flush_prepare;
  uv_check_t flush_check;
  int flush_handles; /* 1 once the two handles are initialised */
  usnmp_request *txq[USNMP__TXQ];
  uint32_t txq_count;
  const usnmp__msgproc *procs[4];
  /* Request-id table: open addressing, linear probing, backward-shift
   * deletion, at most half full. */
  usnmp_request **table;
  uint32_t table_mask;
  uint32_t table_count;
  uint32_t id_pool[USNMP__ID_POOL];
  uint32_t id_pool_left;
  usnmp__link targets;
  usnmp__link queue;     /* WAIT_MANAGER requests, FIFO */
  usnmp__link free_reqs; /* recycled requests, timers initialised */
  uint32_t free_count;
  uint32_t max_inflight;
  uint32_t inflight;
  uint32_t queued;
  int sockbuf;
  int sockbuf_force; /* usnmp_manager_set_socket_buffer_force() */
  uint8_t *recv_buf; /* USNMP__RECV_CHUNKS * USNMP__RECV_CHUNK */
  usnmp_varbind *rx_vbs; /* USNMP_MAX_VARBINDS: decoded replies */
  usnmp_varbind *tx_vbs; /* USNMP_MAX_VARBINDS: requests being encoded */
  uint8_t *tx_oids;      /* USNMP_MAX_MSG_SIZE: BER names being encoded */
  uint8_t *tx_msg;       /* USNMP_MAX_MSG_SIZE: the message being encoded */
  usnmp_stats stats;
  /* SNMPv3, created with the first v3 setter on one of the manager's
   * targets: the crypto object (key cache included) and the buffer that
   * decrypted replies are decoded from (valid during their callback). */
  usnmp__crypto *crypto;
  uint8_t *v3_scratch;
  size_t v3_scratch_dirty; /* bytes of v3_scratch that may hold plaintext */
  int closing;
  /* 1: refuse replies that need tolerance (usnmp_manager_set_strict). */
  int strict;
  /* Sources of the last USNMP__UNREADABLE_RING datagrams that could not
   * be read, in a ring, each with its sequence number (unreadable_seq
   * counts them all).  A bounded record: a flood of them only makes a
   * timeout a plain USNMP_E_TIMEOUT again, and none ends a request. */
  struct {
    struct sockaddr_storage from;
    uint32_t seq;
  } unreadable[USNMP__UNREADABLE_RING];
  uint32_t unreadable_seq;
  /* Handles not yet closed plus getaddrinfo requests not yet called back;
   * memory goes when it reaches 0 after close. */
  uint32_t open_handles;
  void (*close_cb)(void *arg);
  void *close_arg;
  /* Notifications (notify_send.c): the manager's own SNMPv3 engine, as
   * the authoritative sender of v3 traps; NULL until first needed. */
  struct usnmp__local_engine *local_engine;
  /* Pull walks: wakes a uv_run in progress on the caller's loop (see
   * usnmp__manager_wake); made by the first usnmp_walk_open(). */
  uv_async_t wake;
  int wake_open;
  /* Name resolution: the resolver (NULL: getaddrinfo) and the lookups
   * still on the thread pool (also counted in open_handles). */
  usnmp__resolver_fn resolver;
  void *resolver_arg;
  uint32_t resolutions;
  /* Handles given out by the starting calls (see usnmp_cancel): slots
   * are reused, never freed before the manager. */
  usnmp__handle_slot *handles;
  uint32_t handles_cap;
  uint32_t handles_free; /* first free slot, or UINT32_MAX */
  /* usnmp_manager_set_trace(): NULL when off, which costs one test per
   * datagram. */
  usnmp_trace_cb trace_cb;
  void *trace_arg;
};

/* ------------------------------------------------------------------------
 * Internal functions (manager.c)
 * ------------------------------------------------------------------------ */

void *usnmp__malloc(usnmp_manager *m, size_t size);
void usnmp__free(usnmp_manager *m, void *ptr);

/* The usnmp_walk_opts flags this version knows; walks and tables refuse
 * others, as requests do (USNMP__OPT_KNOWN). */
#define USNMP__WALK_KNOWN                                                      \
  (USNMP_WALK_ALLOW_NOT_INCREASING | USNMP_WALK_INCLUDE_ROOT |                 \
   USNMP_WALK_NO_ROOT_GET | USNMP_WALK_DELIVER_EXCEPTIONS |                    \
   USNMP_WALK_FIXED_REPETITIONS | USNMP_WALK_END_OID)

/* The usnmp_request_opts flags this version knows.  A flag it does not
 * know may guard a field its struct lacks (see "ABI" in usnmp.h), so a
 * request naming one is refused (USNMP_E_INVAL). */
#define USNMP__OPT_KNOWN                                                       \
  (USNMP_OPT_TIMEOUT | USNMP_OPT_RESEND | USNMP_OPT_RETRIES |                  \
   USNMP_OPT_BACKOFF | USNMP_OPT_COMMUNITY | USNMP_OPT_CONTEXT)

/* Copies the fields of *src that its flags name into *dst (the others
 * zero), never reading a field src's flags do not name, and a copy of its
 * community into *community (from m's allocator; the caller frees it), to
 * which dst->community then points.  For walks and tables, which keep the
 * options for each of their requests.  Returns 0, USNMP_E_INVAL (a flag
 * outside USNMP__OPT_KNOWN) or USNMP_E_NOMEM. */
int usnmp__request_opts_copy(usnmp_manager *m, usnmp_request_opts *dst,
                             char **community, const usnmp_request_opts *src);

/* Starts a request of any type from varbinds whose names are BER already
 * (values are ignored except for SET).  This is the entry the walk layer
 * uses to ask with names it received (no round trip through usnmp_oid).
 * bulk_nr / bulk_mr are GetBulk's non-repeaters and max-repetitions.
 * Same returns and callback rules as usnmp_get(). */
int usnmp__request_start(usnmp_target *t, usnmp_pdu_type type,
                         const usnmp_varbind *vbs, size_t n, int32_t bulk_nr,
                         int32_t bulk_mr, const usnmp_request_opts *opts,
                         usnmp_response_cb cb, void *arg,
                         usnmp_request **out);

/* Returns 0 when t may still start requests, else the status a walk or a
 * table on t ends with: USNMP_E_CLOSED when the manager is closing,
 * USNMP_E_CANCELLED when t is being freed.  A request's callback may call
 * it after freeing t or closing the manager: the manager holds t until the
 * callback returns. */
static inline int usnmp__target_gone(const usnmp_target *t) {
  if (t->m->closing)
    return USNMP_E_CLOSED;
  return t->freeing ? USNMP_E_CANCELLED : 0;
}

/* usnmp_target_new() with the port used when agent names none (the
 * blocking layer's own default port).  Same returns. */
int usnmp__target_new_port(usnmp_manager *m, usnmp_target **out,
                           const char *agent, uint16_t default_port);

/* Makes m's wake handle (an unreferenced uv_async_t) if it has none.
 * Returns 0 or a libuv code. */
int usnmp__manager_wake_init(usnmp_manager *m);

/* Makes a uv_run of m's loop that is about to poll, or polling, return
 * without stopping the loop: a pull walk whose answer arrived from a timer
 * that ran before the poll uses it, where it must not uv_stop() a loop it
 * does not own.  Does nothing before usnmp__manager_wake_init() or once m
 * is closing (its closing handles keep the poll from blocking then). */
void usnmp__manager_wake(usnmp_manager *m);

/* Cancels r (in flight, queued or deferred; not a child), as
 * usnmp_cancel() does for a handle.  Returns 0 or USNMP_E_INVAL when r
 * already completed.  Walks and tables use it on the request they hold. */
int usnmp__cancel(usnmp_request *r);

/* Called by the transport for each datagram received. */
void usnmp__manager_on_datagram(usnmp_manager *m, const uint8_t *data,
                                size_t len, const struct sockaddr *from,
                                int partial);

/* Called by the transport when a target's resolution ends (status 0 with
 * the address stored in t->addr, or a negative code). */
void usnmp__target_resolved(usnmp_target *t, int status);

/* Called when a handle or a getaddrinfo request of m has finished closing:
 * frees the manager once nothing is left. */
void usnmp__manager_handle_closed(usnmp_manager *m);

/* Returns the number of requests in the id table (tests). */
uint32_t usnmp__manager_pending(const usnmp_manager *m);

/* ------------------------------------------------------------------------
 * SNMPv3 message processing (manager_v3.c)
 * ------------------------------------------------------------------------ */

/* usnmp_request.v3 bits. */
#define USNMP__V3R_PROBE 0x01u       /* r->msg is the discovery probe */
#define USNMP__V3R_ENGINE_RETRY 0x02u /* resent after an unknownEngineID */
#define USNMP__V3R_TIME_RETRY 0x04u  /* resent after notInTimeWindow */
#define USNMP__V3R_AUTH_FAILED 0x08u /* a reply failed authentication */

/* The v3 model, installed on a manager by its first v3 setter. */
extern const usnmp__msgproc usnmp__v3_proc;

/* Called for a v3 request about to leave its target's queue: returns 1
 * when it may go (the engine is known, or it becomes the target's
 * discovery probe), 0 when it must wait for the probe in flight. */
int usnmp__v3_may_send(usnmp_request *r);

/* Builds the datagram of a v3 request that is about to be sent, with its
 * current id as msgID: the discovery probe while the engine is unknown,
 * else the request at the target's level, from r->plain.  Returns 0, or
 * a negative code that ends the request (USNMP_E_TOOBIG when it exceeds
 * the agent's msgMaxSize, USNMP_E_NOMEM, ...). */
int usnmp__v3_launch(usnmp_request *r);

/* Finds the v2c-encoded PDU inside r->plain (for a tooBig split) and
 * r's own context, if it has one (*has_context). */
void usnmp__v3_plain(const usnmp_request *r, const uint8_t **msg,
                     size_t *len, usnmp__msg3_context *context,
                     int *has_context);

/* OPENSSL_cleanse: overwrites len bytes at p in a way the compiler
 * cannot drop as a dead store. */
void usnmp__v3_wipe(void *p, size_t len);

/* Wipes (OPENSSL_cleanse) and frees r->plain; nothing without one. */
void usnmp__v3_plain_free(usnmp_request *r);

/* Wipes what a decrypted reply left in m->v3_scratch (nothing when it
 * is clean: one compare). */
void usnmp__v3_scratch_wipe(usnmp_manager *m);

/* Wipes and frees the target's v3 state. */
void usnmp__v3_target_free(usnmp_target *t);

/* Frees the manager's v3 state. */
void usnmp__v3_manager_free(usnmp_manager *m);

/* ------------------------------------------------------------------------
 * Transport (transport.c)
 * ------------------------------------------------------------------------ */

/* Parses an agent string (see usnmp_target_new()).  On success returns 0
 * and either stores a numeric address in *addr (*host_out = NULL), or
 * stores the host name to resolve, NUL-terminated in host[0..host_size),
 * in *host_out with the port in *addr's port field, the family wanted in
 * *family (AF_UNSPEC, AF_INET or AF_INET6).  Returns USNMP_E_INVAL on a
 * syntax error. */
int usnmp__agent_parse(const char *agent, struct sockaddr_storage *addr,
                       char *host, size_t host_size, const char **host_out,
                       int *family);

/* The same with the port to use when the string names none (the
 * blocking layer's usnmp_sync_set_port; usnmp__agent_parse uses 161).
 * One parser for both layers, so "udp6:::1" and "h" get the default port
 * the same way. */
int usnmp__agent_parse_port(const char *agent, uint16_t default_port,
                            struct sockaddr_storage *addr, char *host,
                            size_t host_size, const char **host_out,
                            int *family);

/* Installs the resolver of m's later lookups (NULL: getaddrinfo); for
 * tests that need a resolver that hangs or fails. */
void usnmp__manager_set_resolver(usnmp_manager *m, usnmp__resolver_fn fn,
                                 void *arg);

/* Starts resolving host for t on the thread pool (uv_queue_work running
 * m's resolver); usnmp__target_resolved()
 * is called later.  Returns 0 or a negative code (nothing started). */
int usnmp__resolve_start(usnmp_target *t, const char *host, uint16_t port,
                         int family);

/* Detaches t from its pending resolution (t is going away) and cancels it
 * when libuv still can; the request's callback frees it later. */
void usnmp__resolve_abandon(usnmp_target *t);

/* Sends one datagram to addr on the handle of its family, opening that
 * handle first if needed.  Returns 0 or a negative code (the datagram was
 * not sent). */
int usnmp__transport_send(usnmp_manager *m, const struct sockaddr *addr,
                          const uint8_t *data, size_t len);
/* Shows one datagram to the trace callback (m->trace_cb not NULL). */
void usnmp__transport_trace(usnmp_manager *m, int sent, const uint8_t *data,
                            size_t len, const struct sockaddr *peer);

/* Queues r's message for the send batch of this loop iteration (opening
 * the socket of its family first if needed).  The batch goes out before
 * the loop next blocks; usnmp__request_flushed() then reports each
 * datagram.  A request already queued stays queued once.  Returns 0 or a
 * negative code (socket open failure: nothing queued). */
int usnmp__transport_queue(usnmp_manager *m, usnmp_request *r);

/* Takes r out of the send batch (it completed before the batch went). */
void usnmp__transport_unqueue(usnmp_manager *m, usnmp_request *r);

/* Called by the transport for each datagram of the batch: status 0 when
 * sent, else the send error.  Runs no user callback. */
void usnmp__request_flushed(usnmp_request *r, int status);

/* Starts closing the UDP handles (receiving stops at once). */
void usnmp__transport_close(usnmp_manager *m);

/* Returns the socket of the family's handle, or -1 when not open
 * (tests check the socket buffer sizes with it). */
int usnmp__transport_fd(const usnmp_manager *m, int family);

/* Returns 1 when the platform can raise socket buffers past the system's
 * limit (Linux's SO_RCVBUFFORCE and SO_SNDBUFFORCE), else 0. */
int usnmp__transport_can_force(void);

/* Sets a socket's SO_RCVBUF and SO_SNDBUF to bytes, with force (Linux's
 * SO_*BUFFORCE first) when asked; failures leave the default buffers.
 * The manager's sockets and the notification receiver's use it. */
void usnmp__socket_set_buffers(int fd, int bytes, int force);

/* Returns 1 when a and b hold the same family, address and port. */
int usnmp__sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* Copies a struct the library fills (src, src_size bytes) into the
 * caller's (dst, dst_size bytes, the sizeof of the caller's header): as
 * much as both have, and zeroes where the caller's is longer.  Such
 * structs only ever grow at the end, so each side reads and writes only
 * the fields it knows. */
static inline void usnmp__copy_out(void *dst, size_t dst_size,
                                   const void *src, size_t src_size) {
  size_t n = dst_size < src_size ? dst_size : src_size;
  memcpy(dst, src, n);
  if (dst_size > n)
    memset((uint8_t *)dst + n, 0, dst_size - n);
}

#endif /* USNMP_MANAGER_INT_H */
