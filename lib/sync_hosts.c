/*
 * The blocking layer's hosts and settings: the registry of agent strings
 * (an agent string -> the host it names; a host is one address and port,
 * with one async target), and the settings every host's target gets
 * (version, communities, resend, writer-preferred ordering, and the
 * SNMPv3 user, level and context), with their setters; and the settings
 * a host has of its own (usnmp_sync_set_host), which win over the
 * object's.
 *
 * The SNMPv3 passwords are kept here because hosts are made on first use
 * and each localises the keys to its own agent; they are wiped when
 * replaced and at close.
 */
#include <string.h>

#include "sync_int.h"

static void *mem_calloc(usnmp_sync *s, size_t n, size_t size) {
  return usnmp__calloc(&s->alloc, n, size);
}

static void mem_free(usnmp_sync *s, void *p) { usnmp__sync_free(s, p); }

static char *dup_string(usnmp_sync *s, const char *text) {
  return usnmp__strdup(&s->alloc, text);
}

/* Overwrites a secret before freeing it (usnmp__wipe: a plain loop or
 * memset before free() may be dropped by the compiler as a dead store). */
static void free_secret(usnmp_sync *s, char *p) {
  if (p) {
    usnmp__wipe(p, strlen(p));
    mem_free(s, p);
  }
}

/* Gives target t the layer's v3 user, level and context, or the host's
 * own user (h may be NULL: a host not made yet), at the highest level its
 * protocols allow. */
static int apply_v3(usnmp_sync *s, const sync_host *h, usnmp_target *t) {
  int own = h && (h->flags & USNMP_HOST_V3_USER);
  int rc =
      own ? usnmp_target_set_v3_user(t, h->v3_user, h->v3_auth, h->v3_authpass,
                                     h->v3_priv, h->v3_privpass)
          : usnmp_target_set_v3_user(t, s->v3_user, s->v3_auth, s->v3_authpass,
                                     s->v3_priv, s->v3_privpass);
  if (rc == 0 && !own && s->v3_level != 0)
    rc = usnmp_target_set_v3_level(t, s->v3_level);
  if (rc == 0)
    rc = usnmp_target_set_v3_context(t, NULL, 0, s->v3_context);
  return rc;
}

/* The first of two results that failed: setters try every host, and
 * report what went wrong rather than ignore it. */
static int first_error(int first, int rc) { return first ? first : rc; }

static sync_host *host_find_addr(usnmp_sync *s,
                                 const struct sockaddr_storage *addr) {
  for (sync_host *h = s->hosts; h; h = h->next) {
    if (usnmp__sockaddr_equal((const struct sockaddr *)&h->addr,
                              (const struct sockaddr *)addr))
      return h;
  }
  return NULL;
}

static int alias_add(usnmp_sync *s, const char *name, sync_host *h) {
  host_alias *a = mem_calloc(s, 1, sizeof *a);
  if (a == NULL)
    return USNMP_E_NOMEM;
  a->name = dup_string(s, name);
  if (a->name == NULL) {
    mem_free(s, a);
    return USNMP_E_NOMEM;
  }
  a->port = s->port;
  a->host = h;
  a->next = s->aliases;
  s->aliases = a;
  return 0;
}

/* The settings host h uses: its own where it has them, else the
 * object's. */
static usnmp_version host_version(const usnmp_sync *s, const sync_host *h) {
  if (h->flags & USNMP_HOST_VERSION)
    return h->version;
  return h->flags & USNMP_HOST_V3_USER ? USNMP_VERSION_3 : s->version;
}

static const char *host_community(const usnmp_sync *s, const sync_host *h) {
  return h->flags & USNMP_HOST_COMMUNITY ? h->community : s->community;
}

static const char *host_write_community(const usnmp_sync *s,
                                        const sync_host *h) {
  if (h->flags & USNMP_HOST_WRITE_COMMUNITY)
    return h->write_community;
  if (h->flags & USNMP_HOST_COMMUNITY)
    return h->community;
  return s->write_community ? s->write_community : s->community;
}

static uint32_t host_resend(const usnmp_sync *s, const sync_host *h) {
  return h->flags & USNMP_HOST_RESEND ? h->resend_ms : s->resend_ms;
}

uint32_t usnmp__sync_host_timeout(const usnmp_sync *s, const sync_host *h) {
  return h && (h->flags & USNMP_HOST_TIMEOUT) ? h->timeout_ms : s->timeout_ms;
}

