#!/usr/bin/env bash
# The one place that lists lull's Debian packages. Installs only what is missing.
# Usage: scripts/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  # libraries
  libsndfile1-dev   # WAV/FLAC/Ogg files
  libjansson-dev    # JSON: phrase files, control messages
  libebur128-dev    # loudness and true peak
  libopus-dev libogg-dev   # the stream: Opus packets, Ogg pages
  libopusfile-dev   # tests: decoding the stream back
  libwebsockets-dev # the server: HTTP + WebSocket
  libev-dev libwebsockets-evlib-ev   # its event loop: epoll, through libev
  libmp3lame-dev    # /stream.mp3
  libmpg123-dev     # tests: decoding /stream.mp3 back
  # tests
  libcmocka-dev
  bsdutils          # script(1): a terminal for the progress-bar test
  clang libclang-rt-14-dev   # libFuzzer for the phrase parser (make fuzz)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
