/* The palettes' scalar voices: FM bells and pianos, plucked strings,
 * string ensemble and choir, textures and grains (their DSP is in dsp/).
 * Thirty-two slots shared by every part, at most fourteen to a part, so one
 * part cannot starve the others. Stealing, when a part is full or no slot
 * is free: the part's quietest releasing voice, else its oldest; a stolen
 * voice of the same instrument family is retriggered from where it is (the
 * family's start() keeps the running state), so the change never steps. */
#include <math.h>

#include "synth/synth_int.h"

enum { FAM_NONE = 0, FAM_FM, FAM_PLUCK, FAM_STRINGS, FAM_CHOIR, FAM_TEXTURE, FAM_GRAINS };

typedef struct instr_spec {
  uint8_t family;
  uint8_t ensemble; /* through the ensemble chorus instead of straight to the mix */
  const void *patch;
  float gain;       /* brings a typical note to the level of the classic voice it replaces */
  uint8_t voices;   /* at most this many of the part at once (0: LULL_XVOICES_PER_PART) */
} instr_spec;

static const instr_spec instrs[LULL_INSTR_COUNT] = {
    [LULL_INSTR_FM_GLASS] = {FAM_FM, 0, &lull__fm_glass, 1.0f},
    [LULL_INSTR_FM_BELL] = {FAM_FM, 0, &lull__fm_bell, 1.0f},
    [LULL_INSTR_FM_EPIANO] = {FAM_FM, 0, &lull__fm_epiano, 1.0f},
    [LULL_INSTR_FM_PIANO] = {FAM_FM, 0, &lull__fm_piano, 1.0f},
    [LULL_INSTR_HARP] = {FAM_PLUCK, 0, &lull__pluck_harp, 1.0f},
    [LULL_INSTR_GUITAR] = {FAM_PLUCK, 0, &lull__pluck_guitar, 1.0f},
    [LULL_INSTR_KALIMBA] = {FAM_PLUCK, 0, &lull__pluck_kalimba, 1.0f},
    /* A section in three parts (the chord's latest three: its moving voices
     * and the one held longest go first) over one low line, legato. */
    [LULL_INSTR_STRINGS] = {FAM_STRINGS, 1, &lull__strings_ensemble, 1.0f, 3},
    [LULL_INSTR_STRINGS_LOW] = {FAM_STRINGS, 1, &lull__strings_low, 1.0f, 1},
    /* Two drone voices (the latest struck of the chord: its moving voices)
     * say enough an octave down; four made mud and cost twice. */
    [LULL_INSTR_DRONE] = {FAM_STRINGS, 0, &lull__strings_drone, 1.0f, 2},
    [LULL_INSTR_CHOIR_OOH] = {FAM_CHOIR, 1, &lull__choir_ooh, 1.0f},
    [LULL_INSTR_CHOIR_AAH] = {FAM_CHOIR, 1, &lull__choir_aah, 1.0f},
    [LULL_INSTR_WIND] = {FAM_TEXTURE, 0, &lull__texture_wind, 1.0f},
    [LULL_INSTR_RAIN] = {FAM_TEXTURE, 0, &lull__texture_rain, 1.0f},
    [LULL_INSTR_SURF] = {FAM_TEXTURE, 0, &lull__texture_surf, 1.0f},
    [LULL_INSTR_BRUSH] = {FAM_TEXTURE, 0, &lull__texture_brush, 1.0f},
    [LULL_INSTR_SHIMMER] = {FAM_GRAINS, 0, &lull__grains_shimmer, 1.0f},
    [LULL_INSTR_CLOUD] = {FAM_GRAINS, 0, &lull__grains_cloud, 1.0f},
};

static int x_active(const lull_xvoice *x) {
  switch (x->family) {
    case FAM_FM: return lull__fm_active(&x->u.fm);
    case FAM_PLUCK: return lull__pluck_active(&x->u.pluck);
    case FAM_STRINGS: return lull__strings_active(&x->u.strings);
    case FAM_CHOIR: return lull__choir_active(&x->u.choir);
    case FAM_TEXTURE: return lull__texture_active(&x->u.texture);
    case FAM_GRAINS: return lull__grains_active(&x->u.grains);
    default: return 0;
  }
}

