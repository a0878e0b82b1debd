#!/usr/bin/env bash
# The one place that lists lull's Debian packages. Installs only what is missing.
# Usage: scripts/install-deps.sh   (as root, or with sudo available; ./dev calls it
# on a machine that has no make yet, build-essential brings it)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  help2man          # lull(1), made from lull --help at build time
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
  libshout3-dev     # Icecast source output
  libinih-dev       # lull serve --config: the INI file
  liblilv-dev lv2-dev   # the LV2 host: plugins as instruments and master effects
  # tests
  libcmocka-dev
  bsdutils          # script(1): a terminal for the progress-bar test
  clang libclang-rt-14-dev   # libFuzzer for the phrase parser (make fuzz)
  chromium          # the web player's tests (headless; playwright-core drives it)
  icecast2          # the Icecast output's tests (started by the test, on loopback)
  openssl libssl-dev   # tests: a certificate for --tls-cert, and a TLS client
  python3-mido      # tests: MIDI files read by a reader lull did not write
  prometheus        # tests: its promtool checks /metrics (the server it brings is kept stopped, below)
  dragonfly-reverb-lv2 padthv1-lv2 synthv1-lv2   # tests: real LV2 plugins (a reverb, two instruments)
)
# Node.js runs the web player's tests: Debian 12's (18) or any newer one already here.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
# npm packages, each folder pinned by its lockfile: web-deps/package.json,
# what the web player loads that lull did not write (the Opus decoder in
# WebAssembly, embedded at build), and tests/web/package.json (tests only).
root="$(cd "$(dirname "$0")/.." && pwd)"

npm_install() {
  local dir
  for dir in web-deps tests/web; do
    # Again only when the lockfile changed since the last install.
    local stamp="$root/$dir/node_modules/.lull-lock"
    if [ -f "$stamp" ] && cmp -s "$stamp" "$root/$dir/package-lock.json"; then continue; fi
    echo "install-deps: npm ci in $dir" >&2
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$root/$dir/package-lock.json" "$stamp"
  done
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  npm_install
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus package would start a Prometheus server (port 9090) at
# install and at every boot; lull wants only its promtool. A policy-rc.d that
# refuses every start covers the install (where the machine has none of its
# own), and after it the service is stopped and disabled whatever happened.
policy=/usr/sbin/policy-rc.d
guard=""
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts during its install\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  guard=1
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  else
    { [ -x /etc/init.d/prometheus ] && $sudo /etc/init.d/prometheus stop; } >/dev/null 2>&1 || true
    $sudo update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
fi
if [ -n "$guard" ]; then
  $sudo rm -f "$policy"
  trap - EXIT
fi
npm_install
