/* grain.c: grains per second within 20 % of the density; the pitch of
 * grains read from a sine ring (unison and an octave up, at 48 and 96 kHz)
 * and from a single cycle within 0.5 %; no read outside the allowed window
 * (a ring whose forbidden part holds a huge value, and a lag longer than
 * the ring); level, stereo spread, release, split invariance. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f
#define RING_BITS 17 /* 2.7 s at 48 kHz */
#define BLOCK 256

/* The engine's ring, simulated: absolute frame k holds sin(2 pi hz k / fs);
 * after each block `written` moves on. poison: the newest 0.1 s (where no
 * grain may read) holds 1e6 instead. */
typedef struct ring {
  float *data;
  uint32_t mask;
  uint64_t written;
  double hz, fs;
  int poison;
} ring;

static void ring_write(ring *r, uint64_t upto) {
  uint64_t recent = (uint64_t)ceil(0.1 * r->fs), from = r->written;
  if (r->poison) from = from > recent ? from - recent : 0; /* what was poisoned is now allowed: the sine again */
  if (upto - from > r->mask + 1) from = upto - (r->mask + 1);
  for (uint64_t k = from; k < upto; k++) {
    int forbidden = r->poison && k + recent >= upto;
    r->data[k & r->mask] = forbidden ? 1e6f : (float)(0.5 * sin(2 * M_PI * r->hz * (double)k / r->fs));
  }
  r->written = upto;
}

static void ring_init(ring *r, uint32_t bits, double hz, double fs, int poison) {
  r->mask = (1u << bits) - 1;
  r->data = calloc(r->mask + 1, sizeof(float));
  r->hz = hz, r->fs = fs, r->poison = poison;
  r->written = 0;
  ring_write(r, 3u << bits); /* a while in: full */
}

/* Render n frames as the engine does: blocks (of random sizes up to
 * max_block when chunk_seed is set), the ring written after each. */
static void render_ring(lull_grains *g, ring *r, float *l, float *rr, size_t n, uint64_t chunk_seed, size_t max_block) {
  size_t i = 0;
  while (i < n) {
    size_t m = chunk_seed ? 1 + (size_t)(lull__splitmix64(&chunk_seed) % max_block) : max_block;
    if (m > n - i) m = n - i;
    lull_grain_source src = {r->data, r->mask, r->written};
    lull__grains_render(g, &src, l + i, rr + i, (uint32_t)m);
    ring_write(r, r->written + m);
    i += m;
  }
}

/* A grains voice started on a fresh ring of a sine at hz. */
static void start_on_ring(lull_grains *g, ring *r, const lull_grains_patch *patch, double hz, int poison,
                          uint64_t seed) {
  ring_init(r, RING_BITS, hz, FS, poison);
  lull__grains_init(g, FS);
  lull__grains_start(g, patch, (float)hz, 1.0f, seed);
}

static void test_density(void **state) {
  (void)state;
  const lull_grains_patch *patches[] = {&lull__grains_shimmer, &lull__grains_cloud};
  for (int p = 0; p < 2; p++) {
    ring r;
    lull_grains g;
    start_on_ring(&g, &r, patches[p], 440.0, 0, lull_test_seed(3));
    enum { N = 6 * 48000 };
    float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
    render_ring(&g, &r, l, rr, N, 0, BLOCK);
    double per_s = (double)g.started / 6.0;
    printf("# patch %d: %.1f grains/s (density %.0f), %llu cut\n", p, per_s, (double)patches[p]->density_hz,
           (unsigned long long)g.cut);
    ASSERT_NEAR(per_s, patches[p]->density_hz, 0.2 * patches[p]->density_hz);
    ASSERT_EQ_INT(g.cut, 0); /* within the window by design, not by cutting */
    /* Onsets seen in the output: a 440 Hz sine of RMS 0.35 in, about gain * 0.35 out. */
    double rms = sig_rms(l + 3 * 48000, N - 3 * 48000, 1), peak = sig_peak(l, N, 1);
    printf("# patch %d: RMS %.3f, peak %.3f\n", p, rms, peak);
    ASSERT_GE(rms, 0.1);
    ASSERT_LE(rms, 0.45);
    ASSERT_LE(peak, 1.0);
    free(l), free(rr), free(r.data);
  }
}

/* The pitch of what grains play: the period of the output's
 * autocorrelation (grains of one pitch at random phases share it). */
