#!/bin/sh
# A station named night whose pad is padthv1 (Debian's padthv1-lv2) and whose
# master ends in Dragonfly Hall (dragonfly-reverb-lv2), beside the default
# one; open http://127.0.0.1:8000. Usage: examples/lv2-station.sh [LULL [serve flags...]]
lull=${1:-build/lull}
[ $# -gt 0 ] && shift
exec "$lull" serve --station main \
  --station 'night:key=D,mode=dorian,intensity=0.3,title=Night (LV2),description=padthv1 pads in Dragonfly Hall' \
  --instrument night.pad=http://padthv1.sourceforge.net/lv2 \
  --fx night=https://github.com/michaelwillis/dragonfly-reverb,decay=6,late_level=40 "$@"
