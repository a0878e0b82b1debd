/* The voice pool: a fixed set of banks (three for the pad, one of FM
 * voices for lead, bell and bass, one for the noise and percussion parts),
 * allocated with the engine. Stealing rule, when a part has no idle voice:
 * take its releasing voice with the lowest level, else its oldest voice. A
 * stolen voice is retriggered from the level heard with its phase and
 * filter state kept, so the change of note never steps the waveform. Where
 * a note sits in the stereo field is chosen here, per part. */
#include <math.h>
#include <string.h>

#include "synth/synth_int.h"

/* Brightness 0..1 moves the pad's cutoff exponentially from 250 Hz to
 * 6 kHz: 250 x 24^b, 1.22 kHz at 0.5. */
#define PAD_CUTOFF_DARK_HZ 250.0f
#define PAD_CUTOFF_BRIGHT_HZ 6000.0f
#define PAD_Q 0.7071f
#define BRIGHTNESS_GLIDE_MS 50.0f
#define PALETTE_GLIDE_MS 500.0f /* 99 % in 2.3 s: a palette's pad tone arrives over a bar or two */
/* Each voice's two LFOs have periods from 20 to 60 s, seeded. */
#define LFO_MIN_S 20.0
#define LFO_SPAN_S 40.0
/* The lead's notes wander through +- 0.35 of the field along two slow
 * sines (13.7 s and 21.1 s, phases seeded). */
#define LEAD_PAN 0.35
#define LEAD_PAN_A_S 13.7
#define LEAD_PAN_B_S 21.1
#define BELL_PAN 0.7f
#define AIR_PAN 0.5f

/* Pad notes take pan positions in turn, so a chord spreads across the field. */
static const float pad_pans[4] = {-0.6f, 0.2f, -0.2f, 0.6f};

static double unit(uint64_t *x) { return (double)(lull__splitmix64(x) >> 11) * 0x1p-53; }

void lull__pool_init(lull_pool *p, const lull_wavetable *wt, float sample_rate_hz, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->render = lull__bank_render_generic;
  p->soft_clip = lull__soft_clip_block_generic;
  p->dcblock = lull__dcblock_stereo_generic;
  p->strings_render = lull__strings_render_n_generic;
  p->fm_render = lull__fm_render_generic;
  p->pluck_render = lull__pluck_render_generic;
  p->texture_render = lull__texture_render_generic;
  p->grains_render = lull__grains_render_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) {
    p->render = lull__bank_render_v3;
    p->soft_clip = lull__soft_clip_block_v3;
    p->dcblock = lull__dcblock_stereo_v3;
    p->strings_render = lull__strings_render_n_v3;
    p->fm_render = lull__fm_render_v3;
    p->pluck_render = lull__pluck_render_v3;
    p->texture_render = lull__texture_render_v3;
    p->grains_render = lull__grains_render_v3;
  }
#endif
  p->wt = wt;
  p->sample_rate_hz = sample_rate_hz;
  uint64_t lfo_seed = seed ^ 0x6c756c6c2d6c666full; /* a stream apart from the noise's */
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    b->kind = (uint8_t)k;
    b->wt_data = wt->data;
    lull__adsr8_reset(&b->env);
    lull__svf8_init(&b->svf, sample_rate_hz);
    lull__noise8_init(&b->noise, seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(k + 1)));
    b->decay = v8f_set1(1.0f);
    b->amp = v8f_set1(1.0f);
    b->index_decay = v8f_set1(1.0f);
    b->partial_decay = v8f_set1(1.0f);
    for (int j = 0; j < LULL_LANES; j++) {
      b->release_at[j] = UINT64_MAX;
      for (int i = 0; i < 2; i++) {
        double period_s = LFO_MIN_S + LFO_SPAN_S * unit(&lfo_seed);
        b->lfo_inc[i][j] = (uint32_t)llround(4294967296.0 * LULL_GRID_FRAMES / (period_s * (double)sample_rate_hz));
        b->lfo_phase[i][j] = (uint32_t)(lull__splitmix64(&lfo_seed) >> 32);
      }
    }
  }
  for (int part = 0; part < LULL_PART_COUNT; part++) {
    const lull_part_slots *s = &lull__part_slots[part];
    for (int k = s->first_bank; k < s->first_bank + s->banks; k++)
      for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
        lull__adsr8_configure_lane(&p->bank[k].env, j, &lull__part_specs[part].adsr, sample_rate_hz);
        p->bank[k].part[j] = (uint8_t)part;
      }
  }
  p->lead_pan_turns[0] = unit(&lfo_seed);
  p->lead_pan_turns[1] = unit(&lfo_seed);
  do p->rng.state = (uint32_t)(lull__splitmix64(&lfo_seed) >> 32);
  while (p->rng.state == 0);
  lull__smooth_init(&p->brightness, 0.5f, BRIGHTNESS_GLIDE_MS, sample_rate_hz);
  lull__smooth_init(&p->pad_tone, 1.0f, PALETTE_GLIDE_MS, sample_rate_hz);
  lull__pool_control(p, 0);
}

