/*
 * responder: a fast SNMP GetRequest responder for the benchmarks.
 *
 * It uses no usnmp code on purpose: the benchmark must measure the manager
 * against a peer whose cost is as small as we can make it, and a peer that
 * shares the library's codec would hide the codec's bugs.  It reads
 * datagrams in batches with recvmmsg(), turns each v1/v2c GetRequest into
 * a GetResponse by a hand-written transform of the request bytes, and
 * sends the batch back with one sendmmsg().
 *
 * The transform keeps version, community, request-id and every varbind
 * name, sets error-status and error-index to 0, changes the PDU tag from
 * GetRequest (0xA0) to Response (0xA2) and replaces each varbind's value
 * (normally NULL) by a fixed value.  Lengths change, so every enclosing
 * header is re-encoded with the minimal length form.
 *
 * Two ways to listen:
 *   --addr A --port P   one loopback address (port 0: the kernel picks one);
 *   --any --port P      every 127.x.y.z address on one socket: the socket is
 *                       bound to INADDR_ANY and to the loopback device, and
 *                       IP_PKTINFO tells each datagram's destination so the
 *                       answer leaves FROM that address (a manager checks
 *                       the source of every reply).
 *
 * The bound port is printed on stdout as "port N" once the socket is ready,
 * so a parent process can start us with port 0 and read it.  The responder
 * always ends by itself: after --seconds (default 60) or --max-packets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

enum {
  BATCH_MAX = 256,    /* datagrams per recvmmsg / sendmmsg */
  DGRAM_MAX = 2048,   /* larger requests are dropped */
  VARBINDS_MAX = 128, /* larger requests are dropped */
  REPLY_MAX = DGRAM_MAX + 4 * VARBINDS_MAX + 64
};

/* A bounded read position in a byte buffer. */
typedef struct slice {
  const uint8_t *p;
  size_t len;
} slice;

/* Reads one TLV with a one-byte tag from *s.  On success stores the tag,
 * points *body at the content, stores the whole TLV length in *tlv_len and
 * advances *s.  Returns 0, or -1 for anything malformed (lengths over two
 * bytes, indefinite lengths and overruns included). */
static int read_tlv(slice *s, uint8_t *tag, slice *body, size_t *tlv_len) {
  size_t n, hdr;

  if (s->len < 2)
    return -1;
  *tag = s->p[0];
  if ((*tag & 0x1f) == 0x1f)
    return -1;
  if (s->p[1] < 0x80) {
    n = s->p[1];
    hdr = 2;
  } else if (s->p[1] == 0x81) {
    if (s->len < 3)
      return -1;
    n = s->p[2];
    hdr = 3;
  } else if (s->p[1] == 0x82) {
    if (s->len < 4)
      return -1;
    n = ((size_t)s->p[2] << 8) | s->p[3];
    hdr = 4;
  } else {
    return -1;
  }
  if (n > s->len - hdr)
    return -1;
  body->p = s->p + hdr;
  body->len = n;
  *tlv_len = hdr + n;
  s->p += hdr + n;
  s->len -= hdr + n;
  return 0;
}

/* Returns the size of a header (tag and minimal length) for n content
 * bytes.  Our replies stay below 64 KiB, so three length forms suffice. */
static size_t header_size(size_t n) { return n < 0x80 ? 2 : n < 0x100 ? 3 : 4; }

/* Writes a tag and a minimal length at out; returns the bytes written. */
static size_t put_header(uint8_t *out, uint8_t tag, size_t n) {
  out[0] = tag;
  if (n < 0x80) {
    out[1] = (uint8_t)n;
    return 2;
  }
  if (n < 0x100) {
    out[1] = 0x81;
    out[2] = (uint8_t)n;
    return 3;
  }
  out[1] = 0x82;
  out[2] = (uint8_t)(n >> 8);
  out[3] = (uint8_t)n;
  return 4;
}