/* Gives host h's target the settings it uses. */
static int host_apply(usnmp_sync *s, const sync_host *h, usnmp_target *t) {
  int rc = usnmp_target_set_version(t, host_version(s, h));
  if (rc == 0)
    rc = usnmp_target_set_community(t, host_community(s, h));
  if (rc == 0)
    rc = usnmp_target_set_write_community(t, host_write_community(s, h));
  if (rc == 0)
    rc = usnmp_target_set_resend(t, host_resend(s, h));
  return rc;
}

/* Gives the new host's target the layer's settings. */
static int host_setup(usnmp_sync *s, const sync_host *h, usnmp_target *t) {
  int rc = 0;
  if (s->v3_user != NULL)
    rc = apply_v3(s, h, t);
  if (rc == 0)
    rc = host_apply(s, h, t);
  if (rc == 0)
    rc = usnmp_target_set_retries(t, -1);
  if (rc == 0)
    rc = usnmp_target_set_ordering(t, USNMP_ORDER_WRITER_PREFERRED);
  usnmp_target_set_data(t, s);
  return rc;
}

int usnmp__sync_host_find(usnmp_sync *s, const char *name,
                          usnmp_target **resolving, sync_host **out) {
  struct sockaddr_storage addr;
  char host_name[256];
  const char *to_resolve = NULL;
  int family;
  int rc;

  for (host_alias *a = s->aliases; a; a = a->next) {
    if (a->port == s->port && strcmp(a->name, name) == 0) {
      *out = a->host;
      return 0;
    }
  }
  rc = usnmp__agent_parse_port(name, s->port, &addr, host_name,
                               sizeof host_name, &to_resolve, &family);
  if (rc)
    return rc;
  if (to_resolve) {
    rc = usnmp__target_new_port(s->manager, resolving, name, s->port);
    return rc ? rc : UV_EAGAIN;
  }
  return usnmp__sync_host_add(s, name, &addr, NULL, out);
}

int usnmp__sync_host_add(usnmp_sync *s, const char *name,
                         const struct sockaddr_storage *addr, usnmp_target *t,
                         sync_host **out) {
  int rc = 0;
  sync_host *h = host_find_addr(s, addr);
  if (h) {
    usnmp_target_close(t);
    rc = alias_add(s, name, h);
    if (rc == 0)
      *out = h;
    return rc;
  }
  h = mem_calloc(s, 1, sizeof *h);
  if (h == NULL) {
    usnmp_target_close(t);
    return USNMP_E_NOMEM;
  }
  h->addr = *addr;
  if (t == NULL)
    rc = usnmp__target_new_port(s->manager, &t, name, s->port);
  if (rc == 0)
    rc = host_setup(s, h, t);
  if (rc != 0) {
    usnmp_target_close(t);
    mem_free(s, h);
    return rc;
  }
  h->target = t;
  h->next = s->hosts;
  s->hosts = h;
  rc = alias_add(s, name, h);
  if (rc == 0)
    *out = h;
  return rc;
}

void usnmp__sync_hosts_free(usnmp_sync *s) {
  while (s->hosts) {
    sync_host *h = s->hosts;
    s->hosts = h->next;
    mem_free(s, h->community);
    mem_free(s, h->write_community);
    mem_free(s, h->v3_user);
    free_secret(s, h->v3_authpass);
    free_secret(s, h->v3_privpass);
    mem_free(s, h);
  }
  while (s->aliases) {
    host_alias *a = s->aliases;
    s->aliases = a->next;
    mem_free(s, a->name);
    mem_free(s, a);
  }
  mem_free(s, s->community);
  mem_free(s, s->write_community);
  mem_free(s, s->v3_user);
  free_secret(s, s->v3_authpass);
  free_secret(s, s->v3_privpass);
  mem_free(s, s->v3_context);
}

/* ---- settings ---- */

static int set_version(usnmp_sync *s, usnmp_version v) {
  if (v != USNMP_VERSION_1 && v != USNMP_VERSION_2C &&
      !(v == USNMP_VERSION_3 && s->v3_user != NULL))
    return USNMP_E_INVAL;
  s->version = v;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next)
    first = first_error(
        first, usnmp_target_set_version(h->target, host_version(s, h)));
  return first;
}

static int replace_string(usnmp_sync *s, char **slot, const char *value) {
  char *copy = NULL;
  if (value) {
    copy = dup_string(s, value);
    if (copy == NULL)
      return USNMP_E_NOMEM;
  }
  mem_free(s, *slot);
  *slot = copy;
  return 0;
}

/* Gives every host the communities it uses; returns the first failure
 * (USNMP_E_NOMEM), having still tried every host. */
