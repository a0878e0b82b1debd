/* The crowd (see crowd.h). Every client is a small state machine driven by
 * its socket's events and one timer (when to leave, or the next byte of a
 * trickle); what it received is checked as it arrives (WebSocket packets'
 * sequence numbers and positions, Ogg page numbers), and when it is gone
 * its way's verdict says whether the server did what it must. */
#include "support/crowd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support/netclient.h"

const char *const crowd_way_names[CROWD_WAYS] = {"FIN",         "RST",          "half-close",    "stray bytes",
                                                 "close frame", "in the burst", "100 MB POST",   "trickled head",
                                                 "silent",      "flood",        "big frame",     "garbage"};
const char *const crowd_kind_names[CROWD_KINDS] = {"ws-opus", "ws-pcm", "ogg", "mp3", "idle"};

enum { CONNECTING, OPEN, AWAIT_END, DONE };

#define HEAD_MAX 8192
#define FRAME_MAX (1u << 20)
#define STAYER (-1)

/* What a hostile way sends, and what it expects back: an HTTP status, or a
 * WebSocket close code (0: any answer or none, as long as the server ends it
 * and never serves it). lws_own: libwebsockets finds the fault and closes
 * by itself, and lull is never told (see after_close). */
typedef struct script {
  const unsigned char *bytes;
  size_t len;
  int expect, lws_own;
} script;

typedef struct client {
  crowd_stayer st;   /* what every client measures; a stayer's is public */
  int fd, way, variant, phase;
  int stream_request; /* asked for a stream (its 200 or 101 admits a listener) */
  int collect;        /* keeps what it gets (st.data) */
  int hello, marked, first_audio;
  double t0, t_act, t_limit, t_mark, hold_s;
  const script *drip;          /* sent a byte per step: a head, or a POST's body over and over */
  size_t drip_off;
  int drip_loop;
  double drip_every_s;
  uint64_t after_mark, after_close; /* audio after the mark (stray bytes, pings); after a close frame */
  int64_t last_seq;
  uint64_t next_pos;
  unsigned char *in;           /* the answer's head, then unparsed frames or pages */
  size_t in_len, in_cap, data_cap;
  char why[160];
} client;

struct crowd {
  crowd_config cfg;
  int ep;
  client **all; /* stayers first, in the order they came */
  int n_all, n_stayers, cap;
  crowd_way_stats ways[CROWD_WAYS];
  unsigned turn[CROWD_WAYS];
  crowd_log log;
  char log_tag; /* the log's epoll tag */
  char log_buf[4096];
  size_t log_len;
  uint64_t rng, admitted, lws_after_close;
  double last_round;
  unsigned char rbuf[1 << 16];
  /* The hostile scripts, built once. */
  unsigned char frames[6][256], floods[3][12000], longs[3][6000], trickles[3][400];
  script big_frame[6], flood[3], garbage[10], big_post[3], trickle[3];
};

static int is_ws(int kind) { return kind == CROWD_WS_OPUS || kind == CROWD_WS_PCM; }

