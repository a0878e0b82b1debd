/* soak_plot: the soak's CSV (bench/soak.c) drawn as an SVG, four panels
 * over the run's minutes: the server's memory (RSS), its descriptors, its
 * CPU (% of a core over each 10 s) and its listeners. Plain SVG written
 * here, so that anyone with the CSV can draw the picture again:
 *
 *   soak_plot soak.csv docs/reliability-soak.svg */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 10000
#define W 900
#define PANEL_H 150
#define LEFT 80
#define RIGHT 20
#define TOP 60
#define GAP 40

typedef struct series {
  const char *title, *unit;
  double v[MAX_ROWS];
} series;

static double t_min[MAX_ROWS];
static series panels[4] = {{"memory (RSS)", "MiB", {0}},
                           {"open descriptors", "", {0}},
                           {"CPU, % of a core over each sample", "%", {0}},
                           {"listeners", "", {0}}};

static void panel(FILE *f, const series *s, int n, int index) {
  double lo = s->v[0], hi = s->v[0];
  for (int i = 1; i < n; i++) {
    if (s->v[i] < lo) lo = s->v[i];
    if (s->v[i] > hi) hi = s->v[i];
  }
  /* A flat line sits mid-panel; a scale from 0 shows a drift at its size. */
  if (lo > 0) lo = 0;
  if (hi <= lo) hi = lo + 1;
  hi *= 1.1;
  double x0 = LEFT, x1 = W - RIGHT, y0 = TOP + index * (PANEL_H + GAP), y1 = y0 + PANEL_H;
  double tmax = n > 1 && t_min[n - 1] > 0 ? t_min[n - 1] : 1;
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"title\">%s</text>\n", x0, y0 - 8, s->title);
  fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%d\" class=\"frame\"/>\n", x0, y0, x1 - x0, PANEL_H);
  for (int k = 0; k <= 4; k++) {
    double v = lo + (hi - lo) * k / 4, y = y1 - (y1 - y0) * k / 4;
    fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n", x0, x1, y, y);
    fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">%.*f%s%s</text>\n", x0 - 6, y + 4,
            hi - lo < 10 ? 1 : 0, v, s->unit[0] ? " " : "", s->unit);
  }
  for (int k = 0; k <= 6; k++) {
    double x = x0 + (x1 - x0) * k / 6;
    fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"label\" text-anchor=\"middle\">%.*f min</text>\n", x, y1 + 14,
            tmax < 6 ? 1 : 0, tmax * k / 6);
  }
  fprintf(f, "<polyline class=\"line\" points=\"");
  for (int i = 0; i < n; i++)
    fprintf(f, "%.1f,%.1f ", x0 + (x1 - x0) * t_min[i] / tmax, y1 - (y1 - y0) * (s->v[i] - lo) / (hi - lo));
  fprintf(f, "\"/>\n");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: soak_plot SOAK.csv OUT.svg\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "r");
  if (!in) {
    fprintf(stderr, "soak_plot: cannot read %s\n", argv[1]);
    return 1;
  }
  char line[512];
  int n = 0;
  double prev_t = 0, prev_cpu = 0;
  if (!fgets(line, sizeof line, in) || strncmp(line, "t_s,rss_kib,fds,cpu_s,listeners", 31) != 0) {
    fprintf(stderr, "soak_plot: %s is not a soak CSV (t_s,rss_kib,fds,cpu_s,listeners,...)\n", argv[1]);
    fclose(in);
    return 1;
  }
  while (n < MAX_ROWS && fgets(line, sizeof line, in)) {
    double t, rss, fds, cpu, listeners;
    if (sscanf(line, "%lf,%lf,%lf,%lf,%lf", &t, &rss, &fds, &cpu, &listeners) != 5) continue;
    t_min[n] = t / 60;
    panels[0].v[n] = rss / 1024;
    panels[1].v[n] = fds;
    /* The first sample has no interval before it: it repeats the second's. */
    panels[2].v[n] = n && t > prev_t ? (cpu - prev_cpu) / (t - prev_t) * 100 : 0;
    if (n == 1) panels[2].v[0] = panels[2].v[1];
    panels[3].v[n] = listeners;
    prev_t = t;
    prev_cpu = cpu;
    n++;
  }
  fclose(in);
  if (n < 2) {
    fprintf(stderr, "soak_plot: %s has fewer than two samples\n", argv[1]);
    return 1;
  }
  FILE *f = fopen(argv[2], "w");
  if (!f) {
    fprintf(stderr, "soak_plot: cannot write %s\n", argv[2]);
    return 1;
  }
  int h = TOP + 4 * (PANEL_H + GAP);
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "font-family=\"sans-serif\">\n"
          "<style>.title{font-size:14px;fill:#222}.label{font-size:11px;fill:#555}.frame{fill:#fff;stroke:#999}"
          ".grid{stroke:#e4e4e4}.line{fill:none;stroke:#2a6fb0;stroke-width:1.5}</style>\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
          "<text x=\"%d\" y=\"20\" class=\"title\">lull serve under the soak: %d samples over %.1f minutes</text>\n",
          W, h, W, h, LEFT, n, t_min[n - 1]);
  for (int p = 0; p < 4; p++) panel(f, &panels[p], n, p);
  fprintf(f, "</svg>\n");
  if (fclose(f)) {
    fprintf(stderr, "soak_plot: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}
