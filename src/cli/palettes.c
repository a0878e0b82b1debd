/* lull palettes: every palette by name with its one line, from params.c's
 * table (the same names --palette, --station and the control messages take). */
#include <string.h>

#include "cli/cli.h"
#include "lull/params.h"

static void help(FILE *f) {
  fputs("usage: lull palettes\n"
        "\n"
        "List the palettes (whole sound worlds: instruments, space and how they are\n"
        "written for), one a line: its name, then what it sounds like. Choose one with\n"
        "lull render --palette NAME, lull serve --station NAME:palette=NAME, or a\n"
        "control message {\"type\":\"control\",\"palette\":\"NAME\"}.\n"
        "\n"
        "  -h, --help  this text\n",
        f);
}

int lull__cmd_palettes(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    }
    fprintf(stderr, "lull palettes: unknown option \"%s\" (lull palettes --help)\n", argv[i]);
    return LULL_EXIT_USAGE;
  }
  for (int i = 0; i < LULL_PALETTE_COUNT; i++) printf("%-8s %s\n", lull_palette_name(i), lull_palette_describe(i));
  return LULL_EXIT_OK;
}
