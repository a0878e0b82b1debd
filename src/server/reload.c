/* Configured stations and Icecast outputs, made at create and changed while
 * serving (lull_server_reload, on SIGHUP in lull serve):
 *
 * - a station the new config adds starts in a free slot;
 * - one it leaves out ends: its listeners are closed (1001, going away);
 * - one whose params (key, mode, tempo, intensity, palette) or face (title,
 *   description) alone changed is steered there as the operator would, or
 *   given its new face, and its listeners stay;
 * - one with any other change (its seed, steer, plugins, bitrate, ...)
 *   starts anew in a free slot beside the old, which then ends with 1012
 *   (service restart): the player reconnects to the new one at once;
 * - the others, and their listeners, are left alone.
 *
 * Everything that can fail (the checks, every new station made, the TLS
 * pair) is done before anything changes: a reload that fails changes
 * nothing. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lull/lull.h"
#include "server/conn.h"

static void icecast_log(void *user, int level, const char *message) { lull__log(user, level, "%s", message); }

/* FNV-1a, 64 bits: what changed, not a secret. */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t mix_text(uint64_t h, const char *s) { return s ? mix(h, s, strlen(s) + 1) : mix(h, "\xff", 1); }

static uint64_t mix_u64(uint64_t h, uint64_t v) { return mix(h, &v, sizeof v); }

static const char *name_of(const lull_station_config *c) { return c->name ? c->name : "main"; }

/* The params a station starts with (bpm 0: the defaults, keeping the seed). */
static lull_params config_params(const lull_station_config *c) {
  lull_params p = c->params;
  if (p.bpm == 0) {
    p = lull_params_default();
    p.seed = c->params.seed;
  }
  return p;
}

/* Everything of a station's config but its face (title, description) and
 * the params a listener may steer: two stations with the same digest
 * differ at most in those, which change while it plays. */
static uint64_t station_digest(const lull_station_config *c) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = mix_text(h, name_of(c));
  h = mix_u64(h, c->params.seed);
  uint64_t n[] = {c->lead_ms, c->bitrate, c->ring_seconds, c->recent_minutes, (uint64_t)c->dry, (uint64_t)c->daycycle,
                  (uint64_t)c->priority, (uint64_t)c->steer, c->fx_count};
  for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) h = mix_u64(h, n[i]);
  h = mix(h, &c->day_hour, sizeof c->day_hour);
  for (uint32_t i = 0; i < c->fx_count; i++) h = mix_text(h, c->fx[i]);
  for (int p = 0; p < LULL_PART_COUNT; p++) h = mix_text(h, c->instrument[p]);
  return h;
}

/* The params a change may carry that differ between a and b (LULL_PARAM_*). */
static uint32_t params_diff(const lull_params *a, const lull_params *b) {
  return (a->key != b->key ? LULL_PARAM_KEY : 0) | (a->mode != b->mode ? LULL_PARAM_MODE : 0) |
         (a->bpm != b->bpm ? LULL_PARAM_BPM : 0) | (a->intensity != b->intensity ? LULL_PARAM_INTENSITY : 0) |
         (a->palette != b->palette ? LULL_PARAM_PALETTE : 0);
}

static uint64_t icecast_digest(const lull_server_icecast *ic) {
  uint64_t h = 0xcbf29ce484222325ull;
  const lull_icecast_config *o = &ic->output;
  const char *t[] = {ic->station, o->url, o->password, o->name, o->description, o->genre};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) h = mix_text(h, t[i]);
  h = mix_u64(h, o->queue_max);
  return mix_u64(h, o->retry_max_s);
}

size_t lull__configured_count(const lull_server *srv) {
  size_t n = 0;
  for (size_t i = 0; i < FIRST_PERSONAL; i++) n += atomic_load(&srv->slots[i].state) == P_LIVE;
  return n;
}

/* ---- stations ------------------------------------------------------------- */

/* The checks a station's config gets besides lull_station_create's. */
static int station_check(const lull_server *srv, const lull_station_config *c, lull_diag *diag) {
  if (c->steer == LULL_STEER_TOKEN && !srv->token[0])
    return lull_diag_set(diag, LULL_EINVAL, "stations",
                         "station \"%s\": steer=token needs the server's control token (--control-token)", name_of(c));
  if (strncmp(name_of(c), "p-", 2) == 0)
    return lull_diag_set(diag, LULL_EINVAL, "stations", "station \"%s\": names starting \"p-\" are the personal stations'",
                         name_of(c));
  return LULL_OK;
}

