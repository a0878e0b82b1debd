/* control.c: control messages and REST bodies. Every field accepted with
 * its value applied on top of the current params (and nothing else
 * changed); every refusal with its code (README: bad_json, bad_message,
 * unknown_type, unknown_field, wrong_type, out_of_range), the field it
 * names and its message: duplicate keys, wrong types, unknown fields, the
 * range bounds on both sides. The JSON this file writes parses back. */
#include <jansson.h>
#include <stdlib.h>

#include "server/server_int.h"
#include "support/harness.h"

/* Current params that differ from every value the tests send. */
static lull_params current(void) {
  lull_params p = lull_params_default();
  p.key = 9, p.mode = LULL_MODE_AEOLIAN, p.bpm = 64, p.intensity = 0.4f, p.seed = 77;
  return p;
}

static lull_ctl_msg ok(const char *text) {
  lull_params cur = current();
  lull_ctl_msg c;
  if (lull__control_parse(text, strlen(text), &cur, &c) != 0)
    fail_msg("%s: refused: %s %s %s", text, c.code, c.field, c.message);
  ASSERT_EQ_INT(c.kind, LULL_CTL_PARAMS);
  ASSERT_EQ_INT(c.params.seed, 77); /* never changed by a message */
  return c;
}

typedef int parse_fn(const char *, size_t, const lull_params *, lull_ctl_msg *);

static void refused_by(parse_fn *parse, const char *text, const char *code, const char *field, const char *msg) {
  lull_params cur = current();
  lull_ctl_msg c;
  memset(&c, 0x5a, sizeof c); /* parse clears it */
  if (parse(text, strlen(text), &cur, &c) != -1) fail_msg("%s: accepted", text);
  if (strcmp(c.code, code) != 0 || strcmp(c.field, field) != 0 || !strstr(c.message, msg))
    fail_msg("%s: got %s \"%s\" \"%s\", expected %s \"%s\" \"...%s...\"", text, c.code, c.field, c.message, code, field,
             msg);
}

static void refused(const char *text, const char *code, const char *field, const char *msg) {
  refused_by(lull__control_parse, text, code, field, msg);
}

