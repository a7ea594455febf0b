/*
 * The async manager's internals, shared by the files of the request
 * engine and the layers built on it.  Who calls whom (downward only;
 * upward only through the callbacks registered in usnmp__msgproc,
 * usnmp__transport_ops and a request's r->cb; tools/check-layers.py
 * fails the build's tests on any circle of calls or includes):
 *
 *   walk.c, table.c, sync.c   iterators and the blocking layer
 *   manager.c                 the manager's life and settings, receiving
 *                             (dispatch to the models, judging, tooBig),
 *                             freeing a target
 *   start.c                   starting requests; get/getnext/getbulk/set,
 *                             cancel
 *   resolve.c                 a target's name lookup and its waiters
 *   merge.c                   split requests: children answer their
 *                             parent through r->cb; merging; tooBig
 *   schedule.c                queues, flow control, timers, resends,
 *                             completion (usnmp__request_complete)
 *   target.c                  a target's settings, making and destroying
 *   build.c, reply.c          encoding and splitting into datagrams;
 *                             judging a reply against its question
 *   request.c, order.c        request structs, the manager's end; the
 *                             writer-preferred ordering's bookkeeping
 *   handle.{h,c}, reqid.{h,c} request handles; request-ids and id table
 *   community.c, manager_v3.c the message models (usnmp__msgproc)
 *   transport.c               datagrams, sockets, name lookups
 *   varbinds.{h,c}, alloc.{h,c} copies of varbinds; memory
 *
 * Objects and who owns what:
 *
 *   usnmp_manager   one per uv loop.  Owns its transport (the UDP
 *                   handles, one per address family, opened on first use,
 *                   and the receive buffer), the request-id table, the
 *                   encode/decode scratch, the free list of requests and
 *                   the list of targets.
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
 * community model (community.c) and the SNMPv3 model (manager_v3.c,
 * installed by the first v3 setter); the manager names neither's
 * functions.  The manager draws one id per datagram request (r->id,
 * unique among pending requests, the key of the id table) and hands it
 * to encode() as pdu->request_id; a v3 model uses it as the msgID as well
 * (or as the msgID only), and its decode() stores in in->key the id a
 * reply carries in clear, so the reply is matched to its request before
 * any cryptography runs.  Per-request security state that accept() needs
 * is recorded by encode() in the request (the community model records
 * where its community sits in r->msg).
 *
 * A model that builds its datagrams at send time (SNMPv3: the request is
 * kept in clear in r->plain) fills in the optional hooks, each behind a
 * test that costs v1/v2c one compare (r->plain != NULL): may_send() in
 * pump() (while a target's engine is unknown, its requests wait for the
 * one that probes, t->probe), launch() before each send, plain() for a
 * tooBig split and the answer check, plain_free(), gate_failed(),
 * request_context(), target_free() and manager_free(); and accept()
 * results beyond drop/accept: USNMP__RETRY (send again with a new id
 * after discovery or re-synchronisation), USNMP__FAIL (a report) and
 * USNMP__DROP_AUTH.
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

#include "alloc.h"
#include "usm.h"
#include "usnmp.h"

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
 * on_child_answer in merge.c): 4 MiB. */
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
  /* SNMPv3: the request's own context (USNMP_REQUEST_CONTEXT), or NULL for
   * the target's. */
  const usnmp__msg3_context *context;
} usnmp__pdu;

/* Fills msg's PDU header (type, request-id, error fields) and community
 * from pdu, and the version; every other field zero. */
