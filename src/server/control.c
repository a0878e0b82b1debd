/* Control messages and REST bodies: strict JSON (duplicate keys refused),
 * only the fields that steer, each checked for type and range, and every
 * refusal named (code, field, message) so a client can show it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/server_int.h"
#include "stream/stream.h"

static int refuse(lull_ctl_msg *c, const char *code, const char *field, const char *fmt, const char *arg) {
  snprintf(c->code, sizeof c->code, "%s", code);
  snprintf(c->field, sizeof c->field, "%s", field);
  snprintf(c->message, sizeof c->message, fmt, arg);
  return -1;
}

/* "classic, glass, ...": every palette, from params.c's table. */
static void palette_names(char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; i < LULL_PALETTE_COUNT && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", lull_palette_name(i));
}

/* The fields of a params object (control message or REST body). */
static int parse_fields(json_t *obj, const lull_params *current, lull_ctl_msg *c, int allow_type) {
  const char *k;
  json_t *v;
  lull_params p = *current;
  json_object_foreach(obj, k, v) {
    lull_diag d = {0};
    char text[64];
    if (allow_type && strcmp(k, "type") == 0) continue;
    if (strcmp(k, "token") == 0) {
      if (!json_is_string(v)) return refuse(c, "wrong_type", k, "%s must be a string", k);
      if (json_string_length(v) >= sizeof c->token)
        return refuse(c, "out_of_range", k, "a %s is at most 200 characters", k);
      snprintf(c->token, sizeof c->token, "%s", json_string_value(v));
      c->has_token = 1;
      continue;
    }
    if (strcmp(k, "key") == 0) {
      /* A string goes whole to lull_params_set: cut short, "0...05" + "0"
       * would read as 5. */
      const char *value = text;
      if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > 11) return refuse(c, "out_of_range", k, "key must be a note name (C, C#, Db, ... B) or 0..11%s", "");
        snprintf(text, sizeof text, "%d", (int)n);
      } else if (json_is_string(v)) {
        value = json_string_value(v);
      } else {
        return refuse(c, "wrong_type", k, "key must be a note name string or an integer 0..11%s", "");
      }
      if (lull_params_set(&p, "key", value, &d) != LULL_OK) return refuse(c, "out_of_range", k, "%s", d.message);
      c->fields |= LULL_PARAM_KEY;
    } else if (strcmp(k, "mode") == 0) {
      if (!json_is_string(v)) return refuse(c, "wrong_type", k, "mode must be a string (%s)", "major, minor, dorian, ...");
      if (lull_params_set(&p, "mode", json_string_value(v), &d) != LULL_OK) return refuse(c, "out_of_range", k, "%s", d.message);
      c->fields |= LULL_PARAM_MODE;
    } else if (strcmp(k, "palette") == 0) {
      /* A name only: the palettes' order is no promise to clients. */
      if (!json_is_string(v)) {
        char names[128];
        palette_names(names, sizeof names);
        return refuse(c, "wrong_type", k, "palette must be a string, one of %s", names);
      }
      if (lull_params_set(&p, "palette", json_string_value(v), &d) != LULL_OK)
        return refuse(c, "out_of_range", k, "%s", d.message);
      c->fields |= LULL_PARAM_PALETTE;
    } else if (strcmp(k, "bpm") == 0 || strcmp(k, "intensity") == 0) {
      if (!json_is_number(v)) return refuse(c, "wrong_type", k, "%s must be a number", k);
      double x = json_number_value(v);
      int bpm = k[0] == 'b';
      if (bpm ? !(x >= 30 && x <= 180) : !(x >= 0 && x <= 1))
        return refuse(c, "out_of_range", k, bpm ? "bpm must be 30..180%s" : "intensity must be 0..1%s", "");
      if (bpm)
        p.bpm = (float)x, c->fields |= LULL_PARAM_BPM;
      else
        p.intensity = (float)x, c->fields |= LULL_PARAM_INTENSITY;
    } else if (strcmp(k, "seed") == 0) {
      return refuse(c, "unknown_field", k, "seed cannot change while a station plays; it is set when the station starts%s",
                    "");
    } else {
      return refuse(c, "unknown_field", k, "unknown field \"%.40s\"; known: key, mode, bpm, intensity, palette, token", k);
    }
  }
  c->params = p;
  return 0;
}

static json_t *load(const char *text, size_t len, lull_ctl_msg *c) {
  json_error_t e;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
  if (!root) {
    char msg[200];
    snprintf(msg, sizeof msg, "%.120s (at character %d)", e.text, e.position);
    refuse(c, "bad_json", "", "%s", msg);
    return NULL;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    refuse(c, "bad_message", "", "a message must be a JSON object%s", "");
    return NULL;
  }
  return root;
}

