/* A checker of Prometheus' text exposition format (0.0.4), held to what
 * lull's /metrics promises: every family with one # HELP and one # TYPE
 * before its samples, its samples in one group, label values escaped,
 * counters ending in _total, base units (seconds, bytes) and no others,
 * and histograms whole (ascending le, cumulative counts, +Inf equal to
 * _count, _sum). It does not trust lull's own writer: it reads the text. */
#ifndef LULL_TESTS_PROM_H
#define LULL_TESTS_PROM_H

#include <stddef.h>

typedef struct prom_sample {
  char name[128];
  char labels[512]; /* as written (escaped), without the braces: a="x",b="y" */
  double value;
} prom_sample;

typedef struct prom_family {
  char name[128], type[16];
  int helps, types, samples;
} prom_family;

typedef struct prom_doc {
  prom_family *families;
  size_t n_families;
  prom_sample *samples;
  size_t n_samples;
} prom_doc;

/* Parse and check text: 0, or -1 with the first problem ("line 12: ...")
 * in err. doc is filled either way; prom_free it. */
int prom_check(const char *text, prom_doc *doc, char *err, size_t cap);
void prom_free(prom_doc *doc);
/* The value of sample name{labels} (labels exactly as written, "" for
 * none), or NAN when there is none. */
double prom_value(const prom_doc *doc, const char *name, const char *labels);
/* The family called name, or NULL. */
const prom_family *prom_family_of(const prom_doc *doc, const char *name);

#endif
