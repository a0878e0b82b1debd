/* composer.c: every note in the scale in force (after a change, the new
 * one; a section's journey, and home again); the
 * same seed gives the same events and another seed other ones; no 8-bar
 * window repeats within an hour; a key change is heard within a beat; the
 * tempo ramps over one beat; intensity's brightness reaches its new value
 * within 250 ms in the engine; events are planned at most a bar ahead. */
#include <stdlib.h>
#include <string.h>

#include "lull/engine.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "theory/theory.h"

#define FS 48000u

/* Every tonal note (pad, lead, bass, air, bell, swell) is in the scale in
 * force where it starts: the params' (home), or the one a section travels
 * to, which the status reports; and every journey comes home. */
static void test_every_pitch_in_scale(void **state) {
  (void)state;
  const int keys[] = {0, 4, 9, 10};
  const float intensities[] = {0.1f, 0.9f};
  size_t journeys = 0;
  for (int mode = 0; mode < LULL_MODE_COUNT; mode++)
    for (int k = 0; k < 4; k++)
      for (int i = 0; i < 2; i++) {
        lull_composer *c = make_composer(keys[k], mode, 120, intensities[i], 11 + (uint64_t)mode);
        event_list l = {0};
        scale_marks s = {0};
        compose_tracked(c, 0, 10ull * 60 * FS, &l, &s);
        size_t notes = 0;
        for (size_t j = 0; j < l.n; j++) {
          if (!is_tonal(&l.ev[j])) continue;
          notes++;
          const scale_mark *m = scale_at(&s, l.ev[j].frame);
          if (!lull__in_scale(m->key, m->mode, l.ev[j].pitch))
            fail_msg("%s %zu in %s (key %d): pitch %d at frame %llu is not in the scale", lull_part_name(l.ev[j].part),
                     j, lull__mode_name(m->mode), m->key, l.ev[j].pitch, (unsigned long long)l.ev[j].frame);
        }
        ASSERT_GE(notes, 200); /* ten minutes of music, not silence */
        ASSERT_TRUE(s.m[0].key == keys[k] && s.m[0].mode == mode); /* it starts at home */
        for (size_t j = 0; j + 1 < s.n; j++) {
          int away = s.m[j].key != keys[k] || s.m[j].mode != mode;
          if (away) {
            journeys++;
            ASSERT_TRUE(s.m[j + 1].key == keys[k] && s.m[j + 1].mode == mode); /* straight home after */
          }
        }
        free(l.ev), free(s.m);
        lull__composer_destroy(c);
      }
  printf("# %zu journeys away from home in 320 minutes\n", journeys);
  ASSERT_GE(journeys, 10);
}

/* The same change at the same frame gives the same music, however the
 * composer is asked afterwards (as a station asks every 20 ms, a render
 * every 4096 frames). */
static void test_deterministic_with_a_change(void **state) {
  (void)state;
  lull_composer *a = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.4f, 77), *b = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.4f, 77);
  event_list la = {0}, lb = {0};
  const uint64_t t = (uint64_t)(45.123 * 48000);
  compose_until(a, 0, t, &la);
  lull_event buf[5];
  size_t n;
  for (uint64_t u = 4096; u < t; u += 4096)
    while ((n = lull__composer_fill(b, u, buf, 5)) > 0) list_push(&lb, buf, n);
  while ((n = lull__composer_fill(b, t, buf, 5)) > 0) list_push(&lb, buf, n);
  lull_params p = {4, LULL_MODE_MIXOLYDIAN, 90, 0.8f, 77, 0};
  ASSERT_EQ_INT(lull__composer_set_params(a, &p, NULL), LULL_OK);
  ASSERT_EQ_INT(lull__composer_set_params(b, &p, NULL), LULL_OK);
  compose_until(a, t, t + 120 * 48000, &la);
  for (uint64_t u = t + 4096; u < t + 120 * 48000; u += 4096)
    while ((n = lull__composer_fill(b, u, buf, 5)) > 0) list_push(&lb, buf, n);
  while ((n = lull__composer_fill(b, t + 120 * 48000, buf, 5)) > 0) list_push(&lb, buf, n);
  ASSERT_EQ_INT(la.n, lb.n);
  ASSERT_TRUE(memcmp(la.ev, lb.ev, la.n * sizeof *la.ev) == 0);
  free(la.ev), free(lb.ev);
  lull__composer_destroy(a), lull__composer_destroy(b);
}

