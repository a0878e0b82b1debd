/* kernels.c and kernels_v3.c (with reverb_process.c and the palettes'
 * voices and tape stage, each with its _v3 twin): the same composed minute
 * through one engine on the generic kernels (LULL_ISA=generic) and one on
 * the x86-64-v3 ones agrees within the last bits: the largest difference at
 * most -100 dBFS, dry and through the reverb, and in each palette (see
 * below for grains). Skipped where the build or CPU has no v3 path. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"
#include "lull/engine.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "support/signal.h"

#define SECONDS 60
#define FRAMES ((size_t)SECONDS * 48000)

static lull_engine *engine_on(const char *isa, int dry) {
  if (isa) setenv("LULL_ISA", isa, 1);
  else unsetenv("LULL_ISA");
  lull_engine_config cfg = {.dry = dry, .seed = 11};
  lull_engine *e = NULL;
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
  unsetenv("LULL_ISA");
  return e;
}

/* The composer's events for a minute at an intensity where every part it
 * knows plays, with bass, air and bell notes of our own on top (so every
 * kernel path runs), in order of frame. */
static event_list composed(int palette) {
  lull_composer *c = make_composer(2, LULL_MODE_DORIAN, 72.0f, 0.8f, lull_test_seed(5));
  event_list l = {0};
  compose_until(c, 0, FRAMES, &l);
  lull__composer_destroy(c);
  for (uint64_t t = 0; t + 48000 < FRAMES; t += 8 * 48000) {
    lull_event more[4] = {{t + 1000, 7 * 48000, LULL_PART_BASS, LULL_EVENT_ON, 38, 0, 0.7f},
                          {t + 5000, 6 * 48000, LULL_PART_AIR, LULL_EVENT_ON, 86, 0, 0.6f},
                          {t + 3 * 48000 + 7, 3 * 48000, LULL_PART_BELL, LULL_EVENT_ON, 74, 0, 0.6f},
                          {t + 5 * 48000 + 11, 2 * 48000, LULL_PART_BELL, LULL_EVENT_ON, 81, 0, 0.5f}};
    list_push(&l, more, 4);
  }
  lull_event set = {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)palette};
  list_push(&l, &set, 1); /* after the composer's own at frame 0 (the sort below is stable) */
  for (size_t i = 1; i < l.n; i++) /* a stable insertion: events of one frame keep their order */
    for (size_t j = i; j > 0 && l.ev[j - 1].frame > l.ev[j].frame; j--) {
      lull_event t = l.ev[j];
      l.ev[j] = l.ev[j - 1];
      l.ev[j - 1] = t;
    }
  return l;
}

/* 20 ms at a time, each block's events scheduled just before it (as a
 * station does), so the engine's event capacity is never the limit. */
static float *render(lull_engine *e, const event_list *l) {
  float *x = malloc(sizeof(float) * 2 * FRAMES);
  size_t next = 0;
  for (size_t i = 0; i < FRAMES; i += 960) {
    for (; next < l->n && l->ev[next].frame < i + 960; next++) ASSERT_EQ_INT(lull_engine_schedule(e, &l->ev[next]), LULL_OK);
    lull_engine_render(e, x + 2 * i, 960);
  }
  return x;
}

