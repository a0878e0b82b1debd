/* The LV2 host: features (URID map and unmap, options, worker, bounded
 * block length), discovery and listing, opening an effect from a spec,
 * running it. What a plugin requires and lull does not give is refused at
 * open, by name, never discovered while playing. */
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/presets/presets.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/plugin.h"

#define URID_MAX 4096
#define ATOM_BYTES 8192      /* each atom port's buffer */
#define WORK_BYTES 4096      /* one worker response */
#define FAULT_LEVEL 15.85f   /* +24 dBFS */
#define FADE_FRAMES 240      /* 5 ms at 48 kHz: a faulted plugin fades out over this */
#define MAX_PORTS 256
#define WARM_UP_MS 5000      /* the longest an instrument may take to get ready */
#define RING_BYTES 65536     /* each way between run and a worker thread (a power of 2) */

/* One writer, one reader: messages of [u32 size][bytes], wrapping. */
typedef struct byte_ring {
  _Atomic uint32_t head, tail; /* written, read (free-running) */
  unsigned char data[RING_BYTES];
} byte_ring;

static int ring_push(byte_ring *r, uint32_t size, const void *msg) {
  uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  if (RING_BYTES - (head - tail) < sizeof size + size) return 0;
  const unsigned char *parts[2] = {(const unsigned char *)&size, msg};
  const uint32_t lens[2] = {sizeof size, size};
  for (int k = 0; k < 2; k++)
    for (uint32_t i = 0; i < lens[k]; i++) r->data[(head++) & (RING_BYTES - 1)] = parts[k][i];
  atomic_store_explicit(&r->head, head, memory_order_release);
  return 1;
}

/* The next message into buf (cap bytes): its size, or 0 if none. One too
 * big for buf is dropped (its size is returned as 0 all the same). */
static uint32_t ring_pop(byte_ring *r, void *buf, uint32_t cap) {
  uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  if (head == tail) return 0;
  uint32_t size = 0;
  for (uint32_t i = 0; i < sizeof size; i++) ((unsigned char *)&size)[i] = r->data[(tail++) & (RING_BYTES - 1)];
  unsigned char *out = buf;
  for (uint32_t i = 0; i < size; i++, tail++)
    if (size <= cap) out[i] = r->data[tail & (RING_BYTES - 1)];
  atomic_store_explicit(&r->tail, tail, memory_order_release);
  return size <= cap ? size : 0;
}

/* The features lull gives; a plugin requiring any other cannot be hosted. */
static const char *const supported[] = {
    LV2_URID__map, LV2_URID__unmap, LV2_OPTIONS__options, LV2_WORKER__schedule, LV2_BUF_SIZE__boundedBlockLength,
    LV2_CORE__hardRTCapable, LV2_CORE__inPlaceBroken, LV2_CORE__isLive};

struct lull_plugin_host {
  LilvWorld *world;
  /* URIDs: the index + 1 of the URI; mapped under a lock (plugins may map
   * from their own threads), never on the render path by lull. */
  pthread_mutex_t lock;
  char *uris[URID_MAX];
  uint32_t count;
  LV2_URID_Map map;
  LV2_URID_Unmap unmap;
  LilvNode *audio, *control, *atom, *input, *output, *optional, *preset, *label, *instrument, *latency, *midi_event,
      *sample_rate;
};

typedef enum port_kind { PORT_AUDIO_IN, PORT_AUDIO_OUT, PORT_CONTROL_IN, PORT_CONTROL_OUT, PORT_ATOM_IN, PORT_ATOM_OUT, PORT_NONE } port_kind;

struct lull_plugin {
  lull_plugin_host *host;
  const LilvPlugin *plugin;
  LilvInstance *instance;
  char uri[512];
  uint32_t ports;
  uint8_t kind[MAX_PORTS];
  float control[MAX_PORTS];
  void *atom[MAX_PORTS];
  uint32_t audio_in[2], audio_out[2], n_in, n_out;
  float *in[2], *out[2];
  uint32_t max_block;
  int latency_port; /* -1: none */
  /* Options and features, kept for the instance's life. */
  int32_t block_min, block_max, block_nominal;
  float sample_rate;
  LV2_Options_Option options[5];
  LV2_Worker_Schedule schedule;
  LV2_Feature f_map, f_unmap, f_options, f_schedule, f_bounded;
  const LV2_Feature *features[6];
  const LV2_Worker_Interface *worker;
  /* Responses to work done inside run, delivered after it. */
  unsigned char response[WORK_BYTES];
  uint32_t response_size;
  int responded, faulted, active;
  /* The fault, for the log (read after the render): what, where, when. */
  int fault_kind; /* 1 NaN, 2 infinite, 3 past +24 dBFS */
  float fault_value;
  uint64_t frames, fault_frame; /* frames run since activation (after the warm-up) */
  float last[2];                /* the last good output samples: a mute fades from them */
  uint32_t faded;               /* frames of the fade done */
  int fault_told;               /* lull__plugin_take_fault said it */
  /* A worker thread (lull__plugin_start_worker): requests from run, its
   * responses back, woken by lull__plugin_service. */
  int threaded, thread_started;
  byte_ring *requests, *responses;
  pthread_t thread;
  sem_t wake;
  atomic_int stop, pending;
  unsigned char request[WORK_BYTES];
  uint32_t urid_chunk, urid_sequence, urid_midi;
  int midi_port; /* instruments: the atom input MIDI goes to */
};

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri) {
  lull_plugin_host *h = handle;
  LV2_URID id = 0;
  pthread_mutex_lock(&h->lock);
  for (uint32_t i = 0; i < h->count && !id; i++)
    if (strcmp(h->uris[i], uri) == 0) id = i + 1;
  if (!id && h->count < URID_MAX && (h->uris[h->count] = strdup(uri))) id = ++h->count;
  pthread_mutex_unlock(&h->lock);
  return id; /* 0: the map is full (a plugin must cope, as with any host) */
}