static void test_deterministic(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(5);
  lull_composer *a = make_composer(2, LULL_MODE_DORIAN, 72, 0.6f, seed), *b = make_composer(2, LULL_MODE_DORIAN, 72, 0.6f, seed),
                *d = make_composer(2, LULL_MODE_DORIAN, 72, 0.6f, seed + 1);
  event_list la = {0}, lb = {0}, ld = {0};
  compose_until(a, 0, 5ull * 60 * FS, &la);
  /* b asks in other steps and gets the same change at the same frame. */
  lull_event buf[7];
  for (uint64_t t = 0; t < 5ull * 60 * FS; t += 4801) {
    size_t n;
    while ((n = lull__composer_fill(b, t, buf, 7)) > 0) list_push(&lb, buf, n);
  }
  size_t n;
  while ((n = lull__composer_fill(b, 5ull * 60 * FS, buf, 7)) > 0) list_push(&lb, buf, n);
  compose_until(d, 0, 5ull * 60 * FS, &ld);
  ASSERT_EQ_INT(la.n, lb.n);
  ASSERT_TRUE(memcmp(la.ev, lb.ev, la.n * sizeof *la.ev) == 0);
  size_t same = 0;
  for (size_t i = 0; i < la.n && i < ld.n; i++) same += memcmp(&la.ev[i], &ld.ev[i], sizeof la.ev[i]) == 0;
  ASSERT_LE(same, la.n / 4); /* another seed is other music */
  free(la.ev), free(lb.ev), free(ld.ev);
  lull__composer_destroy(a), lull__composer_destroy(b), lull__composer_destroy(d);
}

/* A fingerprint of each bar's events (time in the bar, part, kind, pitch,
 * velocity), then of every run of eight bars: all must differ. */
static void check_no_repeat(float bpm, float intensity, uint64_t seed) {
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, bpm, intensity, seed);
  event_list l = {0};
  const uint64_t end = 60ull * 60 * FS;
  compose_until(c, 0, end, &l);
  const double bar = 4.0 * 60.0 * FS / bpm;
  size_t bars = (size_t)((double)end / bar);
  uint64_t *h = calloc(bars, sizeof *h);
  for (size_t i = 0; i < l.n; i++) {
    const lull_event *e = &l.ev[i];
    if (e->kind == LULL_EVENT_SET) continue;
    size_t b = (size_t)((double)e->frame / bar);
    if (b >= bars) continue;
    uint64_t x = (uint64_t)llround((double)e->frame - (double)b * bar);
    x = x * 31 + e->part, x = x * 31 + e->kind, x = x * 131 + e->pitch, x = x * 131 + (uint64_t)lroundf(e->velocity * 127);
    h[b] = (h[b] ^ x) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull * (h[b] == 0);
  }
  size_t windows = bars - 7;
  uint64_t *w = calloc(windows, sizeof *w);
  for (size_t i = 0; i < windows; i++) {
    uint64_t x = 0xcbf29ce484222325ull;
    for (int k = 0; k < 8; k++) x = (x ^ h[i + (size_t)k]) * 0x100000001b3ull;
    w[i] = x;
  }
  /* Sort and look for neighbours that are equal. */
  for (size_t gap = windows / 2; gap > 0; gap /= 2) /* shell sort: no comparator needed */
    for (size_t i = gap; i < windows; i++)
      for (size_t j = i; j >= gap && w[j - gap] > w[j]; j -= gap) {
        uint64_t t = w[j];
        w[j] = w[j - gap], w[j - gap] = t;
      }
  size_t repeats = 0;
  for (size_t i = 1; i < windows; i++) repeats += w[i] == w[i - 1];
  printf("# %.0f bpm, intensity %.1f: %zu bars, %zu eight-bar windows, %zu repeated\n", (double)bpm, (double)intensity,
         bars, windows, repeats);
  ASSERT_EQ_INT(repeats, 0);
  free(h), free(w), free(l.ev);
  lull__composer_destroy(c);
}

