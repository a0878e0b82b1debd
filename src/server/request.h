/* The request head of an HTTP stream the worker serves itself (direct.c),
 * read with no I/O and no server state, so that a fuzzer can call it: the
 * method, the stream, the station named, or the refusal to answer with.
 * Whether the station exists is the caller's question (404). */
#ifndef LULL_SERVER_REQUEST_H
#define LULL_SERVER_REQUEST_H

#include <stddef.h>

/* A stream request, or why it is refused (status, reason, code, field,
 * message: the HTTP answer and its JSON error). */
typedef struct lull_direct_req {
  int is_head;        /* HEAD, else GET */
  int kind;           /* LULL_FEED_OGG or LULL_FEED_MP3 (server/hub.h) */
  int mount;          /* the path was a mount, /NAME.ogg or /NAME.mp3 */
  char station[40];   /* the mount's NAME, or the query's station=NAME, "main" without one */
  unsigned status;    /* 0, or the refusal's: 400 or 431 */
  const char *reason; /* its reason phrase ("Bad Request") */
  char code[24], field[64], message[160];
} lull_direct_req;

/* The head's first len bytes (no terminating NUL needed; as in a C string,
 * nothing after a NUL counts): -1 when it is not a GET or HEAD of
 * /stream.ogg, /stream.mp3 or a mount (lull__mount_parse, which takes no
 * query argument) (out holds a 400 "malformed request"), 0 for
 * a request to serve, or the refusal's status (out->status) when the head
 * has no end within len (431) or the query is bad (400). Any thread. */
int lull__direct_parse(const char *head, size_t len, lull_direct_req *out);

/* A stream request's query (the bytes after '?'; len of them): 0 with
 * out->station set, or 400 with the refusal in out. "station=NAME" is the
 * only argument; the last one counts. Any thread. */
int lull__direct_query(const char *q, size_t len, lull_direct_req *out);

/* A mount-style path, "/NAME.ogg" or "/NAME.mp3" (len bytes, without the
 * query): LULL_FEED_OGG or LULL_FEED_MP3 with NAME into name ("" when it
 * does not fit cap), or -1 when path is no mount (another extension, a
 * slash or a NUL inside, or /stream.ogg and /stream.mp3, which take the
 * station from the query). NAME may still be no valid station name
 * (lull_station_name_valid says). Any thread. */
int lull__mount_parse(const char *path, size_t len, char *name, size_t cap);

#endif
