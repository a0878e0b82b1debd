/* The test client (see netclient.h). */
#include "support/netclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double nc_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int nc_connect(uint16_t port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

long nc_read(int fd, void *buf, size_t cap, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r == 0) return -2;
  if (r < 0) return -1;
  ssize_t n = read(fd, buf, cap);
  return n < 0 ? -1 : (long)n;
}

static int write_all(int fd, const void *data, size_t len) {
  const unsigned char *p = data;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read until the blank line; returns the status and leaves extra bytes. */
static int read_head(int fd, unsigned char **rest, size_t *rest_len, char *head, size_t head_cap) {
  size_t len = 0;
  char buf[8192];
  double end = nc_now_s() + 5;
  while (len < sizeof buf - 1) {
    long n = nc_read(fd, buf + len, sizeof buf - 1 - len, 200);
    if (n == -2) {
      if (nc_now_s() > end) return -1;
      continue;
    }
    if (n <= 0) return -1;
    len += (size_t)n;
    buf[len] = 0;
    char *eoh = strstr(buf, "\r\n\r\n");
    if (!eoh) continue;
    size_t hl = (size_t)(eoh + 4 - buf);
    if (head) snprintf(head, head_cap, "%.*s", (int)hl, buf);
    *rest_len = len - hl;
    *rest = malloc(*rest_len + 1);
    memcpy(*rest, buf + hl, *rest_len);
    (*rest)[*rest_len] = 0;
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    return status;
  }
  return -1;
}

int nc_http(uint16_t port, const char *method, const char *path, const char *headers, const char *body, char **out_body,
            size_t *out_len) {
  return nc_http_head(port, method, path, headers, body, out_body, out_len, NULL, 0);
}

/* The response to a request sent on fd (then closed): see nc_http. */
static int nc_response(int fd, char **out_body, size_t *out_len, char *out_head, size_t head_cap);

int nc_http_head(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
                 char **out_body, size_t *out_len, char *out_head, size_t head_cap) {
  int fd = nc_connect(port, 0);
  if (fd < 0) return -1;
  char req[8192];
  size_t blen = body ? strlen(body) : 0;
  int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s", method, path, port,
                   headers ? headers : "");
  if (body) n += snprintf(req + n, sizeof req - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
  n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
  if (write_all(fd, req, (size_t)n) || (blen && write_all(fd, body, blen))) {
    close(fd);
    return -1;
  }
  return nc_response(fd, out_body, out_len, out_head, head_cap);
}

int nc_request(uint16_t port, const char *request, char **out_body, size_t *out_len, char *out_head, size_t head_cap) {
  int fd = nc_connect(port, 0);
  if (fd < 0) return -1;
  if (write_all(fd, request, strlen(request))) {
    close(fd);
    return -1;
  }
  return nc_response(fd, out_body, out_len, out_head, head_cap);
}

static int nc_response(int fd, char **out_body, size_t *out_len, char *out_head, size_t head_cap) {
  unsigned char *rest;
  size_t len;
  char head[4096];
  int status = read_head(fd, &rest, &len, head, sizeof head);
  if (status < 0) {
    close(fd);
    return -1;
  }
  /* The body: Content-Length bytes, or until the close. */
  long want = -1;
  const char *cl = strcasestr(head, "content-length:");
  if (cl) want = strtol(cl + 15, NULL, 10);
  size_t cap = len + 65536;
  unsigned char *b = realloc(rest, cap);
  double end = nc_now_s() + 5;
  while ((want < 0 || (long)len < want) && nc_now_s() < end) {
    if (cap - len < 4096) b = realloc(b, cap *= 2);
    long r = nc_read(fd, b + len, cap - len - 1, 200);
    if (r == -2) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  b[len] = 0;
  if (out_head && head_cap) snprintf(out_head, head_cap, "%s", head);
  if (out_body)
    *out_body = (char *)b;
  else
    free(b);
  if (out_len) *out_len = len;
  return status;
}

int nc_stream_open(int fd, const char *path, unsigned char **pre, size_t *pre_len) {
  return nc_stream_open_head(fd, path, NULL, pre, pre_len, NULL, 0);
}

int nc_stream_open_head(int fd, const char *path, const char *headers, unsigned char **pre, size_t *pre_len, char *head,
                        size_t head_cap) {
  char req[2048];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: lull-test\r\n%s\r\n", path,
                   headers ? headers : "");
  if (n >= (int)sizeof req || write_all(fd, req, (size_t)n)) return -1;
  return read_head(fd, pre, pre_len, head, head_cap);
}

int nc_ws_open(nc_ws *ws, uint16_t port, const char *path, const char *headers, int rcvbuf, char **body) {
  memset(ws, 0, sizeof *ws);
  ws->fd = nc_connect(port, rcvbuf);
  if (ws->fd < 0) return -1;
  char req[2048];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                   path, port, headers ? headers : "");
  if (write_all(ws->fd, req, (size_t)n)) return -1;
  unsigned char *rest;
  size_t len;
  char head[4096];
  int status = read_head(ws->fd, &rest, &len, head, sizeof head);
  if (status != 101) {
    /* The refusal's body, until the length given or the close. */
    const char *cl = strcasestr(head, "content-length:");
    long want = cl ? strtol(cl + 15, NULL, 10) : 0;
    rest = realloc(rest, (size_t)(want > 0 ? want : 0) + len + 1);
    while ((long)len < want) {
      long r = nc_read(ws->fd, rest + len, (size_t)want - len, 2000);
      if (r <= 0) break;
      len += (size_t)r;
    }
    rest[len] = 0;
    if (body)
      *body = (char *)rest;
    else
      free(rest);
    close(ws->fd);
    ws->fd = -1;
    return status;
  }
  ws->cap = 1 << 20;
  ws->buf = malloc(ws->cap);
  memcpy(ws->buf, rest, len);
  ws->len = len;
  free(rest);
  return status;
}