static double uniform(crowd *cr) {
  /* xorshift64*: a fixed seed gives the same listening times every run. */
  cr->rng ^= cr->rng >> 12;
  cr->rng ^= cr->rng << 25;
  cr->rng ^= cr->rng >> 27;
  return (double)((cr->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

#define LIT(s) (const unsigned char *)(s), sizeof(s) - 1

static const char ws_head[] = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

static void build_scripts(crowd *cr) {
  /* Frames announcing too much (1009 at their first bytes), binary (1003),
   * a reserved opcode (1002), a 64-bit length with its top bit set and a
   * control frame with an extended length (both protocol errors: closed). */
  size_t n;
  n = nc_ws_frame(cr->frames[0], 0x81, 1ull << 40, "abcd", 4);
  cr->big_frame[0] = (script){cr->frames[0], n, 1009, 0};
  n = nc_ws_frame(cr->frames[1], 0x81, 65535, "abcd", 4);
  cr->big_frame[1] = (script){cr->frames[1], n, 1009, 0};
  n = nc_ws_frame(cr->frames[2], 0x82, 3, "abc", 3);
  cr->big_frame[2] = (script){cr->frames[2], n, 1003, 0};
  n = nc_ws_frame(cr->frames[3], 0x83, 3, "abc", 3);
  cr->big_frame[3] = (script){cr->frames[3], n, 1002, 1};
  static const unsigned char top_bit[] = {0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 4, 0x12, 0x34, 0x56, 0x78, 'a', 'b', 'c', 'd'};
  memcpy(cr->frames[4], top_bit, sizeof top_bit);
  cr->big_frame[4] = (script){cr->frames[4], sizeof top_bit, 0, 0};
  unsigned char pad[200];
  memset(pad, 'x', sizeof pad);
  n = nc_ws_frame(cr->frames[5], 0x89, sizeof pad, pad, sizeof pad);
  cr->big_frame[5] = (script){cr->frames[5], n, 0, 0};
  /* Floods: 40 control or status messages at once (10 a second are
   * allowed, then errors, then 1008), or 300 pings (not rate-limited:
   * answered, and the audio goes on). The control sets the default
   * intensity, so the music the others hear stays the same. */
  static const char control[] = "{\"type\":\"control\",\"intensity\":0.4}", status[] = "{\"type\":\"status\"}";
  size_t a = 0, b = 0, c = 0;
  for (int i = 0; i < 40; i++) {
    a += nc_ws_frame(cr->floods[0] + a, 0x81, sizeof control - 1, control, sizeof control - 1);
    b += nc_ws_frame(cr->floods[1] + b, 0x81, sizeof status - 1, status, sizeof status - 1);
  }
  for (int i = 0; i < 300; i++) c += nc_ws_frame(cr->floods[2] + c, 0x89, 4, "lull", 4);
  cr->flood[0] = (script){cr->floods[0], a, 1008, 0};
  cr->flood[1] = (script){cr->floods[1], b, 1008, 0};
  cr->flood[2] = (script){cr->floods[2], c, 0, 0};
  /* Garbage: what lull answers itself has a status to expect; the rest is
   * libwebsockets' to answer as it likes, or to close unanswered. */
  unsigned char *hdr = cr->longs[0], *line = cr->longs[1], *zeros = cr->longs[2];
  n = (size_t)sprintf((char *)hdr, "GET /stream.ogg HTTP/1.1\r\nX-Pad: %03000d\r\n\r\n", 0);
  cr->garbage[0] = (script){hdr, n, 431, 0};
  n = (size_t)sprintf((char *)line, "GET /%05000d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 0);
  cr->garbage[1] = (script){line, n, 0, 0};
  memset(zeros, 0, 100);
  memcpy(zeros + 100, "\r\n\r\n", 4);
  cr->garbage[2] = (script){zeros, 104, 0, 0};
  cr->garbage[3] = (script){LIT("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS hello on a plain port"), 0, 0};
  cr->garbage[4] = (script){LIT("GARBAGE\r\n\r\n"), 0, 0};
  cr->garbage[5] = (script){LIT("GET /stream.ogg?station=../../etc HTTP/1.1\r\n\r\n"), 400, 0};
  cr->garbage[6] = (script){LIT("GET /stream.mp3?foo=bar HTTP/1.1\r\n\r\n"), 400, 0};
  cr->garbage[7] = (script){LIT("GET /\0\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 0, 0};
  cr->garbage[8] = (script){LIT("POST /api/stations/main/params HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzzzz\r\n"),
                            411, 0};
  cr->garbage[9] = (script){LIT("GET /ws/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n"),
                            0, 0};
  /* POSTs announcing 100 MB: the params are refused at their length (413),
   * the others at their method (405); either way closed, whatever trickles. */
  cr->big_post[0] = (script){LIT("POST /api/stations/main/params HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"),
                             413, 0};
  cr->big_post[1] = (script){LIT("POST /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"),
                             405, 0};
  cr->big_post[2] = (script){LIT("POST /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\n\r\n"), 405, 0};
  /* Heads trickled a byte every 50 ms, padded to take 7 s: a stream (read by
   * the worker itself), an upgrade and a REST request (libwebsockets'). */
  static const char *const starts[3] = {"GET /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n", "GET /ws/stream HTTP/1.1\r\n",
                                        "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"};
  for (int i = 0; i < 3; i++) {
    n = (size_t)sprintf((char *)cr->trickles[i], "%s%sX-Pad: %0120d\r\n\r\n", starts[i], i == 1 ? ws_head : "", 0);
    cr->trickle[i] = (script){cr->trickles[i], n, 0, 0};
  }
}

static const script *scripts_of(crowd *cr, int way, int *count) {
  switch (way) {
    case CROWD_BIG_POST: *count = 3; return cr->big_post;
    case CROWD_TRICKLE: *count = 3; return cr->trickle;
    case CROWD_FLOOD: *count = 3; return cr->flood;
    case CROWD_BIG_FRAME: *count = 6; return cr->big_frame;
    case CROWD_GARBAGE: *count = 10; return cr->garbage;
    case CROWD_IN_BURST: *count = 3; return NULL; /* FIN before asking, reset after asking, reset at the answer */
    default: *count = 1; return NULL;
  }
}

crowd *crowd_create(const crowd_config *cfg) {
  crowd *cr = calloc(1, sizeof *cr);
  if (!cr) return NULL;
  cr->cfg = *cfg;
  if (!cr->cfg.hold_max_s) cr->cfg.hold_min_s = 0.1, cr->cfg.hold_max_s = 1.5;
  if (!cr->cfg.limit_s) cr->cfg.limit_s = 12;
  if (!cr->cfg.max_clients) cr->cfg.max_clients = 2048;
  cr->rng = cfg->seed ? cfg->seed : 1;
  cr->cap = cr->cfg.max_clients;
  cr->all = calloc((size_t)cr->cap, sizeof *cr->all);
  cr->ep = epoll_create1(EPOLL_CLOEXEC);
  if (!cr->all || cr->ep < 0) {
    crowd_destroy(cr);
    return NULL;
  }
  if (cfg->log_fd >= 0) {
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &cr->log_tag};
    epoll_ctl(cr->ep, EPOLL_CTL_ADD, cfg->log_fd, &e);
  }
  build_scripts(cr);
  return cr;
}

static void client_free(client *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->in);
  free(c->st.data);
  free(c);
}

void crowd_destroy(crowd *cr) {
  if (!cr) return;
  for (int i = 0; i < cr->n_all; i++) client_free(cr->all[i]);
  free(cr->all);
  if (cr->ep >= 0) close(cr->ep);
  free(cr);
}

/* Send all of it at once (a fresh loopback socket takes a few KiB): 0, or -1. */
static int put(client *c, const void *p, size_t n) {
  return send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? 0 : -1;
}

static void close_fd(client *c, int reset) {
  if (c->fd < 0) return;
  if (reset) {
    struct linger l = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(c->fd); /* leaves the epoll set with it */
  c->fd = -1;
}

static int served(const client *c) { return c->st.status == 101 || c->st.status == 200; }

static int has_audio(const client *c) { return c->st.kind == CROWD_MP3 ? c->st.bytes > 0 : c->st.units > 0; }

/* Whether the server did what it must with this client; NULL when it did. */
static const char *verdict(crowd *cr, client *c, int by_server) {
  int w = c->way, s = c->st.status, count;
  const script *sc = scripts_of(cr, w, &count);
  int expect = sc ? sc[c->variant].expect : 0;
  if (c->st.gaps) return "a gap in the sequence numbers";
  if (c->st.bad) return "a malformed packet or page";
  if (sc && sc[c->variant].lws_own) {
    /* Known: the wake goes on writing audio while libwebsockets waits (5 s)
     * for the answer to the close it sent on its own; counted, not failed. */
    cr->lws_after_close += c->after_close;
    c->after_close = 0;
  }
  if (c->after_close) {
    snprintf(c->why, sizeof c->why, "%llu audio messages after the server's close frame (%d)",
             (unsigned long long)c->after_close, c->st.close_code);
    return c->why;
  }
  int wants_end = w >= CROWD_BIG_POST || w == CROWD_HALF_CLOSE || w == CROWD_CLOSE_FRAME;
  if (w == CROWD_FLOOD && expect == 0) wants_end = 0; /* pings: served on */
  if (w == CROWD_IN_BURST) return s == 0 || served(c) ? NULL : "refused";
  if (wants_end && !by_server) return "not ended by the server";
  if (!wants_end && by_server) return "ended by the server while it listened";
  if (w < CROWD_IN_BURST || w == CROWD_FLOOD || w == CROWD_BIG_FRAME) {
    if (!served(c)) {
      snprintf(c->why, sizeof c->why, "answered %d, not served", s);
      return c->why;
    }
    if (w < CROWD_IN_BURST && !has_audio(c)) return "no audio";
  }
  if ((w == CROWD_STRAY || (w == CROWD_FLOOD && !expect)) && !c->after_mark) return "no audio after what it sent";
  /* libwebsockets answers a close, or sends its own, only when no send of
   * audio is in progress; otherwise it just closes (no close frame: 0). */
  if (w == CROWD_CLOSE_FRAME && c->st.close_code != 1000 && c->st.close_code != 0) {
    snprintf(c->why, sizeof c->why, "its close was answered with %d, not 1000", c->st.close_code);
    return c->why;
  }
  if ((w == CROWD_FLOOD || w == CROWD_BIG_FRAME) && expect && c->st.close_code != expect &&
      !(w == CROWD_BIG_FRAME && c->st.close_code == 0)) {
    snprintf(c->why, sizeof c->why, "closed with %d, expected %d (after %.1f s, %llu packets)", c->st.close_code, expect,
             nc_now_s() - c->t0, (unsigned long long)c->st.units);
    return c->why;
  }
  if ((w == CROWD_BIG_POST || w == CROWD_GARBAGE) && expect && s != expect) {
    snprintf(c->why, sizeof c->why, "answered %d, expected %d", s, expect);
    return c->why;
  }
  if ((w == CROWD_TRICKLE || w == CROWD_GARBAGE || w == CROWD_BIG_POST) && served(c)) return "served";
  if (w == CROWD_SILENT && (s || c->st.bytes)) return "was sent something";
  return NULL;
}

/* A client is done: its verdict counted, its socket closed. */
static void finish(crowd *cr, client *c, int by_server, int reset) {
  if (c->phase == DONE) return;
  c->phase = DONE;
  c->st.t_close = nc_now_s();
  if (c->way == STAYER) {
    c->st.ended = by_server;
    close_fd(c, reset);
    return;
  }
  const char *why = c->why[0] ? c->why : verdict(cr, c, by_server);
  crowd_way_stats *ws = &cr->ways[c->way];
  if (why) {
    if (!ws->failed++)
      snprintf(ws->first_failure, sizeof ws->first_failure, "%s, variant %d: %s", crowd_kind_names[c->st.kind],
               c->variant, why);
  } else {
    ws->passed++;
  }
  close_fd(c, reset);
}

static void mark(client *c) {
  c->marked = 1;
  c->t_mark = nc_now_s();
}

static void on_audio(client *c) {
  if (c->first_audio) return;
  c->first_audio = 1;
  c->st.t_first = nc_now_s();
  if (c->way == STAYER || c->t_act) return;
  if (c->way < CROWD_IN_BURST || (c->way == CROWD_FLOOD && c->variant == 2)) c->t_act = c->st.t_first + c->hold_s;
}

/* Audio counts as "after" a mark once the server has had time to read
 * what was sent (a burst already on its way does not). */
static void audio_unit(client *c) {
  c->st.units++;
  if (c->marked && nc_now_s() - c->t_mark > 0.25) c->after_mark++;
}

static void ws_packets(client *c, const unsigned char *p, size_t len) {
  int codec = c->st.kind == CROWD_WS_PCM ? 2 : 1;
  if (c->st.close_code) c->after_close++;
  while (len) {
    if (len < 16) {
      c->st.bad++;
      return;
    }
    size_t plen = (size_t)p[2] | (size_t)p[3] << 8;
    uint32_t seq = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    uint64_t pos = 0;
    for (int i = 7; i >= 0; i--) pos = pos << 8 | p[8 + i];
    if (p[0] != 1 || p[1] != codec || 16 + plen > len || (codec == 2 && plen != 3840)) {
      c->st.bad++;
      return;
    }
    if (c->st.units && seq != (uint32_t)(c->last_seq + 1))
      c->st.gaps++;
    else if (c->st.units && pos != c->next_pos)
      c->st.bad++; /* consecutive packets 20 ms apart in media time */
    c->last_seq = seq;
    c->next_pos = pos + 960;
    audio_unit(c);
    on_audio(c);
    p += 16 + plen;
    len -= 16 + plen;
  }
}

static void on_hello(crowd *cr, client *c) {
  int count;
  const script *sc = scripts_of(cr, c->way, &count);
  if (c->way != CROWD_FLOOD && c->way != CROWD_BIG_FRAME) return;
  if (put(c, sc[c->variant].bytes, sc[c->variant].len)) snprintf(c->why, sizeof c->why, "could not send its frames");
  mark(c);
}

/* Whole frames from the server (unmasked): text, audio, close. */
static size_t ws_parse(crowd *cr, client *c) {
  size_t at = 0;
  while (c->in_len - at >= 2 && c->phase != DONE) {
    const unsigned char *b = c->in + at;
    size_t left = c->in_len - at, h = 2;
    uint64_t len = b[1] & 0x7f;
    if (len == 126) {
      if (left < 4) break;
      len = (uint64_t)b[2] << 8 | b[3], h = 4;
    } else if (len == 127) {
      if (left < 10) break;
      len = 0, h = 10;
      for (int i = 2; i < 10; i++) len = len << 8 | b[i];
    }
    if (len > FRAME_MAX) {
      c->st.bad++;
      return c->in_len;
    }
    if (left < h + len) {
      if (h + len > c->in_cap) {
        c->in_cap = h + len;
        c->in = realloc(c->in, c->in_cap);
        b = c->in + at;
      }
      break;
    }
    int op = b[0] & 0x0f;
    if (op == 1 && !c->hello) {
      c->hello = 1;
      on_hello(cr, c);
    } else if (op == 2) {
      ws_packets(c, b + h, (size_t)len);
    } else if (op == 8) {
      c->st.close_code = len >= 2 ? b[h] << 8 | b[h + 1] : 1005;
    } else if (op == 9 && len <= 125) {
      /* A ping is answered, as every browser does: libwebsockets hangs up
       * on a peer it has heard nothing from for 310 s (its default
       * validity policy pings at 300 s). */
      unsigned char pong[256];
      size_t n = nc_ws_frame(pong, 0x8a, len, (const char *)b + h, (size_t)len);
      if (put(c, pong, n)) snprintf(c->why, sizeof c->why, "could not answer a ping");
    }
    at += h + (size_t)len;
  }
  return at;
}

/* Whole Ogg pages: after the two header pages, page numbers are consecutive. */
static size_t ogg_parse(client *c) {
  size_t at = 0;
  for (;;) {
    const unsigned char *b = c->in + at;
    size_t left = c->in_len - at;
    if (left < 27) break;
    if (memcmp(b, "OggS", 4) != 0) {
      c->st.bad++;
      return c->in_len;
    }
    size_t segs = b[26], body = 0;
    if (left < 27 + segs) break;
    for (size_t i = 0; i < segs; i++) body += b[27 + i];
    if (left < 27 + segs + body) break;
    int64_t seq = (int64_t)((uint32_t)b[18] | (uint32_t)b[19] << 8 | (uint32_t)b[20] << 16 | (uint32_t)b[21] << 24);
    if (c->last_seq >= 2 && seq != c->last_seq + 1) c->st.gaps++;
    c->last_seq = seq;
    audio_unit(c);
    on_audio(c);
    at += 27 + segs + body;
  }
  return at;
}

static void append(unsigned char **buf, size_t *len, size_t *cap, const unsigned char *p, size_t n) {
  if (!n) return;
  if (*len + n > *cap) {
    size_t want = *cap ? *cap : 16384;
    while (want < *len + n) want *= 2;
    *buf = realloc(*buf, want);
    *cap = want;
  }
  memcpy(*buf + *len, p, n);
  *len += n;
}

static void on_head(crowd *cr, client *c) {
  if (sscanf((const char *)c->in, "HTTP/1.%*d %d", &c->st.status) != 1) c->st.status = -2;
  if (served(c) && c->stream_request) cr->admitted++;
  if (c->way == CROWD_IN_BURST && c->variant == 2) {
    finish(cr, c, 0, 1);
    return;
  }
  if (c->way == CROWD_STRAY && is_ws(c->st.kind) && c->st.status == 101) {
    if (put(c, "\x81", 1)) snprintf(c->why, sizeof c->why, "could not send its stray byte");
    mark(c);
  }
}

static void consume(crowd *cr, client *c, const unsigned char *p, size_t n) {
  append(&c->in, &c->in_len, &c->in_cap, p, n);
  if (!c->st.status) {
    unsigned char *eoh = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!eoh) {
      if (c->in_len > HEAD_MAX) c->st.status = -2, c->in_len = 0; /* not HTTP */
      return;
    }
    size_t hl = (size_t)(eoh + 4 - c->in);
    c->in[hl - 1] = 0;
    on_head(cr, c);
    if (c->phase == DONE) return;
    memmove(c->in, c->in + hl, c->in_len - hl);
    c->in_len -= hl;
    n = c->in_len;
  }
  c->st.bytes += n;
  if (c->collect) append(&c->st.data, &c->st.len, &c->data_cap, c->in + c->in_len - n, n);
  size_t used = c->in_len;
  if (!c->stream_request || c->st.status < 0) {
    /* An answer to an attack: only counted. */
  } else if (is_ws(c->st.kind)) {
    used = ws_parse(cr, c);
  } else if (c->st.kind == CROWD_OGG) {
    used = ogg_parse(c);
  } else if (n) { /* MP3: bytes, not parsed */
    c->after_mark += c->marked && nc_now_s() - c->t_mark > 0.25;
    on_audio(c);
  }
  if (c->phase == DONE) return;
  memmove(c->in, c->in + used, c->in_len - used);
  c->in_len -= used;
}

static void request(client *c, const char *stray) {
  char req[512];
  int n;
  if (is_ws(c->st.kind))
    n = snprintf(req, sizeof req, "GET /ws/stream?codec=%s HTTP/1.1\r\n%s\r\n", c->st.kind == CROWD_WS_PCM ? "pcm" : "opus",
                 ws_head);
  else
    n = snprintf(req, sizeof req, "GET /stream.%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n%s",
                 c->st.kind == CROWD_OGG ? "ogg" : "mp3", stray);
  c->stream_request = 1;
  if (put(c, req, (size_t)n)) snprintf(c->why, sizeof c->why, "could not send its request");
}

/* A POST's body: this byte, over and over. */
static const script brace = {LIT("{"), 0, 0};

/* The connection is up: say what this way says first. */
static void on_connected(crowd *cr, client *c) {
  double t = nc_now_s();
  int count;
  const script *sc = scripts_of(cr, c->way, &count);
  c->phase = OPEN;
  struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
  epoll_ctl(cr->ep, EPOLL_CTL_MOD, c->fd, &e);
  switch (c->way) {
    case STAYER:
      if (c->st.kind != CROWD_IDLE) request(c, "");
      break;
    case CROWD_IN_BURST:
      if (c->variant == 0) {
        finish(cr, c, 0, 0);
      } else {
        request(c, "");
        if (c->variant == 1) finish(cr, c, 0, 1);
      }
      break;
    case CROWD_STRAY:
      request(c, "Z");
      if (!is_ws(c->st.kind)) mark(c);
      break;
    case CROWD_BIG_POST:
      if (put(c, sc[c->variant].bytes, sc[c->variant].len)) snprintf(c->why, sizeof c->why, "could not send its head");
      c->drip = &brace;
      c->drip_loop = 1;
      c->drip_every_s = 0.01;
      c->t_act = t + c->drip_every_s;
      break;
    case CROWD_TRICKLE:
      c->drip = &sc[c->variant];
      c->drip_every_s = 0.05;
      c->t_act = t;
      break;
    case CROWD_SILENT:
      break;
    case CROWD_GARBAGE:
      if (put(c, sc[c->variant].bytes, sc[c->variant].len)) snprintf(c->why, sizeof c->why, "could not send it");
      break;
    default: /* FIN, RST, HALF_CLOSE, CLOSE_FRAME, FLOOD, BIG_FRAME: a listener first */
      request(c, "");
      break;
  }
}

/* Its timer: the next byte of a trickle, or the end of its listening. */
static void on_timer(crowd *cr, client *c, double t) {
  if (c->drip) {
    if (put(c, c->drip->bytes + (c->drip_loop ? 0 : c->drip_off), 1)) {
      c->t_act = 0; /* closed by the server: its reading side will say */
      return;
    }
    c->drip_off++;
    c->t_act = c->drip_loop || c->drip_off < c->drip->len ? t + c->drip_every_s : 0;
    return;
  }
  c->t_act = 0;
  switch (c->way) {
    case CROWD_RST: finish(cr, c, 0, 1); break;
    case CROWD_HALF_CLOSE:
      shutdown(c->fd, SHUT_WR);
      c->phase = AWAIT_END;
      break;
    case CROWD_CLOSE_FRAME: {
      unsigned char f[16];
      if (put(c, f, nc_ws_frame(f, 0x88, 2, "\x03\xe8", 2))) snprintf(c->why, sizeof c->why, "could not send its close");
      c->phase = AWAIT_END;
      break;
    }
    default: finish(cr, c, 0, 0); break; /* FIN, stray bytes, pings: close() */
  }
}

static void readable(crowd *cr, client *c) {
  ssize_t n = read(c->fd, cr->rbuf, sizeof cr->rbuf);
  if (n > 0) {
    consume(cr, c, cr->rbuf, (size_t)n);
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    finish(cr, c, 1, 0);
  }
}

static void unexpected(crowd_log *l, const char *line) {
  if (l->unexpected < 4) snprintf(l->first_unexpected[l->unexpected], sizeof l->first_unexpected[0], "%.239s", line);
  l->unexpected++;
}

static void log_line(crowd *cr, char *line) {
  crowd_log *l = &cr->log;
  l->lines++;
  /* A sanitizer's report in a sanitized server's stderr. */
  if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) {
    l->warnings++;
    unexpected(l, line);
    return;
  }
  /* "2024-01-01T00:00:00.000Z warn  message": the level padded to five. */
  const char *sp = strchr(line, ' ');
  if (!sp || strlen(sp) < 7) return;
  const char *level = sp + 1, *msg = sp + 7;
  if (strncmp(level, "info ", 5) == 0) {
    l->connects += strncmp(msg, "connect ", 8) == 0;
    l->disconnects += strncmp(msg, "disconnect ", 11) == 0;
    return;
  }
  if (strncmp(level, "warn ", 5) != 0 && strncmp(level, "error", 5) != 0) return;
  l->warnings++;
  for (const char *const *e = cr->cfg.expected_log; e && *e; e++)
    if (strstr(msg, *e)) {
      l->expected++;
      return;
    }
  unexpected(l, line);
}

static void read_log(crowd *cr) {
  ssize_t n = read(cr->cfg.log_fd, cr->log_buf + cr->log_len, sizeof cr->log_buf - 1 - cr->log_len);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      cr->log.eof = 1;
      epoll_ctl(cr->ep, EPOLL_CTL_DEL, cr->cfg.log_fd, NULL);
    }
    return;
  }
  cr->log_len += (size_t)n;
  cr->log_buf[cr->log_len] = 0;
  char *p = cr->log_buf, *nl;
  while ((nl = strchr(p, '\n'))) {
    *nl = 0;
    log_line(cr, p);
    p = nl + 1;
  }
  cr->log_len -= (size_t)(p - cr->log_buf);
  memmove(cr->log_buf, p, cr->log_len);
  if (cr->log_len == sizeof cr->log_buf - 1) cr->log_len = 0; /* a line longer than the buffer: dropped */
}

static client *connect_one(crowd *cr, int way, int kind) {
  if (cr->n_all >= cr->cap) return NULL;
  client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->way = way;
  c->st.kind = kind;
  c->last_seq = -1;
  c->t0 = c->st.t_open = nc_now_s();
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(cr->cfg.port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  if (c->fd >= 0) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)) {
    snprintf(c->why, sizeof c->why, "connect: %s", strerror(errno));
    c->st.status = -1;
    c->phase = OPEN; /* its caller finishes it */
  } else {
    c->phase = CONNECTING;
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(cr->ep, EPOLL_CTL_ADD, c->fd, &e);
  }
  cr->all[cr->n_all++] = c;
  return c;
}