static inline void usnmp__pdu_to_msg(usnmp_msg *msg, const usnmp__pdu *pdu,
                                     usnmp_version version) {
  memset(msg, 0, sizeof *msg);
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
   * send it (the model's launch() builds the new message). */
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

  /* The hooks below are optional: the community model has none (NULL), and
   * each costs the v1/v2c path one test.  A security model that keeps
   * state per request, target or manager (SNMPv3) fills them in, so the
   * manager never names it. */

  /* Whether r may leave its target's queue now: 0 while it must wait for
   * the target's gate request (t->probe: SNMPv3 engine discovery), 1 when
   * it may go (it may become the gate itself). */
  int (*may_send)(usnmp_request *r);
  /* Builds the datagram of r (r->msg) just before it is sent, with r's
   * current id.  Returns 0, or a negative code that ends r. */
  int (*launch)(usnmp_request *r);
  /* r, the gate of its target, ended with an error: returns 1 when the
   * requests that wait behind it must fail with the same status (the
   * gate's work is still undone), 0 otherwise. */
  int (*gate_failed)(usnmp_request *r);
  /* The request in clear: a v2c-encoded message (*msg, *len) to split
   * after a tooBig or to compare a reply with, and its own context, if
   * it has one (*has_context).  Called only when r->plain is set. */
  void (*plain)(const usnmp_request *r, const uint8_t **msg, size_t *len,
                usnmp__msg3_context *context, int *has_context);
  /* Releases (and wipes) r->plain. */
  void (*plain_free)(usnmp_request *r);
  /* Fills *ctx with the context of a request started with
   * USNMP_REQUEST_CONTEXT: opts's fields, else the target's. */
  void (*request_context)(const usnmp_target *t, const usnmp_request_opts *opts,
                          usnmp__msg3_context *ctx);
  /* Releases (and wipes) the model's state of a target being destroyed,
   * and of the manager being freed. */
  void (*target_free)(usnmp_target *t);
  void (*manager_free)(usnmp_manager *m);
} usnmp__msgproc;

/* Test hook (lib/test_hooks.c, linked into the tests only): installs the
 * message processing model for a wire version (0, 1 or 3); NULL removes
 * it.  Returns 0 or USNMP_E_INVAL. */
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
  size_t bytes;       /* held by the slots' copies, at most USNMP__MERGE_MAX */
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
  uint32_t n_vbs;              /* varbinds the request carries */
  uint32_t slot;               /* index in the parent's merge slots */
  uint16_t comm_off, comm_len; /* community inside msg (v1/v2c) */
  uint8_t state;               /* usnmp__req_state */
  uint8_t type;                /* usnmp_pdu_type (low byte) */
  uint8_t version;             /* usnmp_version */
  uint8_t holds_target_slot;
  uint8_t holds_manager_slot;
  uint8_t txq_slot; /* 1 + index in the manager's send batch, 0 = none */
  uint8_t sends;    /* datagrams sent so far (saturates at 255) */
  uint8_t v3;       /* SNMPv3 state bits, USNMP__V3R_* */
  uint8_t ordered;  /* order.c: 0 unknown to it, 1 let go, 2 held */
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
  int resolve_status; /* 0 resolved, 1 resolving, < 0 failed */
  /* 0 live; 1 usnmp_target_close() runs; 2 to be destroyed once busy is 0.
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
  uint8_t ordering; /* usnmp_ordering */
  uint8_t order_write_active;
  uint32_t order_reads;
  usnmp__link order_writes;
  usnmp__link order_held_reads;
};

/* One UDP handle of the transport. */
typedef struct usnmp__udp {
  uv_udp_t handle;
  /* 0 not opened, 1 open, 2 closed with the manager, 3 closing after a
   * failed open. */
  int state;
} usnmp__udp;

/* A datagram handed to the transport: where to, the bytes, and the
 * sender's token, which comes back in usnmp__transport_ops.sent().  The
 * address and the bytes stay valid until then (the manager's are a
 * request's message and its target's address). */
typedef struct usnmp__dgram {
  const struct sockaddr *to;
  const uint8_t *data;
  size_t len;  /* size_t: no padding, which a copy would carry undefined */
  void *token; /* NULL: taken back (usnmp__transport_unqueue) */
} usnmp__dgram;