/* A station made for config c in a free configured slot, which stays
 * STARTING: its index, or an error (nothing taken). */
static int station_make(lull_server *srv, const lull_station_config *c, lull_diag *diag) {
  int err = station_check(srv, c, diag);
  if (err) return err;
  pthread_mutex_lock(&srv->slot_lock);
  int i = lull__slot_take(srv, 0, FIRST_PERSONAL);
  pthread_mutex_unlock(&srv->slot_lock);
  if (i < 0)
    return lull_diag_set(diag, LULL_ERANGE, "stations", "station \"%s\": no room: the stations that ended are still "
                         "letting their last listeners go; try again in a second", name_of(c));
  station_stats *ss = &srv->sstats[i];
  atomic_store(&ss->frames, 0);
  for (int k = 0; k < LULL_FEED_KINDS; k++) atomic_store(&ss->peak[k], 0);
  lull_station_config one = *c;
  one.on_frame = lull__on_frame;
  one.on_frame_user = ss;
  one.log = lull__station_log;
  one.log_user = srv;
  lull_station *st = NULL;
  if ((err = lull_station_create(&one, &st, diag))) {
    pthread_mutex_lock(&srv->slot_lock);
    atomic_store(&srv->slots[i].state, P_FREE);
    pthread_mutex_unlock(&srv->slot_lock);
    return err;
  }
  srv->stations[i] = st;
  srv->slots[i].digest = station_digest(c);
  srv->slots[i].params = config_params(c);
  return i;
}

/* Slot i, made by station_make, given back unused. */
static void station_unmake(lull_server *srv, int i) {
  lull_station_destroy(srv->stations[i]);
  srv->stations[i] = NULL;
  pthread_mutex_lock(&srv->slot_lock);
  atomic_store(&srv->slots[i].state, P_FREE);
  pthread_mutex_unlock(&srv->slot_lock);
}

/* Slot i, made by station_make, started (if the server runs) and LIVE. */
static int station_go(lull_server *srv, int i, const lull_station_config *c) {
  if (atomic_load(&srv->started) && lull_station_start(srv->stations[i]) != LULL_OK) {
    lull__log(srv, LULL_LOG_ERROR, "station %s: cannot start its producer (no thread)", name_of(c));
    station_unmake(srv, i);
    return -1;
  }
  /* Unsaid, as before there was a choice: the token if the server has one. */
  int steer = c->steer != LULL_STEER_DEFAULT ? c->steer : srv->token[0] ? LULL_STEER_TOKEN : LULL_STEER_OPEN;
  lull__slot_live(srv, (size_t)i, srv->stations[i], steer);
  return 0;
}

int lull__station_add(lull_server *srv, const lull_station_config *c, lull_diag *diag) {
  if (lull__station_index(srv, name_of(c)) >= 0)
    return lull_diag_set(diag, LULL_EINVAL, "stations", "station \"%s\" is given twice", name_of(c));
  int i = station_make(srv, c, diag);
  if (i < 0) return i;
  atomic_store(&srv->slots[i].rank, i);
  return station_go(srv, i, c) ? LULL_ENOMEM : LULL_OK;
}

/* ---- Icecast outputs -------------------------------------------------------- */

int lull__icecast_add(lull_server *srv, const lull_server_icecast *ic, lull_diag *diag) {
  if (srv->n_icecast == LULL_SERVER_MAX_ICECAST)
    return lull_diag_set(diag, LULL_ERANGE, "icecast", "at most %d Icecast outputs", LULL_SERVER_MAX_ICECAST);
  int si = ic->station ? lull__station_index(srv, ic->station) : -1;
  if (si < 0)
    return lull_diag_set(diag, LULL_EINVAL, "icecast", "no station \"%.40s\" to send to %.80s", ic->station ? ic->station : "",
                         ic->output.url ? ic->output.url : "");
  lull_icecast_config oc = ic->output;
  oc.log = icecast_log;
  oc.log_user = srv;
  lull_icecast *out = NULL;
  int err = lull_icecast_create(&oc, srv->stations[si], &out, diag);
  if (err) return err;
  atomic_fetch_add(&srv->slots[si].refs, 1); /* the output reads the station until it is destroyed */
  if (atomic_load(&srv->started) && lull_icecast_start(out) != LULL_OK)
    lull__log(srv, LULL_LOG_ERROR, "could not start an Icecast output");
  pthread_mutex_lock(&srv->icecast_lock);
  size_t k = srv->n_icecast;
  srv->icecast[k] = out;
  srv->icecast_station[k] = (uint16_t)si;
  srv->icecast_digest[k] = icecast_digest(ic);
  srv->n_icecast = k + 1;
  pthread_mutex_unlock(&srv->icecast_lock);
  return LULL_OK;
}