static const char *unmap_urid(LV2_URID_Unmap_Handle handle, LV2_URID urid) {
  lull_plugin_host *h = handle;
  pthread_mutex_lock(&h->lock);
  const char *uri = urid >= 1 && urid <= h->count ? h->uris[urid - 1] : NULL;
  pthread_mutex_unlock(&h->lock);
  return uri;
}

int lull__plugin_host_create(lull_plugin_host **out, lull_diag *diag) {
  lull_plugin_host *h = calloc(1, sizeof *h);
  if (!h || !(h->world = lilv_world_new())) {
    free(h);
    return lull_diag_set(diag, LULL_ENOMEM, "plugins", "out of memory loading the LV2 world");
  }
  pthread_mutex_init(&h->lock, NULL);
  lilv_world_load_all(h->world);
  h->map = (LV2_URID_Map){h, map_uri};
  h->unmap = (LV2_URID_Unmap){h, unmap_urid};
  LilvWorld *w = h->world;
  h->audio = lilv_new_uri(w, LV2_CORE__AudioPort);
  h->control = lilv_new_uri(w, LV2_CORE__ControlPort);
  h->atom = lilv_new_uri(w, LV2_ATOM__AtomPort);
  h->input = lilv_new_uri(w, LV2_CORE__InputPort);
  h->output = lilv_new_uri(w, LV2_CORE__OutputPort);
  h->optional = lilv_new_uri(w, LV2_CORE__connectionOptional);
  h->preset = lilv_new_uri(w, LV2_PRESETS__Preset);
  h->label = lilv_new_uri(w, "http://www.w3.org/2000/01/rdf-schema#label");
  h->instrument = lilv_new_uri(w, LV2_CORE__InstrumentPlugin);
  h->latency = lilv_new_uri(w, LV2_CORE__reportsLatency);
  h->midi_event = lilv_new_uri(w, LV2_MIDI__MidiEvent);
  h->sample_rate = lilv_new_uri(w, LV2_CORE__sampleRate);
  *out = h;
  return LULL_OK;
}

void lull__plugin_host_destroy(lull_plugin_host *h) {
  if (!h) return;
  LilvNode *nodes[] = {h->audio,  h->control,  h->atom,    h->input,      h->output,     h->optional,
                      h->preset, h->label,    h->instrument, h->latency, h->midi_event, h->sample_rate};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) lilv_node_free(nodes[i]);
  lilv_world_free(h->world);
  for (uint32_t i = 0; i < h->count; i++) free(h->uris[i]);
  pthread_mutex_destroy(&h->lock);
  free(h);
}

/* ---- what a plugin is ---- */

static port_kind kind_of(const lull_plugin_host *h, const LilvPlugin *p, const LilvPort *port) {
  int in = lilv_port_is_a(p, port, h->input), out = lilv_port_is_a(p, port, h->output);
  if (lilv_port_is_a(p, port, h->audio)) return in ? PORT_AUDIO_IN : out ? PORT_AUDIO_OUT : PORT_NONE;
  if (lilv_port_is_a(p, port, h->control)) return in ? PORT_CONTROL_IN : out ? PORT_CONTROL_OUT : PORT_NONE;
  if (lilv_port_is_a(p, port, h->atom)) return in ? PORT_ATOM_IN : out ? PORT_ATOM_OUT : PORT_NONE;
  return PORT_NONE;
}

/* The first required feature lull does not give, said into why (cap
 * bytes); whether there is one. */
static int missing_feature(const LilvPlugin *p, char *why, size_t cap) {
  LilvNodes *req = lilv_plugin_get_required_features(p);
  int missing = 0;
  LILV_FOREACH (nodes, i, req) {
    const char *uri = lilv_node_as_uri(lilv_nodes_get(req, i));
    int ok = 0;
    for (size_t k = 0; k < sizeof supported / sizeof supported[0]; k++) ok |= strcmp(uri, supported[k]) == 0;
    if (!ok) {
      snprintf(why, cap, "it requires the feature <%s>, which lull does not give", uri);
      missing = 1;
      break;
    }
  }
  lilv_nodes_free(req);
  return missing;
}

/* Why lull cannot host it (a static string or why_buf), or NULL. */
static const char *unhostable(const lull_plugin_host *h, const LilvPlugin *p, int *is_fx, int *is_instr, char *why_buf,
                              size_t cap) {
  *is_fx = *is_instr = 0;
  if (missing_feature(p, why_buf, cap)) return why_buf;
  uint32_t ain = 0, aout = 0, midi_in = 0;
  uint32_t n = lilv_plugin_get_num_ports(p);
  if (n > MAX_PORTS) return "more than 256 ports";
  for (uint32_t i = 0; i < n; i++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
    port_kind k = kind_of(h, p, port);
    if (k == PORT_NONE && !lilv_port_has_property(p, port, h->optional)) return "a port of a kind lull does not connect (CV or other)";
    ain += k == PORT_AUDIO_IN, aout += k == PORT_AUDIO_OUT;
    midi_in += k == PORT_ATOM_IN && lilv_port_supports_event(p, port, h->midi_event);
  }
  /* An instrument may have audio inputs too (they hear silence). */
  const LilvPluginClass *cls = lilv_plugin_get_class(p);
  *is_instr = aout >= 1 && aout <= 2 && midi_in >= 1 && lilv_node_equals(lilv_plugin_class_get_uri(cls), h->instrument);
  *is_fx = !*is_instr && ain >= 1 && ain <= 2 && aout >= 1 && aout <= 2;
  if (!*is_fx && !*is_instr) return "not an effect (1-2 audio in, 1-2 out) nor an instrument (of class lv2:InstrumentPlugin, MIDI in, 1-2 audio out)";
  return NULL;
}

