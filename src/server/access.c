/* Who may do what: the connection and listener limits (in all and per
 * address, in a hash table of addresses shared by the workers under one
 * mutex, taken once per accept, close, connect and disconnect), the control
 * token and the Origin of a WebSocket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "server/conn.h"

static uint32_t ip_hash(const char *ip) {
  uint32_t h = 2166136261u;
  for (; *ip; ip++) h = (h ^ (unsigned char)*ip) * 16777619u;
  return h;
}

/* Linear probing with backward-shift deletion: no tombstones to pile up. */
static ip_slot *ip_find(lull_server *srv, const char *ip, int create) {
  for (uint32_t i = ip_hash(ip) & srv->ip_mask;; i = (i + 1) & srv->ip_mask) {
    ip_slot *s = &srv->ips[i];
    if (!s->ip[0]) {
      if (!create) return NULL;
      snprintf(s->ip, sizeof s->ip, "%s", ip);
      return s;
    }
    if (strcmp(s->ip, ip) == 0) return s;
  }
}

static void ip_remove(lull_server *srv, ip_slot *s) {
  uint32_t i = (uint32_t)(s - srv->ips);
  for (uint32_t j = (i + 1) & srv->ip_mask; srv->ips[j].ip[0]; j = (j + 1) & srv->ip_mask) {
    uint32_t home = ip_hash(srv->ips[j].ip) & srv->ip_mask;
    /* Move j back to i if i lies cyclically in [home, j). */
    if (((j - home) & srv->ip_mask) >= ((j - i) & srv->ip_mask)) {
      srv->ips[i] = srv->ips[j];
      i = j;
    }
  }
  srv->ips[i].n = srv->ips[i].conns = 0;
  srv->ips[i].ip[0] = 0;
}

void lull__addr_key(const void *sockaddr, char *out, size_t cap) {
  const struct sockaddr *sa = sockaddr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    return;
  }
  if (sa->sa_family != AF_INET6) {
    snprintf(out, cap, "?");
    return;
  }
  struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    inet_ntop(AF_INET, &a.s6_addr[12], out, (socklen_t)cap);
    return;
  }
  memset(&a.s6_addr[8], 0, 8);
  char t[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, t, sizeof t);
  snprintf(out, cap, "%s/64", t);
}

/* 0, or 429 when the address holds all the connections it may. */
int lull__conn_check(lull_server *srv, const char *ip) {
  int status = 0;
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 1);
  if (s->conns >= srv->cfg.max_conns_per_ip)
    status = 429;
  else
    s->conns++;
  if (!s->n && !s->conns) ip_remove(srv, s);
  pthread_mutex_unlock(&srv->ip_lock);
  return status;
}

void lull__conn_release(lull_server *srv, const char *ip) {
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 0);
  if (s && s->conns) s->conns--;
  if (s && !s->n && !s->conns) ip_remove(srv, s);
  pthread_mutex_unlock(&srv->ip_lock);
}

/* 0, or the HTTP status of the refusal (503: full, 429: this address). */
int lull__listener_check(lull_server *srv, const char *ip, int take) {
  int status = 0;
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 0);
  if (atomic_load(&srv->listeners) >= srv->cfg.max_clients)
    status = 503;
  else if (s && s->n >= srv->cfg.max_per_ip)
    status = 429;
  else if (take) {
    s = ip_find(srv, ip, 1);
    s->n++;
    atomic_fetch_add(&srv->listeners, 1);
  }
  pthread_mutex_unlock(&srv->ip_lock);
  return status;
}

const char *lull__listener_refusal(const lull_server *srv, int status, char *message, size_t cap) {
  if (status == 503) {
    snprintf(message, cap, "the server is full (%u listeners); try again later", srv->cfg.max_clients);
    return "too_many_listeners";
  }
  snprintf(message, cap, "at most %u listeners from one address", srv->cfg.max_per_ip);
  return "too_many_from_address";
}

void lull__listener_release(lull_server *srv, const char *ip) {
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 0);
  if (s && s->n) s->n--;
  if (s && !s->n && !s->conns) ip_remove(srv, s);
  atomic_fetch_sub(&srv->listeners, 1);
  pthread_mutex_unlock(&srv->ip_lock);
}

