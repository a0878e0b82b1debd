/* lull render: a phrase file to an audio file, offline, as fast as the
 * engine goes. Interrupted or failed renders leave no file behind. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/io.h"
#include "lull/lull.h"

#define CHUNK 4096
#define RELEASE_TAIL_S 1.5

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static void help(FILE *f) {
  fputs("usage: lull render --phrase FILE.json -o OUT [options]\n"
        "\n"
        "Render an explicit phrase (chords, melody, percussion; see README) to audio.\n"
        "\n"
        "  --phrase FILE    phrase file (JSON)\n"
        "  -o, --output OUT output file: .wav or .flac by extension; - writes WAV to stdout\n"
        "  --loops N        play the phrase N times back to back (1..100000; default 1)\n"
        "  --bits B         16 (dithered, default), 24, or float (WAV only)\n"
        "  --dry            no reverb and no delay\n"
        "  --seed N         seed for noise voices (default 0)\n"
        "  --quiet          no progress bar (it is off anyway when stderr is not a terminal)\n"
        "  -h, --help       this text\n"
        "\n"
        "exit status: 0 done, 1 failed (nothing written), 2 usage error\n",
        f);
}

/* "--flag value" or "--flag=value"; returns the value or NULL (and reports). */
static const char *value_of(int argc, char **argv, int *i, const char *flag) {
  const char *a = argv[*i];
  size_t n = strlen(flag);
  if (a[n] == '=') return a + n + 1;
  if (*i + 1 >= argc) {
    fprintf(stderr, "lull render: %s needs a value (lull render --help)\n", flag);
    return NULL;
  }
  return argv[++*i];
}

static int is_flag(const char *a, const char *flag) {
  size_t n = strlen(flag);
  return strncmp(a, flag, n) == 0 && (a[n] == 0 || a[n] == '=');
}

int lull__cmd_render(int argc, char **argv) {
  const char *phrase_path = NULL, *out_path = NULL;
  uint64_t loops = 1, seed = 0;
  int dry = 0, quiet = 0;
  lull_sample_format fmt = LULL_SAMPLE_PCM16;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    } else if (is_flag(a, "--phrase")) {
      if (!(phrase_path = value_of(argc, argv, &i, "--phrase"))) return LULL_EXIT_USAGE;
    } else if (is_flag(a, "--output") || strcmp(a, "-o") == 0) {
      if (!(out_path = value_of(argc, argv, &i, a[1] == 'o' ? "-o" : "--output"))) return LULL_EXIT_USAGE;
    } else if (is_flag(a, "--loops")) {
      if (!(v = value_of(argc, argv, &i, "--loops")) || lull__arg_u64("render", "--loops", v, 1, 100000, &loops))
        return LULL_EXIT_USAGE;
    } else if (is_flag(a, "--seed")) {
      if (!(v = value_of(argc, argv, &i, "--seed")) || lull__arg_u64("render", "--seed", v, 0, UINT64_MAX, &seed))
        return LULL_EXIT_USAGE;
    } else if (is_flag(a, "--bits")) {
      if (!(v = value_of(argc, argv, &i, "--bits"))) return LULL_EXIT_USAGE;
      if (strcmp(v, "16") == 0) fmt = LULL_SAMPLE_PCM16;
      else if (strcmp(v, "24") == 0) fmt = LULL_SAMPLE_PCM24;
      else if (strcmp(v, "float") == 0 || strcmp(v, "32f") == 0) fmt = LULL_SAMPLE_FLOAT;
      else {
        fprintf(stderr, "lull render: --bits: expected 16, 24 or float, got \"%s\"\n", v);
        return LULL_EXIT_USAGE;
      }
    } else if (strcmp(a, "--dry") == 0) {
      dry = 1;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
      quiet = 1;
    } else {
      fprintf(stderr, "lull render: unknown option \"%s\" (lull render --help)\n", a);
      return LULL_EXIT_USAGE;
    }
  }
  if (!phrase_path || !out_path) {
    fprintf(stderr, "lull render: %s is required (lull render --help)\n", !phrase_path ? "--phrase FILE" : "-o OUT");
    return LULL_EXIT_USAGE;
  }

  lull_diag diag = {{0}, {0}};
  lull_phrase phrase;
  int err = lull__phrase_load(phrase_path, LULL_SAMPLE_RATE_HZ, &phrase, &diag);
  if (err) {
    if (diag.field[0]) fprintf(stderr, "lull render: %s: %s: %s\n", phrase_path, diag.field, diag.message);
    else fprintf(stderr, "lull render: %s\n", diag.message);
    return LULL_EXIT_FAIL;
  }
  lull_engine_config cfg = {.bpm = (float)phrase.bpm, .seed = seed, .dry = dry, .event_capacity = 1u << 16};
  lull_engine *engine = NULL;
  lull_audio_writer *w = NULL;
  float *buf = NULL;
  int status = LULL_EXIT_FAIL;
  if ((err = lull_engine_create(&cfg, &engine, &diag))) {
    fprintf(stderr, "lull render: engine: %s: %s\n", diag.field, diag.message);
    goto done;
  }
  double tail_s = RELEASE_TAIL_S + (dry ? 0.0 : 6.0); /* the reverb's RT60 */
  uint64_t total = phrase.length_frames * loops + (uint64_t)(tail_s * LULL_SAMPLE_RATE_HZ) +
                   lull_engine_latency_frames(engine);
  if ((err = lull__audio_open(out_path, fmt, LULL_SAMPLE_RATE_HZ, total, &w, &diag))) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    status = err == LULL_EFORMAT ? LULL_EXIT_USAGE : LULL_EXIT_FAIL;
    goto done;
  }
  buf = malloc(sizeof(float) * 2 * CHUNK);
  if (!buf) goto done;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, reported */
  lull_progress prog;
  lull__progress_start(&prog, "render", (double)total / LULL_SAMPLE_RATE_HZ, quiet);
  uint64_t loop = 0;
  size_t next = 0;
  for (uint64_t pos = 0; pos < total && !interrupted; pos += CHUNK) {
    uint64_t n = total - pos < CHUNK ? total - pos : CHUNK;
    /* Hand the engine every event that starts in this chunk. */
    while (loop < loops) {
      if (next == phrase.count) {
        loop++;
        next = 0;
        continue;
      }
      lull_event ev = phrase.events[next];
      ev.frame += loop * phrase.length_frames;
      if (ev.frame >= pos + n) break;
      if (lull_engine_schedule(engine, &ev) != LULL_OK) {
        fprintf(stderr, "lull render: more than %u events within %d frames; the phrase is too dense\n",
                cfg.event_capacity, CHUNK);
        goto done;
      }
      next++;
    }
    lull_engine_render(engine, buf, (size_t)n);
    if ((err = lull__audio_write(w, buf, (size_t)n, &diag))) {
      fprintf(stderr, "lull render: %s\n", diag.message);
      goto done;
    }
    lull__progress_update(&prog, (double)(pos + n) / LULL_SAMPLE_RATE_HZ);
  }
  if (interrupted) {
    fprintf(stderr, "\nlull render: interrupted; nothing written\n");
    goto done;
  }
  lull__progress_finish(&prog);
  err = lull__audio_commit(w, &diag);
  w = NULL;
  if (err) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    goto done;
  }
  status = LULL_EXIT_OK;
done:
  lull__audio_abort(w);
  free(buf);
  lull_engine_destroy(engine);
  lull__phrase_free(&phrase);
  return status;
}