/* What the transport calls, registered by its owner (the manager) in
 * usnmp__transport_init(): the only way calls go up from it. */
typedef struct usnmp__transport_ops {
  /* A datagram arrived (partial: it was cut to the buffer). */
  void (*received)(void *owner, const uint8_t *data, size_t len,
                   const struct sockaddr *from, int partial);
  /* A queued datagram went out (status 0) or failed; token NULL: a copy
   * libuv had queued failed later (the sender is long gone: count it).
   * Must not queue: the batch is being sent. */
  void (*sent)(void *owner, void *token, int status);
  /* A lookup of usnmp__resolve_start() ended: status 0 and the address
   * (port set), or a negative code and NULL.  Not called for a lookup
   * given up with usnmp__resolve_abandon(). */
  void (*resolved)(void *owner, void *token, int status,
                   const struct sockaddr *addr);
  /* A handle or a lookup of the transport finished closing: one of those
   * counted in *handles. */
  void (*closed)(void *owner);
} usnmp__transport_ops;

/* The transport: UDP handles (one per address family, opened on first
 * use), the send batch, the receive buffer and name lookups.  It knows
 * datagrams and addresses, never requests or targets. */
typedef struct usnmp__transport {
  uv_loop_t *loop;
  const usnmp_allocator *alloc;
  const usnmp__transport_ops *ops;
  void *owner;
  /* The owner's count of open handles: raised for each handle or lookup
   * the transport opens, lowered by the owner in ops->closed(). */
  uint32_t *handles;
  usnmp__udp udp4, udp6;
  /* The send batch: datagrams queued during one loop iteration go out
   * together with sendmmsg() from the prepare (before polling) or check
   * (after the I/O callbacks) phase.  Both handles are unreferenced. */
  uv_prepare_t flush_prepare;
  uv_check_t flush_check;
  int flush_handles; /* 1 once the two handles are initialised */
  int closed;        /* usnmp__transport_close() ran */
  uint32_t txq_count;
  usnmp__dgram txq[USNMP__TXQ];
  uint8_t *recv_buf; /* USNMP__RECV_CHUNKS * USNMP__RECV_CHUNK */
  int sockbuf;
  int sockbuf_force; /* usnmp_manager_set_socket_buffer_force() */
  /* Name resolution: the resolver (NULL: getaddrinfo) and the lookups
   * still on the thread pool (also counted in *handles). */
  usnmp__resolver_fn resolver;
  void *resolver_arg;
  uint32_t resolutions;
  /* usnmp_manager_set_trace(): NULL when off, which costs one test per
   * datagram. */
  usnmp_trace_cb trace_cb;
  void *trace_arg;
} usnmp__transport;

struct usnmp_manager {
  uv_loop_t *loop;
  usnmp_allocator alloc;
  uv_timer_t sentinel; /* guarantees one close callback at close */
  usnmp__transport tp;
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
  /* Registered by the notification sender once it keeps state of its own
   * on targets or on the manager, so the engine frees it without naming
   * the sender (calls go downward only; upward through registered
   * callbacks): called as a target is destroyed and as the manager's
   * memory goes.  NULL until then. */
  void (*ext_target_free)(usnmp_target *t);
  void (*ext_manager_free)(usnmp_manager *m);
  /* Pull walks: wakes a uv_run in progress on the caller's loop (see
   * usnmp__manager_wake); made by the first usnmp_walk_init(). */
  uv_async_t wake;
  int wake_open;
  /* Handles given out by the starting calls (see usnmp_cancel): slots
   * are reused, never freed before the manager. */
  usnmp__handle_slot *handles;
  uint32_t handles_cap;
  uint32_t handles_free; /* first free slot, or UINT32_MAX */
};

/* ------------------------------------------------------------------------
 * Internal functions of the engine (the files drawn above)
 * ------------------------------------------------------------------------ */

