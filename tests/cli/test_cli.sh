#!/usr/bin/env bash
# The lull command end to end: help, render, errors and exit codes, and that
# a failed render leaves no file behind; its MIDI files read alike by mido and
# by our own reader. Usage: test_cli.sh LULL EXAMPLES WAVINFO MIDIINFO
# (LULL_PYTHON: a python3 with python3-mido; Debian's /usr/bin/python3 by default)
set -u
lull=$1 examples=$2 wavinfo=$3 midiinfo=$4
python=${LULL_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/check.sh"
code() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
info() { "$wavinfo" "$1" | sed -n "s/^$2=//p"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
no_files() { [ -z "$(ls -A "$tmp/out-dir")" ]; }
differ() { ! cmp -s "$1" "$2"; }
mkdir "$tmp/out-dir"

# Help everywhere, exit 0, on stdout.
for args in "--help" "render --help" "bench --help" "render -h" "serve --help" "palettes --help" "plugins --help"; do
  check "help: $args" [ "$(code $lull $args)" = 0 ]
  check "help text: $args" grep -q usage "$tmp/out"
done
check "version" [ "$(code $lull --version)" = 0 ]
check "no command: usage" [ "$(code $lull)" = 2 ]
check "unknown command" [ "$(code $lull dance)" = 2 ]
check "unknown command named" grep -q '"dance"' "$tmp/err"

# lull palettes: every palette, one a line, name then its description; the
# same names render --help offers.
check "palettes" [ "$(code $lull palettes)" = 0 ]
check "palettes: six lines" [ "$(wc -l < "$tmp/out")" = 6 ]
check "palettes: names in order" [ "$(awk '{print $1}' "$tmp/out" | tr '\n' ' ')" = "classic glass strings keys night tape " ]
check "palettes: each described" [ "$(awk 'NF < 4' "$tmp/out" | wc -l)" = 0 ]
check "palettes: glass's line" grep -q '^glass  *glass bells' "$tmp/out"
for name in $(awk '{print $1}' "$tmp/out"); do
  check "render --help names $name" sh -c "$lull render --help | grep -- '--palette' | grep -qw $name"
done
check "palettes: unknown option" [ "$(code $lull palettes --all)" = 2 ]
check "palettes: unknown option named" grep -q '"--all"' "$tmp/err"
check "usage lists palettes" sh -c "$lull --help | grep -q '^  palettes'"
# lull plugins: the installed LV2 plugins lull can host, with their ports;
# lull render --fx puts one on the master. Dragonfly Hall is a test dependency.
hall=https://github.com/michaelwillis/dragonfly-reverb
check "plugins" [ "$(code $lull plugins)" = 0 ]
check "plugins: the hall, an effect" grep -q "^$hall  Dragonfly Hall Reverb  (effect, " "$tmp/out"
check "plugins: its decay port, range and default" grep -q '^    decay  *0.1..10, default 1.3' "$tmp/out"
check "plugins URI" [ "$(code $lull plugins $hall)" = 0 ]
check "plugins URI: one plugin" [ "$(grep -c '^[a-z]' "$tmp/out")" = 1 ]
check "plugins: unknown URI" [ "$(code $lull plugins urn:lull:none)" = 2 ]
check "plugins: unknown URI named" grep -q 'urn:lull:none' "$tmp/err"
check "usage lists plugins" sh -c "$lull --help | grep -q '^  plugins'"
for spec in "urn:lull:none|urn:lull:none" "$hall,decay=60|decay must be 0.1..10, got 60" "$hall,warmth=1|no control input \"warmth\"" \
            "$hall,preset=Nowhere|no preset \"Nowhere\"" "$hall,decay|preset=P or SYMBOL=VALUE"; do
  check "render --fx refused: ${spec%%|*}" [ "$(code $lull render -o "$tmp/out-dir/fx.wav" --minutes 0.05 --fx "${spec%%|*}")" = 2 ]
  check "render --fx names it: ${spec#*|}" sh -c "grep -q -- '^lull render: --fx: ' '$tmp/err' && grep -qF -- '${spec#*|}' '$tmp/err'"
  check "render --fx refused: no file" no_files
done
synth=http://synthv1.sourceforge.net/lv2
for spec in "piano=$synth|PART one of pad, lead" "pad=$hall|is an effect, not an instrument (use --fx)" \
            "pad=$synth,OUT1_VOLUME=9|OUT1_VOLUME must be 0..1, got 9" "pad|PART one of pad"; do
  check "render --instrument refused: ${spec%%|*}" [ "$(code $lull render -o "$tmp/out-dir/i.wav" --minutes 0.05 --instrument "${spec%%|*}")" = 2 ]
  check "render --instrument names it: ${spec#*|}" sh -c "grep -q -- '^lull render: --instrument' '$tmp/err' && grep -qF -- '${spec#*|}' '$tmp/err'"
  check "render --instrument refused: no file" no_files
done
check "render --instrument twice" [ "$(code $lull render -o "$tmp/out-dir/i.wav" --instrument "pad=$synth" --instrument "pad=$synth")" = 2 ]
check "render --instrument twice: named" grep -q 'pad is given twice' "$tmp/err"
check "render --instrument" [ "$(code $lull render -o "$tmp/i.wav" --minutes 0.05 --instrument "pad=$synth" --instrument "lead=$synth" --quiet)" = 0 ]
# A plugin that faults: muted, the render goes on, said once on stderr
# (lull's probe turns NaN on notes above E6 with explode=1; three of them here).
cat > "$tmp/high.json" <<'JSON'
{"bpm": 120, "time": "beats", "length": 8,
 "melody": [{"at": 0, "pitch": "C5", "duration": 1}, {"at": 2, "pitch": "A6", "duration": 1},
            {"at": 4, "pitch": "B6", "duration": 1}, {"at": 6, "pitch": "C7", "duration": 1}]}
JSON
check "render: a faulting instrument" [ "$(code $lull render --phrase "$tmp/high.json" -o "$tmp/f.wav" --instrument "lead=urn:lull:test:probe,explode=1" --quiet)" = 0 ]
check "render: the fault said once" [ "$(grep -c 'LV2 instrument' "$tmp/err")" = 1 ]
check "render: the fault named" grep -q '^lull render: the LV2 instrument on lead (urn:lull:test:probe): its output turned NaN at 1\.0[0-9]* s; muted from there$' "$tmp/err"
check "bench --fx" [ "$(code $lull bench --seconds 1 --runs 1 --fx "$hall")" = 0 ]
check "bench --fx: beside lull's own" sh -c "grep -q \"^lull's reverb and delay  *[0-9.]*  (+\" '$tmp/out' && grep -q '^fx $hall  *[0-9.]*  (+[0-9.]*, [0-9.]*x' '$tmp/out'"
check "bench --instrument" [ "$(code $lull bench --seconds 1 --runs 1 --instrument "pad=$synth")" = 0 ]
check "bench --instrument: beside the part's own voice" grep -q "^pad: lull's own voice" "$tmp/out"
check "bench --instrument: bad part" [ "$(code $lull bench --instrument "piano=$synth")" = 2 ]
check "bench --fx: unknown plugin" [ "$(code $lull bench --seconds 1 --runs 1 --fx urn:lull:none)" = 2 ]
check "bench --fx: unknown plugin named" grep -qF 'lull bench: --fx: no LV2 plugin "urn:lull:none" is installed' "$tmp/err"
check "render --fx" [ "$(code $lull render -o "$tmp/fx.wav" --minutes 0.05 --dry --fx "$hall,decay=3" --quiet)" = 0 ]
check "render --fx: the tail is longer than dry's" [ "$(info "$tmp/fx.wav" frames)" -gt "$(( (3 + 5) * 48000 ))" ]

# lull bench --palette: a row for the palette beside classic's (figures only:
# nothing here depends on how fast the machine is).
check "bench --palette" [ "$(code $lull bench --seconds 1 --runs 1 --only fx --palette glass)" = 0 ]
check "bench --palette: glass row" grep -q '^glass  *[0-9.]* *[0-9.]* *[0-9.]*x ' "$tmp/out"
check "bench --palette: classic row" grep -q '^classic ' "$tmp/out"
check "bench --palette: the goal" grep -q 'at most 2x classic' "$tmp/out"

# serve: bad flags are refused before anything listens, each error named.
check "serve: bad port" [ "$(code $lull serve --port 70000)" = 2 ]
check "serve: bad port named" grep -q -- "--port" "$tmp/err"
check "serve: bad station name" [ "$(code $lull serve --station Main)" = 2 ]
check "serve: bad station param" [ "$(code $lull serve --station night:bpm=500)" = 2 ]
check "serve: bad station param named" grep -q "bpm" "$tmp/err"
check "serve: bad station palette" [ "$(code $lull serve --station night:palette=jazz)" = 2 ]
check "serve: bad station palette names the allowed" grep -q 'palette: must be one of classic, glass, strings, keys, night, tape; got "jazz"' "$tmp/err"
check "serve: station palette by number" [ "$(code $lull serve --station night:palette=1)" = 2 ]
check "serve: bad daycycle" [ "$(code $lull serve --station night:daycycle=maybe)" = 2 ]
check "serve: bad daycycle named" grep -q 'daycycle: must be on, off or a fixed hour' "$tmp/err"
check "serve: daycycle hour 24" [ "$(code $lull serve --station night:daycycle=24)" = 2 ]
check "serve: unknown station field" [ "$(code $lull serve --station night:colour=red)" = 2 ]
check "serve: unknown station field lists the known" grep -q 'unknown "colour"; known: key, mode, bpm, intensity, palette, seed, daycycle, title, description' "$tmp/err"
# A station's title and description: counted in characters, no control
# characters, each refusal naming the key and its limit.
x65=$(printf 'x%.0s' {1..65}) x241=$(printf 'x%.0s' {1..241})
check "serve: title of 65 characters" [ "$(code $lull serve --station "night:title=$x65")" = 2 ]
check "serve: title of 65 named" grep -q '^lull serve: --station night: title: must be 1..64 characters, got 65$' "$tmp/err"
check "serve: description of 241 characters" [ "$(code $lull serve --station "night:description=$x241")" = 2 ]
check "serve: description of 241 named" grep -q '^lull serve: --station night: description: must be 0..240 characters, got 241$' "$tmp/err"
check "serve: empty title" [ "$(code $lull serve --station night:title=)" = 2 ]
check "serve: empty title named" grep -q 'title: must be 1..64 characters, got 0' "$tmp/err"
check "serve: title with a newline" [ "$(code $lull serve --station $'night:title=two\nlines')" = 2 ]
check "serve: title with a newline named" grep -q 'title: must not hold control characters; character 4 is U+000A (a title is 1..64 characters)' "$tmp/err"
check "serve: description with an escape character" [ "$(code $lull serve --station $'night:description=\e[31mred')" = 2 ]
check "serve: description with an escape character named" grep -q 'description: must not hold control characters; character 1 is U+001B' "$tmp/err"
check "serve: title not UTF-8" [ "$(code $lull serve --station $'night:title=caf\xe9')" = 2 ]
check "serve: title not UTF-8 named" grep -q 'title: must be UTF-8; byte 4 is not' "$tmp/err"
check "serve: a stray backslash" [ "$(code $lull serve --station 'night:title=a\b')" = 2 ]
check "serve: a stray backslash named" grep -q 'a backslash may only escape a comma' "$tmp/err"
check "serve: bad log format" [ "$(code $lull serve --log-format yaml)" = 2 ]
check "serve: bad log format named" grep -q 'log-format: must be text or json, got "yaml"' "$tmp/err"
timeout -s INT 3 $lull serve --port 0 --log-format json 2>"$tmp/json.log" >/dev/null
check "serve: JSON log lines" grep -q '^{"time":"[0-9T:.-]*Z","level":"info","message":"serving http://127.0.0.1:[0-9]*/ with 1 station' "$tmp/json.log"
check "serve: JSON log only" sh -c "! grep -v '^{\"time\"' '$tmp/json.log' | grep -v '^lull serve: SIGINT'"
check "serve: too many personal stations" [ "$(code $lull serve --max-personal 65)" = 2 ]
check "serve: too many personal named" grep -q -- "--max-personal" "$tmp/err"
check "serve: personal idle of 0" [ "$(code $lull serve --personal-idle-s 0)" = 2 ]
check "serve: personal idle named" grep -q -- "--personal-idle-s" "$tmp/err"
check "serve: a station in the personal ones' form" [ "$(code $lull serve --station p-1)" = 2 ]
check "serve: the personal form named" grep -q 'names starting "p-" are the personal stations' "$tmp/err"
check "serve --help: personal stations" sh -c "$lull serve --help | grep -q -- '--max-personal N' && $lull serve --help | grep -q -- '--personal-idle-s S'"
check "serve --help: title and description" sh -c "$lull serve --help | grep -q 'title (1..64 characters' && $lull serve --help | grep -q 'description (up'"
# Sixty-four four-byte characters are a title (characters, not bytes), and
# an escaped comma stays in the description: the server starts with them.
moon=$(printf '\xf0\x9f\x8c\x99%.0s' {1..64})
# stations_of CMD...: start a server (CMD with its flags, on any free port),
# read its /api/stations into $stations, stop it.
stations_of() {
  "$@" >"$tmp/out" 2>"$tmp/serve-err" &
  local pid=$! port=
  for _ in $(seq 100); do
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/serve-err" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  stations=$( [ -n "$port" ] && "$python" -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())" "http://127.0.0.1:$port/api/stations")
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
stations_of "$lull" serve --port 0 --station "night:title=$moon,description=Slow\, dark\\\\far" --station plain
face() { printf '%s' "$stations" | "$python" -c "import json,sys; s=json.load(sys.stdin.buffer)['stations'][$1]; sys.stdout.buffer.write((s['title']+'|'+s['description']).encode())"; }
check "serve: a title of 64 four-byte characters" [ "$(face 0 2>/dev/null)" = "$moon|Slow, dark\far" ]
check "serve: the title defaults to the name" [ "$(face 1 2>/dev/null)" = "plain|" ]
# serve: who may steer a station.
check "serve: steer=maybe" [ "$(code $lull serve --station night:steer=maybe)" = 2 ]
check "serve: steer=maybe named" grep -qF 'steer: must be open (anyone), token (with --control-token) or none, got "maybe"' "$tmp/err"
check "serve: steer=token without a token" [ "$(code $lull serve --port 0 --station night:steer=token)" = 2 ]
check "serve: steer=token without a token named" grep -qF "lull serve: --station night: steer=token needs the server's control token (control-token-file in [server], --control-token-file or --control-token" "$tmp/err"
# serve: LV2 plugins on a station, by name; the example station starts and
# lists its stations; a bad plugin is refused before anything listens.
check "serve: --fx for no such station" [ "$(code $lull serve --station night --fx "day=$hall")" = 2 ]
check "serve: --fx for no such station named" grep -qF 'expected NAME=SPEC with NAME a station given by --station (or main), got "day=' "$tmp/err"
check "serve: --instrument for no such part" [ "$(code $lull serve --station night --instrument "night.piano=$synth")" = 2 ]
check "serve: --instrument for no such part named" grep -q 'PART one of pad, lead' "$tmp/err"
check "serve: --fx with a bad value" [ "$(code $lull serve --station night --fx "night=$hall,decay=60")" = 2 ]
check "serve: --fx with a bad value named" grep -qF "lull serve: night.fx: $hall: decay must be 0.1..10, got 60" "$tmp/err"
check "serve: --instrument an effect" [ "$(code $lull serve --instrument "main.pad=$hall")" = 2 ]
check "serve: --instrument an effect named" grep -qF 'lull serve: main.instrument.pad: https://github.com/michaelwillis/dragonfly-reverb is an effect, not an instrument' "$tmp/err"
stations_of "$examples/lv2-station.sh" "$lull" --port 0
check "examples/lv2-station.sh serves night" [ "$(face 1 2>/dev/null)" = "Night (LV2)|padthv1 pads in Dragonfly Hall" ]
check "examples/lv2-render.sh" sh -c "'$examples/lv2-render.sh' '$tmp/lv2.wav' '$lull' 2>/dev/null && test \"\$('$wavinfo' '$tmp/lv2.wav' | sed -n 's/^frames=//p')\" -gt \$((300 * 48000))"

check "serve --help: palette and daycycle" sh -c "$lull serve --help | grep -q 'palette' && $lull serve --help | grep -q -- '--daycycle'"
check "serve: station twice" [ "$(code $lull serve --station a --station a)" = 2 ]
check "serve: station params too long" [ "$(code $lull serve --station "x:$(printf 'bpm=60,%.0s' {1..300})")" = 2 ]
check "serve: station params too long named" grep -q "over 2047 characters" "$tmp/err"
check "serve: bad log level" [ "$(code $lull serve --log-level loud)" = 2 ]
check "serve: unknown option" [ "$(code $lull serve --volume 11)" = 2 ]
check "serve: bad bind address" [ "$(code $lull serve --bind nowhere --port 0)" = 2 ]
check "serve: bad bind named" grep -q "nowhere" "$tmp/err"
check "serve: bad http write interval" [ "$(code $lull serve --http-write-ms 5)" = 2 ]
check "serve: bad http write interval named" grep -q -- "--http-write-ms.*20..1000" "$tmp/err"
check "serve: TLS certificate without its key" [ "$(code $lull serve --tls-cert /nonexistent.pem)" = 2 ]
check "serve: TLS key named" grep -qF -- "lull serve: --tls-key: TLS needs both a certificate and its key" "$tmp/err"
check "serve: TLS certificate not there" [ "$(code $lull serve --tls-cert /nonexistent.pem --tls-key /nonexistent.pem)" = 1 ]
check "serve: TLS certificate path named" grep -q "/nonexistent.pem" "$tmp/err"
# serve --icecast: the URL checked, the password never on the command line.
check "icecast: not icecast://" [ "$(code $lull serve --icecast main=http://h/x.ogg)" = 2 ]
check "icecast: scheme named" grep -q "must start with icecast://" "$tmp/err"
check "icecast: password in URL" [ "$(code $lull serve --icecast main=icecast://source:pw@h/x.ogg)" = 2 ]
check "icecast: password in URL named" grep -q "LULL_ICECAST_PASSWORD" "$tmp/err"
check "icecast: bad mount" [ "$(code $lull serve --icecast main=icecast://h:8000/x.wav)" = 2 ]
check "icecast: bad mount named" grep -q "must end in .ogg or .opus" "$tmp/err"
check "icecast: bad port" [ "$(code $lull serve --icecast main=icecast://h:0/x.ogg)" = 2 ]
check "icecast: port not digits" [ "$(code $lull serve --icecast main=icecast://h:+80/x.ogg)" = 2 ]
check "icecast: CR LF in mount" [ "$(code $lull serve --icecast $'main=icecast://h/x\r\nX: y.ogg')" = 2 ]
check "icecast: CR LF in mount named" grep -q "control characters" "$tmp/err"
check "icecast: no STATION=" [ "$(code $lull serve --icecast icecast://h/x.ogg)" = 2 ]
check "icecast: no password" [ "$(env -u LULL_ICECAST_PASSWORD $lull serve --port 0 --icecast main=icecast://h/x.ogg >/dev/null 2>"$tmp/err"; echo $?)" = 2 ]
check "icecast: no password named" grep -q "needs the source password" "$tmp/err"
check "icecast: unknown station" [ "$(LULL_ICECAST_PASSWORD=x code $lull serve --port 0 --icecast nope=icecast://h/x.ogg)" = 2 ]
check "icecast: unknown station named" grep -q 'no station "nope"' "$tmp/err"
check "icecast: empty password file" [ "$(: >"$tmp/empty"; code $lull serve --icecast-password-file "$tmp/empty")" = 2 ]

# serve --config FILE: the INI file; --check-config FILE prints what it
# resolves to (INI again, defaults as comments) and serves nothing.
check "config: the example checks" [ "$(code $lull serve --check-config "$examples/lull.ini")" = 0 ]
check "config: nothing on stderr" [ ! -s "$tmp/err" ]
check "config: its stations, in order" [ "$(grep '^\[station' "$tmp/out" | tr '\n' ' ')" = "[station night] [station day] " ]
check "config: max-clients from the file" grep -qx 'max-clients = 500' "$tmp/out"
check "config: a default as a comment" grep -qx ';packets-per-message = 3 (default)' "$tmp/out"
check "config: night's params" sh -c "sed -n '/^\[station night\]/,/^\$/p' '$tmp/out' | tr '\n' '|' | grep -qF 'key = D|mode = dorian|bpm = 64|intensity = 0.35|palette = night|seed = 7|daycycle = off|title = Night|description = Slow, dark and far away; the lights of a town across the water.|steer = open|'"
cp "$tmp/out" "$tmp/resolved.ini"
check "config: what it prints reads back the same" [ "$(code $lull serve --check-config "$tmp/resolved.ini")" = 0 ]
tail -n +2 "$tmp/resolved.ini" > "$tmp/resolved.1"; tail -n +2 "$tmp/out" > "$tmp/resolved.2"
check "config: the same settings" cmp -s "$tmp/resolved.1" "$tmp/resolved.2"
# Flags override the file: an option, and a station of the same name
# (whole); a new --station adds one.
check "config: flags over the file" [ "$(code $lull serve --check-config "$examples/lull.ini" --max-clients 7 --station night:bpm=90 --station dawn)" = 0 ]
check "config: --max-clients replaces the file's" grep -qx 'max-clients = 7' "$tmp/out"
check "config: the flag said so" grep -B1 -x 'max-clients = 7' "$tmp/out" | grep -qx '; from the command line'
check "config: --station replaces night" sh -c "sed -n '/^\[station night\]/,/^\$/p' '$tmp/out' | grep -qx 'bpm = 90' && ! grep -qx 'title = Night' '$tmp/out'"
check "config: --station adds dawn" [ "$(grep '^\[station' "$tmp/out" | tr '\n' ' ')" = "[station night] [station day] [station dawn] " ]
check "config: --allow-origin replaces the file's list" sh -c "printf '[server]\nallow-origin = https://a\nallow-origin = https://b\n' > '$tmp/o.ini' && $lull serve --check-config '$tmp/o.ini' --allow-origin https://c | grep '^allow-origin' | tr '\n' ' ' | grep -qx 'allow-origin = https://c '"
check "config: the file's list, in order" sh -c "$lull serve --check-config '$tmp/o.ini' | grep '^allow-origin' | tr '\n' ' ' | grep -qx 'allow-origin = https://a allow-origin = https://b '"
# Every kind of bad file: exit 2, one line naming file, line, section and
# key, and what is allowed.
bad_config() { # bad_config NAME TEXT EXPECTED-LINE [FLAGS...]
  local name=$1 text=$2 want=$3; shift 3
  printf "$text" > "$tmp/bad.ini"
  check "config: $name" [ "$(code $lull serve --check-config "$tmp/bad.ini" "$@")" = 2 ]
  check "config: $name, named" grep -qxF -- "lull serve: $tmp/bad.ini:$want" "$tmp/err"
  check "config: $name, one line" [ "$(wc -l < "$tmp/err")" = 1 ]
  check "config: $name, nothing on stdout" [ ! -s "$tmp/out" ]
}
bad_config "bad value" '[server]\nport = 8000\n\n[station night]\nbpm = 500\n' \
  '5: [station night] bpm: must be a number 30..180, got "500"'
bad_config "bad server value" '[server]\nmax-clients = 0\n' '2: [server] max-clients: expected a whole number 1..1000000, got "0"'
bad_config "unknown key" '[server]\nvolume = 11\n' '2: [server] volume: unknown key; known: bind, port, daycycle, max-clients, max-personal, personal-idle-s, max-per-ip, control-token-file, allow-origin, allow-host, trusted-proxy, max-conns-per-ip, request-timeout-ms, tls-cert, tls-key, threads, packets-per-message, burst-ms, http-write-ms, bitrate, recent-minutes, lead-ms, realtime, icecast-password-file, icecast-name, icecast-description, icecast-genre, log-level, log-format'
bad_config "unknown station key" '[station night]\ncolour = red\n' \
  '2: [station night] colour: unknown key; known: key, mode, bpm, intensity, palette, seed, daycycle, title, description, steer, fx, instrument.PART'
bad_config "unknown section" '# lull\n[radio]\n' '2: unknown section [radio]; known: [server], [station NAME], [icecast LABEL]'
bad_config "duplicate key" '[server]\nport = 1\n; again\nport = 2\n' '4: [server] port: given twice (first at line 2)'
bad_config "duplicate station" '[station a]\nbpm = 60\n[station a]\n' '3: [station a]: given twice (first at line 1)'
bad_config "duplicate server" '[server]\n[server]\n' '2: [server]: given twice (first at line 1)'
bad_config "missing =" '[server]\nport 8000\n' '2: [server]: expected KEY = VALUE or [SECTION], got "port 8000"'
bad_config "key: value" '[server]\nport: 8000\n' '2: [server]: expected KEY = VALUE or [SECTION], got "port: 8000"'
bad_config "key before a section" 'port = 1\n' '1: port: before any section: keys go under [server], [station NAME] or [icecast LABEL]'
bad_config "inline secret" '[server]\ncontrol-token = hunter2\n' \
  '2: [server] control-token: a secret is never written in the config file: put it in a file of its own (mode 600) and give control-token-file = FILE'
bad_config "inline Icecast password" '[icecast out]\npassword = hunter2\n' \
  '2: [icecast out] password: a secret is never written in the config file: put it in a file of its own (mode 600) and give password-file = FILE'
bad_config "secret file missing" '[server]\ncontrol-token-file = /nonexistent/token\n' \
  '2: [server] control-token-file: cannot read "/nonexistent/token"'
bad_config "bad station name" '[station Night]\n' '1: [station Night]: station names are 1..32 of a-z, 0-9 and -, as in [station night]'
bad_config "title too long" "[station night]\ntitle = $x65\n" '2: [station night] title: must be 1..64 characters, got 65'
bad_config "unknown part" '[station night]\ninstrument.piano = x\n' \
  '2: [station night] instrument.piano: unknown part; instrument.PART with PART one of pad, lead, kick, swell, hat, bass, air, bell'
bad_config "bad fx" "[station night]\nbpm = 60\nfx = $hall,decay=60\n" "3: [station night] fx: $hall: decay must be 0.1..10, got 60"
bad_config "an effect as an instrument" "[station night]\ninstrument.pad = $hall\n" \
  "2: [station night] instrument.pad: $hall is an effect, not an instrument (use --fx)"
bad_config "Icecast output's station" '[icecast out]\nstation = nope\nurl = icecast://h/x.ogg\n' \
  '2: [icecast out] station: no station "nope"; the stations are main'
bad_config "Icecast URL" '[icecast out]\nstation = main\nurl = http://h/x.ogg\n' \
  '3: [icecast out] url: must start with icecast:// (icecast://[USER@]HOST[:PORT]/MOUNT.ogg), got "http://h/x.ogg"'
bad_config "Icecast output without its URL" '[station a]\n[icecast out]\nstation = a\n' \
  '2: [icecast out]: needs station = NAME and url = icecast://HOST[:PORT]/MOUNT.ogg'
bad_config "missing ]" '[server]\nport = 1\n[station calm\n' \
  '3: missing "]": a section header is [NAME] on a line of its own, got "[station calm"'
bad_config "steer=token without a token" '[station a]\nsteer = token\n' \
  "1: [station a] steer: steer=token needs the server's control token (control-token-file in [server], --control-token-file or --control-token, or the credential control-token)"
printf '[server]\nport = 0\ntls-cert = /nonexistent/cert.pem\ntls-key = /nonexistent/key.pem\n' > "$tmp/tls.ini"
check "config: a TLS file missing" [ "$(code $lull serve --config "$tmp/tls.ini")" = 1 ]
check "config: a TLS file missing, named by its line" grep -qxF -- "lull serve: $tmp/tls.ini:3: [server] tls-cert: cannot read \"/nonexistent/cert.pem\": No such file or directory" "$tmp/err"
bad_config "a long line" "[station night]\ndescription = $(printf 'x%.0s' {1..5000})\n" '2: [station night]: a line is over 4093 characters'
check "config: file missing" [ "$(code $lull serve --config "$tmp/none.ini")" = 2 ]
check "config: file missing named" grep -qxF "lull serve: --config: cannot read \"$tmp/none.ini\": No such file or directory" "$tmp/err"
check "config: a folder" [ "$(code $lull serve --check-config "$tmp")" = 2 ]
check "config: a folder named" grep -qF "lull serve: --config: cannot read \"$tmp\"" "$tmp/err"
check "config: two files" [ "$(code $lull serve --config "$examples/lull.ini" --check-config "$examples/lull.ini")" = 2 ]
check "config: a bad flag over a good file" [ "$(code $lull serve --check-config "$examples/lull.ini" --port 70000)" = 2 ]
check "config: the flag named" grep -q -- "^lull serve: --port: expected a whole number 0..65535" "$tmp/err"
check "serve --help: --config and --check-config" sh -c "$lull serve --help | grep -q -- '--config FILE' && $lull serve --help | grep -q -- '--check-config FILE'"
# The server runs from a file: its stations with their titles and params;
# a flag's station replaces the file's of that name.
printf '[server]\nport = 1\nmax-clients = 20\n\n[station night]\ntitle = Night\ndescription = Slow, dark; far\nkey = D\nmode = dorian\nbpm = 64\n\n[station day]\ntitle = Day\n' > "$tmp/run.ini"
stations_of "$lull" serve --config "$tmp/run.ini" --port 0
check "config: serves night" [ "$(face 0 2>/dev/null)" = "Night|Slow, dark; far" ]
check "config: serves day" [ "$(face 1 2>/dev/null)" = "Day|" ]
check "config: night's params" [ "$(printf '%s' "$stations" | "$python" -c "import json,sys; p=json.load(sys.stdin)['stations'][0]['params']; print(p['key'], p['mode'], p['bpm'])" 2>/dev/null)" = "D dorian 64" ]
stations_of "$lull" serve --config "$tmp/run.ini" --port 0 --station night:title=Noon
check "config: a flag's station over the file's" [ "$(face 0 2>/dev/null)" = "Noon|" ]
check "config: two stations still" [ "$(printf '%s' "$stations" | "$python" -c "import json,sys; print(len(json.load(sys.stdin)['stations']))" 2>/dev/null)" = 2 ]

# A render: a finished file with sane audio. Every render ends with the
# engine's latency: the limiter's lookahead (71) and the tape stage's 3 ms (144).
LAT=215
out="$tmp/out-dir/night.wav"
check "render ok" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$out")" = 0 ]
check "render: nothing on stdout" [ ! -s "$tmp/out" ]
check "render: no progress bar when stderr is a file" [ ! -s "$tmp/err" ]
check "mode follows umask" [ "$(stat -c %a "$out")" = "$(printf '%o' $(( 0666 & ~$(umask) )))" ]
check "rate 48000" [ "$(info "$out" rate)" = 48000 ]
check "stereo" [ "$(info "$out" channels)" = 2 ]
# 32 beats at 64 bpm = 30 s, plus the 7.5 s tail and the latency.
check "length" [ "$(info "$out" frames)" = $((30 * 48000 + 360000 + LAT)) ]
check "peak <= -1 dBFS" le "$(info "$out" peak_dbfs)" -1.0
check "not silent" ge "$(info "$out" rms_dbfs)" -40
check "dc < 1e-3" le "$(info "$out" dc)" 0.001
check "no NaN/Inf" [ "$(info "$out" nonfinite)" = 0 ]
check "render twice: identical" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$tmp/again.wav")" = 0 ]
check "identical bytes" cmp -s "$out" "$tmp/again.wav"
rm -f "$out" "$tmp/again.wav"