/* Constant-time compare, so the token cannot be guessed byte by byte. */
/* Whether given is secret, in time that depends on secret's length only. */
static int same_secret(const char *secret, const char *given) {
  size_t a = strlen(secret), b = strlen(given);
  unsigned char diff = (unsigned char)(a != b);
  for (size_t i = 0; i < a; i++) diff |= (unsigned char)(secret[i] ^ (i < b ? given[i] : 0));
  return diff == 0;
}

int lull__token_ok(const lull_server *srv, const char *given) {
  if (!srv->token[0]) return 1;
  return given && same_secret(srv->token, given);
}

int lull__token_valid(const lull_server *srv, size_t i, const char *given) {
  if (!given) return 0;
  if (lull__is_personal(i)) return same_secret(srv->slots[i].token, given);
  return srv->token[0] && same_secret(srv->token, given);
}

unsigned lull__steer_check(const lull_server *srv, size_t i, int shown, int valid, int *by, const char **code,
                           const char **message) {
  int operator_ = srv->token[0] && shown && valid;
  *by = operator_ ? LULL_BY_OPERATOR : LULL_BY_LISTENER;
  if (srv->steer[i] == STEER_PERSONAL) {
    *by = LULL_BY_LISTENER;
    *code = "unauthorized";
    *message = !shown ? "only the listener who started this station steers it (with its token: \"token\" field, or "
                        "Authorization: Bearer TOKEN); POST /api/personal starts one of your own"
                      : "wrong token for this station";
    return shown && valid ? 0 : 401;
  }
  if (srv->steer[i] == LULL_STEER_NONE) {
    *code = "not_steerable";
    *message = "this station plays as its operator set it (steer=none): listen, or start one of your own";
    return 403;
  }
  if (srv->token[0] && shown && !valid) { /* a token given is checked, whatever the station needs */
    *code = "unauthorized";
    *message = "wrong control token";
    return 401;
  }
  if (srv->steer[i] == LULL_STEER_TOKEN && !operator_) {
    *code = "unauthorized";
    *message = "this station needs the control token to steer (\"token\" field, or Authorization: Bearer TOKEN)";
    return 401;
  }
  return 0;
}

int lull__bearer_state(struct lws *wsi, lull_server *srv, size_t i) {
  char auth[300] = "";
  if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) <= 7 || strncmp(auth, "Bearer ", 7) != 0) return -1;
  return lull__token_valid(srv, i, auth + 7);
}

/* The Origin of a WebSocket upgrade: none (not a browser), the server's own
 * host, or one of --allow-origin. */
int lull__origin_ok(struct lws *wsi, lull_server *srv) {
  char origin[256] = "", host[256] = "";
  if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0) return 1;
  for (size_t i = 0; i < srv->n_origins; i++)
    if (strcmp(srv->origins[i], "*") == 0 || strcmp(srv->origins[i], origin) == 0) return 1;
  if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) return 0;
  const char *o = strstr(origin, "://");
  return o && strcmp(o + 3, host) == 0;
}

int lull__host_ok(struct lws *wsi, lull_server *srv) {
  char host[256];
  if (!srv->loopback || lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) return 1;
  return lull__host_name_ok(srv, host);
}

int lull__host_name_ok(const lull_server *srv, const char *value) {
  char host[256];
  if (!srv->loopback) return 1;
  snprintf(host, sizeof host, "%s", value);
  /* The name without its port: "[::1]:8000", "localhost:8000", "127.0.0.1". */
  char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
  if (host[0] == '[' && end) end++;
  if (end && *end == ':') *end = 0;
  if (strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0) return 1;
  for (size_t i = 0; i < srv->n_hosts; i++)
    if (strcmp(srv->hosts[i], host) == 0) return 1;
  return 0;
}

