/* The first bytes of every connection. Accepted here (the per-address
 * limit counts connections from this moment), a plain-HTTP connection's
 * first request line is read by the worker itself: a GET or HEAD of a stream
 * becomes a listener the worker serves directly (direct.c), which
 * libwebsockets never sees; anything else is handed to libwebsockets with
 * the bytes read so far. With TLS, libwebsockets takes every connection at
 * once (it must do the handshake). A connection's record (conn) lives until
 * it closes, whoever carries it. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conn.h"

static void unlink_conn(conn *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    c->w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

/* Where conn_of finds c by its descriptor; 0, or -1 out of memory. */
static int by_fd_put(worker *w, int fd, conn *c) {
  if ((size_t)fd >= w->by_fd_cap) {
    size_t cap = w->by_fd_cap ? w->by_fd_cap : 1024;
    while (cap <= (size_t)fd) cap *= 2;
    conn **p = realloc(w->by_fd, cap * sizeof *p);
    if (!p) return -1;
    memset(p + w->by_fd_cap, 0, (cap - w->by_fd_cap) * sizeof *p);
    w->by_fd = p;
    w->by_fd_cap = cap;
  }
  w->by_fd[fd] = c;
  return 0;
}

void lull__conn_close(conn *c) {
  if (c->key_fd >= 0 && c->w->by_fd[c->key_fd] == c) c->w->by_fd[c->key_fd] = NULL;
  if (c->head) {
    ev_io_stop(c->w->loop, &c->rio);
    ev_timer_stop(c->w->loop, &c->retry);
  }
  if (c->fd >= 0) close(c->fd);
  unlink_conn(c);
  if (!c->proxied) lull__conn_release(c->w->srv, c->ip);
  free(c->head);
  free(c);
}

/* libwebsockets takes the connection, as the client sent it (the worker
 * only peeked at it). */
static void adopt(conn *c) {
  worker *w = c->w;
  lull_server *srv = w->srv;
  c->wsi = lws_adopt_socket_vhost(w->vh, c->fd);
  c->fd = -1; /* its now, or closed by lws on failure */
  if (!c->wsi) {
    lull__log(srv, srv->tls_cert[0] ? LULL_LOG_INFO : LULL_LOG_WARN, "a connection was dropped at once%s",
              srv->tls_cert[0] ? ": its TLS handshake failed (plain HTTP to this HTTPS port?)"
                               : ": libwebsockets would not take it");
    lull__conn_close(c);
    return;
  }
  lws_set_opaque_user_data(c->wsi, c);
}

static void head_readable(struct ev_loop *loop, ev_io *io, int revents);

/* Part of a line is in: look again shortly (a level-triggered watcher
 * would fire for ever on bytes only peeked at). */
static void look_again(struct ev_loop *loop, ev_timer *t, int revents) {
  (void)revents;
  conn *c = t->data;
  ev_io_start(loop, &c->rio);
}

/* The request so far, peeked at: decided at its first line, a stream for
 * direct.c (which takes the whole head off the socket), or libwebsockets,
 * which then reads the request from its first byte. */
static void head_readable(struct ev_loop *loop, ev_io *io, int revents) {
  (void)revents;
  conn *c = io->data;
  ssize_t n = recv(c->fd, c->head, MAX_HEAD, MSG_PEEK);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    lull__log(c->w->srv, LULL_LOG_DEBUG, "%s left before its request was in", c->ip);
    lull__conn_close(c);
    return;
  }
  if (n < 0) return;
  c->head_len = (uint32_t)n;
  c->head[n] = 0;
  char *eol = strstr(c->head, "\r\n");
  int direct = eol && lull__direct_wants(c->head);
  if ((!eol || (direct && !strstr(c->head, "\r\n\r\n"))) && n < MAX_HEAD) {
    ev_io_stop(loop, &c->rio);
    /* Set again each time: a libev timer that has fired keeps an expiry of
     * about 0, and started as it is it fires at once (a busy loop on the
     * same peeked bytes until the request deadline). */
    ev_timer_set(&c->retry, 0.02, 0.);
    ev_timer_start(loop, &c->retry);
    return;
  }
  ev_io_stop(loop, &c->rio);
  if (direct) {
    if (recv(c->fd, c->head, (size_t)n, 0) != n) { /* what was peeked is there */
      lull__conn_close(c);
      return;
    }
    lull__direct_start(c);
    return;
  }
  free(c->head);
  c->head = NULL;
  adopt(c);
}

/* The listening socket is readable: take what is waiting (a bounded number,
 * so a connection storm cannot starve the listeners already here). */