/* A control port's default and range in the units run sees: a port with
 * lv2:sampleRate gives them as fractions of the sample rate. NAN where the
 * plugin gives none. */
static void port_range(const lull_plugin_host *h, const LilvPlugin *p, const LilvPort *port, float sample_rate_hz,
                       float *def, float *lo, float *hi) {
  LilvNode *d = NULL, *min = NULL, *max = NULL;
  lilv_port_get_range(p, port, &d, &min, &max);
  float scale = lilv_port_has_property(p, port, h->sample_rate) ? sample_rate_hz : 1.0f;
  *def = d ? scale * lilv_node_as_float(d) : NAN;
  *lo = min ? scale * lilv_node_as_float(min) : NAN;
  *hi = max ? scale * lilv_node_as_float(max) : NAN;
  lilv_node_free(d), lilv_node_free(min), lilv_node_free(max);
}

/* The ports at lull's rate (48 kHz); a port in fractions of the rate says so. */
static void print_ports(const lull_plugin_host *h, const LilvPlugin *p, FILE *out) {
  uint32_t n = lilv_plugin_get_num_ports(p);
  for (uint32_t i = 0; i < n; i++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
    if (kind_of(h, p, port) != PORT_CONTROL_IN) continue;
    float def, lo, hi;
    port_range(h, p, port, 48000.0f, &def, &lo, &hi);
    LilvNode *name = lilv_port_get_name(p, port);
    char range[64];
    if (!isnan(lo) && !isnan(hi)) snprintf(range, sizeof range, "%g..%g", (double)lo, (double)hi);
    else snprintf(range, sizeof range, "no range given");
    fprintf(out, "    %-24s %s, default %g%s  (%s)\n", lilv_node_as_string(lilv_port_get_symbol(p, port)), range,
            isnan(def) ? 0.0 : (double)def,
            lilv_port_has_property(p, port, h->sample_rate) ? " (Hz: scales with the sample rate)" : "",
            name ? lilv_node_as_string(name) : "");
    lilv_node_free(name);
  }
}

static void print_presets(lull_plugin_host *h, const LilvPlugin *p, FILE *out) {
  LilvNodes *presets = lilv_plugin_get_related(p, h->preset);
  LILV_FOREACH (nodes, i, presets) {
    const LilvNode *preset = lilv_nodes_get(presets, i);
    lilv_world_load_resource(h->world, preset);
    LilvNode *label = lilv_world_get(h->world, preset, h->label, NULL);
    fprintf(out, "    preset %s%s%s\n", lilv_node_as_uri(preset), label ? "  " : "", label ? lilv_node_as_string(label) : "");
    lilv_node_free(label);
  }
  lilv_nodes_free(presets);
}

static void print_plugin(lull_plugin_host *h, const LilvPlugin *p, const char *role, FILE *out, int detail) {
  LilvNode *name = lilv_plugin_get_name(p);
  const LilvPluginClass *cls = lilv_plugin_get_class(p);
  fprintf(out, "%s  %s  (%s, %s)\n", lilv_node_as_uri(lilv_plugin_get_uri(p)), name ? lilv_node_as_string(name) : "?",
          role, lilv_node_as_string(lilv_plugin_class_get_label(cls)));
  lilv_node_free(name);
  if (!detail) return;
  print_presets(h, p, out);
  print_ports(h, p, out);
}

int lull__plugin_list(lull_plugin_host *h, const char *uri, FILE *out, lull_diag *diag) {
  const LilvPlugins *all = lilv_world_get_all_plugins(h->world);
  char why_buf[512];
  if (uri) {
    LilvNode *node = lilv_new_uri(h->world, uri);
    const LilvPlugin *p = node ? lilv_plugins_get_by_uri(all, node) : NULL;
    lilv_node_free(node);
    if (!p)
      return lull_diag_set(diag, LULL_EUNKNOWN, "URI", "no LV2 plugin \"%s\" is installed (lull plugins lists them)", uri);
    int fx = 0, instr = 0;
    const char *why = unhostable(h, p, &fx, &instr, why_buf, sizeof why_buf);
    print_plugin(h, p, why ? "cannot host" : fx ? "effect" : "instrument", out, 1);
    if (why) fprintf(out, "    lull cannot host it: %s\n", why);
    return LULL_OK;
  }
  for (int pass = 0; pass < 2; pass++) {
    int any = 0;
    LILV_FOREACH (plugins, i, all) {
      const LilvPlugin *p = lilv_plugins_get(all, i);
      int fx = 0, instr = 0;
      const char *why = unhostable(h, p, &fx, &instr, why_buf, sizeof why_buf);
      if ((why != NULL) != pass) continue;
      if (!any++) fputs(pass == 0 ? "Effects and instruments lull can host:\n" : "\nInstalled, but lull cannot host them:\n", out);
      if (why) {
        print_plugin(h, p, "cannot host", out, 0);
        fprintf(out, "    cannot host: %s\n", why);
      } else {
        print_plugin(h, p, fx ? "effect" : "instrument", out, 1);
      }
    }
  }
  return LULL_OK;
}

