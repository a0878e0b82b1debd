/* An Icecast output's URL, read (icecast_url.c) for the output that logs in
 * with it (icecast.c). A target from a successful parse holds a user and a
 * host of the allowed characters, a port 1..65535 and a mount ending in
 * .ogg, .opus or .mp3. */
#ifndef LULL_SERVER_ICECAST_URL_H
#define LULL_SERVER_ICECAST_URL_H

#include "lull/err.h"

typedef struct lull_icecast_target {
  char user[64], host[256], mount[256];
  unsigned port;
  int mp3; /* the mount ends in .mp3: MP3, else Ogg/Opus */
} lull_icecast_target;

/* url into *t: LULL_OK, or LULL_EINVAL with diag saying what is wrong and
 * what is allowed. Pure; any thread. */
int lull__icecast_url_parse(const char *url, lull_icecast_target *t, lull_diag *diag);

#endif
