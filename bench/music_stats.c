/* music_stats: the figures of issue 19 ("Music that breathes") from a render
 * and its MIDI file, so that a change to the composer is judged by numbers
 * before and after: loudness (EBU R128) over time and split by where the
 * lead sounds, energy by band, each part's notes, the lead's melody, the
 * percussion and the pad's harmony. A table, or JSON; with --svg-prefix a
 * loudness SVG and a spectrogram PNG, written here without any library:
 *
 *   music_stats out/b45.flac --midi out/b45.mid --key A --mode aeolian --bpm 64 --svg-prefix docs/music-b45
 *
 * The analysis proper is music_analysis.c (tested); this file reads the
 * files, runs the FFT and draws. */
#include <ebur128.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "music_analysis.h"
#include "io/io.h"
#include "support/midi_read.h"
#include "support/signal.h"

#define FFT_N 8192     /* 5.9 Hz bins at 48 kHz: the bands below 100 Hz hold 17 of them */
#define FFT_HOP 4096   /* half overlap: the Blackman-Harris window weighs every sample */
#define SPEC_W 600     /* spectrogram pixels: time */
#define SPEC_H 200     /* and log frequency, SPEC_LO_HZ at the bottom to SPEC_HI_HZ */
#define SPEC_LO_HZ 50.0
#define SPEC_HI_HZ 16000.0
#define SPEC_RANGE_DB 90.0 /* colours span this far below the loudest pixel */
#define LEAD_TAIL_S 2.0    /* after a lead note, its release, delay and reverb: neither lead nor silent */
#define SVG_W 900
#define SVG_H 380

typedef struct options {
  const char *audio, *midi, *key, *mode, *svg_prefix;
  double bpm;
  int json;
} options;

/* What the audio file gives: levels every 100 ms (momentary from 0.4 s,
 * short-term from 3 s), the summed power spectrum and the spectrogram. */
typedef struct audio {
  double rate, seconds, step_s;
  int channels;
  double integrated, lra, lra_lo, lra_hi, true_peak_db;
  double *momentary, *short_term; /* value i ends at mom_t0 + i*step_s, st_t0 + i*step_s */
  size_t n_momentary, n_short_term;
  double mom_t0, st_t0;
  double band[MA_BANDS], centroid_hz;
  double *spec;       /* SPEC_W x SPEC_H mean power, column-major */
  size_t *spec_count; /* FFT frames per column */
} audio;

/* One track's notes, in onset order. */
typedef struct part {
  char name[32];
  int channel;
  midi_note *notes;
  size_t count;
} part;

typedef struct music {
  midi_file file;
  part *parts;
  int count;
  double bpm;
} music;

static void usage(FILE *f) {
  fprintf(f,
          "usage: music_stats AUDIO.(wav|flac) [--midi FILE.mid] [--key K] [--mode M] [--bpm B]\n"
          "                   [--svg-prefix P] [--json]\n"
          "\n"
          "Figures of a render and its MIDI file (lull render --midi): loudness (integrated, LRA, true\n"
          "peak, short-term every second, split by where the lead sounds), energy by band and spectral\n"
          "centroid; with --midi each track's notes by name (count, eighth-note grid, velocities, range),\n"
          "the lead's melody (intervals, phrases, endings, leaps, arcs, two-bar cells), kick, hats,\n"
          "swells, and the pad's harmony (chord lengths, range, bass motion).\n"
          "\n"
          "  --midi FILE      the render's MIDI file (without it: the audio figures only)\n"
          "  --key K          the key the piece was rendered in: C, C#, Db, ... B, or 0..11 (default A)\n"
          "  --mode M         ionian (major), dorian, phrygian, lydian, mixolydian, aeolian (minor),\n"
          "                   pentatonic-major, pentatonic-minor (default aeolian)\n"
          "  --bpm B          30..180 (default 64): the tempo when the MIDI file has no tempo map;\n"
          "                   a note on stderr if the file's differs (bars follow the file)\n"
          "  --svg-prefix P   also write P-loudness.svg (momentary and short-term loudness, the\n"
          "                   integrated level, the LRA band, where the lead sounds) and\n"
          "                   P-spectrogram.png (%d x %d, %.0f Hz..%.0f kHz on a log scale)\n"
          "  --json           the figures as one JSON object instead of a table\n"
          "  -h, --help       this text\n"
          "\n"
          "exit status: 0 done, 1 a file could not be read or written, 2 usage error\n",
          SPEC_W, SPEC_H, SPEC_LO_HZ, SPEC_HI_HZ / 1000);
}