/* ---- the worker, run at once ---- */

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data) {
  lull_plugin *p = handle;
  if (p->threaded) return ring_push(p->responses, size, data) ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
  if (size > sizeof p->response || p->responded) return LV2_WORKER_ERR_NO_SPACE;
  memcpy(p->response, data, size);
  p->response_size = size;
  p->responded = 1;
  return LV2_WORKER_SUCCESS;
}

/* Offline renders must be the same every time, so the work is done inside
 * the call and its response delivered after this run, as a threaded worker
 * would at best deliver it. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data) {
  lull_plugin *p = handle;
  if (!p->worker) return LV2_WORKER_ERR_UNKNOWN;
  if (p->threaded) { /* for the worker thread, woken after the render */
    if (!ring_push(p->requests, size, data)) return LV2_WORKER_ERR_NO_SPACE;
    atomic_store_explicit(&p->pending, 1, memory_order_relaxed);
    return LV2_WORKER_SUCCESS;
  }
  return p->worker->work(lilv_instance_get_handle(p->instance), respond, p, size, data);
}

/* ---- opening an effect ---- */

/* A plugin's library stays loaded until the process ends, as in most hosts:
 * plugins that start threads or keep Qt state (padthv1, synthv1) are not
 * safe to unload, and what their statics hold would read as leaked. */
static void pin_library(const LilvPlugin *plug) {
  char *path = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_library_uri(plug)), NULL);
  if (path) (void)dlopen(path, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
  lilv_free(path);
}