size_t lull__pool_floats(float sample_rate_hz) {
  return (size_t)LULL_XVOICES * lull__pluck_floats(sample_rate_hz);
}

void lull__pool_attach(lull_pool *p, lull_xvoice *x, float *mem, float (*scratch)[LULL_MAX_BLOCK],
                       const lull_grain_source *src) {
  size_t each = lull__pluck_floats(p->sample_rate_hz);
  p->x = x;
  for (int i = 0; i < LULL_XVOICES; i++) p->x[i].string_mem = mem + (size_t)i * each;
  for (int k = 0; k < LULL_SCRATCH; k++) p->scratch[k] = scratch[k];
  p->grain_src = src;
}

void lull__pool_set_palette(lull_pool *p, int palette) {
  p->palette = palette;
  lull__smooth_set(&p->pad_tone, lull__palettes[palette].pad_tone);
}

void lull__pool_control(lull_pool *p, uint64_t now) {
  /* exp2f per tick, not per sample. */
  float b = lull__smooth_next(&p->brightness, LULL_GRID_FRAMES);
  float tone = lull__smooth_next(&p->pad_tone, LULL_GRID_FRAMES);
  float fc = PAD_CUTOFF_DARK_HZ * exp2f(b * log2f(PAD_CUTOFF_BRIGHT_HZ / PAD_CUTOFF_DARK_HZ)) * tone;
  fc = fminf(fc, 0.45f * p->sample_rate_hz); /* tan's argument stays well below pi/2, LFO and all */
  if (fc != p->pad.cutoff_hz) { /* the brightness settles, and then this is skipped */
    p->pad.cutoff_hz = fc;
    p->pad.x = (float)M_PI * fc / p->sample_rate_hz;
    p->pad.g = tanf(p->pad.x);
    p->pad.k = 1.0f / PAD_Q;
  }
  for (int k = 0; k < LULL_BANK_COUNT; k++) lull__bank_modulate(&p->bank[k], &p->pad, now, -1);
}

/* Where a new note of part sits, -1..1. */
static float place(lull_pool *p, int part, int pitch, uint64_t now) {
  switch (part) {
    case LULL_PART_PAD: return pad_pans[p->pan_cycle++ & 3];
    case LULL_PART_HAT: return (p->pan_cycle & 1) ? 0.3f : -0.3f;
    case LULL_PART_LEAD: {
      double t = (double)now / (double)p->sample_rate_hz;
      double a = sin(2 * M_PI * (t / LEAD_PAN_A_S + p->lead_pan_turns[0]));
      double c = sin(2 * M_PI * (t / LEAD_PAN_B_S + p->lead_pan_turns[1]));
      return (float)(LEAD_PAN * (0.6 * a + 0.4 * c));
    }
    case LULL_PART_BELL: {
      /* Higher bells to the right, each with its own scatter. */
      float pan = 0.4f * (float)(pitch - 76) / 14.0f + 0.45f * lull__noise_next(&p->rng);
      return fminf(fmaxf(pan, -BELL_PAN), BELL_PAN);
    }
    case LULL_PART_AIR: return AIR_PAN * lull__noise_next(&p->rng);
    default: return 0.0f; /* kick, swell, bass: centred */
  }
}

/* Choose the lane for a new note of part: idle first, then the quietest
 * releasing voice, then the oldest. */
static lull_bank *choose(lull_pool *p, int part, int *lane_out, int *stolen) {
  lull_bank *best_rel = NULL, *best_old = NULL;
  int rel_lane = 0, old_lane = 0;
  float rel_level = 2.0f;
  uint64_t old_serial = UINT64_MAX;
  const lull_part_slots *s = &lull__part_slots[part];
  for (int k = s->first_bank; k < s->first_bank + s->banks; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
      if (!lull__adsr8_active(&b->env, j)) {
        *lane_out = j;
        *stolen = 0;
        return b;
      }
      if (b->env.stage[j] == LULL_ADSR_RELEASE && b->env.level[j] < rel_level) {
        rel_level = b->env.level[j];
        best_rel = b;
        rel_lane = j;
      }
      if (b->serial[j] < old_serial) {
        old_serial = b->serial[j];
        best_old = b;
        old_lane = j;
      }
    }
  }
  *stolen = 1;
  if (best_rel) {
    *lane_out = rel_lane;
    return best_rel;
  }
  *lane_out = old_lane;
  return best_old;
}