static float x_level(const lull_xvoice *x) {
  switch (x->family) {
    case FAM_FM: return lull__fm_level(&x->u.fm);
    case FAM_PLUCK: return lull__pluck_level(&x->u.pluck);
    case FAM_STRINGS: return lull__strings_level(&x->u.strings);
    case FAM_CHOIR: return lull__choir_level(&x->u.choir);
    case FAM_TEXTURE: return lull__texture_level(&x->u.texture);
    case FAM_GRAINS: return lull__grains_level(&x->u.grains);
    default: return 0.0f;
  }
}

static void x_release(lull_xvoice *x) {
  x->held = 0;
  x->release_at = UINT64_MAX;
  switch (x->family) {
    case FAM_FM: lull__fm_release(&x->u.fm); break;
    case FAM_PLUCK: lull__pluck_release(&x->u.pluck); break;
    case FAM_STRINGS: lull__strings_release(&x->u.strings); break;
    case FAM_CHOIR: lull__choir_release(&x->u.choir); break;
    case FAM_TEXTURE: lull__texture_release(&x->u.texture); break;
    case FAM_GRAINS: lull__grains_release(&x->u.grains); break;
    default: break;
  }
}

/* A slot for a new note of part: a free one while the part has room, else
 * the part's quietest releasing voice, else its oldest. */
static lull_xvoice *choose(lull_pool *p, int part, int room, int *stolen) {
  lull_xvoice *free_slot = NULL, *rel = NULL, *old = NULL, *any_rel = NULL, *any_old = NULL;
  float rel_level = 2.0f, any_level = 2.0f;
  uint64_t old_serial = UINT64_MAX, any_serial = UINT64_MAX;
  int mine = 0;
  for (int i = 0; i < LULL_XVOICES; i++) {
    lull_xvoice *x = &p->x[i];
    if (!x->active) {
      if (!free_slot) free_slot = x;
      continue;
    }
    float level = x->held ? 2.0f : x_level(x);
    if (x->part == part) {
      mine++;
      if (!x->held && level < rel_level) rel_level = level, rel = x;
      if (x->serial < old_serial) old_serial = x->serial, old = x;
    }
    if (!x->held && level < any_level) any_level = level, any_rel = x;
    if (x->serial < any_serial) any_serial = x->serial, any_old = x;
  }
  *stolen = 0;
  if (free_slot && mine < room) return free_slot;
  *stolen = 1;
  if (rel) return rel;
  if (old) return old;
  return any_rel ? any_rel : any_old;
}

