/* synth internals: voice banks, the voice pool, the event heap. Voices of
 * one part run eight to a bank, one per SIMD lane. The engine renders in
 * sub-blocks that end wherever any voice changes state (envelope segment,
 * glide or sweep end, scheduled release) or an event is due, so inside a
 * sub-block every voice is a straight-line kernel. */
#ifndef LULL_SYNTH_INT_H
#define LULL_SYNTH_INT_H

#include <stdint.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"
#include "lull/event.h"

#define LULL_MAX_BLOCK LULL_GRID_FRAMES /* sub-blocks never cross a grid line */

/* Banks: three of pad voices (24); one shared by the parts that rarely
 * sound more than one note at a time: lead in lanes 0-1, kick 2-3, swell
 * 4-5, hat 6-7. Its kernel runs the sine and the noise path on every lane
 * and masks per lane, which costs less than two half-empty banks. */
enum { LULL_BANK_PAD0 = 0, LULL_BANK_PAD1, LULL_BANK_PAD2, LULL_BANK_MISC, LULL_BANK_COUNT };
#define LULL_PAD_BANKS 3
#define LULL_VOICE_COUNT (LULL_BANK_COUNT * LULL_LANES)
_Static_assert(LULL_VOICE_COUNT >= 32, "the pool holds at least 32 voices");

/* The seed's musical choices, one row a part (voices.c). */
typedef struct lull_part_spec {
  lull_adsr_config adsr;
  float level;       /* mix level of the part (seed: pad 0.5, lead 0.7, percussion 0.3) */
  float voice_gain;  /* per voice, so a full part sits near the part level */
  float reverb_send, delay_send;
  float default_ms;  /* a HIT's length when its event gives none */
} lull_part_spec;

extern const lull_part_spec lull__part_specs[LULL_PART_COUNT];

/* Where a part's voices live. */
typedef struct lull_part_slots {
  uint8_t first_bank, banks, first_lane, lanes;
} lull_part_slots;

extern const lull_part_slots lull__part_slots[LULL_PART_COUNT];

/* What a sub-block of voices adds to (engine buses, LULL_MAX_BLOCK each). */
typedef struct lull_mix_bus lull_mix_bus;
struct lull_mix_bus {
  float *left, *right; /* dry, after the part levels */
  float *reverb;       /* mono reverb send; NULL: no sends (dry) */
  float *delay;        /* mono delay send */
};

typedef struct lull_bank {
  lull_adsr8 env;
  lull_svf8 svf;
  lull_noise8 noise;
  const float *wt_data;        /* band-limited tables (pad) */
  v8u phase_a, inc_a, table_a; /* oscillator A: pad saw, lead/kick sine */
  v8u phase_b, inc_b, table_b; /* oscillator B: the pad's detuned saw */
  v8i dinc;                    /* per-sample change of inc_a (glide, sweep) */
  v8f gain_l, gain_r;          /* velocity x voice gain x part level x pan */
  v8f gain_rev, gain_dly;      /* the same, times the sends */
  v8f decay, amp;              /* kick: exponential decay per sample (1 elsewhere) */
  v8f mix_sine;                  /* misc bank: 1 on sine lanes (lead, kick), else 0 */
  v8f mix_in, mix_band, mix_low; /* misc bank: the noise lanes' filter response */
  uint64_t release_at[LULL_LANES]; /* absolute frame of a scheduled release */
  uint64_t serial[LULL_LANES];     /* allocation order, for oldest-first stealing */
  uint32_t ramp_left[LULL_LANES];  /* frames left of a glide or sweep */
  uint32_t ramp_target[LULL_LANES];/* inc_a when the ramp ends */
  float hz[LULL_LANES];            /* current pitch of oscillator A */
  uint8_t part[LULL_LANES];
  uint8_t pitch[LULL_LANES];
  uint8_t held[LULL_LANES];        /* gate is on (not yet released) */
  uint8_t kind;                    /* LULL_BANK_* */
  uint8_t active;                  /* lanes not idle, as a bit mask */
} lull_bank;

typedef void lull_bank_render_fn(lull_bank *b, const struct lull_mix_bus *bus, uint32_t frames);

/* Gain and soft clip, in place: frame i gets gain + step (phase + i), phase
 * being the frames since the control period began (split-invariant). */
typedef void lull_soft_clip_fn(float *left, float *right, uint32_t frames, float gain, float step, uint32_t phase);

typedef void lull_dcblock_fn(lull_dcblock *l, lull_dcblock *r, float *left, float *right, uint32_t frames);

typedef struct lull_pool {
  lull_bank bank[LULL_BANK_COUNT];
  lull_bank_render_fn *render; /* the kernels for this CPU, chosen at init */
  lull_soft_clip_fn *soft_clip;
  lull_dcblock_fn *dcblock;
  const lull_wavetable *wt;
  lull_lfo pad_lfo;
  lull_smooth brightness; /* 0..1; moves the pad's filter (0.5: the seed's) */
  float pad_cutoff_hz;   /* set at each control tick */
  lull_svf_coefs pad_coefs;
  float sample_rate_hz;
  float last_lead_hz;    /* where the next lead note glides from */
  uint32_t pan_cycle;    /* spreads successive pad notes across the field */
  uint64_t serial;
  uint64_t stolen;
} lull_pool;

void lull__pool_init(lull_pool *p, const lull_wavetable *wt, float sample_rate_hz, uint64_t seed);
/* Start a note (ON or HIT). duration_frames 0: held until an OFF (ON) or the
 * part's default length (HIT). now is the absolute frame. */
void lull__pool_note_on(lull_pool *p, int part, int pitch, float velocity, uint64_t duration_frames, uint64_t now);
void lull__pool_note_off(lull_pool *p, int part, int pitch);
void lull__pool_release_all(lull_pool *p);
/* At a grid line: move the pad's filter with its LFO. */
void lull__pool_control(lull_pool *p);
/* Frames from now until some voice changes state; at least 1. */
uint32_t lull__pool_frames_to_change(const lull_pool *p, uint64_t now);
/* Render frames into the buses (added); then move every voice on. Returns
 * nonzero when anything sounded. */
int lull__pool_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now);
uint32_t lull__pool_active_voices(const lull_pool *p);

/* Kernels (kernels.c): one sub-block of one bank, added into the buses. */
lull_bank_render_fn lull__bank_render_generic;
lull_soft_clip_fn lull__soft_clip_block_generic;
lull_dcblock_fn lull__dcblock_stereo_generic;
#if LULL_HAVE_V3
lull_bank_render_fn lull__bank_render_v3;
lull_soft_clip_fn lull__soft_clip_block_v3;
lull_dcblock_fn lull__dcblock_stereo_v3;
#endif
/* Part-specific setup of a lane for a new note. */
void lull__bank_start(lull_bank *b, const lull_wavetable *wt, int lane, int part, int pitch, float velocity,
                      float pan, float glide_from_hz, float sample_rate_hz);

/* Event heap (sequencer.c): a binary min-heap on (frame, arrival order). */
typedef struct lull_seq_item {
  lull_event ev;
  uint64_t order;
} lull_seq_item;

typedef struct lull_seq {
  lull_seq_item *items;
  uint32_t count, capacity;
  uint64_t order;
} lull_seq;

void lull__seq_init(lull_seq *s, lull_seq_item *items, uint32_t capacity);
int lull__seq_push(lull_seq *s, const lull_event *ev); /* LULL_EFULL when full */
const lull_event *lull__seq_peek(const lull_seq *s);
void lull__seq_pop(lull_seq *s);

#endif