static int apply_communities(usnmp_sync *s) {
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next) {
    first = first_error(
        first, usnmp_target_set_community(h->target, host_community(s, h)));
    first = first_error(first, usnmp_target_set_write_community(
                                   h->target, host_write_community(s, h)));
  }
  return first;
}

static int set_community(usnmp_sync *s, const char *c) {
  if (c == NULL)
    return USNMP_E_INVAL;
  int rc = replace_string(s, &s->community, c);
  return rc ? rc : apply_communities(s);
}

static int set_write_community(usnmp_sync *s, const char *c) {
  int rc = replace_string(s, &s->write_community, c);
  return rc ? rc : apply_communities(s);
}

static int set_port(usnmp_sync *s, uint16_t port) {
  if (port == 0)
    return USNMP_E_INVAL;
  s->port = port;
  return 0;
}

static int set_resend(usnmp_sync *s, uint32_t resend_ms) {
  if (resend_ms == 0)
    return USNMP_E_INVAL;
  s->resend_ms = resend_ms;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next)
    first = first_error(first,
                        usnmp_target_set_resend(h->target, host_resend(s, h)));
  return first;
}

static int set_timeout(usnmp_sync *s, uint32_t timeout_ms) {
  if (timeout_ms == 0)
    return USNMP_E_INVAL;
  s->timeout_ms = timeout_ms;
  return 0;
}

/* Checks a v3 user and copies its name and passwords to *u, *ap and *pp
 * (NULL for a protocol of NONE).  Returns 0, the check's code or
 * USNMP_E_NOMEM (nothing kept). */
static int v3_user_copy(usnmp_sync *s, const char *user, usnmp_auth_proto auth,
                        const char *authpass, usnmp_priv_proto priv,
                        const char *privpass, char **u, char **ap, char **pp) {
  int rc = usnmp__usm_user_check(user, auth, authpass, priv, privpass);
  if (rc < 0)
    return rc;
  *u = dup_string(s, user);
  *ap = auth != USNMP_AUTH_NONE ? dup_string(s, authpass) : NULL;
  *pp = priv != USNMP_PRIV_NONE ? dup_string(s, privpass) : NULL;
  if (!*u || (auth != USNMP_AUTH_NONE && !*ap) ||
      (priv != USNMP_PRIV_NONE && !*pp)) {
    mem_free(s, *u);
    free_secret(s, *ap);
    free_secret(s, *pp);
    return USNMP_E_NOMEM;
  }
  return 0;
}

static int set_v3_user(usnmp_sync *s, const char *user, usnmp_auth_proto auth,
                       const char *authpass, usnmp_priv_proto priv,
                       const char *privpass) {
  char *u, *ap, *pp;
  int rc = v3_user_copy(s, user, auth, authpass, priv, privpass, &u, &ap, &pp);
  if (rc != 0)
    return rc;
  mem_free(s, s->v3_user);
  free_secret(s, s->v3_authpass);
  free_secret(s, s->v3_privpass);
  s->v3_user = u;
  s->v3_auth = auth;
  s->v3_priv = priv;
  s->v3_authpass = ap;
  s->v3_privpass = pp;
  s->v3_level = 0;
  s->version = USNMP_VERSION_3;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next) {
    if (h->flags & USNMP_HOST_V3_USER)
      continue; /* its own user */
    rc = apply_v3(s, h, h->target);
    if (rc == 0)
      rc = usnmp_target_set_version(h->target, host_version(s, h));
    first = first_error(first, rc);
  }
  return first;
}

static int set_v3_level(usnmp_sync *s, usnmp_sec_level level) {
  if (!s || !s->v3_user || level < USNMP_SEC_NOAUTHNOPRIV ||
      level > USNMP_SEC_AUTHPRIV ||
      (level >= USNMP_SEC_AUTHNOPRIV && s->v3_auth == USNMP_AUTH_NONE) ||
      (level == USNMP_SEC_AUTHPRIV && s->v3_priv == USNMP_PRIV_NONE))
    return USNMP_E_INVAL;
  s->v3_level = level;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next)
    if (!(h->flags & USNMP_HOST_V3_USER))
      first = first_error(first, usnmp_target_set_v3_level(h->target, level));
  return first;
}

static int set_v3_context(usnmp_sync *s, const char *context_name) {
  if (!s || (context_name && strlen(context_name) > 255))
    return USNMP_E_INVAL;
  int rc = replace_string(s, &s->v3_context, context_name);
  if (rc != 0)
    return rc;
  int first = 0;
  for (sync_host *h = s->hosts; h; h = h->next)
    if (s->v3_user || (h->flags & USNMP_HOST_V3_USER))
      first = first_error(
          first, usnmp_target_set_v3_context(h->target, NULL, 0, context_name));
  return first;
}