/* Turns the GetRequest in req into a Response in out (at least REPLY_MAX
 * bytes), every value replaced by the value TLV in value.  Returns the
 * reply's length, or 0 when the request is not a well-formed v1/v2c
 * GetRequest (it is then dropped). */
static size_t make_response(uint8_t *out, const uint8_t *req, size_t req_len,
                            const uint8_t *value, size_t value_len) {
  slice msg = {req, req_len}, body, ver, comm, pdu, rid, dummy, vbl, vb;
  slice names[VARBINDS_MAX];
  size_t tlv, ver_tlv, comm_tlv, rid_tlv, n_vb = 0, i;
  size_t vb_content[VARBINDS_MAX], vbl_content = 0, pdu_content, msg_content;
  uint8_t tag;
  uint8_t *w = out;

  if (read_tlv(&msg, &tag, &body, &tlv) || tag != 0x30 || msg.len != 0)
    return 0;
  ver.p = body.p;
  if (read_tlv(&body, &tag, &dummy, &ver_tlv) || tag != 0x02)
    return 0;
  comm.p = body.p;
  if (read_tlv(&body, &tag, &dummy, &comm_tlv) || tag != 0x04)
    return 0;
  if (read_tlv(&body, &tag, &pdu, &tlv) || tag != 0xA0 || body.len != 0)
    return 0;
  rid.p = pdu.p;
  if (read_tlv(&pdu, &tag, &dummy, &rid_tlv) || tag != 0x02)
    return 0;
  if (read_tlv(&pdu, &tag, &dummy, &tlv) || tag != 0x02) /* error-status */
    return 0;
  if (read_tlv(&pdu, &tag, &dummy, &tlv) || tag != 0x02) /* error-index */
    return 0;
  if (read_tlv(&pdu, &tag, &vbl, &tlv) || tag != 0x30 || pdu.len != 0)
    return 0;
  while (vbl.len > 0) {
    slice value_tlv;
    if (n_vb == VARBINDS_MAX)
      return 0;
    if (read_tlv(&vbl, &tag, &vb, &tlv) || tag != 0x30)
      return 0;
    names[n_vb].p = vb.p;
    if (read_tlv(&vb, &tag, &dummy, &names[n_vb].len) || tag != 0x06)
      return 0;
    if (read_tlv(&vb, &tag, &value_tlv, &tlv) || vb.len != 0)
      return 0;
    vb_content[n_vb] = names[n_vb].len + value_len;
    vbl_content += header_size(vb_content[n_vb]) + vb_content[n_vb];
    n_vb++;
  }
  /* request-id as received, then error-status 0 and error-index 0. */
  pdu_content = rid_tlv + 3 + 3 + header_size(vbl_content) + vbl_content;
  msg_content = ver_tlv + comm_tlv + header_size(pdu_content) + pdu_content;
  if (header_size(msg_content) + msg_content > REPLY_MAX ||
      msg_content > 0xffff)
    return 0;

  w += put_header(w, 0x30, msg_content);
  memcpy(w, ver.p, ver_tlv);
  w += ver_tlv;
  memcpy(w, comm.p, comm_tlv);
  w += comm_tlv;
  w += put_header(w, 0xA2, pdu_content);
  memcpy(w, rid.p, rid_tlv);
  w += rid_tlv;
  static const uint8_t zeros[6] = {0x02, 0x01, 0x00, 0x02, 0x01, 0x00};
  memcpy(w, zeros, sizeof zeros);
  w += sizeof zeros;
  w += put_header(w, 0x30, vbl_content);
  for (i = 0; i < n_vb; i++) {
    w += put_header(w, 0x30, vb_content[i]);
    memcpy(w, names[i].p, names[i].len);
    w += names[i].len;
    memcpy(w, value, value_len);
    w += value_len;
  }
  return (size_t)(w - out);
}

