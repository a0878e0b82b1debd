/* server internals shared by its files: control-message parsing (control.c)
 * and the embedded web client (assets, generated at build time). */
#ifndef LULL_SERVER_INT_H
#define LULL_SERVER_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lull/params.h"
#include "lull/station.h"

/* What a parsed message asks for (lull_ctl_msg.kind): a params change or a
 * status reply. */
enum { LULL_CTL_PARAMS = 1, LULL_CTL_STATUS = 2 };

/* A parsed message, or why it was refused (code, field, message). */
typedef struct lull_ctl_msg {
  int kind;
  uint32_t fields;    /* LULL_PARAM_* changed */
  lull_params params; /* current params with the changes applied */
  int has_token;
  char token[201]; /* tokens are at most 200 characters (lull_server_config) */
  char code[32], field[64], message[256];
} lull_ctl_msg;

/* A WebSocket text message: {"type":"control", ...} or {"type":"status"}.
 * 0, or -1 with c->code/field/message set. */
int lull__control_parse(const char *text, size_t len, const lull_params *current, lull_ctl_msg *c);
/* A REST body: {"intensity": 0.5, ...}. */
int lull__control_parse_body(const char *text, size_t len, const lull_params *current, lull_ctl_msg *c);

/* The params a personal station starts with (POST /api/personal): none
 * (defaults as they are) or any of key, mode, bpm, intensity, palette. */
int lull__control_parse_start(const char *text, size_t len, const lull_params *defaults, lull_ctl_msg *c);

/* JSON texts (snprintf-like: the length they need). */
int lull__params_json(char *out, size_t cap, const lull_params *p);
/* The names of the LULL_PARAM_* bits set in fields, in params order, comma
 * separated ("key,mode"), each in double quotes if quoted (a JSON array's
 * inside). Cut short if cap is; snprintf's return. */
int lull__param_names(char *out, size_t cap, uint32_t fields, int quoted);
int lull__error_json(char *out, size_t cap, const char *code, const char *field, const char *message);
/* in as the inside of a JSON string (quotes, backslashes, control characters escaped). */
void lull__json_escape(char *out, size_t cap, const char *in);

/* The web client, embedded (assets.c, generated from web/). */
typedef struct lull_asset {
  const char *path, *type;
  const char *etag; /* quoted, from the content's hash */
  const unsigned char *data;
  size_t len;
} lull_asset;
extern const lull_asset lull__assets[];
extern const size_t lull__n_assets;

#endif
