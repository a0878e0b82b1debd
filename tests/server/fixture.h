/* What the server tests share (fixture.c): starting a server, WebSocket
 * clients, JSON messages, expected errors, and counting a stream's packets. */
#ifndef LULL_TESTS_SERVER_FIXTURE_H
#define LULL_TESTS_SERVER_FIXTURE_H

#include <jansson.h>
#include <opus/opus.h>
#include <stdint.h>
#include <sys/types.h>

#include "lull/server.h"
#include "server/hub.h"
#include "support/netclient.h"
#include "support/spawn.h"

void nap_ms(long ms);
/* A server on a free loopback port, started; fails the test if it cannot be. */
lull_server *start(const lull_server_config *cfg);
/* Frames the station "main" has made. */
uint64_t station_frames(lull_server *srv);
/* text as JSON; fails the test if it is not. */
json_t *parse(const char *text);
/* The next text message of a given type (others skipped), parsed; NULL if
 * none comes within timeout_ms. */
json_t *next_text(nc_ws *ws, const char *type, int timeout_ms);
/* A WebSocket to path, upgraded and past its hello. */
nc_ws ws_open(uint16_t port, const char *path);
/* A number among a params or status message's params. */
double params_num(json_t *msg, const char *field);

/* A WebSocket stream's packets: counted, checked for gaps and decoded. */
typedef struct wsstat {
  uint64_t packets, gaps, bad, samples;
  int64_t last_seq;
  double first_t, last_t, sumsq;
  uint64_t sumn;
} wsstat;
void ws_packets(nc_ws *ws, wsstat *st, OpusDecoder *dec, int codec);

/* Send text; the next message is an error with this code (the connection stays). */
void expect_error(nc_ws *ws, const char *text, const char *code, const char *field);
/* An HTTP request is answered with this status and (if given) error code. */
void expect_http(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
                 int status, const char *code);
/* A WebSocket upgrade is answered with this status and (if given) error code. */
void expect_upgrade(uint16_t port, const char *path, const char *headers, int status, const char *code);
/* A header's value (name in lower case) from a response head, into out:
 * 1, or 0 when the head has none. */
int http_header(const char *head, const char *name, char *out, size_t cap);
/* The connection is closed by the server with this code. */
void expect_close(nc_ws *ws, int code);

/* `lull serve` as a child process with one WebSocket listener that has had
 * some audio: its pid (the listener in *ws, its stderr in *err_fd). */
pid_t serve_with_a_listener(nc_ws *ws, int *err_fd);
/* Wait for a child to exit, up to limit_s from t0 (then it is killed): 1 if
 * it exited by itself, its status in *status. */
int wait_exit(pid_t pid, double t0, double limit_s, int *status);

/* What the server logged at info and above, kept for a test to search. */
typedef struct logcap {
  char text[1 << 18];
  size_t len;
  int lines;
} logcap;
/* start(), with the server's log going to cap (thread-safe). */
lull_server *start_logged(const lull_server_config *cfg, logcap *cap);
/* How many logged lines contain needle. */
int logged(logcap *cap, const char *needle);
/* Listeners the server counts now (GET /api/status). */
int server_listeners(uint16_t port);
/* Open descriptors of this process. */
int open_fds(void);
/* Wait up to timeout_s for the server to count `want` listeners: 1 if it did. */
int wait_listeners(uint16_t port, int want, double timeout_s);
/* A self-signed certificate for 127.0.0.1 in a new folder under /tmp:
 * its paths. */
typedef struct test_cert {
  char dir[32], cert[64], key[64];
} test_cert;
void make_cert(test_cert *c);
/* GET path over TLS (more header lines in headers, each ending in \r\n;
 * NULL: none), trusting only cert, reading for up to `seconds` or to the
 * close: the status, the body in *body (malloc'd, NUL-terminated) and the
 * response head in head (if given). -1 when the handshake fails. */
int tls_get(uint16_t port, const char *cert, const char *path, const char *headers, double seconds, unsigned char **body,
            size_t *len, char *head, size_t head_cap);

#endif