static int is_loopback(struct in_addr a) {
  return (ntohl(a.s_addr) >> 24) == 127;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: responder [--addr A | --any] [--port P] [--seconds S]\n"
          "                 [--max-packets N] [--batch B] [--cpu C]\n"
          "                 [--value string|int] [--rcvbuf BYTES]\n"
          "Answers SNMP v1/v2c GetRequests on loopback; prints \"port N\".\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"addr", required_argument, NULL, 'a'},
      {"any", no_argument, NULL, 'A'},
      {"port", required_argument, NULL, 'p'},
      {"seconds", required_argument, NULL, 's'},
      {"max-packets", required_argument, NULL, 'n'},
      {"batch", required_argument, NULL, 'b'},
      {"cpu", required_argument, NULL, 'c'},
      {"value", required_argument, NULL, 'v'},
      {"rcvbuf", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  static const uint8_t value_string[] = {0x04, 0x04, 'b', 'n', 'c', 'h'};
  static const uint8_t value_int[] = {0x02, 0x01, 0x2a};
  const char *addr = "127.0.0.1";
  const uint8_t *value = value_string;
  size_t value_len = sizeof value_string;
  int any = 0, port = 0, cpu = -1, batch = 64, rcvbuf = 8 << 20, opt, fd,
      one = 1;
  double seconds = 60;
  unsigned long long max_packets = 0, received = 0, answered = 0, dropped = 0;
  struct sockaddr_in sin;
  socklen_t sin_len = sizeof sin;
  struct timeval tv = {0, 200000};
  double deadline;
  sigset_t stop_signals;

  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'a':
      addr = optarg;
      break;
    case 'A':
      any = 1;
      break;
    case 'p':
      port = atoi(optarg);
      break;
    case 's':
      seconds = atof(optarg);
      break;
    case 'n':
      max_packets = strtoull(optarg, NULL, 10);
      break;
    case 'b':
      batch = atoi(optarg);
      break;
    case 'c':
      cpu = atoi(optarg);
      break;
    case 'r':
      rcvbuf = atoi(optarg);
      break;
    case 'v':
      if (strcmp(optarg, "int") == 0) {
        value = value_int;
        value_len = sizeof value_int;
      } else if (strcmp(optarg, "string") != 0) {
        usage(stderr);
        return 2;
      }
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc || port < 0 || port > 65535 || batch < 1 ||
      batch > BATCH_MAX || !(seconds > 0 && seconds <= 3600)) {
    usage(stderr);
    return 2;
  }
  bench_pin_cpu(cpu, "responder");

  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (any) {
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
             !is_loopback(sin.sin_addr)) {
    fprintf(stderr, "responder: %s is not an IPv4 loopback address\n", addr);
    return 2;
  }
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("responder: socket");
    return 1;
  }
  /* A burst of thousands of requests must not be lost in the kernel:
   * SO_RCVBUFFORCE passes rmem_max when we may, SO_RCVBUF otherwise. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof rcvbuf);
  /* The receive timeout lets the loop check its deadline when idle. */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (any) {
    /* INADDR_ANY would also listen on the outside interfaces; the device
     * binding keeps us on loopback, and the address checks below stay as a
     * second guard when the binding is not permitted. */
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) != 0)
      perror("responder: SO_BINDTODEVICE lo (continuing, loopback-only "
             "filter still applies)");
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) {
      perror("responder: IP_PKTINFO");
      return 1;
    }
  }
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &sin_len) != 0) {
    perror("responder: bind");
    return 1;
  }
  printf("port %u\n", ntohs(sin.sin_port));
  fflush(stdout);

  /* Buffers for one batch: requests, replies and their control data. */
  static uint8_t in_buf[BATCH_MAX][DGRAM_MAX];
  static uint8_t out_buf[BATCH_MAX][REPLY_MAX];
  static uint8_t in_ctl[BATCH_MAX][CMSG_SPACE(sizeof(struct in_pktinfo))];
  static uint8_t out_ctl[BATCH_MAX][CMSG_SPACE(sizeof(struct in_pktinfo))];
  static struct sockaddr_in peers[BATCH_MAX];
  static struct mmsghdr in_msgs[BATCH_MAX], out_msgs[BATCH_MAX];
  static struct iovec in_iov[BATCH_MAX], out_iov[BATCH_MAX];

  /* SIGTERM and SIGINT stay pending and are polled, so a parent that stops
   * us still gets the counters below. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);
  deadline = bench_now() + seconds;
  for (unsigned long iteration = 0;
       bench_now() < deadline && (max_packets == 0 || received < max_packets);
       iteration++) {
    int i, n, n_out = 0, sent;
    sigset_t pending;

    if ((iteration & 63) == 0 && sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT)))
      break;

    for (i = 0; i < batch; i++) {
      in_iov[i].iov_base = in_buf[i];
      in_iov[i].iov_len = DGRAM_MAX;
      memset(&in_msgs[i].msg_hdr, 0, sizeof in_msgs[i].msg_hdr);
      in_msgs[i].msg_hdr.msg_name = &peers[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
      if (any) {
        in_msgs[i].msg_hdr.msg_control = in_ctl[i];
        in_msgs[i].msg_hdr.msg_controllen = sizeof in_ctl[i];
      }
    }
    n = recvmmsg(fd, in_msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        iteration = 63; /* idle: look at the signals next time round */
        continue;
      }
      perror("responder: recvmmsg");
      break;
    }
    received += (unsigned long long)n;
    for (i = 0; i < n; i++) {
      struct msghdr *in = &in_msgs[i].msg_hdr, *out = &out_msgs[n_out].msg_hdr;
      struct in_pktinfo *dst = NULL;
      size_t len;

      if ((in->msg_flags & MSG_TRUNC) || !is_loopback(peers[i].sin_addr)) {
        dropped++;
        continue;
      }
      if (any) {
        struct cmsghdr *c;
        for (c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c))
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            dst = (struct in_pktinfo *)(void *)CMSG_DATA(c);
        if (dst == NULL || !is_loopback(dst->ipi_addr)) {
          dropped++;
          continue;
        }
      }
      len = make_response(out_buf[n_out], in_buf[i], in_msgs[i].msg_len, value,
                          value_len);
      if (len == 0) {
        dropped++;
        continue;
      }
      memset(out, 0, sizeof *out);
      out_iov[n_out].iov_base = out_buf[n_out];
      out_iov[n_out].iov_len = len;
      out->msg_name = &peers[i];
      out->msg_namelen = sizeof peers[i];
      out->msg_iov = &out_iov[n_out];
      out->msg_iovlen = 1;
      if (any) {
        /* Answer from the address the request was sent to. */
        struct cmsghdr *c;
        struct in_pktinfo pi;
        memset(out_ctl[n_out], 0, sizeof out_ctl[n_out]);
        out->msg_control = out_ctl[n_out];
        out->msg_controllen = sizeof out_ctl[n_out];
        c = CMSG_FIRSTHDR(out);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memset(&pi, 0, sizeof pi);
        pi.ipi_spec_dst = dst->ipi_addr;
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
      }
      n_out++;
    }
    /* Send the whole batch; a partial send is resumed, an error drops the
     * datagram it names (the manager resends). */
    sent = 0;
    while (sent < n_out) {
      int r = sendmmsg(fd, out_msgs + sent, (unsigned)(n_out - sent), 0);
      if (r < 0) {
        if (errno == EINTR)
          continue;
        dropped++;
        sent++;
        continue;
      }
      sent += r;
      answered += (unsigned long long)r;
    }
  }
  {
    /* Our own CPU per answer tells whether the responder or the manager
     * limits a run. */
    struct rusage ru;
    double cpu_s = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
      cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(stderr,
            "responder: received %llu, answered %llu, dropped %llu; CPU "
            "%.2f s, %.2f us per answer\n",
            received, answered, dropped, cpu_s,
            answered > 0 ? cpu_s * 1e6 / (double)answered : 0.0);
  }
  close(fd);
  return 0;
}