static void test_no_exact_repetition_in_an_hour(void **state) {
  (void)state;
  check_no_repeat(64, 0.1f, 1);
  check_no_repeat(64, 0.9f, 2);
  check_no_repeat(180, 0.5f, 3);
}

static void test_key_change_within_a_beat(void **state) {
  (void)state;
  const float bpm = 64;
  const double beat = 60.0 * FS / bpm;
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, bpm, 0.5f, 21);
  event_list l = {0};
  const uint64_t t = (uint64_t)(20.3 * FS); /* mid-beat */
  compose_until(c, 0, t, &l);
  size_t before = l.n;
  lull_params p = {2, LULL_MODE_LYDIAN, bpm, 0.5f, 21, 0};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
  compose_until(c, t, t + 30 * FS, &l);
  /* The first pad note of the new key: within a beat of the change. */
  uint64_t first = UINT64_MAX;
  for (size_t i = before; i < l.n; i++)
    if (l.ev[i].part == LULL_PART_PAD && l.ev[i].kind == LULL_EVENT_ON) {
      first = l.ev[i].frame;
      break;
    }
  ASSERT_TRUE(first != UINT64_MAX);
  ASSERT_LE((double)(first - t), beat);
  /* From there on every note is in D lydian, and the old chord was let go. */
  int offs = 0;
  for (size_t i = before; i < l.n; i++) {
    const lull_event *e = &l.ev[i];
    if (e->part == LULL_PART_PAD && e->kind == LULL_EVENT_OFF && e->frame <= first) offs++;
    if (is_tonal(e) && e->frame >= first && !lull__in_scale(2, LULL_MODE_LYDIAN, e->pitch))
      fail_msg("pitch %d at %llu is not in D lydian", e->pitch, (unsigned long long)e->frame);
  }
  ASSERT_GE(offs, 1);
  /* The new harmony starts on the new tonic. */
  lull_composer_status st;
  lull__composer_status(c, &st);
  ASSERT_EQ_INT(st.params.key, 2);
  free(l.ev);
  lull__composer_destroy(c);
}

static void test_tempo_ramps_over_a_beat(void **state) {
  (void)state;
  lull_composer *c = make_composer(0, LULL_MODE_IONIAN, 64, 0.5f, 3);
  event_list l = {0};
  const uint64_t t = 10 * FS;
  compose_until(c, 0, t, &l);
  size_t before = l.n;
  lull_params p = {0, LULL_MODE_IONIAN, 120, 0.5f, 3, 0};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
  compose_until(c, t, t + 10 * FS, &l);
  const lull_event *ramp = NULL, *after = NULL;
  for (size_t i = before; i < l.n; i++)
    if (l.ev[i].kind == LULL_EVENT_SET && l.ev[i].part == LULL_CONTROL_BPM) {
      if (!ramp) ramp = &l.ev[i];
      else if (!after) after = &l.ev[i];
    }
  ASSERT_TRUE(ramp && after);
  /* The tempo before: the last one announced (it breathes around 64). */
  float old = 0;
  for (size_t i = 0; i < before; i++)
    if (l.ev[i].kind == LULL_EVENT_SET && l.ev[i].part == LULL_CONTROL_BPM) old = l.ev[i].velocity;
  ASSERT_NEAR(old, 64.0, 64 * 0.03);
  ASSERT_LE((double)(ramp->frame - t), 60.0 * FS / old); /* from the next beat */
  ASSERT_GE(ramp->velocity, old);
  ASSERT_LE(ramp->velocity, after->velocity);
  ASSERT_NEAR(after->velocity, 120.0, 120 * 0.03);
  /* The ramp beat lasts the mean of the old and new beats (each breathes
   * by at most 0.2 % from one bar to the next). */
  double mean = 0.5 * (60.0 * FS / old + 60.0 * FS / after->velocity);
  ASSERT_NEAR((double)(after->frame - ramp->frame), mean, 0.004 * mean);
  free(l.ev);
  lull__composer_destroy(c);
}