# On a terminal the progress bar is drawn on stderr; --quiet turns it off.
script -qec "$lull render --phrase $examples/night-in-a.json -o $tmp/tty.wav --dry" /dev/null > "$tmp/tty.out" 2>&1
check "progress bar on a terminal" grep -q 'render \[#' "$tmp/tty.out"
check "progress bar reaches 100%" grep -q '100.0%' "$tmp/tty.out"
script -qec "$lull render --phrase $examples/night-in-a.json -o $tmp/tty.wav --dry --quiet" /dev/null > "$tmp/tty.out" 2>&1
check "--quiet: no progress bar" [ ! -s "$tmp/tty.out" ]

# FLAC, 24 bit, float, loops, dry, stdout.
check "flac 24" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$tmp/n.flac" --bits 24 --dry)" = 0 ]
check "flac frames (dry tail)" [ "$(info "$tmp/n.flac" frames)" = $((30 * 48000 + 72000 + LAT)) ]
check "loops" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$tmp/l.wav" --loops 2 --dry --bits=float)" = 0 ]
check "loops frames" [ "$(info "$tmp/l.wav" frames)" = $((60 * 48000 + 72000 + LAT)) ]
# WAV on stdout through a real pipe (not seekable), in every sample format;
# the header carries the exact length.
for bits in 16 24 float; do
  $lull render --phrase "$examples/night-in-a.json" -o - --dry --bits $bits 2>"$tmp/pipe.err" | cat > "$tmp/stdout.wav"
  check "pipe $bits: exit 0" [ "${PIPESTATUS[0]}" = 0 ]
  check "pipe $bits: is WAV" [ "$(head -c 4 "$tmp/stdout.wav")" = RIFF ]
  check "pipe $bits: frames" [ "$(info "$tmp/stdout.wav" frames)" = $((30 * 48000 + 72000 + LAT)) ]
  check "pipe $bits: peak" le "$(info "$tmp/stdout.wav" peak_dbfs)" -1.0
  check "pipe $bits: not silent" ge "$(info "$tmp/stdout.wav" rms_dbfs)" -40
