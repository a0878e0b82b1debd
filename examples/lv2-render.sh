#!/bin/sh
# Five minutes of night music with padthv1 (Debian's padthv1-lv2) playing the
# pad and Dragonfly Hall (dragonfly-reverb-lv2) on the master, in place of
# lull's own reverb and delay. Usage: examples/lv2-render.sh [OUT.wav] [LULL]
out=${1:-lv2-night.wav}
lull=${2:-build/lull}
exec "$lull" render -o "$out" --minutes 5 --key D --mode dorian --intensity 0.3 --seed 7 --dry \
  --instrument pad=http://padthv1.sourceforge.net/lv2 \
  --fx https://github.com/michaelwillis/dragonfly-reverb,decay=6,late_level=40,dry_level=70