static int bad(const char *arg, const char *what, const char *got) {
  fprintf(stderr, "music_stats: %s: %s, got \"%s\" (music_stats --help)\n", arg, what, got);
  return 2;
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){NULL, NULL, "A", "aeolian", NULL, 64, 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    }
    if (!strcmp(a, "--json")) {
      o->json = 1;
      continue;
    }
    const char **value = !strcmp(a, "--midi") ? &o->midi
                         : !strcmp(a, "--key") ? &o->key
                         : !strcmp(a, "--mode") ? &o->mode
                         : !strcmp(a, "--svg-prefix") ? &o->svg_prefix
                         : NULL;
    if (value || !strcmp(a, "--bpm")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "music_stats: %s needs a value (music_stats --help)\n", a);
        return 2;
      }
      const char *v = argv[++i];
      if (value) {
        *value = v;
        continue;
      }
      char *end;
      errno = 0;
      o->bpm = strtod(v, &end);
      if (errno || end == v || *end || !(o->bpm >= 30 && o->bpm <= 180))
        return bad("--bpm", "must be a tempo of 30..180 beats a minute", v);
      continue;
    }
    if (a[0] == '-' && a[1]) {
      fprintf(stderr, "music_stats: unknown option %s (music_stats --help)\n", a);
      return 2;
    }
    if (o->audio) {
      fprintf(stderr, "music_stats: AUDIO: one file only, but \"%s\" follows \"%s\" (music_stats --help)\n", a,
              o->audio);
      return 2;
    }
    o->audio = a;
  }
  if (!o->audio) {
    fprintf(stderr, "music_stats: AUDIO missing (music_stats --help)\n");
    return 2;
  }
  const char *dot = strrchr(o->audio, '.');
  if (!dot || (strcasecmp(dot, ".wav") && strcasecmp(dot, ".flac")))
    return bad("AUDIO", "must be a .wav or .flac file", o->audio);
  if (o->svg_prefix) {
    /* Before minutes of analysis: the pictures' folder must take files. */
    char dir[4096];
    const char *slash = strrchr(o->svg_prefix, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - o->svg_prefix) + 1 : 1, slash ? o->svg_prefix : ".");
    if (access(dir, W_OK)) {
      fprintf(stderr, "music_stats: --svg-prefix: cannot write into %s: %s\n", dir, strerror(errno));
      return 1;
    }
  }
  ma_key k;
  int e = ma_key_init(&k, o->key, o->mode);
  if (e == -1) return bad("--key", "must be a note name (C, C#, Db, D, ... B) or 0..11", o->key);
  if (e == -2)
    return bad("--mode",
               "must be ionian, major, dorian, phrygian, lydian, mixolydian, aeolian, minor, "
               "pentatonic-major or pentatonic-minor",
               o->mode);
  return 0;
}

/* ---- audio ---------------------------------------------------------------- */

/* One FFT frame (FFT_N frames at fb, interleaved) into the sums. */
static void fft_frame(audio *a, const float *fb, uint64_t start_frame, uint64_t total_frames, const double *window,
                      double *mag, double *power, double *frame_power) {
  memset(frame_power, 0, (FFT_N / 2 + 1) * sizeof *frame_power);
  for (int c = 0; c < a->channels; c++) {
    sig_spectrum_into(fb + c, FFT_N, (size_t)a->channels, window, mag);
    for (size_t k = 0; k <= FFT_N / 2; k++) frame_power[k] += mag[k] * mag[k];
  }
  for (size_t k = 0; k <= FFT_N / 2; k++) power[k] += frame_power[k];
  size_t col = (size_t)((start_frame + FFT_N / 2) * SPEC_W / total_frames);
  if (col >= SPEC_W) col = SPEC_W - 1;
  ma_log_rows(frame_power, FFT_N / 2 + 1, FFT_N, a->rate, SPEC_LO_HZ, SPEC_HI_HZ, a->spec + col * SPEC_H, SPEC_H);
  a->spec_count[col]++;
}

static int read_audio(const char *path, audio *a) {
  memset(a, 0, sizeof *a);
  SF_INFO info = {0};
  SNDFILE *sf = sf_open(path, SFM_READ, &info);
  if (!sf) {
    fprintf(stderr, "music_stats: AUDIO %s: %s\n", path, sf_strerror(NULL));
    return 1;
  }
  a->rate = info.samplerate, a->channels = info.channels;
  a->seconds = (double)info.frames / a->rate;
  if (info.frames < 3 * (sf_count_t)info.samplerate || info.frames < FFT_N) {
    fprintf(stderr, "music_stats: AUDIO %s: %.2f s long; short-term loudness needs 3 s at least\n", path,
            a->seconds);
    sf_close(sf);
    return 1;
  }
  size_t hop = (size_t)info.samplerate / 10, ch = (size_t)info.channels, steps = (size_t)info.frames / hop + 1;
  a->step_s = (double)hop / a->rate;
  a->mom_t0 = 4 * a->step_s, a->st_t0 = 30 * a->step_s;
  ebur128_state *st =
      ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                   EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_S | EBUR128_MODE_M);
  float *block = malloc(hop * ch * sizeof *block), *fb = malloc((FFT_N + hop) * ch * sizeof *fb);
  double *power = calloc(FFT_N / 2 + 1, sizeof *power), *frame_power = malloc((FFT_N / 2 + 1) * sizeof *frame_power);
  double *window = sig_window(FFT_N), *mag = malloc((FFT_N / 2 + 1) * sizeof *mag);
  a->momentary = malloc(steps * sizeof *a->momentary), a->short_term = malloc(steps * sizeof *a->short_term);
  a->spec = calloc((size_t)SPEC_W * SPEC_H, sizeof *a->spec), a->spec_count = calloc(SPEC_W, sizeof *a->spec_count);
  if (!st || !block || !fb || !power || !frame_power || !window || !mag || !a->momentary || !a->short_term ||
      !a->spec || !a->spec_count) {
    fprintf(stderr, "music_stats: out of memory\n");
    exit(1);
  }
  size_t fb_len = 0, blocks = 0;
  uint64_t fb_start = 0;
  sf_count_t got;
  while ((got = sf_readf_float(sf, block, (sf_count_t)hop)) > 0) {
    ebur128_add_frames_float(st, block, (size_t)got);
    if ((size_t)got == hop) {
      blocks++;
      double v;
      if (blocks >= 4 && ebur128_loudness_momentary(st, &v) == EBUR128_SUCCESS) a->momentary[a->n_momentary++] = v;
      if (blocks >= 30 && ebur128_loudness_shortterm(st, &v) == EBUR128_SUCCESS)
        a->short_term[a->n_short_term++] = v;
    }
    memcpy(fb + fb_len * ch, block, (size_t)got * ch * sizeof *fb);
    fb_len += (size_t)got;
    while (fb_len >= FFT_N) {
      fft_frame(a, fb, fb_start, (uint64_t)info.frames, window, mag, power, frame_power);
      memmove(fb, fb + FFT_HOP * ch, (fb_len - FFT_HOP) * ch * sizeof *fb);
      fb_len -= FFT_HOP, fb_start += FFT_HOP;
    }
  }
  if (sf_error(sf)) {
    fprintf(stderr, "music_stats: AUDIO %s: %s\n", path, sf_strerror(sf));
    exit(1);
  }
  sf_close(sf);
  ebur128_loudness_global(st, &a->integrated);
  ebur128_loudness_range(st, &a->lra);
  double peak = 0;
  for (unsigned c = 0; c < (unsigned)info.channels; c++) {
    double p;
    if (ebur128_true_peak(st, c, &p) == EBUR128_SUCCESS && p > peak) peak = p;
  }
  a->true_peak_db = 20 * log10(peak + 1e-30);
  ma_lra_bounds(a->short_term, a->n_short_term, &a->lra_lo, &a->lra_hi);
  ma_band_shares(power, FFT_N / 2 + 1, FFT_N, a->rate, a->band, &a->centroid_hz);
  /* Means; a column no frame fell in (a file of under SPEC_W frames) repeats the one before. */
  for (size_t c = 0; c < SPEC_W; c++)
    for (size_t r = 0; r < SPEC_H; r++)
      if (a->spec_count[c]) a->spec[c * SPEC_H + r] /= (double)a->spec_count[c];
      else if (c) a->spec[c * SPEC_H + r] = a->spec[(c - 1) * SPEC_H + r];
  ebur128_destroy(&st);
  free(block), free(fb), free(power), free(frame_power), free(window), free(mag);
  return 0;
}

