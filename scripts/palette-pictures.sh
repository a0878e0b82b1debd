#!/usr/bin/env bash
# Each palette drawn and measured (issue 20): 3 minutes of music at
# intensity 0.5, seed 7, rendered with its MIDI file into out/;
# bench/music_stats prints its figures (kept in out/palette-NAME.txt) and
# draws docs/palette-NAME-spectrogram.png and docs/palette-NAME-loudness.svg;
# docs/palettes.md gathers the figures in one table. Rerun it whenever the
# palettes change (make palette-pictures). The palettes are those
# `lull palettes` lists. Usage: scripts/palette-pictures.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
minutes=3 intensity=0.5 seed=7
lull=$build/lull stats=$build/music_stats
md=docs/palettes.md
mkdir -p out docs

# The figure in column COL of the line of FILE that starts with LABEL
# (music_stats' table indents each by two spaces); fails when it is missing.
figure() {
  awk -v label="$2" -v col="$3" 'index($0, "  " label) == 1 { print $col; found = 1; exit }
    END { if (!found) { print "palette-pictures: no \"" label "\" in " FILENAME > "/dev/stderr"; exit 1 } }' "$1"
}
# "<100 18.0 %, 100-400 62.1 %, ..." as "NAME VALUE" lines.
bands() {
  sed -n 's/^  energy by band (Hz) *//p' "$1" | tr ',' '\n' | awk 'NF { print $1, $2 }'
}
html() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }

list=$("$lull" palettes) # NAME DESCRIPTION, one a line
rows="" sections=""
while read -r p description <&3; do
  name=out/palette-$p
  echo "== lull render -o $name.flac --minutes $minutes --palette $p --intensity $intensity --seed $seed --midi $name.mid"
  "$lull" render -o "$name.flac" --minutes "$minutes" --palette "$p" --intensity "$intensity" --seed "$seed" \
    --midi "$name.mid" --quiet
  "$stats" "$name.flac" --midi "$name.mid" --key A --mode aeolian --bpm 64 --svg-prefix "docs/palette-$p" \
    > "$name.txt"
  lufs=$(figure "$name.txt" "integrated loudness" 3)
  lra=$(figure "$name.txt" "loudness range (LRA)" 4)
  peak=$(figure "$name.txt" "true peak" 3)
  centroid=$(figure "$name.txt" "spectral centroid" 3)
  shares=$(bands "$name.txt" | awk '{ printf " %s |", $2 }')
  [ -n "$shares" ] || { echo "palette-pictures: no energy by band in $name.txt" >&2; exit 1; }
  rows+="| $p | $lufs | $lra | $peak | $centroid |$shares"
  rows+=" [spectrogram](palette-$p-spectrogram.png), [loudness](palette-$p-loudness.svg) |"$'\n'
  sections+=$'\n'"## $p"$'\n\n'"$description"$'\n\n'
  sections+="![$p: spectrogram](palette-$p-spectrogram.png)"$'\n\n'"![$p: loudness](palette-$p-loudness.svg)"$'\n'
done 3<<<"$list"

band_names=$(bands "$name.txt" | awk '{ print $1 }' | html)
{
  echo "# The palettes drawn"
  echo
  echo "Each palette (issue 20) rendered for $minutes minutes at intensity $intensity, seed $seed, A aeolian,"
  echo "64 bpm, and measured by \`bench/music_stats\`: \`make palette-pictures\` (scripts/palette-pictures.sh)"
  echo "writes this page, its pictures, and the renders with each one's full figures in \`out/palette-NAME.txt\`."
  echo "Measured at commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include || echo ' with changes to src or include')."
  echo "Loudness is EBU R128 (integrated LUFS, loudness range LU, true peak dBTP); energy by band is each"
  echo "band's share of the whole spectrum's power, in percent; the centroid is the power-weighted mean"
  echo "frequency. Spectrograms run 50 Hz (bottom) to 16 kHz (top) on a log scale, colours over 90 dB."
  echo
  printf '| palette | LUFS | LRA LU | true peak dBTP | centroid Hz |'
  for b in $band_names; do printf ' %s Hz %% |' "$b"; done
  echo ' pictures |'
  printf '|---|---:|---:|---:|---:|'
  for b in $band_names; do printf -- '---:|'; done
  echo '---|'
  printf '%s' "$rows"
  printf '%s' "$sections"
} > "$md"
echo "wrote $md"
