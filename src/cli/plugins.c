/* lull plugins [URI]: the installed LV2 effects and instruments lull can
 * host, each with its presets and control ports; those it cannot, with the
 * feature they need that lull does not give. */
#include <string.h>

#include "cli/cli.h"
#include "plugin/plugin.h"

static void help(FILE *f) {
  fputs("usage: lull plugins [URI]\n"
        "\n"
        "List the installed LV2 plugins lull can host: URI, name, whether an effect or an\n"
        "instrument, and its class; then its presets, and each control port's symbol with its\n"
        "range and default. Plugins lull cannot host follow, each with what it needs. With a\n"
        "URI, just that plugin. Use an effect with lull render --fx URI[,preset=P][,SYMBOL=VALUE...],\n"
        "an instrument with lull render --instrument PART=URI[,...] (and the same in lull serve).\n"
        "Plugins are found on LV2_PATH, else in the system's LV2 folders.\n"
        "\n"
        "  -h, --help  this text\n"
        "\n"
        "exit status: 0 listed, 2 unknown URI or usage error\n",
        f);
}

int lull__cmd_plugins(int argc, char **argv) {
  const char *uri = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    }
    if (argv[i][0] == '-' || uri) {
      fprintf(stderr, "lull plugins: unexpected \"%s\"; give at most one URI (lull plugins --help)\n", argv[i]);
      return LULL_EXIT_USAGE;
    }
    uri = argv[i];
  }
  lull_plugin_host *host = NULL;
  lull_diag diag = {0};
  int err = lull__plugin_host_create(&host, &diag);
  if (err == LULL_OK) err = lull__plugin_list(host, uri, stdout, &diag);
  lull__plugin_host_destroy(host);
  if (err != LULL_OK) {
    fprintf(stderr, "lull plugins: %s\n", diag.message);
    return err == LULL_EUNKNOWN ? LULL_EXIT_USAGE : LULL_EXIT_FAIL;
  }
  return LULL_EXIT_OK;
}