static void free_audio(audio *a) { free(a->momentary), free(a->short_term), free(a->spec), free(a->spec_count); }

/* ---- MIDI ----------------------------------------------------------------- */

static int by_onset(const void *x, const void *y) {
  const midi_note *a = x, *b = y;
  if (a->on_tick != b->on_tick) return a->on_tick < b->on_tick ? -1 : 1;
  return a->note - b->note;
}

static int read_music(const char *path, double bpm, music *m) {
  memset(m, 0, sizeof *m);
  char err[128];
  if (midi_read(path, &m->file, err)) {
    fprintf(stderr, "music_stats: --midi %s: %s\n", path, err);
    return 1;
  }
  midi_file *f = &m->file;
  m->bpm = f->tempos ? 60e6 / f->tempo_first_us : bpm;
  if (!f->tempos) /* the reader assumed 120 bpm: the notes' seconds from --bpm */
    for (size_t i = 0; i < f->count; i++) {
      f->notes[i].on_s = (double)f->notes[i].on_tick * 60 / bpm / f->ppq;
      if (f->notes[i].off_s >= 0) f->notes[i].off_s = (double)f->notes[i].off_tick * 60 / bpm / f->ppq;
    }
  else if (fabs(m->bpm - bpm) > 0.01)
    fprintf(stderr, "music_stats: note: %s starts at %.2f bpm, not --bpm %.2f; beats and bars follow the file\n", path,
            m->bpm, bpm);
  m->parts = calloc((size_t)f->tracks + 1, sizeof *m->parts);
  if (!m->parts) exit(1);
  for (int t = 0; t < f->tracks; t++) {
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++) n += f->notes[i].track == t;
    if (!n) continue;
    part *p = &m->parts[m->count++];
    if (f->track_names[t][0]) snprintf(p->name, sizeof p->name, "%s", f->track_names[t]);
    else snprintf(p->name, sizeof p->name, "track %d", t);
    p->notes = malloc(n * sizeof *p->notes);
    if (!p->notes) exit(1);
    for (size_t i = 0; i < f->count; i++)
      if (f->notes[i].track == t) p->notes[p->count++] = f->notes[i];
    qsort(p->notes, n, sizeof *p->notes, by_onset);
    p->channel = p->notes[0].channel;
  }
  return 0;
}

static const part *find_part(const music *m, const char *name) {
  for (int i = 0; i < m->count; i++)
    if (!strcmp(m->parts[i].name, name)) return &m->parts[i];
  return NULL;
}

static void free_music(music *m) {
  for (int i = 0; i < m->count; i++) free(m->parts[i].notes);
  free(m->parts);
  midi_free(&m->file);
}

/* ---- every figure --------------------------------------------------------- */

typedef struct figures {
  audio a;
  int have_midi;
  music m;
  ma_key key;
  ma_part *parts;
  ma_split split_st, split_m;
  const part *lead, *pad, *kick, *hat, *swell;
  ma_lead melody;
  ma_harmony harmony;
  ma_kick kicks;
  double hat_share[MA_HAT_DIVISIONS];
  int hat_positions;
  ma_summary swell_gaps, st_summary;
  double *st_seconds; /* short-term loudness every second */
  size_t n_st_seconds;
} figures;

