/*
 * faulty_agent: serves test/faulty_agent.c's replies on a loopback UDP
 * port, for the command-line comparisons of test/test_cli_real_agents.sh.
 *
 *   faulty_agent ADDRESS PORT_FILE
 *
 * Binds ADDRESS (127.0.0.1 or ::1) on a port the system picks, writes
 * the port number to PORT_FILE once it is listening, and answers until it
 * is killed, or for at most 10 minutes, so a forgotten agent never
 * lingers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "faulty_agent.h"

int main(int argc, char **argv) {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  time_t until = time(NULL) + 600;
  FILE *f;
  int fd;

  if (argc != 3) {
    fprintf(stderr, "usage: %s ADDRESS PORT_FILE\n", argv[0]);
    return 2;
  }
  memset(&addr, 0, sizeof addr);
  if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&addr)->sin_addr) ==
      1) {
    addr.ss_family = AF_INET;
    addr_len = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, argv[1],
                       &((struct sockaddr_in6 *)&addr)->sin6_addr) == 1) {
    addr.ss_family = AF_INET6;
    addr_len = sizeof(struct sockaddr_in6);
  } else {
    fprintf(stderr, "%s: bad address %s\n", argv[0], argv[1]);
    return 2;
  }
  fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, addr_len) < 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
    perror("faulty_agent");
    return 1;
  }
  f = fopen(argv[2], "w");
  if (f == NULL) {
    perror(argv[2]);
    return 1;
  }
  fprintf(f, "%u\n",
          ntohs(addr.ss_family == AF_INET
                    ? ((struct sockaddr_in *)&addr)->sin_port
                    : ((struct sockaddr_in6 *)&addr)->sin6_port));
  fclose(f);
  while (time(NULL) < until) {
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    uint8_t in[65536];
    uint8_t out[65536];
    ssize_t n;
    size_t reply;
    if (poll(&p, 1, 1000) <= 0)
      continue;
    n = recvfrom(fd, in, sizeof in, 0, (struct sockaddr *)&from, &from_len);
    if (n <= 0)
      continue;
    reply = faulty_agent_reply(in, (size_t)n, out, sizeof out);
    if (reply > 0)
      sendto(fd, out, reply, 0, (struct sockaddr *)&from, from_len);
  }
  close(fd);
  return 0;
}