done
# The same audio as a file (24-bit: no dither, so identical samples).
$lull render --phrase "$examples/night-in-a.json" -o "$tmp/file24.wav" --dry --bits 24 2>/dev/null
$lull render --phrase "$examples/night-in-a.json" -o - --dry --bits 24 2>/dev/null | cat > "$tmp/pipe24.wav"
check "pipe = file (24 bit)" [ "$(info "$tmp/file24.wav" rms_dbfs)" = "$(info "$tmp/pipe24.wav" rms_dbfs)" ]
# A reader that goes away (head has what it wanted) ends the render as a
# pipeline ends: exit 0, nothing on stderr, no crash; whether it leaves
# after the header (head -c 100) or before anything was written (true).
# (timeout: a render that did not notice would take minutes.)
timeout 60 $lull render --phrase "$examples/night-in-a.json" -o - --loops 5000 2>"$tmp/pipe.err" | head -c 100 >/dev/null
check "closed pipe: exit 0" [ "${PIPESTATUS[0]}" = 0 ]
check "closed pipe: nothing on stderr" [ ! -s "$tmp/pipe.err" ]
timeout 60 $lull render --phrase "$examples/night-in-a.json" -o - --loops 5000 2>"$tmp/pipe.err" | true
check "closed at once: exit 0" [ "${PIPESTATUS[0]}" = 0 ]
check "closed at once: nothing on stderr" [ ! -s "$tmp/pipe.err" ]
# A --midi file is not written then: it would describe a piece never rendered to its end.
timeout 60 $lull render --phrase "$examples/night-in-a.json" -o - --loops 5000 --midi "$tmp/out-dir/p.mid" 2>"$tmp/pipe.err" | head -c 100 >/dev/null
check "closed pipe with --midi: exit 0" [ "${PIPESTATUS[0]}" = 0 ]
check "closed pipe with --midi: no MIDI file" no_files
check "seconds example" [ "$(code $lull render --phrase "$examples/drone-seconds.json" -o "$tmp/d.wav")" = 0 ]
check "ogg/opus" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$tmp/n.opus" --dry)" = 0 ]
check "ogg/opus is Ogg" [ "$(head -c 4 "$tmp/n.opus")" = OggS ]
check "ogg/opus has OpusHead" grep -q OpusHead "$tmp/n.opus"