void lull__accept_some(worker *w) {
  lull_server *srv = w->srv;
  for (int i = 0; i < 64; i++) {
    struct sockaddr_storage sa;
    socklen_t sa_len = sizeof sa;
    int fd = accept4(w->listen_fd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if ((e == EMFILE || e == ENFILE) && w->spare_fd >= 0) {
        /* Out of descriptors: the waiting connection would keep the
         * listening socket readable and this loop spinning. Use the spare
         * to take it and close it, then hold a spare again. */
        close(w->spare_fd);
        int c = accept(w->listen_fd, NULL, NULL);
        if (c >= 0) close(c);
        w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        atomic_fetch_add(&srv->rejected, 1);
      }
      if (e == EMFILE || e == ENFILE) {
        /* Another thread may have taken the descriptor the spare left (the
         * table is the process's): then stop watching the listening socket
         * until the sweep finds a spare again, rather than spin on it. */
        if (w->spare_fd < 0 && !w->accept_paused) {
          w->accept_paused = 1;
          lws_rx_flow_control(w->listen_wsi, 0);
        }
        uint64_t t = lull__now_ms();
        if (t - w->emfile_logged_ms > 10000) {
          w->emfile_logged_ms = t;
          lull__log(srv, LULL_LOG_WARN, "out of file descriptors: refusing connections (ulimit -n, --max-clients)");
        }
      }
      return;
    }
    if (atomic_load(&srv->stopping)) {
      close(fd);
      continue;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    lull__addr_key(&sa, c->ip, sizeof c->ip);
    c->proxied = lull__trusted(srv, &sa); /* it carries many clients: they are limited, not it */
    if (!c->proxied && lull__conn_check(srv, c->ip)) {
      /* Said in a few bytes the kernel takes at once, then closed. */
      static const char full[] = "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
                                 "connection: close\r\ncontent-length: 110\r\n\r\n"
                                 "{\"error\":{\"code\":\"too_many_from_address\",\"field\":\"\","
                                 "\"message\":\"too many connections from one address\"}}\n";
      (void)!send(fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      atomic_fetch_add(&srv->rejected, 1);
      lull__log(srv, LULL_LOG_DEBUG, "%s: refused, too many connections from this address", c->ip);
      free(c);
      continue;
    }
    /* Small send buffers: a reader that stops shows as a full socket
     * within a second or two, not after megabytes. */
    int sz = (int)srv->cfg.sndbuf, one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->w = w;
    c->fd = c->key_fd = fd;
    if (by_fd_put(w, fd, c)) {
      close(fd);
      lull__conn_release(srv, c->ip);
      free(c);
      continue;
    }
    c->deadline_ms = lull__now_ms() + srv->cfg.request_ms;
    c->next = w->conns;
    if (w->conns) w->conns->prev = c;
    w->conns = c;
    if (srv->tls_cert[0]) {
      adopt(c); /* the TLS handshake first: libwebsockets does it */
      continue;
    }
    if (!(c->head = malloc(MAX_HEAD + 1))) {
      lull__conn_close(c);
      continue;
    }
    ev_io_init(&c->rio, head_readable, fd, EV_READ);
    c->rio.data = c;
    ev_timer_init(&c->retry, look_again, 0.02, 0.);
    c->retry.data = c;
    ev_io_start(w->loop, &c->rio);
  }
}

/* Its record is the wsi's opaque user data, but libwebsockets 4.1 does
 * not show it during a WebSocket upgrade: then by its descriptor (which is
 * gone by the time the wsi is freed, when the opaque data is back). */
conn *lull__conn_of(struct lws *wsi) {
  if (!wsi) return NULL;
  conn *c = lws_get_opaque_user_data(wsi);
  if (c) return c;
  worker *w = lws_context_user(lws_get_context(wsi));
  int fd = lws_get_socket_fd(wsi);
  return fd >= 0 && (size_t)fd < w->by_fd_cap ? w->by_fd[fd] : NULL;
}

void lull__conn_request_done(struct lws *wsi) {
  conn *c = lull__conn_of(wsi);
  if (c) c->deadline_ms = lull__now_ms() + c->w->srv->cfg.request_ms;
}

void lull__conn_listening(struct lws *wsi) {
  conn *c = lull__conn_of(wsi);
  if (c) c->deadline_ms = 0;
}

void lull__client_ip(struct lws *wsi, char *out, size_t cap) {
  conn *c = lull__conn_of(wsi);
  if (c && c->proxied) {
    char xff[512] = "", fwd[512] = "";
    lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR);
    lws_hdr_custom_copy(wsi, fwd, sizeof fwd, "forwarded:", 10);
    if (lull__forwarded_client(c->w->srv, xff, fwd, out, cap)) return;
  }
  if (c)
    snprintf(out, cap, "%s", c->ip);
  else
    lws_get_peer_simple(wsi, out, cap);
}

/* The connection is gone (libwebsockets frees its wsi): its place too. */
void lull__conn_end(struct lws *wsi) {
  conn *c = lull__conn_of(wsi);
  /* A wsi that dies inside lws_adopt_socket_vhost (a failed TLS handshake)
   * is not yet c's: adopt() closes c when the adoption fails. */
  if (!c || c->wsi != wsi) return;
  lws_set_opaque_user_data(wsi, NULL);
  lull__conn_close(c);
}