size_t nc_ws_frame(unsigned char *out, unsigned first, uint64_t announce, const void *payload, size_t len) {
  static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  size_t h = 0;
  out[h++] = (unsigned char)first;
  if (announce < 126) {
    out[h++] = (unsigned char)(0x80 | announce);
  } else if (announce < 65536) {
    out[h++] = 0x80 | 126;
    out[h++] = (unsigned char)(announce >> 8);
    out[h++] = (unsigned char)announce;
  } else {
    out[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) out[h++] = (unsigned char)(announce >> (8 * i));
  }
  memcpy(out + h, mask, 4);
  h += 4;
  for (size_t i = 0; i < len; i++) out[h + i] = ((const unsigned char *)payload)[i] ^ mask[i & 3];
  return h + len;
}

int nc_ws_send(nc_ws *ws, int opcode, const void *data, size_t len) {
  unsigned char *f = malloc(len + 14);
  int rc = write_all(ws->fd, f, nc_ws_frame(f, 0x80u | (unsigned)opcode, len, data, len));
  free(f);
  return rc;
}

int nc_ws_recv(nc_ws *ws, int timeout_ms) {
  static _Thread_local unsigned char *out;
  static _Thread_local size_t out_cap;
  double end = nc_now_s() + timeout_ms / 1000.0;
  for (;;) {
    /* A whole frame in the buffer? */
    if (ws->len >= 2) {
      size_t h = 2, plen = ws->buf[1] & 0x7f;
      if (plen == 126) {
        h = 4;
        plen = ws->len >= 4 ? (size_t)ws->buf[2] << 8 | ws->buf[3] : 0;
      } else if (plen == 127) {
        h = 10;
        plen = 0;
        if (ws->len >= 10)
          for (int i = 2; i < 10; i++) plen = plen << 8 | ws->buf[i];
      }
      if (ws->len >= h && ws->len >= h + plen) {
        int opcode = ws->buf[0] & 0x0f;
        if (out_cap < plen + 1) out = realloc(out, out_cap = plen + 1);
        memcpy(out, ws->buf + h, plen);
        out[plen] = 0;
        memmove(ws->buf, ws->buf + h + plen, ws->len - h - plen);
        ws->len -= h + plen;
        ws->msg = out;
        ws->msg_len = plen;
        if (opcode == 8) ws->close_code = plen >= 2 ? out[0] << 8 | out[1] : 1005;
        return opcode;
      }
    }
    if (ws->fd < 0) return -1;
    int left = (int)((end - nc_now_s()) * 1000);
    if (left < 0) left = 0; /* one look without waiting */
    if (ws->cap - ws->len < 65536) ws->buf = realloc(ws->buf, ws->cap *= 2);
    long n = nc_read(ws->fd, ws->buf + ws->len, ws->cap - ws->len, left);
    if (n == -2) return 0;
    if (n <= 0) return -1;
    ws->len += (size_t)n;
  }
}

void nc_ws_close(nc_ws *ws) {
  if (ws->fd >= 0) close(ws->fd);
  ws->fd = -1;
  free(ws->buf);
  ws->buf = NULL;
}