int crowd_stay(crowd *cr, int kind, int collect) {
  /* Stayers are kept first in the table, in the order they came. */
  if (cr->n_all >= cr->cap) return -1;
  client *c = connect_one(cr, STAYER, kind);
  if (!c) return -1;
  c->collect = collect && (kind == CROWD_OGG || kind == CROWD_MP3);
  client *moved = cr->all[cr->n_stayers];
  cr->all[cr->n_stayers] = c;
  cr->all[cr->n_all - 1] = moved;
  if (c->st.status < 0) finish(cr, c, 0, 0);
  return cr->n_stayers++;
}

int crowd_arrive(crowd *cr, int way, int kind) {
  if (way == CROWD_CLOSE_FRAME || way >= CROWD_FLOOD) kind = is_ws(kind) ? kind : CROWD_WS_OPUS;
  if (way >= CROWD_BIG_POST && way <= CROWD_SILENT) kind = CROWD_IDLE;
  if (way == CROWD_GARBAGE) kind = CROWD_IDLE;
  int count;
  scripts_of(cr, way, &count);
  int variant = (int)(cr->turn[way]++ % (unsigned)count);
  client *c = connect_one(cr, way, kind);
  if (!c) return -1;
  c->variant = variant;
  c->t_limit = c->t0 + cr->cfg.limit_s;
  c->hold_s = cr->cfg.hold_min_s + (cr->cfg.hold_max_s - cr->cfg.hold_min_s) * uniform(cr);
  /* Long enough to see audio after what it sent (audio_unit). */
  if ((way == CROWD_STRAY || (way == CROWD_FLOOD && variant == 2)) && c->hold_s < 0.6) c->hold_s = 0.6;
  cr->ways[way].started++;
  if (c->st.status < 0) finish(cr, c, 0, 0);
  return 0;
}