void lull__xvoice_note_on(lull_pool *p, const lull_voicing *v, int part, int pitch, float velocity, float pan,
                          uint64_t duration_frames, uint64_t now) {
  const instr_spec *is = &instrs[v->instr];
  if (is->family == FAM_NONE || !p->x) return; /* a pool without scalar voices plays only its banks */
  int stolen;
  lull_xvoice *x = choose(p, part, is->voices ? is->voices : LULL_XVOICES_PER_PART, &stolen);
  if (stolen) p->stolen++;
  float hz = lull__midi_hz((float)pitch);
  uint64_t seed = p->serial * 0x9e3779b97f4a7c15ull ^ (uint64_t)pitch;
  if (x->family != is->family || !x->active) {
    /* A free slot starts from rest: an idle voice's state (its phases, its
     * line) depends on where the render that ended it was cut, and a note
     * must not. Another family in a sounding slot stops here (only a steal
     * can make that audible, and stealing prefers the quietest). */
    if (is->family == FAM_PLUCK) lull__pluck_init(&x->u.pluck, x->string_mem, p->sample_rate_hz);
    else if (is->family == FAM_FM) lull__fm_init(&x->u.fm, p->sample_rate_hz);
    else if (is->family == FAM_STRINGS) lull__strings_init(&x->u.strings, p->sample_rate_hz);
    else if (is->family == FAM_CHOIR) lull__choir_init(&x->u.choir, p->sample_rate_hz);
    else if (is->family == FAM_TEXTURE) lull__texture_init(&x->u.texture, p->sample_rate_hz);
    else lull__grains_init(&x->u.grains, p->sample_rate_hz);
    x->family = is->family;
  }
  switch (is->family) {
    case FAM_FM: lull__fm_start(&x->u.fm, is->patch, hz, velocity, seed); break;
    case FAM_PLUCK: lull__pluck_start(&x->u.pluck, is->patch, hz, velocity, seed); break;
    case FAM_STRINGS: lull__strings_start(&x->u.strings, is->patch, p->wt, hz, velocity, seed); break;
    case FAM_CHOIR: lull__choir_start(&x->u.choir, is->patch, p->wt, hz, velocity, seed); break;
    case FAM_TEXTURE: lull__texture_start(&x->u.texture, is->patch, hz, velocity, seed); break;
    default: lull__grains_start(&x->u.grains, is->patch, hz, velocity, seed); break;
  }
  float g = is->gain * v->level;
  float angle = (pan + 1.0f) * (float)M_PI * 0.25f; /* constant power */
  x->gain_l = g * cosf(angle);
  x->gain_r = g * sinf(angle);
  x->gain_rev = g * v->reverb_send;
  x->gain_dly = g * v->delay_send;
  x->to_ensemble = is->ensemble;
  x->instr = v->instr;
  x->part = (uint8_t)part;
  x->pitch = (uint8_t)pitch;
  x->held = 1;
  if (!x->active) p->x_active++;
  x->active = 1;
  x->serial = ++p->serial;
  x->release_at = duration_frames ? now + duration_frames : UINT64_MAX;
}

void lull__xvoice_note_off(lull_pool *p, int part, int pitch) {
  if (!p->x_active) return;
  for (int i = 0; i < LULL_XVOICES; i++) {
    lull_xvoice *x = &p->x[i];
    if (x->active && x->held && x->part == part && (pitch < 0 || x->pitch == pitch)) x_release(x);
  }
}

void lull__xvoice_handover(lull_pool *p, uint64_t until) {
  if (!p->x_active) return;
  for (int i = 0; i < LULL_XVOICES; i++) {
    lull_xvoice *x = &p->x[i];
    if (!x->active || !x->held) continue;
    x->held = 0;
    if (x->release_at > until) x->release_at = until;
  }
}

void lull__xvoice_release_pending(lull_pool *p) {
  if (!p->x_active) return;
  for (int i = 0; i < LULL_XVOICES; i++)
    if (p->x[i].active && p->x[i].release_at != UINT64_MAX) x_release(&p->x[i]);
}

uint64_t lull__xvoice_frames_to_change(const lull_pool *p, uint64_t now) {
  uint64_t m = UINT64_MAX;
  if (!p->x_active) return m;
  for (int i = 0; i < LULL_XVOICES; i++) {
    const lull_xvoice *x = &p->x[i];
    if (x->active && x->release_at != UINT64_MAX) {
      uint64_t r = x->release_at > now ? x->release_at - now : 0;
      if (r < m) m = r;
    }
  }
  return m;
}

/* One pass over the voice's block for each destination set (the common
 * cases fused: the buses are distinct arrays, so the loops vectorise). */
static void mix_mono(const lull_xvoice *x, const lull_mix_bus *bus, const float *restrict s, uint32_t n) {
  const float gl = x->gain_l, gr = x->gain_r, gv = x->gain_rev, gd = x->gain_dly;
  float *restrict rev = bus->reverb, *restrict dly = bus->delay;
  if (x->to_ensemble) {
    float *restrict ens = bus->ensemble;
    const float g = gl + gr; /* the chorus spreads it; its sum keeps the level */
    if (rev)
      for (uint32_t i = 0; i < n; i++) ens[i] += g * s[i], rev[i] += gv * s[i], dly[i] += gd * s[i];
    else
      for (uint32_t i = 0; i < n; i++) ens[i] += g * s[i];
  } else {
    float *restrict l = bus->left, *restrict r = bus->right;
    if (rev)
      for (uint32_t i = 0; i < n; i++) l[i] += gl * s[i], r[i] += gr * s[i], rev[i] += gv * s[i], dly[i] += gd * s[i];
    else
      for (uint32_t i = 0; i < n; i++) l[i] += gl * s[i], r[i] += gr * s[i];
  }
}

