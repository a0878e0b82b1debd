#!/usr/bin/env bash
# make install's result, into a DESTDIR: the binary runs, lull(1) is a clean
# man page holding every command's options, the systemd unit points at the
# installed binary and config, is hardened (systemd-analyze verify and its
# exposure score, where systemd-analyze is here), and takes its secrets as
# credentials; realtime is a drop-in. Usage: test_install.sh BUILD_DIR
set -u
build=$1
. "$(dirname "$0")/check.sh"

DESTDIR=$tmp/root cmake --install "$build" >"$tmp/log" 2>&1
check "install runs" [ $? = 0 ]
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$tmp/root$prefix
unit=$root/lib/systemd/system/lull.service
check "the binary" [ -x "$root/bin/lull" ]
check "the binary runs" sh -c "'$root/bin/lull' --version | grep -q '^lull [0-9]'"
man=$root/share/man/man1/lull.1
check "the man page" [ -f "$man" ]
check "lull(1) says what lull is" grep -q '^\.TH LULL "1"' "$man"
for cmd in SERVE RENDER BENCH PALETTES PLUGINS; do
  check "lull(1) holds lull ${cmd,,} --help" grep -q "^\.SH \"\?LULL $cmd\"\?" "$man"
done
check "lull(1) holds serve's options" grep -q -- 'max\\-personal' "$man"
if command -v groff >/dev/null; then
  check "lull(1) is clean roff" sh -c "groff -man -Tutf8 -ww -z '$man' 2>&1 | (! grep .)"
fi
check "the unit" [ -f "$unit" ]
check "the unit runs the installed binary" grep -qx "ExecStart=$prefix/bin/lull serve --config .*/lull/lull.ini" "$unit"
check "systemctl reload sends SIGHUP" grep -qx 'ExecReload=/bin/sh -c "kill -HUP $MAINPID"' "$unit"
for line in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateDevices=yes \
  'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'AmbientCapabilities=' \
  'LoadCredential=control-token:/etc/lull/control-token' 'LoadCredential=icecast-password:/etc/lull/icecast-password'; do
  check "the unit: $line" grep -qx -- "$line" "$unit"
done
check "no capability unless realtime" sh -c "! grep -q CAP_SYS_NICE '$unit'"
check "the example config" [ -f "$root/share/doc/lull/lull.ini" ]
check "the example config checks" "$root/bin/lull" serve --check-config "$root/share/doc/lull/lull.ini" >/dev/null
check "the realtime drop-in" grep -qx 'AmbientCapabilities=CAP_SYS_NICE' "$root/share/doc/lull/realtime.conf"
if command -v systemd-analyze >/dev/null; then
  # Verified with its ExecStart at the copy under DESTDIR (which it checks is there).
  sed "s|$prefix/bin/lull|$root/bin/lull|" "$unit" >"$tmp/lull.service"
  check "systemd-analyze verify" sh -c "systemd-analyze verify --man=no '$tmp/lull.service' >'$tmp/verify' 2>&1 && ! grep . '$tmp/verify'"
  [ -s "$tmp/verify" ] && cat "$tmp/verify" >&2
  systemd-analyze security --offline=yes "$tmp/lull.service" 2>/dev/null | tail -1
  check "exposure at most 2.0 (systemd-analyze security)" systemd-analyze security --offline=yes --threshold=20 "$tmp/lull.service" >/dev/null 2>&1
else
  echo "# systemd-analyze is not here: the unit's checks by systemd are skipped"
fi
checked
