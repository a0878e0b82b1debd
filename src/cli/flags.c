/* Command-line flags shared by the subcommands: "--flag value" and
 * "--flag=value", and numbers checked against their range. Every error is
 * printed as "lull CMD: FLAG: ..." naming what is allowed; the caller turns
 * it into exit status 2. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int lull__u64_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *out, lull_diag *d) {
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-') goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi) goto bad;
  *out = v;
  return 0;
bad:
  snprintf(d->message, sizeof d->message, "expected a whole number %llu..%llu, got \"%.160s\"", (unsigned long long)lo,
           (unsigned long long)hi, s ? s : "");
  return -1;
}

int lull__arg_u64(const char *cmd, const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  lull_diag d = {{0}, {0}};
  if (lull__u64_parse(s, lo, hi, out, &d) == 0) return 0;
  fprintf(stderr, "lull %s: %s: %s\n", cmd, flag, d.message);
  return -1;
}

int lull__arg_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  if (!s || !*s) goto bad;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= lo && v <= hi)) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "lull %s: %s: expected a number %g..%g, got \"%s\"\n", cmd, flag, lo, hi, s ? s : "");
  return -1;
}

const char *lull__flag_value(const char *cmd, int argc, char **argv, int *i, const char *flag) {
  const char *a = argv[*i];
  size_t n = strlen(flag);
  if (a[n] == '=') return a + n + 1;
  if (*i + 1 >= argc) {
    fprintf(stderr, "lull %s: %s needs a value (lull %s --help)\n", cmd, flag, cmd);
    return NULL;
  }
  return argv[++*i];
}

int lull__flag_is(const char *a, const char *flag) {
  size_t n = strlen(flag);
  return strncmp(a, flag, n) == 0 && (a[n] == 0 || a[n] == '=');
}

int lull__part_parse(const char *s, size_t len) {
  for (int k = 0; k < LULL_PART_COUNT; k++)
    if (strlen(lull_part_name(k)) == len && strncmp(s, lull_part_name(k), len) == 0) return k;
  return -1;
}

int lull__instrument_arg(const char *cmd, const char *v, const char **spec) {
  size_t len = strcspn(v, "=");
  int part = lull__part_parse(v, len);
  if (part < 0 || !v[len]) {
    fprintf(stderr, "lull %s: --instrument: expected PART=URI[,...] with PART one of pad, lead, kick, swell, hat, bass, "
                    "air, bell; got \"%s\"\n", cmd, v);
    return -1;
  }
  *spec = v + len + 1;
  return part;
}
