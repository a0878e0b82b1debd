/* lull: the command line. Dispatches to subcommands; each has --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lull/lull.h"

static void usage(FILE *f) {
  fputs("usage: lull <command> [options]\n"
        "\n"
        "commands:\n"
        "  serve     stream live to listeners (web player, WebSocket, Ogg/Opus, MP3)\n"
        "  render    render a phrase file to WAV or FLAC\n"
        "  bench     measure render speed (realtime factor)\n"
        "  palettes  list the palettes (sound worlds) with what each sounds like\n"
        "  plugins   list the LV2 effects and instruments lull can host\n"
        "\n"
        "lull <command> --help shows a command's options. lull --version prints the version.\n",
        f);
}

int main(int argc, char **argv) {
  /* Qt-based LV2 plugins (padthv1, synthv1) make an application object when
   * instantiated, which aborts without a display unless Qt draws off
   * screen. Here, before any thread: setenv is unsafe once threads read the
   * environment. A choice the user made stands. */
  setenv("QT_QPA_PLATFORM", "offscreen", 0);
  if (argc < 2) {
    usage(stderr);
    return LULL_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return LULL_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("lull %s\n", LULL_VERSION);
    return LULL_EXIT_OK;
  }
  if (strcmp(cmd, "render") == 0) return lull__cmd_render(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return lull__cmd_bench(argc - 1, argv + 1);
  if (strcmp(cmd, "serve") == 0) return lull__cmd_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "palettes") == 0) return lull__cmd_palettes(argc - 1, argv + 1);
  if (strcmp(cmd, "plugins") == 0) return lull__cmd_plugins(argc - 1, argv + 1);
  fprintf(stderr, "lull: unknown command \"%s\"; commands: serve, render, bench, palettes, plugins (lull --help)\n", cmd);
  return LULL_EXIT_USAGE;
}