/* The manager's allocation, through its hook (alloc.h). */
static inline void *usnmp__malloc(usnmp_manager *m, size_t size) {
  return usnmp__alloc(&m->alloc, size);
}
static inline void usnmp__free(usnmp_manager *m, void *ptr) {
  usnmp__dealloc(&m->alloc, ptr);
}

/* ---- request structs (request.c) ---- */

/* Takes a request struct from m's free list, or allocates one with its
 * timer; zeroed, lists empty, its message inline.  Returns NULL when out
 * of memory. */
usnmp_request *usnmp__req_alloc(usnmp_manager *m);

/* Returns r's memory to the free list (or closes its timer when the
 * manager is closing or the list is long enough), wiping what its model
 * or its merge kept. */
void usnmp__req_release(usnmp_request *r);

/* Takes r out of the id table, the send batch, its queue and its timer,
 * and gives back its slots.  A parent's children go too, silently.
 * Leaves r->tlink alone. */
void usnmp__req_unlink(usnmp_request *r);

/* Frees a request tree that never started (a failed build): no
 * callback. */
void usnmp__req_discard(usnmp_request *r);

/* Closes the timers of the requests in m's free list (the manager is
 * closing); their memory goes in their close callbacks. */
void usnmp__req_close_free(usnmp_manager *m);

/* A handle or a name lookup of m finished closing: m's memory goes once
 * nothing is left after close. */
void usnmp__manager_handle_closed(usnmp_manager *m);

/* ---- a target's memory (target.c) ---- */

/* Frees t: its lookup, each model's state for it, its strings.  Its
 * requests must have ended. */
void usnmp__target_destroy(usnmp_target *t);

/* Holds t across code that runs callbacks: usnmp_target_close() from one
 * only marks t, and the last unhold destroys it. */
static inline void usnmp__target_hold(usnmp_target *t) { t->busy++; }
static inline void usnmp__target_unhold(usnmp_target *t) {
  if (--t->busy == 0 && t->freeing == 2)
    usnmp__target_destroy(t);
}

/* ---- the schedule: queues, flow control, timers (schedule.c) ---- */

/* Ends r with status from a zero timer (state DEFERRED): where a callback
 * must not run at once. */
void usnmp__req_defer(usnmp_request *r, int status);

/* Moves waiting requests forward: those holding a target slot and waiting
 * for the manager's cap, then t's own queue (t may be NULL). */
void usnmp__pump(usnmp_manager *m, usnmp_target *t);

/* Queues the leaves of a freshly built request tree on their target. */
void usnmp__enqueue_tree(usnmp_request *r);

/* Arms the overall timeout of r's leaves that still wait in a queue. */
void usnmp__arm_queued(usnmp_request *r, uint64_t now);

/* The one way out of a request: takes it out of every structure, calls
 * r->cb (a child's is its parent's merge, merge.c) with the target held,
 * then recycles r.  answer is NULL when status is not 0. */
void usnmp__request_complete(usnmp_request *r, int status,
                             const usnmp_response *answer);

/* The model asked for USNMP__RETRY: sends r again with a new id and a
 * fresh schedule. */
void usnmp__request_resend(usnmp_request *r);

/* The transport's sent() hook (usnmp__transport_ops). */
void usnmp__request_sent(void *owner, void *token, int status);

/* ---- split requests (merge.c) ---- */

/* Makes every child in r's tree answer its parent through the merge.
 * Called once a tree is built, before it is queued. */
void usnmp__merge_adopt(usnmp_request *r);

/* r (in flight, several varbinds) was answered tooBig: asks again in two
 * halves, or ends r when it cannot. */
void usnmp__merge_toobig(usnmp_request *r);

/* ---- a target's address (resolve.c) ---- */

/* (Re)starts resolving t's host name; when it cannot even start, the
 * waiting requests end with USNMP_E_RESOLVE from zero timers. */
void usnmp__target_resolve(usnmp_target *t);

/* The transport's resolved() hook (usnmp__transport_ops). */
void usnmp__target_resolved(void *owner, void *token, int status,
                            const struct sockaddr *addr);

