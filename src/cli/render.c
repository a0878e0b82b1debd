/* lull render: composed music (params, seed, a timeline of changes) or an
 * explicit phrase file, to an audio file and optionally a MIDI file,
 * offline, as fast as the engine goes. The flags become a pump (stream/),
 * whose blocks go to the audio file; interrupted or failed renders leave
 * no file behind, and the audio and MIDI files appear together or not at
 * all. */
#include <math.h>
#include <signal.h>
#include <string.h>

#include "cli/cli.h"
#include "io/io.h"
#include "lull/lull.h"
#include "stream/stream.h"

#define BLOCK_FRAMES 4096 /* part of what a render is: the composer is asked up to each block's end */

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

/* A phrase or timeline file that did not load: its field, or the position
 * (the message then names the file itself). */
static int load_failed(const char *path, const lull_diag *diag) {
  if (diag->field[0]) fprintf(stderr, "lull render: %s: %s: %s\n", path, diag->field, diag->message);
  else fprintf(stderr, "lull render: %s\n", diag->message);
  return LULL_EXIT_FAIL;
}

static void help(FILE *f) {
  fputs("usage: lull render -o OUT [--minutes N] [--key K] [--mode M] [--bpm B] [--intensity I] [--palette P]\n"
        "                        [--seed S] [options]\n"
        "       lull render --phrase FILE.json -o OUT [options]\n"
        "\n"
        "Compose and render music (the first form), or render an explicit phrase\n"
        "(chords, melody, percussion; see README).\n"
        "\n"
        "  -o, --output OUT output file: .wav or .flac by extension; - writes WAV to stdout\n"
        "  --minutes N      length of composed music (0.01..1440; default 10)\n"
        "  --key K          C, C#, Db, ... B (default A)\n"
        "  --mode M         ionian (major), dorian, phrygian, lydian, mixolydian, aeolian (minor),\n"
        "                   pentatonic-major, pentatonic-minor (default aeolian)\n"
        "  --bpm B          30..180 (default 64)\n"
        "  --intensity I    0..1 (default 0.4)\n"
        "  --palette P      the sound world: classic, glass, strings, keys, night, tape\n"
        "                   (default classic; lull palettes describes each)\n"
        "  --timeline FILE  param changes at given seconds (JSON; see README)\n"
        "  --midi FILE.mid  also write the events as a standard MIDI file\n"
        "  --phrase FILE    render this phrase file instead of composing\n"
        "  --loops N        play the phrase N times back to back (1..100000; default 1)\n"
        "  --bits B         16 (dithered, default), 24, or float (WAV only)\n"
        "  --dry            no reverb and no delay\n"
        "  --fx SPEC        an LV2 effect on the master, after reverb and delay (or instead, with\n"
        "                   --dry), before the limiter: URI[,preset=P][,SYMBOL=VALUE...]; repeat\n"
        "                   for a chain of up to 8, in order (lull plugins lists them)\n"
        "  --instrument PART=SPEC  an LV2 instrument plays PART (pad, lead, kick, swell, hat, bass,\n"
        "                   air, bell) in place of its own voice, fed its notes as MIDI at their\n"
        "                   frame; SPEC as for --fx; repeat for other parts\n"
        "  --seed N         the piece's seed: the same seed and params give the same music (default 0)\n"
        "  --quiet          no progress bar (it is off anyway when stderr is not a terminal)\n"
        "  -h, --help       this text\n"
        "\n"
        "exit status: 0 done, 1 failed (nothing written), 2 usage error\n",
        f);
}