static void test_intensity_glides_within_250ms(void **state) {
  (void)state;
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.1f, 4);
  lull_engine *e;
  lull_engine_config cfg = {.dry = 1};
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
  float *buf = malloc(sizeof(float) * 2 * 960), from = 0;
  lull_event ev[64];
  uint64_t pos = 0, change = (uint64_t)(31.68 * FS), target_at = 0; /* mid-bar: no bar's own brightness near */
  float target = -1;
  int others = 0;
  while (pos < change + 2 * FS) {
    if (pos == change) {
      lull_params p = {9, LULL_MODE_AEOLIAN, 64, 0.9f, 4, 0};
      ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
    }
    size_t n;
    while ((n = lull__composer_fill(c, pos + 960, ev, 64)) > 0)
      for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_INT(lull_engine_schedule(e, &ev[i]), LULL_OK);
        if (pos >= change && ev[i].kind == LULL_EVENT_SET && ev[i].part == LULL_CONTROL_BRIGHTNESS) {
          if (target < 0) target = ev[i].velocity, target_at = ev[i].frame;
          else if (ev[i].frame < target_at + FS / 4) others++;
        }
      }
    lull_engine_render(e, buf, 960);
    pos += 960;
    lull_engine_stats st;
    lull_engine_get_stats(e, &st);
    if (target >= 0 && pos >= target_at + FS / 4 && pos < target_at + FS / 4 + 960) {
      printf("# brightness to %.3f: %.4f 250 ms later\n", (double)target, (double)st.brightness);
      ASSERT_NEAR(st.brightness, target, 0.01 * target);
    }
    if (pos <= change) from = st.brightness;
  }
  ASSERT_TRUE(target >= 0);
  ASSERT_EQ_INT(others, 0); /* the measurement is of this glide alone */
  ASSERT_LE((double)(target_at - change), 0.02 * FS); /* the glide starts at once */
  ASSERT_GE(target - from, 0.2); /* a real step, not a nudge (0.1 -> 0.9 moves it 0.42, less where it reaches 1) */
  free(buf);
  lull_engine_destroy(e);
  lull__composer_destroy(c);
}

static void test_plans_at_most_a_bar_ahead(void **state) {
  (void)state;
  lull_composer *c = make_composer(0, LULL_MODE_IONIAN, 90, 0.7f, 8);
  lull_event ev[256];
  for (uint64_t t = 1000; t < 120 * FS; t += 12345) {
    while (lull__composer_fill(c, t, ev, 256) > 0) {
    }
    lull_composer_status st;
    lull__composer_status(c, &st);
    ASSERT_LE(st.bar_frame, t); /* the bar planned last starts before t */
  }
  lull__composer_destroy(c);
}

/* Steering at random (key, mode, tempo, intensity; sometimes several
 * changes at once) never leaves a note hanging: the pad sounds at most its
 * four voices and never strikes a pitch it holds; bass and air of the old
 * key are let go at the change (a note may ring into the next chord by at
 * most its overlap, 2.5 beats); every tonal note starts in the scale in
 * force; frames never go back; tempos stay 30..180; and steering as fast as
 * a client may (every 20 ms, at 30 bpm) never fills the plan. */
