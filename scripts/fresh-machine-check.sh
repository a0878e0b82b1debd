#!/usr/bin/env bash
# Does the README keep its promise on a pristine Debian 12? Builds one with
# mmdebstrap (--variant=apt: no make, no compiler, Node.js 18), puts a clone of this
# repository's current commit in it, enters it with chroot (proc, sys and dev mounted)
# and runs the README's two commands as root: the first must serve the page on
# http://127.0.0.1:8000, the second must pass. Everything it made is removed at the
# end, also when it fails or is interrupted.
#
# Usage: scripts/fresh-machine-check.sh [--keep]     (as root; downloads ~1 GB)
#   --keep        leave the root in place for a look afterwards (mounts are still undone)
#   LULL_FRESH_DIR=DIR    where to build the root (default: a new folder under /var/tmp)
#   LULL_FRESH_MIRROR=URL the Debian mirror (default: mmdebstrap's, deb.debian.org)
# Not part of `make test`. Port 8000 on this machine must be free while it runs.
set -euo pipefail

keep=0
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-machine-check: unknown argument '$a' (allowed: --keep, --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (mmdebstrap, mount and chroot need it)" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
port=8000
say() { printf '\n=== fresh-machine-check: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

# The README's first code block: its first command runs, its second tests.
mapfile -t commands < <(awk '/^```/{n++; next} n==1' "$repo/README.md" | sed 's/[[:space:]]*#.*$//' | sed '/^[[:space:]]*$/d')
if [ ${#commands[@]} -ne 2 ]; then
  echo "fresh-machine-check: the README's first code block must hold exactly two commands, it holds ${#commands[@]}" >&2
  exit 1
fi
run_cmd="${commands[0]}"
test_cmd="${commands[1]}"

http_ok() {  # the page on the port: 200 with the player in it
  local body
  body="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/" 2>/dev/null)" || return 1
  grep -q '<html' <<<"$body"
}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "fresh-machine-check: something already listens on 127.0.0.1:$port; stop it first" >&2
  exit 1
fi
command -v curl >/dev/null || { echo "fresh-machine-check: needs curl on this machine (apt-get install curl)" >&2; exit 1; }
if ! command -v mmdebstrap >/dev/null; then
  say "installing mmdebstrap on this machine"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

root="${LULL_FRESH_DIR:-$(mktemp -d /var/tmp/lull-fresh.XXXXXX)}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
run_pid=""

# Processes whose root is the chroot: what the run command left, apt's helpers, tests.
chroot_pids() {
  local p r
  for p in /proc/[0-9]*; do
    r="$(readlink "$p/root" 2>/dev/null)" || continue
    [ "$r" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  set +e
  [ -n "$run_pid" ] && kill -TERM -- "-$run_pid" 2>/dev/null
  local pids
  pids="$(chroot_pids)"
  [ -n "$pids" ] && { kill -TERM $pids 2>/dev/null; sleep 2; pids="$(chroot_pids)"; [ -n "$pids" ] && kill -KILL $pids 2>/dev/null; sleep 1; }
  for m in dev sys proc; do
    mountpoint -q "$root/$m" && umount -R "$root/$m" 2>/dev/null || { [ -d "$root/$m" ] && umount -R -l "$root/$m" 2>/dev/null; }
  done
  if grep -q " $root/" /proc/mounts; then
    echo "fresh-machine-check: mounts under $root remain; not removing it" >&2
  elif [ "$keep" -eq 1 ]; then
    echo "fresh-machine-check: the root is kept at $root" >&2
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "a pristine Debian 12 in $root"
mirror=()
[ -n "${LULL_FRESH_MIRROR:-}" ] && mirror=("$LULL_FRESH_MIRROR")
mmdebstrap --quiet --variant=apt --include=ca-certificates bookworm "$root" "${mirror[@]}"
for tool in make cc gcc node; do
  if chroot "$root" sh -c "command -v $tool" >/dev/null; then
    echo "fresh-machine-check: the new root already has $tool; it is not pristine" >&2
    exit 1
  fi
done

# This machine's way out to the registries, as mmdebstrap carries over its
# resolv.conf: local CAs (a proxy that inspects TLS) and npm's config.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
[ -f /etc/npmrc ] && cp /etc/npmrc "$root/etc/npmrc"

# Daemons that packages start would share this machine's ports: none may start.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"

say "a clone of $(git -C "$repo" rev-parse --short HEAD) in /root/lull"
git clone --quiet --no-hardlinks "$repo" "$root/root/lull"
git -C "$root/root/lull" checkout --quiet "$(git -C "$repo" rev-parse HEAD)"

# As a new user would: root's shell in the clone, a clean environment.
in_root=(chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c)

say "1: $run_cmd"
setsid "${in_root[@]}" "cd /root/lull && $run_cmd" > "$root/run.log" 2>&1 < /dev/null &
run_pid=$!
served=0
for _ in $(seq 1800); do  # installs and builds first: up to 30 minutes
  if http_ok; then served=1; break; fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 1
done
tail -n 5 "$root/run.log"
if [ "$served" -ne 1 ]; then
  echo "fresh-machine-check: FAIL: '$run_cmd' did not serve the page on http://127.0.0.1:$port" >&2
  tail -n 40 "$root/run.log" >&2
  exit 1
fi
echo "fresh-machine-check: '$run_cmd' serves the page on http://127.0.0.1:$port"
kill -INT -- "-$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
run_pid=""

say "2: $test_cmd"
set +e
"${in_root[@]}" "cd /root/lull && $test_cmd" < /dev/null 2>&1 | tee "$root/test.log" | grep -E --line-buffered '^(install-deps|fuzz:)|tests passed|tests failed|^[[:space:]]*[0-9]+/[0-9]+ Test .*(Passed|Failed|\*\*\*)|Errors while running|Error [0-9]'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "fresh-machine-check: FAIL: '$test_cmd' exited $status" >&2
  tail -n 60 "$root/test.log" >&2
  exit 1
fi
say "PASS: on a pristine Debian 12, '$run_cmd' serves the page and '$test_cmd' passes"