int lull__cmd_render(int argc, char **argv) {
  const char *phrase_path = NULL, *out_path = NULL, *midi_path = NULL, *timeline_path = NULL;
  uint64_t loops = 1, seed = 0;
  double minutes = 10;
  int dry = 0, quiet = 0, composed_flags = 0;
  const char *fx[8], *instrument[LULL_PART_COUNT] = {0};
  uint32_t fx_count = 0;
  lull_params params = lull_params_default();
  lull_diag diag = {{0}, {0}};
  lull_sample_format fmt = LULL_SAMPLE_PCM16;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    } else if (lull__flag_is(a, "--phrase")) {
      if (!(phrase_path = lull__flag_value("render", argc, argv, &i, "--phrase"))) return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--output") || strcmp(a, "-o") == 0) {
      if (!(out_path = lull__flag_value("render", argc, argv, &i, a[1] == 'o' ? "-o" : "--output"))) return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--loops")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--loops")) || lull__arg_u64("render", "--loops", v, 1, 100000, &loops))
        return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--seed")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--seed")) || lull__arg_u64("render", "--seed", v, 0, UINT64_MAX, &seed))
        return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--key") || lull__flag_is(a, "--mode") || lull__flag_is(a, "--bpm") || lull__flag_is(a, "--intensity") ||
               lull__flag_is(a, "--palette")) {
      const char *field = a + 2;
      char name[16];
      snprintf(name, sizeof name, "%.*s", (int)strcspn(field, "="), field);
      char flag[24];
      snprintf(flag, sizeof flag, "--%s", name);
      if (!(v = lull__flag_value("render", argc, argv, &i, flag))) return LULL_EXIT_USAGE;
      if (lull_params_set(&params, name, v, &diag)) {
        fprintf(stderr, "lull render: %s: %s\n", flag, diag.message);
        return LULL_EXIT_USAGE;
      }
      composed_flags = 1;
    } else if (lull__flag_is(a, "--minutes")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--minutes")) || lull__arg_double("render", "--minutes", v, 0.01, 1440, &minutes))
        return LULL_EXIT_USAGE;
      composed_flags = 1;
    } else if (lull__flag_is(a, "--timeline")) {
      if (!(timeline_path = lull__flag_value("render", argc, argv, &i, "--timeline"))) return LULL_EXIT_USAGE;
      composed_flags = 1;
    } else if (lull__flag_is(a, "--midi")) {
      if (!(midi_path = lull__flag_value("render", argc, argv, &i, "--midi"))) return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--bits")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--bits"))) return LULL_EXIT_USAGE;
      if (strcmp(v, "16") == 0) fmt = LULL_SAMPLE_PCM16;
      else if (strcmp(v, "24") == 0) fmt = LULL_SAMPLE_PCM24;
      else if (strcmp(v, "float") == 0 || strcmp(v, "32f") == 0) fmt = LULL_SAMPLE_FLOAT;
      else {
        fprintf(stderr, "lull render: --bits: expected 16, 24 or float, got \"%s\"\n", v);
        return LULL_EXIT_USAGE;
      }
    } else if (lull__flag_is(a, "--fx")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--fx"))) return LULL_EXIT_USAGE;
      if (fx_count == 8) {
        fprintf(stderr, "lull render: --fx: at most 8 effects\n");
        return LULL_EXIT_USAGE;
      }
      fx[fx_count++] = v;
    } else if (lull__flag_is(a, "--instrument")) {
      if (!(v = lull__flag_value("render", argc, argv, &i, "--instrument"))) return LULL_EXIT_USAGE;
      const char *spec;
      int part = lull__instrument_arg("render", v, &spec);
      if (part < 0) return LULL_EXIT_USAGE;
      if (instrument[part]) {
        fprintf(stderr, "lull render: --instrument: %s is given twice\n", lull_part_name(part));
        return LULL_EXIT_USAGE;
      }
      instrument[part] = spec;
    } else if (strcmp(a, "--dry") == 0) {
      dry = 1;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
      quiet = 1;
    } else {
      fprintf(stderr, "lull render: unknown option \"%s\" (lull render --help)\n", a);
      return LULL_EXIT_USAGE;
    }
  }
  if (!out_path) {
    fprintf(stderr, "lull render: -o OUT is required (lull render --help)\n");
    return LULL_EXIT_USAGE;
  }
  if (phrase_path && composed_flags) {
    fprintf(stderr, "lull render: --phrase plays a fixed phrase; --minutes, --key, --mode, --bpm, --intensity, "
                    "--palette and --timeline are for composed music, not both\n");
    return LULL_EXIT_USAGE;
  }
  if (midi_path && strcmp(midi_path, out_path) == 0) {
    fprintf(stderr, "lull render: --midi and -o both name %s; give the MIDI file its own name (like x.mid)\n", out_path);
    return LULL_EXIT_USAGE;
  }
  params.seed = seed;

  lull_phrase phrase = {0};
  lull_timeline timeline = {0};
  lull_midi_capture midi = {0};
  if (phrase_path && lull__phrase_load(phrase_path, LULL_SAMPLE_RATE_HZ, &phrase, &diag))
    return load_failed(phrase_path, &diag);
  if (timeline_path && lull__timeline_load(timeline_path, &params, LULL_SAMPLE_RATE_HZ, &timeline, &diag))
    return load_failed(timeline_path, &diag);
  lull_pump_config pc = {.params = params,
                         .timeline = &timeline,
                         .music_frames = phrase_path ? 0 : (uint64_t)llround(minutes * 60.0 * LULL_SAMPLE_RATE_HZ),
                         .phrase = phrase_path ? &phrase : NULL,
                         .loops = loops,
                         .block_frames = BLOCK_FRAMES,
                         .event_capacity = 1u << 16,
                         .dry = dry,
                         .fx = fx,
                         .fx_count = fx_count,
                         .tap = midi_path ? lull__midi_capture : NULL,
                         .tap_user = &midi};
  memcpy(pc.instrument, instrument, sizeof pc.instrument);
  lull_pump *pump = NULL;
  lull_audio_writer *w = NULL;
  lull_midi_file *mf = NULL;
  int status = LULL_EXIT_FAIL, err;
  if ((err = lull__pump_create(&pc, &pump, &diag))) {
    /* A plugin's URI, preset, symbol or value: bad input. */
    int fx_error = strcmp(diag.field, "fx") == 0, instr_error = strncmp(diag.field, "instrument.", 11) == 0;
    if (instr_error) fprintf(stderr, "lull render: --instrument %s: %s\n", diag.field + 11, diag.message);
    else fprintf(stderr, "lull render: %s: %s\n", fx_error ? "--fx" : diag.field, diag.message);
    fx_error |= instr_error;
    if (fx_error) status = LULL_EXIT_USAGE;
    goto done;
  }
  uint64_t total = lull__pump_total_frames(pump);
  /* Before the temporary file exists: an interruption at any moment after
   * leaves nothing behind. */
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (EPIPE), seen below */
  if ((err = lull__audio_open(out_path, fmt, LULL_SAMPLE_RATE_HZ, total, &w, &diag))) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    status = err == LULL_EFORMAT ? LULL_EXIT_USAGE : LULL_EXIT_FAIL;
    goto done;
  }
  /* The MIDI file's temporary file too, now: a --midi path that cannot be
   * written fails before the render, not after it. */
  if (midi_path && (err = lull__midi_open(midi_path, &mf, &diag))) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    goto done;
  }
  lull_progress prog;
  lull__progress_start(&prog, "render", (double)total / LULL_SAMPLE_RATE_HZ, quiet);
  float *block;
  size_t frames;
  uint64_t done_frames = 0;
  while (!interrupted) {
    if ((err = lull__pump_next(pump, &block, &frames, &diag)) || frames == 0 ||
        (err = lull__audio_write(w, block, frames, &diag)))
      break;
    done_frames += frames;
    for (char line[512]; lull__pump_take_fault(pump, line, sizeof line);) {
      if (prog.enabled) fputc('\n', stderr); /* off the progress bar's line */
      fprintf(stderr, "lull render: %s\n", line);
    }
    lull__progress_update(&prog, (double)done_frames / LULL_SAMPLE_RATE_HZ);
  }
  if (err && lull__audio_reader_gone(w)) {
    /* -o - into `head -c 100`: the reader took what it wanted and closed the
     * pipe, which is how a pipeline ends, not a failure (as with `yes | head`):
     * stop quietly, exit 0. A --midi file is not written: it would describe
     * a piece that was never rendered to its end. */
    if (prog.enabled) fputc('\n', stderr);
    status = LULL_EXIT_OK;
    goto done;
  }
  if (err) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    goto done;
  }
  if (interrupted) {
    fprintf(stderr, "\nlull render: interrupted; nothing written\n");
    goto done;
  }
  lull__progress_finish(&prog);
  /* Both files complete under their temporary names, then both renamed
   * into place, or neither. */
  if (mf && (err = lull__midi_finish(mf, midi.events, midi.count, LULL_SAMPLE_RATE_HZ, &diag))) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    goto done;
  }
  err = lull__audio_commit_with(w, mf, &diag);
  w = NULL;
  mf = NULL;
  if (err) {
    fprintf(stderr, "lull render: %s\n", diag.message);
    goto done;
  }
  status = LULL_EXIT_OK;
done:
  lull__midi_abort(mf);
  lull__audio_abort(w);
  lull__pump_destroy(pump);
  lull__midi_capture_free(&midi);
  lull__timeline_free(&timeline);
  lull__phrase_free(&phrase);
  return status;
}