int lull__control_parse(const char *text, size_t len, const lull_params *current, lull_ctl_msg *c) {
  memset(c, 0, sizeof *c);
  json_t *root = load(text, len, c);
  if (!root) return -1;
  json_t *type = json_object_get(root, "type");
  int rc = -1;
  if (!type || !json_is_string(type)) {
    refuse(c, "bad_message", "type", "a message needs \"type\": \"control\" or \"status\"%s", "");
  } else if (strcmp(json_string_value(type), "status") == 0) {
    c->kind = LULL_CTL_STATUS;
    rc = json_object_size(root) == 1 ? 0 : refuse(c, "unknown_field", "", "a status message has no other fields%s", "");
  } else if (strcmp(json_string_value(type), "control") == 0) {
    c->kind = LULL_CTL_PARAMS;
    rc = parse_fields(root, current, c, 1);
    if (rc == 0 && !c->fields) rc = refuse(c, "bad_message", "", "a control message changes at least one of key, mode, bpm, intensity, palette%s", "");
  } else {
    refuse(c, "unknown_type", "type", "unknown type \"%.40s\"; known: control, status", json_string_value(type));
  }
  json_decref(root);
  return rc;
}

/* A REST body's fields: at least one (need_one) or none; a token field
 * allowed or refused (a personal station's start). */
static int parse_object(const char *text, size_t len, const lull_params *current, lull_ctl_msg *c, int need_one, int token_ok) {
  memset(c, 0, sizeof *c);
  json_t *root = load(text, len, c);
  if (!root) return -1;
  c->kind = LULL_CTL_PARAMS;
  int rc = parse_fields(root, current, c, 0);
  if (rc == 0 && need_one && !c->fields)
    rc = refuse(c, "bad_message", "", "the body changes at least one of key, mode, bpm, intensity, palette%s", "");
  if (rc == 0 && !token_ok && c->has_token)
    rc = refuse(c, "bad_message", "token", "a personal station's token is made by the server, and given in the answer%s", "");
  json_decref(root);
  return rc;
}

int lull__control_parse_body(const char *text, size_t len, const lull_params *current, lull_ctl_msg *c) {
  return parse_object(text, len, current, c, 1, 1);
}

int lull__control_parse_start(const char *text, size_t len, const lull_params *defaults, lull_ctl_msg *c) {
  return parse_object(text, len, defaults, c, 0, 0);
}

int lull__param_names(char *out, size_t cap, uint32_t fields, int quoted) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {{LULL_PARAM_KEY, "key"}, {LULL_PARAM_MODE, "mode"}, {LULL_PARAM_BPM, "bpm"},
               {LULL_PARAM_INTENSITY, "intensity"}, {LULL_PARAM_PALETTE, "palette"}};
  const char *q = quoted ? "\"" : "";
  int n = 0;
  if (cap) out[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if ((fields & names[i].bit) && (size_t)n < cap)
      n += snprintf(out + n, cap - (size_t)n, "%s%s%s%s", n ? "," : "", q, names[i].name, q);
  return n;
}

int lull__params_json(char *out, size_t cap, const lull_params *p) {
  return snprintf(out, cap,
                  "{\"key\":\"%s\",\"mode\":\"%s\",\"bpm\":%.6g,\"intensity\":%.6g,\"palette\":\"%s\",\"seed\":%llu}",
                  lull_key_name(p->key), lull_mode_name(p->mode), (double)p->bpm, (double)p->intensity,
                  lull_palette_name(p->palette), (unsigned long long)p->seed);
}

void lull__json_escape(char *out, size_t cap, const char *in) {
  /* JSON must be UTF-8 and a WebSocket text frame must be: a client's bytes
   * echoed in a message, or a message cut short inside a character, would
   * break both. A byte that starts no valid sequence becomes U+FFFD. Every
   * step writes at most 6 bytes, so the text stops whole. */
  size_t j = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p && j + 7 < cap;) {
    uint32_t cp;
    size_t n = lull__utf8_decode(p, &cp);
    if (n == 0) {
      memcpy(out + j, "\\ufffd", 6), j += 6, p++;
    } else if (*p == '"' || *p == '\\') {
      out[j++] = '\\', out[j++] = (char)*p++;
    } else if (*p < 0x20) {
      j += (size_t)snprintf(out + j, cap - j, "\\u%04x", *p++);
    } else {
      memcpy(out + j, p, n), j += n, p += n;
    }
  }
  out[j] = 0;
}

int lull__error_json(char *out, size_t cap, const char *code, const char *field, const char *message) {
  /* Messages are ours or carry a client's text: escape what JSON needs. */
  char esc[512];
  lull__json_escape(esc, sizeof esc, message);
  char raw[96], f[200];
  size_t j = 0;
  for (size_t i = 0; field[i] && j + 2 < sizeof raw; i++)
    if ((unsigned char)field[i] >= 0x20 && field[i] != '"' && field[i] != '\\') raw[j++] = field[i];
  raw[j] = 0;
  lull__json_escape(f, sizeof f, raw); /* what is left to do: UTF-8 */
  return snprintf(out, cap, "{\"type\":\"error\",\"code\":\"%s\",\"field\":\"%s\",\"message\":\"%s\"}", code, f, esc);
}