static void test_each_field_applied(void **state) {
  (void)state;
  lull_ctl_msg c = ok("{\"type\":\"control\",\"key\":\"D\"}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_KEY);
  ASSERT_EQ_INT(c.params.key, 2);
  ASSERT_EQ_INT(c.params.mode, LULL_MODE_AEOLIAN); /* the rest as it was */
  ASSERT_NEAR(c.params.bpm, 64, 0);
  ASSERT_NEAR(c.params.intensity, 0.4, 1e-7);
  ASSERT_EQ_INT(c.has_token, 0);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"key\":\"F#\"}").params.key, 6);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"key\":\"Bb\"}").params.key, 10);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"key\":0}").params.key, 0);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"key\":11}").params.key, 11);
  c = ok("{\"type\":\"control\",\"mode\":\"dorian\"}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_MODE);
  ASSERT_EQ_INT(c.params.mode, LULL_MODE_DORIAN);
  ASSERT_EQ_INT(c.params.key, 9);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"mode\":\"major\"}").params.mode, LULL_MODE_IONIAN);
  ASSERT_EQ_INT(ok("{\"type\":\"control\",\"mode\":\"pentatonic-minor\"}").params.mode, LULL_MODE_PENTA_MINOR);
  c = ok("{\"type\":\"control\",\"bpm\":70.5}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_BPM);
  ASSERT_NEAR(c.params.bpm, 70.5, 0);
  ASSERT_NEAR(ok("{\"type\":\"control\",\"bpm\":30}").params.bpm, 30, 0); /* the bounds are in */
  ASSERT_NEAR(ok("{\"type\":\"control\",\"bpm\":180}").params.bpm, 180, 0);
  c = ok("{\"type\":\"control\",\"intensity\":0.75}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_INTENSITY);
  ASSERT_NEAR(c.params.intensity, 0.75, 0);
  ASSERT_NEAR(ok("{\"type\":\"control\",\"intensity\":0}").params.intensity, 0, 0);
  ASSERT_NEAR(ok("{\"type\":\"control\",\"intensity\":1}").params.intensity, 1, 0);
  ASSERT_NEAR(ok("{\"type\":\"control\",\"intensity\":1.0e0}").params.intensity, 1, 0);
  c = ok("{\"type\":\"control\",\"palette\":\"glass\"}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_PALETTE);
  ASSERT_EQ_INT(c.params.palette, LULL_PALETTE_GLASS);
  ASSERT_EQ_INT(c.params.key, 9);
  for (int i = 0; i < LULL_PALETTE_COUNT; i++) {
    char text[96];
    snprintf(text, sizeof text, "{\"type\":\"control\",\"palette\":\"%s\"}", lull_palette_name(i));
    ASSERT_EQ_INT(ok(text).params.palette, i);
  }
  /* All at once, in any order, with a token. */
  c = ok("{\"intensity\":0.2,\"token\":\"s3cret\",\"bpm\":100,\"type\":\"control\",\"mode\":\"lydian\",\"key\":\"E\"}");
  ASSERT_EQ_INT(c.fields, LULL_PARAM_KEY | LULL_PARAM_MODE | LULL_PARAM_BPM | LULL_PARAM_INTENSITY);
  ASSERT_EQ_INT(c.params.key, 4);
  ASSERT_EQ_INT(c.params.mode, LULL_MODE_LYDIAN);
  ASSERT_NEAR(c.params.bpm, 100, 0);
  ASSERT_NEAR(c.params.intensity, 0.2, 1e-7);
  ASSERT_EQ_INT(c.has_token, 1);
  ASSERT_STR_EQ(c.token, "s3cret");
}

static void test_status(void **state) {
  (void)state;
  lull_params cur = current();
  lull_ctl_msg c;
  ASSERT_EQ_INT(lull__control_parse("{\"type\":\"status\"}", 17, &cur, &c), 0);
  ASSERT_EQ_INT(c.kind, LULL_CTL_STATUS);
  ASSERT_EQ_INT(c.fields, 0);
  refused("{\"type\":\"status\",\"bpm\":70}", "unknown_field", "", "a status message has no other fields");
}

static void test_refusals(void **state) {
  (void)state;
  /* Not JSON, or not the JSON we read. */
  refused("", "bad_json", "", "at character");
  refused("{\"type\":\"control\",", "bad_json", "", "at character");
  refused("{\"type\":\"control\",\"bpm\":70,\"bpm\":80}", "bad_json", "", "duplicate");
  refused("{\"type\":\"control\",\"type\":\"status\"}", "bad_json", "", "duplicate");
  refused("[{\"type\":\"control\"}]", "bad_message", "", "must be a JSON object");
  refused("\"control\"", "bad_json", "", "'[' or '{' expected"); /* jansson reads only these at the top */
  refused("42", "bad_json", "", "'[' or '{' expected");
  refused("{\"bpm\":70}", "bad_message", "type", "needs \"type\": \"control\" or \"status\"");
  refused("{\"type\":1}", "bad_message", "type", "needs \"type\"");
  refused("{\"type\":null}", "bad_message", "type", "needs \"type\"");
  refused("{\"type\":\"dance\"}", "unknown_type", "type", "unknown type \"dance\"; known: control, status");
  refused("{\"type\":\"Control\"}", "unknown_type", "type", "\"Control\"");
  refused("{\"type\":\"control\"}", "bad_message", "", "changes at least one of key, mode, bpm, intensity");
  refused("{\"type\":\"control\",\"token\":\"t\"}", "bad_message", "", "changes at least one");
  /* Fields: unknown, wrong type, out of range; the first bad one is named. */
  refused("{\"type\":\"control\",\"volume\":3}", "unknown_field", "volume",
          "unknown field \"volume\"; known: key, mode, bpm, intensity, palette, token");
  refused("{\"type\":\"control\",\"Key\":\"D\"}", "unknown_field", "Key", "unknown field");
  refused("{\"type\":\"control\",\"seed\":3}", "unknown_field", "seed", "seed cannot change while a station plays");
  refused("{\"type\":\"control\",\"key\":2.0}", "wrong_type", "key", "a note name string or an integer 0..11");
  refused("{\"type\":\"control\",\"key\":true}", "wrong_type", "key", "a note name string");
  refused("{\"type\":\"control\",\"key\":null}", "wrong_type", "key", "a note name string");
  refused("{\"type\":\"control\",\"key\":[\"D\"]}", "wrong_type", "key", "a note name string");
  refused("{\"type\":\"control\",\"key\":12}", "out_of_range", "key", "a note name (C, C#, Db, ... B) or 0..11");
  refused("{\"type\":\"control\",\"key\":-1}", "out_of_range", "key", "or 0..11");
  refused("{\"type\":\"control\",\"key\":\"H\"}", "out_of_range", "key", "got \"H\"");
  refused("{\"type\":\"control\",\"key\":\"\"}", "out_of_range", "key", "note name");
  refused("{\"type\":\"control\",\"mode\":3}", "wrong_type", "mode", "mode must be a string (major, minor, dorian, ...)");
  refused("{\"type\":\"control\",\"mode\":\"blues\"}", "out_of_range", "mode", "got \"blues\"");
  refused("{\"type\":\"control\",\"bpm\":\"70\"}", "wrong_type", "bpm", "bpm must be a number");
  refused("{\"type\":\"control\",\"bpm\":29.99}", "out_of_range", "bpm", "bpm must be 30..180");
  refused("{\"type\":\"control\",\"bpm\":180.01}", "out_of_range", "bpm", "30..180");
  refused("{\"type\":\"control\",\"bpm\":-70}", "out_of_range", "bpm", "30..180");
  refused("{\"type\":\"control\",\"intensity\":\"0.5\"}", "wrong_type", "intensity", "intensity must be a number");
  refused("{\"type\":\"control\",\"intensity\":false}", "wrong_type", "intensity", "must be a number");
  refused("{\"type\":\"control\",\"intensity\":-0.01}", "out_of_range", "intensity", "intensity must be 0..1");
  refused("{\"type\":\"control\",\"intensity\":1.01}", "out_of_range", "intensity", "0..1");
  refused("{\"type\":\"control\",\"intensity\":1e400}", "bad_json", "", "at character"); /* jansson: out of range */
  /* A palette by name only (not its index), and only a known one. */
  refused("{\"type\":\"control\",\"palette\":1}", "wrong_type", "palette",
          "palette must be a string, one of classic, glass, strings, keys, night, tape");
  refused("{\"type\":\"control\",\"palette\":null}", "wrong_type", "palette", "must be a string");
  refused("{\"type\":\"control\",\"palette\":\"jazz\"}", "out_of_range", "palette",
          "must be one of classic, glass, strings, keys, night, tape; got \"jazz\"");
  refused("{\"type\":\"control\",\"palette\":\"Glass\"}", "out_of_range", "palette", "got \"Glass\"");
  refused("{\"type\":\"control\",\"palette\":\"\"}", "out_of_range", "palette", "must be one of");
  refused("{\"type\":\"control\",\"token\":5,\"bpm\":70}", "wrong_type", "token", "token must be a string");
  refused("{\"type\":\"control\",\"bpm\":70,\"key\":\"H\"}", "out_of_range", "key", "got \"H\"");
}

/* What a client sends comes back in field and message: bounded, and never
 * beyond the buffers (the struct's sizes). */
static void test_long_and_odd_input(void **state) {
  (void)state;
  char text[512], name[201];
  memset(name, 'x', 200), name[200] = 0;
  snprintf(text, sizeof text, "{\"type\":\"control\",\"%s\":1}", name);
  lull_params cur = current();
  lull_ctl_msg c;
  ASSERT_EQ_INT(lull__control_parse(text, strlen(text), &cur, &c), -1);
  ASSERT_STR_EQ(c.code, "unknown_field");
  ASSERT_EQ_INT(strlen(c.field), sizeof c.field - 1); /* cut, terminated */
  ASSERT_TRUE(strstr(c.message, "unknown field \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\";") != NULL); /* 40 shown */
  snprintf(text, sizeof text, "{\"type\":\"control\",\"key\":\"%s\"}", name);
  ASSERT_EQ_INT(lull__control_parse(text, strlen(text), &cur, &c), -1);
  ASSERT_STR_EQ(c.code, "out_of_range");
  ASSERT_STR_EQ(c.field, "key");
  /* A value is read whole: 50 (39 zeros first) is no key, though its first
   * 40 characters would read as 5 (fuzz/corpus/control/regress-key-cut-short). */
  snprintf(text, sizeof text, "{\"type\":\"control\",\"key\":\"%.39s50\"}", "000000000000000000000000000000000000000");
  ASSERT_EQ_INT(lull__control_parse(text, strlen(text), &cur, &c), -1);
  ASSERT_STR_EQ(c.code, "out_of_range");
  /* Only len bytes are read: what follows is not part of the message. */
  const char *two = "{\"type\":\"control\",\"bpm\":90}{\"type\":\"status\"}";
  ASSERT_EQ_INT(lull__control_parse(two, 27, &cur, &c), 0);
  ASSERT_NEAR(c.params.bpm, 90, 0);
  ASSERT_EQ_INT(lull__control_parse(two, strlen(two), &cur, &c), -1);
  ASSERT_STR_EQ(c.code, "bad_json");
}

static void test_rest_body(void **state) {
  (void)state;
  lull_params cur = current();
  lull_ctl_msg c;
  const char *body = "{\"intensity\":0.7,\"key\":\"D\"}";
  ASSERT_EQ_INT(lull__control_parse_body(body, strlen(body), &cur, &c), 0);
  ASSERT_EQ_INT(c.kind, LULL_CTL_PARAMS);
  ASSERT_EQ_INT(c.fields, LULL_PARAM_KEY | LULL_PARAM_INTENSITY);
  ASSERT_EQ_INT(c.params.key, 2);
  ASSERT_NEAR(c.params.intensity, 0.7, 1e-7);
  ASSERT_NEAR(c.params.bpm, 64, 0);
  body = "{\"palette\":\"night\"}";
  ASSERT_EQ_INT(lull__control_parse_body(body, strlen(body), &cur, &c), 0);
  ASSERT_EQ_INT(c.fields, LULL_PARAM_PALETTE);
  ASSERT_EQ_INT(c.params.palette, LULL_PALETTE_NIGHT);
  refused_by(lull__control_parse_body, "{\"palette\":4}", "wrong_type", "palette", "one of classic, glass");
  refused_by(lull__control_parse_body, "{\"palette\":\"day\"}", "out_of_range", "palette", "classic, glass, strings");
  /* A body is the params alone: "type" is a field like any unknown one. */
  refused_by(lull__control_parse_body, "{\"type\":\"control\",\"bpm\":70}", "unknown_field", "type", "unknown field \"type\"");
  refused_by(lull__control_parse_body, "{}", "bad_message", "", "the body changes at least one of key, mode, bpm, intensity, palette");
  refused_by(lull__control_parse_body, "[]", "bad_message", "", "must be a JSON object");
  refused_by(lull__control_parse_body, "{\"bpm\":70,\"bpm\":71}", "bad_json", "", "duplicate");
  refused_by(lull__control_parse_body, "{\"bpm\":300}", "out_of_range", "bpm", "30..180");
  refused_by(lull__control_parse_body, "{\"mode\":1}", "wrong_type", "mode", "must be a string");
}

/* The texts control.c writes are JSON that parses back to what went in. */
static void test_json_written(void **state) {
  (void)state;
  char out[512];
  lull_params p = current();
  p.key = 1, p.mode = LULL_MODE_PENTA_MAJOR, p.bpm = 72.5f, p.intensity = 0.25f, p.seed = 9223372036854775807ull;
  p.palette = LULL_PALETTE_TAPE;
  int n = lull__params_json(out, sizeof out, &p);
  ASSERT_EQ_INT(n, strlen(out));
  json_error_t e;
  json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
  if (!j) fail_msg("%s: %s", out, e.text);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "key")), "C#");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "mode")), "pentatonic-major");
  ASSERT_NEAR(json_number_value(json_object_get(j, "bpm")), 72.5, 0);
  ASSERT_NEAR(json_number_value(json_object_get(j, "intensity")), 0.25, 0);
  ASSERT_EQ_INT(json_integer_value(json_object_get(j, "seed")), 9223372036854775807ll);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "palette")), "tape");
  ASSERT_EQ_INT(json_object_size(j), 6);
  json_decref(j);
  /* Seeds are u64: the largest is written whole (beyond what jansson's
   * json_int_t or a JavaScript number holds exactly). */
  p.seed = 18446744073709551615ull;
  lull__params_json(out, sizeof out, &p);
  ASSERT_TRUE(strstr(out, "\"seed\":18446744073709551615}") != NULL);
  p.seed = 9223372036854775807ull;
  /* snprintf's contract: the length it needs, and a cut but terminated text. */
  char small[8];
  ASSERT_EQ_INT(lull__params_json(small, sizeof small, &p), n);
  ASSERT_EQ_INT(strlen(small), sizeof small - 1);

  /* An error: the message escaped (quotes, backslash, control characters),
   * the field stripped of what could break out of its string. */
  const char *msg = "unknown field \"a\\b\"\n\t\x01 end";
  n = lull__error_json(out, sizeof out, "unknown_field", "fi\"eld\\\n", msg);
  ASSERT_EQ_INT(n, strlen(out));
  j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
  if (!j) fail_msg("%s: %s", out, e.text);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "type")), "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "code")), "unknown_field");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "field")), "field");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "message")), msg);
  ASSERT_EQ_INT(json_object_size(j), 4);
  json_decref(j);

  /* JSON is UTF-8, and so is a WebSocket text frame: a byte that starts no
   * character (a client's, or one of a character cut short) becomes U+FFFD,
   * in the message and in the field. */
  n = lull__error_json(out, sizeof out, "bad_request", "st\xff\xc3", "\xc3\xa9t\xc3 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80");
  j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
  if (!j) fail_msg("%s: %s", out, e.text);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "field")), "st\xef\xbf\xbd\xef\xbf\xbd");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "message")),
                "\xc3\xa9t\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  json_decref(j);

  /* Escaping stops short of the end of its buffer, whole escapes only. */
  char esc[16];
  lull__json_escape(esc, sizeof esc, "\x02\x02\x02\x02");
  ASSERT_STR_EQ(esc, "\\u0002\\u0002");
  lull__json_escape(esc, sizeof esc, "plain text, long");
  ASSERT_LE(strlen(esc), sizeof esc - 1);
  ASSERT_TRUE(strncmp(esc, "plain text", 8) == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_field_applied), cmocka_unit_test(test_status),
      cmocka_unit_test(test_refusals),           cmocka_unit_test(test_long_and_odd_input),
      cmocka_unit_test(test_rest_body),          cmocka_unit_test(test_json_written),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
