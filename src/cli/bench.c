/* lull bench: render speed of the full mix on one thread, measured in CPU
 * time of the rendering thread (not wall time), dry and with effects. The
 * load keeps twelve voices sounding: two four-voice pad chords, a lead note,
 * a swell, a kick re-struck every 240 ms (it lasts 250 ms) and a hat every
 * 96 ms (it lasts 101 ms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lull/lull.h"

#define CHUNK 960 /* 20 ms, as a station renders */

static void help(FILE *f) {
  fputs("usage: lull bench [--seconds S] [--runs N] [--only dry|fx]\n"
        "\n"
        "Render the full mix (12 voices) as fast as one core goes and print the\n"
        "realtime factor and ns per frame, dry and with reverb and delay.\n"
        "\n"
        "  --seconds S   seconds of audio per run (1..3600, default 60)\n"
        "  --runs N      runs per configuration; the best and median are shown (1..100, default 5)\n"
        "  --only WHICH  just one configuration: dry or fx\n"
        "  -h, --help    this text\n",
        f);
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int schedule(lull_engine *e, uint64_t frame, int part, int kind, int pitch, float vel, uint64_t dur) {
  lull_event ev = {frame, dur, (uint8_t)part, (uint8_t)kind, (uint8_t)pitch, 0, vel};
  return lull_engine_schedule(e, &ev);
}

/* One run: returns CPU seconds spent in render; *voices gets the mean count,
 * *limit the limiter's lowest gain. */
static double run(int dry, uint64_t frames, double *voices, float *limit) {
  lull_engine_config cfg = {.dry = dry, .bpm = 120};
  lull_engine *e;
  if (lull_engine_create(&cfg, &e, NULL) != LULL_OK) return -1;
  static const int pads[8] = {45, 52, 55, 60, 57, 64, 67, 72};
  int err = 0;
  for (int i = 0; i < 8; i++) err |= schedule(e, 0, LULL_PART_PAD, LULL_EVENT_ON, pads[i], 0.8f, 0);
  err |= schedule(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0.7f, 0);
  err |= schedule(e, 0, LULL_PART_SWELL, LULL_EVENT_HIT, 60, 0.6f, frames + 48000);
  float *buf = malloc(sizeof(float) * 2 * CHUNK);
  double cpu = 0, vsum = 0;
  uint64_t chunks = 0, next_kick = 0, next_hat = 0;
  for (uint64_t pos = 0; pos < frames && buf && !err; pos += CHUNK, chunks++) {
    for (; next_kick < pos + CHUNK; next_kick += 11520)
      err |= schedule(e, next_kick, LULL_PART_KICK, LULL_EVENT_HIT, 36, 0.9f, 0);
    for (; next_hat < pos + CHUNK; next_hat += 4608)
      err |= schedule(e, next_hat, LULL_PART_HAT, LULL_EVENT_HIT, 60, 0.5f, 0);
    double t0 = thread_cpu_s();
    lull_engine_render(e, buf, CHUNK);
    cpu += thread_cpu_s() - t0;
    lull_engine_stats st;
    lull_engine_get_stats(e, &st);
    vsum += st.voices_active;
  }
  *voices = chunks ? vsum / (double)chunks : 0;
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  *limit = st.limiter_gain_min;
  free(buf);
  lull_engine_destroy(e);
  return err || !buf ? -1 : cpu;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int lull__cmd_bench(int argc, char **argv) {
  uint64_t seconds = 60, runs = 5;
  int first = 1, last = 0; /* dry = 1, then with effects = 0 */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      if (lull__arg_u64("bench", "--seconds", argv[++i], 1, 3600, &seconds)) return LULL_EXIT_USAGE;
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      if (lull__arg_u64("bench", "--runs", argv[++i], 1, 100, &runs)) return LULL_EXIT_USAGE;
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      const char *w = argv[++i];
      if (strcmp(w, "dry") == 0) first = last = 1;
      else if (strcmp(w, "fx") == 0) first = last = 0;
      else {
        fprintf(stderr, "lull bench: --only: expected dry or fx, got \"%s\"\n", w);
        return LULL_EXIT_USAGE;
      }
    } else {
      fprintf(stderr, "lull bench: unknown option or missing value \"%s\" (lull bench --help)\n", argv[i]);
      return LULL_EXIT_USAGE;
    }
  }
  uint64_t frames = seconds * LULL_SAMPLE_RATE_HZ;
  printf("lull bench: %llu s of audio per run, %llu runs per configuration, one thread, CPU time\n",
         (unsigned long long)seconds, (unsigned long long)runs);
  for (int dry = first; dry >= last; dry--) {
    double *cpu = calloc(runs, sizeof *cpu), voices = 0;
    float limit = 1;
    if (!cpu) return LULL_EXIT_FAIL;
    for (uint64_t r = 0; r < runs; r++) {
      cpu[r] = run(dry, frames, &voices, &limit);
      if (cpu[r] < 0) {
        fprintf(stderr, "lull bench: a run failed\n");
        free(cpu);
        return LULL_EXIT_FAIL;
      }
    }
    qsort(cpu, runs, sizeof *cpu, cmp_double);
    double best = cpu[0], median = cpu[runs / 2];
    printf("%-12s %7.0fx real time (median %.0fx), %6.1f ns/frame, %.1f voices sounding on average, "
           "limiter down to %.1f dB\n",
           dry ? "dry" : "with effects", (double)seconds / best, (double)seconds / median, best * 1e9 / (double)frames,
           voices, 20.0 * log10((double)limit));
    free(cpu);
  }
  return LULL_EXIT_OK;
}