static void measure(figures *g, const options *o) {
  ma_key_init(&g->key, o->key, o->mode);
  audio *a = &g->a;
  /* Every tenth 100 ms value: short-term loudness each second. */
  g->st_seconds = malloc((a->n_short_term / 10 + 1) * sizeof *g->st_seconds);
  if (!g->st_seconds) exit(1);
  for (size_t i = 0; i < a->n_short_term; i += 10) g->st_seconds[g->n_st_seconds++] = a->short_term[i];
  ma_summarise(g->st_seconds, g->n_st_seconds, &g->st_summary);
  if (!g->have_midi) return;
  music *m = &g->m;
  g->parts = calloc((size_t)m->count + 1, sizeof *g->parts);
  if (!g->parts) exit(1);
  for (int i = 0; i < m->count; i++)
    ma_part_measure(m->parts[i].notes, m->parts[i].count, m->file.ppq, &g->key, &g->parts[i]);
  g->lead = find_part(m, "lead"), g->pad = find_part(m, "pad"), g->kick = find_part(m, "kick");
  g->hat = find_part(m, "hat"), g->swell = find_part(m, "swell");
  const midi_note *lead = g->lead ? g->lead->notes : NULL;
  size_t nlead = g->lead ? g->lead->count : 0;
  ma_loudness_split(g->st_seconds, g->n_st_seconds, a->st_t0, 10 * a->step_s, 3.0, lead, nlead, LEAD_TAIL_S,
                    &g->split_st);
  ma_loudness_split(a->momentary, a->n_momentary, a->mom_t0, a->step_s, 0.4, lead, nlead, LEAD_TAIL_S, &g->split_m);
  uint64_t *starts = malloc((nlead + 1) * sizeof *starts);
  if (!starts) exit(1);
  size_t phrases = ma_phrase_starts(lead, nlead, m->file.ppq, starts);
  if (g->lead) ma_lead_measure(lead, nlead, m->file.ppq, &g->key, &g->melody);
  if (g->pad)
    ma_harmony_measure(g->pad->notes, g->pad->count, m->file.ppq, &g->key, starts, phrases, &g->harmony);
  free(starts);
  if (g->kick) ma_kick_measure(g->kick->notes, g->kick->count, m->file.ppq, m->file.end_tick, &g->kicks);
  if (g->hat) g->hat_positions = ma_beat_positions(g->hat->notes, g->hat->count, m->file.ppq, g->hat_share);
  if (g->swell) ma_onset_gaps(g->swell->notes, g->swell->count, &g->swell_gaps);
}

/* ---- the table -------------------------------------------------------------- */

static double pct(double share) { return 100 * share; }

static void print_table(const figures *g, const options *o) {
  const audio *a = &g->a;
  char lo[8], hi[8];
  printf("music_stats %s: %.1f min, %.0f Hz, %d channel%s; key %s %s\n", o->audio, a->seconds / 60, a->rate,
         a->channels, a->channels == 1 ? "" : "s", o->key, o->mode);
  if (g->have_midi)
    printf("  MIDI %s: %d tracks, %d ticks a beat, %.2f bpm (%zu tempo change%s, %.2f..%.2f)\n", o->midi,
           g->m.file.tracks, g->m.file.ppq, g->m.bpm, g->m.file.tempos, g->m.file.tempos == 1 ? "" : "s",
           60e6 / g->m.file.tempo_max_us, 60e6 / g->m.file.tempo_min_us);
  printf("\nAudio\n");
  printf("  integrated loudness            %7.1f LUFS\n", a->integrated);
  printf("  loudness range (LRA)           %7.1f LU   (short-term 10th..95th percentile %.1f..%.1f LUFS)\n", a->lra,
         a->lra_lo, a->lra_hi);
  printf("  true peak                      %7.1f dBTP\n", a->true_peak_db);
  printf("  short-term (3 s) each second   min %.1f, median %.1f, max %.1f LUFS (%zu values; --json lists them)\n",
         g->st_summary.min, g->st_summary.median, g->st_summary.max, g->st_summary.n);
  if (g->have_midi) {
    const ma_split *s = &g->split_st;
    printf("  short-term, lead sounding      %7.1f LUFS (%zu s)\n", s->with_lufs, s->with);
    printf("  short-term, lead silent        %7.1f LUFS (%zu s; %.0f s after a lead note counts as neither)\n",
           s->without_lufs, s->without, LEAD_TAIL_S);
    printf("  lead sounding - lead silent    %7.1f LU   (momentary, 400 ms: %.1f - %.1f = %.1f LU)\n", s->diff_lu,
           g->split_m.with_lufs, g->split_m.without_lufs, g->split_m.diff_lu);
  }
  printf("  energy by band (Hz)           ");
  for (int b = 0; b < MA_BANDS; b++)
    printf(" %s %.1f %%%s", ma_band_names[b], pct(a->band[b]), b + 1 < MA_BANDS ? "," : "\n");
  printf("  energy above 2.5 kHz           %7.2f %%\n", pct(a->band[4] + a->band[5]));
  printf("  spectral centroid              %7.0f Hz\n", a->centroid_hz);
  if (!g->have_midi) return;

  printf("\nParts        notes  on 1/8 grid  velocity mean   sd  distinct  pitch range  in scale  length s (sd)\n");
  for (int i = 0; i < g->m.count; i++) {
    const ma_part *p = &g->parts[i];
    int drums = g->m.parts[i].channel == 9;
    printf("  %-10s %6zu  %9.1f %%  %13.1f %4.1f  %8d  %5s..%-5s  ", g->m.parts[i].name, p->notes, pct(p->on_grid),
           p->vel_mean, p->vel_sd, p->vel_distinct, ma_note_name(p->pitch_lo, lo), ma_note_name(p->pitch_hi, hi));
    if (drums) printf("%8s  ", "drums");
    else printf("%6.1f %%  ", pct(p->in_scale));
    printf("%.2f (%.2f)\n", p->dur_mean_s, p->dur_sd_s);
  }

  if (g->lead) {
    const ma_lead *l = &g->melody;
    printf("\nLead melody (a phrase ends at a silence of a beat or more)\n");
    printf("  intervals within phrases       %zu: repeated %.1f %%, 1-2 st %.1f %%, 3-4 st %.1f %%, 5-9 st %.1f %%, "
           ">9 st %.1f %%\n",
           l->intervals, pct(l->repeat), pct(l->step), pct(l->third), pct(l->leap), pct(l->wide));
    printf("  phrases                        %zu: notes mean %.1f, max %zu; seconds mean %.1f, max %.1f\n", l->phrases,
           l->notes_mean, l->notes_max, l->phrase_mean_s, l->phrase_max_s);
    printf("  phrase endings                 on the tonic %.1f %%, on degrees 1/3/5 %.1f %%\n", pct(l->end_tonic),
           pct(l->end_stable));
    printf("  leaps of 5+ st then a step back %.1f %% of %zu (leaps followed by a note in the phrase)\n",
           pct(l->leap_recovered), l->leaps);
    printf("  arcs: highest note in third    first %.1f %%, middle %.1f %%, last %.1f %% (%zu phrases of 3+ notes; "
           "variety %.2f of 1)\n",
           pct(l->peak_third[0]), pct(l->peak_third[1]), pct(l->peak_third[2]), l->arcs, l->arc_variety);
    printf("  two-bar cells heard before     %.1f %% of %zu non-empty windows; %.1f %% of %zu with 3+ notes\n",
           pct(l->cells_recur), l->windows, pct(l->cells3_recur), l->windows3);
  }
  if (g->kick || g->hat || g->swell) printf("\nPercussion\n");
  if (g->kick)
    printf("  kick                           in %.1f %% of %zu bars; longest run %zu bars (%.1f min)\n",
           pct(g->kicks.share), g->kicks.bars, g->kicks.longest_run,
           (double)g->kicks.longest_run * MA_BEATS_PER_BAR * 60 / g->m.bpm / 60);
  if (g->hat) {
    printf("  hat positions in the beat      %d used:", g->hat_positions);
    for (int d = 0; d < MA_HAT_DIVISIONS; d++) {
      if (g->hat_share[d] <= 0) continue;
      int num = d, den = MA_HAT_DIVISIONS;
      for (int q = 2; q <= num;) /* the fraction in lowest terms */
        if (num % q == 0 && den % q == 0) num /= q, den /= q;
        else q++;
      if (num) printf(" %d/%d", num, den);
      else printf(" 0");
      printf(" (%.1f %%)", pct(g->hat_share[d]));
    }
    printf("\n");
  }
  if (g->swell) {
    int idx = (int)(g->swell - g->m.parts);
    printf("  swell onsets apart             mean %.1f s, sd %.1f s (min %.1f, max %.1f); %d velocit%s\n",
           g->swell_gaps.mean, g->swell_gaps.sd, g->swell_gaps.min, g->swell_gaps.max, g->parts[idx].vel_distinct,
           g->parts[idx].vel_distinct == 1 ? "y" : "ies");
  }
  if (g->pad) {
    const ma_harmony *h = &g->harmony;
    printf("\nHarmony (pad: onsets within %.0f ms make a chord)\n", MA_CHORD_GROUP_S * 1000);
    printf("  chords                         %zu: lasting min %.1f, median %.1f, max %.1f s = %.2f, %.2f, %.2f bars; "
           "%.1f %% whole bars\n",
           h->chords, h->dur_s.min, h->dur_s.median, h->dur_s.max, h->dur_bars.min, h->dur_bars.median,
           h->dur_bars.max, pct(h->whole_bars));
    printf("  pad range                      %s..%s\n", ma_note_name(h->lo, lo), ma_note_name(h->hi, hi));
    printf("  bass (lowest pad note) moves   %zu: held %.1f %%, 1-2 st %.1f %%, 3-4 st %.1f %%, 5+ st %.1f %%\n",
           h->moves, pct(h->bass_same), pct(h->bass_step), pct(h->bass_third), pct(h->bass_leap));
    printf("  on the tonic chord             %.1f %% of %zu 8-bar lines; %.1f %% of %zu lead phrase starts\n",
           pct(h->tonic_lines), h->lines, pct(h->tonic_phrases), h->phrases_over_pad);
  }
}