void lull__pool_note_on(lull_pool *p, int part, int pitch, float velocity, uint64_t duration_frames, uint64_t now) {
  const lull_part_spec *spec = &lull__part_specs[part];
  const lull_voicing *v = &lull__palettes[p->palette].part[part];
  if (v->instr == LULL_INSTR_NONE) return;
  if (duration_frames == 0 && spec->default_ms > 0)
    duration_frames = (uint64_t)(spec->default_ms * 0.001f * p->sample_rate_hz + 0.5f);
  if (v->instr != LULL_INSTR_BANK) {
    lull__xvoice_note_on(p, v, part, pitch, velocity, place(p, part, pitch, now), duration_frames, now);
    return;
  }
  int lane, stolen;
  lull_bank *b = choose(p, part, &lane, &stolen);
  if (stolen) p->stolen++;
  float pan = place(p, part, pitch, now);
  b->onset[lane] = now;
  lull__bank_start(b, p->wt, lane, part, pitch, velocity, pan, duration_frames, p->sample_rate_hz);
  if (v->level != 1.0f || v->reverb_send != 1.0f || v->delay_send != 1.0f) {
    /* The palette's level and sends for this classic voice (modulate sets the pan's gains from gain). */
    b->gain[lane] *= v->level;
    b->gain_l[lane] *= v->level;
    b->gain_r[lane] *= v->level;
    b->gain_rev[lane] *= v->level * v->reverb_send;
    b->gain_dly[lane] *= v->level * v->delay_send;
  }
  b->serial[lane] = ++p->serial;
  b->held[lane] = 1;
  b->active |= (uint8_t)(1u << lane);
  lull__bank_modulate(b, &p->pad, now, lane);
  b->release_at[lane] = duration_frames ? now + duration_frames : UINT64_MAX;
}

/* pitch < 0 releases every held note of the part. */
void lull__pool_note_off(lull_pool *p, int part, int pitch) {
  lull__xvoice_note_off(p, part, pitch);
  const lull_part_slots *s = &lull__part_slots[part];
  for (int k = s->first_bank; k < s->first_bank + s->banks; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
      if (!b->held[j] || (pitch >= 0 && b->pitch[j] != pitch)) continue;
      b->held[j] = 0;
      b->release_at[j] = UINT64_MAX;
      lull__adsr8_gate_off(&b->env, j);
    }
  }
}

void lull__pool_handover(lull_pool *p, uint64_t now, uint64_t hold_frames) {
  uint64_t until = now + hold_frames;
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = 0; j < LULL_LANES; j++) {
      if (!b->held[j]) continue;
      b->held[j] = 0; /* no note-off reaches it now: it ends on its own */
      if (b->release_at[j] > until) b->release_at[j] = until;
    }
  }
  lull__xvoice_handover(p, until);
}

void lull__pool_release_all(lull_pool *p) {
  for (int part = 0; part < LULL_PART_COUNT; part++) lull__pool_note_off(p, part, -1);
  /* and the notes a palette change let go of, still holding */
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = 0; j < LULL_LANES; j++)
      if (b->release_at[j] != UINT64_MAX) {
        b->release_at[j] = UINT64_MAX;
        lull__adsr8_gate_off(&b->env, j);
      }
  }
  lull__xvoice_release_pending(p);
}

uint32_t lull__pool_frames_to_change(const lull_pool *p, uint64_t now) {
  uint64_t m = UINT32_MAX, x = lull__xvoice_frames_to_change(p, now);
  if (x < m) m = x;
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    const lull_bank *b = &p->bank[k];
    if (!b->active) continue;
    uint64_t e = lull__adsr8_frames_left(&b->env);
    if (e < m) m = e;
    for (int j = 0; j < LULL_LANES; j++) {
      if (b->ramp_left[j] && b->ramp_left[j] < m) m = b->ramp_left[j];
      if (b->release_at[j] != UINT64_MAX) {
        uint64_t r = b->release_at[j] > now ? b->release_at[j] - now : 0;
        if (r < m) m = r;
      }
    }
  }
  return m < 1 ? 1u : (uint32_t)m;
}

int lull__pool_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now) {
  uint64_t end = now + frames;
  int sounded = lull__xvoice_render(p, bus, frames, now, 0);
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    if (!b->active) continue;
    sounded = 1;
    p->render(b, bus, frames);
    lull__adsr8_advance(&b->env, frames);
    for (int j = 0; j < LULL_LANES; j++) {
      if (b->ramp_left[j]) {
        b->ramp_left[j] -= frames;
        if (b->ramp_left[j] == 0) { /* the sweep lands exactly on its pitch */
          b->inc_a[j] = b->ramp_target[j];
          b->dinc[j] = 0;
        }
      }
      if (b->release_at[j] <= end) {
        b->release_at[j] = UINT64_MAX;
        b->held[j] = 0;
        lull__adsr8_gate_off(&b->env, j);
      }
      if (!lull__adsr8_active(&b->env, j)) {
        b->active &= (uint8_t)~(1u << j);
        b->held[j] = 0;
        /* An idle kick or FM lane would keep decaying into denormals. */
        b->amp[j] = 1.0f;
        b->decay[j] = 1.0f;
        b->index[j] = b->partial[j] = 0.0f;
        b->index_decay[j] = b->partial_decay[j] = 1.0f;
      }
    }
  }
  return sounded;
}

uint32_t lull__pool_active_voices(const lull_pool *p) {
  uint32_t n = p->x_active;
  for (int k = 0; k < LULL_BANK_COUNT; k++) n += (uint32_t)__builtin_popcount(p->bank[k].active);
  return n;
}
