/* limiter.c: never above the ceiling, bit-transparent below it (delayed by
 * its latency), recovers after a peak. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f

static void run(lull_limiter *l, float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i += 64) lull__limiter_process(l, x + i, y + i, n - i < 64 ? n - i : 64);
}

static void test_never_above_ceiling(void **state) {
  (void)state;
  lull_limiter lim;
  lull__limiter_init(&lim, -1.0f, 1.5f, 120.0f, FS);
  lull_noise nz;
  lull__noise_init(&nz, lull_test_seed(5));
  enum { N = 480000 };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) {
    /* Noise with bursts up to +12 dBFS and single-sample spikes. */
    float g = (i / 24000) % 2 ? 4.0f : 0.5f;
    l[i] = g * lull__noise_next(&nz);
    r[i] = (i % 9973 == 0) ? 8.0f : g * lull__noise_next(&nz);
  }
  run(&lim, l, r, N);
  double ceiling = pow(10.0, -1.0 / 20.0);
  ASSERT_LE(sig_peak(l, N, 1), ceiling + 1e-7);
  ASSERT_LE(sig_peak(r, N, 1), ceiling + 1e-7);
  ASSERT_LE(lim.min_gain, 0.2);
  free(l);
  free(r);
}

static void test_transparent_below_ceiling(void **state) {
  (void)state;
  lull_limiter lim;
  lull__limiter_init(&lim, -1.0f, 1.5f, 120.0f, FS);
  uint32_t lat = lull__limiter_latency(&lim);
  ASSERT_EQ_INT(lat, 71); /* 1.5 ms = 72 frames of lookahead */
  enum { N = 48000 };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N), *ref = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) ref[i] = l[i] = r[i] = 0.5f * (float)sin(2 * M_PI * 333.0 * i / FS);
  run(&lim, l, r, N);
  for (int i = (int)lat; i < N; i++) ASSERT_NEAR(l[i], ref[i - (int)lat], 0.0);
  free(l), free(r), free(ref);
}

static void test_recovers_after_peak(void **state) {
  (void)state;
  lull_limiter lim;
  lull__limiter_init(&lim, -1.0f, 1.5f, 120.0f, FS);
  enum { N = 96000 };
  float *l = calloc(N, sizeof(float)), *r = calloc(N, sizeof(float));
  for (int i = 0; i < N; i++) l[i] = r[i] = 0.5f * (float)sin(2 * M_PI * 100.0 * i / FS);
  l[1000] = 4.0f; /* one spike 18 dB over */
  run(&lim, l, r, N);
  /* One second later the gain is back to unity: the sine is whole again. */
  ASSERT_NEAR(sig_peak(r + N / 2, N / 2, 1), 0.5, 0.5 * 0.001);
  ASSERT_LE(sig_peak(l, N, 1), pow(10.0, -1.0 / 20.0) + 1e-7);
  free(l), free(r);
}

/* The careful path goes in runs the ring can hold (limiter.c): blocks of
 * any length, short or longer than the ring, give the same output bit for
 * bit at 48, 96 and 192 kHz, and the generic and x86-64-v3 builds agree to
 * rounding. */
static float *limited(lull_limiter_process_fn *process, const float *in, size_t n, size_t block, int right, float fs) {
  lull_limiter lim;
  lull__limiter_init(&lim, -1.0f, 1.5f, 120.0f, fs);
  lim.process = process;
  float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) l[i] = in[i], r[i] = -0.5f * in[i];
  for (size_t i = 0; i < n; i += block) lull__limiter_process(&lim, l + i, r + i, n - i < block ? n - i : block);
  free(right ? l : r);
  return right ? r : l;
}

static void test_any_block_length(void **state) {
  (void)state;
  enum { N = 96000 };
  float *x = malloc(sizeof(float) * N);
  lull_noise nz;
  lull__noise_init(&nz, lull_test_seed(9));
  for (int i = 0; i < N; i++) x[i] = ((i / 4800) % 3 ? 0.3f : 3.0f) * lull__noise_next(&nz); /* loud bursts, calm between */
  lull_limiter_process_fn *kinds[2] = {lull__limiter_process_generic, NULL};
#if LULL_HAVE_V3
  if (lull__isa_v3()) kinds[1] = lull__limiter_process_v3;
#endif
  const size_t blocks[] = {1, 7, 64, 183, 184, 185, 256, 439, 440, 441, 1000, 4801};
  /* The lookahead is 72 frames at 48 kHz, 288 at 192 kHz: the runs beside
   * it in the ring are shorter there. */
  const float rates[] = {48000.0f, 96000.0f, 192000.0f};
  float *ref[2] = {0};
  for (int k = 0; k < 2 && kinds[k]; k++)
    for (int r = 0; r < 3; r++)
      for (int ch = 0; ch < 2; ch++) {
        float *a = limited(kinds[k], x, N, 64, ch, rates[r]);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
          float *y = limited(kinds[k], x, N, blocks[b], ch, rates[r]);
          for (int i = 0; i < N; i++)
            if (y[i] != a[i]) fail_msg("%.0f Hz, blocks of %zu: frame %d differs", rates[r], blocks[b], i);
          free(y);
        }
        if (ch == 0 && r == 0) ref[k] = a;
        else free(a);
      }
  double ceiling = pow(10.0, -1.0 / 20.0), most = 0;
  ASSERT_LE(sig_peak(ref[0], N, 1), ceiling + 1e-7);
  ASSERT_GE(sig_peak(ref[0], N, 1), 0.9 * ceiling); /* it did limit */
  if (ref[1]) {
    for (int i = 0; i < N; i++) most = fmax(most, fabs((double)ref[0][i] - ref[1][i]));
    printf("# generic and v3 differ by at most %.3g\n", most);
    ASSERT_LE(most, 1e-5); /* -100 dBFS, as test_kernels: FMA rounds the release once, not twice */
  }
  free(ref[0]), free(ref[1]), free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_never_above_ceiling),
                                     cmocka_unit_test(test_transparent_below_ceiling),
                                     cmocka_unit_test(test_recovers_after_peak),
                                     cmocka_unit_test(test_any_block_length)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