static double grain_pitch(const lull_grains_patch *patch, double source_hz, float fs, const lull_grain_source *cycle,
                          float note_hz, double expect_hz) {
  lull_grains_patch p = *patch;
  p.jitter_cents = 0;
  lull_grains g;
  lull__grains_init(&g, fs);
  lull__grains_start(&g, &p, note_hz, 1.0f, 5);
  size_t n = (size_t)(2 * fs);
  float *l = malloc(sizeof(float) * n), *rr = malloc(sizeof(float) * n);
  ring r = {0};
  if (cycle) {
    lull__grains_render(&g, cycle, l, rr, (uint32_t)n);
  } else {
    ring_init(&r, RING_BITS + (fs > 50000), source_hz, fs, 0);
    render_ring(&g, &r, l, rr, n, 0, BLOCK);
  }
  double hz = sig_period_hz(l + n / 3, n - n / 3, 1, fs, 0.7 * expect_hz, 1.4 * expect_hz);
  free(l), free(rr), free(r.data);
  return hz;
}

static void test_pitch(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    float fs = k ? 96000.0f : FS;
    double unison = grain_pitch(&lull__grains_cloud, 440.0, fs, NULL, 440.0f, 440.0);
    double octave = grain_pitch(&lull__grains_shimmer, 440.0, fs, NULL, 440.0f, 880.0);
    printf("# %g Hz: a 440 Hz ring read at %.2f Hz (cloud), %.2f Hz (shimmer)\n", (double)fs, unison, octave);
    ASSERT_NEAR(unison, 440.0, 2.2);
    ASSERT_NEAR(octave, 880.0, 4.4);
  }
  /* A ratio from the note: ref 220 Hz, note 330 Hz: a fifth up. */
  lull_grains_patch fifth = lull__grains_cloud;
  fifth.ref_hz = 220.0f;
  double f = grain_pitch(&fifth, 400.0, FS, NULL, 330.0f, 600.0);
  ASSERT_NEAR(f, 600.0, 3.0);
  /* One cycle of a sine, played at the note. */
  enum { CYCLE = 2048 };
  float *table = malloc(sizeof(float) * CYCLE);
  for (int i = 0; i < CYCLE; i++) table[i] = (float)sin(2 * M_PI * i / CYCLE);
  lull_grain_source src = {table, CYCLE - 1, LULL_GRAIN_CYCLE};
  /* Long grains: the autocorrelation of short ones leans sharp (their
   * envelopes' own correlation falls across a period). */
  lull_grains_patch long_grains = lull__grains_cloud;
  long_grains.grain_min_s = long_grains.grain_max_s = 0.2f;
  double c = grain_pitch(&long_grains, 0, FS, &src, 261.63f, 261.63);
  printf("# cycle source at 261.63 Hz: %.2f Hz\n", c);
  ASSERT_NEAR(c, 261.63, 1.3);
  free(table);
}

static void test_window(void **state) {
  (void)state;
  /* The newest 0.1 s of the ring holds 1e6: nothing of it may show. */
  const lull_grains_patch *patches[] = {&lull__grains_shimmer, &lull__grains_cloud};
  for (int p = 0; p < 2; p++) {
    ring r;
    lull_grains g;
    start_on_ring(&g, &r, patches[p], 300.0, 1, lull_test_seed(7));
    enum { N = 4 * 48000 };
    float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
    render_ring(&g, &r, l, rr, N, 99, 2048);
    ASSERT_LE(fmax(sig_peak(l, N, 1), sig_peak(rr, N, 1)), 1.0);
    ASSERT_GE(sig_rms(l, N, 1), 0.05); /* and it did play */
    free(l), free(rr), free(r.data);
  }
  /* Lags longer than the ring: those grains are cut, and the stale or
   * newest data (1e6) never heard. */
  lull_grains_patch far = lull__grains_cloud;
  far.lag_min_s = 0.3f;
  far.lag_max_s = 6.0f; /* the ring holds 2.7 s */
  ring r;
  lull_grains g;
  start_on_ring(&g, &r, &far, 300.0, 1, 9);
  enum { N = 4 * 48000 };
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
  render_ring(&g, &r, l, rr, N, 0, BLOCK);
  printf("# lags to 6 s in a 2.7 s ring: %llu of %llu grains cut\n", (unsigned long long)g.cut,
         (unsigned long long)g.started);
  ASSERT_GE(g.cut, g.started / 3);
  ASSERT_LE(fmax(sig_peak(l, N, 1), sig_peak(rr, N, 1)), 1.0);
  free(l), free(rr), free(r.data);
}

