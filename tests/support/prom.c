/* The exposition format checker (prom.h): one pass over the lines, then
 * the per-family rules (HELP and TYPE, names and units), then each
 * histogram's series. */
#include "support/prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct checker {
  prom_doc *doc;
  char *err;
  size_t cap;
  int line;
  long current; /* the family whose samples came last; -1 none */
} checker;

static int fail(checker *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = c->line ? snprintf(c->err, c->cap, "line %d: ", c->line) : 0;
  if (n < 0 || (size_t)n >= c->cap) n = 0;
  vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static int name_start(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':'; }
static int name_char(char ch) { return name_start(ch) || (ch >= '0' && ch <= '9'); }

/* A metric or label name at *p (labels: no colon): its length, 0 if none. */
static size_t name_len(const char *p, int label) {
  size_t n = 0;
  if (!name_start(p[0]) || (label && p[0] == ':')) return 0;
  while (name_char(p[n]) && !(label && p[n] == ':')) n++;
  return n;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static prom_family *family(checker *c, const char *name, size_t len) {
  prom_doc *d = c->doc;
  for (size_t i = 0; i < d->n_families; i++)
    if (strlen(d->families[i].name) == len && strncmp(d->families[i].name, name, len) == 0) return &d->families[i];
  if (len >= sizeof d->families[0].name) return NULL;
  prom_family *f = realloc(d->families, (d->n_families + 1) * sizeof *f);
  if (!f) return NULL;
  d->families = f;
  f = &d->families[d->n_families++];
  memset(f, 0, sizeof *f);
  memcpy(f->name, name, len);
  return f;
}

/* The family a sample name belongs to: a histogram's or summary's by its
 * suffix when such a family was declared, else its own name. */
static prom_family *family_of_sample(checker *c, const char *name) {
  static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
  for (int k = 0; k < 3; k++) {
    if (!ends_with(name, suffixes[k])) continue;
    size_t base = strlen(name) - strlen(suffixes[k]);
    for (size_t i = 0; i < c->doc->n_families; i++) {
      prom_family *f = &c->doc->families[i];
      if (strlen(f->name) == base && strncmp(f->name, name, base) == 0 &&
          (strcmp(f->type, "histogram") == 0 || (strcmp(f->type, "summary") == 0 && k > 0)))
        return f;
    }
  }
  return family(c, name, strlen(name));
}

/* "# HELP name text" or "# TYPE name type"; other comments are allowed. */
static int comment(checker *c, const char *p) {
  int help = strncmp(p, "# HELP ", 7) == 0, type = strncmp(p, "# TYPE ", 7) == 0;
  if (!help && !type) return 0;
  p += 7;
  size_t n = name_len(p, 0);
  if (!n || (p[n] != ' ' && p[n] != 0)) return fail(c, "# %s without a valid metric name", help ? "HELP" : "TYPE");
  prom_family *f = family(c, p, n);
  if (!f) return fail(c, "out of memory or name too long");
  if (f->samples) return fail(c, "# %s %s after its samples", help ? "HELP" : "TYPE", f->name);
  const char *rest = p[n] ? p + n + 1 : p + n;
  if (help) {
    if (f->helps++) return fail(c, "a second # HELP for %s", f->name);
    if (!*rest) return fail(c, "# HELP %s is empty", f->name);
    for (const char *q = rest; *q; q++)
      if (*q == '\\' && q[1] != '\\' && q[1] != 'n') return fail(c, "# HELP %s: bad escape \\%c", f->name, q[1]);
      else if (*q == '\\') q++;
    return 0;
  }
  if (f->types++) return fail(c, "a second # TYPE for %s", f->name);
  static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
  for (int k = 0; k < 5; k++)
    if (strcmp(rest, types[k]) == 0) {
      snprintf(f->type, sizeof f->type, "%s", types[k]);
      return 0;
    }
  return fail(c, "# TYPE %s: unknown type \"%s\"", f->name, rest);
}

/* A value: a float as Go's ParseFloat reads it, or +Inf, -Inf, NaN. */
static int value(const char *p, const char **end, double *v) {
  if (strncmp(p, "+Inf", 4) == 0 || strncmp(p, "-Inf", 4) == 0 || strncmp(p, "NaN", 3) == 0) {
    *v = p[0] == 'N' ? NAN : p[0] == '-' ? -INFINITY : INFINITY;
    *end = p + (p[0] == 'N' ? 3 : 4);
    return 0;
  }
  char *e;
  *v = strtod(p, &e);
  if (e == p || (p[0] != '-' && p[0] != '+' && p[0] != '.' && (p[0] < '0' || p[0] > '9'))) return -1;
  *end = e;
  return 0;
}

static int sample(checker *c, const char *p) {
  prom_sample s = {0};
  size_t n = name_len(p, 0);
  if (!n || n >= sizeof s.name) return fail(c, "a sample without a valid metric name");
  memcpy(s.name, p, n);
  p += n;
  if (*p == '{') {
    const char *start = ++p;
    char seen[16][64];
    int nseen = 0;
    while (*p != '}') {
      size_t ln = name_len(p, 1);
      if (!ln || ln >= 64) return fail(c, "%s: a bad label name", s.name);
      for (int i = 0; i < nseen; i++)
        if (strlen(seen[i]) == ln && strncmp(seen[i], p, ln) == 0) return fail(c, "%s: label %.*s twice", s.name, (int)ln, p);
      if (nseen < 16) memcpy(seen[nseen], p, ln), seen[nseen++][ln] = 0;
      p += ln;
      if (p[0] != '=' || p[1] != '"') return fail(c, "%s: a label without =\"value\"", s.name);
      for (p += 2; *p != '"'; p++) {
        if (!*p || *p == '\n') return fail(c, "%s: a label value not closed", s.name);
        if (*p == '\\') {
          if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') return fail(c, "%s: bad escape \\%c in a label value", s.name, p[1]);
          p++;
        }
      }
      p++;
      if (*p == ',') p++;
      else if (*p != '}') return fail(c, "%s: labels not separated by commas", s.name);
    }
    if ((size_t)(p - start) >= sizeof s.labels) return fail(c, "%s: labels too long for the checker", s.name);
    memcpy(s.labels, start, (size_t)(p - start));
    p++;
  }
  if (*p != ' ') return fail(c, "%s: no space before the value", s.name);
  const char *end;
  if (value(p + 1, &end, &s.value)) return fail(c, "%s: the value \"%s\" is not a number", s.name, p + 1);
  if (*end == ' ') { /* a timestamp, integer ms */
    char *e;
    (void)strtoll(end + 1, &e, 10);
    if (e == end + 1) return fail(c, "%s: a bad timestamp", s.name);
    end = e;
  }
  if (*end) return fail(c, "%s: something after the value: \"%s\"", s.name, end);
  prom_family *f = family_of_sample(c, s.name);
  if (!f) return fail(c, "out of memory");
  long idx = (long)(f - c->doc->families);
  if (f->samples && c->current != idx) return fail(c, "the samples of %s are not in one group", f->name);
  c->current = idx;
  f->samples++;
  prom_doc *d = c->doc;
  for (size_t i = 0; i < d->n_samples; i++)
    if (strcmp(d->samples[i].name, s.name) == 0 && strcmp(d->samples[i].labels, s.labels) == 0)
      return fail(c, "%s{%s} twice", s.name, s.labels);
  prom_sample *grown = realloc(d->samples, (d->n_samples + 1) * sizeof *grown);
  if (!grown) return fail(c, "out of memory");
  d->samples = grown;
  d->samples[d->n_samples++] = s;
  return 0;
}

/* Names: counters end in _total and nothing else does; units are base
 * units, at the end (before _total), never ms, us, minutes, kilobytes or a
 * pre-averaged mean. */
static int naming(checker *c, const prom_family *f) {
  int counter = strcmp(f->type, "counter") == 0;
  if (counter != ends_with(f->name, "_total"))
    return fail(c, counter ? "counter %s does not end in _total" : "%s ends in _total but is not a counter", f->name);
  char base[128];
  snprintf(base, sizeof base, "%s", f->name);
  if (counter) base[strlen(base) - 6] = 0;
  static const char *const wrong[] = {"_ms",           "_us",     "_ns",     "_msec",   "_usec",  "_milliseconds",
                                      "_microseconds", "_nanoseconds", "_minutes", "_hours", "_days", "_kb", "_mb",
                                      "_gb", "_kib", "_mib", "_gib", "_kilobytes", "_megabytes", "_bits", "_mean",
                                      "_avg", "_average", "_percent"};
  for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
    char mid[32];
    snprintf(mid, sizeof mid, "%s_", wrong[k]);
    if (ends_with(base, wrong[k]) || strstr(base, mid)) return fail(c, "%s: %s is not a base unit", f->name, wrong[k] + 1);
  }
  static const char *const units[] = {"seconds", "bytes"};
  for (int k = 0; k < 2; k++) {
    char mid[16], end[16];
    snprintf(mid, sizeof mid, "_%s_", units[k]);
    snprintf(end, sizeof end, "_%s", units[k]);
    if (strstr(base, mid)) return fail(c, "%s: the unit %s is not at the end", f->name, units[k]);
    if (strstr(base, units[k]) && !ends_with(base, end)) return fail(c, "%s: the unit %s is not a suffix of its own", f->name, units[k]);
  }
  if (strcmp(f->type, "histogram") == 0 &&
      (ends_with(f->name, "_bucket") || ends_with(f->name, "_sum") || ends_with(f->name, "_count")))
    return fail(c, "histogram %s ends in a suffix of its series", f->name);
  return 0;
}

/* labels without le (the series key) into key; le's value into le ("" if none). */
static void split_le(const char *labels, char *key, size_t cap, char *le, size_t le_cap) {
  size_t n = 0;
  le[0] = 0;
  for (const char *p = labels; *p;) {
    const char *q = p;
    while (*q != '=') q++;
    const char *v = q + 2, *e = v;
    while (*e != '"') e += *e == '\\' ? 2 : 1;
    const char *next = e[1] == ',' ? e + 2 : e + 1;
    if (q - p == 2 && strncmp(p, "le", 2) == 0) {
      snprintf(le, le_cap, "%.*s", (int)(e - v), v);
    } else {
      int m = snprintf(key + n, cap - n, "%s%.*s", n ? "," : "", (int)(e + 1 - p), p);
      if (m > 0 && (size_t)m < cap - n) n += (size_t)m;
    }
    p = next;
  }
  key[n] = 0;
}

/* Every series of histogram f: ascending le ending at +Inf, cumulative
 * counts, +Inf equal to _count, a _sum. */
static int histogram(checker *c, const prom_family *f) {
  prom_doc *d = c->doc;
  char bucket[140], sum[140], count[140];
  snprintf(bucket, sizeof bucket, "%s_bucket", f->name);
  snprintf(sum, sizeof sum, "%s_sum", f->name);
  snprintf(count, sizeof count, "%s_count", f->name);
  int series = 0;
  for (size_t i = 0; i < d->n_samples; i++) {
    const prom_sample *s = &d->samples[i];
    char key[512], le[64];
    split_le(s->labels, key, sizeof key, le, sizeof le);
    if (strcmp(s->name, f->name) == 0) return fail(c, "%s: a plain sample of a histogram", s->name);
    if (strcmp(s->name, bucket) == 0 && !le[0]) return fail(c, "%s{%s} has no le", s->name, s->labels);
    if (strcmp(s->name, count) != 0) continue;
    series++;
    /* This series' buckets, in the order written. */
    double last_le = -INFINITY, last_n = 0, inf = NAN;
    int buckets = 0, has_sum = 0;
    for (size_t j = 0; j < d->n_samples; j++) {
      const prom_sample *t = &d->samples[j];
      char k2[512], le2[64];
      split_le(t->labels, k2, sizeof k2, le2, sizeof le2);
      if (strcmp(k2, key) != 0) continue;
      if (strcmp(t->name, sum) == 0) has_sum = 1;
      if (strcmp(t->name, bucket) != 0) continue;
      const char *end;
      double b;
      if (value(le2, &end, &b) || *end || isnan(b)) return fail(c, "%s{%s}: le=\"%s\" is not a number", t->name, t->labels, le2);
      if (!(b > last_le)) return fail(c, "%s{%s}: le %s not above the one before", t->name, key, le2);
      if (t->value < last_n) return fail(c, "%s{%s}: the counts are not cumulative at le=\"%s\"", t->name, key, le2);
      if (t->value != floor(t->value) || t->value < 0) return fail(c, "%s{%s}: a count that is not a whole number", t->name, key);
      last_le = b;
      last_n = t->value;
      buckets++;
      if (isinf(b)) inf = t->value;
    }
    if (!buckets || !isinf(last_le)) return fail(c, "%s{%s} has no +Inf bucket", bucket, key);
    if (inf != s->value) return fail(c, "%s{%s}: +Inf bucket %.0f but _count %.0f", f->name, key, inf, s->value);
    if (!has_sum) return fail(c, "%s{%s} has no _sum", f->name, key);
  }
  if (!series) return fail(c, "histogram %s has no _count", f->name);
  return 0;
}

int prom_check(const char *text, prom_doc *doc, char *err, size_t cap) {
  memset(doc, 0, sizeof *doc);
  checker c = {doc, err, cap, 0, -1};
  err[0] = 0;
  char line[4096];
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    if (!nl) return c.line++, fail(&c, "the last line has no line feed");
    size_t n = (size_t)(nl - p);
    c.line++;
    if (n >= sizeof line) return fail(&c, "a line too long for the checker");
    memcpy(line, p, n);
    line[n] = 0;
    p = nl + 1;
    if (!n) continue;
    if (line[0] == '#' ? comment(&c, line) : sample(&c, line)) return -1;
  }
  c.line = 0;
  for (size_t i = 0; i < doc->n_families; i++) {
    const prom_family *f = &doc->families[i];
    if (!f->helps) return fail(&c, "%s has no # HELP", f->name);
    if (!f->types) return fail(&c, "%s has no # TYPE", f->name);
    if (!f->samples) return fail(&c, "%s has no samples", f->name);
    if (naming(&c, f)) return -1;
    if (strcmp(f->type, "histogram") == 0 && histogram(&c, f)) return -1;
  }
  return 0;
}

void prom_free(prom_doc *doc) {
  free(doc->families);
  free(doc->samples);
  memset(doc, 0, sizeof *doc);
}

double prom_value(const prom_doc *doc, const char *name, const char *labels) {
  for (size_t i = 0; i < doc->n_samples; i++)
    if (strcmp(doc->samples[i].name, name) == 0 && strcmp(doc->samples[i].labels, labels) == 0) return doc->samples[i].value;
  return NAN;
}

const prom_family *prom_family_of(const prom_doc *doc, const char *name) {
  for (size_t i = 0; i < doc->n_families; i++)
    if (strcmp(doc->families[i].name, name) == 0) return &doc->families[i];
  return NULL;
}