static void compare(int dry, int palette, double limit_db) {
  unsetenv("LULL_ISA"); /* the CPU decides, unless the build or CPU has no v3 */
  if (!LULL_HAVE_V3 || !lull__isa_v3()) {
    printf("# no x86-64-v3 kernels in this build or CPU: nothing to compare\n");
    skip();
  }
  event_list l = composed(palette);
  lull_engine *g = engine_on("generic", dry), *v = engine_on(NULL, dry);
  float *x = render(g, &l), *y = render(v, &l);
  double max_diff = 0, sq = 0;
  for (size_t i = 0; i < 2 * FRAMES; i++) {
    double d = fabs((double)x[i] - y[i]);
    if (d > max_diff) max_diff = d;
    sq += d * d;
  }
  const double rms_db = sig_db(sig_rms(x, 2 * FRAMES, 1));
  printf("# %s, %s, %d s at %.1f dBFS rms: generic - v3 at most %.1f dBFS, rms %.1f dBFS\n", lull_palette_name(palette),
         dry ? "dry" : "wet", SECONDS, rms_db, sig_db(max_diff), sig_db(sqrt(sq / (double)(2 * FRAMES))));
  ASSERT_GE(rms_db, -30.0); /* music, so the comparison means something */
  if (sig_db(max_diff) > limit_db) {
    lull_test_dump_wav(dry ? "kernels_generic_dry" : "kernels_generic_wet", x, FRAMES, 2);
    lull_test_dump_wav(dry ? "kernels_v3_dry" : "kernels_v3_wet", y, FRAMES, 2);
  }
  ASSERT_LE(sig_db(max_diff), limit_db);
  free(x);
  free(y);
  free(l.ev);
  lull_engine_destroy(g);
  lull_engine_destroy(v);
}

static void test_generic_and_v3_agree_dry(void **state) {
  (void)state;
  compare(1, LULL_PALETTE_CLASSIC, -100.0);
}

static void test_generic_and_v3_agree_wet(void **state) {
  (void)state;
  compare(0, LULL_PALETTE_CLASSIC, -100.0);
}

/* The palettes' voices' kernels (strings, FM, plucked strings, textures,
 * grains, the tape stage) within the same -100 dBFS: where a seeded stream
 * decides something (a grain's length, a drop's time) both builds decide
 * alike. Not so close where grains play (night's shimmer, tape's cloud):
 * a grain's window is a cosine by recurrence, which over a 9600-frame
 * grain drifts from the true cosine by ~1e-3 in either build, differently
 * rounded; -50 dBFS still fails on a grain decided otherwise (with the
 * spawn in the v3 build, one such grain came out at -29 dBFS). */
static void test_generic_and_v3_agree_palettes(void **state) {
  (void)state;
  const struct {
    int palette;
    double limit_db;
  } cases[] = {{LULL_PALETTE_GLASS, -100.0},
               {LULL_PALETTE_STRINGS, -100.0},
               {LULL_PALETTE_KEYS, -100.0},
               {LULL_PALETTE_NIGHT, -50.0},
               {LULL_PALETTE_TAPE, -50.0}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) compare(1, cases[k].palette, cases[k].limit_db);
}

/* LULL_ISA=generic takes effect at create; any other value leaves the CPU to decide. */
static void test_isa_override(void **state) {
  (void)state;
  setenv("LULL_ISA", "generic", 1);
  ASSERT_EQ_INT(lull__isa_v3(), 0);
  setenv("LULL_ISA", "v3", 1);
  const int with_other = lull__isa_v3();
  unsetenv("LULL_ISA");
  ASSERT_EQ_INT(with_other, lull__isa_v3());
}

/* The v3 kernels leave the AVX registers' upper halves clean (isa.h,
 * LULL_ISA_LEAVE): with them dirty, the SSE code after (the engine's own,
 * the 16-bit conversion, an embedder's) ran 5x slower here. The effects
 * and the limiter, each on its own for 4 s of loud and quiet noise in
 * blocks of several lengths (so the reverb's rings wrap and the limiter
 * takes both its paths), and the engine after each render of 2 s, in
 * every palette. */