/* Output k stopped and freed, its station given back. Not under icecast_lock
 * (stopping waits for its thread). */
static void icecast_drop(lull_server *srv, lull_icecast *out, uint16_t station) {
  lull_icecast_stop(out);
  lull_icecast_destroy(out);
  lull__station_put(srv, station);
}

/* ---- TLS -------------------------------------------------------------------- */

int lull__tls_check(const char *cert, const char *key, lull_diag *diag) {
  const char *path[2][2] = {{"tls_cert", cert}, {"tls_key", key}};
  for (int i = 0; i < 2; i++) {
    FILE *f = strlen(path[i][1]) < 1000 ? fopen(path[i][1], "r") : NULL;
    if (!f) return lull_diag_set(diag, LULL_EIO, path[i][0], "cannot read \"%s\": %s", path[i][1], strerror(errno));
    fclose(f);
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return lull_diag_set(diag, LULL_ENOMEM, "", "OpenSSL: cannot make a TLS context");
  int err = LULL_OK;
  /* The key first: loaded after the certificate, a key of another would
   * just fail to load. */
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_key", "\"%s\" holds no PEM private key", key);
  else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_cert", "\"%s\" holds no PEM certificate", cert);
  else if (SSL_CTX_check_private_key(ctx) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_key", "\"%s\" is not the key of the certificate in \"%s\"", key, cert);
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return err;
}

/* ---- the reload ------------------------------------------------------------- */

enum { STEER = 1, REPLACE }; /* what a reload does to a station the new config names */