# Usage errors: exit 2, a message naming the problem, no file.
o="$tmp/out-dir/x.wav"
check "missing -o" [ "$(code $lull render --phrase "$examples/night-in-a.json")" = 2 ]
check "missing -o named" grep -q -- '-o OUT is required' "$tmp/err"
check "--phrase with --key" [ "$(code $lull render --phrase "$examples/night-in-a.json" --key D -o "$o")" = 2 ]
check "--phrase with --key says why" grep -q 'not both' "$tmp/err"
check "bad key" [ "$(code $lull render -o "$o" --key H)" = 2 ]
check "bad key message" grep -q 'key: must be a note name (C, C#, Db, D, ... B) or 0..11, got "H"' "$tmp/err"
check "bad mode" [ "$(code $lull render -o "$o" --mode blues)" = 2 ]
check "bad mode message" grep -q 'mode: must be one of ionian (major), dorian' "$tmp/err"
check "bad bpm" [ "$(code $lull render -o "$o" --bpm 200)" = 2 ]
check "bad bpm message" grep -q 'bpm: must be a number 30..180, got "200"' "$tmp/err"
check "bad intensity" [ "$(code $lull render -o "$o" --intensity=1.5)" = 2 ]
check "bad intensity message" grep -q 'intensity: must be a number 0..1, got "1.5"' "$tmp/err"
check "bad palette" [ "$(code $lull render -o "$o" --palette jazz)" = 2 ]
check "bad palette message" grep -q 'palette: must be one of classic, glass, strings, keys, night, tape; got "jazz"' "$tmp/err"
check "palette by number" [ "$(code $lull render -o "$o" --palette 2)" = 2 ]
check "--phrase with --palette" [ "$(code $lull render --phrase "$examples/night-in-a.json" --palette glass -o "$o")" = 2 ]
check "bad minutes" [ "$(code $lull render -o "$o" --minutes 0)" = 2 ]
check "bad seed" [ "$(code $lull render -o "$o" --seed -1)" = 2 ]
check "unknown flag" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$o" --wet)" = 2 ]
check "unknown flag named" grep -q -- '--wet' "$tmp/err"
check "bad --bits" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$o" --bits 12)" = 2 ]
check "bad --bits says allowed" grep -q '16, 24 or float' "$tmp/err"
check "bad --loops" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$o" --loops 0)" = 2 ]
check "bad --loops range" grep -q '1..100000' "$tmp/err"
check "flag without value" [ "$(code $lull render --phrase)" = 2 ]
check "bad extension" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o "$tmp/out-dir/x.mp4")" = 2 ]
check "bad extension says allowed" grep -q '.wav, .flac, .ogg or .opus' "$tmp/err"
check "bench bad flag" [ "$(code $lull bench --runs 0)" = 2 ]
check "bench: bad palette" [ "$(code $lull bench --palette jazz)" = 2 ]
check "bench: bad palette names the allowed" grep -q 'palette: expected all or one of classic, glass, strings, keys, night, tape; got "jazz"' "$tmp/err"
check "usage errors: no files" no_files