/* ---- JSON ------------------------------------------------------------------ */

typedef struct json {
  int depth, first;
} json;

/* A string in quotes: names come from the MIDI file, paths from the user. */
static void j_quoted(const char *v) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  putchar('"');
}
static void j_key(json *j, const char *k) {
  printf("%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
  if (k) j_quoted(k), printf(": ");
  j->first = 0;
}
static void j_open(json *j, const char *k, char c) {
  j_key(j, k);
  putchar(c);
  j->depth++, j->first = 1;
}
static void j_close(json *j, char c) {
  j->depth--;
  printf("\n%*s%c", 2 * j->depth, "", c);
  j->first = 0;
}
static void j_num(json *j, const char *k, double v) {
  j_key(j, k);
  if (isfinite(v)) printf("%.6g", v);
  else printf("null");
}
static void j_str(json *j, const char *k, const char *v) {
  j_key(j, k);
  j_quoted(v);
}
static void j_summary(json *j, const char *k, const ma_summary *s) {
  j_open(j, k, '{');
  j_num(j, "n", (double)s->n), j_num(j, "mean", s->mean), j_num(j, "sd", s->sd), j_num(j, "min", s->min);
  j_num(j, "median", s->median), j_num(j, "max", s->max);
  j_close(j, '}');
}

static void print_json(const figures *g, const options *o) {
  const audio *a = &g->a;
  json j = {0, 1};
  char name[8];
  printf("{");
  j.depth = 1;
  j_str(&j, "audio_file", o->audio);
  j_str(&j, "key", o->key), j_str(&j, "mode", o->mode);
  j_open(&j, "audio", '{');
  j_num(&j, "seconds", a->seconds), j_num(&j, "rate_hz", a->rate), j_num(&j, "channels", a->channels);
  j_num(&j, "integrated_lufs", a->integrated), j_num(&j, "lra_lu", a->lra);
  j_num(&j, "lra_low_lufs", a->lra_lo), j_num(&j, "lra_high_lufs", a->lra_hi);
  j_num(&j, "true_peak_dbtp", a->true_peak_db);
  if (g->have_midi) {
    j_num(&j, "lead_sounding_lufs", g->split_st.with_lufs), j_num(&j, "lead_sounding_s", (double)g->split_st.with);
    j_num(&j, "lead_silent_lufs", g->split_st.without_lufs), j_num(&j, "lead_silent_s", (double)g->split_st.without);
    j_num(&j, "lead_difference_lu", g->split_st.diff_lu);
    j_num(&j, "momentary_lead_sounding_lufs", g->split_m.with_lufs);
    j_num(&j, "momentary_lead_silent_lufs", g->split_m.without_lufs);
    j_num(&j, "momentary_lead_difference_lu", g->split_m.diff_lu);
  }
  j_open(&j, "band_shares", '{');
  for (int b = 0; b < MA_BANDS; b++) j_num(&j, ma_band_names[b], a->band[b]);
  j_close(&j, '}');
  j_num(&j, "share_above_2500_hz", a->band[4] + a->band[5]);
  j_num(&j, "spectral_centroid_hz", a->centroid_hz);
  j_summary(&j, "short_term_summary_lufs", &g->st_summary);
  j_num(&j, "short_term_first_s", a->st_t0);
  j_key(&j, "short_term_lufs_each_second");
  printf("[");
  for (size_t i = 0; i < g->n_st_seconds; i++)
    printf(isfinite(g->st_seconds[i]) ? "%s%.2f" : "%snull", i ? "," : "", g->st_seconds[i]);
  printf("]");
  j_close(&j, '}');
  if (g->have_midi) {
    j_str(&j, "midi_file", o->midi);
    j_num(&j, "ppq", g->m.file.ppq), j_num(&j, "bpm", g->m.bpm), j_num(&j, "tempo_changes", (double)g->m.file.tempos);
    j_open(&j, "parts", '{');
    for (int i = 0; i < g->m.count; i++) {
      const ma_part *p = &g->parts[i];
      j_open(&j, g->m.parts[i].name, '{');
      j_num(&j, "channel", g->m.parts[i].channel + 1), j_num(&j, "notes", (double)p->notes);
      j_num(&j, "on_eighth_grid", p->on_grid), j_num(&j, "velocity_mean", p->vel_mean);
      j_num(&j, "velocity_sd", p->vel_sd), j_num(&j, "velocity_distinct", p->vel_distinct);
      j_num(&j, "pitch_low", p->pitch_lo), j_num(&j, "pitch_high", p->pitch_hi);
      j_str(&j, "pitch_low_name", ma_note_name(p->pitch_lo, name));
      j_str(&j, "pitch_high_name", ma_note_name(p->pitch_hi, name));
      j_num(&j, "in_scale", p->in_scale), j_num(&j, "length_mean_s", p->dur_mean_s);
      j_num(&j, "length_sd_s", p->dur_sd_s);
      j_close(&j, '}');
    }
    j_close(&j, '}');
    if (g->lead) {
      const ma_lead *l = &g->melody;
      j_open(&j, "lead", '{');
      j_num(&j, "intervals", (double)l->intervals), j_num(&j, "repeated", l->repeat), j_num(&j, "step_1_2", l->step);
      j_num(&j, "third_3_4", l->third), j_num(&j, "leap_5_9", l->leap), j_num(&j, "leap_over_9", l->wide);
      j_num(&j, "phrases", (double)l->phrases), j_num(&j, "phrase_notes_mean", l->notes_mean);
      j_num(&j, "phrase_notes_max", (double)l->notes_max), j_num(&j, "phrase_mean_s", l->phrase_mean_s);
      j_num(&j, "phrase_max_s", l->phrase_max_s), j_num(&j, "endings_on_tonic", l->end_tonic);
      j_num(&j, "endings_on_1_3_5", l->end_stable), j_num(&j, "leaps_followed", (double)l->leaps);
      j_num(&j, "leaps_recovered_by_step", l->leap_recovered), j_num(&j, "arcs", (double)l->arcs);
      j_num(&j, "peak_in_first_third", l->peak_third[0]), j_num(&j, "peak_in_middle_third", l->peak_third[1]);
      j_num(&j, "peak_in_last_third", l->peak_third[2]), j_num(&j, "arc_variety", l->arc_variety);
      j_num(&j, "two_bar_windows", (double)l->windows), j_num(&j, "two_bar_cells_recur", l->cells_recur);
      j_num(&j, "two_bar_windows_3_notes", (double)l->windows3);
      j_num(&j, "two_bar_cells_3_notes_recur", l->cells3_recur);
      j_close(&j, '}');
    }
    if (g->kick) {
      j_open(&j, "kick", '{');
      j_num(&j, "bars", (double)g->kicks.bars), j_num(&j, "bars_with_kick", (double)g->kicks.bars_with);
      j_num(&j, "share_of_bars", g->kicks.share), j_num(&j, "longest_run_bars", (double)g->kicks.longest_run);
      j_close(&j, '}');
    }
    if (g->hat) {
      j_open(&j, "hat", '{');
      j_num(&j, "positions_used", g->hat_positions);
      j_key(&j, "share_by_24th_of_beat");
      printf("[");
      for (int d = 0; d < MA_HAT_DIVISIONS; d++) printf("%s%.4g", d ? "," : "", g->hat_share[d]);
      printf("]");
      j_close(&j, '}');
    }
    if (g->swell) {
      j_open(&j, "swell", '{');
      j_summary(&j, "onset_gap_s", &g->swell_gaps);
      j_num(&j, "velocity_distinct", g->parts[g->swell - g->m.parts].vel_distinct);
      j_close(&j, '}');
    }
    if (g->pad) {
      const ma_harmony *h = &g->harmony;
      j_open(&j, "harmony", '{');
      j_num(&j, "chords", (double)h->chords);
      j_summary(&j, "chord_s", &h->dur_s), j_summary(&j, "chord_bars", &h->dur_bars);
      j_num(&j, "whole_bars", h->whole_bars), j_num(&j, "pad_low", h->lo), j_num(&j, "pad_high", h->hi);
      j_num(&j, "bass_moves", (double)h->moves), j_num(&j, "bass_held", h->bass_same);
      j_num(&j, "bass_step_1_2", h->bass_step), j_num(&j, "bass_third_3_4", h->bass_third);
      j_num(&j, "bass_leap_5_up", h->bass_leap), j_num(&j, "lead_phrases_over_pad", (double)h->phrases_over_pad);
      j_num(&j, "lead_phrases_on_tonic_chord", h->tonic_phrases);
      j_num(&j, "eight_bar_lines", (double)h->lines), j_num(&j, "eight_bar_lines_on_tonic_chord", h->tonic_lines);
      j_close(&j, '}');
    }
  }
  printf("\n}\n");
}

/* ---- pictures -------------------------------------------------------------- */

#define PLOT_X0 70.0
#define PLOT_X1 880.0
#define PLOT_Y0 50.0
#define PLOT_Y1 310.0
#define LUFS_TOP -5.0
#define LUFS_BOTTOM -55.0 /* fixed, so that pictures before and after compare */

static double y_of(double lufs) {
  double v = isfinite(lufs) ? lufs : LUFS_BOTTOM;
  v = v > LUFS_TOP ? LUFS_TOP : v < LUFS_BOTTOM ? LUFS_BOTTOM : v;
  return PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * (v - LUFS_BOTTOM) / (LUFS_TOP - LUFS_BOTTOM);
}

static double x_of(double t_s, double seconds) { return PLOT_X0 + (PLOT_X1 - PLOT_X0) * t_s / seconds; }

static int write_loudness_svg(const char *path, const figures *g, const options *o) {
  const audio *a = &g->a;
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "font-family=\"sans-serif\">\n"
          "<style>.title{font-size:14px;fill:#222}.label{font-size:11px;fill:#555}.frame{fill:#fff;stroke:#999}"
          ".grid{stroke:#e4e4e4}.st{fill:none;stroke:#1f4e8c;stroke-width:1.2}.mom{fill:#9cc3ea;stroke:none}"
          ".lra{fill:#f3c98b;fill-opacity:0.45}.int{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:6 4}"
          ".lead{fill:#3a9a5b}</style>\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
          "<text x=\"%.0f\" y=\"22\" class=\"title\">loudness of %s: integrated %.1f LUFS, LRA %.1f LU, "
          "true peak %.1f dBTP</text>\n",
          SVG_W, SVG_H, SVG_W, SVG_H, PLOT_X0, o->audio, a->integrated, a->lra, a->true_peak_db);
  fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"frame\"/>\n", PLOT_X0, PLOT_Y0,
          PLOT_X1 - PLOT_X0, PLOT_Y1 - PLOT_Y0);
  for (double v = LUFS_BOTTOM; v <= LUFS_TOP + 1e-9; v += 10) {
    fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n", PLOT_X0, PLOT_X1, y_of(v),
            y_of(v));
    fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">%.0f LUFS</text>\n", PLOT_X0 - 6,
            y_of(v) + 4, v);
  }
  double minutes = a->seconds / 60, tick = minutes > 40 ? 10 : minutes > 12 ? 5 : minutes > 4 ? 1 : 0.5;
  for (double m = 0; m <= minutes + 1e-9; m += tick)
    fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"label\" text-anchor=\"middle\">%g min</text>\n",
            x_of(m * 60, a->seconds), PLOT_Y1 + 32, m);
  /* The LRA band (10th..95th percentile of gated short-term values). */
  if (isfinite(a->lra_lo) && isfinite(a->lra_hi))
    fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" class=\"lra\"/>\n", PLOT_X0,
            y_of(a->lra_hi), PLOT_X1 - PLOT_X0, y_of(a->lra_lo) - y_of(a->lra_hi));
  /* Momentary loudness as its range within each pixel column: 36000 values an hour would be a heavy line. */
  int cols = (int)(PLOT_X1 - PLOT_X0);
  double *mx = malloc((size_t)cols * sizeof *mx), *mn = malloc((size_t)cols * sizeof *mn);
  if (!mx || !mn) exit(1);
  for (int c = 0; c < cols; c++) mx[c] = -HUGE_VAL, mn[c] = HUGE_VAL;
  for (size_t i = 0; i < a->n_momentary; i++) {
    int c = (int)((a->mom_t0 + (double)i * a->step_s) / a->seconds * cols);
    if (c >= cols) c = cols - 1;
    double v = a->momentary[i] > LUFS_BOTTOM ? a->momentary[i] : LUFS_BOTTOM;
    if (v > mx[c]) mx[c] = v;
    if (v < mn[c]) mn[c] = v;
  }
  fprintf(f, "<polygon class=\"mom\" points=\"");
  for (int c = 0; c < cols; c++)
    if (isfinite(mx[c])) fprintf(f, "%.0f,%.1f ", PLOT_X0 + c + 0.5, y_of(mx[c]));
  for (int c = cols - 1; c >= 0; c--)
    if (isfinite(mn[c])) fprintf(f, "%.0f,%.1f ", PLOT_X0 + c + 0.5, y_of(mn[c]));
  fprintf(f, "\"/>\n");
  free(mx), free(mn);
  fprintf(f, "<polyline class=\"st\" points=\"");
  for (size_t i = 0; i < g->n_st_seconds; i++)
    fprintf(f, "%.1f,%.1f ", x_of(a->st_t0 + (double)i, a->seconds), y_of(g->st_seconds[i]));
  fprintf(f, "\"/>\n");
  fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"int\"/>\n", PLOT_X0, PLOT_X1,
          y_of(a->integrated), y_of(a->integrated));
  /* Where the lead sounds: its notes, joined across gaps under a second. */
  if (g->lead) {
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"label\" text-anchor=\"end\">lead</text>\n", PLOT_X0 - 6,
            PLOT_Y1 + 16);
    const midi_note *n = g->lead->notes;
    for (size_t i = 0; i < g->lead->count;) {
      double on = n[i].on_s, off = n[i].off_s > on ? n[i].off_s : on;
      for (i++; i < g->lead->count && n[i].on_s < off + 1; i++)
        if (n[i].off_s > off) off = n[i].off_s;
      double x0 = x_of(on, a->seconds), x1 = x_of(off, a->seconds);
      fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"8\" class=\"lead\"/>\n", x0, PLOT_Y1 + 8,
              x1 - x0 > 0.5 ? x1 - x0 : 0.5);
    }
  }
  fprintf(f,
          "<text x=\"%.0f\" y=\"%d\" class=\"label\">light blue: momentary loudness (400 ms), its range in each pixel; "
          "dark blue: short-term (3 s) each second; red dashes: integrated;</text>\n"
          "<text x=\"%.0f\" y=\"%d\" class=\"label\">orange band: the loudness range (10th..95th percentile of gated "
          "short-term values, %.1f..%.1f LUFS); green: where the lead sounds (MIDI).</text>\n</svg>\n",
          PLOT_X0, SVG_H - 24, PLOT_X0, SVG_H - 8, a->lra_lo, a->lra_hi);
  return fclose(f) ? -1 : 0;
}

