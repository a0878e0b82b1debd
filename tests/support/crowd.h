/* A crowd of clients on one epoll loop, for the churn test and the soak
 * (bench/soak.c): listeners who stay, each checked for gaps as it reads,
 * and clients who come and go every way a client leaves or attacks, each
 * held to what the server must do with it. The server's log (its stderr
 * pipe) is read in the same loop: a pipe left full would stall the server.
 * 127.0.0.1 only, one thread, every wait bounded. */
#ifndef LULL_TEST_CROWD_H
#define LULL_TEST_CROWD_H

#include <stddef.h>
#include <stdint.h>

/* What a listener asks for; CROWD_IDLE connects and asks nothing. */
enum { CROWD_WS_OPUS, CROWD_WS_PCM, CROWD_OGG, CROWD_MP3, CROWD_IDLE, CROWD_KINDS };

/* Ways of coming and going: the first CROWD_LEAVING_WAYS are listeners who
 * leave, the others attack. Each has variants, taken in turn. */
enum {
  CROWD_FIN,         /* listens, then close(): a WebSocket without a close frame */
  CROWD_RST,         /* listens, then a reset (SO_LINGER 0) */
  CROWD_HALF_CLOSE,  /* listens, then shutdown(SHUT_WR): the server must end it */
  CROWD_STRAY,       /* stray bytes after its request (WebSocket: half a frame header); still served, then FIN */
  CROWD_CLOSE_FRAME, /* WebSocket only: close 1000, answered with 1000, then the server closes */
  CROWD_IN_BURST,    /* gone at once: FIN before its request, reset just after it, or reset at the answer */
  CROWD_BIG_POST,    /* a POST announcing 100 MB, then a byte every 10 ms: refused and closed */
  CROWD_TRICKLE,     /* a request head a byte every 50 ms: closed at the request deadline, never served */
  CROWD_SILENT,      /* says nothing: closed at the request deadline, sent nothing */
  CROWD_FLOOD,       /* WebSocket: control or status messages at once (closed 1008), or 300 pings (served on) */
  CROWD_BIG_FRAME,   /* WebSocket frames announcing 2^40 or 65535 bytes, binary, a bad opcode, a bad length: closed */
  CROWD_GARBAGE,     /* garbage requests: answered with an error or not, closed, never served */
  CROWD_WAYS
};
#define CROWD_LEAVING_WAYS 6

extern const char *const crowd_way_names[CROWD_WAYS];
extern const char *const crowd_kind_names[CROWD_KINDS];

typedef struct crowd_config {
  uint16_t port;
  uint64_t seed;                   /* how long each listener who leaves listens */
  int log_fd;                      /* the server's stderr (read to its end), or -1 */
  const char *const *expected_log; /* NULL-terminated: substrings of warn and error lines that are expected */
  int round_ms;                    /* read in rounds this far apart (fewer wake-ups for many listeners); 0 = as data comes */
  double hold_min_s, hold_max_s;   /* listening time of one who leaves; 0, 0 = 0.1..1.5 s */
  double limit_s;                  /* a client still here this long after it came fails; 0 = 12 s */
  int max_clients;                 /* stayers and others at once; 0 = 2048 */
} crowd_config;

typedef struct crowd_way_stats {
  uint64_t started, passed, failed;
  char first_failure[200]; /* what the first failure was: kind, variant, why */
} crowd_way_stats;

typedef struct crowd_stayer {
  int kind;
  int status;                      /* the answer's status (101: WebSocket), 0 before it, -1 could not connect */
  int ended;                       /* the server ended it (EOF or reset) */
  int close_code;                  /* WebSocket close code received, 0 none */
  double t_open, t_first, t_close; /* connected, first audio, left (or ended) */
  uint64_t bytes;                  /* after the answer's head */
  uint64_t units, gaps, bad;       /* WebSocket packets or Ogg pages; sequence gaps; malformed ones */
  unsigned char *data;             /* HTTP kinds asked to collect: every byte after the head */
  size_t len;
} crowd_stayer;

typedef struct crowd_log {
  uint64_t lines, warnings, expected, unexpected; /* warnings: warn and error lines */
  uint64_t connects, disconnects;                 /* the server's "connect " and "disconnect " lines */
  int eof;                                        /* the server closed its stderr */
  char first_unexpected[4][240];
} crowd_log;

typedef struct crowd crowd;

/* NULL when out of memory or epoll cannot be had. */
crowd *crowd_create(const crowd_config *cfg);
/* Closes every client still here (not the log descriptor). NULL is fine. */
void crowd_destroy(crowd *cr);

/* A listener who stays until crowd_stayers_leave, keeping what it gets
 * when asked to (HTTP kinds, for decoding): its index (status -1 when it
 * could not connect), or -1 when the crowd is full. */
int crowd_stay(crowd *cr, int kind, int collect);
/* One who comes and goes this way (kind: what a listener asks for; the
 * WebSocket ways use a WebSocket kind). 0, or -1 when the crowd is full. */
int crowd_arrive(crowd *cr, int way, int kind);
/* Serve everyone, and read the log, for this long. */
void crowd_run(crowd *cr, double seconds);
/* Those who came and have not gone yet. */
int crowd_coming_and_going(const crowd *cr);
/* Every staying listener leaves (FIN); their figures stay. */
void crowd_stayers_leave(crowd *cr);

int crowd_stayers(const crowd *cr);
const crowd_stayer *crowd_stayer_at(const crowd *cr, int i);
const crowd_way_stats *crowd_way(const crowd *cr, int way);
const crowd_log *crowd_log_stats(const crowd *cr);
/* Stream requests answered 200 or 101 (stayers and others): listeners the
 * server admitted, as the clients saw it. */
uint64_t crowd_admitted(const crowd *cr);
/* Audio messages sent after a close frame that libwebsockets sent on its
 * own (a reserved opcode): lull is not told of those closes, so its wake
 * writes on until the close handshake times out. Known; counted apart. */
uint64_t crowd_lws_after_close(const crowd *cr);

#endif
