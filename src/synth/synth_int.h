/* synth internals: voice banks, the voice pool, the event heap. Voices of
 * one part run eight to a bank, one per SIMD lane. The engine renders in
 * sub-blocks that end wherever any voice changes state (envelope segment,
 * sweep end, scheduled release), an event is due or a grid line is crossed
 * (slow modulation moves there), so inside a sub-block every voice is a
 * straight-line kernel. */
#ifndef LULL_SYNTH_INT_H
#define LULL_SYNTH_INT_H

#include <stdint.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"
#include "lull/event.h"

#define LULL_MAX_BLOCK LULL_GRID_FRAMES /* sub-blocks never cross a grid line */

/* Banks: three of pad voices (24); one of FM voices: lead in lanes 0-2,
 * bell 3-5, bass 6-7; one shared by the noise and percussion parts: air in
 * lanes 0-3, kick 4, swell 5-6, hat 7. The misc kernel runs the sine and
 * the noise path on every lane and masks per lane, which costs less than
 * two half-empty banks. */
enum { LULL_BANK_PAD0 = 0, LULL_BANK_PAD1, LULL_BANK_PAD2, LULL_BANK_MISC, LULL_BANK_FM, LULL_BANK_COUNT };
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
  float *ensemble;     /* mono, into the ensemble chorus (string and choir voices) */
};

/* ---- palettes (palette.c) ----------------------------------------------
 * A palette picks, for each part, the instrument that plays it, its level
 * and sends, and the room and master: reverb, delay, ensemble and tape. The
 * bank voices above are the classic instruments; the others are scalar
 * voices from dsp/ (instrument.c). */
typedef enum lull_instr {
  LULL_INSTR_BANK = 0, /* the part's classic bank voice */
  LULL_INSTR_NONE,     /* the part is silent in this palette */
  LULL_INSTR_FM_GLASS,
  LULL_INSTR_FM_BELL,
  LULL_INSTR_FM_EPIANO,
  LULL_INSTR_FM_PIANO,
  LULL_INSTR_HARP,
  LULL_INSTR_GUITAR,
  LULL_INSTR_KALIMBA,
  LULL_INSTR_STRINGS,
  LULL_INSTR_STRINGS_LOW,
  LULL_INSTR_DRONE,
  LULL_INSTR_CHOIR_OOH,
  LULL_INSTR_CHOIR_AAH,
  LULL_INSTR_WIND,
  LULL_INSTR_RAIN,
  LULL_INSTR_SURF,
  LULL_INSTR_BRUSH,
  LULL_INSTR_SHIMMER,
  LULL_INSTR_CLOUD,
  LULL_INSTR_COUNT
} lull_instr;

/* One part in one palette. */
typedef struct lull_voicing {
  uint8_t instr;           /* lull_instr */
  float level;             /* gain of the part (bank voices: times their classic level) */
  float reverb_send, delay_send; /* bank voices: times their classic sends */
} lull_voicing;

typedef struct lull_palette_spec {
  lull_voicing part[LULL_PART_COUNT];
  float reverb_decay_s;   /* RT60 of the room */
  float reverb_damping;   /* 0..0.5: darker tails as it grows */
  float delay_feedback;
  float pad_tone;         /* the classic pad's cutoff, times this */
  float ensemble_depth;   /* 0..1 */
  float tape;             /* the tape stage's amount 0..1 */
  float makeup_db;        /* the master's gain on top of the configured one */
} lull_palette_spec;

extern const lull_palette_spec lull__palettes[]; /* LULL_PALETTE_COUNT rows */