/* An inferno-like ramp (dark to bright), palette entries 0..254; 255 marks
 * the grid. */
static void palette(unsigned char rgb[256 * 3]) {
  static const double stops[][4] = {{0.00, 0, 0, 4},       {0.25, 87, 16, 110},  {0.50, 188, 55, 84},
                                    {0.75, 249, 142, 9},  {1.00, 252, 255, 164}};
  for (int i = 0; i < 255; i++) {
    double x = i / 254.0;
    int s = 0;
    while (s < 3 && x > stops[s + 1][0]) s++;
    double u = (x - stops[s][0]) / (stops[s + 1][0] - stops[s][0]);
    for (int c = 0; c < 3; c++)
      rgb[i * 3 + c] = (unsigned char)lround(stops[s][c + 1] * (1 - u) + stops[s + 1][c + 1] * u);
  }
  rgb[255 * 3] = rgb[255 * 3 + 1] = rgb[255 * 3 + 2] = 200;
}

static int write_spectrogram(const char *path, const audio *a) {
  static unsigned char px[SPEC_W * SPEC_H];
  unsigned char rgb[256 * 3];
  palette(rgb);
  double top = -HUGE_VAL;
  for (size_t i = 0; i < (size_t)SPEC_W * SPEC_H; i++)
    if (a->spec[i] > 0 && 10 * log10(a->spec[i]) > top) top = 10 * log10(a->spec[i]);
  for (int x = 0; x < SPEC_W; x++)
    for (int r = 0; r < SPEC_H; r++) {
      double p = a->spec[(size_t)x * SPEC_H + (size_t)r];
      double db = p > 0 ? 10 * log10(p) - top : -SPEC_RANGE_DB, u = 1 + db / SPEC_RANGE_DB;
      u = u < 0 ? 0 : u > 1 ? 1 : u;
      px[(SPEC_H - 1 - r) * SPEC_W + x] = (unsigned char)lround(u * 254);
    }
  /* Dotted lines at 100 Hz, 1 kHz and 10 kHz; ticks at the bottom every 10 minutes (1 under 20 minutes). */
  for (double hz = 100; hz < SPEC_HI_HZ; hz *= 10) {
    int r = (int)lround(log(hz / SPEC_LO_HZ) / log(SPEC_HI_HZ / SPEC_LO_HZ) * SPEC_H);
    for (int x = 0; x < SPEC_W; x += 6) px[(SPEC_H - 1 - r) * SPEC_W + x] = px[(SPEC_H - 1 - r) * SPEC_W + x + 1] = 255;
  }
  double every_s = a->seconds >= 20 * 60 ? 600 : 60;
  for (double t = every_s; t < a->seconds; t += every_s) {
    int x = (int)(t / a->seconds * SPEC_W);
    for (int y = SPEC_H - 6; y < SPEC_H; y++) px[y * SPEC_W + x] = 255;
  }
  return lull__png_write(path, px, SPEC_W, SPEC_H, rgb, 256);
}