int lull__net_parse(const char *text, struct lull__net *out) {
  char a[64];
  const char *slash = strchr(text, '/');
  size_t n = slash ? (size_t)(slash - text) : strlen(text);
  if (n == 0 || n >= sizeof a) return -1;
  memcpy(a, text, n);
  a[n] = 0;
  memset(out, 0, sizeof *out);
  unsigned max;
  if (inet_pton(AF_INET, a, out->addr) == 1)
    out->family = AF_INET, max = 32;
  else if (inet_pton(AF_INET6, a, out->addr) == 1)
    out->family = AF_INET6, max = 128;
  else
    return -1;
  out->bits = max;
  if (slash) {
    char *end;
    unsigned long b = strtoul(slash + 1, &end, 10);
    if (end == slash + 1 || *end || b > max) return -1;
    out->bits = (unsigned)b;
  }
  return 0;
}

static int net_holds(const struct lull__net *net, int family, const unsigned char *addr) {
  if (net->family != family) return 0;
  unsigned full = net->bits / 8, rest = net->bits % 8;
  if (memcmp(net->addr, addr, full)) return 0;
  return !rest || ((net->addr[full] ^ addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

/* An address in either family, IPv4-mapped IPv6 as IPv4. */
static int holds_any(const lull_server *srv, int family, const unsigned char *addr) {
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) family = AF_INET, addr += 12;
  for (size_t i = 0; i < srv->n_proxies; i++)
    if (net_holds(&srv->proxies[i], family, addr)) return 1;
  return 0;
}

int lull__trusted(const lull_server *srv, const void *sockaddr) {
  const struct sockaddr *sa = sockaddr;
  if (!srv->n_proxies) return 0;
  if (sa->sa_family == AF_INET) return holds_any(srv, AF_INET, (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
  if (sa->sa_family == AF_INET6)
    return holds_any(srv, AF_INET6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
  return 0;
}

/* One hop as a header names it: an address, perhaps "quoted", [bracketed]
 * or with a port; 1 with the address in *sa. */
static int hop_address(const char *p, size_t n, struct sockaddr_storage *sa) {
  char a[64];
  while (n && (*p == ' ' || *p == '"')) p++, n--;
  while (n && (p[n - 1] == ' ' || p[n - 1] == '"')) n--;
  if (n == 0 || n >= sizeof a) return 0;
  memcpy(a, p, n);
  a[n] = 0;
  char *s = a;
  if (*s == '[') { /* [v6] or [v6]:port */
    char *e = strchr(s, ']');
    if (!e) return 0;
    *e = 0;
    s++;
  } else if (strchr(s, '.') && strchr(s, ':')) {
    *strchr(s, ':') = 0; /* v4:port */
  }
  memset(sa, 0, sizeof *sa);
  struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
  if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return 1;
  }
  if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return 1;
  }
  return 0;
}

/* The hops of one header, nearest last: the nearest one no trusted proxy
 * holds. Forwarded's hops are its for= parameters. 1 when found. */
static int nearest_untrusted(const lull_server *srv, const char *h, int forwarded, char *out, size_t cap) {
  const char *end = h + strlen(h);
  while (end > h) {
    const char *start = end;
    while (start > h && start[-1] != ',') start--;
    const char *p = start;
    size_t n = (size_t)(end - start);
    if (forwarded) { /* for=ADDR among ;-separated pairs */
      const char *f = NULL;
      for (const char *q = start; q + 4 <= end; q++)
        if (strncasecmp(q, "for=", 4) == 0 && (q == start || q[-1] == ';' || q[-1] == ' ')) {
          f = q + 4;
          break;
        }
      if (!f) return 0;
      p = f;
      n = strcspn(f, ";,");
      if (p + n > end) n = (size_t)(end - p);
    }
    struct sockaddr_storage sa;
    if (!hop_address(p, n, &sa)) return 0; /* "unknown" or garbage: no client named */
    if (!lull__trusted(srv, &sa)) {
      lull__addr_key(&sa, out, cap);
      return 1;
    }
    end = start > h ? start - 1 : h;
  }
  return 0;
}

int lull__forwarded_client(const lull_server *srv, const char *xff, const char *forwarded, char *out, size_t cap) {
  if (forwarded && *forwarded && nearest_untrusted(srv, forwarded, 1, out, cap)) return 1;
  return xff && *xff && nearest_untrusted(srv, xff, 0, out, cap);
}
