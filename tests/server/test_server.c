/* The server's life cycle: `lull serve` stops gracefully on SIGTERM (close
 * 1001, exit 0); with --tls-cert/--tls-key the port speaks HTTPS (the API,
 * the playlist and a stream decoded over TLS), refuses plain HTTP, and every
 * bad certificate or key is named before anything starts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "server/fixture.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/spawn.h"

static void test_serve_stops_gracefully_on_sigterm(void **state) {
  (void)state;
  int err_fd;
  nc_ws ws;
  pid_t pid = serve_with_a_listener(&ws, &err_fd);
  double t0 = nc_now_s();
  kill(pid, SIGTERM);
  expect_close(&ws, 1001);
  int status;
  int done = wait_exit(pid, t0, 10, &status);
  print_message("# SIGTERM to exit: %.0f ms (timed in test_cadence)\n", (nc_now_s() - t0) * 1000);
  ASSERT_TRUE(done);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ_INT(WEXITSTATUS(status), 0);
  nc_ws_close(&ws);
  close(err_fd);
}

/* --tls-cert/--tls-key: the port speaks HTTPS (the player's pages, the API,
 * the streams) and refuses plain HTTP; a bad pair is named. */
static void test_tls(void **state) {
  (void)state;
  test_cert tc;
  make_cert(&tc);
  const char *dir = tc.dir, *cert = tc.cert, *key = tc.key;
  lull_server *srv = start(&(lull_server_config){.tls_cert = cert, .tls_key = key});
  uint16_t port = lull_server_port(srv);
  unsigned char *body;
  size_t len;
  ASSERT_EQ_INT(tls_get(port, cert, "/api/status", NULL, 3, &body, &len, NULL, 0), 200);
  json_t *j = parse((char *)body);
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_array_get(json_object_get(j, "stations"), 0), "name")), "main");
  json_decref(j);
  free(body);
  ASSERT_EQ_INT(tls_get(port, cert, "/listen.m3u", NULL, 3, &body, &len, NULL, 0), 200);
  ASSERT_STR_CONTAINS((char *)body, "https://127.0.0.1:");
  free(body);
  /* Three seconds of the Ogg stream decode. */
  ASSERT_EQ_INT(tls_get(port, cert, "/stream.ogg", NULL, 3, &body, &len, NULL, 0), 200);
  decoded d;
  ASSERT_EQ_INT(decode_ogg_opus(body, len, &d), 0);
  print_message("# ogg over TLS: %zu bytes, %.2f s decoded, rms %.4f\n", len, d.seconds, d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 2.5);
  ASSERT_LE(d.holes, 1);
  ASSERT_GE(d.rms, 0.005);
  free(body);
  /* Plain HTTP on the TLS port gets no answer. */
  char *plain = NULL;
  ASSERT_TRUE(nc_http(port, "GET", "/api/status", NULL, NULL, &plain, NULL) != 200);
  free(plain);
  lull_server_destroy(srv);

  /* A certificate without its key, a file that is not there, a file that is not PEM. */
  lull_server *none = NULL;
  lull_diag dg = {{0}, {0}};
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.port = 0, .tls_cert = cert}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_key");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = "/nonexistent.pem", .tls_key = key}, &none, &dg),
                LULL_EIO);
  ASSERT_STR_CONTAINS(dg.message, "/nonexistent.pem");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = key, .tls_key = cert}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_key");
  ASSERT_STR_CONTAINS(dg.message, "no PEM private key");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = key, .tls_key = key}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_cert");
  ASSERT_STR_CONTAINS(dg.message, "no PEM certificate");
  /* A key of another certificate. */
  test_cert oc;
  make_cert(&oc);
  const char *other = oc.dir, *okey = oc.key;
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = cert, .tls_key = okey}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.message, "is not the key of the certificate");
  /* TLS runs on one network thread. */
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = cert, .tls_key = key, .threads = 2}, &none, &dg),
                LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "threads");
  ASSERT_TRUE(none == NULL);
  char rm[128];
  snprintf(rm, sizeof rm, "rm -r %s", other);
  ASSERT_EQ_INT(system(rm), 0);
  unlink(cert);
  unlink(key);
  rmdir(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serve_stops_gracefully_on_sigterm),
      cmocka_unit_test(test_tls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
