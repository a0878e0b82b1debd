#!/bin/sh
# The subcommands' --help as sections of lull(1), for help2man's --include:
# each as preformatted text (roff's backslashes doubled, hyphens as the
# minus signs options are, a leading dot or quote escaped).
# Usage: scripts/man-include.sh path/to/lull > lull.h2m
set -eu
lull=$1
for cmd in serve render bench palettes plugins; do
  printf '[LULL %s]\n.nf\n' "$(printf %s "$cmd" | tr 'a-z' 'A-Z')"
  "$lull" "$cmd" --help | sed -e 's/\\/\\\\/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
  printf '.fi\n\n'
done