int lull_server_reload(lull_server *srv, const lull_server_config *config, lull_diag *diag) {
  if (!srv || !config) return lull_diag_set(diag, LULL_EINVAL, srv ? "config" : "srv", "must not be NULL");
  lull_station_config def = {0};
  const lull_station_config *sc = config->n_stations ? config->stations : &def;
  size_t ns = config->n_stations ? config->n_stations : 1;
  if (ns > LULL_SERVER_MAX_STATIONS)
    return lull_diag_set(diag, LULL_ERANGE, "stations", "at most %d stations", LULL_SERVER_MAX_STATIONS);
  if (config->n_icecast > LULL_SERVER_MAX_ICECAST)
    return lull_diag_set(diag, LULL_ERANGE, "icecast", "at most %d Icecast outputs", LULL_SERVER_MAX_ICECAST);
  if (!config->tls_cert != !config->tls_key)
    return lull_diag_set(diag, LULL_EINVAL, config->tls_cert ? "tls_key" : "tls_cert", "TLS needs both a certificate and its key");
  if (!config->tls_cert != !srv->tls_cert[0])
    return lull_diag_set(diag, LULL_EINVAL, "tls_cert", "TLS cannot be turned %s by a reload: restart the server",
                         config->tls_cert ? "on" : "off");
  pthread_mutex_lock(&srv->reload_lock);
  if (atomic_load(&srv->stopping)) {
    pthread_mutex_unlock(&srv->reload_lock);
    return lull_diag_set(diag, LULL_ESTATE, "", "the server is stopping");
  }
  int err = LULL_OK;
  int made[LULL_SERVER_MAX_STATIONS], action[LULL_SERVER_MAX_STATIONS], old[LULL_SERVER_MAX_STATIONS];
  for (size_t j = 0; j < ns; j++) made[j] = -1;

  /* What each station of the new config is to the running ones. */
  for (size_t j = 0; j < ns && !err; j++) {
    for (size_t k = 0; k < j && !err; k++)
      if (strcmp(name_of(&sc[k]), name_of(&sc[j])) == 0)
        err = lull_diag_set(diag, LULL_EINVAL, "stations", "station \"%s\" is given twice", name_of(&sc[j]));
    if (err || (err = station_check(srv, &sc[j], diag))) break;
    old[j] = lull__station_index(srv, name_of(&sc[j]));
    action[j] = old[j] < 0 || srv->slots[old[j]].digest != station_digest(&sc[j]) ? REPLACE : STEER;
    lull_params want = config_params(&sc[j]);
    if (action[j] == STEER && (err = lull_params_validate(&want, diag))) break;
    if (action[j] == STEER && ((sc[j].title && (err = lull_station_title_check(sc[j].title, diag))) ||
                               (sc[j].description && (err = lull_station_description_check(sc[j].description, diag)))))
      break;
  }
  for (size_t i = 0; i < config->n_icecast && !err; i++) {
    const lull_server_icecast *ic = &config->icecast[i];
    size_t j = 0;
    while (j < ns && !(ic->station && strcmp(ic->station, name_of(&sc[j])) == 0)) j++;
    if (j == ns)
      err = lull_diag_set(diag, LULL_EINVAL, "icecast", "no station \"%.40s\" to send to %.80s", ic->station ? ic->station : "",
                          ic->output.url ? ic->output.url : "");
    else if (!ic->output.url || lull_icecast_check_url(ic->output.url, diag) != LULL_OK)
      err = ic->output.url ? LULL_EINVAL : lull_diag_set(diag, LULL_EINVAL, "icecast", "an output needs a URL");
    else if (!ic->output.password || !ic->output.password[0])
      err = lull_diag_set(diag, LULL_EINVAL, "icecast", "the output to %.80s needs the source password", ic->output.url);
  }
  if (!err && config->tls_cert) err = lull__tls_check(config->tls_cert, config->tls_key, diag);
  /* Every new station made before anything changes. */
  for (size_t j = 0; j < ns && !err; j++) {
    if (action[j] != REPLACE) continue;
    int i = station_make(srv, &sc[j], diag);
    if (i < 0) {
      err = i;
      break;
    }
    made[j] = i;
  }
  if (err) {
    for (size_t j = 0; j < ns; j++)
      if (made[j] >= 0) station_unmake(srv, made[j]);
    pthread_mutex_unlock(&srv->reload_lock);
    return err;
  }

  /* From here on it changes. First the Icecast outputs that go: those the
   * new config does not have as they are, and those of stations that end. */
  uint64_t want[LULL_SERVER_MAX_ICECAST];
  int kept_out[LULL_SERVER_MAX_ICECAST] = {0};
  for (size_t i = 0; i < config->n_icecast; i++) want[i] = icecast_digest(&config->icecast[i]);
  lull_icecast *gone[LULL_SERVER_MAX_ICECAST];
  uint16_t gone_station[LULL_SERVER_MAX_ICECAST];
  size_t n_gone = 0;
  pthread_mutex_lock(&srv->icecast_lock);
  size_t keep = 0;
  for (size_t k = 0; k < srv->n_icecast; k++) {
    size_t i = 0;
    while (i < config->n_icecast && (kept_out[i] || want[i] != srv->icecast_digest[k])) i++;
    /* Its station stays as it is (a steer leaves the output alone). */
    const char *station = lull_station_name(srv->stations[srv->icecast_station[k]]);
    int station_stays = 0;
    for (size_t j = 0; j < ns; j++)
      if (strcmp(name_of(&sc[j]), station) == 0) station_stays = action[j] == STEER;
    if (i < config->n_icecast && station_stays) {
      kept_out[i] = 1;
      srv->icecast[keep] = srv->icecast[k];
      srv->icecast_station[keep] = srv->icecast_station[k];
      srv->icecast_digest[keep++] = srv->icecast_digest[k];
    } else {
      gone[n_gone] = srv->icecast[k];
      gone_station[n_gone++] = srv->icecast_station[k];
    }
  }
  srv->n_icecast = keep;
  pthread_mutex_unlock(&srv->icecast_lock);
  for (size_t g = 0; g < n_gone; g++) icecast_drop(srv, gone[g], gone_station[g]);

  /* Stations: the new ones live (a replaced one's listeners reconnect to
   * its successor), the changed params steered, the left-out ones ended. */
  char added[256] = "", restarted[256] = "", steered[256] = "", removed[256] = "", faced[256] = "";
  size_t n_added = 0, n_restarted = 0, n_steered = 0, n_removed = 0, n_same = 0, n_faced = 0;
#define NAME_INTO(buf, name) \
  snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", name)
  /* Those left out end first, then each restarted one ends as its
   * successor starts, then the new ones start: never more than the config's
   * stations live at once (and never one name twice). */
  for (size_t i = 0; i < FIRST_PERSONAL; i++) {
    if (atomic_load(&srv->slots[i].state) != P_LIVE) continue;
    int wanted = 0;
    for (size_t j = 0; j < ns && !wanted; j++) wanted = (int)i == old[j];
    if (wanted) continue;
    NAME_INTO(removed, lull_station_name(srv->stations[i]));
    n_removed++;
    lull__slot_end(srv, i, 1001, "the station was removed");
  }
  for (int pass = 0; pass < 2; pass++)
    for (size_t j = 0; j < ns; j++) {
      if (action[j] != REPLACE || (pass == 0) != (old[j] >= 0)) continue;
      atomic_store(&srv->slots[made[j]].rank, (int)j);
      if (old[j] >= 0) lull__slot_end(srv, (size_t)old[j], 1012, "the station restarts with new settings");
      if (station_go(srv, made[j], &sc[j])) continue; /* said in the log */
      if (old[j] >= 0) {
        NAME_INTO(restarted, name_of(&sc[j]));
        n_restarted++;
      } else {
        NAME_INTO(added, name_of(&sc[j]));
        n_added++;
      }
    }
  for (size_t j = 0; j < ns; j++) {
    if (action[j] != STEER) continue;
    slot *sl = &srv->slots[old[j]];
    atomic_store(&sl->rank, (int)j);
    lull_station *st = srv->stations[old[j]];
    lull_station_face face;
    lull_station_get_face(st, &face);
    lull_diag d = {{0}, {0}};
    const char *title = sc[j].title ? sc[j].title : name_of(&sc[j]), *about = sc[j].description ? sc[j].description : "";
    int new_face = strcmp(face.title, title) != 0 || strcmp(face.description, about) != 0;
    if (new_face && lull_station_set_face(st, title, about, &d) == LULL_OK) { /* checked above */
      NAME_INTO(faced, name_of(&sc[j]));
      n_faced++;
    }
    lull_params want_params = config_params(&sc[j]);
    uint32_t fields = params_diff(&sl->params, &want_params);
    if (!fields) {
      n_same += !new_face;
      continue;
    }
    if (lull_station_set_params_by(srv->stations[old[j]], &want_params, fields, LULL_BY_OPERATOR, &d) == LULL_OK) {
      sl->params = want_params;
      NAME_INTO(steered, name_of(&sc[j]));
      n_steered++;
    } else {
      lull__log(srv, LULL_LOG_ERROR, "reload: station %s: its params were not changed: %s", name_of(&sc[j]), d.message);
    }
  }
#undef NAME_INTO

  /* The outputs the new config adds (or changed), to the stations now live. */
  size_t n_new_out = 0;
  for (size_t i = 0; i < config->n_icecast; i++) {
    if (kept_out[i]) continue;
    lull_diag d = {{0}, {0}};
    if (lull__icecast_add(srv, &config->icecast[i], &d))
      lull__log(srv, LULL_LOG_ERROR, "reload: Icecast output %s: %s", config->icecast[i].output.url, d.message);
    else
      n_new_out++;
  }

  /* Personal stations started from now on sound like the new first one. */
  pthread_mutex_lock(&srv->slot_lock);
  lull__personal_config(srv, &sc[0]);
  pthread_mutex_unlock(&srv->slot_lock);

  /* TLS: the certificate and key read again (a renewal), by each worker on
   * its own thread, for the connections that come next. */
  int tls = 0;
  if (config->tls_cert) {
    pthread_mutex_lock(&srv->tls_lock); /* the workers read the paths under it */
    snprintf(srv->tls_cert_now, sizeof srv->tls_cert_now, "%s", config->tls_cert);
    snprintf(srv->tls_key_now, sizeof srv->tls_key_now, "%s", config->tls_key);
    pthread_mutex_unlock(&srv->tls_lock);
    atomic_fetch_add(&srv->tls_gen, 1);
    for (unsigned k = 0; k < srv->n_workers; k++) lws_cancel_service(srv->workers[k].ctx);
    tls = 1;
  }
  lull__log(srv, LULL_LOG_INFO,
            "reload: %zu station%s added%s%s%s, %zu restarted with new settings%s%s%s, %zu steered to new params%s%s%s, "
            "%zu retitled%s%s%s, %zu removed%s%s%s, %zu unchanged; Icecast outputs: %zu stopped, %zu started, %zu kept%s",
            n_added, n_added == 1 ? "" : "s", n_added ? " (" : "", added, n_added ? ")" : "", n_restarted,
            n_restarted ? " (" : "", restarted, n_restarted ? ")" : "", n_steered, n_steered ? " (" : "", steered,
            n_steered ? ")" : "", n_faced, n_faced ? " (" : "", faced, n_faced ? ")" : "", n_removed,
            n_removed ? " (" : "", removed, n_removed ? ")" : "", n_same, n_gone,
            n_new_out, srv->n_icecast - n_new_out, tls ? "; TLS certificate and key read again" : "");
  pthread_mutex_unlock(&srv->reload_lock);
  return LULL_OK;
}