int main(int argc, char **argv) {
  options o;
  int e = parse_args(argc, argv, &o);
  if (e) return e;
  static figures g;
  if (read_audio(o.audio, &g.a)) return 1;
  if (o.midi) {
    if (read_music(o.midi, o.bpm, &g.m)) return 1;
    g.have_midi = 1;
  }
  measure(&g, &o);
  if (o.json) print_json(&g, &o);
  else print_table(&g, &o);
  int status = 0;
  if (o.svg_prefix) {
    size_t len = strlen(o.svg_prefix) + 32;
    char *svg = malloc(len), *png = malloc(len);
    if (!svg || !png) return 1;
    snprintf(svg, len, "%s-loudness.svg", o.svg_prefix);
    snprintf(png, len, "%s-spectrogram.png", o.svg_prefix);
    if (write_loudness_svg(svg, &g, &o)) {
      fprintf(stderr, "music_stats: --svg-prefix: cannot write %s: %s\n", svg, strerror(errno));
      status = 1;
    }
    if (write_spectrogram(png, &g.a)) {
      fprintf(stderr, "music_stats: --svg-prefix: cannot write %s: %s\n", png, strerror(errno));
      status = 1;
    }
    if (!status && !o.json) printf("\nwrote %s and %s\n", svg, png);
    free(svg), free(png);
  }
  free(g.parts), free(g.st_seconds);
  free_audio(&g.a);
  if (g.have_midi) free_music(&g.m);
  return status;
}