static void steer(uint64_t seed, double minutes, int every, int fast) {
  lull_params p = {9, LULL_MODE_AEOLIAN, fast ? 30.0f : 64.0f, 0.45f, seed, 0};
  lull_composer *c;
  ASSERT_EQ_INT(lull__composer_create(&p, FS, &c, NULL), LULL_OK);
  event_list l = {0};
  scale_marks s = {0};
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, end = (uint64_t)(minutes * 60 * FS);
  for (uint64_t t = 0; t < end; t += 960) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (fast || x % (uint64_t)every == 0) {
      int changes = fast ? 1 : 1 + (int)((x >> 20) % 4 == 0) * 3; /* now and then several at once */
      for (int k = 0; k < changes; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        switch (fast ? 3 - (int)(t / 960 % 10 == 0) : (int)(x >> 33) % 4) {
          case 0: p.key = (int)((x >> 8) % 12); break;
          case 1: p.mode = (int)((x >> 8) % LULL_MODE_COUNT); break;
          case 2: p.bpm = fast ? (p.bpm == 30.0f ? 31.0f : 30.0f) : 30.0f + (float)((x >> 8) % 151); break;
          default: p.intensity = fast ? 1.0f - p.intensity : (float)((x >> 8) % 101) / 100.0f; break;
        }
        ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
      }
    }
    compose_tracked(c, t, t + 960, &l, &s);
  }
  lull_composer_status st;
  lull__composer_status(c, &st);
  ASSERT_EQ_INT(st.lost, 0);
  int pad[128] = {0}, pad_n = 0;
  for (size_t i = 0; i < l.n; i++) {
    const lull_event *e = &l.ev[i];
    if (i) ASSERT_GE(e->frame, l.ev[i - 1].frame);
    if (e->kind == LULL_EVENT_SET) {
      if (e->part == LULL_CONTROL_BPM) ASSERT_TRUE(e->velocity >= 30.0f && e->velocity <= 180.0f);
      continue;
    }
    if (is_tonal(e)) {
      const scale_mark *m = scale_at(&s, e->frame);
      if (!lull__in_scale(m->key, m->mode, e->pitch))
        fail_msg("%s %d at %llu not in %s on %d", lull_part_name(e->part), e->pitch, (unsigned long long)e->frame,
                 lull__mode_name(m->mode), m->key);
    }
    if (e->part == LULL_PART_PAD) {
      if (e->kind == LULL_EVENT_ON) {
        if (pad[e->pitch]) fail_msg("pad %d struck again while it sounds, at %llu", e->pitch, (unsigned long long)e->frame);
        pad[e->pitch] = 1, pad_n++;
        if (pad_n > 4) fail_msg("%d pad notes sound at %llu", pad_n, (unsigned long long)e->frame);
      } else if (pad[e->pitch]) {
        pad[e->pitch] = 0, pad_n--;
      }
    }
    if ((e->part == LULL_PART_BASS || e->part == LULL_PART_AIR) && e->kind == LULL_EVENT_ON) {
      /* Where it stops: its length, its OFF, or its pitch struck again. */
      uint64_t stop = e->frame + e->duration_frames;
      for (size_t j = i + 1; j < l.n && l.ev[j].frame < stop; j++)
        if (l.ev[j].part == e->part && l.ev[j].pitch == e->pitch && l.ev[j].kind != LULL_EVENT_SET) {
          stop = l.ev[j].frame;
          break;
        }
      for (size_t k = 0; k < s.n; k++) {
        const scale_mark *m = &s.m[k];
        if (m->since <= e->frame || m->since >= stop || lull__in_scale(m->key, m->mode, e->pitch)) continue;
        if ((double)(stop - m->since) > 2.5 * 60.0 * FS / 30.0)
          fail_msg("%s %d rings %.1f s into %s on %d", lull_part_name(e->part), e->pitch,
                   (double)(stop - m->since) / FS, lull__mode_name(m->mode), m->key);
      }
    }
  }
  printf("# %s steering for %.0f min: %zu events, %zu scales\n", fast ? "fast" : "random", minutes, l.n, s.n);
  free(l.ev), free(s.m);
  lull__composer_destroy(c);
}

