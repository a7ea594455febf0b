/*
 * codec-demo: one real SNMP GET with nothing but usnmp's codec and a plain
 * UDP socket.
 *
 *   codec-demo AGENT-ADDRESS PORT [COMMUNITY]
 *
 * It encodes a v2c GetRequest for sysDescr.0, sysUpTime.0 and sysName.0
 * with usnmp_msg_encode(), sends it, decodes the agent's answer with
 * usnmp_msg_decode() (zero-copy: the varbinds point into the datagram) and
 * prints each varbind with usnmp_varbind_format(), as `snmpget -On` would.
 * The manager (usnmp_get()) does all this and more on a libuv loop; the
 * demo shows the layer under it.
 *
 * Exit status: 0 on an answer without error-status, 1 otherwise.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "usnmp.h"

#define N_OIDS 3
#define TRIES 3
#define WAIT_MS 1000

static void hexdump(const char *title, const uint8_t *p, size_t n) {
  printf("%s (%zu bytes):\n", title, n);
  for (size_t i = 0; i < n; i++)
    printf("%s%02x%s", i % 16 == 0 ? "  " : " ", p[i],
           i % 16 == 15 || i + 1 == n ? "\n" : "");
}

/* Opens a UDP socket connected to host:port (numeric IPv4 or IPv6), so the
 * kernel hands us datagrams from the agent's address and port only. */
static int open_socket(const char *host, const char *port) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "codec-demo: %s:%s: %s\n", host, port, gai_strerror(rc));
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    fprintf(stderr, "codec-demo: %s:%s: %s\n", host, port, strerror(errno));
    if (fd >= 0)
      close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: codec-demo AGENT-ADDRESS PORT [COMMUNITY]\n");
    return 1;
  }
  const char *community = argc == 4 ? argv[3] : "public";
  static const char *const names[N_OIDS] = {
      "1.3.6.1.2.1.1.1.0", /* sysDescr.0 */
      "1.3.6.1.2.1.1.3.0", /* sysUpTime.0 */
      "1.3.6.1.2.1.1.5.0", /* sysName.0 */
  };

  /* The request: names as BER content octets, values NULL. */
  uint8_t name_ber[N_OIDS][5 * USNMP_OID_MAX_LEN];
  usnmp_varbind request_vbs[N_OIDS];
  for (size_t i = 0; i < N_OIDS; i++) {
    usnmp_oid oid;
    int rc = usnmp_oid_parse(&oid, names[i]);
    if (rc >= 0)
      rc = usnmp_oid_to_ber(name_ber[i], sizeof name_ber[i], &oid);
    if (rc < 0) {
      fprintf(stderr, "codec-demo: %s: %s\n", names[i], usnmp_strerror(rc));
      return 1;
    }
    request_vbs[i].oid = name_ber[i];
    request_vbs[i].oid_len = (size_t)rc;
    request_vbs[i].value = usnmp_value_null();
  }
  usnmp_msg request;
  memset(&request, 0, sizeof request);
  request.version = USNMP_VERSION_2C;
  request.community = (const uint8_t *)community;
  request.community_len = strlen(community);
  request.type = USNMP_PDU_GET;
  /* A demo may use a weak request-id; the manager draws its ids from a
   * CSPRNG. */
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  request.request_id = rand() & 0x7fffffff;

  uint8_t out[1500];
  int len = usnmp_msg_encode(out, sizeof out, &request, request_vbs, N_OIDS);
  if (len < 0) {
    fprintf(stderr, "codec-demo: encode: %s\n", usnmp_strerror(len));
    return 1;
  }
  hexdump("GetRequest encoded by usnmp_msg_encode", out, (size_t)len);

  int fd = open_socket(argv[1], argv[2]);
  if (fd < 0)
    return 1;

  /* Send, and resend after WAIT_MS, until a matching Response arrives. */
  uint8_t in[USNMP_MAX_MSG_SIZE];
  usnmp_msg reply;
  usnmp_varbind vbs[16];
  size_t n_vbs = 0;
  int answered = 0;
  for (int attempt = 0; attempt < TRIES && !answered; attempt++) {
    if (send(fd, out, (size_t)len, 0) < 0) {
      fprintf(stderr, "codec-demo: send: %s\n", strerror(errno));
      close(fd);
      return 1;
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    while (!answered && poll(&pfd, 1, WAIT_MS) > 0) {
      ssize_t n = recv(fd, in, sizeof in, 0);
      if (n < 0) {
        fprintf(stderr, "codec-demo: recv: %s\n", strerror(errno));
        break;
      }
      int rc = usnmp_msg_decode(&reply, vbs, 16, &n_vbs, in, (size_t)n);
      if (rc < 0) {
        printf("dropped a malformed datagram: %s\n", usnmp_strerror(rc));
        continue;
      }
      /* Only our answer counts: same request-id, a Response. */
      if (reply.type != USNMP_PDU_RESPONSE ||
          reply.request_id != request.request_id)
        continue;
      hexdump("GetResponse received", in, (size_t)n);
      answered = 1;
    }
  }
  close(fd);
  if (!answered) {
    printf("Timeout: No Response from %s:%s.\n", argv[1], argv[2]);
    return 1;
  }

  printf("decoded by usnmp_msg_decode: request-id %d, error-status %d, "
         "%zu varbinds:\n",
         reply.request_id, reply.error_status, n_vbs);
  for (size_t i = 0; i < n_vbs; i++) {
    char line[4096];
    int n = usnmp_varbind_format(line, sizeof line, &vbs[i]);
    if (n < 0) {
      printf("  varbind %zu: %s\n", i + 1, usnmp_strerror(n));
      continue;
    }
    printf("  %s%s\n", line, (size_t)n >= sizeof line ? " ..." : "");
  }
  if (reply.error_status != 0) {
    printf("Error in packet: %s\n",
           usnmp_error_status_text(reply.error_status));
    return 1;
  }
  return 0;
}
