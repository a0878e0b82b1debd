/* Zero heap allocations in render (and schedule), and in the pump a
 * station's producer runs: every malloc-family call made by liblull or this
 * test is counted through the linker's --wrap. */
#include <stdlib.h>

#include "stream/stream.h"
#include "support/engine_util.h"
#include "support/harness.h"

static volatile long allocations;
static volatile int counting;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);

void *__wrap_malloc(size_t n) { allocations += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocations += counting; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocations += counting; return __real_realloc(p, n); }
void __wrap_free(void *p) { allocations += counting && p; __real_free(p); }
void *__wrap_aligned_alloc(size_t a, size_t n) { allocations += counting; return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { allocations += counting; return __real_posix_memalign(p, a, n); }

static void test_the_counter_counts(void **state) {
  (void)state;
  counting = 1;
  void *p = malloc(16);
  free(p);
  counting = 0;
  ASSERT_EQ_INT(allocations, 2); /* so a zero below means something */
  allocations = 0;
}

/* 10 s of palette's instruments (every voice, every effect, steals), and
 * halfway a change to the next palette; 4 s under a sanitizer. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BLOCKS 200
#else
#define BLOCKS 500
#endif

static void render_busily(int palette) {
  lull_engine *e = test_engine(0);
  float *buf = malloc(sizeof(float) * 2 * 960);
  lull_event pal = {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)palette};
  if (lull_engine_schedule(e, &pal) != LULL_OK) abort();
  pal.frame = BLOCKS / 2 * 960 + 17, pal.velocity = (float)((palette + 1) % LULL_PALETTE_COUNT);
  if (lull_engine_schedule(e, &pal) != LULL_OK) abort();
  allocations = 0;
  counting = 1;
  for (int k = 0; k < BLOCKS; k++) {
    uint64_t t = (uint64_t)k * 960;
    for (int i = 0; i < 5; i++) test_note(e, t + (uint64_t)i * 100, LULL_PART_PAD, LULL_EVENT_ON, 40 + (k + i) % 40, 0.6f, 30000);
    test_note(e, t, LULL_PART_LEAD, LULL_EVENT_ON, 60 + k % 24, 0.7f, 3000);
    if (k % 6 < 3) test_note(e, t + 480, LULL_PART_KICK + k % 3, LULL_EVENT_HIT, 80, 0.8f, 0);
    else test_note(e, t + 480, LULL_PART_KICK + k % 6, LULL_EVENT_ON, 60 + k % 30, 0.6f, 20000); /* bass, air, bell */
    if (k % 50 == 0) {
      lull_event bright = {t, 0, LULL_CONTROL_BRIGHTNESS, LULL_EVENT_SET, 0, 0, (float)(k % 100) / 100.0f};
      if (lull_engine_schedule(e, &bright) != LULL_OK) abort();
    }
    if (k == BLOCKS / 2 && lull_engine_set_bpm(e, 100.0f) != LULL_OK) abort();
    lull_engine_render(e, buf, 960);
  }
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  counting = 0;
  ASSERT_EQ_INT(allocations, 0);
  ASSERT_GE(st.voices_stolen, 1);
  free(buf);
  lull_engine_destroy(e);
}

static void test_no_allocation_in_render(void **state) {
  (void)state;
  for (int p = 0; p < LULL_PALETTE_COUNT; p++) render_busily(p);
}

/* Composer -> engine, 20 ms at a time, with a change of params midway. */
static void test_no_allocation_in_the_pump(void **state) {
  (void)state;
  lull_pump_config pc = {.params = lull_params_default()};
  pc.params.intensity = 0.9f; /* every part plays */
  lull_pump *pump;
  ASSERT_EQ_INT(lull__pump_create(&pc, &pump, NULL), LULL_OK);
  lull_params changed = pc.params;
  changed.key = 4, changed.bpm = 100, changed.palette = LULL_PALETTE_STRINGS;
  float *pcm;
  size_t frames;
  allocations = 0;
  counting = 1;
  for (int k = 0; k < 1000; k++) { /* 20 s */
    if (k == 500 && lull__pump_set_params(pump, &changed, NULL) != LULL_OK) abort();
    if (lull__pump_next(pump, &pcm, &frames, NULL) != LULL_OK) abort();
  }
  counting = 0;
  ASSERT_EQ_INT(allocations, 0);
  lull__pump_destroy(pump);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_the_counter_counts),
                                     cmocka_unit_test(test_no_allocation_in_render),
                                     cmocka_unit_test(test_no_allocation_in_the_pump)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