/* Timers due, limits passed, and the finished ones freed. */
static void tick(crowd *cr, double t) {
  for (int i = 0; i < cr->n_all; i++) {
    client *c = cr->all[i];
    if (c->phase != DONE && c->t_act && t >= c->t_act) on_timer(cr, c, t);
    if (c->phase != DONE && c->t_limit && t >= c->t_limit) {
      snprintf(c->why, sizeof c->why, "still here after %.0f s: %s", cr->cfg.limit_s,
               c->phase == CONNECTING                        ? "never connected"
               : c->way < CROWD_IN_BURST && !c->first_audio ? "no audio"
                                                             : "not ended by the server");
      finish(cr, c, 0, 1);
    }
  }
  for (int i = cr->n_stayers; i < cr->n_all;) {
    if (cr->all[i]->phase == DONE) {
      client_free(cr->all[i]);
      cr->all[i] = cr->all[--cr->n_all];
    } else {
      i++;
    }
  }
}

void crowd_run(crowd *cr, double seconds) {
  struct epoll_event evs[512];
  double end = nc_now_s() + seconds;
  for (;;) {
    double t = nc_now_s();
    tick(cr, t);
    if (t >= end) break;
    int wait_ms = (int)((end - t) * 1000) + 1;
    if (wait_ms > 10) wait_ms = 10;
    if (cr->cfg.round_ms) {
      /* Reads in rounds: each then takes what a few messages brought. */
      double next = cr->last_round + cr->cfg.round_ms / 1000.0;
      if (t < next) {
        double s = (next < end ? next : end) - t;
        struct timespec ts = {0, (long)(s * 1e9)};
        nanosleep(&ts, NULL);
        continue;
      }
      wait_ms = 0;
    }
    int n = epoll_wait(cr->ep, evs, 512, wait_ms);
    if (n < 512) cr->last_round = nc_now_s();
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == &cr->log_tag) {
        read_log(cr);
        continue;
      }
      client *c = evs[i].data.ptr;
      if (c->phase == DONE) continue;
      if (c->phase == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          snprintf(c->why, sizeof c->why, "connect: %s", strerror(err));
          if (c->way == STAYER) c->st.status = -1;
          finish(cr, c, 0, 0);
        } else {
          on_connected(cr, c);
        }
        continue;
      }
      readable(cr, c);
    }
  }
}

int crowd_coming_and_going(const crowd *cr) { return cr->n_all - cr->n_stayers; }

void crowd_stayers_leave(crowd *cr) {
  for (int i = 0; i < cr->n_stayers; i++)
    if (cr->all[i]->phase != DONE) finish(cr, cr->all[i], 0, 0);
}

int crowd_stayers(const crowd *cr) { return cr->n_stayers; }
const crowd_stayer *crowd_stayer_at(const crowd *cr, int i) { return &cr->all[i]->st; }
const crowd_way_stats *crowd_way(const crowd *cr, int way) { return &cr->ways[way]; }
const crowd_log *crowd_log_stats(const crowd *cr) { return &cr->log; }
uint64_t crowd_admitted(const crowd *cr) { return cr->admitted; }
uint64_t crowd_lws_after_close(const crowd *cr) { return cr->lws_after_close; }
