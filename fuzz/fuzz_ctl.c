/* Control message and REST body invariants (fuzz_ctl.h). The reference
 * reading walks the JSON again with jansson and applies each field through
 * lull_params_set from its whole value, so a value cut short or read
 * loosely by the parser shows as a difference. */
#include "fuzz_ctl.h"

#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"

const lull_params fuzz_ctl_current = {2, LULL_MODE_DORIAN, 77.0f, 0.25f, 12345, LULL_PALETTE_STRINGS};

static const char *const codes[] = {"bad_json",     "bad_message", "unknown_type", "unknown_field",
                                    "wrong_type",   "out_of_range", NULL};

static int known_code(const char *code) {
  for (const char *const *k = codes; *k; k++)
    if (strcmp(*k, code) == 0) return 1;
  return 0;
}

/* The params the message's fields make of the current ones, read the
 * plain way; 0 when a field has no such reading (the parser must have
 * refused it then). */
static int reference(json_t *root, int body, lull_params *p, uint32_t *fields) {
  const char *k;
  json_t *v;
  *p = fuzz_ctl_current;
  *fields = 0;
  json_object_foreach(root, k, v) {
    lull_diag d;
    if (!body && strcmp(k, "type") == 0) continue;
    if (strcmp(k, "token") == 0) {
      if (!json_is_string(v) || json_string_length(v) > 200) return 0;
    } else if (strcmp(k, "key") == 0) {
      char text[32];
      if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > 11) return 0;
        snprintf(text, sizeof text, "%d", (int)n);
        if (lull_params_set(p, "key", text, &d)) return 0;
      } else if (!json_is_string(v) || lull_params_set(p, "key", json_string_value(v), &d)) {
        return 0;
      }
      *fields |= LULL_PARAM_KEY;
    } else if (strcmp(k, "mode") == 0) {
      if (!json_is_string(v) || lull_params_set(p, "mode", json_string_value(v), &d)) return 0;
      *fields |= LULL_PARAM_MODE;
    } else if (strcmp(k, "palette") == 0) {
      if (!json_is_string(v) || lull_params_set(p, "palette", json_string_value(v), &d)) return 0;
      *fields |= LULL_PARAM_PALETTE;
    } else if (strcmp(k, "bpm") == 0 || strcmp(k, "intensity") == 0) {
      if (!json_is_number(v)) return 0;
      double x = json_number_value(v);
      if (k[0] == 'b' ? !(x >= 30 && x <= 180) : !(x >= 0 && x <= 1)) return 0;
      if (k[0] == 'b')
        p->bpm = (float)x, *fields |= LULL_PARAM_BPM;
      else
        p->intensity = (float)x, *fields |= LULL_PARAM_INTENSITY;
    } else {
      return 0;
    }
  }
  return *fields != 0;
}

void fuzz_ctl_check(const char *text, size_t len, int body, int rc, const lull_ctl_msg *c) {
  FUZZ_CHECK(rc == 0 || rc == -1, "0 or -1");
  FUZZ_CHECK(memchr(c->code, 0, sizeof c->code) && memchr(c->field, 0, sizeof c->field) &&
                 memchr(c->message, 0, sizeof c->message) && memchr(c->token, 0, sizeof c->token),
             "texts end within their buffers");
  if (rc) {
    FUZZ_CHECK(known_code(c->code), "a refusal's code is one the README lists");
    fuzz_check_error_json(c->code, c->field, c->message);
    return;
  }
  FUZZ_CHECK(!c->code[0] && !c->message[0], "an accepted message carries no refusal");
  json_error_t e;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
  FUZZ_CHECK(json_is_object(root), "an accepted message is a JSON object");
  if (c->kind == LULL_CTL_STATUS) {
    FUZZ_CHECK(!body, "a REST body is never a status request");
    FUZZ_CHECK(json_object_size(root) == 1, "a status request holds only its type");
    FUZZ_CHECK(!c->fields && !c->has_token, "a status request changes nothing");
  } else {
    FUZZ_CHECK(c->kind == LULL_CTL_PARAMS, "a message is params or status");
    FUZZ_CHECK(c->fields && !(c->fields & ~(uint32_t)LULL_PARAM_ALL), "fields are LULL_PARAM_* and at least one");
    lull_diag d;
    FUZZ_CHECK(lull_params_validate(&c->params, &d) == LULL_OK, "the params are within their ranges");
    FUZZ_CHECK(c->params.seed == fuzz_ctl_current.seed, "the seed never changes");
    lull_params ref;
    uint32_t fields;
    FUZZ_CHECK(reference(root, body, &ref, &fields), "every field accepted has a plain reading");
    FUZZ_CHECK(fields == c->fields, "the fields marked are the fields given");
    FUZZ_CHECK(ref.key == c->params.key && ref.mode == c->params.mode && ref.bpm == c->params.bpm &&
                   ref.intensity == c->params.intensity && ref.palette == c->params.palette,
               "each field is set to what the message says and the others are left alone");
    FUZZ_CHECK(!c->has_token || strlen(c->token) <= 200, "a token is at most 200 characters");
    char out[256];
    int n = lull__params_json(out, sizeof out, &c->params);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof out, "the params broadcast fits");
    json_t *echo = json_loadb(out, (size_t)n, 0, &e);
    FUZZ_CHECK(echo != NULL, "the params broadcast parses");
    json_decref(echo);
  }
  json_decref(root);
}