/* ---- building datagrams (build.c) ---- */

/* Encodes r with n varbinds, splitting it into sub-requests of at most
 * chunk varbinds, and halving any part that cannot fit in a datagram.
 * Returns 0, USNMP_E_TOO_BIG (one varbind, or a GETBULK, that cannot fit),
 * USNMP_E_NOMEM or the model's error. */
int usnmp__req_build(usnmp_request *r, const usnmp__pdu *tmpl,
                     const usnmp_varbind *vbs, size_t n, size_t chunk);

/* Makes p the parent of sub-requests of at most chunk varbinds each
 * (built with usnmp__req_build()).  Same returns. */
int usnmp__req_split(usnmp_request *p, const usnmp__pdu *tmpl,
                     const usnmp_varbind *vbs, size_t n, size_t chunk);

/* ---- judging replies (reply.c; the answer check is inline in reply.h) */

/* Puts the names and OID values of a reply whose OIDs came padded in
 * their minimal form, in place (the manager's own buffers). */
void usnmp__reply_canon_oids(usnmp__inbound *in);

/* Counts what an accepted reply needed of the tolerant reader, by kind. */
void usnmp__reply_note_tolerated(usnmp_manager *m, const usnmp__inbound *in);

/* A datagram from `from` could not be read (rc says why): counts it and
 * remembers its source for requests that time out. */
void usnmp__unreadable_note(usnmp_manager *m, const struct sockaddr *from,
                            int rc);

/* Returns 1 when a datagram from r's target could not be read since r was
 * sent first. */
int usnmp__unreadable_since(const usnmp_request *r);

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
  (USNMP_REQUEST_TIMEOUT | USNMP_REQUEST_RESEND | USNMP_REQUEST_RETRIES |      \
   USNMP_REQUEST_BACKOFF | USNMP_REQUEST_COMMUNITY | USNMP_REQUEST_CONTEXT)

/* Starts a request of any type from varbinds whose names are BER already
 * (values are ignored except for SET).  This is the entry the walk layer
 * uses to ask with names it received (no round trip through usnmp_oid).
 * bulk_nr / bulk_mr are GetBulk's non-repeaters and max-repetitions.
 * Same returns and callback rules as usnmp_get(). */
int usnmp__request_start(usnmp_target *t, usnmp_pdu_type type,
                         const usnmp_varbind *vbs, size_t n, int32_t bulk_nr,
                         int32_t bulk_mr, const usnmp_request_opts *opts,
                         usnmp_response_cb cb, void *arg, usnmp_request **out);

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

/* usnmp_target_init() with the port used when agent names none (the
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

/* Test hook (lib/test_hooks.c, linked into the tests only): returns the
 * number of requests in the id table. */
uint32_t usnmp__manager_pending(const usnmp_manager *m);

/* ------------------------------------------------------------------------
 * SNMPv3 message processing (manager_v3.c)
 * ------------------------------------------------------------------------ */

/* usnmp_request.v3 bits. */
#define USNMP__V3R_PROBE 0x01u        /* r->msg is the discovery probe */
#define USNMP__V3R_ENGINE_RETRY 0x02u /* resent after an unknownEngineID */
#define USNMP__V3R_TIME_RETRY 0x04u   /* resent after notInTimeWindow */
#define USNMP__V3R_AUTH_FAILED 0x08u  /* a reply failed authentication */

/* The v1/v2c model (community.c), installed by usnmp_manager_init(). */
extern const usnmp__msgproc usnmp__community_proc;

/* The v3 model, installed on a manager by its first v3 setter.  The
 * manager reaches it only through this table. */
extern const usnmp__msgproc usnmp__v3_proc;

/* Overwrites len bytes at p in a way the compiler cannot drop as a dead
 * store (alloc.c; no OpenSSL needed, so the manager can wipe secrets the
 * models left in its buffers in a build without SNMPv3). */
