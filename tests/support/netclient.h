/* A small real client for the server tests and the load bench: blocking
 * HTTP/1.1 requests, HTTP streams and WebSocket (RFC 6455, masked client
 * frames), on 127.0.0.1, every wait bounded by a timeout. */
#ifndef LULL_TEST_NETCLIENT_H
#define LULL_TEST_NETCLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Connect to 127.0.0.1:port (rcvbuf > 0 sets SO_RCVBUF first). fd or -1. */
int nc_connect(uint16_t port, int rcvbuf);

/* One request with Connection: close; the whole response. Returns the
 * status, or -1. *body is malloc'd and NUL-terminated (free it). */
int nc_http(uint16_t port, const char *method, const char *path, const char *headers, const char *body, char **out_body,
            size_t *out_len);
/* The same, and the response head (status line and headers) in out_head. */
int nc_http_head(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
                 char **out_body, size_t *out_len, char *out_head, size_t head_cap);

/* A request written out whole (its own Host, or none): as nc_http_head. */
int nc_request(uint16_t port, const char *request, char **out_body, size_t *out_len, char *out_head, size_t head_cap);

/* Send a GET and read the response head: the status, or -1. Whatever body
 * bytes came with the head are in pre/pre_len (malloc'd). */
int nc_stream_open(int fd, const char *path, unsigned char **pre, size_t *pre_len);
/* The same with more header lines (each ending in \r\n; NULL: none), and
 * the response head in head (if given). */
int nc_stream_open_head(int fd, const char *path, const char *headers, unsigned char **pre, size_t *pre_len, char *head,
                        size_t head_cap);

/* read() with a timeout: bytes, 0 at end of stream, -1 on error, -2 on timeout. */
long nc_read(int fd, void *buf, size_t cap, int timeout_ms);

typedef struct nc_ws {
  int fd;
  unsigned char *buf; /* received, not yet parsed */
  size_t len, cap;
  unsigned char *msg; /* the last message (points into a private buffer) */
  size_t msg_len;
  int close_code;     /* when the server closed: its code */
} nc_ws;

/* Handshake on path (with query) and extra header lines ("Origin: x\r\n").
 * Returns the HTTP status (101 when open); on refusal *body holds the
 * response body (malloc'd). */
int nc_ws_open(nc_ws *ws, uint16_t port, const char *path, const char *headers, int rcvbuf, char **body);
int nc_ws_send(nc_ws *ws, int opcode, const void *data, size_t len);
/* A client's frame (masked, RFC 6455 5.3) into out (len + 14 bytes): its
 * first byte (FIN, opcode), the length it announces (a test may lie), then
 * len bytes of payload. Returns its size. */
size_t nc_ws_frame(unsigned char *out, unsigned first, uint64_t announce, const void *payload, size_t len);
/* The next whole message: its opcode (1 text, 2 binary, 8 close), 0 on
 * timeout, -1 when the connection ended. The payload is ws->msg/msg_len;
 * text is NUL-terminated. */
int nc_ws_recv(nc_ws *ws, int timeout_ms);
void nc_ws_close(nc_ws *ws);

double nc_now_s(void);

#endif