static void test_stereo_and_release(void **state) {
  (void)state;
  ring r;
  ring_init(&r, RING_BITS, 500.0, FS, 0);
  lull_grains g;
  lull__grains_init(&g, FS);
  ASSERT_EQ_INT(lull__grains_active(&g), 0);
  lull__grains_start(&g, &lull__grains_cloud, 500.0f, 1.0f, 21);
  enum { N = 6 * 48000 };
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
  render_ring(&g, &r, l, rr, 48000, 0, BLOCK);
  ASSERT_NEAR(lull__grains_level(&g), 0.5, 0.01); /* 1 s of a 2 s attack */
  render_ring(&g, &r, l, rr, N, 0, BLOCK);
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < N; i++) ab += (double)l[i] * rr[i], aa += (double)l[i] * l[i], bb += (double)rr[i] * rr[i];
  double corr = ab / sqrt(aa * bb);
  printf("# cloud: L/R correlation %.3f\n", corr);
  ASSERT_LE(corr, 0.9);
  lull__grains_release(&g);
  render_ring(&g, &r, l, rr, (size_t)(4.6 * 48000), 0, BLOCK); /* -90 dB at 4.5 s */
  ASSERT_EQ_INT(lull__grains_active(&g), 0);
  render_ring(&g, &r, l, rr, 4800, 0, BLOCK);
  ASSERT_TRUE(sig_peak(l, 4800, 1) == 0.0);
  free(l), free(rr), free(r.data);
}

/* Blocks of 256 and random blocks up to 2048 frames (engine-like) agree,
 * through a release and a retrigger; the cycle source in any split. */
static void test_split_invariance(void **state) {
  (void)state;
  enum { N = 4 * 48000 };
  float *a[2], *b[2];
  for (int c = 0; c < 2; c++) a[c] = malloc(sizeof(float) * N), b[c] = malloc(sizeof(float) * N);
  ring r1, r2;
  ring_init(&r1, RING_BITS, 350.0, FS, 0);
  ring_init(&r2, RING_BITS, 350.0, FS, 0);
  lull_grains x, y;
  lull__grains_init(&x, FS);
  lull__grains_init(&y, FS);
  lull__grains_start(&x, &lull__grains_shimmer, 350.0f, 1.0f, 31);
  lull__grains_start(&y, &lull__grains_shimmer, 350.0f, 1.0f, 31);
  render_ring(&x, &r1, a[0], a[1], N / 2, 0, BLOCK);
  render_ring(&y, &r2, b[0], b[1], N / 2, 41, 2048);
  lull__grains_release(&x);
  lull__grains_release(&y);
  render_ring(&x, &r1, a[0] + N / 2, a[1] + N / 2, N / 4, 0, BLOCK);
  render_ring(&y, &r2, b[0] + N / 2, b[1] + N / 2, N / 4, 42, 2048);
  lull__grains_start(&x, &lull__grains_cloud, 350.0f, 1.0f, 32);
  lull__grains_start(&y, &lull__grains_cloud, 350.0f, 1.0f, 32);
  render_ring(&x, &r1, a[0] + 3 * N / 4, a[1] + 3 * N / 4, N / 4, 0, BLOCK);
  render_ring(&y, &r2, b[0] + 3 * N / 4, b[1] + 3 * N / 4, N / 4, 43, 2048);
  ASSERT_TRUE(memcmp(a[0], b[0], sizeof(float) * N) == 0);
  ASSERT_TRUE(memcmp(a[1], b[1], sizeof(float) * N) == 0);
  ASSERT_GE(sig_rms(a[0], N, 1), 0.01);
  /* The cycle: one call against pieces. */
  enum { CYCLE = 1024 };
  float table[CYCLE];
  for (int i = 0; i < CYCLE; i++) table[i] = (float)sin(2 * M_PI * i / CYCLE);
  lull_grain_source src = {table, CYCLE - 1, LULL_GRAIN_CYCLE};
  lull__grains_init(&x, FS);
  lull__grains_init(&y, FS);
  lull__grains_start(&x, &lull__grains_cloud, 220.0f, 1.0f, 33);
  lull__grains_start(&y, &lull__grains_cloud, 220.0f, 1.0f, 33);
  lull__grains_render(&x, &src, a[0], a[1], N);
  uint64_t s = 44;
  for (size_t i = 0; i < N;) {
    size_t m = 1 + (size_t)(lull__splitmix64(&s) % 3000);
    if (m > N - i) m = N - i;
    lull__grains_render(&y, &src, b[0] + i, b[1] + i, (uint32_t)m);
    i += m;
  }
  ASSERT_TRUE(memcmp(a[0], b[0], sizeof(float) * N) == 0);
  ASSERT_TRUE(memcmp(a[1], b[1], sizeof(float) * N) == 0);
  for (int c = 0; c < 2; c++) free(a[c]), free(b[c]);
  free(r1.data), free(r2.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_density),           cmocka_unit_test(test_pitch),
      cmocka_unit_test(test_window),            cmocka_unit_test(test_stereo_and_release),
      cmocka_unit_test(test_split_invariance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
