/*
 * udp_sink: receives one SNMP request on a loopback UDP port and prints
 * what identifies it, without the request-id (random in every manager):
 *
 *   udp_sink ADDRESS PORT TIMEOUT_MS
 *
 * prints "v<version> <community in hex> <PDU tag> <rest in hex>" where
 * rest is everything after the request-id: error-status (or
 * non-repeaters), error-index (or max-repetitions) and the varbind list,
 * byte for byte.  test/test_cli.sh sends the same SET with net-snmp's
 * snmpset and with usnmp to it and requires the same line, which checks
 * every set TYPE's encoding, including those the agent refuses.
 * Exit status: 0 printed, 1 nothing arrived in time or not an SNMP
 * message, 2 usage or socket errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads a BER tag and definite length at *pos; returns the content length
 * or -1.  Only the short forms and up to 4 length octets: enough for one
 * UDP datagram. */
static long tlv(const unsigned char *b, size_t n, size_t *pos, int *tag) {
  if (*pos + 2 > n)
    return -1;
  *tag = b[(*pos)++];
  size_t len = b[(*pos)++];
  if (len & 0x80) {
    size_t k = len & 0x7f;
    if (k == 0 || k > 4 || *pos + k > n)
      return -1;
    len = 0;
    while (k--)
      len = len << 8 | b[(*pos)++];
  }
  if (len > n - *pos)
    return -1;
  return (long)len;
}

static void hex(const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x", b[i]);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udp_sink ADDRESS PORT TIMEOUT_MS\n");
    return 2;
  }
  struct sockaddr_storage ss;
  socklen_t ss_len;
  int family = strchr(argv[1], ':') ? AF_INET6 : AF_INET;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &sin->sin_addr) != 1)
      return 2;
    ss_len = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) != 1)
      return 2;
    ss_len = sizeof *sin6;
  }
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, ss_len) < 0) {
    perror("udp_sink");
    return 2;
  }
  /* Ready: the caller waits for this line before sending. */
  fprintf(stderr, "ready\n");
  struct pollfd pfd = {fd, POLLIN, 0};
  if (poll(&pfd, 1, atoi(argv[3])) != 1)
    return 1;
  unsigned char b[65536];
  ssize_t got = recv(fd, b, sizeof b, 0);
  close(fd);
  if (got <= 0)
    return 1;
  size_t n = (size_t)got, pos = 0;
  int tag;
  long len;
  /* Message SEQUENCE, version, community, PDU, request-id. */
  if (tlv(b, n, &pos, &tag) < 0 || tag != 0x30)
    return 1;
  if ((len = tlv(b, n, &pos, &tag)) != 1 || tag != 0x02)
    return 1;
  int version = b[pos++];
  if ((len = tlv(b, n, &pos, &tag)) < 0 || tag != 0x04)
    return 1;
  printf("v%d ", version);
  hex(b + pos, (size_t)len);
  pos += (size_t)len;
  if (tlv(b, n, &pos, &tag) < 0)
    return 1;
  printf(" %02x ", tag);
  if ((len = tlv(b, n, &pos, &tag)) < 0 || tag != 0x02)
    return 1;
  pos += (size_t)len;
  hex(b + pos, n - pos);
  printf("\n");
  return 0;
}