static void mix_stereo(const lull_xvoice *x, const lull_mix_bus *bus, const float *restrict l, const float *restrict r,
                       uint32_t n) {
  /* A stereo texture keeps its own image; the pan only leans it. */
  const float gl = 2.0f * x->gain_l * (float)M_SQRT1_2, gr = 2.0f * x->gain_r * (float)M_SQRT1_2;
  const float gv = 0.5f * x->gain_rev, gd = 0.5f * x->gain_dly;
  float *restrict ol = bus->left, *restrict or_ = bus->right, *restrict rev = bus->reverb, *restrict dly = bus->delay;
  if (rev)
    for (uint32_t i = 0; i < n; i++) {
      float m = l[i] + r[i];
      ol[i] += gl * l[i], or_[i] += gr * r[i], rev[i] += gv * m, dly[i] += gd * m;
    }
  else
    for (uint32_t i = 0; i < n; i++) ol[i] += gl * l[i], or_[i] += gr * r[i];
}

/* After a voice's block: a release due in it, and the slot freed once silent. */
static void x_after(lull_pool *p, lull_xvoice *x, uint64_t end) {
  if (x->release_at <= end) x_release(x);
  if (!x->held && !x_active(x)) {
    x->active = 0;
    p->x_active--;
  }
}

/* Strings voices render LULL_SCRATCH at a time (lull__strings_render_n). */
static void strings_batch(lull_pool *p, const lull_mix_bus *bus, lull_xvoice **x, int n, uint32_t frames,
                          uint64_t end) {
  lull_strings *v[LULL_SCRATCH];
  for (int k = 0; k < n; k++) v[k] = &x[k]->u.strings;
  p->strings_render(v, n, p->scratch, frames);
  for (int k = 0; k < n; k++) {
    mix_mono(x[k], bus, p->scratch[k], frames);
    x_after(p, x[k], end);
  }
}

int lull__xvoice_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now, int grains) {
  if (!p->x_active) return 0;
  uint64_t end = now + frames;
  float *s0 = p->scratch[0], *s1 = p->scratch[1];
  lull_xvoice *strings[LULL_SCRATCH];
  int sounded = 0, n_strings = 0;
  for (int i = 0; i < LULL_XVOICES; i++) {
    lull_xvoice *x = &p->x[i];
    if (!x->active || (x->family == FAM_GRAINS) != grains) continue;
    sounded = 1;
    if (x->family == FAM_STRINGS) {
      strings[n_strings++] = x;
      if (n_strings == LULL_SCRATCH) strings_batch(p, bus, strings, n_strings, frames, end), n_strings = 0;
      continue;
    }
    switch (x->family) {
      case FAM_FM: p->fm_render(&x->u.fm, s0, frames); break;
      case FAM_PLUCK: p->pluck_render(&x->u.pluck, s0, frames); break;
      case FAM_CHOIR: lull__choir_render(&x->u.choir, s0, frames); break;
      case FAM_TEXTURE: p->texture_render(&x->u.texture, s0, s1, frames); break;
      default: p->grains_render(&x->u.grains, p->grain_src, s0, s1, frames); break;
    }
    if (x->family == FAM_TEXTURE || x->family == FAM_GRAINS) mix_stereo(x, bus, s0, s1, frames);
    else mix_mono(x, bus, s0, frames);
    x_after(p, x, end);
  }
  if (n_strings) strings_batch(p, bus, strings, n_strings, frames, end);
  return sounded;
}
