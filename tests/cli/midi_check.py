"""A MIDI file read twice: by mido (python3-mido, a reader lull did not
write) and by the tests' own reader (the midiinfo program). Both must agree
on the format, track count, resolution, tempo map, the notes in each track,
and every note's pitch, velocity, channel, start and end in seconds (within
a microsecond), and every program change (track, channel, program, time). Optionally the first and last tempo must be given bpm (+- 3 %: the tempo breathes).
Optionally the programs at the start must be given ones (--programs
CH=PROG,..., 0-based as on the wire), and program changes must come after
the start (--program-changes: at least one later than 0 s).
Usage: midi_check.py FILE MIDIINFO [--first-bpm N] [--last-bpm N] [--programs ...] [--program-changes]
Exits 0 and prints a summary, or 1 naming the first disagreement."""
import argparse
import subprocess
import sys
from collections import defaultdict

import mido

TOLERANCE_S = 1e-6


def c_reader(midiinfo, path):
    out = subprocess.run([midiinfo, path], check=True, capture_output=True, text=True).stdout
    facts, notes, programs = {}, [], []
    for line in out.splitlines():
        if line.startswith("note "):
            t, ch, pitch, vel, on, off = line.split()[1:]
            notes.append((int(t), int(ch), int(pitch), int(vel), float(on), float(off)))
        elif line.startswith("program "):
            t, ch, prog, at = line.split()[1:]
            programs.append((int(t), int(ch), int(prog), float(at)))
        else:
            k, v = line.split("=", 1)
            facts[k] = int(v)
    return facts, notes, programs


def mido_reader(path):
    """Tempo map and notes by mido: each track merged (mido.merge_tracks) with
    every set_tempo of the file, delta ticks turned into seconds by
    mido.tick2second at the tempo in force. A note-off (or a note-on at
    velocity 0) ends the earliest open note of its channel and pitch.
    Returns the file, the tempos (us per quarter) in order, and the notes as
    (track, channel, pitch, velocity, on_s, off_s) and the program changes
    as (track, channel, program, at_s)."""
    mid = mido.MidiFile(path)
    tempos = []  # (absolute tick, us per quarter), from whichever track holds them
    for track in mid.tracks:
        tick = 0
        for m in track:
            tick += m.time
            if m.type == "set_tempo":
                tempos.append((tick, m.tempo))
    tempos.sort(key=lambda x: x[0])
    tempo_track, last = [], 0
    for tick, us in tempos:
        tempo_track.append(mido.MetaMessage("set_tempo", tempo=us, time=tick - last))
        last = tick
    notes, programs = [], []
    for index, track in enumerate(mid.tracks):
        tempo, now = 500000, 0.0
        open_notes = defaultdict(list)
        for m in mido.merge_tracks([tempo_track, [m for m in track if m.type != "set_tempo"]]):
            now += mido.tick2second(m.time, mid.ticks_per_beat, tempo)
            if m.type == "set_tempo":
                tempo = m.tempo
            elif m.type == "program_change":
                programs.append((index, m.channel, m.program, now))
            elif m.type == "note_on" and m.velocity > 0:
                note = [index, m.channel, m.note, m.velocity, now, -1.0]
                notes.append(note)
                open_notes[(m.channel, m.note)].append(note)
            elif m.type in ("note_off", "note_on") and open_notes[(m.channel, m.note)]:
                open_notes[(m.channel, m.note)].pop(0)[5] = now
    return mid, [us for _, us in tempos], [tuple(n) for n in notes], programs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("midiinfo")
    ap.add_argument("--first-bpm", type=float)
    ap.add_argument("--last-bpm", type=float)
    ap.add_argument("--programs")
    ap.add_argument("--program-changes", action="store_true")
    a = ap.parse_args()
    facts, c_notes, c_programs = c_reader(a.midiinfo, a.file)
    mid, tempos, m_notes, m_programs = mido_reader(a.file)
    problems = []

    def same(what, ours, theirs):
        if ours != theirs:
            problems.append(f"{what}: midi_read says {ours}, mido says {theirs}")

    same("format", facts["format"], mid.type)
    same("tracks", facts["tracks"], len(mid.tracks))
    same("ppq", facts["ppq"], mid.ticks_per_beat)
    same("tempo changes", facts["tempos"], len(tempos))
    if tempos:
        same("first tempo (us/quarter)", facts["tempo_first_us"], tempos[0])
        same("last tempo (us/quarter)", facts["tempo_last_us"], tempos[-1])
    for name, want, got in (("first", a.first_bpm, tempos[0] if tempos else 500000),
                            ("last", a.last_bpm, tempos[-1] if tempos else 500000)):
        # The composer's tempo breathes (at most 3 % either way).
        if want is not None and abs(mido.tempo2bpm(got) - want) > 0.03 * want:
            problems.append(f"{name} tempo: {mido.tempo2bpm(got):.4f} bpm, expected {want} +- 3 %")
    same("notes", facts["notes"], len(m_notes))
    per_track = lambda notes: [sum(1 for n in notes if n[0] == t) for t in range(len(mid.tracks))]
    same("notes per track", per_track(c_notes), per_track(m_notes))
    # Every note: the same facts, the same times. Ties in time are ordered by
    # track, channel and pitch on both sides.
    key = lambda n: (round(n[4], 6), n[0], n[1], n[2])
    for c, m in zip(sorted(c_notes, key=key), sorted(m_notes, key=key)):
        if c[:4] != m[:4] or abs(c[4] - m[4]) > TOLERANCE_S or abs(c[5] - m[5]) > TOLERANCE_S:
            problems.append(f"note: midi_read says {c}, mido says {m}")
            break
    # Program changes: the same on both sides, in time order (ties by track).
    pkey = lambda p: (round(p[3], 6), p[0], p[1])
    same("program changes", len(c_programs), len(m_programs))
    for c, m in zip(sorted(c_programs, key=pkey), sorted(m_programs, key=pkey)):
        if c[:3] != m[:3] or abs(c[3] - m[3]) > TOLERANCE_S:
            problems.append(f"program change: midi_read says {c}, mido says {m}")
            break
    if a.programs:
        want = {int(k): int(v) for k, v in (kv.split("=") for kv in a.programs.split(","))}
        got = {p[1]: p[2] for p in m_programs if p[3] == 0}
        same("programs at the start (channel: program)", want, got)
    if a.program_changes and not any(p[3] > 0 for p in m_programs):
        problems.append("no program change after the start")
    if problems:
        for p in problems:
            print(f"midi_check: {a.file}: {p}", file=sys.stderr)
        return 1
    ends = max((n[5] for n in m_notes), default=0.0)
    print(f"midi_check: {a.file}: type {mid.type}, {len(mid.tracks)} tracks, {mid.ticks_per_beat} ppq, "
          f"{len(tempos)} tempos ({mido.tempo2bpm(tempos[0]) if tempos else 120:.2f}..."
          f"{mido.tempo2bpm(tempos[-1]) if tempos else 120:.2f} bpm), {len(m_notes)} notes per track "
          f"{per_track(m_notes)}, last note ends at {ends:.3f} s: both readers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