/* Parse a control value: a finite number, nothing after it. */
static int parse_value(const char *s, float *out) {
  char *end = NULL;
  float v = strtof(s, &end);
  if (end == s || *end || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

static int find_preset(lull_plugin_host *h, const LilvPlugin *p, const char *want, LilvNode **out) {
  LilvNodes *presets = lilv_plugin_get_related(p, h->preset);
  *out = NULL;
  LILV_FOREACH (nodes, i, presets) {
    const LilvNode *preset = lilv_nodes_get(presets, i);
    lilv_world_load_resource(h->world, preset);
    LilvNode *label = lilv_world_get(h->world, preset, h->label, NULL);
    int match = strcmp(lilv_node_as_uri(preset), want) == 0 || (label && strcmp(lilv_node_as_string(label), want) == 0);
    lilv_node_free(label);
    if (match) {
      *out = lilv_node_duplicate(preset);
      break;
    }
  }
  lilv_nodes_free(presets);
  return *out != NULL;
}

static void set_port_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type) {
  lull_plugin *p = user;
  LV2_URID_Map *m = &p->host->map;
  float v;
  /* Presets write numbers as whatever Turtle read: 0 is an Int, 0.5 a Float. */
  if (type == m->map(m->handle, LV2_ATOM__Float) && size == sizeof(float)) memcpy(&v, value, sizeof v);
  else if (type == m->map(m->handle, LV2_ATOM__Double) && size == sizeof(double)) v = (float)*(const double *)value;
  else if (type == m->map(m->handle, LV2_ATOM__Int) && size == sizeof(int32_t)) v = (float)*(const int32_t *)value;
  else if (type == m->map(m->handle, LV2_ATOM__Long) && size == sizeof(int64_t)) v = (float)*(const int64_t *)value;
  else if (type == m->map(m->handle, LV2_ATOM__Bool) && size == sizeof(int32_t)) v = *(const int32_t *)value ? 1.0f : 0.0f;
  else return;
  if (!isfinite(v)) return;
  LilvNode *sym = lilv_new_string(p->host->world, symbol);
  const LilvPort *port = lilv_plugin_get_port_by_symbol(p->plugin, sym);
  lilv_node_free(sym);
  if (port && kind_of(p->host, p->plugin, port) == PORT_CONTROL_IN) p->control[lilv_port_get_index(p->plugin, port)] = v;
}

static int connect_ports(lull_plugin *p) {
  lull_plugin_host *h = p->host;
  for (uint32_t i = 0; i < p->ports; i++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(p->plugin, i);
    p->kind[i] = (uint8_t)kind_of(h, p->plugin, port);
    switch (p->kind[i]) {
      case PORT_AUDIO_IN: /* an effect has 1 or 2; an instrument's, however many, hear silence */
        if (p->n_in < 2) p->audio_in[p->n_in] = i;
        p->n_in++;
        break;
      case PORT_AUDIO_OUT: p->audio_out[p->n_out++] = i; break;
      case PORT_CONTROL_IN: case PORT_CONTROL_OUT: {
        float def, lo, hi;
        port_range(h, p->plugin, port, p->sample_rate, &def, &lo, &hi);
        p->control[i] = isnan(def) ? (isnan(lo) ? 0.0f : lo) : def; /* no default: its minimum, as jalv does */
        break;
      }
      case PORT_ATOM_IN: case PORT_ATOM_OUT:
        if (!(p->atom[i] = calloc(1, ATOM_BYTES))) return 0;
        break;
      default: break;
    }
  }
  for (uint32_t c = 0; c < 2; c++)
    if (!(p->in[c] = calloc(p->max_block, sizeof(float))) || !(p->out[c] = calloc(p->max_block, sizeof(float)))) return 0;
  return 1;
}

/* Atom inputs: an empty sequence (after a run: its events are spent);
 * outputs: room for the plugin to write (before a run). */
static void reset_atoms(lull_plugin *p, int inputs, int outputs) {
  for (uint32_t i = 0; i < p->ports; i++) {
    LV2_Atom_Sequence *seq = p->atom[i];
    if (!seq || (p->kind[i] == PORT_ATOM_IN ? !inputs : !outputs)) continue;
    if (p->kind[i] == PORT_ATOM_IN) {
      seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
      seq->atom.type = p->urid_sequence;
    } else {
      seq->atom.size = ATOM_BYTES - sizeof(LV2_Atom);
      seq->atom.type = p->urid_chunk;
    }
    seq->body.unit = 0, seq->body.pad = 0;
  }
}

/* SYMBOL=VALUE: the port by its symbol, the value within its range. */
static int set_control(lull_plugin *p, const char *field, const char *key, const char *value, lull_diag *diag) {
  LilvNode *sym = lilv_new_string(p->host->world, key);
  const LilvPort *port = lilv_plugin_get_port_by_symbol(p->plugin, sym);
  lilv_node_free(sym);
  if (!port || kind_of(p->host, p->plugin, port) != PORT_CONTROL_IN)
    return lull_diag_set(diag, LULL_EUNKNOWN, field, "%s has no control input \"%s\" (lull plugins %s lists its ports)",
                         p->uri, key, p->uri);
  float v, def, lo, hi;
  port_range(p->host, p->plugin, port, p->sample_rate, &def, &lo, &hi);
  if (!parse_value(value, &v))
    return lull_diag_set(diag, LULL_EINVAL, field, "%s: %s=%s: not a number", p->uri, key, value);
  if ((!isnan(lo) && v < lo) || (!isnan(hi) && v > hi))
    return lull_diag_set(diag, LULL_ERANGE, field, "%s: %s must be %g..%g, got %s", p->uri, key, isnan(lo) ? -(double)INFINITY : (double)lo,
                         isnan(hi) ? (double)INFINITY : (double)hi, value);
  p->control[lilv_port_get_index(p->plugin, port)] = v;
  return LULL_OK;
}

static int open_plugin(lull_plugin_host *h, const char *spec, const char *field, float sample_rate_hz, uint32_t max_block,
                       int instrument, lull_plugin **out, lull_diag *diag) {
  *out = NULL;
  char buf[2048];
  if (!spec || !*spec) return lull_diag_set(diag, LULL_EINVAL, field, "give a plugin URI (lull plugins lists them)");
  if (strlen(spec) >= sizeof buf) return lull_diag_set(diag, LULL_EINVAL, field, "the spec is longer than %zu bytes", sizeof buf - 1);
  /* Fields at the commas: the URI, then up to 64 options, none empty. A
   * comma inside a value (a preset's label) is written \, and a backslash
   * before a comma \\; any other backslash is itself. */
  char *fields[65], *w = buf, *start = buf, why_buf[512];
  int n_fields = 0;
  for (const char *r = spec;; r++) {
    if (r[0] == '\\' && (r[1] == ',' || r[1] == '\\')) {
      *w++ = *++r;
      continue;
    }
    if (*r && *r != ',') {
      *w++ = *r;
      continue;
    }
    *w = 0;
    if (!*start) return lull_diag_set(diag, LULL_EINVAL, field, "an empty field in \"%.200s\" (two commas, or one at an end)", spec);
    if (n_fields == 65) return lull_diag_set(diag, LULL_EINVAL, field, "at most 64 options after the URI");
    fields[n_fields++] = start;
    if (!*r) break;
    start = ++w;
  }
  char *uri = fields[0];
  if (strlen(uri) >= sizeof((lull_plugin *)0)->uri)
    return lull_diag_set(diag, LULL_EINVAL, field, "the URI is longer than %zu characters", sizeof((lull_plugin *)0)->uri - 1);
  LilvNode *node = lilv_new_uri(h->world, uri);
  const LilvPlugin *plug = node ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(h->world), node) : NULL;
  lilv_node_free(node);
  if (!plug) return lull_diag_set(diag, LULL_EUNKNOWN, field, "no LV2 plugin \"%s\" is installed (lull plugins lists them)", uri);
  int is_fx = 0, is_instr = 0;
  const char *why = unhostable(h, plug, &is_fx, &is_instr, why_buf, sizeof why_buf);
  if (why) return lull_diag_set(diag, LULL_EFORMAT, field, "lull cannot host %s: %s", uri, why);
  if (instrument && !is_instr)
    return lull_diag_set(diag, LULL_EINVAL, field, "%s is an effect, not an instrument (use --fx)", uri);
  if (!instrument && !is_fx)
    return lull_diag_set(diag, LULL_EINVAL, field, "%s is an instrument, not an effect (use --instrument)", uri);

  lull_plugin *p = calloc(1, sizeof *p);
  if (!p) return lull_diag_set(diag, LULL_ENOMEM, field, "out of memory");
  p->host = h, p->plugin = plug, p->max_block = max_block;
  snprintf(p->uri, sizeof p->uri, "%s", uri);
  p->ports = lilv_plugin_get_num_ports(plug);
  p->latency_port = lilv_plugin_has_latency(plug) ? (int)lilv_plugin_get_latency_port_index(plug) : -1;
  p->midi_port = -1;
  for (uint32_t i = 0; instrument && i < p->ports && p->midi_port < 0; i++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(plug, i);
    if (kind_of(h, plug, port) == PORT_ATOM_IN && lilv_port_supports_event(plug, port, h->midi_event)) p->midi_port = (int)i;
  }
  p->urid_midi = h->map.map(h, LV2_MIDI__MidiEvent);
  p->urid_chunk = h->map.map(h, LV2_ATOM__Chunk);
  p->urid_sequence = h->map.map(h, LV2_ATOM__Sequence);
  int err = LULL_OK;
  LilvNode *preset = NULL;
  p->sample_rate = sample_rate_hz; /* connect_ports scales ranges given in fractions of it */
  if (!connect_ports(p)) {
    err = lull_diag_set(diag, LULL_ENOMEM, field, "out of memory");
    goto fail;
  }
  /* Options: the rate and the block lengths run will see. */
  p->block_min = 1, p->block_max = (int32_t)max_block, p->block_nominal = (int32_t)max_block;
  LV2_URID int_type = h->map.map(h, LV2_ATOM__Int), float_type = h->map.map(h, LV2_ATOM__Float);
  p->options[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, h->map.map(h, LV2_PARAMETERS__sampleRate), sizeof(float), float_type, &p->sample_rate};
  p->options[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, h->map.map(h, LV2_BUF_SIZE__minBlockLength), sizeof(int32_t), int_type, &p->block_min};
  p->options[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, h->map.map(h, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t), int_type, &p->block_max};
  p->options[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, h->map.map(h, LV2_BUF_SIZE__nominalBlockLength), sizeof(int32_t), int_type, &p->block_nominal};
  p->options[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
  p->schedule = (LV2_Worker_Schedule){p, schedule_work};
  p->f_map = (LV2_Feature){LV2_URID__map, &h->map};
  p->f_unmap = (LV2_Feature){LV2_URID__unmap, &h->unmap};
  p->f_options = (LV2_Feature){LV2_OPTIONS__options, p->options};
  p->f_schedule = (LV2_Feature){LV2_WORKER__schedule, &p->schedule};
  p->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
  const LV2_Feature *features[6] = {&p->f_map, &p->f_unmap, &p->f_options, &p->f_schedule, &p->f_bounded, NULL};
  memcpy(p->features, features, sizeof features);

  /* The options after the URI. */
  char **opts = fields + 1;
  int n_opts = 0, presets = 0;
  for (int k = 1; k < n_fields; k++) {
    char *tok = fields[k];
    presets += strncmp(tok, "preset=", 7) == 0;
    if (presets > 1) {
      err = lull_diag_set(diag, LULL_EINVAL, field, "preset= is given twice");
      goto fail;
    }
    if (!strchr(tok, '=') || tok[0] == '=') {
      err = lull_diag_set(diag, LULL_EINVAL, field, "\"%s\": options are preset=P or SYMBOL=VALUE", tok);
      goto fail;
    }
    n_opts++;
  }
  /* Every option checked before the plugin is made; then the preset, and
   * the values over it (so their order in the spec does not matter). */
  const char *preset_name = NULL;
  for (int i = 0; i < n_opts; i++) {
    char *eq = strchr(opts[i], '=');
    *eq = 0;
    if (strcmp(opts[i], "preset") == 0) {
      lilv_node_free(preset);
      if (!find_preset(h, plug, (preset_name = eq + 1), &preset)) {
        err = lull_diag_set(diag, LULL_EUNKNOWN, field, "%s has no preset \"%s\" (lull plugins %s lists them)", uri, eq + 1, uri);
        goto fail;
      }
    } else if ((err = set_control(p, field, opts[i], eq + 1, diag)) != LULL_OK) {
      goto fail;
    }
  }
  p->instance = lilv_plugin_instantiate(plug, sample_rate_hz, p->features);
  if (!p->instance) {
    err = lull_diag_set(diag, LULL_EFORMAT, field, "%s failed to instantiate at %g Hz", uri, (double)sample_rate_hz);
    goto fail;
  }
  p->worker = lilv_instance_get_extension_data(p->instance, LV2_WORKER__interface);
  pin_library(plug);
  if (preset) {
    LilvState *state = lilv_state_new_from_world(h->world, &h->map, preset);
    if (!state) {
      err = lull_diag_set(diag, LULL_EFORMAT, field, "%s: the preset \"%s\" could not be read", uri, preset_name);
      goto fail;
    }
    lilv_state_restore(state, p->instance, set_port_value, p, 0, p->features);
    lilv_state_free(state);
    for (int i = 0; i < n_opts; i++)
      if (strcmp(opts[i], "preset") != 0) (void)set_control(p, field, opts[i], opts[i] + strlen(opts[i]) + 1, NULL);
  }
  for (uint32_t i = 0; i < p->ports; i++) {
    void *where = p->kind[i] == PORT_CONTROL_IN || p->kind[i] == PORT_CONTROL_OUT ? (void *)&p->control[i]
                  : p->atom[i]                                                   ? p->atom[i]
                                                                                 : NULL;
    if (where) lilv_instance_connect_port(p->instance, i, where);
  }
  if (instrument) { /* every audio input hears the same silence (p->in[0], never written) */
    for (uint32_t i = 0; i < p->ports; i++)
      if (p->kind[i] == PORT_AUDIO_IN) lilv_instance_connect_port(p->instance, i, p->in[0]);
  } else {
    for (uint32_t c = 0; c < p->n_in; c++) lilv_instance_connect_port(p->instance, p->audio_in[c], p->in[c]);
  }
  for (uint32_t c = 0; c < p->n_out; c++) lilv_instance_connect_port(p->instance, p->audio_out[c], p->out[c]);
  reset_atoms(p, 1, 1);
  lilv_instance_activate(p->instance);
  p->active = 1;
  lilv_node_free(preset);
  *out = p;
  return LULL_OK;
fail:
  lilv_node_free(preset);
  lull__plugin_close(p);
  return err;
}

static void run(lull_plugin *p, uint32_t frames);

/* Some instruments build their sound in a thread of their own after they
 * are made (padthv1's PADsynth tables), silent until it is done, and crash
 * if freed before. So a note is held until one sounds (or WARM_UP_MS of
 * wall time pass), then released, and the instrument is deactivated and
 * activated again: renders start from rest with the instrument ready, the
 * same every time. Returns whether it sounded. */
static int warm_up(lull_plugin *p) {
  const struct timespec pause = {0, 5 * 1000 * 1000};
  int sounded = 0;
  for (int waited = 0; waited < WARM_UP_MS && !sounded; waited += 5) {
    if (waited % 100 == 0) { /* struck again: a note begun before the sound was ready may stay silent */
      (void)lull__plugin_midi(p, 0, 0x80, 60, 64);
      (void)lull__plugin_midi(p, 0, 0x90, 60, 100);
    }
    run(p, p->max_block);
    for (uint32_t c = 0; c < p->n_out && !sounded; c++)
      for (uint32_t i = 0; i < p->max_block && !sounded; i++) sounded = fabsf(p->out[c][i]) > 1e-4f; /* -80 dBFS; not NaN (padthv1 makes some while not ready) */
    if (!sounded) nanosleep(&pause, NULL);
  }
  (void)lull__plugin_midi(p, 0, 0xB0, 123, 0); /* all notes off */
  (void)lull__plugin_midi(p, 0, 0xB0, 120, 0); /* all sound off */
  run(p, p->max_block);
  lilv_instance_deactivate(p->instance);
  lilv_instance_activate(p->instance);
  p->last[0] = p->last[1] = 0.0f;
  return sounded;
}

int lull__plugin_open_fx(lull_plugin_host *h, const char *spec, const char *field, float sample_rate_hz,
                         uint32_t max_block, lull_plugin **out, lull_diag *diag) {
  return open_plugin(h, spec, field, sample_rate_hz, max_block, 0, out, diag);
}

int lull__plugin_open_instrument(lull_plugin_host *h, const char *spec, const char *field, float sample_rate_hz,
                                 uint32_t max_block, lull_plugin **out, lull_diag *diag) {
  int err = open_plugin(h, spec, field, sample_rate_hz, max_block, 1, out, diag);
  /* One silent for middle C (a drum kit mapped elsewhere, its volume at 0)
   * is the user's choice: it plays on, after the wait. */
  if (err == LULL_OK) (void)warm_up(*out);
  return err;
}

void lull__plugin_close(lull_plugin *p) {
  if (!p) return;
  if (p->thread_started) {
    atomic_store(&p->stop, 1);
    sem_post(&p->wake);
    pthread_join(p->thread, NULL);
    sem_destroy(&p->wake);
  }
  free(p->requests);
  free(p->responses);
  if (p->active) lilv_instance_deactivate(p->instance);
  if (p->instance) lilv_instance_free(p->instance);
  for (uint32_t i = 0; i < MAX_PORTS; i++) free(p->atom[i]);
  for (int c = 0; c < 2; c++) free(p->in[c]), free(p->out[c]);
  free(p);
}

/* One run: outputs made room for, the run, the worker's answer, the spent
 * input events cleared. */
static void run(lull_plugin *p, uint32_t frames) {
  reset_atoms(p, 0, 1);
  lilv_instance_run(p->instance, frames);
  if (p->responded) { /* work done inside run: its answer now, then end of run */
    p->responded = 0;
    p->worker->work_response(lilv_instance_get_handle(p->instance), p->response_size, p->response);
  }
  if (p->threaded) /* the worker thread's answers so far */
    for (uint32_t size; (size = ring_pop(p->responses, p->response, sizeof p->response));)
      p->worker->work_response(lilv_instance_get_handle(p->instance), size, p->response);
  if (p->worker && p->worker->end_run) p->worker->end_run(lilv_instance_get_handle(p->instance));
  reset_atoms(p, 1, 0);
}

/* The first frame whose output is NaN, infinite or past +24 dBFS (frames
 * if none); a fault is noted for the log and the plugin stopped. */
static uint32_t blew_up(lull_plugin *p, uint32_t frames) {
  uint32_t first = frames;
  for (uint32_t c = 0; c < p->n_out; c++)
    for (uint32_t i = 0; i < first; i++) {
      float x = p->out[c][i];
      if (fabsf(x) <= FAULT_LEVEL) continue; /* NaN fails the compare too */
      first = i;
      p->fault_kind = isnan(x) ? 1 : isinf(x) ? 2 : 3;
      p->fault_value = x;
    }
  if (first < frames) p->faulted = 1, p->fault_frame = p->frames + first;
  p->frames += frames;
  return first;
}

/* The stereo out of the last run, a mono one in both. */
static const float *out_of(const lull_plugin *p, int c) { return p->out[c && p->n_out == 2]; }

/* Frames from..frames of io after a fault: from the last good output over
 * FADE_FRAMES (across blocks) to the dry input (an effect, to_dry) or to
 * silence (an instrument), so the stop never clicks. */
static void fade(lull_plugin *p, float *const io[2], uint32_t from, uint32_t frames, int to_dry) {
  for (int c = 0; c < 2; c++)
    for (uint32_t i = from; i < frames; i++) {
      uint32_t k = p->faded + (i - from) + 1;
      float t = k >= FADE_FRAMES ? 1.0f : (float)k / FADE_FRAMES;
      io[c][i] = (to_dry ? t * io[c][i] : 0.0f) + (1.0f - t) * p->last[c];
    }
  p->faded += frames - from;
}

/* The plugin's good frames into io; at a fault, the fade from there. */
static void take_output(lull_plugin *p, float *const io[2], uint32_t frames, int to_dry) {
  uint32_t good = blew_up(p, frames);
  for (int c = 0; c < 2; c++) {
    memcpy(io[c], out_of(p, c), sizeof(float) * good);
    if (good > 0) p->last[c] = io[c][good - 1];
  }
  if (good == frames) return;
  p->faded = 0; /* last stays as it is from here on: the fade's start */
  fade(p, io, good, frames, to_dry);
}

void lull__plugin_process(lull_plugin *p, float *left, float *right, uint32_t frames) {
  float *const io[2] = {left, right};
  if (frames > p->max_block) frames = p->max_block; /* the engine never asks more */
  if (p->faulted) { /* bypassed: the input passes, after the fade */
    if (p->faded < FADE_FRAMES) fade(p, io, 0, frames, 1);
    return;
  }
  if (frames == 0) return;
  if (p->n_in == 2) {
    memcpy(p->in[0], left, sizeof(float) * frames);
    memcpy(p->in[1], right, sizeof(float) * frames);
  } else {
    for (uint32_t i = 0; i < frames; i++) p->in[0][i] = 0.5f * (left[i] + right[i]);
  }
  run(p, frames);
  take_output(p, io, frames, 1);
}

int lull__plugin_midi(lull_plugin *p, uint32_t offset, uint8_t status, uint8_t data1, uint8_t data2) {
  if (p->midi_port < 0) return 0;
  struct {
    LV2_Atom_Event event;
    uint8_t msg[3];
  } ev = {{.time.frames = offset, .body = {3, p->urid_midi}}, {status, data1, data2}};
  return lv2_atom_sequence_append_event(p->atom[p->midi_port], ATOM_BYTES - sizeof(LV2_Atom), &ev.event) != NULL;
}

void lull__plugin_render(lull_plugin *p, float *left, float *right, uint32_t frames) {
  float *const io[2] = {left, right};
  if (frames > p->max_block) frames = p->max_block;
  if (p->faulted) { /* muted, after the fade */
    if (p->faded < FADE_FRAMES) {
      fade(p, io, 0, frames, 0);
    } else {
      memset(left, 0, sizeof(float) * frames);
      memset(right, 0, sizeof(float) * frames);
    }
    return;
  }
  if (frames == 0) return;
  run(p, frames);
  take_output(p, io, frames, 0);
}

static void *worker_main(void *arg) {
  lull_plugin *p = arg;
  LV2_Handle handle = lilv_instance_get_handle(p->instance);
  for (;;) {
    while (sem_wait(&p->wake) != 0) continue; /* EINTR */
    if (atomic_load(&p->stop)) return NULL;
    for (uint32_t size; (size = ring_pop(p->requests, p->request, sizeof p->request));)
      p->worker->work(handle, respond, p, size, p->request);
  }
}

int lull__plugin_start_worker(lull_plugin *p) {
  if (!p->worker || p->thread_started) return LULL_OK;
  if (!(p->requests = calloc(1, sizeof *p->requests)) || !(p->responses = calloc(1, sizeof *p->responses)))
    return LULL_ENOMEM;
  if (sem_init(&p->wake, 0, 0) != 0) return LULL_ENOMEM;
  p->threaded = 1; /* before the thread: it reads it */
  if (pthread_create(&p->thread, NULL, worker_main, p) != 0) {
    p->threaded = 0;
    sem_destroy(&p->wake);
    return LULL_ENOMEM;
  }
  p->thread_started = 1;
  return LULL_OK;
}

void lull__plugin_service(lull_plugin *p) {
  if (p->threaded && atomic_exchange_explicit(&p->pending, 0, memory_order_relaxed)) sem_post(&p->wake);
}

uint32_t lull__plugin_latency(const lull_plugin *p) {
  if (p->latency_port < 0) return 0;
  float v = p->control[p->latency_port];
  return v > 0 && v < 1e6f ? (uint32_t)v : 0;
}

int lull__plugin_faulted(const lull_plugin *p) { return p->faulted; }

int lull__plugin_take_fault(lull_plugin *p, char *why, size_t cap) {
  if (!p->faulted || p->fault_told) return 0;
  p->fault_told = 1;
  char what[64];
  if (p->fault_kind == 1) snprintf(what, sizeof what, "turned NaN");
  else if (p->fault_kind == 2) snprintf(what, sizeof what, "turned infinite");
  else snprintf(what, sizeof what, "reached %+.1f dBFS (the limit is +24)", 20.0 * log10(fabs((double)p->fault_value)));
  snprintf(why, cap, "its output %s at %.3f s", what, (double)p->fault_frame / (double)p->sample_rate);
  return 1;
}
const char *lull__plugin_uri(const lull_plugin *p) { return p->uri; }
