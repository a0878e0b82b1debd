/* The palettes: for each part the instrument that plays it, its level and
 * sends, and the room and master around them. Levels were set by measuring
 * each palette's loudness at intensities 0.1, 0.5 and 0.9 against classic's
 * (tests/compose/test_loudness.c holds every palette to -16 LUFS +- 2). */
#include "lull/params.h"
#include "synth/synth_int.h"

#define BANK(level) {LULL_INSTR_BANK, level, 1.0f, 1.0f}
#define NONE {LULL_INSTR_NONE, 0.0f, 0.0f, 0.0f}
#define X(instr, level, rev, dly) {LULL_INSTR_##instr, level, rev, dly}

const lull_palette_spec lull__palettes[LULL_PALETTE_COUNT] = {
    [LULL_PALETTE_CLASSIC] =
        {.part = {[LULL_PART_PAD] = BANK(1.0f), [LULL_PART_LEAD] = BANK(1.0f), [LULL_PART_KICK] = BANK(1.0f),
                  [LULL_PART_SWELL] = BANK(1.0f), [LULL_PART_HAT] = BANK(1.0f), [LULL_PART_BASS] = BANK(1.0f),
                  [LULL_PART_AIR] = BANK(1.0f), [LULL_PART_BELL] = BANK(1.0f)},
         .reverb_decay_s = 6.0f, .reverb_damping = 0.35f, .delay_feedback = 0.35f, .pad_tone = 1.0f},
    /* Glass: bells ring long into a bright room over a soft, dark pad; a
     * harp arpeggiates the chord; light rain instead of drums. */
    [LULL_PALETTE_GLASS] =
        {.part = {[LULL_PART_PAD] = BANK(0.35f), [LULL_PART_LEAD] = X(HARP, 0.8f, 0.35f, 0.22f), [LULL_PART_KICK] = NONE,
                  [LULL_PART_SWELL] = BANK(0.6f), [LULL_PART_HAT] = NONE, [LULL_PART_BASS] = BANK(0.5f),
                  [LULL_PART_AIR] = X(RAIN, 0.2f, 0.25f, 0.0f), [LULL_PART_BELL] = X(FM_GLASS, 0.75f, 0.65f, 0.2f)},
         .reverb_decay_s = 8.0f, .reverb_damping = 0.2f, .delay_feedback = 0.4f, .pad_tone = 2.0f, .makeup_db = 5.5f},
    /* Strings: an ensemble through the chorus holds the harmony, low strings
     * under it, a harp, a distant choir in the swells; no drums (and no air:
     * a second choir there cost a fifth of the palette's CPU for little). */
    [LULL_PALETTE_STRINGS] =
        {.part = {[LULL_PART_PAD] = X(STRINGS, 0.30f, 0.4f, 0.0f), [LULL_PART_LEAD] = X(HARP, 0.7f, 0.35f, 0.18f),
                  [LULL_PART_KICK] = NONE, [LULL_PART_SWELL] = X(CHOIR_AAH, 0.45f, 0.6f, 0.0f), [LULL_PART_HAT] = NONE,
                  [LULL_PART_BASS] = X(STRINGS_LOW, 0.35f, 0.25f, 0.0f), [LULL_PART_AIR] = NONE,
                  [LULL_PART_BELL] = X(FM_GLASS, 0.18f, 0.7f, 0.15f)},
         .reverb_decay_s = 7.0f, .reverb_damping = 0.4f, .delay_feedback = 0.25f, .pad_tone = 1.0f,
         .ensemble_depth = 1.0f, .makeup_db = 6.8f},
    /* Keys: a DX electric piano over a warm pad, kalimba loops, brushes and
     * a soft kick, in a smaller room. */
    [LULL_PALETTE_KEYS] =
        {.part = {[LULL_PART_PAD] = BANK(0.5f), [LULL_PART_LEAD] = X(FM_EPIANO, 1.0f, 0.25f, 0.2f),
                  [LULL_PART_KICK] = BANK(0.7f), [LULL_PART_SWELL] = NONE, [LULL_PART_HAT] = X(BRUSH, 0.25f, 0.15f, 0.0f),
                  [LULL_PART_BASS] = BANK(1.0f), [LULL_PART_AIR] = NONE, [LULL_PART_BELL] = X(KALIMBA, 0.6f, 0.45f, 0.2f)},
         .reverb_decay_s = 4.0f, .reverb_damping = 0.4f, .delay_feedback = 0.3f, .pad_tone = 0.5f, .makeup_db = 5.5f},
    /* Night: a sub drone and wind, sparse glass bells and a shimmer of the
     * music's own echo in a long, dark room; no drums. */
    [LULL_PALETTE_NIGHT] =
        {.part = {[LULL_PART_PAD] = X(DRONE, 0.32f, 0.45f, 0.0f), [LULL_PART_LEAD] = X(FM_GLASS, 0.45f, 0.6f, 0.3f),
                  [LULL_PART_KICK] = NONE, [LULL_PART_SWELL] = X(SHIMMER, 0.45f, 0.6f, 0.0f), [LULL_PART_HAT] = NONE,
                  [LULL_PART_BASS] = BANK(1.0f), [LULL_PART_AIR] = X(WIND, 0.2f, 0.3f, 0.0f),
                  [LULL_PART_BELL] = X(FM_GLASS, 0.35f, 0.75f, 0.25f)},
         .reverb_decay_s = 10.0f, .reverb_damping = 0.48f, .delay_feedback = 0.45f, .pad_tone = 0.45f, .makeup_db = 5.2f},
    /* Tape: a piano-like lead, a worn pad, guitar loops, surf and brushes,
     * all through wow, flutter, saturation and hiss. */
    [LULL_PALETTE_TAPE] =
        {.part = {[LULL_PART_PAD] = BANK(1.0f), [LULL_PART_LEAD] = X(FM_PIANO, 0.6f, 0.3f, 0.15f),
                  [LULL_PART_KICK] = BANK(0.6f), [LULL_PART_SWELL] = X(CLOUD, 0.3f, 0.5f, 0.0f),
                  [LULL_PART_HAT] = X(BRUSH, 0.22f, 0.15f, 0.0f), [LULL_PART_BASS] = BANK(1.0f),
                  [LULL_PART_AIR] = X(SURF, 0.2f, 0.3f, 0.0f), [LULL_PART_BELL] = X(GUITAR, 0.45f, 0.45f, 0.2f)},
         .reverb_decay_s = 5.0f, .reverb_damping = 0.42f, .delay_feedback = 0.3f, .pad_tone = 0.35f, .tape = 1.0f, .makeup_db = 1.3f},
};
