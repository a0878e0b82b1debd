/* lull bench: render speed of the full mix on one thread, measured in CPU
 * time of the rendering thread (not wall time), dry and with effects. The
 * load keeps twelve voices sounding: two four-voice pad chords, a lead note,
 * a swell, a kick re-struck every 240 ms (it lasts 250 ms) and a hat every
 * 96 ms (it lasts 101 ms). With --palette the load is composed music
 * instead (every part the palette writes for), and each palette's CPU per
 * 20 ms block is set against classic's (issue 20: at most twice). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "compose/compose.h"
#include "lull/lull.h"

#define CHUNK 960 /* 20 ms, as a station renders */
#define BATCH 64  /* events asked of the composer at a time */
#define PALETTE_INTENSITY 0.9f /* busy music */
#define PALETTE_SEED 17        /* its first section has every layer: each palette's parts all play within 60 s */
#define PALETTE_GOAL 2.0       /* issue 20: each palette's mean CPU per block, times classic's at most */

static void help(FILE *f) {
  fputs("usage: lull bench [--seconds S] [--runs N] [--only dry|fx] [--palette P|all] [--stages]\n"
        "                  [--fx SPEC | --instrument PART=SPEC]\n"
        "\n"
        "Render the full mix (12 voices) as fast as one core goes and print the\n"
        "realtime factor and ns per frame, dry and with reverb and delay.\n"
        "\n"
        "  --seconds S   seconds of audio per run (1..3600, default 60)\n"
        "  --runs N      runs per configuration; the best and median are shown (1..100, default 5)\n"
        "  --only WHICH  just one configuration: dry or fx\n"
        "  --palette P   render composed music (intensity 0.9, seed 17) in palette P instead: classic,\n"
        "                glass, strings, keys, night, tape, or all; one row a palette, beside classic:\n"
        "                CPU microseconds per 20 ms block (mean and 99th percentile, best run), the\n"
        "                ratio to classic, the realtime factor, and whether the palette meets the goal\n"
        "                of at most 2x classic's CPU (a figure: the exit status does not depend on it)\n"
        "  --stages      where the render goes: ns per frame of each stage (control, voices,\n"
        "                chorus, delay, reverb, tape, fx, master) in the composed music of\n"
        "                --palette P (default classic), dry and with effects, best run (x86)\n"
        "  --fx SPEC     an LV2 effect's CPU per 20 ms block on classic's composed music (dry),\n"
        "                beside lull's own reverb and delay (lull plugins lists them)\n"
        "  --instrument PART=SPEC  an LV2 instrument's CPU per block playing PART, beside the\n"
        "                part's own voice (each measured against the music without the part)\n"
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

/* One palette's figures from one run of composed music. */
typedef struct palette_run {
  double cpu_s;           /* the engine's render, all blocks */
  double mean_us, p99_us; /* per 20 ms block */
  double voices;          /* sounding, mean over blocks */
  int parts;              /* parts that were given notes */
  uint32_t fx_latency, part_latency[LULL_PART_COUNT]; /* LV2 plugins': frames, as they report them */
  uint64_t stage_ticks[LULL_STAGE_COUNT], frames;   /* with config.profile */
} palette_run;

/* Composed music in palette for frames, the composer's events scheduled
 * before each 20 ms block and only the engine's render timed; block_s is
 * scratch for frames / CHUNK times. 0, or -1 when something failed. */
static int run_music(const lull_engine_config *with, int drop_part, int palette, uint64_t frames, double *block_s,
                     palette_run *out, lull_diag *diag) {
  lull_params params = lull_params_default();
  params.intensity = PALETTE_INTENSITY;
  params.palette = palette;
  params.seed = PALETTE_SEED;
  lull_composer *c = NULL;
  lull_engine *e = NULL;
  lull_engine_config cfg = *with;
  cfg.bpm = params.bpm, cfg.seed = params.seed;
  float *buf = malloc(sizeof(float) * 2 * CHUNK);
  int err = !buf || lull__composer_create(&params, LULL_SAMPLE_RATE_HZ, &c, NULL) != LULL_OK ||
            lull_engine_create(&cfg, &e, diag) != LULL_OK;
  unsigned heard = 0; /* a bit a part */
  double vsum = 0;
  size_t blocks = 0;
  for (uint64_t pos = 0; pos + CHUNK <= frames && !err; pos += CHUNK, blocks++) {
    lull_event batch[BATCH];
    size_t got;
    while ((got = lull__composer_fill(c, pos + CHUNK, batch, BATCH)) > 0)
      for (size_t k = 0; k < got; k++) {
        if (batch[k].kind != LULL_EVENT_SET && batch[k].part == drop_part) continue;
        if (batch[k].kind != LULL_EVENT_SET) heard |= 1u << batch[k].part;
        err |= lull_engine_schedule(e, &batch[k]) != LULL_OK;
      }
    double t0 = thread_cpu_s();
    lull_engine_render(e, buf, CHUNK);
    block_s[blocks] = thread_cpu_s() - t0;
    lull_engine_stats st;
    lull_engine_get_stats(e, &st);
    vsum += st.voices_active;
  }
  lull_engine_stats last = {0};
  if (e) lull_engine_get_stats(e, &last);
  uint32_t fx_latency = e ? lull_engine_plugin_latency_frames(e, -1) : 0, part_latency[LULL_PART_COUNT] = {0};
  for (int part = 0; e && part < LULL_PART_COUNT; part++) part_latency[part] = lull_engine_plugin_latency_frames(e, part);
  free(buf);
  lull_engine_destroy(e);
  lull__composer_destroy(c);
  if (err || blocks == 0) return -1;
  double sum = 0;
  for (size_t b = 0; b < blocks; b++) sum += block_s[b];
  qsort(block_s, blocks, sizeof *block_s, cmp_double);
  size_t p99 = (size_t)ceil(0.99 * (double)blocks) - 1; /* nearest rank */
  *out = (palette_run){sum, sum / (double)blocks * 1e6, block_s[p99] * 1e6, vsum / (double)blocks, 0, fx_latency, {0}, {0}, 0};
  memcpy(out->part_latency, part_latency, sizeof part_latency);
  memcpy(out->stage_ticks, last.stage_ticks, sizeof out->stage_ticks);
  out->frames = last.frames_rendered;
  for (int part = 0; part < LULL_PART_COUNT; part++) out->parts += (heard >> part) & 1;
  return 0;
}

static int run_palette(int dry, int palette, uint64_t frames, double *block_s, palette_run *out) {
  lull_engine_config cfg = {.dry = dry};
  return run_music(&cfg, -1, palette, frames, block_s, out, NULL);
}

/* An LV2 plugin's cost per 20 ms block in classic's composed music, beside
 * what lull's own does for the same job: an instrument against the part's
 * own voice (each measured against the music without that part), an
 * effect against lull's reverb and delay (each against the dry mix). */
static int bench_plugin(int part, const char *spec, uint64_t seconds, uint64_t runs) {
  uint64_t frames = seconds * LULL_SAMPLE_RATE_HZ;
  double *block_s = calloc((size_t)(frames / CHUNK), sizeof *block_s);
  if (!block_s) return LULL_EXIT_FAIL;
  const char *part_name = part >= 0 ? lull_part_name(part) : "fx";
  /* Rows: 0 the reference without the job, 1 lull's own, 2 the plugin. */
  lull_engine_config cfg[3] = {{.dry = 1}, {.dry = part >= 0}, {.dry = 1}};
  const char *chain[1] = {spec};
  if (part >= 0) cfg[2].instrument[part] = spec;
  else cfg[2].fx = chain, cfg[2].fx_count = 1;
  double best[3] = {INFINITY, INFINITY, INFINITY};
  uint32_t latency = 0;
  for (uint64_t r = 0; r < runs; r++)
    for (int row = 0; row < 3; row++) {
      palette_run one;
      lull_diag diag = {{0}, {0}};
      if (run_music(&cfg[row], row == 0 && part >= 0 ? part : -1, LULL_PALETTE_CLASSIC, frames, block_s, &one, &diag)) {
        free(block_s);
        if (diag.message[0]) { /* the plugin's spec: bad input */
          fprintf(stderr, "lull bench: %s: %s\n", part >= 0 ? "--instrument" : "--fx", diag.message);
          return LULL_EXIT_USAGE;
        }
        fprintf(stderr, "lull bench: a run failed (%s)\n", row == 2 ? spec : "lull's own");
        return LULL_EXIT_FAIL;
      }
      if (one.mean_us < best[row]) best[row] = one.mean_us;
      if (row == 2) latency = part >= 0 ? one.part_latency[part] : one.fx_latency;
    }
  free(block_s);
  printf("classic's composed music (intensity %.1f, seed %d), dry; CPU us per 20 ms block, best run\n",
         (double)PALETTE_INTENSITY, PALETTE_SEED);
  printf("%-40s %9.1f\n", part >= 0 ? "the music without the part" : "the dry mix", best[0]);
  double own = best[1] - best[0], plugin = best[2] - best[0];
  char label[96];
  snprintf(label, sizeof label, part >= 0 ? "%s: lull's own voice" : "lull's reverb and delay", part_name);
  printf("%-40s %9.1f  (+%.1f)\n", label, best[1], own);
  snprintf(label, sizeof label, "%s%s%.60s", part_name, part >= 0 ? ": " : " ", spec);
  printf("%-40s %9.1f  (+%.1f, %.1fx lull's own)\n", label, best[2], plugin, own > 0 ? plugin / own : 0.0);
  printf("its latency: %u frames (%.2f ms), as its latency port reports it (0: it has none)\n", latency,
         latency * 1000.0 / LULL_SAMPLE_RATE_HZ);
  return LULL_EXIT_OK;
}

/* Whether a bench of palette want (-1: all) runs palette p: classic always,
 * the reference. */
static int benched(int want, int p) { return want < 0 || p == want || p == LULL_PALETTE_CLASSIC; }

/* A table for each configuration (dry = first down to last), a row for
 * each palette benched; runs interleave the palettes so that a machine that
 * slows down weighs on all of them alike. */
static int bench_palettes(int want, int first, int last, uint64_t seconds, uint64_t runs) {
  uint64_t frames = seconds * LULL_SAMPLE_RATE_HZ;
  size_t blocks = (size_t)(frames / CHUNK);
  double *block_s = calloc(blocks, sizeof *block_s);
  if (!block_s) return LULL_EXIT_FAIL;
  printf("composed music at intensity %.1f, seed %d (A aeolian, 64 bpm); the engine's render alone timed,\n"
         "per 20 ms block, in each palette's best run; parts: how many of the %d the music gave notes\n"
         "goal (issue 20): every palette costs at most %.0fx classic's mean CPU per 20 ms block\n",
         (double)PALETTE_INTENSITY, PALETTE_SEED, LULL_PART_COUNT, PALETTE_GOAL);
  for (int dry = first; dry >= last; dry--) {
    palette_run best[LULL_PALETTE_COUNT];
    for (int p = 0; p < LULL_PALETTE_COUNT; p++) best[p].cpu_s = INFINITY;
    for (uint64_t r = 0; r < runs; r++)
      for (int p = 0; p < LULL_PALETTE_COUNT; p++) {
        palette_run one;
        if (!benched(want, p)) continue;
        if (run_palette(dry, p, frames, block_s, &one)) {
          fprintf(stderr, "lull bench: a run failed (palette %s)\n", lull_palette_name(p));
          free(block_s);
          return LULL_EXIT_FAIL;
        }
        if (one.cpu_s < best[p].cpu_s) best[p] = one;
      }
    printf("\n%-12s %9s %8s %10s %10s %7s %6s  %s\n", dry ? "dry" : "with effects", "mean us", "p99 us", "x classic",
           "real time", "voices", "parts", "goal");
    const palette_run *ref = &best[LULL_PALETTE_CLASSIC];
    for (int p = 0; p < LULL_PALETTE_COUNT; p++) {
      if (!benched(want, p)) continue;
      double ratio = best[p].mean_us / ref->mean_us;
      printf("%-12s %9.1f %8.1f %9.2fx %9.0fx %7.1f %6d  %s\n", lull_palette_name(p), best[p].mean_us, best[p].p99_us,
             ratio, (double)seconds / best[p].cpu_s, best[p].voices, best[p].parts,
             p == LULL_PALETTE_CLASSIC ? "(the reference)" : ratio <= PALETTE_GOAL ? "meets" : "misses");
    }
  }
  free(block_s);
  return LULL_EXIT_OK;
}

/* Time-stamp ticks per nanosecond, against the monotonic clock over 200 ms. */
static double ticks_per_ns(void) {
#if defined(__x86_64__) || defined(__i386__)
  struct timespec a, b, pause = {0, 200 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  uint64_t t0 = __builtin_ia32_rdtsc();
  nanosleep(&pause, NULL);
  uint64_t t1 = __builtin_ia32_rdtsc();
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  return (double)(t1 - t0) / ns;
#else
  return 0;
#endif
}

/* Where a palette's render goes, stage by stage (lull_engine_config.profile):
 * ns per frame in the best run, dry and with effects. */
static int bench_stages(int palette, int first, int last, uint64_t seconds, uint64_t runs) {
  double per_ns = ticks_per_ns();
  if (!(per_ns > 0)) {
    fprintf(stderr, "lull bench: --stages needs the x86 time-stamp counter\n");
    return LULL_EXIT_FAIL;
  }
  uint64_t frames = seconds * LULL_SAMPLE_RATE_HZ;
  double *block_s = calloc((size_t)(frames / CHUNK), sizeof *block_s);
  if (!block_s) return LULL_EXIT_FAIL;
  printf("%s's composed music (intensity %.1f, seed %d); ns per frame of each stage, best run; the counter at %.3f GHz\n",
         lull_palette_name(palette), (double)PALETTE_INTENSITY, PALETTE_SEED, per_ns);
  for (int dry = first; dry >= last; dry--) {
    lull_engine_config cfg = {.dry = dry, .profile = 1};
    palette_run best = {0};
    for (uint64_t r = 0; r < runs; r++) {
      palette_run one;
      if (run_music(&cfg, -1, palette, frames, block_s, &one, NULL)) {
        free(block_s);
        fprintf(stderr, "lull bench: a run failed\n");
        return LULL_EXIT_FAIL;
      }
      if (r == 0 || one.mean_us < best.mean_us) best = one;
    }
    uint64_t total = 0;
    for (int k = 0; k < LULL_STAGE_COUNT; k++) total += best.stage_ticks[k];
    printf("\n%-10s %9s %7s\n", dry ? "dry" : "effects", "ns/frame", "share");
    for (int k = 0; k < LULL_STAGE_COUNT; k++) {
      double ns = (double)best.stage_ticks[k] / per_ns / (double)best.frames;
      printf("%-10s %9.1f %6.1f%%\n", lull_stage_name(k), ns, total ? 100.0 * (double)best.stage_ticks[k] / (double)total : 0.0);
    }
    printf("%-10s %9.1f %7s  (%.0fx real time)\n", "total", (double)total / per_ns / (double)best.frames, "",
           1e9 / ((double)total / per_ns / (double)best.frames) / LULL_SAMPLE_RATE_HZ);
  }
  free(block_s);
  return LULL_EXIT_OK;
}

int lull__cmd_bench(int argc, char **argv) {
  uint64_t seconds = 60, runs = 5;
  int first = 1, last = 0; /* dry = 1, then with effects = 0 */
  int palette = -2;         /* -2: the fixed 12-voice mix; -1: every palette; else that one */
  const char *plugin = NULL;
  int plugin_part = -1; /* --instrument's part; -1: --fx */
  int stages = 0;
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
    } else if (strcmp(argv[i], "--stages") == 0) {
      stages = 1;
    } else if (lull__flag_is(argv[i], "--palette")) {
      const char *v = lull__flag_value("bench", argc, argv, &i, "--palette");
      if (!v) return LULL_EXIT_USAGE;
      if (strcmp(v, "all") == 0) palette = -1;
      else if ((palette = lull_palette_parse(v)) < 0) {
        fprintf(stderr, "lull bench: --palette: expected all or one of");
        for (int p = 0; p < LULL_PALETTE_COUNT; p++) fprintf(stderr, "%s %s", p ? "," : "", lull_palette_name(p));
        fprintf(stderr, "; got \"%s\"\n", v);
        return LULL_EXIT_USAGE;
      }
    } else if (lull__flag_is(argv[i], "--fx") || lull__flag_is(argv[i], "--instrument")) {
      int fx = lull__flag_is(argv[i], "--fx");
      const char *v = lull__flag_value("bench", argc, argv, &i, fx ? "--fx" : "--instrument");
      if (!v) return LULL_EXIT_USAGE;
      if (plugin) {
        fprintf(stderr, "lull bench: one plugin at a time (--fx or --instrument, once)\n");
        return LULL_EXIT_USAGE;
      }
      plugin = v;
      if (!fx && (plugin_part = lull__instrument_arg("bench", v, &plugin)) < 0) return LULL_EXIT_USAGE;
    } else {
      fprintf(stderr, "lull bench: unknown option or missing value \"%s\" (lull bench --help)\n", argv[i]);
      return LULL_EXIT_USAGE;
    }
  }
  uint64_t frames = seconds * LULL_SAMPLE_RATE_HZ;
  printf("lull bench: %llu s of audio per run, %llu runs per configuration, one thread, CPU time\n",
         (unsigned long long)seconds, (unsigned long long)runs);
  if (plugin) return bench_plugin(plugin_part, plugin, seconds, runs);
  if (stages) {
    if (palette == -1) {
      fprintf(stderr, "lull bench: --stages takes one palette (--palette P), not all\n");
      return LULL_EXIT_USAGE;
    }
    return bench_stages(palette < 0 ? LULL_PALETTE_CLASSIC : palette, first, last, seconds, runs);
  }
  if (palette != -2) return bench_palettes(palette, first, last, seconds, runs);
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