static void test_v3_kernels_leave_avx_clean(void **state) {
  (void)state;
  unsetenv("LULL_ISA");
#if !LULL_HAVE_V3
  printf("# no x86-64-v3 kernels in this build: nothing to check\n");
  skip();
#else
  if (!lull__isa_v3()) {
    printf("# no x86-64-v3 on this CPU: nothing to check\n");
    skip();
    return;
  }
  /* Where the CPU (or a hypervisor) does not track the state, XINUSE may
   * read dirty after a vzeroupper too: nothing to tell then. */
  __asm__ volatile("vzeroupper");
  if (lull__isa_avx_dirty()) {
    printf("# XINUSE reads dirty right after vzeroupper here: nothing to check\n");
    skip();
    return;
  }
  const float fs = 48000.0f;
  lull_reverb_config rc = {.decay_s = 4.0f, .predelay_ms = 20.0f, .damping = 0.3f, .mod_depth_ms = 0.5f};
  lull_reverb rev;
  float *rev_mem = calloc(lull__reverb_floats(fs), sizeof(float));
  lull__reverb_init(&rev, &rc, fs, rev_mem);
  lull_delay_config dc = {.left_s = 0.37f, .right_s = 0.51f, .feedback = 0.4f, .mod_depth_ms = 3.0f};
  lull_delay dly;
  float *dly_mem = calloc(lull__delay_floats(fs, 1.5f), sizeof(float));
  lull__delay_init(&dly, &dc, fs, 1.5f, dly_mem);
  lull_limiter lim;
  lull__limiter_init(&lim, -1.5f, 1.5f, 120.0f, fs);
  ASSERT_EQ_INT(rev.process == lull__reverb_process_v3 && dly.process == lull__delay_process_v3 &&
                    lim.process == lull__limiter_process_v3,
                1);
  lull_noise nz;
  lull__noise_init(&nz, lull_test_seed(3));
  float in[LULL_GRID_FRAMES], l[LULL_GRID_FRAMES], r[LULL_GRID_FRAMES];
  const uint32_t lengths[] = {64, 13, 64, 1, 37, 64};
  long blocks = 0, dirty = 0;
  for (uint64_t t = 0; t < 4 * 48000;) {
    uint32_t n = lengths[blocks % 6];
    float g = (t / 24000) % 2 ? 3.0f : 0.2f; /* half a second loud, half quiet */
    for (uint32_t i = 0; i < n; i++) in[i] = g * lull__noise_next(&nz), l[i] = r[i] = 0;
    if (t % LULL_GRID_FRAMES == 0) lull__reverb_control(&rev), lull__delay_control(&dly);
    n = n < LULL_GRID_FRAMES - (uint32_t)(t % LULL_GRID_FRAMES) ? n : LULL_GRID_FRAMES - (uint32_t)(t % LULL_GRID_FRAMES);
    lull__reverb_process(&rev, l, r, in, n);
    dirty += lull__isa_avx_dirty();
    lull__delay_process(&dly, l, r, in, in, n);
    dirty += lull__isa_avx_dirty();
    for (uint32_t i = 0; i < n; i++) l[i] += in[i], r[i] -= in[i];
    lull__limiter_process(&lim, l, r, n);
    dirty += lull__isa_avx_dirty();
    t += n, blocks++;
  }
  printf("# %ld blocks through reverb, delay and limiter: %ld left the AVX state dirty\n", blocks, dirty);
  ASSERT_LE(lim.min_gain, 0.9); /* the limiter took its careful path too */
  ASSERT_EQ_INT(dirty, 0);
  free(rev_mem), free(dly_mem);
  for (int palette = 0; palette < LULL_PALETTE_COUNT; palette++) {
    event_list ev = composed(palette);
    lull_engine *e = engine_on(NULL, 0);
    float *x = malloc(sizeof(float) * 2 * 960);
    size_t next = 0;
    for (size_t i = 0; i < 2 * 48000; i += 960) {
      for (; next < ev.n && ev.ev[next].frame < i + 960; next++) ASSERT_EQ_INT(lull_engine_schedule(e, &ev.ev[next]), LULL_OK);
      lull_engine_render(e, x, 960);
      ASSERT_EQ_INT(lull__isa_avx_dirty(), 0);
    }
    free(x), free(ev.ev);
    lull_engine_destroy(e);
  }
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_isa_override), cmocka_unit_test(test_generic_and_v3_agree_dry),
                                     cmocka_unit_test(test_generic_and_v3_agree_wet),
                                     cmocka_unit_test(test_generic_and_v3_agree_palettes),
                                     cmocka_unit_test(test_v3_kernels_leave_avx_clean)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