printf '[{"at": 1, "key": "D"}, {"at": 2, "bpm": 500}]' > "$tmp/tl-bad.json"
check "bad timeline" [ "$(code $lull render -o "$o" --minutes 0.1 --timeline "$tmp/tl-bad.json")" = 1 ]
check "bad timeline named" grep -q 'timeline\[1\].bpm: must be a number 30..180, got "500"' "$tmp/err"
printf '[{"at": 1, "tempo": 90}]' > "$tmp/tl-bad2.json"
check "timeline unknown field" [ "$(code $lull render -o "$o" --minutes 0.1 --timeline "$tmp/tl-bad2.json")" = 1 ]
check "timeline unknown named" grep -q 'timeline\[0\].tempo: unknown; allowed: at, key, mode, bpm, intensity, palette' "$tmp/err"
printf '[{"at": 5, "key": "D"}, {"at": 1, "key": "E"}]' > "$tmp/tl-bad3.json"
check "timeline out of order" [ "$(code $lull render -o "$o" --minutes 0.1 --timeline "$tmp/tl-bad3.json")" = 1 ]
check "timeline out of order named" grep -q 'timeline\[1\].at: changes must be in order' "$tmp/err"

# Failures: exit 1, a message naming the field or position, no file.
printf '{"bpm": 60,\n  "melody": [{"at": 0, "pitch": 300, "duration": 1}]}' > "$tmp/bad1.json"
check "bad pitch" [ "$(code $lull render --phrase "$tmp/bad1.json" -o "$o")" = 1 ]
check "bad pitch named" grep -q 'melody\[0\].pitch: must be MIDI 0..127, got 300' "$tmp/err"
printf '{"bpm": 60,\n  "melody": [ }' > "$tmp/bad2.json"
check "syntax error" [ "$(code $lull render --phrase "$tmp/bad2.json" -o "$o")" = 1 ]
check "syntax error position" grep -q 'bad2.json:2:' "$tmp/err"
check "missing file" [ "$(code $lull render --phrase "$tmp/none.json" -o "$o")" = 1 ]
check "missing file named" grep -q 'none.json' "$tmp/err"
check "unwritable path" [ "$(code $lull render --phrase "$examples/night-in-a.json" -o /nonexistent-dir/x.wav)" = 1 ]
check "unwritable named" grep -q '/nonexistent-dir/x.wav' "$tmp/err"
# An output that cannot be written is refused before rendering (a render of
# 5000 loops would take minutes: timeout says it did not start), exit 1,
# naming the path and what is wrong, with no temporary file anywhere.
long=(--phrase "$examples/night-in-a.json" --loops 5000)
mkdir "$tmp/out-dir/folder.wav"
check "output is a folder" [ "$(code timeout 20 $lull render "${long[@]}" -o "$tmp/out-dir/folder.wav")" = 1 ]
check "output is a folder named" grep -q "$tmp/out-dir/folder.wav: is a folder; give a file name" "$tmp/err"
check "output is a folder: nothing beside it" [ "$(ls -A "$tmp/out-dir")" = folder.wav ]
check "output is a folder: nothing in it" [ -z "$(ls -A "$tmp/out-dir/folder.wav")" ]
rmdir "$tmp/out-dir/folder.wav"
check "output folder missing" [ "$(code timeout 20 $lull render "${long[@]}" -o "$tmp/out-dir/none/x.wav")" = 1 ]
check "output folder missing named" grep -q "$tmp/out-dir/none/x.wav: the folder $tmp/out-dir/none does not exist" "$tmp/err"
# Root writes in a mode-555 folder anyway; sysfs refuses new files even to root.
if [ "$(id -u)" = 0 ]; then ro=/sys; else ro="$tmp/out-dir/ro"; mkdir "$ro"; chmod 555 "$ro"; fi
check "output folder unwritable" [ "$(code timeout 20 $lull render "${long[@]}" -o "$ro/x.wav")" = 1 ]
check "output folder unwritable named" grep -q "$ro/x.wav: cannot write in the folder $ro: Permission denied" "$tmp/err"
check "output folder unwritable: nothing in it" [ -z "$(ls -A "$ro" | grep -F x.wav)" ]
[ "$ro" = /sys ] || rmdir "$ro"
# --midi that cannot be written: the audio file does not appear either (both
# or neither), and it is found before the render, like -o.
short=(--phrase "$examples/night-in-a.json" --dry)
check "--midi folder missing" [ "$(code $lull render "${short[@]}" -o "$tmp/out-dir/m.wav" --midi "$tmp/out-dir/none/m.mid")" = 1 ]
check "--midi folder missing named" grep -q "$tmp/out-dir/none/m.mid: the folder $tmp/out-dir/none does not exist" "$tmp/err"
check "--midi folder missing: no audio file" no_files
mkdir "$tmp/out-dir/m.mid"
check "--midi is a folder" [ "$(code timeout 20 $lull render "${long[@]}" -o "$tmp/out-dir/m.wav" --midi "$tmp/out-dir/m.mid")" = 1 ]
check "--midi is a folder named" grep -q "$tmp/out-dir/m.mid: is a folder" "$tmp/err"
check "--midi is a folder: no audio, no temporary file" [ "$(ls -A "$tmp/out-dir")" = m.mid ]
rmdir "$tmp/out-dir/m.mid"
if [ "$(id -u)" != 0 ]; then mkdir "$ro"; chmod 555 "$ro"; fi
check "--midi folder unwritable" [ "$(code timeout 20 $lull render "${long[@]}" -o "$tmp/out-dir/m.wav" --midi "$ro/m.mid")" = 1 ]
check "--midi folder unwritable named" grep -q "$ro/m.mid: cannot write in the folder $ro" "$tmp/err"
[ "$ro" = /sys ] || rmdir "$ro"
check "--midi same as -o" [ "$(code $lull render "${short[@]}" -o "$tmp/out-dir/m.wav" --midi "$tmp/out-dir/m.wav")" = 2 ]
check "--midi same as -o named" grep -q -- "--midi and -o both name $tmp/out-dir/m.wav" "$tmp/err"
check "failures: no files" no_files

