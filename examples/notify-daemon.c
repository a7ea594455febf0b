/*
 * notify-daemon: a monitoring daemon that polls and listens on one libuv
 * loop.  It GETs sysUpTime.0 from an agent every few seconds with the
 * async manager and, on the same loop, receives the traps and informs
 * that devices send (v1, v2c with community "public", v3 with user
 * "monitor"), printing one line per notification.  SIGINT or SIGTERM
 * stops it cleanly.  (The README's notifications section shows it.)
 *
 *   notify-daemon LISTEN-ADDRESS AGENT [SECONDS]
 *   notify-daemon udp:0.0.0.0:16200 127.0.0.1:161
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <usnmp.h>

typedef struct daemon_state {
  uv_loop_t loop;
  uv_timer_t poll_timer, stop_timer;
  uv_signal_t sigint, sigterm;
  usnmp_manager *manager;
  usnmp_target *agent;
  usnmp_receiver *receiver;
  usnmp_oid sysuptime;
} daemon_state;

/* A notification: who sent it, and its varbinds (sysUpTime.0 and
 * snmpTrapOID.0 first; a v1 trap arrives translated, RFC 3584). */
static void on_notification(usnmp_receiver *rx, const usnmp_notification *n,
                            void *arg) {
  char line[1024];
  size_t i;
  (void)rx;
  (void)arg;
  printf("%s v%s", n->pdu == USNMP_PDU_INFORM ? "inform" : "trap",
         n->version == USNMP_VERSION_1    ? "1"
         : n->version == USNMP_VERSION_2C ? "2c"
                                          : "3");
  if (n->version == USNMP_VERSION_3)
    printf(" user %.*s", (int)n->user_len, (const char *)n->user);
  for (i = 0; i < n->varbind_count; i++) {
    usnmp_varbind_format(line, sizeof(line), &n->varbinds[i]);
    printf("\n  %s", line);
  }
  printf("\n");
  fflush(stdout);
}

static void on_poll_answer(const usnmp_response *resp, void *arg) {
  char line[512];
  (void)arg;
  if (resp->status < 0) {
    printf("poll: %s\n", usnmp_strerror(resp->status));
    return;
  }
  usnmp_varbind_format(line, sizeof(line), &resp->varbinds[0]);
  printf("poll: %s\n", line);
  fflush(stdout);
}

static void on_poll_timer(uv_timer_t *h) {
  daemon_state *d = h->data;
  int rc = usnmp_get(d->agent, &d->sysuptime, 1, NULL, on_poll_answer, d, NULL);
  if (rc < 0)
    printf("poll: %s\n", usnmp_strerror(rc));
}

static void stop(daemon_state *d) {
  if (d->receiver == NULL)
    return;
  usnmp_receiver_close(d->receiver, NULL, NULL);
  d->receiver = NULL;
  usnmp_manager_close(d->manager, NULL, NULL);
  uv_close((uv_handle_t *)&d->poll_timer, NULL);
  uv_close((uv_handle_t *)&d->stop_timer, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  stop(h->data);
}

static void on_stop_timer(uv_timer_t *h) { stop(h->data); }

int main(int argc, char **argv) {
  daemon_state d;
  int rc;

  if (argc < 3) {
    fprintf(stderr, "usage: %s LISTEN-ADDRESS AGENT [SECONDS]\n", argv[0]);
    return 1;
  }
  memset(&d, 0, sizeof(d));
  uv_loop_init(&d.loop);
  usnmp_oid_parse(&d.sysuptime, "1.3.6.1.2.1.1.3.0");

  /* Polling: an async manager and a target. */
  rc = usnmp_manager_init(&d.manager, &d.loop, NULL);
  if (rc == 0)
    rc = usnmp_target_init(d.manager, &d.agent, argv[2]);
  /* Listening: a receiver on the same loop. */
  if (rc == 0)
    rc = usnmp_receiver_init(&d.receiver, &d.loop, NULL);
  if (rc == 0)
    rc = usnmp_receiver_bind(d.receiver, argv[1]);
  if (rc == 0)
    rc = usnmp_receiver_add_community(d.receiver, "public");
  if (rc == 0)
    rc = usnmp_receiver_add_v3_user(d.receiver, "monitor", USNMP_AUTH_SHA256,
                                    "monitor-auth-pass", USNMP_PRIV_AES,
                                    "monitor-priv-pass", NULL, 0);
  if (rc == 0)
    rc = usnmp_receiver_start(d.receiver, on_notification, &d);
  if (rc < 0) {
    fprintf(stderr, "notify-daemon: %s\n", usnmp_strerror(rc));
    return 1;
  }

  uv_timer_init(&d.loop, &d.poll_timer);
  d.poll_timer.data = &d;
  uv_timer_start(&d.poll_timer, on_poll_timer, 0, 5000);
  uv_timer_init(&d.loop, &d.stop_timer);
  d.stop_timer.data = &d;
  if (argc > 3)
    uv_timer_start(&d.stop_timer, on_stop_timer,
                   (uint64_t)strtoul(argv[3], NULL, 10) * 1000, 0);
  uv_signal_init(&d.loop, &d.sigint);
  uv_signal_init(&d.loop, &d.sigterm);
  d.sigint.data = d.sigterm.data = &d;
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);

  uv_run(&d.loop, UV_RUN_DEFAULT);
  return uv_loop_close(&d.loop) == 0 ? 0 : 1;
}