void usnmp__wipe(void *p, size_t len);

/* ------------------------------------------------------------------------
 * Transport (transport.c)
 * ------------------------------------------------------------------------ */

/* Parses an agent string (see usnmp_target_init()).  On success returns 0
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

/* Test hook (lib/test_hooks.c, linked into the tests only): installs the
 * resolver of m's later lookups (NULL: getaddrinfo), for tests that need
 * a resolver that hangs or fails. */
void usnmp__manager_set_resolver(usnmp_manager *m, usnmp__resolver_fn fn,
                                 void *arg);

/* Sets up tp on loop for its owner: nothing opens before the first send
 * or lookup.  ops are called with owner; *handles counts what is open. */
void usnmp__transport_init(usnmp__transport *tp, uv_loop_t *loop,
                           const usnmp_allocator *alloc,
                           const usnmp__transport_ops *ops, void *owner,
                           uint32_t *handles);

/* Starts resolving host (port, family: AF_UNSPEC prefers IPv4) on the
 * thread pool with tp's resolver; ops->resolved(token) follows, unless
 * the lookup is abandoned.  Stores the lookup in *out.  Returns 0 or a
 * negative code (nothing started). */
int usnmp__resolve_start(usnmp__transport *tp, void *token, const char *host,
                         uint16_t port, int family, usnmp__resolve **out);

/* Gives up a lookup (its token is going away) and cancels it when libuv
 * still can; its memory goes when libuv calls it back. */
void usnmp__resolve_abandon(usnmp__resolve *rs);

/* Queues a datagram for the send batch of this loop iteration (opening
 * the socket of its family first if needed).  The batch goes out before
 * the loop next blocks; ops->sent() then reports each datagram.  slot is
 * what an earlier call returned for the same token while it is still
 * queued (the entry is replaced: a datagram goes once per batch), else
 * 0.  Returns the slot (1 to USNMP__TXQ), or a negative code (socket open
 * failure: nothing queued). */
int usnmp__transport_queue(usnmp__transport *tp, const usnmp__dgram *d,
                           uint32_t slot);

/* Sends one datagram at once, outside the batch (opening the socket of
 * its family first if needed), for a sender that keeps nothing to resend
 * (a trap): the trace callback sees it, and when the socket is full libuv
 * sends a copy later, so data may be reused or wiped on return.  Returns
 * 0 or a negative code (not sent); a queued copy that fails later comes
 * back as ops->sent() with token NULL.  Nothing else is reported. */
int usnmp__transport_send_now(usnmp__transport *tp, const struct sockaddr *to,
                              const uint8_t *data, size_t len);

/* Takes the datagram in slot out of the send batch (its sender completed
 * before the batch went). */
void usnmp__transport_unqueue(usnmp__transport *tp, uint32_t slot);

/* Shows one datagram to the trace callback (tp->trace_cb not NULL). */
void usnmp__transport_trace(usnmp__transport *tp, int sent, const uint8_t *data,
                            size_t len, const struct sockaddr *peer);

/* Starts closing the UDP handles (receiving stops at once) and the batch
 * handles; frees the receive buffer once all have closed (see
 * usnmp__transport_free). */
void usnmp__transport_close(usnmp__transport *tp);

/* Frees what the transport allocated (after its handles closed). */
void usnmp__transport_free(usnmp__transport *tp);

/* Test hook (lib/test_hooks.c, linked into the tests only): returns the
 * socket of the family's handle, or -1 when not open (tests check the
 * socket buffer sizes with it). */
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
static inline void usnmp__copy_out(void *dst, size_t dst_size, const void *src,
                                   size_t src_size) {
  size_t n = dst_size < src_size ? dst_size : src_size;
  memcpy(dst, src, n);
  if (dst_size > n)
    memset((uint8_t *)dst + n, 0, dst_size - n);
}

#endif /* USNMP_MANAGER_INT_H */