typedef struct lull_bank {
  lull_adsr8 env;
  lull_svf8 svf;
  lull_noise8 noise;
  const float *wt_data;        /* band-limited tables (pad) */
  v8u phase_a, inc_a, table_a; /* oscillator A: pad saw, kick sine, FM carrier */
  v8u phase_b, inc_b, table_b; /* oscillator B: the pad's detuned saw, FM modulator */
  v8u phase_c, inc_c;          /* FM: the added partial */
  v8u base_a, base_b;          /* pad: inc_a and inc_b before the LFO's drift */
  v8i dinc;                    /* per-sample change of inc_a (kick sweep) */
  v8f gain_l, gain_r;          /* velocity x voice gain x part level x pan */
  v8f gain_rev, gain_dly;      /* the same, times the sends */
  v8f gain, pan;               /* the note's gain before the pan law, and its pan (-1..1) */
  v8f decay, amp;              /* kick, FM: amp *= decay per sample (1 elsewhere) */
  v8f amp_floor;               /* FM: the level is amp_floor + amp */
  v8f index, index_decay, index_floor; /* FM: modulation index in turns, floor + index, index *= decay */
  v8f partial, partial_decay, partial_floor; /* FM: the added partial's level, likewise */
  v8f mix_sine;                  /* misc bank: 1 on sine lanes (kick), else 0 */
  v8f mix_in, mix_band, mix_low; /* misc bank: the noise lanes' filter response */
  v8f mix_cascade;               /* misc bank: 1 where the response goes through the band-pass again */
  v8f ic3, ic4;                  /* misc bank: that second band-pass's states (svf's coefficients) */
  v8f curve;                     /* misc bank: 1 where the envelope is shaped (smoothstep), else 0 */
  v8u lfo_phase[2], lfo_inc[2];  /* slow per-voice LFOs (pad, air): increments per grid period */
  uint64_t release_at[LULL_LANES]; /* absolute frame of a scheduled release */
  uint64_t serial[LULL_LANES];     /* allocation order, for oldest-first stealing */
  uint64_t onset[LULL_LANES];      /* absolute frame the note began (swell glide) */
  uint64_t length[LULL_LANES];     /* its duration in frames (swell glide); 0: none */
  uint32_t ramp_left[LULL_LANES];  /* frames left of the kick's sweep */
  uint32_t ramp_target[LULL_LANES];/* inc_a when the ramp ends */
  float hz[LULL_LANES];            /* the note's pitch (filter centre for air and swell) */
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

/* The pad's shared lowpass at a control tick, before each voice's LFO:
 * x = pi fc / fs, g = tan(x) (the TPT prewarp), k = 1/Q. */
typedef struct lull_pad_filter {
  float cutoff_hz, x, g, k;
} lull_pad_filter;

/* A scalar voice of one of the palettes' instruments (instrument.c). */
typedef struct lull_xvoice {
  union {
    lull_fm fm;
    lull_pluck pluck;
    lull_strings strings;
    lull_choir choir;
    lull_texture texture;
    lull_grains grains;
  } u;
  float *string_mem;      /* this slot's delay line for plucked strings */
  float gain_l, gain_r, gain_rev, gain_dly; /* level x pan, and the sends */
  uint64_t release_at;    /* absolute frame of a scheduled release */
  uint64_t serial;
  uint8_t instr, family;  /* lull_instr, and what u holds (the pluck's line is set up once) */
  uint8_t part, pitch, held, active, to_ensemble;
} lull_xvoice;

#define LULL_XVOICES 32
#define LULL_SCRATCH 4
#define LULL_XVOICES_PER_PART 14

typedef struct lull_pool {
  lull_bank bank[LULL_BANK_COUNT];
  lull_bank_render_fn *render; /* the kernels for this CPU, chosen at init */
  lull_soft_clip_fn *soft_clip;
  lull_strings_render_n_fn *strings_render; /* the palettes' voices' kernels for this CPU */
  lull_fm_render_fn *fm_render;
  lull_pluck_render_fn *pluck_render;
  lull_texture_render_fn *texture_render;
  lull_grains_render_fn *grains_render;
  lull_dcblock_fn *dcblock;
  const lull_wavetable *wt;
  lull_smooth brightness; /* 0..1; opens the pad's filter (250 Hz .. 6 kHz) */
  lull_pad_filter pad;   /* set at each control tick (tanf only when the cutoff moved) */
  float sample_rate_hz;
  double lead_pan_turns[2]; /* seeded phases of the lead's slow stereo wander */
  uint32_t pan_cycle;    /* spreads successive pad notes across the field */
  lull_noise rng;        /* seeded: the bell's and the air's spread in the field */
  uint64_t serial;
  uint64_t stolen;
  int palette;           /* lull_palette: the instruments new notes take */
  lull_smooth pad_tone;  /* the palette's pad cutoff factor, glided */
  lull_xvoice *x;        /* LULL_XVOICES, with the engine's memory */
  float *scratch[LULL_SCRATCH]; /* LULL_MAX_BLOCK each: a scalar voice's block (stereo: two; strings: four at once) */
  const lull_grain_source *grain_src; /* the engine's recent output, for grains */
  uint32_t x_active;     /* scalar voices sounding */
} lull_pool;

void lull__pool_init(lull_pool *p, const lull_wavetable *wt, float sample_rate_hz, uint64_t seed);
/* Floats of memory the scalar voices need (their string lines). */
size_t lull__pool_floats(float sample_rate_hz);
/* Give the pool its LULL_XVOICES scalar voices (zeroed), that memory and
 * its scratch blocks (after init). */
void lull__pool_attach(lull_pool *p, lull_xvoice *x, float *mem, float (*scratch)[LULL_MAX_BLOCK],
                       const lull_grain_source *src);
/* Notes from now on take palette's instruments; the pad's tone glides. */
void lull__pool_set_palette(lull_pool *p, int palette);
/* Start a note (ON or HIT). duration_frames 0: held until an OFF (ON) or the
 * part's default length (HIT). now is the absolute frame. */
void lull__pool_note_on(lull_pool *p, int part, int pitch, float velocity, uint64_t duration_frames, uint64_t now);
void lull__pool_note_off(lull_pool *p, int part, int pitch);
void lull__pool_release_all(lull_pool *p);
/* A palette change: every held note lets go of its note-off and sounds on
 * for hold_frames more, then releases on its own (the new palette's notes,
 * struck now, rise while the old ones hold: a crossfade). */
void lull__pool_handover(lull_pool *p, uint64_t now, uint64_t hold_frames);
/* At the grid line now: brightness and the slow per-voice LFOs move the
 * pad's and air's filters, pitch and pan; the swell's centre glides. */
void lull__pool_control(lull_pool *p, uint64_t now);
/* Frames from now until some voice changes state; at least 1. */
uint32_t lull__pool_frames_to_change(const lull_pool *p, uint64_t now);
/* Render frames into the buses (added); then move every voice on. Returns
 * nonzero when anything sounded. */
int lull__pool_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now);
uint32_t lull__pool_active_voices(const lull_pool *p);