#define HOST_KNOWN                                                             \
  (USNMP_HOST_VERSION | USNMP_HOST_COMMUNITY | USNMP_HOST_WRITE_COMMUNITY |    \
   USNMP_HOST_RESEND | USNMP_HOST_TIMEOUT | USNMP_HOST_V3_USER)

int usnmp__sync_host_set(usnmp_sync *s, sync_host *h,
                         const usnmp_host_opts *o) {
  uint32_t f = o->flags;
  if ((f & ~HOST_KNOWN) ||
      ((f & USNMP_HOST_VERSION) && o->version != USNMP_VERSION_1 &&
       o->version != USNMP_VERSION_2C &&
       !(o->version == USNMP_VERSION_3 &&
         (s->v3_user != NULL || (f & USNMP_HOST_V3_USER)))) ||
      ((f & USNMP_HOST_COMMUNITY) && !o->community) ||
      ((f & USNMP_HOST_RESEND) && o->resend_ms == 0) ||
      ((f & USNMP_HOST_TIMEOUT) && o->timeout_ms == 0))
    return USNMP_E_INVAL;
  char *u = NULL, *ap = NULL, *pp = NULL;
  if (f & USNMP_HOST_V3_USER) {
    int rc = v3_user_copy(s, o->v3_user, o->v3_auth, o->v3_authpass, o->v3_priv,
                          o->v3_privpass, &u, &ap, &pp);
    if (rc != 0)
      return rc;
  }
  char *community = NULL, *write_community = NULL;
  if (((f & USNMP_HOST_COMMUNITY) &&
       !(community = dup_string(s, o->community))) ||
      ((f & USNMP_HOST_WRITE_COMMUNITY) && o->write_community &&
       !(write_community = dup_string(s, o->write_community)))) {
    mem_free(s, community);
    mem_free(s, u);
    free_secret(s, ap);
    free_secret(s, pp);
    return USNMP_E_NOMEM;
  }
  /* A NULL write community goes back to the host's read community. */
  if ((f & USNMP_HOST_WRITE_COMMUNITY) && !o->write_community)
    f &= ~USNMP_HOST_WRITE_COMMUNITY;
  mem_free(s, h->community);
  mem_free(s, h->write_community);
  h->community = community;
  h->write_community = write_community;
  h->flags = f;
  h->version = o->version;
  h->resend_ms = o->resend_ms;
  h->timeout_ms = o->timeout_ms;
  mem_free(s, h->v3_user);
  free_secret(s, h->v3_authpass);
  free_secret(s, h->v3_privpass);
  h->v3_user = u;
  h->v3_auth = o->v3_auth;
  h->v3_authpass = ap;
  h->v3_priv = o->v3_priv;
  h->v3_privpass = pp;
  /* The host's own user, or back to the object's (if it has one). */
  int rc = 0;
  if ((f & USNMP_HOST_V3_USER) || s->v3_user)
    rc = apply_v3(s, h, h->target);
  return rc ? rc : host_apply(s, h, h->target);
}

/* The setters, each under GUARD. */
int usnmp_sync_set_version(usnmp_sync *s, usnmp_version v) {
  GUARD(s, set_version(s, v));
}
int usnmp_sync_set_community(usnmp_sync *s, const char *c) {
  GUARD(s, set_community(s, c));
}
int usnmp_sync_set_write_community(usnmp_sync *s, const char *c) {
  GUARD(s, set_write_community(s, c));
}
int usnmp_sync_set_port(usnmp_sync *s, uint16_t port) {
  GUARD(s, set_port(s, port));
}
int usnmp_sync_set_resend(usnmp_sync *s, uint32_t resend_ms) {
  GUARD(s, set_resend(s, resend_ms));
}
int usnmp_sync_set_timeout(usnmp_sync *s, uint32_t timeout_ms) {
  GUARD(s, set_timeout(s, timeout_ms));
}
int usnmp_sync_set_v3_user(usnmp_sync *s, const char *user,
                           usnmp_auth_proto auth, const char *authpass,
                           usnmp_priv_proto priv, const char *privpass) {
  GUARD(s, set_v3_user(s, user, auth, authpass, priv, privpass));
}
int usnmp_sync_set_v3_level(usnmp_sync *s, usnmp_sec_level level) {
  GUARD(s, set_v3_level(s, level));
}
int usnmp_sync_set_v3_context(usnmp_sync *s, const char *context_name) {
  GUARD(s, set_v3_context(s, context_name));
}