static void test_steering_leaves_nothing_hanging(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(41);
  for (uint64_t k = 0; k < 4; k++) steer(seed + k, 20, 1500, 0); /* a change every ~30 s */
  steer(seed, 10, 50, 0);  /* every ~1 s */
  steer(seed, 2, 1, 1);    /* every 20 ms at 30 bpm */
}

static void test_rejects_bad_params(void **state) {
  (void)state;
  lull_composer *c = make_composer(0, LULL_MODE_IONIAN, 90, 0.7f, 8);
  lull_diag d;
  lull_params p = {0, LULL_MODE_IONIAN, 300, 0.7f, 8, 0};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "bpm");
  p = (lull_params){0, LULL_MODE_IONIAN, 90, 0.7f, 9, 0};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, &d), LULL_EINVAL);
  ASSERT_STR_CONTAINS(d.field, "seed");
  lull_composer *x = NULL;
  p = (lull_params){13, LULL_MODE_IONIAN, 90, 0.7f, 9, 0};
  ASSERT_EQ_INT(lull__composer_create(&p, 48000, &x, &d), LULL_ERANGE);
  ASSERT_TRUE(x == NULL);
  lull__composer_destroy(c);
  lull__composer_destroy(NULL);
}

/* The day cycle: the same piece at midnight light (0) and at midday (1)
 * over ten minutes: by day brighter (the brightness the composer sends),
 * denser (more lead notes) and a little faster (the tempo it sends);
 * without a day cycle, between the two. */
typedef struct day_figures {
  double brightness, bpm;
  int lead;
} day_figures;

static day_figures compose_at(float light, uint64_t seed) {
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.5f, seed);
  lull__composer_set_daylight(c, light);
  event_list l = {0};
  compose_until(c, 0, 600ull * 48000, &l);
  day_figures f = {0};
  int nb = 0, nt = 0;
  for (size_t i = 0; i < l.n; i++) {
    const lull_event *e = &l.ev[i];
    if (e->kind == LULL_EVENT_SET && e->part == LULL_CONTROL_BRIGHTNESS) f.brightness += e->velocity, nb++;
    else if (e->kind == LULL_EVENT_SET && e->part == LULL_CONTROL_BPM) f.bpm += e->velocity, nt++;
    else if (e->part == LULL_PART_LEAD && e->kind == LULL_EVENT_ON) f.lead++;
  }
  f.brightness /= nb ? nb : 1;
  f.bpm /= nt ? nt : 1;
  free(l.ev);
  lull__composer_destroy(c);
  return f;
}

static void test_day_cycle_moves_the_music(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(21);
  day_figures night = compose_at(0.0f, seed), none = compose_at(-1.0f, seed), day = compose_at(1.0f, seed);
  printf("# brightness %.3f / %.3f / %.3f, tempo %.2f / %.2f / %.2f bpm, lead notes %d / %d / %d (night / none / day)\n",
         night.brightness, none.brightness, day.brightness, night.bpm, none.bpm, day.bpm, night.lead, none.lead,
         day.lead);
  ASSERT_GE(day.brightness - night.brightness, 0.15);
  ASSERT_TRUE(night.brightness < none.brightness && none.brightness < day.brightness);
  ASSERT_GE(day.bpm / night.bpm, 1.04); /* +-3 % around the set tempo */
  ASSERT_GE((double)day.lead, 1.15 * night.lead);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_day_cycle_moves_the_music),
      cmocka_unit_test(test_every_pitch_in_scale),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_deterministic_with_a_change),
      cmocka_unit_test(test_no_exact_repetition_in_an_hour),
      cmocka_unit_test(test_key_change_within_a_beat),
      cmocka_unit_test(test_tempo_ramps_over_a_beat),
      cmocka_unit_test(test_intensity_glides_within_250ms),
      cmocka_unit_test(test_plans_at_most_a_bar_ahead),
      cmocka_unit_test(test_rejects_bad_params),
      cmocka_unit_test(test_steering_leaves_nothing_hanging),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