# Composed music: length, MIDI beside it, the same seed twice is the same,
# another seed is other music, a timeline applies.
c="$tmp/composed"
mkdir -p "$c"
check "composed ok" [ "$(code $lull render -o "$c/a.wav" --minutes 0.5 --key D --mode dorian --bpm 90 --intensity 0.7 --seed 3 --midi "$c/a.mid")" = 0 ]
check "composed length" [ "$(info "$c/a.wav" frames)" = $((30 * 48000 + 360000 + LAT)) ]
check "composed peak <= -1 dBFS" le "$(info "$c/a.wav" peak_dbfs)" -1.0
check "composed not silent" ge "$(info "$c/a.wav" rms_dbfs)" -40
check "midi written" [ "$(head -c 4 "$c/a.mid")" = MThd ]
check "midi mode follows umask" [ "$(stat -c %a "$c/a.mid")" = "$(printf '%o' $(( 0666 & ~$(umask) )))" ]
$lull render -o "$c/b.wav" --minutes 0.5 --key D --mode dorian --bpm 90 --intensity 0.7 --seed 3 --midi "$c/b.mid" 2>/dev/null
check "same seed, same audio" cmp -s "$c/a.wav" "$c/b.wav"
check "same seed, same midi" cmp -s "$c/a.mid" "$c/b.mid"
# mido (python3-mido), a reader lull did not write, against ours: format,
# tracks, tempo map, notes per track and every note's time agree.
check "midi: mido agrees, 90 bpm" "$python" "$here/midi_check.py" "$c/a.mid" "$midiinfo" --first-bpm 90 --last-bpm 90 \
  --programs 0=89,1=4,2=94,3=38,4=91,5=14 # classic's GM programs (0-based), pad to bell
