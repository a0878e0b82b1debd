/* lull_event: the one struct that crosses from the composer (or a phrase file)
 * into the engine. Times are absolute sample frames at the engine's rate. */
#ifndef LULL_EVENT_H
#define LULL_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What each part sounds like and which events it takes. "Held": ON ... OFF
 * (or ON with duration_frames); "struck": ON with duration_frames, the
 * voice decaying on its own and released at the end of the duration. */
typedef enum lull_part {
  LULL_PART_PAD = 0, /* held: two detuned saws through a lowpass that brightness opens */
  LULL_PART_LEAD,    /* struck: an FM electric piano, three voices, notes wandering in stereo */
  LULL_PART_KICK,    /* HIT: a heartbeat, a sine swept 150 -> 50 Hz with a curved attack */
  LULL_PART_SWELL,   /* HIT: noise band-passed around pitch, gliding up an octave over duration_frames */
  LULL_PART_HAT,     /* HIT: a short burst of noise above 7 kHz */
  LULL_PART_BASS,    /* held: a sine (and a touch of its octave), slow attack and release, centred */
  LULL_PART_AIR,     /* held: a breath of noise resonating at pitch (high notes), slowly moving */
  LULL_PART_BELL,    /* struck: a soft glassy FM bell, the "loops" voice, placed by pitch */
  LULL_PART_COUNT
} lull_part;

typedef enum lull_event_kind {
  LULL_EVENT_ON = 0, /* note on; released after duration_frames if that is > 0 */
  LULL_EVENT_OFF,    /* release the part's sounding note of this pitch */
  LULL_EVENT_HIT,    /* one-shot (percussion); duration_frames shapes a swell */
  LULL_EVENT_SET     /* a continuous control: part is the lull_control, velocity its value */
} lull_event_kind;

/* Continuous controls (LULL_EVENT_SET), applied at their frame and glided. */
typedef enum lull_control {
  LULL_CONTROL_BRIGHTNESS = 0, /* 0..1: the pad's cutoff, 250 Hz x 24^b (1.22 kHz at 0.5, 6 kHz at 1);
                                * glides 50 ms (99 % in 230 ms) */
  LULL_CONTROL_BPM,            /* 30..180: accepted and validated, but moves no sound (the delay runs
                                * free of the tempo); it carries the tempo map to MIDI files */
  LULL_CONTROL_GAIN_DB,        /* master gain -24..24 dB, glides 50 ms */
  LULL_CONTROL_PALETTE,        /* a lull_palette (0, 1, ...): notes from here on take its instruments;
                                * sounding notes keep theirs; its room and master glide over 2 s */
  LULL_CONTROL_COUNT
} lull_control;

typedef struct lull_event {
  uint64_t frame;           /* absolute frame of onset */
  uint64_t duration_frames; /* 0 = until an OFF event (ON) or the part's default (HIT) */
  uint8_t part;             /* lull_part (lull_control for LULL_EVENT_SET) */
  uint8_t kind;             /* lull_event_kind */
  uint8_t pitch;            /* MIDI note 0..127 (ignored by kick and hat; the swell's centre) */
  uint8_t reserved;
  float velocity;           /* 0..1 (the control's value for LULL_EVENT_SET) */
} lull_event;

/* Name of a part ("pad"), or NULL when out of range. Thread-safe. */
const char *lull_part_name(int part);

#ifdef __cplusplus
}
#endif
#endif
