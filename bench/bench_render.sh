#!/usr/bin/env bash
# The render's speed: CPU seconds (user + system) of `lull render` for a
# 600 s phrase (examples/night-in-a.json, 20 loops) written as WAV to a pipe
# into /dev/null, dry with float, 16-bit and 24-bit samples, and with reverb
# and delay. The configurations alternate run by run (this shared VM drifts
# by 10-30 % over minutes), and each prints its runs, min, median and max.
#
#   bench/bench_render.sh [RUNS] [LULL]     RUNS: 5 (default), LULL: build/lull
#
# If SuperCollider's scsynth or Csound were measured on the same machine,
# compare against their figures by hand: neither is a dependency of lull.
set -euo pipefail

runs=${1:-5}
lull=${2:-build/lull}
here=$(cd "$(dirname "$0")/.." && pwd)
phrase=$here/examples/night-in-a.json

if [[ $runs == -h || $runs == --help ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 1 || runs > 50)); then
  echo "bench_render.sh: RUNS must be 1..50, got \"$runs\"" >&2
  exit 2
fi
if [[ ! -x $lull ]]; then
  echo "bench_render.sh: $lull is not an executable lull (build first: make build)" >&2
  exit 2
fi

names=(float 16-bit 24-bit "reverb+delay")
args=("--dry --bits float" "--dry --bits 16" "--dry --bits 24" "--bits float")
declare -a all=("" "" "" "")

# CPU seconds of one render: bash's own time keyword, so nothing else is needed.
cpu() {
  local TIMEFORMAT='%U %S' t
  # shellcheck disable=SC2086 # the flags are meant to split
  t=$({ time "$lull" render --phrase "$phrase" --loops 20 $1 --quiet -o - >/dev/null; } 2>&1)
  awk '{printf "%.2f", $1 + $2}' <<<"$t"
}

for ((r = 0; r < runs; r++)); do
  for k in "${!args[@]}"; do all[k]+="$(cpu "${args[k]}") "; done
done

echo "lull render of a 600 s phrase ($phrase x 20), CPU seconds, $runs runs each:"
for k in "${!args[@]}"; do
  sorted=$(tr ' ' '\n' <<<"${all[k]}" | grep . | sort -n | tr '\n' ' ')
  read -r -a v <<<"$sorted"
  n=${#v[@]}
  printf '  %-13s min %s  median %s  max %s  (%s)  %.0fx real time at the median\n' "${names[k]}" "${v[0]}" \
    "${v[n / 2]}" "${v[n - 1]}" "$sorted" "$(awk -v m="${v[n / 2]}" 'BEGIN {print 600 / m}')"
done