$lull render -o "$c/d.wav" --minutes 0.5 --key D --mode dorian --bpm 90 --intensity 0.7 --seed 4 2>/dev/null
check "another seed, other music" differ "$c/a.wav" "$c/d.wav"
printf '[{"at": 5, "key": "E", "mode": "lydian"}, {"at": 10, "intensity": 0.9, "bpm": 120}]' > "$c/tl.json"
check "timeline ok" [ "$(code $lull render -o "$c/t.wav" --minutes 0.3 --seed 3 --timeline "$c/tl.json" --midi "$c/t.mid")" = 0 ]
check "palette ok" [ "$(code $lull render -o "$c/g.wav" --minutes 0.1 --seed 3 --palette glass --midi "$c/g.mid")" = 0 ]
check "midi: mido agrees on a palette's render" "$python" "$here/midi_check.py" "$c/g.mid" "$midiinfo" \
  --programs 0=88,1=46,2=94,3=32,4=96,5=98 # glass's GM programs: new age pad, harp, halo, bass, rain, crystal
printf '[{"at": 4, "palette": "strings"}]' > "$c/pal.json"
check "palette timeline ok" [ "$(code $lull render -o "$c/p.wav" --minutes 0.2 --seed 3 --timeline "$c/pal.json" --midi "$c/p.mid")" = 0 ]
check "midi: a palette change is a program change" "$python" "$here/midi_check.py" "$c/p.mid" "$midiinfo" \
  --programs 0=89,1=4,2=94,3=38,4=91,5=14 --program-changes