/* Scalar voices (instrument.c): start a note of part on instr, release by
 * part and pitch (pitch < 0: all), and render (added into the buses). */
void lull__xvoice_note_on(lull_pool *p, const lull_voicing *v, int part, int pitch, float velocity, float pan,
                          uint64_t duration_frames, uint64_t now);
void lull__xvoice_note_off(lull_pool *p, int part, int pitch);
void lull__xvoice_handover(lull_pool *p, uint64_t until);
void lull__xvoice_release_pending(lull_pool *p); /* every scheduled release, now */
uint64_t lull__xvoice_frames_to_change(const lull_pool *p, uint64_t now);
/* grains: 0 every voice but the granular ones, 1 those (they read the
 * others' recent output, written in between: no loop through themselves). */
int lull__xvoice_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now, int grains);

/* Kernels (kernels.c): one sub-block of one bank, added into the buses. */
lull_bank_render_fn lull__bank_render_generic;
lull_soft_clip_fn lull__soft_clip_block_generic;
lull_dcblock_fn lull__dcblock_stereo_generic;
#if LULL_HAVE_V3
lull_bank_render_fn lull__bank_render_v3;
lull_soft_clip_fn lull__soft_clip_block_v3;
lull_dcblock_fn lull__dcblock_stereo_v3;
#endif
/* Part-specific setup of a lane for a new note (voices.c); duration_frames
 * as the event gives it (0: none). */
void lull__bank_start(lull_bank *b, const lull_wavetable *wt, int lane, int part, int pitch, float velocity,
                      float pan, uint64_t duration_frames, float sample_rate_hz);
/* At the grid line now (lane < 0): the LFOs advance a grid period and the
 * lanes of b whose filter, pitch or pan move are set (pad and air: their
 * LFOs; swell: its glide). With lane >= 0: the first values of the note
 * just started there, the LFOs where they are. */
void lull__bank_modulate(lull_bank *b, const lull_pad_filter *pad, uint64_t now, int lane);

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