check "midi: mido agrees through a tempo change" "$python" "$here/midi_check.py" "$c/t.mid" "$midiinfo" --first-bpm 64 --last-bpm 120
$lull render -o "$c/u.wav" --minutes 0.3 --seed 3 2>/dev/null
check "timeline changed the music" differ "$c/t.wav" "$c/u.wav"
check "the same up to the first change" cmp -s -n $((44 + 4 * 48000 * 4)) "$c/t.wav" "$c/u.wav"
rm -rf "$c"

# Interrupted: SIGTERM, SIGINT or SIGHUP mid-render leaves nothing (not even
# the temporary files, audio and MIDI, which are there while it renders).
for sig in TERM INT HUP; do
  $lull render --phrase "$examples/night-in-a.json" -o "$tmp/out-dir/long.wav" --midi "$tmp/out-dir/long.mid" --loops 5000 2>/dev/null &
  pid=$!
  for _ in $(seq 200); do [ -n "$(ls -A "$tmp/out-dir")" ] && break; sleep 0.05; done
  check "SIG$sig: rendering into a temporary file" [ -n "$(ls -A "$tmp/out-dir")" ]
  kill -$sig $pid
  wait $pid
  check "SIG$sig: exit 1" [ $? = 1 ]
  check "SIG$sig: no files" no_files
done

checked
